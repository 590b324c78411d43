/* SPDX-License-Identifier: MIT */
/*
 * struct plc_scan: the cycle on a simulated clock (period, overruns and
 * skipped cycles, watchdog and safe outputs, fault restart), program loading
 * (layout hash mismatch, reload), the watchdog thread on the real clock, and
 * what Structured Text programs add: the fault's ST line, online change, the
 * task interval as the period.
 * Runs on the engine test layout (tests/programs/engine.ini) in real shared
 * memory.
 */
#include <dirent.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <fcntl.h>
#include <sys/mman.h>

#include "fixture.h"
#include "plc-force.h"
#include "plc-image.h"
#include "shm-format.h"
#include "plc-scan.h"

#define MS 1000000ull
#define PERIOD (1 * MS) /* engine.ini: period = 1ms, watchdog = 50ms */

/* ---- the simulated clock and a program linked in --------------------------- */

struct sim {
    uint64_t t;
    uint64_t late;            /* added to every wake-up */
    uint64_t deadlines[64];   /* what sleep_until was asked for */
    size_t nsleeps;
};

static uint64_t sim_now(void *user)
{
    return ((struct sim *)user)->t;
}

static int sim_sleep_until(void *user, uint64_t d)
{
    struct sim *c = user;
    if (c->nsleeps < 64)
        c->deadlines[c->nsleeps] = d;
    c->nsleeps++;
    if (c->t < d)
        c->t = d;
    c->t += c->late;
    return 0;
}

static const struct plc_scan_clock sim_clock = {.now = sim_now, .sleep_until = sim_sleep_until};

/* What the linked-in program sees and does; one test at a time. */
static struct {
    struct sim *clock;
    uint64_t work;        /* each scan advances the clock this much */
    uint64_t work_once;   /* the next scan only */
    int ret;
    const char *fault;    /* what the scan or init says when it fails */
    size_t n;
    uint64_t now[256], dt[256];
    bool first[256];
    _Atomic bool spin;    /* real-clock test: spin until cleared */
    _Atomic bool spinning;
} prog;

static int t_scan(struct plc_ctx *ctx)
{
    const struct plc_image *io = ctx->image;
    if (prog.n < 256) {
        prog.now[prog.n] = ctx->now_ns;
        prog.dt[prog.n] = ctx->dt_ns;
        prog.first[prog.n] = ctx->first_scan;
    }
    prog.n++;
    io->outputs->out_off = true;
    io->outputs->out_on = false;
    io->outputs->out_hold = true;
    io->outputs->out_value = 7;
    if (prog.clock) {
        prog.clock->t += prog.work + prog.work_once;
        prog.work_once = 0;
    }
    if (atomic_load(&prog.spin)) {
        atomic_store(&prog.spinning, true);
        while (atomic_load(&prog.spin))
            ;
    }
    ctx->fault = prog.ret ? prog.fault : NULL;
    return prog.ret;
}

static int t_init(struct plc_ctx *ctx)
{
    ctx->fault = prog.fault;
    return prog.fault ? 1 : 0;
}

static const struct plc_program t_program = {
    .abi = PLC_PROGRAM_ABI,
    .size = sizeof(struct plc_program),
    .name = "linked",
    .layout_name = PLC_LAYOUT_NAME,
    .layout_version = PLC_LAYOUT_VERSION,
    .layout_hash = PLC_LAYOUT_HASH,
    .scan = t_scan,
};

/* ---- fixture --------------------------------------------------------------- */

struct t {
    struct fixture *f;
    struct sim clock;
    struct plc_logic_def logic;
    struct plc_scan_config cfg;
    struct plc_scan *scan;
    struct plc_region *outputs, *diag, *commands, *params;
    char log[4096];
};

static void collect_log(void *user, int level, const char *msg)
{
    struct t *t = user;
    (void)level;
    size_t n = strlen(t->log);
    snprintf(t->log + n, sizeof(t->log) - n, "%s\n", msg);
}

static int setup(void **state)
{
    struct t *t = calloc(1, sizeof(*t));
    t->f = fixture_new(NULL);
    plc_layout_free(t->f->layout);
    t->f->layout = plc_layout_load(PLC_ENGINE_LAYOUT, &t->f->diag);
    assert_non_null(t->f->layout);
    fixture_init(t->f);
    memset(&prog, 0, sizeof(prog));
    t->clock.t = 1000 * MS;
    prog.clock = &t->clock;
    t->logic = *plc_layout_get_logic(t->f->layout);
    t->cfg = (struct plc_scan_config){
        .layout = t->f->layout,
        .base_dir = t->f->base,
        .program = &t_program,
        .logic = &t->logic,
        .clock = &sim_clock,
        .clock_user = &t->clock,
        .log = collect_log,
        .log_user = t,
    };
    const struct plc_layout *l = t->f->layout;
    struct plc_diag *d = &t->f->diag;
    t->outputs = plc_region_attach(l, t->f->base, "outputs", PLC_READER, NULL, d);
    t->diag = plc_region_attach(l, t->f->base, "diagnostics", PLC_READER, NULL, d);
    t->commands = plc_region_attach(l, t->f->base, "commands", PLC_WRITER, "modbus", d);
    t->params = plc_region_attach(l, t->f->base, "parameters", PLC_WRITER, "modbus", d);
    assert_true(t->outputs && t->diag && t->commands && t->params);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct t *t = *state;
    plc_scan_free(t->scan);
    plc_region_detach(t->outputs);
    plc_region_detach(t->diag);
    plc_region_detach(t->commands);
    plc_region_detach(t->params);
    fixture_free(t->f);
    free(t);
    return 0;
}

static void start(struct t *t)
{
    t->scan = plc_scan_new(&t->cfg, &t->f->diag);
    if (!t->scan)
        fail_msg("plc_scan_new: %s", t->f->diag.msg);
}

static void steps(struct t *t, int n)
{
    for (int i = 0; i < n; i++)
        assert_int_equal(plc_scan_step(t->scan), 0);
}

static double tag(struct t *t, struct plc_region *r, const char *name)
{
    double v;
    assert_int_equal(plc_region_read_tag(r, plc_layout_find_tag(t->f->layout, name), &v), 0);
    return v;
}

static void set_tag(struct t *t, struct plc_region *r, const char *name, double v)
{
    assert_int_equal(plc_region_write_tag(r, plc_layout_find_tag(t->f->layout, name), v), 0);
}

/* Outputs as the program drives them, or at their safe values. */
static void assert_outputs_program(struct t *t)
{
    assert_true(tag(t, t->outputs, "out_off") == 1);
    assert_true(tag(t, t->outputs, "out_on") == 0);
    assert_true(tag(t, t->outputs, "out_hold") == 1);
    assert_true(tag(t, t->outputs, "out_value") == 7);
}

static void assert_outputs_safe(struct t *t, bool hold_was)
{
    assert_true(tag(t, t->outputs, "out_off") == 0);
    assert_true(tag(t, t->outputs, "out_on") == 1);
    assert_true(tag(t, t->outputs, "out_hold") == hold_was);
    assert_true(tag(t, t->outputs, "out_value") == -5);
}

/* ---- cases ----------------------------------------------------------------- */

