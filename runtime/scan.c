/* SPDX-License-Identifier: MIT */
/*
 * struct plc_scan: the scan cycle, construction, the program's entry points
 * and reload. Faults are in scan-fault.c, the statistics and the diagnostics
 * region in scan-diag.c, the real clock, scheduling and the watchdog thread
 * in scan-rt.c; struct plc_scan itself in scan-internal.h.
 *
 * Deadlines are absolute on the engine's clock (CLOCK_MONOTONIC by default):
 * deadline(n+1) = deadline(n) + period, so lateness never accumulates into
 * drift. A scan that ends past the next deadline is an overrun; the deadlines
 * it missed are skipped (counted) and the next scan runs on the grid, with
 * ctx->now_ns advanced by the whole time, as Beremiz does (OpenPLC runs the
 * missed cycles back to back instead).
 *
 * The watchdog thread and the scan thread share the region handles through
 * the phase word scan-internal.h describes.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan-internal.h"

#define OVERRUN_LOG_NS 1000000000ull /* at most one overrun message a second */

/*
 * The outputs' liveness, which plc-io watches. Between scans they get a
 * heartbeat at least every HEARTBEAT_MAX_NS, so a stalled plc-logic is seen
 * within a fraction of a second whatever the period; during a scan nobody
 * beats, for at most the watchdog. So the longest healthy silence is one
 * heartbeat interval plus the watchdog, plus slack for a loaded machine, and
 * never under the floor plc-io has always kept. The engine says it in the
 * outputs region (plc_region_set_max_silence): one fact, one place.
 */
#define HEARTBEAT_MAX_NS (100 * 1000000ull)
#define SILENCE_SLACK_NS (250 * 1000000ull)
#define SILENCE_MIN_NS (500 * 1000000ull)

/* Write region @i of ours; a failure (the region was re-created) is kept for
 * plc_scan_step() to end the run with. */
void plc_scan_publish(struct plc_scan *s, size_t i, const void *data)
{
    if (plc_region_write(s->reg[i], data) == 0)
        return;
    int expect = 0;
    if (atomic_compare_exchange_strong(&s->publish_err, &expect, errno))
        atomic_store(&s->publish_region, i);
}



static uint64_t heartbeat_interval(const struct plc_scan *s)
{
    return s->period_ns < HEARTBEAT_MAX_NS ? s->period_ns : HEARTBEAT_MAX_NS;
}

static uint64_t max_silence(const struct plc_scan *s)
{
    uint64_t t = heartbeat_interval(s) + s->watchdog_ns + SILENCE_SLACK_NS;
    return t > SILENCE_MIN_NS ? t : SILENCE_MIN_NS;
}

/* ---- the program ------------------------------------------------------- */

static void fill_ctx(struct plc_scan *s, struct plc_ctx *ctx, uint64_t scan_time)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->abi = PLC_PROGRAM_ABI;
    ctx->region_count = (uint32_t)s->n;
    ctx->image = s->image;
    ctx->now_ns = scan_time;
    ctx->dt_ns = s->first_scan ? 0 : scan_time - s->last_scan_time;
    ctx->scan_count = s->prog_scans;
    ctx->first_scan = s->first_scan;
    ctx->state = s->pstate;
}

/* Fault the PLC for a program's init or scan that returned @p r, saying why
 * in the program's own words (ctx->fault) when it gave them. */
static void program_fault(struct plc_scan *s, const struct plc_ctx *ctx, const char *call, int r,
                          const char *task)
{
    char in[48] = "";
    if (task)
        snprintf(in, sizeof(in), "task '%.32s': ", task);
    if (ctx->fault)
        plc_scan_enter_fault(s, PLC_FAULT_PROGRAM, false, "program '%s': %s%.200s",
                             s->prog.desc->name, in, ctx->fault);
    else
        plc_scan_enter_fault(s, PLC_FAULT_PROGRAM, false, "program '%s': %s%s returned %d",
                             s->prog.desc->name, in, call, r);
}

