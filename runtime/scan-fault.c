/* SPDX-License-Identifier: MIT */
/*
 * Faults of the scan engine: the outputs' safe values, entering a fault
 * (program, watchdog, input) and leaving it by the logic section's
 * fault_restart (auto restart, a reset command, plc_scan_reset_fault()) with
 * a cold restart of the program.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "scan-internal.h"

const char *plc_scan_state_name(enum plc_scan_state st)
{
    return st == PLC_SCAN_RUNNING ? "running" : st == PLC_SCAN_FAULTED ? "faulted" : "?";
}

const char *plc_fault_cause_name(enum plc_fault_cause c)
{
    static const char *const names[] = {"none", "watchdog", "program", "input"};
    return (unsigned)c < 4 ? names[c] : "?";
}

/*
 * Publish the outputs at their safe values: safe = value tags set, safe =
 * hold tags as last published. The watchdog thread calls this while the
 * program may still be writing the working copy, so only last_pub and
 * safe_buf are touched here.
 */
void plc_scan_write_safe_outputs(struct plc_scan *s)
{
    if (s->outputs == s->n)
        return;
    const struct plc_region_def *def = plc_region_get_def(s->reg[s->outputs]);
    memcpy(s->safe_buf, s->last_pub, def->data_size);
    for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(s->layout, i);
        if (t->safe_mode == PLC_SAFE_VALUE)
            plc_value_store(t->type, &t->safe_v, (unsigned char *)s->safe_buf + t->offset);
    }
    memcpy(s->last_pub, s->safe_buf, def->data_size);
    plc_scan_publish(s, s->outputs, s->safe_buf);
}

/* The working copy becomes the safe picture: a program that runs again starts
 * from what the field really sees. Scan thread only. */
void plc_scan_reset_working_outputs(struct plc_scan *s)
{
    if (s->outputs != s->n)
        memcpy(s->buf[s->outputs], s->last_pub,
               plc_region_get_def(s->reg[s->outputs])->data_size);
}

static double reset_value(struct plc_scan *s)
{
    const struct plc_tag_def *t = s->logic.reset_command;
    return t ? plc_scan_tag_value(s, t) : 0;
}

void plc_scan_enter_fault(struct plc_scan *s, enum plc_fault_cause cause, bool outputs_done,
                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->fault, sizeof(s->fault), fmt, ap);
    va_end(ap);
    s->state = PLC_SCAN_FAULTED;
    s->cause = cause;
    s->faults++;
    s->fault_at = plc_scan_now(s);
    s->reset_seen = reset_value(s);
    if (!outputs_done)
        plc_scan_write_safe_outputs(s);
    plc_scan_reset_working_outputs(s);
    if (s->logic.restart == PLC_RESTART_AUTO)
        plc_scan_log(s, PLC_LOG_ERR, "fault: %s; outputs safe; restarting in %" PRIu32 " ms",
                     s->fault, s->logic.restart_delay_us / 1000u);
    else if (s->logic.reset_command)
        plc_scan_log(s, PLC_LOG_ERR, "fault: %s; outputs safe until '%s' changes", s->fault,
                     s->logic.reset_command->name);
    else
        plc_scan_log(s, PLC_LOG_ERR, "fault: %s; outputs safe until reset", s->fault);
    plc_scan_event(s, PLC_EVENT_PROGRAM_FAULT, PLC_LOG_ERR, s->prog.desc->name, 0, cause,
                   s->fault);
    s->outputs_safe = true;
    if (s->outputs != s->n)
        plc_scan_event(s, PLC_EVENT_OUTPUTS_SAFE, PLC_LOG_WARNING,
                       plc_region_get_def(s->reg[s->outputs])->name, 1, 0,
                       plc_fault_cause_name(cause));
    plc_scan_publish_diagnostics(s, PLC_SCAN_FAULTED, cause);
}

/* Leave the fault: a cold restart of the program (state cleared, init, first scan). */
void plc_scan_leave_fault(struct plc_scan *s, const char *why)
{
    if (s->state_size)
        memset(s->pstate, 0, s->state_size);
    s->state = PLC_SCAN_RUNNING;
    s->cause = PLC_FAULT_NONE;
    s->fault[0] = '\0';
    plc_scan_log(s, PLC_LOG_NOTICE, "leaving fault (%s): program '%s' restarts", why,
                 s->prog.desc->name ? s->prog.desc->name : "?");
    plc_scan_event(s, PLC_EVENT_PROGRAM_RECOVERY, PLC_LOG_NOTICE, s->prog.desc->name, 1, 0, why);
    plc_scan_call_init(s);
}

int plc_scan_reset_fault(struct plc_scan *s)
{
    if (s->state != PLC_SCAN_FAULTED) {
        errno = EALREADY;
        return -1;
    }
    plc_scan_leave_fault(s, "reset");
    return 0;
}

/*
 * A faulted cycle: whether to leave the fault. An input fault is the process
 * image's, not the program's: it ends by itself once every region reads again
 * (@readable), whatever fault_restart says, with the same cold restart, so
 * the machine does not start again on its own. Program and watchdog faults
 * end as fault_restart says.
 */
void plc_scan_fault_cycle(struct plc_scan *s, uint64_t wake, bool readable)
{
    if (s->cause == PLC_FAULT_INPUT) {
        if (readable)
            plc_scan_leave_fault(s, "every region reads again");
    } else if (s->logic.restart == PLC_RESTART_AUTO) {
        if (wake - s->fault_at >= (uint64_t)s->logic.restart_delay_us * 1000u)
            plc_scan_leave_fault(s, "auto restart");
    } else if (s->logic.reset_command && reset_value(s) != s->reset_seen) {
        plc_scan_leave_fault(s, s->logic.reset_command->name);
    }
    if (s->outputs != s->n && s->state == PLC_SCAN_FAULTED)
        plc_region_heartbeat(s->reg[s->outputs]);
}
