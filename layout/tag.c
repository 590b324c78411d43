/* SPDX-License-Identifier: MIT */
/*
 * The [tag NAME] sections: type, range, initial, safe and retain values, the
 * GPIO and Modbus bindings, the IEC located address (the alarm keys:
 * alarm.c), and the check that no two tags share a binding or an address;
 * with the names of the binding enums (plc_modbus_table_name() and kin).
 *
 * Most of a layout's lines are tags, and most of its rules are about them.
 * layout.c loads each tag once the regions and [modbus] are loaded, in file
 * order so that the error reported is the first in the file, and checks the
 * bindings once all tags are loaded.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static const char *const table_names[] = {
    [PLC_MODBUS_COIL] = "coil",
    [PLC_MODBUS_DISCRETE_INPUT] = "discrete_input",
    [PLC_MODBUS_INPUT_REGISTER] = "input_register",
    [PLC_MODBUS_HOLDING_REGISTER] = "holding_register",
};
static const char *const order_names[] = {
    [PLC_WORD_ORDER_ABCD] = "ABCD",
    [PLC_WORD_ORDER_CDAB] = "CDAB",
    [PLC_WORD_ORDER_BADC] = "BADC",
    [PLC_WORD_ORDER_DCBA] = "DCBA",
};
static const char *const bias_names[] = {
    [PLC_GPIO_BIAS_AS_IS] = "as-is",
    [PLC_GPIO_BIAS_DISABLED] = "disabled",
    [PLC_GPIO_BIAS_PULL_UP] = "pull-up",
    [PLC_GPIO_BIAS_PULL_DOWN] = "pull-down",
};
static const char *const drive_names[] = {
    [PLC_GPIO_DRIVE_PUSH_PULL] = "push-pull",
    [PLC_GPIO_DRIVE_OPEN_DRAIN] = "open-drain",
    [PLC_GPIO_DRIVE_OPEN_SOURCE] = "open-source",
};

enum plc_word_order layout_word_order_from_name(const char *s)
{
    return (enum plc_word_order)LOOKUP(order_names, s);
}

const char *plc_modbus_table_name(enum plc_modbus_table t)
{
    return t >= PLC_MODBUS_COIL && t <= PLC_MODBUS_HOLDING_REGISTER ? table_names[t] : NULL;
}

const char *plc_word_order_name(enum plc_word_order o)
{
    return o >= PLC_WORD_ORDER_ABCD && o <= PLC_WORD_ORDER_DCBA ? order_names[o] : NULL;
}

const char *plc_gpio_bias_name(enum plc_gpio_bias b)
{
    return b >= PLC_GPIO_BIAS_AS_IS && b <= PLC_GPIO_BIAS_PULL_DOWN ? bias_names[b] : NULL;
}

const char *plc_gpio_drive_name(enum plc_gpio_drive d)
{
    return d >= PLC_GPIO_DRIVE_PUSH_PULL && d <= PLC_GPIO_DRIVE_OPEN_SOURCE ? drive_names[d]
                                                                            : NULL;
}

/* A value key of a tag, parsed with the tag's type. */
static bool tag_value(struct parse *p, struct section *s, struct entry *e,
                      const struct plc_tag_def *t, struct plc_value *out)
{
    if (plc_value_parse(t->type, e->value, out) == 0)
        return true;
    if (errno == ERANGE)
        layout_fail(p, e->line, "%s: %s %s is outside the range of %s", s->what, e->key,
                    e->value, plc_type_name(t->type));
    else
        layout_fail(p, e->line, "%s: %s '%s' is not a valid %s value", s->what, e->key,
                    e->value, plc_type_name(t->type));
    return false;
}

