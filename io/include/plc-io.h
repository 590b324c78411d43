/* SPDX-License-Identifier: MIT */
/**
 * @file plc-io.h
 * @brief libplc_io: the GPIO I/O service (plc-io) as a library, and the
 *        simulated field its sim backend drives.
 *
 * plc-io is the only writer of the input regions (writer = io) and the only
 * code that drives output lines. Input lines are tags of input regions with a
 * GPIO binding; output lines are tags of the region 'outputs' with one. Lines
 * are reached through a backend: "gpiod" (libgpiod, v1 or v2 as built) or
 * "sim" (a simulated field in shared memory, see @ref simfield).
 *
 * A handle is used by one thread at a time, except plc_io_stop(), which is
 * async-signal-safe and may be called from anywhere.
 */
#ifndef PLC_IO_H
#define PLC_IO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "plc-event.h"
#include "plc.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup io The I/O service
 * @{ */

/** Default heartbeat timeout of the outputs writer before outputs go safe. */
#define PLC_IO_HEARTBEAT_TIMEOUT_NS_DEFAULT (500 * 1000000LL)
/** Default consumer name the lines are requested with. */
#define PLC_IO_CONSUMER_DEFAULT "plc-io"

/** @brief What plc_io_new() needs. Strings are copied. */
struct plc_io_config {
    const struct plc_layout *layout; /**< required; must outlive the handle */
    const char *base_dir;            /**< required (see plc_base_dir()) */
    const char *backend;             /**< "sim" or "gpiod"; NULL = "gpiod" */
    const char *consumer;            /**< NULL = PLC_IO_CONSUMER_DEFAULT */
    /** Outputs go safe when the logic's heartbeat is older than this, or than
     *  the longer silence the logic says it may keep (plc_region_set_max_silence);
     *  0 = the default; negative = never time out. */
    int64_t heartbeat_timeout_ns;
    FILE *log;                       /**< transitions and the line table; NULL = stderr */
    /** Called from the inputs loop (at least every 100 ms) when the outputs
     *  thread has turned too since the last call, so both halves are alive:
     *  where plc-io feeds systemd's watchdog. NULL = nothing. Keep it short. */
    void (*on_alive)(void *ctx);
    void *alive_ctx;
    /** plc-io's own event ring (a writer handle), or NULL for none. It gets
     *  PLC_EVENT_OUTPUTS_SAFE and _FOLLOWING as the outputs change hands,
     *  PLC_EVENT_WRITER_DEAD / _REGION_REPAIRED for an input region taken over
     *  from a dead writer, and PLC_EVENT_FORCE_OFF when a force it applied
     *  expires. Posted from the outputs thread while plc_io_run() runs and
     *  from plc_io_new(): the caller posts to it only outside those. */
    struct plc_event_ring *events;
};

/** @brief What one bound line is and what it did, for tools and tests. */
struct plc_io_line_info {
    const struct plc_tag_def *tag;
    bool output;
    char chip[64];          /**< chip it resolved to ("gpiochip0") */
    unsigned offset;        /**< offset on that chip */
    char name[32];          /**< the line's name on the chip, "" if it has none */
    bool value;             /**< logical value last published (inputs) or applied (outputs) */
    uint64_t changes;       /**< published changes (inputs) or applied changes (outputs) */
    uint64_t events;        /**< edge events seen (inputs) */
    uint64_t last_event_ns; /**< CLOCK_MONOTONIC of the last edge event, 0 if none */
    bool kernel_debounce;   /**< debounce done by the kernel (libgpiod v2) */
};

/** @brief Output state as the fail-safe logic sees it. */
enum plc_io_output_state {
    PLC_IO_OUTPUTS_SAFE = 1,  /**< lines hold their safe values */
    PLC_IO_OUTPUTS_FOLLOWING, /**< lines follow the 'outputs' region */
};

struct plc_io;

/**
 * @brief Validate bindings, attach the regions and request every line.
 *
 * Nothing is requested until every binding is resolved: an unknown chip or
 * line, or a line held by another consumer (named in @p diag) fails with no
 * line taken. Input regions are attached as writer "io" (PLC_EHELD when
 * another plc-io runs), 'outputs' as reader. Output lines are requested at
 * their safe values. A full read of the inputs is published before return.
 *
 * @param diag Optional; names the tag, line, chip or consumer at fault.
 * @return A handle to free with plc_io_free(), or NULL with errno set:
 *         EINVAL (bad config or binding), ENOENT (unknown chip or line),
 *         EBUSY (line held by another consumer), ENOTSUP (backend not built),
 *         or an error of plc_region_attach().
 */
PLC_API struct plc_io *plc_io_new(const struct plc_io_config *cfg, struct plc_diag *diag);

/**
 * @brief Serve until plc_io_stop(): publish input edges, apply outputs,
 *        keep outputs safe while their writer is dead or silent.
 * @return 0 after plc_io_stop(), -1 with errno set on a fatal error (logged).
 */
PLC_API int plc_io_run(struct plc_io *io);

/** @brief Make plc_io_run() return. Async-signal-safe. */
PLC_API void plc_io_stop(struct plc_io *io);

/** @brief Release lines (outputs are left at their safe values), detach, free; NULL is accepted. */
PLC_API void plc_io_free(struct plc_io *io);

/** @brief Number of bound lines, inputs first. */
PLC_API size_t plc_io_line_count(const struct plc_io *io);

/**
 * @brief A snapshot of line @p i.
 * @return 0, or -1 with errno ERANGE.  Safe to call while plc_io_run() runs.
 */
PLC_API int plc_io_line_get_info(struct plc_io *io, size_t i, struct plc_io_line_info *info);

/** @brief Current output state. Safe to call while plc_io_run() runs. */
PLC_API enum plc_io_output_state plc_io_get_output_state(struct plc_io *io);

/** @brief Print the resolved tag / chip / offset / settings table. @return 0 or -1. */
PLC_API int plc_io_print_lines(struct plc_io *io, FILE *out);

/** @brief The backends built in, NULL-terminated ("sim", "gpiod"). */
PLC_API const char *const *plc_io_backends(void);

/** @brief "libgpiod 1.6.3" or "sim": what the named backend is. NULL if unknown. */
PLC_API const char *plc_io_backend_version(const char *backend);

/** @} */

/** @defgroup simfield The simulated field
 *
 * The sim backend's board: one shared-memory file per base directory,
 * BASE/sim-board, with one chip, gpiochip0, and lines GPIO0..GPIO53 as on a
 * Raspberry Pi, shared by every plc-io and plc-io-sim using that base
 * directory. Each line holds its electrical level; a line is held by one
 * plc-io at a time (others are refused naming its consumer). Input lines are
 * set by a person or test (plc_sim_set()); output levels are what plc-io
 * drives. An input that nobody drives floats: its level then comes from the
 * bias its holder requested (pull-up 1, otherwise 0), as with gpio-sim.
 * Tags name the lines (through @p layout); values given and shown are
 * logical (active-low applied), as the tags see them.
 * @{ */

struct plc_sim_field;

/**
 * @brief Open the board in @p base_dir, creating it (every line floating
 *        and free) when missing; @p layout maps tags to its lines.
 * @return A handle to free with plc_sim_field_close(), or NULL with errno.
 */
PLC_API struct plc_sim_field *plc_sim_field_open(const struct plc_layout *layout,
                                                 const char *base_dir, struct plc_diag *diag);

/** @brief Unmap; NULL is accepted. */
PLC_API void plc_sim_field_close(struct plc_sim_field *field);

/**
 * @brief Drive input tag @p tag to logical @p value (an edge if it changes).
 * @return 0, or -1 with errno: ENOENT (no such tag, or a line the board
 *         lacks: diag), EINVAL (not a GPIO-bound input: diag), EBUSY (the
 *         line is driven as an output by a running plc-io: diag).
 */
PLC_API int plc_sim_set(struct plc_sim_field *field, const char *tag, bool value,
                        struct plc_diag *diag);

/** @brief Stop driving input @p tag: its level follows its bias again. @return as plc_sim_set(). */
PLC_API int plc_sim_release(struct plc_sim_field *field, const char *tag, struct plc_diag *diag);

/**
 * @brief The logical value of a bound line (input or output) in the field.
 * @param level Optional: the electrical level.
 * @param driven Optional: inputs: driven by plc_sim_set() (not floating);
 *               outputs: driven by a running plc-io.
 * @return 0, or -1 with errno ENOENT/EINVAL and @p diag.
 */
PLC_API int plc_sim_get(struct plc_sim_field *field, const char *tag, bool *value, bool *level,
                        bool *driven, struct plc_diag *diag);

/**
 * @brief Wait until output @p tag has logical @p value, or the timeout passes.
 * Blocks on a futex (no polling); @p timeout_ns negative waits for ever.
 * @return 1 reached, 0 timed out, -1 error with errno.
 */
PLC_API int plc_sim_wait_output(struct plc_sim_field *field, const char *tag, bool value,
                                int64_t timeout_ns, struct plc_diag *diag);

/** The verbs plc_sim_command() takes, for usage lines. */
#define PLC_SIM_COMMAND_USAGE "set TAG 0|1 | release TAG | get TAG | wait TAG 0|1 [MS] | list"

/** @brief Whether @p word is one of the verbs plc_sim_command() takes. */
PLC_API bool plc_sim_is_command(const char *word);

/**
 * @brief Run one simulated-field verb for a command-line tool: set, release,
 *        get, wait or list (see PLC_SIM_COMMAND_USAGE), printing results on
 *        stdout and errors, prefixed with @p prog, on stderr.
 * @return the tool's exit status: 0 ok, 1 failed, 2 usage.
 */
PLC_API int plc_sim_command(struct plc_sim_field *field, const struct plc_layout *layout,
                            int argc, char **argv, const char *prog);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
