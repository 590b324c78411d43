/* SPDX-License-Identifier: MIT */
/*
 * The events view. GET /api/events: the event history on disk, then what the
 * rings hold beyond it (as plcctl events shows them), filtered, newest last.
 * GET /api/events/stream: Server-Sent Events, one per new ring record.
 *
 * Each stream follows the rings with its own reader handles and cursors (a
 * ring has any number of lock-free readers). Rings have no futex to sleep
 * on, so one follower thread looks at the ring heads every 100 ms, only
 * while a stream is open, and wakes the streams when a head moved: an idle
 * stream sleeps on a condition variable, with a timeout for its keep-alive.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "plc-event-history.h"
#include "plc-retain.h"

#define FOLLOW_POLL_MS 100
#define FOLLOW_OPEN_POLLS 10 /* polls between looks for rings not there yet (about 1 s) */

static const enum plc_event_source sources[] = {
    PLC_SOURCE_SHM_INIT, PLC_SOURCE_IO,     PLC_SOURCE_LOGIC, PLC_SOURCE_MODBUS,
    PLC_SOURCE_RETAIN,   PLC_SOURCE_PLCCTL, PLC_SOURCE_WEB,   PLC_SOURCE_MQTT,
};
#define NSOURCES (sizeof(sources) / sizeof(sources[0]))

/* ---- the filter -------------------------------------------------------------------- */

/* A name's enum value among plc_event_*_name(1..), or 0. */
static int find_name(const char *(*name_of)(int), const char *text)
{
    for (int i = 1; strcmp(name_of(i), "?") != 0; i++)
        if (strcmp(name_of(i), text) == 0)
            return i;
    return 0;
}

/* "logic, io, ..." into @p buf: the names a parameter takes. */
static void names(const char *(*name_of)(int), char *buf, size_t len)
{
    size_t n = 0;
    buf[0] = '\0';
    for (int i = 1; strcmp(name_of(i), "?") != 0 && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i > 1 ? ", " : "", name_of(i));
}

/* since: realtime nanoseconds (exclusive), or an age -N{s,min,h,d}. */
static int parse_since(const char *text, int64_t now_ns, int64_t *out)
{
    char *end;
    errno = 0;
    if (text[0] != '-') {
        long long v = strtoll(text, &end, 10);
        if (errno || end == text || *end || v < 0)
            return -1;
        *out = v;
        return 0;
    }
    static const struct {
        const char *unit;
        int64_t ns;
    } units[] = {{"s", 1000000000LL},   {"min", 60000000000LL}, {"h", 3600000000000LL},
                 {"d", 86400000000000LL}};
    unsigned long long n = strtoull(text + 1, &end, 10);
    if (errno || end == text + 1 || n > 36500ull * 86400)
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(end, units[i].unit) == 0) {
            int64_t ago = (int64_t)n * units[i].ns;
            *out = ago < now_ns ? now_ns - ago : 0;
            return 0;
        }
    return -1;
}

