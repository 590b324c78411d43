/* SPDX-License-Identifier: MIT */
/*
 * plc-supervise: the whole PLC in the foreground, as systemd runs the units in
 * systemd/ on a Pi: plc-shm-init once, then plc-io (sim backend), plc-logic,
 * plc-modbus, plc-retain and plc-web, and plc-mqtt when the layout enables it,
 * restarted when they die; Ctrl-C stops them all, plc-retain last. The status view's region and tag tables are plcctl's own
 * (run as a child), so there is one table printer.
 *
 * Parses argv into struct config, builds the service table, blocks the
 * signals into a signalfd and hands over to struct plc_supervise.
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plc-scan.h"
#include "supervise.h"
#include "report.h"

/* plc-web's own default (PLC_WEB_LISTEN_DEFAULT), as plc-web.service listens. */
#define WEB_LISTEN_DEFAULT "127.0.0.1:8080"

struct config {
    const char *layout, *base_dir, *retain_dir, *program, *listen, *log_dir;
    const char *web; /* plc-web's --listen; NULL: no plc-web (--no-web) */
    const char *web_users; /* plc-web's --users, or NULL: its default */
    enum { MQTT_LAYOUT, MQTT_ON, MQTT_OFF } mqtt; /* --mqtt, --no-mqtt; else [mqtt] enabled */
    const char *mqtt_broker; /* plc-mqtt's --broker, or NULL: the layout's */
    bool mqtt_run;           /* plc-mqtt is one of the services */
    char bin_dir[PATH_MAX];
    uint32_t status_us, restart_us;
    struct plc_layout *l;
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: plc-supervise [--layout FILE] [--base-dir DIR] [--retain-dir DIR]\n"
            "                     [--program FILE.so] [--listen ADDR:PORT] [--bin-dir DIR]\n"
            "                     [--web ADDR:PORT | --no-web] [--web-users FILE]\n"
            "                     [--mqtt | --no-mqtt] [--mqtt-broker URL]\n"
            "                     [--log-dir DIR]\n"
            "                     [--status-interval DUR] [--restart-delay DUR] [LAYOUT]\n"
            "Run the whole PLC in the foreground: plc-shm-init once, then plc-io (sim\n"
            "backend), plc-logic, plc-modbus, plc-retain and plc-web, and plc-mqtt when the\n"
            "layout has an enabled [mqtt] section, each restarted after --restart-delay\n"
            "(default 100ms) when it dies. SIGINT/SIGTERM stop them all, plc-retain last.\n"
            "A service whose binary is not in --bin-dir (default: this program's\n"
            "directory) is skipped.\n"
            "%s"
            "  --base-dir DIR         regions (default $RASPIPLC_BASE_DIR or the layout's)\n"
            "  --retain-dir DIR       snapshots (default $RASPIPLC_RETAIN_DIR or the layout's)\n"
            "  --program FILE.so      plc-logic's program (default $RASPIPLC_PROGRAM or\n"
            "                         %s)\n"
            "  --listen ADDR:PORT     plc-modbus listens here (default: where the layout's\n"
            "                         [modbus] listen says)\n"
            "  --web ADDR:PORT        plc-web, the status page, listens here\n"
            "                         (default %s; port 0: any free one)\n"
            "  --no-web               do not run plc-web\n"
            "  --web-users FILE       who may log in to the page (plc-web --users; default\n"
            "                         /etc/raspiplc/web-users)\n"
            "  --mqtt                 run plc-mqtt, the Sparkplug B edge node, even when the\n"
            "                         layout's [mqtt] says enabled = no\n"
            "  --no-mqtt              do not run plc-mqtt\n"
            "  --mqtt-broker URL      plc-mqtt's broker (plc-mqtt --broker; default: the\n"
            "                         layout's [mqtt] broker)\n"
            "  --log-dir DIR          each service's output to DIR/NAME.log (default: ours)\n"
            "  --status-interval DUR  status view every DUR (default 1s on a terminal, else\n"
            "                         0: none)\n"
            "DUR is 10ms, 500us or 1s (a bare number is ms).\n"
            "Exit status: 0 stopped by SIGINT/SIGTERM, 1 plc-shm-init failed or cannot\n"
            "run, 2 bad usage.\n",
            PLC_LAYOUT_HELP, PLC_PROGRAM_PATH_DEFAULT, WEB_LISTEN_DEFAULT);
}

