/* SPDX-License-Identifier: MIT */
/*
 * The one table printer: verbs fill rows of typed cells once; this file
 * prints them as aligned columns under a header, as JSON built with json-c,
 * or as a stream of lines. No verb formats its own columns.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "plcctl.h"

enum cell_kind {
    CELL_NULL = 0,
    CELL_STR,
    CELL_INT,
    CELL_UINT,
    CELL_DOUBLE,
    CELL_BOOL,
};

struct cell {
    enum cell_kind kind;
    union {
        int64_t i;
        uint64_t u;
        double d;
        bool b;
    } v;
    char *text; /* shown in text output; NULL shows "-" */
    char *json; /* CELL_DOUBLE: its JSON literal, or NULL */
};

struct table {
    const struct table_column *cols;
    size_t ncols;
    enum table_shape shape;
    struct cell *cells; /* rows * ncols */
    size_t rows, cap;
    bool nomem; /* an allocation failed: table_print() reports it */
};

struct table *table_new(const struct table_column *cols, size_t ncols, enum table_shape shape)
{
    struct table *t = calloc(1, sizeof(*t));
    if (!t) {
        ctl_err("out of memory");
        return NULL;
    }
    t->cols = cols;
    t->ncols = ncols;
    t->shape = shape;
    return t;
}

static void cell_clear(struct cell *c)
{
    free(c->text);
    free(c->json);
    memset(c, 0, sizeof(*c));
}

static void drop_rows(struct table *t)
{
    for (size_t i = 0; i < t->rows * t->ncols; i++)
        cell_clear(&t->cells[i]);
    t->rows = 0;
}

void table_free(struct table *t)
{
    if (!t)
        return;
    drop_rows(t);
    free(t->cells);
    free(t);
}

void table_row(struct table *t)
{
    if (t->rows == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct cell *cells = realloc(t->cells, cap * t->ncols * sizeof(*cells));
        if (!cells) {
            t->nomem = true;
            return;
        }
        t->cells = cells;
        t->cap = cap;
    }
    memset(&t->cells[t->rows * t->ncols], 0, t->ncols * sizeof(*t->cells));
    t->rows++;
}

/* The cell @p col of the last row, cleared; NULL after a failed table_row(). */
static struct cell *cell_at(struct table *t, size_t col)
{
    if (t->nomem || t->rows == 0 || col >= t->ncols)
        return NULL;
    struct cell *c = &t->cells[(t->rows - 1) * t->ncols + col];
    cell_clear(c);
    return c;
}

static void cell_set_text(struct table *t, struct cell *c, const char *text)
{
    c->text = strdup(text);
    if (!c->text)
        t->nomem = true;
}

void table_str(struct table *t, size_t col, const char *s)
{
    struct cell *c = cell_at(t, col);
    if (!c)
        return;
    c->kind = CELL_STR;
    cell_set_text(t, c, s);
}

void table_int(struct table *t, size_t col, int64_t v)
{
    char buf[32];
    struct cell *c = cell_at(t, col);
    if (!c)
        return;
    c->kind = CELL_INT;
    c->v.i = v;
    snprintf(buf, sizeof(buf), "%lld", (long long)v);
    cell_set_text(t, c, buf);
}

void table_uint(struct table *t, size_t col, uint64_t v)
{
    char buf[32];
    struct cell *c = cell_at(t, col);
    if (!c)
        return;
    c->kind = CELL_UINT;
    c->v.u = v;
    snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
    cell_set_text(t, c, buf);
}

void table_bool(struct table *t, size_t col, bool v, const char *yes, const char *no)
{
    struct cell *c = cell_at(t, col);
    if (!c)
        return;
    c->kind = CELL_BOOL;
    c->v.b = v;
    cell_set_text(t, c, v ? yes : no);
}

void table_double(struct table *t, size_t col, double v, const char *text,
                  const char *json_text)
{
    struct cell *c = cell_at(t, col);
    if (!c)
        return;
    c->kind = CELL_DOUBLE;
    c->v.d = v;
    cell_set_text(t, c, text);
    if (json_text) {
        c->json = strdup(json_text);
        if (!c->json)
            t->nomem = true;
    }
}

