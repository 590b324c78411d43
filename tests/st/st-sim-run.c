/* SPDX-License-Identifier: MIT */
/*
 * st-sim-run PROG.so [--program NAME] [--cycle T] [--scans N] [--set N=V]...
 * [--script F] [--watch N,...]: `plc-st sim` on an object already built, so
 * the runner's contract is tested without the compiler. Exit status: the
 * contract's.
 */
#include <stdio.h>

#include "sim.h"

int main(int argc, char **argv)
{
    struct plc_st_sim_args a;
    int rc = plc_st_sim_args_parse(&a, argc, argv, stderr);
    if (rc != 0)
        return rc;
    if (a.file_count != 1) {
        fprintf(stderr, "st-sim-run: give one program object\n");
        plc_st_sim_args_free(&a);
        return PLC_ST_SIM_USAGE;
    }
    rc = plc_st_sim_run(a.files[0], &a.options, stdout, stderr);
    plc_st_sim_args_free(&a);
    return rc;
}
