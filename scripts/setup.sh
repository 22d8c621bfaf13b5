#!/usr/bin/env bash
# Installs every Debian package vidssl needs (a no-op when all are present), then configures and
# builds. Both README commands call this, so a fresh Debian 12 machine needs nothing else.
#   bash scripts/setup.sh [--cuda] [TARGET...]
#   TARGET...          what to build (default: everything, every test and benchmark included)
#   --cuda             build against PyTorch's CUDA LibTorch 2.x instead of Debian's LibTorch 1.13
#                      (CPU): pip installs $VIDSSL_TORCH into a virtual environment in the build
#                      folder (build-cuda/venv), and CMake compiles with nvcc (on the PATH, in
#                      /usr/local/cuda/bin, or $CUDACXX)
#   VIDSSL_BUILD_DIR   build folder (default: build, or build-cuda with --cuda)
#   VIDSSL_CMAKE_ARGS  extra arguments for cmake's configure step
#   VIDSSL_TORCH       with --cuda, what pip installs (default: torch==2.15.0, CUDA 13.2, with the
#                      nvidia-* CUDA libraries it was built with: 2.8 GB)
set -euo pipefail
cd "$(dirname "$0")/.."

cuda=0
if [ "${1:-}" = "--cuda" ]; then
  cuda=1
  shift
fi

# libopenblas0-openmp replaces the reference BLAS that Debian's LibTorch otherwise links (through
# the libblas.so.3 alternative): matrix products 5-10x faster, and it shares LibTorch's libgomp.
packages=(
  build-essential cmake ninja-build pkg-config ccache
  libboost-dev libgtest-dev libgmock-dev libbenchmark-dev
  libopencv-dev libavformat-dev libavcodec-dev libavdevice-dev libavutil-dev libswscale-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev libgloo-dev
  ffmpeg opencv-doc xvfb xauth x11-apps imagemagick
  python3 python3-matplotlib
  clang libclang-rt-dev
)
if [ "$cuda" = 1 ]; then
  packages+=(python3-venv)
else
  packages+=(libtorch-dev libopenblas0-openmp python3-torch)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake_args=(-DCMAKE_BUILD_TYPE=Release)
if [ "$cuda" = 1 ]; then
  build="${VIDSSL_BUILD_DIR:-build-cuda}"
  # The CUDA LibTorch's CMake package enables the CUDA language: CMake must find nvcc.
  if [ -z "${CUDACXX:-}" ]; then
    CUDACXX="$(command -v nvcc || true)"
    [ -n "$CUDACXX" ] || [ ! -x /usr/local/cuda/bin/nvcc ] || CUDACXX=/usr/local/cuda/bin/nvcc
  fi
  if [ -z "$CUDACXX" ]; then
    echo "setup: nvcc not found: install the CUDA toolkit, put its bin/ on the PATH or set CUDACXX" >&2
    exit 1
  fi
  export CUDACXX
  venv="$build/venv"
  # Debian 12's python3 is 3.11, the oldest that torch 2.15 installs on.
  [ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --no-cache-dir --progress-bar off --disable-pip-version-check "${VIDSSL_TORCH:-torch==2.15.0}"
  # The torch package folder, not torch.utils.cmake_prefix_path (its share/cmake): only with the
  # folder itself does CMake find libc10.so there before Debian's (cmake/VidsslDependencies.cmake).
  torch_dir="$("$venv/bin/python" -W ignore -c 'import os, torch; print(os.path.dirname(torch.__file__))')"
  cmake_args+=("-DCMAKE_PREFIX_PATH=$torch_dir")
else
  build="${VIDSSL_BUILD_DIR:-build}"
fi

# shellcheck disable=SC2086
cmake -S . -B "$build" -G Ninja "${cmake_args[@]}" ${VIDSSL_CMAKE_ARGS:-} >/dev/null
targets=()
[ $# -eq 0 ] || targets=(--target "$@")
cmake --build "$build" -j "$(nproc)" "${targets[@]}"
