/* SPDX-License-Identifier: MIT */
/* struct plc_modbus_core: every function code and every exception, at the PDU level,
 * against real regions in shared memory. */
#include <math.h>

#include "../runtime/fixture.h"
#include "mb-layout.h"
#include "plc-modbus.h"

struct ctx {
    struct fixture *f;
    struct plc_modbus_core *core;
    struct plc_region *params; /* a reader of 'parameters' */
    struct plc_region *cmds;   /* a reader of 'commands' */
    uint8_t rsp[PLC_MODBUS_PDU_MAX];
};

static int setup_with(void **state, const char *modbus_keys)
{
    struct ctx *c = calloc(1, sizeof(*c));
    char *text = mb_layout_text(modbus_keys);
    c->f = fixture_new(text);
    free(text);
    fixture_init(c->f);
    c->core = plc_modbus_core_new(c->f->layout, c->f->base, &c->f->diag);
    if (!c->core)
        fail_msg("core: %s", c->f->diag.msg);
    c->params = plc_region_attach(c->f->layout, c->f->base, "parameters", PLC_READER, NULL, NULL);
    c->cmds = plc_region_attach(c->f->layout, c->f->base, "commands", PLC_READER, NULL, NULL);
    assert_non_null(c->params);
    assert_non_null(c->cmds);
    *state = c;
    return 0;
}

static int setup(void **state)
{
    return setup_with(state, NULL);
}

static int setup_zero(void **state)
{
    return setup_with(state, "unmapped_reads = zero");
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    plc_region_detach(c->params);
    plc_region_detach(c->cmds);
    plc_modbus_core_free(c->core);
    fixture_free(c->f);
    free(c);
    return 0;
}

/* Send a request; returns the response length, the response in c->rsp. */
#define REQ(c, flags, ...)                                                                   \
    ({                                                                                       \
        const uint8_t _q[] = {__VA_ARGS__};                                                  \
        plc_modbus_core_handle((c)->core, _q, sizeof(_q), flags, (c)->rsp);                  \
    })

static void assert_exception(struct ctx *c, size_t n, uint8_t fc, uint8_t code)
{
    assert_int_equal(n, 2);
    assert_int_equal(c->rsp[0], fc | 0x80);
    assert_int_equal(c->rsp[1], code);
}

static double tag(struct ctx *c, const char *name)
{
    const struct plc_tag_def *t = plc_layout_find_tag(c->f->layout, name);
    assert_non_null(t);
    struct plc_region *r = strcmp(t->region->name, "parameters") == 0 ? c->params : c->cmds;
    double v;
    assert_int_equal(plc_region_read_tag(r, t, &v), 0);
    return v;
}

static uint64_t writes_of(struct plc_region *r)
{
    struct plc_region_info info;
    assert_int_equal(plc_region_get_info(r, &info), 0);
    return info.writes;
}

static void write_and_read_coils(void **state)
{
    struct ctx *c = *state;
    /* c0, c2, c9 on: bits LSB first */
    size_t n = REQ(c, 0, 0x0F, 0x00, 0x00, 0x00, 0x0A, 0x02, 0x05, 0x02);
    assert_int_equal(n, 5);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x0F, 0x00, 0x00, 0x00, 0x0A}), 5);
    assert_true(tag(c, "c0") == 1 && tag(c, "c1") == 0 && tag(c, "c2") == 1 && tag(c, "c9") == 1);
    n = REQ(c, 0, 0x01, 0x00, 0x00, 0x00, 0x0A);
    assert_int_equal(n, 4);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x01, 0x02, 0x05, 0x02}), 4);
    /* FC5 */
    n = REQ(c, 0, 0x05, 0x00, 0x01, 0xFF, 0x00);
    assert_int_equal(n, 5);
    assert_true(tag(c, "c1") == 1);
    n = REQ(c, 0, 0x05, 0x00, 0x01, 0x00, 0x00);
    assert_int_equal(n, 5);
    assert_true(tag(c, "c1") == 0);
}

