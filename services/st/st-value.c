/* SPDX-License-Identifier: MIT */
/* Values of ST variables as text, both ways (st-value.h). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "plc-date.h"
#include "st-value.h"

static const struct {
    const char *name;
    size_t size;
} kinds[] = {
    [PLC_ST_BOOL] = {"BOOL", 1},   [PLC_ST_SINT] = {"SINT", 1},     [PLC_ST_INT] = {"INT", 2},
    [PLC_ST_DINT] = {"DINT", 4},   [PLC_ST_LINT] = {"LINT", 8},     [PLC_ST_USINT] = {"USINT", 1},
    [PLC_ST_UINT] = {"UINT", 2},   [PLC_ST_UDINT] = {"UDINT", 4},   [PLC_ST_ULINT] = {"ULINT", 8},
    [PLC_ST_BYTE] = {"BYTE", 1},   [PLC_ST_WORD] = {"WORD", 2},     [PLC_ST_DWORD] = {"DWORD", 4},
    [PLC_ST_LWORD] = {"LWORD", 8}, [PLC_ST_REAL] = {"REAL", 4},     [PLC_ST_LREAL] = {"LREAL", 8},
    [PLC_ST_TIME] = {"TIME", 8},   [PLC_ST_STRING] = {"STRING", 0}, [PLC_ST_ENUM] = {"ENUM", 4},
    [PLC_ST_DATE] = {"DATE", 8},   [PLC_ST_TOD] = {"TOD", 8},       [PLC_ST_DT] = {"DT", 8},
};

size_t plc_st_kind_size(unsigned kind)
{
    return kind < sizeof(kinds) / sizeof(kinds[0]) ? kinds[kind].size : 0;
}

static enum plc_date_kind date_kind(unsigned kind)
{
    return kind == PLC_ST_DATE ? PLC_DATE_DATE : kind == PLC_ST_TOD ? PLC_DATE_TOD : PLC_DATE_DT;
}

static bool is_signed(unsigned kind)
{
    return kind == PLC_ST_SINT || kind == PLC_ST_INT || kind == PLC_ST_DINT || kind == PLC_ST_LINT;
}

/* ---- TIME -------------------------------------------------------------- */

#define NS_US UINT64_C(1000)
#define NS_MS UINT64_C(1000000)
#define NS_S UINT64_C(1000000000)
#define NS_M (60 * NS_S)
#define NS_H (60 * NS_M)
#define NS_D (24 * NS_H)

/* Largest first: "ms" before "m" so the longer unit is taken. */
static const struct {
    const char *name;
    uint64_t ns;
    int rank; /* falling order: d 6 ... ns 0 */
} units[] = {
    {"ms", NS_MS, 2}, {"us", NS_US, 1}, {"ns", 1, 0},   {"d", NS_D, 6},
    {"h", NS_H, 5},   {"m", NS_M, 4},   {"s", NS_S, 3},
};

/* Digits with single underscores between them, into *v; false on none or overflow. */
static bool take_digits(const char **s, uint64_t *v, const char **start, size_t *len)
{
    const char *p = *s;
    uint64_t n = 0;
    if (start)
        *start = p;
    if (!isdigit((unsigned char)*p))
        return false;
    while (isdigit((unsigned char)*p) || (*p == '_' && isdigit((unsigned char)p[1]))) {
        if (*p != '_') {
            unsigned d = (unsigned)(*p - '0');
            if (n > (UINT64_MAX - d) / 10)
                return false;
            n = n * 10 + d;
        }
        p++;
    }
    if (len)
        *len = (size_t)(p - *s);
    *s = p;
    *v = n;
    return true;
}

static bool take_prefix(const char **s, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncasecmp(*s, prefix, n) != 0)
        return false;
    *s += n;
    return true;
}

