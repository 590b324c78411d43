/* SPDX-License-Identifier: MIT */
/*
 * struct plc_layout: validation of the parsed sections, offsets, the hash.
 *
 * Every rule about what a layout may say lives here, so the initializer, the
 * services and the header generator all see one validated layout.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "internal.h"

struct plc_layout {
    char path[256];
    char name[PLC_NAME_MAX + 1];
    unsigned version;
    char base_dir[256];
    char retain_dir[256];
    uint32_t retain_interval_us;
    uint64_t hash;
    struct plc_region_def *regions;
    size_t nregions;
    struct plc_tag_def *tags;
    size_t ntags;
    struct plc_logic_def logic;
    struct plc_modbus_config modbus;
};

static const char *const writers[] = {"io", "logic", "modbus", NULL};

const char *const *plc_layout_writers(void)
{
    return writers;
}

/* Names become C identifiers and macro names in the generated header. */
static const char *name_problem(const char *s, size_t max)
{
    static const char *const keywords[] = {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
        "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
        "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
        "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
        /* C23, and macros of <stdbool.h> and <assert.h> before it */
        "alignas", "alignof", "bool", "constexpr", "false", "nullptr", "static_assert",
        "thread_local", "true", "typeof", "typeof_unqual", NULL};
    if (!*s)
        return "is empty";
    if (strlen(s) > max)
        return "is too long";
    if (!islower((unsigned char)s[0]))
        return "must start with a lowercase letter";
    for (const char *c = s; *c; c++)
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_')
            return "may hold only lowercase letters, digits and '_'";
    for (size_t i = 0; keywords[i]; i++)
        if (strcmp(s, keywords[i]) == 0)
            return "is a C keyword";
    return NULL;
}

