/* SPDX-License-Identifier: MIT */
/*
 * The C emitter's statements, POU functions, the state struct, init, scan
 * and the plc_st_meta table.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "emit.h"
#include "plc-layout.h"
#include "plc-st.h"

static void stmts(struct emit *E, const struct st_stmt *s);

static void check_fault(struct emit *E)
{
    ind(E);
    fputs("if (rt->fault) goto st_end;\n", E->out);
}

static void assign_to(struct emit *E, const struct st_expr *lhs, const struct st_expr *rhs,
                      struct st_loc loc)
{
    const struct st_type *lt = lhs->type;
    ind(E);
    if (lhs->kind == E_BIT) {
        const struct st_type *bt = lhs->a->type;
        fputs("{ bool st_b = ", E->out), ex(E, rhs), fputs("; ", E->out);
        ex(E, lhs->a), fprintf(E->out, " = (%s)(((%s)", ct(bt), ut(bt)), ex(E, lhs->a);
        fprintf(E->out, " & ~((%s)1 << %u)) | ((%s)st_b << %u)); }\n", ut(bt), lhs->bit,
                ut(bt), lhs->bit);
    } else if (lt->kind == TY_STRING) {
        fputs("st_strset(", E->out), ex(E, lhs), fprintf(E->out, ", %u, ", lt->strlen);
        ex(E, rhs), fputs(");\n", E->out);
    } else if (lt->kind == TY_ARRAY || lt->kind == TY_STRUCT) {
        fputs("memmove(&", E->out), ex(E, lhs), fputs(", &", E->out), ex(E, rhs);
        fputs(", sizeof(", E->out), ex(E, lhs), fputs("));\n", E->out);
    } else if (lt->has_range) {
        bool u = !st_type_is_signed(base(rhs->type)) && st_type_bits(base(rhs->type)) == 64;
        ex(E, lhs), fprintf(E->out, " = (%s)st_range%s(rt, (%s)", ct(lt), u ? "u" : "",
                            u ? "uint64_t" : "int64_t");
        ex(E, rhs), fprintf(E->out, ", %" PRId64 ", %" PRId64 ", ", lt->lo, lt->hi);
        where(E, loc, "value outside the subrange");
        fputs(");\n", E->out);
    } else {
        ex(E, lhs), fputs(" = ", E->out), as(E, rhs, lt), fputs(";\n", E->out);
    }
}

/* a.b(...) and t1(...): inputs into the instance, the body, outputs out. */
static void fb_call(struct emit *E, const struct st_expr *e)
{
    const struct st_type *ft = e->a->type;
    const struct st_arg *en = find_arg(e, -2), *eno = find_arg(e, -3);
    ind(E);
    fputs("{\n", E->out);
    E->indent++;
    ind(E);
    decl(E, ft, "*st_f");
    fputs(" = &", E->out), ex(E, e->a), fputs(";\n", E->out);
    ind(E);
    fputs("bool st_en = ", E->out);
    if (en)
        ex(E, en->e);
    else
        fputs("true", E->out);
    fputs(";\n", E->out);
    ind(E);
    fputs("if (st_en) {\n", E->out);
    E->indent++;
    for (const struct st_arg *a = e->args; a; a = a->next) {
        if (a->pin < 0 || a->out)
            continue;
        ind(E);
        if (ft->kind == TY_STDFB) {
            const struct st_stdfb_pin *p = &ft->std->pins[a->pin];
            enum st_tkind k = p->kind == TY_ANYINT ? ft->std->cv : p->kind;
            fprintf(E->out, "st_f->%s = ", p->cfield), as(E, a->e, st_type_elem(k));
            fputs(";\n", E->out);
            continue;
        }
        const struct st_field *f = ft->fields;
        for (int i = 0; i < a->pin; i++)
            f = f->next;
        const char *fn = cname(E, "v_", f->name);
        if (f->decl->section == SEC_INOUT) {
            fprintf(E->out, "st_f->%s = &", fn), ex(E, a->e), fputs(";\n", E->out);
        } else if (f->type->kind == TY_STRING) {
            fprintf(E->out, "st_strset(st_f->%s, %u, ", fn, f->type->strlen), ex(E, a->e);
            fputs(");\n", E->out);
        } else if (f->type->kind == TY_STRUCT || f->type->kind == TY_ARRAY) {
            fprintf(E->out, "memmove(&st_f->%s, &", fn), ex(E, a->e);
            fprintf(E->out, ", sizeof(st_f->%s));\n", fn);
        } else {
            fprintf(E->out, "st_f->%s = ", fn), as(E, a->e, f->type), fputs(";\n", E->out);
        }
    }
    ind(E);
    if (ft->kind == TY_FB) {
        fprintf(E->out, "b_%u(rt, st_f);\n", ft->pou->id);
    } else {
        const struct st_stdfb *s = ft->std;
        const char *now = "rt->ctx->now_ns";
        bool u64 = s->cv == TY_ULINT;
        const struct st_type *cvt = st_type_elem(s->cv ? s->cv : TY_INT);
        switch (s->kind) {
        case SFB_TON: fprintf(E->out, "plc_ton(&st_f->fb, st_f->in, st_f->pt, %s);\n", now); break;
        case SFB_TOF: fprintf(E->out, "plc_tof(&st_f->fb, st_f->in, st_f->pt, %s);\n", now); break;
        case SFB_TP: fprintf(E->out, "plc_tp(&st_f->fb, st_f->in, st_f->pt, %s);\n", now); break;
        case SFB_RTRIG: fputs("plc_r_trig(&st_f->fb, st_f->clk);\n", E->out); break;
        case SFB_FTRIG: fputs("plc_f_trig(&st_f->fb, st_f->clk);\n", E->out); break;
        case SFB_SR: fputs("plc_sr(&st_f->fb, st_f->s, st_f->r);\n", E->out); break;
        case SFB_RS: fputs("plc_rs(&st_f->fb, st_f->s, st_f->r);\n", E->out); break;
        case SFB_HYSTERESIS:
            fputs("plc_hysteresis(&st_f->fb, st_f->xin1, st_f->xin2, st_f->eps);\n", E->out);
            break;
        case SFB_INTEGRAL:
            fputs("plc_integral(&st_f->fb, st_f->run, st_f->r1, st_f->xin, st_f->x0, "
                  "st_f->cycle);\n", E->out);
            break;
        case SFB_DERIVATIVE:
            fputs("plc_derivative(&st_f->fb, st_f->run, st_f->xin, st_f->cycle);\n", E->out);
            break;
        case SFB_PID:
            fputs("plc_pid(&st_f->fb, st_f->automatic, st_f->pv, st_f->sp, st_f->x0, st_f->kp, "
                  "st_f->tr, st_f->td, st_f->cycle);\n", E->out);
            break;
        case SFB_RAMP:
            fputs("plc_ramp(&st_f->fb, st_f->run, st_f->x0, st_f->x1, st_f->tr, st_f->cycle);\n",
                  E->out);
            break;
        case SFB_SEMA: fputs("plc_sema(&st_f->fb, st_f->claim, st_f->release);\n", E->out); break;
        case SFB_RTC:
            fprintf(E->out, "plc_rtc(&st_f->fb, st_f->in, st_f->pdt, %s);\n", now);
            break;
        case SFB_CTU:
            if (u64)
                fputs("plc_ctu_u64(&st_f->fb, st_f->cu, st_f->r, st_f->pv);\n", E->out);
            else
                fprintf(E->out, "plc_ctu_range(&st_f->fb, st_f->cu, st_f->r, st_f->pv, "
                        "%" PRIu64 ");\n", st_type_max(cvt));
            break;
        case SFB_CTD:
            if (u64)
                fputs("plc_ctd_u64(&st_f->fb, st_f->cd, st_f->ld, st_f->pv);\n", E->out);
            else
                fprintf(E->out, "plc_ctd_range(&st_f->fb, st_f->cd, st_f->ld, st_f->pv, "
                        "%" PRId64 "LL);\n", st_type_min(cvt));
            break;
        case SFB_CTUD:
            if (u64)
                fputs("plc_ctud_u64(&st_f->fb, st_f->cu, st_f->cd, st_f->r, st_f->ld, "
                      "st_f->pv);\n", E->out);
            else
                fprintf(E->out, "plc_ctud_range(&st_f->fb, st_f->cu, st_f->cd, st_f->r, "
                        "st_f->ld, st_f->pv, %" PRId64 "LL, %" PRIu64 ");\n",
                        st_type_min(cvt), st_type_max(cvt));
            break;
        }
        if (s->kind == SFB_CTU || s->kind == SFB_CTD || s->kind == SFB_CTUD) {
            ind(E);
            fprintf(E->out, "st_f->q = st_f->fb.q; st_f->qu = st_f->fb.qu; "
                    "st_f->qd = st_f->fb.qd; st_f->cv = (%s)st_f->fb.cv;\n", ct(cvt));
        }
    }
    if (ft->kind == TY_FB)
        check_fault(E);
    for (const struct st_arg *a = e->args; a; a = a->next) {
        if (a->pin < 0 || !a->out)
            continue;
        ind(E);
        if (ft->kind == TY_STDFB) {
            const struct st_stdfb_pin *p = &ft->std->pins[a->pin];
            ex(E, a->e), fprintf(E->out, " = (%s)st_f->%s;\n", ct(a->e->type), p->cfield);
            continue;
        }
        const struct st_field *f = ft->fields;
        for (int i = 0; i < a->pin; i++)
            f = f->next;
        const char *fn = cname(E, "v_", f->name);
        if (f->type->kind == TY_STRING) {
            fputs("st_strset(", E->out), ex(E, a->e);
            fprintf(E->out, ", %u, st_f->%s);\n", a->e->type->strlen, fn);
        } else if (f->type->kind == TY_STRUCT || f->type->kind == TY_ARRAY) {
            fputs("memmove(&", E->out), ex(E, a->e);
            fprintf(E->out, ", &st_f->%s, sizeof(st_f->%s));\n", fn, fn);
        } else {
            ex(E, a->e), fprintf(E->out, " = (%s)st_f->%s;\n", ct(a->e->type), fn);
        }
    }
    E->indent--;
    ind(E);
    fputs("}\n", E->out);
    ind(E);
    fputs("st_f->st_en = st_en;\n", E->out);
    ind(E);
    fputs("st_f->st_eno = st_en;\n", E->out);
    if (eno) {
        ind(E);
        ex(E, eno->e), fputs(" = st_en;\n", E->out);
    }
    E->indent--;
    ind(E);
    fputs("}\n", E->out);
}

