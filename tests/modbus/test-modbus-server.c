/* SPDX-License-Identifier: MIT */
/*
 * struct plc_modbus_server: a real gateway process served to libmodbus's own
 * client over loopback TCP (and RTU through a socat pty pair): every function
 * code and exception on the wire, atomic writes seen whole by concurrent
 * readers, access control, limits, bad frames, and 64 clients at once.
 */
#include <pthread.h>
#include <sys/stat.h>

#include "mb-server.h"

/* By hand: Debian 12's libmodbus 3.1.6 modbus_set_float_*() swap bytes they should not. */
static float float_of(uint16_t hi, uint16_t lo)
{
    uint32_t u = (uint32_t)hi << 16 | lo;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void words_of(float f, uint16_t *hi, uint16_t *lo)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    *hi = (uint16_t)(u >> 16);
    *lo = (uint16_t)u;
}

static void every_function_code_over_tcp(void **state)
{
    struct srv *s = srv_start(NULL, false, NULL);
    modbus_t *m = mb_client(s->port, 7);
    uint8_t bits[16];
    uint16_t regs[130];

    /* FC15, FC1, FC5 */
    const uint8_t on[10] = {1, 0, 1, 0, 0, 0, 0, 0, 0, 1};
    assert_int_equal(modbus_write_bits(m, 0, 10, on), 10);
    assert_int_equal(modbus_write_bit(m, 1, 1), 1);
    assert_int_equal(modbus_read_bits(m, 0, 10, bits), 10);
    assert_memory_equal(bits, ((uint8_t[]){1, 1, 1, 0, 0, 0, 0, 0, 0, 1}), 10);
    /* FC2 of the io's region */
    struct plc_region *in = plc_region_attach(s->f->layout, s->f->base, "inputs", PLC_WRITER,
                                              "io", NULL);
    assert_non_null(in);
    assert_int_equal(plc_region_write_tag(in, plc_layout_find_tag(s->f->layout, "di0"), 1), 0);
    assert_int_equal(plc_region_write_tag(in, plc_layout_find_tag(s->f->layout, "level"), 12.25),
                     0);
    assert_int_equal(modbus_read_input_bits(m, 0, 2, bits), 2);
    assert_true(bits[0] == 1 && bits[1] == 0);
    /* FC4: float ABCD */
    assert_int_equal(modbus_read_input_registers(m, 0, 2, regs), 2);
    assert_true(float_of(regs[0], regs[1]) == 12.25f);
    /* FC6, FC16, FC3 */
    assert_int_equal(modbus_write_register(m, 2, (uint16_t)-42), 1);
    words_of(3.5f, &regs[1], &regs[0]); /* CDAB: low word first */
    assert_int_equal(modbus_write_registers(m, 12, 2, regs), 2);
    assert_int_equal(modbus_read_registers(m, 0, 3, regs), 3);
    assert_int_equal((int16_t)regs[2], -42);
    assert_int_equal(modbus_read_registers(m, 12, 2, regs), 2);
    assert_true(float_of(regs[1], regs[0]) == 3.5f);
    /* FC23: write then read */
    uint16_t w[2] = {11, 22};
    assert_int_equal(modbus_write_and_read_registers(m, MB_BLOCK_START, 2, w, MB_BLOCK_START, 3,
                                                     regs), 3);
    assert_true(regs[0] == 11 && regs[1] == 22 && regs[2] == 0);
    /* the largest read */
    assert_int_equal(modbus_read_registers(m, MB_BLOCK_START, 125, regs), 125);
    /* the image holds what the wire said */
    double v;
    struct plc_region *p = plc_region_attach(s->f->layout, s->f->base, "parameters", PLC_READER,
                                             NULL, NULL);
    assert_int_equal(plc_region_read_tag(p, plc_layout_find_tag(s->f->layout, "p_cdab"), &v), 0);
    assert_true(v == 3.5);
    plc_region_detach(p);
    plc_region_detach(in);
    mb_close(m);
    srv_stop(s);
    (void)state;
}

/* The next record of the gateway's ring, which must be a write of @tag from @old to @new by
 * @client. */
static void expect_write_event(struct plc_event_ring *r, uint64_t *cursor, const char *tag,
                               double old, double new, const char *client)
{
    struct plc_event ev;
    if (plc_event_ring_read(r, cursor, &ev, NULL) != 1)
        fail_msg("no event for the write of '%s'", tag);
    assert_int_equal(ev.source, PLC_SOURCE_MODBUS);
    assert_int_equal(ev.kind, PLC_EVENT_MODBUS_WRITE);
    assert_int_equal(ev.severity, 5);
    assert_string_equal(ev.name, tag);
    if (ev.before != old || ev.after != new)
        fail_msg("'%s': event says %g -> %g, expected %g -> %g", tag, ev.before, ev.after, old,
                 new);
    assert_string_equal(ev.text, client);
}

