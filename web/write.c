/* SPDX-License-Identifier: MIT */
/*
 * What a logged-in operator may do through plc-web (docs/web.md): set a
 * parameter, send a command, acknowledge the alarms, and (engineers) force
 * and unforce. plc-web writes no region itself: parameters and command
 * counters go to the Modbus gateway as a Modbus TCP client, so the gateway's
 * range checks, atomicity and word order apply as for SCADA; forces go into
 * the forcing table as plcctl's do. Every write is an event in plc-web's own
 * ring naming the user; every refusal a line on stderr with the reason.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "internal.h"
#include "plc-force.h"
#include "plc-modbus.h"

/* How long a command waits for the program's acknowledgement. */
#define ACK_WAIT_MS 2000
#define ACK_POLL_MS 10
/* Well-formed, but not a value the tag takes (out of limits, wrong type). */
#define HTTP_UNPROCESSABLE 422u

struct web_operate {
    const struct plc_layout *layout;
    const char *base;
    struct web_snapshot *snap;
    struct web_auth *auth;
    char modbus[128];       /* the gateway's --modbus HOST:PORT, "" = from [modbus] */
    pthread_mutex_t counter_lock; /* a counter's read and write, as one */
    pthread_mutex_t force_lock;   /* the forcing table's writer claim is this process's */
    pthread_mutex_t event_lock;   /* a ring has one writer: one thread at a time */
};

/* One request: who asks, for the answers and the log. */
struct ask {
    struct web_operate *op;
    struct MHD_Connection *conn;
    const char *method, *url;
    struct web_session who;
};

