/* SPDX-License-Identifier: MIT */
/* region-bench: what its three files share (see region-bench.c). */
#ifndef BENCH_REGION_BENCH_H
#define BENCH_REGION_BENCH_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench-stats.h"
#include "plc.h"

#define MAX_LIST 16
#define MAX_READERS 4000
#define WRITER_CPU 0
#define READER_CPU 1

/*
 * What a reader copies: the library's read, the bare seqlock's, a plain memcpy
 * of the library's region; the bare seqlock with the relaxed-atomic copy (its
 * own file) and a plain relaxed copy of the library's region.
 */
enum { K_LIB, K_BARE, K_RAW, K_BARE_RLX, K_RAW_RLX, K_N };
/* What the writer writes each period: the library's region, the two bare seqlocks. */
enum { W_LIB, W_BARE, W_BARE_RLX, W_N };

/*
 * Phases of a configuration: paced writes (timed); back-to-back writes of both
 * (torn-read check under stress); back-to-back writes of the library's region
 * while readers only memcpy it (the negative control at full strength).
 */
enum { PH_PACED, PH_HAMMER, PH_RAW, N_PHASES };

struct opts {
    size_t sizes[MAX_LIST];
    unsigned nsizes;
    unsigned readers[MAX_LIST];
    unsigned nreaders;
    unsigned writes;    /* recorded periods per configuration */
    unsigned warmup;    /* periods before recording */
    unsigned samples;   /* timed read batches per kind per configuration, all readers */
    unsigned regions;   /* for the many-regions mode */
    unsigned batch;     /* reads per timed batch; 0 = by size */
    unsigned hammer_ms; /* unpaced writes after the paced ones, for the torn-read check */
    size_t multi_size;
    int fifo; /* writer priority under SCHED_FIFO; 0 = SCHED_OTHER */
    uint64_t period_ns;
    bool matrix, multi;
};

/* One layout's regions in a private base directory, plus a bare seqlock each. */
struct bench_set {
    struct plc_layout *layout;
    const char *base;
    unsigned nreg;
    char (*names)[PLC_NAME_MAX + 1];
    size_t size;
    double load_ms, create_ms;
};

struct result {
    unsigned readers, nattach;
    bool all_per_period;
    double w_attach_ms, r_attach_ms, ready_ms;
    struct pct w[W_N];  /* ns per write call */
    struct pct wd[W_N]; /* the same calls until their stores were globally visible */
    struct pct late;    /* wake-up lateness, ns */
    uint64_t overruns;
    unsigned batch;
    struct pct r[K_N]; /* ns per read */
    uint64_t checked[N_PHASES][K_N], torn[N_PHASES][K_N];
    uint64_t lib_retries, bare_retries, rlx_retries, hammer_writes, raw_writes;
    uint64_t busy[N_PHASES];
};

static inline void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static inline void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "region-bench: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

/* Set by SIGINT, SIGTERM, SIGHUP and SIGPIPE: the run stops and cleans up. */
extern volatile sig_atomic_t bench_stop;

/* region-run.c: the files of one layout, and one configuration run */

/**
 * Load a layout of @nreg regions of @size bytes (size/4 uint32 tags each),
 * create its regions under @base with plc_region_create() and two bare seqlock
 * files beside each (memcpy, relaxed copy). Dies on failure.
 */
void set_open(struct bench_set *s, const char *base, const char *name, unsigned nreg, size_t size);
void set_close(struct bench_set *s);

/**
 * Run one configuration: attach @nattach regions as writer here, fork
 * @nreaders readers that attach them too, write every period (one region in
 * turn, or all of them when @all_per_period), then hammer, and collect.
 * @return 0, or -1 when a reader or the run broke (said on stderr).
 */
int run_config(const struct opts *o, const struct bench_set *s, unsigned nattach, unsigned nreaders,
               bool all_per_period, struct result *res);

/* region-report.c: the tables */

void size_name(size_t size, char *buf, size_t len);
/** Torn reads through any of the three seqlocks, all phases: must be 0. */
uint64_t protocol_torn(const struct result *r);
void print_matrix(const struct opts *o, struct result (*res)[MAX_LIST]);
void print_multi(const struct opts *o, const struct bench_set *s, const struct result res[3],
                 const char *const what[3]);

#endif
