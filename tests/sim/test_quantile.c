/* Quantiles of a run's latencies (sim/engine/quantile.h): exact order
 * statistics while the values are kept, a DDSketch within its stated
 * relative error beyond. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include <gsl/gsl_rng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "sim/engine/quantile.h"

/* By hand: 10 values 1..10 (added in reverse).  Rank p (n - 1) = 9 p:
 * p50 at 4.5 -> 5.5, p90 at 8.1 -> 9.1, p99 at 8.91 -> 9.91, p0 -> 1,
 * p1 -> 10. */
static void test_ten_by_hand(void **state)
{
    (void)state;
    hs_quantiles q;
    hs_quantiles_init(&q, 0);
    for (int v = 10; v >= 1; v--)
        assert_int_equal(hs_quantiles_add(&q, v), 0);
    assert_true(fabs(hs_quantiles_get(&q, 0.50) - 5.5) < 1e-12);
    assert_true(fabs(hs_quantiles_get(&q, 0.90) - 9.1) < 1e-12);
    assert_true(fabs(hs_quantiles_get(&q, 0.99) - 9.91) < 1e-12);
    assert_true(hs_quantiles_get(&q, 0) == 1 && hs_quantiles_get(&q, 1) == 10);
    /* Adding after a query sorts again. */
    assert_int_equal(hs_quantiles_add(&q, 0.5), 0);
    assert_true(hs_quantiles_get(&q, 0) == 0.5);
    assert_true(hs_quantiles_exact(&q));
    hs_quantiles_free(&q);
}

static void test_empty_is_nan(void **state)
{
    (void)state;
    hs_quantiles q;
    hs_quantiles_init(&q, 0);
    assert_true(isnan(hs_quantiles_get(&q, 0.5)));
    hs_quantiles_free(&q);
}

/* n exponential values (mean 5: an M/M/1 response time at rho = 0.8),
 * against the order statistics of a sorted copy. */
static void check_exact(size_t n)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r, 42 + n);
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    hs_quantiles q;
    hs_quantiles_init(&q, 0);
    for (size_t i = 0; i < n; i++) {
        v[i] = gsl_ran_exponential(r, 5.0);
        assert_int_equal(hs_quantiles_add(&q, v[i]), 0);
    }
    gsl_sort(v, 1, n);
    const double ps[] = {0.5, 0.9, 0.99};
    for (size_t k = 0; k < 3; k++)
        assert_true(hs_quantiles_get(&q, ps[k]) == gsl_stats_quantile_from_sorted_data(v, 1, n, ps[k]));
    assert_true(hs_quantiles_exact(&q));
    hs_quantiles_free(&q);
    free(v);
    gsl_rng_free(r);
}

static void test_exact_10(void **state) { (void)state; check_exact(10); }
static void test_exact_100(void **state) { (void)state; check_exact(100); }
static void test_exact_1e6(void **state) { (void)state; check_exact(1000000); }

/* Beyond exact_max the sketch answers: every estimate lies within a
 * relative HS_QUANTILE_ALPHA of the order statistic of rank
 * floor(p (n - 1)), for a heavy-tailed (lognormal, sigma 2) sample and
 * with a share of exact zeros. */
static void test_sketch_bound(void **state)
{
    (void)state;
    const size_t n = 200000;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r, 7);
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    hs_quantiles q;
    hs_quantiles_init(&q, 1000);
    for (size_t i = 0; i < n; i++) {
        v[i] = i % 50 == 0 ? 0 : gsl_ran_lognormal(r, 0, 2);
        assert_int_equal(hs_quantiles_add(&q, v[i]), 0);
    }
    assert_false(hs_quantiles_exact(&q));
    assert_int_equal(hs_quantiles_count(&q), n);
    gsl_sort(v, 1, n);
    for (double p = 0; p <= 1.0; p += 0.01) {
        double want = v[(size_t)floor(p * (double)(n - 1))];
        double got = hs_quantiles_get(&q, p);
        if (want == 0)
            assert_true(got == 0);
        else
            assert_true(fabs(got - want) <= HS_QUANTILE_ALPHA * want * (1 + 1e-12));
    }
    hs_quantiles_free(&q);
    free(v);
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ten_by_hand),
        cmocka_unit_test(test_empty_is_nan),
        cmocka_unit_test(test_exact_10),
        cmocka_unit_test(test_exact_100),
        cmocka_unit_test(test_exact_1e6),
        cmocka_unit_test(test_sketch_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
