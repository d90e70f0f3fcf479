/* The serving baselines (`continuous-batching`, `sequential`,
 * `flashrag-like`) on one memory-bound GPU whose times are worked out by
 * hand: admission at the next iteration, the batched shape's cost, the
 * max_batch cap, cohorts, and flashrag-like's alternating phases.
 *
 * Profile: a GPU of 1000 fp32 TFLOPS (compute never binds) on 1 GB/s of
 * memory, no launch or sync cost: a kernel of B bytes takes B / 1000 us.
 * A CPU (1 TFLOPS) runs the compute stages of the RAG scenario, never at
 * the same time as the GPU there.
 *
 * Model (tests/sim/test_batching.c's tiny decoder, fp32, granularity step):
 * weights 3168 B; activations 776 B a token plus 224 B for the head; KV
 * 64 B a cached token.  In bytes (= ns):
 *   prefill of 2 tokens, alone        3168 + 1904 = 5072
 *   decode step over c cached tokens  3168 + 1000 + 64 (c + 1)
 *   a batch                           3168 (weights once) + each member's
 *                                     rows: 1904 a 2-token prompt,
 *                                     1000 + 64 (c + 1) a decode step
 * so c = 2, 3, 4 rows: 1192, 1256, 1320. */
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

#include "policies/registry.h"
#include "sim/engine/engine.h"

static const char *profile =
    "name: serve\nmemory: {bandwidth_gbps: 1, achievable_gbps: 1}\n"
    "pus:\n"
    "  - {name: gpu, kind: gpu, peak_tflops: {fp32: 1000}, launch_us: 0, sync_us: {naive: 0, fast: 0}}\n"
    "  - {name: cpu, kind: cpu, peak_tflops: {fp32: 1}, launch_us: 0, sync_us: {naive: 0, fast: 0}}\n";

static const char *tiny_model =
    "name: tiny-serve\narch: decoder\nlayers: 1\nhidden: 8\nheads: 1\nkv_heads: 1\nhead_dim: 8\n"
    "ffn: 16\nffn_kind: gelu\nvocab: 32\ntied_embeddings: true\nmax_context: 4096\nquant: fp32\n";

/* What a run did: each kernel's PU, batch size, start and end (in us after
 * t0 = 1 s), each request's finish. */
typedef struct trace {
    size_t nk;
    int pu[32];
    size_t batch[32];
    double start[32], end[32], finish[8];
} trace;

static trace tr;

static void on_kernel(void *ctx, const hs_kernel_row *row)
{
    (void)ctx;
    if (tr.nk < 32) {
        tr.pu[tr.nk] = row->pu;
        tr.batch[tr.nk] = row->batch;
        tr.start[tr.nk] = (row->start_s - 1) * 1e6;
        tr.end[tr.nk] = (row->end_s - 1) * 1e6;
    }
    tr.nk++;
}

static void on_request(void *ctx, const hs_request_row *row)
{
    (void)ctx;
    if (row->request < 8)
        tr.finish[row->request] = (row->finish_s - 1) * 1e6;
}

/* Runs policy `name` with params (YAML or NULL) on workload text wl_fmt,
 * whose %s are the tiny model's path. */
static void run(const char *name, const char *params, const char *wl_fmt)
{
    char dir[512], mpath[600], text[4096];
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/hs-serving-test-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir))
        fail_msg("mkdtemp");
    snprintf(mpath, sizeof mpath, "%s/tiny.yaml", dir);
    FILE *f = fopen(mpath, "w");
    assert_non_null(f);
    fputs(tiny_model, f);
    fclose(f);
    snprintf(text, sizeof text, wl_fmt, mpath, mpath, mpath);
    hs_err err;
    hs_node *hn = yaml(profile), *wn = yaml(text), *pn = params ? yaml(params) : NULL;
    hs_hw *hw = hs_hw_from_node(hn, &err);
    hs_workload *wl = NULL;
    if (!hw || hs_workload_from_node(wn, &wl, &err) != 0)
        fail_msg("%s", err.msg);
    const hs_policy_ops *p = hs_policy_lookup(name, &err);
    if (!p)
        fail_msg("%s", err.msg);
    memset(&tr, 0, sizeof tr);
    hs_run_metrics m;
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = p, .policy_params = pn, .seed = 1,
                      .sink = {.kernel = on_kernel, .request = on_request}};
    if (hs_run(&cfg, &m, &err) != 0)
        fail_msg("%s", err.msg);
    hs_run_metrics_free(&m);
    hs_workload_free(wl);
    hs_hw_free(hw);
    hs_node_free(hn);
    hs_node_free(wn);
    hs_node_free(pn);
    remove(mpath);
    rmdir(dir);
}

