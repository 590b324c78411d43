/* SPDX-License-Identifier: MIT */
/*
 * plc-logic as a real process: commands written far faster than the scan
 * are each counted once, SIGHUP reloads, a program for another layout is
 * refused, a stuck scan faults to safe outputs and the reset command clears
 * it, SIGTERM stops with outputs safe. Readiness is the diagnostics region's
 * scan_count, never a sleep.
 */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>

#include "fixture.h"
#include "sd-notify.h"

#define MS 1000000ll
#define LOGIC PLC_BINARY_DIR "/services/plc-logic"
#define COUNT PLC_BINARY_DIR "/tests/programs/test-count.so"
#define COUNT2 PLC_BINARY_DIR "/tests/programs/test-count2.so"

struct t {
    struct fixture *f;
    pid_t pid;
    int err_fd;        /* the child's stderr */
    char err[16384];   /* what it said so far */
    size_t err_len;
    struct plc_region *diag, *status, *outputs, *commands, *params;
};

static int setup(void **state)
{
    struct t *t = calloc(1, sizeof(*t));
    t->f = fixture_new(NULL);
    plc_layout_free(t->f->layout);
    t->f->layout = plc_layout_load(PLC_ENGINE_LAYOUT, &t->f->diag);
    assert_non_null(t->f->layout);
    fixture_init(t->f);
    t->pid = -1;
    t->err_fd = -1;
    const struct plc_layout *l = t->f->layout;
    struct plc_diag *d = &t->f->diag;
    t->diag = plc_region_attach(l, t->f->base, "diagnostics", PLC_READER, NULL, d);
    t->status = plc_region_attach(l, t->f->base, "status", PLC_READER, NULL, d);
    t->outputs = plc_region_attach(l, t->f->base, "outputs", PLC_READER, NULL, d);
    t->commands = plc_region_attach(l, t->f->base, "commands", PLC_WRITER, "modbus", d);
    t->params = plc_region_attach(l, t->f->base, "parameters", PLC_WRITER, "modbus", d);
    assert_true(t->diag && t->status && t->outputs && t->commands && t->params);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct t *t = *state;
    if (t->pid > 0) {
        kill(t->pid, SIGKILL);
        waitpid(t->pid, NULL, 0);
    }
    if (t->err_fd >= 0)
        close(t->err_fd);
    plc_region_detach(t->diag);
    plc_region_detach(t->status);
    plc_region_detach(t->outputs);
    plc_region_detach(t->commands);
    plc_region_detach(t->params);
    fixture_free(t->f);
    free(t);
    return 0;
}

/* With @notify, the child is told to use systemd's notify socket and watchdog;
 * @flag and @value, when given, go on its command line. */
static void spawn_with(struct t *t, const char *program, const char *notify, const char *flag,
                       const char *value)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    t->pid = fork();
    assert_true(t->pid >= 0);
    if (t->pid == 0) {
        if (notify)
            sd_notify_env(notify, "400000");
        dup2(p[1], 2);
        close(p[0]);
        close(p[1]);
        execl(LOGIC, "plc-logic", "--layout", PLC_ENGINE_LAYOUT, "--base-dir", t->f->base,
              "--program", program, flag, value, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    t->err_fd = p[0];
    fcntl(t->err_fd, F_SETFL, O_NONBLOCK);
}

static void spawn_notify(struct t *t, const char *program, const char *notify)
{
    spawn_with(t, program, notify, NULL, NULL);
}

static void spawn(struct t *t, const char *program)
{
    spawn_with(t, program, NULL, NULL, NULL);
}

/* Collect the child's stderr until it holds @want or @timeout_ms passed. */
static bool said(struct t *t, const char *want, int timeout_ms)
{
    uint64_t until = now_ns() + (uint64_t)timeout_ms * MS;
    while (!strstr(t->err, want)) {
        int64_t left = (int64_t)(until - now_ns());
        if (left <= 0)
            return false;
        struct pollfd pfd = {.fd = t->err_fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)(left / MS) + 1) <= 0)
            continue;
        ssize_t n = read(t->err_fd, t->err + t->err_len, sizeof(t->err) - 1 - t->err_len);
        if (n <= 0)
            return strstr(t->err, want) != NULL;
        t->err_len += (size_t)n;
        t->err[t->err_len] = '\0';
    }
    return true;
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

