/* SPDX-License-Identifier: MIT */
/*
 * struct plc_modbus_server: listeners, connections and the serial port in one
 * epoll loop, each connection with its own buffers and transport ops.
 *
 * One thread serves everything: the core's work per request is a few
 * microseconds of memory copies, so a thread per client would only add
 * locking. Nothing in the loop sleeps or blocks: sockets are non-blocking,
 * partial frames wait in their connection's buffer, a client that does not
 * read its responses is no longer read from until it does, and a bad frame
 * closes only its own connection. Clients are filtered at accept(), before a
 * byte of theirs is decoded. SIGPIPE cannot happen: every send uses
 * MSG_NOSIGNAL.
 *
 * The kernel is most of a request's cost, above all the wake-up its send() sets
 * off (bench/README-modbus.md), so a TCP request costs two system calls: one
 * read() takes whatever has arrived, and the responses to every frame in it are
 * built in place in the connection's transmit buffer and leave in one send().
 * epoll_ctl() runs only when a connection's interest changes, and the clock is
 * read once a turn of the loop, not once a request.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* Refused requests logged one by one in a second, at most; the rest are counted. */
#define REFUSED_LOG_BURST 10

struct mb_listener {
    enum mb_kind kind;
    int fd;
    bool read_only;
    int port;
    char name[80];
};

struct plc_modbus_server {
    struct plc_modbus_config cfg;
    struct plc_modbus_core *core;
    int ep;
    struct mb_listener lis[2];
    int nlis;
    struct mb_conn *conns; /* TCP connections */
    unsigned nconns;
    struct mb_conn *dead;  /* closed in this round, freed after it */
    struct mb_conn *rtu;
    int64_t rtu_silence_ns;
    void (*log)(void *ctx, int prio, const char *msg);
    void *log_ctx;
    int log_priority; /* lines above it are not even formatted */
    int64_t refused_since; /* when refused_log() began counting */
    unsigned refused_logged;
    uint64_t refused_unlogged;
    void (*on_loop)(void *ctx);
    void *loop_ctx;
    int64_t now; /* read after each epoll_wait(): when this turn's bytes had come */
    int64_t next_sweep, next_heartbeat;
    bool accept_paused; /* out of descriptors: listeners unwatched until one closes */
    bool events;        /* the core posts events: tell it who asks */
    uint8_t rsp[PLC_MODBUS_PDU_MAX];
};

static void listeners_watch(struct plc_modbus_server *s, bool on)
{
    for (int i = 0; i < s->nlis; i++) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &s->lis[i]};
        epoll_ctl(s->ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, s->lis[i].fd, &ev);
    }
    s->accept_paused = !on;
}

static int64_t mb_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const struct plc_modbus_config *mb_server_config(const struct plc_modbus_server *s)
{
    return &s->cfg;
}

void mb_server_log(struct plc_modbus_server *s, int prio, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    if (!s->log || prio > s->log_priority)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    s->log(s->log_ctx, prio, msg);
}

static void set_diag(struct plc_diag *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void set_diag(struct plc_diag *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    plc_diag_setv(d, NULL, fmt, ap);
    va_end(ap);
}

/* ---- connections ---- */

static void conn_close(struct plc_modbus_server *s, struct mb_conn *c, int prio,
                       const char *why)
{
    if (c->fd < 0)
        return;
    mb_server_log(s, prio, "%s: closed %s: %s", c->ops->name, c->peer, why);
    epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
    if (c->ctx) {
        modbus_close(c->ctx);
        modbus_free(c->ctx);
        c->ctx = NULL;
    } else {
        close(c->fd);
    }
    c->fd = -1;
    if (c == s->rtu) {
        s->rtu = NULL;
    } else {
        if (c->prev)
            c->prev->next = c->next;
        else
            s->conns = c->next;
        if (c->next)
            c->next->prev = c->prev;
        s->nconns--;
    }
    c->next = s->dead;
    s->dead = c;
    if (s->accept_paused)
        listeners_watch(s, true);
}

static void conn_events(struct plc_modbus_server *s, struct mb_conn *c)
{
    uint32_t want = 0;
    bool pending = c->tx_off < c->tx_len;
    /* Stop reading a client that does not read its responses, until it does. */
    if (!pending || c->tx_len + MB_ADU_MAX <= MB_TX_CAP)
        want |= EPOLLIN;
    if (pending)
        want |= EPOLLOUT;
    if (want != c->events) {
        struct epoll_event ev = {.events = want, .data.ptr = c};
        epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd, &ev);
        c->events = want;
    }
}

