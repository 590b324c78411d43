/* SPDX-License-Identifier: MIT */
/*
 * Semantic analysis: name resolution, types, and which POUs are used. Only
 * POUs reachable from the program that runs are checked past their syntax,
 * so an unused pasted-in block may hold what this compiler refuses.
 */
#include <string.h>

#include "date.h"
#include "plc-layout.h"
#include "sema.h"

static void type_name_of(const struct st_type *t, char *buf, size_t len)
{
    st_type_describe(t, buf, len);
}

/* ---- aggregate types and their order ---------------------------------------------- */

void sema_order_push(struct sema *S, const struct st_type *t)
{
    struct st_unit *u = S->unit;
    if (u->order_count == u->order_cap) {
        size_t cap = u->order_cap ? u->order_cap * 2 : 32;
        const struct st_type **v = st_alloc(&S->ctx->arena, cap * sizeof(*v));
        if (u->order_count)
            memcpy(v, u->order, u->order_count * sizeof(*v));
        u->order = v;
        u->order_cap = cap;
    }
    u->order[u->order_count++] = t;
}

static struct st_type *new_type(struct sema *S, enum st_tkind k, const char *name)
{
    struct st_type *t = st_alloc(&S->ctx->arena, sizeof(*t));
    t->kind = k;
    t->name = name;
    t->id = ++S->next_id;
    return t;
}

static bool const_int(struct sema *S, struct st_expr *e, int64_t *v, const char *what)
{
    const struct st_type *t = sema_expr(S, e);
    if (t->kind == TY_ERROR)
        return false;
    if (t->kind == TY_ANYINT)
        sema_coerce(S, e, st_type_elem(TY_LINT), what);
    struct st_value val;
    if (!st_type_is_anyint(e->type) || !st_fold(e, &val) || val.div0) {
        st_error(S->ctx, e->loc, 3008, "%s must be a constant integer", what);
        return false;
    }
    *v = val.i;
    return true;
}

static const struct st_type *resolve_tspec(struct sema *S, struct st_tspec *ts, const char *name);

static const struct st_type *named_type(struct sema *S, const char *name, struct st_loc loc)
{
    const struct st_type *t = st_type_by_name(name);
    if (t)
        return t;
    for (struct st_typedecl *d = S->unit->types; d; d = d->next) {
        if (!st_ieq(d->name, name))
            continue;
        if (d->type)
            return d->type;
        if (d->resolving) {
            st_error(S->ctx, loc, 2013, "type '%s' contains itself", name);
            return st_type_elem(TY_ERROR);
        }
        d->resolving = true;
        d->type = resolve_tspec(S, d->ts, d->name);
        d->resolving = false;
        return d->type;
    }
    const struct st_stdfb *std = st_stdfb_find(name);
    if (std && std->library && sema_find_pou(S, name))
        std = NULL; /* a library block the file defines itself */
    if (std) {
        struct st_type *f = new_type(S, TY_STDFB, std->name);
        f->std = std;
        return f;
    }
    struct st_pou *u = sema_find_pou(S, name);
    if (u && u->kind == POU_FB) {
        sema_use_pou(S, u, loc, false);
        return u->type ? u->type : st_type_elem(TY_ERROR);
    }
    if (st_ieq(name, "LTIME"))
        st_error(S->ctx, loc, 5005, "type %s is not supported", name);
    else if (u)
        st_error(S->ctx, loc, 2004, "'%s' is a %s, not a type", name,
                 u->kind == POU_PROGRAM ? "PROGRAM" : "FUNCTION");
    else
        st_error(S->ctx, loc, 2004, "unknown type '%s'", name);
    return st_type_elem(TY_ERROR);
}

static struct st_field *fields_of(struct sema *S, struct st_vardecl *decls)
{
    struct st_field *head = NULL, **tail = &head;
    for (struct st_vardecl *d = decls; d; d = d->next) {
        for (struct st_field *f = head; f; f = f->next)
            if (st_ieq(f->name, d->name))
                st_error(S->ctx, d->loc, 2002, "member '%s' is declared twice", d->name);
        struct st_field *f = st_alloc(&S->ctx->arena, sizeof(*f));
        f->name = d->name;
        f->decl = d;
        f->type = d->type = resolve_tspec(S, d->ts, NULL);
        if (d->init)
            sema_check_init(S, d->init, f->type);
        *tail = f;
        tail = &f->next;
    }
    return head;
}

