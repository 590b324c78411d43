/* SPDX-License-Identifier: MIT */
/*
 * struct plc_modbus_core: one request PDU in, one response PDU out, against
 * the process image.
 *
 * Every request is checked whole before anything is read or written, in the
 * order the Modbus specification gives: function (ILLEGAL FUNCTION), quantity
 * and byte count (ILLEGAL DATA VALUE), addresses (ILLEGAL DATA ADDRESS: unmapped
 * (a read answers zeros there when the layout says unmapped_reads = zero),
 * read-only, half of a 32-bit value, or a write across two regions), then the
 * values (ILLEGAL DATA VALUE: outside the tag's min..max). Only then is the one
 * plc_region_write_tags() of the region made, so a refused write changes
 * nothing and an accepted one is seen whole. A read takes one
 * plc_region_read_tags() snapshot per region it touches.
 *
 * Reads are the gateway's hot path: what they need of each map entry is packed
 * into struct mb_ent once, so a read of 125 registers walks a small array and
 * the snapshot instead of 125 tag definitions spread over the layout.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "internal.h"

struct mb_region {
    struct plc_region *handle;
    uint8_t *data;                    /* data_size scratch: the snapshot, or the write */
    uint8_t *old;                     /* regions it writes: the values a write replaces */
    const struct plc_tag_def **tags;  /* tags of this region in the current request */
    size_t ntags;                     /* (not kept for a region read whole) */
    bool whole;   /* small: read whole, as one copy beats many tag ranges */
    bool touched; /* by the current request */
};

/* A map entry as a read needs it. */
struct mb_ent {
    uint32_t offset; /* of the tag in its region's data */
    uint16_t region; /* index into the core's regions */
    uint16_t address;
    uint8_t size;  /* of the tag's value: 1 (bool, int8, uint8), 2, 4 or 8 bytes */
    uint8_t count; /* registers or bits: 1, 2 or 4 */
    uint8_t word_order;
    bool sign;     /* int8: sign-extended to its register */
};

/* Registers of the widest value (64 bits). */
#define MB_WORDS_MAX 4

struct plc_modbus_core {
    const struct plc_layout *layout;
    struct plc_modbus_map *map;
    struct mb_region *regions;
    size_t nregions;
    const struct plc_region_def *first_def;
    struct mb_ent *ent; /* by map entry index */
    /* entries of the current request, in address order (one per bit at most) */
    uint16_t ents[MODBUS_MAX_READ_BITS];
    size_t nents;
    uint16_t *touched; /* regions of the current request's entries, each once */
    size_t ntouched;
    bool zero_unmapped; /* [modbus] unmapped_reads = zero */
    struct plc_modbus_stats stats;
    struct mb_ident ident;
    uint8_t unit_id;
    const struct plc_tag_def *fault_state; /* the logic's, in its diagnostics region, or NULL */
    int64_t logic_stale_ns; /* a logic region not written for this long: the logic stopped */
    struct plc_event_ring *events; /* or NULL */
    const char *client;            /* who sends the current request, or NULL */
};

static inline size_t region_index(const struct plc_modbus_core *c, const struct plc_tag_def *t)
{
    return (size_t)(t->region - c->first_def);
}

void plc_modbus_core_free(struct plc_modbus_core *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->regions && i < c->nregions; i++) {
        plc_region_detach(c->regions[i].handle);
        free(c->regions[i].data);
        free(c->regions[i].old);
        free(c->regions[i].tags);
    }
    free(c->regions);
    free(c->ent);
    free(c->touched);
    plc_modbus_map_free(c->map);
    free(c);
}