/* Decimal, or hex with 0x; never octal, so "0100" is one hundred. */
bool layout_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    unsigned long long v = strtoull(s, &end, hex ? 16 : 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

bool layout_parse_yesno(const char *s, bool *out)
{
    double v;
    if (plc_type_parse_value(PLC_TYPE_BOOL, s, &v) < 0)
        return false;
    *out = v != 0;
    return true;
}

/* "4096", "64KiB", "1MiB", "1GiB" */
static bool parse_size(const char *s, size_t *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    unsigned long long mul = 1;
    if (strcmp(end, "KiB") == 0 || strcmp(end, "K") == 0)
        mul = 1024;
    else if (strcmp(end, "MiB") == 0 || strcmp(end, "M") == 0)
        mul = 1024 * 1024;
    else if (strcmp(end, "GiB") == 0 || strcmp(end, "G") == 0)
        mul = 1024 * 1024 * 1024;
    else if (*end)
        return false;
    if (errno || v > (1ull << 40) / mul)
        return false;
    *out = (size_t)(v * mul);
    return true;
}

bool layout_parse_duration(struct parse *p, const struct entry *e, const char *what,
                           uint32_t min_us, uint32_t max_us, uint32_t *out)
{
    struct plc_diag d;
    if (plc_duration_parse(e->value, min_us, max_us, what, out, &d) == 0)
        return true;
    layout_fail(p, e->line, "%s", d.msg);
    return false;
}

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

/* Index of @s in a table indexed from 1, or 0. */
int layout_lookup(const char *const *names, int count, const char *s)
{
    for (int i = 1; i < count; i++)
        if (names[i] && strcmp(names[i], s) == 0)
            return i;
    return 0;
}

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

static void load_layout_section(struct parse *p, struct section *s, struct plc_layout *l)
{
    static const char *const known[] = {"name", "version", "base_dir", "description", NULL};
    struct entry *e;
    unsigned long long v;

    layout_check_keys(p, s, known);
    if (!(e = layout_take(s, "name")))
        layout_fail(p, s->line, "[layout]: 'name' is required");
    else if (name_problem(e->value, PLC_NAME_MAX))
        layout_fail(p, e->line, "[layout]: name '%s' %s", e->value,
                    name_problem(e->value, PLC_NAME_MAX));
    else
        snprintf(l->name, sizeof(l->name), "%s", e->value);

    if (!(e = layout_take(s, "version")))
        layout_fail(p, s->line, "[layout]: 'version' is required");
    else if (!layout_parse_uint(e->value, UINT32_MAX, &v) || v == 0)
        layout_fail(p, e->line, "[layout]: version '%s' is not a positive integer", e->value);
    else
        l->version = (unsigned)v;

    if ((e = layout_take(s, "base_dir"))) {
        struct plc_diag bad;
        if (plc_base_dir_check(e->value, "base_dir", &bad) < 0)
            layout_fail(p, e->line, "[layout]: %s", bad.msg);
        else if (strlen(e->value) >= sizeof(l->base_dir) - 64)
            layout_fail(p, e->line, "[layout]: base_dir is longer than %zu characters",
                        sizeof(l->base_dir) - 65);
        else
            snprintf(l->base_dir, sizeof(l->base_dir), "%s", e->value);
    }
    layout_take(s, "description");
}

/* [retain]: where snapshots go and how often at most. Not hashed: like base_dir
 * it is deployment, not the shape of the process image. */
static void load_retain_section(struct parse *p, struct section *s, struct plc_layout *l)
{
    static const char *const known[] = {"directory", "interval", "description", NULL};
    struct entry *e;
    layout_check_keys(p, s, known);
    if ((e = layout_take(s, "directory"))) {
        if (e->value[0] != '/' || strlen(e->value) >= sizeof(l->retain_dir) - 64)
            layout_fail(p, e->line, "[retain]: directory '%s' is not an absolute path",
                        e->value);
        else
            snprintf(l->retain_dir, sizeof(l->retain_dir), "%s", e->value);
    }
    if ((e = layout_take(s, "interval")))
        layout_parse_duration(p, e, "[retain]: interval", PLC_RETAIN_INTERVAL_MIN_US,
                              PLC_RETAIN_INTERVAL_MAX_US, &l->retain_interval_us);
    layout_take(s, "description");
}

static void load_region(struct parse *p, struct section *s, struct plc_region_def *r)
{
    static const char *const known[] = {"writer", "size", "mode", "group", "retain",
                                        "description", NULL};
    struct entry *e;
    const char *why;

    r->line = s->line;
    if ((why = name_problem(s->name, PLC_NAME_MAX)))
        layout_fail(p, s->line, "%s: region name %s", s->what, why);
    snprintf(r->name, sizeof(r->name), "%.31s", s->name);
    layout_check_keys(p, s, known);

    if (!(e = layout_take(s, "writer"))) {
        layout_fail(p, s->line, "%s: 'writer' is required (io, logic or modbus)", s->what);
    } else {
        bool listed = false;
        for (size_t i = 0; writers[i]; i++)
            listed |= strcmp(e->value, writers[i]) == 0;
        if (!listed)
            layout_fail(p, e->line, "%s: unknown writer '%s' (expected io, logic or modbus)",
                        s->what, e->value);
        snprintf(r->writer, sizeof(r->writer), "%s", e->value);
    }

    r->size = 0; /* auto */
    if ((e = layout_take(s, "size")) && strcmp(e->value, "auto") != 0) {
        if (!parse_size(e->value, &r->size))
            layout_fail(p, e->line, "%s: size '%s' is not a size (4096, 64KiB, 1MiB or auto)",
                        s->what, e->value);
        else if (r->size < PLC_REGION_SIZE_MIN || r->size > PLC_REGION_SIZE_MAX ||
                 r->size % PLC_REGION_ALIGN)
            layout_fail(p, e->line,
                        "%s: size %zu is not a multiple of 4 KiB between 4 KiB and 1 GiB",
                        s->what, r->size);
    }

    r->mode = 0660;
    if ((e = layout_take(s, "mode"))) {
        char *end;
        long m = strtol(e->value, &end, 8);
        if (*end || !*e->value || m < 0 || m > 0777)
            layout_fail(p, e->line, "%s: mode '%s' is not an octal file mode like 0660",
                        s->what, e->value);
        else if (!(m & 0400) || !(m & 0200))
            layout_fail(p, e->line, "%s: mode %04lo does not let its owner read and write",
                        s->what, m);
        r->mode = (mode_t)m;
    }
    if ((e = layout_take(s, "group"))) {
        if (!*e->value || strlen(e->value) > PLC_NAME_MAX || strpbrk(e->value, " :/"))
            layout_fail(p, e->line, "%s: group '%s' is not a group name", s->what, e->value);
        snprintf(r->group, sizeof(r->group), "%s", e->value);
    }
    if ((e = layout_take(s, "retain")) && !layout_parse_yesno(e->value, &r->retain))
        layout_fail(p, e->line, "%s: retain '%s' is not yes or no", s->what, e->value);
    layout_take(s, "description");

    if (strcmp(r->writer, "io") == 0)
        r->gpio_dir = PLC_GPIO_INPUT;
    else if (strcmp(r->name, "outputs") == 0)
        r->gpio_dir = PLC_GPIO_OUTPUT;
}

/* A value key of a tag, parsed with the tag's type. */
static bool tag_value(struct parse *p, struct section *s, struct entry *e,
                      const struct plc_tag_def *t, double *out)
{
    if (plc_type_parse_value(t->type, e->value, out) == 0)
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
    char table[32] = "";
    unsigned long long addr;
    char *colon = strchr(b->value, ':');
    if (colon && (size_t)(colon - b->value) < sizeof(table))
        snprintf(table, sizeof(table), "%.*s", (int)(colon - b->value), b->value);
    m->table = LOOKUP(table_names, table);
    if (!m->table || !layout_parse_uint(colon + 1, 65535, &addr)) {
        layout_fail(p, b->line,
                    "%s: modbus '%s' is not TABLE:ADDRESS (coil, discrete_input, "
                    "input_register or holding_register, and a 0-based address)",
                    s->what, b->value);
        return;
    }
    m->address = (uint16_t)addr;
    bool bit_table = m->table == PLC_MODBUS_COIL || m->table == PLC_MODBUS_DISCRETE_INPUT;
    if (t->type == PLC_TYPE_BOOL && !bit_table)
        layout_fail(p, b->line, "%s: a bool tag binds to a coil or discrete_input, not %s",
                    s->what, table);
    if (t->type != PLC_TYPE_BOOL && bit_table)
        layout_fail(p, b->line, "%s: a tag of type %s binds to registers, not %s", s->what,
                    plc_type_name(t->type), table);
    m->count = t->size == 4 ? 2 : 1;
    if (addr + m->count > 65536)
        layout_fail(p, b->line, "%s: modbus %s runs past address 65535", s->what, b->value);
    m->word_order = t->size == 4 ? default_order : PLC_WORD_ORDER_ABCD;
    if (o) {
        if (t->size != 4)
            layout_fail(p, o->line, "%s: modbus_word_order applies to 32-bit types only",
                        s->what);
        else if (!(m->word_order = LOOKUP(order_names, o->value)))
            layout_fail(p, o->line, "%s: modbus_word_order '%s' is not ABCD, CDAB, BADC or DCBA",
                        s->what, o->value);
    }
}

static void load_tag(struct parse *p, struct section *s, struct plc_layout *l,
                     struct plc_tag_def *t)
{
    static const char *const known[] = {
        "region", "type", "initial", "min", "max", "safe", "retain", "unit", "description",
        "gpio", "gpio_active_low", "gpio_bias", "gpio_drive", "gpio_debounce", "modbus",
        "modbus_word_order", NULL};
    struct entry *e, *max_e = NULL;
    const char *why;

    t->line = s->line;
    if ((why = name_problem(s->name, PLC_TAG_NAME_MAX)))
        layout_fail(p, s->line, "%s: tag name %s", s->what, why);
    snprintf(t->name, sizeof(t->name), "%.63s", s->name);
    for (size_t i = 0; i < l->nregions; i++)
        if (strcmp(l->regions[i].name, s->name) == 0)
            layout_fail(p, s->line, "%s: a region has that name (line %u)", s->what,
                        l->regions[i].line);
    layout_check_keys(p, s, known);

    if (!(e = layout_take(s, "region")))
        layout_fail(p, s->line, "%s: 'region' is required", s->what);
    else if (!(t->region = plc_layout_find_region(l, e->value)))
        layout_fail(p, e->line, "%s: region '%s' is not declared", s->what, e->value);

    if (!(e = layout_take(s, "type"))) {
        layout_fail(p, s->line, "%s: 'type' is required", s->what);
        return;
    }
    if ((t->type = plc_type_from_name(e->value)) == PLC_TYPE_ERROR) {
        layout_fail(p, e->line,
                    "%s: unknown type '%s' (expected bool, int16, uint16, int32, uint32 or "
                    "float32)",
                    s->what, e->value);
        return;
    }
    t->size = plc_type_size(t->type);

    /* The type's own range unless narrowed. */
    double lo = 0, hi = 1;
    if (t->type != PLC_TYPE_BOOL) {
        static const char *const ends[][2] = {
            [PLC_TYPE_INT16] = {"-32768", "32767"},
            [PLC_TYPE_UINT16] = {"0", "65535"},
            [PLC_TYPE_INT32] = {"-2147483648", "2147483647"},
            [PLC_TYPE_UINT32] = {"0", "4294967295"},
            [PLC_TYPE_FLOAT32] = {"-3.40282346e38", "3.40282346e38"},
        };
        plc_type_parse_value(t->type, ends[t->type][0], &lo);
        plc_type_parse_value(t->type, ends[t->type][1], &hi);
    }
    t->min = lo;
    t->max = hi;
    if ((e = layout_take(s, "min"))) {
        if (t->type == PLC_TYPE_BOOL)
            layout_fail(p, e->line, "%s: min does not apply to bool", s->what);
        else if (tag_value(p, s, e, t, &t->min))
            t->has_min = true;
    }
    if ((max_e = layout_take(s, "max"))) {
        if (t->type == PLC_TYPE_BOOL)
            layout_fail(p, max_e->line, "%s: max does not apply to bool", s->what);
        else if (tag_value(p, s, max_e, t, &t->max))
            t->has_max = true;
    }
    char vbuf[48], vbuf2[48];
    if (t->min > t->max) { /* both given, or a bad one already failed */
        plc_type_format_value(t->type, t->min, vbuf, sizeof(vbuf));
        plc_type_format_value(t->type, t->max, vbuf2, sizeof(vbuf2));
        layout_fail(p, max_e ? max_e->line : s->line, "%s: min %s is greater than max %s",
                    s->what, vbuf, vbuf2);
    }

    if ((e = layout_take(s, "initial")) && tag_value(p, s, e, t, &t->initial) &&
        (t->initial < t->min || t->initial > t->max))
        layout_fail(p, e->line, "%s: initial %s is outside min..max", s->what, e->value);
    if (!e && (t->initial < t->min || t->initial > t->max)) {
        plc_type_format_value(t->type, t->min, vbuf, sizeof(vbuf));
        layout_fail(p, s->line, "%s: the default initial value 0 is outside min..max: "
                    "give 'initial' (min is %s)", s->what, vbuf);
    }

    t->safe_mode = PLC_SAFE_VALUE;
    t->safe = t->min > 0 ? t->min : (t->max < 0 ? t->max : 0);
    if ((e = layout_take(s, "safe"))) {
        if (t->region && strcmp(t->region->writer, "logic") != 0)
            layout_fail(p, e->line,
                        "%s: 'safe' applies to tags of regions the logic writes, not '%s'",
                        s->what, t->region->name);
        else if (strcmp(e->value, "hold") == 0)
            t->safe_mode = PLC_SAFE_HOLD;
        else if (tag_value(p, s, e, t, &t->safe) && (t->safe < t->min || t->safe > t->max))
            layout_fail(p, e->line, "%s: safe %s is outside min..max", s->what, e->value);
    }
    t->retain = t->region && t->region->retain; /* the region's default */
    if ((e = layout_take(s, "retain")) && !layout_parse_yesno(e->value, &t->retain))
        layout_fail(p, e->line, "%s: retain '%s' is not yes or no", s->what, e->value);
    /* A snapshot stores a value of the tag's type; every type has a fixed size
     * today, so this holds by construction and guards a future string type. */
    if (t->retain && plc_type_size(t->type) == 0)
        layout_fail(p, e ? e->line : s->line, "%s: a retained tag needs a fixed-size type",
                    s->what);
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
    load_gpio(p, s, t);
    load_modbus(p, s, t, l->modbus.default_word_order);
}

/* Natural alignment in declaration order; regions sized from their tags. */
static void assign_offsets(struct parse *p, struct plc_layout *l)
{
    for (size_t r = 0; r < l->nregions; r++) {
        struct plc_region_def *reg = &l->regions[r];
        size_t off = 0;
        for (size_t i = reg->first_tag; i < reg->first_tag + reg->tag_count; i++) {
            struct plc_tag_def *t = &l->tags[i];
            off = (off + t->size - 1) / t->size * t->size;
            t->offset = off;
            off += t->size;
        }
        reg->data_size = off < 8 ? 8 : (off + 7) / 8 * 8;
        /* the data, then the last complete copy of it (runtime/region.c) */
        size_t need = PLC_REGION_HEADER_SIZE + PLC_REGION_COPY_OFFSET(reg->data_size) +
                      reg->data_size;
        size_t fit = (need + PLC_REGION_ALIGN - 1) / PLC_REGION_ALIGN * PLC_REGION_ALIGN;
        if (!reg->size)
            reg->size = fit;
        else if (reg->size < need)
            layout_fail(p, reg->line,
                        "region '%s' is too small: its tags need %zu bytes, twice over (the "
                        "data and its last complete copy), after the %u-byte header, size is "
                        "%zu (use size = auto or at least %zu)",
                        reg->name, reg->data_size, PLC_REGION_HEADER_SIZE, reg->size, fit);
    }
}

static void check_bindings(struct parse *p, struct plc_layout *l)
{
    for (size_t i = 0; i < l->ntags && !p->failed; i++) {
        const struct plc_tag_def *a = &l->tags[i];
        if (!a->modbus.table && !a->gpio.bound)
            continue; /* most tags of a large layout: keep this linear for them */
        for (size_t j = 0; j < l->ntags && !p->failed; j++) {
            const struct plc_tag_def *b = &l->tags[j];
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
        }
    }
}

/* FNV-1a: small, stable across platforms and releases, and enough to tell layouts apart. */
static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

int plc_layout_write_canonical(const struct plc_layout *l, FILE *out)
{
    fprintf(out, "layout %s\n", l->name);
    for (size_t r = 0; r < l->nregions; r++) {
        const struct plc_region_def *g = &l->regions[r];
        fprintf(out, "region %s writer=%s size=%zu data=%zu mode=%04o group=%s\n", g->name,
                g->writer, g->size, g->data_size, (unsigned)g->mode, g->group);
    }
    for (size_t i = 0; i < l->ntags; i++) {
        const struct plc_tag_def *t = &l->tags[i];
        fprintf(out, "tag %s region=%s type=%s offset=%zu initial=%.17g min=%.17g max=%.17g",
                t->name, t->region->name, plc_type_name(t->type), t->offset, t->initial,
                t->min, t->max);
        if (t->safe_mode == PLC_SAFE_HOLD)
            fprintf(out, " safe=hold");
        else
            fprintf(out, " safe=%.17g", t->safe);
        fprintf(out, " retain=%d", t->retain);
        if (t->gpio.bound)
            fprintf(out, " gpio=%s:%d:%s active_low=%d bias=%d drive=%d debounce=%u",
                    t->gpio.chip, t->gpio.offset, t->gpio.line_name, t->gpio.active_low,
                    t->gpio.bias, t->gpio.drive, t->gpio.debounce_us);
        if (t->modbus.table)
            fprintf(out, " modbus=%s:%u:%s", table_names[t->modbus.table], t->modbus.address,
                    order_names[t->modbus.word_order]);
        fputc('\n', out);
    }
    return ferror(out) ? -1 : 0;
}

static int compute_hash(struct plc_layout *l)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return -1;
    plc_layout_write_canonical(l, f);
    if (fclose(f) != 0) {
        free(buf);
        return -1;
    }
    l->hash = fnv1a(buf, len);
    free(buf);
    return 0;
}

