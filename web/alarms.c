/* SPDX-License-Identifier: MIT */
/*
 * GET /api/alarms[/NAME]: every alarm of the layout as plcctl alarms shows
 * it, from the snapshot thread's copy: the state plc-logic last published in
 * the alarm region (two bits per alarm), the watched tag's value and the
 * limit now, and the shelving from the forcing table.
 */
#include <string.h>

#include "internal.h"
#include "plc-alarm.h"
#include "plc-force.h"
#include "plc.h"

static json_object *value_of(const struct plc_layout *l, struct web_snapshot *snap,
                             const struct plc_tag_def *tag)
{
    return tag ? web_snapshot_value(snap, web_tag_index(l, tag)) : NULL;
}

static json_object *shelved_json(const struct plc_shelving *sh, int n, size_t alarm)
{
    char until[48];
    for (int k = 0; k < n; k++) {
        if (sh[k].index != alarm)
            continue;
        json_object *obj = json_object_new_object();
        web_format_time(sh[k].until_ns, until, sizeof(until));
        json_object_object_add(obj, "until", json_object_new_string(until));
        json_object_object_add(obj, "until_ns", json_object_new_int64(sh[k].until_ns));
        json_object_object_add(obj, "by", json_object_new_string(sh[k].user));
        return obj;
    }
    return NULL;
}

static json_object *alarm_json(const struct plc_layout *l, struct web_snapshot *snap, size_t i,
                               const struct plc_shelving *sh, int nshelved)
{
    const struct plc_alarm_def *a = plc_layout_alarm_at(l, i);
    json_object *obj = json_object_new_object();
    json_object *active = value_of(l, snap, plc_layout_alarm_bit(l, i, false));
    json_object *unacked = value_of(l, snap, plc_layout_alarm_bit(l, i, true));
    json_object_object_add(obj, "name", json_object_new_string(a->name));
    json_object_object_add(obj, "tag", json_object_new_string(a->tag->name));
    json_object_object_add(obj, "kind", json_object_new_string(plc_alarm_kind_name(a->kind)));
    if (active && unacked) { /* null while the alarm region cannot be read */
        bool on = json_object_get_boolean(active), un = json_object_get_boolean(unacked);
        json_object_object_add(
            obj, "state",
            json_object_new_string(plc_alarm_state_name(plc_alarm_state_from_bits(on, un))));
        json_object_object_add(obj, "active", json_object_new_boolean(on));
        json_object_object_add(obj, "acked", json_object_new_boolean(!un));
    } else {
        json_object_object_add(obj, "state", NULL);
        json_object_object_add(obj, "active", NULL);
        json_object_object_add(obj, "acked", NULL);
    }
    json_object_put(active);
    json_object_put(unacked);
    json_object_object_add(obj, "shelved", shelved_json(sh, nshelved, i));
    json_object_object_add(obj, "severity",
                           json_object_new_string(plc_alarm_severity_name(a->severity)));
    json_object_object_add(obj, "value", value_of(l, snap, a->tag));
    json_object *limit = NULL;
    if (a->kind <= PLC_ALARM_LL)
        limit = a->limit_tag ? value_of(l, snap, a->limit_tag) : json_object_new_double(a->limit);
    json_object_object_add(obj, "limit", limit);
    json_object_object_add(obj, "message", json_object_new_string(a->message));
    return obj;
}

json_object *web_alarms_json(const struct plc_layout *l, const char *base,
                             struct web_snapshot *snap, const char *name)
{
    const struct plc_alarm_def *one = name ? plc_layout_find_alarm(l, name) : NULL;
    if (name && !one)
        return NULL;
    struct plc_shelving shelved[PLC_SHELVE_CAPACITY];
    struct plc_force_table *ft = plc_force_table_open(l, base, PLC_READER, NULL);
    int nshelved = ft ? plc_force_table_list_shelved(ft, 0, shelved) : 0; /* none: none shelved */
    plc_force_table_close(ft);
    if (nshelved < 0)
        nshelved = 0;
    json_object *rows = json_object_new_array();
    for (size_t i = 0; i < plc_layout_alarm_count(l); i++) {
        if (one && plc_layout_alarm_at(l, i) != one)
            continue;
        json_object *a = alarm_json(l, snap, i, shelved, nshelved);
        if (one) {
            json_object_put(rows);
            return a;
        }
        json_object_array_add(rows, a);
    }
    return rows;
}
