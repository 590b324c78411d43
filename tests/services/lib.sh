# SPDX-License-Identifier: MIT
# Shared by the CLI tests (sourced, not run). Usage of a test script:
#   bash test-X.sh PLCCTL PLC_SHM_INIT LAYOUT POKE
# Each case runs in a fresh base directory below one private mktemp -d
# directory under /tmp, removed at exit with every process the case started.
# A case compares stdout, the exit status and the exact error line.

set -u

if [ $# -ne 4 ]; then
    echo "usage: $0 PLCCTL PLC_SHM_INIT LAYOUT POKE" >&2
    exit 2
fi
PLCCTL=$1
SHM_INIT=$2
LAYOUT=$3
POKE=$4
RING_DUMP=$(dirname "$POKE")/ring-dump # built beside poke: prints an event ring
unset RASPIPLC_BASE_DIR RASPIPLC_LAYOUT

TMP=$(mktemp -d /tmp/plc-cli-test.XXXXXX) || exit 1
# Retain snapshots: a private, empty directory, never a real /var/lib/raspiplc.
export RASPIPLC_RETAIN_DIR=$TMP/retain
PIDS=()          # processes a case started: stopped by pid at exit
FAILED=0
CASES=0
CASE=""
CASE_FAILED=0

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    rm -rf "$TMP"
}
trap cleanup EXIT

# Start case NAME with a fresh base directory in $BASE (not yet created).
begin() {
    CASE=$1
    CASE_FAILED=0
    CASES=$((CASES + 1))
    BASE="$TMP/case$CASES"
    mkdir -p "$TMP/work$CASES"
    WORK="$TMP/work$CASES"
}

end() {
    if [ "$CASE_FAILED" -eq 0 ]; then
        echo "ok   $CASE"
    else
        echo "FAIL $CASE"
        FAILED=$((FAILED + 1))
    fi
}

fail() {
    echo "  $CASE: $*"
    CASE_FAILED=1
}

# run CMD...: stdout to $OUT, stderr to $ERR, exit status in $STATUS.
run() {
    OUT="$WORK/out"
    ERR="$WORK/err"
    "$@" >"$OUT" 2>"$ERR"
    STATUS=$?
}

ctl() { run "$PLCCTL" --layout "$LAYOUT" --base-dir "$BASE" "$@"; }
init() { run "$SHM_INIT" --base-dir "$BASE" "$@" "$LAYOUT"; }

expect_status() {
    [ "$STATUS" -eq "$1" ] || fail "exit status $STATUS, expected $1 (stderr: $(head -c 600 "$ERR"))"
}

# expect_out: stdout equals the here-document.
expect_out() {
    local want="$WORK/want"
    cat >"$want"
    diff -u "$want" "$OUT" >"$WORK/diff" || fail "stdout differs:$(printf '\n')$(cat "$WORK/diff")"
}

# expect_err LINE...: stderr is exactly these lines.
expect_err() {
    local want="$WORK/want-err"
    printf '%s\n' "$@" >"$want"
    diff -u "$want" "$ERR" >"$WORK/diff" || fail "stderr differs:$(printf '\n')$(cat "$WORK/diff")"
}

expect_no_err() {
    [ ! -s "$ERR" ] || fail "unexpected stderr: $(head -c 600 "$ERR")"
}

# expect_err_contains TEXT: some stderr line holds TEXT.
expect_err_contains() {
    grep -qF -- "$1" "$ERR" || fail "stderr lacks '$1': $(head -c 600 "$ERR")"
}

# expect_json PYTHON-EXPR: stdout parses as JSON (as j) and the expression holds.
expect_json() {
    python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
if not eval("(" + sys.argv[2] + ")"):
    print("JSON check failed: " + sys.argv[2] + "\n" + json.dumps(j, indent=1))
    sys.exit(1)
' "$OUT" "$1" >"$WORK/json" 2>&1 || fail "$(cat "$WORK/json")"
}

# The value of COLUMN (by header) in the row whose first cell is KEY, from $OUT.
cell() {
    awk -v key="$1" -v col="$2" '
        NR == 1 { for (i = 1; i <= NF; i++) if ($i == col) c = i; next }
        $1 == key { print $c }' "$OUT"
}

expect_cell() {
    local got
    got=$(cell "$1" "$2")
    [ "$got" = "$3" ] || fail "$2 of '$1' is '$got', expected '$3'"
}

finish() {
    echo "$((CASES - FAILED)) of $CASES cases passed"
    [ "$FAILED" -eq 0 ]
    exit $?
}
