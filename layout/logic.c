/* SPDX-License-Identifier: MIT */
/*
 * The [logic] section: period, watchdog, fault policy and real-time options
 * of plc-logic. Read after regions and tags, since it names some of them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static void duration(struct parse *p, struct section *s, const char *key, uint32_t min,
                     uint32_t max, uint32_t *out)
{
    struct entry *e = layout_take(s, key);
    char what[64];
    if (!e)
        return;
    snprintf(what, sizeof(what), "[logic]: %s", key);
    layout_parse_duration(p, e, what, min, max, out);
}

uint32_t plc_logic_default_watchdog_us(uint32_t period_us)
{
    return period_us > PLC_LOGIC_WATCHDOG_MAX_US / 10u ? PLC_LOGIC_WATCHDOG_MAX_US
                                                       : period_us * 10u;
}

static void set_defaults(const struct plc_layout *l, struct plc_logic_def *out)
{
    memset(out, 0, sizeof(*out));
    out->period_us = PLC_LOGIC_PERIOD_US_DEFAULT;
    out->restart = PLC_RESTART_COMMAND;
    out->restart_delay_us = PLC_LOGIC_RESTART_DELAY_US_DEFAULT;
    out->cpu = -1;
    out->cpu_dma_latency_us = -1;
    out->force_timeout_s = PLC_LOGIC_FORCE_TIMEOUT_S_DEFAULT;
    out->force_max_s = PLC_LOGIC_FORCE_MAX_S_DEFAULT;
    const struct plc_region_def *diag = plc_layout_find_region(l, "diagnostics");
    out->diagnostics = diag && strcmp(diag->writer, "logic") == 0 ? diag : NULL;
    const struct plc_region_def *alarms = plc_layout_find_region(l, "alarms");
    out->alarms = alarms && strcmp(alarms->writer, "logic") == 0 ? alarms : NULL;
}

/* period, and watchdog, whose default follows the period. Whether each was
 * given is kept: a program's task interval may stand in for a period that
 * was not (plc-logic, docs/programs.md). */
static void load_period(struct parse *p, struct section *s, struct plc_logic_def *out)
{
    out->period_set = layout_take(s, "period") != NULL;
    duration(p, s, "period", PLC_LOGIC_PERIOD_MIN_US, PLC_LOGIC_PERIOD_MAX_US, &out->period_us);
    out->watchdog_us = plc_logic_default_watchdog_us(out->period_us);
    out->watchdog_set = layout_take(s, "watchdog") != NULL;
    duration(p, s, "watchdog", PLC_LOGIC_PERIOD_MIN_US, PLC_LOGIC_WATCHDOG_MAX_US,
             &out->watchdog_us);
}

/* fault_restart, and restart_delay, which only auto allows. */
static void load_fault_restart(struct parse *p, struct section *s, struct plc_logic_def *out)
{
    struct entry *e;
    if ((e = layout_take(s, "fault_restart"))) {
        if (strcmp(e->value, "auto") == 0)
            out->restart = PLC_RESTART_AUTO;
        else if (strcmp(e->value, "command") == 0)
            out->restart = PLC_RESTART_COMMAND;
        else
            layout_fail(p, e->line, "[logic]: fault_restart '%s' is not auto or command",
                        e->value);
    }
    struct entry *delay = layout_take(s, "restart_delay");
    if (delay) {
        if (out->restart != PLC_RESTART_AUTO)
            layout_fail(p, delay->line,
                        "[logic]: restart_delay applies to fault_restart = auto only");
        duration(p, s, "restart_delay", 0, PLC_LOGIC_WATCHDOG_MAX_US, &out->restart_delay_us);
    }
}

/* A request counter another service writes: every change is one request. */
static const struct plc_tag_def *load_counter(struct parse *p, struct section *s,
                                              const struct plc_layout *l, const char *key)
{
    struct entry *e = layout_take(s, key);
    if (!e)
        return NULL;
    const struct plc_tag_def *t = plc_layout_find_tag(l, e->value);
    if (!t)
        layout_fail(p, e->line, "[logic]: %s tag '%s' is not declared", key, e->value);
    else if (t->type != PLC_TYPE_UINT16 && t->type != PLC_TYPE_UINT32)
        layout_fail(p, e->line,
                    "[logic]: %s tag '%s' is %s; it must be a uint16 or uint32 request counter",
                    key, e->value, plc_type_name(t->type));
    else if (strcmp(t->region->writer, "logic") == 0)
        layout_fail(p, e->line,
                    "[logic]: %s tag '%s' is in region '%s', which the logic writes itself", key,
                    e->value, t->region->name);
    return t;
}