static int build(struct parse *p, struct plc_layout *l)
{
    struct section *layout_sec = NULL, *logic_sec = NULL, *retain_sec = NULL;
    struct section *modbus_sec = NULL;
    size_t nregions = 0, ntags = 0;

    layout_modbus_defaults(&l->modbus);
    for (size_t i = 0; i < p->nsec; i++) {
        struct section *s = &p->sec[i];
        if (s->kind == SEC_LAYOUT)
            layout_sec = s;
        if (s->kind == SEC_LOGIC)
            logic_sec = s;
        if (s->kind == SEC_RETAIN)
            retain_sec = s;
        if (s->kind == SEC_MODBUS)
            modbus_sec = s;
        nregions += s->kind == SEC_REGION;
        ntags += s->kind == SEC_TAG;
    }
    if (!layout_sec) {
        layout_fail(p, 0, "no [layout] section (it names the layout and its version)");
        return -1;
    }
    load_layout_section(p, layout_sec, l);
    if (!nregions) {
        layout_fail(p, 0, "declares no region");
        return -1;
    }
    l->retain_interval_us = PLC_RETAIN_INTERVAL_DEFAULT_US;
    if (retain_sec)
        load_retain_section(p, retain_sec, l);
    if (modbus_sec)
        layout_load_modbus(p, modbus_sec, &l->modbus);

    l->regions = calloc(nregions, sizeof(*l->regions));
    l->tags = calloc(ntags ? ntags : 1, sizeof(*l->tags));
    if (!l->regions || !l->tags) {
        p->oom = true;
        return -1;
    }
    for (size_t i = 0; i < p->nsec; i++)
        if (p->sec[i].kind == SEC_REGION)
            load_region(p, &p->sec[i], &l->regions[l->nregions++]);

    /* Tags grouped by region, each group in declaration order; what names no
     * known region goes last, loaded only for its message. */
    for (size_t r = 0; r < l->nregions; r++) {
        l->regions[r].first_tag = l->ntags;
        for (size_t i = 0; i < p->nsec; i++) {
            struct section *s = &p->sec[i];
            struct entry *e;
            if (s->kind == SEC_TAG && (e = layout_take(s, "region")) &&
                strcmp(e->value, l->regions[r].name) == 0)
                s->slot = ++l->ntags;
        }
        l->regions[r].tag_count = l->ntags - l->regions[r].first_tag;
    }
    for (size_t i = 0; i < p->nsec; i++)
        if (p->sec[i].kind == SEC_TAG && !p->sec[i].slot)
            p->sec[i].slot = ++l->ntags;
    /* Loaded in file order, so the error reported is the first in the file. */
    for (size_t i = 0; i < p->nsec; i++)
        if (p->sec[i].kind == SEC_TAG)
            load_tag(p, &p->sec[i], l, &l->tags[p->sec[i].slot - 1]);
    if (p->failed)
        return -1;
    layout_load_logic(p, logic_sec, l, &l->logic);
    if (p->failed)
        return -1;
    assign_offsets(p, l);
    check_bindings(p, l);
    if (p->failed)
        return -1;
    if (compute_hash(l) < 0) {
        p->oom = true;
        return -1;
    }
    return 0;
}