void table_null(struct table *t, size_t col, const char *text)
{
    struct cell *c = cell_at(t, col);
    if (c)
        cell_set_text(t, c, text);
}

void table_value(struct table *t, size_t col, enum plc_type type, double v)
{
    struct plc_value x = plc_value_from_double(type, v);
    if (type == PLC_TYPE_FLOAT32 || type == PLC_TYPE_FLOAT64)
        x.f = v;
    table_exact(t, col, type, &x);
}

void table_exact(struct table *t, size_t col, enum plc_type type, const struct plc_value *v)
{
    char buf[64];
    plc_value_format(type, v, buf, sizeof(buf));
    switch (type) {
    case PLC_TYPE_BOOL:
        table_bool(t, col, v->i != 0, buf, buf);
        break;
    case PLC_TYPE_FLOAT32:
    case PLC_TYPE_FLOAT64:
        table_double(t, col, v->f, buf, buf);
        break;
    case PLC_TYPE_UINT8:
    case PLC_TYPE_UINT16:
    case PLC_TYPE_UINT32:
    case PLC_TYPE_UINT64:
        table_uint(t, col, v->u);
        break;
    default:
        table_int(t, col, v->i);
        break;
    }
}

void table_age(struct table *t, size_t col, int64_t age_ns)
{
    char text[32], json[32];
    if (age_ns < 0) {
        table_null(t, col, "-");
        return;
    }
    double s = (double)age_ns / 1e9;
    if (s < 60)
        snprintf(text, sizeof(text), "%.1fs", s);
    else if (s < 3600)
        snprintf(text, sizeof(text), "%lldm%02llds", (long long)s / 60, (long long)s % 60);
    else
        snprintf(text, sizeof(text), "%lldh%02lldm", (long long)s / 3600,
                 (long long)s / 60 % 60);
    snprintf(json, sizeof(json), "%.3f", s);
    table_double(t, col, s, text, json);
}

/* ---- printing ------------------------------------------------------------ */

static const char *cell_text(const struct cell *c)
{
    return c->text ? c->text : "-";
}

static struct json_object *cell_json(const struct cell *c)
{
    switch (c->kind) {
    case CELL_STR:
        return json_object_new_string(c->text ? c->text : "");
    case CELL_INT:
        return json_object_new_int64(c->v.i);
    case CELL_UINT:
        return json_object_new_uint64(c->v.u);
    case CELL_BOOL:
        return json_object_new_boolean(c->v.b);
    case CELL_DOUBLE:
        if (!isfinite(c->v.d)) /* JSON has no NaN or infinity */
            return NULL;
        return c->json ? json_object_new_double_s(c->v.d, c->json)
                       : json_object_new_double(c->v.d);
    case CELL_NULL:
    default:
        return NULL;
    }
}

/* A row as an object of column key: value. NULL when out of memory. */
static struct json_object *row_json(const struct table *t, size_t row)
{
    struct json_object *obj = json_object_new_object();
    if (!obj)
        return NULL;
    for (size_t col = 0; col < t->ncols; col++) {
        const struct cell *c = &t->cells[row * t->ncols + col];
        struct json_object *v = cell_json(c);
        if ((!v && c->kind != CELL_NULL && c->kind != CELL_DOUBLE) ||
            json_object_object_add(obj, t->cols[col].key, v) < 0) {
            json_object_put(v);
            json_object_put(obj);
            return NULL;
        }
    }
    return obj;
}

