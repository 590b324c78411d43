/* SPDX-License-Identifier: MIT */
/*
 * plc-retain: keep retained tags in a snapshot file across reboots.
 *
 * A reader only: it never writes a region. SIGTERM/SIGINT write a last
 * snapshot if anything changed and exit; SIGUSR1 writes one now. The signals
 * are blocked in every thread and taken here with sigwait(), so no handler
 * runs in library code. --show prints the snapshot in use and exits. Under
 * WatchdogSec= the writer thread feeds systemd's watchdog while every thread
 * turns (plc_retain_config.on_alive), so a hung write gets plc-retain restarted.
 * Its event ring gets service-start and service-stop, from this thread only.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "events.h"
#include "retain.h"
#include "sd-watchdog.h"
#include "report.h"


struct config {
    const char *layout;
    const char *base_dir;
    const char *dir;
    uint32_t interval_us; /* 0: the layout's */
    bool show;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: plc-retain [--layout FILE] [--base-dir DIR] [--dir DIR] [--interval DUR]\n"
            "                  [--show] [LAYOUT]\n"
            "Keep the retained tags of the layout in DIR/NAME.retain, written when a\n"
            "retained value changes, at most once per interval.\n"
            "%s"
            "  --base-dir DIR         regions (default $RASPIPLC_BASE_DIR, the layout's\n"
            "                         base_dir, or %s)\n"
            "  --dir DIR              snapshots (default $RASPIPLC_RETAIN_DIR, the layout's\n"
            "                         [retain] directory, or %s)\n"
            "  --interval DUR         1s, 500ms or 250000us (default: the layout's [retain]\n"
            "                         interval, 1s)\n"
            "  --show                 print the snapshot in use beside the live values, and exit\n"
            "Signals: SIGUSR1 snapshot now; SIGTERM last snapshot and exit.\n",
            PLC_LAYOUT_HELP, PLC_BASE_DIR_DEFAULT, PLC_RETAIN_DIR_DEFAULT);
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option opts[] = {
        {"layout", required_argument, NULL, 'L'},
        {"base-dir", required_argument, NULL, 'b'},
        {"dir", required_argument, NULL, 'd'},
        {"interval", required_argument, NULL, 'i'},
        {"show", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *layout = NULL;
    struct plc_diag diag;
    int c;
    while ((c = getopt_long(argc, argv, "b:d:i:sh", opts, NULL)) != -1) {
        switch (c) {
        case 'L': layout = optarg; break;
        case 'b': cfg->base_dir = optarg; break;
        case 'd': cfg->dir = optarg; break;
        case 'i':
            if (plc_duration_parse(optarg, PLC_RETAIN_INTERVAL_MIN_US, PLC_RETAIN_INTERVAL_MAX_US,
                                   "--interval", &cfg->interval_us, &diag) < 0) {
                fprintf(stderr, "plc-retain: %s\n", diag.msg);
                return -1;
            }
            break;
        case 's': cfg->show = true; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (argc - optind > 1) {
        usage(stderr);
        return -1;
    }
    cfg->layout = plc_layout_path_choose(layout, optind < argc ? argv[optind] : NULL, &diag);
    if (!cfg->layout) {
        fprintf(stderr, "plc-retain: %s\n", diag.msg);
        return -1;
    }
    return 0;
}

static void log_stderr(void *user, int level, const char *msg)
{
    (void)user, (void)level;
    fprintf(stderr, "plc-retain: %s\n", msg);
}

/* --show: the snapshot in use beside the live values; the exit code. */
static int show(const struct plc_layout *l, const char *base, const char *dir)
{
    struct plc_diag diag;
    int rc = plc_retain_show(l, base, dir, stdout, &diag);
    if (rc < 0)
        plc_service_report("plc-retain", &diag);
    return rc < 0 ? 1 : 0;
}

static size_t count_retained(const struct plc_layout *l)
{
    size_t n = 0;
    for (size_t i = 0; i < plc_layout_tag_count(l); i++)
        n += plc_layout_tag_at(l, i)->retain;
    return n;
}

/* Block the signals main() takes with sigwait(), and fill @sigs with them. */
static void block_signals(sigset_t *sigs)
{
    sigemptyset(sigs);
    sigaddset(sigs, SIGTERM);
    sigaddset(sigs, SIGINT);
    sigaddset(sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, sigs, NULL);
}

/* Write a snapshot on each SIGUSR1 until SIGTERM or SIGINT; the signal that stopped it. */
static int wait_for_stop(struct plc_retain *r, const sigset_t *sigs)
{
    int sig = 0;
    for (;;) {
        if (sigwait(sigs, &sig) != 0)
            continue;
        if (sig == SIGUSR1) {
            plc_retain_snapshot_now(r);
            continue;
        }
        break;
    }
    return sig;
}

/* Keep the @nretained retained tags of @l until stopped; the exit code. */
static int keep(const struct config *cfg, const struct plc_layout *l, const char *base,
                const char *dir, size_t nretained)
{
    struct plc_diag diag;
    /* Before any thread starts, so every thread inherits the mask. */
    sigset_t sigs;
    block_signals(&sigs);

    struct plc_retain_config rc = {
        .layout = l,
        .base_dir = base,
        .dir = dir,
        .interval_us = cfg->interval_us ? cfg->interval_us : plc_layout_get_retain_interval_us(l),
        .log = log_stderr,
    };
    struct plc_sd_watchdog wd; /* fed while every thread turns: WatchdogSec= in the unit */
    if (plc_sd_watchdog_init(&wd)) {
        rc.on_alive = plc_sd_watchdog_feed;
        rc.alive_user = &wd;
    }
    struct plc_event_ring *events = plc_service_events_open("plc-retain", l, base, PLC_SOURCE_RETAIN);
    if (!events)
        return 1;
    plc_event_ring_post(events, PLC_SOURCE_RETAIN, PLC_EVENT_SERVICE_START, LOG_NOTICE, NULL, 0,
                        0, "pid %d, %zu retained tags", (int)getpid(), nretained);
    struct plc_retain *r = plc_retain_new(&rc, &diag);
    if (!r) {
        int err = errno;
        plc_service_report("plc-retain", &diag);
        plc_event_ring_post(events, PLC_SOURCE_RETAIN, PLC_EVENT_SERVICE_STOP, LOG_ERR, NULL, 0,
                            0, "%s", diag.msg[0] ? diag.msg : plc_strerror(err));
        plc_event_ring_close(events);
        return 1;
    }
    fprintf(stderr, "plc-retain: keeping %zu retained tags of layout '%s' in %s, every %.1f s "
            "at most; ready (pid %d)\n", nretained, plc_layout_get_name(l), dir,
            rc.interval_us / 1e6, (int)getpid());
    sd_notify(0, "READY=1");

    int sig = wait_for_stop(r, &sigs);
    sd_notify(0, "STOPPING=1");
    int stop = plc_retain_stop(r);
    struct plc_retain_stats st;
    plc_retain_get_stats(r, &st);
    fprintf(stderr, "plc-retain: stopped by %s: %llu snapshot(s) written, %llu failed, last seq "
            "%llu\n", sig == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)st.writes,
            (unsigned long long)st.failures, (unsigned long long)st.seq);
    plc_retain_free(r);
    plc_event_ring_post(events, PLC_SOURCE_RETAIN, PLC_EVENT_SERVICE_STOP,
                        stop < 0 ? LOG_ERR : LOG_NOTICE, NULL, 0, 0,
                        "%s by %s, %llu snapshots", stop < 0 ? "failed" : "stopped",
                        sig == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)st.writes);
    plc_event_ring_close(events);
    return stop < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct config cfg = {0};
    int rc;

    setvbuf(stderr, NULL, _IOLBF, 0);
    if (parse_args(argc, argv, &cfg) < 0)
        return 2;
    struct plc_layout *l = plc_service_load_layout("plc-retain", cfg.layout);
    if (!l)
        return 1;
    const char *base = plc_base_dir(l, cfg.base_dir);
    const char *dir = plc_retain_dir(l, cfg.dir);
    size_t nretained = count_retained(l);
    if (cfg.show) {
        rc = show(l, base, dir);
    } else if (!nretained) {
        fprintf(stderr, "plc-retain: layout '%s' has no retained tag: nothing to keep\n",
                plc_layout_get_name(l));
        rc = 0;
    } else {
        rc = keep(&cfg, l, base, dir, nretained);
    }
    plc_layout_free(l);
    return rc;
}
