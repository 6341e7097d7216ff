#!/usr/bin/env bash
# Run HERE (a Debian machine with network), before a GPU call: downloads into .debs/ the
# Debian packages that fovea's build needs and that the GPU machine's image lacks (it has
# CUDA, cuDNN's wheel, CMake, ninja and g++, but none of these, and no network). The
# headers and libraries come from Debian 12, whose glibc (2.36) is older than the GPU
# image's, so its shared libraries load there.
#
#   scripts/gpu-deps.sh                          # once per session; .debs/ is git-ignored
#   run(carry=[".debs"], command="STEPS=all scripts/gpu-check.sh")
#   scripts/gpu-deps.sh --unpack PREFIX          # what gpu-check.sh and prefix-check.sh do
#
# scripts/gpu-check.sh unpacks them into a prefix (never into /, which they could break) and
# points CMake and the loader at it. Found by CMake's find_package or find_path/find_library
# (cmake/dependencies.cmake), so no pkg-config is needed. The runtime libraries below are
# the closure of the shared ones (fmt, yaml-cpp, stb, turbojpeg, benchmark, cairo) minus
# glibc, libstdc++ and zlib, which every image has. scripts/prefix-check.sh (run by
# ./test.sh) unpacks the same files into a fresh prefix, checks that closure, and
# configures and compiles against the prefix alone.
#
# --unpack PREFIX (no network needed) empties PREFIX, extracts every .deb of $DEBS into it
# with dpkg-deb -x, re-points the absolute symbolic links the packages carry (libz.so ->
# /lib/.../libz.so.1.2.13, fontconfig's conf.d) into the prefix, or to the system's library
# of the same name where the target is not in the prefix, and checks the closure: every
# library a prefix library loads (readelf's NEEDED) is in the prefix or is one of the
# system's own (SYSTEM_LIBS, looked up with ldconfig). Debian 12 is not fully merged-/usr:
# libexpat.so.1 lands in PREFIX/lib/x86_64-linux-gnu, so the loader needs both lib folders.
#
# Fails loudly: every package must be known to apt and must arrive as a .deb, or nothing
# in $DEBS is replaced. Exit status: 0 done; 2 a package is missing (unknown to apt, or
# no .deb came for it: fix PACKAGES); 3 the download itself failed (no network or mirror
# down: scripts/prefix-check.sh skips on this one); 1 anything else.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEBS="${FOVEA_DEBS:-$ROOT/.debs}"
PACKAGES=(
  # header-only
  libeigen3-dev nlohmann-json3-dev libcli11-dev
  # compiled, with their shared libraries
  libfmt-dev libfmt9 libyaml-cpp-dev libyaml-cpp0.7 libstb-dev libstb0 libturbojpeg0-dev
  libturbojpeg0 zlib1g-dev
  libgtest-dev libbenchmark-dev libbenchmark1debian
  # cairo for the PNG charts, and what libcairo.so.2 loads
  libcairo2-dev libcairo2 libpixman-1-0 libfontconfig1 fontconfig-config libfreetype6
  libpng16-16 libx11-6 libx11-data libxcb1 libxcb-render0 libxcb-shm0 libxext6 libxrender1
  libxau6 libxdmcp6 libexpat1 libbrotli1 libbsd0 libmd0 libuuid1
)

die() {  # die STATUS MESSAGE...
  local rc=$1
  shift
  printf 'gpu-deps.sh: ERROR: %s\n' "$@" >&2
  exit "$rc"
}
network_error() { grep -qiE "Temporary failure resolving|Could not resolve|Failed to fetch|Unable to connect|Could not connect|Connection (timed out|refused)|Network is unreachable|No route to host" "$1"; }

# Libraries every image has, which the prefix may leave out.
SYSTEM_LIBS=(ld-linux-x86-64.so.2 libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1
  libgcc_s.so.1 libstdc++.so.6 libz.so.1)

