#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# plcctl from the command line: every verb, --json, and the errors, against
# regions made by plc-shm-init and written by the poke helper.
# usage: test-plcctl.sh PLCCTL PLC_SHM_INIT LAYOUT POKE
. "$(dirname "$0")/lib.sh"

HASH=$(awk '$1 == "hash" { print $3 }' "${LAYOUT%.ini}.lock")
TIME_RE='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}[+-][0-9]{4}'

poke() { run "$POKE" "$LAYOUT" "$BASE" "$@"; }

# Start plcctl ARGS... in the background writing to a fifo read on fd 8:
# `read -t` on fd 8 is the readiness signal, never a sleep. Sets WATCH_PID.
start_watch() {
    rm -f "$WORK/fifo"
    mkfifo "$WORK/fifo"
    # A background job of a script starts with SIGINT ignored: give it back.
    env --default-signal=INT,TERM "$PLCCTL" --layout "$LAYOUT" --base-dir "$BASE" "$@" \
        >"$WORK/fifo" 2>"$WORK/watch-err" &
    WATCH_PID=$!
    PIDS+=("$WATCH_PID")
    exec 8<"$WORK/fifo"
}

# expect_line REGEX: the next line from the watch matches REGEX (whole line).
expect_line() {
    local line
    if ! IFS= read -r -t 20 line <&8; then
        fail "no line from watch (expected /$1/); stderr: $(cat "$WORK/watch-err")"
        return
    fi
    [[ $line =~ ^$1$ ]] || fail "watch printed '$line', expected /$1/"
}

# expect_watch_exit STATUS: the watch ended with STATUS and printed nothing more.
expect_watch_exit() {
    local line status
    wait "$WATCH_PID"
    status=$?
    PIDS=("${PIDS[@]/$WATCH_PID/}")
    [ "$status" -eq "$1" ] || fail "watch exit status $status, expected $1: $(cat "$WORK/watch-err")"
    if IFS= read -r -t 5 line <&8; then
        fail "watch printed more: '$line'"
    fi
    exec 8<&-
}

# ---- ls ----------------------------------------------------------------------

begin ls_lists_fresh_regions
init
ctl ls
expect_status 0
expect_no_err
expect_out <<'EOF'
REGION      SIZE  DATA  WRITER  PID  ALIVE  SEQ  EPOCH  HEARTBEAT  READERS  READS  RETRIES  STALE  STATUS
inputs      4096     8  io        -  no       0      1          -        0      0        0      0  ok
outputs     4096     8  logic     -  no       0      1          -        0      0        0      0  ok
commands    4096     8  modbus    -  no       0      1          -        0      0        0      0  ok
parameters  4096    16  modbus    -  no       0      1          -        0      0        0      0  ok
status      4096     8  logic     -  no       0      1          -        0      0        0      0  ok
EOF
end

begin ls_missing_base_dir_names_init_tool
ctl ls
expect_status 1
expect_out <<'EOF'
REGION      SIZE  DATA  WRITER  PID  ALIVE  SEQ  EPOCH  HEARTBEAT  READERS  READS  RETRIES  STALE  STATUS
inputs      4096     8  io        -  -        -      -          -        -      -        -      -  missing: has plc-shm-init run?
outputs     4096     8  logic     -  -        -      -          -        -      -        -      -  missing: has plc-shm-init run?
commands    4096     8  modbus    -  -        -      -          -        -      -        -      -  missing: has plc-shm-init run?
parameters  4096    16  modbus    -  -        -      -          -        -      -        -      -  missing: has plc-shm-init run?
status      4096     8  logic     -  -        -      -          -        -      -        -      -  missing: has plc-shm-init run?
EOF
expect_err "plcctl: $BASE/demo/inputs: region 'inputs' not found in $BASE/demo: has plc-shm-init run?" \
    "plcctl: $BASE/demo/outputs: region 'outputs' not found in $BASE/demo: has plc-shm-init run?" \
    "plcctl: $BASE/demo/commands: region 'commands' not found in $BASE/demo: has plc-shm-init run?" \
    "plcctl: $BASE/demo/parameters: region 'parameters' not found in $BASE/demo: has plc-shm-init run?" \
    "plcctl: $BASE/demo/status: region 'status' not found in $BASE/demo: has plc-shm-init run?"
end

