/* SPDX-License-Identifier: MIT */
/*
 * The gateway's own client: how plc-web and plc-mqtt set a tag. They write no
 * region themselves; they go to plc-modbus as a Modbus TCP client, so the
 * gateway's range checks, word order and atomic multi-register writes apply
 * to them as to SCADA, and the region keeps its one writer.
 */
#include <errno.h>
#include <math.h>
#include <modbus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc-modbus.h"

struct plc_modbus_client {
    char host[64], port[8];
    uint8_t unit;
    modbus_t *ctx; /* when connected */
};

/* "HOST:PORT" or "[V6]:PORT" into its parts; false when it is not one. */
static bool split_address(const char *s, char *host, size_t hostlen, char *port, size_t portlen)
{
    const char *colon = strrchr(s, ':');
    const char *h = s;
    size_t hl = colon ? (size_t)(colon - h) : 0;
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
        h++, hl -= 2;
    if (!colon || !hl || hl >= hostlen || !colon[1] || strlen(colon + 1) >= portlen ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1))
        return false;
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(port, portlen, "%s", colon + 1);
    return true;
}

struct plc_modbus_client *plc_modbus_client_new(const struct plc_layout *layout,
                                                const char *address, struct plc_diag *diag)
{
    struct plc_modbus_client *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    const struct plc_modbus_config *mb = plc_layout_get_modbus(layout);
    c->unit = mb->unit_id;
    if (address) {
        if (!split_address(address, c->host, sizeof(c->host), c->port, sizeof(c->port))) {
            plc_diag_fail(diag, NULL, EINVAL, "--modbus '%s' is not HOST:PORT", address);
            free(c);
            return NULL;
        }
    } else {
        /* The gateway listens on any address: it is reached on this machine's loopback. */
        const char *h = mb->listen_host;
        snprintf(c->host, sizeof(c->host), "%s",
                 strcmp(h, "0.0.0.0") == 0 ? "127.0.0.1" : strcmp(h, "::") == 0 ? "::1" : h);
        snprintf(c->port, sizeof(c->port), "%u", mb->listen_port);
    }
    return c;
}

void plc_modbus_client_free(struct plc_modbus_client *c)
{
    if (!c)
        return;
    plc_modbus_client_close(c);
    free(c);
}

int plc_modbus_client_connect(struct plc_modbus_client *c, struct plc_diag *diag)
{
    if (c->ctx)
        return 0;
    modbus_t *ctx = modbus_new_tcp_pi(c->host, c->port);
    if (ctx) {
        modbus_set_slave(ctx, c->unit);
        modbus_set_response_timeout(ctx, 1, 0);
        if (modbus_connect(ctx) == 0) {
            c->ctx = ctx;
            return 0;
        }
    }
    int err = errno;
    modbus_free(ctx);
    return plc_diag_fail(diag, NULL, err, "Modbus gateway at %s:%s is unreachable: %s", c->host,
                         c->port, modbus_strerror(err));
}

void plc_modbus_client_close(struct plc_modbus_client *c)
{
    if (!c->ctx)
        return;
    modbus_close(c->ctx);
    modbus_free(c->ctx);
    c->ctx = NULL;
}

/* A failed Modbus call on @p tag (errno as libmodbus left it), said in @p diag. */
static int failed(struct plc_modbus_client *c, const struct plc_tag_def *tag, const char *what,
                  struct plc_diag *diag)
{
    int err = errno;
    if (err > MODBUS_ENOBASE && err < MODBUS_ENOBASE + 16)
        return plc_diag_fail(diag, NULL, err,
                             "Modbus gateway at %s:%s refused to %s tag '%s': exception %d (%s)",
                             c->host, c->port, what, tag->name, err - MODBUS_ENOBASE,
                             modbus_strerror(err));
    /* A connection the gateway dropped is made again for the next call. */
    plc_modbus_client_close(c);
    return plc_diag_fail(diag, NULL, err, "Modbus gateway at %s:%s: cannot %s tag '%s': %s",
                         c->host, c->port, what, tag->name, modbus_strerror(err));
}