struct plc_modbus_core *plc_modbus_core_new(const struct plc_layout *l, const char *base_dir,
                                            struct plc_diag *diag)
{
    struct plc_modbus_core *c = calloc(1, sizeof(*c));
    int err = ENOMEM;
    if (!c)
        return NULL;
    c->layout = l;
    if (!(c->map = plc_modbus_map_new(l, diag)))
        goto fail_errno;
    c->nregions = plc_layout_region_count(l);
    c->first_def = plc_layout_region_at(l, 0);
    if (!(c->regions = calloc(c->nregions, sizeof(*c->regions))))
        goto fail;
    for (size_t i = 0; i < c->nregions; i++) {
        const struct plc_region_def *def = plc_layout_region_at(l, i);
        struct mb_region *r = &c->regions[i];
        bool mine = strcmp(def->writer, "modbus") == 0;
        r->data = calloc(1, def->data_size);
        r->old = mine ? calloc(1, def->data_size) : NULL;
        r->whole = def->data_size <= 4096;
        r->tags = calloc(def->tag_count ? def->tag_count : 1, sizeof(*r->tags));
        if (!r->data || !r->tags || (mine && !r->old))
            goto fail;
        r->handle = plc_region_attach(l, base_dir, def->name, mine ? PLC_WRITER : PLC_READER,
                                      "modbus", diag);
        if (!r->handle)
            goto fail_errno;
    }
    c->ent = calloc(c->map->count, sizeof(*c->ent));
    c->touched = calloc(c->nregions, sizeof(*c->touched));
    if (!c->ent || !c->touched)
        goto fail;
    for (size_t i = 0; i < c->map->count; i++) {
        const struct plc_modbus_map_entry *e = &c->map->entries[i];
        c->ent[i] = (struct mb_ent){.offset = (uint32_t)e->tag->offset,
                                    .region = (uint16_t)region_index(c, e->tag),
                                    .address = e->address,
                                    .size = (uint8_t)e->tag->size,
                                    .count = (uint8_t)e->count,
                                    .word_order = (uint8_t)e->tag->modbus.word_order,
                                    .sign = e->tag->type == PLC_TYPE_INT8};
    }
    mb_ident_init(&c->ident, l);
    c->unit_id = plc_layout_get_modbus(l)->unit_id;
    c->zero_unmapped = plc_layout_get_modbus(l)->unmapped_reads_zero;
    const struct plc_logic_def *logic = plc_layout_get_logic(l);
    const struct plc_tag_def *fs = plc_layout_find_tag(l, "fault_state");
    if (fs && logic->diagnostics && fs->region == logic->diagnostics)
        c->fault_state = fs;
    /* A scan may run up to the watchdog before it faults, then waits a period; twice
     * that, and never under plc-io's 500 ms, is silence no running logic keeps. */
    c->logic_stale_ns = 2000 * ((int64_t)logic->period_us + logic->watchdog_us);
    if (c->logic_stale_ns < 500000000)
        c->logic_stale_ns = 500000000;
    return c;
fail_errno:
    err = errno;
fail:
    plc_modbus_core_free(c);
    errno = err;
    return NULL;
}

const struct plc_modbus_map *plc_modbus_core_get_map(const struct plc_modbus_core *c)
{
    return c->map;
}

void plc_modbus_core_set_events(struct plc_modbus_core *c, struct plc_event_ring *events)
{
    c->events = events;
    for (size_t i = 0; events && i < c->nregions; i++)
        if (c->regions[i].old)
            plc_event_ring_post_takeover(events, PLC_SOURCE_MODBUS, c->regions[i].handle);
}

void plc_modbus_core_set_client(struct plc_modbus_core *c, const char *client)
{
    c->client = client;
}

void plc_modbus_core_heartbeat(struct plc_modbus_core *c)
{
    for (size_t i = 0; i < c->nregions; i++)
        if (strcmp(plc_region_get_def(c->regions[i].handle)->writer, "modbus") == 0)
            plc_region_heartbeat(c->regions[i].handle);
}

void plc_modbus_core_get_stats(const struct plc_modbus_core *c, struct plc_modbus_stats *s)
{
    *s = c->stats;
}

static inline unsigned get16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static inline void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static size_t exception(struct plc_modbus_core *c, uint8_t fc, uint8_t code, uint8_t *rsp)
{
    rsp[0] = (uint8_t)(fc | 0x80);
    rsp[1] = code;
    if (code < sizeof(c->stats.exceptions) / sizeof(c->stats.exceptions[0]))
        c->stats.exceptions[code]++;
    return 2;
}

/* The request's @k-th entry and where its value is in the scratch data. */
static inline const struct mb_ent *ent_at(const struct plc_modbus_core *c, size_t k,
                                          const uint8_t **value)
{
    const struct mb_ent *e = &c->ent[c->ents[k]];
    *value = c->regions[e->region].data + e->offset;
    return e;
}

