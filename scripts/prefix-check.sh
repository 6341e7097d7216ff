#!/usr/bin/env bash
# The GPU machine's build, rehearsed here (./test.sh runs this before ctest): downloads the
# Debian packages of scripts/gpu-deps.sh, unpacks them into a fresh prefix exactly as
# scripts/gpu-check.sh does there (scripts/gpu-deps.sh --unpack), configures fovea with
# gpu-check.sh's options against that prefix ALONE, and compiles one C++ file and one CUDA
# file of it. A missing package, a CMake config that points outside the prefix, or a header
# that only this machine's /usr/include supplies then fails here, not in a device call.
#
#   scripts/prefix-check.sh          # about 30-60 s on 2 cores (a configure, two objects)
#
# "Alone": CMake's system and environment search paths and package registries are switched
# off (CMAKE_FIND_USE_*=OFF), so find_package/find_path/find_library see only
# CMAKE_PREFIX_PATH=<prefix>/usr and the explicit hints (the CUDA toolkit and cuDNN, which
# the GPU machine has). Afterwards every third-party path CMake resolved must lie in the
# prefix, and the compiler's dependency lists must show the prefix's headers and none of
# this machine's copies of them (this machine has the same packages installed: a header
# read from /usr/include would pass here and fail there).
#
# Skips (exit 0, with a message) when the packages cannot be downloaded (no network), or
# when SKIP_PREFIX_CHECK=1. Without nvcc it still checks the C++ half. First, offline, it
# checks that gpu-check.sh's memcheck table still covers every kernels/cuda/*.cu file.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${FOVEA_PREFIX_CHECK_DIR:-${FOVEA_BUILD:-$ROOT/build}/prefix-check}"
PREFIX="$WORK/prefix"
BUILD="$WORK/build"
# One C++ file and one CUDA file, chosen for the packages their headers reach: yaml-cpp,
# fmt and the engine's headers; the CUDA runtime, cuBLAS(Lt), cuDNN and fmt.
CXX_SOURCE="${PREFIX_CHECK_CXX:-train/config.cpp}"
CUDA_SOURCE="${PREFIX_CHECK_CU:-kernels/cuda/copy.cu}"
start=$SECONDS

say() { printf 'prefix-check: %s\n' "$*"; }
fail() {
  printf 'prefix-check: FAIL: %s\n' "$@" >&2
  exit 1
}
if [ "${SKIP_PREFIX_CHECK:-0}" = 1 ]; then
  say "SKIPPED (SKIP_PREFIX_CHECK=1)"
  exit 0
fi

# 0. The memcheck table of gpu-check.sh covers every kernels/cuda/*.cu file, and each of its
# gtest filters matches a cuda-tier test (no network, no build needed: a second).
"$ROOT/scripts/gpu-check.sh" --check-table || fail "scripts/gpu-check.sh's MEMCHECK_TABLE is out of date"

# 1. The packages, as scripts/gpu-deps.sh downloads them for the GPU machine.
rc=0
"$ROOT/scripts/gpu-deps.sh" || rc=$?
case $rc in
  0) ;;
  3)
    say "SKIPPED: the Debian packages could not be downloaded (no network?), so the GPU machine's prefix was not rehearsed"
    exit 0
    ;;
  *) fail "scripts/gpu-deps.sh failed (exit $rc): the GPU machine would lack a package" ;;
esac

# 2. A fresh prefix, unpacked as gpu-check.sh unpacks it.
say "$((SECONDS - start)) s: unpacking"
"$ROOT/scripts/gpu-deps.sh" --unpack "$PREFIX" || fail "scripts/gpu-deps.sh --unpack failed"

# 3. Configure against the prefix alone, with gpu-check.sh's options.
# With PATH out of CMake's search, the tools are named explicitly.
tools=(-DCMAKE_CXX_COMPILER="$(command -v "${CXX:-c++}")")
nvcc="$(command -v nvcc || { [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc; } || true)"
cuda=OFF
[ -n "$nvcc" ] && cuda=ON && tools+=(-DCMAKE_CUDA_COMPILER="$nvcc")
generator=()
command -v ninja >/dev/null && generator=(-G Ninja -DCMAKE_MAKE_PROGRAM="$(command -v ninja)")
if command -v ccache >/dev/null; then
  tools+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$(command -v ccache)")
  [ $cuda = ON ] && tools+=(-DCMAKE_CUDA_COMPILER_LAUNCHER="$(command -v ccache)")
fi
rm -rf "$BUILD"
say "$((SECONDS - start)) s: configuring against $PREFIX alone (FOVEA_CUDA=$cuda)"
if ! cmake -S "$ROOT" -B "$BUILD" "${generator[@]}" "${tools[@]}" \
  -DCMAKE_BUILD_TYPE=Release -DFOVEA_CUDA=$cuda -DCMAKE_CUDA_ARCHITECTURES=90 \
  -DFOVEA_BUILD_TESTS=ON -DFOVEA_BUILD_BENCH=ON \
  -DCMAKE_PREFIX_PATH="$PREFIX/usr" \
  -DCMAKE_FIND_USE_CMAKE_SYSTEM_PATH=OFF -DCMAKE_FIND_USE_SYSTEM_ENVIRONMENT_PATH=OFF \
  -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF -DCMAKE_FIND_USE_SYSTEM_PACKAGE_REGISTRY=OFF \
  >"$WORK/configure.log" 2>&1; then
  grep -E "CMake Error|Could not find|not found" -A4 "$WORK/configure.log" | head -40 >&2
  fail "configuring against the prefix alone failed (log: $WORK/configure.log)"
