#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job on the built-in default.
set -euo pipefail
source "$(dirname "$0")/scripts/common.sh"
fovea_install_packages
fovea_build
fovea_log "fovea info"
"$FOVEA_BUILD/fovea" info
