/* Taking work back from PUs: recall of queued work and its re-dispatch
 * elsewhere, preemption of a running stage-granularity prefill at a layer
 * boundary, misuse errors, rollback withdrawing queued work, NPU graph
 * pre-builds on the CPU, and the copy cost of a split item's join.  Every
 * expected time is worked out by hand from the profiles below. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/yaml_test.h"

#include "sim/engine/engine.h"

/* ---- Harness: inline profile and workload, every kernel recorded -------- */

#define TRACE_ROWS 256
#include "tests/trace_test.h"


/* Runs policy p on the profile and workload given as YAML text; returns
 * hs_run's result, *m and err filled. */
static int run_text(const char *hw_yaml, const char *wl_yaml, const hs_policy_ops *p, hs_run_metrics *m,
                    hs_err *err)
{
    hs_node *hn = yaml(hw_yaml), *wn = yaml(wl_yaml);
    hs_hw *hw = hs_hw_from_node(hn, err);
    if (!hw)
        fail_msg("%s", err->msg);
    hs_workload *wl = NULL;
    if (hs_workload_from_node(wn, &wl, err) != 0)
        fail_msg("%s", err->msg);
    memset(&tr, 0, sizeof tr);
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = p, .seed = 1, .sink = {.kernel = on_kernel}};
    int rc = hs_run(&cfg, m, err);
    hs_workload_free(wl);
    hs_hw_free(hw);
    hs_node_free(hn);
    hs_node_free(wn);
    return rc;
}

static void assert_near(double got, double want)
{
    if (!(fabs(got - want) <= 1e-12 * fmax(1.0, fabs(want))))
        fail_msg("got %.17g, want %.17g", got, want);
}

/* Dispatches every ready work to pu. */
static void dispatch_all(hs_sched *s, int pu)
{
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        hs_dispatch(s, w, pu);
    }
}

/* Two generic PUs of speed 1 and two independent tasks of 1 s on either. */
static const char *two_pu = "name: two\nmemory: {bandwidth_gbps: 100}\n"
                            "pus: [{name: P1, kind: generic, speed: 1.0}, {name: P2, kind: generic, speed: 1.0}]\n";
static const char *two_tasks = "kind: dag\ntasks:\n  - {name: A, cost: {P1: 1, P2: 1}}\n"
                               "  - {name: B, cost: {P1: 1, P2: 1}}\n";

/* ---- Recall: B, queued behind A on P1, goes to P2 instead. ------------------- */

static struct {
    int recalled;
    bool pu_cleared, queue_emptied;
} rc_state;

static void recall_schedule(hs_sched *s, void *st)
{
    (void)st;
    int p1 = hs_pu_find(s, "P1"), p2 = hs_pu_find(s, "P2");
    if (rc_state.recalled) {
        dispatch_all(s, p2);
        return;
    }
    hs_work *a = hs_ready_first(s), *b = hs_ready_next(s, a);
    hs_dispatch(s, a, p1);
    hs_dispatch(s, b, p1);    /* waits behind A */
    assert_int_equal(hs_pu_queued(s, p1), 1);
    assert_int_equal(hs_recall(s, b), 0);
    rc_state.recalled++;
    rc_state.pu_cleared = hs_work_pu(b) == -1 && hs_ready_first(s) == b;
    rc_state.queue_emptied = hs_pu_queued(s, p1) == 0;
    hs_dispatch(s, b, p2);
}

static const hs_policy_ops recall_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-recall", .description = "x",
    .schedule = recall_schedule,
};

static void test_recall_redispatch(void **state)
{
    (void)state;
    hs_run_metrics m;
    hs_err err;
    memset(&rc_state, 0, sizeof rc_state);
    assert_int_equal(run_text(two_pu, two_tasks, &recall_policy, &m, &err), 0);
    assert_true(rc_state.pu_cleared && rc_state.queue_emptied);
    /* A runs on P1 over [0, 1]; B, recalled from P1's queue at t = 0 and
     * dispatched to P2, runs over [0, 1] there (left on P1 it would have
     * run over [1, 2]).  The makespan is 1 s. */
    assert_int_equal(tr.n, 2);
    for (size_t i = 0; i < 2; i++) {
        assert_near(tr.row[i].start, 0);
        assert_near(tr.row[i].end, 1);
    }
    assert_int_not_equal(tr.row[0].pu, tr.row[1].pu);
    assert_near(m.makespan_s, 1);
    assert_int_equal(m.recalls, 1);
    assert_int_equal(m.preemptions, 0);
    hs_run_metrics_free(&m);
}