static void label_test(struct emit *E, const struct st_label *l, const char *sel)
{
    if (!l->hi)
        fprintf(E->out, "%s == %" PRId64 "LL", sel, l->vlo);
    else
        fprintf(E->out, "(%s >= %" PRId64 "LL && %s <= %" PRId64 "LL)", sel, l->vlo, sel,
                l->vhi);
}


/* The variable an lvalue-like expression stands in (x of x, x.3, x.a, x[i]). */
static const struct st_var *root_var(const struct st_expr *e)
{
    while (e && (e->kind == E_BIT || e->kind == E_MEMBER || e->kind == E_INDEX))
        e = e->a;
    return e && e->kind == E_NAME ? e->var : NULL;
}

static bool expr_may_write(const struct st_expr *e, const struct st_var *v);

static bool stmts_may_write(const struct st_stmt *s, const struct st_var *v)
{
    for (; s; s = s->next) {
        if ((s->kind == S_ASSIGN || s->kind == S_FOR) && root_var(s->lhs) == v)
            return true;
        if (expr_may_write(s->rhs, v) || expr_may_write(s->cond, v) ||
            expr_may_write(s->from, v) || expr_may_write(s->to, v) ||
            expr_may_write(s->by, v) || expr_may_write(s->lhs, v) ||
            stmts_may_write(s->body, v) || stmts_may_write(s->else_body, v))
            return true;
        for (const struct st_branch *b = s->branches; b; b = b->next)
            if (stmts_may_write(b->body, v))
                return true;
    }
    return false;
}

/* Whether @e may change @v: an output (=>) into it, or @v passed to a user
 * POU, which may take it by reference (VAR_IN_OUT). */
static bool expr_may_write(const struct st_expr *e, const struct st_var *v)
{
    if (!e)
        return false;
    if (expr_may_write(e->a, v) || expr_may_write(e->b, v))
        return true;
    for (const struct st_expr *i = e->idx; i; i = i->next) /* subscripts */
        if (expr_may_write(i, v))
            return true;
    for (const struct st_arg *a = e->args; a; a = a->next)
        if (((a->out || e->callee != CALL_STDFN) && root_var(a->e) == v) ||
            expr_may_write(a->e, v))
            return true;
    return false;
}

