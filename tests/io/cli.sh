#!/bin/bash
# plc-io and plc-io-sim as programs: exit status and the exact error line,
# and one run on the sim backend driven through plc-io-sim, with a real
# plc-logic that is killed: plc-io's event ring holds what it did.
# usage: cli.sh BUILD_DIR LAYOUT
set -u
build=$1
layout=$2
io=$build/services/plc-io
sim=$build/services/plc-io-sim
peer=$build/tests/gpio/gpio-peer
logic=$build/services/plc-logic
ring_dump=$build/tests/services/ring-dump
base=$(mktemp -d /dev/shm/plc-io-cli-XXXXXX)
export RASPIPLC_BASE_DIR=$base RASPIPLC_LAYOUT=$layout
unset RASPIPLC_IO_BACKEND
failures=0
pid=
logic_pid=
cleanup() {
    [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
    [ -n "$logic_pid" ] && kill -9 "$logic_pid" 2>/dev/null
    rm -rf "$base"
}
trap cleanup EXIT

expect() { # want-status want-stderr-line command...
    local want=$1 line=$2 out rc
    shift 2
    out=$("$@" 2>&1 >/dev/null)
    rc=$?
    if [ "$rc" != "$want" ] || [ "$out" != "$line" ]; then
        echo "FAIL: $*"
        echo "  got:  $rc '$out'"
        echo "  want: $want '$line'"
        failures=$((failures + 1))
    else
        echo "ok: $*"
    fi
}

expect 1 "plc-io: $base/demo/events-io: event ring not found: has plc-shm-init run?" \
    "$io" --backend sim
"$build/services/plc-shm-init" -q || exit 1
expect 1 "plc-io: unknown backend 'pigpio' (expected sim or gpiod)" "$io" --backend pigpio
expect 2 "plc-io: --heartbeat-timeout 'soon' is not a duration (10ms, 500us, 1s)" "$io" --heartbeat-timeout soon
expect 2 "plc-io: --heartbeat-timeout 3601s is outside 0..3600s" "$io" --heartbeat-timeout 3601s

"$io" --backend sim > "$base/io.out" 2> "$base/io.err" &
pid=$!
# Readiness: its "ready" line, for up to 60 s (a loaded machine is slow, not wrong).
t0=$(date +%s%N)
while ! grep -q "^plc-io: ready" "$base/io.out" && kill -0 "$pid" 2>/dev/null &&
    (($(date +%s%N) - t0 < 60000000000)); do
    sleep 0.01
done
grep -q "^plc-io: ready" "$base/io.out" || {
    echo "FAIL: plc-io not ready after $((($(date +%s%N) - t0) / 1000000)) ms$(kill -0 "$pid" 2>/dev/null || echo " (it exited)")"
    cat "$base/io.err"
    exit 1
}
grep -q "^start_button *in *gpiochip0 *17 *GPIO17 *pull-up" "$base/io.out" ||
    { echo "FAIL: no resolved line table"; failures=$((failures + 1)); }

expect 0 "" "$sim" set start_button 1
expect 0 "" "$peer" wait "$layout" start_button 1 30000
expect 0 "" "$sim" wait motor_fault 1 30000
expect 1 "plc-io-sim: tag 'motor_run' is an output: plc-io drives it, the field cannot set it" \
    "$sim" set motor_run 1
expect 1 "plc-io-sim: layout 'demo' has no tag 'nope'" "$sim" get nope
expect 2 "plc-io-sim: 'maybe' is not a bool value (0, 1, true, false)" "$sim" set start_button maybe
[ "$("$sim" get motor_run)" = 0 ] && echo "ok: motor_run is at its safe value 0" ||
    { echo "FAIL: motor_run is not 0"; failures=$((failures + 1)); }
"$sim" list | grep -q "^start_button *in *1 *low *yes" && echo "ok: list shows start_button pressed" ||
    { echo "FAIL: list"; "$sim" list; failures=$((failures + 1)); }

# plcctl sim is the same verbs through plcctl (one implementation, plc_sim_command)
ctl=$build/services/plcctl
expect 0 "" "$ctl" sim set stop_button 1
expect 0 "" "$peer" wait "$layout" stop_button 1 30000
[ "$("$ctl" sim get stop_button)" = 1 ] && echo "ok: plcctl sim get reads the field" ||
    { echo "FAIL: plcctl sim get stop_button"; failures=$((failures + 1)); }
expect 1 "plcctl sim: tag 'motor_run' is an output: plc-io drives it, the field cannot set it" \
    "$ctl" sim set motor_run 1
expect 2 "plcctl sim: usage: set TAG 0|1 | release TAG | get TAG | wait TAG 0|1 [MS] | list" \
    "$ctl" sim press start_button

# wait_line FILE PATTERN: until a line of FILE matches, for up to 60 s.
wait_line() {
    local t0
    t0=$(date +%s%N)
    while ! grep -q "$2" "$1" && (($(date +%s%N) - t0 < 60000000000)); do
        sleep 0.01
    done
    grep -q "$2" "$1" && echo "ok: $1 says '$2'" ||
        { echo "FAIL: no '$2' in $1:"; cat "$1"; failures=$((failures + 1)); }
}

# A real plc-logic drives the outputs; killed, they go safe.
"$logic" --program "$build/examples/motor.so" --priority 0 --no-lock-memory \
    >"$base/logic.out" 2>&1 &
logic_pid=$!
wait_line "$base/io.err" "outputs: following region 'outputs'"
kill -9 "$logic_pid"
wait "$logic_pid" 2>/dev/null
wait_line "$base/io.err" "outputs: safe values: writer pid $logic_pid (plc-logic) of 'outputs' died"

kill -TERM "$pid"
wait "$pid"
rc=$?
io_pid=$pid
pid=

# plc-io's ring: start, following the logic, safe when it died, stop; nothing else.
"$ring_dump" "$layout" "$base" io 2>"$base/events.err" | sed -E '1s/pid [0-9]+/pid N/' >"$base/events"
# (The refused backend above started and stopped too, before anything else.)
printf '%s\n' "service-start	5	-	0	0	pid N, backend pigpio" \
    "service-stop	3	-	0	0	unknown backend 'pigpio' (expected sim or gpiod" \
    "service-start	5	-	0	0	pid $io_pid, backend sim" \
    "outputs-following	5	outputs	0	0	plc-logic pid $logic_pid" \
    "outputs-safe	4	outputs	0	0	plc-logic pid $logic_pid died" \
    "service-stop	5	-	0	0	stopped, outputs safe" >"$base/events.want"
logic_pid=
diff -u "$base/events.want" "$base/events" >"$base/events.diff" 2>&1 && [ ! -s "$base/events.err" ] &&
    echo "ok: plc-io's ring holds start, following, safe, stop" ||
    { echo "FAIL: plc-io's ring:"; cat "$base/events.diff" "$base/events.err"; failures=$((failures + 1)); }
[ $rc = 0 ] && echo "ok: plc-io exits 0 on SIGTERM" || { echo "FAIL: plc-io exit $rc"; failures=$((failures + 1)); }
grep -q "start_button *in *value 1, 1 changes, 1 edges" "$base/io.out" &&
    grep -q "stopped, outputs at their safe values" "$base/io.out" && echo "ok: counters at stop" ||
    { echo "FAIL: stop report"; cat "$base/io.out"; failures=$((failures + 1)); }
[ $failures = 0 ]
