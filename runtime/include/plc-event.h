/* SPDX-License-Identifier: MIT */
/**
 * @file plc-event.h
 * @brief The event ring: what services have to say (alarms, forcing, program
 *        loads, dead writers), appended to a ring in shared memory.
 *
 * One file, one ring, one writer: the service that owns it appends fixed-size
 * records (struct plc_event) and any number of readers follow it, each with
 * its own cursor (the sequence number of the next record it wants). Appending
 * never waits for readers, takes no lock, makes no system call and allocates
 * nothing, so the scan may append. A reader never sees a torn record: a record
 * being overwritten while it is copied is thrown away. A reader the writer has
 * lapped learns how many records it lost and goes on with the oldest one still
 * there. A writer killed mid-record costs that one record; the next writer
 * (after a restart) takes the ring over and keeps every record already in it.
 * docs/events.md says what is guaranteed and why.
 *
 * Errors are -1 or NULL with errno set (plc_strerror() explains our codes);
 * opening and creating also fill a `struct plc_diag` naming the file.
 * A handle is used by one thread at a time; distinct handles are independent.
 */
#ifndef PLC_EVENT_H
#define PLC_EVENT_H

#include <stdint.h>

#include "plc.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup event Event ring
 * @{ */

/**
 * @brief The service an event comes from. The values are stored in rings
 *        that other builds read: add at the end, never renumber.
 */
enum plc_event_source {
    PLC_SOURCE_SHM_INIT = 1, /**< plc-shm-init */
    PLC_SOURCE_IO,           /**< plc-io */
    PLC_SOURCE_LOGIC,        /**< plc-logic (the scan) */
    PLC_SOURCE_MODBUS,       /**< plc-modbus */
    PLC_SOURCE_RETAIN,       /**< plc-retain */
    PLC_SOURCE_PLCCTL,       /**< plcctl, on the operator's behalf */
    PLC_SOURCE_WEB,          /**< the web service */
    PLC_SOURCE_MQTT,         /**< the MQTT bridge */
};

/**
 * @brief What happened. Stored in rings like enum plc_event_source: add at
 *        the end, never renumber.
 */
enum plc_event_kind {
    PLC_EVENT_ALARM_RAISED = 1,  /**< an alarm's condition became true */
    PLC_EVENT_ALARM_CLEARED,     /**< ... and false again */
    PLC_EVENT_ALARM_ACKED,       /**< an operator acknowledged it */
    PLC_EVENT_FORCE_ON,          /**< a tag was forced to a value */
    PLC_EVENT_FORCE_OFF,         /**< ... and released */
    PLC_EVENT_PROGRAM_LOAD,      /**< a PLC program was loaded */
    PLC_EVENT_PROGRAM_RELOAD,    /**< ... replaced while running */
    PLC_EVENT_PROGRAM_FAULT,     /**< ... faulted */
    PLC_EVENT_PROGRAM_RECOVERY,  /**< ... runs again after a fault */
    PLC_EVENT_OUTPUTS_SAFE,      /**< outputs were put in their safe state */
    PLC_EVENT_OUTPUTS_FOLLOWING, /**< ... and follow the program again */
    PLC_EVENT_WRITER_DEAD,       /**< a region's writer died */
    PLC_EVENT_REGION_REPAIRED,   /**< a dead writer's half-done write was undone */
    PLC_EVENT_MODBUS_WRITE,      /**< a Modbus client wrote a tag */
    PLC_EVENT_RETAIN_RESTORE,    /**< retained values were restored at boot */
    PLC_EVENT_SERVICE_START,     /**< a service started */
    PLC_EVENT_SERVICE_STOP,      /**< ... stopped */
    PLC_EVENT_ALARM_SHELVED,     /**< an operator shelved an alarm */
    PLC_EVENT_ALARM_UNSHELVED,   /**< ... and unshelved it, or the shelving expired */
};

/**
 * @brief One record: 128 bytes, the same in every build and on every
 *        architecture (runtime/event-format.h checks each offset).
 */
struct plc_event {
    uint64_t seq;        /**< its number in the ring: 0, 1, 2, ... (set by the ring) */
    int64_t realtime_ns; /**< CLOCK_REALTIME, ns since 1970 */
    uint64_t mono_ns;    /**< CLOCK_MONOTONIC, ns: orders events across services */
    uint16_t source;     /**< enum plc_event_source */
    uint16_t kind;       /**< enum plc_event_kind */
    uint8_t severity;    /**< a syslog level: LOG_EMERG (0) .. LOG_DEBUG (7) */
    uint8_t reserved[3]; /**< zero */
    char name[32];       /**< the tag or region it is about, "" if none; NUL-terminated */
    double before;       /**< the value before, where one changed */
    double after;        /**< the value after */
    char text[48];       /**< a short text for the operator; NUL-terminated */
};

/** Handle of one open ring; opaque. */
struct plc_event_ring;

/** Smallest and largest capacity of a ring (records; a power of two). */
#define PLC_EVENT_CAPACITY_MIN 2u
#define PLC_EVENT_CAPACITY_MAX (1u << 20)

/**
 * @brief Fill @p ev for an append: zeroes it, stamps both clocks now and
 *        copies @p name and @p text, cut to fit. before and after stay 0.
 * @param name The tag or region, or NULL.
 * @param text A short text, or NULL.
 * @return 0, or -1 with errno EINVAL (a source, kind or severity out of range;
 *         @p ev is then left zeroed). Thread-safe.
 */
PLC_API int plc_event_init(struct plc_event *ev, enum plc_event_source source,
                           enum plc_event_kind kind, int severity, const char *name,
                           const char *text);

/** @brief "logic", "modbus", ...: the service's name, or "?" out of range. Never NULL. */
PLC_API const char *plc_event_source_name(int source);

/** @brief "alarm-raised", "force-on", ...: the kind's name, or "?" out of range. Never NULL. */
PLC_API const char *plc_event_kind_name(int kind);

/**
 * @brief The ring file of a service: BASE/LAYOUT/events-SOURCE (e.g.
 *        ".../demo/events-logic"), next to the regions (plc_region_path()).
 *        The one place the name is built; plc-shm-init makes one per service.
 * @return 0, or -1 with errno EINVAL (@p source out of range) or
 *         ENAMETOOLONG (it does not fit in @p len).
 */
PLC_API int plc_event_ring_path(const struct plc_layout *layout, const char *base,
                                enum plc_event_source source, char *buf, size_t len);

/**
 * @brief Make the ring file at @p path, or keep the one there.
 *
 * A new ring is built under a temporary name in the same directory, its
 * header made valid last, then renamed into place with mode 0660: nobody
 * opens it half made. An existing ring with this capacity and layout hash is
 * kept with its records; any other file there is refused (with the reason, as
 * plc_event_ring_open() gives it) and left alone.
 *
 * @param capacity Records it holds: a power of two from PLC_EVENT_CAPACITY_MIN
 *                 to PLC_EVENT_CAPACITY_MAX.
 * @param layout_hash The layout's hash (plc_layout_get_hash()); opening
 *                    checks it.
 * @param diag Optional; says what is wrong, with the path.
 * @return PLC_CREATE_MADE or PLC_CREATE_KEPT; PLC_CREATE_ERROR with errno
 *         EINVAL (capacity), PLC_EMAGIC, PLC_EFORMAT, PLC_ESIZE, PLC_ELAYOUT,
 *         PLC_EPATH (an existing file that is no such ring) or a system errno.
 */
PLC_API enum plc_create_result plc_event_ring_create(const char *path, unsigned capacity,
                                                     uint64_t layout_hash, struct plc_diag *diag);

/**
 * @brief Open a ring made by plc_event_ring_create().
 *
 * Checks before use: a regular file, no symlink (PLC_EPATH), the magic
 * (PLC_EMAGIC), the format and record size (PLC_EFORMAT), a capacity that is
 * a power of two and a file size that fits it (PLC_ESIZE) and the layout hash
 * (PLC_ELAYOUT). Readers map it read-only and never write to it. As
 * PLC_WRITER the claim is atomic: a live holder is refused (PLC_EHELD, the
 * diag names its pid and name) and a dead one's is taken over. A dead
 * writer's last record, if it was half written, is skipped (readers count it
 * as lost); one it had completed but not yet counted is kept.
 *
 * @param diag Optional; says what is wrong, with the path.
 * @return A handle to free with plc_event_ring_close(), or NULL with errno set.
 */
PLC_API struct plc_event_ring *plc_event_ring_open(const char *path, enum plc_access access,
                                                   uint64_t layout_hash, struct plc_diag *diag);

/** @brief Release the claim (writers) and unmap; NULL is accepted. */
PLC_API void plc_event_ring_close(struct plc_event_ring *ring);

/**
 * @brief Append one record (writers only): @p ev's bytes, with seq set to
 *        the ring's next number (plc_event_ring_get_head() before the call).
 *
 * Wait-free: no lock, no system call, no allocation; it never waits for
 * readers. The oldest record is overwritten once the ring is full.
 * @return 0, or -1 with errno EPERM (this handle is a reader).
 */
PLC_API int plc_event_ring_append(struct plc_event_ring *ring, const struct plc_event *ev);

/**
 * @brief Append one record made of the arguments: what a service posts.
 *
 * plc_event_init() with @p before, @p after and the text formatted from
 * @p fmt (printf-style, cut to the 47 characters that fit), then
 * plc_event_ring_append(). Formatting is the one cost beyond the append: no
 * lock, no allocation for the usual conversions (%d, %s, %g, ...); the scan
 * builds its records with plc_event_init() instead.
 *
 * @param name The tag or region it is about, or NULL.
 * @param fmt The text, or NULL for none.
 * @return 0, or -1 with errno EINVAL (source, kind or severity out of range)
 *         or EPERM (this handle is a reader).
 */
PLC_API int plc_event_ring_post(struct plc_event_ring *ring, enum plc_event_source source,
                                enum plc_event_kind kind, int severity, const char *name,
                                double before, double after, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/**
 * @brief Post what a writer's attach to @p region found, for a writer handle:
 *        PLC_EVENT_WRITER_DEAD (severity warning) when it took the claim of a
 *        dead writer, PLC_EVENT_REGION_REPAIRED (warning) when it also undid
 *        that writer's half-done write (plc_region_info.took_over_from and
 *        .repaired). Name: the region; text: the dead writer's pid.
 * @return How many records were posted (0 to 2), or -1 with errno as
 *         plc_event_ring_post() or plc_region_get_info().
 */
PLC_API int plc_event_ring_post_takeover(struct plc_event_ring *ring,
                                         enum plc_event_source source,
                                         struct plc_region *region);

/**
 * @brief Read the record at @p *cursor, or the oldest one still there.
 *
 * Never blocks and never waits for the writer. Start a cursor at
 * plc_event_ring_get_head() to follow from now, or at 0 for every record
 * still in the ring (those overwritten before count as lost).
 *
 * @param cursor The number of the record wanted; advanced past the one read.
 *               A cursor past the head (from a ring since re-made) is moved
 *               back to the head.
 * @param ev Filled when 1 is returned.
 * @param lost Optional; the records skipped are added to it: overwritten
 *             before they were read, or left half written by a writer that
 *             died.
 * @return 1 with a record, 0 when there is none yet (caught up), -1 with
 *         errno EAGAIN when a thousand records in a row were overwritten as
 *         this reader came to them (a writer lapping the ring faster than one
 *         record is copied); @p cursor and @p lost count them, so calling
 *         again goes on.
 */
PLC_API int plc_event_ring_read(struct plc_event_ring *ring, uint64_t *cursor, struct plc_event *ev,
                                uint64_t *lost);

/** @brief The number the next record will get: how many were ever appended. */
PLC_API uint64_t plc_event_ring_get_head(const struct plc_event_ring *ring);

/** @brief How many records the ring holds. */
PLC_API unsigned plc_event_ring_get_capacity(const struct plc_event_ring *ring);

/** @brief Who writes a ring, from its header (plc_event_ring_get_writer()). */
struct plc_event_ring_writer {
    pid_t pid;          /**< the claim's pid; 0 when nobody holds it (a clean close) */
    bool alive;         /**< that process lives (its pid and start time) */
    char holder[16];    /**< its process name, "" without a claim */
    uint64_t claims;    /**< writer claims since the ring was made: its service's starts */
    uint64_t takeovers; /**< ... of them taken from a writer that died */
};

/**
 * @brief Fill @p w from the ring's header; for readers too (services that
 *        write no region, such as plc-retain, are seen by their ring).
 * @return 0.
 */
PLC_API int plc_event_ring_get_writer(const struct plc_event_ring *ring,
                                      struct plc_event_ring_writer *w);

/**
 * @brief The ring's identity: when it was made (CLOCK_REALTIME ns). A ring
 *        made again (a reboot, plc-shm-init --recreate) numbers its records
 *        from 0 again and has another identity, so (identity, seq) names a
 *        record for good, e.g. in the event history (plc-event-history.h).
 */
PLC_API uint64_t plc_event_ring_get_id(const struct plc_event_ring *ring);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
