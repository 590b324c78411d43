#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# plcctl events: the history and the rings merged, each record once, in time
# order; --since; --json parsed back; --follow sees a record appended after it
# started, and stops on SIGINT.
# usage: test-plcctl-events.sh PLCCTL PLC_SHM_INIT LAYOUT EVENT_POKE
. "$(dirname "$0")/lib.sh"

TIME_RE='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{4}'
export RASPIPLC_EVENTS_DIR  # set per case

# event SOURCE KIND NAME BEFORE AFTER TEXT [AGE_S [history]]
event() {
    local hist=()
    [ "${8:-}" = history ] && hist=("$RASPIPLC_EVENTS_DIR")
    run "$POKE" "$LAYOUT" "$BASE" "$1" "$2" "$3" "$4" "$5" "$6" "${7:-0}" "${hist[@]}"
    [ "$STATUS" -eq 0 ] || fail "event-poke: $(cat "$ERR")"
}

# Three events: two kept in the history already (2 h and 1 h ago), one in a ring only.
three() {
    RASPIPLC_EVENTS_DIR=$WORK/events
    event logic alarm-raised level_high 80 96 "above limit" 7200 history
    event io service-start "" 0 0 "started" 3600 history
    event logic modbus-write cmd_start 0 1 "from SCADA"
}

# The column N of each line of $OUT, joined by spaces.
column() { awk -v n="$1" '{ printf "%s%s", (NR > 1 ? " " : ""), $n }' "$OUT"; }

begin history_and_rings_merged_once_in_time_order
three
ctl events
expect_status 0
expect_no_err
[ "$(wc -l <"$OUT")" -eq 3 ] || fail "3 lines expected: $(cat "$OUT")"
[ "$(column 2)" = "logic io logic" ] || fail "sources: $(column 2)"
[ "$(column 4)" = "alarm-raised service-start modbus-write" ] || fail "kinds: $(column 4)"
grep -qE "^$TIME_RE logic +warning|notice" "$OUT" || fail "no time and severity: $(cat "$OUT")"
grep -qF "level_high       80→96 above limit" "$OUT" || fail "no before→after: $(cat "$OUT")"
grep -qF "io       notice  service-start     -                - started" "$OUT" ||
    fail "no dashes for what is not there: $(cat "$OUT")"
end

begin since_relative_and_absolute_and_bad
three
ctl events --since -90min
expect_status 0
[ "$(column 4)" = "service-start modbus-write" ] || fail "--since -90min: $(cat "$OUT")"
ctl events --since "$(date -d '-30 min' '+%Y-%m-%d %H:%M:%S')"
[ "$(column 4)" = "modbus-write" ] || fail "--since date: $(cat "$OUT")"
ctl events --since "$(date -d '-3 hours' '+%Y-%m-%d %H:%M')"
[ "$(wc -l <"$OUT")" -eq 3 ] || fail "--since 3 h ago: $(cat "$OUT")"
ctl events --since yesterday
expect_status 2
expect_err "plcctl: events: --since 'yesterday' is not a time: give YYYY-MM-DD[ HH:MM[:SS]], HH:MM, or an age such as -10min or -2h"
ctl events --since -10parsecs
expect_status 2
end

begin json_lines_parse_back
three
ctl --json events
expect_status 0
python3 - "$OUT" >"$WORK/json" 2>&1 <<'PY' || fail "$(cat "$WORK/json")"
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
assert [r["source"] for r in rows] == ["logic", "io", "logic"], rows
assert [r["seq"] for r in rows] == [0, 0, 1], rows
a = rows[0]
assert a["kind"] == "alarm-raised" and a["name"] == "level_high", a
assert a["before"] == 80 and a["after"] == 96 and a["text"] == "above limit", a
assert a["severity"] == "notice" and a["priority"] == 5 and a["lost"] == 0, a
assert "before" not in rows[1] and rows[1]["name"] is None, rows[1]
assert rows[0]["realtime_ns"] < rows[1]["realtime_ns"] < rows[2]["realtime_ns"]
PY
end

begin follow_prints_a_new_record_then_stops_on_sigint
three
rm -f "$WORK/fifo"
mkfifo "$WORK/fifo"
env --default-signal=INT,TERM "$PLCCTL" --layout "$LAYOUT" --base-dir "$BASE" events --follow \
    >"$WORK/fifo" 2>"$WORK/follow-err" &
FOLLOW=$!
PIDS+=("$FOLLOW")
exec 8<"$WORK/fifo"
for want in alarm-raised service-start modbus-write; do
    IFS= read -r -t 20 line <&8 || fail "no line (wanted $want): $(cat "$WORK/follow-err")"
    [[ $line == *" $want "* ]] || fail "got '$line', wanted $want"
done
event plcctl force-on motor_run 0 1 "forced by hand"
IFS= read -r -t 20 line <&8 || fail "--follow did not print the new record"
[[ $line == *" plcctl "*" force-on "*"motor_run"*"0→1 forced by hand" ]] || fail "got '$line'"
kill -INT "$FOLLOW"
wait "$FOLLOW"
status=$?
PIDS=("${PIDS[@]/$FOLLOW/}")
[ "$status" -eq 0 ] || fail "--follow exit status $status: $(cat "$WORK/follow-err")"
exec 8<&-
end

echo "$CASES cases, $FAILED failed"
[ "$FAILED" -eq 0 ]
