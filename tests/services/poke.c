/* SPDX-License-Identifier: MIT */
/*
 * poke: a test helper that writes one tag as a real writer process would.
 *
 *   poke LAYOUT BASE_DIR SERVICE TAG VALUE [--hold]
 *
 * Attaches to the tag's region as writer SERVICE, publishes VALUE with
 * plc_region_write_tag(), prints "poked TAG=VALUE" and exits. With --hold it
 * stays attached (the writer claim held, alive) until its stdin closes, so a
 * test can inspect a region with a live writer and then stop it exactly.
 * Exit 0 ok, 1 error (the diag on stderr), 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "plc.h"

int main(int argc, char **argv)
{
    struct plc_diag diag;
    char msg[1200];
    double value;
    int rc = 1;

    if (argc < 6 || argc > 7 || (argc == 7 && strcmp(argv[6], "--hold") != 0)) {
        fprintf(stderr, "usage: poke LAYOUT BASE_DIR SERVICE TAG VALUE [--hold]\n");
        return 2;
    }
    struct plc_layout *l = plc_layout_load(argv[1], &diag);
    if (!l) {
        plc_diag_format(&diag, msg, sizeof(msg));
        fprintf(stderr, "poke: %s\n", msg);
        return 1;
    }
    const struct plc_tag_def *tag = plc_layout_find_tag(l, argv[4]);
    if (!tag) {
        fprintf(stderr, "poke: unknown tag '%s'\n", argv[4]);
        goto free_layout;
    }
    if (plc_type_parse_value(tag->type, argv[5], &value) < 0) {
        fprintf(stderr, "poke: tag '%s': bad value '%s': %s\n", argv[4], argv[5],
                strerror(errno));
        goto free_layout;
    }
    struct plc_region *r =
        plc_region_attach(l, argv[2], tag->region->name, PLC_WRITER, argv[3], &diag);
    if (!r) {
        plc_diag_format(&diag, msg, sizeof(msg));
        fprintf(stderr, "poke: %s\n", msg);
        goto free_layout;
    }
    if (plc_region_write_tag(r, tag, value) < 0) {
        fprintf(stderr, "poke: tag '%s': write: %s\n", argv[4], plc_strerror(errno));
        goto detach;
    }
    printf("poked %s=%s\n", argv[4], argv[5]);
    fflush(stdout);
    if (argc == 7) {
        char buf[64];
        while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
            ;
    }
    rc = 0;
detach:
    plc_region_detach(r);
free_layout:
    plc_layout_free(l);
    return rc;
}
