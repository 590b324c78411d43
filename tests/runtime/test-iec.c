/* SPDX-License-Identifier: MIT */
/*
 * IEC 61131-3 function blocks against tables of IEC behaviour: each row is
 * one scan (the scan time, the inputs) and the outputs IEC requires after it.
 * Times in the tables are milliseconds of a simulated scan clock.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "plc-iec.h"

#define MS 1000000ull

enum kind { TON, TOF, TP };

struct trow {
    unsigned t;   /* scan time, ms */
    bool in;
    int pt;       /* ms */
    bool q;       /* expected */
    int et;       /* expected, ms */
};

static void run_timer(enum kind k, const struct trow *rows, size_t n)
{
    static const char *const names[] = {"TON", "TOF", "TP"};
    struct plc_timer fb = {0};
    for (size_t i = 0; i < n; i++) {
        const struct trow *r = &rows[i];
        bool q;
        switch (k) {
        case TON: q = plc_ton(&fb, r->in, PLC_MS(r->pt), r->t * MS); break;
        case TOF: q = plc_tof(&fb, r->in, PLC_MS(r->pt), r->t * MS); break;
        default: q = plc_tp(&fb, r->in, PLC_MS(r->pt), r->t * MS); break;
        }
        if (q != r->q || fb.q != q || fb.et != PLC_MS(r->et))
            fail_msg("%s row %zu (t=%ums in=%d pt=%dms): got q=%d et=%lldms, IEC wants q=%d "
                     "et=%dms",
                     names[k], i, r->t, r->in, r->pt, q, (long long)(fb.et / (int64_t)MS), r->q,
                     r->et);
    }
}
#define RUN_TIMER(k, rows) run_timer(k, rows, sizeof(rows) / sizeof(rows[0]))

static void ton_follows_iec_table(void **state)
{
    static const struct trow rows[] = {
        {0, false, 100, false, 0},  /* first scan, IN FALSE */
        {10, true, 100, false, 0},  /* rising edge starts timing */
        {60, true, 100, false, 50},
        {110, true, 100, true, 100}, /* PT reached: Q, ET held at PT */
        {500, true, 100, true, 100},
        {510, false, 100, false, 0}, /* IN FALSE resets */
        {520, true, 100, false, 0},
        {570, false, 100, false, 0}, /* short pulse: never Q */
        {580, true, 100, false, 0},
        {630, true, 40, true, 40},   /* PT lowered below ET while timing: Q at once */
        {640, false, 40, false, 0},
        {650, true, 0, true, 0},     /* PT 0: Q follows IN */
        {660, false, 0, false, 0},
    };
    RUN_TIMER(TON, rows);
}

static void ton_first_scan_with_in_true_starts_timing(void **state)
{
    static const struct trow rows[] = {
        {1000, true, 20, false, 0}, /* IN TRUE on the very first call is an edge */
        {1010, true, 20, false, 10},
        {1020, true, 20, true, 20},
    };
    RUN_TIMER(TON, rows);
}

static void ton_preset_raised_while_timing_extends(void **state)
{
    static const struct trow rows[] = {
        {0, true, 50, false, 0},
        {40, true, 50, false, 40},
        {60, true, 100, false, 60}, /* PT raised before it was reached */
        {100, true, 100, true, 100},
    };
    RUN_TIMER(TON, rows);
}

static void tof_follows_iec_table(void **state)
{
    static const struct trow rows[] = {
        {0, false, 100, false, 0},  /* first scan, IN FALSE: no falling edge, Q FALSE */
        {10, true, 100, true, 0},   /* Q follows IN at once */
        {20, false, 100, true, 0},  /* falling edge starts timing */
        {70, false, 100, true, 50},
        {80, true, 100, true, 0},   /* IN back before PT: ET reset, Q stays */
        {90, false, 100, true, 0},
        {190, false, 100, false, 100}, /* PT after the fall: Q FALSE, ET held */
        {300, false, 100, false, 100},
        {310, true, 100, true, 0},
        {320, false, 20, true, 0},
        {330, false, 5, false, 5},  /* PT lowered below ET while timing */
    };
    RUN_TIMER(TOF, rows);
}

