/* SPDX-License-Identifier: MIT */
/*
 * Calls: user functions, block instances (user and standard) and the
 * standard functions. Operator functions (ADD, GT, AND, MOVE, ...) are
 * lowered here to the operator tree they mean, so the emitter and the
 * folder see one form.
 */
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "sema.h"

static struct st_expr *new_node(struct sema *S, enum st_expr_kind k, struct st_loc loc)
{
    struct st_expr *e = st_alloc(&S->ctx->arena, sizeof(*e));
    e->kind = k;
    e->loc = loc;
    return e;
}

/* EN and ENO of any call: checked here, kept as arguments for the emitter. */
static bool en_eno(struct sema *S, struct st_arg *a)
{
    if (!a->name)
        return false;
    if (st_ieq(a->name, "EN") && !a->out) {
        const struct st_type *t = sema_expr(S, a->e);
        if (t->kind != TY_ERROR && t->kind != TY_BOOL)
            st_error(S->ctx, a->e->loc, 3001, "EN must be BOOL");
        a->pin = -2;
        return true;
    }
    if (st_ieq(a->name, "ENO") && a->out) {
        const struct st_type *t = sema_expr(S, a->e);
        sema_lvalue(S, a->e, false);
        if (t->kind != TY_ERROR && t->kind != TY_BOOL)
            st_error(S->ctx, a->e->loc, 3001, "ENO goes to a BOOL");
        a->pin = -3;
        return true;
    }
    return false;
}

static void out_arg(struct sema *S, struct st_arg *a, const struct st_type *pt)
{
    const struct st_type *t = sema_expr(S, a->e);
    sema_lvalue(S, a->e, false);
    if (t->kind == TY_ERROR || pt->kind == TY_ERROR)
        return;
    if (!st_type_implicit(pt, t)) {
        char conv[64];
        sema_conv_name(pt, t, conv, sizeof(conv));
        st_error(S->ctx, a->e->loc, 3001, "output %s is %s but its target is %s (%s)",
                 a->name, pt->name ? pt->name : "?", t->name ? t->name : "?", conv);
    }
}

/*
 * The input or output of block type @p ft that argument @p a binds: by name,
 * or (positional, a->name NULL) the @p nth input in declaration order. Sets
 * a->pin; NULL when there is none.
 */
static const struct st_type *fb_pin(const struct st_type *ft, struct st_arg *a, int nth,
                                    const char **name, bool *output, bool *inout)
{
    int i = 0;
    if (ft->kind == TY_STDFB) {
        for (unsigned k = 0; k < ft->std->pin_count; k++) {
            const struct st_stdfb_pin *p = &ft->std->pins[k];
            if (a->name ? !st_ieq(p->name, a->name) : p->output || i++ != nth)
                continue;
            a->pin = (int)k;
            *name = p->name;
            *output = p->output;
            *inout = false;
            return st_type_elem(p->kind == TY_ANYINT ? ft->std->cv : p->kind);
        }
        return NULL;
    }
    int k = 0;
    for (const struct st_field *f = ft->fields; f; f = f->next, k++) {
        enum st_section sec = f->decl->section;
        bool in = sec == SEC_INPUT || sec == SEC_INOUT;
        if (!in && sec != SEC_OUTPUT)
            continue;
        if (a->name ? !st_ieq(f->name, a->name) : !in || i++ != nth)
            continue;
        a->pin = k;
        *name = f->name;
        *output = sec == SEC_OUTPUT;
        *inout = sec == SEC_INOUT;
        return f->type;
    }
    return NULL;
}

