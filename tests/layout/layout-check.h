/* SPDX-License-Identifier: MIT */
/* What the layout tests share: load a layout that must load, or must fail with
 * one exact "t.ini:LINE: message". Include after <cmocka.h>. */
#ifndef PLC_TEST_LAYOUT_CHECK_H
#define PLC_TEST_LAYOUT_CHECK_H

#include <errno.h>
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

#endif
