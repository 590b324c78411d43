/* SPDX-License-Identifier: MIT */
/*
 * struct plc_region, shared between the files that make up the one object:
 * region.c (attach, detach and the seqlock read/write), region-claim.c (the
 * writer claim, the writer's liveness, the repair of a dead writer's write),
 * region-wait.c (wait for a change) and region-info.c (introspection). Not
 * installed; no other file includes it (region-file.c needs no handle).
 */
#ifndef PLC_RUNTIME_REGION_INTERNAL_H
#define PLC_RUNTIME_REGION_INTERNAL_H

#include <limits.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

struct plc_region {
    const struct plc_layout *layout;
    const struct plc_region_def *def;
    int fd;
    void *map;
    size_t map_size;
    struct plc_shm_header *h;
    unsigned char *data;
    unsigned char *copy; /* the last complete copy of data */
    dev_t dev;
    ino_t ino;

    bool writer;
    bool repaired; /* this handle's claim undid a dead writer's half-done write */
    bool fence; /* writer without membarrier: a full fence before each write's copy */
    uint64_t my_claim;
    pid_t took_over_from;
    uint32_t last_seq; /* for plc_region_wait() */

    /* liveness of the claim holder, checked by pidfd where there is one */
    int pidfd;
    uint64_t pidfd_claim;
    bool writer_dead; /* the last liveness check found it dead */

    /* counters published to the header in batches */
    uint64_t reads, retries, stale;

    char path[PATH_MAX]; /* cold: for plc_region_check() and messages */
};

/* 32-bit ARM with a 64-bit time_t (Debian 13 armhf) needs the time64 call. */
#if defined(SYS_futex_time64) && !defined(__LP64__)
#define PLC_SYS_FUTEX (sizeof(time_t) > sizeof(long) ? SYS_futex_time64 : SYS_futex)
#else
#define PLC_SYS_FUTEX SYS_futex
#endif

static inline long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(PLC_SYS_FUTEX, (uint32_t *)word, op, val, ts, NULL, FUTEX_BITSET_MATCH_ANY);
}

static inline void flush_counters(struct plc_region *r)
{
    if (r->reads)
        atomic_fetch_add_explicit(&r->h->reads, r->reads, memory_order_relaxed);
    if (r->retries)
        atomic_fetch_add_explicit(&r->h->retries, r->retries, memory_order_relaxed);
    if (r->stale)
        atomic_fetch_add_explicit(&r->h->stale_reads, r->stale, memory_order_relaxed);
    r->reads = r->retries = r->stale = 0;
}

static inline bool retired(const struct plc_region *r)
{
    return atomic_load_explicit(&r->h->flags, memory_order_relaxed) & PLC_SHM_RETIRED;
}

/* region-claim.c */

/* Take the writer claim of an attached region (PLC_EHELD + diag when a live
 * process holds it) and repair what a dead writer left. */
int plc_region_claim(struct plc_region *r, struct plc_diag *diag);
/* Is the process behind claim @c alive? A pidfd is kept for the current claim. */
bool plc_region_claim_alive(struct plc_region *r, uint64_t c);
/* Whether sequence @odd, seen a while ago, was left by a writer that died. */
bool plc_region_left_mid_write(struct plc_region *r, uint32_t odd);

#endif
