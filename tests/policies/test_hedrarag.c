/* The `hedrarag` policy (HedraRAG, SOSP'25, §4.2) on tiny cases worked out
 * by hand: the retrieval sub-stage under the time budget mb = sqrt(2 t_R
 * beta) and under the count budget, a minibatch of two requests' clusters,
 * early termination reordering the searches, speculative generation that
 * holds and one rolled back (and the RaLMSpec / RAGCache baselines), and
 * the partial GPU index cache splitting one sub-stage between CPU and GPU.
 *
 * Profile: CPU and GPU at 1 GFLOP/s (fp32) and 1 GB/s, no launch or sync
 * cost.  Index: IVF, 100000 vectors of dim 125 (fp32) in 100 lists of
 * 1000, nprobe 8, one query (the numbers of test_spec_lookahead.c):
 *   coarse quantizer: 50508 B, memory-bound: Tc = 50.508 us
 *   a part of c lists: c x 500000 B + 508 B (the query in, its hits out),
 *     memory-bound (c x 0.25 MFLOP): T(c) = c x 0.5 ms + 0.508 us
 *   the whole scan (t_R): T(8) = 4.000508 ms
 * The consumer `generate` is 2 MFLOP of generic compute: 2 ms on either
 * PU; it goes to the GPU, free while the CPU searches. */
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

static void run_hedrarag(const char *hw_yaml, const char *wl_yaml, const char *params, hs_run_metrics *m)
{
    trace_run("hedrarag", hw_yaml, wl_yaml, params, m);
}

static void assert_near(double got, double want)
{
    if (!(fabs(got - want) <= 1e-12 + 1e-9 * fabs(want)))
        fail_msg("got %.17g, want %.17g", got, want);
}

static const double A = 1, Tc = 50508e-9, Tg = 2e-3;

static double T(int lists) { return lists * 0.5e-3 + 508e-9; }

/* One class `q` (or two, a and b, arriving together) searching with the
 * given hit ranks, then generating. */
static const char *one_request(char *buf, size_t n, const char *ranks)
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
             "      edges:\n"
             "        - {from: retrieve, to: generate}\n",
             ranks);
    return buf;
}

static const char *two_requests(char *buf, size_t n, const char *ranks_a, const char *ranks_b)
{
    snprintf(buf, n,
             "kind: workflow\nrequests: 2\n"
             "classes:\n"
             "  - name: a\n"
             "    arrival: {process: deterministic, rate: 1}\n"
             "    workflow:\n"
             "      name: ta\n"
             "      stages:\n"
             "        - {name: ra, kind: vector_search, hit_ranks: %s,\n"
             "           index: {type: ivf, vectors: 100000, dim: 125, nlist: 100, nprobe: 8}}\n"
             "        - {name: ga, kind: compute, flops: 2e6}\n"
             "      edges: [{from: ra, to: ga}]\n"
             "  - name: b\n"
             "    arrival: {process: deterministic, rate: 1}\n"
             "    workflow:\n"
             "      name: tb\n"
             "      stages:\n"
             "        - {name: rb, kind: vector_search, hit_ranks: %s,\n"
             "           index: {type: ivf, vectors: 100000, dim: 125, nlist: 100, nprobe: 8}}\n"
             "        - {name: gb, kind: compute, flops: 2e6}\n"
             "      edges: [{from: rb, to: gb}]\n",
             ranks_a, ranks_b);
    return buf;
}

/* The scan kernels in order: their stage names and durations. */
static size_t scan_rows(size_t *idx, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < tr.n && n < cap; i++)
        if (strcmp(tr.row[i].slot, hs_slot_name(HS_SLOT_SCAN)) == 0)
            idx[n++] = i;
    return n;
}

#define QUIET "early_termination: false, speculation: off"

/* ---- The time budget (§4.2.1) ---------------------------------------------
 * t_R = T(8) = 4.000508 ms, a cluster of one request t_R / 8 = 0.5000635 ms.
 * beta 250 us: mb = sqrt(2 x 4.000508e-3 x 250e-6) = 1.414303 ms, so one
 *   request takes floor(1.414303 / 0.5000635) = floor(2.8283) = 2 clusters
 *   a sub-stage: four sub-stages of T(2) = 1.000508 ms back to back from
 *   A + Tc; the generation follows: latency Tc + 4 T(2) + Tg.
 * beta 1 ms: mb = sqrt(8.001016e-6) = 2.828607 ms: floor(5.6565) = 5
 *   clusters, then the 3 left: T(5) = 2.500508 ms, T(3) = 1.500508 ms. */
