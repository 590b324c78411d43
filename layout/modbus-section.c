/* SPDX-License-Identifier: MIT */
/*
 * The [modbus] section: where and how plc-modbus serves, and the network
 * lists (CIDR) it filters clients with. Deployment, not the image's shape: of
 * all this only default_word_order reaches the hash (through each tag).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

int plc_cidr_parse(const char *text, struct plc_cidr *c)
{
    char addr[64];
    const char *slash = strchr(text, '/');
    size_t n = slash ? (size_t)(slash - text) : strlen(text);
    if (n == 0 || n >= sizeof(addr))
        goto bad;
    memcpy(addr, text, n);
    addr[n] = '\0';
    memset(c, 0, sizeof(*c));
    if (inet_pton(AF_INET, addr, c->addr) == 1) {
        c->family = AF_INET;
        c->prefix = 32;
    } else if (inet_pton(AF_INET6, addr, c->addr) == 1) {
        c->family = AF_INET6;
        c->prefix = 128;
    } else {
        goto bad;
    }
    if (slash) {
        unsigned long long v;
        if (!layout_parse_uint(slash + 1, c->prefix, &v) || !isdigit((unsigned char)slash[1]))
            goto bad;
        c->prefix = (unsigned)v;
    }
    /* Host bits set ("10.0.0.1/8") are a typo more often than not: refuse them. */
    for (unsigned bit = c->prefix; bit < (c->family == AF_INET ? 32u : 128u); bit++)
        if (c->addr[bit / 8] & (0x80u >> (bit % 8)))
            goto bad;
    return 0;
bad:
    errno = EINVAL;
    return -1;
}

bool plc_cidr_match(const struct plc_cidr *c, int family, const void *addr)
{
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    const uint8_t *a = addr;
    if (family == AF_INET6 && c->family == AF_INET && memcmp(a, mapped, 12) == 0) {
        family = AF_INET; /* an IPv4 client on a dual-stack socket */
        a += 12;
    }
    if (family != c->family)
        return false;
    unsigned full = c->prefix / 8, rest = c->prefix % 8;
    if (memcmp(a, c->addr, full) != 0)
        return false;
    if (rest) {
        uint8_t mask = (uint8_t)(0xffu << (8 - rest));
        if ((a[full] & mask) != (c->addr[full] & mask))
            return false;
    }
    return true;
}

/* "127.0.0.1:1502", "[::1]:1502", "0.0.0.0:502" */
static bool parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port)
{
    const char *colon;
    char h[64];
    size_t n;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':')
            return false;
        n = (size_t)(end - s - 1);
        if (n == 0 || n >= sizeof(h))
            return false;
        memcpy(h, s + 1, n);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon)
            return false;
        n = (size_t)(colon - s);
        if (n == 0 || n >= sizeof(h))
            return false;
        memcpy(h, s, n);
    }
    h[n] = '\0';
    uint8_t buf[16];
    unsigned long long v;
    if (inet_pton(strchr(h, ':') ? AF_INET6 : AF_INET, h, buf) != 1)
        return false;
    if (!layout_parse_uint(colon + 1, 65535, &v) || v == 0)
        return false;
    snprintf(host, hostlen, "%s", h);
    *port = (uint16_t)v;
    return true;
}

