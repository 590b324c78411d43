/* SPDX-License-Identifier: MIT */
/*
 * Loading a PLC program: a shared object exporting one struct plc_program,
 * checked against the layout in use before anything of it runs.
 *
 * The file is copied into a memfd and loaded from there: every load is a new
 * object even when the path is the same (dlopen would hand back the one
 * already loaded), and rebuilding the file in place cannot touch the code
 * that is running.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan-internal.h"

static int copy_to_memfd(const char *path, struct plc_diag *diag)
{
    int in = open(path, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return plc_fail(diag, path, errno, "cannot open program: %s", strerror(errno));
    int out = memfd_create("plc-program", MFD_CLOEXEC);
    if (out < 0) {
        int err = errno;
        close(in);
        return plc_fail(diag, path, err, "cannot load program: memfd_create: %s",
                        strerror(err));
    }
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0) {
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(out, buf + done, (size_t)(n - done));
            if (w < 0) {
                int err = errno;
                close(in);
                close(out);
                return plc_fail(diag, path, err, "cannot load program: %s", strerror(err));
            }
            done += w;
        }
    }
    int err = errno;
    close(in);
    if (n < 0) {
        close(out);
        return plc_fail(diag, path, err, "cannot read program: %s", strerror(err));
    }
    return out;
}

int plc_program_check(const struct plc_program *p, const struct plc_layout *l, const char *where,
                      struct plc_diag *diag)
{
    /* A descriptor from before tasks existed ends at scan: still ABI 1. */
    if (p->abi != PLC_PROGRAM_ABI ||
        (p->size != sizeof(struct plc_program) && p->size != PLC_PROGRAM_SIZE_NO_TASKS))
        return plc_fail(diag, where, EINVAL,
                        "program ABI %" PRIu32 " (descriptor %" PRIu32 " bytes) is not ABI %u "
                        "(%zu bytes) of this plc-logic: rebuild it against this release",
                        p->abi, p->size, PLC_PROGRAM_ABI, sizeof(struct plc_program));
    const struct plc_task *tasks;
    size_t ntasks;
    if (plc_program_tasks(p, &tasks, &ntasks, diag) < 0) {
        if (diag)
            snprintf(diag->file, sizeof(diag->file), "%s", where ? where : "");
        return -1;
    }
    if (!p->scan && !ntasks)
        return plc_fail(diag, where, EINVAL, "program '%s' has no scan function",
                        p->name ? p->name : "?");
    if (p->layout_hash != plc_layout_get_hash(l) || !p->layout_name ||
        strcmp(p->layout_name, plc_layout_get_name(l)) != 0 ||
        p->layout_version != plc_layout_get_version(l))
        return plc_fail(diag, where, PLC_ELAYOUT,
                        "program '%s' was built for layout '%s' version %" PRIu32
                        " (hash %016" PRIx64 "), not for layout '%s' version %u (hash %016" PRIx64
                        ") in use: rebuild it against %s",
                        p->name ? p->name : "?", p->layout_name ? p->layout_name : "?",
                        p->layout_version, p->layout_hash, plc_layout_get_name(l),
                        plc_layout_get_version(l), plc_layout_get_hash(l),
                        plc_layout_get_path(l));
    return 0;
}

int plc_program_open(struct plc_loaded *out, const char *path, const struct plc_layout *l,
                     struct plc_diag *diag)
{
    memset(out, 0, sizeof(*out));
    int fd = copy_to_memfd(path, diag);
    if (fd < 0)
        return -1;
    char fdpath[64];
    snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
    /* The memfd stays open while the object is loaded: dlopen() matches an
     * already loaded object by name, and a reused fd number would make the
     * next program's name the same as this one's. */
    void *dl = dlopen(fdpath, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        close(fd);
        return plc_fail(diag, path, ENOEXEC, "cannot load program: %s", dlerror());
    }
    const struct plc_program *p = dlsym(dl, PLC_PROGRAM_SYMBOL);
    if (!p) {
        dlclose(dl);
        close(fd);
        return plc_fail(diag, path, ENOEXEC,
                        "not a PLC program: it exports no '%s' descriptor (use PLC_PROGRAM() "
                        "and build it with plc_add_program())",
                        PLC_PROGRAM_SYMBOL);
    }
    if (plc_program_check(p, l, path, diag) < 0) {
        int err = errno;
        dlclose(dl);
        close(fd);
        errno = err;
        return -1;
    }
    /* A program built by plc-st also exports its table of variables: read
     * only at this ABI, and refused with the program when it points outside
     * the state, since online change copies by it. */
    const struct plc_st_meta *m = dlsym(dl, PLC_ST_META_SYMBOL);
    char why[256];
    if (m && m->abi == PLC_ST_META_ABI &&
        plc_program_meta_check(m, p->state_size, why, sizeof(why)) < 0) {
        dlclose(dl);
        close(fd);
        return plc_fail(diag, path, ENOEXEC,
                        "program '%s': its table of variables (%s) is broken: %s; rebuild it "
                        "with plc-st",
                        p->name ? p->name : "?", PLC_ST_META_SYMBOL, why);
    }
    out->meta = m && m->abi == PLC_ST_META_ABI ? m : NULL;
    out->meta_abi = m ? m->abi : 0;
    out->fd = fd;
    out->dl = dl;
    out->desc = p;
    snprintf(out->path, sizeof(out->path), "%s", path);
    return 0;
}

uint32_t plc_program_period_us(uint32_t configured_us, bool configured_set,
                               const struct plc_st_meta *m, bool *from_task, bool *clamped)
{
    *from_task = *clamped = false;
    if (configured_set || !m || m->interval_ns == 0)
        return configured_us;
    *from_task = true;
    uint64_t us = m->interval_ns / 1000u + (m->interval_ns % 1000u >= 500u); /* nearest us */
    if (us < PLC_LOGIC_PERIOD_MIN_US || us > PLC_LOGIC_PERIOD_MAX_US) {
        *clamped = true;
        us = us < PLC_LOGIC_PERIOD_MIN_US ? PLC_LOGIC_PERIOD_MIN_US : PLC_LOGIC_PERIOD_MAX_US;
    }
    return (uint32_t)us;
}

void plc_program_close(struct plc_loaded *p)
{
    if (p->dl) {
        dlclose(p->dl);
        close(p->fd);
    }
    memset(p, 0, sizeof(*p));
}