/* The request's tags in each region too big to be read whole, for its snapshot. */
static void list_tags(struct plc_modbus_core *c)
{
    for (size_t k = 0; k < c->nents; k++) {
        struct mb_region *r = &c->regions[c->ent[c->ents[k]].region];
        if (!r->whole)
            r->tags[r->ntags++] = c->map->entries[c->ents[k]].tag;
    }
}

/*
 * The entries covering [addr, addr + qty) of @table, each once, in order, and the
 * regions they touch. Returns 0, or the exception code. For a write every entry
 * must be writable, whole inside the range, and of one region.
 */
static int collect(struct plc_modbus_core *c, int table, unsigned addr, unsigned qty,
                   bool write)
{
    const struct plc_modbus_map *m = c->map;
    for (size_t k = 0; k < c->ntouched; k++)
        c->regions[c->touched[k]].touched = false;
    c->nents = 0;
    c->ntouched = 0;
    if (addr + qty > 65536)
        return PLC_MODBUS_EX_ILLEGAL_ADDRESS;
    /* Locals, so the stores below need not reload the core's fields. */
    const uint16_t *slot = m->slot[table];
    const struct mb_ent *ent = c->ent;
    uint16_t *ents = c->ents;
    size_t n = 0;
    long last = -1;
    unsigned last_region = UINT16_MAX + 1u;
    bool big = false;
    for (unsigned a = addr; a < addr + qty; a++) {
        long i = slot ? (long)slot[a] - 1 : -1;
        if (i < 0) {
            if (!write && c->zero_unmapped)
                continue; /* read as 0 by its caller, as the layout asked */
            c->nents = n;
            return PLC_MODBUS_EX_ILLEGAL_ADDRESS; /* no silent zeros */
        }
        if (i == last)
            continue; /* a later register of a 32- or 64-bit value */
        last = i;
        ents[n++] = (uint16_t)i;
        unsigned ri = ent[i].region;
        if (ri == last_region)
            continue;
        last_region = ri;
        struct mb_region *r = &c->regions[ri];
        if (!r->touched) {
            r->touched = true;
            r->ntags = 0;
            c->touched[c->ntouched++] = (uint16_t)ri;
            big |= !r->whole;
        }
    }
    c->nents = n;
    if (big)
        list_tags(c);
    if (!write)
        return 0;
    const struct plc_modbus_map_entry *first = &m->entries[c->ents[0]];
    const struct plc_modbus_map_entry *end = &m->entries[c->ents[c->nents - 1]];
    if (first->address < addr || end->address + end->count > addr + qty)
        return PLC_MODBUS_EX_ILLEGAL_ADDRESS; /* part of a 32- or 64-bit value */
    for (size_t k = 0; k < c->nents; k++) {
        const struct plc_modbus_map_entry *e = &m->entries[c->ents[k]];
        if (!e->writable || e->tag->region != first->tag->region)
            return PLC_MODBUS_EX_ILLEGAL_ADDRESS;
    }
    return 0;
}

/* One snapshot per region the collected entries touch; 0 or an exception code. */
static int snapshot(struct plc_modbus_core *c)
{
    int rc = 0;
    for (size_t k = 0; k < c->ntouched; k++) {
        struct mb_region *r = &c->regions[c->touched[k]];
        int rc1 = r->whole ? plc_region_read(r->handle, r->data)
                           : plc_region_read_tags(r->handle, r->tags, r->ntags, r->data);
        if (rc1 < 0) {
            c->stats.device_failures++;
            rc = PLC_MODBUS_EX_DEVICE_FAILURE;
        }
    }
    return rc;
}

/*
 * Word orders over 2 or 4 registers: the words of the value, most significant
 * first (ABCD), with the order of the words reversed for CDAB and DCBA and the
 * bytes in each word swapped for BADC and DCBA, so a 64-bit value follows the
 * rules of a 32-bit one (docs/layout.md, Word order).
 */
static bool order_low_first(unsigned order)
{
    return order == PLC_WORD_ORDER_CDAB || order == PLC_WORD_ORDER_DCBA;
}

static bool order_swaps_bytes(unsigned order)
{
    return order == PLC_WORD_ORDER_BADC || order == PLC_WORD_ORDER_DCBA;
}

