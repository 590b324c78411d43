/* SPDX-License-Identifier: MIT */
/*
 * plcctl: inspection of the shared-memory process image, forcing and shelving.
 *
 *   plcctl [--layout FILE] [--base-dir DIR] [--json] [LAYOUT] VERB [ARGS...]
 *
 * main() parses the global options, loads the layout and dispatches to a
 * verb of the table below; each verb lives in its own file and prints through
 * the one table printer (table.c). Exit 0 ok, 1 runtime error, 2 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plcctl.h"


static const struct ctl_verb verbs[] = {
    {"ls", ctl_ls, 0, 0, "", "list the regions: writer, liveness, sequence, readers, counters"},
    {"info", ctl_info, 1, 1, "REGION", "show every header field of one region"},
    {"get", ctl_get, 1, -1, "TAG...", "print tag values (one consistent read per region)"},
    {"dump", ctl_dump, 1, 1, "REGION", "decode every tag of one region"},
    {"watch", ctl_watch, 1, -1, "TAG... [--count N] [--timeout SECONDS]",
     "print tag values, then one line per change until stopped"},
    {"sim", ctl_sim, 1, 4, "set TAG 0|1 | release TAG | get TAG | wait TAG 0|1 [MS] | list",
     "drive inputs and read outputs of the simulated field (plc-io --backend sim)"},
    {"alarms", ctl_alarms, 0, 0, "",
     "list the alarms: state, shelved until, severity, value and limit now, message"},
    {"shelve", ctl_shelve, 1, 3, "ALARM [--for DURATION]",
     "take an alarm out of annunciation (default for: its alarm_shelve_max, at most 1h;\n"
     "      docs/alarms.md)"},
    {"unshelve", ctl_unshelve, 1, 1, "ALARM|--all", "end one alarm's shelving, or every one"},
    {"events", ctl_events, 0, 5, "[--since TIME] [--follow] [--json] [--dir DIR]",
     "the event history, then what the rings hold beyond it; TIME is YYYY-MM-DD[ HH:MM[:SS]],\n"
     "      HH:MM or -10min, -2h; --follow prints new events until stopped"},
    {"retain", ctl_retain, 0, 0, "",
     "show the retain snapshot in use beside the live values ($RASPIPLC_RETAIN_DIR)"},
    {"force", ctl_force, 2, 4, "TAG VALUE [--for DURATION]",
     "hold an input or output at VALUE (default for [logic] force_timeout; docs/forcing.md)"},
    {"unforce", ctl_unforce, 1, 1, "TAG|--all", "release one forced tag, or every one"},
    {"forces", ctl_forces, 0, 0, "", "list the forced tags: value, by whom, since, until"},
    {"mqtt-decode", ctl_mqtt_decode, 0, 1, "[--json]",
     "decode Sparkplug B messages read as mosquitto_sub -v -F '%t %x' prints them "
     "(the layout, when it loads, names tags until a birth does)"},
};

struct config {
    const char *layout;
    const char *base_dir; /* override, or NULL */
    bool json;
    int verb_argc;
    char **verb_argv;
};

/* ---- helpers shared by the verbs ----------------------------------------- */

