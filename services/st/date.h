/* SPDX-License-Identifier: MIT */
/* DATE, TIME_OF_DAY and DATE_AND_TIME in the compiler (date.c): the operators
 * and functions IEC 61131-3 defines on them, their conversions, and the C
 * those become. Values are int64 ns, like TIME (runtime/include/plc-date.h). */
#ifndef PLC_ST_DATE_H
#define PLC_ST_DATE_H

#include "ast.h"

struct sema;
struct emit;

bool st_tkind_is_date(enum st_tkind k);

/* A + - * / MOD with a DATE, TOD or DT operand: the result type, or TY_ERROR
 * after an error. Sets e->optype (LINT: computed as int64 ns). */
const struct st_type *sema_date_binary(struct sema *S, struct st_expr *e,
                                       const struct st_type *a, const struct st_type *b);

/* ADD_TOD_TIME ... CONCAT_DATE_TOD, already lowered to @p low (an operator
 * node): false, after an error, when the operands are not the function's. */
bool sema_date_fn(struct sema *S, const struct st_expr *e, int fn, struct st_expr **ops,
                  struct st_expr *low);

/* Whether <A>_TO_<B> exists as far as the date types go (true for two others). */
bool st_date_conv_exists(const struct st_type *from, const struct st_type *to);

/* A <A>_TO_<B> with a date type on either side: false, after an error, when it
 * is not one plc-st defines. */
bool sema_date_conv(struct sema *S, const struct st_expr *e, const struct st_type *from,
                    const struct st_type *to);

/* The value of that conversion of @p w (the source's 64-bit word) for the
 * folder; the caller wraps it to the target's width. */
int64_t st_date_conv_value(enum st_tkind from, enum st_tkind to, uint64_t w);

/* Emit that conversion of @p x; false when neither side is a date type. */
bool emit_date_conv(struct emit *E, const struct st_expr *e, const struct st_expr *x);

#endif
