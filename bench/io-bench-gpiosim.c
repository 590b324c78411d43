/* SPDX-License-Identifier: MIT */
/*
 * io-bench-gpiosim: plc-io latency through the kernel's GPIO character device,
 * inside the gpio-sim qemu guest (bench/io-bench-qemu.sh boots it; TCG, so
 * every figure is an emulator's figure, slow by nature).
 *
 *   edge -> inputs    write pull-up/pull-down to gpio-sim's sim_gpio1/pull until
 *                     a reader blocked in plc_region_wait() sees 'in_pd' change
 *   outputs -> line   write 'out_a' to 'outputs' until sim_gpio3/value shows it
 *                     (read in a loop: gpio-sim has no change notification)
 *   floor             plc_region_write() until a reader process blocked in
 *                     plc_region_wait() wakes (one futex hop), same guest
 *
 * usage: io-bench-gpiosim LAYOUT SYSFS_DIR LABEL [SAMPLES]   (plc-io must run)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plc.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void nap_us(long us)
{
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    printf("%-18s %6zu %9.1f %9.1f %9.1f %9.1f\n", what, n, v[n / 2] / 1e3,
           v[n * 95 / 100] / 1e3, v[n * 99 / 100] / 1e3, v[n - 1] / 1e3);
}

static int fail(const char *what, const struct plc_diag *d)
{
    fprintf(stderr, "io-bench-gpiosim: %s: %s\n", what, d && d->msg[0] ? d->msg : strerror(errno));
    return 1;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, text, strlen(text));
    close(fd);
    return w == (ssize_t)strlen(text) ? 0 : -1;
}

static int level(int fd)
{
    char c;
    return pread(fd, &c, 1, 0) == 1 ? c - '0' : -1;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return fprintf(stderr, "usage: io-bench-gpiosim LAYOUT SYSFS_DIR LABEL [SAMPLES]\n"), 2;
    size_t n = argc > 4 ? (size_t)atol(argv[4]) : 300;
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(argv[1], &d);
    if (!l)
        return fail("layout", &d);
    const char *base = plc_base_dir(l, NULL);
    const struct plc_tag_def *in = plc_layout_find_tag(l, "in_pd");
    const struct plc_tag_def *out = plc_layout_find_tag(l, "out_a");
    const struct plc_tag_def *beat = plc_layout_find_tag(l, "beat");
    char pull[512], value[512];
    snprintf(pull, sizeof(pull), "%s/sim_gpio1/pull", argv[2]);
    snprintf(value, sizeof(value), "%s/sim_gpio3/value", argv[2]);
    int vfd = open(value, O_RDONLY);
    if (!in || !out || !beat || vfd < 0)
        return fail("the guest layout's in_pd, out_a, beat and gpio-sim lines 1 and 3", NULL);

    /* Floor: a reader process on 'status'. */
    uint64_t *shared = mmap(NULL, (n + 1) * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int ready[2];
    if (shared == MAP_FAILED || pipe(ready) < 0)
        return 1;
    pid_t child = fork();
    if (child == 0) {
        struct plc_region *r = plc_region_attach(l, base, "status", PLC_READER, NULL, &d);
        if (!r || write(ready[1], "r", 1) != 1)
            _exit(1);
        for (size_t i = 0; i < n;) {
            double v;
            if (plc_region_wait(r, -1) == 1 && plc_region_read_tag(r, beat, &v) == 0 &&
                (size_t)v == i + 1)
                shared[1 + i++] = now_ns() - shared[0];
        }
        _exit(0);
    }
    char b;
    if (read(ready[0], &b, 1) != 1)
        return 1;
    struct plc_region *status = plc_region_attach(l, base, "status", PLC_WRITER, "logic", &d);
    struct plc_region *outputs = plc_region_attach(l, base, "outputs", PLC_WRITER, "logic", &d);
    struct plc_region *inputs = plc_region_attach(l, base, "inputs", PLC_READER, NULL, &d);
    if (!status || !outputs || !inputs)
        return fail("attach", &d);
    uint64_t *edge = calloc(n, sizeof(uint64_t)), *line = calloc(n, sizeof(uint64_t));
    uint64_t *rd = calloc(n, sizeof(uint64_t));

    for (size_t i = 0; i < n; i++) {
        shared[0] = now_ns();
        plc_region_write_tag(status, beat, (double)(i + 1));
        nap_us(2000);
    }
    int st;
    waitpid(child, &st, 0);

    bool v;
    double got;
    plc_region_read_tag(inputs, in, &got);
    v = got != 0;
    for (size_t i = 0; i < n; i++) {
        v = !v;
        uint64_t t0 = now_ns();
        if (write_file(pull, v ? "pull-up" : "pull-down") < 0)
            return fail(pull, NULL);
        uint64_t deadline = t0 + 5000000000ull;
        do {
            plc_region_wait(inputs, 1000000000LL);
            plc_region_read_tag(inputs, in, &got);
        } while ((got != 0) != v && now_ns() < deadline);
        if ((got != 0) != v)
            return fprintf(stderr, "io-bench-gpiosim: in_pd never followed\n"), 1;
        edge[i] = now_ns() - t0;
        nap_us(2000);
    }

    /* Outputs follow once plc-io sees a live writer. */
    plc_region_write_tag(outputs, out, 0);
    uint64_t deadline = now_ns() + 10000000000ull;
    while (level(vfd) != 0 && now_ns() < deadline)
        nap_us(1000);
    v = false;
    for (size_t i = 0; i < n; i++) {
        v = !v;
        uint64_t t0 = now_ns();
        plc_region_write_tag(outputs, out, v);
        int lv;
        uint64_t t1 = t0;
        deadline = t0 + 5000000000ull;
        while ((lv = level(vfd)) != v && (t1 = now_ns()) < deadline)
            ;
        if (lv != v)
            return fprintf(stderr, "io-bench-gpiosim: OUT_A never followed\n"), 1;
        line[i] = now_ns() - t0;
        uint64_t r0 = now_ns();
        level(vfd);
        rd[i] = now_ns() - r0;
        nap_us(2000);
    }

    printf("io-bench: plc-io gpiod backend %s on gpio-sim, qemu TCG guest (emulated: slow by "
           "nature), samples paced 2 ms apart\n", argv[3]);
    printf("%-18s %6s %9s %9s %9s %9s\n", "latency (us)", "n", "p50", "p95", "p99", "max");
    report("edge -> inputs", edge, n);
    report("outputs -> line", line, n);
    report("floor: 1 futex hop", shared + 1, n);
    report("floor: sysfs read", rd, n);
    return 0;
}
