/* SPDX-License-Identifier: MIT */
/*
 * plc-st sim's runner (services/st/sim.c, st-value.c) on the hand-written
 * program object sim-fixture.c: the exact JSON lines, every kind's text both
 * ways, sets by name, address and case, scripts, expectations, faults and the
 * usage errors of the contract, each with its exit status.
 */
#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim.h"
#include "st-value.h"

/* What a run printed and returned. */
struct run {
    int rc;
    char *out, *err;
};

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
}

/* `plc-st sim OBJECT ARGS...` (NULL-terminated), in this process. */
static struct run sim_on(const char *object, ...)
{
    const char *argv[64] = {"sim", object};
    int argc = 2;
    va_list ap;
    va_start(ap, object);
    for (const char *a; (a = va_arg(ap, const char *)) != NULL;) {
        assert_true(argc < 63);
        argv[argc++] = a;
    }
    va_end(ap);
    struct run r = {0};
    size_t on, en;
    FILE *out = open_memstream(&r.out, &on), *err = open_memstream(&r.err, &en);
    assert_non_null(out);
    assert_non_null(err);
    struct plc_st_sim_args a;
    r.rc = plc_st_sim_args_parse(&a, argc, (char *const *)argv, err);
    if (r.rc == 0) {
        assert_int_equal(a.file_count, 1);
        r.rc = plc_st_sim_run(a.files[0], &a.options, out, err);
        plc_st_sim_args_free(&a);
    }
    fclose(out);
    fclose(err);
    return r;
}

#define SIM(...) sim_on(SIM_FIXTURE, __VA_ARGS__, NULL)
#define SIM2(...) sim_on(SIM_FIXTURE2, __VA_ARGS__, NULL)
#define SIM_TASKS(...) sim_on(SIM_FIXTURE_TASKS, __VA_ARGS__, NULL)

/* A script file in the test's directory; removed by unlink_script(). */
static const char *script(const char *text)
{
    static char path[64];
    static int n;
    snprintf(path, sizeof(path), "test-sim-%d-%d.jsonl", (int)getpid(), n++);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* The vars of line @n (0-based) of @out, between "vars": and the final }. */
static char *nth_line(const char *out, int n)
{
    static char buf[4096];
    for (; n > 0 && out; n--) {
        out = strchr(out, '\n');
        out = out ? out + 1 : NULL;
    }
    assert_non_null(out);
    size_t len = strcspn(out, "\n");
    assert_true(len < sizeof(buf));
    memcpy(buf, out, len);
    buf[len] = '\0';
    return buf;
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* ---- output lines -------------------------------------------------------- */

static void test_first_scans_exact(void **unused)
{
    struct run r = SIM("--scans", "3");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.err, "");
    const char *common1 =
        "\"b\":false,\"si\":0,\"i\":0,\"di\":0,\"li\":-9223372036854775808,\"usi\":0,\"ui\":0,"
        "\"udi\":0,\"uli\":18446744073709551615,\"by\":0,\"w\":0,\"dw\":0,\"lw\":0,\"r\":0.1,"
        "\"lr\":0.1,\"t\":\"T#1d2h3m4s5ms6us7ns\",\"s\":\"hi\",\"color\":\"GREEN\",\"a[1]\":0,"
        "\"a[2]\":0,";
    const char *common2 = "\"tmr.IN\":false,\"tmr.PT\":\"T#100ms\",\"tmr.Q\":false,"
                          "\"tmr.ET\":\"T#0s\",\"start\":false,\"lamp\":false,";
    char want[4096];
    for (int i = 0; i < 3; i++) {
        snprintf(want, sizeof(want),
                 "{\"scan\":%d,\"now_ns\":%d,\"vars\":{%s\"pt.x\":%d,\"pt.y\":%s,%s\"count\":%d,"
                 "\"divisor\":1,\"quotient\":1000,\"k\":7,\"g_limit\":100}}",
                 i, i * 20000000, common1, i * 20, i == 0 ? "true" : "false", common2, i + 1);
        assert_string_equal(nth_line(r.out, i), want);
    }
    assert_int_equal(count_lines(r.out), 3);
    run_free(&r);
}

static void test_no_scans_given_runs_one(void **unused)
{
    struct run r = SIM("--watch", "count");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "{\"scan\":0,\"now_ns\":0,\"vars\":{\"count\":1}}\n");
    run_free(&r);
    r = SIM("--scans", "0");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "");
    run_free(&r);
}

