/* SPDX-License-Identifier: MIT */
/*
 * struct plc_scan: the scan cycle, its statistics, the watchdog and faults.
 *
 * Deadlines are absolute on the engine's clock (CLOCK_MONOTONIC by default):
 * deadline(n+1) = deadline(n) + period, so lateness never accumulates into
 * drift. A scan that ends past the next deadline is an overrun; the deadlines
 * it missed are skipped (counted) and the next scan runs on the grid, with
 * ctx->now_ns advanced by the whole time, as Beremiz does (OpenPLC runs the
 * missed cycles back to back instead).
 *
 * The watchdog thread and the scan thread share the region handles through
 * one atomic phase word: the watchdog may write safe outputs only by moving
 * the phase from IN_PROGRAM to WD_FAULTING, and the scan thread publishes
 * only by moving it from IN_PROGRAM back to IDLE. Whoever wins owns the
 * handles; the other stays off them.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

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

enum phase { IDLE, IN_PROGRAM, WD_FAULTING, WD_FAULTED };

/* The statistics the diagnostics region may hold, by tag name. */
enum diag_stat {
    ST_SCAN_COUNT, ST_SCAN_LAST, ST_SCAN_MIN, ST_SCAN_MAX, ST_SCAN_MEAN, ST_LATE_P50,
    ST_LATE_P99, ST_LATE_MAX, ST_OVERRUNS, ST_SKIPPED, ST_FAULT_STATE, ST_FAULT_CAUSE,
    ST_FAULTS, ST_PERIOD, ST_PRIORITY, ST_RELOADS, ST_COUNT
};
static const char *const stat_names[ST_COUNT] = {
    "scan_count", "scan_time_last_us", "scan_time_min_us", "scan_time_max_us",
    "scan_time_mean_us", "late_p50_us", "late_p99_us", "late_max_us", "overruns", "skipped",
    "fault_state", "fault_cause", "faults", "period_us", "sched_priority", "reloads",
};

struct plc_scan {
    const struct plc_layout *layout;
    struct plc_logic_def logic;
    const struct plc_scan_clock *clock;
    void *clock_user;
    void (*log)(void *user, int level, const char *msg);
    void *log_user;
    void (*on_cycle)(void *user);
    void *cycle_user;

    size_t n;                      /* regions */
    struct plc_region **reg;
    unsigned char **buf;           /* snapshot or working copy, one per region */
    struct plc_region_data **image; /* what ctx.image points at */
    bool *mine;                    /* written by the logic (published after the scan) */
    size_t outputs;                /* index of 'outputs', or n */
    size_t diag;                   /* index of the diagnostics region, or n */
    const struct plc_tag_def *stat_tag[ST_COUNT];
    unsigned char *safe_buf;       /* outputs at their safe values */
    unsigned char *last_pub;       /* outputs as last published (for safe = hold) */

    struct plc_loaded prog;
    void *pstate;                  /* the program's state */
    size_t state_size;
    bool first_scan;
    uint64_t prog_scans;

    uint64_t t0, deadline, last_scan_time;
    bool started;
    uint64_t period_ns, watchdog_ns;

    /* fault handling */
    enum plc_scan_state state;
    enum plc_fault_cause cause;
    char fault[256];
    uint64_t fault_at;             /* engine clock */
    double reset_seen;             /* reset_command when the fault began */

    /* statistics */
    uint64_t scans, cycles, overruns, skipped, faults, reloads;
    uint64_t scan_last, scan_min, scan_max, scan_sum;
    struct plc_hist late;
    int priority;
    uint64_t overrun_logged_at, overruns_logged;

    /* watchdog thread (real clock only) */
    bool wd_running;
    pthread_t wd;
    _Atomic int phase;
    _Atomic uint64_t scan_started;
    _Atomic bool wd_quit;

    /* the first write of a region of ours that failed (either thread): the
     * cycle then ends the run, since nobody can see what the logic does */
    _Atomic int publish_err;
    _Atomic size_t publish_region;
};

