/* SPDX-License-Identifier: MIT */
/*
 * struct plc_event_history: the event history on disk (docs/events.md,
 * "History on disk").
 *
 * Files are a plain sequence of fixed-size records, no file header: a file
 * cut anywhere is still a valid file up to its last whole record, and record
 * k is always at byte 160 k, so a damaged record costs that record only. The
 * CRC-32 (zlib's) covers all of a record but its magic and the CRC itself.
 *
 * The writer keeps records in memory until a batch is full or the oldest has
 * waited batch_ms, then writes them with one write() and one fdatasync():
 * few, large writes (an SD card's flash page is rewritten whole), and none
 * while idle. Rotation renames files (current -> .1 -> .2 ...) and fsyncs the
 * directory once, with the next batch's file. Readers open the files newest
 * first and skip a file they already hold (same inode), so a rotation while
 * they open can repeat nothing and lose nothing; they then read oldest first.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"
#include "plc-event-history.h"
#include "plc-retain.h" /* PLC_LOG_* */

#define REC PLC_EVENT_HISTORY_RECORD_SIZE
#define MAGIC UINT32_C(0x31484550) /* "PEH1" little-endian: format 1 */
#define SOURCES 32                 /* enum plc_event_source values tracked */
#define READ_RECORDS 64            /* a reader's buffer */

/* A record on disk; native byte order (every target of RaspiPLC is little-endian). */
struct disk_record {
    uint32_t magic;
    uint32_t crc; /* CRC-32 of the bytes from ring_id to the end */
    uint64_t ring_id;
    uint64_t lost;
    uint64_t boot;
    struct plc_event ev;
};
_Static_assert(offsetof(struct disk_record, crc) == 4, "history format");
_Static_assert(offsetof(struct disk_record, ring_id) == 8, "history format");
_Static_assert(offsetof(struct disk_record, lost) == 16, "history format");
_Static_assert(offsetof(struct disk_record, boot) == 24, "history format");
_Static_assert(offsetof(struct disk_record, ev) == 32, "history format");
_Static_assert(sizeof(struct disk_record) == REC, "history format");

struct hfile {
    int fd;
    bool current; /* NAME.events, the one the writer appends to */
    char path[PATH_MAX];
};

struct plc_event_history {
    struct plc_event_history_config cfg;
    bool writer;
    struct plc_event_history_stats st;
    struct {
        bool known;
        uint64_t ring_id, seq;
    } last[SOURCES];

    /* reading: files oldest first, the one at `cur` being read */
    struct hfile files[PLC_EVENT_HISTORY_FILES_MAX];
    unsigned nfiles, cur;
    unsigned char buf[READ_RECORDS * REC];
    size_t buf_len, buf_pos;
    uint64_t buf_off;  /* file offset of buf[0] */
    uint64_t bad_run;  /* damaged records since the last good one */
    uint64_t bad_off;  /* where that run starts */
    uint64_t good_end; /* offset after the last good record of the file */

    /* writing */
    int dirfd, fd;
    uint64_t size;      /* of the current file: after its last good record */
    uint64_t cur_bytes; /* its size as found */
    bool dir_dirty; /* a rename or a new file to make durable */
    uint64_t boot;
    struct disk_record *pending;
    unsigned npending;
    uint64_t first_pending_ns;
    char dir[PATH_MAX];
    char name[128];
};

#define say(h, level, ...) plc_logf((h)->cfg.log, (h)->cfg.log_user, level, __VA_ARGS__)

