/* SPDX-License-Identifier: MIT */
/*
 * The inputs side of struct plc_io, on the caller's thread: it polls the
 * backend's event fd, takes each edge through the debounce (unless the
 * kernel does it) and publishes each burst as one write per input region,
 * with a heartbeat when nothing changes.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "io-internal.h"

/* Input regions get a heartbeat at least this often. */
#define HEARTBEAT_PERIOD_NS (100 * 1000000LL)
#define EVENT_BATCH 256

static void publish(struct plc_io *io)
{
    for (size_t r = 0; r < io->nregions; r++) {
        struct in_region *ir = &io->regions[r];
        bool forced = plc_io_force_apply(io, ir);
        if (!ir->dirty && !forced)
            continue;
        if ((forced ? plc_region_write(ir->region, ir->pub)
                    : plc_region_write_tags(ir->region, ir->tags, ir->ntags, ir->data)) < 0)
            plc_io_log(io, "inputs: cannot write region '%s': %s",
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
        plc_io_log(io, "inputs: edge events were lost: full read");
        pthread_mutex_lock(&io->lock);
        int rc = full_read(io);
        pthread_mutex_unlock(&io->lock);
        if (rc < 0)
            return -1;
    }
    return 0;
}

int plc_io_first_read(struct plc_io *io)
{
    bool *v = calloc(io->nin + 1, sizeof(bool));
    if (!v || (io->nin && io->ops->read_inputs(io->backend, v) < 0)) {
        free(v);
        return -1;
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
    return 0;
}

/* Accept what has settled and publish it; a heartbeat for the input regions
 * when nothing was written for a while. The next debounce deadline, or -1. */
static int64_t publish_settled(struct plc_io *io, uint64_t *last_hb)
{
    uint64_t now = plc_io_now_ns();
    pthread_mutex_lock(&io->lock);
    int64_t next = settle(io, now);
    pthread_mutex_unlock(&io->lock);
    bool wrote = false;
    for (size_t r = 0; r < io->nregions; r++)
        wrote |= io->regions[r].dirty;
    publish(io);
    if (wrote)
        *last_hb = now;
    else if (now - *last_hb >= HEARTBEAT_PERIOD_NS) {
        for (size_t r = 0; r < io->nregions; r++)
            plc_region_heartbeat(io->regions[r].region);
        *last_hb = now;
    }
    return next;
}

int plc_io_inputs_loop(struct plc_io *io, bool have_out)
{
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
            plc_io_log(io, "inputs: poll: %s", strerror(errno));
            return -1;
        }
        if (pfd[0].revents)
            break;
        if (n > 0 && pfd[1].revents & (POLLERR | POLLHUP | POLLNVAL)) {
            plc_io_log(io, "inputs: the event fd failed");
            return -1;
        }
        if (n > 0 && (pfd[1].revents & POLLIN) && drain_events(io) < 0) {
            plc_io_log(io, "inputs: reading edge events: %s", strerror(errno));
            return -1;
        }
        next = publish_settled(io, &last_hb);
    }
    return 0;
}
