/* SPDX-License-Identifier: MIT */
/*
 * What a base directory may be, for the layout's base_dir, --base-dir and
 * RASPIPLC_BASE_DIR alike: an absolute path without '..' components. Readers
 * check that every region resolves below the base directory; a relative one
 * would mean another directory for each working directory, and '..' would
 * let a path that looks like it is below one directory point anywhere.
 */
#include <errno.h>
#include <string.h>

#include "plc-layout.h"

int plc_base_dir_check(const char *base, const char *what, struct plc_diag *diag)
{
    if (!base || base[0] != '/') {
        plc_diag_set(diag, NULL, "%s '%s' is not an absolute path", what, base ? base : "");
        errno = EINVAL;
        return -1;
    }
    for (const char *p = base; (p = strstr(p, "..")); p += 2) {
        bool starts = p[-1] == '/';
        bool ends = p[2] == '/' || p[2] == '\0';
        if (starts && ends) {
            plc_diag_set(diag, NULL, "%s '%s' has a '..' component: give the directory itself",
                         what, base);
            errno = EINVAL;
            return -1;
        }
    }
    return 0;
}
