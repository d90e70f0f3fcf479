/* The baseline policies on tiny cases worked out by hand: gpu-only sends
 * what the GPU cannot run to the CPU and serves requests one after another
 * (two at once with concurrency 2); npu-only keeps attention off the NPU;
 * serial-npu-igpu puts prefill on the NPU, its attention and decode on the
 * iGPU; ayo-like's computed map spreads parallel models and keeps a chain
 * of models together; a profile without the PU refuses the run. */
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

#define TRACE_ROWS 1024
#include "tests/trace_test.h"

static void assert_near(double got, double want)
{
    if (!(fabs(got - want) <= 1e-9 * fmax(1.0, fabs(want))))
        fail_msg("got %.17g, want %.17g", got, want);
}

/* The kernel of stage `stage` of request `req`. */
static size_t row_of(uint64_t req, const char *stage)
{
    for (size_t i = 0; i < tr.n; i++)
        if (tr.row[i].request == req && strcmp(tr.row[i].stage, stage) == 0)
            return i;
    fail_msg("no kernel of stage %s of request %llu", stage, (unsigned long long)req);
    return 0;
}

static void expect_row(uint64_t req, const char *stage, int pu, double start, double end)
{
    size_t i = row_of(req, stage);
    if (tr.row[i].pu != pu)
        fail_msg("request %llu stage %s ran on PU %d, want %d", (unsigned long long)req, stage, tr.row[i].pu, pu);
    assert_near(tr.row[i].start, start);
    assert_near(tr.row[i].end, end);
}

/* A CPU, a GPU and an NPU of 1 TFLOPS each (every dtype), no launch cost,
 * sharing a DRAM of 100 GB/s; the NPU runs neither attention nor vector
 * search (as every built-in NPU).  PU indices: cpu 0, gpu 1, npu 2. */
#define PU_LINE(name, kind, tflops, gbps, extra)                                                        \
    "  - {name: " name ", kind: " kind ", peak_tflops: {fp32: " tflops ", fp16: " tflops ", int8: "      \
    tflops "}, bandwidth_gbps: " gbps ", launch_us: 0, sync_us: {naive: 0, fast: 0}" extra "}\n"
static const char *soc =
    "name: soc\n"
    "memory: {bandwidth_gbps: 100, achievable_gbps: 100}\n"
    "pus:\n" PU_LINE("cpu", "cpu", "1", "60", "") PU_LINE("gpu", "gpu", "1", "60", "")
        PU_LINE("npu", "npu", "1", "60", ", unsupported: [attention, vector_search]");
enum { CPU = 0, GPU = 1, NPU = 2 };

/* ---- gpu-only: fallback to the CPU, one request at a time -----------------
 * Each request: chunk (1000 tokens x 1 ms: 1 s, a CPU-only item) -> gen
 * (2 TFLOP, 2 s at 1 TFLOPS).  Two requests arrive at t = 1 and t = 2
 * (deterministic, rate 1).
 * concurrency 1 (default):
 *   r0: chunk -> cpu [1, 2] (the GPU cannot run it), gen -> gpu [2, 4];
 *   r1 arrived at 2 but waits for r0 to finish: chunk cpu [4, 5],
 *   gen gpu [5, 7].  Latencies 3 and 5: mean 4.
 * concurrency 2: r1 is admitted at its arrival: chunk cpu [2, 3] (the CPU
 *   is free once r0's chunk ended), gen queues on the GPU behind r0's
 *   gen: [4, 6].  Latencies 3 and 4: mean 3.5. */
static const char *chunk_gen =
    "kind: workflow\ngranularity: stage\nrequests: 2\n"
    "classes:\n"
    "  - name: q\n"
    "    arrival: {process: deterministic, rate: 1}\n"
    "    workflow:\n"
    "      name: cg\n"
    "      stages:\n"
    "        - {name: chunk, kind: chunk, tokens: 1000, s_per_token: 0.001}\n"
    "        - {name: gen, kind: compute, flops: 2e12}\n"
    "      edges:\n"
    "        - {from: chunk, to: gen}\n";

static void test_gpu_only_serial_with_cpu_fallback(void **state)
{
    (void)state;
    hs_run_metrics m;
    trace_run("gpu-only", soc, chunk_gen, NULL, &m);
    assert_int_equal(tr.n, 4);
    expect_row(0, "chunk", CPU, 1, 2);
    expect_row(0, "gen", GPU, 2, 4);
    expect_row(1, "chunk", CPU, 4, 5);
    expect_row(1, "gen", GPU, 5, 7);
    assert_near(m.all.mean_latency_s, 4);
    hs_run_metrics_free(&m);
}

