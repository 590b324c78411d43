/* SPDX-License-Identifier: MIT */
/*
 * Programs built by plc-st (the library, the real C compiler) and run: the
 * answers read back through plc_st_meta prove the generated code computes
 * what docs/st.md says (wrapping, faults with file:line, timers, blocks).
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plc-program.h"
#include "plc-st.h"
#include "st.h"

struct prog {
    char dir[64], st[96], so[96];
    void *dl;
    const struct plc_program *p;
    const struct plc_st_meta *meta;
    void *state;
    struct plc_ctx ctx;
};

static void build(struct prog *g, const char *src)
{
    memset(g, 0, sizeof(*g));
    snprintf(g->dir, sizeof(g->dir), "/tmp/test-st-run.XXXXXX");
    assert_non_null(mkdtemp(g->dir));
    snprintf(g->st, sizeof(g->st), "%s/prog.st", g->dir);
    snprintf(g->so, sizeof(g->so), "%s/prog.so", g->dir);
    FILE *f = fopen(g->st, "w");
    fputs(src, f);
    fclose(f);
    const char *files[] = {g->st};
    assert_int_equal(plc_st_build_sim(files, 1, NULL, g->so, stderr), 0);
    g->dl = dlopen(g->so, RTLD_NOW | RTLD_LOCAL);
    if (!g->dl)
        fail_msg("dlopen: %s", dlerror());
    g->p = dlsym(g->dl, PLC_PROGRAM_SYMBOL);
    g->meta = dlsym(g->dl, PLC_ST_META_SYMBOL);
    assert_non_null(g->p);
    assert_non_null(g->meta);
    assert_int_equal(g->meta->abi, PLC_ST_META_ABI);
    g->state = calloc(1, g->p->state_size);
    g->ctx = (struct plc_ctx){.abi = PLC_PROGRAM_ABI, .state = g->state, .first_scan = true};
    assert_int_equal(g->p->init(&g->ctx), 0);
}

static void done(struct prog *g)
{
    dlclose(g->dl);
    free(g->state);
    unlink(g->st);
    unlink(g->so);
    rmdir(g->dir);
}

static int scan(struct prog *g, uint64_t now_ns)
{
    g->ctx.now_ns = now_ns;
    g->ctx.fault = NULL;
    int rc = g->p->scan(&g->ctx);
    g->ctx.first_scan = false;
    g->ctx.scan_count++;
    return rc;
}

static const struct plc_st_var *var(struct prog *g, const char *path)
{
    for (uint32_t i = 0; i < g->meta->var_count; i++)
        if (strcmp(g->meta->vars[i].path, path) == 0)
            return &g->meta->vars[i];
    fail_msg("no variable '%s' in plc_st_meta", path);
    return NULL;
}

static int64_t get(struct prog *g, const char *path)
{
    const struct plc_st_var *v = var(g, path);
    const char *a = (const char *)g->state + v->offset;
    switch (v->kind) {
    case PLC_ST_BOOL: return *(const bool *)a;
    case PLC_ST_SINT: return *(const int8_t *)a;
    case PLC_ST_INT: return *(const int16_t *)a;
    case PLC_ST_DINT: case PLC_ST_ENUM: return *(const int32_t *)a;
    case PLC_ST_USINT: case PLC_ST_BYTE: return *(const uint8_t *)a;
    case PLC_ST_UINT: case PLC_ST_WORD: return *(const uint16_t *)a;
    case PLC_ST_UDINT: case PLC_ST_DWORD: return *(const uint32_t *)a;
    case PLC_ST_REAL: return (int64_t)(*(const float *)a * 1000);
    case PLC_ST_LREAL: return (int64_t)(*(const double *)a * 1000);
    default: return *(const int64_t *)a;
    }
}

static void integers_wrap_at_their_width(void **state)
{
    struct prog g;
    build(&g, "PROGRAM p\nVAR i : INT := 32767; s : SINT := -128; u : UINT; m : DINT := -2147483648;\n"
              "q : DINT; r : DINT; w : WORD := 16#F0F0; k : INT := -7; x : INT; y : INT; END_VAR\n"
              "i := i + 1; s := -s; u := u - 1; q := m / -1; r := m MOD -1;\n"
              "w := NOT w; x := k / 2; y := k MOD 2;\nEND_PROGRAM\n");
    assert_int_equal(scan(&g, 0), 0);
    assert_int_equal(get(&g, "i"), -32768);
    assert_int_equal(get(&g, "s"), -128);
    assert_int_equal(get(&g, "u"), 65535);
    assert_int_equal(get(&g, "q"), INT32_MIN);
    assert_int_equal(get(&g, "r"), 0);
    assert_int_equal(get(&g, "w"), 0x0F0F);
    assert_int_equal(get(&g, "x"), -3);
    assert_int_equal(get(&g, "y"), -1);
    done(&g);
}

static void conversions_round_and_saturate(void **state)
{
    struct prog g;
    build(&g, "PROGRAM p\nVAR a : INT; b : INT; c : INT; d : DINT; e : SINT; t : TIME; ms : DINT;\n"
              "END_VAR\n"
              "a := REAL_TO_INT(2.5); b := REAL_TO_INT(-2.5); c := REAL_TO_INT(1.0E9);\n"
              "d := TRUNC(-3.7); e := INT_TO_SINT(300); t := DINT_TO_TIME(1500);\n"
              "ms := TIME_TO_DINT(T#2s999ms999us);\nEND_PROGRAM\n");
    assert_int_equal(scan(&g, 0), 0);
    assert_int_equal(get(&g, "a"), 3);
    assert_int_equal(get(&g, "b"), -3);
    assert_int_equal(get(&g, "c"), 32767);
    assert_int_equal(get(&g, "d"), -3);
    assert_int_equal(get(&g, "e"), 44);
    assert_int_equal(get(&g, "t"), 1500000000LL);
    assert_int_equal(get(&g, "ms"), 2999);
    done(&g);
}

static void division_by_zero_faults_with_file_and_line(void **state)
{
    struct prog g;
    build(&g, "PROGRAM p\nVAR a : INT := 1; z : INT; after : INT; END_VAR\n"
              "a := a + 1;\na := a / z;\nafter := 1;\nEND_PROGRAM\n");
    assert_int_equal(scan(&g, 0), 1);
    char want[160];
    snprintf(want, sizeof(want), "%s:4: division by zero", g.st);
    assert_string_equal(g.ctx.fault, want);
    assert_int_equal(get(&g, "after"), 0);
    done(&g);
}

static void index_out_of_range_faults(void **state)
{
    struct prog g;
    build(&g, "PROGRAM p\nVAR a : ARRAY[1..3] OF INT; i : INT := 4; END_VAR\n"
              "a[i] := 5;\nEND_PROGRAM\n");
    assert_int_equal(scan(&g, 0), 1);
    assert_non_null(strstr(g.ctx.fault, ":3: array index out of range"));
    done(&g);
}

static void ton_follows_the_scan_clock(void **state)
{
    struct prog g;
    build(&g, "PROGRAM p\nVAR t : TON; go : BOOL := TRUE; q : BOOL; END_VAR\n"
              "t(IN := go, PT := T#1s);\nq := t.Q;\nEND_PROGRAM\n");
    assert_int_equal(scan(&g, 0), 0);
    assert_int_equal(get(&g, "q"), 0);
    assert_int_equal(scan(&g, 999999999), 0);
    assert_int_equal(get(&g, "t.ET"), 999999999);
    assert_int_equal(get(&g, "q"), 0);
    assert_int_equal(scan(&g, 1000000000), 0);
    assert_int_equal(get(&g, "q"), 1);
    assert_int_equal(get(&g, "t.Q"), 1);
    done(&g);
}

/* DATE/TOD/DT are int64 ns in the state, typed in plc_st_meta; RTC's offset is
 * listed, so an online change carries a running clock. */
