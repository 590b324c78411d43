/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdio.h>

#include "plc.h"
#include "report.h"

void plc_service_report(const char *prog, const struct plc_diag *diag)
{
    int err = errno;
    char msg[1200];
    plc_diag_format(diag, msg, sizeof(msg));
    fprintf(stderr, "%s: %s\n", prog, msg[0] ? msg : plc_strerror(err));
}

struct plc_layout *plc_service_load_layout(const char *prog, const char *path)
{
    struct plc_diag diag;
    struct plc_layout *l = plc_layout_load(path, &diag);
    if (!l)
        plc_service_report(prog, &diag);
    return l;
}