static void read_discrete_inputs_and_input_registers_of_other_writers(void **state)
{
    struct ctx *c = *state;
    struct plc_region *in = plc_region_attach(c->f->layout, c->f->base, "inputs", PLC_WRITER,
                                              "io", &c->f->diag);
    assert_non_null(in);
    assert_int_equal(plc_region_write_tag(in, plc_layout_find_tag(c->f->layout, "di1"), 1), 0);
    assert_int_equal(plc_region_write_tag(in, plc_layout_find_tag(c->f->layout, "level"), 42.5),
                     0);
    size_t n = REQ(c, 0, 0x02, 0x00, 0x00, 0x00, 0x02);
    assert_int_equal(n, 3);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x02, 0x01, 0x02}), 3);
    n = REQ(c, 0, 0x04, 0x00, 0x00, 0x00, 0x02); /* 42.5f = 0x422A0000, ABCD */
    assert_int_equal(n, 6);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x04, 0x04, 0x42, 0x2A, 0x00, 0x00}), 6);
    /* the hole at discrete input 2 is no silent zero */
    assert_exception(c, REQ(c, 0, 0x02, 0x00, 0x00, 0x00, 0x04), 0x02, 0x02);
    plc_region_detach(in);
}

static void word_orders_round_trip(void **state)
{
    struct ctx *c = *state;
    /* 1.5f = 0x3FC00000: A=3F B=C0 C=00 D=00 */
    size_t n = REQ(c, 0, 0x10, 0x00, 0x0A, 0x00, 0x08, 0x10,
                   0x3F, 0xC0, 0x00, 0x00,  /* ABCD */
                   0x00, 0x00, 0x3F, 0xC0,  /* CDAB */
                   0xC0, 0x3F, 0x00, 0x00,  /* BADC */
                   0x00, 0x00, 0xC0, 0x3F); /* DCBA */
    assert_int_equal(n, 5);
    assert_true(tag(c, "p_abcd") == 1.5);
    assert_true(tag(c, "p_cdab") == 1.5);
    assert_true(tag(c, "p_badc") == 1.5);
    assert_true(tag(c, "p_dcba") == 1.5);
    n = REQ(c, 0, 0x03, 0x00, 0x0A, 0x00, 0x08);
    assert_int_equal(n, 18);
    assert_memory_equal(c->rsp + 2,
                        ((uint8_t[]){0x3F, 0xC0, 0x00, 0x00, 0x00, 0x00, 0x3F, 0xC0, 0xC0, 0x3F,
                                     0x00, 0x00, 0x00, 0x00, 0xC0, 0x3F}),
                        16);
    /* int32 -2 */
    n = REQ(c, 0, 0x10, 0x00, 0x12, 0x00, 0x02, 0x04, 0xFF, 0xFF, 0xFF, 0xFE);
    assert_int_equal(n, 5);
    assert_true(tag(c, "counter") == -2);
}

static void single_register_write_and_echo(void **state)
{
    struct ctx *c = *state;
    size_t n = REQ(c, 0, 0x06, 0x00, 0x02, 0xFF, 0x9C); /* speed = -100 */
    assert_int_equal(n, 5);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x06, 0x00, 0x02, 0xFF, 0x9C}), 5);
    assert_true(tag(c, "speed") == -100);
    n = REQ(c, 0, 0x03, 0x00, 0x00, 0x00, 0x03);
    assert_int_equal(n, 8);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x03, 0x06, 0, 0, 0, 0, 0xFF, 0x9C}), 8);
}

static void mask_write_changes_only_the_masked_bits(void **state)
{
    struct ctx *c = *state;
    /* the specification's example: 0x12 AND 0xF2 OR 0x25 is 0x17 */
    assert_int_equal(REQ(c, 0, 0x06, 0x00, 0x03, 0x00, 0x12), 5);
    size_t n = REQ(c, 0, 0x16, 0x00, 0x03, 0x00, 0xF2, 0x00, 0x25);
    assert_int_equal(n, 7);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x16, 0x00, 0x03, 0x00, 0xF2, 0x00, 0x25}), 7);
    assert_true(tag(c, "px") == 0x17);
    /* AND all ones keeps every bit (the OR mask is ignored); AND 0 makes the OR mask it */
    assert_int_equal(REQ(c, 0, 0x16, 0x00, 0x03, 0xFF, 0xFF, 0x12, 0x34), 7);
    assert_true(tag(c, "px") == 0x17);
    assert_int_equal(REQ(c, 0, 0x16, 0x00, 0x03, 0x00, 0x00, 0xAB, 0xCD), 7);
    assert_true(tag(c, "px") == 0xABCD);
    /* a signed tag: set the high byte of speed = 0 to 0xFF, low to 0x9C: -100 */
    assert_int_equal(REQ(c, 0, 0x16, 0x00, 0x02, 0x00, 0x00, 0xFF, 0x9C), 7);
    assert_true(tag(c, "speed") == -100);
    /* one write of the region, and the neighbours keep their values */
    uint64_t w = writes_of(c->cmds);
    assert_int_equal(REQ(c, 0, 0x06, 0x00, 0x00, 0x00, 0x05), 5);
    assert_int_equal(REQ(c, 0, 0x16, 0x00, 0x00, 0xFF, 0xFE, 0x00, 0x00), 7);
    assert_int_equal(writes_of(c->cmds), w + 2);
    assert_true(tag(c, "start") == 4 && tag(c, "stop") == 0 && tag(c, "speed") == -100);
}

