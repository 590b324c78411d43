/* SPDX-License-Identifier: MIT */
/* plcctl info REGION: every field of struct plc_region_info, and the path. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>

#include "plc-force.h"
#include "plcctl.h"

enum { COL_FIELD, COL_VALUE, COL_COUNT };

static const struct table_column columns[COL_COUNT] = {
    [COL_FIELD] = {"FIELD", "field", false, NULL},
    [COL_VALUE] = {"VALUE", "value", false, NULL},
};

static void field(struct table *t, const char *name)
{
    table_row(t);
    table_str(t, COL_FIELD, name);
}

/* The region's forced tags: "motor_run (FORCED until 17:05:03), ...", or null. */
static void forced_field(struct table *t, const struct ctl *ctl, const struct plc_region_def *def)
{
    char text[1024] = "", marker[96];
    size_t len = 0;
    struct plc_force_table *forces = ctl_forces_open(ctl);
    field(t, "forced");
    for (size_t i = def->first_tag; forces && i < def->first_tag + def->tag_count; i++) {
        const struct plc_tag_def *tag = plc_layout_tag_at(ctl->layout, i);
        if (ctl_force_marker(forces, tag, marker, sizeof(marker)) && len < sizeof(text))
            len += (size_t)snprintf(text + len, sizeof(text) - len, "%s%s (%s)",
                                    len ? ", " : "", tag->name, marker);
    }
    plc_force_table_close(forces);
    if (len)
        table_str(t, COL_VALUE, text);
}

static void fill(struct table *t, const struct plc_region_info *info, const char *path)
{
    char buf[64];

    field(t, "region");
    table_str(t, COL_VALUE, info->region);
    field(t, "path");
    table_str(t, COL_VALUE, path);
    field(t, "layout");
    table_str(t, COL_VALUE, info->layout);
    field(t, "layout_version");
    table_uint(t, COL_VALUE, info->layout_version);
    field(t, "layout_hash");
    snprintf(buf, sizeof(buf), "%016" PRIx64, info->layout_hash);
    table_str(t, COL_VALUE, buf);
    field(t, "writer_service");
    table_str(t, COL_VALUE, info->writer_service);
    field(t, "holder");
    if (info->holder[0])
        table_str(t, COL_VALUE, info->holder);
    field(t, "writer_pid");
    if (info->writer_pid)
        table_int(t, COL_VALUE, info->writer_pid);
    field(t, "writer_alive");
    table_bool(t, COL_VALUE, info->writer_alive, "yes", "no");
    field(t, "took_over_from");
    if (info->took_over_from)
        table_int(t, COL_VALUE, info->took_over_from);
    field(t, "size");
    table_uint(t, COL_VALUE, info->size);
    field(t, "data_size");
    table_uint(t, COL_VALUE, info->data_size);
    field(t, "seq");
    table_uint(t, COL_VALUE, info->seq);
    field(t, "epoch");
    table_uint(t, COL_VALUE, info->epoch);
    field(t, "created");
    ctl_format_time(info->created_ns, buf, sizeof(buf));
    table_str(t, COL_VALUE, buf);
    field(t, "heartbeat_age_s");
    table_age(t, COL_VALUE, info->heartbeat_age_ns);
    field(t, "update_age_s");
    table_age(t, COL_VALUE, info->update_age_ns);
    field(t, "writes");
    table_uint(t, COL_VALUE, info->writes);
    field(t, "reads");
    table_uint(t, COL_VALUE, info->reads);
    field(t, "retries");
    table_uint(t, COL_VALUE, info->retries);
    field(t, "stale_reads");
    table_uint(t, COL_VALUE, info->stale_reads);
    field(t, "attaches");
    table_uint(t, COL_VALUE, info->attaches);
    field(t, "repairs");
    table_uint(t, COL_VALUE, info->repairs);
    field(t, "claims");
    table_uint(t, COL_VALUE, info->claims);
}

int ctl_info(struct ctl *ctl, int argc, char **argv)
{
    const struct plc_region_def *def = ctl_find_region(ctl, argv[1]);
    if (!def)
        return CTL_FAIL;
    struct plc_region *r = ctl_attach(ctl, def->name);
    if (!r)
        return CTL_FAIL;

    int rc = CTL_FAIL;
    struct plc_region_info info;
    char path[PATH_MAX];
    struct table *t = NULL;
    if (plc_region_get_info(r, &info) < 0) {
        ctl_err("region '%s': %s", def->name, plc_strerror(errno));
        goto out;
    }
    t = table_new(columns, COL_COUNT, TABLE_OBJECT);
    if (!t)
        goto out;
    plc_region_path(ctl->layout, ctl->base, def->name, path, sizeof(path)); /* it attached */
    fill(t, &info, path);
    forced_field(t, ctl, def);
    if (table_print(t, stdout, ctl->json) == 0)
        rc = CTL_OK;
out:
    table_free(t);
    plc_region_detach(r);
    return rc;
}
