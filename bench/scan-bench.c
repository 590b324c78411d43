/* SPDX-License-Identifier: MIT */
/*
 * plc-scan-bench: how late the plc_scan engine wakes behind its deadlines,
 * beside cyclictest's floor, at each period, idle and with the other core
 * loaded.
 *
 *   plc-scan-bench [--slices N] [--slice S] [--periods LIST_US] [--priority P]
 *                  [--cpu N|none] [--program F.so] [--no-load] [--naive]
 *
 * The loops take turns in short slices (N rounds of S seconds each, the
 * order rotating every round), so the machine's noise falls on all alike:
 *
 *   engine        the engine as plc-logic runs it: absolute deadlines, locked
 *                 memory, SCHED_FIFO, the cpu_dma_latency request a priority
 *                 brings, running the program (examples/motor.so);
 *   engine, no cpu_dma_latency request
 *                 the same without the request, to show what it is worth;
 *   cyclictest    rt-tests' cyclictest, the floor (it makes the request too);
 *   naive         (--naive) the same region read and write, then a relative
 *                 nanosleep: its drift behind the period grid.
 *
 * Lateness is the wake-up minus the deadline, in whole microseconds (as
 * cyclictest counts). For the engine the bench wraps the program's scan():
 * its first instruction reads the clock and asks the engine for the cycle's
 * deadline and wake-up (plc_scan_get_cycle), so it also shows what the engine
 * does between its wake-up and the program. Prints figures and ratios;
 * asserts nothing.
 */
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-commit.h"
#include "plc-scan.h"

#define HIST_US 100000u /* 1 us buckets to 100 ms; beyond counts as overflow */

enum loop { ENGINE, ENGINE_NO_QOS, CYCLICTEST, NAIVE, LOOPS };

static const char *const loop_name[LOOPS] = {
    "engine", "engine, no cpu_dma_latency", "cyclictest (floor)", "naive loop"};

struct opts {
    int slices, slice_s;
    int priority, cpu;
    const char *program;
    unsigned periods[8];
    size_t nperiods;
    bool load, naive;
};

/* Lateness of one loop over all its slices: 1 us buckets, as cyclictest's. */
struct hist {
    uint64_t count[HIST_US + 1]; /* the last bucket: HIST_US us or more */
    uint64_t total, max_us, late_periods;
    double drift_ms;             /* naive loop: behind the grid */
    bool ran;
};

static void hist_add(struct hist *h, uint64_t us, unsigned period_us, uint64_t n)
{
    h->count[us < HIST_US ? us : HIST_US] += n;
    h->total += n;
    if (us > h->max_us)
        h->max_us = us;
    if (us >= period_us)
        h->late_periods += n;
}

static double hist_quantile(const struct hist *h, double q)
{
    uint64_t want = (uint64_t)ceil(q * (double)h->total), seen = 0;
    for (unsigned us = 0; us <= HIST_US; us++)
        if ((seen += h->count[us]) >= want && want)
            return us;
    return NAN;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the engine, its program wrapped ----------------------------------- */

/* The wrapped program's view: where its samples go. One engine at a time. */
static struct probe {
    const struct plc_program *real;
    struct plc_scan *scan;
    struct hist *late, *to_program;
    unsigned period_us;
    uint64_t cycles;
} probe;

static int probe_scan(struct plc_ctx *ctx)
{
    uint64_t entered = now_ns(), deadline, wake;
    plc_scan_get_cycle(probe.scan, &deadline, &wake);
    /* the first cycle has no sleep before it */
    if (probe.scan && probe.cycles++) {
        hist_add(probe.late, (wake - deadline) / 1000u, probe.period_us, 1);
        hist_add(probe.to_program, (entered - wake) / 1000u, UINT32_MAX, 1);
    }
    return probe.real->scan(ctx);
}

static void quiet_log(void *user, int level, const char *msg)
{
    (void)user;
    if (level <= PLC_LOG_WARNING && !strstr(msg, "overrun"))
        fprintf(stderr, "scan-bench: plc-logic: %s\n", msg);
}

static void rt_self(const struct opts *o, bool on)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (!on || o->cpu < 0 || i == o->cpu)
            CPU_SET(i, &set);
    sched_setaffinity(0, sizeof(set), &set);
    struct sched_param sp = {.sched_priority = on ? o->priority : 0};
    if (sched_setscheduler(0, on && o->priority > 0 ? SCHED_FIFO : SCHED_OTHER, &sp) != 0 && on)
        fprintf(stderr, "scan-bench: SCHED_FIFO %d refused: %s\n", o->priority, strerror(errno));
}

