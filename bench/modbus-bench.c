/* SPDX-License-Identifier: MIT */
/*
 * modbus-bench: plc-modbus's gateway beside the limit of libmodbus itself, in one run.
 *
 * Two servers, each in its own process on loopback and both up for the whole run:
 * the gateway (plc_modbus_server over a private process image, what plc-modbus runs)
 * and a minimal single-threaded libmodbus server (one select() loop, modbus_receive +
 * modbus_reply on a plain modbus_mapping_t). Each workload starts its closed-loop
 * libmodbus clients (one thread each, with one connection to each server), then
 * gives the servers short slices in turn: gateway, libmodbus, gateway, ... On a
 * shared machine the other work changes from second to second; interleaved slices
 * let both servers see the same machine, where two long runs one after the other
 * would compare two machines.
 *
 * Per server and workload, over all its slices: requests per second (requests over
 * the slices' time), p50/p99 latency over every request (CLOCK_MONOTONIC), and the
 * server process's CPU time (its CPU clock) per request. It prints the figures, the
 * gateway/libmodbus ratios and whether the targets hold; it never fails on a
 * figure.
 */
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <modbus.h>

#include "bench-commit.h"
#include "bench-stats.h"
#include "plc-event.h"
#include "plc-modbus.h"

#define REGS 125

enum { GATEWAY, LIBMODBUS, NSERVERS };

struct server {
    const char *name;
    pid_t pid;
    int port;
};

static const struct workload {
    const char *name; /* for -w */
    const char *what; /* for the tables */
    int clients;
    bool mixed; /* FC03 of 125 and FC16 of 2 registers, alternating */
} workloads[] = {
    {"fc03-1", "FC03 x125", 1, false},       {"fc03-8", "FC03 x125", 8, false},
    {"fc03-64", "FC03 x125", 64, false},     {"mixed-8", "mixed FC03/FC16", 8, true},
    {"mixed-64", "mixed FC03/FC16", 64, true},
};
#define NWORKLOADS (sizeof(workloads) / sizeof(workloads[0]))

/* ---- the two servers ---- */

