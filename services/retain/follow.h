/* SPDX-License-Identifier: MIT */
/**
 * @file follow.h
 * @brief struct plc_retain_events: plc-retain's event follower.
 *
 * One thread polls every service's event ring (BASE/LAYOUT/events-SOURCE),
 * appends each new record to the event history on disk (plc-event-history.h)
 * and sends it to the journal. Where it left off comes from the history
 * itself, so a restart (or a kill -9) repeats nothing and loses nothing the
 * ring still holds. A ring that is missing is named once in the log and
 * looked for again every second; the others are followed meanwhile.
 */
#ifndef PLC_RETAIN_EVENTS_H
#define PLC_RETAIN_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "plc-event-history.h"
#include "plc-retain.h"

/** How often the rings are polled by default, and the bounds of --events-poll. */
#define PLC_RETAIN_EVENTS_POLL_MS_DEFAULT 100u

struct plc_retain_events_config {
    const struct plc_layout *layout; /**< must outlive the follower */
    const char *base_dir;            /**< the rings; see plc_base_dir() */
    struct plc_event_history_config history; /**< dir and name set; log filled in */
    uint32_t poll_ms;                /**< 0: PLC_RETAIN_EVENTS_POLL_MS_DEFAULT */
    bool journal;                    /**< send each event to the journal */
    plc_retain_log_fn *log;          /**< operator messages; may be NULL */
    void *log_user;
    /** Called from the follower's thread after each poll of the rings, so
     *  that a hung write stops the calls (systemd's watchdog); NULL: none. */
    void (*on_alive)(void *user);
    void *alive_user;
};

struct plc_retain_events_stats {
    uint64_t events;         /**< appended to the history by this process */
    uint64_t lost;           /**< records the rings overwrote before they were read */
    uint64_t journal_failed; /**< sd_journal_send() calls that failed */
    unsigned rings;          /**< rings followed now */
};

struct plc_retain_events;

/**
 * @brief Open the history as its writer and start following the rings.
 * @return A running follower to stop with plc_retain_events_stop() and free
 *         with plc_retain_events_free(), or NULL with errno and @p diag set
 *         (the history's directory or a config field).
 */
struct plc_retain_events *plc_retain_events_new(const struct plc_retain_events_config *cfg,
                                                struct plc_diag *diag);

/**
 * @brief Stop the thread, read the rings once more and write what is pending.
 * @return 0, or -1 when that last write failed (it was logged).
 */
int plc_retain_events_stop(struct plc_retain_events *e);

/** @brief Counters; thread-safe. */
void plc_retain_events_get_stats(struct plc_retain_events *e,
                                 struct plc_retain_events_stats *stats);

/** @brief Stop without a last write (see plc_retain_events_stop()) and free; NULL is accepted. */
void plc_retain_events_free(struct plc_retain_events *e);

/** The journal fields of one event. */
struct plc_journal_entry {
    char field[12][192]; /**< "MESSAGE=...", "PRIORITY=4", "PLC_TAG=...", ... */
    unsigned n;
};

/**
 * @brief The fields sd_journal_send() gets for @p rec: MESSAGE (the event in
 *        one line), PRIORITY (its severity), PLC_SOURCE, PLC_KIND,
 *        PLC_SEVERITY, PLC_SEQ, PLC_TAG (when it names one), PLC_BEFORE and
 *        PLC_AFTER (when they mean something), PLC_LOST (when records were).
 */
void plc_retain_events_journal_entry(const struct plc_event_record *rec,
                                     struct plc_journal_entry *out);

#endif