static void outputs_safe_before_first_scan(void **state)
{
    struct t *t = *state;
    start(t);
    assert_outputs_safe(t, false);
    steps(t, 1);
    assert_outputs_program(t);
}

static void period_kept_on_absolute_deadlines(void **state)
{
    struct t *t = *state;
    t->clock.late = 300000;   /* every wake-up 300 us late */
    prog.work = 200000;       /* and 200 us of work: 0.5 ms used of 1 ms */
    start(t);
    steps(t, 50);
    /* Deadlines on the grid from the start: lateness does not drift them. */
    for (size_t i = 0; i < 49; i++)
        assert_int_equal(t->clock.deadlines[i], 1000 * MS + (i + 1) * PERIOD);
    for (size_t i = 0; i < 50; i++) {
        assert_int_equal(prog.now[i], i * PERIOD); /* scan time = the deadline */
        assert_int_equal(prog.dt[i], i ? PERIOD : 0);
        assert_int_equal(prog.first[i], i == 0);
    }
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.scans, 50);
    assert_int_equal(st.overruns, 0);
    assert_int_equal(st.late_max, 300000);
    assert_int_equal(st.late_p99, 300000);
    assert_int_equal(st.scan_max, 200000);
}

static void overrun_counted_and_missed_cycles_skipped(void **state)
{
    struct t *t = *state;
    start(t);
    steps(t, 5);
    prog.work_once = 2 * PERIOD + PERIOD / 2; /* scan 5 (at 5 ms) ends at 7.5 ms */
    steps(t, 2);
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.overruns, 1);
    assert_int_equal(st.skipped, 2); /* the 6 ms and 7 ms cycles */
    assert_int_equal(st.scans, 7);   /* not run back to back to catch up */
    assert_int_equal(prog.now[5], 5 * PERIOD);
    assert_int_equal(prog.now[6], 8 * PERIOD); /* scan time jumped: timers stay right */
    assert_int_equal(prog.dt[6], 3 * PERIOD);
    assert_int_equal(t->clock.deadlines[5], 1000 * MS + 8 * PERIOD);
    assert_non_null(strstr(t->log, "overrun: woke 0 us late and ran 2500 us, past the next "
                                   "deadline (period 1000 us); 2 cycle(s) skipped"));
    assert_true(tag(t, t->diag, "overruns") == 1);
    assert_true(tag(t, t->diag, "skipped") == 2);
    assert_true(tag(t, t->diag, "scan_count") == 7);
}

static void watchdog_fault_drives_outputs_safe_until_reset_command(void **state)
{
    struct t *t = *state;
    start(t);
    steps(t, 3);
    assert_outputs_program(t);
    prog.work_once = 60 * MS; /* watchdog 50 ms */
    steps(t, 1);
    assert_outputs_safe(t, true); /* hold keeps the last published value */
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.state, PLC_SCAN_FAULTED);
    assert_int_equal(st.cause, PLC_FAULT_WATCHDOG);
    assert_string_equal(st.fault,
                        "program 'linked': scan ran 60000 us, longer than the watchdog (50000 us)");
    assert_true(tag(t, t->diag, "fault_state") == 1);
    assert_true(tag(t, t->diag, "fault_cause") == 1);
    assert_true(tag(t, t->diag, "faults") == 1);
    assert_non_null(strstr(t->log, "outputs safe until 'fault_reset' changes"));

    /* Faulted: the program does not run, outputs stay safe. */
    size_t ran = prog.n;
    steps(t, 20);
    assert_int_equal(prog.n, ran);
    assert_outputs_safe(t, true);

    /* The reset command: a cold restart with a first scan. */
    set_tag(t, t->commands, "fault_reset", 1);
    steps(t, 1);
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.state, PLC_SCAN_RUNNING);
    steps(t, 1);
    assert_int_equal(prog.n, ran + 1);
    assert_true(prog.first[ran]);
    assert_outputs_program(t);
    assert_true(tag(t, t->diag, "fault_state") == 0);
}

/* A writer killed mid-write leaves its region unreadable until its service is back:
 * an input fault, outputs safe, and the PLC runs again by itself once it reads. */
static void input_fault_ends_by_itself_when_the_region_reads_again(void **state)
{
    struct t *t = *state;
    start(t);
    steps(t, 3);
    assert_outputs_program(t);

    /* plc-modbus dies in the middle of a write to 'commands' */
    struct plc_shm_header *h = fixture_map(t->f, "commands", 4096);
    plc_region_detach(t->commands);
    t->commands = NULL;
    atomic_fetch_add(&h->seq, 1);

    steps(t, 1);
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.state, PLC_SCAN_FAULTED);
    assert_int_equal(st.cause, PLC_FAULT_INPUT);
    assert_string_equal(st.fault, "region 'commands' cannot be read: region left mid-write by "
                                  "a writer that died: it is readable again once its service "
                                  "restarts");
    assert_outputs_safe(t, true);
    size_t ran = prog.n;
    steps(t, 5);
    assert_int_equal(prog.n, ran);
    assert_outputs_safe(t, true);

    /* plc-modbus is back: its attach restores the region, no reset command needed */
    t->commands = plc_region_attach(t->f->layout, t->f->base, "commands", PLC_WRITER, "modbus",
                                    &t->f->diag);
    assert_non_null(t->commands);
    steps(t, 1);
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.state, PLC_SCAN_RUNNING);
    assert_int_equal(st.faults, 1);
    assert_non_null(strstr(t->log, "leaving fault (every region reads again)"));
    steps(t, 1);
    assert_int_equal(prog.n, ran + 1);
    assert_true(prog.first[ran]); /* a cold restart, as after every fault */
    assert_outputs_program(t);
    assert_true(tag(t, t->diag, "fault_state") == 0);
    fixture_unmap(h, 4096);
}

/* plc-shm-init --recreate retired a region the logic writes: nobody sees its
 * writes any more, so the cycle fails and plc-logic stops to be started again. */
static void retired_region_of_ours_ends_the_run(void **state)
{
    struct t *t = *state;
    start(t);
    steps(t, 2);
    struct plc_shm_header *h = fixture_map(t->f, "status", 4096);
    atomic_fetch_or(&h->flags, PLC_SHM_RETIRED);
    assert_int_equal(plc_scan_step(t->scan), -1);
    assert_int_equal(errno, PLC_ERETIRED);
    assert_non_null(strstr(t->log, "cannot publish region 'status': region was re-created"));
    fixture_unmap(h, 4096);
}

static void auto_restart_after_delay(void **state)
{
    struct t *t = *state;
    t->logic.restart = PLC_RESTART_AUTO;
    t->logic.restart_delay_us = 10000; /* 10 ms = 10 periods */
    start(t);
    steps(t, 2);
    prog.ret = 3;
    steps(t, 1);
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.cause, PLC_FAULT_PROGRAM);
    assert_string_equal(st.fault, "program 'linked': scan returned 3");
    assert_outputs_safe(t, true);
    prog.ret = 0;
    steps(t, 9);
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.state, PLC_SCAN_FAULTED);
    steps(t, 2);
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.state, PLC_SCAN_RUNNING);
    assert_int_equal(st.faults, 1);
    assert_outputs_program(t);
    assert_non_null(strstr(t->log, "leaving fault (auto restart)"));
}

