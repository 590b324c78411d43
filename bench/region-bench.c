/* SPDX-License-Identifier: MIT */
/*
 * region-bench: latency of plc_region_write() and plc_region_read() beside a
 * bare seqlock and a plain memcpy of the same bytes, measured in the same run
 * (what and why: bench/README.md).
 *
 * One writer process pinned to CPU0 wakes every period on an absolute
 * clock_nanosleep and writes the library's region and the bare seqlock, in
 * turns, timing each call with CLOCK_MONOTONIC. N reader processes pinned to
 * CPU1 spin on the same bytes: every read they check is checked for tearing
 * (every uint32 word i of a write holds k + i), and now and then one times a
 * batch of library reads, bare reads and plain memcpys of the region's data.
 * A second bare seqlock and a plain copy use the relaxed-atomic copy of
 * PLC_RELAXED_COPY instead of memcpy, timed and checked beside them. A read
 * through any of the seqlocks that comes back torn is a failure (exit 1); the
 * plain copies are the negative control that shows the check can see tearing
 * at all.
 *
 * After the paced writes, a short stretch of back-to-back writes gives the
 * torn-read check (and the negative control) overlaps to find.
 *
 * A second mode attaches 100 regions at once, as writer in one process and as
 * reader in another, and compares their writes and reads with one region's.
 *
 * Files: region-bench.c (options, modes, main), region-run.c (layouts, the
 * writer, the readers), region-report.c (tables), bare-seqlock.h (the floor).
 *
 * It reports; it never judges a time: a missed target is printed as MISS and
 * the exit status stays 0.
 */
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "region-bench.h"

volatile sig_atomic_t bench_stop;

static void on_signal(int sig)
{
    (void)sig;
    bench_stop = 1;
}

/* The private base directory, removed at exit (also after die()). */
static char base_dir[] = "/dev/shm/region-bench-XXXXXX";
static pid_t main_pid;

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void remove_base_dir(void)
{
    if (getpid() == main_pid)
        nftw(base_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int parse_list(const char *arg, size_t *out, unsigned *n, size_t max)
{
    char *copy = strdup(arg), *save = NULL;
    *n = 0;
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *end;
        unsigned long long v = strtoull(t, &end, 10);
        if (*end == 'k' || *end == 'K')
            v *= 1024, end++;
        if (*end || v == 0 || v > max || *n == MAX_LIST) {
            free(copy);
            return -1;
        }
        out[(*n)++] = (size_t)v;
    }
    free(copy);
    return *n ? 0 : -1;
}

static int run_matrix(const struct opts *o, const char *base)
{
    static struct result res[MAX_LIST][MAX_LIST];
    int failed = 0;
    char sz[32];
    for (unsigned si = 0; si < o->nsizes; si++) {
        struct bench_set s;
        char name[32];
        snprintf(name, sizeof(name), "bench%zu", o->sizes[si]);
        set_open(&s, base, name, 1, o->sizes[si]);
        size_name(o->sizes[si], sz, sizeof(sz));
        fprintf(stderr, "%s: layout of %zu tags loaded in %.1f ms, region created in %.2f ms\n", sz,
                o->sizes[si] / 4, s.load_ms, s.create_ms);
        for (unsigned ri = 0; ri < o->nreaders; ri++) {
            fprintf(stderr, "%s, %u readers ...", sz, o->readers[ri]);
            if (run_config(o, &s, 1, o->readers[ri], false, &res[si][ri]) < 0)
                die("%s, %u readers: the run broke (see above)", sz, o->readers[ri]);
            const struct result *r = &res[si][ri];
            fprintf(stderr,
                    " ready in %.0f ms; write p95 lib %.2f us bare %.2f us; torn "
                    "lib+bare+rlx %" PRIu64 ", raw %" PRIu64 "\n",
                    r->ready_ms, r->w[0].p95 / 1e3, r->w[1].p95 / 1e3, protocol_torn(r),
                    r->torn[PH_PACED][K_RAW] + r->torn[PH_HAMMER][K_RAW] + r->torn[PH_RAW][K_RAW]);
            failed |= protocol_torn(r) != 0;
        }
        set_close(&s);
    }
    print_matrix(o, res);
    return failed;
}

static int run_multi(const struct opts *o, const char *base)
{
    struct bench_set s;
    struct result res[3];
    const char *const what[3] = {"1 region attached, 1 write/period",
                                 "all attached, 1 write/period (round robin)",
                                 "all attached, every region written each period"};
    char sz[32];
    int failed = 0;
    size_name(o->multi_size, sz, sizeof(sz));
    set_open(&s, base, "multi", o->regions, o->multi_size);
    fprintf(stderr, "%u regions of %s: layout of %zu tags loaded in %.1f ms, created in %.1f ms\n",
            o->regions, sz, o->regions * o->multi_size / 4, s.load_ms, s.create_ms);
    for (unsigned c = 0; c < 3; c++) {
        fprintf(stderr, "%s ...", what[c]);
        if (run_config(o, &s, c == 0 ? 1 : o->regions, 1, c == 2, &res[c]) < 0)
            die("%s: the run broke (see above)", what[c]);
        fprintf(stderr, " write p99 lib %.2f us bare %.2f us\n", res[c].w[0].p99 / 1e3,
                res[c].w[1].p99 / 1e3);
        failed |= protocol_torn(&res[c]) != 0;
    }

    print_multi(o, &s, res, what);
    set_close(&s);
    return failed;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: region-bench [--sizes 8,256,4096,65536] [--readers 1,10,100,1000]\n"
               "                    [--writes N] [--warmup N] [--samples N] [--period-us N]\n"
               "                    [--regions N] [--multi-size BYTES] [--fifo PRIO]\n"
               "                    [--batch N] [--hammer-ms N] [--matrix | --multi] [--quick]\n"
               "  --writes N     recorded write periods per configuration (default 5000)\n"
               "  --samples N    timed read batches per kind per configuration (default 20000)\n"
               "  --matrix       only sizes x readers; --multi: only the many-regions mode\n"
               "  --batch N      reads per timed batch (default 32768/size, 1 to 256)\n"
               "  --hammer-ms N  back-to-back writes after the paced ones, for the torn\n"
               "                 check (default 300; 0 skips)\n"
               "  --quick        --writes 300 --warmup 50 --samples 3000 --hammer-ms 100\n"
               "  --fifo PRIO    run the writer under SCHED_FIFO at PRIO (default SCHED_OTHER)\n");
}