/* Every tag a client's write changes is one event: tag, old and new value, the client. */
static void writes_post_one_event_per_changed_tag(void **state)
{
    (void)state;
    srv_events = true;
    struct srv *s = srv_start(NULL, false, NULL);
    srv_events = false;
    char path[256], client[48];
    plc_event_ring_path(s->f->layout, s->f->base, PLC_SOURCE_MODBUS, path, sizeof(path));
    struct plc_event_ring *r =
        plc_event_ring_open(path, PLC_READER, plc_layout_get_hash(s->f->layout), &s->f->diag);
    assert_non_null(r);
    uint64_t cursor = 0;
    modbus_t *m = mb_client(s->port, 7);
    struct sockaddr_in me;
    socklen_t len = sizeof(me);
    assert_int_equal(getsockname(modbus_get_socket(m), (struct sockaddr *)&me, &len), 0);
    snprintf(client, sizeof(client), "127.0.0.1:%u", ntohs(me.sin_port));

    /* FC06 of a parameter */
    assert_int_equal(modbus_write_register(m, 3, 1234), 1);
    /* FC16 over three tags, one left as it was: only the changed ones count */
    uint16_t regs[3] = {7, 0, 9};
    assert_int_equal(modbus_write_registers(m, MB_BLOCK_START, 3, regs), 3);
    /* the same value again changes nothing */
    assert_int_equal(modbus_write_register(m, 3, 1234), 1);
    /* FC05 of a command coil, FC16 of a float */
    assert_int_equal(modbus_write_bit(m, 2, 1), 1);
    uint16_t f[2];
    words_of(-2.5f, &f[0], &f[1]);
    assert_int_equal(modbus_write_registers(m, 10, 2, f), 2);
    /* a refused write (out of range) posts nothing */
    assert_int_equal(modbus_write_register(m, 2, 101), -1);
    /* a read posts nothing */
    assert_int_equal(modbus_read_registers(m, 3, 1, regs), 1);

    expect_write_event(r, &cursor, "px", 0, 1234, client);
    expect_write_event(r, &cursor, "blk0", 0, 7, client);
    expect_write_event(r, &cursor, "blk2", 0, 9, client);
    expect_write_event(r, &cursor, "c2", 0, 1, client);
    expect_write_event(r, &cursor, "p_abcd", 0, -2.5, client);
    struct plc_event ev;
    assert_int_equal(plc_event_ring_read(r, &cursor, &ev, NULL), 0);
    mb_close(m);
    plc_event_ring_close(r);
    srv_stop(s);
}

/* The loop turns while nobody talks to it: where plc-modbus feeds systemd's watchdog. */
static void serving_loop_turns_while_idle(void **state)
{
    (void)state;
    int p[2];
    assert_int_equal(pipe(p), 0);
    srv_loop_fd = p[1];
    struct srv *s = srv_start(NULL, false, NULL);
    srv_loop_fd = -1;
    close(p[1]);
    char buf[64];
    while (read(p[0], buf, sizeof(buf)) == sizeof(buf)) /* start-up turns */
        ;
    int turns = 0;
    uint64_t t0 = now_ns();
    while (now_ns() - t0 < 1000000000u) {
        struct pollfd pfd = {.fd = p[0], .events = POLLIN};
        if (poll(&pfd, 1, 100) == 1 && read(p[0], buf, 1) == 1)
            turns++;
    }
    assert_true(turns >= 4); /* at least every 200 ms */
    srv_stop(s);
    close(p[0]);
}

