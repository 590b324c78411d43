/* SPDX-License-Identifier: MIT */
/*
 * Values of ST variables as text, both ways: what `plc-st sim` reads from
 * --set, a script's set and expect, and what it prints. One parser and one
 * printer per type, so a value printed reads back to the same value.
 */
#ifndef PLC_ST_VALUE_H
#define PLC_ST_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plc-st.h"

struct json_object;

/* Big enough for any value's text but a STRING's (TIME: "T#-106751d23h47m16s854ms775us808ns"). */
#define PLC_ST_VALUE_TEXT 64

/* Bytes a scalar of @kind takes, 0 for STRING (its own size) or an unknown kind. */
size_t plc_st_kind_size(unsigned kind);

/*
 * A TIME in any IEC form: "T#1d2h3m4s5ms6us7ns", "t#1.5s", "TIME#1h2m",
 * "T#1d_2h", "100ms", "T#-2s" or "-T#2s", units in any case and in falling
 * order, one decimal fraction on the last unit; a plain integer is
 * nanoseconds. -1 when @text is none of these or out of int64 range.
 */
int plc_st_time_parse(const char *text, int64_t *ns);
/* The canonical literal: "T#1d2h3m4s5ms6us7ns" without zero parts, "T#0s", "T#-2s". */
void plc_st_time_format(int64_t ns, char *buf, size_t size);

/* The shortest decimal that reads back (strtof when @single, else strtod) to @v;
 * "NaN", "Inf", "-Inf" for those. */
void plc_st_real_format(double v, bool single, char *buf, size_t size);

/*
 * Parse @text as a value of @var's type into @dst (var->size bytes, the
 * state's representation). A STRING is cut at var->size - 1 characters unless
 * @exact, when a longer one is an error (an expectation it can never meet).
 * -1 with why (e.g. "not an INT (-32768..32767)") in @why.
 */
int plc_st_value_parse(const struct plc_st_var *var, const char *text, bool exact, void *dst,
                       char *why, size_t why_size);

/* The JSON of the value at @src (var->size bytes): BOOL true/false, integers
 * exact, REAL shortest, TIME and enums and STRING as strings. */
struct json_object *plc_st_value_to_json(const struct plc_st_var *var, const void *src);

/* Whether two values of @var's type are the same value (REAL: NaN equals NaN). */
bool plc_st_value_equal(const struct plc_st_var *var, const void *a, const void *b);

#endif