static void test_integer_extremes(void **unused)
{
    struct run r = SIM("--set", "si=-128", "--set", "i=-32768", "--set", "di=-2147483648", "--set",
                       "li=9223372036854775807", "--set", "usi=255", "--set", "ui=65535", "--set",
                       "udi=4294967295", "--set", "uli=0", "--set", "by=16#FF", "--set", "w=2#1010",
                       "--set", "dw=16#FFFF_FFFF", "--set", "lw=18446744073709551615", "--watch",
                       "si,i,di,li,usi,ui,udi,uli,by,w,dw,lw");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "{\"scan\":0,\"now_ns\":0,\"vars\":{\"si\":-128,\"i\":-32768,"
                               "\"di\":-2147483648,\"li\":9223372036854775807,\"usi\":255,"
                               "\"ui\":65535,\"udi\":4294967295,\"uli\":0,\"by\":255,\"w\":10,"
                               "\"dw\":4294967295,\"lw\":18446744073709551615}}\n");
    run_free(&r);
    r = SIM("--set", "si=-16#80", "--set", "li=-9223372036854775808", "--set", "di=1_000_000",
            "--watch", "si,li,di");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "{\"scan\":0,\"now_ns\":0,\"vars\":{\"si\":-128,"
                               "\"li\":-9223372036854775808,\"di\":1000000}}\n");
    run_free(&r);
}

/* The value @text set into @name prints as @json. */
static void check_printed(const char *name, const char *text, const char *json)
{
    char set[256], want[512];
    snprintf(set, sizeof(set), "%s=%s", name, text);
    struct run r = SIM("--set", set, "--watch", name);
    assert_int_equal(r.rc, 0);
    snprintf(want, sizeof(want), "{\"scan\":0,\"now_ns\":0,\"vars\":{\"%s\":%s}}\n", name, json);
    assert_string_equal(r.out, want);
    run_free(&r);
}

