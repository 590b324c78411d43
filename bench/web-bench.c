/* SPDX-License-Identifier: MIT */
/*
 * web-bench: plc-web under browser-like Server-Sent Events clients, beside its
 * floor in the same run (bench/README-web.md).
 *
 * It runs the real services on a private copy of the demo layout's process
 * image (plc-shm-init, plc-logic with examples/motor.c on its 10 ms scan,
 * plc-web) and is itself the writer of 'inputs' in plc-io's place: every
 * --period it writes tank_level (a new value each time) and notes when. N
 * clients follow /api/stream over HTTP/1.1 as EventSource does; one epoll
 * thread reads them all and timestamps each tank_level change as it comes off
 * the socket. In the same run, on the same writes, the floors: a thread of
 * this program waits on the region with plc_region_wait() (write to wake-up)
 * and sends the value as one line to N plain TCP sockets, read by the same
 * epoll thread (write to a raw send's arrival at N clients). Besides:
 * plc-web's CPU (utime + stime from /proc) idle and while streaming, its
 * memory (RSS, PSS) idle and with N clients. Prints; asserts nothing.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-commit.h"
#include "bench-stats.h"
#include "plc.h"

#define MAX_CLIENTS 1000
#define NVALUES 90 /* tank_level cycles 1..89 (0 is the start): below the 95 % alarm */
#define IDLE_S 3

struct client {
    int fd;
    bool web;      /* an /api/stream client; else a floor socket */
    bool head;     /* the HTTP head is behind us */
    bool snapshot; /* its snapshot came */
    size_t chunk;  /* bytes left of the current chunk (HTTP/1.1 chunked) */
    char raw[8192], sse[65536];
    size_t nraw, nsse;
};

struct samples {
    double *v;
    size_t n, cap;
};

struct bench {
    int nclients;
    _Atomic uint64_t written_ns[NVALUES]; /* when each value was last written */
    atomic_bool stop, measuring;
    /* the epoll thread's */
    struct client *clients;
    int ep;
    atomic_int snapshots;
    uint64_t web_events; /* every SSE event while measuring */
    struct samples web, raw;
    /* the floor thread's */
    struct plc_region *floor_region;
    const struct plc_tag_def *tag;
    int floor_fds[MAX_CLIENTS];
    struct samples wake;
    uint64_t floor_sends;
};

static void add(struct samples *s, double v)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4096;
        s->v = realloc(s->v, s->cap * sizeof(*s->v));
        if (!s->v) {
            perror("web-bench: realloc");
            exit(1);
        }
    }
    s->v[s->n++] = v;
}

/* Microseconds from the write of @p value to @p t; <0 when it is not one of ours. */
static double since_write_us(struct bench *b, double value, uint64_t t)
{
    int v = (int)value;
    if (v < 1 || v >= NVALUES || (double)v != value)
        return -1;
    uint64_t w = atomic_load_explicit(&b->written_ns[v], memory_order_acquire);
    return w && t > w ? (double)(t - w) / 1e3 : -1;
}

/* One SSE event of a web client: count it, time a tank_level change. */
static void on_event(struct bench *b, struct client *c, const char *ev, uint64_t t)
{
    if (strncmp(ev, "event: snapshot", 15) == 0) {
        if (!c->snapshot) {
            c->snapshot = true;
            atomic_fetch_add(&b->snapshots, 1);
        }
        return;
    }
    if (!atomic_load(&b->measuring) || strncmp(ev, "event: ", 7) != 0)
        return;
    b->web_events++;
    const char *at = strstr(ev, "\"tank_level\":");
    if (at) {
        double us = since_write_us(b, strtod(at + 13, NULL), t);
        if (us >= 0)
            add(&b->web, us);
    }
}

