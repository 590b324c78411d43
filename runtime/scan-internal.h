/* SPDX-License-Identifier: MIT */
/* Shared between the files of the scan engine; not installed. */
#ifndef PLC_SCAN_INTERNAL_H
#define PLC_SCAN_INTERNAL_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>

#include "internal.h"
#include "plc-alarm.h"
#include "plc-force.h"
#include "plc-scan.h"
#include "plc-st.h"
#include "plc-task.h"

/*
 * Lateness histogram (hist.c): 1 us buckets below 2 ms, 100 us buckets to
 * 102 ms, one bucket beyond. Fixed size, no allocation: safe in the scan loop.
 */
#define PLC_HIST_FINE_US 2000u
#define PLC_HIST_COARSE_US 100u
#define PLC_HIST_COARSE_N 1000u
#define PLC_HIST_N (PLC_HIST_FINE_US + PLC_HIST_COARSE_N + 1u)

struct plc_hist {
    uint64_t total;
    uint64_t max; /* ns, exact */
    uint32_t count[PLC_HIST_N];
};

void plc_hist_add(struct plc_hist *h, uint64_t ns);
/* The upper edge of the bucket holding the @p quantile (0..1), capped at the
 * largest value seen; 0 when empty. */
uint64_t plc_hist_quantile(const struct plc_hist *h, double p);

/* A program in use: a loaded shared object or a descriptor linked in (dl NULL). */
struct plc_loaded {
    void *dl;
    int fd; /* the memfd it was loaded from, while dl is set */
    const struct plc_program *desc;
    /* The table of a program built by plc-st (plc-st.h), checked against its
     * state; NULL for a C program, or one whose table is of another ABI
     * (meta_abi says which: 0 when there is none). */
    const struct plc_st_meta *meta;
    uint32_t meta_abi;
    char path[PATH_MAX];
};

/* Check ABI and layout; -1 with errno (EINVAL, PLC_ELAYOUT) and diag naming @where. */
int plc_program_check(const struct plc_program *p, const struct plc_layout *l, const char *where,
                      struct plc_diag *diag);
/* Load and check the program at @path. */
int plc_program_open(struct plc_loaded *out, const char *path, const struct plc_layout *l,
                     struct plc_diag *diag);
void plc_program_close(struct plc_loaded *p);
/* The scan period for a program with table @m (NULL: none) when [logic]
 * asks for @configured_us, given or not (@configured_set): what is
 * configured, unless it was not and the program's task has an interval,
 * which is then taken within PLC_LOGIC_PERIOD_MIN_US..MAX_US. *from_task says
 * which; *clamped whether the interval had to be brought into bounds. */
uint32_t plc_program_period_us(uint32_t configured_us, bool configured_set,
                               const struct plc_st_meta *m, bool *from_task, bool *clamped);

/* program-carry.c: online change */

/* Check table @m against a state of @state_size bytes: every variable named
 * and typed, every one in the state inside it. -1 with @why. */
int plc_program_meta_check(const struct plc_st_meta *m, size_t state_size, char *why,
                           size_t size);
/* What plc_program_carry() did, counted over the variables in the state
 * (constants and process-image ones are never carried). */
struct plc_carry {
    size_t kept;    /* carried from the old state */
    size_t fresh;   /* of the new program, kept at its initial values */
    size_t dropped; /* of the old program, with no match in the new one */
};
/* Copy into @to_state every variable of @to that @from has by the same
 * program and path (ASCII case ignored) with the same kind, size and type
 * name; enums by value name. Both tables checked (plc_program_meta_check()).
 * -1 with errno ENOMEM. */
int plc_program_carry(const struct plc_st_meta *from, const void *from_state,
                      const struct plc_st_meta *to, void *to_state, struct plc_carry *out);

/* ---- the engine: struct plc_scan and what its files share -------------- */

/*
 * The watchdog thread and the scan thread share the region handles through
 * one atomic phase word: the watchdog may write safe outputs only by moving
 * the phase from IN_PROGRAM to WD_FAULTING, and the scan thread publishes
 * only by moving it from IN_PROGRAM back to IDLE. Whoever wins owns the
 * handles; the other stays off them.
 */
enum phase { IDLE, IN_PROGRAM, WD_FAULTING, WD_FAULTED };

