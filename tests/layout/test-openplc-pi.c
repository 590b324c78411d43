/* SPDX-License-Identifier: MIT */
/*
 * layout/openplc-pi.ini against OpenPLC_v3's Raspberry Pi map. Every tag's
 * GPIO line, bias and Modbus address is worked out here from its iec_address,
 * by OpenPLC's rules, not read back from a copy of the table: the pins from
 * raspberrypi.cpp's wiringPi pin lists through wiringPi's own wiringPi-to-BCM
 * table, the Modbus addresses from modbus.cpp's ranges. docs/openplc.md says
 * where each comes from.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plc-layout.h"

#define LAYOUT PLC_SOURCE_DIR "/layout/openplc-pi.ini"
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* raspberrypi.cpp inBufferPinMask and outBufferPinMask: wiringPi pin numbers
 * of %IX0.0.. and %QX0.0.., input or output 8a+b at index 8a+b. */
static const int in_wpi[] = {8, 9, 7, 0, 2, 3, 12, 13, 14, 21, 22, 23, 24, 25};
static const int out_wpi[] = {15, 16, 4, 5, 6, 10, 11, 26, 27, 28, 29};
/* raspberrypi.cpp analogOutBufferPinMask: the PWM pin of %QW0, not bound here. */
static const int pwm_wpi = 1;

/* wiringPi.c pinToGpioR2: the BCM line of wiringPi pins 0..29. */
static const int wpi_to_bcm[] = {17, 18, 27, 22, 23, 24, 25, 4, 2,  3,  8,  7,  10, 9,  11,
                                 14, 15, 28, 29, 30, 31, 5,  6, 13, 19, 26, 12, 16, 20, 21};

/* modbus.cpp: the holding registers of %MW, %MD and %ML start here; %QW below. */
enum { MIN_16B_RANGE = 1024, MIN_32B_RANGE = 2048, MIN_64B_RANGE = 4096, MAX_INP_REGS = 1024 };

static void check_gpio(const struct plc_tag_def *t, int wpi, enum plc_gpio_bias bias)
{
    char want[32];
    snprintf(want, sizeof(want), "GPIO%d", wpi_to_bcm[wpi]);
    if (!t->gpio.bound || strcmp(t->gpio.line_name, want) != 0)
        fail_msg("%s: GPIO line '%s', want %s", t->name, t->gpio.line_name, want);
    if (t->gpio.bias != bias)
        fail_msg("%s: bias %s, want %s", t->name, plc_gpio_bias_name(t->gpio.bias),
                 plc_gpio_bias_name(bias));
    assert_false(t->gpio.active_low);
    assert_int_equal(t->gpio.debounce_us, 0);
}

static void check_modbus(const struct plc_tag_def *t, enum plc_modbus_table table, unsigned address,
                         unsigned count)
{
    if (t->modbus.table != table || t->modbus.address != address || t->modbus.count != count)
        fail_msg("%s: modbus %s:%u (%u), want %s:%u (%u)", t->name,
                 plc_modbus_table_name(t->modbus.table), t->modbus.address, t->modbus.count,
                 plc_modbus_table_name(table), address, count);
}

/* The tag is named after its address: %IX1.5 is ix1_5, %MD3 md3. */
static void check_name(const struct plc_tag_def *t)
{
    char want[sizeof(t->iec_address)];
    size_t n = 0;
    for (const char *p = t->iec_address + 1; *p; p++)
        want[n++] = *p == '.' ? '_' : (char)tolower((unsigned char)*p);
    want[n] = '\0';
    assert_string_equal(t->name, want);
}

static struct plc_layout *load_pi(void)
{
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(LAYOUT, &d);
    if (!l)
        fail_msg("%s:%u: %s", d.file, d.line, d.msg);
    return l;
}

