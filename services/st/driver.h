/* SPDX-License-Identifier: MIT */
/* The driver's front half, shared by the verbs that read a checked program
 * (build, emit-c, layout). Internal to plc-st. */
#ifndef PLC_ST_DRIVER_H
#define PLC_ST_DRIVER_H

#include <stdbool.h>
#include <stdio.h>

#include "ast.h"
#include "st.h"

struct plc_layout;

/** Sources read and checked: the tree, the layout bound (or NULL). */
struct compilation {
    struct st_ctx ctx;
    struct st_unit unit;
    struct plc_layout *layout;
    char sources[1024];
};

/**
 * Read, parse and check @p files against o->layout; @p build asks for the
 * program to run to be found (a configuration's instances or one PROGRAM).
 * @return 0, 1 (errors) or 2 (usage); free @p c with st_compilation_free() either way.
 */
int st_compile(struct compilation *c, const char *const *files, size_t n,
               const struct plc_st_options *o, bool build, FILE *diag);
void st_compilation_free(struct compilation *c);

/** This executable runs from the build tree: headers, library and data from the sources. */
bool st_in_build_tree(void);

#endif
