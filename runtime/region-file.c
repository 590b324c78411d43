/* SPDX-License-Identifier: MIT */
/*
 * A region's file: where it is (the base directory, the path), opening it
 * without following anything that is not a region file, and checking its
 * header against the layout. No handle is needed for any of it, so
 * plc_region_create() (create.c) checks what it finds with the same code
 * plc_region_attach() uses.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

const char *plc_base_dir(const struct plc_layout *layout, const char *override)
{
    const char *env = getenv("RASPIPLC_BASE_DIR");
    if (override && *override)
        return override;
    if (env && *env)
        return env;
    if (layout && plc_layout_get_base_dir(layout))
        return plc_layout_get_base_dir(layout);
    return PLC_BASE_DIR_DEFAULT;
}

int plc_region_path(const struct plc_layout *l, const char *base, const char *region,
                    char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s/%s", base, plc_layout_get_name(l), region);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

int plc_region_open_file(const char *base, const char *path, const char *region, int flags,
                         struct stat *st, struct plc_diag *diag)
{
    int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        char dir[PATH_MAX];
        snprintf(dir, sizeof(dir), "%s", path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        if (err == ENOENT || err == ENOTDIR)
            return plc_fail(diag, path, PLC_ENOREGION,
                            "region '%s' not found in %s: has plc-shm-init run?", region, dir);
        if (err == ELOOP)
            return plc_fail(diag, path, PLC_EPATH,
                            "region '%s' is a symlink: regions are regular files made by "
                            "plc-shm-init",
                            region);
        if (err == EISDIR)
            return plc_fail(diag, path, PLC_EPATH, "region '%s' is not a regular file", region);
        return plc_fail(diag, path, err, "region '%s': cannot open: %s%s", region,
                        strerror(err),
                        err == EACCES ? " (readers and writers need read-write access: "
                                        "check the region's group and mode)"
                                      : "");
    }
    char real[PATH_MAX], rbase[PATH_MAX];
    if (fstat(fd, st) < 0) {
        int err = errno;
        close(fd);
        return plc_fail(diag, path, err, "region '%s': %s", region, strerror(err));
    }
    if (!S_ISREG(st->st_mode)) {
        close(fd);
        return plc_fail(diag, path, PLC_EPATH, "region '%s' is not a regular file", region);
    }
    if (!realpath(path, real) || !realpath(base, rbase) ||
        strncmp(real, rbase, strlen(rbase)) != 0 || real[strlen(rbase)] != '/') {
        close(fd);
        return plc_fail(diag, path, PLC_EPATH,
                        "region '%s' resolves to %s, outside the base directory %s", region,
                        real, base);
    }
    return fd;
}

int plc_region_check_header(const struct plc_shm_header *h, const struct plc_layout *l,
                            const struct plc_region_def *def, size_t file_size,
                            const char *path, struct plc_diag *diag)
{
    uint64_t magic = atomic_load_explicit(&h->magic, memory_order_acquire);
    if (magic != PLC_SHM_MAGIC)
        return plc_fail(diag, path, PLC_EMAGIC,
                        "region '%s' has bad magic %016" PRIx64
                        ": not a RaspiPLC region (remove it and run plc-shm-init)",
                        def->name, magic);
    if (h->format != PLC_SHM_FORMAT || h->header_size != PLC_REGION_HEADER_SIZE)
        return plc_fail(diag, path, PLC_EFORMAT,
                        "region '%s' has header format %u, this build reads format %u: "
                        "re-create it with plc-shm-init --recreate",
                        def->name, h->format, PLC_SHM_FORMAT);
    if (atomic_load_explicit(&h->flags, memory_order_relaxed) & PLC_SHM_RETIRED)
        return plc_fail(diag, path, PLC_ERETIRED,
                        "region '%s' was re-created by plc-shm-init: attach again", def->name);
    bool same_name = strncmp(h->layout_name, plc_layout_get_name(l), sizeof(h->layout_name)) == 0;
    if (!same_name || h->layout_version != plc_layout_get_version(l) ||
        h->layout_hash != plc_layout_get_hash(l) ||
        strncmp(h->region_name, def->name, sizeof(h->region_name)) != 0)
        return plc_fail(diag, path, PLC_ELAYOUT,
                        "region '%s' was made from layout '%.32s' version %u (hash %016" PRIx64
                        "), not from layout '%s' version %u (hash %016" PRIx64
                        ")%s: run the services with the layout it was made from, or re-create "
                        "it with plc-shm-init --recreate",
                        def->name, h->layout_name, h->layout_version, h->layout_hash,
                        plc_layout_get_name(l), plc_layout_get_version(l),
                        plc_layout_get_hash(l),
                        same_name && h->layout_version == plc_layout_get_version(l)
                            ? " (the layout changed without a version bump)"
                            : "");
    if (file_size != def->size || h->region_size != def->size ||
        h->data_size != def->data_size)
        return plc_fail(diag, path, PLC_ESIZE,
                        "region '%s' is %zu bytes with %" PRIu64
                        " bytes of data; the layout says %zu and %zu: re-create it with "
                        "plc-shm-init --recreate",
                        def->name, file_size, h->data_size, def->size, def->data_size);
    return 0;
}
