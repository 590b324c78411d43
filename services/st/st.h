/* SPDX-License-Identifier: MIT */
/**
 * @file st.h
 * @brief plc-st as a library: check, translate and build IEC 61131-3
 *        Structured Text into a RaspiPLC program object.
 *
 * Every call reads its sources, prints diagnostics
 * (`file:line:col: error[Pnnnn]: message`, the line and a caret) to the
 * given stream and returns 0 (success), 1 (the sources have errors, or the
 * C compiler failed: P9001) or 2 (a usage problem: a file or the layout
 * cannot be read, no C compiler). No globals: calls may run concurrently.
 */
#ifndef PLC_ST_LIB_H
#define PLC_ST_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @brief How to compile. Zero-initialise it; every field is optional. */
struct plc_st_options {
    /** Layout file to bind VAR_EXTERNAL and located variables to, or NULL (none). */
    const char *layout;
    /** PROGRAM (or, with a CONFIGURATION, instance) to run, or NULL. */
    const char *program;
    /** C compiler, NULL for $PLC_ST_CC or "cc". */
    const char *cc;
    /** Extra C compiler flags (split at spaces), NULL for $PLC_ST_CFLAGS. */
    const char *cflags;
};

/**
 * @brief Check ST held in memory (the fuzzing entry point): lex, parse and
 *        check every program found, with no layout. Text whose first
 *        character is '<' is PLCopen XML, as a file's is.
 * @param text Need not be NUL-terminated; a NUL byte inside is an error.
 * @param name Stands for the file in diagnostics.
 * @param diag Where diagnostics go; NULL prints nothing.
 * @return 0 no errors, 1 errors.
 */
int plc_st_check_buffer(const char *text, size_t len, const char *name, FILE *diag);

/** @brief Check files (`plc-st check`). @return 0, 1 errors, 2 unreadable input. */
int plc_st_check_files(const char *const *files, size_t n, const struct plc_st_options *o,
                       FILE *diag);

/** @brief Write the generated C to @p out (`plc-st emit-c`). @return 0, 1, 2. */
int plc_st_emit_c(const char *const *files, size_t n, const struct plc_st_options *o, FILE *out,
                  FILE *diag);

/**
 * @brief Build a program object (`plc-st build`): generated C compiled in a
 *        temporary directory, linked with -lplc, installed at @p so_path by
 *        rename (a running plc-logic reloading on SIGHUP never sees half a file).
 * @return 0, 1 (errors, including P9001 from the C compiler), 2 (usage, no compiler).
 */
int plc_st_build(const char *const *files, size_t n, const struct plc_st_options *o,
                 const char *so_path, FILE *diag);

/**
 * @brief What `plc-st sim` builds: @p files with no layout, running @p program
 *        (NULL: the configuration's, or the only PROGRAM), into @p so_path.
 * @return as plc_st_build().
 */
int plc_st_build_sim(const char *const *files, size_t n, const char *program,
                     const char *so_path, FILE *diag);

/** @brief What `plc-st layout` writes. */
struct plc_st_layout_options {
    const char *base;    /**< the map: a layout whose tags carry iec_address (required) */
    const char *out;     /**< the layout to write (required) */
    const char *name;    /**< [layout] name (required) */
    const char *program; /**< as plc_st_options.program, or NULL */
    /** [layout] version; 0: 1 for a new file, the existing file's when only
     *  the version would change, one more when the content changed. */
    unsigned version;
    bool persistent;     /**< retain = yes on the %M regions (OpenPLC's persistent storage) */
    bool zero_fill;      /**< [modbus] unmapped_reads = zero */
};

/**
 * @brief Write the layout for exactly the located addresses of @p files on
 *        the base's map (`plc-st layout`); warnings for what behaves unlike
 *        OpenPLC go to @p diag. The file is written by rename after it loads.
 * @return 0, 1 (errors in the sources), 2 (usage: base or output unusable).
 */
int plc_st_layout(const char *const *files, size_t n, const struct plc_st_layout_options *lo,
                  FILE *diag);

/** @brief The base `plc-st layout` uses when none is given: OpenPLC's Pi map
 *         (the source tree's from the build tree, else the installed one). */
const char *plc_st_layout_default_base(void);

/**
 * @brief Print the explanation of a diagnostic code ("P3001" or "3001").
 * @return 0, or 2 when there is no such code.
 */
int plc_st_explain(const char *code, FILE *out);

/**
 * @brief The diagnostic codes, for docs/st-errors.md: code @p i (from 0) as
 *        its number, one-line title and explanation (a failing example and the fix).
 * @return 0, or -1 past the last.
 */
int plc_st_code_at(size_t i, int *code, const char **title, const char **text);

#ifdef __cplusplus
}
#endif

#endif
