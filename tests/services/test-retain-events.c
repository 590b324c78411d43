/* SPDX-License-Identifier: MIT */
/*
 * plc-retain's event follower: rings into the history, where it resumes, what
 * it tells about loss and missing rings, the journal's fields; and a kill -9
 * campaign against the real plc-retain with a real writer process.
 */
#include <inttypes.h>
#include <sys/stat.h>

#include "../runtime/fixture.h"
#include "follow.h"
#include "plc-event-history.h"

#define PLC_RETAIN PLC_BINARY_DIR "/services/plc-retain"
#define WAIT_NS 30000000000ull /* a loaded machine is slow, not wrong */
#define CAMPAIGN_CAPACITY (1u << 16)

struct ctx {
    struct fixture *f;
    char dir[96]; /* the history */
    struct fixture_log log;
    pid_t pids[2]; /* a writer and a plc-retain, killed by teardown */
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    c->f = fixture_new(NULL);
    snprintf(c->dir, sizeof(c->dir), "%s/events", c->f->base);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    for (int i = 0; i < 2; i++)
        if (c->pids[i] > 0) {
            kill(c->pids[i], SIGKILL);
            waitpid(c->pids[i], NULL, 0);
        }
    fixture_free(c->f);
    free(c);
    return 0;
}

static void ring_path(struct ctx *c, enum plc_event_source s, char *buf, size_t len)
{
    assert_int_equal(plc_event_ring_path(c->f->layout, c->f->base, s, buf, len), 0);
}

static struct plc_event_ring *make_ring(struct ctx *c, enum plc_event_source s, unsigned cap)
{
    char path[256];
    struct plc_diag diag;
    assert_int_equal(plc_layout_dir_make(c->f->layout, c->f->base, &diag), 0);
    ring_path(c, s, path, sizeof(path));
    uint64_t hash = plc_layout_get_hash(c->f->layout);
    unlink(path); /* the fixture's, if it made one: this test sizes its own */
    if (plc_event_ring_create(path, cap, hash, &diag) == PLC_CREATE_ERROR)
        fail_msg("%s", diag.msg);
    struct plc_event_ring *r = plc_event_ring_open(path, PLC_WRITER, hash, &diag);
    if (!r)
        fail_msg("%s", diag.msg);
    return r;
}

/* Record k of a writer: its values say which it is, so any mix-up shows. */
static void append_k(struct plc_event_ring *r, enum plc_event_source s, uint64_t k)
{
    struct plc_event ev;
    char text[48];
    snprintf(text, sizeof(text), "check %" PRIu64, k);
    plc_event_init(&ev, s, PLC_EVENT_MODBUS_WRITE, 5, "burst", text);
    ev.before = (double)(3 * k);
    ev.after = (double)k;
    assert_int_equal(plc_event_ring_append(r, &ev), 0);
}

static struct plc_retain_events *follow(struct ctx *c)
{
    struct plc_retain_events_config cfg = {
        .layout = c->f->layout,
        .base_dir = c->f->base,
        .history = {.dir = c->dir, .name = "demo", .batch = 4, .batch_ms = 20},
        .poll_ms = 10,
        .log = fixture_log_to,
        .log_user = &c->log,
    };
    struct plc_diag diag;
    struct plc_retain_events *e = plc_retain_events_new(&cfg, &diag);
    if (!e)
        fail_msg("%s", diag.msg);
    return e;
}

static void wait_events(struct plc_retain_events *e, uint64_t n)
{
    struct plc_retain_events_stats st;
    uint64_t end = now_ns() + WAIT_NS;
    do {
        plc_retain_events_get_stats(e, &st);
        if (st.events >= n)
            return;
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    } while (now_ns() < end);
    fail_msg("the follower took %" PRIu64 " events of %" PRIu64 " in 30 s", st.events, n);
}

struct history {
    uint64_t n, seq[CAMPAIGN_CAPACITY * 2], lost;
    int source[CAMPAIGN_CAPACITY * 2];
    struct plc_event_history_stats st;
};

/* The whole history, or the records of source @only (0: all), each checked
 * against what its writer wrote. */
