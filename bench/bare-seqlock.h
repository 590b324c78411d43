/* SPDX-License-Identifier: MIT */
/*
 * The floor for region-bench: a bare seqlock, the protocol and nothing else.
 *
 * The same protocol runtime/region.c implements (Boehm; the kernel's
 * seqlock.h), over a MAP_SHARED file in the same /dev/shm directory:
 *   writer: seq = odd (relaxed); release fence; memcpy; seq = even (release)
 *   reader: s1 = seq (acquire); memcpy; acquire fence; s2 = seq (relaxed);
 *           retry unless s1 == s2 and even
 * The sequence word sits alone at offset 0 and the data at offset 512, where a
 * region's data starts, so both copies see the same alignment. Both calls are
 * kept out of line, as plc_region_read()/plc_region_write() are: what the
 * benchmark compares is what the library does beyond the protocol.
 *
 * bare_read_relaxed()/bare_write_relaxed() are the same protocol with the
 * payload copied by C11 relaxed atomics, libplc's copy under PLC_RELAXED_COPY:
 * the floor with either copy, in the same run.
 */
#ifndef BENCH_BARE_SEQLOCK_H
#define BENCH_BARE_SEQLOCK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "payload-copy.h"

#define BARE_DATA_OFFSET 512u

struct bare_seqlock {
    _Atomic uint32_t *seq;
    unsigned char *data;
    size_t size;
};

/* The mapping's total size for @size bytes of data. */
static inline size_t bare_map_size(size_t size)
{
    return (BARE_DATA_OFFSET + size + 4095) / 4096 * 4096;
}

static inline void bare_init(struct bare_seqlock *b, void *map, size_t size)
{
    b->seq = (_Atomic uint32_t *)map;
    b->data = (unsigned char *)map + BARE_DATA_OFFSET;
    b->size = size;
}

/* A payload copy: memcpy, or the relaxed-atomic copy of PLC_RELAXED_COPY. */
typedef void bare_copy_fn(void *dst, const void *src, size_t n);

static inline void bare_memcpy(void *dst, const void *src, size_t n)
{
    memcpy(dst, src, n);
}

static inline __attribute__((always_inline)) void
bare_write_with(struct bare_seqlock *b, const void *src, bare_copy_fn *copy)
{
    uint32_t s = atomic_load_explicit(b->seq, memory_order_relaxed);
    atomic_store_explicit(b->seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    copy(b->data, src, b->size);
    atomic_store_explicit(b->seq, s + 2, memory_order_release);
}

static inline __attribute__((always_inline)) unsigned bare_read_with(const struct bare_seqlock *b,
                                                                     void *dst, bare_copy_fn *copy)
{
    for (unsigned retries = 0;; retries++) {
        uint32_t s1 = atomic_load_explicit(b->seq, memory_order_acquire);
        if (s1 & 1)
            continue;
        copy(dst, b->data, b->size);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(b->seq, memory_order_relaxed) == s1)
            return retries;
    }
}

static __attribute__((noinline, unused)) void bare_write(struct bare_seqlock *b, const void *src)
{
    bare_write_with(b, src, bare_memcpy);
}

/* One consistent copy into @dst; returns how many attempts were thrown away. */
static __attribute__((noinline, unused)) unsigned bare_read(const struct bare_seqlock *b, void *dst)
{
    return bare_read_with(b, dst, bare_memcpy);
}

/* The same two with libplc's relaxed-atomic copy (runtime/payload-copy.h),
 * whichever copy libplc itself was built with. */
static __attribute__((noinline, unused)) void bare_write_relaxed(struct bare_seqlock *b,
                                                                 const void *src)
{
    bare_write_with(b, src, plc_payload_store);
}

static __attribute__((noinline, unused)) unsigned bare_read_relaxed(const struct bare_seqlock *b,
                                                                    void *dst)
{
    return bare_read_with(b, dst, plc_payload_load);
}

#endif