static const struct st_type *resolve_tspec(struct sema *S, struct st_tspec *ts, const char *name)
{
    if (!ts)
        return st_type_elem(TY_ERROR);
    switch (ts->kind) {
    case TS_NAME:
        return named_type(S, ts->name, ts->loc);
    case TS_STRING: {
        int64_t n = 80;
        if (ts->len && !const_int(S, ts->len, &n, "a STRING length"))
            n = 80;
        if (n < 1 || n > 1024) {
            st_error(S->ctx, ts->loc, 3009, "STRING length %lld is outside 1..1024",
                     (long long)n);
            n = 80;
        }
        struct st_type *t = new_type(S, TY_STRING, NULL);
        t->strlen = (unsigned)n;
        char buf[32];
        snprintf(buf, sizeof(buf), "STRING[%u]", t->strlen);
        t->name = st_strdup(&S->ctx->arena, buf);
        return t;
    }
    case TS_SUBRANGE: {
        const struct st_type *base = named_type(S, ts->name, ts->loc);
        if (!st_type_is_int(base)) {
            if (base->kind != TY_ERROR)
                st_error(S->ctx, ts->loc, 3001, "a subrange needs an integer type, not %s",
                         base->name);
            return st_type_elem(TY_ERROR);
        }
        int64_t lo = 0, hi = 0;
        if (!const_int(S, ts->dims->lo, &lo, "a subrange bound") ||
            !const_int(S, ts->dims->hi, &hi, "a subrange bound"))
            return base;
        if (lo > hi || lo < st_type_min(base) ||
            (hi > 0 && (uint64_t)hi > st_type_max(base))) {
            st_error(S->ctx, ts->loc, 3009, "subrange %lld..%lld is empty or outside %s",
                     (long long)lo, (long long)hi, base->name);
            return base;
        }
        struct st_type *t = new_type(S, base->kind, name ? name : base->name);
        t->cname = base->cname;
        t->has_range = true;
        t->lo = lo;
        t->hi = hi;
        t->elem = base;
        return t;
    }
    case TS_ENUM: {
        struct st_type *t = new_type(S, TY_ENUM, name ? name : "(enum)");
        int32_t v = 0;
        struct st_enumval **tail = &t->values;
        for (struct st_enumdecl *d = ts->enums; d; d = d->next) {
            int64_t x;
            if (d->value && const_int(S, d->value, &x, "an enumerated value")) {
                if (x < INT32_MIN || x > INT32_MAX)
                    st_error(S->ctx, d->loc, 3002, "enumerated value out of DINT's range");
                else
                    v = (int32_t)x;
            }
            for (struct st_enumval *o = t->values; o; o = o->next)
                if (st_ieq(o->name, d->name))
                    st_error(S->ctx, d->loc, 2002, "'%s' is in the enumeration twice",
                             d->name);
            struct st_enumval *ev = st_alloc(&S->ctx->arena, sizeof(*ev));
            ev->name = d->name;
            ev->value = v++;
            ev->loc = d->loc;
            *tail = ev;
            tail = &ev->next;
            t->value_count++;
        }
        return t;
    }
    case TS_STRUCT: {
        struct st_type *t = new_type(S, TY_STRUCT, name);
        t->fields = fields_of(S, ts->fields);
        sema_order_push(S, t);
        return t;
    }
    case TS_ARRAY: {
        struct st_type *t = new_type(S, TY_ARRAY, name);
        uint64_t count = 1;
        for (struct st_range *r = ts->dims; r; r = r->next) {
            if (t->ndims == ST_MAX_DIMS) {
                st_error(S->ctx, ts->loc, 5010, "arrays of more than %d dimensions",
                         ST_MAX_DIMS);
                return st_type_elem(TY_ERROR);
            }
            int64_t lo = 0, hi = 0;
            if (!const_int(S, r->lo, &lo, "an array bound") ||
                !const_int(S, r->hi, &hi, "an array bound"))
                return st_type_elem(TY_ERROR);
            if (lo > hi || hi - lo >= 100000000 || lo < -1000000000 || hi > 1000000000) {
                st_error(S->ctx, r->lo->loc, 3009, "array bounds %lld..%lld are reversed or "
                         "too far apart", (long long)lo, (long long)hi);
                return st_type_elem(TY_ERROR);
            }
            t->dlo[t->ndims] = lo;
            t->dhi[t->ndims++] = hi;
            count *= (uint64_t)(hi - lo + 1);
            if (count > 100000000) {
                st_error(S->ctx, ts->loc, 3009, "array of more than 100000000 elements");
                return st_type_elem(TY_ERROR);
            }
        }
        t->elem = resolve_tspec(S, ts->elem, NULL);
        if (t->elem->kind == TY_ERROR)
            return t->elem;
        return t;
    }
    }
    return st_type_elem(TY_ERROR);
}

