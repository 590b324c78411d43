/* SPDX-License-Identifier: MIT */
/*
 * The byte and 64-bit tag types on the wire: a real gateway process and
 * libmodbus's own client over loopback TCP. 64-bit values in every word
 * order, exact past 2^53, written only whole; int8 sign-extended and bytes
 * range-checked.
 */
#include "plc-layout.h"

/* Holding registers 400.. of region 'parameters' (writer modbus). */
#define MB_LAYOUT_EXTRA                                                                            \
    "[tag q_abcd]\nregion = parameters\ntype = int64\nmodbus = holding_register:400\n"            \
    "[tag q_cdab]\nregion = parameters\ntype = int64\nmodbus = holding_register:404\n"            \
    "modbus_word_order = CDAB\n"                                                                  \
    "[tag q_badc]\nregion = parameters\ntype = uint64\nmodbus = holding_register:408\n"           \
    "modbus_word_order = BADC\n"                                                                  \
    "[tag q_dcba]\nregion = parameters\ntype = int64\nmodbus = holding_register:412\n"            \
    "modbus_word_order = DCBA\n"                                                                  \
    "[tag lr]\nregion = parameters\ntype = float64\nmodbus = holding_register:416\n"              \
    "[tag sb]\nregion = parameters\ntype = int8\nmodbus = holding_register:420\n"                 \
    "[tag ub]\nregion = parameters\ntype = uint8\nmodbus = holding_register:421\n"

#include "mb-server.h"

/* The exact value of @name in region 'parameters'. */
static struct plc_value image_value(struct srv *s, const char *name)
{
    const struct plc_tag_def *t = plc_layout_find_tag(s->f->layout, name);
    assert_non_null(t);
    struct plc_region *r = plc_region_attach(s->f->layout, s->f->base, "parameters", PLC_READER,
                                             NULL, NULL);
    assert_non_null(r);
    uint8_t data[8192];
    assert_true(t->region->data_size <= sizeof(data));
    assert_int_equal(plc_region_read(r, data), 0);
    plc_region_detach(r);
    return plc_value_load(t->type, data + t->offset);
}

static void sixty_four_bit_values_in_every_word_order(void **state)
{
    struct srv *s = srv_start(NULL, false, NULL);
    modbus_t *m = mb_client(s->port, 7);
    /* 0x0102030405060708 as each order puts it on the wire (docs/layout.md) */
    static const struct {
        const char *tag;
        int address;
        uint16_t words[4];
    } cases[] = {
        {"q_abcd", 400, {0x0102, 0x0304, 0x0506, 0x0708}},
        {"q_cdab", 404, {0x0708, 0x0506, 0x0304, 0x0102}},
        {"q_badc", 408, {0x0201, 0x0403, 0x0605, 0x0807}},
        {"q_dcba", 412, {0x0807, 0x0605, 0x0403, 0x0201}},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint16_t back[4];
        assert_int_equal(modbus_write_registers(m, cases[i].address, 4, cases[i].words), 4);
        assert_true(image_value(s, cases[i].tag).u == 0x0102030405060708u);
        assert_int_equal(modbus_read_registers(m, cases[i].address, 4, back), 4);
        assert_memory_equal(back, cases[i].words, sizeof(back));
    }
    /* 2^53 + 1 and the extremes: no double in the way */
    static const uint16_t odd[4] = {0x0020, 0x0000, 0x0000, 0x0001};
    assert_int_equal(modbus_write_registers(m, 400, 4, odd), 4);
    assert_true(image_value(s, "q_abcd").i == 9007199254740993LL);
    static const uint16_t min[4] = {0x0000, 0x0000, 0x0000, 0x0080}; /* DCBA of INT64_MIN */
    assert_int_equal(modbus_write_registers(m, 412, 4, min), 4);
    assert_true(image_value(s, "q_dcba").i == INT64_MIN);
    static const uint16_t umax[4] = {0xffff, 0xffff, 0xffff, 0xffff};
    assert_int_equal(modbus_write_registers(m, 408, 4, umax), 4);
    assert_true(image_value(s, "q_badc").u == UINT64_MAX);
    /* float64, ABCD: 0.1 bit for bit */
    double d = 0.1;
    uint64_t u;
    memcpy(&u, &d, 8);
    uint16_t w[4] = {(uint16_t)(u >> 48), (uint16_t)(u >> 32), (uint16_t)(u >> 16), (uint16_t)u};
    assert_int_equal(modbus_write_registers(m, 416, 4, w), 4);
    assert_true(image_value(s, "lr").f == 0.1);
    mb_close(m);
    srv_stop(s);
    (void)state;
}

