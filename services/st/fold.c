/* SPDX-License-Identifier: MIT */
/*
 * Constant folding: an evaluator of checked expressions written apart from
 * the C emitter (it shares no code with emit.c), so a differential test can
 * set one against the other. Integers are computed on their 64-bit two's
 * complement words (wrapping at the declared width needs only the low bits;
 * 32-bit targets have no 128-bit type), divided and compared by sign; REAL
 * in float, LREAL in double.
 */
#include <math.h>

#include "ast.h"
#include "date.h"
#include "plc-date.h"

static enum st_tkind kind_of(const struct st_type *t)
{
    if (t->kind == TY_ANYINT)
        return TY_LINT;
    if (t->kind == TY_ANYREAL)
        return TY_LREAL;
    return t->kind;
}

static bool is_signed_kind(enum st_tkind k)
{
    return (k >= TY_SINT && k <= TY_LINT) || k == TY_TIME || k == TY_ENUM || st_tkind_is_date(k);
}

static bool is_int_kind(enum st_tkind k)
{
    return (k >= TY_SINT && k <= TY_LWORD) || k == TY_TIME || k == TY_ENUM || st_tkind_is_date(k);
}

static unsigned width(enum st_tkind k)
{
    switch (k) {
    case TY_SINT: case TY_USINT: case TY_BYTE: return 8;
    case TY_INT: case TY_UINT: case TY_WORD: return 16;
    case TY_DINT: case TY_UDINT: case TY_DWORD: case TY_ENUM: return 32;
    default: return 64;
    }
}

/* The value's two's complement word (a signed one sign-extended). */
static uint64_t as_word(const struct st_value *v)
{
    enum st_tkind k = kind_of(v->type);
    if (k == TY_BOOL)
        return v->b;
    return is_signed_kind(k) ? (uint64_t)v->i : v->u;
}

/* Keep the low bits of @p w as a value of kind @p k. */
static void set_wrapped(struct st_value *v, enum st_tkind k, uint64_t w)
{
    unsigned n = width(k);
    uint64_t low = n == 64 ? w : w & ((UINT64_C(1) << n) - 1);
    if (is_signed_kind(k)) {
        if (n < 64 && (low >> (n - 1)) & 1)
            low |= ~(uint64_t)0 << n;
        v->i = (int64_t)low;
    } else {
        v->u = low;
    }
}

/* Signed division toward zero; MIN / -1 wraps to MIN (docs/st.md). */
static int64_t div_wrap(int64_t p, int64_t q)
{
    return p == INT64_MIN && q == -1 ? INT64_MIN : p / q;
}

static double as_double(const struct st_value *v)
{
    enum st_tkind k = kind_of(v->type);
    if (k == TY_REAL || k == TY_LREAL)
        return v->r;
    if (k == TY_BOOL)
        return v->b;
    return is_signed_kind(k) ? (double)v->i : (double)v->u;
}

/* REAL/LREAL to integer: nearest, ties away from zero; NaN 0; saturating. */
static void set_from_real(struct st_value *v, enum st_tkind k, double r)
{
    if (isnan(r)) {
        set_wrapped(v, k, 0);
        return;
    }
    double x = round(r);
    unsigned n = width(k);
    /* the bounds as doubles are exact powers of two: 2^(n-1) and 2^n */
    if (is_signed_kind(k)) {
        double top = ldexp(1.0, (int)n - 1);
        int64_t hi = (int64_t)((UINT64_C(1) << (n - 1)) - 1);
        set_wrapped(v, k, x >= top ? (uint64_t)hi : x < -top ? (uint64_t)(-hi - 1)
                                                             : (uint64_t)(int64_t)x);
    } else {
        double top = ldexp(1.0, (int)n);
        uint64_t hi = n == 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
        set_wrapped(v, k, x >= top ? hi : x <= 0 ? 0 : (uint64_t)x);
    }
}

static struct st_value convert(const struct st_value *v, const struct st_type *to)
{
    struct st_value r = {.type = to, .div0 = v->div0};
    enum st_tkind f = kind_of(v->type), k = kind_of(to);
    if (k == TY_BOOL) {
        r.b = f == TY_REAL || f == TY_LREAL ? v->r != 0 : as_word(v) != 0;
    } else if (k == TY_REAL) {
        /* straight to float: int -> double -> float could round twice */
        if (f == TY_REAL || f == TY_LREAL)
            r.r = (float)v->r;
        else if (f == TY_BOOL)
            r.r = v->b;
        else
            r.r = is_signed_kind(f) ? (float)v->i : (float)v->u;
    } else if (k == TY_LREAL) {
        r.r = f == TY_REAL ? (double)(float)v->r : as_double(v);
    } else if (f == TY_REAL || f == TY_LREAL) {
        set_from_real(&r, k, v->r);
    } else {
        set_wrapped(&r, k, as_word(v));
    }
    return r;
}

