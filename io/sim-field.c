/* SPDX-License-Identifier: MIT */
/*
 * struct plc_sim_field: the simulated board the sim backend drives.
 *
 * 54 line slots in shared memory, each holding an electrical level, whether
 * it is driven, and how its holder requested it. A person or a test sets
 * inputs here by tag (the layout says which line and whether it is
 * active-low); each change is also queued as an edge on the holder's FIFO,
 * so plc-io sees edges exactly as from a gpiochip. An input nobody drives
 * floats to the bias its holder requested, as gpio-sim does.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sim-field.h"

int sim_board_resolve(const struct plc_tag_def *t, struct plc_io_line *line,
                      struct plc_diag *diag)
{
    const struct plc_gpio_binding *g = &t->gpio;
    unsigned long n;
    char *end;
    if (g->chip[0]) {
        if (strcmp(g->chip, SIM_CHIP) != 0 && strcmp(g->chip, "0") != 0)
            return plc_io_fail(diag, ENOENT,
                               "tag '%s': no GPIO chip '%s' (the simulated board has only %s)",
                               t->name, g->chip, SIM_CHIP), -1;
        if (g->offset >= SIM_LINES)
            return plc_io_fail(diag, ENOENT,
                               "tag '%s': %s has no line %d (it has %d lines)", t->name,
                               SIM_CHIP, g->offset, SIM_LINES), -1;
        n = (unsigned long)g->offset;
    } else {
        if (strncmp(g->line_name, "GPIO", 4) != 0 || !g->line_name[4] ||
            (n = strtoul(g->line_name + 4, &end, 10), *end) || n >= SIM_LINES ||
            (g->line_name[4] == '0' && g->line_name[5]))
            return plc_io_fail(diag, ENOENT,
                               "tag '%s': no GPIO line named '%s' (the simulated board has "
                               "GPIO0..GPIO%d on %s)",
                               t->name, g->line_name, SIM_LINES - 1, SIM_CHIP), -1;
    }
    snprintf(line->chip, sizeof(line->chip), "%s", SIM_CHIP);
    line->offset = (unsigned)n;
    snprintf(line->name, sizeof(line->name), "GPIO%lu", n);
    return 0;
}

/* Build a fresh board under a temporary name and link it into place (first wins). */
static int create_board(const char *path, struct plc_diag *diag)
{
    char tmp[400];
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0660);
    if (fd < 0)
        return plc_io_fail(diag, errno, "%s: cannot create the simulated board: %s", tmp,
                           strerror(errno)), -1;
    struct sim_header h = {.magic = SIM_MAGIC, .nlines = SIM_LINES};
    int err = 0;
    if (ftruncate(fd, SIM_FILE_SIZE) < 0 || pwrite(fd, &h, sizeof(h), 0) != sizeof(h))
        err = errno ? errno : EIO;
    else if (link(tmp, path) < 0 && errno != EEXIST)
        err = errno;
    close(fd);
    unlink(tmp);
    if (err)
        return plc_io_fail(diag, err, "%s: cannot create the simulated board: %s", path,
                           strerror(err)), -1;
    return 0;
}

