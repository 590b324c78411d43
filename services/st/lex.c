/* SPDX-License-Identifier: MIT */
/*
 * The lexer: one pass over a source into a token array. It never stops on
 * an error: it reports, skips what it cannot read and goes on, so every
 * lexical error of a file is reported and the parser always gets T_EOF.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"
#include "plc-date.h"

struct lexer {
    struct st_ctx *ctx;
    uint32_t file;
    const char *s, *end, *p;
    uint32_t line;
    const char *line_start;
    struct st_tokens *out;
    size_t cap;
};

static struct st_loc here(const struct lexer *l, const char *at)
{
    return (struct st_loc){l->file, l->line, (uint32_t)(at - l->line_start) + 1};
}

static void newline(struct lexer *l, const char *after)
{
    l->line++;
    l->line_start = after;
}

static struct st_token *push(struct lexer *l, enum st_tok kind, struct st_loc loc)
{
    if (l->out->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 256;
        struct st_token *v = st_alloc(&l->ctx->arena, cap * sizeof(*v));
        if (l->out->n)
            memcpy(v, l->out->v, l->out->n * sizeof(*v));
        l->out->v = v;
        l->cap = cap;
    }
    struct st_token *t = &l->out->v[l->out->n++];
    memset(t, 0, sizeof(*t));
    t->kind = kind;
    t->loc = loc;
    return t;
}

static bool isident0(int c)
{
    return isalpha(c) || c == '_';
}
static bool isident(int c)
{
    return isalnum(c) || c == '_';
}

/* Comments: (* *), slash-star, //. (*FILE:...*) and {...} are pragmas (C code). */
static bool skip_comment(struct lexer *l)
{
    const char *p = l->p;
    if (p + 1 < l->end && ((p[0] == '(' && p[1] == '*') || (p[0] == '/' && p[1] == '*'))) {
        char close0 = p[0] == '(' ? '*' : '*', close1 = p[0] == '(' ? ')' : '/';
        bool file_block = p[0] == '(' && l->end - p >= 7 && strncmp(p + 2, "FILE:", 5) == 0;
        struct st_loc loc = here(l, p);
        const char *q = p + 2;
        for (; q + 1 < l->end; q++) {
            if (*q == '\n')
                newline(l, q + 1);
            if (q[0] == close0 && q[1] == close1)
                break;
        }
        if (q + 1 >= l->end) {
            st_error(l->ctx, loc, 1, "comment opened here is never closed");
            l->p = l->end;
            return true;
        }
        l->p = q + 2;
        if (file_block) {
            struct st_token *t = push(l, T_PRAGMA, loc);
            /* "(*FILE:custom.c*) block": the file it names, as the messages say it */
            const char *name = p + 7;
            size_t n = strcspn(name, ":*\n");
            char buf[96];
            snprintf(buf, sizeof(buf), ST_FILE_BLOCK_PREFIX "%.*s*) block",
                     (int)(n < 40 ? n : 40), name);
            t->text = st_strdup(&l->ctx->arena, buf);
        }
        return true;
    }
    if (p + 1 < l->end && p[0] == '/' && p[1] == '/') {
        while (l->p < l->end && *l->p != '\n')
            l->p++;
        return true;
    }
    return false;
}

static void lex_pragma(struct lexer *l)
{
    struct st_loc loc = here(l, l->p);
    const char *q = l->p + 1;
    while (q < l->end && isspace((unsigned char)*q))
        q++;
    bool attribute = l->end - q >= 9 && strncasecmp(q, "attribute", 9) == 0;
    int depth = 0;
    for (q = l->p; q < l->end; q++) {
        if (*q == '{')
            depth++;
        else if (*q == '}' && --depth == 0)
            break;
        else if (*q == '\n')
            newline(l, q + 1);
    }
    if (q >= l->end) {
        st_error(l->ctx, loc, 1, "pragma '{' opened here is never closed");
        l->p = l->end;
        return;
    }
    l->p = q + 1;
    if (attribute) {
        st_error(l->ctx, loc, 5009, "{attribute ...} is a CODESYS/TwinCAT pragma, not IEC "
                                    "61131-3 Structured Text");
        return;
    }
    struct st_token *t = push(l, T_PRAGMA, loc);
    t->text = "{ } pragma";
}

