/* SPDX-License-Identifier: MIT */
/*
 * plc-shm-init: make every region of the layout, once, then exit.
 *
 * Kept regions keep their data; a region from another layout is refused
 * unless --recreate. A region it makes (after a reboot) gets its retained
 * tags from the newest good retain snapshot; a kept one is left alone, since
 * live state wins. Exit 0 means every region is ready.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc-retain.h"
#include "plc.h"


struct config {
    const char *layout;
    const char *base_dir;
    const char *retain_dir;
    unsigned flags;
    bool quiet;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: plc-shm-init [--layout FILE] [--base-dir DIR] [--retain-dir DIR]\n"
            "                    [--recreate] [--quiet] [LAYOUT]\n"
            "Create the regions of the layout under DIR/NAME/. Existing regions of the same\n"
            "layout are kept with their data. A region it makes gets its retained tags from\n"
            "the newest good snapshot in the retain directory.\n"
            "%s"
            "  --base-dir DIR         regions (default $RASPIPLC_BASE_DIR, the layout's\n"
            "                         base_dir, or %s)\n"
            "  --retain-dir DIR       snapshots (default $RASPIPLC_RETAIN_DIR, the layout's\n"
            "                         [retain] directory, or %s)\n"
            "  --recreate             re-create regions made from another layout (their data\n"
            "                         is lost)\n"
            "  --quiet                print errors and warnings only\n",
            PLC_LAYOUT_HELP, PLC_BASE_DIR_DEFAULT, PLC_RETAIN_DIR_DEFAULT);
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option opts[] = {
        {"layout", required_argument, NULL, 'L'},
        {"base-dir", required_argument, NULL, 'b'},
        {"recreate", no_argument, NULL, 'r'},
        {"retain-dir", required_argument, NULL, 'R'},
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

/* The newest good snapshot, its own messages held in @h; NULL when none. */
static struct plc_snapshot *open_snapshot(const struct plc_layout *l, const char *dir,
                                          struct held *h)
{
    struct plc_diag diag;
    char msg[1200];
    struct plc_snapshot *s =
        plc_snapshot_load_newest(dir, plc_layout_get_name(l), held_log, h, &diag);
    if (s)
        return s;
    if (errno == ENOENT) {
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

int main(int argc, char **argv)
{
    static const char *const done[] = {
        [PLC_CREATE_MADE] = "created", [PLC_CREATE_KEPT] = "kept", [PLC_CREATE_REMADE] = "re-created"};
    struct config cfg = {0};
    struct plc_diag diag;
    char msg[1200];

    if (parse_args(argc, argv, &cfg) < 0)
        return 2;
    struct plc_layout *l = plc_layout_load(cfg.layout, &diag);
    if (!l) {
        plc_diag_format(&diag, msg, sizeof(msg));
        fprintf(stderr, "plc-shm-init: %s\n", msg);
        return 1;
    }
    const char *base = plc_base_dir(l, cfg.base_dir);
    const char *retain_dir = plc_retain_dir(l, cfg.retain_dir);
    if (plc_layout_dir_make(l, base, &diag) < 0) {
        plc_diag_format(&diag, msg, sizeof(msg));
        fprintf(stderr, "plc-shm-init: %s\n", msg);
        plc_layout_free(l);
        return 1;
    }
    struct plc_snapshot *snap = NULL;
    struct held snap_msgs = {0};
    bool snap_opened = false, snap_used = false;
    int rc = 0;
    for (size_t i = 0; i < plc_layout_region_count(l); i++) {
        const struct plc_region_def *def = plc_layout_region_at(l, i);
        void *data = NULL;
        size_t restored = 0;
        struct held reg_msgs = {0};
        if (has_retained(l, def)) {
            if (!snap_opened) {
                if (held_open(&snap_msgs) < 0)
                    goto oom;
                snap = open_snapshot(l, retain_dir, &snap_msgs);
                snap_opened = true;
            }
            data = malloc(def->data_size);
            if (!data || held_open(&reg_msgs) < 0)
                goto oom;
            restored = plc_retain_restore_region(snap, l, def, data, held_log, &reg_msgs);
        }
        enum plc_create_result r = plc_region_create_with(l, base, def, cfg.flags, data, &diag);
        bool made = r == PLC_CREATE_MADE || r == PLC_CREATE_REMADE;
        if (data && made && !snap_used) {
            held_close(&snap_msgs, true, cfg.quiet);
            snap_used = true;
        }
        held_close(&reg_msgs, made, cfg.quiet);
        free(data);
        if (r == PLC_CREATE_ERROR) {
            plc_diag_format(&diag, msg, sizeof(msg));
            fprintf(stderr, "plc-shm-init: %s\n", msg);
            rc = 1;
            continue;
        }
        if (cfg.quiet)
            continue;
        printf("plc-shm-init: region '%s' %s (%zu bytes, writer %s) in %s/%s\n", def->name,
               done[r], def->size, def->writer, base, plc_layout_get_name(l));
        if (data && made && snap)
            printf("plc-shm-init: region '%s': %zu of %zu retained tags restored from %s "
                   "(seq %" PRIu64 ")\n",
                   def->name, restored, count_retained(l, def), plc_snapshot_get_path(snap),
                   plc_snapshot_get_seq(snap));
        else if (data && !made)
            printf("plc-shm-init: region '%s': live values kept, nothing restored\n",
                   def->name);
    }
    if (snap_used && snap) {
        struct held dropped;
        if (held_open(&dropped) == 0) {
            plc_retain_report_dropped(snap, l, held_log, &dropped);
            held_close(&dropped, true, cfg.quiet);
        }
    }
    held_close(&snap_msgs, false, cfg.quiet);
    plc_snapshot_free(snap);
    if (rc == 0 && !cfg.quiet)
        printf("plc-shm-init: layout '%s' version %u ready\n", plc_layout_get_name(l),
               plc_layout_get_version(l));
    plc_layout_free(l);
    return rc;

oom:
    fprintf(stderr, "plc-shm-init: out of memory\n");
    plc_snapshot_free(snap);
    plc_layout_free(l);
    return 1;
}
