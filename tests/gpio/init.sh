#!/bin/sh
# /init of the gpio-sim suite's initramfs (busybox): the host's root read-only
# over 9p, a chroot into it to run the guest test script named on the kernel
# command line, and its exit status to the host (tests/qemu/init-lib.sh).
. /lib.sh
load_modules
mount_host /host
mount -t proc proc /host/proc
mount -t sysfs sysfs /host/sys
mount -t devtmpfs devtmpfs /host/dev
mount -t configfs configfs /host/sys/kernel/config
mkdir -p /host/dev/shm
mount -t tmpfs tmpfs /host/dev/shm

script=$(arg plc_script)
chroot /host /bin/bash "$script" "$(arg plc_build)" "$(arg plc_variant)" "$(arg plc_mode)"
report $?