static volatile sig_atomic_t stop_flag;
static void on_term(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static char *layout_text(void)
{
    size_t cap = 32768, n = 0;
    char *t = malloc(cap);
    if (!t)
        exit(1);
    n += (size_t)snprintf(t + n, cap - n,
                          "[layout]\nname = bench\nversion = 1\n[modbus]\nunit_id = 1\n"
                          "max_connections = 200\n[region parameters]\nwriter = modbus\n");
    for (int i = 0; i < REGS; i++)
        n += (size_t)snprintf(t + n, cap - n,
                              "[tag r%d]\nregion = parameters\ntype = uint16\n"
                              "modbus = holding_register:%d\n", i, i);
    return t;
}

/* Fork a server child named @comm (for pgrep, perf -p, strace -p); it writes
 * its port to the pipe. Returns its pid; *port is the port it listens on. */
static pid_t fork_server(const char *comm, int (*serve)(int ready_fd, void *arg), void *arg,
                         int *port)
{
    int p[2];
    if (pipe(p) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        prctl(PR_SET_NAME, comm);
        _exit(serve(p[1], arg));
    }
    close(p[1]);
    if (pid < 0 || read(p[0], port, sizeof(*port)) != sizeof(*port) || *port < 0) {
        fprintf(stderr, "modbus-bench: %s did not start\n", comm);
        exit(1);
    }
    close(p[0]);
    return pid;
}

static int serve_gateway(int ready, void *arg)
{
    const char *base = ((void **)arg)[0];
    const struct plc_layout *l = ((void **)arg)[1];
    signal(SIGTERM, on_term);
    struct plc_modbus_server_config cfg = {
        .layout = l, .base_dir = base, .listen_port = 0, .read_only_port = -1};
    struct plc_diag d;
    struct plc_modbus_server *s = plc_modbus_server_new(&cfg, &d);
    int got = s ? plc_modbus_server_get_port(s, 0) : -1;
    if (!s)
        fprintf(stderr, "modbus-bench: gateway: %s\n", d.msg);
    if (write(ready, &got, sizeof(got)) != sizeof(got) || !s)
        return 1;
    close(ready);
    plc_modbus_server_run(s, &stop_flag);
    plc_modbus_server_free(s);
    return 0;
}

/* The libmodbus limit: the classic single-threaded select() server. */
static int serve_libmodbus(int ready, void *arg)
{
    (void)arg;
    modbus_t *ctx = modbus_new_tcp("127.0.0.1", 0);
    modbus_mapping_t *map = modbus_mapping_new(0, 0, REGS, 0);
    int server = modbus_tcp_listen(ctx, 256);
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    getsockname(server, (struct sockaddr *)&a, &al);
    int got = ntohs(a.sin_port);
    if (write(ready, &got, sizeof(got)) != sizeof(got))
        return 1;
    close(ready);
    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    fd_set refset, rdset;
    FD_ZERO(&refset);
    FD_SET(server, &refset);
    int fdmax = server;
    for (;;) {
        rdset = refset;
        if (select(fdmax + 1, &rdset, NULL, NULL, NULL) < 0)
            return 1;
        for (int fd = 0; fd <= fdmax; fd++) {
            if (!FD_ISSET(fd, &rdset))
                continue;
            if (fd == server) {
                int c = accept(server, NULL, NULL);
                if (c >= 0) {
                    FD_SET(c, &refset);
                    if (c > fdmax)
                        fdmax = c;
                }
                continue;
            }
            modbus_set_socket(ctx, fd);
            int rc = modbus_receive(ctx, query);
            if (rc > 0) {
                modbus_reply(ctx, query, rc, map);
            } else if (rc == -1) {
                close(fd);
                FD_CLR(fd, &refset);
            }
        }
    }
}

/* How a server process, the clients and the machine used the CPUs, as the kernel
 * counts it. */
struct cpu_use {
    int64_t cpu_ns;        /* the server's CPU clock */
    int64_t user, sys;     /* of that, in user space and in the kernel (clock ticks) */
    int64_t wait_ns;       /* runnable but waiting for a CPU (schedstat) */
    int64_t vol, invol;    /* context switches: it blocked; it was preempted */
    int64_t clients_ns;    /* this process's CPU clock: the client threads' */
    int64_t all, idle, steal; /* the machine's CPU time, all CPUs (/proc/stat ticks) */
};

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    return clock_gettime(id, &ts) == 0 ? (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec : 0;
}

/* The first line of /proc/stat: user nice system idle iowait irq softirq steal. */
static void machine_read(struct cpu_use *u)
{
    char buf[256] = "";
    int64_t v[8] = {0};
    read_first_line("/proc/stat", buf, sizeof(buf));
    sscanf(buf, "cpu %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64 " %" SCNd64
                " %" SCNd64 " %" SCNd64,
           &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
    for (int i = 0; i < 8; i++)
        u->all += v[i];
    u->idle = v[3] + v[4];
    u->steal = v[7];
}

static void cpu_use_read(pid_t pid, struct cpu_use *u)
{
    char path[64], buf[1024];
    clockid_t cid;
    memset(u, 0, sizeof(*u));
    if (clock_getcpuclockid(pid, &cid) == 0)
        u->cpu_ns = clock_ns(cid);
    u->clients_ns = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    machine_read(u);
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    read_first_line(path, buf, sizeof(buf));
    const char *p = strrchr(buf, ')'); /* the name may hold spaces; fields 14, 15 follow */
    if (p)
        sscanf(p + 1, " %*c %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %" SCNd64 " %" SCNd64,
               &u->user, &u->sys);
    snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
    buf[0] = '\0';
    read_first_line(path, buf, sizeof(buf));
    sscanf(buf, "%*s %" SCNd64, &u->wait_ns);
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "re");
    while (f && fgets(buf, sizeof(buf), f)) {
        sscanf(buf, "voluntary_ctxt_switches: %" SCNd64, &u->vol);
        sscanf(buf, "nonvoluntary_ctxt_switches: %" SCNd64, &u->invol);
    }
    if (f)
        fclose(f);
}

/* @sum += @b - @a */
static void cpu_use_add(struct cpu_use *sum, const struct cpu_use *a, const struct cpu_use *b)
{
    sum->cpu_ns += b->cpu_ns - a->cpu_ns;
    sum->user += b->user - a->user;
    sum->sys += b->sys - a->sys;
    sum->wait_ns += b->wait_ns - a->wait_ns;
    sum->vol += b->vol - a->vol;
    sum->invol += b->invol - a->invol;
    sum->clients_ns += b->clients_ns - a->clients_ns;
    sum->all += b->all - a->all;
    sum->idle += b->idle - a->idle;
    sum->steal += b->steal - a->steal;
}

/* The gateway's request handling alone, no sockets: plc_modbus_core_handle() in a
 * loop, ns per FC03 of 125 registers, per FC16 of 2, and per FC16 of 2 that changes
 * a tag with the gateway's event ring set (one modbus-write event each, the worst
 * case: one more read of the written tags and one append). In turns of CALLS / TURNS
 * calls each, so the three see the same machine. Run before the gateway starts, as
 * it takes the writer's place in the region. */
enum { CORE_FC03, CORE_FC16, CORE_FC16_EVENTS, CORE_N };
static void time_core(const struct plc_layout *l, const char *base, double ns[CORE_N])
{
    enum { CALLS = 200000, TURNS = 20 };
    struct plc_diag d;
    char path[4096];
    uint64_t hash = plc_layout_get_hash(l);
    struct plc_event_ring *ring = NULL;
    if (plc_event_ring_path(l, base, PLC_SOURCE_MODBUS, path, sizeof(path)) == 0 &&
        plc_event_ring_create(path, 1024, hash, &d) != PLC_CREATE_ERROR)
        ring = plc_event_ring_open(path, PLC_WRITER, hash, &d);
    struct plc_modbus_core *core = plc_modbus_core_new(l, base, &d);
    uint8_t rsp[PLC_MODBUS_PDU_MAX];
    const uint8_t fc03[] = {0x03, 0, 0, 0, REGS};
    uint8_t fc16[] = {0x10, 0, 4, 0, 2, 4, 0, 0, 0, 0};
    uint64_t took[CORE_N] = {0};
    for (int f = 0; f < CORE_N; f++)
        ns[f] = 0;
    if (!core || !ring) {
        fprintf(stderr, "modbus-bench: core: %s\n", d.msg);
        plc_modbus_core_free(core);
        plc_event_ring_close(ring);
        return;
    }
    plc_modbus_core_set_client(core, "127.0.0.1:50000");
    unsigned v = 0;
    for (int turn = 0; turn < TURNS; turn++) {
        for (int f = 0; f < CORE_N; f++) {
            plc_modbus_core_set_events(core, f == CORE_FC16_EVENTS ? ring : NULL);
            uint64_t t0 = now_ns();
            for (unsigned i = 0; i < CALLS / TURNS; i++) {
                if (f == CORE_FC03) {
                    plc_modbus_core_handle(core, fc03, sizeof(fc03), 0, rsp);
                    continue;
                }
                fc16[7] = (uint8_t)++v; /* a new value: every write changes the tag */
                plc_modbus_core_handle(core, fc16, sizeof(fc16), 0, rsp);
            }
            took[f] += now_ns() - t0;
        }
    }
    for (int f = 0; f < CORE_N; f++)
        ns[f] = (double)took[f] / CALLS;
    plc_modbus_core_free(core);
    plc_event_ring_close(ring);
}

/* ---- the clients of one workload, and its slices ---- */

struct samples {
    double *us;
    size_t n, cap;
};

static void samples_add(struct samples *s, double us)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 65536;
        if (!(s->us = realloc(s->us, s->cap * sizeof(*s->us))))
            exit(1);
    }
    s->us[s->n++] = us;
}

