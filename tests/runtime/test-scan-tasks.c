/* SPDX-License-Identifier: MIT */
/*
 * Cyclic tasks in the scan engine (plc-task.h): a program of several tasks
 * run on a simulated clock, as OpenPLC v3 runs a resource's tasks: the tick
 * (the tasks' common divisor, or the layout's period), which tasks each tick
 * runs and in what order, each task's ctx, its statistics and diagnostics
 * tags, overruns, faults, and the programs refused at load.
 */
#include "fixture.h"
#include "plc-scan.h"
#include "plc-task.h"

#define MS 1000000ull

static const char layout_text[] =
    "[layout]\nname = tasktest\nversion = 1\n\n"
    "[logic]\nwatchdog = 1s\nlock_memory = no\n\n"
    "[region diagnostics]\nwriter = logic\n\n"
    "[tag scan_count]\nregion = diagnostics\ntype = uint32\n\n"
    "[tag period_us]\nregion = diagnostics\ntype = uint32\n\n"
    "[tag task_fast_runs]\nregion = diagnostics\ntype = uint32\n\n"
    "[tag task_fast_overruns]\nregion = diagnostics\ntype = uint32\n\n"
    "[tag task_fast_scan_time_last_us]\nregion = diagnostics\ntype = uint32\n\n"
    "[tag task_fast_scan_time_max_us]\nregion = diagnostics\ntype = uint32\n\n"
    "[tag task_fast_scan_time_mean_us]\nregion = diagnostics\ntype = uint32\n\n"
    "[tag task_slow_runs]\nregion = diagnostics\ntype = uint32\n\n"
    "[tag task_gone_runs]\nregion = diagnostics\ntype = uint32\n";

/* ---- the simulated clock and the tasks ------------------------------------- */

static uint64_t clock_now(void *user)
{
    return *(uint64_t *)user;
}

static int clock_sleep_until(void *user, uint64_t d)
{
    uint64_t *t = user;
    if (*t < d)
        *t = d;
    return 0;
}

static const struct plc_scan_clock sim_clock = {.now = clock_now,
                                                .sleep_until = clock_sleep_until};

/* What the tasks saw, in the order they ran; one test at a time. */
static struct {
    uint64_t *clock;
    uint64_t work[3];      /* each run of task i advances the clock this much */
    uint64_t work_once[3]; /* its next run only */
    int fail[3];           /* its next run returns this */
    size_t n;
    struct seen_run {
        int task;
        uint64_t now, dt, count;
        bool first;
    } run[64];
} seen;

static int task_run(int i, struct plc_ctx *ctx)
{
    if (seen.n < 64)
        seen.run[seen.n] = (struct seen_run){i, ctx->now_ns, ctx->dt_ns, ctx->scan_count,
                                                 ctx->first_scan};
    seen.n++;
    *seen.clock += seen.work[i] + seen.work_once[i];
    seen.work_once[i] = 0;
    int r = seen.fail[i];
    seen.fail[i] = 0;
    ctx->fault = r ? "boom" : NULL;
    return r;
}

static int fast_scan(struct plc_ctx *ctx) { return task_run(0, ctx); }
static int slow_scan(struct plc_ctx *ctx) { return task_run(1, ctx); }
static int third_scan(struct plc_ctx *ctx) { return task_run(2, ctx); }

static int old_scan(struct plc_ctx *ctx)
{
    return task_run(2, ctx);
}

/* fast declared first but of lower priority than slow: slow runs first */
static const struct plc_task two_tasks[] = {
    {"fast", 10 * MS, 1, fast_scan},
    {"slow", 30 * MS, 0, slow_scan},
};

/* ---- fixture --------------------------------------------------------------- */

struct t {
    struct fixture *f;
    uint64_t clock;
    struct plc_logic_def logic;
    struct plc_program program;
    struct plc_scan_config cfg;
    struct plc_scan *scan;
    struct plc_region *diag;
};

static int setup(void **state)
{
    struct t *t = calloc(1, sizeof(*t));
    assert_non_null(t);
    t->f = fixture_new(layout_text);
    fixture_init(t->f);
    memset(&seen, 0, sizeof(seen));
    t->clock = 1000 * MS;
    seen.clock = &t->clock;
    t->logic = *plc_layout_get_logic(t->f->layout);
    const struct plc_layout *l = t->f->layout;
    t->program = (struct plc_program){
        .abi = PLC_PROGRAM_ABI,
        .size = sizeof(struct plc_program),
        .name = "tasks",
        .layout_name = plc_layout_get_name(l),
        .layout_version = plc_layout_get_version(l),
        .layout_hash = plc_layout_get_hash(l),
        .task_count = 2,
        .tasks = two_tasks,
    };
    t->cfg = (struct plc_scan_config){
        .layout = l,
        .base_dir = t->f->base,
        .program = &t->program,
        .logic = &t->logic,
        .clock = &sim_clock,
        .clock_user = &t->clock,
    };
    t->diag = plc_region_attach(l, t->f->base, "diagnostics", PLC_READER, NULL, &t->f->diag);
    assert_non_null(t->diag);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct t *t = *state;
    plc_scan_free(t->scan);
    plc_region_detach(t->diag);
    fixture_free(t->f);
    free(t);
    return 0;
}

