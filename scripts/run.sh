#!/usr/bin/env bash
# Install what is needed, build, and bring up the demo PLC's process image in a
# private base directory (never a real deployment's /dev/shm/raspiplc), then
# run plc-io on the simulated field in the foreground (Ctrl-C stops it).
# Later services join here as they land.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build

export RASPIPLC_LAYOUT=${RASPIPLC_LAYOUT:-$PWD/layout/demo.ini}
export RASPIPLC_BASE_DIR=${RASPIPLC_BASE_DIR:-/dev/shm/raspiplc-demo}
build/services/plc-shm-init
echo
if [ -x build/services/plcctl ]; then
  build/services/plcctl ls
  echo
fi
echo "Regions are in $RASPIPLC_BASE_DIR. plc-io now serves the simulated field; in another shell:"
echo "  export RASPIPLC_LAYOUT=$RASPIPLC_LAYOUT RASPIPLC_BASE_DIR=$RASPIPLC_BASE_DIR"
echo "  build/services/plc-io-sim set start_button 1   # press the start button"
echo "  build/services/plc-io-sim list                 # every line: value, level, driven"
echo "  build/services/plc-io-sim get motor_run        # an output line (safe until the logic runs)"
echo
exec build/services/plc-io --backend sim