static void test_gpu_only_concurrency_overlaps(void **state)
{
    (void)state;
    hs_run_metrics m;
    trace_run("gpu-only", soc, chunk_gen, "{concurrency: 2}", &m);
    expect_row(0, "chunk", CPU, 1, 2);
    expect_row(0, "gen", GPU, 2, 4);
    expect_row(1, "chunk", CPU, 2, 3);
    expect_row(1, "gen", GPU, 4, 6);
    assert_near(m.all.mean_latency_s, 3.5);
    hs_run_metrics_free(&m);
}

/* cpu-only: the same workflow all on the CPU, one request at a time:
 *   r0 chunk [1, 2], gen [2, 4]; r1 chunk [4, 5], gen [5, 7]. */
static void test_cpu_only(void **state)
{
    (void)state;
    hs_run_metrics m;
    trace_run("cpu-only", soc, chunk_gen, NULL, &m);
    expect_row(0, "gen", CPU, 2, 4);
    expect_row(1, "chunk", CPU, 4, 5);
    expect_row(1, "gen", CPU, 5, 7);
    hs_run_metrics_free(&m);
}

/* ---- LLM placement at op granularity ------------------------------------------
 * Two requests of one tiny-llm generation (prompt 64, 3 tokens out), 1 us
 * apart: the second arrives while the first runs.  At op granularity a
 * request's kernels are its prefill (embedding lookup, each layer's ops,
 * final norm, LM head: the first `lm_head` kernel ends it) and then its
 * decode steps (the same ops for one token each). */
static const char *two_gens =
    "kind: workflow\ngranularity: op\nrequests: 2\n"
    "classes:\n"
    "  - name: q\n"
    "    arrival: {process: deterministic, rate: 1e6}\n"
    "    workflow:\n"
    "      name: g\n"
    "      stages:\n"
    "        - {name: answer, kind: llm, model: tiny-llm, quant: fp32, prompt: 64, output: 3}\n";

/* The PU request req's kernels must run on: prefill_pu / prefill_attn_pu
 * up to and including the first LM head, decode_pu after it. */
static void expect_llm_placement(uint64_t req, int prefill_pu, int prefill_attn_pu, int decode_pu)
{
    bool decoding = false;
    size_t seen = 0;
    for (size_t i = 0; i < tr.n; i++) {
        if (tr.row[i].request != req)
            continue;
        seen++;
        bool attn = strcmp(tr.row[i].slot, "attn") == 0;
        int want = decoding ? decode_pu : attn ? prefill_attn_pu : prefill_pu;
        if (tr.row[i].pu != want)
            fail_msg("request %llu kernel %s (%s) ran on PU %d, want %d", (unsigned long long)req,
                     tr.row[i].slot, decoding ? "decode" : "prefill", tr.row[i].pu, want);
        if (strcmp(tr.row[i].slot, "lm_head") == 0)
            decoding = true;
    }
    assert_true(decoding && seen > 20);
}

/* The last kernel of request req ends before the first of req + 1 starts:
 * requests served one after another. */
static void expect_one_after_another(uint64_t req)
{
    double last_end = 0, next_start = INFINITY;
    for (size_t i = 0; i < tr.n; i++) {
        if (tr.row[i].request == req)
            last_end = fmax(last_end, tr.row[i].end);
        if (tr.row[i].request == req + 1)
            next_start = fmin(next_start, tr.row[i].start);
    }
    assert_true(isfinite(next_start) && last_end <= next_start);
}

/* serial-npu-igpu: prefill on the NPU but its attention (the NPU runs
 * none) on the iGPU, decode on the iGPU; r1 after r0. */
static void test_serial_npu_igpu(void **state)
{
    (void)state;
    hs_run_metrics m;
    trace_run("serial-npu-igpu", soc, two_gens, NULL, &m);
    expect_llm_placement(0, NPU, GPU, GPU);
    expect_llm_placement(1, NPU, GPU, GPU);
    expect_one_after_another(0);
    hs_run_metrics_free(&m);
}

/* npu-only: everything on the NPU but attention, which falls back to the
 * CPU (PowerServe runs it there); r1 after r0. */
static void test_npu_only_attention_on_cpu(void **state)
{
    (void)state;
    hs_run_metrics m;
    trace_run("npu-only", soc, two_gens, NULL, &m);
    for (size_t i = 0; i < tr.n; i++)
        assert_int_equal(tr.row[i].pu, strcmp(tr.row[i].slot, "attn") == 0 ? CPU : NPU);
    expect_one_after_another(0);
    hs_run_metrics_free(&m);
}

