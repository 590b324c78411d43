/* SPDX-License-Identifier: MIT */
/*
 * struct plc_region: attach, the seqlock read/write protocol, the writer
 * claim, wait-for-change.
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
#include <inttypes.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <poll.h>
#include <dirent.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define READ_SPINS 256                /* retries before looking at the clock */
#define READ_SPIN_NS 50000            /* spin this long (a 64 KiB write) before yielding */
#define READ_DEAD_CHECK_NS 1000000    /* odd this long: is the writer dead? */
#define READ_BUDGET_NS 100000000      /* give up (PLC_EBUSY) after this long ... */
#define READ_BUDGET_YIELDS 100        /* ... and this many yields, so a busy CPU is no cause */
#define COUNTER_BATCH 1024            /* reads between counter flushes */

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

struct range {
    size_t off; /* in the region's data */
    size_t at;  /* in the caller's buffer */
    size_t len;
};

/*
 * The payload copy races with the writer by design: the sequence check throws
 * a torn copy away. It is a plain memcpy, as in the kernel and DPDK; a
 * word-by-word relaxed-atomic copy measured 2 to 3.5x slower at 256 B to 4 KiB
 * on our machines. The ThreadSanitizer exception covers this function only.
 */
#if defined(__SANITIZE_THREAD__)
__attribute__((no_sanitize("thread"), noinline))
#endif
static void copy_ranges(unsigned char *data, unsigned char *buf, const struct range *ranges,
                        size_t n, bool to_region)
{
    for (size_t i = 0; i < n; i++) {
        if (to_region)
            memcpy(data + ranges[i].off, buf + ranges[i].at, ranges[i].len);
        else
            memcpy(buf + ranges[i].at, data + ranges[i].off, ranges[i].len);
    }
}

/* 32-bit ARM with a 64-bit time_t (Debian 13 armhf) needs the time64 call. */
#if defined(SYS_futex_time64) && !defined(__LP64__)
#define PLC_SYS_FUTEX (sizeof(time_t) > sizeof(long) ? SYS_futex_time64 : SYS_futex)
#else
#define PLC_SYS_FUTEX SYS_futex
#endif

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(PLC_SYS_FUTEX, (uint32_t *)word, op, val, ts, NULL, FUTEX_BITSET_MATCH_ANY);
}

static void flush_counters(struct plc_region *r)
{
    if (r->reads)
        atomic_fetch_add_explicit(&r->h->reads, r->reads, memory_order_relaxed);
    if (r->retries)
        atomic_fetch_add_explicit(&r->h->retries, r->retries, memory_order_relaxed);
    if (r->stale)
        atomic_fetch_add_explicit(&r->h->stale_reads, r->stale, memory_order_relaxed);
    r->reads = r->retries = r->stale = 0;
}

/* Is the process behind claim @c alive? A pidfd is kept for the current claim. */
static bool claim_alive(struct plc_region *r, uint64_t c)
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

const char *plc_base_dir(const struct plc_layout *layout, const char *override)
{
    const char *env = getenv("RASPIPLC_BASE_DIR");
    if (override && *override)
        return override;
    if (env && *env)
        return env;
    if (layout && plc_layout_get_base_dir(layout))
        return plc_layout_get_base_dir(layout);
    return PLC_BASE_DIR_DEFAULT;
}

int plc_region_path(const struct plc_layout *l, const char *base, const char *region,
                    char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s/%s", base, plc_layout_get_name(l), region);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int plc_region_open_file(const char *base, const char *path, const char *region, int flags,
                         struct stat *st, struct plc_diag *diag)
{
    int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        if (err == ENOENT || err == ENOTDIR)
            return plc_fail(diag, path, PLC_ENOREGION,
                            "region '%s' not found in %s: has plc-shm-init run?", region, dir);
        if (err == ELOOP)
            return plc_fail(diag, path, PLC_EPATH,
                            "region '%s' is a symlink: regions are regular files made by "
                            "plc-shm-init",
                            region);
        if (err == EISDIR)
            return plc_fail(diag, path, PLC_EPATH, "region '%s' is not a regular file", region);
        return plc_fail(diag, path, err, "region '%s': cannot open: %s%s", region,
                        strerror(err),
                        err == EACCES ? " (readers and writers need read-write access: "
                                        "check the region's group and mode)"
                                      : "");
    }
    char real[PATH_MAX], rbase[PATH_MAX];
    if (fstat(fd, st) < 0) {
        int err = errno;
        close(fd);
        return plc_fail(diag, path, err, "region '%s': %s", region, strerror(err));
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return plc_fail(diag, path, PLC_EPATH, "region '%s' is not a regular file", region);
    }
    if (!realpath(path, real) || !realpath(base, rbase) ||
        strncmp(real, rbase, strlen(rbase)) != 0 || real[strlen(rbase)] != '/') {
        close(fd);
        return plc_fail(diag, path, PLC_EPATH,
                        "region '%s' resolves to %s, outside the base directory %s", region,
                        real, base);
    }
    return fd;
}

