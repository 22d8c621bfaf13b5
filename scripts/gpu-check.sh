#!/usr/bin/env bash
# One script for a lent GPU machine (issue 13): on a bare machine with PyTorch, nvcc, CMake and
# ninja but no Debian package, build the core (pipeline/, models/, the core stages), its tests and
# vidssl_core_bench against the LibTorch inside python3's torch, run the core tests on CUDA, time
# every model's training step, the multi-model loop and the pipeline at 320×240 and 640×480, batch
# 1 and 8, run the reference loop (../shared/reference/gpu_loop.py) in the same sitting, and write
# $OUT/gpu-check.json and $OUT/summary.md, in at most 8 minutes.
#
#   bash scripts/gpu-check.sh --prepare   here, once: fill the carry folder third_party/gpu-check/
#                                         (git-ignored) with what the GPU machine lacks: the
#                                         Boost.Lockfree headers (from /usr/include/boost), GoogleTest's
#                                         source (/usr/src/googletest), ../shared/reference and the
#                                         KITTI left frames gpu_loop.py reads (about 20 MB)
#   bash scripts/gpu-check.sh             on the GPU machine, through the device tool:
#       run(command="bash scripts/gpu-check.sh", carry=["third_party/gpu-check"], timeout_s=560)
#   bash scripts/gpu-check.sh --no-gpu    here and in CI (.ci/run): the same phases on the CPU, small
#                                         sizes, few steps, against build-cuda/venv's LibTorch 2.x
#
# Environment: OUT (results; default a new temporary folder), VIDSSL_PYTHON (the python whose torch
# is built against; default python3, with --no-gpu build-cuda/venv/bin/python), CUDACXX (nvcc; default
# the PATH's, else /usr/local/cuda/bin/nvcc), VIDSSL_GPUCHECK_BUILD (build folder; default
# build-gpucheck).
#
# Phases, each under `timeout`, so that one stuck phase cannot eat the others' time. The benchmarks
# run before the test binaries are built, so that a slow build costs tests, not figures, and nothing
# else runs while they do. On the GPU a phase may run for its budget (s) plus whatever the phases
# before it left unused, 470 s in all:
#   env (a few s)  configure 35  build 145 (the libraries, vidssl_core_bench, the runtime's tests)
#   bench 75  reference 75  build_tests 85 (the models' and the core stages' tests)  tests 55
# A phase that fails skips the phases that need it (the reference needs none); the JSON and the
# summary are written in every case, and the script exits 1 with one line naming the first phase
# that failed. What comes back from $OUT (at most 8 files): gpu-check.json, summary.md,
# gpu-check.log, core-bench.jsonl, reference.json, ctest.xml.
#
# With --no-gpu, build_tests builds only the runtime's tests (vidssl_pipeline_tests: the carried
# Boost and GoogleTest) and tests runs those: CI builds and runs every core test against LibTorch 2.x
# in build-cuda already, and the models' tests would double the build on 2 cores.
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
carry="$root/third_party/gpu-check"

mode=gpu
case "${1:-}" in
  --prepare) mode=prepare ;;
  --no-gpu) mode=cpu ;;
  --phase) mode=phase ;;  # internal: one phase, under timeout (below)
  "") ;;
  -h | --help)
    sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 0
    ;;
  *)
    echo "gpu-check: unknown argument '$1' (expected --prepare, --no-gpu or none; --help)" >&2
    exit 2
    ;;
esac

