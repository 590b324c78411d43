/* SPDX-License-Identifier: MIT */
/*
 * struct plc_force_table: what may be forced and to what, the file (made
 * empty, checked on open, the writer's claim), setting and clearing, and the
 * appliers' side: forced values written over a region's data, expiry with its
 * FORCE_OFF event, and no use of a table left half written; the alarms'
 * shelvings in the same table, apart from the forces.
 */
#include <sys/stat.h>

#include "fixture.h"
#include "force-format.h"
#include "plc-force.h"

static const char *const layout_text =
    "[layout]\nname = ft\nversion = 1\n"
    "[region inputs]\nwriter = io\n"
    "[region outputs]\nwriter = logic\n"
    "[region status]\nwriter = logic\n"
    "[region alarms]\nwriter = logic\n"
    "[tag button]\nregion = inputs\ntype = bool\nalarm = on\n"
    "[tag level]\nregion = inputs\ntype = float32\nalarm_h = 90\nalarm_shelve_max = 1h\n"
    "[tag motor]\nregion = outputs\ntype = bool\n"
    "[tag speed]\nregion = outputs\ntype = int16\n"
    "[tag count]\nregion = status\ntype = uint32\n";

struct t {
    struct fixture *f;
    const struct plc_tag_def *button, *level, *motor, *speed, *count;
    const struct plc_alarm_def *level_h, *button_on;
};

static int setup(void **state)
{
    struct t *t = calloc(1, sizeof(*t));
    t->f = fixture_new(layout_text);
    fixture_init(t->f);
    assert_int_equal(plc_force_table_create(t->f->layout, t->f->base, NULL, &t->f->diag),
                     PLC_CREATE_MADE);
    t->button = plc_layout_find_tag(t->f->layout, "button");
    t->level = plc_layout_find_tag(t->f->layout, "level");
    t->motor = plc_layout_find_tag(t->f->layout, "motor");
    t->speed = plc_layout_find_tag(t->f->layout, "speed");
    t->count = plc_layout_find_tag(t->f->layout, "count");
    t->level_h = plc_layout_find_alarm(t->f->layout, "level.h");
    t->button_on = plc_layout_find_alarm(t->f->layout, "button");
    assert_true(t->level_h && t->button_on);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct t *t = *state;
    fixture_free(t->f);
    free(t);
    return 0;
}

static int64_t realtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct plc_force force_of(const struct plc_tag_def *tag, double value, int64_t for_ns)
{
    struct plc_force f = {.tag = tag, .value = plc_value_from_double(tag->type, value),
                          .since_ns = realtime(), .uid = 1000};
    f.until_ns = for_ns == PLC_FORCE_FOREVER ? PLC_FORCE_FOREVER : f.since_ns + for_ns;
    snprintf(f.user, sizeof(f.user), "alice");
    return f;
}

static struct plc_force_table *writer(struct t *t)
{
    struct plc_force_table *w =
        plc_force_table_open(t->f->layout, t->f->base, PLC_WRITER, &t->f->diag);
    if (!w)
        fail_msg("open writer: %s", t->f->diag.msg);
    return w;
}

static void force(struct t *t, const struct plc_tag_def *tag, double value, int64_t for_ns)
{
    struct plc_force_table *w = writer(t);
    struct plc_force f = force_of(tag, value, for_ns);
    assert_int_equal(plc_force_table_set(w, &f), 0);
    plc_force_table_close(w);
}

/* ---- what may be forced, to what ------------------------------------------------- */

static void only_inputs_and_outputs_may_be_forced(void **state)
{
    struct t *t = *state;
    struct plc_diag d;
    assert_int_equal(plc_force_tag_check(t->button, NULL), 1);
    assert_int_equal(plc_force_tag_check(t->motor, NULL), 1);
    assert_int_equal(plc_force_tag_check(t->count, &d), 0);
    assert_string_equal(d.msg, "tag 'count' is in region 'status' (written by logic): only "
                               "inputs and outputs can be forced");
    struct plc_force_table *w = writer(t);
    struct plc_force f = force_of(t->count, 1, 1000000000);
    assert_int_equal(plc_force_table_set(w, &f), -1);
    assert_int_equal(errno, EINVAL);
    plc_force_table_close(w);
}

