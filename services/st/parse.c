/* SPDX-License-Identifier: MIT */
/*
 * The parser: recursive descent from tokens to the tree. It recovers at
 * statement and declaration boundaries so one run reports every syntax
 * error; nesting is bounded (P1002) and every loop consumes a token, so no
 * input makes it recurse without end or loop for ever.
 */
#include <string.h>

#include "ast.h"

#define ST_MAX_DEPTH 200

struct parser {
    struct st_ctx *ctx;
    const struct st_token *t;
    size_t n, i;
    unsigned depth;
    bool abort;   /* nesting too deep: stop at once */
    struct st_unit *unit;
    bool pending_pragma;
    struct st_loc pragma_loc;
    const char *pragma_what;
};

static const char *const keywords[] = {
    "PROGRAM", "END_PROGRAM", "FUNCTION", "END_FUNCTION", "FUNCTION_BLOCK",
    "END_FUNCTION_BLOCK", "VAR", "VAR_INPUT", "VAR_OUTPUT", "VAR_IN_OUT", "VAR_TEMP",
    "VAR_EXTERNAL", "VAR_GLOBAL", "VAR_ACCESS", "VAR_CONFIG", "END_VAR", "CONSTANT", "RETAIN",
    "NON_RETAIN", "AT", "TYPE", "END_TYPE", "STRUCT", "END_STRUCT", "ARRAY", "OF", "IF", "THEN",
    "ELSIF", "ELSE", "END_IF", "CASE", "END_CASE", "FOR", "TO", "BY", "DO", "END_FOR", "WHILE",
    "END_WHILE", "REPEAT", "UNTIL", "END_REPEAT", "EXIT", "CONTINUE", "RETURN", "AND", "OR",
    "XOR", "NOT", "MOD", "TRUE", "FALSE", "CONFIGURATION", "END_CONFIGURATION", "RESOURCE",
    "END_RESOURCE", "ON", "TASK", "WITH", "STEP", "END_STEP", "INITIAL_STEP", "TRANSITION",
    "END_TRANSITION", "ACTION", "END_ACTION", "METHOD", "END_METHOD", "PROPERTY",
    "END_PROPERTY", "INTERFACE", "END_INTERFACE", "EXTENDS", "IMPLEMENTS",
};

static bool is_keyword(const char *s)
{
    for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
        if (st_ieq(s, keywords[i]))
            return true;
    return false;
}

static const struct st_token *peek(const struct parser *p)
{
    return &p->t[p->i];
}

static const struct st_token *peek_at(const struct parser *p, size_t k)
{
    return p->i + k < p->n ? &p->t[p->i + k] : &p->t[p->n - 1];
}

static const struct st_token *next(struct parser *p)
{
    const struct st_token *t = &p->t[p->i];
    if (t->kind != T_EOF)
        p->i++;
    return t;
}

static bool is_kw(const struct st_token *t, const char *kw)
{
    return t->kind == T_IDENT && st_ieq(t->text, kw);
}

static bool at_kw(const struct parser *p, const char *kw)
{
    return is_kw(peek(p), kw);
}

static bool accept_kw(struct parser *p, const char *kw)
{
    if (!at_kw(p, kw))
        return false;
    next(p);
    return true;
}

static bool accept(struct parser *p, enum st_tok k)
{
    if (peek(p)->kind != k)
        return false;
    next(p);
    return true;
}

static const char *tok_name(enum st_tok k)
{
    switch (k) {
    case T_EOF: return "end of file";
    case T_IDENT: return "a name";
    case T_INT: return "an integer";
    case T_REAL: return "a real number";
    case T_TIME: return "a duration";
    case T_STRING: return "a string";
    case T_TYPEPFX: return "a typed literal";
    case T_DIRECT: return "a located address";
    case T_PRAGMA: return "a pragma";
    case T_ASSIGN: return "':='";
    case T_ARROW: return "'=>'";
    case T_COLON: return "':'";
    case T_SEMI: return "';'";
    case T_COMMA: return "','";
    case T_DOT: return "'.'";
    case T_DOTDOT: return "'..'";
    case T_LPAREN: return "'('";
    case T_RPAREN: return "')'";
    case T_LBRACK: return "'['";
    case T_RBRACK: return "']'";
    case T_PLUS: return "'+'";
    case T_MINUS: return "'-'";
    case T_STAR: return "'*'";
    case T_POW: return "'**'";
    case T_SLASH: return "'/'";
    case T_EQ: return "'='";
    case T_NE: return "'<>'";
    case T_LT: return "'<'";
    case T_LE: return "'<='";
    case T_GT: return "'>'";
    case T_GE: return "'>='";
    case T_AMP: return "'&'";
    case T_CARET: return "'^'";
    }
    return "a token";
}

static void describe(const struct st_token *t, char *buf, size_t len)
{
    if (t->kind == T_IDENT)
        snprintf(buf, len, "'%s'", t->text);
    else
        snprintf(buf, len, "%s", tok_name(t->kind));
}

static void expected(struct parser *p, const char *what)
{
    char found[96];
    describe(peek(p), found, sizeof(found));
    st_error(p->ctx, peek(p)->loc, peek(p)->kind == T_EOF ? 1003 : 1001,
             "expected %s, found %s", what, found);
}

static bool expect(struct parser *p, enum st_tok k)
{
    if (accept(p, k))
        return true;
    expected(p, tok_name(k));
    return false;
}

static bool expect_kw(struct parser *p, const char *kw)
{
    if (accept_kw(p, kw))
        return true;
    char what[64];
    snprintf(what, sizeof(what), "%s", kw);
    expected(p, what);
    return false;
}

static bool enter(struct parser *p)
{
    if (p->abort)
        return false;
    if (++p->depth > ST_MAX_DEPTH) {
        st_error(p->ctx, peek(p)->loc, 1002, "nested deeper than %d levels", ST_MAX_DEPTH);
        p->abort = true;
        return false;
    }
    return true;
}

static void leave(struct parser *p)
{
    p->depth--;
}

/* A name: an identifier that is no keyword. */
static const char *name(struct parser *p, const char *what)
{
    const struct st_token *t = peek(p);
    if (t->kind == T_IDENT && !is_keyword(t->text)) {
        next(p);
        return t->text;
    }
    if (t->kind == T_IDENT) {
        st_error(p->ctx, t->loc, 1004, "'%s' is a keyword and cannot be %s", t->text, what);
        next(p);
        return t->text;
    }
    expected(p, what);
    return NULL;
}

static void *node(struct parser *p, size_t size)
{
    return st_alloc(&p->ctx->arena, size);
}

/* ---- expressions ------------------------------------------------------------- */

static struct st_expr *expr(struct parser *p);