/* The tasks of the program now loaded, statistics zeroed, all due on the
 * next tick. */
static void start_tasks(struct plc_scan *s)
{
    size_t n;
    if (plc_program_tasks(s->prog.desc, &s->tasks, &n, NULL) < 0)
        n = 0; /* checked at load: not reached */
    s->task_n = n;
    plc_tasks_order(s->tasks, n, s->task_order);
    s->tick_index = 0;
    memset(s->task_run, 0, sizeof(s->task_run));
    /* after an online change (no init) the first runs' dt is since the last scan */
    for (size_t i = 0; i < n; i++)
        s->task_run[i].last_time = s->last_scan_time;
    plc_scan_map_task_tags(s);
    if (!n)
        return;
    /* the schedule as it will run: the order within a tick */
    char list[512] = "";
    size_t len = 0;
    for (size_t k = 0; k < n && len < sizeof(list); k++) {
        const struct plc_task *t = &s->tasks[s->task_order[k]];
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%s'%s' every %" PRIu64
                                " us (priority %" PRIu32 ")", k ? ", " : "", t->name,
                                t->interval_ns / 1000u, t->priority);
    }
    plc_scan_log(s, PLC_LOG_INFO, "program '%s': %zu tasks, in this order: %s",
                 s->prog.desc->name ? s->prog.desc->name : "?", n, list);
}

/*
 * The tick for program @p with tasks: the configured period, when the layout
 * or --period sets one, which every interval must be a multiple of; else the
 * intervals' common divisor, within the period's bounds. 0 for no tasks.
 */
static int program_tick(struct plc_scan *s, const struct plc_program *p, const char *where,
                        uint64_t *tick, struct plc_diag *diag)
{
    const struct plc_task *t;
    size_t n;
    *tick = 0;
    if (plc_program_tasks(p, &t, &n, diag) < 0 || n == 0)
        return n == 0 ? 0 : -1;
    if (s->logic.period_set) {
        *tick = (uint64_t)s->period_cfg_us * 1000u;
        if (plc_tasks_check_tick(t, n, *tick, diag) < 0) {
            if (diag)
                snprintf(diag->file, sizeof(diag->file), "%s", where);
            return -1;
        }
        return 0;
    }
    *tick = plc_tasks_tick(t, n);
    if (*tick < PLC_LOGIC_PERIOD_MIN_US * 1000ull || *tick > PLC_LOGIC_PERIOD_MAX_US * 1000ull)
        return plc_fail(diag, where, EINVAL,
                        "program '%s': the tasks' common tick of %" PRIu64 " us is outside "
                        "%u us..%u us: give the tasks intervals with a larger common divisor, "
                        "or set a period",
                        p->name ? p->name : "?", *tick / 1000u, PLC_LOGIC_PERIOD_MIN_US,
                        PLC_LOGIC_PERIOD_MAX_US);
    return 0;
}

int plc_scan_call_init(struct plc_scan *s)
{
    s->first_scan = true;
    s->prog_scans = 0;
    s->tick_index = 0;
    for (size_t i = 0; i < s->task_n; i++) {
        s->task_run[i].next_tick = 0;
        s->task_run[i].scans = 0;
        s->task_run[i].first = true;
    }
    if (!s->prog.desc->init)
        return 0;
    struct plc_ctx ctx;
    fill_ctx(s, &ctx, s->deadline - s->t0);
    int r = s->prog.desc->init(&ctx);
    if (r != 0) {
        program_fault(s, &ctx, "init", r, NULL);
        return -1;
    }
    return 0;
}

/* Point the engine at @p (state kept when name and size match, else new and
 * zeroed). A program with a table of variables (@meta) never keeps another's
 * state whole: online_change() carries it variable by variable. */