int web_event_filter_set(struct web_event_filter *f, const char *key, const char *value,
                         int64_t now_ns, char *err, size_t len)
{
    char list[512];
    const char *v = value ? value : "";
    if (strcmp(key, "since") == 0) {
        if (parse_since(v, now_ns, &f->since_ns) < 0) {
            snprintf(err, len,
                     "query parameter 'since' is '%s': give realtime nanoseconds (an event's "
                     "realtime_ns) or an age such as -30s, -10min, -2h, -1d",
                     v);
            return -1;
        }
        f->since_set = true;
    } else if (strcmp(key, "limit") == 0) {
        char *end;
        errno = 0;
        unsigned long n = strtoul(v, &end, 10);
        if (errno || end == v || *end || v[0] == '-' || n < 1 || n > WEB_EVENTS_LIMIT_MAX) {
            snprintf(err, len, "query parameter 'limit' is '%s': give a number from 1 to %u", v,
                     WEB_EVENTS_LIMIT_MAX);
            return -1;
        }
        f->limit = (unsigned)n;
    } else if (strcmp(key, "source") == 0) {
        if (!(f->source = find_name(plc_event_source_name, v))) {
            names(plc_event_source_name, list, sizeof(list));
            snprintf(err, len, "query parameter 'source' is '%s': give one of %s", v, list);
            return -1;
        }
    } else if (strcmp(key, "kind") == 0) {
        if (!(f->kind = find_name(plc_event_kind_name, v))) {
            names(plc_event_kind_name, list, sizeof(list));
            snprintf(err, len, "query parameter 'kind' is '%s': give one of %s", v, list);
            return -1;
        }
    } else if (strcmp(key, "q") == 0) {
        if (strlen(v) >= sizeof(f->q)) {
            snprintf(err, len, "query parameter 'q' is longer than %zu characters",
                     sizeof(f->q) - 1);
            return -1;
        }
        snprintf(f->q, sizeof(f->q), "%s", v);
    } else {
        snprintf(err, len,
                 "unknown query parameter '%s': the events take since, limit, source, kind, q",
                 key);
        return -1;
    }
    return 0;
}

bool web_event_filter_match(const struct web_event_filter *f, const struct plc_event *ev)
{
    char name[sizeof(ev->name) + 1], text[sizeof(ev->text) + 1];
    if (f->since_set && ev->realtime_ns <= f->since_ns)
        return false;
    if ((f->source && ev->source != f->source) || (f->kind && ev->kind != f->kind))
        return false;
    if (!f->q[0])
        return true;
    snprintf(name, sizeof(name), "%.*s", (int)sizeof(ev->name), ev->name);
    snprintf(text, sizeof(text), "%.*s", (int)sizeof(ev->text), ev->text);
    return strcasestr(name, f->q) || strcasestr(text, f->q);
}

/* ---- records ------------------------------------------------------------------------ */

struct rows {
    struct plc_event_record *v;
    size_t n, cap;
};

static int add(struct rows *rows, const struct plc_event_record *rec)
{
    if (rows->n == rows->cap) {
        size_t cap = rows->cap ? rows->cap * 2 : 256;
        void *v = realloc(rows->v, cap * sizeof(*rows->v));
        if (!v)
            return -1;
        rows->v = v;
        rows->cap = cap;
    }
    rows->v[rows->n++] = *rec;
    return 0;
}

/* One record, with the fields of plcctl events --json and its id. */
static json_object *record_json(const struct plc_event_record *r)
{
    const struct plc_event *ev = &r->ev;
    char when[48], id[64], boot[20], name[sizeof(ev->name) + 1], text[sizeof(ev->text) + 1];
    web_format_time(ev->realtime_ns, when, sizeof(when));
    snprintf(id, sizeof(id), "%s-%016" PRIx64 "-%" PRIu64, plc_event_source_name(ev->source),
             r->ring_id, ev->seq);
    snprintf(boot, sizeof(boot), "%016" PRIx64, r->boot);
    snprintf(name, sizeof(name), "%.*s", (int)sizeof(ev->name), ev->name);
    snprintf(text, sizeof(text), "%.*s", (int)sizeof(ev->text), ev->text);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(id));
    json_object_object_add(o, "time", json_object_new_string(when));
    json_object_object_add(o, "realtime_ns", json_object_new_int64(ev->realtime_ns));
    json_object_object_add(o, "mono_ns", json_object_new_uint64(ev->mono_ns));
    json_object_object_add(o, "boot", json_object_new_string(boot));
    json_object_object_add(o, "source", json_object_new_string(plc_event_source_name(ev->source)));
    json_object_object_add(o, "seq", json_object_new_uint64(ev->seq));
    json_object_object_add(o, "severity",
                           json_object_new_string(plc_event_severity_name(ev->severity)));
    json_object_object_add(o, "priority", json_object_new_int(ev->severity));
    json_object_object_add(o, "kind", json_object_new_string(plc_event_kind_name(ev->kind)));
    json_object_object_add(o, "name", name[0] ? json_object_new_string(name) : NULL);
    if (plc_event_has_values(ev)) { /* NaN (a value before there was one) is no JSON: null */
        json_object_object_add(o, "before",
                               isfinite(ev->before) ? json_object_new_double(ev->before) : NULL);
        json_object_object_add(o, "after",
                               isfinite(ev->after) ? json_object_new_double(ev->after) : NULL);
    }
    json_object_object_add(o, "text", json_object_new_string(text));
    json_object_object_add(o, "lost", json_object_new_uint64(r->lost));
    return o;
}

