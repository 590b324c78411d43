/* SPDX-License-Identifier: MIT */
/*
 * The byte and 64-bit tag types (int8, uint8, int64, uint64, float64) and
 * struct plc_value: exact parsing past 2^53, range errors, bytes in and out,
 * alignment in a region, Modbus register counts, the hash, the header and
 * the alarms they refuse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "layout-check.h"

/* Lines 1-9: a region io writes, one the logic writes, one Modbus writes. */
#define HEAD                                                                                       \
    "[layout]\nname = t\nversion = 1\n"                                                           \
    "[region in]\nwriter = io\n[region out]\nwriter = logic\n[region par]\nwriter = modbus\n"
#define TAG(name, region, type) "[tag " name "]\nregion = " region "\ntype = " type "\n"

static void parse_ok(enum plc_type type, const char *text, const char *want)
{
    struct plc_value v;
    char buf[64];
    if (plc_value_parse(type, text, &v) != 0)
        fail_msg("%s '%s' refused: %s", plc_type_name(type), text, strerror(errno));
    plc_value_format(type, &v, buf, sizeof(buf));
    if (strcmp(buf, want) != 0)
        fail_msg("%s '%s' reads back as '%s', want '%s'", plc_type_name(type), text, buf, want);
}

static void parse_fails(enum plc_type type, const char *text, int err)
{
    struct plc_value v = {.u = 42};
    errno = 0;
    if (plc_value_parse(type, text, &v) != -1 || errno != err)
        fail_msg("%s '%s': want errno %d, got %d", plc_type_name(type), text, err, errno);
    assert_int_equal(v.u, 42); /* untouched on failure */
}

static void types_named_sized_and_typed(void **state)
{
    static const struct {
        const char *name, *ctype;
        size_t size;
    } want[] = {{"int8", "int8_t", 1},     {"uint8", "uint8_t", 1},  {"int64", "int64_t", 8},
                {"uint64", "uint64_t", 8}, {"float64", "double", 8}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        enum plc_type t = plc_type_from_name(want[i].name);
        assert_int_not_equal(t, PLC_TYPE_ERROR);
        assert_string_equal(plc_type_name(t), want[i].name);
        assert_string_equal(plc_type_ctype(t), want[i].ctype);
        assert_int_equal(plc_type_size(t), want[i].size);
    }
    (void)state;
}

static void int64_values_past_2_53_are_exact(void **state)
{
    parse_ok(PLC_TYPE_INT64, "9007199254740993", "9007199254740993");
    parse_ok(PLC_TYPE_INT64, "-9223372036854775808", "-9223372036854775808");
    parse_ok(PLC_TYPE_INT64, "9223372036854775807", "9223372036854775807");
    parse_ok(PLC_TYPE_INT64, "0x7fffffffffffffff", "9223372036854775807");
    parse_ok(PLC_TYPE_UINT64, "18446744073709551615", "18446744073709551615");
    parse_ok(PLC_TYPE_UINT64, "18446744073709551613", "18446744073709551613");
    parse_ok(PLC_TYPE_FLOAT64, "0.1", "0.1");
    parse_ok(PLC_TYPE_FLOAT64, "1e300", "1e+300");
    parse_ok(PLC_TYPE_INT8, "-128", "-128");
    parse_ok(PLC_TYPE_UINT8, "0xff", "255");
    (void)state;
}

static void values_outside_the_type_are_range_errors(void **state)
{
    parse_fails(PLC_TYPE_INT64, "9223372036854775808", ERANGE);
    parse_fails(PLC_TYPE_INT64, "-9223372036854775809", ERANGE);
    parse_fails(PLC_TYPE_UINT64, "18446744073709551616", ERANGE);
    parse_fails(PLC_TYPE_UINT64, "-1", ERANGE);
    parse_fails(PLC_TYPE_INT8, "128", ERANGE);
    parse_fails(PLC_TYPE_INT8, "-129", ERANGE);
    parse_fails(PLC_TYPE_UINT8, "256", ERANGE);
    parse_fails(PLC_TYPE_FLOAT64, "1e309", ERANGE);
    parse_fails(PLC_TYPE_INT64, "1.5", EINVAL);
    parse_fails(PLC_TYPE_UINT64, "x", EINVAL);
    parse_fails(PLC_TYPE_FLOAT64, "nan", EINVAL);
    (void)state;
}

