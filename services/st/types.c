/* SPDX-License-Identifier: MIT */
/* The elementary types, their conversions, and the standard blocks' pins. */
#include <string.h>

#include "ast.h"

#define ELEM(k, n, c) {.kind = k, .name = n, .cname = c}
static const struct st_type elementary[] = {
    ELEM(TY_BOOL, "BOOL", "bool"),        ELEM(TY_SINT, "SINT", "int8_t"),
    ELEM(TY_INT, "INT", "int16_t"),       ELEM(TY_DINT, "DINT", "int32_t"),
    ELEM(TY_LINT, "LINT", "int64_t"),     ELEM(TY_USINT, "USINT", "uint8_t"),
    ELEM(TY_UINT, "UINT", "uint16_t"),    ELEM(TY_UDINT, "UDINT", "uint32_t"),
    ELEM(TY_ULINT, "ULINT", "uint64_t"),  ELEM(TY_BYTE, "BYTE", "uint8_t"),
    ELEM(TY_WORD, "WORD", "uint16_t"),    ELEM(TY_DWORD, "DWORD", "uint32_t"),
    ELEM(TY_LWORD, "LWORD", "uint64_t"),  ELEM(TY_REAL, "REAL", "float"),
    ELEM(TY_LREAL, "LREAL", "double"),    ELEM(TY_TIME, "TIME", "int64_t"),
    {.kind = TY_STRING, .name = "STRING", .cname = NULL, .strlen = 80},
    ELEM(TY_DATE, "DATE", "int64_t"),     ELEM(TY_TOD, "TOD", "int64_t"),
    ELEM(TY_DT, "DT", "int64_t"),
    ELEM(TY_ANYINT, "an integer literal", "int64_t"),
    ELEM(TY_ANYREAL, "a real literal", "double"),
    ELEM(TY_VOID, "no value", "void"),
    ELEM(TY_ERROR, "?", "int"),
};

const struct st_type *st_type_elem(enum st_tkind k)
{
    for (size_t i = 0; i < sizeof(elementary) / sizeof(elementary[0]); i++)
        if (elementary[i].kind == k)
            return &elementary[i];
    return &elementary[sizeof(elementary) / sizeof(elementary[0]) - 1];
}

const struct st_type *st_type_by_name(const char *name)
{
    for (size_t i = 0; elementary[i].kind != TY_ANYINT; i++) /* the names a source spells */
        if (st_ieq(elementary[i].name, name))
            return &elementary[i];
    if (st_ieq(name, "TIME_OF_DAY"))
        return st_type_elem(TY_TOD);
    if (st_ieq(name, "DATE_AND_TIME"))
        return st_type_elem(TY_DT);
    return NULL;
}

const char *st_tkind_name(enum st_tkind k)
{
    return st_type_elem(k)->name;
}

bool st_type_is_int(const struct st_type *t)
{
    return (t->kind >= TY_SINT && t->kind <= TY_ULINT) || t->kind == TY_ANYINT;
}

bool st_type_is_signed(const struct st_type *t)
{
    return (t->kind >= TY_SINT && t->kind <= TY_LINT) || t->kind == TY_ANYINT ||
           t->kind == TY_TIME;
}

bool st_type_is_bits(const struct st_type *t)
{
    return t->kind >= TY_BYTE && t->kind <= TY_LWORD;
}

bool st_type_is_real(const struct st_type *t)
{
    return t->kind == TY_REAL || t->kind == TY_LREAL || t->kind == TY_ANYREAL;
}

bool st_type_is_num(const struct st_type *t)
{
    return st_type_is_int(t) || st_type_is_real(t);
}

bool st_type_is_anyint(const struct st_type *t)
{
    return st_type_is_int(t) || st_type_is_bits(t);
}

bool st_type_is_scalar(const struct st_type *t)
{
    return t->kind >= TY_BOOL && t->kind <= TY_DT;
}

unsigned st_type_bits(const struct st_type *t)
{
    switch (t->kind) {
    case TY_BOOL: return 1;
    case TY_SINT: case TY_USINT: case TY_BYTE: return 8;
    case TY_INT: case TY_UINT: case TY_WORD: return 16;
    case TY_DINT: case TY_UDINT: case TY_DWORD: case TY_REAL: case TY_ENUM: return 32;
    default: return 64;
    }
}

