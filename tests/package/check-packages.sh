#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian packages scripts/package.sh built for ARCH, as a user gets them:
# raspiplc has the services, plcctl, libplc.so.0, the units pointing at
# /usr/bin, the users' sysusers.d file, the udev rule and the default layout
# as conffiles; its maintainer scripts make the users, enable the units
# without starting them and remove /var/lib/raspiplc on purge only;
# raspiplc-dev has plc-layout, plc-st, the headers, libplc.so and raspiplc.pc, with
# which the example program builds (tests/install/build-program.sh, the
# documented commands). Every program runs --help (under qemu-user for a
# foreign ARCH).
#   check-packages.sh DIR ARCH      (DIR: scripts/package.sh's --out)
set -u
if [ $# -ne 2 ]; then
    echo "usage: $0 DIR ARCH" >&2
    exit 2
fi
DIR=$1
ARCH=$2
SRC=$(cd "$(dirname "$0")/../.." && pwd)
case $ARCH in
amd64) TRIPLET=x86_64-linux-gnu QEMU=qemu-x86_64 ;;
arm64) TRIPLET=aarch64-linux-gnu QEMU=qemu-aarch64 ;;
armhf) TRIPLET=arm-linux-gnueabihf QEMU=qemu-arm ;;
*) echo "check-packages: unknown architecture '$ARCH' (amd64, arm64, armhf)" >&2; exit 2 ;;
esac
CC=$TRIPLET-gcc EMU=$QEMU
if [ "$ARCH" = "$(dpkg --print-architecture)" ]; then CC=cc EMU=; fi
VERSION=$(dpkg-parsechangelog -l "$SRC/debian/changelog" -SVersion)
RUN=$DIR/raspiplc_${VERSION}_$ARCH.deb
DEV=$DIR/raspiplc-dev_${VERSION}_$ARCH.deb
. "$SRC/tests/ci-skip.sh"
plc_skip_tag=check-packages
for f in "$RUN" "$DEV"; do
    [ -f "$f" ] || plc_skip "no $f (scripts/package.sh --out $DIR $ARCH makes it)"
done
TMP=$(mktemp -d /tmp/plc-package-test.XXXXXX) || exit 1
trap 'rm -rf "$TMP"' EXIT
FAILED=0
fail() { echo "  FAIL: $*"; FAILED=$((FAILED + 1)); }
check() { # check WHAT CMD...: one line per check
    if "${@:2}"; then echo "ok   $1"; else fail "$1"; fi
}
eq() { [ "$1" = "$2" ] || { echo "     got '$1', want '$2'"; return 1; }; }
has() { grep -qxF -- "$2" "$1" || { echo "     $2: not in ${1##*/}"; return 1; }; }
lacks() { ! grep -qxF -- "$2" "$1" || { echo "     $2: in ${1##*/}"; return 1; }; }

# Contents: the paths of each package, one a line, without the leading '.'.
R=$TMP/root
for p in "$RUN" "$DEV"; do
    n=$(dpkg-deb -f "$p" Package)
    dpkg-deb -c "$p" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' >"$TMP/$n.files"
    dpkg-deb -e "$p" "$TMP/$n.control"
    dpkg-deb -x "$p" "$R"
    check "$n: Architecture $ARCH" eq "$(dpkg-deb -f "$p" Architecture)" "$ARCH"
    check "$n: Version $VERSION" eq "$(dpkg-deb -f "$p" Version)" "$VERSION"
done
F=$TMP/raspiplc.files
FD=$TMP/raspiplc-dev.files
C=$TMP/raspiplc.control
LIB=/usr/lib/$TRIPLET

services=$(for u in "$SRC"/systemd/*.service.in; do u=${u##*/}; echo "${u%.service.in}"; done)
for b in $services plc-io-sim plc-supervise plcctl; do
    check "raspiplc: /usr/bin/$b and its manual page" \
        bash -c "grep -qxF /usr/bin/$b '$F' && grep -qxF /usr/share/man/man1/$b.1.gz '$F'"