# --- --prepare: the carry folder ------------------------------------------------------------------
prepare() {
  set -e
  local shared="$root/../shared"
  [ -f /usr/include/boost/lockfree/spsc_queue.hpp ] || { echo "gpu-check --prepare: /usr/include/boost/lockfree is missing (apt-get install libboost-dev)" >&2; exit 1; }
  [ -f /usr/src/googletest/CMakeLists.txt ] || { echo "gpu-check --prepare: /usr/src/googletest is missing (apt-get install libgtest-dev)" >&2; exit 1; }
  rm -rf "$carry"
  mkdir -p "$carry/boost"
  # The headers spsc_queue.hpp reaches, as GCC and Clang see them in C++17 and C++20, and the whole
  # of boost/config and boost/predef, which pick their headers by compiler and platform: all of
  # Boost is 160 MB, this is 3 MB.
  local list compiler std
  list="$(mktemp)"
  for compiler in g++ clang++; do
    command -v "$compiler" >/dev/null || continue
    for std in c++17 c++20; do
      echo '#include <boost/lockfree/spsc_queue.hpp>' | "$compiler" -std="$std" -M -x c++ - 2>/dev/null || true
    done
  done | tr ' \\' '\n\n' | sed -n 's|^/usr/include/\(boost/.*\)|\1|p' | sort -u >"$list"
  find /usr/include/boost/config /usr/include/boost/predef -type f | sed 's|^/usr/include/||' >>"$list"
  [ -s "$list" ] || { echo "gpu-check --prepare: no compiler listed the Boost headers" >&2; exit 1; }
  (cd /usr/include && sort -u "$list" | xargs cp --parents -t "$carry/boost")
  rm -f "$list"
  cp /usr/share/doc/libboost*-dev/copyright "$carry/boost/LICENSE" 2>/dev/null || true
  cp -r /usr/src/googletest "$carry/googletest"
  if [ -d "$shared/reference" ]; then
    mkdir -p "$carry/shared/reference" "$carry/shared/data/kitti-rural-stereo/left"
    cp "$shared/reference/"*.py "$shared/reference/"*.md "$carry/shared/reference/"
    # gpu_loop.py reads ../data/kitti-rural-stereo/left/*.png beside its own folder.
    cp "$shared/data/kitti-rural-stereo/left/"*.png "$carry/shared/data/kitti-rural-stereo/left/"
  else
    echo "gpu-check --prepare: $shared/reference not found: the GPU machine will skip the reference loop" >&2
  fi
  local bytes
  bytes=$(du -sb "$carry" | cut -f1)
  du -sh "$carry"/* | sed 's/^/  /'
  # The device tool carries 64 MiB in all, the working tree (1.3 MB) included.
  if [ "$bytes" -gt $((40 * 1024 * 1024)) ]; then
    echo "gpu-check --prepare: $carry holds $((bytes / 1048576)) MiB, over the 40 MiB kept for it" >&2
    exit 1
  fi
  echo "gpu-check --prepare: $carry ready ($((bytes / 1048576)) MiB); carry it: carry=[\"third_party/gpu-check\"]"
}

if [ "$mode" = prepare ]; then
  prepare
  exit 0
fi

# --- the phases (each runs as `gpu-check.sh --phase NAME` under timeout, with GC_* set) -----------
phase_env() {
  "$GC_PYTHON" -W ignore "$root/scripts/gpu_check_report.py" env --out "$GC_WORK/env.json" --mode "$GC_MODE" || return 1
  [ -n "$GC_CUDACXX" ] || { echo "nvcc not found: LibTorch's CMake package needs a CUDA compiler (put nvcc on the PATH or set CUDACXX)"; return 1; }
  command -v cmake >/dev/null || { echo "cmake not found"; return 1; }
  command -v c++ >/dev/null || command -v g++ >/dev/null || { echo "no C++ compiler (c++, g++) found"; return 1; }
  [ -f "$carry/boost/boost/lockfree/spsc_queue.hpp" ] && [ -f "$carry/googletest/CMakeLists.txt" ] ||
    { echo "$carry is incomplete: run 'bash scripts/gpu-check.sh --prepare' on the development machine and carry third_party/gpu-check"; return 1; }
}

phase_configure() {
  local generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  rm -rf "$GC_BUILD"
  # GTest and benchmark are kept from being found installed, so that the carried GoogleTest is
  # built even where Debian's is installed (here): --no-gpu then builds as the GPU machine does.
  # vidssl compiles no CUDA code, but LibTorch's package enables the CUDA language, whose check
  # compiles with nvcc: a host compiler newer than nvcc knows must not stop the build there.
  PATH="$(dirname "$GC_CUDACXX"):$PATH" CUDACXX="$GC_CUDACXX" cmake -S "$root" -B "$GC_BUILD" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CUDA_FLAGS=-allow-unsupported-compiler -DVIDSSL_CORE_ONLY=ON -DVIDSSL_TSAN_TESTS=OFF \
    -DCMAKE_PREFIX_PATH="$GC_TORCH_DIR" \
    -DVIDSSL_BOOST_INCLUDE="$carry/boost" -DVIDSSL_GTEST_SOURCE="$carry/googletest" \
    -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON || return 1
  local boost
  boost=$(sed -n 's/^VIDSSL_BOOST_LOCKFREE_DIR:[A-Z]*=//p' "$GC_BUILD/CMakeCache.txt")
  [ "$boost" = "$carry/boost" ] || { echo "Boost.Lockfree was taken from '$boost', not from the carried $carry/boost"; return 1; }
  grep -q "^gtest_SOURCE_DIR:STATIC=$carry/googletest/googletest$" "$GC_BUILD/CMakeCache.txt" ||
    { echo "GoogleTest was not built from the carried $carry/googletest"; return 1; }
  grep -q '^TORCH_LIBRARY:FILEPATH=' "$GC_BUILD/CMakeCache.txt" && sed -n 's/^\(TORCH_LIBRARY\|CMAKE_CXX_COMPILER\|CMAKE_CUDA_COMPILER\):[A-Z]*=/  \1 = /p' "$GC_BUILD/CMakeCache.txt"
}

build_targets() {
  # shellcheck disable=SC2086
  cmake --build "$GC_BUILD" -j "$GC_JOBS" --target "$@" || return 1
  # Nothing may come from the development machine's packages: a header the carry lacks would be found
  # in /usr/include here, and be missing on the GPU machine.
  if [ -f "$GC_BUILD/build.ninja" ]; then
    local stray
    stray=$(cd "$GC_BUILD" && ninja -t deps | grep -E '^ +/usr/(local/)?include/(boost|gtest|gmock|benchmark|opencv4|yaml-cpp|spdlog|fmt|CLI|libav[a-z]*|libsw[a-z]*|torch|ATen|c10)/' | sort -u | head -5)
    if [ -n "$stray" ]; then
      echo "headers from the machine's packages were compiled in:"
      echo "$stray"
      return 1
    fi
    echo "every Boost and GoogleTest header came from $carry; no OpenCV, FFmpeg, yaml-cpp or system LibTorch header was read"
  fi
}

phase_build() {
  if [ "$GC_MODE" = gpu ]; then
    build_targets vidssl_core_bench vidssl_pipeline_tests
  else
    build_targets vidssl_core_bench
  fi
}

phase_build_tests() {
  if [ "$GC_MODE" = gpu ]; then
    build_targets vidssl_models_tests vidssl_stages_core_tests
  else
    build_targets vidssl_pipeline_tests
  fi
}

phase_tests() {
  local args=(-L core -j "$GC_JOBS" --timeout 60 --output-on-failure --output-junit "$GC_WORK/ctest.xml")
  if [ "$GC_MODE" = gpu ]; then
    # The learning tests train on the CPU alone for 30-90 s each (5 of the 7.5 minutes the core
    # tests take on one core here): nothing in them runs on CUDA, and CI runs them.
    args+=(-E '^(SlowSparseLearning|LinearizeLearning)[.]')
  else
    args+=(-R '^(Mailbox|Pipeline|SimulatedClock|SpscQueue|StageStats)[.]')  # vidssl_pipeline_tests
  fi
  ctest --test-dir "$GC_BUILD" "${args[@]}"
}

phase_bench() {
  local bench=("$GC_BUILD/bench/vidssl_core_bench" --out "$GC_WORK/core-bench.jsonl")
  rm -f "$GC_WORK/core-bench.jsonl"
  if [ "$GC_MODE" = gpu ]; then
    # The reference's models (gpu_loop.py): 64 filters each, k = 3 δ-steps.
    "${bench[@]}" --device cuda --sizes 320x240,640x480 --batches 1,8 --steps 15 --frames 30 --warmup 3 --seconds 1.5 \
      --slow-filters 64 --linearize-filters 64 --delta-steps 3 || return 1
    # run.precision: bf16, the training steps alone (their lines say "precision": "bf16").
    "${bench[@]}" --device cuda --sizes 320x240,640x480 --batches 1,8 --steps 10 --warmup 3 --seconds 1 \
      --slow-filters 64 --linearize-filters 64 --delta-steps 3 --only train_step --precision bf16 || return 1
    # Which decoder convolution the models should use on this device (bench/core_benchmark.cpp).
    "${bench[@]}" --device cuda --sizes 320x240,640x480 --batches 1,8 --steps 10 --warmup 3 --seconds 0.5 \
      --slow-filters 64 --only decoder_conv
  else
    # cpu_loop.py's: Model A 32 filters, Model B 64 filters and k = 5.
    "${bench[@]}" --device cpu --sizes 160x120,128x96 --batches 1,2 --steps 2 --frames 3 --warmup 1 --seconds 2 \
      --slow-filters 32 --linearize-filters 64 --delta-steps 5 || return 1
    "${bench[@]}" --device cpu --sizes 128x96 --batches 1 --steps 2 --warmup 1 --seconds 2 \
      --slow-filters 32 --linearize-filters 64 --delta-steps 5 --only train_step --precision bf16 || return 1
    "${bench[@]}" --device cpu --sizes 128x96 --batches 1 --steps 2 --warmup 1 --seconds 1 --slow-filters 32 --only decoder_conv
  fi
}

phase_reference() {
  local ref=""
  for dir in "$root/../shared/reference" "$carry/shared/reference"; do
    if [ -f "$dir/gpu_loop.py" ]; then
      ref="$dir"
      break
    fi
  done
  if [ -z "$ref" ]; then
    echo "skipped: neither ../shared/reference nor $carry/shared/reference exists (run --prepare on the development machine and carry third_party/gpu-check)"
    return 3
  fi
  echo "reference loop from $ref"
  rm -f "$GC_WORK/reference.json"
  if [ "$GC_MODE" = gpu ]; then
    # The eager loop only (no CUDA graphs, no torch.compile) in the core bench's four configurations,
    # 80 timed frames each (5-15 s a configuration on an H100). gpu_loop.py starts a configuration
    # while 40 s of its budget are left: with this budget, until 20 s before this phase's limit. A
    # configuration that would overrun is stopped by the limit; those before it are saved.
    PYTHONUNBUFFERED=1 "$GC_PYTHON" -W ignore "$ref/gpu_loop.py" --configs 320x240x1,320x240x8,640x480x1,640x480x8 \
      --variants eager --extras "" --frames 80 --budget_s $((GC_LIMIT + 20)) --out "$GC_WORK" --tag reference || return 1
    mv "$GC_WORK/results_reference.json" "$GC_WORK/reference.json"
  else
    # All three models at the bench's smaller size, on every core, one timed frame after two warm-up frames.
    PYTHONUNBUFFERED=1 "$GC_PYTHON" -W ignore "$ref/cpu_loop.py" 128 96 "$GC_JOBS" 1 slow+linearize+neartofar >"$GC_WORK/reference.json" ||
      return 1
    cat "$GC_WORK/reference.json"
  fi
}

if [ "$mode" = phase ]; then
  "phase_$2"
  exit $?
fi

# --- the driver ------------------------------------------------------------------------------------
started=$(date +%s)
export GC_MODE="$mode"
export GC_BUILD="${VIDSSL_GPUCHECK_BUILD:-$root/build-gpucheck}"
case "$GC_BUILD" in /*) ;; *) GC_BUILD="$root/$GC_BUILD" ;; esac
export GC_WORK="$GC_BUILD-results"
export GC_JOBS="$(nproc)"
OUT="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/gpu-check.XXXXXX")}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
rm -rf "$GC_WORK"
mkdir -p "$GC_WORK"
log="$GC_WORK/gpu-check.log"
: >"$log"

names=(env configure build bench reference build_tests tests)
if [ "$mode" = gpu ]; then
  export GC_PYTHON="${VIDSSL_PYTHON:-python3}"
  budgets=(0 35 145 75 75 85 55)
else
  export GC_PYTHON="${VIDSSL_PYTHON:-$root/build-cuda/venv/bin/python}"
  budgets=(0 300 3000 400 180 1200 300)  # 2 cores shared with other builds: ceilings, not plans
fi
if ! command -v "$GC_PYTHON" >/dev/null && [ ! -x "$GC_PYTHON" ]; then
  echo "gpu-check: FAILED at phase env: python '$GC_PYTHON' not found (set VIDSSL_PYTHON; with --no-gpu run scripts/setup.sh --cuda first)" | tee -a "$log"
  exit 1
fi
GC_CUDACXX="${CUDACXX:-$(command -v nvcc || true)}"
[ -n "$GC_CUDACXX" ] || [ ! -x /usr/local/cuda/bin/nvcc ] || GC_CUDACXX=/usr/local/cuda/bin/nvcc
export GC_CUDACXX
export GC_TORCH_DIR="$("$GC_PYTHON" -W ignore -c 'import os, torch; print(os.path.dirname(torch.__file__))' 2>/dev/null || true)"
total=0
for b in "${budgets[@]}"; do total=$((total + b)); done
deadline=$((started + total + 10))  # 10 s for env and the report

status_of() {  # a phase's recorded status
  local n
  for n in "${!names[@]}"; do [ "${names[$n]}" = "$1" ] && { echo "${statuses[$n]:-}"; return; }; done
}

statuses=()
first_failure=""
printf 'phase\tstatus\tseconds\tlimit_s\tnote\n' >"$GC_WORK/phases.tsv"
for i in "${!names[@]}"; do
  name="${names[$i]}"
  # Skip a phase whose prerequisite did not pass.
  need=""
  case "$name" in
    configure) need=env ;;
    build) need=configure ;;
    bench | build_tests) need=build ;;
    tests) need=build_tests ;;
    reference) need=env ;;
  esac
  if [ -n "$need" ] && [ "$(status_of "$need")" != ok ]; then
    statuses[$i]=skipped
    printf '%s\tskipped\t0\t0\t%s did not pass\n' "$name" "$need" >>"$GC_WORK/phases.tsv"
    echo "== $name: skipped ($need did not pass)" | tee -a "$log"
    continue
  fi
  # Its own budget, and whatever the phases before it left unused.
  later=0
  for ((j = i + 1; j < ${#names[@]}; j++)); do later=$((later + budgets[j])); done
  limit=$((deadline - $(date +%s) - later))
  [ "$name" != env ] || limit=60
  [ "$limit" -ge 5 ] || limit=5
  echo "== $name (limit ${limit} s)" | tee -a "$log"
  t0=$(date +%s.%N)
  GC_LIMIT="$limit" timeout --kill-after=10 "$limit" bash "$0" --phase "$name" 2>&1 | tee "$GC_WORK/phase.log"
  rc=${PIPESTATUS[0]}
  cat "$GC_WORK/phase.log" >>"$log"
  last_line=$(grep -v '^[[:space:]]*$' "$GC_WORK/phase.log" | tail -n 1 | cut -c 1-160 | tr '\t' ' ')
  seconds=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  note=""
  if [ "$rc" = 0 ]; then
    st=ok
  elif [ "$name" = reference ] && [ "$rc" = 3 ]; then
    st=skipped
    note="no reference loop carried"
  elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    st=timeout
    note="stopped after ${limit} s"
  else
    st=failed
    note="exit $rc: $last_line"
  fi
  statuses[$i]=$st
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$st" "$seconds" "$limit" "$note" >>"$GC_WORK/phases.tsv"
  echo "== $name: $st in $seconds s${note:+ ($note)}" | tee -a "$log"
  if [ "$st" = failed ] || [ "$st" = timeout ]; then
    [ -n "$first_failure" ] || first_failure="$name ($note)"
  fi
done

report_python=python3
command -v python3 >/dev/null || report_python="$GC_PYTHON"
"$report_python" -W ignore "$root/scripts/gpu_check_report.py" report --work "$GC_WORK" --out "$OUT" --mode "$mode" \
  --seconds $(($(date +%s) - started)) --failed "$first_failure" >>"$log" 2>&1
rc=$?
cp "$log" "$OUT/gpu-check.log"
if [ "$rc" != 0 ]; then
  tail -n 20 "$log"
  echo "gpu-check: FAILED at phase report (exit $rc); see $OUT/gpu-check.log"
  exit 1
fi
cat "$OUT/summary.md"
echo
if [ -n "$first_failure" ]; then
  echo "gpu-check: FAILED at phase $first_failure; see $OUT/gpu-check.log"
  exit 1
fi
echo "gpu-check: passed in $(($(date +%s) - started)) s; results in $OUT"
