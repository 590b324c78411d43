/* SPDX-License-Identifier: MIT */
/* struct plc_snapshot: durable write, checked read with fallback, restore by name. */
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <zlib.h>

#include "fixture.h"
#include "plc-retain.h"

struct ctx {
    struct fixture *f;
    char dir[64];
    char cur[128], bak[128], tmp[128];
    char log[16384];
};

static int setup(void **state)
{
    struct ctx *c = calloc(1, sizeof(*c));
    c->f = fixture_new(NULL);
    snprintf(c->dir, sizeof(c->dir), "/tmp/plc-retain-test-XXXXXX");
    assert_non_null(mkdtemp(c->dir));
    plc_snapshot_path(c->dir, "demo", PLC_SNAPSHOT_CURRENT, c->cur, sizeof(c->cur));
    plc_snapshot_path(c->dir, "demo", PLC_SNAPSHOT_BACKUP, c->bak, sizeof(c->bak));
    plc_snapshot_path(c->dir, "demo", PLC_SNAPSHOT_TEMP, c->tmp, sizeof(c->tmp));
    *state = c;
    return 0;
}

static int teardown(void **state)
{
    struct ctx *c = *state;
    fixture_rm(c->dir);
    fixture_free(c->f);
    free(c);
    return 0;
}

/* Log lines appended to c->log, one per line. */
static void collect(void *user, int level, const char *msg)
{
    struct ctx *c = user;
    size_t n = strlen(c->log);
    (void)level;
    snprintf(c->log + n, sizeof(c->log) - n, "%s\n", msg);
}

static void assert_has(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("text\n%s\nlacks: %s", text, part);
}

static void write_demo(struct ctx *c, uint64_t seq, double level_high)
{
    struct plc_snapshot_tag tags[] = {
        {"level_high", PLC_TYPE_FLOAT32, {level_high}},
        {"level_low", PLC_TYPE_FLOAT32, {21.5}},
        {"fault_delay_ms", PLC_TYPE_UINT32, {1500}},
        {"run_seconds", PLC_TYPE_UINT32, {4000000000.0}},
    };
    struct plc_diag d;
    if (plc_snapshot_write(c->dir, c->f->layout, seq, tags, 4, PLC_SNAPSHOT_KEEP_BACKUP, &d) < 0)
        fail_msg("write: %s: %s", d.file, d.msg);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    static char buf[65536];
    *len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    char *copy = malloc(*len + 1);
    memcpy(copy, buf, *len);
    return copy;
}

static void put(const char *path, const char *bytes, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, bytes, len), (ssize_t)len);
    close(fd);
}

static void write_then_load_round_trips_every_type(void **state)
{
    struct ctx *c = *state;
    struct plc_snapshot_tag tags[] = {
        {"b", PLC_TYPE_BOOL, {1}},
        {"i16", PLC_TYPE_INT16, {-32768}},
        {"u16", PLC_TYPE_UINT16, {65535}},
        {"i32", PLC_TYPE_INT32, {-2147483648.0}},
        {"u32", PLC_TYPE_UINT32, {4294967295.0}},
        {"f", PLC_TYPE_FLOAT32, {(double)0.1f}},
        {"tiny", PLC_TYPE_FLOAT32, {(double)1.17549435e-38f}},
        {"neg_zero", PLC_TYPE_FLOAT32, {-0.0}},
        {"nan", PLC_TYPE_FLOAT32, {NAN}},
    };
    size_t n = sizeof(tags) / sizeof(tags[0]);
    struct plc_diag d;
    assert_int_equal(plc_snapshot_write(c->dir, c->f->layout, 7, tags, n, 0, &d), 0);
    struct plc_snapshot *s = plc_snapshot_load(c->cur, &d);
    if (!s)
        fail_msg("load: %s", d.msg);
    assert_int_equal(plc_snapshot_get_seq(s), 7);
    assert_string_equal(plc_snapshot_get_layout_name(s), "demo");
    assert_int_equal(plc_snapshot_get_layout_version(s), plc_layout_get_version(c->f->layout));
    assert_true(plc_snapshot_get_layout_hash(s) == plc_layout_get_hash(c->f->layout));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t t = plc_snapshot_get_time_ns(s), nowns = (uint64_t)now.tv_sec * 1000000000u;
    assert_true(t <= nowns + 1000000000u && t + 60000000000u > nowns);
    assert_int_equal(plc_snapshot_tag_count(s), n);
    for (size_t i = 0; i < n; i++) {
        const struct plc_snapshot_tag *st = plc_snapshot_tag_at(s, i);
        assert_string_equal(st->name, tags[i].name);
        assert_int_equal(st->type, tags[i].type);
        if (isnan(tags[i].value))
            assert_true(isnan(st->value));
        else
            assert_memory_equal(&st->value, &tags[i].value, sizeof(double)); /* -0.0 too */
    }
    assert_non_null(plc_snapshot_find_tag(s, "u32"));
    assert_null(plc_snapshot_find_tag(s, "nope"));
    assert_int_equal(errno, ENOENT);
    plc_snapshot_free(s);
    assert_int_equal(access(c->tmp, F_OK), -1); /* no temporary left */
}

