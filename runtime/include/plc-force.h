/* SPDX-License-Identifier: MIT */
/**
 * @file plc-force.h
 * @brief The forcing table: tags held at a value an operator chose, for
 *        commissioning (docs/forcing.md), and alarms an operator shelved
 *        (docs/alarms.md): the operator's overrides, in one file.
 *
 * One file per layout, BASE/LAYOUT/force, next to the regions: a fixed table
 * of PLC_FORCE_CAPACITY entries (tag, value, until when, by whom, since when).
 * Only plcctl writes it, taking the writer claim for one invocation; the
 * services that own the forced tags read it lock-free and apply it: plc-io
 * overrides forced inputs before it publishes them, plc-logic forced outputs
 * after the program wrote them. A generation counter (a seqlock) guards the
 * table: a reader never uses a half-written one, and when nothing changed a
 * reader's whole cost is one atomic load. Only inputs (regions written by io)
 * and the logic's 'outputs' can be forced. plc-shm-init makes the table empty
 * every time it runs, so a reboot clears every force.
 *
 * Shelvings have entries of their own (PLC_SHELVE_CAPACITY, after the
 * forces'), so neither kind crowds the other out; the scan engine applies
 * them to its alarm set (plc_force_table_poll_shelved()).
 *
 * Errors are -1 or NULL with errno set; calls that meet user input also fill
 * a `struct plc_diag`. A handle is used by one thread at a time.
 */
#ifndef PLC_FORCE_H
#define PLC_FORCE_H

#include <stdint.h>

