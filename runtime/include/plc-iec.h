/* SPDX-License-Identifier: MIT */
/**
 * @file plc-iec.h
 * @brief IEC 61131-3 standard function blocks for PLC programs in C.
 *
 * TON, TOF, TP, CTU, CTD, CTUD (and their typed variants), R_TRIG, F_TRIG, SR
 * and RS; the library blocks OpenPLC has from matiec: PID, RAMP, HYSTERESIS,
 * INTEGRAL, DERIVATIVE, RTC and SEMA; plus plc_cmd_take() for the
 * request/acknowledge command counters (a RaspiPLC addition).
 *
 * Each block is a struct the program keeps between scans (in its state, or
 * static) and zero-initialises (zero is the IEC initial state). A call takes
 * the block's inputs and returns its main output; the other outputs are fields
 * to read after the call (q, et, cv, qu, qd). Timers take the scan time
 * (ctx->now_ns of struct plc_ctx) and never read a clock themselves, so they
 * behave the same under a simulated clock, and every block called in one
 * scan sees the same instant. Times are nanoseconds.
 *
 * Edges are detected against the previous call, starting from FALSE: an
 * input that is already TRUE on the first call is a rising edge (R_TRIG
 * fires, CTU counts, TON starts timing), as IEC specifies. F_TRIG does not
 * fire on a first call with CLK FALSE (IEC edition 2's literal body would; the
 * edition-3 runtimes do not).
 *
 * The library blocks compute what matiec's ST bodies do (lib/pid_st.txt and
 * the others, as docs/programs.md quotes). REAL is float, as in matiec and
 * plc-st; each expression is worked out in double and rounded to float once,
 * when stored. CYCLE, the sampling period, is a TIME (ns) input as there: pass
 * the task's period, or ctx->dt_ns. DATE_AND_TIME is int64_t ns since
 * 1970-01-01 00:00 UTC.
 *
 * Blocks are plain data: no allocation, no globals, one thread per block.
 */
#ifndef PLC_IEC_H
#define PLC_IEC_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef PLC_API
#define PLC_API __attribute__((visibility("default")))
#endif

/** Durations in nanoseconds, for PT values. */
#define PLC_MS(x) ((int64_t)(x) * 1000000)
#define PLC_S(x) ((int64_t)(x) * 1000000000)

/** @defgroup iec IEC 61131-3 function blocks
 * @{ */

/** @brief Edge detector state (R_TRIG, F_TRIG). */
struct plc_trig {
    bool q;   /**< output: the edge, TRUE for one call */
    bool m;   /**< private: CLK at the previous call */
};

/** @brief R_TRIG: TRUE for one call when @p clk goes from FALSE to TRUE. @return q */
PLC_API bool plc_r_trig(struct plc_trig *fb, bool clk);
/** @brief F_TRIG: TRUE for one call when @p clk goes from TRUE to FALSE. @return q */
PLC_API bool plc_f_trig(struct plc_trig *fb, bool clk);

/** @brief Bistable state (SR, RS). */
struct plc_bistable {
    bool q1; /**< output */
};

/** @brief SR, set dominant: Q1 := S1 OR (NOT R AND Q1). @return q1 */
PLC_API bool plc_sr(struct plc_bistable *fb, bool s1, bool r);
/** @brief RS, reset dominant: Q1 := NOT R1 AND (S OR Q1). @return q1 */
PLC_API bool plc_rs(struct plc_bistable *fb, bool s, bool r1);

/** @brief Timer state (TON, TOF, TP). */
struct plc_timer {
    bool q;         /**< output */
    int64_t et;     /**< output: elapsed time, ns, 0..PT */
    bool in;        /**< private: IN at the previous call */
    bool running;   /**< private: timing */
    uint64_t start; /**< private: scan time timing started */
};

/**
 * @brief TON, on-delay: Q goes TRUE when IN has been TRUE for PT.
 *
 * ET counts from IN's rising edge and stops at PT; IN FALSE resets Q and ET.
 * A PT changed while timing applies at once (ET is compared with the new PT).
 * PT <= 0 makes Q follow IN.
 * @param now_ns The scan time (ctx->now_ns).
 * @return q
 */
PLC_API bool plc_ton(struct plc_timer *fb, bool in, int64_t pt, uint64_t now_ns);

/**
 * @brief TOF, off-delay: Q is TRUE while IN is TRUE and for PT after IN falls.
 *
 * ET counts from IN's falling edge and stops at PT; IN TRUE again resets ET.
 * @return q
 */
PLC_API bool plc_tof(struct plc_timer *fb, bool in, int64_t pt, uint64_t now_ns);

/**
 * @brief TP, pulse: a rising edge of IN gives a pulse of exactly PT.
 *
 * Not retriggerable: edges during the pulse are ignored. After the pulse, ET
 * stays at PT while IN is TRUE and returns to 0 when IN is FALSE.
 * @return q
 */
