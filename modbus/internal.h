/* SPDX-License-Identifier: MIT */
/* Shared between the files of the Modbus gateway; not installed. */
#ifndef PLC_MODBUS_INTERNAL_H
#define PLC_MODBUS_INTERNAL_H

#include <modbus.h>

#include "plc-modbus.h"

/* The public header spells it out so that its users need no <modbus.h>. */
_Static_assert(PLC_MODBUS_PDU_MAX == MODBUS_MAX_PDU_LENGTH, "PDU size differs from libmodbus's");

#define MB_TABLES 5 /* indexed by enum plc_modbus_table, 0 unused */

struct plc_modbus_map {
    struct plc_modbus_map_entry *entries; /* table, then address order */
    size_t count;
    /* address -> entry index + 1 (0 = unmapped), per table; NULL when the table is empty */
    uint16_t *slot[MB_TABLES];
};

/* Index of the entry at @address, or -1. */
static inline long mb_map_slot(const struct plc_modbus_map *m, int table, unsigned address)
{
    const uint16_t *s = m->slot[table];
    return s && s[address] ? (long)s[address] - 1 : -1;
}

/* ---- core.c, for the log ---- */

/* "illegal data address" for 0x02. */
const char *mb_exception_name(unsigned code);
/* What a request asked for, e.g. "function 0x10 address 200 quantity 124". */
void mb_request_describe(const uint8_t *pdu, size_t len, char *buf, size_t size);

/* ---- identification (ident.c): FC17 and FC43/14 ---- */

#define MB_IDENT_OBJECTS 7 /* device identification objects 0x00..0x06 (basic, regular) */

struct mb_ident {
    char object[MB_IDENT_OBJECTS][64]; /* by object id; "" when not served */
    char id[96];                       /* FC17's id string */
};

void mb_ident_init(struct mb_ident *id, const struct plc_layout *layout);
/* FC17 for a request PDU of @len bytes: 0 with the response in @rsp (*n bytes), or
 * the exception code. */
int mb_ident_report_server_id(const struct mb_ident *id, uint8_t server_id, bool running,
                              size_t len, uint8_t *rsp, size_t *n);
/* FC43/14: 0 with a response of at most @room bytes (the objects that do not fit
 * are announced by "more follows"), or the exception code. */
int mb_ident_read_device_id(const struct mb_ident *id, const uint8_t *req, size_t len,
                            size_t room, uint8_t *rsp, size_t *n);

/* ---- server internals: connections and the transports behind an ops table ---- */

#define MB_RX_CAP 2048
#define MB_TX_CAP 4096
#define MB_ADU_MAX (7 + PLC_MODBUS_PDU_MAX) /* the largest response: MBAP header and PDU */

enum mb_kind { MB_LISTENER = 1, MB_CONN };

struct mb_conn;

/* One request as a transport found it in a connection's receive buffer. */
struct mb_frame {
    const uint8_t *pdu;
    size_t len;
    uint8_t unit;
    uint16_t tid;    /* MBAP transaction id (TCP) */
    size_t consumed; /* bytes of rx the frame took */
};

enum mb_unit_verdict { MB_UNIT_ANSWER = 1, MB_UNIT_SILENT, MB_UNIT_IGNORE, MB_UNIT_REFUSE };

struct mb_transport_ops {
    const char *name;
    /* The next whole request in c->rx: 1 (frame filled), 0 (need more bytes, or
     * RTU: the silence decides), -1 (garbage: the stream is lost, the connection
     * closed). */
    int (*frame)(struct mb_conn *c, struct mb_frame *f);
    /* What to do with a request for this unit id. */
    enum mb_unit_verdict (*unit)(struct mb_conn *c, uint8_t unit);
    /* Queue (TCP) or send (RTU) the response PDU of @f. With tx_head, @pdu is in
     * c->tx, tx_head bytes past c->tx_len: the header goes in front of it. */
    void (*reply)(struct mb_conn *c, const struct mb_frame *f, const uint8_t *pdu, size_t len);
    /* Bytes wait in rx and nothing came for a frame's silence time: 1 when they
     * make a frame (filled in @f), else they are dropped and 0. NULL for streams. */
    int (*quiet)(struct mb_conn *c, struct mb_frame *f);
    bool close_on_garbage; /* TCP: a lost stream is closed; RTU: drop and resync */
    size_t tx_head;        /* TCP: response header bytes; 0: responses are not queued */
};

extern const struct mb_transport_ops mb_tcp_ops;
extern const struct mb_transport_ops mb_rtu_ops;

struct mb_conn {
    enum mb_kind kind;
    struct plc_modbus_server *srv;
    const struct mb_transport_ops *ops;
    int fd;
    unsigned flags;     /* PLC_MODBUS_READ_ONLY */
    char peer[136];   /* "1.2.3.4:5555", or the serial device */
    char client[48];  /* who, for events: the peer, or "rtu unit N DEVICE" */
    int client_unit;  /* RTU: the unit client names, -1 before the first */
    uint8_t rx[MB_RX_CAP];
    size_t rx_len;
    uint8_t tx[MB_TX_CAP];
    size_t tx_len, tx_off;
    int64_t last_ns;    /* last byte received */
    uint32_t events;    /* epoll interest now */
    modbus_t *ctx;      /* RTU: the libmodbus context that owns the port */
    struct mb_conn *prev, *next;
};

/* Server services the transports use. */
const struct plc_modbus_config *mb_server_config(const struct plc_modbus_server *s);
void mb_server_log(struct plc_modbus_server *s, int prio, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
