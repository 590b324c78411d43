/* SPDX-License-Identifier: MIT */
/* plcctl sim: drive and read the simulated field of plc-io's sim backend. */
#include "plc-io.h"
#include "plcctl.h"

int ctl_sim(struct ctl *ctl, int argc, char **argv)
{
    struct plc_diag diag;
    struct plc_sim_field *f = plc_sim_field_open(ctl->layout, ctl->base, &diag);
    if (!f) {
        ctl_err_diag(&diag);
        return CTL_FAIL;
    }
    int rc = plc_sim_command(f, ctl->layout, argc - 1, argv + 1, "plcctl sim");
    plc_sim_field_close(f);
    return rc;
}
