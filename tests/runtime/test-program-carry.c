/* SPDX-License-Identifier: MIT */
/*
 * Online change (runtime/program-carry.c): which variables of an old state a
 * reloaded Structured Text program keeps, by the tables both export
 * (plc-st.h), and the check of a table against its state.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "scan-internal.h"

/* A variable of program "Main" at @off. */
#define VAR(p, t, k, off, n)                                                                       \
    {.program = "Main", .path = (p), .type_name = (t), .offset = (off), .size = (n), .kind = (k)}

static struct plc_st_meta meta(const struct plc_st_var *vars, uint32_t n)
{
    return (struct plc_st_meta){.abi = PLC_ST_META_ABI, .var_count = n, .vars = vars};
}

#define META(vars) meta((vars), (uint32_t)(sizeof(vars) / sizeof((vars)[0])))

struct old_state {
    int32_t count;
    int16_t level;
    int16_t gone;
    int64_t elapsed; /* TIME */
    char name[11];   /* STRING[10] */
    bool run;
    int32_t speed;
};

static const struct plc_st_var old_vars[] = {
    VAR("count", "DINT", PLC_ST_DINT, offsetof(struct old_state, count), 4),
    VAR("level", "INT", PLC_ST_INT, offsetof(struct old_state, level), 2),
    VAR("gone", "INT", PLC_ST_INT, offsetof(struct old_state, gone), 2),
    VAR("t.ET", "TIME", PLC_ST_TIME, offsetof(struct old_state, elapsed), 8),
    VAR("name", "STRING[10]", PLC_ST_STRING, offsetof(struct old_state, name), 11),
    VAR("run", "BOOL", PLC_ST_BOOL, offsetof(struct old_state, run), 1),
    VAR("speed", "DINT", PLC_ST_DINT, offsetof(struct old_state, speed), 4),
};

/* The new program: its variables in another order, at other offsets. */
struct new_state {
    bool run;
    int32_t added;
    int64_t elapsed;
    int32_t level;   /* INT became DINT */
    int32_t count;
    char name[21];   /* STRING[20] */
    int32_t velocity; /* speed, renamed */
};

static const struct plc_st_var new_vars[] = {
    VAR("RUN", "BOOL", PLC_ST_BOOL, offsetof(struct new_state, run), 1),
    VAR("added", "DINT", PLC_ST_DINT, offsetof(struct new_state, added), 4),
    VAR("T.et", "time", PLC_ST_TIME, offsetof(struct new_state, elapsed), 8),
    VAR("level", "DINT", PLC_ST_DINT, offsetof(struct new_state, level), 4),
    {.program = "MAIN", .path = "Count", .type_name = "DINT",
     .offset = offsetof(struct new_state, count), .size = 4, .kind = PLC_ST_DINT},
    VAR("name", "STRING[20]", PLC_ST_STRING, offsetof(struct new_state, name), 21),
    VAR("velocity", "DINT", PLC_ST_DINT, offsetof(struct new_state, velocity), 4),
};

static const struct old_state old_values = {
    .count = 41, .level = 7, .gone = 9, .elapsed = 1500000000, .name = "motor", .run = true,
    .speed = 1200,
};

/* The new program's init: its initial values. */
static struct new_state initial(void)
{
    struct new_state n;
    memset(&n, 0, sizeof(n));
    n.added = 5;
    n.level = -1;
    n.count = 100;
    snprintf(n.name, sizeof(n.name), "new");
    n.velocity = 3;
    return n;
}

static void carry(const struct plc_st_meta *from, const void *old, const struct plc_st_meta *to,
                  void *now, struct plc_carry *c)
{
    char why[256];
    assert_int_equal(plc_program_meta_check(from, sizeof(struct old_state), why, sizeof(why)), 0);
    assert_int_equal(plc_program_carry(from, old, to, now, c), 0);
}

static void same_path_and_type_carried_the_rest_initial(void **state)
{
    struct plc_st_meta from = META(old_vars), to = META(new_vars);
    struct new_state n = initial();
    struct plc_carry c;
    carry(&from, &old_values, &to, &n, &c);

    assert_int_equal(n.count, 41);               /* program and path in other case: kept */
    assert_true(n.run);                          /* kept */
    assert_int_equal(n.elapsed, 1500000000);     /* "t.ET" is "T.et"; TIME is time */
    assert_int_equal(n.added, 5);                /* new: its initial value */
    assert_int_equal(n.level, -1);               /* INT -> DINT: not carried */
    assert_string_equal(n.name, "new");          /* STRING[10] -> [20]: not carried */
    assert_int_equal(n.velocity, 3);             /* renamed: a new variable */
    assert_int_equal(c.kept, 3);
    assert_int_equal(c.fresh, 4);
    assert_int_equal(c.dropped, 4);              /* level, gone, name, speed */
    (void)state;
}

