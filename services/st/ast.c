/* SPDX-License-Identifier: MIT */
/* The arena the tree lives in, freed at once, and the names' case rules. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"

struct st_arena_block {
    struct st_arena_block *next;
    size_t used, size;
    _Alignas(max_align_t) unsigned char data[];
};

#define ST_BLOCK 65536u

void *st_alloc(struct st_arena *a, size_t n)
{
    n = (n + 15u) & ~(size_t)15u;
    struct st_arena_block *b = a->head;
    if (!b || b->size - b->used < n) {
        size_t size = n > ST_BLOCK ? n : ST_BLOCK;
        b = malloc(sizeof(*b) + size);
        if (!b) {
            /* The front end has no partial result to give back: out of memory is fatal. */
            fputs("plc-st: out of memory\n", stderr);
            abort();
        }
        b->size = size;
        b->used = 0;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *st_strndup(struct st_arena *a, const char *s, size_t n)
{
    char *p = st_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *st_strdup(struct st_arena *a, const char *s)
{
    return st_strndup(a, s, strlen(s));
}

char *st_lower(struct st_arena *a, const char *s)
{
    char *p = st_strdup(a, s);
    for (char *c = p; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    return p;
}

void st_arena_free(struct st_arena *a)
{
    while (a->head) {
        struct st_arena_block *n = a->head->next;
        free(a->head);
        a->head = n;
    }
}

bool st_ieq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

const char *st_cident(struct st_arena *a, const char *prefix, const char *name)
{
    size_t n = strlen(prefix), m = strlen(name);
    char *out = st_alloc(a, n + 2 * m + 1), *o = out;
    memcpy(o, prefix, n);
    o += n;
    for (const char *c = name; *c; c++) {
        if (*c == '$')
            continue;
        if (*c == '.') {
            *o++ = '_';
            *o++ = '_';
        } else {
            *o++ = (char)tolower((unsigned char)*c);
        }
    }
    *o = 0;
    return out;
}