static void run_engine(const struct opts *o, const struct plc_layout *l, const char *base,
                       unsigned period_us, bool qos, struct hist *late, struct hist *to_program)
{
    struct plc_program wrapped = *probe.real;
    wrapped.scan = probe_scan;
    struct plc_logic_def g = *plc_layout_get_logic(l);
    g.period_us = period_us;
    g.watchdog_us = period_us * 100;
    g.priority = o->priority;
    g.cpu = o->cpu;
    g.lock_memory = true;
    g.cpu_dma_latency_us = qos && o->priority > 0 ? 0 : -1;
    struct plc_scan_config cfg = {.layout = l, .base_dir = base, .program = &wrapped,
                                  .logic = &g, .log = quiet_log};
    probe = (struct probe){.real = probe.real, .late = late, .to_program = to_program,
                           .period_us = period_us};
    struct plc_diag d;
    struct plc_scan *s = plc_scan_new(&cfg, &d);
    if (!s) {
        char msg[1200];
        plc_diag_format(&d, msg, sizeof(msg));
        fprintf(stderr, "scan-bench: engine: %s\n", msg);
        return;
    }
    probe.scan = s;
    uint64_t end = now_ns() + (uint64_t)o->slice_s * 1000000000u;
    while (now_ns() < end)
        plc_scan_step(s);
    plc_scan_free(s);
    probe.scan = NULL;
    rt_self(o, false); /* the engine made this thread its scan thread */
    late->ran = true;
}

/* ---- the other loops ---------------------------------------------------- */

static void run_naive(const struct opts *o, const struct plc_layout *l, const char *base,
                      unsigned period_us, struct hist *h)
{
    struct plc_diag d;
    struct plc_region *in = plc_region_attach(l, base, "inputs", PLC_READER, NULL, &d);
    struct plc_region *out = plc_region_attach(l, base, "outputs", PLC_WRITER, "logic", &d);
    if (!in || !out) {
        fprintf(stderr, "scan-bench: naive: %s\n", d.msg);
        plc_region_detach(in);
        plc_region_detach(out);
        return;
    }
    unsigned char ibuf[4096], obuf[4096] = {0};
    if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0)
        fprintf(stderr, "scan-bench: mlockall: %s\n", strerror(errno));
    rt_self(o, true);
    uint64_t period = (uint64_t)period_us * 1000u, n = 0;
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)o->slice_s * 1000000000u;
    struct timespec rel = {.tv_sec = (time_t)(period / 1000000000u),
                           .tv_nsec = (long)(period % 1000000000u)};
    for (uint64_t woke = t0; woke < end; n++) {
        plc_region_read(in, ibuf);
        obuf[0] ^= 1;
        plc_region_write(out, obuf);
        uint64_t asked = now_ns() + period;
        nanosleep(&rel, NULL);
        woke = now_ns();
        hist_add(h, woke > asked ? (woke - asked) / 1000u : 0, period_us, 1);
    }
    /* behind the grid: the time n cycles took beyond n periods */
    h->drift_ms += ((double)(now_ns() - t0) - (double)n * (double)period) / 1e6;
    rt_self(o, false);
    munlockall();
    plc_region_detach(in);
    plc_region_detach(out);
    h->ran = true;
}

static void run_cyclictest(const struct opts *o, unsigned period_us, struct hist *h)
{
    char cmd[256], cpu[24] = "";
    if (o->cpu >= 0)
        snprintf(cpu, sizeof(cpu), " -a %d", o->cpu);
    snprintf(cmd, sizeof(cmd), "cyclictest -m -t1 -i%u -D%ds -p%d -h %u -q%s 2>/dev/null",
             period_us, o->slice_s, o->priority, HIST_US, cpu);
    FILE *p = popen(cmd, "r");
    if (!p)
        return;
    uint64_t seen = 0;
    char line[256];
    while (fgets(line, sizeof(line), p)) {
        unsigned long long us, c;
        if (line[0] != '#' && sscanf(line, "%llu %llu", &us, &c) == 2 && c) {
            hist_add(h, us, period_us, c);
            seen += c;
        } else if (sscanf(line, "# Histogram Overflows: %llu", &c) == 1 && c) {
            hist_add(h, HIST_US, period_us, c);
            seen += c;
        } else if (sscanf(line, "# Max Latencies: %llu", &c) == 1 && c > h->max_us) {
            h->max_us = c;
        }
    }
    int rc = pclose(p);
    if (rc != 0 || !seen)
        fprintf(stderr, "scan-bench: '%s' failed (status %d; apt-get install rt-tests)\n", cmd,
                rc);
    else
        h->ran = true;
}

