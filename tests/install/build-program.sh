#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Build a PLC program as docs/programs.md says, against an installed tree that
# is not at its prefix (a DESTDIR stage, an extracted package): plc-image.h
# from the tree's plc-layout, then
#     CC -shared -fPIC $(pkg-config --cflags raspiplc) ... $(pkg-config --libs raspiplc)
# with pkg-config reading the tree's raspiplc.pc under PKG_CONFIG_SYSROOT_DIR.
# The program must need libplc by its soname, export plc_program and carry no
# run path. Prints what it runs; exits 1 at the first failure.
#   build-program.sh ROOT PREFIX LIBDIR LAYOUT SOURCE OUT_DIR [CC [EMULATOR]]
# PREFIX and LIBDIR as installed (/usr, /usr/lib/aarch64-linux-gnu); LAYOUT
# with its .lock beside it; for a foreign architecture CC (default cc) and
# EMULATOR, which runs the tree's plc-layout (qemu-aarch64).
set -euo pipefail
if [ $# -lt 6 ]; then
    echo "usage: $0 ROOT PREFIX LIBDIR LAYOUT SOURCE OUT_DIR [CC [EMULATOR]]" >&2
    exit 2
fi
root=$1 prefix=$2 libdir=$3 layout=$4 src=$5 out=$6 cc=${7:-cc} emu=${8:-}
run() { echo "+ $*"; "$@"; }
fail() { echo "build-program: $*" >&2; exit 1; }

pc() { PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_LIBDIR=$root$libdir/pkgconfig pkg-config "$@" raspiplc; }
cflags=$(pc --cflags) || fail "pkg-config finds no raspiplc.pc in $root$libdir/pkgconfig"
libs=$(pc --libs)
echo "pkg-config: --cflags '$cflags' --libs '$libs'"
[[ " $cflags " == *" -I$root$prefix/include/raspiplc "* ]] || fail "--cflags: '$cflags'"
[[ " $libs " == *" -L$root$libdir -lplc "* ]] || fail "--libs: '$libs'"

mkdir -p "$out"
# $emu and the flags are split on purpose: no emulator for the machine's own
# architecture, one word per flag.
# shellcheck disable=SC2086
run $emu "$root$prefix/bin/plc-layout" header "$layout" "${layout%.*}.lock" "$out/plc-image.h"
# shellcheck disable=SC2086
run "$cc" -std=c11 -Wall -Wextra -Werror -shared -fPIC -fvisibility=hidden -Wl,-z,defs \
    -I"$out" $cflags -o "$out/program.so" "$src" $libs

lib=$(readlink -f "$root$libdir/libplc.so")
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ -n "$soname" ] || fail "$lib has no soname"
readelf -d "$out/program.so" | grep -q "(NEEDED).*\[$soname\]" || fail "program.so does not need $soname"
! readelf -d "$out/program.so" | grep -qE '\((RPATH|RUNPATH)\)' || fail "program.so has a run path"
readelf --dyn-syms -W "$out/program.so" | grep -qw plc_program || fail "program.so exports no plc_program"
echo "built $out/program.so, which needs $soname"