static void near(double got, double want)
{
    if (!(fabs(got - want) < 1e-6))
        fail_msg("got %.9f us, want %.9f us", got, want);
}

/* The run had n kernels (the trace is printed when not). */
static void expect_kernels(size_t n)
{
    if (tr.nk == n)
        return;
    for (size_t i = 0; i < tr.nk && i < 32; i++)
        print_message("kernel %zu: pu %d batch %zu [%.3f, %.3f] us\n", i, tr.pu[i], tr.batch[i], tr.start[i],
                      tr.end[i]);
    fail_msg("%zu kernels, want %zu", tr.nk, n);
}

/* Kernel i ran on pu as a batch of `batch` over [start, end] us. */
static void expect_kernel(size_t i, int pu, size_t batch, double start, double end)
{
    if (i >= tr.nk)
        fail_msg("kernel %zu: the run has %zu", i, tr.nk);
    assert_int_equal(tr.pu[i], pu);
    assert_int_equal(tr.batch[i], batch);
    near(tr.start[i], start);
    near(tr.end[i], end);
}

/* ---- continuous-batching: admission at the next iteration -----------------
 * A (prompt 2, output 4: three decode steps) arrives at t0; B (prompt 2,
 * output 2: one step) at t0 + 7 us, while A's first decode step runs.
 * Chunked prefill on (OpenVINO's default), B's prompt joins A's next
 * iteration:
 *   A prefill                         5072                 [0, 5.072]
 *   A step c=2 (B waits)              3168 + 1192 = 4360   [5.072, 9.432]
 *   A step c=3 + B prompt             3168 + 1256 + 1904   [9.432, 15.760]
 *   A step c=4 + B step c=2           3168 + 1320 + 1192   [15.760, 21.440]
 * both finish at 21.440.  Chunked prefill off (vLLM 0.6's default), B's
 * prompt runs first, alone, then the decodes batch:
 *   B prompt                          5072                 [9.432, 14.504]
 *   A step c=3 + B step c=2           3168 + 1256 + 1192   [14.504, 20.120]
 *   A step c=4                        3168 + 1320 = 4488   [20.120, 24.608] */
static const char *mid_decode =
    "granularity: step\nclasses:\n"
    "  - {name: a, model: %s, tokens: {prompt: 2, output: 4}, requests: 1,"
    " arrival: {process: deterministic, rate: 1}}\n"
    "  - {name: b, model: %s, tokens: {prompt: 2, output: 2}, requests: 1,"
    " arrival: {process: deterministic, rate: 0.9999930000489996}}\n";

static void test_cb_admits_at_next_iteration(void **state)
{
    (void)state;
    run("continuous-batching", NULL, mid_decode);
    expect_kernels(4);
    expect_kernel(0, 0, 1, 0, 5.072);
    expect_kernel(1, 0, 1, 5.072, 9.432);
    expect_kernel(2, 0, 2, 9.432, 15.760);
    expect_kernel(3, 0, 2, 15.760, 21.440);
    near(tr.finish[0], 21.440);
    near(tr.finish[1], 21.440);
}

