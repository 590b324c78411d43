/* SPDX-License-Identifier: MIT */
/*
 * Sparkplug B payloads: struct plc_mqtt_payload to and from the protobuf of
 * mqtt/sparkplug_b.proto, through the code protoc-c generates from it at build
 * time. Nothing here writes protobuf by hand; this file only maps tag types to
 * Sparkplug datatypes and their value fields (6.4.16 of the specification).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "sparkplug_b.pb-c.h"

typedef Org__Eclipse__Tahu__Protobuf__Payload Payload;
typedef Org__Eclipse__Tahu__Protobuf__Payload__Metric Metric;
#define VALUE(x) ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__METRIC__VALUE_##x

uint32_t plc_mqtt_datatype_of(enum plc_type type)
{
    switch (type) {
    case PLC_TYPE_BOOL: return PLC_MQTT_BOOLEAN;
    case PLC_TYPE_INT8: return PLC_MQTT_INT8;
    case PLC_TYPE_INT16: return PLC_MQTT_INT16;
    case PLC_TYPE_INT32: return PLC_MQTT_INT32;
    case PLC_TYPE_INT64: return PLC_MQTT_INT64;
    case PLC_TYPE_UINT8: return PLC_MQTT_UINT8;
    case PLC_TYPE_UINT16: return PLC_MQTT_UINT16;
    case PLC_TYPE_UINT32: return PLC_MQTT_UINT32;
    case PLC_TYPE_UINT64: return PLC_MQTT_UINT64;
    case PLC_TYPE_FLOAT32: return PLC_MQTT_FLOAT;
    case PLC_TYPE_FLOAT64: return PLC_MQTT_DOUBLE;
    default: return 0;
    }
}

const char *plc_mqtt_datatype_name(uint32_t datatype)
{
    static const char *const names[] = {
        "Unknown", "Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64",
        "Float", "Double", "Boolean", "String", "DateTime", "Text", "UUID", "DataSet", "Bytes",
        "File", "Template", "PropertySet", "PropertySetList"};
    return datatype < sizeof(names) / sizeof(names[0]) ? names[datatype] : "Unknown";
}

void plc_mqtt_metric_set_tag(struct plc_mqtt_metric *m, enum plc_type type,
                             const struct plc_value *v)
{
    m->datatype = plc_mqtt_datatype_of(type);
    m->value = *v;
    m->is_null = false;
}

static bool is_signed(uint32_t dt)
{
    return dt >= PLC_MQTT_INT8 && dt <= PLC_MQTT_INT64;
}

static bool is_unsigned(uint32_t dt)
{
    return dt >= PLC_MQTT_UINT8 && dt <= PLC_MQTT_UINT64;
}

int plc_mqtt_metric_get_tag(const struct plc_mqtt_metric *m, enum plc_type type,
                            struct plc_value *out)
{
    struct plc_value v, lo, hi;
    if (m->is_null || plc_value_range(type, &lo, &hi) < 0)
        goto bad;
    bool tag_float = type == PLC_TYPE_FLOAT32 || type == PLC_TYPE_FLOAT64;
    if (m->datatype == PLC_MQTT_BOOLEAN) {
        if (type != PLC_TYPE_BOOL)
            goto bad;
        *out = m->value;
        return 0;
    }
    if (type == PLC_TYPE_BOOL) {
        /* 0 and 1 as numbers too: many hosts write a bit as an integer. */
        if ((is_signed(m->datatype) && (m->value.i == 0 || m->value.i == 1)) ||
            (is_unsigned(m->datatype) && m->value.u <= 1)) {
            out->i = is_signed(m->datatype) ? m->value.i : (int64_t)m->value.u;
            return 0;
        }
        goto bad;
    }
    if (m->datatype == PLC_MQTT_FLOAT || m->datatype == PLC_MQTT_DOUBLE) {
        if (!isfinite(m->value.f))
            goto bad;
        if (tag_float) {
            v.f = m->value.f;
        } else {
            /* An integer tag takes a float only when it is a whole number. */
            if (m->value.f != trunc(m->value.f))
                goto bad;
            if (m->value.f < plc_value_to_double(type, &lo) ||
                m->value.f > plc_value_to_double(type, &hi))
                goto range;
            v = plc_value_from_double(type, m->value.f);
        }
    } else if (is_signed(m->datatype) || is_unsigned(m->datatype)) {
        bool neg = is_signed(m->datatype) && m->value.i < 0;
        if (tag_float)
            v.f = neg ? (double)m->value.i : (double)m->value.u;
        else if (plc_type_is_wide_int(type) || type == PLC_TYPE_UINT8 ||
                 type == PLC_TYPE_UINT16 || type == PLC_TYPE_UINT32) {
            bool uns = type == PLC_TYPE_UINT8 || type == PLC_TYPE_UINT16 ||
                       type == PLC_TYPE_UINT32 || type == PLC_TYPE_UINT64;
            if (uns) {
                if (neg)
                    goto range;
                v.u = m->value.u;
            } else { /* int64 */
                if (!neg && is_unsigned(m->datatype) && m->value.u > INT64_MAX)
                    goto range;
                v.i = m->value.i;
            }
        } else { /* int8, int16, int32 */
            if (!neg && is_unsigned(m->datatype) && m->value.u > INT64_MAX)
                goto range;
            v.i = m->value.i;
        }
    } else {
        goto bad;
    }
    if (!plc_value_in_range(type, &v, &lo, &hi))
        goto range;
    *out = v;
    return 0;
