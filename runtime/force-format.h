/* SPDX-License-Identifier: MIT */
/*
 * The bytes of the forcing table file (plc-force.h): an ABI between plcctl
 * and the services, which may run different builds, so every field has a
 * fixed width and a checked offset.
 *
 *   0    identity   written once when the file is made; magic last, with release
 *   128  gen        the seqlock every applier loads each cycle, and the claim
 *   256  entries    PLC_FORCE_CAPACITY forces, then PLC_SHELVE_CAPACITY shelvings,
 *                   128 bytes each; tag 0 = free
 *
 *   writer (one, by the claim): gen = g+1 (relaxed); release fence; entries;
 *           gen = g+2 (release)
 *   reader: g = gen (acquire); g odd: keep the last copy; copy the entries;
 *           acquire fence; the copy counts only if gen is still g
 * A writer that dies with gen odd leaves a table nobody reads: the next
 * writer's claim drops every entry that does not check out and makes gen
 * even again (take_over() in force.c).
 */
#ifndef PLC_FORCE_FORMAT_H
#define PLC_FORCE_FORMAT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "plc-force.h"

#define PLC_FORCE_MAGIC UINT64_C(0x4543524f46434c50) /* "PLCFORCE" little-endian */
/* 2: shelvings after the forces (format 1 had forces only, and its writers
 * would drop a shelving entry as torn) */
#define PLC_FORCE_FORMAT 2u
#define PLC_FORCE_HEADER_SIZE 256u
#define PLC_FORCE_ENTRY_SIZE 128u
#define PLC_FORCE_ENTRIES (PLC_FORCE_CAPACITY + PLC_SHELVE_CAPACITY)
#define PLC_FORCE_FILE_SIZE (PLC_FORCE_HEADER_SIZE + PLC_FORCE_ENTRIES * PLC_FORCE_ENTRY_SIZE)
/* The tag field of a shelving: this bit and the alarm's index in the layout
 * plus one, so an entry read in the wrong place never passes for a force. */
#define PLC_FORCE_ALARM_BIT UINT32_C(0x80000000)

struct plc_force_header {
    /* identity */
    _Atomic uint64_t magic;
    uint32_t format;
    uint32_t header_size;
    uint32_t entry_size;
    uint32_t capacity;
    uint64_t layout_hash;
    uint64_t created_ns; /* CLOCK_REALTIME */
    uint32_t shelve_capacity;
    uint32_t reserved0a;
    uint8_t reserved0[80];

    /* the seqlock, and the writer: claim = pid << 32 | low 32 bits of its start time */
    alignas(128) _Atomic uint64_t gen;
    _Atomic uint64_t claim;
    char holder[16];            /* comm of the claiming process, for messages */
    _Atomic uint64_t takeovers; /* claims taken from a dead writer */
    uint8_t reserved1[88];
};

struct plc_force_entry {
    uint32_t tag;       /* the tag's index in the layout plus one, a shelving's
                           PLC_FORCE_ALARM_BIT | alarm index plus one; 0 = free */
    uint32_t uid;
    /* The value as a double, the exact integer of an int64/uint64 tag (a
     * double holds no more than 2^53; those types came later, so the double of
     * every older type stays as it was); a shelving's: 0 */
    union {
        double value;
        int64_t value_i;
        uint64_t value_u;
    };
    int64_t since_ns;   /* CLOCK_REALTIME */
    int64_t until_ns;   /* CLOCK_REALTIME, or PLC_FORCE_FOREVER */
    char user[32];      /* NUL-terminated */
    char tag_name[64];  /* the tag's or alarm's name, NUL-terminated: checked
                           against the layout on read (an alarm's first 63
                           characters: PLC_ALARM_NAME_MAX is 66) */
};

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(offsetof(struct plc_force_header, magic) == 0, "force format");
_Static_assert(offsetof(struct plc_force_header, format) == 8, "force format");
_Static_assert(offsetof(struct plc_force_header, header_size) == 12, "force format");
_Static_assert(offsetof(struct plc_force_header, entry_size) == 16, "force format");
_Static_assert(offsetof(struct plc_force_header, capacity) == 20, "force format");
_Static_assert(offsetof(struct plc_force_header, layout_hash) == 24, "force format");
_Static_assert(offsetof(struct plc_force_header, created_ns) == 32, "force format");
_Static_assert(offsetof(struct plc_force_header, shelve_capacity) == 40, "force format");
_Static_assert(offsetof(struct plc_force_header, gen) == 128, "force format");
_Static_assert(offsetof(struct plc_force_header, claim) == 136, "force format");
_Static_assert(offsetof(struct plc_force_header, holder) == 144, "force format");
_Static_assert(offsetof(struct plc_force_header, takeovers) == 160, "force format");
_Static_assert(sizeof(struct plc_force_header) == PLC_FORCE_HEADER_SIZE, "force format");

_Static_assert(offsetof(struct plc_force_entry, uid) == 4, "force format");
_Static_assert(offsetof(struct plc_force_entry, value) == 8, "force format");
_Static_assert(offsetof(struct plc_force_entry, since_ns) == 16, "force format");
_Static_assert(offsetof(struct plc_force_entry, until_ns) == 24, "force format");
_Static_assert(offsetof(struct plc_force_entry, user) == 32, "force format");
_Static_assert(offsetof(struct plc_force_entry, tag_name) == 64, "force format");
_Static_assert(sizeof(struct plc_force_entry) == PLC_FORCE_ENTRY_SIZE, "force format");
_Static_assert(sizeof(double) == 8, "force format");

#endif