/* The bound of a wait for something plc-logic does (a loaded machine is slow,
 * not wrong); a wait ends as soon as it is done. */
#define WAIT_MS 30000

/* Wait (at most WAIT_MS) until tag @name of @r satisfies v >= @at_least. */
static double wait_tag(struct t *t, struct plc_region *r, const char *name, double at_least)
{
    uint64_t t0 = now_ns();
    double v = tag(t, r, name);
    while (v < at_least && now_ns() - t0 < (uint64_t)(WAIT_MS * MS)) {
        plc_region_wait(r, 10 * MS);
        v = tag(t, r, name);
    }
    if (v < at_least)
        fail_msg("%s stayed at %g, waited %.1f s for %g; plc-logic said:\n%s", name, v,
                 (double)(now_ns() - t0) / 1e9, at_least, t->err);
    return v;
}

static void wait_tag_equal(struct t *t, struct plc_region *r, const char *name, double want)
{
    uint64_t t0 = now_ns();
    double v = tag(t, r, name);
    while (v != want && now_ns() - t0 < (uint64_t)(WAIT_MS * MS)) {
        plc_region_wait(r, 10 * MS);
        v = tag(t, r, name);
    }
    if (v != want)
        fail_msg("%s is %g, waited %.1f s for %g; plc-logic said:\n%s", name, v,
                 (double)(now_ns() - t0) / 1e9, want, t->err);
}

static void commands_written_faster_than_scan_counted_exactly_once(void **state)
{
    struct t *t = *state;
    spawn(t, COUNT);
    wait_tag(t, t->diag, "scan_count", 1);
    /* A request every 2 us (a Modbus write takes 100 us or more) for at
     * least 50 scans and 70000 requests, so the 16-bit counter wraps. */
    double scans0 = tag(t, t->diag, "scan_count"), scans = 0;
    uint16_t req = (uint16_t)tag(t, t->status, "ack");
    unsigned n = 0;
    uint64_t next = now_ns();
    while (n < 70000 || scans < 50) {
        while (now_ns() < next)
            ;
        next += 2000;
        set_tag(t, t->commands, "req", (uint16_t)++req);
        n++;
        if (n % 256 == 0)
            scans = tag(t, t->diag, "scan_count") - scans0;
    }
    scans = tag(t, t->diag, "scan_count") - scans0;
    wait_tag_equal(t, t->status, "ack", req);
    assert_true(tag(t, t->status, "total") == n);
    print_message("%u requests during %.0f scans: %.0f per scan, each counted once\n", n, scans,
                  n / (scans > 0 ? scans : 1));
    assert_true(scans < n); /* more than one request per scan on average */
}

