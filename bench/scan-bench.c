/* SPDX-License-Identifier: MIT */
/*
 * plc-scan-bench: scan lateness of the plc_scan engine beside a naive loop
 * and cyclictest, at each period, idle and with the other core loaded.
 *
 *   plc-scan-bench [--duration S] [--priority P] [--cpu N] [--program F.so]
 *                  [--periods LIST_US] [--no-cyclictest] [--no-load]
 *
 * For each period and load, in one run and under the same policy, priority
 * and CPU: the engine running a real program (examples/motor.so on the demo
 * layout in a private base directory); a naive loop doing the same region
 * read and write and then a relative nanosleep of the period; and cyclictest
 * (rt-tests), the floor. Load is stress-ng --cpu 1 pinned to the other CPU.
 * Lateness is wake-up minus the deadline; for the naive loop, minus the time
 * its relative sleep asked for, and its drift is how far its cycles fell
 * behind the period grid. Prints figures and ratios; asserts nothing.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plc-scan.h"

struct opts {
    int duration;
    int priority;
    int cpu;
    const char *program;
    unsigned periods[8];
    size_t nperiods;
    bool cyclictest, load;
};

struct figures {
    bool ok;
    uint64_t cycles, overruns; /* overruns: engine's count, or wake-ups late by >= 1 period */
    double p50, p99, max;     /* us */
    double drift_ms;          /* naive loop only */
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void rt_self(const struct opts *o)
{
    if (o->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(o->cpu, &set);
        sched_setaffinity(0, sizeof(set), &set);
    }
    if (o->priority > 0) {
        struct sched_param sp = {.sched_priority = o->priority};
        if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0)
            fprintf(stderr, "scan-bench: SCHED_FIFO %d refused: %s (running SCHED_OTHER)\n",
                    o->priority, strerror(errno));
    }
}

static void rt_undo(void)
{
    struct sched_param sp = {0};
    sched_setscheduler(0, SCHED_OTHER, &sp);
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < CPU_SETSIZE; i++)
        CPU_SET(i, &set);
    sched_setaffinity(0, sizeof(set), &set);
}

static void quiet_log(void *user, int level, const char *msg)
{
    (void)user;
    if (level <= PLC_LOG_WARNING && !strstr(msg, "overrun"))
        fprintf(stderr, "scan-bench: plc-logic: %s\n", msg);
}

static struct figures run_engine(const struct opts *o, const struct plc_layout *l,
                                 const char *base, unsigned period_us)
{
    struct figures f = {0};
    struct plc_logic_def g = *plc_layout_get_logic(l);
    g.period_us = period_us;
    g.watchdog_us = period_us * 100;
    g.priority = o->priority;
    g.cpu = o->cpu;
    g.lock_memory = true;
    struct plc_scan_config cfg = {.layout = l, .base_dir = base, .program_path = o->program,
                                  .logic = &g, .log = quiet_log};
    struct plc_diag d;
    struct plc_scan *s = plc_scan_new(&cfg, &d);
    if (!s) {
        char msg[1200];
        plc_diag_format(&d, msg, sizeof(msg));
        fprintf(stderr, "scan-bench: engine: %s\n", msg);
        return f;
    }
    uint64_t end = now_ns() + (uint64_t)o->duration * 1000000000u;
    while (now_ns() < end)
        plc_scan_step(s);
    struct plc_scan_stats st;
    plc_scan_get_stats(s, &st);
    plc_scan_free(s);
    rt_undo();
    f.ok = true;
    f.cycles = st.cycles;
    f.overruns = st.overruns;
    f.p50 = st.late_p50 / 1000.0;
    f.p99 = st.late_p99 / 1000.0;
    f.max = st.late_max / 1000.0;
    return f;
}

