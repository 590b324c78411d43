/* SPDX-License-Identifier: MIT */
/* The [mqtt] layout section: defaults, every key, a file:line error for each bad value, and
 * that it stays out of the layout hash. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plc-layout.h"

#define HEAD "[layout]\nname = t\nversion = 1\n"
#define TAIL                                                                             \
    "[region inputs]\nwriter = io\n"                                                     \
    "[region parameters]\nwriter = modbus\n"                                             \
    "[tag level]\nregion = inputs\ntype = float32\n"                                     \
    "[tag running]\nregion = inputs\ntype = bool\n"                                      \
    "[tag setpoint]\nregion = parameters\ntype = int16\nmin = -50\nmax = 50\n"           \
    "modbus = holding_register:0\n"                                                      \
    "[tag shadow]\nregion = parameters\ntype = uint16\n"

static struct plc_layout *load(const char *text, struct plc_diag *d)
{
    return plc_layout_load_string(text, "t.ini", d);
}

static struct plc_layout *load_mqtt(const char *keys)
{
    char text[4096];
    struct plc_diag d;
    snprintf(text, sizeof(text), HEAD "[mqtt]\n%s" TAIL, keys);
    struct plc_layout *l = load(text, &d);
    if (!l) {
        char msg[1200];
        plc_diag_format(&d, msg, sizeof(msg));
        fail_msg("refused: %s", msg);
    }
    return l;
}

static void assert_refused(const char *mqtt_keys, const char *want)
{
    char text[4096], got[1200];
    struct plc_diag d;
    snprintf(text, sizeof(text), HEAD "[mqtt]\n%s" TAIL, mqtt_keys);
    struct plc_layout *l = load(text, &d);
    if (l) {
        plc_layout_free(l);
        fail_msg("accepted: %s", mqtt_keys);
    }
    assert_int_equal(errno, EINVAL);
    plc_diag_format(&d, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", got, want);
}

static void absent_section_is_disabled_with_defaults(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = load(HEAD TAIL, &d);
    assert_non_null(l);
    const struct plc_mqtt_config *m = plc_layout_get_mqtt(l);
    assert_false(m->present);
    assert_false(m->enabled);
    assert_int_equal(m->line, 0);
    assert_int_equal(m->broker_count, 1);
    assert_string_equal(m->brokers[0].host, "127.0.0.1");
    assert_int_equal(m->brokers[0].port, 1883);
    assert_string_equal(m->group_id, "raspiplc");
    assert_string_equal(m->edge_node, "t");
    assert_int_equal(m->store, 10000);
    assert_int_equal(m->keepalive_s, 30);
    assert_int_equal(m->reconnect_min_ms, 1000);
    assert_int_equal(m->reconnect_max_ms, 30000);
    for (size_t i = 0; i < plc_layout_tag_count(l); i++) {
        assert_true(m->tags[i].publish);
        assert_false(m->tags[i].writable);
    }
    plc_layout_free(l);
    (void)state;
}

static void every_key_is_read(void **state)
{
    struct plc_layout *l = load_mqtt(
        "enabled = no\n"
        "broker = mqtts://broker.example:8884 mqtt://[::1] mqtt://10.0.0.5:1884\n"
        "group_id = plant-1\nedge_node = press_4\nprimary_host = scada\n"
        "username = plc\npassword_file = /etc/raspiplc/mqtt-password\n"
        "ca_file = /etc/ssl/ca.pem\ncert_file = /etc/ssl/c.pem\nkey_file = /etc/ssl/c.key\n"
        "publish = level parameters\ndeadband = level:0.5 setpoint:2\n"
        "writable = setpoint\nstore = 50\nkeepalive = 10s\nreconnect = 100ms..5s\n");
    const struct plc_mqtt_config *m = plc_layout_get_mqtt(l);
    assert_true(m->present);
    assert_false(m->enabled);
    assert_int_equal(m->line, 4);
    assert_int_equal(m->broker_count, 3);
    assert_true(m->brokers[0].tls);
    assert_string_equal(m->brokers[0].host, "broker.example");
    assert_int_equal(m->brokers[0].port, 8884);
    assert_string_equal(m->brokers[1].host, "::1");
    assert_int_equal(m->brokers[1].port, 1883);
    assert_false(m->brokers[2].tls);
    assert_int_equal(m->brokers[2].port, 1884);
    assert_string_equal(m->group_id, "plant-1");
    assert_string_equal(m->edge_node, "press_4");
    assert_string_equal(m->primary_host, "scada");
    assert_string_equal(m->username, "plc");
    assert_string_equal(m->password_file, "/etc/raspiplc/mqtt-password");
    assert_string_equal(m->ca_file, "/etc/ssl/ca.pem");
    assert_string_equal(m->key_file, "/etc/ssl/c.key");
    assert_int_equal(m->store, 50);
    assert_int_equal(m->keepalive_s, 10);
    assert_int_equal(m->reconnect_min_ms, 100);
    assert_int_equal(m->reconnect_max_ms, 5000);
    const struct plc_tag_def *level = plc_layout_find_tag(l, "level");
    const struct plc_tag_def *running = plc_layout_find_tag(l, "running");
    const struct plc_tag_def *setpoint = plc_layout_find_tag(l, "setpoint");
    const struct plc_tag_def *shadow = plc_layout_find_tag(l, "shadow");
    const struct plc_tag_def *first = plc_layout_tag_at(l, 0);
    assert_true(m->tags[level - first].publish);
    assert_false(m->tags[running - first].publish);
    assert_true(m->tags[shadow - first].publish); /* by its region */
    assert_true(m->tags[setpoint - first].writable);
    assert_false(m->tags[shadow - first].writable);
    assert_true(m->tags[level - first].deadband == 0.5);
    assert_true(m->tags[setpoint - first].deadband == 2);
    plc_layout_free(l);
    (void)state;
}