static void tp_follows_iec_table(void **state)
{
    static const struct trow rows[] = {
        {0, false, 100, false, 0},
        {10, true, 100, true, 0},    /* rising edge: pulse */
        {20, false, 100, true, 10},  /* IN falling during the pulse: ignored */
        {30, true, 100, true, 20},   /* new edge during the pulse: not retriggered */
        {110, true, 100, false, 100}, /* pulse over; ET held at PT while IN TRUE */
        {150, true, 100, false, 100},
        {160, false, 100, false, 0}, /* IN FALSE: ET back to 0 */
        {170, true, 100, true, 0},   /* next edge: next pulse */
        {200, false, 100, true, 30},
        {270, false, 100, false, 0}, /* pulse over with IN FALSE: ET 0 */
    };
    RUN_TIMER(TP, rows);
}

static void tp_first_scan_with_in_true_pulses(void **state)
{
    static const struct trow rows[] = {
        {5, true, 10, true, 0},
        {15, true, 10, false, 10},
    };
    RUN_TIMER(TP, rows);
}

struct crow {
    bool cu, cd, r, ld;
    int pv;
    int cv;       /* expected */
    bool q, qd;   /* expected: CTU/CTD q, CTUD qu and qd */
};

static void ctu_follows_iec_table(void **state)
{
    static const struct crow rows[] = {
        {true, 0, false, 0, 2, 1, false, 0},  /* CU TRUE on the first call counts */
        {true, 0, false, 0, 2, 1, false, 0},  /* held: no edge */
        {false, 0, false, 0, 2, 1, false, 0},
        {true, 0, false, 0, 2, 2, true, 0},   /* Q = CV >= PV */
        {false, 0, false, 0, 3, 2, false, 0}, /* PV raised: Q recomputed */
        {true, 0, true, 0, 3, 0, false, 0},   /* reset during a count edge: R wins */
        {false, 0, false, 0, 3, 0, false, 0},
        {true, 0, false, 0, 0, 1, true, 0},
        {true, 0, true, 0, 0, 0, true, 0},    /* PV 0: Q with CV 0 */
    };
    struct plc_counter fb = {0};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct crow *r = &rows[i];
        bool q = plc_ctu(&fb, r->cu, r->r, r->pv);
        if (q != r->q || fb.cv != r->cv)
            fail_msg("CTU row %zu: got q=%d cv=%d, IEC wants q=%d cv=%d", i, q, fb.cv, r->q,
                     r->cv);
    }
}

static void ctu_stops_at_int32_max(void **state)
{
    struct plc_counter fb = {.cv = INT32_MAX};
    plc_ctu(&fb, true, false, 5);
    assert_int_equal(fb.cv, INT32_MAX);
}

static void ctd_follows_iec_table(void **state)
{
    static const struct crow rows[] = {
        {0, false, 0, true, 2, 2, false, 0},  /* LD loads PV */
        {0, true, 0, true, 2, 2, false, 0},   /* LD dominant over a CD edge */
        {0, false, 0, false, 2, 2, false, 0},
        {0, true, 0, false, 2, 1, false, 0},
        {0, false, 0, false, 2, 1, false, 0},
        {0, true, 0, false, 2, 0, true, 0},   /* Q = CV <= 0 */
        {0, false, 0, false, 2, 0, true, 0},
        {0, true, 0, false, 2, -1, true, 0},  /* goes on below 0 */
    };
    struct plc_counter fb = {0};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct crow *r = &rows[i];
        bool q = plc_ctd(&fb, r->cd, r->ld, r->pv);
        if (q != r->q || fb.cv != r->cv)
            fail_msg("CTD row %zu: got q=%d cv=%d, IEC wants q=%d cv=%d", i, q, fb.cv, r->q,
                     r->cv);
    }
}

static void ctd_first_call_with_cd_true_counts(void **state)
{
    struct plc_counter fb = {0};
    assert_true(plc_ctd(&fb, true, false, 3));
    assert_int_equal(fb.cv, -1);
}

