/* Tests of the random streams (sim/kernel/rng.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "sim/kernel/rng.h"

enum { DRAWS = 200 };

static void draws(hs_rng *r, uint64_t out[DRAWS])
{
    for (int i = 0; i < DRAWS; i++)
        out[i] = (uint64_t)gsl_rng_get(r->g);
}

static void stream(uint64_t seed, const char *domain, uint64_t index, uint64_t out[DRAWS])
{
    hs_rng r;
    assert_int_equal(hs_rng_init(&r, seed, domain, index), 0);
    draws(&r, out);
    hs_rng_free(&r);
}

static int same(const uint64_t *a, const uint64_t *b)
{
    for (int i = 0; i < DRAWS; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

/* The derivation fixes the streams of every run: pin it, so a change to
 * the mixing function cannot go unnoticed (values checked against an
 * independent Python transcription of the formula in sim/rng.c). */
static void test_derive_pinned(void **state)
{
    (void)state;
    assert_true(hs_rng_derive(42, "phold.lp", 7) == UINT64_C(0x097188d8bbb0eb45));
    assert_true(hs_rng_derive(0, "", 0) == UINT64_C(0x5db1c9c93624d952));
    assert_true(hs_rng_derive(42, "phold.lp", 7) == hs_rng_derive(42, "phold.lp", 7));
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void test_derive_distinct(void **state)
{
    (void)state;
    uint64_t a = hs_rng_derive(1, "arrivals", 0);
    assert_true(a != hs_rng_derive(2, "arrivals", 0));   /* run seed */
    assert_true(a != hs_rng_derive(1, "arrival", 0));    /* domain */
    assert_true(a != hs_rng_derive(1, "arrivals", 1));   /* index */
    assert_true(hs_rng_derive(1, "a", 1) != hs_rng_derive(1, "b", 0));
    /* A bijection of the index: no two of many indices collide. */
    enum { N = 20000 };
    uint64_t *v = malloc(N * sizeof *v);
    for (uint64_t i = 0; i < N; i++)
        v[i] = hs_rng_derive(9, "pu", i);
    qsort(v, N, sizeof *v, cmp_u64);
    for (int i = 1; i < N; i++)
        assert_true(v[i - 1] != v[i]);
    free(v);
}

/* Stream (d, i) is the same whether or not other streams exist and are
 * drawn from in between. */
static void test_stream_independence(void **state)
{
    (void)state;
    uint64_t alone[DRAWS], crowded[DRAWS], other[DRAWS];
    stream(7, "class", 3, alone);

    hs_rng before[5], target, after;
    for (uint64_t i = 0; i < 5; i++)
        assert_int_equal(hs_rng_init(&before[i], 7, "class", i == 3 ? 30 : i), 0);
    assert_int_equal(hs_rng_init(&target, 7, "class", 3), 0);
    assert_int_equal(hs_rng_init(&after, 7, "pu", 3), 0);
    for (int i = 0; i < DRAWS; i++) {
        for (int k = 0; k < 5; k++)
            gsl_rng_get(before[k].g);
        crowded[i] = (uint64_t)gsl_rng_get(target.g);
        gsl_rng_get(after.g);
    }
    assert_true(same(alone, crowded));
    for (int k = 0; k < 5; k++)
        hs_rng_free(&before[k]);
    hs_rng_free(&target);
    hs_rng_free(&after);

    stream(7, "class", 4, other);
    assert_false(same(alone, other));   /* another index */
    stream(7, "pu", 3, other);
    assert_false(same(alone, other));   /* another domain */
    stream(8, "class", 3, other);
    assert_false(same(alone, other));   /* another run seed */
}

static void test_run_twice(void **state)
{
    (void)state;
    uint64_t a[DRAWS], b[DRAWS];
    stream(123456789012345ull, "phold.lp", 99, a);
    stream(123456789012345ull, "phold.lp", 99, b);
    assert_true(same(a, b));
}

static void test_ranges(void **state)
{
    (void)state;
    hs_rng r;
    assert_int_equal(hs_rng_init(&r, 1, "ranges", 0), 0);
    double sum = 0;
    enum { N = 200000 };
    for (int i = 0; i < N; i++) {
        double u = hs_rng_uniform(&r);
        assert_true(u >= 0.0 && u < 1.0);
        double p = hs_rng_uniform_pos(&r);
        assert_true(p > 0.0 && p < 1.0);
        double e = hs_rng_exponential(&r, 2.0);
        assert_true(e >= 0.0 && isfinite(e));
        sum += e;
    }
    assert_true(fabs(sum / N - 2.0) < 0.05);   /* 5 sigma is about 0.022 */
    assert_int_equal(hs_rng_below(&r, 0), 0);
    assert_int_equal(hs_rng_below(&r, 1), 0);
    uint64_t big = (1ull << 40) + 12345;
    bool high = false;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = hs_rng_below(&r, big);
        assert_true(x < big);
        high = high || x >= (1ull << 32);
    }
    assert_true(high);   /* the 64-bit path reaches beyond 32 bits */
    hs_rng_free(&r);
    hs_rng_free(&r);     /* freeing twice is harmless */
}

/* hs_rng_below is unbiased: counts of 6 outcomes stay near N/6. */
static void test_below_uniform(void **state)
{
    (void)state;
    hs_rng r;
    assert_int_equal(hs_rng_init(&r, 5, "dice", 0), 0);
    enum { N = 600000, K = 6 };
    int count[K] = {0};
    for (int i = 0; i < N; i++) {
        uint64_t x = hs_rng_below(&r, K);
        assert_true(x < K);
        count[x]++;
    }
    double chi2 = 0;
    for (int k = 0; k < K; k++)
        chi2 += (count[k] - N / K) * (double)(count[k] - N / K) / (N / K);
    assert_true(chi2 < 25.0);   /* 5 degrees of freedom: p < 1e-4 */
    hs_rng_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_derive_pinned),
        cmocka_unit_test(test_derive_distinct),
        cmocka_unit_test(test_stream_independence),
        cmocka_unit_test(test_run_twice),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_below_uniform),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