struct run {
    const struct workload *w;
    const struct server *srv;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    unsigned slice;  /* bumped to start a slice */
    int target;      /* the server of this slice; -1: the clients leave */
    int finished;    /* clients done with the slice (before the first: connected) */
    atomic_bool stop;
};

struct client {
    pthread_t th;
    struct run *run;
    int id;
    modbus_t *ctx[NSERVERS];
    struct samples lat[NSERVERS];
    unsigned long errors[NSERVERS];
};

static void client_request(struct client *c, int s, unsigned long i)
{
    const struct workload *w = c->run->w;
    uint16_t regs[REGS];
    uint64_t t0 = now_ns();
    bool ok;
    if (w->mixed && (i & 1)) {
        uint16_t v[2] = {(uint16_t)i, (uint16_t)c->id};
        ok = modbus_write_registers(c->ctx[s], (c->id * 2) % (REGS - 1), 2, v) == 2;
    } else {
        ok = modbus_read_registers(c->ctx[s], 0, REGS, regs) == REGS;
    }
    uint64_t dt = now_ns() - t0;
    if (ok)
        samples_add(&c->lat[s], (double)dt / 1e3);
    else
        c->errors[s]++;
}

static void *client_main(void *p)
{
    struct client *c = p;
    struct run *r = c->run;
    for (int s = 0; s < NSERVERS; s++) {
        c->ctx[s] = modbus_new_tcp("127.0.0.1", r->srv[s].port);
        modbus_set_slave(c->ctx[s], 1);
        modbus_set_response_timeout(c->ctx[s], 5, 0);
        if (modbus_connect(c->ctx[s]) < 0)
            c->errors[s]++; /* its requests fail and count as errors too */
    }
    unsigned seen = 0;
    unsigned long i = 0;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        if (++r->finished == r->w->clients)
            pthread_cond_signal(&r->done);
        while (r->slice == seen)
            pthread_cond_wait(&r->go, &r->mu);
        seen = r->slice;
        int s = r->target;
        pthread_mutex_unlock(&r->mu);
        if (s < 0)
            break;
        while (!atomic_load_explicit(&r->stop, memory_order_relaxed))
            client_request(c, s, i++);
    }
    for (int s = 0; s < NSERVERS; s++) {
        modbus_close(c->ctx[s]);
        modbus_free(c->ctx[s]);
    }
    return NULL;
}