static int parse_duration(const char *opt, const char *arg, uint32_t max_us, uint32_t *out)
{
    struct plc_diag diag;
    if (plc_duration_parse(arg, 0, max_us, opt, out, &diag) == 0)
        return 0;
    fprintf(stderr, "plc-supervise: %s\n", diag.msg);
    return -1;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    enum {
        OPT_STATUS = 256, OPT_RESTART, OPT_BIN, OPT_LOG, OPT_RETAIN, OPT_WEB, OPT_NO_WEB,
        OPT_WEB_USERS, OPT_MQTT, OPT_NO_MQTT, OPT_MQTT_BROKER,
    };
    static const struct option opts[] = {
        {"layout", required_argument, NULL, 'L'},
        {"base-dir", required_argument, NULL, 'b'},
        {"retain-dir", required_argument, NULL, OPT_RETAIN},
        {"program", required_argument, NULL, 'p'},
        {"listen", required_argument, NULL, 'l'},
        {"web", required_argument, NULL, OPT_WEB},
        {"no-web", no_argument, NULL, OPT_NO_WEB},
        {"web-users", required_argument, NULL, OPT_WEB_USERS},
        {"mqtt", no_argument, NULL, OPT_MQTT},
        {"no-mqtt", no_argument, NULL, OPT_NO_MQTT},
        {"mqtt-broker", required_argument, NULL, OPT_MQTT_BROKER},
        {"bin-dir", required_argument, NULL, OPT_BIN},
        {"log-dir", required_argument, NULL, OPT_LOG},
        {"status-interval", required_argument, NULL, OPT_STATUS},
        {"restart-delay", required_argument, NULL, OPT_RESTART},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    int c;
    const char *bin = NULL, *layout = NULL;
    struct plc_diag diag;
    cfg->status_us = isatty(STDOUT_FILENO) ? 1000000 : 0;
    cfg->restart_us = 100000;
    cfg->web = WEB_LISTEN_DEFAULT;
    while ((c = getopt_long(argc, argv, "L:b:p:l:h", opts, NULL)) != -1) {
        switch (c) {
        case 'L': layout = optarg; break;
        case 'b': cfg->base_dir = optarg; break;
        case OPT_RETAIN: cfg->retain_dir = optarg; break;
        case 'p': cfg->program = optarg; break;
        case 'l': cfg->listen = optarg; break;
        case OPT_WEB: cfg->web = optarg; break;
        case OPT_NO_WEB: cfg->web = NULL; break;
        case OPT_WEB_USERS: cfg->web_users = optarg; break;
        case OPT_MQTT: cfg->mqtt = MQTT_ON; break;
        case OPT_NO_MQTT: cfg->mqtt = MQTT_OFF; break;
        case OPT_MQTT_BROKER: cfg->mqtt_broker = optarg; break;
        case OPT_BIN: bin = optarg; break;
        case OPT_LOG: cfg->log_dir = optarg; break;
        case OPT_STATUS:
            if (parse_duration("--status-interval", optarg, 3600000000u, &cfg->status_us) < 0)
                return -1;
            break;
        case OPT_RESTART:
            if (parse_duration("--restart-delay", optarg, 60000000u, &cfg->restart_us) < 0)
                return -1;
            break;
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
        fprintf(stderr, "plc-supervise: %s\n", diag.msg);
        return -1;
    }
    if (bin) {
        snprintf(cfg->bin_dir, sizeof(cfg->bin_dir), "%s", bin);
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        if (n < 0) {
            fprintf(stderr, "plc-supervise: /proc/self/exe: %s; give --bin-dir\n",
                    strerror(errno));
            return -1;
        }
        self[n] = 0;
        snprintf(cfg->bin_dir, sizeof(cfg->bin_dir), "%s", dirname(self));
    }
    return 0;
}

/* Run plcctl ARGS... with our stdout, and wait for exactly that child. */
static void run_plcctl(const struct config *cfg, FILE *out, char *const *args)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof(path), "%s/plcctl", cfg->bin_dir);
    fflush(out);
    pid_t pid = fork();
    if (pid < 0)
        return;
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (fileno(out) != STDOUT_FILENO)
            dup2(fileno(out), STDOUT_FILENO);
        execv(path, args);
        fprintf(stderr, "plc-supervise: cannot run '%s': %s\n", path, strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    fputc('\n', out);
}

/* The rest of the status view: plcctl ls, the scan statistics, the alarms, every tag. */
static void status_tables(void *user, FILE *out)
{
    const struct config *cfg = user;
    static const char *const scan_stats[] = {
        "scan_count", "scan_time_mean_us", "scan_time_max_us", "late_p99_us", "overruns",
        "fault_state", "faults",
    };
    size_t ntags = plc_layout_tag_count(cfg->l);
    char **args = calloc(ntags + 8, sizeof(*args));
    if (!args)
        return;
    char a0[] = "plcctl", ls[] = "ls", get[] = "get";
    args[0] = a0;
    args[1] = ls;
    run_plcctl(cfg, out, args);

    const struct plc_region_def *diag = plc_layout_get_logic(cfg->l)->diagnostics;
    size_t n = 2;
    args[1] = get;
    for (size_t i = 0; i < sizeof(scan_stats) / sizeof(scan_stats[0]); i++) {
        const struct plc_tag_def *t = plc_layout_find_tag(cfg->l, scan_stats[i]);
        if (t && t->region == diag)
            args[n++] = (char *)t->name;
    }
    if (n > 2) {
        args[n] = NULL;
        fprintf(out, "Scan statistics (region '%s'):\n", diag->name);
        run_plcctl(cfg, out, args);
    }
    if (cfg->mqtt_run) {
        const struct plc_mqtt_config *m = plc_layout_get_mqtt(cfg->l);
        const struct plc_mqtt_broker *b = &m->brokers[0];
        fprintf(out, "Sparkplug B (plc-mqtt): spBv1.0/%s/+/%s on ", m->group_id, m->edge_node);
        if (cfg->mqtt_broker)
            fprintf(out, "%s\n\n", cfg->mqtt_broker);
        else
            fprintf(out, "%s://%s%s%s:%u%s\n\n", b->tls ? "mqtts" : "mqtt",
                    strchr(b->host, ':') ? "[" : "", b->host, strchr(b->host, ':') ? "]" : "",
                    b->port, m->broker_count > 1 ? " (and others, in turn)" : "");
    }
    const struct plc_region_def *alarms = plc_layout_get_logic(cfg->l)->alarms;
    if (alarms && plc_layout_alarm_count(cfg->l)) {
        char verb[] = "alarms";
        args[1] = verb;
        args[2] = NULL;
        fprintf(out, "Alarms (plcctl alarms; recent events: plcctl events):\n");
        run_plcctl(cfg, out, args);
        args[1] = get;
    }
    n = 2;
    for (size_t i = 0; i < ntags; i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(cfg->l, i);
        if (t->region != diag && t->region != alarms)
            args[n++] = (char *)t->name;
    }
    args[n] = NULL;
    if (n > 2)
        run_plcctl(cfg, out, args);
    free(args);
}

/* Every child (and plcctl) finds the same layout, regions and snapshots. */
static void export_env(const struct config *cfg)
{
    char layout_abs[PATH_MAX];
    setenv("RASPIPLC_LAYOUT", realpath(cfg->layout, layout_abs) ? layout_abs : cfg->layout, 1);
    if (cfg->base_dir)
        setenv("RASPIPLC_BASE_DIR", cfg->base_dir, 1);
    if (cfg->retain_dir)
        setenv("RASPIPLC_RETAIN_DIR", cfg->retain_dir, 1);
    unsetenv("JOURNAL_STREAM"); /* not the journal: plain lines */
}

/* Block SIGCHLD, SIGINT and SIGTERM and return a signalfd for them; -1 on error. */
static int open_signalfd(void)
{
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGCHLD);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    return signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
}

