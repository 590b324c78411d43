/* SPDX-License-Identifier: MIT */
/*
 * Function codes 17 (report server id), 22 (mask write register) and 43/14 (read
 * device identification), RTU frames of the wrong length, and the debug log of
 * refused requests: a real gateway process serving libmodbus clients over
 * loopback TCP and over RTU through a socat pty pair, both in every case.
 * Each case keeps what it started in its state, so teardown stops the gateway
 * and socat by their pids even when an assertion fails half-way.
 */
#include "internal.h"
#include "mb-server.h"

struct fc {
    struct srv *s;
    struct mb_pty pty;
    modbus_t *m[2]; /* TCP, RTU */
    pid_t logic;    /* a stand-in for plc-logic, or 0 */
    int logic_cmd, logic_ack;
};

static const char *const transport[2] = {"tcp", "rtu"};

static int fc_setup(void **state)
{
    *state = calloc(1, sizeof(struct fc));
    return *state ? 0 : -1;
}

static int fc_teardown(void **state)
{
    struct fc *t = *state;
    for (int i = 0; i < 2; i++)
        if (t->m[i])
            mb_close(t->m[i]);
    if (t->logic > 0) {
        kill(t->logic, SIGKILL);
        waitpid(t->logic, NULL, 0);
        close(t->logic_cmd);
        close(t->logic_ack);
    }
    if (t->s)
        srv_stop(t->s);
    mb_pty_close(&t->pty);
    free(t);
    return 0;
}

/* The gateway on TCP and RTU, and a libmodbus client of each for unit 7. */
static struct fc *fc_start(void **state)
{
    struct fc *t = *state;
    mb_pty_open(&t->pty);
    t->s = srv_start(MB_RTU_KEYS, false, t->pty.gw);
    t->m[0] = mb_client(t->s->port, 7);
    t->m[1] = mb_rtu_client(&t->pty, 7);
    return t;
}

/* A raw request (unit first) and the answer's PDU, read off the wire by hand:
 * libmodbus 3.1 cannot frame an FC43 answer. Returns the PDU's length. */
static size_t raw_pdu(modbus_t *m, bool rtu, const uint8_t *req, int len, uint8_t *pdu)
{
    int fd = modbus_get_socket(m);
    uint8_t b[MODBUS_MAX_ADU_LENGTH];
    assert_true(modbus_send_raw_request(m, req, len) > 0);
    if (!rtu) { /* MBAP: the header says how long */
        mb_read_full(fd, b, 7);
        assert_int_equal(b[6], req[0]);
        size_t n = be16(b + 4) - 1u;
        mb_read_full(fd, pdu, n);
        return n;
    }
    size_t n = 2; /* unit, function, then as the function says; the CRC last */
    mb_read_full(fd, b, 2);
    assert_int_equal(b[0], req[0]);
    if (b[1] & 0x80) {
        mb_read_full(fd, b + n, 1);
        n += 1;
    } else {
        assert_int_equal(b[1], 0x2B);
        mb_read_full(fd, b + n, 6);
        n += 6;
        for (unsigned k = 0; k < b[7]; k++) {
            mb_read_full(fd, b + n, 2);
            mb_read_full(fd, b + n + 2, b[n + 1]);
            n += 2u + b[n + 1];
        }
    }
    mb_read_full(fd, b + n, 2);
    memcpy(pdu, b + 1, n - 1);
    return n - 1;
}

/* ---- FC22 ---- */

