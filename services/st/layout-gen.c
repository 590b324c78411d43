/* SPDX-License-Identifier: MIT */
/*
 * plc-st layout: the layout for exactly the located addresses a program
 * uses, on OpenPLC's map (or the base layout's). Tags the base has are
 * copied from it as written (GPIO line, bias, Modbus address, description),
 * the rest follow OpenPLC's Modbus rule. RaspiPLC has one writer per region
 * where OpenPLC lets SCADA and the program write one %MW: an address the
 * program writes goes to the logic's region, one it only reads to the
 * Modbus gateway's, and each address both could write is named in a warning.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "plc-layout.h"
#include "st.h"

#ifndef PLC_ST_OPENPLC_BUILD
#define PLC_ST_OPENPLC_BUILD ""
#define PLC_ST_OPENPLC_INSTALL "/usr/local/share/raspiplc/layouts/openplc-pi.ini"
#endif

/* One located address and what the program does with it. */
struct use {
    char addr[24];  /* canonical: %IX0.0, %MW3 */
    char area, width;
    unsigned long byte, bit;
    const struct st_type *type;
    struct st_vardecl *decl; /* the first declaration, for messages */
    unsigned refs, writes;
    const struct plc_tag_def *base; /* the base layout's tag at the address, or NULL */
};

struct gen {
    struct compilation *c;
    const struct plc_st_layout_options *lo;
    struct plc_layout *base;
    char *base_text;       /* the base file, for copying its tag sections */
    struct use *uses;
    size_t n, cap;
};

/* The layout type a located variable of ST type @p k is, or NULL. */
static const char *layout_type(enum st_tkind k)
{
    switch (k) {
    case TY_BOOL: return "bool";
    case TY_SINT: return "int8";
    case TY_USINT: case TY_BYTE: return "uint8";
    case TY_INT: return "int16";
    case TY_UINT: case TY_WORD: return "uint16";
    case TY_DINT: return "int32";
    case TY_UDINT: case TY_DWORD: return "uint32";
    case TY_REAL: return "float32";
    case TY_LINT: return "int64";
    case TY_ULINT: case TY_LWORD: return "uint64";
    case TY_LREAL: return "float64";
    default: return NULL;
    }
}

/* Bits an address of size letter @p w holds. */
static unsigned width_bits(char w)
{
    switch (w) {
    case 'X': return 1;
    case 'B': return 8;
    case 'W': return 16;
    case 'D': return 32;
    default: return 64;
    }
}

static unsigned type_bits(const char *t)
{
    if (strcmp(t, "bool") == 0)
        return 1;
    const char *d = t + strcspn(t, "0123456789");
    return (unsigned)atoi(d);
}

