/* SPDX-License-Identifier: MIT */
/*
 * struct plc_io: the I/O service core, the same for every backend.
 *
 * Two threads. The caller's thread polls the backend's event fd and publishes
 * input edges, debounced here unless the kernel does it, each burst as one
 * write per input region. The outputs thread sleeps in plc_region_wait() on
 * 'outputs' (a futex) and applies all output lines together; it holds them at
 * their safe values until the region's writer is alive with a fresh heartbeat,
 * and returns to them when it dies or falls silent.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"

/* How often the outputs thread checks the writer's liveness when nothing changes. */
#define LIVENESS_PERIOD_NS (10 * 1000000LL)
/* Between attempts to attach to a re-created 'outputs'. */
#define REATTACH_PAUSE_NS (200 * 1000000L)
/* Input regions get a heartbeat at least this often. */
#define HEARTBEAT_PERIOD_NS (100 * 1000000LL)
#define EVENT_BATCH 256

struct in_state {
    bool raw;           /* last value the line showed */
    bool published;     /* debounced value in the region */
    bool pending;       /* raw differs in time from published: debounce running */
    uint64_t last_edge; /* ts of the last edge */
    uint64_t events, changes, last_event_ns;
};


struct out_state {
    bool value; /* applied */
    uint64_t changes;
};

struct in_region {
    struct plc_region *region;
    const struct plc_tag_def **tags; /* its GPIO tags */
    size_t ntags;
    unsigned char *data;
    bool dirty;
};

struct plc_io {
    const struct plc_layout *layout;
    const struct plc_io_ops *ops;
    struct plc_io_backend *backend;
    char base[256];
    char consumer[64];
    int64_t hb_timeout_ns;
    FILE *log;
    void (*on_alive)(void *ctx);
    void *alive_ctx;
    _Atomic uint64_t out_turns; /* the outputs thread's loop count, for on_alive */

    struct plc_io_line *lines;
    size_t nin, nout;
    struct in_state *in;
    struct out_state *out;
    size_t *in_region_of; /* input line -> index in regions */

    struct in_region *regions;
    size_t nregions;
    struct plc_region *outputs;

    pthread_mutex_t lock; /* line stats and output state, for readers of the info */
    enum plc_io_output_state out_state;
    atomic_bool stop;
    int stop_fd;
    uint64_t full_read_ns; /* edges older than the last full read are stale */
};

/* ---- helpers shared with the backends ------------------------------------------ */

void *plc_io_fail(struct plc_diag *diag, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    plc_diag_setv(diag, NULL, fmt, ap);
    va_end(ap);
    errno = err;
    return NULL;
}

void plc_io_binding_text(const struct plc_gpio_binding *g, char *buf, size_t len)
{
    if (g->line_name[0])
        snprintf(buf, len, "line %s", g->line_name);
    else
        snprintf(buf, len, "line %s:%d", g->chip, g->offset);
}

uint64_t plc_io_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const struct {
    const char *name;
    const struct plc_io_ops *ops;
} backends[] = {
    {"sim", &plc_io_sim_ops},
    {"gpiod", &plc_io_gpiod_ops},
};

const char *const *plc_io_backends(void)
{
    static const char *const names[] = {"sim", "gpiod", NULL};
    return names;
}

const char *plc_io_backend_version(const char *name)
{
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
        if (strcmp(backends[i].name, name) == 0)
            return backends[i].ops->version();
    return NULL;
}

static void logf_(struct plc_io *io, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct plc_io *io, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    flockfile(io->log);
    fputs("plc-io: ", io->log);
    vfprintf(io->log, fmt, ap);
    fputc('\n', io->log);
    fflush(io->log);
    funlockfile(io->log);
    va_end(ap);
}

/* Two bindings that resolve to the same chip line: refused before any request. */
static int check_resolved(const struct plc_io_line *lines, size_t n, struct plc_diag *diag)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (lines[i].offset == lines[j].offset &&
                strcmp(lines[i].chip, lines[j].chip) == 0) {
                plc_io_fail(diag, EINVAL,
                            "tag '%s' (line %u) and tag '%s' (line %u) are both bound to "
                            "%s:%u",
                            lines[j].tag->name, lines[j].tag->line, lines[i].tag->name,
                            lines[i].tag->line, lines[i].chip, lines[i].offset);
                return -1;
            }
    return 0;
}

/* ---- construction -------------------------------------------------------------- */