static void values_outside_the_type_are_refused(void **state)
{
    struct t *t = *state;
    struct plc_diag d;
    struct plc_value v;
    assert_int_equal(plc_force_value_parse(t->motor, "true", &v, &d), 0);
    assert_true(v.i == 1);
    assert_int_equal(plc_force_value_parse(t->motor, "2", &v, &d), -1);
    assert_string_equal(d.msg, "tag 'motor' is bool: '2' is not a value of the type "
                               "(0, 1, true or false)");
    assert_int_equal(plc_force_value_parse(t->speed, "40000", &v, &d), -1);
    assert_int_equal(errno, ERANGE);
    assert_string_equal(d.msg, "tag 'speed' is int16: '40000' is out of range "
                               "(an integer from -32768 to 32767)");
    assert_int_equal(plc_force_value_parse(t->speed, "1.5", &v, &d), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(plc_force_value_parse(t->level, "inf", &v, &d), -1);
    assert_int_equal(plc_force_value_parse(t->level, "nan", &v, &d), -1);
    assert_int_equal(plc_force_value_parse(t->level, "-12.5", &v, &d), 0);
    assert_true(v.f == -12.5);
}

/* ---- the file ---------------------------------------------------------------------- */

static void table_is_base_layout_force_mode_0660(void **state)
{
    struct t *t = *state;
    char path[256], want[256];
    struct stat st;
    assert_int_equal(plc_force_table_path(t->f->layout, t->f->base, path, sizeof(path)), 0);
    snprintf(want, sizeof(want), "%s/ft/force", t->f->base);
    assert_string_equal(path, want);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0660);
    assert_int_equal(st.st_size, PLC_FORCE_FILE_SIZE);
}

static void open_refuses_a_table_of_another_layout(void **state)
{
    struct t *t = *state;
    struct plc_diag d;
    struct plc_layout *other = plc_layout_load_string(
        "[layout]\nname = ft\nversion = 2\n[region inputs]\nwriter = io\n"
        "[tag x]\nregion = inputs\ntype = bool\n",
        "other.ini", &d);
    assert_non_null(other);
    assert_null(plc_force_table_open(other, t->f->base, PLC_READER, &d));
    assert_int_equal(errno, PLC_ELAYOUT);
    assert_non_null(strstr(d.msg, "force table was made for layout hash"));
    /* plc-shm-init replaces it with a table of the new layout */
    assert_int_equal(plc_force_table_create(other, t->f->base, NULL, &d), PLC_CREATE_MADE);
    struct plc_force_table *r = plc_force_table_open(other, t->f->base, PLC_READER, &d);
    assert_non_null(r);
    plc_force_table_close(r);
    plc_layout_free(other);
}

static void missing_table_says_to_run_init(void **state)
{
    struct t *t = *state;
    char path[256];
    struct plc_diag d;
    plc_force_table_path(t->f->layout, t->f->base, path, sizeof(path));
    unlink(path);
    assert_null(plc_force_table_open(t->f->layout, t->f->base, PLC_READER, &d));
    assert_int_equal(errno, ENOENT);
    assert_string_equal(d.msg, "force table not found: has plc-shm-init run?");
}

static void one_writer_at_a_time(void **state)
{
    struct t *t = *state;
    struct plc_diag d;
    struct plc_force_table *w = writer(t);
    assert_null(plc_force_table_open(t->f->layout, t->f->base, PLC_WRITER, &d));
    assert_int_equal(errno, PLC_EHELD);
    plc_force_table_close(w);
    w = writer(t); /* released on close */
    plc_force_table_close(w);
}

static void readers_cannot_write(void **state)
{
    struct t *t = *state;
    struct plc_force_table *r = plc_force_table_open(t->f->layout, t->f->base, PLC_READER, NULL);
    struct plc_force f = force_of(t->motor, 1, 1000000000);
    assert_int_equal(plc_force_table_set(r, &f), -1);
    assert_int_equal(errno, EPERM);
    assert_int_equal(plc_force_table_clear(r, NULL, NULL, 0), -1);
    assert_int_equal(errno, EPERM);
    plc_force_table_close(r);
}

/* ---- set, list, clear ------------------------------------------------------------------ */

