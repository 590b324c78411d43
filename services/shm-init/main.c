/* SPDX-License-Identifier: MIT */
/*
 * plc-shm-init: make every region of the layout, once, then exit.
 *
 * Kept regions keep their data; a region from another layout is refused
 * unless --recreate. A region it makes (after a reboot) gets its retained
 * tags from the newest good retain snapshot; a kept one is left alone, since
 * live state wins. Exit 0 means every region is ready.
 *
 * It also makes the event ring of each service (kept with its records when it
 * matches) and posts to its own what the restore did: at boot, plc-shm-init is
 * the one that knows.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "events.h"
#include "plc-force.h"
#include "plc-retain.h"
#include "plc.h"
#include "report.h"

/* Records per ring: a day of a busy plant's events is a few hundred; 128 KiB each. */
#define EVENT_RECORDS_DEFAULT 1024u

/* The services that have a ring. */
static const enum plc_event_source ring_sources[] = {
    PLC_SOURCE_SHM_INIT, PLC_SOURCE_IO,     PLC_SOURCE_LOGIC, PLC_SOURCE_MODBUS,
    PLC_SOURCE_RETAIN,   PLC_SOURCE_PLCCTL, PLC_SOURCE_WEB, PLC_SOURCE_MQTT,
};


struct config {
    const char *layout;
    const char *base_dir;
    const char *retain_dir;
    unsigned flags;
    unsigned event_records;
    bool quiet;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: plc-shm-init [--layout FILE] [--base-dir DIR] [--retain-dir DIR]\n"
            "                    [--event-records N] [--recreate] [--quiet] [LAYOUT]\n"
            "Create the regions of the layout under DIR/NAME/. Existing regions of the same\n"
            "layout are kept with their data. A region it makes gets its retained tags from\n"
            "the newest good snapshot in the retain directory. Each service gets an event ring,\n"
            "DIR/NAME/events-SERVICE; an existing one is kept with its records.\n"
            "%s"
            "  --base-dir DIR         regions (default $RASPIPLC_BASE_DIR, the layout's\n"
            "                         base_dir, or %s)\n"
            "  --retain-dir DIR       snapshots (default $RASPIPLC_RETAIN_DIR, the layout's\n"
            "                         [retain] directory, or %s)\n"
            "  --event-records N      records each event ring holds: a power of two from %u\n"
            "                         to %u (default %u)\n"
            "  --recreate             re-create regions and event rings made from another\n"
            "                         layout or size (their data is lost)\n"
            "  --quiet                print errors and warnings only\n",
            PLC_LAYOUT_HELP, PLC_BASE_DIR_DEFAULT, PLC_RETAIN_DIR_DEFAULT,
            PLC_EVENT_CAPACITY_MIN, PLC_EVENT_CAPACITY_MAX, EVENT_RECORDS_DEFAULT);
}

