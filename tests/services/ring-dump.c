/* SPDX-License-Identifier: MIT */
/*
 * ring-dump: a test helper that prints every record still in one service's
 * event ring, oldest first, one line each, for shell tests to compare:
 *
 *   ring-dump LAYOUT BASE_DIR SOURCE
 *   KIND SEVERITY NAME BEFORE AFTER TEXT     (tab-separated; "-" for an empty name)
 *
 * SOURCE is a service's name as in the ring's file name (io, modbus, ...).
 * Records lost before it read them are counted on stderr. plcctl has its own
 * reader; this one only needs to be exact and small.
 * Exit 0 ok, 1 error (the diag on stderr), 2 usage.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "plc-event.h"

/* One line for a failed call; exit status 1. */
static int report(const struct plc_diag *diag)
{
    char msg[1200];
    plc_diag_format(diag, msg, sizeof(msg));
    fprintf(stderr, "ring-dump: %s\n", msg);
    return 1;
}

int main(int argc, char **argv)
{
    struct plc_diag diag;
    char path[PATH_MAX];
    if (argc != 4) {
        fprintf(stderr, "usage: ring-dump LAYOUT BASE_DIR SOURCE\n");
        return 2;
    }
    int source = 1;
    while (strcmp(plc_event_source_name(source), "?") != 0 &&
           strcmp(plc_event_source_name(source), argv[3]) != 0)
        source++;
    if (strcmp(plc_event_source_name(source), "?") == 0) {
        fprintf(stderr, "ring-dump: no service '%s'\n", argv[3]);
        return 2;
    }
    struct plc_layout *l = plc_layout_load(argv[1], &diag);
    if (!l)
        return report(&diag);
    int rc = 1;
    struct plc_event_ring *r = NULL;
    if (plc_event_ring_path(l, argv[2], source, path, sizeof(path)) == 0)
        r = plc_event_ring_open(path, PLC_READER, plc_layout_get_hash(l), &diag);
    if (r) {
        uint64_t cursor = 0, lost = 0;
        struct plc_event ev;
        while (plc_event_ring_read(r, &cursor, &ev, &lost) == 1)
            printf("%s\t%u\t%s\t%g\t%g\t%s\n", plc_event_kind_name(ev.kind), ev.severity,
                   ev.name[0] ? ev.name : "-", ev.before, ev.after, ev.text);
        if (lost)
            fprintf(stderr, "ring-dump: %llu records lost\n", (unsigned long long)lost);
        rc = 0;
    } else {
        report(&diag);
    }
    plc_event_ring_close(r);
    plc_layout_free(l);
    return rc;
}
