/* SPDX-License-Identifier: MIT */
/*
 * The snapshot thread: reads every region of the layout each poll interval,
 * keeps the last data of each and a short ring of change batches as
 * Server-Sent Events text. HTTP threads take a lock only to copy from it.
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
/* Polls between attempts to attach a region that is not there yet (about 1 s). */
#define RETRY_POLLS 20

struct region_state {
    const struct plc_region_def *def;
    struct plc_region *handle;
    unsigned char *data, *next; /* last read (under the lock), this read */
    bool valid;                 /* data holds a read */
    bool ok;                    /* this read worked */
    unsigned retry_in;
};

struct batch {
    uint64_t seq;
    char *text;
};

struct web_snapshot {
    const struct plc_layout *layout;
    const char *base;
    unsigned poll_ms;
    struct region_state *regions;
    size_t nregions;

    pthread_mutex_t lock;
    pthread_cond_t changed; /* a batch came, or stopping */
    bool stopping;
    uint64_t seq; /* of the last batch; 0: none yet */
    struct batch ring[RING];
    pthread_t thread;
    bool started;
};

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

/* Read one region into its next buffer; false when it cannot be read now. */
static bool read_region(struct web_snapshot *s, struct region_state *r)
{
    if (!r->handle) {
        if (r->retry_in && --r->retry_in)
            return false;
        r->handle = plc_region_attach(s->layout, s->base, r->def->name, PLC_READER, NULL, NULL);
        if (!r->handle) {
            r->retry_in = RETRY_POLLS;
            return false;
        }
    }
    if (plc_region_read(r->handle, r->next) == 0)
        return true;
    if (errno == PLC_ERETIRED) { /* re-created by plc-shm-init: attach again next time */
        plc_region_detach(r->handle);
        r->handle = NULL;
    }
    return false;
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

static void poll_once(struct web_snapshot *s, bool first)
{
    json_object *changes = json_object_new_object();
    for (size_t i = 0; i < s->nregions; i++) {
        s->regions[i].ok = read_region(s, &s->regions[i]);
        diff_region(s, &s->regions[i], s->regions[i].ok, changes);
    }
    bool any = json_object_object_length(changes) > 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->nregions; i++) {
        struct region_state *r = &s->regions[i];
        if (r->ok)
            memcpy(r->data, r->next, r->def->data_size);
        r->valid = r->ok;
    }
    if (any && !first) {
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
}

static void *run(void *arg)
{
    struct web_snapshot *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_nsec += (long)(s->poll_ms % 1000) * 1000000L;
        until.tv_sec += s->poll_ms / 1000 + until.tv_nsec / 1000000000L;
        until.tv_nsec %= 1000000000L;
        while (!s->stopping && pthread_cond_timedwait(&s->changed, &s->lock, &until) == 0) {
        }
        if (s->stopping)
            break;
        pthread_mutex_unlock(&s->lock);
        poll_once(s, false);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
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
    s->poll_ms = poll_ms ? poll_ms : 1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&s->changed, &attr);
    pthread_condattr_destroy(&attr);
    s->nregions = plc_layout_region_count(layout);
    s->regions = calloc(s->nregions ? s->nregions : 1, sizeof(*s->regions));
    if (!s->regions)
        goto fail;
    for (size_t i = 0; i < s->nregions; i++) {
        struct region_state *r = &s->regions[i];
        r->def = plc_layout_region_at(layout, i);
        r->data = calloc(1, r->def->data_size + 1);
        r->next = calloc(1, r->def->data_size + 1);
        if (!r->data || !r->next)
            goto fail;
    }
    poll_once(s, true);
    int err = pthread_create(&s->thread, NULL, run, s);
    if (err) {
        errno = err;
        goto fail;
    }
    s->started = true;
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
    pthread_mutex_unlock(&s->lock);
}

void web_snapshot_free(struct web_snapshot *s)
{
    if (!s)
        return;
    web_snapshot_stop(s);
    if (s->started)
        pthread_join(s->thread, NULL);
    for (size_t i = 0; s->regions && i < s->nregions; i++) {
        plc_region_detach(s->regions[i].handle);
        free(s->regions[i].data);
        free(s->regions[i].next);
    }
    for (size_t i = 0; i < RING; i++)
        free(s->ring[i].text);
    free(s->regions);
    pthread_cond_destroy(&s->changed);
    pthread_mutex_destroy(&s->lock);
    free(s);
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
