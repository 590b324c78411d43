/* SPDX-License-Identifier: MIT */
/*
 * plcctl events [--since TIME] [--follow] [--json] [--dir DIR]: the event
 * history on disk, then what the rings hold beyond it, in time order; with
 * --follow, new records from the rings as they come, until SIGINT or SIGTERM.
 *
 * A ring record is the history's already when the history's last record of
 * that source came from the same ring (its identity) with a seq as high:
 * (source, ring, seq) names a record for good. Order is CLOCK_MONOTONIC within
 * a boot (the services' clocks agree on it, and it never jumps) and
 * CLOCK_REALTIME across boots: boots are ordered by when they started.
 * --follow polls the rings every 100 ms: a few loads of a ring head, nothing
 * while idle worth a thread per ring.
 */
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plc-event-history.h"
#include "plc-retain.h"
#include "plcctl.h"

#define FOLLOW_POLL_NS 100000000L

static const enum plc_event_source sources[] = {
    PLC_SOURCE_SHM_INIT, PLC_SOURCE_IO,     PLC_SOURCE_LOGIC, PLC_SOURCE_MODBUS,
    PLC_SOURCE_RETAIN,   PLC_SOURCE_PLCCTL, PLC_SOURCE_WEB, PLC_SOURCE_MQTT,
};
#define NSOURCES (sizeof(sources) / sizeof(sources[0]))

struct rows {
    struct plc_event_record *v;
    size_t n, cap;
};

struct ring {
    struct plc_event_ring *r;
    uint64_t id, cursor;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static int add(struct rows *rows, const struct plc_event_record *rec)
{
    if (rows->n == rows->cap) {
        size_t cap = rows->cap ? rows->cap * 2 : 256;
        void *v = realloc(rows->v, cap * sizeof(*rows->v));
        if (!v) {
            ctl_err("out of memory");
            return -1;
        }
        rows->v = v;
        rows->cap = cap;
    }
    rows->v[rows->n++] = *rec;
    return 0;
}

/* --since: YYYY-MM-DD[ HH:MM[:SS]], HH:MM (today) or -N{s,min,h,d}; realtime ns. */
static int parse_since(const char *text, uint64_t *out)
{
    if (text[0] == '-') {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(text + 1, &end, 10);
        static const struct {
            const char *unit;
            uint64_t ns;
        } units[] = {{"s", 1000000000ull},   {"sec", 1000000000ull}, {"min", 60000000000ull},
                     {"m", 60000000000ull},  {"h", 3600000000000ull}, {"d", 86400000000000ull}};
        for (size_t i = 0; end != text + 1 && !errno && i < sizeof(units) / sizeof(units[0]); i++)
            if (strcmp(end, units[i].unit) == 0) {
                uint64_t now = ctl_realtime_ns(), ago = n * units[i].ns;
                *out = ago < now ? now - ago : 0;
                return 0;
            }
        return -1;
    }
    static const char *const formats[] = {"%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d",
                                          "%H:%M"};
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        time_t now = time(NULL);
        struct tm tm;
        localtime_r(&now, &tm); /* HH:MM keeps today's date */
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        const char *end = strptime(text, formats[i], &tm);
        if (!end || *end)
            continue;
        tm.tm_isdst = -1;
        time_t t = mktime(&tm);
        if (t == (time_t)-1)
            return -1;
        *out = (uint64_t)t * 1000000000u;
        return 0;
    }
    return -1;
}

/* The whole history, oldest file first; -1 after saying why. */
static struct plc_event_history *read_history(struct ctl *ctl, const char *dir, struct rows *rows)
{
    struct plc_event_history_config cfg = {.dir = dir, .name = plc_layout_get_name(ctl->layout)};
    struct plc_diag diag;
    struct plc_event_history *h = plc_event_history_open(&cfg, PLC_READER, &diag);
    if (!h) {
        ctl_err_diag(&diag);
        return NULL;
    }
    struct plc_event_record rec;
    int got;
    while ((got = plc_event_history_next(h, &rec)) == 1)
        if (add(rows, &rec) < 0)
            break;
    if (got != 0) {
        if (got < 0)
            ctl_err("event history %s: %s", dir, strerror(errno));
        plc_event_history_close(h);
        return NULL;
    }
    return h;
}

