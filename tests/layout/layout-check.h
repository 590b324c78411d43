/* SPDX-License-Identifier: MIT */
/* What the layout tests share: load a layout that must load, or must fail with
 * one exact "t.ini:LINE: message"; the hash and canonical text of one that
 * loads. Include after <cmocka.h>. */
#ifndef PLC_TEST_LAYOUT_CHECK_H
#define PLC_TEST_LAYOUT_CHECK_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "plc-layout.h"

static inline struct plc_layout *load_ok(const char *text)
{
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load_string(text, "t.ini", &d);
    if (!l)
        fail_msg("load: %s:%u: %s", d.file, d.line, d.msg);
    return l;
}

static inline void assert_load_fails(const char *text, const char *want)
{
    struct plc_diag d;
    char buf[1200];
    errno = 0;
    assert_null(plc_layout_load_string(text, "t.ini", &d));
    assert_int_equal(errno, EINVAL);
    plc_diag_format(&d, buf, sizeof(buf));
    if (strcmp(buf, want) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", buf, want);
}

static inline uint64_t hash_of_layout(const char *text)
{
    struct plc_layout *l = load_ok(text);
    uint64_t h = plc_layout_get_hash(l);
    plc_layout_free(l);
    return h;
}

/* The canonical text (plc_layout_write_canonical()) of a layout that must
 * load; free() it. */
static inline char *canonical_of(const char *text)
{
    struct plc_layout *l = load_ok(text);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(plc_layout_write_canonical(l, f), 0);
    fclose(f);
    plc_layout_free(l);
    return buf;
}

#endif
