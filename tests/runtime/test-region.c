/* SPDX-License-Identifier: MIT */
/* struct plc_region: attach validation, ownership, reads and writes, waiting. */
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "fixture.h"
#include "payload-copy.h"
#include "shm-format.h"

static int setup(void **state)
{
    struct fixture *f = fixture_new(NULL);
    fixture_init(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_free(*state);
    return 0;
}

static void assert_diag(const struct plc_diag *d, const char *expect)
{
    char buf[1200];
    plc_diag_format(d, buf, sizeof(buf));
    if (strcmp(buf, expect) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", buf, expect);
}

static void assert_diag_has(const struct plc_diag *d, const char *part)
{
    char buf[1200];
    plc_diag_format(d, buf, sizeof(buf));
    if (!strstr(buf, part))
        fail_msg("message\n  got:  %s\n  lacks: %s", buf, part);
}

static struct plc_region *attach(struct fixture *f, const char *region, enum plc_access a,
                                 const char *service)
{
    struct plc_region *r = plc_region_attach(f->layout, f->base, region, a, service, &f->diag);
    if (!r)
        fail_msg("attach %s: %s", region, f->diag.msg);
    return r;
}

/*
 * A child process that attaches @region as writer @service, says it is ready,
 * then runs @body (which never returns): pause for ever when @body is NULL.
 */
static pid_t fork_writer(struct fixture *f, const char *region, const char *service,
                         void (*body)(struct plc_region *w, void *arg), void *arg)
{
    struct ready ready;
    ready_open(&ready);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        fixture_child_dies_with_test();
        struct plc_region *w =
            plc_region_attach(f->layout, f->base, region, PLC_WRITER, service, NULL);
        if (!w)
            _exit(1);
        ready_signal(&ready);
        if (body)
            body(w, arg);
        for (;;)
            pause();
    }
    ready_wait(&ready);
    close(ready.fd[0]);
    close(ready.fd[1]);
    return child;
}

static void attach_missing_region_names_init_tool(void **state)
{
    struct fixture *f = fixture_new(NULL); /* no init */
    char path[256], want[600];
    fixture_path(f, "inputs", path, sizeof(path));
    struct plc_region *r =
        plc_region_attach(f->layout, f->base, "inputs", PLC_READER, NULL, &f->diag);
    assert_null(r);
    assert_int_equal(errno, PLC_ENOREGION);
    snprintf(want, sizeof(want), "%s: region 'inputs' not found in %s/demo: has plc-shm-init run?",
             path, f->base);
    assert_diag(&f->diag, want);
    fixture_free(f);
    (void)state;
}

static void attach_unknown_region_refused(void **state)
{
    struct fixture *f = *state;
    assert_null(plc_region_attach(f->layout, f->base, "outptus", PLC_READER, NULL, &f->diag));
    assert_int_equal(errno, ENOENT);
    assert_string_equal(f->diag.msg, "layout 'demo' has no region 'outptus'");
}

static void region_path_is_base_layout_region(void **state)
{
    struct fixture *f = *state;
    char buf[256], want[256], small[16];
    assert_int_equal(plc_region_path(f->layout, f->base, "outputs", buf, sizeof(buf)), 0);
    snprintf(want, sizeof(want), "%s/demo/outputs", f->base);
    assert_string_equal(buf, want);
    errno = 0;
    assert_int_equal(plc_region_path(f->layout, "/dev/shm/x", "outputs", small, sizeof(small)),
                     -1);
    assert_int_equal(errno, ENAMETOOLONG);
    assert_string_equal(small, "/dev/shm/x/demo");
}

static void scribble(struct fixture *f, const char *region, size_t off, const void *bytes,
                     size_t n)
{
    char path[256];
    fixture_path(f, region, path, sizeof(path));
    int fd = open(path, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, bytes, n, (off_t)off), (ssize_t)n);
    close(fd);
}

static void attach_bad_magic_refused(void **state)
{
    struct fixture *f = *state;
    char path[256], want[600];
    scribble(f, "inputs", 0, "NOTPLC!!", 8);
    fixture_path(f, "inputs", path, sizeof(path));
    assert_null(plc_region_attach(f->layout, f->base, "inputs", PLC_READER, NULL, &f->diag));
    assert_int_equal(errno, PLC_EMAGIC);
    snprintf(want, sizeof(want),
             "%s: region 'inputs' has bad magic 2121434c50544f4e: not a RaspiPLC region "
             "(remove it and run plc-shm-init)",
             path);
    assert_diag(&f->diag, want);
}

