/* SPDX-License-Identifier: MIT */
/*
 * The engine's statistics and the diagnostics region: which tag holds which
 * statistic (checked when the engine is made) and the region's contents,
 * published after every cycle.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "scan-internal.h"

static const char *const stat_names[ST_COUNT] = {
    "scan_count", "scan_time_last_us", "scan_time_min_us", "scan_time_max_us",
    "scan_time_mean_us", "late_p50_us", "late_p99_us", "late_max_us", "overruns", "skipped",
    "fault_state", "fault_cause", "faults", "period_us", "sched_priority", "reloads", "forced",
};

/* Per-task statistics, as tags task_<name>_<what>. */
enum task_stat { TS_LAST, TS_MAX, TS_MEAN, TS_RUNS, TS_OVERRUNS, TS_COUNT };
static const char *const task_stat_names[TS_COUNT] = {
    "_scan_time_last_us", "_scan_time_max_us", "_scan_time_mean_us", "_runs", "_overruns",
};

void plc_scan_get_stats(const struct plc_scan *s, struct plc_scan_stats *st)
{
    memset(st, 0, sizeof(*st));
    st->scans = s->scans;
    st->cycles = s->cycles;
    st->overruns = s->overruns;
    st->skipped = s->skipped;
    st->faults = s->faults;
    st->reloads = s->reloads;
    st->scan_last = s->scan_last;
    st->scan_min = s->scans ? s->scan_min : 0;
    st->scan_max = s->scan_max;
    st->scan_mean = s->scans ? s->scan_sum / s->scans : 0;
    st->late_p50 = plc_hist_quantile(&s->late, 0.50);
    st->late_p99 = plc_hist_quantile(&s->late, 0.99);
    st->late_max = s->late.max;
    st->period_us = s->logic.period_us;
    st->priority = s->priority;
    st->state = s->state;
    st->cause = s->cause;
    snprintf(st->fault, sizeof(st->fault), "%s", s->fault);
    snprintf(st->program, sizeof(st->program), "%s",
             s->prog.desc && s->prog.desc->name ? s->prog.desc->name : "");
    st->task_count = (uint32_t)s->task_n;
    for (size_t i = 0; i < s->task_n; i++) {
        const struct plc_task_run *r = &s->task_run[i];
        struct plc_task_stats *t = &st->tasks[i];
        snprintf(t->name, sizeof(t->name), "%s", s->tasks[i].name);
        t->interval_ns = s->tasks[i].interval_ns;
        t->priority = s->tasks[i].priority;
        t->runs = r->runs;
        t->overruns = r->overruns;
        t->scan_last = r->last;
        t->scan_max = r->max;
        t->scan_mean = r->runs ? r->sum / r->runs : 0;
    }
}

void plc_scan_get_cycle(const struct plc_scan *s, uint64_t *deadline, uint64_t *wake)
{
    *deadline = s->cycle_deadline;
    *wake = s->cycle_wake;
}

static void put_stat(struct plc_scan *s, enum diag_stat k, double v)
{
    const struct plc_tag_def *t = s->stat_tag[k];
    if (!t)
        return;
    if (v > t->max)
        v = t->max;
    plc_tag_encode(t, v, s->buf[s->diag]);
}

