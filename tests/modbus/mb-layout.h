/* SPDX-License-Identifier: MIT */
/* The layout the gateway tests serve: every type, word order, table, and holes. */
#ifndef PLC_TEST_MB_LAYOUT_H
#define PLC_TEST_MB_LAYOUT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Holding registers 200..324: 125 uint16 tags of 'parameters', for full-size reads. */
#define MB_BLOCK_START 200
#define MB_BLOCK_COUNT 125

/* A malloc'd layout; @modbus_keys go into its [modbus] section. */
static inline char *mb_layout_text(const char *modbus_keys)
{
    size_t cap = 64 * 1024, n = 0;
    char *t = malloc(cap);
#define ADD(...) (n += (size_t)snprintf(t + n, cap - n, __VA_ARGS__))
    ADD("[layout]\nname = mbtest\nversion = 1\n"
        "[modbus]\nlisten = 127.0.0.1:1502\nunit_id = 7\n%s\n%s\n",
        modbus_keys && strstr(modbus_keys, "max_connections") ? "" : "max_connections = 100",
        modbus_keys ? modbus_keys : "");
    ADD("[region inputs]\nwriter = io\n[region outputs]\nwriter = logic\n"
        "[region commands]\nwriter = modbus\n[region parameters]\nwriter = modbus\n"
        "[region status]\nwriter = logic\n");
    ADD("[tag di0]\nregion = inputs\ntype = bool\nmodbus = discrete_input:0\n");
    ADD("[tag di1]\nregion = inputs\ntype = bool\nmodbus = discrete_input:1\n");
    ADD("[tag di3]\nregion = inputs\ntype = bool\nmodbus = discrete_input:3\n");
    ADD("[tag level]\nregion = inputs\ntype = float32\nmodbus = input_register:0\n");
    ADD("[tag lamp]\nregion = outputs\ntype = bool\nmodbus = coil:100\n");
    for (int i = 0; i < 10; i++)
        ADD("[tag c%d]\nregion = commands\ntype = bool\nmodbus = coil:%d\n", i, i);
    ADD("[tag start]\nregion = commands\ntype = uint16\nmodbus = holding_register:0\n");
    ADD("[tag stop]\nregion = commands\ntype = uint16\nmodbus = holding_register:1\n");
    ADD("[tag speed]\nregion = commands\ntype = int16\nmin = -100\nmax = 100\n"
        "modbus = holding_register:2\n");
    ADD("[tag px]\nregion = parameters\ntype = uint16\nmodbus = holding_register:3\n");
    ADD("[tag p_abcd]\nregion = parameters\ntype = float32\nmodbus = holding_register:10\n");
    ADD("[tag p_cdab]\nregion = parameters\ntype = float32\nmodbus = holding_register:12\n"
        "modbus_word_order = CDAB\n");
    ADD("[tag p_badc]\nregion = parameters\ntype = float32\nmodbus = holding_register:14\n"
        "modbus_word_order = BADC\n");
    ADD("[tag p_dcba]\nregion = parameters\ntype = float32\nmodbus = holding_register:16\n"
        "modbus_word_order = DCBA\n");
    ADD("[tag counter]\nregion = parameters\ntype = int32\nmodbus = holding_register:18\n");
    ADD("[tag limit]\nregion = parameters\ntype = uint32\nmin = 10\nmax = 1000\ninitial = 10\n"
        "modbus = holding_register:20\n");
    ADD("[tag pair_a]\nregion = parameters\ntype = uint32\nmodbus = holding_register:24\n");
    ADD("[tag pair_b]\nregion = parameters\ntype = uint32\nmodbus = holding_register:26\n");
    for (int i = 0; i < MB_BLOCK_COUNT; i++)
        ADD("[tag blk%d]\nregion = parameters\ntype = uint16\nmodbus = holding_register:%d\n", i,
            MB_BLOCK_START + i);
    ADD("[tag ro]\nregion = status\ntype = uint16\nmodbus = holding_register:30\n");
    ADD("[tag st]\nregion = status\ntype = uint16\nmodbus = input_register:10\n");
#ifdef MB_LAYOUT_EXTRA
    ADD("%s", MB_LAYOUT_EXTRA); /* a test's own tags, in the regions above */
#endif
    /* plc-logic's fault state, which FC17's run indicator looks at */
    ADD("[region diagnostics]\nwriter = logic\n");
    ADD("[tag fault_state]\nregion = diagnostics\ntype = uint16\nmodbus = input_register:40\n");
#undef ADD
    return t;
}

#endif