static void nothing_shared_nothing_carried(void **state)
{
    static const struct plc_st_var other[] = {
        {.program = "Other", .path = "count", .type_name = "DINT", .offset = 0, .size = 4,
         .kind = PLC_ST_DINT},
    };
    struct plc_st_meta from = META(old_vars), to = META(other);
    int32_t v = 100;
    struct plc_carry c;
    carry(&from, &old_values, &to, &v, &c);
    assert_int_equal(v, 100); /* another program instance's count is another variable */
    assert_int_equal(c.kept, 0);
    assert_int_equal(c.fresh, 1);
    assert_int_equal(c.dropped, 7);
    (void)state;
}

static void kind_or_size_differs_not_carried(void **state)
{
    /* One type name, another kind or size: a table that says so is believed. */
    static const struct plc_st_var a[] = {VAR("x", "T", PLC_ST_DINT, 0, 4),
                                          VAR("y", "T", PLC_ST_UDINT, 4, 4)};
    static const struct plc_st_var b[] = {VAR("x", "T", PLC_ST_UDINT, 0, 4),
                                          VAR("y", "T", PLC_ST_UDINT, 4, 2)};
    int32_t old[2] = {-5, 6}, now[2] = {1, 2};
    struct plc_st_meta from = META(a), to = META(b);
    struct plc_carry c;
    assert_int_equal(plc_program_carry(&from, old, &to, now, &c), 0);
    assert_int_equal(now[0], 1);
    assert_int_equal(now[1], 2);
    assert_int_equal(c.kept, 0);
    (void)state;
}

static void string_of_same_length_carried_and_terminated(void **state)
{
    static const struct plc_st_var a[] = {VAR("s", "STRING[4]", PLC_ST_STRING, 0, 5)};
    static const struct plc_st_var b[] = {VAR("s", "string[4]", PLC_ST_STRING, 3, 5)};
    char old[5] = {'a', 'b', 'c', 'd', 'e'}; /* unterminated: a broken old state */
    char now[8] = "xxxxxxx";
    struct plc_st_meta from = META(a), to = META(b);
    struct plc_carry c;
    assert_int_equal(plc_program_carry(&from, old, &to, now, &c), 0);
    assert_int_equal(c.kept, 1);
    assert_string_equal(now + 3, "abcd");
    assert_int_equal(now[0], 'x');
    (void)state;
}

static void constants_and_image_variables_not_carried(void **state)
{
    static const struct plc_st_var a[] = {
        VAR("k", "INT", PLC_ST_INT, 0, 2),
        VAR("start", "BOOL", PLC_ST_BOOL, 0, 1),
    };
    struct plc_st_var b[] = {
        VAR("k", "INT", PLC_ST_INT, 0, 2),
        {.program = "Main", .path = "start", .type_name = "BOOL", .kind = PLC_ST_BOOL, .size = 1,
         .flags = PLC_ST_VAR_IMAGE | PLC_ST_VAR_EXTERNAL, .offset = 999999},
    };
    b[0].flags = PLC_ST_VAR_CONSTANT; /* its new value is the new program's */
    int16_t old = 5, now = 6;
    struct plc_st_meta from = META(a), to = META(b);
    struct plc_carry c;
    char why[256];
    assert_int_equal(plc_program_meta_check(&to, sizeof(now), why, sizeof(why)), 0);
    assert_int_equal(plc_program_carry(&from, &old, &to, &now, &c), 0);
    assert_int_equal(now, 6);
    assert_int_equal(c.kept, 0);
    assert_int_equal(c.fresh, 1); /* the constant; the image variable is not in the state */
    (void)state;
}

static void enum_carried_by_value_name(void **state)
{
    static const char *const old_names[] = {"IDLE", "RUN", "FAULT"};
    static const int32_t old_values_[] = {0, 1, 2};
    static const char *const new_names[] = {"Stop", "Idle", "Run"}; /* FAULT gone */
    static const int32_t new_values_[] = {0, 1, 2};
    static const struct plc_st_enum old_t = {"MODE_T", 3, old_names, old_values_};
    static const struct plc_st_enum new_t = {"MODE_T", 3, new_names, new_values_};
    struct plc_st_var a[] = {VAR("m", "MODE_T", PLC_ST_ENUM, 0, 4),
                             VAR("f", "MODE_T", PLC_ST_ENUM, 4, 4)};
    struct plc_st_var b[] = {VAR("m", "Mode_T", PLC_ST_ENUM, 0, 4),
                             VAR("f", "MODE_T", PLC_ST_ENUM, 4, 4)};
    a[0].enum_type = a[1].enum_type = &old_t;
    b[0].enum_type = b[1].enum_type = &new_t;
    int32_t old[2] = {1, 2}, now[2] = {0, 0};
    struct plc_st_meta from = META(a), to = META(b);
    struct plc_carry c;
    assert_int_equal(plc_program_carry(&from, old, &to, now, &c), 0);
    assert_int_equal(now[0], 2); /* RUN is Run, now 2 */
    assert_int_equal(now[1], 0); /* FAULT has no value now: the initial one */
    assert_int_equal(c.kept, 1);
    assert_int_equal(c.fresh, 1);
    (void)state;
}