static void mask_write_register_over_tcp_and_rtu(void **state)
{
    struct fc *t = fc_start(state);
    uint16_t r[2];
    for (int i = 0; i < 2; i++) {
        modbus_t *m = t->m[i];
        print_message("%s\n", transport[i]);
        /* the specification's example: 0x12 AND 0xF2 OR 0x25 is 0x17 */
        assert_int_equal(modbus_write_register(m, 3, 0x12), 1);
        assert_int_equal(modbus_mask_write_register(m, 3, 0xF2, 0x25), 1);
        assert_int_equal(modbus_read_registers(m, 3, 1, r), 1);
        assert_int_equal(r[0], 0x17);
        /* refused as FC06 would be: half of a float, a tag of the logic, out of range */
        assert_int_equal(modbus_mask_write_register(m, 10, 0, 1), -1);
        assert_int_equal(errno, EMBXILADD);
        assert_int_equal(modbus_mask_write_register(m, 30, 0, 1), -1);
        assert_int_equal(errno, EMBXILADD);
        assert_int_equal(modbus_mask_write_register(m, 2, 0, 101), -1);
        assert_int_equal(errno, EMBXILVAL);
        /* malformed: short, and one byte too many */
        assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x16, 0, 3, 0xFF, 0xFF}, 6), 3);
        assert_int_equal(
            mb_raw_exception(m, (uint8_t[]){7, 0x16, 0, 3, 0, 0, 0, 1, 0}, 9), 3);
        assert_int_equal(modbus_read_registers(m, 2, 2, r), 2);
        assert_true(r[0] == 0 && r[1] == 0x17);
    }
}

/* ---- FC17 ---- */

/* A stand-in for plc-logic: writes the logic's regions (a heartbeat every 10 ms) and
 * sets fault_state to what the test sends ('1' or '0'), answering each once done. */
