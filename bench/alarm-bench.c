/* SPDX-License-Identifier: MIT */
/*
 * alarm-bench: what evaluating the alarms costs per alarm per scan
 * (bench/README-alarms.md). 250 float32 tags with four limits each, 1000
 * alarms, evaluated against a snapshot that changes every scan so alarms
 * rise and clear; beside the floor of reading the same 1000 values, through
 * the same callback and straight from an array. Prints, asserts nothing.
 *
 *   alarm-bench [--scans N] [--cpu N]
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-commit.h"
#include "bench-stats.h"
#include "plc-alarm.h"

#define NTAGS 250

struct snap {
    const struct plc_tag_def *first;
    double v[NTAGS];
};

static double value_of(void *user, const struct plc_tag_def *tag)
{
    struct snap *s = user;
    return s->v[tag - s->first];
}

static long transitions;

static void count(void *user, size_t alarm, enum plc_alarm_state from, enum plc_alarm_state to,
                  double value, int64_t now)
{
    (void)user, (void)alarm, (void)from, (void)to, (void)value, (void)now;
    transitions++;
}

static struct plc_layout *make_layout(void)
{
    size_t cap = NTAGS * 160 + 128, len = 0;
    char *text = malloc(cap);
    struct plc_diag d;
    if (!text)
        return NULL;
    len += (size_t)snprintf(text + len, cap - len,
                            "[layout]\nname = bench\nversion = 1\n[region inputs]\nwriter = io\n"
                            "[region alarms]\nwriter = logic\n");
    for (int i = 0; i < NTAGS; i++)
        len += (size_t)snprintf(text + len, cap - len,
                                "[tag t%d]\nregion = inputs\ntype = float32\nalarm_hh = 95\n"
                                "alarm_h = 80\nalarm_l = 20\nalarm_ll = 5\nalarm_deadband = 1\n",
                                i);
    struct plc_layout *l = plc_layout_load_string(text, "alarm-bench.ini", &d);
    if (!l)
        fprintf(stderr, "alarm-bench: %s:%u: %s\n", d.file, d.line, d.msg);
    free(text);
    return l;
}

static void print_row(const char *what, double *v, size_t n, size_t per)
{
    for (size_t i = 0; i < n; i++)
        v[i] /= (double)per;
    struct pct p = pct_of(v, n);
    printf("%-40s %8.2f %8.2f %8.2f %8.2f\n", what, p.p50, p.p95, p.p99, p.max);
}

int main(int argc, char **argv)
{
    long scans = 20000;
    int cpu = -1, c;
    static const struct option opts[] = {
        {"scans", required_argument, NULL, 'n'}, {"cpu", required_argument, NULL, 'c'}, {0}};
    while ((c = getopt_long(argc, argv, "n:c:", opts, NULL)) != -1) {
        if (c == 'n')
            scans = atol(optarg);
        else if (c == 'c')
            cpu = atoi(optarg);
        else {
            fprintf(stderr, "usage: %s [--scans N] [--cpu N]\n", argv[0]);
            return 2;
        }
    }
    if (scans < 1 || (cpu >= 0 && pin_to_cpu(cpu) < 0)) {
        fprintf(stderr, "alarm-bench: bad --scans, or cannot pin to CPU %d\n", cpu);
        return 2;
    }
    struct plc_layout *l = make_layout();
    struct plc_alarm_set *set = l ? plc_alarm_set_new(l) : NULL;
    double *eval = calloc((size_t)scans, sizeof(double));
    double *via_cb = calloc((size_t)scans, sizeof(double));
    double *array = calloc((size_t)scans, sizeof(double));
    if (!set || !eval || !via_cb || !array)
        return 1;
    size_t nalarms = plc_alarm_set_count(set);
    const struct plc_alarm_def *def = plc_layout_alarm_at(l, 0);
    struct snap s = {.first = plc_layout_tag_at(l, 0)};
    char kernel[128] = "?";
    read_first_line("/proc/sys/kernel/osrelease", kernel, sizeof(kernel));

    printf("alarm-bench, commit %s, kernel %s\ncommand:", PLC_BENCH_COMMIT, kernel);
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n%zu alarms (%d float32 tags x 4 limits, deadband 1), %ld scans%s\n\n", nalarms, NTAGS,
           scans, cpu >= 0 ? ", pinned" : "");

    int64_t now = 0;
    double sink = 0;
    /* called as the set calls it: through a pointer, not inlined */
    plc_alarm_value_fn *volatile read_value = value_of;
    for (long k = 0; k < scans; k++) {
        /* a slow wave per tag, so every scan some limits are crossed */
        for (int i = 0; i < NTAGS; i++)
            s.v[i] = 50 + 52 * sin(0.01 * (double)k + 0.37 * i);
        now += 10000000;

        uint64_t t0 = now_ns();
        plc_alarm_set_evaluate(set, value_of, &s, now, count, NULL);
        uint64_t t1 = now_ns();
        double acc = 0; /* the floor: the values every evaluation must read */
        for (size_t i = 0; i < nalarms; i++)
            acc += read_value(&s, def[i].tag);
        uint64_t t2 = now_ns();
        for (size_t i = 0; i < nalarms; i++)
            acc += s.v[i % NTAGS];
        uint64_t t3 = now_ns();
        sink += acc;
        CLOBBER(&sink);
        eval[k] = (double)(t1 - t0);
        via_cb[k] = (double)(t2 - t1);
        array[k] = (double)(t3 - t2);
        if (k % 1000 == 999)
            plc_alarm_set_ack_all(set, now); /* an operator now and then */
    }

    printf("%-40s %8s %8s %8s %8s\n", "ns per alarm per scan", "p50", "p95", "p99", "max");
    print_row("evaluate (1000 alarms)", eval, (size_t)scans, nalarms);
    print_row("floor: 1000 values through value_of", via_cb, (size_t)scans, nalarms);
    print_row("floor: 1000 doubles from an array", array, (size_t)scans, nalarms);
    printf("\n%.2f transitions per scan on average\n", (double)transitions / (double)scans);

    free(eval);
    free(via_cb);
    free(array);
    plc_alarm_set_free(set);
    plc_layout_free(l);
    return 0;
}