static void attach_wrong_size_refused(void **state)
{
    struct fixture *f = *state;
    char path[256];
    fixture_path(f, "outputs", path, sizeof(path));
    assert_int_equal(truncate(path, 8192), 0);
    assert_null(plc_region_attach(f->layout, f->base, "outputs", PLC_READER, NULL, &f->diag));
    assert_int_equal(errno, PLC_ESIZE);
    assert_diag_has(&f->diag, "region 'outputs' is 8192 bytes with 8 bytes of data; the layout "
                              "says 4096 and 8: re-create it with plc-shm-init --recreate");
}

static void attach_truncated_file_refused(void **state)
{
    struct fixture *f = *state;
    char path[256];
    fixture_path(f, "outputs", path, sizeof(path));
    assert_int_equal(truncate(path, 100), 0);
    assert_null(plc_region_attach(f->layout, f->base, "outputs", PLC_READER, NULL, &f->diag));
    assert_int_equal(errno, PLC_ESIZE);
    assert_diag_has(&f->diag, "region 'outputs' is 100 bytes, too small to be a region");
}

static char *demo_text_with(const char *from, const char *to)
{
    FILE *in = fopen(PLC_TEST_LAYOUT, "r");
    assert_non_null(in);
    static char text[16384];
    size_t n = fread(text, 1, sizeof(text) - 1, in);
    fclose(in);
    text[n] = '\0';
    char *at = strstr(text, from);
    assert_non_null(at);
    char *out = malloc(n + strlen(to) + 1);
    sprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return out;
}

static void attach_other_layout_prints_both(void **state)
{
    struct fixture *f = *state;
    /* whatever version the demo layout is at, compare it with the next one */
    unsigned ver = plc_layout_get_version(f->layout);
    char from[32], to[32];
    snprintf(from, sizeof(from), "version = %u", ver);
    snprintf(to, sizeof(to), "version = %u", ver + 1);
    char *text = demo_text_with(from, to);
    struct plc_diag d;
    struct plc_layout *v2 = plc_layout_load_string(text, "v2.ini", &d);
    assert_non_null(v2);
    char want[700];
    snprintf(want, sizeof(want),
             "region 'inputs' was made from layout 'demo' version %u (hash %016" PRIx64 "), not "
             "from layout 'demo' version %u (hash %016" PRIx64 ")",
             ver, plc_layout_get_hash(f->layout), ver + 1, plc_layout_get_hash(v2));
    assert_null(plc_region_attach(v2, f->base, "inputs", PLC_READER, NULL, &f->diag));
    assert_int_equal(errno, PLC_ELAYOUT);
    assert_diag_has(&f->diag, want);
    plc_layout_free(v2);
    free(text);
}

static void attach_not_regular_file_refused(void **state)
{
    struct fixture *f = *state;
    char path[256];
    fixture_path(f, "inputs", path, sizeof(path));
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkfifo(path, 0600), 0);
    assert_null(plc_region_attach(f->layout, f->base, "inputs", PLC_READER, NULL, &f->diag));
    assert_int_equal(errno, PLC_EPATH);
    assert_diag_has(&f->diag, "region 'inputs' is not a regular file");
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_null(plc_region_attach(f->layout, f->base, "inputs", PLC_READER, NULL, &f->diag));
    assert_int_equal(errno, PLC_EPATH);
    assert_diag_has(&f->diag, "region 'inputs' is not a regular file");
}

static void attach_symlink_refused(void **state)
{
    struct fixture *f = *state;
    char path[256], moved[300];
    fixture_path(f, "inputs", path, sizeof(path));
    snprintf(moved, sizeof(moved), "%s/demo/inputs.real", f->base);
    assert_int_equal(rename(path, moved), 0);
    assert_int_equal(symlink(moved, path), 0);
    assert_null(plc_region_attach(f->layout, f->base, "inputs", PLC_READER, NULL, &f->diag));
    assert_int_equal(errno, PLC_EPATH);
    assert_diag_has(&f->diag, "region 'inputs' is a symlink");
}

static void attach_outside_base_dir_refused(void **state)
{
    struct fixture *f = *state;
    char dir[300], elsewhere[64] = "/dev/shm/plc-elsewhere-XXXXXX";
    assert_non_null(mkdtemp(elsewhere));
    snprintf(dir, sizeof(dir), "%s/demo", f->base);
    char target[128];
    snprintf(target, sizeof(target), "%s/demo", elsewhere);
    assert_int_equal(rename(dir, target), 0);
    assert_int_equal(symlink(target, dir), 0);
    assert_null(plc_region_attach(f->layout, f->base, "inputs", PLC_READER, NULL, &f->diag));
    assert_int_equal(errno, PLC_EPATH);
    char want[400];
    snprintf(want, sizeof(want), "region 'inputs' resolves to %s/inputs, outside the base "
                                 "directory %s", target, f->base);
    assert_diag_has(&f->diag, want);
    fixture_rm(elsewhere);
}

