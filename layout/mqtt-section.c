/* SPDX-License-Identifier: MIT */
/*
 * The [mqtt] section: where plc-mqtt finds its brokers, what it calls itself
 * in Sparkplug B, and which tags it publishes, with what deadband, and which a
 * host may write. Deployment, not the image's shape: none of it reaches the
 * layout hash, so turning MQTT on needs no rebuild of programs.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool plc_tag_gateway_writable(const struct plc_tag_def *tag)
{
    return strcmp(tag->region->writer, "modbus") == 0 &&
           (tag->modbus.table == PLC_MODBUS_HOLDING_REGISTER ||
            tag->modbus.table == PLC_MODBUS_COIL);
}

bool plc_mqtt_id_valid(const char *id)
{
    size_t n = strlen(id);
    return n > 0 && n <= PLC_MQTT_ID_MAX && strcspn(id, "/+# \t") == n;
}

int plc_mqtt_broker_parse(const char *url, struct plc_mqtt_broker *b)
{
    const char *rest;
    unsigned long long port;
    memset(b, 0, sizeof(*b));
    if (strncmp(url, "mqtt://", 7) == 0) {
        rest = url + 7;
        b->port = 1883;
    } else if (strncmp(url, "mqtts://", 8) == 0) {
        rest = url + 8;
        b->tls = true;
        b->port = 8883;
    } else {
        goto bad;
    }
    const char *end, *colon;
    if (rest[0] == '[') {
        end = strchr(rest, ']');
        if (!end)
            goto bad;
        rest++;
        colon = end[1] == ':' ? end + 1 : NULL;
        if (end[1] && !colon)
            goto bad;
    } else {
        colon = strchr(rest, ':');
        end = colon ? colon : rest + strlen(rest);
    }
    size_t n = (size_t)(end - rest);
    if (n == 0 || n >= sizeof(b->host) || strcspn(rest, "/?@ ") < n)
        goto bad;
    memcpy(b->host, rest, n);
    b->host[n] = '\0';
    if (colon) {
        if (!layout_parse_uint(colon + 1, 65535, &port) || port == 0)
            goto bad;
        b->port = (uint16_t)port;
    }
    return 0;
bad:
    errno = EINVAL;
    return -1;
}

static size_t tag_index(const struct plc_layout *l, const struct plc_tag_def *t)
{
    return (size_t)(t - plc_layout_tag_at(l, 0));
}

/* The tokens of "a b c" (spaces or commas), in turn. */
struct tokens {
    char buf[4096];
    char *save;
    bool started;
};

static char *next_token(struct tokens *t)
{
    char *tok = strtok_r(t->started ? NULL : t->buf, " \t,", &t->save);
    t->started = true;
    return tok;
}

#define EACH_TOKEN(value, tok)                                                             \
    struct tokens tokens_ = {.started = false};                                            \
    snprintf(tokens_.buf, sizeof(tokens_.buf), "%s", value);                               \
    for (char *tok; (tok = next_token(&tokens_));)

static void load_brokers(struct parse *p, struct section *s, struct plc_mqtt_config *m)
{
    struct entry *e = layout_take(s, "broker");
    if (!e)
        return;
    m->broker_count = 0;
    EACH_TOKEN(e->value, tok) {
        if (m->broker_count == PLC_MQTT_BROKER_MAX) {
            layout_fail(p, e->line, "[mqtt]: broker lists more than %d brokers",
                        PLC_MQTT_BROKER_MAX);
            return;
        }
        if (plc_mqtt_broker_parse(tok, &m->brokers[m->broker_count]) < 0) {
            layout_fail(p, e->line,
                        "[mqtt]: broker '%s' is not a broker URL (mqtt://HOST[:PORT] or "
                        "mqtts://HOST[:PORT])",
                        tok);
            return;
        }
        m->broker_count++;
    }
    if (m->broker_count == 0)
        layout_fail(p, e->line, "[mqtt]: broker is empty (one or more mqtt:// or mqtts:// URLs)");
}

static void load_id(struct parse *p, struct section *s, const char *key, char *out, size_t len,
                    bool may_be_empty)
{
    struct entry *e = layout_take(s, key);
    if (!e || (may_be_empty && !e->value[0]))
        return;
    if (!plc_mqtt_id_valid(e->value))
        layout_fail(p, e->line,
                    "[mqtt]: %s '%s' is not a Sparkplug id (1 to %d characters, none of '/', "
                    "'+', '#' or a space)",
                    key, e->value, PLC_MQTT_ID_MAX);
    else
        snprintf(out, len, "%s", e->value);
}

