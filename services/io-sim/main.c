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

#define LAYOUT_DEFAULT "/etc/raspiplc/layout.ini"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: plc-io-sim [--base-dir DIR] [--layout FILE] VERB ...\n"
            "  set TAG 0|1          drive an input line of the simulated field\n"
            "  release TAG          stop driving it: its bias decides its level\n"
            "  get TAG              print a line's logical value (0 or 1)\n"
            "  wait TAG 0|1 [MS]    wait until an output has the value (default 5000 ms)\n"
            "  list                 print every line: value, level, driven\n"
            "The layout is --layout, $RASPIPLC_LAYOUT or %s.\n",
            LAYOUT_DEFAULT);
}

static int fail(const struct plc_diag *d)
{
    char msg[1200];
    plc_diag_format(d, msg, sizeof(msg));
    fprintf(stderr, "plc-io-sim: %s\n", msg[0] ? msg : strerror(errno));
    return 1;
}

static int run(struct plc_sim_field *f, const struct plc_layout *l, int argc, char **argv)
{
    struct plc_diag d;
    const char *verb = argv[0];
    bool v, level, driven;
    double dv;

    if (strcmp(verb, "list") == 0 && argc == 1) {
        printf("%-24s %-3s %-5s %-5s %s\n", "TAG", "DIR", "VALUE", "LEVEL", "DRIVEN");
        for (size_t i = 0; i < plc_layout_tag_count(l); i++) {
            const struct plc_tag_def *t = plc_layout_tag_at(l, i);
            if (plc_sim_get(f, t->name, &v, &level, &driven, NULL) < 0)
                continue;
            printf("%-24s %-3s %-5d %-5s %s\n", t->name,
                   t->region->gpio_dir == PLC_GPIO_OUTPUT ? "out" : "in", v,
                   level ? "high" : "low",
                   driven ? "yes" : (t->region->gpio_dir == PLC_GPIO_OUTPUT ? "no" : "floating"));
        }
        return 0;
    }
    if (strcmp(verb, "get") == 0 && argc == 2) {
        if (plc_sim_get(f, argv[1], &v, NULL, NULL, &d) < 0)
            return fail(&d);
        printf("%d\n", v);
        return 0;
    }
    if (strcmp(verb, "release") == 0 && argc == 2)
        return plc_sim_release(f, argv[1], &d) < 0 ? fail(&d) : 0;
    if ((strcmp(verb, "set") == 0 && argc == 3) ||
        (strcmp(verb, "wait") == 0 && (argc == 3 || argc == 4))) {
        if (plc_type_parse_value(PLC_TYPE_BOOL, argv[2], &dv) < 0) {
            fprintf(stderr, "plc-io-sim: '%s' is not a bool value (0, 1, true, false)\n",
                    argv[2]);
            return 2;
        }
        if (verb[0] == 's')
            return plc_sim_set(f, argv[1], dv != 0, &d) < 0 ? fail(&d) : 0;
        long ms = 5000;
        char *end;
        if (argc == 4 && ((ms = strtol(argv[3], &end, 10)) < 0 || *end)) {
            fprintf(stderr, "plc-io-sim: timeout '%s' is not a number of ms\n", argv[3]);
            return 2;
        }
        int r = plc_sim_wait_output(f, argv[1], dv != 0, (int64_t)ms * 1000000, &d);
        if (r < 0)
            return fail(&d);
        if (r == 0) {
            fprintf(stderr, "plc-io-sim: '%s' did not become %d within %ld ms\n", argv[1],
                    dv != 0, ms);
            return 1;
        }
        return 0;
    }
    usage(stderr);
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"base-dir", required_argument, NULL, 'b'},
        {"layout", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *base_dir = NULL, *layout = getenv("RASPIPLC_LAYOUT");
    int c;
    while ((c = getopt_long(argc, argv, "+b:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'b': base_dir = optarg; break;
        case 'l': layout = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(layout ? layout : LAYOUT_DEFAULT, &d);
    if (!l)
        return fail(&d);
    struct plc_sim_field *f = plc_sim_field_open(l, plc_base_dir(l, base_dir), &d);
    if (!f) {
        plc_layout_free(l);
        return fail(&d);
    }
    int rc = run(f, l, argc - optind, argv + optind);
    plc_sim_field_close(f);
    plc_layout_free(l);
    return rc;
}