static void every_exception_over_tcp(void **state)
{
    struct srv *s = srv_start(NULL, false, NULL);
    modbus_t *m = mb_client(s->port, 7);
    uint16_t regs[4] = {0};

    /* ILLEGAL FUNCTION */
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x08, 0, 0, 0, 0}, 6), 1);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x2B, 0x0D, 0, 0}, 5), 1); /* CANopen */
    /* ILLEGAL DATA ADDRESS: unmapped, read-only, half a 32-bit value */
    assert_int_equal(modbus_read_registers(m, 4, 1, regs), -1);
    assert_int_equal(errno, EMBXILADD);
    assert_int_equal(modbus_write_register(m, 30, 1), -1);
    assert_int_equal(errno, EMBXILADD);
    assert_int_equal(modbus_write_bit(m, 100, 1), -1);
    assert_int_equal(errno, EMBXILADD);
    assert_int_equal(modbus_write_registers(m, 11, 2, regs), -1);
    assert_int_equal(errno, EMBXILADD);
    /* ILLEGAL DATA VALUE: outside min..max, bad quantities (raw: the client would refuse them) */
    assert_int_equal(modbus_write_register(m, 2, 101), -1);
    assert_int_equal(errno, EMBXILVAL);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x03, 0, 0, 0, 126}, 6), 3);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x01, 0, 0, 0x07, 0xD1}, 6), 3);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x10, 0, 0, 0, 124, 248}, 7), 3);
    /* GATEWAY TARGET: another unit id under the strict policy; 0 and 255 are us */
    modbus_set_slave(m, 9);
    assert_int_equal(modbus_read_registers(m, 0, 1, regs), -1);
    assert_int_equal(errno, EMBXGTAR);
    modbus_set_slave(m, 255);
    assert_int_equal(modbus_read_registers(m, 0, 1, regs), 1);
    /* libmodbus will not send to unit 0 and wait for a reply: raw, and the answer comes */
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){0, 0x03, 0, 0, 0, 1}, 6), 0);
    /* the stream is still in step after all that */
    modbus_set_slave(m, 7);
    assert_int_equal(modbus_read_registers(m, 0, 3, regs), 3);
    mb_close(m);
    srv_stop(s);
    (void)state;
}

static void unit_policy_any_answers_every_unit(void **state)
{
    struct srv *s = srv_start("tcp_unit_policy = any", false, NULL);
    modbus_t *m = mb_client(s->port, 9);
    uint16_t r;
    assert_int_equal(modbus_read_registers(m, 0, 1, &r), 1);
    mb_close(m);
    srv_stop(s);
    (void)state;
}

/* ---- atomicity ---- */

static uint32_t pattern(uint32_t k)
{
    return (k << 16) | (~k & 0xFFFF); /* high word and low word tell each other apart */
}

static bool pattern_ok(uint32_t v)
{
    return (v >> 16) == (~v & 0xFFFF);
}

/* A reader process of 'parameters': counts snapshots where a write is seen in part. */
static pid_t start_region_reader(struct srv *s, int stop_fd_read, struct ready *rd)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid)
        return pid;
    const struct plc_layout *l = s->f->layout;
    struct plc_region *r = plc_region_attach(l, s->f->base, "parameters", PLC_READER, NULL, NULL);
    if (!r)
        _exit(90);
    const struct plc_tag_def *a = plc_layout_find_tag(l, "pair_a"), *b = plc_layout_find_tag(l, "pair_b");
    const struct plc_tag_def *blk0 = plc_layout_find_tag(l, "blk0");
    size_t size = plc_region_get_def(r)->data_size;
    uint8_t *data = malloc(size);
    unsigned long reads = 0, torn = 0;
    fcntl(stop_fd_read, F_SETFL, O_NONBLOCK);
    ready_signal(rd);
    char c;
    while (read(stop_fd_read, &c, 1) != 1) {
        if (plc_region_read(r, data) < 0)
            _exit(91);
        uint32_t va, vb;
        memcpy(&va, data + a->offset, 4);
        memcpy(&vb, data + b->offset, 4);
        bool bad = va != vb || (va && !pattern_ok(va));
        uint16_t first;
        memcpy(&first, data + blk0->offset, 2);
        for (int i = 1; i < 100; i++) {
            uint16_t x;
            memcpy(&x, data + blk0->offset + 2 * (size_t)i, 2);
            bad |= x != first;
        }
        torn += bad;
        reads++;
    }
    /* exit 0 only with many reads and none torn */
    _exit(torn ? 1 : reads < 100 ? 2 : 0);
}

struct mb_reader_arg {
    int port;
    volatile int stop;
    unsigned long reads, torn, errors;
};

/* A Modbus client reading the same values over the wire at the same time. */
static void *modbus_reader(void *p)
{
    struct mb_reader_arg *a = p;
    modbus_t *m = mb_client(a->port, 7);
    uint16_t r[100];
    while (!a->stop) {
        if (modbus_read_registers(m, 24, 4, r) != 4) {
            a->errors++;
            continue;
        }
        uint32_t va = (uint32_t)r[0] << 16 | r[1], vb = (uint32_t)r[2] << 16 | r[3];
        a->torn += va != vb || (va && !pattern_ok(va));
        if (modbus_read_registers(m, MB_BLOCK_START, 100, r) != 100) {
            a->errors++;
            continue;
        }
        for (int i = 1; i < 100; i++)
            a->torn += r[i] != r[0];
        a->reads++;
    }
    mb_close(m);
    return NULL;
}

