/* SPDX-License-Identifier: MIT */
/*
 * plc-web's logins: POST /api/login, POST /api/logout, GET /api/session, and
 * the check every write passes (session cookie, CSRF token, role). The users
 * file is read again when it changes, so `plc-web user add|del` takes effect
 * without a restart. A password is hashed with no lock held: a login in
 * progress (tens of milliseconds of yescrypt) never holds up another client.
 */
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "auth.h"
#include "internal.h"

#define SESSIONS 64
#define SESSION_IDLE_NS (30 * 60 * 1000000000LL)
#define LOGIN_FAILURES 5
#define LOGIN_WINDOW_NS (60 * 1000000000LL)
#define COOKIE "plc_session"

struct web_auth {
    char *path; /* the users file, or NULL: logins are off */
    bool insecure_cookies;
    pthread_mutex_t lock; /* users and what the file was when read */
    struct plc_web_users *users;
    struct stat seen;
    int64_t checked_ns;
    char *dummy; /* a hash to check unknown users against, so they take as long */
    struct web_sessions *sessions;
    struct web_limiter *limiter;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void web_client_address(struct MHD_Connection *conn, char *buf, size_t len)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(buf, len, "?");
    if (ci && ci->client_addr) {
        socklen_t sl = ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                              : sizeof(struct sockaddr_in);
        getnameinfo(ci->client_addr, sl, buf, (socklen_t)len, NULL, 0, NI_NUMERICHOST);
    }
}

void web_log(const char *line)
{
    char safe[1100];
    size_t n = 0;
    for (; line[n] && n + 1 < sizeof(safe); n++)
        safe[n] = (unsigned char)line[n] < ' ' || line[n] == 0x7f ? '?' : line[n];
    safe[n] = '\0';
    fprintf(stderr, "plc-web: %s\n", safe);
}

/* Caller holds the lock: read the users file again if it changed (at most once a second). */
static void users_refresh(struct web_auth *a, bool force)
{
    int64_t now = now_ns();
    if (!a->path || (!force && now - a->checked_ns < 1000000000))
        return;
    a->checked_ns = now;
    struct stat st;
    if (stat(a->path, &st) < 0) {
        memset(&a->seen, 0, sizeof(a->seen));
        plc_web_users_free(a->users);
        a->users = NULL;
        return;
    }
    if (a->users && st.st_ino == a->seen.st_ino && st.st_dev == a->seen.st_dev &&
        st.st_size == a->seen.st_size && st.st_mtim.tv_sec == a->seen.st_mtim.tv_sec &&
        st.st_mtim.tv_nsec == a->seen.st_mtim.tv_nsec)
        return;
    struct plc_diag diag;
    struct plc_web_users *u = plc_web_users_load(a->path, &diag);
    if (!u) {
        char msg[1200];
        plc_diag_format(&diag, msg, sizeof(msg));
        fprintf(stderr, "plc-web: %s (the users read before stay in force)\n", msg);
        return;
    }
    plc_web_users_free(a->users);
    a->users = u;
    a->seen = st;
}

struct web_auth *web_auth_new(const struct plc_web_config *cfg, struct plc_diag *diag)
{
    struct web_auth *a = calloc(1, sizeof(*a));
    if (!a)
        return NULL;
    pthread_mutex_init(&a->lock, NULL);
    a->insecure_cookies = cfg->insecure_cookies;
    a->sessions = web_sessions_new(SESSIONS, SESSION_IDLE_NS);
    a->limiter = web_limiter_new(256, LOGIN_FAILURES, LOGIN_WINDOW_NS);
    if (!a->sessions || !a->limiter)
        goto fail;
    if (!cfg->users)
        return a;
    if (!(a->path = strdup(cfg->users)))
        goto fail;
    /* A bad file stops plc-web at start, naming the line; a missing one only warns. */
    a->users = plc_web_users_load(a->path, diag);
    if (!a->users && errno != ENOENT)
        goto fail;
    if (!a->users)
        fprintf(stderr, "plc-web: %s: no users file: nobody can log in until "
                        "'plc-web user add NAME --role ROLE --users %s' makes it\n",
                a->path, a->path);
    else
        stat(a->path, &a->seen);
    a->checked_ns = now_ns();
    if (!(a->dummy = plc_web_password_hash("not a password", diag)))
        goto fail;
    return a;
fail:
    web_auth_free(a);
    return NULL;
}