static void start(struct t *t)
{
    t->scan = plc_scan_new(&t->cfg, &t->f->diag);
    if (!t->scan)
        fail_msg("plc_scan_new: %s", t->f->diag.msg);
}

static void steps(struct t *t, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(plc_scan_step(t->scan), 0);
}

static double tag(struct t *t, const char *name)
{
    double v;
    assert_int_equal(plc_region_read_tag(t->diag, plc_layout_find_tag(t->f->layout, name), &v),
                     0);
    return v;
}

/* The tasks that ran, as a string of their numbers ("10" for slow then fast). */
static const char *ran(char *buf)
{
    size_t i = 0;
    for (; i < seen.n && i < 63; i++)
        buf[i] = (char)('0' + seen.run[i].task);
    buf[i] = '\0';
    return buf;
}

/* ---- cases ----------------------------------------------------------------- */

static void tasks_tick_is_the_common_divisor_and_run_three_to_one(void **state)
{
    struct t *t = *state;
    start(t);
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.period_us, 10000);
    steps(t, 7);
    char buf[64];
    /* ticks 0 and 3 and 6 run slow, then fast (priority 0 first); others fast alone */
    assert_string_equal(ran(buf), "1000100010");
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.scans, 7);
    assert_int_equal(st.task_count, 2);
    assert_string_equal(st.tasks[0].name, "fast");
    assert_int_equal(st.tasks[0].runs, 7);
    assert_string_equal(st.tasks[1].name, "slow");
    assert_int_equal(st.tasks[1].runs, 3);
    assert_int_equal(st.tasks[1].interval_ns, 30 * MS);
}

static void each_task_gets_its_own_dt_count_and_first_scan(void **state)
{
    struct t *t = *state;
    start(t);
    steps(t, 4);
    /* slow's runs are entries 0 and 5 (ticks 0 and 3); fast's 1, 2, 3, 4 and 6 */
    assert_int_equal(seen.run[0].task, 1);
    assert_true(seen.run[0].first);
    assert_int_equal(seen.run[0].dt, 0);
    assert_int_equal(seen.run[1].task, 0);
    assert_true(seen.run[1].first);
    assert_int_equal(seen.run[2].task, 0);
    assert_false(seen.run[2].first);
    assert_int_equal(seen.run[2].dt, 10 * MS);
    assert_int_equal(seen.run[2].count, 1);
    assert_int_equal(seen.run[4].task, 1);
    assert_false(seen.run[4].first);
    assert_int_equal(seen.run[4].dt, 30 * MS);
    assert_int_equal(seen.run[4].count, 1);
    assert_int_equal(seen.run[4].now, 30 * MS);
}

static void equal_priorities_run_in_declaration_order(void **state)
{
    struct t *t = *state;
    static const struct plc_task three[] = {
        {"a", 20 * MS, 5, fast_scan},
        {"b", 20 * MS, 2, slow_scan},
        {"c", 40 * MS, 5, third_scan},
    };
    t->program.tasks = three;
    t->program.task_count = 3;
    start(t);
    steps(t, 3);
    char buf[64];
    assert_string_equal(ran(buf), "10210102");
    size_t order[3];
    plc_tasks_order(three, 3, order);
    assert_int_equal(order[0], 1);
    assert_int_equal(order[1], 0);
    assert_int_equal(order[2], 2);
}

static void task_statistics_reach_the_diagnostics_tags(void **state)
{
    struct t *t = *state;
    seen.work[0] = 2 * MS;
    start(t);
    seen.work_once[0] = 4 * MS; /* the first run takes 6 ms */
    steps(t, 3);
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.tasks[0].scan_last, 2 * MS);
    assert_int_equal(st.tasks[0].scan_max, 6 * MS);
    assert_int_equal(st.tasks[0].scan_mean, 10 * MS / 3);
    assert_int_equal(st.tasks[0].overruns, 0);
    assert_true(tag(t, "task_fast_runs") == 3);
    assert_true(tag(t, "task_fast_scan_time_last_us") == 2000);
    assert_true(tag(t, "task_fast_scan_time_max_us") == 6000);
    assert_true(tag(t, "task_fast_scan_time_mean_us") == 3333);
    assert_true(tag(t, "task_fast_overruns") == 0);
    assert_true(tag(t, "task_slow_runs") == 1);
    assert_true(tag(t, "task_gone_runs") == 0); /* no such task: stays 0 */
    assert_true(tag(t, "period_us") == 10000);
}