/* ---- the rings ------------------------------------------------------------------------ */

struct rings {
    struct plc_event_ring *r[NSOURCES];
    uint64_t id[NSOURCES], cursor[NSOURCES];
};

/* Open the rings there are and not open yet, from @p start (UINT64_MAX: the head). */
static void rings_open(const struct plc_layout *l, const char *base, struct rings *rs,
                       uint64_t start)
{
    for (size_t i = 0; i < NSOURCES; i++) {
        char path[PATH_MAX];
        if (rs->r[i] || plc_event_ring_path(l, base, sources[i], path, sizeof(path)) < 0)
            continue;
        rs->r[i] = plc_event_ring_open(path, PLC_READER, plc_layout_get_hash(l), NULL);
        if (!rs->r[i])
            continue; /* not made (yet), or no such service */
        rs->id[i] = plc_event_ring_get_id(rs->r[i]);
        rs->cursor[i] = start == UINT64_MAX ? plc_event_ring_get_head(rs->r[i]) : start;
    }
}

static void rings_close(struct rings *rs)
{
    for (size_t i = 0; i < NSOURCES; i++)
        plc_event_ring_close(rs->r[i]);
}

/* What the rings hold past the cursors and @p f takes; -1 out of memory. */
static int rings_read(struct rings *rs, const struct web_event_filter *f, struct rows *rows)
{
    uint64_t boot = plc_event_history_boot_id();
    for (size_t i = 0; i < NSOURCES; i++) {
        struct plc_event_record rec = {.ring_id = rs->id[i], .boot = boot};
        uint64_t lost = 0;
        int got;
        while (rs->r[i] && (got = plc_event_ring_read(rs->r[i], &rs->cursor[i], &rec.ev,
                                                       &lost)) != 0) {
            if (got < 0)
                continue; /* lapped while reading: lost counts it */
            rec.lost = lost;
            lost = 0;
            if (web_event_filter_match(f, &rec.ev) && add(rows, &rec) < 0)
                return -1;
        }
    }
    return 0;
}

/* ---- the follower ---------------------------------------------------------------------- */

struct web_events {
    const struct plc_layout *layout;
    const char *base;
    unsigned keepalive_ms;
    pthread_mutex_t lock;
    pthread_cond_t moved;  /* a ring head moved, or stopping: streams wait on it */
    pthread_cond_t wanted; /* a stream came, or stopping: the follower waits on it */
    uint64_t gen;          /* bumped when a head moved */
    unsigned streams;
    bool stopping, started;
    pthread_t thread;
};

static void deadline_in(struct timespec *ts, unsigned ms)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    ts->tv_sec += ts->tv_nsec / 1000000000L;
    ts->tv_nsec %= 1000000000L;
}

