/* SPDX-License-Identifier: MIT */
/*
 * Modbus RTU: frames cut from the serial byte stream.
 *
 * libmodbus opens and configures the port (baud, parity, bits, RS-485 and RTS
 * modes) and sends the responses (CRC and RTS handling), but its receive
 * blocks until a frame is whole, which would stall every TCP client behind a
 * slow or broken serial frame. So the bytes are read here as they come: a
 * request of a known function is cut at its length, anything else at the
 * 3.5-character silence that ends an RTU frame. A bad CRC drops what was
 * received; a frame for another unit is ignored; a broadcast (unit 0) is
 * carried out and never answered.
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
    case 0x17:
        return n >= 11 ? 13u + b[10] : 0;
    default:
        return 0; /* cut by silence */
    }
}

static int take(struct mb_conn *c, size_t n, struct mb_frame *f)
{
    unsigned crc = crc16(c->rx, n - 2);
    if (c->rx[n - 2] != (crc & 0xff) || c->rx[n - 1] != crc >> 8)
        return -1;
    f->unit = c->rx[0];
    f->pdu = c->rx + 1;
    f->len = n - 3;
    f->consumed = n;
    return 1;
}

static int rtu_frame(struct mb_conn *c, struct mb_frame *f)
{
    size_t n = expected(c->rx, c->rx_len);
    if (n == 0 || c->rx_len < n)
        return 0;
    return take(c, n, f);
}

static enum mb_unit_verdict rtu_unit(struct mb_conn *c, uint8_t unit)
{
    if (unit == mb_server_config(c->srv)->unit_id)
        return MB_UNIT_ANSWER;
    return unit == 0 ? MB_UNIT_SILENT : MB_UNIT_IGNORE;
}

static int rtu_reply(struct mb_conn *c, const struct mb_frame *f, const uint8_t *pdu,
                     size_t len)
{
    uint8_t raw[1 + PLC_MODBUS_PDU_MAX];
    raw[0] = f->unit;
    memcpy(raw + 1, pdu, len);
    if (modbus_send_raw_request(c->ctx, raw, (int)(len + 1)) < 0) {
        mb_server_log(c->srv, PLC_LOG_WARNING, "rtu: cannot send a response: %s",
                      modbus_strerror(errno));
        return 0; /* the port stays: the master will ask again */
    }
    return 0;
}

/* Silence after bytes that made no frame yet: whatever came is one frame, or noise. */
static int rtu_quiet(struct mb_conn *c, struct mb_frame *f)
{
    if (c->rx_len >= 4 && expected(c->rx, c->rx_len) == 0 && take(c, c->rx_len, f) == 1)
        return 1; /* a function we do not serve, well framed: it gets ILLEGAL FUNCTION */
    mb_server_log(c->srv, PLC_LOG_DEBUG, "rtu: dropped %zu bytes that made no frame",
                  c->rx_len);
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
