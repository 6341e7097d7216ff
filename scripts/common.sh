# Shared by run.sh, test.sh and scripts/*.sh: install what is missing, then build.
# Source it; it defines functions and changes nothing by itself.

FOVEA_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FOVEA_BUILD="${FOVEA_BUILD:-$FOVEA_ROOT/build}"

# OpenMP threads sleep at barriers instead of spinning, for the test executables too (the
# fovea command sets this itself; tools/main.cpp says why).
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"

# Debian packages the product, its tests and its benchmarks need.
FOVEA_PACKAGES=(
  cmake g++ make
  libeigen3-dev libstb-dev libturbojpeg0-dev libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  zlib1g-dev libcairo2-dev libgtest-dev libbenchmark-dev
  dataset-fashion-mnist
  python3 python3-pip python3-numpy python3-torch python3-torchvision
  # Debian's torch calls the system BLAS; without OpenBLAS that is netlib's reference BLAS,
  # and generating the models' parity references spends most of its time in it.
  libopenblas0-pthread
)
# Python packages for the parity references only, pinned to versions that run on
# Debian's PyTorch 1.13, installed without dependencies into the build tree.
FOVEA_PY_PACKAGES=(safetensors==0.4.5 timm==0.9.16)

fovea_log() { printf '\033[1m==> %s\033[0m\n' "$*"; }

fovea_install_packages() {
  local missing=()
  for package in "${FOVEA_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
      missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  fovea_log "installing Debian packages: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

fovea_install_python_deps() {
  local target="$FOVEA_BUILD/pydeps"
  local stamp="$target/.installed-$(printf '%s-' "${FOVEA_PY_PACKAGES[@]}")"
  if [ -f "$stamp" ]; then
    return 0
  fi
  fovea_log "installing Python test references into $target: ${FOVEA_PY_PACKAGES[*]}"
  mkdir -p "$target"
  /usr/bin/python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --no-deps \
    --target "$target" --upgrade "${FOVEA_PY_PACKAGES[@]}"
  touch "$stamp"
}

fovea_build() {
  fovea_log "configuring and building in $FOVEA_BUILD"
  cmake -S "$FOVEA_ROOT" -B "$FOVEA_BUILD" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$FOVEA_BUILD" -j "$(nproc)"
}