static void reset_fault_refused_when_running(void **state)
{
    struct t *t = *state;
    start(t);
    assert_int_equal(plc_scan_reset_fault(t->scan), -1);
    assert_int_equal(errno, EALREADY);
}

static void program_for_other_layout_refused_with_both_hashes(void **state)
{
    struct t *t = *state;
    struct plc_program other = t_program;
    other.layout_hash ^= 1;
    t->cfg.program = &other;
    assert_null(plc_scan_new(&t->cfg, &t->f->diag));
    assert_int_equal(errno, PLC_ELAYOUT);
    char want[512];
    snprintf(want, sizeof(want),
             "program 'linked' was built for layout 'enginetest' version %u (hash %016llx), not "
             "for layout 'enginetest' version %u (hash %016llx) in use",
             PLC_LAYOUT_VERSION, (unsigned long long)other.layout_hash, PLC_LAYOUT_VERSION,
             (unsigned long long)PLC_LAYOUT_HASH);
    if (!strstr(t->f->diag.msg, want))
        fail_msg("got: %s\nwant: %s", t->f->diag.msg, want);
}

static void shared_object_for_other_layout_refused(void **state)
{
    struct t *t = *state;
    t->cfg.program = NULL;
    t->cfg.program_path = PLC_BINARY_DIR "/examples/motor.so"; /* built for the demo layout */
    assert_null(plc_scan_new(&t->cfg, &t->f->diag));
    assert_int_equal(errno, PLC_ELAYOUT);
    char buf[1200];
    plc_diag_format(&t->f->diag, buf, sizeof(buf));
    assert_non_null(strstr(buf, "motor.so: program 'motor' was built for layout 'demo' version"));
    char mine[64];
    snprintf(mine, sizeof(mine), "(hash %016llx) in use", (unsigned long long)PLC_LAYOUT_HASH);
    assert_non_null(strstr(buf, mine));
}

static void not_a_program_refused(void **state)
{
    struct t *t = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/junk.so", t->f->base);
    FILE *f = fopen(path, "w");
    fputs("not an ELF file\n", f);
    fclose(f);
    t->cfg.program = NULL;
    t->cfg.program_path = path;
    assert_null(plc_scan_new(&t->cfg, &t->f->diag));
    assert_int_equal(errno, ENOEXEC);
    assert_string_equal(t->f->diag.file, path);
    assert_non_null(strstr(t->f->diag.msg, "cannot load program: "));
}

static void copy_file(const char *from, const char *to)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_true(in && out);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
        assert_int_equal(fwrite(buf, 1, n, out), n);
    fclose(in);
    fclose(out);
}

static void reload_swaps_program_holding_outputs_safe(void **state)
{
    struct t *t = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/program.so", t->f->base);
    copy_file(PLC_BINARY_DIR "/tests/programs/test-count.so", path);
    t->cfg.program = NULL;
    t->cfg.program_path = path;
    start(t);
    steps(t, 3);
    assert_outputs_program(t);
    struct plc_region *status =
        plc_region_attach(t->f->layout, t->f->base, "status", PLC_READER, NULL, &t->f->diag);
    assert_true(tag(t, status, "scans_seen") == 3);

    /* A file that is not a program: refused, the old one runs on. */
    FILE *f = fopen(path, "w");
    fputs("garbage", f);
    fclose(f);
    assert_int_equal(plc_scan_reload(t->scan, NULL, &t->f->diag), -1);
    assert_non_null(strstr(t->log, "reload refused, program 'count' runs on"));
    steps(t, 1);
    assert_true(tag(t, status, "scans_seen") == 4);

    /* Another program at the same path: outputs safe until its first scan. */
    copy_file(PLC_BINARY_DIR "/tests/programs/test-count2.so", path);
    assert_int_equal(plc_scan_reload(t->scan, NULL, &t->f->diag), 0);
    assert_outputs_safe(t, true);
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_string_equal(st.program, "count2");
    assert_int_equal(st.reloads, 1);
    steps(t, 2);
    assert_outputs_program(t);
    assert_true(tag(t, status, "scans_seen") == 6); /* status carried over */
    assert_true(tag(t, t->diag, "reloads") == 1);
    plc_region_detach(status);
}

static void unknown_diagnostics_tag_refused(void **state)
{
    struct t *t = *state;
    FILE *in = fopen(PLC_ENGINE_LAYOUT, "r");
    static char text[16384];
    size_t n = fread(text, 1, sizeof(text) - 100, in);
    fclose(in);
    text[n] = '\0';
    strcat(text, "\n[tag scan_colour]\nregion = diagnostics\ntype = uint16\n");
    struct plc_layout *l = plc_layout_load_string(text, "bad.ini", &t->f->diag);
    assert_non_null(l);
    struct fixture *f2 = fixture_new(text);
    fixture_init(f2);
    t->cfg.layout = f2->layout;
    t->cfg.base_dir = f2->base;
    t->cfg.logic = NULL; /* its own [logic], naming its own regions */
    struct plc_program p = t_program;
    p.layout_hash = plc_layout_get_hash(f2->layout);
    t->cfg.program = &p;
    assert_null(plc_scan_new(&t->cfg, &t->f->diag));
    assert_int_equal(errno, EINVAL);
    char buf[1200];
    plc_diag_format(&t->f->diag, buf, sizeof(buf));
    assert_non_null(strstr(buf, "tag 'scan_colour' in diagnostics region 'diagnostics' is not a "
                                "statistic plc-logic publishes"));
    assert_true(t->f->diag.line > 0);
    fixture_free(f2);
    plc_layout_free(l);
}

/* The watchdog thread on the real clock: a scan that never returns. */
static void *run_one(void *arg)
{
    plc_scan_step(arg);
    return NULL;
}

static void watchdog_thread_catches_a_scan_that_never_returns(void **state)
{
    struct t *t = *state;
    t->cfg.clock = NULL; /* real clock: the watchdog thread runs */
    prog.clock = NULL;
    start(t);
    steps(t, 2);
    assert_outputs_program(t);
    atomic_store(&prog.spin, true);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, run_one, t->scan), 0);
    /* Wait for the safe outputs while the scan is stuck (bounded: 10 s). */
    bool safe = false;
    for (int i = 0; i < 1000 && !safe; i++) {
        safe = tag(t, t->outputs, "out_on") == 1;
        if (!safe)
            plc_region_wait(t->outputs, 10 * (int64_t)MS);
    }
    assert_true(atomic_load(&prog.spinning));
    assert_true(safe);
    assert_outputs_safe(t, true);
    /* The diagnostics follow the outputs (safety first): wait for them too. */
    bool faulted = false;
    for (int i = 0; i < 1000 && !faulted; i++) {
        faulted = tag(t, t->diag, "fault_state") == 1;
        if (!faulted)
            plc_region_wait(t->diag, 10 * (int64_t)MS);
    }
    assert_true(faulted);
    assert_true(tag(t, t->diag, "fault_cause") == 1);
    atomic_store(&prog.spin, false); /* the scan returns at last */
    pthread_join(th, NULL);
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.state, PLC_SCAN_FAULTED);
    assert_int_equal(st.cause, PLC_FAULT_WATCHDOG);
    assert_outputs_safe(t, true); /* what the program wrote late is not published */
    assert_non_null(strstr(t->log, "watchdog: scan still running after"));
    assert_int_equal(plc_scan_reset_fault(t->scan), 0);
    steps(t, 1);
    assert_outputs_program(t);
}