static void atomic_writes_seen_whole_by_concurrent_readers(void **state)
{
    struct srv *s = srv_start(NULL, false, NULL);
    int stop[2];
    struct ready rd;
    assert_int_equal(pipe(stop), 0);
    ready_open(&rd);
    pid_t reader = start_region_reader(s, stop[0], &rd);
    ready_wait(&rd);
    struct mb_reader_arg arg = {.port = s->port};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, modbus_reader, &arg), 0);

    modbus_t *m = mb_client(s->port, 7);
    uint16_t regs[100];
    for (uint32_t k = 1; k <= 3000; k++) {
        uint32_t v = pattern(k);
        uint16_t pair[4] = {(uint16_t)(v >> 16), (uint16_t)v, (uint16_t)(v >> 16), (uint16_t)v};
        assert_int_equal(modbus_write_registers(m, 24, 4, pair), 4);
        for (int i = 0; i < 100; i++)
            regs[i] = (uint16_t)k;
        assert_int_equal(modbus_write_registers(m, MB_BLOCK_START, 100, regs), 100);
    }
    mb_close(m);
    arg.stop = 1;
    pthread_join(th, NULL);
    assert_int_equal(write(stop[1], "x", 1), 1);
    int st;
    assert_int_equal(waitpid(reader, &st, 0), reader);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) == 1)
        fail_msg("the region reader saw a write in part");
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(arg.errors, 0);
    assert_int_equal(arg.torn, 0);
    assert_true(arg.reads > 0);
    close(stop[0]);
    close(stop[1]);
    srv_stop(s);
    (void)state;
}

/* ---- bad input ---- */

