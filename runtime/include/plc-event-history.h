/* SPDX-License-Identifier: MIT */
/**
 * @file plc-event-history.h
 * @brief The event history: events kept on disk, in append-only files that
 *        survive a power cut, a kill -9 and a reboot.
 *
 * The rings in shared memory (plc-event.h) are gone at a reboot; plc-retain
 * follows them and appends every event to files in a directory: DIR/NAME.events
 * (the current file), DIR/NAME.events.1 (the previous one), ... Each record is
 * the event, the identity of the ring it came from (its seq is the ring's),
 * how many records of that ring were lost before it, the boot it happened in,
 * and a CRC-32. Records are written in batches, each made durable with one
 * fdatasync(); nothing at all is written while nothing happens (SD cards).
 * A file cut anywhere by a power cut still reads: a reader takes every record
 * whose CRC is good, skips and counts a damaged one, and stops a file at a
 * torn tail. docs/events.md says what a power cut can lose at most.
 *
 * One writer (plc-retain) and any number of readers (plcctl events), each
 * with its own handle. Errors are -1 or NULL with errno set and, where a file
 * is involved, a `struct plc_diag` naming it. A handle is used by one thread
 * at a time.
 */
#ifndef PLC_EVENT_HISTORY_H
#define PLC_EVENT_HISTORY_H

#include <stdint.h>

