#!/usr/bin/python3
"""How far a clip's content moves across a triplet x^{t-g}, x^t, x^{t+g}, by block matching.

Model B's phase moves a feature only inside its pooling block, so whether feature interpolation can
beat the cross-fade at a gap depends on how far things move there (docs/results.md, Model B). This
decodes the clip at the evaluation's size with FFmpeg, takes every `--every`-th triplet, and for each
textured block of x^{t-g} (grey-level standard deviation at least `--min-std`) finds the integer
displacement within +-`--search` px that best matches x^{t+g} (least squared error). Prints one JSON
object: the displacements' median and 75th and 90th percentiles in px, and the fraction of blocks
that did not move.

    /usr/bin/python3 scripts/block_motion.py /usr/share/doc/opencv-doc/examples/data/tree.avi --gap 8
"""
import argparse
import json
import subprocess
import sys

import numpy as np


def gray_frames(path, width, height):
    run = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-vf", f"scale={width}:{height}", "-f", "rawvideo",
                          "-pix_fmt", "gray", "-"], capture_output=True)
    if run.returncode != 0 or not run.stdout:
        sys.exit(f"{path}: ffmpeg could not decode it: {run.stderr.decode(errors='replace').strip()}")
    return np.frombuffer(run.stdout, np.uint8).reshape(-1, height, width).astype(np.float32)


def displacements(a, b, block, search, min_std):
    """Best integer displacement (px) of each textured block of a within b."""
    out = []
    for y in range(search, a.shape[0] - block - search + 1, block):
        for x in range(search, a.shape[1] - block - search + 1, block):
            patch = a[y:y + block, x:x + block]
            if patch.std() < min_std:
                continue
            best, best_error = (0, 0), None
            for dy in range(-search, search + 1):
                for dx in range(-search, search + 1):
                    error = float(((b[y + dy:y + dy + block, x + dx:x + dx + block] - patch) ** 2).mean())
                    # Ties go to the smaller displacement: a flat match is not motion.
                    if best_error is None or error < best_error or (error == best_error and dy * dy + dx * dx < best[0] ** 2 + best[1] ** 2):
                        best, best_error = (dy, dx), error
            out.append(float(np.hypot(*best)))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("clip")
    p.add_argument("--gap", type=int, default=1, help="triplet x^{t-g}, x^t, x^{t+g}: displacement from t-g to t+g")
    p.add_argument("--width", type=int, default=160)
    p.add_argument("--height", type=int, default=120)
    p.add_argument("--block", type=int, default=16)
    p.add_argument("--search", type=int, default=12)
    p.add_argument("--every", type=int, default=15, help="every this many triplets")
    p.add_argument("--min-std", type=float, default=8.0, help="a block's grey-level spread to count as textured")
    a = p.parse_args()
    if a.gap < 1 or a.every < 1 or a.block < 2 or a.search < 1:
        sys.exit("block_motion.py: --gap, --every and --search must be >= 1 and --block >= 2")
    frames = gray_frames(a.clip, a.width, a.height)
    found = []
    for t in range(a.gap, len(frames) - a.gap, a.every):
        found += displacements(frames[t - a.gap], frames[t + a.gap], a.block, a.search, a.min_std)
    if not found:
        sys.exit(f"{a.clip}: no textured block in a triplet at gap {a.gap} ({len(frames)} frames)")
    d = np.array(found)
    print(json.dumps({"clip": a.clip, "gap": a.gap, "frames": len(frames), "blocks": len(d), "median_px": float(np.median(d)),
                      "p75_px": float(np.percentile(d, 75)), "p90_px": float(np.percentile(d, 90)),
                      "still": float((d == 0).mean())}))


if __name__ == "__main__":
    main()
