/* SPDX-License-Identifier: MIT */
/*
 * A textual Sequential Function Chart, lowered to plain ST over hidden
 * variables, so sema, the emitter, sim and online change see an ordinary
 * body (docs/st.md "Sequential Function Charts"). Per scan, in matiec's
 * order: activate the initial steps on the first scan; decide every
 * transition on the state the scan started with; clear the sources of all
 * that fire, then set their targets; update the step times; run the action
 * control of each action (the standard's ACTION_CONTROL) and the actions
 * whose Q is TRUE.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"

struct lower {
    struct st_ctx *ctx;
    struct st_pou *u;
    struct st_sfc *c;
    struct st_vardecl **dtail;
    struct st_stmt *head, **tail;
};

/* One action as the chart uses it: an ACTION block or a BOOL variable. */
struct act {
    const char *name;
    struct st_sfc_action *block; /* NULL: a variable */
    struct st_loc loc;           /* its first association */
};

static const char *const quals[] = {"N", "S", "R", "P", "L", "D", "SD", "DS", "SL"};
enum { Q_N, Q_S, Q_R, Q_P, Q_L, Q_D, Q_SD, Q_DS, Q_SL, Q_COUNT };

static int qual_index(const char *q)
{
    for (int i = 0; i < Q_COUNT; i++)
        if (st_ieq(q, quals[i]))
            return i;
    return -1;
}

static bool qual_timed(int q)
{
    return q == Q_L || q == Q_D || q == Q_SD || q == Q_DS || q == Q_SL;
}

static const char *fmt(struct lower *L, const char *f, ...) __attribute__((format(printf, 2, 3)));
static const char *fmt(struct lower *L, const char *f, ...)
{
    va_list ap, aq;
    va_start(ap, f);
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, f, ap);
    va_end(ap);
    char *out = st_alloc(&L->ctx->arena, (size_t)(n > 0 ? n : 0) + 1);
    vsnprintf(out, (size_t)(n > 0 ? n : 0) + 1, f, aq);
    va_end(aq);
    return out;
}

static void *node(struct lower *L, size_t n)
{
    return st_alloc(&L->ctx->arena, n);
}

/* ---- hidden declarations ------------------------------------------------------ */

static void hidden(struct lower *L, const char *name, const char *type, enum st_section sec,
                   struct st_loc loc)
{
    struct st_vardecl *d = node(L, sizeof(*d));
    d->name = name;
    d->loc = loc;
    d->section = sec;
    d->hidden = true;
    d->ts = node(L, sizeof(*d->ts));
    d->ts->kind = TS_NAME;
    d->ts->loc = loc;
    d->ts->name = type;
    *L->dtail = d;
    L->dtail = &d->next;
}

/* ---- tree builders ----------------------------------------------------------------- */

static struct st_expr *ex(struct lower *L, enum st_expr_kind k, struct st_loc loc)
{
    struct st_expr *e = node(L, sizeof(*e));
    e->kind = k;
    e->loc = loc;
    return e;
}

static struct st_expr *name(struct lower *L, const char *n, struct st_loc loc)
{
    struct st_expr *e = ex(L, E_NAME, loc);
    e->name = n;
    return e;
}

static struct st_expr *member(struct lower *L, const char *inst, const char *pin,
                              struct st_loc loc)
{
    struct st_expr *e = ex(L, E_MEMBER, loc);
    e->a = name(L, inst, loc);
    e->name = pin;
    return e;
}

static struct st_expr *boolean(struct lower *L, bool v, struct st_loc loc)
{
    struct st_expr *e = ex(L, E_BOOL, loc);
    e->ival = v;
    return e;
}

static struct st_expr *bin(struct lower *L, enum st_op op, struct st_expr *a, struct st_expr *b)
{
    if (!a)
        return b;
    if (!b)
        return a;
    struct st_expr *e = ex(L, E_BINARY, a->loc);
    e->op = op;
    e->a = a;
    e->b = b;
    return e;
}

