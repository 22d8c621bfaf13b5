#!/usr/bin/env python3
"""Draws the curves of a vidssl run folder to PNG: one row per learner (the run's models), with
its loss terms and metrics against its training step and its stage's throughput against time (the
first row also shows the source and preprocessing stages). Used by `vidssl plot RUN [--out FILE]`.

    python3 scripts/plot_run.py runs/clip-slow-20261122-101500 [out.png]
"""
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LOSS_TERMS = ["loss", "reconstruction", "sparsity", "slowness", "prediction", "activity_floor", "curvature"]
# Model A logs the first two, Model B the PSNRs (dB) and the size of δ; Model C its loss alone.
METRICS = ["residual_energy", "active_fraction", "psnr_predict", "psnr_copy_last", "delta_norm"]


def read_lines(path):
    steps, reports = [], []
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                sys.exit(f"{path}:{number}: not a JSON object")
            if "stage" in record:
                reports.append(record)
            elif "step" in record and not record.get("skipped", False):
                steps.append(record)
    return steps, reports


def smooth(values, window):
    out, total, queue = [], 0.0, []
    for v in values:
        queue.append(v)
        total += v
        if len(queue) > window:
            total -= queue.pop(0)
        out.append(total / len(queue))
    return out


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: plot_run.py RUN_FOLDER [OUT.png]")
    run = sys.argv[1]
    metrics = os.path.join(run, "metrics.jsonl")
    if not os.path.exists(metrics):
        sys.exit(f"{metrics}: no such file (expected a vidssl run folder)")
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.join(run, "curves.png")
    steps, reports = read_lines(metrics)
    if not steps:
        sys.exit(f"{metrics}: no training steps recorded yet")
    learners = list(dict.fromkeys(r.get("model", "?") for r in steps))
    fig, axes = plt.subplots(len(learners), 3, figsize=(16, 4.5 * len(learners)), squeeze=False)
    for row, learner in enumerate(learners):
        mine = [r for r in steps if r.get("model", "?") == learner]
        x = [r["step"] for r in mine]
        window = max(1, len(mine) // 50)

        ax = axes[row][0]
        for key in LOSS_TERMS:
            ys = [r.get(key) for r in mine]
            if all(v is None or v == 0 for v in ys):
                continue
            ys = [math.nan if v is None else v for v in ys]
            ax.plot(x, smooth(ys, window), label=key)
        ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_title(f"{learner}: loss terms (mean of {window} steps)")
        ax.legend()

        ax = axes[row][1]
        drawn = False
        for key in METRICS:
            ys = [r.get(key) for r in mine]
            if all(v is None for v in ys):
                continue
            ax.plot(x, smooth([math.nan if v is None else v for v in ys], window), label=key)
            drawn = True
        ax.set_xlabel("step")
        ax.set_ylim(bottom=0)
        ax.set_title(f"{learner}: metrics")
        if drawn:
            ax.legend()

        ax = axes[row][2]
        def owner(stage):  # a learner's own stages are named after it ("neartofar", "neartofar-video")
            return next((name for name in learners if stage == name or stage.startswith(name + "-")), None)

        stages = sorted({r["stage"] for r in reports if owner(r["stage"]) == learner or (row == 0 and owner(r["stage"]) is None)})
        for stage in stages:
            rs = [r for r in reports if r["stage"] == stage and r.get("items_per_s") is not None]
            ax.plot([r["time"] for r in rs], [r["items_per_s"] for r in rs], label=stage)
        ax.set_xlabel("time (s)")
        ax.set_title("items per second by stage")
        if stages:
            ax.legend()

    fig.suptitle(f"{os.path.basename(os.path.normpath(run))}: {', '.join(learners)}, {len(steps)} steps")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    print(out)


if __name__ == "__main__":
    main()