static struct st_expr *new_expr(struct parser *p, enum st_expr_kind k, struct st_loc loc)
{
    struct st_expr *e = node(p, sizeof(*e));
    e->kind = k;
    e->loc = loc;
    return e;
}

static struct st_arg *call_args(struct parser *p)
{
    struct st_arg *head = NULL, **tail = &head;
    if (accept(p, T_RPAREN))
        return NULL;
    for (;;) {
        struct st_arg *a = node(p, sizeof(*a));
        a->loc = peek(p)->loc;
        if (peek(p)->kind == T_IDENT && (peek_at(p, 1)->kind == T_ASSIGN ||
                                         peek_at(p, 1)->kind == T_ARROW)) {
            a->name = next(p)->text;
            a->out = next(p)->kind == T_ARROW;
        } else if (is_kw(peek(p), "NOT") && peek_at(p, 1)->kind == T_IDENT &&
                   peek_at(p, 2)->kind == T_ARROW) {
            st_error(p->ctx, a->loc, 5010, "a negated output (NOT Q => x) is not supported");
            next(p);
            a->name = next(p)->text;
            a->out = next(p)->kind == T_ARROW;
        }
        a->e = expr(p);
        *tail = a;
        tail = &a->next;
        if (p->abort || !accept(p, T_COMMA))
            break;
    }
    expect(p, T_RPAREN);
    return head;
}

static struct st_expr *literal(struct parser *p, const char *prefix, bool neg)
{
    const struct st_token *t = next(p);
    struct st_expr *e;
    switch (t->kind) {
    case T_INT:
        e = new_expr(p, E_INT, t->loc);
        e->ival = t->ival;
        e->overflow = t->overflow;
        break;
    case T_REAL:
        e = new_expr(p, E_REAL, t->loc);
        e->rval = t->rval;
        break;
    case T_TIME:
        e = new_expr(p, E_TIME, t->loc);
        e->tval = t->tval;
        prefix = t->text; /* D#, TOD#, DT#: DATE, TOD, DT; NULL for a TIME */
        break;
    case T_STRING:
        e = new_expr(p, E_STRING, t->loc);
        e->str = t->str;
        e->slen = t->slen;
        break;
    default:
        return NULL;
    }
    e->neg = neg;
    e->lit_type = prefix;
    return e;
}

static struct st_expr *primary(struct parser *p)
{
    const struct st_token *t = peek(p);
    struct st_expr *e;
    switch (t->kind) {
    case T_INT: case T_REAL: case T_TIME: case T_STRING:
        return literal(p, NULL, false);
    case T_TYPEPFX: {
        next(p);
        bool neg = accept(p, T_MINUS);
        const struct st_token *v = peek(p);
        if (v->kind == T_INT || v->kind == T_REAL || v->kind == T_STRING)
            return literal(p, t->text, neg);
        if (v->kind == T_IDENT && (is_kw(v, "TRUE") || is_kw(v, "FALSE")) && !neg) {
            next(p);
            e = new_expr(p, E_BOOL, t->loc);
            e->ival = is_kw(v, "TRUE");
            e->lit_type = t->text;
            return e;
        }
        if (v->kind == T_IDENT && !neg) {
            next(p);
            e = new_expr(p, E_ENUM, t->loc);
            e->lit_type = t->text;
            e->name = v->text;
            return e;
        }
        expected(p, "a value after the type prefix");
        return new_expr(p, E_INT, t->loc);
    }
    case T_DIRECT:
        next(p);
        e = new_expr(p, E_NAME, t->loc);
        e->name = t->text;
        return e;
    case T_LPAREN:
        next(p);
        e = expr(p);
        expect(p, T_RPAREN);
        return e;
    case T_IDENT:
        if (is_kw(t, "TRUE") || is_kw(t, "FALSE")) {
            next(p);
            e = new_expr(p, E_BOOL, t->loc);
            e->ival = is_kw(t, "TRUE");
            return e;
        }
        if (peek_at(p, 1)->kind == T_LPAREN &&
            (!is_keyword(t->text) || is_kw(t, "AND") || is_kw(t, "OR") || is_kw(t, "XOR") ||
             is_kw(t, "MOD") || is_kw(t, "NOT"))) {
            next(p);
            next(p);
            e = new_expr(p, E_CALL, t->loc);
            e->name = t->text;
            e->args = call_args(p);
            return e;
        }
        if (is_kw(t, "__NEW") || st_ieq(t->text, "__NEW")) {
            st_error(p->ctx, t->loc, 5009, "__NEW is CODESYS dynamic allocation");
            next(p);
            return new_expr(p, E_INT, t->loc);
        }
        if (is_keyword(t->text))
            break;
        next(p);
        e = new_expr(p, E_NAME, t->loc);
        e->name = t->text;
        return e;
    default:
        break;
    }
    expected(p, "an expression");
    e = new_expr(p, E_INT, t->loc);
    return e;
}

static struct st_expr *postfix(struct parser *p)
{
    struct st_expr *e = primary(p);
    for (;;) {
        const struct st_token *t = peek(p);
        if (t->kind == T_DOT && peek_at(p, 1)->kind == T_IDENT) {
            next(p);
            struct st_expr *m = new_expr(p, E_MEMBER, peek(p)->loc);
            m->name = next(p)->text;
            m->a = e;
            e = m;
        } else if (t->kind == T_DOT && peek_at(p, 1)->kind == T_INT) {
            next(p);
            struct st_expr *m = new_expr(p, E_BIT, peek(p)->loc);
            const struct st_token *b = next(p);
            m->bit = b->ival > 1000 ? 1000u : (unsigned)b->ival;
            m->a = e;
            e = m;
        } else if (t->kind == T_DOT) {
            next(p);
            expected(p, "a member name or bit number after '.'");
        } else if (t->kind == T_LBRACK) {
            next(p);
            struct st_expr *x = new_expr(p, E_INDEX, t->loc);
            x->a = e;
            struct st_expr **tail = &x->idx;
            do {
                *tail = expr(p);
                tail = &(*tail)->next;
            } while (!p->abort && accept(p, T_COMMA));
            expect(p, T_RBRACK);
            e = x;
        } else if (t->kind == T_LPAREN && (e->kind == E_INDEX || e->kind == E_MEMBER)) {
            /* a[i](...): a call of an element of an array of blocks */
            next(p);
            struct st_expr *c = new_expr(p, E_CALL, t->loc);
            c->a = e;
            c->args = call_args(p);
            e = c;
        } else if (t->kind == T_CARET) {
            st_error(p->ctx, t->loc, 5003, "pointer dereference '^' is not supported");
            next(p);
        } else {
            return e;
        }
    }
}

