/* SPDX-License-Identifier: MIT */
/*
 * struct plc_event_ring: one service's events in a ring file that it alone
 * writes and anyone may follow. The bytes and the per-slot commit protocol
 * are described in event-format.h; docs/events.md says what is guaranteed.
 *
 * Why a commit word per slot rather than one seqlock for the ring: a reader
 * copies one record while the writer goes on with the next ones, so it is
 * disturbed only when the writer comes round the whole ring to the very slot
 * it copies; and a writer killed mid-record spoils one slot, which readers
 * skip, instead of a sequence every reader would stop at. The single writer
 * (the claim) needs no read-modify-write: append is two plain stores, a fence,
 * a copy and two release stores.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "event-format.h"
#include "internal.h"
#include "payload-copy.h"

#define READ_TRIES 1000 /* records in a row found gone before EAGAIN */
#define BODY_SIZE (PLC_EVENT_RECORD_SIZE - 8)

struct plc_event_ring {
    int fd;
    void *map;
    size_t map_size;
    struct plc_event_ring_header *h;
    struct plc_event_slot *slots;
    uint64_t mask; /* capacity - 1 */
    bool writer;
    uint64_t my_claim;
    uint64_t next; /* the writer's head: the number of its next record */
    char path[PATH_MAX];
};

/* ---- records ------------------------------------------------------------------------ */

static const char *const source_names[] = {
    [PLC_SOURCE_SHM_INIT] = "shm-init", [PLC_SOURCE_IO] = "io",
    [PLC_SOURCE_LOGIC] = "logic",       [PLC_SOURCE_MODBUS] = "modbus",
    [PLC_SOURCE_RETAIN] = "retain",     [PLC_SOURCE_PLCCTL] = "plcctl",
    [PLC_SOURCE_WEB] = "web",           [PLC_SOURCE_MQTT] = "mqtt",
};

