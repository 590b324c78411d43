/* SPDX-License-Identifier: MIT */
/*
 * Example (b): tank level control.
 *
 * The pump fills the tank: it starts below level_low and stops above
 * level_high (the hysteresis between the two setpoints keeps it from
 * chattering). Above level_alarm the high-level alarm is raised and the pump
 * is held off; the alarm clears once the level is back under level_high.
 * Setpoints that make no sense (low not below high) keep the pump off.
 */
#include "plc-image.h"
#include "plc-iec.h"
#include "plc-program.h"

struct tank {
    struct plc_bistable pump;  /* RS: stop dominant */
    struct plc_bistable alarm; /* SR: set dominant */
};

static int scan(struct plc_ctx *ctx)
{
    const struct plc_image *io = ctx->image;
    struct tank *t = ctx->state;
    float level = io->inputs->tank_level;
    float low = io->parameters->level_low, high = io->parameters->level_high;
    bool sane = low < high;

    bool alarm = plc_sr(&t->alarm, level >= io->parameters->level_alarm, level < high);
    io->outputs->high_level_alarm = alarm;
    io->outputs->pump_run = plc_rs(&t->pump, sane && level < low, !sane || alarm || level > high);
    return 0;
}

PLC_PROGRAM("tank", sizeof(struct tank), NULL, scan);
