/* SPDX-License-Identifier: MIT */
/**
 * @file plc-alarm.h
 * @brief The alarm state machine: the layout's alarms evaluated once per scan.
 *
 * A struct plc_alarm_set holds the state of every alarm a layout declares
 * (struct plc_alarm_def, docs/alarms.md). The caller evaluates it once per
 * scan against its snapshot of the tags, through a callback that reads a
 * tag's value, and acknowledges and shelves alarms for the operator. States
 * are ISA-18.2's: normal, unacknowledged active, acknowledged active,
 * unacknowledged return-to-normal.
 *
 * Time is the caller's, in nanoseconds (CLOCK_MONOTONIC in the scan engine, a
 * simulated clock in tests); nothing here reads a clock, allocates after
 * plc_alarm_set_new() or prints. A set is not thread-safe: one thread
 * evaluates, acknowledges and shelves, or the caller locks.
 */
#ifndef PLC_ALARM_STATE_MACHINE_H
#define PLC_ALARM_STATE_MACHINE_H /* not PLC_ALARM_H: the high limit of plc-layout.h */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plc.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup alarm Alarm state machine
 * @{ */

/** @brief An alarm's ISA-18.2 state. */
enum plc_alarm_state {
    PLC_ALARM_STATE_ERROR = -1,
    PLC_ALARM_NORMAL = 1,   /**< condition clear, nothing to acknowledge */
    PLC_ALARM_UNACK_ACTIVE, /**< condition present, not acknowledged */
    PLC_ALARM_ACK_ACTIVE,   /**< condition present (or latched), acknowledged */
    PLC_ALARM_UNACK_RTN,    /**< condition cleared before it was acknowledged */
};

/**
 * @brief Everything the set keeps about one alarm: what the getters show and
 *        what plc_alarm_set_get_state() saves. A plain struct, no pointers.
 */
struct plc_alarm_status {
    enum plc_alarm_state state;
    /** The condition as the alarm sees it: past its limit (or, once raised,
     *  past limit -/+ deadband) for its delay; for a bool, the level or edge. */
    bool condition;
    /** Shelved: the condition is still evaluated, the state stays NORMAL and
     *  nothing is reported until unshelved or shelved_until_ns passes. */
    bool shelved;
    int64_t shelved_until_ns;
    int64_t changed_ns; /**< when the state last changed; 0 before it ever did */
    int64_t pending_ns; /**< since when the condition waits out the delay; -1 none */
    double last;        /**< the value at the last evaluation (edges need it) */
    bool seen;          /**< evaluated at least once */
};

struct plc_alarm_set;

/**
 * @brief Where the set reads a tag's value: from the caller's snapshot, the
 *        same the program sees. Called for each alarm's tag and limit tag.
 */
typedef double plc_alarm_value_fn(void *user, const struct plc_tag_def *tag);

/**
 * @brief Told each state change evaluation makes, in alarm order.
 * @param alarm The alarm's index in the layout (plc_layout_alarm_at()).
 * @param value The tag's value that brought the change.
 */
typedef void plc_alarm_transition_fn(void *user, size_t alarm, enum plc_alarm_state from,
                                     enum plc_alarm_state to, double value, int64_t now_ns);

/**
 * @brief A set of the alarms of @p layout, every one NORMAL.
 * @param layout Must outlive the set.
 * @return A set to free with plc_alarm_set_free(), or NULL with errno ENOMEM.
 */
PLC_API struct plc_alarm_set *plc_alarm_set_new(const struct plc_layout *layout);

/** @brief Free a set; NULL is accepted. */
PLC_API void plc_alarm_set_free(struct plc_alarm_set *set);

/** @brief How many alarms the set holds (plc_layout_alarm_count()). */
PLC_API size_t plc_alarm_set_count(const struct plc_alarm_set *set);

/** @brief The index of the alarm called @p name, or -1 with errno ENOENT. */
PLC_API long plc_alarm_set_find(const struct plc_alarm_set *set, const char *name);

/** @brief Alarm @p i's status, valid until the next call on the set; NULL past the end. */
PLC_API const struct plc_alarm_status *plc_alarm_set_status_at(const struct plc_alarm_set *set,
                                                               size_t i);

/**
 * @brief Evaluate every alarm once, against values read through @p value_of.
 *
 * First ends each shelving whose time has come, then for each alarm reads its
 * tag (and limit tag), updates its condition (deadband, delay, edge) and its
 * state, calling @p on_transition for each change. No allocation; O(alarms).
 * @param on_transition May be NULL.
 * @return the number of state changes.
 */
PLC_API int plc_alarm_set_evaluate(struct plc_alarm_set *set, plc_alarm_value_fn *value_of,
                                   void *user, int64_t now_ns,
                                   plc_alarm_transition_fn *on_transition, void *user2);

/**
 * @brief The operator acknowledges alarm @p i: UNACK_ACTIVE becomes
 *        ACK_ACTIVE, UNACK_RTN becomes NORMAL, and a latched alarm whose
 *        condition has cleared becomes NORMAL. Anything else is left as it is.
 * @return 1 when the state changed, 0 when there was nothing to acknowledge,
 *         -1 with errno ENOENT past the end.
 */
PLC_API int plc_alarm_set_ack(struct plc_alarm_set *set, size_t i, int64_t now_ns);

/** @brief plc_alarm_set_ack() on every alarm. @return how many changed. */
PLC_API int plc_alarm_set_ack_all(struct plc_alarm_set *set, int64_t now_ns);

/**
 * @brief The operator shelves alarm @p i until @p until_ns: its state becomes
 *        NORMAL (the caller records the shelving itself) and stays so while
 *        shelved; its condition is still evaluated, so when the shelving ends
 *        the next evaluation raises it again if the condition holds. Shelving
 *        a shelved alarm sets a new end.
 * @param diag Optional; on failure says why, naming the alarm.
 * @return 0, or -1 with errno ENOENT (past the end), EINVAL (@p until_ns not
 *         after @p now_ns) or ERANGE (longer than the alarm's shelve_max).
 */
PLC_API int plc_alarm_set_shelve(struct plc_alarm_set *set, size_t i, int64_t now_ns,
                                 int64_t until_ns, struct plc_diag *diag);

/**
 * @brief End alarm @p i's shelving now; the next evaluation treats it as any
 *        NORMAL alarm.
 * @return 1 when it was shelved, 0 when not, -1 with errno ENOENT past the end.
 */
PLC_API int plc_alarm_set_unshelve(struct plc_alarm_set *set, size_t i);

/**
 * @brief Copy the status of every alarm into @p out, to keep across a restart.
 * @param n The room in @p out, at least plc_alarm_set_count().
 * @return the number copied, or -1 with errno ENOSPC.
 */
PLC_API long plc_alarm_set_get_state(const struct plc_alarm_set *set, struct plc_alarm_status *out,
                                     size_t n);

/**
 * @brief Restore what plc_alarm_set_get_state() saved from a set of the same
 *        layout (the caller checks the layout hash). Times are the caller's
 *        clock: across a reboot it rebases shelved_until_ns, changed_ns and
 *        pending_ns itself.
 * @return 0, or -1 with errno EINVAL (@p n is not the count, or a state is
 *         not one of the enum's); the set is unchanged then.
 */
PLC_API int plc_alarm_set_set_state(struct plc_alarm_set *set, const struct plc_alarm_status *in,
                                    size_t n);

/**
 * @brief The state the alarm region's two bits of an alarm say (plc_layout_alarm_bit()):
 *        active and unacked UNACK_ACTIVE, active ACK_ACTIVE, unacked UNACK_RTN, neither
 *        NORMAL (a shelved alarm shows NORMAL).
 */
PLC_API enum plc_alarm_state plc_alarm_state_from_bits(bool active, bool unacked);

/** @brief "normal", "unack_active", "ack_active", "unack_rtn", or NULL. */
PLC_API const char *plc_alarm_state_name(enum plc_alarm_state state);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