unpack() {  # unpack PREFIX
  local prefix="$1" deb link target base candidate soname found cache
  cache="$(ldconfig -p 2>/dev/null || true)"  # read once: grep -q on a pipe would SIGPIPE it
  compgen -G "$DEBS/*.deb" >/dev/null || die 1 "no .deb in $DEBS: run scripts/gpu-deps.sh first (where the network is)"
  if [ -z "$prefix" ] || [ "$prefix" = / ]; then die 1 "--unpack needs a prefix other than /"; fi
  rm -rf "$prefix"
  mkdir -p "$prefix"
  prefix="$(cd "$prefix" && pwd)"
  for deb in "$DEBS"/*.deb; do dpkg-deb -x "$deb" "$prefix" || die 1 "dpkg-deb -x failed on $deb"; done
  while IFS= read -r -d '' link; do
    target="$(readlink "$link")"
    if [ -e "$prefix$target" ]; then
      ln -sfn "$prefix$target" "$link"
    elif [ ! -e "$target" ] && [[ "$target" == */lib*.so.* ]]; then
      # A development link to a library the prefix leaves out (zlib): the system's copy.
      base="$(basename "$target")"
      base="${base%%.so.*}.so"
      candidate="$(awk -v b="$base" 'index($1, b ".") == 1 && substr($1, length(b) + 2) ~ /^[0-9]+$/ {print $NF; exit}' <<<"$cache")"
      [ -n "$candidate" ] || die 1 "$link points to $target, which neither the prefix nor this system has"
      ln -sfn "$candidate" "$link"
    fi
  done < <(find "$prefix" -type l -lname '/*' -print0)
  local libdirs=("$prefix/usr/lib/x86_64-linux-gnu" "$prefix/lib/x86_64-linux-gnu")
  local missing=()
  while IFS= read -r soname; do
    found=""
    for dir in "${libdirs[@]}"; do [ -e "$dir/$soname" ] && found=1; done
    if [ -z "$found" ] && [[ " ${SYSTEM_LIBS[*]} " == *" $soname "* ]]; then
      awk -v s="$soname" '$1 == s {f = 1} END {exit !f}' <<<"$cache" && found=1
    fi
    [ -n "$found" ] || missing+=("$soname")
  done < <(find "${libdirs[@]}" -name '*.so*' -type f 2>/dev/null | while read -r lib; do
    readelf -d "$lib" 2>/dev/null | awk -F'[][]' '/\(NEEDED\)/ {print $2}'
  done | sort -u)
  command -v readelf >/dev/null || echo "gpu-deps.sh: WARNING: no readelf here: the closure of the prefix's libraries was not checked" >&2
  [ ${#missing[@]} -eq 0 ] ||
    die 2 "MISSING PACKAGE(S): the prefix's libraries load ${missing[*]}, which are not in the prefix and are not among the libraries every image has (SYSTEM_LIBS): add their Debian packages to PACKAGES"
  echo "gpu-deps.sh: unpacked $(find "$DEBS" -maxdepth 1 -name '*.deb' | wc -l) packages into $prefix ($(du -sh "$prefix" | cut -f1))"
}

if [ "${1:-}" = --unpack ]; then
  [ $# -eq 2 ] || die 1 "usage: scripts/gpu-deps.sh --unpack PREFIX"
  unpack "$2"
  exit 0
fi
[ $# -eq 0 ] || die 1 "usage: scripts/gpu-deps.sh [--unpack PREFIX]"

[ "$(dpkg --print-architecture 2>/dev/null)" = amd64 ] ||
  die 1 "this machine's Debian architecture is '$(dpkg --print-architecture 2>/dev/null)'," \
    "but the GPU machine is x86-64: run this on an amd64 Debian 12 machine"

# Every name must have a candidate version. If one has none, the package lists may be
# missing or stale: refresh them once, then ask again.
unknown_packages() {  # one apt-cache call: it prints a block per known package
  apt-cache policy "${PACKAGES[@]}" 2>/dev/null | awk -v names="${PACKAGES[*]}" '
    /^[^ ].*:$/ { package = substr($0, 1, length($0) - 1) }
    /^  Candidate:/ && $2 != "(none)" { known[package] = 1 }
    END { n = split(names, all, " "); for (i = 1; i <= n; i++) if (!(all[i] in known)) print all[i] }'
}
mapfile -t missing < <(unknown_packages)
if [ ${#missing[@]} -gt 0 ]; then
  echo "gpu-deps.sh: apt knows no version of: ${missing[*]}; refreshing the package lists"
  log="$(mktemp)"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! $sudo apt-get update -qq >"$log" 2>&1 || network_error "$log"; then
    { grep -E "^(E|W):" "$log" || tail -5 "$log"; } | head -5 >&2
    if network_error "$log"; then
      rm -f "$log"
      die 3 "apt-get update could not reach the mirror (no network?); nothing downloaded"
    fi
    rm -f "$log"
    die 1 "apt-get update failed"
  fi
  rm -f "$log"
  mapfile -t missing < <(unknown_packages)
  [ ${#missing[@]} -eq 0 ] ||
    die 2 "MISSING PACKAGE(S): ${missing[*]}" \
      "apt has no candidate version for them in this machine's sources (Debian 12 expected):" \
      "fix the names in scripts/gpu-deps.sh (PACKAGES); .debs/ is left as it was"
fi

# Download into a staging folder, then check every package arrived, then replace $DEBS.
mkdir -p "$(dirname "$DEBS")"
STAGE="$(mktemp -d "$DEBS.partial.XXXXXX")"
trap 'rm -rf "$STAGE"' EXIT
log="$STAGE/apt-get.log"
if ! (cd "$STAGE" && apt-get download "${PACKAGES[@]}") >"$log" 2>&1; then
  { grep -E "^E:" "$log" || tail -5 "$log"; } | head -5 >&2
  network_error "$log" && die 3 "the download failed (no network or mirror down?); $DEBS left as it was"
  die 1 "apt-get download failed; $DEBS left as it was"
fi
absent=()
for package in "${PACKAGES[@]}"; do
  compgen -G "$STAGE/${package}_*.deb" >/dev/null || absent+=("$package")
done
[ ${#absent[@]} -eq 0 ] ||
  die 2 "MISSING PACKAGE(S): no .deb arrived for ${absent[*]}; $DEBS left as it was"

# The manifest lists package and version, one a line; gpu-check.sh copies it into its results.
for deb in "$STAGE"/*.deb; do
  # shellcheck disable=SC2016  # dpkg-deb's format, not the shell's
  dpkg-deb --show --showformat='${Package} ${Version}\n' "$deb"
done | sort >"$STAGE/MANIFEST"
mkdir -p "$DEBS"
rm -f "$DEBS"/*.deb "$DEBS/MANIFEST"
mv "$STAGE"/*.deb "$STAGE/MANIFEST" "$DEBS/"
count=$(find "$DEBS" -maxdepth 1 -name '*.deb' | wc -l)
size_kib=$(du -sk "$DEBS" | cut -f1)
echo "gpu-deps.sh: $count packages (all ${#PACKAGES[@]} asked for), $((size_kib / 1024)) MiB, in $DEBS"
# The device tool carries at most 64 MiB with the working tree.
[ "$size_kib" -lt $((40 * 1024)) ] ||
  echo "gpu-deps.sh: WARNING: $DEBS is over 40 MiB; with the working tree it may not fit the 64 MiB a device call carries" >&2