static const char *const kind_names[] = {
    [PLC_EVENT_ALARM_RAISED] = "alarm-raised",
    [PLC_EVENT_ALARM_CLEARED] = "alarm-cleared",
    [PLC_EVENT_ALARM_ACKED] = "alarm-acked",
    [PLC_EVENT_FORCE_ON] = "force-on",
    [PLC_EVENT_FORCE_OFF] = "force-off",
    [PLC_EVENT_PROGRAM_LOAD] = "program-load",
    [PLC_EVENT_PROGRAM_RELOAD] = "program-reload",
    [PLC_EVENT_PROGRAM_FAULT] = "program-fault",
    [PLC_EVENT_PROGRAM_RECOVERY] = "program-recovery",
    [PLC_EVENT_OUTPUTS_SAFE] = "outputs-safe",
    [PLC_EVENT_OUTPUTS_FOLLOWING] = "outputs-following",
    [PLC_EVENT_WRITER_DEAD] = "writer-dead",
    [PLC_EVENT_REGION_REPAIRED] = "region-repaired",
    [PLC_EVENT_MODBUS_WRITE] = "modbus-write",
    [PLC_EVENT_RETAIN_RESTORE] = "retain-restore",
    [PLC_EVENT_SERVICE_START] = "service-start",
    [PLC_EVENT_SERVICE_STOP] = "service-stop",
    [PLC_EVENT_ALARM_SHELVED] = "alarm-shelved",
    [PLC_EVENT_ALARM_UNSHELVED] = "alarm-unshelved",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static const char *name_in(const char *const *names, size_t n, int i)
{
    return i > 0 && (size_t)i < n && names[i] ? names[i] : "?";
}

const char *plc_event_source_name(int source)
{
    return name_in(source_names, COUNT(source_names), source);
}

const char *plc_event_kind_name(int kind)
{
    return name_in(kind_names, COUNT(kind_names), kind);
}

int plc_event_ring_path(const struct plc_layout *layout, const char *base,
                        enum plc_event_source source, char *buf, size_t len)
{
    const char *name = plc_event_source_name(source);
    if (strcmp(name, "?") == 0) {
        errno = EINVAL;
        return -1;
    }
    char file[48];
    snprintf(file, sizeof(file), "events-%s", name);
    return plc_region_path(layout, base, file, buf, len);
}

/* @src cut to fit @len with its NUL, into zeroed @dst; no snprintf: the scan calls this. */
static void copy_text(char *dst, size_t len, const char *src)
{
    if (src)
        memcpy(dst, src, strnlen(src, len - 1));
}

int plc_event_init(struct plc_event *ev, enum plc_event_source source, enum plc_event_kind kind,
                   int severity, const char *name, const char *text)
{
    memset(ev, 0, sizeof(*ev));
    if ((int)source < 1 || (size_t)source >= COUNT(source_names) || (int)kind < 1 ||
        (size_t)kind >= COUNT(kind_names) || severity < 0 || severity > 7) {
        errno = EINVAL;
        return -1;
    }
    ev->realtime_ns = (int64_t)plc_realtime_ns();
    ev->mono_ns = plc_now_ns();
    ev->source = (uint16_t)source;
    ev->kind = (uint16_t)kind;
    ev->severity = (uint8_t)severity;
    copy_text(ev->name, sizeof(ev->name), name);
    copy_text(ev->text, sizeof(ev->text), text);
    return 0;
}

/* ---- the file --------------------------------------------------------------------- */

static bool capacity_ok(uint64_t c)
{
    return c >= PLC_EVENT_CAPACITY_MIN && c <= PLC_EVENT_CAPACITY_MAX && (c & (c - 1)) == 0;
}

static int bad_capacity(const char *path, uint64_t c, struct plc_diag *diag, int err)
{
    return plc_fail(diag, path, err,
                    "event ring capacity %" PRIu64 " is not a power of two from %u to %u", c,
                    PLC_EVENT_CAPACITY_MIN, PLC_EVENT_CAPACITY_MAX);
}

static size_t file_size_for(uint64_t capacity)
{
    return PLC_EVENT_HEADER_SIZE + (size_t)capacity * PLC_EVENT_RECORD_SIZE;
}

/* Open an existing ring file: no symlink, nothing but a regular file. */
static int open_file(const char *path, int flags, struct stat *st, struct plc_diag *diag)
{
    int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        if (err == ENOENT)
            return plc_fail(diag, path, ENOENT, "event ring not found: nothing has made it");
        if (err == ELOOP)
            return plc_fail(diag, path, PLC_EPATH,
                            "event ring is a symlink: rings are regular files");
        if (err == EISDIR)
            return plc_fail(diag, path, PLC_EPATH, "event ring is not a regular file");
        return plc_fail(diag, path, err, "event ring: cannot open: %s", strerror(err));
    }
    if (fstat(fd, st) < 0) {
        int err = errno;
        close(fd);
        return plc_fail(diag, path, err, "event ring: %s", strerror(err));
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return plc_fail(diag, path, PLC_EPATH, "event ring is not a regular file");
    }
    return fd;
}

/* Check a mapped header of a @size-byte file; -1 with errno and diag when it is no ring of ours. */
static int check_header(const struct plc_event_ring_header *h, size_t size, const char *path,
                        uint64_t layout_hash, struct plc_diag *diag)
{
    uint64_t magic = atomic_load_explicit(&h->magic, memory_order_acquire);
    if (magic != PLC_EVENT_MAGIC)
        return plc_fail(diag, path, PLC_EMAGIC,
                        "not a RaspiPLC event ring (bad magic %016" PRIx64 ")", magic);
    if (h->format != PLC_EVENT_FORMAT || h->header_size != PLC_EVENT_HEADER_SIZE ||
        h->record_size != PLC_EVENT_RECORD_SIZE)
        return plc_fail(diag, path, PLC_EFORMAT,
                        "event ring has format %u (%u-byte records); this build reads format "
                        "%u (%u-byte records)",
                        h->format, h->record_size, PLC_EVENT_FORMAT, PLC_EVENT_RECORD_SIZE);
    if (!capacity_ok(h->capacity))
        return bad_capacity(path, h->capacity, diag, PLC_ESIZE);
    if (size != file_size_for(h->capacity))
        return plc_fail(diag, path, PLC_ESIZE, "event ring is %zu bytes; its %u records need %zu",
                        size, h->capacity, file_size_for(h->capacity));
    if (h->layout_hash != layout_hash)
        return plc_fail(diag, path, PLC_ELAYOUT,
                        "event ring was made for layout hash %016" PRIx64 ", not %016" PRIx64,
                        h->layout_hash, layout_hash);
    return 0;
}

/*
 * Open, map and check the ring at @path into @r. Writers map it read-write
 * with its pages populated, so that append never faults; readers read-only.
 */