static int adopt_program(struct plc_scan *s, const struct plc_program *p,
                         const struct plc_st_meta *meta)
{
    bool keep = s->prog.desc && s->state_size == p->state_size && p->name &&
                s->prog.desc->name && strcmp(s->prog.desc->name, p->name) == 0 &&
                !s->prog.meta && !meta;
    if (!keep) {
        void *st = p->state_size ? calloc(1, p->state_size) : NULL;
        if (p->state_size && !st)
            return -1;
        free(s->pstate);
        s->pstate = st;
        s->state_size = p->state_size;
    }
    return 0;
}

static const char *prog_name(const struct plc_loaded *p)
{
    return p->desc && p->desc->name ? p->desc->name : "?";
}

/* A table of another ABI is not read: say what is lost. */
static void warn_meta_abi(struct plc_scan *s)
{
    if (s->prog.meta_abi && !s->prog.meta)
        plc_scan_log(s, PLC_LOG_WARNING,
                     "program '%s': its table of variables is of ABI %" PRIu32 ", not %u: no "
                     "online change and no task interval; rebuild it with this release's plc-st",
                     prog_name(&s->prog), s->prog.meta_abi, PLC_ST_META_ABI);
}

/*
 * The period in force for the program loaded: the configured one ([logic]
 * period or --period), else its task's INTERVAL when it has one. At first
 * load a watchdog not configured follows it (10 periods); later it stays,
 * since the watchdog thread reads it unsynchronised. Scan thread only.
 */
static void apply_period(struct plc_scan *s, bool first)
{
    bool from_task, clamped;
    const struct plc_st_meta *m = s->prog.meta;
    uint32_t us = plc_program_period_us(s->period_cfg_us, s->logic.period_set, m, &from_task,
                                        &clamped);
    if (s->task_n) {
        /* checked at load (program_tick()) */
        from_task = clamped = false;
        if (!s->logic.period_set) {
            us = (uint32_t)(plc_tasks_tick(s->tasks, s->task_n) / 1000u);
            plc_scan_log(s, PLC_LOG_INFO,
                         "period %" PRIu32 " us: the common tick of the %zu tasks of program "
                         "'%s' (no period in [logic] or --period)",
                         us, s->task_n, prog_name(&s->prog));
        }
        m = NULL;
    }
    if (from_task)
        plc_scan_log(s, clamped ? PLC_LOG_WARNING : PLC_LOG_INFO,
                     "period %" PRIu32 " us: the task interval of program '%s'%s (no period "
                     "in [logic] or --period)",
                     us, prog_name(&s->prog),
                     clamped ? ", brought within 100us..10s" : "");
    else if (m && m->interval_ns)
        plc_scan_log(s, PLC_LOG_INFO,
                     "period %" PRIu32 " us as configured, not the task interval of program "
                     "'%s' (%" PRIu64 " us)",
                     us, prog_name(&s->prog), m->interval_ns / 1000u);
    if (first && !s->logic.watchdog_set) {
        s->logic.watchdog_us = plc_logic_default_watchdog_us(us);
        s->watchdog_ns = (uint64_t)s->logic.watchdog_us * 1000u;
    }
    s->logic.period_us = us;
    s->period_ns = (uint64_t)us * 1000u;
    if (s->outputs != s->n)
        plc_region_set_max_silence(s->reg[s->outputs], (int64_t)max_silence(s));
}

/* ---- construction ------------------------------------------------------ */

/* Attach every region of the layout, the logic's own as writer, each with a
 * working copy holding what the region holds now. */