begin ls_one_missing_region_still_lists_the_others
init
rm "$BASE/demo/status"
ctl ls
expect_status 1
expect_cell inputs STATUS ok
expect_cell status STATUS missing:
expect_err "plcctl: $BASE/demo/status: region 'status' not found in $BASE/demo: has plc-shm-init run?"
end

begin ls_shows_live_writer_then_its_release
init
coproc "$POKE" "$LAYOUT" "$BASE" modbus level_high 42.5 --hold
POKE_PID=$COPROC_PID
PIDS+=("$POKE_PID")
IFS= read -r -t 20 line <&"${COPROC[0]}" || fail "poke did not start"
[ "${line:-}" = "poked level_high=42.5" ] || fail "poke printed '${line:-}'"
ctl ls
expect_status 0
expect_cell parameters PID "$POKE_PID"
expect_cell parameters ALIVE yes
expect_cell parameters SEQ 2
expect_cell parameters READERS 0
expect_cell parameters STATUS ok
expect_cell commands ALIVE no
[[ $(cell parameters HEARTBEAT) =~ ^[0-9]+\.[0-9]s$ ]] || fail "heartbeat '$(cell parameters HEARTBEAT)'"
ctl info parameters
expect_cell holder VALUE poke
expect_cell writer_pid VALUE "$POKE_PID"
expect_cell writer_alive VALUE yes
expect_cell writes VALUE 1
ctl --json ls
expect_json "[r['writer_pid'] for r in j if r['region'] == 'parameters'] == [$POKE_PID]
    and [r['writer_alive'] for r in j] == [False, False, False, True, False]
    and all(isinstance(r['heartbeat_age_s'], float) for r in j if r['region'] == 'parameters')"
eval "exec ${COPROC[1]}>&-"   # poke's stdin closes: it detaches and exits
wait "$POKE_PID"
[ $? -eq 0 ] || fail "poke failed"
PIDS=("${PIDS[@]/$POKE_PID/}")
ctl ls
expect_cell parameters PID -
expect_cell parameters ALIVE no
expect_cell parameters SEQ 2
end

begin ls_json_is_an_array_of_regions
init
ctl --json ls
expect_status 0
expect_json '[r["region"] for r in j] == ["inputs", "outputs", "commands", "parameters", "status"]
    and all(r["status"] == "ok" and r["seq"] == 0 and r["epoch"] == 1 and r["size"] == 4096
            and r["writer_pid"] is None and r["writer_alive"] is False
            and r["heartbeat_age_s"] is None and r["readers"] == 0 for r in j)
    and j[3]["data_size"] == 16 and j[3]["writer"] == "modbus"'
end

begin ls_json_missing_region_has_status
ctl --json ls
expect_status 1
expect_json 'len(j) == 5 and all(r["status"] == "missing: has plc-shm-init run?"
                                 and r["seq"] is None for r in j)'
end

# ---- info --------------------------------------------------------------------

begin info_shows_every_header_field
init
ctl info parameters
expect_status 0
expect_no_err
awk '{ print $1 }' "$OUT" >"$WORK/fields"
diff -u - "$WORK/fields" >"$WORK/diff" <<'EOF' || fail "info fields differ: $(cat "$WORK/diff")"
FIELD
region
path
layout
layout_version
layout_hash
writer_service
holder
writer_pid
writer_alive
took_over_from
size
data_size
seq
epoch
created
heartbeat_age_s
update_age_s
writes
reads
retries
stale_reads
attaches
repairs
claims
forced
EOF
expect_cell region VALUE parameters
expect_cell path VALUE "$BASE/demo/parameters"
expect_cell layout VALUE demo
expect_cell layout_version VALUE 1
expect_cell layout_hash VALUE "$HASH"
expect_cell writer_service VALUE modbus
expect_cell holder VALUE -
expect_cell writer_pid VALUE -
expect_cell writer_alive VALUE no
expect_cell size VALUE 4096
expect_cell data_size VALUE 16
expect_cell seq VALUE 0
expect_cell epoch VALUE 1
expect_cell heartbeat_age_s VALUE -
expect_cell writes VALUE 0
[[ $(cell created VALUE) =~ ^$TIME_RE$ ]] || fail "created '$(cell created VALUE)'"
end