static int conn_flush(struct mb_conn *c)
{
    while (c->tx_off < c->tx_len) {
        ssize_t n = send(c->fd, c->tx + c->tx_off, c->tx_len - c->tx_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            if (errno == EINTR)
                continue;
            return -1;
        }
        c->tx_off += (size_t)n;
    }
    if (c->tx_off == c->tx_len)
        c->tx_off = c->tx_len = 0;
    return 0;
}

/* Room at the end of tx for one more response, moving the bytes not yet sent to
 * the front when that makes it. */
static bool conn_tx_room(struct mb_conn *c)
{
    if (c->tx_len + MB_ADU_MAX > MB_TX_CAP && c->tx_off) {
        memmove(c->tx, c->tx + c->tx_off, c->tx_len - c->tx_off);
        c->tx_len -= c->tx_off;
        c->tx_off = 0;
    }
    return c->tx_len + MB_ADU_MAX <= MB_TX_CAP;
}

/* A second after refused_log() began counting (checked once a turn of the loop):
 * say how many went unlogged, and count afresh. */
static void refused_log_roll(struct plc_modbus_server *s, int64_t now)
{
    if (!s->refused_logged || now - s->refused_since < 1000000000)
        return;
    if (s->refused_unlogged)
        mb_server_log(s, PLC_LOG_DEBUG,
                      "%" PRIu64 " more refused requests not logged (at most %d a second are)",
                      s->refused_unlogged, REFUSED_LOG_BURST);
    s->refused_logged = 0;
    s->refused_unlogged = 0;
}

/* Debug: what a refused request asked for and who asked. Nothing is formatted
 * unless debug lines are wanted, and a flood is counted rather than logged. */
static void refused_log(struct plc_modbus_server *s, const struct mb_conn *c,
                        const struct mb_frame *f, uint8_t code)
{
    if (s->log_priority < PLC_LOG_DEBUG)
        return;
    if (!s->refused_logged)
        s->refused_since = s->now;
    if (s->refused_logged >= REFUSED_LOG_BURST) {
        s->refused_unlogged++;
        return;
    }
    s->refused_logged++;
    char what[128];
    mb_request_describe(f->pdu, f->len, what, sizeof(what));
    mb_server_log(s, PLC_LOG_DEBUG, "%s: refused %s unit %u: %s: exception %02X %s",
                  c->ops->name, c->peer, f->unit, what, code, mb_exception_name(code));
}

/* Answer one frame. A transport with a tx_head gets the response PDU written into
 * tx, behind room for its header (conn_process() made room for it). */
static void serve(struct plc_modbus_server *s, struct mb_conn *c, const struct mb_frame *f)
{
    size_t n;
    uint8_t *rsp = c->ops->tx_head ? c->tx + c->tx_len + c->ops->tx_head : s->rsp;
    enum mb_unit_verdict v = c->ops->unit(c, f->unit);
    if (v == MB_UNIT_IGNORE)
        return;
    if (v == MB_UNIT_REFUSE) {
        rsp[0] = (uint8_t)((f->len ? f->pdu[0] : 0) | 0x80);
        rsp[1] = PLC_MODBUS_EX_GATEWAY_TARGET;
        n = 2;
    } else {
        if (s->events) {
            if (c->ops == &mb_rtu_ops && c->client_unit != f->unit) {
                snprintf(c->client, sizeof(c->client), "rtu unit %u %.30s", f->unit, c->peer);
                c->client_unit = f->unit;
            }
            plc_modbus_core_set_client(s->core, c->client);
        }
        n = plc_modbus_core_handle(s->core, f->pdu, f->len, c->flags, rsp);
    }
    if (rsp[0] & 0x80)
        refused_log(s, c, f, rsp[1]);
    if (v != MB_UNIT_SILENT)
        c->ops->reply(c, f, rsp, n);
}

