/* SPDX-License-Identifier: MIT */
/*
 * The overview's figures. GET /api/services: each service that writes
 * regions, from the headers of the regions it writes (the claim, the
 * heartbeat, the claim count) and /proc. GET /api/scan: the statistics
 * plc-logic publishes in its diagnostics region, and whether the outputs
 * follow the program or are at their safe values, from what plc-io last
 * said in its event ring (docs/web.md says exactly how).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "plc-event.h"
#include "plc-scan.h"
#include "plc.h"

/* ---- /proc ------------------------------------------------------------------ */

int web_proc_stat_start(const char *stat, uint64_t *ticks)
{
    /* The name may hold spaces and parentheses: fields restart after the last ')'. */
    const char *p = strrchr(stat, ')');
    if (!p || p[1] != ' ')
        return -1;
    p += 2;
    /* state is field 3; starttime is field 22 */
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno || end == p || (*end != ' ' && *end != '\n' && *end != '\0'))
        return -1;
    *ticks = v;
    return 0;
}

/* The whole (small) text of a /proc file, or -1. */
static int read_text(const char *path, char *buf, size_t len)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    return 0;
}

/* Seconds since process @p pid started, or -1 when /proc does not show it. */
static double uptime_of(pid_t pid)
{
    char path[64], stat[1024], up[64];
    uint64_t ticks;
    long hz = sysconf(_SC_CLK_TCK);
    /* task/PID/stat as runtime/proc.c reads it: qemu-user leaves that one alone. */
    snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)pid);
    if (hz <= 0 || read_text(path, stat, sizeof(stat)) < 0 ||
        web_proc_stat_start(stat, &ticks) < 0 || read_text("/proc/uptime", up, sizeof(up)) < 0)
        return -1;
    double since_boot = strtod(up, NULL), started = (double)ticks / (double)hz;
    return since_boot >= started ? since_boot - started : 0;
}

/* ---- /api/services ------------------------------------------------------------ */

/* Seconds to the millisecond, as written ("12.345", not 12.345000000000001); null below 0. */
static json_object *seconds_json(double s)
{
    char text[32];
    if (s < 0)
        return NULL;
    snprintf(text, sizeof(text), "%.3f", s);
    return json_object_new_double_s(strtod(text, NULL), text);
}

/* Whether a region's writer is past the silence it promised (only plc-logic promises). */
static bool stale(const struct plc_region_info *info)
{
    return info->max_silence_ns > 0 &&
           (info->heartbeat_age_ns < 0 || info->heartbeat_age_ns > info->max_silence_ns);
}

/* What a writer claim says of its service, from a region's header or an event ring's. */
struct claim {
    pid_t pid;
    bool alive;
    const char *holder;
    uint64_t claims;  /* its starts since the file was made */
    uint64_t made_ns; /* when the file was made, CLOCK_REALTIME */
};

static const char *state_of(const struct claim *c, bool is_stale)
{
    if (!c->claims && !c->pid)
        return "never started";
    if (!c->pid)
        return "stopped";
    if (!c->alive)
        return "dead";
    return is_stale ? "stale heartbeat" : "running";
}

/* The fields of a service its claim gives; @p beat_ns -1 when it has no heartbeat. */
static void claim_json(json_object *obj, const struct claim *c, bool is_stale, int64_t beat_ns)
{
    char made[48];
    json_object_object_add(obj, "state", json_object_new_string(state_of(c, is_stale)));
    json_object_object_add(obj, "pid", c->pid ? json_object_new_int(c->pid) : NULL);
    json_object_object_add(obj, "process", c->holder[0] ? json_object_new_string(c->holder)
                                                        : NULL);
    json_object_object_add(obj, "alive", json_object_new_boolean(c->alive));
    json_object_object_add(obj, "uptime_s", seconds_json(c->alive ? uptime_of(c->pid) : -1));
    json_object_object_add(obj, "starts", json_object_new_int64((int64_t)c->claims));
    json_object_object_add(obj, "restarts",
                           json_object_new_int64(c->claims ? (int64_t)c->claims - 1 : 0));
    json_object_object_add(obj, "heartbeat_age_s",
                           seconds_json(beat_ns < 0 ? -1 : (double)beat_ns / 1e9));
    web_format_time((int64_t)c->made_ns, made, sizeof(made));
    json_object_object_add(obj, "counted_since", json_object_new_string(made));
}

