/* SPDX-License-Identifier: MIT */
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

void plc_diag_clear(struct plc_diag *diag)
{
    if (diag)
        memset(diag, 0, sizeof(*diag));
}