static void set_lists_and_replaces_a_force_of_the_same_tag(void **state)
{
    struct t *t = *state;
    force(t, t->motor, 1, 3600000000000);
    force(t, t->level, 42.5, PLC_FORCE_FOREVER);
    force(t, t->motor, 0, 60000000000);
    struct plc_force_table *r = plc_force_table_open(t->f->layout, t->f->base, PLC_READER, NULL);
    struct plc_force got[PLC_FORCE_CAPACITY], one;
    assert_int_equal(plc_force_table_list(r, 0, got), 2);
    assert_ptr_equal(got[0].tag, t->motor);
    assert_true(got[0].value.i == 0);
    assert_string_equal(got[0].user, "alice");
    assert_int_equal(got[0].uid, 1000);
    assert_true(got[0].until_ns - got[0].since_ns == 60000000000);
    assert_ptr_equal(got[1].tag, t->level);
    assert_true(got[1].until_ns == PLC_FORCE_FOREVER);
    assert_int_equal(plc_force_table_find(r, t->level, 0, &one), 1);
    assert_true(one.value.f == 42.5);
    assert_int_equal(plc_force_table_find(r, t->button, 0, NULL), 0);
    plc_force_table_close(r);
}

static void clear_one_or_all(void **state)
{
    struct t *t = *state;
    force(t, t->motor, 1, 3600000000000);
    force(t, t->button, 1, 3600000000000);
    force(t, t->speed, -7, 3600000000000);
    struct plc_force_table *w = writer(t);
    struct plc_force released[PLC_FORCE_CAPACITY];
    assert_int_equal(plc_force_table_clear(w, t->button, released, PLC_FORCE_CAPACITY), 1);
    assert_ptr_equal(released[0].tag, t->button);
    assert_int_equal(plc_force_table_clear(w, t->button, released, PLC_FORCE_CAPACITY), 0);
    assert_int_equal(plc_force_table_clear(w, NULL, released, PLC_FORCE_CAPACITY), 2);
    assert_int_equal(plc_force_table_list(w, 0, NULL), 0);
    plc_force_table_close(w);
}

static void a_full_table_refuses_another_tag(void **state)
{
    struct t *t = *state;
    /* one tag more than the table holds */
    char text[8192];
    size_t len = (size_t)snprintf(text, sizeof(text),
                                  "[layout]\nname = big\nversion = 1\n[region inputs]\nwriter = io\n");
    for (unsigned i = 0; i <= PLC_FORCE_CAPACITY; i++)
        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                "[tag t%u]\nregion = inputs\ntype = bool\n", i);
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load_string(text, "big.ini", &d);
    assert_non_null(l);
    assert_int_equal(plc_layout_dir_make(l, t->f->base, &d), 0);
    assert_int_equal(plc_force_table_create(l, t->f->base, NULL, &d), PLC_CREATE_MADE);
    struct plc_force_table *w = plc_force_table_open(l, t->f->base, PLC_WRITER, &d);
    assert_non_null(w);
    for (unsigned i = 0; i <= PLC_FORCE_CAPACITY; i++) {
        struct plc_force f = force_of(plc_layout_tag_at(l, i), 1, 3600000000000);
        assert_int_equal(plc_force_table_set(w, &f), i < PLC_FORCE_CAPACITY ? 0 : -1);
    }
    assert_int_equal(errno, ENOSPC);
    plc_force_table_close(w);
    plc_layout_free(l);
}

static void create_empties_the_table_in_place(void **state)
{
    struct t *t = *state;
    force(t, t->motor, 1, PLC_FORCE_FOREVER);
    struct plc_force_table *r = plc_force_table_open(t->f->layout, t->f->base, PLC_READER, NULL);
    assert_int_equal(plc_force_table_list(r, 0, NULL), 1);
    assert_int_equal(plc_force_table_create(t->f->layout, t->f->base, NULL, &t->f->diag),
                     PLC_CREATE_KEPT);
    assert_int_equal(plc_force_table_list(r, 0, NULL), 0); /* the open handle sees it */
    plc_force_table_close(r);
}

/* ---- shelvings ------------------------------------------------------------------------- */

static struct plc_shelving shelving_of(const struct plc_alarm_def *a, int64_t for_ns)
{
    struct plc_shelving s = {.alarm = a, .since_ns = realtime(), .uid = 1000, .user = "bob"};
    s.until_ns = s.since_ns + for_ns;
    return s;
}