/* Write region @i of ours; a failure (the region was re-created) is kept for
 * plc_scan_step() to end the run with. */
static void publish(struct plc_scan *s, size_t i, const void *data)
{
    if (plc_region_write(s->reg[i], data) == 0)
        return;
    int expect = 0;
    if (atomic_compare_exchange_strong(&s->publish_err, &expect, errno))
        atomic_store(&s->publish_region, i);
}

static void logf_(struct plc_scan *s, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(struct plc_scan *s, int level, const char *fmt, ...)
{
    if (!s->log)
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    s->log(s->log_user, level, msg);
}

static uint64_t mono_now(void *user)
{
    (void)user;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int mono_sleep_until(void *user, uint64_t deadline)
{
    (void)user;
    struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u),
                          .tv_nsec = (long)(deadline % 1000000000u)};
    int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    if (r == 0)
        return 0;
    errno = r;
    return -1;
}

static const struct plc_scan_clock mono_clock = {.now = mono_now, .sleep_until = mono_sleep_until};

static uint64_t now(struct plc_scan *s)
{
    return s->clock->now(s->clock_user);
}

const char *plc_scan_state_name(enum plc_scan_state st)
{
    return st == PLC_SCAN_RUNNING ? "running" : st == PLC_SCAN_FAULTED ? "faulted" : "?";
}

const char *plc_fault_cause_name(enum plc_fault_cause c)
{
    static const char *const names[] = {"none", "watchdog", "program", "input"};
    return (unsigned)c < 4 ? names[c] : "?";
}

/* ---- statistics -------------------------------------------------------- */

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

static void publish_diagnostics(struct plc_scan *s, enum plc_scan_state state,
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
    publish(s, s->diag, s->buf[s->diag]);
}

/* ---- outputs and faults ------------------------------------------------ */

static uint64_t heartbeat_interval(const struct plc_scan *s)
{
    return s->period_ns < HEARTBEAT_MAX_NS ? s->period_ns : HEARTBEAT_MAX_NS;
}

static uint64_t max_silence(const struct plc_scan *s)
{
    uint64_t t = heartbeat_interval(s) + s->watchdog_ns + SILENCE_SLACK_NS;
    return t > SILENCE_MIN_NS ? t : SILENCE_MIN_NS;
}

/*
 * Publish the outputs at their safe values: safe = value tags set, safe =
 * hold tags as last published. The watchdog thread calls this while the
 * program may still be writing the working copy, so only last_pub and
 * safe_buf are touched here.
 */
static void write_safe_outputs(struct plc_scan *s)
{
    if (s->outputs == s->n)
        return;
    const struct plc_region_def *def = plc_region_get_def(s->reg[s->outputs]);
    memcpy(s->safe_buf, s->last_pub, def->data_size);
    for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(s->layout, i);
        if (t->safe_mode == PLC_SAFE_VALUE)
            plc_tag_encode(t, t->safe, s->safe_buf);
    }
    memcpy(s->last_pub, s->safe_buf, def->data_size);
    publish(s, s->outputs, s->safe_buf);
}

/* The working copy becomes the safe picture: a program that runs again starts
 * from what the field really sees. Scan thread only. */
static void reset_working_outputs(struct plc_scan *s)
{
    if (s->outputs != s->n)
        memcpy(s->buf[s->outputs], s->last_pub,
               plc_region_get_def(s->reg[s->outputs])->data_size);
}

static double reset_value(struct plc_scan *s)
{
    const struct plc_tag_def *t = s->logic.reset_command;
    if (!t)
        return 0;
    for (size_t i = 0; i < s->n; i++)
        if (plc_region_get_def(s->reg[i]) == t->region)
            return plc_tag_decode(t, s->buf[i]);
    return 0;
}

