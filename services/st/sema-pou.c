/* SPDX-License-Identifier: MIT */
/* Semantic analysis of POUs, statements, the configuration and the layout binding. */
#include <string.h>

#include "plc-layout.h"
#include "plc-task.h"
#include "sema.h"


static void check_init_expr(struct sema *S, struct st_expr *e, const struct st_type *t)
{
    S->in_init = true;
    sema_expr(S, e);
    sema_coerce(S, e, t, "the initial value");
    S->in_init = false;
    struct st_value v;
    if (t->has_range && e->type && st_type_is_int(e->type) && st_fold(e, &v) &&
        (v.i < t->lo || v.i > t->hi))
        st_error(S->ctx, e->loc, 3010, "initial value %lld is outside %lld..%lld",
                 (long long)v.i, (long long)t->lo, (long long)t->hi);
}

/* The initial value of the TYPE a declaration names through aliases
 * (TYPE speed : INT := 100; TYPE fast : speed;), or NULL. */
static struct st_init *alias_init(struct sema *S, const struct st_tspec *ts)
{
    for (unsigned depth = 0; ts && ts->kind == TS_NAME && depth < 64; depth++) {
        const struct st_typedecl *d = S->unit->types;
        while (d && !st_ieq(d->name, ts->name))
            d = d->next;
        if (!d)
            return NULL;
        if (d->init)
            return d->init;
        ts = d->ts;
    }
    return NULL;
}

void sema_check_init(struct sema *S, struct st_init *in, const struct st_type *t)
{
    if (!in || t->kind == TY_ERROR)
        return;
    switch (in->kind) {
    case I_EXPR:
        check_init_expr(S, in->e, t);
        break;
    case I_ARRAY: {
        if (t->kind != TY_ARRAY) {
            st_error(S->ctx, in->loc, 3001, "[...] initialises an array, not %s",
                     t->name ? t->name : "this");
            return;
        }
        uint64_t n = 1, given = 0;
        for (unsigned d = 0; d < t->ndims; d++)
            n *= (uint64_t)(t->dhi[d] - t->dlo[d] + 1);
        for (struct st_init *i = in->items; i; i = i->next) {
            int64_t rep = 1;
            if (i->repeat) {
                rep = i->repeat->ival > 100000000 ? 100000000 : (int64_t)i->repeat->ival;
                i->repeat->type = st_type_elem(TY_LINT);
            }
            given += (uint64_t)rep;
            if (i->kind)
                sema_check_init(S, i, t->elem);
        }
        if (given > n)
            st_error(S->ctx, in->loc, 3006, "%llu initial values for %llu elements",
                     (unsigned long long)given, (unsigned long long)n);
        break;
    }
    case I_STRUCT:
        if (t->kind != TY_STRUCT && t->kind != TY_FB) {
            st_error(S->ctx, in->loc, 3001, "(a := ...) initialises a structure");
            return;
        }
        for (struct st_init *i = in->items; i; i = i->next) {
            const struct st_field *f = t->fields;
            while (f && !st_ieq(f->name, i->field))
                f = f->next;
            if (!f) {
                st_error(S->ctx, i->loc, 2010, "%s has no member '%s'", t->name, i->field);
                continue;
            }
            sema_check_init(S, i, f->type);
        }
        break;
    }
}

/* ---- layout binding ----------------------------------------------------------------- */

static bool tag_type_fits(enum plc_type tt, enum st_tkind k)
{
    switch (tt) {
    case PLC_TYPE_BOOL: return k == TY_BOOL;
    case PLC_TYPE_INT16: return k == TY_INT;
    case PLC_TYPE_UINT16: return k == TY_UINT || k == TY_WORD;
    case PLC_TYPE_INT32: return k == TY_DINT;
    case PLC_TYPE_UINT32: return k == TY_UDINT || k == TY_DWORD;
    case PLC_TYPE_FLOAT32: return k == TY_REAL;
    case PLC_TYPE_INT8: return k == TY_SINT;
    case PLC_TYPE_UINT8: return k == TY_USINT || k == TY_BYTE;
    case PLC_TYPE_INT64: return k == TY_LINT;
    case PLC_TYPE_UINT64: return k == TY_ULINT || k == TY_LWORD;
    case PLC_TYPE_FLOAT64: return k == TY_LREAL;
    default: return false;
    }
}

