/* SPDX-License-Identifier: MIT */
/* plcctl retain: the retain snapshot in use beside the live values. */
#include <errno.h>
#include <stdio.h>

#include "plc-retain.h"
#include "plcctl.h"

int ctl_retain(struct ctl *ctl, int argc, char **argv)
{
    (void)argc, (void)argv;
    if (ctl->json) {
        ctl_err("retain: --json is not supported yet; use the text view");
        return CTL_USAGE;
    }
    struct plc_diag diag;
    const char *dir = plc_retain_dir(ctl->layout, NULL);
    if (plc_retain_show(ctl->layout, ctl->base, dir, stdout, &diag) < 0) {
        ctl_err_diag(&diag);
        return CTL_FAIL;
    }
    return CTL_OK;
}
