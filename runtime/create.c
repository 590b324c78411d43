/* SPDX-License-Identifier: MIT */
/*
 * Making regions: the only code that creates or resizes them. It lives in its
 * own library (plc_create) that only plc-shm-init links.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/*
 * The layout's directory, BASE/LAYOUT, opened once: made if missing, and
 * refused when it is a symlink or no directory, so that every region is made
 * inside it (openat, never a path that could lead elsewhere). The base
 * directory's own path may hold symlinks (/var/run); below it nothing may.
 */
static int open_layout_dir(const struct plc_layout *l, const char *base, struct plc_diag *diag)
{
    char dir[PATH_MAX];
    if (plc_base_dir_check(base, "base directory", diag) < 0)
        return -1;
    if (plc_dir_make(base, 0755, diag) < 0)
        return -1;
    int bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (bfd < 0)
        return plc_fail(diag, base, errno, "cannot open the base directory: %s",
                        strerror(errno));
    const char *name = plc_layout_get_name(l);
    snprintf(dir, sizeof(dir), "%s/%s", base, name);
    int dfd = -1;
    struct stat st;
    if (mkdirat(bfd, name, 0755) < 0 && errno != EEXIST)
        plc_fail(diag, dir, errno, "cannot create directory: %s", strerror(errno));
    else if (fstatat(bfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
        plc_fail(diag, dir, PLC_EPATH,
                 "is %s: regions go in a directory plc-shm-init makes below the base "
                 "directory; remove it and run plc-shm-init again",
                 S_ISLNK(st.st_mode) ? "a symlink" : "not a directory");
    else if ((dfd = openat(bfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        plc_fail(diag, dir, errno, "cannot open directory: %s", strerror(errno));
    int err = errno;
    close(bfd);
    errno = err;
    return dfd;
}

int plc_layout_dir_make(const struct plc_layout *l, const char *base, struct plc_diag *diag)
{
    plc_diag_clear(diag);
    int dfd = open_layout_dir(l, base, diag);
    if (dfd < 0)
        return -1;
    close(dfd);
    return 0;
}

/* Give the new region file its mode and, when the layout names one, its group. */
static int set_mode_and_group(int fd, const struct plc_region_def *def, const char *path,
                              struct plc_diag *diag)
{
    int err;
    if (fchmod(fd, def->mode) < 0) {
        err = errno;
        return plc_fail(diag, path, err, "region '%s': cannot set mode %04o: %s", def->name,
                        (unsigned)def->mode, strerror(err));
    }
    if (def->group[0]) {
        struct group *g = getgrnam(def->group);
        if (!g)
            return plc_fail(diag, path, ENOENT, "region '%s': group '%s' does not exist",
                            def->name, def->group);
        if (fchown(fd, (uid_t)-1, g->gr_gid) < 0) {
            err = errno;
            return plc_fail(diag, path, err, "region '%s': cannot give it to group '%s': %s",
                            def->name, def->group, strerror(err));
        }
    }
    return 0;
}

static void fill_header(struct plc_shm_header *h, const struct plc_layout *l,
                        const struct plc_region_def *def, uint32_t epoch)
{
    h->format = PLC_SHM_FORMAT;
    h->header_size = PLC_REGION_HEADER_SIZE;
    h->region_size = def->size;
    h->data_size = def->data_size;
    h->layout_hash = plc_layout_get_hash(l);
    h->layout_version = plc_layout_get_version(l);
    h->epoch = epoch;
    h->created_ns = plc_realtime_ns();
    snprintf(h->layout_name, sizeof(h->layout_name), "%s", plc_layout_get_name(l));
    snprintf(h->region_name, sizeof(h->region_name), "%s", def->name);
    snprintf(h->writer_service, sizeof(h->writer_service), "%s", def->writer);
}

/* Size the file and write the header and the initial data (@initial, or the
 * tags' initial values), the magic last. */
static int write_region(int fd, const struct plc_layout *l, const struct plc_region_def *def,
                        const char *path, uint32_t epoch, const void *initial,
                        struct plc_diag *diag)
{
    int err;
    if (ftruncate(fd, (off_t)def->size) < 0) {
        err = errno;
        return plc_fail(diag, path, err, "region '%s': cannot size it to %zu bytes: %s",
                        def->name, def->size, strerror(err));
    }
    void *map = mmap(NULL, def->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) {
        err = errno;
        return plc_fail(diag, path, err, "region '%s': mmap: %s", def->name, strerror(err));
    }

    struct plc_shm_header *h = map;
    fill_header(h, l, def, epoch);
    unsigned char *data = (unsigned char *)map + PLC_REGION_HEADER_SIZE;
    if (initial) {
        memcpy(data, initial, def->data_size);
    } else {
        for (size_t i = def->first_tag; i < def->first_tag + def->tag_count; i++) {
            const struct plc_tag_def *t = plc_layout_tag_at(l, i);
            plc_value_store(t->type, &t->initial_v, (unsigned char *)data + t->offset);
        }
    }
    /* The initial data is the first complete write (seq 0). */
    memcpy(data + PLC_REGION_COPY_OFFSET(def->data_size), data, def->data_size);
    atomic_store_explicit(&h->magic, PLC_SHM_MAGIC, memory_order_release);
    munmap(map, def->size);
    return 0;
}

/* Build the region under a temporary name, header valid last, then rename it in. */
static int make(const struct plc_layout *l, const struct plc_region_def *def, int dfd,
                const char *path, uint32_t epoch, bool replace, const void *initial,
                struct plc_diag *diag)
{
    char tmp[PLC_NAME_MAX + 32];
    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", def->name, (int)getpid());
    int fd = openat(dfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return plc_fail(diag, tmp, errno, "region '%s': cannot create: %s", def->name,
                        strerror(errno));

    int err;
    if (set_mode_and_group(fd, def, path, diag) < 0 ||
        write_region(fd, l, def, path, epoch, initial, diag) < 0)
        goto fail;
    int rc = renameat2(dfd, tmp, dfd, def->name, replace ? 0 : RENAME_NOREPLACE);
    if (rc < 0) {
        err = errno;
        plc_fail(diag, path, err, "region '%s': cannot put it in place: %s", def->name,
                 strerror(err));
        goto fail;
    }
    close(fd);
    return 0;

fail:
    err = errno;
    close(fd);
    unlinkat(dfd, tmp, 0);
    errno = err;
    return -1;
}

static enum plc_create_result create_in(const struct plc_layout *l, const char *base,
                                        const struct plc_region_def *def, int dfd,
                                        const char *path, unsigned flags, const void *initial,
                                        struct plc_diag *diag);

enum plc_create_result plc_region_create(const struct plc_layout *l, const char *base,
                                         const struct plc_region_def *def, unsigned flags,
                                         struct plc_diag *diag)
{
    return plc_region_create_with(l, base, def, flags, NULL, diag);
}

enum plc_create_result plc_region_create_with(const struct plc_layout *l, const char *base,
                                              const struct plc_region_def *def,
                                              unsigned flags, const void *initial,
                                              struct plc_diag *diag)
{
    char path[PATH_MAX];
    plc_diag_clear(diag);
    if (plc_region_path(l, base, def->name, path, sizeof(path)) < 0)
        return plc_fail(diag, base, ENAMETOOLONG, "base directory path is too long");
    int dfd = open_layout_dir(l, base, diag);
    if (dfd < 0)
        return PLC_CREATE_ERROR;
    enum plc_create_result res = create_in(l, base, def, dfd, path, flags, initial, diag);
    int err = errno;
    close(dfd);
    errno = err;
    return res;
}

/* plc_region_create_with() in the layout's directory @dfd. */
static enum plc_create_result create_in(const struct plc_layout *l, const char *base,
                                        const struct plc_region_def *def, int dfd,
                                        const char *path, unsigned flags, const void *initial,
                                        struct plc_diag *diag)
{

    for (int attempt = 0; attempt < 2; attempt++) {
        struct stat st;
        int fd = plc_region_open_file(base, path, def->name, O_RDWR, &st, diag);
        if (fd < 0 && errno == PLC_ENOREGION) {
            if (make(l, def, dfd, path, 1, false, initial, diag) == 0)
                return PLC_CREATE_MADE;
            if (errno == EEXIST) /* another plc-shm-init won the race: check its region */
                continue;
            return PLC_CREATE_ERROR;
        }
        if (fd < 0)
            return PLC_CREATE_ERROR;

        size_t size = (size_t)st.st_size;
        struct plc_shm_header *h = NULL;
        if (size >= PLC_REGION_HEADER_SIZE) {
            h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
            if (h == MAP_FAILED)
                h = NULL;
        }
        int bad = h ? plc_region_check_header(h, l, def, size, path, diag)
                    : plc_fail(diag, path, PLC_ESIZE, "region '%s' is %zu bytes, too small "
                               "to be a region", def->name, size);
        if (bad == 0) {
            munmap(h, size);
            close(fd);
            return PLC_CREATE_KEPT;
        }
        if (!(flags & PLC_CREATE_FORCE)) {
            int err = errno;
            size_t n = strlen(diag ? diag->msg : "");
            if (diag && err != PLC_ERETIRED && strstr(diag->msg, "--recreate") == NULL)
                snprintf(diag->msg + n, sizeof(diag->msg) - n,
                         " (plc-shm-init --recreate re-creates it; its data is lost)");
            if (h)
                munmap(h, size);
            close(fd);
            errno = err;
            return PLC_CREATE_ERROR;
        }
        /* Re-create: tell whoever still maps the old one, and bump the epoch. */
        uint32_t epoch = 1;
        if (h && atomic_load_explicit(&h->magic, memory_order_acquire) == PLC_SHM_MAGIC) {
            epoch = h->epoch + 1;
            atomic_fetch_or_explicit(&h->flags, PLC_SHM_RETIRED, memory_order_release);
        }
        if (h)
            munmap(h, size);
        close(fd);
        if (make(l, def, dfd, path, epoch, true, initial, diag) < 0)
            return PLC_CREATE_ERROR;
        return PLC_CREATE_REMADE;
    }
    return plc_fail(diag, path, EEXIST, "region '%s' keeps changing under plc-shm-init",
                    def->name);
}