static void mask_write_refused_as_a_single_register_write_is(void **state)
{
    struct ctx *c = *state;
    uint64_t wp = writes_of(c->params), wc = writes_of(c->cmds);
    assert_exception(c, REQ(c, 0, 0x16, 0x00, 0x03, 0x00, 0x00, 0x00), 0x16, 3); /* short */
    assert_exception(c, REQ(c, 0, 0x16, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00), 0x16, 3);
    assert_exception(c, REQ(c, 0, 0x16, 0x00, 0x04, 0xFF, 0xFF, 0x00, 0x00), 0x16, 2); /* hole */
    assert_exception(c, REQ(c, 0, 0x16, 0x00, 0x0A, 0xFF, 0xFF, 0x00, 0x00), 0x16, 2); /* half */
    assert_exception(c, REQ(c, 0, 0x16, 0x00, 0x1E, 0xFF, 0xFF, 0x00, 0x00), 0x16, 2); /* status */
    assert_exception(c, REQ(c, PLC_MODBUS_READ_ONLY, 0x16, 0x00, 0x03, 0xFF, 0xFF, 0, 0), 0x16, 2);
    /* speed 0 becomes 101: outside -100..100 */
    assert_exception(c, REQ(c, 0, 0x16, 0x00, 0x02, 0x00, 0x00, 0x00, 0x65), 0x16, 3);
    assert_int_equal(writes_of(c->params), wp);
    assert_int_equal(writes_of(c->cmds), wc);
    assert_true(tag(c, "speed") == 0 && tag(c, "px") == 0);
}

static void read_write_multiple_writes_first(void **state)
{
    struct ctx *c = *state;
    /* write blk0..1 = 7, 8; read blk0..2 */
    size_t n = REQ(c, 0, 0x17, 0x00, 0xC8, 0x00, 0x03, 0x00, 0xC8, 0x00, 0x02, 0x04, 0x00, 0x07,
                   0x00, 0x08);
    assert_int_equal(n, 8);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x17, 0x06, 0, 7, 0, 8, 0, 0}), 8);
    /* a bad read part writes nothing */
    uint64_t w = writes_of(c->params);
    n = REQ(c, 0, 0x17, 0x00, 0x05, 0x00, 0x01, 0x00, 0xC8, 0x00, 0x01, 0x02, 0x00, 0x09);
    assert_exception(c, n, 0x17, 0x02);
    assert_int_equal(writes_of(c->params), w);
    assert_true(tag(c, "blk0") == 7);
}

static void full_size_read_of_125_registers(void **state)
{
    struct ctx *c = *state;
    size_t n = REQ(c, 0, 0x03, 0x00, 0xC8, 0x00, 0x7D);
    assert_int_equal(n, 2 + 250);
    assert_int_equal(c->rsp[1], 250);
}

