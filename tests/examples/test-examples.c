/* SPDX-License-Identifier: MIT */
/*
 * The example programs (examples/motor.c, examples/tank.c) as plc-logic runs
 * them: loaded from their .so by the engine on the demo layout in real shared
 * memory, driven scan by scan on a simulated clock, with the inputs, commands
 * and parameters written the way plc-io and plc-modbus write them. Every
 * test runs twice: on the C programs, then on their Structured Text twins
 * (examples/st/, built by plc-st), which must give the same outputs.
 */
#include "fixture.h"
#include "plc-scan.h"

#define MS 1000000ull

struct sim {
    uint64_t t;
};

static uint64_t sim_now(void *user)
{
    return ((struct sim *)user)->t;
}

static int sim_sleep_until(void *user, uint64_t d)
{
    struct sim *c = user;
    if (c->t < d)
        c->t = d;
    return 0;
}

static const struct plc_scan_clock sim_clock = {.now = sim_now, .sleep_until = sim_sleep_until};

struct t {
    struct fixture *f;
    struct sim clock;
    struct plc_scan *scan;
    struct plc_region *inputs, *commands, *params, *outputs, *status;
    unsigned period_ms;
    char program[256];
};

static int setup(void **state)
{
    struct t *t = calloc(1, sizeof(*t));
    t->f = fixture_new(NULL); /* the demo layout */
    fixture_init(t->f);
    t->clock.t = 5000 * MS;
    t->period_ms = plc_layout_get_logic(t->f->layout)->period_us / 1000;
    const struct plc_layout *l = t->f->layout;
    struct plc_diag *d = &t->f->diag;
    t->inputs = plc_region_attach(l, t->f->base, "inputs", PLC_WRITER, "io", d);
    t->commands = plc_region_attach(l, t->f->base, "commands", PLC_WRITER, "modbus", d);
    t->params = plc_region_attach(l, t->f->base, "parameters", PLC_WRITER, "modbus", d);
    t->outputs = plc_region_attach(l, t->f->base, "outputs", PLC_READER, NULL, d);
    t->status = plc_region_attach(l, t->f->base, "status", PLC_READER, NULL, d);
    assert_true(t->inputs && t->commands && t->params && t->outputs && t->status);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct t *t = *state;
    plc_scan_free(t->scan);
    plc_region_detach(t->inputs);
    plc_region_detach(t->commands);
    plc_region_detach(t->params);
    plc_region_detach(t->outputs);
    plc_region_detach(t->status);
    fixture_free(t->f);
    free(t);
    return 0;
}

static void start(struct t *t, const char *program)
{
    struct plc_logic_def g = *plc_layout_get_logic(t->f->layout);
    g.priority = 0;
    g.lock_memory = false;
    struct plc_scan_config cfg = {.layout = t->f->layout, .base_dir = t->f->base,
                                  .program_path = program, .logic = &g,
                                  .clock = &sim_clock, .clock_user = &t->clock};
    t->scan = plc_scan_new(&cfg, &t->f->diag);
    if (!t->scan)
        fail_msg("%s: %s", program, t->f->diag.msg);
}

/* Run scans covering @ms of scan time (at least one). */
static void run_ms(struct t *t, unsigned ms)
{
    unsigned n = ms / t->period_ms ? ms / t->period_ms : 1;
    for (unsigned i = 0; i < n; i++)
        assert_int_equal(plc_scan_step(t->scan), 0);
}

static void set(struct t *t, struct plc_region *r, const char *name, double v)
{
    assert_int_equal(plc_region_write_tag(r, plc_layout_find_tag(t->f->layout, name), v), 0);
}

static double get(struct t *t, struct plc_region *r, const char *name)
{
    double v;
    assert_int_equal(plc_region_read_tag(r, plc_layout_find_tag(t->f->layout, name), &v), 0);
    return v;
}

/* "" runs the C programs (motor.so), "-st" their ST twins (motor-st.so). */
static const char *twin = "";

static const char *example(struct t *t, const char *name)
{
    snprintf(t->program, sizeof(t->program), PLC_BINARY_DIR "/examples/%s%s.so", name, twin);
    return t->program;
}
#define MOTOR example(t, "motor")
#define TANK example(t, "tank")

static void motor_buttons_latch_run_and_stop_dominates(void **state)
{
    struct t *t = *state;
    start(t, MOTOR);
    set(t, t->inputs, "motor_feedback", 1);
    run_ms(t, 10);
    assert_true(get(t, t->outputs, "motor_run") == 0);
    set(t, t->inputs, "start_button", 1);
    run_ms(t, 10);
    assert_true(get(t, t->outputs, "motor_run") == 1);
    set(t, t->inputs, "start_button", 0);
    run_ms(t, 50);
    assert_true(get(t, t->outputs, "motor_run") == 1); /* latched */
    set(t, t->inputs, "start_button", 1);
    set(t, t->inputs, "stop_button", 1);
    run_ms(t, 10);
    assert_true(get(t, t->outputs, "motor_run") == 0); /* stop wins over start */
    set(t, t->inputs, "start_button", 0);
    set(t, t->inputs, "stop_button", 0);
    run_ms(t, 10);
    assert_true(get(t, t->outputs, "motor_run") == 0);
}

