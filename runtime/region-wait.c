/* SPDX-License-Identifier: MIT */
/*
 * plc_region_wait(): sleep until a region's data changes. Waiters sleep on the
 * sequence word with a futex and never on an odd value; the writer wakes them
 * only when it saw one (h->waiters), the handshake write_ranges() (region.c)
 * describes.
 */
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>

#include "region-internal.h"

/* CLOCK_MONOTONIC now plus @ns. */
static struct timespec time_after(int64_t ns)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += ns / 1000000000;
    t.tv_nsec += ns % 1000000000;
    if (t.tv_nsec >= 1000000000) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000;
    }
    return t;
}

/* Whether @s is a complete write this handle has not seen; it has now. */
static bool seen_new(struct plc_region *r, uint32_t s)
{
    if (s != r->last_seq && !(s & 1)) {
        r->last_seq = s;
        return true;
    }
    return false;
}

/*
 * A write under way (odd @s): never sleep on an odd value (the writer checks
 * for waiters before its copy). Wait it out; a dead writer would never finish
 * it, so say so instead. 1: look again, 0: @dl passed, -1 with errno.
 */
static int wait_out_write(struct plc_region *r, uint32_t s, const struct timespec *dl,
                          unsigned *odd_polls)
{
    if (plc_region_left_mid_write(r, s)) {
        errno = PLC_EDEADWRITER;
        return -1;
    }
    if (dl && plc_now_ns() >= (uint64_t)dl->tv_sec * 1000000000u + (uint64_t)dl->tv_nsec)
        return 0;
    if (++*odd_polls < 64)
        sched_yield();
    else
        nanosleep(&(struct timespec){0, 200000}, NULL);
    return 1;
}

/*
 * Sleep while the sequence is still the even @s, until a wake or @dl. The
 * futex's result: -1 with errno ETIMEDOUT only when @dl passed; 0 also when a
 * 1 ms slice ran out (look again).
 */
static long sleep_on_seq(struct plc_region *r, uint32_t s, const struct timespec *dl)
{
    struct plc_shm_header *h = r->h;
    atomic_fetch_add_explicit(&h->waiters, 1, memory_order_seq_cst);
    /* The slow half of the writer's handshake; should it fail, a write
     * could slip past unseen, so sleep in slices of 1 ms instead. */
    const struct timespec *until = dl;
    struct timespec slice;
    if ((atomic_load_explicit(&h->writer_flags, memory_order_acquire) &
         PLC_SHM_WRITER_MEMBARRIER) &&
        syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0) != 0) {
        slice = time_after(1000000);
        if (!dl || slice.tv_sec < dl->tv_sec ||
            (slice.tv_sec == dl->tv_sec && slice.tv_nsec < dl->tv_nsec))
            until = &slice;
    }
    long rc = futex(&h->seq, FUTEX_WAIT_BITSET, s, until);
    int err = errno;
    atomic_fetch_sub_explicit(&h->waiters, 1, memory_order_relaxed);
    if (rc < 0 && err == ETIMEDOUT && until != dl)
        return 0; /* a slice: look again */
    errno = err;
    return rc;
}

int plc_region_wait(struct plc_region *r, int64_t timeout_ns)
{
    struct timespec deadline, *dl = NULL;
    unsigned odd_polls = 0;
    if (timeout_ns > 0) {
        deadline = time_after(timeout_ns);
        dl = &deadline;
    }
    for (;;) {
        uint32_t s = atomic_load_explicit(&r->h->seq, memory_order_acquire);
        if (seen_new(r, s))
            return 1;
        if (retired(r)) {
            errno = PLC_ERETIRED;
            return -1;
        }
        if (timeout_ns == 0)
            return 0;
        if (s & 1) {
            int rc = wait_out_write(r, s, dl, &odd_polls);
            if (rc <= 0)
                return rc;
            continue;
        }
        if (sleep_on_seq(r, s, dl) < 0) {
            if (errno == ETIMEDOUT)
                return seen_new(r, atomic_load_explicit(&r->h->seq, memory_order_acquire));
            if (errno == EINTR)
                return -1;
        }
    }
}
