/* SPDX-License-Identifier: MIT */
/*
 * struct plc_web through its header: what plc_web_new() refuses and how it
 * says so, the free port it picks, and a tag whose region plc-shm-init has
 * not made yet answered as null rather than as an error; the views before
 * anything runs, and for a layout without diagnostics or alarms.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "plc-web.h"

struct fixture {
    struct plc_layout *layout;
    char base[64];
    struct plc_web_config cfg;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    struct plc_diag diag;
    assert_non_null(f);
    f->layout = plc_layout_load(PLC_TEST_LAYOUT, &diag);
    assert_non_null(f->layout);
    strcpy(f->base, "/tmp/test-web-XXXXXX");
    assert_non_null(mkdtemp(f->base));
    f->cfg = (struct plc_web_config){.listen = "127.0.0.1:0",
                                     .timeout_s = 2,
                                     .max_connections = 8,
                                     .poll_ms = 10,
                                     .max_body = 1024};
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    rmdir(f->base); /* nothing is made in it: plc-web only reads */
    plc_layout_free(f->layout);
    free(f);
    return 0;
}

/* GET @p path on @p port; the whole answer (head and body) into @p buf. */
static void http_get(uint16_t port, const char *path, char *buf, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    char req[256];
    int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", path);
    assert_int_equal(write(fd, req, (size_t)n), n);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < len && (r = read(fd, buf + got, len - 1 - got)) > 0)
        got += (size_t)r;
    buf[got] = '\0';
    close(fd);
}

static void listen_without_port_is_einval_naming_it(void **state)
{
    struct fixture *f = *state;
    struct plc_diag diag;
    f->cfg.listen = "127.0.0.1";
    errno = 0;
    assert_null(plc_web_new(f->layout, f->base, &f->cfg, &diag));
    assert_int_equal(errno, EINVAL);
    assert_string_equal(diag.msg, "listen address '127.0.0.1' is not HOST:PORT");
    f->cfg.listen = "localhost:80";
    assert_null(plc_web_new(f->layout, f->base, &f->cfg, &diag));
    assert_int_equal(errno, EINVAL);
    assert_string_equal(diag.msg,
                        "listen address 'localhost:80' is not a numeric address and port");
}

static void busy_port_is_eaddrinuse_naming_it(void **state)
{
    struct fixture *f = *state;
    struct plc_diag diag;
    struct plc_web *first = plc_web_new(f->layout, f->base, &f->cfg, &diag);
    assert_non_null(first);
    char listen[32], want[96];
    snprintf(listen, sizeof(listen), "127.0.0.1:%u", plc_web_get_port(first));
    f->cfg.listen = listen;
    errno = 0;
    assert_null(plc_web_new(f->layout, f->base, &f->cfg, &diag));
    assert_int_equal(errno, EADDRINUSE);
    snprintf(want, sizeof(want), "cannot listen on '%s': %s", listen, strerror(EADDRINUSE));
    assert_string_equal(diag.msg, want);
    plc_web_free(first);
}

static void port_zero_picks_a_free_port_that_answers(void **state)
{
    struct fixture *f = *state;
    struct plc_web *web = plc_web_new(f->layout, f->base, &f->cfg, NULL);
    assert_non_null(web);
    assert_int_not_equal(plc_web_get_port(web), 0);
    char buf[4096];
    http_get(plc_web_get_port(web), "/api/layout", buf, sizeof(buf));
    assert_non_null(strstr(buf, " 200 OK\r\n"));
    assert_non_null(strstr(buf, "{\"name\":\"demo\""));
    plc_web_free(web);
}

static void tag_of_a_region_not_made_is_null(void **state)
{
    struct fixture *f = *state;
    struct plc_web *web = plc_web_new(f->layout, f->base, &f->cfg, NULL);
    assert_non_null(web);
    char buf[4096];
    http_get(plc_web_get_port(web), "/api/tags/start_button", buf, sizeof(buf));
    assert_non_null(strstr(buf, " 200 OK\r\n"));
    assert_non_null(strstr(buf, "\"value\":null"));
    http_get(plc_web_get_port(web), "/api/regions", buf, sizeof(buf));
    assert_non_null(strstr(buf, "\"status\":\""));
    assert_null(strstr(buf, "\"status\":\"ok\""));
    plc_web_free(web);
}

static void views_before_the_regions_are_made_say_so(void **state)
{
    struct fixture *f = *state;
    char events[96];
    snprintf(events, sizeof(events), "%s/events", f->base); /* none: not this machine's */
    setenv("RASPIPLC_EVENTS_DIR", events, 1);
    struct plc_web *web = plc_web_new(f->layout, f->base, &f->cfg, NULL);
    assert_non_null(web);
    char buf[8192];
    uint16_t port = plc_web_get_port(web);
    http_get(port, "/api/services", buf, sizeof(buf));
    assert_non_null(strstr(buf, " 200 OK\r\n"));
    assert_non_null(strstr(buf, "{\"name\":\"io\",\"regions\":[\"inputs\"],"
                                "\"state\":\"never started\",\"error\":\""));
    assert_null(strstr(buf, "\"running\""));
    http_get(port, "/api/scan", buf, sizeof(buf));
    assert_non_null(strstr(buf, "\"scan_count\":null"));
    assert_non_null(strstr(buf, "\"outputs\":\"unknown\",\"outputs_reason\":\"plc-io is not "
                                "running\""));
    http_get(port, "/api/alarms/tank_level.h", buf, sizeof(buf));
    assert_non_null(strstr(buf, "\"state\":null,\"active\":null,\"acked\":null"));
    http_get(port, "/api/events?source=logic", buf, sizeof(buf));
    assert_non_null(strstr(buf, " 200 OK\r\n"));
    assert_non_null(strstr(buf, "{\"events\":[],\"more\":false,"));
    plc_web_free(web);
    unsetenv("RASPIPLC_EVENTS_DIR");
}

static void layout_without_diagnostics_or_alarms(void **state)
{
    struct fixture *f = *state;
    struct plc_diag diag;
    struct plc_layout *plain =
        plc_layout_load(PLC_SOURCE_DIR "/tests/services/cli-layout.ini", &diag);
    assert_non_null(plain);
    struct plc_web *web = plc_web_new(plain, f->base, &f->cfg, NULL);
    assert_non_null(web);
    char buf[4096];
    http_get(plc_web_get_port(web), "/api/scan", buf, sizeof(buf));
    assert_non_null(strstr(buf, " 404 Not Found\r\n"));
    assert_non_null(strstr(buf, "{\"error\":\"layout 'demo' has no diagnostics region "
                                "([logic] diagnostics)\"}"));
    http_get(plc_web_get_port(web), "/api/alarms", buf, sizeof(buf));
    assert_non_null(strstr(buf, " 200 OK\r\n"));
    assert_non_null(strstr(buf, "\r\n\r\n[]"));
    plc_web_free(web);
    plc_layout_free(plain);
}

static void free_accepts_null(void **state)
{
    plc_web_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(listen_without_port_is_einval_naming_it, setup, teardown),
        cmocka_unit_test_setup_teardown(busy_port_is_eaddrinuse_naming_it, setup, teardown),
        cmocka_unit_test_setup_teardown(port_zero_picks_a_free_port_that_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(tag_of_a_region_not_made_is_null, setup, teardown),
        cmocka_unit_test_setup_teardown(views_before_the_regions_are_made_say_so, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(layout_without_diagnostics_or_alarms, setup, teardown),
        cmocka_unit_test(free_accepts_null),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