/* Each kind's text as set, and as printed (STRING[10] cuts what is longer). */
static void test_printed_forms(void **unused)
{
    static const struct {
        const char *name, *text, *json;
    } cases[] = {
        {"r", "0.1", "0.1"},
        {"r", "1e-45", "1e-45"},
        {"r", "3.4028235e38", "3.4028235e+38"},
        {"r", "-2.5", "-2.5"},
        {"r", "100", "100"},
        {"r", "NaN", "\"NaN\""},
        {"r", "inf", "\"Inf\""},
        {"r", "-Inf", "\"-Inf\""},
        {"r", "1_000.5", "1000.5"},
        {"lr", "0.1", "0.1"},
        {"lr", "0.30000000000000004", "0.30000000000000004"},
        {"lr", "5e-324", "5e-324"},
        {"lr", "1.7976931348623157e308", "1.7976931348623157e+308"},
        {"lr", "-0", "-0"},
        {"lr", "1e21", "1e+21"},
        {"lr", "123456789012345680000", "123456789012345680000"},
        {"lr", "1e-7", "1e-7"},
        {"lr", "0.000001", "0.000001"},
        {"lr", "-1.5e-300", "-1.5e-300"},
        {"r", "16777216", "16777216"},
        {"r", "16777217", "16777216"},
        {"t", "0", "\"T#0s\""},
        {"t", "T#-2s", "\"T#-2s\""},
        {"t", "-T#2s", "\"T#-2s\""},
        {"t", "t#1.5s", "\"T#1s500ms\""},
        {"t", "T#1d2h3m4s5ms6us7ns", "\"T#1d2h3m4s5ms6us7ns\""},
        {"t", "90061000000007", "\"T#1d1h1m1s7ns\""},
        {"color", "blue", "\"BLUE\""},
        {"color", "Color#Red", "\"RED\""},
        {"s", "it's", "\"it's\""},
        {"s", "0123456789abc", "\"0123456789\""},
        {"s", "", "\"\""},
        {"b", "TRUE", "true"},
        {"b", "1", "true"},
        {"b", "False", "false"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_printed(cases[i].name, cases[i].text, cases[i].json);
}

/* The shortest text, and that it reads back, on many floats and doubles. */
static void test_real_shortest(void **unused)
{
    char buf[PLC_ST_VALUE_TEXT];
    plc_st_real_format(1.0 / 3.0, false, buf, sizeof(buf));
    assert_string_equal(buf, "0.3333333333333333");
    plc_st_real_format((float)(1.0 / 3.0), true, buf, sizeof(buf));
    assert_string_equal(buf, "0.33333334");
    plc_st_real_format(FLT_MIN, true, buf, sizeof(buf));
    assert_string_equal(buf, "1.1754944e-38");
    /* many values: the text reads back to the same float and double */
    uint64_t x = 0x2545F4914F6CDD1Du;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        float f;
        uint32_t lo = (uint32_t)x;
        memcpy(&d, &x, sizeof(d));
        memcpy(&f, &lo, sizeof(f));
        if (isfinite(d)) {
            plc_st_real_format(d, false, buf, sizeof(buf));
            if (strtod(buf, NULL) != d)
                fail_msg("%.17g -> %s", d, buf);
        }
        if (isfinite(f)) {
            plc_st_real_format(f, true, buf, sizeof(buf));
            if (strtof(buf, NULL) != f)
                fail_msg("%.9g -> %s", (double)f, buf);
        }
    }
}

/* ---- names ---------------------------------------------------------------- */

static void test_set_by_name_address_case(void **unused)
{
    /* start is %IX0.0, lamp %QX0.1; lamp follows start */
    struct run r = SIM("--set", "%i0.0=true", "--watch", "START,%QX0.1,%q0.1,Lamp");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "{\"scan\":0,\"now_ns\":0,\"vars\":{\"START\":true,"
                               "\"%QX0.1\":true,\"%q0.1\":true,\"Lamp\":true}}\n");
    run_free(&r);
    r = SIM("--set", "A[1]=21", "--set", "PT.Y=1", "--set", "TMR.pt=T#1s", "--watch",
            "a[2],tmr.PT,main.count,G_LIMIT");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "{\"scan\":0,\"now_ns\":0,\"vars\":{\"a[2]\":42,"
                               "\"tmr.PT\":\"T#1s\",\"main.count\":1,\"G_LIMIT\":100}}\n");
    run_free(&r);
    /* a hidden variable is not printed by default but answers to its name */
    r = SIM("--scans", "2");
    assert_null(strstr(r.out, "hidden"));
    run_free(&r);
    r = SIM("--scans", "2", "--watch", "hidden");
    assert_string_equal(nth_line(r.out, 1), "{\"scan\":1,\"now_ns\":20000000,\"vars\":"
                                            "{\"hidden\":20}}");
    run_free(&r);
}

static void test_program_selection(void **unused)
{
    struct run r = SIM2("--scans", "1");
    assert_int_equal(r.rc, 2);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "plc-st sim: several program instances (main, aux): choose "
                               "one with --program\n");
    run_free(&r);
    r = SIM2("--program", "AUX", "--scans", "2");
    assert_int_equal(r.rc, 0);
    /* its TASK's interval, 50 ms, is the cycle */
    assert_string_equal(r.out, "{\"scan\":0,\"now_ns\":0,\"vars\":{\"g_limit\":100,\"x\":1}}\n"
                               "{\"scan\":1,\"now_ns\":50000000,\"vars\":{\"g_limit\":100,"
                               "\"x\":2}}\n");
    run_free(&r);
    r = SIM2("--program", "aux", "--cycle", "10ms", "--scans", "2", "--watch", "main.count,x");
    assert_string_equal(nth_line(r.out, 1), "{\"scan\":1,\"now_ns\":10000000,\"vars\":"
                                            "{\"main.count\":2,\"x\":2}}");
    run_free(&r);
    r = SIM2("--program", "nope");
    assert_int_equal(r.rc, 2);
    assert_string_equal(r.err, "plc-st sim: --program: no program instance 'nope' (there are: "
                               "main, aux)\n");
    run_free(&r);
}

/* A program of tasks: one scan per tick (their divisor, 20 ms), the tasks due
 * on it in priority order listed, each with its own dt; every instance prints
 * as instance.path, plain names are the globals'. */
