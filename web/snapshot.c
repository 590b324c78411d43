/* SPDX-License-Identifier: MIT */
/*
 * The snapshot: the last data of each region and a short ring of change
 * batches as Server-Sent Events text. While a stream is open, one thread per
 * region sleeps in plc_region_wait() (a futex) and reads its region as soon
 * as the writer publishes, so a change goes out within a wake-up of its
 * write; with no stream open they sleep on a condition variable and a request
 * reads the regions itself when its copy is older than the poll interval, so
 * an idle plc-web costs nothing. HTTP threads take the lock only to copy.
 * The scan statistics (the logic's diagnostics region), which change every
 * scan, go out at most once per poll interval: they would otherwise make most
 * of the events and of the CPU spent sending them.
 *
 * Locks: a region's mutex (held by whoever reads that region: its thread or
 * an HTTP thread) before the snapshot's lock.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "plc.h"

/* Change batches kept for clients that are a little behind; further back, a snapshot. */
#define RING 64
/* How often a region that cannot be attached (not made yet) is tried again. */
#define RETRY_NS 1000000000LL
/* The longest a region thread sleeps in plc_region_wait() before it looks
 * whether to stop or park: bounds how long plc_web_free() waits for it. */
#define WAIT_SLICE_NS 100000000LL

struct web_snapshot;

struct region_state {
    struct web_snapshot *s;
    const struct plc_region_def *def;
    pthread_mutex_t mu;        /* held while reading: by its thread or a request */
    struct plc_region *handle; /* the reading handle, under mu */
    unsigned char *data;       /* last read: written under mu and the lock */
    unsigned char *next;       /* this read, under mu */
    bool valid;                /* data holds a read; written under mu and the lock */
    int64_t read_ns;           /* when last read or tried, under mu */
    int64_t attach_ns;         /* when attaching last failed, under mu */
    bool throttled;            /* read at most once per poll interval: scan statistics */
    pthread_t thread;
    bool started;
};

struct batch {
    uint64_t seq;
    char *text;
};

struct web_snapshot {
    const struct plc_layout *layout;
    const char *base;
    int64_t poll_ns;
    struct region_state *regions;
    size_t nregions;

    pthread_mutex_t lock;
    pthread_cond_t changed; /* a batch came, or stopping */
    pthread_cond_t active;  /* streams went above 0, or stopping */
    unsigned streams;       /* open /api/stream clients */
    bool stopping;
    uint64_t seq; /* of the last batch; 0: none yet */
    struct batch ring[RING];
};

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* CLOCK_MONOTONIC @p ns from now, for pthread_cond_timedwait(). */
static struct timespec deadline_in(int64_t ns)
{
    int64_t at = now_ns() + ns;
    return (struct timespec){.tv_sec = at / 1000000000LL, .tv_nsec = at % 1000000000LL};
}

json_object *web_value_json(enum plc_type type, const void *at)
{
    struct plc_value v = plc_value_load(type, at);
    switch (type) {
    case PLC_TYPE_BOOL:
        return json_object_new_boolean(v.i != 0);
    case PLC_TYPE_UINT64:
        return json_object_new_uint64(v.u);
    case PLC_TYPE_UINT8:
    case PLC_TYPE_UINT16:
    case PLC_TYPE_UINT32:
        return json_object_new_int64((int64_t)v.u);
    case PLC_TYPE_FLOAT32:
    case PLC_TYPE_FLOAT64:
        return isfinite(v.f) ? json_object_new_double(v.f) : NULL;
    default:
        return json_object_new_int64(v.i);
    }
}

/*
 * Read region @p r into its next buffer (attaching first; a failed attach is
 * tried again after RETRY_NS). 1 read, 0 cannot be read now, -1 changing too
 * fast to read (PLC_EBUSY): try again, the data kept.
 */
