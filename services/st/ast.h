/* SPDX-License-Identifier: MIT */
/*
 * plc-st internals: the arena, the diagnostic context, tokens, the syntax
 * tree, types and the phases' entry points. One header for the tree, one .c
 * per phase (lex, parse, sema, fold, emit, driver).
 */
#ifndef PLC_ST_AST_H
#define PLC_ST_AST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- arena: the whole tree is freed at once ---------------------------- */

struct st_arena_block;
struct st_arena {
    struct st_arena_block *head;
};
void *st_alloc(struct st_arena *a, size_t n); /* zeroed */
char *st_strndup(struct st_arena *a, const char *s, size_t n);
char *st_strdup(struct st_arena *a, const char *s);
char *st_lower(struct st_arena *a, const char *s);
void st_arena_free(struct st_arena *a);
bool st_ieq(const char *a, const char *b);

/* ---- diagnostics --------------------------------------------------------- */

struct st_loc {
    uint32_t file; /* index in st_ctx.sources */
    uint32_t line, col;
};

/* Where a line of a translated source (plcopen.c) came from: line @c line
 * of the user's file; a verbatim line (an ST body) keeps its columns shifted
 * by @c col, any other points at column @c col. */
struct st_line_origin {
    uint32_t line, col;
    bool verbatim;
};

struct st_source {
    const char *name;
    const char *text;
    size_t len;
    /* A source translated from the user's file (PLCopen XML): that file's
     * text, quoted in diagnostics, and the origin of each line of @c text. */
    const char *shown;
    size_t shown_len;
    const struct st_line_origin *origin;
    uint32_t origin_lines;
};

#define ST_MAX_SOURCES 64
#define ST_MAX_ERRORS 100

/* Everything one compilation owns: no globals in the library. */
struct st_ctx {
    struct st_arena arena;
    struct st_source sources[ST_MAX_SOURCES];
    size_t source_count;
    FILE *diag;
    unsigned errors, warnings;
    bool muted;   /* past ST_MAX_ERRORS */
};

