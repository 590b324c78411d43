#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The golden cases of plc-st, the Structured Text compiler: ST sources whose
# expected behaviour was computed by hand from docs/st.md, run through
# `plc-st sim` and `plc-st check`.
#
#   run-golden.sh [PLC-ST] [CASE...]
#
# PLC-ST is the plc-st to test (default: $PLC_ST). A CASE is one of
#   tests/st/golden/NAME.st     sim NAME.st --script NAME.jsonl: exit 0, one
#                               JSON object on stdout per script line
#   tests/st/golden/fault-*.st  the same, but the last script line faults:
#                               exit 3, stderr holds the line of
#                               fault-*.expect, stdout one object per scan
#                               before the fault
#   tests/st/errors/NAME.st     check NAME.st: exit 1; stderr holds the first
#                               line of NAME.expect ("NAME.st:LINE:COL:
#                               error[") and, for each further line, one of
#                               its |-separated words (whole words, any case)
#   tests/st/examples/NAME[-WHAT].jsonl  sim examples/st/NAME.st --script
#                               NAME[-WHAT].jsonl (from the tree's root): exit 0
#   tests/st/xml/NAME.xml       PLCopen XML (plc.xml): with NAME.expect, as an
#                               error case; with NAME.jsonl, as a golden case;
#                               else sim with tests/st/examples/NAME.jsonl
# Without a CASE, every case of those directories runs. Each case is run in
# its own directory with its file name only, so that diagnostics name
# "NAME.st" as the .expect files do. One line per case, then a summary; the
# exit status is 0 when every case passed, 1 when one failed, 2 on bad usage.
# PLC_ST_RUN, when set, is put before PLC-ST on its command line (a
# cross build's emulator). Each case has PLC_ST_TIMEOUT seconds (60).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)

plc_st=${PLC_ST:-}
if [[ $# -gt 0 && $1 != *.st && $1 != *.jsonl && $1 != *.xml ]]; then
    plc_st=$1
    shift
fi
if [[ -z $plc_st ]]; then
    echo "usage: run-golden.sh [PLC-ST] [CASE...] (or set PLC_ST)" >&2
    exit 2
fi
if [[ $plc_st == */* ]]; then
    plc_st=$(cd "$(dirname "$plc_st")" && pwd)/$(basename "$plc_st")
fi
if ! [[ -x $plc_st ]] && ! command -v "$plc_st" >/dev/null; then
    echo "run-golden.sh: $plc_st: not an executable" >&2
    exit 2
fi
read -r -a run_prefix <<<"${PLC_ST_RUN:-}"
timeout_s=${PLC_ST_TIMEOUT:-60}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/plc-st-golden-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

cases=("$@")
if [[ ${#cases[@]} -eq 0 ]]; then
    shopt -s nullglob
    cases=("$here"/golden/*.st "$here"/errors/*.st "$here"/examples/*.jsonl "$here"/xml/*.xml)
fi

passed=0
failed=0
failed_names=()

# Count the lines of a file that hold something (the last one may lack its newline).
lines_of() {
    grep -c . "$1" || true
}

# Count the scan objects sim printed.
scans_of() {
    grep -c '"scan"' "$1" || true
}

st() {
    timeout "$timeout_s" ${run_prefix[@]+"${run_prefix[@]}"} "$plc_st" "$@"
}

report_fail() {
    local name=$1 why=$2
    echo "FAIL $name: $why"
    if [[ -s $tmp/err ]]; then
        sed -n '1,15s/^/    | /p' "$tmp/err"
    fi
    failed=$((failed + 1))
    failed_names+=("$name")
}

run_sim() { # name dir st-file script [want-status expect-file]
    local name=$1 dir=$2 src=$3 script=$4 want=${5:-0} expect=${6:-}
    local n status
    n=$(cd "$dir" && lines_of "$script")
    (cd "$dir" && st sim "$src" --script "$script") >"$tmp/out" 2>"$tmp/err"
    status=$?
    if [[ $status -ne $want ]]; then
        report_fail "$name" "exit status $status, want $want"
        return
    fi
    local want_scans=$n
    if [[ $want -eq 3 ]]; then
        want_scans=$((n - 1))
        if ! grep -qF -- "$(head -n 1 "$expect")" "$tmp/err"; then
            report_fail "$name" "stderr does not say: $(head -n 1 "$expect")"
            return
        fi
    fi
    if [[ $(scans_of "$tmp/out") -ne $want_scans ]]; then
        report_fail "$name" "$(scans_of "$tmp/out") scans printed, want $want_scans"
        return
    fi
    echo "ok   $name"
    passed=$((passed + 1))
}

run_check() { # name dir st-file expect-file
    local name=$1 dir=$2 src=$3 expect=$4 status
    (cd "$dir" && st check "$src") >"$tmp/out" 2>"$tmp/err"
    status=$?
    if [[ $status -ne 1 ]]; then
        report_fail "$name" "exit status $status, want 1"
        return
    fi
    local where
    where=$(head -n 1 "$expect")
    if ! grep -qF -- "$where" "$tmp/err"; then
        report_fail "$name" "no diagnostic at: $where"
        return
    fi
    local words alts found w
    while IFS= read -r words; do
        [[ -z $words ]] && continue
        IFS='|' read -r -a alts <<<"$words"
        found=0
        for w in "${alts[@]}"; do
            if grep -qiwF -- "$w" "$tmp/err"; then
                found=1
                break
            fi
        done
        if [[ $found -eq 0 ]]; then
            report_fail "$name" "the diagnostic says none of: $words"
            return
        fi
    done < <(tail -n +2 "$expect")
    echo "ok   $name"
    passed=$((passed + 1))
}

for c in "${cases[@]}"; do
    if [[ ! -f $c ]]; then
        echo "run-golden.sh: $c: no such case" >&2
        exit 2
    fi
    dir=$(cd "$(dirname "$c")" && pwd)
    file=$(basename "$c")
    base=${file%.*}
    kind=$(basename "$dir")
    name=$kind/$base
    case $kind/$file in
    golden/fault-*.st)
        run_sim "$name" "$dir" "$file" "$base.jsonl" 3 "$dir/$base.expect" ;;
    golden/*.st)
        run_sim "$name" "$dir" "$file" "$base.jsonl" ;;
    errors/*.st)
        run_check "$name" "$dir" "$file" "$dir/$base.expect" ;;
    examples/*.jsonl)
        # motor-commands.jsonl drives examples/st/motor.st, from the tree's root.
        run_sim "$name" "$root" "examples/st/${base%%-*}.st" "$dir/$file" ;;
    xml/*.xml)
        if [[ -f $dir/$base.expect ]]; then
            run_check "$name" "$dir" "$file" "$dir/$base.expect"
        elif [[ -f $dir/$base.jsonl ]]; then
            run_sim "$name" "$dir" "$file" "$base.jsonl"
        else
            run_sim "$name" "$dir" "$file" "$here/examples/$base.jsonl"
        fi ;;
    *)
        echo "run-golden.sh: $c: not a golden, error, example or XML case" >&2
        exit 2 ;;
    esac
done

echo "$passed passed, $failed failed"
if [[ $failed -gt 0 ]]; then
    printf 'failed: %s\n' "${failed_names[*]}"
    exit 1
fi
exit 0