static void stop_drives_outputs_safe(void **state)
{
    struct t *t = *state;
    start(t);
    steps(t, 2);
    assert_outputs_program(t);
    plc_scan_free(t->scan);
    t->scan = NULL;
    assert_outputs_safe(t, true);
}

/* Whether a descriptor of this process is open on @path. */
static bool holds_open(const char *path)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    bool found = false;
    for (struct dirent *e; !found && (e = readdir(d));) {
        char target[256];
        ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof(target) - 1);
        if (n > 0) {
            target[n] = '\0';
            found = strcmp(target, path) == 0;
        }
    }
    closedir(d);
    return found;
}

/* The kernel's CPU latency target now: the smallest request anyone holds. */
static int32_t cpu_latency_target(void)
{
    int fd = open("/dev/cpu_dma_latency", O_RDONLY | O_CLOEXEC);
    int32_t v = -1;
    if (fd < 0 || read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
        fail_msg("cannot read /dev/cpu_dma_latency: %s", strerror(errno));
    close(fd);
    return v;
}

/* [logic] cpu_dma_latency: the request is in force from the start to the stop. */
static void cpu_latency_request_held_while_the_engine_runs(void **state)
{
    struct t *t = *state;
    t->logic.cpu_dma_latency_us = 0;
    start(t);
    if (!strstr(t->log, "cpu_dma_latency 0 us"))
        fail_msg("no latency request in the log:\n%s", t->log);
    assert_true(holds_open("/dev/cpu_dma_latency"));
    assert_int_equal(cpu_latency_target(), 0);
    steps(t, 2);
    plc_scan_free(t->scan);
    t->scan = NULL;
    assert_false(holds_open("/dev/cpu_dma_latency"));
}

/* Drop CAP_SYS_NICE and CAP_IPC_LOCK and the limits that stand in for them. */
static void drop_realtime_rights(void)
{
    struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
    struct __user_cap_data_struct c[2];
    if (syscall(SYS_capget, &h, c) == 0) {
        c[0].effective &= ~((1u << CAP_SYS_NICE) | (1u << CAP_IPC_LOCK));
        c[0].permitted &= ~((1u << CAP_SYS_NICE) | (1u << CAP_IPC_LOCK));
        c[0].inheritable &= ~((1u << CAP_SYS_NICE) | (1u << CAP_IPC_LOCK));
        if (syscall(SYS_capset, &h, c) != 0)
            _exit(90);
    }
    struct rlimit zero = {0, 0}, small = {65536, 65536};
    if (setrlimit(RLIMIT_RTPRIO, &zero) != 0 || setrlimit(RLIMIT_MEMLOCK, &small) != 0)
        _exit(91);
}

static void realtime_refused_is_a_warning_and_it_runs_on(void **state)
{
    struct t *t = *state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        drop_realtime_rights();
        t->logic.priority = 80;
        t->logic.lock_memory = true;
        struct plc_scan *s = plc_scan_new(&t->cfg, &t->f->diag);
        if (!s)
            _exit(92);
        for (int i = 0; i < 5; i++)
            if (plc_scan_step(s) != 0)
                _exit(93);
        struct plc_scan_stats st;
        plc_scan_get_stats(s, &st);
        if (st.priority != 0 || st.scans != 5 || st.state != PLC_SCAN_RUNNING)
            _exit(94);
        if (write(p[1], t->log, strlen(t->log)) < 0)
            _exit(95);
        plc_scan_free(s);
        _exit(0);
    }
    close(p[1]);
    char log[4096] = "";
    size_t len = 0;
    ssize_t n;
    while ((n = read(p[0], log + len, sizeof(log) - 1 - len)) > 0)
        len += (size_t)n;
    log[len] = '\0';
    close(p[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail_msg("child failed with status %d; log:\n%s", status, log);
    assert_non_null(strstr(log, "priority: SCHED_FIFO 80 refused (Operation not permitted): the "
                                "scan runs SCHED_OTHER"));
#ifndef __SANITIZE_ADDRESS__ /* AddressSanitizer turns mlockall() into a no-op that succeeds */
    assert_non_null(strstr(log, "lock_memory: mlockall failed"));
#endif
    assert_non_null(strstr(log, "scan thread: SCHED_OTHER priority 0"));
}

/* ---- alarms ------------------------------------------------------------------ */

/* The engine's ring, for the alarm tests: made in the fixture, given to the engine. */
struct events {
    struct plc_event_ring *w, *r;
    uint64_t cursor;
};

static void events_open(struct t *t, struct events *e)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/events-test", t->f->base);
    uint64_t hash = plc_layout_get_hash(t->f->layout);
    assert_int_not_equal(plc_event_ring_create(path, 64, hash, &t->f->diag), PLC_CREATE_ERROR);
    e->w = plc_event_ring_open(path, PLC_WRITER, hash, &t->f->diag);
    e->r = plc_event_ring_open(path, PLC_READER, hash, &t->f->diag);
    assert_true(e->w && e->r);
    e->cursor = plc_event_ring_get_head(e->r);
    t->cfg.events = e->w;
}

static void events_close(struct events *e)
{
    plc_event_ring_close(e->w);
    plc_event_ring_close(e->r);
}

/* The next event of @kind (others skipped), which must come. */
static struct plc_event next_event(struct events *e, enum plc_event_kind kind)
{
    struct plc_event ev;
    while (plc_event_ring_read(e->r, &e->cursor, &ev, NULL) == 1)
        if (ev.kind == kind)
            return ev;
    fail_msg("no %s event", plc_event_kind_name(kind));
    return ev;
}

static bool no_more(struct events *e, enum plc_event_kind kind)
{
    struct plc_event ev;
    while (plc_event_ring_read(e->r, &e->cursor, &ev, NULL) == 1)
        if (ev.kind == kind)
            return false;
    return true;
}

struct alarm_view {
    double active, unacked, n_active, n_unacked, ack_done;
};

static struct alarm_view alarm_view(struct t *t, struct plc_region *alarms, const char *prefix)
{
    char a[64], u[64];
    snprintf(a, sizeof(a), "%s_active", prefix);
    snprintf(u, sizeof(u), "%s_unacked", prefix);
    return (struct alarm_view){tag(t, alarms, a), tag(t, alarms, u), tag(t, alarms, "alarms_active"),
                               tag(t, alarms, "alarms_unacked"), tag(t, alarms, "alarm_ack_done")};
}

/* What the alarm tests share: the inputs as plc-io, the alarm region, the ring. */
struct alarm_fx {
    struct plc_region *in, *alarms;
    struct events e;
};

static void alarm_fx_open(struct t *t, struct alarm_fx *x)
{
    struct plc_diag *d = &t->f->diag;
    x->in = plc_region_attach(t->f->layout, t->f->base, "inputs", PLC_WRITER, "io", d);
    x->alarms = plc_region_attach(t->f->layout, t->f->base, "alarms", PLC_READER, NULL, d);
    assert_true(x->in && x->alarms);
    events_open(t, &x->e);
}

static void alarm_fx_close(struct t *t, struct alarm_fx *x)
{
    plc_region_detach(x->in);
    plc_region_detach(x->alarms);
    plc_scan_free(t->scan);
    t->scan = NULL;
    events_close(&x->e);
}

#define ASSERT_VIEW(v, act, unack, nact, nunack)                                                   \
    do {                                                                                           \
        assert_true((v).active == (act) && (v).unacked == (unack));                                \
        assert_true((v).n_active == (nact) && (v).n_unacked == (nunack));                          \
    } while (0)

/* level.h: raised after its delay against the scan's snapshot, acknowledged by
 * a change of the alarm_ack counter, held by the deadband, then cleared; each
 * step in the alarm region and in the engine's events. */
static void alarm_raised_acknowledged_and_cleared(void **state)
{
    struct t *t = *state;
    struct alarm_fx x;
    alarm_fx_open(t, &x);
    struct plc_region *in = x.in, *alarms = x.alarms;
    struct events e = x.e;
    start(t);
    steps(t, 3);
    ASSERT_VIEW(alarm_view(t, alarms, "level_h"), 0, 0, 0, 0);

    set_tag(t, in, "level", 85);
    steps(t, 10); /* 0..9 ms: inside alarm_delay = 10ms */
    ASSERT_VIEW(alarm_view(t, alarms, "level_h"), 0, 0, 0, 0);
    steps(t, 1);
    ASSERT_VIEW(alarm_view(t, alarms, "level_h"), 1, 1, 1, 1);
    struct plc_event ev = next_event(&e, PLC_EVENT_ALARM_RAISED);
    assert_string_equal(ev.name, "level.h");
    assert_int_equal(ev.source, PLC_SOURCE_LOGIC);
    assert_int_equal(ev.severity, 3); /* high: LOG_ERR */
    assert_true(ev.before == 80 && ev.after == 85);
    assert_string_equal(ev.text, "Level high");

    set_tag(t, t->commands, "alarm_ack", 1);
    steps(t, 1);
    struct alarm_view v = alarm_view(t, alarms, "level_h");
    ASSERT_VIEW(v, 1, 0, 1, 0);
    assert_true(v.ack_done == 1);
    ev = next_event(&e, PLC_EVENT_ALARM_ACKED);
    assert_string_equal(ev.name, "level.h");
    assert_string_equal(ev.text, "ack_active, alarm_ack 1");
    steps(t, 5); /* the same counter acknowledges once */
    assert_true(no_more(&e, PLC_EVENT_ALARM_ACKED));

    set_tag(t, in, "level", 76); /* above 80 - deadband 5: still active */
    steps(t, 2);
    ASSERT_VIEW(alarm_view(t, alarms, "level_h"), 1, 0, 1, 0);
    set_tag(t, in, "level", 74);
    steps(t, 1);
    ASSERT_VIEW(alarm_view(t, alarms, "level_h"), 0, 0, 0, 0);
    ev = next_event(&e, PLC_EVENT_ALARM_CLEARED);
    assert_string_equal(ev.name, "level.h");
    assert_true(ev.after == 74);

    alarm_fx_close(t, &x);
}

/* plc-logic restarted (the engine freed and made again): the alarm state is
 * taken from the region, nothing is raised twice, and an acknowledgement
 * requested while it was down is acted on when it starts. A latched alarm
 * keeps its state through it too. */
static void alarm_state_survives_a_restart_and_no_ack_is_lost(void **state)
{
    struct t *t = *state;
    struct alarm_fx x;
    alarm_fx_open(t, &x);
    struct plc_region *in = x.in, *alarms = x.alarms;
    struct events e = x.e;
    start(t);
    set_tag(t, in, "level", 90);
    set_tag(t, in, "trip", 1);
    steps(t, 12);
    ASSERT_VIEW(alarm_view(t, alarms, "level_h"), 1, 1, 2, 2);
    ASSERT_VIEW(alarm_view(t, alarms, "trip"), 1, 1, 2, 2);
    next_event(&e, PLC_EVENT_ALARM_RAISED);
    next_event(&e, PLC_EVENT_ALARM_RAISED);

    plc_scan_free(t->scan); /* plc-logic stops ... */
    t->scan = NULL;
    set_tag(t, in, "trip", 0);            /* the latched alarm's condition clears */
    set_tag(t, t->commands, "alarm_ack", 7); /* ... and SCADA acknowledges meanwhile */
    start(t);
    steps(t, 1);
    /* Both acknowledged as they were last shown, active: the latched trip
     * stays so (its condition cleared unseen) until acknowledged again. */
    ASSERT_VIEW(alarm_view(t, alarms, "level_h"), 1, 0, 2, 0);
    ASSERT_VIEW(alarm_view(t, alarms, "trip"), 1, 0, 2, 0);
    assert_true(alarm_view(t, alarms, "trip").ack_done == 7);
    assert_true(no_more(&e, PLC_EVENT_ALARM_RAISED));
    set_tag(t, t->commands, "alarm_ack", 8);
    steps(t, 1);
    ASSERT_VIEW(alarm_view(t, alarms, "trip"), 0, 0, 1, 0);

    plc_scan_free(t->scan); /* restarted again: the acknowledgement is not done twice */
    t->scan = NULL;
    e.cursor = plc_event_ring_get_head(e.r);
    start(t);
    steps(t, 3);
    ASSERT_VIEW(alarm_view(t, alarms, "level_h"), 1, 0, 1, 0);
    assert_true(no_more(&e, PLC_EVENT_ALARM_ACKED));
    assert_true(no_more(&e, PLC_EVENT_ALARM_RAISED));

    alarm_fx_close(t, &x);
}

/* A faulted program does not stop the alarms: the plant still gets them. The
 * fault itself and its recovery are events too. */
static void alarms_go_on_while_faulted(void **state)
{
    struct t *t = *state;
    struct alarm_fx x;
    alarm_fx_open(t, &x);
    struct plc_region *in = x.in, *alarms = x.alarms;
    struct events e = x.e;
    start(t);
    next_event(&e, PLC_EVENT_PROGRAM_LOAD);
    steps(t, 1);
    next_event(&e, PLC_EVENT_OUTPUTS_FOLLOWING);
    prog.ret = 5;
    steps(t, 1);
    struct plc_event ev = next_event(&e, PLC_EVENT_PROGRAM_FAULT);
    assert_string_equal(ev.name, "linked");
    assert_string_equal(ev.text, "program 'linked': scan returned 5");
    ev = next_event(&e, PLC_EVENT_OUTPUTS_SAFE);
    assert_string_equal(ev.name, "outputs");
    set_tag(t, in, "trip", 1);
    steps(t, 1);
    ASSERT_VIEW(alarm_view(t, alarms, "trip"), 1, 1, 1, 1);
    prog.ret = 0;
    set_tag(t, t->commands, "fault_reset", 1);
    steps(t, 2);
    ev = next_event(&e, PLC_EVENT_PROGRAM_RECOVERY);
    assert_string_equal(ev.text, "fault_reset");
    next_event(&e, PLC_EVENT_OUTPUTS_FOLLOWING);

    alarm_fx_close(t, &x);
}

/* ---- shelving from the forcing table ------------------------------------------ */

static int64_t realtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* As plcctl shelve and unshelve do: through the table, never the engine. */
static void shelve(struct t *t, const char *alarm, int64_t for_ns)
{
    struct plc_force_table *w =
        plc_force_table_open(t->f->layout, t->f->base, PLC_WRITER, &t->f->diag);
    assert_non_null(w);
    struct plc_shelving s = {.alarm = plc_layout_find_alarm(t->f->layout, alarm),
                             .since_ns = realtime(),
                             .uid = 1000,
                             .user = "alice"};
    s.until_ns = s.since_ns + for_ns;
    assert_int_equal(plc_force_table_shelve(w, &s), 0);
    plc_force_table_close(w);
}

static void unshelve(struct t *t, const char *alarm)
{
    struct plc_force_table *w =
        plc_force_table_open(t->f->layout, t->f->base, PLC_WRITER, &t->f->diag);
    assert_non_null(w);
    assert_int_equal(plc_force_table_unshelve(w, plc_layout_find_alarm(t->f->layout, alarm), NULL,
                                              0),
                     1);
    plc_force_table_close(w);
}

/* The shelving tests' start: the table made, the engine running, level.h raised. */
static void start_raised(struct t *t, struct alarm_fx *x)
{
    assert_int_equal(plc_force_table_create(t->f->layout, t->f->base, NULL, &t->f->diag),
                     PLC_CREATE_MADE);
    alarm_fx_open(t, x);
    start(t);
    set_tag(t, x->in, "level", 85);
    steps(t, 12);
    ASSERT_VIEW(alarm_view(t, x->alarms, "level_h"), 1, 1, 1, 1);
    next_event(&x->e, PLC_EVENT_ALARM_RAISED);
}

/* level.h raised, then shelved from the table: normal while its condition
 * holds, raised again (and told again) when it is unshelved. */
static void alarm_shelved_from_the_table_is_normal_until_unshelved(void **state)
{
    struct t *t = *state;
    struct alarm_fx x;
    start_raised(t, &x);
    shelve(t, "level.h", 600 * 1000 * MS);
    steps(t, 1);
    ASSERT_VIEW(alarm_view(t, x.alarms, "level_h"), 0, 0, 0, 0);
    steps(t, 100); /* the condition holds all along */
    ASSERT_VIEW(alarm_view(t, x.alarms, "level_h"), 0, 0, 0, 0);
    assert_true(no_more(&x.e, PLC_EVENT_ALARM_RAISED));

    unshelve(t, "level.h");
    steps(t, 1);
    ASSERT_VIEW(alarm_view(t, x.alarms, "level_h"), 1, 1, 1, 1);
    x.e.cursor = 0;
    assert_string_equal(next_event(&x.e, PLC_EVENT_ALARM_RAISED).name, "level.h");
    assert_true(no_more(&x.e, PLC_EVENT_ALARM_UNSHELVED)); /* plcctl tells it, not the engine */

    alarm_fx_close(t, &x);
}

/* A shelving ends on the engine's clock, what was left of it when applied;
 * the engine tells the expiry, once, before the raise, and does not apply
 * the expired entry again while it stays in the table. */
static void shelving_expires_with_an_event(void **state)
{
    struct t *t = *state;
    struct alarm_fx x;
    start_raised(t, &x);
    shelve(t, "level.h", 1000 * MS); /* 1000 cycles of the simulated 1 ms clock */
    steps(t, 500);
    ASSERT_VIEW(alarm_view(t, x.alarms, "level_h"), 0, 0, 0, 0);
    steps(t, 501);
    ASSERT_VIEW(alarm_view(t, x.alarms, "level_h"), 1, 1, 1, 1);
    struct plc_event ev = next_event(&x.e, PLC_EVENT_ALARM_UNSHELVED);
    assert_string_equal(ev.name, "level.h");
    assert_string_equal(ev.text, "expired");
    assert_int_equal(ev.source, PLC_SOURCE_LOGIC);
    next_event(&x.e, PLC_EVENT_ALARM_RAISED);
    steps(t, 10);
    ASSERT_VIEW(alarm_view(t, x.alarms, "level_h"), 1, 1, 1, 1);
    assert_true(no_more(&x.e, PLC_EVENT_ALARM_UNSHELVED));

    alarm_fx_close(t, &x);
}

/* plc-logic restarted with a shelving in the table: its first cycle applies
 * it, so the raised alarm is not shown (or told) again. */
static void shelving_in_the_table_applies_when_the_engine_starts(void **state)
{
    struct t *t = *state;
    struct alarm_fx x;
    start_raised(t, &x);
    set_tag(t, x.in, "trip", 1);
    steps(t, 1);
    ASSERT_VIEW(alarm_view(t, x.alarms, "trip"), 1, 1, 2, 2);
    plc_scan_free(t->scan); /* plc-logic stops; the operator shelves meanwhile */
    t->scan = NULL;
    shelve(t, "level.h", 600 * 1000 * MS);
    x.e.cursor = plc_event_ring_get_head(x.e.r);
    start(t);
    steps(t, 1);
    ASSERT_VIEW(alarm_view(t, x.alarms, "level_h"), 0, 0, 1, 1);
    ASSERT_VIEW(alarm_view(t, x.alarms, "trip"), 1, 1, 1, 1); /* the other alarm is untouched */
    steps(t, 20);
    ASSERT_VIEW(alarm_view(t, x.alarms, "level_h"), 0, 0, 1, 1);
    assert_true(no_more(&x.e, PLC_EVENT_ALARM_RAISED));

    alarm_fx_close(t, &x);
}

/* ---- Structured Text programs -------------------------------------------------- */

/* A fault a program names (as plc-st's generated code does, with the ST file
 * and line) is the fault's text: in the statistics, the log and the event. */
static void program_fault_names_its_st_line(void **state)
{
    struct t *t = *state;
    struct events e;
    events_open(t, &e);
    start(t);
    steps(t, 2);
    prog.fault = "x.st:7: division by zero";
    prog.ret = 1;
    steps(t, 1);
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.state, PLC_SCAN_FAULTED);
    assert_int_equal(st.cause, PLC_FAULT_PROGRAM);
    assert_string_equal(st.fault, "program 'linked': x.st:7: division by zero");
    assert_non_null(strstr(t->log, "fault: program 'linked': x.st:7: division by zero; outputs "
                                   "safe until 'fault_reset' changes"));
    assert_true(tag(t, t->diag, "fault_cause") == PLC_FAULT_PROGRAM);
    struct plc_event ev = next_event(&e, PLC_EVENT_PROGRAM_FAULT);
    assert_string_equal(ev.text, "program 'linked': x.st:7: division by zero");
    assert_outputs_safe(t, true);
    plc_scan_free(t->scan);
    t->scan = NULL;
    events_close(&e);
}

