/* SPDX-License-Identifier: MIT */
/*
 * struct plc_sim_field: the simulated field the sim backend drives.
 *
 * One slot per GPIO-bound tag (inputs of input regions, lines of 'outputs'),
 * holding an electrical level and whether it is driven. A person or a test
 * sets inputs here; each change is also queued as an edge on a FIFO that the
 * running plc-io polls, so the service sees edges exactly as from a gpiochip.
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

#include "backend.h"
#include "sim-field.h"

static bool bound_line(const struct plc_tag_def *t)
{
    return t->gpio.bound && t->region->gpio_dir != PLC_GPIO_NONE;
}

static size_t count_slots(const struct plc_layout *l)
{
    size_t n = 0;
    for (size_t i = 0; i < plc_layout_tag_count(l); i++)
        n += bound_line(plc_layout_tag_at(l, i));
    return n;
}

static bool header_matches(const struct sim_header *h, const struct plc_layout *l, size_t size,
                           size_t nslots)
{
    return size == sizeof(*h) + nslots * sizeof(struct sim_slot) && h->magic == SIM_MAGIC &&
           h->layout_hash == plc_layout_get_hash(l) && h->nslots == nslots;
}

/* Build a fresh field under a temporary name and rename it into place. */
static int create_field(const struct plc_layout *l, const char *path, size_t nslots,
                        struct plc_diag *diag)
{
    char tmp[600];
    snprintf(tmp, sizeof(tmp), "%s.tmp-%d", path, (int)getpid());
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0660);
    if (fd < 0)
        return plc_io_fail(diag, errno, "%s: cannot create the simulated field: %s", tmp,
                           strerror(errno)), -1;
    size_t size = sizeof(struct sim_header) + nslots * sizeof(struct sim_slot);
    char *buf = calloc(1, size);
    if (!buf) {
        close(fd);
        unlink(tmp);
        errno = ENOMEM;
        return -1;
    }
    struct sim_header *h = (struct sim_header *)buf;
    struct sim_slot *s = (struct sim_slot *)(buf + sizeof(*h));
    h->magic = SIM_MAGIC;
    h->layout_hash = plc_layout_get_hash(l);
    h->nslots = (uint32_t)nslots;
    size_t k = 0;
    for (size_t i = 0; i < plc_layout_tag_count(l); i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(l, i);
        if (!bound_line(t))
            continue;
        snprintf(s[k].tag, sizeof(s[k].tag), "%s", t->name);
        s[k].output = t->region->gpio_dir == PLC_GPIO_OUTPUT;
        s[k].active_low = t->gpio.active_low;
        s[k].bias = (uint8_t)t->gpio.bias;
        if (s[k].output) {
            bool v = t->safe_mode == PLC_SAFE_VALUE ? t->safe != 0 : t->initial != 0;
            s[k].state = (v != t->gpio.active_low) ? SIM_LEVEL : 0;
        }
        k++;
    }
    ssize_t w = write(fd, buf, size);
    int err = errno;
    free(buf);
    if (w != (ssize_t)size || rename(tmp, path) < 0) {
        err = w != (ssize_t)size ? (w < 0 ? err : EIO) : errno;
        close(fd);
        unlink(tmp);
        return plc_io_fail(diag, err, "%s: cannot create the simulated field: %s", path,
                           strerror(err)), -1;
    }
    return fd;
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
    snprintf(f->path, sizeof(f->path), "%s/%s.sim-field", base, plc_layout_get_name(l));
    snprintf(f->fifo, sizeof(f->fifo), "%s/%s.sim-events", base, plc_layout_get_name(l));
    size_t nslots = count_slots(l);

    if (mkdir(base, 0770) < 0 && errno != EEXIST) {
        plc_io_fail(diag, errno, "%s: cannot make the base directory: %s", base,
                    strerror(errno));
        goto err_free;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        f->fd = open(f->path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (f->fd < 0 && errno != ENOENT) {
            plc_io_fail(diag, errno, "%s: cannot open the simulated field: %s", f->path,
                        strerror(errno));
            goto err_free;
        }
        if (f->fd >= 0) {
            struct stat st;
            if (fstat(f->fd, &st) < 0)
                goto err_close;
            f->size = (size_t)st.st_size;
            if (f->size >= sizeof(struct sim_header)) {
                f->h = mmap(NULL, f->size, PROT_READ | PROT_WRITE, MAP_SHARED, f->fd, 0);
                if (f->h == MAP_FAILED) {
                    f->h = NULL;
                    goto err_close;
                }
                if (header_matches(f->h, l, f->size, nslots))
                    break;
                munmap(f->h, f->size);
                f->h = NULL;
            }
            close(f->fd);
            f->fd = -1;
        }
        if (attempt == 1)
            break;
        int fd = create_field(l, f->path, nslots, diag);
        if (fd < 0)
            goto err_free;
        close(fd);
    }
    if (!f->h) {
        plc_io_fail(diag, EIO, "%s: the simulated field keeps changing under us", f->path);
        goto err_free;
    }
    f->slots = (struct sim_slot *)((char *)f->h + sizeof(struct sim_header));
    if (mkfifo(f->fifo, 0660) < 0 && errno != EEXIST) {
        plc_io_fail(diag, errno, "%s: cannot make the edge FIFO: %s", f->fifo, strerror(errno));
        goto err_unmap;
    }
    return f;

err_unmap:
    munmap(f->h, f->size);
err_close:
    if (f->fd >= 0)
        close(f->fd);
err_free:
    free(f);
    return NULL;
}