static void consume(struct mb_conn *c, size_t n)
{
    memmove(c->rx, c->rx + n, c->rx_len - n);
    c->rx_len -= n;
}

/* Serve every whole frame in rx while the answers can be sent or kept, then send
 * them: one send() for all the frames one read() brought. */
static void conn_process(struct plc_modbus_server *s, struct mb_conn *c)
{
    struct mb_frame f;
    for (;;) {
        if (!conn_tx_room(c)) {
            if (conn_flush(c) < 0)
                goto lost;
            if (!conn_tx_room(c))
                break; /* the client reads slowly: EPOLLOUT brings us back */
        }
        int r = c->ops->frame(c, &f);
        if (r == 0)
            break;
        if (r < 0) { /* only a stream can lose its way: RTU waits for the silence */
            conn_close(s, c, PLC_LOG_INFO, "not a Modbus frame");
            return;
        }
        serve(s, c, &f);
        consume(c, f.consumed);
    }
    if (conn_flush(c) < 0)
        goto lost;
    if (c != s->rtu)
        conn_events(s, c);
    return;
lost:
    conn_close(s, c, PLC_LOG_INFO, strerror(errno));
}

static void conn_readable(struct plc_modbus_server *s, struct mb_conn *c)
{
    if (c->rx_len == MB_RX_CAP) {
        if (c->ops->close_on_garbage) {
            conn_close(s, c, PLC_LOG_INFO, "receive buffer full");
            return;
        }
        c->rx_len = 0; /* serial noise without a pause */
    }
    ssize_t n = read(c->fd, c->rx + c->rx_len, MB_RX_CAP - c->rx_len);
    if (n == 0 && c != s->rtu) {
        conn_close(s, c, PLC_LOG_INFO, "closed by the client");
        return;
    }
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
            return;
        conn_close(s, c, c == s->rtu ? PLC_LOG_ERR : PLC_LOG_INFO, strerror(errno));
        return;
    }
    c->rx_len += (size_t)n;
    c->last_ns = s->now;
    conn_process(s, c);
}

static void conn_writable(struct plc_modbus_server *s, struct mb_conn *c)
{
    if (conn_flush(c) < 0) {
        conn_close(s, c, PLC_LOG_INFO, strerror(errno));
        return;
    }
    conn_process(s, c); /* frames that waited for room */
}

/* ---- listeners ---- */

static bool peer_in(const struct plc_cidr *list, size_t n, const struct sockaddr_storage *ss)
{
    const void *a = ss->ss_family == AF_INET
                        ? (const void *)&((const struct sockaddr_in *)ss)->sin_addr
                        : (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
    for (size_t i = 0; i < n; i++)
        if (plc_cidr_match(&list[i], ss->ss_family, a))
            return true;
    return false;
}

static void format_peer(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)ss;
        inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
        port = ntohs(in->sin_port);
        snprintf(buf, len, "%s:%u", host, port);
    } else {
        const struct sockaddr_in6 *in6 = (const void *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
        port = ntohs(in6->sin6_port);
        snprintf(buf, len, "[%s]:%u", host, port);
    }
}

