/* SPDX-License-Identifier: MIT */
/*
 * plcctl shelve ALARM [--for DURATION], unshelve ALARM|--all: shelvings in
 * the forcing table (plc-force.h), which plc-logic applies to its alarms
 * (docs/alarms.md, "Shelving from plcctl"). As for force, everything is
 * checked before the table is opened for writing, so a refusal writes
 * nothing; each shelving and its end is an event in plcctl's ring.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "plc-force.h"
#include "plcctl.h"

/* Without --for: the alarm's alarm_shelve_max, but at most an hour, so a
 * shelving nobody thought about ends within the hour. */
#define DEFAULT_FOR_S 3600u

/* The layout's alarm @name, or NULL having said which alarms there are. */
static const struct plc_alarm_def *find_alarm(const struct ctl *ctl, const char *verb,
                                              const char *name)
{
    const struct plc_layout *l = ctl->layout;
    const struct plc_alarm_def *a = plc_layout_find_alarm(l, name);
    if (a)
        return a;
    size_t n = plc_layout_alarm_count(l);
    if (n == 0) {
        ctl_err("%s: no alarm '%s' in layout '%s': it declares no alarms", verb, name,
                plc_layout_get_name(l));
        return NULL;
    }
    char list[512];
    size_t len = 0;
    for (size_t i = 0; i < n && len < sizeof(list); i++) {
        const char *next = plc_layout_alarm_at(l, i)->name;
        if (i == 8 || len + strlen(next) + 8 > sizeof(list)) {
            snprintf(list + len, sizeof(list) - len, ", ... %zu in all", n);
            break;
        }
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", next);
    }
    ctl_err("%s: no alarm '%s' in layout '%s' (its alarms: %s)", verb, name,
            plc_layout_get_name(l), list);
    return NULL;
}

/* --for DURATION, within the alarm's alarm_shelve_max. */
static int parse_for(const struct plc_alarm_def *a, const char *text, uint32_t *s)
{
    struct plc_diag diag;
    char max[16];
    uint32_t most = a->shelve_max_s;
    *s = most < DEFAULT_FOR_S ? most : DEFAULT_FOR_S;
    if (!text)
        return 0;
    int rc = plc_duration_parse_s(text, 0, UINT32_MAX, "shelve: --for", s, &diag);
    if (rc < 0 && errno == EINVAL) {
        ctl_err("%s", diag.msg);
        return -1;
    }
    if (rc == 0 && *s == 0) {
        ctl_err("shelve: --for %s: a shelving lasts at least 1s", text);
        return -1;
    }
    if (rc < 0 || *s > most) {
        plc_duration_format_s(most, max, sizeof(max));
        ctl_err("shelve: alarm '%s' may be shelved for at most %s (alarm_shelve_max)", a->name,
                max);
        return -1;
    }
    return 0;
}

int ctl_shelve(struct ctl *ctl, int argc, char **argv)
{
    const char *name = NULL, *dur = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--for") == 0 && i + 1 < argc)
            dur = argv[++i];
        else if (strncmp(argv[i], "--for=", 6) == 0)
            dur = argv[i] + 6;
        else if (!name && argv[i][0] != '-')
            name = argv[i];
        else
            return ctl_usage("shelve");
    }
    if (!name)
        return ctl_usage("shelve");
    struct plc_shelving s = {.uid = (uint32_t)getuid()};
    uint32_t for_s;
    if (!(s.alarm = find_alarm(ctl, "shelve", name)))
        return CTL_FAIL;
    if (parse_for(s.alarm, dur, &for_s) < 0)
        return CTL_USAGE;
    s.since_ns = (int64_t)ctl_realtime_ns();
    s.until_ns = s.since_ns + (int64_t)for_s * 1000000000;
    ctl_user(s.user, sizeof(s.user));

    struct plc_force_table *t = ctl_forces_open_writer(ctl);
    if (!t)
        return CTL_FAIL;
    struct ctl_stamp at = ctl_stamp_now();
    int rc = plc_force_table_shelve(t, &s);
    int err = errno;
    plc_force_table_close(t);
    if (rc < 0) {
        if (err == ENOSPC)
            ctl_err("shelve: alarm '%s': %u alarms are shelved already, the most there can be",
                    name, PLC_SHELVE_CAPACITY);
        else
            ctl_err("shelve: alarm '%s': %s", name, plc_strerror(err));
        return CTL_FAIL;
    }
    ctl_tell(ctl, &at, PLC_EVENT_ALARM_SHELVED, s.alarm->name, s.user, s.until_ns, 0, 0);
    char until[64];
    ctl_until_text(s.until_ns, until, sizeof(until));
    printf("%s shelved until %s\n", s.alarm->name, until);
    return CTL_OK;
}

int ctl_unshelve(struct ctl *ctl, int argc, char **argv)
{
    (void)argc;
    const struct plc_alarm_def *alarm = NULL;
    bool all = strcmp(argv[1], "--all") == 0;
    if (!all && !(alarm = find_alarm(ctl, "unshelve", argv[1])))
        return CTL_FAIL;
    struct plc_force_table *t = ctl_forces_open_writer(ctl);
    if (!t)
        return CTL_FAIL;
    struct plc_shelving ended[PLC_SHELVE_CAPACITY];
    struct ctl_stamp at = ctl_stamp_now();
    int n = plc_force_table_unshelve(t, alarm, ended, PLC_SHELVE_CAPACITY);
    plc_force_table_close(t);
    if (n == 0 && alarm) {
        ctl_err("unshelve: alarm '%s' is not shelved", alarm->name);
        return CTL_FAIL;
    }
    for (int i = 0; i < n; i++) {
        ctl_user(ended[i].user, sizeof(ended[i].user));
        ctl_tell(ctl, &at, PLC_EVENT_ALARM_UNSHELVED, ended[i].alarm->name, ended[i].user, 0, 0, 0);
        printf("%s unshelved\n", ended[i].alarm->name);
    }
    if (n == 0)
        printf("no alarm was shelved\n");
    return CTL_OK;
}
