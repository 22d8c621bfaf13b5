#!/usr/bin/env bash
# Data-parallel scaling on this machine (issue 15): `vidssl launch -n N` for N = 1, 2 and 4 ranks of
# a model on a folder of N copies of vtest.avi (each rank its own clip), each rank with `run.threads`
# = cores / N (at least 1: the ranks share the cores), each run STEPS steps long.
#   bash bench/data_parallel.sh [MODEL [STEPS [CONFIG]]]   (default slow, 100, configs/clip-slow.yaml)
# Prints one JSON line per run: ranks, threads per rank, steps/s of one rank (every rank steps in
# lockstep), clips/s of the whole run (steps/s × ranks × batch: what data parallelism buys), the
# bytes each rank all-reduces per step and the share of the run rank 0 spent in exchanges (waiting
# for the others included). Needs build/vidssl and opencv-doc's vtest.avi.
set -euo pipefail
cd "$(dirname "$0")/.."
model="${1:-slow}"
steps="${2:-100}"
config="${3:-configs/clip-slow.yaml}"
clip=/usr/share/doc/opencv-doc/examples/data/vtest.avi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cores="$(nproc)"
batch="$(grep -A40 "^  $model:" "$config" | awk '/ batch:/ {print $2; exit}')"  # the model's train.batch
batch="${batch:-4}"
for ranks in 1 2 4; do
  mkdir -p "$work/clips$ranks"
  for i in $(seq 1 "$ranks"); do ln -sf "$clip" "$work/clips$ranks/c$i.avi"; done
  threads=$(( cores / ranks > 0 ? cores / ranks : 1 ))
  log="$work/r$ranks-t$threads.log"
  build/vidssl launch -n "$ranks" "$config" --display none --out "$work/r$ranks-t$threads" \
    --set source.path="$work/clips$ranks" --set "models.$model.train.max_steps=$steps" \
    --set "models.$model.train.checkpoint_every=0" --set run.threads="$threads" > "$log" 2>&1
  rate="$(grep -m1 -E "info $model: [0-9]+ frames, [0-9]+ steps in" "$log" | sed -E 's/.*\(([0-9.]+) steps\/s\).*/\1/')"
  dist="$(grep -E "info $model: rank 0 of" "$log" || true)"
  kb="$(echo "$dist" | sed -nE 's/.*, ([0-9.]+) KB all-reduced.*/\1/p')"
  share="$(echo "$dist" | sed -nE 's/.*\(([0-9]+) % of the run\).*/\1/p')"
  echo "{\"model\": \"$model\", \"ranks\": $ranks, \"threads_per_rank\": $threads, \"steps_per_s\": $rate," \
       "\"clips_per_s\": $(awk -v r="$rate" -v n="$ranks" -v b="$batch" 'BEGIN {printf "%.1f", r * n * b}')," \
       "\"kb_per_step\": ${kb:-0}, \"exchange_share_pct\": ${share:-0}}"
done