static void ctud_follows_iec_table(void **state)
{
    static const struct crow rows[] = {
        {true, false, false, false, 2, 1, false, false},
        {false, false, false, false, 2, 1, false, false},
        {true, false, false, false, 2, 2, true, false},  /* QU */
        {false, true, false, false, 2, 1, false, false},
        {false, false, false, false, 2, 1, false, false},
        {true, true, false, false, 2, 1, false, false},  /* both edges at once: neither */
        {false, false, false, false, 2, 1, false, false},
        {false, true, false, false, 2, 0, false, true},  /* QD */
        {false, false, false, true, 5, 5, true, false},  /* LD loads PV */
        {false, false, true, true, 5, 0, false, true},   /* R beats LD */
        {true, false, true, false, 5, 0, false, true},   /* reset during a count edge */
    };
    struct plc_counter fb = {0};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct crow *r = &rows[i];
        bool qu = plc_ctud(&fb, r->cu, r->cd, r->r, r->ld, r->pv);
        if (qu != r->q || fb.qu != r->q || fb.qd != r->qd || fb.cv != r->cv)
            fail_msg("CTUD row %zu: got qu=%d qd=%d cv=%d, IEC wants qu=%d qd=%d cv=%d", i,
                     fb.qu, fb.qd, fb.cv, r->q, r->qd, r->cv);
    }
}

static void r_trig_fires_once_per_rising_edge(void **state)
{
    static const bool clk[] = {true, true, false, true, false, false};
    static const bool q[] = {true, false, false, true, false, false};
    struct plc_trig fb = {0};
    for (size_t i = 0; i < 6; i++)
        if (plc_r_trig(&fb, clk[i]) != q[i] || fb.q != q[i])
            fail_msg("R_TRIG call %zu: clk=%d got %d want %d", i, clk[i], fb.q, q[i]);
}

static void f_trig_fires_once_per_falling_edge_not_on_first_scan(void **state)
{
    static const bool clk[] = {false, true, true, false, false, true, false};
    static const bool q[] = {false, false, false, true, false, false, true};
    struct plc_trig fb = {0};
    for (size_t i = 0; i < 7; i++)
        if (plc_f_trig(&fb, clk[i]) != q[i] || fb.q != q[i])
            fail_msg("F_TRIG call %zu: clk=%d got %d want %d", i, clk[i], fb.q, q[i]);
}

static void sr_is_set_dominant(void **state)
{
    /* s1, r -> q1 */
    static const bool rows[][3] = {{0, 0, 0}, {1, 0, 1}, {0, 0, 1}, {1, 1, 1}, {0, 1, 0}, {0, 0, 0}};
    struct plc_bistable fb = {0};
    for (size_t i = 0; i < 6; i++)
        if (plc_sr(&fb, rows[i][0], rows[i][1]) != rows[i][2])
            fail_msg("SR row %zu: got %d want %d", i, fb.q1, rows[i][2]);
}

static void rs_is_reset_dominant(void **state)
{
    /* s, r1 -> q1 */
    static const bool rows[][3] = {{0, 0, 0}, {1, 0, 1}, {0, 0, 1}, {1, 1, 0}, {1, 0, 1}, {0, 1, 0}};
    struct plc_bistable fb = {0};
    for (size_t i = 0; i < 6; i++)
        if (plc_rs(&fb, rows[i][0], rows[i][1]) != rows[i][2])
            fail_msg("RS row %zu: got %d want %d", i, fb.q1, rows[i][2]);
}

static void cmd_take_counts_every_request_once_across_wrap(void **state)
{
    uint16_t ack = 0;
    assert_int_equal(plc_cmd_take(0, &ack), 0);
    assert_int_equal(plc_cmd_take(3, &ack), 3); /* three requests within one scan */
    assert_int_equal(ack, 3);
    assert_int_equal(plc_cmd_take(3, &ack), 0); /* seen once only */
    ack = 65534;
    assert_int_equal(plc_cmd_take(1, &ack), 3); /* 65535, 0, 1 */
    assert_int_equal(ack, 1);
}

static void ctu_range_saturates_at_its_max(void **state)
{
    struct plc_counter_range fb = {0};
    for (int i = 0; i < 10; i++) {
        plc_ctu_range(&fb, i % 2 == 0, false, 3, 3);
    }
    assert_int_equal(fb.cv, 3);
    assert_true(fb.q);
    plc_ctu_range(&fb, false, true, 3, 3); /* R */
    assert_int_equal(fb.cv, 0);
    assert_false(fb.q);
}

