/* SPDX-License-Identifier: MIT */
/*
 * struct plc_force_table: the forcing table plcctl writes and the services
 * apply (plc-force.h); the bytes and the seqlock are in force-format.h.
 *
 * Why one seqlock for the whole table rather than a commit word per entry, as
 * the event ring has: the table changes a few times an hour, by hand, while
 * every applier looks at it every cycle; one generation word makes "nothing
 * changed" a single load, and a forced tag and its release are whole-table
 * facts (unforce --all) that readers should see at once.
 *
 * Shelvings ride in the same file because they are the same kind of fact:
 * an operator's override with who, since and until, written only by plcctl,
 * cleared at boot. They have their own entries after the forces', so a force
 * never finds the table full of shelvings, and the force calls never look at
 * them.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "force-format.h"
#include "internal.h"

#define READ_TRIES 1000 /* copies torn by a writer before a reader gives up */

struct plc_force_table {
    const struct plc_layout *layout;
    int fd;
    struct plc_force_header *h;
    struct plc_force_entry *live; /* the entries in the file */
    bool writer;
    uint64_t my_claim;
    /* readers: the last complete copy, and which forces this handle applied */
    uint64_t gen;
    struct plc_force_entry copy[PLC_FORCE_ENTRIES];
    bool applied[PLC_FORCE_CAPACITY];
    unsigned used;         /* forces of the copy that are not free */
    uint64_t shelved_gen;  /* the copy's gen plc_force_table_poll_shelved() last gave */
    struct plc_event_ring *events;
    enum plc_event_source source;
    char path[PATH_MAX];
};

int plc_force_table_path(const struct plc_layout *layout, const char *base, char *buf,
                         size_t len)
{
    return plc_region_path(layout, base, "force", buf, len);
}

/* ---- what may be forced, to what ------------------------------------------------ */

int plc_force_tag_check(const struct plc_tag_def *tag, struct plc_diag *diag)
{
    const struct plc_region_def *r = tag->region;
    if (strcmp(r->writer, "io") == 0 || r->gpio_dir == PLC_GPIO_OUTPUT)
        return 1;
    plc_diag_set(diag, NULL,
                 "tag '%s' is in region '%s' (written by %s): only inputs and outputs can be "
                 "forced",
                 tag->name, r->name, r->writer);
    return 0;
}

/* Whether @v is a value of @type: within it, and a float finite. */
static bool value_ok(enum plc_type type, const struct plc_value *v)
{
    struct plc_value lo, hi;
    if (plc_value_range(type, &lo, &hi) < 0)
        return false;
    if ((type == PLC_TYPE_FLOAT32 || type == PLC_TYPE_FLOAT64) && !isfinite(v->f))
        return false;
    return plc_value_in_range(type, v, &lo, &hi);
}

/* An entry's value (plc_value_from_slot()); false when it holds no value of
 * @type (a torn or foreign entry): a double of an older integer type must be
 * whole and within the type, checked before any conversion. */
static bool entry_value(enum plc_type type, const struct plc_force_entry *e,
                        struct plc_value *v)
{
    double d = e->value;
    bool older_int = !plc_type_is_wide_int(type) && type != PLC_TYPE_FLOAT32 &&
                     type != PLC_TYPE_FLOAT64;
    if (older_int && !(d >= INT32_MIN && d <= UINT32_MAX && d == trunc(d)))
        return false;
    *v = plc_value_from_slot(type, &e->value);
    if (older_int && plc_value_to_double(type, v) != d) /* clamped: outside the type */
        return false;
    return value_ok(type, v);
}

int plc_force_value_parse(const struct plc_tag_def *tag, const char *text,
                          struct plc_value *value, struct plc_diag *diag)
{
    static const char *const want[] = {
        [PLC_TYPE_BOOL] = "0, 1, true or false",
        [PLC_TYPE_INT8] = "an integer from -128 to 127",
        [PLC_TYPE_UINT8] = "an integer from 0 to 255",
        [PLC_TYPE_INT16] = "an integer from -32768 to 32767",
        [PLC_TYPE_UINT16] = "an integer from 0 to 65535",
        [PLC_TYPE_INT32] = "an integer from -2147483648 to 2147483647",
        [PLC_TYPE_UINT32] = "an integer from 0 to 4294967295",
        [PLC_TYPE_INT64] = "an integer from -9223372036854775808 to 9223372036854775807",
        [PLC_TYPE_UINT64] = "an integer from 0 to 18446744073709551615",
        [PLC_TYPE_FLOAT32] = "a finite number within +-3.40282346e38",
        [PLC_TYPE_FLOAT64] = "a finite number within +-1.7976931348623157e308",
    };
    if (plc_value_parse(tag->type, text, value) == 0 && value_ok(tag->type, value))
        return 0;
    int err = errno == ERANGE ? ERANGE : EINVAL;
    return plc_diag_fail(diag, NULL, err, "tag '%s' is %s: '%s' is %s (%s)", tag->name,
                         plc_type_name(tag->type), text,
                         err == ERANGE ? "out of range" : "not a value of the type",
                         want[tag->type]);
}

