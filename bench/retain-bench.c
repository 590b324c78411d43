/* SPDX-License-Identifier: MIT */
/*
 * retain-bench: what retain costs. Prints figures, asserts nothing.
 *
 * 1. Snapshot and restore time for 10, 1,000 and 10,000 retained tags, each
 *    beside the floor measured in the same loop: a bare write + fsync + rename
 *    + directory fsync of a file of the same size in the same directory (for
 *    the snapshot), and a bare open + read of the same file (for the restore).
 *    A snapshot here is the whole cycle of plc-retain: one consistent read of
 *    the region, formatting, CRC, the durable write with the backup link.
 * 2. Wear: the real plc-retain on the demo layout, interval 1 s, for a bounded
 *    time with one setpoint changed every second and with nothing changing;
 *    bytes from /proc/PID/io, extrapolated to an hour.
 *
 * usage: retain-bench [--dir DIR] [--rounds N] [--seconds S]
 *   DIR      where snapshots go (default /tmp: real storage with a real fsync)
 *   N        rounds per figure (default 40)
 *   S        length of each wear run (default 30)
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plc-retain.h"
#include "plc.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

struct pct {
    double p50, p95, p99;
};

static struct pct pct(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_u64);
    struct pct p = {
        v[(size_t)(0.50 * (double)(n - 1))] / 1e6,
        v[(size_t)ceil(0.95 * (double)(n - 1))] / 1e6,
        v[(size_t)ceil(0.99 * (double)(n - 1))] / 1e6,
    };
    return p;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void die(const char *what)
{
    fprintf(stderr, "retain-bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* ---- 1. snapshot and restore time ------------------------------------------------ */

static char *bench_layout(size_t n)
{
    size_t cap = 200 + n * 80;
    char *text = malloc(cap);
    size_t len = (size_t)snprintf(text, cap, "[layout]\nname = bench\nversion = 1\n"
                                             "[region p]\nwriter = modbus\nretain = yes\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "[tag t%zu]\nregion = p\ntype = %s\n", i,
                                i % 2 ? "float32" : "uint32");
    return text;
}

/* The floor: a bare durable replace of a file of @size bytes. */
static void bare_replace(const char *dir, const char *buf, size_t size)
{
    char tmp[4200], dst[4200];
    snprintf(tmp, sizeof(tmp), "%s/floor.tmp", dir);
    snprintf(dst, sizeof(dst), "%s/floor", dir);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0 || write(fd, buf, size) != (ssize_t)size || fsync(fd) < 0 || close(fd) < 0 ||
        rename(tmp, dst) < 0)
        die("floor write");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0 || fsync(dfd) < 0)
        die("floor fsync dir");
    close(dfd);
}

static void bare_read(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, buf, size) < 0)
        die("floor read");
    close(fd);
}

