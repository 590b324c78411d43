/* SPDX-License-Identifier: MIT */
/*
 * struct plc_snapshot: the retain file format, its durable write, its checked
 * read, and restoring regions from it.
 *
 * The file is text so an operator can read it (cat) and the format outlives
 * struct layouts and endianness; a CRC-32 over every byte before the CRC line
 * rejects any truncation or bit flip:
 *
 *   # RaspiPLC retain snapshot (plc-retain). Do not edit: a CRC-32 guards it.
 *   format 1
 *   layout demo 1 92fc330a9412d94f
 *   seq 42
 *   time 1795321812.123456789
 *   tags 2
 *   tag level_high float32 85
 *   tag run_seconds uint32 3600
 *   crc32 1a2b3c4d
 *
 * Values are written with %.17g, which gives every value of every type back
 * exactly. The file must end right after the CRC line's newline.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"
#include "plc-retain.h"

#define SNAPSHOT_MAX_BYTES (64u * 1024u * 1024u)

struct plc_snapshot {
    char path[PATH_MAX];
    bool backup;
    uint64_t seq;
    uint64_t time_ns;
    char layout[PLC_NAME_MAX + 1];
    unsigned version;
    uint64_t hash;
    struct plc_snapshot_tag *tags;
    const struct plc_snapshot_tag **byname; /* sorted, for lookups by name */
    size_t ntags;
};

static int cmp_snap(const void *a, const void *b)
{
    return strcmp((*(const struct plc_snapshot_tag *const *)a)->name,
                  (*(const struct plc_snapshot_tag *const *)b)->name);
}

static int cmp_def(const void *a, const void *b)
{
    return strcmp((*(const struct plc_tag_def *const *)a)->name,
                  (*(const struct plc_tag_def *const *)b)->name);
}

/* The layout's retained tags sorted by name (malloc'd), so that matching a
 * 10,000-tag snapshot stays O(n log n); NULL only when out of memory. */
static const struct plc_tag_def **retained_by_name(const struct plc_layout *l, size_t *n)
{
    const struct plc_tag_def **v = malloc((plc_layout_tag_count(l) + 1) * sizeof(*v));
    *n = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < plc_layout_tag_count(l); i++)
        if (plc_layout_tag_at(l, i)->retain)
            v[(*n)++] = plc_layout_tag_at(l, i);
    qsort(v, *n, sizeof(*v), cmp_def);
    return v;
}

static const struct plc_tag_def *find_retained(const struct plc_tag_def **v, size_t n,
                                               const char *name)
{
    struct plc_tag_def key;
    const struct plc_tag_def *k = &key;
    snprintf(key.name, sizeof(key.name), "%s", name);
    const struct plc_tag_def **hit = bsearch(&k, v, n, sizeof(*v), cmp_def);
    return hit ? *hit : NULL;
}

const char *plc_retain_dir(const struct plc_layout *layout, const char *override)
{
    const char *env = getenv("RASPIPLC_RETAIN_DIR");
    if (override && *override)
        return override;
    if (env && *env)
        return env;
    if (layout && plc_layout_get_retain_dir(layout))
        return plc_layout_get_retain_dir(layout);
    return PLC_RETAIN_DIR_DEFAULT;
}

int plc_snapshot_path(const char *dir, const char *layout_name, enum plc_snapshot_file which,
                      char *buf, size_t len)
{
    static const char *const suffix[] = {
        [PLC_SNAPSHOT_CURRENT] = "", [PLC_SNAPSHOT_BACKUP] = ".bak", [PLC_SNAPSHOT_TEMP] = ".tmp"};
    if (which < PLC_SNAPSHOT_CURRENT || which > PLC_SNAPSHOT_TEMP) {
        errno = EINVAL;
        return -1;
    }
    int n = snprintf(buf, len, "%s/%s.retain%s", dir, layout_name, suffix[which]);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* ---- writing --------------------------------------------------------------------- */

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    errno = err;
    return rc;
}