static void ctd_range_stops_at_its_min(void **state)
{
    struct plc_counter_range fb = {0};
    plc_ctd_range(&fb, false, true, -32766, INT16_MIN);
    for (int i = 0; i < 10; i++)
        plc_ctd_range(&fb, i % 2 == 0, false, -32766, INT16_MIN);
    assert_int_equal(fb.cv, INT16_MIN);
    assert_true(fb.q);
}

static void ctud_range_counts_both_ways_within_range(void **state)
{
    struct plc_counter_range fb = {0};
    plc_ctud_range(&fb, true, false, false, false, 2, -1, 1);
    plc_ctud_range(&fb, false, false, false, false, 2, -1, 1);
    plc_ctud_range(&fb, true, false, false, false, 2, -1, 1); /* at max 1: stays */
    assert_int_equal(fb.cv, 1);
    assert_false(fb.qu);
    plc_ctud_range(&fb, false, true, false, false, 2, -1, 1);
    plc_ctud_range(&fb, false, false, false, false, 2, -1, 1);
    plc_ctud_range(&fb, false, true, false, false, 2, -1, 1);
    plc_ctud_range(&fb, false, false, false, false, 2, -1, 1);
    plc_ctud_range(&fb, false, true, false, false, 2, -1, 1); /* at min -1: stays */
    assert_int_equal(fb.cv, -1);
    assert_true(fb.qd);
    plc_ctud_range(&fb, true, true, false, true, 2, -1, 1); /* LD */
    assert_int_equal(fb.cv, 2);
    assert_true(fb.qu);
}

static void ulint_counters_use_the_whole_range(void **state)
{
    struct plc_counter_u64 fb = {.cv = UINT64_MAX - 1};
    plc_ctu_u64(&fb, true, false, UINT64_MAX);
    plc_ctu_u64(&fb, false, false, UINT64_MAX);
    plc_ctu_u64(&fb, true, false, UINT64_MAX);
    assert_true(fb.cv == UINT64_MAX);
    assert_true(fb.q);
    struct plc_counter_u64 d = {0};
    plc_ctd_u64(&d, true, false, 5); /* at 0: stays */
    assert_true(d.cv == 0);
    assert_true(d.q);
    struct plc_counter_u64 ud = {0};
    plc_ctud_u64(&ud, false, true, false, false, 1);
    assert_true(ud.cv == 0 && ud.qd && !ud.qu);
    plc_ctud_u64(&ud, true, false, false, false, 1);
    assert_true(ud.cv == 1 && ud.qu);
}

/* The library blocks' REAL results are floats: compare to a tolerance far
 * below the hand-computed values' last digit. */
#define NEAR(got, want) assert_float_equal((got), (want), 1e-5)

static void hysteresis_switches_outside_eps_both_ways(void **state)
{
    /* XIN2 = 10, EPS = 1: TRUE above 11, FALSE below 9 */
    static const struct {
        float xin1;
        bool q;
    } rows[] = {
        {10.0f, false}, {11.0f, false}, /* not above 11 */
        {11.5f, true},  {10.0f, true},  {9.0f, true}, /* not below 9 */
        {8.9f, false},  {10.5f, false}, {11.01f, true},
    };
    struct plc_hysteresis fb = {0};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (plc_hysteresis(&fb, rows[i].xin1, 10.0f, 1.0f) != rows[i].q || fb.q != rows[i].q)
            fail_msg("HYSTERESIS row %zu: xin1=%g got %d want %d", i, rows[i].xin1, fb.q,
                     rows[i].q);
}