static void test_cb_prefill_first_without_chunking(void **state)
{
    (void)state;
    run("continuous-batching", "{chunked_prefill: false}", mid_decode);
    expect_kernels(5);
    expect_kernel(2, 0, 1, 9.432, 14.504);
    expect_kernel(3, 0, 2, 14.504, 20.120);
    expect_kernel(4, 0, 1, 20.120, 24.608);
    near(tr.finish[1], 20.120);
    near(tr.finish[0], 24.608);
}

/* ---- continuous-batching: the batched shape ------------------------------
 * A, B, C (prompt 2, output 2); A and B at t0, C at t0 + 3 us.  Chunked
 * prefill off: A and B's prompts batch, C's prompt runs next (prefill
 * first), then the three decode steps batch:
 *   A, B prompts   3168 + 2 x 1904 = 6976                 [0, 6.976]
 *   C prompt       5072                                   [6.976, 12.048]
 *   3 steps c=2    3168 + 3 x 1192 = 6744                 [12.048, 18.792]
 * where one step alone costs 3168 + 1192 = 4360: three alone 13.080 us. */
static const char *three_at_once =
    "granularity: step\nclasses:\n"
    "  - {name: a, model: %s, tokens: {prompt: 2, output: 2}, requests: 1,"
    " arrival: {process: deterministic, rate: 1}}\n"
    "  - {name: b, model: %s, tokens: {prompt: 2, output: 2}, requests: 1,"
    " arrival: {process: deterministic, rate: 1}}\n"
    "  - {name: c, model: %s, tokens: {prompt: 2, output: 2}, requests: 1,"
    " arrival: {process: deterministic, rate: 1}}\n";

/* three_at_once with C's arrival at t0 + us microseconds (rate 1 / (1 + us 1e-6)). */
static void stagger_c(char *wl, size_t n, const char *rate)
{
    snprintf(wl, n, "%s", three_at_once);
    snprintf(strrchr(wl, '1'), strlen(rate) + 4, "%s}}\n", rate);
}

static void test_cb_batch_costs_batched_shape(void **state)
{
    (void)state;
    char wl[1024];
    stagger_c(wl, sizeof wl, "0.999997000009");
    run("continuous-batching", "{chunked_prefill: false}", wl);
    expect_kernels(3);
    expect_kernel(0, 0, 2, 0, 6.976);
    expect_kernel(1, 0, 1, 6.976, 12.048);
    expect_kernel(2, 0, 3, 12.048, 18.792);
    assert_true(tr.end[2] - tr.start[2] < 3 * 4.360 - 6);
}

/* ---- continuous-batching: max_batch caps admission ------------------------
 * The same three requests with output 3 (two decode steps), max_batch 2:
 * A and B are admitted, C waits until they leave.
 *   A, B prompts        3168 + 2 x 1904 = 6976          [0, 6.976]
 *   A, B steps c=2      3168 + 2 x 1192 = 5552          [6.976, 12.528]
 *   A, B steps c=3      3168 + 2 x 1256 = 5680          [12.528, 18.208]
 *   C prompt            5072                            [18.208, 23.280]
 *   C step c=2          4360                            [23.280, 27.640]
 *   C step c=3          3168 + 1256 = 4424              [27.640, 32.064] */
static void test_cb_max_batch_caps_admission(void **state)
{
    (void)state;
    char wl[1024];
    snprintf(wl, sizeof wl, "%s", three_at_once);
    for (char *p = strstr(wl, "output: 2"); p; p = strstr(p, "output: 2"))
        p[8] = '3';
    run("continuous-batching", "{max_batch: 2}", wl);
    expect_kernels(6);
    expect_kernel(0, 0, 2, 0, 6.976);
    expect_kernel(1, 0, 2, 6.976, 12.528);
    expect_kernel(2, 0, 2, 12.528, 18.208);
    expect_kernel(3, 0, 1, 18.208, 23.280);
    expect_kernel(4, 0, 1, 23.280, 27.640);
    expect_kernel(5, 0, 1, 27.640, 32.064);
    near(tr.finish[2], 32.064);
}

