/* Memory capacity and transfers (sim/engine/memory.c), on the
 * server-epyc-h100 profile (EPYC DRAM + H100 HBM 80 GB over PCIe 5.0 x16,
 * 64 GB/s a direction, 10 us), each expected number worked out by hand
 * below: a dispatch refused for capacity with its message, KV growth and
 * release, weights resident once, an eviction, a transfer across the
 * link and the consumer's start. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/engine/engine.h"

/* tiny-llm (workloads/models/tiny-llm.yaml): 2 layers, hidden 128, 4 heads
 * / 2 KV heads of 32, SwiGLU 256, vocab 1024, tied embeddings, fp32.
 *   KV per token = layers 2 x (K, V) 2 x kv_heads 2 x head_dim 32 x fp16 2 B
 *                = 512 B
 *   parameters   = embedding 1024 x 128 = 131072
 *                + per layer (QKV 128 x (128 + 2 x 64) = 32768, O 128 x 128 =
 *                  16384, FFN 3 x 128 x 256 = 98304, 2 norms 256) = 147712, x 2
 *                + final norm 128                                  = 426624
 *   weights      = 426624 x 4 B = 1706496 B */
#define KV_PER_TOKEN 512.0
#define TINY_WEIGHTS 1706496.0
#define PROMPT 100
#define OUTPUT 11

static hs_workload *workload(const char *yaml)
{
    hs_err err;
    hs_node *tree = hs_conf_load_string(yaml, strlen(yaml), "<test>", &err);
    if (!tree)
        fail_msg("%s", err.msg);
    hs_workload *wl = NULL;
    if (hs_workload_from_node(tree, &wl, &err) != 0)
        fail_msg("%s", err.msg);
    hs_node_free(tree);
    return wl;
}

/* Two tiny-llm calls (prompt 100, output 11) at t = 1 s and 2 s, at stage
 * granularity: a prefill item, then one decode item for the 10 later
 * tokens. */
static const char llm_yaml[] =
    "name: t\ngranularity: stage\nrequests: 2\n"
    "classes:\n"
    "  - name: c\n"
    "    workflow: llm\n"
    "    params: {model: tiny-llm, prompt: 100, output: 11}\n"
    "    arrival: {process: deterministic, rate: 1}\n";

/* One request at t = 1 s of an inline workflow: its stages follow. */
#define ONE_REQUEST_STAGES                                                                              \
    "name: t\ngranularity: stage\nrequests: 1\n"                                                        \
    "classes:\n"                                                                                        \
    "  - name: c\n"                                                                                     \
    "    arrival: {process: deterministic, rate: 1}\n"                                                  \
    "    workflow:\n"                                                                                   \
    "      name: s\n"                                                                                   \
    "      stages:\n"

/* ---- A policy that puts everything on one PU and records occupancy. ---- */

typedef struct probe {
    const char *pu;              /* where every work goes */
    bool unload_at_done;         /* evict tiny-llm when a request finishes */
    int hbm;
    size_t n;
    double kv[8], used[8];       /* after each dispatch */
    double used_end, kv_end, peak_end;
} probe;

static probe the_probe;

static int probe_init(hs_sched *s, void **state, hs_err *err)
{
    (void)err;
    the_probe.hbm = hs_hw_mem_find(hs_sched_hw(s), "hbm");
    *state = &the_probe;
    return 0;
}

static void probe_schedule(hs_sched *s, void *state)
{
    probe *p = state;
    int pu = hs_pu_find(s, p->pu);
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        if (hs_dispatch(s, w, pu) != 0)
            return;
        if (p->n < 8) {
            p->kv[p->n] = hs_mem_kv(s, p->hbm);
            p->used[p->n++] = hs_mem_used(s, p->hbm);
        }
    }
}

static void probe_request_done(hs_sched *s, void *state, hs_req *r)
{
    probe *p = state;
    (void)r;
    if (p->unload_at_done) {
        const hs_stage_info *st = hs_request_node(hs_req_dag(r), 0);
        assert_int_equal(hs_mem_unload(s, st->model, p->hbm), 0);
    }
}

static void probe_fini(hs_sched *s, void *state)
{
    probe *p = state;
    p->used_end = hs_mem_used(s, p->hbm);
    p->kv_end = hs_mem_kv(s, p->hbm);
    p->peak_end = hs_mem_peak(s, p->hbm);
}

