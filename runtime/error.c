/* SPDX-License-Identifier: MIT */
/* The one place our errno values get their words. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const messages[] = {
    [PLC_ENOREGION - PLC_ERRNO_BASE] = "region not found: has plc-shm-init run?",
    [PLC_EMAGIC - PLC_ERRNO_BASE] = "not a RaspiPLC region (bad magic)",
    [PLC_EFORMAT - PLC_ERRNO_BASE] = "region header format of another release",
    [PLC_ELAYOUT - PLC_ERRNO_BASE] = "region made from another layout",
    [PLC_ESIZE - PLC_ERRNO_BASE] = "region size differs from the layout",
    [PLC_EPATH - PLC_ERRNO_BASE] = "region path is a symlink, not a regular file, or outside "
                                   "the base directory",
    [PLC_EHELD - PLC_ERRNO_BASE] = "region is held by another live writer",
    [PLC_ENOTWRITER - PLC_ERRNO_BASE] = "the layout names another service as the writer",
    [PLC_EDEADWRITER - PLC_ERRNO_BASE] = "region left mid-write by a writer that died: it is "
                                         "readable again once its service restarts",
    [PLC_ERETIRED - PLC_ERRNO_BASE] = "region was re-created: attach again",
    [PLC_EBUSY - PLC_ERRNO_BASE] = "region kept changing for the whole bounded read",
};

const char *plc_strerror(int errnum)
{
    size_t i = (size_t)errnum - PLC_ERRNO_BASE;
    if (errnum > PLC_ERRNO_BASE && i < sizeof(messages) / sizeof(messages[0]) && messages[i])
        return messages[i];
    return strerror(errnum);
}

void plc_logf(void (*log)(void *user, int level, const char *msg), void *user, int level,
              const char *fmt, ...)
{
    if (!log)
        return;
    char msg[1400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log(user, level, msg);
}
