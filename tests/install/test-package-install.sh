#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Debian package on a fresh Debian 12 of its architecture: install with
# apt, run, write a retained setpoint over Modbus, upgrade, run again, purge
# (package-checks.sh says what each step checks). arm64 and armhf run under
# qemu-user-static; the roots come from root-lib.sh's cache.
#   bash test-package-install.sh PACKAGE_DIR ARCH      (ARCH: amd64 arm64 armhf)
# PACKAGE_DIR holds raspiplc_VERSION_ARCH.deb (scripts/package.sh makes it;
# the newest is taken when there are several). The upgrade is the same
# package repacked with the version VERSION+upgrade1 and a line more in one
# conffile (dpkg-deb -R, -b): what an upgrade does to conffiles and state
# depends on the versions and the conffiles, not on what changed in the
# binaries, and a second build per architecture would cost minutes.
# Exit 0 passed, 1 failed, 77 cannot run here (one line says why); with
# CI=true a cannot-run is a failure, since CI provides everything.
set -u
if [ $# -ne 2 ]; then
    echo "usage: $0 PACKAGE_DIR ARCH" >&2
    exit 2
fi
pkgdir=$1 arch=$2
here=$(cd "$(dirname "$0")" && pwd)
plc_skip_tag=install-package-$arch
. "$here/root-lib.sh"
t_start=$(date +%s)
say() { echo "$plc_skip_tag: $*"; }

for tool in mbpoll dpkg-deb; do
    command -v "$tool" >/dev/null || plc_skip "'$tool' is not installed (scripts/install-deps.sh installs it)"
done
[ -d "$pkgdir" ] || plc_skip "no package directory $pkgdir (scripts/package.sh --out $pkgdir $arch makes it)"
deb=$(ls -t "$pkgdir"/raspiplc_*_"$arch".deb 2>/dev/null | head -1)
[ -n "$deb" ] || plc_skip "no raspiplc_*_$arch.deb in $pkgdir (scripts/package.sh --out $pkgdir $arch makes it)"
plc_root_check "$arch"

tmp=$(mktemp -d -t plc-package-test.XXXXXX) || exit 1
cleanup() {
    # The namespace's processes first (the PLC in the root among them); its
    # mounts go with it, so the removal stays on this file system.
    plc_ns_stop
    rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

t0=$(date +%s)
plc_root_unpack "$arch" "$tmp/root" || { echo "FAIL: a fresh $arch root in $tmp/root"; exit 1; }
say "fresh root ready in $(($(date +%s) - t0)) s"

# The package as it is, and repacked with a higher version for the upgrade,
# whose layout.lock, a conffile the user leaves alone, has one more line.
mkdir -p "$tmp/root/tmp/packages/upgrade" "$tmp/repack"
cp "$deb" "$tmp/root/tmp/packages/" || exit 1
version=$(dpkg-deb -f "$deb" Version)
dpkg-deb -R "$deb" "$tmp/repack" &&
    sed -i "s/^Version: .*/Version: $version+upgrade1/" "$tmp/repack/DEBIAN/control" &&
    echo '# upgrade1' >>"$tmp/repack/etc/raspiplc/layout.lock" &&
    dpkg-deb -Zgzip -b "$tmp/repack" "$tmp/root/tmp/packages/upgrade/" >/dev/null ||
    { echo "FAIL: repacking ${deb##*/} as version $version+upgrade1"; exit 1; }
deb2=$(cd "$tmp/root" && echo tmp/packages/upgrade/*.deb)
# The Python library (arch all), on this architecture's libplc and python3:
# amd64 and armhf, the two data models (LP64, ILP32) of the structs it mirrors;
# arm64 is LP64 as amd64 is, and python3 under qemu-user costs a minute.
pyarg=-
if [ "$arch" != arm64 ]; then
    pydeb=$(ls -t "$pkgdir"/python3-raspiplc_*_all.deb 2>/dev/null | head -1)
    [ -n "$pydeb" ] ||
        { echo "FAIL: no python3-raspiplc_*_all.deb in $pkgdir (scripts/package.sh makes it)"; exit 1; }
    cp "$pydeb" "$tmp/root/tmp/packages/" || exit 1
    pyarg=/tmp/packages/${pydeb##*/}
fi

# A port nobody listens on (the namespace shares the host's network).
listening() { # the ports in state LISTEN (0A), in hex
    awk 'NR > 1 && $4 == "0A" {sub(/.*:/, "", $2); print $2}' /proc/net/tcp /proc/net/tcp6
}
port=
for p in $(shuf -i 20000-60999 -n 20); do
    listening | grep -qix "$(printf %04x "$p")" || { port=$p; break; }
done
[ -n "$port" ] || { echo "FAIL: no free TCP port found"; exit 1; }

say "${deb##*/} on Debian $plc_root_suite $arch, Modbus on 127.0.0.1:$port"
plc_ns "$arch" bash "$here/package-checks.sh" "$tmp/root" "$arch" "$port" \
    "/tmp/packages/${deb##*/}" "/$deb2" "$pyarg"
rc=$?
say "$( ((rc == 0)) && echo passed || echo FAILED) in $(($(date +%s) - t_start)) s"
exit "$rc"