static void test_tasks_run_on_the_engine_schedule(void **unused)
{
    struct run r = SIM_TASKS("--scans", "4", "--watch", "main.count,aux.x,g_limit");
    assert_int_equal(r.rc, 0);
    assert_string_equal(
        r.out, "{\"scan\":0,\"now_ns\":0,\"tasks\":[\"aux\",\"main\"],\"vars\":"
               "{\"main.count\":1,\"aux.x\":1,\"g_limit\":100}}\n"
               "{\"scan\":1,\"now_ns\":20000000,\"tasks\":[\"main\"],\"vars\":"
               "{\"main.count\":2,\"aux.x\":1,\"g_limit\":100}}\n"
               "{\"scan\":2,\"now_ns\":40000000,\"tasks\":[\"main\"],\"vars\":"
               "{\"main.count\":3,\"aux.x\":1,\"g_limit\":100}}\n"
               "{\"scan\":3,\"now_ns\":60000000,\"tasks\":[\"aux\",\"main\"],\"vars\":"
               "{\"main.count\":4,\"aux.x\":602,\"g_limit\":100}}\n");
    run_free(&r);
    /* without --watch, every instance's variables, named instance.path */
    r = SIM_TASKS("--scans", "1");
    assert_int_equal(r.rc, 0);
    assert_non_null(strstr(r.out, "\"main.count\":1,"));
    assert_non_null(strstr(r.out, "\"aux.x\":1}"));
    assert_non_null(strstr(r.out, "\"g_limit\":100,"));
    run_free(&r);
    /* a --cycle that does not divide an interval is refused */
    r = SIM_TASKS("--cycle", "40ms");
    assert_int_equal(r.rc, 2);
    assert_string_equal(r.err, "plc-st sim: --cycle: task 'main': interval 20000 us is not a "
                               "multiple of the period 40000 us: set a period that divides "
                               "every task's interval, or none (the tick is then their common "
                               "divisor)\n");
    run_free(&r);
}

/* ---- scripts ---------------------------------------------------------------- */

static void test_script_dt_and_expect_pass(void **unused)
{
    const char *path =
        script("{\"set\": {\"tmr.IN\": true}, \"expect\": {\"tmr.Q\": false}}\n"
               "\n"
               "{\"dt\": \"60ms\", \"expect\": {\"tmr.ET\": \"T#60ms\"}}\n"
               "{\"dt\": \"T#40ms\", \"expect\": {\"tmr.Q\": true, \"lamp\": 1}}\n"
               "{\"dt\": 0, \"expect\": {\"pt.x\": 100, \"count\": 4}}\n"
               "  \n"
               "{\"dt\": 2500000, \"set\": {\"r\": 0.1, \"s\": \"x\"}, "
               "\"expect\": {\"r\": \"0.1\", \"s\": \"x\", \"t\": \"1d2h3m4s5006007ns\"}}\n"
               "{\"dt\": \"0s\", \"set\": {\"r\": \"NaN\"}, \"expect\": {\"r\": "
               "\"nan\", \"tmr.ET\": 100000000}}");
    struct run r = SIM("--script", path, "--watch", "pt.x,tmr.Q");
    unlink(path);
    assert_string_equal(r.err, "");
    assert_int_equal(r.rc, 0);
    assert_string_equal(
        r.out, "{\"scan\":0,\"now_ns\":0,\"vars\":{\"pt.x\":0,\"tmr.Q\":false}}\n"
               "{\"scan\":1,\"now_ns\":60000000,\"vars\":{\"pt.x\":60,\"tmr.Q\":false}}\n"
               "{\"scan\":2,\"now_ns\":100000000,\"vars\":{\"pt.x\":100,\"tmr.Q\":true}}\n"
               "{\"scan\":3,\"now_ns\":100000000,\"vars\":{\"pt.x\":100,\"tmr.Q\":true}}\n"
               "{\"scan\":4,\"now_ns\":102500000,\"vars\":{\"pt.x\":102,\"tmr.Q\":true}}\n"
               "{\"scan\":5,\"now_ns\":102500000,\"vars\":{\"pt.x\":102,\"tmr.Q\":true}}\n");
    run_free(&r);
}

