/* SPDX-License-Identifier: MIT */
/*
 * The tag key iec_address: the located address a Structured Text program
 * reaches a tag by. Its forms, the fit of its size letter to the tag's type
 * and of its area to the region's writer, one address per tag, the hash,
 * and plc_layout_find_iec_address().
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
/* A [tag NAME] in REGION of TYPE at ADDRESS: four lines. */
#define AT(name, region, type, address)                                                            \
    "[tag " name "]\nregion = " region "\ntype = " type "\niec_address = " address "\n"

static const char good[] = HEAD AT("start", "in", "bool", "%IX0.0")  /* line 10 */
    AT("stop", "in", "bool", "%i0.1")                                 /* 14: no size letter */
    AT("level", "in", "int16", "%IW3")                                /* 18 */
    AT("motor", "out", "bool", "%qx0.0")                              /* 22 */
    AT("speed", "out", "uint16", "%QW100")                            /* 26 */
    AT("setpoint", "par", "float32", "%MD0")                          /* 30 */
    AT("count", "out", "int32", "%MD1")                               /* 34 */
    AT("mode", "par", "uint16", "%MW3")                               /* 38 */
    AT("total", "par", "uint32", "%ID7")                              /* 42 */
    "[tag plain]\nregion = par\ntype = int16\n";                      /* 46: none */

