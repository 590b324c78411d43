/* SPDX-License-Identifier: MIT */
/*
 * The views beyond the tags: the overview (services, scan statistics,
 * outputs), the alarms and the events. One router for their paths, so
 * web.c's routing only asks whether a path is theirs; the answers are built
 * in services.c, alarms.c and events.c.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "plc.h"

struct web_views {
    const struct plc_layout *layout;
    const char *base;
    struct web_snapshot *snap;
    struct web_events *events;
};

json_object *web_error_vjson(const char *fmt, va_list ap)
{
    char msg[768];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "error", json_object_new_string(msg));
    return obj;
}

json_object *web_error_json(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    json_object *obj = web_error_vjson(fmt, ap);
    va_end(ap);
    return obj;
}

size_t web_tag_index(const struct plc_layout *layout, const struct plc_tag_def *tag)
{
    size_t i = 0;
    while (i < plc_layout_tag_count(layout) && plc_layout_tag_at(layout, i) != tag)
        i++;
    return i;
}

void web_format_time(int64_t realtime_ns, char *buf, size_t len)
{
    time_t sec = (time_t)(realtime_ns / 1000000000);
    struct tm tm;
    char date[32], zone[8];
    localtime_r(&sec, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(zone, sizeof(zone), "%z", &tm);
    snprintf(buf, len, "%s.%03d%s", date, (int)(realtime_ns / 1000000 % 1000), zone);
}

struct web_views *web_views_new(const struct plc_layout *layout, const char *base,
                                struct web_snapshot *snap, unsigned timeout_s)
{
    struct web_views *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->layout = layout;
    v->base = base;
    v->snap = snap;
    /* A comment at least every half timeout keeps an idle stream from being dropped. */
    unsigned keepalive_ms = timeout_s ? timeout_s * 500 : 1000;
    v->events = web_events_new(layout, base, keepalive_ms > 1000 ? 1000 : keepalive_ms);
    if (!v->events) {
        free(v);
        return NULL;
    }
    return v;
}

void web_views_stop(struct web_views *v)
{
    if (v)
        web_events_stop(v->events);
}

void web_views_free(struct web_views *v)
{
    if (!v)
        return;
    web_events_free(v->events);
    free(v);
}

/* The query of an events request, taken one parameter at a time. */
struct query {
    struct web_event_filter *f;
    bool stream;
    int64_t now_ns;
    char err[256];
};

static enum MHD_Result take_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    struct query *q = cls;
    (void)kind;
    if (q->stream && (strcmp(key, "since") == 0 || strcmp(key, "limit") == 0)) {
        snprintf(q->err, sizeof(q->err),
                 "query parameter '%s' is not taken by /api/events/stream (it sends what "
                 "comes from now on)",
                 key);
        return MHD_NO;
    }
    if (web_event_filter_set(q->f, key, value, q->now_ns, q->err, sizeof(q->err)) < 0)
        return MHD_NO;
    return MHD_YES;
}

static int events(struct web_views *v, struct MHD_Connection *conn, bool stream,
                  json_object **body)
{
    struct web_event_filter f = {.limit = WEB_EVENTS_LIMIT_DEFAULT};
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct query q = {.f = &f, .stream = stream,
                      .now_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec};
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, take_arg, &q);
    if (q.err[0]) {
        *body = web_error_json("%s", q.err);
        return MHD_HTTP_BAD_REQUEST;
    }
    if (!stream) {
        *body = web_events_list(v->events, &f);
        return MHD_HTTP_OK;
    }
    return web_events_stream(v->events, conn, &f) == MHD_YES ? WEB_VIEW_STREAM_OK
                                                             : WEB_VIEW_STREAM_FAIL;
}

int web_views_route(struct web_views *v, struct MHD_Connection *conn, const char *url, bool get,
                    json_object **body)
{
    static const char *const exact[] = {"/api/services", "/api/scan", "/api/alarms",
                                        "/api/events", "/api/events/stream"};
    bool mine = strncmp(url, "/api/alarms/", 12) == 0;
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        mine |= strcmp(url, exact[i]) == 0;
    if (!mine)
        return WEB_VIEW_NOT_MINE;
    if (!get) {
        *body = web_error_json("'%s' is read only: use GET", url);
        return MHD_HTTP_METHOD_NOT_ALLOWED;
    }
    unsigned status = MHD_HTTP_OK;
    if (strcmp(url, "/api/services") == 0) {
        *body = web_services_json(v->layout, v->base);
    } else if (strcmp(url, "/api/scan") == 0) {
        *body = web_scan_json(v->layout, v->base, v->snap, &status);
    } else if (strcmp(url, "/api/alarms") == 0) {
        *body = web_alarms_json(v->layout, v->base, v->snap, NULL);
    } else if (strncmp(url, "/api/alarms/", 12) == 0) {
        *body = web_alarms_json(v->layout, v->base, v->snap, url + 12);
        if (!*body) {
            status = MHD_HTTP_NOT_FOUND;
            *body = web_error_json("unknown alarm '%s' in layout '%s'", url + 12,
                                   plc_layout_get_name(v->layout));
        }
    } else {
        return events(v, conn, strcmp(url, "/api/events/stream") == 0, body);
    }
    return (int)status;
}