static struct plc_layout *load(struct parse *p, const char *path)
{
    struct plc_layout *l = calloc(1, sizeof(*l));
    if (!l) {
        layout_parse_free(p);
        return NULL;
    }
    snprintf(l->path, sizeof(l->path), "%s", path);
    int r = layout_parse(p);
    if (r == 0)
        r = build(p, l);
    int err = p->err ? p->err : p->oom ? ENOMEM : EINVAL;
    layout_parse_free(p);
    if (r < 0 || p->failed) {
        plc_layout_free(l);
        errno = err;
        return NULL;
    }
    return l;
}

struct plc_layout *plc_layout_load(const char *path, struct plc_diag *diag)
{
    struct parse p = {.file = path, .diag = diag};
    plc_diag_clear(diag);
    p.f = fopen(path, "re");
    if (!p.f) {
        int err = errno;
        if (diag) {
            snprintf(diag->file, sizeof(diag->file), "%s", path);
            snprintf(diag->msg, sizeof(diag->msg), "cannot open layout: %s", strerror(err));
        }
        errno = err;
        return NULL;
    }
    struct plc_layout *l = load(&p, path);
    int err = errno;
    fclose(p.f);
    errno = err;
    return l;
}

struct plc_layout *plc_layout_load_string(const char *text, const char *name,
                                          struct plc_diag *diag)
{
    struct parse p = {.file = name, .text = text, .diag = diag};
    plc_diag_clear(diag);
    return load(&p, name);
}

