/* SPDX-License-Identifier: MIT */
/*
 * DATE, TIME_OF_DAY and DATE_AND_TIME: which operators and conversions exist
 * (IEC 61131-3 edition 3, table 30 and the type conversion functions), and
 * the C they become. All three are int64 ns (plc-date.h), so the arithmetic
 * is TIME's: int64 wrapping at 64 bits, with a TOD result brought back into
 * 0..24 h (plc_tod_wrap, also in fold.c and emit.c).
 */
#include <inttypes.h>
#include <stdio.h>

#include "date.h"
#include "emit.h"
#include "plc-date.h"
#include "sema.h"

#define SEC_NS 1000000000LL
#define MS_NS 1000000LL

bool st_tkind_is_date(enum st_tkind k)
{
    return k == TY_DATE || k == TY_TOD || k == TY_DT;
}

static const struct {
    enum st_op op;
    enum st_tkind a, b, r;
} rules[] = {
    {OP_ADD, TY_TOD, TY_TIME, TY_TOD}, {OP_SUB, TY_TOD, TY_TIME, TY_TOD},
    {OP_ADD, TY_DT, TY_TIME, TY_DT},   {OP_SUB, TY_DT, TY_TIME, TY_DT},
    {OP_SUB, TY_DT, TY_DT, TY_TIME},   {OP_SUB, TY_TOD, TY_TOD, TY_TIME},
    {OP_SUB, TY_DATE, TY_DATE, TY_TIME},
};

const struct st_type *sema_date_binary(struct sema *S, struct st_expr *e,
                                       const struct st_type *a, const struct st_type *b)
{
    enum st_tkind r = 0;
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]) && !r; i++)
        if (rules[i].op == e->op && rules[i].a == a->kind && rules[i].b == b->kind)
            r = rules[i].r;
    /* CONCAT_DATE_TOD is lowered to a + the source cannot write */
    if (e->fn == FN_CONCAT_DATE_TOD && a->kind == TY_DATE && b->kind == TY_TOD)
        r = TY_DT;
    if (!r) {
        static const char *const opn[] = {[OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*",
                                          [OP_DIV] = "/", [OP_MOD] = "MOD"};
        st_error(S->ctx, e->loc, 3003,
                 "%s %s %s is not defined (IEC defines DT - DT, TOD - TOD, DATE - DATE, "
                 "giving TIME, and DT + TIME, DT - TIME, TOD + TIME, TOD - TIME)",
                 a->name, opn[e->op], b->name);
        return st_type_elem(TY_ERROR);
    }
    e->optype = st_type_elem(TY_LINT);
    return st_type_elem(r);
}

bool sema_date_fn(struct sema *S, const struct st_expr *e, int fn, struct st_expr **ops,
                  struct st_expr *low)
{
    static const struct {
        int fn;
        enum st_tkind a, b;
    } sig[] = {
        {FN_ADD_TOD_TIME, TY_TOD, TY_TIME},  {FN_ADD_DT_TIME, TY_DT, TY_TIME},
        {FN_SUB_DT_DT, TY_DT, TY_DT},        {FN_SUB_TOD_TOD, TY_TOD, TY_TOD},
        {FN_SUB_DATE_DATE, TY_DATE, TY_DATE}, {FN_SUB_DT_TIME, TY_DT, TY_TIME},
        {FN_SUB_TOD_TIME, TY_TOD, TY_TIME},  {FN_CONCAT_DATE_TOD, TY_DATE, TY_TOD},
    };
    for (size_t i = 0; i < sizeof(sig) / sizeof(sig[0]); i++) {
        if (sig[i].fn != fn)
            continue;
        for (int k = 0; k < 2; k++) {
            const struct st_type *want = st_type_elem(k ? sig[i].b : sig[i].a);
            if (ops[k]->type->kind != want->kind) {
                char got[48];
                st_type_describe(ops[k]->type, got, sizeof(got));
                st_error(S->ctx, ops[k]->loc, 3001, "input %d of %s must be a %s, not %s", k + 1,
                         e->name, want->name, got);
                return false;
            }
        }
        low->fn = fn;
    }
    return true;
}