static void bad_quantities_are_illegal_value(void **state)
{
    struct ctx *c = *state;
    assert_exception(c, REQ(c, 0, 0x01, 0, 0, 0x00, 0x00), 0x01, 3);
    assert_exception(c, REQ(c, 0, 0x01, 0, 0, 0x07, 0xD1), 0x01, 3); /* 2001 */
    assert_exception(c, REQ(c, 0, 0x02, 0, 0, 0x07, 0xD1), 0x02, 3);
    assert_exception(c, REQ(c, 0, 0x03, 0, 0, 0x00, 0x7E), 0x03, 3); /* 126 */
    assert_exception(c, REQ(c, 0, 0x04, 0, 0, 0x00, 0x00), 0x04, 3);
    assert_exception(c, REQ(c, 0, 0x0F, 0, 0, 0x07, 0xB1, 0xF7), 0x0F, 3); /* 1969 */
    assert_exception(c, REQ(c, 0, 0x10, 0, 0, 0x00, 0x7C, 0xF8), 0x10, 3); /* 124 */
    assert_exception(c, REQ(c, 0, 0x10, 0, 0, 0x00, 0x01, 0x04, 0, 1, 0, 2), 0x10, 3); /* count */
    assert_exception(c, REQ(c, 0, 0x10, 0, 0, 0x00, 0x02, 0x04, 0, 1), 0x10, 3); /* short */
    assert_exception(c, REQ(c, 0, 0x17, 0, 0, 0, 1, 0, 0, 0x00, 0x7A, 0xF4), 0x17, 3); /* 122 */
    assert_exception(c, REQ(c, 0, 0x17, 0, 0, 0, 0x7E, 0, 0, 0, 1, 2, 0, 0), 0x17, 3);
    assert_exception(c, REQ(c, 0, 0x03, 0, 0, 0), 0x03, 3); /* truncated PDU */
    assert_exception(c, REQ(c, 0, 0x05, 0, 1, 0x12, 0x34), 0x05, 3); /* not ON/OFF */
}

static void unmapped_and_past_the_end_are_illegal_address(void **state)
{
    struct ctx *c = *state;
    assert_exception(c, REQ(c, 0, 0x03, 0x00, 0x04, 0x00, 0x01), 0x03, 2);
    assert_exception(c, REQ(c, 0, 0x03, 0x00, 0x14, 0x00, 0x04), 0x03, 2); /* 20..23: hole */
    assert_exception(c, REQ(c, 0, 0x01, 0x00, 0x09, 0x00, 0x02), 0x01, 2); /* coil 10 */
    assert_exception(c, REQ(c, 0, 0x04, 0xFF, 0xFF, 0x00, 0x02), 0x04, 2); /* past 65535 */
    assert_exception(c, REQ(c, 0, 0x06, 0x00, 0x05, 0x00, 0x01), 0x06, 2);
}

/* unmapped_reads = zero: a SCADA package polling a whole block reads zeros in its
 * holes; writes there, and reads past the end, are still refused. */
static void unmapped_reads_zero_answers_holes_with_zeros(void **state)
{
    struct ctx *c = *state;
    assert_int_equal(REQ(c, 0, 0x10, 0x00, 0x00, 0x00, 0x03, 0x06, 0, 1, 0, 2, 0xFF, 0xFD), 5);
    assert_int_equal(REQ(c, 0, 0x06, 0x00, 0x03, 0x00, 0x04), 5);
    size_t n = REQ(c, 0, 0x03, 0x00, 0x00, 0x00, 0x06); /* 0..3 mapped, 4 and 5 holes */
    assert_int_equal(n, 14);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x03, 12, 0, 1, 0, 2, 0xFF, 0xFD, 0, 4, 0, 0, 0, 0}),
                        14);
    n = REQ(c, 0, 0x03, 0x00, 0x14, 0x00, 0x04); /* limit (uint32, 10) and the hole 22..23 */
    assert_int_equal(n, 10);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x03, 8, 0, 0, 0, 10, 0, 0, 0, 0}), 10);
    n = REQ(c, 0, 0x04, 0x01, 0x00, 0x00, 0x03); /* input registers 256..258: all holes */
    assert_int_equal(n, 8);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x04, 6, 0, 0, 0, 0, 0, 0}), 8);
    assert_int_equal(REQ(c, 0, 0x05, 0x00, 0x09, 0xFF, 0x00), 5);
    n = REQ(c, 0, 0x01, 0x00, 0x08, 0x00, 0x04); /* coils 8, 9 and the holes 10, 11 */
    assert_int_equal(n, 3);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x01, 1, 0x02}), 3);
    uint64_t wc = writes_of(c->cmds);
    assert_exception(c, REQ(c, 0, 0x06, 0x00, 0x04, 0x00, 0x01), 0x06, 2);
    assert_exception(c, REQ(c, 0, 0x10, 0x00, 0x03, 0x00, 0x02, 0x04, 0, 1, 0, 1), 0x10, 2);
    assert_exception(c, REQ(c, 0, 0x0F, 0x00, 0x09, 0x00, 0x02, 0x01, 0x03), 0x0F, 2);
    assert_exception(c, REQ(c, 0, 0x04, 0xFF, 0xFF, 0x00, 0x02), 0x04, 2); /* past 65535 */
    assert_int_equal(writes_of(c->cmds), wc);
}

