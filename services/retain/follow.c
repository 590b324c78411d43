/* SPDX-License-Identifier: MIT */
/*
 * struct plc_retain_events: follow the event rings into the history and the
 * journal (docs/events.md, "History on disk" and "The journal").
 *
 * A ring's cursor starts after the last record the history holds from that
 * very ring (its identity and seq); a ring made since (a reboot, a re-made
 * ring) starts at its oldest record. The cursor moves only once a record is
 * taken by the history, so a batch that cannot be written is read again on
 * the next poll. Records are polled, not waited for: six loads of a ring head
 * every poll_ms cost nothing, and the history's batch is written from the
 * same thread when it is due, so the thread is the history's one user.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <time.h>

#include "follow.h"
#include "retain.h"

#define RETRY_NS 1000000000ull /* a missing ring is looked for again, a re-made one checked */

/* The services that have a ring (plc-shm-init makes one each). */
static const enum plc_event_source sources[] = {
    PLC_SOURCE_SHM_INIT, PLC_SOURCE_IO,     PLC_SOURCE_LOGIC, PLC_SOURCE_MODBUS,
    PLC_SOURCE_RETAIN,   PLC_SOURCE_PLCCTL, PLC_SOURCE_WEB, PLC_SOURCE_MQTT,
};
#define NSOURCES (sizeof(sources) / sizeof(sources[0]))

struct follow {
    enum plc_event_source source;
    char path[PATH_MAX];
    struct plc_event_ring *ring;
    uint64_t id, cursor, lost; /* lost: counted, not yet told with a record */
    dev_t dev;
    ino_t ino;
    uint64_t check_ns; /* when to look at the file again */
    int warned;        /* errno of the last warning about it, 0 once open */
};

struct plc_retain_events {
    struct plc_retain_events_config cfg;
    char base[PATH_MAX];
    struct plc_event_history *h;
    struct follow rings[NSOURCES];
    int write_errno; /* of the last failed append, logged once */

    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool quit, started;
    pthread_t thread;
    struct plc_retain_events_stats stats;
};

#define mono_ns plc_retain_now_ns
#define say(e, level, ...) plc_retain_logf((e)->cfg.log, (e)->cfg.log_user, level, __VA_ARGS__)

void plc_retain_events_journal_entry(const struct plc_event_record *rec,
                                     struct plc_journal_entry *out)
{
    const struct plc_event *ev = &rec->ev;
    char line[160];
    unsigned n = 0;
    plc_event_format(ev, line, sizeof(line));
#define FIELD(...) snprintf(out->field[n++], sizeof(out->field[0]), __VA_ARGS__)
    FIELD("MESSAGE=%s", line);
    FIELD("PRIORITY=%u", ev->severity);
    FIELD("PLC_SOURCE=%s", plc_event_source_name(ev->source));
    FIELD("PLC_KIND=%s", plc_event_kind_name(ev->kind));
    FIELD("PLC_SEVERITY=%s", plc_event_severity_name(ev->severity));
    FIELD("PLC_SEQ=%" PRIu64, ev->seq);
    if (ev->name[0])
        FIELD("PLC_TAG=%.*s", (int)sizeof(ev->name), ev->name);
    if (plc_event_has_values(ev)) {
        FIELD("PLC_BEFORE=%.17g", ev->before);
        FIELD("PLC_AFTER=%.17g", ev->after);
    }
    if (rec->lost)
        FIELD("PLC_LOST=%" PRIu64, rec->lost);
#undef FIELD
    out->n = n;
}

static void send_journal(struct plc_retain_events *e, const struct plc_event_record *rec)
{
    struct plc_journal_entry j;
    struct iovec iov[sizeof(j.field) / sizeof(j.field[0])];
    plc_retain_events_journal_entry(rec, &j);
    for (unsigned i = 0; i < j.n; i++)
        iov[i] = (struct iovec){.iov_base = j.field[i], .iov_len = strlen(j.field[i])};
    if (sd_journal_sendv(iov, (int)j.n) < 0) {
        pthread_mutex_lock(&e->mu);
        e->stats.journal_failed++;
        pthread_mutex_unlock(&e->mu);
    }
}

/* Open @f's ring if it is not open, or open it again if the file was re-made. */
static void open_ring(struct plc_retain_events *e, struct follow *f, uint64_t now)
{
    struct stat st;
    if (now < f->check_ns)
        return;
    f->check_ns = now + RETRY_NS;
    if (f->ring) {
        if (stat(f->path, &st) == 0 && st.st_ino == f->ino && st.st_dev == f->dev)
            return;
        say(e, PLC_LOG_NOTICE, "event ring %s was made again: following the new one", f->path);
        plc_event_ring_close(f->ring);
        f->ring = NULL;
        pthread_mutex_lock(&e->mu);
        e->stats.rings--;
        pthread_mutex_unlock(&e->mu);
    }
    struct plc_diag diag;
    f->ring = plc_event_ring_open(f->path, PLC_READER, plc_layout_get_hash(e->cfg.layout),
                                  &diag);
    if (!f->ring) {
        if (errno != f->warned) {
            char msg[1200];
            plc_diag_format(&diag, msg, sizeof(msg));
            say(e, PLC_LOG_WARNING, "%s%s; following the other rings", msg,
                errno == ENOENT ? " (a layout made before events?)" : "");
            f->warned = errno;
        }
        return;
    }
    if (f->warned)
        say(e, PLC_LOG_NOTICE, "event ring %s is there now: following it", f->path);
    f->warned = 0;
    if (stat(f->path, &st) == 0) {
        f->dev = st.st_dev;
        f->ino = st.st_ino;
    }
    f->id = plc_event_ring_get_id(f->ring);
    uint64_t ring_id, seq;
    f->cursor = 0;
    if (plc_event_history_get_last(e->h, f->source, &ring_id, &seq) && ring_id == f->id)
        f->cursor = seq + 1;
    pthread_mutex_lock(&e->mu);
    e->stats.rings++;
    pthread_mutex_unlock(&e->mu);
}