static void every_tag_follows_openplcs_rules(void **state)
{
    struct plc_layout *l = load_pi();
    size_t inputs = 0, outputs = 0, longs = 0;
    for (size_t i = 0; i < plc_layout_tag_count(l); i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(l, i);
        const char *writer = t->region->writer;
        char area, width;
        unsigned a, b;
        int end = 0;
        if (sscanf(t->iec_address, "%%%c%c%u.%u%n", &area, &width, &a, &b, &end) == 4 &&
            t->iec_address[end] == '\0' && width == 'X') {
            unsigned bit = 8 * a + b;
            assert_int_equal(t->type, PLC_TYPE_BOOL);
            if (area == 'I') {
                assert_true(bit < COUNT(in_wpi));
                assert_string_equal(writer, "io");
                /* pull-down "can't be enabled on the first two pins" */
                check_gpio(t, in_wpi[bit], bit < 2 ? PLC_GPIO_BIAS_AS_IS : PLC_GPIO_BIAS_PULL_DOWN);
                check_modbus(t, PLC_MODBUS_DISCRETE_INPUT, bit, 1);
                inputs++;
            } else if (area == 'Q') {
                assert_true(bit < COUNT(out_wpi));
                assert_string_equal(t->region->name, "outputs");
                check_gpio(t, out_wpi[bit], PLC_GPIO_BIAS_AS_IS);
                check_modbus(t, PLC_MODBUS_COIL, bit, 1);
                outputs++;
            } else {
                fail_msg("%s: unexpected %s", t->name, t->iec_address);
            }
        } else if (sscanf(t->iec_address, "%%%c%c%u%n", &area, &width, &a, &end) == 3 &&
                   t->iec_address[end] == '\0') {
            assert_false(t->gpio.bound);
            if (area == 'I' && width == 'W') {
                assert_true(a < MAX_INP_REGS);
                assert_string_equal(writer, "io");
                check_modbus(t, PLC_MODBUS_INPUT_REGISTER, a, 1);
            } else if (area == 'Q' && width == 'W') {
                assert_true(a < MIN_16B_RANGE);
                assert_string_equal(writer, "logic");
                check_modbus(t, PLC_MODBUS_HOLDING_REGISTER, a, 1);
            } else if (area == 'M' && width == 'W') {
                assert_true(MIN_16B_RANGE + a < MIN_32B_RANGE);
                check_modbus(t, PLC_MODBUS_HOLDING_REGISTER, MIN_16B_RANGE + a, 1);
            } else if (area == 'M' && width == 'D') {
                /* high word first, each word high byte first */
                check_modbus(t, PLC_MODBUS_HOLDING_REGISTER, MIN_32B_RANGE + 2 * a, 2);
                assert_int_equal(t->modbus.word_order, PLC_WORD_ORDER_ABCD);
            } else if (area == 'M' && width == 'L') {
                /* lint_memory: as %MD, over four registers */
                assert_int_equal(t->type, PLC_TYPE_INT64);
                check_modbus(t, PLC_MODBUS_HOLDING_REGISTER, MIN_64B_RANGE + 4 * a, 4);
                assert_int_equal(t->modbus.word_order, PLC_WORD_ORDER_ABCD);
                longs++;
            } else {
                fail_msg("%s: unexpected %s", t->name, t->iec_address);
            }
            assert_int_equal(t->size, width == 'W' ? 2 : width == 'D' ? 4 : 8);
        } else {
            fail_msg("%s: no IEC address ('%s')", t->name, t->iec_address);
        }
        check_name(t);
        assert_ptr_equal(plc_layout_find_iec_address(l, t->iec_address), t);
    }
    /* the whole Pi map, %IX0.0..%IX1.5 and %QX0.0..%QX1.2, each once */
    assert_int_equal(inputs, COUNT(in_wpi));
    assert_int_equal(outputs, COUNT(out_wpi));
    assert_int_equal(longs, 8); /* %ML0..%ML7 */
    plc_layout_free(l);
    (void)state;
}

/* OpenPLC's PWM line (BCM 18) is left free: %QW0 is a holding register only. */
static void pwm_line_is_not_bound(void **state)
{
    struct plc_layout *l = load_pi();
    char pwm[32];
    snprintf(pwm, sizeof(pwm), "GPIO%d", wpi_to_bcm[pwm_wpi]);
    assert_string_equal(pwm, "GPIO18");
    for (size_t i = 0; i < plc_layout_tag_count(l); i++)
        assert_string_not_equal(plc_layout_tag_at(l, i)->gpio.line_name, pwm);
    assert_false(plc_layout_find_iec_address(l, "%QW0")->gpio.bound);
    plc_layout_free(l);
    (void)state;
}

static void layout_matches_its_lock(void **state)
{
    struct plc_layout *l = load_pi();
    struct plc_diag d;
    if (plc_layout_check_lock(l, PLC_SOURCE_DIR "/layout/openplc-pi.lock", false, &d) < 0)
        fail_msg("%s: %s", d.file, d.msg);
    plc_layout_free(l);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_tag_follows_openplcs_rules),
        cmocka_unit_test(pwm_line_is_not_bound),
        cmocka_unit_test(layout_matches_its_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