static void attach_writer_must_be_the_layouts_writer(void **state)
{
    struct fixture *f = *state;
    assert_null(plc_region_attach(f->layout, f->base, "outputs", PLC_WRITER, "modbus", &f->diag));
    assert_int_equal(errno, PLC_ENOTWRITER);
    assert_string_equal(f->diag.msg, "region 'outputs' is written by 'logic', not by 'modbus'");
}

static void write_then_read_round_trips_tags(void **state)
{
    struct fixture *f = *state;
    struct plc_region *w = attach(f, "parameters", PLC_WRITER, "modbus");
    struct plc_region *r = attach(f, "parameters", PLC_READER, NULL);
    const struct plc_tag_def *hi = plc_layout_find_tag(f->layout, "level_high");
    const struct plc_tag_def *delay = plc_layout_find_tag(f->layout, "fault_delay_ms");
    double v;

    /* initial values from the layout */
    assert_int_equal(plc_region_read_tag(r, hi, &v), 0);
    assert_true(v == 80.0);
    assert_int_equal(plc_region_read_tag(r, delay, &v), 0);
    assert_true(v == 2000.0);

    assert_int_equal(plc_region_write_tag(w, hi, 72.5), 0);
    assert_int_equal(plc_region_read_tag(r, hi, &v), 0);
    assert_true(v == 72.5);

    /* two tags in one update, read back in one snapshot */
    unsigned char data[64] = {0}, back[64] = {0};
    const struct plc_tag_def *both[] = {hi, delay};
    plc_tag_encode(hi, 61.0, data);
    plc_tag_encode(delay, 4500, data);
    assert_int_equal(plc_region_write_tags(w, both, 2, data), 0);
    assert_int_equal(plc_region_read_tags(r, both, 2, back), 0);
    assert_true(plc_tag_decode(hi, back) == 61.0);
    assert_true(plc_tag_decode(delay, back) == 4500.0);

    /* a tag of another region is refused */
    const struct plc_tag_def *other = plc_layout_find_tag(f->layout, "motor_run");
    assert_int_equal(plc_region_read_tag(r, other, &v), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(plc_region_write_tag(w, other, 1), -1);
    assert_int_equal(errno, EINVAL);

    /* readers cannot write */
    assert_int_equal(plc_region_write_tag(r, hi, 1), -1);
    assert_int_equal(errno, EPERM);

    struct plc_region_info info;
    assert_int_equal(plc_region_get_info(r, &info), 0);
    assert_int_equal(info.writes, 2);
    assert_int_equal(info.seq, 4);
    assert_int_equal(info.reads, 4);
    assert_int_equal(info.epoch, 1);
    assert_string_equal(info.writer_service, "modbus");
    assert_int_equal(info.writer_pid, getpid());
    assert_true(info.writer_alive);
    plc_region_detach(r);
    plc_region_detach(w);
}

static void second_writer_refused_names_holder(void **state)
{
    struct fixture *f = *state;
    struct ready ready, done;
    ready_open(&ready);
    ready_open(&done);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        fixture_child_dies_with_test();
        struct plc_region *w =
            plc_region_attach(f->layout, f->base, "outputs", PLC_WRITER, "logic", NULL);
        if (!w)
            _exit(1);
        ready_signal(&ready);
        ready_wait(&done);
        plc_region_detach(w);
        _exit(0);
    }
    ready_wait(&ready);
    assert_null(plc_region_attach(f->layout, f->base, "outputs", PLC_WRITER, "logic", &f->diag));
    assert_int_equal(errno, PLC_EHELD);
    char want[200];
    snprintf(want, sizeof(want), "region 'outputs' is held by pid %d (%s)", (int)child,
             PLC_TEST_COMM);
    assert_string_equal(f->diag.msg, want);

    /* a clean detach frees the claim */
    ready_signal(&done);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_int_equal(status, 0);
    struct plc_region *w = attach(f, "outputs", PLC_WRITER, "logic");
    struct plc_region_info info;
    plc_region_get_info(w, &info);
    assert_int_equal(info.took_over_from, 0);
    /* the child's claim and this one: claims count starts, refused ones not */
    assert_int_equal(info.claims, 2);
    plc_region_detach(w);
}