/* @e's value when the folder knows it and it fits an int64_t. */
static bool const_int(const struct st_expr *e, int64_t *out)
{
    struct st_value v;
    if (!e->type || !st_type_is_int(e->type) || !st_fold(e, &v) || v.div0)
        return false;
    if (st_type_is_signed(e->type)) {
        *out = v.i;
        return true;
    }
    *out = (int64_t)v.u;
    return v.u <= (uint64_t)INT64_MAX;
}

/*
 * A FOR loop whose counter is a variable of this POU's own state that its
 * body never writes counts in a C local: the body's calls take pointers into
 * the state, so a counter kept only there would be reloaded (and its
 * subscripts rechecked) after each call. Nothing else can read the variable
 * while the loop runs (no callee reaches this POU's variables), so it gets
 * the local's value where the loop is left: after its end or an EXIT, and
 * before a RETURN. A fault leaves it behind, and ends the scan: a faulted
 * program restarts from its initial values. Here: whether @s is such a loop.
 */
static bool for_local(struct emit *E, const struct st_stmt *s)
{
    const struct st_var *v = s->lhs->kind == E_NAME ? s->lhs->var : NULL;
    return v && !v->global && !v->tag && v->owner && v->decl->section != SEC_INOUT &&
           v->decl->section != SEC_EXTERNAL &&
           E->nloops < sizeof(E->loops) / sizeof(E->loops[0]) && !stmts_may_write(s->body, v);
}

/* The FOR counter as the C code spells it: the local st_i<n>, or the variable. */
static void for_counter(struct emit *E, const struct st_stmt *s, bool local, unsigned n)
{
    if (local)
        fprintf(E->out, "st_i%u", n);
    else
        ex(E, s->lhs);
}

/* FOR: bounds and step evaluated once, a step of 0 faults, never wraps. */
static void for_stmt(struct emit *E, const struct st_stmt *s)
{
    bool local = for_local(E, s);
    unsigned n = ++E->tmp;
    const struct st_type *t = base(s->lhs->type);
    ind(E);
    fprintf(E->out, "{ %s st_to%u = ", ct(t), n), as(E, s->to, t);
    fprintf(E->out, "; %s st_by%u = ", ct(t), n);
    if (s->by)
        as(E, s->by, t);
    else
        fputs("1", E->out);
    fprintf(E->out, "; bool st_done%u = false;\n", n);
    ind(E);
    if (local) {
        fprintf(E->out, "%s st_i%u = ", ct(t), n), as(E, s->from, t), fputs(";\n", E->out);
        ind(E);
        var_path(E, s->lhs->var), fprintf(E->out, " = st_i%u;\n", n);
    } else {
        ex(E, s->lhs), fputs(" = ", E->out), as(E, s->from, t), fputs(";\n", E->out);
    }
    if (s->faults) {
        ind(E);
        fprintf(E->out, "if (st_by%u == 0) { st_fault(rt, ", n);
        where(E, s->loc, "FOR step is 0");
        fputs("); goto st_end; }\n", E->out);
    }
    if (s->from->faults || s->to->faults || (s->by && s->by->faults))
        check_fault(E);
    ind(E);
    fprintf(E->out, "for (; !st_done%u && (st_by%u > 0 ? ", n, n);
    for_counter(E, s, local, n), fprintf(E->out, " <= st_to%u : ", n);
    for_counter(E, s, local, n), fprintf(E->out, " >= st_to%u); ", n);
    fprintf(E->out, "st_done%u = __builtin_add_overflow(", n);
    for_counter(E, s, local, n), fprintf(E->out, ", st_by%u, &", n);
    for_counter(E, s, local, n), fputs(")) {\n", E->out);
    if (local) {
        struct emit_loop lp = {s->lhs->var, n, false, 0, 0};
        int64_t from, to, by = 1;
        if (const_int(s->from, &from) && const_int(s->to, &to) &&
            (!s->by || const_int(s->by, &by)) && by != 0) {
            lp.bounded = true;
            lp.lo = by > 0 ? from : to;
            lp.hi = by > 0 ? to : from;
        }
        E->loops[E->nloops++] = lp;
    }
    E->indent++;
    stmts(E, s->body);
    E->indent--;
    if (local)
        E->nloops--;
    ind(E);
    fputs("}\n", E->out);
    ind(E);
    if (local) /* after the end or an EXIT */
        var_path(E, s->lhs->var), fprintf(E->out, " = st_i%u; ", n);
    fputs("}\n", E->out);
}