/* Append OPTION VALUE to a NULL-terminated argv of @n entries (room for both and the
 * NULL is the caller's) when VALUE is given. */
static void add_option(char **argv, size_t *n, char *option, const char *value)
{
    if (!value)
        return;
    argv[(*n)++] = option;
    argv[(*n)++] = (char *)value;
    argv[*n] = NULL;
}

/* Whether plc-mqtt runs: --mqtt, --no-mqtt, else the layout's [mqtt] enabled; one line
 * says why when it does not, so that a missing edge node is never a mystery. */
static bool mqtt_wanted(const struct config *cfg)
{
    const struct plc_mqtt_config *m = plc_layout_get_mqtt(cfg->l);
    if (cfg->mqtt != MQTT_LAYOUT) {
        if (cfg->mqtt == MQTT_OFF)
            printf("plc-supervise: plc-mqtt not run (--no-mqtt)\n");
        return cfg->mqtt == MQTT_ON;
    }
    if (!m->present)
        printf("plc-supervise: plc-mqtt not run: the layout has no [mqtt] section\n");
    else if (!m->enabled)
        printf("plc-supervise: plc-mqtt not run: the [mqtt] section at %s:%u says enabled = no"
               " (--mqtt runs it)\n",
               getenv("RASPIPLC_LAYOUT"), m->line);
    return m->enabled;
}

