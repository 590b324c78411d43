/* SPDX-License-Identifier: MIT */
/*
 * The build driver: sources in, diagnostics out, and for a build the
 * generated C compiled by the system's C compiler in a temporary directory.
 * An error from the C compiler is a bug of ours: it is reported as P9001,
 * quoting the ST line its #line directive names.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ast.h"
#include "driver.h"
#include "plc-layout.h"
#include "plcopen.h"
#include "st.h"

/* Where headers and libplc are: the build tree when this executable is in
 * it, the installation otherwise. */
#ifndef PLC_ST_BUILD_DIR
#define PLC_ST_BUILD_DIR ""
#define PLC_ST_BUILD_INCLUDE ""
#define PLC_ST_BUILD_LIBDIR ""
#define PLC_ST_INSTALL_INCLUDE "/usr/local/include/raspiplc"
#define PLC_ST_INSTALL_LIBDIR "/usr/local/lib"
#endif
/* From the build tree, the compiler and sanitizer flags the tree was built
 * with: a cross build's plc-st runs under its emulator and must make objects
 * for the target, and a sanitized build checks the generated code too. */
#ifndef PLC_ST_BUILD_CC
#define PLC_ST_BUILD_CC "cc"
#define PLC_ST_BUILD_CFLAGS ""
#endif

bool st_in_build_tree(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    size_t bl = strlen(PLC_ST_BUILD_DIR);
    if (n <= 0 || !bl)
        return false;
    exe[n] = '\0';
    return strncmp(exe, PLC_ST_BUILD_DIR, bl) == 0 && exe[bl] == '/';
}