static struct st_expr *not(struct lower *L, struct st_expr *a)
{
    struct st_expr *e = ex(L, E_UNARY, a->loc);
    e->op = OP_NOT;
    e->a = a;
    return e;
}

static struct st_stmt *assign(struct lower *L, struct st_expr *lhs, struct st_expr *rhs)
{
    struct st_stmt *s = node(L, sizeof(*s));
    s->kind = S_ASSIGN;
    s->loc = lhs->loc;
    s->lhs = lhs;
    s->rhs = rhs;
    return s;
}

static struct st_stmt *if_then(struct lower *L, struct st_expr *cond, struct st_stmt *body)
{
    struct st_stmt *s = node(L, sizeof(*s));
    s->kind = S_IF;
    s->loc = cond->loc;
    s->cond = cond;
    s->body = body;
    return s;
}

/* `inst(pin1 := v1, pin2 := v2);` */
static struct st_stmt *call(struct lower *L, const char *inst, struct st_loc loc,
                            const char *p1, struct st_expr *v1, const char *p2,
                            struct st_expr *v2)
{
    struct st_expr *c = ex(L, E_CALL, loc);
    c->name = inst;
    struct st_arg *a = node(L, sizeof(*a)), *b = p2 ? node(L, sizeof(*b)) : NULL;
    a->name = p1, a->e = v1, a->loc = loc, a->next = b;
    if (b)
        b->name = p2, b->e = v2, b->loc = loc;
    c->args = a;
    struct st_stmt *s = node(L, sizeof(*s));
    s->kind = S_CALL;
    s->loc = loc;
    s->rhs = c;
    return s;
}

static void add(struct lower *L, struct st_stmt *s)
{
    *L->tail = s;
    L->tail = &s->next;
}

/* A statement list built in order: @p s appended to *@p list. */
static void push(struct st_stmt **list, struct st_stmt *s)
{
    while (*list)
        list = &(*list)->next;
    *list = s;
}

/* ---- the chart's names ----------------------------------------------------------------- */

static struct st_sfc_step *find_step(const struct st_sfc *c, const char *n)
{
    for (struct st_sfc_step *s = c->steps; s; s = s->next)
        if (st_ieq(s->name, n))
            return s;
    return NULL;
}

static const char *step_var(struct lower *L, const struct st_sfc_step *s, const char *what)
{
    return fmt(L, "$step.%s.%s", s->name, what);
}

static const char *trans_var(struct lower *L, const struct st_sfc_trans *t, const char *what)
{
    if (t->name)
        return fmt(L, "$%s.%s", what, t->name);
    return fmt(L, "$%s.%u", what, t->order + 1);
}

/* s.X and s.T of a step in the chart's own code become its hidden
 * variables; in a transition written as statements, the transition's name
 * becomes its hidden result. */
static void rewrite_expr(struct lower *L, struct st_expr *e, const struct st_sfc_trans *t);

static void rewrite_stmts(struct lower *L, struct st_stmt *s, const struct st_sfc_trans *t)
{
    for (; s; s = s->next) {
        struct st_expr *es[] = {s->lhs, s->rhs, s->cond, s->from, s->to, s->by};
        for (size_t i = 0; i < sizeof(es) / sizeof(es[0]); i++)
            rewrite_expr(L, es[i], t);
        rewrite_stmts(L, s->body, t);
        rewrite_stmts(L, s->else_body, t);
        for (struct st_branch *b = s->branches; b; b = b->next)
            rewrite_stmts(L, b->body, t);
    }
}

