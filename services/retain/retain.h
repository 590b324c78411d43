/* SPDX-License-Identifier: MIT */
/**
 * @file retain.h
 * @brief struct plc_retain: the plc-retain service, as a library main() drives.
 *
 * It attaches as a reader to every region holding retained tags, one thread
 * per region blocked in plc_region_wait(), and one writer thread that writes
 * a snapshot (plc_snapshot_write()) when a retained value differs from the
 * last one written, at most once per interval. It never writes a region.
 * plc_retain_config.on_alive tells the caller that every thread still turns.
 */
#ifndef PLC_RETAIN_SERVICE_H
#define PLC_RETAIN_SERVICE_H

#include <stdint.h>

#include "plc-retain.h"

struct plc_retain_config {
    const struct plc_layout *layout; /**< must outlive the service */
    const char *base_dir;            /**< regions; see plc_base_dir() */
    const char *dir;                 /**< snapshots; see plc_retain_dir() */
    uint32_t interval_us;            /**< at most one snapshot per interval */
    plc_retain_log_fn *log;          /**< operator messages; may be NULL */
    void *log_user;
    /** Called from the writer thread (which turns at least every 100 ms while it
     *  is not writing) when every region thread (each turns at least every
     *  200 ms) has turned too since the last call, so no thread hangs: where
     *  plc-retain feeds systemd's watchdog. A write that never returns stops the
     *  calls. NULL = nothing. Keep it short; no lock of the service is held. */
    void (*on_alive)(void *user);
    void *alive_user;
};

struct plc_retain_stats {
    uint64_t seq;        /**< of the last snapshot written (or found at start) */
    uint64_t writes;     /**< snapshots written by this process */
    uint64_t failures;   /**< failed attempts */
};

struct plc_retain;

/**
 * @brief Attach, read the newest snapshot and the live values, start the threads.
 *
 * Creates the snapshot directory if it is missing. When the live retained
 * values differ from the newest snapshot (or there is none) the first
 * snapshot is written at once.
 * @return A running service to stop with plc_retain_stop() and free with
 *         plc_retain_free(), or NULL with errno and @p diag set: ENOENT (no
 *         retained tag in the layout), a region attach error, or the mkdir error.
 */
struct plc_retain *plc_retain_new(const struct plc_retain_config *cfg, struct plc_diag *diag);

/** @brief Take a snapshot now, changed or not (SIGUSR1). Thread-safe. */
void plc_retain_snapshot_now(struct plc_retain *r);

/**
 * @brief Stop the threads, read every region once more and write a last
 *        snapshot if a retained value changed since the last one (SIGTERM).
 * @return 0, or -1 when that last write failed (it was logged).
 */
int plc_retain_stop(struct plc_retain *r);

/** @brief Counters; thread-safe. */
void plc_retain_get_stats(struct plc_retain *r, struct plc_retain_stats *stats);

/** @brief CLOCK_MONOTONIC in ns. */
uint64_t plc_retain_now_ns(void);

/** @brief Format one message and hand it to @p log at @p level; nothing when @p log is NULL. */
void plc_retain_logf(plc_retain_log_fn *log, void *user, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** @brief Free, stopping the threads without a last snapshot (call plc_retain_stop()
 *         first for one); NULL is accepted. */
void plc_retain_free(struct plc_retain *r);

#endif