void plc_scan_publish_diagnostics(struct plc_scan *s, enum plc_scan_state state,
                                  enum plc_fault_cause cause)
{
    if (s->diag == s->n)
        return;
    struct plc_scan_stats st;
    plc_scan_get_stats(s, &st);
    put_stat(s, ST_SCAN_COUNT, (double)st.scans);
    put_stat(s, ST_SCAN_LAST, (double)(st.scan_last / 1000u));
    put_stat(s, ST_SCAN_MIN, (double)(st.scan_min / 1000u));
    put_stat(s, ST_SCAN_MAX, (double)(st.scan_max / 1000u));
    put_stat(s, ST_SCAN_MEAN, (double)(st.scan_mean / 1000u));
    put_stat(s, ST_LATE_P50, (double)(st.late_p50 / 1000u));
    put_stat(s, ST_LATE_P99, (double)(st.late_p99 / 1000u));
    put_stat(s, ST_LATE_MAX, (double)(st.late_max / 1000u));
    put_stat(s, ST_OVERRUNS, (double)st.overruns);
    put_stat(s, ST_SKIPPED, (double)st.skipped);
    put_stat(s, ST_FAULT_STATE, state == PLC_SCAN_FAULTED ? 1 : 0);
    put_stat(s, ST_FAULT_CAUSE, cause);
    put_stat(s, ST_FAULTS, (double)st.faults);
    put_stat(s, ST_PERIOD, st.period_us);
    put_stat(s, ST_PRIORITY, st.priority);
    put_stat(s, ST_RELOADS, (double)st.reloads);
    if (s->stat_tag[ST_FORCED])
        put_stat(s, ST_FORCED, plc_scan_force_count(s));
    for (size_t i = 0; i < s->task_tag_n; i++) {
        const struct plc_task_tag *tt = &s->task_tags[i];
        const struct plc_task_stats *ts = tt->index >= 0 ? &st.tasks[tt->index] : NULL;
        double v = !ts                         ? 0
                   : tt->stat == TS_LAST       ? (double)(ts->scan_last / 1000u)
                   : tt->stat == TS_MAX        ? (double)(ts->scan_max / 1000u)
                   : tt->stat == TS_MEAN       ? (double)(ts->scan_mean / 1000u)
                   : tt->stat == TS_RUNS       ? (double)ts->runs
                                               : (double)ts->overruns;
        if (v > tt->tag->max)
            v = tt->tag->max;
        plc_tag_encode(tt->tag, v, s->buf[s->diag]);
    }
    plc_scan_publish(s, s->diag, s->buf[s->diag]);
}

void plc_scan_publish_watchdog_fault(struct plc_scan *s)
{
    if (s->diag == s->n)
        return;
    put_stat(s, ST_FAULT_STATE, 1);
    put_stat(s, ST_FAULT_CAUSE, PLC_FAULT_WATCHDOG);
    put_stat(s, ST_FAULTS, (double)(s->faults + 1));
    plc_scan_publish(s, s->diag, s->buf[s->diag]);
}

/* Whether @name is task_<task>_<stat>: fill @tt's task and stat. */
static bool task_tag_parse(const char *name, struct plc_task_tag *tt)
{
    size_t n = strlen(name);
    if (strncmp(name, "task_", 5) != 0)
        return false;
    for (int k = 0; k < TS_COUNT; k++) {
        size_t m = strlen(task_stat_names[k]);
        if (n > 5 + m && strcmp(name + n - m, task_stat_names[k]) == 0 &&
            n - 5 - m < sizeof(tt->task)) {
            snprintf(tt->task, sizeof(tt->task), "%.*s", (int)(n - 5 - m), name + 5);
            tt->stat = k;
            tt->index = -1;
            return true;
        }
    }
    return false;
}

void plc_scan_map_task_tags(struct plc_scan *s)
{
    for (size_t i = 0; i < s->task_tag_n; i++) {
        struct plc_task_tag *tt = &s->task_tags[i];
        tt->index = -1;
        for (size_t j = 0; j < s->task_n; j++)
            if (strcasecmp(s->tasks[j].name, tt->task) == 0)
                tt->index = (int)j;
    }
}

int plc_scan_map_diagnostics(struct plc_scan *s, const struct plc_region_def *def,
                             struct plc_diag *diag)
{
    s->task_tags = calloc(def->tag_count ? def->tag_count : 1, sizeof(*s->task_tags));
    if (!s->task_tags)
        return plc_fail(diag, NULL, ENOMEM, "out of memory");
    for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(s->layout, i);
        size_t k = 0;
        while (k < ST_COUNT && strcmp(stat_names[k], t->name) != 0)
            k++;
        if (k == ST_COUNT && task_tag_parse(t->name, &s->task_tags[s->task_tag_n])) {
            s->task_tags[s->task_tag_n++].tag = t;
            continue;
        }
        if (k == ST_COUNT) {
            plc_fail(diag, plc_layout_get_path(s->layout), EINVAL,
                     "tag '%s' in diagnostics region '%s' is not a statistic plc-logic "
                     "publishes (scan_count, scan_time_{last,min,max,mean}_us, "
                     "late_{p50,p99,max}_us, overruns, skipped, fault_state, fault_cause, "
                     "faults, period_us, sched_priority, reloads, forced, "
                     "task_<task>_{scan_time_{last,max,mean}_us,runs,overruns})",
                     t->name, def->name);
            diag->line = t->line;
            return -1;
        }
        s->stat_tag[k] = t;
    }
    return 0;
}
