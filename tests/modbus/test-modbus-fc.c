/* SPDX-License-Identifier: MIT */
/*
 * Function code 22 (mask write register) and RTU frames of the wrong length: a real
 * gateway process serving libmodbus clients over loopback TCP and over RTU through
 * a socat pty pair, both in every case.
 * Each case keeps what it started in its state, so teardown stops the gateway
 * and socat by their pids even when an assertion fails half-way.
 */
#include "mb-server.h"

struct fc {
    struct srv *s;
    struct mb_pty pty;
    modbus_t *m[2]; /* TCP, RTU */
};

static const char *const transport[2] = {"tcp", "rtu"};

static int fc_setup(void **state)
{
    *state = calloc(1, sizeof(struct fc));
    return *state ? 0 : -1;
}

static int fc_teardown(void **state)
{
    struct fc *t = *state;
    for (int i = 0; i < 2; i++)
        if (t->m[i])
            mb_close(t->m[i]);
    if (t->s)
        srv_stop(t->s);
    mb_pty_close(&t->pty);
    free(t);
    return 0;
}

/* The gateway on TCP and RTU, and a libmodbus client of each for unit 7. */
static struct fc *fc_start(void **state)
{
    struct fc *t = *state;
    mb_pty_open(&t->pty);
    t->s = srv_start(MB_RTU_KEYS, false, t->pty.gw);
    t->m[0] = mb_client(t->s->port, 7);
    t->m[1] = mb_rtu_client(&t->pty, 7);
    return t;
}

/* ---- FC22 ---- */

static void mask_write_register_over_tcp_and_rtu(void **state)
{
    struct fc *t = fc_start(state);
    uint16_t r[2];
    for (int i = 0; i < 2; i++) {
        modbus_t *m = t->m[i];
        print_message("%s\n", transport[i]);
        /* the specification's example: 0x12 AND 0xF2 OR 0x25 is 0x17 */
        assert_int_equal(modbus_write_register(m, 3, 0x12), 1);
        assert_int_equal(modbus_mask_write_register(m, 3, 0xF2, 0x25), 1);
        assert_int_equal(modbus_read_registers(m, 3, 1, r), 1);
        assert_int_equal(r[0], 0x17);
        /* refused as FC06 would be: half of a float, a tag of the logic, out of range */
        assert_int_equal(modbus_mask_write_register(m, 10, 0, 1), -1);
        assert_int_equal(errno, EMBXILADD);
        assert_int_equal(modbus_mask_write_register(m, 30, 0, 1), -1);
        assert_int_equal(errno, EMBXILADD);
        assert_int_equal(modbus_mask_write_register(m, 2, 0, 101), -1);
        assert_int_equal(errno, EMBXILVAL);
        /* malformed: short, and one byte too many */
        assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x16, 0, 3, 0xFF, 0xFF}, 6), 3);
        assert_int_equal(
            mb_raw_exception(m, (uint8_t[]){7, 0x16, 0, 3, 0, 0, 0, 1, 0}, 9), 3);
        assert_int_equal(modbus_read_registers(m, 2, 2, r), 2);
        assert_true(r[0] == 0 && r[1] == 0x17);
    }
}

/* ---- RTU frames of the wrong length ---- */

static void rtu_frame_of_the_wrong_length_is_illegal_data_value(void **state)
{
    struct fc *t = fc_start(state);
    modbus_t *m = t->m[1];
    /* The CRC holds over every byte up to the silence, but the length does not fit the
     * function: a byte count short of the data, past the data, a byte too many or too
     * few. Each is answered once, with ILLEGAL DATA VALUE, and writes nothing. */
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x10, 0, 200, 0, 2, 3, 0, 1, 0, 2}, 11),
                     3);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x10, 0, 200, 0, 2, 5, 0, 1, 0, 2}, 11),
                     3);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x0F, 0, 0, 0, 8, 2, 0xFF}, 8), 3);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x06, 0, 3, 0, 1, 0xFF}, 7), 3);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x03, 0, 3, 0}, 5), 3);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x17, 0, 3, 0, 1, 0, 200, 0, 1, 2, 0, 9,
                                                     0}, 14), 3);
    uint16_t r[2];
    uint8_t bits[8];
    assert_int_equal(modbus_read_registers(m, MB_BLOCK_START, 2, r), 2);
    assert_true(r[0] == 0 && r[1] == 0);
    assert_int_equal(modbus_read_registers(m, 3, 1, r), 1);
    assert_int_equal(r[0], 0);
    assert_int_equal(modbus_read_bits(m, 0, 8, bits), 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(bits[i], 0);
    /* a bad CRC is still dropped, unanswered: the next request gets its own answer */
    uint8_t bad[] = {7, 0x06, 0, 3, 0, 9, 0x12, 0x34};
    assert_int_equal(write(modbus_get_socket(m), bad, sizeof(bad)), (ssize_t)sizeof(bad));
    srv_log_wait(t->s, "rtu: dropped 8 bytes that made no frame (bad CRC)");
    assert_int_equal(modbus_read_registers(m, 3, 1, r), 1);
    assert_int_equal(r[0], 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fc_setup, fc_teardown)
    const struct CMUnitTest tests[] = {
        T(mask_write_register_over_tcp_and_rtu),
        T(rtu_frame_of_the_wrong_length_is_illegal_data_value),
    };
    if (getenv("TEST_FILTER")) /* run one case: TEST_FILTER=rtu_* */
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
