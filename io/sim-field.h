/* SPDX-License-Identifier: MIT */
/*
 * The simulated board's file format and the calls io/sim.c shares with the
 * plc_sim_* API. One board per base directory, BASE/sim-board, shared by
 * every plc-io (sim backend) and plc-io-sim there, like a real board is
 * shared by every process on it: one chip, gpiochip0, lines GPIO0..GPIO53.
 *
 * A line is held by one plc-io at a time: an OFD write lock on its slot's
 * first byte (the kernel drops it when the holder dies), with the holder's
 * consumer name and pid in the slot for messages. Edges travel to the holder
 * through its own FIFO, BASE/sim-board.events.PID, so it can poll() for them.
 */
#ifndef PLC_IO_SIM_FIELD_H
#define PLC_IO_SIM_FIELD_H

#include <assert.h>
#include <stdatomic.h>
#include <stdint.h>

#include "backend.h"

#define SIM_MAGIC 0x32464d4953434c50ull /* "PLCSIMF2" */
#define SIM_LINES 54
#define SIM_CHIP "gpiochip0"

/* Slot state bits. */
#define SIM_LEVEL 1u  /* electrical level */
#define SIM_DRIVEN 2u /* inputs: set from the field; outputs: set by the holder */

enum sim_dir { SIM_FREE = 0, SIM_IN = 1, SIM_OUT = 2 };

struct sim_header {
    uint64_t magic;
    uint32_t nlines;
    _Atomic uint32_t out_seq; /* futex word: bumped on every output change */
    _Atomic uint32_t waiters; /* processes in plc_sim_wait_output() */
    uint32_t pad[3];
};
static_assert(sizeof(struct sim_header) == 32, "sim header size");

struct sim_slot {
    _Atomic uint32_t state;
    _Atomic uint32_t lost; /* an edge could not be queued to the holder */
    _Atomic uint8_t dir;   /* enum sim_dir, as last requested */
    _Atomic uint8_t bias;  /* enum plc_gpio_bias, as last requested */
    uint8_t pad[2];
    _Atomic int32_t holder_pid;
    char consumer[48];
};
static_assert(sizeof(struct sim_slot) == 64, "sim slot size");

/* One edge as it travels through a FIFO (well under PIPE_BUF: atomic). */
struct sim_edge {
    uint32_t line;
    uint32_t level;
    uint64_t ts_ns;
};

struct plc_sim_field {
    const struct plc_layout *layout;
    int fd;
    struct sim_header *h;
    struct sim_slot *slots;
    char base[256];
    char path[300];
};

#define SIM_FILE_SIZE (sizeof(struct sim_header) + SIM_LINES * sizeof(struct sim_slot))

/* Resolve a binding on the simulated board: its line, or -1/ENOENT with diag. */
int sim_board_resolve(const struct plc_tag_def *t, struct plc_io_line *line,
                      struct plc_diag *diag);

/*
 * The level line @i shows: its driven level, else its bias. An output shows
 * its level only while a live holder drives it: released, or its holder
 * dead, it floats to the pull it was wired with (the board docs/gpio.md
 * recommends: a pull to each output's safe level, released lines as inputs).
 */
bool sim_slot_level(struct plc_sim_field *f, unsigned i);

/* Whether another open file description holds line @i (its holder is alive). */
bool sim_line_held(struct plc_sim_field *f, unsigned i);

/* Take line @i for this open file description; -1/EBUSY when another holds it. */
int sim_line_take(struct plc_sim_field *f, unsigned i);

/* Drive output line @i to @level (driven or released); wakes plc_sim_wait_output(). */
void sim_field_drive(struct plc_sim_field *f, unsigned i, bool level, bool driven);

/* The FIFO edges for holder @pid go through. */
void sim_fifo_path(const struct plc_sim_field *f, int pid, char *buf, size_t len);

#endif
