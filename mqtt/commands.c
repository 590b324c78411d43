/* SPDX-License-Identifier: MIT */
/*
 * What a host sends the edge node: NCMD (a rebirth, or a write of a tag by its
 * name or alias), DCMD (a write of one of a device's tags) and, with a primary
 * host, its STATE. A write goes through the Modbus gateway (modbus/client.c)
 * only for a tag [mqtt] writable names, with the gateway's checks; anything
 * refused is said on stderr naming the tag and why, counted in
 * Stats/Refused Writes and posted as an event, and never applied.
 */
#include <inttypes.h>
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "internal.h"

/* ---- commands from the host ------------------------------------------------------------- */

static void count_refused(struct plc_mqtt_node *n)
{
    n->stats.refused_writes++;
    mqtt_push(n, &(struct plc_mqtt_change){.timestamp = mqtt_now_ms(),
                                      .tag = CHANGE_REFUSED,
                                      .value.i = (int64_t)n->stats.refused_writes});
}

static void refuse(struct plc_mqtt_node *n, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refuse(struct plc_mqtt_node *n, const char *name, const char *fmt, ...)
{
    char why[700], text[800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(text, sizeof(text), "refused mqtt write of '%s': %s", name, why);
    mqtt_say("%s", text);
    count_refused(n);
    /* The event names the tag; its text (48 bytes in the ring) starts with the reason. */
    snprintf(text, sizeof(text), "refused: %s", why);
    mqtt_post(n, LOG_WARNING, name, NAN, NAN, text);
}

/* A write of one metric of an NCMD (device NULL) or DCMD. */
static void host_write(struct plc_mqtt_node *n, const char *device,
                       const struct plc_mqtt_metric *m)
{
    const struct plc_tag_def *t = NULL;
    char alias_name[32];
    const char *name = m->name;
    if (name)
        t = plc_layout_find_tag(n->layout, name);
    else if (m->alias >= 1 && m->alias <= n->ntags)
        t = plc_layout_tag_at(n->layout, m->alias - 1);
    if (!name) {
        snprintf(alias_name, sizeof(alias_name), "alias %" PRIu64, m->alias);
        name = t ? t->name : alias_name;
    }
    if (!t) {
        refuse(n, name, "unknown tag in layout '%s'", plc_layout_get_name(n->layout));
        return;
    }
    size_t i = (size_t)(t - plc_layout_tag_at(n->layout, 0));
    if (device && strcmp(device, t->region->name) != 0) {
        refuse(n, name, "the tag is in device '%s', not '%s'", t->region->name, device);
        return;
    }
    if (!n->cfg->tags[i].writable) {
        refuse(n, name, "not writable from MQTT (not in [mqtt] writable)");
        return;
    }
    struct plc_value v, before;
    struct plc_diag d = {0};
    char a[48], b[48];
    if (plc_mqtt_metric_get_tag(m, t->type, &v) < 0) {
        refuse(n, name, "%s %s is not a value of type %s", plc_mqtt_datatype_name(m->datatype),
               m->is_null ? "null" : "value", plc_type_name(t->type));
        return;
    }
    if (plc_modbus_check_value(t, &v, NULL, &d) < 0 ||
        plc_modbus_client_read_tag(n->modbus, t, &before, &d) < 0 ||
        plc_modbus_client_write_tag(n->modbus, t, &v, &d) < 0) {
        refuse(n, name, "%s", d.msg);
        return;
    }
    char text[256];
    plc_value_format(t->type, &before, a, sizeof(a));
    plc_value_format(t->type, &v, b, sizeof(b));
    snprintf(text, sizeof(text), "mqtt host set %s %s -> %s", t->name, a, b);
    mqtt_say("%s", text);
    n->stats.applied_writes++;
    mqtt_post(n, LOG_NOTICE, t->name, mqtt_as_double(t, &before), mqtt_as_double(t, &v), text);
}

static void on_command(struct plc_mqtt_node *n, const char *device,
                       const struct mosquitto_message *msg)
{
    struct plc_mqtt_payload *p = plc_mqtt_payload_decode(msg->payload, (size_t)msg->payloadlen);
    if (!p) {
        refuse(n, msg->topic, "the payload is not a Sparkplug B payload");
        return;
    }
    for (size_t i = 0; i < p->count; i++) {
        const struct plc_mqtt_metric *m = &p->metrics[i];
        bool rebirth = !device && ((m->name && strcmp(m->name, REBIRTH) == 0) ||
                                   (!m->name && m->alias == n->ntags + NM_REBIRTH));
        if (rebirth) {
            if (m->datatype == PLC_MQTT_BOOLEAN && !m->is_null && m->value.i)
                n->rebirth = true;
            continue;
        }
        host_write(n, device, m);
    }
    plc_mqtt_payload_free(p);
}

static void on_state(struct plc_mqtt_node *n, const struct mosquitto_message *msg)
{
    char buf[512];
    size_t len = (size_t)msg->payloadlen < sizeof(buf) - 1 ? (size_t)msg->payloadlen
                                                           : sizeof(buf) - 1;
    memcpy(buf, msg->payload, len);
    buf[len] = '\0';
    json_object *o = json_tokener_parse(buf), *online = NULL;
    bool was = n->host_online;
    n->host_online = o && json_object_object_get_ex(o, "online", &online) &&
                     json_object_get_boolean(online);
    json_object_put(o);
    if (n->host_online != was)
        mqtt_say("primary host '%s' is %s", n->cfg->primary_host,
            n->host_online ? "online" : "offline: storing");
    if (!n->host_online)
        n->born = false;
    else if (!was)
        n->rebirth = true; /* a host that comes online wants the births (3.0, 7.7) */
}

void mqtt_on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *msg)
{
    struct plc_mqtt_node *n = obj;
    char ncmd[256], dcmd[256], state[256];
    (void)mosq;
    mqtt_topic(n, ncmd, sizeof(ncmd), "NCMD", NULL);
    mqtt_topic(n, dcmd, sizeof(dcmd), "DCMD", "");
    snprintf(state, sizeof(state), NS "/STATE/%s", n->cfg->primary_host);
    if (strcmp(msg->topic, ncmd) == 0)
        on_command(n, NULL, msg);
    else if (strncmp(msg->topic, dcmd, strlen(dcmd)) == 0)
        on_command(n, msg->topic + strlen(dcmd), msg);
    else if (n->cfg->primary_host[0] && strcmp(msg->topic, state) == 0)
        on_state(n, msg);
}
