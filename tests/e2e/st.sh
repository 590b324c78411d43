#!/bin/bash
# SPDX-License-Identifier: MIT
# The README's Structured Text walk-through, end to end: the demo PLC runs
# examples/motor.c (plc-io on the sim backend, plc-logic, plc-modbus on a
# free port); examples/st/button.st, which the README shows, is built by
# plc-st against the demo layout over the program's path and loaded by
# SIGHUP; then a Modbus client (mbpoll) reads coil 0 (motor_run) following
# start_button both ways. A program that writes an input tag is refused at
# compile time, and the running one stays. Every wait is for a state.
# usage: st.sh BUILD_DIR LAYOUT SOURCE_DIR
set -u
build=$1
layout=$2
src=$3
sim=$build/services/plc-io-sim
st=$build/services/plc-st
base=$(mktemp -d /dev/shm/plc-st-e2e-XXXXXX)
export RASPIPLC_BASE_DIR=$base RASPIPLC_LAYOUT=$layout
unset RASPIPLC_IO_BACKEND
pids=()
logic_pid=
cleanup() {
    [ -n "$logic_pid" ] && kill -9 "$logic_pid" 2>/dev/null
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$base"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

mb() { mbpoll -m tcp -p "$port" -a 1 -1 -0 "$@" 127.0.0.1 2>&1; }
mb_read() { mb -t "$1" -r "$2" | sed -n "s/^\[$2\]: *\t*//p" | tr -d '[:space:]'; }
mb_is() { [ "$(mb_read "$1" "$2")" = "$3" ]; }
logic_says() { grep -q "$1" "$base/logic.log"; }

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$build/services/plc-shm-init" -q || exit 1
"$build/services/plc-io" --backend sim >"$base/io.log" 2>&1 &
pids+=($!)
"$build/services/plc-modbus" --listen "127.0.0.1:$port" >"$base/modbus.log" 2>&1 &
pids+=($!)
cp "$build/examples/motor.so" "$base/program.so"
"$build/services/plc-logic" --program "$base/program.so" --priority 0 \
    --no-lock-memory --cpu-dma-latency none >"$base/logic.log" 2>&1 &
logic_pid=$!
check "the demo runs motor.so (motor_fault follows the program)" "$sim" wait motor_fault 0 30000
check "plc-modbus answers: coil 0 (motor_run) is 0" eventually mb_is 0 0 0

check "the README shows examples/st/button.st as it is" \
    python3 -c "import sys; r = open(sys.argv[1]).read(); b = open(sys.argv[2]).read(); \
sys.exit(0 if ''.join('    ' + l + '\n' if l else '\n' for l in b.splitlines()) in r else 1)" \
    "$src/README.md" "$src/examples/st/button.st"
check "plc-st check button.st" "$st" check "$src/examples/st/button.st"
check "plc-st build button.st over the running program" \
    "$st" build "$src/examples/st/button.st" --layout "$layout" -o "$base/program.so"
kill -HUP "$logic_pid"
check "plc-logic loads the ST program" eventually logic_says "button"
"$sim" set start_button 1
check "start_button 1: coil 0 (motor_run) follows to 1 over Modbus" eventually mb_is 0 0 1
"$sim" set start_button 0
check "start_button 0: coil 0 follows back to 0" eventually mb_is 0 0 0
"$sim" set start_button 1
check "and to 1 again" eventually mb_is 0 0 1

# A program that writes an input tag is refused naming the tag and its writer.
printf 'PROGRAM bad\nVAR_EXTERNAL\n  start_button : BOOL;\nEND_VAR\n  start_button := TRUE;\nEND_PROGRAM\n' \
    >"$base/bad.st"
refused() {
    ! "$st" build "$base/bad.st" --layout "$layout" -o "$base/program.so" 2>"$base/bad.err" &&
        grep -q "bad.st:5:.*start_button.*io" "$base/bad.err"
}
check "writing input start_button is refused at bad.st:5, naming writer io" refused
kill -HUP "$logic_pid"
"$sim" set start_button 0
check "the running program still follows the button" eventually mb_is 0 0 0

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