static void load_gpio(struct parse *p, struct section *s, struct plc_tag_def *t)
{
    struct plc_gpio_binding *g = &t->gpio;
    struct entry *line = layout_take(s, "gpio");
    static const char *const keys[] = {"gpio_active_low", "gpio_bias", "gpio_drive",
                                       "gpio_debounce"};
    struct entry *e;

    g->bias = PLC_GPIO_BIAS_AS_IS;
    g->drive = PLC_GPIO_DRIVE_PUSH_PULL;
    g->offset = -1;
    if (!line) {
        for (size_t i = 0; i < 4; i++)
            if ((e = layout_take(s, keys[i])))
                layout_fail(p, e->line, "%s: '%s' given without a 'gpio' line", s->what,
                            e->key);
        return;
    }
    g->bound = true;
    enum plc_gpio_dir dir = t->region ? t->region->gpio_dir : PLC_GPIO_NONE;
    if (t->region && dir == PLC_GPIO_NONE)
        layout_fail(p, line->line,
                    "%s: GPIO binding in region '%s', which is neither an input region "
                    "(writer io) nor 'outputs'",
                    s->what, t->region->name);
    if (t->type != PLC_TYPE_BOOL)
        layout_fail(p, line->line, "%s: a GPIO line carries a bool, not %s", s->what,
                    plc_type_name(t->type));

    char *colon = strchr(line->value, ':');
    if (colon) {
        unsigned long long off;
        size_t chiplen = (size_t)(colon - line->value);
        if (chiplen == 0 || chiplen >= sizeof(g->chip) || !layout_parse_uint(colon + 1, 1023, &off))
            layout_fail(p, line->line,
                        "%s: gpio '%s' is not CHIP:OFFSET (gpiochip0:17) or a line name "
                        "(GPIO17)",
                        s->what, line->value);
        else {
            snprintf(g->chip, sizeof(g->chip), "%.*s", (int)chiplen, line->value);
            g->offset = (int)off;
        }
    } else if (!*line->value || strlen(line->value) >= sizeof(g->line_name) ||
               strpbrk(line->value, " \t")) {
        layout_fail(p, line->line, "%s: gpio '%s' is not a line name", s->what, line->value);
    } else {
        snprintf(g->line_name, sizeof(g->line_name), "%s", line->value);
    }

    if ((e = layout_take(s, "gpio_active_low")) && !layout_parse_yesno(e->value, &g->active_low))
        layout_fail(p, e->line, "%s: gpio_active_low '%s' is not yes or no", s->what,
                    e->value);
    if ((e = layout_take(s, "gpio_bias")) && !(g->bias = LOOKUP(bias_names, e->value)))
        layout_fail(p, e->line,
                    "%s: gpio_bias '%s' is not as-is, disabled, pull-up or pull-down", s->what,
                    e->value);
    if ((e = layout_take(s, "gpio_drive"))) {
        if (dir == PLC_GPIO_INPUT)
            layout_fail(p, e->line, "%s: gpio_drive applies to outputs only", s->what);
        else if (!(g->drive = LOOKUP(drive_names, e->value)))
            layout_fail(p, e->line,
                        "%s: gpio_drive '%s' is not push-pull, open-drain or open-source",
                        s->what, e->value);
    }
    if ((e = layout_take(s, "gpio_debounce"))) {
        if (dir == PLC_GPIO_OUTPUT) {
            layout_fail(p, e->line, "%s: gpio_debounce applies to inputs only", s->what);
        } else {
            char what[sizeof(s->what) + 16];
            snprintf(what, sizeof(what), "%s: gpio_debounce", s->what);
            layout_parse_duration(p, e, what, 0, UINT32_MAX, &g->debounce_us);
        }
    }
}

bool layout_parse_modbus_address(const char *value, enum plc_modbus_table *table,
                                 uint16_t *address)
{
    char name[32] = "";
    unsigned long long addr;
    const char *colon = strchr(value, ':');
    if (colon && (size_t)(colon - value) < sizeof(name))
        snprintf(name, sizeof(name), "%.*s", (int)(colon - value), value);
    *table = LOOKUP(table_names, name);
    if (!*table || !layout_parse_uint(colon + 1, 65535, &addr))
        return false;
    *address = (uint16_t)addr;
    return true;
}