/* The real-time options: priority, lock_memory, cpu and cpu_dma_latency. */
static void load_realtime(struct parse *p, struct section *s, struct plc_logic_def *out)
{
    struct entry *e;
    unsigned long long v;
    if ((e = layout_take(s, "priority"))) {
        if (!layout_parse_uint(e->value, PLC_LOGIC_PRIORITY_MAX, &v))
            layout_fail(p, e->line,
                        "[logic]: priority '%s' is not 0 (SCHED_OTHER) or 1..99 (SCHED_FIFO)",
                        e->value);
        out->priority = (int)v;
    }
    if ((e = layout_take(s, "lock_memory")) && !layout_parse_yesno(e->value, &out->lock_memory))
        layout_fail(p, e->line, "[logic]: lock_memory '%s' is not yes or no", e->value);
    if ((e = layout_take(s, "cpu")) && strcmp(e->value, "none") != 0) {
        if (!layout_parse_uint(e->value, PLC_LOGIC_CPU_MAX, &v))
            layout_fail(p, e->line, "[logic]: cpu '%s' is not a CPU number or none", e->value);
        out->cpu = (int)v;
    }
    /* A real-time scan wants the kernel's promptest wake-up, as cyclictest
     * asks for it: idle CPUs kept out of states slower to leave. */
    out->cpu_dma_latency_us = out->priority > 0 ? 0 : -1;
    if ((e = layout_take(s, "cpu_dma_latency"))) {
        uint32_t us;
        if (strcmp(e->value, "none") == 0)
            out->cpu_dma_latency_us = -1;
        else if (layout_parse_duration(p, e, "[logic]: cpu_dma_latency", 0,
                                       PLC_LOGIC_CPU_DMA_LATENCY_MAX_US, &us))
            out->cpu_dma_latency_us = (int)us;
    }
}

/* A region the logic writes, named by key @e. */
static const struct plc_region_def *logic_region(struct parse *p, const struct entry *e,
                                                 const struct plc_layout *l)
{
    const struct plc_region_def *r = plc_layout_find_region(l, e->value);
    if (!r)
        layout_fail(p, e->line, "[logic]: %s region '%s' is not declared", e->key, e->value);
    else if (strcmp(r->writer, "logic") != 0)
        layout_fail(p, e->line, "[logic]: %s region '%s' is written by %s, not logic", e->key,
                    e->value, r->writer);
    return r;
}

static void load_diagnostics(struct parse *p, struct section *s, const struct plc_layout *l,
                             struct plc_logic_def *out)
{
    struct entry *e = layout_take(s, "diagnostics");
    if (!e)
        return;
    out->diagnostics = strcmp(e->value, "none") == 0 ? NULL : logic_region(p, e, l);
}

/* alarms: the region of the alarms' state, a region the logic writes. */
static void load_alarms(struct parse *p, struct section *s, const struct plc_layout *l,
                        struct plc_logic_def *out)
{
    struct entry *e = layout_take(s, "alarms");
    if (e)
        out->alarms = logic_region(p, e, l);
    out->alarm_ack = load_counter(p, s, l, "alarm_ack");
}

/* force_max (a duration or forever), then force_timeout, the default length of a force. */
static void load_force(struct parse *p, struct section *s, struct plc_logic_def *out)
{
    struct entry *e;
    struct plc_diag d;
    char max[16];
    if ((e = layout_take(s, "force_max"))) {
        if (strcmp(e->value, "forever") == 0)
            out->force_max_s = 0;
        else if (plc_duration_parse_s(e->value, 1, PLC_LOGIC_FORCE_MAX_MAX_S, "[logic]: force_max",
                                      &out->force_max_s, &d) < 0)
            layout_fail(p, e->line, "%s (or forever)", d.msg);
    }
    if (!(e = layout_take(s, "force_timeout"))) {
        if (out->force_max_s && out->force_timeout_s > out->force_max_s)
            out->force_timeout_s = out->force_max_s;
    } else if (plc_duration_parse_s(e->value, 1, PLC_LOGIC_FORCE_MAX_MAX_S,
                                    "[logic]: force_timeout", &out->force_timeout_s, &d) < 0) {
        layout_fail(p, e->line, "%s", d.msg);
    } else if (out->force_max_s && out->force_timeout_s > out->force_max_s) {
        plc_duration_format_s(out->force_max_s, max, sizeof(max));
        layout_fail(p, e->line, "[logic]: force_timeout %s is longer than force_max (%s)",
                    e->value, max);
    }
}

void layout_load_logic(struct parse *p, struct section *s, const struct plc_layout *l,
                       struct plc_logic_def *out)
{
    static const char *const known[] = {"period", "watchdog", "fault_restart", "restart_delay",
                                        "reset_command", "priority", "lock_memory", "cpu",
                                        "cpu_dma_latency", "diagnostics", "alarms", "alarm_ack",
                                        "force_timeout", "force_max", "description", NULL};
    set_defaults(l, out);
    if (!s) {
        out->watchdog_us = plc_logic_default_watchdog_us(out->period_us);
        return;
    }
    out->line = s->line;
    layout_check_keys(p, s, known);
    load_period(p, s, out);
    load_fault_restart(p, s, out);
    out->reset_command = load_counter(p, s, l, "reset_command");
    load_realtime(p, s, out);
    load_diagnostics(p, s, l, out);
    load_alarms(p, s, l, out);
    load_force(p, s, out);
    layout_take(s, "description");
}
