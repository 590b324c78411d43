/* SPDX-License-Identifier: MIT */
/*
 * event-bench: what plc_event_ring_append() costs the scan. Prints figures,
 * asserts nothing.
 *
 * For 0, 1 and 4 reader processes following the ring (each polling
 * plc_event_ring_read() without pause, the most a reader can disturb the
 * writer: it pulls the head's and the slots' cache lines away from it), the
 * writer (this process) times N appends one by one with CLOCK_MONOTONIC, and
 * in the same loop, interleaved sample by sample so both see the same
 * machine:
 *   - floor: a plain 128-byte memcpy into a slot of another file of the same
 *     size in the same directory, mapped the same way (what storing a record
 *     costs without the protocol);
 *   - timer: two clock reads with nothing between (included in every figure);
 *   - plc_event_init(): filling a record, both clocks read (what a service
 *     pays before it appends).
 * Nearest-rank percentiles over all N samples.
 *
 * usage: event-bench [-n N] [--readers LIST] [--capacity C] [--dir DIR]
 *   N     appends per reader count (default 1000000)
 *   LIST  reader counts (default 0,1,4)
 *   C     ring capacity, a power of two (default 4096)
 *   DIR   where the ring files go (default /dev/shm)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-stats.h"
#include "event-format.h"
#include "plc-event.h"

#define WARMUP 10000
#define MAX_READERS 16
#define READER_LIMIT_NS 120000000000ull /* a reader gives up after this long */

enum { APPEND, FLOOR, TIMER, INIT, KINDS };
static const char *const kind_label[KINDS] = {
    [APPEND] = "append",
    [FLOOR] = "floor: memcpy 128 B",
    [TIMER] = "timer: two clock reads",
    [INIT] = "plc_event_init()",
};

struct opts {
    size_t n;
    int readers[8];
    int nreaders;
    unsigned capacity;
    const char *dir;
};

struct reader_report {
    uint64_t read, lost;
    int failed;
};

struct row {
    int readers;
    double p50[KINDS], p99[KINDS], p999[KINDS], max[KINDS];
    struct reader_report r[MAX_READERS];
};

static void die(const char *what, const struct plc_diag *diag)
{
    if (diag && diag->msg[0])
        fprintf(stderr, "event-bench: %s: %s: %s\n", what, diag->file, diag->msg);
    else
        fprintf(stderr, "event-bench: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* Reader child: follows the ring from its start until record @target, then reports. */
static void reader(const char *path, uint64_t target, int ready, int out)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct reader_report rep = {0};
    struct plc_event_ring *r = plc_event_ring_open(path, PLC_READER, 0, NULL);
    rep.failed = !r;
    char c = 1;
    if (write(ready, &c, 1) != 1 || !r)
        _exit(1);
    uint64_t cursor = 0, t0 = now_ns();
    struct plc_event ev;
    while (cursor < target) {
        int rc = plc_event_ring_read(r, &cursor, &ev, &rep.lost);
        rep.read += rc == 1;
        if (rc == 0 && now_ns() - t0 > READER_LIMIT_NS) {
            rep.failed = 1;
            break;
        }
    }
    plc_event_ring_close(r);
    if (write(out, &rep, sizeof(rep)) != sizeof(rep))
        _exit(1);
    _exit(0);
}

/* A file of @size bytes at @path, allocated and mapped like the writer's ring. */
static void *map_floor(const char *path, size_t size)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 || ftruncate(fd, (off_t)size) < 0 || posix_fallocate(fd, 0, (off_t)size) != 0)
        die(path, NULL);
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        die(path, NULL);
    return m;
}

static double at_per_mille(const double *sorted, size_t n, size_t per_mille)
{
    size_t i = (n * per_mille + 999) / 1000;
    return sorted[i ? i - 1 : 0];
}

