/* SPDX-License-Identifier: MIT */
/*
 * modbus-bench: plc-modbus's gateway beside the limit of libmodbus itself, in one run.
 *
 * Two servers, each in its own process on loopback: the gateway (plc_modbus_server
 * over a private process image) and a minimal single-threaded libmodbus server (one
 * select() loop, modbus_receive + modbus_reply on a plain modbus_mapping_t). For
 * 1, 8 and 64 closed-loop libmodbus clients (one thread and context each) it
 * measures requests per second, p50/p99 latency (CLOCK_MONOTONIC per request), and
 * the server's CPU time per request (the server process's CPU clock), for "read 125
 * holding registers" (FC03) and for a mixed load at 64 clients (FC03 of 125, and
 * FC16 of 2 registers, alternating). It prints figures and asserts nothing.
 *
 *   modbus-bench [-d SECONDS_PER_CASE]
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <modbus.h>

#include "plc-modbus.h"

#define REGS 125

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

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
    n += (size_t)snprintf(t + n, cap - n,
                          "[layout]\nname = bench\nversion = 1\n[modbus]\nunit_id = 1\n"
                          "max_connections = 200\n[region parameters]\nwriter = modbus\n");
    for (int i = 0; i < REGS; i++)
        n += (size_t)snprintf(t + n, cap - n,
                              "[tag r%d]\nregion = parameters\ntype = uint16\n"
                              "modbus = holding_register:%d\n", i, i);
    return t;
}

static pid_t start_gateway(const struct plc_layout *l, const char *base, int *port)
{
    int p[2];
    if (pipe(p) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        signal(SIGTERM, on_term);
        struct plc_modbus_server_config cfg = {
            .layout = l, .base_dir = base, .listen_port = 0, .read_only_port = -1};
        struct plc_diag d;
        struct plc_modbus_server *s = plc_modbus_server_new(&cfg, &d);
        int got = s ? plc_modbus_server_get_port(s, 0) : -1;
        if (!s)
            fprintf(stderr, "modbus-bench: gateway: %s\n", d.msg);
        if (write(p[1], &got, sizeof(got)) != sizeof(got) || !s)
            _exit(1);
        plc_modbus_server_run(s, &stop_flag);
        plc_modbus_server_free(s);
        _exit(0);
    }
    close(p[1]);
    if (read(p[0], port, sizeof(*port)) != sizeof(*port) || *port < 0)
        exit(1);
    close(p[0]);
    return pid;
}

/* The libmodbus limit: the classic single-threaded select() server. */
static pid_t start_libmodbus(int *port)
{
    int p[2];
    if (pipe(p) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        modbus_t *ctx = modbus_new_tcp("127.0.0.1", 0);
        modbus_mapping_t *map = modbus_mapping_new(0, 0, REGS, 0);
        int server = modbus_tcp_listen(ctx, 256);
        struct sockaddr_in a;
        socklen_t al = sizeof(a);
        getsockname(server, (struct sockaddr *)&a, &al);
        int got = ntohs(a.sin_port);
        if (write(p[1], &got, sizeof(got)) != sizeof(got))
            _exit(1);
        uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
        fd_set refset, rdset;
        FD_ZERO(&refset);
        FD_SET(server, &refset);
        int fdmax = server;
        for (;;) {
            rdset = refset;
            if (select(fdmax + 1, &rdset, NULL, NULL, NULL) < 0)
                _exit(1);
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
    close(p[1]);
    if (read(p[0], port, sizeof(*port)) != sizeof(*port))
        exit(1);
    close(p[0]);
    return pid;
}

static int64_t cpu_ns(pid_t pid)
{
    clockid_t cid;
    struct timespec ts;
    if (clock_getcpuclockid(pid, &cid) != 0 || clock_gettime(cid, &ts) != 0)
        return -1;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- the clients ---- */

struct client {
    pthread_t th;
    int port, id;
    bool mixed;
    volatile int *go, *stop;
    uint32_t *lat;
    size_t n, cap;
    unsigned long errors;
};

static void *client_run(void *p)
{
    struct client *c = p;
    modbus_t *m = modbus_new_tcp("127.0.0.1", c->port);
    uint16_t regs[REGS];
    modbus_set_slave(m, 1);
    modbus_set_response_timeout(m, 5, 0);
    if (modbus_connect(m) < 0) {
        c->errors++;
        modbus_free(m);
        return NULL;
    }
    while (!*c->go)
        ;
    for (unsigned long i = 0; !*c->stop; i++) {
        int64_t t0 = now_ns();
        int rc;
        if (c->mixed && (i & 1)) {
            uint16_t w[2] = {(uint16_t)i, (uint16_t)c->id};
            rc = modbus_write_registers(m, (c->id * 2) % (REGS - 1), 2, w) == 2;
        } else {
            rc = modbus_read_registers(m, 0, REGS, regs) == REGS;
        }
        int64_t dt = now_ns() - t0;
        if (!rc) {
            c->errors++;
            continue;
        }
        if (c->n == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 65536;
            c->lat = realloc(c->lat, c->cap * sizeof(*c->lat));
        }
        c->lat[c->n++] = (uint32_t)(dt > UINT32_MAX ? UINT32_MAX : dt);
    }
    modbus_close(m);
    modbus_free(m);
    return NULL;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

struct result {
    double rps, p50_us, p99_us, cpu_us;
    unsigned long errors, requests;
};

static struct result run_case(pid_t server, int port, int nclients, bool mixed, double secs)
{
    struct client *c = calloc((size_t)nclients, sizeof(*c));
    volatile int go = 0, stop = 0;
    for (int i = 0; i < nclients; i++) {
        c[i] = (struct client){.port = port, .id = i, .mixed = mixed, .go = &go, .stop = &stop};
        pthread_create(&c[i].th, NULL, client_run, &c[i]);
    }
    struct timespec settle = {0, 200000000}; /* let every client connect */
    nanosleep(&settle, NULL);
    int64_t cpu0 = cpu_ns(server), t0 = now_ns();
    go = 1;
    struct timespec d = {(time_t)secs, (long)((secs - (time_t)secs) * 1e9)};
    nanosleep(&d, NULL);
    stop = 1;
    int64_t t1 = now_ns(), cpu1 = cpu_ns(server);
    size_t total = 0;
    struct result r = {0};
    for (int i = 0; i < nclients; i++) {
        pthread_join(c[i].th, NULL);
        total += c[i].n;
        r.errors += c[i].errors;
    }
    uint32_t *all = malloc((total ? total : 1) * sizeof(*all));
    size_t k = 0;
    for (int i = 0; i < nclients; i++) {
        memcpy(all + k, c[i].lat, c[i].n * sizeof(*all));
        k += c[i].n;
        free(c[i].lat);
    }
    qsort(all, total, sizeof(*all), cmp_u32);
    r.requests = total;
    r.rps = (double)total / ((double)(t1 - t0) / 1e9);
    r.p50_us = total ? all[total / 2] / 1e3 : 0;
    r.p99_us = total ? all[(size_t)((double)total * 0.99)] / 1e3 : 0;
    r.cpu_us = total ? (double)(cpu1 - cpu0) / 1e3 / (double)total : 0;
    free(all);
    free(c);
    return r;
}

int main(int argc, char **argv)
{
    double secs = 5;
    int opt;
    while ((opt = getopt(argc, argv, "d:")) != -1) {
        if (opt == 'd')
            secs = atof(optarg);
        else {
            fprintf(stderr, "usage: modbus-bench [-d SECONDS_PER_CASE]\n");
            return 2;
        }
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
    int gport, lport;
    pid_t gw = start_gateway(l, base, &gport);
    pid_t lm = start_libmodbus(&lport);

    struct {
        int clients;
        bool mixed;
    } cases[] = {{1, false}, {8, false}, {64, false}, {64, true}};
    printf("modbus-bench: %.1f s per case, loopback, closed-loop libmodbus %s clients\n", secs,
           LIBMODBUS_VERSION_STRING);
    printf("%-22s %7s  %-9s %10s %9s %9s %12s %7s\n", "workload", "clients", "server", "req/s",
           "p50", "p99", "cpu/request", "errors");
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *w = cases[i].mixed ? "mixed FC03/FC16" : "FC03 x125 registers";
        struct result g = run_case(gw, gport, cases[i].clients, cases[i].mixed, secs);
        struct result b = run_case(lm, lport, cases[i].clients, cases[i].mixed, secs);
        printf("%-22s %7d  %-9s %10.0f %7.0fus %7.0fus %10.2fus %7lu\n", w, cases[i].clients,
               "gateway", g.rps, g.p50_us, g.p99_us, g.cpu_us, g.errors);
        printf("%-22s %7d  %-9s %10.0f %7.0fus %7.0fus %10.2fus %7lu\n", w, cases[i].clients,
               "libmodbus", b.rps, b.p50_us, b.p99_us, b.cpu_us, b.errors);
        printf("%-22s %7s  %-9s %9.2fx %8.2fx %8.2fx %11.2fx\n", "", "", "ratio",
               g.rps / b.rps, g.p50_us / b.p50_us, g.p99_us / b.p99_us, g.cpu_us / b.cpu_us);
        fflush(stdout);
    }
    kill(gw, SIGTERM);
    kill(lm, SIGKILL);
    waitpid(gw, NULL, 0);
    waitpid(lm, NULL, 0);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
    if (system(cmd) != 0)
        fprintf(stderr, "modbus-bench: could not remove %s\n", base);
    plc_layout_free(l);
    return 0;
}