static bool fold_binary(const struct st_expr *e, struct st_value *out)
{
    struct st_value a, b;
    if (!st_fold(e->a, &a) || !st_fold(e->b, &b))
        return false;
    const struct st_type *ot = e->optype ? e->optype : e->type;
    enum st_tkind k = kind_of(ot);
    bool div0 = a.div0 || b.div0;
    out->type = e->type;
    out->div0 = div0;
    if (e->op >= OP_EQ && e->op <= OP_GE) {
        if (k == TY_STRING)
            return false;
        struct st_value x = convert(&a, ot), y = convert(&b, ot);
        int c;
        if (k == TY_REAL || k == TY_LREAL) {
            double p = x.r, q = y.r;
            if (isnan(p) || isnan(q)) {
                out->b = e->op == OP_NE;
                return true;
            }
            c = p < q ? -1 : p > q;
        } else if (k == TY_BOOL) {
            c = (int)x.b - (int)y.b;
        } else if (is_signed_kind(k)) {
            c = x.i < y.i ? -1 : x.i > y.i;
        } else {
            c = x.u < y.u ? -1 : x.u > y.u;
        }
        switch (e->op) {
        case OP_EQ: out->b = c == 0; break;
        case OP_NE: out->b = c != 0; break;
        case OP_LT: out->b = c < 0; break;
        case OP_LE: out->b = c <= 0; break;
        case OP_GT: out->b = c > 0; break;
        default: out->b = c >= 0; break;
        }
        return true;
    }
    enum st_tkind rk = kind_of(e->type);
    if (rk == TY_TIME && (e->op == OP_MUL || e->op == OP_DIV) &&
        (kind_of(a.type) != TY_TIME || kind_of(b.type) != TY_TIME)) {
        const struct st_value *t = kind_of(a.type) == TY_TIME ? &a : &b;
        const struct st_value *n = t == &a ? &b : &a;
        enum st_tkind nk = kind_of(n->type);
        if (nk == TY_REAL || nk == TY_LREAL) {
            double r = e->op == OP_MUL ? (double)t->i * as_double(n) : (double)t->i / as_double(n);
            set_from_real(out, TY_TIME, r);
            return true;
        }
        int64_t x = t->i;
        if (e->op == OP_MUL) {
            set_wrapped(out, TY_TIME, (uint64_t)x * as_word(n));
        } else if (as_word(n) == 0) {
            out->div0 = true;
            out->i = 0;
        } else if (!is_signed_kind(nk) && n->u > (uint64_t)INT64_MAX) {
            /* a divisor of 2^63 or more: |x| <= 2^63 */
            out->i = x == INT64_MIN && n->u == (uint64_t)INT64_MAX + 1 ? -1 : 0;
        } else {
            out->i = div_wrap(x, (int64_t)as_word(n));
        }
        return true;
    }
    if (e->op == OP_POW) {
        double r = pow(as_double(&a), as_double(&b));
        out->r = k == TY_REAL ? (float)r : r;
        return true;
    }
    struct st_value x = convert(&a, ot), y = convert(&b, ot);
    if (k == TY_BOOL) {
        out->b = e->op == OP_AND ? (x.b && y.b) : e->op == OP_OR ? (x.b || y.b) : (x.b != y.b);
        return true;
    }
    if (k == TY_REAL || k == TY_LREAL) {
        double p = x.r, q = y.r, r;
        switch (e->op) {
        case OP_ADD: r = p + q; break;
        case OP_SUB: r = p - q; break;
        case OP_MUL: r = p * q; break;
        case OP_DIV: r = p / q; break;
        default: return false;
        }
        if (k == TY_REAL) { /* computed in float, as the generated code does */
            float fp = (float)p, fq = (float)q;
            r = e->op == OP_ADD ? fp + fq : e->op == OP_SUB ? fp - fq
              : e->op == OP_MUL ? fp * fq : fp / fq;
            r = (float)r;
        }
        out->r = r;
        return true;
    }
    if (!is_int_kind(k))
        return false;
    uint64_t p = as_word(&x), q = as_word(&y), r;
    switch (e->op) {
    case OP_ADD: r = p + q; break;
    case OP_SUB: r = p - q; break;
    case OP_MUL: r = p * q; break;
    case OP_DIV: case OP_MOD:
        if (q == 0) {
            out->div0 = true;
            set_wrapped(out, k, 0);
            return true;
        }
        if (!is_signed_kind(k))
            r = e->op == OP_DIV ? p / q : p % q;
        else if (e->op == OP_DIV)
            r = (uint64_t)div_wrap(x.i, y.i);
        else
            r = x.i == INT64_MIN && y.i == -1 ? 0 : (uint64_t)(x.i % y.i);
        break;
    case OP_AND: r = p & q; break;
    case OP_OR: r = p | q; break;
    case OP_XOR: r = p ^ q; break;
    default: return false;
    }
    set_wrapped(out, k, r);
    return true;
}