static void test_time_budget(void **state)
{
    (void)state;
    char wl[1024];
    hs_run_metrics m;
    size_t idx[16];
    run_hedrarag(hw_unified, one_request(wl, sizeof wl, "[1]"), "{" QUIET ", beta_us: 250}", &m);
    assert_int_equal(scan_rows(idx, 16), 4);
    for (int i = 0; i < 4; i++) {
        assert_near(tr.row[idx[i]].start, A + Tc + i * T(2));
        assert_near(tr.row[idx[i]].end, A + Tc + (i + 1) * T(2));
    }
    assert_near(m.all.mean_latency_s, Tc + 4 * T(2) + Tg);
    hs_run_metrics_free(&m);

    run_hedrarag(hw_unified, one_request(wl, sizeof wl, "[1]"), "{" QUIET ", beta_us: 1000}", &m);
    assert_int_equal(scan_rows(idx, 16), 2);
    assert_near(tr.row[idx[0]].end - tr.row[idx[0]].start, T(5));
    assert_near(tr.row[idx[1]].end - tr.row[idx[1]].start, T(3));
    assert_near(m.all.mean_latency_s, Tc + T(5) + T(3) + Tg);
    hs_run_metrics_free(&m);
}

/* ---- The count budget (the artifact's nprobe_minibatch) --------------------
 * nprobe_minibatch 3 of nprobe 8: sub-stages of 3, 3 and 2 clusters,
 * T(3) T(3) T(2) back to back from A + Tc. */
static void test_count_budget(void **state)
{
    (void)state;
    char wl[1024];
    hs_run_metrics m;
    size_t idx[16];
    run_hedrarag(hw_unified, one_request(wl, sizeof wl, "[1]"),
                 "{" QUIET ", budget: count, nprobe_minibatch: 3}", &m);
    assert_int_equal(scan_rows(idx, 16), 3);
    double t = A + Tc, len[3] = {T(3), T(3), T(2)};
    for (int i = 0; i < 3; i++) {
        assert_near(tr.row[idx[i]].start, t);
        assert_near(tr.row[idx[i]].end, t += len[i]);
    }
    assert_near(m.all.mean_latency_s, Tc + 2 * T(3) + T(2) + Tg);
    hs_run_metrics_free(&m);
}

/* ---- A minibatch of two requests' clusters ----------------------------------
 * a and b arrive together at 1 s; their coarse quantizers run one after
 * the other on the CPU ([A, A + Tc], [A + Tc, A + 2 Tc]).  Count budget 4:
 * each sub-stage batches 4 clusters of each.  The batch reads the expected
 * union of the lists: 100 x (1 - (1 - 4/100)^2) = 7.84 lists = 3920000 B,
 * plus both queries' 2 x 508 B: Tb = 3.921016 ms.  Two sub-stages back to
 * back from A + 2 Tc; two batches, four cluster splits (4 + 4, then the
 * last 4 of each as one part). */
static void test_minibatch_of_two(void **state)
{
    (void)state;
    char wl[2048];
    hs_run_metrics m;
    size_t idx[16];
    run_hedrarag(hw_unified, two_requests(wl, sizeof wl, "[1]", "[1]"),
                 "{" QUIET ", budget: count, nprobe_minibatch: 4}", &m);
    const double Tb = 3921016e-9;
    assert_int_equal(scan_rows(idx, 16), 2);
    for (int i = 0; i < 2; i++) {
        assert_near(tr.row[idx[i]].start, A + 2 * Tc + i * Tb);
        assert_near(tr.row[idx[i]].end, A + 2 * Tc + (i + 1) * Tb);
    }
    assert_int_equal(m.batches, 2);
    assert_int_equal(m.splits, 4);
    hs_run_metrics_free(&m);
}

/* ---- Early termination (§4.2.2, hs_search_drop_rest) ----------------------
 * retrieval_batch 1 (one request a sub-stage), count 2, term_window 2:
 * a's hit at probe rank 1, b's at rank 3.  The running top-k changes at
 * rank 0 (the heap fills) and at each hit.  The ready list takes the
 * remainder of a split at its tail, so the requests alternate while both
 * search.  From t0 = A + 2 Tc, sub-stages of T(2):
 *   k=0 a[0,2) changed;  k=1 b[0,2) changed;
 *   k=2 a[2,4): unchanged over the last 2 (and 4 > 2 searched) -> at the
 *       next cycle (t0 + 3 T(2)) a's rest [4,8) is dropped: its scan
 *       joins in that instant, ga runs [t0 + 3 T(2), + Tg] on the GPU;
 *   k=3 b[2,4) holds rank 3: changed;
 *   k=4 b[4,6): unchanged -> b's rest [6,8) dropped at t0 + 5 T(2), gb
 *       runs [t0 + 5 T(2), + Tg].
 * Five scan kernels (a b a b b), three dropped clusters' parts never run:
 * no speculation, nothing wasted.  Latencies (arrivals at A, a's
 * quantizer first): a 2 Tc + 3 T(2) + Tg, b 2 Tc + 5 T(2) + Tg; mean
 * 2 Tc + 4 T(2) + Tg.  Without early termination: a b a b a b a b, all
 * eight. */
