/* SPDX-License-Identifier: MIT */
/*
 * st-scan-bench: what one scan of a program compiled by plc-st costs, beside
 * the same logic written in C, in the same run (bench/README-st.md).
 *
 *   st-scan-bench [--rounds N] [--batch-ns NS] [--cpu N] [--only NAME]
 *   st-scan-bench --program F.so [--rounds N]   one program: its state, its scan
 *   st-scan-bench --program F.so --vs C.so      F.so as the ST side of a pair with C.so
 *
 * Four pairs, each a C program and its ST twin, both loaded with dlopen as
 * plc-logic loads them: the motor and tank examples, a 1000-iteration
 * INT/DINT/REAL loop and 500 TONs (bench/st/). Each program gets its own
 * zeroed state and its own process image in memory (plain structs of the
 * layout's generated header, no shared memory: the engine's region copies
 * are the same for both and are not what is compared), its init, then
 * scan() called directly with a scan time that moves 1 ms a scan.
 *
 * A sample is a batch of scans (about --batch-ns long, the same count for
 * both twins) timed with one clock pair, divided by the count: the clock
 * pair (about 20 ns) would otherwise swamp a 20 ns scan. C and ST batches
 * alternate, the first turning each round, so the machine's noise falls on
 * both alike. Between rounds the inputs change (the same sequence for both).
 * At the end the twins' outputs (image, or the state the pair names) must
 * agree, which shows both did the same work. Prints, asserts no time.
 */
#include <dlfcn.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-commit.h"
#include "bench-stats.h"
#include "plc-iec.h"
#include "plc-image.h"
#include "plc-program.h"
#include "plc-st.h"

#define TARGET 1.1 /* the issue's: ST scan within 1.1x of C */
#define SCAN_NS 1000000u

/* One program loaded, with its own image and state. */
struct prog {
    void *dl;
    const struct plc_program *p;
    const struct plc_st_meta *meta; /* ST only */
    struct plc_img_inputs in;
    struct plc_img_outputs out;
    struct plc_img_commands cmd;
    struct plc_img_parameters par;
    struct plc_img_status status;
    struct plc_img_diagnostics diag;
    struct plc_img_alarms alarms;
    struct plc_image img;
    struct plc_ctx ctx;
    void *state;
};

/* A value both twins keep in their state: where the C twin has it, the
 * ST path, and its kind (DINT, INT or REAL). */
struct check {
    size_t c_offset;
    const char *st_path;
    enum plc_st_kind kind;
};

struct pair {
    const char *name, *what;
    void (*stimulus)(struct prog *, long round);
    struct check checks[3];
};

static void motor_stimulus(struct prog *g, long r)
{
    /* a start, feedback that follows or not (a trip), a stop, SCADA requests */
    g->in.start_button = r % 50 == 0;
    g->in.stop_button = r % 50 == 30;
    g->in.motor_feedback = r % 200 < 150;
    g->cmd.cmd_start = (uint16_t)(r / 70);
    g->cmd.cmd_stop = (uint16_t)(r / 90);
    g->par.fault_delay_ms = 5;
}

static void tank_stimulus(struct prog *g, long r)
{
    g->in.tank_level = (float)(r % 120); /* a sawtooth through every band */
    g->par.level_low = 20;
    g->par.level_high = 80;
    g->par.level_alarm = r % 1000 < 900 ? 95 : 10; /* now and then nonsense */
}

static void no_stimulus(struct prog *g, long r)
{
    (void)g, (void)r;
}

/* Offsets in the C twins' states (bench/st/loop.c, timers.c). */
struct loop_state {
    int32_t acc;
    int16_t k;
    float x;
};

static const struct pair pairs[] = {
    {"motor", "examples/motor.c, examples/st/motor.st", motor_stimulus, {{0}}},
    {"tank", "examples/tank.c, examples/st/tank.st", tank_stimulus, {{0}}},
    {"loop",
     "bench/st/loop.{c,st}: 1000 x INT, DINT, REAL",
     no_stimulus,
     {{offsetof(struct loop_state, acc), "acc", PLC_ST_DINT},
      {offsetof(struct loop_state, k), "k", PLC_ST_INT},
      {offsetof(struct loop_state, x), "x", PLC_ST_REAL}}},
    {"timers", "bench/st/timers.{c,st}: 500 TON", no_stimulus, {{0, "pulses", PLC_ST_DINT}}},
};

