/* SPDX-License-Identifier: MIT */
/*
 * plcctl force TAG VALUE [--for DURATION], unforce TAG|--all, forces: the
 * forcing table (plc-force.h, docs/forcing.md). Everything is checked before
 * the table is opened for writing, so a refused force writes nothing. Each
 * force and release is also an event in plcctl's ring, when there is one.
 */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "plc-force.h"
#include "plcctl.h"

enum { COL_TAG, COL_REGION, COL_VALUE, COL_BY, COL_SINCE, COL_UNTIL, COL_COUNT };

static const struct table_column columns[COL_COUNT] = {
    [COL_TAG] = {"TAG", "tag", false, NULL},
    [COL_REGION] = {"REGION", "region", false, NULL},
    [COL_VALUE] = {"VALUE", "value", true, NULL},
    [COL_BY] = {"BY", "by", false, NULL},
    [COL_SINCE] = {"SINCE", "since", false, NULL},
    [COL_UNTIL] = {"UNTIL", "until", false, NULL},
};

struct plc_force_table *ctl_forces_open(const struct ctl *ctl)
{
    return plc_force_table_open(ctl->layout, ctl->base, PLC_READER, NULL);
}

void ctl_until_text(int64_t until, char *buf, size_t len)
{
    if (until == PLC_FORCE_FOREVER) {
        snprintf(buf, len, "forever");
        return;
    }
    time_t now = time(NULL), then = (time_t)(until / 1000000000);
    struct tm a, b;
    localtime_r(&now, &a);
    localtime_r(&then, &b);
    if (a.tm_year == b.tm_year && a.tm_yday == b.tm_yday)
        strftime(buf, len, "%H:%M:%S", &b);
    else
        ctl_format_time((uint64_t)until, buf, len);
}

bool ctl_force_marker(struct plc_force_table *forces, const struct plc_tag_def *tag, char *buf,
                      size_t len)
{
    struct plc_force f;
    char until[64];
    if (!forces || plc_force_table_find(forces, tag, 0, &f) != 1)
        return false;
    ctl_until_text(f.until_ns, until, sizeof(until));
    snprintf(buf, len, "FORCED %s%s", f.until_ns == PLC_FORCE_FOREVER ? "" : "until ", until);
    return true;
}

void ctl_user(char *buf, size_t len)
{
    const char *sudo = getenv("SUDO_USER");
    struct passwd *pw = getpwuid(getuid());
    if (getuid() == 0 && sudo && *sudo)
        snprintf(buf, len, "%s", sudo);
    else if (pw)
        snprintf(buf, len, "%s", pw->pw_name);
    else
        snprintf(buf, len, "%u", (unsigned)getuid());
}

struct ctl_stamp ctl_stamp_now(void)
{
    struct timespec rt, mono;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_MONOTONIC, &mono);
    return (struct ctl_stamp){(int64_t)rt.tv_sec * 1000000000 + rt.tv_nsec,
                              (uint64_t)mono.tv_sec * 1000000000u + (uint64_t)mono.tv_nsec};
}

void ctl_tell(const struct ctl *ctl, const struct ctl_stamp *at, enum plc_event_kind kind,
              const char *name, const char *user, int64_t until, double before, double after)
{
    char path[4096], when[64], text[128];
    struct plc_event ev;
    if (plc_event_ring_path(ctl->layout, ctl->base, PLC_SOURCE_PLCCTL, path, sizeof(path)) < 0)
        return;
    struct plc_event_ring *ring =
        plc_event_ring_open(path, PLC_WRITER, plc_layout_get_hash(ctl->layout), NULL);
    if (!ring)
        return;
    ctl_until_text(until, when, sizeof(when));
    if (until)
        snprintf(text, sizeof(text), "%s until %s", user, when);
    else
        snprintf(text, sizeof(text), "%s", user);
    if (plc_event_init(&ev, PLC_SOURCE_PLCCTL, kind, LOG_NOTICE, name, text) == 0) {
        ev.realtime_ns = at->realtime_ns;
        ev.mono_ns = at->mono_ns;
        ev.before = before;
        ev.after = after;
        plc_event_ring_append(ring, &ev);
    }
    plc_event_ring_close(ring);
}

struct plc_force_table *ctl_forces_open_writer(const struct ctl *ctl)
{
    struct plc_diag diag;
    struct plc_force_table *t = plc_force_table_open(ctl->layout, ctl->base, PLC_WRITER, &diag);
    if (!t)
        ctl_err_diag(&diag);
    return t;
}

/* --for DURATION, within [logic] force_max; forever only where force_max is. */
static int parse_for(const struct ctl *ctl, const char *text, int64_t now, int64_t *until)
{
    const struct plc_logic_def *logic = plc_layout_get_logic(ctl->layout);
    struct plc_diag diag;
    uint32_t s = logic->force_timeout_s;
    if (text && strcmp(text, "forever") == 0) {
        if (logic->force_max_s) {
            ctl_err("force: --for forever: the layout's [logic] force_max is not forever");
            return -1;
        }
        *until = PLC_FORCE_FOREVER;
        return 0;
    }
    if (text && plc_duration_parse_s(text, 1,
                                     logic->force_max_s ? logic->force_max_s
                                                        : PLC_LOGIC_FORCE_MAX_MAX_S,
                                     "force: --for", &s, &diag) < 0) {
        ctl_err("%s ([logic] force_max)", diag.msg);
        return -1;
    }
    *until = now + (int64_t)s * 1000000000;
    return 0;
}

