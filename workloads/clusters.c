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
 */
#include <math.h>

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
