/* SPDX-License-Identifier: MIT */
/*
 * struct plc_supervise: see supervise.h.
 *
 * One poll() loop over two descriptors: the caller's signalfd (SIGCHLD,
 * SIGINT, SIGTERM) and our notify socket (sd_notify datagrams, the sender's
 * pid from SO_PASSCRED). Timers (restart delays, stop timeout, status view)
 * are the poll timeout. Children are reaped by their own pid only.
 */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RESTART_DELAY_DEFAULT_NS 100000000LL
#define STOP_TIMEOUT_DEFAULT_NS 5000000000LL
#define START_LIMIT_BURST 5
#define START_LIMIT_WINDOW_NS 1000000000LL
#define EVENTS 8

struct service {
    const struct plc_supervise_service *def;
    enum plc_supervise_state state;
    pid_t pid;
    int64_t started_ns, ready_ns, restart_at_ns;
    unsigned restarts;
    unsigned quick_exits; /* exits on its own within START_LIMIT_WINDOW_NS, in a row */
    char last_exit[64];
};

struct plc_supervise {
    struct plc_supervise_config cfg;
    FILE *out;
    struct service *svc;
    int notify_fd;
    char notify_name[108];
    int64_t started_ns;
    bool stopping;
    char events[EVENTS][160];
    unsigned nevents;
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One event line: to the output now, and into the status view's recent list. */
__attribute__((format(printf, 2, 3))) static void event(struct plc_supervise *sv,
                                                        const char *fmt, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(sv->out, "plc-supervise: %s\n", line);
    fflush(sv->out);
    memcpy(sv->events[sv->nevents++ % EVENTS], line, sizeof(line));
}

const char *plc_supervise_state_name(enum plc_supervise_state state)
{
    switch (state) {
    case PLC_SV_SKIPPED: return "skipped";
    case PLC_SV_STARTING: return "starting";
    case PLC_SV_READY: return "ready";
    case PLC_SV_WAITING: return "waiting";
    case PLC_SV_FAILED: return "failed";
    case PLC_SV_DONE: return "done";
    case PLC_SV_STOPPED: return "stopped";
    }
    return "?";
}

static void describe_status(int status, char *buf, size_t len)
{
    if (WIFEXITED(status))
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
                 sigabbrev_np(WTERMSIG(status)) ? sigabbrev_np(WTERMSIG(status)) : "?");
    else
        snprintf(buf, len, "ended with wait status 0x%x", (unsigned)status);
}

struct plc_supervise *plc_supervise_new(const struct plc_supervise_config *cfg)
{
    struct plc_supervise *sv = calloc(1, sizeof(*sv));
    if (!sv)
        return NULL;
    sv->cfg = *cfg;
    sv->out = cfg->out ? cfg->out : stdout;
    sv->notify_fd = -1;
    if (!sv->cfg.restart_delay_ns)
        sv->cfg.restart_delay_ns = RESTART_DELAY_DEFAULT_NS;
    if (!sv->cfg.stop_timeout_ns)
        sv->cfg.stop_timeout_ns = STOP_TIMEOUT_DEFAULT_NS;
    sv->svc = calloc(cfg->nservices ? cfg->nservices : 1, sizeof(*sv->svc));
    if (!sv->svc)
        goto err_free;
    for (size_t i = 0; i < cfg->nservices; i++) {
        struct service *s = &sv->svc[i];
        s->def = &cfg->services[i];
        s->pid = -1;
        if (access(s->def->argv[0], X_OK) < 0) {
            int e = errno;
            if (s->def->oneshot) {
                event(sv, "%s: cannot run '%s': %s", s->def->name, s->def->argv[0], strerror(e));
                errno = e;
                goto err_free;
            }
            s->state = PLC_SV_SKIPPED;
            event(sv, "%s not built ('%s': %s): skipped", s->def->name, s->def->argv[0],
                  strerror(e));
        }
    }
    if (cfg->log_dir && mkdir(cfg->log_dir, 0755) < 0 && errno != EEXIST) {
        int e = errno;
        event(sv, "log directory '%s': %s", cfg->log_dir, strerror(e));
        errno = e;
        goto err_free;
    }

