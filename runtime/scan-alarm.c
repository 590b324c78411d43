/* SPDX-License-Identifier: MIT */
/*
 * The engine's events and alarms. Each cycle whose snapshot reads, the
 * alarms are evaluated against that snapshot (the one the program then sees)
 * and the alarm region is published, faulted cycles included: a faulted PLC
 * still says what is wrong with the plant. The alarm region is also where the
 * state lives across a restart of plc-logic: the engine starts from what it
 * last published there (docs/alarms.md says what is kept), and shelvings
 * come from the forcing table (scan-shelve.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan-internal.h"

void plc_scan_event(struct plc_scan *s, enum plc_event_kind kind, int severity, const char *name,
                    double before, double after, const char *text)
{
    struct plc_event ev;
    if (!s->events || plc_event_init(&ev, PLC_SOURCE_LOGIC, kind, severity, name, text) < 0)
        return;
    ev.before = before;
    ev.after = after;
    plc_event_ring_append(s->events, &ev);
}

double plc_scan_tag_value(const struct plc_scan *s, const struct plc_tag_def *t)
{
    size_t r = (size_t)(t->region - plc_layout_region_at(s->layout, 0));
    return r < s->n ? plc_tag_decode(t, s->buf[r]) : 0;
}

static double value_of(void *user, const struct plc_tag_def *t)
{
    return plc_scan_tag_value(user, t);
}

/* The limit an alarm compares with, for its events; NAN for a bool's alarm. */
static double limit_of(struct plc_scan *s, const struct plc_alarm_def *a)
{
    if (a->kind > PLC_ALARM_LL)
        return __builtin_nan("");
    return a->limit_tag ? plc_scan_tag_value(s, a->limit_tag) : a->limit;
}

static void on_transition(void *user, size_t i, enum plc_alarm_state from,
                          enum plc_alarm_state to, double value, int64_t now_ns)
{
    struct plc_scan *s = user;
    const struct plc_alarm_def *a = plc_layout_alarm_at(s->layout, i);
    bool raised = to == PLC_ALARM_UNACK_ACTIVE;
    (void)from;
    (void)now_ns;
    plc_scan_event(s, raised ? PLC_EVENT_ALARM_RAISED : PLC_EVENT_ALARM_CLEARED,
                   raised ? plc_alarm_severity_syslog(a->severity) : PLC_LOG_NOTICE, a->name,
                   limit_of(s, a), value, a->message);
}

/* What the region last said of alarm @i, as a state; shelving is not kept. */
static enum plc_alarm_state published_state(const struct plc_scan *s, size_t i)
{
    const unsigned char *buf = s->buf[s->alarm_region];
    return plc_alarm_state_from_bits(plc_tag_decode(plc_layout_alarm_bit(s->layout, i, false), buf) != 0,
                                     plc_tag_decode(plc_layout_alarm_bit(s->layout, i, true), buf) != 0);
}

/* The alarm region's tag @k. */
static const struct plc_tag_def *region_tag(const struct plc_scan *s, enum plc_alarm_region_tag k)
{
    return plc_layout_alarm_region_tag(s->layout, k);
}

/* Carry on from what the region holds (all zero after plc-shm-init: normal). */
static int restore(struct plc_scan *s)
{
    size_t n = plc_alarm_set_count(s->alarms);
    struct plc_alarm_status *st = calloc(n ? n : 1, sizeof(*st));
    if (!st)
        return -1;
    int64_t now = (int64_t)plc_scan_now(s);
    for (size_t i = 0; i < n; i++) {
        st[i].state = published_state(s, i);
        /* An active alarm holds by its deadband until the next evaluation says otherwise. */
        st[i].condition = st[i].state == PLC_ALARM_UNACK_ACTIVE ||
                          st[i].state == PLC_ALARM_ACK_ACTIVE;
        st[i].changed_ns = now;
        st[i].pending_ns = -1;
    }
    int r = plc_alarm_set_set_state(s->alarms, st, n);
    free(st);
    s->alarm_ack_done = plc_tag_decode(region_tag(s, PLC_ALARM_TAG_ACK_DONE), s->buf[s->alarm_region]);
    return r;
}