static uint16_t swap16(uint16_t w)
{
    return (uint16_t)(w << 8 | w >> 8);
}

/* The raw bits of a value of @size bytes at @p (host order). */
static uint64_t raw_load(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return *p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

/* The 16-bit words of a register entry's value at @p, in its word order. */
static void ent_words(const struct mb_ent *e, const uint8_t *p, uint16_t w[MB_WORDS_MAX])
{
    if (e->count == 1) {
        /* int8 sign-extended, so -1 reads as 0xffff as it would from an int16 */
        w[0] = e->sign ? (uint16_t)(int16_t)(int8_t)*p : (uint16_t)raw_load(p, e->size);
        return;
    }
    uint64_t u = raw_load(p, e->size);
    for (unsigned j = 0; j < e->count; j++) {
        uint16_t x = (uint16_t)(u >> (16 * (e->count - 1 - j))); /* high word first */
        if (order_swaps_bytes(e->word_order))
            x = swap16(x);
        w[order_low_first(e->word_order) ? e->count - 1 - j : j] = x;
    }
}

/* The inverse: words as they came on the wire to the tag's raw bits. */
static uint64_t words_raw(unsigned order, unsigned count, const uint16_t *w)
{
    uint64_t u = 0;
    for (unsigned j = 0; j < count; j++) {
        uint16_t x = w[order_low_first(order) ? count - 1 - j : j];
        if (order_swaps_bytes(order))
            x = swap16(x);
        u = u << 16 | x;
    }
    return u;
}

/* Exact value of a register tag from its words; false when it is no number (NaN, inf). */
static bool words_value(const struct plc_tag_def *t, const uint16_t *w, struct plc_value *v)
{
    uint64_t u = words_raw(t->modbus.word_order, t->modbus.count, w);
    switch (t->type) {
    case PLC_TYPE_INT8:
    case PLC_TYPE_INT16: v->i = (int16_t)w[0]; return true; /* int8: range-checked after */
    case PLC_TYPE_UINT8:
    case PLC_TYPE_UINT16: v->u = w[0]; return true;
    case PLC_TYPE_INT32: v->i = (int32_t)(uint32_t)u; return true;
    case PLC_TYPE_UINT32: v->u = (uint32_t)u; return true;
    case PLC_TYPE_INT64: v->i = (int64_t)u; return true;
    case PLC_TYPE_UINT64: v->u = u; return true;
    case PLC_TYPE_FLOAT32: {
        uint32_t u32 = (uint32_t)u;
        float f;
        memcpy(&f, &u32, 4);
        v->f = f;
        return isfinite(f);
    }
    case PLC_TYPE_FLOAT64: memcpy(&v->f, &u, 8); return isfinite(v->f);
    default: return false;
    }
}

/* The public face of ent_words() and words_value(), for clients such as plc-web:
 * one encoding of a tag's value on the wire, the gateway's. */
void plc_modbus_tag_words(const struct plc_tag_def *tag, const struct plc_value *v,
                          uint16_t *words)
{
    uint8_t bytes[8] = {0};
    const struct mb_ent e = {.size = (uint8_t)tag->size,
                             .count = (uint8_t)tag->modbus.count,
                             .word_order = (uint8_t)tag->modbus.word_order,
                             .sign = tag->type == PLC_TYPE_INT8};
    uint16_t w[MB_WORDS_MAX];
    plc_value_store(tag->type, v, bytes);
    ent_words(&e, bytes, w);
    memcpy(words, w, e.count * sizeof(*w));
}

int plc_modbus_tag_value(const struct plc_tag_def *tag, const uint16_t *words,
                         struct plc_value *v)
{
    if (!words_value(tag, words, v)) {
        errno = ERANGE;
        return -1;
    }
    return 0;
}

static size_t read_bits(struct plc_modbus_core *c, const uint8_t *req, size_t len,
                        uint8_t *rsp)
{
    uint8_t fc = req[0];
    if (len != 5)
        return exception(c, fc, PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    unsigned addr = get16(req + 1), qty = get16(req + 3);
    if (qty < 1 || qty > MODBUS_MAX_READ_BITS)
        return exception(c, fc, PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    int table = fc == 0x01 ? PLC_MODBUS_COIL : PLC_MODBUS_DISCRETE_INPUT;
    int ex = collect(c, table, addr, qty, false);
    if (!ex)
        ex = snapshot(c);
    if (ex)
        return exception(c, fc, (uint8_t)ex, rsp);
    size_t nbytes = (qty + 7) / 8;
    rsp[0] = fc;
    rsp[1] = (uint8_t)nbytes;
    memset(rsp + 2, 0, nbytes);
    for (size_t k = 0; k < c->nents; k++) {
        const uint8_t *v;
        unsigned bit = ent_at(c, k, &v)->address - addr;
        if (*v)
            rsp[2 + bit / 8] |= (uint8_t)(1u << (bit % 8));
    }
    return 2 + nbytes;
}

/* Registers [addr, addr + qty) of @table into @out (big-endian), from fresh snapshots. */
static int read_regs(struct plc_modbus_core *c, int table, unsigned addr, unsigned qty,
                     uint8_t *out)
{
    int ex = collect(c, table, addr, qty, false);
    if (!ex)
        ex = snapshot(c);
    if (ex)
        return ex;
    if (c->zero_unmapped)
        memset(out, 0, 2 * (size_t)qty);
    /* Locals, as the compiler must assume the stores into @out reach the core. */
    const struct mb_ent *ent = c->ent;
    const struct mb_region *regions = c->regions;
    const uint16_t *ents = c->ents;
    for (size_t k = 0, n = c->nents; k < n; k++) {
        const struct mb_ent *e = &ent[ents[k]];
        uint16_t w[MB_WORDS_MAX];
        ent_words(e, regions[e->region].data + e->offset, w);
        if (e->count == 1) {
            put16(out + 2 * (e->address - addr), w[0]);
            continue;
        }
        for (unsigned i = 0; i < e->count; i++) {
            unsigned a = e->address + i;
            if (a >= addr && a < addr + qty)
                put16(out + 2 * (a - addr), w[i]); /* a read may take half a value */
        }
    }
    return 0;
}

static size_t read_registers(struct plc_modbus_core *c, const uint8_t *req, size_t len,
                             uint8_t *rsp)
{
    uint8_t fc = req[0];
    if (len != 5)
        return exception(c, fc, PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    unsigned addr = get16(req + 1), qty = get16(req + 3);
    if (qty < 1 || qty > MODBUS_MAX_READ_REGISTERS)
        return exception(c, fc, PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    int table = fc == 0x03 ? PLC_MODBUS_HOLDING_REGISTER : PLC_MODBUS_INPUT_REGISTER;
    int ex = read_regs(c, table, addr, qty, rsp + 2);
    if (ex)
        return exception(c, fc, (uint8_t)ex, rsp);
    rsp[0] = fc;
    rsp[1] = (uint8_t)(2 * qty);
    return 2 + 2 * qty;
}

/* One event per tag of @r's last write whose value changed (old values in r->old). */
static void post_writes(struct plc_modbus_core *c, const struct mb_region *r)
{
    for (size_t k = 0; k < c->nents; k++) {
        const struct plc_tag_def *t = r->tags[k];
        double before = plc_tag_decode(t, r->old), after = plc_tag_decode(t, r->data);
        /* the bytes, not the doubles: int64 values past 2^53 may round alike */
        if (memcmp(r->old + t->offset, r->data + t->offset, t->size) != 0)
            plc_event_ring_post(c->events, PLC_SOURCE_MODBUS, PLC_EVENT_MODBUS_WRITE,
                                LOG_NOTICE, t->name, before, after, "%s",
                                c->client ? c->client : "");
    }
}

/* Publish the collected entries (all of one region) from its scratch, in one update. */
static int publish(struct plc_modbus_core *c)
{
    const struct plc_modbus_map *m = c->map;
    struct mb_region *r = &c->regions[c->ent[c->ents[0]].region];
    for (size_t k = 0; k < c->nents; k++)
        r->tags[k] = m->entries[c->ents[k]].tag;
    /* The gateway is the region's only writer: what it reads now is what it replaces. */
    bool post = c->events && plc_region_read_tags(r->handle, r->tags, c->nents, r->old) == 0;
    if (plc_region_write_tags(r->handle, r->tags, c->nents, r->data) < 0) {
        c->stats.device_failures++;
        return PLC_MODBUS_EX_DEVICE_FAILURE;
    }
    c->stats.writes++;
    if (post)
        post_writes(c, r);
    return 0;
}

/* The writable tags of [addr, addr + qty) of @table and the staging data of
 * their one region; 0, or the exception a write there gets. */
static int stage_begin(struct plc_modbus_core *c, enum plc_modbus_table table, unsigned addr,
                       unsigned qty, unsigned flags, uint8_t **data)
{
    int ex = collect(c, table, addr, qty, true);
    if (ex)
        return ex;
    if (flags & PLC_MODBUS_READ_ONLY)
        return PLC_MODBUS_EX_ILLEGAL_ADDRESS;
    *data = c->regions[c->ent[c->ents[0]].region].data;
    return 0;
}

/* Check and stage register values for [addr, addr + qty); 0 or an exception code. */
static int stage_registers(struct plc_modbus_core *c, unsigned addr, unsigned qty,
                           const uint8_t *values, unsigned flags)
{
    uint8_t *data;
    int ex = stage_begin(c, PLC_MODBUS_HOLDING_REGISTER, addr, qty, flags, &data);
    if (ex)
        return ex;
    const struct plc_modbus_map *m = c->map;
    for (size_t k = 0; k < c->nents; k++) {
        const struct plc_modbus_map_entry *e = &m->entries[c->ents[k]];
        const struct plc_tag_def *t = e->tag;
        uint16_t w[MB_WORDS_MAX] = {0};
        struct plc_value v;
        for (unsigned i = 0; i < e->count; i++)
            w[i] = (uint16_t)get16(values + 2 * (e->address + i - addr));
        if (!words_value(t, w, &v) || !plc_value_in_range(t->type, &v, &t->min_v, &t->max_v))
            return PLC_MODBUS_EX_ILLEGAL_VALUE;
        plc_value_store(t->type, &v, data + t->offset);
    }
    return 0;
}

static int stage_coils(struct plc_modbus_core *c, unsigned addr, unsigned qty,
                       const uint8_t *bits, unsigned flags)
{
    uint8_t *data;
    int ex = stage_begin(c, PLC_MODBUS_COIL, addr, qty, flags, &data);
    if (ex)
        return ex;
    const struct plc_modbus_map *m = c->map;
    for (size_t k = 0; k < c->nents; k++) {
        const struct plc_modbus_map_entry *e = &m->entries[c->ents[k]];
        unsigned bit = e->address - addr;
        plc_tag_encode(e->tag, (bits[bit / 8] >> (bit % 8)) & 1, data);
    }
    return 0;
}

/* Publish a write staged without exception (@ex 0) and echo the first @echo bytes
 * of the request, or answer the exception. */
static size_t finish_write(struct plc_modbus_core *c, const uint8_t *req, int ex, size_t echo,
                           uint8_t *rsp)
{
    if (!ex)
        ex = publish(c);
    if (ex)
        return exception(c, req[0], (uint8_t)ex, rsp);
    memcpy(rsp, req, echo);
    return echo;
}

static size_t write_single_coil(struct plc_modbus_core *c, const uint8_t *req, size_t len,
                                unsigned flags, uint8_t *rsp)
{
    if (len != 5)
        return exception(c, req[0], PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    unsigned v = get16(req + 3);
    if (v != 0xFF00 && v != 0x0000)
        return exception(c, req[0], PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    uint8_t bit = v ? 1 : 0;
    int ex = stage_coils(c, get16(req + 1), 1, &bit, flags);
    return finish_write(c, req, ex, 5, rsp);
}

static size_t write_single_register(struct plc_modbus_core *c, const uint8_t *req, size_t len,
                                    unsigned flags, uint8_t *rsp)
{
    if (len != 5)
        return exception(c, req[0], PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    int ex = stage_registers(c, get16(req + 1), 1, req + 3, flags);
    return finish_write(c, req, ex, 5, rsp);
}

/* FC22: the register's current value from a snapshot, masked, then written as FC06
 * would write it. The gateway is its regions' only writer and serves one request at
 * a time, so nothing can change the register between the read and the write. */
static size_t mask_write_register(struct plc_modbus_core *c, const uint8_t *req, size_t len,
                                  unsigned flags, uint8_t *rsp)
{
    if (len != 7)
        return exception(c, req[0], PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    unsigned addr = get16(req + 1), and_mask = get16(req + 3), or_mask = get16(req + 5);
    uint8_t *data, value[2];
    int ex = stage_begin(c, PLC_MODBUS_HOLDING_REGISTER, addr, 1, flags, &data);
    if (!ex)
        ex = snapshot(c);
    if (!ex) {
        uint16_t w[MB_WORDS_MAX];
        const uint8_t *v;
        const struct mb_ent *e = ent_at(c, 0, &v);
        ent_words(e, v, w);
        put16(value, (w[0] & and_mask) | (or_mask & ~and_mask));
        ex = stage_registers(c, addr, 1, value, flags);
    }
    return finish_write(c, req, ex, 7, rsp);
}

static size_t write_multiple_coils(struct plc_modbus_core *c, const uint8_t *req, size_t len,
                                   unsigned flags, uint8_t *rsp)
{
    if (len < 6)
        return exception(c, req[0], PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    unsigned addr = get16(req + 1), qty = get16(req + 3), bc = req[5];
    if (qty < 1 || qty > MODBUS_MAX_WRITE_BITS || bc != (qty + 7) / 8 || len != 6 + bc)
        return exception(c, req[0], PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    int ex = stage_coils(c, addr, qty, req + 6, flags);
    return finish_write(c, req, ex, 5, rsp);
}

static size_t write_multiple_registers(struct plc_modbus_core *c, const uint8_t *req,
                                       size_t len, unsigned flags, uint8_t *rsp)
{
    if (len < 6)
        return exception(c, req[0], PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    unsigned addr = get16(req + 1), qty = get16(req + 3), bc = req[5];
    if (qty < 1 || qty > MODBUS_MAX_WRITE_REGISTERS || bc != 2 * qty || len != 6 + bc)
        return exception(c, req[0], PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    int ex = stage_registers(c, addr, qty, req + 6, flags);
    return finish_write(c, req, ex, 5, rsp);
}

static size_t read_write_registers(struct plc_modbus_core *c, const uint8_t *req, size_t len,
                                   unsigned flags, uint8_t *rsp)
{
    if (len < 10)
        return exception(c, req[0], PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    unsigned raddr = get16(req + 1), rqty = get16(req + 3);
    unsigned waddr = get16(req + 5), wqty = get16(req + 7), bc = req[9];
    if (rqty < 1 || rqty > MODBUS_MAX_WR_READ_REGISTERS || wqty < 1 ||
        wqty > MODBUS_MAX_WR_WRITE_REGISTERS || bc != 2 * wqty || len != 10 + bc)
        return exception(c, req[0], PLC_MODBUS_EX_ILLEGAL_VALUE, rsp);
    /* The read part is checked before the write is made, so a bad read writes nothing. */
    int ex = collect(c, PLC_MODBUS_HOLDING_REGISTER, raddr, rqty, false);
    if (!ex)
        ex = stage_registers(c, waddr, wqty, req + 10, flags);
    if (!ex)
        ex = publish(c);
    if (!ex)
        ex = read_regs(c, PLC_MODBUS_HOLDING_REGISTER, raddr, rqty, rsp + 2);
    if (ex)
        return exception(c, req[0], (uint8_t)ex, rsp);
    rsp[0] = req[0];
    rsp[1] = (uint8_t)(2 * rqty);
    return 2 + 2 * rqty;
}

/*
 * FC17's run indicator: whether the PLC's logic runs, as far as the process image
 * shows. Every region the logic writes must have a live writer that wrote (or sent
 * a heartbeat) within logic_stale_ns, and the logic's fault_state, where the layout
 * has one, must read 0 (a faulted scan keeps the outputs region alive at its safe
 * values). A layout where nothing is written by the logic never runs.
 */
static bool logic_running(struct plc_modbus_core *c)
{
    bool any = false;
    for (size_t i = 0; i < c->nregions; i++) {
        struct plc_region_info info;
        if (strcmp(plc_region_get_def(c->regions[i].handle)->writer, "logic") != 0)
            continue;
        if (plc_region_get_info(c->regions[i].handle, &info) < 0 || !info.writer_alive ||
            info.heartbeat_age_ns < 0 || info.heartbeat_age_ns > c->logic_stale_ns)
            return false;
        any = true;
    }
    double v;
    if (any && c->fault_state &&
        (plc_region_read_tag(c->regions[region_index(c, c->fault_state)].handle,
                             c->fault_state, &v) < 0 ||
         v != 0))
        return false;
    return any;
}

static size_t identify(struct plc_modbus_core *c, const uint8_t *req, size_t len, uint8_t *rsp)
{
    size_t n = 0;
    int ex = req[0] == 0x11 ? mb_ident_report_server_id(&c->ident, c->unit_id, logic_running(c),
                                                        len, rsp, &n)
                            : mb_ident_read_device_id(&c->ident, req, len, PLC_MODBUS_PDU_MAX,
                                                      rsp, &n);
    return ex ? exception(c, req[0], (uint8_t)ex, rsp) : n;
}

const char *mb_exception_name(unsigned code)
{
    switch (code) {
    case PLC_MODBUS_EX_ILLEGAL_FUNCTION: return "illegal function";
    case PLC_MODBUS_EX_ILLEGAL_ADDRESS: return "illegal data address";
    case PLC_MODBUS_EX_ILLEGAL_VALUE: return "illegal data value";
    case PLC_MODBUS_EX_DEVICE_FAILURE: return "server device failure";
    case PLC_MODBUS_EX_GATEWAY_TARGET: return "gateway target device failed to respond";
    default: return "unknown exception";
    }
}

void mb_request_describe(const uint8_t *pdu, size_t len, char *buf, size_t size)
{
    if (len == 0) {
        snprintf(buf, size, "an empty request");
        return;
    }
    int n = snprintf(buf, size, "function 0x%02X", pdu[0]);
    if (n < 0 || (size_t)n >= size)
        return;
    buf += n, size -= (size_t)n;
    switch (pdu[0]) {
    case 0x01: case 0x02: case 0x03: case 0x04: case 0x0F: case 0x10:
        if (len >= 5) {
            snprintf(buf, size, " address %u quantity %u", get16(pdu + 1), get16(pdu + 3));
            return;
        }
        break;
    case 0x05: case 0x06: case 0x16:
        if (len >= 3) {
            snprintf(buf, size, " address %u quantity 1", get16(pdu + 1));
            return;
        }
        break;
    case 0x17:
        if (len >= 9) {
            snprintf(buf, size, " read address %u quantity %u write address %u quantity %u",
                     get16(pdu + 1), get16(pdu + 3), get16(pdu + 5), get16(pdu + 7));
            return;
        }
        break;
    case 0x2B:
        if (len >= 4) {
            snprintf(buf, size, " MEI 0x%02X code %u object 0x%02X", pdu[1], pdu[2], pdu[3]);
            return;
        }
        break;
    }
    snprintf(buf, size, ", %zu bytes", len); /* too short to say more, or nothing more to say */
}

size_t plc_modbus_core_handle(struct plc_modbus_core *c, const uint8_t *req, size_t len,
                              unsigned flags, uint8_t *rsp)
{
    c->stats.requests++;
    if (len == 0)
        return exception(c, 0, PLC_MODBUS_EX_ILLEGAL_FUNCTION, rsp);
    switch (req[0]) {
    case 0x01:
    case 0x02: return read_bits(c, req, len, rsp);
    case 0x03:
    case 0x04: return read_registers(c, req, len, rsp);
    case 0x05: return write_single_coil(c, req, len, flags, rsp);
    case 0x06: return write_single_register(c, req, len, flags, rsp);
    case 0x0F: return write_multiple_coils(c, req, len, flags, rsp);
    case 0x10: return write_multiple_registers(c, req, len, flags, rsp);
    case 0x11: return identify(c, req, len, rsp);
    case 0x16: return mask_write_register(c, req, len, flags, rsp);
    case 0x17: return read_write_registers(c, req, len, flags, rsp);
    case 0x2B: return identify(c, req, len, rsp);
    default: return exception(c, req[0] & 0x7f, PLC_MODBUS_EX_ILLEGAL_FUNCTION, rsp);
    }
}
