/* SPDX-License-Identifier: MIT */
/* Shared between the files of the layout library; not installed. */
#ifndef PLC_LAYOUT_INTERNAL_H
#define PLC_LAYOUT_INTERNAL_H

#include <stdbool.h>
#include <stdio.h>

#include "plc-layout.h"

enum section_kind { SEC_UNKNOWN, SEC_LAYOUT, SEC_REGION, SEC_TAG, SEC_MODBUS };

struct entry {
    char *key;
    char *value;
    unsigned line;
    bool used;
};

struct section {
    enum section_kind kind;
    char raw[96];   /* between the brackets */
    char name[96];  /* the NAME of [region NAME] / [tag NAME] */
    char what[128]; /* "region 'inputs'", for messages */
    unsigned line;
    struct entry *e;
    size_t n, cap;
};

struct parse {
    const char *file;   /* name used in messages */
    FILE *f;            /* either a file ... */
    const char *text;   /* ... or a string */
    size_t pos;
    unsigned lineno;
    struct section *sec;
    size_t nsec, sec_cap;
    struct plc_diag *diag;
    bool failed, oom;
};

/* Record the first error; later ones are dropped so the message is stable. */
void layout_fail(struct parse *p, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int layout_parse(struct parse *p);
/* Find a key in a section and mark it used; NULL when absent. */
struct entry *layout_take(struct section *s, const char *key);
/* Report the first key of @s nobody took. */
void layout_check_unused(struct parse *p, struct section *s);
void layout_parse_free(struct parse *p);

#endif
