/* SPDX-License-Identifier: MIT */
/*
 * The alarm keys of a [tag NAME] section (docs/alarms.md): the limits of a
 * numeric tag (alarm_hh, alarm_h, alarm_l, alarm_ll, each a number or a
 * parameter tag), the alarm of a bool tag (alarm = on | off | rising |
 * falling), and what all alarms share (deadband, delay, severity, message,
 * latch, shelve_max); with the alarm getters of the layout.
 *
 * An alarm is declared next to the tag it watches, so it is one fact in one
 * place; tag.c hands each tag section here once the tag's type is known.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const kind_names[] = {
    [PLC_ALARM_HH] = "hh",         [PLC_ALARM_H] = "h",
    [PLC_ALARM_L] = "l",           [PLC_ALARM_LL] = "ll",
    [PLC_ALARM_ON] = "on",         [PLC_ALARM_OFF] = "off",
    [PLC_ALARM_RISING] = "rising", [PLC_ALARM_FALLING] = "falling",
};
/* What a default message calls each kind. */
static const char *const kind_words[] = {
    [PLC_ALARM_HH] = "high-high",  [PLC_ALARM_H] = "high",          [PLC_ALARM_L] = "low",
    [PLC_ALARM_LL] = "low-low",    [PLC_ALARM_ON] = "on",           [PLC_ALARM_OFF] = "off",
    [PLC_ALARM_RISING] = "rising", [PLC_ALARM_FALLING] = "falling",
};
static const char *const severity_names[] = {
    [PLC_ALARM_CRITICAL] = "critical",
    [PLC_ALARM_HIGH] = "high",
    [PLC_ALARM_MEDIUM] = "medium",
    [PLC_ALARM_LOW] = "low",
};
/* The limit keys, lowest first, so their order is the order they must hold. */
static const struct {
    const char *key;
    enum plc_alarm_kind kind;
} limit_keys[] = {
    {"alarm_ll", PLC_ALARM_LL},
    {"alarm_l", PLC_ALARM_L},
    {"alarm_h", PLC_ALARM_H},
    {"alarm_hh", PLC_ALARM_HH},
};
#define NLIMITS (sizeof(limit_keys) / sizeof(limit_keys[0]))

const char *plc_alarm_kind_name(enum plc_alarm_kind k)
{
    return k >= PLC_ALARM_HH && k <= PLC_ALARM_FALLING ? kind_names[k] : NULL;
}

const char *plc_alarm_severity_name(enum plc_alarm_severity s)
{
    return s >= PLC_ALARM_CRITICAL && s <= PLC_ALARM_LOW ? severity_names[s] : NULL;
}

/* critical is LOG_CRIT (2), high LOG_ERR (3), medium LOG_WARNING (4), low LOG_NOTICE (5). */
int plc_alarm_severity_syslog(enum plc_alarm_severity s)
{
    return plc_alarm_severity_name(s) ? 1 + (int)s : -1;
}

/* What every alarm of a tag shares. */
struct common {
    double deadband;
    uint32_t delay_us;
    enum plc_alarm_severity severity;
    bool latch;
    uint32_t shelve_max_s;
    const char *message; /* NULL: the default */
};

