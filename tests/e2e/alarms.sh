#!/bin/bash
# SPDX-License-Identifier: MIT
# The demo's alarms end to end, as README.md shows them: plc-io on the sim
# backend, plc-logic running examples/motor.c, plc-modbus on a free port and
# plcctl. The tank level is forced past its limit (a parameter), the alarm is
# raised, acknowledged over Modbus by mbpoll (a real libmodbus client) through
# the cmd_alarm_ack counter, and cleared; the Modbus bits and counts, plcctl
# alarms and plcctl events (history and --follow) say so. plc-logic killed
# with SIGKILL keeps the alarm state, and an acknowledgement written while it
# is down is acted on when it is back. plcctl shelves the raised alarm (it
# shows normal and SHELVED) and unshelves it (raised again), and refuses an
# unknown alarm or too long a shelving, writing nothing. The motor trip alarm
# comes from the program. Every wait is for a state, never a fixed time.
# usage: alarms.sh BUILD_DIR LAYOUT
set -u
build=$1
layout=$2
sim=$build/services/plc-io-sim
ctl=$build/services/plcctl
base=$(mktemp -d /dev/shm/plc-alarm-e2e-XXXXXX)
export RASPIPLC_BASE_DIR=$base RASPIPLC_LAYOUT=$layout
unset RASPIPLC_IO_BACKEND
pids=()
logic_pid=
follow_pid=
cleanup() {
    for p in "${pids[@]}" $logic_pid $follow_pid; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$base"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

alarm_is() { # ALARM STATE
    "$ctl" alarms | grep -qE "^$(printf '%s' "$1" | sed 's/\./\\./g') +$2 "
}
mb() { mbpoll -m tcp -p "$port" -a 1 -1 -0 "$@" 127.0.0.1 2>&1; }
# Write VALUE to holding register ADDRESS (0-based).
mb_write() { mbpoll -m tcp -p "$port" -a 1 -0 -t 4 -r "$1" 127.0.0.1 "$2" 2>&1; }
# The value at protocol address $2 of table $1 (mbpoll -0: 0-based addresses).
mb_read() { mb -t "$1" -r "$2" | sed -n "s/^\[$2\]: *\t*//p" | tr -d '[:space:]'; }
mb_is() { [ "$(mb_read "$1" "$2")" = "$3" ]; }
events_in_order() { # KIND NAME ... : each seen after the one before
    "$ctl" events >"$base/events" || return 1
    python3 - "$base/events" "$@" <<'EOF'
import sys
lines = open(sys.argv[1]).read().splitlines()
want = list(zip(sys.argv[2::2], sys.argv[3::2]))
i = 0
for line in lines:
    f = line.split()
    if i < len(want) and len(f) > 4 and f[3] == want[i][0] and f[4] == want[i][1]:
        i += 1
sys.exit(0 if i == len(want) else 1)
EOF
}
count_kind() { "$ctl" events | awk -v k="$1" -v n="$2" '$4 == k && $5 == n' | wc -l; }
start_logic() {
    "$build/services/plc-logic" --program "$build/examples/motor.so" --priority 0 \
        --no-lock-memory --cpu-dma-latency none >>"$base/logic.log" 2>&1 &
    logic_pid=$!
}

# A free port: the kernel's choice for a socket that is then closed.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$build/services/plc-shm-init" -q || exit 1
"$build/services/plc-io" --backend sim >"$base/io.log" 2>&1 &
pids+=($!)
"$build/services/plc-modbus" --listen "127.0.0.1:$port" >"$base/modbus.log" 2>&1 &
pids+=($!)
start_logic
check "the PLC runs (motor_fault follows the program)" "$sim" wait motor_fault 0 30000
check "plc-modbus answers" eventually mb_is 3 300 0
"$ctl" events --follow >"$base/follow" 2>&1 &
follow_pid=$!

# Raise: the level forced past level_alarm (95) for alarm_delay (2 s).
check "every alarm is normal" eventually alarm_is tank_level.h normal
check "force tank_level 97" "$ctl" force tank_level 97
check "tank_level.h raised, unacknowledged" eventually alarm_is tank_level.h unack_active
check "Modbus: its active bit (discrete input 100) is 1" mb_is 1 100 1
check "Modbus: its unacked bit (101) is 1" mb_is 1 101 1
check "Modbus: alarms_active (input register 300) is 1" mb_is 3 300 1
check "Modbus: alarms_unacked (301) is 1" mb_is 3 301 1

# Acknowledge over Modbus: add 1 to cmd_alarm_ack (holding register 3).
ack=$(mb_read 4 3)
check "write cmd_alarm_ack $((ack + 1))" mb_write 3 $((ack + 1))
check "tank_level.h acknowledged, still active" eventually alarm_is tank_level.h ack_active
check "Modbus: unacked bit 0, count 0" eventually mb_is 3 301 0
check "Modbus: alarm_ack_done (302) is $((ack + 1))" mb_is 3 302 $((ack + 1))

# Clear: the level falls back (the force released, the field's 0).
check "unforce tank_level" "$ctl" unforce tank_level
check "tank_level.h normal" eventually alarm_is tank_level.h normal
check "Modbus: active bit 0" mb_is 1 100 0
check "the events: force-on, raised, modbus-write, acked, force-off, cleared" \
    events_in_order force-on tank_level alarm-raised tank_level.h modbus-write cmd_alarm_ack \
    alarm-acked tank_level.h force-off tank_level alarm-cleared tank_level.h
check "plcctl events --follow showed them as they came" eventually grep -q "alarm-cleared *tank_level.h" "$base/follow"
check "... the raise too" grep -q "alarm-raised *tank_level.h *95→97 Tank level high" "$base/follow"

# plc-logic killed: the state is kept, nothing is raised twice, and an
# acknowledgement written while it is down is not lost.
check "force tank_level 98" "$ctl" force tank_level 98
check "tank_level.h raised again" eventually alarm_is tank_level.h unack_active
raised=$(count_kind alarm-raised tank_level.h)
kill -9 "$logic_pid"
wait "$logic_pid" 2>/dev/null
logic_pid=
ack=$(mb_read 4 3)
check "write cmd_alarm_ack while plc-logic is down" mb_write 3 $((ack + 1))
start_logic
check "tank_level.h acknowledged when plc-logic is back" eventually alarm_is tank_level.h ack_active
check "not raised again by the restart" test "$(count_kind alarm-raised tank_level.h)" -eq "$raised"
check "acknowledged twice in all (once per request)" test "$(count_kind alarm-acked tank_level.h)" -eq 2
check "unforce tank_level" "$ctl" unforce tank_level
check "tank_level.h normal" eventually alarm_is tank_level.h normal

# Shelving: the raised alarm taken out of annunciation by plcctl, and back.
# refused EXIT MESSAGE COMMAND...: exits EXIT, says MESSAGE on stderr, prints nothing.
refused() {
    local want=$1 msg=$2 rc=0
    shift 2
    "$@" >"$base/r.out" 2>"$base/r.err" || rc=$?
    [ "$rc" -eq "$want" ] && [ "$(cat "$base/r.err")" = "$msg" ] && [ ! -s "$base/r.out" ]
}
shelved_is() { # ALARM TEXT: the SHELVED column of plcctl alarms
    "$ctl" --json alarms | python3 -c "import json, sys
a = {x['alarm']: x['shelved'] for x in json.load(sys.stdin)}
sys.exit(0 if a[sys.argv[1]] == (sys.argv[2] or None) else 1)" "$1" "$2"
}
check "force tank_level 97" "$ctl" force tank_level 97
check "tank_level.h raised" eventually alarm_is tank_level.h unack_active
check "refused: an unknown alarm" refused 1 \
    "plcctl: shelve: no alarm 'tank_level.hh' in layout 'demo' (its alarms: tank_level.h, motor_trip)" \
    "$ctl" shelve tank_level.hh
check "refused: longer than alarm_shelve_max" refused 2 \
    "plcctl: shelve: alarm 'tank_level.h' may be shelved for at most 8h (alarm_shelve_max)" \
    "$ctl" shelve tank_level.h --for 9h
check "refused: not a duration" refused 2 \
    "plcctl: shelve: --for 'soon' is not a duration (90s, 30min, 8h)" \
    "$ctl" shelve tank_level.h --for soon
check "refused: unshelve what is not shelved" refused 1 \
    "plcctl: unshelve: alarm 'tank_level.h' is not shelved" "$ctl" unshelve tank_level.h
check "nothing was written: not shelved, no event" shelved_is tank_level.h ""
check "... no alarm-shelved event" test "$(count_kind alarm-shelved tank_level.h)" -eq 0
check "plcctl shelve tank_level.h --for 10min" "$ctl" shelve tank_level.h --for 10min
until_now=$(sed -n 's/^tank_level\.h shelved until //p' "$base/out")
check "tank_level.h shown normal while shelved (its condition holds)" \
    eventually alarm_is tank_level.h normal
check "plcctl alarms: SHELVED until $until_now" shelved_is tank_level.h "until $until_now"
check "... in the text table too" \
    bash -c "'$ctl' alarms | grep -E '^tank_level\.h +normal ' | grep -qF ' until $until_now '"
check "Modbus: its active bit is 0" mb_is 1 100 0
check "plcctl unshelve tank_level.h" "$ctl" unshelve tank_level.h
check "tank_level.h unack_active again" eventually alarm_is tank_level.h unack_active
check "plcctl alarms: not shelved" shelved_is tank_level.h ""
check "the events: shelved (by whom, until), unshelved, raised" \
    events_in_order alarm-shelved tank_level.h alarm-unshelved tank_level.h \
    alarm-raised tank_level.h
check "alarm-shelved says who and until when" \
    bash -c "'$ctl' events | grep -E 'alarm-shelved +tank_level\.h ' | grep -qF '$(id -un) until $until_now'"
check "unforce tank_level" "$ctl" unforce tank_level
check "tank_level.h returned (unack_rtn)" eventually alarm_is tank_level.h unack_rtn
ack=$(mb_read 4 3)
check "acknowledge it over Modbus" mb_write 3 $((ack + 1))
check "tank_level.h normal" eventually alarm_is tank_level.h normal

# The motor trip: started with no contactor feedback, the program trips it;
# the next start request with feedback clears it (the program's RS).
"$sim" set motor_feedback 0
press_start() { "$sim" set start_button 1 && "$sim" wait motor_run 1 30000 && "$sim" set start_button 0; }
check "press start (no feedback)" press_start
check "motor_trip raised by the program" eventually alarm_is motor_trip unack_active
check "the trip stops the motor" "$sim" wait motor_run 0 30000
"$sim" set motor_feedback 1
check "press start (feedback on): the program resets the trip" press_start
check "motor_trip returned to normal unacknowledged" eventually alarm_is motor_trip unack_rtn
ack=$(mb_read 4 3)
check "acknowledge it over Modbus" mb_write 3 $((ack + 1))
check "motor_trip normal" eventually alarm_is motor_trip normal
check "plcctl alarms --json is JSON with both alarms" \
    bash -c "'$ctl' --json alarms | python3 -c 'import json,sys; a = json.load(sys.stdin); assert [x[\"alarm\"] for x in a] == [\"tank_level.h\", \"motor_trip\"]'"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
