#!/usr/bin/env python3
"""Loads a vidssl checkpoint's weights in Python (Debian's python3-torch, or PyTorch 2.x) and prints them.

    import torch
    weights = torch.load("runs/clip-slow-…/slow/checkpoints/step-0000000500/weights.pt")
    weights["decoder.weight"].shape      # torch.Size([1, 64, 9, 9]): channels × filters × k × k

PyTorch 2.6 and later need the type tag of LibTorch's pickles allowed:

    import torch, torch.jit._pickle
    with torch.serialization.safe_globals([torch.jit._pickle.restore_type_tag]):
        weights = torch.load("…/weights.pt")

Usage: python3 scripts/load_checkpoint.py CHECKPOINT_OR_LEARNER_OR_RUN_FOLDER [LEARNER]
A run folder holds one folder per learner (its name under `models:`); name the learner when the
run trained several.
"""
import glob
import json
import os
import sys

import torch
import torch.jit._pickle


def newest(learner_folder):
    found = sorted(glob.glob(os.path.join(learner_folder, "checkpoints", "step-*", "meta.json")))
    return os.path.dirname(found[-1]) if found else None


def checkpoint_folder(path, learner):
    if os.path.exists(os.path.join(path, "meta.json")):
        return path
    if newest(path):
        return newest(path)
    if learner:
        if newest(os.path.join(path, learner)):
            return newest(os.path.join(path, learner))
        sys.exit(f"{path}: no checkpoint of a learner '{learner}'")
    learners = sorted(d for d in os.listdir(path) if newest(os.path.join(path, d))) if os.path.isdir(path) else []
    if len(learners) == 1:
        return newest(os.path.join(path, learners[0]))
    if not learners:
        sys.exit(f"{path}: no checkpoint found (expected a run folder, a learner's folder or a checkpoints/step-… folder)")
    sys.exit(f"{path} holds checkpoints of several learners ({', '.join(learners)}): name one")


def load_weights(path):
    # PyTorch 2.6 and later load weights only by default, and LibTorch's pickle_save tags the dict's
    # key and value types with torch.jit._pickle.restore_type_tag, which that loader refuses unless
    # allowed; PyTorch 1.13 has no such loader.
    safe_globals = getattr(torch.serialization, "safe_globals", None)
    if safe_globals is None:
        return torch.load(path)
    with safe_globals([torch.jit._pickle.restore_type_tag]):
        return torch.load(path)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: load_checkpoint.py CHECKPOINT_OR_LEARNER_OR_RUN_FOLDER [LEARNER]")
    folder = checkpoint_folder(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else None)
    with open(os.path.join(folder, "meta.json")) as f:
        meta = json.load(f)
    weights = load_weights(os.path.join(folder, "weights.pt"))
    print(json.dumps({"checkpoint": folder, "step": meta["step"], "model": meta["model"], "learner": meta.get("learner"),
                      "torch": torch.__version__,
                      "tensors": {k: list(v.shape) for k, v in sorted(weights.items())}}))


if __name__ == "__main__":
    main()