const char *st_type_ctype(const struct st_type *t)
{
    if (t->kind == TY_ENUM)
        return "int32_t";
    return st_type_elem(t->kind)->cname;
}

int64_t st_type_min(const struct st_type *t)
{
    if (t->has_range)
        return t->lo;
    switch (t->kind) {
    case TY_SINT: return INT8_MIN;
    case TY_INT: return INT16_MIN;
    case TY_DINT: case TY_ENUM: return INT32_MIN;
    case TY_LINT: case TY_TIME: case TY_DATE: case TY_TOD: case TY_DT: case TY_ANYINT:
        return INT64_MIN;
    default: return 0;
    }
}

uint64_t st_type_max(const struct st_type *t)
{
    if (t->has_range)
        return (uint64_t)t->hi;
    switch (t->kind) {
    case TY_BOOL: return 1;
    case TY_SINT: return INT8_MAX;
    case TY_INT: return INT16_MAX;
    case TY_DINT: case TY_ENUM: return INT32_MAX;
    case TY_LINT: case TY_TIME: case TY_DATE: case TY_TOD: case TY_DT: return INT64_MAX;
    case TY_USINT: case TY_BYTE: return UINT8_MAX;
    case TY_UINT: case TY_WORD: return UINT16_MAX;
    case TY_UDINT: case TY_DWORD: return UINT32_MAX;
    default: return UINT64_MAX;
    }
}

static int signed_rank(enum st_tkind k)
{
    return k >= TY_SINT && k <= TY_LINT ? (int)(k - TY_SINT) : -1;
}
static int unsigned_rank(enum st_tkind k)
{
    return k >= TY_USINT && k <= TY_ULINT ? (int)(k - TY_USINT) : -1;
}
static int bits_rank(enum st_tkind k)
{
    return k >= TY_BYTE && k <= TY_LWORD ? (int)(k - TY_BYTE) : -1;
}

/* Two ARRAY declarations of the same bounds and element (`a, b :
 * ARRAY[1..3] OF INT` makes two): one type, byte for byte the same. */
static bool array_same(const struct st_type *a, const struct st_type *b)
{
    if (a->ndims != b->ndims)
        return false;
    for (unsigned d = 0; d < a->ndims; d++)
        if (a->dlo[d] != b->dlo[d] || a->dhi[d] != b->dhi[d])
            return false;
    const struct st_type *x = a->elem, *y = b->elem;
    if (x->kind == TY_ARRAY && y->kind == TY_ARRAY)
        return array_same(x, y);
    return x == y || (x->kind == y->kind && x->kind != TY_ENUM && x->kind != TY_STRUCT &&
                      x->kind != TY_FB && x->kind != TY_ARRAY && x->kind != TY_STDFB &&
                      x->strlen == y->strlen && x->has_range == y->has_range &&
                      x->lo == y->lo && x->hi == y->hi);
}

bool st_type_same(const struct st_type *a, const struct st_type *b)
{
    if (a == b)
        return true;
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case TY_STRING: return true; /* lengths differ: assignment truncates */
    case TY_ARRAY: return array_same(a, b);
    case TY_ENUM: case TY_STRUCT: case TY_FB: return a == b;
    case TY_STDFB: return a->std == b->std;
    default: return true; /* a subrange is its base type for typing */
    }
}

bool st_type_implicit(const struct st_type *from, const struct st_type *to)
{
    if (st_type_same(from, to))
        return true;
    enum st_tkind f = from->kind, t = to->kind;
    if (f == TY_ANYINT)
        return st_type_is_num(to) || st_type_is_bits(to);
    if (f == TY_ANYREAL)
        return st_type_is_real(to);
    int fs = signed_rank(f), fu = unsigned_rank(f), fb = bits_rank(f);
    int ts = signed_rank(t), tu = unsigned_rank(t), tb = bits_rank(t);
    if (fs >= 0 && ts >= 0)
        return fs <= ts;
    if (fu >= 0 && tu >= 0)
        return fu <= tu;
    if (fu >= 0 && ts >= 0)
        return fu < ts;
    if (fb >= 0 && tb >= 0)
        return fb <= tb;
    if ((fs >= 0 || fu >= 0) && t == TY_REAL)
        return st_type_bits(from) <= 16;
    if ((fs >= 0 || fu >= 0) && t == TY_LREAL)
        return st_type_bits(from) <= 32;
    if (f == TY_REAL && t == TY_LREAL)
        return true;
    return false;
}

