/* SPDX-License-Identifier: MIT */
/*
 * region-bench: the files of a layout and the run of one configuration.
 *
 * The writer is this process (pinned to CPU0 by main()); readers are forked
 * children pinned to CPU1. They share an anonymous MAP_SHARED block made
 * before the fork: per reader a slot of counters and its timed batches.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bare-seqlock.h"
#include "region-bench.h"

/* A reader's report, in memory shared with the writer. */
struct slot {
    _Atomic int state; /* 0 starting, 1 ready, 2 done, -1 failed (err says why) */
    char err[256];
    uint64_t checked[N_PHASES][K_N], torn[N_PHASES][K_N];
    uint64_t busy[N_PHASES]; /* plc_region_read() gave up: PLC_EBUSY */
    uint64_t bare_retries, rlx_retries, attach_ns;
    unsigned rounds; /* timed batches taken, of each kind */
};

struct shared {
    _Atomic unsigned ready, recording, stop, phase;
    unsigned quota;       /* timed batches per kind per reader */
    uint64_t interval_ns; /* between a reader's timed batches */
    unsigned batch;       /* reads per timed batch */
    struct slot *slots;
    double *samples; /* [reader][kind][quota], ns per read */
};

static pid_t writer_pid; /* readers check they are still its children */

static const char *diag_text(const struct plc_diag *d, char *buf, size_t len)
{
    plc_diag_format(d, buf, len);
    return buf;
}

/* ---- layouts and files ------------------------------------------------- */

/* [layout] and @nreg regions of @size bytes, each size/4 uint32 tags. */
static char *layout_text(const char *name, unsigned nreg, char (*names)[PLC_NAME_MAX + 1],
                         size_t size)
{
    size_t words = size / 4;
    size_t cap = 128 + nreg * (64 + words * 64);
    char *t = malloc(cap);
    if (!t)
        return NULL;
    size_t n = (size_t)snprintf(t, cap, "[layout]\nname = %s\nversion = 1\n", name);
    for (unsigned r = 0; r < nreg; r++) {
        n += (size_t)snprintf(t + n, cap - n, "[region %s]\nwriter = logic\n", names[r]);
        for (size_t i = 0; i < words; i++)
            n += (size_t)snprintf(t + n, cap - n, "[tag %s_t%zu]\nregion = %s\ntype = uint32\n",
                                  names[r], i, names[r]);
    }
    return t;
}

/* The bare seqlock file of region @j: the memcpy one, or the @relaxed copy's. */
static void bare_path(const struct bench_set *s, unsigned j, bool relaxed, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s-%s-%s", s->base, relaxed ? "rlx" : "bare",
             plc_layout_get_name(s->layout), s->names[j]);
}