static const struct st_type *fb_call(struct sema *S, struct st_expr *e, const struct st_type *ft)
{
    e->callee = ft->kind == TY_STDFB ? CALL_STDFB : CALL_FB;
    if (ft->kind == TY_FB)
        sema_use_pou(S, ft->pou, e->loc, true);
    /* formal (IN := x) or positional (the inputs in declaration order), not both */
    const struct st_arg *formal = NULL, *positional = NULL;
    for (const struct st_arg *a = e->args; a; a = a->next) {
        if (a->name && !formal)
            formal = a;
        if (!a->name && !positional)
            positional = a;
    }
    if (formal && positional) {
        st_error(S->ctx, positional->loc, 2007, "a block call takes formal arguments "
                 "(IN := x) or positional ones, not both");
        for (struct st_arg *a = e->args; a; a = a->next)
            sema_expr(S, a->e);
        return st_type_elem(TY_VOID);
    }
    int nth = 0;
    for (struct st_arg *a = e->args; a; a = a->next) {
        if (en_eno(S, a))
            continue;
        const char *name = NULL;
        bool output = false, inout = false;
        const struct st_type *pt = fb_pin(ft, a, nth++, &name, &output, &inout);
        if (!pt) {
            if (a->name)
                st_error(S->ctx, a->loc, 2006, "%s has no input or output '%s'", ft->name,
                         a->name);
            else
                st_error(S->ctx, a->loc, 2007, "too many arguments for %s", ft->name);
            sema_expr(S, a->e);
            continue;
        }
        if (output != a->out) {
            st_error(S->ctx, a->loc, 2007, "%s is an %s: use %s", name,
                     output ? "output" : "input", output ? "=>" : ":=");
            sema_expr(S, a->e);
            continue;
        }
        if (output) {
            out_arg(S, a, pt);
        } else {
            sema_expr(S, a->e);
            if (inout) {
                sema_lvalue(S, a->e, true);
                if (a->e->type->kind != TY_ERROR && !st_type_same(a->e->type, pt))
                    st_error(S->ctx, a->e->loc, 3001, "VAR_IN_OUT %s needs a %s variable",
                             name, pt->name ? pt->name : "?");
            } else {
                sema_coerce(S, a->e, pt, "the input");
            }
            if (a->e->faults)
                e->faults = true;
        }
    }
    if (ft->kind == TY_FB)
        e->faults = true; /* its body may fault */
    return st_type_elem(TY_VOID);
}

static const struct st_type *user_fn(struct sema *S, struct st_expr *e, struct st_pou *u)
{
    e->callee = CALL_USERFN;
    e->pou = u;
    sema_use_pou(S, u, e->loc, true);
    e->faults = true;
    struct st_var *pos = u->vars;
    bool formal = false;
    for (struct st_arg *a = e->args; a; a = a->next) {
        if (en_eno(S, a)) {
            formal = true;
            continue;
        }
        struct st_var *p = NULL;
        int idx = 0;
        if (a->name) {
            formal = true;
            for (struct st_var *v = u->vars; v; v = v->next, idx++) {
                enum st_section sec = v->decl->section;
                if (v != u->result && st_ieq(v->decl->name, a->name) &&
                    (sec == SEC_INPUT || sec == SEC_OUTPUT || sec == SEC_INOUT)) {
                    p = v;
                    break;
                }
            }
            if (!p) {
                st_error(S->ctx, a->loc, 2006, "%s has no parameter '%s'", u->name, a->name);
                sema_expr(S, a->e);
                continue;
            }
        } else {
            if (formal)
                st_error(S->ctx, a->loc, 2007, "a positional argument after formal ones");
            while (pos && (pos == u->result || (pos->decl->section != SEC_INPUT &&
                                                pos->decl->section != SEC_INOUT)))
                pos = pos->next;
            if (!pos) {
                st_error(S->ctx, a->loc, 2007, "too many arguments for %s", u->name);
                sema_expr(S, a->e);
                continue;
            }
            p = pos;
            pos = pos->next;
            idx = 0;
            for (struct st_var *v = u->vars; v != p; v = v->next)
                idx++;
        }
        a->pin = idx;
        for (struct st_arg *b = e->args; b != a; b = b->next)
            if (b->pin == idx && b->pin >= 0 && b->e)
                st_error(S->ctx, a->loc, 2007, "'%s' is given twice", p->decl->name);
        enum st_section sec = p->decl->section;
        if (sec == SEC_OUTPUT) {
            if (!a->out)
                st_error(S->ctx, a->loc, 2007, "%s is an output: use =>", p->decl->name);
            out_arg(S, a, p->type);
        } else if (a->out) {
            st_error(S->ctx, a->loc, 2007, "%s is an input: use :=", p->decl->name);
        } else if (sec == SEC_INOUT) {
            sema_expr(S, a->e);
            sema_lvalue(S, a->e, true);
            if (a->e->type->kind != TY_ERROR && !st_type_same(a->e->type, p->type))
                st_error(S->ctx, a->e->loc, 3001, "VAR_IN_OUT %s needs a %s variable",
                         p->decl->name, p->type->name ? p->type->name : "?");
        } else {
            sema_expr(S, a->e);
            sema_coerce(S, a->e, p->type, "the argument");
        }
    }
    for (struct st_var *v = u->vars; v; v = v->next) {
        if (v->decl->section != SEC_INOUT)
            continue;
        bool given = false;
        for (struct st_arg *a = e->args; a; a = a->next)
            given = given || (a->pin >= 0 && a->e && a->name ? st_ieq(a->name, v->decl->name)
                                                              : false);
        int idx = 0;
        for (struct st_var *x = u->vars; x != v; x = x->next)
            idx++;
        for (struct st_arg *a = e->args; a; a = a->next)
            given = given || a->pin == idx;
        if (!given)
            st_error(S->ctx, e->loc, 2007, "VAR_IN_OUT %s of %s must be given", v->decl->name,
                     u->name);
    }
    return u->rettype;
}

