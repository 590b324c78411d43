#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One convention for every program that reads a layout: `--layout FILE` and a
# positional LAYOUT are the same thing (before the verb for plcctl and
# plc-io-sim), both may be given when they name the same file, two different
# files are refused with exit status 2 and one line naming both, and neither
# falls back to $RASPIPLC_LAYOUT.
#   bash test-layout-args.sh BIN_DIR LAYOUT
#
# Each program runs a probe that ends at once and whose output names the
# layout it loaded: a copy of LAYOUT renamed 'argtest', with $RASPIPLC_LAYOUT
# pointing at a file that does not exist. Nothing is left running; the one
# temporary directory is removed at exit.
set -u
if [ $# -ne 2 ]; then
    echo "usage: $0 BIN_DIR LAYOUT" >&2
    exit 2
fi
BIN=$1
TMP=$(mktemp -d /tmp/plc-layout-args.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
unset RASPIPLC_BASE_DIR RASPIPLC_RETAIN_DIR NOTIFY_SOCKET JOURNAL_STREAM RASPIPLC_IO_BACKEND
L=$TMP/argtest.ini
sed 's/^name = demo$/name = argtest/' "$2" >"$L"
grep -qx "name = argtest" "$L" || { echo "cannot rename the layout copy" >&2; exit 1; }
OTHER=$TMP/other.ini
cp "$L" "$OTHER" # another file, even with the same content
mkdir -p "$TMP/empty"
FAILED=0
CASES=0
RUN=0

# run FORM ARGS...: the program with the placeholder @L in ARGS replaced as FORM says;
# stdout and stderr together in $OUT, the exit status in $STATUS.
run() {
    local form=$1 a args=()
    shift
    RUN=$((RUN + 1))
    for a in "$@"; do
        if [ "$a" != "@L" ]; then
            args+=("$a")
            continue
        fi
        case $form in
        option) args+=(--layout "$L") ;;
        argument) args+=("$L") ;;
        both) args+=(--layout "$L" "$TMP/./argtest.ini") ;;
        conflict) args+=(--layout "$L" "$OTHER") ;;
        env) ;;
        esac
    done
    OUT=$TMP/out$RUN
    if [ "$form" = env ]; then
        RASPIPLC_LAYOUT=$L "${args[@]}" >"$OUT" 2>&1 </dev/null
    else
        RASPIPLC_LAYOUT=$TMP/not-this.ini "${args[@]}" >"$OUT" 2>&1 </dev/null
    fi
    STATUS=$?
}

# check PROG STATUS REGEX ARGS...: with the layout given as --layout, as the argument,
# as both (two spellings of one file) and by $RASPIPLC_LAYOUT alone, PROG ARGS... exits
# with STATUS and some line matches REGEX; given as two different files, it exits 2
# with exactly one line naming both. A fresh base directory each run: $TMP/base$RUN.
check() {
    local prog=$1 want=$2 re=$3 form bad=0
    shift 3
    CASES=$((CASES + 1))
    for form in option argument both env; do
        run "$form" "$BIN/$prog" "${@//@BASE/$TMP/base$((RUN + 1))}"
        if [ "$STATUS" -ne "$want" ] || ! grep -Eq -- "$re" "$OUT"; then
            echo "  $prog, layout as $form: exit status $STATUS (expected $want), output:"
            sed 's/^/    | /' "$OUT" | head -20
            bad=1
        fi
    done
    run conflict "$BIN/$prog" "${@//@BASE/$TMP/base$((RUN + 1))}"
    local line="$prog: --layout '$L' and LAYOUT '$OTHER' are two different files: give one of them"
    if [ "$STATUS" -ne 2 ] || [ "$(cat "$OUT")" != "$line" ]; then
        echo "  $prog, two layouts: exit status $STATUS (expected 2), output:"
        sed 's/^/    | /' "$OUT" | head -20
        echo "    expected the one line: $line"
        bad=1
    fi
    if [ "$bad" -eq 0 ]; then echo "ok   $prog"; else
        echo "FAIL $prog"
        FAILED=$((FAILED + 1))
    fi
}

MISSING="region 'inputs' not found in $TMP/base[0-9]+/argtest: has plc-shm-init run\?"
# The services open their event ring first.
RING_MISSING="$TMP/base[0-9]+/argtest/events-[a-z]+: event ring not found: has plc-shm-init run\?"

check plc-shm-init 0 "^plc-shm-init: layout 'argtest' version [0-9]+ ready$" --base-dir @BASE @L
check plc-logic 1 "^plc-logic: $RING_MISSING" --base-dir @BASE @L
check plc-io 1 "^plc-io: $RING_MISSING" --backend sim --base-dir @BASE @L
check plc-io-sim 1 "^plc-io-sim: layout 'argtest' has no tag 'nope'$" --base-dir @BASE @L get nope
check plc-modbus 1 "^plc-modbus: $RING_MISSING" --listen 127.0.0.1:0 --base-dir @BASE @L
check plc-retain 1 "^plc-retain: .*no snapshot of layout 'argtest'" --show --base-dir @BASE \
    --dir "$TMP/empty" @L
check plcctl 1 "^plcctl: .*$MISSING" --base-dir @BASE @L ls
check plc-supervise 1 "^plc-supervise: layout 'argtest' version [0-9]+ from .*/argtest.ini, binaries in $TMP/empty$" \
    --bin-dir "$TMP/empty" --base-dir @BASE @L

# plcctl and plc-io-sim: a first word that is a command is the command, even with a
# second one after it; a LAYOUT named like a command is written with a slash.
CASES=$((CASES + 1))
bad=0
run env "$BIN/plcctl" --base-dir "$TMP/base$((RUN + 1))" ls extra
[ "$STATUS" -eq 2 ] && grep -qx "plcctl: usage: plcctl ls" "$OUT" || {
    echo "  plcctl ls extra: exit status $STATUS: $(cat "$OUT")"
    bad=1
}
run env "$BIN/plcctl" bogus
[ "$STATUS" -eq 2 ] && grep -qx "plcctl: unknown command 'bogus' (try plcctl --help)" "$OUT" || {
    echo "  plcctl bogus: exit status $STATUS: $(cat "$OUT")"
    bad=1
}
cp "$L" "$TMP/ls"
(cd "$TMP" && RASPIPLC_LAYOUT=$TMP/not-this.ini "$BIN/plcctl" --base-dir "$TMP/empty" ./ls ls) >"$TMP/out-ls" 2>&1
grep -Eq "^plcctl: .*region 'inputs' not found in $TMP/empty/argtest" "$TMP/out-ls" || {
    echo "  plcctl ./ls ls: $(cat "$TMP/out-ls")"
    bad=1
}
if [ "$bad" -eq 0 ]; then echo "ok   a command word stays a command"; else
    echo "FAIL a command word stays a command"
    FAILED=$((FAILED + 1))
fi

echo "$((CASES - FAILED))/$CASES passed"
[ "$FAILED" -eq 0 ]