static void integral_adds_xin_times_cycle_from_x0(void **state)
{
    struct plc_integral fb = {0};
    NEAR(plc_integral(&fb, true, true, 2.0f, 5.0f, PLC_MS(500)), 5.0f); /* R1 loads X0 */
    assert_false(fb.q);
    NEAR(plc_integral(&fb, false, false, 2.0f, 5.0f, PLC_MS(500)), 5.0f); /* RUN FALSE holds */
    assert_true(fb.q);
    for (int k = 1; k <= 3; k++) /* 2 per second for 0.5 s: +1 per call */
        NEAR(plc_integral(&fb, true, false, 2.0f, 5.0f, PLC_MS(500)), 5.0f + k);
    NEAR(plc_integral(&fb, false, false, 2.0f, 5.0f, PLC_MS(500)), 8.0f);
    NEAR(plc_integral(&fb, true, false, -4.0f, 5.0f, PLC_MS(250)), 7.0f);
    NEAR(plc_integral(&fb, true, true, 2.0f, -1.0f, PLC_MS(500)), -1.0f); /* R1 over RUN */
    assert_false(fb.q);
}

static void derivative_of_a_ramp_is_its_slope_from_the_fourth_call(void **state)
{
    struct plc_derivative fb = {0};
    NEAR(plc_derivative(&fb, false, 0.0f, PLC_MS(100)), 0.0f); /* history := 0 */
    /* XIN 1, 2, 3, 4 every 0.1 s, slope 10/s: (3 (XIN - X3) + X1 - X2) / 1 */
    static const float want[] = {3.0f, 7.0f, 10.0f, 10.0f, 10.0f};
    for (int k = 0; k < 5; k++)
        NEAR(plc_derivative(&fb, true, (float)(k + 1), PLC_MS(100)), want[k]);
    NEAR(plc_derivative(&fb, false, 42.0f, PLC_MS(100)), 0.0f); /* RUN FALSE: 0 */
    NEAR(plc_derivative(&fb, true, 42.0f, PLC_MS(100)), 0.0f);  /* flat since */
}

static void derivative_with_cycle_zero_gives_zero(void **state)
{
    struct plc_derivative fb = {0};
    NEAR(plc_derivative(&fb, true, 5.0f, 0), 0.0f); /* matiec: infinity */
    NEAR(plc_derivative(&fb, true, 6.0f, PLC_MS(100)), (3.0f * 6.0f + 5.0f) / 1.0f);
}

static void pid_proportional_step(void **state)
{
    /* TR huge: the integral adds < 1e-8; PV steps 0 -> 0.5 with SP 0 */
    struct plc_pid fb = {0};
    NEAR(plc_pid(&fb, true, 0.0f, 0.0f, 0.0f, 2.0f, 1e9f, 0.0f, PLC_MS(10)), 0.0f);
    for (int k = 0; k < 5; k++)
        NEAR(plc_pid(&fb, true, 0.5f, 0.0f, 0.0f, 2.0f, 1e9f, 0.0f, PLC_MS(10)), 1.0f);
    /* ERROR is PV - SP: PV below SP gives a negative output for KP > 0 */
    NEAR(plc_pid(&fb, true, 0.0f, 0.5f, 0.0f, 2.0f, 1e9f, 0.0f, PLC_MS(10)), -1.0f);
}

static void pid_manual_gives_kp_x0_then_integrates_bumplessly(void **state)
{
    /* KP 2, TR 1 s, CYCLE 0.1 s, PV 0, SP 1: ERROR -1 */
    struct plc_pid fb = {0};
    NEAR(plc_pid(&fb, false, 0.0f, 1.0f, 3.0f, 2.0f, 1.0f, 0.0f, PLC_MS(100)), 6.0f); /* KP X0 */
    NEAR(plc_pid(&fb, false, 0.0f, 1.0f, 0.0f, 2.0f, 1.0f, 0.0f, PLC_MS(100)), 0.0f);
    NEAR(fb.iterm.xout, 1.0f); /* TR (X0 - ERROR) */
    /* automatic: ITERM = 1 - 0.1 k, XOUT = 2 (-1 + ITERM) = -0.2 k */
    for (int k = 1; k <= 10; k++)
        NEAR(plc_pid(&fb, true, 0.0f, 1.0f, 0.0f, 2.0f, 1.0f, 0.0f, PLC_MS(100)), -0.2f * k);
    /* after TR the integral has added as much as the proportional part: 2 KP ERROR */
    NEAR(fb.xout, -2.0f);
}