static void int64_and_uint64_values_kept_exactly_past_2_53(void **state)
{
    struct ctx *c = *state;
    static const struct plc_value want[] = {
        {.i = 9007199254740993LL}, {.i = INT64_MIN}, {.u = UINT64_MAX}, {.i = -5}, {.u = 255}};
    static const enum plc_type types[] = {PLC_TYPE_INT64, PLC_TYPE_INT64, PLC_TYPE_UINT64,
                                          PLC_TYPE_INT8, PLC_TYPE_UINT8};
    static const char *const names[] = {"big", "least", "most", "sbyte", "ubyte"};
    struct plc_snapshot_tag tags[5];
    for (size_t i = 0; i < 5; i++) {
        snprintf(tags[i].name, sizeof(tags[i].name), "%s", names[i]);
        plc_snapshot_tag_set(&tags[i], types[i], &want[i]);
    }
    struct plc_diag d;
    assert_int_equal(plc_snapshot_write(c->dir, c->f->layout, 1, tags, 5, 0, &d), 0);
    size_t len;
    char *text = slurp(c->cur, &len);
    assert_non_null(strstr(text, "\ntag big int64 9007199254740993\n"));
    assert_non_null(strstr(text, "\ntag most uint64 18446744073709551615\n"));
    free(text);
    struct plc_snapshot *s = plc_snapshot_load(c->cur, &d);
    if (!s)
        fail_msg("load: %s", d.msg);
    for (size_t i = 0; i < 5; i++) {
        const struct plc_snapshot_tag *st = plc_snapshot_find_tag(s, names[i]);
        assert_non_null(st);
        assert_int_equal(st->type, types[i]);
        struct plc_value v = plc_snapshot_tag_get(st);
        assert_true(v.u == want[i].u);
    }
    plc_snapshot_free(s);
}

static void write_keeps_previous_as_backup(void **state)
{
    struct ctx *c = *state;
    write_demo(c, 1, 10);
    assert_int_equal(access(c->bak, F_OK), -1);
    write_demo(c, 2, 20);
    write_demo(c, 3, 30);
    struct plc_snapshot *cur = plc_snapshot_load(c->cur, NULL);
    struct plc_snapshot *bak = plc_snapshot_load(c->bak, NULL);
    assert_non_null(cur);
    assert_non_null(bak);
    assert_int_equal(plc_snapshot_get_seq(cur), 3);
    assert_int_equal(plc_snapshot_get_seq(bak), 2);
    assert_true(plc_snapshot_find_tag(bak, "level_high")->value == 20);
    plc_snapshot_free(cur);
    plc_snapshot_free(bak);
}

static void write_into_missing_directory_names_file_and_errno(void **state)
{
    struct ctx *c = *state;
    char dir[128], want[300];
    struct plc_diag d;
    struct plc_snapshot_tag t = {"level_high", PLC_TYPE_FLOAT32, {1}};
    snprintf(dir, sizeof(dir), "%s/missing", c->dir);
    assert_int_equal(plc_snapshot_write(dir, c->f->layout, 1, &t, 1, 0, &d), -1);
    assert_int_equal(errno, ENOENT);
    char buf[1200];
    plc_diag_format(&d, buf, sizeof(buf));
    snprintf(want, sizeof(want), "%s/demo.retain.tmp: cannot create snapshot: No such file or "
             "directory", dir);
    assert_string_equal(buf, want);
}