static void sixty_four_bit_values_written_only_whole(void **state)
{
    struct srv *s = srv_start(NULL, false, NULL);
    modbus_t *m = mb_client(s->port, 7);
    static const uint16_t v[4] = {0, 0, 0, 42};
    assert_int_equal(modbus_write_registers(m, 400, 4, v), 4);
    /* half of it, the tail of it, one register of it: refused, nothing changes */
    assert_int_equal(modbus_write_registers(m, 400, 2, v), -1);
    assert_int_equal(errno, EMBXILADD);
    assert_int_equal(modbus_write_registers(m, 402, 2, v), -1);
    assert_int_equal(errno, EMBXILADD);
    assert_int_equal(modbus_write_register(m, 403, 7), -1);
    assert_int_equal(errno, EMBXILADD);
    assert_true(image_value(s, "q_abcd").i == 42);
    /* a read may take part of a value, as for 32 bits */
    uint16_t back[2];
    assert_int_equal(modbus_read_registers(m, 402, 2, back), 2);
    assert_true(back[0] == 0 && back[1] == 42);
    /* NaN is no float64 */
    static const uint16_t nan[4] = {0x7ff8, 0, 0, 0};
    assert_int_equal(modbus_write_registers(m, 416, 4, nan), -1);
    assert_int_equal(errno, EMBXILVAL);
    mb_close(m);
    srv_stop(s);
    (void)state;
}

static void bytes_take_one_register_sign_extended_and_range_checked(void **state)
{
    struct srv *s = srv_start(NULL, false, NULL);
    modbus_t *m = mb_client(s->port, 7);
    uint16_t r[2];
    assert_int_equal(modbus_write_register(m, 420, 0xffff), 1); /* -1 */
    assert_true(image_value(s, "sb").i == -1);
    assert_int_equal(modbus_write_register(m, 421, 255), 1);
    assert_true(image_value(s, "ub").u == 255);
    assert_int_equal(modbus_read_registers(m, 420, 2, r), 2);
    assert_true(r[0] == 0xffff && r[1] == 255);
    /* outside the type: exception 03, the value stays */
    assert_int_equal(modbus_write_register(m, 420, 128), -1);
    assert_int_equal(errno, EMBXILVAL);
    assert_int_equal(modbus_write_register(m, 420, (uint16_t)-129), -1);
    assert_int_equal(errno, EMBXILVAL);
    assert_int_equal(modbus_write_register(m, 421, 256), -1);
    assert_int_equal(errno, EMBXILVAL);
    assert_true(image_value(s, "sb").i == -1);
    assert_true(image_value(s, "ub").u == 255);
    static const uint16_t both[2] = {(uint16_t)-128, 0};
    assert_int_equal(modbus_write_registers(m, 420, 2, both), 2);
    assert_true(image_value(s, "sb").i == -128);
    assert_true(image_value(s, "ub").u == 0);
    mb_close(m);
    srv_stop(s);
    (void)state;
}

/* A change a double cannot see (2^53 to 2^53 + 1) is still a change: one event each. */
static void a_write_past_2_53_posts_its_event(void **state)
{
    srv_events = true;
    struct srv *s = srv_start(NULL, false, NULL);
    srv_events = false;
    char path[256];
    plc_event_ring_path(s->f->layout, s->f->base, PLC_SOURCE_MODBUS, path, sizeof(path));
    struct plc_event_ring *r =
        plc_event_ring_open(path, PLC_READER, plc_layout_get_hash(s->f->layout), &s->f->diag);
    assert_non_null(r);
    modbus_t *m = mb_client(s->port, 7);
    static const uint16_t two53[4] = {0x0020, 0, 0, 0}, odd[4] = {0x0020, 0, 0, 1};
    assert_int_equal(modbus_write_registers(m, 400, 4, two53), 4);
    assert_int_equal(modbus_write_registers(m, 400, 4, odd), 4);
    uint64_t cursor = 0;
    struct plc_event ev;
    for (int i = 0; i < 2; i++) {
        assert_int_equal(plc_event_ring_read(r, &cursor, &ev, NULL), 1);
        assert_int_equal(ev.kind, PLC_EVENT_MODBUS_WRITE);
        assert_string_equal(ev.name, "q_abcd");
    }
    assert_int_equal(plc_event_ring_read(r, &cursor, &ev, NULL), 0);
    mb_close(m);
    plc_event_ring_close(r);
    srv_stop(s);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sixty_four_bit_values_in_every_word_order),
        cmocka_unit_test(sixty_four_bit_values_written_only_whole),
        cmocka_unit_test(bytes_take_one_register_sign_extended_and_range_checked),
        cmocka_unit_test(a_write_past_2_53_posts_its_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
