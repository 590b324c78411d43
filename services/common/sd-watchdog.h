/* SPDX-License-Identifier: MIT */
/* systemd's watchdog for the services' main loops (WatchdogSec= in their units). */
#ifndef PLC_SD_WATCHDOG_H
#define PLC_SD_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

struct plc_sd_watchdog {
    uint64_t usec; /* WATCHDOG_USEC; 0 when systemd does not watch this process */
    uint64_t last; /* CLOCK_MONOTONIC us of the last ping */
};

/* Whether systemd watches this process; fills @w either way. */
bool plc_sd_watchdog_init(struct plc_sd_watchdog *w);

/* Call from every turn of the main loop (a struct plc_sd_watchdog * as void *):
 * pings WATCHDOG=1 at a quarter of the interval, so no system call per turn. */
void plc_sd_watchdog_feed(void *w);

#endif