    /* The notify socket, in the abstract namespace: nothing to clean up. */
    sv->notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (sv->notify_fd < 0)
        goto err_sys;
    int one = 1;
    if (setsockopt(sv->notify_fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) < 0)
        goto err_sys;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sv->notify_name, sizeof(sv->notify_name), "@plc-supervise/%d/%p", (int)getpid(),
             (void *)sv);
    size_t n = strlen(sv->notify_name);
    memcpy(sa.sun_path + 1, sv->notify_name + 1, n - 1);
    if (bind(sv->notify_fd, (struct sockaddr *)&sa,
             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
        goto err_sys;
    return sv;

err_sys: {
        int e = errno;
        event(sv, "notify socket: %s", strerror(e));
        errno = e;
    }
err_free:
    plc_supervise_free(sv);
    return NULL;
}

void plc_supervise_free(struct plc_supervise *sv)
{
    if (!sv)
        return;
    if (sv->notify_fd >= 0)
        close(sv->notify_fd);
    free(sv->svc);
    free(sv);
}

/* Child side of a start: never returns. */
static void exec_child(struct plc_supervise *sv, struct service *s, pid_t parent)
{
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    /* Our own process group: a Ctrl-C reaches us only, and we stop in order. */
    setpgid(0, 0);
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(127);
    if (sv->cfg.log_dir) {
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s.log", sv->cfg.log_dir, s->def->name);
        int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
            if (nul >= 0)
                dup2(nul, 0);
            dup2(fd, 1);
            dup2(fd, 2);
        }
    }
    if (!s->def->oneshot)
        setenv("NOTIFY_SOCKET", sv->notify_name, 1);
    else
        unsetenv("NOTIFY_SOCKET");
    execv(s->def->argv[0], s->def->argv);
    dprintf(2, "plc-supervise: %s: cannot run '%s': %s\n", s->def->name, s->def->argv[0],
            strerror(errno));
    _exit(127);
}

static int start(struct plc_supervise *sv, struct service *s)
{
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        event(sv, "%s: fork: %s", s->def->name, strerror(errno));
        return -1;
    }
    if (pid == 0)
        exec_child(sv, s, parent);
    s->pid = pid;
    s->started_ns = now_ns();
    s->ready_ns = 0;
    s->state = PLC_SV_STARTING;
    if (s->restarts)
        event(sv, "started %s (pid %d, restart %u)", s->def->name, (int)pid, s->restarts);
    else
        event(sv, "started %s (pid %d)", s->def->name, (int)pid);
    return 0;
}

static struct service *by_pid(struct plc_supervise *sv, pid_t pid)
{
    for (size_t i = 0; i < sv->cfg.nservices; i++)
        if (sv->svc[i].pid == pid)
            return &sv->svc[i];
    return NULL;
}

/* sd_notify datagrams: READY=1 marks the sender's service ready. */
static void read_notify(struct plc_supervise *sv)
{
    for (;;) {
        char buf[4096];
        union {
            struct cmsghdr h;
            char b[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int) * 16)];
        } ctl;
        struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                             .msg_controllen = sizeof(ctl.b)};
        ssize_t n = recvmsg(sv->notify_fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
        if (n < 0)
            return;
        buf[n] = 0;
        pid_t pid = 0;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET)
                continue;
            if (c->cmsg_type == SCM_CREDENTIALS) {
                struct ucred uc;
                memcpy(&uc, CMSG_DATA(c), sizeof(uc));
                pid = uc.pid;
            } else if (c->cmsg_type == SCM_RIGHTS) { /* FDSTORE=1: not kept */
                size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                for (size_t i = 0; i < k; i++) {
                    int fd;
                    memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
                    close(fd);
                }
            }
        }
        struct service *s = by_pid(sv, pid);
        if (!s)
            continue;
        for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
            if (strcmp(line, "READY=1") == 0 && s->state == PLC_SV_STARTING) {
                s->state = PLC_SV_READY;
                s->ready_ns = now_ns();
                s->quick_exits = 0;
                event(sv, "%s ready (pid %d, %.1f ms after start)", s->def->name, (int)s->pid,
                      (double)(s->ready_ns - s->started_ns) / 1e6);
            }
        }
    }
}