static void dates_and_rtc_state_are_in_the_table(void **state)
{
    struct prog g;
    build(&g, "PROGRAM p\nVAR c : RTC; d : DATE := D#1970-01-02; t : TOD; x : DT; END_VAR\n"
              "c(IN := TRUE, PDT := DT#1970-01-01-01:00:00);\nx := c.CDT;\n"
              "t := DT_TO_TOD(x) + T#23h;\nEND_PROGRAM\n");
    assert_int_equal(var(&g, "d")->kind, PLC_ST_DATE);
    assert_int_equal(var(&g, "t")->kind, PLC_ST_TOD);
    assert_int_equal(var(&g, "x")->kind, PLC_ST_DT);
    assert_int_equal(var(&g, "c.CDT")->kind, PLC_ST_DT);
    assert_int_equal(var(&g, "c.$offset")->kind, PLC_ST_LINT);
    assert_int_equal(get(&g, "d"), 86400000000000LL);
    assert_int_equal(scan(&g, 5000000000u), 0);
    assert_int_equal(get(&g, "x"), 3600000000000LL); /* PDT on the rising edge */
    assert_int_equal(scan(&g, 7000000000u), 0);
    assert_int_equal(get(&g, "x"), 3602000000000LL); /* 2 s of scan clock later */
    assert_int_equal(get(&g, "t"), 2000000000LL);    /* 01:00:02 + 23 h wraps to 00:00:02 */
    done(&g);
}

