/* SPDX-License-Identifier: MIT */
/*
 * struct plc_region: attach and detach, the seqlock read/write protocol.
 * The writer claim and the repair of a dead writer's write are in
 * region-claim.c, wait-for-change in region-wait.c, introspection in
 * region-info.c, the region file's path and header check in region-file.c.
 *
 * Protocol (Boehm, "Can seqlocks get along with programming language memory
 * models?"; DPDK rte_seqcount; the kernel's seqlock.h):
 *   writer: seq = odd (relaxed); release fence; data; seq = even (release)
 *   reader: s1 = seq (acquire); data; acquire fence; s2 = seq (relaxed);
 *           retry unless s1 == s2 and even
 * One writer per region is guaranteed by the claim, so the writer needs no
 * read-modify-write on seq.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "payload-copy.h"
#include "region-internal.h"

#define READ_SPINS 256                /* retries before looking at the clock */
#define READ_SPIN_NS 50000            /* spin this long (a 64 KiB write) before yielding */
#define READ_DEAD_CHECK_NS 1000000    /* odd this long: is the writer dead? */
#define READ_BUDGET_NS 100000000      /* give up (PLC_EBUSY) after this long ... */
#define READ_BUDGET_YIELDS 100        /* ... and this many yields, so a busy CPU is no cause */
#define COUNTER_BATCH 1024            /* reads between counter flushes */

struct range {
    size_t off; /* in the region's data */
    size_t at;  /* in the caller's buffer */
    size_t len;
};

/*
 * The payload copy races with the writer by design: the sequence check throws
 * a torn copy away. By default it is a plain memcpy, as in the kernel and
 * DPDK; PLC_RELAXED_COPY makes it C11 relaxed atomics (payload-copy.h), which
 * ISO C defines, at up to 3.5x memcpy's time (docs/process-image.md). The
 * ThreadSanitizer exception covers memcpy's race, in this function only.
 */
#if defined(__SANITIZE_THREAD__) && !defined(PLC_RELAXED_COPY)
__attribute__((no_sanitize("thread"), noinline))
#endif
static void copy_ranges(unsigned char *data, unsigned char *buf, const struct range *ranges,
                        size_t n, bool to_region)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char *shared = data + ranges[i].off, *mine = buf + ranges[i].at;
#ifdef PLC_RELAXED_COPY
        if (to_region)
            plc_payload_store(shared, mine, ranges[i].len);
        else
            plc_payload_load(mine, shared, ranges[i].len);
#else
        if (to_region)
            memcpy(shared, mine, ranges[i].len);
        else
            memcpy(mine, shared, ranges[i].len);
#endif
    }
}