/* ---- Misuse: each fails the run with a message naming policy and work. ----- */

static int misuse_mode;

static void misuse_schedule(hs_sched *s, void *st)
{
    (void)st;
    hs_work *a = hs_ready_first(s), *b = a ? hs_ready_next(s, a) : NULL;
    if (!b)
        return;
    hs_dispatch(s, a, hs_pu_find(s, "P1"));      /* starts: RUNNING */
    if (misuse_mode == 0)
        hs_recall(s, a);                         /* running, not queued */
    else if (misuse_mode == 1)
        hs_preempt(s, a);                        /* one kernel (a fixed-cost task) */
    else
        hs_preempt(s, b);                        /* ready, not running */
}

static const hs_policy_ops misuse_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-misuse", .description = "x",
    .schedule = misuse_schedule,
};

static void test_misuse_errors(void **state)
{
    (void)state;
    static const char *const want[] = {
        "hs_recall of work 0 (task, request 0, stage 0), which is running, not queued on a PU",
        "hs_preempt of work 0 (task, request 0, stage 0): it is one kernel",
        "hs_preempt of work 1 (task, request 0, stage 1): it is not running",
    };
    for (misuse_mode = 0; misuse_mode < 3; misuse_mode++) {
        hs_run_metrics m;
        hs_err err;
        assert_int_equal(run_text(two_pu, two_tasks, &misuse_policy, &m, &err), -1);
        if (!strstr(err.msg, "policy 'test-misuse'") || !strstr(err.msg, want[misuse_mode]))
            fail_msg("mode %d: %s", misuse_mode, err.msg);
        hs_run_metrics_free(&m);
    }
}

/* ---- Preemption of a stage-granularity prefill at a layer boundary. ---------- */

/* tiny-llm (2 layers) prefill of 64 tokens, no decode, at stage granularity:
 * one item of 3 kernels (layer 0 with the embedding, layer 1, the head). */
static const char *one_gpu = "name: g\nmemory: {bandwidth_gbps: 100}\n"
                             "pus: [{name: gpu, kind: gpu, peak_tflops: {fp32: 1}, launch_us: 10}]\n";
static const char *prefill_stage = "name: p\ngranularity: stage\nrequests: 1\nclasses:\n"
                                   "  - {name: c, workflow: heterollm-task, arrival: {process: closed, users: 1},\n"
                                   "     params: {model: tiny-llm, quant: fp32, prompt: 64, output: 1}}\n";

static int take_layer1(const hs_item *it, void *ctx)
{
    if (it->slot == HS_SLOT_LAYER && it->layer == 1)
        *(hs_item *)ctx = *it;
    return 0;
}

static int take_head(const hs_item *it, void *ctx)
{
    if (it->slot == HS_SLOT_HEAD)
        *(hs_item *)ctx = *it;
    return 0;
}

/* Items hold pointers into the run's workload: what the checks need of
 * them is read while the run lives. */
static struct {
    hs_work *w;
    double whole_s, rest_s, stop_t;
    int64_t kernels, rest_kernels;
    hs_item rest, layer1, head;    /* flops, bytes and counts only */
    int done_calls;
} pe;

static void preempt_schedule(hs_sched *s, void *st)
{
    (void)st;
    int gpu = hs_pu_find(s, "gpu");
    hs_work *w = hs_ready_first(s);
    if (!w)
        return;
    if (!pe.w) {
        const hs_item *it = hs_work_item(w);
        pe.w = w;
        pe.kernels = hs_item_kernels(it);
        hs_lower_llm(it->model, it->quant, 0, 64, 1, HS_GRAN_LAYER, take_layer1, &pe.layer1);
        hs_lower_llm(it->model, it->quant, 0, 64, 1, HS_GRAN_LAYER, take_head, &pe.head);
        pe.whole_s = hs_predict(s, w, gpu);
        /* Half-way through its body: launch + body / 2. */
        const double launch = hs_pu_of(s, gpu)->launch_s;
        hs_timer(s, launch + (pe.whole_s - launch) / 2, 0);
    } else {
        pe.rest = *hs_work_item(w);
        pe.rest_kernels = hs_item_kernels(&pe.rest);
        pe.rest_s = hs_predict(s, w, gpu);
    }
    hs_dispatch(s, w, gpu);
}

