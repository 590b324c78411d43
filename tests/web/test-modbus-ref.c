/* SPDX-License-Identifier: MIT */
/* plc_web_modbus_ref(): the 40001-style references plc-web shows beside each tag. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "plc-web.h"

static void expect_ref(enum plc_modbus_table table, unsigned address, const char *want)
{
    char buf[16];
    assert_int_equal(plc_web_modbus_ref(table, address, buf, sizeof(buf)), 0);
    assert_string_equal(buf, want);
}

static void each_table_has_its_leading_digit(void **state)
{
    expect_ref(PLC_MODBUS_COIL, 0, "00001");
    expect_ref(PLC_MODBUS_DISCRETE_INPUT, 0, "10001");
    expect_ref(PLC_MODBUS_INPUT_REGISTER, 12, "30013");
    expect_ref(PLC_MODBUS_HOLDING_REGISTER, 100, "40101");
}

static void five_digits_up_to_address_9998_then_six(void **state)
{
    expect_ref(PLC_MODBUS_HOLDING_REGISTER, 9998, "49999");
    expect_ref(PLC_MODBUS_HOLDING_REGISTER, 9999, "410000");
    expect_ref(PLC_MODBUS_COIL, 65535, "065536");
}

static void unknown_table_is_einval(void **state)
{
    char buf[16];
    errno = 0;
    assert_int_equal(plc_web_modbus_ref(0, 1, buf, sizeof(buf)), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(plc_web_modbus_ref(PLC_MODBUS_COIL, 65536, buf, sizeof(buf)), -1);
    assert_int_equal(errno, EINVAL);
}

static void short_buffer_is_enospc(void **state)
{
    char buf[5];
    assert_int_equal(plc_web_modbus_ref(PLC_MODBUS_HOLDING_REGISTER, 0, buf, sizeof(buf)), -1);
    assert_int_equal(errno, ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_table_has_its_leading_digit),
        cmocka_unit_test(five_digits_up_to_address_9998_then_six),
        cmocka_unit_test(unknown_table_is_einval),
        cmocka_unit_test(short_buffer_is_enospc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
