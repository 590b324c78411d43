/* SPDX-License-Identifier: MIT */
/*
 * The sim backend: plc-io's lines are slots of the simulated field
 * (io/sim-field.c), on a simulated board with one chip, gpiochip0, whose
 * lines GPIO0..GPIO53 are named as on a Raspberry Pi. Bindings resolve and
 * fail exactly as on hardware (unknown chip, unknown line, line held by
 * another consumer), edges arrive through a pollable FIFO, and debounce is
 * left to the service, as with libgpiod v1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "backend.h"
#include "sim-field.h"

struct plc_io_backend {
    struct plc_sim_field *field;
    int rfd, wfd; /* FIFO: read end, and a write end so it never reports HUP */
    size_t nin, nout;
    int *slot;     /* slot of each line */
    int *in_line;  /* input line of each slot, -1 if none */
};

static const char *sim_version(void)
{
    return "sim (simulated field)";
}

/* gpiochip0:N or GPION, N < SIM_LINES. */
static int sim_resolve(const struct plc_tag_def *t, struct plc_io_line *line,
                       struct plc_diag *diag)
{
    const struct plc_gpio_binding *g = &t->gpio;
    unsigned long n;
    char *end;
    if (g->chip[0]) {
        if (strcmp(g->chip, SIM_CHIP) != 0 && strcmp(g->chip, "0") != 0)
            return plc_io_fail(diag, ENOENT,
                               "tag '%s': no GPIO chip '%s' (the simulated board has only %s)",
                               t->name, g->chip, SIM_CHIP), -1;
        if (g->offset >= SIM_LINES)
            return plc_io_fail(diag, ENOENT,
                               "tag '%s': %s has no line %d (it has %d lines)", t->name,
                               SIM_CHIP, g->offset, SIM_LINES), -1;
        n = (unsigned long)g->offset;
    } else {
        if (strncmp(g->line_name, "GPIO", 4) != 0 || !g->line_name[4] ||
            (n = strtoul(g->line_name + 4, &end, 10), *end) || n >= SIM_LINES ||
            (g->line_name[4] == '0' && g->line_name[5]))
            return plc_io_fail(diag, ENOENT,
                               "tag '%s': no GPIO line named '%s' (the simulated board has "
                               "GPIO0..GPIO%d on %s)",
                               t->name, g->line_name, SIM_LINES - 1, SIM_CHIP), -1;
    }
    snprintf(line->chip, sizeof(line->chip), "%s", SIM_CHIP);
    line->offset = (unsigned)n;
    snprintf(line->name, sizeof(line->name), "GPIO%lu", n);
    return 0;
}

static void sim_close(struct plc_io_backend *b);

