/* SPDX-License-Identifier: MIT */
/*
 * plc-web's logins below HTTP: the users file (what it accepts, and the
 * file:line of what it refuses), writing it back, yescrypt hashing and its
 * check, the session table's expiry and bound, and the login rate limiter.
 * Times are passed in, so expiry is tested without waiting for it.
 */
#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "plc-web.h"

#define S 1000000000LL

struct dir {
    char path[64], file[96];
};

static int setup(void **state)
{
    struct dir *d = calloc(1, sizeof(*d));
    assert_non_null(d);
    strcpy(d->path, "/tmp/test-web-auth-XXXXXX");
    assert_non_null(mkdtemp(d->path));
    snprintf(d->file, sizeof(d->file), "%s/web-users", d->path);
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    struct dir *d = *state;
    unlink(d->file);
    rmdir(d->path);
    free(d);
    return 0;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Load @p text as a users file: NULL expected, with "FILE:LINE: MSG" in the diag. */
static void refused(struct dir *d, const char *text, unsigned line, const char *msg)
{
    struct plc_diag diag;
    write_file(d->file, text);
    errno = 0;
    assert_null(plc_web_users_load(d->file, &diag));
    assert_int_equal(errno, EINVAL);
    assert_string_equal(diag.file, d->file);
    assert_int_equal(diag.line, line);
    assert_string_equal(diag.msg, msg);
}

static void users_file_lines_and_comments_load(void **state)
{
    struct dir *d = *state;
    struct plc_diag diag;
    enum plc_web_role role;
    write_file(d->file, "# who may log in\n\nalice:operator:$y$j9T$abc\n  # indented\n"
                        "eve:engineer:$y$j9T$def\nvic:viewer:$y$x\n");
    struct plc_web_users *u = plc_web_users_load(d->file, &diag);
    assert_non_null(u);
    assert_int_equal(plc_web_users_count(u), 3);
    assert_string_equal(plc_web_users_find(u, "eve", &role), "$y$j9T$def");
    assert_int_equal(role, PLC_WEB_ROLE_ENGINEER);
    assert_null(plc_web_users_find(u, "mallory", &role));
    plc_web_users_free(u);
}

static void users_file_errors_name_file_and_line(void **state)
{
    struct dir *d = *state;
    refused(d, "# x\nalice operator $y$abc\n", 2, "not NAME:ROLE:HASH");
    refused(d, "alice:operator:$y$a\nbob:admin:$y$b\n", 2,
            "user 'bob': role 'admin' is not viewer, operator or engineer");
    refused(d, "al ice:viewer:$y$a\n", 1,
            "user name 'al ice' is not 1 to 31 letters, digits, '_', '.' or '-'");
    refused(d, "alice:viewer:plaintext\n", 1,
            "user 'alice': the password hash is not a crypt(3) hash (set it with plc-web user "
            "add)");
    refused(d, "alice:viewer:$y$a\n\nalice:engineer:$y$b\n", 3, "user 'alice' is listed twice");
}

static void missing_users_file_is_enoent_naming_it(void **state)
{
    struct dir *d = *state;
    struct plc_diag diag;
    errno = 0;
    assert_null(plc_web_users_load(d->file, &diag));
    assert_int_equal(errno, ENOENT);
    assert_string_equal(diag.file, d->file);
    assert_int_equal(diag.line, 0);
}

static void users_saved_mode_0640_and_read_back(void **state)
{
    struct dir *d = *state;
    struct plc_diag diag;
    enum plc_web_role role;
    struct plc_web_users *u = plc_web_users_new();
    assert_int_equal(plc_web_users_set(u, "alice", PLC_WEB_ROLE_OPERATOR, "$y$a"), 0);
    assert_int_equal(plc_web_users_set(u, "bob", PLC_WEB_ROLE_VIEWER, "$y$b"), 0);
    assert_int_equal(plc_web_users_set(u, "alice", PLC_WEB_ROLE_ENGINEER, "$y$c"), 0); /* replace */
    assert_int_equal(plc_web_users_set(u, "x:y", PLC_WEB_ROLE_VIEWER, "$y$b"), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(plc_web_users_del(u, "bob"), 0);
    assert_int_equal(plc_web_users_del(u, "bob"), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(plc_web_users_save(u, d->file, NULL, &diag), 0);
    plc_web_users_free(u);

    struct stat st;
    assert_int_equal(stat(d->file, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    u = plc_web_users_load(d->file, &diag);
    assert_non_null(u);
    assert_int_equal(plc_web_users_count(u), 1);
    assert_string_equal(plc_web_users_find(u, "alice", &role), "$y$c");
    assert_int_equal(role, PLC_WEB_ROLE_ENGINEER);
    plc_web_users_free(u);
}

/* Ours, and not the one our files get anyway when we have another: a change shows. */
static gid_t our_other_group(void)
{
    gid_t groups[64];
    int n = getgroups(64, groups);
    for (int i = 0; i < n; i++)
        if (groups[i] != getegid() && getgrgid(groups[i]))
            return groups[i];
    return getegid();
}

static void new_users_file_gets_the_services_group_a_replaced_one_keeps_its(void **state)
{
    struct dir *d = *state;
    struct plc_diag diag;
    struct stat st;
    gid_t gid = our_other_group();
    struct group *g = getgrgid(gid);
    assert_non_null(g);
    char name[64];
    snprintf(name, sizeof(name), "%s", g->gr_name);
    struct plc_web_users *u = plc_web_users_new();
    assert_int_equal(plc_web_users_set(u, "alice", PLC_WEB_ROLE_OPERATOR, "$y$a"), 0);

    /* New: the group named, so that plc-web (a member) can read it. */
    assert_int_equal(plc_web_users_save(u, d->file, name, &diag), 0);
    assert_int_equal(stat(d->file, &st), 0);
    assert_int_equal(st.st_gid, gid);
    assert_int_equal(st.st_mode & 0777, 0640);
    /* Replaced: its group is kept, whatever group is asked for. */
    assert_int_equal(plc_web_users_save(u, d->file, "plc-no-such-group", &diag), 0);
    assert_int_equal(stat(d->file, &st), 0);
    assert_int_equal(st.st_gid, gid);

    /* New, the group missing (a development machine): written, with a note. */
    unlink(d->file);
    assert_int_equal(plc_web_users_save(u, d->file, "plc-no-such-group", &diag), 1);
    assert_non_null(strstr(diag.msg, "group 'plc-no-such-group' does not exist"));
    assert_string_equal(diag.file, d->file);
    assert_int_equal(stat(d->file, &st), 0);
    assert_int_equal(st.st_gid, getegid());
    plc_web_users_free(u);
    u = plc_web_users_load(d->file, &diag);
    assert_non_null(u);
    assert_non_null(plc_web_users_find(u, "alice", NULL));
    plc_web_users_free(u);
}

static void yescrypt_hash_checks_its_password_only(void **state)
{
    (void)state;
    struct plc_diag diag;
    char *a = plc_web_password_hash("correct horse", &diag);
    char *b = plc_web_password_hash("correct horse", &diag);
    assert_non_null(a);
    assert_non_null(b);
    assert_memory_equal(a, "$y$", 3);
    assert_string_not_equal(a, b); /* a fresh salt each time */
    assert_int_equal(plc_web_password_check("correct horse", a), 1);
    assert_int_equal(plc_web_password_check("correct horse", b), 1);
    assert_int_equal(plc_web_password_check("correct horsE", a), 0);
    assert_int_equal(plc_web_password_check("", a), 0);
    assert_int_equal(plc_web_password_check("x", "$nope$"), -1);
    free(a);
    free(b);
}

static void roles_by_name(void **state)
{
    (void)state;
    assert_int_equal(plc_web_role_from_name("operator"), PLC_WEB_ROLE_OPERATOR);
    assert_int_equal(plc_web_role_from_name("root"), PLC_WEB_ROLE_ERROR);
    assert_string_equal(plc_web_role_name(PLC_WEB_ROLE_ENGINEER), "engineer");
    assert_null(plc_web_role_name(PLC_WEB_ROLE_ERROR));
    assert_true(PLC_WEB_ROLE_VIEWER < PLC_WEB_ROLE_OPERATOR &&
                PLC_WEB_ROLE_OPERATOR < PLC_WEB_ROLE_ENGINEER);
}

static void session_expires_after_idle_time_not_while_used(void **state)
{
    (void)state;
    struct web_sessions *s = web_sessions_new(4, 30 * 60 * S);
    struct web_session a, got;
    assert_int_equal(web_sessions_create(s, "alice", PLC_WEB_ROLE_OPERATOR, 100 * S, &a), 0);
    assert_int_equal(strlen(a.token), 64);
    assert_int_equal(strlen(a.csrf), 64);
    assert_string_not_equal(a.token, a.csrf);
    /* Used every 20 minutes, it lives on; 30 idle minutes end it. */
    assert_int_equal(web_sessions_find(s, a.token, 100 * S + 20 * 60 * S, &got), 1);
    assert_string_equal(got.user, "alice");
    assert_string_equal(got.csrf, a.csrf);
    assert_int_equal(web_sessions_find(s, a.token, 100 * S + 40 * 60 * S, &got), 1);
    assert_int_equal(web_sessions_find(s, a.token, 100 * S + 70 * 60 * S, &got), 0);
    assert_int_equal(web_sessions_find(s, a.token, 100 * S + 71 * 60 * S, &got), 0);
    web_sessions_free(s);
}

static void session_end_and_unknown_token(void **state)
{
    (void)state;
    struct web_sessions *s = web_sessions_new(4, 60 * S);
    struct web_session a, got;
    web_sessions_create(s, "alice", PLC_WEB_ROLE_VIEWER, S, &a);
    assert_int_equal(web_sessions_find(s, "", S, &got), 0);
    assert_int_equal(web_sessions_find(s, a.csrf, S, &got), 0); /* the CSRF token is no cookie */
    assert_int_equal(web_sessions_end(s, a.token), 1);
    assert_int_equal(web_sessions_find(s, a.token, S, &got), 0);
    assert_int_equal(web_sessions_end(s, a.token), 0);
    web_sessions_free(s);
}

static void full_session_table_drops_least_recently_used(void **state)
{
    (void)state;
    struct web_sessions *s = web_sessions_new(2, 3600 * S);
    struct web_session a, b, c, got;
    web_sessions_create(s, "a", PLC_WEB_ROLE_VIEWER, 1 * S, &a);
    web_sessions_create(s, "b", PLC_WEB_ROLE_VIEWER, 2 * S, &b);
    assert_int_equal(web_sessions_find(s, a.token, 3 * S, &got), 1); /* a used after b */
    web_sessions_create(s, "c", PLC_WEB_ROLE_VIEWER, 4 * S, &c);
    assert_int_equal(web_sessions_find(s, a.token, 5 * S, &got), 1);
    assert_int_equal(web_sessions_find(s, b.token, 5 * S, &got), 0);
    assert_int_equal(web_sessions_find(s, c.token, 5 * S, &got), 1);
    web_sessions_free(s);
}

static void limiter_blocks_after_max_failures_until_window_ends(void **state)
{
    (void)state;
    struct web_limiter *l = web_limiter_new(8, 5, 60 * S);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(web_limiter_check(l, "user alice", 10 * S + i * S), 0);
        web_limiter_fail(l, "user alice", 10 * S + i * S);
    }
    assert_int_equal(web_limiter_check(l, "user alice", 20 * S), 50); /* window from 10 s */
    assert_int_equal(web_limiter_check(l, "user bob", 20 * S), 0);    /* others go on */
    assert_int_equal(web_limiter_check(l, "user alice", 69 * S + S / 2), 1);
    assert_int_equal(web_limiter_check(l, "user alice", 70 * S), 0); /* a minute passed */
    web_limiter_free(l);
}

static void limiter_reset_forgets_failures(void **state)
{
    (void)state;
    struct web_limiter *l = web_limiter_new(8, 2, 60 * S);
    web_limiter_fail(l, "address 10.0.0.1", S);
    web_limiter_reset(l, "address 10.0.0.1");
    web_limiter_fail(l, "address 10.0.0.1", 2 * S);
    assert_int_equal(web_limiter_check(l, "address 10.0.0.1", 3 * S), 0);
    web_limiter_fail(l, "address 10.0.0.1", 3 * S);
    assert_int_not_equal(web_limiter_check(l, "address 10.0.0.1", 3 * S), 0);
    web_limiter_free(l);
}

static void tokens_compare_whole(void **state)
{
    (void)state;
    assert_true(web_token_equal("abcd", "abcd"));
    assert_false(web_token_equal("abcd", "abce"));
    assert_false(web_token_equal("abc", "abcd"));
    assert_false(web_token_equal("", "abcd"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(users_file_lines_and_comments_load, setup, teardown),
        cmocka_unit_test_setup_teardown(users_file_errors_name_file_and_line, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_users_file_is_enoent_naming_it, setup, teardown),
        cmocka_unit_test_setup_teardown(users_saved_mode_0640_and_read_back, setup, teardown),
        cmocka_unit_test_setup_teardown(
            new_users_file_gets_the_services_group_a_replaced_one_keeps_its, setup, teardown),
        cmocka_unit_test(yescrypt_hash_checks_its_password_only),
        cmocka_unit_test(roles_by_name),
        cmocka_unit_test(session_expires_after_idle_time_not_while_used),
        cmocka_unit_test(session_end_and_unknown_token),
        cmocka_unit_test(full_session_table_drops_least_recently_used),
        cmocka_unit_test(limiter_blocks_after_max_failures_until_window_ends),
        cmocka_unit_test(limiter_reset_forgets_failures),
        cmocka_unit_test(tokens_compare_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
