/* SPDX-License-Identifier: MIT */
/*
 * The interface every line backend implements: io/sim.c, io/gpiod-v1.c,
 * io/gpiod-v2.c. CMake builds exactly one of the gpiod files, chosen from the
 * installed libgpiod's version, and both export the same plc_io_gpiod_ops:
 * the service core never knows which one it has.
 *
 * Lines are handed over inputs first: lines[0..nin) are inputs, lines[nin..nin+nout)
 * outputs. Values are logical (active-low applied by the backend or kernel).
 */
#ifndef PLC_IO_BACKEND_H
#define PLC_IO_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plc-io.h"

/* One bound line; the core fills tag/output/initial, open() resolves the rest. */
struct plc_io_line {
    const struct plc_tag_def *tag;
    bool output;
    bool initial;          /* outputs: the level to request them at (their safe value) */
    char chip[64];         /* resolved chip name, "gpiochip0" */
    unsigned offset;       /* resolved offset */
    char name[32];         /* the line's own name, "" if none */
    bool kernel_debounce;  /* the backend set the debounce in the kernel */
};

/* One edge on an input line. */
struct plc_io_event {
    size_t line;    /* index into the input lines */
    bool value;     /* logical value after the edge */
    uint64_t ts_ns; /* CLOCK_MONOTONIC */
};

struct plc_io_backend; /* each backend's own state */

struct plc_io_ops {
    const char *name;
    /* "libgpiod 2.1.3": the library actually linked. */
    const char *(*version)(void);
    /* Find where one tag's line is (chip, offset): 0, or -1 with ENOENT + diag
     * for an unknown chip or line. plc_io_new() resolves every line and checks
     * no line is bound twice before it calls open(). */
    int (*resolve)(const struct plc_tag_def *tag, struct plc_io_line *line,
                   struct plc_diag *diag);
    /*
     * Check no line is held (EBUSY + diag naming the consumer), then request the
     * resolved lines:
     * inputs with bias, active-low, both edges and, where the API has it,
     * debounce; outputs with drive, active-low and lines[i].initial.
     */
    struct plc_io_backend *(*open)(const struct plc_layout *layout, const char *base_dir,
                                   const char *consumer, struct plc_io_line *lines, size_t nin,
                                   size_t nout, struct plc_diag *diag);
    /* An fd that polls readable while edge events are pending. */
    int (*event_fd)(struct plc_io_backend *b);
    /* Full read of all nin input values. 0 or -1/errno. */
    int (*read_inputs)(struct plc_io_backend *b, bool *values);
    /*
     * Drain up to @max pending events without blocking. Sets *overflow when
     * events were lost (the caller then does a full read).
     * Returns the count (0 when none), or -1/errno.
     */
    int (*read_events)(struct plc_io_backend *b, struct plc_io_event *ev, size_t max,
                       bool *overflow);
    /* Set all nout output values together. 0 or -1/errno. */
    int (*write_outputs)(struct plc_io_backend *b, const bool *values);
    /* Release every line; NULL is accepted. */
    void (*close)(struct plc_io_backend *b);
};

extern const struct plc_io_ops plc_io_sim_ops;
extern const struct plc_io_ops plc_io_gpiod_ops;

/* Fill @diag with a message (no file) and set errno; returns NULL for open(). */
void *plc_io_fail(struct plc_diag *diag, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "line GPIO17" / "line gpiochip0:17" for messages about a binding. */
void plc_io_binding_text(const struct plc_gpio_binding *g, char *buf, size_t len);

uint64_t plc_io_now_ns(void);

#endif