/* username and the files: paths must be absolute, so a unit's working directory never matters. */
static void load_credentials(struct parse *p, struct section *s, struct plc_mqtt_config *m)
{
    static const struct {
        const char *key;
        size_t off;
    } files[] = {
        {"password_file", offsetof(struct plc_mqtt_config, password_file)},
        {"ca_file", offsetof(struct plc_mqtt_config, ca_file)},
        {"cert_file", offsetof(struct plc_mqtt_config, cert_file)},
        {"key_file", offsetof(struct plc_mqtt_config, key_file)},
    };
    struct entry *e;
    if ((e = layout_take(s, "username"))) {
        if (strlen(e->value) >= sizeof(m->username))
            layout_fail(p, e->line, "[mqtt]: username is longer than %zu characters",
                        sizeof(m->username) - 1);
        else
            snprintf(m->username, sizeof(m->username), "%s", e->value);
    }
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *out = (char *)m + files[i].off;
        if (!(e = layout_take(s, files[i].key)) || !e->value[0])
            continue;
        if (e->value[0] != '/' || strlen(e->value) >= sizeof(m->password_file))
            layout_fail(p, e->line, "[mqtt]: %s '%s' is not an absolute path", e->key,
                        e->value);
        else
            snprintf(out, sizeof(m->password_file), "%s", e->value);
    }
    if ((m->cert_file[0] != 0) != (m->key_file[0] != 0))
        layout_fail(p, s->line, "[mqtt]: cert_file and key_file go together (a client "
                                "certificate and its key)");
}

/* A tag name, or a region name standing for its tags: publishes each. */
static bool mark(const struct plc_layout *l, const char *name, struct plc_mqtt_tag *tags)
{
    const struct plc_tag_def *t = plc_layout_find_tag(l, name);
    if (t) {
        tags[tag_index(l, t)].publish = true;
        return true;
    }
    const struct plc_region_def *r = plc_layout_find_region(l, name);
    if (!r)
        return false;
    for (size_t i = 0; i < r->tag_count; i++)
        tags[r->first_tag + i].publish = true;
    return true;
}

static void load_publish(struct parse *p, struct section *s, const struct plc_layout *l,
                         struct plc_mqtt_tag *tags)
{
    struct entry *e = layout_take(s, "publish");
    if (!e || strcmp(e->value, "all") == 0)
        return; /* the default */
    for (size_t i = 0; i < plc_layout_tag_count(l); i++)
        tags[i].publish = false;
    bool any = false;
    EACH_TOKEN(e->value, tok) {
        if (!mark(l, tok, tags)) {
            layout_fail(p, e->line, "[mqtt]: publish: '%s' is neither a tag nor a region", tok);
            return;
        }
        any = true;
    }
    if (!any)
        layout_fail(p, e->line, "[mqtt]: publish is empty (all, or tag and region names)");
}

static void load_deadbands(struct parse *p, struct section *s, const struct plc_layout *l,
                           struct plc_mqtt_tag *tags)
{
    struct entry *e = layout_take(s, "deadband");
    if (!e)
        return;
    EACH_TOKEN(e->value, tok) {
        char *colon = strrchr(tok, ':'), *end;
        if (!colon) {
            layout_fail(p, e->line, "[mqtt]: deadband '%s' is not TAG:VALUE", tok);
            return;
        }
        *colon = '\0';
        const struct plc_tag_def *t = plc_layout_find_tag(l, tok);
        if (!t) {
            layout_fail(p, e->line, "[mqtt]: deadband: unknown tag '%s'", tok);
            return;
        }
        if (t->type == PLC_TYPE_BOOL) {
            layout_fail(p, e->line, "[mqtt]: deadband: tag '%s' is a bool (numeric tags only)",
                        tok);
            return;
        }
        errno = 0;
        double d = strtod(colon + 1, &end);
        if (errno || end == colon + 1 || *end || !isfinite(d) || d < 0) {
            layout_fail(p, e->line,
                        "[mqtt]: deadband of tag '%s': '%s' is not a number of at least 0", tok,
                        colon + 1);
            return;
        }
        if (!tags[tag_index(l, t)].publish) {
            layout_fail(p, e->line, "[mqtt]: deadband: tag '%s' is not published", tok);
            return;
        }
        tags[tag_index(l, t)].deadband = d;
    }
}

