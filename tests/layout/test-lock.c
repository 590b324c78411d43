/* SPDX-License-Identifier: MIT */
/*
 * The lock file: a layout that changed must have its version bumped, and the
 * message says what changed and what to run.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "plc-layout.h"

#define V1 "[layout]\nname = t\nversion = 1\n[region a]\nwriter = modbus\n"
#define V2 "[layout]\nname = t\nversion = 2\n[region a]\nwriter = modbus\n"
#define SETPOINT "[tag setpoint]\nregion = a\ntype = int16\nmodbus = holding_register:0\n"
#define MOVED "[tag setpoint]\nregion = a\ntype = int16\nmodbus = holding_register:1\n"

struct fixture {
    char dir[64];
    char layout[128];
    char lock[128];
    struct plc_diag diag;
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->dir, sizeof(f->dir), "/tmp/plc-lock-test-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->layout, sizeof(f->layout), "%s/t.ini", f->dir);
    snprintf(f->lock, sizeof(f->lock), "%s/t.lock", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Write @text as the layout file and load it. */
static struct plc_layout *layout(struct fixture *f, const char *text)
{
    FILE *out = fopen(f->layout, "w");
    assert_non_null(out);
    fputs(text, out);
    assert_int_equal(fclose(out), 0);
    struct plc_layout *l = plc_layout_load(f->layout, &f->diag);
    if (!l)
        fail_msg("%s:%u: %s", f->diag.file, f->diag.line, f->diag.msg);
    return l;
}

static void locked(struct fixture *f, const char *text)
{
    struct plc_layout *l = layout(f, text);
    assert_int_equal(plc_layout_write_lock(l, f->lock), 0);
    plc_layout_free(l);
}

