/* Speculation driven by a search's progress (HedraRAG §4.2), wasted work,
 * look-ahead on a workflow template (HeRo's CS_F), and tokens and energy
 * per request: small scenarios whose numbers are worked out by hand in
 * the comments from the profile below. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/engine/engine.h"

/* 1 GFLOP/s (fp32) and 1 GB/s on both PUs, no launch, no sync; CPU 2 W
 * active, GPU 10 W; DRAM 100 pJ/B. */
static const char *hw_yaml =
    "name: t\nmemory: {bandwidth_gbps: 1, energy_pj_per_byte: 100}\n"
    "pus:\n"
    "  - {name: cpu, kind: cpu, slots: 1, peak_tflops: {fp32: 0.001}, power_w: {active: 2, idle: 0.5}}\n"
    "  - {name: gpu, kind: gpu, slots: 1, peak_tflops: {fp32: 0.001}, power_w: {active: 10, idle: 1}}\n";

static hs_hw *test_hw(void)
{
    hs_err err;
    hs_node *n = hs_conf_load_string(hw_yaml, strlen(hw_yaml), "<hw>", &err);
    hs_hw *hw = n ? hs_hw_from_node(n, &err) : NULL;
    hs_node_free(n);
    if (!hw)
        fail_msg("%s", err.msg);
    return hw;
}

static hs_workload *test_wl(const char *text)
{
    hs_err err;
    hs_workload *wl = NULL;
    hs_node *n = hs_conf_load_string(text, strlen(text), "<workload>", &err);
    int rc = n ? hs_workload_from_node(n, &wl, &err) : -1;
    hs_node_free(n);
    if (rc != 0)
        fail_msg("%s", err.msg);
    return wl;
}

/* ---- Speculation by progress ---------------------------------------------
 * retrieve: IVF, 100000 vectors of dim 125 (fp32) in nlist 100 lists of
 * 1000, nprobe 8, one query; generate: 2 (or 5) MFLOP on the GPU.
 *   coarse: 100 centroids x 125 x 4 B + the query (125 x 4 + 8 B)
 *           = 50508 B, 25 kFLOP: memory-bound, Tc = 50.508 us
 *   part of 2 lists: 2 x 1000 x 125 x 4 B + 508 B = 1000508 B, 0.5 MFLOP:
 *           Tp = 1.000508 ms
 *   generate: 2 MFLOP, no bytes: Tg = 2 ms (5 MFLOP: 5 ms)
 * The policy splits the scan into 4 parts of 2 lists, all on the CPU (one
 * slot: they run back to back, part i ends at Tc + (i + 1) Tp), and
 * speculates the generation once the top-k did not change over the last 2
 * clusters searched. */

enum { M = 2, MAXP = 8 };

typedef struct spec_log {
    int n;
    int64_t searched[MAXP];
    bool changed[MAXP];
    double t_spec;
    bool speculated;
} spec_log;

static spec_log g_log;

static void spec_schedule(hs_sched *s, void *st)
{
    (void)st;
    int cpu = hs_pu_find(s, "cpu"), gpu = hs_pu_find(s, "gpu");
    for (hs_req *r = hs_req_first(s); r; r = hs_req_next(s, r)) {
        hs_search_progress p;
        assert_int_equal(hs_req_search_progress(r, 0, M, &p), 0);
        if (p.searched > 0 && (g_log.n == 0 || g_log.searched[g_log.n - 1] != p.searched)) {
            g_log.searched[g_log.n] = p.searched;
            g_log.changed[g_log.n++] = p.changed;
        }
        if (p.searched > 0 && !p.changed && !g_log.speculated) {
            g_log.speculated = true;
            g_log.t_spec = hs_now(s);
            assert_int_equal(hs_speculate(s, r, 1), 0);
        }
    }
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        const hs_item *it = hs_work_item(w);
        if (it->slot == HS_SLOT_SCAN && !hs_work_is_part(w)) {
            int64_t sizes[4] = {2, 2, 2, 2};
            hs_work *parts[4];
            assert_int_equal(hs_split(s, w, HS_SPLIT_CLUSTERS, sizes, 4, parts), 0);
            for (int i = 0; i < 4; i++)
                assert_int_equal(hs_work_item(parts[i])->cluster_first, 2 * i);
            continue;
        }
        hs_dispatch(s, w, it->phase == HS_PHASE_SEARCH ? cpu : gpu);
    }
    /* Parts made above are dispatched in order. */
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        hs_dispatch(s, w, hs_work_item(w)->phase == HS_PHASE_SEARCH ? cpu : gpu);
    }
}