static void stmt(struct emit *E, const struct st_stmt *s)
{
    line(E, s->loc);
    switch (s->kind) {
    case S_ASSIGN:
        assign_to(E, s->lhs, s->rhs, s->loc);
        break;
    case S_CALL:
        if (s->rhs->callee == CALL_FB || s->rhs->callee == CALL_STDFB) {
            fb_call(E, s->rhs);
        } else {
            ind(E);
            fputs("(void)", E->out), call_value(E, s->rhs), fputs(";\n", E->out);
        }
        break;
    case S_IF:
        ind(E);
        fputs("if (", E->out), ex(E, s->cond), fputs(") {\n", E->out);
        E->indent++;
        stmts(E, s->body);
        E->indent--;
        if (s->else_body) {
            ind(E);
            fputs("} else {\n", E->out);
            E->indent++;
            stmts(E, s->else_body);
            E->indent--;
        }
        ind(E);
        fputs("}\n", E->out);
        break;
    case S_CASE: {
        /* an if chain, not a switch: EXIT inside must leave the loop */
        unsigned n = ++E->tmp;
        char sel[32];
        snprintf(sel, sizeof(sel), "st_sel%u", n);
        bool u = !st_type_is_signed(base(s->cond->type)) && s->cond->type->kind != TY_ENUM;
        ind(E);
        fprintf(E->out, "{ %s %s = (%s)", u ? "uint64_t" : "int64_t", sel,
                u ? "uint64_t" : "int64_t");
        ex(E, s->cond), fputs(";\n", E->out);
        if (s->faults || s->cond->faults)
            check_fault(E);
        bool first = true;
        for (const struct st_branch *b = s->branches; b; b = b->next) {
            ind(E);
            fputs(first ? "if (" : "} else if (", E->out);
            for (const struct st_label *l = b->labels; l; l = l->next) {
                if (l != b->labels)
                    fputs(" || ", E->out);
                if (u) {
                    char cast[48];
                    snprintf(cast, sizeof(cast), "(int64_t)%s", sel);
                    fprintf(E->out, "(%s <= INT64_MAX && ", sel);
                    label_test(E, l, cast);
                    fputc(')', E->out);
                } else {
                    label_test(E, l, sel);
                }
            }
            fputs(") {\n", E->out);
            E->indent++;
            stmts(E, b->body);
            E->indent--;
            first = false;
        }
        if (s->else_body) {
            ind(E);
            fputs(first ? "{\n" : "} else {\n", E->out);
            E->indent++;
            stmts(E, s->else_body);
            E->indent--;
            first = false;
        }
        if (!first) {
            ind(E);
            fputs("}\n", E->out);
        }
        ind(E);
        fputs("}\n", E->out);
        return;
    }
    case S_FOR:
        for_stmt(E, s);
        return;
    case S_WHILE:
        ind(E);
        fputs("while (", E->out), ex(E, s->cond), fputs(") {\n", E->out);
        E->indent++;
        if (s->cond->faults)
            check_fault(E);
        stmts(E, s->body);
        E->indent--;
        ind(E);
        fputs("}\n", E->out);
        if (s->cond->faults)
            check_fault(E);
        return;
    case S_REPEAT:
        ind(E);
        fputs("do {\n", E->out);
        E->indent++;
        stmts(E, s->body);
        E->indent--;
        ind(E);
        fputs("} while (!(", E->out), ex(E, s->cond), fputs("));\n", E->out);
        if (s->cond->faults)
            check_fault(E);
        return;
    case S_EXIT:
        ind(E);
        fputs("break;\n", E->out);
        return;
    case S_CONTINUE:
        ind(E);
        fputs("continue;\n", E->out);
        return;
    case S_RETURN:
        /* the counters of the loops it leaves, back in their variables */
        for (unsigned i = 0; i < E->nloops; i++) {
            ind(E);
            var_path(E, E->loops[i].var), fprintf(E->out, " = st_i%u;\n", E->loops[i].n);
        }
        ind(E);
        fputs("goto st_end;\n", E->out);
        return;
    case S_EMPTY:
        return;
    }
    if (s->faults)
        check_fault(E);
}

static void stmts(struct emit *E, const struct st_stmt *s)
{
    for (; s; s = s->next)
        stmt(E, s);
}

/* ---- initial values ----------------------------------------------------------------- */

static bool needs_init(const struct st_type *t)
{
    if (t->init)
        return true;
    switch (t->kind) {
    case TY_STRUCT: case TY_FB: return true;
    case TY_ARRAY: return needs_init(t->elem);
    case TY_ENUM: return t->values && t->values->value != 0;
    default: return t->has_range && (t->lo > 0 || t->hi < 0);
    }
}

/*
 * An initial value the folder computes is written as its value, exactly (hex
 * floats): CONSTANT initializers are compile-time values, and the
 * differential test (tests/st/diff-fold.py) sets fold.c against the C the
 * emitter writes for the same expression in a body. False: emit the
 * expression (not constant, or it divides by zero and must fault at init).
 */
static bool init_folded(struct emit *E, const char *lv, const struct st_type *t,
                        const struct st_expr *e)
{
    struct st_value v;
    if (!e->type || !st_type_is_scalar(e->type) || e->type->kind == TY_STRING ||
        !st_fold(e, &v) || v.div0)
        return false;
    FILE *out = E->out;
    ind(E);
    fprintf(out, "%s = (%s)", lv, ct(t));
    switch (v.type->kind == TY_ANYINT ? TY_LINT : v.type->kind == TY_ANYREAL ? TY_LREAL
                                                                              : v.type->kind) {
    case TY_BOOL:
        fputs(v.b ? "1" : "0", out);
        break;
    case TY_REAL:
    case TY_LREAL:
        if (isnan(v.r))
            fputs(signbit(v.r) ? "(-__builtin_nan(\"\"))" : "__builtin_nan(\"\")", out);
        else if (isinf(v.r))
            fputs(v.r < 0 ? "(-__builtin_inf())" : "__builtin_inf()", out);
        else
            fprintf(out, "%s%a", v.type->kind == TY_REAL ? "(float)" : "", v.r);
        break;
    case TY_SINT: case TY_INT: case TY_DINT: case TY_LINT: case TY_TIME: case TY_ENUM:
    case TY_DATE: case TY_TOD: case TY_DT:
        /* through the bit pattern: INT64_MIN has no literal of its own */
        fprintf(out, "(int64_t)UINT64_C(%" PRIu64 ")", (uint64_t)v.i);
        break;
    default:
        fprintf(out, "UINT64_C(%" PRIu64 ")", v.u);
    }
    fputs(";\n", out);
    return true;
}