/* Body bytes of a web client (de-chunked): split into events at blank lines. */
static void on_body(struct bench *b, struct client *c, const char *p, size_t n, uint64_t t)
{
    if (c->nsse + n >= sizeof(c->sse)) { /* a snapshot larger than the buffer: dropped */
        c->nsse = 0;
        return;
    }
    memcpy(c->sse + c->nsse, p, n);
    c->nsse += n;
    c->sse[c->nsse] = 0;
    char *start = c->sse, *end;
    while ((end = strstr(start, "\n\n"))) {
        *end = 0;
        on_event(b, c, start, t);
        start = end + 2;
    }
    c->nsse -= (size_t)(start - c->sse);
    memmove(c->sse, start, c->nsse);
}

/* Bytes from a web client's socket: the head, then chunk sizes and chunks. */
static void on_web_bytes(struct bench *b, struct client *c, uint64_t t)
{
    size_t off = 0;
    if (!c->head) {
        char *end = memmem(c->raw, c->nraw, "\r\n\r\n", 4);
        if (!end)
            return;
        c->head = true;
        off = (size_t)(end - c->raw) + 4;
    }
    while (off < c->nraw) {
        if (c->chunk) {
            size_t n = c->nraw - off < c->chunk ? c->nraw - off : c->chunk;
            on_body(b, c, c->raw + off, n, t);
            off += n;
            c->chunk -= n;
            continue;
        }
        /* "\r\n" after a chunk, then "SIZE\r\n" */
        char *nl = memmem(c->raw + off, c->nraw - off, "\n", 1);
        if (!nl)
            break;
        char line[32] = "";
        size_t len = (size_t)(nl - (c->raw + off));
        memcpy(line, c->raw + off, len < sizeof(line) - 1 ? len : sizeof(line) - 1);
        off = (size_t)(nl - c->raw) + 1;
        if (line[0] && line[0] != '\r')
            c->chunk = strtoul(line, NULL, 16);
    }
    memmove(c->raw, c->raw + off, c->nraw - off);
    c->nraw -= off;
}

/* Lines "VALUE\n" from a floor socket. */
static void on_raw_bytes(struct bench *b, struct client *c, uint64_t t)
{
    char *start = c->raw, *nl;
    while ((nl = memchr(start, '\n', c->nraw - (size_t)(start - c->raw)))) {
        *nl = 0;
        double us = since_write_us(b, strtod(start, NULL), t);
        if (us >= 0 && atomic_load(&b->measuring))
            add(&b->raw, us);
        start = nl + 1;
    }
    c->nraw -= (size_t)(start - c->raw);
    memmove(c->raw, start, c->nraw);
}

static void *read_clients(void *arg)
{
    struct bench *b = arg;
    struct epoll_event evs[64];
    while (!atomic_load(&b->stop)) {
        int n = epoll_wait(b->ep, evs, 64, 100);
        for (int i = 0; i < n; i++) {
            struct client *c = evs[i].data.ptr;
            ssize_t got = recv(c->fd, c->raw + c->nraw, sizeof(c->raw) - 1 - c->nraw, 0);
            uint64_t t = now_ns();
            if (got <= 0) {
                epoll_ctl(b->ep, EPOLL_CTL_DEL, c->fd, NULL);
                continue;
            }
            c->nraw += (size_t)got;
            if (c->web)
                on_web_bytes(b, c, t);
            else
                on_raw_bytes(b, c, t);
            if (c->nraw == sizeof(c->raw) - 1) /* a line that never ends: drop it */
                c->nraw = 0;
        }
    }
    return NULL;
}

/* The floor: wake on the region's write, send the value to every floor socket. */
static void *floor_sender(void *arg)
{
    struct bench *b = arg;
    while (!atomic_load(&b->stop)) {
        int rc = plc_region_wait(b->floor_region, 100000000);
        uint64_t t = now_ns();
        if (rc != 1)
            continue;
        double value;
        if (plc_region_read_tag(b->floor_region, b->tag, &value) < 0)
            continue;
        double us = since_write_us(b, value, t);
        if (us >= 0 && atomic_load(&b->measuring))
            add(&b->wake, us);
        char line[32];
        int len = snprintf(line, sizeof(line), "%.0f\n", value);
        for (int i = 0; i < b->nclients; i++)
            if (send(b->floor_fds[i], line, (size_t)len, MSG_NOSIGNAL) == len)
                b->floor_sends++;
    }
    return NULL;
}