/*
 * A RETAIN variable survives a restart of the whole PLC as the layout tag of
 * its name does: retain = yes in a region the logic writes, which plc-retain
 * keeps on disk and plc-shm-init restores. Built against a layout the
 * variable is that tag (one place for its value, its initial value and its
 * retention); without the tag it could not be kept, so that is an error
 * saying what to add.
 */
static const struct plc_tag_def *retain_tag(struct sema *S, struct st_var *v)
{
    const struct plc_layout *l = S->o->layout;
    struct st_vardecl *d = v->decl;
    if (v->owner && v->owner->kind != POU_PROGRAM) {
        st_error(S->ctx, d->loc, 4006, "RETAIN '%s' in %s '%s': only a PROGRAM's variables and "
                 "VAR_GLOBALs reach the retain service; declare it in the program",
                 d->name, v->owner->kind == POU_FB ? "FUNCTION_BLOCK" : "FUNCTION",
                 v->owner->name);
        return NULL;
    }
    if (!st_type_is_scalar(v->type) || v->type->kind == TY_STRING) {
        st_error(S->ctx, d->loc, 4006, "RETAIN '%s' is not of an elementary type a layout tag "
                 "can hold; retain its elements one by one", d->name);
        return NULL;
    }
    const struct plc_tag_def *tag = plc_layout_find_tag(l, d->name);
    if (!tag) {
        st_error(S->ctx, d->loc, 4006, "RETAIN '%s' is kept across a restart by the layout tag "
                 "of its name, and layout '%s' has no tag '%s': add one with retain = yes in "
                 "a region the logic writes", d->name, plc_layout_get_name(l), d->name);
        return NULL;
    }
    if (strcmp(tag->region->writer, "logic") != 0 || !tag->retain) {
        st_error(S->ctx, d->loc, 4006, "RETAIN '%s' is tag '%s' (line %u of the layout), which "
                 "%s", d->name, tag->name, tag->line,
                 tag->retain ? "is in a region the logic does not write"
                             : "is not retain = yes");
        return NULL;
    }
    if (d->init) {
        st_error(S->ctx, d->loc, 4006, "RETAIN '%s' starts from tag '%s', restored or at its "
                 "initial value: give that value in the layout (initial = ...), not here",
                 d->name, tag->name);
        return NULL;
    }
    return tag;
}

static void bind_tag(struct sema *S, struct st_var *v)
{
    const struct plc_layout *l = S->o->layout;
    struct st_vardecl *d = v->decl;
    if (!l)
        return;
    const struct plc_tag_def *tag = NULL;
    if (d->address) {
        tag = plc_layout_find_iec_address(l, d->address);
        if (!tag) {
            st_error(S->ctx, d->addr_loc, 4001, "no tag of layout '%s' has iec_address %s",
                     plc_layout_get_name(l), d->address);
            return;
        }
    } else if (d->section == SEC_EXTERNAL && !v->global) {
        tag = plc_layout_find_tag(l, d->name);
        if (!tag) {
            st_error(S->ctx, d->loc, 4004, "'%s' is neither a tag of layout '%s' nor a "
                     "VAR_GLOBAL", d->name, plc_layout_get_name(l));
            return;
        }
    } else if (d->flags & VF_RETAIN) {
        tag = retain_tag(S, v);
        if (!tag)
            return;
    } else {
        return;
    }
    if (!tag_type_fits(tag->type, v->type->kind) || v->type->has_range) {
        st_error(S->ctx, d->loc, 4003, "'%s' is declared %s but tag '%s' is %s", d->name,
                 v->type->name ? v->type->name : "?", tag->name, plc_type_name(tag->type));
        return;
    }
    v->tag = tag;
    v->tag_writable = strcmp(tag->region->writer, "logic") == 0;
}