static void dead_writer_seen_within_1s_and_taken_over(void **state)
{
    struct fixture *f = *state;
    pid_t child = fork_writer(f, "outputs", "logic", NULL, NULL);
    struct plc_region *r = attach(f, "outputs", PLC_READER, NULL);
    assert_int_equal(plc_region_writer_alive(r), 1);

    /* kill -9 and do not reap: a zombie must count as dead too */
    assert_int_equal(kill(child, SIGKILL), 0);
    uint64_t t0 = now_ns();
    while (plc_region_writer_alive(r) && now_ns() - t0 < 2000000000u)
        usleep(1000);
    uint64_t seen = now_ns() - t0;
    assert_int_equal(plc_region_writer_alive(r), 0);
    assert_true(seen < 1000000000u);

    struct plc_region *w = attach(f, "outputs", PLC_WRITER, "logic");
    struct plc_region_info info;
    plc_region_get_info(w, &info);
    assert_int_equal(info.took_over_from, child);
    assert_int_equal(info.writer_pid, getpid());
    assert_int_equal(info.claims, 2); /* a take-over is a start too */
    assert_int_equal(plc_region_writer_alive(r), 1);
    plc_region_detach(w);
    plc_region_detach(r);
    waitpid(child, NULL, 0);
}

static void reader_of_dead_midwrite_region_gets_error_not_spin(void **state)
{
    struct fixture *f = *state;
    pid_t child = fork_writer(f, "outputs", "logic", NULL, NULL);
    /* Leave the sequence odd, as a writer killed inside a write would. */
    struct plc_shm_header *h = fixture_map(f, "outputs", 4096);
    atomic_fetch_add(&h->seq, 1);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);

    struct plc_region *r = attach(f, "outputs", PLC_READER, NULL);
    unsigned char buf[64];
    uint64_t t0 = now_ns();
    assert_int_equal(plc_region_read(r, buf), -1);
    assert_int_equal(errno, PLC_EDEADWRITER);
    assert_true(now_ns() - t0 < 1000000000u);
    assert_string_equal(plc_strerror(PLC_EDEADWRITER),
                        "region left mid-write by a writer that died: it is readable again "
                        "once its service restarts");

    /* a waiter is told too, instead of sleeping for ever */
    assert_int_equal(plc_region_wait(r, -1), -1);
    assert_int_equal(errno, PLC_EDEADWRITER);

    /* the next writer completes the sequence and readers recover */
    struct plc_region *w = attach(f, "outputs", PLC_WRITER, "logic");
    memset(buf, 0, sizeof(buf));
    assert_int_equal(plc_region_write(w, buf), 0);
    assert_int_equal(plc_region_read(r, buf), 0);
    assert_int_equal(atomic_load(&h->seq) % 2, 0);
    struct plc_region_info info;
    plc_region_get_info(r, &info);
    assert_true(info.stale_reads >= 1);
    plc_region_detach(w);
    plc_region_detach(r);
    fixture_unmap(h, 4096);
}

/* ---- writers that die mid-write --------------------------------------------------- */

static struct fixture *big_fixture(void)
{
    /* One region 'big' of 512 words (2 KiB), so that a write takes long
     * enough to be caught in the middle. */
    size_t cap = 64 * 512 + 128;
    char *text = malloc(cap);
    assert_non_null(text);
    int n = snprintf(text, cap, "[layout]\nname = torn\nversion = 1\n"
                                "[region big]\nwriter = modbus\n");
    for (int i = 0; i < 512; i++)
        n += snprintf(text + n, cap - (size_t)n, "[tag w%d]\nregion = big\ntype = uint32\n", i);
    struct fixture *f = fixture_new(text);
    free(text);
    fixture_init(f);
    return f;
}

/* Writes k into every word of 'big', k = 1, 2, ..., until killed. */
static void write_for_ever(struct plc_region *w, void *arg)
{
    uint32_t buf[512];
    (void)arg;
    for (uint32_t k = 1;; k++) {
        for (size_t i = 0; i < 512; i++)
            buf[i] = k;
        plc_region_write(w, buf);
    }
}

