#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# libplc exports exactly what its public headers promise: every dynamic symbol
# it defines starts with plc_ and is declared PLC_API in runtime/include/ or
# layout/include/, and every PLC_API function there is exported. Anything else
# stays hidden (C_VISIBILITY_PRESET hidden), so nothing outside the headers can
# be linked against. A library built to break the rule (exports-bad.c) shows
# the check catches both kinds of stray export.
#
#   test-exports.sh NM LIBPLC BAD_LIB HEADER_DIR...
set -uo pipefail
if [ $# -lt 4 ]; then
    echo "usage: $0 NM LIBPLC BAD_LIB HEADER_DIR..." >&2
    exit 2
fi
nm=$1
lib=$2
bad=$3
shift 3
FAILED=0
fail() { echo "  FAIL: $*"; FAILED=$((FAILED + 1)); }
ok() { echo "ok   $*"; }

# The functions the headers declare PLC_API (comments and preprocessor lines
# taken out first; a declaration may put its name on the line after its type).
declared=$(for d in "$@"; do cat "$d"/*.h; done | perl -0777 -ne 's{/\*.*?\*/}{}gs;
    s{//[^\n]*}{}g; s{^\s*#(?:.*\\\n)*.*}{}mg; print "$1\n" while /\bPLC_API\s[^;{}()]*?\b(\w+)\s*\(/g' |
    sort -u)
# The symbols a shared library defines in its dynamic symbol table.
exports() { "$nm" -D --defined-only "$1" | awk 'NF == 3 {print $3}' | sort -u; }

# What is wrong with the exports of $1: one line per stray symbol.
strays() {
    local s
    for s in $(exports "$1"); do
        case $s in
        plc_*) grep -qx "$s" <<<"$declared" || echo "$s: exported, but no public header declares it PLC_API" ;;
        *) echo "$s: exported without the plc_ prefix" ;;
        esac
    done
}

[ -n "$declared" ] || fail "no PLC_API declaration found in $*"
echo "     $(wc -l <<<"$declared") functions declared PLC_API, $(exports "$lib" | wc -l) symbols exported"

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [[ $soname =~ ^libplc\.so\.[0-9]+$ ]]; then ok "soname is $soname"; else fail "soname is '$soname', not libplc.so.N"; fi

out=$(strays "$lib")
if [ -z "$out" ]; then
    ok "every exported symbol starts with plc_ and is declared PLC_API"
else
    fail "stray exports:"
    sed 's/^/    /' <<<"$out"
fi

missing=$(comm -23 <(echo "$declared") <(exports "$lib"))
if [ -z "$missing" ]; then
    ok "every PLC_API function is exported"
else
    fail "declared PLC_API but not exported:"
    sed 's/^/    /' <<<"$missing"
fi

# The check itself: a library exporting 'helper' and 'plc_undeclared'.
out=$(strays "$bad")
want="helper: exported without the plc_ prefix
plc_undeclared: exported, but no public header declares it PLC_API"
if [ "$out" = "$want" ]; then
    ok "a stray export is caught (both kinds)"
else
    fail "the check on $bad said:"
    sed 's/^/    /' <<<"$out"
fi

[ "$FAILED" -eq 0 ]