/* ---- POUs ----------------------------------------------------------------------------- */

static struct st_var *new_var(struct sema *S, struct st_vardecl *d, struct st_pou *owner)
{
    struct st_var *v = st_alloc(&S->ctx->arena, sizeof(*v));
    v->decl = d;
    v->owner = owner;
    v->id = ++S->next_id;
    v->cname = st_cident(&S->ctx->arena, "v_", d->name);
    return v;
}

static struct st_var *find_global(struct sema *S, const char *name)
{
    for (struct st_var *g = S->unit->globals; g; g = g->next)
        if (st_ieq(g->decl->name, name))
            return g;
    return NULL;
}

/* Declare a POU's variables and, for a block or program, its instance type. */
static void declare(struct sema *S, struct st_pou *u)
{
    if (u->type || u->rettype)
        return;
    struct st_pou *saved = S->pou;
    S->pou = u;
    u->id = ++S->next_id;
    if (u->kind != POU_FUNCTION) {
        struct st_type *t = st_alloc(&S->ctx->arena, sizeof(*t));
        t->kind = TY_FB;
        t->name = u->name;
        t->pou = u;
        t->id = ++S->next_id;
        u->type = t;
    }
    u->rettype = st_type_elem(TY_VOID);
    struct st_var **tail = &u->vars;
    struct st_field **ftail = u->type ? &u->type->fields : NULL;
    for (struct st_vardecl *d = u->decls; d; d = d->next) {
        for (struct st_var *o = u->vars; o; o = o->next)
            if (st_ieq(o->decl->name, d->name)) {
                st_error(S->ctx, d->loc, 2002, "'%s' is declared twice in %s", d->name,
                         u->name);
                break;
            }
        if (u->kind == POU_FUNCTION && st_ieq(d->name, u->name))
            st_error(S->ctx, d->loc, 2002, "'%s' is the function's own name", d->name);
        if (d->section == SEC_GLOBAL)
            st_error(S->ctx, d->loc, 1001, "VAR_GLOBAL belongs in a CONFIGURATION or RESOURCE");
        struct st_var *v = new_var(S, d, u);
        *tail = v;
        tail = &v->next;
    }
    /* types after names, so a type error does not hide a duplicate */
    for (struct st_var *v = u->vars; v; v = v->next) {
        struct st_vardecl *d = v->decl;
        v->type = d->type = sema_resolve(S, d->ts);
        if (d->section == SEC_EXTERNAL) {
            v->global = find_global(S, d->name);
            if (v->global && v->global->type && !st_type_same(v->global->type, v->type) &&
                v->type->kind != TY_ERROR)
                st_error(S->ctx, d->loc, 3001, "VAR_EXTERNAL '%s' is %s but the VAR_GLOBAL is "
                         "%s", d->name, v->type->name ? v->type->name : "?",
                         v->global->type->name ? v->global->type->name : "?");
        }
        if (v->type->kind == TY_FB && v->type->pou == u)
            st_error(S->ctx, d->loc, 2013, "block %s holds an instance of itself", u->name);
        if (d->address && u->kind == POU_FUNCTION)
            st_error(S->ctx, d->addr_loc, 5010, "a FUNCTION cannot have located variables");
        if (u->kind == POU_FUNCTION && v->type->kind == TY_FB)
            st_error(S->ctx, d->loc, 5010, "block instances in a FUNCTION (it has no state)");
        bind_tag(S, v);
        if (ftail) {
            struct st_field *f = st_alloc(&S->ctx->arena, sizeof(*f));
            f->name = d->name;
            f->type = v->type;
            f->decl = d;
            *ftail = f;
            ftail = &f->next;
        }
    }
    if (u->kind == POU_FUNCTION) {
        u->rettype = u->ret ? sema_resolve(S, u->ret) : st_type_elem(TY_VOID);
        if (u->ret) {
            struct st_vardecl *d = st_alloc(&S->ctx->arena, sizeof(*d));
            d->name = u->name;
            d->loc = u->loc;
            d->section = SEC_VAR;
            d->type = u->rettype;
            struct st_var *r = new_var(S, d, u);
            r->type = u->rettype;
            r->cname = "result";
            u->result = r;
            r->next = u->vars;
            u->vars = r;
        }
    }
    for (struct st_var *v = u->vars; v; v = v->next) {
        if (!v->decl->init && !v->tag)
            v->decl->init = alias_init(S, v->decl->ts);
        if (v->decl->init)
            sema_check_init(S, v->decl->init, v->type);
    }
    if (u->type)
        sema_order_push(S, u->type);
    S->pou = saved;
}