static const hs_policy_ops spec_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-spec-progress", .description = "x",
    .schedule = spec_schedule,
};

typedef struct req_rows {
    int n;
    hs_request_row row;
} req_rows;

static void on_request(void *ctx, const hs_request_row *row)
{
    req_rows *q = ctx;
    q->n++;
    q->row = *row;
}

static void run_spec(const char *ranks, double gen_flops, hs_run_metrics *m, req_rows *q)
{
    char text[1024];
    snprintf(text, sizeof text,
             "kind: workflow\nrequests: 1\n"
             "classes:\n"
             "  - name: q\n"
             "    arrival: {process: deterministic, rate: 1}\n"
             "    workflow:\n"
             "      name: t\n"
             "      stages:\n"
             "        - {name: retrieve, kind: vector_search, hit_ranks: %s,\n"
             "           index: {type: ivf, vectors: 100000, dim: 125, nlist: 100, nprobe: 8}}\n"
             "        - {name: generate, kind: compute, flops: %g}\n"
             "      edges:\n"
             "        - {from: retrieve, to: generate}\n",
             ranks, gen_flops);
    hs_hw *hw = test_hw();
    hs_workload *wl = test_wl(text);
    memset(&g_log, 0, sizeof g_log);
    memset(q, 0, sizeof *q);
    hs_err err;
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = &spec_policy, .seed = 1,
                      .sink = {.ctx = q, .request = on_request}};
    if (hs_run(&cfg, m, &err) != 0)
        fail_msg("%s", err.msg);
    hs_workload_free(wl);
    hs_hw_free(hw);
}

/* The one request arrives at 1 s (deterministic, rate 1: after one gap). */
static const double A = 1, Tc = 50508e-9, Tp = 1000508e-9;

static void expect_near(double got, double want)
{
    if (fabs(got - want) > 1e-12 + 1e-9 * fabs(want))
        fail_msg("got %.15g, want %.15g", got, want);
}

/* Hits at probe ranks 1 and 2: the running top-k changes at ranks 0, 1, 2.
 *   after part 0 (searched 2): window [0, 2) holds ranks 0, 1: changed
 *   after part 1 (searched 4): window [2, 4) holds rank 2: changed
 *   after part 2 (searched 6): window [4, 6) holds none: speculate at
 *     Tc + 3 Tp; both hits (ranks 1, 2 < 6) are found: it will hold
 *   after part 3 (searched 8): unchanged; the search is done at Tc + 4 Tp,
 *     the generation (started at Tc + 3 Tp, Tg = 2 ms > Tp) still runs:
 *     held, it finishes at Tc + 3 Tp + Tg = 5.052032 ms.
 * Energy: CPU busy Tc + 4 Tp = 4.05254 ms x 2 W = 8.10508 mJ; GPU 2 ms x
 * 10 W = 20 mJ; DRAM (50508 + 4 x 1000508) B x 100 pJ = 0.405254 mJ;
 * attributed 28.510334 mJ.  Nothing wasted. */
static void test_speculation_holds(void **state)
{
    (void)state;
    hs_run_metrics m;
    req_rows q;
    run_spec("[1, 2]", 2e6, &m, &q);
    assert_int_equal(g_log.n, 4);
    int64_t searched[4] = {2, 4, 6, 8};
    bool changed[4] = {true, true, false, false};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(g_log.searched[i], searched[i]);
        assert_int_equal(g_log.changed[i], changed[i]);
    }
    expect_near(g_log.t_spec - A, Tc + 3 * Tp);
    assert_int_equal(m.speculations, 1);
    assert_int_equal(m.rollbacks, 0);
    assert_int_equal(m.wasted_works, 0);
    assert_int_equal(q.n, 1);
    expect_near(q.row.latency_s, Tc + 3 * Tp + 2e-3);
    expect_near(q.row.energy_j, 2 * (Tc + 4 * Tp) + 10 * 2e-3 + (50508 + 4 * 1000508) * 100e-12);
    hs_run_metrics_free(&m);
}

/* One hit at probe rank 3: the running top-k changes at ranks 0 (the
 * empty heap fills) and 3.
 *   after part 0 (searched 2 = M): window [0, 2) holds rank 0: changed
 *   after part 1 (searched 4): window [2, 4) holds rank 3: changed
 *   after part 2 (searched 6): unchanged: speculate at Tc + 3 Tp; held. */
