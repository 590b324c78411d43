/* SPDX-License-Identifier: MIT */
/*
 * The canonical form of a layout and the hash computed over it.
 *
 * The form names what the regions, tags and alarms of a layout are: sizes,
 * modes, types, offsets, values, bindings and alarm limits. Its hash is what regions, PLC programs
 * and snapshots carry to tell layouts apart, so any change to this text
 * changes the hash of every layout; it lives apart from the loader for that.
 */
#include <stdlib.h>

#include "internal.h"

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

/* initial, min, max and safe: %.17g of the double as ever for the first types,
 * so their layouts keep their hashes; exact for the types that came later. */
static void canonical_values(const struct plc_tag_def *t, char v[4][48])
{
    const double d[4] = {t->initial, t->min, t->max, t->safe};
    const struct plc_value *x[4] = {&t->initial_v, &t->min_v, &t->max_v, &t->safe_v};
    for (int i = 0; i < 4; i++) {
        if (t->type <= PLC_TYPE_FLOAT32)
            snprintf(v[i], 48, "%.17g", d[i]);
        else
            plc_value_format(t->type, x[i], v[i], 48);
    }
}

int plc_layout_write_canonical(const struct plc_layout *l, FILE *out)
{
    fprintf(out, "layout %s\n", plc_layout_get_name(l));
    for (size_t r = 0; r < plc_layout_region_count(l); r++) {
        const struct plc_region_def *g = plc_layout_region_at(l, r);
        fprintf(out, "region %s writer=%s size=%zu data=%zu mode=%04o group=%s\n", g->name,
                g->writer, g->size, g->data_size, (unsigned)g->mode, g->group);
    }
    for (size_t i = 0; i < plc_layout_tag_count(l); i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(l, i);
        char v[4][48];
        canonical_values(t, v);
        fprintf(out, "tag %s region=%s type=%s offset=%zu initial=%s min=%s max=%s", t->name,
                t->region->name, plc_type_name(t->type), t->offset, v[0], v[1], v[2]);
        if (t->safe_mode == PLC_SAFE_HOLD)
            fprintf(out, " safe=hold");
        else
            fprintf(out, " safe=%s", v[3]);
        fprintf(out, " retain=%d", t->retain);
        if (t->gpio.bound)
            fprintf(out, " gpio=%s:%d:%s active_low=%d bias=%d drive=%d debounce=%u",
                    t->gpio.chip, t->gpio.offset, t->gpio.line_name, t->gpio.active_low,
                    t->gpio.bias, t->gpio.drive, t->gpio.debounce_us);
        if (t->modbus.table)
            fprintf(out, " modbus=%s:%u:%s", plc_modbus_table_name(t->modbus.table),
                    t->modbus.address, plc_word_order_name(t->modbus.word_order));
        /* Programs bind located variables by it; written only when set, so
         * a layout without addresses keeps the hash it had before them. */
        if (t->iec_address[0])
            fprintf(out, " iec=%s", t->iec_address);
        fputc('\n', out);
    }
    /* Alarms but their message (text, like a description): a layout without
     * alarms writes no line, so its hash is what it was before alarms. */
    for (size_t i = 0; i < plc_layout_alarm_count(l); i++) {
        const struct plc_alarm_def *a = plc_layout_alarm_at(l, i);
        fprintf(out, "alarm %s tag=%s kind=%s", a->name, a->tag->name,
                plc_alarm_kind_name(a->kind));
        if (a->limit_tag)
            fprintf(out, " limit=%s", a->limit_tag->name);
        else if (a->kind <= PLC_ALARM_LL)
            fprintf(out, " limit=%.17g", a->limit);
        fprintf(out, " deadband=%.17g delay=%u severity=%s latch=%d shelve_max=%u\n",
                a->deadband, a->delay_us, plc_alarm_severity_name(a->severity), a->latch,
                a->shelve_max_s);
    }
    return ferror(out) ? -1 : 0;
}


int layout_hash(const struct plc_layout *l, uint64_t *out)
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
    *out = fnv1a(buf, len);
    free(buf);
    return 0;
}