PLC_API bool plc_tp(struct plc_timer *fb, bool in, int64_t pt, uint64_t now_ns);

/** @brief Counter state (CTU, CTD, CTUD). */
struct plc_counter {
    int32_t cv;  /**< output: current value */
    bool q;      /**< output (CTU: CV >= PV; CTD: CV <= 0) */
    bool qu, qd; /**< outputs of CTUD: CV >= PV, CV <= 0 */
    bool cu, cd; /**< private: CU and CD at the previous call */
};

/**
 * @brief CTU, up counter: each rising edge of CU adds 1 (up to INT32_MAX).
 * R (dominant) sets CV to 0, and an edge of CU during R is not counted.
 * @return q = CV >= PV
 */
PLC_API bool plc_ctu(struct plc_counter *fb, bool cu, bool r, int32_t pv);

/**
 * @brief CTD, down counter: each rising edge of CD takes 1 (down to INT32_MIN).
 * LD (dominant) sets CV to PV.
 * @return q = CV <= 0
 */
PLC_API bool plc_ctd(struct plc_counter *fb, bool cd, bool ld, int32_t pv);

/**
 * @brief CTUD, up/down counter.
 * R has priority over LD, LD over counting; a rising edge on both CU and CD
 * in one call counts neither.
 * @return qu = CV >= PV (qd = CV <= 0 in the struct)
 */
PLC_API bool plc_ctud(struct plc_counter *fb, bool cu, bool cd, bool r, bool ld, int32_t pv);

/**
 * @brief Counter state with a range (the typed counters of Structured Text).
 *
 * CTU/CTD/CTUD of an INT, DINT, LINT or UDINT count in [min, max] (the
 * type's range) and stop there instead of wrapping; CV is kept in 64 bits.
 */
struct plc_counter_range {
    int64_t cv;  /**< output: current value, min..max */
    bool q;      /**< output (CTU: CV >= PV; CTD: CV <= 0) */
    bool qu, qd; /**< outputs of CTUD: CV >= PV, CV <= 0 */
    bool cu, cd; /**< private: CU and CD at the previous call */
};

/** @brief CTU counting up to @p max; as plc_ctu(). @return q = CV >= PV */
PLC_API bool plc_ctu_range(struct plc_counter_range *fb, bool cu, bool r, int64_t pv,
                           int64_t max);
/** @brief CTD counting down to @p min; LD loads PV as given. @return q = CV <= 0 */
PLC_API bool plc_ctd_range(struct plc_counter_range *fb, bool cd, bool ld, int64_t pv,
                           int64_t min);
/** @brief CTUD counting in [min, max]; as plc_ctud(). @return qu = CV >= PV */
PLC_API bool plc_ctud_range(struct plc_counter_range *fb, bool cu, bool cd, bool r, bool ld,
                            int64_t pv, int64_t min, int64_t max);

/** @brief Counter state of the ULINT counters: CV in 0..UINT64_MAX. */
struct plc_counter_u64 {
    uint64_t cv; /**< output: current value */
    bool q;      /**< output (CTU: CV >= PV; CTD: CV <= 0) */
    bool qu, qd; /**< outputs of CTUD */
    bool cu, cd; /**< private */
};

/** @brief CTU_ULINT: as plc_ctu(), stopping at UINT64_MAX. @return q */
PLC_API bool plc_ctu_u64(struct plc_counter_u64 *fb, bool cu, bool r, uint64_t pv);
/** @brief CTD_ULINT: as plc_ctd(), stopping at 0. @return q = CV == 0 */
PLC_API bool plc_ctd_u64(struct plc_counter_u64 *fb, bool cd, bool ld, uint64_t pv);
/** @brief CTUD_ULINT: as plc_ctud(), in 0..UINT64_MAX. @return qu */
PLC_API bool plc_ctud_u64(struct plc_counter_u64 *fb, bool cu, bool cd, bool r, bool ld,
                          uint64_t pv);

/** @brief HYSTERESIS state. */
struct plc_hysteresis {
    bool q; /**< output */
};

/**
 * @brief HYSTERESIS: Q goes TRUE when XIN1 > XIN2 + EPS and FALSE when
 * XIN1 < XIN2 - EPS; in between it keeps its value (FALSE at first).
 * @return q
 */
PLC_API bool plc_hysteresis(struct plc_hysteresis *fb, float xin1, float xin2, float eps);

/** @brief INTEGRAL state. */
struct plc_integral {
    bool q;     /**< output: NOT R1 */
    float xout; /**< output: X0 plus the integral of XIN, in XIN times seconds */
};

/**
 * @brief INTEGRAL: each call with RUN adds XIN * CYCLE (in seconds) to XOUT.
 *
 * R1 (dominant) sets XOUT to X0; RUN FALSE holds XOUT.
 * @param cycle CYCLE, the time one call stands for, ns.
 * @return xout
 */
