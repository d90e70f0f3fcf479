/* hetsoc workloads: probability distributions of token counts, think
 * times, tool latencies, loop counts, service times.
 *
 * YAML: a number is a constant; otherwise a mapping
 *   {dist: NAME, PARAMS..., min: LO, max: HI}
 * where min/max clamp each sample (the published maxima of long-tailed
 * token counts, e.g. Agent.xpu's ~1.6k output tokens).  Means and
 * coefficients of variation are the parameters papers report, so
 * lognormal and gamma take (mean, cv) and convert to GSL's form here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_private.h"

static const char *const dist_names[WD_COUNT + 1] = {
    "const", "uniform", "uniform_int", "exponential", "normal", "lognormal",
    "gamma", "poisson", "geometric", "discrete", NULL,
};

static int parse_discrete(const hs_node *map, wl_dist *d, hs_err *err)
{
    const hs_node *v = hs_map_get(map, "values"), *w = hs_map_get(map, "weights");
    if (!v)
        return hs_node_err(map, err, "discrete distribution: missing key 'values'");
    if (hs_node_expect(v, HS_NODE_SEQ, err) < 0)
        return -1;
    if (v->len == 0)
        return hs_node_err(v, err, "discrete distribution: 'values' is empty");
    if (w && (hs_node_expect(w, HS_NODE_SEQ, err) < 0))
        return -1;
    if (w && w->len != v->len)
        return hs_node_err(w, err, "discrete distribution: %zu weights for %zu values", w->len,
                           v->len);
    d->n = v->len;
    d->values = calloc(d->n, sizeof *d->values);
    double *wt = calloc(d->n, sizeof *wt);
    if (!d->values || !wt) {
        free(wt);
        return hs_errf(err, "out of memory");
    }
    double sw = 0, sv = 0;
    for (size_t i = 0; i < d->n; i++) {
        wt[i] = 1.0;
        if (hs_node_f64(v->items[i], -INFINITY, INFINITY, &d->values[i], err) < 0 ||
            (w && hs_node_f64(w->items[i], 0, INFINITY, &wt[i], err) < 0)) {
            free(wt);
            return -1;
        }
        sw += wt[i];
        sv += wt[i] * d->values[i];
    }
    if (!(sw > 0)) {
        free(wt);
        return hs_node_err(w, err, "discrete distribution: the weights sum to 0");
    }
    d->mean = sv / sw;
    d->table = gsl_ran_discrete_preproc(d->n, wt);
    free(wt);
    return d->table ? 0 : hs_errf(err, "out of memory");
}

/* Reads the parameters of d->kind from map into d (a, b, mean). */
static int parse_params(const hs_node *map, wl_dist *d, hs_err *err)
{
    double a = 0, b = 0, mean = 0, cv = 0;
    switch (d->kind) {
    case WD_CONST:
        if (hs_get_f64(map, "value", true, -INFINITY, INFINITY, &a, err) < 0)
            return -1;
        d->a = d->mean = a;
        return 0;
    case WD_UNIFORM:
    case WD_UNIFORM_INT:
        if (hs_get_f64(map, "lo", true, -1e300, 1e300, &a, err) < 0 ||
            hs_get_f64(map, "hi", true, a, 1e300, &b, err) < 0)
            return -1;
        if (d->kind == WD_UNIFORM_INT && (a != floor(a) || b != floor(b)))
            return hs_node_err(map, err, "uniform_int: lo and hi must be integers");
        d->a = a, d->b = b, d->mean = (a + b) / 2;
        return 0;
    case WD_EXPONENTIAL:
    case WD_POISSON:
        if (hs_get_f64(map, "mean", true, 0, 1e300, &mean, err) < 0)
            return -1;
        d->a = d->mean = mean;
        return 0;
    case WD_NORMAL:
        if (hs_get_f64(map, "mean", true, -1e300, 1e300, &mean, err) < 0 ||
            hs_get_f64(map, "sd", true, 0, 1e300, &b, err) < 0)
            return -1;
        d->a = d->mean = mean, d->b = b;
        return 0;
    case WD_LOGNORMAL:
        if (hs_map_get(map, "mu")) {
            if (hs_get_f64(map, "mu", true, -1e3, 1e3, &a, err) < 0 ||
                hs_get_f64(map, "sigma", true, 0, 100, &b, err) < 0)
                return -1;
            d->a = a, d->b = b, d->mean = exp(a + b * b / 2);
            return 0;
        }
        if (hs_get_f64(map, "mean", true, 1e-300, 1e300, &mean, err) < 0 ||
            hs_get_f64(map, "cv", true, 0, 100, &cv, err) < 0)
            return -1;
        /* sigma^2 = ln(1 + cv^2), mu = ln(mean) - sigma^2 / 2. */
        d->b = sqrt(log1p(cv * cv));
        d->a = log(mean) - d->b * d->b / 2;
        d->mean = mean;
        return 0;
    case WD_GAMMA:
        if (hs_get_f64(map, "mean", true, 1e-300, 1e300, &mean, err) < 0 ||
            hs_get_f64(map, "cv", true, 1e-6, 100, &cv, err) < 0)
            return -1;
        d->a = 1 / (cv * cv);        /* shape */
        d->b = mean * cv * cv;       /* scale */
        d->mean = mean;
        return 0;
    case WD_GEOMETRIC:
        if (hs_map_get(map, "mean")) {
            if (hs_get_f64(map, "mean", true, 1, 1e12, &mean, err) < 0)
                return -1;
            d->a = 1 / mean;
        } else if (hs_get_f64(map, "p", true, 1e-12, 1, &d->a, err) < 0) {
            return -1;
        }
        d->mean = 1 / d->a;
        return 0;
    case WD_DISCRETE:
        return parse_discrete(map, d, err);
    default:
        return hs_node_err(map, err, "bad distribution");
    }
}