const struct st_type *sema_resolve(struct sema *S, struct st_tspec *ts)
{
    return resolve_tspec(S, ts, NULL);
}

void sema_resolve_named(struct sema *S, struct st_typedecl *d)
{
    named_type(S, d->name, d->loc);
}

/* ---- names ---------------------------------------------------------------------- */

struct st_pou *sema_find_pou(struct sema *S, const char *name)
{
    for (struct st_pou *u = S->unit->pous; u; u = u->next)
        if (st_ieq(u->name, name))
            return u;
    return NULL;
}

static struct st_var *find_var_in(struct st_var *list, const char *name)
{
    for (struct st_var *v = list; v; v = v->next)
        if (st_ieq(v->decl->name, name))
            return v;
    return NULL;
}

static struct st_var *find_var(struct sema *S, const char *name)
{
    struct st_var *v = S->pou ? find_var_in(S->pou->vars, name) : NULL;
    if (!v && name[0] != '%')
        v = find_var_in(S->unit->globals, name);
    if (!v && name[0] == '%') {
        for (struct st_var *x = S->pou ? S->pou->vars : NULL; x && !v; x = x->next)
            if (x->decl->address && st_ieq(x->decl->address, name))
                v = x;
        for (struct st_var *x = S->unit->globals; x && !v; x = x->next)
            if (x->decl->address && st_ieq(x->decl->address, name))
                v = x;
    }
    return v;
}

const struct st_type *sema_type_of(struct sema *S, struct st_var *v)
{
    return v->type;
}

static bool find_enum_value(struct sema *S, const char *type, const char *name, int32_t *val,
                            const struct st_type **t)
{
    for (struct st_typedecl *d = S->unit->types; d; d = d->next) {
        if (type && !st_ieq(d->name, type))
            continue;
        const struct st_type *et = named_type(S, d->name, d->loc);
        if (et->kind != TY_ENUM)
            continue;
        for (struct st_enumval *v = et->values; v; v = v->next)
            if (st_ieq(v->name, name)) {
                *val = v->value;
                *t = et;
                return true;
            }
    }
    return false;
}

/* ---- expressions ----------------------------------------------------------------- */

void sema_conv_name(const struct st_type *from, const struct st_type *to, char *buf, size_t len)
{
    const struct st_type *f = from->has_range && from->elem ? from->elem : from;
    const struct st_type *t = to->has_range && to->elem ? to->elem : to;
    snprintf(buf, len, "%s_TO_%s", st_tkind_name(f->kind), st_tkind_name(t->kind));
}

static bool fits(const struct st_type *t, const struct st_expr *e)
{
    if (e->overflow)
        return false;
    if (e->neg) {
        if (!st_type_is_signed(t) && !(e->ival == 0))
            return false;
        return e->ival <= (uint64_t)INT64_MAX + 1 &&
               (e->ival == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)e->ival) >=
                   st_type_min(t);
    }
    if (t->has_range)
        return e->ival <= (uint64_t)INT64_MAX && (int64_t)e->ival >= t->lo &&
               (int64_t)e->ival <= t->hi;
    return e->ival <= st_type_max(t);
}

/* Give untyped literals (and the operations over them) the type @p to. */
static void settle(struct sema *S, struct st_expr *e, const struct st_type *to)
{
    if (!e || (e->type->kind != TY_ANYINT && e->type->kind != TY_ANYREAL))
        return;
    switch (e->kind) {
    case E_INT:
        if (st_type_is_anyint(to) && !fits(to, e)) {
            char tn[48];
            type_name_of(to, tn, sizeof(tn));
            st_error(S->ctx, e->loc, 3002, "%s%llu is outside the range of %s",
                     e->neg ? "-" : "", (unsigned long long)e->ival, tn);
        }
        break;
    case E_UNARY:
        settle(S, e->a, to);
        break;
    case E_CALL: /* a generic standard function over untyped literals */
        if (e->callee != CALL_STDFN)
            break;
        if (e->fn == FN_MOVE) {
            settle(S, e->b, to);
            break;
        }
        for (struct st_arg *a = e->args; a; a = a->next)
            if (a->pin >= (e->fn == FN_SEL || e->fn == FN_MUX ? 1 : 0))
                settle(S, a->e, to);
        e->optype = to;
        break;
    case E_BINARY:
        if (e->op == OP_POW) {
            settle(S, e->a, to);
            settle(S, e->b, e->b->type->kind == TY_ANYREAL ? st_type_elem(TY_LREAL)
                                                            : st_type_elem(TY_LINT));
        } else {
            settle(S, e->a, to);
            settle(S, e->b, to);
        }
        break;
    default:
        break;
    }
    e->type = to;
}