struct plc_sim_field *plc_sim_field_open(const struct plc_layout *l, const char *base,
                                         struct plc_diag *diag)
{
    plc_diag_clear(diag);
    struct plc_sim_field *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->layout = l;
    f->fd = -1;
    snprintf(f->base, sizeof(f->base), "%s", base);
    snprintf(f->path, sizeof(f->path), "%s/sim-board", base);
    if (mkdir(base, 0770) < 0 && errno != EEXIST) {
        plc_io_fail(diag, errno, "%s: cannot make the base directory: %s", base,
                    strerror(errno));
        goto err;
    }
    f->fd = open(f->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (f->fd < 0 && errno == ENOENT) {
        if (create_board(f->path, diag) < 0)
            goto err;
        f->fd = open(f->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    }
    struct stat st;
    if (f->fd < 0 || fstat(f->fd, &st) < 0) {
        plc_io_fail(diag, errno, "%s: cannot open the simulated board: %s", f->path,
                    strerror(errno));
        goto err;
    }
    if ((size_t)st.st_size != SIM_FILE_SIZE) {
        plc_io_fail(diag, EINVAL, "%s: not a simulated board of this release (%lld bytes): "
                    "remove it", f->path, (long long)st.st_size);
        goto err;
    }
    f->h = mmap(NULL, SIM_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
    if (f->h == MAP_FAILED) {
        f->h = NULL;
        goto err;
    }
    if (f->h->magic != SIM_MAGIC || f->h->nlines != SIM_LINES) {
        plc_io_fail(diag, EINVAL, "%s: not a simulated board of this release: remove it",
                    f->path);
        goto err;
    }
    f->slots = (struct sim_slot *)((char *)f->h + sizeof(struct sim_header));
    return f;
err:
    plc_sim_field_close(f);
    return NULL;
}

void plc_sim_field_close(struct plc_sim_field *f)
{
    if (!f)
        return;
    if (f->h)
        munmap(f->h, SIM_FILE_SIZE);
    if (f->fd >= 0)
        close(f->fd);
    free(f);
}

static struct flock slot_lock(unsigned i, short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET,
                       .l_start = (off_t)(sizeof(struct sim_header) + i * sizeof(struct sim_slot)),
                       .l_len = 1};
    return fl;
}

bool sim_line_held(struct plc_sim_field *f, unsigned i)
{
    /* Released lines have no holder pid even while a forked child keeps the lock's file. */
    if (!atomic_load(&f->slots[i].holder_pid))
        return false;
    struct flock fl = slot_lock(i, F_WRLCK);
    if (fcntl(f->fd, F_OFD_GETLK, &fl) < 0)
        return false;
    return fl.l_type != F_UNLCK;
}

int sim_line_take(struct plc_sim_field *f, unsigned i)
{
    struct flock fl = slot_lock(i, F_WRLCK);
    if (fcntl(f->fd, F_OFD_SETLK, &fl) < 0) {
        errno = errno == EAGAIN || errno == EACCES ? EBUSY : errno;
        return -1;
    }
    return 0;
}

bool sim_slot_level(struct plc_sim_field *f, unsigned i)
{
    const struct sim_slot *s = &f->slots[i];
    uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
    bool driven = st & SIM_DRIVEN;
    if (driven && atomic_load(&s->dir) == SIM_OUT)
        driven = sim_line_held(f, i);
    if (driven)
        return st & SIM_LEVEL;
    return atomic_load(&s->bias) == PLC_GPIO_BIAS_PULL_UP;
}

void sim_fifo_path(const struct plc_sim_field *f, int pid, char *buf, size_t len)
{
    snprintf(buf, len, "%s.events.%d", f->path, pid);
}

/* The board line of a tag of the layout, or -1 with diag. */
static int find_line(struct plc_sim_field *f, const char *tag, bool want_input,
                     const struct plc_tag_def **out, struct plc_diag *diag)
{
    plc_diag_clear(diag);
    const struct plc_tag_def *t = plc_layout_find_tag(f->layout, tag);
    if (!t)
        return plc_io_fail(diag, ENOENT, "layout '%s' has no tag '%s'",
                           plc_layout_get_name(f->layout), tag), -1;
    if (!t->gpio.bound)
        return plc_io_fail(diag, EINVAL, "tag '%s' (region '%s') has no GPIO line in the field",
                           tag, t->region->name), -1;
    if (want_input && t->region->gpio_dir == PLC_GPIO_OUTPUT)
        return plc_io_fail(diag, EINVAL,
                           "tag '%s' is an output: plc-io drives it, the field cannot set it",
                           tag), -1;
    struct plc_io_line line;
    if (sim_board_resolve(t, &line, diag) < 0)
        return -1;
    *out = t;
    return (int)line.offset;
}

/* Queue an edge for the line's holder; with none, its start-up read sees the level. */
static void queue_edge(struct plc_sim_field *f, unsigned i, bool level)
{
    struct sim_slot *s = &f->slots[i];
    int pid = atomic_load(&s->holder_pid);
    if (!pid || !sim_line_held(f, i))
        return;
    char fifo[400];
    sim_fifo_path(f, pid, fifo, sizeof(fifo));
    int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return; /* ENXIO, ENOENT: the holder is gone */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    struct sim_edge e = {.line = i, .level = level,
                         .ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec};
    if (write(fd, &e, sizeof(e)) != (ssize_t)sizeof(e))
        atomic_store(&s->lost, 1);
    close(fd);
}

static int set_state(struct plc_sim_field *f, const char *tag, bool drive, bool value,
                     struct plc_diag *diag)
{
    const struct plc_tag_def *t;
    int i = find_line(f, tag, true, &t, diag);
    if (i < 0)
        return -1;
    struct sim_slot *s = &f->slots[i];
    if (atomic_load(&s->dir) == SIM_OUT && sim_line_held(f, (unsigned)i))
        return plc_io_fail(diag, EBUSY,
                           "tag '%s': GPIO%d is driven as an output by consumer '%.47s' "
                           "(pid %d)", tag, i, s->consumer, (int)atomic_load(&s->holder_pid)), -1;
    uint32_t st = drive ? SIM_DRIVEN | ((value != t->gpio.active_low) ? SIM_LEVEL : 0) : 0;
    bool before = sim_slot_level(f, (unsigned)i);
    atomic_store_explicit(&s->state, st, memory_order_release);
    bool after = sim_slot_level(f, (unsigned)i);
    if (before != after)
        queue_edge(f, (unsigned)i, after);
    return 0;
}

int plc_sim_set(struct plc_sim_field *f, const char *tag, bool value, struct plc_diag *diag)
{
    return set_state(f, tag, true, value, diag);
}

int plc_sim_release(struct plc_sim_field *f, const char *tag, struct plc_diag *diag)
{
    return set_state(f, tag, false, false, diag);
}

int plc_sim_get(struct plc_sim_field *f, const char *tag, bool *value, bool *level,
                bool *driven, struct plc_diag *diag)
{
    const struct plc_tag_def *t;
    int i = find_line(f, tag, false, &t, diag);
    if (i < 0)
        return -1;
    const struct sim_slot *s = &f->slots[i];
    bool lv = sim_slot_level(f, (unsigned)i);
    if (value)
        *value = lv != t->gpio.active_low;
    if (level)
        *level = lv;
    if (driven) {
        bool out = t->region->gpio_dir == PLC_GPIO_OUTPUT;
        *driven = out ? atomic_load(&s->dir) == SIM_OUT && sim_line_held(f, (unsigned)i)
                      : (atomic_load(&s->state) & SIM_DRIVEN) != 0;
    }
    return 0;
}

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
#if defined(SYS_futex_time64) && !defined(__LP64__)
    /* A 64-bit time_t on 32-bit ARM (Debian 13 armhf) needs the time64 call. */
    if (sizeof(time_t) > sizeof(long))
        return syscall(SYS_futex_time64, addr, op, val, ts, NULL, FUTEX_BITSET_MATCH_ANY);
#endif
    return syscall(SYS_futex, addr, op, val, ts, NULL, FUTEX_BITSET_MATCH_ANY);
}

void sim_field_drive(struct plc_sim_field *f, unsigned i, bool level, bool driven)
{
    struct sim_slot *s = &f->slots[i];
    uint32_t st = (driven ? SIM_DRIVEN : 0) | (level ? SIM_LEVEL : 0);
    if (atomic_exchange_explicit(&s->state, st, memory_order_acq_rel) == st)
        return;
    atomic_fetch_add_explicit(&f->h->out_seq, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&f->h->waiters, memory_order_seq_cst))
        futex(&f->h->out_seq, FUTEX_WAKE, INT_MAX, NULL);
}

