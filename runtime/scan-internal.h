/* SPDX-License-Identifier: MIT */
/* Shared between the files of the scan engine; not installed. */
#ifndef PLC_SCAN_INTERNAL_H
#define PLC_SCAN_INTERNAL_H

#include <limits.h>

#include "internal.h"
#include "plc-scan.h"

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