/* ---- standard functions ------------------------------------------------------------- */

struct fn_def {
    const char *name;
    enum st_fn fn;
    int min, max; /* operands (max -1: extensible) */
};

static const struct fn_def fns[] = {
    {"TRUNC", FN_TRUNC, 1, 1}, {"ABS", FN_ABS, 1, 1}, {"SQRT", FN_SQRT, 1, 1},
    {"LN", FN_LN, 1, 1}, {"LOG", FN_LOG, 1, 1}, {"EXP", FN_EXP, 1, 1}, {"SIN", FN_SIN, 1, 1},
    {"COS", FN_COS, 1, 1}, {"TAN", FN_TAN, 1, 1}, {"ASIN", FN_ASIN, 1, 1},
    {"ACOS", FN_ACOS, 1, 1}, {"ATAN", FN_ATAN, 1, 1}, {"EXPT", FN_EXPT, 2, 2},
    {"MIN", FN_MIN, 2, -1}, {"MAX", FN_MAX, 2, -1}, {"LIMIT", FN_LIMIT, 3, 3},
    {"SEL", FN_SEL, 3, 3}, {"MUX", FN_MUX, 2, -1}, {"SHL", FN_SHL, 2, 2},
    {"SHR", FN_SHR, 2, 2}, {"ROL", FN_ROL, 2, 2}, {"ROR", FN_ROR, 2, 2},
    {"MOVE", FN_MOVE, 1, 1}, {"ADD", FN_ADD, 2, -1}, {"SUB", FN_SUB, 2, 2},
    {"MUL", FN_MUL, 2, -1}, {"DIV", FN_DIV, 2, 2}, {"MOD", FN_MOD, 2, 2},
    {"GT", FN_GT, 2, -1}, {"GE", FN_GE, 2, -1}, {"EQ", FN_EQ, 2, -1}, {"NE", FN_NE, 2, 2},
    {"LE", FN_LE, 2, -1}, {"LT", FN_LT, 2, -1}, {"AND", FN_AND, 2, -1},
    {"OR", FN_OR, 2, -1}, {"XOR", FN_XOR, 2, -1}, {"NOT", FN_NOT, 1, 1},
    {"ADD_TIME", FN_ADD_TIME, 2, 2}, {"SUB_TIME", FN_SUB_TIME, 2, 2},
    {"MUL_TIME", FN_MUL_TIME, 2, 2}, {"DIV_TIME", FN_DIV_TIME, 2, 2},
    {"LEN", FN_LEN, 1, 1}, {"CONCAT", FN_CONCAT, 2, -1}, {"LEFT", FN_LEFT, 2, 2},
    {"RIGHT", FN_RIGHT, 2, 2}, {"MID", FN_MID, 3, 3}, {"FIND", FN_FIND, 2, 2},
    {"ADD_TOD_TIME", FN_ADD_TOD_TIME, 2, 2}, {"ADD_DT_TIME", FN_ADD_DT_TIME, 2, 2},
    {"SUB_DT_DT", FN_SUB_DT_DT, 2, 2}, {"SUB_TOD_TOD", FN_SUB_TOD_TOD, 2, 2},
    {"SUB_DATE_DATE", FN_SUB_DATE_DATE, 2, 2}, {"SUB_DT_TIME", FN_SUB_DT_TIME, 2, 2},
    {"SUB_TOD_TIME", FN_SUB_TOD_TIME, 2, 2}, {"CONCAT_DATE_TOD", FN_CONCAT_DATE_TOD, 2, 2},
};

