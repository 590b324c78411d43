/* SPDX-License-Identifier: MIT */
/*
 * The pure parts of plc-web's views: the start time read from a
 * /proc/PID/stat line (a service's uptime), and the query of /api/events
 * (each parameter, each refusal naming the parameter, what a filter takes).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "plc-event.h"

#define NOW_NS 1700000000000000000LL

static void proc_stat_start_is_field_22_after_the_last_parenthesis(void **state)
{
    /* A name with spaces and parentheses, as prctl() allows. */
    const char *stat = "812 (plc (x) y) S 1 812 812 0 -1 4194560 164 0 0 0 3 1 0 0 20 0 1 0 "
                       "123456 10559488 283 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 "
                       "0 0 0 0 0\n";
    uint64_t ticks = 0;
    assert_int_equal(web_proc_stat_start(stat, &ticks), 0);
    assert_int_equal(ticks, 123456);
}

static void proc_stat_start_refuses_what_is_no_stat_line(void **state)
{
    uint64_t ticks = 7;
    assert_int_equal(web_proc_stat_start("812 (plc-io) S 1 2 3\n", &ticks), -1);
    assert_int_equal(web_proc_stat_start("no parenthesis at all", &ticks), -1);
    assert_int_equal(web_proc_stat_start("", &ticks), -1);
    assert_int_equal(web_proc_stat_start("812 (a) S 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 "
                                         "x 20\n",
                                         &ticks),
                     -1);
    assert_int_equal(ticks, 7);
}

static void event_filter_takes_each_parameter(void **state)
{
    struct web_event_filter f = {.limit = WEB_EVENTS_LIMIT_DEFAULT};
    char err[256] = "";
    assert_int_equal(web_event_filter_set(&f, "since", "1699999999000000000", NOW_NS, err,
                                          sizeof(err)),
                     0);
    assert_true(f.since_set);
    assert_int_equal(f.since_ns, 1699999999000000000LL);
    assert_int_equal(web_event_filter_set(&f, "since", "-10min", NOW_NS, err, sizeof(err)), 0);
    assert_int_equal(f.since_ns, NOW_NS - 600000000000LL);
    assert_int_equal(web_event_filter_set(&f, "since", "-2h", NOW_NS, err, sizeof(err)), 0);
    assert_int_equal(f.since_ns, NOW_NS - 7200000000000LL);
    assert_int_equal(web_event_filter_set(&f, "limit", "10000", NOW_NS, err, sizeof(err)), 0);
    assert_int_equal(f.limit, 10000);
    assert_int_equal(web_event_filter_set(&f, "source", "logic", NOW_NS, err, sizeof(err)), 0);
    assert_int_equal(f.source, PLC_SOURCE_LOGIC);
    assert_int_equal(web_event_filter_set(&f, "kind", "alarm-raised", NOW_NS, err, sizeof(err)),
                     0);
    assert_int_equal(f.kind, PLC_EVENT_ALARM_RAISED);
    assert_int_equal(web_event_filter_set(&f, "q", "Tank", NOW_NS, err, sizeof(err)), 0);
    assert_string_equal(f.q, "Tank");
    assert_string_equal(err, "");
}

static void event_filter_names_the_bad_parameter(void **state)
{
    static const struct {
        const char *key, *value, *error;
    } bad[] = {
        {"limit", "0", "query parameter 'limit' is '0': give a number from 1 to 10000"},
        {"limit", "10001", "query parameter 'limit' is '10001': give a number from 1 to 10000"},
        {"limit", "-1", "query parameter 'limit' is '-1': give a number from 1 to 10000"},
        {"limit", NULL, "query parameter 'limit' is '': give a number from 1 to 10000"},
        {"since", "yesterday",
         "query parameter 'since' is 'yesterday': give realtime nanoseconds (an event's "
         "realtime_ns) or an age such as -30s, -10min, -2h, -1d"},
        {"since", "-5weeks",
         "query parameter 'since' is '-5weeks': give realtime nanoseconds (an event's "
         "realtime_ns) or an age such as -30s, -10min, -2h, -1d"},
        {"source", "plc",
         "query parameter 'source' is 'plc': give one of shm-init, io, logic, modbus, retain, "
         "plcctl, web, mqtt"},
        {"q", "0123456789012345678901234567890123456789012345678901234567890123456789",
         "query parameter 'q' is longer than 63 characters"},
        {"order", "asc",
         "unknown query parameter 'order': the events take since, limit, source, kind, q"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct web_event_filter f = {.limit = WEB_EVENTS_LIMIT_DEFAULT};
        char err[512] = "";
        assert_int_equal(web_event_filter_set(&f, bad[i].key, bad[i].value, NOW_NS, err,
                                              sizeof(err)),
                         -1);
        assert_string_equal(err, bad[i].error);
        assert_int_equal(f.limit, WEB_EVENTS_LIMIT_DEFAULT);
    }
    struct web_event_filter f = {0};
    char err[512];
    assert_int_equal(web_event_filter_set(&f, "kind", "alarm", NOW_NS, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "query parameter 'kind' is 'alarm': give one of alarm-raised, "));
}

static void event_filter_matches_source_kind_time_and_text(void **state)
{
    struct plc_event ev;
    struct web_event_filter f = {.limit = 1};
    char err[256];
    assert_int_equal(plc_event_init(&ev, PLC_SOURCE_LOGIC, PLC_EVENT_ALARM_RAISED, 3,
                                    "tank_level.h", "Tank level high"),
                     0);
    ev.realtime_ns = NOW_NS;
    assert_true(web_event_filter_match(&f, &ev));
    web_event_filter_set(&f, "q", "LEVEL HIGH", NOW_NS, err, sizeof(err));
    assert_true(web_event_filter_match(&f, &ev)); /* the text, any case */
    web_event_filter_set(&f, "q", "TANK_level", NOW_NS, err, sizeof(err));
    assert_true(web_event_filter_match(&f, &ev)); /* the name */
    web_event_filter_set(&f, "q", "pump", NOW_NS, err, sizeof(err));
    assert_false(web_event_filter_match(&f, &ev));
    f.q[0] = '\0';
    web_event_filter_set(&f, "source", "io", NOW_NS, err, sizeof(err));
    assert_false(web_event_filter_match(&f, &ev));
    web_event_filter_set(&f, "source", "logic", NOW_NS, err, sizeof(err));
    web_event_filter_set(&f, "kind", "alarm-cleared", NOW_NS, err, sizeof(err));
    assert_false(web_event_filter_match(&f, &ev));
    web_event_filter_set(&f, "kind", "alarm-raised", NOW_NS, err, sizeof(err));
    assert_true(web_event_filter_match(&f, &ev));
    /* since is exclusive: a client passes the last realtime_ns it has */
    web_event_filter_set(&f, "since", "1700000000000000000", NOW_NS, err, sizeof(err));
    assert_false(web_event_filter_match(&f, &ev));
    web_event_filter_set(&f, "since", "1699999999999999999", NOW_NS, err, sizeof(err));
    assert_true(web_event_filter_match(&f, &ev));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(proc_stat_start_is_field_22_after_the_last_parenthesis),
        cmocka_unit_test(proc_stat_start_refuses_what_is_no_stat_line),
        cmocka_unit_test(event_filter_takes_each_parameter),
        cmocka_unit_test(event_filter_names_the_bad_parameter),
        cmocka_unit_test(event_filter_matches_source_kind_time_and_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