static void no_snapshot_is_enoent_naming_both_files(void **state)
{
    struct ctx *c = *state;
    struct plc_diag d;
    assert_null(plc_snapshot_load_newest(c->dir, "demo", collect, c, &d));
    assert_int_equal(errno, ENOENT);
    assert_has(d.msg, "no snapshot of layout 'demo'");
    assert_has(d.msg, c->bak);
    assert_string_equal(c->log, "");
}

/* Every length short of the whole file is rejected, and the backup is used. */
static void every_truncation_rejected_backup_used_file_named(void **state)
{
    struct ctx *c = *state;
    write_demo(c, 1, 11);
    write_demo(c, 2, 22);
    size_t len;
    char *good = slurp(c->cur, &len);
    char want[300];
    snprintf(want, sizeof(want), "%s: snapshot rejected: ", c->cur);
    for (size_t cut = 0; cut < len; cut++) {
        struct plc_diag d;
        put(c->cur, good, cut);
        assert_null(plc_snapshot_load(c->cur, &d));
        assert_int_equal(errno, EBADMSG);
        c->log[0] = '\0';
        struct plc_snapshot *s = plc_snapshot_load_newest(c->dir, "demo", collect, c, &d);
        if (!s)
            fail_msg("cut at %zu: no snapshot: %s", cut, d.msg);
        assert_int_equal(plc_snapshot_get_seq(s), 1);
        assert_true(plc_snapshot_is_backup(s));
        assert_true(plc_snapshot_find_tag(s, "level_high")->value == 11);
        assert_has(c->log, want);
        assert_has(c->log, "using the backup");
        assert_has(c->log, c->bak);
        plc_snapshot_free(s);
    }
    put(c->cur, good, len);
    struct plc_snapshot *s = plc_snapshot_load_newest(c->dir, "demo", collect, c, NULL);
    assert_int_equal(plc_snapshot_get_seq(s), 2);
    plc_snapshot_free(s);
    free(good);
}

static void random_bit_flips_rejected_backup_used(void **state)
{
    struct ctx *c = *state;
    write_demo(c, 1, 11);
    write_demo(c, 2, 22);
    size_t len;
    char *good = slurp(c->cur, &len);
    char *bad = malloc(len);
    unsigned seed = (unsigned)time(NULL);
    printf("# bit flip seed %u\n", seed);
    srand(seed);
    for (int round = 0; round < 3000; round++) {
        memcpy(bad, good, len);
        int flips = 1 + round % 3; /* one, two or three bits */
        for (int k = 0; k < flips; k++) {
            size_t at = (size_t)rand() % len;
            bad[at] ^= (char)(1u << (rand() % 8));
        }
        if (memcmp(bad, good, len) == 0)
            continue; /* two flips undid each other */
        put(c->cur, bad, len);
        c->log[0] = '\0';
        struct plc_snapshot *s = plc_snapshot_load_newest(c->dir, "demo", collect, c, NULL);
        if (!s || plc_snapshot_get_seq(s) != 1)
            fail_msg("round %d (seed %u): a damaged file was accepted", round, seed);
        assert_has(c->log, c->cur);
        assert_has(c->log, "using the backup");
        plc_snapshot_free(s);
    }
    free(bad);
    free(good);
}

static void both_damaged_reported_naming_both(void **state)
{
    struct ctx *c = *state;
    struct plc_diag d;
    write_demo(c, 1, 11);
    write_demo(c, 2, 22);
    assert_int_equal(truncate(c->cur, 10), 0);
    assert_int_equal(truncate(c->bak, 50), 0);
    assert_null(plc_snapshot_load_newest(c->dir, "demo", collect, c, &d));
    assert_int_equal(errno, EBADMSG);
    assert_has(d.msg, c->cur);
    assert_has(d.msg, c->bak);
    assert_has(d.msg, "truncated");
}

static void missing_current_falls_back_to_backup(void **state)
{
    struct ctx *c = *state;
    write_demo(c, 1, 11);
    write_demo(c, 2, 22);
    assert_int_equal(unlink(c->cur), 0);
    struct plc_snapshot *s = plc_snapshot_load_newest(c->dir, "demo", collect, c, NULL);
    assert_non_null(s);
    assert_int_equal(plc_snapshot_get_seq(s), 1);
    assert_has(c->log, "is missing: using the backup");
    plc_snapshot_free(s);
}