static void read_history(struct ctx *c, struct history *h, int only)
{
    struct plc_event_history_config cfg = {.dir = c->dir, .name = "demo"};
    struct plc_diag diag;
    struct plc_event_history *r = plc_event_history_open(&cfg, PLC_READER, &diag);
    if (!r)
        fail_msg("%s", diag.msg);
    struct plc_event_record rec;
    h->n = h->lost = 0;
    while (plc_event_history_next(r, &rec) == 1) {
        if (only && rec.ev.source != only)
            continue; /* e.g. plc-retain's own service-start */
        assert_true(h->n < CAMPAIGN_CAPACITY * 2);
        char text[48];
        snprintf(text, sizeof(text), "check %" PRIu64, rec.ev.seq);
        if (rec.ev.after != (double)rec.ev.seq || rec.ev.before != 3.0 * (double)rec.ev.seq ||
            strcmp(rec.ev.text, text) != 0)
            fail_msg("history record %" PRIu64 " is not what seq %" PRIu64 " held", h->n,
                     rec.ev.seq);
        h->source[h->n] = rec.ev.source;
        h->seq[h->n++] = rec.ev.seq;
        h->lost += rec.lost;
    }
    plc_event_history_get_stats(r, &h->st);
    plc_event_history_close(r);
}

static size_t count(const char *text, const char *part)
{
    size_t n = 0;
    for (const char *p = text; (p = strstr(p, part)); p++)
        n++;
    return n;
}

static void follows_rings_and_resumes_without_duplicates(void **state)
{
    struct ctx *c = *state;
    struct plc_event_ring *logic = make_ring(c, PLC_SOURCE_LOGIC, 64);
    struct plc_event_ring *io = make_ring(c, PLC_SOURCE_IO, 64);
    for (uint64_t k = 0; k < 5; k++)
        append_k(logic, PLC_SOURCE_LOGIC, k);
    struct plc_retain_events *e = follow(c);
    for (uint64_t k = 0; k < 3; k++)
        append_k(io, PLC_SOURCE_IO, k);
    wait_events(e, 8);
    struct timespec ts = {0, 50000000}; /* a few polls: the missing rings' warnings stay one */
    nanosleep(&ts, NULL);
    assert_int_equal(plc_retain_events_stop(e), 0);
    plc_retain_events_free(e);
    char modbus[256];
    ring_path(c, PLC_SOURCE_MODBUS, modbus, sizeof(modbus));
    assert_int_equal(count(c->log.text, modbus), 1);
    assert_int_equal(count(c->log.text, "(a layout made before events?); following the other rings"),
                     6); /* shm-init, modbus, retain, plcctl, web, mqtt */

    /* While it is stopped, four more; a new follower takes exactly those. */
    for (uint64_t k = 5; k < 9; k++)
        append_k(logic, PLC_SOURCE_LOGIC, k);
    e = follow(c);
    wait_events(e, 4);
    assert_int_equal(plc_retain_events_stop(e), 0);
    plc_retain_events_free(e);
    static struct history h;
    read_history(c, &h, 0);
    assert_int_equal(h.n, 12);
    uint64_t next[16] = {0};
    for (uint64_t i = 0; i < h.n; i++)
        assert_int_equal(h.seq[i], next[h.source[i]]++); /* per ring: in order, once each */
    assert_int_equal(next[PLC_SOURCE_LOGIC], 9);
    assert_int_equal(next[PLC_SOURCE_IO], 3);
    assert_int_equal(h.lost, 0);
    plc_event_ring_close(logic);
    plc_event_ring_close(io);
}

static void records_a_lapped_ring_lost_with_the_next_record(void **state)
{
    struct ctx *c = *state;
    struct plc_event_ring *logic = make_ring(c, PLC_SOURCE_LOGIC, 4);
    for (uint64_t k = 0; k < 10; k++)
        append_k(logic, PLC_SOURCE_LOGIC, k);
    struct plc_retain_events *e = follow(c);
    wait_events(e, 4);
    assert_int_equal(plc_retain_events_stop(e), 0);
    struct plc_retain_events_stats st;
    plc_retain_events_get_stats(e, &st);
    assert_int_equal(st.lost, 6);
    plc_retain_events_free(e);
    static struct history h;
    read_history(c, &h, PLC_SOURCE_LOGIC);
    assert_int_equal(h.n, 4);
    assert_int_equal(h.seq[0], 6);
    assert_int_equal(h.lost, 6);
    assert_non_null(strstr(c->log.text, "6 record(s) lost before record 6"));
    plc_event_ring_close(logic);
}

