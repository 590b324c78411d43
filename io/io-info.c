/* SPDX-License-Identifier: MIT */
/* The line table of struct plc_io: each bound line's settings, value and counters. */
#include <errno.h>
#include <string.h>

#include "io-internal.h"

size_t plc_io_line_count(const struct plc_io *io)
{
    return io->nin + io->nout;
}

int plc_io_line_get_info(struct plc_io *io, size_t i, struct plc_io_line_info *info)
{
    if (i >= io->nin + io->nout) {
        errno = ERANGE;
        return -1;
    }
    const struct plc_io_line *l = &io->lines[i];
    memset(info, 0, sizeof(*info));
    info->tag = l->tag;
    info->output = l->output;
    snprintf(info->chip, sizeof(info->chip), "%s", l->chip);
    info->offset = l->offset;
    snprintf(info->name, sizeof(info->name), "%s", l->name);
    info->kernel_debounce = l->kernel_debounce;
    pthread_mutex_lock(&io->lock);
    if (l->output) {
        info->value = io->out[i - io->nin].value;
        info->changes = io->out[i - io->nin].changes;
    } else {
        info->value = io->in[i].published;
        info->changes = io->in[i].changes;
        info->events = io->in[i].events;
        info->last_event_ns = io->in[i].last_event_ns;
    }
    pthread_mutex_unlock(&io->lock);
    return 0;
}

enum plc_io_output_state plc_io_get_output_state(struct plc_io *io)
{
    pthread_mutex_lock(&io->lock);
    enum plc_io_output_state s = io->out_state;
    pthread_mutex_unlock(&io->lock);
    return s;
}

int plc_io_print_lines(struct plc_io *io, FILE *out)
{
    fprintf(out, "%-20s %-3s %-12s %-6s %-10s %-10s %-11s %-9s %-8s %s\n", "TAG", "DIR",
            "CHIP", "OFFSET", "NAME", "BIAS", "DRIVE", "ACTIVE", "DEBOUNCE", "SAFE");
    for (size_t i = 0; i < io->nin + io->nout; i++) {
        const struct plc_io_line *l = &io->lines[i];
        const struct plc_gpio_binding *g = &l->tag->gpio;
        char deb[32] = "-", safe[16] = "-";
        if (!l->output && g->debounce_us)
            snprintf(deb, sizeof(deb), "%uus%s", g->debounce_us,
                     l->kernel_debounce ? "(k)" : "");
        if (l->output)
            snprintf(safe, sizeof(safe), "%s",
                     l->tag->safe_mode == PLC_SAFE_HOLD ? "hold" : l->tag->safe ? "1" : "0");
        fprintf(out, "%-20s %-3s %-12s %-6u %-10s %-10s %-11s %-9s %-8s %s\n", l->tag->name,
                l->output ? "out" : "in", l->chip, l->offset, l->name[0] ? l->name : "-",
                plc_gpio_bias_name(g->bias), l->output ? plc_gpio_drive_name(g->drive) : "-",
                g->active_low ? "low" : "high", deb, safe);
    }
    return ferror(out) ? -1 : 0;
}