struct plc_region *plc_region_attach(const struct plc_layout *l, const char *base,
                                     const char *name, enum plc_access access,
                                     const char *service, struct plc_diag *diag)
{
    plc_diag_clear(diag);
    const struct plc_region_def *def = plc_layout_find_region(l, name);
    if (!def) {
        plc_fail(diag, plc_layout_get_path(l), ENOENT, "layout '%s' has no region '%s'",
                 plc_layout_get_name(l), name);
        return NULL;
    }
    if (access == PLC_WRITER && (!service || strcmp(service, def->writer) != 0)) {
        plc_fail(diag, plc_layout_get_path(l), PLC_ENOTWRITER,
                 "region '%s' is written by '%s', not by '%s'", name, def->writer,
                 service ? service : "(unnamed)");
        return NULL;
    }
    if (plc_base_dir_check(base, "base directory", diag) < 0)
        return NULL;
    struct plc_region *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->layout = l;
    r->def = def;
    r->fd = -1;
    r->pidfd = -1;
    struct stat st;
    if (plc_region_path(l, base, name, r->path, sizeof(r->path)) < 0) {
        plc_fail(diag, base, ENAMETOOLONG, "base directory path is too long");
        goto fail;
    }
    r->fd = plc_region_open_file(base, r->path, name, O_RDWR, &st, diag);
    if (r->fd < 0)
        goto fail;
    if ((size_t)st.st_size < PLC_REGION_HEADER_SIZE) {
        plc_fail(diag, r->path, PLC_ESIZE,
                 "region '%s' is %jd bytes, too small to be a region: re-create it with "
                 "plc-shm-init --recreate",
                 name, (intmax_t)st.st_size);
        goto fail;
    }
    r->dev = st.st_dev;
    r->ino = st.st_ino;
    r->map_size = (size_t)st.st_size;
    r->map = mmap(NULL, r->map_size, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
    if (r->map == MAP_FAILED) {
        r->map = NULL;
        plc_fail(diag, r->path, errno, "region '%s': mmap: %s", name, strerror(errno));
        goto fail;
    }
    r->h = r->map;
    r->data = (unsigned char *)r->map + PLC_REGION_HEADER_SIZE;
    r->copy = r->data + PLC_REGION_COPY_OFFSET(def->data_size);
    if (plc_region_check_header(r->h, l, def, r->map_size, r->path, diag) < 0)
        goto fail;
    if (access == PLC_WRITER && plc_region_claim(r, diag) < 0)
        goto fail;
    r->last_seq = atomic_load_explicit(&r->h->seq, memory_order_acquire);
    atomic_fetch_add_explicit(&r->h->attaches, 1, memory_order_relaxed);
    return r;

fail:;
    int err = errno;
    plc_region_detach(r);
    errno = err;
    return NULL;
}

void plc_region_detach(struct plc_region *r)
{
    if (!r)
        return;
    if (r->h) {
        flush_counters(r);
        if (r->writer)
            plc_claim_release(&r->h->claim, r->my_claim);
    }
    if (r->map)
        munmap(r->map, r->map_size);
    if (r->fd >= 0)
        close(r->fd);
    if (r->pidfd >= 0)
        close(r->pidfd);
    free(r);
}

const struct plc_region_def *plc_region_get_def(const struct plc_region *r)
{
    return r->def;
}

int plc_region_check(struct plc_region *r)
{
    struct stat st;
    if (retired(r) || stat(r->path, &st) < 0 || st.st_dev != r->dev || st.st_ino != r->ino) {
        errno = PLC_ERETIRED;
        return -1;
    }
    return 0;
}

/* Inlined, so the whole-region read (one range) compiles to a single memcpy. */
static inline __attribute__((always_inline)) int
read_ranges(struct plc_region *r, const struct range *ranges, size_t n, void *dst)
{
    const _Atomic uint32_t *seq = &r->h->seq;
    unsigned spins = 0, yields = 0;
    uint64_t start = 0;

    if (retired(r)) {
        errno = PLC_ERETIRED;
        return -1;
    }
    for (;;) {
        uint32_t s1 = atomic_load_explicit(seq, memory_order_acquire);
        if (!(s1 & 1)) {
            copy_ranges(r->data, dst, ranges, n, false);
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(seq, memory_order_relaxed) == s1) {
                r->last_seq = s1;
                r->stale += r->writer_dead;
                if (++r->reads >= COUNTER_BATCH)
                    flush_counters(r);
                return 0;
            }
        }
        r->retries++;
        if (++spins < READ_SPINS)
            continue;
        /* Bounded: spin about one write's length, then yield to the writer,
         * and never spin on a dead one. */
        uint64_t now = plc_now_ns();
        if (!start)
            start = now;
        if (now - start < READ_SPIN_NS)
            continue;
        sched_yield();
        yields++;
        if ((s1 & 1) && now - start >= READ_DEAD_CHECK_NS && plc_region_left_mid_write(r, s1)) {
            r->stale++;
            flush_counters(r);
            errno = PLC_EDEADWRITER;
            return -1;
        }
        if (now - start >= READ_BUDGET_NS && yields >= READ_BUDGET_YIELDS) {
            flush_counters(r);
            errno = PLC_EBUSY;
            return -1;
        }
    }
}

int plc_region_read(struct plc_region *r, void *buf)
{
    struct range all = {0, 0, r->def->data_size};
    return read_ranges(r, &all, 1, buf);
}

/* Tag ranges on the stack for the common case, on the heap past it. */
#define RANGES_ON_STACK 32

static struct range *tag_ranges(const struct plc_region *r, const struct plc_tag_def *const *tags,
                                size_t n, struct range *stack)
{
    struct range *ranges = n <= RANGES_ON_STACK ? stack : malloc(n * sizeof(*ranges));
    if (!ranges)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (tags[i]->region != r->def) {
            if (ranges != stack)
                free(ranges);
            errno = EINVAL;
            return NULL;
        }
        ranges[i] = (struct range){tags[i]->offset, tags[i]->offset, tags[i]->size};
    }
    return ranges;
}

int plc_region_read_tags(struct plc_region *r, const struct plc_tag_def *const *tags, size_t n,
                         void *data)
{
    struct range stack[RANGES_ON_STACK];
    struct range *ranges = tag_ranges(r, tags, n, stack);
    if (!ranges)
        return -1;
    int rc = read_ranges(r, ranges, n, data);
    if (ranges != stack)
        free(ranges);
    return rc;
}