static int tcp_connect(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in a = {
        .sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        perror("web-bench: connect");
        exit(1);
    }
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

/* Start @p argv with the bench's environment; its stdout into *@p out if asked. */
static pid_t spawn(char *const argv[], FILE **out)
{
    int fds[2] = {-1, -1};
    if (out && pipe2(fds, O_CLOEXEC) < 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        if (out)
            dup2(fds[1], STDOUT_FILENO);
        else
            freopen("/dev/null", "w", stdout);
        freopen("/dev/null", "w", stderr);
        execv(argv[0], argv);
        _exit(127);
    }
    if (out) {
        close(fds[1]);
        *out = fdopen(fds[0], "r");
    }
    return pid;
}

/* utime + stime of @p pid in seconds. */
static double cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    buf[0] = 0;
    read_first_line(path, buf, sizeof(buf));
    char *p = strrchr(buf, ')');
    unsigned long ut = 0, st = 0;
    if (p)
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/*
 * Over every thread of @p pid: the time on a CPU in seconds (schedstat, in
 * ns, where /proc/PID/stat counts 10 ms ticks) and the context switches (each
 * a wake-up or a preemption).
 */
static void threads(pid_t pid, double *cpu, unsigned long long *switches)
{
    char path[96], line[256];
    *cpu = 0;
    *switches = 0;
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", (int)pid, e->d_name);
        line[0] = 0;
        read_first_line(path, line, sizeof(line));
        *cpu += strtod(line, NULL) / 1e9;
        snprintf(path, sizeof(path), "/proc/%d/task/%.16s/status", (int)pid, e->d_name);
        FILE *f = fopen(path, "re");
        while (f && fgets(line, sizeof(line), f))
            if (strstr(line, "ctxt_switches:"))
                *switches += strtoull(strchr(line, ':') + 1, NULL, 10);
        if (f)
            fclose(f);
    }
    if (d)
        closedir(d);
}

/* A "Key:   N kB" line of a /proc file, in KiB. */
static long proc_kib(pid_t pid, const char *file, const char *key)
{
    char path[64], line[256];
    long v = -1;
    size_t len = strlen(key);
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
    FILE *f = fopen(path, "re");
    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, key, len) == 0 && line[len] == ':')
            v = strtol(line + len + 1, NULL, 10);
    if (f)
        fclose(f);
    return v;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void print_pct(const char *what, struct samples *s, struct pct *out)
{
    *out = pct_of(s->v, s->n);
    printf("| %s | %zu | %.0f | %.0f | %.0f | %.0f |\n", what, out->n, out->p50, out->p95, out->p99,
           out->max);
}

static double ratio(double a, double b)
{
    return b > 0 ? a / b : 0;
}