/* Answer @p status with the message, and log the refusal with who asked. */
static enum MHD_Result refuse(const struct ask *q, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum MHD_Result refuse(const struct ask *q, unsigned status, const char *fmt, ...)
{
    char msg[600], addr[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    web_client_address(q->conn, addr, sizeof(addr));
    char line[1024];
    snprintf(line, sizeof(line), "refused %s %s from %s%s%s: %u %s", q->method, q->url, addr,
             q->who.user[0] ? " user " : "", q->who.user, status, msg);
    web_log(line);
    return web_send_error(q->conn, status, NULL, "%s", msg);
}

/* One event in plc-web's ring (events-web), opened for it as plcctl does for
 * its own: a second plc-web on another port posts to the same ring. */
static void post(struct web_operate *op, enum plc_event_kind kind, const char *name,
                 double before, double after, const char *text)
{
    char path[4096];
    struct plc_diag diag = {0};
    struct plc_event_ring *ring = NULL;
    pthread_mutex_lock(&op->event_lock);
    if (plc_event_ring_path(op->layout, op->base, PLC_SOURCE_WEB, path, sizeof(path)) == 0)
        ring = plc_event_ring_open(path, PLC_WRITER, plc_layout_get_hash(op->layout), &diag);
    int rc = ring ? plc_event_ring_post(ring, PLC_SOURCE_WEB, kind, LOG_NOTICE, name, before,
                                        after, "%s", text)
                  : -1;
    plc_event_ring_close(ring);
    pthread_mutex_unlock(&op->event_lock);
    fprintf(stderr, "plc-web: %s\n", text);
    if (rc < 0)
        fprintf(stderr, "plc-web: the event was not recorded: %s\n",
                diag.msg[0] ? diag.msg : plc_strerror(errno));
}

/* ---- the tags an operator may touch --------------------------------------- */

static bool unsigned_type(enum plc_type t)
{
    return t == PLC_TYPE_UINT8 || t == PLC_TYPE_UINT16 || t == PLC_TYPE_UINT32 ||
           t == PLC_TYPE_UINT64;
}

static bool integer_type(enum plc_type t)
{
    return t != PLC_TYPE_BOOL && t != PLC_TYPE_FLOAT32 && t != PLC_TYPE_FLOAT64;
}

/* A request counter: cmd_..., or the [logic] reset_command or alarm_ack. */
static bool is_command(const struct plc_layout *l, const struct plc_tag_def *tag)
{
    const struct plc_logic_def *logic = plc_layout_get_logic(l);
    return plc_tag_gateway_writable(tag) && integer_type(tag->type) &&
           tag->modbus.table == PLC_MODBUS_HOLDING_REGISTER &&
           (strncmp(tag->name, "cmd_", 4) == 0 || tag == logic->reset_command ||
            tag == logic->alarm_ack);
}

/* The tag that says a counter was acted on: alarm_ack_done for the alarms', ack_X for cmd_X. */
static const struct plc_tag_def *ack_of(const struct plc_layout *l, const struct plc_tag_def *cmd)
{
    if (cmd == plc_layout_get_logic(l)->alarm_ack)
        return plc_layout_alarm_region_tag(l, PLC_ALARM_TAG_ACK_DONE);
    char name[PLC_TAG_NAME_MAX + 8];
    if (strncmp(cmd->name, "cmd_", 4) != 0)
        return NULL;
    snprintf(name, sizeof(name), "ack_%s", cmd->name + 4);
    return plc_layout_find_tag(l, name);
}

static size_t tag_index(const struct plc_layout *l, const struct plc_tag_def *tag)
{
    size_t i = 0;
    while (plc_layout_tag_at(l, i) != tag)
        i++;
    return i;
}

/* ---- the gateway, as a Modbus TCP client ----------------------------------- */

/* A connection to the gateway (modbus/client.c), or NULL with the answer (503) sent. */
static struct plc_modbus_client *gateway(const struct ask *q, enum MHD_Result *rc)
{
    struct web_operate *op = q->op;
    struct plc_diag d = {0};
    struct plc_modbus_client *c =
        plc_modbus_client_new(op->layout, op->modbus[0] ? op->modbus : NULL, &d);
    if (c && plc_modbus_client_connect(c, &d) == 0)
        return c;
    plc_modbus_client_free(c);
    *rc = refuse(q, MHD_HTTP_SERVICE_UNAVAILABLE, "%s", d.msg);
    return NULL;
}

/* The answer to a failed read or write: 422 when the gateway refused the value. */
static enum MHD_Result gateway_failed(const struct ask *q, int err, const struct plc_diag *d)
{
    return refuse(q, plc_modbus_client_refused_value(err) ? HTTP_UNPROCESSABLE
                                                            : MHD_HTTP_BAD_GATEWAY,
                  "%s", d->msg);
}

/* ---- values from JSON -------------------------------------------------------- */

static json_object *member(json_object *body, const char *key)
{
    json_object *v = NULL;
    return body && json_object_is_type(body, json_type_object) &&
                   json_object_object_get_ex(body, key, &v)
               ? v
               : NULL;
}

/* The text of a JSON scalar as the tag parsers take it: "85", "2.5", "true", a string's content. */
static const char *value_text(json_object *v)
{
    if (!v || json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
        return NULL;
    return json_object_is_type(v, json_type_string) ? json_object_get_string(v)
                                                     : json_object_to_json_string(v);
}

/* A value for @p tag within its layout limits, or -1 with the 422 sent. */
static int parse_value(const struct ask *q, const struct plc_tag_def *tag, json_object *body,
                       struct plc_value *v, enum MHD_Result *rc)
{
    const char *text = value_text(member(body, "value"));
    struct plc_diag d = {0};
    if (!text) {
        *rc = refuse(q, HTTP_UNPROCESSABLE, "tag '%s': the body is {\"value\": V}, V a %s",
                     tag->name, plc_type_name(tag->type));
        return -1;
    }
    if (plc_modbus_parse_value(tag, text, v, &d) < 0) {
        *rc = refuse(q, HTTP_UNPROCESSABLE, "%s", d.msg);
        return -1;
    }
    return 0;
}

/* The tag named by the rest of the URL, or NULL with the 404 sent. */
static const struct plc_tag_def *find_tag(const struct ask *q, const char *name,
                                          enum MHD_Result *rc)
{
    const struct plc_tag_def *tag = plc_layout_find_tag(q->op->layout, name);
    if (!tag)
        *rc = refuse(q, MHD_HTTP_NOT_FOUND, "unknown tag '%s' in layout '%s'", name,
                     plc_layout_get_name(q->op->layout));
    return tag;
}

static json_object *value_json(const struct plc_tag_def *tag, const struct plc_value *v)
{
    unsigned char bytes[8] = {0};
    plc_value_store(tag->type, v, bytes);
    return web_value_json(tag->type, bytes);
}

/* @p tag when the gateway writes it, or NULL with the 404 or 403 sent. */
static const struct plc_tag_def *writable(const struct ask *q, const struct plc_tag_def *tag,
                                          const char *name, enum MHD_Result *rc)
{
    if (!tag && !(tag = find_tag(q, name, rc)))
        return NULL;
    struct plc_diag d = {0};
    if (plc_modbus_check_writable(tag, &d) == 0)
        return tag;
    *rc = refuse(q, MHD_HTTP_FORBIDDEN, "%s", d.msg);
    return NULL;
}

/* ---- POST /api/tags/NAME ------------------------------------------------------- */

static enum MHD_Result set_parameter(const struct ask *q, const char *name, json_object *body)
{
    enum MHD_Result rc;
    const struct plc_tag_def *tag = writable(q, NULL, name, &rc);
    if (!tag)
        return rc;
    struct plc_value v, before;
    if (parse_value(q, tag, body, &v, &rc) < 0)
        return rc;
    struct plc_modbus_client *ctx = gateway(q, &rc);
    struct plc_diag d = {0};
    if (!ctx)
        return rc;
    if (plc_modbus_client_read_tag(ctx, tag, &before, &d) < 0 ||
        plc_modbus_client_write_tag(ctx, tag, &v, &d) < 0) {
        rc = gateway_failed(q, errno, &d);
    } else {
        char a[48], b[48], text[256];
        plc_value_format(tag->type, &before, a, sizeof(a));
        plc_value_format(tag->type, &v, b, sizeof(b));
        snprintf(text, sizeof(text), "web user %s set %s %s -> %s", q->who.user, tag->name, a, b);
        post(q->op, PLC_EVENT_MODBUS_WRITE, tag->name, plc_value_to_double(tag->type, &before),
             plc_value_to_double(tag->type, &v), text);
        json_object *obj = json_object_new_object();
        json_object_object_add(obj, "tag", json_object_new_string(tag->name));
        json_object_object_add(obj, "before", value_json(tag, &before));
        json_object_object_add(obj, "value", value_json(tag, &v));
        rc = web_send_json(q->conn, MHD_HTTP_OK, obj, NULL);
    }
    plc_modbus_client_free(ctx);
    return rc;
}

/* ---- POST /api/commands/NAME, POST /api/alarms/ack -------------------------------- */

/* Whether the snapshot shows @p ack at @p counter within ACK_WAIT_MS. */
static bool acknowledged(struct web_operate *op, const struct plc_tag_def *ack,
                         const struct plc_tag_def *cmd, const struct plc_value *counter)
{
    size_t i = tag_index(op->layout, ack);
    uint64_t want = unsigned_type(cmd->type) ? counter->u : (uint64_t)counter->i;
    for (int waited = 0; waited <= ACK_WAIT_MS; waited += ACK_POLL_MS) {
        json_object *v = web_snapshot_value(op->snap, i);
        bool done = v && json_object_is_type(v, json_type_int) &&
                    (uint64_t)json_object_get_int64(v) == want;
        json_object_put(v);
        if (done)
            return true;
        nanosleep(&(struct timespec){0, ACK_POLL_MS * 1000000L}, NULL);
    }
    return false;
}

static enum MHD_Result send_command(const struct ask *q, const struct plc_tag_def *tag)
{
    struct web_operate *op = q->op;
    enum MHD_Result rc;
    struct plc_modbus_client *ctx = gateway(q, &rc);
    struct plc_diag d = {0};
    if (!ctx)
        return rc;
    struct plc_value before, counter;
    /* One read and write at a time, so two clicks at once are two requests. */
    pthread_mutex_lock(&op->counter_lock);
    int ok = plc_modbus_client_read_tag(ctx, tag, &before, &d);
    if (ok == 0) {
        counter = before;
        if (plc_value_cmp(tag->type, &before, &tag->max_v) >= 0)
            counter = tag->min_v; /* counters wrap */
        else if (unsigned_type(tag->type))
            counter.u++;
        else
            counter.i++;
        ok = plc_modbus_client_write_tag(ctx, tag, &counter, &d) == 0 ? 1 : -1;
    }
    int err = errno;
    pthread_mutex_unlock(&op->counter_lock);
    plc_modbus_client_free(ctx);
    if (ok <= 0)
        return gateway_failed(q, err, &d);

    bool alarms = tag == plc_layout_get_logic(op->layout)->alarm_ack;
    char text[256], n[48];
    plc_value_format(tag->type, &counter, n, sizeof(n));
    if (alarms)
        snprintf(text, sizeof(text), "web user %s acked alarms (%s %s)", q->who.user,
                 tag->name, n);
    else
        snprintf(text, sizeof(text), "web user %s sent %s (counter %s)", q->who.user, tag->name,
                 n);
    post(op, alarms ? PLC_EVENT_ALARM_ACKED : PLC_EVENT_MODBUS_WRITE, tag->name,
         plc_value_to_double(tag->type, &before), plc_value_to_double(tag->type, &counter), text);

    const struct plc_tag_def *ack = ack_of(op->layout, tag);
    bool done = ack && acknowledged(op, ack, tag, &counter);
    if (ack && !done)
        return refuse(q, MHD_HTTP_GATEWAY_TIMEOUT,
                      "command '%s' (counter %s) was not acknowledged in '%s' within %d s: is "
                      "plc-logic running?",
                      tag->name, n, ack->name, ACK_WAIT_MS / 1000);
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "command", json_object_new_string(tag->name));
    json_object_object_add(obj, "counter", value_json(tag, &counter));
    /* null: the layout has no tag that acknowledges this counter */
    json_object_object_add(obj, "acknowledged", ack ? json_object_new_boolean(1) : NULL);
    return web_send_json(q->conn, MHD_HTTP_OK, obj, NULL);
}

static enum MHD_Result command(const struct ask *q, const char *name)
{
    enum MHD_Result rc;
    const struct plc_tag_def *tag = writable(q, NULL, name, &rc);
    if (!tag)
        return rc;
    if (!is_command(q->op->layout, tag))
        return refuse(q, HTTP_UNPROCESSABLE,
                      "tag '%s' is no command: commands are integer request counters named "
                      "cmd_..., or [logic] reset_command or alarm_ack",
                      tag->name);
    return send_command(q, tag);
}

static enum MHD_Result alarm_ack(const struct ask *q)
{
    const struct plc_tag_def *tag = plc_layout_get_logic(q->op->layout)->alarm_ack;
    enum MHD_Result rc;
    if (!tag)
        return refuse(q, MHD_HTTP_NOT_FOUND, "layout '%s' has no [logic] alarm_ack",
                      plc_layout_get_name(q->op->layout));
    return writable(q, tag, NULL, &rc) ? send_command(q, tag) : rc;
}

/* ---- forces ------------------------------------------------------------------------ */

/* "for": "10m" within [logic] force_max, "forever" where force_max is; absent: force_timeout. */
static int parse_for(const struct ask *q, json_object *body, int64_t now, int64_t *until,
                     enum MHD_Result *rc)
{
    const struct plc_logic_def *logic = plc_layout_get_logic(q->op->layout);
    json_object *v = member(body, "for");
    const char *text = v ? json_object_get_string(v) : NULL;
    uint32_t s = logic->force_timeout_s;
    struct plc_diag diag;
    if (v && (!json_object_is_type(v, json_type_string))) {
        *rc = refuse(q, HTTP_UNPROCESSABLE, "\"for\" is a duration as text: \"90s\", \"30min\", \"8h\"");
        return -1;
    }
    if (text && strcmp(text, "forever") == 0) {
        if (logic->force_max_s) {
            *rc = refuse(q, HTTP_UNPROCESSABLE, "\"for\": forever: the layout's [logic] force_max is not forever");
            return -1;
        }
        *until = PLC_FORCE_FOREVER;
        return 0;
    }
    if (text && plc_duration_parse_s(text, 1,
                                     logic->force_max_s ? logic->force_max_s
                                                        : PLC_LOGIC_FORCE_MAX_MAX_S,
                                     "\"for\"", &s, &diag) < 0) {
        *rc = refuse(q, HTTP_UNPROCESSABLE, "%s ([logic] force_max)", diag.msg);
        return -1;
    }
    *until = now + (int64_t)s * 1000000000;
    return 0;
}

static struct plc_force_table *forces_writer(const struct ask *q, enum MHD_Result *rc)
{
    struct plc_diag diag;
    struct plc_force_table *t =
        plc_force_table_open(q->op->layout, q->op->base, PLC_WRITER, &diag);
    if (!t)
        *rc = refuse(q, errno == PLC_EHELD ? MHD_HTTP_CONFLICT : MHD_HTTP_SERVICE_UNAVAILABLE,
                     "%s", diag.msg);
    return t;
}

static enum MHD_Result force(const struct ask *q, const char *name, json_object *body)
{
    struct web_operate *op = q->op;
    enum MHD_Result rc;
    struct plc_diag diag;
    struct plc_force f = {.uid = (uint32_t)getuid()};
    if (!(f.tag = find_tag(q, name, &rc)))
        return rc;
    if (!plc_force_tag_check(f.tag, &diag))
        return refuse(q, MHD_HTTP_FORBIDDEN, "%s", diag.msg);
    const char *text = value_text(member(body, "value"));
    if (!text)
        return refuse(q, HTTP_UNPROCESSABLE, "tag '%s': the body is {\"value\": V, \"for\": \"10min\"}",
                      f.tag->name);
    if (plc_force_value_parse(f.tag, text, &f.value, &diag) < 0)
        return refuse(q, HTTP_UNPROCESSABLE, "%s", diag.msg);
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    f.since_ns = (int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec;
    if (parse_for(q, body, f.since_ns, &f.until_ns, &rc) < 0)
        return rc;
    snprintf(f.user, sizeof(f.user), "%s", q->who.user);

    pthread_mutex_lock(&op->force_lock);
    struct plc_force_table *t = forces_writer(q, &rc);
    int set = t ? plc_force_table_set(t, &f) : 0, err = errno;
    plc_force_table_close(t);
    pthread_mutex_unlock(&op->force_lock);
    if (!t)
        return rc;
    if (set < 0)
        return refuse(q, err == ENOSPC ? MHD_HTTP_CONFLICT : MHD_HTTP_INTERNAL_SERVER_ERROR,
                      "tag '%s': %s", f.tag->name,
                      err == ENOSPC ? "as many tags as can be are forced already"
                                    : plc_strerror(err));
    char value[48], msg[256];
    plc_value_format(f.tag->type, &f.value, value, sizeof(value));
    snprintf(msg, sizeof(msg), "web user %s forced %s to %s", q->who.user, f.tag->name, value);
    post(op, PLC_EVENT_FORCE_ON, f.tag->name, 0, plc_value_to_double(f.tag->type, &f.value), msg);
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "tag", json_object_new_string(f.tag->name));
    json_object_object_add(obj, "value", value_json(f.tag, &f.value));
    json_object_object_add(obj, "for_s",
                           f.until_ns == PLC_FORCE_FOREVER
                               ? NULL
                               : json_object_new_int64((f.until_ns - f.since_ns) / 1000000000));
    return web_send_json(q->conn, MHD_HTTP_OK, obj, NULL);
}

static enum MHD_Result unforce(const struct ask *q, const char *name)
{
    struct web_operate *op = q->op;
    enum MHD_Result rc;
    const struct plc_tag_def *tag = find_tag(q, name, &rc);
    if (!tag)
        return rc;
    struct plc_force released;
    pthread_mutex_lock(&op->force_lock);
    struct plc_force_table *t = forces_writer(q, &rc);
    int n = t ? plc_force_table_clear(t, tag, &released, 1) : 0;
    plc_force_table_close(t);
    pthread_mutex_unlock(&op->force_lock);
    if (!t)
        return rc;
    if (n <= 0)
        return refuse(q, MHD_HTTP_NOT_FOUND, "tag '%s' is not forced", tag->name);
    char msg[160];
    snprintf(msg, sizeof(msg), "web user %s released %s", q->who.user, tag->name);
    post(op, PLC_EVENT_FORCE_OFF, tag->name, plc_value_to_double(tag->type, &released.value), 0,
         msg);
    json_object *obj = json_object_new_object();
    json_object_object_add(obj, "tag", json_object_new_string(tag->name));
    json_object_object_add(obj, "released", json_object_new_boolean(1));
    return web_send_json(q->conn, MHD_HTTP_OK, obj, NULL);
}

/* GET /api/forces: what is forced now, by whom, until when (CLOCK_REALTIME seconds). */
static json_object *forces_json(struct web_operate *op)
{
    json_object *rows = json_object_new_array();
    struct plc_force_table *t = plc_force_table_open(op->layout, op->base, PLC_READER, NULL);
    struct plc_force f[PLC_FORCE_CAPACITY];
    int n = t ? plc_force_table_list(t, 0, f) : 0;
    plc_force_table_close(t);
    for (int i = 0; i < n; i++) {
        json_object *row = json_object_new_object();
        json_object_object_add(row, "tag", json_object_new_string(f[i].tag->name));
        json_object_object_add(row, "value", value_json(f[i].tag, &f[i].value));
        json_object_object_add(row, "by", json_object_new_string(f[i].user));
        json_object_object_add(row, "since", json_object_new_int64(f[i].since_ns / 1000000000));
        json_object_object_add(row, "until", f[i].until_ns == PLC_FORCE_FOREVER
                                                 ? NULL
                                                 : json_object_new_int64(f[i].until_ns /
                                                                         1000000000));
        json_object_array_add(rows, row);
    }
    return rows;
}

/* GET /api/operate: what the page offers, from the layout. */
static json_object *operate_json(struct web_operate *op)
{
    const struct plc_layout *l = op->layout;
    const struct plc_tag_def *ack = plc_layout_get_logic(l)->alarm_ack;
    json_object *obj = json_object_new_object(), *params = json_object_new_array(),
                *cmds = json_object_new_array(), *forcible = json_object_new_array();
    for (size_t i = 0; i < plc_layout_tag_count(l); i++) {
        const struct plc_tag_def *tag = plc_layout_tag_at(l, i);
        if (is_command(l, tag)) {
            if (tag != ack)
                json_object_array_add(cmds, json_object_new_string(tag->name));
        } else if (plc_tag_gateway_writable(tag)) {
            json_object *p = json_object_new_object();
            json_object_object_add(p, "name", json_object_new_string(tag->name));
            json_object_object_add(p, "type", json_object_new_string(plc_type_name(tag->type)));
            json_object_object_add(p, "unit", json_object_new_string(tag->unit));
            json_object_object_add(p, "min", value_json(tag, &tag->min_v));
            json_object_object_add(p, "max", value_json(tag, &tag->max_v));
            json_object_array_add(params, p);
        }
        if (plc_force_tag_check(tag, NULL))
            json_object_array_add(forcible, json_object_new_string(tag->name));
    }
    json_object_object_add(obj, "parameters", params);
    json_object_object_add(obj, "commands", cmds);
    json_object_object_add(obj, "alarm_ack", ack ? json_object_new_string(ack->name) : NULL);
    json_object_object_add(obj, "forcible", forcible);
    return obj;
}

/* ---- routing ------------------------------------------------------------------------- */

struct web_operate *web_operate_new(const struct plc_layout *layout, const char *base,
                                    const struct plc_web_config *cfg, struct web_snapshot *snap,
                                    struct plc_diag *diag)
{
    struct web_operate *op = calloc(1, sizeof(*op));
    if (!op)
        return NULL;
    op->layout = layout;
    op->base = base;
    op->snap = snap;
    pthread_mutex_init(&op->counter_lock, NULL);
    pthread_mutex_init(&op->force_lock, NULL);
    pthread_mutex_init(&op->event_lock, NULL);
    /* Checked here, so a bad --modbus stops plc-web at start rather than each write. */
    struct plc_modbus_client *check = plc_modbus_client_new(layout, cfg->modbus, diag);
    if (!check || snprintf(op->modbus, sizeof(op->modbus), "%s",
                           cfg->modbus ? cfg->modbus : "") >= (int)sizeof(op->modbus)) {
        if (check)
            plc_diag_fail(diag, NULL, EINVAL, "--modbus '%s' is not HOST:PORT", cfg->modbus);
        plc_modbus_client_free(check);
        web_operate_free(op);
        return NULL;
    }
    plc_modbus_client_free(check);
    if (!(op->auth = web_auth_new(cfg, diag))) {
        web_operate_free(op);
        return NULL;
    }
    return op;
}

void web_operate_free(struct web_operate *op)
{
    if (!op)
        return;
    web_auth_free(op->auth);
    pthread_mutex_destroy(&op->counter_lock);
    pthread_mutex_destroy(&op->force_lock);
    pthread_mutex_destroy(&op->event_lock);
    free(op);
}

static bool prefixed(const char *url, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(url, prefix, n) != 0 || !url[n])
        return false;
    *rest = url + n;
    return true;
}

/* Whether plc-web's operator paths include @p url (for which the body is read as JSON). */
static bool operator_path(const char *url, const char *method)
{
    static const char *const exact[] = {"/api/login", "/api/logout", "/api/session",
                                        "/api/operate", "/api/alarms/ack", "/api/forces"};
    const char *rest;
    for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++)
        if (strcmp(url, exact[i]) == 0)
            return true;
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    return prefixed(url, "/api/commands/", &rest) || prefixed(url, "/api/forces/", &rest) ||
           (!get && prefixed(url, "/api/tags/", &rest));
}

