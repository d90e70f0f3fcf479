/* `hedrarag`'s similarity-aware cluster order (HedraRAG §4.2.2,
 * hs_search_reorder) on a request that searches twice, worked by hand: a
 * second search whose hit lies in a cluster that held the first search's
 * hit is found first and its scan stops early; one whose hit is in no
 * such cluster gains nothing; the top-20 cache probe finding the hit
 * before the first cluster.
 *
 * Profile, index and costs as test_hedrarag.c: CPU and GPU at 1 GFLOP/s
 * and 1 GB/s, IVF of 100 lists of 1000 vectors (dim 125), nprobe 8:
 *   coarse quantizer Tc = 50.508 us; a part of c lists T(c) = c x 0.5 ms
 *   + 0.508 us; each `generate` is 2 MFLOP: Tg = 2 ms on the GPU.
 * The request: retrieve (hit_ranks R1) -> generate -> retrieve2 (hit_ranks
 * R2, locality L) -> generate2, arriving at A = 1 s.  Parameters: no
 * speculation, count budget of 2 clusters a sub-stage, term_window 2.
 *
 * Early termination rule (hs_req_search_progress over the last 2
 * clusters): after a sub-stage the scan has searched s = 2, 4, 6, 8
 * clusters; it goes on while position 0 is in the window (s <= 2) or a
 * hit's scan position lies in [s - 2, s); otherwise its rest is dropped.
 *
 * The first search has no earlier search: probe order.  Its larger top-k
 * (20 results) is its fixed hits alone (a trace says no more), so H_v
 * counts the distinct clusters of R1.  Sub-stages run back to back on the
 * CPU; the latency is 2 Tc + (sub-stages of both searches) T(2) + 2 Tg. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/yaml_test.h"

#include "policies/registry.h"
#include "sim/engine/engine.h"

#define TRACE_ROWS 64
#include "tests/trace_test.h"

static const char *hw_unified =
    "name: t\nmemory: {bandwidth_gbps: 1}\n"
    "pus:\n"
    "  - {name: cpu, kind: cpu, slots: 1, peak_tflops: {fp32: 0.001}}\n"
    "  - {name: gpu, kind: gpu, slots: 1, peak_tflops: {fp32: 0.001}}\n";

static const double Tc = 50508e-9, Tg = 2e-3;

static double T(int lists) { return lists * 0.5e-3 + 508e-9; }

static void assert_near(double got, double want)
{
    if (!(fabs(got - want) <= 1e-12 + 1e-9 * fabs(want)))
        fail_msg("got %.17g, want %.17g", got, want);
}

static const char *two_searches(char *buf, size_t n, const char *r1, const char *r2,
                                const char *locality)
{
    snprintf(buf, n,
             "kind: workflow\nrequests: 1\n"
             "classes:\n"
             "  - name: q\n"
             "    arrival: {process: deterministic, rate: 1}\n"
             "    workflow:\n"
             "      name: t\n"
             "      stages:\n"
             "        - {name: retrieve, kind: vector_search, hit_ranks: %s,\n"
             "           index: {type: ivf, vectors: 100000, dim: 125, nlist: 100, nprobe: 8}}\n"
             "        - {name: generate, kind: compute, flops: 2e6}\n"
             "        - {name: retrieve2, kind: vector_search, hit_ranks: %s, locality: %s,\n"
             "           index: {type: ivf, vectors: 100000, dim: 125, nlist: 100, nprobe: 8}}\n"
             "        - {name: generate2, kind: compute, flops: 2e6}\n"
             "      edges:\n"
             "        - {from: retrieve, to: generate}\n"
             "        - {from: generate, to: retrieve2}\n"
             "        - {from: retrieve2, to: generate2}\n",
             r1, r2, locality);
    return buf;
}

#define BASE "speculation: off, budget: count, nprobe_minibatch: 2, term_window: 2"

/* Scan kernels of stage `stage`, each T(2) long. */
static int scans_of(const char *stage)
{
    int n = 0;
    for (size_t i = 0; i < tr.n; i++)
        if (strcmp(tr.row[i].slot, hs_slot_name(HS_SLOT_SCAN)) == 0 &&
            strcmp(tr.row[i].stage, stage) == 0) {
            assert_near(tr.row[i].end - tr.row[i].start, T(2));
            n++;
        }
    return n;
}

/* Runs the workload; checks each search's sub-stages and the latency. */
static void expect(const char *wl, const char *params, int subs1, int subs2)
{
    hs_run_metrics m;
    trace_run("hedrarag", hw_unified, wl, params, &m);
    assert_int_equal(scans_of("retrieve"), subs1);
    assert_int_equal(scans_of("retrieve2"), subs2);
    assert_int_equal(m.speculations, 0);
    assert_int_equal(m.wasted_works, 0);
    assert_near(m.all.mean_latency_s, 2 * Tc + (subs1 + subs2) * T(2) + 2 * Tg);
    hs_run_metrics_free(&m);
}

