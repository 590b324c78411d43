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
# Retained tags go to a private directory, never a real /var/lib/raspiplc.
export RASPIPLC_RETAIN_DIR=${RASPIPLC_RETAIN_DIR:-$PWD/build/demo-retain}
build/services/plc-shm-init
echo
# plc-retain keeps the setpoints across a "reboot" (remove the regions and run
# this script again: plc-shm-init says what it restored). One instance only.
pidfile=$RASPIPLC_RETAIN_DIR/plc-retain.pid
mkdir -p "$RASPIPLC_RETAIN_DIR"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "plc-retain already runs (pid $(cat "$pidfile"))"
else
  build/services/plc-retain </dev/null >>"$RASPIPLC_RETAIN_DIR/plc-retain.log" 2>&1 &
  echo $! >"$pidfile"
  echo "plc-retain started (pid $!), log in $RASPIPLC_RETAIN_DIR/plc-retain.log"
fi
echo
build/services/plcctl ls
echo
echo "Regions are in $RASPIPLC_BASE_DIR, retained tags in $RASPIPLC_RETAIN_DIR. Try:"
echo "  RASPIPLC_LAYOUT=$RASPIPLC_LAYOUT RASPIPLC_BASE_DIR=$RASPIPLC_BASE_DIR RASPIPLC_RETAIN_DIR=$RASPIPLC_RETAIN_DIR build/services/plc-retain --show"
echo "  a reboot: kill \$(cat $pidfile); rm -rf $RASPIPLC_BASE_DIR; scripts/run.sh"
echo "  RASPIPLC_LAYOUT=$RASPIPLC_LAYOUT RASPIPLC_BASE_DIR=$RASPIPLC_BASE_DIR build/services/plcctl dump parameters"
echo
echo "plc-io now serves the simulated field; in another shell:"
echo "  export RASPIPLC_LAYOUT=$RASPIPLC_LAYOUT RASPIPLC_BASE_DIR=$RASPIPLC_BASE_DIR"
echo "  build/services/plc-io-sim set start_button 1   # press the start button"
echo "  build/services/plc-io-sim list                 # every line: value, level, driven"
echo "  build/services/plc-io-sim get motor_run        # an output line (safe until the logic runs)"
echo
exec build/services/plc-io --backend sim
