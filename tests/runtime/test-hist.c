/* SPDX-License-Identifier: MIT */
/* struct plc_hist: quantiles of the lateness histogram, fine and coarse buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scan-internal.h"

#define US 1000ull

static void empty_histogram_reports_zero(void **state)
{
    static struct plc_hist h;
    memset(&h, 0, sizeof(h));
    assert_int_equal(plc_hist_quantile(&h, 0.99), 0);
}

static void fine_buckets_give_quantiles_to_one_microsecond(void **state)
{
    static struct plc_hist h;
    memset(&h, 0, sizeof(h));
    for (uint64_t i = 1; i <= 100; i++) /* 1..100 us, one each (a hair over) */
        plc_hist_add(&h, i * US + 300);
    assert_int_equal(h.total, 100);
    assert_int_equal(plc_hist_quantile(&h, 0.50), 51 * US); /* 50th value's bucket: [50,51) */
    assert_int_equal(plc_hist_quantile(&h, 0.99), 100 * US);
    assert_int_equal(plc_hist_quantile(&h, 1.0), 100 * US + 300); /* capped at the max */
    assert_int_equal(h.max, 100 * US + 300);
}

static void one_stall_in_a_hundred_is_the_p99_not_the_p50(void **state)
{
    static struct plc_hist h;
    memset(&h, 0, sizeof(h));
    for (int i = 0; i < 98; i++)
        plc_hist_add(&h, 20 * US);
    plc_hist_add(&h, 5000 * US);  /* coarse bucket [5000, 5100) us */
    plc_hist_add(&h, 50000 * US); /* a VM stall */
    assert_int_equal(plc_hist_quantile(&h, 0.50), 21 * US);
    assert_int_equal(plc_hist_quantile(&h, 0.99), 5100 * US);
    assert_int_equal(plc_hist_quantile(&h, 1.0), 50000 * US);
}

static void beyond_the_last_bucket_reports_the_exact_max(void **state)
{
    static struct plc_hist h;
    memset(&h, 0, sizeof(h));
    plc_hist_add(&h, 2000000 * US); /* 2 s */
    assert_int_equal(plc_hist_quantile(&h, 0.5), 2000000 * US);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_histogram_reports_zero),
        cmocka_unit_test(fine_buckets_give_quantiles_to_one_microsecond),
        cmocka_unit_test(one_stall_in_a_hundred_is_the_p99_not_the_p50),
        cmocka_unit_test(beyond_the_last_bucket_reports_the_exact_max),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