/* Record a fault the scan thread found (or took over from the watchdog). */
static void enter_fault(struct plc_scan *s, enum plc_fault_cause cause, bool outputs_done,
                        const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void enter_fault(struct plc_scan *s, enum plc_fault_cause cause, bool outputs_done,
                        const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->fault, sizeof(s->fault), fmt, ap);
    va_end(ap);
    s->state = PLC_SCAN_FAULTED;
    s->cause = cause;
    s->faults++;
    s->fault_at = now(s);
    s->reset_seen = reset_value(s);
    if (!outputs_done)
        write_safe_outputs(s);
    reset_working_outputs(s);
    if (s->logic.restart == PLC_RESTART_AUTO)
        logf_(s, PLC_LOG_ERR, "fault: %s; outputs safe; restarting in %" PRIu32 " ms", s->fault,
              s->logic.restart_delay_us / 1000u);
    else if (s->logic.reset_command)
        logf_(s, PLC_LOG_ERR, "fault: %s; outputs safe until '%s' changes", s->fault,
              s->logic.reset_command->name);
    else
        logf_(s, PLC_LOG_ERR, "fault: %s; outputs safe until reset", s->fault);
    publish_diagnostics(s, PLC_SCAN_FAULTED, cause);
}

static int call_init(struct plc_scan *s);

/* Leave the fault: a cold restart of the program (state cleared, init, first scan). */
static void leave_fault(struct plc_scan *s, const char *why)
{
    if (s->state_size)
        memset(s->pstate, 0, s->state_size);
    s->state = PLC_SCAN_RUNNING;
    s->cause = PLC_FAULT_NONE;
    s->fault[0] = '\0';
    logf_(s, PLC_LOG_NOTICE, "leaving fault (%s): program '%s' restarts", why,
          s->prog.desc->name ? s->prog.desc->name : "?");
    call_init(s);
}

