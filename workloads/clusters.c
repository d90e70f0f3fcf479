/* hetsoc workloads: the cluster-hit model of an IVF search (HedraRAG §3.3,
 * §4.2).
 *
 * A search probes its clusters in order (nearest centroid first) and keeps
 * a running top-k.  Two Zipf-like laws say where the final top-k lies:
 *
 *   locality  the probe rank j (0-based) of the cluster holding each final
 *             hit: P(j) = (j + 1)^-a / H(n, a) over the n clusters probed,
 *             drawn independently per hit.  Hits concentrate in the first
 *             probed clusters, so the running top-k stops changing early:
 *             what progress-driven speculation exploits.
 *   skew      the share of all hits that the g hottest of n clusters carry:
 *             H(g, s) / H(n, s) (what a GPU index cache of g clusters hits).
 *
 * H(n, s) = sum_{k=1..n} k^-s.  The default exponent is a fit: s = 0.826
 * gives the g = 20% hottest of n = 4096 clusters 69.0% of the hits, the
 * skew HedraRAG §3.3 reports for IVF4096.  The locality default takes the
 * same exponent for the probe order of one query (assumed: no paper gives
 * the per-query figure).
 *
 * Each hit's rank comes from a hash of the request's seed, the stage and
 * the hit's index (no RNG is held, and the request's DAG draws are
 * untouched): the same seed gives the same ranks whatever the policy does.
 *
 * Similarity order (wl_cluster_order, at the end): where a later search's
 * hits fall when a policy scans the clusters of the request's previous
 * hits first (HedraRAG §4.2.2; the model is in workloads.h, "Similarity
 * order of a search").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kernel/rng.h"
#include "workloads/wl_private.h"

/* H(n, s); n is at most a few thousand clusters. */
static double harmonic(int64_t n, double s)
{
    double h = 0;
    for (int64_t k = 1; k <= n; k++)
        h += pow((double)k, -s);
    return h;
}

double hs_cluster_hit_share(int64_t nclusters, double skew, int64_t g)
{
    if (nclusters < 1 || g <= 0)
        return 0;
    if (g >= nclusters)
        return 1;
    return harmonic(g, skew) / harmonic(nclusters, skew);
}

int64_t wl_hit_rank(double u, int64_t n, double locality)
{
    if (n <= 1)
        return 0;
    double target = u * harmonic(n, locality), acc = 0;
    for (int64_t j = 0; j < n; j++) {
        acc += pow((double)(j + 1), -locality);
        if (target < acc)
            return j;
    }
    return n - 1;   /* u rounding to the top of the last bin */
}

/* ---- Similarity order of a request's later search (HedraRAG §4.2.2) ------
 * A search's tiers are drawn from its own "locality" stream (seed), apart
 * from every draw a baseline sees: its hit ranks are those above, fixed,
 * and only their place in the scan moves. */

static double unit(uint64_t seed, const char *tag, uint64_t i)
{
    return (double)(hs_rng_derive(seed, tag, i) >> 11) * 0x1p-53;
}

/* The Zipf CDF over n ranks (cdf[j] = P(rank <= j)), so that a draw is a
 * binary search instead of n powers. */
static double *zipf_cdf(int64_t n, double a)
{
    double *cdf = malloc((size_t)n * sizeof *cdf);
    if (!cdf)
        return NULL;
    double acc = 0;
    for (int64_t j = 0; j < n; j++)
        cdf[j] = acc += pow((double)(j + 1), -a);
    for (int64_t j = 0; j < n; j++)
        cdf[j] /= acc;
    return cdf;
}