static const hs_policy_ops probe_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-mem", .description = "x", .init = probe_init,
    .fini = probe_fini, .request_done = probe_request_done, .schedule = probe_schedule,
};

static hs_hw *server(void)
{
    hs_err err;
    hs_hw *hw = hs_hw_load("server-epyc-h100", &err);
    if (!hw)
        fail_msg("%s", err.msg);
    return hw;
}

static void run_probe(const char *yaml, const char *pu, bool unload, hs_run_metrics *m, hs_err *err, int want_rc)
{
    hs_hw *hw = server();
    hs_workload *wl = workload(yaml);
    the_probe = (probe){.pu = pu, .unload_at_done = unload};
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = &probe_policy, .seed = 1, .fast_sync = true};
    assert_int_equal(hs_run(&cfg, m, err), want_rc);
    hs_workload_free(wl);
    hs_hw_free(hw);
}

/* KV grows with each dispatch and is released at the request's end;
 * the weights are loaded once, by the first dispatch, and stay. */
static void test_kv_growth_and_weights_once(void **state)
{
    (void)state;
    hs_model m;
    hs_err err;
    assert_int_equal(hs_model_load("tiny-llm", &m, &err), 0);
    assert_true(hs_model_kv_bytes_per_token(&m) == KV_PER_TOKEN);
    assert_true(hs_model_weight_bytes(&m) == TINY_WEIGHTS);
    hs_run_metrics r;
    run_probe(llm_yaml, "gpu", false, &r, &err, 0);
    assert_int_equal(the_probe.n, 4);
    /* Request 0: the prefill holds 100 tokens of KV (51200 B), the decode
     * item 100 + 10 = 110 (56320 B); the weights came with the prefill. */
    assert_true(the_probe.kv[0] == KV_PER_TOKEN * PROMPT);
    assert_true(the_probe.used[0] == TINY_WEIGHTS + KV_PER_TOKEN * PROMPT);
    assert_true(the_probe.kv[1] == KV_PER_TOKEN * (PROMPT + OUTPUT - 1));
    /* Request 1 (a second later, after request 0 released its KV): the
     * weights are not loaded again. */
    assert_true(the_probe.kv[2] == KV_PER_TOKEN * PROMPT);
    assert_true(the_probe.used[2] == TINY_WEIGHTS + KV_PER_TOKEN * PROMPT);
    assert_true(the_probe.kv_end == 0);
    assert_true(the_probe.used_end == TINY_WEIGHTS);
    assert_true(the_probe.peak_end == TINY_WEIGHTS + KV_PER_TOKEN * (PROMPT + OUTPUT - 1));
    assert_true(r.mem_peak_bytes == the_probe.peak_end);
    assert_int_equal(r.transfers, 0);
    hs_run_metrics_free(&r);
}

/* Evicting the weights when each request ends: the next request loads
 * them again, and the domain ends empty. */
static void test_eviction_reloads(void **state)
{
    (void)state;
    hs_err err;
    hs_run_metrics r;
    run_probe(llm_yaml, "gpu", true, &r, &err, 0);
    assert_true(the_probe.used[2] == TINY_WEIGHTS + KV_PER_TOKEN * PROMPT);
    assert_true(the_probe.used_end == 0);
    hs_run_metrics_free(&r);
}

/* A flat index of 25M 1024-dim fp32 vectors: 25e6 x 1024 x 4 B =
 * 1.024e11 B, more than the H100's 80 GB.  On the GPU the dispatch is
 * refused and the run fails naming the policy, the work and the domain;
 * hs_mem_fits and hs_mem_why say so first.  On the CPU (768 GB) it fits. */
static const char search_yaml[] =
    ONE_REQUEST_STAGES
    "        - {name: retrieve, kind: vector_search, queries: 1, top_k: 1,\n"
    "           index: {type: flat, vectors: 25000000, dim: 1024}}\n";

static char why_text[320];
static bool fits_seen;