static void preempt_timer(hs_sched *s, void *st, uint64_t tag)
{
    (void)st, (void)tag;
    assert_int_equal(hs_preempt(s, pe.w), 0);
    assert_int_equal(hs_preempt(s, pe.w), 0);   /* a second call does nothing */
}

static void preempt_done(hs_sched *s, void *st, hs_work *w)
{
    (void)st;
    if (w == pe.w && pe.done_calls++ == 0)
        pe.stop_t = hs_now(s);
}

static const hs_policy_ops preempt_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-preempt", .description = "x",
    .schedule = preempt_schedule, .timer = preempt_timer, .work_done = preempt_done,
};

static void test_preempt_prefill_at_layer_boundary(void **state)
{
    (void)state;
    hs_run_metrics m;
    hs_err err;
    memset(&pe, 0, sizeof pe);
    if (run_text(one_gpu, prefill_stage, &preempt_policy, &m, &err) != 0)
        fail_msg("%s", err.msg);
    /* The item is 3 kernels, equal thirds of its body B (launch L = 10 us).
     * Preempted at L + B/2, half-way through its body, i.e. inside its
     * second kernel (1/3 < 1/2 < 2/3): that kernel finishes and the item
     * stops at L + 2B/3.  The remainder is the head, lowered exactly as
     * layer granularity lowers it; ready at the stop, it starts there on
     * the same GPU back to back (its launch is queue_launch = launch) and
     * ends at L + 2B/3 + its prediction. */
    assert_int_equal(pe.kernels, 3);
    const double L = 10e-6, B = pe.whole_s - L;
    assert_near(pe.stop_t, L + 2 * B / 3);
    assert_true(pe.rest.k.flops == pe.head.k.flops && pe.rest.k.bytes == pe.head.k.bytes);
    assert_int_equal(pe.rest.resumed, 2);
    assert_int_equal(pe.rest.emits, 1);            /* the first token comes with it */
    assert_int_equal(pe.rest_kernels, 1);
    assert_int_equal(tr.n, 2);
    assert_near(tr.row[1].start, pe.stop_t);
    assert_near(tr.row[1].end, pe.stop_t + pe.rest_s);
    assert_near(m.makespan_s, pe.stop_t + pe.rest_s);
    assert_int_equal(m.preemptions, 1);
    hs_run_metrics_free(&m);
}

/* The same on a GPU that stops within 1 us (preempt_us) and pays 5 us per
 * preemption (preempt_cost_us). */
static void test_preempt_within_and_cost(void **state)
{
    (void)state;
    const char *gpu = "name: g\nmemory: {bandwidth_gbps: 100}\n"
                      "pus: [{name: gpu, kind: gpu, peak_tflops: {fp32: 1}, launch_us: 10, preempt_us: 1,"
                      " preempt_cost_us: 5}]\n";
    hs_run_metrics m;
    hs_err err;
    memset(&pe, 0, sizeof pe);
    if (run_text(gpu, prefill_stage, &preempt_policy, &m, &err) != 0)
        fail_msg("%s", err.msg);
    /* Preempted at L + B/2, it stops 1 us later, inside its second kernel
     * (B is about 25 us: the kernel ends at L + 2B/3), having done
     * f = 1/2 + 3 * 1 us / B of that kernel -- 1.5 + 3 us / B kernels.  The
     * remainder is the head plus (1 - f) of layer 1; ready 5 us after the
     * stop, on an idle GPU, it ends 5 us + its prediction later. */
    const double L = 10e-6, B = pe.whole_s - L, f = 0.5 + 3 * 1e-6 / B;
    assert_true(B > 6e-6);
    assert_near(pe.stop_t, L + B / 2 + 1e-6);
    if (!(fabs(pe.rest.k.flops - (pe.head.k.flops + (1 - f) * pe.layer1.k.flops)) < 1e-9 * pe.rest.k.flops))
        fail_msg("remainder flops %.17g", pe.rest.k.flops);
    assert_near(tr.row[1].start, pe.stop_t + 5e-6);
    assert_near(m.makespan_s, pe.stop_t + 5e-6 + pe.rest_s);
    hs_run_metrics_free(&m);
}

/* The remainder of a whole decode is the decode of its later steps, and
 * the remainder of a layer its ops left: each costs what the lowering
 * gives for those kernels. */