/* The layout's tag an entry names, if the entry checks out: a free entry, a
 * torn one or one of another layout gives NULL. */
static const struct plc_tag_def *entry_tag(const struct plc_layout *l,
                                           const struct plc_force_entry *e)
{
    if (e->tag == 0 || e->tag > plc_layout_tag_count(l))
        return NULL;
    const struct plc_tag_def *t = plc_layout_tag_at(l, e->tag - 1);
    struct plc_value v;
    if (strncmp(t->name, e->tag_name, sizeof(e->tag_name)) != 0 ||
        !plc_force_tag_check(t, NULL) || !entry_value(t->type, e, &v) ||
        memchr(e->user, '\0', sizeof(e->user)) == NULL)
        return NULL;
    return t;
}

/* The layout's alarm a shelving entry names, if it checks out (as entry_tag()). */
static const struct plc_alarm_def *entry_alarm(const struct plc_layout *l,
                                               const struct plc_force_entry *e)
{
    uint32_t i = e->tag & ~PLC_FORCE_ALARM_BIT;
    if (!(e->tag & PLC_FORCE_ALARM_BIT) || i == 0 || i > plc_layout_alarm_count(l))
        return NULL;
    const struct plc_alarm_def *a = plc_layout_alarm_at(l, i - 1);
    if (strncmp(a->name, e->tag_name, sizeof(e->tag_name) - 1) != 0 ||
        e->tag_name[sizeof(e->tag_name) - 1] != '\0' || e->until_ns <= e->since_ns ||
        memchr(e->user, '\0', sizeof(e->user)) == NULL)
        return NULL;
    return a;
}

/* Whether entry @i of the file (a force or a shelving, by where it is) checks out. */
static bool entry_ok(const struct plc_layout *l, unsigned i, const struct plc_force_entry *e)
{
    return i < PLC_FORCE_CAPACITY ? entry_tag(l, e) != NULL : entry_alarm(l, e) != NULL;
}

static bool in_force(const struct plc_force_entry *e, int64_t now)
{
    return now < e->until_ns;
}

static void to_force(const struct plc_force_entry *e, const struct plc_tag_def *t,
                     struct plc_force *f)
{
    f->tag = t;
    entry_value(t->type, e, &f->value); /* checked by entry_tag() */
    f->since_ns = e->since_ns;
    f->until_ns = e->until_ns;
    f->uid = e->uid;
    memcpy(f->user, e->user, sizeof(f->user));
}

static void to_shelving(const struct plc_force_entry *e, const struct plc_alarm_def *a,
                        struct plc_shelving *s)
{
    s->alarm = a;
    s->index = (e->tag & ~PLC_FORCE_ALARM_BIT) - 1;
    s->since_ns = e->since_ns;
    s->until_ns = e->until_ns;
    s->uid = e->uid;
    memcpy(s->user, e->user, sizeof(s->user));
}

/* ---- the file --------------------------------------------------------------------- */