static void a_task_past_its_next_release_overruns(void **state)
{
    struct t *t = *state;
    start(t);
    steps(t, 1);
    seen.work_once[0] = 15 * MS; /* tick 1: fast ends 5 ms after tick 2 began */
    steps(t, 1);
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.tasks[0].overruns, 1);
    assert_int_equal(st.tasks[1].overruns, 0);
    assert_int_equal(st.overruns, 1);
    assert_int_equal(st.skipped, 1);
    assert_true(tag(t, "task_fast_overruns") == 1);
    /* tick 2 was skipped: the next runs at tick 3, slow's, and both run */
    seen.n = 0;
    steps(t, 1);
    char buf[64];
    assert_string_equal(ran(buf), "10");
    assert_int_equal(seen.run[0].now, 30 * MS);
    assert_int_equal(seen.run[1].dt, 20 * MS);
}

static void a_failing_task_faults_the_plc_naming_it(void **state)
{
    struct t *t = *state;
    start(t);
    steps(t, 1);
    seen.fail[1] = 1;
    steps(t, 3); /* slow fails at tick 3 */
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.state, PLC_SCAN_FAULTED);
    assert_int_equal(st.cause, PLC_FAULT_PROGRAM);
    assert_string_equal(st.fault, "program 'tasks': task 'slow': boom");
    /* the tick ended at slow: fast did not run on it */
    assert_int_equal(seen.run[seen.n - 1].task, 1);
}

static void a_period_set_is_the_tick(void **state)
{
    struct t *t = *state;
    t->logic.period_us = 5000;
    t->logic.period_set = true;
    start(t);
    steps(t, 6);
    char buf[64];
    /* ticks of 5 ms: fast every 2, slow every 6 */
    assert_string_equal(ran(buf), "1000");
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.period_us, 5000);
    assert_int_equal(st.scans, 6);
}

static void an_interval_not_a_multiple_of_the_period_is_refused(void **state)
{
    struct t *t = *state;
    t->logic.period_us = 4000;
    t->logic.period_set = true;
    t->scan = plc_scan_new(&t->cfg, &t->f->diag);
    assert_null(t->scan);
    assert_int_equal(errno, EINVAL);
    assert_string_equal(t->f->diag.msg,
                        "task 'fast': interval 10000 us is not a multiple of the period 4000 us: "
                        "set a period that divides every task's interval, or none (the tick is "
                        "then their common divisor)");
}

static void bad_task_tables_are_refused(void **state)
{
    struct t *t = *state;
    static const struct plc_task dup[] = {
        {"fast", 10 * MS, 0, fast_scan},
        {"FAST", 20 * MS, 0, slow_scan},
    };
    static const struct plc_task zero[] = {{"z", 0, 0, fast_scan}};
    t->program.tasks = dup;
    assert_null(plc_scan_new(&t->cfg, &t->f->diag));
    assert_int_equal(errno, EINVAL);
    assert_string_equal(t->f->diag.msg, "program 'tasks': two tasks named 'FAST'");
    t->program.tasks = zero;
    t->program.task_count = 1;
    assert_null(plc_scan_new(&t->cfg, &t->f->diag));
    assert_string_equal(t->f->diag.msg,
                        "program 'tasks': task 'z': interval 0 ns is not a whole number of us "
                        "above 0");
}

static void a_descriptor_from_before_tasks_still_runs_its_scan(void **state)
{
    struct t *t = *state;
    t->program.size = (uint32_t)PLC_PROGRAM_SIZE_NO_TASKS;
    t->program.scan = old_scan;
    /* past the old size: never read */
    t->program.task_count = 2;
    start(t);
    steps(t, 2);
    char buf[64];
    assert_string_equal(ran(buf), "22");
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.task_count, 0);
    assert_int_equal(st.period_us, t->logic.period_us);
}

static void tick_and_due_follow_openplc(void **state)
{
    (void)state;
    static const struct plc_task ts[] = {
        {"a", 20 * MS, 0, fast_scan},
        {"b", 50 * MS, 0, fast_scan},
    };
    assert_int_equal(plc_tasks_tick(ts, 2), 10 * MS);
    assert_int_equal(plc_tasks_tick(ts, 0), 0);
    assert_true(plc_task_due(&ts[1], 10 * MS, 0));
    assert_false(plc_task_due(&ts[1], 10 * MS, 4));
    assert_true(plc_task_due(&ts[1], 10 * MS, 5));
    assert_true(plc_task_due(&ts[0], 10 * MS, 4));
    assert_false(plc_task_due(&ts[0], 10 * MS, 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(tasks_tick_is_the_common_divisor_and_run_three_to_one),
        T(each_task_gets_its_own_dt_count_and_first_scan),
        T(equal_priorities_run_in_declaration_order),
        T(task_statistics_reach_the_diagnostics_tags),
        T(a_task_past_its_next_release_overruns),
        T(a_failing_task_faults_the_plc_naming_it),
        T(a_period_set_is_the_tick),
        T(an_interval_not_a_multiple_of_the_period_is_refused),
        T(bad_task_tables_are_refused),
        T(a_descriptor_from_before_tasks_still_runs_its_scan),
        cmocka_unit_test(tick_and_due_follow_openplc),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