static struct st_expr *unary(struct parser *p);

/* power_expression ::= unary_expression {'**' unary_expression}: unary minus binds
   tighter and ** is left-associative, as in the standard's grammar (docs/st.md). */
static struct st_expr *power(struct parser *p)
{
    struct st_expr *e = unary(p);
    while (peek(p)->kind == T_POW && !p->abort) {
        struct st_expr *b = new_expr(p, E_BINARY, next(p)->loc);
        b->op = OP_POW;
        b->a = e;
        b->b = unary(p);
        e = b;
    }
    return e;
}

static struct st_expr *unary(struct parser *p)
{
    if (!enter(p))
        return new_expr(p, E_INT, peek(p)->loc);
    const struct st_token *t = peek(p);
    struct st_expr *e;
    if (t->kind == T_MINUS || t->kind == T_PLUS || is_kw(t, "NOT")) {
        /* -5 is one literal (so INT's -32768 fits) */
        const struct st_token *v = peek_at(p, 1);
        if (t->kind == T_MINUS && (v->kind == T_INT || v->kind == T_REAL)) {
            next(p);
            e = literal(p, NULL, true);
            e->loc = t->loc;
        } else {
            next(p);
            e = new_expr(p, E_UNARY, t->loc);
            e->op = t->kind == T_MINUS ? OP_NEG : t->kind == T_PLUS ? OP_PLUS : OP_NOT;
            e->a = unary(p);
        }
    } else {
        e = postfix(p);
    }
    leave(p);
    return e;
}

struct level {
    enum st_tok tok;
    const char *kw;
    enum st_op op;
};

static const struct level levels[][3] = {
    {{0, "OR", OP_OR}},
    {{0, "XOR", OP_XOR}},
    {{T_AMP, NULL, OP_AND}, {0, "AND", OP_AND}},
    {{T_EQ, NULL, OP_EQ}, {T_NE, NULL, OP_NE}},
    {{T_LT, NULL, OP_LT}, {T_LE, NULL, OP_LE}, {T_GT, NULL, OP_GT}},
    {{T_GE, NULL, OP_GE}},
    {{T_PLUS, NULL, OP_ADD}, {T_MINUS, NULL, OP_SUB}},
    {{T_STAR, NULL, OP_MUL}, {T_SLASH, NULL, OP_DIV}, {0, "MOD", OP_MOD}},
};
#define LEVELS (sizeof(levels) / sizeof(levels[0]))

static bool level_match(const struct parser *p, size_t lv, enum st_op *op)
{
    const struct st_token *t = peek(p);
    size_t first = lv, last = lv;
    if (lv == 4) /* relational: <, <=, >, >= are one level */
        last = 5;
    for (size_t l = first; l <= last; l++)
        for (size_t i = 0; i < 3; i++) {
            const struct level *v = &levels[l][i];
            if ((v->tok && t->kind == v->tok) || (v->kw && is_kw(t, v->kw))) {
                *op = v->op;
                return true;
            }
        }
    return false;
}

static struct st_expr *binary(struct parser *p, size_t lv)
{
    if (lv == 5)
        lv = 6;
    if (lv >= LEVELS)
        return power(p);
    if (!enter(p))
        return new_expr(p, E_INT, peek(p)->loc);
    struct st_expr *e = binary(p, lv + 1);
    enum st_op op;
    while (!p->abort && level_match(p, lv, &op)) {
        struct st_expr *b = new_expr(p, E_BINARY, next(p)->loc);
        b->op = op;
        b->a = e;
        b->b = binary(p, lv + 1);
        e = b;
    }
    leave(p);
    return e;
}

static struct st_expr *expr(struct parser *p)
{
    return binary(p, 0);
}

/* ---- statements ------------------------------------------------------------------ */

static struct st_stmt *stmt_list(struct parser *p, const char *const *ends, bool case_labels);