begin info_json_is_an_object
init
ctl --json info outputs
expect_status 0
expect_json 'j["region"] == "outputs" and j["writer_service"] == "logic" and j["size"] == 4096
    and j["data_size"] == 8 and j["epoch"] == 1 and j["seq"] == 0 and j["writer_alive"] is False
    and j["writer_pid"] is None and j["layout_hash"] == "'"$HASH"'"
    and j["path"] == "'"$BASE/demo/outputs"'" and j["repairs"] == 0 and j["claims"] == 0 and j["forced"] is None and len(j) == 25'
end

begin info_unknown_region
init
ctl info outptus
expect_status 1
expect_out </dev/null
expect_err "plcctl: unknown region 'outptus' in layout 'demo'"
end

begin info_missing_region
ctl info inputs
expect_status 1
expect_out </dev/null
expect_err "plcctl: $BASE/demo/inputs: region 'inputs' not found in $BASE/demo: has plc-shm-init run?"
end

# ---- get ---------------------------------------------------------------------

begin get_prints_values_with_units
init
poke modbus level_low 12.25
ctl get level_high fault_delay_ms motor_run cmd_start level_low
expect_status 0
expect_no_err
expect_out <<'EOF'
TAG             VALUE  UNIT
level_high         80  %
fault_delay_ms   2000  ms
motor_run       false
cmd_start           0
level_low       12.25  %
EOF
end

begin get_json_has_typed_values
init
poke modbus level_alarm 90.5
ctl --json get level_high fault_delay_ms motor_run cmd_start level_alarm tank_level
expect_status 0
expect_json 'j == {"level_high": 80, "fault_delay_ms": 2000, "motor_run": False,
                   "cmd_start": 0, "level_alarm": 90.5, "tank_level": 0}
    and type(j["motor_run"]) is bool and type(j["fault_delay_ms"]) is int
    and list(j) == ["level_high", "fault_delay_ms", "motor_run", "cmd_start", "level_alarm",
                    "tank_level"]'
end

begin get_unknown_tag_reads_nothing
init
ctl get level_high levle_low
expect_status 1
expect_out </dev/null
expect_err "plcctl: unknown tag 'levle_low' in layout 'demo'"
end

begin get_missing_region
ctl get level_high
expect_status 1
expect_out </dev/null
expect_err "plcctl: $BASE/demo/parameters: region 'parameters' not found in $BASE/demo: has plc-shm-init run?"
end

begin get_uses_environment_defaults
init
RASPIPLC_LAYOUT=$LAYOUT RASPIPLC_BASE_DIR=$BASE run "$PLCCTL" get level_high
expect_status 0
expect_out <<'EOF'
TAG         VALUE  UNIT
level_high     80  %
EOF
end

# ---- dump --------------------------------------------------------------------

begin dump_decodes_every_tag
init
poke modbus level_low 33.5
poke modbus fault_delay_ms 150
ctl dump parameters
expect_status 0
expect_no_err
expect_out <<'EOF'
TAG             TYPE     OFFSET  VALUE  UNIT
level_high      float32       0     80  %
level_low       float32       4   33.5  %
level_alarm     float32       8     95  %
fault_delay_ms  uint32       12    150  ms
EOF
end

begin dump_json_is_an_array
init
poke io start_button true
ctl --json dump inputs
expect_status 0
expect_json 'j == [
    {"tag": "start_button", "type": "bool", "offset": 0, "value": True, "unit": ""},
    {"tag": "stop_button", "type": "bool", "offset": 1, "value": False, "unit": ""},
    {"tag": "motor_feedback", "type": "bool", "offset": 2, "value": False, "unit": ""},
    {"tag": "tank_level", "type": "float32", "offset": 4, "value": 0, "unit": "%"}]'
end

begin dump_unknown_region
init
ctl dump nope
expect_status 1
expect_err "plcctl: unknown region 'nope' in layout 'demo'"
end

# ---- usage and layout errors -------------------------------------------------

begin unknown_command_is_usage_error
ctl frobnicate
expect_status 2
expect_out </dev/null
expect_err "plcctl: unknown command 'frobnicate' (try plcctl --help)"
end

