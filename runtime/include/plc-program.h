/* SPDX-License-Identifier: MIT */
/**
 * @file plc-program.h
 * @brief The PLC program ABI: what a program exports and what its scan gets.
 *
 * A program is C compiled against the generated layout header (plc-image.h)
 * into a shared object that exports one descriptor, made with PLC_PROGRAM():
 *
 * @code
 * #include "plc-image.h"
 * #include "plc-program.h"
 * #include "plc-iec.h"
 *
 * struct state { struct plc_timer delay; };
 *
 * static int scan(struct plc_ctx *ctx)
 * {
 *     const struct plc_image *io = ctx->image;
 *     struct state *st = ctx->state;
 *     io->outputs->motor_run = plc_ton(&st->delay, io->inputs->start_button,
 *                                      PLC_MS(500), ctx->now_ns);
 *     return 0;
 * }
 * PLC_PROGRAM("motor", sizeof(struct state), NULL, scan);
 * @endcode
 *
 * plc-logic refuses a program built for another layout (both hashes in the
 * message). See docs/programs.md for building (plc_add_program() in CMake)
 * and loading (plc-logic --program, SIGHUP to reload).
 */
#ifndef PLC_PROGRAM_H
#define PLC_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Version of this ABI; a program of another version is refused. */
#define PLC_PROGRAM_ABI 1u
/** Name of the descriptor symbol a program exports. */
#define PLC_PROGRAM_SYMBOL "plc_program"

/** An opaque region snapshot; the program sees it typed through struct plc_image. */
struct plc_region_data;

/** @brief What a program's init and scan get. Valid for the call only. */
struct plc_ctx {
    uint32_t abi;          /**< PLC_PROGRAM_ABI */
    uint32_t region_count; /**< entries in image (PLC_REGION_COUNT) */
    /**
     * One pointer per region, in layout order: a `const struct plc_image *`
     * of the generated header. Regions other services write are this scan's
     * consistent snapshot (read them); regions the logic writes hold the
     * values last published, and what the scan leaves in them is published
     * in one atomic write after it returns.
     */
    const void *image;
    /** Scan time: this scan's deadline, ns since the engine started. Pass it to timers. */
    uint64_t now_ns;
    /** Scan time since the previous scan, ns (0 on the first scan). */
    uint64_t dt_ns;
    uint64_t scan_count;   /**< scans run before this one since the program started */
    /** First scan after load, reload or fault restart; not after an online
     *  change (a reload between two programs that export plc_st_meta). */
    bool first_scan;
    /**
     * The program's own state: state_size bytes, zeroed at first load and at
     * a restart after a fault, kept across SIGHUP reloads of a program with
     * the same name and state_size. A program that exports plc_st_meta
     * (plc-st.h) has it carried variable by variable instead. Lost when the
     * process exits (use tags with retain = yes for what must survive that).
     */
    void *state;
    /**
     * Set by a scan or init that returns nonzero to say why, e.g.
     * "tank.st:12: division by zero" (a string that outlives the call: a
     * literal). The engine zeroes it before each call and puts it in the
     * fault's message. Programs built before it existed leave it NULL.
     */
    const char *fault;
};

/**
 * @brief One cyclic task of a program (PLC_PROGRAM_TASKS()).
 *
 * The engine ticks at the layout's period, or at the greatest common divisor
 * of the intervals when the layout sets none, and on each tick runs the tasks
 * due (every interval / tick ticks, the first tick included) in priority
 * order, ties in table order. Each task's ctx says its own scan count, first
 * scan and dt; all share ctx->state and the tick's snapshot.
 */
struct plc_task {
    const char *name;      /**< unique in the program (case ignored); diagnostics tags
                            *   task_<name>_* show its statistics */
    uint64_t interval_ns;  /**< above 0, a multiple of 1 us */
    uint32_t priority;     /**< 0 runs first, as IEC 61131-3 PRIORITY */
    /** Called when the task is due. Nonzero faults the PLC, as a scan does. */
    int (*scan)(struct plc_ctx *ctx);
};

/** @brief The descriptor a program exports as PLC_PROGRAM_SYMBOL. */
struct plc_program {
    uint32_t abi;          /**< PLC_PROGRAM_ABI */
    uint32_t size;         /**< sizeof(struct plc_program) */
    const char *name;
    const char *layout_name;
    uint32_t layout_version;
    uint64_t layout_hash;  /**< PLC_LAYOUT_HASH it was compiled against */
    size_t state_size;
    /** Called before the first scan (and after reload or restart); may be NULL. Nonzero faults. */
    int (*init)(struct plc_ctx *ctx);
    /** Called once per scan. Nonzero faults the PLC (outputs go safe). NULL
     *  when the program has tasks. */
    int (*scan)(struct plc_ctx *ctx);
    /* Added after ABI 1's first release; size says whether a program has
     * them (PLC_PROGRAM_SIZE_NO_TASKS: it does not, and runs scan). */
    uint32_t task_count;          /**< entries in tasks; 0: scan runs every period */
    const struct plc_task *tasks; /**< see struct plc_task; NULL when task_count is 0 */
};

/** The size of a descriptor built before tasks existed: still loaded. */
#define PLC_PROGRAM_SIZE_NO_TASKS offsetof(struct plc_program, task_count)

#define PLC_PROGRAM_EXPORT __attribute__((visibility("default"), used))

/**
 * @brief Export the program descriptor. Use once, after including plc-image.h.
 * @param NAME a string; STATE_SIZE bytes of ctx->state; INIT may be NULL.
 */
#define PLC_PROGRAM(NAME, STATE_SIZE, INIT, SCAN)                                         \
    PLC_PROGRAM_DESCRIPTOR_(NAME, STATE_SIZE, INIT, SCAN, 0u, NULL)

/* Both macros' descriptor: one definition of what the engine checks. */
#define PLC_PROGRAM_DESCRIPTOR_(NAME, STATE_SIZE, INIT, SCAN, TASK_COUNT, TASKS)            \
    PLC_PROGRAM_EXPORT const struct plc_program plc_program = {                           \
        .abi = PLC_PROGRAM_ABI,                                                           \
        .size = sizeof(struct plc_program),                                               \
        .name = (NAME),                                                                   \
        .layout_name = PLC_LAYOUT_NAME,                                                   \
        .layout_version = PLC_LAYOUT_VERSION,                                             \
        .layout_hash = PLC_LAYOUT_HASH,                                                   \
        .state_size = (STATE_SIZE),                                                       \
        .init = (INIT),                                                                   \
        .scan = (SCAN),                                                                   \
        .task_count = (TASK_COUNT),                                                       \
        .tasks = (TASKS),                                                                 \
    }

/**
 * @brief Export a descriptor whose scan is split in cyclic tasks.
 * @param TASKS a `static const struct plc_task[]` (its element count is taken).
 *
 * @code
 * static const struct plc_task tasks[] = {
 *     {"fast", PLC_MS(10), 0, fast_scan},
 *     {"slow", PLC_MS(100), 1, slow_scan},
 * };
 * PLC_PROGRAM_TASKS("mixer", sizeof(struct state), NULL, tasks);
 * @endcode
 */
#define PLC_PROGRAM_TASKS(NAME, STATE_SIZE, INIT, TASKS)                                  \
    PLC_PROGRAM_DESCRIPTOR_(NAME, STATE_SIZE, INIT, NULL,                                 \
                            (uint32_t)(sizeof(TASKS) / sizeof((TASKS)[0])), (TASKS))

#ifdef __cplusplus
}
#endif

#endif