static void load_modbus(struct parse *p, struct section *s, struct plc_tag_def *t,
                        enum plc_word_order default_order)
{
    struct plc_modbus_binding *m = &t->modbus;
    struct entry *b = layout_take(s, "modbus");
    struct entry *o = layout_take(s, "modbus_word_order");

    if (!b) {
        if (o)
            layout_fail(p, o->line, "%s: 'modbus_word_order' given without a 'modbus' binding",
                        s->what);
        return;
    }
    uint16_t addr;
    if (!layout_parse_modbus_address(b->value, &m->table, &addr)) {
        layout_fail(p, b->line,
                    "%s: modbus '%s' is not TABLE:ADDRESS (coil, discrete_input, "
                    "input_register or holding_register, and a 0-based address)",
                    s->what, b->value);
        return;
    }
    const char *table = table_names[m->table];
    m->address = addr;
    bool bit_table = m->table == PLC_MODBUS_COIL || m->table == PLC_MODBUS_DISCRETE_INPUT;
    if (t->type == PLC_TYPE_BOOL && !bit_table)
        layout_fail(p, b->line, "%s: a bool tag binds to a coil or discrete_input, not %s",
                    s->what, table);
    if (t->type != PLC_TYPE_BOOL && bit_table)
        layout_fail(p, b->line, "%s: a tag of type %s binds to registers, not %s", s->what,
                    plc_type_name(t->type), table);
    /* a byte in a register of its own; 32- and 64-bit values over 2 and 4 */
    m->count = t->size <= 2 ? 1 : (unsigned)t->size / 2;
    if ((unsigned)addr + m->count > 65536)
        layout_fail(p, b->line, "%s: modbus %s runs past address 65535", s->what, b->value);
    m->word_order = m->count > 1 ? default_order : PLC_WORD_ORDER_ABCD;
    if (o) {
        if (m->count == 1)
            layout_fail(p, o->line, "%s: modbus_word_order applies to 32- and 64-bit types only",
                        s->what);
        else if (!(m->word_order = LOOKUP(order_names, o->value)))
            layout_fail(p, o->line, "%s: modbus_word_order '%s' is not ABCD, CDAB, BADC or DCBA",
                        s->what, o->value);
    }
}

/*
 * iec_address: the located address ("%QX0.0") a Structured Text program
 * reaches the tag by. Its size letter must fit the tag's type, and its area
 * the region's writer: %I is what the logic reads, %Q what it writes, %M
 * either (a memory word the program and SCADA share).
 */