static void writer_killed_mid_write_is_undone_by_the_next(void **state)
{
    (void)state;
    struct fixture *f = big_fixture();
    struct plc_shm_header *h = fixture_map(f, "big", 8192);

    /* kill -9 a writer that never stops writing until one dies with the
     * sequence odd: a real half-done write, no hook in the library */
    int tries = 0;
    uint32_t seq;
    for (;; tries++) {
        assert_true(tries < 2000);
        pid_t child = fork_writer(f, "big", "modbus", write_for_ever, NULL);
        usleep(1000);
        kill(child, SIGKILL);
        waitpid(child, NULL, 0);
        seq = atomic_load(&h->seq);
        if (seq & 1)
            break;
    }
    const uint32_t *live = (const uint32_t *)((const char *)h + PLC_REGION_HEADER_SIZE);
    print_message("caught a writer mid-write after %d tries: seq %u, words %u .. %u\n",
                  tries + 1, seq, live[0], live[511]);
    /* the last complete copy, as the dead writer left it: one whole write */
    uint32_t last[512];
    memcpy(last, (const char *)live + PLC_REGION_COPY_OFFSET(sizeof(last)), sizeof(last));
    for (size_t i = 1; i < 512; i++)
        if (last[i] != last[0])
            fail_msg("the copy's word %zu is %u, word 0 is %u: the copy is torn", i, last[i],
                     last[0]);

    /* readers are told the writer died mid-write, promptly */
    struct plc_region *r = attach(f, "big", PLC_READER, NULL);
    uint32_t buf[512];
    uint64_t t0 = now_ns();
    assert_int_equal(plc_region_read(r, buf), -1);
    assert_int_equal(errno, PLC_EDEADWRITER);
    assert_true(now_ns() - t0 < 1000000000u);

    /* the next writer puts the last complete write back before attach returns */
    struct plc_region *w = attach(f, "big", PLC_WRITER, "modbus");
    struct plc_region_info info;
    assert_int_equal(plc_region_get_info(w, &info), 0);
    assert_true(info.repaired);
    assert_int_equal(info.repairs, 1);
    assert_int_equal(info.seq, seq + 1);
    assert_int_equal(plc_region_read(r, buf), 0);
    for (size_t i = 1; i < 512; i++)
        if (buf[i] != buf[0])
            fail_msg("word %zu is %u, word 0 is %u: a torn picture was published", i, buf[i],
                     buf[0]);
    /* what was restored is that copy: the write completed before the one cut short */
    assert_memory_equal(buf, last, sizeof(buf));

    /* and it writes on from there; a later writer has nothing to repair */
    for (size_t i = 0; i < 512; i++)
        buf[i] = 7;
    assert_int_equal(plc_region_write(w, buf), 0);
    plc_region_detach(w);
    w = attach(f, "big", PLC_WRITER, "modbus");
    assert_int_equal(plc_region_get_info(w, &info), 0);
    assert_false(info.repaired);
    assert_int_equal(info.repairs, 1);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(plc_region_read(r, buf), 0);
    assert_int_equal(buf[0], 7);
    assert_int_equal(buf[511], 7);
    plc_region_detach(w);
    plc_region_detach(r);
    fixture_unmap(h, 8192);
    fixture_free(f);
}

/* A writer that dies after publishing but before its copy is up to date left
 * good data: the next writer keeps it (and has nothing to undo). */
static void writer_killed_after_publishing_keeps_its_write(void **state)
{
    struct fixture *f = *state;
    struct plc_shm_header *h = fixture_map(f, "commands", 8192);
    struct plc_region *w = attach(f, "commands", PLC_WRITER, "modbus");
    const struct plc_tag_def *t = plc_layout_find_tag(f->layout, "cmd_start");
    assert_int_equal(plc_region_write_tag(w, t, 41), 0);
    /* as if the next write were published and the copy never brought up to date */
    plc_region_detach(w);
    unsigned char *data = (unsigned char *)h + PLC_REGION_HEADER_SIZE;
    uint16_t v = 42;
    memcpy(data + t->offset, &v, sizeof(v));
    atomic_fetch_add(&h->seq, 2);

    w = attach(f, "commands", PLC_WRITER, "modbus");
    struct plc_region_info info;
    plc_region_get_info(w, &info);
    assert_false(info.repaired);
    assert_int_equal(atomic_load(&h->copy_seq), atomic_load(&h->seq));
    /* a later death mid-write goes back to 42, not to 41 */
    atomic_fetch_add(&h->seq, 1);
    plc_region_detach(w);
    atomic_store(&h->claim, 0);
    w = attach(f, "commands", PLC_WRITER, "modbus");
    plc_region_get_info(w, &info);
    assert_true(info.repaired);
    double got;
    assert_int_equal(plc_region_read_tag(w, t, &got), 0);
    assert_true(got == 42);
    plc_region_detach(w);
    fixture_unmap(h, 8192);
}