static void garbage_and_truncated_frames_then_correct_answers(void **state)
{
    struct srv *s = srv_start(NULL, false, NULL);
    int fds[48];
    unsigned seed = 12345;
    /* 48 connections of random bytes, MBAP headers with impossible lengths or protocol
     * ids, frames cut short (left open or closed mid-frame), and floods of pipelined
     * requests closed without reading a byte of the answers (SIGPIPE bait). */
    for (int i = 0; i < 48; i++) {
        fds[i] = mb_raw_connect(s->port);
        uint8_t buf[4096];
        size_t n = 1 + (size_t)rand_r(&seed) % 300;
        for (size_t j = 0; j < n; j++)
            buf[j] = (uint8_t)rand_r(&seed);
        switch (i % 6) {
        case 0: break; /* noise */
        case 1: buf[2] = 0x12; break; /* protocol id not 0 */
        case 2: buf[2] = buf[3] = 0; buf[4] = 0; buf[5] = (uint8_t)(i & 1); n = 7; break;
        case 3: /* a header promising more than comes */
            buf[2] = buf[3] = 0; buf[4] = 0; buf[5] = 200; n = 6 + 50; break;
        case 4: /* well framed, random PDU */
            buf[2] = buf[3] = 0; buf[4] = 0; buf[5] = 10; buf[6] = 7; n = 16; break;
        case 5: /* 200 good requests, then gone */
            for (int k = 0; k < 200; k++)
                memcpy(buf + 12 * k, (uint8_t[]){0, 1, 0, 0, 0, 6, 7, 3, 0, 0xC8, 0, 125}, 12);
            n = 2400;
            break;
        }
        assert_int_equal(write(fds[i], buf, n), (ssize_t)n);
        if (i % 2 == 1) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
    assert_true(srv_alive(s));
    /* a frame in pieces, byte by byte, and three frames in one segment */
    int fd = mb_raw_connect(s->port);
    const uint8_t one[12] = {0x12, 0x34, 0, 0, 0, 6, 7, 3, 0, 0, 0, 3};
    for (int i = 0; i < 12; i++)
        assert_int_equal(write(fd, one + i, 1), 1);
    uint8_t rsp[64];
    mb_read_full(fd, rsp, 15);
    assert_int_equal(be16(rsp), 0x1234);
    assert_int_equal(rsp[7], 3);
    uint8_t three[36];
    for (int k = 0; k < 3; k++) {
        memcpy(three + 12 * k, one, 12);
        three[12 * k + 1] = (uint8_t)k;
    }
    assert_int_equal(write(fd, three, 36), 36);
    for (int k = 0; k < 3; k++) {
        mb_read_full(fd, rsp, 15);
        assert_int_equal(be16(rsp), 0x1200 + k);
    }
    close(fd);
    /* and a normal client gets correct answers */
    modbus_t *m = mb_client(s->port, 7);
    uint16_t r[2];
    assert_int_equal(modbus_write_register(m, 0, 4242), 1);
    assert_int_equal(modbus_read_registers(m, 0, 1, r), 1);
    assert_int_equal(r[0], 4242);
    mb_close(m);
    for (int i = 0; i < 48; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    assert_true(srv_alive(s));
    srv_stop(s);
    (void)state;
}

/* A client that sends a thousand requests at once and reads only later: once the
 * socket and the connection's buffer are full the gateway stops reading it, and
 * serves the rest, in order, as the client reads. */
static void a_client_that_reads_late_gets_every_pipelined_answer(void **state)
{
    struct srv *s = srv_start(NULL, false, NULL);
    int fd = mb_raw_connect(s->port);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
    enum { N = 1000, RSP = 7 + 2 + 2 * MB_BLOCK_COUNT };
    static uint8_t req[N * 12];
    for (int k = 0; k < N; k++)
        memcpy(req + 12 * k,
               (uint8_t[]){(uint8_t)(k >> 8), (uint8_t)k, 0, 0, 0, 6, 7, 3,
                           MB_BLOCK_START >> 8, MB_BLOCK_START & 0xff, 0, MB_BLOCK_COUNT},
               12);
    assert_int_equal(write(fd, req, sizeof(req)), (ssize_t)sizeof(req));
    usleep(200000); /* long enough for the gateway to fill up and stop */
    uint8_t rsp[RSP];
    for (int k = 0; k < N; k++) {
        mb_read_full(fd, rsp, RSP);
        assert_int_equal(be16(rsp), k);
        assert_int_equal(be16(rsp + 4), RSP - 6);
        assert_int_equal(rsp[7], 3);
    }
    close(fd);
    assert_true(srv_alive(s));
    srv_stop(s);
    (void)state;
}

static void bad_frames_of_one_client_delay_no_other(void **state)
{
    struct srv *s = srv_start(NULL, false, NULL);
    /* A: 50 requests of a bad quantity (libmodbus's modbus_reply() would sleep its
     * 0.5 s response timeout on each: 25 s), then a frame cut short and left open. */
    int a = mb_raw_connect(s->port);
    uint8_t bad[50 * 12 + 9];
    for (int k = 0; k < 50; k++)
        memcpy(bad + 12 * k, (uint8_t[]){0, (uint8_t)k, 0, 0, 0, 6, 7, 3, 0, 0, 0, 200}, 12);
    memcpy(bad + 600, (uint8_t[]){0, 99, 0, 0, 0, 6, 7, 3, 0}, 9);
    assert_int_equal(write(a, bad, sizeof(bad)), (ssize_t)sizeof(bad));
    /* B, with a 2 s response timeout (a bound on failure, not a measurement): 20 answers */
    modbus_t *m = mb_client(s->port, 7);
    modbus_set_response_timeout(m, 2, 0);
    uint16_t r[3];
    for (int i = 0; i < 20; i++)
        assert_int_equal(modbus_read_registers(m, 0, 3, r), 3);
    /* A got its 50 exceptions, and its cut frame is still waiting for the rest */
    uint8_t rsp[9];
    for (int k = 0; k < 50; k++) {
        mb_read_full(a, rsp, 9);
        assert_int_equal(rsp[1], k);
        assert_int_equal(rsp[7], 0x83);
        assert_int_equal(rsp[8], 3);
    }
    assert_int_equal(write(a, (uint8_t[]){0, 0, 3}, 3), 3);
    uint8_t ok[15];
    mb_read_full(a, ok, 15);
    assert_int_equal(ok[1], 99);
    assert_int_equal(ok[7], 3);
    close(a);
    mb_close(m);
    srv_stop(s);
    (void)state;
}

/* ---- access control and limits ---- */

static int local_port(int fd)
{
    struct sockaddr_in a;
    socklen_t l = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &l), 0);
    return ntohs(a.sin_port);
}

/* Connect (the kernel completes the handshake before any accept()) and expect the
 * gateway to drop us unread: a reset or an end of stream, never an answer. */
