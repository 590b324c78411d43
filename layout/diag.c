/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <string.h>

#include "plc-layout.h"

int plc_diag_format(const struct plc_diag *diag, char *buf, size_t len)
{
    if (diag->file[0] && diag->line)
        return snprintf(buf, len, "%s:%u: %s", diag->file, diag->line, diag->msg);
    if (diag->file[0])
        return snprintf(buf, len, "%s: %s", diag->file, diag->msg);
    return snprintf(buf, len, "%s", diag->msg);
}

void plc_diag_setv(struct plc_diag *diag, const char *file, const char *fmt, va_list ap)
{
    if (!diag)
        return;
    plc_diag_clear(diag);
    snprintf(diag->file, sizeof(diag->file), "%s", file ? file : "");
    vsnprintf(diag->msg, sizeof(diag->msg), fmt, ap);
}

void plc_diag_set(struct plc_diag *diag, const char *file, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    plc_diag_setv(diag, file, fmt, ap);
    va_end(ap);
}

int plc_diag_fail(struct plc_diag *diag, const char *file, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    plc_diag_setv(diag, file, fmt, ap);
    va_end(ap);
    errno = err;
    return -1;
}

void plc_diag_clear(struct plc_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof(*diag));
}