/* A file whose CRC matches but whose content is not a snapshot is refused too. */
static void valid_crc_over_bad_content_refused(void **state)
{
    struct ctx *c = *state;
    const char *bodies[] = {
        "# x\nformat 1\nlayout demo 1 1\nseq 1\ntime 1.0\ntags 1\ntag a int16 40000\n",
        "# x\nformat 1\nlayout demo 1 1\nseq 1\ntime 1.0\ntags 1\ntag a uint16 1.5\n",
        "# x\nformat 1\nlayout demo 1 1\nseq 1\ntime 1.0\ntags 1\ntag a bool 2\n",
        "# x\nformat 1\nlayout demo 1 1\nseq 1\ntime 1.0\ntags 1\ntag A int16 1\n",
        "# x\nformat 1\nlayout demo 1 1\nseq 1\ntime 1.0\ntags 1\ntag a text 1\n",
        "# x\nformat 1\nlayout demo 1 1\nseq 1\ntime 1.0\ntags 2\ntag a int16 1\ntag a int16 2\n",
        "# x\nformat 1\nlayout demo 1 1\nseq 1\ntime 1.0\ntags 2\ntag a int16 1\n",
        "# x\nformat 2\nlayout demo 1 1\nseq 1\ntime 1.0\ntags 0\n",
        "# x\nformat 1\nlayout demo 1 1\nseq 1\ntime 1.0\ntags 0\nextra\n",
    };
    for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
        char buf[512];
        uLong crc = crc32(0, (const Bytef *)bodies[i], (uInt)strlen(bodies[i]));
        int n = snprintf(buf, sizeof(buf), "%scrc32 %08lx\n", bodies[i], (unsigned long)crc);
        put(c->cur, buf, (size_t)n);
        struct plc_diag d;
        if (plc_snapshot_load(c->cur, &d))
            fail_msg("body %zu accepted", i);
        assert_int_equal(errno, EBADMSG);
        assert_has(d.msg, "snapshot rejected: ");
    }
}

/* ---- restore by name across a layout change ------------------------------------- */

static const char *v1 =
    "[layout]\nname = demo\nversion = 1\n"
    "[region p]\nwriter = modbus\nretain = yes\n"
    "[tag same]\nregion = p\ntype = int32\n"
    "[tag retyped]\nregion = p\ntype = uint16\n"
    "[tag removed]\nregion = p\ntype = float32\n"
    "[tag old_name]\nregion = p\ntype = int16\n"
    "[tag narrowed]\nregion = p\ntype = uint16\n"
    "[tag unkept]\nregion = p\ntype = bool\n"
    "[tag live]\nregion = p\ntype = uint16\nretain = no\n";

static const char *v2 =
    "[layout]\nname = demo\nversion = 2\n"
    "[region p]\nwriter = modbus\nretain = yes\n"
    "[tag same]\nregion = p\ntype = int32\n"
    "[tag retyped]\nregion = p\ntype = float32\ninitial = 1.5\n"
    "[tag new_name]\nregion = p\ntype = int16\ninitial = 7\n"
    "[tag narrowed]\nregion = p\ntype = uint16\nmin = 0\nmax = 100\ninitial = 50\n"
    "[tag added]\nregion = p\ntype = uint32\ninitial = 9\n"
    "[tag unkept]\nregion = p\ntype = bool\nretain = no\n"
    "[tag live]\nregion = p\ntype = uint16\ninitial = 3\n";