/* The text of a snapshot, CRC line included; malloc'd. */
static char *format_snapshot(const struct plc_layout *l, uint64_t seq,
                             const struct plc_snapshot_tag *tags, size_t n, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    fprintf(f, "# RaspiPLC retain snapshot (plc-retain). Do not edit: a CRC-32 guards it.\n");
    fprintf(f, "format %u\n", PLC_SNAPSHOT_FORMAT);
    fprintf(f, "layout %s %u %016" PRIx64 "\n", plc_layout_get_name(l),
            plc_layout_get_version(l), plc_layout_get_hash(l));
    fprintf(f, "seq %" PRIu64 "\n", seq);
    fprintf(f, "time %jd.%09ld\n", (intmax_t)now.tv_sec, now.tv_nsec);
    fprintf(f, "tags %zu\n", n);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "tag %s %s %.17g\n", tags[i].name, plc_type_name(tags[i].type),
                tags[i].value);
    if (fflush(f) != 0) {
        fclose(f);
        free(buf);
        return NULL;
    }
    uLong crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)buf, (uInt)size);
    fprintf(f, "crc32 %08lx\n", (unsigned long)crc);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}

int plc_snapshot_write(const char *dir, const struct plc_layout *l, uint64_t seq,
                       const struct plc_snapshot_tag *tags, size_t count, unsigned flags,
                       struct plc_diag *diag)
{
    char cur[PATH_MAX], bak[PATH_MAX], tmp[PATH_MAX];
    const char *name = plc_layout_get_name(l);
    plc_diag_clear(diag);
    if (plc_snapshot_path(dir, name, PLC_SNAPSHOT_CURRENT, cur, sizeof(cur)) < 0 ||
        plc_snapshot_path(dir, name, PLC_SNAPSHOT_BACKUP, bak, sizeof(bak)) < 0 ||
        plc_snapshot_path(dir, name, PLC_SNAPSHOT_TEMP, tmp, sizeof(tmp)) < 0)
        return plc_fail(diag, dir, ENAMETOOLONG, "snapshot directory path is too long");

    size_t len;
    char *text = format_snapshot(l, seq, tags, count, &len);
    if (!text)
        return plc_fail(diag, tmp, ENOMEM, "cannot format snapshot: out of memory");

    int err;
    const char *what, *where = tmp;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) {
        err = errno;
        free(text);
        return plc_fail(diag, tmp, err, "cannot create snapshot: %s", strerror(err));
    }
    if (write_all(fd, text, len) < 0) {
        what = "cannot write snapshot";
        goto fail_fd;
    }
    if (fsync(fd) < 0) {
        what = "cannot fsync snapshot";
        goto fail_fd;
    }
    if (close(fd) < 0) {
        fd = -1;
        what = "cannot close snapshot";
        goto fail_fd;
    }
    fd = -1;
    free(text);
    text = NULL;

    /* The current file becomes the backup; a hard link keeps it current too, so
     * there is never an instant without a current file. Where links are not
     * supported (vfat), rename it: the backup then stands in until the rename below. */
    if (flags & PLC_SNAPSHOT_KEEP_BACKUP) {
        struct stat st;
        if (lstat(cur, &st) == 0) {
            if (unlink(bak) < 0 && errno != ENOENT) {
                what = "cannot remove the old backup";
                where = bak;
                goto fail;
            }
            if (link(cur, bak) < 0) {
                if (errno != EPERM && errno != ENOTSUP && errno != EMLINK) {
                    what = "cannot keep the current snapshot as the backup";
                    where = bak;
                    goto fail;
                }
                if (rename(cur, bak) < 0) {
                    what = "cannot keep the current snapshot as the backup";
                    where = bak;
                    goto fail;
                }
            }
        } else if (errno != ENOENT) {
            what = "cannot look at the current snapshot";
            where = cur;
            goto fail;
        }
    }
    if (rename(tmp, cur) < 0) {
        what = "cannot put the snapshot in place";
        where = cur;
        goto fail;
    }
    if (fsync_dir(dir) < 0) {
        err = errno;
        return plc_fail(diag, dir, err, "cannot fsync the snapshot directory: %s",
                        strerror(err));
    }
    return 0;

