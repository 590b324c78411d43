/* SPDX-License-Identifier: MIT */
/* The C emitter's parts: the fixed prelude and the generator. */
#ifndef PLC_ST_EMIT_H
#define PLC_ST_EMIT_H

#include "ast.h"

extern const char st_emit_prelude[];

struct emit {
    struct st_ctx *ctx;
    const struct st_unit *unit;
    const struct st_emit_options *o;
    FILE *out;
    const struct st_pou *pou;   /* whose body is being emitted */
    unsigned tmp;               /* unique C names */
    unsigned indent;
    unsigned meta_count;
    /* FOR loops whose counter is read from a C local (st_i<n>), innermost last */
    struct emit_loop {
        const struct st_var *var;
        unsigned n;
        bool bounded;   /* constant bounds and step: the counter stays in lo..hi */
        int64_t lo, hi;
    } loops[16];
    unsigned nloops;
    bool tags_cached; /* in a POU body: read-only tags are its st_in_ locals */
};

/* emit.c: expressions and the C spelling of types */
void ind(struct emit *E);
void cstring(FILE *out, const char *s, size_t n);
void where(struct emit *E, struct st_loc loc, const char *why);
void line(struct emit *E, struct st_loc loc);
const struct st_type *base(const struct st_type *t);
const char *ct(const struct st_type *t);
const char *ut(const struct st_type *t);
const char *uw(const struct st_type *t);
const char *counter_tag(enum st_tkind k);
/* Where variable @v lives (its state member, tag or global), as a C lvalue. */
void var_path(struct emit *E, const struct st_var *v);
uint64_t elems(const struct st_type *t);
void decl(struct emit *E, const struct st_type *t, const char *name);
const char *cname(struct emit *E, const char *prefix, const char *name);
void ex(struct emit *E, const struct st_expr *e);
void as(struct emit *E, const struct st_expr *e, const struct st_type *t);
const struct st_arg *find_arg(const struct st_expr *e, int pin);
void call_value(struct emit *E, const struct st_expr *e);

#endif