void sema_coerce(struct sema *S, struct st_expr *e, const struct st_type *to, const char *what)
{
    const struct st_type *from = e->type;
    if (!from || from->kind == TY_ERROR || to->kind == TY_ERROR)
        return;
    char fn[48], tn[48], conv[64];
    type_name_of(from, fn, sizeof(fn));
    type_name_of(to, tn, sizeof(tn));
    if (from->kind == TY_VOID) {
        st_error(S->ctx, e->loc, 3011, "%s has no value", what);
        return;
    }
    if (from->kind == TY_ANYINT && (st_type_is_num(to) || st_type_is_bits(to))) {
        settle(S, e, to);
        return;
    }
    if (from->kind == TY_ANYREAL && st_type_is_real(to)) {
        settle(S, e, to);
        return;
    }
    if (st_type_implicit(from, to))
        return;
    if (from->kind == TY_ANYINT || from->kind == TY_ANYREAL) {
        st_error(S->ctx, e->loc, 3001, "%s: %s cannot be %s", what, fn, tn);
        return;
    }
    if (st_type_is_scalar(from) && st_type_is_scalar(to) && from->kind != TY_ENUM &&
        to->kind != TY_ENUM && st_date_conv_exists(from, to)) {
        sema_conv_name(from, to, conv, sizeof(conv));
        bool mix = (st_type_is_signed(from) != st_type_is_signed(to) &&
                    st_type_is_int(from) && st_type_is_int(to) &&
                    st_type_bits(from) == st_type_bits(to)) ||
                   (st_type_is_bits(from) != st_type_is_bits(to) &&
                    st_type_is_anyint(from) && st_type_is_anyint(to));
        st_error(S->ctx, e->loc, mix ? 3004 : 3001, "%s: %s is not %s; convert with %s(...)",
                 what, fn, tn, conv);
        return;
    }
    st_error(S->ctx, e->loc, 3001, "%s: %s is not %s", what, fn, tn);
}

/* The real an integer type widens to without loss (INT: REAL, DINT: LREAL), or NULL. */
const struct st_type *sema_real_for(const struct st_type *t)
{
    if (st_type_implicit(t, st_type_elem(TY_REAL)))
        return st_type_elem(TY_REAL);
    if (st_type_implicit(t, st_type_elem(TY_LREAL)))
        return st_type_elem(TY_LREAL);
    return NULL;
}

/* The common type of a binary operation's operands, or NULL (error reported). */
static const struct st_type *common(struct sema *S, struct st_expr *e, const struct st_type *a,
                                    const struct st_type *b)
{
    if (a->kind == TY_ANYINT && b->kind == TY_ANYINT)
        return a;
    if ((a->kind == TY_ANYINT || a->kind == TY_ANYREAL) &&
        (b->kind == TY_ANYINT || b->kind == TY_ANYREAL))
        return st_type_elem(TY_ANYREAL);
    if (st_type_implicit(a, b))
        return b->has_range ? b->elem : b;
    if (st_type_implicit(b, a))
        return a->has_range ? a->elem : a;
    const struct st_type *n = a->kind == TY_ANYREAL ? b : b->kind == TY_ANYREAL ? a : NULL;
    if (n && st_type_is_int(n)) {
        const struct st_type *r = sema_real_for(n);
        if (r)
            return r;
        char nn[48], cv[64];
        type_name_of(n, nn, sizeof(nn));
        sema_conv_name(n, st_type_elem(TY_LREAL), cv, sizeof(cv));
        st_error(S->ctx, e->loc, 3001, "%s and a real literal cannot be combined; convert "
                 "with %s(...)", nn, cv);
        return NULL;
    }
    char an[48], bn[48], conv[64];
    type_name_of(a, an, sizeof(an));
    type_name_of(b, bn, sizeof(bn));
    if (st_type_is_scalar(a) && st_type_is_scalar(b) && a->kind != TY_ENUM &&
        b->kind != TY_ENUM && a->kind != TY_ANYINT && b->kind != TY_ANYINT &&
        a->kind != TY_ANYREAL && b->kind != TY_ANYREAL && st_date_conv_exists(b, a)) {
        sema_conv_name(b, a, conv, sizeof(conv));
        bool mix = st_type_is_anyint(a) && st_type_is_anyint(b);
        st_error(S->ctx, e->loc, mix ? 3004 : 3001,
                 "%s and %s mixed; convert one, e.g. %s(...)", an, bn, conv);
    } else {
        st_error(S->ctx, e->loc, 3001, "%s and %s cannot be combined", an, bn);
    }
    return NULL;
}