static void pid_on_a_ramp_sums_the_three_terms(void **state)
{
    /* KP 1, TR 1 s, TD 2 s, CYCLE 0.1 s, SP 0, PV 1, 2, 3, 4 from rest:
     * ITERM 0.1, 0.3, 0.6, 1.0; DTERM 3, 7, 10, 10 (DERIVATIVE's start-up);
     * XOUT = E + ITERM + 2 DTERM */
    static const float want[] = {7.1f, 16.3f, 23.6f, 25.0f};
    struct plc_pid fb = {0};
    plc_pid(&fb, false, 0.0f, 0.0f, 0.0f, 1.0f, 1.0f, 2.0f, PLC_MS(100));
    for (int k = 0; k < 4; k++)
        NEAR(plc_pid(&fb, true, (float)(k + 1), 0.0f, 0.0f, 1.0f, 1.0f, 2.0f, PLC_MS(100)),
             want[k]);
}

static void pid_closes_a_loop_on_a_first_order_plant(void **state)
{
    /* plant: PV' = (XOUT - PV) / 1 s; PI KP -1 (ERROR is PV - SP), TR 1 s;
     * the integral leaves no steady error: PV settles on SP */
    struct plc_pid fb = {0};
    float pv = 0.0f;
    for (int k = 0; k < 600; k++) { /* 60 s at 0.1 s */
        float u = plc_pid(&fb, true, pv, 4.0f, 0.0f, -1.0f, 1.0f, 0.0f, PLC_MS(100));
        pv += (u - pv) * 0.1f;
    }
    assert_float_equal(pv, 4.0f, 1e-3);
    assert_float_equal(fb.xout, 4.0f, 1e-3);
}

static void ramp_reaches_x1_after_tr(void **state)
{
    /* X0 2, X1 12, TR 1 s, CYCLE 0.1 s: 2, 3, ... 11 busy, then 12 */
    struct plc_ramp fb = {0};
    NEAR(plc_ramp(&fb, false, 2.0f, 12.0f, PLC_S(1), PLC_MS(100)), 2.0f);
    assert_false(fb.busy);
    for (int k = 0; k < 10; k++) {
        NEAR(plc_ramp(&fb, true, 2.0f, 12.0f, PLC_S(1), PLC_MS(100)), 2.0f + (float)k);
        assert_true(fb.busy);
    }
    NEAR(plc_ramp(&fb, true, 2.0f, 12.0f, PLC_S(1), PLC_MS(100)), 12.0f);
    assert_false(fb.busy);
    NEAR(plc_ramp(&fb, true, 2.0f, 20.0f, PLC_S(1), PLC_MS(100)), 20.0f); /* follows X1 */
    assert_false(fb.busy);
    NEAR(plc_ramp(&fb, false, 7.0f, 20.0f, PLC_S(1), PLC_MS(100)), 7.0f); /* follows X0 */
    /* down from 7 to 3 over 0.4 s */
    static const float down[] = {7.0f, 6.0f, 5.0f, 4.0f, 3.0f, 3.0f};
    for (int k = 0; k < 6; k++)
        NEAR(plc_ramp(&fb, true, 7.0f, 3.0f, PLC_MS(400), PLC_MS(100)), down[k]);
}

static void ramp_with_tr_zero_jumps(void **state)
{
    struct plc_ramp fb = {0};
    plc_ramp(&fb, false, 1.0f, 5.0f, 0, PLC_MS(100));
    NEAR(plc_ramp(&fb, true, 1.0f, 5.0f, 0, PLC_MS(100)), 5.0f);
    assert_false(fb.busy);
}

static void ramp_started_without_a_run_false_call_starts_from_zero(void **state)
{
    /* XI is 0 until a call with RUN FALSE has read X0, as in matiec */
    struct plc_ramp fb = {0};
    NEAR(plc_ramp(&fb, true, 4.0f, 8.0f, PLC_MS(200), PLC_MS(100)), 0.0f);
    NEAR(plc_ramp(&fb, true, 4.0f, 8.0f, PLC_MS(200), PLC_MS(100)), 4.0f);
    NEAR(plc_ramp(&fb, true, 4.0f, 8.0f, PLC_MS(200), PLC_MS(100)), 8.0f);
}

