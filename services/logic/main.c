/* SPDX-License-Identifier: MIT */
/*
 * plc-logic: run a PLC program in a fixed scan cycle over the process image.
 *
 * Settings come from the layout's [logic] section; flags override them.
 * SIGHUP reloads the program (outputs held safe during the swap), SIGTERM and
 * SIGINT stop it (outputs to their safe values). Its event ring gets
 * service-start and service-stop from here, the rest from the engine.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "events.h"
#include "plc-scan.h"
#include "sd-watchdog.h"
#include "report.h"

struct config {
    const char *layout;
    const char *base_dir;
    const char *program;
    const char *period, *watchdog, *priority, *cpu, *cpu_dma_latency;
    int lock_memory; /* -1 as the layout says */
    bool journal;    /* stderr goes to the journal: prefix levels */
};

static volatile sig_atomic_t stop_flag, reload_flag;

static void on_stop(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    reload_flag = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: plc-logic [--layout FILE] [--base-dir DIR] [--program FILE.so]\n"
            "                 [--period DUR] [--watchdog DUR] [--priority N] [--cpu N|none]\n"
            "                 [--lock-memory | --no-lock-memory]\n"
            "                 [--cpu-dma-latency DUR|none] [LAYOUT]\n"
            "Run the PLC program FILE.so (default $RASPIPLC_PROGRAM or\n"
            "%s) every period over the regions of the layout under DIR\n"
            "(default $RASPIPLC_BASE_DIR, the layout's base_dir, or %s).\n"
            "%s"
            "Flags override the layout's [logic] section; with no period in either, a\n"
            "Structured Text program's task INTERVAL is the period. DUR is 10ms, 500us or 1s;\n"
            "priority 1..99 asks for SCHED_FIFO, 0 for SCHED_OTHER; --cpu-dma-latency\n"
            "holds that bound on idle CPUs' wake-up (/dev/cpu_dma_latency) while it runs.\n"
            "Signals: SIGHUP reloads FILE.so, SIGTERM/SIGINT stop (outputs go safe).\n",
            PLC_PROGRAM_PATH_DEFAULT, PLC_BASE_DIR_DEFAULT, PLC_LAYOUT_HELP);
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option opts[] = {
        {"layout", required_argument, NULL, 'l'},
        {"base-dir", required_argument, NULL, 'b'},
        {"program", required_argument, NULL, 'p'},
        {"period", required_argument, NULL, 'P'},
        {"watchdog", required_argument, NULL, 'W'},
        {"priority", required_argument, NULL, 'r'},
        {"cpu", required_argument, NULL, 'c'},
        {"lock-memory", no_argument, NULL, 'm'},
        {"no-lock-memory", no_argument, NULL, 'M'},
        {"cpu-dma-latency", required_argument, NULL, 'D'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *layout = NULL;
    struct plc_diag diag;
    int c;
    cfg->lock_memory = -1;
    while ((c = getopt_long(argc, argv, "l:b:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': layout = optarg; break;
        case 'b': cfg->base_dir = optarg; break;
        case 'p': cfg->program = optarg; break;
        case 'P': cfg->period = optarg; break;
        case 'W': cfg->watchdog = optarg; break;
        case 'r': cfg->priority = optarg; break;
        case 'c': cfg->cpu = optarg; break;
        case 'm': cfg->lock_memory = 1; break;
        case 'M': cfg->lock_memory = 0; break;
        case 'D': cfg->cpu_dma_latency = optarg; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "plc-logic: unexpected argument '%s'\n", argv[optind + 1]);
        usage(stderr);
        return -1;
    }
    cfg->layout = plc_layout_path_choose(layout, optind < argc ? argv[optind] : NULL, &diag);
    if (!cfg->layout) {
        fprintf(stderr, "plc-logic: %s\n", diag.msg);
        return -1;
    }
    if (!cfg->program)
        cfg->program = getenv("RASPIPLC_PROGRAM");
    if (!cfg->program)
        cfg->program = PLC_PROGRAM_PATH_DEFAULT;
    cfg->journal = getenv("JOURNAL_STREAM") != NULL;
    return 0;
}

/* A duration flag within [min, max] into @out, or a line naming it and -1. */
static int parse_duration(const char *flag, const char *s, uint32_t min, uint32_t max,
                          uint32_t *out)
{
    struct plc_diag diag;
    if (plc_duration_parse(s, min, max, flag, out, &diag) == 0)
        return 0;
    fprintf(stderr, "plc-logic: %s\n", diag.msg);
    return -1;
}

static int parse_int(const char *flag, const char *s, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "plc-logic: %s '%s' is not a number between %ld and %ld\n", flag, s,
                min, max);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int apply_flags(const struct config *cfg, struct plc_logic_def *g)
{
    if (cfg->period && parse_duration("--period", cfg->period, PLC_LOGIC_PERIOD_MIN_US,
                                      PLC_LOGIC_PERIOD_MAX_US, &g->period_us) < 0)
        return -1;
    if (cfg->watchdog && parse_duration("--watchdog", cfg->watchdog, PLC_LOGIC_PERIOD_MIN_US,
                                        PLC_LOGIC_WATCHDOG_MAX_US, &g->watchdog_us) < 0)
        return -1;
    /* Given here, they win over a program's task interval as the layout's do. */
    g->period_set |= cfg->period != NULL;
    g->watchdog_set |= cfg->watchdog != NULL;
    if (cfg->priority &&
        parse_int("--priority", cfg->priority, 0, PLC_LOGIC_PRIORITY_MAX, &g->priority) < 0)
        return -1;
    if (cfg->cpu) {
        if (strcmp(cfg->cpu, "none") == 0)
            g->cpu = -1;
        else if (parse_int("--cpu", cfg->cpu, 0, PLC_LOGIC_CPU_MAX, &g->cpu) < 0)
            return -1;
    }
    if (cfg->lock_memory >= 0)
        g->lock_memory = cfg->lock_memory;
    if (cfg->cpu_dma_latency) {
        uint32_t us;
        if (strcmp(cfg->cpu_dma_latency, "none") == 0)
            g->cpu_dma_latency_us = -1;
        else if (parse_duration("--cpu-dma-latency", cfg->cpu_dma_latency, 0,
                                PLC_LOGIC_CPU_DMA_LATENCY_MAX_US, &us) < 0)
            return -1;
        else
            g->cpu_dma_latency_us = (int)us;
    }
    return 0;
}

static void log_line(void *user, int level, const char *msg)
{
    const struct config *cfg = user;
    const char *what = level <= PLC_LOG_ERR ? "error: " : level == PLC_LOG_WARNING ? "warning: " : "";
    if (cfg->journal)
        fprintf(stderr, "<%d>plc-logic: %s%s\n", level, what, msg);
    else
        fprintf(stderr, "plc-logic: %s%s\n", what, msg);
}

int main(int argc, char **argv)
{
    struct config cfg = {0};
    struct plc_diag diag;

    if (parse_args(argc, argv, &cfg) < 0)
        return 2;
    setvbuf(stderr, NULL, _IOLBF, 0);
    struct plc_layout *l = plc_service_load_layout("plc-logic", cfg.layout);
    if (!l)
        return 1;
    struct plc_logic_def logic = *plc_layout_get_logic(l);
    if (apply_flags(&cfg, &logic) < 0) {
        plc_layout_free(l);
        return 2;
    }

    struct sigaction sa = {0};
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop; /* no SA_RESTART: the scan's sleep returns EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);

    /* systemd's watchdog (WatchdogSec= in the unit), fed from the scan loop so
     * that a hung scan gets the process restarted; a faulted PLC still cycles. */
    struct plc_sd_watchdog wd;
    plc_sd_watchdog_init(&wd);
    const char *base = plc_base_dir(l, cfg.base_dir);
    struct plc_event_ring *events = plc_service_events_open("plc-logic", l, base, PLC_SOURCE_LOGIC);
    if (!events) {
        plc_layout_free(l);
        return 1;
    }
    plc_event_ring_post(events, PLC_SOURCE_LOGIC, PLC_EVENT_SERVICE_START, LOG_NOTICE, NULL, 0, 0,
                        "pid %d, every %u us", (int)getpid(), logic.period_us);
    struct plc_scan_config sc = {
        .layout = l,
        .base_dir = base,
        .program_path = cfg.program,
        .logic = &logic,
        .log = log_line,
        .log_user = &cfg,
        .on_cycle = wd.usec ? plc_sd_watchdog_feed : NULL,
        .cycle_user = &wd,
        .events = events,
    };
    struct plc_scan *scan = plc_scan_new(&sc, &diag);
    if (!scan) {
        int err = errno;
        plc_service_report("plc-logic", &diag);
        plc_event_ring_post(events, PLC_SOURCE_LOGIC, PLC_EVENT_SERVICE_STOP, LOG_ERR, NULL, 0,
                            0, "%s", diag.msg[0] ? diag.msg : plc_strerror(err));
        plc_event_ring_close(events);
        plc_layout_free(l);
        return 1;
    }
    struct plc_scan_stats st;
    plc_scan_get_stats(scan, &st);
    fprintf(stderr, "plc-logic: running program '%s' from %s on layout '%s' version %u in %s\n",
            st.program, cfg.program, plc_layout_get_name(l), plc_layout_get_version(l),
            sc.base_dir);
    sd_notifyf(0, "READY=1\nSTATUS=running program '%s' every %u us", st.program,
               st.period_us);

    int rc = plc_scan_run(scan, &stop_flag, &reload_flag) < 0 ? 1 : 0;
    sd_notify(0, "STOPPING=1");
    plc_scan_get_stats(scan, &st);
    fprintf(stderr,
            "plc-logic: stopping after %llu scans (%llu overruns, %llu faults); outputs safe\n",
            (unsigned long long)st.scans, (unsigned long long)st.overruns,
            (unsigned long long)st.faults);
    plc_scan_free(scan);
    plc_event_ring_post(events, PLC_SOURCE_LOGIC, PLC_EVENT_SERVICE_STOP,
                        rc ? LOG_ERR : LOG_NOTICE, NULL, 0, 0, "%s after %llu scans",
                        rc ? "failed" : "stopped", (unsigned long long)st.scans);
    plc_event_ring_close(events);
    plc_layout_free(l);
    return rc;
}
