/* SPDX-License-Identifier: MIT */
/**
 * @file plc-scan.h
 * @brief The scan engine behind plc-logic (link plc_scan).
 *
 * Each scan: wait for the next absolute deadline on the engine's clock, take
 * one consistent snapshot of every region the logic does not write, run the
 * program, publish each region the logic writes in one atomic write, and
 * publish statistics to the diagnostics region. An overrun (a scan that ends
 * after the next deadline) is counted and the missed cycles are skipped:
 * deadlines stay on the period grid and scan time (ctx->now_ns) jumps, so
 * timers stay right; cycles are never run back to back to catch up.
 *
 * A scan longer than the watchdog, a program returning nonzero or an input
 * region that cannot be read puts the engine in a fault: the 'outputs' region
 * goes to each tag's safe value (or holds it, safe = hold), the cause is in
 * the statistics and the diagnostics region, and the engine leaves the fault
 * as [logic] fault_restart says. With the real clock a watchdog thread also
 * catches a scan that never returns.
 *
 * One thread drives a handle; plc_scan_get_stats() may be called from it.
 */
#ifndef PLC_SCAN_H
#define PLC_SCAN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "plc.h"
#include "plc-event.h"
#include "plc-program.h"
#include "plc-task.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup scan Scan engine
 * @{ */

/**
 * @brief The engine's clock (CLOCK_MONOTONIC unless a test injects another).
 * Both are called from the scan thread only.
 */
struct plc_scan_clock {
    /** Now, ns. */
    uint64_t (*now)(void *user);
    /** Sleep until @p deadline_ns; 0, or -1 with errno EINTR when a signal came. */
    int (*sleep_until)(void *user, uint64_t deadline_ns);
};

/** Log levels, as syslog's. */
enum { PLC_LOG_ERR = 3, PLC_LOG_WARNING = 4, PLC_LOG_NOTICE = 5, PLC_LOG_INFO = 6 };

/** The program plc-logic loads when neither --program nor $RASPIPLC_PROGRAM names one
 *  (the install puts example (a) there). */
#define PLC_PROGRAM_PATH_DEFAULT "/etc/raspiplc/program.so"

struct plc_scan_config {
    const struct plc_layout *layout;  /**< required; must outlive the engine */
    const char *base_dir;             /**< required */
    /** The program: a shared object's path, or a descriptor linked in (one of the two). */
    const char *program_path;
    const struct plc_program *program;
    /** Scan settings (naming tags and regions of @p layout); NULL takes the layout's [logic]. Copied. */
    const struct plc_logic_def *logic;
    /** NULL for CLOCK_MONOTONIC (and the watchdog thread). Must outlive the engine. */
    const struct plc_scan_clock *clock;
    void *clock_user;
    /** Where messages go (warnings, overruns, faults); NULL drops them. */
    void (*log)(void *user, int level, const char *msg);
    void *log_user;
    /** Called by plc_scan_run() after every cycle, faulted ones too, never while a
     *  scan hangs: where plc-logic keeps systemd's watchdog fed. Keep it short. */
    void (*on_cycle)(void *user);
    void *cycle_user;
    /** Where the engine appends its events (program loads and faults, outputs
     *  safe and back, alarm transitions): plc-logic's own ring, opened as
     *  PLC_WRITER. NULL: no events. Must outlive the engine. */
    struct plc_event_ring *events;
};

/** @brief Engine states; zero means unset. */
enum plc_scan_state {
    PLC_SCAN_RUNNING = 1,
    PLC_SCAN_FAULTED,
};

/** @brief Why the engine faulted. Values as the diagnostics tag fault_cause. */
enum plc_fault_cause {
    PLC_FAULT_NONE = 0,
    PLC_FAULT_WATCHDOG = 1,  /**< a scan ran longer than the watchdog */
    PLC_FAULT_PROGRAM = 2,   /**< init or scan returned nonzero */
    PLC_FAULT_INPUT = 3,     /**< a region could not be read */
};

/**
 * @brief One task's statistics; times in ns (the task's own scan call).
 * A task overruns when a run of it ends after its next release (the start
 * of the tick it is due on next); the engine then skips the ticks passed.
 */
struct plc_task_stats {
    char name[32];
    uint64_t interval_ns;
    uint32_t priority;
    uint64_t runs, overruns;
    uint64_t scan_last, scan_max, scan_mean;
};

/** @brief Statistics; times in ns. Lateness is wake-up time minus deadline. */
struct plc_scan_stats {
    uint64_t scans;       /**< cycles that ran the program */
    uint64_t cycles;      /**< deadlines met by a wake-up (faulted ones included) */
    uint64_t overruns, skipped, faults, reloads;
    uint64_t scan_last, scan_min, scan_max, scan_mean;
    uint64_t late_p50, late_p99, late_max;
    uint32_t period_us;
    int priority;         /**< SCHED_FIFO priority obtained; 0 = SCHED_OTHER */
    enum plc_scan_state state;
    enum plc_fault_cause cause;
    char fault[256];      /**< the last fault, in words; "" if none */
    char program[64];     /**< name of the running program */
    /** The program's tasks in table order (0 for a program without tasks);
     *  a cycle (scans, scan_*) is then one tick. */
    uint32_t task_count;
    struct plc_task_stats tasks[PLC_TASK_MAX];
};

struct plc_scan;

/**
 * @brief Attach the regions, drive outputs to their safe values, load the
 *        program and call its init.
 *
 * Applies the real-time options of the [logic] settings to the calling
 * thread (SCHED_FIFO, mlockall, CPU affinity); each one not permitted is a
 * warning through the log and the engine runs on.
 * @param diag Optional; says what is wrong: a region (see plc_region_attach()),
 *        a program that cannot be loaded, or one built for another layout
 *        (errno PLC_ELAYOUT, both hashes in the message).
 * @return An engine to free with plc_scan_free(), or NULL with errno set.
 */
PLC_API struct plc_scan *plc_scan_new(const struct plc_scan_config *cfg, struct plc_diag *diag);

/** @brief Stop: outputs to their safe values, stop the watchdog, detach; NULL is accepted. */
PLC_API void plc_scan_free(struct plc_scan *scan);

/**
 * @brief Wait for the next deadline and run one cycle.
 * @return 0 after a cycle, or -1 with errno EINTR when a signal came while
 *         waiting (call again to go on waiting for the same deadline), or -1
 *         with the error of a write to one of the logic's regions that failed
 *         (PLC_ERETIRED: plc-shm-init re-created it), logged: stop, and start
 *         again on the new regions.
 */
PLC_API int plc_scan_step(struct plc_scan *scan);

/**
 * @brief Run cycles until *@p stop is set; reload the program when *@p reload
 *        is set (and clear it). Either may be NULL.
 * @return 0 when stopped, -1 with errno when a cycle failed (see plc_scan_step()).
 */
PLC_API int plc_scan_run(struct plc_scan *scan, volatile sig_atomic_t *stop,
                         volatile sig_atomic_t *reload);

/**
 * @brief Replace the program by the one at @p path (NULL: the same path again).
 *
 * The new program is loaded and checked first: a program that cannot be
 * loaded or was built for another layout is refused and the old one runs on.
 * Otherwise outputs go to their safe values, the old program is unloaded, the
 * new one initialised, and its first scan publishes outputs again.
 * @return 0, or -1 with errno set and @p diag filled; the old program runs on.
 */
PLC_API int plc_scan_reload(struct plc_scan *scan, const char *path, struct plc_diag *diag);

/** @brief Leave a fault now (as the reset command does). @return 0, or -1/EALREADY if not faulted. */
PLC_API int plc_scan_reset_fault(struct plc_scan *scan);

/** @brief Copy the statistics (percentiles computed now). */
PLC_API void plc_scan_get_stats(const struct plc_scan *scan, struct plc_scan_stats *stats);

/**
 * @brief The current cycle's deadline and wake-up time on the engine's clock,
 *        in ns: from the scan thread (the program's scan() included) those of
 *        the scan under way, else of the last cycle. For measuring lateness
 *        beside the statistics' histogram, as plc-scan-bench does.
 */
PLC_API void plc_scan_get_cycle(const struct plc_scan *scan, uint64_t *deadline_ns,
                                uint64_t *wake_ns);

/** @brief "running", "faulted". */
PLC_API const char *plc_scan_state_name(enum plc_scan_state state);
/** @brief "none", "watchdog", "program", "input". */
PLC_API const char *plc_fault_cause_name(enum plc_fault_cause cause);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