static void *map_file(const char *path, size_t len, bool writable, bool create)
{
    int fd = open(path, (writable ? O_RDWR : O_RDONLY) | (create ? O_CREAT : 0) | O_CLOEXEC, 0600);
    if (fd < 0)
        return NULL;
    if (create && ftruncate(fd, (off_t)len) < 0) {
        close(fd);
        return NULL;
    }
    void *m = mmap(NULL, len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
    close(fd);
    return m == MAP_FAILED ? NULL : m;
}

void set_open(struct bench_set *s, const char *base, const char *name, unsigned nreg, size_t size)
{
    struct plc_diag diag;
    char msg[1100];
    s->base = base;
    s->nreg = nreg;
    s->size = size;
    s->names = calloc(nreg, sizeof(*s->names));
    if (!s->names)
        die("out of memory");
    for (unsigned j = 0; j < nreg; j++)
        snprintf(s->names[j], sizeof(s->names[j]), nreg == 1 ? "data" : "r%02u", j);
    char *text = layout_text(name, nreg, s->names, size);
    if (!text)
        die("out of memory");
    uint64_t t0 = now_ns();
    s->layout = plc_layout_load_string(text, name, &diag);
    s->load_ms = (double)(now_ns() - t0) / 1e6;
    free(text);
    if (!s->layout)
        die("layout: %s", diag_text(&diag, msg, sizeof(msg)));
    t0 = now_ns();
    for (unsigned j = 0; j < nreg; j++) {
        const struct plc_region_def *def = plc_layout_find_region(s->layout, s->names[j]);
        if (!def || def->data_size != size)
            die("layout: region '%s' has %zu bytes of data, not %zu", s->names[j],
                def ? def->data_size : 0, size);
        if (plc_region_create(s->layout, base, def, 0, &diag) == PLC_CREATE_ERROR)
            die("create: %s", diag_text(&diag, msg, sizeof(msg)));
    }
    s->create_ms = (double)(now_ns() - t0) / 1e6;
    for (unsigned j = 0; j < 2 * nreg; j++) {
        char path[PATH_MAX];
        bare_path(s, j / 2, j % 2, path, sizeof(path));
        void *m = map_file(path, bare_map_size(size), true, true);
        if (!m)
            die("%s: %s", path, strerror(errno));
        munmap(m, bare_map_size(size));
    }
}

void set_close(struct bench_set *s)
{
    plc_layout_free(s->layout);
    free(s->names);
}

/* ---- readers ------------------------------------------------------------- */

/* Every word i of a write holds k + i: a mix of two writes breaks that. */
static bool consistent(const uint32_t *w, size_t words)
{
    uint32_t k = w[0];
    for (size_t i = 1; i < words; i++)
        if (w[i] != k + (uint32_t)i)
            return false;
    return true;
}

static void fill(uint32_t *w, size_t words, uint32_t k)
{
    for (size_t i = 0; i < words; i++)
        w[i] = k + (uint32_t)i;
}

struct reader {
    const struct bench_set *s;
    unsigned nattach;
    struct plc_region **r;
    struct bare_seqlock *b, *x; /* x: the relaxed copy's */
    const unsigned char **raw;  /* the library region's data, mapped without the library */
    uint32_t *buf;
    struct slot *slot;
    struct shared *sh;
    double *samples;
    unsigned quota, batch;
};

static void reader_fail(struct slot *slot, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
static void reader_fail(struct slot *slot, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(slot->err, sizeof(slot->err), fmt, ap);
    va_end(ap);
    atomic_store(&slot->state, -1);
    _exit(1);
}

static void check(struct reader *rd, unsigned kind)
{
    unsigned ph = atomic_load_explicit(&rd->sh->phase, memory_order_relaxed);
    rd->slot->checked[ph][kind]++;
    if (!consistent(rd->buf, rd->s->size / 4))
        rd->slot->torn[ph][kind]++;
}

/* False when the library gave up on a region that kept changing (PLC_EBUSY,
 * counted: its budget is wall time); any other error ends the reader. */
static bool lib_read(struct reader *rd, unsigned j)
{
    if (plc_region_read(rd->r[j], rd->buf) < 0) {
        if (errno != PLC_EBUSY)
            reader_fail(rd->slot, "plc_region_read('%s'): %s", rd->s->names[j],
                        plc_strerror(errno));
        rd->slot->busy[atomic_load_explicit(&rd->sh->phase, memory_order_relaxed)]++;
        return false;
    }
    CLOBBER(rd->buf);
    return true;
}

/* One timed batch of each kind on region @j, in an order that turns each round. */
static void timed_round(struct reader *rd, unsigned j, unsigned round)
{
    uint32_t *buf = rd->buf;
    size_t size = rd->s->size;
    for (unsigned m = 0; m < K_N; m++) {
        unsigned kind = (round + m) % K_N;
        bool ok = true;
        uint64_t t0 = now_ns();
        switch (kind) {
        case K_LIB:
            for (unsigned i = 0; i < rd->batch; i++)
                ok = lib_read(rd, j);
            break;
        case K_BARE:
            for (unsigned i = 0; i < rd->batch; i++) {
                rd->slot->bare_retries += bare_read(&rd->b[j], buf);
                CLOBBER(buf);
            }
            break;
        case K_BARE_RLX:
            for (unsigned i = 0; i < rd->batch; i++) {
                rd->slot->rlx_retries += bare_read_relaxed(&rd->x[j], buf);
                CLOBBER(buf);
            }
            break;
        case K_RAW:
            for (unsigned i = 0; i < rd->batch; i++) {
                memcpy(buf, rd->raw[j], size);
                CLOBBER(buf);
            }
            break;
        default:
            for (unsigned i = 0; i < rd->batch; i++) {
                plc_payload_load(buf, rd->raw[j], size);
                CLOBBER(buf);
            }
            break;
        }
        uint64_t dt = now_ns() - t0;
        rd->samples[(size_t)kind * rd->quota + rd->slot->rounds] = (double)dt / rd->batch;
        if (ok)
            check(rd, kind);
    }
    rd->slot->rounds++;
}

static void reader_main(const struct bench_set *s, unsigned nattach, struct shared *sh,
                        unsigned idx, int go_fd)
{
    struct slot *slot = &sh->slots[idx];
    struct plc_diag diag;
    char msg[1100];

    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != writer_pid)
        _exit(1);
    struct reader rd = {
        .s = s,
        .nattach = nattach,
        .r = calloc(nattach, sizeof(*rd.r)),
        .b = calloc(nattach, sizeof(*rd.b)),
        .x = calloc(nattach, sizeof(*rd.x)),
        .raw = calloc(nattach, sizeof(*rd.raw)),
        .buf = aligned_alloc(64, (s->size + 63) / 64 * 64),
        .slot = slot,
        .sh = sh,
        .samples = sh->samples + (size_t)idx * K_N * sh->quota,
        .quota = sh->quota,
        .batch = sh->batch,
    };
    if (!rd.r || !rd.b || !rd.x || !rd.raw || !rd.buf)
        reader_fail(slot, "out of memory");

    uint64_t t0 = now_ns();
    for (unsigned j = 0; j < nattach; j++) {
        rd.r[j] = plc_region_attach(s->layout, s->base, s->names[j], PLC_READER, NULL, &diag);
        if (!rd.r[j])
            reader_fail(slot, "attach: %s", diag_text(&diag, msg, sizeof(msg)));
    }
    slot->attach_ns = now_ns() - t0;
    for (unsigned j = 0; j < nattach; j++) {
        char path[PATH_MAX];
        void *m;
        for (unsigned v = 0; v < 2; v++) {
            bare_path(s, j, v, path, sizeof(path));
            if (!(m = map_file(path, bare_map_size(s->size), false, false)))
                reader_fail(slot, "%s: %s", path, strerror(errno));
            bare_init(v ? &rd.x[j] : &rd.b[j], m, s->size);
        }
        plc_region_path(s->layout, s->base, s->names[j], path, sizeof(path));
        const struct plc_region_def *def = plc_region_get_def(rd.r[j]);
        m = map_file(path, def->size, false, false);
        if (!m)
            reader_fail(slot, "%s: %s", path, strerror(errno));
        rd.raw[j] = (const unsigned char *)m + PLC_REGION_HEADER_SIZE;
    }
    if (pin_to_cpu(READER_CPU) < 0)
        reader_fail(slot, "sched_setaffinity(CPU%d): %s", READER_CPU, strerror(errno));
    /* Touch every page now: first-touch faults are not a read's cost. */
    for (unsigned j = 0; j < nattach; j++) {
        lib_read(&rd, j);
        bare_read(&rd.b[j], rd.buf);
        bare_read_relaxed(&rd.x[j], rd.buf);
        memcpy(rd.buf, rd.raw[j], s->size);
        CLOBBER(rd.buf);
    }
    memset(rd.samples, 0, sizeof(double) * K_N * rd.quota);
    atomic_store(&slot->state, 1);
    atomic_fetch_add(&sh->ready, 1);
    char c;
    while (read(go_fd, &c, 1) < 0 && errno == EINTR) /* EOF when the writer says go */
        ;

    uint64_t next = 0;
    bool recording = false;
    unsigned j = 0;
    while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
        if (slot->rounds < rd.quota && atomic_load_explicit(&sh->recording, memory_order_relaxed)) {
            uint64_t t = now_ns();
            if (!recording) {
                recording = true;
                next = t;
            }
            /* Catch up after a long wait for the CPU, up to the quota. */
            /* The first kind of a round turns with the round and the reader. */
            while (t >= next && slot->rounds < rd.quota) {
                timed_round(&rd, slot->rounds % nattach, slot->rounds + idx);
                next += sh->interval_ns;
            }
        }
        bool raw_only = atomic_load_explicit(&sh->phase, memory_order_relaxed) == PH_RAW;
        if (!raw_only) {
            if (lib_read(&rd, j))
                check(&rd, K_LIB);
            slot->bare_retries += bare_read(&rd.b[j], rd.buf);
            check(&rd, K_BARE);
            slot->rlx_retries += bare_read_relaxed(&rd.x[j], rd.buf);
            check(&rd, K_BARE_RLX);
        }
        memcpy(rd.buf, rd.raw[j], s->size);
        CLOBBER(rd.buf);
        check(&rd, K_RAW);
        plc_payload_load(rd.buf, rd.raw[j], s->size);
        CLOBBER(rd.buf);
        check(&rd, K_RAW_RLX);
        if (!raw_only)
            j = j + 1 == nattach ? 0 : j + 1;
    }
    for (unsigned k = 0; k < nattach; k++)
        plc_region_detach(rd.r[k]); /* publishes its retry counters */
    atomic_store(&slot->state, 2);
    _exit(0);
}