static int refused_client(int port)
{
    int fd = mb_raw_connect(port);
    const uint8_t req[12] = {0, 1, 0, 0, 0, 6, 7, 3, 0, 0, 0, 1};
    uint8_t rsp[16];
    (void)!write(fd, req, sizeof(req)); /* may already fail with ECONNRESET */
    ssize_t n = read(fd, rsp, sizeof(rsp));
    if (n > 0)
        fail_msg("a refused client got %zd bytes of answer", n);
    return fd;
}

static void allowlist_refuses_at_accept_and_logs_the_peer(void **state)
{
    struct srv *s = srv_start("allow = 10.0.0.0/8, fd00::/8", false, NULL);
    int fd = refused_client(s->port);
    char want[96];
    snprintf(want, sizeof(want), "tcp: refused 127.0.0.1:%d on 127.0.0.1:%d: not in the allow list",
             local_port(fd), s->port);
    srv_log_wait(s, want);
    close(fd);
    srv_stop(s);

    s = srv_start("allow = 10.0.0.0/8 127.0.0.0/8", false, NULL);
    modbus_t *m = mb_client(s->port, 7);
    uint16_t r;
    assert_int_equal(modbus_read_registers(m, 0, 1, &r), 1);
    mb_close(m);
    srv_stop(s);
    (void)state;
}

static void read_only_listener_reads_and_refuses_writes(void **state)
{
    struct srv *s = srv_start(NULL, true, NULL);
    assert_true(s->ro_port > 0);
    modbus_t *ro = mb_client(s->ro_port, 7), *rw = mb_client(s->port, 7);
    uint16_t r[2];
    assert_int_equal(modbus_write_register(ro, 0, 5), -1);
    assert_int_equal(errno, EMBXILADD);
    assert_int_equal(modbus_write_bit(ro, 0, 1), -1);
    assert_int_equal(errno, EMBXILADD);
    assert_int_equal(modbus_write_register(rw, 0, 6), 1);
    assert_int_equal(modbus_read_registers(ro, 0, 1, r), 1);
    assert_int_equal(r[0], 6);
    srv_log_wait(s, "(read-only)");
    mb_close(ro);
    mb_close(rw);
    srv_stop(s);

    /* allow_write: clients outside it read only */
    s = srv_start("allow_write = 10.0.0.0/8", false, NULL);
    rw = mb_client(s->port, 7);
    assert_int_equal(modbus_write_register(rw, 0, 5), -1);
    assert_int_equal(errno, EMBXILADD);
    assert_int_equal(modbus_read_registers(rw, 0, 1, r), 1);
    mb_close(rw);
    srv_stop(s);
    (void)state;
}

static void connection_limit_refuses_the_one_too_many(void **state)
{
    struct srv *s = srv_start("max_connections = 4", false, NULL);
    modbus_t *c[4];
    uint16_t r;
    for (int i = 0; i < 4; i++) {
        c[i] = mb_client(s->port, 7);
        assert_int_equal(modbus_read_registers(c[i], 0, 1, &r), 1);
    }
    int fd = refused_client(s->port);
    char want[96];
    snprintf(want, sizeof(want), "refused 127.0.0.1:%d", local_port(fd));
    const char *line = srv_log_wait(s, want);
    assert_non_null(strstr(line, "4 connections open, the max_connections limit"));
    close(fd);
    /* closing one makes room */
    mb_close(c[0]);
    srv_log_wait(s, "closed by the client");
    c[0] = mb_client(s->port, 7);
    assert_int_equal(modbus_read_registers(c[0], 0, 1, &r), 1);
    for (int i = 0; i < 4; i++)
        mb_close(c[i]);
    srv_stop(s);
    (void)state;
}

static void out_of_descriptors_waits_for_a_close_then_serves(void **state)
{
    srv_spare_fds = 2;
    struct srv *s = srv_start(NULL, false, NULL);
    srv_spare_fds = 0;
    modbus_t *c[3];
    uint16_t r;
    for (int i = 0; i < 2; i++) {
        c[i] = mb_client(s->port, 7);
        assert_int_equal(modbus_read_registers(c[i], 0, 1, &r), 1);
    }
    /* the third waits in the backlog: accept() has no descriptor to give it */
    c[2] = mb_client(s->port, 7);
    assert_true(modbus_send_raw_request(c[2], (uint8_t[]){7, 0x03, 0, 0, 0, 1}, 6) > 0);
    srv_log_wait(s, "out of file descriptors with 2 connections");
    /* the gateway still serves the others, and takes the third once one leaves */
    assert_int_equal(modbus_read_registers(c[1], 0, 1, &r), 1);
    mb_close(c[0]);
    uint8_t rsp[MODBUS_TCP_MAX_ADU_LENGTH];
    assert_int_equal(modbus_receive_confirmation(c[2], rsp), 11);
    assert_int_equal(modbus_read_registers(c[2], 0, 1, &r), 1);
    mb_close(c[1]);
    mb_close(c[2]);
    srv_stop(s);
    (void)state;
}

