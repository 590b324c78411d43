/* SPDX-License-Identifier: MIT */
/*
 * The gpiod backend on libgpiod 2.x (Debian 13, bookworm-backports): uAPI v2.
 *
 * One request per chip holds all of that chip's lines, each with its own
 * settings; debounce is set in the kernel, and event overflow is seen as a
 * gap in the request's global sequence numbers. Lines are found by chip
 * (name, /dev path, number or label) and offset, or by name on any chip.
 */
#include <dirent.h>
#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "backend.h"

struct chip_req {
    char name[64];
    struct gpiod_chip *chip;
    struct gpiod_line_request *req;
    unsigned *in_off, *out_off; /* offsets of its inputs / outputs */
    size_t *in_line, *out_line; /* and which line each is */
    size_t nin, nout;
    unsigned long last_seqno;
};

struct plc_io_backend {
    struct chip_req *chips;
    size_t nchips;
    size_t nin, nout;
    int epfd;
    struct gpiod_edge_event_buffer *buf;
};

static const char *v2_version(void)
{
    static char buf[64];
    snprintf(buf, sizeof(buf), "libgpiod %s (uAPI v2)", gpiod_api_version());
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The /dev/gpiochipN paths, sorted; NULL-terminated, free with free_paths(). */
static char **chip_paths(void)
{
    DIR *d = opendir("/dev");
    if (!d)
        return NULL;
    size_t n = 0, cap = 8;
    char **v = calloc(cap + 1, sizeof(*v));
    struct dirent *e;
    while (v && (e = readdir(d))) {
        char path[300];
        snprintf(path, sizeof(path), "/dev/%s", e->d_name);
        if (strncmp(e->d_name, "gpiochip", 8) != 0 || !gpiod_is_gpiochip_device(path))
            continue;
        if (n == cap) {
            char **nv = realloc(v, (cap * 2 + 1) * sizeof(*v));
            if (!nv)
                break;
            v = nv;
            cap *= 2;
        }
        v[n++] = strdup(path);
        v[n] = NULL;
    }
    closedir(d);
    if (v)
        qsort(v, n, sizeof(*v), cmp_str);
    return v;
}

static void free_paths(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

/* Open a chip given as gpiochip0, /dev/gpiochip0, 0, or its label. */
static struct gpiod_chip *open_chip(const char *spec)
{
    char path[300];
    if (spec[0] == '/')
        snprintf(path, sizeof(path), "%s", spec);
    else if (strspn(spec, "0123456789") == strlen(spec))
        snprintf(path, sizeof(path), "/dev/gpiochip%s", spec);
    else
        snprintf(path, sizeof(path), "/dev/%s", spec);
    if (gpiod_is_gpiochip_device(path))
        return gpiod_chip_open(path);
    char **paths = chip_paths();
    struct gpiod_chip *found = NULL;
    for (size_t i = 0; paths && paths[i] && !found; i++) {
        struct gpiod_chip *c = gpiod_chip_open(paths[i]);
        struct gpiod_chip_info *info = c ? gpiod_chip_get_info(c) : NULL;
        if (info && strcmp(gpiod_chip_info_get_label(info), spec) == 0)
            found = c;
        else if (c)
            gpiod_chip_close(c);
        gpiod_chip_info_free(info);
    }
    free_paths(paths);
    errno = found ? 0 : ENOENT;
    return found;
}

static void chip_name(struct gpiod_chip *c, char *buf, size_t len)
{
    struct gpiod_chip_info *info = gpiod_chip_get_info(c);
    snprintf(buf, len, "%s", info ? gpiod_chip_info_get_name(info) : "?");
    gpiod_chip_info_free(info);
}

static int resolve(const struct plc_tag_def *t, struct plc_io_line *line, struct plc_diag *diag)
{
    const struct plc_gpio_binding *g = &t->gpio;
    if (g->chip[0]) {
        struct gpiod_chip *c = open_chip(g->chip);
        if (!c)
            return plc_io_fail(diag, ENOENT, "tag '%s': no GPIO chip '%s': %s", t->name,
                               g->chip, strerror(errno)), -1;
        struct gpiod_chip_info *info = gpiod_chip_get_info(c);
        size_t n = info ? gpiod_chip_info_get_num_lines(info) : 0;
        if ((size_t)g->offset >= n) {
            plc_io_fail(diag, ENOENT, "tag '%s': %s (%s) has no line %d (it has %zu lines)",
                        t->name, info ? gpiod_chip_info_get_name(info) : g->chip,
                        info ? gpiod_chip_info_get_label(info) : "?", g->offset, n);
            gpiod_chip_info_free(info);
            gpiod_chip_close(c);
            return -1;
        }
        snprintf(line->chip, sizeof(line->chip), "%s", gpiod_chip_info_get_name(info));
        gpiod_chip_info_free(info);
        line->offset = (unsigned)g->offset;
        struct gpiod_line_info *li = gpiod_chip_get_line_info(c, line->offset);
        snprintf(line->name, sizeof(line->name), "%s",
                 li && gpiod_line_info_get_name(li) ? gpiod_line_info_get_name(li) : "");
        gpiod_line_info_free(li);
        gpiod_chip_close(c);
        return 0;
    }
    char **paths = chip_paths();
    int found = -1;
    for (size_t i = 0; paths && paths[i] && found < 0; i++) {
        struct gpiod_chip *c = gpiod_chip_open(paths[i]);
        if (!c)
            continue;
        int off = gpiod_chip_get_line_offset_from_name(c, g->line_name);
        if (off >= 0) {
            found = off;
            chip_name(c, line->chip, sizeof(line->chip));
        }
        gpiod_chip_close(c);
    }
    free_paths(paths);
    if (found < 0)
        return plc_io_fail(diag, ENOENT, "tag '%s': no GPIO line named '%s' on any chip",
                           t->name, g->line_name), -1;
    line->offset = (unsigned)found;
    snprintf(line->name, sizeof(line->name), "%s", g->line_name);
    return 0;
}

static struct gpiod_line_settings *settings_for(const struct plc_io_line *l)
{
    const struct plc_gpio_binding *g = &l->tag->gpio;
    struct gpiod_line_settings *s = gpiod_line_settings_new();
    if (!s)
        return NULL;
    static const enum gpiod_line_bias bias[] = {
        [PLC_GPIO_BIAS_AS_IS] = GPIOD_LINE_BIAS_AS_IS,
        [PLC_GPIO_BIAS_DISABLED] = GPIOD_LINE_BIAS_DISABLED,
        [PLC_GPIO_BIAS_PULL_UP] = GPIOD_LINE_BIAS_PULL_UP,
        [PLC_GPIO_BIAS_PULL_DOWN] = GPIOD_LINE_BIAS_PULL_DOWN,
    };
    static const enum gpiod_line_drive drive[] = {
        [PLC_GPIO_DRIVE_PUSH_PULL] = GPIOD_LINE_DRIVE_PUSH_PULL,
        [PLC_GPIO_DRIVE_OPEN_DRAIN] = GPIOD_LINE_DRIVE_OPEN_DRAIN,
        [PLC_GPIO_DRIVE_OPEN_SOURCE] = GPIOD_LINE_DRIVE_OPEN_SOURCE,
    };
    int rc = gpiod_line_settings_set_bias(s, bias[g->bias]);
    gpiod_line_settings_set_active_low(s, g->active_low);
    if (l->output) {
        rc |= gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_OUTPUT);
        rc |= gpiod_line_settings_set_drive(s, drive[g->drive]);
        rc |= gpiod_line_settings_set_output_value(
            s, l->initial ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE);
    } else {
        rc |= gpiod_line_settings_set_direction(s, GPIOD_LINE_DIRECTION_INPUT);
        rc |= gpiod_line_settings_set_edge_detection(s, GPIOD_LINE_EDGE_BOTH);
        rc |= gpiod_line_settings_set_event_clock(s, GPIOD_LINE_CLOCK_MONOTONIC);
        gpiod_line_settings_set_debounce_period_us(s, g->debounce_us);
    }
    if (rc) {
        gpiod_line_settings_free(s);
        errno = EINVAL;
        return NULL;
    }
    return s;
}

static void v2_close(struct plc_io_backend *b);

static struct chip_req *chip_for(struct plc_io_backend *b, const char *name, size_t cap)
{
    for (size_t c = 0; c < b->nchips; c++)
        if (strcmp(b->chips[c].name, name) == 0)
            return &b->chips[c];
    struct chip_req *cr = &b->chips[b->nchips];
    snprintf(cr->name, sizeof(cr->name), "%s", name);
    char path[128];
    snprintf(path, sizeof(path), "/dev/%s", name);
    if (!(cr->chip = gpiod_chip_open(path)))
        return NULL;
    b->nchips++;
    cr->in_off = calloc(cap, sizeof(unsigned));
    cr->out_off = calloc(cap, sizeof(unsigned));
    cr->in_line = calloc(cap, sizeof(size_t));
    cr->out_line = calloc(cap, sizeof(size_t));
    if (!cr->in_off || !cr->out_off || !cr->in_line || !cr->out_line)
        return NULL;
    return cr;
}

/* Check line @i (opening its chip, once) and add it to its chip's inputs or outputs. */
static int add_line(struct plc_io_backend *b, struct plc_io_line *lines, size_t i, size_t n,
                    struct plc_diag *diag)
{
    struct plc_io_line *line = &lines[i];
    struct chip_req *cr = chip_for(b, line->chip, n);
    if (!cr)
        return plc_io_fail(diag, errno, "tag '%s': cannot open %s: %s", line->tag->name,
                           line->chip, strerror(errno)), -1;
    struct gpiod_line_info *li = gpiod_chip_get_line_info(cr->chip, line->offset);
    if (!li)
        return plc_io_fail(diag, errno, "tag '%s': %s:%u: %s", line->tag->name, line->chip,
                           line->offset, strerror(errno)), -1;
    if (gpiod_line_info_is_used(li)) {
        char what[48];
        const char *who = gpiod_line_info_get_consumer(li);
        plc_io_binding_text(&line->tag->gpio, what, sizeof(what));
        plc_io_fail(diag, EBUSY, "tag '%s': %s (%s:%u) is held by consumer '%s'",
                    line->tag->name, what, line->chip, line->offset,
                    who && *who ? who : "(unnamed, in the kernel)");
        gpiod_line_info_free(li);
        return -1;
    }
    gpiod_line_info_free(li);
    if (line->output) {
        cr->out_off[cr->nout] = line->offset;
        cr->out_line[cr->nout++] = i - b->nin;
    } else {
        cr->in_off[cr->nin] = line->offset;
        cr->in_line[cr->nin++] = i;
        line->kernel_debounce = line->tag->gpio.debounce_us > 0;
    }
    return 0;
}

/* Request the lines of chip @c, each with its own settings, and watch the
 * request's fd when it has inputs. */
static int request_chip(struct plc_io_backend *b, size_t c, struct plc_io_line *lines, size_t n,
                        struct gpiod_request_config *rcfg, struct plc_diag *diag)
{
    struct chip_req *cr = &b->chips[c];
    struct gpiod_line_config *lcfg = gpiod_line_config_new();
    if (!lcfg)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(lines[i].chip, cr->name) != 0)
            continue;
        struct gpiod_line_settings *s = settings_for(&lines[i]);
        if (!s || gpiod_line_config_add_line_settings(lcfg, &lines[i].offset, 1, s) < 0) {
            plc_io_fail(diag, errno, "tag '%s': settings refused: %s", lines[i].tag->name,
                        strerror(errno));
            gpiod_line_settings_free(s);
            goto err;
        }
        gpiod_line_settings_free(s);
    }
    cr->req = gpiod_chip_request_lines(cr->chip, rcfg, lcfg);
    if (!cr->req) {
        plc_io_fail(diag, errno, "requesting lines of %s failed: %s", cr->name,
                    strerror(errno));
        goto err;
    }
    gpiod_line_config_free(lcfg);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = c};
    if (cr->nin && epoll_ctl(b->epfd, EPOLL_CTL_ADD, gpiod_line_request_get_fd(cr->req),
                             &ev) < 0)
        return -1;
    return 0;
