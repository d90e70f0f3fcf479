/* Tests of the hw/ performance model: kernel flops/bytes, the roofline's
 * closed forms, NPU shape rules, unsupported ops, profiled tables, and
 * co-running kernels sharing bandwidth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hw/hw.h"

static hs_hw *load(const char *name)
{
    hs_err err;
    hs_hw *hw = hs_hw_load(name, &err);
    if (!hw)
        fail_msg("%s: %s", name, err.msg);
    return hw;
}

static hs_hw *inline_hw(const char *text)
{
    hs_err err;
    hs_node *root = hs_conf_load_string(text, strlen(text), "inline.yaml", &err);
    if (!root)
        fail_msg("%s", err.msg);
    hs_hw *hw = hs_hw_from_node(root, &err);
    hs_node_free(root);
    if (!hw)
        fail_msg("%s", err.msg);
    return hw;
}

static hs_pred predict(const hs_hw *hw, const char *pu, hs_kernel k, unsigned flags)
{
    hs_pred p;
    hs_err err;
    int rc = hs_hw_predict(hw, hs_hw_pu_find(hw, pu), &k, flags, &p, &err);
    if (rc != 0)
        fail_msg("predict on %s: rc %d: %s %s", pu, rc, rc < 0 ? err.msg : "", p.why);
    return p;
}

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fabs(want)))
        fail_msg("got %.12g, want %.12g (rel. tol %g)", got, want, tol);
}

/* ---- Kernels. ----------------------------------------------------------- */

static void test_kernel_derive(void **state)
{
    (void)state;
    hs_err err;
    hs_kernel k = hs_kernel_make(HS_OP_GEMM, 1, 4096, 4096);
    k.weight_dtype = HS_DT_INT4;
    k.group = 128;
    assert_int_equal(hs_kernel_derive(&k, &err), 0);
    assert_rel(k.flops, 2.0 * 4096 * 4096, 1e-15);
    /* W4A16: half a byte per weight plus an FP16 scale per 128 weights. */
    double w = 4096.0 * 4096;
    assert_rel(k.bytes, 2 * (4096 + 4096) + 0.5 * w + 2 * w / 128, 1e-15);

    hs_kernel a = hs_kernel_make(HS_OP_ATTENTION, 1, 1000, 128);
    a.batch = 32;
    a.kv_batch = 8;
    assert_int_equal(hs_kernel_derive(&a, &err), 0);
    assert_rel(a.flops, 32 * (4.0 * 1000 * 128 + 5.0 * 1000), 1e-15);
    assert_rel(a.bytes, 32 * 2.0 * 2 * 128 + 8 * 2.0 * 2 * 1000 * 128, 1e-15);

    hs_kernel r = hs_kernel_make(HS_OP_RMSNORM, 10, 4096, 0);
    assert_int_equal(hs_kernel_derive(&r, &err), 0);
    assert_rel(r.bytes, 2.0 * 2 * 10 * 4096 + 2.0 * 4096, 1e-15);

    hs_kernel v = hs_kernel_make(HS_OP_VECTOR_SEARCH, 4, 100000, 1024);
    v.weight_dtype = HS_DT_FP32;
    assert_int_equal(hs_kernel_derive(&v, &err), 0);
    assert_rel(v.flops, 2.0 * 4 * 100000 * 1024, 1e-15);
    assert_rel(v.bytes, 4.0 * 100000 * 1024 + 2.0 * 4 * 1024 + 8 * 4, 1e-15);

    /* Given values are kept. */
    hs_kernel g = hs_kernel_make(HS_OP_GEMM, 2, 2, 2);
    g.flops = 7;
    assert_int_equal(hs_kernel_derive(&g, &err), 0);
    assert_rel(g.flops, 7, 0);

    hs_kernel bad = hs_kernel_make(HS_OP_GEMM, 0, 4096, 4096);
    assert_int_equal(hs_kernel_derive(&bad, &err), -1);
    hs_kernel gen = hs_kernel_make(HS_OP_GENERIC, 0, 0, 0);
    assert_int_equal(hs_kernel_derive(&gen, &err), -1);
    assert_int_equal(hs_op_from_name("gemv"), HS_OP_GEMM);
    assert_int_equal(hs_op_from_name("vector_search"), HS_OP_VECTOR_SEARCH);
    assert_int_equal(hs_dtype_from_name("int4"), HS_DT_INT4);
}