/* Open the rings there are and not open yet; each starts after the history's
 * last record from it (@h NULL: at its oldest record). */
static void open_rings(struct ctl *ctl, const struct plc_event_history *h, struct ring *rings)
{
    for (size_t i = 0; i < NSOURCES; i++) {
        char path[PATH_MAX];
        if (rings[i].r)
            continue;
        if (plc_event_ring_path(ctl->layout, ctl->base, sources[i], path, sizeof(path)) < 0)
            continue;
        rings[i].r = plc_event_ring_open(path, PLC_READER, plc_layout_get_hash(ctl->layout), NULL);
        if (!rings[i].r)
            continue; /* not made (yet): a layout before events, or no plc-shm-init */
        rings[i].id = plc_event_ring_get_id(rings[i].r);
        uint64_t ring_id, seq;
        rings[i].cursor = 0;
        if (h && plc_event_history_get_last(h, sources[i], &ring_id, &seq) &&
            ring_id == rings[i].id)
            rings[i].cursor = seq + 1;
    }
}

/* What the rings hold beyond the cursors; -1 when out of memory. */
static int read_rings(struct ring *rings, uint64_t boot, struct rows *rows)
{
    for (size_t i = 0; i < NSOURCES; i++) {
        uint64_t lost = 0;
        struct plc_event_record rec = {.ring_id = rings[i].id, .boot = boot};
        int got;
        while (rings[i].r &&
               (got = plc_event_ring_read(rings[i].r, &rings[i].cursor, &rec.ev, &lost)) != 0) {
            if (got < 0)
                continue; /* EAGAIN: lapped while reading; lost counts it */
            rec.lost = lost;
            lost = 0;
            if (add(rows, &rec) < 0)
                return -1;
        }
    }
    return 0;
}