/* What one server did in one workload, over all its slices. */
struct tally {
    int64_t ns;
    struct cpu_use use;
    size_t requests;
    unsigned long errors;
    double *slice_rps;
    double rps, p50, p99, cpu_us;
};

/* Wait until every client has finished the slice (or connected); under r->mu. */
static void run_wait_clients(struct run *r)
{
    while (r->finished < r->w->clients)
        pthread_cond_wait(&r->done, &r->mu);
}

/* Start the slice of server @s (or, for -1, send the clients home). */
static void run_start(struct run *r, int s)
{
    pthread_mutex_lock(&r->mu);
    run_wait_clients(r);
    r->finished = 0;
    atomic_store(&r->stop, false);
    r->target = s;
    r->slice++;
    pthread_cond_broadcast(&r->go);
    pthread_mutex_unlock(&r->mu);
}

static size_t count_requests(const struct client *c, int n, int s)
{
    size_t total = 0;
    for (int i = 0; i < n; i++)
        total += c[i].lat[s].n;
    return total;
}

/* One slice of @secs for server @s; the time and the server's CPU time run from
 * before the clients are woken to after the last has its last answer. */
static void run_slice(struct run *r, struct client *c, int s, double secs, struct tally *t,
                      int k)
{
    size_t before = count_requests(c, r->w->clients, s);
    struct cpu_use u0, u1;
    cpu_use_read(r->srv[s].pid, &u0);
    uint64_t t0 = now_ns();
    run_start(r, s);
    sleep_until_ns(t0 + (uint64_t)(secs * 1e9));
    atomic_store(&r->stop, true);
    pthread_mutex_lock(&r->mu);
    run_wait_clients(r);
    pthread_mutex_unlock(&r->mu);
    uint64_t t1 = now_ns();
    cpu_use_read(r->srv[s].pid, &u1);
    size_t n = count_requests(c, r->w->clients, s) - before;
    t->ns += (int64_t)(t1 - t0);
    cpu_use_add(&t->use, &u0, &u1);
    t->requests += n;
    t->slice_rps[k] = (double)n / ((double)(t1 - t0) / 1e9);
}