/* A program of 10,000 variables (the size): all matched, in any order. */
static void many_variables_matched(void **state)
{
    enum { N = 10000 };
    struct plc_st_var *a = calloc(N, sizeof(*a)), *b = calloc(N, sizeof(*b));
    char(*names)[16] = calloc(N, sizeof(*names));
    int32_t *old = calloc(N, sizeof(*old)), *now = calloc(N, sizeof(*now));
    assert_true(a && b && names && old && now);
    for (size_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "v%zu", i);
        a[i] = (struct plc_st_var)VAR(names[i], "DINT", PLC_ST_DINT, i * 4, 4);
        size_t j = N - 1 - i; /* the new table in reverse */
        b[j] = (struct plc_st_var)VAR(names[i], "DINT", PLC_ST_DINT, j * 4, 4);
        old[i] = (int32_t)i;
    }
    struct plc_st_meta from = meta(a, N), to = meta(b, N);
    struct plc_carry c;
    assert_int_equal(plc_program_carry(&from, old, &to, now, &c), 0);
    assert_int_equal(c.kept, N);
    for (size_t j = 0; j < N; j++)
        assert_int_equal(now[j], (int32_t)(N - 1 - j));
    free(a);
    free(b);
    free(names);
    free(old);
    free(now);
    (void)state;
}

static void table_outside_its_state_refused(void **state)
{
    char why[256];
    static const struct plc_st_var past[] = {VAR("x", "DINT", PLC_ST_DINT, 6, 4)};
    struct plc_st_meta m = META(past);
    assert_int_equal(plc_program_meta_check(&m, 8, why, sizeof(why)), -1);
    assert_string_equal(why, "variable 'Main.x' (offset 6, 4 bytes) is not inside the 8-byte "
                             "state");
    assert_int_equal(plc_program_meta_check(&m, 10, why, sizeof(why)), 0);

    static const struct plc_st_var huge[] = {VAR("x", "DINT", PLC_ST_DINT, SIZE_MAX - 1, 4)};
    m = META(huge);
    assert_int_equal(plc_program_meta_check(&m, 8, why, sizeof(why)), -1);

    static const struct plc_st_var unnamed[] = {VAR(NULL, "DINT", PLC_ST_DINT, 0, 4)};
    m = META(unnamed);
    assert_int_equal(plc_program_meta_check(&m, 8, why, sizeof(why)), -1);
    assert_string_equal(why, "variable 0 has no path");

    m = meta(NULL, 3);
    assert_int_equal(plc_program_meta_check(&m, 8, why, sizeof(why)), -1);
    (void)state;
}

static void period_is_the_task_interval_unless_configured(void **state)
{
    bool task, clamped;
    struct plc_st_meta m = {.abi = PLC_ST_META_ABI, .interval_ns = 20000000};
    assert_int_equal(plc_program_period_us(10000, false, &m, &task, &clamped), 20000);
    assert_true(task);
    assert_false(clamped);
    /* Configured: it stands. */
    assert_int_equal(plc_program_period_us(5000, true, &m, &task, &clamped), 5000);
    assert_false(task);
    /* No table, or no task: the configured (default) period. */
    assert_int_equal(plc_program_period_us(10000, false, NULL, &task, &clamped), 10000);
    assert_false(task);
    m.interval_ns = 0;
    assert_int_equal(plc_program_period_us(10000, false, &m, &task, &clamped), 10000);
    assert_false(task);
    /* To the nearest us, and within the bounds [logic] has. */
    m.interval_ns = 2500499;
    assert_int_equal(plc_program_period_us(10000, false, &m, &task, &clamped), 2500);
    m.interval_ns = 2500500;
    assert_int_equal(plc_program_period_us(10000, false, &m, &task, &clamped), 2501);
    assert_false(clamped);
    m.interval_ns = 50000; /* T#50us */
    assert_int_equal(plc_program_period_us(10000, false, &m, &task, &clamped),
                     PLC_LOGIC_PERIOD_MIN_US);
    assert_true(clamped);
    m.interval_ns = UINT64_MAX;
    assert_int_equal(plc_program_period_us(10000, false, &m, &task, &clamped),
                     PLC_LOGIC_PERIOD_MAX_US);
    assert_true(clamped);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_path_and_type_carried_the_rest_initial),
        cmocka_unit_test(nothing_shared_nothing_carried),
        cmocka_unit_test(kind_or_size_differs_not_carried),
        cmocka_unit_test(string_of_same_length_carried_and_terminated),
        cmocka_unit_test(constants_and_image_variables_not_carried),
        cmocka_unit_test(enum_carried_by_value_name),
        cmocka_unit_test(many_variables_matched),
        cmocka_unit_test(table_outside_its_state_refused),
        cmocka_unit_test(period_is_the_task_interval_unless_configured),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
