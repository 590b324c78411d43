/* SPDX-License-Identifier: MIT */
/*
 * Introspection of a region handle, for plcctl and the services' status: what
 * the header says (writer, ages of its stamps, counters) and which processes
 * map the region. Nothing here is on the read or write path.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "region-internal.h"

static int64_t age(uint64_t then, uint64_t now)
{
    if (!then)
        return -1;
    return now > then ? (int64_t)(now - then) : 0;
}

int plc_region_get_info(struct plc_region *r, struct plc_region_info *info)
{
    const struct plc_shm_header *h = r->h;
    memset(info, 0, sizeof(*info));
    flush_counters(r);
    snprintf(info->region, sizeof(info->region), "%.31s", h->region_name);
    snprintf(info->layout, sizeof(info->layout), "%.31s", h->layout_name);
    snprintf(info->writer_service, sizeof(info->writer_service), "%.31s", h->writer_service);
    info->layout_version = h->layout_version;
    info->layout_hash = h->layout_hash;
    uint64_t c = atomic_load_explicit(&h->claim, memory_order_acquire);
    info->writer_pid = PLC_CLAIM_PID(c);
    info->writer_alive = plc_region_writer_alive(r);
    if (c)
        snprintf(info->holder, sizeof(info->holder), "%.15s", h->holder);
    info->took_over_from = r->took_over_from;
    info->size = h->region_size;
    info->data_size = h->data_size;
    info->seq = atomic_load_explicit(&h->seq, memory_order_acquire);
    info->epoch = h->epoch;
    info->created_ns = h->created_ns;
    /* The stamps first, the clock after them: a heartbeat written between a
     * clock read and a stamp read would otherwise look younger than now. */
    uint64_t beat = atomic_load_explicit(&h->heartbeat_ns, memory_order_acquire);
    uint64_t update = atomic_load_explicit(&h->update_ns, memory_order_acquire);
    uint64_t now = plc_now_ns();
    info->heartbeat_age_ns = age(beat, now);
    info->update_age_ns = age(update, now);
    info->repairs = atomic_load_explicit(&h->repairs, memory_order_relaxed);
    info->claims = atomic_load_explicit(&h->claims, memory_order_relaxed);
    info->max_silence_ns = c ? (int64_t)atomic_load_explicit(&h->max_silence_ns,
                                                             memory_order_relaxed)
                             : 0;
    info->repaired = r->repaired;
    info->writes = atomic_load_explicit(&h->writes, memory_order_relaxed);
    info->reads = atomic_load_explicit(&h->reads, memory_order_relaxed);
    info->retries = atomic_load_explicit(&h->retries, memory_order_relaxed);
    info->stale_reads = atomic_load_explicit(&h->stale_reads, memory_order_relaxed);
    info->attaches = atomic_load_explicit(&h->attaches, memory_order_relaxed);
    return 0;
}

int plc_region_count_mappers(struct plc_region *r)
{
    /* /proc/PID/maps lines: "start-end perms offset major:minor inode path" */
    char needle[64];
    snprintf(needle, sizeof(needle), "%02x:%02x %ju ", major(r->dev), minor(r->dev),
             (uintmax_t)r->ino);
    DIR *proc = opendir("/proc");
    if (!proc)
        return -1;
    int count = 0;
    struct dirent *de;
    char path[300], *line = NULL;
    size_t cap = 0;
    while ((de = readdir(proc))) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/%s/maps", de->d_name);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        while (getline(&line, &cap, f) > 0) {
            if (strstr(line, needle)) {
                count++;
                break;
            }
        }
        fclose(f);
    }
    free(line);
    closedir(proc);
    return count;
}