static const struct st_type *binary(struct sema *S, struct st_expr *e)
{
    const struct st_type *a = sema_expr(S, e->a), *b = sema_expr(S, e->b);
    const struct st_type *err = st_type_elem(TY_ERROR);
    if (a->kind == TY_ERROR || b->kind == TY_ERROR)
        return err;
    static const char *const opn[] = {"", "OR", "XOR", "AND", "=", "<>", "<", "<=", ">",
                                      ">=", "+", "-", "*", "/", "MOD", "**", "-", "NOT", "+"};
    switch (e->op) {
    case OP_POW: {
        if (!st_type_is_num(a) || !st_type_is_num(b)) {
            st_error(S->ctx, e->loc, 3003, "** takes numbers");
            return err;
        }
        const struct st_type *base = a;
        if (st_type_is_int(a) && a->kind != TY_ANYINT) {
            st_error(S->ctx, e->loc, 3003, "** needs a REAL or LREAL base; convert with "
                     "%s_TO_REAL", a->name);
            return err;
        }
        if (a->kind == TY_ANYINT || a->kind == TY_ANYREAL)
            base = b->kind == TY_LREAL ? b : st_type_elem(TY_REAL);
        settle(S, e->a, base);
        if (b->kind == TY_ANYINT)
            settle(S, e->b, st_type_elem(TY_LINT));
        else if (b->kind == TY_ANYREAL)
            settle(S, e->b, st_type_elem(TY_LREAL));
        e->optype = base;
        return base;
    }
    case OP_ADD: case OP_SUB: case OP_MUL: case OP_DIV: case OP_MOD: {
        if (st_tkind_is_date(a->kind) || st_tkind_is_date(b->kind))
            return sema_date_binary(S, e, a, b);
        bool ta = a->kind == TY_TIME, tb = b->kind == TY_TIME;
        if (ta || tb) {
            const struct st_type *time = st_type_elem(TY_TIME);
            if ((e->op == OP_ADD || e->op == OP_SUB) && ta && tb) {
                e->optype = time;
                return time;
            }
            if ((e->op == OP_MUL && (ta != tb)) || (e->op == OP_DIV && ta && !tb)) {
                struct st_expr *n = ta ? e->b : e->a;
                const struct st_type *nt = ta ? b : a;
                if (!st_type_is_num(nt)) {
                    st_error(S->ctx, e->loc, 3003, "TIME %s takes a number", opn[e->op]);
                    return err;
                }
                if (nt->kind == TY_ANYINT)
                    settle(S, n, st_type_elem(TY_LINT));
                if (nt->kind == TY_ANYREAL)
                    settle(S, n, st_type_elem(TY_LREAL));
                e->optype = n->type;
                if (e->op == OP_DIV && st_type_is_int(n->type))
                    e->faults = true;
                return time;
            }
            st_error(S->ctx, e->loc, 3003, "%s is not defined for these operands with TIME",
                     opn[e->op]);
            return err;
        }
        if (!st_type_is_num(a) || !st_type_is_num(b)) {
            char an[48];
            type_name_of(st_type_is_num(a) ? b : a, an, sizeof(an));
            st_error(S->ctx, e->loc, 3003, "'%s' is not defined for %s", opn[e->op], an);
            return err;
        }
        const struct st_type *c = common(S, e, a, b);
        if (!c)
            return err;
        if (e->op == OP_MOD && st_type_is_real(c)) {
            st_error(S->ctx, e->loc, 3003, "MOD takes integers");
            return err;
        }
        if (c->kind != TY_ANYINT && c->kind != TY_ANYREAL) {
            settle(S, e->a, c);
            settle(S, e->b, c);
        }
        e->optype = c;
        if ((e->op == OP_DIV || e->op == OP_MOD) && st_type_is_int(c))
            e->faults = true;
        return c;
    }
    case OP_AND: case OP_OR: case OP_XOR: {
        if (a->kind == TY_BOOL && b->kind == TY_BOOL) {
            e->optype = a;
            return a;
        }
        if (!st_type_is_anyint(a) || !st_type_is_anyint(b)) {
            st_error(S->ctx, e->loc, 3003, "%s takes BOOL, bit strings or integers of one "
                     "kind", opn[e->op]);
            return err;
        }
        const struct st_type *c = common(S, e, a, b);
        if (!c)
            return err;
        if (c->kind != TY_ANYINT) {
            settle(S, e->a, c);
            settle(S, e->b, c);
        }
        e->optype = c;
        return c;
    }
    default: { /* comparisons */
        const struct st_type *c = NULL;
        if (a->kind == TY_STRING && b->kind == TY_STRING)
            c = a;
        else if (a->kind == TY_ENUM || b->kind == TY_ENUM) {
            if (a != b) {
                st_error(S->ctx, e->loc, 3001, "values of two types compared");
                return err;
            }
            c = a;
        } else if (a->kind == TY_BOOL && b->kind == TY_BOOL)
            c = a;
        else if (st_type_is_scalar(a) || st_type_is_scalar(b) || a->kind == TY_ANYINT ||
                 a->kind == TY_ANYREAL)
            c = common(S, e, a, b);
        else
            st_error(S->ctx, e->loc, 3003, "'%s' compares elementary values only",
                     opn[e->op]);
        if (!c)
            return err;
        if (c->kind == TY_ANYINT)
            c = st_type_elem(TY_LINT);
        else if (c->kind == TY_ANYREAL)
            c = st_type_elem(TY_LREAL);
        settle(S, e->a, c);
        settle(S, e->b, c);
        e->optype = c;
        return st_type_elem(TY_BOOL);
    }
    }
}

