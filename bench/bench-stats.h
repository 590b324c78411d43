/* SPDX-License-Identifier: MIT */
/* Clock, pinning and percentiles for the benchmark programs in bench/. */
#ifndef BENCH_STATS_H
#define BENCH_STATS_H

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void sleep_until_ns(uint64_t t)
{
    struct timespec ts = {.tv_sec = (time_t)(t / 1000000000u), .tv_nsec = (long)(t % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static inline int pin_to_cpu(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set);
}

/* The first line of @path into @buf, without its newline; @buf is left as it was
 * when the file cannot be read (the headers print "?" then). */
static inline void read_first_line(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "re");
    if (!f)
        return;
    if (fgets(buf, (int)size, f))
        buf[strcspn(buf, "\n")] = '\0';
    fclose(f);
}

/* Keeps the compiler from dropping or merging copies into @p. */
#define CLOBBER(p) __asm__ __volatile__("" : : "r"(p) : "memory")

struct pct {
    size_t n;
    double p50, p95, p99, max;
};

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentiles; sorts @v in place. */
static inline struct pct pct_of(double *v, size_t n)
{
    struct pct p = {.n = n};
    if (!n)
        return p;
    qsort(v, n, sizeof(*v), cmp_double);
    size_t i50 = (n * 50 + 99) / 100, i95 = (n * 95 + 99) / 100, i99 = (n * 99 + 99) / 100;
    p.p50 = v[i50 ? i50 - 1 : 0];
    p.p95 = v[i95 ? i95 - 1 : 0];
    p.p99 = v[i99 ? i99 - 1 : 0];
    p.max = v[n - 1];
    return p;
}

#endif