void st_type_describe(const struct st_type *t, char *buf, size_t len)
{
    if (t->kind == TY_STRING)
        snprintf(buf, len, "STRING[%u]", t->strlen);
    else if (t->kind == TY_ARRAY && !t->name)
        snprintf(buf, len, "ARRAY OF %s", t->elem && t->elem->name ? t->elem->name : "?");
    else
        snprintf(buf, len, "%s", t->name ? t->name : "?");
}

/* ---- standard function blocks ------------------------------------------------------- */

static const struct st_stdfb_pin timer_pins[] = {
    {"IN", false, TY_BOOL, "in"}, {"PT", false, TY_TIME, "pt"},
    {"Q", true, TY_BOOL, "fb.q"}, {"ET", true, TY_TIME, "fb.et"},
};
static const struct st_stdfb_pin rtrig_pins[] = {
    {"CLK", false, TY_BOOL, "clk"}, {"Q", true, TY_BOOL, "fb.q"},
};
static const struct st_stdfb_pin sr_pins[] = {
    {"S1", false, TY_BOOL, "s"}, {"R", false, TY_BOOL, "r"}, {"Q1", true, TY_BOOL, "fb.q1"},
};
static const struct st_stdfb_pin rs_pins[] = {
    {"S", false, TY_BOOL, "s"}, {"R1", false, TY_BOOL, "r"}, {"Q1", true, TY_BOOL, "fb.q1"},
};
static const struct st_stdfb_pin ctu_pins[] = {
    {"CU", false, TY_BOOL, "cu"}, {"R", false, TY_BOOL, "r"}, {"PV", false, TY_ANYINT, "pv"},
    {"Q", true, TY_BOOL, "q"}, {"CV", true, TY_ANYINT, "cv"},
};
static const struct st_stdfb_pin ctd_pins[] = {
    {"CD", false, TY_BOOL, "cd"}, {"LD", false, TY_BOOL, "ld"}, {"PV", false, TY_ANYINT, "pv"},
    {"Q", true, TY_BOOL, "q"}, {"CV", true, TY_ANYINT, "cv"},
};
static const struct st_stdfb_pin ctud_pins[] = {
    {"CU", false, TY_BOOL, "cu"}, {"CD", false, TY_BOOL, "cd"}, {"R", false, TY_BOOL, "r"},
    {"LD", false, TY_BOOL, "ld"}, {"PV", false, TY_ANYINT, "pv"},
    {"QU", true, TY_BOOL, "qu"}, {"QD", true, TY_BOOL, "qd"}, {"CV", true, TY_ANYINT, "cv"},
};

/* Private state (plc-iec.h's structs), kind as stored: what online change
 * must carry besides the pins. */
static const struct st_stdfb_pin timer_priv[] = { /* Q and ET are pins already */
    {"$in", true, TY_BOOL, "fb.in"}, {"$running", true, TY_BOOL, "fb.running"},
    {"$start", true, TY_ULINT, "fb.start"},
};
static const struct st_stdfb_pin trig_priv[] = {{"$m", true, TY_BOOL, "fb.m"}};
#define COUNTER_PRIV(S, CV)                                                                \
    static const struct st_stdfb_pin S[] = {                                              \
        {"$cv", true, CV, "fb.cv"}, {"$q", true, TY_BOOL, "fb.q"},                        \
        {"$qu", true, TY_BOOL, "fb.qu"}, {"$qd", true, TY_BOOL, "fb.qd"},                  \
        {"$cu", true, TY_BOOL, "fb.cu"}, {"$cd", true, TY_BOOL, "fb.cd"},                  \
    }
COUNTER_PRIV(counter_priv, TY_LINT);      /* struct plc_counter_range */
COUNTER_PRIV(counter_u64_priv, TY_ULINT); /* struct plc_counter_u64 */

