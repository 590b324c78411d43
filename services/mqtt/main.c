/* SPDX-License-Identifier: MIT */
/*
 * plc-mqtt: the process image as a Sparkplug B edge node on an MQTT broker
 * (docs/mqtt.md). Parses the options, loads the layout, runs libplc_mqtt
 * until SIGTERM/SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "plc-mqtt.h"
#include "plc.h"
#include "report.h"
#include "sd-watchdog.h"

struct config {
    const char *layout;
    const char *base_dir;
    bool check;
    struct plc_mqtt_node_config node;
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
            "usage: plc-mqtt [OPTIONS] [LAYOUT]\n"
            "Publish the RaspiPLC process image to an MQTT broker as a Sparkplug B 3.0 edge\n"
            "node, as the layout's [mqtt] section says (docs/mqtt.md): births, changes by\n"
            "exception, store and forward while the broker is away, and writes from the host\n"
            "(NCMD/DCMD) to the tags [mqtt] writable names, through the Modbus gateway.\n"
            "\n"
            PLC_LAYOUT_HELP
            "  -b, --base-dir DIR     base directory of the regions (default: $RASPIPLC_BASE_DIR)\n"
            "  --modbus HOST:PORT     the Modbus gateway writes go through (default: the\n"
            "                         layout's [modbus] listen address)\n"
            "  --edge-node ID         the Sparkplug edge node id (default: [mqtt] edge_node)\n"
            "  --broker URL           the one broker to use, mqtt://HOST[:PORT] or\n"
            "                         mqtts://HOST[:PORT] (default: [mqtt] broker)\n"
            "  --check                exit 0 when the layout has an enabled [mqtt] section,\n"
            "                         1 when not (the unit's ExecCondition=); without it,\n"
            "                         plc-mqtt runs whatever [mqtt] enabled says\n"
            "  -h, --help             show this help\n");
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    enum { OPT_LAYOUT = 256, OPT_MODBUS, OPT_EDGE, OPT_BROKER, OPT_CHECK };
    static const struct option opts[] = {
        {"layout", required_argument, NULL, OPT_LAYOUT},
        {"base-dir", required_argument, NULL, 'b'},
        {"modbus", required_argument, NULL, OPT_MODBUS},
        {"edge-node", required_argument, NULL, OPT_EDGE},
        {"broker", required_argument, NULL, OPT_BROKER},
        {"check", no_argument, NULL, OPT_CHECK},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *layout = NULL;
    struct plc_diag diag;
    int c;
    while ((c = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
        switch (c) {
        case OPT_LAYOUT: layout = optarg; break;
        case 'b': cfg->base_dir = optarg; break;
        case OPT_MODBUS: cfg->node.modbus = optarg; break;
        case OPT_EDGE: cfg->node.edge_node = optarg; break;
        case OPT_BROKER: cfg->node.broker = optarg; break;
        case OPT_CHECK: cfg->check = true; break;
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
        fprintf(stderr, "plc-mqtt: %s\n", diag.msg);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct config cfg = {0};
    struct plc_diag diag = {0};
    if (parse_args(argc, argv, &cfg) < 0)
        return 2;
    struct plc_layout *layout = plc_service_load_layout("plc-mqtt", cfg.layout);
    if (!layout)
        return 1;
    const struct plc_mqtt_config *m = plc_layout_get_mqtt(layout);
    /* Whether to run is --check's question (the unit, plc-supervise); asked to run, it runs. */
    if (!m->enabled)
        fprintf(cfg.check ? stdout : stderr, "plc-mqtt: layout '%s' has %s%s\n",
                plc_layout_get_path(layout),
                m->present ? "[mqtt] enabled = no" : "no [mqtt] section",
                cfg.check ? "" : ": running as asked, with its defaults where it has none");
    if (cfg.check) {
        int rc = m->enabled ? 0 : 1;
        plc_layout_free(layout);
        return rc;
    }
    signal(SIGPIPE, SIG_IGN);
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);

    cfg.node.layout = layout;
    cfg.node.base = plc_base_dir(layout, cfg.base_dir);
    struct plc_mqtt_node *node = plc_mqtt_node_new(&cfg.node, &diag);
    if (!node) {
        plc_service_report("plc-mqtt", &diag);
        plc_layout_free(layout);
        return 1;
    }
    struct plc_sd_watchdog wd; /* fed from the node's loop: WatchdogSec= in the unit */
    plc_sd_watchdog_init(&wd);
    sd_notify(0, "READY=1");
    int rc = plc_mqtt_node_run(node, &stop, wd.usec ? plc_sd_watchdog_feed : NULL, &wd);
    sd_notify(0, "STOPPING=1");
    if (rc < 0)
        fprintf(stderr, "plc-mqtt: %s\n", plc_strerror(errno));
    plc_mqtt_node_free(node);
    plc_layout_free(layout);
    return rc < 0 ? 1 : 0;
}