static void load_iec_address(struct parse *p, struct section *s, struct plc_tag_def *t)
{
    struct entry *e = layout_take(s, "iec_address");
    if (!e)
        return;
    char a[sizeof(t->iec_address)];
    if (layout_iec_address_canonical(e->value, a, sizeof(a)) != 0) {
        layout_fail(p, e->line,
                    "%s: iec_address '%s' is not an IEC address (%%IX0.0, %%QX0.0, %%IW3, "
                    "%%QW3, %%MW3, %%MD3; %%I0.0 is %%IX0.0)",
                    s->what, e->value);
        return;
    }
    /* The canonical form is %<area><size>..., so a[1] and a[2] are always there. */
    char area = a[1], width = a[2];
    const char *type = plc_type_name(t->type);
    bool logic_writes = t->region && strcmp(t->region->writer, "logic") == 0;
    if (width == 'X' && t->type != PLC_TYPE_BOOL)
        layout_fail(p, e->line, "%s: iec_address %s is a bit (X), which fits a bool, not %s",
                    s->what, a, type);
    else if (width == 'B' && t->type != PLC_TYPE_INT8 && t->type != PLC_TYPE_UINT8)
        layout_fail(p, e->line,
                    "%s: iec_address %s is a byte (B), which fits int8 or uint8, not %s",
                    s->what, a, type);
    else if (width == 'W' && t->type != PLC_TYPE_INT16 && t->type != PLC_TYPE_UINT16)
        layout_fail(p, e->line,
                    "%s: iec_address %s is a word (W), which fits int16 or uint16, not %s",
                    s->what, a, type);
    else if (width == 'D' && t->size != 4)
        layout_fail(p, e->line,
                    "%s: iec_address %s is a double word (D), which fits int32, uint32 or "
                    "float32, not %s",
                    s->what, a, type);
    else if (width == 'L' && t->size != 8)
        layout_fail(p, e->line,
                    "%s: iec_address %s is a long word (L), which fits int64, uint64 or "
                    "float64, not %s",
                    s->what, a, type);
    else if (t->region && area == 'I' && logic_writes)
        layout_fail(p, e->line,
                    "%s: iec_address %s is an input (%%I), but region '%s' is written by the "
                    "logic: use %%Q or %%M",
                    s->what, a, t->region->name);
    else if (t->region && area == 'Q' && !logic_writes)
        layout_fail(p, e->line,
                    "%s: iec_address %s is an output (%%Q), but region '%s' is written by %s, "
                    "not the logic: use %%I or %%M",
                    s->what, a, t->region->name, t->region->writer);
    else
        memcpy(t->iec_address, a, sizeof(a));
}

/* 'type' is required; false when it is missing or unknown, so nothing that
 * depends on it is checked. */
static bool load_type(struct parse *p, struct section *s, struct plc_tag_def *t)
{
    struct entry *e;
    if (!(e = layout_take(s, "type"))) {
        layout_fail(p, s->line, "%s: 'type' is required", s->what);
        return false;
    }
    if ((t->type = plc_type_from_name(e->value)) == PLC_TYPE_ERROR) {
        layout_fail(p, e->line,
                    "%s: unknown type '%s' (expected bool, int8, uint8, int16, uint16, int32, "
                    "uint32, int64, uint64, float32 or float64)",
                    s->what, e->value);
        return false;
    }
    t->size = plc_type_size(t->type);
    return true;
}

/* The double copies of the exact values, for the code that works in doubles. */
static void sync_doubles(struct plc_tag_def *t)
{
    t->min = plc_value_to_double(t->type, &t->min_v);
    t->max = plc_value_to_double(t->type, &t->max_v);
    t->initial = plc_value_to_double(t->type, &t->initial_v);
    t->safe = plc_value_to_double(t->type, &t->safe_v);
}

static bool outside(const struct plc_tag_def *t, const struct plc_value *v)
{
    return !plc_value_in_range(t->type, v, &t->min_v, &t->max_v);
}

/* min and max: the type's own range unless narrowed. */
static void load_range(struct parse *p, struct section *s, struct plc_tag_def *t)
{
    struct entry *e, *max_e = NULL;
    plc_value_range(t->type, &t->min_v, &t->max_v);
    if ((e = layout_take(s, "min"))) {
        if (t->type == PLC_TYPE_BOOL)
            layout_fail(p, e->line, "%s: min does not apply to bool", s->what);
        else if (tag_value(p, s, e, t, &t->min_v))
            t->has_min = true;
    }
    if ((max_e = layout_take(s, "max"))) {
        if (t->type == PLC_TYPE_BOOL)
            layout_fail(p, max_e->line, "%s: max does not apply to bool", s->what);
        else if (tag_value(p, s, max_e, t, &t->max_v))
            t->has_max = true;
    }
    char vbuf[48], vbuf2[48];
    if (plc_value_cmp(t->type, &t->min_v, &t->max_v) > 0) { /* both given, or a bad one already failed */
        plc_value_format(t->type, &t->min_v, vbuf, sizeof(vbuf));
        plc_value_format(t->type, &t->max_v, vbuf2, sizeof(vbuf2));
        layout_fail(p, max_e ? max_e->line : s->line, "%s: min %s is greater than max %s",
                    s->what, vbuf, vbuf2);
    }
    sync_doubles(t);
}