static void time_size(size_t n, const char *root, int rounds)
{
    char base[] = "/dev/shm/retain-bench-XXXXXX", dir[4096], cur[4200];
    struct plc_diag d;
    if (!mkdtemp(base))
        die("mkdtemp");
    snprintf(dir, sizeof(dir), "%s/retain-bench-XXXXXX", root);
    if (!mkdtemp(dir))
        die("mkdtemp snapshot dir");
    char *text = bench_layout(n);
    struct plc_layout *l = plc_layout_load_string(text, "bench.ini", &d);
    free(text);
    if (!l) {
        fprintf(stderr, "retain-bench: layout: %s\n", d.msg);
        exit(1);
    }
    const struct plc_region_def *def = plc_layout_find_region(l, "p");
    if (plc_region_create(l, base, def, 0, &d) == PLC_CREATE_ERROR) {
        fprintf(stderr, "retain-bench: %s\n", d.msg);
        exit(1);
    }
    struct plc_region *w = plc_region_attach(l, base, "p", PLC_WRITER, "modbus", &d);
    struct plc_region *r = plc_region_attach(l, base, "p", PLC_READER, NULL, &d);
    if (!w || !r) {
        fprintf(stderr, "retain-bench: %s\n", d.msg);
        exit(1);
    }
    unsigned char *data = calloc(1, def->data_size), *restored = calloc(1, def->data_size);
    const struct plc_tag_def **tags = malloc(n * sizeof(*tags));
    struct plc_snapshot_tag *out = malloc(n * sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        tags[i] = plc_layout_tag_at(l, i);
        plc_tag_encode(tags[i], i % 2 ? 0.1 * (double)i : (double)(i * 7919u), data);
    }
    plc_region_write(w, data);

    uint64_t *snap = malloc(rounds * sizeof(uint64_t)), *floor_w = malloc(rounds * sizeof(uint64_t));
    uint64_t *rest = malloc(rounds * sizeof(uint64_t)), *floor_r = malloc(rounds * sizeof(uint64_t));
    uint64_t *cpu = malloc(rounds * sizeof(uint64_t));
    plc_snapshot_path(dir, "bench", PLC_SNAPSHOT_CURRENT, cur, sizeof(cur));
    size_t size = 0;
    char *copy = NULL;
    for (int k = 0; k < rounds; k++) {
        /* plc-retain's cycle: one consistent read, values, the durable write */
        uint64_t t0 = now_ns();
        if (plc_region_read_tags(r, tags, n, data) < 0)
            die("read");
        for (size_t i = 0; i < n; i++) {
            snprintf(out[i].name, sizeof(out[i].name), "%s", tags[i]->name);
            out[i].type = tags[i]->type;
            out[i].value = plc_tag_decode(tags[i], data);
        }
        if (plc_snapshot_write(dir, l, (uint64_t)k + 1, out, n, PLC_SNAPSHOT_KEEP_BACKUP, &d) < 0) {
            fprintf(stderr, "retain-bench: %s: %s\n", d.file, d.msg);
            exit(1);
        }
        snap[k] = now_ns() - t0;
        /* the same without storage: a tmpfs, where fsync returns at once */
        t0 = now_ns();
        plc_region_read_tags(r, tags, n, data);
        for (size_t i = 0; i < n; i++) {
            snprintf(out[i].name, sizeof(out[i].name), "%s", tags[i]->name);
            out[i].type = tags[i]->type;
            out[i].value = plc_tag_decode(tags[i], data);
        }
        if (plc_snapshot_write(base, l, (uint64_t)k + 1, out, n, PLC_SNAPSHOT_KEEP_BACKUP, &d) < 0)
            die("tmpfs snapshot");
        cpu[k] = now_ns() - t0;
        if (!copy) {
            struct stat st;
            stat(cur, &st);
            size = (size_t)st.st_size;
            copy = malloc(size);
            memset(copy, 'x', size);
        }
        t0 = now_ns();
        bare_replace(dir, copy, size);
        floor_w[k] = now_ns() - t0;

        /* plc-shm-init's restore: newest good snapshot, checked, into the region's data */
        t0 = now_ns();
        struct plc_snapshot *s = plc_snapshot_load_newest(dir, "bench", NULL, NULL, &d);
        if (!s || plc_retain_restore_region(s, l, def, restored, NULL, NULL) != n)
            die("restore");
        plc_retain_report_dropped(s, l, NULL, NULL);
        plc_snapshot_free(s);
        rest[k] = now_ns() - t0;
        t0 = now_ns();
        bare_read(cur, copy, size);
        floor_r[k] = now_ns() - t0;
    }
    struct pct a = pct(snap, rounds), b = pct(floor_w, rounds), c = pct(cpu, rounds);
    struct pct e = pct(rest, rounds), f = pct(floor_r, rounds);
    printf("| %6zu | %7zu | %6.2f / %6.2f / %6.2f | %6.2f / %6.2f / %6.2f | %6.3f / %6.3f / "
           "%6.3f | %6.3f / %6.3f / %6.3f | %6.3f / %6.3f / %6.3f |\n",
           n, size, a.p50, a.p95, a.p99, b.p50, b.p95, b.p99, c.p50, c.p95, c.p99, e.p50,
           e.p95, e.p99, f.p50, f.p95, f.p99);
    fflush(stdout);
    free(snap), free(floor_w), free(rest), free(floor_r), free(cpu), free(copy);
    free(data), free(restored), free(tags), free(out);
    plc_region_detach(w);
    plc_region_detach(r);
    plc_layout_free(l);
    nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- 2. wear ---------------------------------------------------------------------- */

struct io {
    unsigned long long wchar, syscw, write_bytes;
};

static struct io proc_io(pid_t pid)
{
    char path[64], key[32];
    unsigned long long v;
    struct io io = {0};
    snprintf(path, sizeof(path), "/proc/%d/io", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        die(path);
    while (fscanf(f, "%31[^:]: %llu\n", key, &v) == 2) {
        if (strcmp(key, "wchar") == 0)
            io.wchar = v;
        else if (strcmp(key, "syscw") == 0)
            io.syscw = v;
        else if (strcmp(key, "write_bytes") == 0)
            io.write_bytes = v;
    }
    fclose(f);
    return io;
}

/* Read the child's stderr until @part appears. */
static void expect(int fd, char *buf, size_t cap, size_t *len, const char *part)
{
    uint64_t end = now_ns() + 20000000000ull;
    while (!strstr(buf, part)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (now_ns() > end || poll(&p, 1, 1000) < 0)
            die("plc-retain did not start");
        ssize_t n = read(fd, buf + *len, cap - 1 - *len);
        if (n <= 0 && p.revents)
            die("plc-retain exited");
        if (n > 0)
            *len += (size_t)n, buf[*len] = '\0';
    }
}

static void wear(const char *root, int seconds, bool change)
{
    char base[] = "/dev/shm/retain-wear-XXXXXX", dir[4096];
    struct plc_diag d;
    if (!mkdtemp(base))
        die("mkdtemp");
    snprintf(dir, sizeof(dir), "%s/retain-wear-XXXXXX", root);
    if (!mkdtemp(dir))
        die("mkdtemp");
    struct plc_layout *l = plc_layout_load(PLC_DEMO_LAYOUT, &d);
    if (!l)
        die("demo layout");
    for (size_t i = 0; i < plc_layout_region_count(l); i++)
        plc_region_create(l, base, plc_layout_region_at(l, i), 0, NULL);
    int fds[2];
    if (pipe(fds) < 0)
        die("pipe");
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execl(PLC_RETAIN_BIN, "plc-retain", "--base-dir", base, "--dir", dir, "--interval", "1s",
              PLC_DEMO_LAYOUT, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char buf[8192] = "";
    size_t len = 0;
    expect(fds[0], buf, sizeof(buf), &len, "snapshot seq 1 written");
    struct plc_region *par = plc_region_attach(l, base, "parameters", PLC_WRITER, "modbus", &d);
    const struct plc_tag_def *hi = plc_layout_find_tag(l, "level_high");
    struct io a = proc_io(pid);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (int s = 0; s < seconds; s++) {
        if (change)
            plc_region_write_tag(par, hi, 50 + s % 40);
        next.tv_sec++;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    struct io b = proc_io(pid);
    struct plc_snapshot *snap = plc_snapshot_load_newest(dir, "demo", NULL, NULL, NULL);
    unsigned long long seq = snap ? plc_snapshot_get_seq(snap) : 0;
    struct stat st;
    char cur[4200];
    plc_snapshot_path(dir, "demo", PLC_SNAPSHOT_CURRENT, cur, sizeof(cur));
    stat(cur, &st);
    plc_snapshot_free(snap);
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    close(fds[0]);
    double scale = 3600.0 / seconds;
    printf("| %-32s | %3d s | %5llu | %6jd B | %8llu | %8llu | %11llu | %12.0f | %12.0f |\n",
           change ? "one setpoint changed every 1 s" : "nothing changing", seconds, seq - 1,
           (intmax_t)st.st_size, b.syscw - a.syscw, b.wchar - a.wchar,
           b.write_bytes - a.write_bytes, (double)(b.wchar - a.wchar) * scale,
           (double)(b.write_bytes - a.write_bytes) * scale);
    fflush(stdout);
    plc_region_detach(par);
    plc_layout_free(l);
    nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int main(int argc, char **argv)
{
    const char *root = "/tmp";
    int rounds = 40, seconds = 30, c;
    static const struct option opts[] = {
        {"dir", required_argument, NULL, 'd'},
        {"rounds", required_argument, NULL, 'r'},
        {"seconds", required_argument, NULL, 's'},
        {0},
    };
    while ((c = getopt_long(argc, argv, "d:r:s:", opts, NULL)) != -1) {
        switch (c) {
        case 'd': root = optarg; break;
        case 'r': rounds = atoi(optarg); break;
        case 's': seconds = atoi(optarg); break;
        default:
            fprintf(stderr, "usage: retain-bench [--dir DIR] [--rounds N] [--seconds S]\n");
            return 2;
        }
    }
    if (rounds < 2 || seconds < 2) {
        fprintf(stderr, "retain-bench: --rounds and --seconds must be at least 2\n");
        return 2;
    }
    printf("retain-bench: snapshots in %s, %d rounds per figure; times in ms as p50 / p95 / "
           "p99\n\n", root, rounds);
    printf("| tags | file bytes | snapshot (plc-retain cycle) | floor: write+fsync+rename+fsync "
           "dir | same snapshot on tmpfs (no storage) | restore (load, CRC, by name) | floor: "
           "open+read |\n|---|---|---|---|---|---|---|\n");
    const size_t sizes[] = {10, 1000, 10000};
    for (size_t i = 0; i < 3; i++)
        time_size(sizes[i], root, rounds);
    printf("\nWear: real plc-retain, demo layout, interval 1 s, snapshots in %s; %d s per run,"
           " extrapolated x%.0f to an hour\n\n", root, seconds, 3600.0 / seconds);
    printf("| case | measured | snapshots | file | write calls | bytes written (wchar) | "
           "page-cache bytes (write_bytes) | wchar per hour | write_bytes per hour |\n"
           "|---|---|---|---|---|---|---|---|---|\n");
    wear(root, seconds, true);
    wear(root, seconds, false);
    return 0;
}
