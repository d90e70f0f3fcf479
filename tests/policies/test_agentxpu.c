/* The `agentxpu` policy (Agent.xpu v1 and v2, arXiv 2506.24045) on tiny
 * scenarios worked out by hand: kernel-boundary preemption of a proactive
 * prefill, Algorithm 1's n_npu and its deferred remainder, Algorithm 2's
 * B_cap evicting the longest proactive decodes, aging promotion, a v1
 * memory-pressure tier, and the v2 warm-up switch to pure-NPU prefill.
 *
 * The machine: a GPU (PU 0, 2 GFLOPS FP32), an NPU (PU 1, 1 GFLOPS) and a
 * CPU (PU 2, 1 GFLOPS), each with a 10 us launch and no sync cost, over a
 * DRAM of 1000 GB/s, so that every GEMM of tiny-llm (hidden 128; QKV 256
 * outputs; FP32) is compute-bound: T = 10 us + 2 m n k / peak.  E.g. QKV of
 * 256 rows on the NPU: 10 us + 2 x 256 x 256 x 128 / 1e9 = 16.787216 ms. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "tests/yaml_test.h"

#include "policies/builtin.h"
#include "sim/engine/engine.h"

enum { ROWS = 20000, REQS = 8 };

static struct {
    size_t n;
    struct {
        uint64_t request;
        char slot[24];
        int pu;
        double start, end;
        uint32_t batch;
        bool part;
    } row[ROWS];
} tr;
static struct {
    char cls[16];
    double finish;
} req[REQS];

static void on_kernel(void *ctx, const hs_kernel_row *row)
{
    (void)ctx;
    if (tr.n == ROWS)
        return;
    tr.row[tr.n].request = row->request;
    snprintf(tr.row[tr.n].slot, sizeof tr.row[tr.n].slot, "%s", row->slot);
    tr.row[tr.n].pu = row->pu;
    tr.row[tr.n].start = row->start_s;
    tr.row[tr.n].end = row->end_s;
    tr.row[tr.n].batch = row->batch;
    tr.row[tr.n].part = row->part;
    tr.n++;
}

static void on_request(void *ctx, const hs_request_row *row)
{
    (void)ctx;
    if (row->request < REQS) {
        snprintf(req[row->request].cls, sizeof req[row->request].cls, "%s", row->cls);
        req[row->request].finish = row->finish_s;
    }
}

static const char *machine =
    "name: axp\nmemory: {bandwidth_gbps: 1000}\npus:\n"
    "  - {name: gpu, kind: gpu, peak_tflops: {fp32: 0.002}, launch_us: 10, sync_us: {naive: 0, fast: 0}}\n"
    "  - {name: npu, kind: npu, peak_tflops: {fp32: 0.001, fp16: 0.001}, launch_us: 10, sync_us: {naive: 0, fast: 0},\n"
    "     unsupported: [attention]%s}\n"
    "  - {name: cpu, kind: cpu, peak_tflops: {fp32: 0.001}, launch_us: 10, sync_us: {naive: 0, fast: 0}}\n";

/* Runs agentxpu with params on the machine (npu_extra: more NPU keys) and a
 * workload of the given classes (each a heterollm-task LLM call). */