static int attach_regions(struct plc_scan *s, const char *base_dir, struct plc_diag *diag)
{
    s->n = plc_layout_region_count(s->layout);
    s->outputs = s->diag = s->n;
    s->reg = calloc(s->n, sizeof(*s->reg));
    s->buf = calloc(s->n, sizeof(*s->buf));
    s->image = calloc(s->n, sizeof(*s->image));
    s->mine = calloc(s->n, sizeof(*s->mine));
    if (!s->reg || !s->buf || !s->image || !s->mine)
        return -1;

    for (size_t i = 0; i < s->n; i++) {
        const struct plc_region_def *def = plc_layout_region_at(s->layout, i);
        s->mine[i] = strcmp(def->writer, "logic") == 0;
        s->reg[i] = plc_region_attach(s->layout, base_dir, def->name,
                                      s->mine[i] ? PLC_WRITER : PLC_READER, "logic", diag);
        if (!s->reg[i])
            return -1;
        s->buf[i] = calloc(1, def->data_size);
        if (!s->buf[i])
            return -1;
        s->image[i] = (struct plc_region_data *)s->buf[i];
        /* What the region holds now: snapshots start valid, and the logic's
         * own regions (acknowledgements, run hours) carry on from there. */
        if (plc_region_read(s->reg[i], s->buf[i]) < 0)
            return plc_fail(diag, def->name, errno, "region '%s': cannot read: %s", def->name,
                            plc_strerror(errno));
        if (def->gpio_dir == PLC_GPIO_OUTPUT)
            s->outputs = i;
        if (def == s->logic.diagnostics) {
            s->diag = i;
            if (plc_scan_map_diagnostics(s, def, diag) < 0)
                return -1;
        }
    }
    return 0;
}

/* The outputs' safe and last published pictures, and the silence they may
 * keep; they are safe until the program's first scan publishes. */
static int prepare_outputs(struct plc_scan *s)
{
    if (s->outputs == s->n)
        return 0;
    size_t size = plc_region_get_def(s->reg[s->outputs])->data_size;
    s->safe_buf = calloc(1, size);
    s->last_pub = malloc(size);
    if (!s->safe_buf || !s->last_pub)
        return -1;
    memcpy(s->last_pub, s->buf[s->outputs], size);
    plc_region_set_max_silence(s->reg[s->outputs], (int64_t)max_silence(s));
    /* Safe until the program's first scan publishes. */
    s->outputs_safe = true;
    plc_scan_write_safe_outputs(s);
    plc_scan_reset_working_outputs(s);
    return 0;
}

/* The program of the config: loaded from its path, or linked in and checked. */
static int load_program(struct plc_scan *s, const struct plc_scan_config *cfg,
                        struct plc_diag *diag)
{
    if (cfg->program_path) {
        if (plc_program_open(&s->prog, cfg->program_path, s->layout, diag) < 0)
            return -1;
    } else if (cfg->program) {
        if (plc_program_check(cfg->program, s->layout, "program", diag) < 0)
            return -1;
        s->prog.desc = cfg->program;
    } else {
        return plc_fail(diag, NULL, EINVAL, "no program given");
    }
    uint64_t tick;
    if (program_tick(s, s->prog.desc, s->prog.path[0] ? s->prog.path : "program", &tick, diag) < 0)
        return -1;
    if (adopt_program(s, s->prog.desc, s->prog.meta) < 0)
        return -1;
    warn_meta_abi(s);
    start_tasks(s);
    apply_period(s, true);
    return 0;
}

struct plc_scan *plc_scan_new(const struct plc_scan_config *cfg, struct plc_diag *diag)
{
    struct plc_scan *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    plc_diag_clear(diag);
    s->layout = cfg->layout;
    s->logic = cfg->logic ? *cfg->logic : *plc_layout_get_logic(cfg->layout);
    s->clock = cfg->clock ? cfg->clock : &plc_scan_mono_clock;
    s->clock_user = cfg->clock_user;
    s->log = cfg->log;
    s->log_user = cfg->log_user;
    s->on_cycle = cfg->on_cycle;
    s->cycle_user = cfg->cycle_user;
    s->events = cfg->events;
    s->period_ns = (uint64_t)s->logic.period_us * 1000u;
    s->period_cfg_us = s->logic.period_us;
    s->watchdog_ns = (uint64_t)s->logic.watchdog_us * 1000u;
    s->state = PLC_SCAN_RUNNING;
    s->scan_min = UINT64_MAX;
    s->qos_fd = -1;
    atomic_init(&s->phase, IDLE);
    atomic_init(&s->scan_started, 0);
    atomic_init(&s->wd_quit, false);

