/* SPDX-License-Identifier: MIT */
/*
 * IEC 61131-3 standard function blocks (IEC 61131-3:2013, 6.6.3.5), driven
 * by the scan time the caller passes, never by a clock read here; and the
 * library blocks of matiec (lib/pid_st.txt and the like) that OpenPLC
 * programs use, computing what their ST bodies compute.
 */
#include <limits.h>
#include <stdint.h>

#include "plc-iec.h"

bool plc_r_trig(struct plc_trig *fb, bool clk)
{
    fb->q = clk && !fb->m;
    fb->m = clk;
    return fb->q;
}

bool plc_f_trig(struct plc_trig *fb, bool clk)
{
    /* m is "CLK was TRUE", so a first call with CLK FALSE is no falling edge */
    fb->q = !clk && fb->m;
    fb->m = clk;
    return fb->q;
}

bool plc_sr(struct plc_bistable *fb, bool s1, bool r)
{
    fb->q1 = s1 || (!r && fb->q1);
    return fb->q1;
}

bool plc_rs(struct plc_bistable *fb, bool s, bool r1)
{
    fb->q1 = !r1 && (s || fb->q1);
    return fb->q1;
}

static int64_t since(uint64_t start, uint64_t now)
{
    return now > start ? (int64_t)(now - start) : 0;
}

bool plc_ton(struct plc_timer *fb, bool in, int64_t pt, uint64_t now_ns)
{
    if (pt < 0)
        pt = 0;
    if (!in) {
        fb->running = false;
        fb->q = false;
        fb->et = 0;
    } else {
        if (!fb->in) {
            fb->running = true;
            fb->start = now_ns;
        }
        int64_t et = since(fb->start, now_ns);
        fb->et = et < pt ? et : pt;
        fb->q = et >= pt;
        fb->running = !fb->q;
    }
    fb->in = in;
    return fb->q;
}

bool plc_tof(struct plc_timer *fb, bool in, int64_t pt, uint64_t now_ns)
{
    if (pt < 0)
        pt = 0;
    if (in) {
        fb->running = false;
        fb->q = true;
        fb->et = 0;
    } else {
        if (fb->in) {
            fb->running = true;
            fb->start = now_ns;
        }
        if (fb->running) {
            int64_t et = since(fb->start, now_ns);
            fb->et = et < pt ? et : pt;
            if (et >= pt) {
                fb->q = false;
                fb->running = false;
            }
        }
    }
    fb->in = in;
    return fb->q;
}

bool plc_tp(struct plc_timer *fb, bool in, int64_t pt, uint64_t now_ns)
{
    if (pt < 0)
        pt = 0;
    if (!fb->running && !fb->q && in && !fb->in && pt > 0) {
        fb->running = true;
        fb->start = now_ns;
    }
    if (fb->running) {
        int64_t et = since(fb->start, now_ns);
        fb->et = et < pt ? et : pt;
        fb->q = et < pt;
        fb->running = fb->q;
    }
    if (!fb->running) {
        fb->q = false;
        if (!in)
            fb->et = 0;
    }
    fb->in = in;
    return fb->q;
}

/* The 32-bit counters are the range counters at DINT's range. */
static struct plc_counter_range widen(const struct plc_counter *fb)
{
    return (struct plc_counter_range){fb->cv, fb->q, fb->qu, fb->qd, fb->cu, fb->cd};
}

static bool narrow(struct plc_counter *fb, const struct plc_counter_range *r, bool out)
{
    *fb = (struct plc_counter){(int32_t)r->cv, r->q, r->qu, r->qd, r->cu, r->cd};
    return out;
}

bool plc_ctu(struct plc_counter *fb, bool cu, bool r, int32_t pv)
{
    struct plc_counter_range w = widen(fb);
    return narrow(fb, &w, plc_ctu_range(&w, cu, r, pv, INT32_MAX));
}

bool plc_ctd(struct plc_counter *fb, bool cd, bool ld, int32_t pv)
{
    struct plc_counter_range w = widen(fb);
    return narrow(fb, &w, plc_ctd_range(&w, cd, ld, pv, INT32_MIN));
}

bool plc_ctud(struct plc_counter *fb, bool cu, bool cd, bool r, bool ld, int32_t pv)
{
    struct plc_counter_range w = widen(fb);
    return narrow(fb, &w, plc_ctud_range(&w, cu, cd, r, ld, pv, INT32_MIN, INT32_MAX));
}

/* The typed counters: one body for every range, so INT's CTU saturates at
 * 32767 exactly as DINT's does at 2147483647. */
bool plc_ctu_range(struct plc_counter_range *fb, bool cu, bool r, int64_t pv, int64_t max)
{
    bool edge = cu && !fb->cu;
    fb->cu = cu;
    if (r)
        fb->cv = 0;
    else if (edge && fb->cv < max)
        fb->cv++;
    fb->q = fb->cv >= pv;
    return fb->q;
}

bool plc_ctd_range(struct plc_counter_range *fb, bool cd, bool ld, int64_t pv, int64_t min)
{
    bool edge = cd && !fb->cd;
    fb->cd = cd;
    if (ld)
        fb->cv = pv;
    else if (edge && fb->cv > min)
        fb->cv--;
    fb->q = fb->cv <= 0;
    return fb->q;
}

