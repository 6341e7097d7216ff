#!/usr/bin/env bash
# Run HERE (a Debian machine with network), before a GPU call: downloads into .debs/ the
# Debian packages that fovea's build needs and that the GPU machine's image lacks (it has
# CUDA, cuDNN's wheel, CMake, ninja and g++, but none of these, and no network). The
# headers and libraries come from Debian 12, whose glibc (2.36) is older than the GPU
# image's, so its shared libraries load there.
#
#   scripts/gpu-deps.sh                          # once per session; .debs/ is git-ignored
#   run(carry=[".debs"], command="scripts/gpu-check.sh")
#
# scripts/gpu-check.sh unpacks them into a prefix (never into /, which they could break) and
# points CMake and the loader at it. Found by CMake's find_package or find_path/find_library
# (cmake/dependencies.cmake), so no pkg-config is needed. The runtime libraries below are
# the closure of the shared ones (fmt, yaml-cpp, stb, benchmark, cairo) minus glibc,
# libstdc++ and zlib, which every image has.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEBS="${FOVEA_DEBS:-$ROOT/.debs}"
PACKAGES=(
  # header-only
  libeigen3-dev nlohmann-json3-dev libcli11-dev
  # compiled, with their shared libraries
  libfmt-dev libfmt9 libyaml-cpp-dev libyaml-cpp0.7 libstb-dev libstb0 zlib1g-dev
  libgtest-dev libbenchmark-dev libbenchmark1debian
  # cairo for the PNG charts, and what libcairo.so.2 loads
  libcairo2-dev libcairo2 libpixman-1-0 libfontconfig1 fontconfig-config libfreetype6
  libpng16-16 libx11-6 libx11-data libxcb1 libxcb-render0 libxcb-shm0 libxext6 libxrender1
  libxau6 libxdmcp6 libexpat1 libbrotli1 libbsd0 libmd0 libuuid1
)
mkdir -p "$DEBS"
cd "$DEBS"
rm -f ./*.deb
apt-get download "${PACKAGES[@]}" 2>&1 | grep -v "^W: Download is performed unsandboxed" || true
echo "$(ls ./*.deb | wc -l) packages, $(du -sh . | cut -f1), in $DEBS"