static void run(const struct opts *o, int nreaders, struct row *row, double *samples[KINDS])
{
    char dir[256], ring_path[300], floor_path[300];
    struct plc_diag diag = {0};
    snprintf(dir, sizeof(dir), "%s/event-bench-XXXXXX", o->dir);
    if (!mkdtemp(dir))
        die(dir, NULL);
    snprintf(ring_path, sizeof(ring_path), "%s/ring", dir);
    snprintf(floor_path, sizeof(floor_path), "%s/floor", dir);
    if (plc_event_ring_create(ring_path, o->capacity, 0, &diag) != PLC_CREATE_MADE)
        die("create", &diag);
    struct plc_event_ring *w = plc_event_ring_open(ring_path, PLC_WRITER, 0, &diag);
    if (!w)
        die("open", &diag);
    size_t size = PLC_EVENT_HEADER_SIZE + (size_t)o->capacity * PLC_EVENT_RECORD_SIZE;
    unsigned char *floor = map_floor(floor_path, size);

    uint64_t target = WARMUP + o->n;
    int ready[2], out[2];
    pid_t kids[MAX_READERS];
    if (pipe(ready) < 0 || pipe(out) < 0)
        die("pipe", NULL);
    for (int i = 0; i < nreaders; i++) {
        kids[i] = fork();
        if (kids[i] < 0)
            die("fork", NULL);
        if (kids[i] == 0)
            reader(ring_path, target, ready[1], out[1]);
    }
    for (int i = 0; i < nreaders; i++) {
        char c;
        if (read(ready[0], &c, 1) != 1)
            die("a reader did not start", NULL);
    }

    struct plc_event ev;
    plc_event_init(&ev, PLC_SOURCE_LOGIC, PLC_EVENT_ALARM_RAISED, 4, "tank_level_high",
                   "level above 95 % for 2 s");
    ev.before = 0;
    ev.after = 1;
    uint64_t mask = o->capacity - 1;
    for (uint64_t i = 0; i < target; i++) {
        uint64_t t0 = now_ns();
        plc_event_ring_append(w, &ev);
        uint64_t t1 = now_ns();
        memcpy(floor + PLC_EVENT_HEADER_SIZE + (i & mask) * sizeof(ev), &ev, sizeof(ev));
        CLOBBER(floor);
        uint64_t t2 = now_ns();
        uint64_t t3 = now_ns();
        struct plc_event fresh;
        plc_event_init(&fresh, PLC_SOURCE_LOGIC, PLC_EVENT_ALARM_RAISED, 4, "tank_level_high",
                       "level above 95 % for 2 s");
        CLOBBER(&fresh);
        uint64_t t4 = now_ns();
        if (i >= WARMUP) {
            size_t k = i - WARMUP;
            samples[APPEND][k] = (double)(t1 - t0);
            samples[FLOOR][k] = (double)(t2 - t1);
            samples[TIMER][k] = (double)(t3 - t2);
            samples[INIT][k] = (double)(t4 - t3);
        }
    }
    for (int i = 0; i < nreaders; i++) {
        int status;
        if (read(out[0], &row->r[i], sizeof(row->r[i])) != sizeof(row->r[i]))
            row->r[i].failed = 1;
        waitpid(kids[i], &status, 0);
    }
    close(ready[0]), close(ready[1]), close(out[0]), close(out[1]);
    plc_event_ring_close(w);
    munmap(floor, size);
    unlink(ring_path);
    unlink(floor_path);
    rmdir(dir);

    row->readers = nreaders;
    for (int k = 0; k < KINDS; k++) {
        struct pct p = pct_of(samples[k], o->n);
        row->p50[k] = p.p50;
        row->p99[k] = p.p99;
        row->p999[k] = at_per_mille(samples[k], o->n, 999);
        row->max[k] = p.max;
    }
}