/* ---- one configuration: the writer --------------------------------------- */

static uint32_t next_k = 1;

/* One write of @kind (W_*) of @payload to region @j: the library's, or a bare seqlock's. */
static void write_one(struct plc_region *const *w, struct bare_seqlock *b, struct bare_seqlock *x,
                      unsigned j, unsigned kind, const uint32_t *payload)
{
    switch (kind) {
    case W_LIB:
        if (plc_region_write(w[j], payload) < 0)
            die("plc_region_write: %s", plc_strerror(errno));
        break;
    case W_BARE:
        bare_write(&b[j], payload);
        break;
    default:
        bare_write_relaxed(&x[j], payload);
        break;
    }
}

int run_config(const struct opts *o, const struct bench_set *s, unsigned nattach, unsigned nreaders,
               bool all_per_period, struct result *res)
{
    struct plc_diag diag;
    char msg[1100];
    size_t words = s->size / 4;
    memset(res, 0, sizeof(*res));
    writer_pid = getpid();
    res->readers = nreaders;
    res->nattach = nattach;
    res->all_per_period = all_per_period;

    struct plc_region **w = calloc(nattach, sizeof(*w));
    struct bare_seqlock *b = calloc(nattach, sizeof(*b)), *x = calloc(nattach, sizeof(*x));
    uint32_t *payload = aligned_alloc(64, (s->size + 63) / 64 * 64);
    unsigned per = all_per_period ? nattach : 1;
    double *wt[W_N], *wd[W_N];
    for (unsigned k = 0; k < W_N; k++)
        if (!(wt[k] = malloc(sizeof(double) * o->writes * per)) ||
            !(wd[k] = malloc(sizeof(double) * o->writes * per)))
            die("out of memory");
    double *late = malloc(sizeof(double) * o->writes);
    pid_t *pids = calloc(nreaders, sizeof(*pids));
    if (!w || !b || !x || !payload || !late || !pids)
        die("out of memory");

    uint64_t t0 = now_ns();
    for (unsigned j = 0; j < nattach; j++) {
        w[j] = plc_region_attach(s->layout, s->base, s->names[j], PLC_WRITER, "logic", &diag);
        if (!w[j])
            die("attach as writer: %s", diag_text(&diag, msg, sizeof(msg)));
    }
    res->w_attach_ms = (double)(now_ns() - t0) / 1e6;
    uint64_t retries0 = 0;
    for (unsigned j = 0; j < nattach; j++) {
        for (unsigned v = 0; v < 2; v++) {
            char path[PATH_MAX];
            bare_path(s, j, v, path, sizeof(path));
            void *m = map_file(path, bare_map_size(s->size), true, false);
            if (!m)
                die("%s: %s", path, strerror(errno));
            bare_init(v ? &x[j] : &b[j], m, s->size);
        }
        /* Readers start from a consistent pattern. */
        fill(payload, words, next_k++);
        for (unsigned k = 0; k < W_N; k++)
            write_one(w, b, x, j, k, payload);
        struct plc_region_info info;
        plc_region_get_info(w[j], &info);
        retries0 += info.retries;
    }

    /* Shared with the readers: counters and timed read batches. */
    unsigned quota = o->samples / (nreaders ? nreaders : 1);
    if (quota < 8)
        quota = 8;
    size_t shm_len = sizeof(struct shared) + nreaders * sizeof(struct slot) +
                     (size_t)nreaders * K_N * quota * sizeof(double);
    struct shared *sh =
        mmap(NULL, shm_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        die("mmap: %s", strerror(errno));
    sh->quota = quota;
    sh->interval_ns = o->writes * o->period_ns / quota;
    size_t batch = o->batch ? o->batch : 32768 / s->size;
    sh->batch = batch < 1 ? 1 : batch > 256 ? 256 : (unsigned)batch;
    sh->slots = (struct slot *)(sh + 1);
    sh->samples = (double *)(sh->slots + nreaders);
    res->batch = sh->batch;

    int go[2];
    if (pipe(go) < 0)
        die("pipe: %s", strerror(errno));
    fflush(NULL);
    t0 = now_ns();
    unsigned started = 0;
    for (; started < nreaders; started++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "region-bench: fork reader %u: %s\n", started, strerror(errno));
            break;
        }
        if (pid == 0) {
            close(go[1]);
            reader_main(s, nattach, sh, started, go[0]);
        }
        pids[started] = pid;
    }
    close(go[0]);
    int failed = started < nreaders;
    while (!failed && !bench_stop && atomic_load(&sh->ready) < nreaders) {
        for (unsigned i = 0; i < started; i++)
            if (atomic_load(&sh->slots[i].state) < 0) {
                fprintf(stderr, "region-bench: reader %u: %s\n", i, sh->slots[i].err);
                failed = 1;
            }
        if (now_ns() - t0 > 120000000000ull) {
            fprintf(stderr, "region-bench: readers not ready after 120 s\n");
            failed = 1;
        }
        sleep_until_ns(now_ns() + 1000000);
    }
    res->ready_ms = (double)(now_ns() - t0) / 1e6;
    close(go[1]); /* go */

    /* The writer: wake every period, write, time each call. */
    size_t nw = 0;
    uint64_t deadline = now_ns() + o->period_ns;
    for (unsigned tick = 0; !failed && !bench_stop && tick < o->warmup + o->writes; tick++) {
        bool rec = tick >= o->warmup;
        if (tick == o->warmup)
            atomic_store(&sh->recording, 1);
        sleep_until_ns(deadline);
        uint64_t woke = now_ns();
        if (rec)
            late[tick - o->warmup] = (double)(woke - deadline);
        unsigned first = all_per_period ? 0 : tick % nattach;
        for (unsigned j = first; j < first + per; j++) {
            fill(payload, words, next_k++);
            /* Each kind goes first in turn. */
            for (unsigned m = 0; m < W_N; m++) {
                unsigned kind = (tick + j + m) % W_N;
                /* Each call starts with an empty store buffer: the payload's
                 * and the other calls' stores are not charged to it. */
                atomic_thread_fence(memory_order_seq_cst);
                uint64_t a = now_ns();
                write_one(w, b, x, j, kind, payload);
                uint64_t c = now_ns();
                /* ... and until its stores have reached the other core. */
                atomic_thread_fence(memory_order_seq_cst);
                uint64_t d = now_ns();
                if (rec) {
                    wt[kind][nw] = (double)(c - a);
                    wd[kind][nw] = (double)(d - a);
                }
            }
            nw += rec;
        }
        deadline += o->period_ns;
        uint64_t now = now_ns();
        if (now > deadline) {
            res->overruns += rec;
            deadline = now + o->period_ns;
        }
    }

    /* Unpaced writes, for the torn-read check only: tearing needs a read and a
     * write to overlap, which paced writes make rare. */
    atomic_store(&sh->recording, 0);
    atomic_store(&sh->phase, PH_HAMMER);
    if (!failed && o->hammer_ms) {
        uint64_t end = now_ns() + (uint64_t)o->hammer_ms * 1000000u, n = 0;
        while (((n & 255) || now_ns() < end) && !bench_stop) {
            unsigned j = (unsigned)(n % nattach);
            fill(payload, words, next_k++);
            for (unsigned k = 0; k < W_N; k++)
                write_one(w, b, x, j, k, payload);
            n++;
        }
        res->hammer_writes = n;
    }
    /* The negative control at full strength: only the library's region is
     * written, and readers only copy it without the protocol. */
    atomic_store(&sh->phase, PH_RAW);
    if (!failed && o->hammer_ms) {
        uint64_t end = now_ns() + (uint64_t)o->hammer_ms * 1000000u / 3, n = 0;
        while (((n & 255) || now_ns() < end) && !bench_stop) {
            fill(payload, words, next_k++);
            if (plc_region_write(w[n % nattach], payload) < 0)
                die("plc_region_write: %s", plc_strerror(errno));
            n++;
        }
        res->raw_writes = n;
    }

    if (bench_stop && !failed) {
        fprintf(stderr, "region-bench: interrupted\n");
        failed = 1;
    }
    atomic_store(&sh->stop, 1);
    for (unsigned i = 0; i < started; i++) {
        int status;
        while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
            ;
        if (!failed && (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
                        atomic_load(&sh->slots[i].state) != 2)) {
            fprintf(stderr, "region-bench: reader %u (pid %d) failed: %s\n", i, (int)pids[i],
                    sh->slots[i].err[0] ? sh->slots[i].err : "died");
            failed = 1;
        }
    }

    if (!failed) {
        for (unsigned k = 0; k < W_N; k++) {
            res->w[k] = pct_of(wt[k], nw);
            res->wd[k] = pct_of(wd[k], nw);
        }
        res->late = pct_of(late, o->writes);
        size_t total = 0;
        for (unsigned i = 0; i < nreaders; i++)
            total += sh->slots[i].rounds;
        double *v = malloc(sizeof(double) * (total ? total : 1));
        if (!v)
            die("out of memory");
        for (unsigned k = 0; k < K_N; k++) {
            size_t n = 0;
            for (unsigned i = 0; i < nreaders; i++) {
                const struct slot *sl = &sh->slots[i];
                memcpy(v + n, sh->samples + ((size_t)i * K_N + k) * quota,
                       sl->rounds * sizeof(double));
                n += sl->rounds;
                for (unsigned ph = 0; ph < N_PHASES; ph++) {
                    res->checked[ph][k] += sl->checked[ph][k];
                    res->torn[ph][k] += sl->torn[ph][k];
                }
            }
            res->r[k] = pct_of(v, n);
        }
        free(v);
        double attach = 0;
        for (unsigned i = 0; i < nreaders; i++) {
            res->bare_retries += sh->slots[i].bare_retries;
            res->rlx_retries += sh->slots[i].rlx_retries;
            for (unsigned ph = 0; ph < N_PHASES; ph++)
                res->busy[ph] += sh->slots[i].busy[ph];
            attach += (double)sh->slots[i].attach_ns;
        }
        res->r_attach_ms = nreaders ? attach / nreaders / 1e6 : 0;
        for (unsigned j = 0; j < nattach; j++) {
            struct plc_region_info info;
            plc_region_get_info(w[j], &info);
            res->lib_retries += info.retries;
        }
        res->lib_retries -= retries0;
    }

    for (unsigned j = 0; j < nattach; j++) {
        plc_region_detach(w[j]);
        munmap(b[j].seq, bare_map_size(s->size));
        munmap(x[j].seq, bare_map_size(s->size));
    }
    munmap(sh, shm_len);
    free(w);
    free(b);
    free(x);
    free(payload);
    for (unsigned k = 0; k < W_N; k++) {
        free(wt[k]);
        free(wd[k]);
    }
    free(late);
    free(pids);
    return failed ? -1 : 0;
}