static void *follow(void *arg)
{
    struct web_events *e = arg;
    struct rings rs = {0};
    uint64_t heads[NSOURCES] = {0};
    unsigned polls = 0;
    pthread_mutex_lock(&e->lock);
    while (!e->stopping) {
        if (!e->streams) { /* nobody listens: no polling at all */
            pthread_cond_wait(&e->wanted, &e->lock);
            continue;
        }
        struct timespec until;
        deadline_in(&until, FOLLOW_POLL_MS);
        while (!e->stopping && pthread_cond_timedwait(&e->wanted, &e->lock, &until) == 0) {
        }
        pthread_mutex_unlock(&e->lock);
        if (polls++ % FOLLOW_OPEN_POLLS == 0) /* a ring not made yet: look again now and then */
            rings_open(e->layout, e->base, &rs, 0);
        bool moved = false;
        for (size_t i = 0; i < NSOURCES; i++) {
            uint64_t h = rs.r[i] ? plc_event_ring_get_head(rs.r[i]) : 0;
            moved |= h != heads[i];
            heads[i] = h;
        }
        pthread_mutex_lock(&e->lock);
        if (moved) {
            e->gen++;
            pthread_cond_broadcast(&e->moved);
        }
    }
    pthread_mutex_unlock(&e->lock);
    rings_close(&rs);
    return NULL;
}

struct web_events *web_events_new(const struct plc_layout *layout, const char *base,
                                  unsigned keepalive_ms)
{
    struct web_events *e = calloc(1, sizeof(*e));
    pthread_condattr_t attr;
    if (!e)
        return NULL;
    e->layout = layout;
    e->base = base;
    e->keepalive_ms = keepalive_ms ? keepalive_ms : 1000;
    pthread_mutex_init(&e->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&e->moved, &attr);
    pthread_cond_init(&e->wanted, &attr);
    pthread_condattr_destroy(&attr);
    int err = pthread_create(&e->thread, NULL, follow, e);
    if (err) {
        web_events_free(e);
        errno = err;
        return NULL;
    }
    e->started = true;
    return e;
}

void web_events_stop(struct web_events *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->lock);
    e->stopping = true;
    pthread_cond_broadcast(&e->moved);
    pthread_cond_broadcast(&e->wanted);
    pthread_mutex_unlock(&e->lock);
}

