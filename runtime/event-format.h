/* SPDX-License-Identifier: MIT */
/*
 * The bytes of an event ring file: an ABI between processes that may run
 * different builds, so every field has a fixed width and a checked offset.
 *
 *   0    identity   written once by plc_event_ring_create(); magic last, with release
 *   128  head       how many records were ever appended, on a line of its own:
 *                   every append stores it, every read loads it
 *   256  writer     claim, holder name, what dead writers cost
 *   512  slots      capacity slots of 128 bytes, slot i holding record n when
 *                   n % capacity == i
 *
 * A slot is a record whose first 8 bytes, the record's seq in struct
 * plc_event, hold the slot's commit word instead, a per-slot seqlock:
 *   0      never written
 *   2n+1   record n is being written
 *   2n+2   record n is complete
 * so the word also says which record the slot holds. Words only grow.
 *
 *   writer: commit = 2n+1 (relaxed); release fence; body; commit = 2n+2
 *           (release); head = n+1 (release)
 *   reader: h = head (acquire); for n < h: c1 = commit (acquire); body;
 *           acquire fence; c2 = commit (relaxed); a record only if
 *           c1 == c2 == 2n+2, else record n is lost
 * Since head passes n only after 2n+2 was stored, a reader that saw head > n
 * finds 2n+2 or a newer record's word (the writer came round: record n is
 * gone), or 2n+1 in a record a writer died in (the next writer moved head past
 * it). Nothing is ever waited for.
 */
#ifndef PLC_EVENT_FORMAT_H
#define PLC_EVENT_FORMAT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "plc-event.h"

#define PLC_EVENT_MAGIC UINT64_C(0x544e455645434c50) /* "PLCEVENT" little-endian */
#define PLC_EVENT_FORMAT 1u
#define PLC_EVENT_HEADER_SIZE 512u
#define PLC_EVENT_RECORD_SIZE 128u

struct plc_event_ring_header {
    /* identity */
    _Atomic uint64_t magic;
    uint32_t format;
    uint32_t header_size;
    uint32_t record_size;
    uint32_t capacity; /* a power of two */
    uint64_t layout_hash;
    uint32_t epoch; /* 1 when made; a re-made ring counts on */
    uint32_t reserved0;
    uint64_t created_ns; /* CLOCK_REALTIME */
    uint8_t reserved1[72];

    /* the write counter */
    alignas(128) _Atomic uint64_t head;
    uint8_t reserved2[120];

    /* writer: claim = pid << 32 | low 32 bits of its start time (0 = none) */
    _Atomic uint64_t claim;
    char holder[16];            /* comm of the claiming process, for messages */
    _Atomic uint64_t takeovers; /* claims taken from a dead writer */
    _Atomic uint64_t broken;    /* records a dead writer left half written */
    _Atomic uint64_t claims;    /* writer claims since made (0 in older rings' bytes) */
    uint8_t reserved3[208];
};

struct plc_event_slot {
    _Atomic uint64_t commit;
    unsigned char body[PLC_EVENT_RECORD_SIZE - 8]; /* struct plc_event from realtime_ns on */
};

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(offsetof(struct plc_event_ring_header, magic) == 0, "event format");
_Static_assert(offsetof(struct plc_event_ring_header, format) == 8, "event format");
_Static_assert(offsetof(struct plc_event_ring_header, header_size) == 12, "event format");
_Static_assert(offsetof(struct plc_event_ring_header, record_size) == 16, "event format");
_Static_assert(offsetof(struct plc_event_ring_header, capacity) == 20, "event format");
_Static_assert(offsetof(struct plc_event_ring_header, layout_hash) == 24, "event format");
_Static_assert(offsetof(struct plc_event_ring_header, epoch) == 32, "event format");
_Static_assert(offsetof(struct plc_event_ring_header, created_ns) == 40, "event format");
_Static_assert(offsetof(struct plc_event_ring_header, head) == 128, "event format");
_Static_assert(offsetof(struct plc_event_ring_header, claim) == 256, "event format");
_Static_assert(offsetof(struct plc_event_ring_header, holder) == 264, "event format");
_Static_assert(offsetof(struct plc_event_ring_header, takeovers) == 280, "event format");
_Static_assert(offsetof(struct plc_event_ring_header, broken) == 288, "event format");
_Static_assert(offsetof(struct plc_event_ring_header, claims) == 296, "event format");
_Static_assert(sizeof(struct plc_event_ring_header) == PLC_EVENT_HEADER_SIZE, "event format");

_Static_assert(offsetof(struct plc_event_slot, body) == 8, "event format");
_Static_assert(sizeof(struct plc_event_slot) == PLC_EVENT_RECORD_SIZE, "event format");

/* The record: its seq is the slot's commit word, the rest is the body. */
_Static_assert(offsetof(struct plc_event, seq) == 0, "event format");
_Static_assert(offsetof(struct plc_event, realtime_ns) == 8, "event format");
_Static_assert(offsetof(struct plc_event, mono_ns) == 16, "event format");
_Static_assert(offsetof(struct plc_event, source) == 24, "event format");
_Static_assert(offsetof(struct plc_event, kind) == 26, "event format");
_Static_assert(offsetof(struct plc_event, severity) == 28, "event format");
_Static_assert(offsetof(struct plc_event, name) == 32, "event format");
_Static_assert(offsetof(struct plc_event, before) == 64, "event format");
_Static_assert(offsetof(struct plc_event, after) == 72, "event format");
_Static_assert(offsetof(struct plc_event, text) == 80, "event format");
_Static_assert(sizeof(struct plc_event) == PLC_EVENT_RECORD_SIZE, "event format");
_Static_assert(sizeof(double) == 8, "event format");

#endif
