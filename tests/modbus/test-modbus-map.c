/* SPDX-License-Identifier: MIT */
/* struct plc_modbus_map: lookup, references, the printed table and CSV, plc-modbus --print-map. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "mb-layout.h"
#include "plc-modbus.h"

static struct plc_layout *load_test_layout(void)
{
    char *text = mb_layout_text(NULL);
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load_string(text, "t.ini", &d);
    free(text);
    if (!l)
        fail_msg("%u: %s", d.line, d.msg);
    return l;
}

static void lookup_covers_both_registers_of_a_32_bit_tag(void **state)
{
    struct plc_layout *l = load_test_layout();
    struct plc_modbus_map *m = plc_modbus_map_new(l, NULL);
    assert_non_null(m);
    const struct plc_modbus_map_entry *e = plc_modbus_map_find(m, PLC_MODBUS_HOLDING_REGISTER, 13);
    assert_non_null(e);
    assert_string_equal(e->tag->name, "p_cdab");
    assert_int_equal(e->address, 12);
    assert_int_equal(e->count, 2);
    assert_true(e->writable);
    assert_null(plc_modbus_map_find(m, PLC_MODBUS_HOLDING_REGISTER, 22));
    assert_int_equal(errno, ENOENT);
    e = plc_modbus_map_find(m, PLC_MODBUS_HOLDING_REGISTER, 30);
    assert_false(e->writable); /* 'status' is the logic's */
    e = plc_modbus_map_find(m, PLC_MODBUS_COIL, 100);
    assert_false(e->writable);
    /* sorted by table, then address */
    for (size_t i = 1; i < plc_modbus_map_count(m); i++) {
        const struct plc_modbus_map_entry *a = plc_modbus_map_at(m, i - 1), *b = plc_modbus_map_at(m, i);
        assert_true(a->table < b->table || (a->table == b->table && a->address < b->address));
    }
    plc_modbus_map_free(m);
    plc_layout_free(l);
    (void)state;
}

static void references_are_one_based_with_table_prefix(void **state)
{
    assert_int_equal(plc_modbus_reference(PLC_MODBUS_COIL, 0), 1);
    assert_int_equal(plc_modbus_reference(PLC_MODBUS_DISCRETE_INPUT, 0), 10001);
    assert_int_equal(plc_modbus_reference(PLC_MODBUS_INPUT_REGISTER, 9), 30010);
    assert_int_equal(plc_modbus_reference(PLC_MODBUS_HOLDING_REGISTER, 100), 40101);
    assert_int_equal(plc_modbus_reference(PLC_MODBUS_HOLDING_REGISTER, 9998), 49999);
    assert_int_equal(plc_modbus_reference(PLC_MODBUS_HOLDING_REGISTER, 9999), 410000);
    (void)state;
}

static void layout_without_bindings_is_refused(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load_string(
        "[layout]\nname = x\nversion = 1\n[region r]\nwriter = modbus\n"
        "[tag a]\nregion = r\ntype = bool\n",
        "x.ini", &d);
    assert_non_null(l);
    assert_null(plc_modbus_map_new(l, &d));
    assert_int_equal(errno, EINVAL);
    assert_string_equal(d.file, "x.ini");
    assert_string_equal(d.msg, "layout binds no tag to Modbus: there is nothing to serve");
    plc_layout_free(l);
    (void)state;
}

static char *run(const char *cmd, int *status)
{
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    static char out[65536];
    size_t n = fread(out, 1, sizeof(out) - 1, p);
    out[n] = '\0';
    *status = pclose(p);
    return out;
}

static void print_map_table_and_csv_of_demo(void **state)
{
    int st;
    char *out = run(PLC_BINARY_DIR "/services/plc-modbus --print-map " PLC_TEST_LAYOUT, &st);
    assert_int_equal(st, 0);
    assert_non_null(strstr(out, "TABLE            ADDRESS     REF  TAG"));
    assert_non_null(strstr(out, "holding_register 100-101   40101  level_high               "
                                "float32 ABCD  read-write parameters  0..100               %"));
    assert_non_null(strstr(out, "coil                   0   00001  motor_run                "
                                "bool    -     read-only  outputs"));
    out = run(PLC_BINARY_DIR "/services/plc-modbus --print-map --csv " PLC_TEST_LAYOUT, &st);
    assert_int_equal(st, 0);
    assert_true(strncmp(out, "table,address,reference,count,tag,type,word_order,access,region,"
                             "min,max,unit,description\r\n", 88) == 0);
    assert_non_null(strstr(out, "\r\nholding_register,106,40107,2,fault_delay_ms,uint32,ABCD,"
                                "read-write,parameters,100,60000,ms,"));
    /* a description with a comma is quoted */
    assert_non_null(strstr(out, ",\"Start push button (normally open, to ground)\"\r\n"));
    (void)state;
}

static void print_map_of_a_bad_layout_names_file_and_line(void **state)
{
    char path[] = "/tmp/plc-mb-map-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *text = "[layout]\nname = x\nversion = 1\n[modbus]\nunit_id = 300\n"
                       "[region r]\nwriter = modbus\n";
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    char cmd[512], want[256];
    snprintf(cmd, sizeof(cmd), PLC_BINARY_DIR "/services/plc-modbus --print-map %s 2>&1", path);
    int st;
    char *out = run(cmd, &st);
    unlink(path);
    assert_int_equal(WEXITSTATUS(st), 1);
    snprintf(want, sizeof(want), "plc-modbus: %s:5: [modbus]: unit_id '300' is not between 1 and 247\n",
             path);
    assert_string_equal(out, want);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lookup_covers_both_registers_of_a_32_bit_tag),
        cmocka_unit_test(references_are_one_based_with_table_prefix),
        cmocka_unit_test(layout_without_bindings_is_refused),
        cmocka_unit_test(print_map_table_and_csv_of_demo),
        cmocka_unit_test(print_map_of_a_bad_layout_names_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
