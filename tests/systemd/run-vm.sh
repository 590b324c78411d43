#!/bin/bash
# The systemd suite: the installed PLC under a real systemd, in qemu (TCG).
# scripts/install.sh builds its tree here on the host (where compiling is
# fast; --destdir, so nothing on the host changes), then one boot of
# Debian's kernel runs systemd as PID 1 on the host's root under a tmpfs
# overlay, where tests/systemd/vm-guest.sh installs for real and checks what
# systemd promises (users, capabilities, udev rule, restart, watchdog, retain,
# uninstall). The kernel, gpio-sim and the initramfs come from
# tests/qemu/lib.sh (cached under BUILD_DIR/gpio-cache).
#
# usage: tests/systemd/run-vm.sh SRC_DIR BUILD_DIR
# Exit 0 passed, 1 failed, 77 cannot run here (one line says why); with
# CI=true a cannot-run is a failure, since CI provides everything.
set -uo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
qemu_tag=systemd-vm
. "$src/tests/qemu/lib.sh"
for tool in mbpoll pgrep; do
    command -v "$tool" >/dev/null || skip "'$tool' is not installed (scripts/install-deps.sh installs it)"
done
[ -x /lib/systemd/systemd ] && [ -x /lib/systemd/systemd-udevd ] ||
    skip "systemd or udev is not installed (scripts/install-deps.sh installs them)"
for d in "$src" "$build"; do
    case $d/ in /run/*) skip "$d is under /run, which systemd mounts anew in the guest" ;; esac
done
qemu_prepare "$src" "$build"

inst=$build/vm-install
step "building install.sh's tree in $inst"
rm -rf "$build/vm-stage"
PLC_SKIP_DEPS=1 bash "$src/scripts/install.sh" --destdir "$build/vm-stage" --build-dir "$inst" \
    > "$cache/vm-install.log" 2>&1 || { cat "$cache/vm-install.log"; die "install.sh --destdir failed"; }
rm -rf "$build/vm-stage"

step "making the initramfs"
qemu_initramfs "$cache/initramfs-systemd.cpio.gz" "$src/tests/systemd/vm-init.sh" \
    configfs virtio_pci 9pnet_virtio 9p overlay
step "booting $abi in qemu (TCG) with systemd as PID 1"
if qemu_mem=1024 qemu_boot systemd "$cache/initramfs-systemd.cpio.gz" '^(ok|FAIL|     |guest:|init:)' \
    "plc_src=$src plc_build=$build"; then
    echo "systemd-vm: passed ($(grep -c '^ok' "$cache/qemu-systemd.log") checks, $qemu_seconds s)"
else
    exit 1
fi
