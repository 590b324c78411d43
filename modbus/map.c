/* SPDX-License-Identifier: MIT */
/*
 * struct plc_modbus_map: the lookup from (table, address) to tag, built once
 * from the layout, and the map printed for people and for SCADA tag import.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static int entry_cmp(const void *a, const void *b)
{
    const struct plc_modbus_map_entry *x = a, *y = b;
    if (x->table != y->table)
        return (int)x->table - (int)y->table;
    return (int)x->address - (int)y->address;
}

struct plc_modbus_map *plc_modbus_map_new(const struct plc_layout *l, struct plc_diag *diag)
{
    plc_diag_clear(diag);
    struct plc_modbus_map *m = calloc(1, sizeof(*m));
    size_t n = 0;
    if (!m)
        return NULL;
    for (size_t i = 0; i < plc_layout_tag_count(l); i++)
        n += plc_layout_tag_at(l, i)->modbus.table != 0;
    if (n == 0 || n > UINT16_MAX - 1) {
        if (diag) {
            snprintf(diag->file, sizeof(diag->file), "%s", plc_layout_get_path(l));
            snprintf(diag->msg, sizeof(diag->msg),
                     n ? "layout binds %zu tags to Modbus, more than the map holds"
                       : "layout binds no tag to Modbus: there is nothing to serve",
                     n);
        }
        free(m);
        errno = EINVAL;
        return NULL;
    }
    m->entries = calloc(n, sizeof(*m->entries));
    if (!m->entries)
        goto fail;
    for (size_t i = 0; i < plc_layout_tag_count(l); i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(l, i);
        if (!t->modbus.table)
            continue;
        struct plc_modbus_map_entry *e = &m->entries[m->count++];
        e->tag = t;
        e->table = t->modbus.table;
        e->address = t->modbus.address;
        e->count = t->modbus.count;
        e->writable = strcmp(t->region->writer, "modbus") == 0 &&
                      (e->table == PLC_MODBUS_COIL || e->table == PLC_MODBUS_HOLDING_REGISTER);
    }
    qsort(m->entries, m->count, sizeof(*m->entries), entry_cmp);
    for (size_t i = 0; i < m->count; i++) {
        const struct plc_modbus_map_entry *e = &m->entries[i];
        if (!m->slot[e->table] && !(m->slot[e->table] = calloc(65536, sizeof(uint16_t))))
            goto fail;
        /* The layout refuses overlaps, so no slot is taken twice. */
        for (unsigned a = e->address; a < (unsigned)e->address + e->count; a++)
            m->slot[e->table][a] = (uint16_t)(i + 1);
    }
    return m;
fail:
    plc_modbus_map_free(m);
    errno = ENOMEM;
    return NULL;
}

void plc_modbus_map_free(struct plc_modbus_map *m)
{
    if (!m)
        return;
    for (int t = 0; t < MB_TABLES; t++)
        free(m->slot[t]);
    free(m->entries);
    free(m);
}

size_t plc_modbus_map_count(const struct plc_modbus_map *m)
{
    return m->count;
}

const struct plc_modbus_map_entry *plc_modbus_map_at(const struct plc_modbus_map *m, size_t i)
{
    return i < m->count ? &m->entries[i] : NULL;
}

const struct plc_modbus_map_entry *plc_modbus_map_find(const struct plc_modbus_map *m,
                                                       enum plc_modbus_table table,
                                                       uint16_t address)
{
    long i = table >= PLC_MODBUS_COIL && table <= PLC_MODBUS_HOLDING_REGISTER
                 ? mb_map_slot(m, table, address)
                 : -1;
    if (i < 0) {
        errno = ENOENT;
        return NULL;
    }
    return &m->entries[i];
}

unsigned long plc_modbus_reference(enum plc_modbus_table table, uint16_t address)
{
    /* The classic five-digit references (00001, 10001, 30001, 40001) reach address
     * 9998; above it the six-digit extended form (400001 + address) takes over. */
    static const unsigned long base5[] = {
        [PLC_MODBUS_COIL] = 1,
        [PLC_MODBUS_DISCRETE_INPUT] = 10001,
        [PLC_MODBUS_INPUT_REGISTER] = 30001,
        [PLC_MODBUS_HOLDING_REGISTER] = 40001,
    };
    static const unsigned long base6[] = {
        [PLC_MODBUS_COIL] = 1,
        [PLC_MODBUS_DISCRETE_INPUT] = 100001,
        [PLC_MODBUS_INPUT_REGISTER] = 300001,
        [PLC_MODBUS_HOLDING_REGISTER] = 400001,
    };
    return (address < 9999 ? base5 : base6)[table] + address;
}

