/* SPDX-License-Identifier: MIT */
/*
 * plc_snapshot_write(): a snapshot's text (the format is described in
 * snapshot.c, whose reader checks it) and its durable, atomic write, which
 * keeps the current file as the backup. Apart from the reader since the two
 * share only the format: nothing here builds a struct plc_snapshot.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "internal.h"
#include "plc-retain.h"

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int err = errno;
    close(fd);
    errno = err;
    return rc;
}

/* The text of a snapshot, CRC line included; malloc'd. */
static char *format_snapshot(const struct plc_layout *l, uint64_t seq,
                             const struct plc_snapshot_tag *tags, size_t n, size_t *len)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    if (!f)
        return NULL;
    uint64_t now = plc_realtime_ns();
    fprintf(f, "# RaspiPLC retain snapshot (plc-retain). Do not edit: a CRC-32 guards it.\n");
    fprintf(f, "format %u\n", PLC_SNAPSHOT_FORMAT);
    fprintf(f, "layout %s %u %016" PRIx64 "\n", plc_layout_get_name(l),
            plc_layout_get_version(l), plc_layout_get_hash(l));
    fprintf(f, "seq %" PRIu64 "\n", seq);
    fprintf(f, "time %" PRIu64 ".%09" PRIu64 "\n", now / 1000000000u, now % 1000000000u);
    fprintf(f, "tags %zu\n", n);
    for (size_t i = 0; i < n; i++) {
        if (plc_type_is_wide_int(tags[i].type)) { /* exact, never a double */
            struct plc_value v = plc_snapshot_tag_get(&tags[i]);
            char text[32];
            plc_value_format(tags[i].type, &v, text, sizeof(text));
            fprintf(f, "tag %s %s %s\n", tags[i].name, plc_type_name(tags[i].type), text);
            continue;
        }
        fprintf(f, "tag %s %s %.17g\n", tags[i].name, plc_type_name(tags[i].type),
                tags[i].value);
    }
    if (fflush(f) != 0) {
        fclose(f);
        free(buf);
        return NULL;
    }
    uLong crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)buf, (uInt)size);
    fprintf(f, "crc32 %08lx\n", (unsigned long)crc);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *len = size;
    return buf;
}

/* @text into a new file @tmp, fsynced; on failure @tmp is removed and @diag filled. */
static int write_temp(const char *tmp, const char *text, size_t len, struct plc_diag *diag)
{
    int err;
    const char *what;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) {
        err = errno;
        return plc_fail(diag, tmp, err, "cannot create snapshot: %s", strerror(err));
    }
    if (write_all(fd, text, len) < 0) {
        what = "cannot write snapshot";
        goto remove_tmp;
    }
    if (fsync(fd) < 0) {
        what = "cannot fsync snapshot";
        goto remove_tmp;
    }
    if (close(fd) < 0) {
        fd = -1;
        what = "cannot close snapshot";
        goto remove_tmp;
    }
    return 0;

remove_tmp:
    err = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    return plc_fail(diag, tmp, err, "%s: %s", what, strerror(err));
}

/* The current file @cur becomes the backup @bak; a hard link keeps it current
 * too, so there is never an instant without a current file. Where links are
 * not supported (vfat), rename it: the backup then stands in until the new
 * file is renamed over @cur. -1 with errno, *what failed and *where. */
static int keep_backup(const char *cur, const char *bak, const char **what, const char **where)
{
    struct stat st;
    if (lstat(cur, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        *what = "cannot look at the current snapshot";
        *where = cur;
        return -1;
    }
    if (unlink(bak) < 0 && errno != ENOENT) {
        *what = "cannot remove the old backup";
        *where = bak;
        return -1;
    }
    if (link(cur, bak) < 0 &&
        ((errno != EPERM && errno != ENOTSUP && errno != EMLINK) || rename(cur, bak) < 0)) {
        *what = "cannot keep the current snapshot as the backup";
        *where = bak;
        return -1;
    }
    return 0;
}

int plc_snapshot_write(const char *dir, const struct plc_layout *l, uint64_t seq,
                       const struct plc_snapshot_tag *tags, size_t count, unsigned flags,
                       struct plc_diag *diag)
{
    char cur[PATH_MAX], bak[PATH_MAX], tmp[PATH_MAX];
    const char *name = plc_layout_get_name(l);
    plc_diag_clear(diag);
    if (plc_snapshot_path(dir, name, PLC_SNAPSHOT_CURRENT, cur, sizeof(cur)) < 0 ||
        plc_snapshot_path(dir, name, PLC_SNAPSHOT_BACKUP, bak, sizeof(bak)) < 0 ||
        plc_snapshot_path(dir, name, PLC_SNAPSHOT_TEMP, tmp, sizeof(tmp)) < 0)
        return plc_fail(diag, dir, ENAMETOOLONG, "snapshot directory path is too long");

    size_t len;
    char *text = format_snapshot(l, seq, tags, count, &len);
    if (!text)
        return plc_fail(diag, tmp, ENOMEM, "cannot format snapshot: out of memory");
    int rc = write_temp(tmp, text, len, diag);
    int err = errno;
    free(text);
    if (rc < 0) {
        errno = err;
        return -1;
    }

    const char *what = NULL, *where = tmp;
    if ((flags & PLC_SNAPSHOT_KEEP_BACKUP) && keep_backup(cur, bak, &what, &where) < 0)
        goto remove_tmp;
    if (rename(tmp, cur) < 0) {
        what = "cannot put the snapshot in place";
        where = cur;
        goto remove_tmp;
    }
    if (fsync_dir(dir) < 0) {
        err = errno;
        return plc_fail(diag, dir, err, "cannot fsync the snapshot directory: %s",
                        strerror(err));
    }
    return 0;

remove_tmp:
    err = errno;
    unlink(tmp);
    return plc_fail(diag, where, err, "%s: %s", what, strerror(err));
}
