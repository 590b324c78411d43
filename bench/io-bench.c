/* SPDX-License-Identifier: MIT */
/*
 * io-bench: plc-io latency with the sim backend, beside the floor of the
 * process image measured in the same run.
 *
 *   edge -> inputs    plc_sim_set() of an input line until a reader blocked in
 *                     plc_region_wait() on 'inputs' sees the new value
 *                     (FIFO edge -> plc-io poll -> region write -> futex wake)
 *   outputs -> line   plc_region_write_tag() on 'outputs' until a waiter in
 *                     plc_sim_wait_output() sees the line change
 *                     (futex wake -> plc-io apply -> field write -> futex wake)
 *   floor             plc_region_write() until a reader process blocked in
 *                     plc_region_wait() wakes: one futex hop between processes
 *
 * plc-io runs in its own process, as in production. Each sample is paced
 * 1 ms apart so latency, not throughput, is measured. Reports, never asserts.
 *
 * usage: io-bench [-n SAMPLES] [LAYOUT]   (default 2000 samples, layout/demo.ini)
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plc-io.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void nap_us(long us)
{
    struct timespec ts = {0, us * 1000};
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
    double p50 = v[n / 2] / 1e3, p95 = v[n * 95 / 100] / 1e3, p99 = v[n * 99 / 100] / 1e3,
           max = v[n - 1] / 1e3;
    printf("%-18s %6zu %9.1f %9.1f %9.1f %9.1f\n", what, n, p50, p95, p99, max);
}

static void die(const char *what, const struct plc_diag *d)
{
    char msg[1200];
    plc_diag_format(d, msg, sizeof(msg));
    fprintf(stderr, "io-bench: %s: %s\n", what, msg[0] ? msg : strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    size_t n = 2000;
    int c;
    while ((c = getopt(argc, argv, "n:")) != -1) {
        if (c == 'n' && atol(optarg) > 10)
            n = (size_t)atol(optarg);
        else {
            fprintf(stderr, "usage: io-bench [-n SAMPLES>10] [LAYOUT]\n");
            return 2;
        }
    }
    const char *path = optind < argc ? argv[optind] : PLC_BENCH_LAYOUT;
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(path, &d);
    if (!l)
        die("layout", &d);
    char base[] = "/dev/shm/plc-io-bench-XXXXXX";
    if (!mkdtemp(base))
        return 1;
    for (size_t i = 0; i < plc_layout_region_count(l); i++)
        if (plc_region_create(l, base, plc_layout_region_at(l, i), 0, &d) == PLC_CREATE_ERROR)
            die("create", &d);
    const struct plc_tag_def *in_tag = plc_layout_find_tag(l, "motor_feedback");
    const struct plc_tag_def *out_tag = plc_layout_find_tag(l, "motor_run");
    const struct plc_tag_def *floor_tag = plc_layout_find_tag(l, "run_seconds");
    if (!in_tag || !out_tag || !floor_tag) {
        fprintf(stderr, "io-bench: the layout needs the demo's motor_feedback, motor_run and "
                        "run_seconds tags\n");
        return 1;
    }

    /* plc-io, in its own process. */
    int ready[2];
    if (pipe(ready) < 0)
        return 1;
    pid_t io_pid = fork();
    if (io_pid == 0) {
        struct plc_io_config cfg = {.layout = l, .base_dir = base, .backend = "sim",
                                    .log = fopen("/dev/null", "w")};
        struct plc_io *io = plc_io_new(&cfg, &d);
        if (!io)
            die("plc-io", &d);
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        plc_io_run(io); /* until SIGKILL */
        _exit(0);
    }
    char b;
    if (read(ready[0], &b, 1) != 1) {
        fprintf(stderr, "io-bench: plc-io did not start\n");
        return 1;
    }

    /* Floor: a reader process that wakes on the 'status' region. */
    uint64_t *shared = mmap(NULL, (n + 2) * sizeof(uint64_t), PROT_READ | PROT_WRITE,
                            MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED)
        return 1;
    pid_t floor_pid = fork();
    if (floor_pid == 0) {
        struct plc_region *r = plc_region_attach(l, base, "status", PLC_READER, NULL, &d);
        if (!r)
            die("floor reader", &d);
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        for (size_t i = 0; i < n;) {
            double v;
            if (plc_region_wait(r, -1) == 1 && plc_region_read_tag(r, floor_tag, &v) == 0 &&
                (size_t)v == i + 1) {
                shared[2 + i] = now_ns() - shared[0];
                i++;
            }
        }
        _exit(0);
    }
    if (read(ready[0], &b, 1) != 1)
        return 1;

    struct plc_region *status = plc_region_attach(l, base, "status", PLC_WRITER, "logic", &d);
    struct plc_region *outputs = plc_region_attach(l, base, "outputs", PLC_WRITER, "logic", &d);
    struct plc_region *inputs = plc_region_attach(l, base, "inputs", PLC_READER, NULL, &d);
    struct plc_sim_field *field = plc_sim_field_open(l, base, &d);
    if (!status || !outputs || !inputs || !field)
        die("attach", &d);
    uint64_t *edge = calloc(n, sizeof(uint64_t)), *out = calloc(n, sizeof(uint64_t));

    for (size_t i = 0; i < n; i++) {
        shared[0] = now_ns();
        plc_region_write_tag(status, floor_tag, (double)(i + 1));
        nap_us(1000);
    }
    int st;
    waitpid(floor_pid, &st, 0);

    /* Outputs follow once plc-io sees this process as a live writer. */
    plc_region_write_tag(outputs, out_tag, 0);
    if (plc_sim_wait_output(field, "motor_run", false, 5000000000LL, &d) != 1)
        die("outputs never followed", &d);
    bool v = false;
    for (size_t i = 0; i < n; i++) {
        v = !v;
        uint64_t t0 = now_ns();
        plc_sim_set(field, "motor_feedback", v, NULL);
        double got = !v;
        while (got != v) {
            plc_region_wait(inputs, 1000000000LL);
            plc_region_read_tag(inputs, in_tag, &got);
        }
        edge[i] = now_ns() - t0;
        nap_us(1000);
    }
    for (size_t i = 0; i < n; i++) {
        v = !v;
        uint64_t t0 = now_ns();
        plc_region_write_tag(outputs, out_tag, v);
        if (plc_sim_wait_output(field, "motor_run", v, 1000000000LL, &d) != 1)
            die("output did not follow", &d);
        out[i] = now_ns() - t0;
        nap_us(1000);
    }

    printf("io-bench: plc-io sim backend, layout %s, %ld CPUs, samples paced 1 ms apart\n",
           plc_layout_get_name(l), sysconf(_SC_NPROCESSORS_ONLN));
    printf("%-18s %6s %9s %9s %9s %9s\n", "latency (us)", "n", "p50", "p95", "p99", "max");
    report("edge -> inputs", edge, n);
    report("outputs -> line", out, n);
    report("floor: 1 futex hop", shared + 2, n);
    printf("(target with the sim backend: p99 <= 100 us each way; the floor is one process\n"
           " image write -> waiting reader wake-up on this machine in this run; edge -> inputs\n"
           " and outputs -> line each take two such hops)\n");

    kill(io_pid, SIGKILL);
    waitpid(io_pid, &st, 0);
    plc_sim_field_close(field);
    plc_region_detach(status);
    plc_region_detach(outputs);
    plc_region_detach(inputs);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
    if (system(cmd) != 0)
        fprintf(stderr, "io-bench: could not remove %s\n", base);
    free(edge);
    free(out);
    plc_layout_free(l);
    return 0;
}
