#!/usr/bin/env bash
# Run the tests of a cross build (scripts/cross-build.sh) on the target CPU
# under qemu-user: ctest --test-dir build-ARCH with the given ctest arguments.
# usage: scripts/cross-test.sh ARCH [CTEST_ARGS...]      (ARCH: arm64 armhf)
#
# ctest starts each test binary under qemu itself (CMAKE_CROSSCOMPILING_EMULATOR),
# but many tests start the built programs (plc-shm-init, plc-logic, ...) from a
# shell script or with fork/exec, which needs the kernel to know how to run a
# foreign binary: binfmt_misc. This registers qemu there in a private instance,
# in a new user and mount namespace (Linux 6.7 and later), so nothing changes for
# the rest of the machine. Where that is refused, it fails under CI=true;
# elsewhere the tests run anyway and the ones that start programs fail with
# "Exec format error".
set -euo pipefail
cd "$(dirname "$0")/.."
arch=${1:?usage: $0 ARCH [CTEST_ARGS...]}
shift
# ELF magic and mask per machine, as qemu's scripts/qemu-binfmt-conf.sh has them.
case $arch in
  arm64) qemu=qemu-aarch64
         magic='\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00' ;;
  armhf) qemu=qemu-arm
         magic='\x7fELF\x01\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\x28\x00' ;;
  *) echo "cross-test: unknown architecture '$arch' (arm64, armhf)" >&2; exit 2 ;;
esac
mask='\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff'
[ -d "build-$arch" ] || { echo "cross-test: no build-$arch: run scripts/cross-build.sh $arch" >&2; exit 1; }
emu=$(command -v "$qemu") || { echo "cross-test: $qemu not found (apt-get install qemu-user)" >&2; exit 1; }

register='mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc &&
  printf "%s" "$1" > /proc/sys/fs/binfmt_misc/register'
entry=":$qemu:M::$magic:$mask:$emu:F"
if unshare --user --map-root-user --mount sh -c "$register" sh "$entry" 2>/dev/null; then
  exec unshare --user --map-root-user --mount sh -c "$register && shift && exec \"\$@\"" sh "$entry" \
    ctest --test-dir "build-$arch" "$@"
fi
why="no private binfmt_misc here (needs Linux 6.7 or later and user namespaces)"
if [ "${CI:-}" = true ]; then
  echo "cross-test: $why: the $arch tests cannot run on the target CPU" >&2
  exit 1
fi
echo "cross-test: $why: tests that start programs will fail with 'Exec format error'" >&2
exec ctest --test-dir "build-$arch" "$@"
