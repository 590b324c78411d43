#!/bin/sh
# /init of the gpio-sim suite's initramfs (busybox). Loads the modules listed
# in /modules.list, mounts the host's root read-only over 9p, chroots into it
# to run the guest test script named on the kernel command line, and hands
# its exit status to the host through isa-debug-exit (port 0xf4).
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

arg() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" /proc/cmdline; }

report() {
    echo "init: guest status $1"
    printf "\\$(printf %03o "$1")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    poweroff -f
}

for m in $(cat /modules.list); do
    insmod "/modules/$m" || { echo "init: insmod $m failed"; report 90; }
done
mkdir -p /host
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot /host ||
    { echo "init: cannot mount the host root over 9p"; report 91; }
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
mount -t devtmpfs devtmpfs /host/dev
mount -t configfs configfs /host/sys/kernel/config
mkdir -p /host/dev/shm
mount -t tmpfs tmpfs /host/dev/shm

script=$(arg plc_script)
chroot /host /bin/bash "$script" "$(arg plc_build)" "$(arg plc_variant)" "$(arg plc_mode)"
report $?