static void rewrite_expr(struct lower *L, struct st_expr *e, const struct st_sfc_trans *t)
{
    if (!e)
        return;
    if (e->kind == E_MEMBER && e->a->kind == E_NAME && !e->a->var &&
        (st_ieq(e->name, "X") || st_ieq(e->name, "T"))) {
        const struct st_sfc_step *s = find_step(L->c, e->a->name);
        if (s) {
            e->kind = E_NAME;
            e->name = step_var(L, s, st_ieq(e->name, "X") ? "X" : "T");
            e->a = NULL;
            return;
        }
    }
    if (e->kind == E_NAME && t && t->name && st_ieq(e->name, t->name)) {
        e->name = trans_var(L, t, "trans");
        return;
    }
    rewrite_expr(L, e->a, t);
    rewrite_expr(L, e->b, t);
    for (struct st_expr *x = e->idx; x; x = x->next)
        rewrite_expr(L, x, t);
    for (struct st_arg *a = e->args; a; a = a->next)
        rewrite_expr(L, a->e, t);
}

static bool is_var(const struct st_pou *u, const char *n)
{
    for (const struct st_vardecl *d = u->decls; d; d = d->next)
        if (!d->hidden && st_ieq(d->name, n))
            return true;
    return false;
}

/* ---- checks ---------------------------------------------------------------------------- */

static void check_steps(struct lower *L)
{
    const struct st_sfc_step *initial = NULL;
    for (struct st_sfc_step *s = L->c->steps; s; s = s->next) {
        if (find_step(L->c, s->name) != s)
            st_error(L->ctx, s->loc, 2017, "step '%s' is declared twice", s->name);
        else if (is_var(L->u, s->name))
            st_error(L->ctx, s->loc, 2017, "step '%s' has the name of a variable", s->name);
        if (s->initial && initial)
            st_error(L->ctx, s->loc, 2018, "a second INITIAL_STEP '%s' (the first is '%s')",
                     s->name, initial->name);
        else if (s->initial)
            initial = s;
    }
    if (!initial)
        st_error(L->ctx, L->c->loc, 2018, "the chart of %s has no INITIAL_STEP", L->u->name);
    for (struct st_sfc_trans *t = L->c->trans; t; t = t->next) {
        for (int side = 0; side < 2; side++)
            for (struct st_sfc_name *n = side ? t->to : t->from; n; n = n->next)
                if (!find_step(L->c, n->name))
                    st_error(L->ctx, n->loc, 2016, "transition %s '%s': no such step",
                             side ? "to" : "from", n->name);
    }
    for (struct st_sfc_trans *t = L->c->trans; t; t = t->next)
        for (struct st_sfc_trans *o = L->c->trans; o != t && t->name; o = o->next)
            if (o->name && st_ieq(o->name, t->name)) {
                st_error(L->ctx, t->loc, 2002, "transition '%s' is declared twice", t->name);
                break;
            }
    for (struct st_sfc_action *a = L->c->actions; a; a = a->next)
        for (struct st_sfc_action *o = L->c->actions; o != a; o = o->next)
            if (st_ieq(o->name, a->name)) {
                st_error(L->ctx, a->loc, 2002, "action '%s' is declared twice", a->name);
                break;
            }
}

static struct st_sfc_action *find_action(const struct st_sfc *c, const char *n)
{
    for (struct st_sfc_action *a = c->actions; a; a = a->next)
        if (st_ieq(a->name, n))
            return a;
    return NULL;
}

static void check_assocs(struct lower *L)
{
    for (struct st_sfc_step *s = L->c->steps; s; s = s->next)
        for (struct st_sfc_assoc *a = s->assocs; a; a = a->next) {
            if (!find_action(L->c, a->action) && !is_var(L->u, a->action))
                st_error(L->ctx, a->loc, 2019, "step '%s': '%s' is no ACTION and no variable",
                         s->name, a->action);
            int q = qual_index(a->qual);
            if (q < 0)
                st_error(L->ctx, a->qual_loc, 2020, "'%s' is no action qualifier (N, S, R, P, "
                         "L, D, SD, DS or SL)", a->qual);
            else if (qual_timed(q) && !a->time)
                st_error(L->ctx, a->qual_loc, 2021, "qualifier %s needs a time: %s(%s, T#1s)",
                         quals[q], a->action, quals[q]);
            else if (!qual_timed(q) && a->time)
                st_error(L->ctx, a->time->loc, 2022, "qualifier %s takes no time (only L, D, "
                         "SD, DS and SL do)", quals[q]);
        }
}