static bool safe_value(const struct plc_tag_def *t, bool current)
{
    return t->safe_mode == PLC_SAFE_HOLD ? current : t->safe != 0;
}

static int collect_lines(struct plc_io *io)
{
    const struct plc_layout *l = io->layout;
    size_t n = 0;
    for (size_t i = 0; i < plc_layout_tag_count(l); i++)
        n += plc_layout_tag_at(l, i)->gpio.bound;
    io->lines = calloc(n + 1, sizeof(*io->lines));
    io->in = calloc(n + 1, sizeof(*io->in));
    io->out = calloc(n + 1, sizeof(*io->out));
    io->in_region_of = calloc(n + 1, sizeof(*io->in_region_of));
    if (!io->lines || !io->in || !io->out || !io->in_region_of)
        return -1;
    for (int pass = 0; pass < 2; pass++) {
        enum plc_gpio_dir want = pass == 0 ? PLC_GPIO_INPUT : PLC_GPIO_OUTPUT;
        for (size_t i = 0; i < plc_layout_tag_count(l); i++) {
            const struct plc_tag_def *t = plc_layout_tag_at(l, i);
            if (!t->gpio.bound || t->region->gpio_dir != want)
                continue;
            struct plc_io_line *line = &io->lines[io->nin + io->nout];
            line->tag = t;
            line->output = pass == 1;
            if (line->output) {
                line->initial = safe_value(t, t->initial != 0);
                io->out[io->nout].value = line->initial;
                io->nout++;
            } else {
                io->nin++;
            }
        }
    }
    return 0;
}

static int attach_regions(struct plc_io *io, struct plc_diag *diag)
{
    const struct plc_layout *l = io->layout;
    size_t nreg = plc_layout_region_count(l);
    io->regions = calloc(nreg + 1, sizeof(*io->regions));
    if (!io->regions)
        return -1;
    for (size_t r = 0; r < nreg; r++) {
        const struct plc_region_def *def = plc_layout_region_at(l, r);
        if (def->gpio_dir != PLC_GPIO_INPUT)
            continue;
        struct in_region *ir = &io->regions[io->nregions++];
        ir->region = plc_region_attach(l, io->base, def->name, PLC_WRITER, "io", diag);
        if (!ir->region)
            return -1;
        ir->data = calloc(1, def->data_size);
        ir->tags = calloc(def->tag_count + 1, sizeof(*ir->tags));
        if (!ir->data || !ir->tags)
            return -1;
        if (plc_region_read(ir->region, ir->data) < 0 && errno != PLC_EDEADWRITER)
            return -1;
        for (size_t i = 0; i < io->nin; i++)
            if (io->lines[i].tag->region == def) {
                ir->tags[ir->ntags++] = io->lines[i].tag;
                io->in_region_of[i] = io->nregions - 1;
            }
    }
    if (plc_layout_find_region(l, "outputs")) {
        io->outputs = plc_region_attach(l, io->base, "outputs", PLC_READER, NULL, diag);
        if (!io->outputs)
            return -1;
    }
    return 0;
}

static void publish(struct plc_io *io);

struct plc_io *plc_io_new(const struct plc_io_config *cfg, struct plc_diag *diag)
{
    plc_diag_clear(diag);
    if (!cfg || !cfg->layout || !cfg->base_dir)
        return plc_io_fail(diag, EINVAL, "plc-io needs a layout and a base directory");
    const char *bname = cfg->backend ? cfg->backend : "gpiod";
    const struct plc_io_ops *ops = NULL;
    for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
        if (strcmp(backends[i].name, bname) == 0)
            ops = backends[i].ops;
    if (!ops)
        return plc_io_fail(diag, EINVAL, "unknown backend '%s' (expected sim or gpiod)", bname);
    const char *consumer = cfg->consumer ? cfg->consumer : PLC_IO_CONSUMER_DEFAULT;
    if (!*consumer || strlen(consumer) >= 32)
        return plc_io_fail(diag, EINVAL, "consumer name '%s' is not 1 to 31 characters",
                           consumer);

    struct plc_io *io = calloc(1, sizeof(*io));
    if (!io)
        return NULL;
    io->layout = cfg->layout;
    io->ops = ops;
    io->stop_fd = -1;
    io->log = cfg->log ? cfg->log : stderr;
    io->on_alive = cfg->on_alive;
    io->alive_ctx = cfg->alive_ctx;
    io->out_state = PLC_IO_OUTPUTS_SAFE;
    io->hb_timeout_ns = cfg->heartbeat_timeout_ns ? cfg->heartbeat_timeout_ns
                                                  : PLC_IO_HEARTBEAT_TIMEOUT_NS_DEFAULT;
    snprintf(io->base, sizeof(io->base), "%s", cfg->base_dir);
    snprintf(io->consumer, sizeof(io->consumer), "%s", consumer);
    pthread_mutex_init(&io->lock, NULL);