static const struct st_type *elem_named(const char *s, size_t n)
{
    char buf[16];
    if (n >= sizeof(buf))
        return NULL;
    memcpy(buf, s, n);
    buf[n] = '\0';
    const struct st_type *t = st_type_by_name(buf);
    return t;
}

/* Build op(a, b) or op(a) as a tree node, to be checked by sema_expr. */
static struct st_expr *op_node(struct sema *S, struct st_loc loc, enum st_op op,
                               struct st_expr *a, struct st_expr *b)
{
    struct st_expr *n = new_node(S, b ? E_BINARY : E_UNARY, loc);
    n->op = op;
    n->a = a;
    n->b = b;
    return n;
}

static struct st_expr *lower_ops(struct sema *S, struct st_expr *e, enum st_fn fn,
                                 struct st_expr **ops, int n)
{
    static const struct {
        enum st_fn fn;
        enum st_op op;
    } map[] = {{FN_ADD, OP_ADD}, {FN_SUB, OP_SUB}, {FN_MUL, OP_MUL}, {FN_DIV, OP_DIV},
               {FN_MOD, OP_MOD}, {FN_EXPT, OP_POW}, {FN_AND, OP_AND}, {FN_OR, OP_OR},
               {FN_XOR, OP_XOR}, {FN_GT, OP_GT}, {FN_GE, OP_GE}, {FN_EQ, OP_EQ},
               {FN_NE, OP_NE}, {FN_LE, OP_LE}, {FN_LT, OP_LT}, {FN_ADD_TIME, OP_ADD},
               {FN_SUB_TIME, OP_SUB}, {FN_MUL_TIME, OP_MUL}, {FN_DIV_TIME, OP_DIV},
               {FN_ADD_TOD_TIME, OP_ADD}, {FN_ADD_DT_TIME, OP_ADD}, {FN_SUB_DT_DT, OP_SUB},
               {FN_SUB_TOD_TOD, OP_SUB}, {FN_SUB_DATE_DATE, OP_SUB}, {FN_SUB_DT_TIME, OP_SUB},
               {FN_SUB_TOD_TIME, OP_SUB}, {FN_CONCAT_DATE_TOD, OP_ADD}};
    if (fn == FN_MOVE)
        return ops[0];
    if (fn == FN_NOT)
        return op_node(S, e->loc, OP_NOT, ops[0], NULL);
    enum st_op op = 0;
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        if (map[i].fn == fn)
            op = map[i].op;
    if (!op)
        return NULL;
    bool cmp = op >= OP_EQ && op <= OP_GE;
    struct st_expr *r = op_node(S, e->loc, op, ops[0], ops[1]);
    for (int i = 2; i < n; i++) {
        if (cmp) /* GT(a, b, c) = a > b AND b > c */
            r = op_node(S, e->loc, OP_AND, r, op_node(S, e->loc, op, ops[i - 1], ops[i]));
        else
            r = op_node(S, e->loc, op, r, ops[i]);
    }
    return r;
}

static const struct st_type *settle_real(struct sema *S, struct st_expr *x)
{
    if (x->type->kind == TY_ANYINT || x->type->kind == TY_ANYREAL)
        sema_coerce(S, x, st_type_elem(TY_REAL), "the argument");
    return x->type;
}

/* A variable, element or member: what has an address in the generated C. */
static bool is_designator(const struct st_expr *e)
{
    return e->kind == E_NAME || e->kind == E_MEMBER || e->kind == E_INDEX;
}

/*
 * The common type of several operands (MIN, MAX, LIMIT, SEL, MUX). When all
 * are untyped literals it is the untyped type, so that the context (the
 * assignment's target, the other operand) settles them; e->optype then
 * holds the type used without one.
 */