int plc_event_history_dir(const char *retain_dir, const char *override, char *buf, size_t len)
{
    const char *env = getenv("RASPIPLC_EVENTS_DIR");
    int n;
    if (override && *override)
        n = snprintf(buf, len, "%s", override);
    else if (env && *env)
        n = snprintf(buf, len, "%s", env);
    else
        n = snprintf(buf, len, "%s/%s", retain_dir, PLC_EVENT_HISTORY_SUBDIR);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* DIR/NAME.events for @k 0, DIR/NAME.events.K for the older ones. */
static int file_path(const struct plc_event_history *h, unsigned k, char *buf, size_t len)
{
    /* Bounded so the compiler sees it fits PATH_MAX; longer paths are refused at open. */
    int n = k ? snprintf(buf, len, "%.3900s/%.127s.events.%u", h->dir, h->name, k)
              : snprintf(buf, len, "%.3900s/%.127s.events", h->dir, h->name);
    return n < 0 || (size_t)n >= len ? -1 : 0;
}

static uint32_t record_crc(const struct disk_record *r)
{
    const unsigned char *p = (const unsigned char *)r + offsetof(struct disk_record, ring_id);
    return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, REC - offsetof(struct disk_record, ring_id));
}

static int check_config(struct plc_event_history_config *c, struct plc_diag *diag)
{
    if (!c->dir || !*c->dir || !c->name || !*c->name || strchr(c->name, '/'))
        return plc_fail(diag, c->dir, EINVAL, "event history: a directory and a file name "
                        "(without '/') are needed");
    if (!c->file_bytes)
        c->file_bytes = PLC_EVENT_HISTORY_FILE_BYTES_DEFAULT;
    if (!c->files)
        c->files = PLC_EVENT_HISTORY_FILES_DEFAULT;
    if (!c->batch)
        c->batch = PLC_EVENT_HISTORY_BATCH_DEFAULT;
    if (!c->batch_ms)
        c->batch_ms = PLC_EVENT_HISTORY_BATCH_MS_DEFAULT;
    if (c->file_bytes < PLC_EVENT_HISTORY_FILE_BYTES_MIN)
        return plc_fail(diag, c->dir, EINVAL, "event history: file size %" PRIu32
                        " bytes is below the least, %u", c->file_bytes,
                        PLC_EVENT_HISTORY_FILE_BYTES_MIN);
    if (c->files < 2 || c->files > PLC_EVENT_HISTORY_FILES_MAX)
        return plc_fail(diag, c->dir, EINVAL, "event history: %u files: keep 2 to %u",
                        c->files, PLC_EVENT_HISTORY_FILES_MAX);
    if (c->batch > PLC_EVENT_HISTORY_BATCH_MAX)
        return plc_fail(diag, c->dir, EINVAL, "event history: batch of %u records: at most %u",
                        c->batch, PLC_EVENT_HISTORY_BATCH_MAX);
    return 0;
}