static void stmts(struct sema *S, struct st_stmt *s);

static void cond(struct sema *S, struct st_expr *e, const char *what)
{
    const struct st_type *t = sema_expr(S, e);
    if (t->kind != TY_ERROR && t->kind != TY_BOOL)
        st_error(S->ctx, e->loc, 3007, "%s must be BOOL, not %s", what, t->name ? t->name : "?");
}

static void assign(struct sema *S, struct st_stmt *s)
{
    const struct st_type *lt = sema_expr(S, s->lhs);
    sema_expr(S, s->rhs);
    sema_lvalue(S, s->lhs, false);
    if (lt->kind == TY_FB || lt->kind == TY_STDFB) {
        st_error(S->ctx, s->loc, 2009, "block instances cannot be assigned");
        return;
    }
    if (lt->kind == TY_ARRAY || lt->kind == TY_STRUCT) {
        if (!st_type_same(s->rhs->type, lt) && s->rhs->type->kind != TY_ERROR)
            st_error(S->ctx, s->rhs->loc, 3001, "assignment of a different array or structure");
        return;
    }
    sema_coerce(S, s->rhs, lt, "the assigned value");
    struct st_value v;
    if (lt->has_range) {
        if (s->rhs->type && st_type_is_int(s->rhs->type) && st_fold(s->rhs, &v)) {
            if (v.i < lt->lo || v.i > lt->hi)
                st_error(S->ctx, s->rhs->loc, 3010, "%lld is outside %lld..%lld",
                         (long long)v.i, (long long)lt->lo, (long long)lt->hi);
        } else {
            s->faults = true;
        }
    }
}

static void case_stmt(struct sema *S, struct st_stmt *s)
{
    const struct st_type *t = sema_expr(S, s->cond);
    if (t->kind == TY_ANYINT) {
        sema_coerce(S, s->cond, st_type_elem(TY_LINT), "the CASE selector");
        t = s->cond->type;
    }
    if (t->kind != TY_ERROR && !st_type_is_anyint(t) && t->kind != TY_ENUM) {
        st_error(S->ctx, s->cond->loc, 3001, "CASE selects on an integer or enumeration");
        t = st_type_elem(TY_ERROR);
    }
    for (struct st_branch *b = s->branches; b; b = b->next) {
        for (struct st_label *l = b->labels; l; l = l->next) {
            struct st_expr *ends[2] = {l->lo, l->hi};
            int64_t vals[2] = {0, 0};
            bool ok = true;
            for (int i = 0; i < 2 && ends[i]; i++) {
                const struct st_type *lt = sema_expr(S, ends[i]);
                if (t->kind == TY_ERROR || lt->kind == TY_ERROR) {
                    ok = false;
                    continue;
                }
                sema_coerce(S, ends[i], t, "a CASE label");
                struct st_value v;
                if (!st_fold(ends[i], &v)) {
                    st_error(S->ctx, ends[i]->loc, 3008, "a CASE label must be constant");
                    ok = false;
                } else {
                    vals[i] = v.i;
                }
            }
            if (!l->hi)
                vals[1] = vals[0];
            l->vlo = vals[0];
            l->vhi = vals[1];
            if (!ok)
                continue;
            if (vals[0] > vals[1])
                st_error(S->ctx, l->loc, 3009, "label range %lld..%lld is reversed",
                         (long long)vals[0], (long long)vals[1]);
            bool dup = false;
            for (struct st_branch *o = s->branches; o && !dup; o = o->next) {
                for (struct st_label *x = o->labels; x && !dup; x = x->next) {
                    if (o == b && x == l)
                        break;
                    if (x->vlo <= vals[1] && vals[0] <= x->vhi && x->lo->type &&
                        x->lo->type->kind != TY_ERROR) {
                        st_error(S->ctx, l->loc, 2011, "this label is also taken by an "
                                 "earlier branch (line %u)", x->loc.line);
                        dup = true;
                    }
                }
                if (o == b)
                    break;
            }
        }
        stmts(S, b->body);
    }
    stmts(S, s->else_body);
}