bad:
    errno = EINVAL;
    return -1;
range:
    errno = ERANGE;
    return -1;
}

int plc_mqtt_metric_format(const struct plc_mqtt_metric *m, char *buf, size_t len)
{
    if (m->is_null)
        return snprintf(buf, len, "null");
    switch (m->datatype) {
    case PLC_MQTT_BOOLEAN: return snprintf(buf, len, "%s", m->value.i ? "true" : "false");
    case PLC_MQTT_FLOAT:
    case PLC_MQTT_DOUBLE: return snprintf(buf, len, "%.9g", m->value.f);
    case PLC_MQTT_STRING:
    case PLC_MQTT_TEXT: return snprintf(buf, len, "%s", m->text ? m->text : "");
    default:
        if (is_signed(m->datatype))
            return snprintf(buf, len, "%" PRId64, m->value.i);
        if (is_unsigned(m->datatype))
            return snprintf(buf, len, "%" PRIu64, m->value.u);
        return snprintf(buf, len, "(%s)", plc_mqtt_datatype_name(m->datatype));
    }
}

/* One metric into its protobuf message; the strings stay the caller's. */
static int metric_to_pb(const struct plc_mqtt_metric *m, Metric *pb)
{
    org__eclipse__tahu__protobuf__payload__metric__init(pb);
    pb->name = m->name;
    pb->has_alias = m->alias != 0;
    pb->alias = m->alias;
    pb->has_timestamp = m->timestamp != 0;
    pb->timestamp = m->timestamp;
    pb->has_datatype = true;
    pb->datatype = m->datatype;
    pb->has_is_historical = m->historical;
    pb->is_historical = m->historical;
    if (m->is_null) {
        pb->has_is_null = pb->is_null = true;
        return 0;
    }
    switch (m->datatype) {
    case PLC_MQTT_INT8:
    case PLC_MQTT_INT16:
    case PLC_MQTT_INT32:
        /* Two's complement in the 32-bit field (the specification's rule). */
        pb->value_case = VALUE(INT_VALUE);
        pb->int_value = (uint32_t)(int32_t)m->value.i;
        return 0;
    case PLC_MQTT_UINT8:
    case PLC_MQTT_UINT16:
    case PLC_MQTT_UINT32:
        pb->value_case = VALUE(INT_VALUE);
        pb->int_value = (uint32_t)m->value.u;
        return 0;
    case PLC_MQTT_INT64:
    case PLC_MQTT_UINT64:
        pb->value_case = VALUE(LONG_VALUE);
        pb->long_value = m->value.u;
        return 0;
    case PLC_MQTT_FLOAT:
        pb->value_case = VALUE(FLOAT_VALUE);
        pb->float_value = (float)m->value.f;
        return 0;
    case PLC_MQTT_DOUBLE:
        pb->value_case = VALUE(DOUBLE_VALUE);
        pb->double_value = m->value.f;
        return 0;
    case PLC_MQTT_BOOLEAN:
        pb->value_case = VALUE(BOOLEAN_VALUE);
        pb->boolean_value = m->value.i != 0;
        return 0;
    case PLC_MQTT_STRING:
    case PLC_MQTT_TEXT:
        pb->value_case = VALUE(STRING_VALUE);
        pb->string_value = m->text ? m->text : (char *)"";
        return 0;
    default:
        errno = EINVAL;
        return -1;
    }
}