/* Open every file there, newest first, each inode once; then order them oldest first. */
static int open_files(struct plc_event_history *h, struct plc_diag *diag)
{
    struct stat seen[PLC_EVENT_HISTORY_FILES_MAX];
    for (unsigned k = 0; k < PLC_EVENT_HISTORY_FILES_MAX; k++) {
        struct hfile *f = &h->files[h->nfiles];
        if (file_path(h, k, f->path, sizeof(f->path)) < 0)
            return plc_fail(diag, h->dir, ENAMETOOLONG, "event history: path too long");
        f->fd = open(f->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (f->fd < 0) {
            if (errno == ENOENT)
                continue;
            return plc_fail(diag, f->path, errno, "event history: cannot open: %s",
                            strerror(errno));
        }
        bool dup = false;
        if (fstat(f->fd, &seen[h->nfiles]) < 0 || !S_ISREG(seen[h->nfiles].st_mode)) {
            close(f->fd);
            return plc_fail(diag, f->path, PLC_EPATH, "event history: not a regular file");
        }
        for (unsigned i = 0; i < h->nfiles; i++)
            dup |= seen[i].st_ino == seen[h->nfiles].st_ino &&
                   seen[i].st_dev == seen[h->nfiles].st_dev;
        if (dup) {
            close(f->fd);
            continue;
        }
        f->current = k == 0;
        h->nfiles++;
    }
    for (unsigned i = 0; i < h->nfiles / 2; i++) {
        struct hfile t = h->files[i];
        h->files[i] = h->files[h->nfiles - 1 - i];
        h->files[h->nfiles - 1 - i] = t;
    }
    h->st.files = h->nfiles;
    return 0;
}

/* The file at `cur` is read to its end: report a torn tail and go to the next. */
static void end_file(struct plc_event_history *h)
{
    struct hfile *f = &h->files[h->cur];
    uint64_t tail = h->bad_run * REC + (h->buf_len - h->buf_pos);
    if (tail) {
        h->st.torn++;
        h->st.torn_bytes += tail;
        say(h, PLC_LOG_WARNING, "%s: torn tail of %" PRIu64 " bytes at byte %" PRIu64
            " (after record %" PRIu64 "): ignored", f->path, tail, h->good_end,
            h->good_end / REC);
    }
    if (f->current) { /* where the writer goes on */
        h->size = h->good_end;
        h->cur_bytes = h->buf_off + h->buf_len;
    }
    close(f->fd);
    f->fd = -1;
    h->cur++;
    h->buf_len = h->buf_pos = 0;
    h->buf_off = h->bad_run = h->good_end = 0;
}

/* Fill the buffer with what follows; 0 at the end of the file, -1 on error. */
static int fill(struct plc_event_history *h)
{
    struct hfile *f = &h->files[h->cur];
    size_t keep = h->buf_len - h->buf_pos;
    memmove(h->buf, h->buf + h->buf_pos, keep);
    h->buf_off += h->buf_pos;
    h->buf_pos = 0;
    h->buf_len = keep;
    ssize_t n;
    do
        n = pread(f->fd, h->buf + keep, sizeof(h->buf) - keep, (off_t)(h->buf_off + keep));
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        int err = errno;
        say(h, PLC_LOG_ERR, "%s: cannot read at byte %" PRIu64 ": %s", f->path,
            h->buf_off + keep, strerror(err));
        errno = err;
        return -1;
    }
    h->buf_len += (size_t)n;
    return n > 0;
}

static void note_last(struct plc_event_history *h, const struct plc_event_record *r)
{
    if (r->ev.source >= SOURCES)
        return;
    h->last[r->ev.source].known = true;
    h->last[r->ev.source].ring_id = r->ring_id;
    h->last[r->ev.source].seq = r->ev.seq;
}

/* The walk of plc_event_history_next(), for readers and for the writer's open. */
static int walk_next(struct plc_event_history *h, struct plc_event_record *rec)
{
    while (h->cur < h->nfiles) {
        if (h->buf_len - h->buf_pos < REC) {
            int got = fill(h);
            if (got < 0)
                return -1;
            if (got == 0 && h->buf_len - h->buf_pos < REC)
                end_file(h);
            continue;
        }
        struct disk_record d;
        uint64_t off = h->buf_off + h->buf_pos;
        memcpy(&d, h->buf + h->buf_pos, REC);
        h->buf_pos += REC;
        if (d.magic != MAGIC || d.crc != record_crc(&d)) {
            if (!h->bad_run++)
                h->bad_off = off;
            continue;
        }
        if (h->bad_run) {
            h->st.corrupt += h->bad_run;
            say(h, PLC_LOG_WARNING, "%s: %" PRIu64 " damaged record(s) from record %" PRIu64
                " (byte %" PRIu64 "): bad CRC-32, skipped", h->files[h->cur].path, h->bad_run,
                h->bad_off / REC, h->bad_off);
            h->bad_run = 0;
        }
        h->good_end = off + REC;
        rec->ev = d.ev;
        rec->ring_id = d.ring_id;
        rec->lost = d.lost;
        rec->boot = d.boot;
        h->st.records++;
        note_last(h, rec);
        return 1;
    }
    return 0;
}

int plc_event_history_next(struct plc_event_history *h, struct plc_event_record *rec)
{
    if (h->writer) {
        errno = EPERM;
        return -1;
    }
    return walk_next(h, rec);
}

/* The writer's open: learn each ring's last record, cut a torn tail off the
 * current file so that the next record follows the last good one. */