static void init_fault_names_its_st_line(void **state)
{
    struct t *t = *state;
    struct plc_program p = t_program;
    p.init = t_init;
    t->cfg.program = &p;
    prog.fault = "x.st:3: array index 11 outside 1..10";
    start(t);
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.state, PLC_SCAN_FAULTED);
    assert_string_equal(st.fault, "program 'linked': x.st:3: array index 11 outside 1..10");
    /* A program that fails without saying why: its return value. */
    prog.fault = NULL;
    prog.ret = 4;
    assert_int_equal(plc_scan_reset_fault(t->scan), 0);
    steps(t, 1);
    plc_scan_get_stats(t->scan, &st);
    assert_string_equal(st.fault, "program 'linked': scan returned 4");
}

/* The log holds the line printf() makes of @fmt. */
static void __attribute__((format(printf, 2, 3))) assert_logged(struct t *t, const char *fmt, ...)
{
    char want[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof(want), fmt, ap);
    va_end(ap);
    if (!strstr(t->log, want))
        fail_msg("log:\n%s\nwant: %s", t->log, want);
}

/* Copy tests/programs' <stem><version>.so (test-st-count1, test-st-timers2) to @path. */
static void put_st(const char *path, const char *stem, int version)
{
    char from[256];
    snprintf(from, sizeof(from), PLC_BINARY_DIR "/tests/programs/%s%d.so", stem, version);
    copy_file(from, path);
}

