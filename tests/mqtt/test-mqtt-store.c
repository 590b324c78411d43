/* SPDX-License-Identifier: MIT */
/* The store and forward FIFO: order, bounded with the oldest dropped and counted, changes kept
 * until acknowledged, and rewound as historical when the connection is lost. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "plc-mqtt.h"

static void push_value(struct plc_mqtt_store *s, int64_t v)
{
    struct plc_mqtt_change c = {.timestamp = 1000 + (uint64_t)v, .tag = 3, .value.i = v};
    assert_true(plc_mqtt_store_push(s, &c) >= 0);
}

static void changes_leave_in_order_only_when_acked(void **state)
{
    struct plc_mqtt_store *s = plc_mqtt_store_new(10);
    for (int i = 0; i < 5; i++)
        push_value(s, i);
    assert_int_equal(plc_mqtt_store_unsent(s), 5);
    assert_int_equal(plc_mqtt_store_peek(s, 0)->value.i, 0);
    assert_int_equal(plc_mqtt_store_peek(s, 4)->timestamp, 1004);
    assert_null(plc_mqtt_store_peek(s, 5));
    uint64_t last = plc_mqtt_store_peek(s, 2)->id;
    plc_mqtt_store_take(s, 3);
    assert_int_equal(plc_mqtt_store_unsent(s), 2);
    assert_int_equal(plc_mqtt_store_count(s), 5);
    assert_int_equal(plc_mqtt_store_peek(s, 0)->value.i, 3);
    plc_mqtt_store_ack(s, last);
    assert_int_equal(plc_mqtt_store_count(s), 2);
    assert_int_equal(plc_mqtt_store_peek(s, 0)->value.i, 3);
    assert_false(plc_mqtt_store_peek(s, 0)->historical);
    plc_mqtt_store_free(s);
    (void)state;
}

static void full_store_drops_the_oldest_and_counts(void **state)
{
    struct plc_mqtt_store *s = plc_mqtt_store_new(3);
    for (int i = 0; i < 3; i++)
        push_value(s, i);
    struct plc_mqtt_change c = {.tag = PLC_MQTT_EVENT, .text = "an event"};
    assert_int_equal(plc_mqtt_store_push(s, &c), 1);
    push_value(s, 9);
    assert_int_equal(plc_mqtt_store_get_dropped(s), 2);
    assert_int_equal(plc_mqtt_store_count(s), 3);
    assert_int_equal(plc_mqtt_store_peek(s, 0)->value.i, 2);
    assert_string_equal(plc_mqtt_store_peek(s, 1)->text, "an event");
    assert_int_equal(plc_mqtt_store_peek(s, 2)->value.i, 9);
    plc_mqtt_store_free(s);
    (void)state;
}

static void lost_connection_resends_everything_unacked_as_historical(void **state)
{
    struct plc_mqtt_store *s = plc_mqtt_store_new(4);
    for (int i = 0; i < 3; i++)
        push_value(s, i);
    plc_mqtt_store_take(s, 2); /* in flight when the broker went */
    plc_mqtt_store_rewind(s);
    assert_int_equal(plc_mqtt_store_unsent(s), 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(plc_mqtt_store_peek(s, i)->value.i, (int64_t)i);
        assert_true(plc_mqtt_store_peek(s, i)->historical);
    }
    /* a drop while in flight: the ack of a dropped id takes only what is left up to it */
    plc_mqtt_store_take(s, 3);
    push_value(s, 3);
    push_value(s, 4); /* drops change 0 */
    assert_int_equal(plc_mqtt_store_get_dropped(s), 1);
    uint64_t id2 = 0;
    plc_mqtt_store_rewind(s);
    id2 = plc_mqtt_store_peek(s, 1)->id; /* change 2 */
    plc_mqtt_store_take(s, 2);
    plc_mqtt_store_ack(s, id2);
    assert_int_equal(plc_mqtt_store_count(s), 2);
    assert_int_equal(plc_mqtt_store_peek(s, 0)->value.i, 3);
    plc_mqtt_store_free(s);
    (void)state;
}

static void zero_capacity_is_refused(void **state)
{
    assert_null(plc_mqtt_store_new(0));
    plc_mqtt_store_free(NULL);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(changes_leave_in_order_only_when_acked),
        cmocka_unit_test(full_store_drops_the_oldest_and_counts),
        cmocka_unit_test(lost_connection_resends_everything_unacked_as_historical),
        cmocka_unit_test(zero_capacity_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