static void motor_commands_act_once_and_are_acknowledged(void **state)
{
    struct t *t = *state;
    start(t, MOTOR);
    set(t, t->inputs, "motor_feedback", 1);
    set(t, t->commands, "cmd_start", 1);
    run_ms(t, 10);
    assert_true(get(t, t->outputs, "motor_run") == 1);
    assert_true(get(t, t->status, "ack_start") == 1);
    set(t, t->commands, "cmd_stop", 2); /* two stop requests within one scan */
    run_ms(t, 10);
    assert_true(get(t, t->outputs, "motor_run") == 0);
    assert_true(get(t, t->status, "ack_stop") == 2);
    run_ms(t, 50); /* the start request is not acted on again */
    assert_true(get(t, t->outputs, "motor_run") == 0);
}

static void motor_without_feedback_trips_after_fault_delay(void **state)
{
    struct t *t = *state;
    start(t, MOTOR);
    set(t, t->params, "fault_delay_ms", 200);
    set(t, t->inputs, "start_button", 1);
    run_ms(t, 10);
    set(t, t->inputs, "start_button", 0);
    run_ms(t, 150);
    assert_true(get(t, t->outputs, "motor_run") == 1);
    assert_true(get(t, t->outputs, "motor_fault") == 0);
    run_ms(t, 100); /* past 200 ms without feedback */
    assert_true(get(t, t->outputs, "motor_fault") == 1);
    assert_true(get(t, t->outputs, "motor_run") == 0);
    run_ms(t, 500);
    assert_true(get(t, t->outputs, "motor_fault") == 1); /* latched */
    set(t, t->inputs, "motor_feedback", 1);
    set(t, t->commands, "cmd_start", 1); /* a start request clears it and starts */
    run_ms(t, 10);
    assert_true(get(t, t->outputs, "motor_fault") == 0);
    assert_true(get(t, t->outputs, "motor_run") == 1);
}

static void motor_counts_run_seconds(void **state)
{
    struct t *t = *state;
    start(t, MOTOR);
    set(t, t->inputs, "motor_feedback", 1);
    set(t, t->inputs, "start_button", 1);
    run_ms(t, 10);
    set(t, t->inputs, "start_button", 0);
    double s0 = get(t, t->status, "run_seconds");
    run_ms(t, 3000);
    double s = get(t, t->status, "run_seconds") - s0;
    assert_true(s >= 2 && s <= 3);
    set(t, t->inputs, "stop_button", 1);
    run_ms(t, 10);
    double stopped = get(t, t->status, "run_seconds");
    run_ms(t, 3000);
    assert_true(get(t, t->status, "run_seconds") == stopped); /* only while running */
}

static void tank_pump_follows_hysteresis_and_alarm(void **state)
{
    struct t *t = *state;
    start(t, TANK); /* demo parameters: low 20, high 80, alarm 95 */
    static const struct {
        double level;
        bool pump, alarm;
    } steps[] = {
        {50, false, false}, /* between the setpoints, from rest: off */
        {10, true, false},  /* below low: on */
        {50, true, false},  /* hysteresis: stays on */
        {85, false, false}, /* above high: off */
        {50, false, false}, /* stays off */
        {19, true, false},
        {96, false, true},  /* alarm: pump held off */
        {85, false, true},  /* alarm holds above high */
        {70, false, false}, /* and clears below it */
        {10, true, false},
    };
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        set(t, t->inputs, "tank_level", steps[i].level);
        run_ms(t, 10);
        if (get(t, t->outputs, "pump_run") != steps[i].pump ||
            get(t, t->outputs, "high_level_alarm") != steps[i].alarm)
            fail_msg("step %zu level %g: pump %g alarm %g, want %d %d", i, steps[i].level,
                     get(t, t->outputs, "pump_run"), get(t, t->outputs, "high_level_alarm"),
                     steps[i].pump, steps[i].alarm);
    }
}

static void tank_setpoints_that_make_no_sense_keep_pump_off(void **state)
{
    struct t *t = *state;
    start(t, TANK);
    set(t, t->params, "level_low", 60);
    set(t, t->params, "level_high", 40);
    set(t, t->inputs, "tank_level", 10);
    run_ms(t, 50);
    assert_true(get(t, t->outputs, "pump_run") == 0);
    set(t, t->params, "level_high", 80);
    run_ms(t, 10);
    assert_true(get(t, t->outputs, "pump_run") == 1);
}

int main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(motor_buttons_latch_run_and_stop_dominates),
        T(motor_commands_act_once_and_are_acknowledged),
        T(motor_without_feedback_trips_after_fault_delay),
        T(motor_counts_run_seconds),
        T(tank_pump_follows_hysteresis_and_alarm),
        T(tank_setpoints_that_make_no_sense_keep_pump_off),
    };
    int failed = cmocka_run_group_tests_name("examples in C", tests, NULL, NULL);
    twin = "-st";
    failed += cmocka_run_group_tests_name("examples in Structured Text", tests, NULL, NULL);
    return failed;
}
