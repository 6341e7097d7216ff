#!/usr/bin/env bash
# Installs what is missing, builds, and runs the main job on the built-in default: the
# Fashion-MNIST ablation study (about 20 minutes on 2 CPU cores). Its table is printed at
# the end and written, with the plots, to outputs/ablation_fashion_mnist/.
set -euo pipefail
source "$(dirname "$0")/scripts/common.sh"
fovea_install_packages
fovea_build
fovea_log "fovea ablate --plan configs/ablations/fashion_mnist.yaml"
cd "$FOVEA_ROOT"
"$FOVEA_BUILD/fovea" ablate --plan configs/ablations/fashion_mnist.yaml "$@"
