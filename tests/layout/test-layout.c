/* SPDX-License-Identifier: MIT */
/*
 * struct plc_layout: what a layout file may say, the offsets and sizes it gets,
 * the exact message for each thing it may not say, and what the hash covers.
 *
 * Two tables drive most cases, one cmocka case per row: good layouts with a
 * function checking the result, and bad layouts with their exact message.
 */
#include <errno.h>
#include <float.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "plc-layout.h"

/* Lines 1-3. */
#define LAYOUT "[layout]\nname = t\nversion = 1\n"
/* Lines 1-9: an input region (writer io), 'outputs', and a region Modbus writes. */
#define BASE                                                                                       \
    LAYOUT "[region inputs]\nwriter = io\n[region outputs]\nwriter = logic\n"                      \
           "[region params]\nwriter = modbus\n"
/* A [tag NAME] in REGION of TYPE: three lines. */
#define TAG(name, region, type) "[tag " name "]\nregion = " region "\ntype = " type "\n"

#define X8 "xxxxxxxx"
#define X64 X8 X8 X8 X8 X8 X8 X8 X8

static struct plc_layout *load_ok(const char *text)
{
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load_string(text, "t.ini", &d);
    if (!l) {
        char buf[1200];
        plc_diag_format(&d, buf, sizeof(buf));
        fail_msg("layout refused: %s", buf);
    }
    return l;
}

static void assert_refused(const char *text, const char *want)
{
    struct plc_diag d;
    char buf[1200];
    errno = 0;
    struct plc_layout *l = plc_layout_load_string(text, "t.ini", &d);
    if (l) {
        plc_layout_free(l);
        fail_msg("layout accepted, want: %s", want);
    }
    assert_int_equal(errno, EINVAL);
    plc_diag_format(&d, buf, sizeof(buf));
    if (strcmp(buf, want) != 0)
        fail_msg("message\n  got:  %s\n  want: %s", buf, want);
}

static const struct plc_tag_def *tag(const struct plc_layout *l, const char *name)
{
    const struct plc_tag_def *t = plc_layout_find_tag(l, name);
    if (!t)
        fail_msg("no tag '%s'", name);
    return t;
}

static const struct plc_region_def *region(const struct plc_layout *l, const char *name)
{
    const struct plc_region_def *r = plc_layout_find_region(l, name);
    if (!r)
        fail_msg("no region '%s'", name);
    return r;
}

static uint64_t hash_of(const char *text)
{
    struct plc_layout *l = load_ok(text);
    uint64_t h = plc_layout_get_hash(l);
    plc_layout_free(l);
    return h;
}

/* ---- good layouts --------------------------------------------------------------- */

static void check_offsets(const struct plc_layout *l)
{
    static const struct {
        const char *name;
        size_t offset, size;
    } want[] = {{"a", 0, 1},  {"b", 4, 4},  {"c", 8, 1}, {"d", 10, 2},
                {"e", 12, 4}, {"f", 16, 2}, {"g", 18, 1}};
    const struct plc_region_def *p = region(l, "params");
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct plc_tag_def *t = tag(l, want[i].name);
        assert_ptr_equal(t->region, p);
        assert_int_equal(t->offset, want[i].offset);
        assert_int_equal(t->size, want[i].size);
        assert_int_equal(t->size, plc_type_size(t->type));
        /* grouped by region, in declaration order within it */
        assert_ptr_equal(plc_layout_tag_at(l, p->first_tag + i), t);
    }
    assert_int_equal(p->tag_count, 7);
    assert_int_equal(p->data_size, 24); /* 19 rounded up to 8 */
    assert_int_equal(p->size, 4096);
    assert_int_equal(p->line, 8);
    assert_int_equal(tag(l, "a")->line, 10);
    assert_string_equal(plc_type_name(tag(l, "e")->type), "float32");
    /* another region's tags start again at 0 */
    assert_int_equal(tag(l, "h")->offset, 0);
    assert_ptr_equal(plc_layout_tag_at(l, 0), tag(l, "h"));
    assert_int_equal(region(l, "inputs")->data_size, 8);
    assert_int_equal(region(l, "outputs")->tag_count, 0);
    assert_int_equal(region(l, "outputs")->data_size, 8);
    assert_int_equal(plc_layout_region_count(l), 3);
    assert_string_equal(plc_layout_region_at(l, 2)->name, "params");
    assert_null(plc_layout_region_at(l, 3));
    assert_int_equal(plc_layout_tag_count(l), 8);
    assert_null(plc_layout_tag_at(l, 8));
}

static void check_data_rounding(const struct plc_layout *l)
{
    assert_int_equal(region(l, "inputs")->data_size, 16); /* 9 bools */
    assert_int_equal(region(l, "outputs")->data_size, 8); /* one uint16 */
    assert_int_equal(region(l, "params")->data_size, 8);  /* two int32, exactly 8 */
    assert_int_equal(tag(l, "p2")->offset, 4);
}

static void check_sizes(const struct plc_layout *l)
{
    static const struct {
        const char *name;
        size_t size;
    } want[] = {{"a", 4096}, {"b", 8192}, {"c", 65536},    {"d", 1 << 20},
                {"e", 4096}, {"f", 8192}, {"g", 1u << 30}, {"h", 12288}};
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        assert_int_equal(region(l, want[i].name)->size, want[i].size);
}

static void check_lookups(const struct plc_layout *l)
{
    errno = 0;
    assert_null(plc_layout_find_tag(l, "motr"));
    assert_int_equal(errno, ENOENT);
    errno = 0;
    assert_null(plc_layout_find_region(l, "outptus"));
    assert_int_equal(errno, ENOENT);
    assert_null(plc_layout_find_tag(l, "inputs")); /* regions are not tags */
    assert_ptr_equal(tag(l, "motor")->region, region(l, "outputs"));
    assert_string_equal(plc_layout_get_name(l), "t");
    assert_int_equal(plc_layout_get_version(l), 1);
    assert_string_equal(plc_layout_get_path(l), "t.ini");
    assert_null(plc_layout_get_base_dir(l));
}

static void check_ranges(const struct plc_layout *l)
{
    static const struct {
        const char *name;
        double min, max;
    } want[] = {
        {"b", 0, 1},
        {"i16", INT16_MIN, INT16_MAX},
        {"u16", 0, UINT16_MAX},
        {"i32", INT32_MIN, INT32_MAX},
        {"u32", 0, UINT32_MAX},
        {"f32", -FLT_MAX, FLT_MAX},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct plc_tag_def *t = tag(l, want[i].name);
        assert_true(t->min == want[i].min);
        assert_true(t->max == want[i].max);
        assert_false(t->has_min);
        assert_false(t->has_max);
        assert_true(t->initial == 0);
    }
    const struct plc_tag_def *t = tag(l, "narrow");
    assert_true(t->has_min && t->has_max);
    assert_true(t->min == -5 && t->max == 5 && t->initial == -3);
    assert_true(tag(l, "level")->initial == 2.5);
    assert_true(tag(l, "hex")->initial == 16);
    assert_true(tag(l, "decimal")->initial == 10); /* "010" is ten, not octal eight */
    assert_true(tag(l, "on")->initial == 1);
}

