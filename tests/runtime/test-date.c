/* SPDX-License-Identifier: MIT */
/*
 * The DATE / TIME_OF_DAY / DATE_AND_TIME helpers (plc-date.h): day counts
 * checked against the calendar (days since 1970-01-01 computed by hand and
 * with Python's datetime), leap years, the 1970 and 2261 bounds, and the text
 * forms plc-st's literals and `plc-st sim` use.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plc-date.h"

#define DAY PLC_DATE_DAY_NS
#define S 1000000000LL

static int64_t date_of(int64_t y, unsigned m, unsigned d)
{
    int64_t ns = -1;
    assert_int_equal(plc_date_from_ymd(y, m, d, &ns), 0);
    return ns;
}

static void date_counts_days_since_1970(void **state)
{
    (void)state;
    assert_int_equal(date_of(1970, 1, 1), 0);
    assert_int_equal(date_of(1970, 1, 2), DAY);
    assert_int_equal(date_of(1971, 1, 1), 365 * DAY);
    assert_int_equal(date_of(2024, 1, 31), 19753 * DAY);
    assert_int_equal(date_of(2261, 12, 31), 106650 * DAY);
}

static void date_knows_leap_years(void **state)
{
    (void)state;
    int64_t ns = 0;
    assert_int_equal(date_of(2000, 2, 29), 11016 * DAY); /* divisible by 400: leap */
    assert_int_equal(date_of(2024, 2, 29) + DAY, date_of(2024, 3, 1));
    /* 2100 is divisible by 100, not by 400: no 29 February */
    errno = 0;
    assert_int_equal(plc_date_from_ymd(2100, 2, 29, &ns), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(date_of(2100, 2, 28), 47540 * DAY);
    assert_int_equal(date_of(2100, 3, 1), 47541 * DAY);
    errno = 0;
    assert_int_equal(plc_date_from_ymd(2023, 2, 29, &ns), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(plc_date_from_ymd(2024, 4, 31, &ns), -1);
    assert_int_equal(plc_date_from_ymd(2024, 13, 1, &ns), -1);
    assert_int_equal(plc_date_from_ymd(2024, 1, 0, &ns), -1);
}

static void date_refuses_years_outside_1970_to_2261(void **state)
{
    (void)state;
    int64_t ns = 7;
    errno = 0;
    assert_int_equal(plc_date_from_ymd(1969, 12, 31, &ns), -1);
    assert_int_equal(errno, ERANGE);
    errno = 0;
    assert_int_equal(plc_date_from_ymd(2262, 1, 1, &ns), -1);
    assert_int_equal(errno, ERANGE);
    assert_int_equal(ns, 7); /* untouched on failure */
}

static void tod_checks_its_fields(void **state)
{
    (void)state;
    int64_t ns = 0;
    assert_int_equal(plc_tod_from_hms(12, 30, 15, 500000000, &ns), 0);
    assert_int_equal(ns, (12 * 3600 + 30 * 60 + 15) * S + S / 2);
    assert_int_equal(plc_tod_from_hms(23, 59, 59, 999999999, &ns), 0);
    assert_int_equal(ns, DAY - 1);
    errno = 0;
    assert_int_equal(plc_tod_from_hms(24, 0, 0, 0, &ns), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(plc_tod_from_hms(0, 60, 0, 0, &ns), -1);
    assert_int_equal(plc_tod_from_hms(0, 0, 60, 0, &ns), -1);
    assert_int_equal(plc_tod_from_hms(0, 0, 0, 1000000000u, &ns), -1);
}

static void tod_arithmetic_wraps_at_midnight(void **state)
{
    (void)state;
    assert_int_equal(plc_tod_wrap(-S), DAY - S);
    assert_int_equal(plc_tod_wrap(DAY), 0);
    assert_int_equal(plc_tod_wrap(DAY + 5), 5);
    assert_int_equal(plc_tod_wrap(INT64_MIN) >= 0, 1);
    assert_int_equal(plc_tod_wrap(INT64_MAX) < DAY, 1);
}

static void dt_splits_into_date_and_tod(void **state)
{
    (void)state;
    int64_t dt = date_of(2024, 1, 31) + (12 * 3600 + 30 * 60 + 15) * S;
    assert_int_equal(plc_dt_to_date(dt), date_of(2024, 1, 31));
    assert_int_equal(plc_dt_to_tod(dt), (12 * 3600 + 30 * 60 + 15) * S);
    /* before 1970: the day still rounds down, the time of day stays positive */
    assert_int_equal(plc_dt_to_date(-1), -DAY);
    assert_int_equal(plc_dt_to_tod(-1), DAY - 1);
    struct plc_date_fields f;
    plc_date_split(-1, &f);
    assert_int_equal(f.year, 1969);
    assert_int_equal(f.month, 12);
    assert_int_equal(f.day, 31);
    assert_int_equal(f.hour, 23);
    assert_int_equal(f.minute, 59);
    assert_int_equal(f.second, 59);
    assert_int_equal(f.ns, 999999999);
}

static int64_t parsed(enum plc_date_kind k, const char *text)
{
    int64_t ns = -1;
    assert_int_equal(plc_date_parse(k, text, strlen(text), &ns), 0);
    return ns;
}

static void refused(enum plc_date_kind k, const char *text, int err)
{
    int64_t ns = 0;
    errno = 0;
    if (plc_date_parse(k, text, strlen(text), &ns) != -1 || errno != err)
        fail_msg("'%s' was not refused with errno %d (ns %lld, errno %d)", text, err,
                 (long long)ns, errno);
}

static void parse_reads_the_literal_forms(void **state)
{
    (void)state;
    int64_t d = date_of(2024, 1, 31), t = (12 * 3600 + 30 * 60 + 15) * S;
    assert_int_equal(parsed(PLC_DATE_DATE, "2024-01-31"), d);
    assert_int_equal(parsed(PLC_DATE_DATE, "D#2024-01-31"), d);
    assert_int_equal(parsed(PLC_DATE_DATE, "date#2024-1-31"), d);
    assert_int_equal(parsed(PLC_DATE_TOD, "TOD#12:30:15"), t);
    assert_int_equal(parsed(PLC_DATE_TOD, "TIME_OF_DAY#12:30:15.5"), t + S / 2);
    assert_int_equal(parsed(PLC_DATE_TOD, "00:00:00.000000001"), 1);
    assert_int_equal(parsed(PLC_DATE_DT, "DT#2024-01-31-12:30:15"), d + t);
    assert_int_equal(parsed(PLC_DATE_DT, "DATE_AND_TIME#1970-01-01-00:00:00"), 0);
}

static void parse_refuses_bad_literals(void **state)
{
    (void)state;
    refused(PLC_DATE_DATE, "2024-02-30", EINVAL);
    refused(PLC_DATE_DATE, "2100-02-29", EINVAL);
    refused(PLC_DATE_DATE, "1969-12-31", ERANGE);
    refused(PLC_DATE_DATE, "2024-01", EINVAL);
    refused(PLC_DATE_DATE, "2024-01-31x", EINVAL);
    refused(PLC_DATE_TOD, "24:00:00", EINVAL);
    refused(PLC_DATE_TOD, "-01:00:00", EINVAL); /* no negative time of day */
    refused(PLC_DATE_TOD, "TOD#-0:00:01", EINVAL);
    refused(PLC_DATE_TOD, "12:30", EINVAL);
    refused(PLC_DATE_TOD, "12:30:15.", EINVAL);
    refused(PLC_DATE_TOD, "12:30:15.0000000001", EINVAL); /* finer than a ns */
    refused(PLC_DATE_DT, "2024-01-31", EINVAL);
    refused(PLC_DATE_DT, "2024-01-31-12:61:00", EINVAL);
    refused(PLC_DATE_DT, "", EINVAL);
}

static void format_writes_iec_literals(void **state)
{
    (void)state;
    char buf[PLC_DATE_TEXT_MAX];
    int64_t d = date_of(2024, 1, 31), t = (12 * 3600 + 30 * 60 + 15) * S;
    plc_date_format(PLC_DATE_DATE, d, buf, sizeof(buf));
    assert_string_equal(buf, "D#2024-01-31");
    plc_date_format(PLC_DATE_TOD, t + S / 2, buf, sizeof(buf));
    assert_string_equal(buf, "TOD#12:30:15.5");
    plc_date_format(PLC_DATE_TOD, -S, buf, sizeof(buf));
    assert_string_equal(buf, "TOD#23:59:59");
    plc_date_format(PLC_DATE_DT, d + t + 1, buf, sizeof(buf));
    assert_string_equal(buf, "DT#2024-01-31-12:30:15.000000001");
    plc_date_format(PLC_DATE_DT, 0, buf, sizeof(buf));
    assert_string_equal(buf, "DT#1970-01-01-00:00:00");
    /* the extremes of int64 still print (arithmetic may leave the literals' range) */
    assert_true(plc_date_format(PLC_DATE_DT, INT64_MIN, buf, sizeof(buf)) <
                PLC_DATE_TEXT_MAX);
    assert_string_equal(buf, "DT#1677-09-21-00:12:43.145224192");
    plc_date_format(PLC_DATE_DT, INT64_MAX, buf, sizeof(buf));
    assert_string_equal(buf, "DT#2262-04-11-23:47:16.854775807");
    /* what format writes, parse reads back */
    assert_int_equal(parsed(PLC_DATE_DT, "DT#2024-01-31-12:30:15.000000001"), d + t + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(date_counts_days_since_1970),
        cmocka_unit_test(date_knows_leap_years),
        cmocka_unit_test(date_refuses_years_outside_1970_to_2261),
        cmocka_unit_test(tod_checks_its_fields),
        cmocka_unit_test(tod_arithmetic_wraps_at_midnight),
        cmocka_unit_test(dt_splits_into_date_and_tod),
        cmocka_unit_test(parse_reads_the_literal_forms),
        cmocka_unit_test(parse_refuses_bad_literals),
        cmocka_unit_test(format_writes_iec_literals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