static void logic_start(struct fc *t)
{
    int cmd[2], ack[2];
    assert_int_equal(pipe(cmd), 0);
    assert_int_equal(pipe(ack), 0);
    t->logic = fork();
    assert_true(t->logic >= 0);
    if (t->logic) {
        close(cmd[0]);
        close(ack[1]);
        t->logic_cmd = cmd[1];
        t->logic_ack = ack[0];
        char c;
        assert_int_equal(read(t->logic_ack, &c, 1), 1); /* attached: ready */
        return;
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(cmd[1]);
    close(ack[0]);
    const struct plc_layout *l = t->s->f->layout;
    static const char *const mine[3] = {"outputs", "status", "diagnostics"};
    struct plc_region *r[3];
    for (int k = 0; k < 3; k++)
        if (!(r[k] = plc_region_attach(l, t->s->f->base, mine[k], PLC_WRITER, "logic", NULL)))
            _exit(90);
    const struct plc_tag_def *fault_state = plc_layout_find_tag(l, "fault_state");
    char c = 'R';
    for (;;) {
        for (int k = 0; k < 3; k++)
            plc_region_heartbeat(r[k]);
        if (c && write(ack[1], &c, 1) != 1)
            _exit(91);
        c = 0;
        struct pollfd p = {.fd = cmd[0], .events = POLLIN};
        if (poll(&p, 1, 10) == 1) {
            if (read(cmd[0], &c, 1) != 1)
                _exit(0); /* the test is gone */
            plc_region_write_tag(r[2], fault_state, c == '1');
        }
    }
}

static void logic_fault(struct fc *t, char state)
{
    char c;
    assert_int_equal(write(t->logic_cmd, &state, 1), 1);
    assert_int_equal(read(t->logic_ack, &c, 1), 1);
}

/* FC17's answer over @m: the run indicator, after checking the server id and id string. */
static int run_indicator(modbus_t *m)
{
    uint8_t id[MODBUS_MAX_PDU_LENGTH];
    char want[96];
    int n = snprintf(want, sizeof(want), "RaspiPLC %s mbtest v1", RASPIPLC_VERSION);
    assert_int_equal(modbus_report_slave_id(m, sizeof(id), id), 2 + n);
    assert_int_equal(id[0], 7); /* the server id is the unit id */
    assert_memory_equal(id + 2, want, (size_t)n);
    return id[1];
}

static void report_server_id_says_whether_the_logic_runs(void **state)
{
    struct fc *t = fc_start(state);
    /* nobody writes the logic's regions */
    for (int i = 0; i < 2; i++)
        assert_int_equal(run_indicator(t->m[i]), 0x00);
    /* a writer of each, alive and writing: running */
    logic_start(t);
    for (int i = 0; i < 2; i++)
        assert_int_equal(run_indicator(t->m[i]), 0xFF);
    /* faulted: the regions stay alive (the outputs at their safe values), fault_state 1 */
    logic_fault(t, '1');
    for (int i = 0; i < 2; i++)
        assert_int_equal(run_indicator(t->m[i]), 0x00);
    logic_fault(t, '0');
    assert_int_equal(run_indicator(t->m[0]), 0xFF);
    /* dead */
    assert_int_equal(kill(t->logic, SIGKILL), 0);
    assert_int_equal(waitpid(t->logic, NULL, 0), t->logic);
    t->logic = 0;
    close(t->logic_cmd);
    close(t->logic_ack);
    for (int i = 0; i < 2; i++)
        assert_int_equal(run_indicator(t->m[i]), 0x00);
    /* a request with data is of the wrong length */
    for (int i = 0; i < 2; i++)
        assert_int_equal(mb_raw_exception(t->m[i], (uint8_t[]){7, 0x11, 0x00}, 3), 3);
}

/* ---- FC43/14 ---- */

/* The answer PDU FC43/14 should give: header, then the objects @ids (-1 ends). */
static size_t ident_pdu(uint8_t *p, uint8_t code, const int *ids)
{
    static const char *const value[7] = {"RaspiPLC", "plc-modbus", RASPIPLC_VERSION, NULL,
                                         "RaspiPLC soft-PLC", NULL, "mbtest v1"};
    size_t n = 7;
    memcpy(p, (uint8_t[]){0x2B, 0x0E, code, 0x82, 0x00, 0x00, 0}, 7);
    for (; *ids >= 0; ids++) {
        size_t len = strlen(value[*ids]);
        p[n++] = (uint8_t)*ids;
        p[n++] = (uint8_t)len;
        memcpy(p + n, value[*ids], len);
        n += len;
        p[6]++;
    }
    return n;
}

static void expect_ident(modbus_t *m, bool rtu, uint8_t code, uint8_t object, const int *ids)
{
    uint8_t got[MODBUS_MAX_PDU_LENGTH], want[MODBUS_MAX_PDU_LENGTH];
    size_t n = raw_pdu(m, rtu, (uint8_t[]){7, 0x2B, 0x0E, code, object}, 5, got);
    size_t w = ident_pdu(want, code, ids);
    assert_int_equal(n, w);
    assert_memory_equal(got, want, w);
}

static void expect_ident_exception(modbus_t *m, bool rtu, const uint8_t *req, int len,
                                   uint8_t code)
{
    uint8_t got[MODBUS_MAX_PDU_LENGTH];
    assert_int_equal(raw_pdu(m, rtu, req, len, got), 2);
    assert_int_equal(got[0], 0xAB);
    assert_int_equal(got[1], code);
}

static void read_device_identification_over_tcp_and_rtu(void **state)
{
    struct fc *t = fc_start(state);
    for (int i = 0; i < 2; i++) {
        modbus_t *m = t->m[i];
        bool rtu = i == 1;
        print_message("%s\n", transport[i]);
        /* streams: basic (01), regular (02), extended (03) as regular; from an object on */
        expect_ident(m, rtu, 1, 0, (int[]){0, 1, 2, -1});
        expect_ident(m, rtu, 2, 0, (int[]){0, 1, 2, 4, 6, -1});
        expect_ident(m, rtu, 3, 0, (int[]){0, 1, 2, 4, 6, -1});
        expect_ident(m, rtu, 1, 1, (int[]){1, 2, -1});
        expect_ident(m, rtu, 2, 4, (int[]){4, 6, -1});
        /* a stream from an object it does not hold starts over at 0 */
        expect_ident(m, rtu, 1, 4, (int[]){0, 1, 2, -1});
        expect_ident(m, rtu, 2, 3, (int[]){0, 1, 2, 4, 6, -1});
        expect_ident(m, rtu, 2, 0x80, (int[]){0, 1, 2, 4, 6, -1});
        /* one object (04) */
        expect_ident(m, rtu, 4, 6, (int[]){6, -1});
        expect_ident(m, rtu, 4, 0, (int[]){0, -1});
        /* an unknown object is ILLEGAL DATA ADDRESS, a bad code ILLEGAL DATA VALUE */
        expect_ident_exception(m, rtu, (uint8_t[]){7, 0x2B, 0x0E, 4, 0x03}, 5, 2);
        expect_ident_exception(m, rtu, (uint8_t[]){7, 0x2B, 0x0E, 4, 0x80}, 5, 2);
        expect_ident_exception(m, rtu, (uint8_t[]){7, 0x2B, 0x0E, 0, 0}, 5, 3);
        expect_ident_exception(m, rtu, (uint8_t[]){7, 0x2B, 0x0E, 5, 0}, 5, 3);
        /* malformed: short, long; another MEI type is not served */
        expect_ident_exception(m, rtu, (uint8_t[]){7, 0x2B, 0x0E, 1}, 4, 3);
        expect_ident_exception(m, rtu, (uint8_t[]){7, 0x2B, 0x0E, 1, 0, 0}, 6, 3);
        expect_ident_exception(m, rtu, (uint8_t[]){7, 0x2B, 0x0D, 0, 0}, 5, 1);
    }
}

/* Objects that do not fit one answer come in the next, from where it stopped. None of
 * the gateway's fill one (they are short), so the stream is cut shorter by hand. */
static void device_identification_continues_where_an_answer_is_full(void **state)
{
    char *text = mb_layout_text(NULL);
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load_string(text, "t.ini", &d);
    free(text);
    assert_non_null(l);
    struct mb_ident id;
    mb_ident_init(&id, l);
    uint8_t rsp[PLC_MODBUS_PDU_MAX], want[PLC_MODBUS_PDU_MAX];
    size_t n, room = ident_pdu(want, 2, (int[]){0, 1, -1}) + 2; /* not room for object 2 */
    assert_int_equal(mb_ident_read_device_id(&id, (uint8_t[]){0x2B, 0x0E, 2, 0}, 4, room, rsp,
                                             &n), 0);
    want[4] = 0xFF; /* more follows, from object 2 */
    want[5] = 0x02;
    assert_int_equal(n, room - 2);
    assert_memory_equal(rsp, want, n);
    assert_int_equal(mb_ident_read_device_id(&id, (uint8_t[]){0x2B, 0x0E, 2, 2}, 4,
                                             PLC_MODBUS_PDU_MAX, rsp, &n), 0);
    assert_int_equal(n, ident_pdu(want, 2, (int[]){2, 4, 6, -1}));
    assert_memory_equal(rsp, want, n);
    plc_layout_free(l);
    (void)state;
}

/* ---- RTU frames of the wrong length ---- */

static void rtu_frame_of_the_wrong_length_is_illegal_data_value(void **state)
{
    struct fc *t = fc_start(state);
    modbus_t *m = t->m[1];
    /* The CRC holds over every byte up to the silence, but the length does not fit the
     * function: a byte count short of the data, past the data, a byte too many or too
     * few. Each is answered once, with ILLEGAL DATA VALUE, and writes nothing. */
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x10, 0, 200, 0, 2, 3, 0, 1, 0, 2}, 11),
                     3);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x10, 0, 200, 0, 2, 5, 0, 1, 0, 2}, 11),
                     3);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x0F, 0, 0, 0, 8, 2, 0xFF}, 8), 3);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x06, 0, 3, 0, 1, 0xFF}, 7), 3);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x03, 0, 3, 0}, 5), 3);
    assert_int_equal(mb_raw_exception(m, (uint8_t[]){7, 0x17, 0, 3, 0, 1, 0, 200, 0, 1, 2, 0, 9,
                                                     0}, 14), 3);
    uint16_t r[2];
    uint8_t bits[8];
    assert_int_equal(modbus_read_registers(m, MB_BLOCK_START, 2, r), 2);
    assert_true(r[0] == 0 && r[1] == 0);
    assert_int_equal(modbus_read_registers(m, 3, 1, r), 1);
    assert_int_equal(r[0], 0);
    assert_int_equal(modbus_read_bits(m, 0, 8, bits), 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(bits[i], 0);
    /* a bad CRC is still dropped, unanswered: the next request gets its own answer */
    uint8_t bad[] = {7, 0x06, 0, 3, 0, 9, 0x12, 0x34};
    assert_int_equal(write(modbus_get_socket(m), bad, sizeof(bad)), (ssize_t)sizeof(bad));
    srv_log_wait(t->s, "rtu: dropped 8 bytes that made no frame (bad CRC)");
    assert_int_equal(modbus_read_registers(m, 3, 1, r), 1);
    assert_int_equal(r[0], 0);
}

