/* SPDX-License-Identifier: MIT */
/* Events as people read them: one line, the severity's name, the boot they happened in. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "plc-event-history.h"

uint64_t plc_event_history_boot_id(void)
{
    char text[64];
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "re");
    if (!f)
        return 0;
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    fclose(f);
    text[n] = '\0';
    uint64_t id = 0;
    unsigned digits = 0;
    for (const char *p = text; *p && digits < 16; p++) {
        if (!isxdigit((unsigned char)*p))
            continue;
        id = id << 4 | (uint64_t)(isdigit((unsigned char)*p) ? *p - '0'
                                                             : tolower((unsigned char)*p) - 'a' + 10);
        digits++;
    }
    return id;
}

bool plc_event_has_values(const struct plc_event *ev)
{
    return ev->kind == PLC_EVENT_FORCE_ON || ev->kind == PLC_EVENT_FORCE_OFF ||
           ev->kind == PLC_EVENT_MODBUS_WRITE || ev->before != 0 || ev->after != 0;
}

int plc_event_record_compare(const void *a, const void *b)
{
    const struct plc_event_record *x = a, *y = b;
    if (x->boot != y->boot) { /* boots by when they started */
        int64_t bx = x->ev.realtime_ns - (int64_t)x->ev.mono_ns;
        int64_t by = y->ev.realtime_ns - (int64_t)y->ev.mono_ns;
        return bx < by ? -1 : bx > by;
    }
    if (x->ev.mono_ns != y->ev.mono_ns)
        return x->ev.mono_ns < y->ev.mono_ns ? -1 : 1;
    return x->ev.source != y->ev.source ? x->ev.source - y->ev.source
                                        : (x->ev.seq > y->ev.seq) - (x->ev.seq < y->ev.seq);
}

const char *plc_event_severity_name(int severity)
{
    static const char *const names[] = {"emerg",   "alert",  "crit", "err",
                                        "warning", "notice", "info", "debug"};
    return severity >= 0 && severity < 8 ? names[severity] : "?";
}

int plc_event_format(const struct plc_event *ev, char *buf, size_t len)
{
    char name[40] = "", values[64] = "";
    char text[sizeof(ev->text) + 1];
    if (ev->name[0])
        snprintf(name, sizeof(name), " '%.*s'", (int)sizeof(ev->name), ev->name);
    if (plc_event_has_values(ev))
        snprintf(values, sizeof(values), " %.15g -> %.15g", ev->before, ev->after);
    snprintf(text, sizeof(text), "%.*s", (int)sizeof(ev->text), ev->text);
    return snprintf(buf, len, "%s %s%s%s%s%s", plc_event_source_name(ev->source),
                    plc_event_kind_name(ev->kind), name, values, text[0] ? ": " : "", text);
}
