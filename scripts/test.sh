#!/usr/bin/env bash
# Sets up and builds (scripts/setup.sh), then runs the whole test suite on every core.
# Extra arguments go to ctest, e.g.  bash scripts/test.sh -R Slow
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
build="${VIDSSL_BUILD_DIR:-build}"
ctest --test-dir "$build" -j "$(nproc)" --output-on-failure --timeout 900 "$@"
