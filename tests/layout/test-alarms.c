/* SPDX-License-Identifier: MIT */
/* The alarm keys of a [tag NAME] section: every key, defaults, names, hash, file:line errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "layout-check.h"

#define BASE                                                                                       \
    "[layout]\nname = t\nversion = 1\n"                                                            \
    "[region inputs]\nwriter = io\n"                                                               \
    "[region outputs]\nwriter = logic\n"                                                           \
    "[region params]\nwriter = modbus\n"                                                           \
    "[tag level_max]\nregion = params\ntype = float32\n"                                           \
    "[tag flag]\nregion = params\ntype = bool\n"                                                   \
    "[tag out]\nregion = outputs\ntype = float32\n"
/* BASE takes 18 lines: a tag after it starts on line 19, and after its region and
 * type, its first alarm key is on line 22. */

/* BASE with @tags after it. */
static const char *with(const char *tags)
{
    static char text[4096];
    snprintf(text, sizeof(text), "%s%s", BASE, tags);
    return text;
}

static struct plc_layout *load_tags(const char *tags)
{
    return load_ok(with(tags));
}

static void expect_error(const char *tags, const char *want)
{
    assert_load_fails(with(tags), want);
}

static void a_layout_without_alarms_has_none(void **state)
{
    struct plc_layout *l = load_tags("");
    assert_int_equal(plc_layout_alarm_count(l), 0);
    assert_null(plc_layout_alarm_at(l, 0));
    errno = 0;
    assert_null(plc_layout_find_alarm(l, "out.h"));
    assert_int_equal(errno, ENOENT);
    plc_layout_free(l);
    (void)state;
}

static void each_limit_is_an_alarm_with_defaults(void **state)
{
    struct plc_layout *l = load_tags("[tag level]\nregion = inputs\ntype = float32\n"
                                     "alarm_hh = 95\nalarm_h = 90\nalarm_l = 10\nalarm_ll = 5\n");
    assert_int_equal(plc_layout_alarm_count(l), 4);
    /* lowest first, whatever order the keys were written in */
    static const char *const names[] = {"level.ll", "level.l", "level.h", "level.hh"};
    static const enum plc_alarm_kind kinds[] = {PLC_ALARM_LL, PLC_ALARM_L, PLC_ALARM_H,
                                                PLC_ALARM_HH};
    static const double limits[] = {5, 10, 90, 95};
    static const unsigned lines[] = {25, 24, 23, 22};
    static const char *const messages[] = {"level low-low", "level low", "level high",
                                           "level high-high"};
    for (size_t i = 0; i < 4; i++) {
        const struct plc_alarm_def *a = plc_layout_alarm_at(l, i);
        assert_string_equal(a->name, names[i]);
        assert_ptr_equal(plc_layout_find_alarm(l, names[i]), a);
        assert_ptr_equal(a->tag, plc_layout_find_tag(l, "level"));
        assert_int_equal(a->kind, kinds[i]);
        assert_true(a->limit == limits[i]);
        assert_null(a->limit_tag);
        assert_true(a->deadband == 0);
        assert_int_equal(a->delay_us, 0);
        assert_int_equal(a->severity, PLC_ALARM_MEDIUM);
        assert_false(a->latch);
        assert_int_equal(a->shelve_max_s, 8 * 3600);
        assert_string_equal(a->message, messages[i]);
        assert_int_equal(a->line, lines[i]);
    }
    plc_layout_free(l);
    (void)state;
}

static void every_shared_key_is_read(void **state)
{
    struct plc_layout *l = load_tags("[tag level]\nregion = inputs\ntype = int16\nalarm_h = 90\n"
                                     "alarm_deadband = 2.5\nalarm_delay = 3s\n"
                                     "alarm_severity = critical\nalarm_message = Tank too full\n"
                                     "alarm_latch = yes\nalarm_shelve_max = 30min\n");
    const struct plc_alarm_def *a = plc_layout_find_alarm(l, "level.h");
    assert_non_null(a);
    assert_true(a->deadband == 2.5);
    assert_int_equal(a->delay_us, 3000000);
    assert_int_equal(a->severity, PLC_ALARM_CRITICAL);
    assert_string_equal(a->message, "Tank too full");
    assert_true(a->latch);
    assert_int_equal(a->shelve_max_s, 1800);
    plc_layout_free(l);
    (void)state;
}

static void a_bool_tag_has_one_alarm_named_as_the_tag(void **state)
{
    static const char *const values[] = {"on", "off", "rising", "falling"};
    static const enum plc_alarm_kind kinds[] = {PLC_ALARM_ON, PLC_ALARM_OFF, PLC_ALARM_RISING,
                                                PLC_ALARM_FALLING};
    for (size_t i = 0; i < 4; i++) {
        char text[256];
        snprintf(text, sizeof(text),
                 "[tag pump_fault]\nregion = inputs\ntype = bool\nalarm = %s\n"
                 "alarm_severity = low\n",
                 values[i]);
        struct plc_layout *l = load_tags(text);
        assert_int_equal(plc_layout_alarm_count(l), 1);
        const struct plc_alarm_def *a = plc_layout_find_alarm(l, "pump_fault");
        assert_non_null(a);
        assert_int_equal(a->kind, kinds[i]);
        assert_string_equal(plc_alarm_kind_name(a->kind), values[i]);
        assert_int_equal(a->severity, PLC_ALARM_LOW);
        char want[64];
        snprintf(want, sizeof(want), "pump_fault %s", values[i]);
        assert_string_equal(a->message, want);
        plc_layout_free(l);
    }
    (void)state;
}

