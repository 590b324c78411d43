/* SPDX-License-Identifier: MIT */
/*
 * The gpiod backend on libgpiod 1.6 (Debian 12, Pi OS Bookworm): uAPI v1.
 *
 * Lines are found by chip (name, path, label or number) and offset, or by
 * name on any chip. v1 requests take one set of flags for a whole bulk, so
 * lines are requested in groups of the same chip, direction and flags; output
 * groups are set with one call each. v1 has no debounce (the service does it)
 * and reports no event overflow: a line whose whole kernel FIFO was read at
 * once is treated as overflowed, and the service does a full read.
 */
#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "backend.h"

#define KFIFO_EVENTS 16 /* the kernel's per-line event FIFO in uAPI v1 */

struct group {
    size_t chip;
    int flags;
    bool output;
    struct gpiod_line_bulk bulk;
    size_t member[GPIOD_LINE_BULK_MAX_LINES];
};

struct plc_io_backend {
    struct gpiod_chip **chips;
    size_t nchips;
    struct group *groups;
    size_t ngroups, nreq; /* groups made, groups requested */
    struct gpiod_line **gl; /* each line */
    struct plc_io_line *lines;
    size_t nin, nout;
    int epfd;
};

static const char *v1_version(void)
{
    static char buf[64];
    snprintf(buf, sizeof(buf), "libgpiod %s (uAPI v1)", gpiod_version_string());
    return buf;
}

static int resolve(const struct plc_tag_def *t, struct plc_io_line *line, struct plc_diag *diag)
{
    const struct plc_gpio_binding *g = &t->gpio;
    if (g->chip[0]) {
        struct gpiod_chip *chip = gpiod_chip_open_lookup(g->chip);
        if (!chip)
            return plc_io_fail(diag, ENOENT, "tag '%s': no GPIO chip '%s': %s", t->name,
                               g->chip, strerror(errno)), -1;
        unsigned n = gpiod_chip_num_lines(chip);
        if ((unsigned)g->offset >= n) {
            plc_io_fail(diag, ENOENT, "tag '%s': %s (%s) has no line %d (it has %u lines)",
                        t->name, gpiod_chip_name(chip), gpiod_chip_label(chip), g->offset, n);
            gpiod_chip_close(chip);
            return -1;
        }
        struct gpiod_line *l = gpiod_chip_get_line(chip, (unsigned)g->offset);
        snprintf(line->chip, sizeof(line->chip), "%s", gpiod_chip_name(chip));
        line->offset = (unsigned)g->offset;
        snprintf(line->name, sizeof(line->name), "%s",
                 l && gpiod_line_name(l) ? gpiod_line_name(l) : "");
        gpiod_chip_close(chip);
        return 0;
    }
    errno = 0;
    struct gpiod_line *l = gpiod_line_find(g->line_name);
    if (!l)
        return plc_io_fail(diag, ENOENT, "tag '%s': no GPIO line named '%s' on any chip%s%s",
                           t->name, g->line_name, errno && errno != ENOENT ? ": " : "",
                           errno && errno != ENOENT ? strerror(errno) : ""), -1;
    snprintf(line->chip, sizeof(line->chip), "%s", gpiod_chip_name(gpiod_line_get_chip(l)));
    line->offset = gpiod_line_offset(l);
    snprintf(line->name, sizeof(line->name), "%s", g->line_name);
    gpiod_line_close_chip(l);
    return 0;
}

static int line_flags(const struct plc_io_line *l)
{
    const struct plc_gpio_binding *g = &l->tag->gpio;
    int f = g->active_low ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0;
    switch (g->bias) {
    case PLC_GPIO_BIAS_DISABLED: f |= GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE; break;
    case PLC_GPIO_BIAS_PULL_UP: f |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP; break;
    case PLC_GPIO_BIAS_PULL_DOWN: f |= GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN; break;
    default: break;
    }
    if (l->output && g->drive == PLC_GPIO_DRIVE_OPEN_DRAIN)
        f |= GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN;
    if (l->output && g->drive == PLC_GPIO_DRIVE_OPEN_SOURCE)
        f |= GPIOD_LINE_REQUEST_FLAG_OPEN_SOURCE;
    return f;
}

static void v1_close(struct plc_io_backend *b);