/* Digits of @p base with single underscores between them; returns false on none. */
static bool read_digits(struct lexer *l, int base, uint64_t *v, bool *overflow, bool *bad)
{
    const char *p = l->p;
    bool any = false;
    *v = 0;
    while (p < l->end) {
        int c = (unsigned char)*p, d;
        if (c == '_') {
            if (!any || p + 1 >= l->end || p[1] == '_')
                *bad = true;
            p++;
            continue;
        }
        if (isdigit(c)) {
            d = c - '0';
        } else if (isalpha(c)) {
            if (base == 10)
                break; /* 10ms, 1E3: a unit or an exponent follows */
            d = tolower(c) - 'a' + 10;
        } else {
            break;
        }
        if (d >= base)
            *bad = true;
        if (*v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
            *overflow = true;
        *v = *v * (uint64_t)base + (uint64_t)d;
        any = true;
        p++;
    }
    if (p > l->p && p[-1] == '_')
        *bad = true;
    l->p = p;
    return any;
}

static void lex_number(struct lexer *l)
{
    const char *start = l->p;
    struct st_loc loc = here(l, start);
    uint64_t v;
    bool overflow = false, bad = false;
    read_digits(l, 10, &v, &overflow, &bad);
    if (l->p < l->end && *l->p == '#') {
        /* 16#FF, 2#1010, 8#17 */
        l->p++;
        int base = overflow ? 0 : (int)v;
        if (base != 2 && base != 8 && base != 16) {
            st_error(l->ctx, loc, 4, "base %.*s is not 2, 8 or 16", (int)(l->p - 1 - start),
                     start);
            base = 16;
        }
        bool obad = false;
        if (!read_digits(l, base, &v, &overflow, &obad) || obad)
            st_error(l->ctx, loc, 4, "malformed base-%d number", base);
        while (l->p < l->end && isident(*l->p))
            l->p++;
        struct st_token *t = push(l, T_INT, loc);
        t->ival = v;
        t->overflow = overflow;
        return;
    }
    bool real = false;
    if (l->p + 1 < l->end && l->p[0] == '.' && isdigit((unsigned char)l->p[1])) {
        real = true;
        l->p++;
        while (l->p < l->end && (isdigit((unsigned char)*l->p) || *l->p == '_'))
            l->p++;
    }
    if (l->p < l->end && (*l->p == 'e' || *l->p == 'E')) {
        const char *q = l->p + 1;
        if (q < l->end && (*q == '+' || *q == '-'))
            q++;
        if (q < l->end && isdigit((unsigned char)*q)) {
            real = true;
            l->p = q;
            while (l->p < l->end && isdigit((unsigned char)*l->p))
                l->p++;
        }
    }
    if (bad)
        st_error(l->ctx, loc, 4, "misplaced '_' in a number");
    if (l->p < l->end && isident0((unsigned char)*l->p)) {
        st_error(l->ctx, loc, 4, "a number runs into a name");
        while (l->p < l->end && isident(*l->p))
            l->p++;
    }
    if (real) {
        char buf[128];
        size_t n = 0;
        for (const char *q = start; q < l->p && n + 1 < sizeof(buf); q++)
            if (*q != '_')
                buf[n++] = *q;
        buf[n] = '\0';
        struct st_token *t = push(l, T_REAL, loc);
        t->rval = strtod(buf, NULL);
        return;
    }
    if (overflow)
        st_error(l->ctx, loc, 5, "integer literal does not fit in 64 bits");
    struct st_token *t = push(l, T_INT, loc);
    t->ival = v;
    t->overflow = overflow;
}

/*
 * round(a * b / c), ties up, for a < c (so the result is below b): the
 * product in 128 bits from 32-bit halves and a long division, as 32-bit
 * targets (armhf) have no __int128.
 */
static uint64_t mul_div_round(uint64_t a, uint64_t b, uint64_t c)
{
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t p0 = al * bl, p1 = al * bh, p2 = ah * bl, p3 = ah * bh;
    uint64_t mid = (p0 >> 32) + (uint32_t)p1 + (uint32_t)p2;
    uint64_t lo = (mid << 32) | (uint32_t)p0;
    uint64_t hi = p3 + (p1 >> 32) + (p2 >> 32) + (mid >> 32);
    uint64_t q = 0, r = hi; /* hi < c, since a < c */
    for (int i = 63; i >= 0; i--) {
        bool carry = r >> 63;
        r = (r << 1) | ((lo >> i) & 1);
        q <<= 1;
        if (carry || r >= c) {
            r -= c;
            q |= 1;
        }
    }
    return q + (r >= c - r);
}

/* T#1d2h3m4s5ms6us7ns, T#3.5s, T#-2s; l->p is just after the '#'. */
static void lex_time(struct lexer *l, struct st_loc loc)
{
    static const struct {
        const char *u;
        int64_t ns;
    } units[] = {{"ms", 1000000}, {"us", 1000}, {"ns", 1}, {"d", 86400000000000},
                 {"h", 3600000000000}, {"m", 60000000000}, {"s", 1000000000}};
    bool neg = false, ok = true, any = false, had_fraction = false;
    int last_unit = -1;
    uint64_t total = 0; /* at most 2^63: T#-...  may reach INT64_MIN */
    if (l->p < l->end && *l->p == '-') {
        neg = true;
        l->p++;
    }
    while (l->p < l->end && isdigit((unsigned char)*l->p)) {
        if (had_fraction)
            ok = false;
        uint64_t ip = 0, frac = 0, scale = 1;
        bool overflow = false, bad = false;
        read_digits(l, 10, &ip, &overflow, &bad);
        if (overflow || bad)
            ok = false;
        if (l->p + 1 < l->end && *l->p == '.' && isdigit((unsigned char)l->p[1])) {
            l->p++;
            had_fraction = true;
            while (l->p < l->end && isdigit((unsigned char)*l->p)) {
                if (scale < 1000000000000000000u) {
                    frac = frac * 10 + (uint64_t)(*l->p - '0');
                    scale *= 10;
                }
                l->p++;
            }
        }
        int u = -1;
        for (int i = 0; i < (int)(sizeof(units) / sizeof(units[0])); i++) {
            size_t n = strlen(units[i].u);
            if ((size_t)(l->end - l->p) >= n && strncasecmp(l->p, units[i].u, n) == 0 &&
                !(n == 1 && units[i].u[0] == 'm' && l->p + 1 < l->end &&
                  (l->p[1] == 's' || l->p[1] == 'S'))) {
                u = i;
                l->p += n;
                break;
            }
        }
        if (u < 0) {
            ok = false;
            break;
        }
        /* Units largest first: d h m s ms us ns (their order in units[] is not). */
        static const int rank[] = {4, 5, 6, 0, 1, 2, 3};
        if (last_unit >= 0 && rank[u] <= rank[last_unit])
            ok = false;
        last_unit = u;
        /* the whole units, then the fraction of one, rounded to the nearest ns */
        uint64_t whole;
        if (__builtin_mul_overflow(ip, (uint64_t)units[u].ns, &whole) ||
            __builtin_add_overflow(total, whole, &total) ||
            __builtin_add_overflow(total, mul_div_round(frac, (uint64_t)units[u].ns, scale),
                                   &total) ||
            total > (uint64_t)INT64_MAX + 1)
            ok = false, total = 0;
        any = true;
        if (l->p < l->end && *l->p == '_')
            l->p++;
    }
    if (!any || !ok || (!neg && total > (uint64_t)INT64_MAX)) {
        st_error(l->ctx, loc, 6, "malformed duration (write T#1h2m3s, T#3.5s, T#250ms)");
        total = 0;
    }
    while (l->p < l->end && (isident(*l->p) || *l->p == '.'))
        l->p++;
    struct st_token *t = push(l, T_TIME, loc);
    t->tval = neg ? (int64_t)(0 - total) : (int64_t)total; /* two's complement */
}

static void lex_string(struct lexer *l)
{
    struct st_loc loc = here(l, l->p);
    char q = *l->p++;
    size_t cap = 64, n = 0;
    char *buf = st_alloc(&l->ctx->arena, cap);
    for (;;) {
        if (l->p >= l->end || *l->p == '\n') {
            st_error(l->ctx, loc, 2, "string is not closed on its line");
            break;
        }
        char c = *l->p++;
        if (c == q) {
            if (l->p < l->end && *l->p == q && q == '\'') { /* '' inside '...' */
                l->p++;
            } else {
                break;
            }
        } else if (c == '$') {
            char e = l->p < l->end ? *l->p : '\0';
            l->p += l->p < l->end;
            switch (e) {
            case '$': c = '$'; break;
            case '\'': c = '\''; break;
            case '"': c = '"'; break;
            case 'L': case 'l': case 'N': case 'n': c = '\n'; break;
            case 'R': case 'r': c = '\r'; break;
            case 'T': case 't': c = '\t'; break;
            case 'P': case 'p': c = '\f'; break;
            default:
                if (isxdigit((unsigned char)e) && l->p < l->end &&
                    isxdigit((unsigned char)*l->p)) {
                    char hex[3] = {e, *l->p++, 0};
                    c = (char)strtol(hex, NULL, 16);
                } else {
                    st_error(l->ctx, here(l, l->p - 2), 7, "'$%c' is no string escape",
                             e ? e : ' ');
                    continue;
                }
            }
        }
        if (n + 1 >= cap) {
            char *nb = st_alloc(&l->ctx->arena, cap * 2);
            memcpy(nb, buf, n);
            buf = nb;
            cap *= 2;
        }
        buf[n++] = c;
    }
    if (q == '"') {
        st_error(l->ctx, loc, 5008, "a double-quoted name (\"DB\".x) is Siemens SCL; IEC "
                                    "strings take single quotes and WSTRING is not supported");
        return;
    }
    struct st_token *t = push(l, T_STRING, loc);
    t->str = buf;
    t->slen = n;
}

static void lex_direct(struct lexer *l)
{
    struct st_loc loc = here(l, l->p);
    const char *p = l->p + 1;
    char buf[24];
    size_t n = 0;
    bool ok = true;
    if (p < l->end && strchr("IQMiqm", *p) && *p) {
        buf[n++] = '%';
        buf[n++] = (char)toupper((unsigned char)*p++);
        char size = 'X';
        if (p < l->end && strchr("XBWDLxbwdl", *p) && *p)
            size = (char)toupper((unsigned char)*p++);
        buf[n++] = size;
        bool digit = false;
        while (p < l->end && (isdigit((unsigned char)*p) || *p == '.') && n + 1 < sizeof(buf)) {
            if (*p == '.' && (!digit || p + 1 >= l->end || !isdigit((unsigned char)p[1])))
                break;
            digit = *p != '.';
            buf[n++] = *p++;
        }
        if (!digit)
            ok = false;
    } else {
        ok = false;
    }
    while (p < l->end && isident(*p))
        p++, ok = false;
    buf[n] = '\0';
    l->p = p;
    if (!ok) {
        st_error(l->ctx, loc, 8, "malformed located address (write %%IX0.0, %%QW100, %%MD0)");
        return;
    }
    struct st_token *t = push(l, T_DIRECT, loc);
    t->text = st_strdup(&l->ctx->arena, buf);
}

static bool prefix_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* D#2024-01-31, TOD#12:30:15.5, DT#2024-01-31-12:30:15 (plc-date.h reads them): a
 * T_TIME token whose text names the type. @p start is the prefix's first character. */
static void lex_date(struct lexer *l, struct st_loc loc, const struct st_type *t,
                     const char *start)
{
    const char *body = l->p;
    while (l->p < l->end && (isalnum((unsigned char)*l->p) || strchr("_-:.", *l->p)))
        l->p++;
    static const enum plc_date_kind kinds[] = {[TY_DATE] = PLC_DATE_DATE,
                                               [TY_TOD] = PLC_DATE_TOD, [TY_DT] = PLC_DATE_DT};
    static const char *const forms[] = {[TY_DATE] = "D#2024-01-31",
                                        [TY_TOD] = "TOD#12:30:15.5",
                                        [TY_DT] = "DT#2024-01-31-12:30:15"};
    int64_t ns = 0;
    if (plc_date_parse(kinds[t->kind], body, (size_t)(l->p - body), &ns) < 0) {
        st_error(l->ctx, loc, 10, "%s literal '%.*s': %s (write %s)", t->name,
                 (int)(l->p - start), start,
                 errno == ERANGE ? "a year outside 1970..2261"
                                 : "malformed, or a day or time of day that does not exist",
                 forms[t->kind]);
        ns = 0;
    }
    struct st_token *tok = push(l, T_TIME, loc);
    tok->tval = ns;
    tok->text = t->name;
}

static void lex_ident(struct lexer *l)
{
    const char *start = l->p;
    struct st_loc loc = here(l, start);
    while (l->p < l->end && isident(*l->p))
        l->p++;
    size_t n = (size_t)(l->p - start);
    if (l->p < l->end && *l->p == '#') {
        l->p++;
        if (prefix_is(start, n, "T") || prefix_is(start, n, "TIME")) {
            lex_time(l, loc);
            return;
        }
        char word[16] = "";
        if (n < sizeof(word))
            memcpy(word, start, n);
        const struct st_type *dk = prefix_is(start, n, "D") ? st_type_elem(TY_DATE)
                                                            : st_type_by_name(word);
        if (dk && (dk->kind == TY_DATE || dk->kind == TY_TOD || dk->kind == TY_DT)) {
            lex_date(l, loc, dk, start);
            return;
        }
        if (prefix_is(start, n, "LT") || prefix_is(start, n, "LTIME")) {
            st_error(l->ctx, loc, 5005, "%.*s# literals (LTIME) are not supported", (int)n,
                     start);
            while (l->p < l->end && (isalnum((unsigned char)*l->p) || strchr("_-:.", *l->p)))
                l->p++;
            push(l, T_INT, loc);
            return;
        }
        struct st_token *t = push(l, T_TYPEPFX, loc);
        t->text = st_strndup(&l->ctx->arena, start, n);
        return;
    }
    struct st_token *t = push(l, T_IDENT, loc);
    t->text = st_strndup(&l->ctx->arena, start, n);
}

void st_lex(struct st_ctx *ctx, uint32_t file, struct st_tokens *out)
{
    struct lexer l = {.ctx = ctx, .file = file, .s = ctx->sources[file].text,
                      .line = 1, .out = out};
    l.p = l.line_start = l.s;
    l.end = l.s + ctx->sources[file].len;
    out->v = NULL;
    out->n = 0;
    while (l.p < l.end) {
        unsigned char c = (unsigned char)*l.p;
        if (c == '\n') {
            l.p++;
            newline(&l, l.p);
            continue;
        }
        if (isspace(c)) {
            l.p++;
            continue;
        }
        if (skip_comment(&l))
            continue;
        struct st_loc loc = here(&l, l.p);
        if (isident0(c)) {
            lex_ident(&l);
            continue;
        }
        if (isdigit(c)) {
            lex_number(&l);
            continue;
        }
        if (c == '\'' || c == '"') {
            lex_string(&l);
            continue;
        }
        if (c == '%') {
            lex_direct(&l);
            continue;
        }
        if (c == '{') {
            lex_pragma(&l);
            continue;
        }
        static const struct {
            const char *s;
            enum st_tok t;
        } ops[] = {{":=", T_ASSIGN}, {"=>", T_ARROW}, {"..", T_DOTDOT}, {"**", T_POW},
                   {"<>", T_NE}, {"<=", T_LE}, {">=", T_GE}, {":", T_COLON}, {";", T_SEMI}, {",", T_COMMA},
                   {".", T_DOT}, {"(", T_LPAREN}, {")", T_RPAREN}, {"[", T_LBRACK},
                   {"]", T_RBRACK}, {"+", T_PLUS}, {"-", T_MINUS}, {"*", T_STAR},
                   {"/", T_SLASH}, {"=", T_EQ}, {"<", T_LT}, {">", T_GT}, {"&", T_AMP},
                   {"^", T_CARET}};
        bool found = false;
        for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
            size_t n = strlen(ops[i].s);
            if ((size_t)(l.end - l.p) >= n && memcmp(l.p, ops[i].s, n) == 0) {
                push(&l, ops[i].t, loc);
                l.p += n;
                found = true;
                break;
            }
        }
        if (found)
            continue;
        if (c == '#') {
            st_error(ctx, loc, 5008, "'#name' is a Siemens SCL local variable; in IEC 61131-3 "
                                     "write the name alone");
            l.p++;
            continue;
        }
        if (c == '\0')
            st_error(ctx, loc, 9003, "the file holds a NUL byte");
        else if (c >= 0x80)
            st_error(ctx, loc, 3, "non-ASCII character outside a string or comment");
        else
            st_error(ctx, loc, 3, "'%c' is no part of Structured Text", c);
        l.p++;
    }
    push(&l, T_EOF, here(&l, l.p));
}
