#!/usr/bin/env bash
# Fuzzes a parser with libFuzzer (clang), AddressSanitizer and UBSan, from its committed corpus.
#   bash scripts/fuzz.sh y4m|config [SECONDS]     (default 60)
#   y4m      the YUV4MPEG2 reader (tests/fuzz/y4m_reader_fuzz.cpp)
#   config   the config reader: duplicate keys, alias bombs, depth, odd keys, one-line messages
#            (tests/fuzz/config_reader_fuzz.cpp)
# Seeds are tests/fuzz/corpus/<target>/; what the run finds new goes to build/fuzz-<target>/corpus.
# A finding (crash, sanitizer report, an input slower than 10 s, over 2 GB) fails the script and
# is written to build/fuzz-<target>/ as crash-*, timeout-* or oom-*; replay one with
#   build/fuzz-<target>/fuzz build/fuzz-<target>/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:?usage: scripts/fuzz.sh y4m|config [SECONDS]}"
seconds="${2:-60}"
flags=(-std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I.)
case "$target" in
  y4m) sources=(tests/fuzz/y4m_reader_fuzz.cpp stages/y4m_reader.cpp stages/y4m_header.cpp); libs=() ;;
  config) sources=(tests/fuzz/config_reader_fuzz.cpp stages/config_reader.cpp); libs=(-lyaml-cpp) ;;
  *) echo "fuzz: unknown target '$target' (y4m or config)" >&2; exit 2 ;;
esac
out="${VIDSSL_BUILD_DIR:-build}/fuzz-$target"
mkdir -p "$out/corpus"
clang++ "${flags[@]}" "${sources[@]}" "${libs[@]}" -o "$out/fuzz"
# The committed seeds first, then what earlier runs found; new finds go to the second folder.
"$out/fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
  -artifact_prefix="$out/" "$out/corpus" "tests/fuzz/corpus/$target"
