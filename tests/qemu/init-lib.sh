# /lib.sh of the qemu suites' initramfs (busybox), sourced by each suite's
# /init: the kernel's file systems, the modules of /modules.list, the host's
# root over 9p, and the guest's status to the host through isa-debug-exit.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

# arg NAME: NAME=VALUE from the kernel command line.
arg() { sed -n "s/.*[[:space:]]$1=\([^[:space:]]*\).*/\1/p" /proc/cmdline; }

# report STATUS: qemu exits with (STATUS << 1) | 1.
report() {
    echo "init: guest status $1"
    printf "\\$(printf %03o "$1")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    poweroff -f
}

load_modules() {
    for m in $(cat /modules.list); do
        insmod "/modules/$m" || { echo "init: insmod $m failed"; report 90; }
    done
}

# mount_host DIR: the host's root, read-only, at DIR.
mount_host() {
    mkdir -p "$1"
    mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=262144 hostroot "$1" ||
        { echo "init: cannot mount the host root over 9p"; report 91; }
}