static void run(const char *npu_extra, const char *classes, int requests, const char *params)
{
    char hw_text[1024], wl_text[2048];
    snprintf(hw_text, sizeof hw_text, machine, npu_extra ? npu_extra : "");
    snprintf(wl_text, sizeof wl_text, "name: t\ngranularity: op\nrequests: %d\nclasses:\n%s", requests, classes);
    hs_err err;
    hs_node *hn = yaml(hw_text), *wn = yaml(wl_text), *pn = yaml(params ? params : "{}");
    hs_hw *hw = hs_hw_from_node(hn, &err);
    hs_workload *wl = NULL;
    if (!hw || hs_workload_from_node(wn, &wl, &err) != 0)
        fail_msg("%s", err.msg);
    memset(&tr, 0, sizeof tr);
    memset(req, 0, sizeof req);
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = &hs_policy_agentxpu, .policy_params = pn, .seed = 1,
                      .end_time = INFINITY, .fast_sync = true,
                      .sink = {.kernel = on_kernel, .request = on_request}};
    hs_run_metrics m;
    if (hs_run(&cfg, &m, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(m.all.requests, requests);
    hs_run_metrics_free(&m);
    hs_workload_free(wl);
    hs_hw_free(hw);
    hs_node_free(hn);
    hs_node_free(wn);
    hs_node_free(pn);
}

/* A class line: name, priority, arrival, prompt, output. */
#define CLASS(name, prio, arrival, prompt, output)                                                    \
    "  - {name: " name ", priority: " prio ", workflow: heterollm-task, arrival: " arrival ",\n"      \
    "     params: {model: tiny-llm, quant: fp32, prompt: " #prompt ", output: " #output "}}\n"

static void assert_near(double got, double want)
{
    if (!(fabs(got - want) <= 1e-9))
        fail_msg("got %.17g, want %.17g", got, want);
}

/* The nth row (0-based) of request r and slot, or fails. */
static size_t row_of(uint64_t r, const char *slot, int nth)
{
    int seen = 0;
    for (size_t i = 0; i < tr.n; i++)
        if (tr.row[i].request == r && strcmp(tr.row[i].slot, slot) == 0 && seen++ == nth)
            return i;
    fail_msg("no row %d of request %llu slot %s", nth, (unsigned long long)r, slot);
    return 0;
}

static size_t count_rows(uint64_t r, const char *slot)
{
    size_t n = 0;
    for (size_t i = 0; i < tr.n; i++)
        n += tr.row[i].request == r && strcmp(tr.row[i].slot, slot) == 0;
    return n;
}

/* ---- Kernel-boundary preemption (wait-then-execute) -----------------------
 * A proactive request (prompt 256, request 0) arrives at t = 0 and a
 * reactive one (prompt 64, request 1) at t = 10 ms.  The proactive prompt
 * is one 256-token chunk, so its token-wise ops run whole on the NPU: the
 * embedding, attn_norm, then QKV, which takes 16.787216 ms (above) and so
 * is running at t = 10 ms.  QKV ends the first fused group {norm, QKV}:
 * the reactive request waits for it, and its first kernel (the embedding,
 * on the iGPU since 64 < 256 tokens leaves no NPU chunk) starts the
 * instant QKV ends.  The reactive prefill is not preempted in turn: the
 * proactive request's next group (layer 0's attention) starts only after
 * the reactive LM head, the end of the reactive prefill. */
static void test_preempt_at_kernel_boundary(void **state)
{
    (void)state;
    run(NULL,
        CLASS("p", "proactive", "{process: closed, users: 1}", 256, 1)
        CLASS("r", "reactive", "{process: deterministic, interval: 0.01}", 64, 1), 2, NULL);
    size_t qkv = row_of(0, "qkv", 0), embed = row_of(1, "embed", 0);
    assert_int_equal(tr.row[qkv].pu, 1);
    assert_near(tr.row[qkv].end - tr.row[qkv].start, 16.787216e-3);
    assert_true(tr.row[qkv].start < 0.01 && tr.row[qkv].end > 0.01);
    assert_int_equal(tr.row[embed].pu, 0);
    assert_near(tr.row[embed].start, tr.row[qkv].end);
    size_t head = row_of(1, "lm_head", 0), attn = row_of(0, "attn", 0);
    assert_true(tr.row[attn].start >= tr.row[head].end);
}

/* ---- Algorithm 1: the elastic split, decode idle ----------------------------
 * One reactive request, prompt 600: N_chk = 2, S_rem = 88 (S_chk 256).
 * T(256, NPU) = 16.787216 ms; T(256, iGPU) = 10 us + 8.388608 ms =
 * 8.398608 ms; T(88, iGPU) = 10 us + 2 x 88 x 256 x 128 / 2e9 = 2.893584 ms.
 *   i = 0: |0 - 2 x 8.398608 - 2.893584|          = 19.690800
 *   i = 1: |16.787216 - 8.398608 - 2.893584|      =  5.495024
 *   i = 2: |33.574432 - 0 - 2.893584|             = 30.680848
 * n_npu = 1: layer 0's QKV is one NPU part of 256 rows (16.787216 ms) and
 * one iGPU part of 256 + 88 = 344 rows, 10 us + 2 x 344 x 256 x 128 / 2e9 =
 * 11.282192 ms, both starting when attn_norm ends. */
static void test_alg1_elastic_split(void **state)
{
    (void)state;
    run(NULL, CLASS("r", "reactive", "{process: closed, users: 1}", 600, 1), 1, NULL);
    assert_int_equal(count_rows(0, "qkv"), 4);  /* 2 layers x 2 parts */
    size_t a = row_of(0, "qkv", 0), b = row_of(0, "qkv", 1);
    size_t npu = tr.row[a].pu == 1 ? a : b, gpu = npu == a ? b : a;
    assert_int_equal(tr.row[npu].pu, 1);
    assert_int_equal(tr.row[gpu].pu, 0);
    assert_near(tr.row[npu].end - tr.row[npu].start, 16.787216e-3);
    assert_near(tr.row[gpu].end - tr.row[gpu].start, 11.282192e-3);
    assert_near(tr.row[npu].start, tr.row[gpu].start);
}

/* ---- Algorithm 1: decode busy, the remainder deferred by t_defer -----------
 * A proactive request (prompt 8, output 400) decodes on the iGPU when a
 * reactive one (prompt 600) arrives at t = 0.2 s.  The decode pipeline is
 * busy: both chunks go to the NPU (2 x 16.787216 ms back to back) and the
 * 88-row remainder to the iGPU, deferred by t_defer = 2 x 16.787216 -
 * 2.893584 = 30.680848 ms after the chunks are placed, so that it ends with
 * them; once released it goes ahead of the decode batch, waiting at most
 * for the decode kernel under way (at most 0.2 ms for tiny-llm). */
static void test_alg1_deferred_remainder(void **state)
{
    (void)state;
    run(NULL,
        CLASS("p", "proactive", "{process: closed, users: 1}", 8, 400)
        CLASS("r", "reactive", "{process: deterministic, interval: 0.2}", 600, 1), 2, NULL);
    size_t c0 = row_of(1, "qkv", 0), c1 = row_of(1, "qkv", 1), rem = row_of(1, "qkv", 2);
    assert_int_equal(tr.row[c0].pu, 1);
    assert_int_equal(tr.row[c1].pu, 1);
    assert_int_equal(tr.row[rem].pu, 0);
    assert_near(tr.row[c1].start, tr.row[c0].end);
    double release = tr.row[c0].start + 30.680848e-3;
    assert_true(tr.row[rem].start >= release - 1e-9 && tr.row[rem].start <= release + 0.2e-3);
}

/* ---- Algorithm 2: reactive-first decode batching, B_cap = 3 ----------------
 * Four proactive requests (prompts 8, 16, 32, 64; output 120; closed users
 * issuing at t = 0) prefill one at a time (a few ms each) and join the
 * decode batch at iteration boundaries, up to 4 (no reactive: all
 * admitted).  A reactive request (prompt 8, output 40) arrives at t = 50 ms,
 * mid-decode.  At its first iteration boundary B_dec = {reactive}; the
 * proactive candidates sorted by S_len ascending are the prompt-8, 16, 32
 * and 64 ones (an earlier joiner has generated more, which keeps the
 * order): the first two are admitted (|B_dec| 1, 2 < 3), the two longest
 * pushed back -- evicted, as the text intends.  Batches of 3 run until the
 * reactive request finishes, so the prompt-8 and prompt-16 requests finish
 * before the prompt-32 and prompt-64 ones, and no batch ever holds 5.
 * With b_cap 5 nobody is evicted: batches of 5 run and the prompt-64
 * request finishes earlier than when it was evicted. */
#define FOUR_PROACTIVE                                                                                \
    CLASS("p8", "proactive", "{process: closed, users: 1}", 8, 120)                                  \
    CLASS("p16", "proactive", "{process: closed, users: 1}", 16, 120)                                \
    CLASS("p32", "proactive", "{process: closed, users: 1}", 32, 120)                                \
    CLASS("p64", "proactive", "{process: closed, users: 1}", 64, 120)                                \
    CLASS("r", "reactive", "{process: deterministic, interval: 0.05}", 8, 40)

static double finish_of(const char *cls)
{
    for (int i = 0; i < REQS; i++)
        if (strcmp(req[i].cls, cls) == 0)
            return req[i].finish;
    fail_msg("no request of class %s", cls);
    return 0;
}

static uint32_t largest_batch(void)
{
    uint32_t b = 0;
    for (size_t i = 0; i < tr.n; i++)
        b = tr.row[i].batch > b ? tr.row[i].batch : b;
    return b;
}

static bool has_batch(uint32_t b)
{
    for (size_t i = 0; i < tr.n; i++)
        if (tr.row[i].batch == b)
            return true;
    return false;
}

static void test_alg2_bcap_evicts_longest(void **state)
{
    (void)state;
    run(NULL, FOUR_PROACTIVE, 5, NULL);
    assert_int_equal(largest_batch(), 4);
    assert_true(has_batch(3));
    assert_true(finish_of("p8") < finish_of("p32") && finish_of("p16") < finish_of("p32"));
    assert_true(finish_of("p8") < finish_of("p64") && finish_of("p16") < finish_of("p64"));
    double p64_capped = finish_of("p64");
    run(NULL, FOUR_PROACTIVE, 5, "{b_cap: 5}");
    assert_int_equal(largest_batch(), 5);
    assert_true(finish_of("p64") < p64_capped);
}

/* ---- Aging promotion -----------------------------------------------------------
 * age_s 5 ms.  A reactive request (prompt 600) starts prefill at t = 0; a
 * proactive one (prompt 64, output 1) arrives at t = 1 ms and waits.  At
 * t = 6 ms (its age over 5 ms; the timer set at its enqueue fires) it is
 * promoted: its prefill runs on the iGPU beside the reactive prefill, which
 * goes NPU-only -- from then on every reactive QKV part is on the NPU.  The
 * proactive prefill's first kernel starts at 6 ms or after the iGPU
 * fragment under way, and its QKV runs on the iGPU before the reactive
 * prefill ends. */
static void test_aging_promotion(void **state)
{
    (void)state;
    run(NULL,
        CLASS("r", "reactive", "{process: closed, users: 1}", 600, 1)
        CLASS("p", "proactive", "{process: deterministic, interval: 0.001}", 64, 1), 2, "{age_s: 0.005}");
    size_t embed = row_of(1, "embed", 0), qkv = row_of(1, "qkv", 0), head = row_of(0, "lm_head", 0);
    assert_true(tr.row[embed].start >= 0.006 - 1e-12);
    assert_int_equal(tr.row[qkv].pu, 0);
    assert_true(tr.row[qkv].end < tr.row[head].end);
    size_t last = row_of(0, "qkv", (int)count_rows(0, "qkv") - 1);  /* layer 1's */
    assert_int_equal(tr.row[last].pu, 1);
}

/* ---- v1 memory-pressure tiers ----------------------------------------------------
 * v1: a proactive prefill (prompt 256: whole ops on the NPU, attention on
 * the iGPU) and a reactive request (prompt 8, output 60) decoding on the
 * iGPU from t = 1 ms.  With tau_high = 0 every kernel has P + dP > tau_high:
 * Algorithm 1 of v1 says WaitForSlot whenever the partner PU is busy, so
 * the iGPU and the NPU never run at the same instant (sequential tier).
 * With the defaults the DRAM (1000 GB/s) keeps P_mem near 0 < 0.4: the
 * tier co-schedules and the NPU prefill overlaps the iGPU decode. */
static bool pus_overlap(void)
{
    for (size_t i = 0; i < tr.n; i++)
        for (size_t j = 0; j < tr.n; j++)
            if (tr.row[i].pu == 0 && tr.row[j].pu == 1 && tr.row[i].start < tr.row[j].end - 1e-12 &&
                tr.row[j].start < tr.row[i].end - 1e-12)
                return true;
    return false;
}

static void test_v1_memory_tiers(void **state)
{
    (void)state;
    const char *classes = CLASS("p", "proactive", "{process: closed, users: 1}", 256, 1)
        CLASS("r", "reactive", "{process: deterministic, interval: 0.001}", 8, 60);
    run(NULL, classes, 2, "{version: v1, tau_low: 0, tau_high: 0}");
    assert_false(pus_overlap());
    run(NULL, classes, 2, "{version: v1}");
    assert_true(pus_overlap());
}

/* ---- v2 NPU warm-up ----------------------------------------------------------------
 * The NPU has one static shape, 256 (pad), and builds any other graph in 10
 * ms.  A reactive request (prompt 600) is served from t = 0; a proactive one
 * (prompt 300) arrives at 1 ms and waits.  Warm-up: the CPU builds the NPU
 * graph of 300 rows, [1 ms, 11 ms] (a CPU row); the reactive prefill takes
 * far longer (its NPU chunks alone 2 layers x 4 GEMMs x > 16 ms), so the
 * graph is ready when the proactive turn comes: pure-NPU prefill, its QKV
 * whole on the NPU (one row a layer, not a part).  Without warm-up its QKV
 * is one 256 chunk on the NPU and a 44-row remainder on the iGPU. */
static const char *npu_rules =
    ", static_shapes: [256], shape_policy: pad, graph_build: {points: [[1, 0.01], [4096, 0.01]]}";

static void test_warmup_switch(void **state)
{
    (void)state;
    const char *classes = CLASS("r", "reactive", "{process: closed, users: 1}", 600, 1)
        CLASS("p", "proactive", "{process: deterministic, interval: 0.001}", 300, 1);
    run(npu_rules, classes, 2, NULL);
    size_t build = SIZE_MAX;
    for (size_t i = 0; i < tr.n && build == SIZE_MAX; i++)
        if (tr.row[i].pu == 2)
            build = i;
    assert_true(build != SIZE_MAX);
    assert_near(tr.row[build].start, 0.001);
    assert_near(tr.row[build].end, 0.011);
    assert_int_equal(count_rows(1, "qkv"), 2);
    size_t q = row_of(1, "qkv", 0);
    assert_int_equal(tr.row[q].pu, 1);
    assert_false(tr.row[q].part);
    run(npu_rules, classes, 2, "{warmup: false}");
    assert_int_equal(count_rows(1, "qkv"), 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preempt_at_kernel_boundary),
        cmocka_unit_test(test_alg1_elastic_split),
        cmocka_unit_test(test_alg1_deferred_remainder),
        cmocka_unit_test(test_alg2_bcap_evicts_longest),
        cmocka_unit_test(test_aging_promotion),
        cmocka_unit_test(test_v1_memory_tiers),
        cmocka_unit_test(test_warmup_switch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
