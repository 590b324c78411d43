/* SPDX-License-Identifier: MIT */
/*
 * `plc-st sim`: run a program object built by plc-st offline, on a simulated
 * clock, and speak the JSON contract of docs/st.md (issue 21, "The tool"):
 * one JSON object per scan on the output, {"scan":n,"now_ns":t,"vars":{...}}.
 *
 * The process must have libplc loaded (link it, as this library does):
 * program objects link libplc without a run path, as plc-logic loads them.
 */
#ifndef PLC_ST_SIM_H
#define PLC_ST_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The exit statuses of the contract. */
enum plc_st_sim_status {
    PLC_ST_SIM_OK = 0,
    PLC_ST_SIM_EXPECT_FAILED = 1, /* an expectation failed; every scan still ran */
    PLC_ST_SIM_USAGE = 2,         /* usage: unknown name, bad value, bad script line, ... */
    PLC_ST_SIM_FAULT = 3,         /* the program faulted; the scans before it were printed */
};

/* The default cycle when neither --cycle nor the program's TASK gives one. */
#define PLC_ST_SIM_DEFAULT_CYCLE_NS INT64_C(20000000)

struct plc_st_sim_options {
    /*
     * The program instance whose variables print and answer to plain names,
     * matched case-insensitively against plc_st_var.program; NULL: the only
     * instance there is (several: a usage error listing them). Variables of
     * any instance also answer to "instance.path".
     */
    const char *program;
    int64_t cycle_ns;        /* < 0: the program's interval_ns, else 20 ms */
    int64_t scans;           /* < 0: not given (the script's lines, else 1 scan) */
    const char *const *sets; /* "NAME=VALUE", applied after init, before scan 0 */
    size_t set_count;
    const char *script;       /* JSONL file, one scan a line, or NULL */
    const char *const *watch; /* names to print, in this order; none: the SHOW variables */
    size_t watch_count;
};

/*
 * Run the program object @so_path: JSON lines on @out, messages on @err.
 * Returns an enum plc_st_sim_status.
 */
int plc_st_sim_run(const char *so_path, const struct plc_st_sim_options *o, FILE *out, FILE *err);

/* The command line of `plc-st sim`, parsed: the options and the FILE operands. */
struct plc_st_sim_args {
    struct plc_st_sim_options options;
    const char **files;
    size_t file_count;
    /* owned: the arrays above and the split --watch names */
    const char **sets_buf;
    char **watch_buf;
};

/*
 * Parse argv[1..argc-1] (argv[0] is the verb, "sim"): FILE... and the options
 * of the contract, "--opt VALUE" or "--opt=VALUE"; --watch takes commas
 * (not those inside [ ], "m[1,2]") and may repeat, as --set does. Returns 0,
 * or PLC_ST_SIM_USAGE having said why on @err. Free with plc_st_sim_args_free().
 */
int plc_st_sim_args_parse(struct plc_st_sim_args *a, int argc, char *const argv[], FILE *err);
void plc_st_sim_args_free(struct plc_st_sim_args *a);

/* The usage line of `plc-st sim`. */
#define PLC_ST_SIM_USAGE_TEXT                                                                      \
    "usage: plc-st sim FILE... [--program NAME] [--cycle 20ms] [--scans N] "                       \
    "[--set NAME=VALUE]... [--script FILE.jsonl] [--watch NAME,...]"

#endif
