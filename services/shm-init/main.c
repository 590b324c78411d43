/* SPDX-License-Identifier: MIT */
/*
 * plc-shm-init: make every region of the layout, once, then exit.
 *
 * Kept regions keep their data; a region from another layout is refused
 * unless --recreate. Exit 0 means every region is ready.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "plc.h"

#define LAYOUT_DEFAULT "/etc/raspiplc/layout.ini"

struct config {
    const char *layout;
    const char *base_dir;
    unsigned flags;
    bool quiet;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: plc-shm-init [--base-dir DIR] [--recreate] [--quiet] [LAYOUT]\n"
            "Create the regions of LAYOUT (default $RASPIPLC_LAYOUT or %s) under\n"
            "DIR/NAME/ (default $RASPIPLC_BASE_DIR, the layout's base_dir, or %s).\n"
            "Existing regions of the same layout are kept with their data.\n"
            "  --recreate  re-create regions made from another layout (their data is lost)\n",
            LAYOUT_DEFAULT, PLC_BASE_DIR_DEFAULT);
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option opts[] = {
        {"base-dir", required_argument, NULL, 'b'},
        {"recreate", no_argument, NULL, 'r'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "b:rqh", opts, NULL)) != -1) {
        switch (c) {
        case 'b': cfg->base_dir = optarg; break;
        case 'r': cfg->flags |= PLC_CREATE_FORCE; break;
        case 'q': cfg->quiet = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (argc - optind > 1) {
        usage(stderr);
        return -1;
    }
    cfg->layout = optind < argc ? argv[optind] : getenv("RASPIPLC_LAYOUT");
    if (!cfg->layout)
        cfg->layout = LAYOUT_DEFAULT;
    return 0;
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
    int rc = 0;
    for (size_t i = 0; i < plc_layout_region_count(l); i++) {
        const struct plc_region_def *def = plc_layout_region_at(l, i);
        enum plc_create_result r = plc_region_create(l, base, def, cfg.flags, &diag);
        if (r == PLC_CREATE_ERROR) {
            plc_diag_format(&diag, msg, sizeof(msg));
            fprintf(stderr, "plc-shm-init: %s\n", msg);
            rc = 1;
            continue;
        }
        if (!cfg.quiet)
            printf("plc-shm-init: region '%s' %s (%zu bytes, writer %s) in %s/%s\n", def->name,
                   done[r], def->size, def->writer, base, plc_layout_get_name(l));
    }
    if (rc == 0 && !cfg.quiet)
        printf("plc-shm-init: layout '%s' version %u ready\n", plc_layout_get_name(l),
               plc_layout_get_version(l));
    plc_layout_free(l);
    return rc;
}
