#!/bin/bash
# SPDX-License-Identifier: MIT
# Forcing end to end: plc-io on the sim backend, plc-logic running
# examples/motor.c, plcctl forcing. A forced input reaches the program while
# the field says otherwise; a forced output reaches the field while the
# program writes the opposite; forces expire, are released, go safe with the
# outputs and are cleared by plc-shm-init. Every wait is for a state
# (plc-io-sim wait), never a fixed sleep.
# usage: force.sh BUILD_DIR LAYOUT
set -u
build=$1
layout=$2
sim=$build/services/plc-io-sim
ctl=$build/services/plcctl
base=$(mktemp -d /dev/shm/plc-force-e2e-XXXXXX)
export RASPIPLC_BASE_DIR=$base RASPIPLC_LAYOUT=$layout
unset RASPIPLC_IO_BACKEND
io_pid=
logic_pid=
cleanup() {
    [ -n "$logic_pid" ] && kill -9 "$logic_pid" 2>/dev/null
    [ -n "$io_pid" ] && kill -9 "$io_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$base"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

field_is() { "$sim" wait "$1" "$2" 30000; }
field_now() { [ "$("$sim" get "$1")" = "$2" ]; }
no_forces() { [ "$("$ctl" forces | wc -l)" -eq 1 ]; }
# The diagnostics region's count of forces, as plc-logic publishes it (Modbus input register 230).
forced_is() { [ "$("$ctl" get forced | awk '$1 == "forced" { print $2 }')" = "$1" ]; }
start_logic() {
    "$build/services/plc-logic" --program "$build/examples/motor.so" --priority 0 \
        --no-lock-memory --cpu-dma-latency none >"$base/logic.log" 2>&1 &
    logic_pid=$!
}

"$build/services/plc-shm-init" -q || exit 1
"$build/services/plc-io" --backend sim >"$base/io.log" 2>&1 &
io_pid=$!
start_logic
# The logic runs and plc-io follows it: motor_fault leaves its safe value 1.
check "the PLC runs (motor_fault follows the program)" field_is motor_fault 0
"$sim" set motor_feedback 1

# An input: the program sees the forced value, the field does not have it.
check "force start_button" "$ctl" force start_button 1
check "the program starts the motor on the forced button" field_is motor_run 1
check "the field's start_button is still 0" field_now start_button 0
check "get shows start_button forced" bash -c "'$ctl' get start_button | grep -q 'FORCED until'"
check "unforce start_button" "$ctl" unforce start_button
check "force stop_button" "$ctl" force stop_button true
check "the program stops the motor on the forced button" field_is motor_run 0
check "unforce --all" "$ctl" unforce --all
check "diagnostics: forced is 0" eventually forced_is 0
check "nothing is forced" no_forces

# An output: the field gets the forced value while the program writes 0.
check "force motor_run" "$ctl" force motor_run 1
check "the field's motor_run is forced to 1" field_is motor_run 1
check "plcctl get shows the forced value" bash -c "'$ctl' get motor_run | grep -qE '^motor_run +true +FORCED'"

# Expiry: a 1 s force replaces it and ends by itself.
check "force motor_run for 1s" "$ctl" force motor_run 1 --for 1s
check "the field's motor_run returns to the program's 0" field_is motor_run 0
check "the expired force is not listed" no_forces

# unforce --all releases outputs too.
check "force motor_run again" "$ctl" force motor_run 1
check "... on the field" field_is motor_run 1
check "unforce --all" "$ctl" unforce --all
check "the field's motor_run follows the program again" field_is motor_run 0

# Safe outputs win over forces: the logic dies, forced outputs go safe.
check "force motor_run (safe 0)" "$ctl" force motor_run 1
check "force motor_fault (safe 1)" "$ctl" force motor_fault 0
check "... motor_run on the field" field_is motor_run 1
check "diagnostics: forced counts the two" eventually forced_is 2
kill -9 "$logic_pid"
wait "$logic_pid" 2>/dev/null
logic_pid=
check "the forced motor_run goes to its safe 0" field_is motor_run 0
check "the forced motor_fault goes to its safe 1" field_is motor_fault 1

# plc-shm-init (a boot) clears every force.
check "plc-shm-init releases both forces" \
    bash -c "'$build/services/plc-shm-init' | grep -qx 'plc-shm-init: 2 forced tag(s) released'"
check "nothing is forced after plc-shm-init" no_forces
start_logic
check "the logic runs again, unforced" field_is motor_fault 0
check "motor_run follows the program" field_is motor_run 0

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