static void check_safe(const struct plc_layout *l)
{
    assert_int_equal(tag(l, "plain")->safe_mode, PLC_SAFE_VALUE);
    assert_true(tag(l, "plain")->safe == 0);
    assert_int_equal(tag(l, "held")->safe_mode, PLC_SAFE_HOLD);
    assert_int_equal(tag(l, "lamp")->safe_mode, PLC_SAFE_VALUE);
    assert_true(tag(l, "lamp")->safe == 1);
    assert_true(tag(l, "speed")->safe == 5); /* no safe: min, when 0 is below it */
    assert_true(tag(l, "cold")->safe == -5); /* no safe: max, when 0 is above it */
    assert_true(tag(l, "kept")->retain);
    assert_false(tag(l, "plain")->retain);
}

static void check_gpio(const struct plc_layout *l)
{
    const struct plc_gpio_binding *g = &tag(l, "by_offset")->gpio;
    assert_true(g->bound);
    assert_string_equal(g->chip, "gpiochip0");
    assert_int_equal(g->offset, 17);
    assert_string_equal(g->line_name, "");
    assert_false(g->active_low);
    assert_int_equal(g->bias, PLC_GPIO_BIAS_AS_IS);
    assert_int_equal(g->drive, PLC_GPIO_DRIVE_PUSH_PULL);
    assert_int_equal(g->debounce_us, 0);

    g = &tag(l, "by_name")->gpio;
    assert_true(g->bound);
    assert_string_equal(g->chip, "");
    assert_int_equal(g->offset, -1);
    assert_string_equal(g->line_name, "GPIO27");
    assert_true(g->active_low);
    assert_int_equal(g->bias, PLC_GPIO_BIAS_PULL_UP);
    assert_int_equal(g->debounce_us, 5000); /* 5ms */

    assert_int_equal(tag(l, "fast")->gpio.debounce_us, 500);     /* 500us */
    assert_int_equal(tag(l, "slow")->gpio.debounce_us, 1000000); /* 1s */
    assert_int_equal(tag(l, "bare")->gpio.debounce_us, 20000);   /* 20 = 20 ms */
    assert_int_equal(tag(l, "bare")->gpio.bias, PLC_GPIO_BIAS_PULL_DOWN);
    /* the same offset on another chip is another line */
    assert_int_equal(tag(l, "other_chip")->gpio.offset, 17);
    assert_string_equal(tag(l, "other_chip")->gpio.chip, "gpiochip1");

    g = &tag(l, "relay")->gpio;
    assert_string_equal(g->line_name, "GPIO23");
    assert_int_equal(g->drive, PLC_GPIO_DRIVE_OPEN_DRAIN);
    assert_int_equal(g->bias, PLC_GPIO_BIAS_DISABLED);
    assert_false(g->active_low);
    assert_int_equal(tag(l, "lamp")->gpio.drive, PLC_GPIO_DRIVE_OPEN_SOURCE);

    g = &tag(l, "unbound")->gpio;
    assert_false(g->bound);
    assert_int_equal(g->offset, -1);

    assert_int_equal(region(l, "inputs")->gpio_dir, PLC_GPIO_INPUT);
    assert_int_equal(region(l, "outputs")->gpio_dir, PLC_GPIO_OUTPUT);
    assert_int_equal(region(l, "params")->gpio_dir, PLC_GPIO_NONE);
}

static void check_modbus(const struct plc_layout *l)
{
    static const struct {
        const char *name;
        enum plc_modbus_table table;
        unsigned address, count;
        enum plc_word_order order;
    } want[] = {
        {"coil0", PLC_MODBUS_COIL, 0, 1, PLC_WORD_ORDER_ABCD},
        {"di0", PLC_MODBUS_DISCRETE_INPUT, 0, 1, PLC_WORD_ORDER_ABCD},
        {"hr0", PLC_MODBUS_HOLDING_REGISTER, 0, 1, PLC_WORD_ORDER_ABCD},
        {"hr1", PLC_MODBUS_HOLDING_REGISTER, 1, 2, PLC_WORD_ORDER_ABCD},
        {"hr3", PLC_MODBUS_HOLDING_REGISTER, 3, 2, PLC_WORD_ORDER_BADC},
        {"hr5", PLC_MODBUS_HOLDING_REGISTER, 5, 2, PLC_WORD_ORDER_DCBA},
        {"ir0", PLC_MODBUS_INPUT_REGISTER, 0, 2, PLC_WORD_ORDER_CDAB},
        {"hundred", PLC_MODBUS_HOLDING_REGISTER, 100, 1, PLC_WORD_ORDER_ABCD},
        {"top", PLC_MODBUS_HOLDING_REGISTER, 65534, 2, PLC_WORD_ORDER_ABCD},
        {"hexaddr", PLC_MODBUS_INPUT_REGISTER, 16, 1, PLC_WORD_ORDER_ABCD},
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        const struct plc_modbus_binding *m = &tag(l, want[i].name)->modbus;
        assert_int_equal(m->table, want[i].table);
        assert_int_equal(m->address, want[i].address);
        assert_int_equal(m->count, want[i].count);
        assert_int_equal(m->word_order, want[i].order);
    }
    assert_int_equal(tag(l, "none")->modbus.table, 0);
    assert_int_equal(tag(l, "none")->modbus.count, 0);
}

static void check_misc(const struct plc_layout *l)
{
    assert_string_equal(plc_layout_get_base_dir(l), "/run/plc");
    assert_int_equal(plc_layout_get_version(l), 7);
    const struct plc_region_def *r = region(l, "inputs");
    assert_int_equal(r->mode, 0640);
    assert_string_equal(r->group, "plc");
    assert_string_equal(r->writer, "io");
    assert_int_equal(region(l, "late")->mode, 0660);
    assert_string_equal(region(l, "late")->group, "");
    const struct plc_tag_def *t = tag(l, "level");
    assert_string_equal(t->unit, "%");
    assert_string_equal(t->description, "Tank level");
    assert_true(t->initial == 1.5);
    /* declared before its region */
    assert_ptr_equal(tag(l, "early")->region, region(l, "late"));
}

static void check_loads(const struct plc_layout *l)
{
    assert_non_null(l);
}

struct good {
    const char *name;
    const char *text;
    void (*check)(const struct plc_layout *l);
};

