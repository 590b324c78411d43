/* SPDX-License-Identifier: MIT */
/*
 * Online change: what a reloaded Structured Text program keeps of the state
 * of the one it replaces, by the tables both export (plc-st.h). A variable
 * is carried when an old one has its program and path (ASCII case ignored,
 * as ST ignores it) and the same kind, size and type name: then its bytes
 * mean the same thing in both. Everything else keeps the value the new
 * program's init gave it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan-internal.h"

static unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static bool same_name(const char *a, const char *b)
{
    while (*a && fold((unsigned char)*a) == fold((unsigned char)*b))
        a++, b++;
    return fold((unsigned char)*a) == fold((unsigned char)*b);
}

/* FNV-1a over the folded program, a separator and the folded path. */
static uint64_t key_hash(const struct plc_st_var *v)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const char *p = v->program; *p; p++)
        h = (h ^ fold((unsigned char)*p)) * 0x100000001b3ull;
    h = (h ^ 0xffu) * 0x100000001b3ull;
    for (const char *p = v->path; *p; p++)
        h = (h ^ fold((unsigned char)*p)) * 0x100000001b3ull;
    return h;
}

/* In the process image, not in the state: nothing to carry. */
static bool in_image(const struct plc_st_var *v)
{
    return v->flags & PLC_ST_VAR_IMAGE;
}

/* A constant's value is the new program's to give, whatever the old one held. */
static bool carriable(const struct plc_st_var *v)
{
    return !(v->flags & (PLC_ST_VAR_IMAGE | PLC_ST_VAR_CONSTANT));
}

int plc_program_meta_check(const struct plc_st_meta *m, size_t state_size, char *why,
                           size_t size)
{
    if (!m->vars && m->var_count) {
        snprintf(why, size, "%u variables but no table", m->var_count);
        return -1;
    }
    for (uint32_t i = 0; i < m->var_count; i++) {
        const struct plc_st_var *v = &m->vars[i];
        if (!v->program || !v->path || !v->type_name) {
            snprintf(why, size, "variable %u has no %s", i,
                     !v->program ? "program" : !v->path ? "path" : "type name");
            return -1;
        }
        const struct plc_st_enum *e = v->enum_type;
        if (e && e->count && (!e->value_names || !e->values)) {
            snprintf(why, size, "variable '%.64s' has an enum type without values", v->path);
            return -1;
        }
        for (uint32_t j = 0; e && j < e->count; j++)
            if (!e->value_names[j]) {
                snprintf(why, size, "variable '%.64s' has an enum value without a name",
                         v->path);
                return -1;
            }
        if (v->flags & PLC_ST_VAR_IMAGE)
            continue;
        if (v->size == 0 || v->offset > state_size || v->size > state_size - v->offset) {
            snprintf(why, size,
                     "variable '%.64s%s%.64s' (offset %zu, %u bytes) is not inside the "
                     "%zu-byte state",
                     v->program, v->program[0] ? "." : "", v->path, v->offset, v->size,
                     state_size);
            return -1;
        }
    }
    return 0;
}

/* The new value of enum @v's old value @old: the value of the same name in
 * the new type, so reordering an enum does not change what a variable means.
 * False when the new type has no such name. */
static bool enum_value(const struct plc_st_var *from, const struct plc_st_var *to, int32_t old,
                       int32_t *out)
{
    const struct plc_st_enum *a = from->enum_type, *b = to->enum_type;
    if (!a || !b) {
        *out = old; /* no names to go by: the same type name is all there is */
        return true;
    }
    for (uint32_t i = 0; i < a->count; i++) {
        if (a->values[i] != old)
            continue;
        for (uint32_t j = 0; j < b->count; j++)
            if (same_name(a->value_names[i], b->value_names[j])) {
                *out = b->values[j];
                return true;
            }
        return false;
    }
    return false;
}

static bool same_type(const struct plc_st_var *a, const struct plc_st_var *b)
{
    return a->kind == b->kind && a->size == b->size && same_name(a->type_name, b->type_name);
}

/* Copy @from's value into @to when their types agree. */
static bool carry_one(const struct plc_st_var *from, const void *from_state,
                      const struct plc_st_var *to, void *to_state)
{
    if (!same_type(from, to))
        return false;
    const unsigned char *src = (const unsigned char *)from_state + from->offset;
    unsigned char *dst = (unsigned char *)to_state + to->offset;
    if (to->kind == PLC_ST_ENUM && to->size == sizeof(int32_t)) {
        int32_t old, now;
        memcpy(&old, src, sizeof(old));
        if (!enum_value(from, to, old, &now))
            return false;
        memcpy(dst, &now, sizeof(now));
        return true;
    }
    memcpy(dst, src, to->size);
    if (to->kind == PLC_ST_STRING)
        dst[to->size - 1] = '\0'; /* NUL-terminated whatever the old state held */
    return true;
}

int plc_program_carry(const struct plc_st_meta *from, const void *from_state,
                      const struct plc_st_meta *to, void *to_state, struct plc_carry *out)
{
    memset(out, 0, sizeof(*out));
    /* An open-addressed index of the old variables by name: a program of
     * 10,000 variables is matched in linear time, once per reload. */
    size_t cap = 16;
    while (cap < 2 * (size_t)from->var_count)
        cap *= 2;
    uint32_t *slot = calloc(cap, sizeof(*slot)); /* index + 1; 0 is empty */
    if (!slot) {
        errno = ENOMEM;
        return -1;
    }
    size_t old_count = 0;
    for (uint32_t i = 0; i < from->var_count; i++) {
        const struct plc_st_var *v = &from->vars[i];
        old_count += !in_image(v);
        if (!carriable(v))
            continue;
        for (size_t k = key_hash(v) & (cap - 1);; k = (k + 1) & (cap - 1)) {
            if (!slot[k]) {
                slot[k] = i + 1;
                break;
            }
            const struct plc_st_var *w = &from->vars[slot[k] - 1];
            if (same_name(w->program, v->program) && same_name(w->path, v->path))
                break; /* a second entry of one name: the first stands */
        }
    }
    for (uint32_t i = 0; i < to->var_count; i++) {
        const struct plc_st_var *v = &to->vars[i];
        if (in_image(v))
            continue;
        const struct plc_st_var *match = NULL;
        for (size_t k = key_hash(v) & (cap - 1); carriable(v) && slot[k]; k = (k + 1) & (cap - 1)) {
            const struct plc_st_var *w = &from->vars[slot[k] - 1];
            if (same_name(w->program, v->program) && same_name(w->path, v->path)) {
                match = w;
                break;
            }
        }
        if (match && carry_one(match, from_state, v, to_state))
            out->kept++;
        else
            out->fresh++;
    }
    out->dropped = old_count > out->kept ? old_count - out->kept : 0;
    free(slot);
    return 0;
}
