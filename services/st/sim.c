/* SPDX-License-Identifier: MIT */
/*
 * `plc-st sim`: load a program object, check every name and value the user
 * gave (options and the whole script) before the first scan, then run the
 * scans on a simulated clock and print each as one JSON line.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "plc-program.h"
#include "plc-st.h"
#include "plc-task.h"
#include "plc.h"
#include "sim.h"
#include "st-value.h"

/* A value the user gave for a variable: set before a scan or expected after it. */
struct assign {
    const struct plc_st_var *var;
    const char *name; /* as the user wrote it */
    void *value;      /* var->size bytes, the state's representation */
};

/* One scan of the script (or of --scans beyond it). */
struct step {
    size_t line; /* script line, 0 for none */
    bool has_dt;
    uint64_t dt;
    struct assign *sets, *expects;
    size_t set_count, expect_count;
};

/* What is printed for each scan: a key and its variable. */
struct column {
    const char *key;
    const struct plc_st_var *var;
    char *own; /* key, when made here ("instance.path") */
};

struct sim {
    const struct plc_st_meta *meta;
    size_t state_size;
    const char *program; /* the selected instance, as the meta spells it, or NULL */
    /* Several instances, none selected, in a program of tasks: all run, so
     * all print, as "instance.path"; plain names are the globals'. */
    bool all;
    const struct plc_task *tasks; /* the program's (plc-task.h), or NULL */
    size_t task_count;
    FILE *out, *err;
    struct json_object **scripts; /* parsed script lines: the names point into them */
    size_t script_count;
};

static void say(FILE *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(FILE *err, const char *fmt, ...)
{
    va_list ap;
    fputs("plc-st sim: ", err);
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
    fputc('\n', err);
}

/* ---- names --------------------------------------------------------------- */

/* Case-insensitive, spaces ignored: "M[1, 2]" is "m[1,2]". */
static bool same_name(const char *a, const char *b)
{
    for (;;) {
        while (*a == ' ')
            a++;
        while (*b == ' ')
            b++;
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
            return false;
        if (!*a)
            return true;
        a++;
        b++;
    }
}

/* "%q0.1" -> "%QX0.1", "%mw03" -> "%MW3": the form plc_st_var.address has. */
static bool address_canonical(const char *s, char *out, size_t size)
{
    char area = (char)toupper((unsigned char)s[0] == '%' ? s[1] : 0);
    if (!strchr("IQM", area) || !area)
        return false;
    s += 2;
    char width = isdigit((unsigned char)*s) ? 'X' : (char)toupper((unsigned char)*s++);
    if (!strchr("XBWDL", width) || !width)
        return false;
    char *end;
    unsigned long byte = strtoul(s, &end, 10), bit = 0;
    if (end == s || !isdigit((unsigned char)*s))
        return false;
    if (width == 'X') {
        s = end + 1;
        if (*end != '.' || !isdigit((unsigned char)*s))
            return false;
        bit = strtoul(s, &end, 10);
    }
    if (*end)
        return false;
    int n = width == 'X' ? snprintf(out, size, "%%%cX%lu.%lu", area, byte, bit)
                         : snprintf(out, size, "%%%c%c%lu", area, width, byte);
    return n > 0 && (size_t)n < size;
}

static bool in_scope(const struct sim *s, const struct plc_st_var *v)
{
    return !v->program[0] || (s->program && strcmp(v->program, s->program) == 0);
}

/* A name as the contract has it: a path of the selected program or a global,
 * a located address, or "instance.path" of any program. */
static const struct plc_st_var *find_var(const struct sim *s, const char *name)
{
    const struct plc_st_meta *m = s->meta;
    char want[32], have[32];
    if (name[0] == '%') {
        if (!address_canonical(name, want, sizeof(want)))
            return NULL;
        const struct plc_st_var *any = NULL;
        for (uint32_t i = 0; i < m->var_count; i++) {
            const struct plc_st_var *v = &m->vars[i];
            if (v->address && address_canonical(v->address, have, sizeof(have)) &&
                strcmp(want, have) == 0) {
                if (in_scope(s, v))
                    return v;
                any = any ? any : v;
            }
        }
        return any;
    }
    for (uint32_t i = 0; i < m->var_count; i++)
        if (in_scope(s, &m->vars[i]) && same_name(name, m->vars[i].path))
            return &m->vars[i];
    for (uint32_t i = 0; i < m->var_count; i++) {
        const struct plc_st_var *v = &m->vars[i];
        size_t n = strlen(v->program);
        if (n && strncasecmp(name, v->program, n) == 0 && name[n] == '.' &&
            same_name(name + n + 1, v->path))
            return v;
    }
    return NULL;
}

/* Edit distance, case-insensitive (small names: one row on the heap). */
static size_t distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t *row = malloc((lb + 1) * sizeof(*row));
    if (!row)
        return SIZE_MAX;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
            size_t best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t d = row[lb];
    free(row);
    return d;
}

