/* SPDX-License-Identifier: MIT */
/*
 * plc-io-sim: drive the simulated field of plc-io's sim backend by hand.
 *
 *   plc-io-sim set start_button 1     press the button (logical value)
 *   plc-io-sim release start_button   let the line float (its bias decides)
 *   plc-io-sim get motor_run          print 0 or 1
 *   plc-io-sim wait motor_run 1 [MS]  wait until the output has that value
 *   plc-io-sim list                   every line with value and level
 *
 * The verbs are thin calls into libplc_io (plc_sim_*), so plcctl can offer
 * the same as `plcctl sim ...`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc-io.h"
#include "report.h"


static int fail(const struct plc_diag *d)
{
    plc_service_report("plc-io-sim", d);
    return 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: plc-io-sim [--layout FILE] [--base-dir DIR] [LAYOUT] VERB ...\n"
            "  set TAG 0|1            drive an input line of the simulated field\n"
            "  release TAG            stop driving it: its bias decides its level\n"
            "  get TAG                print a line's logical value (0 or 1)\n"
            "  wait TAG 0|1 [MS]      wait until an output has the value (default 5000 ms)\n"
            "  list                   print every line: value, level, driven\n"
            "%s"
            "                         LAYOUT goes before VERB (./list for a file named list)\n"
            "  --base-dir DIR         regions (default $RASPIPLC_BASE_DIR, the layout's\n"
            "                         base_dir, or %s)\n",
            PLC_LAYOUT_HELP, PLC_BASE_DIR_DEFAULT);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"base-dir", required_argument, NULL, 'b'},
        {"layout", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *base_dir = NULL, *layout = NULL, *positional = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "+b:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': base_dir = optarg; break;
        case 'l': layout = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    /* LAYOUT before VERB: a first word that is no verb, followed by one that is. */
    if (argc - optind >= 2 && !plc_sim_is_command(argv[optind]) &&
        plc_sim_is_command(argv[optind + 1]))
        positional = argv[optind++];
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    struct plc_diag d;
    const char *path = plc_layout_path_choose(layout, positional, &d);
    if (!path) {
        fail(&d);
        return 2;
    }
    struct plc_layout *l = plc_layout_load(path, &d);
    if (!l)
        return fail(&d);
    struct plc_sim_field *f = plc_sim_field_open(l, plc_base_dir(l, base_dir), &d);
    if (!f) {
        plc_layout_free(l);
        return fail(&d);
    }
    int rc = plc_sim_command(f, l, argc - optind, argv + optind, "plc-io-sim");
    plc_sim_field_close(f);
    plc_layout_free(l);
    return rc;
}