static void sighup_reloads_program_and_keeps_running(void **state)
{
    struct t *t = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/program.so", t->f->base);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cp %s %s", COUNT, path);
    assert_int_equal(system(cmd), 0);
    spawn(t, path);
    assert_true(said(t, "running program 'count'", WAIT_MS));
    double scans = wait_tag(t, t->diag, "scan_count", 1);

    snprintf(cmd, sizeof(cmd), "cp %s %s", COUNT2, path);
    assert_int_equal(system(cmd), 0);
    kill(t->pid, SIGHUP);
    wait_tag(t, t->diag, "reloads", 1);
    if (!said(t, "program 'count2' loaded from", WAIT_MS))
        fail_msg("plc-logic said:\n%s", t->err);
    wait_tag(t, t->diag, "scan_count", scans + 10); /* still scanning */

    /* A program for another layout: refused, both hashes said, count2 runs on. */
    snprintf(cmd, sizeof(cmd), "cp %s/examples/motor.so %s", PLC_BINARY_DIR, path);
    assert_int_equal(system(cmd), 0);
    kill(t->pid, SIGHUP);
    char want[256];
    snprintf(want, sizeof(want), "reload refused, program 'count2' runs on: %s: program 'motor' "
             "was built for layout 'demo'", path);
    assert_true(said(t, want, WAIT_MS));
    char hash[64];
    snprintf(hash, sizeof(hash), "(hash %016llx) in use",
             (unsigned long long)plc_layout_get_hash(t->f->layout));
    assert_non_null(strstr(t->err, hash));
    scans = tag(t, t->diag, "scan_count");
    wait_tag(t, t->diag, "scan_count", scans + 10);
    assert_true(tag(t, t->diag, "reloads") == 1);
    assert_int_equal(waitpid(t->pid, NULL, WNOHANG), 0); /* alive */
}

/* SIGHUP's reload of a changed Structured Text program is an online change:
 * its counter carries on, a new variable takes its initial value, and there
 * is no first scan (tests/programs/st-count.c). */
static void sighup_online_change_keeps_the_counter(void **state)
{
    struct t *t = *state;
    char path[128];
    snprintf(path, sizeof(path), "%s/program.so", t->f->base);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cp %s/tests/programs/test-st-count1.so %s", PLC_BINARY_DIR, path);
    assert_int_equal(system(cmd), 0);
    spawn(t, path);
    assert_true(said(t, "running program 'counter'", WAIT_MS));
    /* engine.ini sets a period: the task's 2 ms interval is not used. */
    assert_true(said(t, "period 1000 us as configured, not the task interval of program "
                        "'counter' (2000 us)", WAIT_MS));
    wait_tag(t, t->status, "total", 300);
    assert_true(tag(t, t->status, "scans_seen") == 3);

    snprintf(cmd, sizeof(cmd), "cp %s/tests/programs/test-st-count2.so %s", PLC_BINARY_DIR, path);
    assert_int_equal(system(cmd), 0);
    double before = tag(t, t->status, "total");
    kill(t->pid, SIGHUP);
    wait_tag(t, t->diag, "reloads", 1);
    if (!said(t, "online change, 2 variable(s) kept, 2 new or changed (initial values), 1 "
                 "dropped", WAIT_MS))
        fail_msg("plc-logic said:\n%s", t->err);
    wait_tag_equal(t, t->status, "scans_seen", 6999); /* version 2 runs */
    assert_true(tag(t, t->status, "total") > before); /* not back to 100 */
    assert_true(tag(t, t->status, "ack") == 1);        /* one first scan, at the start */
    assert_int_equal(waitpid(t->pid, NULL, WNOHANG), 0);
}

static void program_for_other_layout_exits_with_both_hashes(void **state)
{
    struct t *t = *state;
    spawn(t, PLC_BINARY_DIR "/examples/motor.so");
    int status;
    assert_int_equal(waitpid(t->pid, &status, 0), t->pid);
    t->pid = -1;
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 1);
    said(t, "\n", 1000);
    char want[512];
    snprintf(want, sizeof(want), "program 'motor' was built for layout 'demo' version ");
    assert_non_null(strstr(t->err, want));
    snprintf(want, sizeof(want), "not for layout 'enginetest' version %u (hash %016llx) in use",
             plc_layout_get_version(t->f->layout),
             (unsigned long long)plc_layout_get_hash(t->f->layout));
    if (!strstr(t->err, want))
        fail_msg("got: %s\nwant: %s", t->err, want);
}

/* --cpu-dma-latency over the layout's (none here: no priority): taken, and a
 * bad one refused with the flag named. */
