/* SPDX-License-Identifier: MIT */
/**
 * @file plc-retain.h
 * @brief Retain snapshots: retained tag values kept in a file across reboots.
 *
 * plc-retain writes snapshots, plc-shm-init restores from them when it makes
 * a region, and tools show them (library plc_retain). A snapshot is a small
 * text file DIR/LAYOUT.retain holding, by tag name, each retained tag's type
 * and value, with the layout name, version and hash it was taken from, a
 * sequence number, a wall-clock time and a CRC-32 (zlib) over everything
 * before the CRC line. See docs/retain.md for the format and its guarantees.
 *
 * Writes are durable and atomic: a temporary file in the same directory is
 * written and fsynced, the current file becomes the backup (LAYOUT.retain.bak,
 * a hard link), the temporary file is renamed over the current one and the
 * directory fsynced. At every instant the current or the backup file is a
 * whole, valid snapshot.
 *
 * Functions here never print: messages for the operator go to a
 * plc_retain_log_fn, errors come back as -1/NULL, errno and a plc_diag.
 * A struct plc_snapshot is immutable once loaded and may be read from any
 * thread.
 */
#ifndef PLC_RETAIN_H
#define PLC_RETAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plc.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup retain Retain snapshots
 * @{ */

/** Snapshot directory when neither a flag, RASPIPLC_RETAIN_DIR nor the layout sets one. */
#define PLC_RETAIN_DIR_DEFAULT "/var/lib/raspiplc"

/** Format version written on the second line of every snapshot. */
#define PLC_SNAPSHOT_FORMAT 1u

/** Log levels of plc_retain_log_fn, as syslog's. */
enum {
    PLC_LOG_ERR = 3,
    PLC_LOG_WARNING = 4,
    PLC_LOG_NOTICE = 5,
    PLC_LOG_INFO = 6,
};

/** @brief Where operator messages go: one complete line, without newline. */
typedef void plc_retain_log_fn(void *user, int level, const char *msg);

/**
 * @brief The snapshot directory: @p override if not NULL or empty, else
 *        RASPIPLC_RETAIN_DIR, else the layout's [retain] directory, else
 *        PLC_RETAIN_DIR_DEFAULT.
 */
PLC_API const char *plc_retain_dir(const struct plc_layout *layout, const char *override);

/** @brief Which file of a snapshot directory. */
enum plc_snapshot_file {
    PLC_SNAPSHOT_CURRENT = 1, /**< DIR/LAYOUT.retain */
    PLC_SNAPSHOT_BACKUP,      /**< DIR/LAYOUT.retain.bak, the previous good one */
    PLC_SNAPSHOT_TEMP,        /**< DIR/LAYOUT.retain.tmp, being written */
};

/**
 * @brief The path of one snapshot file of layout @p layout_name in @p dir.
 * @return 0, or -1 with errno ENAMETOOLONG.
 */
PLC_API int plc_snapshot_path(const char *dir, const char *layout_name,
                              enum plc_snapshot_file which, char *buf, size_t len);

/** @brief One stored tag. */
struct plc_snapshot_tag {
    char name[PLC_TAG_NAME_MAX + 1];
    enum plc_type type;
    /** The value: a double, exact for every type but int64 and uint64, whose
     *  exact integer is in value_i / value_u instead (plc_snapshot_tag_get()). */
    union {
        double value;
        int64_t value_i;
        uint64_t value_u;
    };
};

/** @brief The exact value of a stored tag, of its own type. */
PLC_API struct plc_value plc_snapshot_tag_get(const struct plc_snapshot_tag *tag);
/** @brief Set a stored tag's type and exact value. */
PLC_API void plc_snapshot_tag_set(struct plc_snapshot_tag *tag, enum plc_type type,
                                  const struct plc_value *v);

struct plc_snapshot;

/**
 * @brief Read and verify one snapshot file.
 * @param diag Optional; names the file and what is wrong with it.
 * @return A snapshot to free with plc_snapshot_free(), or NULL with errno
 *         ENOENT (no such file), EBADMSG (truncated, CRC mismatch, or not a
 *         snapshot), ENOMEM, or the open()/read() error.
 */
PLC_API struct plc_snapshot *plc_snapshot_load(const char *path, struct plc_diag *diag);

/**
 * @brief The newest good snapshot of a layout: the current file, or the
 *        backup when the current one is missing or fails its check.
 *
 * Falling back is reported through @p log at PLC_LOG_WARNING, naming the bad
 * file and why ("...: CRC mismatch: using the backup ...").
 * @param log May be NULL.
 * @return A snapshot, or NULL with errno ENOENT (neither file exists: first
 *         boot), EBADMSG (both fail their check; @p diag names both), or
 *         another error from plc_snapshot_load().
 */
PLC_API struct plc_snapshot *plc_snapshot_load_newest(const char *dir, const char *layout_name,
                                                      plc_retain_log_fn *log, void *user,
                                                      struct plc_diag *diag);

/** @brief Free a snapshot; NULL is accepted. */
PLC_API void plc_snapshot_free(struct plc_snapshot *snap);

/** @brief The file it was read from. */
PLC_API const char *plc_snapshot_get_path(const struct plc_snapshot *snap);
/** @brief Whether plc_snapshot_load_newest() fell back to the backup for it. */
PLC_API bool plc_snapshot_is_backup(const struct plc_snapshot *snap);
PLC_API uint64_t plc_snapshot_get_seq(const struct plc_snapshot *snap);
/** @brief When it was taken: CLOCK_REALTIME in nanoseconds. */
PLC_API uint64_t plc_snapshot_get_time_ns(const struct plc_snapshot *snap);
PLC_API const char *plc_snapshot_get_layout_name(const struct plc_snapshot *snap);
PLC_API unsigned plc_snapshot_get_layout_version(const struct plc_snapshot *snap);
PLC_API uint64_t plc_snapshot_get_layout_hash(const struct plc_snapshot *snap);
PLC_API size_t plc_snapshot_tag_count(const struct plc_snapshot *snap);
/** @brief The i-th stored tag, in file order, or NULL. Valid until plc_snapshot_free(). */
PLC_API const struct plc_snapshot_tag *plc_snapshot_tag_at(const struct plc_snapshot *snap,
                                                           size_t i);
/** @brief The stored tag called @p name, or NULL (errno ENOENT). */
PLC_API const struct plc_snapshot_tag *plc_snapshot_find_tag(const struct plc_snapshot *snap,
                                                             const char *name);

/** Flag of plc_snapshot_write(): make the current file the backup first. */
#define PLC_SNAPSHOT_KEEP_BACKUP 1u

/**
 * @brief Write a snapshot durably as DIR/LAYOUT.retain (see the file comment).
 *
 * On failure the temporary file is removed and the current and backup files
 * are as they were; @p diag names the file and carries strerror() of the
 * cause. Pass PLC_SNAPSHOT_KEEP_BACKUP unless the current file is known bad
 * (it would replace a good backup).
 * @param tags @p count tags; the values must be of their types.
 * @return 0, or -1 with errno from the failing call (ENOSPC, EIO, EROFS, ...).
 */
PLC_API int plc_snapshot_write(const char *dir, const struct plc_layout *layout, uint64_t seq,
                               const struct plc_snapshot_tag *tags, size_t count,
                               unsigned flags, struct plc_diag *diag);

/**
 * @brief The data a region is made with after a reboot.
 *
 * Fills @p data (the region's data_size bytes) with every tag's initial value,
 * then gives each retained tag of the region its stored value when the
 * snapshot has a tag of the same name and type whose value lies within the
 * tag's min..max. Every retained tag that keeps its initial value is reported
 * by name through @p log and why: not in the snapshot (new), stored as
 * another type, or outside min..max.
 * @param snap May be NULL (no snapshot): initial values only, nothing logged.
 * @return The number of tags given their stored value.
 */
PLC_API size_t plc_retain_restore_region(const struct plc_snapshot *snap,
                                         const struct plc_layout *layout,
                                         const struct plc_region_def *def, void *data,
                                         plc_retain_log_fn *log, void *user);

/**
 * @brief Report the stored tags no retained tag of @p layout takes: gone
 *        from the layout, or no longer retained.
 * @return How many were reported.
 */
PLC_API size_t plc_retain_report_dropped(const struct plc_snapshot *snap,
                                         const struct plc_layout *layout,
                                         plc_retain_log_fn *log, void *user);

/**
 * @brief Print the snapshot in use and each retained tag's stored value
 *        beside its live one (the `plcctl retain` view).
 *
 * Prints the file (and whether it is the backup), its age, sequence and the
 * layout it was taken from, then one row per retained tag of @p layout and per
 * stored tag the layout no longer retains. A live value that cannot be read
 * (region missing) shows as "-".
 * @return 0, or -1 with errno ENOENT (no snapshot yet; @p diag says where it
 *         looked) or as plc_snapshot_load_newest().
 */
PLC_API int plc_retain_show(const struct plc_layout *layout, const char *base_dir,
                            const char *dir, FILE *out, struct plc_diag *diag);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
