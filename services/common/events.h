/* SPDX-License-Identifier: MIT */
/* A service's own event ring: opened as its writer, with errors reported as
 * for regions. Posting is plc_event_ring_post() (plc-event.h). */
#ifndef PLC_SERVICE_EVENTS_H
#define PLC_SERVICE_EVENTS_H

#include "plc-event.h"

/*
 * The ring of @source (BASE/LAYOUT/events-SOURCE) opened as its writer, or
 * NULL after one line on stderr as plc_service_report() writes it: a missing
 * ring names the file and asks whether plc-shm-init has run, as a missing
 * region does. Close with plc_event_ring_close().
 */
struct plc_event_ring *plc_service_events_open(const char *prog, const struct plc_layout *layout,
                                               const char *base, enum plc_event_source source);

#endif