int plc_scan_reset_fault(struct plc_scan *s)
{
    if (s->state != PLC_SCAN_FAULTED) {
        errno = EALREADY;
        return -1;
    }
    leave_fault(s, "reset");
    return 0;
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

static int call_init(struct plc_scan *s)
{
    s->first_scan = true;
    s->prog_scans = 0;
    if (!s->prog.desc->init)
        return 0;
    struct plc_ctx ctx;
    fill_ctx(s, &ctx, s->deadline - s->t0);
    int r = s->prog.desc->init(&ctx);
    if (r != 0) {
        enter_fault(s, PLC_FAULT_PROGRAM, false, "program '%s': init returned %d",
                    s->prog.desc->name, r);
        return -1;
    }
    return 0;
}

/* Point the engine at @p (state kept when name and size match, else new and zeroed). */
static int adopt_program(struct plc_scan *s, const struct plc_program *p)
{
    bool keep = s->prog.desc && s->state_size == p->state_size && p->name &&
                s->prog.desc->name && strcmp(s->prog.desc->name, p->name) == 0;
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

/* ---- watchdog thread ----------------------------------------------------- */

static void *watchdog_main(void *arg)
{
    struct plc_scan *s = arg;
    uint64_t poll = s->watchdog_ns / 4 > 100000u ? s->watchdog_ns / 4 : 100000u;
    while (!atomic_load_explicit(&s->wd_quit, memory_order_acquire)) {
        mono_sleep_until(NULL, mono_now(NULL) + poll);
        if (atomic_load_explicit(&s->phase, memory_order_acquire) != IN_PROGRAM)
            continue;
        uint64_t started = atomic_load_explicit(&s->scan_started, memory_order_relaxed);
        if (mono_now(NULL) - started <= s->watchdog_ns)
            continue;
        int expect = IN_PROGRAM;
        if (!atomic_compare_exchange_strong(&s->phase, &expect, WD_FAULTING))
            continue;
        /* The scan thread is inside the program and will not touch a handle
         * until the phase says WD_FAULTED. */
        write_safe_outputs(s);
        if (s->diag != s->n) {
            put_stat(s, ST_FAULT_STATE, 1);
            put_stat(s, ST_FAULT_CAUSE, PLC_FAULT_WATCHDOG);
            put_stat(s, ST_FAULTS, (double)(s->faults + 1));
            publish(s, s->diag, s->buf[s->diag]);
        }
        logf_(s, PLC_LOG_ERR,
              "watchdog: scan still running after %" PRIu64 " ms (watchdog %" PRIu32
              " ms): outputs safe",
              (mono_now(NULL) - started) / 1000000u, s->logic.watchdog_us / 1000u);
        atomic_store_explicit(&s->phase, WD_FAULTED, memory_order_release);
    }
    return NULL;
}

/* ---- real time ----------------------------------------------------------- */

static void apply_realtime(struct plc_scan *s)
{
    const struct plc_logic_def *g = &s->logic;
    if (g->lock_memory && mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
        logf_(s, PLC_LOG_WARNING,
              "lock_memory: mlockall failed (%s): running with pageable memory; give the "
              "service CAP_IPC_LOCK or LimitMEMLOCK=infinity",
              strerror(errno));
    if (g->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(g->cpu, &set);
        int r = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
        if (r != 0)
            logf_(s, PLC_LOG_WARNING, "cpu: cannot pin the scan thread to CPU %d (%s): running "
                  "unpinned", g->cpu, strerror(r));
    }
    if (g->priority > 0) {
        struct sched_param sp = {.sched_priority = g->priority};
        int r = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
        if (r != 0)
            logf_(s, PLC_LOG_WARNING,
                  "priority: SCHED_FIFO %d refused (%s): the scan runs SCHED_OTHER; give the "
                  "service CAP_SYS_NICE or LimitRTPRIO, and under systemd check RT group "
                  "scheduling (cpu.rt_runtime_us)",
                  g->priority, strerror(r));
    }
    int policy;
    struct sched_param sp;
    if (pthread_getschedparam(pthread_self(), &policy, &sp) == 0 && policy == SCHED_FIFO)
        s->priority = sp.sched_priority;
    else
        s->priority = 0;
    logf_(s, PLC_LOG_INFO, "scan thread: %s priority %d, period %" PRIu32 " us, watchdog %" PRIu32
          " us%s",
          s->priority ? "SCHED_FIFO" : "SCHED_OTHER", s->priority, g->period_us, g->watchdog_us,
          g->lock_memory ? ", memory locked" : "");
}

static int start_watchdog(struct plc_scan *s)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    if (s->priority > 0) {
        /* Above the scan thread, so a runaway scan on the same CPU cannot starve it. */
        struct sched_param sp = {.sched_priority = s->priority < 99 ? s->priority + 1 : 99};
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
        pthread_attr_setschedparam(&attr, &sp);
    }
    int r = pthread_create(&s->wd, &attr, watchdog_main, s);
    pthread_attr_destroy(&attr);
    if (r != 0) {
        errno = r;
        return -1;
    }
    s->wd_running = true;
    return 0;
}

/* ---- construction ------------------------------------------------------ */

static int map_diagnostics(struct plc_scan *s, const struct plc_region_def *def,
                           struct plc_diag *diag)
{
    for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(s->layout, i);
        size_t k = 0;
        while (k < ST_COUNT && strcmp(stat_names[k], t->name) != 0)
            k++;
        if (k == ST_COUNT) {
            plc_fail(diag, plc_layout_get_path(s->layout), EINVAL,
                     "tag '%s' in diagnostics region '%s' is not a statistic plc-logic "
                     "publishes (scan_count, scan_time_{last,min,max,mean}_us, "
                     "late_{p50,p99,max}_us, overruns, skipped, fault_state, fault_cause, "
                     "faults, period_us, sched_priority, reloads)",
                     t->name, def->name);
            diag->line = t->line;
            return -1;
        }
        s->stat_tag[k] = t;
    }
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
    s->clock = cfg->clock ? cfg->clock : &mono_clock;
    s->clock_user = cfg->clock_user;
    s->log = cfg->log;
    s->log_user = cfg->log_user;
    s->on_cycle = cfg->on_cycle;
    s->cycle_user = cfg->cycle_user;
    s->period_ns = (uint64_t)s->logic.period_us * 1000u;
    s->watchdog_ns = (uint64_t)s->logic.watchdog_us * 1000u;
    s->state = PLC_SCAN_RUNNING;
    s->scan_min = UINT64_MAX;
    atomic_init(&s->phase, IDLE);
    atomic_init(&s->scan_started, 0);
    atomic_init(&s->wd_quit, false);

    s->n = plc_layout_region_count(s->layout);
    s->outputs = s->diag = s->n;
    s->reg = calloc(s->n, sizeof(*s->reg));
    s->buf = calloc(s->n, sizeof(*s->buf));
    s->image = calloc(s->n, sizeof(*s->image));
    s->mine = calloc(s->n, sizeof(*s->mine));
    if (!s->reg || !s->buf || !s->image || !s->mine)
        goto fail;

    for (size_t i = 0; i < s->n; i++) {
        const struct plc_region_def *def = plc_layout_region_at(s->layout, i);
        s->mine[i] = strcmp(def->writer, "logic") == 0;
        s->reg[i] = plc_region_attach(s->layout, cfg->base_dir, def->name,
                                      s->mine[i] ? PLC_WRITER : PLC_READER, "logic", diag);
        if (!s->reg[i])
            goto fail;
        s->buf[i] = calloc(1, def->data_size);
        if (!s->buf[i])
            goto fail;
        s->image[i] = (struct plc_region_data *)s->buf[i];
        /* What the region holds now: snapshots start valid, and the logic's
         * own regions (acknowledgements, run hours) carry on from there. */
        if (plc_region_read(s->reg[i], s->buf[i]) < 0) {
            plc_fail(diag, def->name, errno, "region '%s': cannot read: %s", def->name,
                     plc_strerror(errno));
            goto fail;
        }
        if (def->gpio_dir == PLC_GPIO_OUTPUT)
            s->outputs = i;
        if (def == s->logic.diagnostics) {
            s->diag = i;
            if (map_diagnostics(s, def, diag) < 0)
                goto fail;
        }
    }
    if (s->outputs != s->n) {
        size_t size = plc_region_get_def(s->reg[s->outputs])->data_size;
        s->safe_buf = calloc(1, size);
        s->last_pub = malloc(size);
        if (!s->safe_buf || !s->last_pub)
            goto fail;
        memcpy(s->last_pub, s->buf[s->outputs], size);
        plc_region_set_max_silence(s->reg[s->outputs], (int64_t)max_silence(s));
        /* Safe until the program's first scan publishes. */
        write_safe_outputs(s);
        reset_working_outputs(s);
    }

    if (cfg->program_path) {
        if (plc_program_open(&s->prog, cfg->program_path, s->layout, diag) < 0)
            goto fail;
    } else if (cfg->program) {
        if (plc_program_check(cfg->program, s->layout, "program", diag) < 0)
            goto fail;
        s->prog.desc = cfg->program;
    } else {
        plc_fail(diag, NULL, EINVAL, "no program given");
        goto fail;
    }
    if (adopt_program(s, s->prog.desc) < 0)
        goto fail;

    apply_realtime(s);
    if (!cfg->clock && start_watchdog(s) < 0) {
        plc_fail(diag, NULL, errno, "cannot start the watchdog thread: %s", strerror(errno));
        goto fail;
    }
    s->t0 = now(s);
    s->deadline = s->t0;
    call_init(s);
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
    if (s->wd_running) {
        atomic_store_explicit(&s->wd_quit, true, memory_order_release);
        pthread_join(s->wd, NULL);
    }
    if (s->last_pub && s->prog.desc)
        write_safe_outputs(s); /* safe on stop, as at boot */
    for (size_t i = 0; s->reg && i < s->n; i++) {
        plc_region_detach(s->reg[i]);
        if (s->buf)
            free(s->buf[i]);
    }
    plc_program_close(&s->prog);
    free(s->pstate);
    free(s->safe_buf);
    free(s->last_pub);
    free(s->reg);
    free(s->buf);
    free(s->image);
    free(s->mine);
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
                enter_fault(s, PLC_FAULT_INPUT, false, "region '%s' cannot be read: %s",
                            plc_region_get_def(s->reg[i])->name, plc_strerror(err));
            return -1;
        }
    }
    return 0;
}

