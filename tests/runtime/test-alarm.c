/* SPDX-License-Identifier: MIT */
/* The alarm state machine (plc-alarm.h) on a simulated clock: every ISA-18.2
 * transition, deadband, on-delay, latching, edges, shelving, limit tags,
 * save and restore. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plc-alarm.h"

#define MS 1000000ll
#define S (1000 * MS)
#define NALARMS 14 /* in layout_text */

static const char layout_text[] =
    "[layout]\nname = t\nversion = 1\n"
    "[region inputs]\nwriter = io\n"
    "[region params]\nwriter = modbus\n"
    "[region alarms]\nwriter = logic\n"
    "[tag a]\nregion = inputs\ntype = float32\nalarm_h = 90\nalarm_deadband = 2\n"
    "[tag b]\nregion = inputs\ntype = float32\nalarm_hh = 95\nalarm_h = 80\nalarm_l = 20\n"
    "alarm_ll = 5\nalarm_deadband = 1\ninitial = 50\n"
    "[tag d]\nregion = inputs\ntype = float32\nalarm_h = 50\nalarm_delay = 100ms\n"
    "[tag lt]\nregion = inputs\ntype = float32\nalarm_h = 50\nalarm_latch = yes\n"
    "[tag run]\nregion = inputs\ntype = bool\nalarm = on\n"
    "[tag stopped]\nregion = inputs\ntype = bool\nalarm = off\n"
    "[tag r]\nregion = inputs\ntype = bool\nalarm = rising\n"
    "[tag f]\nregion = inputs\ntype = bool\nalarm = falling\n"
    "[tag rl]\nregion = inputs\ntype = bool\nalarm = rising\nalarm_latch = yes\n"
    "[tag sp_tag]\nregion = inputs\ntype = float32\nalarm_h = sp\n"
    "[tag sh]\nregion = inputs\ntype = float32\nalarm_h = 50\nalarm_shelve_max = 1h\n"
    "[tag sp]\nregion = params\ntype = float32\ninitial = 50\n";

struct transition {
    size_t alarm;
    enum plc_alarm_state from, to;
    double value;
    int64_t now;
};

/* The fixture: a layout, its alarm set, a snapshot of every tag and the clock. */
struct t {
    struct plc_layout *l;
    struct plc_alarm_set *set;
    double v[64]; /* every tag, the alarm region's made ones too */
    int64_t now;
    struct transition seen[64];
    size_t nseen;
};

static double value_of(void *user, const struct plc_tag_def *tag)
{
    struct t *t = user;
    return t->v[tag - plc_layout_tag_at(t->l, 0)];
}

static void record(void *user, size_t alarm, enum plc_alarm_state from, enum plc_alarm_state to,
                   double value, int64_t now)
{
    struct t *t = user;
    assert_true(t->nseen < 64);
    t->seen[t->nseen++] = (struct transition){alarm, from, to, value, now};
}

static int setup(void **state)
{
    struct t *t = calloc(1, sizeof(*t));
    struct plc_diag d;
    assert_non_null(t);
    t->l = plc_layout_load_string(layout_text, "t.ini", &d);
    if (!t->l)
        fail_msg("%s:%u: %s", d.file, d.line, d.msg);
    t->set = plc_alarm_set_new(t->l);
    assert_non_null(t->set);
    assert_true(plc_layout_tag_count(t->l) <= sizeof(t->v) / sizeof(t->v[0]));
    for (size_t i = 0; i < plc_layout_tag_count(t->l); i++)
        t->v[i] = plc_layout_tag_at(t->l, i)->initial;
    t->v[plc_layout_find_tag(t->l, "stopped") - plc_layout_tag_at(t->l, 0)] = 1;
    t->now = 1 * S;
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct t *t = *state;
    plc_alarm_set_free(t->set);
    plc_layout_free(t->l);
    free(t);
    return 0;
}

static void put(struct t *t, const char *tag, double v)
{
    const struct plc_tag_def *d = plc_layout_find_tag(t->l, tag);
    assert_non_null(d);
    t->v[d - plc_layout_tag_at(t->l, 0)] = v;
}

/* One scan @dt after the last: the number of transitions it made. */
static int scan(struct t *t, int64_t dt)
{
    t->now += dt;
    t->nseen = 0;
    int n = plc_alarm_set_evaluate(t->set, value_of, t, t->now, record, t);
    assert_int_equal(n, (int)t->nseen);
    return n;
}

