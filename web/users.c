/* SPDX-License-Identifier: MIT */
/*
 * struct plc_web_users: plc-web's users file, one "NAME:ROLE:HASH" line per
 * user with a crypt(3) hash (yescrypt, "$y$..."), and the hashing itself.
 * `plc-web user add|del` edits it; plc-web reads it (web/auth.c). Written
 * whole under a temporary name and renamed in, so a reader never sees half.
 */
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plc-web.h"

struct user {
    char name[PLC_WEB_USER_MAX + 1];
    enum plc_web_role role;
    char *hash;
};

struct plc_web_users {
    struct user *users;
    size_t count, cap;
};

static const char *const role_names[] = {
    [PLC_WEB_ROLE_VIEWER] = "viewer",
    [PLC_WEB_ROLE_OPERATOR] = "operator",
    [PLC_WEB_ROLE_ENGINEER] = "engineer",
};

const char *plc_web_role_name(enum plc_web_role role)
{
    return role >= PLC_WEB_ROLE_VIEWER && role <= PLC_WEB_ROLE_ENGINEER ? role_names[role] : NULL;
}

enum plc_web_role plc_web_role_from_name(const char *name)
{
    for (int r = PLC_WEB_ROLE_VIEWER; r <= PLC_WEB_ROLE_ENGINEER; r++)
        if (strcmp(name, role_names[r]) == 0)
            return (enum plc_web_role)r;
    return PLC_WEB_ROLE_ERROR;
}

bool plc_web_user_name_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > PLC_WEB_USER_MAX || name[0] == '.' || name[0] == '-')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* A crypt(3) hash as the file holds it: '$' first, nothing of the file's syntax. */
static bool hash_valid(const char *hash)
{
    if (hash[0] != '$' || strlen(hash) > 512)
        return false;
    for (const char *p = hash; *p; p++)
        if (*p == ':' || *p <= ' ' || *p > '~')
            return false;
    return true;
}

static struct user *find(const struct plc_web_users *u, const char *name)
{
    for (size_t i = 0; i < u->count; i++)
        if (strcmp(u->users[i].name, name) == 0)
            return &u->users[i];
    return NULL;
}

struct plc_web_users *plc_web_users_new(void)
{
    return calloc(1, sizeof(struct plc_web_users));
}

void plc_web_users_free(struct plc_web_users *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->count; i++)
        free(u->users[i].hash);
    free(u->users);
    free(u);
}

int plc_web_users_set(struct plc_web_users *u, const char *name, enum plc_web_role role,
                      const char *hash)
{
    if (!plc_web_user_name_valid(name) || !plc_web_role_name(role) || !hash_valid(hash)) {
        errno = EINVAL;
        return -1;
    }
    char *copy = strdup(hash);
    if (!copy)
        return -1;
    struct user *e = find(u, name);
    if (!e) {
        if (u->count == u->cap) {
            size_t cap = u->cap ? 2 * u->cap : 8;
            struct user *n = realloc(u->users, cap * sizeof(*n));
            if (!n) {
                free(copy);
                return -1;
            }
            u->users = n;
            u->cap = cap;
        }
        e = &u->users[u->count++];
        snprintf(e->name, sizeof(e->name), "%s", name);
    } else {
        free(e->hash);
    }
    e->role = role;
    e->hash = copy;
    return 0;
}

int plc_web_users_del(struct plc_web_users *u, const char *name)
{
    struct user *e = find(u, name);
    if (!e) {
        errno = ENOENT;
        return -1;
    }
    free(e->hash);
    memmove(e, e + 1, (size_t)(u->users + u->count - (e + 1)) * sizeof(*e));
    u->count--;
    return 0;
}

size_t plc_web_users_count(const struct plc_web_users *u)
{
    return u->count;
}

const char *plc_web_users_find(const struct plc_web_users *u, const char *name,
                               enum plc_web_role *role)
{
    const struct user *e = find(u, name);
    if (!e)
        return NULL;
    if (role)
        *role = e->role;
    return e->hash;
}

/* One line (without its newline) of @p path; 0, or -1 with the diag at path:line. */
static int parse_line(struct plc_web_users *u, char *line, const char *path, unsigned no,
                      struct plc_diag *diag)
{
    char *p = line + strspn(line, " \t");
    if (*p == '\0' || *p == '#')
        return 0;
    char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    const char *why = NULL;
    if (!c2) {
        why = "not NAME:ROLE:HASH";
    } else {
        *c1 = *c2 = '\0';
        if (!plc_web_user_name_valid(line))
            plc_diag_set(diag, path, "user name '%s' is not 1 to %d letters, digits, '_', '.' or "
                                     "'-'", line, PLC_WEB_USER_MAX);
        else if (plc_web_role_from_name(c1 + 1) == PLC_WEB_ROLE_ERROR)
            plc_diag_set(diag, path, "user '%s': role '%s' is not viewer, operator or engineer",
                         line, c1 + 1);
        else if (!hash_valid(c2 + 1))
            plc_diag_set(diag, path, "user '%s': the password hash is not a crypt(3) hash "
                                     "(set it with plc-web user add)", line);
        else if (find(u, line))
            plc_diag_set(diag, path, "user '%s' is listed twice", line);
        else if (plc_web_users_set(u, line, plc_web_role_from_name(c1 + 1), c2 + 1) < 0)
            plc_diag_set(diag, path, "%s", strerror(errno));
        else
            return 0;
    }
    if (why)
        plc_diag_set(diag, path, "%s", why);
    if (diag)
        diag->line = no;
    errno = EINVAL;
    return -1;
}