static void for_stmt(struct sema *S, struct st_stmt *s)
{
    const struct st_type *t = sema_expr(S, s->lhs);
    if (t->kind != TY_ERROR && !st_type_is_int(t))
        st_error(S->ctx, s->lhs->loc, 3001, "a FOR variable must be an integer");
    sema_lvalue(S, s->lhs, false);
    struct st_expr *parts[3] = {s->from, s->to, s->by};
    for (int i = 0; i < 3; i++) {
        if (!parts[i])
            continue;
        sema_expr(S, parts[i]);
        if (st_type_is_int(t))
            sema_coerce(S, parts[i], t, i == 0 ? "the start" : i == 1 ? "the end" : "the step");
    }
    s->faults = true; /* step 0 */
    if (s->by) {
        struct st_value v;
        if (st_fold(s->by, &v) && v.i != 0)
            s->faults = false;
    } else {
        s->faults = false;
    }
    if (S->for_depth < 64)
        S->for_vars[S->for_depth++] = s->lhs->var;
    S->loops++;
    stmts(S, s->body);
    S->loops--;
    if (S->for_depth && S->for_vars[S->for_depth - 1] == s->lhs->var)
        S->for_depth--;
}

static void stmt(struct sema *S, struct st_stmt *s)
{
    switch (s->kind) {
    case S_ASSIGN:
        assign(S, s);
        s->faults = s->faults || s->lhs->faults || s->rhs->faults;
        break;
    case S_CALL:
        sema_call(S, s->rhs, true);
        s->faults = s->rhs->faults;
        break;
    case S_IF:
        cond(S, s->cond, "an IF condition");
        stmts(S, s->body);
        stmts(S, s->else_body);
        break;
    case S_CASE:
        case_stmt(S, s);
        break;
    case S_FOR:
        for_stmt(S, s);
        break;
    case S_WHILE:
        cond(S, s->cond, "a WHILE condition");
        S->loops++;
        stmts(S, s->body);
        S->loops--;
        break;
    case S_REPEAT:
        S->loops++;
        stmts(S, s->body);
        S->loops--;
        cond(S, s->cond, "an UNTIL condition");
        break;
    case S_EXIT: case S_CONTINUE:
        if (!S->loops)
            st_error(S->ctx, s->loc, 2012, "%s outside a loop",
                     s->kind == S_EXIT ? "EXIT" : "CONTINUE");
        break;
    case S_RETURN: case S_EMPTY:
        break;
    }
}

static void stmts(struct sema *S, struct st_stmt *s)
{
    for (; s; s = s->next)
        stmt(S, s);
}

/* Check a used POU: declarations, then the body. */
static void check(struct sema *S, struct st_pou *u)
{
    if (u->checked)
        return;
    u->used = true;
    declare(S, u);
    u->checked = u->checking = true;
    struct st_pou *saved = S->pou;
    unsigned loops = S->loops, fd = S->for_depth;
    S->pou = u;
    S->loops = 0;
    S->for_depth = 0;
    if (u->has_pragma)
        st_error(S->ctx, u->pragma_loc, 5006, "%s '%s' is used by the program but holds C code "
                 "(%s), which is not supported", u->kind == POU_FUNCTION ? "FUNCTION"
                 : u->kind == POU_FB ? "FUNCTION_BLOCK" : "PROGRAM", u->name, u->pragma_what);
    stmts(S, u->body);
    S->pou = saved;
    S->loops = loops;
    S->for_depth = fd;
    u->checking = false;
}

