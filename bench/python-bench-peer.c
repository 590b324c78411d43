/* SPDX-License-Identifier: MIT */
/*
 * The C side of bench/python-bench.py: the same libplc calls the Python
 * library makes, timed from C in the same run, and the C writer whose writes
 * a waiting reader (C or Python) wakes on.
 *
 *   python-bench-peer read LAYOUT BASE N   time N reads of tag 'stamp' and of
 *                                          region 'big' (4 KiB); print JSON
 *   python-bench-peer write LAYOUT BASE N US
 *                                          N writes of 'stamp' (CLOCK_MONOTONIC
 *                                          ns, taken just before the write), one
 *                                          every US microseconds, as writer python
 *   python-bench-peer wait LAYOUT BASE N   wake on N writes of 'stamp'; print the
 *                                          latencies write -> woken and read (JSON)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-stats.h"
#include "plc.h"

static void print_pct(const char *name, double *v, size_t n, int last)
{
    struct pct p = pct_of(v, n);
    printf("  \"%s\": {\"n\": %zu, \"p50\": %.0f, \"p95\": %.0f, \"p99\": %.0f, \"max\": %.0f}%s\n",
           name, p.n, p.p50, p.p95, p.p99, p.max, last ? "" : ",");
}

static struct plc_region *attach(const struct plc_layout *l, const char *base, const char *name,
                                 enum plc_access access)
{
    struct plc_diag diag = {0};
    struct plc_region *r = plc_region_attach(l, base, name, access, "python", &diag);
    if (!r)
        fprintf(stderr, "python-bench-peer: %s\n", diag.msg[0] ? diag.msg : plc_strerror(errno));
    return r;
}

static int bench_read(const struct plc_layout *l, const char *base, size_t n)
{
    const struct plc_tag_def *stamp = plc_layout_find_tag(l, "stamp");
    struct plc_region *small = attach(l, base, "small", PLC_READER);
    struct plc_region *big = attach(l, base, "big", PLC_READER);
    double *one = calloc(n, sizeof(double)), *all = calloc(n, sizeof(double));
    unsigned char *buf = malloc(plc_region_get_def(big)->data_size);
    int rc = 1;
    if (!stamp || !small || !big || !one || !all || !buf)
        goto out;
    for (size_t i = 0; i < n; i++) {
        struct plc_value v;
        uint64_t t0 = now_ns();
        if (plc_region_read_value(small, stamp, &v) < 0)
            goto out;
        uint64_t t1 = now_ns();
        if (plc_region_read(big, buf) < 0)
            goto out;
        uint64_t t2 = now_ns();
        CLOBBER(buf);
        one[i] = (double)(t1 - t0);
        all[i] = (double)(t2 - t1);
    }
    printf("{\n");
    print_pct("c_get_one_tag_ns", one, n, 0);
    print_pct("c_read_4k_region_ns", all, n, 1);
    printf("}\n");
    rc = 0;
out:
    free(buf);
    free(all);
    free(one);
    plc_region_detach(big);
    plc_region_detach(small);
    return rc;
}

static int bench_write(const struct plc_layout *l, const char *base, size_t n, uint64_t every_us)
{
    const struct plc_tag_def *stamp = plc_layout_find_tag(l, "stamp");
    struct plc_region *r = attach(l, base, "small", PLC_WRITER);
    if (!stamp || !r)
        return 1;
    uint64_t next = now_ns();
    for (size_t i = 0; i < n; i++) {
        next += every_us * 1000u;
        sleep_until_ns(next);
        struct plc_value v = {.u = now_ns()};
        if (plc_region_write_value(r, stamp, &v) < 0) {
            fprintf(stderr, "python-bench-peer: write: %s\n", plc_strerror(errno));
            plc_region_detach(r);
            return 1;
        }
    }
    plc_region_detach(r);
    return 0;
}

static int bench_wait(const struct plc_layout *l, const char *base, size_t n)
{
    const struct plc_tag_def *stamp = plc_layout_find_tag(l, "stamp");
    struct plc_region *r = attach(l, base, "small", PLC_READER);
    double *lat = calloc(n, sizeof(double));
    size_t got = 0;
    struct plc_value v;
    if (!stamp || !r || !lat)
        goto out;
    plc_region_read_value(r, stamp, &v); /* seen: wait for the next */
    printf("ready\n");
    fflush(stdout);
    while (got < n) {
        int w = plc_region_wait(r, 5000000000LL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break; /* the writer stopped */
        if (plc_region_read_value(r, stamp, &v) < 0)
            break;
        lat[got++] = (double)(now_ns() - v.u);
    }
    printf("{\n");
    print_pct("c_wake_ns", lat, got, 1);
    printf("}\n");
out:
    free(lat);
    plc_region_detach(r);
    return got == n ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 5 || (strcmp(argv[1], "write") == 0 && argc < 6)) {
        fprintf(stderr, "usage: python-bench-peer read|wait LAYOUT BASE N\n"
                        "       python-bench-peer write LAYOUT BASE N US\n");
        return 2;
    }
    struct plc_diag diag = {0};
    struct plc_layout *l = plc_layout_load(argv[2], &diag);
    if (!l) {
        fprintf(stderr, "python-bench-peer: %s\n", diag.msg);
        return 1;
    }
    size_t n = strtoul(argv[4], NULL, 10);
    int rc = 2;
    if (strcmp(argv[1], "read") == 0)
        rc = bench_read(l, argv[3], n);
    else if (strcmp(argv[1], "write") == 0)
        rc = bench_write(l, argv[3], n, strtoull(argv[5], NULL, 10));
    else if (strcmp(argv[1], "wait") == 0)
        rc = bench_wait(l, argv[3], n);
    plc_layout_free(l);
    return rc;
}
