#!/usr/bin/env python3
"""Is a factored LISTA encoder's iteration still stable? Prints, per checkpoint, the gain of the
iteration's linear part and the smallest threshold.

Model A's factored LISTA (`models.slow.encoder: lista`, `lista_lateral: factored`) refines its
codes K times by h <- shrink(h + W_e*(x - A*h)). The linear part h -> h - W_e*(A*h) is ISTA's
I - W_d^T W_d / L at the start, whose gain (its largest eigenvalue's modulus) is 1: a step that
cannot grow a code. Training moves W_e and A freely; once the gain passes 1, K iterations can
amplify some frames' codes, and where the thresholds are near 0 (the activity floor keeps every
feature on) nothing bounds them: the loss of such a run spikes and the divergence guard rolls it
back (docs/results.md, Model A, "Why lr 1e-3"). The gain here is measured by power iteration on a
48x48 map with the model's own convolutions.

Usage: python3 scripts/lista_gain.py CHECKPOINT_OR_LEARNER_OR_RUN_FOLDER... [--learner NAME]
One JSON line per checkpoint: {"checkpoint": ..., "step": ..., "gain": ..., "threshold_min": ...}.
A learner or run folder stands for every checkpoint in it, oldest first.
"""
import glob
import json
import os
import sys

import torch
import torch.nn.functional as F

from load_checkpoint import load_weights


def checkpoints(folder, learner):
    if os.path.exists(os.path.join(folder, "weights.pt")):
        return [folder]
    for pattern in (os.path.join(folder, "checkpoints", "step-*"), os.path.join(folder, learner or "*", "checkpoints", "step-*")):
        found = sorted(glob.glob(pattern))
        if found:
            return found
    sys.exit(f"error: {folder}: no checkpoint (expected weights.pt, or checkpoints/step-* in it or in a learner's folder)")


def gain(encoder_filter, reconstruct, iterations=100, side=48):
    """Power iteration on h -> h - W_e*(A*h): the modulus of its largest eigenvalue."""
    generator = torch.Generator().manual_seed(0)
    h = torch.randn(1, encoder_filter.shape[0], side, side, generator=generator, dtype=torch.float64)
    w_e, a = encoder_filter.double(), reconstruct.double()
    pad = w_e.shape[-1] // 2
    g = 0.0
    for _ in range(iterations):
        h = h / h.norm()
        h = h - F.conv2d(F.conv2d(h, a, padding=pad), w_e, padding=pad)
        g = h.norm().item()
    return g


def main(argv):
    learner = None
    if "--learner" in argv:
        i = argv.index("--learner")
        learner = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    if not argv:
        sys.exit(__doc__)
    for folder in argv:
        for checkpoint in checkpoints(folder, learner):
            weights = load_weights(os.path.join(checkpoint, "weights.pt"))
            if "lista.reconstruct" not in weights:
                sys.exit(f"error: {checkpoint}: not a factored LISTA encoder (no lista.reconstruct in weights.pt)")
            with open(os.path.join(checkpoint, "meta.json")) as f:
                step = json.load(f).get("step")
            print(json.dumps({"checkpoint": checkpoint, "step": step,
                              "gain": round(gain(weights["lista.filter.weight"], weights["lista.reconstruct"]), 4),
                              "threshold_min": round(weights["lista.threshold"].min().item(), 5)}))


if __name__ == "__main__":
    main(sys.argv[1:])