/* ---- a writer that finishes and detaches is not a dead one ------------------------ */

struct reader_arg {
    struct fixture *f;
    _Atomic int *go;
    int dead, failed;
};

static void *read_once(void *p)
{
    struct reader_arg *a = p;
    struct plc_region *r = plc_region_attach(a->f->layout, a->f->base, "outputs", PLC_READER,
                                             NULL, NULL);
    unsigned char buf[64];
    if (!r) {
        a->failed++;
        return NULL;
    }
    atomic_fetch_add(a->go, 1);
    if (plc_region_read(r, buf) < 0) {
        if (errno == PLC_EDEADWRITER)
            a->dead++;
        else
            a->failed++;
    }
    plc_region_detach(r);
    return NULL;
}

static void writer_that_finished_and_detached_is_not_dead(void **state)
{
    struct fixture *f = *state;
    int dead = 0;
    struct plc_shm_header *h = fixture_map(f, "outputs", 8192);
    enum { TRIALS = 40, READERS = 4 };
    for (int trial = 0; trial < TRIALS; trial++) {
        struct plc_region *w = attach(f, "outputs", PLC_WRITER, "logic");
        /* a write under way ... */
        uint32_t s = atomic_fetch_add(&h->seq, 1) + 1;
        _Atomic int go = 0;
        pthread_t th[READERS];
        struct reader_arg args[READERS];
        for (int i = 0; i < READERS; i++) {
            args[i] = (struct reader_arg){f, &go, 0, 0};
            assert_int_equal(pthread_create(&th[i], NULL, read_once, &args[i]), 0);
        }
        /* ... that readers wait out past their dead-writer check (1 ms) ... */
        while (atomic_load(&go) < READERS)
            sched_yield();
        usleep(3000);
        /* ... and that ends, the writer detaching right after, as a clean exit does */
        atomic_store(&h->seq, s + 1);
        plc_region_detach(w);
        for (int i = 0; i < READERS; i++) {
            pthread_join(th[i], NULL);
            assert_int_equal(args[i].failed, 0);
            dead += args[i].dead;
        }
    }
    if (dead)
        fail_msg("%d of %d reads took a writer that finished and detached for a dead one", dead,
                 TRIALS * READERS);
    fixture_unmap(h, 8192);
}

/* ---- heartbeat ages ---------------------------------------------------------------- */

struct beater {
    struct plc_region *w;
    _Atomic bool stop;
};

static void *beat(void *p)
{
    struct beater *b = p;
    while (!atomic_load(&b->stop)) {
        plc_region_heartbeat(b->w);
        usleep(100);
    }
    return NULL;
}

/* plc-io compares this age with its timeout: a negative one read as stale. */
static void heartbeat_age_is_never_negative(void **state)
{
    struct fixture *f = *state;
    struct beater b = {.w = attach(f, "outputs", PLC_WRITER, "logic")};
    struct plc_region *r = attach(f, "outputs", PLC_READER, NULL);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, beat, &b), 0);
    unsigned long calls = 0, negative = 0;
    uint64_t t0 = now_ns();
    while (now_ns() - t0 < 1500000000u) {
        struct plc_region_info info;
        assert_int_equal(plc_region_get_info(r, &info), 0);
        negative += info.heartbeat_age_ns < 0;
        calls++;
    }
    atomic_store(&b.stop, true);
    pthread_join(th, NULL);
    if (negative)
        fail_msg("%lu of %lu heartbeat ages were negative", negative, calls);
    plc_region_detach(r);
    plc_region_detach(b.w);
}

static void wait_returns_on_change_and_times_out(void **state)
{
    struct fixture *f = *state;
    struct plc_region *r = attach(f, "commands", PLC_READER, NULL);
    const struct plc_tag_def *start = plc_layout_find_tag(f->layout, "cmd_start");

    assert_int_equal(plc_region_wait(r, 0), 0);
    uint64_t t0 = now_ns();
    assert_int_equal(plc_region_wait(r, 50000000), 0);
    assert_true(now_ns() - t0 >= 50000000u);

    struct ready ready;
    ready_open(&ready);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        fixture_child_dies_with_test();
        struct plc_region *w =
            plc_region_attach(f->layout, f->base, "commands", PLC_WRITER, "modbus", NULL);
        ready_wait(&ready); /* parent is about to block */
        usleep(20000);
        _exit(w && plc_region_write_tag(w, start, 7) == 0 ? 0 : 1);
    }
    ready_signal(&ready);
    assert_int_equal(plc_region_wait(r, 5000000000), 1);
    double v;
    assert_int_equal(plc_region_read_tag(r, start, &v), 0);
    assert_true(v == 7.0);
    /* seen: no further change */
    assert_int_equal(plc_region_wait(r, 0), 0);
    int status;
    waitpid(child, &status, 0);
    assert_int_equal(status, 0);
    plc_region_detach(r);
}

