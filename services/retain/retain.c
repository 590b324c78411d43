/* SPDX-License-Identifier: MIT */
/*
 * struct plc_retain: the plc-retain service.
 *
 * Threads: one per region with retained tags, blocked in plc_region_wait();
 * when its region changes it reads the region's retained tags (one consistent
 * read) into the shared live copy and wakes the writer. The writer thread
 * compares the live retained values with the values of the last snapshot
 * written (values, never the region's sequence: other tags of the same region
 * change all the time and must not cause writes) and writes when they differ,
 * at most once per interval. A failed write leaves the saved values alone, so
 * the next interval tries again.
 *
 * The region threads wait with a bound (REGION_WAIT_NS) so that stop() can
 * join them without signals, and the writer waits with one (WRITER_WAIT_NS) even
 * when idle; a timeout reads nothing and writes nothing. Both bounds make every
 * thread turn while it is healthy: each region thread counts its turns, and the
 * writer calls the config's on_alive hook when every region thread has turned
 * since the last call. A thread that hangs (the writer in a write() or fsync()
 * that never returns, on a dead SD card or NFS server) stops the calls; plc-retain
 * feeds systemd's watchdog from them, so systemd restarts it.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "retain.h"

#define REGION_WAIT_NS 200000000ll       /* bound of a region thread's wait */
#define WRITER_WAIT_NS 100000000ull      /* bound of the writer's wait */
#define REATTACH_PAUSE_NS 200000000l      /* between attempts to re-attach */
#define FAIL_LOG_EVERY_NS 60000000000ull  /* repeat of the same write error */

struct rtag {
    const struct plc_tag_def *t;
    unsigned char live[8];  /* latest value read from the region */
    unsigned char saved[8]; /* value in the last snapshot written or found */
    bool saved_known;
};

struct rregion {
    struct plc_retain *owner;
    const struct plc_region_def *def;
    struct plc_region *reg;
    const struct plc_tag_def **tags;
    struct rtag *rtags; /* this region's, inside owner->tags */
    size_t ntags;
    unsigned char *buf; /* data_size */
    pthread_t thread;
    bool started;
    int read_errno;         /* last read error logged, 0 after a good read */
    _Atomic uint64_t turns; /* loops of this region's thread, for on_alive */
    uint64_t turns_seen;    /* at the last on_alive call; the writer's */
};

struct plc_retain {
    struct plc_retain_config cfg;
    char base[PATH_MAX];
    char dir[PATH_MAX];
    struct rtag *tags;
    size_t ntags;
    struct plc_snapshot_tag *out; /* what is being written */
    unsigned char (*outbytes)[8];
    struct rregion *regions;
    size_t nregions;

    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool now_req, stopping, stopped, cur_good;
    int stop_rc;
    atomic_bool quit;
    uint64_t last_attempt_ns;
    pthread_t writer;
    bool writer_started;
    struct plc_retain_stats stats;
    int fail_errno;
    uint64_t fail_logged_ns, fails_in_row;
};

uint64_t plc_retain_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void plc_retain_logf(plc_retain_log_fn *log, void *user, int level, const char *fmt, ...)
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

#define mono_ns plc_retain_now_ns
#define say(r, level, ...) plc_retain_logf((r)->cfg.log, (r)->cfg.log_user, level, __VA_ARGS__)

/* Whether a retained value differs from the last snapshot. Lock held. */
static bool dirty(const struct plc_retain *r)
{
    for (size_t i = 0; i < r->ntags; i++) {
        const struct rtag *t = &r->tags[i];
        if (!t->saved_known || memcmp(t->live, t->saved, t->t->size) != 0)
            return true;
    }
    return false;
}

