/* SPDX-License-Identifier: MIT */
/*
 * struct plc_event_ring: records in order, readers that fall behind, no torn
 * record with a writer in another process, writers killed anywhere (by hand
 * between the two commit stores, and by kill -9 in a loop), bad files.
 *
 * Records written by the writers here carry a checksum over every byte of
 * the record but their seq and the checksum itself (kept in 'after'), so a
 * record mixed from two writes, or half written, shows.
 */
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "event-format.h"
#include "fixture.h"

#define RUN_NS 1000000000ull  /* how long the torn-record test reads at least ... */
#define MIN_READS 1000        /* ... and how many records, however loaded the machine */
#define MAX_NS 20000000000ull /* the bound on either, and on catching the control tearing */

struct t {
    struct fixture *f;
    char path[128];
    uint64_t hash;
};

/* ---- children: every one started is killed and reaped by the teardown ---------- */

static pid_t kids[8];

static void kid_add(pid_t pid)
{
    for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
        if (!kids[i]) {
            kids[i] = pid;
            return;
        }
    fail_msg("too many children");
}

/* Kill -9 child @pid and reap it; nothing if it is gone already. */
static void kid_kill(pid_t pid)
{
    for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
        if (kids[i] == pid && pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            kids[i] = 0;
        }
}

/* Wait for child @pid to exit by itself; its exit status. */
static int kid_wait(pid_t pid)
{
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
        if (kids[i] == pid)
            kids[i] = 0;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Fork a child running @body (which exits with its verdict); it writes a byte on
 * @ready when it is ready, and the call returns once it has. */
static pid_t kid_start(void (*body)(struct t *t, struct ready *ready, void *arg), struct t *t,
                       void *arg)
{
    struct ready ready;
    ready_open(&ready);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        fixture_child_dies_with_test();
        close(ready.fd[0]);
        body(t, &ready, arg);
        _exit(0);
    }
    kid_add(pid);
    close(ready.fd[1]);
    char c;
    ssize_t n = read(ready.fd[0], &c, 1); /* 0: it died before it was ready */
    close(ready.fd[0]);
    if (n != 1)
        fail_msg("child %d died before it was ready (status %d)", (int)pid, kid_wait(pid));
    return pid;
}