/* Integers count seconds for DATE and DT, milliseconds for TOD (as CODESYS). */
static bool counts_seconds(enum st_tkind k)
{
    return k == TY_DATE || k == TY_DT;
}

bool st_date_conv_exists(const struct st_type *from, const struct st_type *to)
{
    enum st_tkind f = from->kind, t = to->kind;
    if (!st_tkind_is_date(f) && !st_tkind_is_date(t))
        return true;
    return f == t || f == TY_STRING || t == TY_STRING ||
           (st_tkind_is_date(f) && st_type_is_anyint(to)) ||
           (st_tkind_is_date(t) && st_type_is_anyint(from)) ||
           (f == TY_DT && (t == TY_DATE || t == TY_TOD)) || (f == TY_DATE && t == TY_DT);
}

bool sema_date_conv(struct sema *S, const struct st_expr *e, const struct st_type *from,
                    const struct st_type *to)
{
    bool ok = st_date_conv_exists(from, to);
    if (!ok)
        st_error(S->ctx, e->loc, 2005,
                 "%s is not defined: DATE, TOD and DT convert to and from STRING and the "
                 "integers, DT to DATE and TOD, DATE to DT (CONCAT_DATE_TOD joins a DATE "
                 "and a TOD)",
                 e->name);
    return ok;
}

int64_t st_date_conv_value(enum st_tkind from, enum st_tkind to, uint64_t w)
{
    int64_t x = (int64_t)w;
    if (st_tkind_is_date(from) && st_tkind_is_date(to)) {
        if (from == TY_DT && to == TY_DATE)
            return plc_dt_to_date(x);
        if (from == TY_DT && to == TY_TOD)
            return plc_dt_to_tod(x);
        return x;
    }
    if (st_tkind_is_date(from)) /* to an integer: truncated toward zero, as TIME's */
        return x / (counts_seconds(from) ? SEC_NS : MS_NS);
    uint64_t ns = w * (uint64_t)(counts_seconds(to) ? SEC_NS : MS_NS); /* wraps */
    if (to == TY_DATE)
        return plc_dt_to_date((int64_t)ns);
    if (to == TY_TOD)
        return plc_tod_wrap((int64_t)ns);
    return (int64_t)ns;
}

static const char *kind_macro(enum st_tkind k)
{
    return k == TY_DATE ? "PLC_DATE_DATE" : k == TY_TOD ? "PLC_DATE_TOD" : "PLC_DATE_DT";
}

bool emit_date_conv(struct emit *E, const struct st_expr *e, const struct st_expr *x)
{
    const struct st_type *a = base(e->srctype), *b = base(e->optype);
    enum st_tkind f = a->kind, t = b->kind;
    FILE *o = E->out;
    if (!st_tkind_is_date(f) && !st_tkind_is_date(t))
        return false;
    if (t == TY_STRING) {
        fprintf(o, "st_date2s(rt, %s, ", kind_macro(f)), ex(E, x), fputc(')', o);
    } else if (f == TY_STRING) {
        fprintf(o, "st_s2date(%s, ", kind_macro(t)), ex(E, x), fputc(')', o);
    } else if (st_tkind_is_date(f) && st_tkind_is_date(t)) {
        if (f == TY_DT && t != TY_DT)
            fprintf(o, "%s(", t == TY_DATE ? "plc_dt_to_date" : "plc_dt_to_tod"), ex(E, x),
                fputc(')', o);
        else
            ex(E, x);
    } else if (st_tkind_is_date(f)) {
        fprintf(o, "((%s)(", ct(b)), ex(E, x);
        fprintf(o, " / %lldLL))", counts_seconds(f) ? SEC_NS : MS_NS);
    } else {
        const char *wrap = t == TY_DATE ? "plc_dt_to_date" : t == TY_TOD ? "plc_tod_wrap" : "";
        fprintf(o, "%s((int64_t)((uint64_t)", wrap), ex(E, x);
        fprintf(o, " * %lluu))", (unsigned long long)(counts_seconds(t) ? SEC_NS : MS_NS));
    }
    return true;
}
