/* SPDX-License-Identifier: MIT */
/* Tag types: names, sizes, and the one place values and durations are encoded and parsed. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plc-layout.h"

struct type_info {
    const char *name;
    const char *ctype;
    size_t size;
    double lo, hi;
};

static const struct type_info types[] = {
    [PLC_TYPE_BOOL] = {"bool", "bool", 1, 0, 1},
    [PLC_TYPE_INT16] = {"int16", "int16_t", 2, INT16_MIN, INT16_MAX},
    [PLC_TYPE_UINT16] = {"uint16", "uint16_t", 2, 0, UINT16_MAX},
    [PLC_TYPE_INT32] = {"int32", "int32_t", 4, INT32_MIN, INT32_MAX},
    [PLC_TYPE_UINT32] = {"uint32", "uint32_t", 4, 0, UINT32_MAX},
    [PLC_TYPE_FLOAT32] = {"float32", "float", 4, -3.40282346638528859811704183484516925e+38,
                          3.40282346638528859811704183484516925e+38},
    [PLC_TYPE_INT64] = {"int64", "int64_t", 8, -9223372036854775808.0, 9223372036854775807.0},
    [PLC_TYPE_UINT64] = {"uint64", "uint64_t", 8, 0, 18446744073709551615.0},
    [PLC_TYPE_FLOAT64] = {"float64", "double", 8, -1.7976931348623157e308, 1.7976931348623157e308},
    [PLC_TYPE_INT8] = {"int8", "int8_t", 1, INT8_MIN, INT8_MAX},
    [PLC_TYPE_UINT8] = {"uint8", "uint8_t", 1, 0, UINT8_MAX},
};

static const struct type_info *info(enum plc_type type)
{
    if (type < PLC_TYPE_BOOL || type > PLC_TYPE_LAST)
        return NULL;
    return &types[type];
}

const char *plc_type_name(enum plc_type type)
{
    const struct type_info *t = info(type);
    return t ? t->name : NULL;
}

const char *plc_type_ctype(enum plc_type type)
{
    const struct type_info *t = info(type);
    return t ? t->ctype : NULL;
}

size_t plc_type_size(enum plc_type type)
{
    const struct type_info *t = info(type);
    return t ? t->size : 0;
}

enum plc_type plc_type_from_name(const char *name)
{
    for (int i = PLC_TYPE_BOOL; i <= PLC_TYPE_LAST; i++)
        if (strcmp(types[i].name, name) == 0)
            return (enum plc_type)i;
    return PLC_TYPE_ERROR;
}

bool plc_type_is_wide_int(enum plc_type type)
{
    return type == PLC_TYPE_INT64 || type == PLC_TYPE_UINT64;
}

/* Values travel as double here: exact for every type but int64/uint64 past
 * 2^53, which take the struct plc_value calls of value.c instead. */
void plc_tag_encode(const struct plc_tag_def *tag, double v, void *data)
{
    plc_tag_encode_at(tag, v, (unsigned char *)data + tag->offset);
}

double plc_tag_decode(const struct plc_tag_def *tag, const void *data)
{
    return plc_tag_decode_at(tag, (const unsigned char *)data + tag->offset);
}

void plc_tag_encode_at(const struct plc_tag_def *tag, double v, void *at)
{
    struct plc_value x = plc_value_from_double(tag->type, v);
    plc_value_store(tag->type, &x, at);
}

double plc_tag_decode_at(const struct plc_tag_def *tag, const void *at)
{
    struct plc_value x = plc_value_load(tag->type, at);
    return plc_value_to_double(tag->type, &x);
}

int plc_type_parse_value(enum plc_type type, const char *text, double *value)
{
    struct plc_value v;
    if (plc_value_parse(type, text, &v) < 0)
        return -1;
    *value = plc_value_to_double(type, &v);
    return 0;
}

int plc_type_format_value(enum plc_type type, double value, char *buf, size_t len)
{
    struct plc_value v = plc_value_from_double(type, value);
    if (type == PLC_TYPE_FLOAT64 || type == PLC_TYPE_FLOAT32)
        v.f = value; /* NaN and infinities as they are */
    return plc_value_format(type, &v, buf, len);
}

/* A duration unit: its suffix ("" for a bare number) and how many of the smallest unit it is. */
struct unit {
    const char *suffix;
    unsigned mul;
};

/* @text as digits and one of @units, within [min, max] counted in the smallest
 * unit; the messages give @examples and format bounds with @format. */
static int parse_units(const char *text, const struct unit *units, uint32_t min, uint32_t max,
                       const char *what, const char *examples,
                       int (*format)(uint32_t, char *, size_t), uint32_t *out,
                       struct plc_diag *diag)
{
    char *end, lo[16], hi[16];
    unsigned long long v = 0, mul = 0;
    if (isdigit((unsigned char)text[0])) {
        errno = 0;
        v = strtoull(text, &end, 10);
        for (size_t i = 0; !mul && units[i].suffix; i++)
            if (strcmp(end, units[i].suffix) == 0)
                mul = units[i].mul;
    }
    if (!mul)
        return plc_diag_fail(diag, NULL, EINVAL, "%s '%s' is not a duration (%s)", what, text,
                             examples);
    if (errno == ERANGE || v > max / mul || v * mul < min) {
        format(min, lo, sizeof(lo));
        format(max, hi, sizeof(hi));
        return plc_diag_fail(diag, NULL, ERANGE, "%s %s is outside %s..%s", what, text, lo, hi);
    }
    *out = (uint32_t)(v * mul);
    return 0;
}

int plc_duration_parse(const char *text, uint32_t min_us, uint32_t max_us, const char *what,
                       uint32_t *us, struct plc_diag *diag)
{
    static const struct unit units[] = {
        {"us", 1}, {"ms", 1000}, {"", 1000}, {"s", 1000000}, {NULL, 0}};
    return parse_units(text, units, min_us, max_us, what, "10ms, 500us, 1s",
                       plc_duration_format, us, diag);
}

int plc_duration_format(uint32_t us, char *buf, size_t len)
{
    if (us == 0)
        return snprintf(buf, len, "0");
    if (us % 1000000u == 0)
        return snprintf(buf, len, "%" PRIu32 "s", us / 1000000u);
    if (us % 1000u == 0)
        return snprintf(buf, len, "%" PRIu32 "ms", us / 1000u);
    return snprintf(buf, len, "%" PRIu32 "us", us);
}

int plc_duration_parse_s(const char *text, uint32_t min_s, uint32_t max_s, const char *what,
                         uint32_t *s, struct plc_diag *diag)
{
    static const struct unit units[] = {{"s", 1}, {"min", 60}, {"h", 3600}, {NULL, 0}};
    return parse_units(text, units, min_s, max_s, what, "90s, 30min, 8h", plc_duration_format_s,
                       s, diag);
}

int plc_duration_format_s(uint32_t s, char *buf, size_t len)
{
    if (s && s % 3600u == 0)
        return snprintf(buf, len, "%" PRIu32 "h", s / 3600u);
    if (s && s % 60u == 0)
        return snprintf(buf, len, "%" PRIu32 "min", s / 60u);
    return snprintf(buf, len, "%" PRIu32 "s", s);
}