static bool at_block_end(const struct parser *p)
{
    static const char *const ends[] = {"END_IF", "ELSIF", "ELSE", "END_CASE", "END_FOR",
                                       "END_WHILE", "UNTIL", "END_REPEAT", "END_PROGRAM",
                                       "END_FUNCTION", "END_FUNCTION_BLOCK", "END_ACTION",
                                       "END_STEP", "END_TRANSITION"};
    const struct st_token *t = peek(p);
    if (t->kind == T_EOF)
        return true;
    for (size_t i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
        if (is_kw(t, ends[i]))
            return true;
    return false;
}

/* After an error: skip to the next ';' (eaten) or the end of the block. */
static void recover(struct parser *p)
{
    while (!at_block_end(p) && !p->abort) {
        if (next(p)->kind == T_SEMI)
            return;
    }
}

static struct st_stmt *new_stmt(struct parser *p, enum st_stmt_kind k, struct st_loc loc)
{
    struct st_stmt *s = node(p, sizeof(*s));
    s->kind = k;
    s->loc = loc;
    return s;
}

static void end_stmt(struct parser *p)
{
    if (!accept(p, T_SEMI)) {
        expected(p, "';'");
        recover(p);
    }
}

/* CASE labels: [-]value or enum, then ':' ',' or '..' */
static bool at_label(const struct parser *p)
{
    size_t k = 0;
    if (peek_at(p, k)->kind == T_MINUS)
        k++;
    const struct st_token *t = peek_at(p, k);
    if (t->kind == T_TYPEPFX)
        t = peek_at(p, ++k);
    if (t->kind != T_INT && !(t->kind == T_IDENT && !is_keyword(t->text)))
        return false;
    enum st_tok n = peek_at(p, k + 1)->kind;
    return n == T_COLON || n == T_COMMA || n == T_DOTDOT;
}

static const char *const il_ops[] = {"LD", "LDN", "ST", "STN", "JMP", "JMPC", "JMPCN", "CAL",
                                     "CALC", "RET", "RETC", "ANDN", "ORN", "XORN", "ADD",
                                     "SUB", "MUL", "DIV", "GT", "GE", "EQ", "NE", "LE", "LT", NULL};

static bool looks_like_il(const struct parser *p)
{
    const struct st_token *t = peek(p), *n = peek_at(p, 1);
    if (t->kind != T_IDENT)
        return false;
    for (size_t i = 0; il_ops[i]; i++)
        if (st_ieq(t->text, il_ops[i]))
            return (n->kind == T_IDENT || n->kind == T_INT || n->kind == T_DIRECT) &&
                   n->loc.line == t->loc.line;
    return false;
}

static struct st_stmt *statement(struct parser *p)
{
    const struct st_token *t = peek(p);
    struct st_loc loc = t->loc;
    struct st_stmt *s;
    static const char *const if_ends[] = {"ELSIF", "ELSE", "END_IF", NULL};
    static const char *const case_ends[] = {"ELSE", "END_CASE", NULL};
    static const char *const for_ends[] = {"END_FOR", NULL};
    static const char *const while_ends[] = {"END_WHILE", NULL};
    static const char *const repeat_ends[] = {"UNTIL", NULL};

    if (accept(p, T_SEMI))
        return new_stmt(p, S_EMPTY, loc);
    if (accept_kw(p, "IF")) {
        s = new_stmt(p, S_IF, loc);
        s->cond = expr(p);
        expect_kw(p, "THEN");
        s->body = stmt_list(p, if_ends, false);
        struct st_stmt *cur = s;
        while (!p->abort && at_kw(p, "ELSIF")) {
            struct st_stmt *e = new_stmt(p, S_IF, next(p)->loc);
            e->cond = expr(p);
            expect_kw(p, "THEN");
            e->body = stmt_list(p, if_ends, false);
            cur->else_body = e;
            cur = e;
        }
        if (accept_kw(p, "ELSE"))
            cur->else_body = stmt_list(p, if_ends + 2, false);
        expect_kw(p, "END_IF");
        end_stmt(p);
        return s;
    }
    if (accept_kw(p, "CASE")) {
        s = new_stmt(p, S_CASE, loc);
        s->cond = expr(p);
        expect_kw(p, "OF");
        struct st_branch **tail = &s->branches;
        while (!p->abort && at_label(p)) {
            struct st_branch *b = node(p, sizeof(*b));
            struct st_label **lt = &b->labels;
            do {
                struct st_label *l = node(p, sizeof(*l));
                l->loc = peek(p)->loc;
                l->lo = unary(p);
                if (accept(p, T_DOTDOT))
                    l->hi = unary(p);
                *lt = l;
                lt = &l->next;
            } while (!p->abort && accept(p, T_COMMA));
            expect(p, T_COLON);
            b->body = stmt_list(p, case_ends, true);
            *tail = b;
            tail = &b->next;
        }
        if (accept_kw(p, "ELSE")) {
            accept(p, T_COLON); /* CODESYS writes ELSE: */
            s->else_body = stmt_list(p, case_ends + 1, false);
        }
        expect_kw(p, "END_CASE");
        end_stmt(p);
        return s;
    }
    if (accept_kw(p, "FOR")) {
        s = new_stmt(p, S_FOR, loc);
        struct st_loc vl = peek(p)->loc;
        const char *v = name(p, "the loop variable");
        s->lhs = new_expr(p, E_NAME, vl);
        s->lhs->name = v ? v : "?";
        expect(p, T_ASSIGN);
        s->from = expr(p);
        expect_kw(p, "TO");
        s->to = expr(p);
        if (accept_kw(p, "BY"))
            s->by = expr(p);
        expect_kw(p, "DO");
        s->body = stmt_list(p, for_ends, false);
        expect_kw(p, "END_FOR");
        end_stmt(p);
        return s;
    }
    if (accept_kw(p, "WHILE")) {
        s = new_stmt(p, S_WHILE, loc);
        s->cond = expr(p);
        expect_kw(p, "DO");
        s->body = stmt_list(p, while_ends, false);
        expect_kw(p, "END_WHILE");
        end_stmt(p);
        return s;
    }
    if (accept_kw(p, "REPEAT")) {
        s = new_stmt(p, S_REPEAT, loc);
        s->body = stmt_list(p, repeat_ends, false);
        expect_kw(p, "UNTIL");
        s->cond = expr(p);
        expect_kw(p, "END_REPEAT");
        end_stmt(p);
        return s;
    }
    if (accept_kw(p, "EXIT") || accept_kw(p, "CONTINUE") || accept_kw(p, "RETURN")) {
        const char *w = t->text;
        s = new_stmt(p, st_ieq(w, "EXIT") ? S_EXIT : st_ieq(w, "CONTINUE") ? S_CONTINUE
                                                                           : S_RETURN, loc);
        end_stmt(p);
        return s;
    }
    if (t->kind == T_IDENT && (is_kw(t, "STEP") || is_kw(t, "INITIAL_STEP") ||
                               is_kw(t, "TRANSITION") || is_kw(t, "ACTION"))) {
        /* a chart starts a body (sfc_body); here it follows statements */
        st_error(p->ctx, loc, 5013, "%s after ST statements: a body is either a Sequential "
                 "Function Chart or statements, not both", t->text);
        p->abort = true;
        return NULL;
    }
    if (t->kind == T_IDENT && st_ieq(t->text, "REGION")) {
        st_error(p->ctx, loc, 5008, "REGION is Siemens SCL; IEC 61131-3 has no regions");
        p->abort = true;
        return NULL;
    }
    if (looks_like_il(p)) {
        st_error(p->ctx, loc, 5001, "'%s %s' is Instruction List, not Structured Text", t->text,
                 peek_at(p, 1)->kind == T_IDENT ? peek_at(p, 1)->text : "...");
        p->abort = true;
        return NULL;
    }
    if (t->kind == T_PRAGMA) {
        next(p);
        if (!p->pending_pragma) {
            p->pending_pragma = true;
            p->pragma_loc = loc;
            p->pragma_what = t->text;
        }
        return new_stmt(p, S_EMPTY, loc);
    }
    struct st_expr *lhs = postfix(p);
    if (accept(p, T_ASSIGN)) {
        s = new_stmt(p, S_ASSIGN, loc);
        s->lhs = lhs;
        s->rhs = expr(p);
        end_stmt(p);
        return s;
    }
    if (peek(p)->kind == T_IDENT && (st_ieq(peek(p)->text, "S") || st_ieq(peek(p)->text, "R")) &&
        peek_at(p, 1)->kind == T_EQ) {
        st_error(p->ctx, peek(p)->loc, 5009, "'%s=' is a CODESYS set/reset assignment; write "
                 "IF cond THEN x := %s; END_IF", peek(p)->text,
                 st_ieq(peek(p)->text, "S") ? "TRUE" : "FALSE");
        recover(p);
        return NULL;
    }
    if (lhs->kind == E_CALL) {
        s = new_stmt(p, S_CALL, loc);
        s->rhs = lhs;
        end_stmt(p);
        return s;
    }
    if (peek(p)->kind == T_EQ)
        st_error(p->ctx, peek(p)->loc, 1001, "'=' compares; assignment is ':='");
    else
        expected(p, "':=' or a call");
    recover(p);
    return NULL;
}

static bool at_end_word(const struct parser *p, const char *const *ends)
{
    for (size_t i = 0; ends && ends[i]; i++)
        if (at_kw(p, ends[i]))
            return true;
    return false;
}

static struct st_stmt *stmt_list(struct parser *p, const char *const *ends, bool case_labels)
{
    struct st_stmt *head = NULL, **tail = &head;
    if (!enter(p))
        return NULL;
    while (!p->abort && peek(p)->kind != T_EOF && !at_end_word(p, ends)) {
        if (case_labels && at_label(p))
            break;
        if (at_block_end(p)) {
            char found[96];
            describe(peek(p), found, sizeof(found));
            st_error(p->ctx, peek(p)->loc, 1001, "%s does not close this block", found);
            next(p);
            continue;
        }
        size_t before = p->i;
        struct st_stmt *s = statement(p);
        if (s) {
            *tail = s;
            tail = &s->next;
        }
        if (p->i == before)
            next(p);
    }
    leave(p);
    return head;
}

/* ---- declarations ------------------------------------------------------------------- */

static struct st_tspec *type_spec(struct parser *p);
static struct st_init *init_value(struct parser *p);

static struct st_vardecl *var_decls(struct parser *p, enum st_section sec, unsigned flags,
                                    const char *end);

static struct st_tspec *type_spec(struct parser *p)
{
    struct st_tspec *ts = node(p, sizeof(*ts));
    ts->loc = peek(p)->loc;
    if (!enter(p))
        return ts;
    if (accept_kw(p, "ARRAY")) {
        ts->kind = TS_ARRAY;
        expect(p, T_LBRACK);
        struct st_range **tail = &ts->dims;
        do {
            struct st_range *r = node(p, sizeof(*r));
            r->lo = expr(p);
            expect(p, T_DOTDOT);
            r->hi = expr(p);
            *tail = r;
            tail = &r->next;
        } while (!p->abort && accept(p, T_COMMA));
        expect(p, T_RBRACK);
        expect_kw(p, "OF");
        ts->elem = type_spec(p);
    } else if (accept_kw(p, "STRUCT")) {
        ts->kind = TS_STRUCT;
        ts->fields = var_decls(p, SEC_VAR, 0, "END_STRUCT");
        expect_kw(p, "END_STRUCT");
    } else if (at_kw(p, "STRING") || at_kw(p, "WSTRING")) {
        if (at_kw(p, "WSTRING"))
            st_error(p->ctx, ts->loc, 5010, "WSTRING is not supported; use STRING");
        next(p);
        ts->kind = TS_STRING;
        if (accept(p, T_LBRACK)) {
            ts->len = expr(p);
            expect(p, T_RBRACK);
        } else if (accept(p, T_LPAREN)) {
            ts->len = expr(p);
            expect(p, T_RPAREN);
        }
    } else if (accept(p, T_LPAREN)) {
        ts->kind = TS_ENUM;
        struct st_enumdecl **tail = &ts->enums;
        do {
            struct st_enumdecl *v = node(p, sizeof(*v));
            v->loc = peek(p)->loc;
            v->name = name(p, "an enumerated value");
            if (!v->name)
                break;
            if (accept(p, T_ASSIGN))
                v->value = expr(p);
            *tail = v;
            tail = &v->next;
        } while (!p->abort && accept(p, T_COMMA));
        expect(p, T_RPAREN);
    } else if (at_kw(p, "POINTER") || at_kw(p, "REFERENCE") || at_kw(p, "REF_TO")) {
        st_error(p->ctx, ts->loc, st_ieq(peek(p)->text, "REF_TO") ? 5003 : 5009,
                 "%s: pointers and references are not supported (CODESYS/TwinCAT)",
                 peek(p)->text);
        while (!p->abort && peek(p)->kind != T_SEMI && peek(p)->kind != T_EOF &&
               peek(p)->kind != T_ASSIGN)
            next(p);
        ts->kind = TS_NAME;
        ts->name = "?";
    } else {
        ts->kind = TS_NAME;
        ts->name = name(p, "a type");
        if (!ts->name)
            ts->name = "?";
        if (peek(p)->kind == T_LPAREN) {
            next(p);
            ts->kind = TS_SUBRANGE;
            struct st_range *r = node(p, sizeof(*r));
            r->lo = expr(p);
            expect(p, T_DOTDOT);
            r->hi = expr(p);
            ts->dims = r;
            expect(p, T_RPAREN);
        }
    }
    leave(p);
    return ts;
}

static struct st_init *init_value(struct parser *p)
{
    struct st_init *in = node(p, sizeof(*in));
    in->loc = peek(p)->loc;
    if (!enter(p))
        return in;
    if (accept(p, T_LBRACK)) {
        in->kind = I_ARRAY;
        struct st_init **tail = &in->items;
        if (peek(p)->kind != T_RBRACK) {
            do {
                struct st_init *item;
                if (peek(p)->kind == T_INT && peek_at(p, 1)->kind == T_LPAREN) {
                    struct st_expr *rep = literal(p, NULL, false);
                    next(p);
                    item = peek(p)->kind == T_RPAREN ? node(p, sizeof(*item)) : init_value(p);
                    expect(p, T_RPAREN);
                    item->repeat = rep;
                } else {
                    item = init_value(p);
                }
                *tail = item;
                tail = &item->next;
            } while (!p->abort && accept(p, T_COMMA));
        }
        expect(p, T_RBRACK);
    } else if (peek(p)->kind == T_LPAREN && peek_at(p, 1)->kind == T_IDENT &&
               peek_at(p, 2)->kind == T_ASSIGN) {
        next(p);
        in->kind = I_STRUCT;
        struct st_init **tail = &in->items;
        do {
            struct st_loc fl = peek(p)->loc;
            const char *f = name(p, "a member name");
            expect(p, T_ASSIGN);
            struct st_init *item = init_value(p);
            item->field = f ? f : "?";
            item->loc = fl;
            *tail = item;
            tail = &item->next;
        } while (!p->abort && accept(p, T_COMMA));
        expect(p, T_RPAREN);
    } else {
        in->kind = I_EXPR;
        in->e = expr(p);
    }
    leave(p);
    return in;
}

static void skip_to_semi(struct parser *p, const char *end)
{
    while (!p->abort && peek(p)->kind != T_EOF && !at_kw(p, end) && !at_kw(p, "END_VAR")) {
        if (next(p)->kind == T_SEMI)
            return;
    }
}

/* Declarations up to @p end (END_VAR, END_STRUCT), which is not eaten. */
static struct st_vardecl *var_decls(struct parser *p, enum st_section sec, unsigned flags,
                                    const char *end)
{
    struct st_vardecl *head = NULL, **tail = &head;
    while (!p->abort && peek(p)->kind != T_EOF && !at_kw(p, end)) {
        size_t before = p->i;
        if (peek(p)->kind == T_PRAGMA) {
            next(p);
            continue;
        }
        struct st_vardecl *first = NULL, **ftail = &first;
        do {
            struct st_vardecl *d = node(p, sizeof(*d));
            d->loc = peek(p)->loc;
            d->name = name(p, "a variable name");
            if (!d->name)
                break;
            d->section = sec;
            d->flags = flags;
            *ftail = d;
            ftail = &d->next;
        } while (accept(p, T_COMMA));
        if (!first) {
            skip_to_semi(p, end);
            if (p->i == before)
                next(p);
            continue;
        }
        const char *addr = NULL;
        struct st_loc aloc = peek(p)->loc;
        if (accept_kw(p, "AT")) {
            aloc = peek(p)->loc;
            if (peek(p)->kind == T_DIRECT)
                addr = next(p)->text;
            else
                expected(p, "a located address after AT");
        }
        if (!expect(p, T_COLON)) {
            skip_to_semi(p, end);
            continue;
        }
        struct st_tspec *ts = type_spec(p);
        struct st_init *init = NULL;
        if (accept(p, T_ASSIGN))
            init = init_value(p);
        for (struct st_vardecl *d = first; d; d = d->next) {
            d->ts = ts;
            d->init = init;
            d->address = addr;
            d->addr_loc = aloc;
        }
        *tail = first;
        while (*tail)
            tail = &(*tail)->next;
        if (!accept(p, T_SEMI)) {
            expected(p, "';'");
            skip_to_semi(p, end);
        }
    }
    return head;
}

static bool var_block(struct parser *p, struct st_vardecl ***tail)
{
    static const struct {
        const char *kw;
        enum st_section sec;
    } blocks[] = {{"VAR", SEC_VAR}, {"VAR_INPUT", SEC_INPUT}, {"VAR_OUTPUT", SEC_OUTPUT},
                  {"VAR_IN_OUT", SEC_INOUT}, {"VAR_TEMP", SEC_TEMP},
                  {"VAR_EXTERNAL", SEC_EXTERNAL}, {"VAR_GLOBAL", SEC_GLOBAL}};
    for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
        if (!at_kw(p, blocks[i].kw))
            continue;
        next(p);
        unsigned flags = 0;
        for (;;) {
            if (accept_kw(p, "CONSTANT"))
                flags |= VF_CONSTANT;
            else if (accept_kw(p, "RETAIN") || accept_kw(p, "PERSISTENT"))
                flags |= VF_RETAIN;
            else if (!accept_kw(p, "NON_RETAIN"))
                break;
        }
        struct st_vardecl *d = var_decls(p, blocks[i].sec, flags, "END_VAR");
        **tail = d;
        while (**tail)
            *tail = &(**tail)->next;
        expect_kw(p, "END_VAR");
        return true;
    }
    if (at_kw(p, "VAR_ACCESS") || at_kw(p, "VAR_CONFIG")) {
        st_error(p->ctx, peek(p)->loc, 5010, "%s is not supported", peek(p)->text);
        while (!p->abort && peek(p)->kind != T_EOF && !accept_kw(p, "END_VAR"))
            next(p);
        return true;
    }
    return false;
}

