/* SPDX-License-Identifier: MIT */
/*
 * struct plc_io on the sim backend: mapping, validation, debounce, overflow,
 * and fail-safe outputs with a logic process killed for real.
 *
 * Each case makes a fresh base directory under /dev/shm, runs plc_io_run()
 * in a thread of the test and drives the simulated field like plc-io-sim
 * does. Waiting is on the region futex, the field futex, or a bounded wait
 * for a counter; nothing asserts a time.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "../runtime/fixture.h"
#include "plc-io.h"
#include "shm-format.h"

#define WAIT_NS (10LL * 1000000000)

struct io_fixture {
    struct fixture *f;
    struct plc_io *io;
    struct plc_sim_field *field;
    FILE *log;
    pthread_t thread;
    bool running;
    int rc;
    _Atomic int alive; /* on_alive calls */
};

static void *run_thread(void *arg)
{
    struct io_fixture *x = arg;
    x->rc = plc_io_run(x->io);
    return NULL;
}

static void count_alive(void *ctx)
{
    atomic_fetch_add((_Atomic int *)ctx, 1);
}

static struct plc_io *io_new(struct io_fixture *x, int64_t hb_timeout_ns)
{
    struct plc_io_config cfg = {
        .layout = x->f->layout, .base_dir = x->f->base, .backend = "sim",
        .heartbeat_timeout_ns = hb_timeout_ns, .log = x->log,
        .on_alive = count_alive, .alive_ctx = &x->alive,
    };
    return plc_io_new(&cfg, &x->f->diag);
}

static struct io_fixture *io_setup(const char *layout_text, int64_t hb_timeout_ns, bool run)
{
    struct io_fixture *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    x->f = fixture_new(layout_text);
    fixture_init(x->f);
    x->log = tmpfile();
    assert_non_null(x->log);
    x->io = io_new(x, hb_timeout_ns);
    if (!x->io)
        fail_msg("plc_io_new: %s", x->f->diag.msg);
    x->field = plc_sim_field_open(x->f->layout, x->f->base, &x->f->diag);
    assert_non_null(x->field);
    if (run) {
        assert_int_equal(pthread_create(&x->thread, NULL, run_thread, x), 0);
        x->running = true;
    }
    return x;
}

static void io_start(struct io_fixture *x)
{
    assert_int_equal(pthread_create(&x->thread, NULL, run_thread, x), 0);
    x->running = true;
}

static void io_teardown(struct io_fixture *x)
{
    if (x->running) {
        plc_io_stop(x->io);
        pthread_join(x->thread, NULL);
        assert_int_equal(x->rc, 0);
    }
    plc_io_free(x->io);
    plc_sim_field_close(x->field);
    fclose(x->log);
    fixture_free(x->f);
    free(x);
}

