/* SPDX-License-Identifier: MIT */
/* Fixtures for runtime tests: a fresh base directory and layout per case. */
#ifndef PLC_TEST_FIXTURE_H
#define PLC_TEST_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "plc-event.h"
#include "plc.h"

struct fixture {
    char base[64];
    struct plc_layout *layout;
    struct plc_diag diag;
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static inline void fixture_rm(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * Base directories not yet freed, removed at exit: a failed check longjmps past
 * fixture_free(), and the directory must not outlive the test. Only the process
 * that made them removes them, never a forked child that calls exit().
 */
static struct {
    pid_t owner;
    char dir[32][64];
} fixture_live;

static void fixture_rm_live(void)
{
    if (getpid() != fixture_live.owner)
        return;
    for (size_t i = 0; i < sizeof(fixture_live.dir) / sizeof(fixture_live.dir[0]); i++)
        if (fixture_live.dir[i][0])
            fixture_rm(fixture_live.dir[i]);
}

static inline void fixture_track(const char *dir, bool add)
{
    if (!fixture_live.owner) {
        fixture_live.owner = getpid();
        atexit(fixture_rm_live);
    }
    for (size_t i = 0; i < sizeof(fixture_live.dir) / sizeof(fixture_live.dir[0]); i++) {
        if (add && !fixture_live.dir[i][0]) {
            snprintf(fixture_live.dir[i], sizeof(fixture_live.dir[i]), "%s", dir);
            return;
        }
        if (!add && strcmp(fixture_live.dir[i], dir) == 0) {
            fixture_live.dir[i][0] = '\0';
            return;
        }
    }
}

/* A base directory under /dev/shm (real shared memory), removed by teardown. */
static inline struct fixture *fixture_new(const char *layout_text)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    snprintf(f->base, sizeof(f->base), "/dev/shm/plc-test-XXXXXX");
    assert_non_null(mkdtemp(f->base));
    fixture_track(f->base, true);
    if (layout_text)
        f->layout = plc_layout_load_string(layout_text, "test.ini", &f->diag);
    else
        f->layout = plc_layout_load(PLC_TEST_LAYOUT, &f->diag);
    if (!f->layout)
        fail_msg("layout: %s:%u: %s", f->diag.file, f->diag.line, f->diag.msg);
    return f;
}

/* What plc-shm-init makes: every region, and the services' event rings (small). */
static inline void fixture_init(struct fixture *f)
{
    for (size_t i = 0; i < plc_layout_region_count(f->layout); i++) {
        enum plc_create_result r = plc_region_create(
            f->layout, f->base, plc_layout_region_at(f->layout, i), 0, &f->diag);
        if (r == PLC_CREATE_ERROR)
            fail_msg("create: %s", f->diag.msg);
    }
    for (int s = PLC_SOURCE_SHM_INIT; s <= PLC_SOURCE_PLCCTL; s++) {
        char path[256];
        if (plc_event_ring_path(f->layout, f->base, s, path, sizeof(path)) < 0 ||
            plc_event_ring_create(path, 64, plc_layout_get_hash(f->layout), &f->diag) ==
                PLC_CREATE_ERROR)
            fail_msg("event ring %s: %s", plc_event_source_name(s), f->diag.msg);
    }
}

static inline void fixture_free(struct fixture *f)
{
    if (!f)
        return;
    fixture_rm(f->base);
    fixture_track(f->base, false);
    plc_layout_free(f->layout);
    free(f);
}

static inline void fixture_path(const struct fixture *f, const char *region, char *buf,
                                size_t len)
{
    snprintf(buf, len, "%s/%s/%s", f->base, plc_layout_get_name(f->layout), region);
}

/* Region @region's file mapped read-write (@len bytes from its start), to break
 * its header or data as another process would; unmap with fixture_unmap(). */
static inline void *fixture_map(const struct fixture *f, const char *region, size_t len)
{
    char path[256];
    fixture_path(f, region, path, sizeof(path));
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd); /* the mapping stays */
    assert_true(m != MAP_FAILED);
    return m;
}

static inline void fixture_unmap(void *m, size_t len)
{
    munmap(m, len);
}

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* In a forked child that runs until it is killed: killed with the test too,
 * however the test ends (a failed check skips the case's own kill). */
static inline void fixture_child_dies_with_test(void)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

/* What a library logged (a log callback's user), one message a line. */
struct fixture_log {
    char text[16384];
};

static inline void fixture_log_to(void *user, int level, const char *msg)
{
    struct fixture_log *log = user;
    size_t n = strlen(log->text);
    (void)level;
    snprintf(log->text + n, sizeof(log->text) - n, "%s\n", msg);
}

/* Child readiness without sleeps: the child writes one byte when ready. */
struct ready {
    int fd[2];
};

static inline void ready_open(struct ready *r)
{
    assert_int_equal(pipe(r->fd), 0);
}

static inline void ready_signal(struct ready *r)
{
    char c = 1;
    if (write(r->fd[1], &c, 1) != 1)
        _exit(99);
}

static inline void ready_wait(struct ready *r)
{
    char c;
    assert_int_equal(read(r->fd[0], &c, 1), 1);
}

#endif
