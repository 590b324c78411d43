/* SPDX-License-Identifier: MIT */
/*
 * Forced inputs (plc-force.h): plc-io publishes an input region with the
 * forced values written over the field's, so every reader (the program, SCADA,
 * plcctl) sees the forced value while plc-io's own line state, and plc-io-sim,
 * keep showing the field. ir->data always holds the field; ir->pub what was
 * last published with forces applied.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io-internal.h"

void plc_io_force_open(struct plc_io *io, struct plc_event_ring *events)
{
    struct plc_diag diag;
    io->forces = plc_force_table_open(io->layout, io->base, PLC_READER, &diag);
    if (!io->forces) {
        plc_io_log(io, "inputs: %s: %s: no forcing", diag.file, diag.msg);
        return;
    }
    plc_force_table_set_events(io->forces, events, PLC_SOURCE_IO);
}

static int64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

bool plc_io_force_apply(struct plc_io *io, struct in_region *ir)
{
    if (!io->forces)
        return false;
    int64_t now = realtime_ns();
    if (plc_force_table_list(io->forces, now, NULL) <= 0 && !ir->forced)
        return false; /* nothing forced now or at the last publish: the usual path */
    const struct plc_region_def *def = plc_region_get_def(ir->region);
    if (!ir->pub && !(ir->pub = calloc(2, def->data_size)))
        return false;
    unsigned char *next = ir->pub + def->data_size;
    memcpy(next, ir->data, def->data_size);
    size_t n = plc_force_table_apply(io->forces, def, next, now);
    bool changed = ir->dirty || ir->forced != (n > 0) ||
                   memcmp(next, ir->pub, def->data_size) != 0;
    memcpy(ir->pub, next, def->data_size);
    ir->forced = n > 0;
    return changed;
}