static int load(struct prog *g, const char *path)
{
    memset(g, 0, sizeof(*g));
    g->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    g->p = g->dl ? dlsym(g->dl, PLC_PROGRAM_SYMBOL) : NULL;
    if (!g->p) {
        fprintf(stderr, "st-scan-bench: %s: %s\n", path, dlerror());
        return -1;
    }
    g->meta = dlsym(g->dl, PLC_ST_META_SYMBOL);
    g->img =
        (struct plc_image){&g->in, &g->out, &g->cmd, &g->par, &g->status, &g->diag, &g->alarms};
    /* 64-byte aligned, as plc-logic's mmap'd state is at least */
    size_t size = (g->p->state_size + 63) / 64 * 64;
    g->state = aligned_alloc(64, size ? size : 64);
    if (!g->state)
        return -1;
    memset(g->state, 0, size ? size : 64);
    g->ctx = (struct plc_ctx){.abi = PLC_PROGRAM_ABI,
                              .region_count = PLC_REGION_COUNT,
                              .image = &g->img,
                              .state = g->state,
                              .first_scan = true};
    if (g->p->init && g->p->init(&g->ctx) != 0) {
        fprintf(stderr, "st-scan-bench: %s: init failed: %s\n", path,
                g->ctx.fault ? g->ctx.fault : "?");
        return -1;
    }
    return 0;
}

static void unload(struct prog *g)
{
    free(g->state);
    if (g->dl)
        dlclose(g->dl);
}

/* @n scans; the clock pair around them is the caller's. */
static int run(struct prog *g, long n)
{
    int (*scan)(struct plc_ctx *) = g->p->scan;
    struct plc_ctx *c = &g->ctx;
    for (long i = 0; i < n; i++) {
        if (scan(c) != 0)
            return -1;
        c->now_ns += SCAN_NS;
        c->dt_ns = SCAN_NS;
        c->scan_count++;
        c->first_scan = false;
    }
    return 0;
}

static const void *st_var(const struct prog *g, const char *path)
{
    for (uint32_t i = 0; g->meta && i < g->meta->var_count; i++)
        if (!strcmp(g->meta->vars[i].path, path))
            return (const char *)g->state + g->meta->vars[i].offset;
    return NULL;
}

/* Do the twins agree? Image regions the programs write, and the checks. */
static bool same_results(const struct pair *pr, const struct prog *c, const struct prog *s)
{
    bool same = !memcmp(&c->out, &s->out, sizeof(c->out)) &&
                !memcmp(&c->status, &s->status, sizeof(c->status));
    for (size_t i = 0; i < sizeof(pr->checks) / sizeof(pr->checks[0]) && pr->checks[i].st_path;
         i++) {
        const struct check *k = &pr->checks[i];
        const void *sv = st_var(s, k->st_path), *cv = (const char *)c->state + k->c_offset;
        size_t n = k->kind == PLC_ST_INT ? 2 : 4;
        same = same && sv && !memcmp(sv, cv, n);
    }
    return same;
}

static void row(const char *what, struct pct p)
{
    printf("  %-4s %10.1f %10.1f %10.1f %10.1f\n", what, p.p50, p.p95, p.p99, p.max);
}

/* Scans in a sample of about @batch_ns, from @per ns a scan. */
static long batch_of(double batch_ns, double per)
{
    long batch = per > 0 ? (long)ceil(batch_ns / per) : 1;
    return batch < 1 ? 1 : batch;
}

static int bench_pair(const struct pair *pr, const char *c_path, const char *st_path, long rounds,
                      double batch_ns)
{
    struct prog g[2]; /* 0: C, 1: ST */
    if (load(&g[0], c_path) || load(&g[1], st_path))
        return -1;
    /* warm-up, and the batch size from the C twin's speed */
    uint64_t t0 = now_ns();
    if (run(&g[0], 2000) || run(&g[1], 2000))
        return -1;
    long batch = batch_of(batch_ns, (double)(now_ns() - t0) / 4000.0);
    double *v[2] = {calloc((size_t)rounds, sizeof(double)), calloc((size_t)rounds, sizeof(double))};
    if (!v[0] || !v[1])
        return -1;
    for (long r = 0; r < rounds; r++) {
        for (int k = 0; k < 2; k++) {
            struct prog *x = &g[(k + r) & 1];
            pr->stimulus(x, r);
            uint64_t a = now_ns();
            if (run(x, batch)) {
                fprintf(stderr, "st-scan-bench: %s (%s) faulted: %s\n", pr->name,
                        x == &g[0] ? "C" : "ST", x->ctx.fault ? x->ctx.fault : "?");
                return -1;
            }
            v[x == &g[1]][r] = (double)(now_ns() - a) / (double)batch;
        }
    }
    struct pct c = pct_of(v[0], (size_t)rounds), s = pct_of(v[1], (size_t)rounds);
    bool same = same_results(pr, &g[0], &g[1]);
    printf("%s (%s)\n  state: C %zu bytes, ST %zu bytes; %ld scans per sample, %ld samples each;"
           " same results: %s\n",
           pr->name, pr->what, g[0].p->state_size, g[1].p->state_size, batch, rounds,
           same ? "yes" : "NO");
    printf("  %-4s %10s %10s %10s %10s   (ns per scan)\n", "", "p50", "p95", "p99", "max");
    row("C", c);
    row("ST", s);
    printf("  ST/C %9.2fx %9.2fx %9.2fx   target %.1fx at p50: %s\n\n", s.p50 / c.p50,
           s.p95 / c.p95, s.p99 / c.p99, TARGET, s.p50 <= TARGET * c.p50 ? "ok" : "MISS");
    free(v[0]);
    free(v[1]);
    unload(&g[0]);
    unload(&g[1]);
    return 0;
}