static int check_header(const struct plc_force_header *h, const struct plc_layout *l,
                        size_t size, const char *path, struct plc_diag *diag)
{
    uint64_t magic = atomic_load_explicit(&h->magic, memory_order_acquire);
    if (magic != PLC_FORCE_MAGIC)
        return plc_fail(diag, path, PLC_EMAGIC,
                        "not a RaspiPLC force table (bad magic %016" PRIx64 ")", magic);
    if (h->format != PLC_FORCE_FORMAT || h->header_size != PLC_FORCE_HEADER_SIZE ||
        h->entry_size != PLC_FORCE_ENTRY_SIZE || h->capacity != PLC_FORCE_CAPACITY ||
        h->shelve_capacity != PLC_SHELVE_CAPACITY)
        return plc_fail(diag, path, PLC_EFORMAT,
                        "force table has format %u (%u entries); this build reads format %u "
                        "(%u entries)",
                        h->format, h->capacity, PLC_FORCE_FORMAT, PLC_FORCE_CAPACITY);
    if (size != PLC_FORCE_FILE_SIZE)
        return plc_fail(diag, path, PLC_ESIZE, "force table is %zu bytes, not %u", size,
                        PLC_FORCE_FILE_SIZE);
    if (h->layout_hash != plc_layout_get_hash(l))
        return plc_fail(diag, path, PLC_ELAYOUT,
                        "force table was made for layout hash %016" PRIx64 ", not %016" PRIx64
                        " (run plc-shm-init)",
                        h->layout_hash, plc_layout_get_hash(l));
    return 0;
}