int ctl_force(struct ctl *ctl, int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL}, *dur = NULL;
    size_t npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--for") == 0 && i + 1 < argc)
            dur = argv[++i];
        else if (strncmp(argv[i], "--for=", 6) == 0)
            dur = argv[i] + 6;
        else if (npos < 2 && strcmp(argv[i], "--for") != 0)
            pos[npos++] = argv[i];
        else
            return ctl_usage("force");
    }
    if (npos != 2)
        return ctl_usage("force");

    struct plc_diag diag;
    struct plc_force f = {.uid = (uint32_t)getuid()};
    if (ctl_find_tags(ctl, (char *const *)pos, 1, &f.tag) < 0)
        return CTL_FAIL;
    if (!plc_force_tag_check(f.tag, &diag)) {
        ctl_err_diag(&diag);
        return CTL_FAIL;
    }
    if (plc_force_value_parse(f.tag, pos[1], &f.value, &diag) < 0) {
        ctl_err("force: %s", diag.msg);
        return CTL_USAGE;
    }
    f.since_ns = (int64_t)ctl_realtime_ns();
    if (parse_for(ctl, dur, f.since_ns, &f.until_ns) < 0)
        return CTL_USAGE;
    ctl_user(f.user, sizeof(f.user));

    struct plc_force_table *t = ctl_forces_open_writer(ctl);
    if (!t)
        return CTL_FAIL;
    struct ctl_stamp at = ctl_stamp_now();
    int rc = plc_force_table_set(t, &f);
    int err = errno;
    plc_force_table_close(t);
    if (rc < 0) {
        if (err == ENOSPC)
            ctl_err("force: tag '%s': %u tags are forced already, the most there can be",
                    f.tag->name, PLC_FORCE_CAPACITY);
        else
            ctl_err("force: tag '%s': %s", f.tag->name, plc_strerror(err));
        return CTL_FAIL;
    }
    ctl_tell(ctl, &at, PLC_EVENT_FORCE_ON, f.tag->name, f.user, f.until_ns, 0,
             plc_value_to_double(f.tag->type, &f.value));
    char value[64], until[64];
    plc_value_format(f.tag->type, &f.value, value, sizeof(value));
    ctl_until_text(f.until_ns, until, sizeof(until));
    printf("%s forced to %s %s%s\n", f.tag->name, value,
           f.until_ns == PLC_FORCE_FOREVER ? "" : "until ", until);
    return CTL_OK;
}

int ctl_unforce(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    const struct plc_tag_def *tag = NULL;
    bool all = strcmp(argv[1], "--all") == 0;
    if (!all && ctl_find_tags(ctl, argv + 1, 1, &tag) < 0)
        return CTL_FAIL;
    struct plc_force_table *t = ctl_forces_open_writer(ctl);
    if (!t)
        return CTL_FAIL;
    struct plc_force released[PLC_FORCE_CAPACITY];
    struct ctl_stamp at = ctl_stamp_now();
    int n = plc_force_table_clear(t, tag, released, PLC_FORCE_CAPACITY);
    plc_force_table_close(t);
    if (n == 0 && tag) {
        ctl_err("unforce: tag '%s' is not forced", tag->name);
        return CTL_FAIL;
    }
    for (int i = 0; i < n; i++) {
        ctl_user(released[i].user, sizeof(released[i].user));
        ctl_tell(ctl, &at, PLC_EVENT_FORCE_OFF, released[i].tag->name, released[i].user, 0,
                 plc_value_to_double(released[i].tag->type, &released[i].value), 0);
        printf("%s released\n", released[i].tag->name);
    }
    if (n == 0)
        printf("no tag was forced\n");
    return CTL_OK;
}

int ctl_forces(struct ctl *ctl, int argc, char **argv)
{
    (void)argc, (void)argv;
    struct plc_diag diag;
    struct plc_force_table *ft = plc_force_table_open(ctl->layout, ctl->base, PLC_READER, &diag);
    if (!ft) {
        ctl_err_diag(&diag);
        return CTL_FAIL;
    }
    struct plc_force f[PLC_FORCE_CAPACITY];
    int n = plc_force_table_list(ft, 0, f);
    plc_force_table_close(ft);
    if (n < 0) {
        ctl_err("forces: %s", plc_strerror(errno));
        return CTL_FAIL;
    }
    struct table *t = table_new(columns, COL_COUNT, TABLE_ARRAY);
    if (!t)
        return CTL_FAIL;
    char since[64], until[64];
    for (int i = 0; i < n; i++) {
        table_row(t);
        table_str(t, COL_TAG, f[i].tag->name);
        table_str(t, COL_REGION, f[i].tag->region->name);
        table_exact(t, COL_VALUE, f[i].tag->type, &f[i].value);
        table_str(t, COL_BY, f[i].user);
        ctl_format_time((uint64_t)f[i].since_ns, since, sizeof(since));
        table_str(t, COL_SINCE, since);
        if (f[i].until_ns == PLC_FORCE_FOREVER)
            snprintf(until, sizeof(until), "forever");
        else
            ctl_format_time((uint64_t)f[i].until_ns, until, sizeof(until));
        table_str(t, COL_UNTIL, until);
    }
    int rc = table_print(t, stdout, ctl->json) == 0 ? CTL_OK : CTL_FAIL;
    table_free(t);
    return rc;
}