/* Run the services under the supervisor until a stop signal on @sigfd; the exit code. */
static int supervise(struct config *cfg, int sigfd)
{
    char p_init[PATH_MAX + 16], p_io[PATH_MAX + 16], p_logic[PATH_MAX + 16],
        p_modbus[PATH_MAX + 16], p_retain[PATH_MAX + 16], p_web[PATH_MAX + 16],
        p_mqtt[PATH_MAX + 16];
    printf("plc-supervise: layout '%s' version %u from %s, binaries in %s\n",
           plc_layout_get_name(cfg->l), plc_layout_get_version(cfg->l), getenv("RASPIPLC_LAYOUT"),
           cfg->bin_dir);
    snprintf(p_init, sizeof(p_init), "%s/plc-shm-init", cfg->bin_dir);
    snprintf(p_io, sizeof(p_io), "%s/plc-io", cfg->bin_dir);
    snprintf(p_logic, sizeof(p_logic), "%s/plc-logic", cfg->bin_dir);
    snprintf(p_modbus, sizeof(p_modbus), "%s/plc-modbus", cfg->bin_dir);
    snprintf(p_retain, sizeof(p_retain), "%s/plc-retain", cfg->bin_dir);
    snprintf(p_web, sizeof(p_web), "%s/plc-web", cfg->bin_dir);
    snprintf(p_mqtt, sizeof(p_mqtt), "%s/plc-mqtt", cfg->bin_dir);
    char o_backend[] = "--backend", v_sim[] = "sim", o_program[] = "--program",
         o_listen[] = "--listen", o_users[] = "--users", o_modbus[] = "--modbus",
         o_broker[] = "--broker";
    char *a_init[] = {p_init, NULL};
    char *a_io[] = {p_io, o_backend, v_sim, NULL};
    /* --program and --listen only when given: plc-logic and plc-modbus know their defaults
     * ($RASPIPLC_PROGRAM, which they inherit; the layout's [modbus] listen). */
    char *a_logic[] = {p_logic, cfg->program ? o_program : NULL, (char *)cfg->program, NULL};
    char *a_modbus[] = {p_modbus, cfg->listen ? o_listen : NULL, (char *)cfg->listen, NULL};
    char *a_retain[] = {p_retain, NULL};
    /* plc-web and plc-mqtt write through plc-modbus, so they are told where it listens. */
    char *a_web[8] = {p_web, o_listen, (char *)cfg->web};
    size_t nweb = 3;
    add_option(a_web, &nweb, o_modbus, cfg->listen);
    add_option(a_web, &nweb, o_users, cfg->web_users);
    char *a_mqtt[6] = {p_mqtt};
    size_t nmqtt = 1;
    add_option(a_mqtt, &nmqtt, o_modbus, cfg->listen);
    add_option(a_mqtt, &nmqtt, o_broker, cfg->mqtt_broker);
    struct plc_supervise_service services[7] = {
        {.name = "plc-shm-init", .argv = a_init, .oneshot = true},
        {.name = "plc-io", .argv = a_io},
        {.name = "plc-logic", .argv = a_logic},
        {.name = "plc-modbus", .argv = a_modbus},
        {.name = "plc-retain", .argv = a_retain, .stop_stage = 1},
    };
    size_t nservices = 5;
    if (cfg->web)
        services[nservices++] = (struct plc_supervise_service){.name = "plc-web", .argv = a_web};
    cfg->mqtt_run = mqtt_wanted(cfg);
    if (cfg->mqtt_run)
        services[nservices++] = (struct plc_supervise_service){.name = "plc-mqtt", .argv = a_mqtt};

    struct plc_supervise_config sc = {
        .services = services,
        .nservices = nservices,
        .log_dir = cfg->log_dir,
        .restart_delay_ns = cfg->restart_us ? cfg->restart_us * 1000LL : 1,
        .status_interval_ns = cfg->status_us * 1000LL,
        .redraw = isatty(STDOUT_FILENO),
        .status = status_tables,
        .status_user = cfg,
        .out = stdout,
    };
    struct plc_supervise *sv = plc_supervise_new(&sc);
    if (!sv)
        return 1;
    int rc = plc_supervise_run(sv, sigfd);
    plc_supervise_free(sv);
    return rc < 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    struct config cfg = {0};

    if (parse_args(argc, argv, &cfg) < 0)
        return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    cfg.l = plc_service_load_layout("plc-supervise", cfg.layout);
    if (!cfg.l)
        return 1;
    export_env(&cfg);
    int sigfd = open_signalfd();
    if (sigfd < 0) {
        fprintf(stderr, "plc-supervise: signalfd: %s\n", strerror(errno));
        plc_layout_free(cfg.l);
        return 1;
    }
    int rc = supervise(&cfg, sigfd);
    close(sigfd);
    plc_layout_free(cfg.l);
    return rc;
}
