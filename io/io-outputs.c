/* SPDX-License-Identifier: MIT */
/*
 * The outputs thread of struct plc_io. It sleeps in plc_region_wait() on
 * 'outputs' (a futex) and applies all output lines together; it holds them at
 * their safe values until the region's writer is alive with a fresh heartbeat,
 * returns to them when it dies or falls silent, and attaches again to an
 * 'outputs' that plc-shm-init re-created.
 */
#include <errno.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "io-internal.h"

/* How often the outputs thread checks the writer's liveness when nothing changes. */
#define LIVENESS_PERIOD_NS (10 * 1000000LL)
/* Between attempts to attach to a re-created 'outputs'. */
#define REATTACH_PAUSE_NS (200 * 1000000L)

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
        v[i] = plc_io_safe_value(io->lines[io->nin + i].tag, io->out[i].value);
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

/* Why the outputs are safe or follow: a line for the log, a short text for the event. */
struct why {
    char line[256];
    char brief[sizeof(((struct plc_event *)0)->text)];
};

/* Whether the outputs writer may drive the lines; @why says who, or why not. */
static bool writer_healthy(struct plc_io *io, struct why *why, pid_t *pid)
{
    struct plc_region_info info;
    char *why_line = why->line;
    size_t len = sizeof(why->line);
    if (plc_region_get_info(io->outputs, &info) < 0) {
        snprintf(why_line, len, "cannot read region 'outputs': %s", plc_strerror(errno));
        snprintf(why->brief, sizeof(why->brief), "cannot read 'outputs'");
        return false;
    }
    *pid = info.writer_pid;
    if (!info.writer_pid) {
        snprintf(why_line, len, "no writer ('%s') attached to 'outputs'", info.writer_service);
        snprintf(why->brief, sizeof(why->brief), "no writer ('%s')", info.writer_service);
        return false;
    }
    if (!info.writer_alive) {
        snprintf(why_line, len, "writer pid %d (%s) of 'outputs' died", (int)info.writer_pid,
                 info.holder);
        snprintf(why->brief, sizeof(why->brief), "%s pid %d died", info.holder,
                 (int)info.writer_pid);
        return false;
    }
    /* The writer says how long it may be silent while healthy (the logic: a
     * heartbeat interval plus its watchdog); ours is the least we wait. */
    int64_t timeout = io->hb_timeout_ns;
    if (timeout >= 0 && info.max_silence_ns > timeout)
        timeout = info.max_silence_ns;
    if (timeout >= 0 && (info.heartbeat_age_ns < 0 || info.heartbeat_age_ns > timeout)) {
        snprintf(why_line, len,
                 "heartbeat of writer pid %d (%s) is %.1f ms old (timeout %.1f ms)",
                 (int)info.writer_pid, info.holder, info.heartbeat_age_ns / 1e6, timeout / 1e6);
        snprintf(why->brief, sizeof(why->brief), "%s heartbeat %.0f ms old", info.holder,
                 info.heartbeat_age_ns / 1e6);
        return false;
    }
    snprintf(why_line, len, "writer pid %d (%s)", (int)info.writer_pid, info.holder);
    snprintf(why->brief, sizeof(why->brief), "%s pid %d", info.holder, (int)info.writer_pid);
    return true;
}

/* Outputs went safe or follow again: to plc-io's event ring, when it has one. */
static void post(struct plc_io *io, bool safe, const char *brief)
{
    if (io->events)
        plc_event_ring_post(io->events, PLC_SOURCE_IO,
                            safe ? PLC_EVENT_OUTPUTS_SAFE : PLC_EVENT_OUTPUTS_FOLLOWING,
                            safe ? LOG_WARNING : LOG_NOTICE, "outputs", 0, 0, "%s", brief);
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
            plc_io_log(io, "outputs: attached to the new region 'outputs'");
            return 0;
        }
        if (strcmp(last, diag.msg) != 0) /* once per cause, not every attempt */
            plc_io_log(io, "outputs: cannot attach yet: %s", diag.msg);
        snprintf(last, sizeof(last), "%s", diag.msg);
        nanosleep(&(struct timespec){0, REATTACH_PAUSE_NS}, NULL);
    }
    return -1;
}

void *plc_io_outputs_thread(void *arg)
{
    struct plc_io *io = arg;
    struct why why;
    pid_t pid = 0;
    bool following = false;

    writer_healthy(io, &why, &pid);
    plc_io_log(io, "outputs: safe values until the logic runs (%s)", why.line);
    while (!atomic_load(&io->stop)) {
        atomic_fetch_add_explicit(&io->out_turns, 1, memory_order_relaxed);
        int r = plc_region_wait(io->outputs, LIVENESS_PERIOD_NS);
        if (r < 0 && errno != EINTR) {
            if (following) {
                int err = errno;
                plc_io_log(io, "outputs: safe values: %s", plc_strerror(err));
                post(io, true, err == PLC_ERETIRED ? "'outputs' re-created" : plc_strerror(err));
                errno = err;
            }
            following = false;
            set_state(io, PLC_IO_OUTPUTS_SAFE);
            apply_safe(io);
            if (errno == PLC_ERETIRED) {
                plc_io_log(io, "outputs: region 'outputs' was re-created: attaching again");
                if (reattach_outputs(io) < 0)
                    break;
            }
            continue;
        }
        bool ok = writer_healthy(io, &why, &pid);
        if (ok && (!following || r == 1)) {
            if (apply_region(io) < 0) {
                snprintf(why.line, sizeof(why.line), "cannot read 'outputs': %s",
                         plc_strerror(errno));
                snprintf(why.brief, sizeof(why.brief), "cannot read 'outputs'");
                ok = false;
            } else if (!following) {
                following = true;
                set_state(io, PLC_IO_OUTPUTS_FOLLOWING);
                plc_io_log(io, "outputs: following region 'outputs' (%s)", why.line);
                post(io, false, why.brief);
            }
        }
        if (!ok && following) {
            following = false;
            apply_safe(io);
            set_state(io, PLC_IO_OUTPUTS_SAFE);
            plc_io_log(io, "outputs: safe values: %s", why.line);
            post(io, true, why.brief);
        }
    }
    return NULL;
}
