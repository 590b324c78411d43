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
 * It also follows the event rings into the event history on disk and the
 * journal (follow.c), with or without retained tags; --no-events turns that off.
 * Its own event ring gets service-start and service-stop, from this thread only.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "events.h"
#include "follow.h"
#include "retain.h"
#include "sd-watchdog.h"
#include "report.h"


struct config {
    const char *layout;
    const char *base_dir;
    const char *dir;
    uint32_t interval_us; /* 0: the layout's */
    bool show;
    bool events, journal;
    const char *events_dir;
    struct plc_event_history_config history; /* limits; dir and name set in main() */
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: plc-retain [--layout FILE] [--base-dir DIR] [--dir DIR] [--interval DUR]\n"
            "                  [--events-dir DIR] [--events-file-size BYTES] [--events-files N]\n"
            "                  [--events-batch N] [--events-batch-time DUR] [--no-events]\n"
            "                  [--no-journal] [--show] [LAYOUT]\n"
            "Keep the retained tags of the layout in DIR/NAME.retain, written when a\n"
            "retained value changes, at most once per interval; and the events of every\n"
            "service, from their rings, in EVENTS-DIR/NAME.events and the journal.\n"
            "%s"
            "  --base-dir DIR         regions (default $RASPIPLC_BASE_DIR, the layout's\n"
            "                         base_dir, or %s)\n"
            "  --dir DIR              snapshots (default $RASPIPLC_RETAIN_DIR, the layout's\n"
            "                         [retain] directory, or %s)\n"
            "  --interval DUR         1s, 500ms or 250000us (default: the layout's [retain]\n"
            "                         interval, 1s)\n"
            "  --events-dir DIR       event history (default $RASPIPLC_EVENTS_DIR or\n"
            "                         DIR/%s)\n"
            "  --events-file-size BYTES\n"
            "                         rotate a history file before it grows past this:\n"
            "                         4M (default), 512K or 100000; at least %u\n"
            "  --events-files N       history files kept, the current one included: 2 (default)\n"
            "                         to %u\n"
            "  --events-batch N       records written and synced together at most (default %u)\n"
            "  --events-batch-time DUR\n"
            "                         how long a record waits for its batch at most (default\n"
            "                         1s): what a power cut may lose\n"
            "  --no-events            do not follow the event rings\n"
            "  --no-journal           keep events in the history only, not in the journal\n"
            "  --show                 print the snapshot in use beside the live values, and exit\n"
            "Signals: SIGUSR1 snapshot now; SIGTERM last snapshot and history batch, and exit.\n",
            PLC_LAYOUT_HELP, PLC_BASE_DIR_DEFAULT, PLC_RETAIN_DIR_DEFAULT,
            PLC_EVENT_HISTORY_SUBDIR, PLC_EVENT_HISTORY_FILE_BYTES_MIN,
            PLC_EVENT_HISTORY_FILES_MAX, PLC_EVENT_HISTORY_BATCH_DEFAULT);
}