static const struct st_type *member(struct sema *S, struct st_expr *e)
{
    const struct st_type *b = sema_expr(S, e->a);
    if (b->kind == TY_ERROR)
        return b;
    if (b->kind == TY_STRUCT || b->kind == TY_FB) {
        for (const struct st_field *f = b->fields; f; f = f->next) {
            if (!st_ieq(f->name, e->name))
                continue;
            if (b->kind == TY_FB) {
                enum st_section sec = f->decl->section;
                if (sec != SEC_INPUT && sec != SEC_OUTPUT && sec != SEC_INOUT) {
                    st_error(S->ctx, e->loc, 2010, "'%s' is internal to block %s: only "
                             "inputs and outputs are reachable", f->name, b->name);
                    return st_type_elem(TY_ERROR);
                }
            }
            e->field = f;
            return f->type;
        }
        if (b->kind == TY_FB && (st_ieq(e->name, "ENO") || st_ieq(e->name, "EN"))) {
            e->pin = st_ieq(e->name, "EN") ? -2 : -3;
            return st_type_elem(TY_BOOL);
        }
    } else if (b->kind == TY_STDFB) {
        for (unsigned i = 0; i < b->std->pin_count; i++)
            if (st_ieq(b->std->pins[i].name, e->name)) {
                e->pin = (int)i;
                enum st_tkind k = b->std->pins[i].kind;
                return st_type_elem(k == TY_ANYINT ? b->std->cv : k);
            }
        if (st_ieq(e->name, "ENO") || st_ieq(e->name, "EN")) {
            e->pin = st_ieq(e->name, "EN") ? -2 : -3;
            return st_type_elem(TY_BOOL);
        }
    } else {
        char bn[48];
        type_name_of(b, bn, sizeof(bn));
        st_error(S->ctx, e->loc, 2010, "%s has no members ('.%s')", bn, e->name);
        return st_type_elem(TY_ERROR);
    }
    st_error(S->ctx, e->loc, 2010, "%s has no member '%s'", b->name ? b->name : "the value",
             e->name);
    return st_type_elem(TY_ERROR);
}

static const struct st_type *index_expr(struct sema *S, struct st_expr *e)
{
    const struct st_type *b = sema_expr(S, e->a);
    unsigned n = 0;
    for (struct st_expr *x = e->idx; x; x = x->next) {
        const struct st_type *t = sema_expr(S, x);
        if (t->kind == TY_ANYINT)
            settle(S, x, st_type_elem(TY_DINT));
        else if (t->kind != TY_ERROR && !st_type_is_int(x->type) && x->type->kind != TY_ENUM)
            st_error(S->ctx, x->loc, 3006, "an array subscript must be an integer");
        n++;
    }
    if (b->kind == TY_ERROR)
        return b;
    if (b->kind != TY_ARRAY) {
        st_error(S->ctx, e->loc, 3006, "subscript of something that is no array");
        return st_type_elem(TY_ERROR);
    }
    if (n != b->ndims) {
        st_error(S->ctx, e->loc, 3006, "the array has %u dimension%s, %u subscript%s given",
                 b->ndims, b->ndims == 1 ? "" : "s", n, n == 1 ? "" : "s");
        return st_type_elem(TY_ERROR);
    }
    unsigned d = 0;
    for (struct st_expr *x = e->idx; x; x = x->next, d++) {
        struct st_value v;
        if (x->type && st_type_is_int(x->type) && st_fold(x, &v)) {
            int64_t i = v.i;
            if (!st_type_is_signed(x->type) && v.u > INT64_MAX)
                i = INT64_MAX;
            if (i < b->dlo[d] || i > b->dhi[d])
                st_error(S->ctx, x->loc, 3006, "index %lld is outside %lld..%lld",
                         (long long)i, (long long)b->dlo[d], (long long)b->dhi[d]);
        } else {
            e->faults = true;
        }
    }
    return b->elem;
}