int plc_st_time_parse(const char *text, int64_t *ns)
{
    const char *p = text;
    bool neg = *p == '-';
    if (neg)
        p++;
    if (!take_prefix(&p, "TIME#"))
        take_prefix(&p, "T#");
    if (*p == '-' || *p == '+') {
        if (neg)
            return -1;
        neg = *p++ == '-';
    }
    /* The magnitude may reach 2^63 when negative (INT64_MIN). */
    uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t total = 0;
    int last_rank = 7;
    bool fraction_seen = false;
    if (!*p)
        return -1;
    while (*p) {
        uint64_t whole;
        const char *digits;
        size_t ndigits;
        if (fraction_seen || !take_digits(&p, &whole, &digits, &ndigits))
            return -1;
        const char *frac = NULL;
        if (*p == '.') {
            frac = ++p;
            while (isdigit((unsigned char)*p))
                p++;
            if (p == frac)
                return -1;
            fraction_seen = true;
        }
        if (!*p && last_rank == 7 && !frac) {
            /* A bare integer: nanoseconds. */
            if (whole > limit)
                return -1;
            total = whole;
            break;
        }
        size_t u = 0;
        while (u < sizeof(units) / sizeof(units[0]) &&
               strncasecmp(p, units[u].name, strlen(units[u].name)) != 0)
            u++;
        if (u == sizeof(units) / sizeof(units[0]) || units[u].rank >= last_rank)
            return -1;
        p += strlen(units[u].name);
        last_rank = units[u].rank;
        if (whole > limit / units[u].ns)
            return -1;
        uint64_t part = whole * units[u].ns;
        if (frac) {
            /* Double's 53 bits are below 1 ns for anything up to about 100 days. */
            char buf[40] = "0.";
            size_t n = (size_t)(p - strlen(units[u].name) - frac);
            if (n > sizeof(buf) - 3)
                n = sizeof(buf) - 3;
            memcpy(buf + 2, frac, n);
            buf[2 + n] = '\0';
            part += (uint64_t)llround(strtod(buf, NULL) * (double)units[u].ns);
        }
        if (part > limit - total)
            return -1;
        total += part;
        if (*p == '_' && p[1])
            p++;
    }
    *ns = !neg ? (int64_t)total : total ? -(int64_t)(total - 1) - 1 : 0;
    return 0;
}

void plc_st_time_format(int64_t ns, char *buf, size_t size)
{
    if (ns == 0) {
        snprintf(buf, size, "T#0s");
        return;
    }
    /* IEC 61131-3 puts the sign after the prefix: T#-2s. */
    uint64_t rest = ns < 0 ? 0 - (uint64_t)ns : (uint64_t)ns;
    static const struct {
        const char *name;
        uint64_t ns;
    } parts[] = {{"d", NS_D},   {"h", NS_H},   {"m", NS_M}, {"s", NS_S},
                 {"ms", NS_MS}, {"us", NS_US}, {"ns", 1}};
    size_t n = (size_t)snprintf(buf, size, "T#%s", ns < 0 ? "-" : "");
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]) && n < size; i++) {
        uint64_t v = rest / parts[i].ns;
        rest %= parts[i].ns;
        if (v)
            n += (size_t)snprintf(buf + n, size - n, "%" PRIu64 "%s", v, parts[i].name);
    }
}

/* ---- REAL -------------------------------------------------------------- */

void plc_st_real_format(double v, bool single, char *buf, size_t size)
{
    if (isnan(v)) {
        snprintf(buf, size, "NaN");
        return;
    }
    if (isinf(v)) {
        snprintf(buf, size, v < 0 ? "-Inf" : "Inf");
        return;
    }
    /* %.9g / %.17g always read back but are not the shortest ("0.100000001"):
     * find the fewest digits that do, then lay them out as JavaScript does
     * (fixed for exponents -6..20, so 100 is "100", not "1e+02"). */
    char e[40];
    int max = single ? 9 : 17;
    for (int prec = 1; prec <= max; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec - 1, v);
        if (single ? strtof(e, NULL) == (float)v : strtod(e, NULL) == v)
            break;
    }
    /* e is "-d.ddde+XX": its digits without trailing zeros, and the exponent */
    char digits[24];
    size_t nd = 0;
    const char *p = e + (e[0] == '-');
    for (; *p != 'e'; p++)
        if (isdigit((unsigned char)*p))
            digits[nd++] = *p;
    while (nd > 1 && digits[nd - 1] == '0')
        nd--;
    digits[nd] = '\0';
    int exp = atoi(p + 1);
    const char *sign = e[0] == '-' ? "-" : "";
    const char *zeros = "00000000000000000000"; /* the most fixed notation needs */
    if (exp >= 21 || exp < -6)
        snprintf(buf, size, "%s%c%s%se%c%d", sign, digits[0], nd > 1 ? "." : "", digits + 1,
                 exp < 0 ? '-' : '+', abs(exp));
    else if (exp < 0)
        snprintf(buf, size, "%s0.%.*s%s", sign, -exp - 1, zeros, digits);
    else if ((size_t)exp + 1 >= nd)
        snprintf(buf, size, "%s%s%.*s", sign, digits, exp + 1 - (int)nd, zeros);
    else
        snprintf(buf, size, "%s%.*s.%s", sign, exp + 1, digits, digits + exp + 1);
}

