/* SPDX-License-Identifier: MIT */
/*
 * A program object shaped like one plc-st builds, written by hand so the sim
 * runner can be tested without the compiler: the descriptor, a state struct
 * and the plc_st_meta table over it, with one variable of every kind, an
 * array element, a struct member, an FB instance's pins, a located variable,
 * a hidden one, a CONSTANT and a global. Its logic makes outputs follow
 * inputs and the clock, and faults like generated code on a division by 0.
 * Built with FIXTURE_TWO it has a second program instance, "aux"; with
 * FIXTURE_TASKS too, main and aux run as two tasks (plc-task.h): main every
 * 20 ms, aux every 60 ms and first (PRIORITY 0).
 */
#include <stddef.h>
#include <string.h>

/* No layout: sim runs a program without one. */
#define PLC_LAYOUT_NAME ""
#define PLC_LAYOUT_VERSION 0u
#define PLC_LAYOUT_HASH UINT64_C(0)

#include "plc-iec.h"
#include "plc-program.h"
#include "plc-st.h"

enum { RED = 0, GREEN = 1, BLUE = 5 };

struct state {
    bool b;
    int8_t si;
    int16_t i;
    int32_t di;
    int64_t li;
    uint8_t usi;
    uint16_t ui;
    uint32_t udi;
    uint64_t uli;
    uint8_t by;
    uint16_t w;
    uint32_t dw;
    uint64_t lw;
    float r;
    double lr;
    int64_t t;
    char s[11]; /* STRING[10] */
    int32_t color;
    int16_t a[2]; /* ARRAY[1..2] OF INT */
    struct {
        int32_t x;
        bool y;
    } pt;
    struct {
        bool in;
        int64_t pt;
        struct plc_timer fb;
    } tmr;      /* TON */
    bool start; /* AT %IX0.0 */
    bool lamp;  /* AT %QX0.1 */
    int32_t hidden;
    int32_t count;
    int32_t divisor, quotient;
    int16_t k; /* CONSTANT */
    int16_t g_limit;
    int16_t aux_x;
};

static int init(struct plc_ctx *ctx)
{
    struct state *st = ctx->state;
    st->li = INT64_MIN;
    st->uli = UINT64_MAX;
    st->r = 0.1f;
    st->lr = 0.1;
    st->t = ((((INT64_C(1) * 24 + 2) * 60 + 3) * 60 + 4) * 1000000000 + 5006007);
    strcpy(st->s, "hi");
    st->color = GREEN;
    st->tmr.pt = 100000000; /* T#100ms */
    st->divisor = 1;
    st->k = 7;
    st->g_limit = 100;
    return 0;
}

static int scan(struct plc_ctx *ctx)
{
    struct state *st = ctx->state;
    st->count = (int32_t)((uint32_t)st->count + 1u);
    st->hidden = (int32_t)((uint32_t)st->count * 10u);
    st->a[1] = (int16_t)(uint16_t)((unsigned)st->a[0] * 2u);
    st->pt.x = (int32_t)(ctx->now_ns / 1000000u);
    st->pt.y = ctx->first_scan;
    plc_ton(&st->tmr.fb, st->tmr.in, st->tmr.pt, ctx->now_ns);
    st->lamp = st->tmr.fb.q || st->b || st->start;
    if (st->divisor == 0) {
        ctx->fault = "fixture.st:12: division by zero";
        return 1;
    }
    st->quotient = st->divisor == -1 ? -1000 : 1000 / st->divisor;
#ifndef FIXTURE_TASKS
    st->aux_x = (int16_t)(uint16_t)((unsigned)st->aux_x + 1u);
#endif
    return 0;
}

#ifdef FIXTURE_TASKS
/* aux's task: x counts its runs, plus 100 times its dt in 10 ms */
static int aux_scan(struct plc_ctx *ctx)
{
    struct state *st = ctx->state;
    st->aux_x = (int16_t)(st->aux_x + 1 + (int16_t)(ctx->dt_ns / 10000000u) * 100);
    return 0;
}

static const struct plc_task tasks[] = {
    {"main", 20000000u, 1, scan},
    {"aux", 60000000u, 0, aux_scan},
};
PLC_PROGRAM_TASKS("fixture", sizeof(struct state), init, tasks);
#else
PLC_PROGRAM("fixture", sizeof(struct state), init, scan);
#endif