static void cpu_dma_latency_flag(void **state)
{
    struct t *t = *state;
    spawn_with(t, COUNT, NULL, "--cpu-dma-latency", "soon");
    int status;
    assert_int_equal(waitpid(t->pid, &status, 0), t->pid);
    t->pid = -1;
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 2);
    said(t, "\n", 1000);
    assert_non_null(strstr(t->err, "plc-logic: --cpu-dma-latency 'soon' is not a duration"));
    close(t->err_fd);
    t->err_len = 0;
    t->err[0] = '\0';
    spawn_with(t, COUNT, NULL, "--cpu-dma-latency", "0us");
    if (!said(t, ", cpu_dma_latency 0 us", 5000))
        fail_msg("no latency request in:\n%s", t->err);
}

static void stuck_scan_faults_safe_until_reset_command(void **state)
{
    struct t *t = *state;
    spawn(t, COUNT);
    wait_tag(t, t->diag, "scan_count", 1);
    wait_tag(t, t->outputs, "out_off", 1);
    set_tag(t, t->params, "spin_ms", 2000); /* watchdog is 50 ms */
    wait_tag(t, t->diag, "fault_state", 1);
    assert_true(tag(t, t->diag, "fault_cause") == 1);
    assert_true(tag(t, t->outputs, "out_off") == 0);
    assert_true(tag(t, t->outputs, "out_on") == 1);
    assert_true(tag(t, t->outputs, "out_hold") == 1);
    assert_true(tag(t, t->outputs, "out_value") == -5);
    assert_true(said(t, "watchdog: scan still running after", WAIT_MS));
    set_tag(t, t->params, "spin_ms", 0);
    assert_true(said(t, "outputs safe until 'fault_reset' changes", WAIT_MS));
    set_tag(t, t->commands, "fault_reset", 1);
    wait_tag_equal(t, t->diag, "fault_state", 0);
    wait_tag(t, t->outputs, "out_off", 1);
    assert_true(tag(t, t->outputs, "out_on") == 0);
}

/* systemd's watchdog: fed while the loop cycles (faulted too), silent while a scan hangs. */
static void systemd_watchdog_fed_by_the_loop_not_by_a_hung_scan(void **state)
{
    struct t *t = *state;
    char path[128];
    int fd = sd_notify_socket(t->f->base, path, sizeof(path));
    spawn_notify(t, COUNT, path);
    assert_true(sd_notified(fd, "READY=1", WAIT_MS));
    assert_true(sd_notified(fd, "WATCHDOG=1", WAIT_MS));

    set_tag(t, t->params, "spin_ms", 5000); /* a scan that hangs for 5 s */
    wait_tag(t, t->diag, "fault_state", 1);
    sd_notify_drain(fd);
    assert_false(sd_notified(fd, "WATCHDOG=1", 1000)); /* systemd would restart it */

    set_tag(t, t->params, "spin_ms", 0); /* the scan returns; the PLC stays faulted */
    assert_true(sd_notified(fd, "WATCHDOG=1", WAIT_MS));
    assert_true(tag(t, t->diag, "fault_state") == 1);
    close(fd);
}

static void sigterm_stops_with_outputs_safe(void **state)
{
    struct t *t = *state;
    spawn(t, COUNT);
    wait_tag(t, t->outputs, "out_off", 1);
    kill(t->pid, SIGTERM);
    int status;
    assert_int_equal(waitpid(t->pid, &status, 0), t->pid);
    t->pid = -1;
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_true(tag(t, t->outputs, "out_off") == 0);
    assert_true(tag(t, t->outputs, "out_on") == 1);
    said(t, "outputs safe\n", 1000);
    assert_non_null(strstr(t->err, "stopping after"));
}