static int read_region(struct web_snapshot *s, struct region_state *r, int64_t now)
{
    if (!r->handle) {
        if (r->attach_ns && now - r->attach_ns < RETRY_NS)
            return 0;
        r->handle = plc_region_attach(s->layout, s->base, r->def->name, PLC_READER, NULL, NULL);
        if (!r->handle) {
            r->attach_ns = now;
            return 0;
        }
    }
    if (plc_region_read(r->handle, r->next) == 0)
        return 1;
    if (errno == PLC_EBUSY)
        return -1;
    if (errno == PLC_ERETIRED) { /* re-created by plc-shm-init: attach again next time */
        plc_region_detach(r->handle);
        r->handle = NULL;
    }
    return 0;
}

/* Tags of @p r whose bytes (or readability) differ, added to @p changes. */
static void diff_region(struct web_snapshot *s, struct region_state *r, bool ok,
                        json_object *changes)
{
    for (size_t i = r->def->first_tag; i < r->def->first_tag + r->def->tag_count; i++) {
        const struct plc_tag_def *tag = plc_layout_tag_at(s->layout, i);
        bool differs = ok != r->valid ||
                       (ok && memcmp(r->data + tag->offset, r->next + tag->offset, tag->size));
        if (differs)
            json_object_object_add(changes, tag->name,
                                   ok ? web_value_json(tag->type, r->next + tag->offset) : NULL);
    }
}

/* The SSE text of one event: "event: KIND\nid: SEQ\ndata: JSON\n\n". */
static char *event_text(const char *kind, uint64_t seq, const char *key, json_object *obj)
{
    json_object *root = json_object_new_object();
    char *text = NULL;
    json_object_object_add(root, "seq", json_object_new_uint64(seq));
    json_object_object_add(root, key, json_object_get(obj));
    const char *json = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN |
                                                                JSON_C_TO_STRING_NOSLASHESCAPE);
    if (asprintf(&text, "event: %s\nid: %llu\ndata: %s\n\n", kind, (unsigned long long)seq, json) <
        0)
        text = NULL;
    json_object_put(root);
    return text;
}

/*
 * Read @p r, keep the read and, while a stream is open, publish what changed
 * as one batch. Caller holds r->mu. @return as read_region().
 */
static int poll_region(struct web_snapshot *s, struct region_state *r)
{
    int64_t now = now_ns();
    int ok = read_region(s, r, now);
    r->read_ns = now;
    if (ok < 0)
        return ok;
    json_object *changes = json_object_new_object();
    diff_region(s, r, ok, changes);
    pthread_mutex_lock(&s->lock);
    if (ok)
        memcpy(r->data, r->next, r->def->data_size);
    r->valid = ok;
    /* No stream: no batch. One that opens later starts from a snapshot,
     * taken after it read every region again (web_snapshot_next()). */
    if (json_object_object_length(changes) > 0 && s->streams > 0) {
        struct batch *b = &s->ring[(s->seq + 1) % RING];
        char *text = event_text("change", s->seq + 1, "changes", changes);
        if (text) {
            free(b->text);
            b->text = text;
            b->seq = ++s->seq;
            pthread_cond_broadcast(&s->changed);
        }
    }
    pthread_mutex_unlock(&s->lock);
    json_object_put(changes);
    return ok;
}