static void restore_by_name_across_layout_change(void **state)
{
    struct ctx *c = *state;
    struct plc_diag d;
    struct plc_layout *l1 = plc_layout_load_string(v1, "v1.ini", &d);
    struct plc_layout *l2 = plc_layout_load_string(v2, "v2.ini", &d);
    assert_non_null(l1);
    assert_non_null(l2);
    struct plc_snapshot_tag tags[] = {
        {"same", PLC_TYPE_INT32, {-123456}}, {"retyped", PLC_TYPE_UINT16, {4}},
        {"removed", PLC_TYPE_FLOAT32, {2.5}}, {"old_name", PLC_TYPE_INT16, {-5}},
        {"narrowed", PLC_TYPE_UINT16, {500}}, {"unkept", PLC_TYPE_BOOL, {1}},
    };
    assert_int_equal(plc_snapshot_write(c->dir, l1, 4, tags, 6, 0, &d), 0);
    struct plc_snapshot *s = plc_snapshot_load_newest(c->dir, "demo", collect, c, &d);
    assert_non_null(s);

    const struct plc_region_def *p = plc_layout_find_region(l2, "p");
    unsigned char *data = malloc(p->data_size);
    size_t n = plc_retain_restore_region(s, l2, p, data, collect, c);
    assert_int_equal(n, 1);
    assert_true(plc_tag_decode(plc_layout_find_tag(l2, "same"), data) == -123456);
    assert_true(plc_tag_decode(plc_layout_find_tag(l2, "retyped"), data) == 1.5);
    assert_true(plc_tag_decode(plc_layout_find_tag(l2, "new_name"), data) == 7);
    assert_true(plc_tag_decode(plc_layout_find_tag(l2, "narrowed"), data) == 50);
    assert_true(plc_tag_decode(plc_layout_find_tag(l2, "added"), data) == 9);
    assert_true(plc_tag_decode(plc_layout_find_tag(l2, "unkept"), data) == 0);
    assert_true(plc_tag_decode(plc_layout_find_tag(l2, "live"), data) == 3);
    assert_has(c->log, "tag 'retyped' (region 'p') was stored as uint16, the layout now says "
                       "float32: dropped, initial value 1.5");
    assert_has(c->log, "tag 'narrowed' (region 'p'): stored value 500 is outside min..max "
                       "(0..100): dropped, initial value 50");
    char want[300];
    snprintf(want, sizeof(want), "tag 'new_name' (region 'p') is not in snapshot %s: initial "
             "value 7", c->cur);
    assert_has(c->log, want);
    snprintf(want, sizeof(want), "tag 'added' (region 'p') is not in snapshot %s: initial "
             "value 9", c->cur);
    assert_has(c->log, want);

    c->log[0] = '\0';
    assert_int_equal(plc_retain_report_dropped(s, l2, collect, c), 3);
    assert_string_equal(c->log,
                        "tag 'removed' (stored float32 2.5) is not in the layout any more: dropped\n"
                        "tag 'old_name' (stored int16 -5) is not in the layout any more: dropped\n"
                        "tag 'unkept' (stored bool true) is no longer retained in the layout: "
                        "dropped\n");
    free(data);
    plc_snapshot_free(s);
    plc_layout_free(l1);
    plc_layout_free(l2);
}

/* 2^53 + 1 restored as it is; past a max that a double cannot tell from it, dropped. */
static void restore_int64_exactly_and_checks_min_max_exactly(void **state)
{
    struct ctx *c = *state;
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load_string(
        "[layout]\nname = demo\nversion = 1\n[region p]\nwriter = modbus\nretain = yes\n"
        "[tag total]\nregion = p\ntype = int64\n"
        "[tag capped]\nregion = p\ntype = int64\nmax = 9007199254740992\n",
        "t.ini", &d);
    assert_non_null(l);
    struct plc_snapshot_tag tags[2];
    const struct plc_value odd = {.i = 9007199254740993LL};
    snprintf(tags[0].name, sizeof(tags[0].name), "total");
    snprintf(tags[1].name, sizeof(tags[1].name), "capped");
    plc_snapshot_tag_set(&tags[0], PLC_TYPE_INT64, &odd);
    plc_snapshot_tag_set(&tags[1], PLC_TYPE_INT64, &odd);
    assert_int_equal(plc_snapshot_write(c->dir, l, 1, tags, 2, 0, &d), 0);
    struct plc_snapshot *s = plc_snapshot_load_newest(c->dir, "demo", collect, c, &d);
    assert_non_null(s);
    const struct plc_region_def *p = plc_layout_find_region(l, "p");
    unsigned char *data = malloc(p->data_size);
    assert_int_equal(plc_retain_restore_region(s, l, p, data, collect, c), 1);
    const struct plc_tag_def *total = plc_layout_find_tag(l, "total");
    const struct plc_tag_def *capped = plc_layout_find_tag(l, "capped");
    assert_true(plc_value_load(total->type, data + total->offset).i == 9007199254740993LL);
    assert_true(plc_value_load(capped->type, data + capped->offset).i == 0);
    assert_has(c->log, "tag 'capped' (region 'p'): stored value 9007199254740993 is outside "
                       "min..max (-9223372036854775808..9007199254740992): dropped, initial "
                       "value 0");
    free(data);
    plc_snapshot_free(s);
    plc_layout_free(l);
}