static const struct st_type *common_of(struct sema *S, struct st_expr *e, struct st_expr **ops,
                                       int n)
{
    const struct st_type *c = NULL;
    bool real = false;
    unsigned strlen_max = 0;
    for (int i = 0; i < n; i++) {
        const struct st_type *t = ops[i]->type;
        if (t->kind == TY_ERROR)
            return t;
        real = real || t->kind == TY_ANYREAL;
        if (t->kind == TY_STRING && t->strlen > strlen_max)
            strlen_max = t->strlen;
        if (t->kind == TY_ANYINT || t->kind == TY_ANYREAL)
            continue;
        if (!c || st_type_implicit(c, t))
            c = t->has_range ? t->elem : t;
    }
    if (!c) {
        e->optype = st_type_elem(real ? TY_LREAL : TY_LINT);
        return st_type_elem(real ? TY_ANYREAL : TY_ANYINT);
    }
    if (real && st_type_is_int(c) && sema_real_for(c))
        c = sema_real_for(c);
    for (int i = 0; i < n; i++)
        sema_coerce(S, ops[i], c, "the argument");
    if (c->kind == TY_STRING && c->strlen != strlen_max) { /* the longest input's length */
        struct st_type *s = st_alloc(&S->ctx->arena, sizeof(*s));
        *s = *c;
        s->strlen = strlen_max;
        c = s;
    }
    e->optype = c;
    return c;
}

/*
 * The operand that formal input @p name is in a call of @p def (NULL: a
 * conversion), or -1: IN of one-input functions, IN1, IN2, ... of the
 * others, and the standard's names of LIMIT, SEL, MUX, the shifts and the
 * string functions.
 */
static int std_input(const struct fn_def *def, const char *name)
{
    static const struct {
        enum st_fn fn;
        const char *pins[3];
    } named[] = {
        {FN_LIMIT, {"MN", "IN", "MX"}}, {FN_SEL, {"G", "IN0", "IN1"}},
        {FN_SHL, {"IN", "N"}}, {FN_SHR, {"IN", "N"}}, {FN_ROL, {"IN", "N"}},
        {FN_ROR, {"IN", "N"}}, {FN_LEFT, {"IN", "L"}}, {FN_RIGHT, {"IN", "L"}},
        {FN_MID, {"IN", "L", "P"}},
    };
    for (size_t i = 0; def && i < sizeof(named) / sizeof(named[0]); i++) {
        if (named[i].fn != def->fn)
            continue;
        for (int k = 0; k < 3; k++)
            if (named[i].pins[k] && st_ieq(named[i].pins[k], name))
                return k;
        return -1;
    }
    if (!def || def->max == 1)
        return st_ieq(name, "IN") ? 0 : -1;
    if (def->fn == FN_MUX && st_ieq(name, "K"))
        return 0;
    if (strncasecmp(name, "IN", 2) != 0 || name[2] < '0' || name[2] > '9' ||
        strspn(name + 2, "0123456789") != strlen(name + 2) || strlen(name + 2) > 2)
        return -1;
    int k = atoi(name + 2); /* MUX: IN0 is operand 1; the others count from IN1 */
    return def->fn == FN_MUX ? k + 1 : k - 1;
}

