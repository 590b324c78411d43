/* SPDX-License-Identifier: MIT */
/* A gateway in a child process for the server tests: started with readiness, its log
 * lines readable by the test, stopped by exactly its pid. */
#ifndef PLC_TEST_MB_SERVER_H
#define PLC_TEST_MB_SERVER_H

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

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
/* The gateway's log_priority (0: every line). */
static int srv_log_priority;
/* When set, the gateway posts to its event ring (events-modbus), as plc-modbus does. */
static bool srv_events;

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
            .log_priority = srv_log_priority,
            .on_loop = srv_loop_fd >= 0 ? srv_child_loop : NULL,
            .loop_ctx = (void *)(intptr_t)srv_loop_fd,
        };
        struct plc_diag d;
        char path[256];
        if (srv_events) {
            plc_event_ring_path(s->f->layout, s->f->base, PLC_SOURCE_MODBUS, path, sizeof(path));
            cfg.events = plc_event_ring_open(path, PLC_WRITER, plc_layout_get_hash(s->f->layout),
                                             &d);
            if (!cfg.events) {
                dprintf(ready[1], "FAIL %s\n", d.msg);
                _exit(1);
            }
        }
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

static inline uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Send a raw request (unit first) and return the exception code, or 0 for a normal
 * answer; for the answers libmodbus can frame, over TCP or RTU. */
static inline int mb_raw_exception(modbus_t *m, const uint8_t *req, int len)
{
    uint8_t rsp[MODBUS_MAX_ADU_LENGTH];
    int off = modbus_get_header_length(m);
    assert_true(modbus_send_raw_request(m, req, len) > 0);
    if (modbus_receive_confirmation(m, rsp) >= 0)
        return rsp[off] & 0x80 ? rsp[off + 1] : 0;
    if (errno >= MODBUS_ENOBASE + 1 && errno <= MODBUS_ENOBASE + 11)
        return errno - MODBUS_ENOBASE;
    fail_msg("no answer: %s", modbus_strerror(errno));
    return -1;
}

static inline int mb_raw_connect(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = -1;
    /* A loaded machine may run out of ephemeral ports for a moment (TIME_WAIT):
     * try again for up to 10 s then; anything else fails at once, named. */
    for (int tries = 0;; tries++) {
        fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_true(fd >= 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
            break;
        int err = errno;
        close(fd);
        if ((err != EADDRNOTAVAIL && err != EAGAIN && err != EINTR) || tries >= 1000)
            fail_msg("connect to 127.0.0.1:%d: %s", port, strerror(err));
        usleep(10000);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* Exactly @n bytes from @fd (blocking or not), waiting at most 20 s for each piece: a
 * bound on failure, never a measurement. */
static inline void mb_read_full(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 20000) != 1)
            fail_msg("nothing to read after %zu of %zu bytes", got, n);
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        if (r <= 0)
            fail_msg("read: %zd (%s) after %zu of %zu bytes", r, strerror(errno), got, n);
        got += (size_t)r;
    }
}

/* A serial line for RTU tests: a socat pty pair, the gateway's end and the master's. */
struct mb_pty {
    char dir[32], gw[64], master[64];
    pid_t socat;
    int errfd;
};

static inline void mb_pty_open(struct mb_pty *p)
{
    char la[128], lb[128];
    snprintf(p->dir, sizeof(p->dir), "/tmp/plc-rtu-XXXXXX");
    assert_non_null(mkdtemp(p->dir));
    snprintf(p->gw, sizeof(p->gw), "%s/gw", p->dir);
    snprintf(p->master, sizeof(p->master), "%s/master", p->dir);
    snprintf(la, sizeof(la), "pty,raw,echo=0,link=%s", p->gw);
    snprintf(lb, sizeof(lb), "pty,raw,echo=0,link=%s", p->master);
    int errp[2];
    assert_int_equal(pipe(errp), 0);
    p->socat = fork();
    assert_true(p->socat >= 0);
    if (p->socat == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        dup2(errp[1], 2);
        close(errp[0]);
        execlp("socat", "socat", "-d", "-d", la, lb, (char *)NULL);
        _exit(127);
    }
    close(errp[1]);
    p->errfd = errp[0];
    /* readiness: socat says so once both ptys exist */
    char buf[4096] = "";
    size_t n = 0;
    while (!strstr(buf, "starting data transfer loop")) {
        ssize_t r = read(p->errfd, buf + n, sizeof(buf) - 1 - n);
        if (r <= 0)
            fail_msg("socat did not start (is it installed? scripts/install-deps.sh)");
        n += (size_t)r;
        buf[n] = '\0';
    }
}

/* Stop socat by its pid and remove the links; a never-opened (zeroed) pair is fine. */
static inline void mb_pty_close(struct mb_pty *p)
{
    if (p->socat > 0) {
        kill(p->socat, SIGTERM);
        waitpid(p->socat, NULL, 0);
        close(p->errfd);
        p->socat = 0;
    }
    if (p->dir[0]) {
        unlink(p->gw);
        unlink(p->master);
        rmdir(p->dir);
        p->dir[0] = '\0';
    }
}

/* libmodbus's RTU master on the pty pair's other end, as the gateway's port is set. */
static inline modbus_t *mb_rtu_client(const struct mb_pty *p, int unit)
{
    modbus_t *m = modbus_new_rtu(p->master, 19200, 'E', 8, 1);
    assert_non_null(m);
    modbus_set_slave(m, unit);
    modbus_set_response_timeout(m, 5, 0);
    assert_int_equal(modbus_connect(m), 0);
    return m;
}

/* The [modbus] keys of a gateway serving RTU as mb_rtu_client() talks. */
#define MB_RTU_KEYS "rtu_device = /dev/null\nrtu_baud = 19200\nrtu_parity = even"

#endif