static void init_value(struct emit *E, const char *lv, const struct st_type *t,
                       const struct st_init *in)
{
    char buf[512];
    if (!in && t->init)
        in = t->init; /* the TYPE's own initial value */
    switch (t->kind) {
    case TY_ARRAY: {
        uint64_t n = elems(t), k = 0;
        if (in && in->kind == I_ARRAY) {
            for (const struct st_init *i = in->items; i && k < n; i = i->next) {
                uint64_t rep = i->repeat ? i->repeat->ival : 1;
                for (uint64_t r = 0; r < rep && k < n; r++, k++) {
                    snprintf(buf, sizeof(buf), "%s[%" PRIu64 "]", lv, k);
                    init_value(E, buf, t->elem, i->kind ? i : NULL);
                }
            }
        }
        if (k < n && needs_init(t->elem)) {
            unsigned v = ++E->tmp;
            ind(E);
            fprintf(E->out, "for (size_t st_k%u = %" PRIu64 "; st_k%u < %" PRIu64 "; st_k%u++) {\n",
                    v, k, v, n, v);
            E->indent++;
            snprintf(buf, sizeof(buf), "%s[st_k%u]", lv, v);
            init_value(E, buf, t->elem, NULL);
            E->indent--;
            ind(E);
            fputs("}\n", E->out);
        }
        return;
    }
    case TY_STRUCT:
        for (const struct st_field *f = t->fields; f; f = f->next) {
            const struct st_init *fi = f->decl->init;
            for (const struct st_init *i = in && in->kind == I_STRUCT ? in->items : NULL; i;
                 i = i->next)
                if (st_ieq(i->field, f->name))
                    fi = i;
            snprintf(buf, sizeof(buf), "%s.%s", lv, cname(E, "v_", f->name));
            init_value(E, buf, f->type, fi);
        }
        return;
    case TY_FB:
        ind(E);
        fprintf(E->out, "i_%u(rt, &%s);\n", t->pou->id, lv);
        for (const struct st_init *i = in && in->kind == I_STRUCT ? in->items : NULL; i;
             i = i->next)
            for (const struct st_field *f = t->fields; f; f = f->next)
                if (st_ieq(i->field, f->name)) {
                    snprintf(buf, sizeof(buf), "%s.%s", lv, cname(E, "v_", f->name));
                    init_value(E, buf, f->type, i);
                }
        return;
    case TY_STDFB:
        for (const struct st_init *i = in && in->kind == I_STRUCT ? in->items : NULL; i;
             i = i->next)
            for (unsigned p = 0; p < t->std->pin_count; p++)
                if (st_ieq(i->field, t->std->pins[p].name) && i->kind == I_EXPR) {
                    enum st_tkind k = t->std->pins[p].kind;
                    ind(E);
                    fprintf(E->out, "%s.%s = ", lv, t->std->pins[p].cfield);
                    as(E, i->e, st_type_elem(k == TY_ANYINT ? t->std->cv : k));
                    fputs(";\n", E->out);
                }
        return;
    case TY_STRING:
        if (in && in->kind == I_EXPR) {
            ind(E);
            fprintf(E->out, "st_strset(%s, %u, ", lv, t->strlen), ex(E, in->e);
            fputs(");\n", E->out);
        }
        return;
    default:
        if (in && in->kind == I_EXPR && init_folded(E, lv, t, in->e)) {
            /* written as its value */
        } else if (in && in->kind == I_EXPR) {
            ind(E);
            fprintf(E->out, "%s = ", lv), as(E, in->e, t), fputs(";\n", E->out);
        } else if (t->kind == TY_ENUM && t->values && t->values->value) {
            ind(E);
            fprintf(E->out, "%s = %" PRId32 ";\n", lv, t->values->value);
        } else if (t->has_range && (t->lo > 0 || t->hi < 0)) {
            ind(E);
            fprintf(E->out, "%s = (%s)%" PRId64 "LL;\n", lv, ct(t), t->lo);
        }
    }
}

static bool in_state(const struct st_var *v)
{
    return !v->global && !v->tag && v->decl->section != SEC_TEMP;
}

/* ---- POUs --------------------------------------------------------------------------------- */

static void type_defs(struct emit *E)
{
    for (size_t i = 0; i < E->unit->order_count; i++) {
        const struct st_type *t = E->unit->order[i];
        if (t->kind == TY_STRUCT) {
            fprintf(E->out, "struct t_%u {\n    char st_pad;\n", t->id);
            for (const struct st_field *f = t->fields; f; f = f->next) {
                fputs("    ", E->out);
                decl(E, f->type, cname(E, "v_", f->name));
                fputs(";\n", E->out);
            }
            fputs("};\n", E->out);
        } else if (t->kind == TY_FB) {
            fprintf(E->out, "struct fb_%u { /* %s */\n    bool st_en, st_eno;\n", t->id,
                    t->pou->name);
            for (const struct st_var *v = t->pou->vars; v; v = v->next) {
                if (!in_state(v))
                    continue;
                fputs("    ", E->out);
                if (v->decl->section == SEC_INOUT) {
                    char nm[160];
                    snprintf(nm, sizeof(nm), "(*%s)", v->cname);
                    decl(E, v->type, nm);
                } else {
                    decl(E, v->type, v->cname);
                }
                fputs(";\n", E->out);
            }
            fputs("};\n", E->out);
        }
    }
}

static void fn_signature(struct emit *E, const struct st_pou *u)
{
    const struct st_type *r = u->rettype;
    if (r->kind == TY_VOID)
        fputs("ST_FN void ", E->out);
    else if (r->kind == TY_STRING)
        fputs("ST_FN const char *", E->out);
    else if (r->kind == TY_STRUCT)
        fprintf(E->out, "ST_FN struct t_%u ", r->id);
    else
        fprintf(E->out, "ST_FN %s ", ct(r));
    fprintf(E->out, "f_%u(struct st_rt *rt", u->id);
    for (const struct st_var *v = u->vars; v; v = v->next) {
        if (v == u->result)
            continue;
        char nm[160];
        switch (v->decl->section) {
        case SEC_INPUT:
            fputs(", ", E->out);
            snprintf(nm, sizeof(nm), "a_%s", v->cname + 2);
            if (v->type->kind == TY_STRING)
                fprintf(E->out, "const char *%s", nm);
            else
                decl(E, v->type, nm);
            break;
        case SEC_OUTPUT:
            fputs(", ", E->out);
            snprintf(nm, sizeof(nm), "(*o_%s)", v->cname + 2);
            decl(E, v->type, nm);
            break;
        case SEC_INOUT:
            fputs(", ", E->out);
            snprintf(nm, sizeof(nm), "(*%s)", v->cname);
            decl(E, v->type, nm);
            break;
        default:
            break;
        }
    }
    fputc(')', E->out);
}

/*
 * The tags a POU reads but may not write (inputs, commands, parameters) as
 * locals, read once at its start: the image is the scan's snapshot, constant
 * while the program runs, but a C compiler must reload it after every call
 * it cannot see into (a standard block), as it would a variable.
 */
static void read_only_tags(struct emit *E, const struct st_pou *u)
{
    for (const struct st_var *v = u->vars; v; v = v->next) {
        const struct st_var *r = v->global ? v->global : v;
        if (!r->tag || r->tag_writable)
            continue;
        bool seen = false; /* one local per tag (a name and an address may share one) */
        for (const struct st_var *w = u->vars; w != v && !seen; w = w->next)
            seen = (w->global ? w->global : w)->tag == r->tag;
        if (seen)
            continue;
        ind(E);
        fputs("const __typeof__(", E->out), var_path(E, r);
        fprintf(E->out, ") st_in_%s __attribute__((unused)) = ", r->tag->name);
        var_path(E, r), fputs(";\n", E->out);
    }
}

