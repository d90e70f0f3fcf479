/* Continuous batching at step granularity, retrieval minibatches of
 * several requests' IVF-cluster parts, splitting a batch, and misuse, on
 * one memory-bound GPU whose times are worked out by hand.
 *
 * Profile: one GPU, 1000 fp32 TFLOPS (compute never binds here), 1 GB/s
 * of memory, no launch or sync cost: a kernel takes bytes / 1e9 s, i.e.
 * its bytes / 1000 in microseconds.
 *
 * Model (tiny decoder, fp32: 1 layer, hidden 8, one head of 8, GELU FFN
 * 16, vocabulary 32).  Bytes by op for T new tokens over c cached ones
 * (lower.c), weights / activations in+out / KV:
 *   embed 0 / 40T+32T, attn_norm 32 / 64T, qkv 768 / 128T, attention
 *   0 / 64T / 64 (c + T), o 256 / 64T, ffn_norm 32 / 64T, up 512 / 96T,
 *   gelu 0 / 128T, down 512 / 96T, head (last token only): final_norm
 *   32 / 64, lm_head 1024 / 160.
 * Weights 3168 in all; activations 776 per token + 224 for the head.
 *   prefill of 2 tokens (c = 0): 3168 + 1552 + 224 + 128 = 5072 B: 5.072 us
 *   decode step over c cached tokens: 3168 + 1000 + 64 (c + 1) B
 *   a batch of decode steps: 3168 (weights once) + sum of 1000 + 64 (c_i + 1) */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tests/yaml_test.h"

#include "sim/engine/engine.h"

static const char *profile =
    "name: cb\nmemory: {bandwidth_gbps: 1, achievable_gbps: 1}\n"
    "pus: [{name: gpu, kind: gpu, peak_tflops: {fp32: 1000}, launch_us: 0,"
    " sync_us: {naive: 0, fast: 0}}]\n";

static const char *tiny_model =
    "name: tiny-step\narch: decoder\nlayers: 1\nhidden: 8\nheads: 1\nkv_heads: 1\nhead_dim: 8\n"
    "ffn: 16\nffn_kind: gelu\nvocab: 32\ntied_embeddings: true\nmax_context: 4096\nquant: fp32\n";


/* What a run did: each kernel's batch size and end, each request's finish. */
typedef struct trace {
    size_t nk, nr;
    size_t batch[64];
    double end[64];
    double finish[8], arrival[8];
} trace;

static void on_kernel(void *ctx, const hs_kernel_row *row)
{
    trace *t = ctx;
    if (t->nk < 64) {
        t->batch[t->nk] = row->batch;
        t->end[t->nk] = row->end_s;
    }
    t->nk++;
}

static void on_request(void *ctx, const hs_request_row *row)
{
    trace *t = ctx;
    if (row->request < 8) {
        t->finish[row->request] = row->finish_s;
        t->arrival[row->request] = row->arrival_s;
    }
    t->nr++;
}

/* Runs workload text wl (with %s for the model's path) under policy p. */
static int run(const char *wl_fmt, const hs_policy_ops *p, trace *t, hs_run_metrics *m, hs_err *err)
{
    char dir[512], mpath[600], text[4096];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/hs-batch-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        fail_msg("mkdtemp");
    snprintf(mpath, sizeof mpath, "%s/tiny.yaml", dir);
    FILE *f = fopen(mpath, "w");
    assert_non_null(f);
    fputs(tiny_model, f);
    fclose(f);
    snprintf(text, sizeof text, wl_fmt, mpath, mpath, mpath);
    hs_node *hn = yaml(profile), *wn = yaml(text);
    hs_hw *hw = hs_hw_from_node(hn, err);
    hs_workload *wl = NULL;
    if (!hw || hs_workload_from_node(wn, &wl, err) != 0)
        fail_msg("%s", err->msg);
    memset(t, 0, sizeof *t);
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = p, .seed = 1,
                      .sink = {.ctx = t, .kernel = on_kernel, .request = on_request}};
    int rc = hs_run(&cfg, m, err);
    hs_workload_free(wl);
    hs_hw_free(hw);
    hs_node_free(hn);
    hs_node_free(wn);
    remove(mpath);
    rmdir(dir);
    return rc;
}

