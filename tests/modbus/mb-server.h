/* SPDX-License-Identifier: MIT */
/* A gateway in a child process for the server tests: started with readiness, its log
 * lines readable by the test, stopped by exactly its pid. */
#ifndef PLC_TEST_MB_SERVER_H
#define PLC_TEST_MB_SERVER_H

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <modbus.h>

#include "../runtime/fixture.h"
#include "mb-layout.h"
#include "plc-modbus.h"

struct srv {
    struct fixture *f;
    pid_t pid;
    int port, ro_port;
    int logfd;
    char log[1 << 20];
    size_t loglen, seen; /* log_wait() looks from 'seen' on */
};

static volatile sig_atomic_t srv_child_stop;
/* When >= 0, the serving loop writes a byte here on every turn (on_loop). */
static int srv_loop_fd = -1;

static void srv_child_loop(void *ctx)
{
    char c = 1;
    if (write((int)(intptr_t)ctx, &c, 1) < 0)
        return;
}

/* When set, the gateway gets only this many descriptors beyond those it holds at start. */
static int srv_spare_fds;

static void srv_child_term(int sig)
{
    (void)sig;
    srv_child_stop = 1;
}

static void srv_child_log(void *ctx, int prio, const char *msg)
{
    dprintf((int)(intptr_t)ctx, "<%d> %s\n", prio, msg);
}

/* The gateway on 127.0.0.1 (any port), with @keys added to [modbus]. */
static inline struct srv *srv_start(const char *keys, bool read_only_listener, const char *rtu)
{
    struct srv *s = calloc(1, sizeof(*s));
    assert_non_null(s);
    char *text = mb_layout_text(keys);
    s->f = fixture_new(text);
    free(text);
    fixture_init(s->f);
    int ready[2], logp[2];
    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(logp), 0);
    fcntl(logp[1], F_SETPIPE_SZ, 1 << 20);
    s->pid = fork();
    assert_true(s->pid >= 0);
    if (s->pid == 0) {
        /* Gone with the test, even when a failed assertion skips srv_stop(). */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        /* SIGPIPE keeps its default: the gateway must never need it ignored. */
        struct sigaction sa = {.sa_handler = srv_child_term};
        sigaction(SIGTERM, &sa, NULL);
        close(ready[0]);
        close(logp[0]);
        struct plc_modbus_server_config cfg = {
            .layout = s->f->layout,
            .base_dir = s->f->base,
            .listen_port = 0,
            .read_only_port = read_only_listener ? 0 : -1,
            .rtu_device = rtu,
            .log = srv_child_log,
            .log_ctx = (void *)(intptr_t)logp[1],
            .on_loop = srv_loop_fd >= 0 ? srv_child_loop : NULL,
            .loop_ctx = (void *)(intptr_t)srv_loop_fd,
        };
        struct plc_diag d;
        struct plc_modbus_server *sv = plc_modbus_server_new(&cfg, &d);
        if (!sv) {
            dprintf(ready[1], "FAIL %s\n", d.msg);
            _exit(1);
        }
        dprintf(ready[1], "%d %d\n", plc_modbus_server_get_port(sv, 0),
                plc_modbus_server_get_port(sv, 1));
        close(ready[1]);
        if (srv_spare_fds) {
            /* Fill every free number up to the highest open descriptor, then let
             * exactly srv_spare_fds more be opened (the limit bounds numbers). */
            int top = 0;
            for (int fd = 0; fd < 4096; fd++)
                if (fcntl(fd, F_GETFD) >= 0)
                    top = fd;
            for (int fd = 0; fd < top; fd++)
                if (fcntl(fd, F_GETFD) < 0 && open("/dev/null", O_RDONLY) < 0)
                    _exit(3);
            struct rlimit rl = {(rlim_t)(top + 1 + srv_spare_fds),
                                (rlim_t)(top + 1 + srv_spare_fds)};
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        int rc = plc_modbus_server_run(sv, &srv_child_stop);
        plc_modbus_server_free(sv);
        _exit(rc ? 1 : 0);
    }
    close(ready[1]);
    close(logp[1]);
    char buf[1024];
    ssize_t n = read(ready[0], buf, sizeof(buf) - 1);
    close(ready[0]);
    assert_true(n > 0);
    buf[n] = '\0';
    if (sscanf(buf, "%d %d", &s->port, &s->ro_port) != 2)
        fail_msg("gateway did not start: %s", buf);
    s->logfd = logp[0];
    return s;
}

/* Wait (at most 20 s: a failure, never a measurement) for a log line holding @needle. */
static inline const char *srv_log_wait(struct srv *s, const char *needle)
{
    for (int rounds = 0; rounds < 200; rounds++) {
        s->log[s->loglen] = '\0';
        char *hit = strstr(s->log + s->seen, needle);
        if (hit) {
            char *eol = strchr(hit, '\n');
            s->seen = eol ? (size_t)(eol + 1 - s->log) : s->loglen;
            return hit;
        }
        struct pollfd p = {.fd = s->logfd, .events = POLLIN};
        if (poll(&p, 1, 100) == 1) {
            ssize_t n = read(s->logfd, s->log + s->loglen, sizeof(s->log) - 1 - s->loglen);
            if (n > 0)
                s->loglen += (size_t)n;
        }
    }
    s->log[s->loglen] = '\0';
    fail_msg("no log line with '%s'; log:\n%s", needle, s->log + s->seen);
    return NULL;
}

static inline bool srv_alive(struct srv *s)
{
    return waitpid(s->pid, NULL, WNOHANG) == 0;
}

/* Stop it by its pid; it must exit 0 (no crash, no error). */
static inline void srv_stop(struct srv *s)
{
    int st;
    assert_int_equal(kill(s->pid, SIGTERM), 0);
    assert_int_equal(waitpid(s->pid, &st, 0), s->pid);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fail_msg("gateway ended with status 0x%x (signal %d)", st,
                 WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    close(s->logfd);
    fixture_free(s->f);
    free(s);
}

static inline modbus_t *mb_client(int port, int unit)
{
    modbus_t *m = modbus_new_tcp("127.0.0.1", port);
    assert_non_null(m);
    modbus_set_slave(m, unit);
    modbus_set_response_timeout(m, 5, 0);
    if (modbus_connect(m) < 0)
        fail_msg("connect to %d: %s", port, modbus_strerror(errno));
    return m;
}

static inline void mb_close(modbus_t *m)
{
    modbus_close(m);
    modbus_free(m);
}

#endif