/* ---- the body --------------------------------------------------------------------------- */

static void first_scan(struct lower *L)
{
    struct st_loc loc = L->c->loc;
    const char *started = "$sfc.started";
    hidden(L, started, "BOOL", SEC_VAR, loc);
    struct st_stmt *body = assign(L, name(L, started, loc), boolean(L, true, loc));
    for (struct st_sfc_step *s = L->c->steps; s; s = s->next) {
        hidden(L, step_var(L, s, "X"), "BOOL", SEC_VAR, s->loc);
        hidden(L, step_var(L, s, "T"), "TIME", SEC_VAR, s->loc);
        hidden(L, step_var(L, s, "t0"), "TIME", SEC_VAR, s->loc);
        if (!s->initial)
            continue;
        push(&body, assign(L, name(L, step_var(L, s, "X"), s->loc), boolean(L, true, s->loc)));
        push(&body, assign(L, name(L, step_var(L, s, "t0"), s->loc), ex(L, E_NOW, s->loc)));
    }
    add(L, if_then(L, not(L, name(L, started, loc)), body));
}

static bool share_source(const struct st_sfc_trans *a, const struct st_sfc_trans *b)
{
    for (const struct st_sfc_name *x = a->from; x; x = x->next)
        for (const struct st_sfc_name *y = b->from; y; y = y->next)
            if (st_ieq(x->name, y->name))
                return true;
    return false;
}

static int by_priority(const void *pa, const void *pb)
{
    const struct st_sfc_trans *a = *(struct st_sfc_trans *const *)pa;
    const struct st_sfc_trans *b = *(struct st_sfc_trans *const *)pb;
    if (a->priority != b->priority)
        return a->priority < b->priority ? -1 : 1;
    return a->order < b->order ? -1 : a->order > b->order;
}

static struct st_expr *step_x(struct lower *L, const char *n, struct st_loc loc)
{
    return name(L, step_var(L, find_step(L->c, n), "X"), loc);
}

static void transitions(struct lower *L)
{
    size_t n = 0;
    for (struct st_sfc_trans *t = L->c->trans; t; t = t->next)
        n++;
    if (!n)
        return;
    struct st_sfc_trans **v = node(L, n * sizeof(*v));
    n = 0;
    for (struct st_sfc_trans *t = L->c->trans; t; t = t->next)
        v[n++] = t;
    qsort(v, n, sizeof(*v), by_priority);
    /* decide: a transition is enabled when all its sources are active and no
     * transition of higher priority sharing a source fires */
    for (size_t i = 0; i < n; i++) {
        struct st_sfc_trans *t = v[i];
        const char *fire = trans_var(L, t, "fire");
        hidden(L, fire, "BOOL", SEC_TEMP, t->loc);
        add(L, assign(L, name(L, fire, t->loc), boolean(L, false, t->loc)));
        struct st_expr *en = NULL;
        for (struct st_sfc_name *s = t->from; s; s = s->next)
            en = bin(L, OP_AND, en, step_x(L, s->name, s->loc));
        for (size_t k = 0; k < i; k++)
            if (share_source(v[k], t))
                en = bin(L, OP_AND, en, not(L, name(L, trans_var(L, v[k], "fire"), t->loc)));
        struct st_stmt *body = NULL;
        if (t->body) {
            const char *res = trans_var(L, t, "trans");
            hidden(L, res, "BOOL", SEC_TEMP, t->loc);
            rewrite_stmts(L, t->body, t);
            push(&body, assign(L, name(L, res, t->loc), boolean(L, false, t->loc)));
            push(&body, t->body);
            push(&body, assign(L, name(L, fire, t->loc), name(L, res, t->loc)));
        } else {
            rewrite_expr(L, t->cond, NULL);
            push(&body, assign(L, name(L, fire, t->loc), t->cond));
        }
        add(L, if_then(L, en, body));
    }
    /* fire: every source cleared before any target is set, so a step both
     * left and entered in this scan ends active */
    for (int set = 0; set < 2; set++)
        for (size_t i = 0; i < n; i++) {
            struct st_sfc_trans *t = v[i];
            struct st_stmt *body = NULL;
            for (struct st_sfc_name *s = set ? t->to : t->from; s; s = s->next) {
                push(&body, assign(L, step_x(L, s->name, s->loc), boolean(L, set, s->loc)));
                if (set)
                    push(&body, assign(L, name(L, step_var(L, find_step(L->c, s->name), "t0"),
                                               s->loc), ex(L, E_NOW, s->loc)));
            }
            add(L, if_then(L, name(L, trans_var(L, t, "fire"), t->loc), body));
        }
}