/* ---- Roofline closed forms on the textbook SoC (GPU: 10 TFLOPS, 60 GB/s
 *      cap, 10 us launch). --------------------------------------------- */

static void test_roofline_gemv_memory_bound(void **state)
{
    (void)state;
    hs_hw *hw = load("generic-soc");
    hs_pred p = predict(hw, "gpu", hs_kernel_make(HS_OP_GEMM, 1, 4096, 4096), 0);
    double bytes = 2.0 * (4096 + 4096) + 2.0 * 4096 * 4096;
    assert_true(p.memory_bound);
    assert_rel(p.bytes, bytes, 1e-15);
    assert_rel(p.latency_s, bytes / 60e9 + 10e-6, 1e-12);
    assert_rel(p.bound_bps, 60e9, 1e-12);
    hs_hw_free(hw);
}

static void test_roofline_gemm_compute_bound(void **state)
{
    (void)state;
    hs_hw *hw = load("generic-soc");
    hs_pred p = predict(hw, "gpu", hs_kernel_make(HS_OP_GEMM, 4096, 4096, 4096), 0);
    assert_false(p.memory_bound);
    assert_rel(p.latency_s, 2.0 * 4096 * 4096 * 4096 / 10e12 + 10e-6, 1e-12);
    /* The calibrated anchors scale it: compute_efficiency 0.5 doubles the time. */
    hs_hw *h2 = inline_hw("name: e\ndescription: d\nmemory: {bandwidth_gbps: 100}\npus:\n"
                          "  - {name: g, kind: gpu, peak_tflops: {fp16: 10}, compute_efficiency: 0.5,"
                          " memory_efficiency: 0.5, bandwidth_gbps: 60}\n");
    hs_pred q = predict(h2, "gpu", hs_kernel_make(HS_OP_GEMM, 4096, 4096, 4096), 0);
    assert_rel(q.latency_s, 2.0 * 4096 * 4096 * 4096 / 5e12, 1e-12);
    hs_pred r = predict(h2, "gpu", hs_kernel_make(HS_OP_GEMM, 1, 4096, 4096), 0);
    assert_rel(r.latency_s, (2.0 * 8192 + 2.0 * 4096 * 4096) / 30e9, 1e-12);
    hs_hw_free(h2);
    hs_hw_free(hw);
}

/* ---- NPU rules. --------------------------------------------------------- */

static void test_npu_tile_steps(void **state)
{
    (void)state;
    hs_hw *hw = load("generic-soc"); /* NPU: tile 32, no static shapes */
    double t33 = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 33, 4096, 4096), 0).latency_s;
    double t64 = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 64, 4096, 4096), 0).latency_s;
    assert_rel(t33, t64, 1e-15);
    /* In the compute-bound region each tile is a step: 2049..2080 cost the same, 2048 less. */
    double a = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 2049, 4096, 4096), 0).latency_s;
    double b = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 2080, 4096, 4096), 0).latency_s;
    double c = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 2048, 4096, 4096), 0).latency_s;
    double d = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 2017, 4096, 4096), 0).latency_s;
    assert_rel(a, b, 1e-15);
    assert_rel(c, d, 1e-15);
    assert_rel(b, 2.0 * 2080 * 4096 * 4096 / 40e12 + 10e-6, 1e-12);
    assert_true(b > c * 1.01);
    /* Dimensions below the tile cost a whole tile. */
    hs_pred s = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 2048, 5, 4096), 0);
    assert_int_equal(s.n, 32);
    assert_true(s.padded);
    hs_hw_free(hw);
}

