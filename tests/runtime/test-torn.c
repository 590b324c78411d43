/* SPDX-License-Identifier: MIT */
/*
 * Torn reads: one writer and many forked readers hammer a 4 KiB region whose
 * every word carries the same counter, so any mix of two writes shows. With
 * the protocol no read may be torn; a negative control reading the same bytes
 * without it must catch tearing, proving the detector works.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>

#include "fixture.h"

#define WORDS 1024 /* 4 KiB of uint32 tags */
#define READERS 8
#define RUN_NS 1500000000ull

static char *layout_text(void)
{
    size_t cap = 64 + WORDS * 64;
    char *t = malloc(cap);
    size_t n = (size_t)snprintf(t, cap, "[layout]\nname = torn\nversion = 1\n"
                                        "[region data]\nwriter = logic\n");
    for (int i = 0; i < WORDS; i++)
        n += (size_t)snprintf(t + n, cap - n, "[tag w%d]\nregion = data\ntype = uint32\n", i);
    return t;
}

struct counts {
    uint64_t reads, torn;
};

static bool torn(const uint32_t *w)
{
    for (int i = 1; i < WORDS; i++)
        if (w[i] != w[0])
            return true;
    return false;
}

/* Reader child: reads until told to stop, then reports its counts on @out. */
static void reader(struct fixture *f, bool protocol, int out, struct ready *ready,
                   volatile sig_atomic_t *stop)
{
    struct counts c = {0};
    uint32_t buf[WORDS];
    struct plc_region *r = NULL;
    const volatile uint32_t *raw = NULL;
    if (protocol) {
        r = plc_region_attach(f->layout, f->base, "data", PLC_READER, NULL, NULL);
        if (!r)
            _exit(1);
    } else {
        char path[256];
        fixture_path(f, "data", path, sizeof(path));
        int fd = open(path, O_RDONLY);
        void *m = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
        if (m == MAP_FAILED)
            _exit(1);
        raw = (const volatile uint32_t *)((char *)m + PLC_REGION_HEADER_SIZE);
    }
    ready_signal(ready);
    while (!*stop) {
        if (protocol) {
            if (plc_region_read(r, buf) < 0) {
                /* A writer in a tight loop on a saturated machine can keep a read
                 * busy past its bound: that is the documented PLC_EBUSY, not a tear. */
                if (errno == PLC_EBUSY)
                    continue;
                _exit(2);
            }
        } else {
            for (int i = 0; i < WORDS; i++)
                buf[i] = raw[i];
        }
        c.reads++;
        c.torn += torn(buf);
        if (!protocol && c.torn > 100)
            break;
    }
    plc_region_detach(r);
    if (write(out, &c, sizeof(c)) != sizeof(c))
        _exit(3);
    _exit(0);
}

static volatile sig_atomic_t stop_flag;
static void on_term(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static struct counts hammer(bool protocol, int nreaders)
{
    char *text = layout_text();
    struct fixture *f = fixture_new(text);
    free(text);
    fixture_init(f);

    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    struct ready ready;
    ready_open(&ready);
    pid_t kids[READERS];
    signal(SIGTERM, on_term);
    for (int i = 0; i < nreaders; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            fixture_child_dies_with_test(); /* it reads until told to stop */
            reader(f, protocol, pipefd[1], &ready, &stop_flag);
        }
    }
    for (int i = 0; i < nreaders; i++)
        ready_wait(&ready);
    /* Only the readers hold the write end now: one that dies early makes the read
     * below fail at once instead of waiting for ever. */
    close(pipefd[1]);

    struct plc_region *w = plc_region_attach(f->layout, f->base, "data", PLC_WRITER, "logic",
                                             &f->diag);
    assert_non_null(w);
    uint32_t buf[WORDS];
    uint64_t t0 = now_ns();
    for (uint32_t k = 1; now_ns() - t0 < RUN_NS; k++) {
        for (int i = 0; i < WORDS; i++)
            buf[i] = k;
        assert_int_equal(plc_region_write(w, buf), 0);
    }
    struct counts total = {0};
    for (int i = 0; i < nreaders; i++) {
        kill(kids[i], SIGTERM);
        struct counts c;
        assert_int_equal(read(pipefd[0], &c, sizeof(c)), sizeof(c));
        total.reads += c.reads;
        total.torn += c.torn;
    }
    for (int i = 0; i < nreaders; i++) {
        int status;
        waitpid(kids[i], &status, 0);
        assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    plc_region_detach(w);
    close(pipefd[0]);
    fixture_free(f);
    return total;
}

static void readers_with_protocol_never_see_a_torn_write(void **state)
{
    (void)state;
    struct counts c = hammer(true, READERS);
    print_message("protocol: %llu reads by %d readers, %llu torn\n",
                  (unsigned long long)c.reads, READERS, (unsigned long long)c.torn);
    assert_true(c.reads > 1000);
    assert_int_equal(c.torn, 0);
}

static void reading_without_protocol_is_caught_tearing(void **state)
{
    (void)state;
    struct counts c = hammer(false, 1);
    print_message("negative control: %llu reads without the protocol, %llu torn\n",
                  (unsigned long long)c.reads, (unsigned long long)c.torn);
    assert_true(c.torn > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(readers_with_protocol_never_see_a_torn_write),
        cmocka_unit_test(reading_without_protocol_is_caught_tearing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