/* A long-running service ended: schedule its restart, or give up. */
static void ended(struct plc_supervise *sv, struct service *s, int status)
{
    int64_t t = now_ns();
    describe_status(status, s->last_exit, sizeof(s->last_exit));
    pid_t pid = s->pid;
    s->pid = -1;
    if (sv->stopping) {
        s->state = PLC_SV_STOPPED;
        event(sv, "%s (pid %d) stopped: %s", s->def->name, (int)pid, s->last_exit);
        return;
    }
    /* Killed by a signal is a fault of the moment, not of the configuration. */
    if (WIFEXITED(status) && t - s->started_ns < START_LIMIT_WINDOW_NS)
        s->quick_exits++;
    else
        s->quick_exits = 0;
    if (s->quick_exits >= START_LIMIT_BURST) {
        s->state = PLC_SV_FAILED;
        event(sv, "%s (pid %d) %s; %u times in a row within 1 s of starting: given up "
              "(see its log)", s->def->name, (int)pid, s->last_exit, s->quick_exits);
        return;
    }
    s->state = PLC_SV_WAITING;
    s->restart_at_ns = t + sv->cfg.restart_delay_ns;
    s->restarts++;
    event(sv, "%s (pid %d) %s; restarting in %" PRId64 " ms", s->def->name, (int)pid,
          s->last_exit, sv->cfg.restart_delay_ns / 1000000);
}

/* Reap every child of ours that ended; return how many. */
static int reap(struct plc_supervise *sv)
{
    int n = 0;
    for (size_t i = 0; i < sv->cfg.nservices; i++) {
        struct service *s = &sv->svc[i];
        if (s->pid <= 0)
            continue;
        int status;
        pid_t r = waitpid(s->pid, &status, WNOHANG);
        if (r == s->pid) {
            ended(sv, s, status);
            n++;
        }
    }
    return n;
}