static void on_accept(struct plc_modbus_server *s, struct mb_listener *l)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno == EMFILE || errno == ENFILE) {
                /* Level-triggered: watching on would spin. Wait for a close. */
                mb_server_log(s, PLC_LOG_WARNING,
                              "tcp: out of file descriptors with %u connections: not "
                              "accepting until one closes (raise LimitNOFILE= or lower "
                              "max_connections)",
                              s->nconns);
                listeners_watch(s, false);
                return;
            }
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                mb_server_log(s, PLC_LOG_ERR, "tcp: accept on %s: %s", l->name,
                              strerror(errno));
            return;
        }
        char peer[80];
        format_peer(&ss, peer, sizeof(peer));
        const char *why = NULL;
        char whybuf[96];
        if (s->cfg.allow_count && !peer_in(s->cfg.allow, s->cfg.allow_count, &ss)) {
            why = "not in the allow list";
        } else if (s->nconns >= s->cfg.max_connections) {
            snprintf(whybuf, sizeof(whybuf), "%u connections open, the max_connections limit",
                     s->nconns);
            why = whybuf;
        }
        struct mb_conn *c = why ? NULL : calloc(1, sizeof(*c));
        if (!why && !c)
            why = "out of memory";
        if (why) {
            /* Reset rather than close, so the client learns at once. */
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            close(fd);
            mb_server_log(s, PLC_LOG_WARNING, "tcp: refused %s on %s: %s", peer, l->name,
                          why);
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c->kind = MB_CONN;
        c->srv = s;
        c->ops = &mb_tcp_ops;
        c->fd = fd;
        snprintf(c->peer, sizeof(c->peer), "%s", peer);
        snprintf(c->client, sizeof(c->client), "%.47s", peer);
        if (l->read_only ||
            (s->cfg.allow_write_count &&
             !peer_in(s->cfg.allow_write, s->cfg.allow_write_count, &ss)))
            c->flags |= PLC_MODBUS_READ_ONLY;
        c->last_ns = s->now;
        c->events = EPOLLIN;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
            mb_server_log(s, PLC_LOG_ERR, "tcp: cannot watch %s: %s", peer, strerror(errno));
            close(fd);
            free(c);
            continue;
        }
        c->next = s->conns;
        if (s->conns)
            s->conns->prev = c;
        s->conns = c;
        s->nconns++;
        mb_server_log(s, PLC_LOG_INFO, "tcp: connection from %s on %s%s", peer, l->name,
                      c->flags & PLC_MODBUS_READ_ONLY ? " (read-only)" : "");
    }
}

static int listen_on(struct plc_modbus_server *s, const char *host, int port, bool read_only,
                     struct plc_diag *diag)
{
    struct mb_listener *l = &s->lis[s->nlis];
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof(ss));
    if (strchr(host, ':')) {
        struct sockaddr_in6 *a = (void *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        inet_pton(AF_INET6, host, &a->sin6_addr);
        sl = sizeof(*a);
        snprintf(l->name, sizeof(l->name), "[%s]:%d", host, port);
    } else {
        struct sockaddr_in *a = (void *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1) {
            set_diag(diag, "listen address '%s' is not a numeric IP address", host);
            errno = EINVAL;
            return -1;
        }
        sl = sizeof(*a);
        snprintf(l->name, sizeof(l->name), "%s:%d", host, port);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        set_diag(diag, "cannot make a socket for %s: %s", l->name, strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, 128) < 0) {
        int err = errno;
        set_diag(diag, "cannot listen on %s: %s%s", l->name, strerror(err),
                 err == EACCES ? " (a port below 1024 needs CAP_NET_BIND_SERVICE)" : "");
        close(fd);
        errno = err;
        return -1;
    }
    sl = sizeof(ss);
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    l->port = ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                            : ((struct sockaddr_in6 *)&ss)->sin6_port);
    if (port == 0) /* name it by the port it got */
        snprintf(strrchr(l->name, ':') + 1, 8, "%d", l->port);
    l->kind = MB_LISTENER;
    l->fd = fd;
    l->read_only = read_only;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = l};
    if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
        int err = errno;
        set_diag(diag, "cannot watch %s: %s", l->name, strerror(err));
        close(fd);
        errno = err;
        return -1;
    }
    s->nlis++;
    return 0;
}

/* ---- RTU ---- */

