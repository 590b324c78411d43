/* SPDX-License-Identifier: MIT */
/* The layout's retain keys: tag and region 'retain', the [retain] section. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "layout-check.h"

#define HEAD "[layout]\nname = t\nversion = 1\n"

static void tag_retain_defaults_to_no(void **state)
{
    struct plc_layout *l = load_ok(HEAD "[region p]\nwriter = modbus\n"
                                        "[tag a]\nregion = p\ntype = uint16\n");
    assert_false(plc_layout_find_tag(l, "a")->retain);
    assert_false(plc_layout_find_region(l, "p")->retain);
    plc_layout_free(l);
    (void)state;
}

static void region_retain_sets_default_tag_overrides(void **state)
{
    struct plc_layout *l = load_ok(HEAD "[region p]\nwriter = modbus\nretain = yes\n"
                                        "[region q]\nwriter = logic\n"
                                        "[tag a]\nregion = p\ntype = uint16\n"
                                        "[tag b]\nregion = p\ntype = float32\nretain = no\n"
                                        "[tag c]\nregion = q\ntype = int32\nretain = yes\n"
                                        "[tag d]\nregion = q\ntype = int32\n");
    assert_true(plc_layout_find_region(l, "p")->retain);
    assert_true(plc_layout_find_tag(l, "a")->retain);
    assert_false(plc_layout_find_tag(l, "b")->retain);
    assert_true(plc_layout_find_tag(l, "c")->retain);
    assert_false(plc_layout_find_tag(l, "d")->retain);
    plc_layout_free(l);
    (void)state;
}

static void region_retain_changes_the_hash(void **state)
{
    struct plc_layout *a = load_ok(HEAD "[region p]\nwriter = modbus\n"
                                        "[tag a]\nregion = p\ntype = uint16\n");
    struct plc_layout *b = load_ok(HEAD "[region p]\nwriter = modbus\nretain = yes\n"
                                        "[tag a]\nregion = p\ntype = uint16\n");
    assert_true(plc_layout_get_hash(a) != plc_layout_get_hash(b));
    plc_layout_free(a);
    plc_layout_free(b);
    (void)state;
}

static void region_retain_not_yes_or_no_refused_with_line(void **state)
{
    assert_load_fails(HEAD "[region p]\nwriter = modbus\nretain = maybe\n",
                      "t.ini:6: region 'p': retain 'maybe' is not yes or no");
    assert_load_fails(HEAD "[region p]\nwriter = modbus\n[tag a]\nregion = p\ntype = bool\n"
                           "retain = sometimes\n",
                      "t.ini:9: tag 'a': retain 'sometimes' is not yes or no");
    (void)state;
}

static void retain_section_defaults(void **state)
{
    struct plc_layout *l = load_ok(HEAD "[region p]\nwriter = modbus\n");
    assert_null(plc_layout_get_retain_dir(l));
    assert_int_equal(plc_layout_get_retain_interval_us(l), 1000000);
    plc_layout_free(l);
    (void)state;
}

static void retain_section_directory_and_interval_read(void **state)
{
    struct plc_layout *l = load_ok(HEAD "[retain]\ndirectory = /srv/plc/retain\n"
                                        "interval = 250ms\n[region p]\nwriter = modbus\n");
    assert_string_equal(plc_layout_get_retain_dir(l), "/srv/plc/retain");
    assert_int_equal(plc_layout_get_retain_interval_us(l), 250000);
    plc_layout_free(l);
    l = load_ok(HEAD "[retain]\ninterval = 5s\n[region p]\nwriter = modbus\n");
    assert_int_equal(plc_layout_get_retain_interval_us(l), 5000000);
    plc_layout_free(l);
    (void)state;
}

static void retain_section_not_in_the_hash(void **state)
{
    struct plc_layout *a = load_ok(HEAD "[region p]\nwriter = modbus\n");
    struct plc_layout *b = load_ok(HEAD "[retain]\ndirectory = /x\ninterval = 2s\n"
                                        "[region p]\nwriter = modbus\n");
    assert_true(plc_layout_get_hash(a) == plc_layout_get_hash(b));
    plc_layout_free(a);
    plc_layout_free(b);
    (void)state;
}

static void retain_section_bad_values_refused_with_line(void **state)
{
    assert_load_fails(HEAD "[retain]\ndirectory = var/lib\n[region p]\nwriter = modbus\n",
                      "t.ini:5: [retain]: directory 'var/lib' is not an absolute path");
    assert_load_fails(HEAD "[retain]\ninterval = 10ms\n[region p]\nwriter = modbus\n",
                      "t.ini:5: [retain]: interval 10ms is outside 100ms..3600s");
    assert_load_fails(HEAD "[retain]\ninterval = 2h\n[region p]\nwriter = modbus\n",
                      "t.ini:5: [retain]: interval '2h' is not a duration (10ms, 500us, 1s)");
    assert_load_fails(HEAD "[retain]\ninterval = 7200s\n[region p]\nwriter = modbus\n",
                      "t.ini:5: [retain]: interval 7200s is outside 100ms..3600s");
    assert_load_fails(HEAD "[retain]\nfolder = /x\n[region p]\nwriter = modbus\n",
                      "t.ini:5: [retain]: unknown key 'folder'");
    assert_load_fails(HEAD "[retain]\n[retain]\n[region p]\nwriter = modbus\n",
                      "t.ini:5: duplicate section '[retain]' (first at line 4)");
    (void)state;
}

static void unknown_section_lists_retain(void **state)
{
    assert_load_fails(HEAD "[retian]\n[region p]\nwriter = modbus\n",
                      "t.ini:4: unknown section '[retian]' (expected [layout], [logic], "
                      "[retain], [modbus], [mqtt], [region NAME] or [tag NAME])");
    (void)state;
}

static void demo_retains_setpoints_and_run_seconds(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(PLC_TEST_LAYOUT, &d);
    assert_non_null(l);
    const char *want[] = {"level_high", "level_low", "level_alarm", "fault_delay_ms",
                          "run_seconds"};
    size_t n = 0;
    for (size_t i = 0; i < plc_layout_tag_count(l); i++) {
        const struct plc_tag_def *t = plc_layout_tag_at(l, i);
        if (!t->retain)
            continue;
        assert_true(n < 5);
        assert_string_equal(t->name, want[n]);
        n++;
    }
    assert_int_equal(n, 5);
    plc_layout_free(l);
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tag_retain_defaults_to_no),
        cmocka_unit_test(region_retain_sets_default_tag_overrides),
        cmocka_unit_test(region_retain_changes_the_hash),
        cmocka_unit_test(region_retain_not_yes_or_no_refused_with_line),
        cmocka_unit_test(retain_section_defaults),
        cmocka_unit_test(retain_section_directory_and_interval_read),
        cmocka_unit_test(retain_section_not_in_the_hash),
        cmocka_unit_test(retain_section_bad_values_refused_with_line),
        cmocka_unit_test(unknown_section_lists_retain),
        cmocka_unit_test(demo_retains_setpoints_and_run_seconds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
