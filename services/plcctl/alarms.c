/* SPDX-License-Identifier: MIT */
/*
 * plcctl alarms: every alarm of the layout with its state as plc-logic last
 * published it in the alarm region, the value of the tag it watches and its
 * limit now, and until when it is shelved (from the forcing table). One
 * consistent read of each region involved.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "plc-alarm.h"
#include "plc-force.h"
#include "plcctl.h"

enum {
    COL_ALARM, COL_STATE, COL_SHELVED, COL_SEVERITY, COL_VALUE, COL_LIMIT, COL_MESSAGE, COL_COUNT
};

static const struct table_column columns[COL_COUNT] = {
    [COL_ALARM] = {"ALARM", "alarm", false, NULL},
    [COL_STATE] = {"STATE", "state", false, NULL},
    [COL_SHELVED] = {"SHELVED", "shelved", false, NULL},
    [COL_SEVERITY] = {"SEVERITY", "severity", false, NULL},
    [COL_VALUE] = {"VALUE", "value", true, NULL},
    [COL_LIMIT] = {"LIMIT", "limit", true, NULL},
    [COL_MESSAGE] = {"MESSAGE", "message", false, NULL},
};

/* Every region's data, read once each (only those an alarm needs). */
struct snapshot {
    const struct plc_layout *l;
    unsigned char **data;
};

static const unsigned char *region_data(const struct ctl *ctl, struct snapshot *s,
                                        const struct plc_region_def *def)
{
    size_t i = (size_t)(def - plc_layout_region_at(s->l, 0));
    if (s->data[i])
        return s->data[i];
    unsigned char *d = calloc(1, def->data_size);
    struct plc_region *r = d ? ctl_attach(ctl, def->name) : NULL;
    if (!r || plc_region_read(r, d) < 0) {
        if (r)
            ctl_err("region '%s': cannot read: %s", def->name, plc_strerror(errno));
        plc_region_detach(r);
        free(d);
        return NULL;
    }
    plc_region_detach(r);
    return s->data[i] = d;
}

static int value_of(const struct ctl *ctl, struct snapshot *s, const struct plc_tag_def *t,
                    double *v)
{
    const unsigned char *d = region_data(ctl, s, t->region);
    if (!d)
        return -1;
    *v = plc_tag_decode(t, d);
    return 0;
}

/* "until 17:05:03" for a shelved alarm, JSON null for one that is not. */
static void shelved_cell(struct table *t, const struct plc_shelving *sh, int n, size_t alarm)
{
    char until[64], text[80];
    for (int k = 0; k < n; k++) {
        if (sh[k].index != alarm)
            continue;
        ctl_until_text(sh[k].until_ns, until, sizeof(until));
        snprintf(text, sizeof(text), "until %s", until);
        table_str(t, COL_SHELVED, text);
        return;
    }
    table_null(t, COL_SHELVED, "");
}

static int fill(const struct ctl *ctl, struct snapshot *s, struct table *t)
{
    const struct plc_layout *l = ctl->layout;
    const struct plc_region_def *ar = plc_layout_get_logic(l)->alarms;
    const unsigned char *bits = region_data(ctl, s, ar);
    if (!bits)
        return -1;
    struct plc_shelving shelved[PLC_SHELVE_CAPACITY];
    struct plc_force_table *ft = ctl_forces_open(ctl); /* none: nothing is shelved */
    int nshelved = ft ? plc_force_table_list_shelved(ft, 0, shelved) : 0;
    plc_force_table_close(ft);
    for (size_t i = 0; i < plc_layout_alarm_count(l); i++) {
        const struct plc_alarm_def *a = plc_layout_alarm_at(l, i);
        enum plc_alarm_state state = plc_alarm_state_from_bits(
            plc_tag_decode(plc_layout_alarm_bit(l, i, false), bits) != 0,
            plc_tag_decode(plc_layout_alarm_bit(l, i, true), bits) != 0);
        double value, limit = NAN;
        if (value_of(ctl, s, a->tag, &value) < 0)
            return -1;
        if (a->kind <= PLC_ALARM_LL) {
            limit = a->limit;
            if (a->limit_tag && value_of(ctl, s, a->limit_tag, &limit) < 0)
                return -1;
        }
        table_row(t);
        table_str(t, COL_ALARM, a->name);
        table_str(t, COL_STATE, plc_alarm_state_name(state));
        shelved_cell(t, shelved, nshelved, i);
        table_str(t, COL_SEVERITY, plc_alarm_severity_name(a->severity));
        table_value(t, COL_VALUE, a->tag->type, value);
        if (isnan(limit))
            table_null(t, COL_LIMIT, plc_alarm_kind_name(a->kind));
        else
            table_value(t, COL_LIMIT, a->tag->type, limit);
        table_str(t, COL_MESSAGE, a->message);
    }
    return 0;
}

int ctl_alarms(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const struct plc_layout *l = ctl->layout;
    if (!plc_layout_get_logic(l)->alarms) {
        ctl_err("layout '%s' has no alarm region: it declares no alarms (docs/alarms.md)",
                plc_layout_get_name(l));
        return CTL_FAIL;
    }
    struct snapshot s = {l, calloc(plc_layout_region_count(l), sizeof(*s.data))};
    struct table *t = table_new(columns, COL_COUNT, TABLE_ARRAY);
    int rc = CTL_FAIL;
    if (!s.data || !t)
        ctl_err("out of memory");
    else if (fill(ctl, &s, t) == 0 && table_print(t, stdout, ctl->json) == 0)
        rc = CTL_OK;
    table_free(t);
    for (size_t i = 0; s.data && i < plc_layout_region_count(l); i++)
        free(s.data[i]);
    free(s.data);
    return rc;
}
