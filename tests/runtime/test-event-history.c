/* SPDX-License-Identifier: MIT */
/*
 * The event history on real files: written, rotated and read back; a torn
 * tail and a flipped byte; where a follower resumes; no write while idle.
 */
#include <stdint.h>
#include <sys/stat.h>

#include "fixture.h"
#include "plc-event-history.h"

#define REC PLC_EVENT_HISTORY_RECORD_SIZE

struct ctx {
    char dir[64];
    char cur[128], prev[128];
    struct fixture_log log;
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    snprintf(c->dir, sizeof(c->dir), "/tmp/plc-history-XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    fixture_track(c->dir, true);
    snprintf(c->cur, sizeof(c->cur), "%s/demo.events", c->dir);
    snprintf(c->prev, sizeof(c->prev), "%s/demo.events.1", c->dir);
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    fixture_rm(c->dir);
    fixture_track(c->dir, false);
    free(c);
    return 0;
}

static struct plc_event_history_config config(struct ctx *c, uint32_t file_bytes,
                                              unsigned batch)
{
    return (struct plc_event_history_config){
        .dir = c->dir,
        .name = "demo",
        .file_bytes = file_bytes,
        .batch = batch,
        .batch_ms = 50,
        .log = fixture_log_to,
        .log_user = &c->log,
    };
}

static struct plc_event_history *open_as(struct ctx *c, uint32_t file_bytes, unsigned batch,
                                         enum plc_access access)
{
    struct plc_event_history_config cfg = config(c, file_bytes, batch);
    struct plc_diag diag;
    struct plc_event_history *h = plc_event_history_open(&cfg, access, &diag);
    if (!h)
        fail_msg("open: %s: %s", diag.file, diag.msg);
    return h;
}

static struct plc_event_record record(int source, uint64_t ring_id, uint64_t seq)
{
    struct plc_event_record r = {.ring_id = ring_id};
    char text[32];
    snprintf(text, sizeof(text), "record %llu", (unsigned long long)seq);
    assert_int_equal(plc_event_init(&r.ev, source, PLC_EVENT_MODBUS_WRITE, 5, "level_high",
                                    text), 0);
    r.ev.seq = seq;
    r.ev.after = (double)seq;
    return r;
}

/* Append @n records of @source, seq @first on. */
static void append_n(struct plc_event_history *h, int source, uint64_t first, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct plc_event_record r = record(source, 7, first + i);
        assert_int_equal(plc_event_history_append(h, &r), 0);
    }
}

/* Read every record; their seqs into @seqs; the reader's counters into @st. */
static size_t read_all(struct ctx *c, uint64_t *seqs, size_t max,
                       struct plc_event_history_stats *st)
{
    struct plc_event_history *h = open_as(c, 0, 0, PLC_READER);
    struct plc_event_record r;
    size_t n = 0;
    int got;
    while ((got = plc_event_history_next(h, &r)) == 1) {
        assert_true(n < max);
        assert_int_equal(r.ev.after, (double)r.ev.seq); /* the record itself, whole */
        seqs[n++] = r.ev.seq;
    }
    assert_int_equal(got, 0);
    plc_event_history_get_stats(h, st);
    plc_event_history_close(h);
    return n;
}

static off_t file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_size : -1;
}

static void write_rotate_read_back_keeps_the_newest_files(void **state)
{
    struct ctx *c = *state;
    /* 10 records a file, batches of 4: 35 records rotate three times. */
    struct plc_event_history *h = open_as(c, 10 * REC, 4, PLC_WRITER);
    append_n(h, PLC_SOURCE_LOGIC, 0, 35);
    struct plc_event_history_stats st;
    assert_int_equal(plc_event_history_close(h), 0);
    assert_true(file_size(c->cur) <= 10 * REC && file_size(c->prev) <= 10 * REC);
    assert_int_equal(file_size(c->cur) % REC, 0);

    uint64_t seqs[64];
    size_t n = read_all(c, seqs, 64, &st);
    assert_int_equal(st.files, 2);
    assert_int_equal(st.corrupt + st.torn, 0);
    assert_true(n >= 10); /* the previous file whole, and the current one */
    for (size_t i = 0; i < n; i++)
        assert_int_equal(seqs[i], 35 - n + i); /* the newest, oldest first, none twice */
    assert_int_equal(c->log.text[0], '\0');
}