int plc_sim_wait_output(struct plc_sim_field *f, const char *tag, bool value,
                        int64_t timeout_ns, struct plc_diag *diag)
{
    const struct plc_tag_def *t;
    int i = find_line(f, tag, false, &t, diag);
    if (i < 0)
        return -1;
    if (t->region->gpio_dir != PLC_GPIO_OUTPUT)
        return plc_io_fail(diag, EINVAL, "tag '%s' is an input, not an output", tag), -1;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    if (timeout_ns >= 0) {
        dl.tv_sec += timeout_ns / 1000000000;
        dl.tv_nsec += timeout_ns % 1000000000;
        if (dl.tv_nsec >= 1000000000) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000;
        }
    }
    for (;;) {
        uint32_t seq = atomic_load_explicit(&f->h->out_seq, memory_order_acquire);
        if ((sim_slot_level(f, (unsigned)i) != t->gpio.active_low) == value)
            return 1;
        if (timeout_ns == 0)
            return 0;
        /* A holder that dies says nothing: look again every 10 ms. */
        struct timespec slice;
        clock_gettime(CLOCK_MONOTONIC, &slice);
        slice.tv_nsec += 10000000;
        if (slice.tv_nsec >= 1000000000) {
            slice.tv_sec++;
            slice.tv_nsec -= 1000000000;
        }
        bool last = timeout_ns >= 0 && (dl.tv_sec < slice.tv_sec ||
                                        (dl.tv_sec == slice.tv_sec && dl.tv_nsec <= slice.tv_nsec));
        atomic_fetch_add_explicit(&f->h->waiters, 1, memory_order_seq_cst);
        long rc = futex(&f->h->out_seq, FUTEX_WAIT_BITSET, seq, last ? &dl : &slice);
        int err = errno;
        atomic_fetch_sub_explicit(&f->h->waiters, 1, memory_order_seq_cst);
        if (rc < 0 && err == ETIMEDOUT && !last)
            continue;
        if (rc < 0 && err == ETIMEDOUT)
            return (sim_slot_level(f, (unsigned)i) != t->gpio.active_low) == value;
        if (rc < 0 && err != EAGAIN && err != EINTR) {
            errno = err;
            return -1;
        }
    }
}
