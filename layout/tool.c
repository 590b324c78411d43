/* SPDX-License-Identifier: MIT */
/*
 * plc-layout: check a layout, generate its C header, keep its lock file.
 *
 *   plc-layout check LAYOUT              validate; print name, version, hash
 *   plc-layout header LAYOUT LOCK OUT.h  check the lock, then write the header
 *   plc-layout lock LAYOUT [LOCK]        record version and hash in the lock
 *   plc-layout canonical LAYOUT          print the text the hash is taken over
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "plc-layout.h"

static void report(const struct plc_diag *diag)
{
    char buf[1200];
    plc_diag_format(diag, buf, sizeof(buf));
    fprintf(stderr, "plc-layout: %s\n", buf);
}

static struct plc_layout *load(const char *path)
{
    struct plc_diag diag;
    struct plc_layout *l = plc_layout_load(path, &diag);
    if (!l)
        report(&diag);
    return l;
}

static int write_file(const char *path, const struct plc_layout *l)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "we");
    if (!f || plc_layout_write_header(l, f) < 0 || fclose(f) != 0 || rename(tmp, path) < 0) {
        fprintf(stderr, "plc-layout: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

static void default_lock(const char *layout, char *buf, size_t len)
{
    const char *dot = strrchr(layout, '.');
    const char *slash = strrchr(layout, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - layout) : strlen(layout);
    snprintf(buf, len, "%.*s.lock", (int)stem, layout);
}

static void usage(FILE *out)
{
    fprintf(out, "usage: plc-layout check LAYOUT\n"
                 "       plc-layout header LAYOUT LOCK OUT.h\n"
                 "       plc-layout lock LAYOUT [LOCK]\n"
                 "       plc-layout canonical LAYOUT\n"
                 "Check a layout file, write the C header PLC programs are built against,\n"
                 "keep the layout's lock file (its name, version and hash).\n"
                 "  check      validate; print name, version, hash and counts\n"
                 "  header     check LAYOUT against LOCK (a higher version updates LOCK),\n"
                 "             then write the header OUT.h (plc-image.h)\n"
                 "  lock       record version and hash in LOCK (default: LAYOUT with .lock)\n"
                 "  canonical  print the text the hash is taken over\n");
}

int main(int argc, char **argv)
{
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc < 3) {
        usage(stderr);
        return 2;
    }
    const char *verb = argv[1];
    struct plc_layout *l = load(argv[2]);
    if (!l)
        return 1;

    int rc = 0;
    char lock[4096];
    struct plc_diag diag;
    if (strcmp(verb, "check") == 0 && argc == 3) {
        printf("%s: layout '%s' version %u hash %016" PRIx64 ": %zu regions, %zu tags\n",
               argv[2], plc_layout_get_name(l), plc_layout_get_version(l),
               plc_layout_get_hash(l), plc_layout_region_count(l), plc_layout_tag_count(l));
    } else if (strcmp(verb, "header") == 0 && argc == 5) {
        if (plc_layout_check_lock(l, argv[3], true, &diag) < 0) {
            report(&diag);
            rc = 1;
        } else if (write_file(argv[4], l) < 0) {
            rc = 1;
        }
    } else if (strcmp(verb, "lock") == 0 && (argc == 3 || argc == 4)) {
        if (argc == 4)
            snprintf(lock, sizeof(lock), "%s", argv[3]);
        else
            default_lock(argv[2], lock, sizeof(lock));
        if (plc_layout_write_lock(l, lock) < 0) {
            fprintf(stderr, "plc-layout: cannot write %s: %s\n", lock, strerror(errno));
            rc = 1;
        } else {
            printf("%s: version %u hash %016" PRIx64 "\n", lock, plc_layout_get_version(l),
                   plc_layout_get_hash(l));
        }
    } else if (strcmp(verb, "canonical") == 0 && argc == 3) {
        rc = plc_layout_write_canonical(l, stdout) < 0;
    } else {
        usage(stderr);
        rc = 2;
    }
    plc_layout_free(l);
    return rc;
}
