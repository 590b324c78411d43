#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# cmake --install into a DESTDIR staging directory, then scripts/uninstall.sh
# --destdir on it: files in place, libplc in the library directory and found
# without a run path, units pointing at the installed binaries, the user's
# layout and programs never overwritten nor removed; a PLC program builds
# against the staged headers, raspiplc.pc and libplc.so. No users are created
# (install.sh makes them only on a real install, never with --destdir).
#   bash test-install.sh BUILD_DIR SOURCE_DIR PREFIX [CC [EMULATOR]]
# CC and EMULATOR: the build's compiler and, for a cross build, the emulator
# that runs its plc-layout (build-program.sh).
set -u
if [ $# -lt 3 ] || [ $# -gt 5 ]; then
    echo "usage: $0 BUILD_DIR SOURCE_DIR PREFIX [CC [EMULATOR]]" >&2
    exit 2
fi
BUILD=$1
SRC=$2
PREFIX=$3
TMP=$(mktemp -d /tmp/plc-install-test.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
S=$TMP/stage
FAILED=0
fail() { echo "  FAIL: $*"; FAILED=$((FAILED + 1)); }
check() { # check WHAT CMD...: one line per check
    if "${@:2}"; then echo "ok   $1"; else fail "$1"; fi
}

DESTDIR=$S cmake --install "$BUILD" >"$TMP/install.log" 2>&1 || { cat "$TMP/install.log"; exit 1; }

for b in plc-shm-init plcctl plc-logic plc-retain plc-supervise plc-layout plc-web; do
    check "binary $b installed and executable" test -x "$S$PREFIX/bin/$b"
done
for b in plc-io plc-io-sim plc-modbus plc-mqtt; do
    if [ -x "$BUILD/services/$b" ]; then
        check "binary $b installed (built here)" test -x "$S$PREFIX/bin/$b"
    fi
done
cached() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt"; }
units=$(cached PLC_UNITDIR) # /lib/systemd/system in a Debian package
for u in plc-shm-init plc-io plc-logic plc-modbus plc-retain plc-web plc-mqtt; do
    f=$S$units/$u.service
    check "unit $u.service installed" test -f "$f"
    check "unit $u.service runs $PREFIX/bin/$u" grep -q "^ExecStart=$PREFIX/bin/$u\\b" "$f"
    if grep -q '@PLC_' "$f"; then fail "unit $u.service has an unsubstituted @PLC_...@"; fi
done
check "raspiplc.target installed" test -f "$S$units/raspiplc.target"
check "default layout is the demo layout" cmp -s "$SRC/layout/demo.ini" "$S/etc/raspiplc/layout.ini"
check "default layout's lock is the demo's" cmp -s "$SRC/layout/demo.lock" "$S/etc/raspiplc/layout.lock"
check "default program is example (a)" cmp -s "$BUILD/examples/motor.so" "$S/etc/raspiplc/program.so"
check "docs installed" test -f "$S$PREFIX/share/doc/raspiplc/README.md"
check "users and groups for systemd-sysusers installed" \
    cmp -s "$SRC/systemd/raspiplc.sysusers" "$S$(cached PLC_SYSUSERSDIR)/raspiplc.conf"
if [ -d "$BUILD/man" ]; then
    for b in plc-shm-init plcctl plc-logic plc-layout; do
        check "manual page $b.1 installed" test -s "$S$PREFIX/share/man/man1/$b.1"
    done
fi

# libplc as a Debian package installs a library: libplc.so.N and the file it
# points to in the library directory, and for programs the link-time name
# libplc.so; no installed binary or program carries a run path, each that uses
# libplc needs it by its soname, and with the library directory as library
# path each resolves every symbol (install.sh puts it in ld.so.cache with
# ldconfig).
libdir=$(cached CMAKE_INSTALL_LIBDIR)
case $libdir in /*) ;; *) libdir=$PREFIX/$libdir ;; esac
L=$S$libdir
check "examples installed: sources in share/, programs in $libdir/raspiplc" \
    test -f "$S$PREFIX/share/raspiplc/examples/motor.c" -a -f "$L/raspiplc/examples/tank.so"
soname=$(readelf -d "$BUILD/runtime/libplc.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
check "$soname installed in $libdir, a link to libplc.so.VERSION" \
    bash -c "[ -f '$L/$soname' ] && [[ \$(readlink '$L/$soname') =~ ^libplc\.so\.[0-9]+\.[0-9]+\.[0-9]+\$ ]]"
check "link-time name libplc.so installed, a link to $soname" test "$(readlink "$L/libplc.so")" = "$soname"
needs_libplc() { readelf -d "$1" | grep -q "(NEEDED).*\[$soname\]"; }
no_runpath() { ! readelf -d "$1" | grep -qE '\((RPATH|RUNPATH)\)'; }
resolves() { ! LD_LIBRARY_PATH=$L ldd -r "$1" 2>&1 | grep -E 'not found|undefined symbol'; }
for f in "$S$PREFIX"/bin/* "$L"/raspiplc/examples/*.so "$S/etc/raspiplc/program.so"; do
    n=${f#"$S"}
    check "$n has no run path" no_runpath "$f"
    # plc-layout links the layout objects themselves, not libplc.
    [ "${f##*/}" = plc-layout ] || check "$n needs $soname" needs_libplc "$f"
    check "$n resolves every symbol" resolves "$f"
done

# Programs build against the staged development files.
for h in "$SRC"/runtime/include/*.h "$SRC"/layout/include/*.h; do
    check "header ${h##*/} installed" cmp -s "$h" "$S$PREFIX/include/raspiplc/${h##*/}"
done
if bash "$SRC/tests/install/build-program.sh" "$S" "$PREFIX" "$libdir" "$SRC/layout/demo.ini" \
    "$SRC/examples/tank.c" "$TMP/program" "${4:-cc}" "${5:-}" >"$TMP/program.log" 2>&1; then
    echo "ok   a program builds against the staged tree (raspiplc.pc)"
else
    fail "a program builds against the staged tree (raspiplc.pc)"
    sed 's/^/    | /' "$TMP/program.log"
fi

# The user edits the layout and adds a program; a reinstall keeps both.
echo "; edited by the user" >>"$S/etc/raspiplc/layout.ini"
cp "$BUILD/examples/tank.so" "$S/etc/raspiplc/tank.so"
cp "$S/etc/raspiplc/layout.ini" "$TMP/layout.mine"
DESTDIR=$S cmake --install "$BUILD" >"$TMP/install2.log" 2>&1 || fail "second install failed"
check "reinstall keeps the user's layout" cmp -s "$TMP/layout.mine" "$S/etc/raspiplc/layout.ini"
check "reinstall says it kept the layout" grep -q "Kept: $S/etc/raspiplc/layout.ini (yours)" "$TMP/install2.log"

bash "$SRC/scripts/uninstall.sh" --destdir "$S" --build-dir "$BUILD" >"$TMP/uninstall.log" 2>&1 ||
    { fail "uninstall.sh failed"; cat "$TMP/uninstall.log"; }
left=$(cd "$S" && find . ! -type d | grep -v '^./etc/raspiplc/' | sort)
check "uninstall removes every installed file" test -z "$left"
[ -z "$left" ] || echo "$left" | sed 's/^/    left: /'
check "uninstall keeps the user's layout" cmp -s "$TMP/layout.mine" "$S/etc/raspiplc/layout.ini"
check "uninstall keeps the user's programs" test -f "$S/etc/raspiplc/tank.so" -a -f "$S/etc/raspiplc/program.so"
check "no share/raspiplc directory left" test ! -e "$S$PREFIX/share/raspiplc"
check "no include/raspiplc directory left" test ! -e "$S$PREFIX/include/raspiplc"

# Without a manifest: a clear error, nothing touched.
mkdir -p "$TMP/empty"
out=$(bash "$SRC/scripts/uninstall.sh" --destdir "$S" --build-dir "$TMP/empty" 2>&1)
rc=$?
check "uninstall without a manifest exits 1" test "$rc" -eq 1
check "uninstall without a manifest says so" test "$out" = "uninstall.sh: no $TMP/empty/install_manifest.txt: nothing recorded as installed (was scripts/install.sh run from this tree?)"

[ "$FAILED" -eq 0 ]