/* A comma or space separated list of networks. */
static void parse_cidrs(struct parse *p, struct entry *e, struct plc_cidr *out, size_t *count)
{
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", e->value);
    char *save = NULL;
    *count = 0;
    for (char *tok = strtok_r(buf, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
        if (*count == PLC_MODBUS_CIDR_MAX) {
            layout_fail(p, e->line, "[modbus]: %s holds more than %d networks", e->key,
                        PLC_MODBUS_CIDR_MAX);
            return;
        }
        if (plc_cidr_parse(tok, &out[*count]) < 0) {
            layout_fail(p, e->line,
                        "[modbus]: %s: '%s' is not a network (10.0.0.0/8, 192.168.1.7, "
                        "fd00::/8; host bits must be 0)",
                        e->key, tok);
            return;
        }
        (*count)++;
    }
    if (*count == 0)
        layout_fail(p, e->line, "[modbus]: %s is empty (leave it out to allow every client)",
                    e->key);
}

void layout_modbus_defaults(struct plc_modbus_config *m)
{
    memset(m, 0, sizeof(*m));
    snprintf(m->listen_host, sizeof(m->listen_host), "127.0.0.1");
    m->listen_port = 502;
    m->unit_id = 1;
    m->tcp_unit_policy = PLC_MODBUS_UNIT_STRICT;
    m->max_connections = 32;
    m->idle_timeout_ms = 60000;
    m->rtu_baud = 19200;
    m->rtu_parity = 'E';
    m->rtu_data_bits = 8;
    m->rtu_stop_bits = 1;
    m->rtu_rs485 = PLC_MODBUS_RS485_OFF;
    m->default_word_order = PLC_WORD_ORDER_ABCD;
}

/* listen, read_only, unmapped_reads and listen_read_only. */
static void load_listen(struct parse *p, struct section *s, struct plc_modbus_config *m)
{
    struct entry *e;
    if ((e = layout_take(s, "listen")) &&
        !parse_listen(e->value, m->listen_host, sizeof(m->listen_host), &m->listen_port))
        layout_fail(p, e->line,
                    "[modbus]: listen '%s' is not ADDRESS:PORT (127.0.0.1:1502, 0.0.0.0:502, "
                    "[::]:502)",
                    e->value);
    if ((e = layout_take(s, "read_only")) && !layout_parse_yesno(e->value, &m->read_only))
        layout_fail(p, e->line, "[modbus]: read_only '%s' is not yes or no", e->value);
    /* SCADA packages poll whole blocks; OpenPLC answered holes with zeros. Writes
     * to a hole stay refused: a write that lands nowhere must not look accepted. */
    if ((e = layout_take(s, "unmapped_reads"))) {
        if (strcmp(e->value, "zero") == 0)
            m->unmapped_reads_zero = true;
        else if (strcmp(e->value, "exception") != 0)
            layout_fail(p, e->line, "[modbus]: unmapped_reads '%s' is not exception or zero",
                        e->value);
    }
    if ((e = layout_take(s, "listen_read_only"))) {
        if (!parse_listen(e->value, m->read_only_host, sizeof(m->read_only_host),
                          &m->read_only_port))
            layout_fail(p, e->line, "[modbus]: listen_read_only '%s' is not ADDRESS:PORT",
                        e->value);
        else if (m->read_only_port == m->listen_port &&
                 strcmp(m->read_only_host, m->listen_host) == 0)
            layout_fail(p, e->line, "[modbus]: listen_read_only is the same as listen");
    }
}

/* unit_id, tcp_unit_policy, max_connections and idle_timeout. */
static void load_connections(struct parse *p, struct section *s, struct plc_modbus_config *m)
{
    static const char *const policy_names[] = {[PLC_MODBUS_UNIT_STRICT] = "strict",
                                               [PLC_MODBUS_UNIT_ANY] = "any"};
    struct entry *e;
    unsigned long long v;
    if ((e = layout_take(s, "unit_id"))) {
        if (!layout_parse_uint(e->value, 247, &v) || v == 0)
            layout_fail(p, e->line, "[modbus]: unit_id '%s' is not between 1 and 247",
                        e->value);
        else
            m->unit_id = (uint8_t)v;
    }
    if ((e = layout_take(s, "tcp_unit_policy")) &&
        !(m->tcp_unit_policy = LOOKUP(policy_names, e->value)))
        layout_fail(p, e->line, "[modbus]: tcp_unit_policy '%s' is not strict or any",
                    e->value);
    if ((e = layout_take(s, "max_connections"))) {
        if (!layout_parse_uint(e->value, 4096, &v) || v == 0)
            layout_fail(p, e->line, "[modbus]: max_connections '%s' is not between 1 and 4096",
                        e->value);
        else
            m->max_connections = (unsigned)v;
    }
    if ((e = layout_take(s, "idle_timeout"))) {
        uint32_t us;
        if (plc_duration_parse(e->value, 0, UINT32_MAX, NULL, &us, NULL) < 0 || (us && us < 1000))
            layout_fail(p, e->line,
                        "[modbus]: idle_timeout '%s' is not a duration of at least 1ms "
                        "(60s, 500ms; 0 = never)",
                        e->value);
        else
            m->idle_timeout_ms = us / 1000;
    }
}

/* rtu_device; without it, any other rtu_ key is an error. */
static void load_rtu_device(struct parse *p, struct section *s, struct plc_modbus_config *m)
{
    static const char *const rtu_keys[] = {"rtu_baud", "rtu_parity", "rtu_data_bits",
                                           "rtu_stop_bits", "rtu_rs485"};
    struct entry *e;
    if ((e = layout_take(s, "rtu_device"))) {
        if (e->value[0] != '/' || strlen(e->value) >= sizeof(m->rtu_device))
            layout_fail(p, e->line, "[modbus]: rtu_device '%s' is not an absolute path",
                        e->value);
        else
            snprintf(m->rtu_device, sizeof(m->rtu_device), "%s", e->value);
    } else {
        for (size_t i = 0; i < sizeof(rtu_keys) / sizeof(rtu_keys[0]); i++)
            if ((e = layout_take(s, rtu_keys[i])))
                layout_fail(p, e->line, "[modbus]: '%s' given without 'rtu_device'", e->key);
    }
}

static void load_rtu_baud(struct parse *p, struct section *s, struct plc_modbus_config *m)
{
    static const unsigned bauds[] = {1200,  2400,  4800,   9600,   19200, 38400,
                                     57600, 115200, 230400, 460800, 921600};
    struct entry *e = layout_take(s, "rtu_baud");
    unsigned long long v;
    if (!e)
        return;
    bool ok = layout_parse_uint(e->value, 4000000, &v);
    bool known = false;
    for (size_t i = 0; ok && i < sizeof(bauds) / sizeof(bauds[0]); i++)
        known |= bauds[i] == v;
    if (!known)
        layout_fail(p, e->line, "[modbus]: rtu_baud '%s' is not a standard rate (1200 ... 921600)",
                    e->value);
    else
        m->rtu_baud = (unsigned)v;
}

/* rtu_parity, rtu_data_bits, rtu_stop_bits and rtu_rs485. */
static void load_rtu_framing(struct parse *p, struct section *s, struct plc_modbus_config *m)
{
    static const char *const rs485_names[] = {
        [PLC_MODBUS_RS485_OFF] = "off",
        [PLC_MODBUS_RS485_ON] = "on",
        [PLC_MODBUS_RS485_RTS_UP] = "rts-up",
        [PLC_MODBUS_RS485_RTS_DOWN] = "rts-down",
    };
    struct entry *e;
    unsigned long long v;
    if ((e = layout_take(s, "rtu_parity"))) {
        if (strcmp(e->value, "none") == 0)
            m->rtu_parity = 'N';
        else if (strcmp(e->value, "even") == 0)
            m->rtu_parity = 'E';
        else if (strcmp(e->value, "odd") == 0)
            m->rtu_parity = 'O';
        else
            layout_fail(p, e->line, "[modbus]: rtu_parity '%s' is not none, even or odd",
                        e->value);
    }
    if ((e = layout_take(s, "rtu_data_bits"))) {
        if (!layout_parse_uint(e->value, 8, &v) || v < 7)
            layout_fail(p, e->line, "[modbus]: rtu_data_bits '%s' is not 7 or 8", e->value);
        else
            m->rtu_data_bits = (unsigned)v;
    }
    if ((e = layout_take(s, "rtu_stop_bits"))) {
        if (!layout_parse_uint(e->value, 2, &v) || v < 1)
            layout_fail(p, e->line, "[modbus]: rtu_stop_bits '%s' is not 1 or 2", e->value);
        else
            m->rtu_stop_bits = (unsigned)v;
    }
    if ((e = layout_take(s, "rtu_rs485")) && !(m->rtu_rs485 = LOOKUP(rs485_names, e->value)))
        layout_fail(p, e->line, "[modbus]: rtu_rs485 '%s' is not off, on, rts-up or rts-down",
                    e->value);
}

/* Where the alarm region's tags start (docs/alarms.md): a bit table for the
 * per-alarm bits, a register table for the counts. The tags' own bindings
 * are made from it and checked for overlaps like any tag's. */
static void load_alarm_base(struct parse *p, struct section *s, const char *key, bool bits,
                            struct plc_alarm_modbus *out)
{
    struct entry *e = layout_take(s, key);
    if (!e)
        return;
    out->line = e->line;
    if (!layout_parse_modbus_address(e->value, &out->table, &out->address))
        layout_fail(p, e->line, "[modbus]: %s '%s' is not TABLE:ADDRESS (%s, and a 0-based "
                    "address)", key, e->value,
                    bits ? "discrete_input or coil" : "input_register or holding_register");
    else if (bits != (out->table == PLC_MODBUS_COIL || out->table == PLC_MODBUS_DISCRETE_INPUT))
        layout_fail(p, e->line, "[modbus]: %s '%s' must be in a %s table", key, e->value,
                    bits ? "bit (discrete_input or coil)"
                         : "register (input_register or holding_register)");
}

void layout_load_modbus(struct parse *p, struct section *s, struct plc_modbus_config *m)
{
    static const char *const keys[] = {
        "listen", "read_only", "unmapped_reads", "listen_read_only", "unit_id", "tcp_unit_policy",
        "max_connections", "idle_timeout", "allow", "allow_write", "default_word_order",
        "rtu_device", "rtu_baud", "rtu_parity", "rtu_data_bits", "rtu_stop_bits", "rtu_rs485",
        "alarm_bits", "alarm_registers", "description", NULL};
    struct entry *e;

    m->line = s->line;
    layout_check_keys(p, s, keys);
    load_listen(p, s, m);
    load_connections(p, s, m);
    if ((e = layout_take(s, "allow")))
        parse_cidrs(p, e, m->allow, &m->allow_count);
    if ((e = layout_take(s, "allow_write")))
        parse_cidrs(p, e, m->allow_write, &m->allow_write_count);
    if ((e = layout_take(s, "default_word_order")) &&
        !(m->default_word_order = layout_word_order_from_name(e->value)))
        layout_fail(p, e->line, "[modbus]: default_word_order '%s' is not ABCD, CDAB, BADC or "
                    "DCBA", e->value);

    load_rtu_device(p, s, m);
    load_rtu_baud(p, s, m);
    load_rtu_framing(p, s, m);
    load_alarm_base(p, s, "alarm_bits", true, &m->alarm_bits);
    load_alarm_base(p, s, "alarm_registers", false, &m->alarm_registers);
    layout_take(s, "description");
}
