/* SPDX-License-Identifier: MIT */
/*
 * plc-modbus: serve the layout's Modbus map over TCP (and RTU when the layout
 * names a serial port), or print the map.
 *
 * The gateway is the only writer of the regions whose writer is 'modbus' and
 * reads all others. Everything it does lives in libplc_modbus; this parses the
 * command line, logs, and turns SIGTERM/SIGINT into a clean stop. Its event
 * ring gets service-start and service-stop from here, the clients' writes
 * from the library.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <syslog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "events.h"
#include "plc-modbus.h"
#include "sd-watchdog.h"
#include "report.h"


struct config {
    const char *layout;
    const char *base_dir;
    char listen_host[64];
    int listen_port;
    int read_only_port;
    char read_only_host[64];
    const char *rtu_device;
    bool print_map, csv;
    int verbosity; /* highest priority logged */
    bool journal;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: plc-modbus [OPTIONS] [LAYOUT]\n"
            "Serve the Modbus map of the layout from the process image under DIR/NAME/;\n"
            "the layout's [modbus] section says where and how.\n"
            "%s"
            "  --print-map            print the map as a table and exit\n"
            "  --csv                  with --print-map: print it as CSV for SCADA tag import\n"
            "  --base-dir DIR         regions (default $RASPIPLC_BASE_DIR, the layout's\n"
            "                         base_dir, or %s)\n"
            "  --listen ADDR:PORT     listen here instead of the layout's 'listen' (port 0: any)\n"
            "  --listen-read-only ADDR:PORT\n"
            "                         also serve a read-only listener here\n"
            "  --rtu-device DEV       serve RTU on DEV instead of the layout's (\"\" = no RTU)\n"
            "  -v, --verbose          log connections too (twice: debug, with refused requests)\n"
            "  -h, --help             this text\n"
            "Exit status: 0 stopped by SIGTERM/SIGINT, 1 cannot serve, 2 bad usage.\n",
            PLC_LAYOUT_HELP, PLC_BASE_DIR_DEFAULT);
}