static void skip_to(struct parser *p, const char *end)
{
    while (!p->abort && peek(p)->kind != T_EOF && !accept_kw(p, end))
        next(p);
}

static bool at_sfc(const struct parser *p)
{
    return at_kw(p, "STEP") || at_kw(p, "INITIAL_STEP") || at_kw(p, "TRANSITION") ||
           at_kw(p, "ACTION");
}

/* `s` or `(s1, s2)`: a transition's sources or targets. */
static struct st_sfc_name *sfc_names(struct parser *p)
{
    struct st_sfc_name *head = NULL, **tail = &head;
    bool list = accept(p, T_LPAREN);
    do {
        struct st_sfc_name *n = node(p, sizeof(*n));
        n->loc = peek(p)->loc;
        n->name = name(p, "a step name");
        if (!n->name)
            break;
        *tail = n;
        tail = &n->next;
    } while (list && !p->abort && accept(p, T_COMMA));
    if (list)
        expect(p, T_RPAREN);
    return head;
}

/* `name(Q, T#1s);` inside a STEP. */
static struct st_sfc_assoc *sfc_assoc(struct parser *p)
{
    struct st_sfc_assoc *a = node(p, sizeof(*a));
    a->loc = peek(p)->loc;
    a->action = name(p, "an action name");
    a->qual = "N";
    a->qual_loc = a->loc;
    if (a->action && accept(p, T_LPAREN)) {
        a->qual_loc = peek(p)->loc;
        if (peek(p)->kind == T_IDENT)
            a->qual = next(p)->text;
        else
            expected(p, "an action qualifier (N, S, R, P, L, D, SD, DS, SL)");
        if (accept(p, T_COMMA))
            a->time = expr(p);
        expect(p, T_RPAREN);
    }
    if (!expect(p, T_SEMI))
        skip_to_semi(p, "END_STEP");
    return a->action ? a : NULL;
}