static void addresses_kept_in_canonical_form(void **state)
{
    struct plc_layout *l = load_ok(good);
    static const struct {
        const char *tag, *address;
    } want[] = {
        {"start", "%IX0.0"}, {"stop", "%IX0.1"},     {"level", "%IW3"},
        {"motor", "%QX0.0"}, {"speed", "%QW100"},    {"setpoint", "%MD0"},
        {"count", "%MD1"},   {"mode", "%MW3"},       {"total", "%ID7"},
        {"plain", ""},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_string_equal(plc_layout_find_tag(l, want[i].tag)->iec_address, want[i].address);
    plc_layout_free(l);
    (void)state;
}

static void find_takes_canonical_and_loose_forms(void **state)
{
    struct plc_layout *l = load_ok(good);
    static const struct {
        const char *address, *tag;
    } want[] = {
        {"%IX0.0", "start"}, {"%i0.0", "start"}, {"%I0.1", "stop"},  {"%ix0.1", "stop"},
        {"%qw100", "speed"}, {"%QW100", "speed"}, {"%Qx0.0", "motor"}, {"%md1", "count"},
        {"%IW3", "level"},   {"%mw3", "mode"},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct plc_tag_def *t = plc_layout_find_iec_address(l, want[i].address);
        if (!t || strcmp(t->name, want[i].tag) != 0)
            fail_msg("%s: got %s, want %s", want[i].address, t ? t->name : "none",
                     want[i].tag);
    }
    /* An address no tag has, and text that is no address. */
    errno = 0;
    assert_null(plc_layout_find_iec_address(l, "%QX0.1"));
    assert_int_equal(errno, ENOENT);
    assert_null(plc_layout_find_iec_address(l, "%MW4"));
    assert_int_equal(errno, ENOENT);
    static const char *const junk[] = {"", "QX0.0", "%QX0", "%QX0.8", "%QW", "%ZW1",
                                       "%QW1.0", "%QW1x", "%QW1234567890"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        errno = 0;
        if (plc_layout_find_iec_address(l, junk[i]))
            fail_msg("'%s' found", junk[i]);
        assert_int_equal(errno, EINVAL);
    }
    plc_layout_free(l);
    (void)state;
}

static void not_an_address_refused_with_the_forms(void **state)
{
    static const char *const bad[] = {"QX0.0", "%QX0", "%QX0.8", "%Q", "%AX0.0", "%QW1.2",
                                      "%QW-1", "0"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char text[512], want[256];
        snprintf(text, sizeof(text), HEAD AT("x", "out", "bool", "%s"), bad[i]);
        snprintf(want, sizeof(want),
                 "t.ini:13: tag 'x': iec_address '%s' is not an IEC address (%%IX0.0, %%QX0.0, "
                 "%%IW3, %%QW3, %%MW3, %%MD3; %%I0.0 is %%IX0.0)",
                 bad[i]);
        assert_load_fails(text, want);
    }
    (void)state;
}

static void size_letter_must_fit_the_type(void **state)
{
    static const struct {
        const char *region, *type, *address, *want;
    } cases[] = {
        {"out", "int16", "%QX0.0", "%QX0.0 is a bit (X), which fits a bool, not int16"},
        {"in", "float32", "%I0.3", "%IX0.3 is a bit (X), which fits a bool, not float32"},
        {"par", "uint16", "%MB2", "%MB2 is a byte (B), which fits int8 or uint8, not uint16"},
        {"in", "bool", "%IB0", "%IB0 is a byte (B), which fits int8 or uint8, not bool"},
        {"par", "bool", "%MW2", "%MW2 is a word (W), which fits int16 or uint16, not bool"},
        {"par", "int32", "%MW2", "%MW2 is a word (W), which fits int16 or uint16, not int32"},
        {"out", "int16", "%QD2",
         "%QD2 is a double word (D), which fits int32, uint32 or float32, not int16"},
        {"par", "int32", "%ML2",
         "%ML2 is a long word (L), which fits int64, uint64 or float64, not int32"},
        {"out", "uint8", "%QL2",
         "%QL2 is a long word (L), which fits int64, uint64 or float64, not uint8"},
        {"par", "float64", "%MD2",
         "%MD2 is a double word (D), which fits int32, uint32 or float32, not float64"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char text[512], want[256];
        snprintf(text, sizeof(text), HEAD AT("x", "%s", "%s", "%s"), cases[i].region,
                 cases[i].type, cases[i].address);
        snprintf(want, sizeof(want), "t.ini:13: tag 'x': iec_address %s", cases[i].want);
        assert_load_fails(text, want);
    }
    (void)state;
}

static void byte_and_long_addresses_fit_their_types(void **state)
{
    struct plc_layout *l = load_ok(HEAD AT("a", "in", "uint8", "%IB0") AT("b", "out", "int8", "%QB1")
                                   AT("c", "par", "uint8", "%MB2") AT("d", "par", "int64", "%ML0")
                                   AT("e", "in", "uint64", "%IL1") AT("f", "out", "float64", "%QL2"));
    static const char *const want[][2] = {{"%IB0", "a"}, {"%qb1", "b"}, {"%MB2", "c"},
                                          {"%ml0", "d"}, {"%IL1", "e"}, {"%QL2", "f"}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_string_equal(plc_layout_find_iec_address(l, want[i][0])->name, want[i][1]);
    plc_layout_free(l);
    (void)state;
}

static void area_must_fit_the_writer(void **state)
{
    assert_load_fails(HEAD AT("x", "out", "bool", "%IX0.0"),
                      "t.ini:13: tag 'x': iec_address %IX0.0 is an input (%I), but region 'out' "
                      "is written by the logic: use %Q or %M");
    assert_load_fails(HEAD AT("x", "in", "bool", "%QX0.0"),
                      "t.ini:13: tag 'x': iec_address %QX0.0 is an output (%Q), but region 'in' "
                      "is written by io, not the logic: use %I or %M");
    assert_load_fails(HEAD AT("x", "par", "int16", "%QW1"),
                      "t.ini:13: tag 'x': iec_address %QW1 is an output (%Q), but region 'par' "
                      "is written by modbus, not the logic: use %I or %M");
    /* A parameter the logic reads is an input to it; %M goes with either writer. */
    struct plc_layout *l = load_ok(HEAD AT("a", "par", "int16", "%IW1") AT("b", "par", "int16",
                                                                          "%MW1")
                                       AT("c", "out", "int16", "%MW2"));
    plc_layout_free(l);
    (void)state;
}

static void one_address_one_tag(void **state)
{
    assert_load_fails(HEAD AT("a", "out", "bool", "%QX0.0") AT("b", "out", "bool", "%qx0.0"),
                      "t.ini:14: tag 'b': iec_address %QX0.0 is already bound to tag 'a' "
                      "(line 10)");
    /* %I0.0 and %IX0.0 are one address. */
    assert_load_fails(HEAD AT("a", "in", "bool", "%IX0.0") "[tag c]\nregion = in\ntype = bool\n"
                          AT("b", "in", "bool", "%I0.0"),
                      "t.ini:17: tag 'b': iec_address %IX0.0 is already bound to tag 'a' "
                      "(line 10)");
    /* The same number in another area or size is another address. */
    struct plc_layout *l =
        load_ok(HEAD AT("a", "in", "bool", "%IX0.0") AT("b", "out", "bool", "%QX0.0")
                    AT("c", "par", "bool", "%MX0.0") AT("d", "par", "int16", "%MW0")
                        AT("e", "par", "int32", "%MD0") AT("f", "in", "int16", "%IW0"));
    plc_layout_free(l);
    (void)state;
}

static void given_twice_refused(void **state)
{
    assert_load_fails(HEAD AT("x", "out", "bool", "%QX0.0") "iec_address = %QX0.1\n",
                      "t.ini:14: tag 'x': duplicate key 'iec_address' (first at line 13)");
    (void)state;
}

/* Programs bind located variables by address: moving one is a layout change.
 * A layout without addresses hashes as it did before the key existed. */
static void address_in_the_hash_only_when_given(void **state)
{
#define ONE(extra) HEAD "[tag x]\nregion = out\ntype = bool\n" extra
    uint64_t none = hash_of_layout(ONE(""));
    uint64_t q0 = hash_of_layout(ONE("iec_address = %QX0.0\n"));
    assert_true(none != q0);
    assert_true(q0 != hash_of_layout(ONE("iec_address = %QX0.1\n")));
    assert_true(q0 == hash_of_layout(ONE("iec_address = %q0.0\n"))); /* canonical */

    char *text = canonical_of(ONE("iec_address = %q0.0\n"));
    assert_non_null(strstr(text, "tag x region=out type=bool offset=0 initial=0 min=0 max=1 "
                                 "safe=0 retain=0 iec=%QX0.0\n"));
    free(text);
    text = canonical_of(ONE(""));
    assert_null(strstr(text, "iec"));
    free(text);
#undef ONE
    (void)state;
}

/* The demo layout has no addresses: plc_layout_find_iec_address finds nothing. */
static void demo_has_no_addresses(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(PLC_TEST_LAYOUT, &d);
    assert_non_null(l);
    for (size_t i = 0; i < plc_layout_tag_count(l); i++)
        assert_string_equal(plc_layout_tag_at(l, i)->iec_address, "");
    assert_null(plc_layout_find_iec_address(l, "%QX0.0"));
    plc_layout_free(l);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(addresses_kept_in_canonical_form),
        cmocka_unit_test(find_takes_canonical_and_loose_forms),
        cmocka_unit_test(not_an_address_refused_with_the_forms),
        cmocka_unit_test(size_letter_must_fit_the_type),
        cmocka_unit_test(byte_and_long_addresses_fit_their_types),
        cmocka_unit_test(area_must_fit_the_writer),
        cmocka_unit_test(one_address_one_tag),
        cmocka_unit_test(given_twice_refused),
        cmocka_unit_test(address_in_the_hash_only_when_given),
        cmocka_unit_test(demo_has_no_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
