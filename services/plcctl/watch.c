/* SPDX-License-Identifier: MIT */
/*
 * plcctl watch TAG... [--count N] [--timeout SECONDS]: print the values, then
 * one line per change, as it happens.
 *
 * One thread per region blocks in plc_region_wait() (a futex: no polling),
 * re-reads its tags from one consistent snapshot when woken and sends each
 * changed tag through a pipe. The main thread alone prints: it waits in poll()
 * on that pipe and on a signalfd for SIGINT and SIGTERM, until --count change
 * lines, --timeout or a signal. To stop, it sets a flag and interrupts the
 * threads' waits with SIGUSR1 (a handler that does nothing); the waits are
 * also bounded, so a signal that lands just before a wait only delays the
 * stop by that bound. Changes that come faster than a thread re-reads are
 * seen as one: each line is a value the region really held.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "plc-force.h"
#include "plcctl.h"

/* Bound of one wait: only how late a thread may notice a lost stop signal. */
#define WAIT_SLICE_NS 1000000000LL

enum { COL_TIME, COL_TAG, COL_VALUE, COL_FORCED, COL_COUNT };

/* Text lines read "TIMESTAMP tag=value", and "... FORCED until 17:05:03" for a
 * forced tag (a second table: only its lines have the column). */
static const struct table_column columns[COL_COUNT] = {
    [COL_TIME] = {"TIME", "time", false, NULL},
    [COL_TAG] = {"TAG", "tag", false, " "},
    [COL_VALUE] = {"VALUE", "value", false, "="},
    [COL_FORCED] = {"FORCED", "forced", false, " "},
};

/* What a region thread tells the main thread. Smaller than PIPE_BUF: writes are atomic. */
struct event {
    uint32_t tag;     /* index in the watch list */
    int32_t err;      /* 0, or why the thread stopped */
    uint64_t when_ns; /* CLOCK_REALTIME */
    struct plc_value value;
};

struct watch;

/* One region and the watched tags in it. */
struct watcher {
    struct watch *w;
    const struct plc_region_def *def;
    struct plc_region *region;
    const struct plc_tag_def **tags; /* the watched tags of this region */
    uint32_t *index;                 /* their index in the watch list */
    size_t n;
    unsigned char *data, *last; /* data_size each: the latest read, the last reported */
    pthread_t thread;
    bool running;
};

struct watch {
    const struct plc_tag_def **tags; /* the watch list, as given */
    size_t ntags;
    struct watcher *regions;
    size_t nregions;
    int pipe[2];
    int sigfd;
    atomic_bool stop;
    long count;     /* change lines to print, 0: no limit */
    double timeout; /* seconds, 0: none */
    struct plc_force_table *forces; /* or NULL */
    struct table *forced;           /* lines of forced tags */
};

struct options {
    long count;
    double timeout;
    int first_tag; /* index in argv */
};

static void wake(int sig)
{
    (void)sig; /* only interrupts plc_region_wait() with EINTR */
}

static uint64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option opts[] = {
        {"count", required_argument, NULL, 'c'},
        {"timeout", required_argument, NULL, 't'},
        {0},
    };
    char *end;
    int c;
    optind = 0; /* a fresh scan of the verb's arguments */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            errno = 0;
            o->count = strtol(optarg, &end, 10);
            if (errno || *end || end == optarg || o->count < 1) {
                ctl_err("watch: --count wants a whole number above 0, not '%s'", optarg);
                return -1;
            }
            break;
        case 't':
            errno = 0;
            o->timeout = strtod(optarg, &end);
            if (errno || *end || end == optarg || !(o->timeout > 0) ||
                o->timeout > 1e9) {
                ctl_err("watch: --timeout wants seconds above 0, not '%s'", optarg);
                return -1;
            }
            break;
        case ':':
            ctl_err("watch: option '%s' needs a value", argv[optind - 1]);
            return -1;
        default:
            ctl_err("watch: unknown option '%s'", argv[optind - 1]);
            return -1;
        }
    }
    if (optind >= argc) {
        ctl_usage("watch");
        return -1;
    }
    o->first_tag = optind;
    return 0;
}

/* ---- the region threads -------------------------------------------------- */

/* Send one event; blocks while the pipe is full, unless told to stop. */
static int send_event(struct watch *w, const struct event *ev)
{
    while (!atomic_load(&w->stop)) {
        ssize_t k = write(w->pipe[1], ev, sizeof(*ev));
        if (k == (ssize_t)sizeof(*ev))
            return 0;
        if (k < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = w->pipe[1], .events = POLLOUT};
            poll(&p, 1, (int)(WAIT_SLICE_NS / 1000000));
        } else if (k < 0 && errno != EINTR) {
            return -1;
        }
    }
    return -1;
}