static const struct good good[] = {
    {"offsets_aligned_in_declaration_order",
     BASE TAG("a", "params", "bool") TAG("b", "params", "int32") TAG("c", "params", "bool")
         TAG("h", "inputs", "uint32") TAG("d", "params", "int16") TAG("e", "params", "float32")
             TAG("f", "params", "uint16") TAG("g", "params", "bool"),
     check_offsets},
    {"data_size_rounded_to_8",
     BASE TAG("b1", "inputs", "bool") TAG("b2", "inputs", "bool") TAG("b3", "inputs", "bool")
         TAG("b4", "inputs", "bool") TAG("b5", "inputs", "bool") TAG("b6", "inputs", "bool")
             TAG("b7", "inputs", "bool") TAG("b8", "inputs", "bool") TAG("b9", "inputs", "bool")
                 TAG("o1", "outputs", "uint16") TAG("p1", "params", "int32")
                     TAG("p2", "params", "int32"),
     check_data_rounding},
    {"explicit_and_auto_sizes",
     LAYOUT "[region a]\nwriter = io\n"
            "[region b]\nwriter = io\nsize = 8192\n"
            "[region c]\nwriter = io\nsize = 64KiB\n"
            "[region d]\nwriter = io\nsize = 1MiB\n"
            "[region e]\nwriter = io\nsize = auto\n"
            "[region f]\nwriter = io\nsize = 8K\n"
            "[region g]\nwriter = io\nsize = 1GiB\n"
            "[region h]\nwriter = io\nsize = 12288\n",
     check_sizes},
    {"lookups", BASE TAG("motor", "outputs", "bool"), check_lookups},
    {"min_max_default_to_the_type_and_values_parse",
     BASE TAG("b", "params", "bool") TAG("i16", "params", "int16") TAG(
         "u16", "params", "uint16") TAG("i32",
                                        "params", "int32") TAG("u32", "params",
                                                               "uint32") TAG("f32",
                                                                             "params", "float32")
         TAG("narrow", "params", "int16") "min = -5\nmax = 5\ninitial = -3\n" TAG(
             "level", "params",
             "float32") "initial = 2.5\n" TAG("hex", "params",
                                              "uint16") "initial = 0x10\n" TAG("decimal", "params",
                                                                               "int32") "initial = "
                                                                                        "010\n" TAG("on",
                                                                                                    "params",
                                                                                                    "bool") "initial = yes\n",
     check_ranges},
    {"safe_and_hold",
     BASE TAG("plain", "outputs", "bool") TAG("held", "outputs", "bool") "safe = hold\n" TAG("lamp", "outputs", "bool") "safe = 1\ngpio = GPIO25\ngpio_drive = open-source\n" TAG(
         "speed", "outputs",
         "int16") "min = 5\nmax = 10\ninitial = 5\n" TAG("cold", "outputs",
                                                         "int16") "min = -10\nmax = -5\ninitial = "
                                                                  "-7\n" TAG("kept", "outputs",
                                                                             "uint32") "retain = "
                                                                                       "yes\n",
     check_safe},
    {"gpio_bindings",
     BASE
         TAG("by_offset", "inputs",
             "bool") "gpio = gpiochip0:17\n" TAG("by_name", "inputs",
                                                 "bool") "gpio = GPIO27\ngpio_active_low = "
                                                         "yes\ngpio_bias = pull-up\n"
                                                         "gpio_debounce = 5ms\n" TAG("fast", "inputs", "bool") "gpio = GPIO5\ngpio_debounce = 500us\n" TAG(
                                                             "slow", "inputs",
                                                             "bool") "gpio = GPIO6\ngpio_debounce "
                                                                     "= 1s\n" TAG("bare", "inputs",
                                                                                  "bool") "gpio = "
                                                                                          "GPIO13\n"
                                                                                          "gpio_"
                                                                                          "debounce"
                                                                                          " = 20\n"
                                                                                          "gpio_"
                                                                                          "bias = "
                                                                                          "pull-"
                                                                                          "down"
                                                                                          "\n" TAG("other_chip", "inputs", "bool") "gpio = gpiochip1:17\n" TAG(
                                                                                              "rela"
                                                                                              "y",
                                                                                              "outp"
                                                                                              "uts",
                                                                                              "boo"
                                                                                              "l") "gpio = GPIO23\ngpio_drive = open-drain\ngpio_bias = disabled\n"
                                                                                                   "gpio_active_low = no\n" TAG("lamp", "outputs", "bool") "gpio = GPIO24\ngpio_drive = open-source\n" TAG(
                                                                                                       "unbound",
                                                                                                       "params",
                                                                                                       "bool"),
     check_gpio},
    {"modbus_bindings",
     BASE TAG(
         "coil0", "outputs",
         "bool") "modbus = coil:0\n" TAG("di0",
                                         "inputs", "bool") "modbus = discrete_input:0\n" TAG("hr0", "params", "int16") "modbus = holding_register:0\n" TAG("hr1", "params", "int32") "modbus = holding_register:1\n" TAG("hr3", "params", "uint32") "modbus = holding_register:3\n"
                                                                                                                                                                                                                                                    "modbus_word_order = BADC\n" TAG("hr5", "params", "float32") "modbus = holding_register:5\n"
                                                                                                                                                                                                                                                                                                                 "modbus_word_order = DCBA\n" TAG("ir0", "inputs", "float32") "modbus = input_register:0\n"
                                                                                                                                                                                                                                                                                                                                                                              "modbus_word_order = CDAB\n" TAG(
                                                                                                                                                                                                                                                                                                                                                                                  "hundred",
                                                                                                                                                                                                                                                                                                                                                                                  "params", "uint16") "modbus = holding_register:0100\n" TAG("top", "params", "int32") "modbus = holding_register:65534\n" TAG("hexaddr", "inputs", "uint16") "modbus = input_register:0x10\n" TAG("none",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                   "params",
                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                                   "uint16"),
     check_modbus},
    {"comments_crlf_descriptions_and_late_regions",
     "; a comment\r\n# another\r\n\r\n[layout]\r\nname = t\r\nversion = 7\r\n"
     "base_dir = /run/plc\r\ndescription = A test ; inline comment\r\n"
     "[region inputs]\r\nwriter = io\r\nmode = 0640\r\ngroup = plc\r\n"
     "description = In\r\n"
     "  ; an indented comment is still a comment\r\n"
     "[tag level]\r\nregion = inputs\r\ntype = float32\r\ninitial = 1.5\r\n"
     "unit = %\r\ndescription = Tank level\r\n"
     "[tag early]\r\nregion = late\r\ntype = bool\r\n"
     "[region late]\r\nwriter = logic\r\n",
     check_misc},
    {"utf8_byte_order_mark", "\xEF\xBB\xBF" BASE, check_loads},
    {"line_of_197_characters",
     BASE "[tag x]\nregion = inputs\ntype = bool\n"
          "description = " X64 X64 X8 X8 X8 X8 X8 X8 "xxxxxxx\n", /* 14 + 183 */
     check_loads},
    {"section_header_spacing", LAYOUT "[ region   a ] ; comment\nwriter = io\n", check_loads},
};

static void run_good(void **state)
{
    const struct good *g = *state;
    struct plc_layout *l = load_ok(g->text);
    g->check(l);
    plc_layout_free(l);
}

/* ---- bad layouts ---------------------------------------------------------------- */

struct bad {
    const char *name;
    const char *text;
    const char *want;
};

