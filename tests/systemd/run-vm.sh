#!/bin/bash
# The systemd suite: the installed PLC under a real systemd, in qemu (TCG).
# A boot of Debian's kernel runs systemd as PID 1 on the host's root under an
# overlay whose upper layer is a disk image, where tests/systemd/vm-guest.sh
# installs the amd64 package scripts/package.sh left in BUILD_DIR/packages
# (dpkg -i: its dependencies are the host's, which the guest sees) and checks
# what systemd promises (users, capabilities, udev rule, restart, watchdog,
# retain) until a power cut; a second boot on the same disk checks the reboot
# (the PLC started by the boot, the parameters restored), removes and purges
# the package. The kernel, gpio-sim and the initramfs come from
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
for tool in mbpoll pgrep mkfs.ext4; do
    command -v "$tool" >/dev/null || skip "'$tool' is not installed (scripts/install-deps.sh installs it)"
done
[ -x /lib/systemd/systemd ] && [ -x /lib/systemd/systemd-udevd ] ||
    skip "systemd or udev is not installed (scripts/install-deps.sh installs them)"
for d in "$src" "$build"; do
    case $d/ in /run/*) skip "$d is under /run, which systemd mounts anew in the guest" ;; esac
done
deb=$(ls -t "$build"/packages/raspiplc_*_amd64.deb 2>/dev/null | head -1)
[ -n "$deb" ] || skip "no raspiplc_*_amd64.deb in $build/packages (scripts/package.sh --out $build/packages amd64 makes it)"
# The guest's dpkg database is the host's under the overlay: the package must
# be new to it (dpkg would not bring back the conffiles of a removed one).
status=$(dpkg-query -W -f '${db:Status-Abbrev}' raspiplc 2>/dev/null)
if [ -n "$status" ] && [ "${status:1:1}" != n ]; then
    skip "raspiplc is known to this machine's dpkg (status '$status'), whose database the guest sees (dpkg --purge raspiplc)"
fi
case $deb in *[[:space:]]*) skip "the package's path has a space: it travels on the kernel command line" ;; esac
qemu_prepare "$src" "$build"
step "the package: $deb"

step "making the initramfs"
qemu_initramfs "$cache/initramfs-systemd.cpio.gz" "$src/tests/systemd/vm-init.sh" \
    configfs virtio_pci 9pnet_virtio 9p overlay virtio_blk ext4 crc32c_generic
# The guest's disk: the overlay's upper layer, kept from boot 1 to boot 2.
disk=$cache/vm-disk.img
qemu_temp+=("$disk")
rm -f "$disk"
truncate -s 1G "$disk" && mkfs.ext4 -q -F "$disk" || die "cannot make the guest's disk $disk"
qemu_mem=1024
qemu_args=(-drive "file=$disk,format=raw,if=virtio,cache=writeback")
filter='^(ok|FAIL|     |guest:|init:)'
for phase in 1 2; do
    step "boot $phase: $abi in qemu (TCG) with systemd as PID 1"
    qemu_boot "systemd-$phase" "$cache/initramfs-systemd.cpio.gz" "$filter" \
        "plc_src=$src plc_build=$build plc_phase=$phase plc_deb=$deb" || exit 1
    echo "systemd-vm: boot $phase passed ($(grep -c '^ok' "$cache/qemu-systemd-$phase.log") checks, $qemu_seconds s)"
done
rm -f "$disk"