static void a_limit_may_be_a_parameter_tag_declared_anywhere(void **state)
{
    struct plc_layout *l = load_tags("[tag level]\nregion = inputs\ntype = float32\n"
                                     "alarm_h = level_max\nalarm_l = level_min\nalarm_ll = 50\n"
                                     "[tag level_min]\nregion = params\ntype = uint16\n");
    const struct plc_alarm_def *h = plc_layout_find_alarm(l, "level.h");
    const struct plc_alarm_def *lo = plc_layout_find_alarm(l, "level.l");
    assert_ptr_equal(h->limit_tag, plc_layout_find_tag(l, "level_max"));
    assert_ptr_equal(lo->limit_tag, plc_layout_find_tag(l, "level_min"));
    /* a tag limit is not ordered against the numbers: only SCADA knows its value */
    assert_null(plc_layout_find_alarm(l, "level.ll")->limit_tag);
    plc_layout_free(l);
    (void)state;
}

static void severities_map_to_syslog_levels(void **state)
{
    assert_int_equal(plc_alarm_severity_syslog(PLC_ALARM_CRITICAL), 2);
    assert_int_equal(plc_alarm_severity_syslog(PLC_ALARM_HIGH), 3);
    assert_int_equal(plc_alarm_severity_syslog(PLC_ALARM_MEDIUM), 4);
    assert_int_equal(plc_alarm_severity_syslog(PLC_ALARM_LOW), 5);
    assert_int_equal(plc_alarm_severity_syslog(0), -1);
    assert_string_equal(plc_alarm_severity_name(PLC_ALARM_HIGH), "high");
    assert_null(plc_alarm_severity_name(9));
    assert_null(plc_alarm_kind_name(0));
    (void)state;
}

static uint64_t hash_of(const char *tags)
{
    struct plc_layout *l = load_tags(tags);
    uint64_t h = plc_layout_get_hash(l);
    plc_layout_free(l);
    return h;
}

#define LEVEL "[tag level]\nregion = inputs\ntype = float32\n"

static void changing_an_alarm_changes_the_hash(void **state)
{
    uint64_t base = hash_of(LEVEL "alarm_h = 90\n");
    assert_true(hash_of(LEVEL) != base);
    assert_true(hash_of(LEVEL "alarm_h = 91\n") != base);
    assert_true(hash_of(LEVEL "alarm_hh = 90\n") != base);
    assert_true(hash_of(LEVEL "alarm_h = level_max\n") != base);
    assert_true(hash_of(LEVEL "alarm_h = 90\nalarm_deadband = 1\n") != base);
    assert_true(hash_of(LEVEL "alarm_h = 90\nalarm_delay = 1s\n") != base);
    assert_true(hash_of(LEVEL "alarm_h = 90\nalarm_severity = high\n") != base);
    assert_true(hash_of(LEVEL "alarm_h = 90\nalarm_latch = yes\n") != base);
    assert_true(hash_of(LEVEL "alarm_h = 90\nalarm_shelve_max = 1h\n") != base);
    /* the message is text for people, like a description */
    assert_true(hash_of(LEVEL "alarm_h = 90\nalarm_message = Full\n") == base);
    (void)state;
}

static void wrong_kind_of_tag_is_refused(void **state)
{
    expect_error("[tag b]\nregion = inputs\ntype = bool\nalarm_h = 1\n",
                 "t.ini:22: tag 'b': alarm_h applies to numeric tags, not bool (give alarm = "
                 "on, off, rising or falling)");
    expect_error(LEVEL "alarm = on\n",
                 "t.ini:22: tag 'level': alarm applies to bool tags, not float32 (give "
                 "alarm_hh, alarm_h, alarm_l or alarm_ll)");
    expect_error("[tag b]\nregion = inputs\ntype = bool\nalarm = on\nalarm_deadband = 1\n",
                 "t.ini:23: tag 'b': alarm_deadband applies to numeric tags, not bool");
    expect_error("[tag b]\nregion = inputs\ntype = bool\nalarm = rising\nalarm_delay = 1s\n",
                 "t.ini:23: tag 'b': alarm_delay does not apply to an edge alarm");
    expect_error(LEVEL "alarm_severity = high\n",
                 "t.ini:22: tag 'level': 'alarm_severity' given without an alarm (alarm_hh, "
                 "alarm_h, alarm_l, alarm_ll or alarm)");
    (void)state;
}