static void print(const struct opts *o, const struct row *rows, int nrows)
{
    printf("## Append cost, ns (%zu appends per row, capacity %u, ring in %s)\n\n", o->n,
           o->capacity, o->dir);
    printf("| readers | what | p50 | p99 | p99.9 | max |\n|---|---|---|---|---|---|\n");
    for (int i = 0; i < nrows; i++)
        for (int k = 0; k < KINDS; k++)
            printf("| %d | %s | %.0f | %.0f | %.0f | %.0f |\n", rows[i].readers, kind_label[k],
                   rows[i].p50[k], rows[i].p99[k], rows[i].p999[k], rows[i].max[k]);

    printf("\n## Append against its floor (append / memcpy 128 B, same loop)\n\n");
    printf("| readers | p50 | p99 | p99.9 | append - floor at p99, ns |\n|---|---|---|---|---|\n");
    for (int i = 0; i < nrows; i++) {
        const struct row *r = &rows[i];
        printf("| %d | %.2f | %.2f | %.2f | %.0f |\n", r->readers, r->p50[APPEND] / r->p50[FLOOR],
               r->p99[APPEND] / r->p99[FLOOR], r->p999[APPEND] / r->p999[FLOOR],
               r->p99[APPEND] - r->p99[FLOOR]);
    }

    printf("\n## Readers (each followed the ring from its start to the last append)\n\n");
    printf("| readers | records read, each | lost, each | failed |\n|---|---|---|---|\n");
    for (int i = 0; i < nrows; i++) {
        if (!rows[i].readers)
            continue;
        printf("| %d |", rows[i].readers);
        for (int j = 0; j < rows[i].readers; j++)
            printf(" %llu", (unsigned long long)rows[i].r[j].read);
        printf(" |");
        for (int j = 0; j < rows[i].readers; j++)
            printf(" %llu", (unsigned long long)rows[i].r[j].lost);
        int failed = 0;
        for (int j = 0; j < rows[i].readers; j++)
            failed += rows[i].r[j].failed;
        printf(" | %d |\n", failed);
    }
}

static void usage(void)
{
    fprintf(stderr, "usage: event-bench [-n N] [--readers LIST] [--capacity C] [--dir DIR]\n");
    exit(2);
}

static void parse(int argc, char **argv, struct opts *o)
{
    static const struct option long_opts[] = {
        {"readers", required_argument, NULL, 'r'},
        {"capacity", required_argument, NULL, 'c'},
        {"dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "n:r:c:d:h", long_opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            o->n = strtoull(optarg, NULL, 10);
            break;
        case 'r':
            o->nreaders = 0;
            for (char *s = strtok(optarg, ","); s && o->nreaders < 8; s = strtok(NULL, ","))
                o->readers[o->nreaders++] = atoi(s);
            break;
        case 'c':
            o->capacity = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'd':
            o->dir = optarg;
            break;
        default:
            usage();
        }
    }
    for (int i = 0; i < o->nreaders; i++)
        if (o->readers[i] < 0 || o->readers[i] > MAX_READERS)
            usage();
    unsigned c2 = o->capacity;
    if (o->n == 0 || optind != argc || c2 < PLC_EVENT_CAPACITY_MIN || c2 > PLC_EVENT_CAPACITY_MAX ||
        (c2 & (c2 - 1)))
        usage();
}

int main(int argc, char **argv)
{
    struct opts o = {
        .n = 1000000, .readers = {0, 1, 4}, .nreaders = 3, .capacity = 4096, .dir = "/dev/shm"};
    parse(argc, argv, &o);
    double *samples[KINDS];
    for (int k = 0; k < KINDS; k++)
        if (!(samples[k] = malloc(o.n * sizeof(double))))
            die("malloc", NULL);
    struct row rows[8] = {0};
    char load[64] = "?";
    FILE *f = fopen("/proc/loadavg", "re");
    if (f && fgets(load, sizeof(load), f)) /* "1.0 2.0 3.0 2/90 123": the three averages */
        for (int spaces = 0, i = 0; load[i]; i++)
            if (load[i] == ' ' && ++spaces == 3)
                load[i] = '\0';
    if (f)
        fclose(f);
    printf("# event-bench: %ld CPUs, load average at start %s\n\n", sysconf(_SC_NPROCESSORS_ONLN),
           load);
    for (int i = 0; i < o.nreaders; i++) {
        fprintf(stderr, "event-bench: %d reader(s)...\n", o.readers[i]);
        run(&o, o.readers[i], &rows[i], samples);
    }
    print(&o, rows, o.nreaders);
    for (int k = 0; k < KINDS; k++)
        free(samples[k]);
    return 0;
}