static int map_ring(struct plc_event_ring *r, const char *path, bool writer, uint64_t layout_hash,
                    struct plc_diag *diag)
{
    struct stat st;
    r->fd = open_file(path, writer ? O_RDWR : O_RDONLY, &st, diag);
    if (r->fd < 0)
        return -1;
    if ((size_t)st.st_size < PLC_EVENT_HEADER_SIZE)
        return plc_fail(diag, path, PLC_ESIZE, "event ring is %jd bytes, too small to be one",
                        (intmax_t)st.st_size);
    r->map_size = (size_t)st.st_size;
    r->map = mmap(NULL, r->map_size, writer ? PROT_READ | PROT_WRITE : PROT_READ,
                  writer ? MAP_SHARED | MAP_POPULATE : MAP_SHARED, r->fd, 0);
    if (r->map == MAP_FAILED) {
        r->map = NULL;
        return plc_fail(diag, path, errno, "event ring: mmap: %s", strerror(errno));
    }
    r->h = r->map;
    r->slots = (struct plc_event_slot *)((unsigned char *)r->map + PLC_EVENT_HEADER_SIZE);
    if (check_header(r->h, r->map_size, path, layout_hash, diag) < 0)
        return -1;
    r->mask = r->h->capacity - 1;
    return 0;
}

/* Size the new file @fd and write its header, the magic last. */
static int fill_file(int fd, const char *path, unsigned capacity, uint64_t layout_hash,
                     struct plc_diag *diag)
{
    size_t size = file_size_for(capacity);
    if (fchmod(fd, 0660) < 0 || ftruncate(fd, (off_t)size) < 0)
        return plc_fail(diag, path, errno, "event ring: cannot make it: %s", strerror(errno));
    /* Pages now, not in the writer's first round: tmpfs allocates them here. */
    if (posix_fallocate(fd, 0, (off_t)size) == ENOSPC)
        return plc_fail(diag, path, ENOSPC, "event ring: no room for %zu bytes", size);
    struct plc_event_ring_header *h =
        mmap(NULL, PLC_EVENT_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (h == MAP_FAILED)
        return plc_fail(diag, path, errno, "event ring: mmap: %s", strerror(errno));
    h->format = PLC_EVENT_FORMAT;
    h->header_size = PLC_EVENT_HEADER_SIZE;
    h->record_size = PLC_EVENT_RECORD_SIZE;
    h->capacity = capacity;
    h->layout_hash = layout_hash;
    h->epoch = 1;
    h->created_ns = plc_realtime_ns();
    atomic_store_explicit(&h->magic, PLC_EVENT_MAGIC, memory_order_release);
    munmap(h, PLC_EVENT_HEADER_SIZE);
    return 0;
}

/* Build the ring under a temporary name beside @path, then rename it in (never over a file). */
static int make(const char *path, unsigned capacity, uint64_t layout_hash, struct plc_diag *diag)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
        return plc_fail(diag, path, ENAMETOOLONG, "event ring: path is too long");
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return plc_fail(diag, tmp, errno, "event ring: cannot create: %s", strerror(errno));
    int rc = fill_file(fd, path, capacity, layout_hash, diag);
    if (rc == 0 && renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) < 0)
        rc = plc_fail(diag, path, errno, "event ring: cannot put it in place: %s", strerror(errno));
    int err = errno;
    close(fd);
    if (rc < 0)
        unlink(tmp);
    errno = err;
    return rc;
}

enum plc_create_result plc_event_ring_create(const char *path, unsigned capacity,
                                             uint64_t layout_hash, struct plc_diag *diag)
{
    plc_diag_clear(diag);
    if (!capacity_ok(capacity))
        return bad_capacity(path, capacity, diag, EINVAL);
    for (int attempt = 0; attempt < 2; attempt++) {
        struct plc_event_ring r = {.fd = -1};
        int rc = map_ring(&r, path, false, layout_hash, diag);
        if (rc < 0 && errno == ENOENT) {
            if (make(path, capacity, layout_hash, diag) == 0) {
                plc_diag_clear(diag);
                return PLC_CREATE_MADE;
            }
            if (errno == EEXIST) /* another one made it first: check that one */
                continue;
            return PLC_CREATE_ERROR;
        }
        if (rc == 0 && r.h->capacity != capacity)
            rc = plc_fail(diag, path, PLC_ESIZE, "event ring holds %u records, not %u",
                          r.h->capacity, capacity);
        int err = errno;
        if (r.map)
            munmap(r.map, r.map_size);
        if (r.fd >= 0)
            close(r.fd);
        if (rc == 0) {
            plc_diag_clear(diag);
            return PLC_CREATE_KEPT;
        }
        if (diag && err > PLC_ERRNO_BASE) /* no ring of ours: it is never replaced here */
            strncat(diag->msg, " (remove it to make a new one; its records are lost)",
                    sizeof(diag->msg) - strlen(diag->msg) - 1);
        errno = err;
        return PLC_CREATE_ERROR;
    }
    return plc_fail(diag, path, EEXIST, "event ring keeps changing while it is made");
}

