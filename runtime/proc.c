/* SPDX-License-Identifier: MIT */
/* Processes: start times (the PID-reuse guard), liveness without pidfd, names. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

uint64_t plc_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t plc_realtime_ns(void)
{
#if defined(SYS_clock_gettime64) && !defined(__LP64__)
    /* A 32-bit time_t (Debian 12 armhf, docs/arm.md): glibc's clock_gettime()
     * fails with EOVERFLOW from 2038 on, the kernel's time64 call does not. */
    if (sizeof(time_t) < 8) {
        struct {
            int64_t tv_sec, tv_nsec;
        } kts;
        if (syscall(SYS_clock_gettime64, CLOCK_REALTIME, &kts) == 0)
            return (uint64_t)kts.tv_sec * 1000000000u + (uint64_t)kts.tv_nsec;
    }
#endif
    struct timespec ts;
    if (clock_gettime(CLOCK_REALTIME, &ts) < 0)
        return 0;
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t plc_proc_start_time(pid_t pid, bool *zombie)
{
    char path[64], buf[1024];
    /* The thread-group leader's task entry, not /proc/PID/stat: both give the
     * kernel's start time of the process, but under qemu-user a process's
     * reads of its own /proc/self/stat and /proc/<own pid>/stat are emulated
     * and give a start time qemu computes itself, so the claim a writer
     * records for itself would never match what other processes read, and
     * every live writer would look dead. qemu leaves task/PID/stat alone. */
    snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid, (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* comm may hold spaces and parentheses: fields restart after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return 0;
    p += 2;
    if (zombie)
        *zombie = *p == 'Z' || *p == 'X';
    /* state is field 3; starttime is field 22 */
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p, ' ');
        if (p)
            p++;
    }
    return p ? strtoull(p, NULL, 10) : 0;
}

uint64_t plc_proc_self_claim(void)
{
    pid_t pid = getpid();
    return PLC_CLAIM(pid, plc_proc_start_time(pid, NULL));
}

/* kill(pid, 0) succeeds or is refused (EPERM: another user's process). */
static bool pid_exists(pid_t pid)
{
    return kill(pid, 0) == 0 || errno != ESRCH;
}

bool plc_proc_claim_alive(uint64_t c)
{
    pid_t pid = PLC_CLAIM_PID(c);
    bool zombie = false;
    if (pid <= 0 || !pid_exists(pid))
        return false;
    uint64_t start = plc_proc_start_time(pid, &zombie);
    if (!start)
        /* The process exists but /proc hides it (hidepid=, or a unit's
         * ProtectProc=): its start time cannot be checked, so take it for the
         * claimant rather than put a running writer's outputs safe for good.
         * The caller's pidfd still sees it exit, and plc-io's heartbeat
         * timeout still covers a reused pid. */
        return pid_exists(pid);
    return !zombie && (uint32_t)start == (uint32_t)c;
}

void plc_proc_comm(pid_t pid, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f || !fgets(buf, (int)len, f)) {
        snprintf(buf, len, "?");
    } else {
        buf[strcspn(buf, "\n")] = '\0';
    }
    if (f)
        fclose(f);
}

enum plc_claim_result plc_claim_take(_Atomic uint64_t *claim, char *holder,
                                     bool (*alive)(void *user, uint64_t c), void *user,
                                     struct plc_claim *out)
{
    out->mine = plc_proc_self_claim();
    uint64_t c = atomic_load_explicit(claim, memory_order_acquire);
    for (;;) {
        if (c == out->mine)
            return PLC_CLAIM_MINE;
        if (c && alive(user, c)) {
            out->previous = c;
            plc_proc_comm(PLC_CLAIM_PID(c), out->comm, sizeof(out->comm));
            if (strcmp(out->comm, "?") == 0) /* /proc hides it: what it said when it claimed */
                snprintf(out->comm, sizeof(out->comm), "%.15s", holder);
            return PLC_CLAIM_HELD;
        }
        /* Free, or its holder is dead: take it over. */
        if (atomic_compare_exchange_weak_explicit(claim, &c, out->mine, memory_order_acq_rel,
                                                  memory_order_acquire))
            break;
    }
    out->previous = c;
    char comm[16] = ""; /* comm is at most 15 characters */
    plc_proc_comm(getpid(), comm, sizeof(comm));
    memcpy(holder, comm, sizeof(comm)); /* diagnostic only */
    return PLC_CLAIM_TAKEN;
}

void plc_claim_release(_Atomic uint64_t *claim, uint64_t mine)
{
    atomic_compare_exchange_strong_explicit(claim, &mine, 0, memory_order_acq_rel,
                                            memory_order_relaxed);
}

static bool claim_alive(void *user, uint64_t c)
{
    (void)user;
    return plc_proc_claim_alive(c);
}

int plc_claim_file(_Atomic uint64_t *claim, char *holder, const char *path, const char *what,
                   uint64_t *mine, struct plc_diag *diag)
{
    struct plc_claim got = {0};
    switch (plc_claim_take(claim, holder, claim_alive, NULL, &got)) {
    case PLC_CLAIM_MINE:
        return plc_diag_fail(diag, path, PLC_EHELD, "%s is already open as writer in this process",
                             what);
    case PLC_CLAIM_HELD:
        return plc_diag_fail(diag, path, PLC_EHELD, "%s is held by pid %d (%s)", what,
                             (int)PLC_CLAIM_PID(got.previous), got.comm);
    case PLC_CLAIM_TAKEN:
        break;
    }
    *mine = got.mine;
    return got.previous != 0;
}
