/* SPDX-License-Identifier: MIT */
/* The [modbus] layout section: defaults, every key, and a file:line error for each bad value. */
#include <arpa/inet.h>
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
    "[region commands]\nwriter = modbus\n"                                               \
    "[tag speed]\nregion = commands\ntype = float32\nmodbus = holding_register:0\n"      \
    "[tag count]\nregion = commands\ntype = uint32\nmodbus = holding_register:2\n"       \
    "modbus_word_order = DCBA\n"

static struct plc_layout *load(const char *text, struct plc_diag *d)
{
    return plc_layout_load_string(text, "t.ini", d);
}

static void assert_refused(const char *modbus_keys, const char *want)
{
    char text[2048], got[1200];
    struct plc_diag d;
    snprintf(text, sizeof(text), HEAD "[modbus]\n%s" TAIL, modbus_keys);
    struct plc_layout *l = load(text, &d);
    if (l) {
        plc_layout_free(l);
        fail_msg("accepted: %s", modbus_keys);
    }
    assert_int_equal(errno, EINVAL);
    plc_diag_format(&d, got, sizeof(got));
    if (strcmp(got, want) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", got, want);
}

static void absent_section_gives_defaults(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = load(HEAD TAIL, &d);
    assert_non_null(l);
    const struct plc_modbus_config *m = plc_layout_get_modbus(l);
    assert_string_equal(m->listen_host, "127.0.0.1");
    assert_int_equal(m->listen_port, 502);
    assert_false(m->read_only);
    assert_false(m->unmapped_reads_zero);
    assert_int_equal(m->read_only_port, 0);
    assert_int_equal(m->unit_id, 1);
    assert_int_equal(m->tcp_unit_policy, PLC_MODBUS_UNIT_STRICT);
    assert_int_equal(m->max_connections, 32);
    assert_int_equal(m->idle_timeout_ms, 60000);
    assert_int_equal(m->allow_count, 0);
    assert_int_equal(m->allow_write_count, 0);
    assert_string_equal(m->rtu_device, "");
    assert_int_equal(m->default_word_order, PLC_WORD_ORDER_ABCD);
    assert_int_equal(m->line, 0);
    assert_int_equal(plc_layout_find_tag(l, "speed")->modbus.word_order, PLC_WORD_ORDER_ABCD);
    plc_layout_free(l);
    (void)state;
}

static void every_key_is_parsed(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = load(HEAD "[modbus]\n"
                                     "listen = [::1]:1502\n"
                                     "read_only = yes\n"
                                     "unmapped_reads = zero\n"
                                     "listen_read_only = 0.0.0.0:1503\n"
                                     "unit_id = 17\n"
                                     "tcp_unit_policy = any\n"
                                     "max_connections = 64\n"
                                     "idle_timeout = 500ms\n"
                                     "allow = 127.0.0.0/8, 10.1.0.0/16 fd00::/8\n"
                                     "allow_write = 127.0.0.1\n"
                                     "default_word_order = CDAB\n"
                                     "rtu_device = /dev/ttyAMA0\n"
                                     "rtu_baud = 9600\n"
                                     "rtu_parity = none\n"
                                     "rtu_data_bits = 8\n"
                                     "rtu_stop_bits = 2\n"
                                     "rtu_rs485 = rts-up\n" TAIL,
                                &d);
    if (!l)
        fail_msg("%u: %s", d.line, d.msg);
    const struct plc_modbus_config *m = plc_layout_get_modbus(l);
    assert_string_equal(m->listen_host, "::1");
    assert_int_equal(m->listen_port, 1502);
    assert_true(m->read_only);
    assert_true(m->unmapped_reads_zero);
    assert_string_equal(m->read_only_host, "0.0.0.0");
    assert_int_equal(m->read_only_port, 1503);
    assert_int_equal(m->unit_id, 17);
    assert_int_equal(m->tcp_unit_policy, PLC_MODBUS_UNIT_ANY);
    assert_int_equal(m->max_connections, 64);
    assert_int_equal(m->idle_timeout_ms, 500);
    assert_int_equal(m->allow_count, 3);
    assert_int_equal(m->allow[1].family, AF_INET);
    assert_int_equal(m->allow[1].prefix, 16);
    assert_int_equal(m->allow[2].family, AF_INET6);
    assert_int_equal(m->allow_write_count, 1);
    assert_int_equal(m->allow_write[0].prefix, 32);
    assert_string_equal(m->rtu_device, "/dev/ttyAMA0");
    assert_int_equal(m->rtu_baud, 9600);
    assert_int_equal(m->rtu_parity, 'N');
    assert_int_equal(m->rtu_stop_bits, 2);
    assert_int_equal(m->rtu_rs485, PLC_MODBUS_RS485_RTS_UP);
    assert_int_equal(m->line, 4);
    /* The default order applies where a tag names none; a tag's own order wins. */
    assert_int_equal(plc_layout_find_tag(l, "speed")->modbus.word_order, PLC_WORD_ORDER_CDAB);
    assert_int_equal(plc_layout_find_tag(l, "count")->modbus.word_order, PLC_WORD_ORDER_DCBA);
    plc_layout_free(l);
    (void)state;
}

static void default_word_order_changes_the_hash(void **state)
{
    struct plc_diag d;
    struct plc_layout *a = load(HEAD TAIL, &d);
    struct plc_layout *b = load(HEAD "[modbus]\ndefault_word_order = CDAB\n" TAIL, &d);
    struct plc_layout *c = load(HEAD "[modbus]\nlisten = 0.0.0.0:502\n" TAIL, &d);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_true(plc_layout_get_hash(a) != plc_layout_get_hash(b));
    /* Where the gateway listens is not part of the process image. */
    assert_true(plc_layout_get_hash(a) == plc_layout_get_hash(c));
    plc_layout_free(a);
    plc_layout_free(b);
    plc_layout_free(c);
    (void)state;
}

static void bad_listen_named_with_line(void **state)
{
    assert_refused("listen = localhost:502\n",
                   "t.ini:5: [modbus]: listen 'localhost:502' is not ADDRESS:PORT "
                   "(127.0.0.1:1502, 0.0.0.0:502, [::]:502)");
    assert_refused("listen = 127.0.0.1:70000\n",
                   "t.ini:5: [modbus]: listen '127.0.0.1:70000' is not ADDRESS:PORT "
                   "(127.0.0.1:1502, 0.0.0.0:502, [::]:502)");
    assert_refused("unmapped_reads = zeros\n",
                   "t.ini:5: [modbus]: unmapped_reads 'zeros' is not exception or zero");
    assert_refused("listen = 127.0.0.1:1502\nlisten_read_only = 127.0.0.1:1502\n",
                   "t.ini:6: [modbus]: listen_read_only is the same as listen");
    (void)state;
}

static void bad_unit_id_refused(void **state)
{
    assert_refused("unit_id = 0\n", "t.ini:5: [modbus]: unit_id '0' is not between 1 and 247");
    assert_refused("unit_id = 248\n",
                   "t.ini:5: [modbus]: unit_id '248' is not between 1 and 247");
    assert_refused("tcp_unit_policy = ignore\n",
                   "t.ini:5: [modbus]: tcp_unit_policy 'ignore' is not strict or any");
    (void)state;
}

static void bad_limits_refused(void **state)
{
    assert_refused("max_connections = 0\n",
                   "t.ini:5: [modbus]: max_connections '0' is not between 1 and 4096");
    assert_refused("idle_timeout = soon\n",
                   "t.ini:5: [modbus]: idle_timeout 'soon' is not a duration of at least 1ms "
                   "(60s, 500ms; 0 = never)");
    (void)state;
}

static void bad_networks_refused(void **state)
{
    assert_refused("allow = 10.0.0.1/8\n",
                   "t.ini:5: [modbus]: allow: '10.0.0.1/8' is not a network (10.0.0.0/8, "
                   "192.168.1.7, fd00::/8; host bits must be 0)");
    assert_refused("allow = 10.0.0.0/33\n",
                   "t.ini:5: [modbus]: allow: '10.0.0.0/33' is not a network (10.0.0.0/8, "
                   "192.168.1.7, fd00::/8; host bits must be 0)");
    assert_refused("allow_write = ,\n",
                   "t.ini:5: [modbus]: allow_write is empty (leave it out to allow every "
                   "client)");
    (void)state;
}

static void bad_serial_settings_refused(void **state)
{
    assert_refused("rtu_baud = 9600\n", "t.ini:5: [modbus]: 'rtu_baud' given without 'rtu_device'");
    assert_refused("rtu_device = /dev/ttyS0\nrtu_baud = 12345\n",
                   "t.ini:6: [modbus]: rtu_baud '12345' is not a standard rate (1200 ... 921600)");
    assert_refused("rtu_device = /dev/ttyS0\nrtu_parity = mark\n",
                   "t.ini:6: [modbus]: rtu_parity 'mark' is not none, even or odd");
    assert_refused("rtu_device = /dev/ttyS0\nrtu_data_bits = 5\n",
                   "t.ini:6: [modbus]: rtu_data_bits '5' is not 7 or 8");
    assert_refused("rtu_device = /dev/ttyS0\nrtu_stop_bits = 3\n",
                   "t.ini:6: [modbus]: rtu_stop_bits '3' is not 1 or 2");
    assert_refused("rtu_device = /dev/ttyS0\nrtu_rs485 = maybe\n",
                   "t.ini:6: [modbus]: rtu_rs485 'maybe' is not off, on, rts-up or rts-down");
    assert_refused("rtu_device = ttyS0\n",
                   "t.ini:5: [modbus]: rtu_device 'ttyS0' is not an absolute path");
    (void)state;
}

static void unknown_key_and_order_refused(void **state)
{
    assert_refused("port = 502\n", "t.ini:5: [modbus]: unknown key 'port'");
    assert_refused("default_word_order = ABDC\n",
                   "t.ini:5: [modbus]: default_word_order 'ABDC' is not ABCD, CDAB, BADC or DCBA");
    (void)state;
}

static void cidr_match_handles_prefixes_and_mapped_ipv4(void **state)
{
    struct plc_cidr c;
    uint8_t a4[4], a6[16];
    assert_int_equal(plc_cidr_parse("192.168.4.0/22", &c), 0);
    inet_pton(AF_INET, "192.168.7.200", a4);
    assert_true(plc_cidr_match(&c, AF_INET, a4));
    inet_pton(AF_INET, "192.168.8.1", a4);
    assert_false(plc_cidr_match(&c, AF_INET, a4));
    inet_pton(AF_INET6, "::ffff:192.168.5.1", a6);
    assert_true(plc_cidr_match(&c, AF_INET6, a6));
    assert_int_equal(plc_cidr_parse("fd00::/8", &c), 0);
    inet_pton(AF_INET6, "fdab::1", a6);
    assert_true(plc_cidr_match(&c, AF_INET6, a6));
    inet_pton(AF_INET6, "fe80::1", a6);
    assert_false(plc_cidr_match(&c, AF_INET6, a6));
    assert_int_equal(plc_cidr_parse("0.0.0.0/0", &c), 0);
    assert_true(plc_cidr_match(&c, AF_INET, a4));
    assert_int_equal(plc_cidr_parse("nonsense", &c), -1);
    assert_int_equal(errno, EINVAL);
    (void)state;
}

static void demo_layout_serves_loopback_1502(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(PLC_TEST_LAYOUT, &d);
    assert_non_null(l);
    const struct plc_modbus_config *m = plc_layout_get_modbus(l);
    assert_string_equal(m->listen_host, "127.0.0.1");
    assert_int_equal(m->listen_port, 1502);
    assert_true(m->max_connections >= 64);
    plc_layout_free(l);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(absent_section_gives_defaults),
        cmocka_unit_test(every_key_is_parsed),
        cmocka_unit_test(default_word_order_changes_the_hash),
        cmocka_unit_test(bad_listen_named_with_line),
        cmocka_unit_test(bad_unit_id_refused),
        cmocka_unit_test(bad_limits_refused),
        cmocka_unit_test(bad_networks_refused),
        cmocka_unit_test(bad_serial_settings_refused),
        cmocka_unit_test(unknown_key_and_order_refused),
        cmocka_unit_test(cidr_match_handles_prefixes_and_mapped_ipv4),
        cmocka_unit_test(demo_layout_serves_loopback_1502),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