/* Service @p name: the regions it writes from @p first on, their headers, /proc. */
static json_object *service_json(const struct plc_layout *l, const char *base, size_t first)
{
    const char *name = plc_layout_region_at(l, first)->writer;
    json_object *obj = json_object_new_object(), *regions = json_object_new_array();
    struct plc_region_info info = {0}, ri;
    bool have = false, is_stale = false;
    int64_t beat = -1; /* the youngest heartbeat of its regions: its last sign of life */
    const char *error = NULL;
    json_object_object_add(obj, "name", json_object_new_string(name));
    for (size_t i = first; i < plc_layout_region_count(l); i++) {
        const struct plc_region_def *def = plc_layout_region_at(l, i);
        if (strcmp(def->writer, name) != 0)
            continue;
        json_object_array_add(regions, json_object_new_string(def->name));
        struct plc_region *r = plc_region_attach(l, base, def->name, PLC_READER, NULL, NULL);
        if (!r || plc_region_get_info(r, &ri) < 0) {
            if (!error)
                error = plc_strerror(errno);
            plc_region_detach(r);
            continue;
        }
        plc_region_detach(r);
        /* The service claims its regions one after another at start: the
         * first region it writes speaks for it, the others for staleness. */
        if (!have)
            info = ri;
        have = true;
        is_stale |= ri.writer_alive && stale(&ri);
        if (ri.heartbeat_age_ns >= 0 && (beat < 0 || ri.heartbeat_age_ns < beat))
            beat = ri.heartbeat_age_ns;
    }
    json_object_object_add(obj, "regions", regions);
    if (!have) {
        json_object_object_add(obj, "state", json_object_new_string("never started"));
        json_object_object_add(obj, "error", json_object_new_string(error ? error : "no region"));
        return obj;
    }
    struct claim c = {info.writer_pid, info.writer_alive, info.holder, info.claims,
                      info.created_ns};
    claim_json(obj, &c, is_stale, beat);
    return obj;
}

/* Long-running services that may write no region: seen by their event ring,
 * which they hold while they run (plc-web and plcctl open theirs per post). */
static const enum plc_event_source ring_services[] = {
    PLC_SOURCE_IO,
    PLC_SOURCE_LOGIC,
    PLC_SOURCE_MODBUS,
    PLC_SOURCE_RETAIN,
};

/* Service @p source by its event ring's claim, or NULL when it has no ring. */
static json_object *ring_service_json(const struct plc_layout *l, const char *base,
                                      enum plc_event_source source)
{
    char path[PATH_MAX];
    struct plc_event_ring_writer w;
    if (plc_event_ring_path(l, base, source, path, sizeof(path)) < 0)
        return NULL;
    struct plc_event_ring *ring =
        plc_event_ring_open(path, PLC_READER, plc_layout_get_hash(l), NULL);
    if (!ring)
        return NULL;
    plc_event_ring_get_writer(ring, &w);
    struct claim c = {w.pid, w.alive, w.holder, w.claims, plc_event_ring_get_id(ring)};
    plc_event_ring_close(ring);
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "name", json_object_new_string(plc_event_source_name(source)));
    json_object_object_add(obj, "regions", json_object_new_array());
    claim_json(obj, &c, false, -1);
    return obj;
}

/* The first region @p service writes, or NULL. */
static const struct plc_region_def *region_of(const struct plc_layout *l, const char *service)
{
    for (size_t i = 0; i < plc_layout_region_count(l); i++)
        if (strcmp(plc_layout_region_at(l, i)->writer, service) == 0)
            return plc_layout_region_at(l, i);
    return NULL;
}

