/* SPDX-License-Identifier: MIT */
/*
 * plcctl get TAG...: every name is checked against the layout first; then the
 * tags of each region come from one consistent read of that region.
 */
#include <errno.h>
#include <stdlib.h>

#include "plc-force.h"
#include "plcctl.h"

enum { COL_TAG, COL_VALUE, COL_UNIT, COL_FORCED, COL_COUNT };

/* FORCED only when a tag shown is forced. */
static const struct table_column columns[COL_COUNT] = {
    [COL_TAG] = {"TAG", "tag", false, NULL},
    [COL_VALUE] = {"VALUE", "value", true, NULL},
    [COL_UNIT] = {"UNIT", "unit", false, NULL},
    [COL_FORCED] = {"FORCED", "forced", false, NULL},
};

/* Read the tags of one region, tags[i] for every i with tags[i]->region == def. */
static int read_region(const struct ctl *ctl, const struct plc_region_def *def,
                       const struct plc_tag_def **tags, size_t n, struct plc_value *values)
{
    const struct plc_tag_def **mine = calloc(n, sizeof(*mine));
    unsigned char *data = calloc(1, def->data_size);
    struct plc_region *r = NULL;
    size_t m = 0;
    int rc = -1;

    if (!mine || !data) {
        ctl_err("out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (tags[i]->region == def)
            mine[m++] = tags[i];
    r = ctl_attach(ctl, def->name);
    if (!r)
        goto out;
    if (plc_region_read_tags(r, mine, m, data) < 0) {
        ctl_err("region '%s': cannot read: %s", def->name, plc_strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (tags[i]->region == def)
            values[i] = plc_value_load(tags[i]->type, data + tags[i]->offset);
    rc = 0;
out:
    plc_region_detach(r);
    free(data);
    free(mine);
    return rc;
}

int ctl_get(struct ctl *ctl, int argc, char **argv)
{
    size_t n = (size_t)argc - 1;
    const struct plc_tag_def **tags = calloc(n, sizeof(*tags));
    struct plc_value *values = calloc(n, sizeof(*values));
    struct table *t = NULL;
    struct plc_force_table *forces = NULL;
    bool any_forced = false;
    char marker[96];
    int rc = CTL_FAIL;

    if (!tags || !values) {
        ctl_err("out of memory");
        goto out;
    }
    if (ctl_find_tags(ctl, argv + 1, n, tags) < 0)
        goto out;
    /* One read per region, in the order regions first appear. */
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = tags[j]->region == tags[i]->region;
        if (!seen && read_region(ctl, tags[i]->region, tags, n, values) < 0)
            goto out;
    }
    forces = ctl_forces_open(ctl);
    for (size_t i = 0; i < n; i++)
        any_forced |= ctl_force_marker(forces, tags[i], marker, sizeof(marker));
    t = table_new(columns, any_forced ? COL_COUNT : COL_FORCED, TABLE_OBJECT);
    if (!t)
        goto out;
    for (size_t i = 0; i < n; i++) {
        table_row(t);
        table_str(t, COL_TAG, tags[i]->name);
        table_exact(t, COL_VALUE, tags[i]->type, &values[i]);
        table_str(t, COL_UNIT, tags[i]->unit);
        if (any_forced && ctl_force_marker(forces, tags[i], marker, sizeof(marker)))
            table_str(t, COL_FORCED, marker);
        else if (any_forced)
            table_str(t, COL_FORCED, "");
    }
    if (table_print(t, stdout, ctl->json) == 0)
        rc = CTL_OK;
out:
    table_free(t);
    plc_force_table_close(forces);
    free(values);
    free(tags);
    return rc;
}
