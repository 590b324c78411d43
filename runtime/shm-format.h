/* SPDX-License-Identifier: MIT */
/*
 * The bytes of a region in /dev/shm: an ABI between processes that may run
 * different builds, so every field has a fixed width and a checked offset.
 * Offsets, never pointers: each process maps the region at its own address.
 *
 *   0    identity   written once by plc-shm-init; magic last, with release
 *   256  seq        the seqlock word (even = stable, odd = write under way),
 *                   also the futex word for waiters; with the update time and
 *                   write count, which change with it, on cache lines of their own
 *   384  writer     claim, heartbeat, waiter count, holder name
 *   448  readers    counters readers add to in batches
 *   512  data       the tags, at the offsets the layout assigns
 *   512 + PLC_REGION_COPY_OFFSET(data_size)
 *        copy       the last complete copy of the data, which the writer
 *                   brings up to date after each write and the next writer
 *                   restores when one died mid-write (copy_seq says which
 *                   write it holds)
 */
#ifndef PLC_SHM_FORMAT_H
#define PLC_SHM_FORMAT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "plc-layout.h"

#define PLC_SHM_MAGIC UINT64_C(0x434c504950534152) /* "RASPIPLC" little-endian */
#define PLC_SHM_FORMAT 2u /* 2: the last complete copy, copy_seq, repairs, max_silence_ns */

/* flags */
#define PLC_SHM_RETIRED 1u /* re-created by plc-shm-init --recreate: re-attach */

/* writer_flags */
#define PLC_SHM_WRITER_MEMBARRIER 1u /* the writer relies on waiters' membarrier() */

struct plc_shm_header {
    /* identity */
    _Atomic uint64_t magic;
    uint32_t format;
    uint32_t header_size;
    uint64_t region_size;
    uint64_t data_size;
    uint64_t layout_hash;
    uint32_t layout_version;
    uint32_t epoch;       /* bumped each time the region is re-created */
    uint64_t created_ns;  /* CLOCK_REALTIME */
    _Atomic uint32_t flags;
    uint32_t reserved0;
    char layout_name[32];
    char region_name[32];
    char writer_service[32];
    uint8_t reserved1[96];

    /* the sequence, and what changes with every write */
    alignas(128) _Atomic uint32_t seq;
    _Atomic uint32_t copy_seq;     /* the (even) seq whose data the copy holds */
    _Atomic uint64_t update_ns;    /* CLOCK_MONOTONIC of the last write */
    _Atomic uint64_t writes;
    uint8_t reserved3[104];

    /* writer: claim = pid << 32 | low 32 bits of its start time (0 = none) */
    _Atomic uint64_t claim;
    _Atomic uint64_t heartbeat_ns; /* CLOCK_MONOTONIC */
    _Atomic uint32_t waiters;      /* processes blocked in plc_region_wait() */
    _Atomic uint32_t writer_flags; /* PLC_SHM_WRITER_MEMBARRIER */
    char holder[16];               /* comm of the claiming process */
    _Atomic uint32_t repairs;      /* writes left half-done by a dead writer, undone */
    _Atomic uint32_t claims;       /* writer claims taken since made (0 in older regions' bytes) */
    _Atomic uint64_t max_silence_ns; /* longest the writer may go without a heartbeat; 0 = unsaid */
    uint8_t reserved7[8];

    /* reader counters */
    _Atomic uint64_t reads;
    _Atomic uint64_t retries;
    _Atomic uint64_t stale_reads;
    _Atomic uint64_t attaches;
    uint8_t reserved6[32];
};

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free");
_Static_assert(offsetof(struct plc_shm_header, magic) == 0, "shm format");
_Static_assert(offsetof(struct plc_shm_header, format) == 8, "shm format");
_Static_assert(offsetof(struct plc_shm_header, region_size) == 16, "shm format");
_Static_assert(offsetof(struct plc_shm_header, data_size) == 24, "shm format");
_Static_assert(offsetof(struct plc_shm_header, layout_hash) == 32, "shm format");
_Static_assert(offsetof(struct plc_shm_header, layout_version) == 40, "shm format");
_Static_assert(offsetof(struct plc_shm_header, epoch) == 44, "shm format");
_Static_assert(offsetof(struct plc_shm_header, created_ns) == 48, "shm format");
_Static_assert(offsetof(struct plc_shm_header, flags) == 56, "shm format");
_Static_assert(offsetof(struct plc_shm_header, layout_name) == 64, "shm format");
_Static_assert(offsetof(struct plc_shm_header, region_name) == 96, "shm format");
_Static_assert(offsetof(struct plc_shm_header, writer_service) == 128, "shm format");
_Static_assert(offsetof(struct plc_shm_header, seq) == 256, "shm format");
_Static_assert(offsetof(struct plc_shm_header, copy_seq) == 260, "shm format");
_Static_assert(offsetof(struct plc_shm_header, update_ns) == 264, "shm format");
_Static_assert(offsetof(struct plc_shm_header, writes) == 272, "shm format");
_Static_assert(offsetof(struct plc_shm_header, claim) == 384, "shm format");
_Static_assert(offsetof(struct plc_shm_header, heartbeat_ns) == 392, "shm format");
_Static_assert(offsetof(struct plc_shm_header, waiters) == 400, "shm format");
_Static_assert(offsetof(struct plc_shm_header, writer_flags) == 404, "shm format");
_Static_assert(offsetof(struct plc_shm_header, holder) == 408, "shm format");
_Static_assert(offsetof(struct plc_shm_header, repairs) == 424, "shm format");
_Static_assert(offsetof(struct plc_shm_header, claims) == 428, "shm format");
_Static_assert(offsetof(struct plc_shm_header, max_silence_ns) == 432, "shm format");
_Static_assert(offsetof(struct plc_shm_header, reads) == 448, "shm format");
_Static_assert(offsetof(struct plc_shm_header, attaches) == 472, "shm format");
_Static_assert(sizeof(struct plc_shm_header) == PLC_REGION_HEADER_SIZE, "shm format");

#endif