    if (collect_lines(io) < 0 || attach_regions(io, diag) < 0)
        goto err;
    io->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (io->stop_fd < 0)
        goto err;
    if (io->nin + io->nout > 0) {
        size_t n = io->nin + io->nout;
        for (size_t i = 0; i < n; i++)
            if (ops->resolve(io->lines[i].tag, &io->lines[i], diag) < 0)
                goto err;
        if (check_resolved(io->lines, n, diag) < 0)
            goto err;
        io->backend = ops->open(io->layout, io->base, io->consumer, io->lines, io->nin,
                                io->nout, diag);
        if (!io->backend)
            goto err;
    }

    /* The start-up full read. */
    bool *v = calloc(io->nin + 1, sizeof(bool));
    if (!v || (io->nin && ops->read_inputs(io->backend, v) < 0)) {
        free(v);
        goto err;
    }
    uint64_t now = plc_io_now_ns();
    for (size_t i = 0; i < io->nin; i++) {
        io->in[i].raw = io->in[i].published = v[i];
        io->in[i].last_edge = now;
        io->full_read_ns = now;
        plc_tag_encode(io->lines[i].tag, v[i],
                       io->regions[io->in_region_of[i]].data);
        io->regions[io->in_region_of[i]].dirty = true;
    }
    free(v);
    publish(io);
    return io;

err:;
    int err = errno;
    plc_io_free(io);
    errno = err;
    return NULL;
}

void plc_io_free(struct plc_io *io)
{
    if (!io)
        return;
    if (io->backend) {
        /* Leave the outputs at their safe values. */
        bool *v = calloc(io->nout + 1, sizeof(bool));
        if (v) {
            for (size_t i = 0; i < io->nout; i++)
                v[i] = safe_value(io->lines[io->nin + i].tag, io->out[i].value);
            if (io->nout)
                io->ops->write_outputs(io->backend, v);
            free(v);
        }
        io->ops->close(io->backend);
    }
    for (size_t r = 0; r < io->nregions; r++) {
        plc_region_detach(io->regions[r].region);
        free(io->regions[r].data);
        free(io->regions[r].tags);
    }
    plc_region_detach(io->outputs);
    if (io->stop_fd >= 0)
        close(io->stop_fd);
    pthread_mutex_destroy(&io->lock);
    free(io->regions);
    free(io->lines);
    free(io->in);
    free(io->out);
    free(io->in_region_of);
    free(io);
}

/* ---- inputs -------------------------------------------------------------------- */

static void publish(struct plc_io *io)
{
    for (size_t r = 0; r < io->nregions; r++) {
        struct in_region *ir = &io->regions[r];
        if (!ir->dirty)
            continue;
        if (plc_region_write_tags(ir->region, ir->tags, ir->ntags, ir->data) < 0)
            logf_(io, "inputs: cannot write region '%s': %s",
                  plc_region_get_def(ir->region)->name, plc_strerror(errno));
        ir->dirty = false;
    }
}

static uint32_t debounce_us(const struct plc_io *io, size_t i)
{
    return io->lines[i].kernel_debounce ? 0 : io->lines[i].tag->gpio.debounce_us;
}

static void accept_value(struct plc_io *io, size_t i, bool v)
{
    struct in_state *s = &io->in[i];
    s->pending = false;
    if (v == s->published)
        return;
    s->published = v;
    s->changes++;
    struct in_region *ir = &io->regions[io->in_region_of[i]];
    plc_tag_encode(io->lines[i].tag, v, ir->data);
    ir->dirty = true;
}

static void edge(struct plc_io *io, size_t i, bool v, uint64_t ts)
{
    struct in_state *s = &io->in[i];
    s->events++;
    if (ts < io->full_read_ns)
        return; /* queued before the full read that already covered it */
    s->last_event_ns = ts;
    s->raw = v;
    s->last_edge = ts;
    if (debounce_us(io, i) == 0)
        accept_value(io, i, v);
    else
        s->pending = true;
}

