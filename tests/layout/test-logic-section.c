/* SPDX-License-Identifier: MIT */
/* The [logic] section of a layout: defaults, every key, and file:line errors. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plc-layout.h"

#define BASE                                                                                \
    "[layout]\nname = t\nversion = 1\n"                                                     \
    "[region inputs]\nwriter = io\n"                                                        \
    "[region outputs]\nwriter = logic\n"                                                    \
    "[region commands]\nwriter = modbus\n"                                                  \
    "[region diagnostics]\nwriter = logic\n"                                                \
    "[tag x]\nregion = inputs\ntype = bool\n"                                               \
    "[tag y]\nregion = outputs\ntype = bool\n"                                              \
    "[tag reset]\nregion = commands\ntype = uint16\n"                                       \
    "[tag flag]\nregion = commands\ntype = bool\n"                                          \
    "[tag scan_count]\nregion = diagnostics\ntype = uint32\n"
/* BASE takes 26 lines: a [logic] section after it starts on line 27. */

static struct plc_layout *load(const char *logic, struct plc_diag *d)
{
    char text[4096];
    snprintf(text, sizeof(text), "%s%s", BASE, logic);
    return plc_layout_load_string(text, "t.ini", d);
}

static void expect_error(const char *logic, const char *want)
{
    struct plc_diag d;
    char buf[1200];
    struct plc_layout *l = load(logic, &d);
    assert_null(l);
    assert_int_equal(errno, EINVAL);
    plc_diag_format(&d, buf, sizeof(buf));
    if (strcmp(buf, want) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", buf, want);
}

static void absent_section_gives_defaults(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = load("", &d);
    assert_non_null(l);
    const struct plc_logic_def *g = plc_layout_get_logic(l);
    assert_int_equal(g->period_us, 10000);
    assert_int_equal(g->watchdog_us, 100000);
    assert_false(g->period_set); /* a program's task interval may stand in */
    assert_false(g->watchdog_set);
    assert_int_equal(g->restart, PLC_RESTART_COMMAND);
    assert_int_equal(g->restart_delay_us, 1000000);
    assert_null(g->reset_command);
    assert_int_equal(g->priority, 0);
    assert_false(g->lock_memory);
    assert_int_equal(g->cpu, -1);
    assert_int_equal(g->cpu_dma_latency_us, -1); /* no priority: no latency request */
    assert_non_null(g->diagnostics); /* a logic region called 'diagnostics' is taken */
    assert_string_equal(g->diagnostics->name, "diagnostics");
    assert_int_equal(g->line, 0);
    plc_layout_free(l);
}

static void every_key_is_read(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = load("[logic]\nperiod = 1ms\nwatchdog = 500us\nfault_restart = auto\n"
                                "restart_delay = 2s\nreset_command = reset\npriority = 80\n"
                                "lock_memory = yes\ncpu = 1\ncpu_dma_latency = 20us\n"
                                "diagnostics = none\n",
                                &d);
    if (!l)
        fail_msg("%s:%u: %s", d.file, d.line, d.msg);
    const struct plc_logic_def *g = plc_layout_get_logic(l);
    assert_int_equal(g->period_us, 1000);
    assert_int_equal(g->watchdog_us, 500);
    assert_true(g->period_set);
    assert_true(g->watchdog_set);
    assert_int_equal(g->restart, PLC_RESTART_AUTO);
    assert_int_equal(g->restart_delay_us, 2000000);
    assert_string_equal(g->reset_command->name, "reset");
    assert_int_equal(g->priority, 80);
    assert_true(g->lock_memory);
    assert_int_equal(g->cpu, 1);
    assert_int_equal(g->cpu_dma_latency_us, 20);
    assert_null(g->diagnostics);
    assert_int_equal(g->line, 27);
    plc_layout_free(l);
}

static void watchdog_defaults_to_ten_periods(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = load("[logic]\nperiod = 2ms\n", &d);
    assert_non_null(l);
    assert_int_equal(plc_layout_get_logic(l)->watchdog_us, 20000);
    assert_true(plc_layout_get_logic(l)->period_set);
    assert_false(plc_layout_get_logic(l)->watchdog_set);
    plc_layout_free(l);
    /* A section without period: not set, the default in force. */
    l = load("[logic]\npriority = 0\n", &d);
    assert_non_null(l);
    assert_false(plc_layout_get_logic(l)->period_set);
    assert_int_equal(plc_layout_get_logic(l)->period_us, 10000);
    plc_layout_free(l);
    assert_int_equal(plc_logic_default_watchdog_us(20000), 200000);
    assert_int_equal(plc_logic_default_watchdog_us(10000000), 60000000); /* capped */
}

/* A real-time scan asks for the promptest wake-up unless told otherwise. */
static void priority_brings_a_latency_request(void **state)
{
    struct plc_diag d;
    struct plc_layout *a = load("[logic]\npriority = 50\n", &d);
    struct plc_layout *b = load("[logic]\npriority = 50\ncpu_dma_latency = none\n", &d);
    struct plc_layout *c = load("[logic]\ncpu_dma_latency = 0us\n", &d);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_int_equal(plc_layout_get_logic(a)->cpu_dma_latency_us, 0);
    assert_int_equal(plc_layout_get_logic(b)->cpu_dma_latency_us, -1);
    assert_int_equal(plc_layout_get_logic(c)->cpu_dma_latency_us, 0);
    plc_layout_free(a);
    plc_layout_free(b);
    plc_layout_free(c);
}

static void logic_section_is_not_in_the_hash(void **state)
{
    struct plc_diag d;
    struct plc_layout *a = load("", &d), *b = load("[logic]\nperiod = 1ms\npriority = 10\n", &d);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(plc_layout_get_hash(a) == plc_layout_get_hash(b));
    plc_layout_free(a);
    plc_layout_free(b);
}

static void bad_values_are_refused_with_their_line(void **state)
{
    expect_error("[logic]\nperiod = fast\n",
                 "t.ini:28: [logic]: period 'fast' is not a duration (10ms, 500us, 1s)");
    expect_error("[logic]\nperiod = 50us\n", "t.ini:28: [logic]: period 50us is outside 100us..10s");
    expect_error("[logic]\nwatchdog = 61s\n",
                 "t.ini:28: [logic]: watchdog 61s is outside 100us..60s");
    expect_error("[logic]\nfault_restart = never\n",
                 "t.ini:28: [logic]: fault_restart 'never' is not auto or command");
    expect_error("[logic]\nrestart_delay = 1s\n",
                 "t.ini:28: [logic]: restart_delay applies to fault_restart = auto only");
    expect_error("[logic]\npriority = 100\n",
                 "t.ini:28: [logic]: priority '100' is not 0 (SCHED_OTHER) or 1..99 (SCHED_FIFO)");
    expect_error("[logic]\nlock_memory = maybe\n",
                 "t.ini:28: [logic]: lock_memory 'maybe' is not yes or no");
    expect_error("[logic]\ncpu = first\n", "t.ini:28: [logic]: cpu 'first' is not a CPU number or none");
    expect_error("[logic]\ncpu_dma_latency = soon\n",
                 "t.ini:28: [logic]: cpu_dma_latency 'soon' is not a duration (10ms, 500us, 1s)");
    expect_error("[logic]\ncpu_dma_latency = 2s\n",
                 "t.ini:28: [logic]: cpu_dma_latency 2s is outside 0..1s");
    expect_error("[logic]\ncolour = red\n", "t.ini:28: [logic]: unknown key 'colour'");
}

/* force_timeout and force_max: defaults, forever only for force_max, line numbers. */
static void force_keys_default_and_refuse_with_their_line(void **state)
{
    (void)state;
    struct plc_diag d;
    struct plc_layout *a = load("", &d);
    struct plc_layout *b = load("[logic]\nforce_max = forever\nforce_timeout = 30min\n", &d);
    struct plc_layout *c = load("[logic]\nforce_max = 20min\n", &d);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_int_equal(plc_layout_get_logic(a)->force_timeout_s, 3600);
    assert_int_equal(plc_layout_get_logic(a)->force_max_s, 8 * 3600);
    assert_int_equal(plc_layout_get_logic(b)->force_timeout_s, 1800);
    assert_int_equal(plc_layout_get_logic(b)->force_max_s, 0);
    assert_int_equal(plc_layout_get_logic(c)->force_timeout_s, 1200); /* the default, cut */
    plc_layout_free(a);
    plc_layout_free(b);
    plc_layout_free(c);
    expect_error("[logic]\nforce_timeout = forever\n",
                 "t.ini:28: [logic]: force_timeout 'forever' is not a duration (90s, 30min, 8h)");
    expect_error("[logic]\nforce_max = 2h\nforce_timeout = 3h\n",
                 "t.ini:29: [logic]: force_timeout 3h is longer than force_max (2h)");
    expect_error("[logic]\nforce_max = 0s\n",
                 "t.ini:28: [logic]: force_max 0s is outside 1s..168h (or forever)");
    expect_error("[logic]\nforce_max = 1d\n",
                 "t.ini:28: [logic]: force_max '1d' is not a duration (90s, 30min, 8h) (or forever)");
}

static void named_tags_and_regions_are_checked(void **state)
{
    expect_error("[logic]\nreset_command = nope\n",
                 "t.ini:28: [logic]: reset_command tag 'nope' is not declared");
    expect_error("[logic]\nreset_command = flag\n",
                 "t.ini:28: [logic]: reset_command tag 'flag' is bool; it must be a uint16 or "
                 "uint32 request counter");
    expect_error("[logic]\nreset_command = y\n",
                 "t.ini:28: [logic]: reset_command tag 'y' is bool; it must be a uint16 or "
                 "uint32 request counter");
    expect_error("[logic]\ndiagnostics = nope\n",
                 "t.ini:28: [logic]: diagnostics region 'nope' is not declared");
    expect_error("[logic]\ndiagnostics = inputs\n",
                 "t.ini:28: [logic]: diagnostics region 'inputs' is written by io, not logic");
}

static void reset_command_in_a_logic_region_is_refused(void **state)
{
    struct plc_diag d;
    char buf[1200];
    struct plc_layout *l = plc_layout_load_string(
        "[layout]\nname = t\nversion = 1\n[region outputs]\nwriter = logic\n"
        "[tag r]\nregion = outputs\ntype = uint16\n[logic]\nreset_command = r\n",
        "t.ini", &d);
    assert_null(l);
    plc_diag_format(&d, buf, sizeof(buf));
    assert_string_equal(buf, "t.ini:10: [logic]: reset_command tag 'r' is in region 'outputs', "
                             "which the logic writes itself");
}

static void demo_layout_has_logic_and_diagnostics(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(PLC_TEST_LAYOUT, &d);
    assert_non_null(l);
    const struct plc_logic_def *g = plc_layout_get_logic(l);
    assert_int_equal(g->period_us, 10000);
    assert_non_null(g->diagnostics);
    assert_non_null(g->reset_command);
    assert_true(g->line > 0);
    plc_layout_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(absent_section_gives_defaults),
        cmocka_unit_test(every_key_is_read),
        cmocka_unit_test(watchdog_defaults_to_ten_periods),
        cmocka_unit_test(priority_brings_a_latency_request),
        cmocka_unit_test(logic_section_is_not_in_the_hash),
        cmocka_unit_test(bad_values_are_refused_with_their_line),
        cmocka_unit_test(force_keys_default_and_refuse_with_their_line),
        cmocka_unit_test(named_tags_and_regions_are_checked),
        cmocka_unit_test(reset_command_in_a_logic_region_is_refused),
        cmocka_unit_test(demo_layout_has_logic_and_diagnostics),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
