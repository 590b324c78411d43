/* SPDX-License-Identifier: MIT */
/*
 * A case that cannot run on this machine (no strace, no right to mount) is
 * skipped here and fails under CI=true, since CI provides everything a test
 * needs; one line says what was missing either way. Whole tests do the same
 * with exit status 77 (tests/ci-skip.sh). Include after <cmocka.h>:
 *
 *     if (!have_strace())
 *         plc_test_skip("strace cannot trace here (not installed, or ptrace not permitted)");
 */
#ifndef PLC_TEST_CI_SKIP_H
#define PLC_TEST_CI_SKIP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether this is a CI run: CI=true in the environment. */
static inline bool plc_test_in_ci(void)
{
    const char *ci = getenv("CI");
    return ci && strcmp(ci, "true") == 0;
}

static inline void plc_test_skip_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void plc_test_skip_at(const char *file, int line, const char *fmt, ...)
{
    char why[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (plc_test_in_ci()) {
        print_error("FAIL (CI=true): cannot run here: %s\n", why);
        _fail(file, line);
    }
    print_message("SKIP: %s\n", why);
    _skip(file, line);
}

/* Skip the running case, saying why (printf-style); under CI=true, fail it. */
#define plc_test_skip(...) plc_test_skip_at(__FILE__, __LINE__, __VA_ARGS__)

#endif