fail_fd:
    err = errno;
    if (fd >= 0)
        close(fd);
    free(text);
    unlink(tmp);
    return plc_fail(diag, where, err, "%s: %s", what, strerror(err));
fail:
    err = errno;
    unlink(tmp);
    return plc_fail(diag, where, err, "%s: %s", what, strerror(err));
}

/* ---- reading --------------------------------------------------------------------- */

static bool name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > PLC_TAG_NAME_MAX)
        return false;
    for (const char *c = s; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    return true;
}

/* A stored value must be one the type can hold (checked before any cast). */
static bool value_fits(enum plc_type type, double v)
{
    switch (type) {
    case PLC_TYPE_BOOL: return v == 0 || v == 1;
    case PLC_TYPE_INT16: return v == trunc(v) && v >= INT16_MIN && v <= INT16_MAX;
    case PLC_TYPE_UINT16: return v == trunc(v) && v >= 0 && v <= UINT16_MAX;
    case PLC_TYPE_INT32: return v == trunc(v) && v >= INT32_MIN && v <= INT32_MAX;
    case PLC_TYPE_UINT32: return v == trunc(v) && v >= 0 && v <= UINT32_MAX;
    case PLC_TYPE_FLOAT32: return isnan(v) || isinf(v) || (float)v == v;
    default: return false;
    }
}

/* Next line of @text at *pos without its newline, or NULL when none is complete. */
static char *next_line(char *text, size_t len, size_t *pos)
{
    if (*pos >= len)
        return NULL;
    char *start = text + *pos;
    char *nl = memchr(start, '\n', len - *pos);
    if (!nl)
        return NULL;
    *nl = '\0';
    *pos = (size_t)(nl - text) + 1;
    return start;
}