static void refuse_schedule(hs_sched *s, void *state)
{
    (void)state;
    hs_work *w = hs_ready_first(s);
    if (!w)
        return;
    int gpu = hs_pu_find(s, "gpu");
    fits_seen = hs_mem_fits(s, w, gpu);
    assert_false(hs_mem_why(s, w, gpu, why_text, sizeof why_text));
    assert_true(hs_mem_needed(s, w, gpu) == 1.024e11);
    assert_true(hs_mem_fits(s, w, hs_pu_find(s, "cpu")));
    hs_dispatch(s, w, gpu);
}

static const hs_policy_ops refuse_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-refuse", .description = "x", .schedule = refuse_schedule,
};

static void test_refused_for_capacity(void **state)
{
    (void)state;
    hs_hw *hw = server();
    hs_workload *wl = workload(search_yaml);
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = &refuse_policy, .seed = 1};
    hs_run_metrics m;
    hs_err err;
    assert_int_equal(hs_run(&cfg, &m, &err), -1);
    const char *why = "memory domain hbm of PU gpu is full: used 0 B + needed 1.024e+11 B (weights 0, "
                      "index 1.024e+11, KV 0) > capacity 8e+10 B";
    assert_false(fits_seen);
    assert_string_equal(why_text, why);
    char want[512];
    snprintf(want, sizeof want, "error: policy 'test-refuse': hs_dispatch of work 0 (slot scan, request 0) refused: %s",
             why);
    assert_string_equal(err.msg, want);
    hs_run_metrics_free(&m);
    /* The CPU's DRAM holds it. */
    hs_run_metrics r;
    run_probe(search_yaml, "cpu", false, &r, &err, 0);
    assert_true(r.mem_peak_bytes == 1.024e11);
    hs_run_metrics_free(&r);
    hs_workload_free(wl);
    hs_hw_free(hw);
}

/* ---- A transfer across PCIe: embed on the GPU, search on the CPU. ---- */

static const char xfer_yaml[] =
    ONE_REQUEST_STAGES
    "        - {name: embed, kind: embed, model: tiny-embed, batch: 1, seq: 64}\n"
    "        - {name: retrieve, kind: vector_search, queries: 1, top_k: 1,\n"
    "           index: {type: flat, vectors: 1000, dim: 128}}\n"
    "      edges:\n"
    "        - {from: embed, to: retrieve}\n";

typedef struct xfer_probe {
    double embed_end, embed_out, search_start, predicted_ready, input_cost;
} xfer_probe;

static xfer_probe xp;

static void xfer_schedule(hs_sched *s, void *state)
{
    (void)state;
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        bool search = hs_work_item(w)->phase == HS_PHASE_SEARCH;
        int pu = hs_pu_find(s, search ? "cpu" : "gpu");
        if (search) {
            xp.predicted_ready = hs_input_ready_at(s, w, pu);
            xp.input_cost = hs_input_cost(s, w, pu);
        }
        hs_dispatch(s, w, pu);
    }
}

static void xfer_done(hs_sched *s, void *state, hs_work *w)
{
    (void)state;
    if (hs_work_item(w)->phase == HS_PHASE_ENCODE) {
        xp.embed_end = hs_now(s);
        xp.embed_out = hs_work_item(w)->parts.out;
    }
}

static void xfer_kernel_row(void *ctx, const hs_kernel_row *row)
{
    (void)ctx;
    if (strcmp(row->slot, "scan") == 0)
        xp.search_start = row->start_s;
}

static const hs_policy_ops xfer_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-xfer", .description = "x", .work_done = xfer_done,
    .schedule = xfer_schedule,
};

/* The embedding ends at t_e on the GPU (HBM); the search, dispatched to
 * the CPU (DRAM) at t_e, waits for the embedding pass's output bytes B
 * (its item's parts.out) to cross PCIe: alone, latency 10 us + B / 64 GB/s
 * (the link is the narrowest of PCIe 64, DRAM 370 and HBM 3000 GB/s).
 * The fast sync (5 us) is shorter, so the search starts at
 *   t_e + 10e-6 + B / 64e9. */