static void section_is_not_in_the_hash(void **state)
{
    struct plc_diag d;
    struct plc_layout *plain = load(HEAD TAIL, &d);
    struct plc_layout *with = load_mqtt("broker = mqtt://10.1.1.1\nwritable = setpoint\n");
    assert_non_null(plain);
    assert_true(plc_layout_get_hash(plain) == plc_layout_get_hash(with));
    plc_layout_free(plain);
    plc_layout_free(with);
    (void)state;
}

static void bad_brokers_refused(void **state)
{
    assert_refused("broker = tcp://10.0.0.5\n",
                   "t.ini:5: [mqtt]: broker 'tcp://10.0.0.5' is not a broker URL "
                   "(mqtt://HOST[:PORT] or mqtts://HOST[:PORT])");
    assert_refused("broker = mqtt://10.0.0.5:0\n",
                   "t.ini:5: [mqtt]: broker 'mqtt://10.0.0.5:0' is not a broker URL "
                   "(mqtt://HOST[:PORT] or mqtts://HOST[:PORT])");
    assert_refused("broker = mqtt://\n",
                   "t.ini:5: [mqtt]: broker 'mqtt://' is not a broker URL "
                   "(mqtt://HOST[:PORT] or mqtts://HOST[:PORT])");
    assert_refused("enabled = maybe\n", "t.ini:5: [mqtt]: enabled 'maybe' is not yes or no");
    assert_refused("brokers = mqtt://x\n", "t.ini:5: [mqtt]: unknown key 'brokers'");
    (void)state;
}

static void bad_ids_and_files_refused(void **state)
{
    assert_refused("group_id = a/b\n",
                   "t.ini:5: [mqtt]: group_id 'a/b' is not a Sparkplug id (1 to 63 characters, "
                   "none of '/', '+', '#' or a space)");
    assert_refused("edge_node = n+1\n",
                   "t.ini:5: [mqtt]: edge_node 'n+1' is not a Sparkplug id (1 to 63 characters, "
                   "none of '/', '+', '#' or a space)");
    assert_refused("password_file = secret.txt\n",
                   "t.ini:5: [mqtt]: password_file 'secret.txt' is not an absolute path");
    assert_refused("cert_file = /c.pem\n",
                   "t.ini:4: [mqtt]: cert_file and key_file go together (a client certificate "
                   "and its key)");
    (void)state;
}

static void bad_tags_refused(void **state)
{
    assert_refused("publish = level levle\n",
                   "t.ini:5: [mqtt]: publish: 'levle' is neither a tag nor a region");
    assert_refused("deadband = running:1\n",
                   "t.ini:5: [mqtt]: deadband: tag 'running' is a bool (numeric tags only)");
    assert_refused("deadband = level\n", "t.ini:5: [mqtt]: deadband 'level' is not TAG:VALUE");
    assert_refused("deadband = level:-1\n",
                   "t.ini:5: [mqtt]: deadband of tag 'level': '-1' is not a number of at least 0");
    assert_refused("deadband = nope:1\n", "t.ini:5: [mqtt]: deadband: unknown tag 'nope'");
    assert_refused("publish = running\ndeadband = level:1\n",
                   "t.ini:6: [mqtt]: deadband: tag 'level' is not published");
    assert_refused("writable = level\n",
                   "t.ini:5: [mqtt]: writable: the Modbus gateway cannot write tag 'level': its "
                   "region 'inputs' is written by io");
    assert_refused("writable = shadow\n",
                   "t.ini:5: [mqtt]: writable: the Modbus gateway cannot write tag 'shadow': its "
                   "region 'parameters' is written by modbus, but the tag has no holding "
                   "register or coil");
    assert_refused("writable = ghost\n", "t.ini:5: [mqtt]: writable: unknown tag 'ghost'");
    (void)state;
}

static void bad_numbers_refused(void **state)
{
    assert_refused("store = 0\n",
                   "t.ini:5: [mqtt]: store '0' is not a number of changes from 1 to 10000000");
    assert_refused("reconnect = 5s\n",
                   "t.ini:5: [mqtt]: reconnect '5s' is not MIN..MAX (1s..30s)");
    assert_refused("reconnect = 5s..1s\n",
                   "t.ini:5: [mqtt]: reconnect '5s..1s' is not MIN..MAX, two durations from 10ms "
                   "to 1h, MIN <= MAX (1s..30s)");
    (void)state;
}

static void demo_layout_has_mqtt_disabled(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(PLC_SOURCE_DIR "/layout/demo.ini", &d);
    assert_non_null(l);
    const struct plc_mqtt_config *m = plc_layout_get_mqtt(l);
    assert_true(m->present);
    assert_false(m->enabled);
    const struct plc_tag_def *lh = plc_layout_find_tag(l, "level_high");
    assert_true(m->tags[lh - plc_layout_tag_at(l, 0)].writable);
    plc_layout_free(l);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(absent_section_is_disabled_with_defaults),
        cmocka_unit_test(every_key_is_read),
        cmocka_unit_test(section_is_not_in_the_hash),
        cmocka_unit_test(bad_brokers_refused),
        cmocka_unit_test(bad_ids_and_files_refused),
        cmocka_unit_test(bad_tags_refused),
        cmocka_unit_test(bad_numbers_refused),
        cmocka_unit_test(demo_layout_has_mqtt_disabled),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