static bool parse_number(const char *s, double *out)
{
    char *end;
    if (!*s || isspace((unsigned char)*s))
        return false;
    errno = 0;
    double v = strtod(s, &end);
    if (*end || errno || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* A duration of s, min or h, in whole seconds: shelving is counted in those,
 * past what plc_duration_parse() holds. */
static void load_shelve_max(struct parse *p, struct section *s, const struct entry *e,
                            uint32_t *out)
{
    char *end;
    unsigned long long v = 0, mul = 0;
    if (isdigit((unsigned char)e->value[0])) {
        errno = 0;
        v = strtoull(e->value, &end, 10);
        mul = strcmp(end, "s") == 0     ? 1
              : strcmp(end, "min") == 0 ? 60
              : strcmp(end, "h") == 0   ? 3600
                                        : 0;
    }
    if (!mul)
        layout_fail(p, e->line, "%s: alarm_shelve_max '%s' is not a duration (900s, 30min, 8h)",
                    s->what, e->value);
    else if (errno || v == 0 || v > PLC_ALARM_SHELVE_MAX_MAX_S / mul)
        layout_fail(p, e->line, "%s: alarm_shelve_max %s is outside 1s..%uh", s->what, e->value,
                    PLC_ALARM_SHELVE_MAX_MAX_S / 3600u);
    else
        *out = (uint32_t)(v * mul);
}

static void load_common(struct parse *p, struct section *s, const struct plc_tag_def *t, bool edge,
                        struct common *c)
{
    struct entry *e;
    c->severity = PLC_ALARM_MEDIUM;
    c->shelve_max_s = PLC_ALARM_SHELVE_MAX_DEFAULT_S;
    if ((e = layout_take(s, "alarm_deadband"))) {
        if (t->type == PLC_TYPE_BOOL)
            layout_fail(p, e->line, "%s: alarm_deadband applies to numeric tags, not bool",
                        s->what);
        else if (!parse_number(e->value, &c->deadband) || c->deadband < 0)
            layout_fail(p, e->line, "%s: alarm_deadband '%s' is not a number >= 0", s->what,
                        e->value);
    }
    if ((e = layout_take(s, "alarm_delay"))) {
        char what[sizeof(s->what) + 16];
        snprintf(what, sizeof(what), "%s: alarm_delay", s->what);
        if (edge)
            layout_fail(p, e->line, "%s: alarm_delay does not apply to an edge alarm", s->what);
        else
            layout_parse_duration(p, e, what, 0, PLC_ALARM_DELAY_MAX_US, &c->delay_us);
    }
    if ((e = layout_take(s, "alarm_severity")) && !(c->severity = LOOKUP(severity_names, e->value)))
        layout_fail(p, e->line, "%s: alarm_severity '%s' is not critical, high, medium or low",
                    s->what, e->value);
    if ((e = layout_take(s, "alarm_message"))) {
        if (strlen(e->value) > PLC_ALARM_MESSAGE_MAX)
            layout_fail(p, e->line, "%s: alarm_message is longer than %d characters", s->what,
                        PLC_ALARM_MESSAGE_MAX);
        c->message = e->value;
    }
    if ((e = layout_take(s, "alarm_latch")) && !layout_parse_yesno(e->value, &c->latch))
        layout_fail(p, e->line, "%s: alarm_latch '%s' is not yes or no", s->what, e->value);
    if ((e = layout_take(s, "alarm_shelve_max")))
        load_shelve_max(p, s, e, &c->shelve_max_s);
}

/* The tag a limit names: a numeric tag in a region modbus writes, so SCADA
 * can set it. Looked up among the sections, since it may come later. */
static const struct plc_tag_def *limit_tag(struct parse *p, struct section *s,
                                           const struct plc_layout *l, const struct entry *e)
{
    for (size_t i = 0; i < p->nsec; i++) {
        struct section *o = &p->sec[i];
        if (o->kind != SEC_TAG || strcmp(o->name, e->value) != 0)
            continue;
        struct entry *re = layout_take(o, "region"), *te = layout_take(o, "type");
        const struct plc_region_def *r = re ? plc_layout_find_region(l, re->value) : NULL;
        enum plc_type type = te ? plc_type_from_name(te->value) : PLC_TYPE_ERROR;
        if (r && strcmp(r->writer, "modbus") != 0)
            layout_fail(p, e->line,
                        "%s: %s tag '%s' is in region '%s', written by %s; a limit tag is a "
                        "parameter in a region written by modbus",
                        s->what, e->key, e->value, r->name, r->writer);
        else if (type == PLC_TYPE_BOOL)
            layout_fail(p, e->line, "%s: %s tag '%s' is a bool; a limit tag is numeric", s->what,
                        e->key, e->value);
        else if (plc_type_is_wide_int(type))
            layout_fail(p, e->line, "%s: %s tag '%s' is %s; a limit tag has a type a double "
                        "holds exactly (not int64 or uint64)", s->what, e->key, e->value,
                        plc_type_name(type));
        return o->slot ? plc_layout_tag_at(l, o->slot - 1) : NULL;
    }
    layout_fail(p, e->line, "%s: %s '%s' is neither a number nor a declared tag", s->what, e->key,
                e->value);
    return NULL;
}

static struct plc_alarm_def *add(struct parse *p, struct alarm_list *out,
                                 const struct plc_tag_def *t, enum plc_alarm_kind kind,
                                 const struct entry *e, const struct common *c)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 16;
        struct plc_alarm_def *a = realloc(out->a, cap * sizeof(*a));
        if (!a) {
            p->oom = true;
            layout_fail(p, e->line, "out of memory");
            return NULL;
        }
        out->a = a;
        out->cap = cap;
    }
    struct plc_alarm_def *a = &out->a[out->n++];
    memset(a, 0, sizeof(*a));
    if (kind <= PLC_ALARM_LL)
        snprintf(a->name, sizeof(a->name), "%s.%s", t->name, kind_names[kind]);
    else
        snprintf(a->name, sizeof(a->name), "%s", t->name);
    a->tag = t;
    a->kind = kind;
    a->deadband = c->deadband;
    a->delay_us = c->delay_us;
    a->severity = c->severity;
    a->latch = c->latch;
    a->shelve_max_s = c->shelve_max_s;
    if (c->message)
        snprintf(a->message, sizeof(a->message), "%s", c->message);
    else
        snprintf(a->message, sizeof(a->message), "%s %s", t->name, kind_words[kind]);
    a->line = e->line;
    return a;
}