/* The chart of a PROGRAM or FUNCTION_BLOCK body, up to @p end. */
static void sfc_body(struct parser *p, struct st_pou *u, const char *end)
{
    unsigned errors = p->ctx->errors, order = 0;
    struct st_sfc *c = node(p, sizeof(*c));
    c->loc = peek(p)->loc;
    struct st_sfc_step **stail = &c->steps;
    struct st_sfc_trans **ttail = &c->trans;
    struct st_sfc_action **atail = &c->actions;
    static const char *const action_end[] = {"END_ACTION", NULL};
    static const char *const trans_end[] = {"END_TRANSITION", NULL};
    while (!p->abort && peek(p)->kind != T_EOF && !at_kw(p, end)) {
        size_t before = p->i;
        if (at_kw(p, "STEP") || at_kw(p, "INITIAL_STEP")) {
            struct st_sfc_step *st = node(p, sizeof(*st));
            st->initial = at_kw(p, "INITIAL_STEP");
            next(p);
            st->loc = peek(p)->loc;
            st->name = name(p, "the step's name");
            expect(p, T_COLON);
            struct st_sfc_assoc **tail = &st->assocs;
            while (!p->abort && peek(p)->kind == T_IDENT && !at_kw(p, "END_STEP")) {
                struct st_sfc_assoc *a = sfc_assoc(p);
                if (a) {
                    *tail = a;
                    tail = &a->next;
                }
            }
            expect_kw(p, "END_STEP");
            if (st->name) {
                *stail = st;
                stail = &st->next;
            }
        } else if (at_kw(p, "TRANSITION")) {
            struct st_sfc_trans *t = node(p, sizeof(*t));
            t->loc = next(p)->loc;
            t->order = order++;
            if (peek(p)->kind == T_IDENT && !at_kw(p, "FROM"))
                t->loc = peek(p)->loc, t->name = name(p, "the transition's name");
            if (accept(p, T_LPAREN)) {
                const struct st_token *k = peek(p);
                if (!is_kw(k, "PRIORITY"))
                    expected(p, "PRIORITY");
                next(p);
                expect(p, T_ASSIGN);
                if (peek(p)->kind == T_INT && !peek(p)->overflow && peek(p)->ival <= INT32_MAX)
                    t->priority = (int64_t)next(p)->ival;
                else
                    expected(p, "the priority, an integer");
                expect(p, T_RPAREN);
            }
            if (expect_kw(p, "FROM"))
                t->from = sfc_names(p);
            if (expect_kw(p, "TO"))
                t->to = sfc_names(p);
            if (accept(p, T_ASSIGN)) {
                t->cond = expr(p);
                expect(p, T_SEMI);
            } else if (accept(p, T_COLON)) {
                if (!t->name)
                    st_error(p->ctx, t->loc, 1001, "a transition written as statements needs a "
                             "name for them to assign");
                t->body = stmt_list(p, trans_end, false);
            } else {
                expected(p, "':=' and the condition");
            }
            expect_kw(p, "END_TRANSITION");
            if (t->from && t->to && (t->cond || t->body)) {
                *ttail = t;
                ttail = &t->next;
            }
        } else if (at_kw(p, "ACTION")) {
            struct st_sfc_action *a = node(p, sizeof(*a));
            next(p);
            a->loc = peek(p)->loc;
            a->name = name(p, "the action's name");
            expect(p, T_COLON);
            a->body = stmt_list(p, action_end, false);
            expect_kw(p, "END_ACTION");
            if (a->name) {
                *atail = a;
                atail = &a->next;
            }
        } else if (peek(p)->kind == T_PRAGMA) {
            next(p);
        } else {
            st_error(p->ctx, peek(p)->loc, 5013, "a statement in a Sequential Function Chart: "
                     "a body is either a chart or statements, not both (put them in an ACTION)");
            while (!p->abort && peek(p)->kind != T_EOF && !at_kw(p, end))
                next(p);
            return;
        }
        accept(p, T_SEMI);
        if (p->i == before)
            next(p);
    }
    u->sfc = c;
    if (p->ctx->errors == errors && !p->abort)
        st_sfc_lower(p->ctx, u);
}