static void tally_finish(struct tally *t, struct client *c, int n, int s)
{
    struct samples all = {0};
    for (int i = 0; i < n; i++) {
        for (size_t j = 0; j < c[i].lat[s].n; j++)
            samples_add(&all, c[i].lat[s].us[j]);
        t->errors += c[i].errors[s];
        free(c[i].lat[s].us);
    }
    struct pct p = pct_of(all.us, all.n);
    free(all.us);
    t->p50 = p.p50;
    t->p99 = p.p99;
    t->rps = t->ns ? (double)t->requests / ((double)t->ns / 1e9) : 0;
    t->cpu_us = t->requests ? (double)t->use.cpu_ns / 1e3 / (double)t->requests : 0;
}

static void run_workload(const struct workload *w, const struct server *srv, int slices,
                         double secs, struct tally t[NSERVERS])
{
    struct run r = {.w = w, .srv = srv, .target = -1};
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.go, NULL);
    pthread_cond_init(&r.done, NULL);
    struct client *c = calloc((size_t)w->clients, sizeof(*c));
    if (!c)
        exit(1);
    for (int i = 0; i < w->clients; i++) {
        c[i] = (struct client){.run = &r, .id = i};
        if (pthread_create(&c[i].th, NULL, client_main, &c[i]) != 0)
            exit(1);
    }
    pthread_mutex_lock(&r.mu); /* connected, before any clock starts */
    run_wait_clients(&r);
    pthread_mutex_unlock(&r.mu);
    for (int s = 0; s < NSERVERS; s++) {
        t[s] = (struct tally){.slice_rps = calloc((size_t)slices, sizeof(double))};
        if (!t[s].slice_rps)
            exit(1);
    }
    for (int k = 0; k < slices; k++)
        for (int s = 0; s < NSERVERS; s++)
            run_slice(&r, c, s, secs, &t[s], k);
    run_start(&r, -1);
    for (int i = 0; i < w->clients; i++)
        pthread_join(c[i].th, NULL);
    for (int s = 0; s < NSERVERS; s++)
        tally_finish(&t[s], c, w->clients, s);
    free(c);
    pthread_cond_destroy(&r.done);
    pthread_cond_destroy(&r.go);
    pthread_mutex_destroy(&r.mu);
}

/* ---- the report ---- */

static void print_loadavg(const char *when)
{
    char load[64] = "?";
    read_first_line("/proc/loadavg", load, sizeof(load));
    printf("# loadavg %s: %s\n", when, load);
}

