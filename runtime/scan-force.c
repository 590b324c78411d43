/* SPDX-License-Identifier: MIT */
/*
 * The engine's part in forcing (plc-force.h): forced outputs are written into
 * a copy of the outputs just before they are published, never into the
 * program's working copy, so the program never reads back a forced value as
 * its own (a latch would keep it after the force ends), and the safe outputs
 * (plc_scan_write_safe_outputs) never see a force at all. The same table
 * carries the alarms' shelvings (scan-shelve.c).
 */
#include <stdlib.h>
#include <string.h>

#include "scan-internal.h"

void plc_scan_force_open(struct plc_scan *s, const char *base_dir)
{
    struct plc_diag diag;
    if (s->outputs == s->n && s->diag == s->n && !s->alarms)
        return; /* nothing to force, count or shelve */
    s->forces = plc_force_table_open(s->layout, base_dir, PLC_READER, &diag);
    if (!s->forces) {
        plc_scan_log(s, PLC_LOG_WARNING, "%s: %s: no forcing", diag.file, diag.msg);
        return;
    }
    plc_force_table_set_events(s->forces, s->events, PLC_SOURCE_LOGIC);
    if (s->outputs != s->n)
        s->forced_buf = malloc(plc_region_get_def(s->reg[s->outputs])->data_size);
}

void plc_scan_force_close(struct plc_scan *s)
{
    plc_force_table_close(s->forces);
    free(s->forced_buf);
}

const void *plc_scan_force_outputs(struct plc_scan *s)
{
    const unsigned char *data = s->buf[s->outputs];
    if (!s->forces || !s->forced_buf)
        return data;
    const struct plc_region_def *def = plc_region_get_def(s->reg[s->outputs]);
    memcpy(s->forced_buf, data, def->data_size);
    int64_t now = (int64_t)plc_realtime_ns();
    return plc_force_table_apply(s->forces, def, s->forced_buf, now) ? s->forced_buf : data;
}

unsigned plc_scan_force_count(struct plc_scan *s)
{
    int n = s->forces ? plc_force_table_list(s->forces, (int64_t)plc_realtime_ns(), NULL) : 0;
    return n > 0 ? (unsigned)n : 0;
}