static void idle_clients_are_closed(void **state)
{
    struct srv *s = srv_start("idle_timeout = 50ms", false, NULL);
    modbus_t *m = mb_client(s->port, 7);
    uint16_t r;
    assert_int_equal(modbus_read_registers(m, 0, 1, &r), 1);
    srv_log_wait(s, "idle for longer than idle_timeout");
    assert_int_equal(modbus_read_registers(m, 0, 1, &r), -1);
    mb_close(m);
    srv_stop(s);
    (void)state;
}

/* ---- load ---- */

struct load_arg {
    int port, id;
    unsigned long ok, errors;
};

static void *load_client(void *p)
{
    struct load_arg *a = p;
    modbus_t *m = mb_client(a->port, 7);
    uint16_t regs[125];
    for (uint16_t k = 1; k <= 300; k++) {
        /* each client owns one block register: it must read back what it wrote */
        if (modbus_write_register(m, MB_BLOCK_START + a->id, k) != 1) {
            a->errors++;
            continue;
        }
        if (modbus_read_registers(m, MB_BLOCK_START, 125, regs) != 125 || regs[a->id] != k) {
            a->errors++;
            continue;
        }
        if (k % 10 == 0) {
            uint32_t v = pattern(k);
            uint16_t pair[4] = {(uint16_t)(v >> 16), (uint16_t)v, (uint16_t)(v >> 16), (uint16_t)v};
            if (modbus_write_registers(m, 24, 4, pair) != 4 ||
                modbus_read_registers(m, 24, 4, pair) != 4 || pair[0] != pair[2] ||
                pair[1] != pair[3]) {
                a->errors++;
                continue;
            }
        }
        a->ok++;
    }
    mb_close(m);
    return NULL;
}

static void sixty_four_clients_mixed_reads_and_writes_without_error(void **state)
{
    struct srv *s = srv_start(NULL, false, NULL);
    pthread_t th[64];
    struct load_arg arg[64];
    for (int i = 0; i < 64; i++) {
        arg[i] = (struct load_arg){.port = s->port, .id = i};
        assert_int_equal(pthread_create(&th[i], NULL, load_client, &arg[i]), 0);
    }
    unsigned long ok = 0, errors = 0;
    for (int i = 0; i < 64; i++) {
        pthread_join(th[i], NULL);
        ok += arg[i].ok;
        errors += arg[i].errors;
    }
    assert_int_equal(errors, 0);
    assert_int_equal(ok, 64 * 300);
    srv_stop(s);
    (void)state;
}

/* ---- RTU ---- */

static void rtu_through_a_pty_pair(void **state)
{
    struct mb_pty pty;
    mb_pty_open(&pty);
    struct srv *s = srv_start(MB_RTU_KEYS, false, pty.gw);
    modbus_t *m = mb_rtu_client(&pty, 7);
    uint16_t r[4];
    uint16_t w[2] = {300, 301};
    assert_int_equal(modbus_write_registers(m, MB_BLOCK_START, 2, w), 2);
    assert_int_equal(modbus_read_registers(m, MB_BLOCK_START, 2, r), 2);
    assert_true(r[0] == 300 && r[1] == 301);
    assert_int_equal(modbus_write_register(m, 2, 500), -1);
    assert_int_equal(errno, EMBXILVAL);
    assert_int_equal(modbus_read_registers(m, 5, 1, r), -1);
    assert_int_equal(errno, EMBXILADD);
    /* an unknown function, cut by silence, still gets ILLEGAL FUNCTION */
    uint8_t raw[] = {7, 0x41};
    uint8_t rsp[MODBUS_RTU_MAX_ADU_LENGTH];
    assert_true(modbus_send_raw_request(m, raw, 2) > 0);
    assert_int_equal(modbus_receive_confirmation(m, rsp), 5); /* unit, 0xC1, 01, CRC */
    assert_int_equal(rsp[0], 7);
    assert_int_equal(rsp[1], 0xC1);
    assert_int_equal(rsp[2], 0x01);
    /* a broadcast is carried out and never answered */
    assert_true(modbus_send_raw_request(m, (uint8_t[]){0, 0x06, 0, 0, 0, 77}, 6) > 0);
    /* another unit is ignored: no answer (the short timeout bounds a wait for nothing) */
    modbus_set_slave(m, 5);
    modbus_set_response_timeout(m, 0, 300000);
    assert_int_equal(modbus_read_registers(m, 0, 1, r), -1);
    assert_int_equal(errno, ETIMEDOUT);
    modbus_set_slave(m, 7);
    modbus_set_response_timeout(m, 5, 0);
    modbus_flush(m);
    assert_int_equal(modbus_read_registers(m, 0, 1, r), 1);
    assert_int_equal(r[0], 77);
    /* TCP at the same time */
    modbus_t *t = mb_client(s->port, 7);
    assert_int_equal(modbus_read_registers(t, MB_BLOCK_START, 2, r), 2);
    assert_int_equal(r[1], 301);
    mb_close(t);
    modbus_close(m);
    modbus_free(m);
    srv_stop(s);
    mb_pty_close(&pty);
    (void)state;
}

