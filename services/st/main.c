/* SPDX-License-Identifier: MIT */
/*
 * plc-st: the IEC 61131-3 Structured Text compiler of RaspiPLC.
 *
 *   plc-st check FILE...
 *   plc-st build FILE... [--layout L.ini] [--program NAME] -o PROG.so
 *   plc-st emit-c FILE... [--layout L.ini] [--program NAME] [-o OUT.c]
 *   plc-st sim FILE... [--program NAME] [--cycle 20ms] [--scans N] ...
 *   plc-st layout FILE... [--base B.ini] [--persistent] [--zero-fill] -o OUT.ini
 *   plc-st explain Pnnnn
 *
 * main() parses argv and calls the library (st.h, sim.h). Exit 0 ok, 1 errors in
 * the sources, 2 usage; sim has its own (sim.h). A FILE may be PLCopen XML (plc.xml).
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim.h"
#include "st.h"

struct args {
    const char *files[64];
    size_t n;
    struct plc_st_options o;
    const char *out;
};

typedef int (*verb_fn)(struct args *a);
/* A verb with a command line of its own: argv[0] is the verb. */
typedef int (*verb_main_fn)(int argc, char **argv);

static int v_check(struct args *a)
{
    return plc_st_check_files(a->files, a->n, &a->o, stderr);
}

static int v_build(struct args *a)
{
    if (!a->out) {
        fputs("plc-st: build needs -o PROG.so\n", stderr);
        return 2;
    }
    return plc_st_build(a->files, a->n, &a->o, a->out, stderr);
}

static int v_emit(struct args *a)
{
    FILE *out = a->out ? fopen(a->out, "w") : stdout;
    if (!out) {
        perror(a->out);
        return 2;
    }
    int rc = plc_st_emit_c(a->files, a->n, &a->o, out, stderr);
    if (a->out && fclose(out) != 0)
        rc = 2;
    return rc;
}

/*
 * sim: build with no layout into a private directory, then run that object;
 * the same generated code `build` makes, so what passes here runs the same
 * in plc-logic.
 */
static int v_sim(int argc, char **argv)
{
    struct plc_st_sim_args a;
    int rc = plc_st_sim_args_parse(&a, argc, argv, stderr);
    if (rc != 0)
        return rc;
    if (!a.file_count) {
        fputs(PLC_ST_SIM_USAGE_TEXT "\n", stderr);
        plc_st_sim_args_free(&a);
        return PLC_ST_SIM_USAGE;
    }
    const char *tmp = getenv("TMPDIR");
    char dir[4096], so[4200];
    snprintf(dir, sizeof(dir), "%s/plc-st-sim.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        fprintf(stderr, "plc-st sim: cannot make a directory in %s: %s\n",
                tmp && *tmp ? tmp : "/tmp", strerror(errno));
        plc_st_sim_args_free(&a);
        return PLC_ST_SIM_USAGE;
    }
    snprintf(so, sizeof(so), "%s/program.so", dir);
    rc = plc_st_build_sim(a.files, a.file_count, a.options.program, so, stderr);
    /* build: 1 errors in the sources, 2 usage; both are sim's usage status */
    if (rc == 0)
        rc = plc_st_sim_run(so, &a.options, stdout, stderr);
    else
        rc = PLC_ST_SIM_USAGE;
    unlink(so);
    rmdir(dir);
    plc_st_sim_args_free(&a);
    return rc;
}

/* The layout's name from the output file's: "my-plant.ini" is my_plant. */
static void name_from_path(const char *path, char *name, size_t size)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t n = 0;
    if (!isalpha((unsigned char)base[0]) && size > 3)
        n = (size_t)snprintf(name, size, "st_");
    for (const char *c = base; *c && *c != '.' && n + 1 < size; c++)
        name[n++] = isalnum((unsigned char)*c) ? (char)tolower((unsigned char)*c) : '_';
    name[n] = '\0';
}

#define LAYOUT_USAGE                                                                      \
    "FILE... [--base LAYOUT.ini] [--name NAME] [--version N] [--program NAME]\n"          \
    "      [--persistent] [--zero-fill] -o OUT.ini"

static int v_layout(int argc, char **argv)
{
    static const struct option opts[] = {
        {"base", required_argument, NULL, 'b'},    {"name", required_argument, NULL, 'n'},
        {"version", required_argument, NULL, 'v'}, {"program", required_argument, NULL, 'p'},
        {"persistent", no_argument, NULL, 'P'},    {"zero-fill", no_argument, NULL, 'z'},
        {"output", required_argument, NULL, 'o'},  {0},
    };
    struct plc_st_layout_options lo = {.base = plc_st_layout_default_base()};
    char name[64];
    int c;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'b': lo.base = optarg; break;
        case 'n': lo.name = optarg; break;
        case 'p': lo.program = optarg; break;
        case 'P': lo.persistent = true; break;
        case 'z': lo.zero_fill = true; break;
        case 'o': lo.out = optarg; break;
        case 'v': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || !v || v > 1000000) {
                fprintf(stderr, "plc-st layout: --version '%s': a positive integer\n", optarg);
                return 2;
            }
            lo.version = (unsigned)v;
            break;
        }
        default:
            fputs("usage: plc-st layout " LAYOUT_USAGE "\n", stderr);
            return 2;
        }
    }
    if (!lo.out || optind >= argc) {
        fputs("usage: plc-st layout " LAYOUT_USAGE "\n", stderr);
        return 2;
    }
    if (!lo.name) {
        name_from_path(lo.out, name, sizeof(name));
        lo.name = name;
    }
    return plc_st_layout((const char *const *)argv + optind, (size_t)(argc - optind), &lo,
                         stderr);
}