static void pou_fn(struct emit *E, const struct st_pou *u)
{
    E->pou = u;
    E->indent = 1;
    if (u->kind == POU_FUNCTION) {
        fn_signature(E, u);
        fputs("\n{\n", E->out);
        for (const struct st_var *v = u->vars; v; v = v->next) {
            enum st_section sec = v->decl->section;
            if (sec == SEC_INOUT || v->global || v->tag)
                continue;
            ind(E);
            decl(E, v->type, v->cname);
            fputs(";\n", E->out);
            ind(E);
            fprintf(E->out, "memset(&%s, 0, sizeof(%s));\n", v->cname, v->cname);
            if (sec == SEC_INPUT) {
                ind(E);
                if (v->type->kind == TY_STRING)
                    fprintf(E->out, "st_strset(%s, %u, a_%s);\n", v->cname, v->type->strlen,
                            v->cname + 2);
                else if (v->type->kind == TY_ARRAY)
                    fprintf(E->out, "memcpy(%s, a_%s, sizeof(%s));\n", v->cname, v->cname + 2,
                            v->cname);
                else
                    fprintf(E->out, "%s = a_%s;\n", v->cname, v->cname + 2);
            } else {
                init_value(E, v->cname, v->type, v->decl->init);
            }
        }
    } else {
        fprintf(E->out, "ST_FN void b_%u(struct st_rt *rt, struct fb_%u *self)\n{\n", u->id,
                u->type->id);
        for (const struct st_var *v = u->vars; v; v = v->next) {
            if (v->decl->section != SEC_TEMP)
                continue;
            ind(E);
            decl(E, v->type, v->cname);
            fputs(";\n", E->out);
            ind(E);
            fprintf(E->out, "memset(&%s, 0, sizeof(%s));\n", v->cname, v->cname);
            init_value(E, v->cname, v->type, v->decl->init);
        }
    }
    read_only_tags(E, u);
    E->tags_cached = true;
    stmts(E, u->body);
    E->tags_cached = false;
    fputs("    goto st_end;\nst_end:\n", E->out);
    if (u->kind == POU_FUNCTION) {
        for (const struct st_var *v = u->vars; v; v = v->next)
            if (v->decl->section == SEC_OUTPUT)
                fprintf(E->out, "    if (o_%s) memcpy(o_%s, &%s, sizeof(%s));\n", v->cname + 2,
                        v->cname + 2, v->cname, v->cname);
        if (u->result && u->rettype->kind == TY_STRING)
            fputs("    return st_strcpy_tmp(rt, result);\n", E->out);
        else if (u->result)
            fputs("    return result;\n", E->out);
    }
    fputs("    (void)rt;\n}\n#line 1 \"plc-st-generated.c\"\n\n", E->out);
}

static void init_fn(struct emit *E, const struct st_pou *u)
{
    E->pou = u;
    E->indent = 1;
    fprintf(E->out, "ST_FN void i_%u(struct st_rt *rt, struct fb_%u *self)\n{\n", u->id,
            u->type->id);
    for (const struct st_var *v = u->vars; v; v = v->next) {
        if (!in_state(v) || v->decl->section == SEC_INOUT)
            continue;
        char lv[200];
        snprintf(lv, sizeof(lv), "self->%s", v->cname);
        init_value(E, lv, v->type, v->decl->init);
    }
    fputs("    (void)rt;\n    (void)self;\n}\n#line 1 \"plc-st-generated.c\"\n\n", E->out);
}

/* ---- plc_st_meta -------------------------------------------------------------------- */

static void meta_entry(struct emit *E, const char *prog, const char *path, const char *cpath,
                       const struct st_var *v, const struct st_type *t, unsigned flags,
                       const char *address)
{
    const struct st_type *b = base(t);
    unsigned kind = b->kind == TY_ENUM ? PLC_ST_ENUM : (unsigned)b->kind;
    char tn[64];
    st_type_describe(t, tn, sizeof(tn));
    fputs("    {", E->out);
    cstring(E->out, prog, strlen(prog));
    fputs(", ", E->out);
    cstring(E->out, path, strlen(path));
    fputs(", ", E->out);
    if (address)
        cstring(E->out, address, strlen(address));
    else
        fputs("NULL", E->out);
    fputs(", ", E->out);
    cstring(E->out, tn, strlen(tn));
    if (b->kind == TY_ENUM)
        fprintf(E->out, ", &st_enum_%u", b->id);
    else
        fputs(", NULL", E->out);
    if (v && v->tag)
        fprintf(E->out, ", 0, %zu", v->tag->size);
    else
        fprintf(E->out, ", offsetof(struct st_state, %s), (uint32_t)sizeof(((struct st_state *)0)->%s)",
                cpath, cpath);
    fprintf(E->out, ", %u, %u},\n", kind, flags);
    E->meta_count++;
}