static void test_progress_counts_rank_zero(void **state)
{
    (void)state;
    hs_run_metrics m;
    req_rows q;
    run_spec("[3]", 2e6, &m, &q);
    assert_int_equal(g_log.n, 4);
    bool changed[4] = {true, true, false, false};
    for (int i = 0; i < 4; i++)
        assert_int_equal(g_log.changed[i], changed[i]);
    expect_near(g_log.t_spec - A, Tc + 3 * Tp);
    assert_int_equal(m.rollbacks, 0);
    hs_run_metrics_free(&m);
}

/* Hits at probe ranks 1 and 5: changes at ranks 0, 1, 5.
 *   after part 0: changed; after part 1 (window [2, 4)): unchanged:
 *     speculate at Tc + 2 Tp, but rank 5 is not searched: it will fail.
 * Tg = 2 ms: the speculative generation ends at Tc + 2 Tp + 2 ms =
 * Tc + 4.001016 ms, before the search (Tc + 4 Tp = Tc + 4.002032 ms); at
 * the search's end it rolls back and runs again: the request finishes at
 * Tc + 4 Tp + 2 ms = 6.05254 ms.  Wasted: 1 work, 2 ms, 20 mJ.
 * Tg = 5 ms: the speculative run (Tc + 2 Tp .. Tc + 2 Tp + 5 ms) still runs
 * at the rollback; its completion is dropped (stale) and the restart,
 * queued behind it on the one-slot GPU, ends at Tc + 2 Tp + 10 ms =
 * 12.051524 ms.  Wasted: 1 work, 5 ms, 50 mJ. */
static void test_speculation_rolls_back(void **state)
{
    (void)state;
    hs_run_metrics m;
    req_rows q;
    run_spec("[1, 5]", 2e6, &m, &q);
    assert_int_equal(g_log.searched[1], 4);
    assert_false(g_log.changed[1]);
    expect_near(g_log.t_spec - A, Tc + 2 * Tp);
    assert_int_equal(m.rollbacks, 1);
    expect_near(q.row.latency_s, Tc + 4 * Tp + 2e-3);
    assert_int_equal(m.wasted_works, 1);
    expect_near(m.wasted_busy_s, 2e-3);
    expect_near(m.wasted_energy_j, 10 * 2e-3);
    /* The request pays for both runs of the generation. */
    expect_near(q.row.energy_j, 2 * (Tc + 4 * Tp) + 10 * 4e-3 + (50508 + 4 * 1000508) * 100e-12);
    hs_run_metrics_free(&m);

    run_spec("[1, 5]", 5e6, &m, &q);
    assert_int_equal(m.rollbacks, 1);
    expect_near(q.row.latency_s, Tc + 2 * Tp + 10e-3);
    assert_int_equal(m.wasted_works, 1);
    expect_near(m.wasted_busy_s, 5e-3);
    expect_near(m.wasted_energy_j, 10 * 5e-3);
    hs_run_metrics_free(&m);
}

/* ---- The cluster-hit model ---------------------------------------------- */
static void test_cluster_hit_share(void **state)
{
    (void)state;
    /* The fit: the hottest 20% of IVF4096 (819 lists) carry 69% of hits. */
    assert_float_equal(hs_cluster_hit_share(4096, HS_CLUSTER_SKEW_DEFAULT, 819), 0.690, 5e-4);
    /* Skew 0: shares proportional to the count; the bounds. */
    assert_float_equal(hs_cluster_hit_share(100, 0, 25), 0.25, 1e-12);
    assert_float_equal(hs_cluster_hit_share(100, 1, 0), 0, 0);
    assert_float_equal(hs_cluster_hit_share(100, 1, 100), 1, 0);
    /* Skew 1, 4 clusters: H(2) / H(4) = 1.5 / (25 / 12) = 0.72. */
    assert_float_equal(hs_cluster_hit_share(4, 1, 2), 0.72, 1e-12);
}

/* Bad hit-model keys are errors at their position. */
static void test_hit_model_errors(void **state)
{
    (void)state;
    static const struct {
        const char *keys, *msg;
    } cases[] = {
        {"hit_locality: {dist: uniform, lo: 0, hi: 1}", "hit_locality is an exponent"},
        {"cluster_skew: -1", "cluster_skew must be a finite number >= 0"},
        {"top_k: 0", "top_k must be at least 1"},
        {"hit_ranks: []", "hit_ranks is a non-empty list"},
        {"hit_ranks: [1], top_k: 1", "give top_k or hit_ranks, not both"},
        {"hit_ranks: [-1]", "<workload>:"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "kind: workflow\nclasses:\n  - name: q\n    arrival: {process: poisson, rate: 1}\n"
                 "    workflow:\n      name: t\n      stages:\n"
                 "        - {name: s, kind: vector_search, %s,\n"
                 "           index: {type: ivf, vectors: 1000, dim: 8, nlist: 10, nprobe: 4}}\n",
                 cases[i].keys);
        hs_err err;
        hs_node *n = hs_conf_load_string(text, strlen(text), "<workload>", &err);
        assert_non_null(n);
        hs_workload *wl = NULL;
        assert_int_not_equal(hs_workload_from_node(n, &wl, &err), 0);
        hs_node_free(n);
        if (!strstr(err.msg, cases[i].msg) || !strstr(err.msg, "<workload>:8:"))
            fail_msg("case %zu: '%s' lacks '%s' at line 8", i, err.msg, cases[i].msg);
    }
}