/* OpenPLC's library blocks (runtime/include/plc-iec.h, docs/programs.md):
 * pins in matiec's order, which a positional call follows */
static const struct st_stdfb_pin hyst_pins[] = {
    {"XIN1", false, TY_REAL, "xin1"}, {"XIN2", false, TY_REAL, "xin2"},
    {"EPS", false, TY_REAL, "eps"}, {"Q", true, TY_BOOL, "fb.q"},
};
static const struct st_stdfb_pin integral_pins[] = {
    {"RUN", false, TY_BOOL, "run"}, {"R1", false, TY_BOOL, "r1"},
    {"XIN", false, TY_REAL, "xin"}, {"X0", false, TY_REAL, "x0"},
    {"CYCLE", false, TY_TIME, "cycle"}, {"Q", true, TY_BOOL, "fb.q"},
    {"XOUT", true, TY_REAL, "fb.xout"},
};
static const struct st_stdfb_pin deriv_pins[] = {
    {"RUN", false, TY_BOOL, "run"}, {"XIN", false, TY_REAL, "xin"},
    {"CYCLE", false, TY_TIME, "cycle"}, {"XOUT", true, TY_REAL, "fb.xout"},
};
static const struct st_stdfb_pin deriv_priv[] = {
    {"$x1", true, TY_REAL, "fb.x1"}, {"$x2", true, TY_REAL, "fb.x2"},
    {"$x3", true, TY_REAL, "fb.x3"},
};
static const struct st_stdfb_pin pid_pins[] = {
    {"AUTO", false, TY_BOOL, "automatic"}, {"PV", false, TY_REAL, "pv"},
    {"SP", false, TY_REAL, "sp"}, {"X0", false, TY_REAL, "x0"}, {"KP", false, TY_REAL, "kp"},
    {"TR", false, TY_REAL, "tr"}, {"TD", false, TY_REAL, "td"},
    {"CYCLE", false, TY_TIME, "cycle"}, {"XOUT", true, TY_REAL, "fb.xout"},
};
static const struct st_stdfb_pin pid_priv[] = {
    {"$error", true, TY_REAL, "fb.error"}, {"$iterm.q", true, TY_BOOL, "fb.iterm.q"},
    {"$iterm.xout", true, TY_REAL, "fb.iterm.xout"},
    {"$dterm.xout", true, TY_REAL, "fb.dterm.xout"}, {"$dterm.x1", true, TY_REAL, "fb.dterm.x1"},
    {"$dterm.x2", true, TY_REAL, "fb.dterm.x2"}, {"$dterm.x3", true, TY_REAL, "fb.dterm.x3"},
};
static const struct st_stdfb_pin ramp_pins[] = {
    {"RUN", false, TY_BOOL, "run"}, {"X0", false, TY_REAL, "x0"},
    {"X1", false, TY_REAL, "x1"}, {"TR", false, TY_TIME, "tr"},
    {"CYCLE", false, TY_TIME, "cycle"}, {"BUSY", true, TY_BOOL, "fb.busy"},
    {"XOUT", true, TY_REAL, "fb.xout"},
};
static const struct st_stdfb_pin ramp_priv[] = {
    {"$xi", true, TY_REAL, "fb.xi"}, {"$t", true, TY_TIME, "fb.t"},
};
static const struct st_stdfb_pin sema_pins[] = {
    {"CLAIM", false, TY_BOOL, "claim"}, {"RELEASE", false, TY_BOOL, "release"},
    {"BUSY", true, TY_BOOL, "fb.busy"},
};

/* RTC: CDT runs on the scan's clock from PDT (plc_rtc, docs/st.md) */
static const struct st_stdfb_pin rtc_pins[] = {
    {"IN", false, TY_BOOL, "in"}, {"PDT", false, TY_DT, "pdt"},
    {"Q", true, TY_BOOL, "fb.q"}, {"CDT", true, TY_DT, "fb.cdt"},
};
static const struct st_stdfb_pin rtc_priv[] = {
    {"$in", true, TY_BOOL, "fb.in"}, {"$offset", true, TY_LINT, "fb.offset"},
};