    if (attach_regions(s, cfg->base_dir, diag) < 0 || plc_scan_alarms_init(s, diag) < 0 ||
        prepare_outputs(s) < 0 || load_program(s, cfg, diag) < 0)
        goto fail;
    plc_scan_event(s, PLC_EVENT_PROGRAM_LOAD, PLC_LOG_NOTICE, s->prog.desc->name, 0, 0,
                   s->prog.path[0] ? s->prog.path : "linked in");
    plc_scan_force_open(s, cfg->base_dir);
    plc_scan_apply_realtime(s);
    if (!cfg->clock && plc_scan_start_watchdog(s) < 0) {
        plc_fail(diag, NULL, errno, "cannot start the watchdog thread: %s", strerror(errno));
        goto fail;
    }
    s->t0 = plc_scan_now(s);
    s->deadline = s->t0;
    plc_scan_call_init(s);
    return s;
fail: {
    int err = errno;
    plc_scan_free(s);
    errno = err ? err : ENOMEM;
    return NULL;
}
}

void plc_scan_free(struct plc_scan *s)
{
    if (!s)
        return;
    plc_scan_stop_watchdog(s);
    plc_scan_release_cpu_latency(s);
    if (s->last_pub && s->prog.desc)
        plc_scan_write_safe_outputs(s); /* safe on stop, as at boot */
    for (size_t i = 0; s->reg && i < s->n; i++) {
        plc_region_detach(s->reg[i]);
        if (s->buf)
            free(s->buf[i]);
    }
    plc_scan_alarms_free(s);
    plc_program_close(&s->prog);
    plc_scan_force_close(s);
    free(s->pstate);
    free(s->safe_buf);
    free(s->last_pub);
    free(s->reg);
    free(s->buf);
    free(s->image);
    free(s->mine);
    free(s->task_tags);
    free(s);
}

/* ---- the cycle ----------------------------------------------------------- */

static int take_snapshots(struct plc_scan *s)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->mine[i])
            continue;
        if (plc_region_read(s->reg[i], s->buf[i]) < 0) {
            int err = errno;
            if (s->state != PLC_SCAN_FAULTED)
                plc_scan_enter_fault(s, PLC_FAULT_INPUT, false, "region '%s' cannot be read: %s",
                                     plc_region_get_def(s->reg[i])->name, plc_strerror(err));
            return -1;
        }
    }
    return 0;
}

static void publish_mine(struct plc_scan *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->mine[i] && i != s->diag && i != s->alarm_region)
            plc_scan_publish(s, i, i == s->outputs ? plc_scan_force_outputs(s) : s->buf[i]);
    if (s->outputs == s->n)
        return;
    const struct plc_region_def *def = plc_region_get_def(s->reg[s->outputs]);
    memcpy(s->last_pub, s->buf[s->outputs], def->data_size);
    if (s->outputs_safe) {
        s->outputs_safe = false;
        plc_scan_event(s, PLC_EVENT_OUTPUTS_FOLLOWING, PLC_LOG_NOTICE, def->name, 0, 1,
                       s->prog.desc->name);
    }
}

/*
 * The tasks due on this tick, in order, each timed. One that returns nonzero
 * ends the tick (*@p task says which). A task overruns when its run ends
 * after its next release, the deadline of the tick it is due on next.
 */