/* --program: one program's state and scan time, on its own (no twin). */
static int bench_one(const char *path, long rounds, double batch_ns)
{
    struct prog g;
    uint64_t t0 = now_ns();
    if (load(&g, path))
        return -1;
    uint64_t t1 = now_ns();
    if (run(&g, 10))
        return -1;
    long batch = batch_of(batch_ns, (double)(now_ns() - t1) / 10.0);
    double *v = calloc((size_t)rounds, sizeof(double));
    if (!v)
        return -1;
    for (long r = 0; r < rounds; r++) {
        uint64_t a = now_ns();
        if (run(&g, batch))
            return -1;
        v[r] = (double)(now_ns() - a) / (double)batch;
    }
    struct pct p = pct_of(v, (size_t)rounds);
    printf("%s: state %zu bytes, %u variables in plc_st_meta; dlopen and init %.0f us;"
           " %ld scans per sample, %ld samples\n",
           g.p->name, g.p->state_size, g.meta ? g.meta->var_count : 0, (double)(t1 - t0) / 1000.0,
           batch, rounds);
    printf("  %-4s %10s %10s %10s %10s   (ns per scan)\n", "", "p50", "p95", "p99", "max");
    row("scan", p);
    free(v);
    unload(&g);
    return 0;
}

int main(int argc, char **argv)
{
    long rounds = 20000;
    double batch_ns = 20000;
    int cpu = -1, c;
    const char *only = NULL, *program = NULL, *vs = NULL;
    static const struct option opts[] = {{"rounds", required_argument, NULL, 'r'},
                                         {"batch-ns", required_argument, NULL, 'b'},
                                         {"cpu", required_argument, NULL, 'c'},
                                         {"only", required_argument, NULL, 'o'},
                                         {"program", required_argument, NULL, 'p'},
                                         {"vs", required_argument, NULL, 'v'},
                                         {0}};
    while ((c = getopt_long(argc, argv, "r:b:c:o:p:v:", opts, NULL)) != -1) {
        if (c == 'r')
            rounds = atol(optarg);
        else if (c == 'b')
            batch_ns = atof(optarg);
        else if (c == 'c')
            cpu = atoi(optarg);
        else if (c == 'o')
            only = optarg;
        else if (c == 'p')
            program = optarg;
        else if (c == 'v')
            vs = optarg;
        else {
            fprintf(stderr,
                    "usage: %s [--rounds N] [--batch-ns NS] [--cpu N]\n"
                    "       [--only NAME | --program F.so [--vs C.so]]\n",
                    argv[0]);
            return 2;
        }
    }
    if (rounds < 1 || batch_ns < 0 || (cpu >= 0 && pin_to_cpu(cpu) < 0)) {
        fprintf(stderr, "st-scan-bench: bad --rounds or --batch-ns, or cannot pin to CPU %d\n",
                cpu);
        return 2;
    }
    /* The programs call libplc (plc_ton) without a run path, as under
     * plc-logic: taking an address keeps libplc among this program's needs. */
    void *volatile keep = (void *)plc_ton;
    (void)keep;
    if (program && !vs)
        return bench_one(program, rounds, batch_ns) ? 1 : 0;
    char kernel[128] = "?";
    read_first_line("/proc/sys/kernel/osrelease", kernel, sizeof(kernel));
    printf("st-scan-bench, commit %s, kernel %s\ncommand:", PLC_BENCH_COMMIT, kernel);
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\nC twins and ST programs both built with %s -O2; scan time +1 ms a scan%s\n\n",
           PLC_BENCH_CC, cpu >= 0 ? "; pinned" : "");
    if (vs) {
        const struct pair any = {"--vs", "C.so, ST.so as given", no_stimulus, {{0}}};
        return bench_pair(&any, vs, program, rounds, batch_ns) ? 1 : 0;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        char c_path[4096], st_path[4096];
        snprintf(c_path, sizeof(c_path), "%s/st-bench-%s-c.so", PLC_BENCH_DIR, pairs[i].name);
        snprintf(st_path, sizeof(st_path), "%s/st-bench-%s-st.so", PLC_BENCH_DIR, pairs[i].name);
        if (!only || !strcmp(only, pairs[i].name))
            if (bench_pair(&pairs[i], c_path, st_path, rounds, batch_ns) != 0)
                rc = 1;
    }
    return rc;
}
