/* SPDX-License-Identifier: MIT */
/*
 * plc-web: the process image in a browser and as a JSON API (docs/web.md).
 * Parses the options, loads the layout, runs libplc_web until SIGTERM/SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "plc-web.h"
#include "plc.h"
#include "report.h"
#include "user.h"

struct config {
    const char *layout;
    const char *base_dir;
    struct plc_web_config web;
};

static void usage(FILE *out)
{
    fprintf(
        out,
        "usage: plc-web [OPTIONS] [LAYOUT]\n"
        "       plc-web user add NAME --role ROLE [--users FILE] | user del NAME [--users FILE]\n"
        "Serve the RaspiPLC process image over HTTP: a status page and a JSON API\n"
        "under /api/, with logins for operator writes (docs/web.md).\n"
        "\n"
        "  --listen HOST:PORT   address to listen on (default %s; port 0 picks one)\n"
        "  --timeout SECONDS    close a connection idle this long (default %u)\n"
        "  --max-connections N  refuse connections past N at once (default %u)\n"
        "  --poll-ms MS         read the regions this often for changes (default %u)\n"
        "  --layout FILE        layout file (default: $RASPIPLC_LAYOUT, then the installed one)\n"
        "  -b, --base-dir DIR   base directory of the regions (default: $RASPIPLC_BASE_DIR)\n"
        "  --users FILE         users who may log in (default %s;\n"
        "                       made by 'plc-web user add')\n"
        "  --modbus HOST:PORT   the Modbus gateway writes go through (default: the\n"
        "                       layout's [modbus] listen address)\n"
        "  --tls-cert FILE      serve HTTPS with this PEM certificate ...\n"
        "  --tls-key FILE       ... and this PEM private key\n"
        "  --insecure-cookies   login cookie without Secure: for plain HTTP off localhost\n"
        "  -h, --help           show this help\n"
        "\n"
        "Once listening it prints \"plc-web: listening on HOST:PORT\" on stdout.\n",
        PLC_WEB_LISTEN_DEFAULT, PLC_WEB_TIMEOUT_S_DEFAULT, PLC_WEB_MAX_CONNECTIONS_DEFAULT,
        PLC_WEB_POLL_MS_DEFAULT, PLC_WEB_USERS_DEFAULT);
}

/* A whole number in [min, max] from @p text, or -1 after saying what is wrong. */
static int parse_uint(const char *opt, const char *text, unsigned min, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (errno || end == text || *end || text[0] == '-' || v < min || v > max) {
        fprintf(stderr, "plc-web: --%s '%s' is not a number from %u to %u\n", opt, text, min, max);
        return -1;
    }
    *out = (unsigned)v;
    return 0;
}

