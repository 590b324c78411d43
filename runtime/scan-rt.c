/* SPDX-License-Identifier: MIT */
/*
 * The real-time side of the engine: the monotonic clock it runs on unless
 * told otherwise, the scan thread's scheduling (locked memory, CPU, SCHED_FIFO)
 * and the watchdog thread, which makes the outputs safe while a scan runs
 * past its limit (the phase word in scan-internal.h says who owns the
 * region handles meanwhile).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "scan-internal.h"

/* The watchdog thread's stack: it formats a log line and writes two regions. */
#define PLC_SCAN_WATCHDOG_STACK (256u * 1024u)
/* The scan thread's stack touched (and so locked) before the first scan: the
 * engine's own frames and a program's. Deeper pages are locked as they fault. */
#define PLC_SCAN_STACK_PREFAULT (128u * 1024u)
/* The kernel's PM QoS interface: an int32 written, held while the file is open. */
#define PLC_CPU_DMA_LATENCY_DEV "/dev/cpu_dma_latency"

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

/* Touch the stack below this frame so its pages are there, and locked, before
 * the first deadline rather than faulted in during a scan. */
static __attribute__((noinline)) void prefault_stack(void)
{
    volatile unsigned char pad[PLC_SCAN_STACK_PREFAULT];
    for (size_t i = 0; i < sizeof(pad); i += 4096u)
        pad[i] = 0;
    __asm__ __volatile__("" : : "r"(pad) : "memory");
}

/*
 * Lock what the scan uses, not every page the process maps: MCL_ONFAULT locks
 * pages as they are touched, so the libraries' untouched code and the
 * threads' unused stack stay out of memory, and what the first scans touch
 * stays in. Kernels before 4.4 lack it: lock everything then.
 */
static bool lock_memory(void)
{
    if (mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0 &&
        (errno != EINVAL || mlockall(MCL_CURRENT | MCL_FUTURE) != 0))
        return false;
    prefault_stack();
    return true;
}

/* Hold a request that idle CPUs wake within @us (closed by plc_scan_free()). */
static void request_cpu_latency(struct plc_scan *s, int us)
{
    s->qos_fd = -1;
    if (us < 0)
        return;
    int fd = open(PLC_CPU_DMA_LATENCY_DEV, O_WRONLY | O_CLOEXEC);
    int32_t v = us;
    if (fd < 0 || write(fd, &v, sizeof(v)) != (ssize_t)sizeof(v)) {
        plc_scan_log(s, PLC_LOG_WARNING,
                     "cpu_dma_latency: cannot request %d us from " PLC_CPU_DMA_LATENCY_DEV
                     " (%s): idle CPUs may wake the scan later; the package's udev rule "
                     "gives the file to raspiplc-logic",
                     us, strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    s->qos_fd = fd;
}

void plc_scan_release_cpu_latency(struct plc_scan *s)
{
    if (s->qos_fd >= 0)
        close(s->qos_fd);
    s->qos_fd = -1;
}

void plc_scan_apply_realtime(struct plc_scan *s)
{
    const struct plc_logic_def *g = &s->logic;
    bool locked = false;
    if (g->lock_memory) {
        locked = lock_memory();
        if (!locked)
            plc_scan_log(s, PLC_LOG_WARNING,
                         "lock_memory: mlockall failed (%s): running with pageable memory; give "
                         "the service CAP_IPC_LOCK or LimitMEMLOCK=infinity",
                         strerror(errno));
    }
    request_cpu_latency(s, g->cpu_dma_latency_us);
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
    char qos[48] = "";
    if (s->qos_fd >= 0)
        snprintf(qos, sizeof(qos), ", cpu_dma_latency %d us", g->cpu_dma_latency_us);
    plc_scan_log(s, PLC_LOG_INFO,
                 "scan thread: %s priority %d, period %" PRIu32 " us, watchdog %" PRIu32
                 " us%s%s",
                 s->priority ? "SCHED_FIFO" : "SCHED_OTHER", s->priority, g->period_us,
                 g->watchdog_us, locked ? ", memory locked" : "", qos);
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