#include "plc-event.h"
#include "plc.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup force Forcing
 * @{ */

/** How many tags may be forced at once. */
#define PLC_FORCE_CAPACITY 64u
/** until_ns of a force that never expires (only where [logic] force_max = forever). */
#define PLC_FORCE_FOREVER INT64_MAX

/** @brief One force, as plc_force_table_list() gives it. */
struct plc_force {
    const struct plc_tag_def *tag; /**< the forced tag, in the layout the table was opened with */
    struct plc_value value;        /**< the value it is held at, exactly */
    int64_t since_ns;              /**< CLOCK_REALTIME when it was forced */
    int64_t until_ns;              /**< CLOCK_REALTIME when it ends, or PLC_FORCE_FOREVER */
    uint32_t uid;                  /**< who forced it */
    char user[32];                 /**< ... by name */
};

/** How many alarms may be shelved at once, besides the forces. */
#define PLC_SHELVE_CAPACITY 64u

/** @brief One shelving, as plc_force_table_list_shelved() gives it. */
struct plc_shelving {
    const struct plc_alarm_def *alarm; /**< the alarm, in the layout the table was opened with */
    size_t index;                      /**< its index (plc_layout_alarm_at()) */
    int64_t since_ns;                  /**< CLOCK_REALTIME when it was shelved */
    int64_t until_ns;                  /**< CLOCK_REALTIME when the shelving ends */
    uint32_t uid;                      /**< who shelved it */
    char user[32];                     /**< ... by name */
};

/** Handle of an open forcing table; opaque. */
struct plc_force_table;

/**
 * @brief The table's file: BASE/LAYOUT/force (plc_region_path()). The one
 *        place its name is built.
 * @return 0, or -1 with errno ENAMETOOLONG.
 */
PLC_API int plc_force_table_path(const struct plc_layout *layout, const char *base, char *buf,
                                 size_t len);

/**
 * @brief Whether @p tag may be forced: a tag of a region written by io (an
 *        input) or of the logic's region 'outputs'.
 * @param diag Optional; on 0, "tag 'x' is in region 'status' (written by
 *        logic): only inputs and outputs can be forced".
 * @return 1 or 0.
 */
PLC_API int plc_force_tag_check(const struct plc_tag_def *tag, struct plc_diag *diag);

/**
 * @brief A value to force @p tag to, from text: bool 0/1/true/false, an
 *        integer within the tag's type, a finite float32.
 * @param diag Optional; names the tag, the value and what it should be.
 * @return 0, or -1 with errno EINVAL (not a value of the type) or ERANGE.
 */
PLC_API int plc_force_value_parse(const struct plc_tag_def *tag, const char *text,
                                  struct plc_value *value, struct plc_diag *diag);

/**
 * @brief Make the table empty (plc-shm-init, every time it runs).
 *
 * A table of this layout is emptied in place, so services that have it open
 * see every force go; anything else at the path (missing, another layout, no
 * table) is replaced by a new empty table, built under a temporary name and
 * renamed in. Mode 0660, and group @p group when not NULL or empty.
 * @param diag Optional; names the file and what failed.
 * @return PLC_CREATE_MADE (a new file), PLC_CREATE_KEPT (emptied in place),
 *         or PLC_CREATE_ERROR with errno: PLC_EHELD (a plcctl writes it right
 *         now), ENOENT (no such group), PLC_EPATH, or a system errno.
 */
PLC_API enum plc_create_result plc_force_table_create(const struct plc_layout *layout,
                                                      const char *base, const char *group,
                                                      struct plc_diag *diag);

/**
 * @brief Open the table of @p layout under @p base.
 *
 * Checks the magic (PLC_EMAGIC), format (PLC_EFORMAT), size (PLC_ESIZE) and
 * layout hash (PLC_ELAYOUT), as for regions. As PLC_WRITER (plcctl) the file
 * must be writable (EACCES: only the table's group may force) and the claim
 * is taken (PLC_EHELD while another live plcctl holds it; a dead one's is
 * taken over, and a half-written table it left is made consistent again).
 * @param diag Optional; names the file and what is wrong.
 * @return A handle to free with plc_force_table_close(), or NULL with errno
 *         set (ENOENT when plc-shm-init has not made it).
 */
PLC_API struct plc_force_table *plc_force_table_open(const struct plc_layout *layout,
                                                     const char *base, enum plc_access access,
                                                     struct plc_diag *diag);

/** @brief Release the claim (writers) and unmap; NULL is accepted. */
PLC_API void plc_force_table_close(struct plc_force_table *table);

/**
 * @brief Force @p f->tag to @p f->value until @p f->until_ns (writers only).
 *        A force of the same tag is replaced. since_ns, uid and user are
 *        taken as given.
 * @return 0, or -1 with errno EPERM (a reader), EINVAL (a tag that cannot
 *         be forced) or ENOSPC (PLC_FORCE_CAPACITY tags forced already).
 */
PLC_API int plc_force_table_set(struct plc_force_table *table, const struct plc_force *f);

/**
 * @brief Release the force of @p tag, or of every tag when @p tag is NULL
 *        (writers only); expired entries are dropped on the way.
 * @param released Optional; filled with the forces released (those still
 *        in force), at most @p max.
 * @return How many were released (expired ones not counted), or -1 with
 *         errno EPERM.
 */
PLC_API int plc_force_table_clear(struct plc_force_table *table, const struct plc_tag_def *tag,
                                  struct plc_force *released, size_t max);

/**
 * @brief The forces in force at @p now_ns (CLOCK_REALTIME; 0 for now), from
 *        one consistent copy of the table.
 * @param out At least PLC_FORCE_CAPACITY entries, or NULL to count only.
 * @return Their number, or -1 with errno PLC_EBUSY (the table kept changing).
 */
PLC_API int plc_force_table_list(struct plc_force_table *table, int64_t now_ns,
                                 struct plc_force *out);

/**
 * @brief The force on @p tag in force at @p now_ns (0 for now), from one
 *        consistent copy of the table.
 * @return 1 with @p out filled (if not NULL), 0 when the tag is not forced.
 */
PLC_API int plc_force_table_find(struct plc_force_table *table, const struct plc_tag_def *tag,
                                 int64_t now_ns, struct plc_force *out);

/**
 * @brief Where an applier tells that a force it applied expired: a
 *        FORCE_OFF event from @p source in @p ring (NULL: no events).
 */
PLC_API void plc_force_table_set_events(struct plc_force_table *table,
                                        struct plc_event_ring *ring,
                                        enum plc_event_source source);

/**
 * @brief Write the forced values of the tags of region @p def into @p data
 *        (that region's data), as of @p now_ns (CLOCK_REALTIME).
 *
 * Takes the table's latest complete state (a table being written is skipped:
 * the previous one is used), one atomic load when nothing changed. Expired
 * forces are not applied; the first call that finds a force it applied
 * expired appends FORCE_OFF (see plc_force_table_set_events()). Makes no
 * system call and allocates nothing.
 * @return How many tags were written.
 */
PLC_API size_t plc_force_table_apply(struct plc_force_table *table,
                                     const struct plc_region_def *def, void *data,
                                     int64_t now_ns);

/**
 * @brief Shelve @p s->alarm until @p s->until_ns (writers only). A shelving
 *        of the same alarm is replaced. since_ns, uid and user are taken as
 *        given; the caller checks the alarm's shelve_max and tells the
 *        operator.
 * @return 0, or -1 with errno EPERM (a reader), EINVAL (an alarm not of the
 *         table's layout, or until_ns not after since_ns), ERANGE (longer
 *         than the alarm's shelve_max) or ENOSPC (PLC_SHELVE_CAPACITY alarms
 *         shelved already).
 */
PLC_API int plc_force_table_shelve(struct plc_force_table *table, const struct plc_shelving *s);

/**
 * @brief End the shelving of @p alarm, or of every alarm when @p alarm is
 *        NULL (writers only); expired shelvings are dropped on the way.
 *        Forces are left alone.
 * @param released Optional; filled with the shelvings ended (those still in
 *        force), at most @p max.
 * @return How many were ended (expired ones not counted), or -1 with errno
 *         EPERM.
 */
PLC_API int plc_force_table_unshelve(struct plc_force_table *table,
                                     const struct plc_alarm_def *alarm,
                                     struct plc_shelving *released, size_t max);

/**
 * @brief The shelvings in force at @p now_ns (CLOCK_REALTIME; 0 for now),
 *        from one consistent copy of the table, in table order.
 * @param out At least PLC_SHELVE_CAPACITY entries, or NULL to count only.
 * @return Their number, or -1 with errno PLC_EBUSY (the table kept changing).
 */
PLC_API int plc_force_table_list_shelved(struct plc_force_table *table, int64_t now_ns,
                                         struct plc_shelving *out);

/**
 * @brief For the applier (the scan engine): every shelving in the table,
 *        expired ones too, when the table changed since this handle's last
 *        call; the first call always reports.
 *
 * Like plc_force_table_apply(), takes the latest complete state (a table
 * being written is skipped) with one atomic load when nothing changed, makes
 * no system call and allocates nothing.
 * @param out At least PLC_SHELVE_CAPACITY entries.
 * @param n Set to how many were filled, when the call returns 1.
 * @return 1 when @p out holds a new picture, 0 when nothing changed.
 */
PLC_API int plc_force_table_poll_shelved(struct plc_force_table *table, struct plc_shelving *out,
                                         size_t *n);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