json_object *web_services_json(const struct plc_layout *l, const char *base)
{
    json_object *rows = json_object_new_array(), *row;
    for (size_t i = 0; i < plc_layout_region_count(l); i++) {
        const char *w = plc_layout_region_at(l, i)->writer;
        size_t k = 0;
        while (k < i && strcmp(plc_layout_region_at(l, k)->writer, w) != 0)
            k++;
        if (k == i) /* the first region this service writes */
            json_object_array_add(rows, service_json(l, base, i));
    }
    for (size_t i = 0; i < sizeof(ring_services) / sizeof(ring_services[0]); i++)
        if (!region_of(l, plc_event_source_name(ring_services[i])) &&
            (row = ring_service_json(l, base, ring_services[i])))
            json_object_array_add(rows, row);
    return rows;
}

/* ---- outputs: safe or following ------------------------------------------------- */

static bool alive(const struct plc_layout *l, const char *base, const struct plc_region_def *def)
{
    struct plc_region *r = plc_region_attach(l, base, def->name, PLC_READER, NULL, NULL);
    bool yes = r && plc_region_writer_alive(r) == 1;
    plc_region_detach(r);
    return yes;
}

/* plc-io's last word on the outputs: the newest start, stop, safe or following
 * record in its ring; 0 when there is none. */
static int last_io_word(const struct plc_layout *l, const char *base, struct plc_event *last)
{
    char path[PATH_MAX];
    if (plc_event_ring_path(l, base, PLC_SOURCE_IO, path, sizeof(path)) < 0)
        return 0;
    struct plc_event_ring *ring =
        plc_event_ring_open(path, PLC_READER, plc_layout_get_hash(l), NULL);
    if (!ring)
        return 0;
    struct plc_event ev;
    uint64_t cursor = 0;
    int rc, found = 0;
    while ((rc = plc_event_ring_read(ring, &cursor, &ev, NULL)) != 0) {
        if (rc < 0)
            continue;
        if (ev.kind == PLC_EVENT_SERVICE_START || ev.kind == PLC_EVENT_SERVICE_STOP ||
            ev.kind == PLC_EVENT_OUTPUTS_SAFE || ev.kind == PLC_EVENT_OUTPUTS_FOLLOWING) {
            *last = ev;
            found = 1;
        }
    }
    plc_event_ring_close(ring);
    return found;
}

/* "outputs": following, safe or unknown; "outputs_reason"; "outputs_since". */
static void outputs_json(const struct plc_layout *l, const char *base, bool faulted,
                         const char *cause, json_object *obj)
{
    const struct plc_region_def *io = region_of(l, "io");
    struct plc_event ev;
    char reason[128];
    const char *state = "unknown";
    int64_t since = -1;
    bool said = last_io_word(l, base, &ev) == 1;
    if (said)
        since = ev.realtime_ns;
    if (!io) {
        snprintf(reason, sizeof(reason), "no region is written by plc-io in this layout");
    } else if (!alive(l, base, io)) {
        bool stopped = said && ev.kind == PLC_EVENT_SERVICE_STOP;
        state = stopped ? "safe" : "unknown";
        snprintf(reason, sizeof(reason), "%s",
                 stopped ? "plc-io stopped and left them safe" : "plc-io is not running");
    } else if (!said) {
        snprintf(reason, sizeof(reason), "plc-io has said nothing in its event ring");
    } else if (ev.kind == PLC_EVENT_OUTPUTS_FOLLOWING && faulted) {
        state = "safe";
        snprintf(reason, sizeof(reason), "plc-logic faulted (%s): it publishes safe values",
                 cause);
    } else if (ev.kind == PLC_EVENT_OUTPUTS_FOLLOWING) {
        state = "following";
        snprintf(reason, sizeof(reason), "%.*s", (int)sizeof(ev.text), ev.text);
    } else {
        state = "safe";
        snprintf(reason, sizeof(reason), "%.*s",
                 (int)sizeof(ev.text), ev.kind == PLC_EVENT_OUTPUTS_SAFE
                                           ? ev.text
                                           : "plc-io started: safe until the logic runs");
    }
    json_object_object_add(obj, "outputs", json_object_new_string(state));
    json_object_object_add(obj, "outputs_reason", json_object_new_string(reason));
    char when[48];
    if (since >= 0)
        web_format_time(since, when, sizeof(when));
    json_object_object_add(obj, "outputs_since", since >= 0 ? json_object_new_string(when) : NULL);
}