static int take_last(const hs_item *it, void *ctx)
{
    *(hs_item *)ctx = *it;
    return 0;
}

typedef struct op_sum {
    int32_t layer;
    int64_t seen, from;
    double flops;
} op_sum;

static int sum_layer_ops(const hs_item *it, void *ctx)
{
    op_sum *o = ctx;
    if (it->layer == o->layer && it->phase == HS_PHASE_PREFILL && o->seen++ >= o->from)
        o->flops += it->k.flops;
    return 0;
}

static void test_remainders_as_lowered(void **state)
{
    (void)state;
    hs_err err;
    hs_model mdl;
    assert_int_equal(hs_model_load("tiny-llm", &mdl, &err), 0);
    /* 64-token prompt, 11 output tokens: a decode of 10 steps on 64 cached
     * tokens.  After 4 steps: 6 steps on 68, as a call of 64 + 4 prompt
     * tokens and 7 output tokens lowers it. */
    hs_item dec, later, rest;
    assert_int_equal(hs_lower_llm(&mdl, HS_QUANT_FP32, 0, 64, 11, HS_GRAN_STAGE, take_last, &dec), 0);
    assert_int_equal(hs_item_kernels(&dec), 10);
    assert_int_equal(hs_item_remainder(&dec, 4, &rest, &err), 0);
    assert_int_equal(hs_lower_llm(&mdl, HS_QUANT_FP32, 0, 68, 7, HS_GRAN_STAGE, take_last, &later), 0);
    assert_int_equal(rest.steps, 6);
    assert_int_equal(rest.context, 68);
    assert_true(rest.k.flops == later.k.flops && rest.k.bytes == later.k.bytes);
    /* Layer 1 of a prefill at layer granularity: 8 ops; after 3 of them,
     * the other 5 ops' FLOPs, as op granularity lowers them. */
    hs_item layer1 = {0};
    op_sum o = {.layer = 1, .from = 3};
    assert_int_equal(hs_lower_llm(&mdl, HS_QUANT_FP32, 0, 64, 1, HS_GRAN_LAYER, take_layer1, &layer1), 0);
    assert_int_equal(hs_item_kernels(&layer1), 8);
    assert_int_equal(hs_item_remainder(&layer1, 3, &rest, &err), 0);
    assert_int_equal(hs_lower_llm(&mdl, HS_QUANT_FP32, 0, 64, 1, HS_GRAN_OP, sum_layer_ops, &o), 0);
    assert_near(rest.k.flops, o.flops);
    assert_int_equal(hs_item_kernels(&rest), 5);
    assert_int_equal(hs_item_split_extent(&rest, HS_SPLIT_SEQ), 0);   /* no split of a remainder */
    assert_int_not_equal(hs_item_remainder(&layer1, 8, &rest, &err), 0);
}

/* ---- Rollback withdraws the stage's queued work. ------------------------------ */

/* Two stages on tiny-llm, the second speculated and never right
 * (spec_accuracy 0): both dispatched to the one GPU, the speculative
 * item queued behind the first stage. */
static const char *two_stages =
    "name: r\ngranularity: stage\nrequests: 1\nclasses:\n"
    "  - name: c\n    arrival: {process: closed, users: 1}\n"
    "    workflow:\n      name: two\n      stages:\n"
    "        - {name: first, kind: llm, model: tiny-llm, quant: fp32, prompt: 64, output: 1}\n"
    "        - {name: second, kind: llm, model: tiny-llm, quant: fp32, prompt: 32, output: 1,"
    " spec_accuracy: 0}\n"
    "      edges:\n        - {from: first, to: second}\n";

static struct {
    double first_s, second_s;
} rb;

static void rb_arrived(hs_sched *s, void *st, hs_req *r)
{
    (void)st;
    assert_int_equal(hs_speculate(s, r, 1), 0);
}

static void rb_schedule(hs_sched *s, void *st)
{
    (void)st;
    int gpu = hs_pu_find(s, "gpu");
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        double t = hs_predict(s, w, gpu);
        *(hs_work_stage(w) == 0 ? &rb.first_s : &rb.second_s) = t;
    }
    dispatch_all(s, gpu);
}

static const hs_policy_ops rollback_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-rollback", .description = "x",
    .request_arrived = rb_arrived, .schedule = rb_schedule,
};