begin missing_arguments_are_usage_errors
ctl get
expect_status 2
expect_err "plcctl: usage: plcctl get TAG..."
ctl info
expect_status 2
expect_err "plcctl: usage: plcctl info REGION"
ctl dump inputs outputs
expect_status 2
expect_err "plcctl: usage: plcctl dump REGION"
ctl ls extra
expect_status 2
expect_err "plcctl: usage: plcctl ls"
run "$PLCCTL"
expect_status 2
expect_err "plcctl: no command given (try plcctl --help)"
end

begin help_lists_every_command
run "$PLCCTL" --help
expect_status 0
expect_no_err
for verb in "ls" "info REGION" "get TAG..." "dump REGION" "watch TAG... [--count N] [--timeout SECONDS]"; do
    grep -qxF "  $verb" "$OUT" || fail "--help lacks '$verb'"
done
end

begin layout_error_names_file_and_line
sed 's/^region = inputs$/region = inptus/' "$LAYOUT" >"$WORK/bad.ini"
line=$(grep -n '^region = inptus$' "$WORK/bad.ini" | head -1 | cut -d: -f1)
run "$PLCCTL" --layout "$WORK/bad.ini" --base-dir "$BASE" ls
expect_status 1
expect_out </dev/null
expect_err "plcctl: $WORK/bad.ini:$line: tag 'start_button': region 'inptus' is not declared"
end

# ---- watch -------------------------------------------------------------------

begin watch_prints_initial_value_then_change
init
start_watch watch level_high --count 1
expect_line "$TIME_RE level_high=80"
poke modbus level_high 42.5
expect_status 0
expect_line "$TIME_RE level_high=42.5"
expect_watch_exit 0
end

begin watch_prints_only_changed_tags
init
start_watch watch level_high level_low --count 1
expect_line "$TIME_RE level_high=80"
expect_line "$TIME_RE level_low=20"
poke modbus level_high 80   # published, but the same value: no line
poke modbus level_low 10
expect_line "$TIME_RE level_low=10"
expect_watch_exit 0
end

begin watch_json_follows_tags_in_several_regions
init
start_watch --json watch level_high cmd_start --count 2
expect_line '\{"time":"'"$TIME_RE"'","tag":"level_high","value":80\}'
expect_line '\{"time":"'"$TIME_RE"'","tag":"cmd_start","value":0\}'
poke modbus cmd_start 3
expect_line '\{"time":"'"$TIME_RE"'","tag":"cmd_start","value":3\}'
poke logic motor_run true   # not watched
poke modbus level_high 55.5
expect_line '\{"time":"'"$TIME_RE"'","tag":"level_high","value":55.5\}'
expect_watch_exit 0
end

begin watch_counts_as_reader_and_stops_on_sigterm
init
start_watch watch level_high
expect_line "$TIME_RE level_high=80"
ctl ls
expect_cell parameters READERS 1
expect_cell inputs READERS 0
kill -TERM "$WATCH_PID"
expect_watch_exit 0
end

begin watch_stops_on_sigint
init
start_watch watch level_high fault_delay_ms
expect_line "$TIME_RE level_high=80"
expect_line "$TIME_RE fault_delay_ms=2000"
kill -INT "$WATCH_PID"
expect_watch_exit 0
end

begin watch_timeout_ends_cleanly
init
ctl watch motor_run --timeout 0.2
expect_status 0
expect_no_err
[ "$(wc -l <"$OUT")" -eq 1 ] || fail "expected the initial line only: $(cat "$OUT")"
grep -qE "^$TIME_RE motor_run=false$" "$OUT" || fail "initial line: $(cat "$OUT")"
end

begin watch_bad_arguments
init
ctl watch level_high --count 0
expect_status 2
expect_err "plcctl: watch: --count wants a whole number above 0, not '0'"
ctl watch level_high --timeout soon
expect_status 2
expect_err "plcctl: watch: --timeout wants seconds above 0, not 'soon'"
ctl watch --count 1
expect_status 2
expect_err "plcctl: usage: plcctl watch TAG... [--count N] [--timeout SECONDS]"
ctl watch level_high nope --count 1
expect_status 1
expect_out </dev/null
expect_err "plcctl: unknown tag 'nope' in layout 'demo'"
end

# ---- force, unforce, forces (the table alone; tests/e2e/force.sh runs the services) ----