static void refused_writes_write_nothing(void **state)
{
    struct ctx *c = *state;
    uint64_t wp = writes_of(c->params), wc = writes_of(c->cmds);
    /* read-only tags: a holding register of 'status', a coil of 'outputs' */
    assert_exception(c, REQ(c, 0, 0x06, 0x00, 0x1E, 0x00, 0x01), 0x06, 2);
    assert_exception(c, REQ(c, 0, 0x05, 0x00, 0x64, 0xFF, 0x00), 0x05, 2);
    /* half of a 32-bit value, either half */
    assert_exception(c, REQ(c, 0, 0x06, 0x00, 0x0A, 0x3F, 0x80), 0x06, 2);
    assert_exception(c, REQ(c, 0, 0x10, 0x00, 0x0B, 0x00, 0x02, 0x04, 0, 0, 0, 0), 0x10, 2);
    /* a write across two regions could not be atomic */
    assert_exception(c, REQ(c, 0, 0x10, 0x00, 0x02, 0x00, 0x02, 0x04, 0, 1, 0, 1), 0x10, 2);
    /* outside min..max: speed 101; then counter ok + limit 5 (< min 10) together */
    assert_exception(c, REQ(c, 0, 0x06, 0x00, 0x02, 0x00, 0x65), 0x06, 3);
    assert_exception(c, REQ(c, 0, 0x10, 0x00, 0x12, 0x00, 0x04, 0x08, 0, 0, 0, 9, 0, 0, 0, 5),
                     0x10, 3);
    /* NaN is outside every range */
    assert_exception(c, REQ(c, 0, 0x10, 0x00, 0x0A, 0x00, 0x02, 0x04, 0x7F, 0xC0, 0, 0), 0x10, 3);
    /* read-only connection */
    assert_exception(c, REQ(c, PLC_MODBUS_READ_ONLY, 0x06, 0x00, 0x00, 0x00, 0x01), 0x06, 2);
    assert_exception(c, REQ(c, PLC_MODBUS_READ_ONLY, 0x0F, 0, 0, 0, 1, 1, 1), 0x0F, 2);
    assert_int_equal(writes_of(c->params), wp);
    assert_int_equal(writes_of(c->cmds), wc);
    assert_true(tag(c, "speed") == 0 && tag(c, "counter") == 0 && tag(c, "limit") == 10);
    assert_true(tag(c, "p_abcd") == 0 && tag(c, "start") == 0 && tag(c, "c0") == 0);
    /* but a read-only connection reads */
    assert_int_equal(REQ(c, PLC_MODBUS_READ_ONLY, 0x03, 0, 0, 0, 3), 8);
}

static void a_read_may_take_half_a_value(void **state)
{
    struct ctx *c = *state;
    REQ(c, 0, 0x10, 0x00, 0x0A, 0x00, 0x02, 0x04, 0x3F, 0xC0, 0, 0);
    size_t n = REQ(c, 0, 0x03, 0x00, 0x0B, 0x00, 0x01);
    assert_int_equal(n, 4);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x03, 0x02, 0x00, 0x00}), 4);
}

static void other_functions_are_illegal_function(void **state)
{
    struct ctx *c = *state;
    assert_exception(c, REQ(c, 0, 0x08, 0, 0, 0, 0), 0x08, 1);
    assert_exception(c, REQ(c, 0, 0x2B, 0x0D, 0x00, 0x00), 0x2B, 1); /* MEI CANopen */
    assert_exception(c, REQ(c, 0, 0x18, 0x00, 0x00), 0x18, 1);
    assert_exception(c, plc_modbus_core_handle(c->core, NULL, 0, 0, c->rsp), 0x00, 1);
    struct plc_modbus_stats st;
    plc_modbus_core_get_stats(c->core, &st);
    assert_int_equal(st.exceptions[1], 4);
}

