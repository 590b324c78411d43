/* SPDX-License-Identifier: MIT */
/*
 * Logins and operator writes of plc-web, shared between web/session.c,
 * web/auth.c, web/write.c and web.c's router. Times are CLOCK_MONOTONIC
 * nanoseconds passed in, so the tests can move the clock.
 */
#ifndef PLC_WEB_AUTH_H
#define PLC_WEB_AUTH_H

#include <json-c/json.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "plc-web.h"

/* ---- the session table (session.c) ---------------------------------------- */

/* 256 random bits as hex, and its NUL. */
#define WEB_TOKEN_LEN 65

/* One logged-in browser, as the table hands it out (a copy). */
struct web_session {
    char user[PLC_WEB_USER_MAX + 1];
    enum plc_web_role role;
    char token[WEB_TOKEN_LEN]; /* the cookie */
    char csrf[WEB_TOKEN_LEN];  /* X-CSRF-Token of every write */
};

/* At most @p capacity sessions, each ended after @p idle_ns without a request.
 * Thread-safe: one mutex, held only to copy in and out. */
struct web_sessions;
struct web_sessions *web_sessions_new(size_t capacity, int64_t idle_ns);
void web_sessions_free(struct web_sessions *s);
/* A new session for @p user: fresh random tokens; the least recently used one
 * makes room when the table is full. 0, or -1 with errno (getrandom). */
int web_sessions_create(struct web_sessions *s, const char *user, enum plc_web_role role,
                        int64_t now_ns, struct web_session *out);
/* The session of cookie @p token (compared in constant time), its idle time
 * restarted: 1 with @p out filled, 0 none (or expired, then dropped). */
int web_sessions_find(struct web_sessions *s, const char *token, int64_t now_ns,
                      struct web_session *out);
/* End the session of @p token; 1 ended, 0 there was none. */
int web_sessions_end(struct web_sessions *s, const char *token);
/* Whether @p a and @p b are equal, in time that does not depend on where they differ. */
bool web_token_equal(const char *a, const char *b);

/* ---- the login rate limiter (session.c) ----------------------------------- */

/* Failures per key (a user name, a client address) in a sliding window. */
struct web_limiter;
struct web_limiter *web_limiter_new(size_t capacity, unsigned max_failures, int64_t window_ns);
void web_limiter_free(struct web_limiter *l);
/* Seconds until @p key may try again (at least 1), or 0 when it may now. */
unsigned web_limiter_check(struct web_limiter *l, const char *key, int64_t now_ns);
/* Count one failure of @p key. */
void web_limiter_fail(struct web_limiter *l, const char *key, int64_t now_ns);
/* Forget @p key's failures (after a good login). */
void web_limiter_reset(struct web_limiter *l, const char *key);

/* ---- logins (auth.c) ------------------------------------------------------ */

struct web_auth;
struct web_auth *web_auth_new(const struct plc_web_config *cfg, struct plc_diag *diag);
void web_auth_free(struct web_auth *a);

/* ---- one request to an operator endpoint (write.c) ------------------------ */

struct web_operate;
struct web_snapshot;
struct web_operate *web_operate_new(const struct plc_layout *layout, const char *base,
                                    const struct plc_web_config *cfg, struct web_snapshot *snap,
                                    struct plc_diag *diag);
void web_operate_free(struct web_operate *op);

/* A request plc-web's other paths do not know: logins, sessions and writes.
 * 1 with *rc set when @p url is one of them (answered), 0 when not. */
int web_operate_route(struct web_operate *op, struct MHD_Connection *conn, const char *url,
                      const char *method, const char *body, size_t len, enum MHD_Result *rc);

/* The auth endpoints (auth.c), for web_operate_route(): 1 answered, 0 not theirs. */
int web_auth_route(struct web_auth *a, struct MHD_Connection *conn, const char *url,
                   const char *method, json_object *body, enum MHD_Result *rc);
/* The session of a write request, checked: 0 with @p out filled, else the
 * HTTP status (401 login required, 403 CSRF, 403 role below @p need) and why. */
unsigned web_auth_check(struct web_auth *a, struct MHD_Connection *conn, enum plc_web_role need,
                        struct web_session *out, char *why, size_t len);
/* 1 when @p allow ("GET, HEAD") lists @p method; else 0 with the 405 and its Allow sent. */
int web_method_allowed(struct MHD_Connection *conn, const char *url, const char *method,
                       const char *allow, enum MHD_Result *rc);

/* "plc-web: LINE" on stderr, control characters shown as '?': a client's
 * text (a user name, a URL) cannot forge log lines. */
void web_log(const char *line);

/* "127.0.0.1" of the client of @p conn, into @p buf. */
void web_client_address(struct MHD_Connection *conn, char *buf, size_t len);

#endif