static void load_initial(struct parse *p, struct section *s, struct plc_tag_def *t)
{
    struct entry *e;
    char vbuf[48];
    if ((e = layout_take(s, "initial")) && tag_value(p, s, e, t, &t->initial_v) &&
        outside(t, &t->initial_v))
        layout_fail(p, e->line, "%s: initial %s is outside min..max", s->what, e->value);
    if (!e && outside(t, &t->initial_v)) {
        plc_value_format(t->type, &t->min_v, vbuf, sizeof(vbuf));
        layout_fail(p, s->line, "%s: the default initial value 0 is outside min..max: "
                    "give 'initial' (min is %s)", s->what, vbuf);
    }
    sync_doubles(t);
}

/* What the tag goes to when its writer is gone: a value, or hold. */
static void load_safe(struct parse *p, struct section *s, struct plc_tag_def *t)
{
    struct entry *e;
    struct plc_value zero = {.u = 0};
    t->safe_mode = PLC_SAFE_VALUE;
    /* 0, or the end of min..max nearest to it (the zero of every kind is all-zero bits) */
    t->safe_v = plc_value_cmp(t->type, &t->min_v, &zero) > 0   ? t->min_v
                : plc_value_cmp(t->type, &t->max_v, &zero) < 0 ? t->max_v
                                                               : zero;
    if ((e = layout_take(s, "safe"))) {
        if (t->region && strcmp(t->region->writer, "logic") != 0)
            layout_fail(p, e->line,
                        "%s: 'safe' applies to tags of regions the logic writes, not '%s'",
                        s->what, t->region->name);
        else if (strcmp(e->value, "hold") == 0)
            t->safe_mode = PLC_SAFE_HOLD;
        else if (tag_value(p, s, e, t, &t->safe_v) && outside(t, &t->safe_v))
            layout_fail(p, e->line, "%s: safe %s is outside min..max", s->what, e->value);
    }
    sync_doubles(t);
}

static void load_retain(struct parse *p, struct section *s, struct plc_tag_def *t)
{
    struct entry *e;
    t->retain = t->region && t->region->retain; /* the region's default */
    if ((e = layout_take(s, "retain")) && !layout_parse_yesno(e->value, &t->retain))
        layout_fail(p, e->line, "%s: retain '%s' is not yes or no", s->what, e->value);
    /* A snapshot stores a value of the tag's type; every type has a fixed size
     * today, so this holds by construction and guards a future string type. */
    if (t->retain && plc_type_size(t->type) == 0)
        layout_fail(p, e ? e->line : s->line, "%s: a retained tag needs a fixed-size type",
                    s->what);
}

static void load_unit_and_description(struct parse *p, struct section *s, struct plc_tag_def *t)
{
    struct entry *e;
    if ((e = layout_take(s, "unit"))) {
        if (strlen(e->value) >= sizeof(t->unit))
            layout_fail(p, e->line, "%s: unit is longer than %zu characters", s->what,
                        sizeof(t->unit) - 1);
        snprintf(t->unit, sizeof(t->unit), "%s", e->value);
    }
    if ((e = layout_take(s, "description"))) {
        if (strlen(e->value) >= sizeof(t->description))
            layout_fail(p, e->line, "%s: description is longer than %zu characters", s->what,
                        sizeof(t->description) - 1);
        snprintf(t->description, sizeof(t->description), "%s", e->value);
    }
}