static void second_gateway_refused_as_writer(void **state)
{
    struct ctx *c = *state;
    struct plc_diag d;
    assert_null(plc_modbus_core_new(c->f->layout, c->f->base, &d));
    assert_int_equal(errno, PLC_EHELD);
    assert_non_null(strstr(d.msg, "region 'commands'"));
}

/* A read that touches a region twice, with another between, snapshots each region
 * once; a region too big to copy whole is read by its requested tags only. */
static void a_read_across_regions_and_of_a_big_region(void **state)
{
    (void)state;
    size_t cap = 128 * 1024, n = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    n += (size_t)snprintf(text + n, cap - n,
                          "[layout]\nname = mbbig\nversion = 1\n[modbus]\nunit_id = 1\n"
                          "[region big]\nwriter = logic\n[region small]\nwriter = modbus\n"
                          "[tag x]\nregion = big\ntype = uint32\nmodbus = holding_register:0\n"
                          "[tag y]\nregion = small\ntype = uint16\n"
                          "modbus = holding_register:2\n");
    for (int i = 0; i < 1100; i++) /* past 4096 bytes */
        n += (size_t)snprintf(text + n, cap - n, "[tag f%d]\nregion = big\ntype = uint32\n", i);
    snprintf(text + n, cap - n,
             "[tag z]\nregion = big\ntype = uint32\nmodbus = holding_register:3\n");
    struct fixture *f = fixture_new(text);
    free(text);
    fixture_init(f);
    const struct plc_tag_def *x = plc_layout_find_tag(f->layout, "x");
    const struct plc_tag_def *z = plc_layout_find_tag(f->layout, "z");
    assert_true(z->region->data_size > 4096);
    struct plc_region *logic =
        plc_region_attach(f->layout, f->base, "big", PLC_WRITER, "logic", &f->diag);
    assert_non_null(logic);
    struct ctx cx = {.core = plc_modbus_core_new(f->layout, f->base, &f->diag)}, *c = &cx;
    assert_non_null(c->core);
    assert_int_equal(plc_region_write_tag(logic, x, 0x00010002), 0);
    assert_int_equal(plc_region_write_tag(logic, z, 0x00030004), 0);
    assert_int_equal(REQ(c, 0, 0x06, 0x00, 0x02, 0x00, 0x07), 5);
    assert_int_equal(REQ(c, 0, 0x03, 0x00, 0x00, 0x00, 0x05), 12);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x03, 10, 0, 1, 0, 2, 0, 7, 0, 3, 0, 4}), 12);
    /* every read takes its own snapshot, of the tags it asks for */
    assert_int_equal(plc_region_write_tag(logic, z, 0x00050006), 0);
    assert_int_equal(REQ(c, 0, 0x03, 0x00, 0x03, 0x00, 0x02), 6);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x03, 4, 0, 5, 0, 6}), 6);
    assert_int_equal(plc_region_write_tag(logic, x, 0x00080009), 0);
    assert_int_equal(REQ(c, 0, 0x03, 0x00, 0x00, 0x00, 0x05), 12);
    assert_memory_equal(c->rsp, ((uint8_t[]){0x03, 10, 0, 8, 0, 9, 0, 7, 0, 5, 0, 6}), 12);
    plc_modbus_core_free(c->core);
    plc_region_detach(logic);
    fixture_free(f);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(write_and_read_coils),
        T(read_discrete_inputs_and_input_registers_of_other_writers),
        T(word_orders_round_trip),
        T(single_register_write_and_echo),
        T(mask_write_changes_only_the_masked_bits),
        T(mask_write_refused_as_a_single_register_write_is),
        T(read_write_multiple_writes_first),
        T(full_size_read_of_125_registers),
        T(bad_quantities_are_illegal_value),
        T(unmapped_and_past_the_end_are_illegal_address),
        cmocka_unit_test_setup_teardown(unmapped_reads_zero_answers_holes_with_zeros,
                                        setup_zero, teardown),
        T(refused_writes_write_nothing),
        T(a_read_may_take_half_a_value),
        T(other_functions_are_illegal_function),
        T(second_gateway_refused_as_writer),
        cmocka_unit_test(a_read_across_regions_and_of_a_big_region),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