void web_auth_free(struct web_auth *a)
{
    if (!a)
        return;
    plc_web_users_free(a->users);
    web_sessions_free(a->sessions);
    web_limiter_free(a->limiter);
    pthread_mutex_destroy(&a->lock);
    free(a->dummy);
    free(a->path);
    free(a);
}

/* The user's role now, or PLC_WEB_ROLE_ERROR when the file no longer has them. */
static enum plc_web_role role_now(struct web_auth *a, const char *user)
{
    enum plc_web_role role = PLC_WEB_ROLE_ERROR;
    pthread_mutex_lock(&a->lock);
    users_refresh(a, false);
    if (!a->users || !plc_web_users_find(a->users, user, &role))
        role = PLC_WEB_ROLE_ERROR;
    pthread_mutex_unlock(&a->lock);
    return role;
}

/* The session of this request's cookie, with the role the users file gives now: 1 or 0. */
static int session_of(struct web_auth *a, struct MHD_Connection *conn, struct web_session *s)
{
    const char *token = MHD_lookup_connection_value(conn, MHD_COOKIE_KIND, COOKIE);
    if (!token || !web_sessions_find(a->sessions, token, now_ns(), s))
        return 0;
    s->role = role_now(a, s->user);
    if (s->role == PLC_WEB_ROLE_ERROR) { /* removed from the file: logged out */
        web_sessions_end(a->sessions, token);
        return 0;
    }
    return 1;
}

static json_object *session_json(const struct web_session *s)
{
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "user", s ? json_object_new_string(s->user) : NULL);
    json_object_object_add(obj, "role", s ? json_object_new_string(plc_web_role_name(s->role))
                                          : NULL);
    json_object_object_add(obj, "csrf", s ? json_object_new_string(s->csrf) : NULL);
    return obj;
}

unsigned web_auth_check(struct web_auth *a, struct MHD_Connection *conn, enum plc_web_role need,
                        struct web_session *out, char *why, size_t len)
{
    if (!session_of(a, conn, out)) {
        memset(out, 0, sizeof(*out));
        snprintf(why, len, "login required");
        return MHD_HTTP_UNAUTHORIZED;
    }
    const char *csrf = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-CSRF-Token");
    if (!csrf || !web_token_equal(csrf, out->csrf)) {
        snprintf(why, len, "CSRF token missing or stale");
        return MHD_HTTP_FORBIDDEN;
    }
    if (out->role < need) {
        snprintf(why, len, "user '%s' is %s %s: this needs the %s role", out->user,
                 out->role == PLC_WEB_ROLE_OPERATOR ? "an" : "a", plc_web_role_name(out->role),
                 plc_web_role_name(need));
        return MHD_HTTP_FORBIDDEN;
    }
    return 0;
}