static const char *const STATIC_NPU =
    "name: s\ndescription: d\nmemory: {bandwidth_gbps: 60}\npus:\n"
    "  - name: n\n    kind: npu\n    peak_tflops: {fp16: 10}\n    tile: 32\n"
    "    static_shapes: [1, 128, 256]\n    shape_policy: %s\n"
    "    graph_build: {points: [[135, 0.4084], [1000, 2.050]]}\n"
    "    order_penalty: 6\n    shape_penalty_exp: 1\n    unsupported: [attention]\n";

static hs_hw *static_hw(const char *policy)
{
    char buf[1024];
    snprintf(buf, sizeof buf, STATIC_NPU, policy);
    return inline_hw(buf);
}

static void test_static_shape_padding(void **state)
{
    (void)state;
    hs_hw *hw = static_hw("pad");
    hs_pred p200 = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 200, 4096, 4096), 0);
    hs_pred p256 = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 256, 4096, 4096), 0);
    assert_int_equal(p200.m, 256);
    assert_true(p200.padded);
    assert_false(p200.needs_build);
    assert_rel(p200.latency_s, p256.latency_s, 1e-15);
    hs_pred p2 = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 2, 4096, 4096), 0);
    assert_int_equal(p2.m, 128);
    /* Beyond the largest graph: build one (charged only on request). */
    hs_pred big = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 1000, 4096, 4096), 0);
    assert_true(big.needs_build);
    assert_rel(big.build_s, 2.050, 1e-12);
    assert_int_equal(big.m, 1024); /* tile rounding still applies */
    hs_pred charged = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 1000, 4096, 4096), HS_PRED_CHARGE_BUILD);
    assert_rel(charged.latency_s, big.latency_s + 2.050, 1e-12);
    hs_hw_free(hw);
}

static void test_graph_build_interpolation(void **state)
{
    (void)state;
    hs_hw *hw = static_hw("build");
    hs_pred a = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 135, 4096, 4096), 0);
    assert_true(a.needs_build);
    assert_rel(a.build_s, 0.4084, 1e-12);
    hs_pred b = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 1000, 4096, 4096), 0);
    assert_rel(b.build_s, 2.050, 1e-12);
    hs_pred mid = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 567, 4096, 4096), 0);
    assert_rel(mid.build_s, 0.4084 + (567.0 - 135) / 865 * (2.050 - 0.4084), 1e-12);
    /* Listed shapes need no graph. */
    hs_pred l = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 128, 4096, 4096), 0);
    assert_false(l.needs_build);
    assert_rel(l.build_s, 0, 0);
    /* It grows with size, also past the last measurement. */
    hs_pred c = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 2000, 4096, 4096), 0);
    assert_true(c.build_s > b.build_s);
    hs_hw_free(hw);
}

static void test_npu_order_and_shape(void **state)
{
    (void)state;
    hs_hw *hw = static_hw("pad");
    hs_pred sq = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 256, 4096, 4096), 0);
    assert_rel(sq.penalty, 1, 0);
    hs_pred down = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 256, 4096, 14336), 0);
    assert_rel(down.penalty, 14336.0 / 4096, 1e-15);
    hs_pred up = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 256, 14336, 4096), 0);
    assert_rel(up.penalty, 1, 0);
    /* Same flops, the down projection is 3.5x slower. */
    assert_rel(down.body_s, 3.5 * up.body_s, 1e-12);
    hs_kernel k = hs_kernel_make(HS_OP_GEMM, 256, 14336, 4096);
    k.flags = HS_KF_ACT_LEFT;
    hs_pred naive = predict(hw, "npu", k, 0);
    assert_rel(naive.body_s, 6 * up.body_s, 1e-12);
    hs_hw_free(hw);
}

