#!/usr/bin/env bash
# Resident memory of a long run: trains Model A on an endless live stream (FFmpeg testsrc) with a checkpoint
# every 50 steps (each copies the replay buffer out to be saved) and samples the process's RSS.
#   bash bench/rss_soak.sh [SECONDS [OUT [--set KEY=VALUE]...]]   (default 600 s; OUT: a folder,
#                                                                  default a temp one; --set: more keys)
# Prints one line per sample ("t_s rss_mb") and, at the end, the growth after the first minute (a
# fitted line: see below), the figure docs/benchmarks.md records. Needs build/vidssl.
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
# RSS swings by up to 150 MB within a checkpoint's cycle (the heap trimmed after each checkpoint, the
# step's buffers faulted back in), so one sample against another, or one minute's mean against
# another's (± 5 % between two such means), says little. The growth is the least-squares line through
# every sample after the first minute, its rise over that span against the samples' mean; the two
# minutes' means are printed beside it.
awk -v seconds="$seconds" '$1 >= 60 { n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2; if (n == 1) t0 = $1; t1 = $1 }
  $1 >= 60 && $1 < 120 { a += $2; na++ } $1 >= seconds - 60 { b += $2; nb++ } { if ($2 > peak) peak = $2 }
  END { slope = (n * sxy - sx * sy) / (n * sxx - sx * sx); mean = sy / n
        printf "rss after the first minute: mean %.0f MB, fitted rise %.1f MB over %d s: growth %.1f %% (means of the second and of the last minute %.0f and %.0f MB: %.1f %%), peak %d MB\n",
               mean, slope * (t1 - t0), t1 - t0, 100 * slope * (t1 - t0) / mean, a / na, b / nb, 100 * (b / nb - a / na) / (a / na), peak }' "$out/rss.txt"
grep -c '"step"' "$out/run/metrics.jsonl" | xargs -I{} echo "{} steps; checkpoints every 50: $out/run/slow/checkpoints"
