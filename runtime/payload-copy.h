/* SPDX-License-Identifier: MIT */
/*
 * The seqlock's payload copy made of C11 relaxed atomics: what libplc copies
 * a region's data with when built with PLC_RELAXED_COPY, instead of memcpy
 * (docs/process-image.md says what it costs and why memcpy is the default).
 * A reader's copy overlaps the writer's by design, and the sequence check
 * throws a torn copy away. With memcpy that overlap is a data race, which
 * ISO C leaves undefined (every compiler and CPU makes plain loads and stores
 * of it all the same); with relaxed atomics on both sides it is defined.
 *
 * The region's side is read or written in aligned words of a long (lock-free
 * on every target, one plain load or store on x86-64, aarch64 and armv7) and
 * bytes for an unaligned head and tail; the caller's side goes through
 * memcpy, so either buffer may have any alignment. Relaxed accesses order
 * nothing: the protocol's fences stay where they are. Kept out of line, as
 * memcpy is, so tests/runtime/test-barriers.sh finds the copy as a call.
 *
 * Not installed: region.c and region-claim.c use it, and bench/region-bench
 * times it beside memcpy.
 */
#ifndef PLC_RUNTIME_PAYLOAD_COPY_H
#define PLC_RUNTIME_PAYLOAD_COPY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

_Static_assert(ATOMIC_LONG_LOCK_FREE == 2 && ATOMIC_CHAR_LOCK_FREE == 2,
               "the relaxed copy needs lock-free long and char atomics");

typedef unsigned long plc_payload_word;
#define PLC_PAYLOAD_WORD sizeof(plc_payload_word)

/* Bytes before @p is word-aligned, at most @n. */
static inline size_t plc_payload_head(const void *p, size_t n)
{
    size_t head = (PLC_PAYLOAD_WORD - (uintptr_t)p % PLC_PAYLOAD_WORD) % PLC_PAYLOAD_WORD;
    return head < n ? head : n;
}

static inline plc_payload_word plc_payload_get(const _Atomic unsigned char *s)
{
    return atomic_load_explicit((const _Atomic plc_payload_word *)s, memory_order_relaxed);
}

static inline void plc_payload_put(_Atomic unsigned char *s, plc_payload_word w)
{
    atomic_store_explicit((_Atomic plc_payload_word *)s, w, memory_order_relaxed);
}

/*
 * Four words at a time, all loads before all stores: the compiler may not
 * move a load across a store that might alias it, so word by word would
 * wait on each store; four at a time ran about twice as fast here.
 */
#define PLC_PAYLOAD_STEP (4 * PLC_PAYLOAD_WORD)

/* Copy @n bytes of a region's data at @shared to @dst. */
static __attribute__((noinline, unused)) void plc_payload_load(void *dst, const void *shared,
                                                               size_t n)
{
    unsigned char *d = dst;
    const _Atomic unsigned char *s = (const _Atomic unsigned char *)shared;
    const size_t w = PLC_PAYLOAD_WORD;
    size_t i = 0, head = plc_payload_head(shared, n);
    for (; i < head; i++)
        d[i] = atomic_load_explicit(s + i, memory_order_relaxed);
    for (; n - i >= PLC_PAYLOAD_STEP; i += PLC_PAYLOAD_STEP) {
        plc_payload_word a = plc_payload_get(s + i), b = plc_payload_get(s + i + w),
                         c = plc_payload_get(s + i + 2 * w), e = plc_payload_get(s + i + 3 * w);
        memcpy(d + i, &a, w);
        memcpy(d + i + w, &b, w);
        memcpy(d + i + 2 * w, &c, w);
        memcpy(d + i + 3 * w, &e, w);
    }
    for (; n - i >= w; i += w) {
        plc_payload_word a = plc_payload_get(s + i);
        memcpy(d + i, &a, w);
    }
    for (; i < n; i++)
        d[i] = atomic_load_explicit(s + i, memory_order_relaxed);
}

/* Copy @n bytes from @src into a region's data at @shared. */
static __attribute__((noinline, unused)) void plc_payload_store(void *shared, const void *src,
                                                                size_t n)
{
    const unsigned char *d = src;
    _Atomic unsigned char *s = (_Atomic unsigned char *)shared;
    const size_t w = PLC_PAYLOAD_WORD;
    size_t i = 0, head = plc_payload_head(shared, n);
    for (; i < head; i++)
        atomic_store_explicit(s + i, d[i], memory_order_relaxed);
    for (; n - i >= PLC_PAYLOAD_STEP; i += PLC_PAYLOAD_STEP) {
        plc_payload_word a, b, c, e;
        memcpy(&a, d + i, w);
        memcpy(&b, d + i + w, w);
        memcpy(&c, d + i + 2 * w, w);
        memcpy(&e, d + i + 3 * w, w);
        plc_payload_put(s + i, a);
        plc_payload_put(s + i + w, b);
        plc_payload_put(s + i + 2 * w, c);
        plc_payload_put(s + i + 3 * w, e);
    }
    for (; n - i >= w; i += w) {
        plc_payload_word a;
        memcpy(&a, d + i, w);
        plc_payload_put(s + i, a);
    }
    for (; i < n; i++)
        atomic_store_explicit(s + i, d[i], memory_order_relaxed);
}

#endif