/* ---- start-up failures, each named ---- */

static struct plc_modbus_server *try_new(struct fixture *f, int port, const char *rtu,
                                         struct plc_diag *d)
{
    struct plc_modbus_server_config cfg = {.layout = f->layout, .base_dir = f->base,
                                           .listen_port = port, .read_only_port = -1,
                                           .rtu_device = rtu};
    return plc_modbus_server_new(&cfg, d);
}

static void start_up_failures_name_what_and_where(void **state)
{
    char *text = mb_layout_text("rtu_device = /dev/null\nrtu_rs485 = on");
    struct fixture *f = fixture_new(text);
    free(text);
    fixture_init(f);
    struct plc_diag d;
    char want[256];

    /* the port is taken */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 1), 0);
    getsockname(fd, (struct sockaddr *)&a, &al);
    assert_null(try_new(f, ntohs(a.sin_port), "", &d));
    assert_int_equal(errno, EADDRINUSE);
    snprintf(want, sizeof(want), "cannot listen on 127.0.0.1:%d: Address already in use",
             ntohs(a.sin_port));
    assert_string_equal(d.msg, want);
    close(fd);

    /* no such serial port */
    assert_null(try_new(f, 0, "/dev/plc-no-such-tty", &d));
    assert_string_equal(d.msg, "rtu: cannot open it on '/dev/plc-no-such-tty': No such file or "
                               "directory");
    /* RS-485 mode asked of a port that has none (a pseudo-terminal) */
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    char slave[64];
    snprintf(slave, sizeof(slave), "%s", ptsname(master));
    assert_null(try_new(f, 0, slave, &d));
#if PLC_TEST_EMULATED
    const int no_rs485 = ENOSYS; /* qemu-user does not emulate TIOCSRS485 */
#else
    const int no_rs485 = ENOTTY;
#endif
    snprintf(want, sizeof(want), "rtu: cannot switch it to RS-485 mode on '%s': %s", slave,
             strerror(no_rs485));
    assert_string_equal(d.msg, want);
    close(master);

    /* and after all that, the regions are free for a gateway that starts */
    struct plc_modbus_server *s = try_new(f, 0, "", &d);
    if (!s)
        fail_msg("%s", d.msg);
    plc_modbus_server_free(s);
    fixture_free(f);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_function_code_over_tcp),
        cmocka_unit_test(every_exception_over_tcp),
        cmocka_unit_test(writes_post_one_event_per_changed_tag),
        cmocka_unit_test(serving_loop_turns_while_idle),
        cmocka_unit_test(unit_policy_any_answers_every_unit),
        cmocka_unit_test(atomic_writes_seen_whole_by_concurrent_readers),
        cmocka_unit_test(garbage_and_truncated_frames_then_correct_answers),
        cmocka_unit_test(a_client_that_reads_late_gets_every_pipelined_answer),
        cmocka_unit_test(bad_frames_of_one_client_delay_no_other),
        cmocka_unit_test(allowlist_refuses_at_accept_and_logs_the_peer),
        cmocka_unit_test(read_only_listener_reads_and_refuses_writes),
        cmocka_unit_test(connection_limit_refuses_the_one_too_many),
        cmocka_unit_test(out_of_descriptors_waits_for_a_close_then_serves),
        cmocka_unit_test(idle_clients_are_closed),
        cmocka_unit_test(sixty_four_clients_mixed_reads_and_writes_without_error),
        cmocka_unit_test(rtu_through_a_pty_pair),
        cmocka_unit_test(start_up_failures_name_what_and_where),
    };
    if (getenv("TEST_FILTER")) /* run one case: TEST_FILTER=rtu_* */
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