/* ---- Locality holds: the hit's cluster held the first search's hit --------
 * R1 = [1]: [0,2) holds position 0 -> on; [2,4): window [2,4) holds no
 *   hit -> the rest [4,8) dropped: 2 sub-stages.  H_v = 1 cluster.
 * R2 = [3], locality [0, 1, 1]: the hit's draw u < 1 = hit: its cluster
 *   (probe rank 3) is the one of H_v ∩ C', scanned first; every other rank
 *   was assigned before (share 1): the order is 3, 0, 1, 2, 4, 5, 6, 7,
 *   the hit at position 0.  [0,2) on; [2,4) no hit -> dropped at 4: 2
 *   sub-stages, latency 2 Tc + 4 T(2) + 2 Tg.
 * reorder off: probe order, the hit at 3: [0,2) on; [2,4) holds 3 -> on;
 *   [4,6) no hit -> dropped at 6: 3 sub-stages, 2 Tc + 5 T(2) + 2 Tg.
 *   Reordering saves one sub-stage (2 of 8 clusters: 25%). */
static void test_hit_in_earlier_hit_cluster(void **state)
{
    (void)state;
    char wl[2048];
    two_searches(wl, sizeof wl, "[1]", "[3]", "[0, 1, 1]");
    expect(wl, "{" BASE ", local_topk: 0}", 2, 2);
    expect(wl, "{" BASE ", reorder: false}", 2, 3);
}

/* ---- Locality does not hold ----------------------------------------------
 * R2 = [2], locality [0, 0, 0]: the hit's cluster is new to the request
 *   (tier rest), and so is every other rank (assigned share 0) but the
 *   one cluster of H_v, which sits at a Zipf-drawn free rank r != 2 and
 *   is scanned first: the order is r, then the other ranks in probe
 *   order, so the hit is at position 2 (r < 2) or 3 (r > 2) -- either
 *   way in [2,4).  [0,2) on; [2,4) holds it -> on; [4,6) no hit ->
 *   dropped at 6: 3 sub-stages, as in probe order (the hit at 2): the
 *   same schedule, nothing gained (2 Tc + 5 T(2) + 2 Tg both ways). */
static void test_no_locality_no_gain(void **state)
{
    (void)state;
    char wl[2048];
    two_searches(wl, sizeof wl, "[1]", "[2]", "[0, 0, 0]");
    expect(wl, "{" BASE "}", 2, 3);
    expect(wl, "{" BASE ", reorder: false}", 2, 3);
}

/* ---- The top-20 cache probe ------------------------------------------------
 * R1 = [0, 1, 2]: [0,2) on; [2,4) holds 2 -> on; [4,6) no hit -> dropped
 *   at 6: 3 sub-stages.  H_v = 3 clusters.
 * R2 = [7], locality [1, 1, 1]: the hit's result is among the first
 *   search's 20 best (u < 1), so its cluster is in H_v; the two other
 *   clusters of H_v go to drawn free ranks, both below 7, so the order
 *   starts a, b, 7 (a < b) and the hit is at position 2.
 *   local_topk 0 (no cache): [0,2) on; [2,4) holds 2 -> on; [4,6) ->
 *     dropped at 6: 3 sub-stages, 2 Tc + 6 T(2) + 2 Tg.
 *   local_topk 20: the cache holds it (its place among the 20 is < 20):
 *     found before the first cluster, position 0.  [0,2) on; [2,4) no
 *     hit -> dropped at 4: 2 sub-stages, 2 Tc + 5 T(2) + 2 Tg.  The
 *     probe itself is not charged (20 vectors against 1000 a cluster). */
static void test_cache_probe(void **state)
{
    (void)state;
    char wl[2048];
    two_searches(wl, sizeof wl, "[0, 1, 2]", "[7]", "[1, 1, 1]");
    expect(wl, "{" BASE ", local_topk: 0}", 3, 3);
    expect(wl, "{" BASE "}", 3, 2);
}

/* A `locality` whose shares are not cumulative is refused. */
static void test_bad_locality(void **state)
{
    (void)state;
    char wl[2048];
    hs_err err;
    two_searches(wl, sizeof wl, "[1]", "[3]", "[0.5, 0.2, 1]");
    hs_node *wn = yaml(wl);
    hs_workload *w = NULL;
    assert_int_not_equal(hs_workload_from_node(wn, &w, &err), 0);
    assert_non_null(strstr(err.msg, "cumulative"));
    hs_node_free(wn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_in_earlier_hit_cluster),
        cmocka_unit_test(test_no_locality_no_gain),
        cmocka_unit_test(test_cache_probe),
        cmocka_unit_test(test_bad_locality),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
