#!/bin/sh
# SPDX-License-Identifier: MIT
# What makes timers.st's scan slower than timers.c's (bench/README-st.md):
# its generated C as plc-st build compiles it, and three hand edits of it,
# each timed as the ST side of a pair with the C twin.
#
#   bench/st/timers-variants.sh BUILD_DIR [ROUNDS]
set -eu
build=${1:?usage: timers-variants.sh BUILD_DIR [ROUNDS]}
rounds=${2:-5000}
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(cd "$build" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$build/services/plc-st" emit-c --layout "$top/layout/demo.ini" "$top/bench/st/timers.st" \
    -o "$tmp/as-built.c"
# the index check of t[i], gone
noix='s/st_ix\(rt, \(int64_t\)self->v_i, 0, 499, "[^"]*"\)/(int64_t)self->v_i/g'
# the FOR variable i in a local instead of the state
local='s/self->v_i\b/li/g; s/\{ int16_t st_to1 =/{ int16_t li; int16_t st_to1 =/'
# the call's EN and ENO stores, gone
noeno='/st_f->st_en = st_en;|st_f->st_eno = st_en;/d'
sed -E "$noix" "$tmp/as-built.c" >"$tmp/no-index-check.c"
sed -E "$local" "$tmp/as-built.c" >"$tmp/local-counter.c"
sed -E "$local" "$tmp/no-index-check.c" | sed -E "$noeno" >"$tmp/local-no-check-no-eno.c"

echo "timers-variants, commit $(git -C "$top" describe --always --dirty --abbrev=7)," \
    "$(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: $0 $*"
echo "edits of the emitted C (sed -E): no-index-check '$noix'; local-counter '$local';"
echo "local-no-check-no-eno: both, then '$noeno'"
for v in as-built no-index-check local-counter local-no-check-no-eno; do
    # plc-st's own flags (services/st/driver.c)
    cc -std=gnu11 -O2 -Wall -fPIC -shared -fvisibility=hidden -fno-strict-aliasing \
        -I"$build/generated" -I"$top/runtime/include" -o "$tmp/$v.so" "$tmp/$v.c" \
        -L"$build/runtime" -lplc -lm -Wl,-z,defs
    echo
    echo "== ST $v"
    "$build/bench/st-scan-bench" --program "$tmp/$v.so" --vs "$build/bench/st-bench-timers-c.so" \
        --rounds "$rounds" | tail -n 5
done