static void test_cannot_run(void **state)
{
    (void)state;
    hs_hw *hw = load("snapdragon-8gen3");
    hs_err err;
    hs_pred p;
    hs_kernel att = hs_kernel_make(HS_OP_ATTENTION, 1, 2048, 128);
    att.batch = 32;
    /* The Intel NPU refuses attention (Agent.xpu); the Hexagon runs it (PowerServe). */
    hs_hw *intel = load("core-ultra-125h");
    assert_int_equal(hs_hw_predict(intel, hs_hw_pu_find(intel, "npu"), &att, 0, &p, &err), HS_PRED_CANNOT_RUN);
    assert_non_null(strstr(p.why, "attention"));
    hs_hw_free(intel);
    assert_int_equal(hs_hw_predict(hw, hs_hw_pu_find(hw, "npu"), &att, 0, &p, &err), 0);
    assert_int_equal(hs_hw_predict(hw, hs_hw_pu_find(hw, "gpu"), &att, 0, &p, &err), 0);
    hs_kernel f32 = hs_kernel_make(HS_OP_GEMM, 1, 64, 64);
    f32.dtype = f32.weight_dtype = HS_DT_FP32;
    assert_int_equal(hs_hw_predict(hw, hs_hw_pu_find(hw, "npu"), &f32, 0, &p, &err), HS_PRED_CANNOT_RUN);
    assert_non_null(strstr(p.why, "fp32"));
    assert_int_equal(hs_hw_predict(hw, 99, &f32, 0, &p, &err), -1);
    hs_hw_free(hw);
    hs_hw *g = load("generic-3pu");
    hs_kernel k = hs_kernel_make(HS_OP_GEMM, 1, 64, 64);
    assert_int_equal(hs_hw_predict(g, 0, &k, 0, &p, &err), HS_PRED_CANNOT_RUN);
    hs_hw_free(g);
}

/* ---- Size-dependent utilisation (Hockney's half-performance form). ---- */

static const char *const SIZE_LAW =
    "name: s\ndescription: d\nmemory: {bandwidth_gbps: 100}\npus:\n"
    "  - {name: n, kind: npu, peak_tflops: {fp16: 10}, compute_efficiency: 0.3, tile: 32,\n"
    "     size_efficiency: {max: 0.6, half: 1024}, launch_us: 100, queue_launch_us: 20}\n"
    "  - {name: g, kind: gpu, peak_tflops: {fp16: 10}, compute_efficiency: 0.3, launch_us: 100}\n";

static void test_size_law_closed_form(void **state)
{
    (void)state;
    hs_hw *hw = inline_hw(SIZE_LAW);
    const hs_pu *npu = &hw->pus[hs_hw_pu_find(hw, "npu")];
    /* u(x) = 0.6 x / (x + 1024), x = min(n, k). */
    assert_rel(hs_pu_util(npu, HS_OP_GEMM, 4096, 2048), 0.6 * 2048 / 3072, 1e-15);
    assert_rel(hs_pu_util(npu, HS_OP_GEMM, 2048, 4096), 0.4, 1e-15);
    assert_rel(hs_pu_util(npu, HS_OP_GEMM, 1024, 1024), 0.3, 1e-15); /* half of max at x_1/2 */
    assert_rel(hs_pu_util(npu, HS_OP_GEMM, 1 << 20, 1 << 20), 0.6 * 1048576 / 1049600, 1e-15);
    /* Ops without a weight matrix, and shapeless generic work: compute_efficiency. */
    assert_rel(hs_pu_util(npu, HS_OP_RMSNORM, 4096, 4096), 0.3, 0);
    assert_rel(hs_pu_util(npu, HS_OP_GENERIC, 0, 0), 0.3, 0);
    assert_rel(hs_pu_util(npu, HS_OP_GENERIC, 2048, 2048), 0.6 * 2048 / 3072, 1e-15);
    /* hs_pu_peff stays shape-free; hs_pu_peff_at applies the law. */
    assert_rel(hs_pu_peff(npu, HS_OP_GEMM, HS_DT_FP16), 3e12, 1e-15);
    assert_rel(hs_pu_peff_at(npu, HS_OP_GEMM, HS_DT_FP16, 4096, 2048), 4e12, 1e-15);
    /* A compute-bound GEMM: time = 2mnk / (u(x) P) + launch. */
    hs_pred p = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 4096, 4096, 2048), 0);
    assert_false(p.memory_bound);
    assert_rel(p.util, 0.4, 1e-15);
    assert_rel(p.latency_s, 2.0 * 4096 * 4096 * 2048 / 4e12 + 100e-6, 1e-12);
    /* The rate per flop grows with the matrix: x = 4096 runs 0.48 / 0.4 = 1.2x faster. */
    hs_pred big = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 4096, 4096, 4096), 0);
    assert_rel(big.util, 0.6 * 4096 / 5120, 1e-15);
    assert_rel(p.compute_s / (2.0 * 4096 * 4096 * 2048), 1.2 * big.compute_s / (2.0 * 4096 * 4096 * 4096),
               1e-12);
    /* A fused pass (generic, n = k = hidden) sees the u of its GEMMs. */
    hs_kernel g = hs_kernel_make(HS_OP_GENERIC, 256, 2048, 2048);
    g.flops = 1e12;
    g.bytes = 1e6;
    hs_pred gp = predict(hw, "npu", g, 0);
    assert_rel(gp.util, 0.4, 1e-15);
    assert_rel(gp.latency_s, 1e12 / 4e12 + 100e-6, 1e-12);
    /* x is taken after tile rounding: n = 5 counts as 32. */
    hs_pred t = predict(hw, "npu", hs_kernel_make(HS_OP_GEMM, 4096, 5, 4096), 0);
    assert_rel(t.util, 0.6 * 32 / (32 + 1024), 1e-15);
    /* Off unless given: the GPU and the built-in generic SoC keep compute_efficiency. */
    assert_rel(predict(hw, "gpu", hs_kernel_make(HS_OP_GEMM, 4096, 4096, 2048), 0).util, 0.3, 0);
    hs_hw *soc = load("generic-soc");
    for (size_t i = 0; i < soc->npus; i++)
        assert_rel(hs_pu_util(&soc->pus[i], HS_OP_GEMM, 64, 64), soc->pus[i].compute_eff, 0);
    hs_hw_free(soc);
    hs_hw_free(hw);
}