/* ---- /api/scan ------------------------------------------------------------------ */

/* Per-task tags are task_<task><suffix>. */
static const char *const task_suffixes[] = {"_scan_time_last_us", "_scan_time_max_us",
                                            "_scan_time_mean_us", "_runs", "_overruns"};

static void task_json(const char *tag, json_object *value, json_object *tasks)
{
    size_t n = strlen(tag);
    for (size_t k = 0; k < sizeof(task_suffixes) / sizeof(task_suffixes[0]); k++) {
        size_t m = strlen(task_suffixes[k]);
        if (n <= 5 + m || strcmp(tag + n - m, task_suffixes[k]) != 0)
            continue;
        char name[64];
        snprintf(name, sizeof(name), "%.*s", (int)(n - 5 - m), tag + 5);
        json_object *task = NULL;
        for (size_t i = 0; i < json_object_array_length(tasks) && !task; i++) {
            json_object *t = json_object_array_get_idx(tasks, i), *tn;
            if (json_object_object_get_ex(t, "name", &tn) &&
                strcmp(json_object_get_string(tn), name) == 0)
                task = t;
        }
        if (!task) {
            task = json_object_new_object();
            json_object_object_add(task, "name", json_object_new_string(name));
            json_object_array_add(tasks, task);
        }
        json_object_object_add(task, task_suffixes[k] + 1, value);
        return;
    }
    json_object_put(value);
}

json_object *web_scan_json(const struct plc_layout *l, const char *base, struct web_snapshot *snap,
                           unsigned *status)
{
    const struct plc_region_def *def = plc_layout_get_logic(l)->diagnostics;
    if (!def) {
        *status = 404;
        return web_error_json("layout '%s' has no diagnostics region ([logic] diagnostics)",
                              plc_layout_get_name(l));
    }
    json_object *obj = json_object_new_object(), *tasks = json_object_new_array();
    int64_t fault_state = -1, cause = -1;
    json_object_object_add(obj, "region", json_object_new_string(def->name));
    for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++) {
        const char *name = plc_layout_tag_at(l, i)->name;
        json_object *v = web_snapshot_value(snap, i);
        if (strncmp(name, "task_", 5) == 0) {
            task_json(name, v, tasks);
            continue;
        }
        if (strcmp(name, "period_us") == 0)
            json_object_object_add(obj, "period_ms",
                                   v ? json_object_new_double(json_object_get_double(v) / 1000)
                                     : NULL);
        if (strcmp(name, "fault_state") == 0 && v)
            fault_state = json_object_get_int64(v);
        if (strcmp(name, "fault_cause") == 0 && v)
            cause = json_object_get_int64(v);
        json_object_object_add(obj, name, v);
    }
    static const char *const states[] = {"running", "faulted", "restarting"};
    const char *cause_name = cause >= 0 ? plc_fault_cause_name((enum plc_fault_cause)cause) : "?";
    json_object_object_add(obj, "fault",
                           fault_state >= 0 && fault_state < 3
                               ? json_object_new_string(states[fault_state])
                               : NULL);
    json_object_object_add(obj, "cause", cause >= 0 ? json_object_new_string(cause_name) : NULL);
    json_object_object_add(obj, "tasks", tasks);
    outputs_json(l, base, fault_state == 1, cause_name, obj);
    return obj;
}
