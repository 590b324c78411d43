/* SPDX-License-Identifier: MIT */
/*
 * The sim backend: plc-io's lines are lines of the simulated board
 * (io/sim-field.c): one chip, gpiochip0, lines GPIO0..GPIO53 named as on a
 * Raspberry Pi, shared by everything using the same base directory. Bindings
 * resolve and fail as on hardware (unknown chip, unknown line, line held by
 * another consumer), the requested bias decides a floating input's level,
 * edges arrive through a pollable FIFO, and debounce is left to the service,
 * as with libgpiod v1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sim-field.h"

struct plc_io_backend {
    struct plc_sim_field *field;
    struct plc_io_line *lines;
    size_t nin, nout;
    int in_line[SIM_LINES]; /* input index of each board line, -1 if none */
    char fifo[400];
    int rfd, wfd; /* FIFO: read end, and a write end so it never reports HUP */
};

static const char *sim_version(void)
{
    return "sim (simulated board)";
}

static void sim_close(struct plc_io_backend *b);

/* FIFOs left by holders killed before they could remove them. */
static void remove_stale_fifos(const char *base)
{
    DIR *d = opendir(base);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        int pid;
        char path[600];
        if (sscanf(e->d_name, "sim-board.events.%d", &pid) != 1 || pid <= 0)
            continue;
        if (kill(pid, 0) == 0 || errno != ESRCH)
            continue; /* alive, or not ours to judge */
        snprintf(path, sizeof(path), "%s/%s", base, e->d_name);
        unlink(path);
    }
    closedir(d);
}

/*
 * The board is wired as docs/gpio.md recommends: each output has a pull
 * resistor to its safe level (hold: to low), which shows once the line is
 * released, as with a kernel that returns released lines to inputs.
 */
static enum plc_gpio_bias safe_pull(const struct plc_tag_def *t)
{
    bool high = t->safe_mode == PLC_SAFE_VALUE && (t->safe != 0) != t->gpio.active_low;
    return high ? PLC_GPIO_BIAS_PULL_UP : PLC_GPIO_BIAS_PULL_DOWN;
}

static struct plc_io_backend *sim_open(const struct plc_layout *l, const char *base,
                                       const char *consumer, struct plc_io_line *lines,
                                       size_t nin, size_t nout, struct plc_diag *diag)
{
    size_t n = nin + nout;

    struct plc_io_backend *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->rfd = b->wfd = -1;
    b->lines = lines;
    b->nin = nin;
    b->nout = nout;
    for (size_t i = 0; i < SIM_LINES; i++)
        b->in_line[i] = -1;
    if (!(b->field = plc_sim_field_open(l, base, diag)))
        goto err;
    struct plc_sim_field *f = b->field;

    /* Everything is checked before anything is taken. */
    for (size_t i = 0; i < n; i++) {
        unsigned o = lines[i].offset;
        if (sim_line_held(f, o)) {
            char what[48];
            plc_io_binding_text(&lines[i].tag->gpio, what, sizeof(what));
            plc_io_fail(diag, EBUSY, "tag '%s': %s (%s:%u) is held by consumer '%.47s' (pid %d)",
                        lines[i].tag->name, what, lines[i].chip, o, f->slots[o].consumer,
                        (int)atomic_load(&f->slots[o].holder_pid));
            goto err;
        }
    }
    remove_stale_fifos(base);
    sim_fifo_path(f, (int)getpid(), b->fifo, sizeof(b->fifo));
    unlink(b->fifo); /* a stale one from a dead process of the same pid */
    if (mkfifo(b->fifo, 0660) < 0 || (b->rfd = open(b->fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ||
        (b->wfd = open(b->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
        plc_io_fail(diag, errno, "%s: cannot make the edge FIFO: %s", b->fifo, strerror(errno));
        goto err;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned o = lines[i].offset;
        struct sim_slot *s = &f->slots[o];
        if (sim_line_take(f, o) < 0) {
            plc_io_fail(diag, EBUSY, "tag '%s': %s:%u was taken by consumer '%.47s' meanwhile",
                        lines[i].tag->name, lines[i].chip, o, s->consumer);
            goto err;
        }
        snprintf(s->consumer, sizeof(s->consumer), "%s", consumer);
        atomic_store(&s->holder_pid, (int32_t)getpid());
        atomic_store(&s->bias, (uint8_t)lines[i].tag->gpio.bias);
        atomic_store(&s->lost, 0);
        if (lines[i].output) {
            atomic_store(&s->bias, (uint8_t)safe_pull(lines[i].tag));
            atomic_store(&s->dir, SIM_OUT);
            sim_field_drive(f, o, lines[i].initial != lines[i].tag->gpio.active_low, true);
        } else {
            atomic_store(&s->dir, SIM_IN);
            b->in_line[o] = (int)i;
        }
    }
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
    for (size_t i = 0; i < b->nin; i++)
        values[i] = sim_slot_level(b->field, b->lines[i].offset) !=
                    b->lines[i].tag->gpio.active_low;
    return 0;
}

static int sim_read_events(struct plc_io_backend *b, struct plc_io_event *ev, size_t max,
                           bool *overflow)
{
    struct sim_edge e[64];
    size_t want = max < 64 ? max : 64;
    ssize_t n = read(b->rfd, e, want * sizeof(e[0]));
    for (size_t i = 0; i < b->nin; i++)
        if (atomic_exchange(&b->field->slots[b->lines[i].offset].lost, 0))
            *overflow = true;
    if (n < 0)
        return errno == EAGAIN ? 0 : -1;
    size_t k = 0;
    for (size_t i = 0; i < (size_t)n / sizeof(e[0]); i++) {
        if (e[i].line >= SIM_LINES || b->in_line[e[i].line] < 0)
            continue;
        size_t in = (size_t)b->in_line[e[i].line];
        ev[k].line = in;
        ev[k].value = (e[i].level != 0) != b->lines[in].tag->gpio.active_low;
        ev[k].ts_ns = e[i].ts_ns;
        k++;
    }
    return (int)k;
}

static int sim_write_outputs(struct plc_io_backend *b, const bool *values)
{
    for (size_t i = 0; i < b->nout; i++) {
        const struct plc_io_line *l = &b->lines[b->nin + i];
        sim_field_drive(b->field, l->offset, values[i] != l->tag->gpio.active_low, true);
    }
    return 0;
}

static void sim_close(struct plc_io_backend *b)
{
    if (!b)
        return;
    if (b->rfd >= 0) {
        /* Released: outputs float to their pull (sim_slot_level()). */
        for (size_t i = 0; i < b->nin + b->nout; i++) {
            struct sim_slot *s = &b->field->slots[b->lines[i].offset];
            if (atomic_load(&s->holder_pid) != (int32_t)getpid())
                continue;
            atomic_store(&s->holder_pid, 0);
            if (b->lines[i].output)
                sim_field_drive(b->field, b->lines[i].offset, false, false);
        }
        close(b->rfd);
    }
    if (b->wfd >= 0)
        close(b->wfd);
    if (b->fifo[0])
        unlink(b->fifo);
    plc_sim_field_close(b->field); /* the line locks go with its file */
    free(b);
}

const struct plc_io_ops plc_io_sim_ops = {
    .name = "sim",
    .version = sim_version,
    .resolve = sim_board_resolve,
    .open = sim_open,
    .event_fd = sim_event_fd,
    .read_inputs = sim_read_inputs,
    .read_events = sim_read_events,
    .write_outputs = sim_write_outputs,
    .close = sim_close,
};
