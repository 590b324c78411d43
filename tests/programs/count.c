/* SPDX-License-Identifier: MIT */
/*
 * Test program for tests/programs/engine.ini: counts every request of the
 * 'req' counter into 'total' (acknowledged in 'ack'), drives all outputs on,
 * spins for spin_ms when asked (to trip the watchdog) and returns 'fail'.
 */
#include <time.h>

#include "plc-image.h"
#include "plc-iec.h"
#include "plc-program.h"

#ifndef COUNT_NAME
#define COUNT_NAME "count"
#endif

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int scan(struct plc_ctx *ctx)
{
    const struct plc_image *io = ctx->image;
    io->status->total += plc_cmd_take(io->commands->req, &io->status->ack);
    io->status->scans_seen++;
    io->outputs->out_off = true;
    io->outputs->out_on = false;
    io->outputs->out_hold = true;
    io->outputs->out_value = 7;
    if (io->parameters->spin_ms) {
        uint64_t until = mono_ms() + io->parameters->spin_ms;
        while (mono_ms() < until)
            ;
    }
    return io->parameters->fail;
}

PLC_PROGRAM(COUNT_NAME, 0, NULL, scan);
