/* SPDX-License-Identifier: MIT */
/*
 * The verbs of the simulated field for command-line tools (plc-io-sim and
 * plcctl sim): one implementation, so both answer alike.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plc-io.h"

static int fail(const char *prog, const struct plc_diag *d)
{
    char msg[1200];
    plc_diag_format(d, msg, sizeof(msg));
    fprintf(stderr, "%s: %s\n", prog, msg[0] ? msg : strerror(errno));
    return 1;
}

bool plc_sim_is_command(const char *word)
{
    static const char *const verbs[] = {"set", "release", "get", "wait", "list"};
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(word, verbs[i]) == 0)
            return true;
    return false;
}

int plc_sim_command(struct plc_sim_field *f, const struct plc_layout *l, int argc, char **argv,
                    const char *prog)
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
            return fail(prog, &d);
        printf("%d\n", v);
        return 0;
    }
    if (strcmp(verb, "release") == 0 && argc == 2)
        return plc_sim_release(f, argv[1], &d) < 0 ? fail(prog, &d) : 0;
    if ((strcmp(verb, "set") == 0 && argc == 3) ||
        (strcmp(verb, "wait") == 0 && (argc == 3 || argc == 4))) {
        if (plc_type_parse_value(PLC_TYPE_BOOL, argv[2], &dv) < 0) {
            fprintf(stderr, "%s: '%s' is not a bool value (0, 1, true, false)\n", prog,
                    argv[2]);
            return 2;
        }
        if (verb[0] == 's')
            return plc_sim_set(f, argv[1], dv != 0, &d) < 0 ? fail(prog, &d) : 0;
        long ms = 5000;
        char *end;
        if (argc == 4 && ((ms = strtol(argv[3], &end, 10)) < 0 || *end)) {
            fprintf(stderr, "%s: timeout '%s' is not a number of ms\n", prog, argv[3]);
            return 2;
        }
        int r = plc_sim_wait_output(f, argv[1], dv != 0, (int64_t)ms * 1000000, &d);
        if (r < 0)
            return fail(prog, &d);
        if (r == 0) {
            fprintf(stderr, "%s: '%s' did not become %d within %ld ms\n", prog, argv[1],
                    dv != 0, ms);
            return 1;
        }
        return 0;
    }
    fprintf(stderr, "%s: usage: %s\n", prog, PLC_SIM_COMMAND_USAGE);
    return 2;
}