static void restore_without_snapshot_gives_initial_values_silently(void **state)
{
    struct ctx *c = *state;
    const struct plc_region_def *p = plc_layout_find_region(c->f->layout, "parameters");
    unsigned char *data = malloc(p->data_size);
    assert_int_equal(plc_retain_restore_region(NULL, c->f->layout, p, data, collect, c), 0);
    assert_true(plc_tag_decode(plc_layout_find_tag(c->f->layout, "level_high"), data) == 80);
    assert_string_equal(c->log, "");
    free(data);
}

/* create_with uses the restored data only when it makes the region. */
static void create_with_restores_only_made_regions(void **state)
{
    struct ctx *c = *state;
    struct fixture *f = c->f;
    const struct plc_region_def *p = plc_layout_find_region(f->layout, "parameters");
    const struct plc_tag_def *hi = plc_layout_find_tag(f->layout, "level_high");
    write_demo(c, 1, 66);
    struct plc_snapshot *s = plc_snapshot_load_newest(c->dir, "demo", NULL, NULL, NULL);
    unsigned char *data = malloc(p->data_size);
    assert_int_equal(plc_retain_restore_region(s, f->layout, p, data, collect, c), 3);
    assert_int_equal(plc_region_create_with(f->layout, f->base, p, 0, data, &f->diag),
                     PLC_CREATE_MADE);
    struct plc_region *r = plc_region_attach(f->layout, f->base, "parameters", PLC_WRITER,
                                             "modbus", &f->diag);
    double v;
    assert_int_equal(plc_region_read_tag(r, hi, &v), 0);
    assert_true(v == 66);
    /* level_alarm is retained but not in this snapshot: its initial value */
    assert_int_equal(plc_region_read_tag(r, plc_layout_find_tag(f->layout, "level_alarm"), &v), 0);
    assert_true(v == 95);
    assert_int_equal(plc_region_write_tag(r, hi, 77), 0);
    assert_int_equal(plc_region_create_with(f->layout, f->base, p, 0, data, &f->diag),
                     PLC_CREATE_KEPT);
    assert_int_equal(plc_region_read_tag(r, hi, &v), 0);
    assert_true(v == 77); /* live state wins */
    plc_region_detach(r);
    plc_snapshot_free(s);
    free(data);
}

static void show_prints_stored_beside_live(void **state)
{
    struct ctx *c = *state;
    struct fixture *f = c->f;
    fixture_init(f);
    write_demo(c, 5, 42);
    struct plc_region *r = plc_region_attach(f->layout, f->base, "parameters", PLC_WRITER,
                                             "modbus", &f->diag);
    assert_int_equal(plc_region_write_tag(r, plc_layout_find_tag(f->layout, "level_high"), 43),
                     0);
    plc_region_detach(r);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    struct plc_diag d;
    assert_int_equal(plc_retain_show(f->layout, f->base, c->dir, m, &d), 0);
    fclose(m);
    char want[300];
    snprintf(want, sizeof(want), "snapshot: %s\n", c->cur);
    assert_has(out, want);
    assert_has(out, "sequence: 5\n");
    assert_has(out, " (the running layout)\n");
    assert_has(out, " s ago)\n");
    assert_has(out, "level_high               parameters   float32              42             43\n");
    assert_has(out, "level_alarm              parameters   float32               -             95\n");
    assert_has(out, "run_seconds              status       uint32       4000000000              0\n");
    free(out);

    fixture_rm(c->dir);
    assert_int_equal(mkdir(c->dir, 0700), 0);
    m = open_memstream(&out, &len);
    assert_int_equal(plc_retain_show(f->layout, f->base, c->dir, m, &d), -1);
    assert_int_equal(errno, ENOENT);
    fclose(m);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(write_then_load_round_trips_every_type),
        T(int64_and_uint64_values_kept_exactly_past_2_53),
        T(write_keeps_previous_as_backup),
        T(write_into_missing_directory_names_file_and_errno),
        T(no_snapshot_is_enoent_naming_both_files),
        T(every_truncation_rejected_backup_used_file_named),
        T(random_bit_flips_rejected_backup_used),
        T(both_damaged_reported_naming_both),
        T(missing_current_falls_back_to_backup),
        T(valid_crc_over_bad_content_refused),
        T(restore_by_name_across_layout_change),
        T(restore_int64_exactly_and_checks_min_max_exactly),
        T(restore_without_snapshot_gives_initial_values_silently),
        T(create_with_restores_only_made_regions),
        T(show_prints_stored_beside_live),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
