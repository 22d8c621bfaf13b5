#!/usr/bin/env bash
# Installs every Debian package vidssl needs (a no-op when all are present), then configures and
# builds into build/. Both README commands call this, so a fresh Debian 12 machine needs nothing else.
#   VIDSSL_BUILD_DIR   build folder (default: build)
#   VIDSSL_CMAKE_ARGS  extra arguments for cmake's configure step
set -euo pipefail
cd "$(dirname "$0")/.."

# libopenblas0-openmp replaces the reference BLAS that Debian's LibTorch otherwise links (through
# the libblas.so.3 alternative): matrix products 5-10x faster, and it shares LibTorch's libgomp.
packages=(
  build-essential cmake ninja-build pkg-config ccache
  libtorch-dev libopenblas0-openmp libboost-dev libgtest-dev libgmock-dev libbenchmark-dev
  libopencv-dev libavformat-dev libavcodec-dev libavdevice-dev libavutil-dev libswscale-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev
  ffmpeg opencv-doc xvfb xauth x11-apps imagemagick
  python3 python3-torch python3-matplotlib
)

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

build="${VIDSSL_BUILD_DIR:-build}"
# shellcheck disable=SC2086
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release ${VIDSSL_CMAKE_ARGS:-} >/dev/null
cmake --build "$build" -j "$(nproc)"