/* Write a snapshot of the live values. Lock held; dropped during the I/O. */
static int write_locked(struct plc_retain *r)
{
    for (size_t i = 0; i < r->ntags; i++) {
        const struct plc_tag_def *t = r->tags[i].t;
        memcpy(r->outbytes[i], r->tags[i].live, t->size);
        snprintf(r->out[i].name, sizeof(r->out[i].name), "%s", t->name);
        struct plc_value v = plc_value_load(t->type, r->tags[i].live);
        plc_snapshot_tag_set(&r->out[i], t->type, &v);
    }
    uint64_t seq = r->stats.seq + 1;
    unsigned flags = r->cur_good ? PLC_SNAPSHOT_KEEP_BACKUP : 0;
    struct plc_diag diag;
    pthread_mutex_unlock(&r->mu);
    int rc = plc_snapshot_write(r->dir, r->cfg.layout, seq, r->out, r->ntags, flags, &diag);
    int err = errno;
    pthread_mutex_lock(&r->mu);
    uint64_t now = mono_ns();
    r->last_attempt_ns = now;
    if (rc == 0) {
        for (size_t i = 0; i < r->ntags; i++) {
            memcpy(r->tags[i].saved, r->outbytes[i], r->tags[i].t->size);
            r->tags[i].saved_known = true;
        }
        r->stats.seq = seq;
        r->stats.writes++;
        r->cur_good = true;
        if (r->fails_in_row)
            say(r, PLC_LOG_NOTICE, "snapshot seq %" PRIu64 " written to %s/%s.retain after %"
                PRIu64 " failed attempt(s)", seq, r->dir, plc_layout_get_name(r->cfg.layout),
                r->fails_in_row);
        else if (r->stats.writes == 1)
            say(r, PLC_LOG_INFO, "snapshot seq %" PRIu64 " written to %s/%s.retain", seq,
                r->dir, plc_layout_get_name(r->cfg.layout));
        r->fails_in_row = 0;
        r->fail_errno = 0;
        return 0;
    }
    r->stats.failures++;
    r->fails_in_row++;
    if (err != r->fail_errno || now - r->fail_logged_ns >= FAIL_LOG_EVERY_NS) {
        char msg[1200], cur[PATH_MAX];
        plc_diag_format(&diag, msg, sizeof(msg));
        plc_snapshot_path(r->dir, plc_layout_get_name(r->cfg.layout), PLC_SNAPSHOT_CURRENT,
                          cur, sizeof(cur));
        if (r->stats.seq)
            say(r, PLC_LOG_ERR, "%s; the last good snapshot (seq %" PRIu64 ") stays in %s; "
                "retrying every %.1f s", msg, r->stats.seq, cur, r->cfg.interval_us / 1e6);
        else
            say(r, PLC_LOG_ERR, "%s; no snapshot written yet; retrying every %.1f s", msg,
                r->cfg.interval_us / 1e6);
        r->fail_errno = err;
        r->fail_logged_ns = now;
    }
    errno = err;
    return -1;
}

/* The writer turns: call on_alive if every region thread has turned too since
 * the last call. Lock held; dropped during the call. */
static void writer_turned(struct plc_retain *r)
{
    if (!r->cfg.on_alive)
        return;
    for (size_t i = 0; i < r->nregions; i++)
        if (atomic_load_explicit(&r->regions[i].turns, memory_order_relaxed) ==
            r->regions[i].turns_seen)
            return;
    for (size_t i = 0; i < r->nregions; i++)
        r->regions[i].turns_seen =
            atomic_load_explicit(&r->regions[i].turns, memory_order_relaxed);
    pthread_mutex_unlock(&r->mu);
    r->cfg.on_alive(r->cfg.alive_user);
    pthread_mutex_lock(&r->mu);
}

/* Wait for a change or a request, until @until_ns at the latest and never
 * longer than WRITER_WAIT_NS, so that the writer turns while idle. Lock held. */
static void writer_wait(struct plc_retain *r, uint64_t until_ns)
{
    uint64_t bound = mono_ns() + WRITER_WAIT_NS;
    if (until_ns > bound)
        until_ns = bound;
    struct timespec ts = {(time_t)(until_ns / 1000000000u), (long)(until_ns % 1000000000u)};
    pthread_cond_timedwait(&r->cv, &r->mu, &ts);
}

