#!/usr/bin/env bash
# Resident memory of a long run: trains Model A on an endless live stream (FFmpeg testsrc) with a checkpoint
# every 50 steps (each copies the replay buffer out to be saved) and samples the process's RSS.
#   bash bench/rss_soak.sh [SECONDS [OUT [--set KEY=VALUE]...]]   (default 600 s; OUT: a folder,
#                                                                  default a temp one; --set: more keys)
# Prints one line per sample ("t_s rss_mb") and, at the end, the growth after the first minute
# (means of the second and of the last minute), the figure docs/benchmarks.md records. Needs build/vidssl.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
out="${2:-$(mktemp -d)}"
mkdir -p "$out"
build/vidssl run configs/clip-slow.yaml --display none --out "$out/run" \
  --set source.path=lavfi:testsrc=size=160x120:rate=30 \
  --set models.slow.train.checkpoint_every=50 --set run.threads=1 "${@:3}" > "$out/run.log" 2>&1 &
pid=$!
end=$((SECONDS + seconds))
: > "$out/rss.txt"
while [ $SECONDS -lt $end ] && kill -0 "$pid" 2>/dev/null; do
  rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  echo "$SECONDS $((rss_kb / 1024))" | tee -a "$out/rss.txt"
  sleep 10
done
kill -INT "$pid" 2>/dev/null || true
wait "$pid" || true
# RSS swings by tens of MB within a checkpoint's cycle, so one sample against another says little:
# the growth is the mean of the last minute's samples against the mean of the minute after the first.
awk -v seconds="$seconds" '$1 >= 60 && $1 < 120 { a += $2; na++ } $1 >= seconds - 60 { b += $2; nb++ } { if ($2 > peak) peak = $2 }
  END { printf "rss mean 60-120 s %.0f MB, mean of the last minute %.0f MB, peak %d MB: growth %.1f %%\n", a / na, b / nb, peak, 100 * (b / nb - a / na) / (a / na) }' "$out/rss.txt"
grep -c '"step"' "$out/run/metrics.jsonl" | xargs -I{} echo "{} steps; checkpoints every 50: $out/run/slow/checkpoints"