static void publish_mine(struct plc_scan *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->mine[i] && i != s->diag)
            publish(s, i, s->buf[i]);
    if (s->outputs != s->n)
        memcpy(s->last_pub, s->buf[s->outputs],
               plc_region_get_def(s->reg[s->outputs])->data_size);
}

static void run_program(struct plc_scan *s, uint64_t wake)
{
    struct plc_ctx ctx;
    uint64_t scan_time = s->deadline - s->t0;
    fill_ctx(s, &ctx, scan_time);

    atomic_store_explicit(&s->scan_started, wake, memory_order_relaxed);
    atomic_store_explicit(&s->phase, IN_PROGRAM, memory_order_release);
    int r = s->prog.desc->scan(&ctx);
    int expect = IN_PROGRAM;
    if (!atomic_compare_exchange_strong(&s->phase, &expect, IDLE)) {
        /* The watchdog thread faulted this scan: wait for it to finish writing. */
        while (atomic_load_explicit(&s->phase, memory_order_acquire) == WD_FAULTING)
            sched_yield();
        atomic_store_explicit(&s->phase, IDLE, memory_order_relaxed);
        enter_fault(s, PLC_FAULT_WATCHDOG, true,
                    "program '%s': scan ran %" PRIu64 " us, longer than the watchdog (%" PRIu32
                    " us)",
                    s->prog.desc->name, (now(s) - wake) / 1000u, s->logic.watchdog_us);
        return;
    }
    uint64_t ran = now(s) - wake;
    s->scans++;
    s->prog_scans++;
    s->first_scan = false;
    s->last_scan_time = scan_time;
    if (ran > s->watchdog_ns) {
        enter_fault(s, PLC_FAULT_WATCHDOG, false,
                    "program '%s': scan ran %" PRIu64 " us, longer than the watchdog (%" PRIu32
                    " us)",
                    s->prog.desc->name, ran / 1000u, s->logic.watchdog_us);
        return;
    }
    if (r != 0) {
        enter_fault(s, PLC_FAULT_PROGRAM, false, "program '%s': scan returned %d",
                    s->prog.desc->name, r);
        return;
    }
    publish_mine(s);
}