void sema_use_pou(struct sema *S, struct st_pou *u, struct st_loc loc, bool call)
{
    u->used = true;
    if (call && u->checking) {
        st_error(S->ctx, loc, 2013, "%s calls itself (recursion is not allowed)", u->name);
        return;
    }
    if (!u->rettype)
        declare(S, u);
    if (call)
        check(S, u);
}

/* ---- the configuration ------------------------------------------------------------------ */

/* Each TASK's INTERVAL and PRIORITY, folded; SINGLE refused. With one task,
 * an INTERVAL may be left out (the cycle is then the layout's). */
static void tasks(struct sema *S, struct st_config *c)
{
    unsigned ntasks = 0;
    for (struct st_task *t = c->tasks; t; t = t->next)
        ntasks++;
    for (struct st_task *t = c->tasks; t; t = t->next) {
        for (struct st_task *o = c->tasks; o != t; o = o->next)
            if (st_ieq(o->name, t->name))
                st_error(S->ctx, t->loc, 2002, "TASK '%s' is declared twice", t->name);
        if (t->single) {
            st_error(S->ctx, t->single->loc, 5015, "SINGLE (event) tasks are not supported: "
                     "task '%s' would run on a rising edge; make it cyclic with INTERVAL",
                     t->name);
            continue;
        }
        if (t->priority) {
            const struct st_type *pt = sema_expr(S, t->priority);
            struct st_value v;
            if (!st_type_is_int(pt) || !st_fold(t->priority, &v) || v.i < 0 || v.i > 65535)
                st_error(S->ctx, t->priority->loc, 2023, "PRIORITY of task '%s' must be a "
                         "constant integer 0..65535 (0 runs first)", t->name);
            else
                t->prio = (uint32_t)v.i;
        }
        if (!t->interval) {
            if (ntasks > 1)
                st_error(S->ctx, t->loc, 2023, "task '%s' has no INTERVAL: with several "
                         "tasks, each needs one", t->name);
            continue;
        }
        const struct st_type *it = sema_expr(S, t->interval);
        struct st_value v;
        if (it->kind != TY_TIME)
            st_error(S->ctx, t->interval->loc, 3001, "INTERVAL must be a TIME, as T#20ms");
        else if (!st_fold(t->interval, &v) || v.i <= 0)
            st_error(S->ctx, t->interval->loc, 2023, "INTERVAL of task '%s' must be a "
                     "constant TIME above 0", t->name);
        else if (v.i % 1000)
            st_error(S->ctx, t->interval->loc, 2023, "INTERVAL of task '%s' must be a whole "
                     "number of microseconds", t->name);
        else
            t->interval_ns = (uint64_t)v.i;
    }
}

/*
 * What the program object runs. One task (or none) used: one scan of every
 * instance, the task's INTERVAL the cycle, as before tasks. Several: a task
 * table of the used tasks, and instances without WITH in one more task,
 * "tick", at the others' common divisor (the tick unless the layout sets a
 * period).
 */
