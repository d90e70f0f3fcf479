/* hetsoc hw: one-dimensional cost curves (interpolated measurements or a
 * fitted power form) and the a * x^b + c fitting helper.
 *
 * GSL's default error handler aborts; the library must never exit, so
 * every argument GSL would reject (x not increasing, too few points, x
 * outside the table) is checked here before GSL sees it. */
#include "hw/hw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_fit.h>
#include <gsl/gsl_interp.h>
#include <gsl/gsl_multifit_nlinear.h>

void hs_curve_free(hs_curve *c)
{
    if (!c)
        return;
    if (c->priv)
        gsl_interp_free(c->priv);
    free(c->x);
    free(c->y);
    memset(c, 0, sizeof *c);
}

static int check_points(const double *x, const double *y, size_t n, hs_interp interp, hs_err *err)
{
    if (n == 0)
        return hs_errf(err, "a curve needs at least one point");
    if (interp == HS_INTERP_STEFFEN && n != 1 && n < 3)
        return hs_errf(err, "steffen interpolation needs at least 3 points (got %zu)", n);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i]) || !isfinite(y[i]))
            return hs_errf(err, "curve point %zu is not a finite number", i + 1);
        if (i > 0 && !(x[i] > x[i - 1]))
            return hs_errf(err, "curve points must have strictly increasing x (point %zu: %g after %g)",
                           i + 1, x[i], x[i - 1]);
    }
    return 0;
}

int hs_curve_set_points(hs_curve *c, const double *x, const double *y, size_t n, hs_interp interp,
                        hs_err *err)
{
    if (check_points(x, y, n, interp, err) < 0)
        return -1;
    hs_curve nc = {.kind = HS_CURVE_POINTS, .interp = interp, .n = n, .lo = x[0], .hi = x[n - 1]};
    nc.x = malloc(n * sizeof *nc.x);
    nc.y = malloc(n * sizeof *nc.y);
    if (!nc.x || !nc.y) {
        hs_curve_free(&nc);
        return hs_errf(err, "out of memory");
    }
    memcpy(nc.x, x, n * sizeof *x);
    memcpy(nc.y, y, n * sizeof *y);
    if (n >= 2) {
        const gsl_interp_type *t = interp == HS_INTERP_STEFFEN ? gsl_interp_steffen : gsl_interp_linear;
        nc.priv = gsl_interp_alloc(t, n);
        if (!nc.priv) {
            hs_curve_free(&nc);
            return hs_errf(err, "out of memory");
        }
        gsl_interp_init(nc.priv, nc.x, nc.y, n);
    }
    hs_curve_free(c);
    *c = nc;
    return 0;
}

void hs_curve_set_power(hs_curve *c, double a, double b, double cc)
{
    hs_curve_free(c);
    c->kind = HS_CURVE_POWER;
    c->a = a;
    c->b = b;
    c->c = cc;
    c->lo = 0;
    c->hi = INFINITY;
}

bool hs_curve_covers(const hs_curve *c, double x)
{
    if (c->kind == HS_CURVE_NONE)
        return false;
    if (c->kind == HS_CURVE_POWER)
        return x > 0 && x >= c->lo && x <= c->hi;
    return x >= c->lo && x <= c->hi;
}

/* Straight line through points i and i + 1, evaluated at x. */
static double segment(const hs_curve *c, size_t i, double x)
{
    double t = (x - c->x[i]) / (c->x[i + 1] - c->x[i]);
    return c->y[i] + t * (c->y[i + 1] - c->y[i]);
}

double hs_curve_eval(const hs_curve *c, double x)
{
    switch (c->kind) {
    case HS_CURVE_POWER:
        return x > 0 ? c->a * pow(x, c->b) + c->c : c->c;
    case HS_CURVE_POINTS:
        if (c->n == 1)
            return c->y[0];
        if (x < c->lo)
            return segment(c, 0, x);
        if (x > c->hi)
            return segment(c, c->n - 2, x);
        /* NULL accelerator: a binary search per call, but no shared
         * mutable state, so a profile can be used from several threads. */
        return gsl_interp_eval(c->priv, c->x, c->y, x, NULL);
    default:
        return 0;
    }
}

/* ---- Fitting a * x^b + c. ---------------------------------------------- */

typedef struct fit_data {
    const double *x, *y;
    size_t n;
} fit_data;

/* Relative residuals: calibration data span orders of magnitude (a GEMV in
 * microseconds, a prefill in seconds) and each point should count alike. */
static int fit_f(const gsl_vector *p, void *params, gsl_vector *f)
{
    const fit_data *d = params;
    double a = gsl_vector_get(p, 0), b = gsl_vector_get(p, 1), c = gsl_vector_get(p, 2);
    for (size_t i = 0; i < d->n; i++)
        gsl_vector_set(f, i, (a * pow(d->x[i], b) + c - d->y[i]) / d->y[i]);
    return GSL_SUCCESS;
}