static void meta_walk(struct emit *E, const char *prog, const char *path, const char *cpath,
                      const struct st_var *v, const struct st_type *t, unsigned flags,
                      const char *address)
{
    char p[512], c[768];
    switch (t->kind) {
    case TY_ARRAY: {
        uint64_t n = elems(t);
        for (uint64_t k = 0; k < n; k++) {
            /* the ST subscripts of flat element k */
            char sub[128] = "";
            uint64_t rest = k, stride = n;
            for (unsigned d = 0; d < t->ndims; d++) {
                uint64_t len = (uint64_t)(t->dhi[d] - t->dlo[d] + 1);
                stride /= len;
                size_t l = strlen(sub);
                snprintf(sub + l, sizeof(sub) - l, "%s%" PRId64, d ? "," : "",
                         t->dlo[d] + (int64_t)(rest / stride));
                rest %= stride;
            }
            snprintf(p, sizeof(p), "%s[%s]", path, sub);
            snprintf(c, sizeof(c), "%s[%" PRIu64 "]", cpath, k);
            meta_walk(E, prog, p, c, NULL, t->elem, flags, NULL);
        }
        return;
    }
    case TY_STRUCT:
        for (const struct st_field *f = t->fields; f; f = f->next) {
            snprintf(p, sizeof(p), "%s.%s", path, f->name);
            snprintf(c, sizeof(c), "%s.%s", cpath, cname(E, "v_", f->name));
            meta_walk(E, prog, p, c, NULL, f->type, flags, NULL);
        }
        return;
    case TY_FB:
        for (const struct st_var *fv = t->pou->vars; fv; fv = fv->next) {
            if (!in_state(fv) || fv->decl->section == SEC_INOUT)
                continue;
            enum st_section sec = fv->decl->section;
            unsigned f = flags & ~(unsigned)(PLC_ST_VAR_INPUT | PLC_ST_VAR_OUTPUT |
                                             PLC_ST_VAR_EXTERNAL);
            if (sec == SEC_INPUT)
                f |= PLC_ST_VAR_INPUT;
            else if (sec == SEC_OUTPUT)
                f |= PLC_ST_VAR_OUTPUT;
            else
                f &= ~(unsigned)PLC_ST_VAR_SHOW;
            if (fv->decl->flags & VF_RETAIN)
                f |= PLC_ST_VAR_RETAIN;
            snprintf(p, sizeof(p), "%s.%s", path, fv->decl->name);
            snprintf(c, sizeof(c), "%s.%s", cpath, fv->cname);
            meta_walk(E, prog, p, c, NULL, fv->type, f, NULL);
        }
        return;
    case TY_STDFB:
        for (unsigned i = 0; i < t->std->pin_count; i++) {
            const struct st_stdfb_pin *pin = &t->std->pins[i];
            unsigned f = flags & ~(unsigned)(PLC_ST_VAR_INPUT | PLC_ST_VAR_OUTPUT |
                                             PLC_ST_VAR_EXTERNAL);
            f |= pin->output ? PLC_ST_VAR_OUTPUT : PLC_ST_VAR_INPUT;
            snprintf(p, sizeof(p), "%s.%s", path, pin->name);
            snprintf(c, sizeof(c), "%s.%s", cpath, pin->cfield);
            enum st_tkind k = pin->kind == TY_ANYINT ? t->std->cv : pin->kind;
            meta_entry(E, prog, p, c, NULL, st_type_elem(k), f, NULL);
        }
        for (unsigned i = 0; i < t->std->priv_count; i++) {
            const struct st_stdfb_pin *pin = &t->std->priv[i];
            unsigned f = flags & ~(unsigned)(PLC_ST_VAR_INPUT | PLC_ST_VAR_OUTPUT |
                                             PLC_ST_VAR_EXTERNAL | PLC_ST_VAR_SHOW);
            snprintf(p, sizeof(p), "%s.%s", path, pin->name);
            snprintf(c, sizeof(c), "%s.%s", cpath, pin->cfield);
            meta_entry(E, prog, p, c, NULL, st_type_elem(pin->kind), f, NULL);
        }
        return;
    default:
        meta_entry(E, prog, path, cpath, v, t, flags, address);
    }
}

static void meta_var(struct emit *E, const char *prog, const char *cbase, const struct st_var *v,
                     bool show)
{
    if (v->global || v->decl->section == SEC_TEMP || v->decl->section == SEC_INOUT)
        return;
    unsigned f = show ? PLC_ST_VAR_SHOW : 0;
    enum st_section sec = v->decl->section;
    f |= sec == SEC_INPUT ? PLC_ST_VAR_INPUT : sec == SEC_OUTPUT ? PLC_ST_VAR_OUTPUT : 0;
    f |= sec == SEC_EXTERNAL || sec == SEC_GLOBAL || !v->owner ? PLC_ST_VAR_EXTERNAL : 0;
    f |= v->decl->flags & VF_RETAIN ? PLC_ST_VAR_RETAIN : 0;
    f |= v->decl->flags & VF_CONSTANT ? PLC_ST_VAR_CONSTANT : 0;
    f |= v->tag ? PLC_ST_VAR_IMAGE : 0;
    char c[512];
    snprintf(c, sizeof(c), "%s%s", cbase, v->cname);
    meta_walk(E, prog, v->decl->name, c, v, v->type, f, v->decl->address);
}

static void enum_tables(struct emit *E)
{
    /* every enum type reachable from a declared variable: walk the TYPE list */
    for (const struct st_typedecl *d = E->unit->types; d; d = d->next) {
        const struct st_type *t = d->type;
        if (!t || t->kind != TY_ENUM)
            continue;
        fprintf(E->out, "static const char *const st_enum_%u_names[] = {", t->id);
        for (const struct st_enumval *v = t->values; v; v = v->next)
            cstring(E->out, v->name, strlen(v->name)), fputs(", ", E->out);
        fprintf(E->out, "NULL};\nstatic const int32_t st_enum_%u_values[] = {", t->id);
        for (const struct st_enumval *v = t->values; v; v = v->next)
            fprintf(E->out, "%" PRId32 ", ", v->value);
        fprintf(E->out, "0};\nstatic const struct plc_st_enum st_enum_%u = {", t->id);
        cstring(E->out, t->name, strlen(t->name));
        fprintf(E->out, ", %u, st_enum_%u_names, st_enum_%u_values};\n", t->value_count, t->id,
                t->id);
    }
}

/* ---- the program -------------------------------------------------------------------- */

struct inst {
    const char *name;
    const struct st_pou *pou;
    const char *cname;
    const struct st_task *with; /* NULL: the tick's task */
};

/* One scan function: @fn runs the instances of @task (all when @all), in order. */
static void scan_fn(FILE *out, const char *fn, const struct inst *insts, size_t ninst,
                    const struct st_task *task, bool all, const struct st_task *tick)
{
    fprintf(out, "static int %s(struct plc_ctx *ctx)\n{\n    struct st_rt rt_, *rt = &rt_;\n"
                 "    st_rt_start(rt, ctx);\n", fn);
    for (size_t i = 0; i < ninst; i++)
        if (all || insts[i].with == task || (!insts[i].with && task == tick))
            fprintf(out, "    b_%u(rt, &rt->st->%s);\n    if (rt->fault)\n        goto st_end;\n",
                    insts[i].pou->id, insts[i].cname);
    fputs("st_end:\n    if (rt->fault) {\n        ctx->fault = rt->fault;\n        return 1;\n"
          "    }\n    return 0;\n}\n\n", out);
}