static const struct bad bad[] = {
    /* the file itself */
    {"unknown_section", LAYOUT "[regoin a]\nwriter = io\n",
     "t.ini:4: unknown section '[regoin a]' (expected [layout], [logic], [retain], [modbus], [mqtt], "
     "[region NAME] or [tag NAME])"},
    {"section_with_two_names", BASE "[tag motor on]\nregion = inputs\ntype = bool\n",
     "t.ini:10: unknown section '[tag motor on]' (expected [layout], [logic], [retain], [modbus], [mqtt], "
     "[region NAME] or [tag NAME])"},
    {"unknown_key_in_layout", LAYOUT "author = me\n[region a]\nwriter = io\n",
     "t.ini:4: [layout]: unknown key 'author'"},
    {"unknown_key_in_region", LAYOUT "[region a]\nwriter = io\nsise = 8192\n",
     "t.ini:6: region 'a': unknown key 'sise'"},
    {"misspelt_key_is_named_not_reported_missing", BASE "[tag x]\nregoin = inputs\ntype = bool\n",
     "t.ini:11: tag 'x': unknown key 'regoin'"},
    {"duplicate_key", BASE TAG("x", "inputs", "bool") "type = int16\n",
     "t.ini:13: tag 'x': duplicate key 'type' (first at line 12)"},
    {"duplicate_key_in_layout", "[layout]\nname = t\nname = u\n",
     "t.ini:3: [layout]: duplicate key 'name' (first at line 2)"},
    {"duplicate_section", BASE "[region inputs]\nwriter = io\n",
     "t.ini:10: duplicate section '[region inputs]' (first at line 4)"},
    {"duplicate_section_spelt_with_other_spacing",
     BASE TAG("x", "inputs", "bool") "[tag \t x]\nregion = inputs\ntype = bool\n",
     "t.ini:13: duplicate section '[tag x]' (first at line 10)"},
    {"text_after_section_header", LAYOUT "[region a] io\nwriter = io\n",
     "t.ini:4: text 'io' after the section header"},
    {"key_outside_any_section", "name = t\n" BASE, "t.ini:1: key 'name' is outside any section"},
    {"syntax_error", BASE "[tag x]\nregion = inputs\ntype bool\n",
     "t.ini:12: expected 'key = value' or '[section]'"},
    {"unclosed_section_header", BASE "[tag x\nregion = inputs\n",
     "t.ini:10: expected 'key = value' or '[section]'"},
    {"syntax_error_reported_before_a_later_error",
     BASE "garbage\n" TAG("x", "inputs", "bool") "type = bool\n",
     "t.ini:10: expected 'key = value' or '[section]'"},
    {"over_long_line",
     BASE "[tag x]\nregion = inputs\ntype = bool\n"
          "description = " X64 X64 X8 X8 X8 X8 X8 X8 X8 "\n", /* 14 + 184 */
     "t.ini:13: line is longer than 197 characters"},
    {"indented_continuation_line", BASE "[tag x]\nregion = inputs\n  type = bool\n",
     "t.ini:12: indented line: continuation lines are not supported"},
    {"no_layout_section", "[region a]\nwriter = io\n",
     "t.ini: no [layout] section (it names the layout and its version)"},
    {"empty_file", "", "t.ini: no [layout] section (it names the layout and its version)"},
    {"no_region", LAYOUT, "t.ini: declares no region"},

    /* [layout] */
    {"layout_without_name", "[layout]\nversion = 1\n[region a]\nwriter = io\n",
     "t.ini:1: [layout]: 'name' is required"},
    {"layout_without_version", "[layout]\nname = t\n[region a]\nwriter = io\n",
     "t.ini:1: [layout]: 'version' is required"},
    {"version_zero", "[layout]\nname = t\nversion = 0\n[region a]\nwriter = io\n",
     "t.ini:3: [layout]: version '0' is not a positive integer"},
    {"version_not_integer", "[layout]\nname = t\nversion = 1.2\n[region a]\nwriter = io\n",
     "t.ini:3: [layout]: version '1.2' is not a positive integer"},
    {"version_negative", "[layout]\nname = t\nversion = -1\n[region a]\nwriter = io\n",
     "t.ini:3: [layout]: version '-1' is not a positive integer"},
    {"layout_name_not_identifier", "[layout]\nname = My-plant\nversion = 1\n",
     "t.ini:2: [layout]: name 'My-plant' must start with a lowercase letter"},
    {"base_dir_relative", LAYOUT "base_dir = run/plc\n[region a]\nwriter = io\n",
     "t.ini:4: [layout]: base_dir 'run/plc' is not an absolute path"},

    /* [region NAME] */
    {"region_without_writer", LAYOUT "[region a]\nsize = auto\n",
     "t.ini:4: region 'a': 'writer' is required (io, logic, modbus or python)"},
    {"unknown_writer", LAYOUT "[region a]\nwriter = plc-io\n",
     "t.ini:5: region 'a': unknown writer 'plc-io' (expected io, logic, modbus or python)"},
    {"size_not_multiple_of_4k", LAYOUT "[region a]\nwriter = io\nsize = 5000\n",
     "t.ini:6: region 'a': size 5000 is not a multiple of 4 KiB between 4 KiB and 1 GiB"},
    {"size_zero", LAYOUT "[region a]\nwriter = io\nsize = 0\n",
     "t.ini:6: region 'a': size 0 is not a multiple of 4 KiB between 4 KiB and 1 GiB"},
    {"size_above_1g", LAYOUT "[region a]\nwriter = io\nsize = 2GiB\n",
     "t.ini:6: region 'a': size 2147483648 is not a multiple of 4 KiB between 4 KiB and "
     "1 GiB"},
    {"size_not_a_size", LAYOUT "[region a]\nwriter = io\nsize = 4 KiB\n",
     "t.ini:6: region 'a': size '4 KiB' is not a size (4096, 64KiB, 1MiB or auto)"},
    {"mode_not_octal", LAYOUT "[region a]\nwriter = io\nmode = 0886\n",
     "t.ini:6: region 'a': mode '0886' is not an octal file mode like 0660"},
    {"mode_owner_cannot_write", LAYOUT "[region a]\nwriter = io\nmode = 0440\n",
     "t.ini:6: region 'a': mode 0440 does not let its owner read and write"},
    {"group_with_space", LAYOUT "[region a]\nwriter = io\ngroup = plc users\n",
     "t.ini:6: region 'a': group 'plc users' is not a group name"},
    {"region_name_uppercase", LAYOUT "[region Inputs]\nwriter = io\n",
     "t.ini:4: region 'Inputs': region name must start with a lowercase letter"},
    {"region_name_keyword", LAYOUT "[region static]\nwriter = io\n",
     "t.ini:4: region 'static': region name is a C keyword"},
    {"region_name_too_long", LAYOUT "[region abcdefghijklmnopqrstuvwxyz_abcdef]\nwriter = io\n",
     "t.ini:4: region 'abcdefghijklmnopqrstuvwxyz_abcdef': region name is too long"},

    /* [tag NAME]: names, region, type */
    {"tag_in_unknown_region", BASE "[tag motor]\nregion = outptus\ntype = bool\n",
     "t.ini:11: tag 'motor': region 'outptus' is not declared"},
    {"unknown_region_reported_before_later_tag_errors",
     BASE "[tag motor]\nregion = outptus\ntype = bool\n" TAG("x", "inputs", "int128"),
     "t.ini:11: tag 'motor': region 'outptus' is not declared"},
    {"tag_without_region", BASE "[tag x]\ntype = bool\n",
     "t.ini:10: tag 'x': 'region' is required"},
    {"tag_without_type", BASE "[tag x]\nregion = inputs\n",
     "t.ini:10: tag 'x': 'type' is required"},
    {"unknown_type", BASE TAG("x", "inputs", "int128"),
     "t.ini:12: tag 'x': unknown type 'int128' (expected bool, int8, uint8, int16, uint16, int32, "
     "uint32, int64, uint64, float32 or float64)"},
    {"tag_name_with_dash", BASE TAG("motor-on", "inputs", "bool"),
     "t.ini:10: tag 'motor-on': tag name may hold only lowercase letters, digits and '_'"},
    {"tag_name_starting_with_digit", BASE TAG("2nd", "inputs", "bool"),
     "t.ini:10: tag '2nd': tag name must start with a lowercase letter"},
    {"tag_name_keyword", BASE TAG("int", "inputs", "bool"),
     "t.ini:10: tag 'int': tag name is a C keyword"},
    {"tag_name_true", BASE TAG("true", "inputs", "bool"),
     "t.ini:10: tag 'true': tag name is a C keyword"},
    {"tag_name_too_long",
     BASE TAG("a123456789_123456789_123456789_123456789_123456789_123456789_123", "inputs", "bool"),
     "t.ini:10: tag 'a123456789_123456789_123456789_123456789_123456789_123456789_123': "
     "tag name is too long"},
    {"tag_named_like_a_region", BASE TAG("outputs", "inputs", "bool"),
     "t.ini:10: tag 'outputs': a region has that name (line 6)"},

    /* values */
    {"value_not_of_the_type", BASE TAG("x", "params", "int16") "initial = 1.5\n",
     "t.ini:13: tag 'x': initial '1.5' is not a valid int16 value"},
    {"bool_value_not_a_bool", BASE TAG("x", "params", "bool") "initial = 2\n",
     "t.ini:13: tag 'x': initial '2' is not a valid bool value"},
    {"value_outside_int16", BASE TAG("x", "params", "int16") "initial = 40000\n",
     "t.ini:13: tag 'x': initial 40000 is outside the range of int16"},
    {"negative_uint16", BASE TAG("x", "params", "uint16") "min = -1\n",
     "t.ini:13: tag 'x': min -1 is outside the range of uint16"},
    {"value_outside_float32", BASE TAG("x", "params", "float32") "max = 1e39\n",
     "t.ini:13: tag 'x': max 1e39 is outside the range of float32"},
    {"initial_outside_min_max",
     BASE TAG("x", "params", "int16") "min = 0\nmax = 100\ninitial = 101\n",
     "t.ini:15: tag 'x': initial 101 is outside min..max"},
    {"default_initial_outside_min_max", BASE TAG("x", "params", "int16") "min = 1\nmax = 10\n",
     "t.ini:10: tag 'x': the default initial value 0 is outside min..max: give 'initial' "
     "(min is 1)"},
    {"min_greater_than_max", BASE TAG("x", "params", "int16") "min = 10\nmax = 5\ninitial = 7\n",
     "t.ini:14: tag 'x': min 10 is greater than max 5"},
    {"min_on_bool", BASE TAG("x", "params", "bool") "min = 0\n",
     "t.ini:13: tag 'x': min does not apply to bool"},
    {"safe_outside_min_max", BASE TAG("x", "outputs", "uint16") "max = 100\nsafe = 200\n",
     "t.ini:14: tag 'x': safe 200 is outside min..max"},
    {"safe_on_tag_the_logic_does_not_write", BASE TAG("x", "inputs", "bool") "safe = 0\n",
     "t.ini:13: tag 'x': 'safe' applies to tags of regions the logic writes, not 'inputs'"},
    {"retain_not_yes_or_no", BASE TAG("x", "params", "bool") "retain = maybe\n",
     "t.ini:13: tag 'x': retain 'maybe' is not yes or no"},
    {"unit_too_long", BASE TAG("x", "params", "int16") "unit = " X8 X8 X8 X8 "\n",
     "t.ini:13: tag 'x': unit is longer than 31 characters"},

    /* GPIO */
    {"gpio_line_bound_twice_by_offset",
     BASE TAG("a", "inputs", "bool") "gpio = gpiochip0:17\n" TAG("b", "outputs",
                                                                 "bool") "gpio = gpiochip0:17\n",
     "t.ini:14: tag 'b': GPIO line gpiochip0:17 is already bound to tag 'a' (line 10)"},
    {"gpio_line_bound_twice_by_name",
     BASE TAG("a", "inputs", "bool") "gpio = GPIO17\n" TAG("b", "inputs", "bool") "gpio = GPIO17\n",
     "t.ini:14: tag 'b': GPIO line GPIO17 is already bound to tag 'a' (line 10)"},
    {"gpio_in_region_neither_input_nor_outputs", BASE TAG("x", "params", "bool") "gpio = GPIO17\n",
     "t.ini:13: tag 'x': GPIO binding in region 'params', which is neither an input region "
     "(writer io) nor 'outputs'"},
    {"gpio_in_logic_region_not_named_outputs",
     BASE "[region status]\nwriter = logic\n" TAG("x", "status", "bool") "gpio = GPIO17\n",
     "t.ini:15: tag 'x': GPIO binding in region 'status', which is neither an input region "
     "(writer io) nor 'outputs'"},
    {"gpio_on_int16", BASE TAG("x", "inputs", "int16") "gpio = GPIO17\n",
     "t.ini:13: tag 'x': a GPIO line carries a bool, not int16"},
    {"gpio_drive_on_input",
     BASE TAG("x", "inputs", "bool") "gpio = GPIO17\ngpio_drive = open-drain\n",
     "t.ini:14: tag 'x': gpio_drive applies to outputs only"},
    {"gpio_debounce_on_output",
     BASE TAG("x", "outputs", "bool") "gpio = GPIO23\ngpio_debounce = 5ms\n",
     "t.ini:14: tag 'x': gpio_debounce applies to inputs only"},
    {"gpio_key_without_gpio_line", BASE TAG("x", "inputs", "bool") "gpio_bias = pull-up\n",
     "t.ini:13: tag 'x': 'gpio_bias' given without a 'gpio' line"},
    {"gpio_offset_out_of_range", BASE TAG("x", "inputs", "bool") "gpio = gpiochip0:1024\n",
     "t.ini:13: tag 'x': gpio 'gpiochip0:1024' is not CHIP:OFFSET (gpiochip0:17) or a line "
     "name (GPIO17)"},
    {"gpio_name_with_space", BASE TAG("x", "inputs", "bool") "gpio = GPIO 17\n",
     "t.ini:13: tag 'x': gpio 'GPIO 17' is not a line name"},
    {"gpio_bias_unknown", BASE TAG("x", "inputs", "bool") "gpio = GPIO17\ngpio_bias = pullup\n",
     "t.ini:14: tag 'x': gpio_bias 'pullup' is not as-is, disabled, pull-up or pull-down"},
    {"gpio_drive_unknown",
     BASE TAG("x", "outputs", "bool") "gpio = GPIO23\ngpio_drive = totem-pole\n",
     "t.ini:14: tag 'x': gpio_drive 'totem-pole' is not push-pull, open-drain or "
     "open-source"},
    {"gpio_debounce_not_a_duration",
     BASE TAG("x", "inputs", "bool") "gpio = GPIO17\ngpio_debounce = 5min\n",
     "t.ini:14: tag 'x': gpio_debounce '5min' is not a duration (10ms, 500us, 1s)"},
    {"gpio_active_low_not_yes_or_no",
     BASE TAG("x", "inputs", "bool") "gpio = GPIO17\ngpio_active_low = low\n",
     "t.ini:14: tag 'x': gpio_active_low 'low' is not yes or no"},

    /* Modbus */
    {"modbus_32bit_overlaps_next_register",
     BASE TAG("a", "params", "int32") "modbus = holding_register:10\n" TAG(
         "b", "params", "int16") "modbus = holding_register:11\n",
     "t.ini:14: tag 'b': modbus holding_register 11 overlaps tag 'a' (line 10)"},
    {"modbus_32bit_overlaps_previous_register",
     BASE TAG("a", "params", "int16") "modbus = holding_register:11\n" TAG(
         "b", "params", "float32") "modbus = holding_register:10\n",
     "t.ini:14: tag 'b': modbus holding_register 10 overlaps tag 'a' (line 10)"},
    {"modbus_same_coil_twice",
     BASE TAG("a", "outputs", "bool") "modbus = coil:3\n" TAG("b", "outputs",
                                                              "bool") "modbus = coil:3\n",
     "t.ini:14: tag 'b': modbus coil 3 overlaps tag 'a' (line 10)"},
    {"modbus_bool_on_register", BASE TAG("x", "params", "bool") "modbus = holding_register:0\n",
     "t.ini:13: tag 'x': a bool tag binds to a coil or discrete_input, not holding_register"},
    {"modbus_int_on_coil", BASE TAG("x", "params", "int16") "modbus = coil:0\n",
     "t.ini:13: tag 'x': a tag of type int16 binds to registers, not coil"},
    {"modbus_word_order_on_16_bit",
     BASE TAG("x", "params", "uint16") "modbus = holding_register:0\n"
                                       "modbus_word_order = CDAB\n",
     "t.ini:14: tag 'x': modbus_word_order applies to 32- and 64-bit types only"},
    {"modbus_word_order_without_modbus",
     BASE TAG("x", "params", "int32") "modbus_word_order = CDAB\n",
     "t.ini:13: tag 'x': 'modbus_word_order' given without a 'modbus' binding"},
    {"modbus_word_order_unknown",
     BASE TAG("x", "params", "int32") "modbus = holding_register:0\n"
                                      "modbus_word_order = ABDC\n",
     "t.ini:14: tag 'x': modbus_word_order 'ABDC' is not ABCD, CDAB, BADC or DCBA"},
    {"modbus_unknown_table", BASE TAG("x", "params", "int16") "modbus = register:1\n",
     "t.ini:13: tag 'x': modbus 'register:1' is not TABLE:ADDRESS (coil, discrete_input, "
     "input_register or holding_register, and a 0-based address)"},
    {"modbus_without_address", BASE TAG("x", "params", "int16") "modbus = holding_register\n",
     "t.ini:13: tag 'x': modbus 'holding_register' is not TABLE:ADDRESS (coil, "
     "discrete_input, input_register or holding_register, and a 0-based address)"},
    {"modbus_address_above_65535",
     BASE TAG("x", "params", "int16") "modbus = holding_register:65536\n",
     "t.ini:13: tag 'x': modbus 'holding_register:65536' is not TABLE:ADDRESS (coil, "
     "discrete_input, input_register or holding_register, and a 0-based address)"},
    {"modbus_32bit_runs_past_65535",
     BASE TAG("x", "params", "int32") "modbus = holding_register:65535\n",
     "t.ini:13: tag 'x': modbus holding_register:65535 runs past address 65535"},
};