static bool is_phase(const hs_work *w, hs_phase ph) { return hs_work_item(w)->phase == ph; }

/* The run had n kernels, kernel i a batch of batch[i] ending at
 * t0 + end_us[i] microseconds. */
static void assert_kernels(const trace *t, double t0, const size_t *batch, const double *end_us, size_t n)
{
    assert_int_equal(t->nk, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(t->batch[i], batch[i]);
        assert_true(fabs(t->end[i] - (t0 + end_us[i] * 1e-6)) < 1e-12);
    }
}

/* Requests a and b, prompt 2, output 2 (one decode step), both at 1 s. */
static const char *two_decodes =
    "granularity: step\nclasses:\n"
    "  - {name: a, model: %s, tokens: {prompt: 2, output: 2}, requests: 1,"
    " arrival: {process: deterministic, rate: 1}}\n"
    "  - {name: b, model: %s, tokens: {prompt: 2, output: 2}, requests: 1,"
    " arrival: {process: deterministic, rate: 1}}\n";

/* ---- Continuous batching: prefill first, then every ready decode step in
 * one batch per iteration (Agent.xpu v2 Alg. 2 without a cap). ---------- */

static void cb_schedule(hs_sched *s, void *st)
{
    (void)st;
    if (hs_pu_free_slots(s, 0) == 0)
        return;
    hs_work *steps[8];
    size_t n = 0;
    for (hs_work *w = hs_ready_first(s); w; w = hs_ready_next(s, w)) {
        if (is_phase(w, HS_PHASE_PREFILL)) {
            hs_dispatch(s, w, 0);
            return;
        }
        if (is_phase(w, HS_PHASE_DECODE) && n < 8)
            steps[n++] = w;
    }
    hs_work *b = n ? steps[0] : NULL;
    if (n >= 2 && hs_batch(s, steps, n, &b) != 0)
        return;
    if (b)
        hs_dispatch(s, b, 0);
}

static const hs_policy_ops cb_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-cb", .description = "x", .schedule = cb_schedule,
};

/* Requests A (output 4: 3 decode steps) and B (output 2: 1 step) arrive
 * at t0 = 1 s, C (output 4) at t0 + 12 us; prompts of 2 tokens.  In us
 * after t0:
 *   A prefill [0, 5.072]; B prefill [5.072, 10.144]
 *   iteration 1: A (c 2) + B (c 2): 3168 + 2 * 1192 = 5552  [10.144, 15.696]
 *     B leaves (done at 15.696); C arrived at 12: its prefill goes first
 *   C prefill [15.696, 20.768]
 *   iteration 2: A (c 3) + C (c 2), C joins: 3168 + 1256 + 1192 = 5616
 *                                                          [20.768, 26.384]
 *   iteration 3: A (c 4) + C (c 3): 3168 + 1320 + 1256 = 5744  [26.384, 32.128]
 *     A leaves (done at 32.128)
 *   iteration 4: C (c 4) alone: 4168 + 320 = 4488            [32.128, 36.616] */