static struct plc_io_backend *sim_open(const struct plc_layout *l, const char *base,
                                       const char *consumer, struct plc_io_line *lines,
                                       size_t nin, size_t nout, struct plc_diag *diag)
{
    for (size_t i = 0; i < nin + nout; i++)
        if (sim_resolve(lines[i].tag, &lines[i], diag) < 0)
            return NULL;
    if (plc_io_check_resolved(lines, nin + nout, diag) < 0)
        return NULL;

    struct plc_io_backend *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->rfd = b->wfd = -1;
    b->nin = nin;
    b->nout = nout;
    if (!(b->field = plc_sim_field_open(l, base, diag)))
        goto err;
    struct plc_sim_field *f = b->field;
    b->slot = calloc(nin + nout + 1, sizeof(int));
    b->in_line = calloc(f->h->nslots + 1, sizeof(int));
    if (!b->slot || !b->in_line)
        goto err;
    for (uint32_t s = 0; s < f->h->nslots; s++)
        b->in_line[s] = -1;
    for (size_t i = 0; i < nin + nout; i++) {
        b->slot[i] = sim_field_find(f, lines[i].tag->name);
        if (b->slot[i] < 0) {
            plc_io_fail(diag, EIO, "%s: no slot for tag '%s'", f->path, lines[i].tag->name);
            goto err;
        }
        if (i < nin)
            b->in_line[b->slot[i]] = (int)i;
    }
    /* The lock is the request: a second plc-io on the same field is refused. */
    if (flock(f->fd, LOCK_EX | LOCK_NB) < 0) {
        int pid = atomic_load(&f->h->owner_pid);
        char what[48];
        plc_io_binding_text(&lines[0].tag->gpio, what, sizeof(what));
        plc_io_fail(diag, EBUSY, "tag '%s': %s (%s:%u) is held by consumer '%.31s' (pid %d)",
                    lines[0].tag->name, what, lines[0].chip, lines[0].offset,
                    f->h->consumer, pid);
        goto err;
    }
    snprintf(f->h->consumer, sizeof(f->h->consumer), "%s", consumer);
    atomic_store(&f->h->owner_pid, (int32_t)getpid());
    b->rfd = open(f->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (b->rfd >= 0)
        b->wfd = open(f->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (b->rfd < 0 || b->wfd < 0) {
        plc_io_fail(diag, errno, "%s: cannot open: %s", f->fifo, strerror(errno));
        goto err;
    }
    /* Edges queued while nobody ran are stale: the start-up full read covers them. */
    struct sim_edge junk[64];
    while (read(b->rfd, junk, sizeof(junk)) > 0)
        ;
    atomic_store(&f->h->overflow, 0);
    for (size_t i = nin; i < nin + nout; i++)
        sim_field_drive_output(f, (size_t)b->slot[i], lines[i].initial, true);
    return b;
err:
    sim_close(b);
    return NULL;
}

static int sim_event_fd(struct plc_io_backend *b)
{
    return b->rfd;
}

static int sim_read_inputs(struct plc_io_backend *b, bool *values)
{
    for (size_t i = 0; i < b->nin; i++) {
        const struct sim_slot *s = &b->field->slots[b->slot[i]];
        values[i] = sim_slot_logical(s, sim_slot_level(s));
    }
    return 0;
}

static int sim_read_events(struct plc_io_backend *b, struct plc_io_event *ev, size_t max,
                           bool *overflow)
{
    struct sim_edge e[64];
    size_t want = max < 64 ? max : 64;
    ssize_t n = read(b->rfd, e, want * sizeof(e[0]));
    *overflow = atomic_exchange(&b->field->h->overflow, 0) != 0;
    if (n < 0)
        return errno == EAGAIN ? 0 : -1;
    size_t k = 0;
    for (size_t i = 0; i < (size_t)n / sizeof(e[0]); i++) {
        if (e[i].slot >= b->field->h->nslots || b->in_line[e[i].slot] < 0)
            continue;
        const struct sim_slot *s = &b->field->slots[e[i].slot];
        ev[k].line = (size_t)b->in_line[e[i].slot];
        ev[k].value = sim_slot_logical(s, e[i].level);
        ev[k].ts_ns = e[i].ts_ns;
        k++;
    }
    return (int)k;
}

static int sim_write_outputs(struct plc_io_backend *b, const bool *values)
{
    for (size_t i = 0; i < b->nout; i++)
        sim_field_drive_output(b->field, (size_t)b->slot[b->nin + i], values[i], true);
    return 0;
}

static void sim_close(struct plc_io_backend *b)
{
    if (!b)
        return;
    if (b->rfd >= 0) {
        /* Lines released: outputs keep their last level, no longer driven. */
        for (size_t i = 0; i < b->nout; i++) {
            const struct sim_slot *s = &b->field->slots[b->slot[b->nin + i]];
            sim_field_drive_output(b->field, (size_t)b->slot[b->nin + i],
                                   sim_slot_logical(s, sim_slot_level(s)), false);
        }
        atomic_store(&b->field->h->owner_pid, 0);
        close(b->rfd);
    }
    if (b->wfd >= 0)
        close(b->wfd);
    plc_sim_field_close(b->field); /* closing the fd drops the lock */
    free(b->slot);
    free(b->in_line);
    free(b);
}

const struct plc_io_ops plc_io_sim_ops = {
    .name = "sim",
    .version = sim_version,
    .open = sim_open,
    .event_fd = sim_event_fd,
    .read_inputs = sim_read_inputs,
    .read_events = sim_read_events,
    .write_outputs = sim_write_outputs,
    .close = sim_close,
};