static struct figures run_naive(const struct opts *o, const struct plc_layout *l,
                                const char *base, unsigned period_us)
{
    struct figures f = {0};
    struct plc_diag d;
    struct plc_region *in = plc_region_attach(l, base, "inputs", PLC_READER, NULL, &d);
    struct plc_region *out = plc_region_attach(l, base, "outputs", PLC_WRITER, "logic", &d);
    if (!in || !out) {
        fprintf(stderr, "scan-bench: naive: %s\n", d.msg);
        plc_region_detach(in);
        plc_region_detach(out);
        return f;
    }
    unsigned char ibuf[4096], obuf[4096] = {0};
    size_t max_n = (size_t)o->duration * 1000000u / period_us + 16;
    uint64_t *late = calloc(max_n, sizeof(*late));
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
        fprintf(stderr, "scan-bench: mlockall: %s\n", strerror(errno));
    rt_self(o);
    uint64_t period = (uint64_t)period_us * 1000u;
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)o->duration * 1000000000u;
    size_t n = 0;
    struct timespec rel = {.tv_sec = (time_t)(period / 1000000000u),
                           .tv_nsec = (long)(period % 1000000000u)};
    while (n < max_n) {
        plc_region_read(in, ibuf);
        obuf[0] ^= 1;
        plc_region_write(out, obuf);
        uint64_t asked = now_ns() + period;
        nanosleep(&rel, NULL);
        uint64_t woke = now_ns();
        late[n++] = woke > asked ? woke - asked : 0;
        if (woke >= end)
            break;
    }
    uint64_t elapsed = now_ns() - t0;
    rt_undo();
    munlockall();
    plc_region_detach(in);
    plc_region_detach(out);
    qsort(late, n, sizeof(*late), cmp_u64);
    f.ok = true;
    f.cycles = n;
    for (size_t i = 0; i < n; i++)
        f.overruns += late[i] >= period;
    f.p50 = late[n / 2] / 1000.0;
    f.p99 = late[(size_t)((double)n * 0.99)] / 1000.0;
    f.max = late[n - 1] / 1000.0;
    /* behind the grid: the time n cycles took beyond n periods */
    f.drift_ms = ((double)elapsed - (double)n * (double)period) / 1e6;
    free(late);
    return f;
}

static struct figures run_cyclictest(const struct opts *o, unsigned period_us)
{
    struct figures f = {0};
    char cmd[512];
    unsigned hist = period_us * 20 > 20000 ? period_us * 20 : 20000;
    snprintf(cmd, sizeof(cmd),
             "cyclictest -m -t1 -i%u -D%ds -p%d -h %u -q %s%d 2>/dev/null", period_us,
             o->duration, o->priority, hist, o->cpu >= 0 ? "-a " : "", o->cpu >= 0 ? o->cpu : 0);
    if (o->cpu < 0)
        snprintf(cmd, sizeof(cmd), "cyclictest -m -t1 -i%u -D%ds -p%d -h %u -q 2>/dev/null",
                 period_us, o->duration, o->priority, hist);
    FILE *p = popen(cmd, "r");
    if (!p)
        return f;
    uint64_t *count = calloc(hist + 1, sizeof(*count));
    uint64_t total = 0, overflows = 0, max = 0;
    char line[256];
    while (fgets(line, sizeof(line), p)) {
        unsigned long long us, c;
        if (sscanf(line, "%llu %llu", &us, &c) == 2 && line[0] != '#') {
            if (us <= hist)
                count[us] += c;
            total += c;
        } else if (sscanf(line, "# Histogram Overflows: %llu", &c) == 1) {
            overflows = c;
        } else if (sscanf(line, "# Max Latencies: %llu", &c) == 1) {
            max = c;
        }
    }
    int rc = pclose(p);
    if (rc != 0 || !total) {
        fprintf(stderr, "scan-bench: '%s' failed (status %d)\n", cmd, rc);
        free(count);
        return f;
    }
    total += overflows;
    uint64_t seen = 0;
    bool got50 = false, got99 = false;
    for (unsigned us = 0; us <= hist; us++) {
        seen += count[us];
        if (!got50 && seen * 2 >= total) {
            f.p50 = us;
            got50 = true;
        }
        if (!got99 && seen * 100 >= total * 99) {
            f.p99 = us;
            got99 = true;
        }
        if (us >= period_us)
            f.overruns += count[us];
    }
    f.overruns += overflows;
    f.max = (double)max;
    f.cycles = total;
    f.ok = true;
    free(count);
    return f;
}

static pid_t start_load(const struct opts *o)
{
    int other = o->cpu == 0 ? 1 : 0;
    char cpu[16];
    snprintf(cpu, sizeof(cpu), "%d", other);
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
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}

static void row(const char *what, const struct figures *f, const char *extra)
{
    if (!f->ok) {
        printf("| %-22s | (failed) | | | | | |\n", what);
        return;
    }
    printf("| %-22s | %8.0f | %8.0f | %9.0f | %8" PRIu64 " | %7" PRIu64 " | %s |\n", what, f->p50,
           f->p99, f->max, f->overruns, f->cycles, extra);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : NAN;
}