/* Start the engine on a copy of <stem><version>.so at base/program.so. */
static void start_st(struct t *t, const char *stem, int version, char *path, size_t size)
{
    snprintf(path, size, "%s/program.so", t->f->base);
    put_st(path, stem, version);
    t->cfg.program = NULL;
    t->cfg.program_path = path;
    start(t);
}

/*
 * SIGHUP's reload of a changed ST program: the counter goes on from where it
 * was, a new variable and one whose type changed take their initial values,
 * there is no first scan and the outputs never go safe; an init that fails
 * refuses the reload and the old program runs on.
 */
static void online_change_keeps_what_is_unchanged(void **state)
{
    struct t *t = *state;
    char path[256];
    struct events e;
    events_open(t, &e);
    start_st(t, "test-st-count", 1, path, sizeof(path));
    struct plc_region *status =
        plc_region_attach(t->f->layout, t->f->base, "status", PLC_READER, NULL, &t->f->diag);
    assert_non_null(status);
    steps(t, 5);
    assert_true(tag(t, status, "total") == 105); /* init's 100, then one a scan */
    assert_true(tag(t, status, "ack") == 1);     /* one first scan */
    assert_true(tag(t, status, "scans_seen") == 3);

    put_st(path, "test-st-count", 2);
    assert_int_equal(plc_scan_reload(t->scan, NULL, &t->f->diag), 0);
    assert_outputs_program(t); /* not safe across an online change */
    assert_logged(t,
                  "program 'counter' loaded from %s: online change, 2 variable(s) kept, 2 new "
                  "or changed (initial values), 1 dropped",
                  path);
    struct plc_event ev = next_event(&e, PLC_EVENT_PROGRAM_RELOAD);
    assert_string_equal(ev.text, "online change: 2 kept, 2 new");
    steps(t, 2);
    assert_true(tag(t, status, "total") == 107);       /* count kept */
    assert_true(tag(t, status, "ack") == 1);           /* no first scan: firsts kept */
    assert_true(tag(t, status, "scans_seen") == 6999); /* added 7 new, level INT->DINT -1 */
    assert_true(tag(t, t->diag, "reloads") == 1);

    /* An init that fails: refused, version 2 runs on with its state. Init
     * sees the last scan's snapshot. */
    set_tag(t, t->params, "fail", 7);
    steps(t, 1);
    assert_int_equal(plc_scan_reload(t->scan, NULL, &t->f->diag), -1);
    assert_logged(t,
                  "reload refused, program 'counter' runs on: %s: program 'counter': count.st:4: "
                  "init failed",
                  path);
    set_tag(t, t->params, "fail", 0);
    steps(t, 1);
    assert_true(tag(t, status, "total") == 109);

    /* And back to version 1: count kept again, level DINT->INT at its initial 3. */
    put_st(path, "test-st-count", 1);
    assert_int_equal(plc_scan_reload(t->scan, NULL, &t->f->diag), 0);
    steps(t, 1);
    assert_true(tag(t, status, "total") == 110);
    assert_true(tag(t, status, "scans_seen") == 3);
    assert_true(tag(t, status, "ack") == 1);
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.state, PLC_SCAN_RUNNING);
    assert_int_equal(st.reloads, 2);
    plc_region_detach(status);
    plc_scan_free(t->scan);
    t->scan = NULL;
    events_close(&e);
}

