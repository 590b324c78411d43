/* SPDX-License-Identifier: MIT */
/**
 * @file plc-task.h
 * @brief The schedule of a program's cyclic tasks (struct plc_task), shared
 *        by the scan engine and `plc-st sim` so both run the same one.
 *
 * As OpenPLC v3 runs a resource's tasks: one tick (the layout's period, or
 * the greatest common divisor of the intervals), and on each tick every task
 * whose interval divides the time since the start, in priority order (0
 * first), ties in declaration order.
 */
#ifndef PLC_TASK_H
#define PLC_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plc.h"
#include "plc-program.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup task Cyclic tasks
 * @{ */

/** The most tasks a program may have (the statistics keep one entry each). */
#define PLC_TASK_MAX 16u

/**
 * @brief A program's tasks, checked.
 * @param tasks Set to the table, or NULL when the program has none (it runs
 *        its scan every period, as programs built before tasks existed do).
 * @param count Set to the number of tasks, 0 for none.
 * @param diag Optional; names the program and the task at fault.
 * @return 0, or -1 with errno EINVAL: more than PLC_TASK_MAX tasks, a task
 *         without a name or a scan function, two of the same name (ASCII
 *         case ignored), an interval of 0 or not a whole number of us.
 */
PLC_API int plc_program_tasks(const struct plc_program *p, const struct plc_task **tasks,
                              size_t *count, struct plc_diag *diag);

/** @brief The greatest common divisor of the intervals, ns; 0 for no task. */
PLC_API uint64_t plc_tasks_tick(const struct plc_task *tasks, size_t count);

/**
 * @brief Check that every interval is a multiple of @p tick_ns (a period the
 *        layout sets instead of the divisor).
 * @return 0, or -1 with errno EINVAL and @p diag naming the task and both values.
 */
PLC_API int plc_tasks_check_tick(const struct plc_task *tasks, size_t count, uint64_t tick_ns,
                                 struct plc_diag *diag);

/**
 * @brief The order tasks run in within a tick: @p order[0..count) gets the
 *        indexes by priority (0 first), equal priorities in table order.
 */
PLC_API void plc_tasks_order(const struct plc_task *tasks, size_t count, size_t *order);

/**
 * @brief Whether @p task is due on tick @p tick_index (0: the first tick,
 *        when every task is) of @p tick_ns each.
 */
PLC_API bool plc_task_due(const struct plc_task *task, uint64_t tick_ns, uint64_t tick_index);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