/* --event-records: a power of two the ring takes, or -1 after saying why. */
static int parse_records(const char *arg, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(arg, &end, 10);
    if (errno || end == arg || *end || arg[0] == '-' || n < PLC_EVENT_CAPACITY_MIN ||
        n > PLC_EVENT_CAPACITY_MAX || (n & (n - 1))) {
        fprintf(stderr,
                "plc-shm-init: --event-records '%s' is not a power of two from %u to %u\n", arg,
                PLC_EVENT_CAPACITY_MIN, PLC_EVENT_CAPACITY_MAX);
        return -1;
    }
    *out = (unsigned)n;
    return 0;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option opts[] = {
        {"layout", required_argument, NULL, 'L'},
        {"base-dir", required_argument, NULL, 'b'},
        {"recreate", no_argument, NULL, 'r'},
        {"retain-dir", required_argument, NULL, 'R'},
        {"event-records", required_argument, NULL, 'E'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *layout = NULL;
    struct plc_diag diag;
    int c;
    while ((c = getopt_long(argc, argv, "b:rqh", opts, NULL)) != -1) {
        switch (c) {
        case 'L': layout = optarg; break;
        case 'b': cfg->base_dir = optarg; break;
        case 'r': cfg->flags |= PLC_CREATE_FORCE; break;
        case 'R': cfg->retain_dir = optarg; break;
        case 'E':
            if (parse_records(optarg, &cfg->event_records) < 0)
                return -1;
            break;
        case 'q': cfg->quiet = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (argc - optind > 1) {
        usage(stderr);
        return -1;
    }
    cfg->layout = plc_layout_path_choose(layout, optind < argc ? argv[optind] : NULL, &diag);
    if (!cfg->layout) {
        fprintf(stderr, "plc-shm-init: %s\n", diag.msg);
        return -1;
    }
    return 0;
}

/* Restore messages are held until we know a region was made: a kept region
 * restores nothing, so they would only mislead. Warnings go to stderr. */
struct held {
    FILE *out, *err;
    char *outbuf, *errbuf;
    size_t outlen, errlen;
};

static int held_open(struct held *h)
{
    memset(h, 0, sizeof(*h));
    h->out = open_memstream(&h->outbuf, &h->outlen);
    h->err = open_memstream(&h->errbuf, &h->errlen);
    return h->out && h->err ? 0 : -1;
}

static void held_log(void *user, int level, const char *msg)
{
    struct held *h = user;
    fprintf(level <= PLC_LOG_WARNING ? h->err : h->out, "plc-shm-init: %s\n", msg);
}

/* Print (or drop) what was held, and free it. */
static void held_close(struct held *h, bool print, bool quiet)
{
    if (h->out)
        fclose(h->out);
    if (h->err)
        fclose(h->err);
    if (print && !quiet && h->outbuf)
        fputs(h->outbuf, stdout);
    if (print && h->errbuf)
        fputs(h->errbuf, stderr);
    free(h->outbuf);
    free(h->errbuf);
    memset(h, 0, sizeof(*h));
}

static bool has_retained(const struct plc_layout *l, const struct plc_region_def *def)
{
    for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++)
        if (plc_layout_tag_at(l, i)->retain)
            return true;
    return false;
}

static size_t count_retained(const struct plc_layout *l, const struct plc_region_def *def)
{
    size_t n = 0;
    for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++)
        n += plc_layout_tag_at(l, i)->retain;
    return n;
}

/* The newest good snapshot, its own messages held in @h; NULL when none, with
 * *@first_boot saying whether there was none at all (or only bad ones). */
static struct plc_snapshot *open_snapshot(const struct plc_layout *l, const char *dir,
                                          struct held *h, bool *first_boot)
{
    struct plc_diag diag;
    char msg[1200];
    struct plc_snapshot *s =
        plc_snapshot_load_newest(dir, plc_layout_get_name(l), held_log, h, &diag);
    if (s)
        return s;
    *first_boot = errno == ENOENT;
    if (*first_boot) {
        fprintf(h->out,
                "plc-shm-init: no retain snapshot in %s (first boot): retained tags start "
                "from their initial values\n",
                dir);
    } else {
        plc_diag_format(&diag, msg, sizeof(msg));
        fprintf(h->err, "plc-shm-init: %s: retained tags start from their initial values\n",
                msg);
    }
    return NULL;
}

/* The snapshot the regions restore from: opened at the first region with
 * retained tags, its messages printed with the first region it restores. */
struct snap_source {
    const char *dir;
    struct plc_snapshot *snap;
    struct held msgs;
    bool opened, used;
    bool first_boot;               /* no snapshot at all (else only rejected ones) */
    struct plc_event_ring *events; /* plc-shm-init's ring, or NULL */
    bool none_posted;              /* "no snapshot" posted once */
};

/* A buffer of @def's data with its retained tags restored (their messages
 * held in @reg_msgs, the count in @restored); NULL when out of memory. */
static void *restore_region(const struct plc_layout *l, const struct plc_region_def *def,
                            struct snap_source *src, struct held *reg_msgs, size_t *restored)
{
    if (!src->opened) {
        if (held_open(&src->msgs) < 0)
            return NULL;
        src->snap = open_snapshot(l, src->dir, &src->msgs, &src->first_boot);
        src->opened = true;
    }
    void *data = malloc(def->data_size);
    if (!data || held_open(reg_msgs) < 0) {
        free(data);
        held_close(reg_msgs, false, true);
        return NULL;
    }
    *restored = plc_retain_restore_region(src->snap, l, def, data, held_log, reg_msgs);
    return data;
}

static void report_region(const struct plc_layout *l, const char *base,
                          const struct plc_region_def *def, enum plc_create_result r,
                          bool retained, size_t restored, const struct plc_snapshot *snap)
{
    static const char *const done[] = {
        [PLC_CREATE_MADE] = "created", [PLC_CREATE_KEPT] = "kept", [PLC_CREATE_REMADE] = "re-created"};
    bool made = r == PLC_CREATE_MADE || r == PLC_CREATE_REMADE;
    printf("plc-shm-init: region '%s' %s (%zu bytes, writer %s) in %s/%s\n", def->name,
           done[r], def->size, def->writer, base, plc_layout_get_name(l));
    if (retained && made && snap)
        printf("plc-shm-init: region '%s': %zu of %zu retained tags restored from %s "
               "(seq %" PRIu64 ")\n",
               def->name, restored, count_retained(l, def), plc_snapshot_get_path(snap),
               plc_snapshot_get_seq(snap));
    else if (retained && !made)
        printf("plc-shm-init: region '%s': live values kept, nothing restored\n", def->name);
}

/* What the restore did to region @def, for the event ring: restored from which
 * snapshot (before: its seq, after: the tags restored), no snapshot to restore
 * from (once), or live values kept. */
static void post_restore(struct snap_source *src, const struct plc_layout *l,
                         const struct plc_region_def *def, bool made, size_t restored)
{
    if (!made) {
        plc_event_ring_post(src->events, PLC_SOURCE_SHM_INIT, PLC_EVENT_RETAIN_RESTORE,
                            LOG_INFO, def->name, 0, 0, "live values kept, nothing restored");
        return;
    }
    if (!src->snap) {
        if (!src->none_posted)
            plc_event_ring_post(src->events, PLC_SOURCE_SHM_INIT, PLC_EVENT_RETAIN_RESTORE,
                                src->first_boot ? LOG_NOTICE : LOG_WARNING, NULL, 0, 0,
                                src->first_boot ? "no snapshot: initial values"
                                                : "no good snapshot: initial values");
        src->none_posted = true;
        return;
    }
    size_t n = count_retained(l, def);
    const char *path = plc_snapshot_get_path(src->snap);
    const char *file = strrchr(path, '/');
    plc_event_ring_post(src->events, PLC_SOURCE_SHM_INIT, PLC_EVENT_RETAIN_RESTORE,
                        restored == n ? LOG_NOTICE : LOG_WARNING, def->name,
                        (double)plc_snapshot_get_seq(src->snap), (double)restored,
                        "%zu of %zu tags from %s", restored, n, file ? file + 1 : path);
}

/* Create (or keep) one region: 0 when ready, 1 when refused, -1 when out of memory. */
static int init_region(const struct config *cfg, const struct plc_layout *l, const char *base,
                       const struct plc_region_def *def, struct snap_source *src)
{
    struct plc_diag diag;
    void *data = NULL;
    size_t restored = 0;
    struct held reg_msgs = {0};
    if (has_retained(l, def)) {
        data = restore_region(l, def, src, &reg_msgs, &restored);
        if (!data)
            return -1;
    }
    bool retained = data != NULL;
    enum plc_create_result r = plc_region_create_with(l, base, def, cfg->flags, data, &diag);
    bool made = r == PLC_CREATE_MADE || r == PLC_CREATE_REMADE;
    if (retained && made && !src->used) {
        held_close(&src->msgs, true, cfg->quiet);
        src->used = true;
    }
    held_close(&reg_msgs, made, cfg->quiet);
    free(data);
    if (r == PLC_CREATE_ERROR) {
        plc_service_report("plc-shm-init", &diag);
        return 1;
    }
    if (retained && src->events)
        post_restore(src, l, def, made, restored);
    if (!cfg->quiet)
        report_region(l, base, def, r, retained, restored, src->snap);
    return 0;
}

/* Every region in turn, going on past a refused one; 0 when all are ready. */
static int init_regions(const struct config *cfg, const struct plc_layout *l, const char *base,
                        const char *retain_dir, struct plc_event_ring *events)
{
    struct snap_source src = {.dir = retain_dir, .events = events};
    int rc = 0;
    for (size_t i = 0; i < plc_layout_region_count(l); i++) {
        int r = init_region(cfg, l, base, plc_layout_region_at(l, i), &src);
        if (r < 0) {
            fprintf(stderr, "plc-shm-init: out of memory\n");
            held_close(&src.msgs, false, cfg->quiet);
            plc_snapshot_free(src.snap);
            return 1;
        }
        if (r > 0)
            rc = 1;
    }
    if (src.used && src.snap) {
        struct held dropped;
        if (held_open(&dropped) == 0) {
            plc_retain_report_dropped(src.snap, l, held_log, &dropped);
            held_close(&dropped, true, cfg->quiet);
        }
    }
    held_close(&src.msgs, false, cfg->quiet);
    plc_snapshot_free(src.snap);
    return rc;
}

/*
 * Make (or keep) the ring of @source. With --recreate, a ring of another
 * layout or size (or a file that is no ring) is replaced and its records are
 * lost; a symlink or directory is never touched. PLC_CREATE_ERROR after
 * reporting why.
 */
static enum plc_create_result init_ring(const struct config *cfg, const struct plc_layout *l,
                                        const char *base, enum plc_event_source source)
{
    char path[PATH_MAX];
    struct plc_diag diag;
    if (plc_event_ring_path(l, base, source, path, sizeof(path)) < 0) {
        fprintf(stderr, "plc-shm-init: %s/%s: event ring path is too long\n", base,
                plc_layout_get_name(l));
        return PLC_CREATE_ERROR;
    }
    uint64_t hash = plc_layout_get_hash(l);
    enum plc_create_result r = plc_event_ring_create(path, cfg->event_records, hash, &diag);
    if (r == PLC_CREATE_ERROR && (cfg->flags & PLC_CREATE_FORCE) && errno > PLC_ERRNO_BASE &&
        errno != PLC_EPATH) {
        if (unlink(path) < 0 && errno != ENOENT) {
            fprintf(stderr, "plc-shm-init: %s: cannot remove the old event ring: %s\n", path,
                    strerror(errno));
            return PLC_CREATE_ERROR;
        }
        r = plc_event_ring_create(path, cfg->event_records, hash, &diag);
        if (r == PLC_CREATE_MADE)
            r = PLC_CREATE_REMADE;
    }
    if (r == PLC_CREATE_ERROR) {
        /* The library's hint is to remove the file; ours is the flag that does it. */
        char *hint = strstr(diag.msg, " (remove it");
        if (hint)
            snprintf(hint, sizeof(diag.msg) - (size_t)(hint - diag.msg),
                     " (plc-shm-init --recreate re-creates it; its records are lost)");
        plc_service_report("plc-shm-init", &diag);
    }
    return r;
}

/* Every service's ring, going on past a refused one; 0 when all are ready. */
static int init_rings(const struct config *cfg, const struct plc_layout *l, const char *base)
{
    size_t made = 0, kept = 0, remade = 0, n = sizeof(ring_sources) / sizeof(ring_sources[0]);
    for (size_t i = 0; i < n; i++) {
        switch (init_ring(cfg, l, base, ring_sources[i])) {
        case PLC_CREATE_MADE: made++; break;
        case PLC_CREATE_KEPT: kept++; break;
        case PLC_CREATE_REMADE: remade++; break;
        case PLC_CREATE_ERROR: break;
        }
    }
    if (!cfg->quiet && made + kept + remade) {
        printf("plc-shm-init: event rings");
        const char *sep = " ";
        if (made == n || kept == n || remade == n) {
            printf(" %s", made ? "created" : kept ? "kept" : "re-created");
        } else {
            if (made)
                printf("%s%zu created", sep, made), sep = ", ";
            if (kept)
                printf("%s%zu kept", sep, kept), sep = ", ";
            if (remade)
                printf("%s%zu re-created", sep, remade);
        }
        printf(" (%u records each) in %s/%s\n", cfg->event_records, base,
               plc_layout_get_name(l));
    }
    return made + kept + remade == n ? 0 : 1;
}

/* The forcing table, made empty: every force and shelving ends when
 * plc-shm-init runs (at boot). */
static int init_forces(const struct config *cfg, const struct plc_layout *l, const char *base)
{
    struct plc_diag diag;
    const struct plc_region_def *out = plc_layout_find_region(l, "outputs");
    struct plc_force_table *old = plc_force_table_open(l, base, PLC_READER, NULL);
    int n = old ? plc_force_table_list(old, 0, NULL) : 0;
    int shelved = old ? plc_force_table_list_shelved(old, 0, NULL) : 0;
    plc_force_table_close(old);
    if (plc_force_table_create(l, base, out ? out->group : NULL, &diag) == PLC_CREATE_ERROR) {
        plc_service_report("plc-shm-init", &diag);
        return 1;
    }
    if (n > 0 && !cfg->quiet)
        printf("plc-shm-init: %d forced tag(s) released\n", n);
    if (shelved > 0 && !cfg->quiet)
        printf("plc-shm-init: %d shelved alarm(s) unshelved\n", shelved);
    return 0;
}

int main(int argc, char **argv)
{
    struct config cfg = {.event_records = EVENT_RECORDS_DEFAULT};
    struct plc_diag diag;

    if (parse_args(argc, argv, &cfg) < 0)
        return 2;
    struct plc_layout *l = plc_service_load_layout("plc-shm-init", cfg.layout);
    if (!l)
        return 1;
    const char *base = plc_base_dir(l, cfg.base_dir);
    if (plc_layout_dir_make(l, base, &diag) < 0) {
        plc_service_report("plc-shm-init", &diag);
        plc_layout_free(l);
        return 1;
    }
    /* Rings first, so that the restore below can be posted to ours. */
    int rc = init_rings(&cfg, l, base);
    struct plc_event_ring *events =
        rc == 0 ? plc_service_events_open("plc-shm-init", l, base, PLC_SOURCE_SHM_INIT) : NULL;
    if (rc == 0 && !events)
        rc = 1;
    if (init_regions(&cfg, l, base, plc_retain_dir(l, cfg.retain_dir), events) != 0)
        rc = 1;
    plc_event_ring_close(events);
    rc |= init_forces(&cfg, l, base);
    if (rc == 0 && !cfg.quiet)
        printf("plc-shm-init: layout '%s' version %u ready\n", plc_layout_get_name(l),
               plc_layout_get_version(l));
    plc_layout_free(l);
    return rc;
}