static void test_transfer_then_consumer_starts(void **state)
{
    (void)state;
    hs_hw *hw = server();
    hs_workload *wl = workload(xfer_yaml);
    xp = (xfer_probe){0};
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = &xfer_policy, .seed = 1, .fast_sync = true,
                      .sink = {.kernel = xfer_kernel_row}};
    hs_run_metrics m;
    hs_err err;
    if (hs_run(&cfg, &m, &err) != 0)
        fail_msg("%s", err.msg);
    const double B = xp.embed_out, alone = 10e-6 + B / 64e9;
    assert_true(B > 0);
    assert_true(fabs(xp.search_start - (xp.embed_end + alone)) < 1e-12);
    assert_true(fabs(xp.predicted_ready - (xp.embed_end + alone)) < 1e-12);
    assert_true(fabs(xp.input_cost - alone) < 1e-15);
    assert_int_equal(m.transfers, 1);
    assert_true(m.transfer_bytes == B);
    assert_true(fabs(m.transfer_s - alone) < 1e-12);
    hs_run_metrics_free(&m);
    hs_workload_free(wl);
    hs_hw_free(hw);
}

/* ---- The phi row of `hetsoc hw check`: HeRo Fig. 3 sets the curve. ---- */

static void test_phi_check_rows(void **state)
{
    (void)state;
    hs_check_row *rows;
    size_t n;
    hs_err err;
    assert_true(hs_hw_check(&rows, &n, &err) >= 0);
    int seen = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].group, "contention") || strcmp(rows[i].hw, "snapdragon-8gen3"))
            continue;
        /* GPU +34.7%, NPU +21.3%, each within 5% (a fit-consistency row). */
        double pub = seen == 0 ? 1.347 : 1.213;
        assert_true(rows[i].published == pub);
        assert_true(rows[i].pass && rows[i].asserted);
        assert_true(fabs(rows[i].predicted - pub) < 0.05 * pub);
        assert_non_null(strstr(rows[i].source, "fit-consistency"));
        seen++;
    }
    assert_int_equal(seen, 2);
    free(rows);
}

/* ---- The index cache's hit rate follows the cluster-hit model. ----------
 * An IVF index of 4096 lists of 1000 fp32 vectors of 1024 dims: one list is
 * 1000 x 1024 x 4 = 4096000 B.  A reservation of 819.5 lists' bytes on the
 * GPU holds the 819 hottest (floor), 20% of 4096; under the default skew
 * (0.826, fitted to HedraRAG §3.3) they carry 69.0% of the hits:
 * hs_cluster_hit_share(4096, 0.826, 819).  No reservation: 0; a flat index:
 * 0 (no lists). */
static const char ivf_yaml[] =
    ONE_REQUEST_STAGES
    "        - {name: retrieve, kind: vector_search, queries: 1, top_k: 1,\n"
    "           index: {type: ivf, vectors: 4096000, dim: 1024, nlist: 4096, nprobe: 128}}\n";

static double rate_before, rate_after;

static void cache_schedule(hs_sched *s, void *state)
{
    (void)state;
    hs_work *w = hs_ready_first(s);
    if (!w)
        return;
    const int hbm = hs_hw_mem_find(hs_sched_hw(s), "hbm");
    if (hs_work_item(w)->slot != HS_SLOT_SCAN) {   /* the coarse quantizer first: no lists */
        assert_true(hs_index_cache_hit_rate(s, w, hbm) == 0);
        hs_dispatch(s, w, hs_pu_find(s, "cpu"));
        return;
    }
    rate_before = hs_index_cache_hit_rate(s, w, hbm);
    assert_int_equal(hs_mem_set_index_cache(s, hbm, 819.5 * 4096000.0), 0);
    rate_after = hs_index_cache_hit_rate(s, w, hbm);
    hs_dispatch(s, w, hs_pu_find(s, "cpu"));
}

static const hs_policy_ops cache_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-cache", .description = "x", .schedule = cache_schedule,
};

static void test_index_cache_hit_rate(void **state)
{
    (void)state;
    hs_hw *hw = server();
    hs_workload *wl = workload(ivf_yaml);
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = &cache_policy, .seed = 1};
    hs_run_metrics m;
    hs_err err;
    assert_int_equal(hs_run(&cfg, &m, &err), 0);
    assert_true(rate_before == 0);
    assert_true(rate_after == hs_cluster_hit_share(4096, HS_CLUSTER_SKEW_DEFAULT, 819));
    assert_float_equal(rate_after, 0.690, 0.0005);
    hs_run_metrics_free(&m);
    hs_workload_free(wl);
    hs_hw_free(hw);
}