static void add_use(struct gen *G, struct st_var *v, unsigned refs, unsigned writes)
{
    struct st_vardecl *d = v->decl;
    struct st_ctx *ctx = &G->c->ctx;
    for (size_t i = 0; i < G->n; i++) {
        struct use *u = &G->uses[i];
        if (strcmp(u->addr, d->address) != 0)
            continue;
        if (u->type != v->type && !(u->type && v->type && u->type->kind == v->type->kind)) {
            st_error(ctx, d->addr_loc, 4010, "%s is declared %s here and %s at line %u ('%s'): "
                     "one address is one tag of one type", d->address,
                     v->type && v->type->name ? v->type->name : "?",
                     u->type && u->type->name ? u->type->name : "?", u->decl->loc.line,
                     u->decl->name);
            return;
        }
        u->refs += refs;
        u->writes += writes;
        return;
    }
    const char *lt = v->type ? layout_type(v->type->kind) : NULL;
    char area = d->address[1], width = d->address[2];
    if (!lt || type_bits(lt) != width_bits(width)) {
        st_error(ctx, d->addr_loc, 4007, "'%s' is declared %s, which does not fit %s (%s)",
                 d->name, v->type && v->type->name ? v->type->name : "?", d->address,
                 width == 'X'   ? "a bit: BOOL"
                 : width == 'B' ? "a byte: SINT, USINT or BYTE"
                 : width == 'W' ? "a word: INT, UINT or WORD"
                 : width == 'D' ? "a double word: DINT, UDINT, DWORD or REAL"
                                : "a long word: LINT, ULINT, LWORD or LREAL");
        return;
    }
    if (G->n == G->cap) {
        G->cap = G->cap ? 2 * G->cap : 32;
        struct use *nu = realloc(G->uses, G->cap * sizeof(*nu));
        if (!nu) {
            st_error_plain(ctx, 9002, "out of memory");
            return;
        }
        G->uses = nu;
    }
    struct use *u = &G->uses[G->n++];
    memset(u, 0, sizeof(*u));
    snprintf(u->addr, sizeof(u->addr), "%s", d->address);
    u->area = area;
    u->width = width;
    char *end;
    u->byte = strtoul(d->address + 3, &end, 10);
    if (*end == '.')
        u->bit = strtoul(end + 1, NULL, 10);
    u->type = v->type;
    u->decl = d;
    u->refs = refs;
    u->writes = writes;
    u->base = G->base ? plc_layout_find_iec_address(G->base, u->addr) : NULL;
}

/* Every located variable of the checked program, counted at its address; a
 * VAR_EXTERNAL's uses count for the located VAR_GLOBAL it names. */
static void collect(struct gen *G)
{
    struct st_unit *unit = &G->c->unit;
    for (struct st_var *g = unit->globals; g; g = g->next) {
        if (!g->decl->address)
            continue;
        unsigned refs = g->refs, writes = g->writes;
        for (struct st_pou *p = unit->pous; p; p = p->next)
            for (struct st_var *v = p->vars; v; v = v->next)
                if (v->global == g) {
                    refs += v->refs;
                    writes += v->writes;
                }
        add_use(G, g, refs, writes);
    }
    for (struct st_pou *p = unit->pous; p; p = p->next)
        if (p->checked)
            for (struct st_var *v = p->vars; v; v = v->next)
                if (v->decl->address)
                    add_use(G, v, v->refs, v->writes);
}

static int use_cmp(const void *a, const void *b)
{
    const struct use *x = a, *y = b;
    static const char areas[] = "IQM", widths[] = "XBWDL";
    if (x->area != y->area)
        return (int)(strchr(areas, x->area) - strchr(areas, y->area));
    if (x->width != y->width)
        return (int)(strchr(widths, x->width) - strchr(widths, y->width));
    if (x->byte != y->byte)
        return x->byte < y->byte ? -1 : 1;
    return x->bit < y->bit ? -1 : x->bit > y->bit;
}

/* Reads beyond the writes: a VAR_IN_OUT argument counts as both. */
static bool program_reads(const struct use *u)
{
    return u->refs > u->writes;
}

/* The region a use goes to (see the file comment). */
static const char *region_of(const struct use *u)
{
    if (u->area == 'I')
        return "inputs";
    if (u->area == 'Q')
        return "outputs";
    return u->writes ? "memory" : "scada";
}

/* OpenPLC's Modbus address for @p u (modbus.cpp): "" when it has none. */
static void openplc_modbus(const struct use *u, char *out, size_t size)
{
    unsigned long a = u->byte, n = 0;
    const char *table = NULL;
    out[0] = '\0';
    if (u->width == 'X' && u->area != 'M') {
        table = u->area == 'I' ? "discrete_input" : "coil";
        n = 8 * a + u->bit;
        if (a >= 1024)
            return;
    } else if (u->width == 'W' && u->area != 'M') {
        table = u->area == 'I' ? "input_register" : "holding_register";
        n = a;
        if (a >= 1024)
            return;
    } else if (u->area == 'M' && u->width == 'W' && a < 1024) {
        table = "holding_register";
        n = 1024 + a;
    } else if (u->area == 'M' && u->width == 'D' && a < 1024) {
        table = "holding_register";
        n = 2048 + 2 * a;
    } else if (u->area == 'M' && u->width == 'L' && a < 1024) {
        table = "holding_register";
        n = 4096 + 4 * a;
    }
    if (table)
        snprintf(out, size, "%s:%lu", table, n);
}