static int open_rtu(struct plc_modbus_server *s, struct plc_diag *diag)
{
    const struct plc_modbus_config *m = &s->cfg;
    modbus_t *ctx = modbus_new_rtu(m->rtu_device, (int)m->rtu_baud, m->rtu_parity,
                                   (int)m->rtu_data_bits, (int)m->rtu_stop_bits);
    if (!ctx) {
        set_diag(diag, "rtu: cannot use '%s': %s", m->rtu_device, modbus_strerror(errno));
        return -1;
    }
    const char *step = "set the unit id";
    if (modbus_set_slave(ctx, m->unit_id) < 0)
        goto fail;
    if (modbus_connect(ctx) < 0) {
        step = "open it";
        goto fail;
    }
    if (m->rtu_rs485 != PLC_MODBUS_RS485_OFF) {
        step = "switch it to RS-485 mode";
        if (modbus_rtu_set_serial_mode(ctx, MODBUS_RTU_RS485) < 0)
            goto fail_close;
    }
    if (m->rtu_rs485 == PLC_MODBUS_RS485_RTS_UP || m->rtu_rs485 == PLC_MODBUS_RS485_RTS_DOWN) {
        step = "drive RTS";
        if (modbus_rtu_set_rts(ctx, m->rtu_rs485 == PLC_MODBUS_RS485_RTS_UP
                                        ? MODBUS_RTU_RTS_UP
                                        : MODBUS_RTU_RTS_DOWN) < 0)
            goto fail_close;
    }
    struct mb_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        errno = ENOMEM;
        step = "serve it";
        goto fail_close;
    }
    c->kind = MB_CONN;
    c->srv = s;
    c->ops = &mb_rtu_ops;
    c->ctx = ctx;
    c->fd = modbus_get_socket(ctx);
    snprintf(c->peer, sizeof(c->peer), "%s", m->rtu_device);
    c->client_unit = -1;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(s->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
        free(c);
        step = "watch it";
        goto fail_close;
    }
    c->events = EPOLLIN;
    s->rtu = c;
    /* 3.5 characters of 11 bits; 1.75 ms above 19200 baud, as the specification says */
    s->rtu_silence_ns = m->rtu_baud > 19200 ? 1750000 : 38500000000LL / m->rtu_baud;
    return 0;
fail_close:;
    int err = errno;
    modbus_close(ctx);
    errno = err;
fail:
    err = errno;
    set_diag(diag, "rtu: cannot %s on '%s': %s", step, m->rtu_device, modbus_strerror(err));
    modbus_free(ctx);
    errno = err;
    return -1;
}

/* ---- the server ---- */

struct plc_modbus_server *plc_modbus_server_new(const struct plc_modbus_server_config *cfg,
                                                struct plc_diag *diag)
{
    struct plc_modbus_server *s = calloc(1, sizeof(*s));
    int err;
    if (!s)
        return NULL;
    s->ep = -1;
    s->cfg = *plc_layout_get_modbus(cfg->layout);
    s->log = cfg->log;
    s->log_ctx = cfg->log_ctx;
    s->log_priority = cfg->log_priority ? cfg->log_priority : PLC_LOG_DEBUG;
    s->on_loop = cfg->on_loop;
    s->loop_ctx = cfg->loop_ctx;
    if (cfg->listen_host)
        snprintf(s->cfg.listen_host, sizeof(s->cfg.listen_host), "%s", cfg->listen_host);
    if (cfg->listen_port >= 0)
        s->cfg.listen_port = (uint16_t)cfg->listen_port;
    if (cfg->read_only_port >= 0) {
        s->cfg.read_only_port = (uint16_t)cfg->read_only_port;
        if (!s->cfg.read_only_host[0])
            snprintf(s->cfg.read_only_host, sizeof(s->cfg.read_only_host), "%s",
                     s->cfg.listen_host);
    }
    if (cfg->rtu_device)
        snprintf(s->cfg.rtu_device, sizeof(s->cfg.rtu_device), "%s", cfg->rtu_device);