void layout_load_tag(struct parse *p, struct section *s, const struct plc_layout *l,
                     struct plc_tag_def *t, struct alarm_list *alarms)
{
    static const char *const known[] = {
        "region", "type", "initial", "min", "max", "safe", "retain", "unit", "description",
        "gpio", "gpio_active_low", "gpio_bias", "gpio_drive", "gpio_debounce", "modbus",
        "modbus_word_order", "alarm", "alarm_hh", "alarm_h", "alarm_l", "alarm_ll",
        "alarm_deadband", "alarm_delay", "alarm_severity", "alarm_message", "alarm_latch",
        "alarm_shelve_max", "iec_address", NULL};
    struct entry *e;
    const char *why;

    t->line = s->line;
    if ((why = layout_name_problem(s->name, PLC_TAG_NAME_MAX)))
        layout_fail(p, s->line, "%s: tag name %s", s->what, why);
    snprintf(t->name, sizeof(t->name), "%.63s", s->name);
    for (size_t i = 0; i < plc_layout_region_count(l); i++) {
        const struct plc_region_def *r = plc_layout_region_at(l, i);
        if (strcmp(r->name, s->name) == 0)
            layout_fail(p, s->line, "%s: a region has that name (line %u)", s->what, r->line);
    }
    layout_check_keys(p, s, known);

    if (!(e = layout_take(s, "region")))
        layout_fail(p, s->line, "%s: 'region' is required", s->what);
    else if (!(t->region = plc_layout_find_region(l, e->value)))
        layout_fail(p, e->line, "%s: region '%s' is not declared", s->what, e->value);

    if (!load_type(p, s, t))
        return;
    load_range(p, s, t);
    load_initial(p, s, t);
    load_safe(p, s, t);
    load_retain(p, s, t);
    load_unit_and_description(p, s, t);
    load_gpio(p, s, t);
    load_modbus(p, s, t, plc_layout_get_modbus(l)->default_word_order);
    load_iec_address(p, s, t);
    layout_load_alarms(p, s, l, t, alarms);
}

void layout_check_bindings(struct parse *p, const struct plc_layout *l)
{
    size_t ntags = plc_layout_tag_count(l);
    for (size_t i = 0; i < ntags && !p->failed; i++) {
        const struct plc_tag_def *a = plc_layout_tag_at(l, i);
        if (!a->modbus.table && !a->gpio.bound && !a->iec_address[0])
            continue; /* most tags of a large layout: keep this linear for them */
        for (size_t j = 0; j < ntags && !p->failed; j++) {
            const struct plc_tag_def *b = plc_layout_tag_at(l, j);
            if (b->line >= a->line)
                continue; /* report at the later of the two */
            if (a->modbus.table && a->modbus.table == b->modbus.table &&
                a->modbus.address < b->modbus.address + b->modbus.count &&
                b->modbus.address < a->modbus.address + a->modbus.count)
                layout_fail(p, a->line, "tag '%s': modbus %s %u overlaps tag '%s' (line %u)",
                            a->name, table_names[a->modbus.table], a->modbus.address,
                            b->name, b->line);
            if (a->gpio.bound && b->gpio.bound &&
                ((a->gpio.line_name[0] && strcmp(a->gpio.line_name, b->gpio.line_name) == 0) ||
                 (a->gpio.chip[0] && strcmp(a->gpio.chip, b->gpio.chip) == 0 &&
                  a->gpio.offset == b->gpio.offset))) {
                char where[48];
                if (a->gpio.line_name[0])
                    snprintf(where, sizeof(where), "%s", a->gpio.line_name);
                else
                    snprintf(where, sizeof(where), "%s:%d", a->gpio.chip, a->gpio.offset);
                layout_fail(p, a->line,
                            "tag '%s': GPIO line %s is already bound to tag '%s' (line %u)",
                            a->name, where, b->name, b->line);
            }
            if (a->iec_address[0] && strcmp(a->iec_address, b->iec_address) == 0)
                layout_fail(p, a->line, "tag '%s': iec_address %s is already bound to tag '%s' (line %u)",
                            a->name, a->iec_address, b->name, b->line);
        }
    }
}
