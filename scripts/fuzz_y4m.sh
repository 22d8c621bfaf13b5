#!/usr/bin/env bash
# Fuzzes the Y4M parser with libFuzzer (clang), AddressSanitizer and UBSan.
#   bash scripts/fuzz_y4m.sh [SECONDS]     (default 60; needs clang with libFuzzer)
# Crashing inputs are written to build/fuzz-y4m/ as crash-*; replay one with
#   build/fuzz-y4m/y4m_reader_fuzz build/fuzz-y4m/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
out="${VIDSSL_BUILD_DIR:-build}/fuzz-y4m"
mkdir -p "$out/corpus"
clang++ -std=c++17 -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -I. \
  tests/fuzz/y4m_reader_fuzz.cpp stages/y4m_reader.cpp stages/y4m_header.cpp -o "$out/y4m_reader_fuzz"
# Seeds: one small valid file per colour space.
printf 'YUV4MPEG2 W4 H2 F25:1 Ip A1:1 C420jpeg\nFRAME\n%012d' 0 > "$out/corpus/seed420"
printf 'YUV4MPEG2 W3 H2 F30000:1001 Cmono\nFRAME\nabcdefFRAME\nghijkl' > "$out/corpus/seedmono"
printf 'YUV4MPEG2 W2 H1 C444 XYSCSS=444\nFRAME\nabcdef' > "$out/corpus/seed444"
cd "$out"
./y4m_reader_fuzz -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 corpus