static pid_t start_load(const struct opts *o)
{
    char cpu[16];
    snprintf(cpu, sizeof(cpu), "%d", o->cpu == 0 ? 1 : 0);
    pid_t pid = fork();
    if (pid == 0) {
        execlp("stress-ng", "stress-ng", "--cpu", "1", "--taskset", cpu, "--quiet", (char *)NULL);
        _exit(127);
    }
    /* let it spin up: a busy core is what we measure beside */
    struct timespec ts = {.tv_sec = 1};
    nanosleep(&ts, NULL);
    int status;
    if (pid < 0 || waitpid(pid, &status, WNOHANG) != 0) {
        fprintf(stderr, "scan-bench: stress-ng did not start (apt-get install stress-ng)\n");
        return -1;
    }
    return pid;
}

static void stop_load(pid_t pid)
{
    if (pid > 0) {
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    }
}

/* ---- the report --------------------------------------------------------- */

static double ratio(double a, double b)
{
    return b > 0 ? a / b : NAN;
}

static void row(const char *what, const struct hist *h, const char *note)
{
    if (!h->ran) {
        printf("| %s | (failed) | | | | | |\n", what);
        return;
    }
    printf("| %s | %.0f | %.0f | %" PRIu64 " | %" PRIu64 " | %" PRIu64 " | %s |\n", what,
           hist_quantile(h, 0.50), hist_quantile(h, 0.99), h->max_us, h->late_periods, h->total,
           note);
}

/* "1.05x (target <= 1.2x: holds)" */
static void against(const char *what, double r, double target)
{
    printf("%s %.2fx (target <= %.1fx: %s)", what, r, target,
           isnan(r) ? "no figure" : r <= target ? "holds" : "misses");
}

static void report(const struct opts *o, unsigned period_us, bool loaded, struct hist *h,
                   const struct hist *to_program)
{
    printf("### period %u us, %s\n\n", period_us, loaded ? "other core loaded" : "idle");
    printf("| loop | p50 | p99 | max | late >= 1 period | wake-ups | notes |\n");
    printf("|---|---|---|---|---|---|---|\n");
    row(loop_name[ENGINE], &h[ENGINE], "as plc-logic runs it");
    row(loop_name[ENGINE_NO_QOS], &h[ENGINE_NO_QOS], "the same without the request");
    row(loop_name[CYCLICTEST], &h[CYCLICTEST], "same policy, CPU and load");
    if (o->naive) {
        char note[96];
        snprintf(note, sizeof(note), "relative nanosleep; %.1f ms behind the grid in %d s",
                 h[NAIVE].drift_ms, o->slices * o->slice_s);
        row(loop_name[NAIVE], &h[NAIVE], note);
    }
    printf("\nengine, from its wake-up to the program's first instruction: p50 %.0f us, "
           "p99 %.0f us, max %" PRIu64 " us\n\n",
           hist_quantile(to_program, 0.50), hist_quantile(to_program, 0.99), to_program->max_us);
    const struct hist *e = &h[ENGINE], *c = &h[CYCLICTEST], *n = &h[ENGINE_NO_QOS];
    printf("engine / cyclictest:");
    against(" p50", ratio(hist_quantile(e, 0.5), hist_quantile(c, 0.5)), 1.2);
    against(", p99", ratio(hist_quantile(e, 0.99), hist_quantile(c, 0.99)), 1.2);
    /* a count of 0 beside 0 is a tie */
    double lr = e->late_periods == c->late_periods ? 1.0
                                                   : ratio((double)e->late_periods,
                                                           (double)c->late_periods);
    against(", late >= 1 period", lr, 1.5);
    printf("\nwithout the request / cyclictest: p50 %.2fx, p99 %.2fx\n\n",
           ratio(hist_quantile(n, 0.5), hist_quantile(c, 0.5)),
           ratio(hist_quantile(n, 0.99), hist_quantile(c, 0.99)));
    fflush(stdout);
}

static void run_case(const struct opts *o, const struct plc_layout *l, const char *base,
                     unsigned period_us, bool loaded)
{
    struct hist *h = calloc(LOOPS + 1, sizeof(*h)), *to_program = &h[LOOPS];
    if (!h) {
        perror("scan-bench");
        exit(1);
    }
    pid_t load = loaded ? start_load(o) : 0;
    int nloops = o->naive ? LOOPS : NAIVE;
    for (int round = 0; round < o->slices; round++) {
        fprintf(stderr, "scan-bench: period %u us, %s, round %d of %d\n", period_us,
                loaded ? "loaded" : "idle", round + 1, o->slices);
        for (int k = 0; k < nloops; k++) {
            enum loop which = (enum loop)((round + k) % nloops);
            if (which == ENGINE || which == ENGINE_NO_QOS)
                run_engine(o, l, base, period_us, which == ENGINE, &h[which], to_program);
            else if (which == CYCLICTEST)
                run_cyclictest(o, period_us, &h[which]);
            else
                run_naive(o, l, base, period_us, &h[which]);
        }
    }
    stop_load(load);
    report(o, period_us, loaded, h, to_program);
    free(h);
}