/* ---- the debug log of refused requests ---- */

static void refused_requests_are_logged_with_function_address_quantity_and_peer(void **state)
{
    struct fc *t = fc_start(state);
    uint16_t r[4] = {0};
    char want[256];
    int fd = modbus_get_socket(t->m[0]);
    struct sockaddr_in a;
    socklen_t al = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    assert_int_equal(modbus_read_registers(t->m[0], 4, 1, r), -1);
    snprintf(want, sizeof(want), "<7> tcp: refused 127.0.0.1:%d unit 7: function 0x03 address 4 "
             "quantity 1: exception 02 illegal data address", ntohs(a.sin_port));
    srv_log_wait(t->s, want);
    assert_int_equal(modbus_write_and_read_registers(t->m[0], 3, 1, r, 4, 1, r), -1);
    srv_log_wait(t->s, "function 0x17 read address 4 quantity 1 write address 3 quantity 1: "
                       "exception 02 illegal data address");
    modbus_set_slave(t->m[0], 9);
    assert_int_equal(modbus_read_registers(t->m[0], 0, 1, r), -1);
    srv_log_wait(t->s, "unit 9: function 0x03 address 0 quantity 1: exception 0B gateway target "
                       "device failed to respond");
    assert_int_equal(modbus_write_register(t->m[1], 2, 500), -1);
    snprintf(want, sizeof(want), "<7> rtu: refused %s unit 7: function 0x06 address 2 quantity 1: "
             "exception 03 illegal data value", t->pty.gw);
    srv_log_wait(t->s, want);

    /* A flood is counted, not logged line by line: 150 refused requests in one segment,
     * served in one turn of the loop; every one is either logged or counted. */
    int raw = mb_raw_connect(t->s->port);
    uint8_t flood[150 * 12], rsp[150 * 9];
    for (int k = 0; k < 150; k++)
        memcpy(flood + 12 * k, (uint8_t[]){0, (uint8_t)k, 0, 0, 0, 6, 7, 3, 0, 4, 0, 1}, 12);
    assert_int_equal(write(raw, flood, sizeof(flood)), (ssize_t)sizeof(flood));
    mb_read_full(raw, rsp, sizeof(rsp));
    close(raw);
    const char *line = srv_log_wait(t->s, " more refused requests not logged (at most 10 a "
                                          "second are)");
    while (line > t->s->log && line[-1] != '\n')
        line--;
    unsigned long unlogged = 0, logged = 0;
    assert_int_equal(sscanf(line, "<7> %lu more", &unlogged), 1);
    for (const char *p = t->s->log; (p = strstr(p, "function 0x03 address 4 quantity 1")); p++)
        logged++;
    assert_int_equal(logged + unlogged, 1 + 150);
}