static bool contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncasecmp(hay, needle, n) == 0)
            return true;
    return false;
}

/* "unknown variable 'motr' (close: motor, motor_on)" */
static void say_unknown(const struct sim *s, const char *where, const char *name)
{
    enum { MAX_CLOSE = 5 };
    const char *close[MAX_CLOSE];
    size_t dist[MAX_CLOSE], n = 0;
    size_t limit = strlen(name) < 6 ? 2 : strlen(name) / 3;
    for (uint32_t i = 0; i < s->meta->var_count; i++) {
        const struct plc_st_var *v = &s->meta->vars[i];
        if (!in_scope(s, v) || (v->flags & PLC_ST_VAR_IMAGE))
            continue;
        const char *cand[2] = {v->path, v->address};
        for (int c = 0; c < 2 && cand[c]; c++) {
            size_t d = distance(name, cand[c]);
            if (d > limit && !(strlen(name) >= 3 && contains_nocase(cand[c], name)))
                continue;
            /* insert sorted by distance; the worst falls off */
            size_t at = n < MAX_CLOSE ? n++ : MAX_CLOSE;
            while (at > 0 && dist[at - 1] > d) {
                if (at < MAX_CLOSE) {
                    close[at] = close[at - 1];
                    dist[at] = dist[at - 1];
                }
                at--;
            }
            if (at < MAX_CLOSE) {
                close[at] = cand[c];
                dist[at] = d;
            }
        }
    }
    char list[512] = "";
    size_t len = 0;
    for (size_t i = 0; i < n && len < sizeof(list); i++)
        len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", i ? ", " : "", close[i]);
    if (n)
        say(s->err, "%s: unknown variable '%s' (close: %s)", where, name, list);
    else
        say(s->err, "%s: unknown variable '%s'%s", where, name,
            s->program ? "" : " (no program instance selected)");
}

/* The variable @name for @where, said when it is none or cannot be used so. */
static const struct plc_st_var *resolve(const struct sim *s, const char *where, const char *name,
                                        bool write)
{
    const struct plc_st_var *v = find_var(s, name);
    if (!v) {
        say_unknown(s, where, name);
        return NULL;
    }
    if (v->flags & PLC_ST_VAR_IMAGE) {
        say(s->err, "%s: '%s' lives in the process image, which sim has not", where, name);
        return NULL;
    }
    if (write && (v->flags & PLC_ST_VAR_CONSTANT)) {
        say(s->err, "%s: '%s' is a CONSTANT", where, name);
        return NULL;
    }
    return v;
}

/* @text as a value of @v's type, in a new buffer; NULL having said why. */
static void *parse_value(const struct sim *s, const char *where, const struct plc_st_var *v,
                         const char *name, const char *text, bool exact)
{
    char why[256];
    void *buf = calloc(1, v->size);
    if (!buf) {
        say(s->err, "out of memory");
        return NULL;
    }
    if (plc_st_value_parse(v, text, exact, buf, why, sizeof(why)) < 0) {
        say(s->err, "%s: %s: bad value '%s': %s", where, name, text, why);
        free(buf);
        return NULL;
    }
    return buf;
}

static int make_assign(const struct sim *s, const char *where, const char *name, const char *text,
                       bool expect, struct assign *a)
{
    a->name = name;
    a->var = resolve(s, where, name, !expect);
    a->value = a->var ? parse_value(s, where, a->var, name, text, expect) : NULL;
    return a->value ? 0 : -1;
}