static void run_bad(void **state)
{
    const struct bad *b = *state;
    assert_refused(b->text, b->want);
}

/* ---- sizes that need a generated layout ----------------------------------------- */

/* A layout with one region of @count int32 tags and the given size line. */
static char *many_tags(size_t count, const char *size_line)
{
    size_t cap = 256 + count * 48;
    char *text = malloc(cap);
    assert_non_null(text);
    int n = snprintf(text, cap, LAYOUT "[region big]\nwriter = modbus\n%s", size_line);
    for (size_t i = 0; i < count; i++)
        n += snprintf(text + n, cap - (size_t)n, "[tag t%zu]\nregion = big\ntype = int32\n", i);
    return text;
}

static void auto_size_grows_past_one_page(void **state)
{
    /* 448 int32 = 1792 bytes: the 512-byte header, the data and its last complete
     * copy fill exactly one page */
    char *text = many_tags(448, "");
    struct plc_layout *l = load_ok(text);
    assert_int_equal(region(l, "big")->data_size, 1792);
    assert_int_equal(region(l, "big")->size, 4096);
    plc_layout_free(l);
    free(text);

    text = many_tags(449, "");
    l = load_ok(text);
    assert_int_equal(region(l, "big")->data_size, 1800);
    assert_int_equal(region(l, "big")->size, 8192);
    assert_int_equal(tag(l, "t448")->offset, 1792);
    plc_layout_free(l);
    free(text);
    (void)state;
}

