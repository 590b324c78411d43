#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A big program is compiled as several C files at once (one per processor,
# PLC_ST_JOBS here): it must run exactly as the one-file build of the same
# source. The program is bench/st/gen-st.py's (blocks with timers, CASE, IF,
# arithmetic), 2000 lines, which is past the size plc-st starts to split at.
# usage: split.sh PLC_ST SOURCE_DIR
set -euo pipefail
plc_st=$1
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 "$src/bench/st/gen-st.py" lines --lines 2000 >"$work/big.st"
run() {
    PLC_ST_JOBS=$1 PLC_ST_KEEP=1 ${PLC_ST_RUN:-} "$plc_st" sim "$work/big.st" \
        --set start_button=TRUE --set tank_level=42.5 --cycle 10ms --scans 200 --watch total \
        >"$work/out-$1.jsonl" 2>"$work/err-$1"
}
run 1
run 3
kept() { sed -n 's/^plc-st: kept //p' "$work/err-$1"; }
pieces=$(ls "$(kept 3)" | grep -c '^program-[0-9]*\.c$' || true)
one=$(ls "$(kept 1)" | grep -c '^program\.c$' || true)
rm -rf "$(kept 1)" "$(kept 3)"
fail=0
[ "$one" = 1 ] || { echo "FAIL: PLC_ST_JOBS=1 did not build one program.c"; fail=1; }
[ "$pieces" = 3 ] || { echo "FAIL: PLC_ST_JOBS=3 built $pieces C files, not 3"; fail=1; }
cmp -s "$work/out-1.jsonl" "$work/out-3.jsonl" ||
    { echo "FAIL: one file and three files differ:"; diff "$work/out-1.jsonl" "$work/out-3.jsonl" | head; fail=1; }
last=$(tail -1 "$work/out-3.jsonl")
case $last in
*'"total":0}'*) echo "FAIL: total stayed 0: $last"; fail=1 ;;
esac
[ "$(wc -l <"$work/out-3.jsonl")" = 200 ] || { echo "FAIL: not 200 scans"; fail=1; }
[ $fail = 0 ] && echo "ok: 3 C files built the same program as 1 ($last)"
exit $fail