static const char *const *allowed_keys(wl_dist_kind k)
{
    static const char *const c[] = {"dist", "value", "min", "max", NULL};
    static const char *const u[] = {"dist", "lo", "hi", "min", "max", NULL};
    static const char *const m[] = {"dist", "mean", "min", "max", NULL};
    static const char *const nrm[] = {"dist", "mean", "sd", "min", "max", NULL};
    static const char *const ln[] = {"dist", "mean", "cv", "mu", "sigma", "min", "max", NULL};
    static const char *const ga[] = {"dist", "mean", "cv", "min", "max", NULL};
    static const char *const ge[] = {"dist", "p", "mean", "min", "max", NULL};
    static const char *const di[] = {"dist", "values", "weights", "min", "max", NULL};
    switch (k) {
    case WD_CONST: return c;
    case WD_UNIFORM:
    case WD_UNIFORM_INT: return u;
    case WD_NORMAL: return nrm;
    case WD_LOGNORMAL: return ln;
    case WD_GAMMA: return ga;
    case WD_GEOMETRIC: return ge;
    case WD_DISCRETE: return di;
    default: return m;
    }
}

/* {dist: deterministic, mean: X} (the synthetic workload's service), also
 * with `value`. */
static int parse_deterministic(const hs_node *n, wl_dist *d, hs_err *err)
{
    static const char *const keys[] = {"dist", "mean", "value", NULL};
    d->kind = WD_CONST;
    const char *key = hs_map_get(n, "value") ? "value" : "mean";
    if (hs_map_check_keys(n, keys, err) < 0 ||
        hs_get_f64(n, key, true, -INFINITY, INFINITY, &d->a, err) < 0)
        return -1;
    d->mean = d->a;
    return 0;
}

int wl_dist_parse(const hs_node *n, wl_dist *d, hs_err *err)
{
    memset(d, 0, sizeof *d);
    d->lo = -INFINITY, d->hi = INFINITY;
    if (n && n->kind == HS_NODE_SCALAR) {
        d->kind = WD_CONST;
        if (hs_node_f64(n, -INFINITY, INFINITY, &d->a, err) < 0)
            return -1;
        d->mean = d->a;
        return 0;
    }
    if (!n || n->kind != HS_NODE_MAP)
        return hs_node_err(n, err, "expected a number or a distribution {dist: NAME, ...}");
    int kind;
    const char *name = NULL;
    if (hs_get_str(n, "dist", true, &name, err) < 0)
        return -1;
    if (strcmp(name, "deterministic") == 0)
        return parse_deterministic(n, d, err);
    if (hs_get_enum(n, "dist", true, dist_names, &kind, err) < 0)
        return -1;
    d->kind = (wl_dist_kind)kind;
    if (hs_map_check_keys(n, allowed_keys(d->kind), err) < 0 || parse_params(n, d, err) < 0 ||
        hs_get_f64(n, "min", false, -INFINITY, INFINITY, &d->lo, err) < 0 ||
        hs_get_f64(n, "max", false, d->lo, INFINITY, &d->hi, err) < 0) {
        wl_dist_free(d);
        return -1;
    }
    return 0;
}

static double draw(const wl_dist *d, gsl_rng *g)
{
    switch (d->kind) {
    case WD_CONST: return d->a;
    case WD_UNIFORM: return gsl_ran_flat(g, d->a, d->b);
    case WD_UNIFORM_INT:
        return d->a + (double)gsl_rng_uniform_int(g, (unsigned long)(d->b - d->a) + 1);
    case WD_EXPONENTIAL: return d->a > 0 ? gsl_ran_exponential(g, d->a) : 0;
    case WD_NORMAL: return d->a + gsl_ran_gaussian(g, d->b);
    case WD_LOGNORMAL: return gsl_ran_lognormal(g, d->a, d->b);
    case WD_GAMMA: return gsl_ran_gamma(g, d->a, d->b);
    case WD_POISSON: return (double)gsl_ran_poisson(g, d->a);
    case WD_GEOMETRIC: return (double)gsl_ran_geometric(g, d->a);
    case WD_DISCRETE: return d->values[gsl_ran_discrete(g, d->table)];
    default: return 0;
    }
}

double wl_dist_sample(const wl_dist *d, gsl_rng *g)
{
    double x = draw(d, g);
    return x < d->lo ? d->lo : x > d->hi ? d->hi : x;
}

void wl_dist_free(wl_dist *d)
{
    if (!d)
        return;
    free(d->values);
    if (d->table)
        gsl_ran_discrete_free(d->table);
    d->values = NULL;
    d->table = NULL;
}