/* A write by the user of a session with at least @p need; 0 with *rc sent otherwise. */
static int authorised(struct ask *q, enum plc_web_role need, enum MHD_Result *rc)
{
    char why[200];
    unsigned status = web_auth_check(q->op->auth, q->conn, need, &q->who, why, sizeof(why));
    if (status)
        *rc = refuse(q, status, "%s", why);
    return status == 0;
}

int web_operate_route(struct web_operate *op, struct MHD_Connection *conn, const char *url,
                      const char *method, const char *body, size_t len, enum MHD_Result *rc)
{
    if (!operator_path(url, method))
        return 0;
    struct ask q = {.op = op, .conn = conn, .method = method, .url = url};
    json_object *json = NULL;
    if (len && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        struct json_tokener *tok = json_tokener_new();
        if (!tok) {
            *rc = MHD_NO;
            return 1;
        }
        json = json_tokener_parse_ex(tok, body, (int)len);
        enum json_tokener_error e = json_tokener_get_error(tok);
        size_t at = json_tokener_get_parse_end(tok);
        json_tokener_free(tok);
        if (!json || e != json_tokener_success || at != len) {
            json_object_put(json);
            *rc = refuse(&q, MHD_HTTP_BAD_REQUEST, "request body is not JSON: %s at byte %zu",
                         e == json_tokener_success ? "text after the value"
                         : e == json_tokener_continue ? "it ends too soon"
                                                      : json_tokener_error_desc(e),
                         at);
            return 1;
        }
    }
    const char *rest;
    if (web_auth_route(op->auth, conn, url, method, json, rc)) {
    } else if (strcmp(url, "/api/operate") == 0) {
        if (web_method_allowed(conn, url, method, "GET, HEAD", rc))
            *rc = web_send_json(conn, MHD_HTTP_OK, operate_json(op), NULL);
    } else if (strcmp(url, "/api/forces") == 0) {
        if (web_method_allowed(conn, url, method, "GET, HEAD", rc))
            *rc = web_send_json(conn, MHD_HTTP_OK, forces_json(op), NULL);
    } else if (prefixed(url, "/api/tags/", &rest)) {
        if (web_method_allowed(conn, url, method, "GET, HEAD, POST", rc) &&
            authorised(&q, PLC_WEB_ROLE_OPERATOR, rc))
            *rc = set_parameter(&q, rest, json);
    } else if (prefixed(url, "/api/commands/", &rest)) {
        if (web_method_allowed(conn, url, method, "POST", rc) &&
            authorised(&q, PLC_WEB_ROLE_OPERATOR, rc))
            *rc = command(&q, rest);
    } else if (strcmp(url, "/api/alarms/ack") == 0) {
        if (web_method_allowed(conn, url, method, "POST", rc) &&
            authorised(&q, PLC_WEB_ROLE_OPERATOR, rc))
            *rc = alarm_ack(&q);
    } else if (prefixed(url, "/api/forces/", &rest)) {
        bool del = strcmp(method, "DELETE") == 0;
        if (web_method_allowed(conn, url, method, "POST, DELETE", rc) &&
            authorised(&q, PLC_WEB_ROLE_ENGINEER, rc))
            *rc = del ? unforce(&q, rest) : force(&q, rest, json);
    }
    json_object_put(json);
    return 1;
}