PLC_API float plc_integral(struct plc_integral *fb, bool run, bool r1, float xin, float x0,
                           int64_t cycle);

/** @brief DERIVATIVE state. */
struct plc_derivative {
    float xout;       /**< output: rate of change of XIN, per second */
    float x1, x2, x3; /**< private: XIN of the last three calls */
};

/**
 * @brief DERIVATIVE: XOUT := (3 (XIN - X3) + X1 - X2) / (10 CYCLE), a
 * four-point slope over the last calls, exact on a ramp from the fourth call.
 *
 * RUN FALSE makes XOUT 0 and fills the history with XIN. CYCLE 0 gives XOUT
 * 0 where matiec divides by zero, so ctx->dt_ns (0 on the first scan) is safe.
 * @return xout
 */
PLC_API float plc_derivative(struct plc_derivative *fb, bool run, float xin, int64_t cycle);

/** @brief PID state. */
struct plc_pid {
    float xout;                 /**< output */
    float error;                /**< private: ERROR, PV - SP of the last call */
    struct plc_integral iterm;  /**< private: ITERM, integral of ERROR */
    struct plc_derivative dterm; /**< private: DTERM, derivative of ERROR */
};

/**
 * @brief PID: XOUT := KP * (ERROR + ITERM/TR + DTERM*TD), ERROR = PV - SP.
 *
 * ERROR is PV - SP, not SP - PV, as in matiec: an output that raises PV needs
 * a negative KP. TR (reset time) and TD (derivative time) are REAL seconds.
 * @p automatic FALSE is manual: XOUT = KP * X0 and ITERM is preset so that the
 * switch to automatic is bumpless. TR 0 gives NaN or infinity, as in matiec.
 * @param automatic AUTO (a C keyword).
 * @return xout
 */
PLC_API float plc_pid(struct plc_pid *fb, bool automatic, float pv, float sp, float x0, float kp,
                      float tr, float td, int64_t cycle);

/** @brief RAMP state. */
struct plc_ramp {
    bool busy;  /**< output: ramping */
    float xout; /**< output */
    float xi;   /**< private: X0 when RUN was last FALSE, where the ramp starts */
    int64_t t;  /**< private: ramp time so far, ns, CYCLE per call */
};

/**
 * @brief RAMP: with RUN, XOUT goes in a straight line from XI to X1 over TR,
 * one CYCLE per call, then follows X1; without RUN, XOUT follows X0.
 *
 * BUSY is TRUE while ramping. Time is counted in CYCLEs, not read from a
 * clock: with TR = 10 CYCLEs, XOUT = X1 from the eleventh call with RUN.
 * @return xout
 */
PLC_API float plc_ramp(struct plc_ramp *fb, bool run, float x0, float x1, int64_t tr,
                       int64_t cycle);

/** @brief RTC state. */
struct plc_rtc {
    bool q;         /**< output: IN */
    int64_t cdt;    /**< output: DATE_AND_TIME, ns since 1970-01-01 00:00 UTC */
    bool in;        /**< private: IN at the previous call */
    int64_t offset; /**< private: PDT - now at IN's rising edge, ns */
};

/**
 * @brief RTC: CDT is @p now_ns while IN is FALSE; a rising edge of IN loads
 * PDT, and CDT then runs on from it at the rate of @p now_ns.
 *
 * ctx->now_ns counts from the start of plc-logic, so with it CDT reads
 * 1970-01-01 plus the time since start while IN is FALSE, as OpenPLC's does.
 * @param pdt DATE_AND_TIME to load, ns since the epoch.
 * @param now_ns The scan time (ctx->now_ns), or a wall clock's ns since the epoch.
 * @return cdt
 */
PLC_API int64_t plc_rtc(struct plc_rtc *fb, bool in, int64_t pdt, uint64_t now_ns);

/** @brief SEMA state. */
struct plc_sema {
    bool busy; /**< output */
};

/**
 * @brief SEMA: BUSY := CLAIM OR (BUSY AND NOT RELEASE), matiec's (CLAIM
 * dominant, BUSY already TRUE in the call that claims).
 * @return busy
 */
PLC_API bool plc_sema(struct plc_sema *fb, bool claim, bool release);

/**
 * @brief Take new requests of a request/acknowledge command counter.
 *
 * The client adds 1 to the request counter @p req (a uint16 in a region the
 * Modbus gateway writes) for each command; the program answers by copying it
 * into its acknowledgement @p *ack (in a region the logic writes). The count
 * of new requests is the difference modulo 2^16, so requests that come faster
 * than the scan are all counted, and none twice.
 * @return requests not yet acknowledged (0 when none); *ack becomes @p req.
 */
PLC_API unsigned plc_cmd_take(uint16_t req, uint16_t *ack);

/** @} */

#ifdef __cplusplus
}
#endif

#endif