static void test_script_more_scans(void **unused)
{
    const char *path = script("{}\n{\"dt\": \"1s\"}\n");
    struct run r = SIM("--script", path, "--scans", "4", "--cycle", "T#5ms", "--watch", "pt.x");
    assert_int_equal(r.rc, 0);
    assert_string_equal(r.out, "{\"scan\":0,\"now_ns\":0,\"vars\":{\"pt.x\":0}}\n"
                               "{\"scan\":1,\"now_ns\":1000000000,\"vars\":{\"pt.x\":1000}}\n"
                               "{\"scan\":2,\"now_ns\":1005000000,\"vars\":{\"pt.x\":1005}}\n"
                               "{\"scan\":3,\"now_ns\":1010000000,\"vars\":{\"pt.x\":1010}}\n");
    run_free(&r);
    r = SIM("--script", path, "--scans", "1");
    unlink(path);
    assert_int_equal(r.rc, 2);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err, "plc-st sim: --scans 1: fewer than the script's 2 scans\n");
    run_free(&r);
}

static void test_expect_fails_and_runs_on(void **unused)
{
    const char *path =
        script("{\"expect\": {\"count\": 5, \"s\": \"hi\"}}\n"
               "{}\n"
               "{\"expect\": {\"T\": \"T#-2s\", \"color\": \"red\", \"lr\": 0.2}}\n");
    struct run r = SIM("--script", path, "--scans", "4", "--watch", "count");
    unlink(path);
    assert_int_equal(r.rc, 1);
    assert_int_equal(count_lines(r.out), 4);
    assert_string_equal(r.err, "plc-st sim: scan 0 (script line 1): count: expected 5, got 1\n"
                               "plc-st sim: scan 2 (script line 3): T: expected \"T#-2s\", got "
                               "\"T#1d2h3m4s5ms6us7ns\"\n"
                               "plc-st sim: scan 2 (script line 3): color: expected \"RED\", got "
                               "\"GREEN\"\n"
                               "plc-st sim: scan 2 (script line 3): lr: expected 0.2, got 0.1\n");
    run_free(&r);
}

static void test_fault_stops_after_printing(void **unused)
{
    const char *path = script("{}\n{\"set\": {\"divisor\": -1}, \"expect\": {\"quotient\": "
                              "-1000}}\n{\"set\": {\"divisor\": 0}}\n{}\n");
    struct run r = SIM("--script", path, "--watch", "quotient");
    unlink(path);
    assert_int_equal(r.rc, 3);
    assert_string_equal(r.out, "{\"scan\":0,\"now_ns\":0,\"vars\":{\"quotient\":1000}}\n"
                               "{\"scan\":1,\"now_ns\":20000000,\"vars\":{\"quotient\":-1000}}\n");
    assert_string_equal(r.err,
                        "plc-st sim: scan 2: program faulted: fixture.st:12: division by zero\n");
    run_free(&r);
    r = SIM("--set", "divisor=0");
    assert_int_equal(r.rc, 3);
    assert_string_equal(r.out, "");
    assert_string_equal(r.err,
                        "plc-st sim: scan 0: program faulted: fixture.st:12: division by zero\n");
    run_free(&r);
}

/* ---- usage errors ------------------------------------------------------------ */

/* Exit 2, nothing printed, and @err on stderr. */
static void check_usage(struct run r, const char *err)
{
    assert_string_equal(r.err, err);
    assert_int_equal(r.rc, 2);
    assert_string_equal(r.out, "");
    run_free(&r);
}

