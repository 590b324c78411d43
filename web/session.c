/* SPDX-License-Identifier: MIT */
/*
 * plc-web's logged-in browsers and its login rate limiter: two small bounded
 * tables behind a mutex each. Connections are threads, so every call may come
 * from any of them; the locks are held only to copy in and out, never while
 * a password is hashed (web/auth.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "auth.h"

/* ---- sessions ------------------------------------------------------------ */

struct slot {
    struct web_session s;
    int64_t last_ns; /* last request; 0: the slot is free */
};

struct web_sessions {
    pthread_mutex_t lock;
    struct slot *slots;
    size_t capacity;
    int64_t idle_ns;
};

bool web_token_equal(const char *a, const char *b)
{
    size_t n = strlen(b);
    if (strlen(a) != n) /* tokens have one public length: this tells nothing */
        return false;
    unsigned char diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(a[i] ^ b[i]);
    return diff == 0;
}

/* 256 random bits as 64 hex digits. */
static int random_token(char out[WEB_TOKEN_LEN])
{
    unsigned char bytes[32];
    size_t got = 0;
    while (got < sizeof(bytes)) {
        ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
        if (n < 0 && errno != EINTR)
            return -1;
        if (n > 0)
            got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof(bytes); i++)
        snprintf(out + 2 * i, 3, "%02x", bytes[i]);
    return 0;
}

struct web_sessions *web_sessions_new(size_t capacity, int64_t idle_ns)
{
    struct web_sessions *s = calloc(1, sizeof(*s));
    if (!s || !(s->slots = calloc(capacity ? capacity : 1, sizeof(*s->slots)))) {
        free(s);
        return NULL;
    }
    s->capacity = capacity ? capacity : 1;
    s->idle_ns = idle_ns;
    pthread_mutex_init(&s->lock, NULL);
    return s;
}

void web_sessions_free(struct web_sessions *s)
{
    if (!s)
        return;
    pthread_mutex_destroy(&s->lock);
    /* The tokens are secrets: leave none behind in freed memory. */
    explicit_bzero(s->slots, s->capacity * sizeof(*s->slots));
    free(s->slots);
    free(s);
}

int web_sessions_create(struct web_sessions *s, const char *user, enum plc_web_role role,
                        int64_t now_ns, struct web_session *out)
{
    struct web_session n = {.role = role};
    snprintf(n.user, sizeof(n.user), "%s", user);
    if (random_token(n.token) < 0 || random_token(n.csrf) < 0)
        return -1;
    pthread_mutex_lock(&s->lock);
    struct slot *pick = &s->slots[0];
    for (size_t i = 0; i < s->capacity; i++) {
        struct slot *e = &s->slots[i];
        if (e->last_ns && now_ns - e->last_ns >= s->idle_ns)
            e->last_ns = 0; /* expired */
        if (!e->last_ns || (pick->last_ns && e->last_ns < pick->last_ns))
            pick = e;
    }
    pick->s = n;
    pick->last_ns = now_ns ? now_ns : 1;
    pthread_mutex_unlock(&s->lock);
    *out = n;
    return 0;
}

int web_sessions_find(struct web_sessions *s, const char *token, int64_t now_ns,
                      struct web_session *out)
{
    int found = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->capacity; i++) {
        struct slot *e = &s->slots[i];
        /* Every slot compared, so the time taken says nothing of which matched. */
        if (e->last_ns && web_token_equal(token, e->s.token) && !found) {
            if (now_ns - e->last_ns >= s->idle_ns) {
                e->last_ns = 0;
                continue;
            }
            e->last_ns = now_ns ? now_ns : 1;
            *out = e->s;
            found = 1;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

int web_sessions_end(struct web_sessions *s, const char *token)
{
    int ended = 0;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->capacity; i++)
        if (s->slots[i].last_ns && web_token_equal(token, s->slots[i].s.token)) {
            explicit_bzero(&s->slots[i], sizeof(s->slots[i]));
            ended = 1;
        }
    pthread_mutex_unlock(&s->lock);
    return ended;
}

/* ---- the rate limiter ----------------------------------------------------- */

struct counter {
    char key[80];
    unsigned failures;
    int64_t first_ns; /* of the window's first failure */
};

struct web_limiter {
    pthread_mutex_t lock;
    struct counter *c;
    size_t capacity;
    unsigned max;
    int64_t window_ns;
};

struct web_limiter *web_limiter_new(size_t capacity, unsigned max_failures, int64_t window_ns)
{
    struct web_limiter *l = calloc(1, sizeof(*l));
    if (!l || !(l->c = calloc(capacity ? capacity : 1, sizeof(*l->c)))) {
        free(l);
        return NULL;
    }
    l->capacity = capacity ? capacity : 1;
    l->max = max_failures;
    l->window_ns = window_ns;
    pthread_mutex_init(&l->lock, NULL);
    return l;
}

void web_limiter_free(struct web_limiter *l)
{
    if (!l)
        return;
    pthread_mutex_destroy(&l->lock);
    free(l->c);
    free(l);
}

/* Caller holds the lock: the counter of @p key in its window, or NULL. */
static struct counter *counter_find(struct web_limiter *l, const char *key, int64_t now_ns)
{
    for (size_t i = 0; i < l->capacity; i++) {
        struct counter *c = &l->c[i];
        if (c->failures && now_ns - c->first_ns >= l->window_ns)
            c->failures = 0; /* its window passed */
        if (c->failures && strcmp(c->key, key) == 0)
            return c;
    }
    return NULL;
}

unsigned web_limiter_check(struct web_limiter *l, const char *key, int64_t now_ns)
{
    unsigned wait = 0;
    pthread_mutex_lock(&l->lock);
    struct counter *c = counter_find(l, key, now_ns);
    if (c && c->failures >= l->max) {
        int64_t left = c->first_ns + l->window_ns - now_ns;
        wait = left > 1000000000 ? (unsigned)((left + 999999999) / 1000000000) : 1;
    }
    pthread_mutex_unlock(&l->lock);
    return wait;
}

void web_limiter_fail(struct web_limiter *l, const char *key, int64_t now_ns)
{
    pthread_mutex_lock(&l->lock);
    struct counter *c = counter_find(l, key, now_ns);
    if (!c) {
        /* A free counter, else the oldest window gives way. */
        c = &l->c[0];
        for (size_t i = 0; i < l->capacity && c->failures; i++)
            if (!l->c[i].failures || l->c[i].first_ns < c->first_ns)
                c = &l->c[i];
        snprintf(c->key, sizeof(c->key), "%s", key);
        c->failures = 0;
        c->first_ns = now_ns;
    }
    c->failures++;
    pthread_mutex_unlock(&l->lock);
}

void web_limiter_reset(struct web_limiter *l, const char *key)
{
    pthread_mutex_lock(&l->lock);
    for (size_t i = 0; i < l->capacity; i++)
        if (l->c[i].failures && strcmp(l->c[i].key, key) == 0)
            l->c[i].failures = 0;
    pthread_mutex_unlock(&l->lock);
}
