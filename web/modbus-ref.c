/* SPDX-License-Identifier: MIT */
/* Modbus references in the 40001 style that SCADA tag lists use. */
#include <errno.h>
#include <stdio.h>

#include "plc-web.h"

int plc_web_modbus_ref(enum plc_modbus_table table, unsigned address, char *buf, size_t len)
{
    unsigned prefix;
    switch (table) {
    case PLC_MODBUS_COIL:
        prefix = 0;
        break;
    case PLC_MODBUS_DISCRETE_INPUT:
        prefix = 1;
        break;
    case PLC_MODBUS_INPUT_REGISTER:
        prefix = 3;
        break;
    case PLC_MODBUS_HOLDING_REGISTER:
        prefix = 4;
        break;
    default:
        errno = EINVAL;
        return -1;
    }
    if (address > 65535) {
        errno = EINVAL;
        return -1;
    }
    /* Five digits reach address 9998 (reference x9999); past that the six-digit form. */
    int n = address + 1 <= 9999 ? snprintf(buf, len, "%u%04u", prefix, address + 1)
                                : snprintf(buf, len, "%u%05u", prefix, address + 1);
    if (n < 0 || (size_t)n >= len) {
        errno = ENOSPC;
        return -1;
    }
    return 0;
}