static void test_reorder_early_termination(void **state)
{
    (void)state;
    char wl[2048];
    hs_run_metrics m;
    size_t idx[16];
    const char *params = "{speculation: off, budget: count, nprobe_minibatch: 2, retrieval_batch: 1, "
                         "term_window: 2}";
    run_hedrarag(hw_unified, two_requests(wl, sizeof wl, "[1]", "[3]"), params, &m);
    const char *want[5] = {"ra", "rb", "ra", "rb", "rb"};
    assert_int_equal(scan_rows(idx, 16), 5);
    for (int i = 0; i < 5; i++) {
        assert_string_equal(tr.row[idx[i]].stage, want[i]);
        assert_near(tr.row[idx[i]].start, A + 2 * Tc + i * T(2));
    }
    for (size_t i = 0; i < tr.n; i++)
        if (strcmp(tr.row[i].stage, "ga") == 0 || strcmp(tr.row[i].stage, "gb") == 0)
            assert_near(tr.row[i].start, A + 2 * Tc + (tr.row[i].stage[1] == 'a' ? 3 : 5) * T(2));
    assert_int_equal(m.speculations, 0);
    assert_int_equal(m.wasted_works, 0);
    assert_near(m.all.mean_latency_s, 2 * Tc + 4 * T(2) + Tg);
    hs_run_metrics_free(&m);

    run_hedrarag(hw_unified, two_requests(wl, sizeof wl, "[1]", "[3]"),
                 "{speculation: off, early_termination: false, budget: count, nprobe_minibatch: 2, "
                 "retrieval_batch: 1}", &m);
    assert_int_equal(scan_rows(idx, 16), 8);
    for (int i = 0; i < 8; i++)
        assert_string_equal(tr.row[idx[i]].stage, i % 2 ? "rb" : "ra");
    assert_int_equal(m.speculations, 0);
    hs_run_metrics_free(&m);
}

/* ---- Speculative generation: held, rolled back; the baselines --------------
 * Count 2, no termination.  No generation model runs, so T_curr = 0 < tau:
 * hedrarag speculates after the first sub-stage (searched 2) at A + Tc +
 * T(2); generate runs [A + Tc + T(2), + Tg] on the GPU.
 *   hit at rank 1 (< 2): held; the search ends at Tc + 4 T(2) = 4.05254 ms,
 *     after the generation's 3.051016 ms: latency Tc + 4 T(2), nothing
 *     wasted.
 *   hit at rank 5: rolled back when the search ends; the 2 ms generation is
 *     thrown away (wasted_busy_s = Tg) and runs again: latency Tc + 4 T(2)
 *     + Tg.
 * ragcache_steps 3 speculates after three sub-stages (searched 6): rank 5
 * is in, held; ralmspec after the first (searched 2): rolled back. */
static void test_speculation(void **state)
{
    (void)state;
    char wl[1024];
    hs_run_metrics m;
    const char *base = "{early_termination: false, budget: count, nprobe_minibatch: 2";
    char params[256];
    snprintf(params, sizeof params, "%s}", base);
    run_hedrarag(hw_unified, one_request(wl, sizeof wl, "[1]"), params, &m);
    assert_int_equal(m.speculations, 1);
    assert_int_equal(m.rollbacks, 0);
    assert_int_equal(m.wasted_works, 0);
    assert_near(m.all.mean_latency_s, Tc + 4 * T(2));
    hs_run_metrics_free(&m);

    run_hedrarag(hw_unified, one_request(wl, sizeof wl, "[5]"), params, &m);
    assert_int_equal(m.speculations, 1);
    assert_int_equal(m.rollbacks, 1);
    assert_int_equal(m.wasted_works, 1);
    assert_near(m.wasted_busy_s, Tg);
    assert_near(m.all.mean_latency_s, Tc + 4 * T(2) + Tg);
    hs_run_metrics_free(&m);

    snprintf(params, sizeof params, "%s, speculation: ragcache, ragcache_steps: 3}", base);
    run_hedrarag(hw_unified, one_request(wl, sizeof wl, "[5]"), params, &m);
    assert_int_equal(m.speculations, 1);
    assert_int_equal(m.rollbacks, 0);
    hs_run_metrics_free(&m);

    snprintf(params, sizeof params, "%s, speculation: ralmspec}", base);
    run_hedrarag(hw_unified, one_request(wl, sizeof wl, "[5]"), params, &m);
    assert_int_equal(m.speculations, 1);
    assert_int_equal(m.rollbacks, 1);
    hs_run_metrics_free(&m);
}