/* Parse the verified text; false with a reason in @why. */
static bool parse(struct plc_snapshot *s, char *text, size_t len, char *why, size_t whylen)
{
    size_t pos = 0;
    char *line;
    unsigned format;
    unsigned long long ntags;
    char extra;
    intmax_t sec;
    long nsec;

    if (!(line = next_line(text, len, &pos)) || line[0] != '#')
        return snprintf(why, whylen, "not a retain snapshot (no header line)"), false;
    if (!(line = next_line(text, len, &pos)) || sscanf(line, "format %u %c", &format, &extra) != 1)
        return snprintf(why, whylen, "no format line"), false;
    if (format != PLC_SNAPSHOT_FORMAT)
        return snprintf(why, whylen, "format %u, this build reads format %u", format,
                        PLC_SNAPSHOT_FORMAT), false;
    if (!(line = next_line(text, len, &pos)) ||
        sscanf(line, "layout %31s %u %" SCNx64 " %c", s->layout, &s->version, &s->hash,
               &extra) != 3)
        return snprintf(why, whylen, "bad layout line"), false;
    for (const char *c = s->layout; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return snprintf(why, whylen, "bad layout name"), false;
    if (!(line = next_line(text, len, &pos)) ||
        sscanf(line, "seq %" SCNu64 " %c", &s->seq, &extra) != 1)
        return snprintf(why, whylen, "bad seq line"), false;
    if (!(line = next_line(text, len, &pos)) ||
        sscanf(line, "time %jd.%9ld %c", &sec, &nsec, &extra) != 2 || sec < 0 || nsec < 0)
        return snprintf(why, whylen, "bad time line"), false;
    s->time_ns = (uint64_t)sec * 1000000000u + (uint64_t)nsec;
    if (!(line = next_line(text, len, &pos)) || sscanf(line, "tags %llu %c", &ntags, &extra) != 1 ||
        ntags > len / 8)
        return snprintf(why, whylen, "bad tags line"), false;
    s->tags = calloc(ntags ? ntags : 1, sizeof(*s->tags));
    if (!s->tags)
        return snprintf(why, whylen, "out of memory"), false;
    for (size_t i = 0; i < ntags; i++) {
        char name[PLC_TAG_NAME_MAX + 2], type[16], value[64];
        struct plc_snapshot_tag *t = &s->tags[i];
        if (!(line = next_line(text, len, &pos)) ||
            sscanf(line, "tag %64s %15s %63s %c", name, type, value, &extra) != 3 ||
            strlen(line) > 200)
            return snprintf(why, whylen, "bad tag line %zu", i + 1), false;
        char *end;
        t->type = plc_type_from_name(type);
        errno = 0;
        t->value = strtod(value, &end);
        if (!name_ok(name) || t->type == PLC_TYPE_ERROR || *end || errno == ERANGE ||
            !value_fits(t->type, t->value))
            return snprintf(why, whylen, "bad tag line %zu", i + 1), false;
        snprintf(t->name, sizeof(t->name), "%.63s", name); /* name_ok: at most 63 */
        s->ntags++;
    }
    s->byname = malloc((s->ntags + 1) * sizeof(*s->byname));
    if (!s->byname)
        return snprintf(why, whylen, "out of memory"), false;
    for (size_t i = 0; i < s->ntags; i++)
        s->byname[i] = &s->tags[i];
    qsort(s->byname, s->ntags, sizeof(*s->byname), cmp_snap);
    for (size_t i = 1; i < s->ntags; i++)
        if (strcmp(s->byname[i - 1]->name, s->byname[i]->name) == 0)
            return snprintf(why, whylen, "tag '%s' stored twice", s->byname[i]->name), false;
    if (pos != len)
        return snprintf(why, whylen, "unexpected text after the tags"), false;
    return true;
}

/* Check the CRC line at the end of @buf; the length of what it covers, or 0. */
static size_t check_crc(const char *buf, size_t len, char *why, size_t whylen)
{
    /* "crc32 xxxxxxxx\n" is 15 bytes and the last line. */
    static const size_t crc_line = 15;
    if (len < crc_line + 1 || buf[len - 1] != '\n' || buf[len - crc_line - 1] != '\n' ||
        memcmp(buf + len - crc_line, "crc32 ", 6) != 0) {
        snprintf(why, whylen, "truncated or damaged (no CRC line at the end)");
        return 0;
    }
    unsigned long want = 0;
    for (size_t i = len - 9; i < len - 1; i++) {
        char c = buf[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) {
            snprintf(why, whylen, "truncated or damaged (bad CRC line)");
            return 0;
        }
        want = want << 4 | (unsigned long)d;
    }
    size_t covered = len - crc_line;
    uLong got = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)buf, (uInt)covered);
    if (got != want) {
        snprintf(why, whylen, "CRC mismatch (stored %08lx, computed %08lx): truncated or "
                 "corrupt", want, (unsigned long)got);
        return 0;
    }
    return covered;
}

static char *read_file(const char *path, size_t *len, struct plc_diag *diag)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        plc_fail(diag, path, err, "cannot open snapshot: %s", strerror(err));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int err = errno;
        close(fd);
        plc_fail(diag, path, err, "cannot read snapshot: %s", strerror(err));
        return NULL;
    }
    if (!S_ISREG(st.st_mode) || st.st_size > SNAPSHOT_MAX_BYTES) {
        close(fd);
        plc_fail(diag, path, EBADMSG, "not a snapshot file (not a regular file, or over %u "
                 "bytes)", SNAPSHOT_MAX_BYTES);
        return NULL;
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        plc_fail(diag, path, ENOMEM, "out of memory");
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            /* grew since fstat: a snapshot is never written in place, so it is not ours */
            close(fd);
            free(buf);
            plc_fail(diag, path, EBADMSG, "changed while being read");
            return NULL;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int err = errno;
            close(fd);
            free(buf);
            plc_fail(diag, path, err, "cannot read snapshot: %s", strerror(err));
            return NULL;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *len = n;
    return buf;
}

