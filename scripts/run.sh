#!/usr/bin/env bash
# Install what is needed, build, and bring up the demo PLC's process image in a
# private base directory (never a real deployment's /dev/shm/raspiplc), then
# show it. Later services join here as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build

export RASPIPLC_LAYOUT=${RASPIPLC_LAYOUT:-$PWD/layout/demo.ini}
export RASPIPLC_BASE_DIR=${RASPIPLC_BASE_DIR:-/dev/shm/raspiplc-demo}
build/services/plc-shm-init
echo
build/services/plcctl ls
echo
echo "Regions are in $RASPIPLC_BASE_DIR. Try:"
echo "  RASPIPLC_LAYOUT=$RASPIPLC_LAYOUT RASPIPLC_BASE_DIR=$RASPIPLC_BASE_DIR build/services/plcctl dump parameters"