bool st_fold(const struct st_expr *e, struct st_value *out)
{
    if (!e || !e->type || e->type->kind == TY_ERROR)
        return false;
    struct st_value v = {.type = e->type};
    enum st_tkind k = kind_of(e->type);
    switch (e->kind) {
    case E_INT:
        if (k == TY_REAL || k == TY_LREAL) {
            v.r = e->neg ? -(double)e->ival : (double)e->ival;
            if (k == TY_REAL)
                v.r = (float)v.r;
        } else if (k == TY_BOOL) {
            v.b = e->ival != 0;
        } else {
            set_wrapped(&v, k, e->neg ? 0 - (uint64_t)e->ival : (uint64_t)e->ival);
        }
        break;
    case E_REAL:
        v.r = e->neg ? -e->rval : e->rval;
        if (k == TY_REAL)
            v.r = (float)v.r;
        break;
    case E_BOOL:
        v.b = e->ival != 0;
        break;
    case E_TIME:
        v.i = e->tval;
        break;
    case E_ENUM:
        v.i = e->enumval;
        break;
    case E_NAME: {
        const struct st_var *var = e->var;
        if (!var || !(var->decl->flags & VF_CONSTANT) || !var->decl->init ||
            var->decl->init->kind != I_EXPR || var->tag)
            return false;
        struct st_value iv;
        if (!st_fold(var->decl->init->e, &iv))
            return false;
        v = convert(&iv, var->type);
        break;
    }
    case E_UNARY: {
        struct st_value a;
        if (!st_fold(e->a, &a))
            return false;
        a = convert(&a, e->type);
        v.div0 = a.div0;
        if (e->op == OP_PLUS)
            v = a;
        else if (k == TY_BOOL)
            v.b = !a.b;
        else if (k == TY_REAL || k == TY_LREAL)
            v.r = e->op == OP_NEG ? -a.r : a.r;
        else if (e->op == OP_NEG)
            set_wrapped(&v, k, 0 - as_word(&a));
        else
            set_wrapped(&v, k, ~as_word(&a));
        break;
    }
    case E_BINARY:
        if (!fold_binary(e, &v))
            return false;
        if (kind_of(e->type) == TY_TOD)
            v.i = plc_tod_wrap(v.i);
        break;
    case E_CALL: {
        if (e->callee != CALL_STDFN)
            return false;
        for (const struct st_arg *a = e->args; a; a = a->next)
            if (a->pin < -1)
                return false; /* EN/ENO */
        if (e->fn == FN_MOVE) {
            struct st_value a;
            if (!st_fold(e->b, &a))
                return false;
            v = convert(&a, e->type);
        } else if (e->fn == FN_CONV && e->optype && e->srctype &&
                   kind_of(e->optype) != TY_STRING && kind_of(e->srctype) != TY_STRING) {
            struct st_value a;
            if (!st_fold(e->args->pin >= 0 ? e->args->e : NULL, &a))
                return false;
            a = convert(&a, e->srctype);
            enum st_tkind fk = kind_of(e->srctype), tk = kind_of(e->optype);
            if (st_tkind_is_date(fk) || st_tkind_is_date(tk)) {
                struct st_value d = {.type = st_type_elem(TY_LINT), .div0 = a.div0};
                d.i = st_date_conv_value(fk, tk, as_word(&a));
                v = convert(&d, e->optype);
                break;
            }
            if (fk == TY_TIME && tk != TY_TIME) { /* ms */
                if (tk == TY_REAL || tk == TY_LREAL) {
                    a.type = st_type_elem(TY_LREAL);
                    a.r = (double)a.i / 1e6;
                } else {
                    a.i /= 1000000;
                }
            } else if (tk == TY_TIME && fk != TY_TIME) {
                struct st_value ms = {.type = st_type_elem(TY_TIME)};
                if (fk == TY_REAL || fk == TY_LREAL)
                    set_from_real(&ms, TY_TIME, a.r * 1e6);
                else
                    set_wrapped(&ms, TY_TIME, as_word(&a) * 1000000);
                v = ms;
                break;
            }
            v = convert(&a, e->optype);
        } else {
            return false;
        }
        break;
    }
    default:
        return false;
    }
    v.type = e->type;
    *out = v;
    return true;
}