static int poll_region_locked(struct web_snapshot *s, struct region_state *r)
{
    pthread_mutex_lock(&r->mu);
    int rc = poll_region(s, r);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

/* Sleep until @p ns passed, a stream opened or stopping. */
static void nap(struct web_snapshot *s, int64_t ns)
{
    struct timespec until = deadline_in(ns);
    pthread_mutex_lock(&s->lock);
    if (!s->stopping)
        pthread_cond_timedwait(&s->active, &s->lock, &until);
    pthread_mutex_unlock(&s->lock);
}

/* Wait while no stream is open; false when stopping. */
static bool park(struct web_snapshot *s)
{
    pthread_mutex_lock(&s->lock);
    while (!s->stopping && s->streams == 0)
        pthread_cond_wait(&s->active, &s->lock);
    bool go = !s->stopping;
    pthread_mutex_unlock(&s->lock);
    return go;
}

/*
 * One region's thread: while a stream is open, wait for the writer's next
 * publication on a handle of its own (so the waits and the reads never share
 * a "last seen") and read the region at once.
 */
static void *follow_region(void *arg)
{
    struct region_state *r = arg;
    struct web_snapshot *s = r->s;
    struct plc_region *w = NULL;
    bool again = false;
    while (park(s)) {
        if (!w) {
            w = plc_region_attach(s->layout, s->base, r->def->name, PLC_READER, NULL, NULL);
            if (!w) { /* not made yet: its values stay null; look again later */
                poll_region_locked(s, r);
                nap(s, RETRY_NS);
                continue;
            }
            again = true; /* it may have changed while nobody waited */
        }
        int rc = again ? 1 : plc_region_wait(w, WAIT_SLICE_NS);
        int err = errno;
        again = false;
        if (rc == 0 || (rc < 0 && err == EINTR))
            continue;
        if (rc < 0 && err == PLC_ERETIRED) {
            plc_region_detach(w);
            w = NULL;
        }
        int64_t read_at = now_ns();
        if (poll_region_locked(s, r) < 0)
            again = true; /* a burst of writes: read again */
        else if (rc < 0 && err == PLC_EDEADWRITER)
            nap(s, WAIT_SLICE_NS); /* cannot change until its writer is back */
        else if (r->throttled && read_at + s->poll_ns > now_ns())
            nap(s, read_at + s->poll_ns - now_ns()); /* the writes meanwhile: one read */
    }
    plc_region_detach(w);
    return NULL;
}

struct web_snapshot *web_snapshot_new(const struct plc_layout *layout, const char *base,
                                      unsigned poll_ms)
{
    struct web_snapshot *s = calloc(1, sizeof(*s));
    pthread_condattr_t attr;
    if (!s)
        return NULL;
    s->layout = layout;
    s->base = base;
    s->poll_ns = (int64_t)(poll_ms ? poll_ms : 1) * 1000000LL;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->changed, &attr);
    pthread_cond_init(&s->active, &attr);
    pthread_condattr_destroy(&attr);
    s->nregions = plc_layout_region_count(layout);
    s->regions = calloc(s->nregions ? s->nregions : 1, sizeof(*s->regions));
    if (!s->regions)
        goto fail;
    for (size_t i = 0; i < s->nregions; i++)
        pthread_mutex_init(&s->regions[i].mu, NULL);
    for (size_t i = 0; i < s->nregions; i++) {
        struct region_state *r = &s->regions[i];
        r->s = s;
        r->def = plc_layout_region_at(layout, i);
        r->throttled = r->def == plc_layout_get_logic(layout)->diagnostics;
        r->data = calloc(1, r->def->data_size + 1);
        r->next = calloc(1, r->def->data_size + 1);
        if (!r->data || !r->next)
            goto fail;
        poll_region(s, r); /* values there at once */
    }
    for (size_t i = 0; i < s->nregions; i++) {
        int err = pthread_create(&s->regions[i].thread, NULL, follow_region, &s->regions[i]);
        if (err) {
            errno = err;
            goto fail;
        }
        s->regions[i].started = true;
    }
    return s;
fail:
    web_snapshot_free(s);
    return NULL;
}

void web_snapshot_stop(struct web_snapshot *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_broadcast(&s->changed);
    pthread_cond_broadcast(&s->active);
    pthread_mutex_unlock(&s->lock);
}

