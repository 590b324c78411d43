/* SPDX-License-Identifier: MIT */
/*
 * plc-io: connect the field's GPIO lines to the process image.
 *
 * Parses argv into a struct plc_io_config, prints the resolved line table,
 * says READY=1, serves until SIGTERM/SIGINT, then leaves the outputs at their
 * safe values. Everything else is libplc_io (io/io.c). Its event ring gets
 * service-start and service-stop around the run, the rest from libplc_io.
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
#include "plc-io.h"
#include "sd-watchdog.h"
#include "report.h"


struct config {
    const char *layout;
    const char *base_dir;
    struct plc_io_config io;
};

static struct plc_io *running; /* for the signal handler only */

static void on_signal(int sig)
{
    (void)sig;
    if (running)
        plc_io_stop(running);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: plc-io [--layout FILE] [--backend sim|gpiod] [--base-dir DIR]\n"
            "              [--consumer NAME] [--heartbeat-timeout DUR] [LAYOUT]\n"
            "Serve the GPIO lines bound in the layout: publish input edges into the input\n"
            "regions and drive output lines from region 'outputs', at their safe values\n"
            "while its writer is dead or silent.\n"
            "%s"
            "  --backend B            sim (simulated field, see plc-io-sim) or gpiod\n"
            "                         (default $RASPIPLC_IO_BACKEND or gpiod)\n"
            "  --base-dir DIR         regions (default $RASPIPLC_BASE_DIR, the layout's\n"
            "                         base_dir, or %s)\n"
            "  --consumer NAME        consumer the lines are requested as (default %s)\n"
            "  --heartbeat-timeout DUR  outputs go safe when the logic's heartbeat is older\n"
            "                         than this or than the silence the logic says it may\n"
            "                         keep (default %lldms; 0 never; a bare number is ms)\n",
            PLC_LAYOUT_HELP, PLC_BASE_DIR_DEFAULT, PLC_IO_CONSUMER_DEFAULT,
            (long long)(PLC_IO_HEARTBEAT_TIMEOUT_NS_DEFAULT / 1000000));
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    static const struct option opts[] = {
        {"layout", required_argument, NULL, 'L'},
        {"backend", required_argument, NULL, 'B'},
        {"base-dir", required_argument, NULL, 'b'},
        {"consumer", required_argument, NULL, 'c'},
        {"heartbeat-timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *layout = NULL;
    struct plc_diag diag;
    int c;
    cfg->io.backend = getenv("RASPIPLC_IO_BACKEND");
    while ((c = getopt_long(argc, argv, "B:b:c:t:h", opts, NULL)) != -1) {
        switch (c) {
        case 'L': layout = optarg; break;
        case 'B': cfg->io.backend = optarg; break;
        case 'b': cfg->base_dir = optarg; break;
        case 'c': cfg->io.consumer = optarg; break;
        case 't': {
            uint32_t us;
            if (plc_duration_parse(optarg, 0, 3600000000u, "--heartbeat-timeout", &us,
                                   &diag) < 0) {
                fprintf(stderr, "plc-io: %s\n", diag.msg);
                return -1;
            }
            cfg->io.heartbeat_timeout_ns = us ? (int64_t)us * 1000 : -1;
            break;
        }
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
        fprintf(stderr, "plc-io: %s\n", diag.msg);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct config cfg = {0};
    struct plc_diag diag;

    if (parse_args(argc, argv, &cfg) < 0)
        return 2;
    struct plc_layout *l = plc_service_load_layout("plc-io", cfg.layout);
    if (!l)
        return 1;
    cfg.io.layout = l;
    cfg.io.base_dir = plc_base_dir(l, cfg.base_dir);
    struct plc_event_ring *events =
        plc_service_events_open("plc-io", l, cfg.io.base_dir, PLC_SOURCE_IO);
    if (!events) {
        plc_layout_free(l);
        return 1;
    }
    const char *backend = cfg.io.backend ? cfg.io.backend : "gpiod";
    plc_event_ring_post(events, PLC_SOURCE_IO, PLC_EVENT_SERVICE_START, LOG_NOTICE, NULL, 0, 0,
                        "pid %d, backend %s", (int)getpid(), backend);
    cfg.io.events = events;
    struct plc_sd_watchdog wd; /* fed when both loops turn: WatchdogSec= in the unit */
    if (plc_sd_watchdog_init(&wd)) {
        cfg.io.on_alive = plc_sd_watchdog_feed;
        cfg.io.alive_ctx = &wd;
    }
    struct plc_io *io = plc_io_new(&cfg.io, &diag);
    if (!io) {
        int err = errno;
        plc_service_report("plc-io", &diag);
        plc_event_ring_post(events, PLC_SOURCE_IO, PLC_EVENT_SERVICE_STOP, LOG_ERR, NULL, 0, 0,
                            "%s", diag.msg[0] ? diag.msg : plc_strerror(err));
        plc_event_ring_close(events);
        plc_layout_free(l);
        return 1;
    }
    printf("plc-io: layout '%s' version %u, backend %s, %zu lines, base %s\n",
           plc_layout_get_name(l), plc_layout_get_version(l), plc_io_backend_version(backend),
           plc_io_line_count(io), cfg.io.base_dir);
    plc_io_print_lines(io, stdout);

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    running = io;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    printf("plc-io: ready\n");
    fflush(stdout);
    sd_notify(0, "READY=1");

    int rc = plc_io_run(io);
    sd_notify(0, "STOPPING=1");
    for (size_t i = 0; i < plc_io_line_count(io); i++) {
        struct plc_io_line_info info;
        plc_io_line_get_info(io, i, &info);
        printf("plc-io: %-20s %-3s value %d, %llu changes, %llu edges\n", info.tag->name,
               info.output ? "out" : "in", info.value, (unsigned long long)info.changes,
               (unsigned long long)info.events);
    }
    running = NULL;
    plc_io_free(io);
    plc_event_ring_post(events, PLC_SOURCE_IO, PLC_EVENT_SERVICE_STOP,
                        rc < 0 ? LOG_ERR : LOG_NOTICE, NULL, 0, 0, "%s, outputs safe",
                        rc < 0 ? "failed" : "stopped");
    plc_event_ring_close(events);
    plc_layout_free(l);
    printf("plc-io: stopped, outputs at their safe values\n");
    return rc < 0 ? 1 : 0;
}