static void unknown_values_are_refused(void **state)
{
    expect_error("[tag b]\nregion = inputs\ntype = bool\nalarm = high\n",
                 "t.ini:22: tag 'b': alarm 'high' is not on, off, rising or falling");
    expect_error(LEVEL "alarm_h = 90\nalarm_severity = urgent\n",
                 "t.ini:23: tag 'level': alarm_severity 'urgent' is not critical, high, medium "
                 "or low");
    expect_error(LEVEL "alarm_h = 90\nalarm_latch = maybe\n",
                 "t.ini:23: tag 'level': alarm_latch 'maybe' is not yes or no");
    expect_error(LEVEL "alarm_h = 90\nalarm_delay = soon\n",
                 "t.ini:23: tag 'level': alarm_delay 'soon' is not a duration (10ms, 500us, 1s)");
    expect_error(LEVEL "alarm_h = 90\nalarm_delay = 3601s\n",
                 "t.ini:23: tag 'level': alarm_delay 3601s is outside 0..3600s");
    expect_error(LEVEL "alarm_h = 90\nalarm_shelve_max = 8 hours\n",
                 "t.ini:23: tag 'level': alarm_shelve_max '8 hours' is not a duration (900s, "
                 "30min, 8h)");
    expect_error(LEVEL "alarm_h = 90\nalarm_shelve_max = 169h\n",
                 "t.ini:23: tag 'level': alarm_shelve_max 169h is outside 1s..168h");
    expect_error(LEVEL "alarm_h = 90\nalarm_shelve_max = 0s\n",
                 "t.ini:23: tag 'level': alarm_shelve_max 0s is outside 1s..168h");
    expect_error(LEVEL "alarm_h = 90\nalarm_colour = red\n",
                 "t.ini:23: tag 'level': unknown key 'alarm_colour'");
    (void)state;
}

static void deadband_must_be_a_number_not_below_zero(void **state)
{
    expect_error(LEVEL "alarm_h = 90\nalarm_deadband = -1\n",
                 "t.ini:23: tag 'level': alarm_deadband '-1' is not a number >= 0");
    expect_error(LEVEL "alarm_h = 90\nalarm_deadband = wide\n",
                 "t.ini:23: tag 'level': alarm_deadband 'wide' is not a number >= 0");
    (void)state;
}

static void limits_must_be_ordered(void **state)
{
    expect_error(LEVEL "alarm_hh = 80\nalarm_h = 90\n",
                 "t.ini:22: tag 'level': alarm_hh 80 is not above alarm_h 90 (limits go ll < l "
                 "< h < hh)");
    expect_error(LEVEL "alarm_l = 10\nalarm_ll = 10\n",
                 "t.ini:22: tag 'level': alarm_l 10 is not above alarm_ll 10 (limits go ll < l "
                 "< h < hh)");
    expect_error(LEVEL "alarm_ll = 50\nalarm_h = level_max\nalarm_hh = 40\n",
                 "t.ini:24: tag 'level': alarm_hh 40 is not above alarm_ll 50 (limits go ll < "
                 "l < h < hh)");
    (void)state;
}

static void a_limit_tag_must_be_a_numeric_parameter(void **state)
{
    expect_error(LEVEL "alarm_h = nowhere\n",
                 "t.ini:22: tag 'level': alarm_h 'nowhere' is neither a number nor a declared "
                 "tag");
    expect_error(LEVEL "alarm_h = out\n",
                 "t.ini:22: tag 'level': alarm_h tag 'out' is in region 'outputs', written by "
                 "logic; a limit tag is a parameter in a region written by modbus");
    expect_error(LEVEL "alarm_h = flag\n",
                 "t.ini:22: tag 'level': alarm_h tag 'flag' is a bool; a limit tag is numeric");
    (void)state;
}

static void a_long_message_is_refused(void **state)
{
    char tags[512];
    char msg[PLC_ALARM_MESSAGE_MAX + 2];
    memset(msg, 'x', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    snprintf(tags, sizeof(tags), LEVEL "alarm_h = 90\nalarm_message = %s\n", msg);
    expect_error(tags, "t.ini:23: tag 'level': alarm_message is longer than 127 characters");
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_layout_without_alarms_has_none),
        cmocka_unit_test(each_limit_is_an_alarm_with_defaults),
        cmocka_unit_test(every_shared_key_is_read),
        cmocka_unit_test(a_bool_tag_has_one_alarm_named_as_the_tag),
        cmocka_unit_test(a_limit_may_be_a_parameter_tag_declared_anywhere),
        cmocka_unit_test(severities_map_to_syslog_levels),
        cmocka_unit_test(changing_an_alarm_changes_the_hash),
        cmocka_unit_test(wrong_kind_of_tag_is_refused),
        cmocka_unit_test(unknown_values_are_refused),
        cmocka_unit_test(deadband_must_be_a_number_not_below_zero),
        cmocka_unit_test(limits_must_be_ordered),
        cmocka_unit_test(a_limit_tag_must_be_a_numeric_parameter),
        cmocka_unit_test(a_long_message_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
