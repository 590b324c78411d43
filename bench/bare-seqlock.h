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
 */
#ifndef BENCH_BARE_SEQLOCK_H
#define BENCH_BARE_SEQLOCK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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

static __attribute__((noinline, unused)) void bare_write(struct bare_seqlock *b, const void *src)
{
    uint32_t s = atomic_load_explicit(b->seq, memory_order_relaxed);
    atomic_store_explicit(b->seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    memcpy(b->data, src, b->size);
    atomic_store_explicit(b->seq, s + 2, memory_order_release);
}

/* One consistent copy into @dst; returns how many attempts were thrown away. */
static __attribute__((noinline, unused)) unsigned bare_read(const struct bare_seqlock *b, void *dst)
{
    for (unsigned retries = 0;; retries++) {
        uint32_t s1 = atomic_load_explicit(b->seq, memory_order_acquire);
        if (s1 & 1)
            continue;
        memcpy(dst, b->data, b->size);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(b->seq, memory_order_relaxed) == s1)
            return retries;
    }
}

#endif
