# SPDX-License-Identifier: MIT
# Sourced by scripts/cross-test.sh and tests/install/root-lib.sh, which run
# foreign programs through qemu-user registered in a binfmt_misc instance of
# their own (in a new user namespace, Linux 6.7 and later).
# plc_binfmt ARCH: sets binfmt_qemu (qemu-aarch64, ...) and binfmt_entry, the
# line to write to binfmt_misc/register but for the interpreter's path at its
# end; returns 2 with a message for an architecture it does not know. The F
# flag makes the kernel open the interpreter when the entry is registered,
# so it needs no copy in a chroot. ELF magic and mask per machine, as qemu's
# scripts/qemu-binfmt-conf.sh has them.
plc_binfmt() {
    local magic mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
    case $1 in
    arm64) binfmt_qemu=qemu-aarch64
           magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00' ;;
    armhf) binfmt_qemu=qemu-arm
           magic='\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00' ;;
    amd64) binfmt_qemu=qemu-x86_64
           magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x3e\x00' ;;
    *) echo "binfmt: unknown architecture '$1' (amd64, arm64, armhf)" >&2; return 2 ;;
    esac
    binfmt_entry=":$binfmt_qemu:M::$magic:$mask:"
}
# plc_binfmt_register INTERPRETER: a shell command line that mounts this
# namespace's binfmt_misc and registers INTERPRETER for the architecture of
# the last plc_binfmt call.
plc_binfmt_register() {
    echo "mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc &&
        printf '%s' '$binfmt_entry$1:F' >/proc/sys/fs/binfmt_misc/register"
}
