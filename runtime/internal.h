/* SPDX-License-Identifier: MIT */
/* Shared between the files of libplc; not installed. */
#ifndef PLC_RUNTIME_INTERNAL_H
#define PLC_RUNTIME_INTERNAL_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>

#include "plc.h"
#include "shm-format.h"

#define PLC_CLAIM(pid, start) (((uint64_t)(uint32_t)(pid) << 32) | (uint32_t)(start))
#define PLC_CLAIM_PID(c) ((pid_t)((c) >> 32))

/* Format one message and hand it to @log (a service's log callback, as in
 * struct plc_scan_config and plc_retain_log_fn) at @level; nothing when @log is NULL. */
void plc_logf(void (*log)(void *user, int level, const char *msg), void *user, int level,
              const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fill @diag (if any) as "PATH: message", set errno to @err, return -1. */
#define plc_fail plc_diag_fail

uint64_t plc_now_ns(void); /* CLOCK_MONOTONIC */
/* CLOCK_REALTIME in ns since the epoch; 0 if the clock cannot be read. Past
 * 2038 too where time_t is 32-bit (docs/arm.md). */
uint64_t plc_realtime_ns(void);

/* Start time of @pid in clock ticks since boot, from /proc; 0 if gone. Sets *zombie. */
uint64_t plc_proc_start_time(pid_t pid, bool *zombie);
/* Our own claim word. */
uint64_t plc_proc_self_claim(void);
/* Whether the process of claim @c lives, by PID and start time (no pidfd); a
 * process /proc hides from us counts as the claimant. */
bool plc_proc_claim_alive(uint64_t c);
/* Its comm, or "?" */
void plc_proc_comm(pid_t pid, char *buf, size_t len);

/* A single-writer claim word in shared memory (a region's, an event ring's). */
struct plc_claim {
    uint64_t mine;     /* our claim word */
    uint64_t previous; /* TAKEN: the dead holder's claim, 0 if free; HELD: the holder's */
    char comm[32];     /* HELD: the live holder's name, from /proc or from @holder */
};
enum plc_claim_result { PLC_CLAIM_TAKEN = 1, PLC_CLAIM_MINE, PLC_CLAIM_HELD };
/*
 * Take @claim when it is free or @alive says its holder is dead, and write our
 * comm into @holder (16 bytes, kept for messages about us). MINE: this process
 * holds it already; HELD: a live process does (out->previous, out->comm).
 */
enum plc_claim_result plc_claim_take(_Atomic uint64_t *claim, char *holder,
                                     bool (*alive)(void *user, uint64_t c), void *user,
                                     struct plc_claim *out);
/*
 * plc_claim_take() for a file of ours: refused with PLC_EHELD and a diag
 * naming @path, "@what is held by pid N (comm)", while a live process holds
 * it. Returns 1 when a dead holder's claim was taken over, 0 when it was free,
 * -1 when refused; *mine gets our claim word.
 */
int plc_claim_file(_Atomic uint64_t *claim, char *holder, const char *path, const char *what,
                   uint64_t *mine, struct plc_diag *diag);
/* Give @claim up if it is still @mine. */
void plc_claim_release(_Atomic uint64_t *claim, uint64_t mine);

/*
 * Open an existing region file for attach or re-check: refuses symlinks,
 * non-regular files and anything outside @base. Returns an fd, or -1 with
 * errno and diag set (PLC_ENOREGION when missing).
 */
int plc_region_open_file(const char *base, const char *path, const char *region, int flags,
                         struct stat *st, struct plc_diag *diag);

/* Check a mapped header against the layout; -1 with errno/diag when it differs. */
int plc_region_check_header(const struct plc_shm_header *h, const struct plc_layout *l,
                            const struct plc_region_def *def, size_t file_size,
                            const char *path, struct plc_diag *diag);

#endif