/*
 * Online change of programs plc-st compiled: a TON timing, a counter and its
 * edge memory go on across the reload (their private fields are in the
 * table), so adding a rung to a running machine restarts no timer.
 */
static void online_change_carries_running_timers_and_counters(void **state)
{
    struct t *t = *state;
    char path[256];
    start_st(t, "test-st-timers", 1, path, sizeof(path));
    struct plc_region *status =
        plc_region_attach(t->f->layout, t->f->base, "status", PLC_READER, NULL, &t->f->diag);
    assert_non_null(status);
    steps(t, 10);
    double et0 = tag(t, status, "scans_seen"), cv0 = tag(t, status, "total");
    assert_true(et0 >= 8 && et0 < 20); /* timing, 1 ms a scan */
    assert_true(cv0 >= 4);
    assert_true(tag(t, status, "ack") == 0);

    put_st(path, "test-st-timers", 2);
    assert_int_equal(plc_scan_reload(t->scan, NULL, &t->f->diag), 0);
    assert_non_null(strstr(t->log, "online change"));
    steps(t, 4);
    /* the same timer 4 ms on, the same counter two edges on */
    assert_true(tag(t, status, "scans_seen") == et0 + 4);
    assert_true(tag(t, status, "total") == cv0 + 2);
    steps(t, 20);
    assert_true(tag(t, status, "ack") == 1);
    assert_true(tag(t, status, "scans_seen") == 20);
    plc_region_detach(status);
}

/*
 * Online change of a Sequential Function Chart: the active step, the
 * chart's started flag and the step's entry time are hidden variables of
 * the state, so a reload goes on in the same step (no return to the initial
 * one) with its step time running on.
 */
static void online_change_keeps_a_charts_position(void **state)
{
    struct t *t = *state;
    char path[256];
    start_st(t, "test-st-sfc", 1, path, sizeof(path));
    struct plc_region *status =
        plc_region_attach(t->f->layout, t->f->base, "status", PLC_READER, NULL, &t->f->diag);
    assert_non_null(status);
    steps(t, 5); /* a for 3 scans, then b for 2 */
    assert_true(tag(t, status, "ack") == 2);
    assert_true(tag(t, status, "total") == 5);
    double bt = tag(t, status, "scans_seen");

    put_st(path, "test-st-sfc", 2);
    assert_int_equal(plc_scan_reload(t->scan, NULL, &t->f->diag), 0);
    assert_non_null(strstr(t->log, "online change"));
    steps(t, 2);
    assert_true(tag(t, status, "ack") == 20); /* still in b, version 2's action */
    assert_true(tag(t, status, "total") == 7);
    /* b.T from b's entry before the reload: on, not from 0 nor from no entry */
    double bt2 = tag(t, status, "scans_seen");
    assert_true(bt2 > bt && bt2 < bt + 100);
    plc_region_detach(status);
}

