/* SPDX-License-Identifier: MIT */
/* systemd's notify socket, played by a test: what a service under Type=notify
 * and WatchdogSec= says (READY=1, WATCHDOG=1). Include after fixture.h. */
#ifndef PLC_TEST_SD_NOTIFY_H
#define PLC_TEST_SD_NOTIFY_H

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

/* A datagram socket bound at DIR/notify, its path in @path: NOTIFY_SOCKET for the child. */
static inline int sd_notify_socket(const char *dir, char *path, size_t len)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/notify", dir);
    snprintf(path, len, "%s", sa.sun_path);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    return fd;
}

/* In the child, before exec: what systemd sets for Type=notify and WatchdogSec=. */
static inline void sd_notify_env(const char *path, const char *watchdog_usec)
{
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", (int)getpid());
    setenv("NOTIFY_SOCKET", path, 1);
    setenv("WATCHDOG_USEC", watchdog_usec, 1);
    setenv("WATCHDOG_PID", pid, 1);
}

/* Whether a datagram holding @want arrives on @fd within @timeout_ms. */
static inline bool sd_notified(int fd, const char *want, int timeout_ms)
{
    uint64_t until = now_ns() + (uint64_t)timeout_ms * 1000000u;
    char buf[512];
    for (;;) {
        int64_t left = (int64_t)(until - now_ns());
        if (left <= 0)
            return false;
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)(left / 1000000) + 1) <= 0)
            continue;
        ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
        if (n <= 0)
            continue;
        buf[n] = '\0';
        if (strstr(buf, want))
            return true;
    }
}

/* Forget what was said so far. */
static inline void sd_notify_drain(int fd)
{
    char buf[512];
    while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
        ;
}

#endif