static size_t chip_index(struct plc_io_backend *b, const char *name)
{
    for (size_t c = 0; c < b->nchips; c++)
        if (strcmp(gpiod_chip_name(b->chips[c]), name) == 0)
            return c;
    return b->nchips;
}

/* Open line @i (and its chip, once) and check that it is free; its chip's index in @c. */
static int get_line(struct plc_io_backend *b, size_t i, size_t *c, struct plc_diag *diag)
{
    const struct plc_io_line *line = &b->lines[i];
    *c = chip_index(b, line->chip);
    if (*c == b->nchips) {
        if (!(b->chips[*c] = gpiod_chip_open_by_name(line->chip)))
            return plc_io_fail(diag, errno, "tag '%s': cannot open %s: %s", line->tag->name,
                               line->chip, strerror(errno)), -1;
        b->nchips++;
    }
    struct gpiod_line *gl = b->gl[i] = gpiod_chip_get_line(b->chips[*c], line->offset);
    if (!gl || gpiod_line_update(gl) < 0)
        return plc_io_fail(diag, errno, "tag '%s': %s:%u: %s", line->tag->name, line->chip,
                           line->offset, strerror(errno)), -1;
    if (gpiod_line_is_used(gl)) {
        char what[48];
        plc_io_binding_text(&line->tag->gpio, what, sizeof(what));
        const char *who = gpiod_line_consumer(gl);
        return plc_io_fail(diag, EBUSY, "tag '%s': %s (%s:%u) is held by consumer '%s'",
                           line->tag->name, what, line->chip, line->offset,
                           who && *who ? who : "(unnamed, in the kernel)"), -1;
    }
    return 0;
}

/* Add line @i to a group of the same chip @c, direction and flags, with room left. */
static void add_to_group(struct plc_io_backend *b, size_t i, size_t c)
{
    int flags = line_flags(&b->lines[i]);
    bool output = b->lines[i].output;
    size_t g;
    for (g = 0; g < b->ngroups; g++)
        if (b->groups[g].chip == c && b->groups[g].flags == flags &&
            b->groups[g].output == output &&
            b->groups[g].bulk.num_lines < GPIOD_LINE_BULK_MAX_LINES)
            break;
    if (g == b->ngroups) {
        b->ngroups++;
        b->groups[g].chip = c;
        b->groups[g].flags = flags;
        b->groups[g].output = output;
        gpiod_line_bulk_init(&b->groups[g].bulk);
    }
    b->groups[g].member[b->groups[g].bulk.num_lines] = i;
    gpiod_line_bulk_add(&b->groups[g].bulk, b->gl[i]);
}

/* Request one group: outputs with their initial values, inputs for both edges. */
static int request_group(struct plc_io_backend *b, struct group *gr, const char *consumer,
                         struct plc_diag *diag)
{
    int rc;
    if (gr->output) {
        int vals[GPIOD_LINE_BULK_MAX_LINES];
        for (unsigned k = 0; k < gr->bulk.num_lines; k++)
            vals[k] = b->lines[gr->member[k]].initial;
        rc = gpiod_line_request_bulk_output_flags(&gr->bulk, consumer, gr->flags, vals);
    } else {
        rc = gpiod_line_request_bulk_both_edges_events_flags(&gr->bulk, consumer, gr->flags);
    }
    if (rc < 0) {
        const struct plc_io_line *l = &b->lines[gr->member[0]];
        return plc_io_fail(diag, errno, "tag '%s': requesting %s:%u%s failed: %s",
                           l->tag->name, l->chip, l->offset,
                           gr->bulk.num_lines > 1 ? " and others" : "", strerror(errno)), -1;
    }
    return 0;
}

/* Request every group, and watch the input lines' event fds in b->epfd. */
static int request_groups(struct plc_io_backend *b, const char *consumer, struct plc_diag *diag)
{
    if ((b->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
        return -1;
    for (size_t g = 0; g < b->ngroups; g++) {
        struct group *gr = &b->groups[g];
        if (request_group(b, gr, consumer, diag) < 0)
            return -1;
        b->nreq = g + 1;
        if (gr->output)
            continue;
        for (unsigned k = 0; k < gr->bulk.num_lines; k++) {
            struct epoll_event ev = {.events = EPOLLIN, .data.u64 = gr->member[k]};
            if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, gpiod_line_event_get_fd(gr->bulk.lines[k]),
                          &ev) < 0)
                return -1;
        }
    }
    return 0;
}