static void print_json(const struct plc_event_record *r)
{
    const struct plc_event *ev = &r->ev;
    char when[48], boot[20], text[sizeof(ev->text) + 1], name[sizeof(ev->name) + 1];
    ctl_format_time((uint64_t)ev->realtime_ns, when, sizeof(when));
    snprintf(boot, sizeof(boot), "%016" PRIx64, r->boot);
    snprintf(text, sizeof(text), "%.*s", (int)sizeof(ev->text), ev->text);
    snprintf(name, sizeof(name), "%.*s", (int)sizeof(ev->name), ev->name);
    struct json_object *o = json_object_new_object();
    json_object_object_add(o, "time", json_object_new_string(when));
    json_object_object_add(o, "realtime_ns", json_object_new_int64(ev->realtime_ns));
    json_object_object_add(o, "mono_ns", json_object_new_uint64(ev->mono_ns));
    json_object_object_add(o, "boot", json_object_new_string(boot));
    json_object_object_add(o, "source", json_object_new_string(plc_event_source_name(ev->source)));
    json_object_object_add(o, "seq", json_object_new_uint64(ev->seq));
    json_object_object_add(o, "severity",
                           json_object_new_string(plc_event_severity_name(ev->severity)));
    json_object_object_add(o, "priority", json_object_new_int(ev->severity));
    json_object_object_add(o, "kind", json_object_new_string(plc_event_kind_name(ev->kind)));
    json_object_object_add(o, "name", name[0] ? json_object_new_string(name) : NULL);
    if (plc_event_has_values(ev)) {
        json_object_object_add(o, "before", json_object_new_double(ev->before));
        json_object_object_add(o, "after", json_object_new_double(ev->after));
    }
    json_object_object_add(o, "text", json_object_new_string(text));
    json_object_object_add(o, "lost", json_object_new_uint64(r->lost));
    printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

/* TIME SOURCE SEVERITY KIND NAME BEFORE→AFTER TEXT, "-" for what is not there. */
static void print_text(const struct plc_event_record *r)
{
    const struct plc_event *ev = &r->ev;
    char when[48], values[80] = "-";
    ctl_format_time((uint64_t)ev->realtime_ns, when, sizeof(when));
    if (plc_event_has_values(ev))
        snprintf(values, sizeof(values), "%.15g\u2192%.15g", ev->before, ev->after);
    if (r->lost)
        printf("%s %s - - - - (%" PRIu64 " record(s) lost before seq %" PRIu64 ")\n", when,
               plc_event_source_name(ev->source), r->lost, ev->seq);
    printf("%s %-8s %-7s %-17s %-16.*s %s %.*s\n", when, plc_event_source_name(ev->source),
           plc_event_severity_name(ev->severity), plc_event_kind_name(ev->kind),
           (int)sizeof(ev->name), ev->name[0] ? ev->name : "-", values, (int)sizeof(ev->text),
           ev->text);
}

/* Print and drop the rows at or after @since. */
static int print_rows(struct rows *rows, uint64_t since, bool json)
{
    for (size_t i = 0; i < rows->n; i++) {
        if ((uint64_t)rows->v[i].ev.realtime_ns < since)
            continue;
        if (json)
            print_json(&rows->v[i]);
        else
            print_text(&rows->v[i]);
    }
    rows->n = 0;
    if (fflush(stdout) == EOF || ferror(stdout)) {
        ctl_err("cannot write output: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* A ring made after we started (plc-shm-init ran later) is followed from its first record. */
static int follow(struct ctl *ctl, struct ring *rings, uint64_t boot, struct rows *rows,
                  bool json)
{
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    while (!stop) {
        struct timespec ts = {0, FOLLOW_POLL_NS};
        nanosleep(&ts, NULL);
        open_rings(ctl, NULL, rings);
        if (read_rings(rings, boot, rows) < 0)
            return CTL_FAIL;
        qsort(rows->v, rows->n, sizeof(*rows->v), plc_event_record_compare);
        if (print_rows(rows, 0, json) < 0)
            return CTL_FAIL;
    }
    return CTL_OK;
}

struct options {
    const char *since, *dir;
    bool follow, json;
};

static int parse_options(int argc, char **argv, struct options *o)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--follow") == 0 || strcmp(argv[i], "-f") == 0)
            o->follow = true;
        else if (strcmp(argv[i], "--json") == 0)
            o->json = true;
        else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc)
            o->since = argv[++i];
        else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
            o->dir = argv[++i];
        else
            return ctl_usage("events");
    }
    return CTL_OK;
}

int ctl_events(struct ctl *ctl, int argc, char **argv)
{
    struct options o = {.json = ctl->json};
    uint64_t since = 0;
    char dir[PATH_MAX];
    if (parse_options(argc, argv, &o) != CTL_OK)
        return CTL_USAGE;
    if (o.since && parse_since(o.since, &since) < 0) {
        ctl_err("events: --since '%s' is not a time: give YYYY-MM-DD[ HH:MM[:SS]], HH:MM, or "
                "an age such as -10min or -2h", o.since);
        return CTL_USAGE;
    }
    if (plc_event_history_dir(plc_retain_dir(ctl->layout, NULL), o.dir, dir, sizeof(dir)) < 0) {
        ctl_err("events: history directory: path too long");
        return CTL_USAGE;
    }
    struct rows rows = {0};
    struct ring rings[NSOURCES] = {0};
    struct plc_event_history *h = read_history(ctl, dir, &rows);
    if (!h) {
        free(rows.v);
        return CTL_FAIL;
    }
    struct plc_event_history_stats st;
    plc_event_history_get_stats(h, &st);
    open_rings(ctl, h, rings);
    plc_event_history_close(h);
    uint64_t boot = plc_event_history_boot_id();
    int rc = read_rings(rings, boot, &rows) < 0 ? CTL_FAIL : CTL_OK;
    if (st.corrupt || st.torn)
        ctl_err("events: history %s: %" PRIu64 " damaged record(s) skipped, %" PRIu64
                " torn tail(s) ignored", dir, st.corrupt, st.torn);
    if (rc == CTL_OK) {
        qsort(rows.v, rows.n, sizeof(*rows.v), plc_event_record_compare);
        rc = print_rows(&rows, since, o.json) < 0 ? CTL_FAIL : CTL_OK;
    }
    if (rc == CTL_OK && o.follow)
        rc = follow(ctl, rings, boot, &rows, o.json);
    for (size_t i = 0; i < NSOURCES; i++)
        plc_event_ring_close(rings[i].r);
    free(rows.v);
    return rc;
}