static void tag_name(const struct use *u, char *out, size_t size)
{
    if (u->width == 'X')
        snprintf(out, size, "%c%c%lu_%lu", tolower((unsigned char)u->area), 'x', u->byte, u->bit);
    else
        snprintf(out, size, "%c%c%lu", tolower((unsigned char)u->area),
                 tolower((unsigned char)u->width), u->byte);
}

/*
 * The base's section of @p t as written, with its region and type replaced:
 * the lines from its header to the next section or blank line.
 */
static void copy_base_section(struct gen *G, FILE *out, const struct use *u)
{
    const char *s = G->base_text;
    for (unsigned line = 1; line < u->base->line && s; line++) {
        s = strchr(s, '\n');
        s = s ? s + 1 : NULL;
    }
    bool first = true;
    while (s && *s) {
        size_t len = strcspn(s, "\n");
        const char *k = s;
        while (k < s + len && isspace((unsigned char)*k))
            k++;
        if (k == s + len || (!first && *k == '['))
            break;
        if (strncmp(k, "region", 6) == 0 && strspn(k + 6, " \t=") > 0)
            fprintf(out, "region = %s\n", region_of(u));
        else if (strncmp(k, "type", 4) == 0 && strspn(k + 4, " \t=") > 0)
            fprintf(out, "type = %s\n", layout_type(u->type->kind));
        else if (strncmp(k, "retain", 6) == 0 && strspn(k + 6, " \t=") > 0)
            ; /* the region says, by --persistent */
        else if (strncmp(k, "safe", 4) == 0 && strspn(k + 4, " \t=") > 0 &&
                 strcmp(region_of(u), "scada") == 0)
            ; /* SCADA's region: its writer, not the logic, leaves the value */
        else
            fprintf(out, "%.*s\n", (int)len, s);
        first = false;
        s += len + (s[len] == '\n');
    }
}

static void describe(const struct use *u, char *out, size_t size)
{
    snprintf(out, size, "%s, '%s' in the program (%s)", u->addr, u->decl->name,
             u->writes && program_reads(u) ? "read and written"
             : u->writes                   ? "written"
             : u->refs                     ? "read"
                                           : "declared, not used");
}

static void write_tag(struct gen *G, FILE *out, const struct use *u)
{
    char name[32], mb[48], what[160];
    tag_name(u, name, sizeof(name));
    describe(u, what, sizeof(what));
    if (u->base) {
        fprintf(out, "; %s: from the base layout\n", what);
        copy_base_section(G, out, u);
        fputc('\n', out);
        return;
    }
    openplc_modbus(u, mb, sizeof(mb));
    fprintf(out, "[tag %s]\nregion = %s\ntype = %s\niec_address = %s\n", name, region_of(u),
            layout_type(u->type->kind), u->addr);
    if (u->area == 'Q' || (u->area == 'M' && u->writes))
        fprintf(out, "safe = %s\n", u->area == 'M' ? "hold" : "0");
    if (mb[0])
        fprintf(out, "modbus = %s\n", mb);
    fprintf(out, "description = %s\n\n", what);
}