static void *open_program(const char *path)
{
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    probe.real = dl ? dlsym(dl, PLC_PROGRAM_SYMBOL) : NULL;
    if (!probe.real)
        fprintf(stderr, "scan-bench: %s: %s\n", path, dlerror());
    return dl;
}

static int usage(void)
{
    fprintf(stderr, "usage: plc-scan-bench [--slices N] [--slice S] [--periods US,US] "
                    "[--priority P] [--cpu N|none] [--program F.so] [--no-load] [--naive]\n");
    return 2;
}

int main(int argc, char **argv)
{
    struct opts o = {.slices = 10, .slice_s = 6, .priority = 80, .cpu = 1,
                     .program = PLC_BINARY_DIR "/examples/motor.so",
                     .periods = {1000, 10000}, .nperiods = 2, .load = true};
    static const struct option lopts[] = {
        {"slices", required_argument, NULL, 'n'},  {"slice", required_argument, NULL, 's'},
        {"priority", required_argument, NULL, 'p'}, {"cpu", required_argument, NULL, 'c'},
        {"program", required_argument, NULL, 'P'}, {"periods", required_argument, NULL, 'i'},
        {"no-load", no_argument, NULL, 'L'},       {"naive", no_argument, NULL, 'N'},
        {0}};
    int c;
    while ((c = getopt_long(argc, argv, "n:s:p:c:P:i:LN", lopts, NULL)) != -1) {
        switch (c) {
        case 'n': o.slices = atoi(optarg); break;
        case 's': o.slice_s = atoi(optarg); break;
        case 'p': o.priority = atoi(optarg); break;
        case 'c': o.cpu = strcmp(optarg, "none") == 0 ? -1 : atoi(optarg); break;
        case 'P': o.program = optarg; break;
        case 'i':
            o.nperiods = 0;
            for (char *t = strtok(optarg, ","); t && o.nperiods < 8; t = strtok(NULL, ","))
                o.periods[o.nperiods++] = (unsigned)atoi(t);
            break;
        case 'L': o.load = false; break;
        case 'N': o.naive = true; break;
        default: return usage();
        }
    }
    if (o.slices < 1 || o.slice_s < 1 || o.nperiods == 0 || optind != argc)
        return usage();
    if (o.cpu >= sysconf(_SC_NPROCESSORS_ONLN))
        o.cpu = -1;

    void *dl = open_program(o.program);
    struct plc_diag d;
    struct plc_layout *l = dl ? plc_layout_load(PLC_BENCH_LAYOUT, &d) : NULL;
    if (!l) {
        if (dl)
            fprintf(stderr, "scan-bench: %s:%u: %s\n", d.file, d.line, d.msg);
        return 1;
    }
    char base[] = "/dev/shm/plc-scan-bench-XXXXXX";
    if (!mkdtemp(base)) {
        perror("mkdtemp");
        return 1;
    }
    for (size_t i = 0; i < plc_layout_region_count(l); i++)
        if (plc_region_create(l, base, plc_layout_region_at(l, i), 0, &d) == PLC_CREATE_ERROR) {
            fprintf(stderr, "scan-bench: %s\n", d.msg);
            return 1;
        }

    double la[1] = {NAN};
    getloadavg(la, 1);
    printf("# plc-scan-bench, commit %s; command:", PLC_BENCH_COMMIT);
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n# plc-scan-bench: %d slices of %d s per loop and case, in turns; SCHED_%s %d, "
           "scan CPU %d; load = stress-ng --cpu 1 on the other CPU; program %s; load average "
           "%.2f at the start\n\n",
           o.slices, o.slice_s, o.priority > 0 ? "FIFO" : "OTHER", o.priority, o.cpu, o.program,
           la[0]);
    printf("Lateness in us, wake-up minus deadline. 'late >= 1 period': wake-ups a period or "
           "more late.\n\n");
    for (size_t pi = 0; pi < o.nperiods; pi++)
        for (int loaded = 0; loaded <= (o.load ? 1 : 0); loaded++)
            run_case(&o, l, base, o.periods[pi], loaded);

    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
    if (system(cmd) != 0)
        fprintf(stderr, "scan-bench: could not remove %s\n", base);
    plc_layout_free(l);
    dlclose(dl);
    return 0;
}