bool plc_ctud_range(struct plc_counter_range *fb, bool cu, bool cd, bool r, bool ld, int64_t pv,
                    int64_t min, int64_t max)
{
    bool up = cu && !fb->cu, down = cd && !fb->cd;
    fb->cu = cu;
    fb->cd = cd;
    if (r)
        fb->cv = 0;
    else if (ld)
        fb->cv = pv;
    else if (!(up && down)) {
        if (up && fb->cv < max)
            fb->cv++;
        else if (down && fb->cv > min)
            fb->cv--;
    }
    fb->qu = fb->cv >= pv;
    fb->qd = fb->cv <= 0;
    fb->q = fb->qu;
    return fb->qu;
}

bool plc_ctu_u64(struct plc_counter_u64 *fb, bool cu, bool r, uint64_t pv)
{
    bool edge = cu && !fb->cu;
    fb->cu = cu;
    if (r)
        fb->cv = 0;
    else if (edge && fb->cv < UINT64_MAX)
        fb->cv++;
    fb->q = fb->cv >= pv;
    return fb->q;
}

bool plc_ctd_u64(struct plc_counter_u64 *fb, bool cd, bool ld, uint64_t pv)
{
    bool edge = cd && !fb->cd;
    fb->cd = cd;
    if (ld)
        fb->cv = pv;
    else if (edge && fb->cv > 0)
        fb->cv--;
    fb->q = fb->cv == 0;
    return fb->q;
}

bool plc_ctud_u64(struct plc_counter_u64 *fb, bool cu, bool cd, bool r, bool ld, uint64_t pv)
{
    bool up = cu && !fb->cu, down = cd && !fb->cd;
    fb->cu = cu;
    fb->cd = cd;
    if (r)
        fb->cv = 0;
    else if (ld)
        fb->cv = pv;
    else if (!(up && down)) {
        if (up && fb->cv < UINT64_MAX)
            fb->cv++;
        else if (down && fb->cv > 0)
            fb->cv--;
    }
    fb->qu = fb->cv >= pv;
    fb->qd = fb->cv == 0;
    fb->q = fb->qu;
    return fb->qu;
}

bool plc_hysteresis(struct plc_hysteresis *fb, float xin1, float xin2, float eps)
{
    if (fb->q) {
        if (xin1 < (float)((double)xin2 - eps))
            fb->q = false;
    } else if (xin1 > (float)((double)xin2 + eps)) {
        fb->q = true;
    }
    return fb->q;
}

/* TIME_TO_REAL of matiec: seconds. */
static double seconds(int64_t ns)
{
    return (double)ns / 1e9;
}

float plc_integral(struct plc_integral *fb, bool run, bool r1, float xin, float x0, int64_t cycle)
{
    fb->q = !r1;
    if (r1)
        fb->xout = x0;
    else if (run)
        fb->xout = (float)(fb->xout + (double)xin * seconds(cycle));
    return fb->xout;
}

float plc_derivative(struct plc_derivative *fb, bool run, float xin, int64_t cycle)
{
    if (run) {
        /* no time, no slope: 0 rather than matiec's infinity or NaN */
        fb->xout = cycle == 0 ? 0.0f
                              : (float)((3.0 * ((double)xin - fb->x3) + fb->x1 - fb->x2) /
                                        (10.0 * seconds(cycle)));
        fb->x3 = fb->x2;
        fb->x2 = fb->x1;
        fb->x1 = xin;
    } else {
        fb->xout = 0.0f;
        fb->x1 = fb->x2 = fb->x3 = xin;
    }
    return fb->xout;
}

float plc_pid(struct plc_pid *fb, bool automatic, float pv, float sp, float x0, float kp, float tr,
              float td, int64_t cycle)
{
    fb->error = pv - sp;
    /* in manual, ITERM is preset so that the bracket below is X0 */
    plc_integral(&fb->iterm, automatic, !automatic, fb->error,
                 (float)((double)tr * ((double)x0 - fb->error)), cycle);
    plc_derivative(&fb->dterm, automatic, fb->error, cycle);
    fb->xout = (float)(kp * ((double)fb->error + (double)fb->iterm.xout / tr +
                             (double)fb->dterm.xout * td));
    return fb->xout;
}

static int64_t add_sat(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

float plc_ramp(struct plc_ramp *fb, bool run, float x0, float x1, int64_t tr, int64_t cycle)
{
    fb->busy = run;
    if (run) {
        /* TR <= 0 only differs from matiec with a negative CYCLE, where it divided by 0 */
        if (fb->t >= tr || tr <= 0) {
            fb->busy = false;
            fb->xout = x1;
        } else {
            fb->xout = (float)(fb->xi + ((double)x1 - fb->xi) * ((double)fb->t / (double)tr));
            fb->t = add_sat(fb->t, cycle);
        }
    } else {
        fb->xout = x0;
        fb->xi = x0;
        fb->t = 0;
    }
    return fb->xout;
}

int64_t plc_rtc(struct plc_rtc *fb, bool in, int64_t pdt, uint64_t now_ns)
{
    /* unsigned arithmetic: a PDT far from now wraps instead of overflowing */
    if (in) {
        if (!fb->in)
            fb->offset = (int64_t)((uint64_t)pdt - now_ns);
        fb->cdt = (int64_t)(now_ns + (uint64_t)fb->offset);
    } else {
        fb->cdt = (int64_t)now_ns;
    }
    fb->q = in;
    fb->in = in;
    return fb->cdt;
}

bool plc_sema(struct plc_sema *fb, bool claim, bool release)
{
    fb->busy = claim || (fb->busy && !release);
    return fb->busy;
}

unsigned plc_cmd_take(uint16_t req, uint16_t *ack)
{
    unsigned n = (uint16_t)(req - *ack);
    *ack = req;
    return n;
}