/* The warnings that say where this layout behaves unlike OpenPLC. */
static void warn_uses(struct gen *G)
{
    struct st_ctx *ctx = &G->c->ctx;
    for (size_t i = 0; i < G->n; i++) {
        const struct use *u = &G->uses[i];
        char mb[48];
        openplc_modbus(u, mb, sizeof(mb));
        if (u->base && u->base->modbus.table)
            snprintf(mb, sizeof(mb), "%s:%u", plc_modbus_table_name(u->base->modbus.table),
                     (unsigned)u->base->modbus.address);
        const struct st_loc at = u->decl->addr_loc;
        if (u->area == 'M' && u->writes && program_reads(u))
            st_warning(ctx, at, 4008, "%s ('%s') is read and written by the program, so it "
                       "goes to region 'memory', written only by the logic: a SCADA write to "
                       "%s is refused (exception 02). If SCADA sets it, split it: a command "
                       "word SCADA writes and a status word the program writes "
                       "(docs/programs.md, commands)",
                       u->addr, u->decl->name, mb[0] ? mb : "it");
        else if (u->area == 'Q' && !u->writes)
            st_warning(ctx, at, 4009, "%s ('%s') is an output the program never writes: it "
                       "stays at its initial value (in OpenPLC a SCADA write could set it; "
                       "here only the logic writes outputs)",
                       u->addr, u->decl->name);
        else if (u->area == 'I' && !(u->base && u->base->gpio.bound))
            st_warning(ctx, at, 4009, "%s ('%s') is an input with no GPIO line in the base "
                       "layout: nothing writes it, it stays 0",
                       u->addr, u->decl->name);
        if (!mb[0] && !(u->base && u->base->modbus.table))
            st_warning(ctx, at, 4009, "%s ('%s') has no Modbus address on OpenPLC's map: "
                       "plcctl reads it, SCADA cannot",
                       u->addr, u->decl->name);
    }
}

static bool uses_region(const struct gen *G, const char *region)
{
    for (size_t i = 0; i < G->n; i++)
        if (strcmp(region_of(&G->uses[i]), region) == 0)
            return true;
    return false;
}

/* The [modbus] keys the base sets, as written there (comments left out). */
static void copy_modbus_section(struct gen *G, FILE *out)
{
    bool in = false;
    for (const char *s = G->base_text; s && *s;) {
        size_t len = strcspn(s, "\n");
        const char *k = s + strspn(s, " \t");
        if (*k == '[')
            in = strncmp(k, "[modbus]", 8) == 0;
        else if (in && *k != ';' && k < s + len && strncmp(k, "unmapped_reads", 14) != 0)
            fprintf(out, "%.*s\n", (int)len, s);
        s += len + (s[len] == '\n');
    }
}

static void write_region(FILE *out, const char *name, const char *writer, bool retain,
                         const char *description)
{
    fprintf(out, "[region %s]\nwriter = %s\n", name, writer);
    if (retain)
        fputs("retain = yes\n", out);
    fprintf(out, "description = %s\n\n", description);
}

static void write_diag_tag(FILE *out, const char *prefix, const char *name, const char *unit,
                           const char *description)
{
    fprintf(out, "[tag %s%s]\nregion = diagnostics\ntype = uint32\n", prefix, name);
    if (unit)
        fprintf(out, "unit = %s\n", unit);
    fprintf(out, "description = %s\n\n", description);
}

/*
 * plc-logic's own statistics, for plcctl get (no Modbus address: OpenPLC's map
 * has none to give them): the scan's, and each task's when the program has
 * tasks, so a user sees a slow task by name.
 */