fi

# 4. Every third-party location CMake resolved lies in the prefix.
outside=()
while IFS='=' read -r key value; do
  [ -n "$value" ] || continue
  case "$value" in "$PREFIX"/*) ;; *) outside+=("${key%%:*}=$value") ;; esac
done < <(grep -E '^(Eigen3_DIR|nlohmann_json_DIR|fmt_DIR|CLI11_DIR|yaml-cpp_DIR|GTest_DIR|benchmark_DIR|STB_INCLUDE_DIR|STB_LIBRARY|TURBOJPEG_INCLUDE_DIR|TURBOJPEG_LIBRARY|CAIRO_INCLUDE_DIR|CAIRO_LIBRARY|ZLIB_INCLUDE_DIR):' \
  "$BUILD/CMakeCache.txt")
[ ${#outside[@]} -eq 0 ] || fail "CMake resolved these outside the prefix:" "${outside[@]}"
found=$(grep -cE '^(Eigen3_DIR|nlohmann_json_DIR|fmt_DIR|CLI11_DIR|yaml-cpp_DIR|GTest_DIR|benchmark_DIR|STB_INCLUDE_DIR|STB_LIBRARY|TURBOJPEG_INCLUDE_DIR|TURBOJPEG_LIBRARY|CAIRO_INCLUDE_DIR|CAIRO_LIBRARY|ZLIB_INCLUDE_DIR):[^=]*=.+' "$BUILD/CMakeCache.txt" || true)
[ "$found" -eq 14 ] || fail "expected 14 resolved third-party entries in CMakeCache.txt, found $found"

# 5. Compile one C++ and one CUDA object of libfovea, then read what they included.
objects=("CMakeFiles/fovea.dir/$CXX_SOURCE.o")
[ $cuda = ON ] && objects+=("CMakeFiles/fovea.dir/$CUDA_SOURCE.o")
say "$((SECONDS - start)) s: compiling ${objects[*]##*/fovea.dir/}"
if [ ${#generator[@]} -eq 0 ]; then
  # Makefiles (no ninja here): the object targets are made in the target's own makefile.
  for object in "${objects[@]}"; do
    make -C "$BUILD" -f CMakeFiles/fovea.dir/build.make "$object" >>"$WORK/compile.log" 2>&1 ||
      fail "compiling $object against the prefix failed (log: $WORK/compile.log)"
  done
  say "no ninja: the headers' origin was not checked (needs ninja -t deps)"
else
  cmake --build "$BUILD" --target "${objects[@]}" >"$WORK/compile.log" 2>&1 ||
    { tail -30 "$WORK/compile.log" >&2; fail "compiling against the prefix failed (log: $WORK/compile.log)"; }
  system_headers=()
  for object in "${objects[@]}"; do
    mapfile -t headers < <(ninja -C "$BUILD" -t deps "$object" | awk 'NR > 1 && NF {print $1}')
    in_prefix=0
    leaked=()
    for header in "${headers[@]}"; do
      # ccache with CCACHE_BASEDIR set records the headers under it relative to the build.
      [[ "$header" == /* ]] || header=$(realpath -m "$BUILD/$header")
      case "$header" in
        "$PREFIX"/*) in_prefix=$((in_prefix + 1)) ;;
        /usr/include/* | /usr/local/include/* | /usr/lib/gcc/*)
          system_headers+=("$header")
          [ -e "$PREFIX/usr/include/${header#/usr*/include/}" ] && leaked+=("$header")
          ;;
      esac
    done
    [ ${#leaked[@]} -eq 0 ] || fail "$object read this machine's copy of headers the prefix holds:" "${leaked[@]:0:10}"
    # The .cu files include no third-party header (fmt stays out of nvcc, kernels/cuda/check.h).
    [[ "$object" == *.cu.o ]] || [ "$in_prefix" -gt 0 ] ||
      fail "$object read no header from the prefix (${#headers[@]} headers): is the check broken?"
    say "${object##*/fovea.dir/}: ${#headers[@]} headers, $in_prefix from the prefix"
  done
  # What the objects read from this machine's /usr must come from packages that every
  # image with g++ has (libc, the kernel headers, libstdc++, GCC's own) or from CUDA:
  # anything else is a package the prefix lacks and the GPU machine would not find.
  if command -v dpkg >/dev/null && [ ${#system_headers[@]} -gt 0 ]; then
    mapfile -t foreign < <(printf '%s\n' "${system_headers[@]}" | sort -u | xargs dpkg -S 2>&1 |
      awk -F': ' '/^dpkg-query: no path found/ {sub(/.*pattern /, ""); print "(no package): " $0; next}
        { split($1, owners, ", "); for (i in owners) { sub(/:.*/, "", owners[i])
            if (owners[i] !~ /^(libc6-dev|linux-libc-dev|libstdc\+\+-[0-9]+-dev|libgcc-[0-9]+-dev|gcc-[0-9]+(-.*)?|libgomp[0-9]*|cuda-.*|libcudnn.*|libcublas.*)$/)
              print owners[i] ": " $2 } }' | sort -u)
    [ ${#foreign[@]} -eq 0 ] ||
      fail "headers read from this machine's packages that the prefix lacks (add them to scripts/gpu-deps.sh):" "${foreign[@]:0:10}"
    say "the ${#system_headers[@]} system headers read come from libc, the kernel headers, libstdc++ and GCC only"
  fi
fi
[ $cuda = ON ] || say "no nvcc here: the CUDA file was not compiled"
say "PASS in $((SECONDS - start)) s (prefix $PREFIX)"