static int64_t zipf_draw(const double *cdf, int64_t n, double u)
{
    int64_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (u < cdf[mid])
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

int64_t wl_hit_clusters(int64_t n, double locality, const int64_t *hits, int64_t top_k,
                        int64_t large_k, uint64_t seed)
{
    uint8_t *seen = n > 0 ? calloc((size_t)n, 1) : NULL;
    double *cdf = large_k > top_k && n > 0 ? zipf_cdf(n, locality) : NULL;
    if (!seen || (large_k > top_k && !cdf)) {
        free(seen);
        free(cdf);
        return -1;
    }
    int64_t distinct = 0;
    for (int64_t j = 0; j < large_k; j++) {
        int64_t k = j < top_k ? hits[j] : zipf_draw(cdf, n, unit(seed, "topl", (uint64_t)j));
        distinct += !seen[k];
        seen[k] = 1;
    }
    free(seen);
    free(cdf);
    return distinct;
}

enum { TIER_HIT, TIER_ASSIGNED, TIER_REST, TIER_NONE };

/* The tier of hit j's cluster from its draw (cached: also in the cache). */
static int hit_tier(const wl_order_in *in, int64_t j, bool *cached)
{
    double u = unit(in->seed, "tier", (uint64_t)j);
    *cached = false;
    if (u < in->p_cache) {
        /* Its place among the previous search's HS_LOCAL_TOPK_MODEL cached
         * results is uniform: a cache of local_topk holds it with chance
         * local_topk / 20 (chosen: no figure for other sizes). */
        double slot = floor(unit(in->seed, "slot", (uint64_t)j) * HS_LOCAL_TOPK_MODEL);
        *cached = slot < (double)in->local_topk;
        return TIER_HIT;
    }
    return u < in->p_hit ? TIER_HIT : u < in->p_assigned ? TIER_ASSIGNED : TIER_REST;
}

/* The h_prev - (those the hits placed) other clusters of H_v in C': at
 * Zipf ranks (near the query: they held its predecessor's best results),
 * on free ranks only; a bounded number of tries. */
static int place_hit_clusters(const wl_order_in *in, uint8_t *tier, int64_t placed)
{
    double *cdf = placed < in->h_prev ? zipf_cdf(in->n, in->locality) : NULL;
    if (placed < in->h_prev && !cdf)
        return -1;
    for (int64_t i = 0; placed < in->h_prev && i < 8 * in->n; i++) {
        int64_t k = zipf_draw(cdf, in->n, unit(in->seed, "h", (uint64_t)i));
        if (tier[k] == TIER_NONE) {
            tier[k] = TIER_HIT;
            placed++;
        }
    }
    free(cdf);
    return 0;
}

/* Each rank's tier; the hits' first. */
static int assign_tiers(const wl_order_in *in, uint8_t *tier, bool *cached)
{
    memset(tier, TIER_NONE, (size_t)in->n);
    int64_t placed = 0;
    for (int64_t j = 0; j < in->top_k; j++) {
        int t = hit_tier(in, j, &cached[j]);
        if (tier[in->hits[j]] == TIER_NONE) {   /* two hits in one cluster: the first decides */
            tier[in->hits[j]] = (uint8_t)t;
            placed += t == TIER_HIT;
        }
    }
    if (place_hit_clusters(in, tier, placed) != 0)
        return -1;
    for (int64_t k = 0; k < in->n; k++)
        if (tier[k] == TIER_NONE)
            tier[k] = unit(in->seed, "old", (uint64_t)k) < in->p_assigned ? TIER_ASSIGNED : TIER_REST;
    return 0;
}

int wl_cluster_order(const wl_order_in *in, int64_t *hit_pos, wl_order_out *out)
{
    *out = (wl_order_out){.rest = in->n};
    for (int64_t j = 0; j < in->top_k; j++)
        hit_pos[j] = in->hits[j];
    if (in->h_prev <= 0 || in->n <= 0)
        return 0;   /* no earlier search: probe order */
    uint8_t *tier = malloc((size_t)in->n);
    int64_t *pos = malloc((size_t)in->n * sizeof *pos);
    bool *cached = calloc((size_t)in->top_k, sizeof *cached);
    int rc = tier && pos && cached ? assign_tiers(in, tier, cached) : -1;
    int64_t next = 0, count[3] = {0};
    for (int t = TIER_HIT; rc == 0 && t <= TIER_REST; t++)
        for (int64_t k = 0; k < in->n; k++)
            if (tier[k] == t) {
                pos[k] = next++;
                count[t]++;
            }
    for (int64_t j = 0; rc == 0 && j < in->top_k; j++)
        hit_pos[j] = cached[j] ? 0 : pos[in->hits[j]];
    if (rc == 0)
        *out = (wl_order_out){count[TIER_HIT], count[TIER_ASSIGNED], count[TIER_REST]};
    free(tier);
    free(pos);
    free(cached);
    return rc;
}
