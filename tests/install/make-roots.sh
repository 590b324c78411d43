#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Make the cached Debian 12 roots of the package install tests (root-lib.sh)
# that are missing, all at once: apt's downloads for one overlap qemu's work
# on another.
#   bash make-roots.sh [--for-packages DIR] ARCH...      (amd64 arm64 armhf)
# --for-packages: only for the architectures with a raspiplc_*_ARCH.deb in
# DIR, the ones a test will run for. Exit 0 when every root that can be made here is there, 1 when making one
# failed, 77 when none can be made here (each test then says why itself).
set -u
pkgdir=
if [ "${1:-}" = --for-packages ]; then
    pkgdir=$2
    shift 2
fi
if [ $# -eq 0 ]; then
    echo "usage: $0 [--for-packages DIR] ARCH..." >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
plc_skip_tag=install-roots
. "$here/root-lib.sh"
t0=$(date +%s)
pids=()
for arch in "$@"; do
    if [ -n "$pkgdir" ] && ! ls "$pkgdir"/raspiplc_*_"$arch".deb >/dev/null 2>&1; then
        echo "[$arch] no raspiplc_*_$arch.deb in $pkgdir: no root needed"
        continue
    fi
    (
        (plc_root_check "$arch" && plc_root_make "$arch") 2>&1 | sed -u "s/^/[$arch] /"
        exit "${PIPESTATUS[0]}"
    ) &
    pids+=($!)
done
made=0 failed=0
for pid in "${pids[@]}"; do
    wait "$pid"
    case $? in 0) made=$((made + 1)) ;; 77) ;; *) failed=$((failed + 1)) ;; esac
done
echo "install-roots: $made of $# roots there, $failed failed, in $(($(date +%s) - t0)) s ($plc_root_cache)"
((failed == 0)) || exit 1
((made > 0)) || exit 77