/* "00001", "40101", "410000" (six digits past address 9998). */
static void format_ref(const struct plc_modbus_map_entry *e, char *buf, size_t len)
{
    snprintf(buf, len, e->address < 9999 ? "%05lu" : "%06lu",
             plc_modbus_reference(e->table, e->address));
}

static const char *access_name(const struct plc_modbus_map_entry *e)
{
    return e->writable ? "read-write" : "read-only";
}

static void format_range(const struct plc_modbus_map_entry *e, char *buf, size_t len)
{
    const struct plc_tag_def *t = e->tag;
    char lo[48], hi[48];
    if (t->type == PLC_TYPE_BOOL) {
        snprintf(buf, len, "0..1");
        return;
    }
    plc_value_format(t->type, &t->min_v, lo, sizeof(lo));
    plc_value_format(t->type, &t->max_v, hi, sizeof(hi));
    snprintf(buf, len, "%s..%s", lo, hi);
}

int plc_modbus_map_write_table(const struct plc_modbus_map *m, FILE *out)
{
    fprintf(out, "%-16s %7s %7s  %-24s %-7s %-5s %-10s %-11s %-20s %s\n", "TABLE", "ADDRESS",
            "REF", "TAG", "TYPE", "ORDER", "ACCESS", "REGION", "RANGE", "UNIT");
    for (size_t i = 0; i < m->count; i++) {
        const struct plc_modbus_map_entry *e = &m->entries[i];
        const struct plc_tag_def *t = e->tag;
        char ref[16], addr[16], range[100];
        format_ref(e, ref, sizeof(ref));
        if (e->count > 1)
            snprintf(addr, sizeof(addr), "%u-%u", e->address, e->address + e->count - 1);
        else
            snprintf(addr, sizeof(addr), "%u", e->address);
        format_range(e, range, sizeof(range));
        fprintf(out, "%-16s %7s %7s  %-24s %-7s %-5s %-10s %-11s %-20s %s\n",
                plc_modbus_table_name(e->table), addr, ref, t->name, plc_type_name(t->type),
                e->count > 1 ? plc_word_order_name(t->modbus.word_order) : "-",
                access_name(e), t->region->name, range, t->unit[0] ? t->unit : "-");
    }
    return ferror(out) ? -1 : 0;
}

/* A CSV field: quoted when it holds a comma, quote or line break. */
static void csv_field(FILE *out, const char *s, bool last)
{
    if (strpbrk(s, ",\"\r\n")) {
        fputc('"', out);
        for (; *s; s++) {
            if (*s == '"')
                fputc('"', out);
            fputc(*s, out);
        }
        fputc('"', out);
    } else {
        fputs(s, out);
    }
    fputs(last ? "\r\n" : ",", out);
}

int plc_modbus_map_write_csv(const struct plc_modbus_map *m, FILE *out)
{
    fputs("table,address,reference,count,tag,type,word_order,access,region,min,max,unit,"
          "description\r\n",
          out);
    for (size_t i = 0; i < m->count; i++) {
        const struct plc_modbus_map_entry *e = &m->entries[i];
        const struct plc_tag_def *t = e->tag;
        char ref[16], addr[16], cnt[8], lo[48], hi[48];
        format_ref(e, ref, sizeof(ref));
        snprintf(addr, sizeof(addr), "%u", e->address);
        snprintf(cnt, sizeof(cnt), "%u", e->count);
        if (t->type == PLC_TYPE_BOOL) {
            snprintf(lo, sizeof(lo), "0");
            snprintf(hi, sizeof(hi), "1");
        } else {
            plc_value_format(t->type, &t->min_v, lo, sizeof(lo));
            plc_value_format(t->type, &t->max_v, hi, sizeof(hi));
        }
        csv_field(out, plc_modbus_table_name(e->table), false);
        csv_field(out, addr, false);
        csv_field(out, ref, false);
        csv_field(out, cnt, false);
        csv_field(out, t->name, false);
        csv_field(out, plc_type_name(t->type), false);
        csv_field(out, e->count > 1 ? plc_word_order_name(t->modbus.word_order) : "", false);
        csv_field(out, access_name(e), false);
        csv_field(out, t->region->name, false);
        csv_field(out, lo, false);
        csv_field(out, hi, false);
        csv_field(out, t->unit, false);
        csv_field(out, t->description, true);
    }
    return ferror(out) ? -1 : 0;
}