/* The events of plc-logic's ring, made again with room for a whole campaign. */
static struct plc_event_ring *big_logic_ring(struct t *t)
{
    char path[PATH_MAX];
    uint64_t hash = plc_layout_get_hash(t->f->layout);
    assert_int_equal(plc_event_ring_path(t->f->layout, t->f->base, PLC_SOURCE_LOGIC, path,
                                         sizeof(path)), 0);
    unlink(path);
    assert_int_equal(plc_event_ring_create(path, 4096, hash, &t->f->diag), PLC_CREATE_MADE);
    struct plc_event_ring *r = plc_event_ring_open(path, PLC_READER, hash, &t->f->diag);
    assert_non_null(r);
    return r;
}

static unsigned count_events(struct plc_event_ring *r, enum plc_event_kind kind, const char *name)
{
    uint64_t cursor = 0, lost = 0;
    unsigned n = 0;
    struct plc_event ev;
    while (plc_event_ring_read(r, &cursor, &ev, &lost) == 1)
        n += ev.kind == kind && strcmp(ev.name, name) == 0;
    assert_int_equal(lost, 0);
    return n;
}

/*
 * Alarms through kill -9: plc-logic is killed with SIGKILL at random moments,
 * 25 times, while SCADA's acknowledgement counter moves on (written while it
 * runs and while it is down). Each time it is back, the last request is acted
 * on (alarm_ack_done), the latched trip alarm is acknowledged and still
 * active, and over the whole campaign it was raised once and acknowledged
 * once: nothing lost, nothing done twice.
 */
static void alarm_state_and_acks_survive_a_kill9_campaign(void **state)
{
    struct t *t = *state;
    struct plc_diag *d = &t->f->diag;
    struct plc_region *in = plc_region_attach(t->f->layout, t->f->base, "inputs", PLC_WRITER, "io", d);
    struct plc_region *alarms = plc_region_attach(t->f->layout, t->f->base, "alarms", PLC_READER, NULL, d);
    assert_true(in && alarms);
    struct plc_event_ring *ring = big_logic_ring(t);
    set_tag(t, in, "trip", 1);
    spawn(t, COUNT);
    wait_tag(t, alarms, "trip_unacked", 1);
    double req = tag(t, t->commands, "alarm_ack");
    unsigned seed = (unsigned)now_ns();
    srand(seed);
    printf("# kill -9 campaign seed %u\n", seed);
    for (int round = 0; round < 25; round++) {
        set_tag(t, t->commands, "alarm_ack", ++req);
        /* Kill it anywhere: before, during or after it acts on the request. */
        struct timespec ts = {0, (long)(rand() % 15) * MS};
        nanosleep(&ts, NULL);
        kill(t->pid, SIGKILL);
        waitpid(t->pid, NULL, 0);
        close(t->err_fd);
        t->err_len = 0;
        t->err[0] = '\0';
        if (round % 2)
            set_tag(t, t->commands, "alarm_ack", ++req); /* while it is down */
        spawn(t, COUNT);
        wait_tag_equal(t, alarms, "alarm_ack_done", req);
        assert_true(tag(t, alarms, "trip_active") == 1);
        assert_true(tag(t, alarms, "trip_unacked") == 0);
    }
    assert_int_equal(count_events(ring, PLC_EVENT_ALARM_RAISED, "trip"), 1);
    assert_int_equal(count_events(ring, PLC_EVENT_ALARM_ACKED, "trip"), 1);
    plc_event_ring_close(ring);
    plc_region_detach(in);
    plc_region_detach(alarms);
}

int main(void)
{
#define T(x) cmocka_unit_test_setup_teardown(x, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(commands_written_faster_than_scan_counted_exactly_once),
        T(sighup_reloads_program_and_keeps_running),
        T(sighup_online_change_keeps_the_counter),
        T(program_for_other_layout_exits_with_both_hashes),
        T(cpu_dma_latency_flag),
        T(stuck_scan_faults_safe_until_reset_command),
        T(systemd_watchdog_fed_by_the_loop_not_by_a_hung_scan),
        T(sigterm_stops_with_outputs_safe),
        T(alarm_state_and_acks_survive_a_kill9_campaign),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