/* Open and map @path into @t; writers read-write. */
static int map_table(struct plc_force_table *t, bool writer, struct plc_diag *diag)
{
    t->fd = open(t->path, (writer ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC);
    if (t->fd < 0) {
        int err = errno;
        struct stat st;
        if (err == ENOENT)
            return plc_fail(diag, t->path, ENOENT,
                            "force table not found: has plc-shm-init run?");
        if (err == ELOOP)
            return plc_fail(diag, t->path, PLC_EPATH, "force table is a symlink");
        if (err == EACCES && writer && stat(t->path, &st) == 0) {
            struct group *g = getgrgid(st.st_gid);
            return plc_fail(diag, t->path, EACCES,
                            "force table: permission denied: only members of group '%s' may "
                            "force",
                            g ? g->gr_name : "?");
        }
        return plc_fail(diag, t->path, err, "force table: cannot open: %s", strerror(err));
    }
    struct stat st;
    if (fstat(t->fd, &st) < 0 || !S_ISREG(st.st_mode))
        return plc_fail(diag, t->path, PLC_EPATH, "force table is not a regular file");
    if ((size_t)st.st_size < PLC_FORCE_HEADER_SIZE)
        return plc_fail(diag, t->path, PLC_ESIZE, "force table is %jd bytes, too small",
                        (intmax_t)st.st_size);
    void *m = mmap(NULL, (size_t)st.st_size, writer ? PROT_READ | PROT_WRITE : PROT_READ,
                   MAP_SHARED, t->fd, 0);
    if (m == MAP_FAILED)
        return plc_fail(diag, t->path, errno, "force table: mmap: %s", strerror(errno));
    t->h = m;
    t->live = (struct plc_force_entry *)((unsigned char *)m + PLC_FORCE_HEADER_SIZE);
    if ((size_t)st.st_size != PLC_FORCE_FILE_SIZE) {
        munmap(m, (size_t)st.st_size);
        t->h = NULL;
        return plc_fail(diag, t->path, PLC_ESIZE, "force table is %jd bytes, not %u",
                        (intmax_t)st.st_size, PLC_FORCE_FILE_SIZE);
    }
    return check_header(t->h, t->layout, PLC_FORCE_FILE_SIZE, t->path, diag);
}

/* ---- the writer ------------------------------------------------------------------- */

static void write_begin(struct plc_force_table *t)
{
    uint64_t g = atomic_load_explicit(&t->h->gen, memory_order_relaxed);
    atomic_store_explicit(&t->h->gen, g | 1u, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
}

static void write_end(struct plc_force_table *t)
{
    uint64_t g = atomic_load_explicit(&t->h->gen, memory_order_relaxed);
    atomic_store_explicit(&t->h->gen, (g | 1u) + 1u, memory_order_release);
}

/* A dead writer may have left gen odd and an entry half written: drop what
 * does not check out, and make the table readable again. */
static void take_over(struct plc_force_table *t)
{
    if (!(atomic_load_explicit(&t->h->gen, memory_order_acquire) & 1u))
        return;
    for (unsigned i = 0; i < PLC_FORCE_ENTRIES; i++)
        if (t->live[i].tag && !entry_ok(t->layout, i, &t->live[i]))
            memset(&t->live[i], 0, sizeof(t->live[i]));
    write_end(t);
}

static int claim(struct plc_force_table *t, struct plc_diag *diag)
{
    int took = plc_claim_file(&t->h->claim, t->h->holder, t->path, "force table", &t->my_claim,
                              diag);
    if (took < 0)
        return -1;
    t->writer = true;
    if (took)
        atomic_fetch_add_explicit(&t->h->takeovers, 1, memory_order_relaxed);
    take_over(t);
    return 0;
}

struct plc_force_table *plc_force_table_open(const struct plc_layout *layout, const char *base,
                                             enum plc_access access, struct plc_diag *diag)
{
    plc_diag_clear(diag);
    struct plc_force_table *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->layout = layout;
    t->fd = -1;
    t->gen = 1; /* odd: no copy taken yet */
    if (plc_force_table_path(layout, base, t->path, sizeof(t->path)) < 0) {
        plc_fail(diag, base, ENAMETOOLONG, "force table: path is too long");
        goto fail;
    }
    if (map_table(t, access == PLC_WRITER, diag) < 0 ||
        (access == PLC_WRITER && claim(t, diag) < 0))
        goto fail;
    return t;
fail:;
    int err = errno;
    plc_force_table_close(t);
    errno = err;
    return NULL;
}

void plc_force_table_close(struct plc_force_table *t)
{
    if (!t)
        return;
    if (t->writer)
        plc_claim_release(&t->h->claim, t->my_claim);
    if (t->h)
        munmap(t->h, PLC_FORCE_FILE_SIZE);
    if (t->fd >= 0)
        close(t->fd);
    free(t);
}

/* Write @e into entries [first, first + cap): over the entry of the same tag,
 * else into a free one, else over one expired. -1 with errno ENOSPC. */
static int put_entry(struct plc_force_table *t, unsigned first, unsigned cap,
                     const struct plc_force_entry *e)
{
    struct plc_force_entry *live = t->live + first;
    int slot = -1, expired = -1;
    for (unsigned i = 0; i < cap; i++) {
        if (live[i].tag == e->tag) {
            slot = (int)i; /* the tag's own entry is replaced */
            break;
        }
        if (slot < 0 && live[i].tag == 0)
            slot = (int)i;
        if (expired < 0 && live[i].tag && !in_force(&live[i], e->since_ns))
            expired = (int)i; /* reused only when the table is full */
    }
    if (slot < 0)
        slot = expired;
    if (slot < 0) {
        errno = ENOSPC;
        return -1;
    }
    write_begin(t);
    live[slot] = *e;
    write_end(t);
    return 0;
}

/*
 * Free the entries [first, first + cap) of tag @tag (0: every one), handing
 * each that checks out and is still in force to @released (its index among
 * those) before it goes. An expired entry of another tag stays for its
 * applier to tell. Returns how many were in force.
 */
static size_t free_entries(struct plc_force_table *t, unsigned first, unsigned cap, uint32_t tag,
                           void (*released)(void *user, size_t n, const struct plc_force_entry *e),
                           void *user)
{
    int64_t now = (int64_t)plc_realtime_ns();
    size_t n = 0;
    write_begin(t);
    for (unsigned i = first; i < first + cap; i++) {
        struct plc_force_entry *e = &t->live[i];
        if (!e->tag || (tag && e->tag != tag))
            continue;
        if (entry_ok(t->layout, i, e) && in_force(e, now))
            released(user, n++, e);
        memset(e, 0, sizeof(*e));
    }
    write_end(t);
    return n;
}

int plc_force_table_set(struct plc_force_table *t, const struct plc_force *f)
{
    if (!t->writer) {
        errno = EPERM;
        return -1;
    }
    if (!plc_force_tag_check(f->tag, NULL) || !value_ok(f->tag->type, &f->value)) {
        errno = EINVAL;
        return -1;
    }
    size_t index = (size_t)(f->tag - plc_layout_tag_at(t->layout, 0));
    struct plc_force_entry e = {.tag = (uint32_t)index + 1,
                                .uid = f->uid,
                                .since_ns = f->since_ns,
                                .until_ns = f->until_ns};
    plc_value_to_slot(f->tag->type, &f->value, &e.value);
    snprintf(e.user, sizeof(e.user), "%s", f->user);
    snprintf(e.tag_name, sizeof(e.tag_name), "%s", f->tag->name);
    return put_entry(t, 0, PLC_FORCE_CAPACITY, &e);
}

struct released {
    const struct plc_layout *layout;
    void *out; /* struct plc_force or struct plc_shelving */
    size_t max;
};

static void released_force(void *user, size_t n, const struct plc_force_entry *e)
{
    struct released *r = user;
    if (r->out && n < r->max)
        to_force(e, entry_tag(r->layout, e), (struct plc_force *)r->out + n);
}

int plc_force_table_clear(struct plc_force_table *t, const struct plc_tag_def *tag,
                          struct plc_force *released, size_t max)
{
    if (!t->writer) {
        errno = EPERM;
        return -1;
    }
    struct released r = {t->layout, released, max};
    uint32_t which = tag ? (uint32_t)(tag - plc_layout_tag_at(t->layout, 0)) + 1 : 0;
    return (int)free_entries(t, 0, PLC_FORCE_CAPACITY, which, released_force, &r);
}

/* ---- making it empty (plc-shm-init) ------------------------------------------------ */

static int set_mode_and_group(int fd, const char *path, const char *group,
                              struct plc_diag *diag)
{
    if (fchmod(fd, 0660) < 0)
        return plc_fail(diag, path, errno, "force table: cannot set mode 0660: %s",
                        strerror(errno));
    if (!group || !group[0])
        return 0;
    struct group *g = getgrnam(group);
    if (!g)
        return plc_fail(diag, path, ENOENT, "force table: group '%s' does not exist", group);
    if (fchown(fd, (uid_t)-1, g->gr_gid) < 0)
        return plc_fail(diag, path, errno, "force table: cannot give it to group '%s': %s",
                        group, strerror(errno));
    return 0;
}

/* A new empty table under a temporary name, renamed over whatever is at @path. */
static int make_table(const struct plc_layout *l, const char *path, const char *group,
                      struct plc_diag *diag)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
        return plc_fail(diag, path, ENAMETOOLONG, "force table: path is too long");
    int fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return plc_fail(diag, tmp, errno, "force table: cannot create: %s", strerror(errno));
    int rc = set_mode_and_group(fd, path, group, diag);
    if (rc == 0 && ftruncate(fd, PLC_FORCE_FILE_SIZE) < 0)
        rc = plc_fail(diag, path, errno, "force table: cannot size it: %s", strerror(errno));
    struct plc_force_header *h = MAP_FAILED;
    if (rc == 0) {
        h = mmap(NULL, PLC_FORCE_HEADER_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (h == MAP_FAILED)
            rc = plc_fail(diag, path, errno, "force table: mmap: %s", strerror(errno));
    }
    if (rc == 0) {
        h->format = PLC_FORCE_FORMAT;
        h->header_size = PLC_FORCE_HEADER_SIZE;
        h->entry_size = PLC_FORCE_ENTRY_SIZE;
        h->capacity = PLC_FORCE_CAPACITY;
        h->shelve_capacity = PLC_SHELVE_CAPACITY;
        h->layout_hash = plc_layout_get_hash(l);
        h->created_ns = plc_realtime_ns();
        atomic_store_explicit(&h->gen, 2, memory_order_relaxed);
        atomic_store_explicit(&h->magic, PLC_FORCE_MAGIC, memory_order_release);
        munmap(h, PLC_FORCE_HEADER_SIZE);
        if (rename(tmp, path) < 0)
            rc = plc_fail(diag, path, errno, "force table: cannot put it in place: %s",
                          strerror(errno));
    }
    int err = errno;
    close(fd);
    if (rc < 0)
        unlink(tmp);
    errno = err;
    return rc;
}

enum plc_create_result plc_force_table_create(const struct plc_layout *layout, const char *base,
                                              const char *group, struct plc_diag *diag)
{
    struct plc_diag ignored;
    char path[PATH_MAX];
    plc_diag_clear(diag);
    if (plc_force_table_path(layout, base, path, sizeof(path)) < 0)
        return plc_fail(diag, base, ENAMETOOLONG, "force table: path is too long");
    struct plc_force_table *t = plc_force_table_open(layout, base, PLC_WRITER, &ignored);
    if (!t && errno == PLC_EHELD)
        return plc_fail(diag, path, PLC_EHELD, "%s: try again", ignored.msg);
    if (!t)
        return make_table(layout, path, group, diag) == 0 ? PLC_CREATE_MADE : PLC_CREATE_ERROR;
    /* Ours: empty it in place, so that services which have it open see it. */
    write_begin(t);
    memset(t->live, 0, PLC_FORCE_ENTRIES * sizeof(*t->live));
    write_end(t);
    int rc = set_mode_and_group(t->fd, path, group, diag);
    plc_force_table_close(t);
    return rc == 0 ? PLC_CREATE_KEPT : PLC_CREATE_ERROR;
}

/* ---- readers ------------------------------------------------------------------------ */

/*
 * The copy races with a writer by design: the generation check throws a torn
 * copy away (force-format.h). The ThreadSanitizer exception covers this
 * function only, as for regions and event rings.
 */
#if defined(__SANITIZE_THREAD__)
__attribute__((no_sanitize("thread"), noinline))
#endif
static void copy_entries(struct plc_force_entry *dst, const struct plc_force_entry *src)
{
    memcpy(dst, src, PLC_FORCE_ENTRIES * sizeof(*dst));
}

/*
 * Bring the handle's copy up to date: one load when nothing changed. A table
 * being written keeps the last copy (a writer dead mid-write keeps it until
 * the next plcctl). Slots whose force changed forget that it was applied.
 * Returns 0, or -1 when @tries copies were all torn or none was ever taken.
 */
static int refresh(struct plc_force_table *t, int tries)
{
    for (int i = 0; i < tries; i++) {
        uint64_t g = atomic_load_explicit(&t->h->gen, memory_order_acquire);
        if (g == t->gen && !t->writer) /* a writer's own changes leave its gen behind */
            return 0;
        if (g & 1u)
            continue;
        struct plc_force_entry next[PLC_FORCE_ENTRIES];
        copy_entries(next, t->live);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&t->h->gen, memory_order_relaxed) != g)
            continue;
        for (unsigned k = 0; k < PLC_FORCE_CAPACITY; k++)
            if (next[k].tag != t->copy[k].tag || next[k].since_ns != t->copy[k].since_ns)
                t->applied[k] = false;
        memcpy(t->copy, next, sizeof(next));
        t->gen = g;
        t->used = 0;
        for (unsigned k = 0; k < PLC_FORCE_CAPACITY; k++)
            t->used += next[k].tag != 0;
        return 0;
    }
    return t->gen & 1u ? -1 : 0;
}

