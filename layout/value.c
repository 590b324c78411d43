/* SPDX-License-Identifier: MIT */
/*
 * Exact tag values (struct plc_value): parsed, formatted, compared, loaded
 * and stored without a double in between, since a double holds integers
 * only up to 2^53 and int64/uint64 tags go past it.
 */
#include <ctype.h>
#include <float.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plc-layout.h"

enum kind { K_NONE, K_SIGNED, K_UNSIGNED, K_FLOAT };

static enum kind kind_of(enum plc_type type)
{
    switch (type) {
    case PLC_TYPE_BOOL:
    case PLC_TYPE_INT8:
    case PLC_TYPE_INT16:
    case PLC_TYPE_INT32:
    case PLC_TYPE_INT64: return K_SIGNED;
    case PLC_TYPE_UINT8:
    case PLC_TYPE_UINT16:
    case PLC_TYPE_UINT32:
    case PLC_TYPE_UINT64: return K_UNSIGNED;
    case PLC_TYPE_FLOAT32:
    case PLC_TYPE_FLOAT64: return K_FLOAT;
    default: return K_NONE;
    }
}

int plc_value_range(enum plc_type type, struct plc_value *lo, struct plc_value *hi)
{
    switch (type) {
    case PLC_TYPE_BOOL: lo->i = 0; hi->i = 1; return 0;
    case PLC_TYPE_INT8: lo->i = INT8_MIN; hi->i = INT8_MAX; return 0;
    case PLC_TYPE_INT16: lo->i = INT16_MIN; hi->i = INT16_MAX; return 0;
    case PLC_TYPE_INT32: lo->i = INT32_MIN; hi->i = INT32_MAX; return 0;
    case PLC_TYPE_INT64: lo->i = INT64_MIN; hi->i = INT64_MAX; return 0;
    case PLC_TYPE_UINT8: lo->u = 0; hi->u = UINT8_MAX; return 0;
    case PLC_TYPE_UINT16: lo->u = 0; hi->u = UINT16_MAX; return 0;
    case PLC_TYPE_UINT32: lo->u = 0; hi->u = UINT32_MAX; return 0;
    case PLC_TYPE_UINT64: lo->u = 0; hi->u = UINT64_MAX; return 0;
    case PLC_TYPE_FLOAT32: lo->f = -FLT_MAX; hi->f = FLT_MAX; return 0;
    case PLC_TYPE_FLOAT64: lo->f = -DBL_MAX; hi->f = DBL_MAX; return 0;
    default: errno = EINVAL; return -1;
    }
}

int plc_value_cmp(enum plc_type type, const struct plc_value *a, const struct plc_value *b)
{
    switch (kind_of(type)) {
    case K_SIGNED: return (a->i > b->i) - (a->i < b->i);
    case K_UNSIGNED: return (a->u > b->u) - (a->u < b->u);
    case K_FLOAT: return (a->f > b->f) - (a->f < b->f);
    default: return 0;
    }
}

bool plc_value_in_range(enum plc_type type, const struct plc_value *v,
                        const struct plc_value *min, const struct plc_value *max)
{
    return plc_value_cmp(type, v, min) >= 0 && plc_value_cmp(type, v, max) <= 0;
}

static int parse_bool(const char *s, struct plc_value *v)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) { v->i = 1; return 0; }
        if (strcasecmp(s, no[i]) == 0) { v->i = 0; return 0; }
    }
    errno = EINVAL;
    return -1;
}

int plc_value_parse(enum plc_type type, const char *text, struct plc_value *out)
{
    struct plc_value lo, hi, v;
    if (!text || !*text || plc_value_range(type, &lo, &hi) < 0) {
        errno = EINVAL;
        return -1;
    }
    if (type == PLC_TYPE_BOOL)
        return parse_bool(text, out);
    char *end;
    errno = 0;
    if (kind_of(type) == K_FLOAT) {
        v.f = strtod(text, &end);
        if (*end || end == text || isnan(v.f)) {
            errno = EINVAL;
            return -1;
        }
        if (errno == ERANGE || isinf(v.f) || v.f < lo.f || v.f > hi.f) {
            errno = ERANGE;
            return -1;
        }
        if (type == PLC_TYPE_FLOAT32)
            v.f = (float)v.f;
        *out = v;
        return 0;
    }
    /* Decimal, or hex with 0x; never octal, so "010" is ten. */
    bool neg = text[0] == '-';
    const char *digits = text + (neg || text[0] == '+');
    if (!isdigit((unsigned char)digits[0])) {
        errno = EINVAL;
        return -1;
    }
    int base = digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X') ? 16 : 10;
    if (kind_of(type) == K_SIGNED) {
        v.i = strtoll(text, &end, base);
        if (*end) {
            errno = EINVAL;
            return -1;
        }
        if (errno == ERANGE || v.i < lo.i || v.i > hi.i) {
            errno = ERANGE;
            return -1;
        }
    } else {
        /* strtoull() would wrap "-1" to the largest value: read the digits only. */
        v.u = strtoull(digits, &end, base);
        if (*end) {
            errno = EINVAL;
            return -1;
        }
        if (errno == ERANGE || (neg && v.u != 0) || v.u > hi.u) {
            errno = ERANGE;
            return -1;
        }
    }
    *out = v;
    return 0;
}