/* ---- the program object -------------------------------------------------- */

static int check_meta(const struct sim *s, const char *path)
{
    const struct plc_st_meta *m = s->meta;
    if (m->abi != PLC_ST_META_ABI || (m->var_count && !m->vars)) {
        say(s->err, "%s: %s of version %" PRIu32 ", this plc-st reads %u", path, PLC_ST_META_SYMBOL,
            m->abi, PLC_ST_META_ABI);
        return -1;
    }
    for (uint32_t i = 0; i < m->var_count; i++) {
        const struct plc_st_var *v = &m->vars[i];
        size_t want = plc_st_kind_size(v->kind);
        const struct plc_st_enum *e = v->enum_type;
        bool ok = v->program && v->path &&
                  (v->kind == PLC_ST_STRING ? v->size >= 1 : want && v->size == want) &&
                  (v->kind != PLC_ST_ENUM || (e && (!e->count || (e->value_names && e->values)))) &&
                  ((v->flags & PLC_ST_VAR_IMAGE) ||
                   (v->offset <= s->state_size && v->size <= s->state_size - v->offset));
        if (!ok) {
            /* a table that does not fit its state would have us read or write wild */
            say(s->err, "%s: %s entry %" PRIu32 " ('%s') does not fit the program's state", path,
                PLC_ST_META_SYMBOL, i, v->path ? v->path : "?");
            return -1;
        }
    }
    return 0;
}

static void list_programs(const struct sim *s, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < s->meta->var_count && n < size; i++) {
        const char *p = s->meta->vars[i].program;
        bool seen = !p[0];
        for (uint32_t j = 0; j < i && !seen; j++)
            seen = strcmp(s->meta->vars[j].program, p) == 0;
        if (!seen)
            n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", p);
    }
}

static int select_program(struct sim *s, const char *want)
{
    char list[512];
    for (uint32_t i = 0; i < s->meta->var_count; i++) {
        const char *p = s->meta->vars[i].program;
        if (!p[0])
            continue;
        if (want ? strcasecmp(want, p) == 0 : !s->program)
            s->program = p;
        else if (!want && strcmp(p, s->program) != 0) {
            if (s->task_count) {
                s->all = true;
                s->program = NULL;
                return 0;
            }
            list_programs(s, list, sizeof(list));
            say(s->err, "several program instances (%s): choose one with --program", list);
            return -1;
        }
    }
    if (want && !s->program) {
        list_programs(s, list, sizeof(list));
        say(s->err, "--program: no program instance '%s' (%s%s)", want,
            list[0] ? "there are: " : "the program has none", list);
        return -1;
    }
    return 0;
}

/* ---- the script ---------------------------------------------------------- */

/* A JSON scalar as the text the value parsers read; NULL for null, arrays, objects. */
static const char *json_text(struct json_object *j)
{
    switch (json_object_get_type(j)) {
    case json_type_boolean:
        return json_object_get_boolean(j) ? "true" : "false";
    case json_type_int:
    case json_type_double: /* json-c keeps the text it parsed: 0.1 stays "0.1" */
    case json_type_string:
        return json_object_get_string(j);
    default:
        return NULL;
    }
}