static int writer_open(struct plc_event_history *h, struct plc_diag *diag)
{
    if (plc_dir_make(h->dir, 0750, diag) < 0)
        return -1;
    h->dirfd = open(h->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (h->dirfd < 0)
        return plc_fail(diag, h->dir, errno, "event history: cannot open the directory: %s",
                        strerror(errno));
    h->pending = calloc(h->cfg.batch, sizeof(*h->pending));
    if (!h->pending)
        return plc_fail(diag, NULL, ENOMEM, "out of memory");
    if (open_files(h, diag) < 0)
        return -1;
    struct plc_event_record rec;
    int got;
    while ((got = walk_next(h, &rec)) > 0)
        ;
    if (got < 0)
        return plc_fail(diag, h->files[h->cur].path, errno, "event history: cannot read: %s",
                        strerror(errno));
    if (h->cur_bytes > h->size) {
        char path[PATH_MAX];
        file_path(h, 0, path, sizeof(path));
        int fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || ftruncate(fd, (off_t)h->size) < 0 || fdatasync(fd) < 0) {
            int err = errno;
            if (fd >= 0)
                close(fd);
            return plc_fail(diag, path, err, "event history: cannot cut the torn tail: %s",
                            strerror(err));
        }
        close(fd);
        say(h, PLC_LOG_NOTICE, "%s: torn tail cut at byte %" PRIu64 ": appending after "
            "record %" PRIu64, path, h->size, h->size / REC);
    }
    return 0;
}

struct plc_event_history *plc_event_history_open(const struct plc_event_history_config *cfg,
                                                 enum plc_access access, struct plc_diag *diag)
{
    plc_diag_clear(diag);
    struct plc_event_history *h = calloc(1, sizeof(*h));
    if (!h)
        return NULL;
    h->cfg = *cfg;
    h->dirfd = h->fd = -1;
    for (unsigned i = 0; i < PLC_EVENT_HISTORY_FILES_MAX; i++)
        h->files[i].fd = -1;
    if (check_config(&h->cfg, diag) < 0)
        goto fail;
    snprintf(h->dir, sizeof(h->dir), "%s", cfg->dir);
    snprintf(h->name, sizeof(h->name), "%s", cfg->name);
    h->cfg.dir = h->dir;
    h->cfg.name = h->name;
    h->writer = access == PLC_WRITER;
    if (!h->writer) {
        if (open_files(h, diag) < 0)
            goto fail;
        return h;
    }
    h->boot = plc_event_history_boot_id();
    if (writer_open(h, diag) < 0)
        goto fail;
    return h;

fail:;
    int err = errno;
    plc_event_history_close(h);
    errno = err;
    return NULL;
}

/* current -> .1 -> .2 ...: the oldest file goes. Made durable with the next batch. */
static int rotate(struct plc_event_history *h)
{
    char from[PATH_MAX], to[PATH_MAX];
    if (h->fd >= 0)
        close(h->fd);
    h->fd = -1;
    for (unsigned k = h->cfg.files - 1; k > 0; k--) {
        file_path(h, k - 1, from, sizeof(from));
        file_path(h, k, to, sizeof(to));
        if (rename(from, to) < 0 && errno != ENOENT) {
            int err = errno;
            say(h, PLC_LOG_ERR, "%s: cannot rotate to %s: %s", from, to, strerror(err));
            errno = err;
            return -1;
        }
    }
    h->size = 0;
    h->dir_dirty = true;
    h->st.rotations++;
    return 0;
}

static int open_current(struct plc_event_history *h)
{
    char path[PATH_MAX];
    file_path(h, 0, path, sizeof(path));
    h->fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (h->fd < 0) {
        int err = errno;
        say(h, PLC_LOG_ERR, "%s: cannot open for appending: %s", path, strerror(err));
        errno = err;
        return -1;
    }
    struct stat st;
    if (fstat(h->fd, &st) == 0 && (uint64_t)st.st_size != h->size)
        h->dir_dirty = true; /* made just now (or by someone else): its name too */
    h->size = (uint64_t)st.st_size;
    return 0;
}