void st_ctx_init(struct st_ctx *ctx, FILE *diag);
void st_ctx_free(struct st_ctx *ctx);
void st_error(struct st_ctx *ctx, struct st_loc loc, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void st_warning(struct st_ctx *ctx, struct st_loc loc, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A diagnostic without a position in the source (files, options). */
void st_error_plain(struct st_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* @p loc as a position in the user's file (differs for a translated source). */
struct st_loc st_loc_user(const struct st_ctx *ctx, struct st_loc loc);
/* The text of line @p line of source @p file, its length in *len. */
const char *st_source_line(const struct st_ctx *ctx, uint32_t file, uint32_t line, size_t *len);

/* codes.c: the one table of diagnostic codes. */
struct st_code {
    int code;
    const char *title;
    const char *explain; /* the why, a failing example and its fix */
};
const struct st_code *st_code_find(int code);
const struct st_code *st_code_at(size_t i); /* NULL past the end */

/* ---- tokens ---------------------------------------------------------------- */

enum st_tok {
    T_EOF = 1, T_IDENT, T_INT, T_REAL, T_TIME, T_STRING, T_TYPEPFX, T_DIRECT, T_PRAGMA,
    T_ASSIGN, T_ARROW, T_COLON, T_SEMI, T_COMMA, T_DOT, T_DOTDOT, T_LPAREN, T_RPAREN,
    T_LBRACK, T_RBRACK, T_PLUS, T_MINUS, T_STAR, T_POW, T_SLASH, T_EQ, T_NE, T_LT, T_LE,
    T_GT, T_GE, T_AMP, T_CARET,
};

struct st_token {
    enum st_tok kind;
    struct st_loc loc;
    const char *text; /* identifier (as written), typed-literal prefix, address */
    uint64_t ival;    /* T_INT magnitude */
    bool overflow;    /* T_INT beyond 64 bits, T_TIME beyond int64 */
    double rval;      /* T_REAL */
    int64_t tval;     /* T_TIME, ns */
    char *str;        /* T_STRING decoded */
    size_t slen;
};

struct st_tokens {
    struct st_token *v;
    size_t n;
};

/* Tokenise one source (already in ctx->sources[file]); always ends with T_EOF. */
void st_lex(struct st_ctx *ctx, uint32_t file, struct st_tokens *out);

/* ---- types ----------------------------------------------------------------- */

/* Elementary kinds share plc_st_kind's numbers (plc-st.h). */
enum st_tkind {
    TY_BOOL = 1, TY_SINT, TY_INT, TY_DINT, TY_LINT, TY_USINT, TY_UINT, TY_UDINT, TY_ULINT,
    TY_BYTE, TY_WORD, TY_DWORD, TY_LWORD, TY_REAL, TY_LREAL, TY_TIME, TY_STRING, TY_ENUM,
    TY_DATE, TY_TOD, TY_DT, /* int64 ns, like TIME (date.c) */
    TY_STRUCT, TY_ARRAY, TY_FB, TY_STDFB, TY_ANYINT, TY_ANYREAL, TY_VOID, TY_ERROR,
};

struct st_field {
    const char *name;
    const struct st_type *type;
    struct st_vardecl *decl;
    struct st_field *next;
};

struct st_enumval {
    const char *name;
    int32_t value;
    struct st_loc loc;
    struct st_enumval *next;
};

#define ST_MAX_DIMS 4

struct st_stdfb;

struct st_type {
    enum st_tkind kind;
    const char *name;        /* as declared or the elementary name */
    const char *cname;       /* C type name, for the named ones */
    unsigned strlen;         /* STRING[n] */
    bool has_range;          /* subrange */
    int64_t lo, hi;
    const struct st_type *elem;    /* ARRAY element, subrange base */
    unsigned ndims;
    int64_t dlo[ST_MAX_DIMS], dhi[ST_MAX_DIMS];
    struct st_field *fields;       /* STRUCT */
    struct st_enumval *values;     /* ENUM */
    unsigned value_count;
    struct st_pou *pou;            /* TY_FB */
    const struct st_stdfb *std;    /* TY_STDFB */
    const struct st_init *init;    /* a TYPE's own initial value (TYPE t : ... := v) */
    unsigned id;                   /* for generated names */
};

const struct st_type *st_type_elem(enum st_tkind k); /* BOOL..TIME, ANYINT, ANYREAL, VOID, ERROR */
const struct st_type *st_type_by_name(const char *name); /* elementary names, NULL if none */
const char *st_tkind_name(enum st_tkind k);
bool st_type_is_int(const struct st_type *t);    /* signed or unsigned integer (not bits) */
bool st_type_is_signed(const struct st_type *t);
bool st_type_is_bits(const struct st_type *t);   /* BYTE..LWORD */
bool st_type_is_real(const struct st_type *t);
bool st_type_is_num(const struct st_type *t);    /* int or real */
bool st_type_is_anyint(const struct st_type *t); /* int, bits (for bitwise) */
bool st_type_is_scalar(const struct st_type *t);
unsigned st_type_bits(const struct st_type *t);  /* width of integer/bit kinds, BOOL 1 */
const char *st_type_ctype(const struct st_type *t); /* elementary C type */
/* Lossless implicit conversion of @p from into @p to. */
bool st_type_implicit(const struct st_type *from, const struct st_type *to);
bool st_type_same(const struct st_type *a, const struct st_type *b);
int64_t st_type_min(const struct st_type *t);
uint64_t st_type_max(const struct st_type *t);
void st_type_describe(const struct st_type *t, char *buf, size_t len);

/* ---- standard blocks --------------------------------------------------------- */

enum st_stdfb_kind {
    SFB_TON = 1, SFB_TOF, SFB_TP, SFB_RTRIG, SFB_FTRIG, SFB_SR, SFB_RS, SFB_CTU, SFB_CTD, SFB_CTUD,
    /* OpenPLC's library (matiec's lib/): a user POU of the same name wins */
    SFB_HYSTERESIS, SFB_INTEGRAL, SFB_DERIVATIVE, SFB_PID, SFB_RAMP, SFB_SEMA, SFB_RTC,
};

struct st_stdfb_pin {
    const char *name;
    bool output;
    enum st_tkind kind;  /* TY_ANYINT: the counter's own type */
    const char *cfield;  /* member of the generated instance struct */
};

struct st_stdfb {
    const char *name;
    enum st_stdfb_kind kind;
    enum st_tkind cv;    /* counters: type of PV and CV */
    const struct st_stdfb_pin *pins;
    unsigned pin_count;
    /* The private fields of the runtime's block struct, named "$in" etc. (no
     * ST source can spell them): listed in plc_st_meta so an online change
     * carries a running timer or a counter's count (plc-st.h). */
    const struct st_stdfb_pin *priv;
    unsigned priv_count;
    bool library; /* not IEC's: a user POU may take its name (and then wins) */
};

const struct st_stdfb *st_stdfb_find(const char *name);
bool st_is_std_function(const char *name);

/* ---- the tree ------------------------------------------------------------------ */

enum st_op {
    OP_OR = 1, OP_XOR, OP_AND, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_ADD, OP_SUB,
    OP_MUL, OP_DIV, OP_MOD, OP_POW, OP_NEG, OP_NOT, OP_PLUS,
};

enum st_expr_kind {
    E_INT = 1, E_REAL, E_BOOL, E_TIME, E_STRING, E_ENUM, E_NAME, E_MEMBER, E_BIT, E_INDEX,
    E_CALL, E_UNARY, E_BINARY, E_CONV,
    E_NOW, /* the scan's time (TIME), for a chart's step times (sfc.c) */
};

struct st_arg {
    const char *name;  /* formal: the pin, NULL when positional */
    bool out;          /* `=>` */
    struct st_expr *e;
    struct st_loc loc;
    struct st_arg *next;
    /* sema */
    int pin;           /* index of the parameter it binds */
};

struct st_var;
struct st_pou;
struct plc_tag_def;
struct plc_layout;

/* What a call resolved to. */
enum st_callee {
    CALL_NONE = 0, CALL_USERFN, CALL_STDFN, CALL_FB, CALL_STDFB,
};

struct st_expr {
    enum st_expr_kind kind;
    struct st_loc loc;
    uint64_t ival;
    bool overflow;
    bool neg;               /* E_INT, E_REAL: a literal written with a minus */
    double rval;
    int64_t tval;
    char *str;
    size_t slen;
    const char *lit_type;   /* typed literal's prefix, "INT" of INT#5 */
    const char *name;       /* E_NAME, E_MEMBER's member, E_CALL's function, E_ENUM's value */
    enum st_op op;
    struct st_expr *a, *b;  /* operands; E_MEMBER/E_BIT/E_INDEX/E_CONV base in a */
    struct st_expr *idx;    /* E_INDEX subscripts, linked by next */
    unsigned bit;           /* E_BIT */
    struct st_arg *args;    /* E_CALL */
    struct st_expr *next;
    /* sema */
    const struct st_type *type;
    struct st_var *var;          /* E_NAME */
    const struct st_field *field;/* E_MEMBER of a struct or FB */
    int pin;                     /* E_MEMBER of a standard block: its pin */
    enum st_callee callee;
    struct st_pou *pou;          /* CALL_USERFN */
    int fn;                      /* CALL_STDFN: enum st_fn */
    const struct st_type *optype;/* CALL_STDFN: the type it computes at */
    const struct st_type *srctype; /* conversions: the source type */
    int32_t enumval;             /* E_ENUM */
    bool faults;                 /* may set a run-time fault */
    bool counted, write_counted; /* E_NAME: in its variable's refs, writes */
};

enum st_stmt_kind {
    S_ASSIGN = 1, S_CALL, S_IF, S_CASE, S_FOR, S_WHILE, S_REPEAT, S_EXIT, S_CONTINUE,
    S_RETURN, S_EMPTY,
};

struct st_label {
    struct st_expr *lo, *hi; /* hi NULL: one value */
    struct st_loc loc;
    struct st_label *next;
    int64_t vlo, vhi;        /* sema */
};

struct st_branch {
    struct st_label *labels;
    struct st_stmt *body;
    struct st_branch *next;
};

struct st_stmt {
    enum st_stmt_kind kind;
    struct st_loc loc;
    struct st_expr *lhs, *rhs;   /* S_ASSIGN; S_CALL: rhs is the call; S_FOR: lhs the variable */
    struct st_expr *cond;        /* IF, WHILE, REPEAT; CASE selector */
    struct st_expr *from, *to, *by;
    struct st_stmt *body, *else_body;  /* ELSIF: an IF in else_body */
    struct st_branch *branches;  /* CASE */
    struct st_stmt *next;
    bool faults;                 /* sema: may fault (the emitter tests after it) */
};

enum st_section {
    SEC_VAR = 1, SEC_INPUT, SEC_OUTPUT, SEC_INOUT, SEC_TEMP, SEC_EXTERNAL, SEC_GLOBAL,
};
enum st_var_flag { VF_CONSTANT = 1, VF_RETAIN = 2 };

enum st_tspec_kind { TS_NAME = 1, TS_STRING, TS_ARRAY, TS_SUBRANGE, TS_ENUM, TS_STRUCT };

struct st_range {
    struct st_expr *lo, *hi;
    struct st_range *next;
};

struct st_vardecl;

struct st_tspec {
    enum st_tspec_kind kind;
    struct st_loc loc;
    const char *name;          /* TS_NAME; TS_SUBRANGE's base */
    struct st_expr *len;       /* TS_STRING, may be NULL */
    struct st_range *dims;     /* TS_ARRAY; TS_SUBRANGE's one range */
    struct st_tspec *elem;     /* TS_ARRAY */
    struct st_enumdecl {
        const char *name;
        struct st_expr *value;
        struct st_loc loc;
        struct st_enumdecl *next;
    } *enums;
    struct st_vardecl *fields; /* TS_STRUCT */
};

enum st_init_kind { I_EXPR = 1, I_ARRAY, I_STRUCT };
struct st_init {
    enum st_init_kind kind;
    struct st_loc loc;
    struct st_expr *e;         /* I_EXPR */
    struct st_expr *repeat;    /* in an I_ARRAY: `3(0)` */
    const char *field;         /* in an I_STRUCT */
    struct st_init *items;     /* I_ARRAY, I_STRUCT */
    struct st_init *next;
};

struct st_vardecl {
    const char *name;
    struct st_loc loc;
    const char *address;       /* "%QX0.0", canonical; NULL */
    struct st_loc addr_loc;
    enum st_section section;
    unsigned flags;
    struct st_tspec *ts;
    struct st_init *init;
    struct st_vardecl *next;
    /* A chart's state (sfc.c), named "$step.s.X" etc. so no ST name can
     * reach or clash with it; its C name maps '$' and '.' (st_cident). */
    bool hidden;
    /* sema */
    const struct st_type *type;
};

/* A variable in scope (a POU's, or a configuration's global). */
struct st_var {
    struct st_vardecl *decl;
    const struct st_type *type;
    const char *cname;
    struct st_pou *owner;      /* NULL for a configuration's global */
    struct st_var *global;     /* VAR_EXTERNAL: the VAR_GLOBAL it names, if any */
    const struct plc_tag_def *tag; /* the layout tag it is, or NULL */
    bool tag_writable;
    /* references: all, and those that write it (assignment targets, outputs
     * bound with =>, VAR_IN_OUT arguments): what `plc-st layout` reads */
    unsigned refs, writes;
    unsigned id;
    struct st_var *next;
};

enum st_pou_kind { POU_PROGRAM = 1, POU_FB, POU_FUNCTION };

/* ---- a textual Sequential Function Chart (parse.c reads it, sfc.c lowers it to ST) -- */

struct st_sfc_name {
    const char *name;
    struct st_loc loc;
    struct st_sfc_name *next;
};

/* An action association of a step: `a(L, T#2s)`. */
struct st_sfc_assoc {
    const char *action;
    struct st_loc loc;
    const char *qual;        /* "N" when none was written */
    struct st_loc qual_loc;
    struct st_expr *time;    /* NULL when none was written */
    struct st_sfc_assoc *next;
};

struct st_sfc_step {
    const char *name;
    struct st_loc loc;
    bool initial;
    struct st_sfc_assoc *assocs;
    struct st_sfc_step *next;
};

struct st_sfc_trans {
    const char *name;        /* NULL: unnamed */
    struct st_loc loc;
    int64_t priority;        /* 0 unless (PRIORITY := n) */
    unsigned order;          /* textual position */
    struct st_sfc_name *from, *to;
    struct st_expr *cond;    /* `:= expr;` */
    struct st_stmt *body;    /* `: statements` assigning the transition's name */
    struct st_sfc_trans *next;
};

struct st_sfc_action {
    const char *name;
    struct st_loc loc;
    struct st_stmt *body;
    struct st_sfc_action *next;
};

struct st_sfc {
    struct st_loc loc;
    struct st_sfc_step *steps;
    struct st_sfc_trans *trans;
    struct st_sfc_action *actions;
};

struct st_ctx;
struct st_pou;
/* Lower @p u's chart into hidden declarations and a plain ST body (sfc.c). */
void st_sfc_lower(struct st_ctx *ctx, struct st_pou *u);
/* The C identifier of ST name @p name after @p prefix: a hidden name's '$'
 * dropped and '.' made "__", which no ST identifier may contain. */
const char *st_cident(struct st_arena *a, const char *prefix, const char *name);

struct st_pou {
    enum st_pou_kind kind;
    const char *name;
    struct st_loc loc;
    struct st_tspec *ret;
    struct st_vardecl *decls;
    struct st_stmt *body;
    struct st_sfc *sfc;        /* a chart body, lowered into decls and body by sfc.c */
    bool has_pragma;
    struct st_loc pragma_loc;
    const char *pragma_what;
    struct st_pou *next;
    /* sema */
    const struct st_type *rettype;
    struct st_var *vars;
    struct st_var *result;     /* FUNCTION: the variable named as the function */
    struct st_type *type;      /* PROGRAM, FB: its instance type */
    bool used, checked, checking;
    unsigned id;
};

struct st_typedecl {
    const char *name;
    struct st_loc loc;
    struct st_tspec *ts;
    struct st_init *init;
    struct st_typedecl *next;
    const struct st_type *type;
    bool resolving;
};

struct st_task {
    const char *name;
    struct st_loc loc;
    struct st_expr *interval;
    struct st_expr *single;
    struct st_expr *priority;
    struct st_task *next;
    /* sema */
    uint64_t interval_ns;      /* 0: none given */
    uint32_t prio;
    bool used;                 /* an instance runs WITH it */
};

struct st_instance {
    const char *name;
    const char *task;
    const char *type;
    struct st_loc loc;
    struct st_instance *next;
    struct st_pou *pou;
    struct st_task *with;      /* sema: its task, or NULL (the tick's task) */
};

struct st_config {
    const char *name;
    struct st_loc loc;
    struct st_vardecl *globals;
    struct st_task *tasks;
    struct st_instance *instances;
    unsigned resources;
    struct st_config *next;
    struct st_loc resource_loc;
};

struct st_unit {
    struct st_pou *pous;
    struct st_typedecl *types;
    struct st_config *configs;
    /* sema */
    struct st_var *globals;
    uint64_t interval_ns;
    struct st_instance *run;   /* what scan runs, in order */
    /* The tasks of the program object when it has several (0 otherwise: one
     * scan runs every instance): the used ones in declaration order, then
     * sched_tick's for instances without WITH. */
    struct st_task *sched[16];
    size_t sched_count;
    struct st_task sched_tick;
    const struct st_type **order; /* aggregate types, each after those it holds */
    size_t order_count, order_cap;
    struct st_pou *root;       /* the program run without a configuration */
    unsigned type_count;
};

/* Parse one tokenised source, appending to @p unit. */
/* How the text of the T_PRAGMA token an OpenPLC (*FILE:name:...*) C block
 * becomes starts: "(*FILE:name*) block". */
#define ST_FILE_BLOCK_PREFIX "(*FILE:"

void st_parse(struct st_ctx *ctx, const struct st_tokens *toks, struct st_unit *unit);

/* ---- constant values and folding (fold.c: shares no code with emit.c) ------------ */

struct st_value {
    const struct st_type *type;
    union {
        bool b;
        int64_t i;   /* signed kinds, TIME, ENUM */
        uint64_t u;  /* unsigned kinds, bit strings */
        double r;
    };
    bool div0;       /* the fold met a division by zero */
};

/* Fold a checked expression; false when it is not constant. */
bool st_fold(const struct st_expr *e, struct st_value *out);

/* ---- semantic analysis --------------------------------------------------------- */

struct st_layout_binding;

struct st_sema_options {
    const char *program;                 /* --program, or NULL */
    bool need_program;                   /* build: one program must be chosen */
    const struct plc_layout *layout;     /* NULL: externals are plain state */
};

/* Check the unit. @return errors (0: emit may run). */
unsigned st_sema(struct st_ctx *ctx, struct st_unit *unit, const struct st_sema_options *o);

/* ---- C emission ----------------------------------------------------------------------- */

struct st_emit_options {
    const struct plc_layout *layout;
    const char *program_name;
    const char *source_list; /* plc_st_meta.source */
};
int st_emit(struct st_ctx *ctx, const struct st_unit *unit, const struct st_emit_options *o,
            FILE *out);
/* Lines of the emitted C the driver may cut it at: each POU's functions
 * start after a PART line, the program's own functions and tables after the
 * TAIL line; what comes before the first PART (includes, prelude, types,
 * state, prototypes) is what every piece needs. */
#define ST_EMIT_PART "/* plc-st: part */"
#define ST_EMIT_TAIL "/* plc-st: tail */"

/* Standard functions (sema resolves, emit lowers). */
enum st_fn {
    FN_CONV = 1, FN_TRUNC, FN_ABS, FN_SQRT, FN_LN, FN_LOG, FN_EXP, FN_SIN, FN_COS, FN_TAN,
    FN_ASIN, FN_ACOS, FN_ATAN, FN_EXPT, FN_MIN, FN_MAX, FN_LIMIT, FN_SEL, FN_MUX, FN_SHL,
    FN_SHR, FN_ROL, FN_ROR, FN_MOVE, FN_ADD, FN_SUB, FN_MUL, FN_DIV, FN_MOD, FN_GT, FN_GE,
    FN_EQ, FN_NE, FN_LE, FN_LT, FN_AND, FN_OR, FN_XOR, FN_NOT, FN_ADD_TIME, FN_SUB_TIME,
    FN_MUL_TIME, FN_DIV_TIME, FN_LEN, FN_CONCAT, FN_LEFT, FN_RIGHT, FN_MID, FN_FIND,
    /* date.c */
    FN_ADD_TOD_TIME, FN_ADD_DT_TIME, FN_SUB_DT_DT, FN_SUB_TOD_TOD, FN_SUB_DATE_DATE,
    FN_SUB_DT_TIME, FN_SUB_TOD_TIME, FN_CONCAT_DATE_TOD,
};

#endif
