/* SPDX-License-Identifier: MIT */
/*
 * plcctl: read-only inspection of the process image. Shared between the verb
 * files: the context every verb gets, the verb handlers, small helpers that
 * report errors once, and the one table printer (table.c).
 */
#ifndef PLCCTL_H
#define PLCCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "plc-event.h"
#include "plc.h"

/* Exit codes: success, runtime error, usage error. */
enum {
    CTL_OK = 0,
    CTL_FAIL = 1,
    CTL_USAGE = 2,
};

/* What main() parsed and loaded; every verb gets it. */
struct ctl {
    struct plc_layout *layout;
    const char *base; /* resolved with plc_base_dir() */
    bool json;
};

/*
 * A verb: argv[0] is the verb's name, the rest its arguments. Returns one of
 * the exit codes above, having reported any error itself.
 */
struct ctl_verb {
    const char *name;
    int (*run)(struct ctl *ctl, int argc, char **argv);
    int min_args, max_args; /* max -1: any number */
    const char *args;
    const char *help;
};

int ctl_ls(struct ctl *ctl, int argc, char **argv);
int ctl_info(struct ctl *ctl, int argc, char **argv);
int ctl_get(struct ctl *ctl, int argc, char **argv);
int ctl_dump(struct ctl *ctl, int argc, char **argv);
int ctl_watch(struct ctl *ctl, int argc, char **argv);
int ctl_retain(struct ctl *ctl, int argc, char **argv);
int ctl_events(struct ctl *ctl, int argc, char **argv);
int ctl_sim(struct ctl *ctl, int argc, char **argv);
int ctl_force(struct ctl *ctl, int argc, char **argv);
int ctl_unforce(struct ctl *ctl, int argc, char **argv);
int ctl_forces(struct ctl *ctl, int argc, char **argv);
int ctl_alarms(struct ctl *ctl, int argc, char **argv);
int ctl_shelve(struct ctl *ctl, int argc, char **argv);
int ctl_unshelve(struct ctl *ctl, int argc, char **argv);
int ctl_mqtt_decode(struct ctl *ctl, int argc, char **argv);

/* ---- forced tags (force.c) ----------------------------------------------- */

struct plc_force_table;
/* The forcing table as a reader, or NULL (none made yet): nothing shows as forced. */
struct plc_force_table *ctl_forces_open(const struct ctl *ctl);
/* The forcing table to write (forces and shelvings), or NULL, said. */
struct plc_force_table *ctl_forces_open_writer(const struct ctl *ctl);
/* "17:05:03" today, the full time otherwise, "forever" for PLC_FORCE_FOREVER. */
void ctl_until_text(int64_t until_ns, char *buf, size_t len);
/* Who acts: the user behind sudo, else the caller's name. */
void ctl_user(char *buf, size_t len);
/* Both clocks when an operator's change takes effect: taken just before the
 * table is written, so its event sorts before what the services do about it. */
struct ctl_stamp {
    int64_t realtime_ns;
    uint64_t mono_ns;
};
struct ctl_stamp ctl_stamp_now(void);
/* An event in plcctl's ring, if plc-shm-init made one, stamped @at; text
 * "USER until TIME", or "USER" when @until_ns is 0. */
void ctl_tell(const struct ctl *ctl, const struct ctl_stamp *at, enum plc_event_kind kind,
              const char *name, const char *user, int64_t until_ns, double before, double after);
/* "FORCED until 17:05:03" (or "FORCED forever") into @p buf when @p tag is forced. */
bool ctl_force_marker(struct plc_force_table *forces, const struct plc_tag_def *tag, char *buf,
                      size_t len);

/* ---- helpers (main.c) ---------------------------------------------------- */

/* "plcctl: " + message on stderr. */
void ctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "plcctl: file:line: message" from a diag. */
void ctl_err_diag(const struct plc_diag *diag);
/* "plcctl: usage: plcctl VERB ARGS" on stderr; returns CTL_USAGE. */
int ctl_usage(const char *verb);

/* The region called @p name, or NULL after "unknown region 'x' in layout 'y'". */
const struct plc_region_def *ctl_find_region(const struct ctl *ctl, const char *name);
/* Look all @p n names up before anything is read; -1 after "unknown tag ...". */
int ctl_find_tags(const struct ctl *ctl, char *const *names, size_t n,
                  const struct plc_tag_def **tags);
/* Attach to @p region as a reader; NULL after printing the diag. */
struct plc_region *ctl_attach(const struct ctl *ctl, const char *region);

/* CLOCK_REALTIME now, in nanoseconds. */
uint64_t ctl_realtime_ns(void);
/* Local ISO 8601 time with milliseconds: "2024-05-01T12:00:01.234+0200". */
void ctl_format_time(uint64_t realtime_ns, char *buf, size_t len);

/* ---- the table printer (table.c) ----------------------------------------- */

/* How a table prints as JSON; text is aligned columns except for TABLE_LINES. */
enum table_shape {
    TABLE_ARRAY = 1, /* [ {key: value, ...}, ... ] */
    TABLE_OBJECT,    /* { column 0 text: column 1 value, ... } */
    TABLE_LINES,     /* one row per line, printed as soon as flushed: a stream */
};

struct table_column {
    const char *header; /* text header */
    const char *key;    /* JSON key (TABLE_ARRAY, TABLE_LINES) */
    bool right;         /* right-align in text columns */
    const char *sep;    /* TABLE_LINES text: put before this cell (default " ") */
};

struct table;

struct table *table_new(const struct table_column *cols, size_t ncols, enum table_shape shape);
void table_free(struct table *t);

/* Start a row; every cell starts as null, shown as "-". Cells go to the last row. */
void table_row(struct table *t);
void table_str(struct table *t, size_t col, const char *s);
void table_int(struct table *t, size_t col, int64_t v);
void table_uint(struct table *t, size_t col, uint64_t v);
/* JSON true/false, text @p yes or @p no. */
void table_bool(struct table *t, size_t col, bool v, const char *yes, const char *no);
/* A number shown as @p text; @p json_text is its JSON literal (NULL: json-c's). */
void table_double(struct table *t, size_t col, double v, const char *text,
                  const char *json_text);
/* JSON null, shown as @p text. */
void table_null(struct table *t, size_t col, const char *text);
/* A tag value of @p type, formatted with plc_type_format_value(). */
void table_value(struct table *t, size_t col, enum plc_type type, double v);
/* As table_value(), exactly: an int64/uint64 past 2^53 as it is. */
void table_exact(struct table *t, size_t col, enum plc_type type, const struct plc_value *v);
/* An age in nanoseconds (-1: never): "0.3s" or "-"; JSON seconds or null. */
void table_age(struct table *t, size_t col, int64_t age_ns);

/*
 * Print the rows added since the last print, as text or JSON, then drop them.
 * Reports a failure (out of memory, write error) itself.
 * @return 0 or -1.
 */
int table_print(struct table *t, FILE *out, bool json);

#endif