static struct plc_io_backend *v1_open(const struct plc_layout *layout, const char *base,
                                      const char *consumer, struct plc_io_line *lines,
                                      size_t nin, size_t nout, struct plc_diag *diag)
{
    size_t n = nin + nout;

    struct plc_io_backend *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->epfd = -1;
    b->lines = lines;
    b->nin = nin;
    b->nout = nout;
    b->chips = calloc(n, sizeof(*b->chips));
    b->groups = calloc(n, sizeof(*b->groups));
    b->gl = calloc(n, sizeof(*b->gl));
    if (!b->chips || !b->groups || !b->gl)
        goto err;

    /* Everything is checked before anything is requested. */
    for (size_t i = 0; i < n; i++) {
        size_t c;
        if (get_line(b, i, &c, diag) < 0)
            goto err;
        add_to_group(b, i, c);
    }
    if (request_groups(b, consumer, diag) < 0)
        goto err;
    (void)layout;
    (void)base;
    return b;
err:;
    int err = errno;
    v1_close(b);
    errno = err;
    return NULL;
}

static int v1_event_fd(struct plc_io_backend *b)
{
    return b->epfd;
}

static int v1_read_inputs(struct plc_io_backend *b, bool *values)
{
    for (size_t g = 0; g < b->ngroups; g++) {
        struct group *gr = &b->groups[g];
        if (gr->output)
            continue;
        int v[GPIOD_LINE_BULK_MAX_LINES];
        if (gpiod_line_get_value_bulk(&gr->bulk, v) < 0)
            return -1;
        for (unsigned k = 0; k < gr->bulk.num_lines; k++)
            values[gr->member[k]] = v[k];
    }
    return 0;
}

static int v1_read_events(struct plc_io_backend *b, struct plc_io_event *ev, size_t max,
                          bool *overflow)
{
    struct epoll_event ready[16];
    int nr = epoll_wait(b->epfd, ready, 16, 0);
    if (nr < 0)
        return errno == EINTR ? 0 : -1;
    size_t k = 0;
    for (int r = 0; r < nr && k + KFIFO_EVENTS <= max; r++) {
        size_t line = (size_t)ready[r].data.u64;
        struct gpiod_line_event e[KFIFO_EVENTS];
        int n = gpiod_line_event_read_fd_multiple(gpiod_line_event_get_fd(b->gl[line]), e,
                                                  KFIFO_EVENTS);
        if (n < 0)
            return errno == EAGAIN ? (int)k : -1;
        if (n == KFIFO_EVENTS)
            *overflow = true; /* the kernel FIFO was full: edges may be lost */
        for (int i = 0; i < n; i++) {
            ev[k].line = line;
            ev[k].value = e[i].event_type == GPIOD_LINE_EVENT_RISING_EDGE;
            ev[k].ts_ns = (uint64_t)e[i].ts.tv_sec * 1000000000u + (uint64_t)e[i].ts.tv_nsec;
            k++;
        }
    }
    return (int)k;
}

static int v1_write_outputs(struct plc_io_backend *b, const bool *values)
{
    for (size_t g = 0; g < b->ngroups; g++) {
        struct group *gr = &b->groups[g];
        if (!gr->output)
            continue;
        int v[GPIOD_LINE_BULK_MAX_LINES];
        for (unsigned k = 0; k < gr->bulk.num_lines; k++)
            v[k] = values[gr->member[k] - b->nin];
        if (gpiod_line_set_value_bulk(&gr->bulk, v) < 0)
            return -1;
    }
    return 0;
}

static void v1_close(struct plc_io_backend *b)
{
    if (!b)
        return;
    for (size_t g = 0; g < b->nreq; g++)
        gpiod_line_release_bulk(&b->groups[g].bulk);
    for (size_t c = 0; c < b->nchips; c++)
        gpiod_chip_close(b->chips[c]);
    if (b->epfd >= 0)
        close(b->epfd);
    free(b->chips);
    free(b->groups);
    free(b->gl);
    free(b);
}

const struct plc_io_ops plc_io_gpiod_ops = {
    .name = "gpiod",
    .version = v1_version,
    .resolve = resolve,
    .open = v1_open,
    .event_fd = v1_event_fd,
    .read_inputs = v1_read_inputs,
    .read_events = v1_read_events,
    .write_outputs = v1_write_outputs,
    .close = v1_close,
};
