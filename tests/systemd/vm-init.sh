#!/bin/sh
# /init of the systemd suite's initramfs (busybox). The guest's root is the
# host's root, read-only over 9p, under a tmpfs overlay: installing, adding
# users and writing /var/lib stay in the guest and vanish with it. systemd
# then runs as PID 1 with plc-vmtest.service as its only goal; that unit runs
# tests/systemd/vm-guest.sh, which reports through isa-debug-exit (port 0xf4).
# Common steps: tests/qemu/init-lib.sh.
. /lib.sh
load_modules
mount_host /lower
mkdir -p /rw /newroot
mount -t tmpfs -o mode=0755 tmpfs /rw
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
    { echo "init: cannot mount the overlay root"; report 92; }
[ -x /newroot/lib/systemd/systemd ] || { echo "init: the host has no /lib/systemd/systemd (package systemd)"; report 93; }

# A container's marker would make systemd ignore the kernel command line and
# skip udev: this guest is a machine.
rm -f /newroot/.dockerenv /newroot/run/.containerenv
# A fresh machine: a RaspiPLC installed on the host must not show through.
rm -rf /newroot/etc/raspiplc /newroot/var/lib/raspiplc
# systemd-tmpfiles empties /tmp at boot; a checkout there must stay visible.
mkdir -p /newroot/etc/tmpfiles.d
echo 'd /tmp 1777 root root -' > /newroot/etc/tmpfiles.d/tmp.conf
: > /newroot/etc/tmpfiles.d/x11.conf

src=$(arg plc_src)
build=$(arg plc_build)
cat > /newroot/etc/systemd/system/plc-vmtest.service <<UNIT
[Unit]
Description=RaspiPLC systemd suite (tests/systemd/vm-guest.sh)
Wants=systemd-udevd.service systemd-journald.service
After=systemd-udevd.service systemd-journald.service

[Service]
Type=oneshot
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
ExecStart=/bin/bash $src/tests/systemd/vm-guest.sh $src $build
UNIT

umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /lib/systemd/systemd --unit=plc-vmtest.service