#define PINS(a) a, (unsigned)(sizeof(a) / sizeof(a[0]))
#define COUNTERS(sfx, k, priv)                                                             \
    {"CTU" sfx, SFB_CTU, k, PINS(ctu_pins), PINS(priv), false},                            \
        {"CTD" sfx, SFB_CTD, k, PINS(ctd_pins), PINS(priv), false},                        \
        {"CTUD" sfx, SFB_CTUD, k, PINS(ctud_pins), PINS(priv), false}
static const struct st_stdfb stdfbs[] = {
    {"TON", SFB_TON, 0, PINS(timer_pins), PINS(timer_priv), false},
    {"TOF", SFB_TOF, 0, PINS(timer_pins), PINS(timer_priv), false},
    {"TP", SFB_TP, 0, PINS(timer_pins), PINS(timer_priv), false},
    {"R_TRIG", SFB_RTRIG, 0, PINS(rtrig_pins), PINS(trig_priv), false},
    {"F_TRIG", SFB_FTRIG, 0, PINS(rtrig_pins), PINS(trig_priv), false},
    /* the bistables' only state is Q1, a pin */
    {"SR", SFB_SR, 0, PINS(sr_pins), NULL, 0, false},
    {"RS", SFB_RS, 0, PINS(rs_pins), NULL, 0, false},
    COUNTERS("", TY_INT, counter_priv),
    COUNTERS("_INT", TY_INT, counter_priv),
    COUNTERS("_DINT", TY_DINT, counter_priv),
    COUNTERS("_LINT", TY_LINT, counter_priv),
    COUNTERS("_UDINT", TY_UDINT, counter_priv),
    COUNTERS("_ULINT", TY_ULINT, counter_u64_priv),
    {"HYSTERESIS", SFB_HYSTERESIS, 0, PINS(hyst_pins), NULL, 0, true},
    {"INTEGRAL", SFB_INTEGRAL, 0, PINS(integral_pins), NULL, 0, true},
    {"DERIVATIVE", SFB_DERIVATIVE, 0, PINS(deriv_pins), PINS(deriv_priv), true},
    {"PID", SFB_PID, 0, PINS(pid_pins), PINS(pid_priv), true},
    {"RAMP", SFB_RAMP, 0, PINS(ramp_pins), PINS(ramp_priv), true},
    {"SEMA", SFB_SEMA, 0, PINS(sema_pins), NULL, 0, true},
    {"RTC", SFB_RTC, 0, PINS(rtc_pins), PINS(rtc_priv), true},
};

const struct st_stdfb *st_stdfb_find(const char *name)
{
    for (size_t i = 0; i < sizeof(stdfbs) / sizeof(stdfbs[0]); i++)
        if (st_ieq(stdfbs[i].name, name))
            return &stdfbs[i];
    return NULL;
}

static const char *const stdfn_names[] = {
    "TRUNC", "ABS", "SQRT", "LN", "LOG", "EXP", "SIN", "COS", "TAN", "ASIN", "ACOS", "ATAN",
    "EXPT", "MIN", "MAX", "LIMIT", "SEL", "MUX", "SHL", "SHR", "ROL", "ROR", "MOVE", "ADD",
    "SUB", "MUL", "DIV", "MOD", "GT", "GE", "EQ", "NE", "LE", "LT", "AND", "OR", "XOR", "NOT",
    "ADD_TIME", "SUB_TIME", "MUL_TIME", "DIV_TIME", "LEN", "CONCAT", "LEFT", "RIGHT", "MID",
    "FIND", "ADD_TOD_TIME", "ADD_DT_TIME", "SUB_DT_DT", "SUB_TOD_TOD", "SUB_DATE_DATE",
    "SUB_DT_TIME", "SUB_TOD_TIME", "CONCAT_DATE_TOD",
};

bool st_is_std_function(const char *name)
{
    for (size_t i = 0; i < sizeof(stdfn_names) / sizeof(stdfn_names[0]); i++)
        if (st_ieq(stdfn_names[i], name))
            return true;
    const char *to = NULL;
    for (const char *p = name; (p = strchr(p, '_')) != NULL; p++)
        if (strncasecmp(p, "_TO_", 4) == 0)
            to = p;
    return to != NULL;
}