/*
 * Every code as a section of docs/st-errors.md: the explanation as a
 * paragraph, its failing example and fix as a code block.
 */
static int explain_all(FILE *out)
{
    int code;
    const char *title, *text;
    for (size_t i = 0; plc_st_code_at(i, &code, &title, &text) == 0; i++) {
        fprintf(out, "%s## P%04d: %s\n\n", i ? "\n" : "", code, title);
        bool example = false;
        for (const char *l = text; *l;) {
            size_t n = strcspn(l, "\n");
            if (!example && strncmp(l, "Failing:", 8) == 0) {
                example = true;
                fputc('\n', out);
            }
            fprintf(out, "%s%.*s\n", example ? "    " : "", (int)n, l);
            l += n + (l[n] == '\n');
        }
    }
    return ferror(out) ? 2 : 0;
}

static int v_explain(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--all") == 0)
        return explain_all(stdout);
    if (argc != 2) {
        fprintf(stderr, "usage: plc-st explain Pnnnn | --all\n");
        return 2;
    }
    if (plc_st_explain(argv[1], stdout) != 0) {
        fprintf(stderr, "plc-st: no diagnostic code '%s'\n", argv[1]);
        return 2;
    }
    return 0;
}

static const struct verb {
    const char *name;
    verb_fn fn;
    verb_main_fn main;
    const char *args, *help;
} verbs[] = {
    {"check", v_check, NULL, "FILE...", "report the errors of the ST sources (exit 1 if any)"},
    {"build", v_build, NULL, "FILE... [--layout L.ini] [--program NAME] -o PROG.so",
     "compile into a program object plc-logic loads"},
    {"emit-c", v_emit, NULL, "FILE... [--layout L.ini] [--program NAME] [-o OUT.c]",
     "print the generated C (for debugging the compiler)"},
    {"sim", NULL, v_sim,
     "FILE... [--program NAME] [--cycle 20ms] [--scans N] [--set NAME=VALUE]...\n"
     "      [--script FILE.jsonl] [--watch NAME,...]",
     "run the program offline on a simulated clock, one JSON line per scan\n"
     "      (exit 0 ok, 1 an expectation failed, 2 usage or source errors, 3 the program faulted)"},
    {"layout", NULL, v_layout, LAYOUT_USAGE,
     "write the layout for the located addresses the program uses (%IX0.0, %MW3 ...)\n"
     "      on OpenPLC's Raspberry Pi map (or --base's), one writer per region\n"
     "      (docs/openplc.md)"},
    {"explain", NULL, v_explain, "Pnnnn | --all",
     "explain a diagnostic code, with an example and its fix (--all: every code,\n"
     "      as docs/st-errors.md shows them)"},
};

static void usage(FILE *out)
{
    fputs("usage: plc-st COMMAND [ARGS...]\n"
          "Compile IEC 61131-3 Structured Text into RaspiPLC programs.\n"
          "Commands:\n", out);
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        fprintf(out, "  %s %s\n      %s\n", verbs[i].name, verbs[i].args, verbs[i].help);
    fputs("A FILE whose first character is '<' is PLCopen XML (the OpenPLC Editor's plc.xml):\n"
          "its ST POUs are compiled; LD, FBD, SFC and IL bodies are refused.\n"
          "Environment: PLC_ST_CC (C compiler, default cc), PLC_ST_CFLAGS (extra flags),\n"
          "PLC_ST_JOBS (C files compiled at once for a big program, default: processors),\n"
          "PLC_ST_KEEP=1 (keep the generated C).\n"
          "Exit status: 0 ok, 1 errors in the sources, 2 usage error.\n", out);
}

int main(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "--version") == 0) {
        puts("plc-st " PLC_ST_VERSION);
        return 0;
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const struct verb *v = NULL;
    for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
        if (strcmp(verbs[i].name, argv[1]) == 0)
            v = &verbs[i];
    if (!v) {
        fprintf(stderr, "plc-st: unknown command '%s' (try plc-st --help)\n", argv[1]);
        return 2;
    }
    if (v->main)
        return v->main(argc - 1, argv + 1);
    static const struct option opts[] = {
        {"layout", required_argument, NULL, 'l'},
        {"program", required_argument, NULL, 'p'},
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    struct args a = {0};
    int c;
    optind = 2;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': a.o.layout = optarg; break;
        case 'p': a.o.program = optarg; break;
        case 'o': a.out = optarg; break;
        case 'h': usage(stdout); return 0;
        default:
            fprintf(stderr, "usage: plc-st %s %s\n", v->name, v->args);
            return 2;
        }
    }
    for (; optind < argc; optind++) {
        if (a.n == sizeof(a.files) / sizeof(a.files[0])) {
            fputs("plc-st: too many files\n", stderr);
            return 2;
        }
        a.files[a.n++] = argv[optind];
    }
    if (!a.n) {
        fprintf(stderr, "usage: plc-st %s %s\n", v->name, v->args);
        return 2;
    }
    if (a.o.layout && v->fn == v_check)
        fputs("plc-st: check ignores --layout\n", stderr);
    return v->fn(&a);
}