int main(int argc, char **argv)
{
    double secs = 10, period_ms = 20;
    int nclients = 50;
    const char *label = NULL, *web_bin = PLC_BIN_DIR "/plc-web";
    static const struct option opts[] = {
        {"plc-web", required_argument, NULL, 'w'},
        {"seconds", required_argument, NULL, 'd'},
        {"clients", required_argument, NULL, 'c'},
        {"period", required_argument, NULL, 'p'},
        {"label", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    for (int c; (c = getopt_long(argc, argv, "d:c:p:l:w:h", opts, NULL)) != -1;) {
        switch (c) {
        case 'd':
            secs = atof(optarg);
            break;
        case 'c':
            nclients = atoi(optarg);
            break;
        case 'p':
            period_ms = atof(optarg);
            break;
        case 'l':
            label = optarg;
            break;
        case 'w':
            web_bin = optarg;
            break;
        default:
            printf("usage: web-bench [-d SECONDS (10)] [-c CLIENTS (50)] [-p PERIOD_MS (20)] "
                   "[--label TEXT] [--plc-web PATH (this build's)]\n");
            return c == 'h' ? 0 : 2;
        }
    }
    if (secs <= 0 || period_ms < 1 || nclients < 1 || nclients > MAX_CLIENTS) {
        fprintf(stderr, "web-bench: -d > 0, -p >= 1 and 1 <= -c <= %d\n", MAX_CLIENTS);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    /* ---- the PLC: a private process image, plc-logic, plc-web ---- */
    char base[64];
    snprintf(base, sizeof(base), "/dev/shm/plc-web-bench-%d", (int)getpid());
    setenv("RASPIPLC_BASE_DIR", base, 1);
    setenv("RASPIPLC_LAYOUT", PLC_BENCH_LAYOUT, 1);
    struct plc_diag diag;
    struct plc_layout *layout = plc_layout_load(PLC_BENCH_LAYOUT, &diag);
    if (!layout) {
        fprintf(stderr, "web-bench: %s\n", diag.msg);
        return 1;
    }
    char *init[] = {PLC_BIN_DIR "/plc-shm-init", "-q", NULL};
    int st = 0;
    pid_t pid = spawn(init, NULL);
    if (pid < 0 || waitpid(pid, &st, 0) < 0 || st != 0) {
        fprintf(stderr, "web-bench: plc-shm-init failed (status 0x%x)\n", st);
        return 1;
    }
    struct bench *b = calloc(1, sizeof(*b));
    b->nclients = nclients;
    b->tag = plc_layout_find_tag(layout, "tank_level");
    struct plc_region *writer = plc_region_attach(layout, base, "inputs", PLC_WRITER, "io", &diag);
    b->floor_region = plc_region_attach(layout, base, "inputs", PLC_READER, NULL, &diag);
    if (!b->tag || !writer || !b->floor_region) {
        fprintf(stderr, "web-bench: %s\n", b->tag ? diag.msg : "no tag 'tank_level'");
        return 1;
    }
    char *logic[] = {PLC_BIN_DIR "/plc-logic",
                     "--program",
                     PLC_BENCH_PROGRAM,
                     "--priority",
                     "0",
                     "--no-lock-memory",
                     "--cpu-dma-latency",
                     "none",
                     NULL};
    pid_t logic_pid = spawn(logic, NULL);
    char maxc[16];
    snprintf(maxc, sizeof(maxc), "%d", nclients + 16);
    char *web[] = {(char *)web_bin, "--listen", "127.0.0.1:0", "--max-connections", maxc,
                   "--timeout",     "30",       NULL};
    FILE *web_out = NULL;
    pid_t web_pid = spawn(web, &web_out);
    char line[128] = "";
    if (!web_out || !fgets(line, sizeof(line), web_out) || !strrchr(line, ':')) {
        fprintf(stderr, "web-bench: plc-web did not say where it listens\n");
        return 1;
    }
    uint16_t port = (uint16_t)atoi(strrchr(line, ':') + 1);

    /* ---- header ---- */
    struct utsname u;
    char date[64], load[128] = "?";
    time_t now = time(NULL);
    uname(&u);
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %z", localtime(&now));
    read_first_line("/proc/loadavg", load, sizeof(load));
    printf("# web-bench, commit %s%s\n# command:", label ? label : PLC_BENCH_COMMIT,
           label ? " (--label)" : " (git describe at build time)");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n# date: %s; kernel: %s; nproc: %ld\n# loadavg at start: %s\n", date, u.release,
           sysconf(_SC_NPROCESSORS_ONLN), load);
    printf("# demo layout, plc-logic (examples/motor.c, 10 ms scan) pid %d, plc-web pid %d (%s); "
           "tank_level written every %.0f ms for %.0f s; %d clients\n\n",
           (int)logic_pid, (int)web_pid,
           strcmp(web_bin, PLC_BIN_DIR "/plc-web") ? web_bin : "this build's", period_ms, secs,
           nclients);
    fflush(stdout);

    /* ---- idle: the scan runs, nobody follows plc-web ---- */
    sleep_until_ns(now_ns() + 1000000000ull); /* its first reads and the scan settle */
    double idle0 = cpu_s(web_pid), idle_sched0, idle_sched;
    unsigned long long idle_sw0, idle_sw;
    threads(web_pid, &idle_sched0, &idle_sw0);
    uint64_t t0 = now_ns();
    sleep_until_ns(t0 + IDLE_S * 1000000000ull);
    double idle_cpu = cpu_s(web_pid) - idle0, idle_wall = (double)(now_ns() - t0) / 1e9;
    threads(web_pid, &idle_sched, &idle_sw);
    long rss_idle = proc_kib(web_pid, "status", "VmRSS");
    long pss_idle = proc_kib(web_pid, "smaps_rollup", "Pss");

    /* ---- the clients: N streams, N floor sockets, one epoll thread ---- */
    b->ep = epoll_create1(EPOLL_CLOEXEC);
    b->clients = calloc((size_t)nclients * 2, sizeof(*b->clients));
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    struct sockaddr_in la = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t lalen = sizeof(la);
    if (bind(lfd, (struct sockaddr *)&la, sizeof(la)) < 0 || listen(lfd, MAX_CLIENTS) < 0 ||
        getsockname(lfd, (struct sockaddr *)&la, &lalen) < 0) {
        perror("web-bench: floor listen");
        return 1;
    }
    static const char get[] = "GET /api/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";
    for (int i = 0; i < nclients; i++) {
        struct client *w = &b->clients[2 * i], *r = &b->clients[2 * i + 1];
        w->web = true;
        w->fd = tcp_connect(port);
        if (send(w->fd, get, sizeof(get) - 1, MSG_NOSIGNAL) < 0)
            perror("web-bench: send");
        r->fd = tcp_connect(ntohs(la.sin_port));
        b->floor_fds[i] = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        setsockopt(b->floor_fds[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        for (int k = 0; k < 2; k++) {
            struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &b->clients[2 * i + k]};
            epoll_ctl(b->ep, EPOLL_CTL_ADD, b->clients[2 * i + k].fd, &ev);
        }
    }
    pthread_t reader, sender;
    pthread_create(&reader, NULL, read_clients, b);
    pthread_create(&sender, NULL, floor_sender, b);
    uint64_t deadline = now_ns() + 30000000000ull;
    while (atomic_load(&b->snapshots) < nclients && now_ns() < deadline)
        sleep_until_ns(now_ns() + 10000000);
    if (atomic_load(&b->snapshots) < nclients)
        fprintf(stderr, "web-bench: only %d of %d streams got their snapshot in 30 s\n",
                atomic_load(&b->snapshots), nclients);

    /* ---- the writes ---- */
    clockid_t sender_clock;
    pthread_getcpuclockid(sender, &sender_clock);
    struct timespec ts;
    clock_gettime(sender_clock, &ts);
    double sender0 = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    double web0 = cpu_s(web_pid), sched0, sched;
    unsigned long long sw0, sw;
    threads(web_pid, &sched0, &sw0);
    atomic_store(&b->measuring, true);
    t0 = now_ns();
    uint64_t period_ns = (uint64_t)(period_ms * 1e6), next = t0, writes = 0;
    for (int k = 0; next < t0 + (uint64_t)(secs * 1e9); k++, next += period_ns) {
        sleep_until_ns(next);
        int v = 1 + k % (NVALUES - 1);
        atomic_store_explicit(&b->written_ns[v], now_ns(), memory_order_release);
        if (plc_region_write_tag(writer, b->tag, v) == 0)
            writes++;
    }
    /* the last writes' events still on their way */
    sleep_until_ns(now_ns() + 200000000);
    atomic_store(&b->measuring, false);
    double wall = (double)(now_ns() - t0) / 1e9;
    double web_cpu = cpu_s(web_pid) - web0;
    threads(web_pid, &sched, &sw);
    clock_gettime(sender_clock, &ts);
    double sender_cpu = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - sender0;
    long rss = proc_kib(web_pid, "status", "VmRSS"), pss = proc_kib(web_pid, "smaps_rollup", "Pss");
    atomic_store(&b->stop, true);
    pthread_join(sender, NULL);
    pthread_join(reader, NULL);

    /* ---- figures ---- */
    struct pct pw, pr, pk;
    printf("Change to arrival, microseconds (tank_level written by this program in plc-io's "
           "place; arrival = recv() on the client socket):\n\n");
    printf("| path | samples | p50 | p95 | p99 | max |\n|---|---|---|---|---|---|\n");
    print_pct("plc-web: write -> SSE event on each of the streams", &b->web, &pw);
    print_pct("floor: write -> raw send() of the value to as many TCP sockets", &b->raw, &pr);
    print_pct("floor: write -> plc_region_wait() wake-up (one thread)", &b->wake, &pk);
    printf("\nplc-web / raw-send floor: p50 %.2fx, p99 %.2fx; plc-web / wake-up floor: p50 "
           "%.2fx, p99 %.2fx\n",
           ratio(pw.p50, pr.p50), ratio(pw.p99, pr.p99), ratio(pw.p50, pk.p50),
           ratio(pw.p99, pk.p99));
    printf("%llu writes; %zu of %llu expected tank_level events arrived on the streams; %llu "
           "SSE events in all (the scan's changes too)\n\n",
           (unsigned long long)writes, pw.n, (unsigned long long)writes * (unsigned)nclients,
           (unsigned long long)b->web_events);

    printf("CPU and memory:\n\n| figure | plc-web | floor | ratio |\n|---|---|---|---|\n");
    printf("| CPU idle, no client, %d s (%% of one core): ticks / schedstat | %.2f / %.3f %% | | "
           "|\n",
           IDLE_S, 100 * idle_cpu / idle_wall, 100 * (idle_sched - idle_sched0) / idle_wall);
    printf("| context switches idle, per second | %.1f | | |\n",
           (double)(idle_sw - idle_sw0) / idle_wall);
    printf("| CPU streaming to %d clients (%% of one core) | %.1f %% | %.1f %% | %.1fx |\n",
           nclients, 100 * web_cpu / wall, 100 * sender_cpu / wall, ratio(web_cpu, sender_cpu));
    printf("| CPU streaming, schedstat (%% of one core) | %.1f %% | | |\n",
           100 * (sched - sched0) / wall);
    printf("| context switches streaming, per second | %.0f | | |\n", (double)(sw - sw0) / wall);
    double per_web = b->web_events ? web_cpu * 1e6 / (double)b->web_events : 0;
    double per_raw = b->floor_sends ? sender_cpu * 1e6 / (double)b->floor_sends : 0;
    printf("| CPU per event delivered to one client | %.1f us | %.1f us | %.1fx |\n", per_web,
           per_raw, ratio(per_web, per_raw));
    printf("| RSS idle / with %d clients | %ld / %ld KiB | | |\n", nclients, rss_idle, rss);
    printf("| PSS idle / with %d clients | %ld / %ld KiB | | |\n\n", nclients, pss_idle, pss);
    printf("plc-web CPU: utime + stime from /proc/%d/stat (10 ms ticks) over %.1f s, and the "
           "sum of its threads' /proc/%d/task/*/schedstat (ns); the floor's: its sending thread's "
           "CPU clock. Both ran at once on the same writes.\n",
           (int)web_pid, wall, (int)web_pid);
    read_first_line("/proc/loadavg", load, sizeof(load));
    printf("# loadavg at end: %s\n", load);

    /* ---- stop everything, remove the process image ---- */
    for (int i = 0; i < 2 * nclients; i++)
        close(b->clients[i].fd);
    for (int i = 0; i < nclients; i++)
        close(b->floor_fds[i]);
    close(lfd);
    kill(web_pid, SIGTERM);
    kill(logic_pid, SIGTERM);
    waitpid(web_pid, NULL, 0);
    waitpid(logic_pid, NULL, 0);
    fclose(web_out);
    plc_region_detach(writer);
    plc_region_detach(b->floor_region);
    nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    plc_layout_free(layout);
    free(b->web.v);
    free(b->raw.v);
    free(b->wake.v);
    free(b->clients);
    free(b);
    return 0;
}
