#!/bin/bash
# SPDX-License-Identifier: MIT
# Coming from OpenPLC, end to end (docs/openplc.md): examples/openplc/conveyor.st,
# in the form the OpenPLC Editor writes it (two tasks, located variables, the
# Config0/Res0 tail, DBG lines), goes through 'plc-st layout' (which must give
# the committed examples/openplc/conveyor.ini) and 'plc-st build', and runs on
# the sim backend with that layout: a Modbus client sees coil 8a+b follow
# %IXa.b through the ladder, writes %MW1 at holding register 1025 that the
# program reads, is refused at %MW0 (written by the program), and each task
# runs at its own interval. Then the same program with --persistent and
# --zero-fill: a polled block reads zeros in its holes, and all %M memory is
# kept across a program change (new layout version, regions re-made),
# restored by address. Every wait is for a state.
# usage: openplc.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
sim=$build/services/plc-io-sim
ctl=$build/services/plcctl
st=$build/services/plc-st
base=$(mktemp -d /dev/shm/plc-openplc-XXXXXX)
work=$(mktemp -d)
export RASPIPLC_BASE_DIR=$base RASPIPLC_RETAIN_DIR=$work/retain
unset RASPIPLC_IO_BACKEND
cleanup() {
    kill_all
    rm -rf "$base" "$work"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

mb() { mbpoll -m tcp -p "$port" -a 1 -1 -0 "$@" 127.0.0.1 2>&1; }
mb_read() { mb -t "$1" -r "$2" | sed -n "s/^\[$2\]: *\t*//p" | tr -d '[:space:]'; }
mb_is() { [ "$(mb_read "$1" "$2")" = "$3" ]; }
mb_write() { mbpoll -m tcp -p "$port" -a 1 -0 -t 4 -r "$1" 127.0.0.1 "$2" >"$work/mb.out" 2>&1; }
mb_refused() { ! mb_write "$@" && grep -q "Illegal data address" "$work/mb.out"; }
get() { "$ctl" get "$1" | awk -v t="$1" '$1 == t { print $2 }'; }
tag_is() { [ "$(get "$1")" = "$2" ]; }
at_least() { [ "$(get "$1")" -ge "$2" ] 2>/dev/null; }
start_plc() { # LAYOUT PROGRAM [retain]
    export RASPIPLC_LAYOUT=$1
    spawn "$work/io.log" "$build/services/plc-io" --backend sim
    spawn "$work/modbus.log" "$build/services/plc-modbus" --listen "127.0.0.1:$port"
    spawn "$work/logic.log" "$build/services/plc-logic" --program "$2" --priority 0 \
        --no-lock-memory --cpu-dma-latency none
    [ $# -lt 3 ] || spawn "$work/retain.log" "$build/services/plc-retain" --no-journal --no-events
}
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# ---- the two commands, from the repository's root as docs/openplc.md gives them
cd "$src" || exit 1
check "plc-st layout conveyor.st" \
    "$st" layout examples/openplc/conveyor.st -o "$work/conveyor.ini"
check "... gives the committed examples/openplc/conveyor.ini" \
    diff -u examples/openplc/conveyor.ini "$work/conveyor.ini"
mkdir "$work/again" && cp examples/openplc/conveyor.ini "$work/again/"
check "... and again over it keeps its version" \
    "$st" layout examples/openplc/conveyor.st -o "$work/again/conveyor.ini"
check "... unchanged" cmp -s examples/openplc/conveyor.ini "$work/again/conveyor.ini"
check "plc-st build conveyor.st --layout conveyor.ini" \
    "$st" build examples/openplc/conveyor.st --layout "$work/conveyor.ini" -o "$work/conveyor.so"
cd "$work" || exit 1

export RASPIPLC_LAYOUT=$work/conveyor.ini
check "plc-shm-init makes the layout's regions" "$build/services/plc-shm-init" -q
start_plc "$work/conveyor.ini" "$work/conveyor.so"
check "plc-modbus answers: coil 2 (%QX0.2, jog_lamp) is 0" eventually mb_is 0 2 0

# %IX0.2 -> jog_pb -> jog_lamp -> %QX0.2: coil 8*0+2 and discrete input 8*0+2
"$sim" set ix0_2 1
check "%IX0.2 on: discrete input 2 is 1" eventually mb_is 1 2 1
check "... and coil 2 (%QX0.2) follows through the ladder" eventually mb_is 0 2 1
"$sim" set ix0_2 0
check "%IX0.2 off: coil 2 follows back" eventually mb_is 0 2 0

# The seal-in rung: start on %IX0.0, stop on %IX0.1, the motor on %QX0.0.
"$sim" set ix0_0 1
check "start pressed: coil 0 (%QX0.0, motor) is 1" eventually mb_is 0 0 1
check "... and the R_TRIG counted one start in %MW0 (holding register 1024)" \
    eventually mb_is 4 1024 1
"$sim" set ix0_0 0
runs=$(get task_task0_runs)
check "start released: task0 runs on" eventually at_least task_task0_runs $((runs + 2))
check "... the motor stays on (sealed in)" mb_is 0 0 1

# %MW1 at holding register 1025: SCADA writes it, the program reads it.
check "write 750 to holding register 1025 (%MW1, speed_sp)" mb_write 1025 750
check "... the program copies it to %QW0 (holding register 0) while the motor runs" \
    eventually mb_is 4 0 750
check "a write to holding register 1024 (%MW0, the program's) is refused" mb_refused 1024 9
check "... and changes nothing" mb_is 4 1024 1
check "a read of the holes 1026-1027 is refused (unmapped_reads is off by default)" \
    bash -c "! mbpoll -m tcp -p $port -a 1 -1 -0 -t 4 -r 1024 -c 4 127.0.0.1 >/dev/null 2>&1"

# Two tasks: task0 every 20 ms, task1 (the lamp) every 500 ms, on one 20 ms tick.
check "task1 has run twice" eventually at_least task_task1_runs 2
ratio() { # one snapshot of the diagnostics region: both counts from the same tick
    "$ctl" get task_task0_runs task_task1_runs >"$work/runs" &&
        awk '$1 == "task_task0_runs" { a = $2 } $1 == "task_task1_runs" { b = $2 }
             END { exit !(b >= 1 && a > 25 * (b - 1) && a <= 25 * b) }' "$work/runs"
}
check "task0 runs 25 times for each run of task1 (500 ms / 20 ms)" ratio
check "the lamp (coil 1, task1) blinks: on" eventually mb_is 0 1 1
check "... off" eventually mb_is 0 1 0
check "%MD0 counts task1's runs while the motor runs" eventually at_least md0 2

"$sim" set ix0_1 1
check "stop pressed: the motor (coil 0) drops" eventually mb_is 0 0 0
check "... and %QW0 goes to 0" eventually mb_is 4 0 0
"$sim" set ix0_1 0
stop_all

# ---- OpenPLC's "persistent storage", done right
rm -rf "${base:?}"/*
mkdir -p "$work/retain"
cp "$src/examples/openplc/conveyor.st" "$work/plant.st"
check "plc-st layout --persistent --zero-fill" \
    "$st" layout "$work/plant.st" --persistent --zero-fill -o "$work/plant.ini"
check "plc-st build" "$st" build "$work/plant.st" --layout "$work/plant.ini" -o "$work/plant.so"
export RASPIPLC_LAYOUT=$work/plant.ini
"$build/services/plc-shm-init" -q || exit 1
start_plc "$work/plant.ini" "$work/plant.so" retain
check "the persistent program runs" eventually mb_is 0 0 0
"$sim" set ix0_0 1
check "one start counted in %MW0" eventually mb_is 4 1024 1
"$sim" set ix0_0 0
check "%MW1 = 321 written over Modbus" mb_write 1025 321
block() { mb -t 4 -r 1024 -c 4 >"$work/block" && grep -q '^\[1026\]:[[:space:]]*0$' "$work/block" &&
    grep -q '^\[1027\]:[[:space:]]*0$' "$work/block" && grep -q '^\[1025\]:[[:space:]]*321$' "$work/block"; }
check "--zero-fill: a read of 1024-1027 answers, the holes 1026-1027 as 0" block
check "plc-retain saved %MW0 and %MW1" eventually grep -q "mw1.* 321" "$work/retain/plant.retain"

# A program change: one more %MW the program writes. The layout gets a new
# version; OpenPLC would wipe its memory on the upload.
sed -i 's/^    speed_out AT %QW0 : INT;/&\n    doubled AT %MW2 : INT;/; s/^  speed_out := _TMP_SEL6_OUT;/&\n  doubled := starts * 2;/' \
    "$work/plant.st"
check "plc-st layout of the changed program: version 2" \
    bash -c "'$st' layout '$work/plant.st' --persistent --zero-fill -o '$work/plant.ini' 2>&1 |
             grep -q 'version 2 (was 1)'"
check "plc-st build of the changed program" \
    "$st" build "$work/plant.st" --layout "$work/plant.ini" -o "$work/plant.so"
stop_all
check "plc-shm-init --recreate: the new layout's regions" "$build/services/plc-shm-init" -q --recreate
check "%MW0 restored by address before any program runs: 1" tag_is mw0 1
check "%MW1 restored: 321" tag_is mw1 321
start_plc "$work/plant.ini" "$work/plant.so" retain
check "the changed program runs: %MW2 = 2 * %MW0" eventually mb_is 4 1026 2
"$sim" set ix0_0 1
check "the next start counts on from the kept 1: %MW0 = 2" eventually mb_is 4 1024 2
check "... and the motor runs at the kept setpoint: %QW0 = 321" eventually mb_is 4 0 321
stop_all

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