static int load_assigns(struct sim *s, const char *where, struct json_object *obj, bool expect,
                        struct assign **out, size_t *count)
{
    if (!json_object_is_type(obj, json_type_object)) {
        say(s->err, "%s: not an object of NAME: VALUE", where);
        return -1;
    }
    *out = calloc((size_t)json_object_object_length(obj) + 1, sizeof(**out));
    if (!*out)
        return -1;
    json_object_object_foreach(obj, key, val)
    {
        const char *text = json_text(val);
        if (!text) {
            say(s->err, "%s: %s: bad value %s: give a number, true/false or a string", where, key,
                json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
            return -1;
        }
        if (make_assign(s, where, key, text, expect, &(*out)[*count]) < 0)
            return -1;
        ++*count;
    }
    return 0;
}

/* One script line (not blank) into @st; -1 having said why, with its number. */
static int load_line(struct sim *s, const char *text, size_t lineno, struct step *st)
{
    char where[64];
    snprintf(where, sizeof(where), "script line %zu", lineno);
    st->line = lineno;
    struct json_tokener *tok = json_tokener_new();
    if (!tok)
        return -1;
    size_t len = strlen(text);
    struct json_object *j = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    while (end < len && isspace((unsigned char)text[end]))
        end++;
    if (!j || e != json_tokener_success || end != len ||
        !json_object_is_type(j, json_type_object)) {
        const char *why = e == json_tokener_success    ? ""
                          : e == json_tokener_continue ? ": the line ends inside it"
                                                       : json_tokener_error_desc(e);
        say(s->err, "%s: not a JSON object {\"dt\": ..., \"set\": {...}, \"expect\": {...}}%s%s",
            where, e == json_tokener_success || e == json_tokener_continue ? "" : ": ", why);
        json_object_put(j);
        return -1;
    }
    s->scripts[s->script_count++] = j;
    json_object_object_foreach(j, key, val)
    {
        char sub[96];
        snprintf(sub, sizeof(sub), "%s: %s", where, key);
        if (strcmp(key, "dt") == 0) {
            int64_t dt = -1;
            const char *t = json_object_is_type(val, json_type_int) ||
                                    json_object_is_type(val, json_type_string)
                                ? json_object_get_string(val)
                                : NULL;
            if (!t || plc_st_time_parse(t, &dt) < 0 || dt < 0) {
                say(s->err,
                    "%s: bad value %s: a TIME of 0 or more (\"100ms\", \"T#1s\", "
                    "nanoseconds)",
                    sub, json_object_to_json_string_ext(val, JSON_C_TO_STRING_PLAIN));
                return -1;
            }
            st->has_dt = true;
            st->dt = (uint64_t)dt;
        } else if (strcmp(key, "set") == 0) {
            if (load_assigns(s, sub, val, false, &st->sets, &st->set_count) < 0)
                return -1;
        } else if (strcmp(key, "expect") == 0) {
            if (load_assigns(s, sub, val, true, &st->expects, &st->expect_count) < 0)
                return -1;
        } else {
            say(s->err, "%s: unknown key '%s' (dt, set, expect)", where, key);
            return -1;
        }
    }
    return 0;
}

static bool blank(const char *line)
{
    while (isspace((unsigned char)*line))
        line++;
    return !*line;
}

/* Every line of @path as a step; blank lines are skipped but counted. */
static int load_script(struct sim *s, const char *path, struct step **steps, size_t *count)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        say(s->err, "%s: %s", path, plc_strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, lineno = 0, room = 0;
    int rc = 0;
    while (rc == 0 && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (blank(line))
            continue;
        if (*count == room) {
            room = room ? 2 * room : 16;
            struct step *n = realloc(*steps, room * sizeof(*n));
            struct json_object **js = realloc(s->scripts, room * sizeof(*js));
            if (n)
                *steps = n;
            if (js)
                s->scripts = js;
            if (!n || !js) {
                say(s->err, "out of memory");
                rc = -1;
                break;
            }
        }
        memset(&(*steps)[*count], 0, sizeof(**steps));
        rc = load_line(s, line, lineno, &(*steps)[(*count)++]);
        if (rc == 0 && (*count) == 1 && (*steps)[0].dt) {
            say(s->err,
                "script line %zu: dt: scan 0 runs at 0 ns; dt moves the clock before "
                "the scans after it",
                lineno);
            rc = -1;
        }
    }
    if (rc == 0 && ferror(f)) {
        say(s->err, "%s: %s", path, plc_strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(f);
    return rc;
}

static void free_steps(struct step *steps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < steps[i].set_count; j++)
            free(steps[i].sets[j].value);
        for (size_t j = 0; j < steps[i].expect_count; j++)
            free(steps[i].expects[j].value);
        free(steps[i].sets);
        free(steps[i].expects);
    }
    free(steps);
}

/* ---- running ------------------------------------------------------------- */

static int make_columns(const struct sim *s, const struct plc_st_sim_options *o,
                        struct column **cols, size_t *n)
{
    *cols = calloc(o->watch_count ? o->watch_count : s->meta->var_count + 1, sizeof(**cols));
    if (!*cols)
        return -1;
    if (o->watch_count) {
        for (size_t i = 0; i < o->watch_count; i++) {
            (*cols)[i].key = o->watch[i];
            (*cols)[i].var = resolve(s, "--watch", o->watch[i], false);
            if (!(*cols)[i].var)
                return -1;
        }
        *n = o->watch_count;
        return 0;
    }
    for (uint32_t i = 0; i < s->meta->var_count; i++) {
        const struct plc_st_var *v = &s->meta->vars[i];
        if (!(v->flags & PLC_ST_VAR_SHOW) || (v->flags & PLC_ST_VAR_IMAGE))
            continue;
        if (in_scope(s, v)) {
            (*cols)[(*n)++] = (struct column){v->path, v, NULL};
        } else if (s->all) {
            struct column *c = &(*cols)[(*n)++];
            *c = (struct column){NULL, v, NULL};
            if (asprintf(&c->own, "%s.%s", v->program, v->path) < 0) {
                c->own = NULL;
                return -1;
            }
            c->key = c->own;
        }
    }
    return 0;
}

static int print_scan(FILE *out, uint64_t scan, uint64_t now, const unsigned char *state,
                      const struct column *cols, size_t n, struct json_object *tasks)
{
    struct json_object *o = json_object_new_object(), *vars = json_object_new_object();
    if (!o || !vars) {
        json_object_put(o);
        json_object_put(vars);
        return -1;
    }
    json_object_object_add(o, "scan", json_object_new_uint64(scan));
    json_object_object_add(o, "now_ns", json_object_new_uint64(now));
    if (tasks)
        json_object_object_add(o, "tasks", json_object_get(tasks));
    for (size_t i = 0; i < n; i++)
        json_object_object_add(vars, cols[i].key,
                               plc_st_value_to_json(cols[i].var, state + cols[i].var->offset));
    json_object_object_add(o, "vars", vars);
    fputs(
        json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
        out);
    fputc('\n', out);
    fflush(out); /* a driving tool reads each scan as it comes */
    json_object_put(o);
    return 0;
}

static void apply(unsigned char *state, const struct assign *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        memcpy(state + a[i].var->offset, a[i].value, a[i].var->size);
}

/* Check @st's expectations after scan @scan; false when one failed (said). */
static bool check(const struct sim *s, uint64_t scan, const struct step *st,
                  const unsigned char *state)
{
    bool ok = true;
    for (size_t i = 0; i < st->expect_count; i++) {
        const struct assign *a = &st->expects[i];
        const void *have = state + a->var->offset;
        if (plc_st_value_equal(a->var, a->value, have))
            continue;
        struct json_object *want = plc_st_value_to_json(a->var, a->value);
        struct json_object *got = plc_st_value_to_json(a->var, have);
        say(s->err, "scan %" PRIu64 " (script line %zu): %s: expected %s, got %s", scan, st->line,
            a->name, json_object_to_json_string_ext(want, JSON_C_TO_STRING_PLAIN),
            json_object_to_json_string_ext(got, JSON_C_TO_STRING_PLAIN));
        json_object_put(want);
        json_object_put(got);
        ok = false;
    }
    return ok;
}

static void say_fault(const struct sim *s, const char *what, const struct plc_ctx *ctx, int r)
{
    if (ctx->fault)
        say(s->err, "%s: program faulted: %s", what, ctx->fault);
    else
        say(s->err, "%s: program faulted: returned %d", what, r);
}

/* Per task of a program of tasks: what its ctx carries from run to run. */
struct task_clock {
    uint64_t last, runs;
};

/*
 * Scan @i at @now (@dt after the one before) of a program of tasks: the
 * tasks due on tick @i of @cycle, in order, as plc-logic runs them; their
 * names into @ran. A task that faults ends the scan, said.
 */
static int run_tasks(const struct sim *s, size_t i, uint64_t cycle, uint64_t now,
                     unsigned char *state, struct task_clock *tc, struct json_object *ran)
{
    size_t order[PLC_TASK_MAX];
    plc_tasks_order(s->tasks, s->task_count, order);
    for (size_t k = 0; k < s->task_count; k++) {
        const struct plc_task *t = &s->tasks[order[k]];
        struct task_clock *c = &tc[order[k]];
        if (!plc_task_due(t, cycle, i))
            continue;
        struct plc_ctx ctx = {.abi = PLC_PROGRAM_ABI,
                              .now_ns = now,
                              .dt_ns = c->runs ? now - c->last : 0,
                              .scan_count = c->runs,
                              .first_scan = c->runs == 0,
                              .state = state};
        c->last = now;
        c->runs++;
        json_object_array_add(ran, json_object_new_string(t->name));
        int r = t->scan(&ctx);
        if (r != 0) {
            char what[96];
            snprintf(what, sizeof(what), "scan %zu, task '%.40s'", i, t->name);
            say_fault(s, what, &ctx, r);
            return -1;
        }
    }
    return 0;
}

/* Init, the --set values, then @count scans as @steps say; an enum plc_st_sim_status. */
static int run_scans(const struct sim *s, const struct plc_program *prog, uint64_t cycle,
                     const struct assign *cli_sets, size_t cli_set_count, const struct step *steps,
                     size_t count, const struct column *cols, size_t ncols)
{
    unsigned char *state = calloc(1, s->state_size ? s->state_size : 1);
    if (!state) {
        say(s->err, "out of memory");
        return PLC_ST_SIM_USAGE;
    }
    int status = PLC_ST_SIM_OK;
    /* init gets what plc-logic gives it: scan 0's time, first_scan set */
    struct plc_ctx ctx = {.abi = PLC_PROGRAM_ABI, .first_scan = true, .state = state};
    int r = prog->init ? prog->init(&ctx) : 0;
    if (r != 0) {
        say_fault(s, "init", &ctx, r);
        free(state);
        return PLC_ST_SIM_FAULT;
    }
    apply(state, cli_sets, cli_set_count); /* after init: they override initial values */
    struct task_clock tc[PLC_TASK_MAX] = {{0}};
    uint64_t now = 0;
    for (size_t i = 0; i < count; i++) {
        const struct step *st = &steps[i];
        uint64_t dt = 0;
        if (i > 0) {
            dt = st->has_dt ? st->dt : cycle;
            if (dt > UINT64_MAX - now) {
                say(s->err, "scan %zu: the clock would pass 2^64 ns", i);
                status = PLC_ST_SIM_USAGE;
                break;
            }
            now += dt;
        }
        apply(state, st->sets, st->set_count);
        struct json_object *ran = s->task_count ? json_object_new_array() : NULL;
        if (s->task_count) {
            r = !ran ? 0 : run_tasks(s, i, cycle, now, state, tc, ran);
            if (!ran || r < 0) {
                json_object_put(ran);
                status = ran ? PLC_ST_SIM_FAULT : PLC_ST_SIM_USAGE;
                break;
            }
        } else {
            ctx = (struct plc_ctx){.abi = PLC_PROGRAM_ABI,
                                   .now_ns = now,
                                   .dt_ns = dt,
                                   .scan_count = i,
                                   .first_scan = i == 0,
                                   .state = state};
            r = prog->scan(&ctx);
            if (r != 0) {
                char what[32];
                snprintf(what, sizeof(what), "scan %zu", i);
                say_fault(s, what, &ctx, r);
                status = PLC_ST_SIM_FAULT;
                break;
            }
        }
        int printed = print_scan(s->out, i, now, state, cols, ncols, ran);
        json_object_put(ran);
        if (printed < 0) {
            say(s->err, "out of memory");
            status = PLC_ST_SIM_USAGE;
            break;
        }
        if (!check(s, i, st, state))
            status = PLC_ST_SIM_EXPECT_FAILED;
    }
    free(state);
    return status;
}

/* The program object at @path, its descriptor and table; NULL having said why. */
static void *open_program(struct sim *s, const char *path, const struct plc_program **prog)
{
    /* a bare name would be looked for in the library path, not here */
    char *local = NULL;
    if (!strchr(path, '/') && asprintf(&local, "./%s", path) < 0)
        return NULL;
    void *dl = dlopen(local ? local : path, RTLD_NOW | RTLD_LOCAL);
    free(local);
    if (!dl) {
        say(s->err, "%s", dlerror());
        return NULL;
    }
    *prog = dlsym(dl, PLC_PROGRAM_SYMBOL);
    s->meta = dlsym(dl, PLC_ST_META_SYMBOL);
    const struct plc_program *p = *prog;
    if (!p || p->abi != PLC_PROGRAM_ABI || p->size < PLC_PROGRAM_SIZE_NO_TASKS) {
        say(s->err, "%s: not a program object of ABI %u (%s)", path, PLC_PROGRAM_ABI,
            PLC_PROGRAM_SYMBOL);
        dlclose(dl);
        return NULL;
    }
    struct plc_diag d;
    if (plc_program_tasks(p, &s->tasks, &s->task_count, &d) < 0 ||
        (!p->scan && !s->task_count)) {
        say(s->err, "%s: %s", path, s->task_count || p->scan ? d.msg : "no scan function");
        dlclose(dl);
        return NULL;
    }
    if (!s->meta) {
        say(s->err, "%s: not built by plc-st (no %s)", path, PLC_ST_META_SYMBOL);
        dlclose(dl);
        return NULL;
    }
    s->state_size = p->state_size;
    if (check_meta(s, path) < 0) {
        dlclose(dl);
        return NULL;
    }
    return dl;
}

int plc_st_sim_run(const char *so_path, const struct plc_st_sim_options *o, FILE *out, FILE *err)
{
    struct sim s = {.out = out, .err = err};
    const struct plc_program *prog = NULL;
    struct assign *cli = NULL;
    struct step *steps = NULL;
    struct column *cols = NULL;
    size_t script_lines = 0, nsteps = 0, ncols = 0, ncli = 0;
    int status = PLC_ST_SIM_USAGE;

    void *dl = open_program(&s, so_path, &prog);
    if (!dl)
        return PLC_ST_SIM_USAGE;
    if (select_program(&s, o->program) < 0)
        goto out;
    cli = calloc(o->set_count + 1, sizeof(*cli));
    if (!cli)
        goto out;
    for (; ncli < o->set_count; ncli++) {
        const char *eq = strchr(o->sets[ncli], '=');
        char *name = eq ? strndup(o->sets[ncli], (size_t)(eq - o->sets[ncli])) : NULL;
        int rc = name ? make_assign(&s, "--set", name, eq + 1, false, &cli[ncli]) : -1;
        if (!eq)
            say(err, "--set: '%s' is not NAME=VALUE", o->sets[ncli]);
        free(name);
        cli[ncli].name = NULL; /* only the messages above needed it */
        if (rc < 0)
            goto out;
    }
    if (make_columns(&s, o, &cols, &ncols) < 0)
        goto out;
    if (o->script && load_script(&s, o->script, &steps, &nsteps) < 0)
        goto out;
    script_lines = nsteps;
    size_t count = o->scans >= 0 ? (size_t)o->scans : o->script ? script_lines : 1;
    if (count < script_lines) {
        say(err, "--scans %zu: fewer than the script's %zu scans", count, script_lines);
        goto out;
    }
    if (count > script_lines) {
        /* the scans beyond the script: no input, the cycle's dt */
        struct step *more = realloc(steps, count * sizeof(*more));
        if (!more) {
            say(err, "--scans %zu: out of memory", count);
            goto out;
        }
        steps = more;
        memset(steps + script_lines, 0, (count - script_lines) * sizeof(*steps));
        nsteps = count;
    }
    /* a program of tasks: one scan is one tick, as in plc-logic */
    uint64_t cycle = o->cycle_ns >= 0      ? (uint64_t)o->cycle_ns
                     : s.task_count        ? plc_tasks_tick(s.tasks, s.task_count)
                     : s.meta->interval_ns ? s.meta->interval_ns
                                           : (uint64_t)PLC_ST_SIM_DEFAULT_CYCLE_NS;
    struct plc_diag d;
    if (plc_tasks_check_tick(s.tasks, s.task_count, cycle, &d) < 0) {
        say(err, "--cycle: %s", d.msg);
        goto out;
    }
    status = run_scans(&s, prog, cycle, cli, ncli, steps, count, cols, ncols);
out:
    for (size_t i = 0; i < ncli; i++)
        free(cli[i].value);
    free(cli);
    free_steps(steps, nsteps);
    for (size_t i = 0; cols && i < ncols; i++)
        free(cols[i].own);
    free(cols);
    for (size_t i = 0; i < s.script_count; i++)
        json_object_put(s.scripts[i]);
    free(s.scripts);
    dlclose(dl);
    return status;
}

/* ---- the command line ---------------------------------------------------- */

/* Split a --watch list at the commas outside [ ] into @a's names. */
static int split_watch(struct plc_st_sim_args *a, const char *list, size_t *room, FILE *err)
{
    const char *p = list;
    for (;;) {
        const char *start = p;
        int depth = 0;
        while (*p && (*p != ',' || depth > 0)) {
            depth += *p == '[' ? 1 : *p == ']' ? -1 : 0;
            p++;
        }
        while (start < p && *start == ' ')
            start++;
        size_t n = (size_t)(p - start);
        while (n && start[n - 1] == ' ')
            n--;
        if (!n) {
            say(err, "--watch: an empty name in '%s'", list);
            return -1;
        }
        if (a->options.watch_count == *room) {
            *room = *room ? 2 * *room : 8;
            char **w = realloc(a->watch_buf, *room * sizeof(*w));
            if (!w)
                return -1;
            a->watch_buf = w;
        }
        char *name = strndup(start, n);
        if (!name)
            return -1;
        a->watch_buf[a->options.watch_count++] = name;
        if (!*p++)
            return 0;
    }
}

/* Whether @arg is option @name, alone or as "@name=VALUE". */
static bool is_option(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

int plc_st_sim_args_parse(struct plc_st_sim_args *a, int argc, char *const argv[], FILE *err)
{
    static const char *const options[] = {"--program", "--cycle",  "--scans",
                                          "--set",     "--script", "--watch"};
    memset(a, 0, sizeof(*a));
    a->options.cycle_ns = -1;
    a->options.scans = -1;
    a->files = calloc((size_t)argc + 1, sizeof(*a->files));
    a->sets_buf = calloc((size_t)argc + 1, sizeof(*a->sets_buf));
    size_t watch_room = 0;
    bool operands_only = false;
    if (!a->files || !a->sets_buf)
        goto usage;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (operands_only || arg[0] != '-' || strcmp(arg, "-") == 0) {
            a->files[a->file_count++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            operands_only = true;
            continue;
        }
        size_t o = 0;
        while (o < sizeof(options) / sizeof(options[0]) && !is_option(arg, options[o]))
            o++;
        if (o == sizeof(options) / sizeof(options[0])) {
            say(err, "unknown option '%s'", arg);
            goto usage;
        }
        const char *eq = strchr(arg, '=');
        const char *val = eq ? eq + 1 : i + 1 < argc ? argv[++i] : NULL;
        if (!val) {
            say(err, "%s needs a value", options[o]);
            goto usage;
        }
        if (o == 0) {
            a->options.program = val;
        } else if (o == 1) {
            if (plc_st_time_parse(val, &a->options.cycle_ns) < 0 || a->options.cycle_ns <= 0) {
                say(err, "--cycle: '%s' is not a TIME above 0 (20ms, T#1s, nanoseconds)", val);
                goto usage;
            }
        } else if (o == 2) {
            char *end;
            errno = 0;
            long long n = strtoll(val, &end, 10);
            if (!isdigit((unsigned char)val[0]) || *end || errno) {
                say(err, "--scans: '%s' is not a number of scans", val);
                goto usage;
            }
            a->options.scans = n;
        } else if (o == 3) {
            a->sets_buf[a->options.set_count++] = val;
        } else if (o == 4) {
            a->options.script = val;
        } else if (split_watch(a, val, &watch_room, err) < 0) {
            goto usage;
        }
    }
    if (!a->file_count) {
        say(err, "no FILE");
        goto usage;
    }
    a->options.sets = a->sets_buf;
    a->options.watch = (const char *const *)a->watch_buf;
    return 0;
usage:
    fprintf(err, "%s\n", PLC_ST_SIM_USAGE_TEXT);
    plc_st_sim_args_free(a);
    return PLC_ST_SIM_USAGE;
}

void plc_st_sim_args_free(struct plc_st_sim_args *a)
{
    for (size_t i = 0; i < a->options.watch_count; i++)
        free(a->watch_buf[i]);
    free(a->watch_buf);
    free(a->sets_buf);
    free(a->files);
    memset(a, 0, sizeof(*a));
}
