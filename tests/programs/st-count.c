/* SPDX-License-Identifier: MIT */
/*
 * Two versions of one program written as plc-st would write it (its state
 * one struct, described by a plc_st_meta table), for the engine's online
 * change and task interval tests on tests/programs/engine.ini. Built with
 * ST_VERSION 1 and 2.
 *
 * Version 1: "count" starts at 100 and goes up by one a scan; task 2 ms.
 * Version 2: "count" moved in the state; "added" (initial 7) and "firsts"
 * (first scans seen) are new; "level" changed from INT to DINT (initial
 * -1); task 3 ms; its init fails, naming an ST line, when parameter 'fail'
 * is 7. Both fault, naming an ST line, when 'fail' is 1; both show count in status 'total', added * 1000 + level in
 * 'scans_seen' (version 1: level only), and the first scans they saw in 'ack'.
 */
#include "plc-image.h"
#include "plc-program.h"
#include "plc-st.h"

#if ST_VERSION == 1
struct state {
    int32_t count;
    int16_t level;
    uint16_t firsts;
};
#define INTERVAL_NS 2000000u
#else
struct state {
    int32_t added;
    uint16_t firsts;
    int32_t level;
    int32_t count;
};
#define INTERVAL_NS 3000000u
#endif

#define VAR(p, t, k, field)                                                                        \
    {.program = "Counter", .path = (p), .type_name = (t), .kind = (k),                            \
     .offset = offsetof(struct state, field), .size = sizeof(((struct state *)0)->field),         \
     .flags = PLC_ST_VAR_SHOW}

static const struct plc_st_var vars[] = {
#if ST_VERSION == 1
    VAR("count", "DINT", PLC_ST_DINT, count),
    VAR("level", "INT", PLC_ST_INT, level),
    VAR("firsts", "UINT", PLC_ST_UINT, firsts),
#else
    VAR("added", "DINT", PLC_ST_DINT, added),
    VAR("Firsts", "UINT", PLC_ST_UINT, firsts),
    VAR("level", "DINT", PLC_ST_DINT, level),
    VAR("COUNT", "dint", PLC_ST_DINT, count),
#endif
    /* A layout tag the program writes: in the image, not in the state. */
    {.program = "Counter", .path = "total", .type_name = "UDINT", .kind = PLC_ST_UDINT,
     .size = 4, .flags = PLC_ST_VAR_IMAGE | PLC_ST_VAR_EXTERNAL},
};

PLC_PROGRAM_EXPORT const struct plc_st_meta plc_st_meta = {
    .abi = PLC_ST_META_ABI,
    .var_count = sizeof(vars) / sizeof(vars[0]),
    .vars = vars,
    .interval_ns = INTERVAL_NS,
    .source = "count.st",
};

static int init(struct plc_ctx *ctx)
{
    struct state *st = ctx->state;
    st->count = 100;
#if ST_VERSION == 1
    st->level = 3;
#else
    const struct plc_image *io = ctx->image;
    if (io->parameters->fail == 7) {
        ctx->fault = "count.st:4: init failed";
        return 1;
    }
    st->added = 7;
    st->level = -1;
#endif
    return 0;
}

static int scan(struct plc_ctx *ctx)
{
    const struct plc_image *io = ctx->image;
    struct state *st = ctx->state;
    st->count++;
    st->firsts += ctx->first_scan;
    io->status->total = (uint32_t)st->count;
    io->status->ack = st->firsts;
#if ST_VERSION == 1
    io->status->scans_seen = (uint32_t)st->level;
#else
    io->status->scans_seen = (uint32_t)(st->added * 1000 + st->level);
#endif
    io->outputs->out_off = true;
    io->outputs->out_on = false;
    io->outputs->out_hold = true;
    io->outputs->out_value = 7;
    if (io->parameters->fail == 1) {
        ctx->fault = "count.st:9: division by zero";
        return 1;
    }
    return 0;
}

PLC_PROGRAM("counter", sizeof(struct state), init, scan);