static void print_header(int argc, char **argv, const struct opts *o)
{
    struct utsname u;
    char date[64], cs[64] = "?";
    time_t t = time(NULL);
    uname(&u);
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %z", localtime(&t));
    char load[64] = "?";
    read_first_line("/sys/devices/system/clocksource/clocksource0/current_clocksource", cs,
                    sizeof(cs));
    read_first_line("/proc/loadavg", load, sizeof(load));
    double d[1001];
    for (int i = 0; i < 1001; i++) {
        uint64_t a = now_ns();
        d[i] = (double)(now_ns() - a);
    }
    struct pct clk = pct_of(d, 1001);

    printf("# command:");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n# date: %s; kernel: %s; nproc: %ld; clocksource: %s; clock_gettime pair: "
           "p50 %.0f ns\n",
           date, u.release, sysconf(_SC_NPROCESSORS_ONLN), cs, clk.p50);
    printf("# loadavg at start: %s\n", load);
    printf("# writer: pid %d on CPU%d, %s; readers on CPU%d, SCHED_OTHER; period %" PRIu64
           " us, %u warm-up + %u recorded periods per configuration\n",
           (int)getpid(), WRITER_CPU, o->fifo ? "SCHED_FIFO" : "SCHED_OTHER", READER_CPU,
           o->period_ns / 1000, o->warmup, o->writes);
    if (o->fifo)
        printf("# writer priority: SCHED_FIFO %d\n", o->fifo);
#ifdef PLC_RELAXED_COPY
    printf("# libplc (lib) copies the payload with C11 relaxed atomics (PLC_RELAXED_COPY=ON)\n");
#else
    printf("# libplc (lib) copies the payload with memcpy (PLC_RELAXED_COPY=OFF)\n");
#endif
}