/* ---- Launch of a kernel queued behind a running one. -------------------- */

static void test_queued_launch(void **state)
{
    (void)state;
    hs_hw *hw = inline_hw(SIZE_LAW);
    hs_kernel gemv = hs_kernel_make(HS_OP_GEMM, 1, 4096, 4096);
    hs_pred a = predict(hw, "npu", gemv, 0), q = predict(hw, "npu", gemv, HS_PRED_QUEUED);
    assert_rel(a.launch_s, 100e-6, 1e-12);
    assert_rel(a.queue_launch_s, 20e-6, 1e-12);
    assert_rel(q.launch_s, 20e-6, 1e-12);
    assert_rel(q.body_s, a.body_s, 0);
    assert_rel(q.latency_s, a.body_s + 20e-6, 1e-12);
    assert_rel(a.latency_s, a.body_s + 100e-6, 1e-12);
    /* Without queue_launch_us a queued kernel pays the whole launch. */
    hs_pred g = predict(hw, "gpu", gemv, HS_PRED_QUEUED);
    assert_rel(g.launch_s, 100e-6, 1e-12);
    assert_rel(g.queue_launch_s, 100e-6, 1e-12);
    /* Co-running kernels take the flag too. */
    hs_corun_item it[2] = {{hs_hw_pu_find(hw, "npu"), gemv}, {hs_hw_pu_find(hw, "gpu"), gemv}};
    hs_corun_out o[2];
    hs_err err;
    assert_int_equal(hs_hw_predict_corun(hw, it, 2, HS_PRED_QUEUED, o, &err), 0);
    /* DRAM 100 GB/s shared 50/50 by two memory-bound GEMVs (the NPU's padded to m = 32). */
    assert_rel(o[0].latency_s, o[0].alone.bytes / 50e9 + 20e-6, 1e-12);
    assert_rel(o[1].latency_s, o[1].alone.bytes / 50e9 + 100e-6, 1e-12);
    /* A profiled time contains the standalone launch; queued, the queued one replaces it. */
    hs_hw *t = inline_hw("name: t\ndescription: d\nmemory: {bandwidth_gbps: 60}\npus:\n"
                         "  - {name: g, kind: gpu, peak_tflops: {fp16: 1}, launch_us: 100, queue_launch_us: 30}\n"
                         "tables:\n  - {op: gemm, pu: g, n: 4096, k: 4096, vary: m, points: [[1, 511e-6], [2, 600e-6]]}\n");
    hs_pred tq = predict(t, "g", gemv, HS_PRED_QUEUED);
    assert_true(tq.from_table);
    assert_rel(tq.latency_s, 511e-6 - 100e-6 + 30e-6, 1e-12);
    hs_hw_free(t);
    hs_hw_free(hw);
}

