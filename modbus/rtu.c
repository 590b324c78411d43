/* SPDX-License-Identifier: MIT */
/*
 * Modbus RTU: frames cut from the serial byte stream.
 *
 * libmodbus opens and configures the port (baud, parity, bits, RS-485 and RTS
 * modes) and sends the responses (CRC and RTS handling), but its receive
 * blocks until a frame is whole, which would stall every TCP client behind a
 * slow or broken serial frame. So the bytes are read here as they come: a
 * request of a known function is cut at its length, anything else at the
 * 3.5-character silence that ends an RTU frame. Where the length its function
 * and byte count give disagrees with the frame (the CRC fails at that length),
 * the silence decides too: bytes whose CRC holds over all of them are one
 * frame, which the core answers with ILLEGAL DATA VALUE for its length, and
 * anything else is dropped. A frame for another unit is ignored; a broadcast
 * (unit 0) is carried out and never answered.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static unsigned crc16(const uint8_t *p, size_t n)
{
    unsigned crc = 0xFFFF;
    while (n--) {
        crc ^= *p++;
        for (int i = 0; i < 8; i++)
            crc = crc & 1 ? (crc >> 1) ^ 0xA001 : crc >> 1;
    }
    return crc;
}

/* Bytes of the whole request (unit, PDU, CRC) once enough of it is here; 0 = unknown yet. */
static size_t expected(const uint8_t *b, size_t n)
{
    if (n < 2)
        return 0;
    switch (b[1]) {
    case 0x01: case 0x02: case 0x03: case 0x04: case 0x05: case 0x06:
        return 8;
    case 0x0F: case 0x10:
        return n >= 7 ? 9u + b[6] : 0;
    case 0x11:
        return 4;
    case 0x16:
        return 10;
    case 0x17:
        return n >= 11 ? 13u + b[10] : 0;
    case 0x2B: /* read device identification; other MEI types are cut by silence */
        return n >= 3 && b[2] == 0x0E ? 7 : 0;
    default:
        return 0; /* cut by silence */
    }
}

static bool crc_ok(const uint8_t *b, size_t n)
{
    unsigned crc = crc16(b, n - 2);
    return b[n - 2] == (crc & 0xff) && b[n - 1] == crc >> 8;
}

static int take(struct mb_conn *c, size_t n, struct mb_frame *f)
{
    f->unit = c->rx[0];
    f->pdu = c->rx + 1;
    f->len = n - 3;
    f->consumed = n;
    return 1;
}

static int rtu_frame(struct mb_conn *c, struct mb_frame *f)
{
    size_t n = expected(c->rx, c->rx_len);
    /* A bad CRC where the frame should end: its length is wrong, or it is noise;
     * wait for the silence to tell. */
    if (n == 0 || c->rx_len < n || !crc_ok(c->rx, n))
        return 0;
    return take(c, n, f);
}

static enum mb_unit_verdict rtu_unit(struct mb_conn *c, uint8_t unit)
{
    if (unit == mb_server_config(c->srv)->unit_id)
        return MB_UNIT_ANSWER;
    return unit == 0 ? MB_UNIT_SILENT : MB_UNIT_IGNORE;
}

static void rtu_reply(struct mb_conn *c, const struct mb_frame *f, const uint8_t *pdu,
                      size_t len)
{
    uint8_t raw[1 + PLC_MODBUS_PDU_MAX];
    raw[0] = f->unit;
    memcpy(raw + 1, pdu, len);
    if (modbus_send_raw_request(c->ctx, raw, (int)(len + 1)) < 0) {
        mb_server_log(c->srv, PLC_LOG_WARNING, "rtu: cannot send a response: %s",
                      modbus_strerror(errno));
        /* the port stays: the master will ask again */
    }
}

/* Silence after bytes that made no frame yet: whatever came is one frame, or noise.
 * A frame is answered as the core judges its PDU: ILLEGAL FUNCTION for a function
 * it does not serve, ILLEGAL DATA VALUE for a PDU of the wrong length. */
static int rtu_quiet(struct mb_conn *c, struct mb_frame *f)
{
    if (c->rx_len >= 4 && crc_ok(c->rx, c->rx_len))
        return take(c, c->rx_len, f);
    mb_server_log(c->srv, PLC_LOG_DEBUG, "rtu: dropped %zu bytes that made no frame%s",
                  c->rx_len, c->rx_len >= 4 ? " (bad CRC)" : "");
    c->rx_len = 0;
    return 0;
}

const struct mb_transport_ops mb_rtu_ops = {
    .name = "rtu",
    .frame = rtu_frame,
    .unit = rtu_unit,
    .reply = rtu_reply,
    .quiet = rtu_quiet,
    .close_on_garbage = false,
};