static const struct st_type *std_fn(struct sema *S, struct st_expr *e)
{
    e->callee = CALL_STDFN;
    const struct st_type *err = st_type_elem(TY_ERROR);
    /* A_TO_B */
    const char *to = NULL;
    for (const char *p = e->name; (p = strchr(p, '_')) != NULL; p++)
        if (strncasecmp(p, "_TO_", 4) == 0)
            to = p;
    const struct fn_def *def = NULL;
    for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]) && !to; i++)
        if (st_ieq(fns[i].name, e->name))
            def = &fns[i];
    /* operands in order: positional ones in turn, formal ones where their name says */
    struct st_expr *ops[64] = {NULL};
    int n = 0, next = 0;
    bool bad = false;
    for (struct st_arg *a = e->args; a; a = a->next) {
        if (en_eno(S, a))
            continue;
        int i = a->name ? std_input(def, a->name) : next++;
        if (a->out || i < 0) {
            st_error(S->ctx, a->loc, 2006, "%s has no %s '%s'", e->name,
                     a->out ? "output" : "input", a->name);
            bad = true;
        } else if (i >= 64) {
            st_error(S->ctx, a->loc, 2007, "more than 64 arguments");
            bad = true;
        } else if (ops[i]) {
            st_error(S->ctx, a->loc, 2007, "input %d of %s is given twice", i + 1, e->name);
            bad = true;
        } else {
            a->pin = i;
            ops[i] = a->e;
            n = i + 1 > n ? i + 1 : n;
            continue;
        }
        sema_expr(S, a->e);
    }
    for (int i = 0; i < n && !bad; i++)
        if (!ops[i]) {
            st_error(S->ctx, e->loc, 2007, "input %d of %s is not given", i + 1, e->name);
            bad = true;
        }
    if (bad) {
        for (int i = 0; i < n; i++)
            if (ops[i])
                sema_expr(S, ops[i]);
        return err;
    }
    int min = to ? 1 : def->min, max = to ? 1 : def->max;
    if (n < min || (max >= 0 && n > max)) {
        st_error(S->ctx, e->loc, 2007, "%s takes %s%d argument%s, %d given", e->name,
                 max < 0 ? "at least " : "", min, min == 1 && max == 1 ? "" : "s", n);
        for (int i = 0; i < n; i++)
            sema_expr(S, ops[i]);
        return err;
    }
    if (to) {
        const struct st_type *a = elem_named(e->name, (size_t)(to - e->name));
        const struct st_type *b = st_type_by_name(to + 4);
        const struct st_type *t = sema_expr(S, ops[0]);
        if (!a || !b) {
            st_error(S->ctx, e->loc, 2005, "unknown conversion %s", e->name);
            return err;
        }
        if (t->kind == TY_ERROR)
            return err;
        if (t->kind == TY_ENUM) {
            st_error(S->ctx, ops[0]->loc, 3001, "%s of an enumerated value", e->name);
            return err;
        }
        if (!sema_date_conv(S, e, a, b))
            return err;
        sema_coerce(S, ops[0], a, "the argument");
        e->fn = FN_CONV;
        e->srctype = a;
        e->optype = b;
        if (a->kind == TY_STRING || b->kind == TY_STRING) {
            if (a->kind == TY_STRING && b->kind == TY_STRING) {
                st_error(S->ctx, e->loc, 2005, "%s converts nothing", e->name);
                return err;
            }
        }
        if (b->kind == TY_STRING) {
            struct st_type *s = st_alloc(&S->ctx->arena, sizeof(*s));
            *s = *st_type_elem(TY_STRING);
            s->strlen = 80;
            return s;
        }
        return b;
    }
    e->fn = (int)def->fn;
    for (int i = 0; i < n; i++)
        sema_expr(S, ops[i]);
    for (int i = 0; i < n; i++)
        if (ops[i]->type->kind == TY_ERROR)
            return err;
    struct st_expr *low = lower_ops(S, e, def->fn, ops, n);
    if (low) {
        if ((def->fn == FN_MUL_TIME || def->fn == FN_DIV_TIME || def->fn == FN_ADD_TIME ||
             def->fn == FN_SUB_TIME) && ops[0]->type->kind != TY_TIME) {
            st_error(S->ctx, ops[0]->loc, 3001, "%s takes a TIME first", e->name);
            return err;
        }
        if (!sema_date_fn(S, e, (int)def->fn, ops, low))
            return err;
        e->fn = FN_MOVE;
        e->b = low;
        const struct st_type *t = low == ops[0] ? ops[0]->type : sema_expr(S, low);
        e->faults = low->faults;
        return t;
    }
    const struct st_type *t0 = ops[0]->type;
    switch (def->fn) {
    case FN_TRUNC:
        if (!st_type_is_real(t0)) {
            st_error(S->ctx, ops[0]->loc, 3001, "TRUNC takes REAL or LREAL");
            return err;
        }
        settle_real(S, ops[0]);
        e->optype = ops[0]->type;
        return st_type_elem(TY_DINT);
    case FN_ABS:
        if (!st_type_is_num(t0)) {
            st_error(S->ctx, ops[0]->loc, 3001, "ABS takes a number");
            return err;
        }
        if (t0->kind == TY_ANYINT || t0->kind == TY_ANYREAL) { /* the context settles it */
            e->optype = st_type_elem(t0->kind == TY_ANYINT ? TY_LINT : TY_LREAL);
            return t0;
        }
        e->optype = t0->has_range ? t0->elem : t0;
        return e->optype;
    case FN_SQRT: case FN_LN: case FN_LOG: case FN_EXP: case FN_SIN: case FN_COS:
    case FN_TAN: case FN_ASIN: case FN_ACOS: case FN_ATAN:
        if (!st_type_is_real(t0)) {
            st_error(S->ctx, ops[0]->loc, 3001, "%s takes REAL or LREAL; convert with %s_TO_REAL",
                     e->name, t0->name ? t0->name : "?");
            return err;
        }
        e->optype = settle_real(S, ops[0]);
        return e->optype;
    case FN_MIN: case FN_MAX: case FN_LIMIT: {
        const struct st_type *c = common_of(S, e, ops, n);
        if (c->kind != TY_ERROR && !st_type_is_num(c) && !st_type_is_bits(c) &&
            c->kind != TY_TIME && !st_tkind_is_date(c->kind)) {
            st_error(S->ctx, e->loc, 3003, "%s takes numbers, bit strings, TIME, DATE, TOD or DT",
                     e->name);
            return err;
        }
        return c;
    }
    case FN_SEL: case FN_MUX: {
        if (def->fn == FN_SEL) {
            sema_coerce(S, ops[0], st_type_elem(TY_BOOL), "SEL's G");
        } else if (!st_type_is_int(t0)) {
            st_error(S->ctx, ops[0]->loc, 3001, "MUX's K must be an integer");
            return err;
        } else if (t0->kind == TY_ANYINT) {
            sema_coerce(S, ops[0], st_type_elem(TY_DINT), "MUX's K");
        }
        const struct st_type *c = common_of(S, e, ops + 1, n - 1);
        if (c->kind == TY_FB || c->kind == TY_STDFB || c->kind == TY_VOID) {
            st_error(S->ctx, e->loc, 3001, "%s of a block instance", e->name);
            return err;
        }
        if (!st_type_is_scalar(c) && c->kind != TY_ANYINT && c->kind != TY_ANYREAL &&
            c->kind != TY_ERROR) {
            for (const struct st_arg *a = e->args; a; a = a->next)
                if (a->pin < -1) { /* EN, ENO */
                    st_error(S->ctx, a->loc, 5010, "%s of %s with EN or ENO", e->name,
                             c->kind == TY_ARRAY ? "an ARRAY" : "a STRUCT");
                    return err;
                }
            for (int i = 1; i < n; i++) /* the emitter selects an aggregate by address */
                if (!is_designator(ops[i])) {
                    st_error(S->ctx, ops[i]->loc, 5010, "%s of a %s value that is no "
                             "variable", e->name, c->kind == TY_ARRAY ? "ARRAY" : "STRUCT");
                    return err;
                }
        }
        e->faults = e->faults || def->fn == FN_MUX;
        return c;
    }
    case FN_SHL: case FN_SHR: case FN_ROL: case FN_ROR:
        if (!st_type_is_anyint(t0) || t0->kind == TY_ANYINT) {
            st_error(S->ctx, ops[0]->loc, 3001, "%s takes a bit string or integer variable",
                     e->name);
            return err;
        }
        if (!st_type_is_int(ops[1]->type)) {
            st_error(S->ctx, ops[1]->loc, 3001, "%s's N must be an integer", e->name);
            return err;
        }
        if (ops[1]->type->kind == TY_ANYINT)
            sema_coerce(S, ops[1], st_type_elem(TY_ULINT), "N");
        e->optype = t0->has_range ? t0->elem : t0;
        return e->optype;
    case FN_LEN: case FN_LEFT: case FN_RIGHT: case FN_MID: case FN_FIND: case FN_CONCAT: {
        int nstr = def->fn == FN_CONCAT ? n : def->fn == FN_FIND ? 2 : 1;
        for (int i = 0; i < n; i++) {
            if (i < nstr) {
                if (ops[i]->type->kind != TY_STRING) {
                    st_error(S->ctx, ops[i]->loc, 3001, "%s takes a STRING here", e->name);
                    return err;
                }
            } else {
                if (!st_type_is_int(ops[i]->type)) {
                    st_error(S->ctx, ops[i]->loc, 3001, "%s takes an integer here", e->name);
                    return err;
                }
                sema_coerce(S, ops[i], st_type_elem(TY_DINT), "the argument");
                if (ops[i]->type->kind == TY_ANYINT)
                    ops[i]->type = st_type_elem(TY_DINT);
            }
        }
        if (def->fn == FN_LEN || def->fn == FN_FIND)
            return st_type_elem(TY_INT);
        struct st_type *s = st_alloc(&S->ctx->arena, sizeof(*s));
        *s = *st_type_elem(TY_STRING);
        s->strlen = 1024;
        return s;
    }
    default:
        break;
    }
    st_error(S->ctx, e->loc, 5010, "%s is not supported here", e->name);
    return err;
}

