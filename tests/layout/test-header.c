/* SPDX-License-Identifier: MIT */
/*
 * The generated plc-image.h against the layout it was generated from: what the
 * compiler lays out must be what plc_layout_load() computes at run time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "plc-image.h"
#include "plc-layout.h"

/* The layout the build generated plc-image.h from (PLC_LAYOUT). */
#ifndef PLC_IMAGE_LAYOUT
#define PLC_IMAGE_LAYOUT PLC_SOURCE_DIR "/layout/demo.ini"
#endif

struct c_tag {
    const char *region, *name, *ctype;
    size_t offset;     /* offsetof() in the struct */
    size_t size;       /* sizeof() the field */
    size_t ctype_size; /* sizeof() the C type the X-macro names */
    size_t x_offset;   /* the offset the X-macro states */
};

#define C_TAG(region, tag, ctype, off)                                                             \
    {#region,                                                                                      \
     #tag,                                                                                         \
     #ctype,                                                                                       \
     offsetof(struct plc_img_##region, tag),                                                       \
     sizeof(((struct plc_img_##region *)0)->tag),                                                  \
     sizeof(ctype),                                                                                \
     off},
static const struct c_tag c_tags[] = {PLC_LAYOUT_TAGS(C_TAG)};

struct c_region {
    const char *name;
    size_t size;   /* sizeof() the struct */
    size_t x_size; /* the data size the X-macro states */
};

#define C_REGION(region, data_size) {#region, sizeof(struct plc_img_##region), data_size},
static const struct c_region c_regions[] = {PLC_LAYOUT_REGIONS(C_REGION)};

static int setup(void **state)
{
    struct plc_diag d;
    struct plc_layout *l = plc_layout_load(PLC_IMAGE_LAYOUT, &d);
    if (!l) {
        print_error("%s:%u: %s\n", d.file, d.line, d.msg);
        return -1;
    }
    *state = l;
    return 0;
}

static int teardown(void **state)
{
    plc_layout_free(*state);
    return 0;
}

static void every_tag_matches_the_runtime_layout(void **state)
{
    const struct plc_layout *l = *state;
    size_t n = sizeof(c_tags) / sizeof(c_tags[0]);
    assert_int_equal(n, plc_layout_tag_count(l));
    for (size_t i = 0; i < n; i++) {
        const struct c_tag *c = &c_tags[i];
        const struct plc_tag_def *t = plc_layout_find_tag(l, c->name);
        if (!t)
            fail_msg("tag '%s' is in the header but not in the layout", c->name);
        assert_ptr_equal(plc_layout_tag_at(l, i), t); /* same order */
        assert_string_equal(t->region->name, c->region);
        if (c->offset != t->offset || c->x_offset != t->offset)
            fail_msg("tag '%s': offsetof %zu, X-macro %zu, layout %zu", c->name, c->offset,
                     c->x_offset, t->offset);
        if (c->size != t->size || c->ctype_size != t->size)
            fail_msg("tag '%s': sizeof %zu, C type %zu, layout %zu", c->name, c->size,
                     c->ctype_size, t->size);
        assert_string_equal(c->ctype, plc_type_ctype(t->type));
    }
}

static void every_region_matches_the_runtime_layout(void **state)
{
    const struct plc_layout *l = *state;
    size_t n = sizeof(c_regions) / sizeof(c_regions[0]);
    assert_int_equal(n, plc_layout_region_count(l));
    for (size_t i = 0; i < n; i++) {
        const struct c_region *c = &c_regions[i];
        const struct plc_region_def *r = plc_layout_region_at(l, i);
        assert_string_equal(r->name, c->name);
        if (c->size != r->data_size || c->x_size != r->data_size)
            fail_msg("region '%s': sizeof %zu, X-macro %zu, layout data_size %zu", c->name, c->size,
                     c->x_size, r->data_size);
    }
}

static void identity_matches_the_runtime_layout(void **state)
{
    const struct plc_layout *l = *state;
    assert_true(PLC_LAYOUT_HASH == plc_layout_get_hash(l));
    assert_int_equal(PLC_LAYOUT_VERSION, plc_layout_get_version(l));
    assert_string_equal(PLC_LAYOUT_NAME, plc_layout_get_name(l));
    assert_int_equal(PLC_REGION_HEADER_SIZE, 512);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_tag_matches_the_runtime_layout),
        cmocka_unit_test(every_region_matches_the_runtime_layout),
        cmocka_unit_test(identity_matches_the_runtime_layout),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