static void load_writable(struct parse *p, struct section *s, const struct plc_layout *l,
                          struct plc_mqtt_tag *tags)
{
    struct entry *e = layout_take(s, "writable");
    if (!e)
        return;
    EACH_TOKEN(e->value, tok) {
        const struct plc_tag_def *t = plc_layout_find_tag(l, tok);
        if (!t) {
            layout_fail(p, e->line, "[mqtt]: writable: unknown tag '%s'", tok);
            return;
        }
        if (!plc_tag_gateway_writable(t)) {
            layout_fail(p, e->line,
                        "[mqtt]: writable: the Modbus gateway cannot write tag '%s': its region "
                        "'%s' is written by %s%s",
                        tok, t->region->name, t->region->writer,
                        strcmp(t->region->writer, "modbus") == 0
                            ? ", but the tag has no holding register or coil"
                            : "");
            return;
        }
        tags[tag_index(l, t)].writable = true;
    }
}

/* store, keepalive and reconnect. */
static void load_timing(struct parse *p, struct section *s, struct plc_mqtt_config *m)
{
    struct entry *e;
    unsigned long long v;
    uint32_t us, lo, hi;
    if ((e = layout_take(s, "store"))) {
        if (!layout_parse_uint(e->value, PLC_MQTT_STORE_MAX, &v) || v == 0)
            layout_fail(p, e->line, "[mqtt]: store '%s' is not a number of changes from 1 to %u",
                        e->value, PLC_MQTT_STORE_MAX);
        else
            m->store = (size_t)v;
    }
    if ((e = layout_take(s, "keepalive")) &&
        layout_parse_duration(p, e, "[mqtt]: keepalive", 5000000u, 3600000000u, &us))
        m->keepalive_s = us / 1000000u;
    if ((e = layout_take(s, "reconnect"))) {
        char a[64], *dots;
        snprintf(a, sizeof(a), "%s", e->value);
        if (!(dots = strstr(a, ".."))) {
            layout_fail(p, e->line, "[mqtt]: reconnect '%s' is not MIN..MAX (1s..30s)",
                        e->value);
            return;
        }
        *dots = '\0';
        if (plc_duration_parse(a, 10000u, 3600000000u, NULL, &lo, NULL) < 0 ||
            plc_duration_parse(dots + 2, 10000u, 3600000000u, NULL, &hi, NULL) < 0 || lo > hi)
            layout_fail(p, e->line,
                        "[mqtt]: reconnect '%s' is not MIN..MAX, two durations from 10ms to 1h, "
                        "MIN <= MAX (1s..30s)",
                        e->value);
        else {
            m->reconnect_min_ms = lo / 1000u;
            m->reconnect_max_ms = hi / 1000u;
        }
    }
}

void layout_load_mqtt(struct parse *p, struct section *s, const struct plc_layout *l,
                      struct plc_mqtt_config *m)
{
    static const char *const keys[] = {
        "enabled", "broker", "group_id", "edge_node", "primary_host", "username",
        "password_file", "ca_file", "cert_file", "key_file", "publish", "deadband", "writable",
        "store", "keepalive", "reconnect", "description", NULL};
    struct entry *e;
    size_t n = plc_layout_tag_count(l);
    struct plc_mqtt_tag *tags = calloc(n ? n : 1, sizeof(*tags));

    memset(m, 0, sizeof(*m));
    m->tags = tags;
    if (!tags) {
        p->oom = true;
        return;
    }
    plc_mqtt_broker_parse("mqtt://127.0.0.1:1883", &m->brokers[0]);
    m->broker_count = 1;
    snprintf(m->group_id, sizeof(m->group_id), "raspiplc");
    snprintf(m->edge_node, sizeof(m->edge_node), "%s", plc_layout_get_name(l));
    m->store = PLC_MQTT_STORE_DEFAULT;
    m->keepalive_s = 30;
    m->reconnect_min_ms = 1000;
    m->reconnect_max_ms = 30000;
    for (size_t i = 0; i < n; i++)
        tags[i].publish = true;
    if (!s)
        return;

    m->present = m->enabled = true;
    m->line = s->line;
    layout_check_keys(p, s, keys);
    if ((e = layout_take(s, "enabled")) && !layout_parse_yesno(e->value, &m->enabled))
        layout_fail(p, e->line, "[mqtt]: enabled '%s' is not yes or no", e->value);
    load_brokers(p, s, m);
    load_id(p, s, "group_id", m->group_id, sizeof(m->group_id), false);
    load_id(p, s, "edge_node", m->edge_node, sizeof(m->edge_node), false);
    load_id(p, s, "primary_host", m->primary_host, sizeof(m->primary_host), true);
    load_credentials(p, s, m);
    load_publish(p, s, l, tags);
    load_deadbands(p, s, l, tags);
    load_writable(p, s, l, tags);
    load_timing(p, s, m);
    layout_take(s, "description");
}

void layout_mqtt_free(struct plc_mqtt_config *m)
{
    free((void *)m->tags);
    m->tags = NULL;
}