/* Ping-pong: every write must wake the waiter; a lost wake-up shows as a 2 s timeout. */
static void wait_never_misses_a_write(void **state)
{
    struct fixture *f = *state;
    const struct plc_tag_def *start = plc_layout_find_tag(f->layout, "cmd_start");
    struct ready ready, ack;
    ready_open(&ready);
    ready_open(&ack);
    enum { ROUNDS = 2000 };
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        fixture_child_dies_with_test();
        struct plc_region *r =
            plc_region_attach(f->layout, f->base, "commands", PLC_READER, NULL, NULL);
        if (!r)
            _exit(1);
        ready_signal(&ready);
        for (int i = 1; i <= ROUNDS; i++) {
            double v = 0;
            while (v != i) {
                uint64_t t0 = now_ns();
                if (plc_region_wait(r, 2000000000) != 1 || plc_region_read_tag(r, start, &v) < 0)
                    _exit(2);
                if (now_ns() - t0 > 1000000000u)
                    _exit(3); /* the write came and nothing woke us: found only at the timeout */
            }
            ready_signal(&ack);
        }
        _exit(0);
    }
    ready_wait(&ready);
    close(ack.fd[1]); /* so a child that gave up shows as end of file, not a hang */
    struct plc_region *w = attach(f, "commands", PLC_WRITER, "modbus");
    for (int i = 1; i <= ROUNDS; i++) {
        assert_int_equal(plc_region_write_tag(w, start, i), 0);
        ready_wait(&ack);
    }
    int status;
    waitpid(child, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    plc_region_detach(w);
}

static void init_keeps_data_and_refuses_other_layout(void **state)
{
    struct fixture *f = *state;
    const struct plc_tag_def *hi = plc_layout_find_tag(f->layout, "level_high");
    const struct plc_region_def *params = plc_layout_find_region(f->layout, "parameters");
    struct plc_region *w = attach(f, "parameters", PLC_WRITER, "modbus");
    assert_int_equal(plc_region_write_tag(w, hi, 42), 0);
    plc_region_detach(w);

    /* same layout: kept, data and all */
    assert_int_equal(plc_region_create(f->layout, f->base, params, 0, &f->diag),
                     PLC_CREATE_KEPT);
    struct plc_region *r = attach(f, "parameters", PLC_READER, NULL);
    double v;
    assert_int_equal(plc_region_read_tag(r, hi, &v), 0);
    assert_true(v == 42.0);

    /* another layout: refused and explained, nothing touched */
    char *text = demo_text_with("initial = 80", "initial = 70");
    struct plc_diag d;
    struct plc_layout *other = plc_layout_load_string(text, "other.ini", &d);
    assert_non_null(other);
    const struct plc_region_def *oparams = plc_layout_find_region(other, "parameters");
    assert_int_equal(plc_region_create(other, f->base, oparams, 0, &f->diag), PLC_CREATE_ERROR);
    assert_int_equal(errno, PLC_ELAYOUT);
    char made[96];
    snprintf(made, sizeof(made), "region 'parameters' was made from layout 'demo' version %u",
             plc_layout_get_version(f->layout));
    assert_diag_has(&f->diag, made);
    assert_diag_has(&f->diag, "re-create it with plc-shm-init --recreate");
    assert_int_equal(plc_region_read_tag(r, hi, &v), 0);
    assert_true(v == 42.0);

    /* forced: re-created with the new initial values and a new epoch; old handles told */
    assert_int_equal(plc_region_create(other, f->base, oparams, PLC_CREATE_FORCE, &f->diag),
                     PLC_CREATE_REMADE);
    assert_int_equal(plc_region_read_tag(r, hi, &v), -1);
    assert_int_equal(errno, PLC_ERETIRED);
    assert_int_equal(plc_region_check(r), -1);
    assert_int_equal(errno, PLC_ERETIRED);
    plc_region_detach(r);

    struct plc_region *r2 =
        plc_region_attach(other, f->base, "parameters", PLC_READER, NULL, &f->diag);
    assert_non_null(r2);
    assert_int_equal(plc_region_read_tag(r2, plc_layout_find_tag(other, "level_high"), &v), 0);
    assert_true(v == 70.0);
    struct plc_region_info info;
    plc_region_get_info(r2, &info);
    assert_int_equal(info.epoch, 2);
    plc_region_detach(r2);
    plc_layout_free(other);
    free(text);
}

