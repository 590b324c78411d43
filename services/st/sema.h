/* SPDX-License-Identifier: MIT */
/* What sema.c and sema-call.c share: the checker's state. */
#ifndef PLC_ST_SEMA_H
#define PLC_ST_SEMA_H

#include "ast.h"

struct sema {
    struct st_ctx *ctx;
    struct st_unit *unit;
    const struct st_sema_options *o;
    struct st_pou *pou;        /* being checked */
    unsigned loops;            /* FOR/WHILE/REPEAT nesting */
    struct st_var *for_vars[64];
    unsigned for_depth;
    unsigned next_id;
    bool in_init;
};

const struct st_type *sema_expr(struct sema *S, struct st_expr *e);
void sema_coerce(struct sema *S, struct st_expr *e, const struct st_type *to, const char *what);
const struct st_type *sema_call(struct sema *S, struct st_expr *e, bool statement);
void sema_order_push(struct sema *S, const struct st_type *t);
void sema_check_init(struct sema *S, struct st_init *in, const struct st_type *t);
void sema_lvalue(struct sema *S, struct st_expr *e, bool inout);
void sema_use_pou(struct sema *S, struct st_pou *u, struct st_loc loc, bool call);
struct st_pou *sema_find_pou(struct sema *S, const char *name);
const struct st_type *sema_resolve(struct sema *S, struct st_tspec *ts);
void sema_resolve_named(struct sema *S, struct st_typedecl *d);
const struct st_type *sema_type_of(struct sema *S, struct st_var *v);
const struct st_type *sema_real_for(const struct st_type *t);
void sema_conv_name(const struct st_type *from, const struct st_type *to, char *buf, size_t len);

#endif
