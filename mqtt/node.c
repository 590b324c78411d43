/* SPDX-License-Identifier: MIT */
/*
 * The edge node: the layout's regions as a Sparkplug B 3.0 edge node on
 * libmosquitto (docs/mqtt.md). One thread does everything: it polls the
 * regions and the event rings, runs libmosquitto's network loop, and owns
 * the store, seq and bdSeq, so the order of changes, the seq of messages and
 * the store need no locks. The regions are polled rather than waited on: one
 * thread cannot sleep in plc_region_wait() on several regions and in the
 * socket at once, and a thread per region would have to hand every change to
 * the MQTT thread through a lock anyway. The poll costs one
 * plc_region_wait(0) per region per POLL_NS (a load of the change counter);
 * a region is read only when it changed. The scan statistics, which change
 * every scan, are read at most once a second, as plc-web does. What the host
 * sends (commands, writes, its STATE) is commands.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <mosquitto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "plc-event-history.h"
#include "plc-event.h"
#include "plc-modbus.h"
#include "plc.h"

/* ---- time and logging ---------------------------------------------------------------- */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

uint64_t mqtt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void mqtt_say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("plc-mqtt: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* An event in plc-mqtt's own ring (events-mqtt), which it publishes like the others. */
void mqtt_post(struct plc_mqtt_node *n, int severity, const char *name, double before,
                 double after, const char *text)
{
    if (n->own && plc_event_ring_post(n->own, PLC_SOURCE_MQTT, PLC_EVENT_MODBUS_WRITE, severity,
                                      name, before, after, "%s", text) < 0)
        mqtt_say("the event was not recorded: %s", plc_strerror(errno));
}

/* ---- topics and publishing ----------------------------------------------------------- */

void mqtt_topic(const struct plc_mqtt_node *n, char *buf, size_t len, const char *type,
                  const char *device)
{
    snprintf(buf, len, NS "/%s/%s/%s%s%s", n->group, type, n->edge, device ? "/" : "",
             device ? device : "");
}

/* Encode and publish with QoS 1; the message's id in *mid. 0, or -1 (logged). */
static int publish(struct plc_mqtt_node *n, const char *type, const char *device,
                   struct plc_mqtt_payload *p, int *mid)
{
    char t[256];
    uint8_t *buf = NULL;
    size_t len = 0;
    mqtt_topic(n, t, sizeof(t), type, device);
    if (plc_mqtt_payload_encode(p, &buf, &len) < 0) {
        mqtt_say("cannot encode %s: %s", t, strerror(errno));
        return -1;
    }
    int rc = mosquitto_publish(n->mosq, mid, t, (int)len, buf, 1, false);
    free(buf);
    if (rc != MOSQ_ERR_SUCCESS) {
        mqtt_say("cannot publish %s: %s", t, mosquitto_strerror(rc));
        return -1;
    }
    return 0;
}

/* The next payload's seq: one counter across NBIRTH, DBIRTH and DATA, 0..255. */
static void stamp(struct plc_mqtt_node *n, struct plc_mqtt_payload *p)
{
    p->timestamp = mqtt_now_ms();
    p->has_seq = true;
    p->seq = n->seq++;
}

/* ---- regions ---------------------------------------------------------------------------- */

/* Read @p r when it changed (or @p force); 1 read, 0 nothing new or not readable now. */
static int read_region(struct plc_mqtt_node *n, struct region_state *r, bool force)
{
    if (!r->handle) {
        r->handle = plc_region_attach(n->layout, n->base, r->def->name, PLC_READER, NULL, NULL);
        if (!r->handle)
            return 0;
        force = true;
    }
    int changed = plc_region_wait(r->handle, 0);
    if (changed < 0 && errno == PLC_ERETIRED) { /* re-created by plc-shm-init */
        plc_region_detach(r->handle);
        r->handle = NULL;
        return 0;
    }
    if (changed == 0 && !force && r->valid)
        return 0;
    if (plc_region_read(r->handle, r->data) < 0)
        return 0;
    r->valid = true;
    return 1;
}

double mqtt_as_double(const struct plc_tag_def *t, const struct plc_value *v)
{
    return plc_value_to_double(t->type, v);
}

/* Whether @p v is to be reported: it differs from the last, beyond the deadband. */
static bool reportable(struct plc_mqtt_node *n, size_t i, const struct plc_value *v)
{
    const struct plc_tag_def *t = plc_layout_tag_at(n->layout, i);
    if (!n->have_last[i])
        return true;
    if (plc_value_cmp(t->type, v, &n->last[i]) == 0)
        return false;
    double db = n->cfg->tags[i].deadband;
    if (db <= 0 || t->type == PLC_TYPE_BOOL)
        return true;
    return fabs(mqtt_as_double(t, v) - mqtt_as_double(t, &n->last[i])) > db;
}

static bool live(const struct plc_mqtt_node *n)
{
    return n->connected && n->born;
}

void mqtt_push(struct plc_mqtt_node *n, const struct plc_mqtt_change *c)
{
    struct plc_mqtt_change copy = *c;
    copy.historical = !live(n);
    int rc = plc_mqtt_store_push(n->store, &copy);
    if (rc < 0)
        mqtt_say("out of memory: a change was lost");
    n->stats.dropped = plc_mqtt_store_get_dropped(n->store);
}

/* The changed tags of a region just read, into the store. */
static void diff_region(struct plc_mqtt_node *n, struct region_state *r)
{
    uint64_t ts = mqtt_now_ms();
    for (size_t i = r->def->first_tag; i < r->def->first_tag + r->def->tag_count; i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(n->layout, i);
        if (!n->cfg->tags[i].publish)
            continue;
        struct plc_value v = plc_value_load(t->type, r->data + t->offset);
        if ((t->type == PLC_TYPE_FLOAT32 || t->type == PLC_TYPE_FLOAT64) && isnan(v.f) &&
            n->have_last[i] && isnan(n->last[i].f))
            continue;
        if (!reportable(n, i, &v))
            continue;
        bool first = !n->have_last[i];
        n->last[i] = v;
        n->have_last[i] = true;
        if (!first)
            mqtt_push(n, &(struct plc_mqtt_change){.timestamp = ts, .tag = (uint32_t)i, .value = v});
    }
}

static void poll_regions(struct plc_mqtt_node *n, int64_t now)
{
    for (size_t k = 0; k < n->nregions; k++) {
        struct region_state *r = &n->regions[k];
        if (!r->published || now < r->next_ns)
            continue;
        r->next_ns = now + (r->throttled ? THROTTLE_NS : POLL_NS);
        if (read_region(n, r, false) == 1)
            diff_region(n, r);
        else if (!r->handle)
            r->next_ns = now + RETRY_NS;
    }
}

/* ---- events ------------------------------------------------------------------------- */

/* The new records of every ring, pushed in time order: a host sees one NDATA's
 * Events/Text entries (from several services) as they happened, not ring by ring. */
static void poll_events(struct plc_mqtt_node *n, int64_t now)
{
    if (now < n->events_ns)
        return;
    n->events_ns = now + EVENTS_NS;
    struct plc_event_record *recs = NULL;
    size_t count = 0, cap = 0;
    for (int s = PLC_SOURCE_SHM_INIT; s <= PLC_SOURCE_MQTT; s++) {
        if (!n->rings[s]) {
            char path[4096];
            if (now < n->ring_retry_ns[s] ||
                plc_event_ring_path(n->layout, n->base, (enum plc_event_source)s, path,
                                    sizeof(path)) < 0)
                continue;
            n->rings[s] =
                plc_event_ring_open(path, PLC_READER, plc_layout_get_hash(n->layout), NULL);
            if (!n->rings[s]) {
                n->ring_retry_ns[s] = now + RETRY_NS;
                continue;
            }
            /* From now: the history before plc-mqtt started is plcctl events' to show. */
            n->cursors[s] = plc_event_ring_get_head(n->rings[s]);
        }
        struct plc_event ev;
        int rc;
        while ((rc = plc_event_ring_read(n->rings[s], &n->cursors[s], &ev, NULL)) != 0) {
            if (rc < 0)
                continue; /* EAGAIN: a writer lapping us; the cursor moved on */
            if (count == cap) {
                size_t grow = cap ? 2 * cap : 16;
                struct plc_event_record *r = realloc(recs, grow * sizeof(*r));
                if (!r) {
                    mqtt_say("an event is not published: %s", strerror(errno));
                    continue;
                }
                recs = r;
                cap = grow;
            }
            recs[count++] = (struct plc_event_record){.ev = ev};
        }
    }
    if (count > 1) /* one boot: plc_event_record_compare() orders by CLOCK_MONOTONIC */
        qsort(recs, count, sizeof(*recs), plc_event_record_compare);
    for (size_t i = 0; i < count; i++) {
        const struct plc_event *ev = &recs[i].ev;
        char text[256];
        snprintf(text, sizeof(text), "%s %s%s%s: %s", plc_event_source_name(ev->source),
                 plc_event_kind_name(ev->kind), ev->name[0] ? " " : "", ev->name, ev->text);
        mqtt_push(n, &(struct plc_mqtt_change){.timestamp = (uint64_t)(ev->realtime_ns / 1000000),
                                          .tag = PLC_MQTT_EVENT,
                                          .text = text});
    }
    free(recs);
}

/* ---- births ------------------------------------------------------------------------- */

static void node_metric(struct plc_mqtt_metric *m, const char *name, uint64_t alias,
                        uint32_t datatype, uint64_t ts)
{
    memset(m, 0, sizeof(*m));
    m->name = (char *)name;
    m->alias = alias;
    m->datatype = datatype;
    m->timestamp = ts;
}

static int send_nbirth(struct plc_mqtt_node *n)
{
    struct plc_mqtt_metric m[8];
    uint64_t ts = mqtt_now_ms(), base = n->ntags;
    char hash[24];
    snprintf(hash, sizeof(hash), "%016" PRIx64, plc_layout_get_hash(n->layout));
    node_metric(&m[0], "bdSeq", 0, PLC_MQTT_INT64, ts);
    m[0].value.i = n->bdseq;
    node_metric(&m[1], REBIRTH, base + NM_REBIRTH, PLC_MQTT_BOOLEAN, ts);
    node_metric(&m[2], "Properties/Layout Hash", base + NM_HASH, PLC_MQTT_STRING, ts);
    m[2].text = hash;
    node_metric(&m[3], "Properties/Layout Version", base + NM_VERSION, PLC_MQTT_UINT32, ts);
    m[3].value.u = plc_layout_get_version(n->layout);
    node_metric(&m[4], "Stats/Refused Writes", base + NM_REFUSED, PLC_MQTT_INT64, ts);
    m[4].value.i = (int64_t)n->stats.refused_writes;
    node_metric(&m[5], "Stats/Dropped", base + NM_DROPPED, PLC_MQTT_INT64, ts);
    m[5].value.i = (int64_t)n->stats.dropped;
    node_metric(&m[6], "Events/Text", base + NM_EVENTS, PLC_MQTT_STRING, ts);
    m[6].text = "";
    struct plc_mqtt_payload p = {.count = 7, .metrics = m};
    n->seq = 0; /* NBIRTH is seq 0 (3.0, tck-id-payloads-nbirth-seq) */
    stamp(n, &p);
    return publish(n, "NBIRTH", NULL, &p, NULL);
}

static int send_dbirth(struct plc_mqtt_node *n, struct region_state *r)
{
    struct plc_mqtt_metric *m = calloc(r->def->tag_count ? r->def->tag_count : 1, sizeof(*m));
    size_t count = 0;
    uint64_t ts = mqtt_now_ms();
    if (!m)
        return -1;
    for (size_t i = r->def->first_tag; i < r->def->first_tag + r->def->tag_count; i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(n->layout, i);
        if (!n->cfg->tags[i].publish)
            continue;
        struct plc_mqtt_metric *x = &m[count++];
        x->name = (char *)t->name;
        x->alias = i + 1;
        x->timestamp = ts;
        if (r->valid) {
            struct plc_value v = plc_value_load(t->type, r->data + t->offset);
            plc_mqtt_metric_set_tag(x, t->type, &v);
            n->last[i] = v;
            n->have_last[i] = true;
        } else {
            x->datatype = plc_mqtt_datatype_of(t->type);
            x->is_null = true; /* the region is not there yet */
        }
    }
    struct plc_mqtt_payload p = {.count = count, .metrics = m};
    stamp(n, &p);
    int rc = publish(n, "DBIRTH", r->def->name, &p, NULL);
    free(m);
    return rc;
}

/* NBIRTH, then a DBIRTH per device with its current values. */
static void births(struct plc_mqtt_node *n)
{
    /* The values as they are now; the changes stored before go after, in their order. */
    for (size_t k = 0; k < n->nregions; k++)
        if (n->regions[k].published)
            read_region(n, &n->regions[k], true);
    if (send_nbirth(n) < 0)
        return;
    for (size_t k = 0; k < n->nregions; k++)
        if (n->regions[k].published && send_dbirth(n, &n->regions[k]) < 0)
            return;
    n->born = true;
    n->rebirth = false;
    mqtt_say("born on %s:%u as %s/%s (bdSeq %u)", n->brokers[n->broker].host,
        n->brokers[n->broker].port, n->group, n->edge, n->bdseq);
}

/* ---- data from the store ---------------------------------------------------------------- */

/* The device of a change: a region index, or -1 for the node's own metrics. */
static long device_of(const struct plc_mqtt_node *n, const struct plc_mqtt_change *c)
{
    if (c->tag >= n->ntags)
        return -1;
    const struct plc_region_def *r = plc_layout_tag_at(n->layout, c->tag)->region;
    return (long)(r - plc_layout_region_at(n->layout, 0));
}

static void change_metric(const struct plc_mqtt_node *n, const struct plc_mqtt_change *c,
                          struct plc_mqtt_metric *m)
{
    memset(m, 0, sizeof(*m));
    m->timestamp = c->timestamp;
    m->historical = c->historical;
    if (c->tag == PLC_MQTT_EVENT) {
        m->alias = n->ntags + NM_EVENTS;
        m->datatype = PLC_MQTT_STRING;
        m->text = c->text;
    } else if (c->tag == CHANGE_REFUSED || c->tag == CHANGE_DROPPED) {
        m->alias = n->ntags + (c->tag == CHANGE_REFUSED ? NM_REFUSED : NM_DROPPED);
        m->datatype = PLC_MQTT_INT64;
        m->value = c->value;
    } else {
        m->alias = c->tag + 1;
        plc_mqtt_metric_set_tag(m, plc_layout_tag_at(n->layout, c->tag)->type, &c->value);
    }
}

/* Send the store's unsent changes, a message per run of one device's changes. */
static void send_stored(struct plc_mqtt_node *n)
{
    struct plc_mqtt_metric m[MAX_METRICS];
    while (live(n) && n->ninflight < MAX_INFLIGHT && plc_mqtt_store_unsent(n->store)) {
        const struct plc_mqtt_change *first = plc_mqtt_store_peek(n->store, 0);
        long dev = device_of(n, first);
        size_t count = 0;
        uint64_t last_id = 0;
        const struct plc_mqtt_change *c;
        while (count < MAX_METRICS && (c = plc_mqtt_store_peek(n->store, count)) &&
               device_of(n, c) == dev) {
            change_metric(n, c, &m[count++]);
            last_id = c->id;
        }
        struct plc_mqtt_payload p = {.count = count, .metrics = m};
        uint8_t seq = n->seq;
        stamp(n, &p);
        int mid;
        if (publish(n, dev < 0 ? "NDATA" : "DDATA",
                    dev < 0 ? NULL : plc_layout_region_at(n->layout, (size_t)dev)->name, &p,
                    &mid) < 0) {
            n->seq = seq; /* not sent: the seq is not used */
            return;
        }
        plc_mqtt_store_take(n->store, count);
        n->inflight[n->ninflight++] = (struct inflight){.mid = mid, .last_id = last_id};
    }
}

static void on_publish(struct mosquitto *mosq, void *obj, int mid)
{
    struct plc_mqtt_node *n = obj;
    (void)mosq;
    for (size_t i = 0; i < n->ninflight; i++) {
        if (n->inflight[i].mid != mid)
            continue;
        plc_mqtt_store_ack(n->store, n->inflight[i].last_id);
        memmove(&n->inflight[i], &n->inflight[i + 1],
                (n->ninflight - i - 1) * sizeof(n->inflight[0]));
        n->ninflight--;
        return;
    }
}

/* ---- the connection -------------------------------------------------------------------- */

/* bdSeq kept beside the regions, so a restarted plc-mqtt goes on from its last one (a
 * host ignores an NDEATH whose bdSeq is not its node's current one: reusing one after a
 * restart could let the old connection's will kill the new one). */
static void load_bdseq(struct plc_mqtt_node *n)
{
    FILE *f = fopen(n->bdseq_path, "re");
    unsigned v;
    if (f && fscanf(f, "%u", &v) == 1)
        n->next_bdseq = (uint8_t)(v + 1);
    if (f)
        fclose(f);
}

static void save_bdseq(struct plc_mqtt_node *n)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", n->bdseq_path);
    FILE *f = fopen(tmp, "we");
    if (!f || fprintf(f, "%u\n", n->bdseq) < 0 || fclose(f) != 0 || rename(tmp, n->bdseq_path)) {
        if (f)
            unlink(tmp);
        mqtt_say("cannot keep bdSeq in '%s': %s (a restart begins again at 0)", n->bdseq_path,
            strerror(errno));
    }
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc)
{
    struct plc_mqtt_node *n = obj;
    if (rc != 0) {
        mqtt_say("broker %s:%u refused the connection: %s", n->brokers[n->broker].host,
            n->brokers[n->broker].port, mosquitto_connack_string(rc));
        return; /* the loop sees the disconnection */
    }
    char t[256];
    n->connected = true;
    n->backoff_ms = 0;
    n->stats.connects++;
    /* This bdSeq is taken (the will of this connection carries it): the next one is +1. */
    n->next_bdseq = (uint8_t)(n->bdseq + 1);
    save_bdseq(n);
    mqtt_topic(n, t, sizeof(t), "NCMD", NULL);
    mosquitto_subscribe(mosq, NULL, t, 1);
    mqtt_topic(n, t, sizeof(t), "DCMD", "+");
    mosquitto_subscribe(mosq, NULL, t, 1);
    if (n->cfg->primary_host[0]) {
        snprintf(t, sizeof(t), NS "/STATE/%s", n->cfg->primary_host);
        mosquitto_subscribe(mosq, NULL, t, 1);
    } else {
        n->rebirth = true;
    }
}