int plc_force_table_list(struct plc_force_table *t, int64_t now, struct plc_force *out)
{
    if (refresh(t, READ_TRIES) < 0) {
        errno = PLC_EBUSY;
        return -1;
    }
    int n = 0;
    if (!t->used)
        return 0;
    if (now <= 0)
        now = (int64_t)plc_realtime_ns();
    for (unsigned i = 0; i < PLC_FORCE_CAPACITY; i++) {
        const struct plc_tag_def *tag = entry_tag(t->layout, &t->copy[i]);
        if (!tag || !in_force(&t->copy[i], now))
            continue;
        if (out)
            to_force(&t->copy[i], tag, &out[n]);
        n++;
    }
    return n;
}

int plc_force_table_find(struct plc_force_table *t, const struct plc_tag_def *tag, int64_t now,
                         struct plc_force *out)
{
    refresh(t, READ_TRIES);
    if (now <= 0)
        now = (int64_t)plc_realtime_ns();
    for (unsigned i = 0; i < PLC_FORCE_CAPACITY; i++) {
        if (entry_tag(t->layout, &t->copy[i]) != tag || !in_force(&t->copy[i], now))
            continue;
        if (out)
            to_force(&t->copy[i], tag, out);
        return 1;
    }
    return 0;
}

void plc_force_table_set_events(struct plc_force_table *t, struct plc_event_ring *ring,
                                enum plc_event_source source)
{
    t->events = ring;
    t->source = source;
}