/*
 * A faulted cycle: whether to leave the fault. An input fault is the process
 * image's, not the program's: it ends by itself once every region reads again
 * (@readable), whatever fault_restart says, with the same cold restart, so
 * the machine does not start again on its own. Program and watchdog faults
 * end as fault_restart says.
 */
/* Sleep to the next deadline, beating the outputs' heartbeat on the way when
 * the period is longer than the heartbeat interval. */
static int sleep_beating(struct plc_scan *s)
{
    uint64_t beat = heartbeat_interval(s);
    if (s->outputs != s->n && beat < s->period_ns) {
        for (uint64_t t = now(s) + beat; t < s->deadline; t = now(s) + beat) {
            if (s->clock->sleep_until(s->clock_user, t) < 0)
                return -1;
            plc_region_heartbeat(s->reg[s->outputs]);
        }
    }
    return s->clock->sleep_until(s->clock_user, s->deadline);
}

static void fault_cycle(struct plc_scan *s, uint64_t wake, bool readable)
{
    if (s->cause == PLC_FAULT_INPUT) {
        if (readable)
            leave_fault(s, "every region reads again");
    } else if (s->logic.restart == PLC_RESTART_AUTO) {
        if (wake - s->fault_at >= (uint64_t)s->logic.restart_delay_us * 1000u)
            leave_fault(s, "auto restart");
    } else if (s->logic.reset_command && reset_value(s) != s->reset_seen) {
        leave_fault(s, s->logic.reset_command->name);
    }
    if (s->outputs != s->n && s->state == PLC_SCAN_FAULTED)
        plc_region_heartbeat(s->reg[s->outputs]);
}