static int run_tasks(struct plc_scan *s, struct plc_ctx *ctx, uint64_t scan_time,
                     const char **task)
{
    for (size_t k = 0; k < s->task_n; k++) {
        size_t i = s->task_order[k];
        const struct plc_task *t = &s->tasks[i];
        struct plc_task_run *r = &s->task_run[i];
        if (s->tick_index < r->next_tick)
            continue;
        fill_ctx(s, ctx, scan_time);
        ctx->dt_ns = r->first ? 0 : scan_time - r->last_time;
        ctx->scan_count = r->scans;
        ctx->first_scan = r->first;
        uint64_t start = plc_scan_now(s);
        int rc = t->scan(ctx);
        uint64_t end = plc_scan_now(s), took = end - start;
        uint64_t every = t->interval_ns / s->period_ns;
        if (every == 0)
            every = 1;
        r->next_tick = (s->tick_index / every + 1) * every;
        r->last_time = scan_time;
        r->first = false;
        r->scans++;
        r->runs++;
        r->last = took;
        r->sum += took;
        if (took > r->max)
            r->max = took;
        if (end > s->deadline + (r->next_tick - s->tick_index) * s->period_ns)
            r->overruns++;
        if (rc != 0) {
            *task = t->name;
            return rc;
        }
    }
    return 0;
}

static void run_program(struct plc_scan *s, uint64_t wake)
{
    struct plc_ctx ctx;
    uint64_t scan_time = s->deadline - s->t0;
    const char *task = NULL;
    fill_ctx(s, &ctx, scan_time);

    atomic_store_explicit(&s->scan_started, wake, memory_order_relaxed);
    atomic_store_explicit(&s->phase, IN_PROGRAM, memory_order_release);
    int r = s->task_n ? run_tasks(s, &ctx, scan_time, &task) : s->prog.desc->scan(&ctx);
    int expect = IN_PROGRAM;
    if (!atomic_compare_exchange_strong(&s->phase, &expect, IDLE)) {
        /* The watchdog thread faulted this scan: wait for it to finish writing. */
        while (atomic_load_explicit(&s->phase, memory_order_acquire) == WD_FAULTING)
            sched_yield();
        atomic_store_explicit(&s->phase, IDLE, memory_order_relaxed);
        plc_scan_enter_fault(s, PLC_FAULT_WATCHDOG, true,
                             "program '%s': scan ran %" PRIu64
                             " us, longer than the watchdog (%" PRIu32 " us)",
                             s->prog.desc->name, (plc_scan_now(s) - wake) / 1000u,
                             s->logic.watchdog_us);
        return;
    }
    uint64_t ran = plc_scan_now(s) - wake;
    s->scans++;
    s->prog_scans++;
    s->first_scan = false;
    s->last_scan_time = scan_time;
    if (ran > s->watchdog_ns) {
        plc_scan_enter_fault(s, PLC_FAULT_WATCHDOG, false,
                             "program '%s': scan ran %" PRIu64
                             " us, longer than the watchdog (%" PRIu32 " us)",
                             s->prog.desc->name, ran / 1000u, s->logic.watchdog_us);
        return;
    }
    if (r != 0) {
        program_fault(s, &ctx, "scan", r, task);
        return;
    }
    publish_mine(s);
}

/* Sleep to the next deadline, beating the outputs' heartbeat on the way when
 * the period is longer than the heartbeat interval. */
static int sleep_beating(struct plc_scan *s)
{
    uint64_t beat = heartbeat_interval(s);
    if (s->outputs != s->n && beat < s->period_ns) {
        for (uint64_t t = plc_scan_now(s) + beat; t < s->deadline; t = plc_scan_now(s) + beat) {
            if (s->clock->sleep_until(s->clock_user, t) < 0)
                return -1;
            plc_region_heartbeat(s->reg[s->outputs]);
        }
    }
    return s->clock->sleep_until(s->clock_user, s->deadline);
}

static void count_scan_time(struct plc_scan *s, uint64_t took)
{
    s->scan_last = took;
    if (took < s->scan_min)
        s->scan_min = took;
    if (took > s->scan_max)
        s->scan_max = took;
    s->scan_sum += took;
}

