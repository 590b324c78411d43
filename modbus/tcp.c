/* SPDX-License-Identifier: MIT */
/*
 * Modbus TCP: MBAP frames reassembled from a byte stream.
 *
 * One read() is not one frame: a request may come in pieces or several in one
 * segment, so frames are cut from the connection's buffer by the MBAP length.
 * A header that cannot be Modbus (protocol id not 0, length outside 2..254)
 * means the stream is lost: the connection is closed at once, and no other
 * client waits for it.
 */

#include "internal.h"

static int tcp_frame(struct mb_conn *c, struct mb_frame *f)
{
    if (c->rx_len < 7)
        return 0;
    unsigned proto = (unsigned)c->rx[2] << 8 | c->rx[3];
    unsigned length = (unsigned)c->rx[4] << 8 | c->rx[5];
    if (proto != 0 || length < 2 || length > PLC_MODBUS_PDU_MAX + 1)
        return -1;
    if (c->rx_len < 6 + length)
        return 0;
    f->tid = (uint16_t)(c->rx[0] << 8 | c->rx[1]);
    f->unit = c->rx[6];
    f->pdu = c->rx + 7;
    f->len = length - 1;
    f->consumed = 6 + length;
    return 1;
}

/* Unit ids on TCP: our own, 0 and 255 are this device; others as the policy says. */
static enum mb_unit_verdict tcp_unit(struct mb_conn *c, uint8_t unit)
{
    const struct plc_modbus_config *cfg = mb_server_config(c->srv);
    if (unit == cfg->unit_id || unit == 0 || unit == 255 ||
        cfg->tcp_unit_policy == PLC_MODBUS_UNIT_ANY)
        return MB_UNIT_ANSWER;
    return MB_UNIT_REFUSE;
}

/* The PDU is already in place in tx: write the MBAP header in front of it and queue
 * both; the server sends what is queued once the frames at hand are answered. */
static void tcp_reply(struct mb_conn *c, const struct mb_frame *f, const uint8_t *pdu,
                      size_t len)
{
    uint8_t *adu = c->tx + c->tx_len;
    (void)pdu; /* == adu + 7 */
    adu[0] = (uint8_t)(f->tid >> 8);
    adu[1] = (uint8_t)f->tid;
    adu[2] = adu[3] = 0;
    adu[4] = (uint8_t)((len + 1) >> 8);
    adu[5] = (uint8_t)(len + 1);
    adu[6] = f->unit;
    c->tx_len += 7 + len;
}

const struct mb_transport_ops mb_tcp_ops = {
    .name = "tcp",
    .frame = tcp_frame,
    .unit = tcp_unit,
    .reply = tcp_reply,
    .quiet = NULL,
    .close_on_garbage = true,
    .tx_head = 7,
};