begin force_refusals_name_the_tag_and_write_nothing
init
ctl force nope 1
expect_status 1
expect_err "plcctl: unknown tag 'nope' in layout 'demo'"
ctl force ack_start 3
expect_status 1
expect_err "plcctl: tag 'ack_start' is in region 'status' (written by logic): only inputs and outputs can be forced"
ctl force cmd_start 1
expect_status 1
expect_err "plcctl: tag 'cmd_start' is in region 'commands' (written by modbus): only inputs and outputs can be forced"
ctl force motor_run 2
expect_status 2
expect_err "plcctl: force: tag 'motor_run' is bool: '2' is not a value of the type (0, 1, true or false)"
ctl force tank_level 1e39
expect_status 2
expect_err "plcctl: force: tag 'tank_level' is float32: '1e39' is out of range (a finite number within +-3.40282346e38)"
ctl force motor_run 1 --for 9h
expect_status 2
expect_err "plcctl: force: --for 9h is outside 1s..8h ([logic] force_max)"
ctl force motor_run 1 --for forever
expect_status 2
expect_err "plcctl: force: --for forever: the layout's [logic] force_max is not forever"
ctl force motor_run
expect_status 2
expect_err "plcctl: usage: plcctl force TAG VALUE [--for DURATION]"
ctl forces
expect_status 0
echo "TAG  REGION  VALUE  BY  SINCE  UNTIL" | expect_out
end

begin force_shows_in_get_info_and_forces_until_unforced
init
ctl force motor_run true --for 30min
expect_status 0
expect_no_err
grep -qE "^motor_run forced to true until ([0-9]{2}:[0-9]{2}:[0-9]{2}|$TIME_RE)\$" "$OUT" ||
    fail "force printed '$(cat "$OUT")'"
ctl force start_button 1
expect_status 0
ctl get motor_run pump_run start_button
expect_status 0
grep -qE '^motor_run +false +FORCED until ' "$OUT" || fail "get: $(cat "$OUT")"
grep -qE '^pump_run +false *$' "$OUT" || fail "get: $(cat "$OUT")"
head -1 "$OUT" | grep -qE '^TAG +VALUE +UNIT +FORCED$' || fail "get header: $(head -1 "$OUT")"
ctl info outputs
[[ $(grep '^forced' "$OUT") =~ ^forced\ +motor_run\ \(FORCED\ until\ .*\)$ ]] ||
    fail "info: $(grep '^forced' "$OUT")"
ctl --json forces
expect_json '[(f["tag"], f["region"], f["value"], f["by"]) for f in j] ==
    [("motor_run", "outputs", True, "'"$(id -un)"'"), ("start_button", "inputs", True, "'"$(id -un)"'")]'
ctl unforce motor_run
expect_status 0
echo "motor_run released" | expect_out
ctl unforce motor_run
expect_status 1
expect_err "plcctl: unforce: tag 'motor_run' is not forced"
ctl unforce --all
echo "start_button released" | expect_out
ctl get motor_run
printf 'TAG        VALUE  UNIT\nmotor_run  false\n' | expect_out
end

begin force_needs_write_access_to_the_table
init
if [ "$(id -u)" -ne 0 ]; then
    chmod 0440 "$BASE/demo/force"
    ctl force motor_run 1
    expect_status 1
    expect_err "plcctl: $BASE/demo/force: force table: permission denied: only members of group '$(id -gn)' may force"
elif setpriv --reuid=nobody --regid=nogroup --clear-groups true 2>/dev/null; then
    chmod 0711 "$TMP" "$BASE"
    run setpriv --reuid=nobody --regid=nogroup --clear-groups \
        "$PLCCTL" --layout "$LAYOUT" --base-dir "$BASE" force motor_run 1
    expect_status 1
    expect_err "plcctl: $BASE/demo/force: force table: permission denied: only members of group 'root' may force"
else
    # Root of a user namespace that maps no other user (scripts/cross-test.sh under
    # qemu-user): there is nobody else to be. The native run checks the refusal; here,
    # the mode it rests on: the owner and its group write, others nothing.
    run stat -c %a "$BASE/demo/force"
    expect_status 0
    echo 660 | expect_out
fi
end

begin shm_init_releases_every_force
init
ctl force motor_run 1
ctl force start_button 1
init
expect_status 0
grep -qx "plc-shm-init: 2 forced tag(s) released" "$OUT" || fail "init printed: $(cat "$OUT")"
ctl forces
echo "TAG  REGION  VALUE  BY  SINCE  UNTIL" | expect_out
end

finish