static void *watch_region(void *arg)
{
    struct watcher *wr = arg;
    struct watch *w = wr->w;

    bool reread = false;

    while (!atomic_load(&w->stop)) {
        int rc = reread ? 1 : plc_region_wait(wr->region, WAIT_SLICE_NS);
        if (rc == 0 || (rc < 0 && errno == EINTR))
            continue;
        if (rc == 1 && plc_region_read_tags(wr->region, wr->tags, wr->n, wr->data) < 0)
            rc = -1;
        reread = rc < 0 && errno == PLC_EBUSY; /* a burst of writes: read again */
        if (reread)
            continue;
        if (rc < 0) {
            struct event ev = {.tag = wr->index[0], .err = errno};
            send_event(w, &ev);
            break;
        }
        uint64_t now = ctl_realtime_ns();
        for (size_t i = 0; i < wr->n; i++) {
            const struct plc_tag_def *t = wr->tags[i];
            if (memcmp(wr->data + t->offset, wr->last + t->offset, t->size) == 0)
                continue;
            struct event ev = {.tag = wr->index[i],
                               .when_ns = now,
                               .value = plc_value_load(t->type, wr->data + t->offset)};
            if (send_event(w, &ev) < 0)
                return NULL;
        }
        /* After the loop: a tag watched twice is reported twice. */
        memcpy(wr->last, wr->data, wr->def->data_size);
    }
    return NULL;
}

/* ---- setup --------------------------------------------------------------- */

/* Group the watch list by region, attach each region once. */
static int make_watchers(const struct ctl *ctl, struct watch *w)
{
    w->regions = calloc(w->ntags, sizeof(*w->regions));
    if (!w->regions)
        goto nomem;
    for (size_t i = 0; i < w->ntags; i++) {
        const struct plc_region_def *def = w->tags[i]->region;
        struct watcher *wr = NULL;
        for (size_t j = 0; j < w->nregions && !wr; j++)
            if (w->regions[j].def == def)
                wr = &w->regions[j];
        if (!wr) {
            wr = &w->regions[w->nregions++];
            wr->w = w;
            wr->def = def;
            wr->tags = calloc(w->ntags, sizeof(*wr->tags));
            wr->index = calloc(w->ntags, sizeof(*wr->index));
            wr->data = calloc(1, def->data_size);
            wr->last = calloc(1, def->data_size);
            if (!wr->tags || !wr->index || !wr->data || !wr->last)
                goto nomem;
            wr->region = ctl_attach(ctl, def->name);
            if (!wr->region)
                return -1;
        }
        wr->tags[wr->n] = w->tags[i];
        wr->index[wr->n++] = (uint32_t)i;
    }
    return 0;
nomem:
    ctl_err("out of memory");
    return -1;
}

static void free_watchers(struct watch *w)
{
    for (size_t j = 0; w->regions && j < w->nregions; j++) {
        struct watcher *wr = &w->regions[j];
        plc_region_detach(wr->region);
        free(wr->tags);
        free(wr->index);
        free(wr->data);
        free(wr->last);
    }
    free(w->regions);
}