struct plc_web_users *plc_web_users_load(const char *path, struct plc_diag *diag)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        int err = errno;
        plc_diag_set(diag, path, "cannot read the users file: %s", strerror(err));
        errno = err;
        return NULL;
    }
    struct plc_web_users *u = plc_web_users_new();
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned no = 0;
    while (u && (n = getline(&line, &cap, f)) >= 0) {
        no++;
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = '\0';
        if (parse_line(u, line, path, no, diag) < 0) {
            plc_web_users_free(u);
            u = NULL;
        }
    }
    int err = errno;
    free(line);
    fclose(f);
    if (!u)
        errno = err;
    return u;
}

/*
 * The group the new file gets: @p group for a new file, the old one's when it
 * replaces one. 0 done; 1 when @p group does not exist or cannot be given (the
 * file keeps the creator's group; @p diag says why); -1 error.
 */
static int give_group(int fd, const char *path, const struct stat *old, const char *group,
                      struct plc_diag *diag)
{
    if (old)
        return fchown(fd, (uid_t)-1, old->st_gid) < 0 && errno != EPERM ? -1 : 0;
    if (!group || !group[0])
        return 0;
    struct group *g = getgrnam(group);
    if (!g) {
        plc_diag_set(diag, path, "group '%s' does not exist: the file keeps its creator's group",
                     group);
        return 1;
    }
    if (fchown(fd, (uid_t)-1, g->gr_gid) < 0) {
        plc_diag_set(diag, path, "cannot give it to group '%s' (%s): it keeps its creator's group",
                     group, strerror(errno));
        return 1;
    }
    return 0;
}

int plc_web_users_save(const struct plc_web_users *u, const char *path, const char *group,
                       struct plc_diag *diag)
{
    char tmp[4096];
    struct stat old;
    bool had = stat(path, &old) == 0;
    plc_diag_clear(diag);
    if (snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= (int)sizeof(tmp))
        return plc_diag_fail(diag, path, ENAMETOOLONG, "path too long");
    int fd = mkstemp(tmp);
    if (fd < 0)
        return plc_diag_fail(diag, path, errno, "cannot write the users file: %s",
                             strerror(errno));
    /* Readable by plc-web's group only: the services' group for a new file. */
    int rc = fchmod(fd, 0640);
    int grouped = rc == 0 ? give_group(fd, path, had ? &old : NULL, group, diag) : -1;
    if (grouped < 0)
        rc = -1;
    FILE *f = rc == 0 ? fdopen(fd, "w") : NULL;
    if (f) {
        fprintf(f, "# plc-web users: NAME:ROLE:HASH, written by plc-web user add|del\n");
        for (size_t i = 0; i < u->count; i++)
            fprintf(f, "%s:%s:%s\n", u->users[i].name, role_names[u->users[i].role],
                    u->users[i].hash);
        rc = fflush(f) == 0 && fsync(fd) == 0 ? 0 : -1;
        int err = errno;
        if (fclose(f) != 0 && rc == 0)
            err = errno, rc = -1;
        errno = err;
    } else {
        int err = errno;
        close(fd);
        errno = err;
        rc = -1;
    }
    if (rc == 0 && rename(tmp, path) == 0)
        return grouped;
    int err = errno;
    unlink(tmp);
    return plc_diag_fail(diag, path, err, "cannot write the users file: %s", strerror(err));
}

char *plc_web_password_hash(const char *password, struct plc_diag *diag)
{
    char *setting = crypt_gensalt_ra("$y$", 0, NULL, 0);
    void *data = NULL;
    int size = 0;
    const char *h = setting ? crypt_ra(password, setting, &data, &size) : NULL;
    char *hash = h && h[0] == '$' ? strdup(h) : NULL;
    int err = errno ? errno : EINVAL;
    free(setting);
    free(data);
    if (!hash) {
        plc_diag_set(diag, NULL, "cannot hash the password with yescrypt: %s", strerror(err));
        errno = err;
    }
    return hash;
}

int plc_web_password_check(const char *password, const char *hash)
{
    void *data = NULL;
    int size = 0;
    const char *h = crypt_ra(password, hash, &data, &size);
    int rc = -1;
    if (h && h[0] == '$') {
        /* Constant time over the hash: no early exit tells how much matched. */
        size_t n = strlen(hash);
        unsigned char diff = strlen(h) != n;
        for (size_t i = 0; i < n && h[i]; i++)
            diff |= (unsigned char)(h[i] ^ hash[i]);
        rc = diff == 0;
    } else {
        errno = EINVAL;
    }
    free(data);
    return rc;
}