int plc_scan_step(struct plc_scan *s)
{
    if (s->started && sleep_beating(s) < 0)
        return -1;
    s->started = true;
    uint64_t wake = now(s), deadline = s->deadline;
    if (wake < deadline)
        wake = deadline; /* a clock that woke early: count it as on time */
    plc_hist_add(&s->late, wake - deadline);
    s->cycles++;

    bool ok = take_snapshots(s) == 0;
    if (s->state == PLC_SCAN_FAULTED)
        fault_cycle(s, wake, ok);
    else if (ok)
        run_program(s, wake);

    uint64_t end = now(s);
    if (s->state == PLC_SCAN_RUNNING) {
        uint64_t took = end - wake;
        s->scan_last = took;
        if (took < s->scan_min)
            s->scan_min = took;
        if (took > s->scan_max)
            s->scan_max = took;
        s->scan_sum += took;
    }

    /* Next deadline on the grid; skip the ones already past. */
    s->deadline += s->period_ns;
    if (end > s->deadline) {
        uint64_t missed = (end - s->deadline) / s->period_ns + 1;
        s->overruns++;
        s->skipped += missed;
        s->deadline += missed * s->period_ns;
        if (end - s->overrun_logged_at >= OVERRUN_LOG_NS || !s->overrun_logged_at) {
            logf_(s, PLC_LOG_WARNING,
                  "overrun: woke %" PRIu64 " us late and ran %" PRIu64
                  " us, past the next deadline (period %" PRIu32 " us); %" PRIu64
                  " cycle(s) skipped; %" PRIu64 " overrun(s) in total",
                  (wake - deadline) / 1000u, (end - wake) / 1000u, s->logic.period_us, missed,
                  s->overruns);
            s->overrun_logged_at = end;
        }
    }
    publish_diagnostics(s, s->state, s->cause);
    int err = atomic_load(&s->publish_err);
    if (err) {
        logf_(s, PLC_LOG_ERR, "cannot publish region '%s': %s: stopping",
              plc_region_get_def(s->reg[atomic_load(&s->publish_region)])->name,
              plc_strerror(err));
        errno = err;
        return -1;
    }
    return 0;
}

int plc_scan_reload(struct plc_scan *s, const char *path, struct plc_diag *diag)
{
    struct plc_loaded next;
    if (!path)
        path = s->prog.path[0] ? s->prog.path : NULL;
    if (!path)
        return plc_fail(diag, NULL, EINVAL, "the running program was linked in: nothing to reload");
    if (plc_program_open(&next, path, s->layout, diag) < 0) {
        char msg[1200];
        plc_diag_format(diag, msg, sizeof(msg));
        logf_(s, PLC_LOG_ERR, "reload refused, program '%s' runs on: %s", s->prog.desc->name,
              msg);
        return -1;
    }
    /* Outputs safe across the swap; the new program's first scan publishes. */
    write_safe_outputs(s);
    reset_working_outputs(s);
    if (adopt_program(s, next.desc) < 0) {
        plc_program_close(&next);
        return plc_fail(diag, path, ENOMEM, "out of memory for the program state");
    }
    plc_program_close(&s->prog);
    s->prog = next;
    s->reloads++;
    logf_(s, PLC_LOG_NOTICE, "program '%s' loaded from %s", s->prog.desc->name, path);
    if (s->state == PLC_SCAN_FAULTED) {
        leave_fault(s, "reload");
        return 0;
    }
    call_init(s);
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