static void test_continuous_batching(void **state)
{
    (void)state;
    const char *wl =
        "granularity: step\nclasses:\n"
        "  - {name: a, model: %s, tokens: {prompt: 2, output: 4}, requests: 1,"
        " arrival: {process: deterministic, rate: 1}}\n"
        "  - {name: b, model: %s, tokens: {prompt: 2, output: 2}, requests: 1,"
        " arrival: {process: deterministic, rate: 1}}\n"
        "  - {name: c, model: %s, tokens: {prompt: 2, output: 4}, requests: 1,"
        " arrival: {process: deterministic, rate: 0.999988000144}}\n";
    trace t;
    hs_run_metrics m;
    hs_err err;
    if (run(wl, &cb_policy, &t, &m, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(t.nr, 3);
    assert_int_equal(m.batches, 3);
    const double t0 = 1.0, us = 1e-6;
    assert_true(fabs(t.arrival[2] - (t0 + 12 * us)) < 1e-9);
    const size_t batch[7] = {1, 1, 2, 1, 2, 2, 1};
    const double end[7] = {5.072, 10.144, 15.696, 20.768, 26.384, 32.128, 36.616};
    assert_kernels(&t, t0, batch, end, 7);
    assert_true(fabs(t.finish[0] - (t0 + 32.128 * us)) < 1e-12);   /* A */
    assert_true(fabs(t.finish[1] - (t0 + 15.696 * us)) < 1e-12);   /* B */
    assert_true(fabs(t.finish[2] - (t0 + 36.616 * us)) < 1e-12);   /* C */
    hs_run_metrics_free(&m);
}

/* ---- A split batch: the decode steps of A and B batched, then split
 * into two sub-batches of one member each, run one after the other.
 * Members finish when all parts have. -------------------------------- */

static void split_batch_schedule(hs_sched *s, void *st)
{
    hs_split_axis axis = *(const hs_split_axis *)st;
    hs_work *steps[2];
    size_t n = 0;
    for (hs_work *w = hs_ready_first(s); w; w = hs_ready_next(s, w)) {
        if (is_phase(w, HS_PHASE_PREFILL) || hs_work_is_part(w)) {
            hs_dispatch(s, w, 0);
            return;
        }
        if (n < 2)
            steps[n++] = w;
    }
    hs_work *b, *parts[2];
    if (n < 2 || hs_batch(s, steps, 2, &b) != 0)
        return;
    const int64_t sizes[2] = {1, 1}, rows[2] = {4, 4};
    hs_split(s, b, axis, axis == HS_SPLIT_BATCH ? sizes : rows, 2, parts);
}

static int split_batch_init(hs_sched *s, void **st, hs_err *err)
{
    (void)s, (void)err;
    static hs_split_axis axis;
    axis = HS_SPLIT_BATCH;
    *st = &axis;
    return 0;
}

static const hs_policy_ops split_batch_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-split-batch", .description = "x",
    .init = split_batch_init, .schedule = split_batch_schedule,
};

/* A and B (output 2) at t0: prefills [0, 5.072], [5.072, 10.144]; the
 * batch of their steps (c 2) splits into A's step, 4168 + 192 = 4360 B
 * [10.144, 14.504], and B's [14.504, 18.864]: both finish at 18.864. */
static void test_split_batch(void **state)
{
    (void)state;
    trace t;
    hs_run_metrics m;
    hs_err err;
    if (run(two_decodes, &split_batch_policy, &t, &m, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(m.batches, 1);
    assert_int_equal(m.splits, 1);
    assert_int_equal(t.nk, 4);
    assert_true(fabs(t.end[2] - (1 + 14.504e-6)) < 1e-12);
    assert_true(fabs(t.end[3] - (1 + 18.864e-6)) < 1e-12);
    assert_true(fabs(t.finish[0] - (1 + 18.864e-6)) < 1e-12);
    assert_true(fabs(t.finish[1] - (1 + 18.864e-6)) < 1e-12);
    hs_run_metrics_free(&m);
}

/* ---- A retrieval minibatch of two requests' IVF-cluster parts (HedraRAG
 * §4.2.1). ---------------------------------------------------------- */

/* Splits each scan into two halves of its lists, then batches the ready
 * parts of different requests pairwise. */
static void minibatch_schedule(hs_sched *s, void *st)
{
    (void)st;
    hs_work *part_of[2][2] = {{0}};
    size_t nparts[2] = {0, 0};
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        const hs_item *it = hs_work_item(w);
        if (it->slot == HS_SLOT_SCAN && !hs_work_is_part(w)) {
            const int64_t half[2] = {2, 2};
            hs_split(s, w, HS_SPLIT_CLUSTERS, half, 2, NULL);
        } else if (!hs_work_is_part(w)) {
            hs_dispatch(s, w, 0);
        }
    }
    for (hs_work *w = hs_ready_first(s); w; w = hs_ready_next(s, w)) {
        size_t r = (size_t)hs_req_id(hs_work_req(w));
        if (hs_work_is_part(w) && r < 2 && nparts[r] < 2)
            part_of[r][nparts[r]++] = w;
    }
    for (size_t i = 0; i < nparts[0] && i < nparts[1]; i++) {
        hs_work *pair[2] = {part_of[0][i], part_of[1][i]}, *b;
        if (hs_batch(s, pair, 2, &b) == 0)
            hs_dispatch(s, b, 0);
    }
}

static const hs_policy_ops minibatch_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-minibatch", .description = "x",
    .schedule = minibatch_schedule,
};

/* IVF index: 4000 fp32 vectors of dim 10 in 4 lists of 1000 (40000 B each),
 * nprobe 4; one query per request.  In us after t0:
 *   coarse (4 centroids: 160 B + query 48 B): A [0, 0.208], B [0.208, 0.416]
 *   minibatch 1: A's lists 1-2 and B's lists 1-2; lists probed at random,
 *     so the expected union is 4 (1 - (1/2)(1/2)) = 3 lists: 120000 + 96 B
 *                                                          [0.416, 120.512]
 *   minibatch 2, the same                                  [120.512, 240.608]
 * Each request joins its two parts at 240.608 (one PU: no sync). */
static void test_cluster_minibatch(void **state)
{
    (void)state;
    const char *wl =
        "classes:\n"
        "  - name: a\n    requests: 1\n    arrival: {process: deterministic, rate: 1}\n"
        "    workflow: &rag\n      name: r\n      stages:\n"
        "        - {name: search, kind: vector_search, queries: 1,"
        " index: {type: ivf, vectors: 4000, dim: 10, nlist: 4, nprobe: 4, dtype: fp32}}\n"
        "  - name: b\n    requests: 1\n    arrival: {process: deterministic, rate: 1}\n"
        "    workflow: *rag\n";
    trace t;
    hs_run_metrics m;
    hs_err err;
    if (run(wl, &minibatch_policy, &t, &m, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(t.nr, 2);
    assert_int_equal(m.splits, 2);
    assert_int_equal(m.batches, 2);
    const size_t batch[4] = {1, 1, 2, 2};
    const double end[4] = {0.208, 0.416, 120.512, 240.608};
    assert_kernels(&t, 1.0, batch, end, 4);
    assert_true(fabs(t.finish[0] - (1 + 240.608e-6)) < 1e-12);
    assert_true(fabs(t.finish[1] - (1 + 240.608e-6)) < 1e-12);
    hs_run_metrics_free(&m);
}

/* ---- Misuse: a batch of a part and a whole item fails the run, naming
 * the policy and the works. ------------------------------------------ */

static void mixed_schedule(hs_sched *s, void *st)
{
    (void)st;
    hs_work *w0 = hs_ready_first(s), *w1 = w0 ? hs_ready_next(s, w0) : NULL;
    if (!w1) {
        if (w0)
            hs_dispatch(s, w0, 0);
        return;
    }
    const int64_t half[2] = {1, 1};
    hs_work *parts[2];
    if (hs_split(s, w0, HS_SPLIT_SEQ, half, 2, parts) == 0) {
        hs_work *pair[2] = {parts[0], w1};
        hs_batch(s, pair, 2, NULL);
    }
}

static const hs_policy_ops mixed_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-mixed", .description = "x",
    .schedule = mixed_schedule,
};

static void test_batch_misuse(void **state)
{
    (void)state;
    trace t;
    hs_run_metrics m;
    hs_err err;
    assert_int_equal(run(two_decodes, &mixed_policy, &t, &m, &err), -1);
    assert_non_null(strstr(err.msg, "policy 'test-mixed'"));
    assert_non_null(strstr(err.msg, "(request 1, stage 0) is a whole item, and the first work a part"));
    hs_run_metrics_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_continuous_batching),
        cmocka_unit_test(test_split_batch),
        cmocka_unit_test(test_cluster_minibatch),
        cmocka_unit_test(test_batch_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