static void write_diagnostics(struct gen *G, FILE *out)
{
    fputs("; ---- diagnostics, written by plc-logic itself (plcctl get) ----\n\n", out);
    write_region(out, "diagnostics", "logic", false,
                 "Scan and task statistics, written only by plc-logic (not the program)");
    write_diag_tag(out, "", "scan_count", NULL, "Scans run since start");
    write_diag_tag(out, "", "scan_time_last_us", "us", "Time the last scan took");
    write_diag_tag(out, "", "scan_time_max_us", "us", "Longest scan since start");
    write_diag_tag(out, "", "overruns", NULL, "Scans that did not finish within the period");
    fputs("[tag fault_state]\nregion = diagnostics\ntype = uint16\n"
          "description = 0 running, 1 faulted (outputs safe), 2 restarting\n\n",
          out);
    for (const struct st_config *cf = G->c->unit.configs; cf; cf = cf->next)
        for (const struct st_task *t = cf->tasks; t; t = t->next) {
            char prefix[80];
            int n = snprintf(prefix, sizeof(prefix), "task_");
            for (const char *c = t->name; *c && n + 2 < (int)sizeof(prefix); c++)
                prefix[n++] = (char)tolower((unsigned char)*c);
            snprintf(prefix + n, sizeof(prefix) - (size_t)n, "_");
            char what[160];
            snprintf(what, sizeof(what), "Runs of task %s since start", t->name);
            write_diag_tag(out, prefix, "runs", NULL, what);
            snprintf(what, sizeof(what), "Time the last run of task %s took", t->name);
            write_diag_tag(out, prefix, "scan_time_last_us", "us", what);
            snprintf(what, sizeof(what), "Longest run of task %s since start", t->name);
            write_diag_tag(out, prefix, "scan_time_max_us", "us", what);
            snprintf(what, sizeof(what), "Runs of task %s that overran", t->name);
            write_diag_tag(out, prefix, "overruns", NULL, what);
        }
}

static void write_layout(struct gen *G, FILE *out, unsigned version)
{
    const struct plc_st_layout_options *lo = G->lo;
    /* The default base by its name only: where it is installed is no part of the layout. */
    bool dflt = strcmp(lo->base, plc_st_layout_default_base()) == 0;
    fprintf(out, "; Written by 'plc-st layout' from %s on the map of %s.\n", G->c->sources,
            dflt ? "openplc-pi.ini (OpenPLC's Raspberry Pi map)" : lo->base);
    fputs("; Regenerate it after changing the program: the version goes up when the content\n"
          "; changes. What maps where, and why: docs/openplc.md. Reference: docs/layout.md.\n\n",
          out);
    fprintf(out, "[layout]\nname = %s\nversion = %u\ndescription = The addresses of %s\n\n",
            lo->name, version, G->c->sources);
    fputs("[modbus]\n", out);
    copy_modbus_section(G, out);
    if (lo->zero_fill)
        fputs("; a read of a polled block answers its unused addresses with 0\n"
              "unmapped_reads = zero\n", out);
    fputs("\n[logic]\ndiagnostics = diagnostics\n\n", out);
    if (uses_region(G, "inputs"))
        write_region(out, "inputs", "io", false, "%I inputs, written only by plc-io");
    if (uses_region(G, "outputs"))
        write_region(out, "outputs", "logic", false, "%Q outputs, written only by the scan");
    if (uses_region(G, "memory"))
        write_region(out, "memory", "logic", lo->persistent,
                     "%M memory the program writes (SCADA reads it)");
    if (uses_region(G, "scada"))
        write_region(out, "scada", "modbus", lo->persistent,
                     "%M memory the program only reads: written by SCADA over Modbus");
    for (size_t i = 0; i < G->n; i++)
        write_tag(G, out, &G->uses[i]);
    write_diagnostics(G, out);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    char chunk[8192];
    size_t r;
    while (m && (r = fread(chunk, 1, sizeof(chunk), f)) > 0)
        fwrite(chunk, 1, r, m);
    fclose(f);
    if (m)
        fclose(m);
    return buf;
}

/* The text without its "version = " line: what decides a version bump. */
static bool same_but_version(const char *a, const char *b)
{
    for (;;) {
        if (strncmp(a, "version = ", 10) == 0 && strncmp(b, "version = ", 10) == 0) {
            a += strcspn(a, "\n");
            b += strcspn(b, "\n");
        }
        size_t la = strcspn(a, "\n"), lb = strcspn(b, "\n");
        if (la != lb || memcmp(a, b, la) != 0)
            return false;
        if (!a[la] || !b[lb])
            return !a[la] && !b[lb];
        a += la + 1;
        b += lb + 1;
    }
}