static void torn_tail_is_counted_and_cut_by_the_next_writer(void **state)
{
    struct ctx *c = *state;
    struct plc_event_history *h = open_as(c, 0, 10, PLC_WRITER);
    append_n(h, PLC_SOURCE_LOGIC, 0, 10); /* one full batch: written */
    struct plc_event_history_stats st;
    plc_event_history_get_stats(h, &st);
    assert_int_equal(st.writes, 1);
    plc_event_history_close(h);

    /* A power cut in the last record's write, then blocks of zeros the file system had
     * allocated: both are one torn tail. */
    assert_int_equal(truncate(c->cur, 10 * REC - 100), 0);
    assert_int_equal(truncate(c->cur, 12 * REC), 0);
    uint64_t seqs[16];
    assert_int_equal(read_all(c, seqs, 16, &st), 9);
    assert_int_equal(st.torn, 1);
    assert_int_equal(st.torn_bytes, 3 * REC);
    assert_int_equal(st.corrupt, 0);
    assert_non_null(strstr(c->log.text, c->cur));
    assert_non_null(strstr(c->log.text, "torn tail of 480 bytes at byte 1440 (after record 9)"));

    /* The writer starts after record 8: the tail is gone, record 9 comes again. */
    h = open_as(c, 0, 10, PLC_WRITER);
    uint64_t ring, seq;
    assert_int_equal(plc_event_history_get_last(h, PLC_SOURCE_LOGIC, &ring, &seq), 1);
    assert_int_equal(seq, 8);
    assert_int_equal(file_size(c->cur), 9 * REC);
    append_n(h, PLC_SOURCE_LOGIC, 9, 1);
    plc_event_history_close(h);
    assert_int_equal(read_all(c, seqs, 16, &st), 10);
    assert_int_equal(st.torn + st.corrupt, 0);
    for (unsigned i = 0; i < 10; i++)
        assert_int_equal(seqs[i], i);
}

static void flipped_byte_in_the_middle_skips_that_record_only(void **state)
{
    struct ctx *c = *state;
    struct plc_event_history *h = open_as(c, 0, 0, PLC_WRITER);
    append_n(h, PLC_SOURCE_IO, 0, 10);
    plc_event_history_close(h);
    FILE *f = fopen(c->cur, "r+b"); /* one bit of record 4's name */
    assert_non_null(f);
    fseek(f, 4 * REC + 70, SEEK_SET);
    int b = fgetc(f);
    fseek(f, 4 * REC + 70, SEEK_SET);
    fputc(b ^ 0x10, f);
    fclose(f);
    uint64_t seqs[16];
    struct plc_event_history_stats st;
    assert_int_equal(read_all(c, seqs, 16, &st), 9);
    assert_int_equal(st.corrupt, 1);
    assert_int_equal(st.torn, 0);
    assert_int_equal(seqs[3], 3);
    assert_int_equal(seqs[4], 5);
    assert_non_null(strstr(c->log.text, "1 damaged record(s) from record 4 (byte 640): bad CRC-32"));
}

static void writer_knows_where_each_ring_left_off(void **state)
{
    struct ctx *c = *state;
    struct plc_event_history *h = open_as(c, 0, 0, PLC_WRITER);
    append_n(h, PLC_SOURCE_LOGIC, 100, 5);
    struct plc_event_record r = record(PLC_SOURCE_MODBUS, 9, 41);
    assert_int_equal(plc_event_history_append(h, &r), 0);
    plc_event_history_close(h);

    h = open_as(c, 0, 0, PLC_WRITER);
    uint64_t ring = 0, seq = 0;
    assert_int_equal(plc_event_history_get_last(h, PLC_SOURCE_LOGIC, &ring, &seq), 1);
    assert_int_equal(ring, 7);
    assert_int_equal(seq, 104);
    assert_int_equal(plc_event_history_get_last(h, PLC_SOURCE_MODBUS, &ring, &seq), 1);
    assert_int_equal(ring, 9);
    assert_int_equal(seq, 41);
    assert_int_equal(plc_event_history_get_last(h, PLC_SOURCE_IO, &ring, &seq), 0);
    plc_event_history_close(h);
}