/* strtof/strtod of the whole of @text, also "NaN", "Inf", "-Inf" (any case). */
static int parse_real(const char *text, bool single, double *out)
{
    char buf[128];
    size_t n = 0;
    /* IEC allows 1_000.5: drop underscores between digits. */
    for (const char *p = text; *p; p++) {
        if (*p == '_' && p > text && isdigit((unsigned char)p[-1]) && isdigit((unsigned char)p[1]))
            continue;
        if (n + 1 >= sizeof(buf))
            return -1;
        buf[n++] = *p;
    }
    buf[n] = '\0';
    const char *s = buf;
    if (*s == '+' || *s == '-')
        s++;
    bool word = !strcasecmp(s, "nan") || !strcasecmp(s, "inf") || !strcasecmp(s, "infinity");
    if (!isdigit((unsigned char)*s) && *s != '.' && !word)
        return -1; /* no spaces, no "nan(...)" */
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        return -1;
    char *end;
    double v = single ? strtof(buf, &end) : strtod(buf, &end);
    if (end == buf || *end)
        return -1;
    if (isinf(v) && !word)
        return -1; /* beyond the type's range; denormals are fine */
    *out = v;
    return 0;
}

/* ---- integers ---------------------------------------------------------- */

/* [-]digits, [-]16#FF, 2#1010, 8#17, with underscores: magnitude and sign. */
static int parse_integer(const char *text, bool *neg, uint64_t *mag)
{
    const char *p = text;
    *neg = *p == '-';
    if (*p == '-' || *p == '+')
        p++;
    unsigned base = 10;
    if (!strncmp(p, "16#", 3) || !strncmp(p, "8#", 2) || !strncmp(p, "2#", 2)) {
        base = (unsigned)strtoul(p, NULL, 10);
        p = strchr(p, '#') + 1;
    }
    uint64_t v = 0;
    bool any = false;
    for (; *p; p++) {
        if (*p == '_' && any && p[1] && p[1] != '_')
            continue;
        int d = isdigit((unsigned char)*p)    ? *p - '0'
                : isxdigit((unsigned char)*p) ? toupper((unsigned char)*p) - 'A' + 10
                                              : 99;
        if ((unsigned)d >= base || v > (UINT64_MAX - (unsigned)d) / base)
            return -1;
        v = v * base + (unsigned)d;
        any = true;
    }
    if (!any)
        return -1;
    *mag = v;
    return 0;
}

static void int_range(unsigned kind, int64_t *min, uint64_t *max)
{
    size_t bits = plc_st_kind_size(kind) * 8;
    if (is_signed(kind)) {
        *max = (UINT64_C(1) << (bits - 1)) - 1;
        *min = -(int64_t)*max - 1;
    } else {
        *min = 0;
        *max = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
    }
}

/* Store @v (already in range) in @size bytes, the state's representation. */
static void store_int(void *dst, size_t size, uint64_t v)
{
    uint8_t b8 = (uint8_t)v;
    uint16_t b16 = (uint16_t)v;
    uint32_t b32 = (uint32_t)v;
    memcpy(dst,
           size == 1   ? (void *)&b8
           : size == 2 ? (void *)&b16
           : size == 4 ? (void *)&b32
                       : &v,
           size);
}