const struct st_type *sema_call(struct sema *S, struct st_expr *e, bool statement)
{
    const struct st_type *t = st_type_elem(TY_ERROR);
    for (struct st_arg *a = e->args; a; a = a->next)
        a->pin = -1;
    if (e->a) {
        const struct st_type *ft = sema_expr(S, e->a);
        if (ft->kind == TY_FB || ft->kind == TY_STDFB)
            t = fb_call(S, e, ft);
        else if (ft->kind != TY_ERROR)
            st_error(S->ctx, e->loc, 2015, "this is no block instance");
        if (e->a->faults)
            e->faults = true;
    } else {
        struct st_expr probe = {.kind = E_NAME, .loc = e->loc, .name = e->name};
        struct st_pou *u = sema_find_pou(S, e->name);
        bool is_var = false;
        /* a variable of block type is called; any other name is a function */
        if (S->pou) {
            for (struct st_var *v = S->pou->vars; v; v = v->next)
                is_var = is_var || st_ieq(v->decl->name, e->name);
        }
        for (struct st_var *v = S->unit->globals; v && !is_var; v = v->next)
            is_var = st_ieq(v->decl->name, e->name);
        if (is_var) {
            struct st_expr *ref = st_alloc(&S->ctx->arena, sizeof(*ref));
            *ref = probe;
            const struct st_type *ft = sema_expr(S, ref);
            if (ft->kind == TY_FB || ft->kind == TY_STDFB) {
                e->a = ref;
                t = fb_call(S, e, ft);
            } else if (u && u->kind == POU_FUNCTION) {
                t = user_fn(S, e, u);
            } else if (!u && st_is_std_function(e->name)) {
                t = std_fn(S, e);
            } else if (ft->kind != TY_ERROR) {
                st_error(S->ctx, e->loc, 2015, "'%s' is a %s variable, not a block instance",
                         e->name, ft->name ? ft->name : "?");
            }
        } else if (u && u->kind == POU_FUNCTION) {
            t = user_fn(S, e, u);
        } else if (u) {
            st_error(S->ctx, e->loc, 2015, "%s is a %s: declare an instance and call that",
                     u->name, u->kind == POU_FB ? "FUNCTION_BLOCK" : "PROGRAM");
        } else if (st_is_std_function(e->name)) {
            t = std_fn(S, e);
        } else if (st_stdfb_find(e->name)) {
            st_error(S->ctx, e->loc, 2015, "%s is a block: declare an instance (t1 : %s;) "
                     "and call t1(...)", e->name, st_stdfb_find(e->name)->name);
        } else {
            st_error(S->ctx, e->loc, 2005, "unknown function '%s'", e->name);
            for (struct st_arg *a = e->args; a; a = a->next)
                sema_expr(S, a->e);
        }
    }
    for (struct st_arg *a = e->args; a; a = a->next)
        if (a->e && a->e->faults)
            e->faults = true;
    if (!statement && t->kind == TY_VOID) {
        st_error(S->ctx, e->loc, 3011, "this call has no value");
        return st_type_elem(TY_ERROR);
    }
    return t;
}
