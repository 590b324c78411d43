#!/bin/bash
# SPDX-License-Identifier: MIT
# A RETAIN variable of a Structured Text program survives a restart of the
# whole PLC: plc-st binds it to the demo layout's retained tag of its name,
# the program counts start_button presses in it (plc-io on the sim backend),
# plc-retain keeps it on disk; then every process is stopped and the regions
# are removed (what a reboot does to /dev/shm), plc-shm-init restores the
# count from the snapshot, and the program goes on counting from it. A
# RETAIN variable with no retained tag is refused at build time. Every wait
# is for a state.
# usage: st-retain.sh BUILD_DIR LAYOUT
set -u
build=$1
layout=$2
sim=$build/services/plc-io-sim
ctl=$build/services/plcctl
st=$build/services/plc-st
base=$(mktemp -d /dev/shm/plc-st-retain-XXXXXX)
work=$(mktemp -d)
export RASPIPLC_BASE_DIR=$base RASPIPLC_LAYOUT=$layout RASPIPLC_RETAIN_DIR=$work/retain
unset RASPIPLC_IO_BACKEND
cleanup() {
    kill_all
    rm -rf "$base" "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

saved() { grep -q "run_seconds.* $1\$" "$work/retain/"*.retain 2>/dev/null; }
tag_is() { [ "$("$ctl" get "$1" | awk -v t="$1" '$1 == t { print $2 }')" = "$2" ]; }
count_is() { tag_is run_seconds "$1"; }
# A press is seen once the count moves; its release once the program has run
# with the button up (it mirrors the button to motor_run), so the next press
# is an edge again.
press() {
    "$sim" set start_button 1 && eventually count_is "$1" &&
        "$sim" set start_button 0 && eventually tag_is motor_run false
}
start_plc() {
    spawn "$work/io.log" "$build/services/plc-io" --backend sim
    spawn "$work/logic.log" "$build/services/plc-logic" --program "$work/hours.so" --priority 0 \
        --no-lock-memory --cpu-dma-latency none
    spawn "$work/retain.log" "$build/services/plc-retain" --no-journal --no-events
}

cat >"$work/hours.st" <<'ST'
PROGRAM hours
VAR RETAIN
    run_seconds : UDINT;  (* the demo's retained status tag, counting presses here *)
END_VAR
VAR_EXTERNAL
    start_button : BOOL;
    motor_run : BOOL;     (* mirrors the button: the test sees each scan of it *)
END_VAR
VAR
    press : R_TRIG;
END_VAR
    motor_run := start_button;
    press(CLK := start_button);
    IF press.Q THEN
        run_seconds := run_seconds + 1;
    END_IF;
END_PROGRAM
ST
mkdir -p "$work/retain"
check "plc-st build hours.st (RETAIN run_seconds)" \
    "$st" build "$work/hours.st" --layout "$layout" -o "$work/hours.so"
"$build/services/plc-shm-init" -q || exit 1
start_plc
check "the program runs: run_seconds 0" eventually count_is 0
check "press 1" press 1
check "press 2" press 2
check "press 3" press 3
check "plc-retain saved run_seconds 3" eventually saved 3

stop_all
rm -rf "${base:?}"/*
check "plc-shm-init restores the regions from the snapshot" "$build/services/plc-shm-init" -q
check "run_seconds is 3 before any program runs" count_is 3
start_plc
check "the program starts from the retained 3, not from 0" eventually count_is 3
check "and counts on: press 4" press 4
stop_all

# Without a retained tag of its name a RETAIN variable could not be kept.
sed 's/run_seconds/hours_run/g' "$work/hours.st" >"$work/bad.st"
refused() {
    ! "$st" build "$work/bad.st" --layout "$layout" -o "$work/bad.so" 2>"$work/bad.err" &&
        grep -q "bad.st:3:5: error\[P4006\].*hours_run.*retain = yes" "$work/bad.err"
}
check "RETAIN hours_run with no tag of that name is refused (P4006)" refused

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