int plc_value_format(enum plc_type type, const struct plc_value *v, char *buf, size_t len)
{
    switch (type) {
    case PLC_TYPE_BOOL: return snprintf(buf, len, "%s", v->i ? "true" : "false");
    case PLC_TYPE_FLOAT32: return snprintf(buf, len, "%.9g", v->f);
    case PLC_TYPE_FLOAT64:
        /* The shortest form that reads back as the same double. */
        for (int prec = 15; prec < 17; prec++) {
            char tmp[40];
            snprintf(tmp, sizeof(tmp), "%.*g", prec, v->f);
            if (strtod(tmp, NULL) == v->f)
                return snprintf(buf, len, "%s", tmp);
        }
        return snprintf(buf, len, "%.17g", v->f);
    default: break;
    }
    if (kind_of(type) == K_SIGNED)
        return snprintf(buf, len, "%" PRId64, v->i);
    if (kind_of(type) == K_UNSIGNED)
        return snprintf(buf, len, "%" PRIu64, v->u);
    return snprintf(buf, len, "?");
}

double plc_value_to_double(enum plc_type type, const struct plc_value *v)
{
    switch (kind_of(type)) {
    case K_SIGNED: return (double)v->i;
    case K_UNSIGNED: return (double)v->u;
    case K_FLOAT: return v->f;
    default: return 0;
    }
}

struct plc_value plc_value_from_double(enum plc_type type, double d)
{
    struct plc_value v = {.u = 0}, lo, hi;
    if (plc_value_range(type, &lo, &hi) < 0)
        return v;
    switch (kind_of(type)) {
    case K_SIGNED:
        /* Clamped first: converting a double outside the type is undefined. */
        v.i = isnan(d) ? 0 : d <= (double)lo.i ? lo.i : d >= (double)hi.i ? hi.i : (int64_t)d;
        if (type == PLC_TYPE_BOOL)
            v.i = d != 0;
        break;
    case K_UNSIGNED:
        v.u = isnan(d) || d <= 0 ? 0 : d >= (double)hi.u ? hi.u : (uint64_t)d;
        break;
    default: v.f = d; break;
    }
    return v;
}

struct plc_value plc_value_from_slot(enum plc_type type, const void *slot)
{
    struct plc_value v;
    double d;
    if (plc_type_is_wide_int(type)) {
        memcpy(&v, slot, 8);
        return v;
    }
    memcpy(&d, slot, 8);
    if (kind_of(type) == K_FLOAT)
        v.f = d;
    else
        v = plc_value_from_double(type, d);
    return v;
}

void plc_value_to_slot(enum plc_type type, const struct plc_value *v, void *slot)
{
    double d = plc_value_to_double(type, v);
    if (plc_type_is_wide_int(type))
        memcpy(slot, v, 8);
    else
        memcpy(slot, &d, 8);
}

void plc_value_store(enum plc_type type, const struct plc_value *v, void *at)
{
    unsigned char *p = at;
    switch (type) {
    case PLC_TYPE_BOOL: { bool x = v->i != 0; memcpy(p, &x, 1); break; }
    case PLC_TYPE_INT8: { int8_t x = (int8_t)v->i; memcpy(p, &x, 1); break; }
    case PLC_TYPE_UINT8: { uint8_t x = (uint8_t)v->u; memcpy(p, &x, 1); break; }
    case PLC_TYPE_INT16: { int16_t x = (int16_t)v->i; memcpy(p, &x, 2); break; }
    case PLC_TYPE_UINT16: { uint16_t x = (uint16_t)v->u; memcpy(p, &x, 2); break; }
    case PLC_TYPE_INT32: { int32_t x = (int32_t)v->i; memcpy(p, &x, 4); break; }
    case PLC_TYPE_UINT32: { uint32_t x = (uint32_t)v->u; memcpy(p, &x, 4); break; }
    case PLC_TYPE_INT64: memcpy(p, &v->i, 8); break;
    case PLC_TYPE_UINT64: memcpy(p, &v->u, 8); break;
    case PLC_TYPE_FLOAT32: { float x = (float)v->f; memcpy(p, &x, 4); break; }
    case PLC_TYPE_FLOAT64: memcpy(p, &v->f, 8); break;
    default: break;
    }
}

struct plc_value plc_value_load(enum plc_type type, const void *at)
{
    const unsigned char *p = at;
    struct plc_value v = {.u = 0};
    switch (type) {
    case PLC_TYPE_BOOL: { unsigned char x; memcpy(&x, p, 1); v.i = x != 0; break; }
    case PLC_TYPE_INT8: { int8_t x; memcpy(&x, p, 1); v.i = x; break; }
    case PLC_TYPE_UINT8: { uint8_t x; memcpy(&x, p, 1); v.u = x; break; }
    case PLC_TYPE_INT16: { int16_t x; memcpy(&x, p, 2); v.i = x; break; }
    case PLC_TYPE_UINT16: { uint16_t x; memcpy(&x, p, 2); v.u = x; break; }
    case PLC_TYPE_INT32: { int32_t x; memcpy(&x, p, 4); v.i = x; break; }
    case PLC_TYPE_UINT32: { uint32_t x; memcpy(&x, p, 4); v.u = x; break; }
    case PLC_TYPE_INT64: memcpy(&v.i, p, 8); break;
    case PLC_TYPE_UINT64: memcpy(&v.u, p, 8); break;
    case PLC_TYPE_FLOAT32: { float x; memcpy(&x, p, 4); v.f = x; break; }
    case PLC_TYPE_FLOAT64: memcpy(&v.f, p, 8); break;
    default: break;
    }
    return v;
}
