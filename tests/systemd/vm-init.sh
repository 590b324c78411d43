#!/bin/sh
# /init of the systemd suite's initramfs (busybox). The guest's root is the
# host's root, read-only over 9p, under an overlay whose upper layer is the
# ext4 disk /dev/vda: installing, adding users and writing /var/lib stay in
# the guest, and survive into the second boot (plc_phase=2), which is the
# reboot after a power cut. systemd then runs as PID 1 and starts
# plc-vmtest.service, which runs tests/systemd/vm-guest.sh; that reports
# through isa-debug-exit (port 0xf4). Common steps: tests/qemu/init-lib.sh.
. /lib.sh
load_modules
mount_host /lower
mkdir -p /rw /newroot
mount -t ext4 /dev/vda /rw || { echo "init: cannot mount the disk /dev/vda"; report 94; }
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
    { echo "init: cannot mount the overlay root"; report 92; }
[ -x /newroot/lib/systemd/systemd ] || { echo "init: the host has no /lib/systemd/systemd (package systemd)"; report 93; }

# The board: a chip named like the Pi's (GPIO0..GPIO27), there from boot as on a
# Pi, so plc-io finds its lines when systemd starts it.
mkdir -p /sys/kernel/config
mount -t configfs configfs /sys/kernel/config
cfg=/sys/kernel/config/gpio-sim/pi
mkdir "$cfg" "$cfg/bank0" || { echo "init: gpio-sim is not in configfs"; report 95; }
echo 28 > "$cfg/bank0/num_lines"
echo pinctrl-sim > "$cfg/bank0/label"
i=0
while [ $i -lt 28 ]; do
    mkdir "$cfg/bank0/line$i"
    echo "GPIO$i" > "$cfg/bank0/line$i/name"
    i=$((i + 1))
done
echo 1 > "$cfg/live"
umount /sys/kernel/config

phase=$(arg plc_phase)
src=$(arg plc_src)
build=$(arg plc_build)
deb=$(arg plc_deb)
if [ "$phase" = 1 ]; then
    # A container's marker would make systemd ignore the kernel command line and
    # skip udev: this guest is a machine.
    rm -f /newroot/.dockerenv /newroot/run/.containerenv
    # A container's policy-rc.d (exit 101) makes deb-systemd-invoke refuse the
    # prerm's stop of raspiplc.target, so dpkg -r left the PLC running (the
    # services with a watchdog died only once their units were gone). A Pi has none.
    rm -f /newroot/usr/sbin/policy-rc.d
    # A fresh machine: a RaspiPLC installed on the host must not show through.
    rm -rf /newroot/etc/raspiplc /newroot/var/lib/raspiplc
    # systemd-tmpfiles empties /tmp at boot; a checkout there must stay visible.
    mkdir -p /newroot/etc/tmpfiles.d
    echo 'd /tmp 1777 root root -' > /newroot/etc/tmpfiles.d/tmp.conf
    : > /newroot/etc/tmpfiles.d/x11.conf
    # Boot 1 runs the suite alone (sysinit and basic only).
    after=
    unit=plc-vmtest.service
else
    # Boot 2 is a real boot to multi-user.target, so raspiplc.target starts as
    # the package enabled it; what the host enabled besides is left out.
    for w in /newroot/etc/systemd/system/multi-user.target.wants/*; do
        [ "${w##*/}" = raspiplc.target ] || rm -f "$w"
    done
    ln -sf /etc/systemd/system/plc-vmtest.service /newroot/etc/systemd/system/multi-user.target.wants/
    # No login prompt: a getty on the console would hang up the suite's output.
    ln -sf /dev/null /newroot/etc/systemd/system/serial-getty@.service
    ln -sf /dev/null /newroot/etc/systemd/system/getty@.service
    after="plc-shm-init.service plc-io.service plc-logic.service plc-modbus.service plc-retain.service plc-web.service plc-mqtt.service"
    unit=multi-user.target
fi
cat > /newroot/etc/systemd/system/plc-vmtest.service <<UNIT
[Unit]
Description=RaspiPLC systemd suite (tests/systemd/vm-guest.sh, boot $phase)
Wants=systemd-udevd.service systemd-journald.service
After=systemd-udevd.service systemd-journald.service $after

[Service]
Type=oneshot
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
ExecStart=/bin/bash $src/tests/systemd/vm-guest.sh $src $build $phase $deb
UNIT

umount /proc /sys
mount --move /dev /newroot/dev
exec switch_root /newroot /lib/systemd/systemd --unit=$unit