static int setup(void **state)
{
    struct t *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->f = fixture_new(NULL);
    snprintf(t->path, sizeof(t->path), "%s/events", t->f->base);
    t->hash = plc_layout_get_hash(t->f->layout);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct t *t = *state;
    for (size_t i = 0; i < sizeof(kids) / sizeof(kids[0]); i++)
        kid_kill(kids[i]);
    fixture_free(t->f);
    free(t);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------------- */

static void make_ring(struct t *t, unsigned capacity)
{
    if (plc_event_ring_create(t->path, capacity, t->hash, &t->f->diag) != PLC_CREATE_MADE)
        fail_msg("create: %s", t->f->diag.msg);
}

static struct plc_event_ring *ring_open(struct t *t, enum plc_access access)
{
    struct plc_event_ring *r = plc_event_ring_open(t->path, access, t->hash, &t->f->diag);
    if (!r)
        fail_msg("open: %s", t->f->diag.msg);
    return r;
}

static void assert_diag(const struct plc_diag *d, const char *expect)
{
    char buf[1200];
    plc_diag_format(d, buf, sizeof(buf));
    if (strcmp(buf, expect) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", buf, expect);
}

/* The ring file mapped read-write, as another process or damage would see it. */
static struct plc_event_ring_header *map_file(const char *path, size_t len)
{
    int fd = open(path, O_RDWR);
    if (fd < 0)
        return NULL;
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return m == MAP_FAILED ? NULL : m;
}

static struct plc_event_slot *slot_of(struct plc_event_ring_header *h, uint64_t n)
{
    struct plc_event_slot *slots =
        (struct plc_event_slot *)((unsigned char *)h + PLC_EVENT_HEADER_SIZE);
    return &slots[n & (h->capacity - 1)];
}

/* FNV-1a over the record but its seq and 'after' (which holds the sum). */
static uint64_t checksum(const struct plc_event *ev)
{
    const unsigned char *p = (const unsigned char *)ev;
    uint64_t h = UINT64_C(14695981039346656037);
    for (size_t i = offsetof(struct plc_event, realtime_ns); i < sizeof(*ev); i++) {
        if (i >= offsetof(struct plc_event, after) && i < offsetof(struct plc_event, text))
            continue;
        h = (h ^ p[i]) * UINT64_C(1099511628211);
    }
    return h;
}

/* Record number @k of a writer: every byte follows from k, and the sum seals it. */
static void fill(struct plc_event *ev, uint64_t k)
{
    plc_event_init(ev, PLC_SOURCE_LOGIC, PLC_EVENT_MODBUS_WRITE, 6, NULL, NULL);
    ev->before = (double)k;
    for (size_t i = 0; i + 1 < sizeof(ev->name); i++)
        ev->name[i] = (char)('a' + (k + i) % 26);
    for (size_t i = 0; i + 1 < sizeof(ev->text); i++)
        ev->text[i] = (char)('A' + (k * 7 + i) % 26);
    uint64_t sum = checksum(ev);
    memcpy(&ev->after, &sum, sizeof(sum));
}

static bool intact(const struct plc_event *ev)
{
    uint64_t sum;
    memcpy(&sum, &ev->after, sizeof(sum));
    struct plc_event again;
    fill(&again, (uint64_t)ev->before);
    /* the clocks differ; the bytes that follow from k must not */
    return sum == checksum(ev) && memcmp(ev->name, again.name, sizeof(ev->name)) == 0 &&
           memcmp(ev->text, again.text, sizeof(ev->text)) == 0 && ev->source == again.source &&
           ev->kind == again.kind && ev->severity == again.severity;
}

static void append_k(struct plc_event_ring *w, uint64_t from, uint64_t count)
{
    struct plc_event ev;
    for (uint64_t k = from; k < from + count; k++) {
        fill(&ev, k);
        assert_int_equal(plc_event_ring_append(w, &ev), 0);
    }
}

/* Read one record that must be there: number @seq, written as writer record @k. */
static void read_one(struct plc_event_ring *r, uint64_t *cursor, uint64_t *lost, uint64_t seq,
                     uint64_t k)
{
    struct plc_event ev;
    assert_int_equal(plc_event_ring_read(r, cursor, &ev, lost), 1);
    assert_int_equal(ev.seq, seq);
    assert_int_equal((uint64_t)ev.before, k);
    assert_true(intact(&ev));
    assert_int_equal(*cursor, seq + 1);
}

/* Read records @first .. @end - 1, each written as writer record seq, none lost between. */
static void read_run(struct plc_event_ring *r, uint64_t *cursor, uint64_t *lost, uint64_t first,
                     uint64_t end)
{
    uint64_t lost_before = *lost;
    for (uint64_t k = first; k < end; k++)
        read_one(r, cursor, lost, k, k);
    assert_int_equal(*lost, lost_before);
}

static void assert_caught_up(struct plc_event_ring *r, uint64_t *cursor)
{
    struct plc_event ev;
    uint64_t lost = 0;
    assert_int_equal(plc_event_ring_read(r, cursor, &ev, &lost), 0);
    assert_int_equal(lost, 0);
}

/* ---- order, readers, falling behind ---------------------------------------------- */

static void append_then_read_in_order(void **state)
{
    struct t *t = *state;
    make_ring(t, 8);
    struct plc_event_ring *w = ring_open(t, PLC_WRITER), *r = ring_open(t, PLC_READER);
    assert_int_equal(plc_event_ring_get_capacity(r), 8);
    uint64_t cursor = 0, lost = 0;
    assert_caught_up(r, &cursor);

    struct plc_event ev, got;
    assert_int_equal(plc_event_init(&ev, PLC_SOURCE_PLCCTL, PLC_EVENT_FORCE_ON, 5, "motor_on",
                                    "forced on by plcctl"),
                     0);
    ev.before = 0.0;
    ev.after = 1.0;
    ev.seq = 77; /* the ring numbers records itself */
    assert_int_equal(plc_event_ring_append(w, &ev), 0);
    append_k(w, 1, 4);
    assert_int_equal(plc_event_ring_get_head(r), 5);

    assert_int_equal(plc_event_ring_read(r, &cursor, &got, &lost), 1);
    ev.seq = 0;
    assert_memory_equal(&got, &ev, sizeof(ev));
    read_run(r, &cursor, &lost, 1, 5);
    assert_int_equal(lost, 0);
    assert_caught_up(r, &cursor);
    assert_int_equal(cursor, 5);

    /* the writer's handle reads too; a cursor past the head goes back to it */
    cursor = 3;
    read_one(w, &cursor, &lost, 3, 3);
    cursor = 1000;
    assert_caught_up(r, &cursor);
    assert_int_equal(cursor, 5);
    plc_event_ring_close(w);
    plc_event_ring_close(r);
}

/* Child reader: follows the ring from 0 until it has @arg records, all in order. */
static void follow(struct t *t, struct ready *ready, void *arg)
{
    uint64_t want = *(uint64_t *)arg, cursor = 0, lost = 0, got = 0;
    struct plc_event_ring *r = plc_event_ring_open(t->path, PLC_READER, t->hash, NULL);
    if (!r)
        _exit(1);
    ready_signal(ready);
    struct plc_event ev;
    for (uint64_t t0 = now_ns(); got < want;) {
        int rc = plc_event_ring_read(r, &cursor, &ev, &lost);
        if (rc < 0 || lost)
            _exit(2);
        if (rc == 1 && (ev.seq != got++ || (uint64_t)ev.before != ev.seq || !intact(&ev)))
            _exit(3);
        if (rc == 0 && now_ns() - t0 > 20000000000ull)
            _exit(4);
    }
    plc_event_ring_close(r);
    _exit(0);
}

static void every_reader_sees_every_event(void **state)
{
    struct t *t = *state;
    uint64_t n = 1000;
    make_ring(t, 1024);
    pid_t a = kid_start(follow, t, &n), b = kid_start(follow, t, &n);
    struct plc_event_ring *w = ring_open(t, PLC_WRITER);
    struct plc_event_ring *r[3] = {ring_open(t, PLC_READER), ring_open(t, PLC_READER),
                                   ring_open(t, PLC_READER)};
    uint64_t cursor[3] = {0}, lost[3] = {0};
    for (uint64_t k = 0; k < n; k++) {
        append_k(w, k, 1);
        for (int i = 0; i < 3; i++)
            if (k % (uint64_t)(i + 1) == 0) /* each at its own pace */
                while (cursor[i] <= k)
                    read_one(r[i], &cursor[i], &lost[i], cursor[i], cursor[i]);
    }
    for (int i = 0; i < 3; i++) {
        while (cursor[i] < n)
            read_one(r[i], &cursor[i], &lost[i], cursor[i], cursor[i]);
        assert_int_equal(lost[i], 0);
        assert_caught_up(r[i], &cursor[i]);
        plc_event_ring_close(r[i]);
    }
    assert_int_equal(kid_wait(a), 0);
    assert_int_equal(kid_wait(b), 0);
    plc_event_ring_close(w);
}

static void lapped_reader_gets_newest_and_counts_exact_loss(void **state)
{
    struct t *t = *state;
    make_ring(t, 16);
    struct plc_event_ring *w = ring_open(t, PLC_WRITER), *r = ring_open(t, PLC_READER);
    append_k(w, 0, 48); /* three times round */

    uint64_t cursor = 0, lost = 0;
    read_one(r, &cursor, &lost, 32, 32); /* the oldest still there */
    assert_int_equal(lost, 32);
    read_run(r, &cursor, &lost, 33, 48);
    assert_int_equal(lost, 32);
    assert_caught_up(r, &cursor);

    /* a reader part way: only what was overwritten counts */
    uint64_t mid = 20, mid_lost = 0;
    read_one(r, &mid, &mid_lost, 32, 32);
    assert_int_equal(mid_lost, 12);
    uint64_t near = 40, near_lost = 0;
    read_one(r, &near, &near_lost, 40, 40);
    assert_int_equal(near_lost, 0);

    /* lost is added to, never reset: one count over a reader's life */
    append_k(w, 48, 17);
    read_one(r, &cursor, &lost, 49, 49);
    assert_int_equal(lost, 33);
    plc_event_ring_close(w);
    plc_event_ring_close(r);
}

/* ---- torn records ----------------------------------------------------------------- */

/* Child writer: opens the ring (taking it over) and appends until killed. */
static void append_for_ever(struct t *t, struct ready *ready, void *arg)
{
    (void)arg;
    struct plc_event_ring *w = plc_event_ring_open(t->path, PLC_WRITER, t->hash, NULL);
    if (!w)
        _exit(1);
    ready_signal(ready);
    struct plc_event ev;
    for (uint64_t k = plc_event_ring_get_head(w);; k++) {
        fill(&ev, k);
        plc_event_ring_append(w, &ev);
    }
}

static void reader_never_sees_a_torn_record(void **state)
{
    struct t *t = *state;
    make_ring(t, 64); /* small: the writer comes round under the reader often */
    struct plc_event_ring *r = ring_open(t, PLC_READER);
    pid_t writer = kid_start(append_for_ever, t, NULL);
    uint64_t cursor = 0, lost = 0, reads = 0, bad = 0, again = 0, last = 0;
    struct plc_event ev;
    for (uint64_t t0 = now_ns(), dt = 0; (dt < RUN_NS || reads < MIN_READS) && dt < MAX_NS;
         dt = now_ns() - t0) {
        int rc = plc_event_ring_read(r, &cursor, &ev, &lost);
        if (rc < 0) {
            assert_int_equal(errno, EAGAIN);
            again++;
        }
        if (rc != 1)
            continue;
        bad += !intact(&ev) || (uint64_t)ev.before != ev.seq || (reads && ev.seq <= last);
        last = ev.seq;
        reads++;
    }
    kid_kill(writer);
    print_message("%" PRIu64 " records read, %" PRIu64 " lost, %" PRIu64 " torn, %" PRIu64
                  " EAGAIN, writer at %" PRIu64 "\n",
                  reads, lost, bad, again, plc_event_ring_get_head(r));
    assert_int_equal(bad, 0);
    assert_true(reads >= MIN_READS);
    assert_int_equal(reads + lost, cursor); /* every number read or counted lost */
    plc_event_ring_close(r);
}

/* The check above would see tearing: the same slots read without the protocol do. */
static void reading_without_the_protocol_is_caught_tearing(void **state)
{
    struct t *t = *state;
    make_ring(t, 2);
    struct plc_event_ring_header *h = map_file(t->path, PLC_EVENT_HEADER_SIZE + 2 * 128);
    assert_non_null(h);
    pid_t writer = kid_start(append_for_ever, t, NULL);
    uint64_t t0 = now_ns(), reads = 0, torn = 0;
    while (atomic_load(&h->head) < 2) /* both slots hold records: no zeros read as torn */
        assert_true(now_ns() - t0 < MAX_NS);
    struct plc_event ev;
    for (; torn == 0 && now_ns() - t0 < MAX_NS; reads++) {
        const volatile unsigned char *body = slot_of(h, reads)->body;
        for (size_t i = 0; i < sizeof(slot_of(h, 0)->body); i++)
            ((unsigned char *)&ev)[8 + i] = body[i];
        torn += !intact(&ev);
    }
    kid_kill(writer);
    print_message("without the protocol: %" PRIu64 " torn in %" PRIu64 " reads\n", torn, reads);
    assert_true(torn > 0);
    munmap(h, PLC_EVENT_HEADER_SIZE + 2 * 128);
}

/* ---- writers that die ------------------------------------------------------------- */

/* How a child writer dies: after appending records 0 .. at - 1, in record 'at'. */
struct death {
    uint64_t at;
    bool complete; /* false: its commit word odd, its body half written; true: whole, but
                    * head not moved */
};

/* Child writer: appends, then starts record d->at by hand as append would and stops. */
static void die_in_record(struct t *t, struct ready *ready, void *arg)
{
    const struct death *d = arg;
    struct plc_event_ring *w = plc_event_ring_open(t->path, PLC_WRITER, t->hash, NULL);
    if (!w)
        _exit(1);
    struct plc_event_ring_header *h =
        map_file(t->path, PLC_EVENT_HEADER_SIZE + plc_event_ring_get_capacity(w) * 128);
    if (!h)
        _exit(1);
    struct plc_event ev;
    for (uint64_t k = 0; k < d->at; k++) {
        fill(&ev, k);
        plc_event_ring_append(w, &ev);
    }
    struct plc_event_slot *s = slot_of(h, d->at);
    fill(&ev, d->at);
    atomic_store(&s->commit, 2 * d->at + 1);
    memcpy(s->body, (unsigned char *)&ev + 8, d->complete ? sizeof(s->body) : 40);
    if (d->complete)
        atomic_store(&s->commit, 2 * d->at + 2);
    ready_signal(ready);
    for (;;)
        pause();
}

/* A ring of @capacity records whose writer died in record @at (see struct death). */
static void ring_after_death(struct t *t, unsigned capacity, uint64_t at, bool complete)
{
    make_ring(t, capacity);
    struct death d = {at, complete};
    kid_kill(kid_start(die_in_record, t, &d));
}

static void assert_counters(struct t *t, uint64_t takeovers, uint64_t broken)
{
    struct plc_event_ring_header *h = map_file(t->path, PLC_EVENT_HEADER_SIZE);
    assert_non_null(h);
    assert_int_equal(atomic_load(&h->takeovers), takeovers);
    assert_int_equal(atomic_load(&h->broken), broken);
    munmap(h, PLC_EVENT_HEADER_SIZE);
}

static void writer_killed_mid_record_costs_that_record_only(void **state)
{
    struct t *t = *state;
    ring_after_death(t, 16, 5, false);

    struct plc_event_ring *r = ring_open(t, PLC_READER);
    uint64_t cursor = 0, lost = 0;
    read_run(r, &cursor, &lost, 0, 5);
    assert_caught_up(r, &cursor); /* at once: the odd slot is not counted yet */

    /* the service restarts: the new writer takes the ring over and goes on */
    struct plc_event_ring *w = ring_open(t, PLC_WRITER);
    assert_int_equal(plc_event_ring_get_head(w), 6);
    append_k(w, 100, 3);
    read_one(r, &cursor, &lost, 6, 100);
    assert_int_equal(lost, 1);
    read_one(r, &cursor, &lost, 7, 101);
    read_one(r, &cursor, &lost, 8, 102);
    assert_caught_up(r, &cursor);
    assert_int_equal(lost, 1);

    /* a reader from the start sees the same: every whole record, one lost */
    uint64_t c2 = 0, lost2 = 0;
    struct plc_event ev;
    unsigned got = 0;
    while (plc_event_ring_read(r, &c2, &ev, &lost2) == 1) {
        assert_true(intact(&ev));
        got++;
    }
    assert_int_equal(got, 8);
    assert_int_equal(lost2, 1);

    assert_counters(t, 1, 1);
    plc_event_ring_close(w);
    plc_event_ring_close(r);
}

/* In a full ring the dead writer's slot held the oldest record: gone, and not waited for. */
static void writer_killed_mid_record_in_a_full_ring_is_not_waited_for(void **state)
{
    struct t *t = *state;
    ring_after_death(t, 16, 16, false);

    struct plc_event_ring *r = ring_open(t, PLC_READER);
    uint64_t cursor = 0, lost = 0;
    read_one(r, &cursor, &lost, 1, 1); /* record 0 was being replaced */
    assert_int_equal(lost, 1);
    read_run(r, &cursor, &lost, 2, 16);
    assert_caught_up(r, &cursor);

    struct plc_event_ring *w = ring_open(t, PLC_WRITER);
    append_k(w, 17, 1);
    read_one(r, &cursor, &lost, 17, 17);
    assert_int_equal(lost, 2);
    assert_caught_up(r, &cursor);

    uint64_t c2 = 0, lost2 = 0; /* from the start: 0 and 1 overwritten, 16 broken */
    read_one(r, &c2, &lost2, 2, 2);
    read_run(r, &c2, &lost2, 3, 16);
    read_one(r, &c2, &lost2, 17, 17);
    assert_int_equal(lost2, 3);
    assert_counters(t, 1, 1);
    plc_event_ring_close(w);
    plc_event_ring_close(r);
}

static void writer_killed_after_commit_keeps_that_record(void **state)
{
    struct t *t = *state;
    ring_after_death(t, 16, 5, true);

    struct plc_event_ring *w = ring_open(t, PLC_WRITER), *r = ring_open(t, PLC_READER);
    assert_int_equal(plc_event_ring_get_head(w), 6);
    append_k(w, 6, 2);
    uint64_t cursor = 0, lost = 0;
    read_run(r, &cursor, &lost, 0, 8);
    assert_int_equal(lost, 0);
    assert_caught_up(r, &cursor);
    plc_event_ring_close(w);
    plc_event_ring_close(r);
}

/* Read up to @limit records or until caught up: count records and loss, fail on a torn one. */
static void drain(struct plc_event_ring *r, uint64_t *cursor, uint64_t *reads, uint64_t *lost,
                  uint64_t limit)
{
    struct plc_event ev;
    int rc;
    for (uint64_t got = 0; got < limit && (rc = plc_event_ring_read(r, cursor, &ev, lost));) {
        if (rc < 0)
            continue; /* EAGAIN: a writer is lapping this reader */
        if (!intact(&ev))
            fail_msg("torn record %" PRIu64, ev.seq);
        ++*reads;
        got++;
    }
}

static void writers_killed_anywhere_leave_no_torn_record(void **state)
{
    struct t *t = *state;
    make_ring(t, 1024);
    struct plc_event_ring *r = ring_open(t, PLC_READER);
    uint64_t cursor = 0, reads = 0, lost = 0;
    const int rounds = 40;
    for (int i = 0; i < rounds; i++) {
        pid_t writer = kid_start(append_for_ever, t, NULL);
        /* let it write at least a few records, reading as it goes, then kill -9 */
        uint64_t from = reads;
        for (uint64_t t0 = now_ns(); reads - from < 50 && now_ns() - t0 < 5000000000ull;)
            drain(r, &cursor, &reads, &lost, 50 - (reads - from));
        kid_kill(writer);
        drain(r, &cursor, &reads, &lost, UINT64_MAX);
    }
    struct plc_event_ring_header *h = map_file(t->path, PLC_EVENT_HEADER_SIZE);
    assert_non_null(h);
    uint64_t broken = atomic_load(&h->broken);
    munmap(h, PLC_EVENT_HEADER_SIZE);
    print_message("%d writers killed: %" PRIu64 " records read, %" PRIu64 " lost, %" PRIu64
                  " killed mid-record\n",
                  rounds, reads, lost, broken);
    assert_counters(t, rounds - 1, broken);
    assert_int_equal(reads + lost, cursor);
    assert_int_equal(cursor, plc_event_ring_get_head(r));
    assert_true(lost >= broken); /* the rest: lapped while it wrote */
    plc_event_ring_close(r);
}

/* Child: holds the writer claim until killed. */
static void hold_writer(struct t *t, struct ready *ready, void *arg)
{
    (void)arg;
    if (!plc_event_ring_open(t->path, PLC_WRITER, t->hash, NULL))
        _exit(1);
    ready_signal(ready);
    for (;;)
        pause();
}

static void second_writer_refused_names_holder(void **state)
{
    struct t *t = *state;
    char want[512];
    make_ring(t, 16);
    pid_t holder = kid_start(hold_writer, t, NULL);
    assert_null(plc_event_ring_open(t->path, PLC_WRITER, t->hash, &t->f->diag));
    assert_int_equal(errno, PLC_EHELD);
    snprintf(want, sizeof(want), "%s: event ring is held by pid %d (%s)", t->path, (int)holder,
             PLC_TEST_COMM);
    assert_diag(&t->f->diag, want);
    struct plc_event_ring *r = ring_open(t, PLC_READER);
    struct plc_event_ring_writer who;
    assert_int_equal(plc_event_ring_get_writer(r, &who), 0);
    assert_int_equal(who.pid, holder);
    assert_true(who.alive);
    assert_string_equal(who.holder, PLC_TEST_COMM);
    assert_int_equal(who.claims, 1); /* the refused open is no claim */
    kid_kill(holder);
    plc_event_ring_get_writer(r, &who);
    assert_int_equal(who.pid, holder); /* killed: its claim stays, dead */
    assert_false(who.alive);

    struct plc_event_ring *w = ring_open(t, PLC_WRITER);
    plc_event_ring_get_writer(r, &who);
    assert_int_equal(who.pid, getpid());
    assert_int_equal(who.claims, 2); /* a take-over is a start too */
    assert_int_equal(who.takeovers, 1);
    assert_null(plc_event_ring_open(t->path, PLC_WRITER, t->hash, &t->f->diag));
    assert_int_equal(errno, PLC_EHELD);
    snprintf(want, sizeof(want), "%s: event ring is already open as writer in this process",
             t->path);
    assert_diag(&t->f->diag, want);

    struct plc_event ev;
    fill(&ev, 0);
    assert_int_equal(plc_event_ring_append(r, &ev), -1);
    assert_int_equal(errno, EPERM);
    plc_event_ring_close(w);
    plc_event_ring_close(NULL);
    plc_event_ring_get_writer(r, &who);
    assert_int_equal(who.pid, 0); /* a clean close releases the claim */
    assert_false(who.alive);
    assert_string_equal(who.holder, "");
    w = ring_open(t, PLC_WRITER); /* released by close */
    plc_event_ring_get_writer(r, &who);
    assert_int_equal(who.claims, 3);
    assert_int_equal(who.takeovers, 1);
    plc_event_ring_close(w);
    plc_event_ring_close(r);
}

/* ---- files ------------------------------------------------------------------------ */

static void expect_open_fails(struct t *t, int err, const char *msg)
{
    char want[1200];
    assert_null(plc_event_ring_open(t->path, PLC_READER, t->hash, &t->f->diag));
    assert_int_equal(errno, err);
    snprintf(want, sizeof(want), "%s: %s", t->path, msg);
    assert_diag(&t->f->diag, want);
}

static void create_makes_0660_file_and_keeps_a_matching_one(void **state)
{
    struct t *t = *state;
    make_ring(t, 16);
    struct stat st;
    assert_int_equal(stat(t->path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0660);
    assert_int_equal(st.st_size, PLC_EVENT_HEADER_SIZE + 16 * 128);
    struct plc_event_ring *w = ring_open(t, PLC_WRITER);
    append_k(w, 0, 3);
    plc_event_ring_close(w);

    assert_int_equal(plc_event_ring_create(t->path, 16, t->hash, &t->f->diag), PLC_CREATE_KEPT);
    struct plc_event_ring *r = ring_open(t, PLC_READER);
    assert_int_equal(plc_event_ring_get_head(r), 3);
    plc_event_ring_close(r);

    char want[600];
    assert_int_equal(plc_event_ring_create(t->path, 32, t->hash, &t->f->diag), PLC_CREATE_ERROR);
    assert_int_equal(errno, PLC_ESIZE);
    snprintf(want, sizeof(want),
             "%s: event ring holds 16 records, not 32 (remove it to make a new one; its "
             "records are lost)",
             t->path);
    assert_diag(&t->f->diag, want);
    assert_int_equal(plc_event_ring_create(t->path, 16, t->hash + 1, &t->f->diag),
                     PLC_CREATE_ERROR);
    assert_int_equal(errno, PLC_ELAYOUT);

    /* nothing but the ring was left in the directory */
    DIR *d = opendir(t->f->base);
    assert_non_null(d);
    int files = 0;
    for (struct dirent *e; (e = readdir(d));)
        files += e->d_name[0] != '.';
    closedir(d);
    assert_int_equal(files, 1);
}

static void bad_capacity_refused(void **state)
{
    struct t *t = *state;
    char want[600];
    unsigned bad[] = {0, 1, 1000, PLC_EVENT_CAPACITY_MAX * 2};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(plc_event_ring_create(t->path, bad[i], t->hash, &t->f->diag),
                         PLC_CREATE_ERROR);
        assert_int_equal(errno, EINVAL);
        snprintf(want, sizeof(want),
                 "%s: event ring capacity %u is not a power of two from 2 to 1048576", t->path,
                 bad[i]);
        assert_diag(&t->f->diag, want);
    }
    assert_int_equal(access(t->path, F_OK), -1);
}

static void bad_files_refused_with_reason(void **state)
{
    struct t *t = *state;
    char msg[600];
    expect_open_fails(t, ENOENT, "event ring not found: nothing has made it");

    make_ring(t, 16);
    struct plc_event_ring_header *h = map_file(t->path, PLC_EVENT_HEADER_SIZE);
    assert_non_null(h);
    memcpy(&h->magic, "hello\0\0", 8);
    expect_open_fails(t, PLC_EMAGIC, "not a RaspiPLC event ring (bad magic 0000006f6c6c6568)");
    assert_int_equal(plc_event_ring_create(t->path, 16, t->hash, &t->f->diag), PLC_CREATE_ERROR);
    assert_int_equal(errno, PLC_EMAGIC);
    atomic_store(&h->magic, PLC_EVENT_MAGIC);
    h->format = 9;
    expect_open_fails(t, PLC_EFORMAT,
                      "event ring has format 9 (128-byte records); this build reads format 1 "
                      "(128-byte records)");
    h->format = PLC_EVENT_FORMAT;
    h->capacity = 1000;
    expect_open_fails(t, PLC_ESIZE,
                      "event ring capacity 1000 is not a power of two from 2 to 1048576");
    h->capacity = 16;
    assert_int_equal(truncate(t->path, PLC_EVENT_HEADER_SIZE + 15 * 128), 0);
    expect_open_fails(t, PLC_ESIZE, "event ring is 2432 bytes; its 16 records need 2560");
    assert_int_equal(truncate(t->path, PLC_EVENT_HEADER_SIZE + 16 * 128), 0);
    t->hash++;
    snprintf(msg, sizeof(msg),
             "event ring was made for layout hash %016" PRIx64 ", not %016" PRIx64, t->hash - 1,
             t->hash);
    expect_open_fails(t, PLC_ELAYOUT, msg);
    t->hash--;
    munmap(h, PLC_EVENT_HEADER_SIZE);

    char real[160];
    snprintf(real, sizeof(real), "%s.real", t->path);
    assert_int_equal(rename(t->path, real), 0);
    assert_int_equal(symlink(real, t->path), 0);
    expect_open_fails(t, PLC_EPATH, "event ring is a symlink: rings are regular files");
    unlink(t->path);
    assert_int_equal(mkdir(t->path, 0700), 0);
    expect_open_fails(t, PLC_EPATH, "event ring is not a regular file");
    rmdir(t->path);
    assert_int_equal(rename(real, t->path), 0);
    plc_event_ring_close(ring_open(t, PLC_READER));

    assert_int_equal(truncate(t->path, 4), 0);
    expect_open_fails(t, PLC_ESIZE, "event ring is 4 bytes, too small to be one");
}

/* ---- records ---------------------------------------------------------------------- */

static void init_stamps_both_clocks_and_cuts_texts(void **state)
{
    (void)state;
    struct plc_event ev;
    struct timespec rt0, rt1;
    clock_gettime(CLOCK_REALTIME, &rt0);
    uint64_t m0 = now_ns();
    char long_name[64];
    memset(long_name, 'n', sizeof(long_name) - 1);
    long_name[63] = '\0';
    char long_text[100];
    memset(long_text, 't', sizeof(long_text) - 1);
    long_text[99] = '\0';
    assert_int_equal(
        plc_event_init(&ev, PLC_SOURCE_MQTT, PLC_EVENT_SERVICE_STOP, 7, long_name, long_text), 0);
    uint64_t m1 = now_ns();
    clock_gettime(CLOCK_REALTIME, &rt1);
    assert_true(ev.mono_ns >= m0 && ev.mono_ns <= m1);
    assert_true(ev.realtime_ns >= rt0.tv_sec * 1000000000ll + rt0.tv_nsec &&
                ev.realtime_ns <= rt1.tv_sec * 1000000000ll + rt1.tv_nsec);
    assert_int_equal(strlen(ev.name), 31);
    assert_int_equal(strlen(ev.text), 47);
    assert_int_equal(ev.source, PLC_SOURCE_MQTT);
    assert_int_equal(ev.kind, PLC_EVENT_SERVICE_STOP);
    assert_int_equal(ev.severity, 7);

    assert_int_equal(plc_event_init(&ev, PLC_SOURCE_IO, PLC_EVENT_WRITER_DEAD, 0, NULL, NULL), 0);
    assert_string_equal(ev.name, "");
    assert_string_equal(ev.text, "");

    int bad[][3] = {{0, 1, 3}, {9, 1, 3}, {1, 0, 3}, {1, PLC_EVENT_ALARM_UNSHELVED + 1, 3}, {1, 1, -1}, {1, 1, 8}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ev.seq = 1;
        assert_int_equal(plc_event_init(&ev, bad[i][0], bad[i][1], bad[i][2], "x", "y"), -1);
        assert_int_equal(errno, EINVAL);
        assert_int_equal(ev.seq, 0);
    }
}

static void sources_and_kinds_have_names(void **state)
{
    (void)state;
    assert_string_equal(plc_event_source_name(PLC_SOURCE_SHM_INIT), "shm-init");
    assert_string_equal(plc_event_source_name(PLC_SOURCE_MQTT), "mqtt");
    assert_string_equal(plc_event_source_name(0), "?");
    assert_string_equal(plc_event_source_name(PLC_SOURCE_MQTT + 1), "?");
    assert_string_equal(plc_event_kind_name(PLC_EVENT_ALARM_RAISED), "alarm-raised");
    assert_string_equal(plc_event_kind_name(PLC_EVENT_SERVICE_STOP), "service-stop");
    assert_string_equal(plc_event_kind_name(PLC_EVENT_ALARM_SHELVED), "alarm-shelved");
    assert_string_equal(plc_event_kind_name(PLC_EVENT_ALARM_UNSHELVED), "alarm-unshelved");
    assert_string_equal(plc_event_kind_name(-1), "?");
    assert_string_equal(plc_event_kind_name(PLC_EVENT_ALARM_UNSHELVED + 1), "?");
    for (int k = PLC_EVENT_ALARM_RAISED; k <= PLC_EVENT_ALARM_UNSHELVED; k++)
        assert_string_not_equal(plc_event_kind_name(k), "?");
}

static void ring_path_sits_beside_the_regions(void **state)
{
    struct t *t = *state;
    char got[PATH_MAX], want[PATH_MAX];
    assert_int_equal(plc_event_ring_path(t->f->layout, "/b", PLC_SOURCE_LOGIC, got, sizeof(got)), 0);
    snprintf(want, sizeof(want), "/b/%s/events-logic", plc_layout_get_name(t->f->layout));
    assert_string_equal(got, want);
    errno = 0;
    assert_int_equal(plc_event_ring_path(t->f->layout, "/b", 0, got, sizeof(got)), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(plc_event_ring_path(t->f->layout, "/b", PLC_SOURCE_IO, got, 8), -1);
    assert_int_equal(errno, ENAMETOOLONG);
}

/* ---- posting --------------------------------------------------------------------- */

static void post_fills_values_and_formatted_text(void **state)
{
    struct t *t = *state;
    make_ring(t, 8);
    struct plc_event_ring *w = ring_open(t, PLC_WRITER);
    struct plc_event_ring *r = ring_open(t, PLC_READER);
    assert_int_equal(plc_event_ring_post(w, PLC_SOURCE_MODBUS, PLC_EVENT_MODBUS_WRITE, 5,
                                         "level_low", 20, 33.5, "%s:%d", "192.168.1.9", 50412),
                     0);
    /* A text longer than the record's is cut, not refused. */
    assert_int_equal(plc_event_ring_post(w, PLC_SOURCE_IO, PLC_EVENT_SERVICE_START, 6, NULL, 0,
                                         0, "%060d", 7),
                     0);
    assert_int_equal(plc_event_ring_post(w, PLC_SOURCE_IO, PLC_EVENT_SERVICE_STOP, 6, NULL, 0,
                                         0, NULL),
                     0);
    uint64_t cursor = 0, lost = 0;
    struct plc_event ev;
    assert_int_equal(plc_event_ring_read(r, &cursor, &ev, &lost), 1);
    assert_int_equal(ev.source, PLC_SOURCE_MODBUS);
    assert_int_equal(ev.kind, PLC_EVENT_MODBUS_WRITE);
    assert_int_equal(ev.severity, 5);
    assert_string_equal(ev.name, "level_low");
    assert_true(ev.before == 20 && ev.after == 33.5);
    assert_string_equal(ev.text, "192.168.1.9:50412");
    assert_true(ev.mono_ns > 0 && ev.realtime_ns > 0);
    assert_int_equal(plc_event_ring_read(r, &cursor, &ev, &lost), 1);
    assert_int_equal(strlen(ev.text), 47);
    assert_string_equal(ev.name, "");
    assert_int_equal(plc_event_ring_read(r, &cursor, &ev, &lost), 1);
    assert_string_equal(ev.text, "");
    assert_int_equal(lost, 0);

    errno = 0;
    assert_int_equal(plc_event_ring_post(r, PLC_SOURCE_IO, PLC_EVENT_SERVICE_STOP, 6, NULL, 0, 0,
                                         "reader"),
                     -1);
    assert_int_equal(errno, EPERM);
    assert_int_equal(plc_event_ring_post(w, PLC_SOURCE_IO, PLC_EVENT_SERVICE_STOP, 8, NULL, 0, 0,
                                         "bad severity"),
                     -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(plc_event_ring_get_head(w), 3);
    plc_event_ring_close(r);
    plc_event_ring_close(w);
}

/* A writer of 'commands' that dies holding its claim. */
static void claim_and_die(struct t *t, struct ready *ready, void *arg)
{
    (void)arg;
    if (!plc_region_attach(t->f->layout, t->f->base, "commands", PLC_WRITER, "modbus", NULL))
        _exit(1);
    ready_signal(ready);
    _exit(0);
}

static void post_takeover_names_the_dead_writer(void **state)
{
    struct t *t = *state;
    fixture_init(t->f);
    make_ring(t, 8);
    struct plc_event_ring *w = ring_open(t, PLC_WRITER);
    struct plc_region *fresh =
        plc_region_attach(t->f->layout, t->f->base, "commands", PLC_WRITER, "modbus", NULL);
    assert_non_null(fresh);
    assert_int_equal(plc_event_ring_post_takeover(w, PLC_SOURCE_MODBUS, fresh), 0);
    plc_region_detach(fresh);

    pid_t pid = kid_start(claim_and_die, t, NULL);
    assert_int_equal(kid_wait(pid), 0);
    struct plc_region *taker =
        plc_region_attach(t->f->layout, t->f->base, "commands", PLC_WRITER, "modbus", NULL);
    assert_non_null(taker);
    assert_int_equal(plc_event_ring_post_takeover(w, PLC_SOURCE_MODBUS, taker), 1);
    uint64_t cursor = 0;
    struct plc_event ev;
    assert_int_equal(plc_event_ring_read(w, &cursor, &ev, NULL), 1);
    assert_int_equal(ev.kind, PLC_EVENT_WRITER_DEAD);
    assert_int_equal(ev.source, PLC_SOURCE_MODBUS);
    assert_string_equal(ev.name, "commands");
    char want[48];
    snprintf(want, sizeof(want), "writer pid %d died: taken over", (int)pid);
    assert_string_equal(ev.text, want);
    assert_int_equal(plc_event_ring_read(w, &cursor, &ev, NULL), 0);
    plc_region_detach(taker);
    plc_event_ring_close(w);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(append_then_read_in_order),
        T(every_reader_sees_every_event),
        T(lapped_reader_gets_newest_and_counts_exact_loss),
        T(reader_never_sees_a_torn_record),
        T(reading_without_the_protocol_is_caught_tearing),
        T(writer_killed_mid_record_costs_that_record_only),
        T(writer_killed_mid_record_in_a_full_ring_is_not_waited_for),
        T(writer_killed_after_commit_keeps_that_record),
        T(writers_killed_anywhere_leave_no_torn_record),
        T(second_writer_refused_names_holder),
        T(create_makes_0660_file_and_keeps_a_matching_one),
        T(bad_capacity_refused),
        T(bad_files_refused_with_reason),
        cmocka_unit_test(init_stamps_both_clocks_and_cuts_texts),
        cmocka_unit_test(sources_and_kinds_have_names),
        T(ring_path_sits_beside_the_regions),
        T(post_fills_values_and_formatted_text),
        T(post_takeover_names_the_dead_writer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