static int parse_args(int argc, char **argv, struct config *cfg)
{
    enum { OPT_LISTEN = 256, OPT_TIMEOUT, OPT_MAX, OPT_POLL, OPT_LAYOUT, OPT_USERS, OPT_MODBUS,
           OPT_TLS_CERT, OPT_TLS_KEY, OPT_INSECURE_COOKIES };
    static const struct option opts[] = {
        {"listen", required_argument, NULL, OPT_LISTEN},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"max-connections", required_argument, NULL, OPT_MAX},
        {"poll-ms", required_argument, NULL, OPT_POLL},
        {"layout", required_argument, NULL, OPT_LAYOUT},
        {"users", required_argument, NULL, OPT_USERS},
        {"modbus", required_argument, NULL, OPT_MODBUS},
        {"tls-cert", required_argument, NULL, OPT_TLS_CERT},
        {"tls-key", required_argument, NULL, OPT_TLS_KEY},
        {"insecure-cookies", no_argument, NULL, OPT_INSECURE_COOKIES},
        {"base-dir", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *layout = NULL;
    struct plc_diag diag;
    int c;
    cfg->web = (struct plc_web_config){
        .listen = PLC_WEB_LISTEN_DEFAULT,
        .timeout_s = PLC_WEB_TIMEOUT_S_DEFAULT,
        .max_connections = PLC_WEB_MAX_CONNECTIONS_DEFAULT,
        .poll_ms = PLC_WEB_POLL_MS_DEFAULT,
        .max_body = PLC_WEB_MAX_BODY_DEFAULT,
        .users = PLC_WEB_USERS_DEFAULT,
    };
    while ((c = getopt_long(argc, argv, "b:h", opts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case OPT_LISTEN:
            cfg->web.listen = optarg;
            break;
        case OPT_TIMEOUT:
            rc = parse_uint("timeout", optarg, 1, 3600, &cfg->web.timeout_s);
            break;
        case OPT_MAX:
            rc = parse_uint("max-connections", optarg, 1, 10000, &cfg->web.max_connections);
            break;
        case OPT_POLL:
            rc = parse_uint("poll-ms", optarg, 1, 10000, &cfg->web.poll_ms);
            break;
        case OPT_LAYOUT:
            layout = optarg;
            break;
        case OPT_USERS:
            cfg->web.users = optarg;
            break;
        case OPT_MODBUS:
            cfg->web.modbus = optarg;
            break;
        case OPT_TLS_CERT:
            cfg->web.tls_cert = optarg;
            break;
        case OPT_TLS_KEY:
            cfg->web.tls_key = optarg;
            break;
        case OPT_INSECURE_COOKIES:
            cfg->web.insecure_cookies = true;
            break;
        case 'b':
            cfg->base_dir = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -1;
        }
        if (rc < 0)
            return -1;
    }
    if (argc - optind > 1) {
        usage(stderr);
        return -1;
    }
    cfg->layout = plc_layout_path_choose(layout, optind < argc ? argv[optind] : NULL, &diag);
    if (!cfg->layout) {
        fprintf(stderr, "plc-web: %s\n", diag.msg);
        return -1;
    }
    return 0;
}

/* Browsers keep a Secure cookie over plain HTTP only from localhost. */
static void warn_cookie(const struct plc_web_config *cfg)
{
    const char *l = cfg->listen;
    bool loopback = strncmp(l, "127.", 4) == 0 || strncmp(l, "[::1]:", 6) == 0 ||
                    strncmp(l, "localhost:", 10) == 0;
    if (!loopback && !cfg->tls_cert && !cfg->insecure_cookies)
        fprintf(stderr,
                "plc-web: warning: listening on '%s' without TLS: browsers will not keep the "
                "login cookie (it is Secure) unless --tls-cert/--tls-key or "
                "--insecure-cookies is given\n",
                l);
}

int main(int argc, char **argv)
{
    struct config cfg = {0};
    struct plc_diag diag;
    if (argc > 1 && strcmp(argv[1], "user") == 0)
        return plc_web_user_main(argc - 1, argv + 1);
    if (parse_args(argc, argv, &cfg) < 0)
        return 2;
    struct plc_layout *layout = plc_service_load_layout("plc-web", cfg.layout);
    if (!layout)
        return 1;
    /* Blocked before any thread starts, so only sigwait() below takes them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGTERM);
    sigaddset(&stop, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct plc_web *web = plc_web_new(layout, plc_base_dir(layout, cfg.base_dir), &cfg.web, &diag);
    if (!web) {
        plc_service_report("plc-web", &diag);
        plc_layout_free(layout);
        return 1;
    }
    warn_cookie(&cfg.web);
    const char *colon = strrchr(cfg.web.listen, ':');
    printf("plc-web: listening on %.*s:%u\n", (int)(colon - cfg.web.listen), cfg.web.listen,
           plc_web_get_port(web));
    fflush(stdout);
    sd_notify(0, "READY=1");
    int sig;
    sigwait(&stop, &sig);
    sd_notify(0, "STOPPING=1");
    plc_web_free(web);
    plc_layout_free(layout);
    return 0;
}
