/* SPDX-License-Identifier: MIT */
/* Shared between the files of retain snapshots (snapshot.c, retain.c); not installed. */
#ifndef PLC_RETAIN_INTERNAL_H
#define PLC_RETAIN_INTERNAL_H

#include "internal.h"
#include "plc-retain.h"

/* Format one operator message and hand it to @log at @level; nothing when @log is NULL. */
void plc_retain_logf(plc_retain_log_fn *log, void *user, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