static void schedule(struct sema *S, struct st_config *c)
{
    struct st_unit *u = S->unit;
    size_t used = 0;
    bool unbound = false;
    /* the tick as plc-logic computes it (plc-task.h) */
    struct plc_task iv[sizeof(u->sched) / sizeof(u->sched[0])];
    for (struct st_task *t = c->tasks; t; t = t->next)
        if (t->used && used++ < sizeof(iv) / sizeof(iv[0]))
            iv[used - 1] = (struct plc_task){.interval_ns = t->interval_ns};
    uint64_t tick = plc_tasks_tick(iv, used <= sizeof(iv) / sizeof(iv[0]) ? used : 0);
    for (struct st_instance *in = c->instances; in; in = in->next)
        unbound = unbound || !in->with;
    if (used + unbound < 2) {
        for (struct st_task *t = c->tasks; t; t = t->next)
            if (t->interval_ns && (t->used || !u->interval_ns)) {
                u->interval_ns = t->interval_ns;
                if (t->used)
                    break;
            }
        return;
    }
    if (used + unbound > sizeof(u->sched) / sizeof(u->sched[0])) {
        st_error(S->ctx, c->loc, 5007, "%zu tasks: at most %zu run", used + unbound,
                 sizeof(u->sched) / sizeof(u->sched[0]));
        return;
    }
    for (struct st_task *t = c->tasks; t; t = t->next)
        if (t->used)
            u->sched[u->sched_count++] = t;
    if (unbound) {
        const char *name = "tick";
        for (struct st_task *t = c->tasks; t; t = t->next)
            if (st_ieq(t->name, name))
                name = "tick_";
        u->sched_tick = (struct st_task){.name = name, .loc = c->loc, .interval_ns = tick,
                                         .prio = UINT32_MAX};
        u->sched[u->sched_count++] = &u->sched_tick;
    }
    u->interval_ns = tick;
}

static void configuration(struct sema *S, struct st_config *c)
{
    struct st_var **tail = &S->unit->globals;
    for (struct st_vardecl *d = c->globals; d; d = d->next) {
        if (find_global(S, d->name))
            st_error(S->ctx, d->loc, 2002, "global '%s' is declared twice", d->name);
        struct st_var *v = st_alloc(&S->ctx->arena, sizeof(*v));
        v->decl = d;
        v->id = ++S->next_id;
        char buf[96];
        snprintf(buf, sizeof(buf), "g_%s", d->name);
        v->cname = st_lower(&S->ctx->arena, buf);
        *tail = v;
        tail = &v->next;
    }
    for (struct st_var *v = S->unit->globals; v; v = v->next) {
        v->type = v->decl->type = sema_resolve(S, v->decl->ts);
        bind_tag(S, v);
        if (v->decl->init)
            sema_check_init(S, v->decl->init, v->type);
    }
    tasks(S, c);
    struct st_instance **run = &S->unit->run;
    for (struct st_instance *in = c->instances; in; in = in->next) {
        for (struct st_instance *o = c->instances; o != in; o = o->next)
            if (st_ieq(o->name, in->name))
                st_error(S->ctx, in->loc, 2002, "program instance '%s' twice", in->name);
        if (in->task) {
            struct st_task *t = c->tasks;
            while (t && !st_ieq(t->name, in->task))
                t = t->next;
            if (!t)
                st_error(S->ctx, in->loc, 2001, "no TASK '%s'", in->task);
            else
                t->used = true;
            in->with = t;
        }
        struct st_pou *u = sema_find_pou(S, in->type);
        if (!u || u->kind != POU_PROGRAM) {
            st_error(S->ctx, in->loc, 2001, "no PROGRAM '%s'", in->type);
            continue;
        }
        in->pou = u;
        u->used = true;
        *run = in;
        run = &in->next;
    }
    schedule(S, c);
}