static const char *string_member(json_object *body, const char *key)
{
    json_object *v;
    if (!body || !json_object_object_get_ex(body, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static enum MHD_Result login(struct web_auth *a, struct MHD_Connection *conn, json_object *body)
{
    const char *user = string_member(body, "user"), *password = string_member(body, "password");
    if (!user || !password)
        return web_send_error(conn, MHD_HTTP_BAD_REQUEST, NULL,
                              "a login is {\"user\": NAME, \"password\": PASSWORD}");
    if (!a->path)
        return web_send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
                              "logins are off: plc-web runs without a users file (--users)");
    pthread_mutex_lock(&a->lock);
    users_refresh(a, true);
    bool none = !a->users;
    pthread_mutex_unlock(&a->lock);
    if (none)
        return web_send_error(conn, MHD_HTTP_SERVICE_UNAVAILABLE, NULL,
                              "logins are off: no users file '%s' (plc-web user add makes it)",
                              a->path);
    char addr[64], user_key[80], addr_key[80];
    web_client_address(conn, addr, sizeof(addr));
    snprintf(user_key, sizeof(user_key), "user %.60s", user);
    snprintf(addr_key, sizeof(addr_key), "address %s", addr);
    int64_t now = now_ns();
    unsigned wait = web_limiter_check(a->limiter, user_key, now);
    unsigned wait_addr = web_limiter_check(a->limiter, addr_key, now);
    if (wait_addr > wait)
        wait = wait_addr;
    if (wait) {
        char after[16];
        snprintf(after, sizeof(after), "%u", wait);
        const char *const headers[] = {MHD_HTTP_HEADER_RETRY_AFTER, after, NULL};
        char line[200];
        snprintf(line, sizeof(line), "login of '%.64s' from %s refused: too many failures", user,
                 addr);
        web_log(line);
        return web_send_error(conn, MHD_HTTP_TOO_MANY_REQUESTS, headers,
                              "too many failed logins: try again in %u s", wait);
    }
    /* Counted before the slow check, so many at once cannot all slip through. */
    web_limiter_fail(a->limiter, user_key, now);
    web_limiter_fail(a->limiter, addr_key, now);

    enum plc_web_role role = PLC_WEB_ROLE_ERROR;
    pthread_mutex_lock(&a->lock);
    const char *found = a->users ? plc_web_users_find(a->users, user, &role) : NULL;
    char *hash = strdup(found ? found : a->dummy);
    pthread_mutex_unlock(&a->lock);
    int ok = hash && plc_web_password_check(password, hash) == 1 && found;
    free(hash);
    if (!ok) {
        char line[200];
        snprintf(line, sizeof(line), "login of '%.64s' from %s failed", user, addr);
        web_log(line);
        return web_send_error(conn, MHD_HTTP_UNAUTHORIZED, NULL, "wrong user name or password");
    }
    web_limiter_reset(a->limiter, user_key);
    web_limiter_reset(a->limiter, addr_key);
    struct web_session s;
    if (web_sessions_create(a->sessions, user, role, now_ns(), &s) < 0)
        return web_send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
                              "no random numbers for a session: %s", strerror(errno));
    char cookie[160];
    snprintf(cookie, sizeof(cookie), COOKIE "=%s; Path=/; HttpOnly; SameSite=Strict%s", s.token,
             a->insecure_cookies ? "" : "; Secure");
    const char *const headers[] = {MHD_HTTP_HEADER_SET_COOKIE, cookie, NULL};
    fprintf(stderr, "plc-web: user '%s' (%s) logged in from %s\n", s.user,
            plc_web_role_name(s.role), addr);
    return web_send_json(conn, MHD_HTTP_OK, session_json(&s), headers);
}

static enum MHD_Result logout(struct web_auth *a, struct MHD_Connection *conn)
{
    struct web_session s;
    char why[200];
    unsigned status = web_auth_check(a, conn, PLC_WEB_ROLE_VIEWER, &s, why, sizeof(why));
    if (status)
        return web_send_error(conn, status, NULL, "%s", why);
    web_sessions_end(a->sessions, s.token);
    char cookie[128];
    snprintf(cookie, sizeof(cookie), COOKIE "=; Path=/; HttpOnly; SameSite=Strict%s; Max-Age=0",
             a->insecure_cookies ? "" : "; Secure");
    const char *const headers[] = {MHD_HTTP_HEADER_SET_COOKIE, cookie, NULL};
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "user", json_object_new_string(s.user));
    json_object_object_add(obj, "logged_out", json_object_new_boolean(1));
    return web_send_json(conn, MHD_HTTP_OK, obj, headers);
}

/* Method @p method on a path that allows @p allow ("POST"): 1 when it is allowed, else the 405. */
int web_method_allowed(struct MHD_Connection *conn, const char *url, const char *method,
                       const char *allow, enum MHD_Result *rc)
{
    char list[64];
    snprintf(list, sizeof(list), ", %s,", allow);
    char want[24];
    snprintf(want, sizeof(want), " %s,", method);
    if (strstr(list, want))
        return 1;
    const char *const headers[] = {MHD_HTTP_HEADER_ALLOW, allow, NULL};
    *rc = web_send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, headers, "'%s' takes %s", url, allow);
    return 0;
}

int web_auth_route(struct web_auth *a, struct MHD_Connection *conn, const char *url,
                   const char *method, json_object *body, enum MHD_Result *rc)
{
    if (strcmp(url, "/api/login") == 0) {
        if (web_method_allowed(conn, url, method, "POST", rc))
            *rc = login(a, conn, body);
    } else if (strcmp(url, "/api/logout") == 0) {
        if (web_method_allowed(conn, url, method, "POST", rc))
            *rc = logout(a, conn);
    } else if (strcmp(url, "/api/session") == 0) {
        struct web_session s;
        if (web_method_allowed(conn, url, method, "GET, HEAD", rc)) {
            /* Logged out is a state, not an error: 200 with nulls, so a page logs nothing. */
            json_object *obj = session_json(session_of(a, conn, &s) ? &s : NULL);
            pthread_mutex_lock(&a->lock);
            users_refresh(a, false);
            json_object_object_add(obj, "logins", json_object_new_boolean(a->users != NULL));
            pthread_mutex_unlock(&a->lock);
            *rc = web_send_json(conn, MHD_HTTP_OK, obj, NULL);
        }
    } else {
        return 0;
    }
    return 1;
}

