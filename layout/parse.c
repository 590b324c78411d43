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
    p->fail_line = line;
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

/* Sections that appear once and take no name. */
static const struct {
    const char *name;
    enum section_kind kind;
} singletons[] = {
    {"layout", SEC_LAYOUT},
    {"logic", SEC_LOGIC},
    {"retain", SEC_RETAIN},
    {"modbus", SEC_MODBUS},
    {"mqtt", SEC_MQTT},
};

/* The "what" of a section for messages, set as soon as its header is read. */
static void classify(struct parse *p, struct section *s)
{
    char kind[16] = "", name[sizeof(s->raw)] = "", extra[2] = "";
    int n = sscanf(s->raw, "%15s %95s %1s", kind, name, extra);
    for (size_t i = 0; i < sizeof(singletons) / sizeof(singletons[0]); i++) {
        if (strcmp(s->raw, singletons[i].name) == 0) {
            s->kind = singletons[i].kind;
            snprintf(s->what, sizeof(s->what), "[%s]", singletons[i].name);
            return;
        }
    }
    if (n == 2 && strcmp(kind, "region") == 0)
        s->kind = SEC_REGION;
    else if (n == 2 && strcmp(kind, "tag") == 0)
        s->kind = SEC_TAG;
    else {
        char expected[128] = "";
        size_t len = 0;
        for (size_t i = 0; i < sizeof(singletons) / sizeof(singletons[0]); i++)
            len += (size_t)snprintf(expected + len, sizeof(expected) - len, "[%s], ",
                                    singletons[i].name);
        layout_fail(p, s->line,
                    "unknown section '[%s]' (expected %s[region NAME] or [tag NAME])", s->raw,
                    expected);
        return;
    }
    snprintf(s->name, sizeof(s->name), "%s", name);
    snprintf(s->what, sizeof(s->what), "%s '%s'", kind, name);
}

static void add_section(struct parse *p, char *header)
{
    /* One space between words, so "[tag  x]" is the same section as "[tag x]". */
    char raw[sizeof(p->sec->raw)];
    size_t n = 0;
    for (const char *c = trim(header); *c && n + 1 < sizeof(raw); c++) {
        bool blank = *c == ' ' || *c == '\t';
        if (!blank)
            raw[n++] = *c;
        else if (n && raw[n - 1] != ' ')
            raw[n++] = ' ';
    }
    raw[n] = '\0';
    /* A hash first: a layout of 10,000 tags would spend seconds in strcmp. */
    uint64_t hash = 0xcbf29ce484222325ull;
    for (const char *c = raw; *c; c++)
        hash = (hash ^ (unsigned char)*c) * 0x100000001b3ull;
    for (size_t i = 0; i < p->nsec; i++) {
        if (p->sec[i].raw_hash == hash && strcmp(p->sec[i].raw, raw) == 0) {
            layout_fail(p, p->lineno, "duplicate section '[%s]' (first at line %u)", raw,
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
    snprintf(s->raw, sizeof(s->raw), "%s", raw);
    s->raw_hash = hash;
    s->line = p->lineno;
    classify(p, s);
}

/* Next raw line from the file or the string; a malloc'd copy, or NULL at the end. */
static char *next_line(struct parse *p)
{
    if (p->f) {
        char *line = NULL;
        size_t cap = 0;
        if (getline(&line, &cap, p->f) < 0) {
            int err = errno;
            free(line);
            if (ferror(p->f)) {
                /* A directory opens but does not read: say so, not "no [layout]". */
                layout_fail(p, 0, "cannot read layout: %s", strerror(err));
                p->err = err;
            }
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
    if (p->lineno == 1 && strncmp(s, "\xEF\xBB\xBF", 3) == 0) /* UTF-8 byte order mark */
        s += 3;
    char *indent = s;
    while (*s == ' ' || *s == '\t')
        s++;
    if (s != indent && *s && *s != ';' && *s != '#') {
        layout_fail(p, p->lineno, "indented line: continuation lines are not supported");
        *s = '\0';
    }
    if (*s == '[') {
        char *end = strchr(s, ']');
        if (end) {
            *end = '\0';
            add_section(p, s + 1);
            char *rest = end + 1;
            while (*rest == ' ' || *rest == '\t')
                rest++;
            if (*rest && *rest != ';' && *rest != '#')
                layout_fail(p, p->lineno, "text '%s' after the section header", rest);
            /* Ours is recorded; inih, whose name we never use, gets one it cannot
             * misread (it refuses "[region a ]"). */
            s = "[section]";
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
            layout_fail(p, p->lineno, "%s: duplicate key '%s' (first at line %u)", s->what,
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

int layout_parse(struct parse *p)
{
    int r = ini_parse_stream(reader, p, handler, p);
    if (p->oom) {
        errno = ENOMEM;
        return -1;
    }
    /* inih tells of its syntax error only now: it wins over a later line's error. */
    if (r > 0 && (!p->failed || (p->fail_line && (unsigned)r < p->fail_line))) {
        p->failed = false;
        layout_fail(p, (unsigned)r, "expected 'key = value' or '[section]'");
    }
    if (p->failed) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

struct entry *layout_take(struct section *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->e[i].key, key) == 0)
            return &s->e[i];
    }
    return NULL;
}

void layout_check_keys(struct parse *p, struct section *s, const char *const *known)
{
    for (size_t i = 0; i < s->n; i++) {
        size_t k = 0;
        while (known[k] && strcmp(known[k], s->e[i].key) != 0)
            k++;
        if (!known[k]) {
            layout_fail(p, s->e[i].line, "%s: unknown key '%s'", s->what, s->e[i].key);
            return;
        }
    }
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