static void region_too_small_names_what_fits(void **state)
{
    char *text = many_tags(897, "size = 4096\n");
    assert_refused(text, "t.ini:4: region 'big' is too small: its tags need 3592 bytes, "
                         "twice over (the data and its last complete copy), after the "
                         "512-byte header, size is 4096 (use size = auto or at least 8192)");
    free(text);
    text = many_tags(897, "size = 8KiB\n");
    plc_layout_free(load_ok(text));
    free(text);
    (void)state;
}

/* ---- the hash ------------------------------------------------------------------- */

#define HASH_BASE                                                                                  \
    "[layout]\nname = t\nversion = 1\ndescription = Plant\n"                                       \
    "[region inputs]\nwriter = io\ndescription = In\n"                                             \
    "[region params]\nwriter = modbus\n"                                                           \
    "[tag level]\nregion = inputs\ntype = float32\nunit = %\ndescription = Level\n"                \
    "modbus = input_register:0\n"                                                                  \
    "[tag setpoint]\nregion = params\ntype = int16\nmodbus = holding_register:4\n"

static void hash_is_stable(void **state)
{
    assert_true(hash_of(HASH_BASE) == hash_of(HASH_BASE));
    assert_true(hash_of(HASH_BASE) != 0);

    /* The canonical text is what the hash covers; pin it down. */
    struct plc_layout *l = load_ok(HASH_BASE);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(plc_layout_write_canonical(l, f), 0);
    fclose(f);
    assert_string_equal(
        buf, "layout t\n"
             "region inputs writer=io size=4096 data=8 mode=0660 group=\n"
             "region params writer=modbus size=4096 data=8 mode=0660 group=\n"
             "tag level region=inputs type=float32 offset=0 initial=0 "
             "min=-3.4028234663852886e+38 max=3.4028234663852886e+38 safe=0 retain=0 "
             "modbus=input_register:0:ABCD\n"
             "tag setpoint region=params type=int16 offset=0 initial=0 min=-32768 max=32767 "
             "safe=0 retain=0 modbus=holding_register:4:ABCD\n");
    free(buf);
    plc_layout_free(l);
    (void)state;
}