/* ---- ayo-like: the computed map -----------------------------------------------
 * A profile where the NPU runs GEMMs twice as fast as the GPU (2 vs 1
 * TFLOPS) and the CPU is slow (0.1 TFLOPS, 10 GB/s); the NPU runs no
 * attention.  Two models: tiny-llm (about 0.43 M weights: larger) and
 * tiny-embed (about 0.39 M).  Costs (step 2 of ayo_like.c, standalone
 * times of the first stage's items, attention counted at the GPU where it
 * falls back): both compute-bound passes of 256 tokens, so
 * cost(npu) < cost(gpu) < cost(cpu) for each, and the LLM (prefill 256 and
 * 2 decode steps) costs more than the embedding (one pass of 64).
 *
 * parallel (both roots of one request): the LLM first (larger) -> npu
 *   (least cost, nothing mapped).  The embedding may run at the same time:
 *   on npu load cost(llm, npu) + cost(emb, npu) > cost(emb, gpu) on the
 *   idle GPU (cost(emb, gpu) <= 2 cost(emb, npu) < cost(llm, npu) +
 *   cost(emb, npu)) -> gpu.
 * chain (embed -> answer): the LLM first again -> npu; the embedding is its
 *   ancestor, so the LLM does not load the npu for it -> npu too.
 * The LLM's attention runs on the GPU either way (the NPU cannot). */
static const char *fast_npu =
    "name: soc\n"
    "memory: {bandwidth_gbps: 100, achievable_gbps: 100}\n"
    "pus:\n" PU_LINE("cpu", "cpu", "0.1", "10", "") PU_LINE("gpu", "gpu", "1", "60", "")
        PU_LINE("npu", "npu", "2", "60", ", unsupported: [attention, vector_search]");

#define RAG_WL(edges)                                                                                  \
    "kind: workflow\ngranularity: op\nrequests: 1\n"                                                   \
    "classes:\n"                                                                                       \
    "  - name: q\n"                                                                                    \
    "    arrival: {process: deterministic, rate: 1}\n"                                                 \
    "    workflow:\n"                                                                                  \
    "      name: rag\n"                                                                                \
    "      stages:\n"                                                                                  \
    "        - {name: embed, kind: embed, model: tiny-embed, quant: fp32, batch: 1, seq: 64}\n"        \
    "        - {name: answer, kind: llm, model: tiny-llm, quant: fp32, prompt: 256, output: 3}\n" edges

/* Every kernel of stage `stage` that is not attention ran on pu; its
 * attention kernels on attn_pu. */
static void expect_stage_on(const char *stage, int pu, int attn_pu)
{
    size_t seen = 0;
    for (size_t i = 0; i < tr.n; i++)
        if (strcmp(tr.row[i].stage, stage) == 0) {
            seen++;
            int want = strcmp(tr.row[i].slot, "attn") == 0 ? attn_pu : pu;
            if (tr.row[i].pu != want)
                fail_msg("stage %s kernel %s ran on PU %d, want %d", stage, tr.row[i].slot, tr.row[i].pu, want);
        }
    assert_true(seen > 0);
}

static void test_ayo_like_spreads_parallel_models(void **state)
{
    (void)state;
    hs_run_metrics m;
    trace_run("ayo-like", fast_npu, RAG_WL(""), NULL, &m);
    expect_stage_on("answer", NPU, GPU);
    expect_stage_on("embed", GPU, GPU);
    hs_run_metrics_free(&m);
}

static void test_ayo_like_keeps_a_chain_together(void **state)
{
    (void)state;
    hs_run_metrics m;
    trace_run("ayo-like", fast_npu, RAG_WL("      edges:\n        - {from: embed, to: answer}\n"), NULL, &m);
    expect_stage_on("answer", NPU, GPU);
    expect_stage_on("embed", NPU, GPU);
    hs_run_metrics_free(&m);
}

/* ---- Refusals at init ------------------------------------------------------------ */
static const char *cpu_gpu =
    "name: cg\n"
    "memory: {bandwidth_gbps: 100, achievable_gbps: 100}\n"
    "pus:\n" PU_LINE("cpu", "cpu", "1", "60", "") PU_LINE("gpu", "gpu", "1", "60", "");

static void test_missing_pu_refuses(void **state)
{
    (void)state;
    static const char *const need_npu[] = {"npu-only", "serial-npu-igpu"};
    for (size_t i = 0; i < 2; i++) {
        hs_run_metrics m;
        hs_err err;
        assert_int_not_equal(trace_try(need_npu[i], cpu_gpu, chunk_gen, NULL, &m, &err), 0);
        if (!strstr(err.msg, "needs a PU of kind npu, but profile 'cg' has none (its PUs: cpu (cpu), gpu (gpu))"))
            fail_msg("%s: %s", need_npu[i], err.msg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gpu_only_serial_with_cpu_fallback),
        cmocka_unit_test(test_gpu_only_concurrency_overlaps),
        cmocka_unit_test(test_cpu_only),
        cmocka_unit_test(test_serial_npu_igpu),
        cmocka_unit_test(test_npu_only_attention_on_cpu),
        cmocka_unit_test(test_ayo_like_spreads_parallel_models),
        cmocka_unit_test(test_ayo_like_keeps_a_chain_together),
        cmocka_unit_test(test_missing_pu_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