static void nothing_is_written_while_idle(void **state)
{
    struct ctx *c = *state;
    struct plc_event_history *h = open_as(c, 0, 8, PLC_WRITER);
    struct plc_event_history_stats st;
    uint64_t now = plc_event_history_due_ns(h);
    assert_int_equal(now, UINT64_MAX);
    assert_int_equal(plc_event_history_tick(h, UINT64_MAX - 1), 0);
    assert_int_equal(plc_event_history_flush(h), 0);
    plc_event_history_get_stats(h, &st);
    assert_int_equal(st.writes + st.syncs, 0);
    assert_int_equal(file_size(c->cur), -1); /* not even made */

    /* Three records wait for their batch until batch_ms is up: then one write, one sync. */
    append_n(h, PLC_SOURCE_LOGIC, 0, 3);
    uint64_t due = plc_event_history_due_ns(h);
    assert_true(due != UINT64_MAX);
    assert_int_equal(plc_event_history_tick(h, due - 1), 0);
    plc_event_history_get_stats(h, &st);
    assert_int_equal(st.writes + st.syncs, 0);
    assert_int_equal(plc_event_history_tick(h, due), 0);
    plc_event_history_get_stats(h, &st);
    assert_int_equal(st.writes, 1);
    assert_int_equal(st.syncs, 1);

    /* Idle again: ticks, flushes and the close change nothing. */
    struct stat before, after;
    assert_int_equal(stat(c->cur, &before), 0);
    struct timespec pause = {0, 20000000};
    for (int i = 0; i < 5; i++) {
        nanosleep(&pause, NULL);
        assert_int_equal(plc_event_history_tick(h, UINT64_MAX - 1), 0);
        assert_int_equal(plc_event_history_flush(h), 0);
    }
    plc_event_history_get_stats(h, &st);
    assert_int_equal(st.writes, 1);
    assert_int_equal(st.syncs, 1);
    assert_int_equal(plc_event_history_close(h), 0);
    assert_int_equal(stat(c->cur, &after), 0);
    assert_int_equal(after.st_size, 3 * REC);
    assert_true(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
                after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
}

static void a_full_batch_is_one_write_and_one_sync(void **state)
{
    struct ctx *c = *state;
    struct plc_event_history *h = open_as(c, 0, 16, PLC_WRITER);
    struct plc_event_history_stats st;
    append_n(h, PLC_SOURCE_LOGIC, 0, 15);
    plc_event_history_get_stats(h, &st);
    assert_int_equal(st.writes, 0);
    append_n(h, PLC_SOURCE_LOGIC, 15, 1);
    plc_event_history_get_stats(h, &st);
    assert_int_equal(st.writes, 1);
    assert_int_equal(st.syncs, 1);
    assert_int_equal(file_size(c->cur), 16 * REC);
    plc_event_history_close(h);
}

static void reader_of_no_history_reads_nothing_and_writes_nothing(void **state)
{
    struct ctx *c = *state;
    uint64_t seqs[1];
    struct plc_event_history_stats st;
    assert_int_equal(read_all(c, seqs, 1, &st), 0);
    assert_int_equal(st.files, 0);
    struct plc_event_history *h = open_as(c, 0, 0, PLC_READER);
    struct plc_event_record r = record(PLC_SOURCE_LOGIC, 1, 0);
    assert_int_equal(plc_event_history_append(h, &r), -1);
    assert_int_equal(errno, EPERM);
    plc_event_history_close(h);
    assert_int_equal(file_size(c->cur), -1);
}

static void bad_config_is_refused_saying_which_field(void **state)
{
    struct ctx *c = *state;
    struct plc_event_history_config cfg = config(c, 0, 0);
    struct plc_diag diag;
    cfg.files = 1;
    assert_null(plc_event_history_open(&cfg, PLC_WRITER, &diag));
    assert_int_equal(errno, EINVAL);
    assert_string_equal(diag.msg, "event history: 1 files: keep 2 to 16");
    cfg = config(c, 100, 0);
    assert_null(plc_event_history_open(&cfg, PLC_WRITER, &diag));
    assert_string_equal(diag.msg, "event history: file size 100 bytes is below the least, 1600");
    cfg = config(c, 0, 0);
    cfg.name = "a/b";
    assert_null(plc_event_history_open(&cfg, PLC_READER, &diag));
    assert_int_equal(errno, EINVAL);
}

static void an_event_reads_as_one_line(void **state)
{
    (void)state;
    struct plc_event ev;
    char line[200];
    assert_int_equal(plc_event_init(&ev, PLC_SOURCE_LOGIC, PLC_EVENT_ALARM_RAISED, 4,
                                    "level_high", "level above limit"), 0);
    ev.before = 80;
    ev.after = 96.5;
    plc_event_format(&ev, line, sizeof(line));
    assert_string_equal(line, "logic alarm-raised 'level_high' 80 -> 96.5: level above limit");
    assert_int_equal(plc_event_init(&ev, PLC_SOURCE_IO, PLC_EVENT_SERVICE_START, 6, NULL,
                                    NULL), 0);
    plc_event_format(&ev, line, sizeof(line));
    assert_string_equal(line, "io service-start");
    assert_string_equal(plc_event_severity_name(4), "warning");
    assert_string_equal(plc_event_severity_name(9), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(write_rotate_read_back_keeps_the_newest_files, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(torn_tail_is_counted_and_cut_by_the_next_writer, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(flipped_byte_in_the_middle_skips_that_record_only,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(writer_knows_where_each_ring_left_off, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(nothing_is_written_while_idle, setup, teardown),
        cmocka_unit_test_setup_teardown(a_full_batch_is_one_write_and_one_sync, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(reader_of_no_history_reads_nothing_and_writes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(bad_config_is_refused_saying_which_field, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_event_reads_as_one_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