unsigned st_sema(struct st_ctx *ctx, struct st_unit *unit, const struct st_sema_options *o)
{
    struct sema S = {.ctx = ctx, .unit = unit, .o = o};
    unsigned before = ctx->errors;
    /* names of POUs and types: unique, and not a standard one */
    for (struct st_pou *u = unit->pous; u; u = u->next) {
        const struct st_stdfb *lib = st_stdfb_find(u->name);
        /* OpenPLC's library blocks may be in the file as ST: the user's wins */
        if (st_is_std_function(u->name) || (lib && !lib->library))
            st_error(ctx, u->loc, 2003, "%s '%s' takes the name of the standard %s %s",
                     u->kind == POU_FUNCTION ? "FUNCTION" : u->kind == POU_FB ? "FUNCTION_BLOCK"
                                                                              : "PROGRAM",
                     u->name, st_stdfb_find(u->name) ? "block" : "function", u->name);
        for (struct st_pou *x = unit->pous; x != u; x = x->next)
            if (st_ieq(x->name, u->name)) {
                st_error(ctx, u->loc, 2002, "POU '%s' is declared twice (first on line %u)",
                         u->name, x->loc.line);
                break;
            }
    }
    for (struct st_typedecl *d = unit->types; d; d = d->next) {
        if (st_is_std_function(d->name) || st_stdfb_find(d->name) || st_type_by_name(d->name))
            st_error(ctx, d->loc, 2003, "TYPE '%s' takes the name of a standard type, function "
                     "or block", d->name);
        for (struct st_typedecl *x = unit->types; x != d; x = x->next)
            if (st_ieq(x->name, d->name))
                st_error(ctx, d->loc, 2002, "TYPE '%s' is declared twice", d->name);
        for (struct st_pou *u = unit->pous; u; u = u->next)
            if (st_ieq(u->name, d->name))
                st_error(ctx, d->loc, 2002, "TYPE '%s' has the name of a POU", d->name);
    }
    for (struct st_typedecl *d = unit->types; d; d = d->next) {
        sema_resolve_named(&S, d);
        /* TYPE t : ... := v: every variable, element or member of type t that
         * has no initial value of its own starts at v. A type made for this
         * declaration carries it; an alias of an elementary type is shared,
         * so its variables get it at their declaration (alias_init()). */
        if (d->init && d->type && d->type->kind != TY_ERROR) {
            sema_check_init(&S, d->init, d->type);
            if (!st_type_by_name(d->type->name))
                ((struct st_type *)d->type)->init = d->init;
        }
    }
    unsigned nconf = 0;
    for (struct st_config *c = unit->configs; c; c = c->next)
        if (nconf++ == 0)
            configuration(&S, c);
        else
            st_error(ctx, c->loc, 5007, "a second CONFIGURATION is not supported");
    if (unit->configs) {
        for (struct st_instance *in = unit->run; in; in = in->next)
            if (in->pou)
                check(&S, in->pou);
        if (o->program) {
            bool found = false;
            for (struct st_instance *in = unit->run; in; in = in->next)
                found = found || st_ieq(in->name, o->program) ||
                        (in->pou && st_ieq(in->pou->name, o->program));
            if (!found)
                st_error_plain(ctx, 2008, "--program %s: the configuration runs no such "
                               "program instance or type", o->program);
        }
    } else {
        struct st_pou *chosen = NULL;
        unsigned nprog = 0;
        for (struct st_pou *u = unit->pous; u; u = u->next)
            if (u->kind == POU_PROGRAM) {
                nprog++;
                if (o->program && st_ieq(u->name, o->program))
                    chosen = u;
            }
        if (o->program && !chosen) {
            st_error_plain(ctx, 2008, "--program %s: no PROGRAM of that name", o->program);
        } else if (chosen) {
            check(&S, chosen);
            unit->root = chosen;
        } else if (nprog == 1 || !o->need_program) {
            for (struct st_pou *u = unit->pous; u; u = u->next)
                if (u->kind == POU_PROGRAM) {
                    check(&S, u);
                    if (nprog == 1)
                        unit->root = u;
                }
        }
        if (o->need_program && !unit->root && !o->program) {
            char list[512] = "";
            for (struct st_pou *u = unit->pous; u; u = u->next)
                if (u->kind == POU_PROGRAM && strlen(list) + strlen(u->name) + 3 < sizeof(list))
                    snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                             list[0] ? ", " : "", u->name);
            if (nprog)
                st_error_plain(ctx, 2008, "several PROGRAMs (%s): choose one with --program",
                               list);
            else
                st_error_plain(ctx, 2008, "no PROGRAM to run");
        }
    }
    /* FB types declared by used POUs whose bodies no call reached yet */
    for (bool again = true; again;) {
        again = false;
        for (struct st_pou *u = unit->pous; u; u = u->next)
            if (u->used && !u->checked) {
                check(&S, u);
                again = true;
            }
    }
    return ctx->errors - before;
}