int plc_mqtt_payload_encode(const struct plc_mqtt_payload *p, uint8_t **buf, size_t *len)
{
    Payload pb = ORG__ECLIPSE__TAHU__PROTOBUF__PAYLOAD__INIT;
    Metric *metrics = calloc(p->count ? p->count : 1, sizeof(*metrics));
    Metric **ptrs = calloc(p->count ? p->count : 1, sizeof(*ptrs));
    int rc = -1;
    if (!metrics || !ptrs) {
        errno = ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < p->count; i++) {
        if (metric_to_pb(&p->metrics[i], &metrics[i]) < 0)
            goto out;
        ptrs[i] = &metrics[i];
    }
    pb.has_timestamp = p->timestamp != 0;
    pb.timestamp = p->timestamp;
    pb.has_seq = p->has_seq;
    pb.seq = p->seq;
    pb.n_metrics = p->count;
    pb.metrics = ptrs;
    size_t n = org__eclipse__tahu__protobuf__payload__get_packed_size(&pb);
    uint8_t *out = malloc(n ? n : 1);
    if (!out) {
        errno = ENOMEM;
        goto out;
    }
    org__eclipse__tahu__protobuf__payload__pack(&pb, out);
    *buf = out;
    *len = n;
    rc = 0;
out:
    free(metrics);
    free(ptrs);
    return rc;
}

/* One decoded metric; 0, or -1 when out of memory. */
static int metric_from_pb(const Metric *pb, struct plc_mqtt_metric *m)
{
    if (pb->name && !(m->name = strdup(pb->name)))
        return -1;
    m->alias = pb->has_alias ? pb->alias : 0;
    m->timestamp = pb->has_timestamp ? pb->timestamp : 0;
    m->datatype = pb->has_datatype ? pb->datatype : 0;
    m->historical = pb->has_is_historical && pb->is_historical;
    m->is_null = pb->has_is_null && pb->is_null;
    switch (pb->value_case) {
    case VALUE(INT_VALUE):
        /* Sign-extend from the datatype's own width. */
        if (m->datatype == PLC_MQTT_INT8)
            m->value.i = (int8_t)pb->int_value;
        else if (m->datatype == PLC_MQTT_INT16)
            m->value.i = (int16_t)pb->int_value;
        else if (m->datatype == PLC_MQTT_INT32)
            m->value.i = (int32_t)pb->int_value;
        else if (m->datatype == PLC_MQTT_BOOLEAN)
            m->value.i = pb->int_value != 0;
        else
            m->value.u = pb->int_value;
        break;
    case VALUE(LONG_VALUE):
        m->value.u = pb->long_value;
        break;
    case VALUE(FLOAT_VALUE):
        m->value.f = pb->float_value;
        break;
    case VALUE(DOUBLE_VALUE):
        m->value.f = pb->double_value;
        break;
    case VALUE(BOOLEAN_VALUE):
        m->value.i = pb->boolean_value != 0;
        break;
    case VALUE(STRING_VALUE):
        if (!(m->text = strdup(pb->string_value)))
            return -1;
        break;
    default:
        m->is_null = true; /* a value the codec does not carry (or none) */
        break;
    }
    return 0;
}

struct plc_mqtt_payload *plc_mqtt_payload_decode(const uint8_t *buf, size_t len)
{
    Payload *pb = org__eclipse__tahu__protobuf__payload__unpack(NULL, len, buf);
    if (!pb) {
        errno = EBADMSG;
        return NULL;
    }
    struct plc_mqtt_payload *p = calloc(1, sizeof(*p));
    if (!p)
        goto oom;
    p->timestamp = pb->has_timestamp ? pb->timestamp : 0;
    p->has_seq = pb->has_seq;
    p->seq = pb->seq;
    p->metrics = calloc(pb->n_metrics ? pb->n_metrics : 1, sizeof(*p->metrics));
    if (!p->metrics)
        goto oom;
    for (size_t i = 0; i < pb->n_metrics; i++) {
        p->count++;
        if (metric_from_pb(pb->metrics[i], &p->metrics[i]) < 0)
            goto oom;
    }
    org__eclipse__tahu__protobuf__payload__free_unpacked(pb, NULL);
    return p;
oom:
    org__eclipse__tahu__protobuf__payload__free_unpacked(pb, NULL);
    plc_mqtt_payload_free(p);
    errno = ENOMEM;
    return NULL;
}

void plc_mqtt_payload_free(struct plc_mqtt_payload *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->count; i++) {
        free(p->metrics[i].name);
        free(p->metrics[i].text);
    }
    free(p->metrics);
    free(p);
}
