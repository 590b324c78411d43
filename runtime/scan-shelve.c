/* SPDX-License-Identifier: MIT */
/*
 * The engine's part in shelving (docs/alarms.md): plcctl writes shelvings in
 * the forcing table, and each cycle, before the alarms are evaluated, the
 * engine brings its alarm set in line with it. The table keeps wall-clock
 * times (plcctl and a restarted plc-logic must agree on them) while the set
 * runs on the engine's clock, so an end is turned into the engine's clock
 * once, when the shelving is applied: setting the wall clock afterwards does
 * not move it. The table is the truth across a restart of plc-logic; the
 * set's shelving is not kept in the alarm region.
 */
#include <stdlib.h>
#include <string.h>

#include "scan-internal.h"

int plc_scan_shelve_init(struct plc_scan *s)
{
    size_t n = plc_alarm_set_count(s->alarms);
    s->shelved = calloc(n ? n : 1, sizeof(*s->shelved));
    return s->shelved ? 0 : -1;
}

void plc_scan_shelve_free(struct plc_scan *s)
{
    free(s->shelved);
    s->shelved = NULL;
}

static void set_live(struct plc_scan *s, struct plc_scan_shelved *a, bool live)
{
    if (a->live != live)
        s->shelved_live += live ? 1 : (size_t)-1;
    a->live = live;
}

/* A shelving that is new or has a new end: shelve the alarm for what is left
 * of it; one that ended before the engine saw it is ignored. */
static void apply_one(struct plc_scan *s, const struct plc_shelving *e, int64_t now,
                      int64_t realtime)
{
    struct plc_scan_shelved *a = &s->shelved[e->index];
    a->poll = s->shelve_polls;
    if (a->since_ns == e->since_ns && a->until_ns == e->until_ns)
        return;
    a->since_ns = e->since_ns;
    a->until_ns = e->until_ns;
    int64_t left = e->until_ns - realtime;
    int64_t max = (int64_t)e->alarm->shelve_max_s * 1000000000;
    if (left > max)
        left = max; /* a wall clock set back: never longer than the alarm allows */
    if (left > 0 && plc_alarm_set_shelve(s->alarms, e->index, now, now + left, NULL) == 0) {
        set_live(s, a, true);
        return;
    }
    if (a->live)
        plc_alarm_set_unshelve(s->alarms, e->index);
    set_live(s, a, false);
}

void plc_scan_shelve_apply(struct plc_scan *s, int64_t now)
{
    size_t n;
    if (!s->forces || !s->shelved || plc_force_table_poll_shelved(s->forces, s->shelf, &n) != 1)
        return;
    int64_t realtime = (int64_t)plc_realtime_ns();
    s->shelve_polls++;
    for (size_t k = 0; k < n; k++)
        apply_one(s, &s->shelf[k], now, realtime);
    /* Gone from the table: unshelved by plcctl (which told it), or plc-shm-init. */
    for (size_t i = 0; i < plc_alarm_set_count(s->alarms); i++) {
        struct plc_scan_shelved *a = &s->shelved[i];
        if (!a->since_ns || a->poll == s->shelve_polls)
            continue;
        if (a->live)
            plc_alarm_set_unshelve(s->alarms, i);
        set_live(s, a, false);
        memset(a, 0, sizeof(*a));
    }
}

void plc_scan_shelve_expired(struct plc_scan *s, int64_t now)
{
    for (size_t i = 0; s->shelved_live && i < plc_alarm_set_count(s->alarms); i++) {
        struct plc_scan_shelved *a = &s->shelved[i];
        const struct plc_alarm_status *st = plc_alarm_set_status_at(s->alarms, i);
        if (!a->live || (st->shelved && now < st->shelved_until_ns))
            continue;
        set_live(s, a, false); /* kept otherwise: the same entry is not applied again */
        plc_scan_event(s, PLC_EVENT_ALARM_UNSHELVED, PLC_LOG_NOTICE,
                       plc_layout_alarm_at(s->layout, i)->name, 0, 0, "expired");
    }
}