static void print_header(int argc, char **argv, const char *label, int slices, double secs,
                         const struct server *srv, const double core_ns[CORE_N])
{
    struct utsname u;
    char date[64];
    time_t now = time(NULL);
    uname(&u);
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S %z", localtime(&now));
    printf("# modbus-bench, commit %s%s\n# command:", label ? label : PLC_BENCH_COMMIT,
           label ? " (--label)" : " (git describe at build time)");
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n# date: %s; kernel: %s; nproc: %ld\n", date, u.release,
           sysconf(_SC_NPROCESSORS_ONLN));
    print_loadavg("at start");
    printf("# %d slices of %.2f s per server per workload, in turn (gateway, libmodbus, ...); "
           "closed-loop libmodbus %s clients on loopback\n",
           slices, secs, LIBMODBUS_VERSION_STRING);
    printf("# servers: gateway pid %d (mb-gateway), libmodbus pid %d (mb-libmodbus)\n",
           (int)srv[GATEWAY].pid, (int)srv[LIBMODBUS].pid);
    printf("# the gateway's request handling alone (plc_modbus_core_handle() in a loop, no "
           "sockets): FC03 x125 %.0f ns, FC16 x2 %.0f ns; FC16 x2 changing a tag with the "
           "event ring set (one modbus-write event each) %.0f ns, %.2fx\n\n",
           core_ns[CORE_FC03], core_ns[CORE_FC16], core_ns[CORE_FC16_EVENTS],
           core_ns[CORE_FC16] > 0 ? core_ns[CORE_FC16_EVENTS] / core_ns[CORE_FC16] : 0);
}

static void print_table(const bool *chosen, struct tally (*t)[NSERVERS])
{
    printf("| workload | clients | gateway req/s | libmodbus req/s | ratio | gateway p50 / p99 "
           "| libmodbus p50 / p99 | p99 ratio | gateway CPU/req | libmodbus CPU/req | ratio "
           "| errors |\n|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (size_t i = 0; i < NWORKLOADS; i++) {
        if (!chosen[i])
            continue;
        const struct tally *g = &t[i][GATEWAY], *b = &t[i][LIBMODBUS];
        printf("| %s | %d | %.0f | %.0f | %.2fx | %.0f / %.0f us | %.0f / %.0f us | %.2fx "
               "| %.2f us | %.2f us | %.2fx | %lu / %lu |\n",
               workloads[i].what, workloads[i].clients, g->rps, b->rps, g->rps / b->rps,
               g->p50, g->p99, b->p50, b->p99, g->p99 / b->p99, g->cpu_us, b->cpu_us,
               g->cpu_us / b->cpu_us, g->errors, b->errors);
    }
}

/* One target: prints it and returns whether it holds. */
static bool target(const char *what, double ratio, const char *op, double limit)
{
    bool ok = op[0] == '>' ? ratio >= limit : ratio <= limit;
    printf("%s %.2fx (%s %.2fx: %s)", what, ratio, op, limit, ok ? "ok" : "MISS");
    return ok;
}

/* The targets, gateway against libmodbus in the same run. */
static void print_targets(const bool *chosen, struct tally (*t)[NSERVERS])
{
    int held = 0, all = 0;
    printf("\nTargets (gateway/libmodbus):\n");
    for (size_t i = 0; i < NWORKLOADS; i++) {
        if (!chosen[i])
            continue;
        const struct tally *g = &t[i][GATEWAY], *b = &t[i][LIBMODBUS];
        printf("- %s, %d client%s: ", workloads[i].what, workloads[i].clients,
               workloads[i].clients == 1 ? "" : "s");
        if (workloads[i].clients == 1) {
            held += target("req/s", g->rps / b->rps, ">=", 1.0);
            all += 1;
        } else {
            held += target("req/s", g->rps / b->rps, ">=", 1.2);
            printf(", ");
            held += target("p99", g->p99 / b->p99, "<=", 1.0);
            printf(", ");
            held += target("CPU/request", g->cpu_us / b->cpu_us, "<=", 0.85);
            all += 3;
        }
        bool clean = !g->errors && !b->errors;
        printf(", errors %lu / %lu (%s)\n", g->errors, b->errors, clean ? "ok" : "MISS");
        held += clean;
        all += 1;
    }
    printf("%d of %d targets hold.\n", held, all);
}

