/* The `hero` policy (HeRo, Algorithm 1) on tiny cases worked out by hand:
 * criticality (Eq. 4) takes the critical root first, the bandwidth filter
 * (Eq. 5) leaves a PU idle until demand drops, the shape-aware partition
 * (Eq. 3) picks the sub-batch size of least ceil(L / n) p0(n), and the
 * ablation switches turn each mechanism off. */
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

/* ---- Harness: inline profile and workload, every kernel recorded -------- */

#define TRACE_ROWS 64
#include "tests/trace_test.h"

/* Runs `hero` with params (YAML mapping text, or NULL) on the profile and
 * workload given as YAML text; every kernel lands in tr. */
static void run_hero(const char *hw_yaml, const char *wl_yaml, const char *params, hs_run_metrics *m)
{
    trace_run("hero", hw_yaml, wl_yaml, params, m);
}

static void assert_near(double got, double want)
{
    if (!(fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want))))
        fail_msg("got %.17g, want %.17g", got, want);
}

/* The kernel of stage `stage` (the n-th of that stage, 0-based). */
static size_t row_of(const char *stage, int nth)
{
    int seen = 0;
    for (size_t i = 0; i < tr.n; i++)
        if (strcmp(tr.row[i].stage, stage) == 0 && seen++ == nth)
            return i;
    fail_msg("no kernel %d of stage %s", nth, stage);
    return 0;
}

static void expect_row(const char *stage, int pu, double start, double end)
{
    size_t i = row_of(stage, 0);
    assert_int_equal(tr.row[i].pu, pu);
    assert_near(tr.row[i].start, start);
    assert_near(tr.row[i].end, end);
}

/* Two PUs of 1 TFLOPS each (every dtype), no launch cost, sharing a DRAM of
 * 100 GB/s; each alone draws at most 60 GB/s (generic-soc's numbers). */
static const char *two_pus =
    "name: two\n"
    "memory: {bandwidth_gbps: 100, achievable_gbps: 100}\n"
    "pus:\n"
    "  - {name: x, kind: gpu, peak_tflops: {fp32: 1, fp16: 1, int8: 1}, bandwidth_gbps: 60, launch_us: 0,\n"
    "     sync_us: {naive: 0, fast: 0}}\n"
    "  - {name: y, kind: npu, peak_tflops: {fp32: 1, fp16: 1, int8: 1}, bandwidth_gbps: 60, launch_us: 0,\n"
    "     sync_us: {naive: 0, fast: 0}}\n";

/* ---- Criticality (Eq. 4) --------------------------------------------------
 * Roots a (2 TFLOP), d (2 TFLOP) and b (1 TFLOP); b -> c (3 TFLOP).  One
 * request arriving at t = 1 (deterministic, rate 1).  Costs on the fastest
 * PU (1 TFLOPS): a 2 s, d 2 s, b 1 s, c 3 s.
 *   CS_L: a 2, d 2, b 1 + 3 = 4, c 3;  CS_F (template, what follows):
 *   a 0, d 0, b 3 (c), c 0;  beta 0.5: CS a 2, d 2, b 5.5, c 3.
 * hero: t = 1: b (5.5) -> x [1, 2] (equal EFT: lower index); a (2, ties d
 *   and became ready first) -> y [1, 3]; d waits (no idle PU).
 *   t = 2: x idle, ready c (3) and d (2): c -> x [2, 5].
 *   t = 3: y idle: d -> y [3, 5].  Latency 4 s.
 * criticality off (ready order a, d, b): a -> x [1, 3], d -> y [1, 3];
 *   t = 3: b -> x [3, 4]; t = 4: c -> x [4, 7].  Latency 6 s. */
static const char *crit_wl =
    "kind: workflow\ngranularity: stage\nrequests: 1\n"
    "classes:\n"
    "  - name: q\n"
    "    arrival: {process: deterministic, rate: 1}\n"
    "    workflow:\n"
    "      name: crit\n"
    "      stages:\n"
    "        - {name: a, kind: compute, flops: 2e12}\n"
    "        - {name: d, kind: compute, flops: 2e12}\n"
    "        - {name: b, kind: compute, flops: 1e12}\n"
    "        - {name: c, kind: compute, flops: 3e12}\n"
    "      edges:\n"
    "        - {from: b, to: c}\n";

static void test_criticality_first(void **state)
{
    (void)state;
    hs_run_metrics m;
    run_hero(two_pus, crit_wl, NULL, &m);
    assert_int_equal(tr.n, 4);
    expect_row("b", 0, 1, 2);
    expect_row("a", 1, 1, 3);
    expect_row("c", 0, 2, 5);
    expect_row("d", 1, 3, 5);
    assert_near(m.all.mean_latency_s, 4);
    hs_run_metrics_free(&m);
}

static void test_criticality_off(void **state)
{
    (void)state;
    hs_run_metrics m;
    run_hero(two_pus, crit_wl, "{criticality: false}", &m);
    expect_row("a", 0, 1, 3);
    expect_row("d", 1, 1, 3);
    expect_row("b", 0, 3, 4);
    expect_row("c", 0, 4, 7);
    assert_near(m.all.mean_latency_s, 6);
    hs_run_metrics_free(&m);
}