static void tell_expired(struct plc_force_table *t, const struct plc_tag_def *tag,
                         const struct plc_force_entry *e)
{
    struct plc_event ev;
    if (!t->events ||
        plc_event_init(&ev, t->source, PLC_EVENT_FORCE_OFF, LOG_NOTICE, e->tag_name,
                       "expired") < 0)
        return;
    struct plc_value v;
    entry_value(tag->type, e, &v); /* checked by entry_tag() */
    ev.before = plc_value_to_double(tag->type, &v);
    plc_event_ring_append(t->events, &ev);
}

size_t plc_force_table_apply(struct plc_force_table *t, const struct plc_region_def *def,
                             void *data, int64_t now)
{
    refresh(t, 1);
    size_t n = 0;
    for (unsigned i = 0; t->used && i < PLC_FORCE_CAPACITY; i++) {
        const struct plc_force_entry *e = &t->copy[i];
        if (!e->tag)
            continue;
        const struct plc_tag_def *tag = entry_tag(t->layout, e);
        if (!tag || tag->region != def)
            continue;
        if (!in_force(e, now)) {
            if (t->applied[i])
                tell_expired(t, tag, e);
            t->applied[i] = false;
            continue;
        }
        struct plc_value v;
        entry_value(tag->type, e, &v); /* checked by entry_tag() */
        plc_value_store(tag->type, &v, (unsigned char *)data + tag->offset);
        t->applied[i] = true;
        n++;
    }
    return n;
}