/* ---- Look-ahead -------------------------------------------------------------
 * plan (1 kFLOP) -> search (2 kFLOP), search -> plan a loop of 3
 * iterations; search -> tool (4 kFLOP) with p = 0.25 and search -> answer
 * (8 kFLOP), tool -> answer, leaving the loop.
 *   runs: plan 3, search 3, tool 0.25, answer 1 (P = 1 - (1 - 1)(1 - 0.25))
 *   total FLOPs 3 x 1k + 3 x 2k + 0.25 x 4k + 8k = 18000; items 7.25
 *   downstream of plan, iteration 0: search 2k + tool 0.25 x 4k + answer
 *   8k, plus 2 more iterations of the body (1k + 2k each): 17000 FLOPs,
 *   1 + 0.25 + 1 + 4 = 6.25 items
 *   downstream of search, iteration 2 (the last): 1k + 8k = 9000. */
static const char *look_yaml =
    "kind: workflow\ngranularity: stage\nrequests: 1\n"
    "classes:\n"
    "  - name: q\n"
    "    arrival: {process: deterministic, rate: 1}\n"
    "    workflow:\n"
    "      name: look\n"
    "      stages:\n"
    "        - {name: plan, kind: compute, flops: 1000}\n"
    "        - {name: search, kind: compute, flops: 2000}\n"
    "        - {name: tool, kind: compute, flops: 4000}\n"
    "        - {name: answer, kind: compute, flops: 8000}\n"
    "      edges:\n"
    "        - {from: plan, to: search}\n"
    "        - {from: search, to: plan, loop: %s}\n"
    "        - {from: search, to: tool, p: 0.25}\n"
    "        - {from: search, to: answer}\n"
    "        - {from: tool, to: answer}\n";

static hs_request *look_request(const char *loop, hs_workload **wl)
{
    char text[1024];
    snprintf(text, sizeof text, look_yaml, loop);
    *wl = test_wl(text);
    hs_arrival a = {.cls = 0};
    hs_err err;
    hs_request *r = hs_request_create(*wl, &a, 7, &err);
    if (!r)
        fail_msg("%s", err.msg);
    hs_request_start(r);
    return r;
}

static uint32_t find_stage(const hs_request *r, const char *name, int32_t iteration)
{
    for (uint32_t i = 0; i < hs_request_nvisible(r); i++) {
        const hs_stage_info *si = hs_request_node(r, i);
        if (strcmp(si->name, name) == 0 && si->iteration == iteration)
            return i;
    }
    fail_msg("no stage %s[%d]", name, iteration);
    return 0;
}

/* Completes ready stages until stage `name` of `iteration` is revealed. */
static uint32_t advance_to(hs_request *r, const char *name, int32_t iteration)
{
    for (;;) {
        for (uint32_t i = 0; i < hs_request_nvisible(r); i++) {
            const hs_stage_info *si = hs_request_node(r, i);
            if (strcmp(si->name, name) == 0 && si->iteration == iteration)
                return i;
        }
        hs_req_event ev;
        bool any = false;
        while (hs_request_poll(r, &ev))
            if (ev.type == HS_EV_READY) {
                hs_item it;
                while (hs_request_next_item(r, ev.node, &it) == 1 && hs_request_item_done(r, ev.node) == 1)
                    ;
                any = true;
            }
        if (!any)
            fail_msg("stage %s[%d] never revealed", name, iteration);
    }
}

