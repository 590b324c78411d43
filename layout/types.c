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
};

static const struct type_info *info(enum plc_type type)
{
    if (type < PLC_TYPE_BOOL || type > PLC_TYPE_FLOAT32)
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
    for (int i = PLC_TYPE_BOOL; i <= PLC_TYPE_FLOAT32; i++)
        if (strcmp(types[i].name, name) == 0)
            return (enum plc_type)i;
    return PLC_TYPE_ERROR;
}

/* Values travel as double: every supported type converts to it exactly. */
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
    unsigned char *p = at;
    switch (tag->type) {
    case PLC_TYPE_BOOL: { bool x = v != 0; memcpy(p, &x, 1); break; }
    case PLC_TYPE_INT16: { int16_t x = (int16_t)v; memcpy(p, &x, 2); break; }
    case PLC_TYPE_UINT16: { uint16_t x = (uint16_t)v; memcpy(p, &x, 2); break; }
    case PLC_TYPE_INT32: { int32_t x = (int32_t)v; memcpy(p, &x, 4); break; }
    case PLC_TYPE_UINT32: { uint32_t x = (uint32_t)v; memcpy(p, &x, 4); break; }
    case PLC_TYPE_FLOAT32: { float x = (float)v; memcpy(p, &x, 4); break; }
    default: break;
    }
}

double plc_tag_decode_at(const struct plc_tag_def *tag, const void *at)
{
    const unsigned char *p = at;
    switch (tag->type) {
    case PLC_TYPE_BOOL: { unsigned char x; memcpy(&x, p, 1); return x != 0; }
    case PLC_TYPE_INT16: { int16_t x; memcpy(&x, p, 2); return x; }
    case PLC_TYPE_UINT16: { uint16_t x; memcpy(&x, p, 2); return x; }
    case PLC_TYPE_INT32: { int32_t x; memcpy(&x, p, 4); return x; }
    case PLC_TYPE_UINT32: { uint32_t x; memcpy(&x, p, 4); return x; }
    case PLC_TYPE_FLOAT32: { float x; memcpy(&x, p, 4); return x; }
    default: return 0;
    }
}

static int parse_bool(const char *s, double *v)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) { *v = 1; return 0; }
        if (strcasecmp(s, no[i]) == 0) { *v = 0; return 0; }
    }
    errno = EINVAL;
    return -1;
}

int plc_type_parse_value(enum plc_type type, const char *text, double *value)
{
    const struct type_info *t = info(type);
    if (!t || !text || !*text) {
        errno = EINVAL;
        return -1;
    }
    if (type == PLC_TYPE_BOOL)
        return parse_bool(text, value);

    char *end;
    double v;
    errno = 0;
    if (type == PLC_TYPE_FLOAT32) {
        v = strtod(text, &end);
        if (*end || end == text || isnan(v)) {
            errno = EINVAL;
            return -1;
        }
        if (errno == ERANGE || isinf(v) || v < t->lo || v > t->hi) {
            errno = ERANGE;
            return -1;
        }
        v = (float)v;
    } else {
        /* Decimal, or hex with 0x; never octal, so "010" is ten. */
        const char *digits = text + (text[0] == '-' || text[0] == '+');
        bool hex = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X');
        long long n = strtoll(text, &end, hex ? 16 : 10);
        if (*end || end == text) {
            errno = EINVAL;
            return -1;
        }
        if (errno == ERANGE || (double)n < t->lo || (double)n > t->hi) {
            errno = ERANGE;
            return -1;
        }
        v = (double)n;
    }
    *value = v;
    return 0;
}

int plc_type_format_value(enum plc_type type, double value, char *buf, size_t len)
{
    switch (type) {
    case PLC_TYPE_BOOL:
        return snprintf(buf, len, "%s", value != 0 ? "true" : "false");
    case PLC_TYPE_FLOAT32:
        return snprintf(buf, len, "%.9g", value);
    default:
        return snprintf(buf, len, "%.0f", value);
    }
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