static void journal_entry_has_the_fields_that_mean_something(void **state)
{
    (void)state;
    struct plc_event_record rec = {.lost = 2};
    struct plc_journal_entry j;
    plc_event_init(&rec.ev, PLC_SOURCE_LOGIC, PLC_EVENT_ALARM_RAISED, 4, "level_high",
                   "above limit");
    rec.ev.seq = 17;
    rec.ev.before = 80;
    rec.ev.after = 96;
    plc_retain_events_journal_entry(&rec, &j);
    const char *want[] = {"MESSAGE=logic alarm-raised 'level_high' 80 -> 96: above limit",
                          "PRIORITY=4", "PLC_SOURCE=logic", "PLC_KIND=alarm-raised",
                          "PLC_SEVERITY=warning", "PLC_SEQ=17", "PLC_TAG=level_high",
                          "PLC_BEFORE=80", "PLC_AFTER=96", "PLC_LOST=2"};
    assert_int_equal(j.n, sizeof(want) / sizeof(want[0]));
    for (unsigned i = 0; i < j.n; i++)
        assert_string_equal(j.field[i], want[i]);
    rec = (struct plc_event_record){0};
    plc_event_init(&rec.ev, PLC_SOURCE_IO, PLC_EVENT_SERVICE_START, 6, NULL, NULL);
    plc_retain_events_journal_entry(&rec, &j);
    assert_int_equal(j.n, 6); /* no tag, no values, nothing lost */
    assert_string_equal(j.field[0], "MESSAGE=io service-start");
}

/* ---- kill -9: plc-retain and the writer, mid-burst --------------------------------- */

/* A writer that appends to the logic ring until killed: bursts of 20, a pause of 1 ms. */
static pid_t start_writer(struct ctx *c, struct ready *ready)
{
    char path[256];
    ring_path(c, PLC_SOURCE_LOGIC, path, sizeof(path));
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fixture_child_dies_with_test();
        struct plc_event_ring *r =
            plc_event_ring_open(path, PLC_WRITER, plc_layout_get_hash(c->f->layout), NULL);
        if (!r)
            _exit(3);
        ready_signal(ready);
        for (;;) {
            for (int i = 0; i < 20; i++)
                append_k(r, PLC_SOURCE_LOGIC, plc_event_ring_get_head(r));
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    return pid;
}

/* What plc-retain has logged so far (its stderr goes to a file: nobody has to read it). */
static void read_log(const char *path, char *out, size_t len)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    out[fread(out, 1, len - 1, f)] = '\0';
    fclose(f);
}

/* plc-retain, real; returns once it says it is ready. */
static pid_t start_retain(struct ctx *c, char *retain_dir)
{
    char log[128], out[8192];
    snprintf(log, sizeof(log), "%s/plc-retain.log", c->f->base);
    unlink(log);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fixture_child_dies_with_test();
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 2);
        execl(PLC_RETAIN, PLC_RETAIN, "--base-dir", c->f->base, "--dir", retain_dir,
              "--events-dir", c->dir, "--events-batch", "16", "--events-batch-time", "100ms",
              "--events-file-size", "64M", "--no-journal", PLC_TEST_LAYOUT, (char *)NULL);
        _exit(127);
    }
    uint64_t end = now_ns() + WAIT_NS;
    do {
        read_log(log, out, sizeof(out));
        if (strstr(out, "; ready (pid "))
            return pid;
        struct timespec ts = {0, 5000000};
        nanosleep(&ts, NULL);
    } while (now_ns() < end && waitpid(pid, NULL, WNOHANG) == 0);
    fail_msg("plc-retain did not get ready:\n%s", out);
    return 0;
}

static void kill_wait(pid_t *pid)
{
    kill(*pid, SIGKILL);
    waitpid(*pid, NULL, 0);
    *pid = 0;
}