err:;
    int err = errno;
    gpiod_line_config_free(lcfg);
    errno = err;
    return -1;
}

/* One request per chip, all with @consumer; the event fd and buffer first. */
static int request_lines(struct plc_io_backend *b, struct plc_io_line *lines, size_t n,
                         const char *consumer, struct plc_diag *diag)
{
    struct gpiod_request_config *rcfg = NULL;
    if ((b->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        !(b->buf = gpiod_edge_event_buffer_new(64)) || !(rcfg = gpiod_request_config_new()))
        return -1;
    gpiod_request_config_set_consumer(rcfg, consumer);
    int rc = 0;
    for (size_t c = 0; c < b->nchips && rc == 0; c++)
        rc = request_chip(b, c, lines, n, rcfg, diag);
    int err = errno;
    gpiod_request_config_free(rcfg);
    errno = err;
    return rc;
}

static struct plc_io_backend *v2_open(const struct plc_layout *layout, const char *base,
                                      const char *consumer, struct plc_io_line *lines,
                                      size_t nin, size_t nout, struct plc_diag *diag)
{
    size_t n = nin + nout;
    struct plc_io_backend *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->epfd = -1;
    b->nin = nin;
    b->nout = nout;
    if (!(b->chips = calloc(n, sizeof(*b->chips))))
        goto err;

    /* Everything is checked before anything is requested. */
    for (size_t i = 0; i < n; i++)
        if (add_line(b, lines, i, n, diag) < 0)
            goto err;
    if (request_lines(b, lines, n, consumer, diag) < 0)
        goto err;
    (void)layout;
    (void)base;
    return b;
err:;
    int err = errno;
    v2_close(b);
    errno = err;
    return NULL;
}

static int v2_event_fd(struct plc_io_backend *b)
{
    return b->epfd;
}

static int v2_read_inputs(struct plc_io_backend *b, bool *values)
{
    for (size_t c = 0; c < b->nchips; c++) {
        struct chip_req *cr = &b->chips[c];
        if (!cr->nin)
            continue;
        enum gpiod_line_value v[cr->nin];
        if (gpiod_line_request_get_values_subset(cr->req, cr->nin, cr->in_off, v) < 0)
            return -1;
        for (size_t k = 0; k < cr->nin; k++)
            values[cr->in_line[k]] = v[k] == GPIOD_LINE_VALUE_ACTIVE;
    }
    return 0;
}

static int v2_read_events(struct plc_io_backend *b, struct plc_io_event *ev, size_t max,
                          bool *overflow)
{
    struct epoll_event ready[8];
    int nr = epoll_wait(b->epfd, ready, 8, 0);
    if (nr < 0)
        return errno == EINTR ? 0 : -1;
    size_t k = 0;
    for (int r = 0; r < nr && k + 64 <= max; r++) {
        struct chip_req *cr = &b->chips[ready[r].data.u64];
        int n = gpiod_line_request_read_edge_events(cr->req, b->buf, 64);
        if (n < 0)
            return errno == EAGAIN ? (int)k : -1;
        for (int i = 0; i < n; i++) {
            struct gpiod_edge_event *e = gpiod_edge_event_buffer_get_event(b->buf, (unsigned)i);
            unsigned long seq = gpiod_edge_event_get_global_seqno(e);
            if (cr->last_seqno && seq != cr->last_seqno + 1)
                *overflow = true; /* the kernel dropped events */
            cr->last_seqno = seq;
            unsigned off = gpiod_edge_event_get_line_offset(e);
            for (size_t j = 0; j < cr->nin; j++)
                if (cr->in_off[j] == off) {
                    ev[k].line = cr->in_line[j];
                    ev[k].value =
                        gpiod_edge_event_get_event_type(e) == GPIOD_EDGE_EVENT_RISING_EDGE;
                    ev[k].ts_ns = gpiod_edge_event_get_timestamp_ns(e);
                    k++;
                    break;
                }
        }
    }
    return (int)k;
}

static int v2_write_outputs(struct plc_io_backend *b, const bool *values)
{
    for (size_t c = 0; c < b->nchips; c++) {
        struct chip_req *cr = &b->chips[c];
        if (!cr->nout)
            continue;
        enum gpiod_line_value v[cr->nout];
        for (size_t k = 0; k < cr->nout; k++)
            v[k] = values[cr->out_line[k]] ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE;
        if (gpiod_line_request_set_values_subset(cr->req, cr->nout, cr->out_off, v) < 0)
            return -1;
    }
    return 0;
}

static void v2_close(struct plc_io_backend *b)
{
    if (!b)
        return;
    for (size_t c = 0; c < b->nchips; c++) {
        struct chip_req *cr = &b->chips[c];
        if (cr->req)
            gpiod_line_request_release(cr->req);
        gpiod_chip_close(cr->chip);
        free(cr->in_off);
        free(cr->out_off);
        free(cr->in_line);
        free(cr->out_line);
    }
    gpiod_edge_event_buffer_free(b->buf);
    if (b->epfd >= 0)
        close(b->epfd);
    free(b->chips);
    free(b);
}

const struct plc_io_ops plc_io_gpiod_ops = {
    .name = "gpiod",
    .version = v2_version,
    .resolve = resolve,
    .open = v2_open,
    .event_fd = v2_event_fd,
    .read_inputs = v2_read_inputs,
    .read_events = v2_read_events,
    .write_outputs = v2_write_outputs,
    .close = v2_close,
};