static void shelve(struct t *t, const struct plc_alarm_def *a, int64_t for_ns)
{
    struct plc_force_table *w = writer(t);
    struct plc_shelving s = shelving_of(a, for_ns);
    assert_int_equal(plc_force_table_shelve(w, &s), 0);
    plc_force_table_close(w);
}

/* Shelvings are set, replaced, listed and ended apart from the forces:
 * unforce --all leaves them, unshelve --all leaves the forces. */
static void shelvings_set_list_and_clear_apart_from_forces(void **state)
{
    struct t *t = *state;
    force(t, t->motor, 1, 3600000000000);
    shelve(t, t->level_h, 600000000000);
    shelve(t, t->button_on, 60000000000);
    shelve(t, t->level_h, 1200000000000); /* replaced */
    struct plc_force_table *w = writer(t);
    struct plc_shelving got[PLC_SHELVE_CAPACITY];
    assert_int_equal(plc_force_table_list_shelved(w, 0, got), 2);
    assert_ptr_equal(got[0].alarm, t->level_h);
    assert_int_equal(got[0].index, 1);
    assert_true(got[0].until_ns - got[0].since_ns == 1200000000000);
    assert_string_equal(got[0].user, "bob");
    assert_int_equal(got[0].uid, 1000);
    assert_ptr_equal(got[1].alarm, t->button_on);
    assert_int_equal(got[1].index, 0);
    assert_int_equal(plc_force_table_list(w, 0, NULL), 1);

    assert_int_equal(plc_force_table_clear(w, NULL, NULL, 0), 1); /* unforce --all */
    assert_int_equal(plc_force_table_list_shelved(w, 0, NULL), 2);
    struct plc_force f = force_of(t->speed, 3, 3600000000000);
    assert_int_equal(plc_force_table_set(w, &f), 0);
    assert_int_equal(plc_force_table_unshelve(w, t->level_h, got, PLC_SHELVE_CAPACITY), 1);
    assert_ptr_equal(got[0].alarm, t->level_h);
    assert_int_equal(plc_force_table_unshelve(w, t->level_h, got, PLC_SHELVE_CAPACITY), 0);
    assert_int_equal(plc_force_table_unshelve(w, NULL, got, PLC_SHELVE_CAPACITY), 1);
    assert_int_equal(plc_force_table_list_shelved(w, 0, NULL), 0);
    assert_int_equal(plc_force_table_list(w, 0, NULL), 1); /* the force is still there */
    plc_force_table_close(w);
}