/* ---- sequential: cohorts ----------------------------------------------------
 * A and B (prompt 2, output 2) at t0 form the first cohort; C at t0 + 7 us
 * waits for the whole cohort (LangChain's loop), then runs alone:
 *   A, B prompts     6976                               [0, 6.976]
 *   A, B steps c=2   5552                               [6.976, 12.528]
 *   C prompt         5072                               [12.528, 17.600]
 *   C step c=2       4360                               [17.600, 21.960]
 * (continuous-batching would take C's prompt into the second iteration.) */
static void test_sequential_cohorts(void **state)
{
    (void)state;
    char wl[1024];
    stagger_c(wl, sizeof wl, "0.9999930000489996");
    run("sequential", NULL, wl);
    expect_kernels(4);
    expect_kernel(0, 0, 2, 0, 6.976);
    expect_kernel(1, 0, 2, 6.976, 12.528);
    expect_kernel(2, 0, 1, 12.528, 17.600);
    expect_kernel(3, 0, 1, 17.600, 21.960);
    near(tr.finish[2], 21.960);
}

/* ---- flashrag-like: a retrieval phase, then a generation batch --------------
 * Workflow: retrieve (compute, 10 MFLOP on the 1-TFLOPS CPU: 10 us, its
 * stage affinity the CPU) -> generate (prompt 2, output 2 on the GPU).
 * A and B at t0, C at t0 + 3 us.  Round 1, retrieval of A and B (a
 * compute stage does not batch: one after the other on the CPU's one
 * slot); C arrived during it and waits for round 2.  Generation: A and B's
 * prompts and steps batch.  Round 2 does C.
 *   A retrieve (CPU)      10 MFLOP                      [0, 10]
 *   B retrieve (CPU)      10 MFLOP                      [10, 20]
 *   A, B prompts (GPU)    6976                          [20, 26.976]
 *   A, B steps c=2        5552                          [26.976, 32.528]
 *   C retrieve (CPU)      10 MFLOP                      [32.528, 42.528]
 *   C prompt              5072                          [42.528, 47.600]
 *   C step c=2            4360                          [47.600, 51.960] */
static const char *rag_wl =
    "kind: workflow\ngranularity: step\n"
    "classes:\n"
    "  - {name: a, requests: 1, arrival: {process: deterministic, rate: 1}, workflow: &wf\n"
    "      {name: rag, stages: [{name: retrieve, kind: compute, flops: 1e7, affinity: cpu},\n"
    "                           {name: generate, kind: llm, model: %s, prompt: 2, output: 2}],\n"
    "       edges: [{from: retrieve, to: generate}]}}\n"
    "  - {name: b, requests: 1, arrival: {process: deterministic, rate: 1}, workflow: *wf}\n"
    "  - {name: c, requests: 1, arrival: {process: deterministic, rate: 0.999997000009}, workflow: *wf}\n";

static void test_flashrag_phases_batch_generation(void **state)
{
    (void)state;
    run("flashrag-like", NULL, rag_wl);
    expect_kernels(7);
    expect_kernel(0, 1, 1, 0, 10);
    expect_kernel(1, 1, 1, 10, 20);
    expect_kernel(2, 0, 2, 20, 26.976);
    expect_kernel(3, 0, 2, 26.976, 32.528);
    expect_kernel(4, 1, 1, 32.528, 42.528);
    expect_kernel(5, 0, 1, 42.528, 47.600);
    expect_kernel(6, 0, 1, 47.600, 51.960);
    near(tr.finish[2], 51.960);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cb_admits_at_next_iteration),
        cmocka_unit_test(test_cb_prefill_first_without_chunking),
        cmocka_unit_test(test_cb_batch_costs_batched_shape),
        cmocka_unit_test(test_cb_max_batch_caps_admission),
        cmocka_unit_test(test_sequential_cohorts),
        cmocka_unit_test(test_flashrag_phases_batch_generation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