void plc_layout_free(struct plc_layout *l)
{
    if (!l)
        return;
    free(l->regions);
    free(l->tags);
    free(l);
}

const char *plc_layout_get_name(const struct plc_layout *l) { return l->name; }
unsigned plc_layout_get_version(const struct plc_layout *l) { return l->version; }
uint64_t plc_layout_get_hash(const struct plc_layout *l) { return l->hash; }
const char *plc_layout_get_path(const struct plc_layout *l) { return l->path; }
const char *plc_layout_get_base_dir(const struct plc_layout *l)
{
    return l->base_dir[0] ? l->base_dir : NULL;
}
const char *plc_layout_path(const char *override)
{
    if (override)
        return override;
    const char *env = getenv("RASPIPLC_LAYOUT");
    return env && *env ? env : PLC_LAYOUT_PATH_DEFAULT;
}

const char *plc_layout_path_choose(const char *option, const char *positional,
                                   struct plc_diag *diag)
{
    struct stat a, b;
    if (option && positional && strcmp(option, positional) != 0 &&
        (stat(option, &a) < 0 || stat(positional, &b) < 0 || a.st_dev != b.st_dev ||
         a.st_ino != b.st_ino)) {
        plc_diag_set(diag, NULL,
                     "--layout '%s' and LAYOUT '%s' are two different files: give one of them",
                     option, positional);
        errno = EINVAL;
        return NULL;
    }
    return plc_layout_path(option ? option : positional);
}

