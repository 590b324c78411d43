/* SPDX-License-Identifier: MIT */
/*
 * plcctl ls: one row per region of the layout. A region that cannot be
 * attached is still listed, with why in its status, and its diag goes to
 * stderr; the exit status is then 1, after every row is printed.
 */
#include <errno.h>

#include "plcctl.h"

enum {
    COL_REGION,
    COL_SIZE,
    COL_DATA,
    COL_WRITER,
    COL_PID,
    COL_ALIVE,
    COL_SEQ,
    COL_EPOCH,
    COL_HEARTBEAT,
    COL_READERS,
    COL_READS,
    COL_RETRIES,
    COL_STALE,
    COL_STATUS,
    COL_COUNT
};

static const struct table_column columns[COL_COUNT] = {
    [COL_REGION] = {"REGION", "region", false, NULL},
    [COL_SIZE] = {"SIZE", "size", true, NULL},
    [COL_DATA] = {"DATA", "data_size", true, NULL},
    [COL_WRITER] = {"WRITER", "writer", false, NULL},
    [COL_PID] = {"PID", "writer_pid", true, NULL},
    [COL_ALIVE] = {"ALIVE", "writer_alive", false, NULL},
    [COL_SEQ] = {"SEQ", "seq", true, NULL},
    [COL_EPOCH] = {"EPOCH", "epoch", true, NULL},
    [COL_HEARTBEAT] = {"HEARTBEAT", "heartbeat_age_s", true, NULL},
    [COL_READERS] = {"READERS", "readers", true, NULL},
    [COL_READS] = {"READS", "reads", true, NULL},
    [COL_RETRIES] = {"RETRIES", "retries", true, NULL},
    [COL_STALE] = {"STALE", "stale_reads", true, NULL},
    [COL_STATUS] = {"STATUS", "status", false, NULL},
};

/* A short status for a region that failed to attach; the diag has the detail. */
static const char *short_status(int err)
{
    switch (err) {
    case PLC_ENOREGION: return "missing: has plc-shm-init run?";
    case PLC_ELAYOUT: return "other layout: plc-shm-init --recreate";
    case PLC_ESIZE: return "wrong size: plc-shm-init --recreate";
    case PLC_EFORMAT: return "other format: plc-shm-init --recreate";
    case PLC_EMAGIC: return "not a region";
    case PLC_ERETIRED: return "re-created: try again";
    case PLC_EPATH: return "bad path";
    default: return plc_strerror(err);
    }
}

/*
 * Processes other than us and the live writer that map the region. The
 * writer maps it too, so it is not counted as a reader.
 */
static int readers(struct plc_region *r, const struct plc_region_info *info)
{
    int n = plc_region_count_mappers(r);
    if (n < 0)
        return -1;
    n -= 1 + (info->writer_alive ? 1 : 0);
    return n < 0 ? 0 : n;
}

static void region_row(struct table *t, const struct plc_region_info *info)
{
    table_uint(t, COL_SEQ, info->seq);
    table_uint(t, COL_EPOCH, info->epoch);
    if (info->writer_pid)
        table_int(t, COL_PID, info->writer_pid);
    table_bool(t, COL_ALIVE, info->writer_alive, "yes", "no");
    table_age(t, COL_HEARTBEAT, info->heartbeat_age_ns);
    table_uint(t, COL_READS, info->reads);
    table_uint(t, COL_RETRIES, info->retries);
    table_uint(t, COL_STALE, info->stale_reads);
    table_str(t, COL_STATUS, "ok");
}

int ctl_ls(struct ctl *ctl, int argc, char **argv)
{
    int rc = CTL_OK;
    struct table *t = table_new(columns, COL_COUNT, TABLE_ARRAY);
    if (!t)
        return CTL_FAIL;

    for (size_t i = 0; i < plc_layout_region_count(ctl->layout); i++) {
        const struct plc_region_def *def = plc_layout_region_at(ctl->layout, i);
        table_row(t);
        table_str(t, COL_REGION, def->name);
        table_uint(t, COL_SIZE, def->size);
        table_uint(t, COL_DATA, def->data_size);
        table_str(t, COL_WRITER, def->writer);

        struct plc_region *r = ctl_attach(ctl, def->name);
        if (!r) {
            table_str(t, COL_STATUS, short_status(errno));
            rc = CTL_FAIL;
            continue;
        }
        struct plc_region_info info;
        if (plc_region_get_info(r, &info) < 0) {
            const char *why = plc_strerror(errno);
            ctl_err("region '%s': %s", def->name, why);
            table_str(t, COL_STATUS, why);
            rc = CTL_FAIL;
        } else {
            region_row(t, &info);
            int n = readers(r, &info);
            if (n >= 0)
                table_int(t, COL_READERS, n);
        }
        plc_region_detach(r);
    }
    if (table_print(t, stdout, ctl->json) < 0)
        rc = CTL_FAIL;
    table_free(t);
    return rc;
}
