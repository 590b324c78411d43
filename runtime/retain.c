/* SPDX-License-Identifier: MIT */
/*
 * plc_retain_*: a loaded snapshot applied to a layout. A region's data made
 * from the stored values (each checked against the tag's type and range), the
 * stored tags the layout no longer retains, the operator's view of both
 * (plc-retain show), and the directory snapshots go to. Apart from
 * snapshot.c, which reads the file, since these follow the layout: they see a
 * snapshot only through its getters.
 */
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "retain-internal.h"

static int cmp_def(const void *a, const void *b)
{
    return strcmp((*(const struct plc_tag_def *const *)a)->name,
                  (*(const struct plc_tag_def *const *)b)->name);
}

/* The layout's retained tags sorted by name (malloc'd), so that matching a
 * 10,000-tag snapshot stays O(n log n); NULL only when out of memory. */
static const struct plc_tag_def **retained_by_name(const struct plc_layout *l, size_t *n)
{
    const struct plc_tag_def **v = malloc((plc_layout_tag_count(l) + 1) * sizeof(*v));
    *n = 0;
    if (!v)
        return NULL;
    for (size_t i = 0; i < plc_layout_tag_count(l); i++)
        if (plc_layout_tag_at(l, i)->retain)
            v[(*n)++] = plc_layout_tag_at(l, i);
    qsort(v, *n, sizeof(*v), cmp_def);
    return v;
}

static const struct plc_tag_def *find_retained(const struct plc_tag_def **v, size_t n,
                                               const char *name)
{
    struct plc_tag_def key;
    const struct plc_tag_def *k = &key;
    snprintf(key.name, sizeof(key.name), "%s", name);
    const struct plc_tag_def **hit = bsearch(&k, v, n, sizeof(*v), cmp_def);
    return hit ? *hit : NULL;
}

const char *plc_retain_dir(const struct plc_layout *layout, const char *override)
{
    const char *env = getenv("RASPIPLC_RETAIN_DIR");
    if (override && *override)
        return override;
    if (env && *env)
        return env;
    if (layout && plc_layout_get_retain_dir(layout))
        return plc_layout_get_retain_dir(layout);
    return PLC_RETAIN_DIR_DEFAULT;
}

/* A stored value as its type prints it, exactly. */
static void format_stored(const struct plc_snapshot_tag *st, char *buf, size_t len)
{
    struct plc_value v = plc_snapshot_tag_get(st);
    plc_value_format(st->type, &v, buf, len);
}

size_t plc_retain_restore_region(const struct plc_snapshot *s, const struct plc_layout *l,
                                 const struct plc_region_def *def, void *data,
                                 plc_retain_log_fn *log, void *user)
{
    size_t restored = 0;
    char v[48], lo[48], hi[48];
    memset(data, 0, def->data_size);
    for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(l, i);
        plc_value_store(t->type, &t->initial_v, (unsigned char *)data + t->offset);
        if (!t->retain || !s)
            continue;
        const struct plc_snapshot_tag *st = plc_snapshot_find_tag(s, t->name);
        plc_value_format(t->type, &t->initial_v, v, sizeof(v));
        if (!st) {
            plc_logf(log, user, PLC_LOG_NOTICE,
                            "tag '%s' (region '%s') is not in snapshot %s: initial value %s",
                            t->name, def->name, plc_snapshot_get_path(s), v);
            continue;
        }
        if (st->type != t->type) {
            plc_logf(
                log, user, PLC_LOG_WARNING,
                "tag '%s' (region '%s') was stored as %s, the layout now says %s: dropped, "
                "initial value %s",
                t->name, def->name, plc_type_name(st->type), plc_type_name(t->type), v);
            continue;
        }
        struct plc_value sv_v = plc_snapshot_tag_get(st);
        bool nan = (t->type == PLC_TYPE_FLOAT32 || t->type == PLC_TYPE_FLOAT64) && isnan(sv_v.f);
        if (nan || !plc_value_in_range(t->type, &sv_v, &t->min_v, &t->max_v)) {
            char sv[48];
            plc_value_format(t->type, &sv_v, sv, sizeof(sv));
            plc_value_format(t->type, &t->min_v, lo, sizeof(lo));
            plc_value_format(t->type, &t->max_v, hi, sizeof(hi));
            plc_logf(log, user, PLC_LOG_WARNING,
                            "tag '%s' (region '%s'): stored value %s is outside min..max "
                            "(%s..%s): dropped, initial value %s",
                            t->name, def->name, sv, lo, hi, v);
            continue;
        }
        plc_value_store(t->type, &sv_v, (unsigned char *)data + t->offset);
        restored++;
    }
    return restored;
}

size_t plc_retain_report_dropped(const struct plc_snapshot *s, const struct plc_layout *l,
                                 plc_retain_log_fn *log, void *user)
{
    size_t n = 0, nr;
    const struct plc_tag_def **kept = s ? retained_by_name(l, &nr) : NULL;
    for (size_t i = 0; kept && i < plc_snapshot_tag_count(s); i++) {
        const struct plc_snapshot_tag *st = plc_snapshot_tag_at(s, i);
        if (find_retained(kept, nr, st->name))
            continue;
        const struct plc_tag_def *t = plc_layout_find_tag(l, st->name);
        n++;
        char v[48];
        format_stored(st, v, sizeof(v));
        plc_logf(log, user, PLC_LOG_WARNING, "tag '%s' (stored %s %s) %s: dropped",
                        st->name, plc_type_name(st->type), v,
                        t ? "is no longer retained in the layout"
                          : "is not in the layout any more");
    }
    free(kept);
    return n;
}