int plc_region_check_header(const struct plc_shm_header *h, const struct plc_layout *l,
                            const struct plc_region_def *def, size_t file_size,
                            const char *path, struct plc_diag *diag)
{
    uint64_t magic = atomic_load_explicit(&h->magic, memory_order_acquire);
    if (magic != PLC_SHM_MAGIC)
        return plc_fail(diag, path, PLC_EMAGIC,
                        "region '%s' has bad magic %016" PRIx64
                        ": not a RaspiPLC region (remove it and run plc-shm-init)",
                        def->name, magic);
    if (h->format != PLC_SHM_FORMAT || h->header_size != PLC_REGION_HEADER_SIZE)
        return plc_fail(diag, path, PLC_EFORMAT,
                        "region '%s' has header format %u, this build reads format %u: "
                        "re-create it with plc-shm-init --recreate",
                        def->name, h->format, PLC_SHM_FORMAT);
    if (atomic_load_explicit(&h->flags, memory_order_relaxed) & PLC_SHM_RETIRED)
        return plc_fail(diag, path, PLC_ERETIRED,
                        "region '%s' was re-created by plc-shm-init: attach again", def->name);
    bool same_name = strncmp(h->layout_name, plc_layout_get_name(l), sizeof(h->layout_name)) == 0;
    if (!same_name || h->layout_version != plc_layout_get_version(l) ||
        h->layout_hash != plc_layout_get_hash(l) ||
        strncmp(h->region_name, def->name, sizeof(h->region_name)) != 0)
        return plc_fail(diag, path, PLC_ELAYOUT,
                        "region '%s' was made from layout '%.32s' version %u (hash %016" PRIx64
                        "), not from layout '%s' version %u (hash %016" PRIx64
                        ")%s: run the services with the layout it was made from, or re-create "
                        "it with plc-shm-init --recreate",
                        def->name, h->layout_name, h->layout_version, h->layout_hash,
                        plc_layout_get_name(l), plc_layout_get_version(l),
                        plc_layout_get_hash(l),
                        same_name && h->layout_version == plc_layout_get_version(l)
                            ? " (the layout changed without a version bump)"
                            : "");
    if (file_size != def->size || h->region_size != def->size ||
        h->data_size != def->data_size)
        return plc_fail(diag, path, PLC_ESIZE,
                        "region '%s' is %zu bytes with %" PRIu64
                        " bytes of data; the layout says %zu and %zu: re-create it with "
                        "plc-shm-init --recreate",
                        def->name, file_size, h->data_size, def->size, def->data_size);
    return 0;
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
    memcpy(r->data, r->copy, n);
    atomic_store_explicit(&h->seq, s + 1, memory_order_release);
    atomic_store_explicit(&h->copy_seq, s + 1, memory_order_release);
    atomic_store_explicit(&h->update_ns, plc_now_ns(), memory_order_relaxed);
    atomic_fetch_add_explicit(&h->repairs, 1, memory_order_relaxed);
    r->repaired = true;
    futex(&h->seq, FUTEX_WAKE, INT_MAX, NULL);
}

static int claim(struct plc_region *r, struct plc_diag *diag)
{
    uint64_t mine = plc_proc_self_claim();
    uint64_t c = atomic_load_explicit(&r->h->claim, memory_order_acquire);
    for (;;) {
        if (c == mine)
            return plc_fail(diag, r->path, PLC_EHELD,
                            "region '%s' is already attached as writer by this process",
                            r->def->name);
        if (c && claim_alive(r, c)) {
            char comm[32];
            plc_proc_comm(PLC_CLAIM_PID(c), comm, sizeof(comm));
            if (strcmp(comm, "?") == 0)
                snprintf(comm, sizeof(comm), "%.15s", r->h->holder);
            return plc_fail(diag, r->path, PLC_EHELD, "region '%s' is held by pid %d (%s)",
                            r->def->name, (int)PLC_CLAIM_PID(c), comm);
        }
        /* Free, or its holder is dead: take it over. */
        if (atomic_compare_exchange_weak_explicit(&r->h->claim, &c, mine,
                                                  memory_order_acq_rel,
                                                  memory_order_acquire))
            break;
    }
    r->took_over_from = c ? PLC_CLAIM_PID(c) : 0;
    r->my_claim = mine;
    r->writer = true;
    /* Waiters pay for the write/wake handshake with membarrier() so writes need
     * no full fence; where the kernel or a seccomp filter refuses, writes fence. */
    r->fence = syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0, 0) != 0;
    atomic_store_explicit(&r->h->writer_flags, r->fence ? 0 : PLC_SHM_WRITER_MEMBARRIER,
                          memory_order_release);
    char comm[sizeof(r->h->holder)] = ""; /* comm is at most 15 characters */
    plc_proc_comm(getpid(), comm, sizeof(comm));
    memcpy(r->h->holder, comm, sizeof(comm)); /* diagnostic only */
    atomic_store_explicit(&r->h->heartbeat_ns, plc_now_ns(), memory_order_relaxed);
    atomic_store_explicit(&r->h->max_silence_ns, 0, memory_order_relaxed); /* a new promise */
    repair(r);
    return 0;
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
    if (access == PLC_WRITER && claim(r, diag) < 0)
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
        if (r->writer) {
            uint64_t mine = r->my_claim;
            atomic_compare_exchange_strong_explicit(&r->h->claim, &mine, 0,
                                                    memory_order_acq_rel,
                                                    memory_order_relaxed);
        }
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