/* A table time at or below the launch is all launch.  `hetsoc profile`
 * clamps a point to its PU's empty-kernel cycle, the launch it writes, so
 * m = 1 below is the launch (to the last bit, which either way it may
 * miss): alone it predicts 100 us (body 0), queued 30 us; m = 2 (60 us,
 * under the launch) predicts the launch, 100 us.  Taking such a time
 * whole as the body predicted 200 us whenever the point fell a bit short
 * of the launch, and 160 us for m = 2. */
static void test_table_at_launch(void **state)
{
    (void)state;
    hs_hw *t = inline_hw("name: t\ndescription: d\nmemory: {bandwidth_gbps: 60}\npus:\n"
                         "  - {name: g, kind: gpu, peak_tflops: {fp16: 1}, launch_us: 100, queue_launch_us: 30}\n"
                         "tables:\n  - {op: rmsnorm, pu: g, n: 128, vary: m, points: [[1, 100e-6], [2, 60e-6]]}\n");
    hs_kernel norm = hs_kernel_make(HS_OP_RMSNORM, 1, 128, 0);
    hs_pred a = predict(t, "g", norm, 0), q = predict(t, "g", norm, HS_PRED_QUEUED);
    assert_true(a.from_table && q.from_table);
    assert_true(a.body_s >= 0 && a.body_s < 1e-15);   /* 100e-6 s and 100 us may differ in the last bit */
    assert_rel(a.latency_s, 100e-6, 1e-12);
    assert_rel(q.latency_s, 30e-6, 1e-12);
    norm.m = 2;
    hs_pred b = predict(t, "g", norm, 0);
    assert_rel(b.body_s, 0, 0);   /* 60 us under a 100 us launch */
    assert_rel(b.latency_s, 100e-6, 1e-12);
    hs_hw_free(t);
}

/* ---- The shape penalty's reference width. ------------------------------- */

static void test_shape_penalty_reference(void **state)
{
    (void)state;
    const char *fmt = "name: s\ndescription: d\nmemory: {bandwidth_gbps: 60}\npus:\n"
                      "  - {name: n, kind: npu, peak_tflops: {fp16: 10}, shape_penalty_exp: %s%s}\n";
    char buf[512];
    snprintf(buf, sizeof buf, fmt, "1", ", shape_penalty_ref: 4096");
    hs_hw *ref = inline_hw(buf);
    snprintf(buf, sizeof buf, fmt, "1", "");
    hs_hw *own = inline_hw(buf);
    /* FFN-down [4096 out, 14336 in]: both forms give 14336 / 4096 = 3.5. */
    hs_kernel down = hs_kernel_make(HS_OP_GEMM, 256, 4096, 14336);
    assert_rel(predict(ref, "npu", down, 0).penalty, 3.5, 1e-15);
    assert_rel(predict(own, "npu", down, 0).penalty, 3.5, 1e-15);
    /* A row-split part (1000 of the 4096 outputs): with the reference it keeps
     * the factor, so its time is the whole's in proportion; with r = n it
     * grows to 14.3 and the part costs as much as the whole weight. */
    hs_kernel part = hs_kernel_make(HS_OP_GEMM, 256, 1000, 14336);
    hs_pred pr = predict(ref, "npu", part, 0), pw = predict(ref, "npu", down, 0);
    assert_rel(pr.penalty, 3.5, 1e-15);
    assert_rel(pr.compute_s, pw.compute_s * 1000 / 4096, 1e-12);
    hs_pred po = predict(own, "npu", part, 0);
    assert_rel(po.penalty, 14.336, 1e-12);
    assert_rel(po.compute_s, predict(own, "npu", down, 0).compute_s, 1e-12);
    /* k at or below the reference: no factor; exponent applies to k / r. */
    assert_rel(predict(ref, "npu", hs_kernel_make(HS_OP_GEMM, 256, 1000, 4096), 0).penalty, 1, 0);
    snprintf(buf, sizeof buf, fmt, "1.15", ", shape_penalty_ref: 4096");
    hs_hw *e = inline_hw(buf);
    assert_rel(predict(e, "npu", down, 0).penalty, pow(3.5, 1.15), 1e-12);
    /* A wide weight (n > k) is never penalised. */
    assert_rel(predict(e, "npu", hs_kernel_make(HS_OP_GEMM, 256, 28672, 8192), 0).penalty, 1, 0);
    hs_hw_free(e);
    hs_hw_free(ref);
    hs_hw_free(own);
}