/* The statistics the diagnostics region may hold, by tag name. */
enum diag_stat {
    ST_SCAN_COUNT, ST_SCAN_LAST, ST_SCAN_MIN, ST_SCAN_MAX, ST_SCAN_MEAN, ST_LATE_P50,
    ST_LATE_P99, ST_LATE_MAX, ST_OVERRUNS, ST_SKIPPED, ST_FAULT_STATE, ST_FAULT_CAUSE,
    ST_FAULTS, ST_PERIOD, ST_PRIORITY, ST_RELOADS, ST_FORCED, ST_COUNT
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
    struct plc_event_ring *events; /* the logic's ring, or NULL */
    struct plc_force_table *forces; /* the forcing table, or NULL (scan-force.c) */
    unsigned char *forced_buf;      /* the outputs as published, forces applied */

    size_t n;                      /* regions */
    struct plc_region **reg;
    unsigned char **buf;           /* snapshot or working copy, one per region */
    struct plc_region_data **image; /* what ctx.image points at */
    bool *mine;                    /* written by the logic (published after the scan) */
    size_t outputs;                /* index of 'outputs', or n */
    size_t diag;                   /* index of the diagnostics region, or n */
    const struct plc_tag_def *stat_tag[ST_COUNT];
    size_t alarm_region;           /* index of the alarm region, or n */
    const struct plc_region_def *alarm_def;
    struct plc_alarm_set *alarms;  /* NULL without an alarm region */
    double alarm_ack_done;         /* the alarm_ack request last acted on */
    struct plc_scan_shelved *shelved; /* per alarm, what the table shelves (scan-shelve.c) */
    size_t shelved_live;           /* alarms shelved from the table right now */
    uint64_t shelve_polls;         /* table changes seen, marks entries still there */
    struct plc_shelving shelf[PLC_SHELVE_CAPACITY]; /* the table's shelvings, last read */
    unsigned char *safe_buf;       /* outputs at their safe values */
    unsigned char *last_pub;       /* outputs as last published (for safe = hold) */
    bool outputs_safe;             /* safe since the program last published them */

    struct plc_loaded prog;
    void *pstate;                  /* the program's state */
    size_t state_size;
    bool first_scan;
    uint64_t prog_scans;

    /* the program's cyclic tasks (plc-task.h); task_n 0: it runs desc->scan */
    const struct plc_task *tasks;
    size_t task_n;
    size_t task_order[PLC_TASK_MAX];
    uint64_t tick_index;           /* ticks since init, skipped ones included */
    struct plc_task_run {
        uint64_t next_tick;        /* the tick it is due on next */
        uint64_t last_time;        /* scan time of its last run */
        uint64_t scans;            /* runs since init (its ctx->scan_count) */
        bool first;                /* its next run is its first since init */
        uint64_t runs, overruns, last, max, sum; /* statistics, since load */
    } task_run[PLC_TASK_MAX];
    /* diagnostics tags task_<name>_<stat>, matched to a task at each load */
    struct plc_task_tag {
        const struct plc_tag_def *tag;
        char task[64];
        int stat;                  /* enum task_stat */
        int index;                 /* into tasks, or -1: no such task */
    } *task_tags;
    size_t task_tag_n;