static bool retired(const struct plc_region *r)
{
    return atomic_load_explicit(&r->h->flags, memory_order_relaxed) & PLC_SHM_RETIRED;
}

/*
 * Whether sequence @odd, seen a while ago, was left by a writer that died.
 * The sequence is looked at again after the claim: a writer that finished and
 * detached in between moved it on before it gave up the claim.
 */
static bool left_mid_write(struct plc_region *r, uint32_t odd)
{
    if (claim_alive(r, atomic_load_explicit(&r->h->claim, memory_order_acquire)))
        return false;
    return atomic_load_explicit(&r->h->seq, memory_order_acquire) == odd;
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
        if ((s1 & 1) && now - start >= READ_DEAD_CHECK_NS && left_mid_write(r, s1)) {
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

int plc_region_read_tag(struct plc_region *r, const struct plc_tag_def *tag, double *value)
{
    unsigned char buf[8];
    struct range one = {tag->offset, 0, tag->size};
    if (tag->region != r->def) {
        errno = EINVAL;
        return -1;
    }
    if (read_ranges(r, &one, 1, buf) < 0)
        return -1;
    *value = plc_tag_decode_at(tag, buf);
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

int plc_region_write_tag(struct plc_region *r, const struct plc_tag_def *tag, double value)
{
    unsigned char buf[8];
    struct range one = {tag->offset, 0, tag->size};
    if (tag->region != r->def) {
        errno = EINVAL;
        return -1;
    }
    plc_tag_encode_at(tag, value, buf);
    return write_ranges(r, &one, 1, buf);
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

int plc_region_wait(struct plc_region *r, int64_t timeout_ns)
{
    struct plc_shm_header *h = r->h;
    struct timespec deadline, *dl = NULL;
    unsigned odd_polls = 0;
    if (timeout_ns > 0) {
        clock_gettime(CLOCK_MONOTONIC, &deadline);
        deadline.tv_sec += timeout_ns / 1000000000;
        deadline.tv_nsec += timeout_ns % 1000000000;
        if (deadline.tv_nsec >= 1000000000) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000;
        }
        dl = &deadline;
    }
    for (;;) {
        uint32_t s = atomic_load_explicit(&h->seq, memory_order_acquire);
        if (s != r->last_seq && !(s & 1)) {
            r->last_seq = s;
            return 1;
        }
        if (retired(r)) {
            errno = PLC_ERETIRED;
            return -1;
        }
        if (timeout_ns == 0)
            return 0;
        if (s & 1) {
            /* A write under way: never sleep on an odd value (the writer
             * checks for waiters before its copy). Wait it out; a dead
             * writer would never finish it, so say so instead. */
            if (left_mid_write(r, s)) {
                errno = PLC_EDEADWRITER;
                return -1;
            }
            if (dl && plc_now_ns() >= (uint64_t)dl->tv_sec * 1000000000u + (uint64_t)dl->tv_nsec)
                return 0;
            if (++odd_polls < 64)
                sched_yield();
            else
                nanosleep(&(struct timespec){0, 200000}, NULL);
            continue;
        }
        atomic_fetch_add_explicit(&h->waiters, 1, memory_order_seq_cst);
        /* The slow half of the writer's handshake; should it fail, a write
         * could slip past unseen, so sleep in slices of 1 ms instead. */
        const struct timespec *until = dl;
        struct timespec slice;
        if ((atomic_load_explicit(&h->writer_flags, memory_order_acquire) &
             PLC_SHM_WRITER_MEMBARRIER) &&
            syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 0) != 0) {
            clock_gettime(CLOCK_MONOTONIC, &slice);
            slice.tv_nsec += 1000000;
            if (slice.tv_nsec >= 1000000000) {
                slice.tv_sec++;
                slice.tv_nsec -= 1000000000;
            }
            if (!dl || slice.tv_sec < dl->tv_sec ||
                (slice.tv_sec == dl->tv_sec && slice.tv_nsec < dl->tv_nsec))
                until = &slice;
        }
        long rc = futex(&h->seq, FUTEX_WAIT_BITSET, s, until);
        int err = errno;
        atomic_fetch_sub_explicit(&h->waiters, 1, memory_order_relaxed);
        if (rc < 0 && err == ETIMEDOUT && until != dl)
            continue; /* a slice: look again */
        if (rc < 0 && err == ETIMEDOUT) {
            s = atomic_load_explicit(&h->seq, memory_order_acquire);
            if (s != r->last_seq && !(s & 1)) {
                r->last_seq = s;
                return 1;
            }
            return 0;
        }
        if (rc < 0 && err == EINTR) {
            errno = EINTR;
            return -1;
        }
    }
}

int plc_region_writer_alive(struct plc_region *r)
{
    uint64_t c = atomic_load_explicit(&r->h->claim, memory_order_acquire);
    bool alive = claim_alive(r, c);
    r->writer_dead = !alive;
    return alive;
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

static int64_t age(uint64_t then, uint64_t now)
{
    if (!then)
        return -1;
    return now > then ? (int64_t)(now - then) : 0;
}

int plc_region_get_info(struct plc_region *r, struct plc_region_info *info)
{
    const struct plc_shm_header *h = r->h;
    memset(info, 0, sizeof(*info));
    flush_counters(r);
    snprintf(info->region, sizeof(info->region), "%.31s", h->region_name);
    snprintf(info->layout, sizeof(info->layout), "%.31s", h->layout_name);
    snprintf(info->writer_service, sizeof(info->writer_service), "%.31s", h->writer_service);
    info->layout_version = h->layout_version;
    info->layout_hash = h->layout_hash;
    uint64_t c = atomic_load_explicit(&h->claim, memory_order_acquire);
    info->writer_pid = PLC_CLAIM_PID(c);
    info->writer_alive = plc_region_writer_alive(r);
    if (c)
        snprintf(info->holder, sizeof(info->holder), "%.15s", h->holder);
    info->took_over_from = r->took_over_from;
    info->size = h->region_size;
    info->data_size = h->data_size;
    info->seq = atomic_load_explicit(&h->seq, memory_order_acquire);
    info->epoch = h->epoch;
    info->created_ns = h->created_ns;
    /* The stamps first, the clock after them: a heartbeat written between a
     * clock read and a stamp read would otherwise look younger than now. */
    uint64_t beat = atomic_load_explicit(&h->heartbeat_ns, memory_order_acquire);
    uint64_t update = atomic_load_explicit(&h->update_ns, memory_order_acquire);
    uint64_t now = plc_now_ns();
    info->heartbeat_age_ns = age(beat, now);
    info->update_age_ns = age(update, now);
    info->repairs = atomic_load_explicit(&h->repairs, memory_order_relaxed);
    info->max_silence_ns = c ? (int64_t)atomic_load_explicit(&h->max_silence_ns,
                                                             memory_order_relaxed)
                             : 0;
    info->repaired = r->repaired;
    info->writes = atomic_load_explicit(&h->writes, memory_order_relaxed);
    info->reads = atomic_load_explicit(&h->reads, memory_order_relaxed);
    info->retries = atomic_load_explicit(&h->retries, memory_order_relaxed);
    info->stale_reads = atomic_load_explicit(&h->stale_reads, memory_order_relaxed);
    info->attaches = atomic_load_explicit(&h->attaches, memory_order_relaxed);
    return 0;
}

int plc_region_count_mappers(struct plc_region *r)
{
    /* /proc/PID/maps lines: "start-end perms offset major:minor inode path" */
    char needle[64];
    snprintf(needle, sizeof(needle), "%02x:%02x %ju ", major(r->dev), minor(r->dev),
             (uintmax_t)r->ino);
    DIR *proc = opendir("/proc");
    if (!proc)
        return -1;
    int count = 0;
    struct dirent *de;
    char path[300], *line = NULL;
    size_t cap = 0;
    while ((de = readdir(proc))) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/maps", de->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        while (getline(&line, &cap, f) > 0) {
            if (strstr(line, needle)) {
                count++;
                break;
            }
        }
        fclose(f);
    }
    free(line);
    closedir(proc);
    return count;
}