/* ---- shelvings ---------------------------------------------------------------------- */

static const struct plc_force_entry *shelf(const struct plc_force_entry *entries)
{
    return entries + PLC_FORCE_CAPACITY;
}

int plc_force_table_shelve(struct plc_force_table *t, const struct plc_shelving *s)
{
    if (!t->writer) {
        errno = EPERM;
        return -1;
    }
    size_t count = plc_layout_alarm_count(t->layout);
    size_t index = count ? (size_t)(s->alarm - plc_layout_alarm_at(t->layout, 0)) : 0;
    if (!count || index >= count || plc_layout_alarm_at(t->layout, index) != s->alarm ||
        s->until_ns <= s->since_ns) {
        errno = EINVAL;
        return -1;
    }
    if ((s->until_ns - s->since_ns) / 1000000000 > (int64_t)s->alarm->shelve_max_s) {
        errno = ERANGE;
        return -1;
    }
    struct plc_force_entry e = {.tag = PLC_FORCE_ALARM_BIT | (uint32_t)(index + 1),
                                .uid = s->uid,
                                .since_ns = s->since_ns,
                                .until_ns = s->until_ns};
    snprintf(e.user, sizeof(e.user), "%s", s->user);
    snprintf(e.tag_name, sizeof(e.tag_name), "%.*s", (int)sizeof(e.tag_name) - 1,
             s->alarm->name); /* a long name's first 63 characters: entry_alarm() knows */
    return put_entry(t, PLC_FORCE_CAPACITY, PLC_SHELVE_CAPACITY, &e);
}

static void released_shelving(void *user, size_t n, const struct plc_force_entry *e)
{
    struct released *r = user;
    if (r->out && n < r->max)
        to_shelving(e, entry_alarm(r->layout, e), (struct plc_shelving *)r->out + n);
}

int plc_force_table_unshelve(struct plc_force_table *t, const struct plc_alarm_def *alarm,
                             struct plc_shelving *released, size_t max)
{
    if (!t->writer) {
        errno = EPERM;
        return -1;
    }
    struct released r = {t->layout, released, max};
    uint32_t which = 0;
    if (alarm)
        which = PLC_FORCE_ALARM_BIT |
                (uint32_t)(alarm - plc_layout_alarm_at(t->layout, 0) + 1);
    return (int)free_entries(t, PLC_FORCE_CAPACITY, PLC_SHELVE_CAPACITY, which,
                             released_shelving, &r);
}

/* Every shelving of the copy that checks out, in force at @now (0: expired ones too). */
static size_t copy_shelvings(struct plc_force_table *t, int64_t now, struct plc_shelving *out)
{
    const struct plc_force_entry *copy = shelf(t->copy);
    size_t n = 0;
    for (unsigned i = 0; i < PLC_SHELVE_CAPACITY; i++) {
        const struct plc_alarm_def *a = copy[i].tag ? entry_alarm(t->layout, &copy[i]) : NULL;
        if (!a || (now && !in_force(&copy[i], now)))
            continue;
        if (out)
            to_shelving(&copy[i], a, &out[n]);
        n++;
    }
    return n;
}

int plc_force_table_list_shelved(struct plc_force_table *t, int64_t now, struct plc_shelving *out)
{
    if (refresh(t, READ_TRIES) < 0) {
        errno = PLC_EBUSY;
        return -1;
    }
    return (int)copy_shelvings(t, now > 0 ? now : (int64_t)plc_realtime_ns(), out);
}

int plc_force_table_poll_shelved(struct plc_force_table *t, struct plc_shelving *out, size_t *n)
{
    refresh(t, 1);
    if (t->gen == t->shelved_gen || (t->gen & 1u))
        return 0;
    t->shelved_gen = t->gen;
    *n = copy_shelvings(t, 0, out);
    return 1;
}