const struct st_type *sema_expr(struct sema *S, struct st_expr *e)
{
    const struct st_type *t = st_type_elem(TY_ERROR);
    switch (e->kind) {
    case E_INT:
        t = st_type_elem(TY_ANYINT);
        if (e->lit_type) {
            const struct st_type *lt = st_type_by_name(e->lit_type);
            if (lt && lt->kind == TY_BOOL && !e->neg && e->ival <= 1) {
                e->kind = E_BOOL;
                t = lt;
            } else if (lt && (st_type_is_anyint(lt) || st_type_is_real(lt))) {
                e->type = t;
                settle(S, e, lt);
                t = lt;
            } else {
                st_error(S->ctx, e->loc, 3001, "%s# does not take an integer", e->lit_type);
            }
        }
        break;
    case E_REAL:
        t = st_type_elem(TY_ANYREAL);
        if (e->lit_type) {
            const struct st_type *lt = st_type_by_name(e->lit_type);
            if (lt && st_type_is_real(lt))
                t = lt;
            else
                st_error(S->ctx, e->loc, 3001, "%s# does not take a real number",
                         e->lit_type);
        }
        break;
    case E_BOOL:
        t = st_type_elem(TY_BOOL);
        break;
    case E_TIME: /* D#, TOD#, DT# literals name their type */
        t = e->lit_type ? st_type_by_name(e->lit_type) : st_type_elem(TY_TIME);
        break;
    case E_STRING: {
        struct st_type *s = st_alloc(&S->ctx->arena, sizeof(*s));
        *s = *st_type_elem(TY_STRING);
        s->strlen = e->slen > 1024 ? 1024u : (unsigned)e->slen;
        if (e->slen > 1024)
            st_error(S->ctx, e->loc, 3009, "string literal longer than 1024 characters");
        t = s;
        break;
    }
    case E_ENUM: {
        int32_t v;
        const struct st_type *et;
        if (find_enum_value(S, e->lit_type, e->name, &v, &et)) {
            e->enumval = v;
            t = et;
        } else {
            st_error(S->ctx, e->loc, 2001, "%s#%s: no such enumerated value", e->lit_type,
                     e->name);
        }
        break;
    }
    case E_NAME: {
        struct st_var *v = find_var(S, e->name);
        if (v) {
            e->var = v;
            if (!e->counted) {
                e->counted = true;
                v->refs++;
            }
            t = v->type;
            if (!t) { /* its own declaration is not resolved yet: ARRAY[1..n] with n after */
                st_error(S->ctx, e->loc, 3008, "'%s' is not a constant known here", e->name);
                t = st_type_elem(TY_ERROR);
            }
            break;
        }
        int32_t ev;
        const struct st_type *et;
        if (e->name[0] != '%' && find_enum_value(S, NULL, e->name, &ev, &et)) {
            e->kind = E_ENUM;
            e->enumval = ev;
            t = et;
            break;
        }
        if (e->name[0] == '%')
            st_error(S->ctx, e->loc, 2001, "no variable is located at %s", e->name);
        else if (sema_find_pou(S, e->name) || st_is_std_function(e->name))
            st_error(S->ctx, e->loc, 2001, "'%s' is a function: call it with ( )", e->name);
        else
            st_error(S->ctx, e->loc, 2001, "'%s' is not declared", e->name);
        break;
    }
    case E_MEMBER:
        t = member(S, e);
        break;
    case E_BIT: {
        const struct st_type *b = sema_expr(S, e->a);
        if (b->kind == TY_ERROR)
            break;
        if (!st_type_is_anyint(b) || b->kind == TY_ANYINT) {
            st_error(S->ctx, e->loc, 3005, "bit access .%u needs an integer or bit string",
                     e->bit);
            break;
        }
        if (e->bit >= st_type_bits(b)) {
            st_error(S->ctx, e->loc, 3005, "bit %u is beyond %s's %u bits", e->bit, b->name,
                     st_type_bits(b));
            break;
        }
        t = st_type_elem(TY_BOOL);
        break;
    }
    case E_INDEX:
        t = index_expr(S, e);
        break;
    case E_CALL:
        t = sema_call(S, e, false);
        break;
    case E_UNARY: {
        const struct st_type *a = sema_expr(S, e->a);
        if (a->kind == TY_ERROR)
            break;
        if (e->op == OP_NOT) {
            if (a->kind != TY_BOOL && !st_type_is_anyint(a)) {
                st_error(S->ctx, e->loc, 3003, "NOT takes BOOL, bit strings or integers");
                break;
            }
        } else if (!st_type_is_num(a) && a->kind != TY_TIME) {
            /* numbers include the unsigned: their - wraps modulo 2^n, as binary - does */
            st_error(S->ctx, e->loc, 3003, "unary %s takes numbers or TIME",
                     e->op == OP_NEG ? "-" : "+");
            break;
        }
        t = a->has_range ? a->elem : a;
        e->optype = t;
        break;
    }
    case E_BINARY:
        t = binary(S, e);
        break;
    case E_CONV:
        t = e->type;
        break;
    case E_NOW:
        t = st_type_elem(TY_TIME);
        break;
    }
    if (!t)
        t = st_type_elem(TY_ERROR);
    e->type = t;
    if ((e->a && e->a->faults) || (e->b && e->b->faults))
        e->faults = true;
    for (struct st_expr *x = e->kind == E_INDEX ? e->idx : NULL; x; x = x->next)
        if (x->faults)
            e->faults = true;
    return t;
}