static size_t idx(struct t *t, const char *name)
{
    long i = plc_alarm_set_find(t->set, name);
    if (i < 0)
        fail_msg("no alarm '%s'", name);
    return (size_t)i;
}

static enum plc_alarm_state state_of(struct t *t, const char *name)
{
    return plc_alarm_set_status_at(t->set, idx(t, name))->state;
}

static int ack(struct t *t, const char *name)
{
    return plc_alarm_set_ack(t->set, idx(t, name), t->now);
}

static void a_new_set_is_all_normal(void **state)
{
    struct t *t = *state;
    assert_int_equal(plc_alarm_set_count(t->set), plc_layout_alarm_count(t->l));
    assert_int_equal(plc_alarm_set_count(t->set), NALARMS);
    for (size_t i = 0; i < plc_alarm_set_count(t->set); i++) {
        const struct plc_alarm_status *st = plc_alarm_set_status_at(t->set, i);
        assert_int_equal(st->state, PLC_ALARM_NORMAL);
        assert_false(st->shelved);
        assert_false(st->condition);
    }
    assert_null(plc_alarm_set_status_at(t->set, NALARMS));
    errno = 0;
    assert_int_equal(plc_alarm_set_find(t->set, "nope"), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(plc_alarm_state_name(PLC_ALARM_NORMAL), "normal");
    assert_string_equal(plc_alarm_state_name(PLC_ALARM_UNACK_ACTIVE), "unack_active");
    assert_string_equal(plc_alarm_state_name(PLC_ALARM_ACK_ACTIVE), "ack_active");
    assert_string_equal(plc_alarm_state_name(PLC_ALARM_UNACK_RTN), "unack_rtn");
    assert_null(plc_alarm_state_name(0));
    assert_null(plc_alarm_state_name(PLC_ALARM_STATE_ERROR));
}

static void raised_acked_cleared_goes_back_to_normal(void **state)
{
    struct t *t = *state;
    assert_int_equal(scan(t, 10 * MS), 0);
    put(t, "a", 95);
    assert_int_equal(scan(t, 10 * MS), 1);
    assert_int_equal(t->seen[0].alarm, idx(t, "a.h"));
    assert_int_equal(t->seen[0].from, PLC_ALARM_NORMAL);
    assert_int_equal(t->seen[0].to, PLC_ALARM_UNACK_ACTIVE);
    assert_true(t->seen[0].value == 95);
    assert_true(t->seen[0].now == t->now);
    assert_true(plc_alarm_set_status_at(t->set, idx(t, "a.h"))->changed_ns == t->now);
    assert_int_equal(ack(t, "a.h"), 1);
    assert_int_equal(state_of(t, "a.h"), PLC_ALARM_ACK_ACTIVE);
    assert_int_equal(scan(t, 10 * MS), 0); /* still active */
    put(t, "a", 50);
    assert_int_equal(scan(t, 10 * MS), 1);
    assert_int_equal(t->seen[0].from, PLC_ALARM_ACK_ACTIVE);
    assert_int_equal(t->seen[0].to, PLC_ALARM_NORMAL);
}

static void cleared_before_ack_needs_an_ack(void **state)
{
    struct t *t = *state;
    put(t, "a", 95);
    scan(t, 10 * MS);
    put(t, "a", 50);
    assert_int_equal(scan(t, 10 * MS), 1);
    assert_int_equal(t->seen[0].from, PLC_ALARM_UNACK_ACTIVE);
    assert_int_equal(t->seen[0].to, PLC_ALARM_UNACK_RTN);
    assert_int_equal(scan(t, 10 * MS), 0);
    assert_int_equal(state_of(t, "a.h"), PLC_ALARM_UNACK_RTN);
    assert_int_equal(ack(t, "a.h"), 1);
    assert_int_equal(state_of(t, "a.h"), PLC_ALARM_NORMAL);
}

static void returning_before_ack_is_active_again(void **state)
{
    struct t *t = *state;
    put(t, "a", 95);
    scan(t, 10 * MS);
    put(t, "a", 50);
    scan(t, 10 * MS);
    put(t, "a", 91);
    assert_int_equal(scan(t, 10 * MS), 1);
    assert_int_equal(t->seen[0].from, PLC_ALARM_UNACK_RTN);
    assert_int_equal(t->seen[0].to, PLC_ALARM_UNACK_ACTIVE);
}

static void ack_of_a_normal_alarm_is_a_no_op(void **state)
{
    struct t *t = *state;
    scan(t, 10 * MS);
    int64_t before = plc_alarm_set_status_at(t->set, idx(t, "a.h"))->changed_ns;
    assert_int_equal(ack(t, "a.h"), 0);
    assert_int_equal(state_of(t, "a.h"), PLC_ALARM_NORMAL);
    assert_true(plc_alarm_set_status_at(t->set, idx(t, "a.h"))->changed_ns == before);
    put(t, "a", 95);
    scan(t, 10 * MS);
    assert_int_equal(ack(t, "a.h"), 1);
    assert_int_equal(ack(t, "a.h"), 0); /* acknowledged already */
    assert_int_equal(state_of(t, "a.h"), PLC_ALARM_ACK_ACTIVE);
    errno = 0;
    assert_int_equal(plc_alarm_set_ack(t->set, 99, t->now), -1);
    assert_int_equal(errno, ENOENT);
}

static void ack_all_acknowledges_every_alarm(void **state)
{
    struct t *t = *state;
    put(t, "b", 99); /* b.h and b.hh */
    put(t, "a", 95);
    assert_int_equal(scan(t, 10 * MS), 3);
    assert_int_equal(plc_alarm_set_ack_all(t->set, t->now), 3);
    assert_int_equal(state_of(t, "b.hh"), PLC_ALARM_ACK_ACTIVE);
    assert_int_equal(state_of(t, "b.h"), PLC_ALARM_ACK_ACTIVE);
    assert_int_equal(state_of(t, "a.h"), PLC_ALARM_ACK_ACTIVE);
    assert_int_equal(plc_alarm_set_ack_all(t->set, t->now), 0);
}

/* Set @tag to each value in turn and check @alarm's condition after each scan. */
static void walk(struct t *t, const char *tag, const char *alarm, const double *v, const bool *want,
                 size_t n)
{
    for (size_t i = 0; i < n; i++) {
        put(t, tag, v[i]);
        scan(t, 10 * MS);
        if (plc_alarm_set_status_at(t->set, idx(t, alarm))->condition != want[i])
            fail_msg("%s = %g: %s condition should be %d", tag, v[i], alarm, want[i]);
    }
}

static void deadband_holds_each_limit(void **state)
{
    struct t *t = *state;
    /* just short of a limit never raises */
    walk(t, "a", "a.h", (double[]){89.99, 90, 88.5, 87.9, 89.99},
         (bool[]){false, true, true, false, false}, 5);
    /* each walk starts from 50, clear of every limit of b */
    walk(t, "b", "b.hh", (double[]){50, 94.9, 95, 94.1, 93.9},
         (bool[]){false, false, true, true, false}, 5);
    walk(t, "b", "b.h", (double[]){50, 79.9, 80, 79.1, 78.9},
         (bool[]){false, false, true, true, false}, 5);
    walk(t, "b", "b.l", (double[]){50, 20.1, 20, 20.9, 21.1},
         (bool[]){false, false, true, true, false}, 5);
    walk(t, "b", "b.ll", (double[]){50, 5.1, 5, 5.9, 6.1},
         (bool[]){false, false, true, true, false}, 5);
}

static void a_condition_shorter_than_the_delay_never_raises(void **state)
{
    struct t *t = *state;
    put(t, "d", 60);
    for (int i = 0; i < 9; i++)
        assert_int_equal(scan(t, 10 * MS), 0); /* 90 ms */
    put(t, "d", 40);
    assert_int_equal(scan(t, 10 * MS), 0);
    put(t, "d", 60);
    for (int i = 0; i < 10; i++) /* the delay starts again: 0 .. 90 ms */
        assert_int_equal(scan(t, i ? 10 * MS : 1 * MS), 0);
    assert_int_equal(state_of(t, "d.h"), PLC_ALARM_NORMAL);
    assert_true(plc_alarm_set_status_at(t->set, idx(t, "d.h"))->pending_ns >= 0);
    assert_int_equal(scan(t, 10 * MS), 1); /* 100 ms */
    assert_int_equal(t->seen[0].to, PLC_ALARM_UNACK_ACTIVE);
    /* clearing is not delayed */
    put(t, "d", 40);
    assert_int_equal(scan(t, 1 * MS), 1);
    assert_int_equal(t->seen[0].to, PLC_ALARM_UNACK_RTN);
}

static void a_latched_alarm_stays_until_acked_after_it_clears(void **state)
{
    struct t *t = *state;
    /* unacknowledged: stays UNACK_ACTIVE once clear, the ack resets it */
    put(t, "lt", 60);
    assert_int_equal(scan(t, 10 * MS), 1);
    put(t, "lt", 40);
    assert_int_equal(scan(t, 10 * MS), 0);
    assert_int_equal(state_of(t, "lt.h"), PLC_ALARM_UNACK_ACTIVE);
    assert_false(plc_alarm_set_status_at(t->set, idx(t, "lt.h"))->condition);
    assert_int_equal(ack(t, "lt.h"), 1);
    assert_int_equal(state_of(t, "lt.h"), PLC_ALARM_NORMAL);
    /* acknowledged while active: stays ACK_ACTIVE once clear, until acked again */
    put(t, "lt", 60);
    scan(t, 10 * MS);
    assert_int_equal(ack(t, "lt.h"), 1);
    assert_int_equal(state_of(t, "lt.h"), PLC_ALARM_ACK_ACTIVE);
    assert_int_equal(ack(t, "lt.h"), 0); /* still active: nothing to reset */
    put(t, "lt", 40);
    assert_int_equal(scan(t, 10 * MS), 0);
    assert_int_equal(state_of(t, "lt.h"), PLC_ALARM_ACK_ACTIVE);
    assert_int_equal(ack(t, "lt.h"), 1);
    assert_int_equal(state_of(t, "lt.h"), PLC_ALARM_NORMAL);
}

static void bool_levels_are_active_while_they_hold(void **state)
{
    struct t *t = *state;
    assert_int_equal(scan(t, 10 * MS), 0);
    put(t, "run", 1);
    put(t, "stopped", 0);
    assert_int_equal(scan(t, 10 * MS), 2);
    assert_int_equal(state_of(t, "run"), PLC_ALARM_UNACK_ACTIVE);
    assert_int_equal(state_of(t, "stopped"), PLC_ALARM_UNACK_ACTIVE);
    put(t, "run", 0);
    put(t, "stopped", 1);
    assert_int_equal(scan(t, 10 * MS), 2);
    assert_int_equal(state_of(t, "run"), PLC_ALARM_UNACK_RTN);
    assert_int_equal(state_of(t, "stopped"), PLC_ALARM_UNACK_RTN);
}

static void edges_are_events_for_one_scan(void **state)
{
    struct t *t = *state;
    put(t, "r", 1);
    put(t, "f", 1);
    assert_int_equal(scan(t, 10 * MS), 0); /* no previous value: no edge */
    put(t, "r", 0);
    assert_int_equal(scan(t, 10 * MS), 0);
    put(t, "r", 1);
    assert_int_equal(scan(t, 10 * MS), 1);
    assert_int_equal(state_of(t, "r"), PLC_ALARM_UNACK_ACTIVE);
    assert_int_equal(scan(t, 10 * MS), 1); /* still 1: the edge is past */
    assert_int_equal(state_of(t, "r"), PLC_ALARM_UNACK_RTN);
    assert_int_equal(ack(t, "r"), 1);
    assert_int_equal(state_of(t, "r"), PLC_ALARM_NORMAL);

    put(t, "f", 0);
    assert_int_equal(scan(t, 10 * MS), 1);
    assert_int_equal(state_of(t, "f"), PLC_ALARM_UNACK_ACTIVE);
    assert_int_equal(scan(t, 10 * MS), 1);
    assert_int_equal(state_of(t, "f"), PLC_ALARM_UNACK_RTN);
}

static void a_latched_edge_stays_until_acked(void **state)
{
    struct t *t = *state;
    scan(t, 10 * MS);
    put(t, "rl", 1);
    assert_int_equal(scan(t, 10 * MS), 1);
    put(t, "rl", 0);
    assert_int_equal(scan(t, 10 * MS), 0);
    assert_int_equal(scan(t, 10 * MS), 0);
    assert_int_equal(state_of(t, "rl"), PLC_ALARM_UNACK_ACTIVE);
    assert_int_equal(ack(t, "rl"), 1);
    assert_int_equal(state_of(t, "rl"), PLC_ALARM_NORMAL);
}

static void a_shelved_alarm_is_silent_until_its_shelving_ends(void **state)
{
    struct t *t = *state;
    struct plc_diag d;
    size_t i = idx(t, "sh.h");
    put(t, "sh", 60);
    assert_int_equal(scan(t, 10 * MS), 1);
    int64_t until = t->now + 10 * 60 * S;
    assert_int_equal(plc_alarm_set_shelve(t->set, i, t->now, until, &d), 0);
    const struct plc_alarm_status *st = plc_alarm_set_status_at(t->set, i);
    assert_true(st->shelved);
    assert_true(st->shelved_until_ns == until);
    assert_int_equal(st->state, PLC_ALARM_NORMAL);
    /* evaluated but silent: the condition comes and goes, nothing is reported */
    assert_int_equal(scan(t, 1 * S), 0);
    assert_true(st->condition);
    put(t, "sh", 40);
    assert_int_equal(scan(t, 1 * S), 0);
    assert_false(st->condition);
    put(t, "sh", 60);
    assert_int_equal(scan(t, 1 * S), 0);
    assert_int_equal(ack(t, "sh.h"), 0);
    /* at its end it is evaluated as any normal alarm: still in alarm, raised again */
    t->now = until - 10 * MS;
    assert_int_equal(scan(t, 10 * MS), 1);
    assert_false(st->shelved);
    assert_int_equal(t->seen[0].from, PLC_ALARM_NORMAL);
    assert_int_equal(t->seen[0].to, PLC_ALARM_UNACK_ACTIVE);
}

static void a_shelving_that_ends_clear_stays_normal(void **state)
{
    struct t *t = *state;
    size_t i = idx(t, "sh.h");
    assert_int_equal(plc_alarm_set_shelve(t->set, i, t->now, t->now + 1 * S, NULL), 0);
    put(t, "sh", 60);
    assert_int_equal(scan(t, 100 * MS), 0);
    put(t, "sh", 40);
    assert_int_equal(scan(t, 1 * S), 0);
    assert_false(plc_alarm_set_status_at(t->set, i)->shelved);
    assert_int_equal(state_of(t, "sh.h"), PLC_ALARM_NORMAL);
}

static void unshelve_ends_the_shelving_now(void **state)
{
    struct t *t = *state;
    size_t i = idx(t, "sh.h");
    put(t, "sh", 60);
    assert_int_equal(plc_alarm_set_shelve(t->set, i, t->now, t->now + 60 * S, NULL), 0);
    assert_int_equal(scan(t, 10 * MS), 0);
    assert_int_equal(plc_alarm_set_unshelve(t->set, i), 1);
    assert_int_equal(plc_alarm_set_unshelve(t->set, i), 0);
    assert_int_equal(scan(t, 10 * MS), 1);
    assert_int_equal(state_of(t, "sh.h"), PLC_ALARM_UNACK_ACTIVE);
    errno = 0;
    assert_int_equal(plc_alarm_set_unshelve(t->set, 99), -1);
    assert_int_equal(errno, ENOENT);
}

static void shelving_past_shelve_max_is_refused(void **state)
{
    struct t *t = *state;
    struct plc_diag d;
    size_t i = idx(t, "sh.h");
    errno = 0;
    assert_int_equal(plc_alarm_set_shelve(t->set, i, t->now, t->now + 7200 * S, &d), -1);
    assert_int_equal(errno, ERANGE);
    assert_string_equal(
        d.msg, "alarm 'sh.h': shelving for 7200s is longer than its alarm_shelve_max 3600s");
    assert_false(plc_alarm_set_status_at(t->set, i)->shelved);
    assert_int_equal(plc_alarm_set_shelve(t->set, i, t->now, t->now + 3600 * S, &d), 0);
    errno = 0;
    assert_int_equal(plc_alarm_set_shelve(t->set, i, t->now, t->now, &d), -1);
    assert_int_equal(errno, EINVAL);
    assert_string_equal(d.msg, "alarm 'sh.h': a shelving must end after now");
    errno = 0;
    assert_int_equal(plc_alarm_set_shelve(t->set, 99, t->now, t->now + S, &d), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(d.msg, "no alarm 99 (the layout has 14)");
    /* the default is 8 h */
    assert_int_equal(
        plc_alarm_set_shelve(t->set, idx(t, "a.h"), t->now, t->now + 8 * 3600 * S, NULL), 0);
    assert_int_equal(
        plc_alarm_set_shelve(t->set, idx(t, "a.h"), t->now, t->now + 8 * 3600 * S + 1, NULL), -1);
}

static void a_limit_tag_is_read_every_scan(void **state)
{
    struct t *t = *state;
    put(t, "sp_tag", 60); /* sp is 50 */
    assert_int_equal(scan(t, 10 * MS), 1);
    assert_int_equal(state_of(t, "sp_tag.h"), PLC_ALARM_UNACK_ACTIVE);
    put(t, "sp", 70); /* SCADA raises the limit */
    assert_int_equal(scan(t, 10 * MS), 1);
    assert_int_equal(state_of(t, "sp_tag.h"), PLC_ALARM_UNACK_RTN);
    put(t, "sp", 55);
    assert_int_equal(scan(t, 10 * MS), 1);
    assert_int_equal(state_of(t, "sp_tag.h"), PLC_ALARM_UNACK_ACTIVE);
}

static void state_is_saved_and_restored(void **state)
{
    struct t *t = *state;
    struct plc_alarm_status saved[NALARMS], small[2];
    put(t, "a", 95);
    put(t, "d", 60);
    scan(t, 10 * MS);
    ack(t, "a.h");
    plc_alarm_set_shelve(t->set, idx(t, "sh.h"), t->now, t->now + S, NULL);
    assert_int_equal(plc_alarm_set_get_state(t->set, saved, NALARMS), NALARMS);
    errno = 0;
    assert_int_equal(plc_alarm_set_get_state(t->set, small, 2), -1);
    assert_int_equal(errno, ENOSPC);

    struct plc_alarm_set *other = plc_alarm_set_new(t->l);
    assert_non_null(other);
    errno = 0;
    assert_int_equal(plc_alarm_set_set_state(other, saved, NALARMS - 1), -1);
    assert_int_equal(errno, EINVAL);
    saved[3].state = 7;
    errno = 0;
    assert_int_equal(plc_alarm_set_set_state(other, saved, NALARMS), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(plc_alarm_set_status_at(other, idx(t, "a.h"))->state, PLC_ALARM_NORMAL);
    saved[3].state = plc_alarm_set_status_at(t->set, 3)->state;
    assert_int_equal(plc_alarm_set_set_state(other, saved, NALARMS), 0);
    for (size_t i = 0; i < NALARMS; i++)
        assert_memory_equal(plc_alarm_set_status_at(other, i), plc_alarm_set_status_at(t->set, i),
                            sizeof(struct plc_alarm_status));
    assert_int_equal(plc_alarm_set_status_at(other, idx(t, "a.h"))->state, PLC_ALARM_ACK_ACTIVE);
    /* the pending delay goes on where it was */
    assert_true(plc_alarm_set_status_at(other, idx(t, "d.h"))->pending_ns == t->now);
    plc_alarm_set_free(other);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(a_new_set_is_all_normal),
        T(raised_acked_cleared_goes_back_to_normal),
        T(cleared_before_ack_needs_an_ack),
        T(returning_before_ack_is_active_again),
        T(ack_of_a_normal_alarm_is_a_no_op),
        T(ack_all_acknowledges_every_alarm),
        T(deadband_holds_each_limit),
        T(a_condition_shorter_than_the_delay_never_raises),
        T(a_latched_alarm_stays_until_acked_after_it_clears),
        T(bool_levels_are_active_while_they_hold),
        T(edges_are_events_for_one_scan),
        T(a_latched_edge_stays_until_acked),
        T(a_shelved_alarm_is_silent_until_its_shelving_ends),
        T(a_shelving_that_ends_clear_stays_normal),
        T(unshelve_ends_the_shelving_now),
        T(shelving_past_shelve_max_is_refused),
        T(a_limit_tag_is_read_every_scan),
        T(state_is_saved_and_restored),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