static void shelve_refuses_what_the_alarm_does_not_allow(void **state)
{
    struct t *t = *state;
    struct plc_force_table *w = writer(t);
    struct plc_shelving s = shelving_of(t->level_h, 3601000000000); /* alarm_shelve_max = 1h */
    assert_int_equal(plc_force_table_shelve(w, &s), -1);
    assert_int_equal(errno, ERANGE);
    s = shelving_of(t->level_h, 0);
    assert_int_equal(plc_force_table_shelve(w, &s), -1);
    assert_int_equal(errno, EINVAL);
    struct plc_alarm_def stranger = *t->level_h; /* not the layout's own */
    s = shelving_of(&stranger, 1000000000);
    assert_int_equal(plc_force_table_shelve(w, &s), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(plc_force_table_list_shelved(w, 0, NULL), 0);
    plc_force_table_close(w);
    struct plc_force_table *r = plc_force_table_open(t->f->layout, t->f->base, PLC_READER, NULL);
    s = shelving_of(t->level_h, 1000000000);
    assert_int_equal(plc_force_table_shelve(r, &s), -1);
    assert_int_equal(errno, EPERM);
    assert_int_equal(plc_force_table_unshelve(r, NULL, NULL, 0), -1);
    assert_int_equal(errno, EPERM);
    plc_force_table_close(r);
}

/* The engine's reader: a picture when the table changed (the first call
 * always), expired shelvings included for it to judge; nothing otherwise. */
static void poll_reports_each_change_once_expired_included(void **state)
{
    struct t *t = *state;
    struct plc_force_table *r = plc_force_table_open(t->f->layout, t->f->base, PLC_READER, NULL);
    struct plc_shelving got[PLC_SHELVE_CAPACITY];
    size_t n = 99;
    assert_int_equal(plc_force_table_poll_shelved(r, got, &n), 1);
    assert_int_equal(n, 0);
    assert_int_equal(plc_force_table_poll_shelved(r, got, &n), 0);

    struct plc_force_table *w = writer(t);
    struct plc_shelving s = shelving_of(t->button_on, 1000000000);
    s.since_ns -= 5000000000; /* ended 4 s ago */
    s.until_ns -= 5000000000;
    assert_int_equal(plc_force_table_shelve(w, &s), 0);
    plc_force_table_close(w);
    assert_int_equal(plc_force_table_poll_shelved(r, got, &n), 1);
    assert_int_equal(n, 1);
    assert_ptr_equal(got[0].alarm, t->button_on);
    assert_int_equal(plc_force_table_poll_shelved(r, got, &n), 0);
    assert_int_equal(plc_force_table_list_shelved(r, 0, NULL), 0); /* not in force */
    plc_force_table_close(r);
}

static void create_ends_every_shelving_too(void **state)
{
    struct t *t = *state;
    shelve(t, t->level_h, 600000000000);
    struct plc_force_table *r = plc_force_table_open(t->f->layout, t->f->base, PLC_READER, NULL);
    assert_int_equal(plc_force_table_list_shelved(r, 0, NULL), 1);
    assert_int_equal(plc_force_table_create(t->f->layout, t->f->base, NULL, &t->f->diag),
                     PLC_CREATE_KEPT);
    assert_int_equal(plc_force_table_list_shelved(r, 0, NULL), 0);
    plc_force_table_close(r);
}

/* A shelving entry whose name does not match its alarm (torn, or another
 * layout's) is not used, and the next writer drops it. */
static void shelving_entry_not_matching_its_alarm_is_ignored(void **state)
{
    struct t *t = *state;
    shelve(t, t->level_h, 600000000000);
    char path[256];
    plc_force_table_path(t->f->layout, t->f->base, path, sizeof(path));
    int fd = open(path, O_RDWR);
    assert_true(fd >= 0);
    struct plc_force_entry e;
    off_t at = PLC_FORCE_HEADER_SIZE + PLC_FORCE_CAPACITY * PLC_FORCE_ENTRY_SIZE;
    assert_int_equal(pread(fd, &e, sizeof(e), at), sizeof(e));
    assert_int_equal(e.tag, PLC_FORCE_ALARM_BIT | 2u);
    assert_string_equal(e.tag_name, "level.h");
    e.tag_name[0] = 'X';
    assert_int_equal(pwrite(fd, &e, sizeof(e), at), sizeof(e));
    close(fd);
    struct plc_force_table *r = plc_force_table_open(t->f->layout, t->f->base, PLC_READER, NULL);
    assert_int_equal(plc_force_table_list_shelved(r, 0, NULL), 0);
    plc_force_table_close(r);
}

/* ---- appliers ---------------------------------------------------------------------------- */

static void apply_writes_the_forces_of_that_region_only(void **state)
{
    struct t *t = *state;
    force(t, t->motor, 1, 3600000000000);
    force(t, t->speed, -7, 3600000000000);
    force(t, t->button, 1, 3600000000000);
    struct plc_force_table *r = plc_force_table_open(t->f->layout, t->f->base, PLC_READER, NULL);
    unsigned char data[64] = {0};
    assert_int_equal(plc_force_table_apply(r, t->motor->region, data, realtime()), 2);
    assert_true(plc_tag_decode(t->motor, data) == 1);
    assert_true(plc_tag_decode(t->speed, data) == -7);
    memset(data, 0, sizeof(data));
    assert_int_equal(plc_force_table_apply(r, t->button->region, data, realtime()), 1);
    assert_true(plc_tag_decode(t->button, data) == 1);
    plc_force_table_close(r);
}

static void expired_force_is_dropped_once_with_an_event(void **state)
{
    struct t *t = *state;
    char path[256];
    snprintf(path, sizeof(path), "%s/ft/events-logic", t->f->base);
    uint64_t hash = plc_layout_get_hash(t->f->layout);
    unlink(path); /* the fixture's (64 records): a small one here */
    assert_int_equal(plc_event_ring_create(path, 16, hash, NULL), PLC_CREATE_MADE);
    struct plc_event_ring *ring = plc_event_ring_open(path, PLC_WRITER, hash, NULL);
    assert_non_null(ring);
    force(t, t->motor, 1, 1000000000); /* 1 s */
    struct plc_force_table *r = plc_force_table_open(t->f->layout, t->f->base, PLC_READER, NULL);
    plc_force_table_set_events(r, ring, PLC_SOURCE_LOGIC);
    unsigned char data[64] = {0};
    int64_t now = realtime();
    assert_int_equal(plc_force_table_apply(r, t->motor->region, data, now), 1);
    assert_int_equal(plc_event_ring_get_head(ring), 0);
    /* two seconds later: not applied, told once */
    memset(data, 0, sizeof(data));
    assert_int_equal(plc_force_table_apply(r, t->motor->region, data, now + 2000000000), 0);
    assert_true(plc_tag_decode(t->motor, data) == 0);
    assert_int_equal(plc_force_table_apply(r, t->motor->region, data, now + 3000000000), 0);
    assert_int_equal(plc_event_ring_get_head(ring), 1);
    struct plc_event ev;
    uint64_t cursor = 0;
    assert_int_equal(plc_event_ring_read(ring, &cursor, &ev, NULL), 1);
    assert_int_equal(ev.kind, PLC_EVENT_FORCE_OFF);
    assert_int_equal(ev.source, PLC_SOURCE_LOGIC);
    assert_string_equal(ev.name, "motor");
    assert_string_equal(ev.text, "expired");
    assert_true(ev.before == 1);
    assert_int_equal(plc_force_table_list(r, now + 2000000000, NULL), 0);
    plc_force_table_close(r);
    plc_event_ring_close(ring);
}

static void half_written_table_is_never_used(void **state)
{
    struct t *t = *state;
    force(t, t->motor, 1, 3600000000000);
    struct plc_force_table *r = plc_force_table_open(t->f->layout, t->f->base, PLC_READER, NULL);
    unsigned char data[64] = {0};
    assert_int_equal(plc_force_table_apply(r, t->motor->region, data, realtime()), 1);
    /* a writer dies halfway through clearing it: gen odd, the entry half gone */
    struct plc_force_header *h = fixture_map(t->f, "force", PLC_FORCE_FILE_SIZE);
    struct plc_force_entry *e = (void *)((unsigned char *)h + PLC_FORCE_HEADER_SIZE);
    atomic_fetch_add(&h->gen, 1);
    memset(e[0].tag_name, 0, sizeof(e[0].tag_name));
    memset(data, 0, sizeof(data));
    assert_int_equal(plc_force_table_apply(r, t->motor->region, data, realtime()), 1);
    assert_true(plc_tag_decode(t->motor, data) == 1); /* the last complete table */
    /* the next writer drops the torn entry and makes the table readable again */
    struct plc_force_table *w = writer(t);
    plc_force_table_close(w);
    assert_int_equal(atomic_load(&h->gen) & 1, 0);
    assert_int_equal(e[0].tag, 0);
    assert_int_equal(plc_force_table_apply(r, t->motor->region, data, realtime()), 0);
    fixture_unmap(h, PLC_FORCE_FILE_SIZE);
    plc_force_table_close(r);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(only_inputs_and_outputs_may_be_forced),
        T(values_outside_the_type_are_refused),
        T(table_is_base_layout_force_mode_0660),
        T(open_refuses_a_table_of_another_layout),
        T(missing_table_says_to_run_init),
        T(one_writer_at_a_time),
        T(readers_cannot_write),
        T(set_lists_and_replaces_a_force_of_the_same_tag),
        T(clear_one_or_all),
        T(a_full_table_refuses_another_tag),
        T(create_empties_the_table_in_place),
        T(shelvings_set_list_and_clear_apart_from_forces),
        T(shelve_refuses_what_the_alarm_does_not_allow),
        T(poll_reports_each_change_once_expired_included),
        T(create_ends_every_shelving_too),
        T(shelving_entry_not_matching_its_alarm_is_ignored),
        T(apply_writes_the_forces_of_that_region_only),
        T(expired_force_is_dropped_once_with_an_event),
        T(half_written_table_is_never_used),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