/* A faulted PLC leaves its fault by a reload as by any other way: a cold
 * restart, the new program's initial values, a first scan. */
static void reload_of_a_faulted_st_program_is_a_cold_restart(void **state)
{
    struct t *t = *state;
    char path[256];
    start_st(t, "test-st-count", 1, path, sizeof(path));
    struct plc_region *status =
        plc_region_attach(t->f->layout, t->f->base, "status", PLC_READER, NULL, &t->f->diag);
    assert_non_null(status);
    steps(t, 5);
    set_tag(t, t->params, "fail", 1);
    steps(t, 1);
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_string_equal(st.fault, "program 'counter': count.st:9: division by zero");
    set_tag(t, t->params, "fail", 0);
    put_st(path, "test-st-count", 2);
    assert_int_equal(plc_scan_reload(t->scan, NULL, &t->f->diag), 0);
    steps(t, 1);
    assert_true(tag(t, status, "total") == 101); /* count from its initial value */
    assert_true(tag(t, status, "ack") == 1);     /* a first scan */
    assert_true(tag(t, status, "scans_seen") == 6999);
    assert_non_null(strstr(t->log, "leaving fault (reload)"));
    plc_region_detach(status);
}

/* Without a period in [logic] (or --period), the task's INTERVAL is the
 * period, at load and at each reload; a configured period stands. */
static void task_interval_is_the_period_unless_configured(void **state)
{
    struct t *t = *state;
    char path[256];
    t->logic.period_set = false; /* engine.ini sets 1ms */
    start_st(t, "test-st-count", 1, path, sizeof(path));
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.period_us, 2000);
    assert_non_null(strstr(t->log, "period 2000 us: the task interval of program 'counter' (no "
                                   "period in [logic] or --period)"));
    steps(t, 3);
    assert_int_equal(t->clock.deadlines[0], 1000 * MS + 2 * MS);
    assert_int_equal(t->clock.deadlines[1], 1000 * MS + 4 * MS);
    assert_true(tag(t, t->diag, "period_us") == 2000);

    put_st(path, "test-st-count", 2);
    assert_int_equal(plc_scan_reload(t->scan, NULL, &t->f->diag), 0);
    assert_non_null(strstr(t->log, "period 3000 us: the task interval of program 'counter'"));
    steps(t, 3);
    size_t n = t->clock.nsleeps;
    assert_int_equal(t->clock.deadlines[n - 1] - t->clock.deadlines[n - 2], 3 * MS);
    assert_true(tag(t, t->diag, "period_us") == 3000);
    plc_scan_free(t->scan);
    t->scan = NULL;

    /* Configured: 1 ms whatever the task says, and the log says so. */
    t->log[0] = '\0';
    t->logic.period_set = true;
    start_st(t, "test-st-count", 1, path, sizeof(path));
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.period_us, 1000);
    assert_non_null(strstr(t->log, "period 1000 us as configured, not the task interval of "
                                   "program 'counter' (2000 us)"));
}

/*
 * An ST program of two tasks (tests/programs/st-tasks1.st) on the 1 ms
 * period of engine.ini: fast (2 ms) on every second tick, slow (6 ms) on
 * every sixth, each counting its runs into a status tag; without a period
 * the tick is their divisor. A reload to a program whose interval the
 * period does not divide (st-tasks2.st, 1500 us) is refused, and the old
 * program runs on.
 */
static void st_tasks_run_at_their_intervals_on_the_period(void **state)
{
    struct t *t = *state;
    char path[256];
    start_st(t, "test-st-tasks", 1, path, sizeof(path));
    struct plc_region *status =
        plc_region_attach(t->f->layout, t->f->base, "status", PLC_READER, NULL, &t->f->diag);
    assert_non_null(status);
    steps(t, 12);
    assert_true(tag(t, status, "total") == 6);
    assert_true(tag(t, status, "scans_seen") == 2);
    assert_non_null(strstr(t->log, "program 'Config0': 2 tasks, in this order: 'slow' every "
                                   "6000 us (priority 0), 'fast' every 2000 us (priority 1)"));
    struct plc_scan_stats st;
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.period_us, 1000);
    assert_int_equal(st.task_count, 2);
    assert_string_equal(st.tasks[0].name, "fast");
    assert_int_equal(st.tasks[0].runs, 6);
    assert_int_equal(st.tasks[1].runs, 2);

    put_st(path, "test-st-tasks", 2);
    assert_int_equal(plc_scan_reload(t->scan, NULL, &t->f->diag), -1);
    assert_int_equal(errno, EINVAL);
    assert_string_equal(t->f->diag.msg,
                        "task 'fast': interval 1500 us is not a multiple of the period 1000 us: "
                        "set a period that divides every task's interval, or none (the tick is "
                        "then their common divisor)");
    steps(t, 2);
    assert_true(tag(t, status, "total") == 7);
    plc_scan_free(t->scan);
    t->scan = NULL;

    /* no period configured: the tick is the intervals' divisor, 2 ms */
    t->logic.period_set = false;
    start_st(t, "test-st-tasks", 1, path, sizeof(path));
    steps(t, 3);
    plc_scan_get_stats(t->scan, &st);
    assert_int_equal(st.period_us, 2000);
    assert_int_equal(st.tasks[0].runs, 3);
    assert_int_equal(st.tasks[1].runs, 1);
    plc_region_detach(status);
}

int main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(outputs_safe_before_first_scan),
        T(period_kept_on_absolute_deadlines),
        T(overrun_counted_and_missed_cycles_skipped),
        T(watchdog_fault_drives_outputs_safe_until_reset_command),
        T(input_fault_ends_by_itself_when_the_region_reads_again),
        T(retired_region_of_ours_ends_the_run),
        T(auto_restart_after_delay),
        T(reset_fault_refused_when_running),
        T(program_for_other_layout_refused_with_both_hashes),
        T(shared_object_for_other_layout_refused),
        T(not_a_program_refused),
        T(reload_swaps_program_holding_outputs_safe),
        T(unknown_diagnostics_tag_refused),
        T(watchdog_thread_catches_a_scan_that_never_returns),
        T(stop_drives_outputs_safe),
        T(realtime_refused_is_a_warning_and_it_runs_on),
        T(cpu_latency_request_held_while_the_engine_runs),
        T(alarm_raised_acknowledged_and_cleared),
        T(alarm_state_survives_a_restart_and_no_ack_is_lost),
        T(alarms_go_on_while_faulted),
        T(alarm_shelved_from_the_table_is_normal_until_unshelved),
        T(shelving_expires_with_an_event),
        T(shelving_in_the_table_applies_when_the_engine_starts),
        T(program_fault_names_its_st_line),
        T(init_fault_names_its_st_line),
        T(online_change_keeps_what_is_unchanged),
        T(online_change_carries_running_timers_and_counters),
        T(online_change_keeps_a_charts_position),
        T(reload_of_a_faulted_st_program_is_a_cold_restart),
        T(task_interval_is_the_period_unless_configured),
        T(st_tasks_run_at_their_intervals_on_the_period),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