static void test_rollback_withdraws_queued(void **state)
{
    (void)state;
    hs_run_metrics m;
    hs_err err;
    memset(&rb, 0, sizeof rb);
    if (run_text(one_gpu, two_stages, &rollback_policy, &m, &err) != 0)
        fail_msg("%s", err.msg);
    /* first runs over [0, T1].  The speculative second, queued behind it,
     * is withdrawn when first ends and the speculation fails; second then
     * runs once, from T1 back to back on the GPU: it ends at T1 + T2 (had
     * the queued one run, wasted, the end would be T1 + 2 T2). */
    assert_int_equal(m.rollbacks, 1);
    assert_int_equal(tr.n, 2);
    assert_near(tr.row[0].end, rb.first_s);
    assert_near(tr.row[1].start, rb.first_s);
    assert_near(m.makespan_s, rb.first_s + rb.second_s);
    hs_run_metrics_free(&m);
}

/* ---- Graph pre-build on the CPU. ---------------------------------------------- */

/* An NPU with one static shape (128) that builds any other at 1 ms, and a
 * CPU; tiny-llm prefill of 64 tokens at op granularity, all on the NPU:
 * every op has m = 64 rows but the head's two (m = 1). */
static const char *cpu_npu =
    "name: n\nmemory: {bandwidth_gbps: 100}\npus:\n"
    "  - {name: cpu, kind: cpu, peak_tflops: {fp32: 1, fp16: 1}, launch_us: 0}\n"
    "  - {name: npu, kind: npu, peak_tflops: {fp32: 10, fp16: 10}, launch_us: 10, static_shapes: [128],\n"
    "     shape_policy: build, graph_build: {points: [[1, 0.001], [1000, 0.001]]}}\n";
static const char *prefill_op = "name: p\ngranularity: op\nrequests: 1\nclasses:\n"
                                "  - {name: c, workflow: heterollm-task, arrival: {process: closed, users: 1},\n"
                                "     params: {model: tiny-llm, quant: fp32, prompt: 64, output: 1}}\n";

static bool prebuild_first;
static struct {
    bool asked;
    bool built_before, built_after;
} pb;

static void prebuild_schedule(hs_sched *s, void *st)
{
    (void)st;
    int cpu = hs_pu_find(s, "cpu"), npu = hs_pu_find(s, "npu");
    if (prebuild_first && !pb.asked) {
        pb.asked = true;
        pb.built_before = hs_graph_built(s, npu, 64);
        assert_int_equal(hs_prebuild(s, npu, 64, cpu), 0);
        assert_true(hs_graph_built(s, npu, 128));   /* listed: nothing to build */
    }
    if (prebuild_first && !hs_graph_built(s, npu, 64))
        return;                                     /* wait for the build */
    pb.built_after = true;
    dispatch_all(s, npu);
}

static const hs_policy_ops prebuild_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-prebuild", .description = "x",
    .schedule = prebuild_schedule,
};

static void test_prebuild_on_cpu(void **state)
{
    (void)state;
    hs_run_metrics plain, pre;
    hs_err err;
    prebuild_first = false;
    if (run_text(cpu_npu, prefill_op, &prebuild_policy, &plain, &err) != 0)
        fail_msg("%s", err.msg);
    memset(&pb, 0, sizeof pb);
    prebuild_first = true;
    if (run_text(cpu_npu, prefill_op, &prebuild_policy, &pre, &err) != 0)
        fail_msg("%s", err.msg);
    /* Plainly, the NPU's chain S of kernels pays two builds, m = 64 (its
     * first kernel) and m = 1 (the head): makespan S + 2 ms.  Pre-built,
     * the CPU builds m = 64 over [0, 1 ms] (the CPU is busy 1 ms), the
     * chain starts at 1 ms and pays the head's build only: 1 ms + S + 1 ms,
     * the same makespan, with 1 ms of the NPU's time moved to the CPU. */
    assert_false(pb.built_before);
    assert_true(pb.built_after);
    assert_string_equal(tr.row[0].stage, "graph-build");
    assert_near(tr.row[0].start, 0);
    assert_near(tr.row[0].end, 0.001);
    assert_near(tr.row[1].start, 0.001);
    assert_near(pre.pus[0].busy_s, 0.001);
    assert_near(plain.pus[0].busy_s, 0);
    assert_near(pre.makespan_s, plain.makespan_s);
    /* The NPU's first kernel: pre-built it takes launch + body, 1 ms less
     * than plainly (launch + 1 ms build + body). */
    const double pre_first = tr.row[1].end - tr.row[1].start;
    hs_run_metrics_free(&pre);
    prebuild_first = false;
    if (run_text(cpu_npu, prefill_op, &prebuild_policy, &pre, &err) != 0)
        fail_msg("%s", err.msg);
    assert_near(tr.row[0].end - tr.row[0].start - pre_first, 0.001);
    hs_run_metrics_free(&plain);
    hs_run_metrics_free(&pre);
}