/* Layouts with one tag; pairs of them differ in one thing the image depends on. */
#define ONE_TAG(writer, name, type, extra)                                                         \
    "[layout]\nname = t\nversion = 1\n[region a]\nwriter = " writer "\n"                           \
    "[tag " name "]\nregion = a\ntype = " type "\n" extra

static void hash_changes_with_what_the_image_depends_on(void **state)
{
    static const struct {
        const char *what, *before, *after;
    } pairs[] = {
        {"a tag added", HASH_BASE, HASH_BASE TAG("extra", "params", "bool")},
        {"a type", ONE_TAG("modbus", "v", "int16", ""), ONE_TAG("modbus", "v", "uint16", "")},
        {"a modbus address", ONE_TAG("modbus", "v", "int16", "modbus = holding_register:4\n"),
         ONE_TAG("modbus", "v", "int16", "modbus = holding_register:5\n")},
        {"a modbus table", ONE_TAG("modbus", "v", "int16", "modbus = holding_register:4\n"),
         ONE_TAG("modbus", "v", "int16", "modbus = input_register:4\n")},
        {"a word order", ONE_TAG("modbus", "v", "int32", "modbus = holding_register:4\n"),
         ONE_TAG("modbus", "v", "int32",
                 "modbus = holding_register:4\nmodbus_word_order = CDAB\n")},
        {"a tag name", ONE_TAG("modbus", "v", "int16", ""), ONE_TAG("modbus", "w", "int16", "")},
        {"an initial value", ONE_TAG("modbus", "v", "int16", ""),
         ONE_TAG("modbus", "v", "int16", "initial = 3\n")},
        {"a max", ONE_TAG("modbus", "v", "int16", ""),
         ONE_TAG("modbus", "v", "int16", "max = 300\n")},
        {"retain", ONE_TAG("modbus", "v", "int16", ""),
         ONE_TAG("modbus", "v", "int16", "retain = yes\n")},
        {"a safe value", ONE_TAG("logic", "v", "bool", ""),
         ONE_TAG("logic", "v", "bool", "safe = hold\n")},
        {"a writer", ONE_TAG("logic", "v", "bool", ""), ONE_TAG("modbus", "v", "bool", "")},
        {"a gpio line", ONE_TAG("io", "v", "bool", "gpio = GPIO17\n"),
         ONE_TAG("io", "v", "bool", "gpio = GPIO18\n")},
        {"a debounce", ONE_TAG("io", "v", "bool", "gpio = GPIO17\n"),
         ONE_TAG("io", "v", "bool", "gpio = GPIO17\ngpio_debounce = 1ms\n")},
        {"a region size", ONE_TAG("io", "v", "bool", ""),
         "[layout]\nname = t\nversion = 1\n[region a]\nwriter = io\nsize = 8192\n"
         "[tag v]\nregion = a\ntype = bool\n"},
        {"the layout name", ONE_TAG("io", "v", "bool", ""),
         "[layout]\nname = u\nversion = 1\n[region a]\nwriter = io\n"
         "[tag v]\nregion = a\ntype = bool\n"},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++)
        if (hash_of(pairs[i].before) == hash_of(pairs[i].after))
            fail_msg("hash unchanged by %s", pairs[i].what);
    (void)state;
}

static void hash_ignores_descriptions_units_and_version(void **state)
{
    static const char *const same[] = {
        /* no descriptions, no unit, other version, comments, keys in another order */
        "; comment\n[layout]\nversion = 2\nname = t\n"
        "[region inputs]\nwriter = io\n\n"
        "[region params]\nwriter = modbus\n"
        "[tag level]\nmodbus = input_register:0\ntype = float32\nregion = inputs\n"
        "[tag setpoint]\nregion = params\ntype = int16\nmodbus = holding_register:4\n",
        /* other descriptions and unit */
        "[layout]\nname = t\nversion = 1\ndescription = Other plant\n"
        "[region inputs]\nwriter = io\ndescription = Field\n"
        "[region params]\nwriter = modbus\ndescription = Set by SCADA\n"
        "[tag level]\nregion = inputs\ntype = float32\nunit = mm\ndescription = Height\n"
        "modbus = input_register:0\n"
        "[tag setpoint]\nregion = params\ntype = int16\nmodbus = holding_register:4\n"
        "unit = rpm\n",
    };
    uint64_t base = hash_of(HASH_BASE);
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++)
        assert_true(hash_of(same[i]) == base);
    (void)state;
}

/* ---- files ---------------------------------------------------------------------- */

static void load_missing_file_names_it(void **state)
{
    struct plc_diag d;
    char buf[1200];
    const char *path = PLC_BINARY_DIR "/no-such-layout.ini";
    errno = 0;
    assert_null(plc_layout_load(path, &d));
    assert_int_equal(errno, ENOENT);
    plc_diag_format(&d, buf, sizeof(buf));
    assert_string_equal(buf, PLC_BINARY_DIR
                        "/no-such-layout.ini: cannot open layout: No such file or directory");
    errno = 0;
    assert_null(plc_layout_load(path, NULL)); /* the diag is optional */
    assert_int_equal(errno, ENOENT);
    (void)state;
}

static void load_directory_says_it_cannot_read(void **state)
{
    struct plc_diag d;
    char buf[1200];
    errno = 0;
    assert_null(plc_layout_load(PLC_SOURCE_DIR "/layout", &d));
    assert_int_equal(errno, EISDIR);
    plc_diag_format(&d, buf, sizeof(buf));
    assert_string_equal(buf, PLC_SOURCE_DIR "/layout: cannot read layout: Is a directory");
    (void)state;
}