static void assert_diag(const struct plc_diag *d, const char *want)
{
    char buf[1200];
    plc_diag_format(d, buf, sizeof(buf));
    if (strcmp(buf, want) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", buf, want);
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    size_t n = fread(buf, 1, sizeof(buf) - 1, in);
    fclose(in);
    buf[n] = '\0';
    return buf;
}

static void written_lock_records_name_version_and_hash(void **state)
{
    struct fixture *f = *state;
    struct plc_layout *l = layout(f, V1 SETPOINT);
    char want[512];
    assert_int_equal(plc_layout_write_lock(l, f->lock), 0);
    snprintf(want, sizeof(want),
             "# Written by 'plc-layout lock': the version and hash of the layout beside it.\n"
             "# The build refuses a layout whose hash changed while its version did not.\n"
             "name = t\nversion = 1\nhash = %016" PRIx64 "\n",
             plc_layout_get_hash(l));
    assert_string_equal(slurp(f->lock), want);
    assert_int_equal(plc_layout_check_lock(l, f->lock, false, &f->diag), 0);
    assert_int_equal(plc_layout_check_lock(l, f->lock, true, &f->diag), 0);
    plc_layout_free(l);
}

static void change_without_bump_names_both_hashes(void **state)
{
    struct fixture *f = *state;
    struct plc_layout *old = layout(f, V1 SETPOINT);
    assert_int_equal(plc_layout_write_lock(old, f->lock), 0);
    struct plc_layout *l = layout(f, V1 MOVED);
    char want[1200];

    for (int update = 0; update <= 1; update++) {
        errno = 0;
        assert_int_equal(plc_layout_check_lock(l, f->lock, update, &f->diag), -1);
        assert_int_equal(errno, EINVAL);
        snprintf(want, sizeof(want),
                 "%s: layout 't' changed (hash %016" PRIx64 ", lock has %016" PRIx64
                 ") but its version is still 1: bump [layout] version in %s, then run "
                 "'plc-layout lock %s'",
                 f->lock, plc_layout_get_hash(l), plc_layout_get_hash(old), f->layout, f->layout);
        assert_diag(&f->diag, want);
    }
    plc_layout_free(old);
    plc_layout_free(l);
}

static void bump_without_update_asks_for_plc_layout_lock(void **state)
{
    struct fixture *f = *state;
    locked(f, V1 SETPOINT);
    char before[4096], want[1200];
    snprintf(before, sizeof(before), "%s", slurp(f->lock));
    struct plc_layout *l = layout(f, V2 MOVED);
    errno = 0;
    assert_int_equal(plc_layout_check_lock(l, f->lock, false, &f->diag), -1);
    assert_int_equal(errno, EINVAL);
    snprintf(want, sizeof(want),
             "%s: layout version bumped from 1 to 2: run 'plc-layout lock %s' and commit %s",
             f->lock, f->layout, f->lock);
    assert_diag(&f->diag, want);
    assert_string_equal(slurp(f->lock), before); /* left alone */
    plc_layout_free(l);
}

static void bump_with_update_rewrites_the_lock(void **state)
{
    struct fixture *f = *state;
    locked(f, V1 SETPOINT);
    struct plc_layout *l = layout(f, V2 MOVED);
    char want[128];
    assert_int_equal(plc_layout_check_lock(l, f->lock, true, &f->diag), 0);
    snprintf(want, sizeof(want), "version = 2\nhash = %016" PRIx64 "\n", plc_layout_get_hash(l));
    assert_non_null(strstr(slurp(f->lock), want));
    /* and from now on it passes without updating */
    assert_int_equal(plc_layout_check_lock(l, f->lock, false, &f->diag), 0);
    plc_layout_free(l);
}

static void bump_alone_is_accepted_with_update(void **state)
{
    struct fixture *f = *state;
    locked(f, V1 SETPOINT);
    struct plc_layout *l = layout(f, V2 SETPOINT); /* same hash, higher version */
    assert_int_equal(plc_layout_check_lock(l, f->lock, true, &f->diag), 0);
    assert_int_equal(plc_layout_check_lock(l, f->lock, false, &f->diag), 0);
    plc_layout_free(l);
}

static void lowered_version_fails(void **state)
{
    struct fixture *f = *state;
    locked(f, V2 SETPOINT);
    struct plc_layout *l = layout(f, V1 SETPOINT);
    char want[512];
    for (int update = 0; update <= 1; update++) {
        errno = 0;
        assert_int_equal(plc_layout_check_lock(l, f->lock, update, &f->diag), -1);
        assert_int_equal(errno, EINVAL);
        snprintf(want, sizeof(want),
                 "%s: layout version 1 is older than the locked version 2: versions only go up",
                 f->lock);
        assert_diag(&f->diag, want);
    }
    plc_layout_free(l);
}

static void missing_lock_says_run_plc_layout_lock(void **state)
{
    struct fixture *f = *state;
    struct plc_layout *l = layout(f, V1 SETPOINT);
    char want[512];
    errno = 0;
    assert_int_equal(plc_layout_check_lock(l, f->lock, true, &f->diag), -1);
    assert_int_equal(errno, ENOENT);
    snprintf(want, sizeof(want),
             "%s: no lock file: run 'plc-layout lock %s' and commit %s with the layout", f->lock,
             f->layout, f->lock);
    assert_diag(&f->diag, want);
    assert_int_equal(access(f->lock, F_OK), -1); /* update does not create one */
    plc_layout_free(l);
}

static void garbled_lock_is_refused(void **state)
{
    struct fixture *f = *state;
    struct plc_layout *l = layout(f, V1 SETPOINT);
    char want[512];
    FILE *out = fopen(f->lock, "w");
    assert_non_null(out);
    fputs("name = t\nversion = one\nhash = 0\n", out);
    fclose(out);
    errno = 0;
    assert_int_equal(plc_layout_check_lock(l, f->lock, true, &f->diag), -1);
    assert_int_equal(errno, EINVAL);
    snprintf(want, sizeof(want),
             "%s: not a lock file (needs name, version and hash): run 'plc-layout lock %s'",
             f->lock, f->layout);
    assert_diag(&f->diag, want);

    out = fopen(f->lock, "w");
    assert_non_null(out);
    fputs("name = t\nversion = 1\nhash = 0\nsalt = 4\n", out);
    fclose(out);
    assert_int_equal(plc_layout_check_lock(l, f->lock, true, &f->diag), -1);
    snprintf(want, sizeof(want),
             "%s:4: not a lock file (needs name, version and hash): run 'plc-layout lock %s'",
             f->lock, f->layout);
    assert_diag(&f->diag, want);
    plc_layout_free(l);
}

static void update_that_cannot_write_says_why(void **state)
{
    struct fixture *f = *state;
    locked(f, V1 SETPOINT);
    struct plc_layout *l = layout(f, V2 MOVED);
    char tmp[160], want[512];
    /* the lock is written to LOCK.tmp first: make that impossible, even for root */
    snprintf(tmp, sizeof(tmp), "%s.tmp", f->lock);
    assert_int_equal(mkdir(tmp, 0700), 0);
    errno = 0;
    assert_int_equal(plc_layout_check_lock(l, f->lock, true, &f->diag), -1);
    assert_int_equal(errno, EISDIR);
    snprintf(want, sizeof(want), "%s: cannot write the lock file: Is a directory", f->lock);
    assert_diag(&f->diag, want);
    plc_layout_free(l);
}

static void demo_layout_matches_its_lock(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(PLC_SOURCE_DIR "/layout/demo.ini", &d);
    assert_non_null(l);
    if (plc_layout_check_lock(l, PLC_SOURCE_DIR "/layout/demo.lock", false, &d) < 0)
        fail_msg("%s: %s", d.file, d.msg);
    plc_layout_free(l);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(written_lock_records_name_version_and_hash, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(change_without_bump_names_both_hashes, setup, teardown),
        cmocka_unit_test_setup_teardown(bump_without_update_asks_for_plc_layout_lock, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(bump_with_update_rewrites_the_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(bump_alone_is_accepted_with_update, setup, teardown),
        cmocka_unit_test_setup_teardown(lowered_version_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_lock_says_run_plc_layout_lock, setup, teardown),
        cmocka_unit_test_setup_teardown(garbled_lock_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(update_that_cannot_write_says_why, setup, teardown),
        cmocka_unit_test(demo_layout_matches_its_lock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