/* ---- assignments ------------------------------------------------------------------- */

static struct st_expr *root_name(struct st_expr *e)
{
    while (e && e->kind != E_NAME)
        e = e->a;
    return e;
}

static struct st_var *root_var(struct st_expr *e)
{
    e = root_name(e);
    return e ? e->var : NULL;
}

/* A VAR_IN_OUT argument is read as well as written: a second reference. */
static void count_write(struct st_expr *e, bool inout)
{
    struct st_expr *n = root_name(e);
    if (!n || !n->var || n->write_counted)
        return;
    n->write_counted = true;
    n->var->writes++;
    n->var->refs += inout;
}

void sema_lvalue(struct sema *S, struct st_expr *e, bool inout)
{
    if (!e->type || e->type->kind == TY_ERROR)
        return;
    if (e->kind != E_NAME && e->kind != E_MEMBER && e->kind != E_INDEX && e->kind != E_BIT) {
        st_error(S->ctx, e->loc, 2014, "the target of an assignment must be a variable");
        return;
    }
    if (inout && e->kind == E_BIT) {
        st_error(S->ctx, e->loc, 2014, "a bit cannot be passed VAR_IN_OUT");
        return;
    }
    struct st_var *v = root_var(e);
    if (!v)
        return;
    count_write(e, inout);
    if (v->decl->flags & VF_CONSTANT) {
        st_error(S->ctx, e->loc, 2009, "'%s' is CONSTANT", v->decl->name);
        return;
    }
    if (v->owner && v->owner->kind == POU_FUNCTION && v->decl->section == SEC_INPUT &&
        e->kind == E_NAME) {
        /* IEC forbids assigning a function's input; it is a copy anyway */
    }
    for (unsigned i = 0; i < S->for_depth; i++)
        if (S->for_vars[i] == v && e->kind == E_NAME) {
            st_error(S->ctx, e->loc, 2009, "'%s' is the variable of an enclosing FOR loop",
                     v->decl->name);
            return;
        }
    for (struct st_expr *x = e; x && x->kind != E_NAME; x = x->a) {
        if (x->kind == E_MEMBER && x->a->type) {
            const struct st_type *bt = x->a->type;
            bool out = false;
            if (bt->kind == TY_STDFB && x->pin >= 0)
                out = bt->std->pins[x->pin].output;
            else if (bt->kind == TY_FB && x->field)
                out = x->field->decl->section == SEC_OUTPUT;
            else if (x->pin == -3)
                out = true;
            if (out) {
                st_error(S->ctx, x->loc, 2009, "'%s' is an output of the block: it is read-only "
                         "outside it", x->name);
                return;
            }
        }
    }
    if (v->tag && !v->tag_writable) {
        st_error(S->ctx, e->loc, 4002, "tag '%s' is in region '%s', written by %s, not by the "
                 "logic", v->tag->name, v->tag->region->name, v->tag->region->writer);
    }
}
