/* SPDX-License-Identifier: MIT */
#include <systemd/sd-daemon.h>
#include <time.h>

#include "sd-watchdog.h"

bool plc_sd_watchdog_init(struct plc_sd_watchdog *w)
{
    w->last = 0;
    if (sd_watchdog_enabled(0, &w->usec) <= 0)
        w->usec = 0;
    return w->usec != 0;
}

void plc_sd_watchdog_feed(void *user)
{
    struct plc_sd_watchdog *w = user;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
    if (now - w->last >= w->usec / 4) {
        sd_notify(0, "WATCHDOG=1");
        w->last = now;
    }
}
