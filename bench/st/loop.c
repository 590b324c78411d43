/* SPDX-License-Identifier: MIT */
/* st-scan-bench (b) in hand-written C: the twin of loop.st, the same
 * arithmetic with the same results (INT wraps, DINT stays in range). The
 * state starts with what st-scan-bench compares against the ST program's. */
#include "plc-image.h"
#include "plc-program.h"

struct state {
    int32_t acc;
    int16_t k;
    float x;
};

static int init(struct plc_ctx *ctx)
{
    struct state *s = ctx->state;
    s->k = 1;
    s->x = 1.0f;
    return 0;
}

static int scan(struct plc_ctx *ctx)
{
    struct state *s = ctx->state;
    for (int32_t i = 1; i <= 1000; i++) {
        s->k = (int16_t)(s->k * 3 + 1);
        s->acc = (s->acc + s->k * i) % 1000003;
        s->x = s->x * 0.5f + (float)s->acc * 0.25f;
    }
    return 0;
}

PLC_PROGRAM("arith_loop", sizeof(struct state), init, scan);