    uint64_t t0, deadline, last_scan_time;
    uint64_t cycle_deadline, cycle_wake; /* of the cycle under way or last */
    bool started;
    uint64_t period_ns, watchdog_ns;
    uint32_t period_cfg_us;        /* [logic]'s (or the flag's) before a task interval */

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
    int qos_fd;                    /* the cpu_dma_latency request held, or -1 */
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

static inline uint64_t plc_scan_now(struct plc_scan *s)
{
    return s->clock->now(s->clock_user);
}

/* scan.c: the cycle, construction, the program's entry points */

/* Write region @i of ours; a failure (the region was re-created) is kept for
 * plc_scan_step() to end the run with. */
void plc_scan_publish(struct plc_scan *s, size_t i, const void *data);
/* Through the configured log callback, if any. */
#define plc_scan_log(s, level, ...) plc_logf((s)->log, (s)->log_user, (level), __VA_ARGS__)
/* The program's init (first scan next); a failure enters a program fault. */
int plc_scan_call_init(struct plc_scan *s);

/* scan-fault.c: safe outputs, entering and leaving faults */

/* Publish the outputs at their safe values; the watchdog thread may call it. */
void plc_scan_write_safe_outputs(struct plc_scan *s);
/* The working copy of the outputs becomes the safe picture. Scan thread only. */
void plc_scan_reset_working_outputs(struct plc_scan *s);
/* Record a fault the scan thread found (or took over from the watchdog). */
void plc_scan_enter_fault(struct plc_scan *s, enum plc_fault_cause cause, bool outputs_done,
                          const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Leave the fault: a cold restart of the program (state cleared, init, first scan). */
void plc_scan_leave_fault(struct plc_scan *s, const char *why);
/* A faulted cycle: whether to leave the fault. */
void plc_scan_fault_cycle(struct plc_scan *s, uint64_t wake, bool readable);

/* scan-diag.c: the diagnostics region */

/* Find the statistic of each tag in diagnostics region @def; EINVAL + diag for an unknown one. */
int plc_scan_map_diagnostics(struct plc_scan *s, const struct plc_region_def *def,
                             struct plc_diag *diag);
/* Point the task tags at the tasks of the program now loaded. */
void plc_scan_map_task_tags(struct plc_scan *s);
/* Fill the diagnostics region from the statistics and publish it. */
void plc_scan_publish_diagnostics(struct plc_scan *s, enum plc_scan_state state,
                                  enum plc_fault_cause cause);
/* The watchdog thread's part: the fault it found, in the fault statistics
 * alone, while the scan thread is still inside the program. */
void plc_scan_publish_watchdog_fault(struct plc_scan *s);

/* scan-alarm.c: events and alarms */

/* Append an event to the logic's ring, if it has one. Scan thread only. */
void plc_scan_event(struct plc_scan *s, enum plc_event_kind kind, int severity, const char *name,
                    double before, double after, const char *text);
/* Tag @t's value in the engine's buffers (the snapshot, or the logic's working copy). */
double plc_scan_tag_value(const struct plc_scan *s, const struct plc_tag_def *t);
/* Find the alarm region and carry on from its state; -1 with errno and diag. */
int plc_scan_alarms_init(struct plc_scan *s, struct plc_diag *diag);
void plc_scan_alarms_free(struct plc_scan *s);
/* Acknowledge on request, evaluate against the snapshot, publish the region. */
void plc_scan_alarms_cycle(struct plc_scan *s);
/* scan-force.c: forced outputs and the count of forces */

/* Open the forcing table (none: a warning, and nothing is forced). */
void plc_scan_force_open(struct plc_scan *s, const char *base_dir);
void plc_scan_force_close(struct plc_scan *s);
/* The outputs to publish: the working copy, or a copy of it with the forces applied. */
const void *plc_scan_force_outputs(struct plc_scan *s);
/* How many tags are forced now. */
unsigned plc_scan_force_count(struct plc_scan *s);

/* scan-shelve.c: shelvings from the forcing table applied to the alarm set */

/* The table's shelving applied to one alarm; since_ns 0: none. */
struct plc_scan_shelved {
    int64_t since_ns, until_ns; /* CLOCK_REALTIME, as in the table */
    uint64_t poll;              /* the last table change that still held it */
    bool live;                  /* shelved in the set by it (not ignored, not expired) */
};

/* Per-alarm bookkeeping; -1 with errno ENOMEM. */
int plc_scan_shelve_init(struct plc_scan *s);
void plc_scan_shelve_free(struct plc_scan *s);
/* Before evaluation: apply what changed in the table (one load when nothing did). */
void plc_scan_shelve_apply(struct plc_scan *s, int64_t now);
/* Before evaluation: tell each shelving whose end has come (the evaluation
 * ends it), so the log says "expired" before the alarm is raised again. */
void plc_scan_shelve_expired(struct plc_scan *s, int64_t now);

/* scan-rt.c: the real clock, scheduling, the watchdog thread */

/* CLOCK_MONOTONIC: the engine's clock unless the config gives one. */
extern const struct plc_scan_clock plc_scan_mono_clock;
/* lock_memory, cpu_dma_latency, cpu and priority of the logic section, on
 * the calling thread; logged. */
void plc_scan_apply_realtime(struct plc_scan *s);
/* Drop the cpu_dma_latency request, if held. */
void plc_scan_release_cpu_latency(struct plc_scan *s);
/* Start the watchdog thread (above the scan thread's priority). -1 with errno. */
int plc_scan_start_watchdog(struct plc_scan *s);
/* Stop and join it, if it runs. */
void plc_scan_stop_watchdog(struct plc_scan *s);

#endif