/* A count or size of @what from @text: digits, with K or M (x1024) for sizes. */
static int parse_count(const char *text, const char *what, bool size, unsigned long min,
                       unsigned long max, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (size && (*end == 'K' || *end == 'k'))
        v <<= 10, end++;
    else if (size && (*end == 'M' || *end == 'm'))
        v <<= 20, end++;
    if (errno || end == text || *end || text[0] == '-' || v < min || v > max) {
        fprintf(stderr, "plc-retain: %s '%s' is not a number from %lu to %lu\n", what, text,
                min, max);
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* The --events-* options; -1 after saying what is wrong. */
static int parse_events_arg(int c, const char *arg, struct config *cfg)
{
    struct plc_diag diag;
    struct plc_event_history_config *h = &cfg->history;
    uint32_t v;
    switch (c) {
    case 'E': cfg->events_dir = arg; return 0;
    case 'S': return parse_count(arg, "--events-file-size", true,
                                 PLC_EVENT_HISTORY_FILE_BYTES_MIN, 1ul << 30, &h->file_bytes);
    case 'F':
        if (parse_count(arg, "--events-files", false, 2, PLC_EVENT_HISTORY_FILES_MAX, &v) < 0)
            return -1;
        h->files = v;
        return 0;
    case 'B':
        if (parse_count(arg, "--events-batch", false, 1, PLC_EVENT_HISTORY_BATCH_MAX, &v) < 0)
            return -1;
        h->batch = v;
        return 0;
    case 'T':
        if (plc_duration_parse(arg, 10000, 60000000, "--events-batch-time", &v, &diag) < 0) {
            fprintf(stderr, "plc-retain: %s\n", diag.msg);
            return -1;
        }
        h->batch_ms = v / 1000;
        return 0;
    case 'N': cfg->events = false; return 0;
    case 'J': cfg->journal = false; return 0;
    }
    return -1;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option opts[] = {
        {"layout", required_argument, NULL, 'L'},
        {"base-dir", required_argument, NULL, 'b'},
        {"dir", required_argument, NULL, 'd'},
        {"interval", required_argument, NULL, 'i'},
        {"show", no_argument, NULL, 's'},
        {"events-dir", required_argument, NULL, 'E'},
        {"events-file-size", required_argument, NULL, 'S'},
        {"events-files", required_argument, NULL, 'F'},
        {"events-batch", required_argument, NULL, 'B'},
        {"events-batch-time", required_argument, NULL, 'T'},
        {"no-events", no_argument, NULL, 'N'},
        {"no-journal", no_argument, NULL, 'J'},
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
        case 'E': case 'S': case 'F': case 'B': case 'T': case 'N': case 'J':
            if (parse_events_arg(c, optarg, cfg) < 0)
                return -1;
            break;
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
            if (r)
                plc_retain_snapshot_now(r);
            continue;
        }
        break;
    }
    return sig;
}

/* The event follower, its history in @events_dir; NULL after reporting why. */
static struct plc_retain_events *start_events(const struct config *cfg,
                                              const struct plc_layout *l, const char *base,
                                              const char *events_dir,
                                              struct plc_sd_watchdog *wd)
{
    struct plc_diag diag;
    struct plc_retain_events_config ec = {
        .layout = l,
        .base_dir = base,
        .history = cfg->history,
        .journal = cfg->journal,
        .log = log_stderr,
    };
    ec.history.dir = events_dir;
    ec.history.name = plc_layout_get_name(l);
    if (wd) {
        ec.on_alive = plc_sd_watchdog_feed;
        ec.alive_user = wd;
    }
    struct plc_retain_events *e = plc_retain_events_new(&ec, &diag);
    if (!e)
        plc_service_report("plc-retain", &diag);
    return e;
}

/* Keep the @nretained retained tags of @l, and its events, until stopped; the exit code. */
static int keep(const struct config *cfg, const struct plc_layout *l, const char *base,
                const char *dir, size_t nretained, const char *events_dir)
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
    bool watchdog = plc_sd_watchdog_init(&wd);
    if (watchdog) {
        rc.on_alive = plc_sd_watchdog_feed;
        rc.alive_user = &wd;
    }
    struct plc_event_ring *events = plc_service_events_open("plc-retain", l, base, PLC_SOURCE_RETAIN);
    if (!events)
        return 1;
    plc_event_ring_post(events, PLC_SOURCE_RETAIN, PLC_EVENT_SERVICE_START, LOG_NOTICE, NULL, 0,
                        0, "pid %d, %zu retained tags", (int)getpid(), nretained);
    struct plc_retain *r = NULL;
    struct plc_retain_events *ev = NULL;
    if (nretained && !(r = plc_retain_new(&rc, &diag))) {
        int err = errno;
        plc_service_report("plc-retain", &diag);
        plc_event_ring_post(events, PLC_SOURCE_RETAIN, PLC_EVENT_SERVICE_STOP, LOG_ERR, NULL, 0,
                            0, "%s", diag.msg[0] ? diag.msg : plc_strerror(err));
        plc_event_ring_close(events);
        return 1;
    }
    /* The retain writer feeds the watchdog when there is one; else the follower does. */
    struct plc_sd_watchdog *events_wd = !r && watchdog ? &wd : NULL;
    if (cfg->events && !(ev = start_events(cfg, l, base, events_dir, events_wd))) {
        plc_retain_free(r);
        plc_event_ring_post(events, PLC_SOURCE_RETAIN, PLC_EVENT_SERVICE_STOP, LOG_ERR, NULL, 0,
                            0, "cannot follow the event rings");
        plc_event_ring_close(events);
        return 1;
    }
    if (!r)
        fprintf(stderr, "plc-retain: layout '%s' has no retained tag: keeping its events only\n",
                plc_layout_get_name(l));
    fprintf(stderr, "plc-retain: keeping %zu retained tags of layout '%s' in %s, every %.1f s "
            "at most; events %s%s; ready (pid %d)\n", nretained, plc_layout_get_name(l), dir,
            rc.interval_us / 1e6, ev ? "in " : "not followed", ev ? events_dir : "",
            (int)getpid());
    sd_notify(0, "READY=1");

    int sig = wait_for_stop(r, &sigs);
    sd_notify(0, "STOPPING=1");
    int stop = r ? plc_retain_stop(r) : 0;
    int stop_events = ev ? plc_retain_events_stop(ev) : 0;
    struct plc_retain_stats st = {0};
    struct plc_retain_events_stats es = {0};
    if (r)
        plc_retain_get_stats(r, &st);
    if (ev)
        plc_retain_events_get_stats(ev, &es);
    fprintf(stderr, "plc-retain: stopped by %s: %llu snapshot(s) written, %llu failed, last seq "
            "%llu; %llu event(s) kept, %llu lost\n", sig == SIGINT ? "SIGINT" : "SIGTERM",
            (unsigned long long)st.writes, (unsigned long long)st.failures,
            (unsigned long long)st.seq, (unsigned long long)es.events,
            (unsigned long long)es.lost);
    plc_retain_free(r);
    plc_retain_events_free(ev);
    plc_event_ring_post(events, PLC_SOURCE_RETAIN, PLC_EVENT_SERVICE_STOP,
                        stop < 0 || stop_events < 0 ? LOG_ERR : LOG_NOTICE, NULL, 0, 0,
                        "%s by %s, %llu snapshots", stop < 0 || stop_events < 0 ? "failed" : "stopped",
                        sig == SIGINT ? "SIGINT" : "SIGTERM", (unsigned long long)st.writes);
    plc_event_ring_close(events);
    return stop < 0 || stop_events < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct config cfg = {.events = true, .journal = true};
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
    char events_dir[PATH_MAX];
    if (cfg.show) {
        rc = show(l, base, dir);
    } else if (!nretained && !cfg.events) {
        fprintf(stderr, "plc-retain: layout '%s' has no retained tag: nothing to keep\n",
                plc_layout_get_name(l));
        rc = 0;
    } else if (plc_event_history_dir(dir, cfg.events_dir, events_dir, sizeof(events_dir)) < 0) {
        fprintf(stderr, "plc-retain: event history directory: path too long\n");
        rc = 2;
    } else {
        rc = keep(&cfg, l, base, dir, nretained, events_dir);
    }
    plc_layout_free(l);
    return rc;
}