static void removed_region_detected_by_check(void **state)
{
    struct fixture *f = *state;
    struct plc_region *r = attach(f, "inputs", PLC_READER, NULL);
    assert_int_equal(plc_region_check(r), 0);
    char path[256];
    fixture_path(f, "inputs", path, sizeof(path));
    unlink(path);
    assert_int_equal(plc_region_check(r), -1);
    assert_int_equal(errno, PLC_ERETIRED);
    plc_region_detach(r);
}

static void mappers_counted_from_proc(void **state)
{
    struct fixture *f = *state;
    struct plc_region *a = attach(f, "inputs", PLC_READER, NULL);
    struct plc_region *b = attach(f, "inputs", PLC_READER, NULL);
    /* one process, two handles: one mapper */
    assert_int_equal(plc_region_count_mappers(a), 1);
    struct ready ready, done;
    ready_open(&ready);
    ready_open(&done);
    pid_t child = fork();
    if (child == 0) {
        fixture_child_dies_with_test();
        ready_signal(&ready);
        ready_wait(&done);
        _exit(0);
    }
    ready_wait(&ready);
    assert_int_equal(plc_region_count_mappers(a), 2); /* the child inherited the mapping */
    ready_signal(&done);
    waitpid(child, NULL, 0);
    plc_region_detach(b);
    plc_region_detach(a);
}

/* Both copies, at every alignment of either side and every length around the
 * word loops' edges, copy exactly the bytes memcpy would and nothing beside. */
static void relaxed_copy_equals_memcpy_at_every_offset(void **state)
{
    (void)state;
    enum { MAXN = 5 * 4 * sizeof(long) + 7, PAD = 16, SIZE = MAXN + 2 * PAD };
    unsigned char src[SIZE], dst[SIZE], want[SIZE];
    for (size_t i = 0; i < SIZE; i++)
        src[i] = (unsigned char)(i * 7 + 1);
    for (int store = 0; store < 2; store++)
        for (size_t so = 0; so < PAD; so++)
            for (size_t d = 0; d < PAD; d++)
                for (size_t n = 0; n <= MAXN; n++) {
                    memset(dst, 0xa5, SIZE);
                    memcpy(want, dst, SIZE);
                    memcpy(want + d, src + so, n);
                    if (store)
                        plc_payload_store(dst + d, src + so, n);
                    else
                        plc_payload_load(dst + d, src + so, n);
                    if (memcmp(dst, want, SIZE) != 0)
                        fail_msg("plc_payload_%s(dst + %zu, src + %zu, %zu) differs from memcpy",
                                 store ? "store" : "load", d, so, n);
                }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(attach_missing_region_names_init_tool),
        cmocka_unit_test_setup_teardown(attach_unknown_region_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(region_path_is_base_layout_region, setup, teardown),
        cmocka_unit_test_setup_teardown(attach_bad_magic_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(attach_wrong_size_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(attach_truncated_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(attach_other_layout_prints_both, setup, teardown),
        cmocka_unit_test_setup_teardown(attach_not_regular_file_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(attach_symlink_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(attach_outside_base_dir_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(attach_writer_must_be_the_layouts_writer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(write_then_read_round_trips_tags, setup, teardown),
        cmocka_unit_test_setup_teardown(second_writer_refused_names_holder, setup, teardown),
        cmocka_unit_test_setup_teardown(dead_writer_seen_within_1s_and_taken_over, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(reader_of_dead_midwrite_region_gets_error_not_spin,
                                        setup, teardown),
        cmocka_unit_test(writer_killed_mid_write_is_undone_by_the_next),
        cmocka_unit_test_setup_teardown(writer_killed_after_publishing_keeps_its_write, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(writer_that_finished_and_detached_is_not_dead, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(heartbeat_age_is_never_negative, setup, teardown),
        cmocka_unit_test_setup_teardown(wait_returns_on_change_and_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(wait_never_misses_a_write, setup, teardown),
        cmocka_unit_test_setup_teardown(init_keeps_data_and_refuses_other_layout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(removed_region_detected_by_check, setup, teardown),
        cmocka_unit_test_setup_teardown(mappers_counted_from_proc, setup, teardown),
        cmocka_unit_test(relaxed_copy_equals_memcpy_at_every_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
