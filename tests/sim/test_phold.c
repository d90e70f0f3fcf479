/* Tests of PHOLD on the kernel and of the bare reference (sim/kernel/phold.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "sim/kernel/phold.h"

static hs_phold_result run(int (*fn)(const hs_phold_opts *, hs_phold_result *),
                           uint64_t lps, uint64_t k, uint64_t n, uint64_t seed)
{
    hs_phold_opts o = {.lps = lps, .pending_per_lp = k, .events = n, .seed = seed};
    hs_phold_result r;
    assert_int_equal(fn(&o, &r), 0);
    return r;
}

static void check_invariants(hs_phold_result r, uint64_t lps, uint64_t k, uint64_t n)
{
    assert_int_equal(r.events, n);
    assert_int_equal(r.min_pending, lps * k);
    assert_int_equal(r.max_pending, lps * k);
    assert_true(r.end_time > 0.0);
    assert_true(r.wall_s >= 0.0);
    assert_true(r.events_per_s >= 0.0);
}

static void test_kernel_invariants(void **state)
{
    (void)state;
    hs_phold_result a = run(hs_phold_run, 64, 8, 50000, 1);
    check_invariants(a, 64, 8, 50000);
    hs_phold_result b = run(hs_phold_run, 64, 8, 50000, 1);
    assert_true(a.checksum == b.checksum);
    assert_true(a.end_time == b.end_time);
    hs_phold_result c = run(hs_phold_run, 64, 8, 50000, 2);
    assert_true(a.checksum != c.checksum);
    /* With L K events in flight and mean delay 1, the clock advances
     * about N / (L K). */
    assert_true(a.end_time > 0.5 * 50000 / 512 && a.end_time < 2.0 * 50000 / 512);
}

static void test_reference_invariants(void **state)
{
    (void)state;
    hs_phold_result a = run(hs_phold_run_reference, 100, 3, 30000, 5);
    check_invariants(a, 100, 3, 30000);
    hs_phold_result b = run(hs_phold_run_reference, 100, 3, 30000, 5);
    assert_true(a.checksum == b.checksum);
}

/* Same streams, same order of draws, same tie-breaking: the kernel and the
 * reference handle exactly the same events in the same order. */
static void test_kernel_matches_reference(void **state)
{
    (void)state;
    static const uint64_t cfg[][3] = {
        {1, 1, 1000}, {1, 50, 20000}, {50, 4, 20000}, {1000, 10, 100000}, {20000, 2, 100000},
    };
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        hs_phold_result k = run(hs_phold_run, cfg[i][0], cfg[i][1], cfg[i][2], 11 + i);
        hs_phold_result r = run(hs_phold_run_reference, cfg[i][0], cfg[i][1], cfg[i][2], 11 + i);
        check_invariants(k, cfg[i][0], cfg[i][1], cfg[i][2]);
        assert_true(k.checksum == r.checksum);
        assert_true(k.end_time == r.end_time);
    }
}

static void test_zero_events(void **state)
{
    (void)state;
    hs_phold_result k = run(hs_phold_run, 10, 2, 0, 1);
    hs_phold_result r = run(hs_phold_run_reference, 10, 2, 0, 1);
    assert_int_equal(k.events, 0);
    assert_int_equal(k.min_pending, 20);
    assert_true(k.checksum == r.checksum);
}

static void test_bad_options(void **state)
{
    (void)state;
    hs_phold_result r;
    hs_phold_opts bad[] = {
        {.lps = 0, .pending_per_lp = 1, .events = 10},
        {.lps = 1, .pending_per_lp = 0, .events = 10},
        {.lps = UINT64_MAX, .pending_per_lp = 1, .events = 10},
        {.lps = 1u << 30, .pending_per_lp = UINT64_MAX / 4, .events = 10},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(hs_phold_run(&bad[i], &r), -1);
        assert_int_equal(hs_phold_run_reference(&bad[i], &r), -1);
    }
    assert_int_equal(hs_phold_run(NULL, &r), -1);
    assert_int_equal(hs_phold_run(&bad[0], NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_invariants),
        cmocka_unit_test(test_reference_invariants),
        cmocka_unit_test(test_kernel_matches_reference),
        cmocka_unit_test(test_zero_events),
        cmocka_unit_test(test_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
