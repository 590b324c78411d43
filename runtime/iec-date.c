/* SPDX-License-Identifier: MIT */
/* DATE, TIME_OF_DAY and DATE_AND_TIME: the civil calendar over int64 ns. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "plc-date.h"

#define SEC_NS 1000000000LL

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): exact for any year, negative before 1970. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int plc_date_from_ymd(int64_t year, unsigned month, unsigned day, int64_t *ns)
{
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month < 1 || month > 12 || day < 1 ||
        day > mdays[month - 1] + (month == 2 && leap(year))) {
        errno = EINVAL;
        return -1;
    }
    if (year < PLC_DATE_YEAR_MIN || year > PLC_DATE_YEAR_MAX) {
        errno = ERANGE;
        return -1;
    }
    *ns = days_from_civil(year, month, day) * PLC_DATE_DAY_NS;
    return 0;
}

int plc_tod_from_hms(unsigned hour, unsigned minute, unsigned second, uint32_t frac_ns,
                     int64_t *ns)
{
    if (hour > 23 || minute > 59 || second > 59 || frac_ns >= SEC_NS) {
        errno = EINVAL;
        return -1;
    }
    *ns = ((int64_t)hour * 3600 + minute * 60 + second) * SEC_NS + frac_ns;
    return 0;
}

/* floor division and its non-negative remainder */
static int64_t floor_div(int64_t a, int64_t b, int64_t *rem)
{
    int64_t q = a / b, r = a % b;
    if (r < 0) {
        q--;
        r += b;
    }
    *rem = r;
    return q;
}

void plc_date_split(int64_t ns, struct plc_date_fields *out)
{
    int64_t tod;
    int64_t days = floor_div(ns, PLC_DATE_DAY_NS, &tod);
    civil_from_days(days, &out->year, &out->month, &out->day);
    int64_t s = tod / SEC_NS;
    out->ns = (uint32_t)(tod % SEC_NS);
    out->hour = (unsigned)(s / 3600);
    out->minute = (unsigned)(s / 60 % 60);
    out->second = (unsigned)(s % 60);
}

int64_t plc_tod_wrap(int64_t ns)
{
    int64_t r;
    floor_div(ns, PLC_DATE_DAY_NS, &r);
    return r;
}

int64_t plc_dt_to_date(int64_t dt)
{
    return dt - plc_tod_wrap(dt);
}

int64_t plc_dt_to_tod(int64_t dt)
{
    return plc_tod_wrap(dt);
}

/* ---- text ------------------------------------------------------------------------- */

struct cursor {
    const char *p, *end;
};

/* One to @p max digits into @p v; false if none. */
static bool digits(struct cursor *c, unsigned max, int64_t *v)
{
    unsigned n = 0;
    *v = 0;
    while (c->p < c->end && isdigit((unsigned char)*c->p) && n < max) {
        *v = *v * 10 + (*c->p++ - '0');
        n++;
    }
    return n > 0;
}

static bool take(struct cursor *c, char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static bool prefix(struct cursor *c, const char *const *names)
{
    for (; *names; names++) {
        size_t n = strlen(*names);
        if ((size_t)(c->end - c->p) >= n && strncasecmp(c->p, *names, n) == 0) {
            c->p += n;
            return true;
        }
    }
    return false;
}

static int read_date(struct cursor *c, int64_t *ns)
{
    int64_t y, m, d;
    /* a year of up to 9 digits reads as out of range, not as malformed */
    if (!digits(c, 9, &y) || !take(c, '-') || !digits(c, 2, &m) || !take(c, '-') ||
        !digits(c, 2, &d)) {
        errno = EINVAL;
        return -1;
    }
    return plc_date_from_ymd(y, (unsigned)m, (unsigned)d, ns);
}

static int read_tod(struct cursor *c, int64_t *ns)
{
    int64_t h, m, s, frac = 0;
    if (!digits(c, 2, &h) || !take(c, ':') || !digits(c, 2, &m) || !take(c, ':') ||
        !digits(c, 2, &s)) {
        errno = EINVAL;
        return -1;
    }
    if (take(c, '.')) {
        unsigned n = 0;
        if (c->p >= c->end || !isdigit((unsigned char)*c->p)) {
            errno = EINVAL;
            return -1;
        }
        /* nanoseconds: digits past the ninth must be zeros (nothing is rounded) */
        for (; c->p < c->end && isdigit((unsigned char)*c->p); c->p++, n++) {
            if (n < 9)
                frac = frac * 10 + (*c->p - '0');
            else if (*c->p != '0') {
                errno = EINVAL;
                return -1;
            }
        }
        for (; n < 9; n++)
            frac *= 10;
    }
    return plc_tod_from_hms((unsigned)h, (unsigned)m, (unsigned)s, (uint32_t)frac, ns);
}

int plc_date_parse(enum plc_date_kind kind, const char *text, size_t len, int64_t *ns)
{
    static const char *const date_pfx[] = {"DATE#", "D#", NULL};
    static const char *const tod_pfx[] = {"TIME_OF_DAY#", "TOD#", NULL};
    static const char *const dt_pfx[] = {"DATE_AND_TIME#", "DT#", NULL};
    struct cursor c = {text, text + len};
    int64_t d = 0, t = 0;
    int r;
    switch (kind) {
    case PLC_DATE_DATE:
        prefix(&c, date_pfx);
        r = read_date(&c, &d);
        break;
    case PLC_DATE_TOD:
        prefix(&c, tod_pfx);
        r = read_tod(&c, &t);
        break;
    case PLC_DATE_DT:
        prefix(&c, dt_pfx);
        r = read_date(&c, &d);
        if (r == 0 && !take(&c, '-')) {
            errno = EINVAL;
            r = -1;
        }
        if (r == 0)
            r = read_tod(&c, &t);
        break;
    default:
        errno = EINVAL;
        return -1;
    }
    if (r < 0)
        return -1;
    if (c.p != c.end) {
        errno = EINVAL;
        return -1;
    }
    *ns = d + t;
    return 0;
}

int plc_date_format(enum plc_date_kind kind, int64_t ns, char *buf, size_t size)
{
    struct plc_date_fields f;
    plc_date_split(kind == PLC_DATE_TOD ? plc_tod_wrap(ns) : ns, &f);
    char frac[12] = "";
    if (f.ns) {
        snprintf(frac, sizeof(frac), ".%09" PRIu32, f.ns);
        for (size_t n = strlen(frac); frac[n - 1] == '0'; n--)
            frac[n - 1] = '\0';
    }
    switch (kind) {
    case PLC_DATE_DATE:
        return snprintf(buf, size, "D#%04" PRId64 "-%02u-%02u", f.year, f.month, f.day);
    case PLC_DATE_TOD:
        return snprintf(buf, size, "TOD#%02u:%02u:%02u%s", f.hour, f.minute, f.second, frac);
    default:
        return snprintf(buf, size, "DT#%04" PRId64 "-%02u-%02u-%02u:%02u:%02u%s", f.year,
                        f.month, f.day, f.hour, f.minute, f.second, frac);
    }
}