static void step_times(struct lower *L)
{
    for (struct st_sfc_step *s = L->c->steps; s; s = s->next) {
        struct st_expr *dt = bin(L, OP_SUB, ex(L, E_NOW, s->loc),
                                 name(L, step_var(L, s, "t0"), s->loc));
        add(L, if_then(L, name(L, step_var(L, s, "X"), s->loc),
                       assign(L, name(L, step_var(L, s, "T"), s->loc), dt)));
    }
}

/* The standard's ACTION_CONTROL for one action, with only the parts its
 * qualifiers need; then the action itself. */
static void action_control(struct lower *L, const struct act *a)
{
    struct st_expr *in[Q_COUNT] = {0};
    struct st_loc loc = a->loc;
    const char *tvar = fmt(L, "$act.%s.T", a->name);
    bool timed = false;
    for (struct st_sfc_step *s = L->c->steps; s; s = s->next)
        for (struct st_sfc_assoc *as = s->assocs; as; as = as->next) {
            if (!st_ieq(as->action, a->name))
                continue;
            int q = qual_index(as->qual);
            in[q] = bin(L, OP_OR, in[q], name(L, step_var(L, s, "X"), as->loc));
            if (as->time) {
                /* the time of the association whose step is active (the last
                 * one written wins when several are) */
                if (!timed)
                    hidden(L, tvar, "TIME", SEC_VAR, loc);
                timed = true;
                rewrite_expr(L, as->time, NULL);
                add(L, if_then(L, name(L, step_var(L, s, "X"), as->loc),
                               assign(L, name(L, tvar, as->loc), as->time)));
            }
        }
    struct st_expr *rst = in[Q_R] ? in[Q_R] : boolean(L, false, loc);
    struct st_expr *q = in[Q_N];
    const char *v;
#define INST(suffix, type) (v = fmt(L, "$act.%s." suffix, a->name), hidden(L, v, type, SEC_VAR, loc), v)
    if (in[Q_S]) {
        const char *ff = INST("S_FF", "RS");
        add(L, call(L, ff, loc, "S", in[Q_S], "R1", rst));
        q = bin(L, OP_OR, q, member(L, ff, "Q1", loc));
    }
    if (in[Q_L]) {
        const char *tm = INST("L_TMR", "TON");
        add(L, call(L, tm, loc, "IN", in[Q_L], "PT", name(L, tvar, loc)));
        q = bin(L, OP_OR, q, bin(L, OP_AND, in[Q_L], not(L, member(L, tm, "Q", loc))));
    }
    if (in[Q_D]) {
        const char *tm = INST("D_TMR", "TON");
        add(L, call(L, tm, loc, "IN", in[Q_D], "PT", name(L, tvar, loc)));
        q = bin(L, OP_OR, q, member(L, tm, "Q", loc));
    }
    if (in[Q_P]) {
        const char *tr = INST("P_TRIG", "R_TRIG");
        add(L, call(L, tr, loc, "CLK", in[Q_P], NULL, NULL));
        q = bin(L, OP_OR, q, member(L, tr, "Q", loc));
    }
    if (in[Q_SD]) {
        const char *ff = INST("SD_FF", "RS"), *tm = INST("SD_TMR", "TON");
        add(L, call(L, ff, loc, "S", in[Q_SD], "R1", rst));
        add(L, call(L, tm, loc, "IN", member(L, ff, "Q1", loc), "PT", name(L, tvar, loc)));
        q = bin(L, OP_OR, q, member(L, tm, "Q", loc));
    }
    if (in[Q_DS]) {
        const char *tm = INST("DS_TMR", "TON"), *ff = INST("DS_FF", "RS");
        add(L, call(L, tm, loc, "IN", in[Q_DS], "PT", name(L, tvar, loc)));
        add(L, call(L, ff, loc, "S", member(L, tm, "Q", loc), "R1", rst));
        q = bin(L, OP_OR, q, member(L, ff, "Q1", loc));
    }
    if (in[Q_SL]) {
        const char *ff = INST("SL_FF", "RS"), *tm = INST("SL_TMR", "TON");
        add(L, call(L, ff, loc, "S", in[Q_SL], "R1", rst));
        add(L, call(L, tm, loc, "IN", member(L, ff, "Q1", loc), "PT", name(L, tvar, loc)));
        q = bin(L, OP_OR, q, bin(L, OP_AND, member(L, ff, "Q1", loc),
                                 not(L, member(L, tm, "Q", loc))));
    }
#undef INST
    if (!q)
        q = boolean(L, false, loc);
    if (in[Q_R]) /* R overrides every other qualifier of the action */
        q = bin(L, OP_AND, not(L, in[Q_R]), q);
    const char *qv = fmt(L, "$act.%s.Q", a->name);
    hidden(L, qv, "BOOL", SEC_VAR, loc);
    add(L, assign(L, name(L, qv, loc), q));
    if (a->block) {
        rewrite_stmts(L, a->block->body, NULL);
        add(L, if_then(L, name(L, qv, loc), a->block->body));
    } else {
        add(L, assign(L, name(L, a->name, loc), name(L, qv, loc)));
    }
}