/* Next deadline on the grid; skip the ones already past. */
static void next_deadline(struct plc_scan *s, uint64_t deadline, uint64_t wake, uint64_t end)
{
    s->deadline += s->period_ns;
    s->tick_index++;
    if (end > s->deadline) {
        uint64_t missed = (end - s->deadline) / s->period_ns + 1;
        s->tick_index += missed;
        s->overruns++;
        s->skipped += missed;
        s->deadline += missed * s->period_ns;
        if (end - s->overrun_logged_at >= OVERRUN_LOG_NS || !s->overrun_logged_at) {
            plc_scan_log(s, PLC_LOG_WARNING,
                         "overrun: woke %" PRIu64 " us late and ran %" PRIu64
                         " us, past the next deadline (period %" PRIu32 " us); %" PRIu64
                         " cycle(s) skipped; %" PRIu64 " overrun(s) in total",
                         (wake - deadline) / 1000u, (end - wake) / 1000u, s->logic.period_us,
                         missed, s->overruns);
            s->overrun_logged_at = end;
        }
    }
}

int plc_scan_step(struct plc_scan *s)
{
    if (s->started && sleep_beating(s) < 0)
        return -1;
    s->started = true;
    uint64_t wake = plc_scan_now(s), deadline = s->deadline;
    if (wake < deadline)
        wake = deadline; /* a clock that woke early: count it as on time */
    plc_hist_add(&s->late, wake - deadline);
    s->cycles++;
    s->cycle_deadline = deadline;
    s->cycle_wake = wake;

    bool ok = take_snapshots(s) == 0;
    if (ok)
        plc_scan_alarms_cycle(s);
    if (s->state == PLC_SCAN_FAULTED)
        plc_scan_fault_cycle(s, wake, ok);
    else if (ok)
        run_program(s, wake);

    uint64_t end = plc_scan_now(s);
    if (s->state == PLC_SCAN_RUNNING)
        count_scan_time(s, end - wake);
    next_deadline(s, deadline, wake, end);
    plc_scan_publish_diagnostics(s, s->state, s->cause);
    int err = atomic_load(&s->publish_err);
    if (err) {
        plc_scan_log(s, PLC_LOG_ERR, "cannot publish region '%s': %s: stopping",
                     plc_region_get_def(s->reg[atomic_load(&s->publish_region)])->name,
                     plc_strerror(err));
        errno = err;
        return -1;
    }
    return 0;
}

/*
 * Online change: both programs export a table of variables and the old one
 * runs. The new program gets a state of its own, zeroed, set by its init to
 * its initial values; then every variable the two share by name and type is
 * copied over from the old state, while the old object is still mapped (its
 * table lives in it). Its init ran already, so the scans simply go on: no
 * first scan, no safe outputs in between (the swap is between two scans, and
 * the new program's first scan publishes at the deadline the old one's
 * would have). An init that fails refuses the reload: the old program runs on.
 */