/* ---- the writer's claim ----------------------------------------------------------- */

/*
 * Whatever the last writer left: it may have died after its record's commit
 * word went odd (the record is half written: skip it, readers count it as
 * lost) or after the word went even but before head moved (the record is
 * whole: count it in). Either way the next record goes after it, and every
 * record before stays.
 */
static void take_over(struct plc_event_ring *r)
{
    uint64_t n = atomic_load_explicit(&r->h->head, memory_order_acquire);
    uint64_t c = atomic_load_explicit(&r->slots[n & r->mask].commit, memory_order_acquire);
    if (c == 2 * n + 1)
        atomic_fetch_add_explicit(&r->h->broken, 1, memory_order_relaxed);
    if (c == 2 * n + 1 || c == 2 * n + 2)
        atomic_store_explicit(&r->h->head, ++n, memory_order_release);
    r->next = n;
}

static int claim(struct plc_event_ring *r, struct plc_diag *diag)
{
    int took = plc_claim_file(&r->h->claim, r->h->holder, r->path, "event ring", &r->my_claim,
                              diag);
    if (took < 0)
        return -1;
    r->writer = true;
    if (took)
        atomic_fetch_add_explicit(&r->h->takeovers, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->h->claims, 1, memory_order_relaxed); /* starts, for restarts */
    take_over(r);
    return 0;
}

/* ---- open, close ------------------------------------------------------------------ */

struct plc_event_ring *plc_event_ring_open(const char *path, enum plc_access access,
                                           uint64_t layout_hash, struct plc_diag *diag)
{
    plc_diag_clear(diag);
    if (access != PLC_READER && access != PLC_WRITER) {
        plc_fail(diag, path, EINVAL, "event ring: access %d is neither reader nor writer",
                 (int)access);
        return NULL;
    }
    struct plc_event_ring *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->fd = -1;
    if (snprintf(r->path, sizeof(r->path), "%s", path) >= (int)sizeof(r->path)) {
        plc_fail(diag, path, ENAMETOOLONG, "event ring: path is too long");
        goto fail;
    }
    if (map_ring(r, path, access == PLC_WRITER, layout_hash, diag) < 0)
        goto fail;
    if (access == PLC_WRITER && claim(r, diag) < 0)
        goto fail;
    return r;

fail:;
    int err = errno;
    plc_event_ring_close(r);
    errno = err;
    return NULL;
}

void plc_event_ring_close(struct plc_event_ring *r)
{
    if (!r)
        return;
    if (r->writer)
        plc_claim_release(&r->h->claim, r->my_claim);
    if (r->map)
        munmap(r->map, r->map_size);
    if (r->fd >= 0)
        close(r->fd);
    free(r);
}

/* ---- append and read -------------------------------------------------------------- */

/*
 * A record's body copy races with the other side by design: the commit word
 * check throws a torn copy away. memcpy by default, C11 relaxed atomics with
 * PLC_RELAXED_COPY, as for regions (region.c, payload-copy.h); the
 * ThreadSanitizer exception covers memcpy's race in this function only.
 */
#if defined(__SANITIZE_THREAD__) && !defined(PLC_RELAXED_COPY)
__attribute__((no_sanitize("thread"), noinline))
#endif
static void copy_body(void *dst, const void *src, bool to_ring)
{
#ifdef PLC_RELAXED_COPY
    if (to_ring)
        plc_payload_store(dst, src, BODY_SIZE);
    else
        plc_payload_load(dst, src, BODY_SIZE);
#else
    memcpy(dst, src, BODY_SIZE);
#endif
}