int st_emit(struct st_ctx *ctx, const struct st_unit *unit, const struct st_emit_options *o,
            FILE *out)
{
    struct emit E = {.ctx = ctx, .unit = unit, .o = o, .out = out};
    struct inst insts[256];
    size_t ninst = 0;
    for (const struct st_instance *in = unit->run; in && ninst < 256; in = in->next)
        if (in->pou)
            insts[ninst++] = (struct inst){in->name, in->pou, cname(&E, "i_", in->name), in->with};
    if (!unit->configs && unit->root)
        insts[ninst++] = (struct inst){unit->root->name, unit->root,
                                       cname(&E, "i_", unit->root->name), NULL};
    fputs("/* Generated by plc-st: do not edit, change the ST source. */\n", out);
    if (o->layout) {
        fputs("#include \"plc-image.h\"\n", out);
    } else {
        fputs("#define PLC_LAYOUT_NAME \"\"\n#define PLC_LAYOUT_VERSION 0u\n"
              "#define PLC_LAYOUT_HASH 0\nstruct plc_image;\n", out);
    }
    /* the POUs' functions: static in one file, hidden externs when the
     * driver compiles them as several files (ST_EMIT_PART) */
    fputs("#ifndef ST_FN\n#define ST_FN static\n#endif\n", out);
    fputs(st_emit_prelude, out);
    fputs("static inline const char *st_strcpy_tmp(struct st_rt *rt, const char *s)\n"
          "{ char *t = st_tmp(rt); st_strset(t, 1024, s); return t; }\n\n", out);
    type_defs(&E);
    fputs("\nstruct st_globals {\n    char st_pad;\n", out);
    for (const struct st_var *g = unit->globals; g; g = g->next)
        if (!g->tag) {
            fputs("    ", out);
            decl(&E, g->type, g->cname);
            fputs(";\n", out);
        }
    fputs("};\n\nstruct st_state {\n    struct st_globals g;\n", out);
    for (size_t i = 0; i < ninst; i++)
        fprintf(out, "    struct fb_%u %s;\n", insts[i].pou->type->id, insts[i].cname);
    fputs("};\n\n", out);
    /* prototypes, so POUs may come in any order */
    for (const struct st_pou *u = unit->pous; u; u = u->next) {
        if (!u->used || !u->checked)
            continue;
        if (u->kind == POU_FUNCTION) {
            fn_signature(&E, u);
            fputs(";\n", out);
        } else {
            fprintf(out, "ST_FN void b_%u(struct st_rt *rt, struct fb_%u *self);\n", u->id,
                    u->type->id);
            fprintf(out, "ST_FN void i_%u(struct st_rt *rt, struct fb_%u *self);\n", u->id,
                    u->type->id);
        }
    }
    fputc('\n', out);
    for (const struct st_pou *u = unit->pous; u; u = u->next) {
        if (!u->used || !u->checked)
            continue;
        fputs(ST_EMIT_PART "\n", out);
        pou_fn(&E, u);
        if (u->kind != POU_FUNCTION)
            init_fn(&E, u);
    }
    E.pou = NULL;
    E.indent = 1;
    fputs(ST_EMIT_TAIL "\n", out);
    fputs("static void st_rt_start(struct st_rt *rt, struct plc_ctx *ctx)\n{\n"
          "    rt->ctx = ctx;\n    rt->st = ctx->state;\n    rt->img = ctx->image;\n"
          "    rt->fault = NULL;\n    rt->tmp_next = 0;\n}\n\n", out);
    fputs("static int st_init(struct plc_ctx *ctx)\n{\n    struct st_rt rt_, *rt = &rt_;\n"
          "    st_rt_start(rt, ctx);\n", out);
    for (const struct st_var *g = unit->globals; g; g = g->next)
        if (!g->tag) {
            char lv[200];
            snprintf(lv, sizeof(lv), "rt->st->g.%s", g->cname);
            init_value(&E, lv, g->type, g->decl->init);
        }
    for (size_t i = 0; i < ninst; i++)
        fprintf(out, "    i_%u(rt, &rt->st->%s);\n", insts[i].pou->id, insts[i].cname);
    fputs("    if (rt->fault) {\n        ctx->fault = rt->fault;\n        return 1;\n    }\n"
          "    return 0;\n}\n\n", out);
    if (!unit->sched_count)
        scan_fn(out, "st_scan", insts, ninst, NULL, true, NULL);
    for (size_t k = 0; k < unit->sched_count; k++) {
        char fn[32];
        snprintf(fn, sizeof(fn), "st_task_%zu", k);
        scan_fn(out, fn, insts, ninst, unit->sched[k], false, &unit->sched_tick);
    }
    if (unit->sched_count) {
        /* the schedule: plc-task.h, run alike by plc-logic and plc-st sim */
        fputs("static const struct plc_task st_tasks[] = {\n", out);
        for (size_t k = 0; k < unit->sched_count; k++) {
            const struct st_task *t = unit->sched[k];
            fputs("    {", out);
            cstring(out, t->name, strlen(t->name));
            fprintf(out, ", %" PRIu64 "u, %" PRIu32 "u, st_task_%zu},\n", t->interval_ns, t->prio,
                    k);
        }
        fputs("};\n\n", out);
    }
    enum_tables(&E);
    fputs("static const struct plc_st_var st_vars[] = {\n", out);
    for (const struct st_var *g = unit->globals; g; g = g->next)
        meta_var(&E, "", "g.", g, true);
    for (size_t i = 0; i < ninst; i++) {
        bool show = !o->program_name || st_ieq(o->program_name, insts[i].name) ||
                    st_ieq(o->program_name, insts[i].pou->name) || ninst == 1;
        char cb[200];
        snprintf(cb, sizeof(cb), "%s.", insts[i].cname);
        for (const struct st_var *v = insts[i].pou->vars; v; v = v->next)
            meta_var(&E, insts[i].name, cb, v, show);
    }
    if (!E.meta_count)
        fputs("    {0},\n", out);
    fputs("};\n\n", out);
    fprintf(out, "PLC_PROGRAM_EXPORT const struct plc_st_meta plc_st_meta = {\n"
                 "    PLC_ST_META_ABI, %u, st_vars, %" PRIu64 "u, ", E.meta_count,
            unit->interval_ns);
    const char *src = o->source_list ? o->source_list : "";
    cstring(out, src, strlen(src));
    fputs("};\n\n", out);
    const char *name = o->program_name ? o->program_name
                       : unit->configs ? unit->configs->name
                       : ninst ? insts[0].name : "st";
    fputs(unit->sched_count ? "PLC_PROGRAM_TASKS(" : "PLC_PROGRAM(", out);
    cstring(out, name, strlen(name));
    fputs(unit->sched_count ? ", sizeof(struct st_state), st_init, st_tasks);\n"
                            : ", sizeof(struct st_state), st_init, st_scan);\n", out);
    return ferror(out) ? -1 : 0;
}
