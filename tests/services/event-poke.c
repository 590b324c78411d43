/* SPDX-License-Identifier: MIT */
/*
 * event-poke: a test helper that appends one event as a service would.
 *
 *   event-poke LAYOUT BASE_DIR SOURCE KIND NAME BEFORE AFTER TEXT [AGE_S [HISTORY_DIR]]
 *
 * Makes the source's ring (64 records) if it is missing, appends the event,
 * dated AGE_S seconds back (both clocks), and with HISTORY_DIR also keeps it in
 * the history there, as plc-retain would. Prints "appended SOURCE seq N".
 * Exit 0 ok, 1 error (the diag on stderr), 2 usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc-event-history.h"

static int by_name(const char *(*name)(int), const char *text)
{
    for (int i = 1; i < 64; i++)
        if (strcmp(name(i), text) == 0)
            return i;
    return 0;
}

int main(int argc, char **argv)
{
    struct plc_diag diag;
    if (argc < 9 || argc > 11) {
        fprintf(stderr, "usage: event-poke LAYOUT BASE_DIR SOURCE KIND NAME BEFORE AFTER TEXT "
                        "[AGE_S [HISTORY_DIR]]\n");
        return 2;
    }
    struct plc_layout *l = plc_layout_load(argv[1], &diag);
    int source = by_name(plc_event_source_name, argv[3]);
    int kind = by_name(plc_event_kind_name, argv[4]);
    char path[512];
    if (!l || plc_layout_dir_make(l, argv[2], &diag) < 0 ||
        plc_event_ring_path(l, argv[2], source, path, sizeof(path)) < 0) {
        fprintf(stderr, "event-poke: %s\n", l ? "bad source" : diag.msg);
        return 1;
    }
    uint64_t hash = plc_layout_get_hash(l);
    struct plc_event_ring *r = NULL;
    if (plc_event_ring_create(path, 64, hash, &diag) == PLC_CREATE_ERROR ||
        !(r = plc_event_ring_open(path, PLC_WRITER, hash, &diag))) {
        fprintf(stderr, "event-poke: %s: %s\n", diag.file, diag.msg);
        return 1;
    }
    struct plc_event_record rec = {.ring_id = plc_event_ring_get_id(r)};
    if (plc_event_init(&rec.ev, source, kind, 5, argv[5], argv[8]) < 0) {
        fprintf(stderr, "event-poke: bad source or kind\n");
        return 2;
    }
    int64_t age = argc > 9 ? atoll(argv[9]) * 1000000000ll : 0;
    rec.ev.realtime_ns -= age;
    rec.ev.mono_ns -= (uint64_t)age;
    rec.ev.before = atof(argv[6]);
    rec.ev.after = atof(argv[7]);
    rec.ev.seq = plc_event_ring_get_head(r);
    plc_event_ring_append(r, &rec.ev);
    if (argc > 10) {
        struct plc_event_history_config cfg = {.dir = argv[10], .name = plc_layout_get_name(l)};
        struct plc_event_history *h = plc_event_history_open(&cfg, PLC_WRITER, &diag);
        if (!h || plc_event_history_append(h, &rec) < 0 || plc_event_history_close(h) < 0) {
            fprintf(stderr, "event-poke: %s: %s\n", diag.file, diag.msg);
            return 1;
        }
    }
    printf("appended %s seq %llu\n", argv[3], (unsigned long long)rec.ev.seq);
    plc_event_ring_close(r);
    plc_layout_free(l);
    return 0;
}