static int print_json(const struct table *t, FILE *out)
{
    const int flags = JSON_C_TO_STRING_NOSLASHESCAPE;
    struct json_object *doc = NULL;

    if (t->shape == TABLE_LINES) {
        for (size_t r = 0; r < t->rows; r++) {
            doc = row_json(t, r);
            if (!doc)
                return -1;
            fprintf(out, "%s\n", json_object_to_json_string_ext(doc, flags | JSON_C_TO_STRING_PLAIN));
            json_object_put(doc);
        }
        return 0;
    }
    if (t->shape == TABLE_OBJECT) {
        doc = json_object_new_object();
        for (size_t r = 0; doc && r < t->rows; r++) {
            const struct cell *key = &t->cells[r * t->ncols];
            const struct cell *val = &t->cells[r * t->ncols + 1];
            struct json_object *v = cell_json(val);
            if (json_object_object_add(doc, cell_text(key), v) < 0) {
                json_object_put(v);
                json_object_put(doc);
                doc = NULL;
            }
        }
    } else {
        doc = json_object_new_array();
        for (size_t r = 0; doc && r < t->rows; r++) {
            struct json_object *row = row_json(t, r);
            if (!row || json_object_array_add(doc, row) < 0) {
                json_object_put(row);
                json_object_put(doc);
                doc = NULL;
            }
        }
    }
    if (!doc)
        return -1;
    fprintf(out, "%s\n", json_object_to_json_string_ext(doc, flags | JSON_C_TO_STRING_PRETTY |
                                                                  JSON_C_TO_STRING_SPACED));
    json_object_put(doc);
    return 0;
}

static void print_lines(const struct table *t, FILE *out)
{
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t col = 0; col < t->ncols; col++) {
            const char *sep = t->cols[col].sep ? t->cols[col].sep : " ";
            fprintf(out, "%s%s", col ? sep : "", cell_text(&t->cells[r * t->ncols + col]));
        }
        fputc('\n', out);
    }
}

/* One line of cells, aligned to @p width, without trailing blanks. */
static void print_line(FILE *out, const struct table *t, const char *const *text,
                       const int *width, char *line)
{
    size_t n = 0;
    for (size_t col = 0; col < t->ncols; col++) {
        const char *fmt = t->cols[col].right ? "%s%*s" : "%s%-*s";
        n += (size_t)sprintf(line + n, fmt, col ? "  " : "", width[col], text[col]);
    }
    while (n > 0 && line[n - 1] == ' ')
        n--;
    line[n] = '\0';
    fprintf(out, "%s\n", line);
}

static int print_columns(const struct table *t, FILE *out)
{
    int *width = calloc(t->ncols, sizeof(*width));
    const char **text = calloc(t->ncols, sizeof(*text));
    char *line = NULL;
    size_t len = 1;
    int rc = -1;

    if (!width || !text)
        goto out;
    for (size_t col = 0; col < t->ncols; col++) {
        width[col] = (int)strlen(t->cols[col].header);
        for (size_t r = 0; r < t->rows; r++) {
            int w = (int)strlen(cell_text(&t->cells[r * t->ncols + col]));
            if (w > width[col])
                width[col] = w;
        }
        len += (size_t)width[col] + 2;
    }
    line = malloc(len);
    if (!line)
        goto out;
    for (size_t col = 0; col < t->ncols; col++)
        text[col] = t->cols[col].header;
    print_line(out, t, text, width, line);
    for (size_t r = 0; r < t->rows; r++) {
        for (size_t col = 0; col < t->ncols; col++)
            text[col] = cell_text(&t->cells[r * t->ncols + col]);
        print_line(out, t, text, width, line);
    }
    rc = 0;
out:
    free(line);
    free(text);
    free(width);
    return rc;
}

int table_print(struct table *t, FILE *out, bool json)
{
    int rc = 0;
    if (t->nomem) {
        ctl_err("out of memory");
        drop_rows(t);
        return -1;
    }
    if (json)
        rc = print_json(t, out);
    else if (t->shape == TABLE_LINES)
        print_lines(t, out);
    else
        rc = print_columns(t, out);
    drop_rows(t);
    if (rc < 0) {
        ctl_err("out of memory");
        return -1;
    }
    if (fflush(out) == EOF || ferror(out)) {
        ctl_err("cannot write output: %s", strerror(errno));
        return -1;
    }
    return 0;
}
