/* SPDX-License-Identifier: MIT */
/* Shared between the files of retain snapshots (snapshot.c, retain.c); not installed. */
#ifndef PLC_RETAIN_INTERNAL_H
#define PLC_RETAIN_INTERNAL_H

#include "internal.h"
#include "plc-retain.h"

/* Operator messages go through plc_logf() (internal.h). */

#endif
