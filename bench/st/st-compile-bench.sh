#!/bin/sh
# SPDX-License-Identifier: MIT
# plc-st compile time on a generated 10,000-line program, what the C compiler
# takes of it, and the state of a program with 10,000 variables and 1,000 FB
# instances (bench/README-st.md). Prints figures and the targets as ok/MISS;
# never fails on a time.
#
#   bench/st/st-compile-bench.sh BUILD_DIR [RUNS]
#
# BUILD_DIR is a configured and built tree (plc-st, st-scan-bench). Each
# command runs once unmeasured, then RUNS times (default 5), the commands of a
# table taking turns; the figure is the median wall time of the whole
# process, with min and max for the spread.
set -eu
build=${1:?usage: st-compile-bench.sh BUILD_DIR [RUNS]}
runs=${2:-5}
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$build" && pwd)
st=$build/services/plc-st
layout=$top/layout/demo.ini
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ms() { echo $(($(date +%s%N) / 1000000)); }

# Commands are timed in rotation, one run of each in turn, so a slow spell of
# the machine falls on all of them alike. add LABEL TARGET_MS COMMAND...
ncmd=0
add() {
    ncmd=$((ncmd + 1))
    printf '%s\n' "$1" >"$tmp/label.$ncmd"
    printf '%s\n' "$2" >"$tmp/target.$ncmd"
    shift 2
    for a in "$@"; do printf '%s\n' "$a"; done >"$tmp/cmd.$ncmd"
}
run_cmd() { # the command of number $1, its output thrown away
    (
        f=$tmp/cmd.$1
        set --
        while IFS= read -r a; do set -- "$@" "$a"; done <"$f"
        "$@" >/dev/null 2>&1
    )
}
# runs every command added once unmeasured, then RUNS rounds; prints and forgets them
timed() {
    k=1
    while [ "$k" -le "$ncmd" ]; do
        run_cmd "$k" || { echo "the command failed: $(tr '\n' ' ' <"$tmp/cmd.$k")"; exit 1; }
        : >"$tmp/times.$k"
        k=$((k + 1))
    done
    i=0
    while [ "$i" -lt "$runs" ]; do
        k=1
        while [ "$k" -le "$ncmd" ]; do
            t0=$(ms)
            run_cmd "$k" || true
            echo $(($(ms) - t0)) >>"$tmp/times.$k"
            k=$((k + 1))
        done
        i=$((i + 1))
    done
    k=1
    while [ "$k" -le "$ncmd" ]; do
        sort -n "$tmp/times.$k" | awk -v label="$(cat "$tmp/label.$k")" \
            -v target="$(cat "$tmp/target.$k")" '
            { t[NR] = $1 / 1000 }
            END {
                med = t[int((NR + 1) / 2)]
                printf "%-44s %7.3f %7.3f %7.3f", label, med, t[1], t[NR]
                if (target != "-")
                    printf "   target < %.1f s: %s (%.2fx)", target / 1000,
                        med < target / 1000 ? "ok" : "MISS", med * 1000 / target
                printf "\n"
            }'
        k=$((k + 1))
    done
    ncmd=0
}

"$top/bench/st/gen-st.py" lines --lines 10000 >"$tmp/big.st"
"$top/bench/st/gen-st.py" state --vars 10000 --instances 1000 >"$tmp/state.st"
# The C the build compiles, and the header beside it, exactly as plc-st
# build writes them: PLC_ST_KEEP keeps its directory; as one file
# (PLC_ST_JOBS=1), which the cc rows below compile alone.
kept=$(PLC_ST_JOBS=1 PLC_ST_KEEP=1 "$st" build --layout "$layout" "$tmp/big.st" -o "$tmp/big.so" 2>&1 |
    sed -n 's/^plc-st: kept //p')
trap 'rm -rf "$tmp" "$kept"' EXIT
cfile=$(ls "$kept"/*.c)
cc=${PLC_ST_CC:-cc}
# services/st/driver.c's flags, less the sanitizers of a sanitizer build
ccflags="-std=gnu11 -O2 -Wall -fPIC -shared -fvisibility=hidden -fno-strict-aliasing"
ccinc="-I$kept -I$top/runtime/include"
cclink="-L$build/runtime -lplc -lm -Wl,-z,defs"

echo "st-compile-bench, commit $(git -C "$top" describe --always --dirty --abbrev=7)," \
    "kernel $(uname -r), $(nproc) CPUs, $($cc --version | head -1)"
echo "command: $0 $*"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "generated: $(wc -l <"$tmp/big.st") lines of ST," \
    "$(grep -c '^FUNCTION_BLOCK' "$tmp/big.st") FUNCTION_BLOCKs," \
    "$(grep -c '^FUNCTION ' "$tmp/big.st") FUNCTIONs, 1 PROGRAM;" \
    "emitted C $(wc -l <"$cfile") lines, $(wc -c <"$cfile") bytes"
echo
printf '%-44s %7s %7s %7s   (s, wall, %s runs in rotation)\n' "" median min max "$runs"
add "plc-st check" 500 "$st" check "$tmp/big.st"
add "plc-st build --layout (.st to .so)" 5000 \
    "$st" build --layout "$layout" "$tmp/big.st" -o "$tmp/big.so"
# the same as one C file, as before the build cut big programs by processor
add "plc-st build, one C file (PLC_ST_JOBS=1)" - \
    env PLC_ST_JOBS=1 "$st" build --layout "$layout" "$tmp/big.st" -o "$tmp/big1.so"
add "plc-st emit-c --layout (front end, no cc)" - \
    "$st" emit-c --layout "$layout" "$tmp/big.st" -o "$tmp/emitted.c"
# shellcheck disable=SC2086 # the flag lists are word lists
add "cc -O2 alone on the emitted C (as build)" - \
    $cc $ccflags $ccinc -o "$tmp/cc.so" "$cfile" $cclink
ccflags1=$(echo "$ccflags" | sed 's/-O2/-O1/')
# shellcheck disable=SC2086
add "cc -O1 alone on the emitted C" - $cc $ccflags1 $ccinc -o "$tmp/cc1.so" "$cfile" $cclink
# shellcheck disable=SC2086
add "cc -O2 -fsyntax-only (parse, no code)" - $cc $ccflags $ccinc -fsyntax-only "$cfile"
timed

echo
echo "state: $(wc -l <"$tmp/state.st") lines of ST, 10000 variables, 1000 FB instances"
add "plc-st check (state program)" - "$st" check "$tmp/state.st"
add "plc-st build --layout (state program)" - \
    "$st" build --layout "$layout" "$tmp/state.st" -o "$tmp/state.so"
timed
echo
for f in state big; do
    "$build/bench/st-scan-bench" --program "$tmp/$f.so" --rounds 2000
done
echo
echo "allocation: calls in the emitted C (malloc, calloc, realloc, free, alloca, strdup):"
"$st" emit-c --layout "$layout" "$tmp/state.st" -o "$tmp/state.c"
for f in "$tmp/emitted.c" "$tmp/state.c"; do
    printf '  %s: %s\n' "$(basename "$f")" \
        "$(grep -cE '\<(malloc|calloc|realloc|free|alloca|strdup)[[:space:]]*\(' "$f" || true)"
done
echo "functions the program objects import (nm -D --undefined-only, less the C start-up's _ names):"
for f in "$tmp/big.so" "$tmp/state.so"; do
    printf '  %s: %s\n' "$(basename "$f")" \
        "$(nm -D --undefined-only "$f" | awk '{print $NF}' | sed 's/@.*//' | grep -v '^_' |
            sort -u | tr '\n' ' ')"
done
