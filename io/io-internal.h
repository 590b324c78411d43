/* SPDX-License-Identifier: MIT */
/*
 * struct plc_io, shared between the files of the I/O service core: io.c
 * (construction, the backends, running), io-inputs.c (the caller's thread:
 * edges, debounce, publishing the inputs), io-outputs.c (the outputs thread)
 * and io-info.c (the line table). Not installed; the backends do not see it.
 */
#ifndef PLC_IO_INTERNAL_H
#define PLC_IO_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include "backend.h"
#include "plc-force.h"

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
    unsigned char *pub; /* forces applied: the last published, then a scratch copy */
    bool forced;        /* the last publish held a force */
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
    struct plc_event_ring *events; /* or NULL */
    _Atomic uint64_t out_turns; /* the outputs thread's loop count, for on_alive */

    struct plc_io_line *lines;
    size_t nin, nout;
    struct in_state *in;
    struct out_state *out;
    size_t *in_region_of; /* input line -> index in regions */

    struct in_region *regions;
    size_t nregions;
    struct plc_region *outputs;
    struct plc_force_table *forces; /* or NULL: nothing is forced */

    pthread_mutex_t lock; /* line stats and output state, for readers of the info */
    enum plc_io_output_state out_state;
    atomic_bool stop;
    int stop_fd;
    uint64_t full_read_ns; /* edges older than the last full read are stale */
};

/* An output's safe value: its own, or @current when it holds. */
static inline bool plc_io_safe_value(const struct plc_tag_def *t, bool current)
{
    return t->safe_mode == PLC_SAFE_HOLD ? current : t->safe != 0;
}

/* "plc-io: " and the message, one line on the configured log. */
void plc_io_log(struct plc_io *io, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* io-inputs.c */

/* The start-up full read: every input's value, published. 0 or -1/errno. */
int plc_io_first_read(struct plc_io *io);
/* The caller's thread of plc_io_run() until plc_io_stop(): edges, debounce,
 * publishing and heartbeats of the input regions. 0, or -1 when it failed. */
int plc_io_inputs_loop(struct plc_io *io, bool have_out);

/* io-force.c */

/* Open the forcing table (none: logged, nothing forced); expiries go to @events, if any. */
void plc_io_force_open(struct plc_io *io, struct plc_event_ring *events);
/* Whether @ir must be published whole from ir->pub, which then holds its
 * data with the forces applied: something is forced, or was at the last publish. */
bool plc_io_force_apply(struct plc_io *io, struct in_region *ir);

/* io-outputs.c */

/* The outputs thread of plc_io_run(); @arg is the struct plc_io. */
void *plc_io_outputs_thread(void *arg);

#endif
