#!/usr/bin/env bash
# The demo: sets up and builds the vidssl program alone (scripts/setup.sh vidssl: no tests), then
# trains Model A (slow & sparse features) online on vtest.avi for its 795 frames. With a display it
# opens a live window; without one it writes display.avi into the run folder and prints where.
# Extra arguments go to `vidssl run`, e.g.  bash scripts/demo.sh --display png:/tmp/frames --max-frames 200
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh vidssl
build="${VIDSSL_BUILD_DIR:-build}"
out="runs/demo-$(date +%Y%m%d-%H%M%S)"
"$build/vidssl" run configs/clip-slow.yaml --out "$out" "$@"
echo "run folder: $out  (curves: $build/vidssl plot $out; eval: $build/vidssl eval --checkpoint $out --source /usr/share/doc/opencv-doc/examples/data/box.mp4)"