/* Take every new record of @f's ring into the history. */
static void drain(struct plc_retain_events *e, struct follow *f)
{
    for (;;) {
        struct plc_event_record rec = {.ring_id = f->id};
        uint64_t cursor = f->cursor, lost = 0;
        int got = plc_event_ring_read(f->ring, &cursor, &rec.ev, &lost);
        if (got <= 0) {
            f->cursor = cursor;
            f->lost += lost;
            if (got < 0 && errno == EAGAIN)
                continue;
            return;
        }
        rec.lost = f->lost + lost;
        if (plc_event_history_append(e->h, &rec) < 0) {
            if (errno != e->write_errno)
                say(e, PLC_LOG_ERR, "event history: cannot take record %" PRIu64 " of %s: %s;"
                    " trying again", rec.ev.seq, f->path, strerror(errno));
            e->write_errno = errno;
            return; /* the cursor stays: read again on the next poll */
        }
        if (e->write_errno)
            say(e, PLC_LOG_NOTICE, "event history: written again");
        e->write_errno = 0;
        f->cursor = cursor;
        f->lost = 0;
        if (rec.lost)
            say(e, PLC_LOG_WARNING, "event ring %s: %" PRIu64 " record(s) lost before record %"
                PRIu64 " (overwritten before they were read)", f->path, rec.lost, rec.ev.seq);
        pthread_mutex_lock(&e->mu);
        e->stats.events++;
        e->stats.lost += rec.lost;
        pthread_mutex_unlock(&e->mu);
        if (e->cfg.journal)
            send_journal(e, &rec);
    }
}

static int poll_once(struct plc_retain_events *e)
{
    uint64_t now = mono_ns();
    for (size_t i = 0; i < NSOURCES; i++) {
        open_ring(e, &e->rings[i], now);
        if (e->rings[i].ring)
            drain(e, &e->rings[i]);
    }
    return plc_event_history_tick(e->h, mono_ns());
}

static void *follow_main(void *arg)
{
    struct plc_retain_events *e = arg;
    uint64_t poll = (uint64_t)e->cfg.poll_ms * 1000000u;
    pthread_mutex_lock(&e->mu);
    while (!e->quit) {
        pthread_mutex_unlock(&e->mu);
        poll_once(e);
        if (e->cfg.on_alive)
            e->cfg.on_alive(e->cfg.alive_user);
        uint64_t until = mono_ns() + poll, due = plc_event_history_due_ns(e->h);
        if (due < until)
            until = due;
        struct timespec ts = {(time_t)(until / 1000000000u), (long)(until % 1000000000u)};
        pthread_mutex_lock(&e->mu);
        if (!e->quit)
            pthread_cond_timedwait(&e->cv, &e->mu, &ts);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

struct plc_retain_events *plc_retain_events_new(const struct plc_retain_events_config *cfg,
                                                struct plc_diag *diag)
{
    plc_diag_clear(diag);
    struct plc_retain_events *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->cfg = *cfg;
    if (!e->cfg.poll_ms)
        e->cfg.poll_ms = PLC_RETAIN_EVENTS_POLL_MS_DEFAULT;
    e->cfg.history.log = cfg->log;
    e->cfg.history.log_user = cfg->log_user;
    pthread_mutex_init(&e->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->cv, &ca);
    pthread_condattr_destroy(&ca);
    for (size_t i = 0; i < NSOURCES; i++) {
        e->rings[i].source = sources[i];
        if (plc_event_ring_path(cfg->layout, cfg->base_dir, sources[i], e->rings[i].path,
                                sizeof(e->rings[i].path)) < 0) {
            plc_diag_fail(diag, cfg->base_dir, errno, "event ring path too long");
            goto fail;
        }
    }
    e->h = plc_event_history_open(&e->cfg.history, PLC_WRITER, diag);
    if (!e->h)
        goto fail;
    if (pthread_create(&e->thread, NULL, follow_main, e) != 0) {
        plc_diag_fail(diag, NULL, EAGAIN, "cannot start a thread");
        goto fail;
    }
    e->started = true;
    return e;

fail:;
    int err = errno;
    plc_retain_events_free(e);
    errno = err;
    return NULL;
}

static void join(struct plc_retain_events *e)
{
    pthread_mutex_lock(&e->mu);
    e->quit = true;
    pthread_cond_broadcast(&e->cv);
    pthread_mutex_unlock(&e->mu);
    if (e->started)
        pthread_join(e->thread, NULL);
    e->started = false;
}

int plc_retain_events_stop(struct plc_retain_events *e)
{
    join(e);
    poll_once(e);
    return plc_event_history_flush(e->h);
}

void plc_retain_events_get_stats(struct plc_retain_events *e,
                                 struct plc_retain_events_stats *stats)
{
    pthread_mutex_lock(&e->mu);
    *stats = e->stats;
    pthread_mutex_unlock(&e->mu);
}

void plc_retain_events_free(struct plc_retain_events *e)
{
    if (!e)
        return;
    join(e);
    for (size_t i = 0; i < NSOURCES; i++)
        plc_event_ring_close(e->rings[i].ring);
    plc_event_history_close(e->h);
    pthread_cond_destroy(&e->cv);
    pthread_mutex_destroy(&e->mu);
    free(e);
}