/* Where each server's time went, per request, and how busy the machine was. */
static void print_cpu_use(const bool *chosen, struct tally (*t)[NSERVERS])
{
    double tick_us = 1e6 / (double)sysconf(_SC_CLK_TCK);
    printf("\nTime per request, by whom (the server: its CPU clock, user and kernel from "
           "/proc/PID/stat in %.0f ms ticks, waiting for a CPU from /proc/PID/schedstat, "
           "context switches from /proc/PID/status; the clients: this process's CPU clock; "
           "the machine, all CPUs: /proc/stat):\n\n"
           "| workload | clients | server | server CPU | user | kernel | waiting for a CPU "
           "| blocked (voluntary switches) | preempted (involuntary switches) | clients' CPU "
           "| CPUs busy | stolen by the host |\n"
           "|---|---|---|---|---|---|---|---|---|---|---|---|\n",
           tick_us / 1e3);
    for (size_t i = 0; i < NWORKLOADS; i++) {
        for (int s = 0; chosen[i] && s < NSERVERS; s++) {
            const struct cpu_use *u = &t[i][s].use;
            double n = t[i][s].requests ? (double)t[i][s].requests : 1;
            double all = u->all ? (double)u->all : 1;
            printf("| %s | %d | %s | %.2f us | %.2f us | %.2f us | %.2f us | %.3f | %.3f "
                   "| %.2f us | %.0f%% | %.0f%% |\n",
                   workloads[i].what, workloads[i].clients, s == GATEWAY ? "gateway" : "libmodbus",
                   (double)u->cpu_ns / 1e3 / n, (double)u->user * tick_us / n,
                   (double)u->sys * tick_us / n, (double)u->wait_ns / 1e3 / n,
                   (double)u->vol / n, (double)u->invol / n, (double)u->clients_ns / 1e3 / n,
                   100.0 * (all - (double)u->idle) / all, 100.0 * (double)u->steal / all);
        }
    }
}

/* Each slice's figure, and the median ratio of the pairs (a slice of the gateway and the
 * libmodbus slice after it): a check on the totals, which a burst of other work in a
 * few slices can sway. */
static void print_slices(const bool *chosen, struct tally (*t)[NSERVERS], int slices)
{
    double *ratio = calloc((size_t)slices, sizeof(*ratio));
    if (!ratio)
        exit(1);
    printf("\nRequests per second by slice, in the order run (G gateway, L libmodbus):\n");
    for (size_t i = 0; i < NWORKLOADS; i++) {
        if (!chosen[i])
            continue;
        printf("- %s, %d client%s:", workloads[i].what, workloads[i].clients,
               workloads[i].clients == 1 ? "" : "s");
        for (int k = 0; k < slices; k++) {
            double g = t[i][GATEWAY].slice_rps[k], l = t[i][LIBMODBUS].slice_rps[k];
            printf(" G %.0f L %.0f", g, l);
            ratio[k] = l > 0 ? g / l : 0;
        }
        printf("; median of the slice pairs' ratios: %.2fx\n", pct_of(ratio, (size_t)slices).p50);
    }
    free(ratio);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: modbus-bench [-d SECONDS] [--slices N] [-w WORKLOADS] [--label TEXT]\n"
               "  -d, --duration SECONDS  length of one slice (default 0.25)\n"
               "  --slices N              slices per server per workload (default 24)\n"
               "  -w, --workloads LIST    comma-separated, of fc03-1, fc03-8, fc03-64,\n"
               "                          mixed-8, mixed-64 (default: all)\n"
               "  --label TEXT            the commit to print, instead of the one built\n");
}