#include "plc-event.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup event_history Event history
 * @{ */

/** Defaults and bounds of struct plc_event_history_config. */
#define PLC_EVENT_HISTORY_FILE_BYTES_DEFAULT (4u << 20)
#define PLC_EVENT_HISTORY_FILE_BYTES_MIN 1600u
#define PLC_EVENT_HISTORY_FILES_DEFAULT 2u
#define PLC_EVENT_HISTORY_FILES_MAX 16u
#define PLC_EVENT_HISTORY_BATCH_DEFAULT 64u
#define PLC_EVENT_HISTORY_BATCH_MAX 4096u
#define PLC_EVENT_HISTORY_BATCH_MS_DEFAULT 1000u
/** Bytes of one record on disk. */
#define PLC_EVENT_HISTORY_RECORD_SIZE 160u
/** The directory below the retain directory where the history goes by default. */
#define PLC_EVENT_HISTORY_SUBDIR "events"

/** What to open. Zero fields take their defaults. */
struct plc_event_history_config {
    const char *dir;       /**< the directory; see plc_event_history_dir() */
    const char *name;      /**< the files' prefix: the layout's name */
    uint32_t file_bytes;   /**< a file is rotated before it grows past this */
    unsigned files;        /**< files kept, the current one included: 2 .. 16 */
    unsigned batch;        /**< records per fdatasync() at most: 1 .. 4096 */
    uint32_t batch_ms;     /**< how long a record waits for its batch at most */
    /** Operator messages (a torn tail, a damaged record), syslog levels as
     *  plc_retain_log_fn; NULL: none. */
    void (*log)(void *user, int level, const char *msg);
    void *log_user;
};

/** One record of the history. */
struct plc_event_record {
    struct plc_event ev; /**< ev.seq is its number in its source's ring */
    uint64_t ring_id;    /**< the ring it came from (its creation time): a
                              re-made ring numbers from 0 again */
    uint64_t lost;       /**< records of that ring lost just before this one */
    uint64_t boot;       /**< the boot it happened in (plc_event_history_boot_id()) */
};

/** Counters of a handle. */
struct plc_event_history_stats {
    uint64_t records;    /**< good records read, and (writer) appended since */
    uint64_t corrupt;    /**< damaged records skipped between good ones */
    uint64_t torn;       /**< files that ended in a torn tail */
    uint64_t torn_bytes; /**< bytes in those tails */
    unsigned files;      /**< files read */
    uint64_t writes;     /**< write() calls (writer) */
    uint64_t syncs;      /**< fdatasync() calls (writer) */
    uint64_t rotations;  /**< files rotated (writer) */
};

/** Handle of an open history; opaque. */
struct plc_event_history;

/**
 * @brief The history directory: @p override if neither NULL nor empty, else
 *        $RASPIPLC_EVENTS_DIR, else "events" in @p retain_dir, the retain
 *        directory in use (plc_retain_dir(): e.g. /var/lib/raspiplc/events).
 * @return 0, or -1 with errno ENAMETOOLONG.
 */
PLC_API int plc_event_history_dir(const char *retain_dir, const char *override, char *buf,
                                  size_t len);

/**
 * @brief Open the history for reading or (one process: plc-retain) writing.
 *
 * A reader opens every file there, newest first (so that a rotation meanwhile
 * costs nothing), and reads them oldest first with plc_event_history_next();
 * no file at all is an empty history. A writer makes the directory if it is
 * missing, reads every file to learn the last record of each ring
 * (plc_event_history_get_last()) and cuts a torn tail off the current file
 * so the next record follows the last good one. Damage is reported through
 * the config's log, naming the file and the record.
 *
 * @return A handle to free with plc_event_history_close(), or NULL with errno
 *         EINVAL (a config field out of range; @p diag says which) or a
 *         system errno (@p diag names the file).
 */
PLC_API struct plc_event_history *plc_event_history_open(const struct plc_event_history_config *cfg,
                                                         enum plc_access access,
                                                         struct plc_diag *diag);

/**
 * @brief Write what is pending (writers) and close; NULL is accepted.
 * @return 0, or -1 when that last write failed (records in it are lost).
 */
PLC_API int plc_event_history_close(struct plc_event_history *h);

/**
 * @brief The next record, oldest file first (readers).
 * @return 1 with @p rec filled, 0 at the end, -1 with errno (EPERM: a writer;
 *         a read error, reported through the log).
 */
PLC_API int plc_event_history_next(struct plc_event_history *h, struct plc_event_record *rec);

/**
 * @brief The last record kept of @p source: its ring and seq (writers from
 *        the open on; readers once plc_event_history_next() returned 0).
 * @return 1 with @p ring_id and @p seq, 0 when there is none.
 */
PLC_API int plc_event_history_get_last(const struct plc_event_history *h, int source,
                                       uint64_t *ring_id, uint64_t *seq);

/**
 * @brief Append one record (writers): kept in memory until its batch is
 *        written, which happens here when the batch is full. boot is filled
 *        in when 0.
 * @return 0, or -1 with errno (EPERM: a reader; the batch could not be
 *         written: the record is not taken, and nothing written before is lost).
 */
PLC_API int plc_event_history_append(struct plc_event_history *h,
                                     const struct plc_event_record *rec);

/**
 * @brief Write the pending records now and fdatasync() them (writers).
 *        Nothing pending: no system call at all.
 * @return 0, or -1 with errno; the records stay pending for the next try.
 */
PLC_API int plc_event_history_flush(struct plc_event_history *h);

/**
 * @brief Flush if the oldest pending record has waited batch_ms by @p now_ns
 *        (CLOCK_MONOTONIC). Nothing pending: nothing done.
 * @return 0, or -1 as plc_event_history_flush().
 */
PLC_API int plc_event_history_tick(struct plc_event_history *h, uint64_t now_ns);

/** @brief CLOCK_MONOTONIC ns when the pending records are due; UINT64_MAX if none. */
PLC_API uint64_t plc_event_history_due_ns(const struct plc_event_history *h);

/** @brief The handle's counters. */
PLC_API void plc_event_history_get_stats(const struct plc_event_history *h,
                                         struct plc_event_history_stats *stats);

/** @brief This boot: the first 64 bits of the kernel's boot_id; 0 if it cannot be read. */
PLC_API uint64_t plc_event_history_boot_id(void);

/**
 * @brief Whether the event's before and after mean something: a value
 *        changed (forcing, a Modbus write) or either is not 0.
 */
PLC_API bool plc_event_has_values(const struct plc_event *ev);

/**
 * @brief Time order of two struct plc_event_record, for qsort(): boots in the
 *        order they started (CLOCK_REALTIME less CLOCK_MONOTONIC), within a
 *        boot CLOCK_MONOTONIC (the services' clocks agree on it and it never
 *        jumps), then source and seq.
 * @return <0, 0 or >0 as strcmp().
 */
PLC_API int plc_event_record_compare(const void *a, const void *b);

/** @brief "emerg" .. "debug": a syslog severity's name, "?" out of range. Never NULL. */
PLC_API const char *plc_event_severity_name(int severity);

/**
 * @brief One readable line, without time: "logic alarm-raised 'level_high'
 *        80 -> 96: level above limit".
 * @return The length, as snprintf().
 */
PLC_API int plc_event_format(const struct plc_event *ev, char *buf, size_t len);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
