#!/usr/bin/env bash
# Install what is needed, build, and run the demo PLC in the foreground: the
# process image in a private base directory (never a real deployment's
# /dev/shm/raspiplc), plc-retain with a private snapshot directory, plc-logic
# running example (a), plc-modbus on 127.0.0.1:1502 and plc-io on the
# simulated field. Ctrl-C stops them all, plc-retain last.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build

export RASPIPLC_LAYOUT=${RASPIPLC_LAYOUT:-$PWD/layout/demo.ini}
export RASPIPLC_BASE_DIR=${RASPIPLC_BASE_DIR:-/dev/shm/raspiplc-demo}
# Retained tags go to a private directory, never a real /var/lib/raspiplc.
export RASPIPLC_RETAIN_DIR=${RASPIPLC_RETAIN_DIR:-$PWD/build/demo-retain}
mkdir -p "$RASPIPLC_RETAIN_DIR"
log=$PWD/build/demo-logs
mkdir -p "$log"

# Regions first (restoring retained setpoints after a "reboot": remove the
# base directory and run this again, plc-shm-init says what it restored).
build/services/plc-shm-init

pids=()
stop() {
  trap - INT TERM EXIT
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do # reverse order: plc-retain last
    kill -TERM "${pids[i]}" 2>/dev/null && wait "${pids[i]}" 2>/dev/null || true
  done
}
trap stop INT TERM EXIT
start() { # name, command...
  local name=$1
  shift
  "$@" </dev/null >>"$log/$name.log" 2>&1 &
  pids+=($!)
  echo "started $name (pid $!), log in $log/$name.log"
}
start plc-retain build/services/plc-retain
start plc-modbus build/services/plc-modbus
start plc-logic build/services/plc-logic --program build/examples/motor.so
start plc-io build/services/plc-io --backend sim

ctl="build/services/plcctl"
cat <<EOF

The demo PLC runs. In another shell:
  export RASPIPLC_LAYOUT=$RASPIPLC_LAYOUT RASPIPLC_BASE_DIR=$RASPIPLC_BASE_DIR
  $ctl sim set start_button 1; $ctl sim set start_button 0   # press the start button
  $ctl sim get motor_run                                       # the motor output line
  mbpoll -m tcp -p 1502 -a 1 -t 0 -r 1 -c 4 -1 127.0.0.1       # coils 00001-00004: motor_run ...
  mbpoll -m tcp -p 1502 -a 1 -t 4 -r 1 -1 127.0.0.1 1          # holding 40001 cmd_start := 1: start
  $ctl dump diagnostics                                        # scan statistics
Ctrl-C stops everything.

EOF
# A live view until Ctrl-C: regions and liveness, the motor's tags.
while sleep 2; do
  clear 2>/dev/null || true
  $ctl ls || true
  echo
  $ctl get start_button stop_button motor_run motor_fault cmd_start ack_start run_seconds || true
done