static bool choose_workloads(const char *arg, bool *chosen)
{
    char *list = strdup(arg), *save = NULL; /* strtok would cut argv, which the header prints */
    bool ok = list != NULL;
    memset(chosen, 0, NWORKLOADS * sizeof(*chosen));
    for (char *tok = ok ? strtok_r(list, ",", &save) : NULL; tok;
         tok = strtok_r(NULL, ",", &save)) {
        size_t i = 0;
        while (i < NWORKLOADS && strcmp(workloads[i].name, tok) != 0)
            i++;
        if (i == NWORKLOADS) {
            fprintf(stderr, "modbus-bench: unknown workload '%s'\n", tok);
            ok = false;
            break;
        }
        chosen[i] = true;
    }
    free(list);
    return ok;
}

int main(int argc, char **argv)
{
    /* 6 s per server per workload, cut fine: on a shared machine, the shorter the
     * slices the more alike the two servers' share of other people's work. */
    double secs = 0.25;
    int slices = 24, opt;
    const char *label = NULL;
    bool chosen[NWORKLOADS];
    memset(chosen, 1, sizeof(chosen));
    static const struct option lopts[] = {
        {"duration", required_argument, NULL, 'd'}, {"slices", required_argument, NULL, 's'},
        {"workloads", required_argument, NULL, 'w'}, {"label", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},           {0, 0, 0, 0}};
    while ((opt = getopt_long(argc, argv, "d:w:h", lopts, NULL)) != -1) {
        switch (opt) {
        case 'd': secs = atof(optarg); break;
        case 's': slices = atoi(optarg); break;
        case 'w':
            if (!choose_workloads(optarg, chosen))
                return 2;
            break;
        case 'l': label = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (secs <= 0 || slices < 1 || optind < argc) {
        usage(stderr);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    char base[] = "/dev/shm/plc-bench-XXXXXX";
    if (!mkdtemp(base))
        return 1;
    struct plc_diag d;
    char *text = layout_text();
    struct plc_layout *l = plc_layout_load_string(text, "bench.ini", &d);
    free(text);
    if (!l) {
        fprintf(stderr, "modbus-bench: %s\n", d.msg);
        return 1;
    }
    for (size_t i = 0; i < plc_layout_region_count(l); i++)
        if (plc_region_create(l, base, plc_layout_region_at(l, i), 0, &d) == PLC_CREATE_ERROR) {
            fprintf(stderr, "modbus-bench: %s\n", d.msg);
            return 1;
        }
    double core_ns[CORE_N];
    time_core(l, base, core_ns);
    struct server srv[NSERVERS] = {{.name = "gateway"}, {.name = "libmodbus"}};
    void *gw_arg[2] = {base, l};
    srv[GATEWAY].pid = fork_server("mb-gateway", serve_gateway, gw_arg, &srv[GATEWAY].port);
    srv[LIBMODBUS].pid =
        fork_server("mb-libmodbus", serve_libmodbus, NULL, &srv[LIBMODBUS].port);

    print_header(argc, argv, label, slices, secs, srv, core_ns);
    fflush(stdout);
    struct tally t[NWORKLOADS][NSERVERS];
    memset(t, 0, sizeof(t));
    for (size_t i = 0; i < NWORKLOADS; i++) {
        if (!chosen[i])
            continue;
        fprintf(stderr, "modbus-bench: %s, %d clients\n", workloads[i].what,
                workloads[i].clients);
        run_workload(&workloads[i], srv, slices, secs, t[i]);
    }
    print_table(chosen, t);
    print_targets(chosen, t);
    print_cpu_use(chosen, t);
    print_slices(chosen, t, slices);
    print_loadavg("at end");

    kill(srv[GATEWAY].pid, SIGTERM);
    kill(srv[LIBMODBUS].pid, SIGKILL);
    for (int s = 0; s < NSERVERS; s++)
        waitpid(srv[s].pid, NULL, 0);
    for (size_t i = 0; i < NWORKLOADS; i++)
        for (int s = 0; s < NSERVERS; s++)
            free(t[i][s].slice_rps);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
    if (system(cmd) != 0)
        fprintf(stderr, "modbus-bench: could not remove %s\n", base);
    plc_layout_free(l);
    return 0;
}
