/* SPDX-License-Identifier: MIT */
/**
 * @file plc.h
 * @brief libplc: the shared-memory process image every RaspiPLC process links.
 *
 * A region is a file under BASE/LAYOUT/ made by plc-shm-init. One process, the
 * service the layout names as its writer, attaches as writer; any number
 * attach as readers. Writes publish a whole consistent update and never wait
 * for readers; reads are lock-free (a seqlock) and return one consistent
 * snapshot. Errors are -1 or NULL with errno set; plc_strerror() explains our
 * own codes, and calls that meet user input also fill a `struct plc_diag`.
 *
 * A handle is used by one thread at a time; distinct handles are independent.
 */
#ifndef PLC_H
#define PLC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plc-layout.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup errors Errors
 * @{ */

/** Our own errno values start here, above every system errno. */
#define PLC_ERRNO_BASE 0x504c0000

enum {
    PLC_ENOREGION = PLC_ERRNO_BASE + 1, /**< region file missing: plc-shm-init has not run */
    PLC_EMAGIC,      /**< not a RaspiPLC region (bad magic) */
    PLC_EFORMAT,     /**< region header format from another release */
    PLC_ELAYOUT,     /**< made from another layout (name, version or hash) */
    PLC_ESIZE,       /**< file size or data size differ from the layout */
    PLC_EPATH,       /**< a symlink, not a regular file, or outside the base directory */
    PLC_EHELD,       /**< another live process is the writer */
    PLC_ENOTWRITER,  /**< the layout names another service as writer */
    PLC_EDEADWRITER, /**< left mid-write by a writer that died */
    PLC_ERETIRED,    /**< re-created since it was attached: attach again */
    PLC_EBUSY,       /**< kept changing for the whole bounded read */
};

/** @brief Text for an errno value, ours or the system's. Never NULL. */
PLC_API const char *plc_strerror(int errnum);

/** @} */

/** @defgroup region Regions
 * @{ */

struct plc_region;

enum plc_access {
    PLC_READER = 1,
    PLC_WRITER,
};

/** Default base directory when neither a flag, RASPIPLC_BASE_DIR nor the layout sets one. */
#define PLC_BASE_DIR_DEFAULT "/dev/shm/raspiplc"

/**
 * @brief The base directory to use: @p override if neither NULL nor empty, else the
 *        RASPIPLC_BASE_DIR environment variable, else the layout's base_dir,
 *        else PLC_BASE_DIR_DEFAULT.
 */
PLC_API const char *plc_base_dir(const struct plc_layout *layout, const char *override);

/**
 * @brief The file of a region: BASE/LAYOUT/REGION, @p base being a base
 *        directory (plc_base_dir()) and LAYOUT the layout's name. The one
 *        place the path is built; @p region need not be in the layout.
 * @return 0, or -1 with errno ENAMETOOLONG when it does not fit in @p len
 *         (@p buf then holds as much as fits).
 */
PLC_API int plc_region_path(const struct plc_layout *layout, const char *base, const char *region,
                            char *buf, size_t len);

/**
 * @brief Attach to a region of the layout.
 *
 * Validates before use: the file exists (PLC_ENOREGION), is a regular file
 * and no symlink inside @p base_dir (PLC_EPATH), has the layout's size
 * (PLC_ESIZE), magic (PLC_EMAGIC), format (PLC_EFORMAT) and layout name,
 * version and hash (PLC_ELAYOUT). As PLC_WRITER, @p service must be the
 * region's writer in the layout (PLC_ENOTWRITER); the claim is atomic, a live
 * holder is refused (PLC_EHELD, the diag names its pid and name) and the claim
 * of a dead one is taken over. A writer that died in the middle of a write
 * left data it had half written: the new writer puts back the last complete
 * copy and publishes it before attach returns (info.repaired says so), so
 * readers see the region as it was before the unfinished write.
 *
 * @param service The attaching service ("io", "logic", "modbus"); may be NULL for readers.
 * @param diag Optional; says what is wrong, with the region and path.
 * @return A handle to free with plc_region_detach(), or NULL with errno set.
 */
PLC_API struct plc_region *plc_region_attach(const struct plc_layout *layout,
                                             const char *base_dir, const char *region,
                                             enum plc_access access, const char *service,
                                             struct plc_diag *diag);

/** @brief Release the claim (writers), publish counters and unmap; NULL is accepted. */
PLC_API void plc_region_detach(struct plc_region *region);

/** @brief The region's definition in the layout; valid while the layout lives. */
PLC_API const struct plc_region_def *plc_region_get_def(const struct plc_region *region);

/**
 * @brief Read the whole data (data_size bytes) as one consistent snapshot.
 *
 * Lock-free: never blocks the writer or other readers. Retries are bounded
 * (about 100 ms); a region left mid-write by a dead writer fails within about
 * 1 ms with PLC_EDEADWRITER, until the writer's service attaches again and
 * restores the last complete copy.
 * @param buf At least data_size bytes.
 * @return 0, or -1 with errno PLC_EDEADWRITER (left mid-write by a writer that
 *         died), PLC_EBUSY (changed under every retry: a writer publishing
 *         without pause) or PLC_ERETIRED (re-created: attach again).
 */
PLC_API int plc_region_read(struct plc_region *region, void *buf);

/**
 * @brief Read chosen tags from one consistent snapshot.
 * @param tags Tags of this region.
 * @param data A data_size buffer; each tag's bytes land at its offset, the
 *             rest is left as it was.
 * @return As plc_region_read(); EINVAL if a tag is of another region.
 */
PLC_API int plc_region_read_tags(struct plc_region *region,
                                 const struct plc_tag_def *const *tags, size_t count,
                                 void *data);

/** @brief Read one tag's value; as plc_region_read_tags() for one tag. */
PLC_API int plc_region_read_tag(struct plc_region *region, const struct plc_tag_def *tag,
                                double *value);
/** @brief As plc_region_read_tag(), exactly (int64/uint64 past 2^53 included). */
PLC_API int plc_region_read_value(struct plc_region *region, const struct plc_tag_def *tag,
                                  struct plc_value *value);

/**
 * @brief Publish the whole data as one update (writers only).
 * Never waits for readers; wakes processes in plc_region_wait(). Then brings
 * the region's last complete copy up to date (see plc_region_attach()).
 * @return 0, or -1 with errno EPERM (this handle is a reader) or PLC_ERETIRED
 *         (the region was re-created: nothing was written; attach again).
 */
PLC_API int plc_region_write(struct plc_region *region, const void *data);

/**
 * @brief Publish chosen tags, taken from @p data at their offsets, in one update.
 * @return As plc_region_write(); EINVAL if a tag is of another region.
 */
PLC_API int plc_region_write_tags(struct plc_region *region,
                                  const struct plc_tag_def *const *tags, size_t count,
                                  const void *data);

/** @brief Publish one tag's value; as plc_region_write_tags() for one tag. */
PLC_API int plc_region_write_tag(struct plc_region *region, const struct plc_tag_def *tag,
                                 double value);
/** @brief As plc_region_write_tag(), exactly (int64/uint64 past 2^53 included). */
PLC_API int plc_region_write_value(struct plc_region *region, const struct plc_tag_def *tag,
                                   const struct plc_value *value);

/** @brief Say the writer is alive without changing data (writers only). @return 0 or -1. */
PLC_API int plc_region_heartbeat(struct plc_region *region);

/**
 * @brief Say how long this writer may go without a write or heartbeat while
 *        healthy (writers only), so readers that watch its heartbeat (plc-io
 *        on 'outputs') wait at least that long before they call it stalled.
 *        A new claim starts with none said (0).
 * @return 0, or -1 with errno EPERM (not the writer) or EINVAL (negative).
 */
PLC_API int plc_region_set_max_silence(struct plc_region *region, int64_t ns);

/**
 * @brief Wait until the region changes.
 *
 * "Changed" means published since this handle last read or waited. Blocks on
 * a futex, so a waiting reader costs nothing.
 * @param timeout_ns 0 polls, negative waits for ever.
 * @return 1 changed, 0 timed out, -1 error: errno EINTR when a signal came,
 *         PLC_EDEADWRITER when a dead writer left the region mid-write (it cannot
 *         change until its service restarts), PLC_ERETIRED when re-created.
 */
PLC_API int plc_region_wait(struct plc_region *region, int64_t timeout_ns);

/**
 * @brief Whether a live process holds the writer claim.
 * Uses a pidfd where the kernel has one, PID plus start time elsewhere; a
 * writer's death is seen as soon as it happens.
 * @return 1 alive, 0 no writer or a dead one.
 */
PLC_API int plc_region_writer_alive(struct plc_region *region);

/**
 * @brief Whether the file behind the handle is still the region at its path.
 * @return 0, or -1 with errno PLC_ERETIRED (re-created or removed: attach again).
 */
PLC_API int plc_region_check(struct plc_region *region);

/** @brief A copy of a region's header, for tools. */
struct plc_region_info {
    char region[32];
    char layout[32];
    unsigned layout_version;
    uint64_t layout_hash;
    char writer_service[32]; /**< the writer the layout names */
    char holder[16];         /**< process name of the claim holder */
    pid_t writer_pid;        /**< 0 when unclaimed */
    bool writer_alive;
    pid_t took_over_from;    /**< pid of a dead writer this handle replaced, or 0 */
    size_t size, data_size;
    uint32_t seq, epoch;
    uint64_t created_ns;     /**< CLOCK_REALTIME */
    int64_t heartbeat_age_ns; /**< -1 when never written */
    int64_t update_age_ns;    /**< -1 when never written */
    uint64_t writes, reads, retries, stale_reads, attaches;
    uint32_t repairs; /**< half-done writes of dead writers undone (see plc_region_attach) */
    uint32_t claims;  /**< writer claims taken since the region was made: its writer's starts */
    int64_t max_silence_ns; /**< what the holder said with plc_region_set_max_silence(), or 0 */
    bool repaired;    /**< this handle's claim undid one */
};

/** @brief Fill @p info (also publishes this handle's counters). @return 0 or -1. */
PLC_API int plc_region_get_info(struct plc_region *region, struct plc_region_info *info);

/**
 * @brief Count processes that map the region file, from /proc (tools only: slow).
 * @return the count, or -1 with errno set.
 */
PLC_API int plc_region_count_mappers(struct plc_region *region);

/** @} */

/**
 * @brief mkdir -p: make @p dir and its missing parents with @p mode.
 * @return 0, or -1 with errno set and @p diag naming the directory that failed.
 */
PLC_API int plc_dir_make(const char *dir, mode_t mode, struct plc_diag *diag);

/** @defgroup create Creating regions (plc-shm-init only)
 * @{ */

/**
 * @brief Make BASE/LAYOUT, the directory the regions go in, or check it.
 *
 * @p base must be absolute with no '..' (plc_base_dir_check()); BASE/LAYOUT
 * must be a directory, not a symlink (PLC_EPATH): every region is made in it
 * through a descriptor, so none can land outside the base directory.
 * plc_region_create() does this itself; plc-shm-init calls it first so that a
 * bad directory is one error, not one per region.
 * @return 0, or -1 with errno and @p diag set.
 */
PLC_API int plc_layout_dir_make(const struct plc_layout *layout, const char *base,
                                struct plc_diag *diag);

enum plc_create_result {
    PLC_CREATE_ERROR = -1,
    PLC_CREATE_MADE = 1, /**< did not exist: created with initial values */
    PLC_CREATE_KEPT,     /**< existed and matches the layout: left alone, data kept */
    PLC_CREATE_REMADE,   /**< existed from another layout: re-created (with PLC_CREATE_FORCE) */
};

#define PLC_CREATE_FORCE 1u /**< re-create a region made from another layout */

/**
 * @brief Make one region of the layout under BASE/LAYOUT/, or keep it.
 *
 * A new region is built under a temporary name, filled with initial values,
 * its header made valid last, then renamed into place: nobody sees it half
 * made. An incompatible region is refused (PLC_ELAYOUT, PLC_ESIZE, ...) with
 * both descriptions in @p diag, unless @p flags has PLC_CREATE_FORCE.
 */
PLC_API enum plc_create_result plc_region_create(const struct plc_layout *layout,
                                                 const char *base_dir,
                                                 const struct plc_region_def *def,
                                                 unsigned flags, struct plc_diag *diag);

/**
 * @brief As plc_region_create(), with the data a made region starts with.
 *
 * @p initial (data_size bytes, or NULL for the layout's initial values) is
 * used only when the region is made (PLC_CREATE_MADE or PLC_CREATE_REMADE);
 * a kept region keeps its live data. plc-shm-init passes the values restored
 * from a retain snapshot here (see plc-retain.h).
 */
PLC_API enum plc_create_result plc_region_create_with(const struct plc_layout *layout,
                                                      const char *base_dir,
                                                      const struct plc_region_def *def,
                                                      unsigned flags, const void *initial,
                                                      struct plc_diag *diag);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