/* The value at @src as uint64 bits, sign-extended for signed kinds. */
static uint64_t load_int(unsigned kind, const void *src)
{
    switch (kind) {
    case PLC_ST_SINT: {
        int8_t v;
        memcpy(&v, src, 1);
        return (uint64_t)(int64_t)v;
    }
    case PLC_ST_INT: {
        int16_t v;
        memcpy(&v, src, 2);
        return (uint64_t)(int64_t)v;
    }
    case PLC_ST_DINT:
    case PLC_ST_ENUM: {
        int32_t v;
        memcpy(&v, src, 4);
        return (uint64_t)(int64_t)v;
    }
    case PLC_ST_USINT:
    case PLC_ST_BYTE:
    case PLC_ST_BOOL: {
        uint8_t v;
        memcpy(&v, src, 1);
        return v;
    }
    case PLC_ST_UINT:
    case PLC_ST_WORD: {
        uint16_t v;
        memcpy(&v, src, 2);
        return v;
    }
    case PLC_ST_UDINT:
    case PLC_ST_DWORD: {
        uint32_t v;
        memcpy(&v, src, 4);
        return v;
    }
    default: {
        uint64_t v;
        memcpy(&v, src, 8);
        return v;
    }
    }
}

static double load_real(unsigned kind, const void *src)
{
    if (kind == PLC_ST_REAL) {
        float f;
        memcpy(&f, src, sizeof(f));
        return f;
    }
    double d;
    memcpy(&d, src, sizeof(d));
    return d;
}

/* ---- any value --------------------------------------------------------- */

static int parse_enum(const struct plc_st_var *var, const char *text, void *dst, char *why,
                      size_t why_size)
{
    const struct plc_st_enum *e = var->enum_type;
    const char *p = text;
    /* COLOR#RED as well as RED */
    const char *hash = strchr(p, '#');
    if (hash && e->name && (size_t)(hash - p) == strlen(e->name) &&
        strncasecmp(p, e->name, (size_t)(hash - p)) == 0)
        p = hash + 1;
    for (uint32_t i = 0; i < e->count; i++)
        if (strcasecmp(p, e->value_names[i]) == 0) {
            memcpy(dst, &e->values[i], sizeof(int32_t));
            return 0;
        }
    size_t n = (size_t)snprintf(why, why_size, "%s takes ", e->name ? e->name : "the enum");
    for (uint32_t i = 0; i < e->count && n < why_size; i++)
        n += (size_t)snprintf(why + n, why_size - n, "%s%s", i ? ", " : "", e->value_names[i]);
    return -1;
}

