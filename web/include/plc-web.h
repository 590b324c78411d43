/* SPDX-License-Identifier: MIT */
/*
 * plc-web: the process image over HTTP, read only (docs/web.md). One handle
 * runs an HTTP server (libmicrohttpd, a thread per connection under a
 * connection limit and an idle timeout) and, while a Server-Sent Events
 * client is connected, a thread per region that wakes on its writes and tells
 * the clients what changed.
 */
#ifndef PLC_WEB_H
#define PLC_WEB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plc-layout.h"

/** What plc_web_new() serves and how. */
struct plc_web_config {
    const char *listen;       /**< "HOST:PORT" or "[V6]:PORT"; port 0 picks a free one */
    unsigned timeout_s;       /**< an idle connection (slowloris) is closed after this */
    unsigned max_connections; /**< further connections are refused */
    unsigned poll_ms;         /**< with no stream open, the most a value served may lag */
    size_t max_body;          /**< a larger request body is answered 413 */
    /* Logins and operator writes (web/auth.c, web/write.c); all zero: read only. */
    const char *users;        /**< users file (plc_web_users_load()); NULL: no logins */
    const char *modbus;       /**< "HOST:PORT" of the gateway writes go through; NULL: the
                                   layout's [modbus] listen address */
    const char *tls_cert;     /**< PEM certificate file for HTTPS, with tls_key; NULL: HTTP */
    const char *tls_key;      /**< PEM private key file */
    bool insecure_cookies;    /**< the login cookie without Secure (plain HTTP off localhost) */
};

#define PLC_WEB_LISTEN_DEFAULT "127.0.0.1:8080"
#define PLC_WEB_TIMEOUT_S_DEFAULT 10u
#define PLC_WEB_MAX_CONNECTIONS_DEFAULT 64u
#define PLC_WEB_POLL_MS_DEFAULT 50u
#define PLC_WEB_MAX_BODY_DEFAULT 65536u
#define PLC_WEB_USERS_DEFAULT "/etc/raspiplc/web-users"

struct plc_web;

/**
 * @brief Start serving @p layout's regions under @p base (plc_base_dir()).
 * @param layout Must outlive the handle.
 * @param diag Optional; says what failed (a bad listen address, a port in use).
 * @return A handle to free with plc_web_free(), or NULL with errno set
 *         (EINVAL for a bad config, EADDRINUSE and the like from bind).
 */
struct plc_web *plc_web_new(const struct plc_layout *layout, const char *base,
                            const struct plc_web_config *cfg, struct plc_diag *diag);

/** @brief The TCP port it listens on (the one picked when asked for 0). */
uint16_t plc_web_get_port(const struct plc_web *web);

/** @brief Stop the server and the region threads, close every connection; NULL is accepted. */
void plc_web_free(struct plc_web *web);

/**
 * @brief The 1-based Modbus reference of @p table's 0-based @p address, as
 *        SCADA tools write them: 00001 coils, 10001 discrete inputs, 30001
 *        input registers, 40001 holding registers; six digits (400001) where
 *        five cannot hold the address.
 * @return 0, or -1 with errno EINVAL (no such table) or ENOSPC (@p len too small).
 */
int plc_web_modbus_ref(enum plc_modbus_table table, unsigned address, char *buf, size_t len);

/** @defgroup web_users Users of plc-web
 * Who may log in and what they may do (docs/web.md): a file of
 * "NAME:ROLE:HASH" lines, HASH from crypt(3) with yescrypt.
 * @{ */

/** Longest user name, without the terminating NUL. */
#define PLC_WEB_USER_MAX 31

/** @brief What a user may do; each role may do what the ones before it may. */
enum plc_web_role {
    PLC_WEB_ROLE_ERROR = -1,
    PLC_WEB_ROLE_VIEWER = 1, /**< read only */
    PLC_WEB_ROLE_OPERATOR,   /**< parameters, commands, alarm acknowledge */
    PLC_WEB_ROLE_ENGINEER,   /**< an operator who may also force and unforce */
};

/** @brief "viewer", "operator", "engineer", or NULL. */
const char *plc_web_role_name(enum plc_web_role role);
/** @brief The role named @p name, or PLC_WEB_ROLE_ERROR. */
enum plc_web_role plc_web_role_from_name(const char *name);
/** @brief Whether @p name is 1 to PLC_WEB_USER_MAX letters, digits, '_', '.', '-' (not first). */
bool plc_web_user_name_valid(const char *name);

struct plc_web_users;

/** @brief An empty table, to free with plc_web_users_free(); NULL on ENOMEM. */
struct plc_web_users *plc_web_users_new(void);
/**
 * @brief Read a users file: blank lines and '#' comments, else NAME:ROLE:HASH.
 * @param diag Optional; on failure "FILE:LINE: what is wrong" (no line when
 *        the file cannot be read).
 * @return A table to free with plc_web_users_free(), or NULL with errno
 *         (EINVAL for a bad line, ENOENT and the like from the file).
 */
struct plc_web_users *plc_web_users_load(const char *path, struct plc_diag *diag);
/** @brief Free a table; NULL is accepted. */
void plc_web_users_free(struct plc_web_users *users);
/**
 * @brief Add the user @p name, or replace the role and hash of the one there.
 * @return 0, or -1 with errno EINVAL (a bad name, role or hash) or ENOMEM.
 */
int plc_web_users_set(struct plc_web_users *users, const char *name, enum plc_web_role role,
                      const char *hash);
/** @brief Remove @p name. @return 0, or -1 with errno ENOENT (no such user). */
int plc_web_users_del(struct plc_web_users *users, const char *name);
/** @brief How many users. */
size_t plc_web_users_count(const struct plc_web_users *users);
/** @brief The hash of @p name and its role (if @p role), or NULL; valid until the next change. */
const char *plc_web_users_find(const struct plc_web_users *users, const char *name,
                               enum plc_web_role *role);
/**
 * @brief Write the table to @p path: a temporary file in the same directory,
 *        mode 0640, synced, renamed in. It keeps the group of the file it
 *        replaces; a new file gets @p group (NULL or "": the creator's), the
 *        group plc-web runs as, so that plc-web can read it.
 * @return 0; 1 when written but @p group does not exist or cannot be given
 *         (@p diag says which: the file has its creator's group); -1 with errno
 *         and @p diag naming the file.
 */
int plc_web_users_save(const struct plc_web_users *users, const char *path, const char *group,
                       struct plc_diag *diag);
/**
 * @brief Hash @p password with yescrypt and a fresh salt (crypt_gensalt_ra("$y$")).
 *        Slow on purpose (tens of milliseconds); thread-safe.
 * @return The hash to free(), or NULL with errno and @p diag.
 */
char *plc_web_password_hash(const char *password, struct plc_diag *diag);
/**
 * @brief Whether @p password hashes to @p hash, compared in constant time. Thread-safe.
 * @return 1 it does, 0 it does not, -1 with errno EINVAL when @p hash is no hash crypt knows.
 */
int plc_web_password_check(const char *password, const char *hash);

/** @} */

#endif