/* ---- Profiled tables. --------------------------------------------------- */

static const char *const TABLES =
    "name: t\ndescription: d\nmemory: {bandwidth_gbps: 60}\npus:\n"
    "  - {name: g, kind: gpu, peak_tflops: {fp16: 1}, launch_us: 100}\n"
    "tables:\n"
    "  - {op: gemm, pu: gpu, n: 4096, k: 4096, vary: m,\n"
    "     points: [[1, 511e-6], [128, 7306e-6], [256, 10841e-6]]}\n"
    "  - {op: gemm, pu: g, n: 4096, k: 14336, vary: m, interp: steffen,\n"
    "     points: [[1, 1467e-6], [64, 9e-3], [128, 18e-3], [256, 35231e-6]]}\n"
    "  - {op: rmsnorm, pu: g, n: 4096, vary: m, fit: {a: 1e-6, b: 1.5, c: 1e-4, range: [1, 4096]}}\n";

static void test_table_override(void **state)
{
    (void)state;
    hs_hw *hw = inline_hw(TABLES);
    hs_pred p = predict(hw, "g", hs_kernel_make(HS_OP_GEMM, 128, 4096, 4096), 0);
    assert_true(p.from_table);
    assert_rel(p.latency_s, 7306e-6, 1e-12);
    assert_rel(p.body_s, 7206e-6, 1e-12);
    /* Linear between the measured points. */
    hs_pred q = predict(hw, "g", hs_kernel_make(HS_OP_GEMM, 64, 4096, 4096), 0);
    assert_rel(q.latency_s, 511e-6 + 63.0 / 127 * (7306e-6 - 511e-6), 1e-12);
    /* Outside the measured range, or another shape: the roofline. */
    hs_pred r = predict(hw, "g", hs_kernel_make(HS_OP_GEMM, 512, 4096, 4096), 0);
    assert_false(r.from_table);
    assert_rel(r.latency_s, 2.0 * 512 * 4096 * 4096 / 1e12 + 100e-6, 1e-12);
    assert_false(predict(hw, "g", hs_kernel_make(HS_OP_GEMM, 64, 4096, 1024), 0).from_table);
    assert_false(predict(hw, "g", hs_kernel_make(HS_OP_GEMM, 64, 4096, 4096), HS_PRED_NO_TABLE).from_table);
    /* Steffen: exact at the points, monotone in between. */
    hs_pred s64 = predict(hw, "g", hs_kernel_make(HS_OP_GEMM, 64, 4096, 14336), 0);
    assert_rel(s64.latency_s, 9e-3, 1e-12);
    double prev = 0;
    for (int m = 1; m <= 256; m += 5) {
        double t = predict(hw, "g", hs_kernel_make(HS_OP_GEMM, m, 4096, 14336), 0).latency_s;
        assert_true(t >= prev);
        assert_true(t >= 1467e-6 && t <= 35231e-6);
        prev = t;
    }
    /* A fitted form a*m^b + c. */
    hs_pred f = predict(hw, "g", hs_kernel_make(HS_OP_RMSNORM, 100, 4096, 0), 0);
    assert_true(f.from_table);
    assert_rel(f.latency_s, 1e-6 * 1000 + 1e-4, 1e-12);
    hs_hw_free(hw);
}

