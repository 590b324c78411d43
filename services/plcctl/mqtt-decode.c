/* SPDX-License-Identifier: MIT */
/*
 * plcctl mqtt-decode: Sparkplug B messages made readable. Reads the lines of
 * `mosquitto_sub -v -F '%t %x' -t 'spBv1.0/#'` (topic, a space, the payload in
 * hex) and prints each message decoded with libplc_mqtt's codec: topic, seq,
 * timestamp, then `name (alias) = value [type]` per metric; --json prints one
 * JSON object per line. DATA metrics sent by alias only get their names from
 * the births seen earlier on the same stream, and before any birth from the
 * layout plcctl was given (plc-mqtt's alias of a tag is its index + 1), so a
 * watch started after plc-mqtt names the tags at once.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>

#include "plc-mqtt.h"
#include "plcctl.h"

/* Names of aliases, learnt from NBIRTH/DBIRTH: one table per edge node (device aliases are
 * the node's tag indexes, unique across its devices). */
struct alias_name {
    char *node; /* "group/edge" */
    uint64_t alias;
    char *name;
};

struct names {
    struct alias_name *v;
    size_t n, cap;
};

static const char *lookup(const struct names *t, const char *node, uint64_t alias,
                          const struct plc_layout *layout)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].alias == alias && strcmp(t->v[i].node, node) == 0)
            return t->v[i].name;
    if (layout && alias >= 1 && alias <= plc_layout_tag_count(layout))
        return plc_layout_tag_at(layout, (size_t)(alias - 1))->name;
    return NULL;
}

static void learn(struct names *t, const char *node, uint64_t alias, const char *name)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->v[i].alias == alias && strcmp(t->v[i].node, node) == 0) {
            char *copy = strdup(name);
            if (copy) {
                free(t->v[i].name);
                t->v[i].name = copy;
            }
            return;
        }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct alias_name *v = realloc(t->v, cap * sizeof(*v));
        if (!v)
            return;
        t->v = v;
        t->cap = cap;
    }
    t->v[t->n] = (struct alias_name){strdup(node), alias, strdup(name)};
    if (t->v[t->n].node && t->v[t->n].name)
        t->n++;
}

static void names_free(struct names *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].node);
        free(t->v[i].name);
    }
    free(t->v);
}

/* "spBv1.0/G/TYPE/E[/D]": "G/E" into @p node and TYPE into @p type; false when not Sparkplug. */
static bool split_topic(const char *topic, char *node, size_t nlen, char *type, size_t tlen)
{
    char g[128], t[32], e[128];
    if (sscanf(topic, "spBv1.0/%127[^/]/%31[^/]/%127[^/]", g, t, e) != 3)
        return false;
    snprintf(node, nlen, "%s/%s", g, e);
    snprintf(type, tlen, "%s", t);
    return true;
}