static void pou(struct parser *p, enum st_pou_kind kind, const char *end)
{
    struct st_pou *u = node(p, sizeof(*u));
    u->kind = kind;
    next(p);
    u->loc = peek(p)->loc; /* the name: what a diagnostic about the POU points at */
    u->name = name(p, "the POU's name");
    if (!u->name)
        u->name = "?";
    if (p->pending_pragma) {
        u->has_pragma = true;
        u->pragma_loc = p->pragma_loc;
        u->pragma_what = p->pragma_what;
        p->pending_pragma = false;
    }
    if (at_kw(p, "EXTENDS") || at_kw(p, "IMPLEMENTS")) {
        st_error(p->ctx, peek(p)->loc, 5004, "%s (object-oriented ST) is not supported",
                 peek(p)->text);
        next(p);
        while (peek(p)->kind == T_IDENT && !is_keyword(peek(p)->text))
            next(p);
    }
    if (kind == POU_FUNCTION) {
        if (accept(p, T_COLON))
            u->ret = type_spec(p);
    }
    struct st_vardecl **tail = &u->decls;
    for (;;) {
        if (p->abort)
            return;
        if (peek(p)->kind == T_PRAGMA) {
            const struct st_token *t = next(p);
            if (!u->has_pragma) {
                u->has_pragma = true;
                u->pragma_loc = t->loc;
                u->pragma_what = t->text;
            }
            continue;
        }
        if (!var_block(p, &tail))
            break;
    }
    if (at_kw(p, "METHOD") || at_kw(p, "PROPERTY")) {
        st_error(p->ctx, peek(p)->loc, 5009, "%s is CODESYS/TwinCAT object-oriented ST",
                 peek(p)->text);
        skip_to(p, end);
        return;
    }
    static const char *const none[] = {NULL, NULL};
    const char *ends[] = {end, NULL};
    (void)none;
    p->pending_pragma = false;
    if (at_sfc(p) && kind == POU_FUNCTION) {
        st_error(p->ctx, peek(p)->loc, 5002, "%s: a FUNCTION has no state to hold a Sequential "
                 "Function Chart's steps (write it in a PROGRAM or FUNCTION_BLOCK)",
                 peek(p)->text);
        p->abort = true;
    } else if (at_sfc(p)) {
        sfc_body(p, u, end);
    } else {
        u->body = stmt_list(p, ends, false);
    }
    if (p->pending_pragma && !u->has_pragma) {
        u->has_pragma = true;
        u->pragma_loc = p->pragma_loc;
        u->pragma_what = p->pragma_what;
    }
    p->pending_pragma = false;
    if (p->abort) {
        /* a refused body (IL, SFC): keep going with the next POU */
        p->abort = p->depth > ST_MAX_DEPTH;
        skip_to(p, end);
    } else {
        expect_kw(p, end);
    }
    accept(p, T_SEMI);
    struct st_pou **t = &p->unit->pous;
    while (*t)
        t = &(*t)->next;
    *t = u;
}

static void type_block(struct parser *p)
{
    next(p);
    while (!p->abort && peek(p)->kind != T_EOF && !at_kw(p, "END_TYPE")) {
        size_t before = p->i;
        struct st_typedecl *d = node(p, sizeof(*d));
        d->loc = peek(p)->loc;
        d->name = name(p, "a type name");
        if (d->name && expect(p, T_COLON)) {
            d->ts = type_spec(p);
            if (accept(p, T_ASSIGN))
                d->init = init_value(p);
            struct st_typedecl **t = &p->unit->types;
            while (*t)
                t = &(*t)->next;
            *t = d;
            if (!accept(p, T_SEMI))
                expected(p, "';'");
        } else {
            skip_to_semi(p, "END_TYPE");
        }
        if (p->i == before)
            next(p);
    }
    expect_kw(p, "END_TYPE");
}