static void fmt_duration(int64_t ns, char *buf, size_t len)
{
    long long s = ns / 1000000000LL;
    snprintf(buf, len, "%02lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
}

static void status_view(struct plc_supervise *sv)
{
    FILE *o = sv->out;
    int64_t t = now_ns();
    char up[32];
    if (sv->cfg.redraw)
        fputs("\033[H\033[2J", o);
    fmt_duration(t - sv->started_ns, up, sizeof(up));
    fprintf(o, "== RaspiPLC: up %s (Ctrl-C stops all) ==\n", up);
    fprintf(o, "%-12s %7s  %-8s  %-8s  %8s  %s\n", "SERVICE", "PID", "STATE", "UP", "RESTARTS",
            "LAST EXIT");
    for (size_t i = 0; i < sv->cfg.nservices; i++) {
        struct service *s = &sv->svc[i];
        char pid[16] = "-", upt[32] = "-";
        if (s->pid > 0) {
            snprintf(pid, sizeof(pid), "%d", (int)s->pid);
            fmt_duration(t - s->started_ns, upt, sizeof(upt));
        }
        fprintf(o, "%-12s %7s  %-8s  %-8s  %8u  %s\n", s->def->name, pid,
                plc_supervise_state_name(s->state), upt, s->restarts,
                s->last_exit[0] ? s->last_exit : "-");
    }
    fputc('\n', o);
    fflush(o);
    if (sv->cfg.status)
        sv->cfg.status(sv->cfg.status_user, o);
    if (sv->cfg.redraw && sv->nevents) {
        fputs("Recent events:\n", o);
        unsigned first = sv->nevents > EVENTS ? sv->nevents - EVENTS : 0;
        for (unsigned i = first; i < sv->nevents; i++)
            fprintf(o, "  %s\n", sv->events[i % EVENTS]);
    }
    fflush(o);
}

/* Read the signalfd; return 1 when asked to stop. */
static int read_signals(struct plc_supervise *sv, int sigfd)
{
    struct signalfd_siginfo si;
    int stop = 0;
    while (read(sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
            if (!sv->stopping)
                event(sv, "%s: stopping every service",
                      si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
            stop = 1;
        }
    }
    return stop;
}

/* Run the one-shots in order; -1 when one fails (or we are asked to stop). */
static int run_oneshots(struct plc_supervise *sv, int sigfd)
{
    for (size_t i = 0; i < sv->cfg.nservices; i++) {
        struct service *s = &sv->svc[i];
        if (!s->def->oneshot)
            continue;
        if (start(sv, s) < 0)
            return -1;
        for (;;) {
            struct pollfd p = {.fd = sigfd, .events = POLLIN};
            if (poll(&p, 1, -1) < 0 && errno != EINTR)
                return -1;
            if (read_signals(sv, sigfd)) {
                kill(s->pid, SIGTERM);
                waitpid(s->pid, NULL, 0);
                s->pid = -1;
                return -1;
            }
            int status;
            if (waitpid(s->pid, &status, WNOHANG) != s->pid)
                continue;
            s->pid = -1;
            describe_status(status, s->last_exit, sizeof(s->last_exit));
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
                s->state = PLC_SV_DONE;
                event(sv, "%s done", s->def->name);
                break;
            }
            s->state = PLC_SV_FAILED;
            event(sv, "%s %s: not starting the services that need it", s->def->name,
                  s->last_exit);
            return -1;
        }
    }
    return 0;
}

static bool stage_alive(struct plc_supervise *sv, int stage)
{
    for (size_t i = 0; i < sv->cfg.nservices; i++)
        if (sv->svc[i].pid > 0 && sv->svc[i].def->stop_stage == stage)
            return true;
    return false;
}

/* Stop stage by stage: SIGTERM, then SIGKILL after the timeout. */
static void stop_all(struct plc_supervise *sv, int sigfd)
{
    sv->stopping = true;
    int max_stage = 0;
    for (size_t i = 0; i < sv->cfg.nservices; i++) {
        if (sv->svc[i].state == PLC_SV_WAITING)
            sv->svc[i].state = PLC_SV_STOPPED;
        if (sv->svc[i].def->stop_stage > max_stage)
            max_stage = sv->svc[i].def->stop_stage;
    }
    for (int stage = 0; stage <= max_stage; stage++) {
        for (size_t i = 0; i < sv->cfg.nservices; i++) {
            struct service *s = &sv->svc[i];
            if (s->pid > 0 && s->def->stop_stage == stage)
                kill(s->pid, SIGTERM);
        }
        int64_t deadline = now_ns() + sv->cfg.stop_timeout_ns;
        bool killed = false;
        while (stage_alive(sv, stage)) {
            int64_t left = deadline - now_ns();
            if (left <= 0 && !killed) {
                for (size_t i = 0; i < sv->cfg.nservices; i++) {
                    struct service *s = &sv->svc[i];
                    if (s->pid > 0 && s->def->stop_stage == stage) {
                        event(sv, "%s (pid %d) still running %" PRId64 " ms after SIGTERM: "
                              "SIGKILL", s->def->name, (int)s->pid,
                              sv->cfg.stop_timeout_ns / 1000000);
                        kill(s->pid, SIGKILL);
                    }
                }
                killed = true;
            }
            struct pollfd p = {.fd = sigfd, .events = POLLIN};
            poll(&p, 1, killed ? 100 : (int)(left / 1000000 + 1));
            read_signals(sv, sigfd);
            reap(sv);
        }
    }
}

int plc_supervise_run(struct plc_supervise *sv, int sigfd)
{
    sv->started_ns = now_ns();
    if (run_oneshots(sv, sigfd) < 0) {
        stop_all(sv, sigfd);
        return -1;
    }
    for (size_t i = 0; i < sv->cfg.nservices; i++) {
        struct service *s = &sv->svc[i];
        if (!s->def->oneshot && s->state != PLC_SV_SKIPPED)
            start(sv, s);
    }
    int64_t next_status = sv->cfg.status_interval_ns ? now_ns() + sv->cfg.status_interval_ns : 0;
    for (;;) {
        int64_t t = now_ns(), wake = next_status;
        for (size_t i = 0; i < sv->cfg.nservices; i++) {
            struct service *s = &sv->svc[i];
            if (s->state == PLC_SV_WAITING && s->restart_at_ns <= t) {
                if (start(sv, s) < 0) {
                    s->restart_at_ns = t + sv->cfg.restart_delay_ns;
                }
            }
            if (s->state == PLC_SV_WAITING && (!wake || s->restart_at_ns < wake))
                wake = s->restart_at_ns;
        }
        if (next_status && t >= next_status) {
            status_view(sv);
            next_status = now_ns() + sv->cfg.status_interval_ns;
            continue;
        }
        int timeout = -1;
        if (wake)
            timeout = wake > t ? (int)((wake - t + 999999) / 1000000) : 0;
        struct pollfd p[2] = {{.fd = sigfd, .events = POLLIN},
                              {.fd = sv->notify_fd, .events = POLLIN}};
        if (poll(p, 2, timeout) < 0 && errno != EINTR) {
            event(sv, "poll: %s", strerror(errno));
            break;
        }
        if (p[1].revents & POLLIN)
            read_notify(sv);
        int stop = (p[0].revents & POLLIN) ? read_signals(sv, sigfd) : 0;
        reap(sv);
        if (stop)
            break;
    }
    read_notify(sv);
    stop_all(sv, sigfd);
    event(sv, "all services stopped");
    return 0;
}
