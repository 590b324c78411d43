#!/usr/bin/env bash
# Install RaspiPLC on this machine (a Pi): build in build-install/, install
# binaries, libplc, systemd units, examples and docs under PREFIX (default
# /usr/local), the demo layout and motor program in /etc/raspiplc (only where
# none is there yet), create group 'raspiplc' and one system user per service,
# and enable raspiplc.target so the PLC starts at boot.
#   scripts/install.sh [--prefix DIR] [--destdir DIR] [--build-dir DIR]
# --destdir stages the files into DIR (packaging, tests): no users, no udev
# rule, no ldconfig, no systemctl. Undo with scripts/uninstall.sh (same options).
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=/usr/local
destdir=
build=build-install
while [ $# -gt 0 ]; do
    case $1 in
    --prefix) prefix=$2; shift 2 ;;
    --destdir) destdir=$2; shift 2 ;;
    --build-dir) build=$2; shift 2 ;;
    -h | --help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
case $prefix in /*) ;; *) echo "install.sh: --prefix '$prefix' is not an absolute path" >&2; exit 2 ;; esac

if [ -z "$destdir" ] && [ "$(id -u)" -ne 0 ]; then
    echo "install.sh: run as root (sudo scripts/install.sh): it creates users and installs into $prefix and /etc" >&2
    exit 1
fi
[ -n "${PLC_SKIP_DEPS:-}" ] || scripts/install-deps.sh
scripts/build.sh "$build" -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_BUILD_TYPE=Release
DESTDIR=$destdir cmake --install "$build"

if [ -n "$destdir" ]; then
    echo "install.sh: staged into $destdir: users, udev rule, ldconfig and systemctl left to the target machine"
    exit 0
fi

# The binaries have no run path: the dynamic linker finds libplc.so.N through
# ld.so.cache. A library directory it does not search (a --prefix other than
# /usr or /usr/local) gets a line in /etc/ld.so.conf.d, as a package would.
lib=$(grep -m1 '/libplc\.so\.[0-9]*$' "$build/install_manifest.txt") ||
    { echo "install.sh: no libplc.so.N in $build/install_manifest.txt" >&2; exit 1; }
ldconfig
if ! ldconfig -p | grep -F " => $lib" >/dev/null; then
    echo "$(dirname "$lib")" >/etc/ld.so.conf.d/raspiplc.conf
    ldconfig
    echo "install.sh: $(dirname "$lib") added to the library path (/etc/ld.so.conf.d/raspiplc.conf)"
fi

# One system user per service, all in group raspiplc (the regions' group),
# and group gpio: the list is systemd/raspiplc.sysusers, which the Debian
# package uses too. Existing users and groups are left as they are.
systemd-sysusers "$PWD/systemd/raspiplc.sysusers"
# The GPIO chips to group gpio, /dev/cpu_dma_latency to plc-logic (the rule
# was 60-raspiplc-gpio.rules before it had the second).
rule=/etc/udev/rules.d/60-raspiplc.rules
rm -f /etc/udev/rules.d/60-raspiplc-gpio.rules
if [ ! -e "$rule" ]; then
    cp systemd/60-raspiplc.rules "$rule"
    if command -v udevadm >/dev/null; then
        udevadm trigger --subsystem-match=gpio --subsystem-match=misc 2>/dev/null || true
    fi
fi
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable raspiplc.target
    echo "install.sh: enabled raspiplc.target; start it now with: systemctl start raspiplc.target"
else
    echo "install.sh: systemd is not running here: units installed, not enabled (use plc-supervise)"
fi
