/* SPDX-License-Identifier: MIT */
/*
 * The simulated field's file format and the calls io/sim.c shares with the
 * plc_sim_* API. The file BASE/LAYOUT.sim-field is mapped by plc-io (sim
 * backend) and by any number of plc-io-sim / test processes; edges travel
 * through the FIFO BASE/LAYOUT.sim-events so plc-io can poll() for them.
 */
#ifndef PLC_IO_SIM_FIELD_H
#define PLC_IO_SIM_FIELD_H

#include <assert.h>
#include <stdatomic.h>
#include <stdint.h>

#include "plc-io.h"

#define SIM_MAGIC 0x31464d4953434c50ull /* "PLCSIMF1" */
#define SIM_LINES 54                    /* the simulated board: gpiochip0, GPIO0..GPIO53 */
#define SIM_CHIP "gpiochip0"

/* Slot state bits. */
#define SIM_LEVEL 1u  /* electrical level */
#define SIM_DRIVEN 2u /* inputs: set by someone; outputs: driven by plc-io */

struct sim_header {
    uint64_t magic;
    uint64_t layout_hash;
    uint32_t nslots;
    _Atomic uint32_t out_seq;  /* futex word: bumped on every output change */
    _Atomic uint32_t waiters;  /* processes in plc_sim_wait_output() */
    _Atomic uint32_t overflow; /* an edge could not be queued: full read needed */
    _Atomic int32_t owner_pid; /* plc-io holding the lines, 0 if none */
    uint32_t pad;
    char consumer[32];
};
static_assert(sizeof(struct sim_header) == 72, "sim header size");

struct sim_slot {
    char tag[64];
    uint8_t output;
    uint8_t active_low;
    uint8_t bias; /* enum plc_gpio_bias */
    uint8_t pad;
    _Atomic uint32_t state;
};
static_assert(sizeof(struct sim_slot) == 72, "sim slot size");

/* One edge as it travels through the FIFO (well under PIPE_BUF: atomic). */
struct sim_edge {
    uint32_t slot;
    uint32_t level;
    uint64_t ts_ns;
};

struct plc_sim_field {
    const struct plc_layout *layout;
    int fd;
    size_t size;
    struct sim_header *h;
    struct sim_slot *slots;
    char path[512];
    char fifo[512];
};

/* Index of @tag's slot, or -1. */
int sim_field_find(const struct plc_sim_field *f, const char *tag);

/* The level a slot shows: driven level, or for a floating input its bias. */
bool sim_slot_level(const struct sim_slot *s);

/* Logical value of a level for a slot. */
static inline bool sim_slot_logical(const struct sim_slot *s, bool level)
{
    return level != (bool)s->active_low;
}

/* Set output slot @i to logical @value (driven); wakes plc_sim_wait_output(). */
void sim_field_drive_output(struct plc_sim_field *f, size_t i, bool value, bool driven);

#endif
