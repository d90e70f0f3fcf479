/* Tests of hw/ curves: interpolation, extension past the ends, and the
 * a*n^b + c fitting helper used by calibration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "hw/hw.h"

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fabs(want)))
        fail_msg("got %.12g, want %.12g (rel. tol %g)", got, want, tol);
}

static void test_fit_recovers_known_abc(void **state)
{
    (void)state;
    /* Synthetic calibration data: a GEMM-like cost over 8..4096 tokens. */
    const double a = 3e-6, b = 1.4, c = 2e-3;
    double x[12], y[12];
    for (int i = 0; i < 12; i++) {
        x[i] = 8 * pow(2.0, i * 9.0 / 11);
        y[i] = a * pow(x[i], b) + c;
    }
    hs_fit f;
    hs_err err;
    assert_int_equal(hs_fit_power(x, y, 12, true, &f, &err), 0);
    assert_rel(f.a, a, 1e-5);
    assert_rel(f.b, b, 1e-5);
    assert_rel(f.c, c, 1e-5);
    assert_true(f.rmse < 1e-8);
}

static void test_fit_with_noise(void **state)
{
    (void)state;
    const double a = 0.02, b = 0.8, c = 0.15;
    double x[20], y[20];
    for (int i = 0; i < 20; i++) {
        x[i] = 10 + 50.0 * i;
        /* Deterministic +-1% wiggle. */
        y[i] = (a * pow(x[i], b) + c) * (1 + 0.01 * ((i % 3) - 1));
    }
    hs_fit f;
    hs_err err;
    assert_int_equal(hs_fit_power(x, y, 20, true, &f, &err), 0);
    assert_rel(f.b, b, 0.1);
    assert_true(f.rmse < 0.01);
    /* The fitted curve predicts within 2% across the range. */
    for (int i = 0; i < 20; i++)
        assert_rel(f.a * pow(x[i], f.b) + f.c, a * pow(x[i], b) + c, 0.02);
}

static void test_fit_loglog_without_c(void **state)
{
    (void)state;
    double x[5] = {1, 10, 100, 1000, 10000}, y[5];
    for (int i = 0; i < 5; i++)
        y[i] = 4e-5 * pow(x[i], 0.9);
    hs_fit f;
    hs_err err;
    assert_int_equal(hs_fit_power(x, y, 5, false, &f, &err), 0);
    assert_rel(f.a, 4e-5, 1e-9);
    assert_rel(f.b, 0.9, 1e-9);
    assert_true(f.c == 0);
    /* Bad input is an error, not an abort. */
    assert_int_equal(hs_fit_power(x, y, 2, true, &f, &err), -1);
    assert_non_null(strstr(err.msg, "at least 3"));
    double bad[3] = {1, -2, 3};
    assert_int_equal(hs_fit_power(bad, y, 3, true, &f, &err), -1);
}

static void test_curve_points(void **state)
{
    (void)state;
    hs_curve c = {0};
    hs_err err;
    double x[2] = {135, 1000}, y[2] = {0.4084, 2.050};
    assert_int_equal(hs_curve_set_points(&c, x, y, 2, HS_INTERP_LINEAR, &err), 0);
    assert_rel(hs_curve_eval(&c, 135), 0.4084, 1e-15);
    assert_rel(hs_curve_eval(&c, 1000), 2.050, 1e-15);
    /* Past the ends: the end segments extended. */
    double slope = (2.050 - 0.4084) / 865;
    assert_rel(hs_curve_eval(&c, 2000), 2.050 + 1000 * slope, 1e-12);
    assert_rel(hs_curve_eval(&c, 100), 0.4084 - 35 * slope, 1e-12);
    assert_true(hs_curve_covers(&c, 500));
    assert_false(hs_curve_covers(&c, 1001));
    /* Steffen never overshoots a flat step. */
    double sx[4] = {0, 1, 2, 3}, sy[4] = {0, 0, 1, 1};
    assert_int_equal(hs_curve_set_points(&c, sx, sy, 4, HS_INTERP_STEFFEN, &err), 0);
    for (double t = 0; t <= 3; t += 0.05) {
        double v = hs_curve_eval(&c, t);
        assert_true(v >= 0 && v <= 1);
    }
    /* Bad points are errors. */
    double dx[3] = {1, 1, 2};
    assert_int_equal(hs_curve_set_points(&c, dx, sy, 3, HS_INTERP_LINEAR, &err), -1);
    assert_int_equal(hs_curve_set_points(&c, sx, sy, 2, HS_INTERP_STEFFEN, &err), -1);
    /* One point: a constant. */
    assert_int_equal(hs_curve_set_points(&c, x, y, 1, HS_INTERP_LINEAR, &err), 0);
    assert_rel(hs_curve_eval(&c, 5000), 0.4084, 0);
    hs_curve_set_power(&c, 2, 0.5, 1);
    assert_rel(hs_curve_eval(&c, 16), 9, 1e-15);
    hs_curve_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fit_recovers_known_abc),
        cmocka_unit_test(test_fit_with_noise),
        cmocka_unit_test(test_fit_loglog_without_c),
        cmocka_unit_test(test_curve_points),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