static int fit_df(const gsl_vector *p, void *params, gsl_matrix *J)
{
    const fit_data *d = params;
    double a = gsl_vector_get(p, 0), b = gsl_vector_get(p, 1);
    for (size_t i = 0; i < d->n; i++) {
        double xb = pow(d->x[i], b), w = 1.0 / d->y[i];
        gsl_matrix_set(J, i, 0, xb * w);
        gsl_matrix_set(J, i, 1, a * xb * log(d->x[i]) * w);
        gsl_matrix_set(J, i, 2, w);
    }
    return GSL_SUCCESS;
}

static double rel_rmse(const double *x, const double *y, size_t n, double a, double b, double c)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double r = (a * pow(x[i], b) + c - y[i]) / y[i];
        s += r * r;
    }
    return sqrt(s / (double)n);
}

/* Line through (log x, log(y - c0)): the start of the nonlinear fit, and
 * the whole fit when c = 0.  Fails when some y <= c0. */
static int loglog(const double *x, const double *y, size_t n, double c0, double *a, double *b)
{
    double *lx = malloc(n * sizeof *lx), *ly = malloc(n * sizeof *ly);
    int rc = -1;
    if (lx && ly) {
        rc = 0;
        for (size_t i = 0; i < n && rc == 0; i++) {
            if (y[i] - c0 <= 0)
                rc = -1;
            else {
                lx[i] = log(x[i]);
                ly[i] = log(y[i] - c0);
            }
        }
        double c00, c01, c11, ss, i0, s1;
        if (rc == 0) {
            gsl_fit_linear(lx, 1, ly, 1, n, &i0, &s1, &c00, &c01, &c11, &ss);
            *a = exp(i0);
            *b = s1;
        }
    }
    free(lx);
    free(ly);
    return rc;
}

/* One Levenberg-Marquardt run from (a, b, c); fills *out when it beats
 * out->rmse. */
static void fit_from(const fit_data *d, double a, double b, double c, hs_fit *out)
{
    gsl_multifit_nlinear_parameters prm = gsl_multifit_nlinear_default_parameters();
    gsl_multifit_nlinear_workspace *w =
        gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &prm, d->n, 3);
    if (!w)
        return;
    gsl_multifit_nlinear_fdf fdf = {.f = fit_f, .df = fit_df, .n = d->n, .p = 3,
                                    .params = (void *)d};
    double p0[3] = {a, b, c};
    gsl_vector_view v = gsl_vector_view_array(p0, 3);
    int info = 0;
    if (gsl_multifit_nlinear_init(&v.vector, &fdf, w) == GSL_SUCCESS) {
        gsl_multifit_nlinear_driver(500, 1e-12, 1e-12, 1e-12, NULL, NULL, &info, w);
        gsl_vector *p = gsl_multifit_nlinear_position(w);
        double fa = gsl_vector_get(p, 0), fb = gsl_vector_get(p, 1), fc = gsl_vector_get(p, 2);
        double r = rel_rmse(d->x, d->y, d->n, fa, fb, fc);
        if (isfinite(r) && r < out->rmse)
            *out = (hs_fit){fa, fb, fc, r, (int)gsl_multifit_nlinear_niter(w)};
    }
    gsl_multifit_nlinear_free(w);
}

int hs_fit_power(const double *x, const double *y, size_t n, bool with_c, hs_fit *out, hs_err *err)
{
    if (n < (with_c ? 3u : 2u))
        return hs_errf(err, "fitting a*n^b%s needs at least %d points (got %zu)", with_c ? "+c" : "",
                       with_c ? 3 : 2, n);
    double ymin = INFINITY;
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] > 0) || !(y[i] > 0) || !isfinite(x[i]) || !isfinite(y[i]))
            return hs_errf(err, "fitting a*n^b+c needs finite x > 0 and y > 0 (point %zu)", i + 1);
        ymin = fmin(ymin, y[i]);
    }
    hs_fit best = {.rmse = INFINITY};
    double a, b;
    if (!with_c) {
        if (loglog(x, y, n, 0, &a, &b) < 0)
            return hs_errf(err, "out of memory");
        *out = (hs_fit){a, b, 0, rel_rmse(x, y, n, a, b, 0), 0};
        return 0;
    }
    /* The error handler is switched off around the solver so that a
     * singular step is a status code, not an abort.  (Global state:
     * calibration runs single-threaded.) */
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    fit_data d = {x, y, n};
    static const double c_frac[] = {0.0, 0.5, 0.9};
    for (size_t i = 0; i < sizeof c_frac / sizeof c_frac[0]; i++) {
        double c0 = c_frac[i] * ymin;
        if (loglog(x, y, n, c0, &a, &b) == 0)
            fit_from(&d, a, b, c0, &best);
    }
    gsl_set_error_handler(old);
    if (!isfinite(best.rmse))
        return hs_errf(err, "the a*n^b+c fit did not converge");
    *out = best;
    return 0;
}