/* The version to write: the existing file's, raised when the content changed. */
static unsigned next_version(struct gen *G, const char *text, FILE *diag)
{
    if (G->lo->version)
        return G->lo->version;
    char *old = slurp(G->lo->out);
    if (!old)
        return 1;
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(G->lo->out, &d);
    unsigned v = 1;
    if (l && strcmp(plc_layout_get_name(l), G->lo->name) == 0) {
        v = plc_layout_get_version(l);
        if (!same_but_version(old, text)) {
            v++;
            if (diag)
                fprintf(diag, "plc-st: %s: the layout changed: version %u (was %u)\n",
                        G->lo->out, v, v - 1);
        }
    }
    plc_layout_free(l);
    free(old);
    return v;
}

const char *plc_st_layout_default_base(void)
{
    return st_in_build_tree() && PLC_ST_OPENPLC_BUILD[0] ? PLC_ST_OPENPLC_BUILD
                                                          : PLC_ST_OPENPLC_INSTALL;
}

/* Write @p text to the output by rename, then check it loads. */
static int install(struct gen *G, const char *text)
{
    struct st_ctx *ctx = &G->c->ctx;
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp%ld", G->lo->out, (long)getpid());
    FILE *f = fopen(tmp, "w");
    bool ok = f && fputs(text, f) >= 0;
    if (f && fclose(f) != 0)
        ok = false;
    struct plc_diag d;
    struct plc_layout *l = ok ? plc_layout_load(tmp, &d) : NULL;
    if (ok && !l) {
        char msg[1200];
        plc_diag_format(&d, msg, sizeof(msg));
        st_error_plain(ctx, 9001, "the layout written does not load (a bug of plc-st layout): "
                       "%s", msg);
        unlink(tmp);
        return 1;
    }
    plc_layout_free(l);
    if (!ok || rename(tmp, G->lo->out) != 0) {
        st_error_plain(ctx, 9002, "cannot write '%s': %s", G->lo->out, strerror(errno));
        unlink(tmp);
        return 2;
    }
    return 0;
}

int plc_st_layout(const char *const *files, size_t n, const struct plc_st_layout_options *lo,
                  FILE *diag)
{
    struct compilation c;
    struct plc_st_options o = {.program = lo->program};
    struct gen G = {.c = &c, .lo = lo};
    int rc = st_compile(&c, files, n, &o, true, diag);
    if (rc == 0) {
        struct plc_diag d;
        G.base_text = slurp(lo->base);
        G.base = G.base_text ? plc_layout_load(lo->base, &d) : NULL;
        if (!G.base) {
            char msg[1200] = "";
            if (G.base_text)
                plc_diag_format(&d, msg, sizeof(msg));
            st_error_plain(&c.ctx, 4005, "base layout %s: %s", lo->base,
                           msg[0] ? msg : strerror(errno));
            rc = 2;
        }
    }
    if (rc == 0) {
        collect(&G);
        rc = c.ctx.errors ? 1 : 0;
    }
    if (rc == 0 && G.n == 0) {
        st_error_plain(&c.ctx, 4011, "%s locates no variable (AT %%IX0.0 ...): there is no "
                       "address to map", c.sources);
        rc = 1;
    }
    if (rc == 0) {
        qsort(G.uses, G.n, sizeof(*G.uses), use_cmp);
        warn_uses(&G);
        char *text = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&text, &len);
        if (m) {
            write_layout(&G, m, 1);
            fclose(m);
        }
        unsigned v = text ? next_version(&G, text, diag) : 1;
        free(text);
        text = NULL;
        m = open_memstream(&text, &len);
        if (m) {
            write_layout(&G, m, v);
            fclose(m);
        }
        rc = text ? install(&G, text) : 2;
        free(text);
    }
    plc_layout_free(G.base);
    free(G.base_text);
    free(G.uses);
    st_compilation_free(&c);
    return rc;
}