int plc_st_value_parse(const struct plc_st_var *var, const char *text, bool exact, void *dst,
                       char *why, size_t why_size)
{
    unsigned kind = var->kind;
    switch (kind) {
    case PLC_ST_BOOL: {
        bool t = !strcasecmp(text, "true") || !strcmp(text, "1");
        if (!t && strcasecmp(text, "false") != 0 && strcmp(text, "0") != 0) {
            snprintf(why, why_size, "BOOL takes true, false, 1 or 0");
            return -1;
        }
        uint8_t b = t;
        memcpy(dst, &b, 1);
        return 0;
    }
    case PLC_ST_REAL:
    case PLC_ST_LREAL: {
        double v;
        if (parse_real(text, kind == PLC_ST_REAL, &v) < 0) {
            snprintf(why, why_size, "%s takes a number, NaN, Inf or -Inf", kinds[kind].name);
            return -1;
        }
        if (kind == PLC_ST_REAL) {
            float f = (float)v;
            memcpy(dst, &f, sizeof(f));
        } else {
            memcpy(dst, &v, sizeof(v));
        }
        return 0;
    }
    case PLC_ST_TIME: {
        int64_t ns;
        if (plc_st_time_parse(text, &ns) < 0) {
            snprintf(why, why_size, "TIME takes T#1h2m3s4ms, 100ms or nanoseconds");
            return -1;
        }
        memcpy(dst, &ns, sizeof(ns));
        return 0;
    }
    case PLC_ST_DATE:
    case PLC_ST_TOD:
    case PLC_ST_DT: {
        int64_t ns;
        if (plc_date_parse(date_kind(kind), text, strlen(text), &ns) < 0) {
            snprintf(why, why_size, "%s takes a literal: D#2024-01-31, TOD#12:30:15.5, "
                     "DT#2024-01-31-12:30:15 (the prefix optional)", kinds[kind].name);
            return -1;
        }
        memcpy(dst, &ns, sizeof(ns));
        return 0;
    }
    case PLC_ST_STRING: {
        size_t n = strlen(text);
        if (n > var->size - 1u) {
            if (exact) {
                snprintf(why, why_size, "longer than STRING[%u]", var->size - 1u);
                return -1;
            }
            n = var->size - 1u; /* as ST's := does */
        }
        memset(dst, 0, var->size);
        memcpy(dst, text, n);
        return 0;
    }
    case PLC_ST_ENUM:
        return parse_enum(var, text, dst, why, why_size);
    default: {
        int64_t min;
        uint64_t max, mag;
        bool neg;
        int_range(kind, &min, &max);
        if (parse_integer(text, &neg, &mag) < 0 || (!neg && mag > max) ||
            (neg && mag > 0 - (uint64_t)min)) {
            snprintf(why, why_size, "%s takes integers %" PRId64 "..%" PRIu64, kinds[kind].name,
                     min, max);
            return -1;
        }
        store_int(dst, var->size, neg ? 0 - mag : mag);
        return 0;
    }
    }
}

struct json_object *plc_st_value_to_json(const struct plc_st_var *var, const void *src)
{
    char buf[PLC_ST_VALUE_TEXT];
    unsigned kind = var->kind;
    switch (kind) {
    case PLC_ST_BOOL:
        return json_object_new_boolean(load_int(kind, src) != 0);
    case PLC_ST_REAL:
    case PLC_ST_LREAL: {
        double v = load_real(kind, src);
        plc_st_real_format(v, kind == PLC_ST_REAL, buf, sizeof(buf));
        if (!isfinite(v))
            return json_object_new_string(buf);
        /* _s: json-c prints our text, not its own %.17g */
        return json_object_new_double_s(v, buf);
    }
    case PLC_ST_TIME: {
        int64_t ns;
        memcpy(&ns, src, sizeof(ns));
        plc_st_time_format(ns, buf, sizeof(buf));
        return json_object_new_string(buf);
    }
    case PLC_ST_DATE:
    case PLC_ST_TOD:
    case PLC_ST_DT: {
        int64_t ns;
        memcpy(&ns, src, sizeof(ns));
        plc_date_format(date_kind(kind), ns, buf, sizeof(buf));
        return json_object_new_string(buf);
    }
    case PLC_ST_STRING:
        return json_object_new_string_len(src, (int)strnlen(src, var->size));
    case PLC_ST_ENUM: {
        int32_t v = (int32_t)load_int(kind, src);
        for (uint32_t i = 0; i < var->enum_type->count; i++)
            if (var->enum_type->values[i] == v)
                return json_object_new_string(var->enum_type->value_names[i]);
        return json_object_new_int64(v); /* not one of its values: say which number */
    }
    default: {
        uint64_t v = load_int(kind, src);
        return is_signed(kind) ? json_object_new_int64((int64_t)v) : json_object_new_uint64(v);
    }
    }
}

bool plc_st_value_equal(const struct plc_st_var *var, const void *a, const void *b)
{
    switch (var->kind) {
    case PLC_ST_BOOL:
        return (load_int(var->kind, a) != 0) == (load_int(var->kind, b) != 0);
    case PLC_ST_REAL:
    case PLC_ST_LREAL: {
        double x = load_real(var->kind, a), y = load_real(var->kind, b);
        return x == y || (isnan(x) && isnan(y));
    }
    case PLC_ST_STRING:
        return strncmp(a, b, var->size) == 0;
    default:
        return load_int(var->kind, a) == load_int(var->kind, b);
    }
}