static void values_stored_and_loaded_bit_exact(void **state)
{
    unsigned char buf[9];
    struct plc_value v = {.i = INT64_MIN + 1}, back;
    plc_value_store(PLC_TYPE_INT64, &v, buf + 1); /* unaligned on purpose */
    back = plc_value_load(PLC_TYPE_INT64, buf + 1);
    assert_true(back.i == INT64_MIN + 1);
    v.u = UINT64_MAX - 2;
    plc_value_store(PLC_TYPE_UINT64, &v, buf);
    assert_true(plc_value_load(PLC_TYPE_UINT64, buf).u == UINT64_MAX - 2);
    v.i = -5;
    plc_value_store(PLC_TYPE_INT8, &v, buf);
    assert_int_equal(buf[0], 0xfb);
    assert_true(plc_value_load(PLC_TYPE_INT8, buf).i == -5);
    (void)state;
}

static void layout_aligns_64_bit_tags_to_8_bytes(void **state)
{
    struct plc_layout *l = load_ok(HEAD TAG("a", "par", "int8") TAG("b", "par", "int64")
                                       TAG("c", "par", "uint8") TAG("d", "par", "float64")
                                       TAG("e", "par", "uint64"));
    static const struct {
        const char *name;
        size_t offset;
    } want[] = {{"a", 0}, {"b", 8}, {"c", 16}, {"d", 24}, {"e", 32}};
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(plc_layout_find_tag(l, want[i].name)->offset, want[i].offset);
    assert_int_equal(plc_layout_find_region(l, "par")->data_size, 40);
    plc_layout_free(l);
    (void)state;
}

static void layout_holds_initial_min_max_exactly(void **state)
{
    struct plc_layout *l = load_ok(HEAD TAG("n", "out", "int64")
                                   "initial = 9007199254740993\nmin = -9007199254740993\n"
                                   "max = 9007199254740993\nsafe = 9007199254740993\n"
                                   TAG("u", "out", "uint64") "initial = 18446744073709551615\n");
    const struct plc_tag_def *n = plc_layout_find_tag(l, "n");
    assert_true(n->initial_v.i == 9007199254740993LL);
    assert_true(n->min_v.i == -9007199254740993LL);
    assert_true(n->max_v.i == 9007199254740993LL);
    assert_true(n->safe_v.i == 9007199254740993LL);
    const struct plc_tag_def *u = plc_layout_find_tag(l, "u");
    assert_true(u->initial_v.u == UINT64_MAX);
    assert_true(u->min_v.u == 0 && u->max_v.u == UINT64_MAX);
    plc_layout_free(l);
    (void)state;
}

static void layout_compares_past_2_53_exactly(void **state)
{
    /* As doubles 2^53 + 1 == 2^53: only an exact compare sees it past max. */
    assert_load_fails(HEAD TAG("n", "out", "int64") "max = 9007199254740992\n"
                                                     "initial = 9007199254740993\n",
                      "t.ini:14: tag 'n': initial 9007199254740993 is outside min..max");
    assert_load_fails(HEAD TAG("n", "out", "int64") "min = 9007199254740993\n"
                                                     "max = 9007199254740992\n",
                      "t.ini:14: tag 'n': min 9007199254740993 is greater than max "
                      "9007199254740992");
    assert_load_fails(HEAD TAG("b", "out", "uint8") "initial = 256\n",
                      "t.ini:13: tag 'b': initial 256 is outside the range of uint8");
    assert_load_fails(HEAD TAG("b", "out", "uint64") "initial = -1\n",
                      "t.ini:13: tag 'b': initial -1 is outside the range of uint64");
    (void)state;
}

static void hash_tells_values_apart_past_2_53(void **state)
{
    uint64_t a = hash_of_layout(HEAD TAG("n", "out", "int64") "initial = 9007199254740992\n");
    uint64_t b = hash_of_layout(HEAD TAG("n", "out", "int64") "initial = 9007199254740993\n");
    assert_true(a != b);
    char *c = canonical_of(HEAD TAG("n", "out", "uint64") "initial = 18446744073709551615\n");
    assert_non_null(strstr(c, "type=uint64 offset=0 initial=18446744073709551615 min=0 "
                              "max=18446744073709551615 safe=0"));
    free(c);
    (void)state;
}

