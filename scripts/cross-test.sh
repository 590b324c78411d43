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
. scripts/binfmt.sh
case $arch in
  arm64 | armhf) plc_binfmt "$arch" ;;
  *) echo "cross-test: unknown architecture '$arch' (arm64, armhf)" >&2; exit 2 ;;
esac
[ -d "build-$arch" ] || { echo "cross-test: no build-$arch: run scripts/cross-build.sh $arch" >&2; exit 1; }
emu=$(command -v "$binfmt_qemu") || { echo "cross-test: $binfmt_qemu not found (apt-get install qemu-user)" >&2; exit 1; }

register=$(plc_binfmt_register "$emu")
if unshare --user --map-root-user --mount sh -c "$register" 2>/dev/null; then
  exec unshare --user --map-root-user --mount sh -c "$register && exec \"\$@\"" sh \
    ctest --test-dir "build-$arch" "$@"
fi
why="no private binfmt_misc here (needs Linux 6.7 or later and user namespaces)"
if [ "${CI:-}" = true ]; then
  echo "cross-test: $why: the $arch tests cannot run on the target CPU" >&2
  exit 1
fi
echo "cross-test: $why: tests that start programs will fail with 'Exec format error'" >&2
exec ctest --test-dir "build-$arch" "$@"