static int unhex(const char *hex, uint8_t *out, size_t *len)
{
    size_t n = strlen(hex);
    if (n % 2)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (!isxdigit((unsigned char)hex[2 * i]) || !isxdigit((unsigned char)hex[2 * i + 1]) ||
            sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    *len = n / 2;
    return 0;
}

static json_object *metric_json(const struct plc_mqtt_metric *m, const char *name)
{
    json_object *o = json_object_new_object();
    char text[512];
    json_object_object_add(o, "name", name ? json_object_new_string(name) : NULL);
    if (m->alias)
        json_object_object_add(o, "alias", json_object_new_int64((int64_t)m->alias));
    json_object_object_add(o, "datatype",
                           json_object_new_string(plc_mqtt_datatype_name(m->datatype)));
    json_object *v = NULL;
    if (!m->is_null) {
        switch (m->datatype) {
        case PLC_MQTT_BOOLEAN: v = json_object_new_boolean(m->value.i != 0); break;
        case PLC_MQTT_FLOAT:
        case PLC_MQTT_DOUBLE: v = json_object_new_double(m->value.f); break;
        case PLC_MQTT_STRING:
        case PLC_MQTT_TEXT: v = json_object_new_string(m->text ? m->text : ""); break;
        case PLC_MQTT_UINT64: v = json_object_new_uint64(m->value.u); break;
        default:
            plc_mqtt_metric_format(m, text, sizeof(text));
            v = json_object_new_int64(strtoll(text, NULL, 10));
        }
    }
    json_object_object_add(o, "value", v);
    if (m->timestamp)
        json_object_object_add(o, "timestamp", json_object_new_int64((int64_t)m->timestamp));
    if (m->historical)
        json_object_object_add(o, "is_historical", json_object_new_boolean(1));
    return o;
}

static void print_message(const char *topic, const struct plc_mqtt_payload *p, struct names *t,
                          const struct plc_layout *layout, bool json)
{
    char node[300] = "", type[32] = "";
    split_topic(topic, node, sizeof(node), type, sizeof(type));
    bool birth = strcmp(type, "NBIRTH") == 0 || strcmp(type, "DBIRTH") == 0;
    json_object *o = json ? json_object_new_object() : NULL, *metrics = NULL;
    if (json) {
        json_object_object_add(o, "topic", json_object_new_string(topic));
        json_object_object_add(o, "seq", p->has_seq ? json_object_new_int64((int64_t)p->seq) : NULL);
        json_object_object_add(o, "timestamp", json_object_new_int64((int64_t)p->timestamp));
        metrics = json_object_new_array();
        json_object_object_add(o, "metrics", metrics);
    } else {
        printf("%s", topic);
        if (p->has_seq)
            printf(" seq %" PRIu64, p->seq);
        printf(" timestamp %" PRIu64 "\n", p->timestamp);
    }
    for (size_t i = 0; i < p->count; i++) {
        const struct plc_mqtt_metric *m = &p->metrics[i];
        if (birth && m->name && m->alias)
            learn(t, node, m->alias, m->name);
        const char *name = m->name ? m->name : m->alias ? lookup(t, node, m->alias, layout) : NULL;
        if (json) {
            json_object_array_add(metrics, metric_json(m, name));
            continue;
        }
        char value[512];
        plc_mqtt_metric_format(m, value, sizeof(value));
        printf("  %s", name ? name : "?");
        if (m->alias)
            printf(" (%" PRIu64 ")", m->alias);
        printf(" = %s [%s]", value, plc_mqtt_datatype_name(m->datatype));
        if (m->historical)
            printf(" historical");
        if (m->timestamp && m->timestamp != p->timestamp)
            printf(" @%" PRIu64, m->timestamp);
        putchar('\n');
    }
    if (json) {
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
    }
    fflush(stdout);
}

int ctl_mqtt_decode(struct ctl *ctl, int argc, char **argv)
{
    bool json = ctl->json;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") != 0)
            return ctl_usage(argv[0]);
        json = true;
    }
    struct names names = {0};
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long lineno = 0, bad = 0;
    size_t bufcap = 0;
    uint8_t *buf = NULL;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        char *space = strchr(line, ' ');
        if (!line[0])
            continue;
        const char *hex = space ? space + 1 : "";
        if (space)
            *space = '\0';
        if (strncmp(line, "spBv1.0/STATE/", 14) == 0) /* JSON, not a payload: not ours to decode */
            continue;
        size_t n = strlen(hex) / 2 + 1, plen;
        if (n > bufcap) {
            uint8_t *b = realloc(buf, n);
            if (!b)
                break;
            buf = b;
            bufcap = n;
        }
        struct plc_mqtt_payload *p = NULL;
        if (unhex(hex, buf, &plen) < 0 || !(p = plc_mqtt_payload_decode(buf, plen))) {
            ctl_err("stdin:%lu: topic '%s': %s", lineno, line,
                    space ? "the payload is not a Sparkplug B payload"
                          : "expected TOPIC HEX (mosquitto_sub -v -F '%t %x')");
            bad++;
            continue;
        }
        print_message(line, p, &names, ctl->layout, json);
        plc_mqtt_payload_free(p);
    }
    free(line);
    free(buf);
    names_free(&names);
    return bad ? CTL_FAIL : CTL_OK;
}
