/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "events.h"
#include "report.h"

struct plc_event_ring *plc_service_events_open(const char *prog, const struct plc_layout *l,
                                               const char *base, enum plc_event_source source)
{
    char path[PATH_MAX];
    struct plc_diag diag;
    if (plc_event_ring_path(l, base, source, path, sizeof(path)) < 0) {
        fprintf(stderr, "%s: %s/%s: event ring path is too long\n", prog, base,
                plc_layout_get_name(l));
        return NULL;
    }
    struct plc_event_ring *r = plc_event_ring_open(path, PLC_WRITER, plc_layout_get_hash(l), &diag);
    if (r)
        return r;
    /* The library says only that nobody made it; here we know who should have. */
    if (errno == ENOENT)
        fprintf(stderr, "%s: %s: event ring not found: has plc-shm-init run?\n", prog, path);
    else
        plc_service_report(prog, &diag);
    return NULL;
}