int plc_region_read_value(struct plc_region *r, const struct plc_tag_def *tag,
                          struct plc_value *value)
{
    unsigned char buf[8];
    struct range one = {tag->offset, 0, tag->size};
    if (tag->region != r->def) {
        errno = EINVAL;
        return -1;
    }
    if (read_ranges(r, &one, 1, buf) < 0)
        return -1;
    *value = plc_value_load(tag->type, buf);
    return 0;
}

int plc_region_read_tag(struct plc_region *r, const struct plc_tag_def *tag, double *value)
{
    struct plc_value v;
    if (plc_region_read_value(r, tag, &v) < 0)
        return -1;
    *value = plc_value_to_double(tag->type, &v);
    return 0;
}

static int write_ranges(struct plc_region *r, const struct range *ranges, size_t n,
                        const void *src)
{
    struct plc_shm_header *h = r->h;
    if (!r->writer) {
        errno = EPERM;
        return -1;
    }
    if (retired(r)) {
        errno = PLC_ERETIRED;
        return -1;
    }
    uint32_t s = atomic_load_explicit(&h->seq, memory_order_relaxed);
    if (!(s & 1)) /* odd already: a dead writer's unfinished write, now finished by us */
        atomic_store_explicit(&h->seq, ++s, memory_order_relaxed);
    /*
     * The wake handshake, an asymmetric Dekker: the waiter increments waiters
     * then runs membarrier(), which puts a full barrier into this thread;
     * so either we see the waiter here, or its futex sees the odd sequence
     * and it waits the write out without sleeping (plc_region_wait never
     * sleeps on an odd value). Without membarrier, a full fence does it.
     * Either way this is also the protocol's release fence.
     */
    if (r->fence)
        atomic_thread_fence(memory_order_seq_cst);
    else
        atomic_thread_fence(memory_order_release);
    bool wake = atomic_load_explicit(&h->waiters, memory_order_relaxed) != 0;
    copy_ranges(r->data, (unsigned char *)src, ranges, n, true);
    atomic_store_explicit(&h->seq, s + 1, memory_order_release);
    /* Readers have it; now the copy a successor would restore. */
    copy_ranges(r->copy, (unsigned char *)src, ranges, n, true);
    atomic_store_explicit(&h->copy_seq, s + 1, memory_order_release);

    uint64_t now = plc_now_ns();
    atomic_store_explicit(&h->update_ns, now, memory_order_relaxed);
    atomic_store_explicit(&h->heartbeat_ns, now, memory_order_relaxed);
    atomic_store_explicit(&h->writes,
                          atomic_load_explicit(&h->writes, memory_order_relaxed) + 1,
                          memory_order_relaxed);
    if (wake)
        futex(&h->seq, FUTEX_WAKE, INT_MAX, NULL);
    return 0;
}

int plc_region_write(struct plc_region *r, const void *data)
{
    struct range all = {0, 0, r->def->data_size};
    return write_ranges(r, &all, 1, data);
}

int plc_region_write_tags(struct plc_region *r, const struct plc_tag_def *const *tags,
                          size_t n, const void *data)
{
    struct range stack[RANGES_ON_STACK];
    struct range *ranges = tag_ranges(r, tags, n, stack);
    if (!ranges)
        return -1;
    int rc = write_ranges(r, ranges, n, data);
    if (ranges != stack)
        free(ranges);
    return rc;
}

int plc_region_write_value(struct plc_region *r, const struct plc_tag_def *tag,
                           const struct plc_value *value)
{
    unsigned char buf[8];
    struct range one = {tag->offset, 0, tag->size};
    if (tag->region != r->def) {
        errno = EINVAL;
        return -1;
    }
    plc_value_store(tag->type, value, buf);
    return write_ranges(r, &one, 1, buf);
}

int plc_region_write_tag(struct plc_region *r, const struct plc_tag_def *tag, double value)
{
    struct plc_value v = plc_value_from_double(tag->type, value);
    return plc_region_write_value(r, tag, &v);
}

int plc_region_heartbeat(struct plc_region *r)
{
    if (!r->writer) {
        errno = EPERM;
        return -1;
    }
    atomic_store_explicit(&r->h->heartbeat_ns, plc_now_ns(), memory_order_relaxed);
    return 0;
}

int plc_region_set_max_silence(struct plc_region *r, int64_t ns)
{
    if (!r->writer) {
        errno = EPERM;
        return -1;
    }
    if (ns < 0) {
        errno = EINVAL;
        return -1;
    }
    atomic_store_explicit(&r->h->max_silence_ns, (uint64_t)ns, memory_order_relaxed);
    return 0;
}
