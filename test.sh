#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test tier (unit, gradcheck, parity,
# train, cuda) through ctest. The cuda tier skips with a message when no GPU is present.
# Extra arguments go to ctest, e.g. ./test.sh -L unit
set -euo pipefail
source "$(dirname "$0")/scripts/common.sh"
fovea_install_packages
fovea_install_python_deps
fovea_build -DFOVEA_BUILD_TESTS=ON -DFOVEA_BUILD_BENCH=ON
fovea_log "rehearsing the GPU machine's build against the Debian packages alone"
"$FOVEA_ROOT/scripts/prefix-check.sh"  # skips with a message where nothing can be downloaded
fovea_log "running the tests"
ctest --test-dir "$FOVEA_BUILD" --output-on-failure -j "$(nproc)" "$@"