/* Accept every debounced value that has been stable long enough; the next deadline. */
static int64_t settle(struct plc_io *io, uint64_t now)
{
    int64_t next = -1;
    for (size_t i = 0; i < io->nin; i++) {
        struct in_state *s = &io->in[i];
        if (!s->pending)
            continue;
        uint64_t due = s->last_edge + (uint64_t)debounce_us(io, i) * 1000u;
        if (now >= due)
            accept_value(io, i, s->raw);
        else if (next < 0 || (int64_t)(due - now) < next)
            next = (int64_t)(due - now);
    }
    return next;
}

static int full_read(struct plc_io *io)
{
    bool *v = calloc(io->nin + 1, sizeof(bool));
    if (!v)
        return -1;
    uint64_t now = plc_io_now_ns();
    io->full_read_ns = now;
    int rc = io->ops->read_inputs(io->backend, v);
    for (size_t i = 0; rc == 0 && i < io->nin; i++)
        if (v[i] != io->in[i].raw)
            edge(io, i, v[i], now);
    free(v);
    return rc;
}

static int drain_events(struct plc_io *io)
{
    struct plc_io_event ev[EVENT_BATCH];
    bool lost = false;
    /* Bounded: under an edge storm, poll() brings us back. */
    for (int round = 0; round < 64; round++) {
        bool overflow = false;
        int n = io->ops->read_events(io->backend, ev, EVENT_BATCH, &overflow);
        if (n < 0)
            return -1;
        lost |= overflow;
        pthread_mutex_lock(&io->lock);
        for (int k = 0; k < n; k++)
            edge(io, ev[k].line, ev[k].value, ev[k].ts_ns ? ev[k].ts_ns : plc_io_now_ns());
        pthread_mutex_unlock(&io->lock);
        if (n == 0)
            break;
    }
    if (lost) {
        logf_(io, "inputs: edge events were lost: full read");
        pthread_mutex_lock(&io->lock);
        int rc = full_read(io);
        pthread_mutex_unlock(&io->lock);
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- outputs ------------------------------------------------------------------- */

static int apply(struct plc_io *io, const bool *v)
{
    pthread_mutex_lock(&io->lock);
    for (size_t i = 0; i < io->nout; i++)
        if (io->out[i].value != v[i]) {
            io->out[i].value = v[i];
            io->out[i].changes++;
        }
    pthread_mutex_unlock(&io->lock);
    return io->nout ? io->ops->write_outputs(io->backend, v) : 0;
}

static int apply_safe(struct plc_io *io)
{
    bool v[io->nout + 1];
    for (size_t i = 0; i < io->nout; i++)
        v[i] = safe_value(io->lines[io->nin + i].tag, io->out[i].value);
    return apply(io, v);
}

/* Read the output tags and apply them. -1 when the region cannot be read. */
static int apply_region(struct plc_io *io)
{
    size_t n = io->nout;
    const struct plc_tag_def *tags[n + 1];
    bool v[n + 1];
    unsigned char data[plc_region_get_def(io->outputs)->data_size];
    for (size_t i = 0; i < n; i++)
        tags[i] = io->lines[io->nin + i].tag;
    if (plc_region_read_tags(io->outputs, tags, n, data) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        v[i] = plc_tag_decode(tags[i], data) != 0;
    return apply(io, v);
}

/* Whether the outputs writer may drive the lines; *why says why not. */
static bool writer_healthy(struct plc_io *io, char *why, size_t len, pid_t *pid)
{
    struct plc_region_info info;
    if (plc_region_get_info(io->outputs, &info) < 0) {
        snprintf(why, len, "cannot read region 'outputs': %s", plc_strerror(errno));
        return false;
    }
    *pid = info.writer_pid;
    if (!info.writer_pid) {
        snprintf(why, len, "no writer ('%s') attached to 'outputs'", info.writer_service);
        return false;
    }
    if (!info.writer_alive) {
        snprintf(why, len, "writer pid %d (%s) of 'outputs' died", (int)info.writer_pid,
                 info.holder);
        return false;
    }
    /* The writer says how long it may be silent while healthy (the logic: a
     * heartbeat interval plus its watchdog); ours is the least we wait. */
    int64_t timeout = io->hb_timeout_ns;
    if (timeout >= 0 && info.max_silence_ns > timeout)
        timeout = info.max_silence_ns;
    if (timeout >= 0 && (info.heartbeat_age_ns < 0 || info.heartbeat_age_ns > timeout)) {
        snprintf(why, len, "heartbeat of writer pid %d (%s) is %.1f ms old (timeout %.1f ms)",
                 (int)info.writer_pid, info.holder, info.heartbeat_age_ns / 1e6,
                 timeout / 1e6);
        return false;
    }
    snprintf(why, len, "writer pid %d (%s)", (int)info.writer_pid, info.holder);
    return true;
}

static void set_state(struct plc_io *io, enum plc_io_output_state s)
{
    pthread_mutex_lock(&io->lock);
    io->out_state = s;
    pthread_mutex_unlock(&io->lock);
}

/*
 * plc-shm-init --recreate made a new 'outputs': attach to it (the outputs stay
 * safe meanwhile). -1 when plc-io stops first.
 */
static int reattach_outputs(struct plc_io *io)
{
    struct plc_diag diag;
    char last[sizeof(diag.msg)] = "";
    plc_region_detach(io->outputs);
    io->outputs = NULL;
    while (!atomic_load(&io->stop)) {
        atomic_fetch_add_explicit(&io->out_turns, 1, memory_order_relaxed); /* waiting is alive */
        io->outputs = plc_region_attach(io->layout, io->base, "outputs", PLC_READER, NULL, &diag);
        if (io->outputs) {
            logf_(io, "outputs: attached to the new region 'outputs'");
            return 0;
        }
        if (strcmp(last, diag.msg) != 0) /* once per cause, not every attempt */
            logf_(io, "outputs: cannot attach yet: %s", diag.msg);
        snprintf(last, sizeof(last), "%s", diag.msg);
        nanosleep(&(struct timespec){0, REATTACH_PAUSE_NS}, NULL);
    }
    return -1;
}

static void *outputs_thread(void *arg)
{
    struct plc_io *io = arg;
    char why[256];
    pid_t pid = 0;
    bool following = false;

    writer_healthy(io, why, sizeof(why), &pid);
    logf_(io, "outputs: safe values until the logic runs (%s)", why);
    while (!atomic_load(&io->stop)) {
        atomic_fetch_add_explicit(&io->out_turns, 1, memory_order_relaxed);
        int r = plc_region_wait(io->outputs, LIVENESS_PERIOD_NS);
        if (r < 0 && errno != EINTR) {
            if (following)
                logf_(io, "outputs: safe values: %s", plc_strerror(errno));
            following = false;
            set_state(io, PLC_IO_OUTPUTS_SAFE);
            apply_safe(io);
            if (errno == PLC_ERETIRED) {
                logf_(io, "outputs: region 'outputs' was re-created: attaching again");
                if (reattach_outputs(io) < 0)
                    break;
            }
            continue;
        }
        bool ok = writer_healthy(io, why, sizeof(why), &pid);
        if (ok && (!following || r == 1)) {
            if (apply_region(io) < 0) {
                snprintf(why, sizeof(why), "cannot read 'outputs': %s", plc_strerror(errno));
                ok = false;
            } else if (!following) {
                following = true;
                set_state(io, PLC_IO_OUTPUTS_FOLLOWING);
                logf_(io, "outputs: following region 'outputs' (%s)", why);
            }
        }
        if (!ok && following) {
            following = false;
            apply_safe(io);
            set_state(io, PLC_IO_OUTPUTS_SAFE);
            logf_(io, "outputs: safe values: %s", why);
        }
    }
    return NULL;
}

/* ---- running ------------------------------------------------------------------- */

int plc_io_run(struct plc_io *io)
{
    pthread_t out_thread;
    bool have_out = io->outputs && io->nout;
    if (have_out) {
        int e = pthread_create(&out_thread, NULL, outputs_thread, io);
        if (e) {
            errno = e;
            return -1;
        }
    }
    int rc = 0;
    uint64_t last_hb = plc_io_now_ns();
    struct pollfd pfd[2] = {{.fd = io->stop_fd, .events = POLLIN},
                            {.fd = io->backend && io->nin ? io->ops->event_fd(io->backend) : -1,
                             .events = POLLIN}};
    int64_t next = -1;
    uint64_t out_turns_seen = 0;
    while (!atomic_load(&io->stop)) {
        /* Alive when this loop turns and, if there is one, the outputs thread too. */
        uint64_t turns = atomic_load_explicit(&io->out_turns, memory_order_relaxed);
        if (io->on_alive && (!have_out || turns != out_turns_seen)) {
            out_turns_seen = turns;
            io->on_alive(io->alive_ctx);
        }
        int64_t wait_ns = HEARTBEAT_PERIOD_NS;
        if (next >= 0 && next < wait_ns)
            wait_ns = next;
        int timeout_ms = (int)((wait_ns + 999999) / 1000000);
        int n = poll(pfd, 2, timeout_ms);
        if (n < 0 && errno != EINTR) {
            logf_(io, "inputs: poll: %s", strerror(errno));
            rc = -1;
            break;
        }
        if (pfd[0].revents)
            break;
        if (n > 0 && pfd[1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            logf_(io, "inputs: the event fd failed");
            rc = -1;
            break;
        }
        if (n > 0 && (pfd[1].revents & POLLIN) && drain_events(io) < 0) {
            logf_(io, "inputs: reading edge events: %s", strerror(errno));
            rc = -1;
            break;
        }
        uint64_t now = plc_io_now_ns();
        pthread_mutex_lock(&io->lock);
        next = settle(io, now);
        pthread_mutex_unlock(&io->lock);
        bool wrote = false;
        for (size_t r = 0; r < io->nregions; r++)
            wrote |= io->regions[r].dirty;
        publish(io);
        if (wrote)
            last_hb = now;
        else if (now - last_hb >= HEARTBEAT_PERIOD_NS) {
            for (size_t r = 0; r < io->nregions; r++)
                plc_region_heartbeat(io->regions[r].region);
            last_hb = now;
        }
    }
    int err = errno;
    atomic_store(&io->stop, true);
    if (have_out)
        pthread_join(out_thread, NULL);
    errno = err;
    return rc;
}

void plc_io_stop(struct plc_io *io)
{
    uint64_t one = 1;
    atomic_store(&io->stop, true);
    ssize_t w = write(io->stop_fd, &one, sizeof(one));
    (void)w;
}

/* ---- introspection ------------------------------------------------------------- */

size_t plc_io_line_count(const struct plc_io *io)
{
    return io->nin + io->nout;
}

int plc_io_line_get_info(struct plc_io *io, size_t i, struct plc_io_line_info *info)
{
    if (i >= io->nin + io->nout) {
        errno = ERANGE;
        return -1;
    }
    const struct plc_io_line *l = &io->lines[i];
    memset(info, 0, sizeof(*info));
    info->tag = l->tag;
    info->output = l->output;
    snprintf(info->chip, sizeof(info->chip), "%s", l->chip);
    info->offset = l->offset;
    snprintf(info->name, sizeof(info->name), "%s", l->name);
    info->kernel_debounce = l->kernel_debounce;
    pthread_mutex_lock(&io->lock);
    if (l->output) {
        info->value = io->out[i - io->nin].value;
        info->changes = io->out[i - io->nin].changes;
    } else {
        info->value = io->in[i].published;
        info->changes = io->in[i].changes;
        info->events = io->in[i].events;
        info->last_event_ns = io->in[i].last_event_ns;
    }
    pthread_mutex_unlock(&io->lock);
    return 0;
}

enum plc_io_output_state plc_io_get_output_state(struct plc_io *io)
{
    pthread_mutex_lock(&io->lock);
    enum plc_io_output_state s = io->out_state;
    pthread_mutex_unlock(&io->lock);
    return s;
}

int plc_io_print_lines(struct plc_io *io, FILE *out)
{
    fprintf(out, "%-20s %-3s %-12s %-6s %-10s %-10s %-11s %-9s %-8s %s\n", "TAG", "DIR",
            "CHIP", "OFFSET", "NAME", "BIAS", "DRIVE", "ACTIVE", "DEBOUNCE", "SAFE");
    for (size_t i = 0; i < io->nin + io->nout; i++) {
        const struct plc_io_line *l = &io->lines[i];
        const struct plc_gpio_binding *g = &l->tag->gpio;
        char deb[32] = "-", safe[16] = "-";
        if (!l->output && g->debounce_us)
            snprintf(deb, sizeof(deb), "%uus%s", g->debounce_us,
                     l->kernel_debounce ? "(k)" : "");
        if (l->output)
            snprintf(safe, sizeof(safe), "%s",
                     l->tag->safe_mode == PLC_SAFE_HOLD ? "hold" : l->tag->safe ? "1" : "0");
        fprintf(out, "%-20s %-3s %-12s %-6u %-10s %-10s %-11s %-9s %-8s %s\n", l->tag->name,
                l->output ? "out" : "in", l->chip, l->offset, l->name[0] ? l->name : "-",
                plc_gpio_bias_name(g->bias), l->output ? plc_gpio_drive_name(g->drive) : "-",
                g->active_low ? "low" : "high", deb, safe);
    }
    return ferror(out) ? -1 : 0;
}