int main(int argc, char **argv)
{
    struct opts o = {
        .sizes = {8, 256, 4096, 65536},
        .nsizes = 4,
        .readers = {1, 10, 100, 1000},
        .nreaders = 4,
        .writes = 5000,
        .warmup = 200,
        .samples = 20000,
        .regions = 100,
        .hammer_ms = 300,
        .multi_size = 256,
        .period_ns = 1000000,
        .matrix = true,
        .multi = true,
    };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        size_t list[MAX_LIST];
        unsigned n;
        if (strcmp(a, "--quick") == 0) {
            o.writes = 300, o.warmup = 50, o.samples = 3000, o.hammer_ms = 100;
        } else if (strcmp(a, "--matrix") == 0) {
            o.matrix = true, o.multi = false;
        } else if (strcmp(a, "--multi") == 0) {
            o.matrix = false, o.multi = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (v && strcmp(a, "--sizes") == 0) {
            if (parse_list(v, o.sizes, &o.nsizes, PLC_REGION_SIZE_MAX / 2) < 0)
                die("--sizes: a list of sizes in bytes, like 8,256,4k");
            for (unsigned k = 0; k < o.nsizes; k++)
                if (o.sizes[k] % 8)
                    die("--sizes: %zu is not a multiple of 8 bytes", o.sizes[k]);
            i++;
        } else if (v && strcmp(a, "--readers") == 0) {
            if (parse_list(v, list, &n, MAX_READERS) < 0)
                die("--readers: a list of counts from 1 to %d, like 1,10,100", MAX_READERS);
            for (unsigned k = 0; k < n; k++)
                o.readers[k] = (unsigned)list[k];
            o.nreaders = n;
            i++;
        } else if (v && (strcmp(a, "--writes") == 0 || strcmp(a, "--warmup") == 0 ||
                         strcmp(a, "--samples") == 0 || strcmp(a, "--period-us") == 0 ||
                         strcmp(a, "--regions") == 0 || strcmp(a, "--multi-size") == 0 ||
                         strcmp(a, "--fifo") == 0 || strcmp(a, "--batch") == 0 ||
                         strcmp(a, "--hammer-ms") == 0)) {
            char *end;
            unsigned long x = strtoul(v, &end, 10);
            if (*end || x > 100000000)
                die("%s: '%s' is not a number", a, v);
            if (strcmp(a, "--writes") == 0)
                o.writes = (unsigned)x;
            else if (strcmp(a, "--warmup") == 0)
                o.warmup = (unsigned)x;
            else if (strcmp(a, "--samples") == 0)
                o.samples = (unsigned)x;
            else if (strcmp(a, "--period-us") == 0)
                o.period_ns = x * 1000;
            else if (strcmp(a, "--regions") == 0)
                o.regions = (unsigned)x;
            else if (strcmp(a, "--multi-size") == 0)
                o.multi_size = x;
            else if (strcmp(a, "--batch") == 0)
                o.batch = (unsigned)x;
            else if (strcmp(a, "--hammer-ms") == 0)
                o.hammer_ms = (unsigned)x;
            else
                o.fifo = (int)x;
            i++;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (o.writes < 1 || o.period_ns < 1000 || o.regions < 1 || o.regions > 1000 ||
        o.multi_size < 8 || o.multi_size % 8 || o.fifo > 99)
        die("bad option value (see --help)");

    prctl(PR_SET_TIMERSLACK, 1UL); /* wake on time, as cyclictest does */
    if (pin_to_cpu(WRITER_CPU) < 0)
        die("sched_setaffinity(CPU%d): %s (this program needs 2 CPUs)", WRITER_CPU,
            strerror(errno));
    if (o.fifo) {
        /* Readers must not inherit it. */
        struct sched_param p = {.sched_priority = o.fifo};
        if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &p) < 0)
            die("SCHED_FIFO %d: %s", o.fifo, strerror(errno));
    }
    if (!mkdtemp(base_dir))
        die("mkdtemp: %s", strerror(errno));
    main_pid = getpid();
    atexit(remove_base_dir);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGPIPE};
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        sigaction(sigs[i], &sa, NULL);
    const char *base = base_dir;
    setvbuf(stdout, NULL, _IOLBF, 0);
    print_header(argc, argv, &o);
    int failed = 0;
    if (o.matrix)
        failed |= run_matrix(&o, base);
    if (o.multi)
        failed |= run_multi(&o, base);
    if (failed) {
        printf("\n!!! FAILED: a read through the seqlock protocol came back TORN (see the torn "
               "columns above). That is a bug, not noise.\n");
        fprintf(stderr, "region-bench: FAILED: torn reads with the protocol\n");
        return 1;
    }
    return 0;
}
