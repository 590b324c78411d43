#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The seqlock's barriers in ARM code. x86-64 orders memory so strongly (TSO)
# that a missing fence shows in no test there, and qemu-user runs ARM code on
# x86, so no test run can show one either. Instead runtime/region.c is built
# with Debian's cross compilers for aarch64 and armhf, with the flags of the
# real build, disassembled, and check-barriers.py follows every path of each
# read and write function: acquire load of the sequence, copy, acquire fence,
# re-read; release fence, copy, release store (docs/process-image.md).
#
# The check itself: copies of region.c with one barrier taken out must fail,
# naming the function and the barrier. Taking out the reader's acquire fence
# (the dmb ishld after the memcpy on aarch64, the dmb ish on armhf) gives
#   FAIL aarch64 plc_region_read: read: no acquire fence (dmb ishld) between
#   the payload copy and the re-read of the sequence (ldr w0, [x19] at 0x7e0)
# where the intact code passes with "ldar w28, [x19] -> bl memcpy -> dmb ishld
# -> ldr w0, [x19]"; likewise for the acquire load, the writer's two fences
# (one on each branch of `if (r->fence)`) and its release store, on both
# architectures.
#
#   test-barriers.sh SOURCE_DIR WORK_DIR INCLUDE_DIR... -- CFLAGS...
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../ci-skip.sh"

src=$1 work=$2
shift 2
includes=()
while (($#)) && [ "$1" != -- ]; do
    # Our own include directories only: the system's headers are the cross
    # compiler's (a host -I/usr/include would mix x86 headers in).
    case $1 in "$src"/* | "$work"/*) includes+=("-I$1") ;; esac
    shift
done
shift
cflags=("$@")
region=$src/runtime/region.c

# arch, GNU triplet, the flags cmake/TimeBits.cmake adds for the target
targets=("aarch64 aarch64-linux-gnu" "arm arm-linux-gnueabihf -D_FILE_OFFSET_BITS=64")

command -v python3 >/dev/null || plc_skip "python3 not found (scripts/install-deps.sh installs it)"
for t in "${targets[@]}"; do
    read -r _ triplet _ <<<"$t"
    for tool in gcc objdump; do
        command -v "$triplet-$tool" >/dev/null ||
            plc_skip "$triplet-$tool not found: apt-get install gcc-$triplet binutils-$triplet" \
                "(scripts/install-deps.sh installs them)"
    done
done

FAILED=0
fail() { echo "  FAIL: $*"; FAILED=$((FAILED + 1)); }
rm -rf "$work" && mkdir -p "$work" || exit 1

# Build $1 for target "$2" into $work/$3.s; check it, output in $work/$3.out.
check() {
    local file=$1 arch triplet extra
    read -r arch triplet extra <<<"$2"
    # shellcheck disable=SC2086 # $extra: zero or more flags
    if ! "$triplet-gcc" "${cflags[@]}" $extra "${includes[@]}" -c "$file" -o "$work/$3.o" \
        2>"$work/$3.err"; then
        fail "$triplet-gcc cannot build $file:"
        sed 's/^/    /' "$work/$3.err"
        return 2
    fi
    "$triplet-objdump" -dr --no-show-raw-insn "$work/$3.o" >"$work/$3.s" || return 2
    python3 "$here/check-barriers.py" "$arch" "$work/$3.s" >"$work/$3.out"
}

for t in "${targets[@]}"; do
    read -r arch triplet _ <<<"$t"
    check "$region" "$t" "$arch"
    rc=$?
    cat "$work/$arch.out" 2>/dev/null
    [ $rc -eq 0 ] || fail "$arch: the barriers are not where docs/process-image.md says"
done
echo "     flags: ${cflags[*]}"

# Each mutation: a line of region.c, what it becomes, and the function and
# message the check must name (on both architectures).
mutations=(
    "reader acquire fence|atomic_thread_fence(memory_order_acquire);|(void)0;|plc_region_read: read: no acquire fence"
    "reader acquire load|uint32_t s1 = atomic_load_explicit(seq, memory_order_acquire);|uint32_t s1 = atomic_load_explicit(seq, memory_order_relaxed);|plc_region_read: read: no acquire load of the sequence"
    "writer release fence|atomic_thread_fence(memory_order_release);|(void)0;|plc_region_write (in write_ranges): write: no release fence"
    "writer fence of the futex handshake|atomic_thread_fence(memory_order_seq_cst);|(void)0;|plc_region_write (in write_ranges): write: no release fence"
    "writer release store|atomic_store_explicit(&h->seq, s + 1, memory_order_release);|atomic_store_explicit(&h->seq, s + 1, memory_order_relaxed);|plc_region_write (in write_ranges): write: the sequence is published with a plain store"
)
n=0
for m in "${mutations[@]}"; do
    IFS='|' read -r what from to want <<<"$m"
    n=$((n + 1))
    mutant=$work/mutant-$n.c
    count=$(grep -cF -- "$from" "$region")
    if [ "$count" != 1 ]; then
        fail "mutation '$what': '$from' is in region.c $count times, not once: update this test"
        continue
    fi
    FROM=$from TO=$to perl -pe 's/\Q$ENV{FROM}\E/$ENV{TO}/' "$region" >"$mutant"
    for t in "${targets[@]}"; do
        read -r arch _ <<<"$t"
        check "$mutant" "$t" "mutant-$n-$arch"
        rc=$?
        if [ $rc -eq 1 ] && grep -qF -- "FAIL $arch $want" "$work/mutant-$n-$arch.out"; then
            echo "ok   without the $what, $arch fails: $(grep -F -- "FAIL $arch $want" \
                "$work/mutant-$n-$arch.out" | head -1 | cut -c6-)"
        else
            fail "without the $what, $arch was not caught as '$want' (exit $rc):"
            sed 's/^/    /' "$work/mutant-$n-$arch.out" 2>/dev/null
        fi
    done
done

[ "$FAILED" -eq 0 ]
