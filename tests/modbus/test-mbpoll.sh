#!/usr/bin/env bash
# An independent Modbus client: Debian's mbpoll reads and writes the demo map served
# by the real plc-modbus, with mbpoll's own 1-based references (40101 = -r 101).
# usage: test-mbpoll.sh BUILD_DIR LAYOUT
set -euo pipefail
build=$1 layout=$2
command -v mbpoll >/dev/null || { echo "mbpoll is not installed: run scripts/install-deps.sh" >&2; exit 1; }
base=$(mktemp -d /dev/shm/plc-mbpoll-XXXXXX)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$base"; }
trap cleanup EXIT

"$build/services/plc-shm-init" -q --base-dir "$base" "$layout"
# Readiness: plc-modbus prints where it serves once it listens.
exec 3< <(exec "$build/services/plc-modbus" --base-dir "$base" --listen 127.0.0.1:0 "$layout" 2>&1)
pid=$!
t0=$SECONDS
read -r -t 60 line <&3 || { echo "plc-modbus did not start: no line after $((SECONDS - t0)) s" >&2; exit 1; }
port=${line##*127.0.0.1:}
port=${port%% *}
echo "$line"

fail=0
# Answers may take up to 10 s (mbpoll's default is 1 s): a loaded machine is slow, not wrong.
mb() { mbpoll -m tcp -a 1 -p "$port" -o 10 -1 "$@" 127.0.0.1 2>&1 | sed -n '/^\[\|failed/p'; }
mbw() { mbpoll -m tcp -a 1 -p "$port" -o 10 "$@" 2>&1 | sed -n '/^Written\|failed/p'; }
expect() { # expect WHAT GOT WANT
  if [ "$2" != "$3" ]; then echo "FAIL $1"; echo "  got:  $2" | tr '\n' '|'; echo; echo "  want: $3" | tr '\n' '|'; echo; fail=1
  else echo "ok   $1"; fi
}
nl=$'\n'
expect "read float setpoints 40101..40106 (ABCD)" "$(mb -t 4:float -B -r 101 -c 3)" \
  "[101]: 	80${nl}[103]: 	20${nl}[105]: 	95"
expect "read uint32 fault_delay_ms 40107" "$(mb -t 4:int -B -r 107)" "[107]: 	2000"
expect "write level_low 25.5" "$(mbw -t 4:float -B -r 103 127.0.0.1 25.5)" "Written 1 references."
expect "read it back" "$(mb -t 4:float -B -r 103)" "[103]: 	25.5"
expect "write cmd_start, cmd_stop (FC16)" "$(mbw -t 4 -r 1 127.0.0.1 3 4)" "Written 2 references."
expect "read them back" "$(mb -t 4 -r 1 -c 2)" "[1]: 	3${nl}[2]: 	4"
expect "out of range is ILLEGAL DATA VALUE" "$(mbw -t 4:float -B -r 101 127.0.0.1 150)" \
  "Write output (holding) register failed: Illegal data value"
expect "level_high unchanged" "$(mb -t 4:float -B -r 101)" "[101]: 	80"
expect "coils 00001..00004" "$(mb -t 0 -r 1 -c 4)" "[1]: 	0${nl}[2]: 	0${nl}[3]: 	0${nl}[4]: 	0"
expect "a coil of the logic is read-only" "$(mbw -t 0 -r 1 127.0.0.1 1)" \
  "Write discrete output (coil) failed: Illegal data address"
expect "discrete inputs 10001..10003" "$(mb -t 1 -r 1 -c 3)" "[1]: 	0${nl}[2]: 	0${nl}[3]: 	0"
expect "input registers 30011..30012" "$(mb -t 3 -r 11 -c 2)" "[11]: 	0${nl}[12]: 	0"
expect "unmapped 40050 is ILLEGAL DATA ADDRESS" "$(mb -t 4 -r 50)" \
  "Read output (holding) register failed: Illegal data address"
expect "half of a float is ILLEGAL DATA ADDRESS" "$(mbw -t 4 -r 102 127.0.0.1 1)" \
  "Write output (holding) register failed: Illegal data address"
expect "unit 9 is refused (strict policy)" \
  "$(mbpoll -m tcp -a 9 -p "$port" -o 10 -1 -t 4 -r 1 127.0.0.1 2>&1 | sed -n '/failed/p')" \
  "Read output (holding) register failed: Target device failed to respond"
kill -0 "$pid" || { echo "plc-modbus died" >&2; exit 1; }
# SIGTERM is a clean stop: exit status 0.
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
pid=
expect "SIGTERM stops it with status 0" "$status" "0"
exit $fail
