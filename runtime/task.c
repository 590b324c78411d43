/* SPDX-License-Identifier: MIT */
/*
 * The schedule of cyclic tasks (plc-task.h): checking a program's table, the
 * tick, the order within a tick and which tasks a tick runs. Pure functions:
 * the engine (scan.c) and `plc-st sim` both call them.
 */
#include <errno.h>
#include <inttypes.h>
#include <strings.h>

#include "internal.h"
#include "plc-task.h"

int plc_program_tasks(const struct plc_program *p, const struct plc_task **tasks, size_t *count,
                      struct plc_diag *diag)
{
    const char *prog = p->name ? p->name : "?";
    *tasks = NULL;
    *count = 0;
    if (p->size < sizeof(struct plc_program) || p->task_count == 0)
        return 0;
    if (p->task_count > PLC_TASK_MAX || !p->tasks)
        return plc_fail(diag, NULL, EINVAL, "program '%s': %" PRIu32 " tasks%s (at most %u)",
                        prog, p->task_count, p->tasks ? "" : " and no table", PLC_TASK_MAX);
    for (uint32_t i = 0; i < p->task_count; i++) {
        const struct plc_task *t = &p->tasks[i];
        if (!t->name || !t->name[0])
            return plc_fail(diag, NULL, EINVAL, "program '%s': task %" PRIu32 " has no name",
                            prog, i);
        if (!t->scan)
            return plc_fail(diag, NULL, EINVAL, "program '%s': task '%s' has no scan function",
                            prog, t->name);
        if (t->interval_ns == 0 || t->interval_ns % 1000u)
            return plc_fail(diag, NULL, EINVAL,
                            "program '%s': task '%s': interval %" PRIu64 " ns is not a whole "
                            "number of us above 0",
                            prog, t->name, t->interval_ns);
        for (uint32_t j = 0; j < i; j++)
            if (p->tasks[j].name && strcasecmp(p->tasks[j].name, t->name) == 0)
                return plc_fail(diag, NULL, EINVAL, "program '%s': two tasks named '%s'", prog,
                                t->name);
    }
    *tasks = p->tasks;
    *count = p->task_count;
    return 0;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

uint64_t plc_tasks_tick(const struct plc_task *tasks, size_t count)
{
    uint64_t g = 0;
    for (size_t i = 0; i < count; i++)
        g = gcd(tasks[i].interval_ns, g);
    return g;
}

int plc_tasks_check_tick(const struct plc_task *tasks, size_t count, uint64_t tick_ns,
                         struct plc_diag *diag)
{
    for (size_t i = 0; i < count; i++)
        if (tick_ns == 0 || tasks[i].interval_ns % tick_ns)
            return plc_fail(diag, NULL, EINVAL,
                            "task '%s': interval %" PRIu64 " us is not a multiple of the "
                            "period %" PRIu64 " us: set a period that divides every task's "
                            "interval, or none (the tick is then their common divisor)",
                            tasks[i].name, tasks[i].interval_ns / 1000u, tick_ns / 1000u);
    return 0;
}

void plc_tasks_order(const struct plc_task *tasks, size_t count, size_t *order)
{
    /* insertion sort: stable, and count is at most PLC_TASK_MAX */
    for (size_t i = 0; i < count; i++) {
        size_t j = i;
        while (j > 0 && tasks[order[j - 1]].priority > tasks[i].priority) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
}

bool plc_task_due(const struct plc_task *task, uint64_t tick_ns, uint64_t tick_index)
{
    uint64_t every = tick_ns ? task->interval_ns / tick_ns : 1;
    return every <= 1 || tick_index % every == 0;
}