void ctl_err(const char *fmt, ...)
{
    va_list ap;
    fputs("plcctl: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void ctl_err_diag(const struct plc_diag *diag)
{
    char msg[1200];
    plc_diag_format(diag, msg, sizeof(msg));
    ctl_err("%s", msg);
}

static const struct ctl_verb *find_verb(const char *name)
{
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(verbs[i].name, name) == 0)
            return &verbs[i];
    return NULL;
}

int ctl_usage(const char *verb)
{
    const struct ctl_verb *v = find_verb(verb);
    ctl_err("usage: plcctl %s%s%s", verb, v && v->args[0] ? " " : "", v ? v->args : "");
    return CTL_USAGE;
}

const struct plc_region_def *ctl_find_region(const struct ctl *ctl, const char *name)
{
    const struct plc_region_def *def = plc_layout_find_region(ctl->layout, name);
    if (!def)
        ctl_err("unknown region '%s' in layout '%s'", name, plc_layout_get_name(ctl->layout));
    return def;
}

int ctl_find_tags(const struct ctl *ctl, char *const *names, size_t n,
                  const struct plc_tag_def **tags)
{
    for (size_t i = 0; i < n; i++) {
        tags[i] = plc_layout_find_tag(ctl->layout, names[i]);
        if (!tags[i]) {
            ctl_err("unknown tag '%s' in layout '%s'", names[i],
                    plc_layout_get_name(ctl->layout));
            return -1;
        }
    }
    return 0;
}

struct plc_region *ctl_attach(const struct ctl *ctl, const char *region)
{
    struct plc_diag diag;
    struct plc_region *r =
        plc_region_attach(ctl->layout, ctl->base, region, PLC_READER, NULL, &diag);
    if (!r) {
        int err = errno;
        if (diag.msg[0])
            ctl_err_diag(&diag);
        else
            ctl_err("region '%s': %s", region, plc_strerror(err));
        errno = err;
    }
    return r;
}

uint64_t ctl_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ctl_format_time(uint64_t ns, char *buf, size_t len)
{
    time_t sec = (time_t)(ns / 1000000000u);
    struct tm tm;
    char date[32], zone[8];
    localtime_r(&sec, &tm);
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    strftime(zone, sizeof(zone), "%z", &tm);
    snprintf(buf, len, "%s.%03u%s", date, (unsigned)(ns / 1000000u % 1000u), zone);
}

/* ---- options and dispatch ------------------------------------------------ */

static void usage(FILE *out)
{
    fprintf(out,
            "usage: plcctl [--layout FILE] [--base-dir DIR] [--json] [LAYOUT] COMMAND [ARGS...]\n"
            "Inspect the shared-memory process image; force inputs and outputs, shelve alarms.\n"
            "%s"
            "                         LAYOUT goes before COMMAND (./ls for a file named ls)\n"
            "  --base-dir DIR         regions (default $RASPIPLC_BASE_DIR, the layout's\n"
            "                         base_dir, or %s)\n"
            "  --json                 print JSON instead of columns\n"
            "  --help                 show this help\n"
            "Commands:\n",
            PLC_LAYOUT_HELP, PLC_BASE_DIR_DEFAULT);
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        fprintf(out, "  %s%s%s\n      %s\n", verbs[i].name, verbs[i].args[0] ? " " : "",
                verbs[i].args, verbs[i].help);
    fprintf(out, "Exit status: 0 ok, 1 error, 2 usage error.\n");
}

/* @return -1 to exit with *rc, else 0. */
static int parse_args(int argc, char **argv, struct config *cfg, int *rc)
{
    static const struct option opts[] = {
        {"layout", required_argument, NULL, 'l'},
        {"base-dir", required_argument, NULL, 'b'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    const char *layout = NULL, *positional = NULL;
    struct plc_diag diag;
    int c;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': layout = optarg; break;
        case 'b': cfg->base_dir = optarg; break;
        case 'j': cfg->json = true; break;
        case 'h': usage(stdout); *rc = CTL_OK; return -1;
        default: ctl_err("try plcctl --help"); *rc = CTL_USAGE; return -1;
        }
    }
    /* LAYOUT before COMMAND: a first word that is no command, followed by one that is. */
    if (argc - optind >= 2 && !find_verb(argv[optind]) && find_verb(argv[optind + 1]))
        positional = argv[optind++];
    if (optind >= argc) {
        ctl_err("no command given (try plcctl --help)");
        *rc = CTL_USAGE;
        return -1;
    }
    cfg->layout = plc_layout_path_choose(layout, positional, &diag);
    if (!cfg->layout) {
        ctl_err_diag(&diag);
        *rc = CTL_USAGE;
        return -1;
    }
    cfg->verb_argc = argc - optind;
    cfg->verb_argv = argv + optind;
    return 0;
}

/* The verb named by argv[0] with its arguments counted; NULL after reporting why not. */
static const struct ctl_verb *check_verb(int argc, char **argv, int *rc)
{
    const struct ctl_verb *v = find_verb(argv[0]);
    int n = argc - 1;
    *rc = CTL_USAGE;
    if (!v) {
        ctl_err("unknown command '%s' (try plcctl --help)", argv[0]);
        return NULL;
    }
    if (n == 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: plcctl %s%s%s\n%s\n", v->name, v->args[0] ? " " : "", v->args, v->help);
        *rc = CTL_OK;
        return NULL;
    }
    if (n < v->min_args || (v->max_args >= 0 && n > v->max_args)) {
        ctl_usage(v->name);
        return NULL;
    }
    return v;
}

int main(int argc, char **argv)
{
    struct config cfg = {0};
    struct plc_diag diag;
    int rc;

    if (parse_args(argc, argv, &cfg, &rc) < 0)
        return rc;
    const struct ctl_verb *verb = check_verb(cfg.verb_argc, cfg.verb_argv, &rc);
    if (!verb)
        return rc;
    struct ctl ctl = {.json = cfg.json};
    ctl.layout = plc_layout_load(cfg.layout, &diag);
    if (!ctl.layout && verb->run == ctl_mqtt_decode) {
        /* It reads messages, not the image: the layout only names aliases before a birth. */
        ctl_err_diag(&diag);
        fprintf(stderr, "plcctl: mqtt-decode: tag names come from the births only\n");
        return verb->run(&ctl, cfg.verb_argc, cfg.verb_argv);
    }
    if (!ctl.layout) {
        ctl_err_diag(&diag);
        return CTL_FAIL;
    }
    ctl.base = plc_base_dir(ctl.layout, cfg.base_dir);
    rc = verb->run(&ctl, cfg.verb_argc, cfg.verb_argv);
    plc_layout_free(ctl.layout);
    return rc;
}
