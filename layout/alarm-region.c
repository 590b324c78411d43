/* SPDX-License-Identifier: MIT */
/*
 * The alarm region's tags, made from the alarms (docs/alarms.md): the
 * counts, the acknowledgement counter the logic acted on, and each alarm's
 * active and unacknowledged bits. Made tags are ordinary tags from here on:
 * the header, the Modbus map, plcctl and the hash see them as any other, so
 * an alarm is still one fact in one place (its tag's section).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

struct maker {
    struct parse *p;
    const struct plc_layout *l;
    struct plc_region_def *region;
    struct plc_tag_def *tags;
    size_t *ntags;
};

/* Bind @t at @index places after @base, if [modbus] gives a base. */
static void bind(struct maker *m, struct plc_tag_def *t, const struct plc_alarm_modbus *base,
                 unsigned index, const char *key)
{
    if (!base->table)
        return;
    unsigned addr = base->address + index;
    t->modbus.table = base->table;
    t->modbus.count = t->size <= 2 ? 1 : (unsigned)t->size / 2;
    t->modbus.word_order = t->modbus.count > 1 ? plc_layout_get_modbus(m->l)->default_word_order
                                        : PLC_WORD_ORDER_ABCD;
    if (addr + t->modbus.count > 65536) {
        layout_fail(m->p, base->line,
                    "[modbus]: %s %s:%u has no room for tag '%s' of the alarm region: it would "
                    "run past address 65535",
                    key, plc_modbus_table_name(base->table), base->address, t->name);
        return;
    }
    t->modbus.address = (uint16_t)addr;
}

static struct plc_tag_def *make(struct maker *m, unsigned line, enum plc_type type,
                                const char *description, const char *fmt, const char *arg)
{
    struct plc_tag_def *t = &m->tags[(*m->ntags)++];
    memset(t, 0, sizeof(*t));
    char name[PLC_TAG_NAME_MAX + 16];
    snprintf(name, sizeof(name), fmt, arg);
    const char *why = layout_name_problem(name, PLC_TAG_NAME_MAX);
    const struct plc_tag_def *same = plc_layout_find_tag(m->l, name);
    if (why)
        layout_fail(m->p, line, "alarm region '%s': tag name '%s' %s; shorten the tag the "
                    "alarm watches", m->region->name, name, why);
    else if (same && same != t)
        layout_fail(m->p, same->line, "tag '%s': the alarm region '%s' makes a tag of that "
                    "name (docs/alarms.md)", name, m->region->name);
    snprintf(t->name, sizeof(t->name), "%.*s", (int)sizeof(t->name) - 1, name);
    t->region = m->region;
    t->type = type;
    t->size = plc_type_size(type);
    plc_value_range(type, &t->min_v, &t->max_v);
    t->max = plc_value_to_double(type, &t->max_v);
    t->safe_mode = PLC_SAFE_VALUE;
    snprintf(t->description, sizeof(t->description), "%s", description);
    t->line = line;
    return t;
}

void layout_make_alarm_tags(struct parse *p, const struct plc_layout *l,
                            struct plc_region_def *region, struct plc_tag_def *tags,
                            size_t *ntags)
{
    struct maker m = {p, l, region, tags, ntags};
    const struct plc_modbus_config *mb = plc_layout_get_modbus(l);
    const struct plc_logic_def *logic = plc_layout_get_logic(l);
    if (region->tag_count) {
        const struct plc_tag_def *t = &tags[region->first_tag];
        layout_fail(p, t->line, "tag '%s': region '%s' holds the alarms' state, whose tags are "
                    "made from the alarms; declare no tag in it (docs/alarms.md)",
                    t->name, region->name);
        return;
    }
    region->first_tag = *ntags;
    unsigned line = region->line;
    /* In the order of enum plc_alarm_region_tag, which readers find them by. */
    bind(&m, make(&m, line, PLC_TYPE_UINT16, "Alarms active (acknowledged or not)", "%s",
                  "alarms_active"),
         &mb->alarm_registers, PLC_ALARM_TAG_ACTIVE_COUNT, "alarm_registers");
    bind(&m, make(&m, line, PLC_TYPE_UINT16, "Alarms not acknowledged (active or returned)",
                  "%s", "alarms_unacked"),
         &mb->alarm_registers, PLC_ALARM_TAG_UNACKED_COUNT, "alarm_registers");
    enum plc_type ack = logic->alarm_ack ? logic->alarm_ack->type : PLC_TYPE_UINT16;
    bind(&m, make(&m, line, ack, "Last alarm_ack request counter the logic acted on", "%s",
                  "alarm_ack_done"),
         &mb->alarm_registers, PLC_ALARM_TAG_ACK_DONE, "alarm_registers");

    for (size_t i = 0; i < plc_layout_alarm_count(l); i++) {
        const struct plc_alarm_def *a = plc_layout_alarm_at(l, i);
        char base[PLC_ALARM_NAME_MAX + 1], what[PLC_ALARM_MESSAGE_MAX + 32];
        snprintf(base, sizeof(base), "%s", a->name);
        char *dot = strchr(base, '.');
        if (dot)
            *dot = '_';
        snprintf(what, sizeof(what), "%s: active", a->message);
        bind(&m, make(&m, a->line, PLC_TYPE_BOOL, what, "%s_active", base), &mb->alarm_bits,
             (unsigned)(2 * i), "alarm_bits");
        snprintf(what, sizeof(what), "%s: not acknowledged", a->message);
        bind(&m, make(&m, a->line, PLC_TYPE_BOOL, what, "%s_unacked", base), &mb->alarm_bits,
             (unsigned)(2 * i + 1), "alarm_bits");
    }
    region->tag_count = *ntags - region->first_tag;
}

/* The alarm region's tag @k places after its first, or NULL. */
static const struct plc_tag_def *region_tag(const struct plc_layout *l, size_t k)
{
    const struct plc_region_def *r = plc_layout_get_logic(l)->alarms;
    return r && k < r->tag_count ? plc_layout_tag_at(l, r->first_tag + k) : NULL;
}

const struct plc_tag_def *plc_layout_alarm_region_tag(const struct plc_layout *l,
                                                      enum plc_alarm_region_tag k)
{
    return region_tag(l, (size_t)k);
}

const struct plc_tag_def *plc_layout_alarm_bit(const struct plc_layout *l, size_t i, bool unacked)
{
    if (i >= plc_layout_alarm_count(l))
        return NULL;
    return region_tag(l, PLC_ALARM_TAG_FIRST_BIT + 2 * i + unacked);
}
