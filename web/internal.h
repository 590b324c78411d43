/* SPDX-License-Identifier: MIT */
/* Shared between the files of plc-web's library. */
#ifndef PLC_WEB_INTERNAL_H
#define PLC_WEB_INTERNAL_H

#include <json-c/json.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plc-web.h"

/* ---- the snapshot and its region threads (snapshot.c) -------------------- */

/*
 * The last values of every region and the last change batches. While a
 * stream is open a thread per region waits for its writer (plc_region_wait)
 * and reads it at once; with none open, a request reads a region whose copy
 * is older than @p poll_ms. HTTP threads only read what it keeps, so many
 * clients cost the regions nothing more than one.
 */
struct web_snapshot;

/* Reads the regions once (so values are there at once), then starts the threads. */
struct web_snapshot *web_snapshot_new(const struct plc_layout *layout, const char *base,
                                      unsigned poll_ms);
/* Wake every waiting stream to end it; the threads stop too. */
void web_snapshot_stop(struct web_snapshot *s);
void web_snapshot_free(struct web_snapshot *s);

/* The value of tag @p i as JSON (a new reference), null while its region cannot be read. */
json_object *web_snapshot_value(struct web_snapshot *s, size_t i);

/* A stream opens and closes: the region threads follow the regions only while one is open. */
void web_snapshot_stream_begin(struct web_snapshot *s);
void web_snapshot_stream_end(struct web_snapshot *s);

/* The first call for a stream passes *last = WEB_STREAM_NEW. */
#define WEB_STREAM_NEW UINT64_MAX
/*
 * The next Server-Sent Events text for a client that has seen batch *last:
 * a snapshot of every tag first (and again when it fell behind), then the
 * change batches since. Waits up to @p timeout_ms for a change.
 * @return 1 with *text to free(), 0 when nothing changed in time, -1 when
 *         stopping (or out of memory).
 */
int web_snapshot_next(struct web_snapshot *s, uint64_t *last, unsigned timeout_ms, char **text);

/* A tag value as JSON: bool, integer, or number (null for NaN and infinities). */
json_object *web_value_json(enum plc_type type, const void *at);

/* ---- the overview, alarms and events views (views.c and the files below) ---- */

struct MHD_Connection;
struct plc_event;

/* What the views keep: the layout, the snapshot, and the events follower. */
struct web_views;

struct web_views *web_views_new(const struct plc_layout *layout, const char *base,
                                struct web_snapshot *snap, unsigned timeout_s);
/* End every events stream (before the HTTP server is stopped). */
void web_views_stop(struct web_views *v);
void web_views_free(struct web_views *v);

/* web_views_route(): not a path of the views; a stream queued; queueing it failed. */
#define WEB_VIEW_NOT_MINE 0
#define WEB_VIEW_STREAM_OK (-1)
#define WEB_VIEW_STREAM_FAIL (-2)
/*
 * Answer @p url if it is a path of the views (/api/services, /api/scan,
 * /api/alarms[/NAME], /api/events[/stream]). @return an HTTP status with
 * *body to send, or one of the WEB_VIEW_ values above.
 */
int web_views_route(struct web_views *v, struct MHD_Connection *conn, const char *url, bool get,
                    json_object **body);

/* {"error": TEXT}: the body of every error answer. */
json_object *web_error_json(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
json_object *web_error_vjson(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
/*
 * Queue a Server-Sent Events answer whose text @p reader gives (as
 * libmicrohttpd's content reader); @p done frees @p cls, also when this fails.
 * @return MHD_YES or MHD_NO.
 */
int web_queue_sse(struct MHD_Connection *conn, ssize_t (*reader)(void *, uint64_t, char *, size_t),
                  void *cls, void (*done)(void *));
/* The index of @p tag in the layout's tags. */
size_t web_tag_index(const struct plc_layout *layout, const struct plc_tag_def *tag);
/* Local ISO 8601 time with milliseconds, "2026-05-01T12:00:01.234+0200". */
void web_format_time(int64_t realtime_ns, char *buf, size_t len);

/* services.c: GET /api/services and GET /api/scan. */
json_object *web_services_json(const struct plc_layout *layout, const char *base);
/* An error body with *status 404 when the layout has no diagnostics region. */
json_object *web_scan_json(const struct plc_layout *layout, const char *base,
                           struct web_snapshot *snap, unsigned *status);
/*
 * The start time (field 22, clock ticks after boot) from the text of
 * /proc/PID/stat, whose process name may hold spaces and parentheses.
 * @return 0, or -1 when the text is not such a line.
 */
int web_proc_stat_start(const char *stat, uint64_t *ticks);

/* alarms.c: GET /api/alarms and /api/alarms/NAME (NULL: no such alarm). */
json_object *web_alarms_json(const struct plc_layout *layout, const char *base,
                             struct web_snapshot *snap, const char *name);

/* events.c: GET /api/events and /api/events/stream. */
struct web_event_filter {
    bool since_set;
    int64_t since_ns; /* CLOCK_REALTIME; records strictly after it */
    unsigned limit;   /* the newest this many */
    int source, kind; /* 0: any */
    char q[64];       /* in the name or text, any case; "" any */
};
#define WEB_EVENTS_LIMIT_DEFAULT 200u
#define WEB_EVENTS_LIMIT_MAX 10000u
/*
 * Take one query parameter KEY=VALUE into @p f (@p now_ns: CLOCK_REALTIME, for
 * ages such as since=-10min). @return 0, or -1 with @p err naming the
 * parameter and what is wrong.
 */
int web_event_filter_set(struct web_event_filter *f, const char *key, const char *value,
                         int64_t now_ns, char *err, size_t len);
bool web_event_filter_match(const struct web_event_filter *f, const struct plc_event *ev);

/* The ring follower the streams wait on. */
struct web_events;
struct web_events *web_events_new(const struct plc_layout *layout, const char *base,
                                  unsigned keepalive_ms);
void web_events_stop(struct web_events *e);
void web_events_free(struct web_events *e);
/* {"events": [...], "more": bool, "history_error": ...}; *status 200. */
json_object *web_events_list(struct web_events *e, const struct web_event_filter *f);
/* Queue the Server-Sent Events answer: MHD_YES or MHD_NO as an int. */
int web_events_stream(struct web_events *e, struct MHD_Connection *conn,
                      const struct web_event_filter *f);

/* ---- answers (web.c), for the endpoints of the other files ------------- */

/* Send @p obj (its reference is taken); @p headers: name, value pairs ending in NULL, or NULL. */
enum MHD_Result web_send_json(struct MHD_Connection *conn, unsigned status, json_object *obj,
                              const char *const *headers);
/* {"error": "..."} with @p status. */
enum MHD_Result web_send_error(struct MHD_Connection *conn, unsigned status,
                               const char *const *headers, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- files compiled in (generated by embed.cmake) ------------------------ */

struct web_asset {
    const char *path; /* "/index.html" */
    const unsigned char *data;
    size_t size;
};
extern const struct web_asset web_assets[];
extern const size_t web_asset_count;

#endif
