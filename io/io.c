/* SPDX-License-Identifier: MIT */
/*
 * struct plc_io: the I/O service core, the same for every backend.
 *
 * Two threads. The caller's thread polls the backend's event fd and publishes
 * input edges, debounced here unless the kernel does it, each burst as one
 * write per input region (io-inputs.c). The outputs thread sleeps in
 * plc_region_wait() on 'outputs' (a futex) and applies all output lines
 * together; it holds them at their safe values until the region's writer is
 * alive with a fresh heartbeat, and returns to them when it dies or falls
 * silent (io-outputs.c). This file makes, runs and frees the core and holds
 * the helpers the backends share; io-info.c the line table.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "io-internal.h"

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

void plc_io_log(struct plc_io *io, const char *fmt, ...)
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
                line->initial = plc_io_safe_value(t, t->initial != 0);
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
        if (io->events)
            plc_event_ring_post_takeover(io->events, PLC_SOURCE_IO, ir->region);
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

/* Resolve every line, refuse one bound twice, and request them all. */
static int open_lines(struct plc_io *io, struct plc_diag *diag)
{
    const struct plc_io_ops *ops = io->ops;
    if (io->nin + io->nout > 0) {
        size_t n = io->nin + io->nout;
        for (size_t i = 0; i < n; i++)
            if (ops->resolve(io->lines[i].tag, &io->lines[i], diag) < 0)
                return -1;
        if (check_resolved(io->lines, n, diag) < 0)
            return -1;
        io->backend = ops->open(io->layout, io->base, io->consumer, io->lines, io->nin,
                                io->nout, diag);
        if (!io->backend)
            return -1;
    }
    return 0;
}

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
    io->events = cfg->events;
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
    plc_io_force_open(io, cfg->events);
    if (open_lines(io, diag) < 0 || plc_io_first_read(io) < 0)
        goto err;
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
                v[i] = plc_io_safe_value(io->lines[io->nin + i].tag, io->out[i].value);
            if (io->nout)
                io->ops->write_outputs(io->backend, v);
            free(v);
        }
        io->ops->close(io->backend);
    }
    for (size_t r = 0; r < io->nregions; r++) {
        plc_region_detach(io->regions[r].region);
        free(io->regions[r].data);
        free(io->regions[r].pub);
        free(io->regions[r].tags);
    }
    plc_region_detach(io->outputs);
    plc_force_table_close(io->forces);
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

/* ---- running ------------------------------------------------------------------- */

int plc_io_run(struct plc_io *io)
{
    pthread_t out_thread;
    bool have_out = io->outputs && io->nout;
    if (have_out) {
        int e = pthread_create(&out_thread, NULL, plc_io_outputs_thread, io);
        if (e) {
            errno = e;
            return -1;
        }
    }
    int rc = plc_io_inputs_loop(io, have_out);
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