const char *plc_layout_get_retain_dir(const struct plc_layout *l)
{
    return l->retain_dir[0] ? l->retain_dir : NULL;
}
uint32_t plc_layout_get_retain_interval_us(const struct plc_layout *l)
{
    return l->retain_interval_us;
}
size_t plc_layout_region_count(const struct plc_layout *l) { return l->nregions; }
const struct plc_logic_def *plc_layout_get_logic(const struct plc_layout *l)
{
    return &l->logic;
}
size_t plc_layout_tag_count(const struct plc_layout *l) { return l->ntags; }
const struct plc_modbus_config *plc_layout_get_modbus(const struct plc_layout *l)
{
    return &l->modbus;
}

const struct plc_region_def *plc_layout_region_at(const struct plc_layout *l, size_t i)
{
    return i < l->nregions ? &l->regions[i] : NULL;
}

const struct plc_tag_def *plc_layout_tag_at(const struct plc_layout *l, size_t i)
{
    return i < l->ntags ? &l->tags[i] : NULL;
}

const struct plc_region_def *plc_layout_find_region(const struct plc_layout *l,
                                                    const char *name)
{
    for (size_t i = 0; i < l->nregions; i++)
        if (strcmp(l->regions[i].name, name) == 0)
            return &l->regions[i];
    errno = ENOENT;
    return NULL;
}

const struct plc_tag_def *plc_layout_find_tag(const struct plc_layout *l, const char *name)
{
    for (size_t i = 0; i < l->ntags; i++)
        if (strcmp(l->tags[i].name, name) == 0)
            return &l->tags[i];
    errno = ENOENT;
    return NULL;
}