static void rtc_loads_pdt_on_rising_edge_and_runs_on(void **state)
{
    const int64_t jan_2026 = PLC_S(1767225600); /* 2026-01-01 00:00:00 UTC */
    struct plc_rtc fb = {0};
    assert_true(plc_rtc(&fb, false, jan_2026, PLC_S(1000)) == PLC_S(1000)); /* the clock */
    assert_false(fb.q);
    assert_true(plc_rtc(&fb, true, jan_2026, PLC_S(2000)) == jan_2026); /* loads PDT */
    assert_true(fb.q);
    assert_true(plc_rtc(&fb, true, jan_2026, PLC_S(2005)) == jan_2026 + PLC_S(5));
    /* PDT is read on the edge only */
    assert_true(plc_rtc(&fb, true, 0, PLC_S(2005) + PLC_MS(250)) ==
                jan_2026 + PLC_S(5) + PLC_MS(250));
    assert_true(plc_rtc(&fb, false, 0, PLC_S(3000)) == PLC_S(3000));
    assert_false(fb.q);
    assert_true(plc_rtc(&fb, true, PLC_S(10), PLC_S(3001)) == PLC_S(10)); /* next edge */
    assert_true(plc_rtc(&fb, true, PLC_S(10), PLC_S(3002)) == PLC_S(11));
}

static void sema_claim_busy_release(void **state)
{
    /* claim, release -> busy */
    static const bool rows[][3] = {
        {0, 0, 0}, {1, 0, 1}, /* claimed: BUSY in the same call */
        {0, 0, 1}, {1, 0, 1}, {0, 1, 0}, /* released */
        {0, 0, 0}, {1, 1, 1}, /* both: CLAIM wins */
        {0, 1, 0},
    };
    struct plc_sema fb = {0};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (plc_sema(&fb, rows[i][0], rows[i][1]) != rows[i][2] || fb.busy != rows[i][2])
            fail_msg("SEMA row %zu: got %d want %d", i, fb.busy, rows[i][2]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ton_follows_iec_table),
        cmocka_unit_test(ton_first_scan_with_in_true_starts_timing),
        cmocka_unit_test(ton_preset_raised_while_timing_extends),
        cmocka_unit_test(tof_follows_iec_table),
        cmocka_unit_test(tp_follows_iec_table),
        cmocka_unit_test(tp_first_scan_with_in_true_pulses),
        cmocka_unit_test(ctu_follows_iec_table),
        cmocka_unit_test(ctu_stops_at_int32_max),
        cmocka_unit_test(ctu_range_saturates_at_its_max),
        cmocka_unit_test(ctd_range_stops_at_its_min),
        cmocka_unit_test(ctud_range_counts_both_ways_within_range),
        cmocka_unit_test(ulint_counters_use_the_whole_range),
        cmocka_unit_test(ctd_follows_iec_table),
        cmocka_unit_test(ctd_first_call_with_cd_true_counts),
        cmocka_unit_test(ctud_follows_iec_table),
        cmocka_unit_test(r_trig_fires_once_per_rising_edge),
        cmocka_unit_test(f_trig_fires_once_per_falling_edge_not_on_first_scan),
        cmocka_unit_test(sr_is_set_dominant),
        cmocka_unit_test(rs_is_reset_dominant),
        cmocka_unit_test(cmd_take_counts_every_request_once_across_wrap),
        cmocka_unit_test(hysteresis_switches_outside_eps_both_ways),
        cmocka_unit_test(integral_adds_xin_times_cycle_from_x0),
        cmocka_unit_test(derivative_of_a_ramp_is_its_slope_from_the_fourth_call),
        cmocka_unit_test(derivative_with_cycle_zero_gives_zero),
        cmocka_unit_test(pid_proportional_step),
        cmocka_unit_test(pid_manual_gives_kp_x0_then_integrates_bumplessly),
        cmocka_unit_test(pid_on_a_ramp_sums_the_three_terms),
        cmocka_unit_test(pid_closes_a_loop_on_a_first_order_plant),
        cmocka_unit_test(ramp_reaches_x1_after_tr),
        cmocka_unit_test(ramp_with_tr_zero_jumps),
        cmocka_unit_test(ramp_started_without_a_run_false_call_starts_from_zero),
        cmocka_unit_test(rtc_loads_pdt_on_rising_edge_and_runs_on),
        cmocka_unit_test(sema_claim_busy_release),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