static int online_change(struct plc_scan *s, struct plc_loaded *next, const char *path,
                         struct plc_diag *diag)
{
    size_t size = next->desc->state_size;
    void *st = size ? calloc(1, size) : NULL;
    if (size && !st) {
        plc_program_close(next);
        return plc_fail(diag, path, ENOMEM, "out of memory for the program state");
    }
    if (next->desc->init) {
        struct plc_ctx ctx;
        fill_ctx(s, &ctx, s->deadline - s->t0);
        ctx.state = st;
        ctx.first_scan = true;
        int r = next->desc->init(&ctx);
        if (r != 0) {
            char why[240];
            if (ctx.fault)
                snprintf(why, sizeof(why), "%.200s", ctx.fault);
            else
                snprintf(why, sizeof(why), "init returned %d", r);
            plc_scan_log(s, PLC_LOG_ERR, "reload refused, program '%s' runs on: %s: program "
                         "'%s': %s", prog_name(&s->prog), path, prog_name(next), why);
            plc_fail(diag, path, EINVAL, "program '%s': %s", prog_name(next), why);
            free(st);
            plc_program_close(next); /* the name above lived in it */
            errno = EINVAL;
            return -1;
        }
    }
    struct plc_carry c;
    if (plc_program_carry(s->prog.meta, s->pstate, next->meta, st, &c) < 0) {
        free(st);
        plc_program_close(next);
        return plc_fail(diag, path, ENOMEM, "out of memory for the online change");
    }
    free(s->pstate);
    s->pstate = st;
    s->state_size = size;
    plc_program_close(&s->prog);
    s->prog = *next;
    s->reloads++;
    plc_scan_log(s, PLC_LOG_NOTICE,
                 "program '%s' loaded from %s: online change, %zu variable(s) kept, %zu new "
                 "or changed (initial values), %zu dropped",
                 prog_name(&s->prog), path, c.kept, c.fresh, c.dropped);
    /* The event's text is short: the counts, not the path. */
    char what[64];
    snprintf(what, sizeof(what), "online change: %zu kept, %zu new", c.kept, c.fresh);
    plc_scan_event(s, PLC_EVENT_PROGRAM_RELOAD, PLC_LOG_NOTICE, s->prog.desc->name, 0, 0, what);
    start_tasks(s);
    apply_period(s, false);
    return 0;
}

int plc_scan_reload(struct plc_scan *s, const char *path, struct plc_diag *diag)
{
    struct plc_loaded next;
    if (!path)
        path = s->prog.path[0] ? s->prog.path : NULL;
    if (!path)
        return plc_fail(diag, NULL, EINVAL, "the running program was linked in: nothing to reload");
    uint64_t tick;
    bool opened = plc_program_open(&next, path, s->layout, diag) == 0;
    if (!opened || program_tick(s, next.desc, path, &tick, diag) < 0) {
        int err = errno;
        if (opened)
            plc_program_close(&next);
        errno = err;
        char msg[1200];
        plc_diag_format(diag, msg, sizeof(msg));
        plc_scan_log(s, PLC_LOG_ERR, "reload refused, program '%s' runs on: %s", s->prog.desc->name,
                     msg);
        return -1;
    }
    /* A faulted program restarts cold whatever it is (plc_scan_leave_fault()). */
    if (s->prog.meta && next.meta && s->state == PLC_SCAN_RUNNING)
        return online_change(s, &next, path, diag);
    /* Outputs safe across the swap; the new program's first scan publishes. */
    plc_scan_write_safe_outputs(s);
    plc_scan_reset_working_outputs(s);
    if (adopt_program(s, next.desc, next.meta) < 0) {
        plc_program_close(&next);
        return plc_fail(diag, path, ENOMEM, "out of memory for the program state");
    }
    plc_program_close(&s->prog);
    s->prog = next;
    s->reloads++;
    plc_scan_log(s, PLC_LOG_NOTICE, "program '%s' loaded from %s", s->prog.desc->name, path);
    plc_scan_event(s, PLC_EVENT_PROGRAM_RELOAD, PLC_LOG_NOTICE, s->prog.desc->name, 0, 0, path);
    warn_meta_abi(s);
    start_tasks(s);
    apply_period(s, false);
    if (s->state == PLC_SCAN_FAULTED) {
        plc_scan_leave_fault(s, "reload");
        return 0;
    }
    plc_scan_call_init(s);
    return 0;
}

int plc_scan_run(struct plc_scan *s, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
    while (!stop || !*stop) {
        if (reload && *reload) {
            *reload = 0;
            struct plc_diag d;
            plc_scan_reload(s, NULL, &d); /* logged either way */
        }
        if (plc_scan_step(s) < 0 && errno != EINTR)
            return -1;
        if (s->on_cycle)
            s->on_cycle(s->cycle_user);
    }
    return 0;
}