void web_snapshot_free(struct web_snapshot *s)
{
    if (!s)
        return;
    web_snapshot_stop(s);
    for (size_t i = 0; s->regions && i < s->nregions; i++)
        if (s->regions[i].started)
            pthread_join(s->regions[i].thread, NULL);
    for (size_t i = 0; s->regions && i < s->nregions; i++) {
        plc_region_detach(s->regions[i].handle);
        free(s->regions[i].data);
        free(s->regions[i].next);
        pthread_mutex_destroy(&s->regions[i].mu);
    }
    for (size_t i = 0; i < RING; i++)
        free(s->ring[i].text);
    free(s->regions);
    pthread_cond_destroy(&s->changed);
    pthread_cond_destroy(&s->active);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void web_snapshot_stream_begin(struct web_snapshot *s)
{
    pthread_mutex_lock(&s->lock);
    if (s->streams++ == 0)
        pthread_cond_broadcast(&s->active);
    pthread_mutex_unlock(&s->lock);
}

void web_snapshot_stream_end(struct web_snapshot *s)
{
    pthread_mutex_lock(&s->lock);
    s->streams--;
    pthread_mutex_unlock(&s->lock);
}

/* With no stream open nothing follows the regions: read @p r again if its
 * copy is older than the poll interval. */
static void refresh_idle(struct web_snapshot *s, struct region_state *r)
{
    pthread_mutex_lock(&r->mu);
    pthread_mutex_lock(&s->lock);
    bool idle = s->streams == 0;
    pthread_mutex_unlock(&s->lock);
    if (idle && now_ns() - r->read_ns >= s->poll_ns)
        poll_region(s, r);
    pthread_mutex_unlock(&r->mu);
}

/* Caller holds the lock. */
static json_object *value_locked(struct web_snapshot *s, size_t i)
{
    const struct plc_tag_def *tag = plc_layout_tag_at(s->layout, i);
    for (size_t k = 0; k < s->nregions; k++)
        if (s->regions[k].def == tag->region)
            return s->regions[k].valid ? web_value_json(tag->type, s->regions[k].data + tag->offset)
                                       : NULL;
    return NULL;
}

json_object *web_snapshot_value(struct web_snapshot *s, size_t i)
{
    const struct plc_region_def *def = plc_layout_tag_at(s->layout, i)->region;
    for (size_t k = 0; k < s->nregions; k++)
        if (s->regions[k].def == def)
            refresh_idle(s, &s->regions[k]);
    pthread_mutex_lock(&s->lock);
    json_object *v = value_locked(s, i);
    pthread_mutex_unlock(&s->lock);
    return v;
}

/* Caller holds the lock. */
static char *snapshot_text(struct web_snapshot *s)
{
    json_object *tags = json_object_new_object();
    for (size_t i = 0; i < plc_layout_tag_count(s->layout); i++)
        json_object_object_add(tags, plc_layout_tag_at(s->layout, i)->name, value_locked(s, i));
    char *text = event_text("snapshot", s->seq, "tags", tags);
    json_object_put(tags);
    return text;
}

/* Caller holds the lock; batches *last+1 .. seq, all in the ring. */
static char *batches_text(struct web_snapshot *s, uint64_t last)
{
    size_t len = 0;
    for (uint64_t q = last + 1; q <= s->seq; q++)
        len += strlen(s->ring[q % RING].text);
    char *text = malloc(len + 1), *p = text;
    if (!text)
        return NULL;
    for (uint64_t q = last + 1; q <= s->seq; q++)
        p = stpcpy(p, s->ring[q % RING].text);
    return text;
}

int web_snapshot_next(struct web_snapshot *s, uint64_t *last, unsigned timeout_ms, char **text)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    until.tv_sec += until.tv_nsec / 1000000000L;
    until.tv_nsec %= 1000000000L;

    int rc = 0;
    *text = NULL;
    if (*last == WEB_STREAM_NEW) /* the snapshot as of now, not as of the last read */
        for (size_t k = 0; k < s->nregions; k++)
            poll_region_locked(s, &s->regions[k]);
    pthread_mutex_lock(&s->lock);
    if (*last != WEB_STREAM_NEW)
        while (!s->stopping && s->seq == *last &&
               pthread_cond_timedwait(&s->changed, &s->lock, &until) == 0) {
        }
    if (s->stopping) {
        rc = -1;
    } else if (*last == WEB_STREAM_NEW || s->seq - *last > RING - 1 || *last > s->seq) {
        *text = snapshot_text(s);
        rc = *text ? 1 : -1;
    } else if (s->seq != *last) {
        *text = batches_text(s, *last);
        rc = *text ? 1 : -1;
    }
    if (rc == 1)
        *last = s->seq;
    pthread_mutex_unlock(&s->lock);
    return rc;
}
