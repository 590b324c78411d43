/* SPDX-License-Identifier: MIT */
/*
 * gpio-peer: the other processes of the gpio-sim suite (tests/gpio/guest.sh).
 *
 *   gpio-peer wait   LAYOUT TAG VALUE MS   exit 0 once TAG reads VALUE, 1 if not within MS
 *   gpio-peer steady LAYOUT TAG VALUE MS   exit 0 if TAG reads VALUE and its region is not
 *                                          written at all for MS; prints "watching" once
 *                                          attached (start it, wait for that, then act)
 *   gpio-peer logic  LAYOUT TAG=V...       be the logic: write 'outputs', print "ready",
 *                                          then heartbeat every 20 ms until killed
 *
 *   gpio-peer line-info CHIP OFFSET          print what the kernel says of a line: consumer,
 *                                          direction, drive, bias, active-low, debounce
 *                                          (the GPIO uAPI v2 ioctl, no library)
 *
 * Waiting is on the region futex (plc_region_wait), never a poll loop. The
 * base directory comes from RASPIPLC_BASE_DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/gpio.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "plc.h"

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int die(const char *what, const struct plc_diag *d)
{
    char msg[1200];
    plc_diag_format(d, msg, sizeof(msg));
    fprintf(stderr, "gpio-peer: %s: %s\n", what, msg[0] ? msg : plc_strerror(errno));
    return 2;
}

static int watch(const struct plc_layout *l, const char *base, const char *tag_name,
                 const char *value, const char *ms, bool steady)
{
    struct plc_diag d;
    const struct plc_tag_def *t = plc_layout_find_tag(l, tag_name);
    if (!t) {
        fprintf(stderr, "gpio-peer: no tag '%s'\n", tag_name);
        return 2;
    }
    double want = atof(value), v = -1;
    int64_t limit = atoll(ms) * 1000000LL;
    struct plc_region *r = plc_region_attach(l, base, t->region->name, PLC_READER, NULL, &d);
    if (!r)
        return die("attach", &d);
    struct plc_region_info before, after;
    plc_region_get_info(r, &before);
    if (steady) {
        printf("watching\n");
        fflush(stdout);
    }
    uint64_t t0 = now_ns();
    int rc = 1;
    for (;;) {
        if (plc_region_read_tag(r, t, &v) < 0) {
            rc = die("read", &d);
            break;
        }
        if (!steady && v == want) {
            rc = 0;
            break;
        }
        if (steady && v != want) {
            fprintf(stderr, "gpio-peer: '%s' became %g after %.0f ms (expected steady %g)\n",
                    tag_name, v, (now_ns() - t0) / 1e6, want);
            break;
        }
        int64_t left = limit - (int64_t)(now_ns() - t0);
        if (left <= 0) {
            plc_region_get_info(r, &after);
            if (steady && after.writes != before.writes)
                fprintf(stderr, "gpio-peer: region '%s' was written %llu times while '%s' "
                        "was to stay %g\n", t->region->name,
                        (unsigned long long)(after.writes - before.writes), tag_name, want);
            else if (steady)
                rc = 0;
            else
                fprintf(stderr, "gpio-peer: '%s' is %g after %.1f s (expected %g)\n", tag_name,
                        v, (double)(now_ns() - t0) / 1e9, want);
            break;
        }
        plc_region_wait(r, left);
    }
    plc_region_detach(r);
    return rc;
}

static int logic(const struct plc_layout *l, const char *base, int argc, char **argv)
{
    struct plc_diag d;
    struct plc_region *r = plc_region_attach(l, base, "outputs", PLC_WRITER, "logic", &d);
    if (!r)
        return die("attach outputs", &d);
    unsigned char data[plc_region_get_def(r)->data_size];
    if (plc_region_read(r, data) < 0)
        memset(data, 0, sizeof(data));
    for (int i = 0; i < argc; i++) {
        char name[128];
        const char *eq = strchr(argv[i], '=');
        if (!eq || (size_t)(eq - argv[i]) >= sizeof(name)) {
            fprintf(stderr, "gpio-peer: '%s' is not TAG=VALUE\n", argv[i]);
            return 2;
        }
        snprintf(name, sizeof(name), "%.*s", (int)(eq - argv[i]), argv[i]);
        const struct plc_tag_def *t = plc_layout_find_tag(l, name);
        if (!t || t->region != plc_region_get_def(r)) {
            fprintf(stderr, "gpio-peer: no tag '%s' in 'outputs'\n", name);
            return 2;
        }
        plc_tag_encode(t, atof(eq + 1), data);
    }
    if (plc_region_write(r, data) < 0)
        return die("write", &d);
    printf("ready\n");
    fflush(stdout);
    for (;;) {
        struct timespec ts = {0, 20 * 1000000};
        nanosleep(&ts, NULL);
        plc_region_heartbeat(r);
    }
}

static int line_info(const char *chip, const char *offset)
{
    int fd = open(chip, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "gpio-peer: %s: %s\n", chip, strerror(errno));
        return 2;
    }
    struct gpio_v2_line_info li;
    memset(&li, 0, sizeof(li));
    li.offset = (unsigned)atoi(offset);
    if (ioctl(fd, GPIO_V2_GET_LINEINFO_IOCTL, &li) < 0) {
        fprintf(stderr, "gpio-peer: %s line %s: %s\n", chip, offset, strerror(errno));
        close(fd);
        return 2;
    }
    close(fd);
    uint64_t f = li.flags;
    printf("consumer=%s %s %s %s%s", li.consumer[0] ? li.consumer : "-",
           f & GPIO_V2_LINE_FLAG_OUTPUT ? "output" : "input",
           f & GPIO_V2_LINE_FLAG_OPEN_DRAIN    ? "open-drain"
           : f & GPIO_V2_LINE_FLAG_OPEN_SOURCE ? "open-source"
                                               : "push-pull",
           f & GPIO_V2_LINE_FLAG_BIAS_PULL_UP     ? "pull-up"
           : f & GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN ? "pull-down"
           : f & GPIO_V2_LINE_FLAG_BIAS_DISABLED  ? "bias-disabled"
                                                  : "as-is",
           f & GPIO_V2_LINE_FLAG_ACTIVE_LOW ? " active-low" : "");
    for (unsigned i = 0; i < li.num_attrs; i++)
        if (li.attrs[i].id == GPIO_V2_LINE_ATTR_ID_DEBOUNCE)
            printf(" debounce=%uus", li.attrs[i].debounce_period_us);
    printf("\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "line-info") == 0)
        return line_info(argv[2], argv[3]);
    if (argc < 3) {
        fprintf(stderr, "usage: gpio-peer wait|steady|logic LAYOUT ...\n");
        return 2;
    }
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(argv[2], &d);
    if (!l)
        return die("layout", &d);
    const char *base = plc_base_dir(l, NULL);
    int rc = 2;
    if ((strcmp(argv[1], "wait") == 0 || strcmp(argv[1], "steady") == 0) && argc == 6)
        rc = watch(l, base, argv[3], argv[4], argv[5], argv[1][0] == 's');
    else if (strcmp(argv[1], "logic") == 0)
        rc = logic(l, base, argc - 3, argv + 3);
    else
        fprintf(stderr, "gpio-peer: bad arguments\n");
    plc_layout_free(l);
    return rc;
}