int plc_modbus_client_read_tag(struct plc_modbus_client *c, const struct plc_tag_def *tag,
                               struct plc_value *v, struct plc_diag *diag)
{
    if (plc_modbus_client_connect(c, diag) < 0)
        return -1;
    if (tag->modbus.table == PLC_MODBUS_COIL) {
        uint8_t bit;
        if (modbus_read_bits(c->ctx, tag->modbus.address, 1, &bit) != 1)
            return failed(c, tag, "read", diag);
        v->i = bit != 0;
        return 0;
    }
    uint16_t w[4];
    if (modbus_read_registers(c->ctx, tag->modbus.address, tag->modbus.count, w) !=
        tag->modbus.count)
        return failed(c, tag, "read", diag);
    if (plc_modbus_tag_value(tag, w, v) < 0)
        return plc_diag_fail(diag, NULL, ERANGE, "tag '%s' holds no number", tag->name);
    return 0;
}

int plc_modbus_client_write_tag(struct plc_modbus_client *c, const struct plc_tag_def *tag,
                                const struct plc_value *v, struct plc_diag *diag)
{
    if (plc_modbus_client_connect(c, diag) < 0)
        return -1;
    int ok;
    if (tag->modbus.table == PLC_MODBUS_COIL) {
        ok = modbus_write_bit(c->ctx, tag->modbus.address, v->i != 0) == 1;
    } else {
        uint16_t w[4];
        plc_modbus_tag_words(tag, v, w);
        /* Both halves of a 32/64-bit value in one request: the gateway applies them at once. */
        ok = tag->modbus.count == 1
                 ? modbus_write_register(c->ctx, tag->modbus.address, w[0]) == 1
                 : modbus_write_registers(c->ctx, tag->modbus.address, tag->modbus.count, w) ==
                       tag->modbus.count;
    }
    return ok ? 0 : failed(c, tag, "write", diag);
}

const char *plc_modbus_client_get_host(const struct plc_modbus_client *c)
{
    return c->host;
}

const char *plc_modbus_client_get_port(const struct plc_modbus_client *c)
{
    return c->port;
}

bool plc_modbus_client_refused_value(int err)
{
    return err == EMBXILVAL;
}

int plc_modbus_check_writable(const struct plc_tag_def *tag, struct plc_diag *diag)
{
    if (plc_tag_gateway_writable(tag))
        return 0;
    return plc_diag_fail(diag, NULL, EPERM,
                         "tag '%s' is not writable: its region '%s' is written by %s%s",
                         tag->name, tag->region->name, tag->region->writer,
                         strcmp(tag->region->writer, "modbus") == 0
                             ? ", but the tag has no holding register or coil"
                             : "");
}

int plc_modbus_check_value(const struct plc_tag_def *tag, const struct plc_value *v,
                           const char *text, struct plc_diag *diag)
{
    char lo[48], hi[48], shown[48];
    bool is_float = tag->type == PLC_TYPE_FLOAT32 || tag->type == PLC_TYPE_FLOAT64;
    if (!text) {
        plc_value_format(tag->type, v, shown, sizeof(shown));
        text = shown;
    }
    if (is_float && !isfinite(v->f))
        return plc_diag_fail(diag, NULL, EINVAL, "tag '%s': '%s' is not a value of type %s",
                             tag->name, text, plc_type_name(tag->type));
    if (plc_value_in_range(tag->type, v, &tag->min_v, &tag->max_v))
        return 0;
    plc_value_format(tag->type, &tag->min_v, lo, sizeof(lo));
    plc_value_format(tag->type, &tag->max_v, hi, sizeof(hi));
    return plc_diag_fail(diag, NULL, ERANGE, "tag '%s': value %s is outside its limits %s to %s",
                         tag->name, text, lo, hi);
}

int plc_modbus_parse_value(const struct plc_tag_def *tag, const char *text, struct plc_value *v,
                           struct plc_diag *diag)
{
    struct plc_value parsed;
    if (plc_value_parse(tag->type, text, &parsed) < 0)
        return plc_diag_fail(diag, NULL, EINVAL, "tag '%s': '%s' is not a value of type %s",
                             tag->name, text, plc_type_name(tag->type));
    if (plc_modbus_check_value(tag, &parsed, text, diag) < 0)
        return -1;
    *v = parsed;
    return 0;
}
