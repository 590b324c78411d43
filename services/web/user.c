/* SPDX-License-Identifier: MIT */
/*
 * plc-web user add NAME --role ROLE [--users FILE], plc-web user del NAME
 * [--users FILE]: edit plc-web's users file (docs/web.md). The password comes
 * from standard input (one line), or twice from the terminal without echo;
 * only its yescrypt hash is kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "plc-web.h"
#include "user.h"

struct verb {
    const char *name;
    int (*run)(const char *users, const char *name, const char *role);
    const char *help;
};

/* One line of @p in into @p buf, its newline dropped; -1 at end of file. */
static int read_line(FILE *in, char *buf, size_t len)
{
    if (!fgets(buf, (int)len, in))
        return -1;
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

/* The password: prompted twice without echo on a terminal, else one line of stdin. */
static int read_password(const char *name, char *buf, size_t len)
{
    if (!isatty(STDIN_FILENO)) {
        if (read_line(stdin, buf, len) < 0) {
            fprintf(stderr, "plc-web: user add: no password on standard input\n");
            return -1;
        }
        return 0;
    }
    struct termios old, quiet;
    char again[256];
    tcgetattr(STDIN_FILENO, &old);
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    fprintf(stderr, "Password for %s: ", name);
    int rc = read_line(stdin, buf, len);
    fprintf(stderr, "\nAgain: ");
    if (rc == 0)
        rc = read_line(stdin, again, sizeof(again));
    fprintf(stderr, "\n");
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    if (rc == 0 && strcmp(buf, again) != 0) {
        fprintf(stderr, "plc-web: user add: the two passwords differ\n");
        rc = -1;
    }
    explicit_bzero(again, sizeof(again));
    return rc;
}

/* The users file, or a new empty table when there is none yet; NULL after saying why. */
static struct plc_web_users *load(const char *users)
{
    struct plc_diag diag;
    struct plc_web_users *u = plc_web_users_load(users, &diag);
    if (!u && errno == ENOENT)
        u = plc_web_users_new();
    else if (!u) {
        char msg[1200];
        plc_diag_format(&diag, msg, sizeof(msg));
        fprintf(stderr, "plc-web: %s\n", msg);
    }
    return u;
}

/*
 * The group plc-web runs as, which a new users file gets so that plc-web can
 * read it: the group the layout gives the regions (that of region 'outputs',
 * as plc-shm-init gives the forcing table), else the group the units run as
 * (PLC_GROUP, the build's, which writes their Group=).
 */
static void services_group(char *buf, size_t len)
{
    snprintf(buf, len, "%s", PLC_GROUP);
    const char *path = plc_layout_path(NULL);
    struct plc_layout *l = access(path, F_OK) == 0 ? plc_layout_load(path, NULL) : NULL;
    const struct plc_region_def *out = l ? plc_layout_find_region(l, "outputs") : NULL;
    if (out && out->group[0])
        snprintf(buf, len, "%s", out->group);
    plc_layout_free(l);
}

static int save(struct plc_web_users *u, const char *users)
{
    struct plc_diag diag;
    char group[PLC_NAME_MAX + 1];
    char msg[1200];
    services_group(group, sizeof(group));
    int rc = plc_web_users_save(u, users, group, &diag);
    if (rc == 0)
        return 0;
    plc_diag_format(&diag, msg, sizeof(msg));
    /* A development machine has no such group: the file is written all the same. */
    fprintf(stderr, "plc-web: %s%s\n", rc > 0 ? "note: " : "", msg);
    return rc > 0 ? 0 : -1;
}

static int user_add(const char *users, const char *name, const char *role_name)
{
    enum plc_web_role role = role_name ? plc_web_role_from_name(role_name) : PLC_WEB_ROLE_ERROR;
    if (role == PLC_WEB_ROLE_ERROR) {
        fprintf(stderr, "plc-web: user add: --role '%s' is not viewer, operator or engineer\n",
                role_name ? role_name : "");
        return 2;
    }
    char password[256];
    if (read_password(name, password, sizeof(password)) < 0)
        return 1;
    if (!password[0]) {
        fprintf(stderr, "plc-web: user add: the password is empty\n");
        return 1;
    }
    struct plc_diag diag;
    char *hash = plc_web_password_hash(password, &diag);
    explicit_bzero(password, sizeof(password));
    if (!hash) {
        fprintf(stderr, "plc-web: %s\n", diag.msg);
        return 1;
    }
    struct plc_web_users *u = load(users);
    bool had = u && plc_web_users_find(u, name, NULL);
    int rc = u && plc_web_users_set(u, name, role, hash) == 0 && save(u, users) == 0 ? 0 : 1;
    if (rc == 0)
        printf("plc-web: user '%s' (%s) %s in %s\n", name, role_name, had ? "replaced" : "added",
               users);
    free(hash);
    plc_web_users_free(u);
    return rc;
}

static int user_del(const char *users, const char *name, const char *role)
{
    (void)role;
    struct plc_web_users *u = load(users);
    int rc = 1;
    if (u && plc_web_users_del(u, name) < 0)
        fprintf(stderr, "plc-web: user del: no user '%s' in %s\n", name, users);
    else if (u && save(u, users) == 0) {
        printf("plc-web: user '%s' removed from %s\n", name, users);
        rc = 0;
    }
    plc_web_users_free(u);
    return rc;
}

static const struct verb verbs[] = {
    {"add", user_add, "add NAME --role viewer|operator|engineer  add a user or replace one"},
    {"del", user_del, "del NAME                                  remove a user"},
};

static int usage(FILE *out)
{
    fprintf(out, "usage: plc-web user VERB NAME [--role ROLE] [--users FILE]\n"
                 "Edit plc-web's users file (default %s). The password is read from\n"
                 "standard input, or twice from the terminal.\n\n",
            PLC_WEB_USERS_DEFAULT);
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        fprintf(out, "  plc-web user %s\n", verbs[i].help);
    return out == stdout ? 0 : 2;
}

int plc_web_user_main(int argc, char **argv)
{
    const char *users = PLC_WEB_USERS_DEFAULT, *role = NULL, *name = NULL;
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return usage(argc < 2 ? stderr : stdout);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--users") == 0 && i + 1 < argc)
            users = argv[++i];
        else if (strcmp(argv[i], "--role") == 0 && i + 1 < argc)
            role = argv[++i];
        else if (!name && argv[i][0] != '-')
            name = argv[i];
        else
            return usage(stderr);
    }
    if (!name)
        return usage(stderr);
    if (!plc_web_user_name_valid(name)) {
        fprintf(stderr,
                "plc-web: user name '%s' is not 1 to %d letters, digits, '_', '.' or '-'\n",
                name, PLC_WEB_USER_MAX);
        return 2;
    }
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(argv[1], verbs[i].name) == 0)
            return verbs[i].run(users, name, role);
    fprintf(stderr, "plc-web: user: unknown verb '%s' (add, del)\n", argv[1]);
    return 2;
}