static void test_usage_names_and_values(void **unused)
{
    check_usage(SIM("--set", "cout=1"),
                "plc-st sim: --set: unknown variable 'cout' (close: count)\n");
    check_usage(SIM("--watch", "count,tmr.q,tmrQ"),
                "plc-st sim: --watch: unknown variable 'tmrQ' (close: tmr.Q)\n");
    check_usage(SIM("--watch", "zzzzzzzz"), "plc-st sim: --watch: unknown variable 'zzzzzzzz'\n");
    check_usage(SIM("--set", "%QX9.1=1"),
                "plc-st sim: --set: unknown variable '%QX9.1' (close: %QX0.1)\n");
    check_usage(SIM("--set", "i=40000"),
                "plc-st sim: --set: i: bad value '40000': INT takes integers -32768..32767\n");
    check_usage(SIM("--set", "usi=-1"),
                "plc-st sim: --set: usi: bad value '-1': USINT takes integers 0..255\n");
    check_usage(SIM("--set", "b=yes"),
                "plc-st sim: --set: b: bad value 'yes': BOOL takes true, false, 1 or 0\n");
    check_usage(SIM("--set", "r=1e39"),
                "plc-st sim: --set: r: bad value '1e39': REAL takes a number, NaN, Inf or "
                "-Inf\n");
    check_usage(SIM("--set", "t=5 s"), "plc-st sim: --set: t: bad value '5 s': TIME takes "
                                       "T#1h2m3s4ms, 100ms or nanoseconds\n");
    check_usage(SIM("--set", "color=PINK"),
                "plc-st sim: --set: color: bad value 'PINK': COLOR takes RED, GREEN, "
                "BLUE\n");
    check_usage(SIM("--set", "k=1"), "plc-st sim: --set: 'k' is a CONSTANT\n");
    check_usage(SIM("--set", "count"), "plc-st sim: --set: 'count' is not NAME=VALUE\n");
    check_usage(SIM("--scans", "-1"),
                "plc-st sim: --scans: '-1' is not a number of scans\n" PLC_ST_SIM_USAGE_TEXT "\n");
    check_usage(SIM("--cycle", "0"), "plc-st sim: --cycle: '0' is not a TIME above 0 (20ms, "
                                     "T#1s, nanoseconds)\n" PLC_ST_SIM_USAGE_TEXT "\n");
    check_usage(SIM("--frob"), "plc-st sim: unknown option '--frob'\n" PLC_ST_SIM_USAGE_TEXT "\n");
    check_usage(SIM("--watch"), "plc-st sim: --watch needs a value\n" PLC_ST_SIM_USAGE_TEXT "\n");
    check_usage(SIM("--watch=a,,b"),
                "plc-st sim: --watch: an empty name in 'a,,b'\n" PLC_ST_SIM_USAGE_TEXT "\n");
}

