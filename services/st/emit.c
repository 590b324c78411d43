/* SPDX-License-Identifier: MIT */
/*
 * The C emitter: one C file per program. Every POU becomes a C function
 * (a block's body takes its instance struct), the state is one struct, and
 * every scalar leaf is listed in plc_st_meta. Integer arithmetic goes
 * through unsigned types so no input is undefined behaviour; faults set
 * rt->fault to "FILE:LINE: why" and the POU returns at once.
 */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "date.h"
#include "emit.h"
#include "plc-layout.h"

void ind(struct emit *E)
{
    for (unsigned i = 0; i < E->indent; i++)
        fputs("    ", E->out);
}

void cstring(FILE *out, const char *s, size_t n)
{
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 32 || c >= 127)
            fprintf(out, "\\%03o", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static const char *src_name(const struct emit *E, struct st_loc loc)
{
    return loc.file < E->ctx->source_count ? E->ctx->sources[loc.file].name : "?";
}

/* "file.st:LINE: why" as a C string literal. */
void where(struct emit *E, struct st_loc loc, const char *why)
{
    char buf[1200];
    /* a run-time fault names the line of the user's file (plc.xml) */
    snprintf(buf, sizeof(buf), "%s:%u: %s", src_name(E, loc), st_loc_user(E->ctx, loc).line,
             why);
    cstring(E->out, buf, strlen(buf));
}

void line(struct emit *E, struct st_loc loc)
{
    const char *n = src_name(E, loc);
    fprintf(E->out, "#line %u ", loc.line);
    cstring(E->out, n, strlen(n));
    fputc('\n', E->out);
}

/* ---- types -------------------------------------------------------------------------- */

const struct st_type *base(const struct st_type *t)
{
    return t->has_range && t->elem ? t->elem : t;
}

const char *ct(const struct st_type *t)
{
    return st_type_ctype(base(t));
}

/* Unsigned type of at least 32 bits that arithmetic on @p t goes through. */
const char *ut(const struct st_type *t)
{
    return st_type_bits(base(t)) > 32 ? "uint64_t" : "uint32_t";
}

/* Unsigned type of exactly @p t's width (for zero extension). */
const char *uw(const struct st_type *t)
{
    switch (st_type_bits(base(t))) {
    case 1: return "uint8_t";
    case 8: return "uint8_t";
    case 16: return "uint16_t";
    case 32: return "uint32_t";
    default: return "uint64_t";
    }
}

static const char *sfx(const struct st_type *t)
{
    static const char *const s[] = {"i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"};
    unsigned b = st_type_bits(base(t));
    int i = b == 8 ? 0 : b == 16 ? 1 : b == 32 ? 2 : 3;
    return s[i + (st_type_is_signed(base(t)) ? 0 : 4)];
}

const char *counter_tag(enum st_tkind k)
{
    switch (k) {
    case TY_DINT: return "dint";
    case TY_LINT: return "lint";
    case TY_UDINT: return "udint";
    case TY_ULINT: return "ulint";
    default: return "int";
    }
}

uint64_t elems(const struct st_type *t)
{
    uint64_t n = 1;
    for (unsigned d = 0; d < t->ndims; d++)
        n *= (uint64_t)(t->dhi[d] - t->dlo[d] + 1);
    return n;
}

/* The C declaration of @p name of type @p t (arrays flattened). */
void decl(struct emit *E, const struct st_type *t, const char *name)
{
    char dims[64] = "";
    while (t->kind == TY_ARRAY) {
        size_t l = strlen(dims);
        snprintf(dims + l, sizeof(dims) - l, "[%" PRIu64 "]", elems(t));
        t = t->elem;
    }
    switch (t->kind) {
    case TY_STRING:
        fprintf(E->out, "char %s%s[%u]", name, dims, t->strlen + 1);
        break;
    case TY_STRUCT:
        fprintf(E->out, "struct t_%u %s%s", t->id, name, dims);
        break;
    case TY_FB:
        fprintf(E->out, "struct fb_%u %s%s", t->id, name, dims);
        break;
    case TY_STDFB:
        switch (t->std->kind) {
        case SFB_TON: case SFB_TOF: case SFB_TP:
            fprintf(E->out, "struct st_timer %s%s", name, dims);
            break;
        case SFB_RTRIG: case SFB_FTRIG:
            fprintf(E->out, "struct st_trig %s%s", name, dims);
            break;
        case SFB_SR: case SFB_RS:
            fprintf(E->out, "struct st_bistable %s%s", name, dims);
            break;
        case SFB_HYSTERESIS: case SFB_INTEGRAL: case SFB_DERIVATIVE: case SFB_PID:
        case SFB_RAMP: case SFB_SEMA: case SFB_RTC: {
            char lower[16];
            size_t i = 0;
            for (; t->std->name[i] && i + 1 < sizeof(lower); i++)
                lower[i] = (char)(t->std->name[i] | 0x20);
            lower[i] = '\0';
            fprintf(E->out, "struct st_%s %s%s", lower, name, dims);
            break;
        }
        default:
            fprintf(E->out, "struct st_cnt_%s %s%s", counter_tag(t->std->cv), name, dims);
        }
        break;
    default:
        fprintf(E->out, "%s %s%s", ct(t), name, dims);
    }
}

const char *cname(struct emit *E, const char *prefix, const char *name)
{
    return st_cident(&E->ctx->arena, prefix, name);
}

/* ---- expressions ------------------------------------------------------------------ */

void ex(struct emit *E, const struct st_expr *e);

/* @p e converted to @p t (a lossless conversion sema allowed). */
void as(struct emit *E, const struct st_expr *e, const struct st_type *t)
{
    if (t->kind == TY_STRING) {
        ex(E, e);
        return;
    }
    fprintf(E->out, "((%s)", ct(t));
    ex(E, e);
    fputc(')', E->out);
}

static void real_lit(struct emit *E, double v, const struct st_type *t)
{
    if (isinf(v))
        fprintf(E->out, "(%s)(%sHUGE_VAL)", ct(t), v < 0 ? "-" : "");
    else if (isnan(v))
        fprintf(E->out, "(%s)NAN", ct(t));
    else
        fprintf(E->out, "((%s)%a)", ct(t), v);
}

static void int_lit(struct emit *E, bool neg, uint64_t v, const struct st_type *t)
{
    if (neg && v == (uint64_t)INT64_MAX + 1)
        fprintf(E->out, "((%s)INT64_MIN)", ct(t));
    else if (neg)
        fprintf(E->out, "((%s)-%" PRIu64 "LL)", ct(t), v);
    else
        fprintf(E->out, "((%s)%" PRIu64 "ULL)", ct(t), v);
}

void var_path(struct emit *E, const struct st_var *v)
{
    if (v->global)
        v = v->global;
    if (v->tag) {
        fprintf(E->out, "((const struct plc_image *)rt->img)->%s->%s", v->tag->region->name,
                v->tag->name);
        return;
    }
    if (!v->owner) {
        fprintf(E->out, "rt->st->g.%s", v->cname);
        return;
    }
    if (v->decl->section == SEC_INOUT && v->owner->kind != POU_FUNCTION) {
        fprintf(E->out, "(*self->%s)", v->cname);
        return;
    }
    if (v->owner->kind == POU_FUNCTION || v->decl->section == SEC_TEMP) {
        /* a function's variables and a block's VAR_TEMP are locals of its C function */
        if (v->decl->section == SEC_INOUT)
            fprintf(E->out, "(*%s)", v->cname);
        else
            fputs(v->cname, E->out);
        return;
    }
    fprintf(E->out, "self->%s", v->cname);
}

static void index_of(struct emit *E, const struct st_expr *e)
{
    const struct st_type *at = e->a->type;
    uint64_t stride = elems(at);
    unsigned d = 0;
    fputs("(size_t)(", E->out);
    for (const struct st_expr *x = e->idx; x; x = x->next, d++) {
        stride /= (uint64_t)(at->dhi[d] - at->dlo[d] + 1);
        /* a FOR counter whose constant bounds lie inside the array's needs no check */
        const struct emit_loop *lp = NULL;
        for (unsigned i = E->nloops; x->kind == E_NAME && i-- > 0 && !lp;)
            if (E->loops[i].var == x->var)
                lp = &E->loops[i];
        if (lp && lp->bounded && lp->lo >= at->dlo[d] && lp->hi <= at->dhi[d]) {
            fprintf(E->out, "%s((int64_t)st_i%u - %" PRId64 ") * %" PRIu64, d ? " + " : "",
                    lp->n, at->dlo[d], stride);
            continue;
        }
        bool u = !st_type_is_signed(base(x->type));
        fprintf(E->out, "%sst_ix%s(rt, ", d ? " + " : "", u ? "u" : "");
        fprintf(E->out, "(%s)", u ? "uint64_t" : "int64_t");
        ex(E, x);
        fprintf(E->out, ", %" PRId64 ", %" PRId64 ", ", at->dlo[d], at->dhi[d]);
        where(E, x->loc, "array index out of range");
        fprintf(E->out, ") * %" PRIu64, stride);
    }
    fputc(')', E->out);
}

static void str_arg_list(struct emit *E, const struct st_expr *e)
{
    fputs("(const char *const[]){", E->out);
    for (int i = 0;; i++) { /* in operand order: formal inputs may come in any */
        const struct st_arg *a = e->args;
        while (a && a->pin != i)
            a = a->next;
        if (!a)
            break;
        if (i)
            fputs(", ", E->out);
        ex(E, a->e);
    }
    fputc('}', E->out);
}

static const struct st_expr *argn(const struct st_expr *e, int n)
{
    for (const struct st_arg *a = e->args; a; a = a->next)
        if (a->pin == n)
            return a->e;
    return NULL;
}

static void conv(struct emit *E, const struct st_expr *e)
{
    const struct st_type *a = base(e->srctype), *b = base(e->optype);
    const struct st_expr *x = argn(e, 0);
    enum st_tkind fk = a->kind, tk = b->kind;
    bool freal = fk == TY_REAL || fk == TY_LREAL, treal = tk == TY_REAL || tk == TY_LREAL;
    if (emit_date_conv(E, e, x))
        return;
    if (tk == TY_STRING) {
        if (fk == TY_BOOL)
            fputs("st_b2s(", E->out), ex(E, x), fputc(')', E->out);
        else if (fk == TY_TIME)
            fputs("st_t2s(rt, ", E->out), ex(E, x), fputc(')', E->out);
        else if (freal)
            fprintf(E->out, "st_r2s(rt, (double)"), ex(E, x),
                fprintf(E->out, ", %d)", fk == TY_REAL ? 9 : 17);
        else if (st_type_is_signed(a))
            fputs("st_i2s(rt, (int64_t)", E->out), ex(E, x), fputc(')', E->out);
        else
            fputs("st_u2s(rt, (uint64_t)", E->out), ex(E, x), fputc(')', E->out);
        return;
    }
    if (fk == TY_STRING) {
        if (tk == TY_BOOL)
            fputs("(strcasecmp(", E->out), ex(E, x), fputs(", \"TRUE\") == 0)", E->out);
        else if (treal)
            fprintf(E->out, "((%s)st_s2r(", ct(b)), ex(E, x), fputs("))", E->out);
        else if (tk == TY_TIME)
            fputs("st_s2t(", E->out), ex(E, x), fputc(')', E->out);
        else if (st_type_is_signed(b))
            fprintf(E->out, "((%s)st_s2i(", ct(b)), ex(E, x),
                fprintf(E->out, ", %" PRId64 ", %" PRIu64 "))", st_type_min(b), st_type_max(b));
        else
            fprintf(E->out, "((%s)st_s2u(", ct(b)), ex(E, x),
                fprintf(E->out, ", %" PRIu64 "u))", st_type_max(b));
        return;
    }
    if (tk == TY_BOOL) {
        fputs("((", E->out), ex(E, x), fputs(") != 0)", E->out);
    } else if (fk == TY_TIME && tk != TY_TIME) {
        if (treal)
            fprintf(E->out, "((%s)((double)", ct(b)), ex(E, x), fputs(" / 1e6))", E->out);
        else
            fprintf(E->out, "((%s)(", ct(b)), ex(E, x), fputs(" / 1000000))", E->out);
    } else if (tk == TY_TIME && fk != TY_TIME) {
        if (freal)
            fputs("st_r2i((double)", E->out), ex(E, x), fputs(" * 1e6, INT64_MIN, INT64_MAX)", E->out);
        else
            fputs("((int64_t)((uint64_t)", E->out), ex(E, x), fputs(" * 1000000u))", E->out);
    } else if (freal && !treal && tk != TY_BOOL) {
        if (st_type_is_signed(b))
            fprintf(E->out, "((%s)st_r2i((double)", ct(b)), ex(E, x),
                fprintf(E->out, ", %" PRId64 ", %" PRId64 "))", st_type_min(b),
                        (int64_t)st_type_max(b));
        else
            fprintf(E->out, "((%s)st_r2u((double)", ct(b)), ex(E, x),
                fprintf(E->out, ", %" PRIu64 "u))", st_type_max(b));
    } else {
        fprintf(E->out, "((%s)", ct(b)), ex(E, x), fputc(')', E->out);
    }
}

static void std_fn(struct emit *E, const struct st_expr *e)
{
    const struct st_expr *x = argn(e, 0), *y = argn(e, 1), *z = argn(e, 2);
    const struct st_type *t = e->optype ? base(e->optype) : NULL;
    bool lreal = t && t->kind == TY_LREAL;
    bool agg = t && (t->kind == TY_ARRAY || t->kind == TY_STRUCT);
    static const char *const math[][2] = {
        [FN_SQRT] = {"sqrtf", "sqrt"}, [FN_LN] = {"logf", "log"}, [FN_LOG] = {"log10f", "log10"},
        [FN_EXP] = {"expf", "exp"},    [FN_SIN] = {"sinf", "sin"}, [FN_COS] = {"cosf", "cos"},
        [FN_TAN] = {"tanf", "tan"},    [FN_ASIN] = {"asinf", "asin"},
        [FN_ACOS] = {"acosf", "acos"}, [FN_ATAN] = {"atanf", "atan"},
    };
    switch ((enum st_fn)e->fn) {
    case FN_MOVE:
        ex(E, e->b);
        return;
    case FN_CONV:
        conv(E, e);
        return;
    case FN_TRUNC:
        fputs("st_trunc((double)", E->out), ex(E, x), fputc(')', E->out);
        return;
    case FN_ABS:
        if (st_type_is_real(t))
            fprintf(E->out, "%s(", lreal ? "fabs" : "fabsf"), ex(E, x), fputc(')', E->out);
        else if (st_type_is_signed(t))
            fprintf(E->out, "({ %s st_a = ", ct(t)), ex(E, x),
                fprintf(E->out, "; (%s)(st_a < 0 ? (%s)0 - (%s)st_a : (%s)st_a); })", ct(t),
                        ut(t), ut(t), ut(t));
        else
            ex(E, x);
        return;
    case FN_SQRT: case FN_LN: case FN_LOG: case FN_EXP: case FN_SIN: case FN_COS:
    case FN_TAN: case FN_ASIN: case FN_ACOS: case FN_ATAN:
        fprintf(E->out, "%s(", math[e->fn][lreal]), ex(E, x), fputc(')', E->out);
        return;
    case FN_MIN: case FN_MAX: {
        fprintf(E->out, "({ %s st_m = ", ct(t)), as(E, x, t), fputs("; ", E->out);
        for (const struct st_arg *a = e->args; a; a = a->next) {
            if (a->pin <= 0)
                continue;
            fprintf(E->out, "{ %s st_v = ", ct(t)), as(E, a->e, t);
            fprintf(E->out, "; if (st_v %s st_m) st_m = st_v; } ", e->fn == FN_MIN ? "<" : ">");
        }
        fputs("st_m; })", E->out);
        return;
    }
    case FN_LIMIT:
        fprintf(E->out, "({ %s st_lo = ", ct(t)), as(E, x, t);
        fprintf(E->out, ", st_v = "), as(E, y, t), fprintf(E->out, ", st_hi = "), as(E, z, t);
        fputs("; st_v < st_lo ? st_lo : st_v > st_hi ? st_hi : st_v; })", E->out);
        return;
    case FN_SEL:
        if (agg) { /* an lvalue, as the assignment's memmove wants */
            fputs("(*((", E->out), ex(E, x), fputs(") ? &(", E->out), ex(E, z);
            fputs(") : &(", E->out), ex(E, y), fputs(")))", E->out);
            return;
        }
        fputs("((", E->out), ex(E, x), fputs(") ? ", E->out), as(E, z, t), fputs(" : ", E->out);
        as(E, y, t), fputc(')', E->out);
        return;
    case FN_MUX: {
        /* an aggregate is selected by address; a fault leaves IN0, never a null pointer */
        fputs(agg ? "(*({ int64_t st_k = (int64_t)" : "({ int64_t st_k = (int64_t)", E->out);
        ex(E, x);
        if (agg)
            fputs("; __typeof__(", E->out), ex(E, y), fputs(") *st_r = &(", E->out), ex(E, y),
                fputs("); switch (st_k) { ", E->out);
        else if (t->kind == TY_STRING)
            fputs("; const char *st_r = \"\"; switch (st_k) { ", E->out);
        else
            fprintf(E->out, "; %s st_r = 0; switch (st_k) { ", ct(t));
        for (const struct st_arg *a = e->args; a; a = a->next)
            if (a->pin > 0) {
                fprintf(E->out, "case %d: st_r = %s", a->pin - 1, agg ? "&(" : "");
                if (agg)
                    ex(E, a->e), fputc(')', E->out);
                else
                    as(E, a->e, t);
                fputs("; break; ", E->out);
            }
        fputs("default: st_fault(rt, ", E->out), where(E, e->loc, "MUX selector out of range");
        fputs(agg ? "); } st_r; }))" : "); } st_r; })", E->out);
        return;
    }
    case FN_SHL: case FN_SHR: case FN_ROL: case FN_ROR: {
        const char *f = e->fn == FN_SHL ? "st_shl" : e->fn == FN_SHR ? "st_shr"
                        : e->fn == FN_ROL ? "st_rol" : "st_ror";
        fprintf(E->out, "((%s)%s((uint64_t)(%s)", ct(t), f, uw(t)), ex(E, x);
        fputs(", (uint64_t)", E->out), ex(E, y), fprintf(E->out, ", %u))", st_type_bits(t));
        return;
    }
    case FN_LEN:
        fputs("((int16_t)strlen(", E->out), ex(E, x), fputs("))", E->out);
        return;
    case FN_CONCAT: {
        int n = 0;
        for (const struct st_arg *a = e->args; a; a = a->next)
            n += a->pin >= 0;
        fprintf(E->out, "st_concat(rt, %d, ", n), str_arg_list(E, e), fputc(')', E->out);
        return;
    }
    case FN_LEFT: case FN_RIGHT:
        fprintf(E->out, "st_%s(rt, ", e->fn == FN_LEFT ? "left" : "right"), ex(E, x);
        fputs(", (int64_t)", E->out), ex(E, y), fputc(')', E->out);
        return;
    case FN_MID:
        fputs("st_mid(rt, ", E->out), ex(E, x), fputs(", (int64_t)", E->out), ex(E, y);
        fputs(", (int64_t)", E->out), ex(E, z), fputc(')', E->out);
        return;
    case FN_FIND:
        fputs("st_find(", E->out), ex(E, x), fputs(", ", E->out), ex(E, y), fputc(')', E->out);
        return;
    default:
        fputs("0 /* unsupported */", E->out);
    }
}

const struct st_arg *find_arg(const struct st_expr *e, int pin)
{
    for (const struct st_arg *a = e->args; a; a = a->next)
        if (a->pin == pin)
            return a;
    return NULL;
}

static void user_fn_call(struct emit *E, const struct st_expr *e)
{
    const struct st_pou *u = e->pou;
    fprintf(E->out, "f_%u(rt", u->id);
    int i = 0;
    for (const struct st_var *v = u->vars; v; v = v->next, i++) {
        if (v == u->result)
            continue;
        enum st_section sec = v->decl->section;
        if (sec != SEC_INPUT && sec != SEC_OUTPUT && sec != SEC_INOUT)
            continue;
        fputs(", ", E->out);
        const struct st_arg *a = find_arg(e, i);
        if (sec == SEC_INPUT) {
            if (a)
                as(E, a->e, v->type);
            else if (v->decl->init && v->decl->init->kind == I_EXPR)
                as(E, v->decl->init->e, v->type);
            else if (v->type->kind == TY_STRING)
                fputs("\"\"", E->out);
            else if (v->type->kind == TY_STRUCT)
                fprintf(E->out, "(struct t_%u){0}", v->type->id);
            else
                fprintf(E->out, "(%s)0", ct(v->type));
        } else if (sec == SEC_INOUT) {
            fputs("&", E->out);
            if (a)
                ex(E, a->e);
        } else {
            fputs(a ? "&st_o" : "NULL", E->out);
            if (a)
                fprintf(E->out, "%d", i);
        }
    }
    fputc(')', E->out);
}

/* A function call's value, with its EN/ENO and output copies. */
void call_value(struct emit *E, const struct st_expr *e)
{
    const struct st_arg *en = find_arg(e, -2), *eno = find_arg(e, -3);
    bool outs = false;
    if (e->callee == CALL_USERFN) {
        int i = 0;
        for (const struct st_var *v = e->pou->vars; v; v = v->next, i++)
            if (v->decl->section == SEC_OUTPUT && find_arg(e, i))
                outs = true;
    }
    if (!en && !eno && !outs) {
        if (e->callee == CALL_USERFN)
            user_fn_call(E, e);
        else
            std_fn(E, e);
        return;
    }
    const struct st_type *t = e->type;
    bool str = t->kind == TY_STRING, isvoid = t->kind == TY_VOID;
    fputs("({ ", E->out);
    if (!isvoid) {
        if (str)
            fputs("const char *st_r = \"\"; ", E->out);
        else
            fprintf(E->out, "%s st_r = 0; ", ct(t));
    }
    fputs("bool st_en = ", E->out);
    if (en)
        ex(E, en->e);
    else
        fputs("true", E->out);
    fputs("; if (st_en) { ", E->out);
    int i = 0;
    if (e->callee == CALL_USERFN)
        for (const struct st_var *v = e->pou->vars; v; v = v->next, i++)
            if (v->decl->section == SEC_OUTPUT && find_arg(e, i)) {
                char nm[32];
                snprintf(nm, sizeof(nm), "st_o%d", i);
                decl(E, v->type, nm);
                fputs(" = {0}; ", E->out);
            }
    if (!isvoid)
        fputs("st_r = ", E->out);
    if (e->callee == CALL_USERFN)
        user_fn_call(E, e);
    else
        std_fn(E, e);
    fputs("; ", E->out);
    i = 0;
    if (e->callee == CALL_USERFN)
        for (const struct st_var *v = e->pou->vars; v; v = v->next, i++) {
            const struct st_arg *a = find_arg(e, i);
            if (v->decl->section != SEC_OUTPUT || !a)
                continue;
            if (v->type->kind == TY_STRING) {
                fputs("st_strset(", E->out), ex(E, a->e);
                fprintf(E->out, ", %u, st_o%d); ", a->e->type->strlen, i);
            } else {
                ex(E, a->e), fprintf(E->out, " = (%s)st_o%d; ", ct(a->e->type), i);
            }
        }
    fputs("} ", E->out);
    if (eno)
        ex(E, eno->e), fputs(" = st_en; ", E->out);
    if (!isvoid)
        fputs("st_r; ", E->out);
    fputs("})", E->out);
}

static void binary(struct emit *E, const struct st_expr *e)
{
    const struct st_type *t = base(e->optype ? e->optype : e->type);
    static const char *const cop[] = {[OP_OR] = "|", [OP_XOR] = "^", [OP_AND] = "&",
                                      [OP_EQ] = "==", [OP_NE] = "!=", [OP_LT] = "<",
                                      [OP_LE] = "<=", [OP_GT] = ">", [OP_GE] = ">=",
                                      [OP_ADD] = "+", [OP_SUB] = "-", [OP_MUL] = "*",
                                      [OP_DIV] = "/"};
    if (e->op >= OP_EQ && e->op <= OP_GE) {
        if (t->kind == TY_STRING) {
            fputs("(strcmp(", E->out), ex(E, e->a), fputs(", ", E->out), ex(E, e->b);
            fprintf(E->out, ") %s 0)", cop[e->op]);
        } else {
            fputs("(", E->out), as(E, e->a, t), fprintf(E->out, " %s ", cop[e->op]);
            as(E, e->b, t), fputc(')', E->out);
        }
        return;
    }
    if (e->op == OP_POW) {
        fprintf(E->out, "((%s)pow((double)", ct(e->type)), ex(E, e->a);
        fputs(", (double)", E->out), ex(E, e->b), fputs("))", E->out);
        return;
    }
    if (base(e->type)->kind == TY_TIME && (e->op == OP_MUL || e->op == OP_DIV) &&
        (e->a->type->kind != TY_TIME || e->b->type->kind != TY_TIME)) {
        const struct st_expr *tm = e->a->type->kind == TY_TIME ? e->a : e->b;
        const struct st_expr *n = tm == e->a ? e->b : e->a;
        const struct st_type *nt = base(n->type);
        if (st_type_is_real(nt)) {
            fputs("st_r2i((double)", E->out), ex(E, tm);
            fprintf(E->out, " %s (double)", e->op == OP_MUL ? "*" : "/"), ex(E, n);
            fputs(", INT64_MIN, INT64_MAX)", E->out);
        } else if (e->op == OP_MUL) {
            fputs("((int64_t)((uint64_t)", E->out), ex(E, tm), fputs(" * (uint64_t)", E->out);
            ex(E, n), fputs("))", E->out);
        } else if (!st_type_is_signed(nt) && st_type_bits(nt) == 64) {
            fputs("st_tdiv_u(rt, ", E->out), ex(E, tm), fputs(", (uint64_t)", E->out);
            ex(E, n), fputs(", ", E->out), where(E, e->loc, "division by zero");
            fputc(')', E->out);
        } else {
            fputs("st_div_i64(rt, ", E->out), ex(E, tm), fputs(", (int64_t)", E->out);
            ex(E, n), fputs(", ", E->out), where(E, e->loc, "division by zero");
            fputc(')', E->out);
        }
        return;
    }
    if (t->kind == TY_BOOL) {
        fputs("((bool)(", E->out), ex(E, e->a), fprintf(E->out, " %s ", cop[e->op]);
        ex(E, e->b), fputs("))", E->out);
        return;
    }
    if (st_type_is_real(t)) {
        fprintf(E->out, "((%s)(", ct(t)), as(E, e->a, t), fprintf(E->out, " %s ", cop[e->op]);
        as(E, e->b, t), fputs("))", E->out);
        return;
    }
    if (e->op == OP_DIV || e->op == OP_MOD) {
        fprintf(E->out, "st_%s_%s(rt, ", e->op == OP_DIV ? "div" : "mod", sfx(t));
        as(E, e->a, t), fputs(", ", E->out), as(E, e->b, t), fputs(", ", E->out);
        where(E, e->loc, "division by zero");
        fputc(')', E->out);
        return;
    }
    /* integers, bit strings and TIME: through unsigned, then back (wraps) */
    fprintf(E->out, "((%s)((%s)", ct(t), ut(t)), as(E, e->a, t);
    fprintf(E->out, " %s (%s)", cop[e->op], ut(t)), as(E, e->b, t), fputs("))", E->out);
}

void ex(struct emit *E, const struct st_expr *e)
{
    const struct st_type *t = e->type;
    switch (e->kind) {
    case E_INT:
        if (st_type_is_real(t))
            real_lit(E, e->neg ? -(double)e->ival : (double)e->ival, t);
        else if (t->kind == TY_BOOL)
            fputs(e->ival ? "true" : "false", E->out);
        else
            int_lit(E, e->neg, e->ival, t);
        return;
    case E_REAL:
        real_lit(E, e->neg ? -e->rval : e->rval, t);
        return;
    case E_BOOL:
        fputs(e->ival ? "true" : "false", E->out);
        return;
    case E_TIME:
        if (e->tval == INT64_MIN)
            fputs("INT64_MIN", E->out);
        else
            fprintf(E->out, "((int64_t)%" PRId64 "LL)", e->tval);
        return;
    case E_STRING:
        cstring(E->out, e->str, e->slen);
        return;
    case E_ENUM:
        fprintf(E->out, "((int32_t)%" PRId32 ")", e->enumval);
        return;
    case E_NAME: {
        const struct st_var *r = e->var->global ? e->var->global : e->var;
        if (E->tags_cached && r->tag && !r->tag_writable) {
            fprintf(E->out, "st_in_%s", r->tag->name);
            return;
        }
        for (unsigned i = E->nloops; i-- > 0;)
            if (E->loops[i].var == e->var) {
                fprintf(E->out, "st_i%u", E->loops[i].n);
                return;
            }
        var_path(E, e->var);
        return;
    }
    case E_MEMBER: {
        const struct st_type *bt = e->a->type;
        ex(E, e->a);
        if (e->pin == -2 || e->pin == -3)
            fprintf(E->out, ".%s", e->pin == -2 ? "st_en" : "st_eno");
        else if (bt->kind == TY_STDFB)
            fprintf(E->out, ".%s", bt->std->pins[e->pin].cfield);
        else
            fprintf(E->out, ".%s", cname(E, "v_", e->field->name));
        return;
    }
    case E_BIT:
        fprintf(E->out, "((bool)(((%s)", uw(e->a->type)), ex(E, e->a);
        fprintf(E->out, " >> %u) & 1u))", e->bit);
        return;
    case E_INDEX:
        ex(E, e->a), fputc('[', E->out), index_of(E, e), fputc(']', E->out);
        return;
    case E_CALL:
        call_value(E, e);
        return;
    case E_UNARY: {
        const struct st_type *ot = base(e->type);
        if (e->op == OP_PLUS) {
            ex(E, e->a);
        } else if (e->op == OP_NOT && ot->kind == TY_BOOL) {
            fputs("(!", E->out), ex(E, e->a), fputc(')', E->out);
        } else if (e->op == OP_NOT) {
            fprintf(E->out, "((%s)~(%s)", ct(ot), ut(ot)), as(E, e->a, ot), fputc(')', E->out);
        } else if (st_type_is_real(ot)) {
            fputs("(-", E->out), as(E, e->a, ot), fputc(')', E->out);
        } else {
            fprintf(E->out, "((%s)((%s)0 - (%s)", ct(ot), ut(ot), ut(ot)), as(E, e->a, ot);
            fputs("))", E->out);
        }
        return;
    }
    case E_BINARY:
        if (e->type->kind == TY_TOD) /* TOD +/- TIME stays within the day (date.c) */
            fputs("plc_tod_wrap(", E->out), binary(E, e), fputc(')', E->out);
        else
            binary(E, e);
        return;
    case E_CONV:
        return;
    case E_NOW:
        fputs("((int64_t)rt->ctx->now_ns)", E->out);
        return;
    }
}