/* ---- Co-running kernels (bandwidth solver). ----------------------------- */

static void test_corun_textbook(void **state)
{
    (void)state;
    hs_hw *hw = load("generic-soc"); /* DRAM 100 GB/s, each PU alone 60 GB/s */
    hs_err err;
    hs_kernel gemv = hs_kernel_make(HS_OP_GEMM, 1, 4096, 4096);
    hs_corun_item it[2] = {{hs_hw_pu_find(hw, "gpu"), gemv}, {hs_hw_pu_find(hw, "cpu"), gemv}};
    hs_corun_out o[2];
    assert_int_equal(hs_hw_predict_corun(hw, it, 2, 0, o, &err), 0);
    double bytes = o[0].alone.bytes;
    assert_rel(o[0].bandwidth_bps, 50e9, 1e-12);
    assert_rel(o[0].latency_s, bytes / 50e9 + 10e-6, 1e-12);
    assert_rel(o[0].slowdown, (bytes / 50e9 + 10e-6) / (bytes / 60e9 + 10e-6), 1e-12);
    assert_rel(o[1].slowdown, 1.2, 1e-12); /* the CPU has no launch cost */
    /* Compute-bound GEMMs ask for little bandwidth and keep their speed. */
    hs_kernel gemm = hs_kernel_make(HS_OP_GEMM, 4096, 4096, 4096);
    it[0].kernel = it[1].kernel = gemm;
    it[1].pu = hs_hw_pu_find(hw, "npu");
    assert_int_equal(hs_hw_predict_corun(hw, it, 2, 0, o, &err), 0);
    assert_rel(o[0].slowdown, 1.0, 1e-12);
    assert_rel(o[1].slowdown, 1.0, 1e-12);
    /* Two kernels on one PU share its compute. */
    it[1].pu = it[0].pu;
    assert_int_equal(hs_hw_predict_corun(hw, it, 2, 0, o, &err), 0);
    assert_rel(o[0].slowdown, (2 * o[0].alone.compute_s + 10e-6) / o[0].alone.latency_s, 1e-12);
    /* A kernel the PU cannot run is an error. */
    it[1].kernel = hs_kernel_make(HS_OP_ATTENTION, 1, 100, 64);
    it[1].pu = hs_hw_pu_find(hw, "npu");
    assert_int_equal(hs_hw_predict_corun(hw, it, 2, 0, o, &err), -1);
    hs_hw_free(hw);
}

static void test_sync_costs(void **state)
{
    (void)state;
    hs_hw *hw = load("snapdragon-8gen3");
    int g = hs_hw_pu_find(hw, "gpu"), n = hs_hw_pu_find(hw, "npu");
    assert_rel(hs_hw_sync_s(hw, g, n, false), 400e-6, 1e-12);
    assert_rel(hs_hw_sync_s(hw, g, n, true), 5e-6, 1e-12);
    assert_rel(hs_hw_sync_s(hw, g, g, false), 0, 0);
    hs_hw_free(hw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_derive),
        cmocka_unit_test(test_roofline_gemv_memory_bound),
        cmocka_unit_test(test_roofline_gemm_compute_bound),
        cmocka_unit_test(test_npu_tile_steps),
        cmocka_unit_test(test_static_shape_padding),
        cmocka_unit_test(test_graph_build_interpolation),
        cmocka_unit_test(test_npu_order_and_shape),
        cmocka_unit_test(test_cannot_run),
        cmocka_unit_test(test_size_law_closed_form),
        cmocka_unit_test(test_queued_launch),
        cmocka_unit_test(test_table_at_launch),
        cmocka_unit_test(test_shape_penalty_reference),
        cmocka_unit_test(test_table_override),
        cmocka_unit_test(test_corun_textbook),
        cmocka_unit_test(test_sync_costs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
