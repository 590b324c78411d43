/* SPDX-License-Identifier: MIT */
/*
 * Reading a layout file into sections of key/value entries, each with its line.
 *
 * inih splits lines into keys and values and strips comments; our reader in
 * front of it numbers the lines (Debian's inih is built without
 * INI_HANDLER_LINENO), notices section headers (so an empty section is still
 * seen) and refuses what inih would take silently: over-long lines, which it
 * splits, and indented lines, which it glues onto the previous value.
 */
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

void layout_fail(struct parse *p, unsigned line, const char *fmt, ...)
{
    if (p->failed)
        return;
    p->failed = true;
    if (!p->diag)
        return;
    snprintf(p->diag->file, sizeof(p->diag->file), "%s", p->file);
    p->diag->line = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->diag->msg, sizeof(p->diag->msg), fmt, ap);
    va_end(ap);
}

static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *r = realloc(arr, ncap * elem);
    if (r) {
        memset((char *)r + *cap * elem, 0, (ncap - *cap) * elem);
        *cap = ncap;
    }
    return r;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    char *e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
        *--e = '\0';
    return s;
}

static void add_section(struct parse *p, char *header)
{
    char *name = trim(header);
    for (size_t i = 0; i < p->nsec; i++) {
        if (strcmp(p->sec[i].raw, name) == 0) {
            layout_fail(p, p->lineno, "duplicate section '[%s]' (first at line %u)", name,
                        p->sec[i].line);
            return;
        }
    }
    struct section *s = grow(p->sec, &p->sec_cap, p->nsec, sizeof(*s));
    if (!s) {
        p->oom = true;
        return;
    }
    p->sec = s;
    s = &p->sec[p->nsec++];
    snprintf(s->raw, sizeof(s->raw), "%s", name);
    s->line = p->lineno;
}

/* Next raw line from the file or the string; a malloc'd copy, or NULL at the end. */
static char *next_line(struct parse *p)
{
    if (p->f) {
        char *line = NULL;
        size_t cap = 0;
        if (getline(&line, &cap, p->f) < 0) {
            free(line);
            return NULL;
        }
        return line;
    }
    if (!p->text[p->pos])
        return NULL;
    const char *start = p->text + p->pos;
    const char *nl = strchr(start, '\n');
    size_t n = nl ? (size_t)(nl - start) + 1 : strlen(start);
    p->pos += n;
    return strndup(start, n);
}

static char *reader(char *buf, int size, void *stream)
{
    struct parse *p = stream;
    char *line = next_line(p);
    if (!line)
        return NULL;
    p->lineno++;

    size_t len = strcspn(line, "\r\n");
    line[len] = '\0';
    /* inih needs room for "\n\0"; what does not fit it would cut into two lines. */
    if (len + 2 >= (size_t)size) {
        layout_fail(p, p->lineno, "line is longer than %d characters", size - 3);
        line[0] = '\0';
    }
    char *s = line;
    while (*s == ' ' || *s == '\t')
        s++;
    if (s != line && *s && *s != ';' && *s != '#') {
        layout_fail(p, p->lineno, "indented line: continuation lines are not supported");
        *s = '\0';
    }
    if (*s == '[') {
        char *end = strchr(s, ']');
        if (end) {
            *end = '\0';
            add_section(p, s + 1);
            *end = ']';
        }
    }
    snprintf(buf, (size_t)size, "%s\n", s);
    free(line);
    return buf;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    struct parse *p = user;
    if (p->nsec == 0) {
        layout_fail(p, p->lineno, "key '%s' is outside any section", name);
        return 1;
    }
    struct section *s = &p->sec[p->nsec - 1];
    (void)section; /* the same header our reader saw, already recorded */
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->e[i].key, name) == 0) {
            /* s->what is set by classify(), after parsing: name the section as written */
            layout_fail(p, p->lineno, "[%s]: duplicate key '%s' (first at line %u)", s->raw,
                        name, s->e[i].line);
            return 1;
        }
    }
    struct entry *e = grow(s->e, &s->cap, s->n, sizeof(*e));
    if (!e) {
        p->oom = true;
        return 0;
    }
    s->e = e;
    e = &s->e[s->n];
    e->key = strdup(name);
    e->value = strdup(value);
    e->line = p->lineno;
    if (!e->key || !e->value) {
        free(e->key);
        free(e->value);
        p->oom = true;
        return 0;
    }
    s->n++;
    return 1;
}

/* The "what" of a section for messages, set once its kind is known. */
static void classify(struct parse *p, struct section *s)
{
    char kind[16] = "", name[sizeof(s->raw)] = "";
    int n = sscanf(s->raw, "%15s %95s", kind, name);
    if (strcmp(s->raw, "layout") == 0) {
        s->kind = SEC_LAYOUT;
        snprintf(s->what, sizeof(s->what), "[layout]");
        return;
    }
    if (strcmp(s->raw, "modbus") == 0) {
        s->kind = SEC_MODBUS;
        snprintf(s->what, sizeof(s->what), "[modbus]");
        return;
    }
    if (n == 2 && strcmp(kind, "region") == 0)
        s->kind = SEC_REGION;
    else if (n == 2 && strcmp(kind, "tag") == 0)
        s->kind = SEC_TAG;
    else {
        layout_fail(p, s->line,
                    "unknown section '[%s]' (expected [layout], [modbus], [region NAME] or "
                    "[tag NAME])",
                    s->raw);
        return;
    }
    snprintf(s->name, sizeof(s->name), "%s", name);
    snprintf(s->what, sizeof(s->what), "%s '%s'", kind, name);
}

int layout_parse(struct parse *p)
{
    int r = ini_parse_stream(reader, p, handler, p);
    if (p->oom) {
        errno = ENOMEM;
        return -1;
    }
    if (r > 0)
        layout_fail(p, (unsigned)r, "expected 'key = value' or '[section]'");
    for (size_t i = 0; i < p->nsec && !p->failed; i++)
        classify(p, &p->sec[i]);
    if (p->failed) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

struct entry *layout_take(struct section *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->e[i].key, key) == 0) {
            s->e[i].used = true;
            return &s->e[i];
        }
    }
    return NULL;
}

void layout_check_unused(struct parse *p, struct section *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (!s->e[i].used)
            layout_fail(p, s->e[i].line, "%s: unknown key '%s'", s->what, s->e[i].key);
}

void layout_parse_free(struct parse *p)
{
    for (size_t i = 0; i < p->nsec; i++) {
        for (size_t j = 0; j < p->sec[i].n; j++) {
            free(p->sec[i].e[j].key);
            free(p->sec[i].e[j].value);
        }
        free(p->sec[i].e);
    }
    free(p->sec);
}