static void drop_connection(struct plc_mqtt_node *n, const char *why)
{
    if (!n->mosq)
        return;
    if (n->connected)
        mqtt_say("lost broker %s:%u: %s; storing changes", n->brokers[n->broker].host,
            n->brokers[n->broker].port, why);
    else if (!n->backoff_ms) /* the first failure in a row: said once, not at every retry */
        mqtt_say("cannot connect to broker %s:%u: %s; trying again", n->brokers[n->broker].host,
            n->brokers[n->broker].port, why);
    mosquitto_destroy(n->mosq);
    n->mosq = NULL;
    n->connected = n->born = false;
    n->host_online = !n->cfg->primary_host[0];
    n->ninflight = 0;
    plc_mqtt_store_rewind(n->store);
    /* Back off: MIN, doubling to MAX; the next broker in turn. */
    n->backoff_ms = n->backoff_ms ? n->backoff_ms * 2 : n->cfg->reconnect_min_ms;
    if (n->backoff_ms > n->cfg->reconnect_max_ms)
        n->backoff_ms = n->cfg->reconnect_max_ms;
    n->next_attempt_ns = mono_ns() + (int64_t)n->backoff_ms * 1000000LL;
    n->broker = (n->broker + 1) % n->nbrokers;
}

static int set_will(struct plc_mqtt_node *n)
{
    struct plc_mqtt_metric m;
    char t[256];
    uint8_t *buf = NULL;
    size_t len;
    node_metric(&m, "bdSeq", 0, PLC_MQTT_INT64, mqtt_now_ms());
    m.value.i = n->bdseq;
    struct plc_mqtt_payload p = {.timestamp = mqtt_now_ms(), .count = 1, .metrics = &m};
    mqtt_topic(n, t, sizeof(t), "NDEATH", NULL);
    if (plc_mqtt_payload_encode(&p, &buf, &len) < 0)
        return -1;
    int rc = mosquitto_will_set(n->mosq, t, (int)len, buf, 1, false);
    free(buf);
    return rc == MOSQ_ERR_SUCCESS ? 0 : -1;
}

