/* SPDX-License-Identifier: MIT */
/* Shared between the files of the scan engine; not installed. */
#ifndef PLC_SCAN_INTERNAL_H
#define PLC_SCAN_INTERNAL_H

#include <limits.h>

#include "internal.h"
#include "plc-scan.h"

/*
 * Lateness histogram (hist.c): 1 us buckets below 2 ms, 100 us buckets to
 * 102 ms, one bucket beyond. Fixed size, no allocation: safe in the scan loop.
 */
#define PLC_HIST_FINE_US 2000u
#define PLC_HIST_COARSE_US 100u
#define PLC_HIST_COARSE_N 1000u
#define PLC_HIST_N (PLC_HIST_FINE_US + PLC_HIST_COARSE_N + 1u)

struct plc_hist {
    uint64_t total;
    uint64_t max; /* ns, exact */
    uint32_t count[PLC_HIST_N];
};

void plc_hist_add(struct plc_hist *h, uint64_t ns);
/* The upper edge of the bucket holding the @p quantile (0..1), capped at the
 * largest value seen; 0 when empty. */
uint64_t plc_hist_quantile(const struct plc_hist *h, double p);

/* A program in use: a loaded shared object or a descriptor linked in (dl NULL). */
struct plc_loaded {
    void *dl;
    int fd; /* the memfd it was loaded from, while dl is set */
    const struct plc_program *desc;
    char path[PATH_MAX];
};

/* Check ABI and layout; -1 with errno (EINVAL, PLC_ELAYOUT) and diag naming @where. */
int plc_program_check(const struct plc_program *p, const struct plc_layout *l, const char *where,
                      struct plc_diag *diag);
/* Load and check the program at @path. */
int plc_program_open(struct plc_loaded *out, const char *path, const struct plc_layout *l,
                     struct plc_diag *diag);
void plc_program_close(struct plc_loaded *p);

#endif