static void user_blocks_and_functions_compute(void **state)
{
    struct prog g;
    build(&g, "FUNCTION sq : DINT\nVAR_INPUT x : DINT; END_VAR\nsq := x * x;\nEND_FUNCTION\n"
              "FUNCTION_BLOCK acc\nVAR_INPUT add : DINT; END_VAR\nVAR_OUTPUT total : DINT; END_VAR\n"
              "total := total + sq(add);\nEND_FUNCTION_BLOCK\n"
              "PROGRAM p\nVAR a : acc; r : DINT; c : CTU; n : INT; e : BOOL; END_VAR\n"
              "a(add := 3, total => r);\n"
              "c(CU := NOT c.Q, R := FALSE, PV := 2);\n"
              "n := MOVE(EN := FALSE, IN := 5, ENO => e);\nEND_PROGRAM\n");
    assert_int_equal(scan(&g, 0), 0);
    assert_int_equal(scan(&g, 1), 0);
    assert_int_equal(get(&g, "r"), 18);
    assert_int_equal(get(&g, "a.total"), 18);
    assert_int_equal(get(&g, "c.CV"), 1);
    assert_int_equal(get(&g, "n"), 0);
    assert_int_equal(get(&g, "e"), 0);
    assert_true(var(&g, "a.total")->flags & PLC_ST_VAR_SHOW);
    done(&g);
}

static void int_counter_saturates_at_int_max(void **state)
{
    struct prog g;
    build(&g, "PROGRAM p\nVAR c : CTD; n : INT; END_VAR\n"
              "c(CD := n MOD 2 = 1, LD := n = 0, PV := -32766);\nn := n + 1;\n"
              "END_PROGRAM\n");
    for (int i = 0; i < 8; i++)
        assert_int_equal(scan(&g, (uint64_t)i), 0);
    assert_int_equal(get(&g, "c.CV"), -32768);
    done(&g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers_wrap_at_their_width),
        cmocka_unit_test(conversions_round_and_saturate),
        cmocka_unit_test(division_by_zero_faults_with_file_and_line),
        cmocka_unit_test(index_out_of_range_faults),
        cmocka_unit_test(ton_follows_the_scan_clock),
        cmocka_unit_test(dates_and_rtc_state_are_in_the_table),
        cmocka_unit_test(user_blocks_and_functions_compute),
        cmocka_unit_test(int_counter_saturates_at_int_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