static void *writer_main(void *arg)
{
    struct plc_retain *r = arg;
    uint64_t interval = (uint64_t)r->cfg.interval_us * 1000u;
    pthread_mutex_lock(&r->mu);
    while (!r->stopping) {
        writer_turned(r);
        if (r->stopping)
            break;
        if (!r->now_req && !dirty(r)) {
            writer_wait(r, UINT64_MAX);
            continue;
        }
        uint64_t now = mono_ns(), due = r->last_attempt_ns + interval;
        if (!r->now_req && r->last_attempt_ns && now < due) {
            writer_wait(r, due);
            continue;
        }
        r->now_req = false;
        write_locked(r);
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

/* Read the region's retained tags into the live copy; wake the writer on change. */
static int read_region(struct rregion *g)
{
    struct plc_retain *r = g->owner;
    if (plc_region_read_tags(g->reg, g->tags, g->ntags, g->buf) < 0) {
        int err = errno;
        if (err != g->read_errno)
            say(r, PLC_LOG_WARNING, "region '%s': cannot read: %s", g->def->name,
                plc_strerror(err));
        g->read_errno = err;
        return -1;
    }
    if (g->read_errno)
        say(r, PLC_LOG_NOTICE, "region '%s': readable again", g->def->name);
    g->read_errno = 0;
    bool changed = false;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < g->ntags; i++) {
        struct rtag *t = &g->rtags[i];
        const unsigned char *v = g->buf + t->t->offset;
        if (memcmp(t->live, v, t->t->size) != 0) {
            memcpy(t->live, v, t->t->size);
            changed = true;
        }
    }
    if (changed)
        pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    return 0;
}

static void pause_ns(long ns)
{
    struct timespec ts = {0, ns};
    nanosleep(&ts, NULL);
}

/* plc-shm-init --recreate made a new region: follow it. */
static void reattach(struct rregion *g)
{
    struct plc_retain *r = g->owner;
    struct plc_diag diag;
    say(r, PLC_LOG_NOTICE, "region '%s' was re-created: attaching again", g->def->name);
    plc_region_detach(g->reg);
    g->reg = NULL;
    int last = 0;
    while (!atomic_load(&r->quit)) {
        atomic_fetch_add_explicit(&g->turns, 1, memory_order_relaxed); /* waiting is alive */
        g->reg = plc_region_attach(r->cfg.layout, r->base, g->def->name, PLC_READER, NULL,
                                   &diag);
        if (g->reg) {
            read_region(g);
            return;
        }
        if (errno != last) {
            char msg[1200];
            plc_diag_format(&diag, msg, sizeof(msg));
            say(r, PLC_LOG_WARNING, "%s", msg);
            last = errno;
        }
        pause_ns(REATTACH_PAUSE_NS);
    }
}

static void *region_main(void *arg)
{
    struct rregion *g = arg;
    struct plc_retain *r = g->owner;
    while (!atomic_load(&r->quit)) {
        atomic_fetch_add_explicit(&g->turns, 1, memory_order_relaxed);
        int w = plc_region_wait(g->reg, REGION_WAIT_NS);
        if (w > 0) {
            read_region(g);
        } else if (w < 0 && errno == PLC_ERETIRED) {
            reattach(g);
            if (!g->reg)
                break;
        } else if (w < 0 && errno != EINTR) {
            say(r, PLC_LOG_WARNING, "region '%s': wait failed: %s", g->def->name,
                plc_strerror(errno));
            pause_ns(REATTACH_PAUSE_NS);
        }
    }
    return NULL;
}

/* The values of the newest snapshot become the saved ones. */
static void load_saved(struct plc_retain *r)
{
    struct plc_diag diag;
    char msg[1200];
    const char *name = plc_layout_get_name(r->cfg.layout);
    struct plc_snapshot *s =
        plc_snapshot_load_newest(r->dir, name, r->cfg.log, r->cfg.log_user, &diag);
    if (!s) {
        if (errno == ENOENT) {
            say(r, PLC_LOG_INFO, "no snapshot in %s yet: writing the first one", r->dir);
        } else {
            plc_diag_format(&diag, msg, sizeof(msg));
            say(r, PLC_LOG_WARNING, "%s: writing a new snapshot", msg);
        }
        r->cur_good = false;
        return;
    }
    r->stats.seq = plc_snapshot_get_seq(s);
    r->cur_good = !plc_snapshot_is_backup(s);
    for (size_t i = 0; i < r->ntags; i++) {
        struct rtag *t = &r->tags[i];
        const struct plc_snapshot_tag *st = plc_snapshot_find_tag(s, t->t->name);
        if (st && st->type == t->t->type) {
            struct plc_value v = plc_snapshot_tag_get(st);
            plc_value_store(t->t->type, &v, t->saved);
            t->saved_known = true;
        }
    }
    plc_snapshot_free(s);
}

static bool has_retained(const struct plc_layout *l, const struct plc_region_def *def)
{
    for (size_t j = def->first_tag; j < def->first_tag + def->tag_count; j++)
        if (plc_layout_tag_at(l, j)->retain)
            return true;
    return false;
}

/* The lock, and the condition the writer waits on with CLOCK_MONOTONIC deadlines. */
static void init_sync(struct plc_retain *r)
{
    pthread_mutex_init(&r->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
}

/* Count the retained tags and the regions that hold them, and allocate their tables. */
static int alloc_tables(struct plc_retain *r, struct plc_diag *diag)
{
    const struct plc_layout *l = r->cfg.layout;
    for (size_t i = 0; i < plc_layout_tag_count(l); i++)
        r->ntags += plc_layout_tag_at(l, i)->retain;
    for (size_t i = 0; i < plc_layout_region_count(l); i++)
        r->nregions += has_retained(l, plc_layout_region_at(l, i));
    if (!r->ntags) {
        plc_diag_fail(diag, plc_layout_get_path(l), ENOENT,
             "layout '%s' has no retained tag: nothing to keep", plc_layout_get_name(l));
        return -1;
    }
    r->tags = calloc(r->ntags, sizeof(*r->tags));
    r->out = calloc(r->ntags, sizeof(*r->out));
    r->outbytes = calloc(r->ntags, sizeof(*r->outbytes));
    r->regions = calloc(r->nregions, sizeof(*r->regions));
    if (!r->tags || !r->out || !r->outbytes || !r->regions) {
        plc_diag_fail(diag, NULL, ENOMEM, "out of memory");
        return -1;
    }
    return 0;
}

/* Give @g the retained tags of @def, taken from r->tags[*nt] on, and attach
 * to its region. */
static int setup_region(struct plc_retain *r, struct rregion *g,
                        const struct plc_region_def *def, size_t *nt, struct plc_diag *diag)
{
    const struct plc_layout *l = r->cfg.layout;
    for (size_t j = def->first_tag; j < def->first_tag + def->tag_count; j++) {
        const struct plc_tag_def *t = plc_layout_tag_at(l, j);
        if (!t->retain)
            continue;
        if (!g->rtags) {
            g->rtags = &r->tags[*nt];
            g->def = def;
            g->owner = r;
        }
        r->tags[(*nt)++].t = t;
        g->ntags++;
    }
    g->tags = calloc(g->ntags, sizeof(*g->tags));
    g->buf = calloc(1, def->data_size);
    if (!g->tags || !g->buf) {
        plc_diag_fail(diag, NULL, ENOMEM, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < g->ntags; k++)
        g->tags[k] = g->rtags[k].t;
    g->reg = plc_region_attach(l, r->base, def->name, PLC_READER, NULL, diag);
    return g->reg ? 0 : -1;
}

static int setup_regions(struct plc_retain *r, struct plc_diag *diag)
{
    const struct plc_layout *l = r->cfg.layout;
    size_t nt = 0, nr = 0;
    for (size_t i = 0; i < plc_layout_region_count(l); i++) {
        const struct plc_region_def *def = plc_layout_region_at(l, i);
        if (!has_retained(l, def))
            continue; /* and r->regions[nr] may be one past the end */
        if (setup_region(r, &r->regions[nr++], def, &nt, diag) < 0)
            return -1;
    }
    return 0;
}

/* The first live values: read from each region, or where one cannot be read,
 * the saved value (else the initial one). */
static void read_first_values(struct plc_retain *r)
{
    for (size_t i = 0; i < r->nregions; i++) {
        struct rregion *g = &r->regions[i];
        if (read_region(g) < 0) /* logged; wait for the writer to publish again */
            for (size_t k = 0; k < g->ntags; k++) {
                struct rtag *t = &g->rtags[k];
                if (t->saved_known)
                    memcpy(t->live, t->saved, t->t->size);
                else
                    plc_value_store(t->t->type, &t->t->initial_v, t->live);
            }
    }
}

static int start_threads(struct plc_retain *r, struct plc_diag *diag)
{
    for (size_t i = 0; i < r->nregions; i++) {
        if (pthread_create(&r->regions[i].thread, NULL, region_main, &r->regions[i]) != 0) {
            plc_diag_fail(diag, NULL, EAGAIN, "cannot start a thread");
            return -1;
        }
        r->regions[i].started = true;
    }
    if (pthread_create(&r->writer, NULL, writer_main, r) != 0) {
        plc_diag_fail(diag, NULL, EAGAIN, "cannot start a thread");
        return -1;
    }
    r->writer_started = true;
    return 0;
}

struct plc_retain *plc_retain_new(const struct plc_retain_config *cfg, struct plc_diag *diag)
{
    plc_diag_clear(diag);
    struct plc_retain *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->cfg = *cfg;
    snprintf(r->base, sizeof(r->base), "%s", cfg->base_dir);
    snprintf(r->dir, sizeof(r->dir), "%s", cfg->dir);
    atomic_init(&r->quit, false);
    init_sync(r);
    if (alloc_tables(r, diag) < 0 || setup_regions(r, diag) < 0 ||
        plc_dir_make(r->dir, 0750, diag) < 0)
        goto fail;
    load_saved(r);
    read_first_values(r);
    if (start_threads(r, diag) < 0)
        goto fail;
    return r;

fail:;
    int err = errno;
    plc_retain_free(r);
    errno = err;
    return NULL;
}

void plc_retain_snapshot_now(struct plc_retain *r)
{
    pthread_mutex_lock(&r->mu);
    r->now_req = true;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
}

int plc_retain_stop(struct plc_retain *r)
{
    pthread_mutex_lock(&r->mu);
    if (r->stopped || r->stopping) {
        pthread_mutex_unlock(&r->mu);
        return r->stop_rc;
    }
    r->stopping = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (r->writer_started)
        pthread_join(r->writer, NULL);
    r->writer_started = false;
    atomic_store(&r->quit, true);
    for (size_t i = 0; i < r->nregions; i++) {
        if (r->regions[i].started)
            pthread_join(r->regions[i].thread, NULL);
        r->regions[i].started = false;
    }
    /* The final values, read afresh: a clean shutdown loses nothing. */
    for (size_t i = 0; i < r->nregions; i++)
        if (r->regions[i].reg)
            read_region(&r->regions[i]);
    pthread_mutex_lock(&r->mu);
    if (r->ntags && dirty(r))
        r->stop_rc = write_locked(r);
    r->stopped = true;
    pthread_mutex_unlock(&r->mu);
    return r->stop_rc;
}

void plc_retain_get_stats(struct plc_retain *r, struct plc_retain_stats *stats)
{
    pthread_mutex_lock(&r->mu);
    *stats = r->stats;
    pthread_mutex_unlock(&r->mu);
}

void plc_retain_free(struct plc_retain *r)
{
    if (!r)
        return;
    /* Threads first; a half-built service has no snapshot to finish. */
    pthread_mutex_lock(&r->mu);
    r->stopping = true;
    pthread_cond_broadcast(&r->cv);
    pthread_mutex_unlock(&r->mu);
    if (r->writer_started)
        pthread_join(r->writer, NULL);
    atomic_store(&r->quit, true);
    for (size_t i = 0; r->regions && i < r->nregions; i++) {
        struct rregion *g = &r->regions[i];
        if (g->started)
            pthread_join(g->thread, NULL);
        plc_region_detach(g->reg);
        free(g->tags);
        free(g->buf);
    }
    free(r->regions);
    free(r->tags);
    free(r->out);
    free(r->outbytes);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    free(r);
}