static bool log_has(struct io_fixture *x, const char *part)
{
    char buf[16384];
    fflush(x->log);
    ssize_t n = pread(fileno(x->log), buf, sizeof(buf) - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return strstr(buf, part) != NULL;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Bounded wait for something the service does in its own time. */
#define WAIT_UNTIL(cond)                                                                    \
    do {                                                                                    \
        uint64_t t0_ = now_ns();                                                            \
        while (!(cond)) {                                                                   \
            if (now_ns() - t0_ > (uint64_t)WAIT_NS)                                         \
                fail_msg("timed out waiting for: %s", #cond);                               \
            nap_ms(1);                                                                      \
        }                                                                                   \
    } while (0)

static double input_value(struct io_fixture *x, const char *tag)
{
    struct plc_region *r =
        plc_region_attach(x->f->layout, x->f->base, "inputs", PLC_READER, NULL, &x->f->diag);
    assert_non_null(r);
    double v;
    assert_int_equal(plc_region_read_tag(r, plc_layout_find_tag(x->f->layout, tag), &v), 0);
    plc_region_detach(r);
    return v;
}

/* Wait on the inputs region's futex until @tag reads @want. */
static void wait_input(struct io_fixture *x, const char *tag, double want)
{
    struct plc_region *r =
        plc_region_attach(x->f->layout, x->f->base, "inputs", PLC_READER, NULL, &x->f->diag);
    assert_non_null(r);
    const struct plc_tag_def *t = plc_layout_find_tag(x->f->layout, tag);
    uint64_t t0 = now_ns();
    double v;
    for (;;) {
        assert_int_equal(plc_region_read_tag(r, t, &v), 0);
        if (v == want)
            break;
        if (now_ns() - t0 > (uint64_t)WAIT_NS)
            fail_msg("input '%s' stayed %g, expected %g", tag, v, want);
        plc_region_wait(r, 100 * 1000000LL);
    }
    plc_region_detach(r);
}

static void line_info(struct io_fixture *x, const char *tag, struct plc_io_line_info *info)
{
    for (size_t i = 0; i < plc_io_line_count(x->io); i++) {
        assert_int_equal(plc_io_line_get_info(x->io, i, info), 0);
        if (strcmp(info->tag->name, tag) == 0)
            return;
    }
    fail_msg("no line for tag '%s'", tag);
}

static void expect_output(struct io_fixture *x, const char *tag, bool value)
{
    int r = plc_sim_wait_output(x->field, tag, value, WAIT_NS, &x->f->diag);
    if (r != 1)
        fail_msg("output '%s' did not become %d (%d: %s)", tag, value, r, x->f->diag.msg);
}

/* ---- a logic process: the writer of 'outputs' -------------------------------- */



enum logic_mode {
    LOGIC_HEARTBEAT = 1,
    LOGIC_SILENT_UNTIL_POKED,
    LOGIC_SLOW_SILENT_UNTIL_POKED, /* says it may be silent for 1 s, as a slow scan would */
};

struct logic {
    pid_t pid;
    struct ready ready;
    int poke[2];
};

static void logic_start(struct io_fixture *x, struct logic *lg, enum logic_mode mode,
                        bool motor_run, bool motor_fault)
{
    ready_open(&lg->ready);
    assert_int_equal(pipe(lg->poke), 0);
    lg->pid = fork();
    assert_true(lg->pid >= 0);
    if (lg->pid == 0) {
        fixture_child_dies_with_test(); /* it heartbeats until killed */
        struct plc_diag d;
        struct plc_region *out =
            plc_region_attach(x->f->layout, x->f->base, "outputs", PLC_WRITER, "logic", &d);
        if (!out)
            _exit(10);
        if (mode == LOGIC_SLOW_SILENT_UNTIL_POKED &&
            plc_region_set_max_silence(out, 1000 * 1000000LL) < 0)
            _exit(13);
        const struct plc_layout *l = x->f->layout;
        unsigned char data[4096] = {0};
        plc_tag_encode(plc_layout_find_tag(l, "motor_run"), motor_run, data);
        plc_tag_encode(plc_layout_find_tag(l, "motor_fault"), motor_fault, data);
        if (plc_region_write(out, data) < 0)
            _exit(11);
        ready_signal(&lg->ready);
        if (mode != LOGIC_HEARTBEAT) {
            char c;
            if (read(lg->poke[0], &c, 1) != 1)
                _exit(12);
        }
        for (;;) {
            plc_region_heartbeat(out);
            nap_ms(5);
        }
    }
    ready_wait(&lg->ready);
}

static void logic_kill(struct logic *lg)
{
    assert_int_equal(kill(lg->pid, SIGKILL), 0);
    int st;
    assert_int_equal(waitpid(lg->pid, &st, 0), lg->pid);
    assert_true(WIFSIGNALED(st));
    close(lg->ready.fd[0]);
    close(lg->ready.fd[1]);
    close(lg->poke[0]);
    close(lg->poke[1]);
}

/* ---- cases ----------------------------------------------------------------- */

static void floating_inputs_read_their_bias_through_active_low(void **state)
{
    struct io_fixture *x = io_setup(NULL, 0, true);
    /* start_button: pull-up, active-low, nobody pressing: level high, value 0 */
    bool v, level, driven;
    assert_int_equal(plc_sim_get(x->field, "start_button", &v, &level, &driven, NULL), 0);
    assert_true(level);
    assert_false(v);
    assert_false(driven);
    assert_int_equal(input_value(x, "start_button"), 0);
    assert_int_equal(input_value(x, "motor_feedback"), 0);
    io_teardown(x);
    (void)state;
}

static void set_input_reaches_its_tag_in_the_inputs_region(void **state)
{
    struct io_fixture *x = io_setup(NULL, 0, true);
    assert_int_equal(plc_sim_set(x->field, "motor_feedback", true, NULL), 0);
    wait_input(x, "motor_feedback", 1);
    /* active-low: pressed is logical 1 at level low */
    assert_int_equal(plc_sim_set(x->field, "start_button", true, NULL), 0);
    wait_input(x, "start_button", 1);
    bool v, level;
    assert_int_equal(plc_sim_get(x->field, "start_button", &v, &level, NULL, NULL), 0);
    assert_true(v);
    assert_false(level);
    assert_int_equal(input_value(x, "stop_button"), 0); /* only its own tag moved */
    struct plc_io_line_info info;
    line_info(x, "motor_feedback", &info);
    assert_int_equal(info.events, 1);
    assert_int_equal(info.changes, 1);
    assert_true(info.last_event_ns > 0);
    assert_string_equal(info.chip, "gpiochip0");
    assert_int_equal(info.offset, 22);
    assert_string_equal(info.name, "GPIO22");
    /* released, it floats back to its pull-down */
    assert_int_equal(plc_sim_release(x->field, "motor_feedback", NULL), 0);
    wait_input(x, "motor_feedback", 0);
    io_teardown(x);
    (void)state;
}

static const char *debounce_layout =
    "[layout]\nname = deb\nversion = 1\n"
    "[region inputs]\nwriter = io\n"
    "[region outputs]\nwriter = logic\n"
    "[tag slow]\nregion = inputs\ntype = bool\ngpio = GPIO5\ngpio_debounce = 1s\n"
    "[tag fast]\nregion = inputs\ntype = bool\ngpio = GPIO6\n"
    "[tag lamp]\nregion = outputs\ntype = bool\ngpio = GPIO7\n";

static void debounce_drops_a_glitch_shorter_than_the_period(void **state)
{
    struct io_fixture *x = io_setup(debounce_layout, 0, true);
    struct plc_io_line_info slow, fast;
    /* The same glitch on both lines: 0 -> 1 -> 0 within microseconds. */
    for (int i = 0; i < 2; i++) {
        const char *tag = i ? "fast" : "slow";
        assert_int_equal(plc_sim_set(x->field, tag, true, NULL), 0);
        assert_int_equal(plc_sim_set(x->field, tag, false, NULL), 0);
    }
    WAIT_UNTIL((line_info(x, "slow", &slow), line_info(x, "fast", &fast),
                slow.events == 2 && fast.events == 2));
    /* Then a real change on both. */
    assert_int_equal(plc_sim_set(x->field, "slow", true, NULL), 0);
    assert_int_equal(plc_sim_set(x->field, "fast", true, NULL), 0);
    wait_input(x, "slow", 1);
    wait_input(x, "fast", 1);
    line_info(x, "slow", &slow);
    line_info(x, "fast", &fast);
    assert_int_equal(slow.changes, 1); /* the glitch never reached the region */
    assert_int_equal(fast.changes, 3); /* undebounced: glitch published as two changes */
    assert_false(slow.kernel_debounce);
    io_teardown(x);
    (void)state;
}

static void lost_edges_lead_to_a_full_read(void **state)
{
    struct io_fixture *x = io_setup(NULL, 0, false); /* not serving yet: the FIFO fills */
    for (int i = 0; i < 5001; i++)
        assert_int_equal(plc_sim_set(x->field, "motor_feedback", i % 2 == 0, NULL), 0);
    io_start(x);
    wait_input(x, "motor_feedback", 1);
    WAIT_UNTIL(log_has(x, "edge events were lost: full read"));
    io_teardown(x);
    (void)state;
}

static void outputs_hold_safe_values_until_the_logic_runs(void **state)
{
    struct io_fixture *x = io_setup(NULL, 0, true);
    /* motor_run safe 0, motor_fault safe 1 */
    expect_output(x, "motor_run", false);
    expect_output(x, "motor_fault", true);
    assert_int_equal(plc_io_get_output_state(x->io), PLC_IO_OUTPUTS_SAFE);
    WAIT_UNTIL(log_has(x, "outputs: safe values until the logic runs (no writer"));
    struct logic lg;
    logic_start(x, &lg, LOGIC_HEARTBEAT, true, false);
    expect_output(x, "motor_run", true);
    expect_output(x, "motor_fault", false);
    WAIT_UNTIL(plc_io_get_output_state(x->io) == PLC_IO_OUTPUTS_FOLLOWING);
    assert_true(log_has(x, "outputs: following region 'outputs' (writer pid"));
    logic_kill(&lg);
    io_teardown(x);
    (void)state;
}

static void killed_logic_sends_outputs_safe_and_a_new_one_takes_over(void **state)
{
    struct io_fixture *x = io_setup(NULL, 0, true);
    struct logic lg;
    logic_start(x, &lg, LOGIC_HEARTBEAT, true, false);
    expect_output(x, "motor_run", true);
    expect_output(x, "motor_fault", false);

    logic_kill(&lg); /* kill -9, for real */
    expect_output(x, "motor_run", false);
    expect_output(x, "motor_fault", true);
    WAIT_UNTIL(plc_io_get_output_state(x->io) == PLC_IO_OUTPUTS_SAFE);
    char want[128];
    snprintf(want, sizeof(want), "outputs: safe values: writer pid %d", (int)lg.pid);
    assert_true(log_has(x, want));

    struct logic again;
    logic_start(x, &again, LOGIC_HEARTBEAT, true, true);
    expect_output(x, "motor_run", true);
    expect_output(x, "motor_fault", true);
    WAIT_UNTIL(plc_io_get_output_state(x->io) == PLC_IO_OUTPUTS_FOLLOWING);
    logic_kill(&again);
    io_teardown(x);
    (void)state;
}

static void silent_logic_sends_outputs_safe_until_it_beats_again(void **state)
{
    struct io_fixture *x = io_setup(NULL, 100 * 1000000LL, true);
    struct logic lg;
    logic_start(x, &lg, LOGIC_SILENT_UNTIL_POKED, true, false);
    /* It wrote once, then fell silent: alive, but its heartbeat ages past 100 ms. */
    WAIT_UNTIL(log_has(x, "outputs: safe values: heartbeat of writer pid"));
    expect_output(x, "motor_run", false);
    expect_output(x, "motor_fault", true);
    assert_int_equal(write(lg.poke[1], "x", 1), 1);
    expect_output(x, "motor_run", true);
    expect_output(x, "motor_fault", false);
    logic_kill(&lg);
    io_teardown(x);
    (void)state;
}

/* A logic with a period or watchdog longer than plc-io's timeout says how long it
 * may be silent: plc-io waits that long, so its outputs do not chatter. */
static void outputs_wait_as_long_as_the_logic_says_it_may_be_silent(void **state)
{
    struct io_fixture *x = io_setup(NULL, 100 * 1000000LL, true);
    struct logic lg;
    logic_start(x, &lg, LOGIC_SLOW_SILENT_UNTIL_POKED, true, false);
    expect_output(x, "motor_run", true);
    /* well past plc-io's own 100 ms, well inside the logic's 1 s */
    nap_ms(500);
    assert_false(log_has(x, "outputs: safe values: "));
    expect_output(x, "motor_run", true);
    /* silent past what it said: a stalled logic */
    WAIT_UNTIL(log_has(x, "outputs: safe values: heartbeat of writer pid"));
    assert_true(log_has(x, "(timeout 1000.0 ms)"));
    expect_output(x, "motor_run", false);
    logic_kill(&lg);
    io_teardown(x);
    (void)state;
}

/* plc-io killed while the motor runs: the kernel releases its lines, and on a board
 * wired as docs/gpio.md says each output floats to the pull of its safe level. */
static void killed_io_leaves_each_output_at_its_pull(void **state)
{
    struct io_fixture *x = io_setup(NULL, 0, false);
    plc_io_free(x->io); /* this process must not hold the lines: a child does */
    x->io = NULL;
    struct logic lg;
    logic_start(x, &lg, LOGIC_HEARTBEAT, true, false);
    struct ready ready;
    ready_open(&ready);
    pid_t io = fork();
    assert_true(io >= 0);
    if (io == 0) {
        fixture_child_dies_with_test();
        struct plc_io *child = io_new(x, 0);
        if (!child)
            _exit(1);
        ready_signal(&ready);
        _exit(plc_io_run(child) == 0 ? 0 : 2);
    }
    ready_wait(&ready);
    expect_output(x, "motor_run", true);
    expect_output(x, "motor_fault", false);
    assert_int_equal(kill(io, SIGKILL), 0);
    assert_int_equal(waitpid(io, NULL, 0), io);
    bool value, driven;
    assert_int_equal(plc_sim_get(x->field, "motor_run", &value, NULL, &driven, &x->f->diag), 0);
    assert_false(driven);
    assert_false(value); /* safe = 0: pulled low */
    assert_int_equal(plc_sim_get(x->field, "motor_fault", &value, NULL, &driven, &x->f->diag), 0);
    assert_false(driven);
    assert_true(value); /* safe = 1: pulled high */
    logic_kill(&lg);
    close(ready.fd[0]);
    close(ready.fd[1]);
    io_teardown(x);
    (void)state;
}

/* plc-shm-init --recreate retires 'outputs' and makes a new one: plc-io holds the
 * outputs safe, attaches to the new region and follows its writer. */
static void recreated_outputs_region_is_followed_again(void **state)
{
    struct io_fixture *x = io_setup(NULL, 0, true);
    struct logic old;
    logic_start(x, &old, LOGIC_HEARTBEAT, true, false);
    expect_output(x, "motor_run", true);

    struct plc_shm_header *h = fixture_map(x->f, "outputs", 4096);
    char path[256];
    fixture_path(x->f, "outputs", path, sizeof(path));
    assert_int_equal(unlink(path), 0);
    const struct plc_region_def *def = plc_layout_find_region(x->f->layout, "outputs");
    assert_int_equal(plc_region_create(x->f->layout, x->f->base, def, 0, &x->f->diag),
                     PLC_CREATE_MADE);
    atomic_fetch_or(&h->flags, PLC_SHM_RETIRED);

    WAIT_UNTIL(log_has(x, "outputs: attached to the new region 'outputs'"));
    expect_output(x, "motor_run", false);
    logic_kill(&old);
    struct logic next;
    logic_start(x, &next, LOGIC_HEARTBEAT, true, false);
    expect_output(x, "motor_run", true);
    logic_kill(&next);
    fixture_unmap(h, 4096);
    io_teardown(x);
    (void)state;
}

static void stop_leaves_outputs_at_safe_values(void **state)
{
    struct io_fixture *x = io_setup(NULL, 0, true);
    struct logic lg;
    logic_start(x, &lg, LOGIC_HEARTBEAT, true, false);
    expect_output(x, "motor_run", true);
    plc_io_stop(x->io);
    pthread_join(x->thread, NULL);
    x->running = false;
    plc_io_free(x->io);
    x->io = NULL;
    bool v, driven;
    assert_int_equal(plc_sim_get(x->field, "motor_run", &v, NULL, &driven, NULL), 0);
    assert_false(v);
    assert_false(driven);
    assert_int_equal(plc_sim_get(x->field, "motor_fault", &v, NULL, NULL, NULL), 0);
    assert_true(v);
    logic_kill(&lg);
    io_teardown(x);
    (void)state;
}

/* ---- validation ------------------------------------------------------------ */

static void expect_refused(const char *layout_text, int err, const char *msg)
{
    struct fixture *f = fixture_new(layout_text);
    fixture_init(f);
    struct plc_io_config cfg = {.layout = f->layout, .base_dir = f->base, .backend = "sim"};
    assert_null(plc_io_new(&cfg, &f->diag));
    assert_int_equal(errno, err);
    if (strcmp(f->diag.msg, msg) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", f->diag.msg, msg);
    fixture_free(f);
}

#define ONE_INPUT(gpio)                                                                     \
    "[layout]\nname = v\nversion = 1\n[region inputs]\nwriter = io\n"                      \
    "[tag a]\nregion = inputs\ntype = bool\ngpio = " gpio "\n"

static void unknown_line_name_is_refused_naming_it(void **state)
{
    expect_refused(ONE_INPUT("GPIO99"), ENOENT,
                   "tag 'a': no GPIO line named 'GPIO99' (the simulated board has "
                   "GPIO0..GPIO53 on gpiochip0)");
    (void)state;
}

static void unknown_chip_is_refused_naming_it(void **state)
{
    expect_refused(ONE_INPUT("gpiochip7:3"), ENOENT,
                   "tag 'a': no GPIO chip 'gpiochip7' (the simulated board has only gpiochip0)");
    expect_refused(ONE_INPUT("gpiochip0:60"), ENOENT,
                   "tag 'a': gpiochip0 has no line 60 (it has 54 lines)");
    (void)state;
}

static void one_line_bound_by_name_and_offset_is_refused(void **state)
{
    expect_refused(ONE_INPUT("GPIO17") "[tag b]\nregion = inputs\ntype = bool\n"
                                       "gpio = gpiochip0:17\n",
                   EINVAL,
                   "tag 'a' (line 6) and tag 'b' (line 10) are both bound to gpiochip0:17");
    (void)state;
}

static void binding_outside_input_and_output_regions_is_refused_by_the_layout(void **state)
{
    struct plc_diag d;
    assert_null(plc_layout_load_string("[layout]\nname = v\nversion = 1\n"
                                       "[region status]\nwriter = logic\n"
                                       "[tag lamp]\nregion = status\ntype = bool\n"
                                       "gpio = GPIO4\n",
                                       "bad.ini", &d));
    assert_int_equal(errno, EINVAL);
    char buf[1200];
    plc_diag_format(&d, buf, sizeof(buf));
    assert_string_equal(buf, "bad.ini:9: tag 'lamp': GPIO binding in region 'status', which is "
                             "neither an input region (writer io) nor 'outputs'");
    (void)state;
}

static void unknown_backend_is_refused(void **state)
{
    struct fixture *f = fixture_new(NULL);
    struct plc_io_config cfg = {.layout = f->layout, .base_dir = f->base, .backend = "pigpio"};
    assert_null(plc_io_new(&cfg, &f->diag));
    assert_int_equal(errno, EINVAL);
    assert_string_equal(f->diag.msg, "unknown backend 'pigpio' (expected sim or gpiod)");
    fixture_free(f);
    (void)state;
}

static void second_service_is_refused_naming_the_first(void **state)
{
    struct io_fixture *x = io_setup(NULL, 0, true);
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* a second plc-io, in its own process */
        struct plc_io *io = io_new(x, 0);
        int err = errno;
        if (write(p[1], x->f->diag.msg, strlen(x->f->diag.msg) + 1) < 0)
            _exit(3);
        _exit(io ? 1 : err == PLC_EHELD ? 0 : 2);
    }
    char msg[800] = "";
    assert_true(read(p[0], msg, sizeof(msg) - 1) > 0);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    char want[64];
    snprintf(want, sizeof(want), "region 'inputs' is held by pid %d", (int)getpid());
    if (!strstr(msg, want))
        fail_msg("got: %s\nlacks: %s", msg, want);
    close(p[0]);
    close(p[1]);
    io_teardown(x);
    (void)state;
}

static void line_held_by_another_plc_io_is_refused_naming_its_consumer(void **state)
{
    struct io_fixture *x = io_setup(NULL, 0, true); /* demo: GPIO17 is start_button */
    struct plc_diag d;
    struct plc_layout *other = plc_layout_load_string(ONE_INPUT("GPIO17"), "other.ini", &d);
    assert_non_null(other);
    for (size_t i = 0; i < plc_layout_region_count(other); i++)
        assert_int_not_equal(plc_region_create(other, x->f->base, plc_layout_region_at(other, i),
                                               0, &d), PLC_CREATE_ERROR);
    struct plc_io_config cfg = {.layout = other, .base_dir = x->f->base, .backend = "sim",
                                .consumer = "second", .log = x->log};
    assert_null(plc_io_new(&cfg, &d));
    assert_int_equal(errno, EBUSY);
    char want[160];
    snprintf(want, sizeof(want),
             "tag 'a': line GPIO17 (gpiochip0:17) is held by consumer 'plc-io' (pid %d)",
             (int)getpid());
    assert_string_equal(d.msg, want);
    /* Free again once the first one stops. */
    plc_io_stop(x->io);
    pthread_join(x->thread, NULL);
    x->running = false;
    plc_io_free(x->io);
    x->io = NULL;
    struct plc_io *io = plc_io_new(&cfg, &d);
    if (!io)
        fail_msg("%s", d.msg);
    plc_io_free(io);
    plc_layout_free(other);
    io_teardown(x);
    (void)state;
}

static void fifo_of_a_killed_holder_is_removed(void **state)
{
    struct fixture *f = fixture_new(NULL);
    fixture_init(f);
    pid_t dead = fork();
    assert_true(dead >= 0);
    if (dead == 0)
        _exit(0);
    assert_int_equal(waitpid(dead, NULL, 0), dead);
    char stale[128];
    snprintf(stale, sizeof(stale), "%s/sim-board.events.%d", f->base, (int)dead);
    assert_int_equal(mkfifo(stale, 0600), 0);
    struct plc_io_config cfg = {.layout = f->layout, .base_dir = f->base, .backend = "sim"};
    struct plc_io *io = plc_io_new(&cfg, &f->diag);
    assert_non_null(io);
    assert_int_equal(access(stale, F_OK), -1);
    assert_int_equal(errno, ENOENT);
    plc_io_free(io);
    fixture_free(f);
    (void)state;
}

static void field_refuses_outputs_and_unbound_tags(void **state)
{
    struct io_fixture *x = io_setup(NULL, 0, false);
    struct plc_diag d;
    assert_int_equal(plc_sim_set(x->field, "motor_run", true, &d), -1);
    assert_int_equal(errno, EINVAL);
    assert_string_equal(d.msg, "tag 'motor_run' is an output: plc-io drives it, the field "
                               "cannot set it");
    assert_int_equal(plc_sim_set(x->field, "tank_level", true, &d), -1);
    assert_string_equal(d.msg, "tag 'tank_level' (region 'inputs') has no GPIO line in the field");
    assert_int_equal(plc_sim_get(x->field, "nope", NULL, NULL, NULL, &d), -1);
    assert_int_equal(errno, ENOENT);
    assert_string_equal(d.msg, "layout 'demo' has no tag 'nope'");
    io_teardown(x);
    (void)state;
}

static void line_table_shows_settings_in_effect(void **state)
{
    struct io_fixture *x = io_setup(NULL, 0, false);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    assert_int_equal(plc_io_print_lines(x->io, out), 0);
    fclose(out);
    assert_non_null(strstr(buf, "start_button         in  gpiochip0    17     GPIO17     "
                                "pull-up    -           low       5000us   -"));
    assert_non_null(strstr(buf, "motor_fault          out gpiochip0    25     GPIO25     "
                                "as-is      push-pull   high      -        1"));
    free(buf);
    io_teardown(x);
    (void)state;
}

/* Both loops turning while idle: where plc-io feeds systemd's watchdog. */
static void alive_hook_called_while_both_loops_turn(void **state)
{
    (void)state;
    struct io_fixture *x = io_setup(NULL, 0, true);
    int before = atomic_load(&x->alive);
    usleep(1000000);
    int turns = atomic_load(&x->alive) - before;
    assert_true(turns >= 5); /* the inputs loop wakes at least every 100 ms */
    io_teardown(x);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(floating_inputs_read_their_bias_through_active_low),
        cmocka_unit_test(set_input_reaches_its_tag_in_the_inputs_region),
        cmocka_unit_test(debounce_drops_a_glitch_shorter_than_the_period),
        cmocka_unit_test(lost_edges_lead_to_a_full_read),
        cmocka_unit_test(outputs_hold_safe_values_until_the_logic_runs),
        cmocka_unit_test(killed_logic_sends_outputs_safe_and_a_new_one_takes_over),
        cmocka_unit_test(silent_logic_sends_outputs_safe_until_it_beats_again),
        cmocka_unit_test(outputs_wait_as_long_as_the_logic_says_it_may_be_silent),
        cmocka_unit_test(killed_io_leaves_each_output_at_its_pull),
        cmocka_unit_test(recreated_outputs_region_is_followed_again),
        cmocka_unit_test(stop_leaves_outputs_at_safe_values),
        cmocka_unit_test(unknown_line_name_is_refused_naming_it),
        cmocka_unit_test(unknown_chip_is_refused_naming_it),
        cmocka_unit_test(one_line_bound_by_name_and_offset_is_refused),
        cmocka_unit_test(binding_outside_input_and_output_regions_is_refused_by_the_layout),
        cmocka_unit_test(unknown_backend_is_refused),
        cmocka_unit_test(second_service_is_refused_naming_the_first),
        cmocka_unit_test(line_held_by_another_plc_io_is_refused_naming_its_consumer),
        cmocka_unit_test(fifo_of_a_killed_holder_is_removed),
        cmocka_unit_test(field_refuses_outputs_and_unbound_tags),
        cmocka_unit_test(line_table_shows_settings_in_effect),
        cmocka_unit_test(alive_hook_called_while_both_loops_turn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
