/* SPDX-License-Identifier: MIT */
/*
 * What the gateway says about itself: FC17 (report server id) and FC43 with
 * MEI type 14 (read device identification), the two requests SCADA discovery
 * and nmap's modbus-discover send to learn what answers on a port.
 *
 * The objects are fixed when the core is made, from the build's version and
 * the layout, so a request costs a few copies. Device identification is served
 * at conformity level 0x82: the basic and regular categories, as a stream
 * (read device id codes 01, 02 and 03, where 03 answers as 02 since there are
 * no extended objects) and one object at a time (code 04).
 */
#include <string.h>

#include "internal.h"

#ifndef RASPIPLC_VERSION
#error "RASPIPLC_VERSION (the project's version) must be defined by the build"
#endif

enum {
    MEI_DEVICE_ID = 0x0E,
    CONFORMITY_REGULAR_INDIVIDUAL = 0x82, /* regular objects, stream and individual access */
    OBJ_BASIC_LAST = 0x02,                /* VendorName, ProductCode, MajorMinorRevision */
};

void mb_ident_init(struct mb_ident *id, const struct plc_layout *l)
{
    const char *name = plc_layout_get_name(l);
    unsigned version = plc_layout_get_version(l);
    memset(id, 0, sizeof(*id));
    snprintf(id->object[0x00], sizeof(id->object[0]), "RaspiPLC");
    snprintf(id->object[0x01], sizeof(id->object[0]), "plc-modbus");
    snprintf(id->object[0x02], sizeof(id->object[0]), "%s", RASPIPLC_VERSION);
    /* 0x03 VendorUrl and 0x05 ModelName are optional and not served */
    snprintf(id->object[0x04], sizeof(id->object[0]), "RaspiPLC soft-PLC");
    snprintf(id->object[0x06], sizeof(id->object[0]), "%s v%u", name, version);
    snprintf(id->id, sizeof(id->id), "RaspiPLC %s %s v%u", RASPIPLC_VERSION, name, version);
}

int mb_ident_report_server_id(const struct mb_ident *id, uint8_t server_id, bool running,
                              size_t len, uint8_t *rsp, size_t *n)
{
    if (len != 1)
        return PLC_MODBUS_EX_ILLEGAL_VALUE;
    size_t idlen = strlen(id->id);
    rsp[0] = 0x11;
    rsp[1] = (uint8_t)(2 + idlen);
    rsp[2] = server_id;
    rsp[3] = running ? 0xFF : 0x00;
    memcpy(rsp + 4, id->id, idlen);
    *n = 4 + idlen;
    return 0;
}

int mb_ident_read_device_id(const struct mb_ident *id, const uint8_t *req, size_t len,
                            size_t room, uint8_t *rsp, size_t *n)
{
    if (len >= 2 && req[1] != MEI_DEVICE_ID)
        return PLC_MODBUS_EX_ILLEGAL_FUNCTION; /* CANopen and other MEI types */
    if (len != 4)
        return PLC_MODBUS_EX_ILLEGAL_VALUE;
    unsigned code = req[2], first = req[3], last;
    switch (code) {
    case 1: last = OBJ_BASIC_LAST; break;
    case 2:
    case 3: last = MB_IDENT_OBJECTS - 1; break;
    case 4:
        if (first >= MB_IDENT_OBJECTS || !id->object[first][0])
            return PLC_MODBUS_EX_ILLEGAL_ADDRESS;
        last = first;
        break;
    default: return PLC_MODBUS_EX_ILLEGAL_VALUE;
    }
    /* A stream asked to start at an object it does not hold starts over at 0. */
    if (first > last || !id->object[first][0])
        first = 0;
    rsp[0] = 0x2B;
    rsp[1] = MEI_DEVICE_ID;
    rsp[2] = (uint8_t)code;
    rsp[3] = CONFORMITY_REGULAR_INDIVIDUAL;
    rsp[4] = 0x00; /* more follows */
    rsp[5] = 0x00; /* next object id */
    rsp[6] = 0;    /* number of objects */
    size_t k = 7;
    for (unsigned o = first; o <= last; o++) {
        size_t olen = strlen(id->object[o]);
        if (!olen)
            continue;
        if (k + 2 + olen > room) { /* the rest in the next request, from object o */
            rsp[4] = 0xFF;
            rsp[5] = (uint8_t)o;
            break;
        }
        rsp[k++] = (uint8_t)o;
        rsp[k++] = (uint8_t)olen;
        memcpy(rsp + k, id->object[o], olen);
        k += olen;
        rsp[6]++;
    }
    *n = k;
    return 0;
}
