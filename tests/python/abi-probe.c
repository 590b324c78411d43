/* SPDX-License-Identifier: MIT */
/*
 * The size and field offsets of the libplc structs raspiplc mirrors with
 * ctypes (python/raspiplc/_lib.py), as the compiler lays them out, as JSON:
 * test_abi.py compares them with the mirror's.
 */
#include <stddef.h>
#include <stdio.h>

#include "plc-event.h"
#include "plc.h"

#define FIELD(s, f) printf("%s\"%s\": %zu", first ? "" : ", ", #f, offsetof(s, f)), first = 0
#define BEGIN(s, name)                                                                             \
    printf("%s\"%s\": {\"size\": %zu, \"fields\": {", n++ ? ", " : "", name, sizeof(s)), first = 1
#define END() printf("}}")

int main(void)
{
    int n = 0, first;
    printf("{");
    BEGIN(struct plc_region_def, "RegionDef");
    FIELD(struct plc_region_def, writer);
    FIELD(struct plc_region_def, mode);
    FIELD(struct plc_region_def, data_size);
    FIELD(struct plc_region_def, first_tag);
    FIELD(struct plc_region_def, tag_count);
    FIELD(struct plc_region_def, line);
    END();
    BEGIN(struct plc_tag_def, "TagDef");
    FIELD(struct plc_tag_def, region);
    FIELD(struct plc_tag_def, type);
    FIELD(struct plc_tag_def, offset);
    FIELD(struct plc_tag_def, min_v);
    FIELD(struct plc_tag_def, max_v);
    FIELD(struct plc_tag_def, unit);
    FIELD(struct plc_tag_def, description);
    FIELD(struct plc_tag_def, modbus);
    FIELD(struct plc_tag_def, line);
    END();
    BEGIN(struct plc_alarm_def, "AlarmDef");
    FIELD(struct plc_alarm_def, tag);
    FIELD(struct plc_alarm_def, limit);
    FIELD(struct plc_alarm_def, limit_tag);
    FIELD(struct plc_alarm_def, severity);
    FIELD(struct plc_alarm_def, message);
    FIELD(struct plc_alarm_def, line);
    END();
    BEGIN(struct plc_logic_def, "LogicHead");
    FIELD(struct plc_logic_def, reset_command);
    FIELD(struct plc_logic_def, alarms);
    FIELD(struct plc_logic_def, alarm_ack);
    END();
    BEGIN(struct plc_modbus_config, "ModbusConfigHead");
    FIELD(struct plc_modbus_config, listen_port);
    FIELD(struct plc_modbus_config, unit_id);
    END();
    BEGIN(struct plc_region_info, "RegionInfo");
    FIELD(struct plc_region_info, writer_pid);
    FIELD(struct plc_region_info, size);
    FIELD(struct plc_region_info, created_ns);
    FIELD(struct plc_region_info, claims);
    FIELD(struct plc_region_info, max_silence_ns);
    FIELD(struct plc_region_info, repaired);
    END();
    BEGIN(struct plc_event, "Event");
    FIELD(struct plc_event, source);
    FIELD(struct plc_event, name);
    FIELD(struct plc_event, before);
    FIELD(struct plc_event, text);
    END();
    BEGIN(struct plc_diag, "Diag");
    FIELD(struct plc_diag, line);
    FIELD(struct plc_diag, msg);
    END();
    printf("}\n");
    return 0;
}