static void test_lookahead(void **state)
{
    (void)state;
    hs_workload *wl;
    hs_request *r = look_request("3", &wl);
    hs_work_expect w;
    assert_int_equal(hs_request_expected_total(r, &w), 0);
    assert_float_equal(w.flops, 18000, 1e-9);
    assert_float_equal(w.items, 7.25, 1e-12);
    hs_stage_expect st[4];
    assert_int_equal(hs_request_template_expect(r, st, 4), 4);
    assert_string_equal(st[2].name, "tool");
    assert_float_equal(st[2].p_run, 0.25, 1e-12);
    assert_float_equal(st[0].runs, 3, 1e-12);
    assert_float_equal(st[3].p_run, 1, 1e-12);
    hs_template_edge e[5];
    assert_int_equal(hs_request_template_edges(r, e, 5), 5);
    assert_true(e[1].back);
    assert_float_equal(e[1].iterations, 3, 1e-12);
    assert_float_equal(e[2].p, 0.25, 1e-12);

    uint32_t plan0 = find_stage(r, "plan", 0);
    assert_int_equal(hs_request_expected_downstream(r, plan0, &w), 0);
    assert_float_equal(w.flops, 17000, 1e-9);
    assert_float_equal(w.items, 6.25, 1e-12);
    uint32_t search2 = advance_to(r, "search", 2);
    assert_int_equal(hs_request_expected_downstream(r, search2, &w), 0);
    assert_float_equal(w.flops, 9000, 1e-9);
    assert_int_equal(hs_request_expected_downstream(r, 999, &w), -1);
    hs_request_free(r);
    hs_workload_free(wl);

    /* A geometric loop count of p = 0.5 capped at 4: E[N] = sum_{k<4}
     * 0.5^k = (1 - 0.5^4) / 0.5 = 1.875, a truncated geometric series;
     * after iteration 0, E[N - 1 | N > 0] = 0.5 + 0.25 + 0.125 = 0.875. */
    r = look_request("{dist: geometric, p: 0.5, max: 4}", &wl);
    assert_int_equal(hs_request_template_edges(r, e, 5), 5);
    assert_float_equal(e[1].iterations, 1.875, 1e-12);
    assert_int_equal(hs_request_expected_downstream(r, find_stage(r, "plan", 0), &w), 0);
    assert_float_equal(w.flops, 11000 + 0.875 * 3000, 1e-9);
    hs_request_free(r);
    hs_workload_free(wl);
}

/* ---- Tokens and energy of a one-request run ------------------------------
 * One LLM call (prompt 16, output 4) at stage granularity on the GPU: the
 * request's tokens are 16 + 4 = 20; its energy is, over its kernels (the
 * sink's rows), 10 W x (end - start) + bytes x 100 pJ (no launch: busy =
 * the kernel's span); s_per_token = latency / 20, j_per_token = energy /
 * 20, for the run and for its one class. */
typedef struct tok_sink {
    double busy, bytes;
    hs_request_row row;
} tok_sink;

static void tok_kernel(void *ctx, const hs_kernel_row *k)
{
    tok_sink *t = ctx;
    t->busy += k->end_s - k->start_s;
    t->bytes += k->bytes;
}

static void tok_request(void *ctx, const hs_request_row *row) { ((tok_sink *)ctx)->row = *row; }

static void gpu_schedule(hs_sched *s, void *st)
{
    (void)st;
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        hs_dispatch(s, w, hs_pu_find(s, "gpu"));
    }
}

static const hs_policy_ops gpu_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-gpu", .description = "x",
    .schedule = gpu_schedule,
};

static void test_tokens_and_energy(void **state)
{
    (void)state;
    hs_hw *hw = test_hw();
    hs_workload *wl = test_wl("kind: llm\ngranularity: stage\nrequests: 1\nmodel: tiny-llm\n"
                              "quant: fp32\ntokens: {prompt: 16, output: 4}\n"
                              "arrival: {process: deterministic, rate: 1}\n");
    tok_sink t = {0};
    hs_err err;
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = &gpu_policy, .seed = 1,
                      .sink = {.ctx = &t, .request = tok_request, .kernel = tok_kernel}};
    hs_run_metrics m;
    if (hs_run(&cfg, &m, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(t.row.prompt_tokens, 16);
    assert_int_equal(t.row.output_tokens, 4);
    double energy = 10 * t.busy + t.bytes * 100e-12;
    expect_near(t.row.energy_j, energy);
    expect_near(m.all.s_per_token, t.row.latency_s / 20);
    expect_near(m.all.j_per_token, energy / 20);
    expect_near(m.classes[0].s.j_per_token, energy / 20);
    /* Idle energy is nobody's: the run's total exceeds the attributed. */
    assert_true(m.energy_j > energy);
    hs_run_metrics_free(&m);
    hs_workload_free(wl);
    hs_hw_free(hw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_speculation_holds),
        cmocka_unit_test(test_progress_counts_rank_zero),
        cmocka_unit_test(test_speculation_rolls_back),
        cmocka_unit_test(test_cluster_hit_share),
        cmocka_unit_test(test_hit_model_errors),
        cmocka_unit_test(test_lookahead),
        cmocka_unit_test(test_tokens_and_energy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