/* @return 0, -1 unreadable, 1 a PLCopen XML file with errors. */
static int read_file(struct st_ctx *ctx, const char *path)
{
    if (ctx->source_count == ST_MAX_SOURCES) {
        st_error_plain(ctx, 9003, "more than %d source files", ST_MAX_SOURCES);
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        st_error_plain(ctx, 9003, "cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        if (len == cap) {
            char *nb = cap > (256u << 20) ? NULL : realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
    }
    bool err = ferror(f);
    fclose(f);
    if (!buf || err) {
        free(buf);
        st_error_plain(ctx, 9003, "cannot read '%s'%s", path, buf ? "" : ": too large");
        return -1;
    }
    char *text = st_strndup(&ctx->arena, buf, len);
    free(buf);
    struct st_source *s = &ctx->sources[ctx->source_count++];
    s->name = st_strdup(&ctx->arena, path);
    s->text = text;
    s->len = len;
    /* By content, not by name: plc.xml, project.xml or a file with no suffix */
    if (st_plcopen_is_xml(text, len))
        return st_plcopen_translate(ctx, ctx->source_count - 1) < 0 ? 1 : 0;
    return 0;
}

/*
 * Lex, parse and check what is in ctx->sources. A syntax error stops before
 * the checker: it would meet a tree with holes, and its messages about
 * half-parsed code would only hide the one that matters.
 */
static unsigned front_end(struct st_ctx *ctx, struct st_unit *unit,
                          const struct st_sema_options *so)
{
    for (uint32_t i = 0; i < ctx->source_count; i++) {
        struct st_tokens toks;
        st_lex(ctx, i, &toks);
        st_parse(ctx, &toks, unit);
    }
    if (ctx->errors)
        return ctx->errors;
    st_sema(ctx, unit, so);
    return ctx->errors;
}

int plc_st_check_buffer(const char *text, size_t len, const char *name, FILE *diag)
{
    struct st_ctx ctx;
    st_ctx_init(&ctx, diag);
    struct st_source *s = &ctx.sources[ctx.source_count++];
    s->name = name ? name : "<buffer>";
    s->text = st_strndup(&ctx.arena, text, len);
    s->len = len;
    struct st_unit unit = {0};
    struct st_sema_options so = {0};
    unsigned errors = st_plcopen_is_xml(text, len) && st_plcopen_translate(&ctx, 0) < 0
                          ? ctx.errors
                          : front_end(&ctx, &unit, &so);
    st_ctx_free(&ctx);
    return errors ? 1 : 0;
}

int st_compile(struct compilation *c, const char *const *files, size_t n,
               const struct plc_st_options *o, bool build, FILE *diag)
{
    memset(c, 0, sizeof(*c));
    st_ctx_init(&c->ctx, diag);
    if (n == 0) {
        st_error_plain(&c->ctx, 9003, "no source file given");
        return 2;
    }
    bool bad = false;
    for (size_t i = 0; i < n; i++) {
        int r = read_file(&c->ctx, files[i]);
        if (r < 0)
            return 2;
        bad |= r > 0;
        size_t l = strlen(c->sources);
        snprintf(c->sources + l, sizeof(c->sources) - l, "%s%s", i ? " " : "", files[i]);
    }
    if (bad)
        return 1;
    if (o && o->layout) {
        struct plc_diag d;
        c->layout = plc_layout_load(o->layout, &d);
        if (!c->layout) {
            char msg[1200];
            plc_diag_format(&d, msg, sizeof(msg));
            st_error_plain(&c->ctx, 4005, "%s", msg[0] ? msg : strerror(errno));
            return 2;
        }
    }
    struct st_sema_options so = {.program = o ? o->program : NULL, .need_program = build,
                                 .layout = c->layout};
    return front_end(&c->ctx, &c->unit, &so) ? 1 : 0;
}

void st_compilation_free(struct compilation *c)
{
    plc_layout_free(c->layout);
    st_ctx_free(&c->ctx);
}

int plc_st_check_files(const char *const *files, size_t n, const struct plc_st_options *o,
                       FILE *diag)
{
    struct compilation c;
    int rc = st_compile(&c, files, n, o, false, diag);
    st_compilation_free(&c);
    return rc;
}

static int emit(struct compilation *c, const struct plc_st_options *o, FILE *out)
{
    struct st_emit_options eo = {.layout = c->layout, .program_name = o ? o->program : NULL,
                                 .source_list = c->sources};
    return st_emit(&c->ctx, &c->unit, &eo, out);
}

int plc_st_emit_c(const char *const *files, size_t n, const struct plc_st_options *o, FILE *out,
                  FILE *diag)
{
    struct compilation c;
    int rc = st_compile(&c, files, n, o, true, diag);
    if (rc == 0 && emit(&c, o, out) < 0) {
        st_error_plain(&c.ctx, 9002, "cannot write the C file: %s", strerror(errno));
        rc = 2;
    }
    st_compilation_free(&c);
    return rc;
}

/* ---- running the C compiler ----------------------------------------------------------- */

/* An error line of the C compiler, "file.st:12:5: error: ..." thanks to #line. */
static void report_cc(struct st_ctx *ctx, const char *log_path)
{
    FILE *f = fopen(log_path, "r");
    char buf[2048];
    bool reported = false;
    while (f && fgets(buf, sizeof(buf), f)) {
        char *e = strstr(buf, ": error: ");
        if (!e)
            continue;
        buf[strcspn(buf, "\n")] = '\0';
        /* find which source: the text before ":LINE:" */
        for (uint32_t i = 0; i < ctx->source_count; i++) {
            size_t l = strlen(ctx->sources[i].name);
            if (strncmp(buf, ctx->sources[i].name, l) == 0 && buf[l] == ':') {
                unsigned line = (unsigned)strtoul(buf + l + 1, NULL, 10);
                st_error(ctx, (struct st_loc){i, line, 1}, 9001,
                         "internal compiler error: the C compiler rejected the code made from "
                         "this line (%s)", e + 9);
                reported = true;
                break;
            }
        }
        if (reported)
            break;
    }
    if (!reported)
        st_error_plain(ctx, 9001, "internal compiler error: the C compiler failed (%s%s)",
                       f ? "" : "no log", f && fgets(buf, sizeof(buf), f) ? "" : "its messages follow");
    if (f) {
        rewind(f);
        while (fgets(buf, sizeof(buf), f) && ctx->diag)
            fprintf(ctx->diag, "  | %s", buf);
        fclose(f);
    }
}

/* Start @argv with its output in @log_path; the pid, or -1. */
static pid_t start(char *const argv[], const char *log_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execvp(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* Its exit status (127: could not run it), or -1. */
static int finish(pid_t pid)
{
    int status;
    if (pid < 0)
        return -1;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* Remove the build directory and what is in it. */
static void rm_tree(const char *dir)
{
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        char p[PATH_MAX + 300];
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            snprintf(p, sizeof(p), "%s/%s", dir, e->d_name), unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
}

static bool write_file(const char *path, const char *a, size_t na, const char *b, size_t nb)
{
    FILE *f = fopen(path, "w");
    bool ok = f && fwrite(a, 1, na, f) == na && fwrite(b, 1, nb, f) == nb;
    return f ? fclose(f) == 0 && ok : false;
}

/* At most this many C files, compiled at once. */
#define ST_MAX_PIECES 8

/* The C compiler's command line up to its inputs (words of cc, the fixed
 * flags, the include directories, cflags) and the storage it points into. */
struct cc_line {
    char *argv[128];
    size_t n;
    char ccbuf[512], flagbuf[2048], inc_dir[PATH_MAX + 2], inc[PATH_MAX + 2], libdir[PATH_MAX + 2];
    char out[PATH_MAX], in[PATH_MAX];
    char objects[ST_MAX_PIECES][PATH_MAX];
};

static void cc_line(struct cc_line *l, const char *cc, const char *cflags, const char *dir,
                    bool build)
{
    l->n = 0;
    snprintf(l->inc_dir, sizeof(l->inc_dir), "-I%s", dir);
    snprintf(l->inc, sizeof(l->inc), "-I%s", build ? PLC_ST_BUILD_INCLUDE : PLC_ST_INSTALL_INCLUDE);
    snprintf(l->libdir, sizeof(l->libdir), "-L%s",
             build ? PLC_ST_BUILD_LIBDIR : PLC_ST_INSTALL_LIBDIR);
    snprintf(l->ccbuf, sizeof(l->ccbuf), "%s", cc && *cc ? cc : "cc");
    /* the compiler may be "ccache cc" or "aarch64-linux-gnu-gcc --sysroot=..." */
    for (char *save = NULL, *w = strtok_r(l->ccbuf, " ", &save); w && l->n < 16;
         w = strtok_r(NULL, " ", &save))
        l->argv[l->n++] = w;
    static const char *const fixed[] = {"-std=gnu11", "-O2", "-Wall", "-fPIC",
                                        "-fvisibility=hidden", "-fno-strict-aliasing"};
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        l->argv[l->n++] = (char *)fixed[i];
    l->argv[l->n++] = l->inc_dir;
    l->argv[l->n++] = l->inc;
    snprintf(l->flagbuf, sizeof(l->flagbuf), "%s", cflags ? cflags : "");
    for (char *save = NULL, *w = strtok_r(l->flagbuf, " ", &save); w && l->n < 80;
         w = strtok_r(NULL, " ", &save))
        l->argv[l->n++] = w;
}

/* cc_build()'s status when a C file could not be written (errno says why). */
#define ST_CC_UNWRITTEN (-2)
/* Below this much C, one file: splitting would cost more than it saves. */
#define ST_SPLIT_BYTES (256 * 1024)

/*
 * dir/program.so from the generated C @text: one file, or for a big program
 * one per processor compiled at once (a Pi has four cores, and the C
 * compiler is nearly all of a build's time). Returns the C compiler's
 * status: 0, 127 (cannot run it), -1, ST_CC_UNWRITTEN, or its failure,
 * with its messages in the file named in @log.
 */
static int cc_build(const char *text, size_t len, const char *dir, const char *cc,
                    const char *cflags, bool build, char *log, size_t log_size)
{
    struct cc_line *l = malloc(sizeof(*l));
    if (!l)
        return -1;
    cc_line(l, cc, cflags, dir, build);
    size_t base = l->n;
    char so[PATH_MAX];
    snprintf(so, sizeof(so), "%s/program.so", dir);
    /* How many files: one per processor ($PLC_ST_JOBS), cut where a POU starts. */
    long jobs = sysconf(_SC_NPROCESSORS_ONLN);
    const char *env = getenv("PLC_ST_JOBS");
    if (env && *env)
        jobs = strtol(env, NULL, 10);
    const char *first = strstr(text, "\n" ST_EMIT_PART "\n");
    size_t pieces = jobs < 1 ? 1 : jobs > ST_MAX_PIECES ? ST_MAX_PIECES : (size_t)jobs;
    if (len < ST_SPLIT_BYTES || !first)
        pieces = 1;
    int rc = 0;
    if (pieces == 1) {
        snprintf(l->in, sizeof(l->in), "%s/program.c", dir);
        snprintf(log, log_size, "%s/cc.log", dir);
        if (!write_file(l->in, text, len, "", 0)) {
            free(l);
            return ST_CC_UNWRITTEN;
        }
        char *const tail[] = {"-shared", "-o", so, l->in, l->libdir, "-lplc", "-lm",
                              "-Wl,-z,defs", NULL};
        memcpy(l->argv + base, tail, sizeof(tail));
        rc = finish(start(l->argv, log));
        free(l);
        return rc;
    }
    /* program.h: everything before the first POU; program-K.c: it, then
     * whole POUs, about an even share of them each (the tail in the last) */
    size_t head = (size_t)(first - text) + 1;
    const char *tables = strstr(first, "\n" ST_EMIT_TAIL "\n");
    size_t pous = tables ? (size_t)(tables - text) + 1 : len;
    char hpath[PATH_MAX];
    snprintf(hpath, sizeof(hpath), "%s/program.h", dir);
    if (!write_file(hpath, text, head, "", 0)) {
        free(l);
        return ST_CC_UNWRITTEN;
    }
    static const char include[] = "#include \"program.h\"\n";
    pid_t pids[ST_MAX_PIECES];
    size_t made = 0, at = head;
    l->argv[base] = "-DST_FN=";
    l->argv[base + 1] = "-c";
    l->argv[base + 2] = "-o";
    l->argv[base + 3] = l->out;
    l->argv[base + 4] = l->in;
    l->argv[base + 5] = NULL;
    while (at < len && made < pieces) {
        size_t end = len;
        if (made + 1 < pieces) {
            /* even shares of the POUs; the tables after them are quick to compile */
            size_t want = head + (pous - head) * (made + 1) / pieces;
            const char *cut = want < len ? strstr(text + want, "\n" ST_EMIT_PART "\n") : NULL;
            end = cut ? (size_t)(cut - text) + 1 : len;
        }
        snprintf(l->in, sizeof(l->in), "%s/program-%zu.c", dir, made);
        snprintf(l->out, sizeof(l->out), "%s/program-%zu.o", dir, made);
        char plog[PATH_MAX];
        snprintf(plog, sizeof(plog), "%s/cc-%zu.log", dir, made);
        if (!write_file(l->in, include, sizeof(include) - 1, text + at, end - at))
            rc = ST_CC_UNWRITTEN;
        pids[made++] = rc ? -1 : start(l->argv, plog);
        at = end;
    }
    for (size_t i = 0; i < made; i++) {
        int st = finish(pids[i]);
        if (st != 0 && rc == 0) {
            rc = st;
            snprintf(log, log_size, "%s/cc-%zu.log", dir, i);
        }
    }
    if (rc == 0) {
        /* link: the objects, with the same flags (a sanitizer's runtime) */
        size_t a = base;
        l->argv[a++] = "-shared";
        l->argv[a++] = "-o";
        l->argv[a++] = so;
        for (size_t i = 0; i < made; i++) {
            snprintf(l->objects[i], sizeof(l->objects[i]), "%s/program-%zu.o", dir, i);
            l->argv[a++] = l->objects[i];
        }
        char *const tail[] = {l->libdir, "-lplc", "-lm", "-Wl,-z,defs", NULL};
        memcpy(l->argv + a, tail, sizeof(tail));
        snprintf(log, log_size, "%s/link.log", dir);
        rc = finish(start(l->argv, log));
    }
    free(l);
    return rc;
}

int plc_st_build(const char *const *files, size_t n, const struct plc_st_options *o,
                 const char *so_path, FILE *diag)
{
    struct compilation c;
    int rc = st_compile(&c, files, n, o, true, diag);
    if (rc) {
        st_compilation_free(&c);
        return rc;
    }
    const char *tmpbase = getenv("TMPDIR");
    char dir[PATH_MAX - 64], hfile[PATH_MAX], sofile[PATH_MAX], log[PATH_MAX] = "";
    snprintf(dir, sizeof(dir), "%s/plc-st.XXXXXX", tmpbase && *tmpbase ? tmpbase : "/tmp");
    if (!mkdtemp(dir)) {
        st_error_plain(&c.ctx, 9002, "cannot make a temporary directory: %s", strerror(errno));
        st_compilation_free(&c);
        return 2;
    }
    snprintf(hfile, sizeof(hfile), "%s/plc-image.h", dir);
    snprintf(sofile, sizeof(sofile), "%s/program.so", dir);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    rc = !f || emit(&c, o, f) < 0;
    if (f && fclose(f) != 0)
        rc = 1;
    if (!rc && c.layout) {
        f = fopen(hfile, "w");
        rc = !f || plc_layout_write_header(c.layout, f) < 0;
        if (f && fclose(f) != 0)
            rc = 1;
    }
    if (rc) {
        st_error_plain(&c.ctx, 9002, "cannot write in '%s': %s", dir, strerror(errno));
        free(text);
        rm_tree(dir);
        st_compilation_free(&c);
        return 2;
    }
    bool build = st_in_build_tree();
    const char *cc = o && o->cc ? o->cc : getenv("PLC_ST_CC");
    const char *cflags = o && o->cflags ? o->cflags : getenv("PLC_ST_CFLAGS");
    if (build && !(cc && *cc))
        cc = PLC_ST_BUILD_CC;
    if (build && !cflags)
        cflags = PLC_ST_BUILD_CFLAGS;
    int st = cc_build(text, len, dir, cc, cflags, build, log, sizeof(log));
    free(text);
    if (st == ST_CC_UNWRITTEN) {
        st_error_plain(&c.ctx, 9002, "cannot write the C files in '%s': %s", dir,
                       strerror(errno));
        rc = 2;
    } else if (st == 127 || st < 0) {
        st_error_plain(&c.ctx, 9002, "cannot run the C compiler '%s' (set PLC_ST_CC)",
                       cc && *cc ? cc : "cc");
        rc = 2;
    } else if (st != 0) {
        report_cc(&c.ctx, log);
        rc = 1;
    } else {
        /* copy next to the target, then rename: plc-logic never loads half a file */
        char tmp[PATH_MAX + 32];
        snprintf(tmp, sizeof(tmp), "%s.tmp%ld", so_path, (long)getpid());
        FILE *in = fopen(sofile, "rb"), *outf = fopen(tmp, "wb");
        char buf[65536];
        size_t r;
        bool ok = in && outf;
        while (ok && (r = fread(buf, 1, sizeof(buf), in)) > 0)
            ok = fwrite(buf, 1, r, outf) == r;
        if (in)
            fclose(in);
        if (outf && fclose(outf) != 0)
            ok = false;
        if (!ok || chmod(tmp, 0755) != 0 || rename(tmp, so_path) != 0) {
            st_error_plain(&c.ctx, 9002, "cannot write '%s': %s", so_path, strerror(errno));
            unlink(tmp);
            rc = 2;
        }
    }
    if (!getenv("PLC_ST_KEEP"))
        rm_tree(dir);
    else if (diag)
        fprintf(diag, "plc-st: kept %s\n", dir);
    st_compilation_free(&c);
    return rc;
}

int plc_st_build_sim(const char *const *files, size_t n, const char *program,
                     const char *so_path, FILE *diag)
{
    struct plc_st_options o = {.program = program};
    return plc_st_build(files, n, &o, so_path, diag);
}

int plc_st_explain(const char *code, FILE *out)
{
    const char *p = code;
    if (*p == 'P' || *p == 'p')
        p++;
    char *end;
    long n = strtol(p, &end, 10);
    const struct st_code *c = *p && !*end ? st_code_find((int)n) : NULL;
    if (!c)
        return 2;
    fprintf(out, "P%04d: %s\n\n%s\n", c->code, c->title, c->explain);
    return 0;
}

int plc_st_code_at(size_t i, int *code, const char **title, const char **text)
{
    const struct st_code *c = st_code_at(i);
    if (!c)
        return -1;
    *code = c->code;
    *title = c->title;
    *text = c->explain;
    return 0;
}