static const char *const color_names[] = {"RED", "GREEN", "BLUE"};
static const int32_t color_values[] = {RED, GREEN, BLUE};
static const struct plc_st_enum color = {"COLOR", 3, color_names, color_values};

#define SHOW PLC_ST_VAR_SHOW
#define VAR(PATH, TYPE, KIND, MEMBER, FLAGS)                                                       \
    {                                                                                              \
        "main", PATH, NULL, TYPE, NULL, offsetof(struct state, MEMBER),                            \
            sizeof(((struct state *)0)->MEMBER), PLC_ST_##KIND, FLAGS                              \
    }

static const struct plc_st_var vars[] = {
    VAR("b", "BOOL", BOOL, b, SHOW | PLC_ST_VAR_INPUT),
    VAR("si", "SINT", SINT, si, SHOW),
    VAR("i", "INT", INT, i, SHOW),
    VAR("di", "DINT", DINT, di, SHOW),
    VAR("li", "LINT", LINT, li, SHOW),
    VAR("usi", "USINT", USINT, usi, SHOW),
    VAR("ui", "UINT", UINT, ui, SHOW),
    VAR("udi", "UDINT", UDINT, udi, SHOW),
    VAR("uli", "ULINT", ULINT, uli, SHOW),
    VAR("by", "BYTE", BYTE, by, SHOW),
    VAR("w", "WORD", WORD, w, SHOW),
    VAR("dw", "DWORD", DWORD, dw, SHOW),
    VAR("lw", "LWORD", LWORD, lw, SHOW),
    VAR("r", "REAL", REAL, r, SHOW),
    VAR("lr", "LREAL", LREAL, lr, SHOW),
    VAR("t", "TIME", TIME, t, SHOW),
    VAR("s", "STRING[10]", STRING, s, SHOW),
    {"main", "color", NULL, "COLOR", &color, offsetof(struct state, color), 4, PLC_ST_ENUM, SHOW},
    VAR("a[1]", "INT", INT, a[0], SHOW),
    VAR("a[2]", "INT", INT, a[1], SHOW),
    VAR("pt.x", "DINT", DINT, pt.x, SHOW),
    VAR("pt.y", "BOOL", BOOL, pt.y, SHOW),
    VAR("tmr.IN", "BOOL", BOOL, tmr.in, SHOW | PLC_ST_VAR_INPUT),
    VAR("tmr.PT", "TIME", TIME, tmr.pt, SHOW | PLC_ST_VAR_INPUT),
    VAR("tmr.Q", "BOOL", BOOL, tmr.fb.q, SHOW | PLC_ST_VAR_OUTPUT),
    VAR("tmr.ET", "TIME", TIME, tmr.fb.et, SHOW | PLC_ST_VAR_OUTPUT),
    {"main", "start", "%IX0.0", "BOOL", NULL, offsetof(struct state, start), 1, PLC_ST_BOOL,
     SHOW | PLC_ST_VAR_INPUT},
    {"main", "lamp", "%QX0.1", "BOOL", NULL, offsetof(struct state, lamp), 1, PLC_ST_BOOL, SHOW},
    VAR("hidden", "DINT", DINT, hidden, 0),
    VAR("count", "DINT", DINT, count, SHOW),
    VAR("divisor", "DINT", DINT, divisor, SHOW),
    VAR("quotient", "DINT", DINT, quotient, SHOW),
    VAR("k", "INT", INT, k, SHOW | PLC_ST_VAR_CONSTANT),
    {"", "g_limit", NULL, "INT", NULL, offsetof(struct state, g_limit), 2, PLC_ST_INT,
     SHOW | PLC_ST_VAR_EXTERNAL},
#ifdef FIXTURE_TWO
    {"aux", "x", NULL, "INT", NULL, offsetof(struct state, aux_x), 2, PLC_ST_INT, SHOW},
#endif
};

PLC_PROGRAM_EXPORT const struct plc_st_meta plc_st_meta = {
    .abi = PLC_ST_META_ABI,
    .var_count = sizeof(vars) / sizeof(vars[0]),
    .vars = vars,
#ifdef FIXTURE_TWO
    .interval_ns = 50000000, /* T#50ms */
#else
    .interval_ns = 0,
#endif
    .source = "fixture.st",
};