int plc_event_ring_append(struct plc_event_ring *r, const struct plc_event *ev)
{
    if (!r->writer) {
        errno = EPERM;
        return -1;
    }
    uint64_t n = r->next;
    struct plc_event_slot *s = &r->slots[n & r->mask];
    atomic_store_explicit(&s->commit, 2 * n + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    copy_body(s->body, (const unsigned char *)ev + 8, true);
    atomic_store_explicit(&s->commit, 2 * n + 2, memory_order_release);
    atomic_store_explicit(&r->h->head, n + 1, memory_order_release);
    r->next = n + 1;
    return 0;
}

int plc_event_ring_post(struct plc_event_ring *r, enum plc_event_source source,
                        enum plc_event_kind kind, int severity, const char *name, double before,
                        double after, const char *fmt, ...)
{
    struct plc_event ev;
    if (plc_event_init(&ev, source, kind, severity, name, NULL) < 0)
        return -1;
    ev.before = before;
    ev.after = after;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(ev.text, sizeof(ev.text), fmt, ap);
        va_end(ap);
    }
    return plc_event_ring_append(r, &ev);
}

int plc_event_ring_post_takeover(struct plc_event_ring *r, enum plc_event_source source,
                                 struct plc_region *region)
{
    struct plc_region_info info;
    if (plc_region_get_info(region, &info) < 0)
        return -1;
    if (!info.took_over_from)
        return 0;
    if (plc_event_ring_post(r, source, PLC_EVENT_WRITER_DEAD, LOG_WARNING, info.region, 0, 0,
                            "writer pid %d died: taken over", (int)info.took_over_from) < 0)
        return -1;
    if (!info.repaired)
        return 1;
    if (plc_event_ring_post(r, source, PLC_EVENT_REGION_REPAIRED, LOG_WARNING, info.region, 0, 0,
                            "pid %d's half-done write undone", (int)info.took_over_from) < 0)
        return -1;
    return 2;
}

int plc_event_ring_read(struct plc_event_ring *r, uint64_t *cursor, struct plc_event *ev,
                        uint64_t *lost)
{
    uint64_t n = *cursor, skipped = 0, capacity = r->mask + 1;
    int rc = -1;
    for (unsigned tries = 0; tries < READ_TRIES; tries++) {
        uint64_t head = atomic_load_explicit(&r->h->head, memory_order_acquire);
        if (n >= head) { /* caught up (or a cursor from before a re-made ring) */
            n = head;
            rc = 0;
            break;
        }
        if (head - n > capacity) { /* lapped: go to the oldest still there */
            skipped += head - capacity - n;
            n = head - capacity;
        }
        const struct plc_event_slot *s = &r->slots[n & r->mask];
        uint64_t c = atomic_load_explicit(&s->commit, memory_order_acquire);
        if (c == 2 * n + 2) {
            copy_body((unsigned char *)ev + 8, s->body, false);
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(&s->commit, memory_order_relaxed) == c) {
                ev->seq = n++;
                rc = 1;
                break;
            }
        }
        /*
         * Record n is gone: the slot holds, or is taking, a newer record (the
         * writer came round; it may have died there, so this is never waited
         * for), or, head being past n, a writer died in record n itself (or
         * the file was damaged). Lost either way.
         */
        skipped++;
        n++;
    }
    if (rc < 0)
        errno = EAGAIN;
    *cursor = n;
    if (lost)
        *lost += skipped;
    return rc;
}

uint64_t plc_event_ring_get_head(const struct plc_event_ring *r)
{
    return atomic_load_explicit(&r->h->head, memory_order_acquire);
}

unsigned plc_event_ring_get_capacity(const struct plc_event_ring *r)
{
    return (unsigned)(r->mask + 1);
}

int plc_event_ring_get_writer(const struct plc_event_ring *r, struct plc_event_ring_writer *w)
{
    uint64_t c = atomic_load_explicit(&r->h->claim, memory_order_acquire);
    memset(w, 0, sizeof(*w));
    w->pid = PLC_CLAIM_PID(c);
    w->alive = c && plc_proc_claim_alive(c);
    if (c)
        snprintf(w->holder, sizeof(w->holder), "%.15s", r->h->holder);
    w->claims = atomic_load_explicit(&r->h->claims, memory_order_relaxed);
    w->takeovers = atomic_load_explicit(&r->h->takeovers, memory_order_relaxed);
    return 0;
}

uint64_t plc_event_ring_get_id(const struct plc_event_ring *r)
{
    return r->h->created_ns;
}
