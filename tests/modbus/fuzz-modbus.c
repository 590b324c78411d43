/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target for the gateway's request handling: the first byte picks
 * the path (a PDU straight into the core, or a byte stream cut into frames by
 * the TCP or RTU transport and each frame served), the rest is the input.
 * The core runs against real regions of the test layout in /dev/shm.
 * Checked beyond "no crash" (ASan and UBSan are on): every answer is 2..253
 * bytes, an exception is the function code | 0x80 and a code the gateway
 * uses, a normal answer repeats the function code.
 */
#include <assert.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mb-layout.h"

static struct plc_modbus_core *core;
static struct plc_layout *layout;
static char base[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void cleanup(void)
{
    plc_modbus_core_free(core);
    plc_layout_free(layout);
    nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    struct plc_diag d;
    char *text = mb_layout_text(NULL);
    layout = plc_layout_load_string(text, "fuzz.ini", &d);
    free(text);
    snprintf(base, sizeof(base), "/dev/shm/plc-fuzz-XXXXXX");
    if (!layout || !mkdtemp(base))
        abort();
    for (size_t i = 0; i < plc_layout_region_count(layout); i++)
        if (plc_region_create(layout, base, plc_layout_region_at(layout, i), 0, &d) ==
            PLC_CREATE_ERROR)
            abort();
    core = plc_modbus_core_new(layout, base, &d);
    if (!core) {
        fprintf(stderr, "fuzz: %s\n", d.msg);
        abort();
    }
    atexit(cleanup);
    return 0;
}

static void serve(const uint8_t *pdu, size_t len, unsigned flags)
{
    uint8_t rsp[PLC_MODBUS_PDU_MAX];
    size_t n = plc_modbus_core_handle(core, pdu, len, flags, rsp);
    if (n < 2 || n > PLC_MODBUS_PDU_MAX)
        abort();
    uint8_t fc = len ? pdu[0] : 0;
    if (rsp[0] & 0x80) {
        if (n != 2 || (rsp[0] & 0x7f) != (fc & 0x7f) || rsp[1] < 1 || rsp[1] > 4)
            abort();
    } else if (rsp[0] != fc) {
        abort();
    }
}

/* Bytes arriving on a transport in chunks of the sizes the input says. */
static void stream(const struct mb_transport_ops *ops, const uint8_t *data, size_t size,
                   unsigned flags)
{
    static struct mb_conn c;
    struct mb_frame f;
    c.ops = ops;
    c.rx_len = 0;
    while (size) {
        size_t chunk = 1 + data[0] % 64;
        data++, size--;
        if (chunk > size)
            chunk = size;
        if (c.rx_len + chunk > MB_RX_CAP)
            c.rx_len = 0;
        memcpy(c.rx + c.rx_len, data, chunk);
        c.rx_len += chunk;
        data += chunk, size -= chunk;
        int r;
        while ((r = ops->frame(&c, &f)) == 1) {
            if (f.consumed > c.rx_len || f.pdu < c.rx || f.pdu + f.len > c.rx + c.rx_len)
                abort();
            serve(f.pdu, f.len, flags);
            memmove(c.rx, c.rx + f.consumed, c.rx_len - f.consumed);
            c.rx_len -= f.consumed;
        }
        if (r < 0)
            c.rx_len = 0;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    unsigned flags = data[0] & 1 ? PLC_MODBUS_READ_ONLY : 0;
    switch ((data[0] >> 1) % 3) {
    case 0:
        if (size - 1 <= PLC_MODBUS_PDU_MAX)
            serve(data + 1, size - 1, flags);
        break;
    case 1: stream(&mb_tcp_ops, data + 1, size - 1, flags); break;
    case 2: stream(&mb_rtu_ops, data + 1, size - 1, flags); break;
    }
    return 0;
}