/* Undo a batch half written: the file ends at its last whole batch again. */
static int write_failed(struct plc_event_history *h, const char *what)
{
    int err = errno;
    char path[PATH_MAX];
    file_path(h, 0, path, sizeof(path));
    if (ftruncate(h->fd, (off_t)h->size) < 0) {
        close(h->fd); /* reopened (and its tail looked at) by the next flush */
        h->fd = -1;
    }
    say(h, PLC_LOG_ERR, "%s: cannot %s %u event record(s): %s; kept for the next try", path,
        what, h->npending, strerror(err));
    errno = err;
    return -1;
}

int plc_event_history_flush(struct plc_event_history *h)
{
    if (!h->writer) {
        errno = EPERM;
        return -1;
    }
    if (!h->npending)
        return 0;
    size_t bytes = (size_t)h->npending * REC;
    if (h->size && h->size + bytes > h->cfg.file_bytes && rotate(h) < 0)
        return -1;
    if (h->fd < 0 && open_current(h) < 0)
        return -1;
    const unsigned char *p = (const unsigned char *)h->pending;
    for (size_t done = 0; done < bytes;) {
        ssize_t n = write(h->fd, p + done, bytes - done);
        h->st.writes++;
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return write_failed(h, "write");
        }
        done += (size_t)n;
    }
    h->st.syncs++;
    if (fdatasync(h->fd) < 0)
        return write_failed(h, "fdatasync");
    if (h->dir_dirty && fsync(h->dirfd) == 0)
        h->dir_dirty = false;
    h->size += bytes;
    h->npending = 0;
    return 0;
}

int plc_event_history_append(struct plc_event_history *h, const struct plc_event_record *rec)
{
    if (!h->writer) {
        errno = EPERM;
        return -1;
    }
    if (h->npending == h->cfg.batch && plc_event_history_flush(h) < 0)
        return -1;
    struct disk_record *d = &h->pending[h->npending];
    memset(d, 0, sizeof(*d));
    d->magic = MAGIC;
    d->ring_id = rec->ring_id;
    d->lost = rec->lost;
    d->boot = rec->boot ? rec->boot : h->boot;
    d->ev = rec->ev;
    d->crc = record_crc(d);
    if (!h->npending++)
        h->first_pending_ns = plc_now_ns();
    h->st.records++;
    note_last(h, rec);
    if (h->npending == h->cfg.batch)
        plc_event_history_flush(h); /* a failure keeps them pending: logged, retried */
    return 0;
}

uint64_t plc_event_history_due_ns(const struct plc_event_history *h)
{
    return h->npending ? h->first_pending_ns + (uint64_t)h->cfg.batch_ms * 1000000u
                       : UINT64_MAX;
}

int plc_event_history_tick(struct plc_event_history *h, uint64_t now_ns)
{
    return now_ns >= plc_event_history_due_ns(h) ? plc_event_history_flush(h) : 0;
}

int plc_event_history_get_last(const struct plc_event_history *h, int source, uint64_t *ring_id,
                               uint64_t *seq)
{
    if (source < 0 || source >= SOURCES || !h->last[source].known)
        return 0;
    *ring_id = h->last[source].ring_id;
    *seq = h->last[source].seq;
    return 1;
}

void plc_event_history_get_stats(const struct plc_event_history *h,
                                 struct plc_event_history_stats *stats)
{
    *stats = h->st;
}

int plc_event_history_close(struct plc_event_history *h)
{
    if (!h)
        return 0;
    int rc = 0;
    if (h->writer && h->pending)
        rc = plc_event_history_flush(h);
    for (unsigned i = 0; i < PLC_EVENT_HISTORY_FILES_MAX; i++)
        if (h->files[i].fd >= 0)
            close(h->files[i].fd);
    if (h->fd >= 0)
        close(h->fd);
    if (h->dirfd >= 0)
        close(h->dirfd);
    free(h->pending);
    free(h);
    return rc;
}