/* Refused requests cost no formatting when debug lines are not wanted. */
static void refused_requests_are_not_logged_below_debug(void **state)
{
    struct fc *t = *state;
    srv_log_priority = PLC_LOG_INFO;
    t->s = srv_start(NULL, false, NULL);
    srv_log_priority = 0;
    t->m[0] = mb_client(t->s->port, 7);
    uint16_t r;
    assert_int_equal(modbus_read_registers(t->m[0], 4, 1, &r), -1);
    mb_close(t->m[0]);
    t->m[0] = NULL;
    /* the close comes after the refusal; by then its line would be there */
    srv_log_wait(t->s, "closed by the client");
    assert_null(strstr(t->s->log, "refused"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fc_setup, fc_teardown)
    const struct CMUnitTest tests[] = {
        T(mask_write_register_over_tcp_and_rtu),
        T(report_server_id_says_whether_the_logic_runs),
        T(read_device_identification_over_tcp_and_rtu),
        cmocka_unit_test(device_identification_continues_where_an_answer_is_full),
        T(rtu_frame_of_the_wrong_length_is_illegal_data_value),
        T(refused_requests_are_logged_with_function_address_quantity_and_peer),
        T(refused_requests_are_not_logged_below_debug),
    };
    if (getenv("TEST_FILTER")) /* run one case: TEST_FILTER=rtu_* */
        cmocka_set_test_filter(getenv("TEST_FILTER"));
    return cmocka_run_group_tests(tests, NULL, NULL);
}
