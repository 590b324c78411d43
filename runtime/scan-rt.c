/* SPDX-License-Identifier: MIT */
/*
 * The real-time side of the engine: the monotonic clock it runs on unless
 * told otherwise, the scan thread's scheduling (locked memory, CPU, SCHED_FIFO)
 * and the watchdog thread, which makes the outputs safe while a scan runs
 * past its limit (the phase word in scan-internal.h says who owns the
 * region handles meanwhile).
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "scan-internal.h"

/* The watchdog thread's stack: it formats a log line and writes two regions. */
#define PLC_SCAN_WATCHDOG_STACK (256u * 1024u)

static uint64_t mono_now(void *user)
{
    (void)user;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int mono_sleep_until(void *user, uint64_t deadline)
{
    (void)user;
    struct timespec ts = {.tv_sec = (time_t)(deadline / 1000000000u),
                          .tv_nsec = (long)(deadline % 1000000000u)};
    int r = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    if (r == 0)
        return 0;
    errno = r;
    return -1;
}

const struct plc_scan_clock plc_scan_mono_clock = {.now = mono_now,
                                                   .sleep_until = mono_sleep_until};

/* ---- watchdog thread ----------------------------------------------------- */

static void *watchdog_main(void *arg)
{
    struct plc_scan *s = arg;
    uint64_t poll = s->watchdog_ns / 4 > 100000u ? s->watchdog_ns / 4 : 100000u;
    while (!atomic_load_explicit(&s->wd_quit, memory_order_acquire)) {
        mono_sleep_until(NULL, mono_now(NULL) + poll);
        if (atomic_load_explicit(&s->phase, memory_order_acquire) != IN_PROGRAM)
            continue;
        uint64_t started = atomic_load_explicit(&s->scan_started, memory_order_relaxed);
        if (mono_now(NULL) - started <= s->watchdog_ns)
            continue;
        int expect = IN_PROGRAM;
        if (!atomic_compare_exchange_strong(&s->phase, &expect, WD_FAULTING))
            continue;
        /* The scan thread is inside the program and will not touch a handle
         * until the phase says WD_FAULTED. */
        plc_scan_write_safe_outputs(s);
        plc_scan_publish_watchdog_fault(s);
        plc_scan_log(s, PLC_LOG_ERR,
                     "watchdog: scan still running after %" PRIu64 " ms (watchdog %" PRIu32
                     " ms): outputs safe",
                     (mono_now(NULL) - started) / 1000000u, s->logic.watchdog_us / 1000u);
        atomic_store_explicit(&s->phase, WD_FAULTED, memory_order_release);
    }
    return NULL;
}

/* ---- real time ----------------------------------------------------------- */

void plc_scan_apply_realtime(struct plc_scan *s)
{
    const struct plc_logic_def *g = &s->logic;
    bool locked = false;
    if (g->lock_memory) {
        locked = mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
        if (!locked)
            plc_scan_log(s, PLC_LOG_WARNING,
                         "lock_memory: mlockall failed (%s): running with pageable memory; give "
                         "the service CAP_IPC_LOCK or LimitMEMLOCK=infinity",
                         strerror(errno));
    }
    if (g->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(g->cpu, &set);
        int r = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
        if (r != 0)
            plc_scan_log(s, PLC_LOG_WARNING,
                         "cpu: cannot pin the scan thread to CPU %d (%s): running unpinned",
                         g->cpu, strerror(r));
    }
    if (g->priority > 0) {
        struct sched_param sp = {.sched_priority = g->priority};
        int r = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
        if (r != 0)
            plc_scan_log(s, PLC_LOG_WARNING,
                         "priority: SCHED_FIFO %d refused (%s): the scan runs SCHED_OTHER; "
                         "give the service CAP_SYS_NICE or LimitRTPRIO, and under systemd "
                         "check RT group scheduling (cpu.rt_runtime_us)",
                         g->priority, strerror(r));
    }
    int policy;
    struct sched_param sp;
    if (pthread_getschedparam(pthread_self(), &policy, &sp) == 0 && policy == SCHED_FIFO)
        s->priority = sp.sched_priority;
    else
        s->priority = 0;
    plc_scan_log(s, PLC_LOG_INFO,
                 "scan thread: %s priority %d, period %" PRIu32 " us, watchdog %" PRIu32 " us%s",
                 s->priority ? "SCHED_FIFO" : "SCHED_OTHER", s->priority, g->period_us,
                 g->watchdog_us, locked ? ", memory locked" : "");
}

int plc_scan_start_watchdog(struct plc_scan *s)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    /* A small stack of its own: after mlockall(MCL_FUTURE) the default one
     * (RLIMIT_STACK, 8 MiB) would be locked whole, more than a container's
     * usual RLIMIT_MEMLOCK leaves, and the thread would not start. */
    pthread_attr_setstacksize(&attr, PLC_SCAN_WATCHDOG_STACK);
    if (s->priority > 0) {
        /* Above the scan thread, so a runaway scan on the same CPU cannot starve it. */
        struct sched_param sp = {.sched_priority = s->priority < 99 ? s->priority + 1 : 99};
        pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
        pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
        pthread_attr_setschedparam(&attr, &sp);
    }
    int r = pthread_create(&s->wd, &attr, watchdog_main, s);
    pthread_attr_destroy(&attr);
    if (r != 0) {
        errno = r;
        return -1;
    }
    s->wd_running = true;
    return 0;
}

void plc_scan_stop_watchdog(struct plc_scan *s)
{
    if (s->wd_running) {
        atomic_store_explicit(&s->wd_quit, true, memory_order_release);
        pthread_join(s->wd, NULL);
    }
}
