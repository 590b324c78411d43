/* SPDX-License-Identifier: MIT */
/* IEC 61131-3 located addresses ("%IX0.0", "%QW100", "%MD0") of tags. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Read a decimal number of at most 9 digits at *s. */
static bool take_number(const char **s, unsigned long *out)
{
    const char *p = *s;
    unsigned long v = 0;
    int n = 0;
    while (isdigit((unsigned char)*p) && n < 9) {
        v = v * 10 + (unsigned long)(*p++ - '0');
        n++;
    }
    if (n == 0 || isdigit((unsigned char)*p))
        return false;
    *s = p;
    *out = v;
    return true;
}

int layout_iec_address_canonical(const char *s, char *out, size_t size)
{
    if (!s || s[0] != '%')
        return -1;
    char area = (char)toupper((unsigned char)s[1]);
    if (area != 'I' && area != 'Q' && area != 'M')
        return -1;
    const char *p = s + 2;
    char width = (char)toupper((unsigned char)*p);
    if (width == 'X' || width == 'B' || width == 'W' || width == 'D' || width == 'L')
        p++;
    else if (isdigit((unsigned char)*p))
        width = 'X'; /* "%I0.0": a bit with no size letter */
    else
        return -1;
    unsigned long a, b = 0;
    if (!take_number(&p, &a))
        return -1;
    if (width == 'X') {
        if (*p++ != '.' || !take_number(&p, &b) || b > 7)
            return -1;
    }
    if (*p != '\0')
        return -1;
    int n = width == 'X' ? snprintf(out, size, "%%%cX%lu.%lu", area, a, b)
                         : snprintf(out, size, "%%%c%c%lu", area, width, a);
    return n > 0 && (size_t)n < size ? 0 : -1;
}

const struct plc_tag_def *plc_layout_find_iec_address(const struct plc_layout *l,
                                                      const char *address)
{
    char want[sizeof(((struct plc_tag_def *)0)->iec_address)];
    if (layout_iec_address_canonical(address, want, sizeof(want)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    for (size_t i = 0; i < plc_layout_tag_count(l); i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(l, i);
        if (strcmp(t->iec_address, want) == 0)
            return t;
    }
    errno = ENOENT;
    return NULL;
}
