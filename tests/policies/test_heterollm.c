/* The `heterollm` policy (HeteroInfer, arXiv 2501.14794v2 §4): one prefill
 * GEMM split weight-centrically across the GPU and the NPU, its join worked
 * out by hand, and the same op whole at level `layer`. */
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

#define TRACE_ROWS 4096
#include "tests/trace_test.h"

/* A GPU (PU 0) and an NPU (PU 1) alike: 1 TFLOPS FP32, 10 us launch, fast
 * sync 1 us, no NPU rules; DRAM fast enough (1000 GB/s) that every GEMM
 * here is compute-bound even beside another; the join copies at 100 GB/s. */
static const char *gpu_npu =
    "name: twins\nmemory: {bandwidth_gbps: 1000}\ncopy_gbps: 100\npus:\n"
    "  - {name: gpu, kind: gpu, peak_tflops: {fp32: 1}, launch_us: 10, sync_us: {naive: 100, fast: 1}}\n"
    "  - {name: npu, kind: npu, peak_tflops: {fp32: 1}, launch_us: 10, sync_us: {naive: 100, fast: 1}}\n";
/* tiny-llm (hidden 128, 4 heads + 2 x 2 KV heads of 32: QKV has 256
 * outputs), FP32, a 512-token prefill at op granularity. */
static const char *prefill =
    "name: p\ngranularity: op\nrequests: 1\nclasses:\n"
    "  - {name: c, workflow: heterollm-task, arrival: {process: closed, users: 1},\n"
    "     params: {model: tiny-llm, quant: fp32, prompt: 512, output: 1}}\n";

static void run_level(const char *params)
{
    hs_err err;
    hs_node *hn = yaml(gpu_npu), *wn = yaml(prefill), *pn = yaml(params);
    hs_hw *hw = hs_hw_from_node(hn, &err);
    hs_workload *wl = NULL;
    if (!hw || hs_workload_from_node(wn, &wl, &err) != 0)
        fail_msg("%s", err.msg);
    memset(&tr, 0, sizeof tr);
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = &hs_policy_heterollm, .policy_params = pn,
                      .seed = 1, .end_time = INFINITY, .fast_sync = true,
                      .sink = {.kernel = on_kernel}};
    hs_run_metrics m;
    if (hs_run(&cfg, &m, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(m.all.requests, 1);
    hs_run_metrics_free(&m);
    hs_workload_free(wl);
    hs_hw_free(hw);
    hs_node_free(hn);
    hs_node_free(wn);
    hs_node_free(pn);
}

/* The first n rows of a slot (layer 0's come first), in trace order. */
static size_t rows_of(const char *slot, size_t *idx, size_t n)
{
    size_t got = 0;
    for (size_t i = 0; i < tr.n && got < n; i++)
        if (strcmp(tr.row[i].slot, slot) == 0)
            idx[got++] = i;
    return got;
}

/* Runs the level; q gets the first two QKV rows, a the first attention
 * row; returns t0, when layer 0's attn_norm ends. */
static double run_and_find(const char *params, size_t q[2], size_t a[1])
{
    run_level(params);
    size_t norm[1] = {0};
    assert_int_equal(rows_of(hs_slot_name(HS_SLOT_QKV), q, 2), 2);
    assert_int_equal(rows_of(hs_slot_name(HS_SLOT_ATTN), a, 1), 1);
    assert_int_equal(rows_of(hs_slot_name(HS_SLOT_ATTN_NORM), norm, 1), 1);
    return tr.row[norm[0]].end;
}

static void assert_near(double got, double want)
{
    if (!(fabs(got - want) <= 1e-12))
        fail_msg("got %.17g, want %.17g", got, want);
}

/* Hetero-tensor.  QKV of layer 0: m = 512, n = 256, k = 128: 2 x 512 x 256 x
 * 128 = 33.554432 MFLOP, 33.554432 us at 1 TFLOPS.  The solver (in a pass):
 *   GPU-only: 10 + 33.554432 = 43.554432 us;
 *   1:1 split: GPU 10 + 16.777216 = 26.777216, NPU 1 (the input's handoff)
 *     + 10 + 16.777216 = 27.777216; join 1 (fast sync) + 512 x 256 x 4 B /
 *     100 GB/s = 5.24288 us of copy: 34.020096 us -- the best of the grid
 *     (3:2: the GPU's 154 rows take 10 + 20.185088 = 30.185088, + 6.24288 =
 *     36.427968; 2:3: the NPU's 154 rows 31.185088 + 6.24288 = 37.427968;
 *     the others are more lopsided still).
 * So weight-centric 1:1: 128 rows each.  The run: the GPU part starts on the
 * GPU right after attn_norm at t0 and ends at t0 + 26.777216 us; the NPU part
 * waits 1 us for its input and ends at t0 + 27.777216; the join completes at
 * max(parts) + T_sync + T_copy = t0 + 34.020096 us.  The engine places the
 * joined output on the PU of the part that finished last (the NPU), so
 * attention on the GPU pays one more handoff (1 us): it starts at
 * t0 + 35.020096 us. */
static void test_tensor_split(void **state)
{
    (void)state;
    size_t q[2] = {0}, a[1] = {0};
    double t0 = run_and_find("level: tensor", q, a);
    size_t g = tr.row[q[0]].pu == 0 ? q[0] : q[1], n = g == q[0] ? q[1] : q[0];
    assert_int_equal(tr.row[g].pu, 0);
    assert_int_equal(tr.row[n].pu, 1);
    assert_near(tr.row[g].end - t0, 26.777216e-6);
    assert_near(tr.row[n].end - t0, 27.777216e-6);
    assert_near(tr.row[a[0]].start - t0, 35.020096e-6);
    assert_int_equal(tr.row[a[0]].pu, 0);
}

/* Hetero-layer: the same QKV whole on its best PU, the GPU (43.554432 us
 * against the NPU's 1 + 43.554432 + 1 + 5.24288), queued behind attn_norm:
 * it ends at t0 + 43.554432 us and attention follows at once. */
static void test_layer_whole(void **state)
{
    (void)state;
    size_t q[2] = {0}, a[1] = {0};
    double t0 = run_and_find("level: layer", q, a);
    assert_true(q[1] > a[0]);   /* the second QKV row is layer 1's */
    assert_int_equal(tr.row[q[0]].pu, 0);
    assert_near(tr.row[q[0]].end - t0, 43.554432e-6);
    assert_near(tr.row[a[0]].start, tr.row[q[0]].end);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tensor_split),
        cmocka_unit_test(test_layer_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