/* ---- The copy cost of a join. ----------------------------------------------------- */

static const char *gpu_npu_fmt =
    "name: j\nmemory: {bandwidth_gbps: 100}\n%s"
    "pus:\n"
    "  - {name: gpu, kind: gpu, peak_tflops: {fp32: 1}, launch_us: 10, sync_us: {naive: 100, fast: 1}}\n"
    "  - {name: npu, kind: npu, peak_tflops: {fp32: 1}, launch_us: 10, sync_us: {naive: 100, fast: 1}}\n";

static struct {
    bool split;
    double out_bytes, join_s;
} jc;

static void join_schedule(hs_sched *s, void *st)
{
    (void)st;
    int gpu = hs_pu_find(s, "gpu"), npu = hs_pu_find(s, "npu");
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        const hs_item *it = hs_work_item(w);
        if (!jc.split && it->slot == HS_SLOT_QKV) {
            jc.split = true;
            jc.out_bytes = it->parts.out;
            const int pus[2] = {gpu, npu};
            jc.join_s = hs_join_cost(s, w, pus, 2);
            int64_t rows = hs_item_split_extent(it, HS_SPLIT_ROWS), sizes[2] = {rows / 2, rows - rows / 2};
            hs_work *parts[2];
            assert_int_equal(hs_split(s, w, HS_SPLIT_ROWS, sizes, 2, parts), 0);
            hs_dispatch(s, parts[0], gpu);
            hs_dispatch(s, parts[1], npu);
            next = hs_ready_first(s);   /* the list changed */
            continue;
        }
        if (!hs_work_is_part(w))
            hs_dispatch(s, w, gpu);
    }
}

static const hs_policy_ops join_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-join", .description = "x",
    .schedule = join_schedule,
};

static void test_join_copy_cost(void **state)
{
    (void)state;
    char free_hw[1024], copy_hw[1024];
    snprintf(free_hw, sizeof free_hw, gpu_npu_fmt, "");
    snprintf(copy_hw, sizeof copy_hw, gpu_npu_fmt, "copy_gbps: 1\n");
    hs_run_metrics a, b;
    hs_err err;
    memset(&jc, 0, sizeof jc);
    if (run_text(free_hw, prefill_op, &join_policy, &a, &err) != 0)
        fail_msg("%s", err.msg);
    /* QKV of a 64-token pass of tiny-llm: 64 rows x (4 heads + 2 x 2 KV
     * heads) x 32 = 256 outputs in fp32: 64 * 256 * 4 = 65536 bytes. */
    assert_near(jc.out_bytes, 65536);
    assert_near(jc.join_s, 100e-6);               /* the blocking sync only */
    memset(&jc, 0, sizeof jc);
    if (run_text(copy_hw, prefill_op, &join_policy, &b, &err) != 0)
        fail_msg("%s", err.msg);
    /* At 1 GB/s the copy adds 65536 / 1e9 = 65.536 us to the join, and the
     * rest of the chain (all on the GPU, which waits idle for the join
     * either way) moves by as much. */
    assert_near(jc.join_s, 100e-6 + 65.536e-6);
    if (!(fabs(b.makespan_s - a.makespan_s - 65.536e-6) < 1e-12))
        fail_msg("makespan %.17g vs %.17g", b.makespan_s, a.makespan_s);
    hs_run_metrics_free(&a);
    hs_run_metrics_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recall_redispatch),
        cmocka_unit_test(test_misuse_errors),
        cmocka_unit_test(test_preempt_prefill_at_layer_boundary),
        cmocka_unit_test(test_preempt_within_and_cost),
        cmocka_unit_test(test_remainders_as_lowered),
        cmocka_unit_test(test_rollback_withdraws_queued),
        cmocka_unit_test(test_prebuild_on_cpu),
        cmocka_unit_test(test_join_copy_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