static void format_age(uint64_t then_ns, char *buf, size_t len)
{
    int64_t age = (int64_t)(plc_realtime_ns() - then_ns);
    if (age < 0)
        snprintf(buf, len, "in the future: check the clock");
    else if (age < 120 * 1000000000ll)
        snprintf(buf, len, "%.1f s ago", (double)age / 1e9);
    else if (age < 7200 * 1000000000ll)
        snprintf(buf, len, "%.0f min ago", (double)age / 60e9);
    else
        snprintf(buf, len, "%.1f h ago", (double)age / 3600e9);
}

/* Which file, when, which layout; and why the current file was passed over. */
static void show_summary(const struct plc_snapshot *s, const struct plc_layout *l,
                         const char *dir, FILE *out)
{
    char fallback[1400] = "";
    if (plc_snapshot_is_backup(s)) {
        char cur[PATH_MAX];
        struct plc_diag d;
        plc_snapshot_path(dir, plc_layout_get_name(l), PLC_SNAPSHOT_CURRENT, cur, sizeof(cur));
        if (plc_snapshot_load(cur, &d))
            snprintf(fallback, sizeof(fallback), "(current file appeared while reading)");
        else
            plc_diag_format(&d, fallback, sizeof(fallback));
    }
    char when[64], age[64];
    time_t sec = (time_t)(plc_snapshot_get_time_ns(s) / 1000000000u);
    struct tm tm;
    gmtime_r(&sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    format_age(plc_snapshot_get_time_ns(s), age, sizeof(age));
    fprintf(out, "snapshot: %s%s\n", plc_snapshot_get_path(s),
            plc_snapshot_is_backup(s) ? " (the backup)" : "");
    if (plc_snapshot_is_backup(s))
        fprintf(out, "          current file unusable: %s\n", fallback);
    fprintf(out, "taken:    %s (%s)\n", when, age);
    fprintf(out, "sequence: %" PRIu64 "\n", plc_snapshot_get_seq(s));
    const char *name = plc_snapshot_get_layout_name(s);
    unsigned version = plc_snapshot_get_layout_version(s);
    uint64_t hash = plc_snapshot_get_layout_hash(s);
    bool same = strcmp(name, plc_layout_get_name(l)) == 0 &&
                version == plc_layout_get_version(l) && hash == plc_layout_get_hash(l);
    fprintf(out, "layout:   %s version %u hash %016" PRIx64 "%s\n", name, version, hash,
            same ? " (the running layout)" : " (not the running layout)");
}

/* One row per retained tag, region by region: stored and live value. */
static void show_retained(const struct plc_snapshot *s, const struct plc_layout *l,
                          const char *base, FILE *out)
{
    for (size_t r = 0; r < plc_layout_region_count(l); r++) {
        const struct plc_region_def *def = plc_layout_region_at(l, r);
        struct plc_region *reg = NULL;
        for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++) {
            const struct plc_tag_def *t = plc_layout_tag_at(l, i);
            if (!t->retain)
                continue;
            if (!reg)
                reg = plc_region_attach(l, base, def->name, PLC_READER, NULL, NULL);
            const struct plc_snapshot_tag *st = plc_snapshot_find_tag(s, t->name);
            char stored[48] = "-", live[48] = "-";
            struct plc_value v;
            if (st && st->type == t->type)
                format_stored(st, stored, sizeof(stored));
            else if (st)
                snprintf(stored, sizeof(stored), "(%s)", plc_type_name(st->type));
            if (reg && plc_region_read_value(reg, t, &v) == 0)
                plc_value_format(t->type, &v, live, sizeof(live));
            fprintf(out, "%-24s %-12s %-8s %14s %14s\n", t->name, def->name,
                    plc_type_name(t->type), stored, live);
        }
        plc_region_detach(reg);
    }
}

int plc_retain_show(const struct plc_layout *l, const char *base, const char *dir, FILE *out,
                    struct plc_diag *diag)
{
    struct plc_snapshot *s = plc_snapshot_load_newest(dir, plc_layout_get_name(l), NULL, NULL,
                                                      diag);
    if (!s)
        return -1;
    show_summary(s, l, dir, out);
    fprintf(out, "%-24s %-12s %-8s %14s %14s\n", "TAG", "REGION", "TYPE", "STORED", "LIVE");
    show_retained(s, l, base, out);
    /* and the stored tags no retained tag takes */
    size_t nr;
    const struct plc_tag_def **kept = retained_by_name(l, &nr);
    for (size_t i = 0; kept && i < plc_snapshot_tag_count(s); i++) {
        const struct plc_snapshot_tag *st = plc_snapshot_tag_at(s, i);
        if (find_retained(kept, nr, st->name))
            continue;
        const struct plc_tag_def *t = plc_layout_find_tag(l, st->name);
        char stored[48];
        format_stored(st, stored, sizeof(stored));
        fprintf(out, "%-24s %-12s %-8s %14s %14s\n", st->name, t ? "(not kept)" : "(gone)",
                plc_type_name(st->type), stored, "-");
    }
    free(kept);
    plc_snapshot_free(s);
    return 0;
}