/* ---- Partial GPU index cache (§4.2.3) ---------------------------------------
 * The GPU has its own 1 GB memory (the 50 MB index fits there) behind a
 * link of 1e6 GB/s without latency.  index_cache artifact with
 * gpu_memory_utilization 0.5, index_share 1, artifact_gpu_gb 0.001:
 * (1 - 0.5) x 1 x 0.001 GB = 500000 B, one list.  cluster_skew 3: the
 * hottest list carries h = 1 / H(100, 3) = 1 / 1.2020074 = 0.83194 of the
 * hits.  Count budget 4: each sub-stage sends round(0.83194 x 4) = 3
 * clusters to the GPU and 1 to the CPU, run side by side:
 *   CPU part T(1) = 0.500508 ms, GPU part T(3) = 1.500508 ms (+ its input's
 *   transfer, under a picosecond), two sub-stages, so 4 scan kernels,
 *   2 of them on the GPU, each GPU part starting when the previous
 *   sub-stage has ended on both PUs.
 * index_cache off: two CPU sub-stages of T(4). */
static const char *hw_discrete =
    "name: d\nmemory: {name: dram, bandwidth_gbps: 1}\n"
    "memories:\n  - {name: vram, bandwidth_gbps: 1, capacity_gb: 1}\n"
    "links:\n  - {name: pcie, from: dram, to: vram, bandwidth_gbps: 1000000, latency_us: 0}\n"
    "pus:\n"
    "  - {name: cpu, kind: cpu, slots: 1, peak_tflops: {fp32: 0.001}}\n"
    "  - {name: gpu, kind: gpu, memory: vram, slots: 1, peak_tflops: {fp32: 0.001}}\n";

static void test_gpu_index_cache(void **state)
{
    (void)state;
    char wl[1024];
    one_request(wl, sizeof wl, "[1]");
    char *at = strstr(wl, "hit_ranks");
    assert_non_null(at);
    char skewed[1100];
    snprintf(skewed, sizeof skewed, "%.*scluster_skew: 3, %s", (int)(at - wl), wl, at);
    hs_run_metrics m;
    size_t idx[16];
    run_hedrarag(hw_discrete, skewed,
                 "{" QUIET ", budget: count, nprobe_minibatch: 4, index_cache: artifact, "
                 "gpu_memory_utilization: 0.5, index_share: 1, artifact_gpu_gb: 0.001}", &m);
    size_t n = scan_rows(idx, 16);
    assert_int_equal(n, 4);
    int on_gpu = 0;
    for (size_t i = 0; i < n; i++) {
        double len = tr.row[idx[i]].end - tr.row[idx[i]].start;
        if (tr.row[idx[i]].pu == 1) {
            on_gpu++;
            assert_true(fabs(len - T(3)) < 1e-9);
        } else {
            assert_true(fabs(len - T(1)) < 1e-9);
        }
    }
    assert_int_equal(on_gpu, 2);
    hs_run_metrics_free(&m);

    run_hedrarag(hw_discrete, skewed, "{" QUIET ", budget: count, nprobe_minibatch: 4, index_cache: off}", &m);
    assert_int_equal(scan_rows(idx, 16), 2);
    for (int i = 0; i < 2; i++)
        assert_int_equal(tr.row[idx[i]].pu, 0);
    hs_run_metrics_free(&m);
}

