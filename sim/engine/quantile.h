/* hetsoc: quantiles of a run's latencies -- exact while they fit, a sketch
 * with a stated error bound beyond.
 *
 * Up to `exact_max` values (HS_QUANTILE_EXACT_MAX by default, 2^20: 8 MiB
 * a set) every value is kept and a quantile is the exact order statistic
 * with linear interpolation between neighbours (GSL's
 * gsl_stats_quantile_from_sorted_data: q at rank q (n - 1), numpy's
 * default).  A run of the project's workloads stays far below that.
 * Beyond it the values move into a DDSketch (Masson, Rim and Lee, VLDB
 * 2019) with relative accuracy alpha = HS_QUANTILE_ALPHA: value x > 0
 * counts in bucket i = ceil(log_gamma x), gamma = (1 + alpha) / (1 - alpha),
 * which stands for 2 gamma^i / (gamma + 1); then the estimate of the
 * quantile q is within a relative alpha of the order statistic of rank
 * floor(q (n - 1)) (0-based), whatever the distribution.  Memory is then
 * one counter a bucket: about ln(max / min) / (2 alpha) buckets (2,100 for
 * latencies from 1 ns to 10^9 s at 1%), so a set never grows past
 * exact_max values however long the run.
 */
#ifndef HS_ENGINE_QUANTILE_H
#define HS_ENGINE_QUANTILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HS_QUANTILE_EXACT_MAX ((size_t)1 << 20)
#define HS_QUANTILE_ALPHA 0.01

typedef struct hs_quantiles {
    size_t exact_max;    /* values kept exactly before the sketch takes over */
    double *vals;        /* exact mode: the values, unsorted until a query */
    size_t n, cap;
    bool sorted;
    bool sketch;         /* sketch mode: the counters below hold everything */
    double log_gamma;
    int64_t lo;          /* bucket index of counts[0] */
    uint64_t *counts;    /* buckets lo .. lo + ncounts - 1 */
    size_t ncounts;
    uint64_t zeros;      /* values <= 0 (a latency of exactly 0) */
} hs_quantiles;

/* An empty set keeping up to exact_max values exactly (0: the default). */
void hs_quantiles_init(hs_quantiles *q, size_t exact_max);
void hs_quantiles_free(hs_quantiles *q);
/* Adds a value (not NaN).  Returns 0, or -1 out of memory (the set is then
 * as before the call). */
int hs_quantiles_add(hs_quantiles *q, double x);
uint64_t hs_quantiles_count(const hs_quantiles *q);
/* Whether the set still holds its values exactly. */
bool hs_quantiles_exact(const hs_quantiles *q);
/* The q-quantile, 0 <= p <= 1 (sorts the kept values on first use after an
 * add); NaN for an empty set. */
double hs_quantiles_get(hs_quantiles *q, double p);

#endif
