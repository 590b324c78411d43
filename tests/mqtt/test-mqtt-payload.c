/* SPDX-License-Identifier: MIT */
/* The Sparkplug B codec: every tag type encoded and decoded back with protobuf-c, negative
 * integers in two's complement, aliases, timestamps, strings, and refusals. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plc-mqtt.h"

static struct plc_mqtt_payload *round_trip(const struct plc_mqtt_payload *in)
{
    uint8_t *buf = NULL;
    size_t len = 0;
    assert_int_equal(plc_mqtt_payload_encode(in, &buf, &len), 0);
    struct plc_mqtt_payload *out = plc_mqtt_payload_decode(buf, len);
    free(buf);
    assert_non_null(out);
    return out;
}

struct typed {
    enum plc_type type;
    const char *text;
    uint32_t datatype;
};

static void every_tag_type_round_trips(void **state)
{
    static const struct typed cases[] = {
        {PLC_TYPE_BOOL, "true", PLC_MQTT_BOOLEAN},
        {PLC_TYPE_INT8, "-128", PLC_MQTT_INT8},
        {PLC_TYPE_INT16, "-2", PLC_MQTT_INT16},
        {PLC_TYPE_INT32, "-2147483648", PLC_MQTT_INT32},
        {PLC_TYPE_INT64, "-9007199254740993", PLC_MQTT_INT64},
        {PLC_TYPE_UINT8, "255", PLC_MQTT_UINT8},
        {PLC_TYPE_UINT16, "65535", PLC_MQTT_UINT16},
        {PLC_TYPE_UINT32, "4294967295", PLC_MQTT_UINT32},
        {PLC_TYPE_UINT64, "18446744073709551615", PLC_MQTT_UINT64},
        {PLC_TYPE_FLOAT32, "85.5", PLC_MQTT_FLOAT},
        {PLC_TYPE_FLOAT64, "-0.1", PLC_MQTT_DOUBLE},
    };
    enum { N = sizeof(cases) / sizeof(cases[0]) };
    struct plc_mqtt_metric m[N];
    memset(m, 0, sizeof(m));
    char names[N][16];
    for (size_t i = 0; i < N; i++) {
        struct plc_value v;
        assert_int_equal(plc_value_parse(cases[i].type, cases[i].text, &v), 0);
        snprintf(names[i], sizeof(names[i]), "tag%zu", i);
        m[i].name = names[i];
        m[i].alias = i + 1;
        m[i].timestamp = 1700000000000ull + i;
        plc_mqtt_metric_set_tag(&m[i], cases[i].type, &v);
        assert_int_equal(m[i].datatype, cases[i].datatype);
    }
    struct plc_mqtt_payload in = {.timestamp = 1700000000123ull, .has_seq = true, .seq = 255,
                                  .count = N, .metrics = m};
    struct plc_mqtt_payload *out = round_trip(&in);
    assert_int_equal(out->timestamp, 1700000000123ull);
    assert_true(out->has_seq);
    assert_int_equal(out->seq, 255);
    assert_int_equal(out->count, N);
    for (size_t i = 0; i < N; i++) {
        const struct plc_mqtt_metric *o = &out->metrics[i];
        char text[64], want[64];
        assert_string_equal(o->name, names[i]);
        assert_int_equal(o->alias, i + 1);
        assert_int_equal(o->timestamp, 1700000000000ull + i);
        assert_int_equal(o->datatype, cases[i].datatype);
        assert_false(o->historical);
        assert_false(o->is_null);
        struct plc_value back;
        assert_int_equal(plc_mqtt_metric_get_tag(o, cases[i].type, &back), 0);
        plc_value_format(cases[i].type, &back, text, sizeof(text));
        struct plc_value v;
        plc_value_parse(cases[i].type, cases[i].text, &v);
        plc_value_format(cases[i].type, &v, want, sizeof(want));
        assert_string_equal(text, want);
    }
    /* as text, the way plcctl mqtt-decode prints them */
    char text[64];
    plc_mqtt_metric_format(&out->metrics[1], text, sizeof(text));
    assert_string_equal(text, "-128");
    plc_mqtt_metric_format(&out->metrics[0], text, sizeof(text));
    assert_string_equal(text, "true");
    plc_mqtt_payload_free(out);
    (void)state;
}