int plc_scan_alarms_init(struct plc_scan *s, struct plc_diag *diag)
{
    s->alarm_region = s->n;
    s->alarm_def = s->logic.alarms;
    if (!s->alarm_def)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (plc_region_get_def(s->reg[i]) == s->alarm_def)
            s->alarm_region = i;
    if (s->alarm_region == s->n || s->alarm_def->tag_count != PLC_ALARM_TAG_FIRST_BIT +
                                                                2 * plc_layout_alarm_count(s->layout))
        return plc_fail(diag, s->alarm_def->name, EINVAL,
                        "alarm region '%s' does not hold the layout's alarms", s->alarm_def->name);
    s->alarms = plc_alarm_set_new(s->layout);
    if (!s->alarms || restore(s) < 0 || plc_scan_shelve_init(s) < 0)
        return plc_fail(diag, NULL, ENOMEM, "out of memory for the alarms");
    return 0;
}

void plc_scan_alarms_free(struct plc_scan *s)
{
    plc_scan_shelve_free(s);
    plc_alarm_set_free(s->alarms);
    s->alarms = NULL;
}

/* Every change of the alarm_ack counter acknowledges every alarm. Compared
 * with what the region says was acted on, so a request made while plc-logic
 * was down is acted on when it starts: never lost, never done twice. */
static void take_ack(struct plc_scan *s, int64_t now)
{
    const struct plc_tag_def *cmd = s->logic.alarm_ack;
    if (!cmd)
        return;
    double want = plc_scan_tag_value(s, cmd);
    if (want == s->alarm_ack_done)
        return;
    for (size_t i = 0; i < plc_alarm_set_count(s->alarms); i++) {
        enum plc_alarm_state from = plc_alarm_set_status_at(s->alarms, i)->state;
        if (plc_alarm_set_ack(s->alarms, i, now) != 1)
            continue;
        enum plc_alarm_state to = plc_alarm_set_status_at(s->alarms, i)->state;
        char text[48]; /* the new state and the request: "ack_active, cmd_alarm_ack 3" */
        snprintf(text, sizeof(text), "%s, %.24s %.0f", plc_alarm_state_name(to), cmd->name, want);
        plc_scan_event(s, PLC_EVENT_ALARM_ACKED, PLC_LOG_NOTICE,
                       plc_layout_alarm_at(s->layout, i)->name, from, to, text);
    }
    s->alarm_ack_done = want;
}

void plc_scan_alarms_cycle(struct plc_scan *s)
{
    if (!s->alarms)
        return;
    int64_t now = (int64_t)plc_scan_now(s);
    plc_scan_shelve_apply(s, now);
    plc_scan_shelve_expired(s, now);
    take_ack(s, now);
    plc_alarm_set_evaluate(s->alarms, value_of, s, now, on_transition, s);

    unsigned char *buf = s->buf[s->alarm_region];
    unsigned active = 0, unacked = 0;
    for (size_t i = 0; i < plc_alarm_set_count(s->alarms); i++) {
        enum plc_alarm_state st = plc_alarm_set_status_at(s->alarms, i)->state;
        bool a = st == PLC_ALARM_UNACK_ACTIVE || st == PLC_ALARM_ACK_ACTIVE;
        bool u = st == PLC_ALARM_UNACK_ACTIVE || st == PLC_ALARM_UNACK_RTN;
        active += a;
        unacked += u;
        plc_tag_encode(plc_layout_alarm_bit(s->layout, i, false), a, buf);
        plc_tag_encode(plc_layout_alarm_bit(s->layout, i, true), u, buf);
    }
    plc_tag_encode(region_tag(s, PLC_ALARM_TAG_ACTIVE_COUNT), active, buf);
    plc_tag_encode(region_tag(s, PLC_ALARM_TAG_UNACKED_COUNT), unacked, buf);
    plc_tag_encode(region_tag(s, PLC_ALARM_TAG_ACK_DONE), s->alarm_ack_done, buf);
    plc_scan_publish(s, s->alarm_region, buf);
}
