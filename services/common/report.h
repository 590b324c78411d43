/* SPDX-License-Identifier: MIT */
/* How every program reports a failed library call: one line on stderr. */
#ifndef PLC_SERVICE_REPORT_H
#define PLC_SERVICE_REPORT_H

#include "plc-layout.h"

/* "PROG: FILE:LINE: message", or "PROG: <errno text>" when @diag says nothing. */
void plc_service_report(const char *prog, const struct plc_diag *diag);

/* The layout at @path, or NULL after reporting why as plc_service_report(). */
struct plc_layout *plc_service_load_layout(const char *prog, const char *path);

#endif