static void test_usage_script_lines(void **unused)
{
    struct {
        const char *text, *err;
    } cases[] = {
        {"{}\n\n{\"set\": {\"i\": 1}\n",
         "script line 3: not a JSON object {\"dt\": ..., \"set\": {...}, \"expect\": {...}}: the "
         "line ends inside it"},
        {"{}\n[1]\n", "script line 2: not a JSON object {\"dt\": ..., \"set\": {...}, "
                      "\"expect\": {...}}"},
        {"{} {}\n", "script line 1: not a JSON object {\"dt\": ..., \"set\": {...}, \"expect\": "
                    "{...}}"},
        {"{\"sets\": {}}\n", "script line 1: unknown key 'sets' (dt, set, expect)"},
        {"{}\n{\"dt\": \"-1s\"}\n", "script line 2: dt: bad value \"-1s\": a TIME of 0 or more "
                                    "(\"100ms\", \"T#1s\", nanoseconds)"},
        {"{}\n{\"dt\": 1.5}\n", "script line 2: dt: bad value 1.5: a TIME of 0 or more "
                                "(\"100ms\", \"T#1s\", nanoseconds)"},
        {"{\"dt\": \"1s\"}\n", "script line 1: dt: scan 0 runs at 0 ns; dt moves the clock "
                               "before the scans after it"},
        {"\n\n{}\n{\"set\": {\"nope\": 1}}\n", "script line 4: set: unknown variable 'nope'"},
        {"{\"expect\": {\"i\": \"x\"}}\n",
         "script line 1: expect: i: bad value 'x': INT takes integers -32768..32767"},
        {"{\"expect\": {\"s\": \"01234567890\"}}\n",
         "script line 1: expect: s: bad value '01234567890': longer than STRING[10]"},
        {"{\"set\": {\"i\": null}}\n", "script line 1: set: i: bad value null: give a number, "
                                       "true/false or a string"},
        {"{\"set\": [1]}\n", "script line 1: set: not an object of NAME: VALUE"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *path = script(cases[i].text);
        char want[512];
        snprintf(want, sizeof(want), "plc-st sim: %s\n", cases[i].err);
        check_usage(SIM("--script", path), want);
        unlink(path);
    }
    check_usage(SIM("--script", "no-such-script.jsonl"),
                "plc-st sim: no-such-script.jsonl: No such file or directory\n");
}

static void test_not_a_program(void **unused)
{
    struct run r = sim_on("no-such-object.so", NULL);
    assert_int_equal(r.rc, 2);
    assert_non_null(strstr(r.err, "no-such-object.so"));
    run_free(&r);
}

/* ---- TIME text --------------------------------------------------------------- */

static void test_time_parse_forms(void **unused)
{
    const int64_t S = 1000000000, MS = 1000000;
    struct {
        const char *text;
        int64_t ns;
    } ok[] = {
        {"100ms", 100 * MS},
        {"T#100ms", 100 * MS},
        {"t#1.5s", 1500 * MS},
        {"TIME#1h2m", 3720 * S},
        {"time#1H2M", 3720 * S},
        {"T#1d_2h", 26 * 3600 * S},
        {"T#3.5s", 3500 * MS},
        {"T#15m2s", 902 * S},
        {"T#1d2h3m4s5ms6us7ns", 93784 * S + 5006007},
        {"T#-2s", -2 * S},
        {"-T#2s", -2 * S},
        {"T#+2s", 2 * S},
        {"-250ms", -250 * MS},
        {"12345", 12345},
        {"0", 0},
        {"T#0s", 0},
        {"1_000ns", 1000},
        {"T#0.5ms", 500000},
        {"T#2.25h", 8100 * S},
        {"T#1.000000001s", S + 1},
        {"T#1US", 1000},
        {"T#9223372036854775807ns", INT64_MAX},
        {"T#-106751d23h47m16s854ms775us808ns", INT64_MIN},
        {"T#106751d23h47m16s854ms775us807ns", INT64_MAX},
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        int64_t ns = 42;
        if (plc_st_time_parse(ok[i].text, &ns) != 0 || ns != ok[i].ns)
            fail_msg("'%s': got %lld", ok[i].text, (long long)ns);
        /* and the canonical text reads back to the same */
        char buf[PLC_ST_VALUE_TEXT];
        int64_t back = 0;
        plc_st_time_format(ns, buf, sizeof(buf));
        if (plc_st_time_parse(buf, &back) != 0 || back != ns)
            fail_msg("'%s' -> '%s' does not read back", ok[i].text, buf);
    }
    const char *bad[] = {"",        "T#",       "T#s",   "1h2h",      "2s1h",
                         "1.5s2ms", "T#1x",     "--2s",  "-T#-2s",    "T#1d_",
                         "1.5",     "T#1._s",   "T# 1s", "T#106752d", "T#9223372036854775808ns",
                         "1s ",     "T#1d__2h", "T#-",   "ms"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t ns;
        if (plc_st_time_parse(bad[i], &ns) == 0)
            fail_msg("'%s' parsed as %lld", bad[i], (long long)ns);
    }
}

static void test_time_format(void **unused)
{
    struct {
        int64_t ns;
        const char *text;
    } cases[] = {
        {0, "T#0s"},
        {1, "T#1ns"},
        {-2000000000, "T#-2s"},
        {93784005006007, "T#1d2h3m4s5ms6us7ns"},
        {86400000000000, "T#1d"},
        {3600000000000 + 1000, "T#1h1us"},
        {INT64_MIN, "T#-106751d23h47m16s854ms775us808ns"},
        {INT64_MAX, "T#106751d23h47m16s854ms775us807ns"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char buf[PLC_ST_VALUE_TEXT];
        plc_st_time_format(cases[i].ns, buf, sizeof(buf));
        assert_string_equal(buf, cases[i].text);
    }
    /* many values round-trip through the text */
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 10000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t ns = (int64_t)(x >> (i % 64)) * (i % 2 ? -1 : 1), back;
        char buf[PLC_ST_VALUE_TEXT];
        plc_st_time_format(ns, buf, sizeof(buf));
        assert_int_equal(plc_st_time_parse(buf, &back), 0);
        assert_true(back == ns);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_first_scans_exact),
        cmocka_unit_test(test_no_scans_given_runs_one),
        cmocka_unit_test(test_integer_extremes),
        cmocka_unit_test(test_printed_forms),
        cmocka_unit_test(test_real_shortest),
        cmocka_unit_test(test_set_by_name_address_case),
        cmocka_unit_test(test_program_selection),
        cmocka_unit_test(test_tasks_run_on_the_engine_schedule),
        cmocka_unit_test(test_script_dt_and_expect_pass),
        cmocka_unit_test(test_script_more_scans),
        cmocka_unit_test(test_expect_fails_and_runs_on),
        cmocka_unit_test(test_fault_stops_after_printing),
        cmocka_unit_test(test_usage_names_and_values),
        cmocka_unit_test(test_usage_script_lines),
        cmocka_unit_test(test_not_a_program),
        cmocka_unit_test(test_time_parse_forms),
        cmocka_unit_test(test_time_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