static const struct st_sfc_assoc *first_assoc(const struct st_sfc *c, const char *action)
{
    for (const struct st_sfc_step *s = c->steps; s; s = s->next)
        for (const struct st_sfc_assoc *as = s->assocs; as; as = as->next)
            if (st_ieq(as->action, action))
                return as;
    return NULL;
}

static void actions(struct lower *L)
{
    /* ACTION blocks in the order written, then BOOL variables in the order
     * first associated; an ACTION no step names never runs */
    for (struct st_sfc_action *b = L->c->actions; b; b = b->next) {
        struct act a = {b->name, b, b->loc};
        bool used = false;
        for (struct st_sfc_step *s = L->c->steps; s && !used; s = s->next)
            for (struct st_sfc_assoc *as = s->assocs; as && !used; as = as->next)
                if (st_ieq(as->action, b->name))
                    used = true, a.loc = as->loc;
        if (used) {
            action_control(L, &a);
        } else {
            /* checked all the same, as an unused FUNCTION is */
            rewrite_stmts(L, b->body, NULL);
            add(L, if_then(L, boolean(L, false, b->loc), b->body));
        }
    }
    for (struct st_sfc_step *s = L->c->steps; s; s = s->next)
        for (struct st_sfc_assoc *as = s->assocs; as; as = as->next) {
            if (!find_action(L->c, as->action) && first_assoc(L->c, as->action) == as) {
                struct act a = {as->action, NULL, as->loc};
                action_control(L, &a);
            }
        }
}

void st_sfc_lower(struct st_ctx *ctx, struct st_pou *u)
{
    struct lower L = {.ctx = ctx, .u = u, .c = u->sfc};
    unsigned errors = ctx->errors;
    check_steps(&L);
    check_assocs(&L);
    if (ctx->errors != errors)
        return;
    L.dtail = &u->decls;
    while (*L.dtail)
        L.dtail = &(*L.dtail)->next;
    L.tail = &L.head;
    first_scan(&L);
    transitions(&L);
    step_times(&L);
    actions(&L);
    u->body = L.head;
}