struct plc_snapshot *plc_snapshot_load(const char *path, struct plc_diag *diag)
{
    plc_diag_clear(diag);
    size_t len;
    char *buf = read_file(path, &len, diag);
    if (!buf)
        return NULL;
    char why[160];
    struct plc_snapshot *s = calloc(1, sizeof(*s));
    if (!s) {
        free(buf);
        plc_fail(diag, path, ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(s->path, sizeof(s->path), "%s", path);
    size_t covered = check_crc(buf, len, why, sizeof(why));
    if (!covered || !parse(s, buf, covered, why, sizeof(why))) {
        free(buf);
        plc_snapshot_free(s);
        plc_fail(diag, path, EBADMSG, "snapshot rejected: %s", why);
        return NULL;
    }
    free(buf);
    return s;
}

static void logf_(plc_retain_log_fn *log, void *user, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void logf_(plc_retain_log_fn *log, void *user, int level, const char *fmt, ...)
{
    if (!log)
        return;
    char msg[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log(user, level, msg);
}

struct plc_snapshot *plc_snapshot_load_newest(const char *dir, const char *layout_name,
                                              plc_retain_log_fn *log, void *user,
                                              struct plc_diag *diag)
{
    char cur[PATH_MAX], bak[PATH_MAX], msg[1200];
    struct plc_diag d1, d2;
    plc_diag_clear(diag);
    if (plc_snapshot_path(dir, layout_name, PLC_SNAPSHOT_CURRENT, cur, sizeof(cur)) < 0 ||
        plc_snapshot_path(dir, layout_name, PLC_SNAPSHOT_BACKUP, bak, sizeof(bak)) < 0) {
        plc_fail(diag, dir, ENAMETOOLONG, "snapshot directory path is too long");
        return NULL;
    }
    struct plc_snapshot *s = plc_snapshot_load(cur, &d1);
    if (s)
        return s;
    int err1 = errno;
    s = plc_snapshot_load(bak, &d2);
    int err2 = errno;
    if (s) {
        s->backup = true;
        if (err1 == ENOENT)
            logf_(log, user, PLC_LOG_WARNING,
                  "%s is missing: using the backup %s (seq %" PRIu64 ")", cur, bak, s->seq);
        else {
            plc_diag_format(&d1, msg, sizeof(msg));
            logf_(log, user, PLC_LOG_WARNING, "%s: using the backup %s (seq %" PRIu64 ")",
                  msg, bak, s->seq);
        }
        return s;
    }
    if (err1 == ENOENT && err2 == ENOENT) {
        plc_fail(diag, dir, ENOENT, "no snapshot of layout '%s' (%s or %s)", layout_name, cur,
                 bak);
        return NULL;
    }
    /* Say what is wrong with each file that exists. */
    char m1[1200], m2[1200];
    plc_diag_format(&d1, m1, sizeof(m1));
    plc_diag_format(&d2, m2, sizeof(m2));
    if (err1 == ENOENT)
        snprintf(m1, sizeof(m1), "%.1000s is missing", cur);
    if (err2 == ENOENT)
        snprintf(m2, sizeof(m2), "%.1000s is missing", bak);
    plc_fail(diag, NULL, err1 != ENOENT ? err1 : err2, "no usable snapshot: %.500s; %.500s",
             m1, m2);
    return NULL;
}

void plc_snapshot_free(struct plc_snapshot *s)
{
    if (!s)
        return;
    free(s->tags);
    free(s->byname);
    free(s);
}

const char *plc_snapshot_get_path(const struct plc_snapshot *s) { return s->path; }
bool plc_snapshot_is_backup(const struct plc_snapshot *s) { return s->backup; }
uint64_t plc_snapshot_get_seq(const struct plc_snapshot *s) { return s->seq; }
uint64_t plc_snapshot_get_time_ns(const struct plc_snapshot *s) { return s->time_ns; }
const char *plc_snapshot_get_layout_name(const struct plc_snapshot *s) { return s->layout; }
unsigned plc_snapshot_get_layout_version(const struct plc_snapshot *s) { return s->version; }
uint64_t plc_snapshot_get_layout_hash(const struct plc_snapshot *s) { return s->hash; }
size_t plc_snapshot_tag_count(const struct plc_snapshot *s) { return s->ntags; }

const struct plc_snapshot_tag *plc_snapshot_tag_at(const struct plc_snapshot *s, size_t i)
{
    return i < s->ntags ? &s->tags[i] : NULL;
}

const struct plc_snapshot_tag *plc_snapshot_find_tag(const struct plc_snapshot *s,
                                                     const char *name)
{
    struct plc_snapshot_tag key;
    const struct plc_snapshot_tag *k = &key;
    snprintf(key.name, sizeof(key.name), "%s", name);
    const struct plc_snapshot_tag **hit =
        s->byname ? bsearch(&k, s->byname, s->ntags, sizeof(*s->byname), cmp_snap) : NULL;
    if (hit)
        return *hit;
    errno = ENOENT;
    return NULL;
}

/* ---- restoring ------------------------------------------------------------------- */

size_t plc_retain_restore_region(const struct plc_snapshot *s, const struct plc_layout *l,
                                 const struct plc_region_def *def, void *data,
                                 plc_retain_log_fn *log, void *user)
{
    size_t restored = 0;
    char v[48], lo[48], hi[48];
    memset(data, 0, def->data_size);
    for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(l, i);
        plc_tag_encode(t, t->initial, data);
        if (!t->retain || !s)
            continue;
        const struct plc_snapshot_tag *st = plc_snapshot_find_tag(s, t->name);
        plc_type_format_value(t->type, t->initial, v, sizeof(v));
        if (!st) {
            logf_(log, user, PLC_LOG_NOTICE,
                  "tag '%s' (region '%s') is not in snapshot %s: initial value %s", t->name,
                  def->name, s->path, v);
            continue;
        }
        if (st->type != t->type) {
            logf_(log, user, PLC_LOG_WARNING,
                  "tag '%s' (region '%s') was stored as %s, the layout now says %s: dropped, "
                  "initial value %s",
                  t->name, def->name, plc_type_name(st->type), plc_type_name(t->type), v);
            continue;
        }
        if (!(st->value >= t->min && st->value <= t->max)) {
            char sv[48];
            plc_type_format_value(t->type, st->value, sv, sizeof(sv));
            plc_type_format_value(t->type, t->min, lo, sizeof(lo));
            plc_type_format_value(t->type, t->max, hi, sizeof(hi));
            logf_(log, user, PLC_LOG_WARNING,
                  "tag '%s' (region '%s'): stored value %s is outside min..max (%s..%s): "
                  "dropped, initial value %s",
                  t->name, def->name, sv, lo, hi, v);
            continue;
        }
        plc_tag_encode(t, st->value, data);
        restored++;
    }
    return restored;
}

size_t plc_retain_report_dropped(const struct plc_snapshot *s, const struct plc_layout *l,
                                 plc_retain_log_fn *log, void *user)
{
    size_t n = 0, nr;
    const struct plc_tag_def **kept = s ? retained_by_name(l, &nr) : NULL;
    for (size_t i = 0; kept && i < s->ntags; i++) {
        if (find_retained(kept, nr, s->tags[i].name))
            continue;
        const struct plc_tag_def *t = plc_layout_find_tag(l, s->tags[i].name);
        n++;
        char v[48];
        plc_type_format_value(s->tags[i].type, s->tags[i].value, v, sizeof(v));
        logf_(log, user, PLC_LOG_WARNING, "tag '%s' (stored %s %s) %s: dropped",
              s->tags[i].name, plc_type_name(s->tags[i].type), v,
              t ? "is no longer retained in the layout" : "is not in the layout any more");
    }
    free(kept);
    return n;
}

/* ---- showing --------------------------------------------------------------------- */

static void format_age(uint64_t then_ns, char *buf, size_t len)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t age = (int64_t)((uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec - then_ns);
    if (age < 0)
        snprintf(buf, len, "in the future: check the clock");
    else if (age < 120 * 1000000000ll)
        snprintf(buf, len, "%.1f s ago", (double)age / 1e9);
    else if (age < 7200 * 1000000000ll)
        snprintf(buf, len, "%.0f min ago", (double)age / 60e9);
    else
        snprintf(buf, len, "%.1f h ago", (double)age / 3600e9);
}

int plc_retain_show(const struct plc_layout *l, const char *base, const char *dir, FILE *out,
                    struct plc_diag *diag)
{
    char fallback[1400] = "";
    struct plc_snapshot *s = plc_snapshot_load_newest(dir, plc_layout_get_name(l), NULL, NULL,
                                                      diag);
    if (!s)
        return -1;
    if (s->backup) {
        char cur[PATH_MAX];
        struct plc_diag d;
        plc_snapshot_path(dir, plc_layout_get_name(l), PLC_SNAPSHOT_CURRENT, cur, sizeof(cur));
        if (plc_snapshot_load(cur, &d))
            snprintf(fallback, sizeof(fallback), "(current file appeared while reading)");
        else
            plc_diag_format(&d, fallback, sizeof(fallback));
    }
    char when[64], age[64];
    time_t sec = (time_t)(s->time_ns / 1000000000u);
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    format_age(s->time_ns, age, sizeof(age));
    fprintf(out, "snapshot: %s%s\n", s->path, s->backup ? " (the backup)" : "");
    if (s->backup)
        fprintf(out, "          current file unusable: %s\n", fallback);
    fprintf(out, "taken:    %s (%s)\n", when, age);
    fprintf(out, "sequence: %" PRIu64 "\n", s->seq);
    bool same = strcmp(s->layout, plc_layout_get_name(l)) == 0 &&
                s->version == plc_layout_get_version(l) && s->hash == plc_layout_get_hash(l);
    fprintf(out, "layout:   %s version %u hash %016" PRIx64 "%s\n", s->layout, s->version,
            s->hash, same ? " (the running layout)" : " (not the running layout)");
    fprintf(out, "%-24s %-12s %-8s %14s %14s\n", "TAG", "REGION", "TYPE", "STORED", "LIVE");

    for (size_t r = 0; r < plc_layout_region_count(l); r++) {
        const struct plc_region_def *def = plc_layout_region_at(l, r);
        struct plc_region *reg = NULL;
        for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++) {
            const struct plc_tag_def *t = plc_layout_tag_at(l, i);
            if (!t->retain)
                continue;
            if (!reg)
                reg = plc_region_attach(l, base, def->name, PLC_READER, NULL, NULL);
            const struct plc_snapshot_tag *st = plc_snapshot_find_tag(s, t->name);
            char stored[48] = "-", live[48] = "-";
            double v;
            if (st && st->type == t->type)
                plc_type_format_value(t->type, st->value, stored, sizeof(stored));
            else if (st)
                snprintf(stored, sizeof(stored), "(%s)", plc_type_name(st->type));
            if (reg && plc_region_read_tag(reg, t, &v) == 0)
                plc_type_format_value(t->type, v, live, sizeof(live));
            fprintf(out, "%-24s %-12s %-8s %14s %14s\n", t->name, def->name,
                    plc_type_name(t->type), stored, live);
        }
        plc_region_detach(reg);
    }
    size_t nr;
    const struct plc_tag_def **kept = retained_by_name(l, &nr);
    for (size_t i = 0; kept && i < s->ntags; i++) {
        if (find_retained(kept, nr, s->tags[i].name))
            continue;
        const struct plc_tag_def *t = plc_layout_find_tag(l, s->tags[i].name);
        char stored[48];
        plc_type_format_value(s->tags[i].type, s->tags[i].value, stored, sizeof(stored));
        fprintf(out, "%-24s %-12s %-8s %14s %14s\n", s->tags[i].name,
                t ? "(not kept)" : "(gone)", plc_type_name(s->tags[i].type), stored, "-");
    }
    free(kept);
    plc_snapshot_free(s);
    return 0;
}
