/* SPDX-License-Identifier: MIT */
/*
 * Durations: the one parser the layout ([logic], [retain], gpio_debounce) and
 * every command line (--period, --interval, --restart-delay, ...) share, and
 * the formatter its range messages use.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plc-layout.h"

static uint32_t parse_ok(const char *text, uint32_t min, uint32_t max)
{
    struct plc_diag d;
    uint32_t us = 12345;
    if (plc_duration_parse(text, min, max, "--x", &us, &d) != 0)
        fail_msg("'%s' refused: %s", text, d.msg);
    return us;
}

/* Refused with @err and exactly @msg; the output is left alone. */
static void parse_fails(const char *text, uint32_t min, uint32_t max, int err, const char *msg)
{
    struct plc_diag d;
    uint32_t us = 12345;
    errno = 0;
    assert_int_equal(plc_duration_parse(text, min, max, "--x", &us, &d), -1);
    assert_int_equal(errno, err);
    assert_string_equal(d.msg, msg);
    assert_string_equal(d.file, "");
    assert_int_equal(d.line, 0);
    assert_int_equal(us, 12345);
}

static void units_us_ms_s_and_bare_milliseconds(void **state)
{
    assert_int_equal(parse_ok("500us", 0, UINT32_MAX), 500);
    assert_int_equal(parse_ok("10ms", 0, UINT32_MAX), 10000);
    assert_int_equal(parse_ok("1s", 0, UINT32_MAX), 1000000);
    assert_int_equal(parse_ok("7", 0, UINT32_MAX), 7000);
    assert_int_equal(parse_ok("0", 0, UINT32_MAX), 0);
    assert_int_equal(parse_ok("0us", 0, UINT32_MAX), 0);
    assert_int_equal(parse_ok("007ms", 0, UINT32_MAX), 7000); /* decimal, never octal */
    assert_int_equal(parse_ok("4294967295us", 0, UINT32_MAX), UINT32_MAX);
    (void)state;
}

static void other_forms_are_not_durations(void **state)
{
    static const char *const bad[] = {"",   "fast", "-5ms", "+5ms", " 5ms", "5 ms",  "5min",
                                      "2h", "1.5s", "5MS",  "ms",   "0x10", "10ms ", "1e3"};
    char want[128];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(want, sizeof(want), "--x '%s' is not a duration (10ms, 500us, 1s)", bad[i]);
        parse_fails(bad[i], 0, UINT32_MAX, EINVAL, want);
    }
    (void)state;
}

static void range_is_inclusive_and_named_in_the_largest_exact_unit(void **state)
{
    assert_int_equal(parse_ok("100us", 100, 10000000), 100);
    assert_int_equal(parse_ok("10s", 100, 10000000), 10000000);
    assert_int_equal(parse_ok("10000ms", 100, 10000000), 10000000);
    parse_fails("99us", 100, 10000000, ERANGE, "--x 99us is outside 100us..10s");
    parse_fails("10001ms", 100, 10000000, ERANGE, "--x 10001ms is outside 100us..10s");
    parse_fails("5ms", 100000, 3600000000u, ERANGE, "--x 5ms is outside 100ms..3600s");
    parse_fails("61s", 0, 60000000, ERANGE, "--x 61s is outside 0..60s");
    (void)state;
}

static void too_large_for_32_bits_is_outside(void **state)
{
    parse_fails("4295s", 0, UINT32_MAX, ERANGE, "--x 4295s is outside 0..4294967295us");
    parse_fails("99999999999999999999999us", 0, UINT32_MAX, ERANGE,
                "--x 99999999999999999999999us is outside 0..4294967295us");
    (void)state;
}

static void diag_is_optional(void **state)
{
    uint32_t us = 1;
    errno = 0;
    assert_int_equal(plc_duration_parse("soon", 0, 10, NULL, &us, NULL), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(plc_duration_parse("11ms", 0, 10000, NULL, &us, NULL), -1);
    assert_int_equal(errno, ERANGE);
    assert_int_equal(us, 1);
    (void)state;
}

static void format_picks_the_largest_exact_unit(void **state)
{
    static const struct {
        uint32_t us;
        const char *text;
    } cases[] = {
        {0, "0"},
        {1, "1us"},
        {100, "100us"},
        {1500, "1500us"},
        {1000, "1ms"},
        {100000, "100ms"},
        {1000000, "1s"},
        {1500000, "1500ms"},
        {10000000, "10s"},
        {3600000000u, "3600s"},
        {UINT32_MAX, "4294967295us"},
    };
    char buf[32];
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(plc_duration_format(cases[i].us, buf, sizeof(buf)),
                         (int)strlen(cases[i].text));
        assert_string_equal(buf, cases[i].text);
    }
    (void)state;
}

/* The layout reports a bad duration with its line, in the parser's words. */
static void layout_names_key_and_line(void **state)
{
    static const char text[] = "[layout]\nname = t\nversion = 1\n"
                               "[logic]\nperiod = 50us\n"
                               "[region outputs]\nwriter = logic\n";
    struct plc_diag d;
    char buf[1200];
    assert_null(plc_layout_load_string(text, "t.ini", &d));
    assert_int_equal(errno, EINVAL);
    plc_diag_format(&d, buf, sizeof(buf));
    assert_string_equal(buf, "t.ini:5: [logic]: period 50us is outside 100us..10s");
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(units_us_ms_s_and_bare_milliseconds),
        cmocka_unit_test(other_forms_are_not_durations),
        cmocka_unit_test(range_is_inclusive_and_named_in_the_largest_exact_unit),
        cmocka_unit_test(too_large_for_32_bits_is_outside),
        cmocka_unit_test(diag_is_optional),
        cmocka_unit_test(format_picks_the_largest_exact_unit),
        cmocka_unit_test(layout_names_key_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