    if (!(s->core = plc_modbus_core_new(cfg->layout, cfg->base_dir, diag)))
        goto fail;
    plc_modbus_core_set_events(s->core, cfg->events);
    s->events = cfg->events != NULL;
    if ((s->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        set_diag(diag, "epoll: %s", strerror(errno));
        goto fail;
    }
    if (listen_on(s, s->cfg.listen_host, s->cfg.listen_port, s->cfg.read_only, diag) < 0)
        goto fail;
    if ((s->cfg.read_only_port || cfg->read_only_port == 0) && s->cfg.read_only_host[0] &&
        listen_on(s, s->cfg.read_only_host, s->cfg.read_only_port, true, diag) < 0)
        goto fail;
    if (s->cfg.rtu_device[0] && open_rtu(s, diag) < 0)
        goto fail;
    return s;
fail:
    err = errno;
    plc_modbus_server_free(s);
    errno = err;
    return NULL;
}

static void free_dead(struct plc_modbus_server *s)
{
    while (s->dead) {
        struct mb_conn *c = s->dead;
        s->dead = c->next;
        free(c);
    }
}

void plc_modbus_server_free(struct plc_modbus_server *s)
{
    if (!s)
        return;
    while (s->conns)
        conn_close(s, s->conns, PLC_LOG_DEBUG, "server stopping");
    if (s->rtu)
        conn_close(s, s->rtu, PLC_LOG_DEBUG, "server stopping");
    free_dead(s);
    for (int i = 0; i < s->nlis; i++)
        close(s->lis[i].fd);
    if (s->ep >= 0)
        close(s->ep);
    plc_modbus_core_free(s->core);
    free(s);
}

int plc_modbus_server_get_port(const struct plc_modbus_server *s, int which)
{
    return which >= 0 && which < s->nlis ? s->lis[which].port : -1;
}

struct plc_modbus_core *plc_modbus_server_get_core(struct plc_modbus_server *s)
{
    return s->core;
}

static void timers(struct plc_modbus_server *s, int64_t now)
{
    if (s->rtu && s->rtu->rx_len && now - s->rtu->last_ns >= s->rtu_silence_ns) {
        struct mb_frame f;
        if (s->rtu->ops->quiet(s->rtu, &f) == 1) {
            serve(s, s->rtu, &f);
            s->rtu->rx_len = 0;
        }
    }
    refused_log_roll(s, now);
    if (now >= s->next_sweep) {
        s->next_sweep = now + 100000000;
        int64_t idle = (int64_t)s->cfg.idle_timeout_ms * 1000000;
        for (struct mb_conn *c = s->conns, *next; idle && c; c = next) {
            next = c->next;
            if (now - c->last_ns > idle)
                conn_close(s, c, PLC_LOG_INFO, "idle for longer than idle_timeout");
        }
    }
    if (now >= s->next_heartbeat) {
        s->next_heartbeat = now + 1000000000;
        plc_modbus_core_heartbeat(s->core);
    }
}

static int wait_ms(const struct plc_modbus_server *s, int64_t now)
{
    int64_t until = s->next_sweep < s->next_heartbeat ? s->next_sweep : s->next_heartbeat;
    if (s->rtu && s->rtu->rx_len) {
        int64_t end = s->rtu->last_ns + s->rtu_silence_ns;
        if (end < until)
            until = end;
    }
    int64_t ms = (until - now + 999999) / 1000000;
    return ms < 0 ? 0 : ms > 200 ? 200 : (int)ms;
}

int plc_modbus_server_run(struct plc_modbus_server *s, volatile sig_atomic_t *stop)
{
    struct epoll_event ev[64];
    while (!*stop) {
        if (s->on_loop)
            s->on_loop(s->loop_ctx);
        s->now = mb_now_ns();
        timers(s, s->now);
        free_dead(s);
        int n = epoll_wait(s->ep, ev, 64, wait_ms(s, s->now));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        s->now = mb_now_ns();
        for (int i = 0; i < n; i++) {
            enum mb_kind *kind = ev[i].data.ptr;
            if (*kind == MB_LISTENER) {
                on_accept(s, (struct mb_listener *)kind);
                continue;
            }
            struct mb_conn *c = (struct mb_conn *)kind;
            if (c->fd < 0)
                continue; /* closed earlier in this round */
            if (ev[i].events & EPOLLOUT)
                conn_writable(s, c);
            if (c->fd >= 0 && ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
                conn_readable(s, c);
        }
        free_dead(s);
    }
    return 0;
}
