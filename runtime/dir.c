/* SPDX-License-Identifier: MIT */
/* Directories RaspiPLC makes: the base directory, the retain directory. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"

int plc_dir_make(const char *dir, mode_t mode, struct plc_diag *diag)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
        return plc_fail(diag, dir, ENAMETOOLONG, "directory path is too long");
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return plc_fail(diag, buf, errno, "cannot create directory: %s",
                                strerror(errno));
            *p = c;
            if (!c)
                return 0;
        }
    }
}
