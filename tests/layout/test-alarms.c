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

/* BASE with @tags after it, and the alarm region last, so the lines of
 * @tags are as above. */
static const char *with(const char *tags)
{
    static char text[4096];
    snprintf(text, sizeof(text), "%s%s[region alarms]\nwriter = logic\n", BASE, tags);
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

/* The alarm region's tags: the counts, the ack counter acted on, and two bits
 * per alarm, bound from the [modbus] bases in alarm order. */
static void the_alarm_region_gets_its_tags_from_the_alarms(void **state)
{
    struct plc_layout *l = load_ok(
        "[layout]\nname = t\nversion = 1\n"
        "[modbus]\nalarm_bits = discrete_input:100\nalarm_registers = input_register:300\n"
        "[logic]\nalarm_ack = ack\n"
        "[region inputs]\nwriter = io\n[region cmds]\nwriter = modbus\n"
        "[region alarms]\nwriter = logic\n"
        "[tag level]\nregion = inputs\ntype = float32\nalarm_hh = 95\nalarm_h = 90\n"
        "[tag trip]\nregion = inputs\ntype = bool\nalarm = on\nalarm_message = Pump tripped\n"
        "[tag ack]\nregion = cmds\ntype = uint32\n");
    const struct plc_region_def *r = plc_layout_find_region(l, "alarms");
    assert_ptr_equal(plc_layout_get_logic(l)->alarms, r);
    assert_ptr_equal(plc_layout_get_logic(l)->alarm_ack, plc_layout_find_tag(l, "ack"));
    assert_int_equal(r->tag_count, 3 + 2 * 3);
    static const struct {
        const char *name;
        enum plc_type type;
        enum plc_modbus_table table;
        unsigned address;
    } want[] = {
        {"alarms_active", PLC_TYPE_UINT16, PLC_MODBUS_INPUT_REGISTER, 300},
        {"alarms_unacked", PLC_TYPE_UINT16, PLC_MODBUS_INPUT_REGISTER, 301},
        {"alarm_ack_done", PLC_TYPE_UINT32, PLC_MODBUS_INPUT_REGISTER, 302}, /* as 'ack' */
        /* a tag's limits in the order ll, l, h, hh */
        {"level_h_active", PLC_TYPE_BOOL, PLC_MODBUS_DISCRETE_INPUT, 100},
        {"level_h_unacked", PLC_TYPE_BOOL, PLC_MODBUS_DISCRETE_INPUT, 101},
        {"level_hh_active", PLC_TYPE_BOOL, PLC_MODBUS_DISCRETE_INPUT, 102},
        {"level_hh_unacked", PLC_TYPE_BOOL, PLC_MODBUS_DISCRETE_INPUT, 103},
        {"trip_active", PLC_TYPE_BOOL, PLC_MODBUS_DISCRETE_INPUT, 104},
        {"trip_unacked", PLC_TYPE_BOOL, PLC_MODBUS_DISCRETE_INPUT, 105},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(l, r->first_tag + i);
        assert_string_equal(t->name, want[i].name);
        assert_ptr_equal(t->region, r);
        assert_int_equal(t->type, want[i].type);
        assert_int_equal(t->modbus.table, want[i].table);
        assert_int_equal(t->modbus.address, want[i].address);
        assert_ptr_equal(plc_layout_find_tag(l, want[i].name), t);
    }
    assert_string_equal(plc_layout_find_tag(l, "trip_active")->description,
                        "Pump tripped: active");
    assert_true(r->data_size >= 4 + 4 + 6);
    plc_layout_free(l);
    (void)state;
}

static void the_alarm_region_is_required_and_made_only(void **state)
{
    assert_load_fails("[layout]\nname = t\nversion = 1\n[region inputs]\nwriter = io\n"
                      "[tag level]\nregion = inputs\ntype = float32\nalarm_h = 90\n",
                      "t.ini:9: alarm 'level.h': the layout has no region for the alarms' "
                      "state: declare [region alarms] with writer = logic, or name one in "
                      "[logic] alarms (docs/alarms.md)");
    assert_load_fails("[layout]\nname = t\nversion = 1\n[region inputs]\nwriter = io\n"
                      "[region alarms]\nwriter = logic\n"
                      "[tag mine]\nregion = alarms\ntype = bool\n",
                      "t.ini:8: tag 'mine': region 'alarms' holds the alarms' state, whose tags "
                      "are made from the alarms; declare no tag in it (docs/alarms.md)");
    assert_load_fails("[layout]\nname = t\nversion = 1\n[region inputs]\nwriter = io\n"
                      "[region alarms]\nwriter = logic\n"
                      "[tag level]\nregion = inputs\ntype = float32\nalarm_h = 90\n"
                      "[tag level_h_active]\nregion = inputs\ntype = bool\n",
                      "t.ini:12: tag 'level_h_active': the alarm region 'alarms' makes a tag "
                      "of that name (docs/alarms.md)");
    assert_load_fails("[layout]\nname = t\nversion = 1\n[logic]\nalarms = inputs\n"
                      "[region inputs]\nwriter = io\n",
                      "t.ini:5: [logic]: alarms region 'inputs' is written by io, not logic");
    assert_load_fails("[layout]\nname = t\nversion = 1\n[logic]\nalarm_ack = a\n"
                      "[region inputs]\nwriter = io\n[tag a]\nregion = inputs\ntype = bool\n",
                      "t.ini:5: [logic]: alarm_ack tag 'a' is bool; it must be a uint16 or "
                      "uint32 request counter");
    (void)state;
}

static void alarm_modbus_bases_are_checked(void **state)
{
    assert_load_fails("[layout]\nname = t\nversion = 1\n[modbus]\nalarm_bits = input_register:1\n"
                      "[region inputs]\nwriter = io\n",
                      "t.ini:5: [modbus]: alarm_bits 'input_register:1' must be in a bit "
                      "(discrete_input or coil) table");
    assert_load_fails("[layout]\nname = t\nversion = 1\n[modbus]\nalarm_registers = x\n"
                      "[region inputs]\nwriter = io\n",
                      "t.ini:5: [modbus]: alarm_registers 'x' is not TABLE:ADDRESS "
                      "(input_register or holding_register, and a 0-based address)");
    assert_load_fails("[layout]\nname = t\nversion = 1\n[modbus]\nalarm_registers = "
                      "input_register:65534\n[region alarms]\nwriter = logic\n",
                      "t.ini:5: [modbus]: alarm_registers input_register:65534 has no room for "
                      "tag 'alarm_ack_done' of the alarm region: it would run past address "
                      "65535");
    /* The made bits overlap a declared tag's: reported like any overlap. */
    assert_load_fails("[layout]\nname = t\nversion = 1\n[modbus]\nalarm_bits = discrete_input:0\n"
                      "[region inputs]\nwriter = io\n[region alarms]\nwriter = logic\n"
                      "[tag x]\nregion = inputs\ntype = bool\nmodbus = discrete_input:1\n"
                      "alarm = on\n",
                      "t.ini:14: tag 'x_unacked': modbus discrete_input 1 overlaps tag 'x' "
                      "(line 10)");
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
        cmocka_unit_test(the_alarm_region_gets_its_tags_from_the_alarms),
        cmocka_unit_test(the_alarm_region_is_required_and_made_only),
        cmocka_unit_test(alarm_modbus_bases_are_checked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