/* ---- Bandwidth-aware concurrency (Eq. 5) ------------------------------------
 * Roots m1 and m2, each streaming 60 GB (memory-bound: 60 GB / 60 GB/s =
 * 1 s alone).  b_soft 0.8: B_soft = 0.8 x 100 GB/s = 80 GB/s.
 * hero: t = 1: m1 -> x (B = 0 + 60 <= 80); m2 on y would make 120 > 80:
 *   y stays idle.  m1 runs [1, 2]; its completion drops B to 0: m2 -> x
 *   (equal EFT, lower index) [2, 3].  Latency 2 s.
 * concurrency off (or the default b_soft 1.2: 120 <= 120 is feasible):
 *   m1 -> x, m2 -> y at t = 1, sharing 100 GB/s (50 each): both run
 *   [1, 2.2].  Latency 1.2 s.
 * b_soft 0.5 (50 GB/s): no configuration is ever feasible and nothing
 *   runs, so the most critical work goes anyway (m1 -> x [1, 2]), then m2
 *   (x [2, 3]): the run never stalls. */
static const char *bw_wl =
    "kind: workflow\ngranularity: stage\nrequests: 1\n"
    "classes:\n"
    "  - name: q\n"
    "    arrival: {process: deterministic, rate: 1}\n"
    "    workflow:\n"
    "      name: bw\n"
    "      stages:\n"
    "        - {name: m1, kind: compute, flops: 1, bytes: 6e10}\n"
    "        - {name: m2, kind: compute, flops: 1, bytes: 6e10}\n";

static void test_bandwidth_leaves_pu_idle(void **state)
{
    (void)state;
    hs_run_metrics m;
    run_hero(two_pus, bw_wl, "{b_soft: 0.8}", &m);
    expect_row("m1", 0, 1, 2);
    expect_row("m2", 0, 2, 3);
    assert_near(m.all.mean_latency_s, 2);
    hs_run_metrics_free(&m);

    const char *admitted[] = {"{b_soft: 0.8, concurrency: false}", NULL};
    for (size_t i = 0; i < 2; i++) {
        run_hero(two_pus, bw_wl, admitted[i], &m);
        expect_row("m1", 0, 1, 2.2);
        expect_row("m2", 1, 1, 2.2);
        hs_run_metrics_free(&m);
    }

    run_hero(two_pus, bw_wl, "{b_soft: 0.5}", &m);
    expect_row("m1", 0, 1, 2);
    expect_row("m2", 0, 2, 3);
    hs_run_metrics_free(&m);
}

/* ---- Shape-aware partition (Eq. 3) ------------------------------------------
 * One PU whose whole-pass time (op generic, vary m = sequences x 10
 * tokens) is the profiled table below (launch included):
 *   m 10: 1.0 s, 20: 1.2 s, 40: 3.0 s, 60: 5.0 s.
 * An embedding of L = 6 sequences of 10 tokens, candidates N = {1, 2, 4}:
 *   n = 1: 6 x p0(1) = 6 x 1.0 = 6.0
 *   n = 2: 3 x p0(2) = 3 x 1.2 = 3.6   <- n*
 *   n = 4: 2 x p0(4) = 2 x 3.0 = 6.0
 * so three parts of 2 sequences run back to back from t = 1: [1, 2.2],
 * [2.2, 3.4], [3.4, 4.6]; latency 3.6 s.  partition off: one pass of 6
 * sequences, 5.0 s. */
static const char *table_pu =
    "name: tab\n"
    "memory: {bandwidth_gbps: 100}\n"
    "pus:\n"
    "  - {name: x, kind: npu, peak_tflops: {fp16: 1, int8: 1}, bandwidth_gbps: 60, launch_us: 0}\n"
    "tables:\n"
    "  - {op: generic, pu: x, vary: m, points: [[10, 1.0], [20, 1.2], [40, 3.0], [60, 5.0]]}\n";

static const char *embed_wl =
    "kind: workflow\ngranularity: stage\nrequests: 1\n"
    "classes:\n"
    "  - name: q\n"
    "    arrival: {process: deterministic, rate: 1}\n"
    "    workflow:\n"
    "      name: emb\n"
    "      stages:\n"
    "        - {name: index, kind: embed, model: qwen3-embedding-0.6b, quant: int8, batch: 6, seq: 10}\n";

static void test_partition_batch_choice(void **state)
{
    (void)state;
    hs_run_metrics m;
    run_hero(table_pu, embed_wl, "{batch_sizes: \"1,2,4\"}", &m);
    assert_int_equal(m.splits, 1);
    assert_int_equal(tr.n, 3);
    double t = 1;
    for (size_t i = 0; i < 3; i++, t += 1.2) {
        assert_near(tr.row[i].start, t);
        assert_near(tr.row[i].end, t + 1.2);
    }
    assert_near(m.all.mean_latency_s, 3.6);
    hs_run_metrics_free(&m);

    run_hero(table_pu, embed_wl, "{batch_sizes: \"1,2,4\", partition: false}", &m);
    assert_int_equal(m.splits, 0);
    assert_int_equal(tr.n, 1);
    assert_near(m.all.mean_latency_s, 5.0);
    hs_run_metrics_free(&m);
}

/* A malformed candidate list is refused at init. */
static void test_bad_batch_sizes(void **state)
{
    (void)state;
    hs_err err;
    hs_run_metrics m;
    assert_int_not_equal(trace_try("hero", table_pu, embed_wl, "{batch_sizes: \"2,x\"}", &m, &err), 0);
    assert_non_null(strstr(err.msg, "batch_sizes"));
    hs_run_metrics_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_criticality_first),
        cmocka_unit_test(test_criticality_off),
        cmocka_unit_test(test_bandwidth_leaves_pu_idle),
        cmocka_unit_test(test_partition_batch_choice),
        cmocka_unit_test(test_bad_batch_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