void web_events_free(struct web_events *e)
{
    if (!e)
        return;
    web_events_stop(e);
    if (e->started)
        pthread_join(e->thread, NULL);
    pthread_cond_destroy(&e->moved);
    pthread_cond_destroy(&e->wanted);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

/* ---- GET /api/events -------------------------------------------------------------------- */

json_object *web_events_list(struct web_events *e, const struct web_event_filter *f)
{
    const struct plc_layout *l = e->layout;
    char dir[PATH_MAX], history_error[PATH_MAX + 64] = "";
    struct rows rows = {0};
    struct rings rs = {0};
    struct plc_diag diag;
    struct plc_event_history *h = NULL;
    bool oom = false;

    if (plc_event_history_dir(plc_retain_dir(l, NULL), NULL, dir, sizeof(dir)) < 0) {
        snprintf(history_error, sizeof(history_error), "history directory: path too long");
    } else {
        struct plc_event_history_config cfg = {.dir = dir, .name = plc_layout_get_name(l)};
        h = plc_event_history_open(&cfg, PLC_READER, &diag);
        if (!h)
            snprintf(history_error, sizeof(history_error), "%s", diag.msg);
    }
    struct plc_event_record rec;
    int got = 0;
    while (h && (got = plc_event_history_next(h, &rec)) == 1)
        if (web_event_filter_match(f, &rec.ev) && add(&rows, &rec) < 0) {
            oom = true;
            break;
        }
    if (h && got < 0)
        snprintf(history_error, sizeof(history_error), "event history %s: %s", dir,
                 strerror(errno));
    /* Each ring from just after the last record the history holds of it. */
    rings_open(l, e->base, &rs, 0);
    for (size_t i = 0; h && got == 0 && i < NSOURCES; i++) {
        uint64_t ring_id, seq;
        if (rs.r[i] && plc_event_history_get_last(h, sources[i], &ring_id, &seq) &&
            ring_id == rs.id[i])
            rs.cursor[i] = seq + 1;
    }
    plc_event_history_close(h);
    oom |= rings_read(&rs, f, &rows) < 0;
    rings_close(&rs);

    if (rows.n) /* qsort() takes no NULL, even for nothing */
        qsort(rows.v, rows.n, sizeof(*rows.v), plc_event_record_compare);
    size_t from = rows.n > f->limit ? rows.n - f->limit : 0;
    json_object *obj = json_object_new_object(), *list = json_object_new_array();
    for (size_t i = from; i < rows.n; i++)
        json_object_array_add(list, record_json(&rows.v[i]));
    json_object_object_add(obj, "events", list);
    json_object_object_add(obj, "more", json_object_new_boolean(from > 0));
    if (oom)
        snprintf(history_error, sizeof(history_error), "out of memory: events left out");
    json_object_object_add(obj, "history_error",
                           history_error[0] ? json_object_new_string(history_error) : NULL);
    free(rows.v);
    return obj;
}

/* ---- GET /api/events/stream -------------------------------------------------------------- */

struct stream {
    struct web_events *e;
    struct web_event_filter f;
    struct rings rs;
    uint64_t gen;
    char *text; /* what is left to send */
    size_t len, off;
};

/* The SSE text of what came since the last call, or NULL with *stopping. */
static char *next_text(struct stream *st, bool *stopping)
{
    struct web_events *e = st->e;
    struct timespec until;
    deadline_in(&until, e->keepalive_ms);
    pthread_mutex_lock(&e->lock);
    while (!e->stopping && e->gen == st->gen &&
           pthread_cond_timedwait(&e->moved, &e->lock, &until) == 0) {
    }
    *stopping = e->stopping;
    st->gen = e->gen;
    pthread_mutex_unlock(&e->lock);
    if (*stopping)
        return NULL;

    struct rows rows = {0};
    rings_open(e->layout, e->base, &st->rs, 0); /* a ring made since: from its first record */
    rings_read(&st->rs, &st->f, &rows);
    if (rows.n) /* qsort() takes no NULL, even for nothing */
        qsort(rows.v, rows.n, sizeof(*rows.v), plc_event_record_compare);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    if (out) {
        for (size_t i = 0; i < rows.n; i++) {
            json_object *o = record_json(&rows.v[i]), *id;
            json_object_object_get_ex(o, "id", &id);
            fprintf(out, "event: event\nid: %s\ndata: %s\n\n", json_object_get_string(id),
                    json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                          JSON_C_TO_STRING_NOSLASHESCAPE));
            json_object_put(o);
        }
        if (!rows.n)
            fputs(": keepalive\n\n", out);
        fclose(out);
    }
    free(rows.v);
    return text;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *st = cls;
    (void)pos;
    if (st->off == st->len) {
        bool stopping;
        free(st->text);
        st->off = st->len = 0;
        st->text = next_text(st, &stopping);
        if (stopping)
            return MHD_CONTENT_READER_END_OF_STREAM;
        if (!st->text)
            return MHD_CONTENT_READER_END_WITH_ERROR;
        st->len = strlen(st->text);
    }
    size_t n = st->len - st->off < max ? st->len - st->off : max;
    memcpy(buf, st->text + st->off, n);
    st->off += n;
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct stream *st = cls;
    pthread_mutex_lock(&st->e->lock);
    st->e->streams--;
    pthread_mutex_unlock(&st->e->lock);
    rings_close(&st->rs);
    free(st->text);
    free(st);
}

int web_events_stream(struct web_events *e, struct MHD_Connection *conn,
                      const struct web_event_filter *f)
{
    struct stream *st = calloc(1, sizeof(*st));
    if (!st)
        return MHD_NO;
    st->e = e;
    st->f = *f;
    pthread_mutex_lock(&e->lock);
    e->streams++;
    st->gen = e->gen;
    pthread_cond_broadcast(&e->wanted);
    pthread_mutex_unlock(&e->lock);
    /* From now on: each ring from its head; the first text says the stream follows. */
    rings_open(e->layout, e->base, &st->rs, UINT64_MAX);
    st->text = strdup(": following the event rings\n\n");
    st->len = st->text ? strlen(st->text) : 0;
    return web_queue_sse(conn, stream_read, st, stream_free);
}
