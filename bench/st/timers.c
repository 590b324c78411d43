/* SPDX-License-Identifier: MIT */
/* st-scan-bench (c) in hand-written C: the twin of timers.st, 500 TONs run
 * as pulse generators with presets of 2 to 17 ms. */
#include "plc-iec.h"
#include "plc-image.h"
#include "plc-program.h"

#define TIMERS 500

struct state {
    int32_t pulses;
    struct plc_timer t[TIMERS];
};

static int scan(struct plc_ctx *ctx)
{
    struct state *s = ctx->state;
    for (int i = 0; i < TIMERS; i++)
        if (plc_ton(&s->t[i], !s->t[i].q, PLC_MS(i % 16 + 2), ctx->now_ns))
            s->pulses++;
    return 0;
}

PLC_PROGRAM("timers", sizeof(struct state), NULL, scan);
