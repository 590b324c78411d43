/* SPDX-License-Identifier: MIT */
/*
 * struct plc_snapshot: a retain file read, checked and held in memory; the
 * files of a snapshot directory, and the choice between current and backup.
 * plc_snapshot_write() (snapshot-write.c) writes the format described here;
 * what is done with a loaded snapshot and a layout is in retain.c.
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
 * exactly, but int64 and uint64 values, written as their integers (a double
 * holds no more than 2^53). The file must end right after the CRC line's newline.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "retain-internal.h"

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

struct plc_value plc_snapshot_tag_get(const struct plc_snapshot_tag *tag)
{
    return plc_value_from_slot(tag->type, &tag->value);
}

void plc_snapshot_tag_set(struct plc_snapshot_tag *tag, enum plc_type type,
                          const struct plc_value *v)
{
    tag->type = type;
    plc_value_to_slot(type, v, &tag->value);
}

/* A stored value must be one the type can hold (checked before any cast). */
static bool value_fits(enum plc_type type, double v)
{
    switch (type) {
    case PLC_TYPE_INT8: return v == trunc(v) && v >= INT8_MIN && v <= INT8_MAX;
    case PLC_TYPE_UINT8: return v == trunc(v) && v >= 0 && v <= UINT8_MAX;
    case PLC_TYPE_FLOAT64: return true;
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
        bool ok;
        if (plc_type_is_wide_int(t->type)) {
            struct plc_value v;
            ok = plc_value_parse(t->type, value, &v) == 0;
            plc_snapshot_tag_set(t, t->type, &v);
        } else {
            t->value = strtod(value, &end);
            ok = !*end && errno != ERANGE && t->type != PLC_TYPE_ERROR &&
                 value_fits(t->type, t->value);
        }
        if (!name_ok(name) || !ok)
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
    if (!S_ISREG(st.st_mode) || st.st_size > (off_t)SNAPSHOT_MAX_BYTES) {
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
            plc_logf(log, user, PLC_LOG_WARNING,
                            "%s is missing: using the backup %s (seq %" PRIu64 ")", cur, bak,
                            s->seq);
        else {
            plc_diag_format(&d1, msg, sizeof(msg));
            plc_logf(log, user, PLC_LOG_WARNING,
                            "%s: using the backup %s (seq %" PRIu64 ")", msg, bak, s->seq);
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