/* ---- The KV-cache versus index-cache split (§4.2.3, best_kv_split) ----------
 * The GPU has its own memory of W + F bytes, W the weights of tiny-llm
 * (fp32), F = 1.5 MB what they leave; it runs at 1000 TFLOPS and 1000 GB/s,
 * so its decode step is microseconds: T_G = b / t_step(b) / 2 (output 2)
 * is over 1e5 requests/s even at b = 1 and grows with b (the weights are
 * read once a step).  The CPU scans at 1 GB/s: t_scan = T(8) = 4.0005 ms,
 * T_R = 1 / (t_scan (1 - h)) = 250 / (1 - h) requests/s.  kv_seq = 512
 * B/token (2 layers x 2 KV heads x 32 x 2 x fp16) x (16 + 2) tokens = 9216
 * B; a list L = 500000 B.  split_grid 4: KV_i = kv_seq + (F - kv_seq) i/4,
 * index I_i = (F - kv_seq)(1 - i/4), F - kv_seq = 1490784:
 *   i        4      3        2        1         0
 *   I_i      0      372696   745392   1118088   1490784
 *   lists g  0      0        1        2         2
 *   b        162    122      81       41        1   (floor(KV_i / kv_seq))
 * cluster_skew 50: the hottest list has h = 1/H(100, 50) = 1 - 9e-16 of
 *   the hits, so T_R is 250 at i = 4, 3 and about 3e17 from i = 2 down;
 *   min{T_G, T_R} is 250 at i = 4, 3 and T_G(b) at i <= 2, largest at
 *   the largest b: i = 2, an index cache of 745392 B (one list).
 * cluster_skew 0.001 (near uniform): h(g) is about g/100, so T_R < 256
 *   <<  T_G everywhere and min = T_R, largest where g is largest: i = 1
 *   and i = 0 tie (g = 2); ties go to the larger KV: i = 1, 1118088 B. */
static double spied_cache = -1;
static void (*hedrarag_schedule_hook)(hs_sched *, void *);

static void spy_schedule(hs_sched *s, void *state)
{
    hedrarag_schedule_hook(s, state);
    spied_cache = hs_mem_index_cache(s, hs_pu_of(s, hs_pu_find(s, "gpu"))->mem);
}

static void test_kv_index_split(void **state)
{
    (void)state;
    hs_err err;
    hs_model tiny;
    assert_int_equal(hs_model_load("tiny-llm", &tiny, &err), 0);
    char hw[1024], wl[1024];
    snprintf(hw, sizeof hw,
             "name: d\nmemory: {name: dram, bandwidth_gbps: 1}\n"
             "memories:\n  - {name: vram, bandwidth_gbps: 1000, capacity_gb: %.17g}\n"
             "links:\n  - {name: pcie, from: dram, to: vram, bandwidth_gbps: 1000000, latency_us: 0}\n"
             "pus:\n"
             "  - {name: cpu, kind: cpu, slots: 1, peak_tflops: {fp32: 0.001}}\n"
             "  - {name: gpu, kind: gpu, memory: vram, slots: 1, peak_tflops: {fp32: 1000, fp16: 1000}}\n",
             (hs_model_weight_bytes(&tiny) + 1.5e6) / 1e9);
    hs_policy_ops spy = *hs_policy_lookup("hedrarag", &err);
    hedrarag_schedule_hook = spy.schedule;
    spy.schedule = spy_schedule;
    const double skew[2] = {50, 0.001}, want[2] = {745392, 1118088};
    for (int k = 0; k < 2; k++) {
        snprintf(wl, sizeof wl,
                 "kind: workflow\nrequests: 1\n"
                 "classes:\n"
                 "  - name: q\n"
                 "    arrival: {process: deterministic, rate: 1}\n"
                 "    workflow:\n"
                 "      name: t\n"
                 "      stages:\n"
                 "        - {name: retrieve, kind: vector_search, cluster_skew: %g,\n"
                 "           index: {type: ivf, vectors: 100000, dim: 125, nlist: 100, nprobe: 8}}\n"
                 "        - {name: answer, kind: llm, model: tiny-llm, quant: fp32, prompt: 16, output: 2}\n"
                 "      edges: [{from: retrieve, to: answer}]\n",
                 skew[k]);
        hs_run_metrics m;
        spied_cache = -1;
        if (trace_try_ops(&spy, hw, wl, "{" QUIET ", index_cache: curves, split_grid: 4}", &m, &err) != 0)
            fail_msg("%s", err.msg);
        assert_near(spied_cache, want[k]);
        hs_run_metrics_free(&m);
    }
}

/* A misspelt choice is refused at init, naming the choices. */
static void test_bad_choice(void **state)
{
    (void)state;
    hs_err err;
    char wl[1024];
    hs_run_metrics m;
    assert_int_not_equal(trace_try("hedrarag", hw_unified, one_request(wl, sizeof wl, "[1]"),
                                   "{speculation: maybe}", &m, &err), 0);
    assert_non_null(strstr(err.msg, "ralmspec"));
    hs_run_metrics_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_budget),
        cmocka_unit_test(test_count_budget),
        cmocka_unit_test(test_minibatch_of_two),
        cmocka_unit_test(test_reorder_early_termination),
        cmocka_unit_test(test_speculation),
        cmocka_unit_test(test_gpu_index_cache),
        cmocka_unit_test(test_kv_index_split),
        cmocka_unit_test(test_bad_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