/* Wait until the history holds at least @n records; their number. */
static uint64_t wait_history(struct ctx *c, struct history *h, uint64_t n)
{
    uint64_t end = now_ns() + WAIT_NS;
    do {
        read_history(c, h, PLC_SOURCE_LOGIC);
        if (h->n >= n)
            return h->n;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    } while (now_ns() < end);
    fail_msg("the history holds %" PRIu64 " records, not %" PRIu64 ", after 30 s", h->n, n);
    return 0;
}

static void kill9_mid_burst_history_whole_and_complete_after_restart(void **state)
{
    struct ctx *c = *state;
    static struct history h;
    char retain_dir[96];
    snprintf(retain_dir, sizeof(retain_dir), "%s/retain", c->f->base);
    fixture_init(c->f);
    plc_event_ring_close(make_ring(c, PLC_SOURCE_LOGIC, CAMPAIGN_CAPACITY));
    unsigned rounds = 30, torn = 0;
    uint64_t backlog_max = 0;
    srand((unsigned)getpid());
    for (unsigned round = 0; round < rounds; round++) {
        struct ready ready;
        ready_open(&ready);
        c->pids[1] = start_retain(c, retain_dir);
        c->pids[0] = start_writer(c, &ready);
        ready_wait(&ready);
        close(ready.fd[0]);
        close(ready.fd[1]);
        /* Mid-burst: once this round's records reach the disk, at a random moment. */
        wait_history(c, &h, h.n + 100);
        struct timespec ts = {0, (rand() % 50) * 1000000L};
        nanosleep(&ts, NULL);
        kill_wait(&c->pids[1]);
        kill_wait(&c->pids[0]);
        /* What the kill left: whole records only, each seq once and in order. */
        read_history(c, &h, PLC_SOURCE_LOGIC);
        assert_int_equal(h.st.corrupt, 0);
        torn += (unsigned)h.st.torn;
        for (uint64_t i = 1; i < h.n; i++)
            assert_true(h.seq[i] > h.seq[i - 1]);
        char path[256];
        ring_path(c, PLC_SOURCE_LOGIC, path, sizeof(path));
        struct plc_event_ring *r =
            plc_event_ring_open(path, PLC_READER, plc_layout_get_hash(c->f->layout), NULL);
        assert_non_null(r);
        uint64_t head = plc_event_ring_get_head(r), on_disk = h.n ? h.seq[h.n - 1] + 1 : 0;
        if (head - on_disk > backlog_max)
            backlog_max = head - on_disk;
        plc_event_ring_close(r);
    }
    /* A last plc-retain takes everything the ring holds: every seq is in the history
     * once or, for a writer killed inside an append, counted lost; nothing else. */
    char path[256];
    ring_path(c, PLC_SOURCE_LOGIC, path, sizeof(path));
    struct plc_event_ring *r =
        plc_event_ring_open(path, PLC_READER, plc_layout_get_hash(c->f->layout), NULL);
    uint64_t head = plc_event_ring_get_head(r);
    plc_event_ring_close(r);
    c->pids[1] = start_retain(c, retain_dir);
    uint64_t end = now_ns() + WAIT_NS;
    do {
        read_history(c, &h, PLC_SOURCE_LOGIC);
        if (h.n + h.lost >= head)
            break;
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
    } while (now_ns() < end);
    kill(c->pids[1], SIGTERM);
    waitpid(c->pids[1], NULL, 0);
    c->pids[1] = 0;
    read_history(c, &h, PLC_SOURCE_LOGIC);
    printf("# %u kills of plc-retain and the writer mid-burst: %" PRIu64 " records, %" PRIu64
           " lost (writers killed mid-append), %u torn tail(s) seen; the ring was at most %"
           PRIu64 " records ahead of the disk at a kill\n",
           rounds, h.n, h.lost, torn, backlog_max);
    assert_int_equal(h.st.corrupt, 0);
    assert_int_equal(h.n + h.lost, head);
    assert_true(h.lost <= rounds);
    for (uint64_t i = 1; i < h.n; i++)
        assert_true(h.seq[i] > h.seq[i - 1]);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(follows_rings_and_resumes_without_duplicates),
        T(records_a_lapped_ring_lost_with_the_next_record),
        T(journal_entry_has_the_fields_that_mean_something),
        T(kill9_mid_burst_history_whole_and_complete_after_restart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
