/* SPDX-License-Identifier: MIT */
/* plcctl dump REGION: every tag of the region, from one consistent plc_region_read(). */
#include <errno.h>
#include <stdlib.h>

#include "plcctl.h"

enum { COL_TAG, COL_TYPE, COL_OFFSET, COL_VALUE, COL_UNIT, COL_COUNT };

static const struct table_column columns[COL_COUNT] = {
    [COL_TAG] = {"TAG", "tag", false, NULL},
    [COL_TYPE] = {"TYPE", "type", false, NULL},
    [COL_OFFSET] = {"OFFSET", "offset", true, NULL},
    [COL_VALUE] = {"VALUE", "value", true, NULL},
    [COL_UNIT] = {"UNIT", "unit", false, NULL},
};

int ctl_dump(struct ctl *ctl, int argc, char **argv)
{
    const struct plc_region_def *def = ctl_find_region(ctl, argv[1]);
    if (!def)
        return CTL_FAIL;
    struct plc_region *r = ctl_attach(ctl, def->name);
    if (!r)
        return CTL_FAIL;

    int rc = CTL_FAIL;
    struct table *t = NULL;
    unsigned char *data = calloc(1, def->data_size);
    if (!data) {
        ctl_err("out of memory");
        goto out;
    }
    if (plc_region_read(r, data) < 0) {
        ctl_err("region '%s': cannot read: %s", def->name, plc_strerror(errno));
        goto out;
    }
    t = table_new(columns, COL_COUNT, TABLE_ARRAY);
    if (!t)
        goto out;
    for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++) {
        const struct plc_tag_def *tag = plc_layout_tag_at(ctl->layout, i);
        table_row(t);
        table_str(t, COL_TAG, tag->name);
        table_str(t, COL_TYPE, plc_type_name(tag->type));
        table_uint(t, COL_OFFSET, tag->offset);
        struct plc_value v = plc_value_load(tag->type, (const unsigned char *)data + tag->offset);
        table_exact(t, COL_VALUE, tag->type, &v);
        table_str(t, COL_UNIT, tag->unit);
    }
    if (table_print(t, stdout, ctl->json) == 0)
        rc = CTL_OK;
out:
    table_free(t);
    free(data);
    plc_region_detach(r);
    return rc;
}