int main(int argc, char **argv)
{
    struct opts o = {.duration = 60, .priority = 80, .cpu = 1,
                     .program = PLC_BINARY_DIR "/examples/motor.so",
                     .periods = {1000, 10000}, .nperiods = 2, .cyclictest = true, .load = true};
    static const struct option lopts[] = {
        {"duration", required_argument, NULL, 'd'}, {"priority", required_argument, NULL, 'p'},
        {"cpu", required_argument, NULL, 'c'},      {"program", required_argument, NULL, 'P'},
        {"periods", required_argument, NULL, 'i'},  {"no-cyclictest", no_argument, NULL, 'C'},
        {"no-load", no_argument, NULL, 'L'},        {0}};
    int c;
    while ((c = getopt_long(argc, argv, "d:p:c:P:i:CL", lopts, NULL)) != -1) {
        switch (c) {
        case 'd': o.duration = atoi(optarg); break;
        case 'p': o.priority = atoi(optarg); break;
        case 'c': o.cpu = strcmp(optarg, "none") == 0 ? -1 : atoi(optarg); break;
        case 'P': o.program = optarg; break;
        case 'i': {
            o.nperiods = 0;
            for (char *t = strtok(optarg, ","); t && o.nperiods < 8; t = strtok(NULL, ","))
                o.periods[o.nperiods++] = (unsigned)atoi(t);
            break;
        }
        case 'C': o.cyclictest = false; break;
        case 'L': o.load = false; break;
        default:
            fprintf(stderr, "usage: plc-scan-bench [--duration S] [--priority P] [--cpu N|none] "
                            "[--program F.so] [--periods US,US] [--no-cyclictest] [--no-load]\n");
            return 2;
        }
    }
    if (o.duration < 1 || o.nperiods == 0)
        return 2;
    if (o.cpu >= 0 && o.cpu >= sysconf(_SC_NPROCESSORS_ONLN))
        o.cpu = -1;

    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(PLC_BENCH_LAYOUT, &d);
    if (!l) {
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

    printf("# plc-scan-bench: %d s per case, SCHED_%s %d, scan CPU %d, load = stress-ng --cpu 1 "
           "on the other CPU, program %s\n\n",
           o.duration, o.priority > 0 ? "FIFO" : "OTHER", o.priority, o.cpu, o.program);
    printf("Lateness in us (wake-up minus deadline). 'late >= 1 period': the engine's overrun "
           "count; for the naive loop and cyclictest, wake-ups late by a period or more.\n\n");
    for (size_t pi = 0; pi < o.nperiods; pi++) {
        for (int loaded = 0; loaded <= (o.load ? 1 : 0); loaded++) {
            unsigned per = o.periods[pi];
            pid_t load = loaded ? start_load(&o) : 0;
            printf("### period %u us, %s\n\n", per, loaded ? "other core loaded" : "idle");
            printf("| loop | p50 | p99 | max | late >= 1 period | cycles | notes |\n");
            printf("|---|---|---|---|---|---|---|\n");
            fflush(stdout);
            struct figures e = run_engine(&o, l, base, per);
            struct figures n = run_naive(&o, l, base, per);
            struct figures ct = {0};
            if (o.cyclictest)
                ct = run_cyclictest(&o, per);
            stop_load(load);
            char note[160];
            row("plc_scan engine", &e, "absolute deadlines, motor.so");
            snprintf(note, sizeof(note), "relative nanosleep; %.1f ms behind the grid after %d s",
                     n.drift_ms, o.duration);
            row("naive loop", &n, note);
            if (o.cyclictest)
                row("cyclictest (floor)", &ct, "same policy, CPU and load");
            printf("\nnaive / engine: p50 %.1fx, p99 %.1fx, max %.1fx",
                   ratio(n.p50, e.p50), ratio(n.p99, e.p99), ratio(n.max, e.max));
            if (o.cyclictest && ct.ok)
                printf("; engine / cyclictest: p50 %.2fx, p99 %.2fx", ratio(e.p50, ct.p50),
                       ratio(e.p99, ct.p99));
            printf("\n\n");
            fflush(stdout);
        }
    }
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
    if (system(cmd) != 0)
        fprintf(stderr, "scan-bench: could not remove %s\n", base);
    plc_layout_free(l);
    return 0;
}