static void modbus_takes_4_registers_for_64_bits_and_1_for_a_byte(void **state)
{
    struct plc_layout *l = load_ok(HEAD TAG("n", "par", "int64")
                                   "modbus = holding_register:10\nmodbus_word_order = DCBA\n"
                                   TAG("d", "par", "float64") "modbus = holding_register:20\n"
                                   TAG("b", "par", "int8") "modbus = holding_register:30\n");
    const struct plc_tag_def *n = plc_layout_find_tag(l, "n");
    assert_int_equal(n->modbus.count, 4);
    assert_int_equal(n->modbus.word_order, PLC_WORD_ORDER_DCBA);
    assert_int_equal(plc_layout_find_tag(l, "d")->modbus.count, 4);
    assert_int_equal(plc_layout_find_tag(l, "d")->modbus.word_order, PLC_WORD_ORDER_ABCD);
    assert_int_equal(plc_layout_find_tag(l, "b")->modbus.count, 1);
    plc_layout_free(l);
    assert_load_fails(HEAD TAG("n", "par", "uint64") "modbus = holding_register:65533\n",
                      "t.ini:13: tag 'n': modbus holding_register:65533 runs past address 65535");
    assert_load_fails(HEAD TAG("b", "par", "uint8")
                      "modbus = holding_register:1\nmodbus_word_order = CDAB\n",
                      "t.ini:14: tag 'b': modbus_word_order applies to 32- and 64-bit types only");
    (void)state;
}

static void alarm_limits_refused_on_64_bit_integers(void **state)
{
    assert_load_fails(HEAD TAG("n", "in", "int64") "alarm_h = 5\n",
                      "t.ini:13: tag 'n': alarm_h does not apply to int64 tags: alarms compare "
                      "in doubles, which do not hold every 64-bit integer (use int32, uint32 or "
                      "float64)");
    assert_load_fails(HEAD TAG("x", "in", "int16") "alarm_h = lim\n" TAG("lim", "par", "uint64"),
                      "t.ini:13: tag 'x': alarm_h tag 'lim' is uint64; a limit tag has a type a "
                      "double holds exactly (not int64 or uint64)");
    struct plc_layout *l = load_ok(HEAD "[region alarms]\nwriter = logic\n"
                                   TAG("d", "in", "float64") "alarm_h = 5\n"
                                   TAG("b", "in", "int8") "alarm_l = -5\n");
    assert_int_equal(plc_layout_alarm_count(l), 2);
    plc_layout_free(l);
    (void)state;
}

static void header_declares_the_c_types(void **state)
{
    struct plc_layout *l = load_ok(HEAD TAG("a", "par", "int8") TAG("b", "par", "int64")
                                       TAG("c", "par", "uint8") TAG("d", "par", "float64")
                                       TAG("e", "par", "uint64"));
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(plc_layout_write_header(l, f), 0);
    fclose(f);
    static const char *const want[] = {
        "    int8_t a; /* offset 0 */\n    uint8_t _pad0[7];\n    int64_t b; /* offset 8 */\n",
        "    uint8_t c; /* offset 16 */\n", "    double d; /* offset 24 */\n",
        "    uint64_t e; /* offset 32 */\n"};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(buf, want[i]))
            fail_msg("header lacks:\n%s\nin:\n%s", want[i], buf);
    free(buf);
    plc_layout_free(l);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(types_named_sized_and_typed),
        cmocka_unit_test(int64_values_past_2_53_are_exact),
        cmocka_unit_test(values_outside_the_type_are_range_errors),
        cmocka_unit_test(values_stored_and_loaded_bit_exact),
        cmocka_unit_test(layout_aligns_64_bit_tags_to_8_bytes),
        cmocka_unit_test(layout_holds_initial_min_max_exactly),
        cmocka_unit_test(layout_compares_past_2_53_exactly),
        cmocka_unit_test(hash_tells_values_apart_past_2_53),
        cmocka_unit_test(modbus_takes_4_registers_for_64_bits_and_1_for_a_byte),
        cmocka_unit_test(alarm_limits_refused_on_64_bit_integers),
        cmocka_unit_test(header_declares_the_c_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