/* ---- A cluster part of at most the cache's lists reads the cache. --------
 * An IVF index of 4096 lists of 10000 fp32 vectors of 1024 dims: one list
 * is 10000 x 1024 x 4 = 40960000 B, the index 4096 lists = 167.77 GB, more
 * than the H100's 80 GB: a whole scan can never run on the GPU.  The scan
 * (nprobe 128) is split into parts of 123, 3 and 2 clusters, and an index
 * cache of 2.5 lists' bytes (102400000 B) holds floor(2.5) = 2 lists:
 *   - before the reservation the 2-cluster part does not fit on the GPU
 *     (it would need the whole index);
 *   - after it, the 2-cluster part fits and runs there, adding nothing to
 *     the HBM (its lists are the reservation's), while the 3-cluster part,
 *     more lists than the cache holds, still needs the whole index:
 *     hs_predict INFINITY. */
static const char big_ivf_yaml[] =
    ONE_REQUEST_STAGES
    "        - {name: retrieve, kind: vector_search, queries: 1, top_k: 1,\n"
    "           index: {type: ivf, vectors: 40960000, dim: 1024, nlist: 4096, nprobe: 128}}\n";

static struct {
    bool whole_gpu, fits_before, fits_after, three_gpu, two_gpu;
    double used_before, used_after;
} part_seen;

static void part_schedule(hs_sched *s, void *state)
{
    (void)state;
    hs_work *w = hs_ready_first(s);
    if (!w)
        return;
    const int hbm = hs_hw_mem_find(hs_sched_hw(s), "hbm"), cpu = hs_pu_find(s, "cpu"), gpu = hs_pu_find(s, "gpu");
    if (hs_work_item(w)->slot != HS_SLOT_SCAN || hs_work_is_part(w)) {
        hs_dispatch(s, w, cpu);
        return;
    }
    part_seen.whole_gpu = isfinite(hs_predict(s, w, gpu));
    hs_work *parts[3];
    const int64_t sizes[3] = {123, 3, 2};
    assert_int_equal(hs_split(s, w, HS_SPLIT_CLUSTERS, sizes, 3, parts), 0);
    part_seen.fits_before = hs_mem_fits(s, parts[2], gpu);
    assert_int_equal(hs_mem_set_index_cache(s, hbm, 2.5 * 40960000.0), 0);
    part_seen.fits_after = hs_mem_fits(s, parts[2], gpu);
    part_seen.three_gpu = isfinite(hs_predict(s, parts[1], gpu));
    part_seen.two_gpu = isfinite(hs_predict(s, parts[2], gpu));
    part_seen.used_before = hs_mem_used(s, hbm);
    assert_int_equal(hs_dispatch(s, parts[2], gpu), 0);
    part_seen.used_after = hs_mem_used(s, hbm);
    assert_int_equal(hs_dispatch(s, parts[0], cpu), 0);
    assert_int_equal(hs_dispatch(s, parts[1], cpu), 0);
}

static const hs_policy_ops part_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-cache-part", .description = "x",
    .schedule = part_schedule,
};

static void test_cached_part_reads_the_cache(void **state)
{
    (void)state;
    hs_hw *hw = server();
    hs_workload *wl = workload(big_ivf_yaml);
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = &part_policy, .seed = 1};
    hs_run_metrics m;
    hs_err err;
    assert_int_equal(hs_run(&cfg, &m, &err), 0);
    assert_int_equal(m.all.requests, 1);
    assert_false(part_seen.whole_gpu);
    assert_false(part_seen.fits_before);
    assert_true(part_seen.fits_after);
    assert_false(part_seen.three_gpu);
    assert_true(part_seen.two_gpu);
    assert_true(part_seen.used_after == part_seen.used_before);
    hs_run_metrics_free(&m);
    hs_workload_free(wl);
    hs_hw_free(hw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kv_growth_and_weights_once),
        cmocka_unit_test(test_eviction_reloads),
        cmocka_unit_test(test_refused_for_capacity),
        cmocka_unit_test(test_transfer_then_consumer_starts),
        cmocka_unit_test(test_phi_check_rows),
        cmocka_unit_test(test_index_cache_hit_rate),
        cmocka_unit_test(test_cached_part_reads_the_cache),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
