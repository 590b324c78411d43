/* SPDX-License-Identifier: MIT */
/*
 * The writer's side of a region handle: taking the claim (one writer per
 * region, so the seqlock's writer needs no read-modify-write on seq), telling
 * whether the claimant lives (a pidfd where there is one, PID and start time
 * where not), and the new writer's repair of what a dead one left half done.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "payload-copy.h"
#include "region-internal.h"

/* Is the process behind claim @c alive? A pidfd is kept for the current claim. */
bool plc_region_claim_alive(struct plc_region *r, uint64_t c)
{
    if (c == 0)
        return false;
    if (r->pidfd >= 0 && r->pidfd_claim == c) {
        struct pollfd p = {.fd = r->pidfd, .events = POLLIN};
        return poll(&p, 1, 0) == 0; /* readable once the process has exited */
    }
    if (r->pidfd >= 0) {
        close(r->pidfd);
        r->pidfd = -1;
    }
#ifdef SYS_pidfd_open
    int fd = (int)syscall(SYS_pidfd_open, PLC_CLAIM_PID(c), 0);
    if (fd < 0 && errno == ESRCH)
        return false;
    /* The pidfd pins the process; the start time proves it is the claimant. */
    if (!plc_proc_claim_alive(c)) {
        if (fd >= 0)
            close(fd);
        return false;
    }
    if (fd >= 0) {
        r->pidfd = fd;
        r->pidfd_claim = c;
    }
    return true;
#else
    return plc_proc_claim_alive(c);
#endif
}

/*
 * The new writer's first act. A writer that died between making the sequence
 * odd and even again left data it had half written: no part of it can be
 * trusted, so the last complete copy goes back and is published as the next
 * write (readers spin on the odd sequence meanwhile, as on any write, since
 * the claim now names a live writer). A writer that died after publishing
 * but before its copy was up to date left good data: the copy is brought up
 * to date from it. Either way, a writer that dies in here leaves the same
 * picture for the next one.
 */
static void repair(struct plc_region *r)
{
    struct plc_shm_header *h = r->h;
    size_t n = r->def->data_size;
    uint32_t s = atomic_load_explicit(&h->seq, memory_order_acquire);
    uint32_t c = atomic_load_explicit(&h->copy_seq, memory_order_acquire);
    if (!(s & 1)) {
        if (c != s) {
            memcpy(r->copy, r->data, n);
            atomic_store_explicit(&h->copy_seq, s, memory_order_release);
        }
        return;
    }
    /* copy_seq is s - 1 unless the file was damaged from outside; the copy is
     * then still the last state a writer completed, so restore it either way.
     * Waiters never sleep on an odd sequence, so the wake is for good measure. */
#ifdef PLC_RELAXED_COPY
    plc_payload_store(r->data, r->copy, n); /* readers may still be copying */
#else
    memcpy(r->data, r->copy, n);
#endif
    atomic_store_explicit(&h->seq, s + 1, memory_order_release);
    atomic_store_explicit(&h->copy_seq, s + 1, memory_order_release);
    atomic_store_explicit(&h->update_ns, plc_now_ns(), memory_order_relaxed);
    atomic_fetch_add_explicit(&h->repairs, 1, memory_order_relaxed);
    r->repaired = true;
    futex(&h->seq, FUTEX_WAKE, INT_MAX, NULL);
}

static bool region_claim_alive(void *r, uint64_t c)
{
    return plc_region_claim_alive(r, c);
}

int plc_region_claim(struct plc_region *r, struct plc_diag *diag)
{
    struct plc_claim got = {0};
    switch (plc_claim_take(&r->h->claim, r->h->holder, region_claim_alive, r, &got)) {
    case PLC_CLAIM_MINE:
        return plc_fail(diag, r->path, PLC_EHELD,
                        "region '%s' is already attached as writer by this process",
                        r->def->name);
    case PLC_CLAIM_HELD:
        return plc_fail(diag, r->path, PLC_EHELD, "region '%s' is held by pid %d (%s)",
                        r->def->name, (int)PLC_CLAIM_PID(got.previous), got.comm);
    case PLC_CLAIM_TAKEN:
        break;
    }
    r->took_over_from = got.previous ? PLC_CLAIM_PID(got.previous) : 0;
    r->my_claim = got.mine;
    r->writer = true;
    /* Waiters pay for the write/wake handshake with membarrier() so writes need
     * no full fence; where the kernel or a seccomp filter refuses, writes fence. */
    r->fence = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) != 0;
    atomic_store_explicit(&r->h->writer_flags, r->fence ? 0 : PLC_SHM_WRITER_MEMBARRIER,
                          memory_order_release);
    atomic_store_explicit(&r->h->heartbeat_ns, plc_now_ns(), memory_order_relaxed);
    atomic_store_explicit(&r->h->max_silence_ns, 0, memory_order_relaxed); /* a new promise */
    atomic_fetch_add_explicit(&r->h->claims, 1, memory_order_relaxed); /* starts, for restarts */
    repair(r);
    return 0;
}

/*
 * Whether sequence @odd, seen a while ago, was left by a writer that died.
 * The sequence is looked at again after the claim: a writer that finished and
 * detached in between moved it on before it gave up the claim.
 */
bool plc_region_left_mid_write(struct plc_region *r, uint32_t odd)
{
    if (plc_region_claim_alive(r, atomic_load_explicit(&r->h->claim, memory_order_acquire)))
        return false;
    return atomic_load_explicit(&r->h->seq, memory_order_acquire) == odd;
}

int plc_region_writer_alive(struct plc_region *r)
{
    uint64_t c = atomic_load_explicit(&r->h->claim, memory_order_acquire);
    bool alive = plc_region_claim_alive(r, c);
    r->writer_dead = !alive;
    return alive;
}