/* The four limits, each an alarm, checked for order among those given as numbers. */
static void load_limits(struct parse *p, struct section *s, const struct plc_layout *l,
                        const struct plc_tag_def *t, const struct common *c, struct alarm_list *out)
{
    const struct entry *prev = NULL;
    double prev_v = 0;
    for (size_t i = 0; i < NLIMITS; i++) {
        struct entry *e = layout_take(s, limit_keys[i].key);
        struct plc_alarm_def *a;
        if (!e || !(a = add(p, out, t, limit_keys[i].kind, e, c)))
            continue;
        if (!parse_number(e->value, &a->limit)) {
            a->limit_tag = limit_tag(p, s, l, e);
            continue;
        }
        if (prev && !(prev_v < a->limit))
            layout_fail(p, e->line, "%s: %s %s is not above %s %s (limits go ll < l < h < hh)",
                        s->what, e->key, e->value, prev->key, prev->value);
        prev = e;
        prev_v = a->limit;
    }
}

void layout_load_alarms(struct parse *p, struct section *s, const struct plc_layout *l,
                        const struct plc_tag_def *t, struct alarm_list *out)
{
    static const char *const bool_kinds[] = {[PLC_ALARM_ON] = "on",
                                             [PLC_ALARM_OFF] = "off",
                                             [PLC_ALARM_RISING] = "rising",
                                             [PLC_ALARM_FALLING] = "falling"};
    struct entry *b = layout_take(s, "alarm"), *lim = NULL;
    for (size_t i = 0; i < NLIMITS && !lim; i++)
        lim = layout_take(s, limit_keys[i].key);
    enum plc_alarm_kind kind = 0;

    if (b && t->type != PLC_TYPE_BOOL)
        layout_fail(p, b->line,
                    "%s: alarm applies to bool tags, not %s (give alarm_hh, alarm_h, alarm_l "
                    "or alarm_ll)",
                    s->what, plc_type_name(t->type));
    else if (b && !(kind = LOOKUP(bool_kinds, b->value)))
        layout_fail(p, b->line, "%s: alarm '%s' is not on, off, rising or falling", s->what,
                    b->value);
    if (lim && t->type == PLC_TYPE_BOOL)
        layout_fail(p, lim->line,
                    "%s: %s applies to numeric tags, not bool (give alarm = on, "
                    "off, rising or falling)",
                    s->what, lim->key);
    else if (lim && plc_type_is_wide_int(t->type))
        layout_fail(p, lim->line,
                    "%s: %s does not apply to %s tags: alarms compare in doubles, which do "
                    "not hold every 64-bit integer (use int32, uint32 or float64)",
                    s->what, lim->key, plc_type_name(t->type));
    if (!b && !lim) {
        static const char *const shared[] = {"alarm_deadband", "alarm_delay", "alarm_severity",
                                             "alarm_message",  "alarm_latch", "alarm_shelve_max"};
        struct entry *e;
        for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++)
            if ((e = layout_take(s, shared[i])))
                layout_fail(p, e->line,
                            "%s: '%s' given without an alarm (alarm_hh, alarm_h, alarm_l, "
                            "alarm_ll or alarm)",
                            s->what, e->key);
        return;
    }
    struct common c = {0};
    load_common(p, s, t, kind == PLC_ALARM_RISING || kind == PLC_ALARM_FALLING, &c);
    if (p->failed)
        return;
    if (b)
        add(p, out, t, kind, b, &c);
    else
        load_limits(p, s, l, t, &c, out);
}
