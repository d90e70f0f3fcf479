/* hetsoc: exact quantiles, then a DDSketch (quantile.h has the math). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "sim/engine/quantile.h"

void hs_quantiles_init(hs_quantiles *q, size_t exact_max)
{
    *q = (hs_quantiles){.exact_max = exact_max ? exact_max : HS_QUANTILE_EXACT_MAX,
                        .log_gamma = log((1 + HS_QUANTILE_ALPHA) / (1 - HS_QUANTILE_ALPHA))};
}

void hs_quantiles_free(hs_quantiles *q)
{
    free(q->vals);
    free(q->counts);
    *q = (hs_quantiles){0};
}

static int64_t bucket_of(const hs_quantiles *q, double x)
{
    return (int64_t)ceil(log(x) / q->log_gamma);
}

/* The value bucket i stands for: within alpha of every x it counts. */
static double bucket_value(const hs_quantiles *q, int64_t i)
{
    double gamma = exp(q->log_gamma);
    return 2 * exp((double)i * q->log_gamma) / (gamma + 1);
}

/* Makes counts cover bucket i (the array grows at either end). */
static int cover(hs_quantiles *q, int64_t i)
{
    if (q->ncounts == 0) {
        if (!(q->counts = calloc(1, sizeof *q->counts)))
            return -1;
        q->lo = i;
        q->ncounts = 1;
        return 0;
    }
    int64_t hi = q->lo + (int64_t)q->ncounts - 1;
    if (i >= q->lo && i <= hi)
        return 0;
    int64_t lo2 = i < q->lo ? i : q->lo, hi2 = i > hi ? i : hi;
    size_t n2 = (size_t)(hi2 - lo2 + 1);
    uint64_t *c = calloc(n2, sizeof *c);
    if (!c)
        return -1;
    memcpy(c + (q->lo - lo2), q->counts, q->ncounts * sizeof *c);
    free(q->counts);
    q->counts = c;
    q->lo = lo2;
    q->ncounts = n2;
    return 0;
}

static int sketch_add(hs_quantiles *q, double x)
{
    if (!(x > 0)) {
        q->zeros++;
        return 0;
    }
    int64_t i = bucket_of(q, x);
    if (cover(q, i) != 0)
        return -1;
    q->counts[i - q->lo]++;
    return 0;
}

/* Moves the kept values into the sketch; the set is unchanged on failure. */
static int to_sketch(hs_quantiles *q)
{
    hs_quantiles s = *q;
    s.counts = NULL;
    s.ncounts = 0;
    s.zeros = 0;
    for (size_t k = 0; k < q->n; k++)
        if (sketch_add(&s, q->vals[k]) != 0) {
            free(s.counts);
            return -1;
        }
    free(q->vals);
    q->vals = NULL;
    q->cap = 0;
    q->counts = s.counts;
    q->ncounts = s.ncounts;
    q->lo = s.lo;
    q->zeros = s.zeros;
    q->sketch = true;
    return 0;
}

int hs_quantiles_add(hs_quantiles *q, double x)
{
    if (!q->sketch && q->n == q->exact_max && to_sketch(q) != 0)
        return -1;
    if (q->sketch) {
        if (sketch_add(q, x) != 0)
            return -1;
        q->n++;
        return 0;
    }
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        if (cap > q->exact_max)
            cap = q->exact_max;
        double *v = realloc(q->vals, cap * sizeof *v);
        if (!v)
            return -1;
        q->vals = v;
        q->cap = cap;
    }
    q->vals[q->n++] = x;
    q->sorted = false;
    return 0;
}

uint64_t hs_quantiles_count(const hs_quantiles *q) { return q->n; }

bool hs_quantiles_exact(const hs_quantiles *q) { return !q->sketch; }

/* The sketch's estimate of the order statistic of rank floor(p (n - 1)). */
static double sketch_get(const hs_quantiles *q, double p)
{
    uint64_t rank = (uint64_t)floor(p * (double)(q->n - 1));
    if (rank < q->zeros)
        return 0;
    uint64_t seen = q->zeros;
    for (size_t k = 0; k < q->ncounts; k++) {
        seen += q->counts[k];
        if (seen > rank)
            return bucket_value(q, q->lo + (int64_t)k);
    }
    return bucket_value(q, q->lo + (int64_t)q->ncounts - 1);
}

double hs_quantiles_get(hs_quantiles *q, double p)
{
    if (q->n == 0)
        return NAN;
    if (q->sketch)
        return sketch_get(q, p);
    if (!q->sorted) {
        gsl_sort(q->vals, 1, q->n);
        q->sorted = true;
    }
    return gsl_stats_quantile_from_sorted_data(q->vals, 1, q->n, p);
}