static void try_connect(struct plc_mqtt_node *n)
{
    const struct plc_mqtt_broker *b = &n->brokers[n->broker];
    char id[160];
    snprintf(id, sizeof(id), "raspiplc-%s-%s", n->group, n->edge);
    n->mosq = mosquitto_new(id, true, n);
    if (!n->mosq) {
        mqtt_say("cannot make an MQTT client: %s", strerror(errno));
        n->next_attempt_ns = mono_ns() + RETRY_NS;
        return;
    }
    mosquitto_int_option(n->mosq, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    mosquitto_connect_callback_set(n->mosq, on_connect);
    mosquitto_message_callback_set(n->mosq, mqtt_on_message);
    mosquitto_publish_callback_set(n->mosq, on_publish);
    if (n->cfg->username[0])
        mosquitto_username_pw_set(n->mosq, n->cfg->username,
                                  n->has_password ? n->password : NULL);
    int rc = MOSQ_ERR_SUCCESS;
    if (b->tls)
        rc = mosquitto_tls_set(n->mosq, n->cfg->ca_file[0] ? n->cfg->ca_file : NULL,
                               n->cfg->ca_file[0] ? NULL : "/etc/ssl/certs",
                               n->cfg->cert_file[0] ? n->cfg->cert_file : NULL,
                               n->cfg->key_file[0] ? n->cfg->key_file : NULL, NULL);
    /* The will and the NBIRTH of a connection carry the same bdSeq; attempts that never
     * got a CONNACK leave it for the next one. */
    n->bdseq = n->next_bdseq;
    if (rc == MOSQ_ERR_SUCCESS && set_will(n) < 0)
        rc = MOSQ_ERR_NOMEM;
    if (rc == MOSQ_ERR_SUCCESS)
        rc = mosquitto_connect_async(n->mosq, b->host, b->port, (int)n->cfg->keepalive_s);
    n->connect_ns = mono_ns();
    if (rc != MOSQ_ERR_SUCCESS)
        drop_connection(n, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
}

/* ---- the node --------------------------------------------------------------------------- */

static int read_password(struct plc_mqtt_node *n, struct plc_diag *diag)
{
    const char *path = n->cfg->password_file;
    if (!path[0])
        return 0;
    FILE *f = fopen(path, "re");
    if (!f)
        return plc_diag_fail(diag, plc_layout_get_path(n->layout), errno,
                             "[mqtt]: password_file '%s': %s", path, strerror(errno));
    if (!fgets(n->password, sizeof(n->password), f))
        n->password[0] = '\0';
    fclose(f);
    n->password[strcspn(n->password, "\r\n")] = '\0';
    n->has_password = true;
    return 0;
}

struct plc_mqtt_node *plc_mqtt_node_new(const struct plc_mqtt_node_config *cfg,
                                        struct plc_diag *diag)
{
    struct plc_mqtt_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->layout = cfg->layout;
    n->cfg = plc_layout_get_mqtt(cfg->layout);
    n->base = cfg->base;
    n->host_online = !n->cfg->primary_host[0];
    snprintf(n->group, sizeof(n->group), "%s", n->cfg->group_id);
    snprintf(n->edge, sizeof(n->edge), "%s", cfg->edge_node ? cfg->edge_node : n->cfg->edge_node);
    if (cfg->edge_node && !plc_mqtt_id_valid(cfg->edge_node)) {
        plc_diag_fail(diag, NULL, EINVAL,
                      "--edge-node '%s' is not a Sparkplug id (1 to %d characters, none of '/', "
                      "'+', '#' or a space)",
                      cfg->edge_node, PLC_MQTT_ID_MAX);
        goto fail;
    }
    if (cfg->broker) {
        if (plc_mqtt_broker_parse(cfg->broker, &n->brokers[0]) < 0) {
            plc_diag_fail(diag, NULL, EINVAL,
                          "--broker '%s' is not a broker URL (mqtt://HOST[:PORT] or "
                          "mqtts://HOST[:PORT])",
                          cfg->broker);
            goto fail;
        }
        n->nbrokers = 1;
    } else {
        memcpy(n->brokers, n->cfg->brokers, sizeof(n->brokers));
        n->nbrokers = n->cfg->broker_count;
    }
    if (read_password(n, diag) < 0)
        goto fail;
    if (!(n->modbus = plc_modbus_client_new(n->layout, cfg->modbus, diag)))
        goto fail;
    n->ntags = plc_layout_tag_count(n->layout);
    n->nregions = plc_layout_region_count(n->layout);
    n->store = plc_mqtt_store_new(n->cfg->store);
    n->regions = calloc(n->nregions ? n->nregions : 1, sizeof(*n->regions));
    n->last = calloc(n->ntags ? n->ntags : 1, sizeof(*n->last));
    n->have_last = calloc(n->ntags ? n->ntags : 1, sizeof(*n->have_last));
    if (!n->store || !n->regions || !n->last || !n->have_last)
        goto oom;
    const struct plc_region_def *diagnostics = plc_layout_get_logic(n->layout)->diagnostics;
    for (size_t k = 0; k < n->nregions; k++) {
        struct region_state *r = &n->regions[k];
        r->def = plc_layout_region_at(n->layout, k);
        r->throttled = r->def == diagnostics;
        for (size_t i = 0; i < r->def->tag_count; i++)
            r->published |= n->cfg->tags[r->def->first_tag + i].publish;
        if (!(r->data = calloc(1, r->def->data_size ? r->def->data_size : 1)))
            goto oom;
        /* Attached now, so a missing image stops plc-mqtt at start with the reason. */
        if (r->published && !(r->handle = plc_region_attach(n->layout, n->base, r->def->name,
                                                            PLC_READER, NULL, diag)))
            goto fail;
    }
    char path[4096];
    if (plc_event_ring_path(n->layout, n->base, PLC_SOURCE_MQTT, path, sizeof(path)) == 0) {
        struct plc_diag d = {0};
        n->own = plc_event_ring_open(path, PLC_WRITER, plc_layout_get_hash(n->layout), &d);
        if (!n->own)
            mqtt_say("no event ring of its own, writes are not recorded as events: %s", d.msg);
    }
    snprintf(n->bdseq_path, sizeof(n->bdseq_path), "%s/%s/mqtt-%s.bdseq", n->base,
             plc_layout_get_name(n->layout), n->edge);
    load_bdseq(n);
    mosquitto_lib_init();
    n->lib = true;
    return n;
oom:
    errno = ENOMEM;
fail:
    plc_mqtt_node_free(n);
    return NULL;
}

/* A clean stop: NDEATH ourselves (a DISCONNECT suppresses the will), then disconnect. */
static void goodbye(struct plc_mqtt_node *n)
{
    if (!n->mosq || !n->connected)
        return;
    struct plc_mqtt_metric m;
    node_metric(&m, "bdSeq", 0, PLC_MQTT_INT64, mqtt_now_ms());
    m.value.i = n->bdseq;
    struct plc_mqtt_payload p = {.timestamp = mqtt_now_ms(), .count = 1, .metrics = &m};
    int mid;
    n->ninflight = 0;
    if (publish(n, "NDEATH", NULL, &p, &mid) == 0) {
        n->inflight[n->ninflight++] = (struct inflight){.mid = mid, .last_id = 0};
        int64_t until = mono_ns() + 1000000000LL;
        while (n->ninflight && mono_ns() < until &&
               mosquitto_loop(n->mosq, 50, 1) == MOSQ_ERR_SUCCESS)
            ;
    }
    mosquitto_disconnect(n->mosq);
    mosquitto_loop(n->mosq, 50, 1);
}

int plc_mqtt_node_run(struct plc_mqtt_node *n, volatile sig_atomic_t *stop,
                      void (*tick)(void *arg), void *arg)
{
    int64_t next_tick = 0;
    while (!*stop) {
        int64_t now = mono_ns();
        if (tick && now >= next_tick) {
            tick(arg);
            next_tick = now + TICK_NS;
        }
        poll_regions(n, now);
        poll_events(n, now);
        if (n->stats.dropped != n->reported_dropped) {
            n->reported_dropped = n->stats.dropped;
            mqtt_push(n, &(struct plc_mqtt_change){.timestamp = mqtt_now_ms(),
                                              .tag = CHANGE_DROPPED,
                                              .value.i = (int64_t)n->stats.dropped});
        }
        if (!n->mosq && now >= n->next_attempt_ns)
            try_connect(n);
        if (!n->mosq) {
            nanosleep(&(struct timespec){0, POLL_NS}, NULL);
            continue;
        }
        if (!n->connected && now - n->connect_ns > (int64_t)n->cfg->keepalive_s * 1000000000LL) {
            drop_connection(n, "no answer to CONNECT");
            continue;
        }
        if (n->connected && n->host_online && (n->rebirth || !n->born))
            births(n);
        send_stored(n);
        /* The socket's wait is this loop's sleep. */
        int rc = mosquitto_loop(n->mosq, (int)(POLL_NS / 1000000), 1);
        if (rc != MOSQ_ERR_SUCCESS)
            drop_connection(n, rc == MOSQ_ERR_ERRNO ? strerror(errno) : mosquitto_strerror(rc));
    }
    goodbye(n);
    return 0;
}

void plc_mqtt_node_get_stats(const struct plc_mqtt_node *n, struct plc_mqtt_node_stats *stats)
{
    *stats = n->stats;
}

void plc_mqtt_node_free(struct plc_mqtt_node *n)
{
    if (!n)
        return;
    if (n->mosq)
        mosquitto_destroy(n->mosq);
    if (n->lib)
        mosquitto_lib_cleanup();
    for (size_t k = 0; n->regions && k < n->nregions; k++) {
        plc_region_detach(n->regions[k].handle);
        free(n->regions[k].data);
    }
    for (int s = 0; s <= PLC_SOURCE_MQTT; s++)
        plc_event_ring_close(n->rings[s]);
    plc_event_ring_close(n->own);
    plc_modbus_client_free(n->modbus);
    plc_mqtt_store_free(n->store);
    free(n->regions);
    free(n->last);
    free(n->have_last);
    free(n);
}