static void load_file_reports_its_path_and_line(void **state)
{
    char path[] = "/tmp/plc-layout-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char text[] = BASE TAG("x", "inputs", "int128");
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);

    struct plc_diag d;
    char buf[1200], want[1200];
    errno = 0;
    struct plc_layout *l = plc_layout_load(path, &d);
    unlink(path);
    assert_null(l);
    assert_int_equal(errno, EINVAL);
    plc_diag_format(&d, buf, sizeof(buf));
    snprintf(want, sizeof(want),
             "%s:12: tag 'x': unknown type 'int128' (expected bool, int8, uint8, int16, uint16, "
             "int32, uint32, int64, uint64, float32 or float64)",
             path);
    assert_string_equal(buf, want);
    (void)state;
}

static void demo_layout_loads(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(PLC_SOURCE_DIR "/layout/demo.ini", &d);
    if (!l)
        fail_msg("demo.ini: %s:%u: %s", d.file, d.line, d.msg);
    assert_string_equal(plc_layout_get_name(l), "demo");
    static const char *const regions[] = {"inputs", "outputs", "commands", "parameters",
                                          "status"};
    for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
        assert_non_null(plc_layout_find_region(l, regions[i]));
    const struct plc_tag_def *t = tag(l, "start_button");
    assert_string_equal(t->gpio.line_name, "GPIO17");
    assert_true(t->gpio.active_low);
    assert_int_equal(t->gpio.debounce_us, 5000);
    assert_int_equal(t->modbus.table, PLC_MODBUS_DISCRETE_INPUT);
    assert_int_equal(tag(l, "tank_level")->offset, 4);
    assert_int_equal(tag(l, "high_level_alarm")->safe_mode, PLC_SAFE_HOLD);
    assert_int_equal(tag(l, "level_low")->modbus.address, 102);
    assert_true(tag(l, "fault_delay_ms")->initial == 2000);
    assert_int_equal(region(l, "parameters")->data_size, 16);
    plc_layout_free(l);
    (void)state;
}

static void names_of_enums(void **state)
{
    assert_string_equal(plc_modbus_table_name(PLC_MODBUS_HOLDING_REGISTER), "holding_register");
    assert_null(plc_modbus_table_name(0));
    assert_string_equal(plc_word_order_name(PLC_WORD_ORDER_CDAB), "CDAB");
    assert_null(plc_word_order_name(0));
    assert_string_equal(plc_gpio_bias_name(PLC_GPIO_BIAS_PULL_UP), "pull-up");
    assert_string_equal(plc_gpio_drive_name(PLC_GPIO_DRIVE_OPEN_DRAIN), "open-drain");
    const char *const *w = plc_layout_writers();
    assert_string_equal(w[0], "io");
    assert_string_equal(w[1], "logic");
    assert_string_equal(w[2], "modbus");
    assert_string_equal(w[3], "python");
    assert_null(w[4]);
    (void)state;
}

/* Every tool finds its layout the same way: command line, $RASPIPLC_LAYOUT, /etc. */
static void layout_path_from_command_line_then_environment_then_etc(void **state)
{
    (void)state;
    setenv("RASPIPLC_LAYOUT", "/srv/plant.ini", 1);
    assert_string_equal(plc_layout_path("mine.ini"), "mine.ini");
    assert_string_equal(plc_layout_path(NULL), "/srv/plant.ini");
    setenv("RASPIPLC_LAYOUT", "", 1); /* RASPIPLC_LAYOUT= in a shell: unset, not "" */
    assert_string_equal(plc_layout_path(NULL), "/etc/raspiplc/layout.ini");
    unsetenv("RASPIPLC_LAYOUT");
    assert_string_equal(plc_layout_path(NULL), "/etc/raspiplc/layout.ini");
}

/* --layout FILE and a positional LAYOUT are one thing; two different files are refused. */
static void layout_path_option_or_argument_not_two_files(void **state)
{
    struct plc_diag d;
    (void)state;
    setenv("RASPIPLC_LAYOUT", "/srv/plant.ini", 1);
    assert_string_equal(plc_layout_path_choose("a.ini", NULL, &d), "a.ini");
    assert_string_equal(plc_layout_path_choose(NULL, "b.ini", &d), "b.ini");
    assert_string_equal(plc_layout_path_choose("c.ini", "c.ini", &d), "c.ini");
    assert_string_equal(plc_layout_path_choose(NULL, NULL, &d), "/srv/plant.ini");
    unsetenv("RASPIPLC_LAYOUT");
    assert_string_equal(plc_layout_path_choose(NULL, NULL, NULL), "/etc/raspiplc/layout.ini");
    /* Two spellings of one existing file are the same layout. */
    assert_string_equal(
        plc_layout_path_choose(PLC_TEST_LAYOUT, PLC_SOURCE_DIR "/layout/../layout/demo.ini", &d),
        PLC_TEST_LAYOUT);
    errno = 0;
    assert_null(plc_layout_path_choose("a.ini", "b.ini", &d));
    assert_int_equal(errno, EINVAL);
    assert_string_equal(d.msg, "--layout 'a.ini' and LAYOUT 'b.ini' are two different files: "
                               "give one of them");
    assert_string_equal(d.file, "");
    assert_null(plc_layout_path_choose(PLC_TEST_LAYOUT, "missing.ini", NULL));
    assert_null(plc_layout_path_choose("missing.ini", PLC_TEST_LAYOUT, NULL));
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(auto_size_grows_past_one_page),
        cmocka_unit_test(region_too_small_names_what_fits),
        cmocka_unit_test(hash_is_stable),
        cmocka_unit_test(hash_changes_with_what_the_image_depends_on),
        cmocka_unit_test(hash_ignores_descriptions_units_and_version),
        cmocka_unit_test(load_missing_file_names_it),
        cmocka_unit_test(load_directory_says_it_cannot_read),
        cmocka_unit_test(load_file_reports_its_path_and_line),
        cmocka_unit_test(demo_layout_loads),
        cmocka_unit_test(names_of_enums),
        cmocka_unit_test(layout_path_from_command_line_then_environment_then_etc),
        cmocka_unit_test(layout_path_option_or_argument_not_two_files),
    };
    size_t ngood = sizeof(good) / sizeof(good[0]), nbad = sizeof(bad) / sizeof(bad[0]);
    size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
    struct CMUnitTest *tests = calloc(ngood + nbad + nfixed, sizeof(*tests));
    size_t n = 0;
    if (!tests)
        return 1;
    for (size_t i = 0; i < ngood; i++)
        tests[n++] = (struct CMUnitTest){
            .name = good[i].name, .test_func = run_good, .initial_state = (void *)&good[i]};
    for (size_t i = 0; i < nbad; i++)
        tests[n++] = (struct CMUnitTest){
            .name = bad[i].name, .test_func = run_bad, .initial_state = (void *)&bad[i]};
    for (size_t i = 0; i < nfixed; i++)
        tests[n++] = fixed[i];
    int rc = _cmocka_run_group_tests("layout", tests, n, NULL, NULL);
    free(tests);
    return rc;
}