void plc_sim_field_close(struct plc_sim_field *f)
{
    if (!f)
        return;
    if (f->h)
        munmap(f->h, f->size);
    if (f->fd >= 0)
        close(f->fd);
    free(f);
}

int sim_field_find(const struct plc_sim_field *f, const char *tag)
{
    for (uint32_t i = 0; i < f->h->nslots; i++)
        if (strcmp(f->slots[i].tag, tag) == 0)
            return (int)i;
    return -1;
}

bool sim_slot_level(const struct sim_slot *s)
{
    uint32_t st = atomic_load_explicit(&s->state, memory_order_acquire);
    if (s->output || (st & SIM_DRIVEN))
        return st & SIM_LEVEL;
    return s->bias == PLC_GPIO_BIAS_PULL_UP;
}

static int find_slot(struct plc_sim_field *f, const char *tag, bool want_input,
                     struct plc_diag *diag)
{
    plc_diag_clear(diag);
    int i = sim_field_find(f, tag);
    if (i >= 0) {
        if (want_input && f->slots[i].output)
            return plc_io_fail(diag, EINVAL,
                               "tag '%s' is an output: plc-io drives it, the field cannot set it",
                               tag), -1;
        return i;
    }
    const struct plc_tag_def *t = plc_layout_find_tag(f->layout, tag);
    if (!t)
        return plc_io_fail(diag, ENOENT, "layout '%s' has no tag '%s'",
                           plc_layout_get_name(f->layout), tag), -1;
    return plc_io_fail(diag, EINVAL, "tag '%s' (region '%s') has no GPIO line in the field",
                       tag, t->region->name), -1;
}

/* Queue an edge for a running plc-io; if none runs, its start-up read sees the level. */
static void queue_edge(struct plc_sim_field *f, size_t i, bool level)
{
    int fd = open(f->fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return; /* ENXIO: no plc-io reading */
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    struct sim_edge e = {.slot = (uint32_t)i, .level = level,
                         .ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec};
    if (write(fd, &e, sizeof(e)) != (ssize_t)sizeof(e))
        atomic_store(&f->h->overflow, 1);
    close(fd);
}

static int set_state(struct plc_sim_field *f, const char *tag, uint32_t state,
                     struct plc_diag *diag)
{
    int i = find_slot(f, tag, true, diag);
    if (i < 0)
        return -1;
    struct sim_slot *s = &f->slots[i];
    bool before = sim_slot_level(s);
    atomic_store_explicit(&s->state, state, memory_order_release);
    bool after = sim_slot_level(s);
    if (before != after)
        queue_edge(f, (size_t)i, after);
    return 0;
}

int plc_sim_set(struct plc_sim_field *f, const char *tag, bool value, struct plc_diag *diag)
{
    int i = sim_field_find(f, tag);
    bool active_low = i >= 0 && f->slots[i].active_low;
    return set_state(f, tag, SIM_DRIVEN | ((value != active_low) ? SIM_LEVEL : 0), diag);
}

int plc_sim_release(struct plc_sim_field *f, const char *tag, struct plc_diag *diag)
{
    return set_state(f, tag, 0, diag);
}

int plc_sim_get(struct plc_sim_field *f, const char *tag, bool *value, bool *level,
                bool *driven, struct plc_diag *diag)
{
    int i = find_slot(f, tag, false, diag);
    if (i < 0)
        return -1;
    const struct sim_slot *s = &f->slots[i];
    bool lv = sim_slot_level(s);
    if (value)
        *value = sim_slot_logical(s, lv);
    if (level)
        *level = lv;
    if (driven)
        *driven = atomic_load(&s->state) & SIM_DRIVEN;
    return 0;
}

static long futex(_Atomic uint32_t *addr, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, addr, op, val, ts, NULL, FUTEX_BITSET_MATCH_ANY);
}

void sim_field_drive_output(struct plc_sim_field *f, size_t i, bool value, bool driven)
{
    struct sim_slot *s = &f->slots[i];
    uint32_t st = (driven ? SIM_DRIVEN : 0) | ((value != (bool)s->active_low) ? SIM_LEVEL : 0);
    if (atomic_exchange_explicit(&s->state, st, memory_order_acq_rel) == st)
        return;
    atomic_fetch_add_explicit(&f->h->out_seq, 1, memory_order_seq_cst);
    if (atomic_load_explicit(&f->h->waiters, memory_order_seq_cst))
        futex(&f->h->out_seq, FUTEX_WAKE, INT_MAX, NULL);
}

int plc_sim_wait_output(struct plc_sim_field *f, const char *tag, bool value,
                        int64_t timeout_ns, struct plc_diag *diag)
{
    int i = find_slot(f, tag, false, diag);
    if (i < 0)
        return -1;
    if (!f->slots[i].output)
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
        bool v = sim_slot_logical(&f->slots[i], sim_slot_level(&f->slots[i]));
        if (v == value)
            return 1;
        if (timeout_ns == 0)
            return 0;
        atomic_fetch_add_explicit(&f->h->waiters, 1, memory_order_seq_cst);
        long rc = futex(&f->h->out_seq, FUTEX_WAIT_BITSET, seq, timeout_ns < 0 ? NULL : &dl);
        int err = errno;
        atomic_fetch_sub_explicit(&f->h->waiters, 1, memory_order_seq_cst);
        if (rc < 0 && err == ETIMEDOUT)
            return sim_slot_logical(&f->slots[i], sim_slot_level(&f->slots[i])) == value;
        if (rc < 0 && err != EAGAIN && err != EINTR) {
            errno = err;
            return -1;
        }
    }
}