static int split_listen(const char *arg, char *host, size_t len, int *port)
{
    const char *colon = strrchr(arg, ':');
    char *end;
    if (!colon || colon == arg)
        return -1;
    size_t n = (size_t)(colon - arg);
    if (arg[0] == '[' && colon[-1] == ']') {
        arg++;
        n -= 2;
    }
    if (n == 0 || n >= len)
        return -1;
    snprintf(host, len, "%.*s", (int)n, arg);
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || *end || !colon[1] || p < 0 || p > 65535)
        return -1;
    *port = (int)p;
    return 0;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    enum { OPT_CSV = 256, OPT_RO, OPT_RTU, OPT_LAYOUT };
    static const struct option opts[] = {
        {"layout", required_argument, NULL, OPT_LAYOUT},
        {"print-map", no_argument, NULL, 'p'},
        {"csv", no_argument, NULL, OPT_CSV},
        {"base-dir", required_argument, NULL, 'b'},
        {"listen", required_argument, NULL, 'l'},
        {"listen-read-only", required_argument, NULL, OPT_RO},
        {"rtu-device", required_argument, NULL, OPT_RTU},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *layout = NULL;
    struct plc_diag diag;
    int c;
    cfg->listen_port = -1;
    cfg->read_only_port = -1;
    cfg->verbosity = PLC_LOG_NOTICE;
    while ((c = getopt_long(argc, argv, "pb:l:vh", opts, NULL)) != -1) {
        switch (c) {
        case OPT_LAYOUT: layout = optarg; break;
        case 'p': cfg->print_map = true; break;
        case OPT_CSV: cfg->csv = true; break;
        case 'b': cfg->base_dir = optarg; break;
        case 'l':
            if (split_listen(optarg, cfg->listen_host, sizeof(cfg->listen_host),
                             &cfg->listen_port) < 0) {
                fprintf(stderr, "plc-modbus: --listen '%s' is not ADDRESS:PORT\n", optarg);
                return -1;
            }
            break;
        case OPT_RO:
            if (split_listen(optarg, cfg->read_only_host, sizeof(cfg->read_only_host),
                             &cfg->read_only_port) < 0) {
                fprintf(stderr, "plc-modbus: --listen-read-only '%s' is not ADDRESS:PORT\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_RTU: cfg->rtu_device = optarg; break;
        case 'v': cfg->verbosity++; break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }
    if (argc - optind > 1) {
        usage(stderr);
        return -1;
    }
    if (cfg->csv && !cfg->print_map) {
        fprintf(stderr, "plc-modbus: --csv goes with --print-map\n");
        return -1;
    }
    cfg->layout = plc_layout_path_choose(layout, optind < argc ? argv[optind] : NULL, &diag);
    if (!cfg->layout) {
        fprintf(stderr, "plc-modbus: %s\n", diag.msg);
        return -1;
    }
    cfg->journal = getenv("JOURNAL_STREAM") != NULL;
    return 0;
}

/* stderr, with a <N> priority prefix journald reads when it is behind us. */
static void log_line(void *ctx, int prio, const char *msg)
{
    const struct config *cfg = ctx;
    if (prio > cfg->verbosity)
        return;
    if (cfg->journal)
        fprintf(stderr, "<%d>%s\n", prio, msg);
    else
        fprintf(stderr, "plc-modbus: %s\n", msg);
}

static int print_map(const struct plc_layout *l, bool csv)
{
    struct plc_diag diag;
    struct plc_modbus_map *m = plc_modbus_map_new(l, &diag);
    if (!m) {
        plc_service_report("plc-modbus", &diag);
        return 1;
    }
    int rc = csv ? plc_modbus_map_write_csv(m, stdout) : plc_modbus_map_write_table(m, stdout);
    plc_modbus_map_free(m);
    if (rc < 0 || fflush(stdout) != 0) {
        fprintf(stderr, "plc-modbus: cannot write the map: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct config cfg = {0};
    struct plc_diag diag;

    if (parse_args(argc, argv, &cfg) < 0)
        return 2;
    struct plc_layout *l = plc_service_load_layout("plc-modbus", cfg.layout);
    if (!l)
        return 1;
    if (cfg.print_map) {
        int rc = print_map(l, cfg.csv);
        plc_layout_free(l);
        return rc;
    }

    /* max_connections may go past the usual soft limit of 1024 descriptors. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    /* A client that goes away mid-response must never kill the gateway. */
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    struct plc_sd_watchdog wd; /* fed from the serving loop: WatchdogSec= in the unit */
    plc_sd_watchdog_init(&wd);
    const char *base = plc_base_dir(l, cfg.base_dir);
    struct plc_event_ring *events =
        plc_service_events_open("plc-modbus", l, base, PLC_SOURCE_MODBUS);
    if (!events) {
        plc_layout_free(l);
        return 1;
    }
    plc_event_ring_post(events, PLC_SOURCE_MODBUS, PLC_EVENT_SERVICE_START, LOG_NOTICE, NULL, 0,
                        0, "pid %d", (int)getpid());
    struct plc_modbus_server_config sc = {
        .layout = l,
        .base_dir = base,
        .listen_host = cfg.listen_host[0] ? cfg.listen_host : NULL,
        .listen_port = cfg.listen_port,
        .read_only_port = cfg.read_only_port,
        .rtu_device = cfg.rtu_device,
        .log = log_line,
        .log_ctx = &cfg,
        .log_priority = cfg.verbosity < PLC_LOG_DEBUG ? cfg.verbosity : PLC_LOG_DEBUG,
        .on_loop = wd.usec ? plc_sd_watchdog_feed : NULL,
        .loop_ctx = &wd,
        .events = events,
    };
    struct plc_modbus_server *s = plc_modbus_server_new(&sc, &diag);
    if (!s) {
        int err = errno;
        plc_service_report("plc-modbus", &diag);
        plc_event_ring_post(events, PLC_SOURCE_MODBUS, PLC_EVENT_SERVICE_STOP, LOG_ERR, NULL, 0,
                            0, "%s", diag.msg[0] ? diag.msg : plc_strerror(err));
        plc_event_ring_close(events);
        plc_layout_free(l);
        return 1;
    }
    const struct plc_modbus_config *mc = plc_layout_get_modbus(l);
    const char *host = cfg.listen_host[0] ? cfg.listen_host : mc->listen_host;
    printf("plc-modbus: serving layout '%s' version %u (%zu tags) as unit %u on %s%s%s:%d%s\n",
           plc_layout_get_name(l), plc_layout_get_version(l),
           plc_modbus_map_count(plc_modbus_core_get_map(plc_modbus_server_get_core(s))),
           mc->unit_id, strchr(host, ':') ? "[" : "", host, strchr(host, ':') ? "]" : "",
           plc_modbus_server_get_port(s, 0), mc->read_only ? " (read-only)" : "");
    if (plc_modbus_server_get_port(s, 1) > 0)
        printf("plc-modbus: read-only listener on port %d\n", plc_modbus_server_get_port(s, 1));
    if (cfg.rtu_device ? cfg.rtu_device[0] : mc->rtu_device[0])
        printf("plc-modbus: RTU on %s, %u baud\n", cfg.rtu_device ? cfg.rtu_device : mc->rtu_device,
               mc->rtu_baud);
    fflush(stdout);
    sd_notify(0, "READY=1");

    int rc = plc_modbus_server_run(s, &stop);
    if (rc < 0)
        fprintf(stderr, "plc-modbus: serving failed: %s\n", strerror(errno));
    sd_notify(0, "STOPPING=1");
    plc_modbus_server_free(s);
    plc_event_ring_post(events, PLC_SOURCE_MODBUS, PLC_EVENT_SERVICE_STOP,
                        rc < 0 ? LOG_ERR : LOG_NOTICE, NULL, 0, 0, "%s",
                        rc < 0 ? "serving failed" : "stopped");
    plc_event_ring_close(events);
    plc_layout_free(l);
    return rc < 0 ? 1 : 0;
}