static void task_decl(struct parser *p, struct st_config *c)
{
    struct st_task *t = node(p, sizeof(*t));
    t->loc = next(p)->loc;
    t->name = name(p, "the task's name");
    if (accept(p, T_LPAREN)) {
        while (!p->abort && peek(p)->kind == T_IDENT) {
            const struct st_token *k = next(p);
            expect(p, T_ASSIGN);
            struct st_expr *v = expr(p);
            if (st_ieq(k->text, "INTERVAL"))
                t->interval = v;
            else if (st_ieq(k->text, "SINGLE"))
                t->single = v;
            else if (st_ieq(k->text, "PRIORITY"))
                t->priority = v;
            else
                st_error(p->ctx, k->loc, 1001, "a TASK takes INTERVAL, PRIORITY or SINGLE, "
                         "not '%s'", k->text);
            if (!accept(p, T_COMMA))
                break;
        }
        expect(p, T_RPAREN);
    }
    expect(p, T_SEMI);
    struct st_task **tail = &c->tasks;
    while (*tail)
        tail = &(*tail)->next;
    *tail = t;
}

static void program_instance(struct parser *p, struct st_config *c)
{
    struct st_instance *in = node(p, sizeof(*in));
    in->loc = next(p)->loc;
    if (!accept_kw(p, "RETAIN"))
        accept_kw(p, "NON_RETAIN");
    in->name = name(p, "the program instance's name");
    if (accept_kw(p, "WITH"))
        in->task = name(p, "a task name");
    expect(p, T_COLON);
    in->type = name(p, "a program type");
    if (accept(p, T_LPAREN)) {
        st_error(p->ctx, in->loc, 5010, "program instance arguments are not supported");
        while (!p->abort && peek(p)->kind != T_EOF && !accept(p, T_RPAREN))
            next(p);
    }
    expect(p, T_SEMI);
    if (!in->name || !in->type)
        return;
    struct st_instance **tail = &c->instances;
    while (*tail)
        tail = &(*tail)->next;
    *tail = in;
}

static void resource_body(struct parser *p, struct st_config *c, const char *end)
{
    while (!p->abort && peek(p)->kind != T_EOF && !at_kw(p, end)) {
        size_t before = p->i;
        struct st_vardecl **tail = &c->globals;
        while (*tail)
            tail = &(*tail)->next;
        if (var_block(p, &tail))
            continue;
        if (at_kw(p, "TASK")) {
            task_decl(p, c);
        } else if (at_kw(p, "PROGRAM")) {
            program_instance(p, c);
        } else if (at_kw(p, "RESOURCE")) {
            struct st_loc rl = next(p)->loc;
            if (c->resources++ == 0)
                c->resource_loc = rl;
            else
                st_error(p->ctx, rl, 5016, "a second RESOURCE: one RESOURCE runs all the "
                         "tasks");
            name(p, "the resource's name");
            if (expect_kw(p, "ON"))
                name(p, "the resource type");
            resource_body(p, c, "END_RESOURCE");
            expect_kw(p, "END_RESOURCE");
            accept(p, T_SEMI);
        } else {
            expected(p, "TASK, PROGRAM, RESOURCE or VAR_GLOBAL");
            skip_to_semi(p, end);
        }
        if (p->i == before)
            next(p);
    }
}

static void configuration(struct parser *p)
{
    struct st_config *c = node(p, sizeof(*c));
    c->loc = next(p)->loc;
    c->name = name(p, "the configuration's name");
    resource_body(p, c, "END_CONFIGURATION");
    expect_kw(p, "END_CONFIGURATION");
    accept(p, T_SEMI);
    struct st_config **t = &p->unit->configs;
    while (*t)
        t = &(*t)->next;
    *t = c;
}

void st_parse(struct st_ctx *ctx, const struct st_tokens *toks, struct st_unit *unit)
{
    struct parser p = {.ctx = ctx, .t = toks->v, .n = toks->n, .unit = unit};
    static const struct {
        const char *kw, *end;
        int code;
        const char *what;
    } refused[] = {
        {"ORGANIZATION_BLOCK", "END_ORGANIZATION_BLOCK", 5008, "a Siemens SCL block"},
        {"DATA_BLOCK", "END_DATA_BLOCK", 5008, "a Siemens SCL data block"},
        {"INTERFACE", "END_INTERFACE", 5004, "an INTERFACE (object-oriented ST)"},
        {"METHOD", "END_METHOD", 5009, "a CODESYS/TwinCAT METHOD"},
        {"PROPERTY", "END_PROPERTY", 5009, "a CODESYS/TwinCAT PROPERTY"},
        {"ACTION", "END_ACTION", 5002, "an SFC ACTION"},
        {"NAMESPACE", "END_NAMESPACE", 5010, "a NAMESPACE"},
    };
    while (peek(&p)->kind != T_EOF && !p.abort) {
        size_t before = p.i;
        const struct st_token *t = peek(&p);
        if (t->kind == T_PRAGMA &&
            strncmp(t->text, ST_FILE_BLOCK_PREFIX, strlen(ST_FILE_BLOCK_PREFIX)) == 0) {
            /* Newer OpenPLC editors append C for their runtime this way, in no
             * POU: refused by name, as nothing here can compile it. */
            next(&p);
            st_error(ctx, t->loc, 5006, "an OpenPLC %s holds C code for the OpenPLC runtime, "
                     "which plc-st does not compile: delete it (and write in ST what the "
                     "program needs of it)", t->text);
            continue;
        }
        if (t->kind == T_PRAGMA) {
            next(&p);
            if (!p.pending_pragma) {
                p.pending_pragma = true;
                p.pragma_loc = t->loc;
                p.pragma_what = t->text;
            }
            continue;
        }
        if (is_kw(t, "PROGRAM"))
            pou(&p, POU_PROGRAM, "END_PROGRAM");
        else if (is_kw(t, "FUNCTION_BLOCK"))
            pou(&p, POU_FB, "END_FUNCTION_BLOCK");
        else if (is_kw(t, "FUNCTION"))
            pou(&p, POU_FUNCTION, "END_FUNCTION");
        else if (is_kw(t, "TYPE"))
            type_block(&p);
        else if (is_kw(t, "CONFIGURATION"))
            configuration(&p);
        else {
            bool known = false;
            for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
                if (is_kw(t, refused[i].kw)) {
                    st_error(ctx, t->loc, refused[i].code, "%s is %s, which is not supported",
                             t->text, refused[i].what);
                    skip_to(&p, refused[i].end);
                    known = true;
                    break;
                }
            }
            if (!known) {
                expected(&p, "PROGRAM, FUNCTION_BLOCK, FUNCTION, TYPE or CONFIGURATION");
                /* skip to the next top-level keyword */
                do
                    next(&p);
                while (peek(&p)->kind != T_EOF && !at_kw(&p, "PROGRAM") &&
                       !at_kw(&p, "FUNCTION_BLOCK") && !at_kw(&p, "FUNCTION") &&
                       !at_kw(&p, "TYPE") && !at_kw(&p, "CONFIGURATION"));
            }
        }
        if (p.i == before)
            next(&p);
    }
}