static void alias_only_strings_and_flags_round_trip(void **state)
{
    struct plc_mqtt_metric m[3] = {
        {.alias = 7, .datatype = PLC_MQTT_INT16, .value.i = -1, .historical = true,
         .timestamp = 5},
        {.name = "Events/Text", .datatype = PLC_MQTT_STRING, .text = "mqtt host set x 1 -> 2"},
        {.name = "nothing", .datatype = PLC_MQTT_FLOAT, .is_null = true},
    };
    struct plc_mqtt_payload in = {.count = 3, .metrics = m}; /* no seq: an NDEATH */
    struct plc_mqtt_payload *out = round_trip(&in);
    assert_false(out->has_seq);
    assert_int_equal(out->timestamp, 0);
    assert_null(out->metrics[0].name);
    assert_int_equal(out->metrics[0].alias, 7);
    assert_int_equal(out->metrics[0].value.i, -1);
    assert_true(out->metrics[0].historical);
    assert_string_equal(out->metrics[1].text, "mqtt host set x 1 -> 2");
    assert_int_equal(out->metrics[1].alias, 0);
    assert_true(out->metrics[2].is_null);
    plc_mqtt_payload_free(out);
    (void)state;
}

static void host_values_convert_to_tags_with_checks(void **state)
{
    struct plc_value v;
    struct plc_mqtt_metric d = {.datatype = PLC_MQTT_DOUBLE, .value.f = 85};
    assert_int_equal(plc_mqtt_metric_get_tag(&d, PLC_TYPE_FLOAT32, &v), 0);
    assert_true(v.f == 85);
    assert_int_equal(plc_mqtt_metric_get_tag(&d, PLC_TYPE_UINT16, &v), 0);
    assert_int_equal(v.u, 85);
    d.value.f = 2.5;
    assert_int_equal(plc_mqtt_metric_get_tag(&d, PLC_TYPE_UINT16, &v), -1);
    assert_int_equal(errno, EINVAL);
    struct plc_mqtt_metric i = {.datatype = PLC_MQTT_INT64, .value.i = -1};
    assert_int_equal(plc_mqtt_metric_get_tag(&i, PLC_TYPE_UINT16, &v), -1);
    assert_int_equal(errno, ERANGE);
    i.value.i = 70000;
    assert_int_equal(plc_mqtt_metric_get_tag(&i, PLC_TYPE_UINT16, &v), -1);
    assert_int_equal(errno, ERANGE);
    struct plc_mqtt_metric s = {.datatype = PLC_MQTT_STRING, .text = "85"};
    assert_int_equal(plc_mqtt_metric_get_tag(&s, PLC_TYPE_FLOAT32, &v), -1);
    assert_int_equal(errno, EINVAL);
    struct plc_mqtt_metric b = {.datatype = PLC_MQTT_BOOLEAN, .value.i = 1};
    assert_int_equal(plc_mqtt_metric_get_tag(&b, PLC_TYPE_BOOL, &v), 0);
    assert_int_equal(v.i, 1);
    assert_int_equal(plc_mqtt_metric_get_tag(&b, PLC_TYPE_FLOAT32, &v), -1);
    (void)state;
}

static void garbage_is_refused(void **state)
{
    static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    assert_null(plc_mqtt_payload_decode(junk, sizeof(junk)));
    assert_int_equal(errno, EBADMSG);
    struct plc_mqtt_metric m = {.name = "x", .datatype = 16 /* DataSet */};
    struct plc_mqtt_payload in = {.count = 1, .metrics = &m};
    uint8_t *buf = NULL;
    size_t len;
    assert_int_equal(plc_mqtt_payload_encode(&in, &buf, &len), -1);
    assert_int_equal(errno, EINVAL);
    assert_null(buf);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_tag_type_round_trips),
        cmocka_unit_test(alias_only_strings_and_flags_round_trip),
        cmocka_unit_test(host_values_convert_to_tags_with_checks),
        cmocka_unit_test(garbage_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