/* The pipe, SIGINT and SIGTERM on a signalfd (blocked in every thread), SIGUSR1 to wake. */
static int setup_signals(struct watch *w)
{
    sigset_t stop;
    struct sigaction sa = {.sa_handler = wake}; /* no SA_RESTART: waits return EINTR */

    if (pipe2(w->pipe, O_CLOEXEC) < 0 ||
        fcntl(w->pipe[1], F_SETFL, fcntl(w->pipe[1], F_GETFL) | O_NONBLOCK) < 0) {
        ctl_err("watch: pipe: %s", strerror(errno));
        return -1;
    }
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    /* Left blocked when watch returns: the process exits right after. */
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    w->sigfd = signalfd(-1, &stop, SFD_CLOEXEC);
    sigemptyset(&sa.sa_mask);
    if (w->sigfd < 0 || sigaction(SIGUSR1, &sa, NULL) < 0) {
        ctl_err("watch: signals: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- printing ------------------------------------------------------------ */

static int print_value(struct watch *w, struct table *t, bool json,
                       const struct plc_tag_def *tag, uint64_t when_ns,
                       const struct plc_value *value)
{
    char when[64], marker[96];
    bool forced = ctl_force_marker(w->forces, tag, marker, sizeof(marker));
    if (forced)
        t = w->forced;
    ctl_format_time(when_ns, when, sizeof(when));
    table_row(t);
    if (forced)
        table_str(t, COL_FORCED, marker);
    table_str(t, COL_TIME, when);
    table_str(t, COL_TAG, tag->name);
    table_exact(t, COL_VALUE, tag->type, value);
    return table_print(t, stdout, json);
}

/* Read every region once and print every tag, in the order given. */
static int print_initial(struct watch *w, struct table *t, bool json)
{
    for (size_t j = 0; j < w->nregions; j++) {
        struct watcher *wr = &w->regions[j];
        if (plc_region_read_tags(wr->region, wr->tags, wr->n, wr->data) < 0) {
            ctl_err("region '%s': cannot read: %s", wr->def->name, plc_strerror(errno));
            return -1;
        }
        memcpy(wr->last, wr->data, wr->def->data_size);
    }
    uint64_t now = ctl_realtime_ns();
    for (size_t i = 0; i < w->ntags; i++) {
        const struct plc_tag_def *tag = w->tags[i];
        for (size_t j = 0; j < w->nregions; j++)
            if (w->regions[j].def == tag->region) {
                struct plc_value v = plc_value_load(tag->type, w->regions[j].data + tag->offset);
                if (print_value(w, t, json, tag, now, &v) < 0)
                    return -1;
            }
    }
    return 0;
}

/* Print changes until --count, --timeout, a signal or an error. */
static int run(struct watch *w, struct table *t, bool json)
{
    uint64_t deadline = w->timeout > 0 ? monotonic_ns() + (uint64_t)(w->timeout * 1e9) : 0;
    long printed = 0;

    for (;;) {
        int ms = -1;
        if (deadline) {
            uint64_t now = monotonic_ns();
            if (now >= deadline)
                return CTL_OK;
            ms = (int)((deadline - now + 999999) / 1000000);
        }
        struct pollfd fds[2] = {{.fd = w->pipe[0], .events = POLLIN},
                                {.fd = w->sigfd, .events = POLLIN}};
        int n = poll(fds, 2, ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            ctl_err("watch: poll: %s", strerror(errno));
            return CTL_FAIL;
        }
        if (fds[1].revents)
            return CTL_OK; /* SIGINT or SIGTERM: a clean stop */
        if (!fds[0].revents)
            continue;
        struct event ev;
        if (read(w->pipe[0], &ev, sizeof(ev)) != (ssize_t)sizeof(ev)) {
            ctl_err("watch: pipe: %s", strerror(errno));
            return CTL_FAIL;
        }
        if (ev.err) {
            ctl_err("region '%s': %s", w->tags[ev.tag]->region->name, plc_strerror(ev.err));
            return CTL_FAIL;
        }
        if (print_value(w, t, json, w->tags[ev.tag], ev.when_ns, &ev.value) < 0)
            return CTL_FAIL;
        if (w->count && ++printed >= w->count)
            return CTL_OK;
    }
}

static void stop_threads(struct watch *w)
{
    atomic_store(&w->stop, true);
    for (size_t j = 0; j < w->nregions; j++)
        if (w->regions[j].running)
            pthread_kill(w->regions[j].thread, SIGUSR1);
    for (size_t j = 0; j < w->nregions; j++)
        if (w->regions[j].running)
            pthread_join(w->regions[j].thread, NULL);
}

int ctl_watch(struct ctl *ctl, int argc, char **argv)
{
    struct options o = {0};
    struct watch w = {.pipe = {-1, -1}, .sigfd = -1};
    struct table *t = NULL;
    int rc = CTL_FAIL;

    if (parse_options(argc, argv, &o) < 0)
        return CTL_USAGE;
    w.count = o.count;
    w.timeout = o.timeout;
    w.ntags = (size_t)(argc - o.first_tag);
    w.tags = calloc(w.ntags, sizeof(*w.tags));
    if (!w.tags) {
        ctl_err("out of memory");
        return CTL_FAIL;
    }
    if (ctl_find_tags(ctl, argv + o.first_tag, w.ntags, w.tags) < 0 ||
        make_watchers(ctl, &w) < 0 || setup_signals(&w) < 0)
        goto out;
    t = table_new(columns, COL_FORCED, TABLE_LINES);
    w.forced = table_new(columns, COL_COUNT, TABLE_LINES);
    w.forces = ctl_forces_open(ctl);
    if (!t || !w.forced || print_initial(&w, t, ctl->json) < 0)
        goto out;
    for (size_t j = 0; j < w.nregions; j++) {
        int err = pthread_create(&w.regions[j].thread, NULL, watch_region, &w.regions[j]);
        if (err) {
            ctl_err("watch: cannot start a thread: %s", strerror(err));
            goto out;
        }
        w.regions[j].running = true;
    }
    rc = run(&w, t, ctl->json);
out:
    stop_threads(&w);
    table_free(t);
    table_free(w.forced);
    plc_force_table_close(w.forces);
    free_watchers(&w);
    if (w.sigfd >= 0)
        close(w.sigfd);
    for (int i = 0; i < 2; i++)
        if (w.pipe[i] >= 0)
            close(w.pipe[i]);
    free(w.tags);
    return rc;
}
