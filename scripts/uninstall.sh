#!/usr/bin/env bash
# Remove what scripts/install.sh installed (the files in
# build-install/install_manifest.txt), the udev rule, the library path line
# (if install.sh added one), the users and the group.
# Kept: /etc/raspiplc (the user's layout and programs) and /var/lib/raspiplc
# (retained values); remove them by hand if they are no longer wanted.
#   scripts/uninstall.sh [--destdir DIR] [--build-dir DIR]   (default build-install)
set -euo pipefail
cd "$(dirname "$0")/.."
destdir=
build=build-install
while [ $# -gt 0 ]; do
    case $1 in
    --destdir) destdir=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "uninstall.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
manifest=$build/install_manifest.txt
if [ ! -f "$manifest" ]; then
    echo "uninstall.sh: no $manifest: nothing recorded as installed (was scripts/install.sh run from this tree?)" >&2
    exit 1
fi
if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
    echo "uninstall.sh: run as root (sudo scripts/uninstall.sh)" >&2
    exit 1
fi
if [ -z "$destdir" ] && [ -d /run/systemd/system ]; then
    systemctl disable --now raspiplc.target plc-io.service plc-logic.service plc-modbus.service \
        plc-retain.service plc-shm-init.service 2>/dev/null || true
fi
dirs=()
while IFS= read -r f || [ -n "$f" ]; do # the last line has no newline
    case $f in
    /etc/raspiplc/*) continue ;; # the user's layout and programs
    esac
    f=$destdir$f # the manifest names the installed paths, without DESTDIR
    rm -f -- "$f"
    dirs+=("$(dirname "$f")")
done <"$manifest"
# Directories of ours that are now empty (share/raspiplc/..., doc/raspiplc).
for d in $(printf '%s\n' "${dirs[@]}" | sort -ru); do
    case $d in */raspiplc | */raspiplc/*) rmdir -p --ignore-fail-on-non-empty "$d" 2>/dev/null || true ;; esac
done
if [ -n "$destdir" ]; then
    echo "uninstall.sh: removed the staged files from $destdir; kept $destdir/etc/raspiplc"
    exit 0
fi
if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
rm -f /etc/udev/rules.d/60-raspiplc.rules /etc/udev/rules.d/60-raspiplc-gpio.rules /etc/ld.so.conf.d/raspiplc.conf
ldconfig # libplc is gone: out of ld.so.cache with it
for u in $(awk '$1 == "u" { print $2 }' systemd/raspiplc.sysusers); do
    if getent passwd "$u" >/dev/null; then userdel "$u"; fi
done
if getent group raspiplc >/dev/null; then groupdel raspiplc; fi
echo "uninstall.sh: removed RaspiPLC; kept /etc/raspiplc and /var/lib/raspiplc"
