/* SPDX-License-Identifier: MIT */
/*
 * Parsers of the values every section loader reads: names that become C
 * identifiers, numbers, yes/no, durations, and lookups in tables of names.
 * Apart from layout.c since all the section files (layout.c, tag.c, logic.c,
 * modbus-section.c) use them.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Names become C identifiers and macro names in the generated header. */
const char *layout_name_problem(const char *s, size_t max)
{
    static const char *const keywords[] = {
        "auto", "break", "case", "char", "const", "continue", "default", "do", "double",
        "else", "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long",
        "register", "restrict", "return", "short", "signed", "sizeof", "static", "struct",
        "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
        /* C23, and macros of <stdbool.h> and <assert.h> before it */
        "alignas", "alignof", "bool", "constexpr", "false", "nullptr", "static_assert",
        "thread_local", "true", "typeof", "typeof_unqual", NULL};
    if (!*s)
        return "is empty";
    if (strlen(s) > max)
        return "is too long";
    if (!islower((unsigned char)s[0]))
        return "must start with a lowercase letter";
    for (const char *c = s; *c; c++)
        if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) && *c != '_')
            return "may hold only lowercase letters, digits and '_'";
    for (size_t i = 0; keywords[i]; i++)
        if (strcmp(s, keywords[i]) == 0)
            return "is a C keyword";
    return NULL;
}

/* Decimal, or hex with 0x; never octal, so "0100" is one hundred. */
bool layout_parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    unsigned long long v = strtoull(s, &end, hex ? 16 : 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

bool layout_parse_yesno(const char *s, bool *out)
{
    double v;
    if (plc_type_parse_value(PLC_TYPE_BOOL, s, &v) < 0)
        return false;
    *out = v != 0;
    return true;
}

bool layout_parse_duration(struct parse *p, const struct entry *e, const char *what,
                           uint32_t min_us, uint32_t max_us, uint32_t *out)
{
    struct plc_diag d;
    if (plc_duration_parse(e->value, min_us, max_us, what, out, &d) == 0)
        return true;
    layout_fail(p, e->line, "%s", d.msg);
    return false;
}

/* Index of @s in a table indexed from 1, or 0. */
int layout_lookup(const char *const *names, int count, const char *s)
{
    for (int i = 1; i < count; i++)
        if (names[i] && strcmp(names[i], s) == 0)
            return i;
    return 0;
}
