/* SPDX-License-Identifier: MIT */
/*
 * struct plc_layout: a layout file loaded into one validated object, and its
 * getters. Here are the [layout], [retain] and [region] sections, the order
 * all sections are loaded in, and the offsets of tags in their regions; the
 * other sections have their own files (tag.c, logic.c, modbus-section.c,
 * mqtt-section.c), as
 * have the canonical form and hash (canonical.c) and the value parsers all
 * sections share (values.c).
 *
 * Every rule about what a layout may say lives in this library, so the
 * initializer, the services and the header generator all see one validated
 * layout.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
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
    struct plc_alarm_def *alarms;
    size_t nalarms;
    struct plc_logic_def logic;
    struct plc_modbus_config modbus;
    struct plc_mqtt_config mqtt;
};

/* python: a client of the Python library raspiplc (docs/python.md), started by hand. */
static const char *const writers[] = {"io", "logic", "modbus", "python", NULL};

const char *const *plc_layout_writers(void)
{
    return writers;
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

static void load_layout_section(struct parse *p, struct section *s, struct plc_layout *l)
{
    static const char *const known[] = {"name", "version", "base_dir", "description", NULL};
    struct entry *e;
    unsigned long long v;

    layout_check_keys(p, s, known);
    if (!(e = layout_take(s, "name")))
        layout_fail(p, s->line, "[layout]: 'name' is required");
    else if (layout_name_problem(e->value, PLC_NAME_MAX))
        layout_fail(p, e->line, "[layout]: name '%s' %s", e->value,
                    layout_name_problem(e->value, PLC_NAME_MAX));
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
    if ((why = layout_name_problem(s->name, PLC_NAME_MAX)))
        layout_fail(p, s->line, "%s: region name %s", s->what, why);
    snprintf(r->name, sizeof(r->name), "%.31s", s->name);
    layout_check_keys(p, s, known);

    if (!(e = layout_take(s, "writer"))) {
        layout_fail(p, s->line, "%s: 'writer' is required (io, logic, modbus or python)", s->what);
    } else {
        bool listed = false;
        for (size_t i = 0; writers[i]; i++)
            listed |= strcmp(e->value, writers[i]) == 0;
        if (!listed)
            layout_fail(p, e->line, "%s: unknown writer '%s' (expected io, logic, modbus or python)",
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

/* Tags grouped by region, each group in declaration order; what names no
 * known region goes last, loaded only for its message. */
static void place_tags(struct parse *p, struct plc_layout *l)
{
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
}

/* Alarms a [tag] section declares: one per limit, one for a bool's alarm. */
static size_t alarm_keys(const struct section *s)
{
    static const char *const keys[] = {"alarm", "alarm_hh", "alarm_h", "alarm_l", "alarm_ll"};
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            n += strcmp(s->e[i].key, keys[k]) == 0;
    return n;
}

/* The alarm region's tags, at the end of the tags (room was made for them). */
static void add_alarm_tags(struct parse *p, struct plc_layout *l)
{
    const struct plc_region_def *r = l->logic.alarms;
    if (!r) {
        if (l->nalarms)
            layout_fail(p, l->alarms[0].line,
                        "alarm '%s': the layout has no region for the alarms' state: declare "
                        "[region alarms] with writer = logic, or name one in [logic] alarms "
                        "(docs/alarms.md)",
                        l->alarms[0].name);
        return;
    }
    layout_make_alarm_tags(p, l, &l->regions[r - l->regions], l->tags, &l->ntags);
}

static int build(struct parse *p, struct plc_layout *l)
{
    struct section *layout_sec = NULL, *logic_sec = NULL, *retain_sec = NULL;
    struct section *modbus_sec = NULL, *mqtt_sec = NULL;
    size_t nregions = 0, ntags = 0, made = 3; /* tags the alarm region gets */

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
        if (s->kind == SEC_MQTT)
            mqtt_sec = s;
        nregions += s->kind == SEC_REGION;
        ntags += s->kind == SEC_TAG;
        if (s->kind == SEC_TAG)
            made += 2 * alarm_keys(s);
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
    l->tags = calloc(ntags + made, sizeof(*l->tags));
    if (!l->regions || !l->tags) {
        p->oom = true;
        return -1;
    }
    for (size_t i = 0; i < p->nsec; i++)
        if (p->sec[i].kind == SEC_REGION)
            load_region(p, &p->sec[i], &l->regions[l->nregions++]);
    place_tags(p, l);
    /* Loaded in file order, so the error reported is the first in the file. */
    struct alarm_list alarms = {0};
    for (size_t i = 0; i < p->nsec; i++)
        if (p->sec[i].kind == SEC_TAG)
            layout_load_tag(p, &p->sec[i], l, &l->tags[p->sec[i].slot - 1], &alarms);
    l->alarms = alarms.a;
    l->nalarms = alarms.n;
    if (p->failed)
        return -1;
    layout_load_logic(p, logic_sec, l, &l->logic);
    if (p->failed)
        return -1;
    add_alarm_tags(p, l);
    if (p->failed)
        return -1;
    assign_offsets(p, l);
    layout_check_bindings(p, l);
    if (p->failed)
        return -1;
    /* Last: it names tags, the alarm region's too. Not in the hash (deployment). */
    layout_load_mqtt(p, mqtt_sec, l, &l->mqtt);
    if (p->failed || p->oom)
        return -1;
    if (layout_hash(l, &l->hash) < 0) {
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
    free(l->alarms);
    layout_mqtt_free(&l->mqtt);
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

const struct plc_mqtt_config *plc_layout_get_mqtt(const struct plc_layout *l)
{
    return &l->mqtt;
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

size_t plc_layout_alarm_count(const struct plc_layout *l) { return l->nalarms; }

const struct plc_alarm_def *plc_layout_alarm_at(const struct plc_layout *l, size_t i)
{
    return i < l->nalarms ? &l->alarms[i] : NULL;
}

const struct plc_alarm_def *plc_layout_find_alarm(const struct plc_layout *l, const char *name)
{
    for (size_t i = 0; i < l->nalarms; i++)
        if (strcmp(l->alarms[i].name, name) == 0)
            return &l->alarms[i];
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