done
check "raspiplc: no plc-layout (raspiplc-dev's)" lacks "$F" /usr/bin/plc-layout
check "raspiplc: no plc-st (raspiplc-dev's)" lacks "$F" /usr/bin/plc-st
soname=$(readelf -d "$(readlink -f "$R$LIB/libplc.so.0")" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
check "raspiplc: $LIB/libplc.so.0, the soname" eq "$soname" libplc.so.0
check "raspiplc: no libplc.so (raspiplc-dev's)" lacks "$F" "$LIB/libplc.so"
check "raspiplc: shlibs names libplc 0" grep -q "^libplc 0 raspiplc (>= $VERSION)" "$C/shlibs"
check "raspiplc: example (a) for the default program" has "$F" "$LIB/raspiplc/examples/motor.so"
for u in $services; do
    check "raspiplc: $u.service runs /usr/bin/$u" \
        grep -q "^ExecStart=/usr/bin/$u\\b" "$R/lib/systemd/system/$u.service"
    check "raspiplc: postinst enables $u.service" \
        grep -q "deb-systemd-helper enable '$u.service'" "$C/postinst"
done
check "raspiplc: postinst enables raspiplc.target" \
    grep -q "deb-systemd-helper enable 'raspiplc.target'" "$C/postinst"
check "raspiplc: postinst starts nothing, restarts on upgrade what runs" \
    bash -c "! grep -q 'deb-systemd-invoke start' '$C/postinst' &&
             grep -q 'deb-systemd-invoke try-restart' '$C/postinst'"
check "raspiplc: prerm stops raspiplc.target on removal" \
    grep -q 'deb-systemd-invoke stop raspiplc.target' "$C/prerm"
check "raspiplc: the users from systemd/raspiplc.sysusers" \
    cmp -s "$SRC/systemd/raspiplc.sysusers" "$R/usr/lib/sysusers.d/raspiplc.conf"
check "raspiplc: postinst makes them (systemd-sysusers)" \
    grep -q '^ *systemd-sysusers .*raspiplc.conf' "$C/postinst"
check "raspiplc: Depends on a systemd-sysusers" \
    bash -c "dpkg-deb -f '$RUN' Depends | grep -q 'systemd | systemd-standalone-sysusers'"
check "raspiplc: the udev rule" \
    cmp -s "$SRC/systemd/60-raspiplc.rules" "$R/lib/udev/rules.d/60-raspiplc.rules"
check "raspiplc: the demo layout as /etc/raspiplc/layout.ini" \
    cmp -s "$SRC/layout/demo.ini" "$R/etc/raspiplc/layout.ini"
check "raspiplc: its lock as /etc/raspiplc/layout.lock" \
    cmp -s "$SRC/layout/demo.lock" "$R/etc/raspiplc/layout.lock"
for c in /etc/raspiplc/layout.ini /etc/raspiplc/layout.lock; do
    check "raspiplc: conffile $c" has "$C/conffiles" "$c"
done
check "raspiplc: no ELF file in /etc (postinst copies program.so)" \
    bash -c "! grep -q '^/etc/.*\.so$' '$F' &&
             grep -q 'cp $LIB/raspiplc/examples/motor.so /etc/raspiplc/program.so' '$C/postinst'"
check "raspiplc: postinst makes /var/lib/raspiplc, postrm removes it on purge only" \
    bash -c "grep -q 'install -d .* /var/lib/raspiplc' '$C/postinst' &&
             sed -n '/\"\$1\" = purge/,/^fi/p' '$C/postrm' | grep -q 'rm -rf /var/lib/raspiplc'"
for d in operations.md web.md mqtt.md; do
    check "raspiplc: documentation as the units name it ($d)" has "$F" /usr/share/doc/raspiplc/$d
done

check "raspiplc-dev: depends on raspiplc $VERSION" \
    bash -c "dpkg-deb -f '$DEV' Depends | grep -qF 'raspiplc (= $VERSION)'"
for b in plc-layout plc-st; do
    check "raspiplc-dev: /usr/bin/$b and its manual page" \
        bash -c "grep -qxF /usr/bin/$b '$FD' && grep -qxF /usr/share/man/man1/$b.1.gz '$FD'"
done
for h in "$SRC"/runtime/include/*.h "$SRC"/layout/include/*.h; do
    check "raspiplc-dev: header ${h##*/}" cmp -s "$h" "$R/usr/include/raspiplc/${h##*/}"
done
check "raspiplc-dev: $LIB/libplc.so, a link to libplc.so.0" eq "$(readlink "$R$LIB/libplc.so")" libplc.so.0
check "raspiplc-dev: $LIB/pkgconfig/raspiplc.pc" has "$FD" "$LIB/pkgconfig/raspiplc.pc"
for e in "$SRC"/examples/*.c; do
    check "raspiplc-dev: example ${e##*/}" \
        cmp -s "$e" "$R/usr/share/doc/raspiplc-dev/examples/${e##*/}"
done

# Every program starts, with the library from the package.
helps() { # shellcheck disable=SC2086 # no emulator for the machine's own architecture
    LD_LIBRARY_PATH=$R$LIB $EMU "$1" --help >/dev/null
}
for b in "$R"/usr/bin/*; do
    check "${b#"$R"} --help runs" helps "$b"
done

# A program, as docs/programs.md builds one, against the packages' files:
# the layout and lock raspiplc puts in /etc/raspiplc, the example from
# raspiplc-dev's documentation.
if bash "$SRC/tests/install/build-program.sh" "$R" /usr "$LIB" "$R/etc/raspiplc/layout.ini" \
    "$R/usr/share/doc/raspiplc-dev/examples/motor.c" "$TMP/program" "$CC" "$EMU" \
    >"$TMP/program.log" 2>&1; then
    echo "ok   example (a) builds against raspiplc-dev (pkg-config --cflags --libs raspiplc)"
else
    fail "example (a) builds against raspiplc-dev (pkg-config --cflags --libs raspiplc)"
    sed 's/^/    | /' "$TMP/program.log"
fi

# python3-raspiplc (arch all, made with every architecture's packages): its
# files, its dependency, and, natively, the module from the package finding
# raspiplc's libplc.so.0 by its soname.
PY=$DIR/python3-raspiplc_${VERSION}_all.deb
if [ -f "$PY" ]; then
    dpkg-deb -x "$PY" "$R"
    check "python3-raspiplc: Architecture all" eq "$(dpkg-deb -f "$PY" Architecture)" all
    check "python3-raspiplc: depends on raspiplc (>= $VERSION)" \
        bash -c "dpkg-deb -f '$PY' Depends | grep -qF 'raspiplc (>= $VERSION)'"
    for m in "$SRC"/python/raspiplc/*.py; do
        check "python3-raspiplc: raspiplc/${m##*/}" \
            cmp -s "$m" "$R/usr/lib/python3/dist-packages/raspiplc/${m##*/}"
    done
    if [ -z "$EMU" ]; then
        check "python3-raspiplc: imported, it loads libplc.so.0 from raspiplc" \
            env -u RASPIPLC_LIBPLC LD_LIBRARY_PATH="$R$LIB" \
            PYTHONPATH="$R/usr/lib/python3/dist-packages" PYTHONDONTWRITEBYTECODE=1 \
            /usr/bin/python3 -c 'import raspiplc._lib as l; assert l.lib._name == "libplc.so.0"'
    fi
else
    fail "no $PY (scripts/package.sh --out $DIR $ARCH makes it)"
fi

[ "$FAILED" -eq 0 ]
