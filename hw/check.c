/* hetsoc hw: the model checked against the papers' published figures.
 *
 *  - HeteroInfer Table 3 (Snapdragon 8 Gen 3): GPU and NPU microseconds of
 *    GEMMs with [4096,4096] and [4096,14336] weights at 1, 128 and 256
 *    tokens, within 30%.  Table 3 writes weights as [output, input]
 *    features, so [4096,14336] is n = 4096, k = 14336 (FFN-down: the
 *    NPU's slow orientation).  Weights count one byte each (INT8 storage):
 *    that reading is the one under which the paper's GEMV times agree with
 *    its own GPU decode bandwidth (README, "Check").
 *  - Agent.xpu v2 Fig. 4 (Core Ultra 5 125H): co-running memory-bound
 *    GEMVs on iGPU + NPU slow each by about 1.4-1.6x; compute-bound GEMMs
 *    by 1.0-1.1x.
 *  - HeteroInfer §3.3: GPU + NPU decode together draws about 60 GB/s
 *    (59.5 measured).  The GPU-alone 43.3 GB/s is the GPU's bandwidth cap
 *    in the profile, an input, so it is not a check.
 *
 * Each row names its figure in hw/published/figures.yaml; hs_check_tag
 * takes the figure's tag from there: fit rows (the figure set a parameter)
 * make the verdict, held-out rows are predictions, reported with the
 * figure's note when they miss. */
#include "hw/hw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct rows {
    hs_check_row *v;
    size_t n, cap;
} rows;

static hs_check_row *push(rows *r)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 32;
        hs_check_row *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return NULL;
        r->v = v;
        r->cap = cap;
    }
    hs_check_row *row = &r->v[r->n++];
    memset(row, 0, sizeof *row);
    return row;
}

static void verdict(hs_check_row *row)
{
    row->pass = row->predicted >= row->lo && row->predicted <= row->hi;
}

static const char *const T3_SRC = "HeteroInfer (arXiv 2501.14794v2) Table 3";

/* Table 3 rows: weight [out, in], tokens, GPU us, NPU us; the figures'
 * ids are heteroinfer-t3-PU-OUTxIN-mM. */
static const struct {
    int64_t out, in, m;
    double gpu_us, npu_us;
} table3[] = {
    {4096, 4096, 1, 511, 693},
    {4096, 14336, 1, 1467, 6506},
    {4096, 4096, 128, 7306, 912},
    {4096, 4096, 256, 10841, 1884},
    {4096, 14336, 256, 35231, 23445},
    {28672, 4096, 1, 1903, 3886},
};

static hs_kernel t3_kernel(int64_t out, int64_t in, int64_t m)
{
    hs_kernel k = hs_kernel_make(HS_OP_GEMM, m, out, in);
    k.weight_dtype = HS_DT_INT8;
    return k;
}

/* The figure id of Table 3 row i on PU p (0 GPU, 1 NPU): a literal, so
 * that it outlives the call. */
static const char *t3_id(size_t i, int p)
{
    static const char *const ids[][2] = {
        {"heteroinfer-t3-gpu-4096x4096-m1", "heteroinfer-t3-npu-4096x4096-m1"},
        {"heteroinfer-t3-gpu-4096x14336-m1", "heteroinfer-t3-npu-4096x14336-m1"},
        {"heteroinfer-t3-gpu-4096x4096-m128", "heteroinfer-t3-npu-4096x4096-m128"},
        {"heteroinfer-t3-gpu-4096x4096-m256", "heteroinfer-t3-npu-4096x4096-m256"},
        {"heteroinfer-t3-gpu-4096x14336-m256", "heteroinfer-t3-npu-4096x14336-m256"},
        {"heteroinfer-t3-gpu-28672x4096-m1", "heteroinfer-t3-npu-28672x4096-m1"},
    };
    return ids[i][p];
}

static int table3_rows(rows *r, const hs_hw *hw, hs_err *err)
{
    static const char *const pus[2] = {"gpu", "npu"};
    for (size_t i = 0; i < sizeof table3 / sizeof table3[0]; i++) {
        for (int p = 0; p < 2; p++) {
            hs_kernel k = t3_kernel(table3[i].out, table3[i].in, table3[i].m);
            hs_pred pr;
            if (hs_hw_predict(hw, hs_hw_pu_find(hw, pus[p]), &k, HS_PRED_NO_TABLE, &pr, err) != 0)
                return -1;
            hs_check_row *row = push(r);
            if (!row)
                return hs_errf(err, "out of memory");
            double pub = p == 0 ? table3[i].gpu_us : table3[i].npu_us;
            *row = (hs_check_row){.group = "table3", .hw = "snapdragon-8gen3", .published = pub,
                                  .lo = 0.7 * pub, .hi = 1.3 * pub, .predicted = pr.latency_s * 1e6,
                                  .unit = "us", .source = T3_SRC, .figure = t3_id(i, p)};
            snprintf(row->what, sizeof row->what, "%s gemm [%lld,%lld] x %lld tokens", pus[p],
                     (long long)table3[i].out, (long long)table3[i].in, (long long)table3[i].m);
            verdict(row);
        }
    }
    return 0;
}

/* Where a slowdown row comes from: the profile (a literal: hw->name dies
 * with the profile) and the figure's source. */
typedef struct slowdown_src {
    const char *hw;
    const char *source;
    const char *figure[2];      /* the GPU's and the NPU's figure id */
} slowdown_src;

/* Co-runs kernel k on the GPU and on the NPU of hw; one row per PU, each
 * within [lo, hi] x its published figure when rel, within [lo, hi] else. */
static int slowdown_rows(rows *r, const hs_hw *hw, const slowdown_src *src, hs_kernel k, const char *label,
                         double lo, double hi, bool rel, const double published[2], hs_err *err)
{
    hs_corun_item items[2] = {{hs_hw_pu_find(hw, "gpu"), k}, {hs_hw_pu_find(hw, "npu"), k}};
    hs_corun_out out[2];
    if (hs_hw_predict_corun(hw, items, 2, HS_PRED_NO_TABLE, out, err) < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        hs_check_row *row = push(r);
        if (!row)
            return hs_errf(err, "out of memory");
        double scale = rel ? published[i] : 1;
        *row = (hs_check_row){.group = "contention", .hw = src->hw, .published = published[i],
                              .lo = lo * scale, .hi = hi * scale, .predicted = out[i].slowdown, .unit = "x",
                              .source = src->source, .figure = src->figure[i]};
        snprintf(row->what, sizeof row->what, "%s %s slowdown, %s", i ? "npu" : "gpu", label,
                 "gpu+npu co-run");
        verdict(row);
    }
    return 0;
}

static int agentxpu_rows(rows *r, hs_err *err)
{
    static const slowdown_src gemv_src = {"core-ultra-125h", "Agent.xpu v2 (arXiv 2506.24045) Fig. 4",
                                          {"agentxpu-fig4-gemv-igpu", "agentxpu-fig4-gemv-npu"}};
    static const slowdown_src gemm_src = {"core-ultra-125h", "Agent.xpu v2 (arXiv 2506.24045) Fig. 4",
                                          {"agentxpu-fig4-gemm", "agentxpu-fig4-gemm"}};
    hs_hw *hw = hs_hw_load("core-ultra-125h", err);
    if (!hw)
        return -1;
    /* Agent.xpu v1 §2 shapes (k, M, D): GEMV (1, 4096, 4096), GEMM (4096, 4096, 4096), FP16. */
    static const double gemv_pub[2] = {1.59, 1.39}, gemm_pub[2] = {NAN, NAN};
    /* "About 1.4-1.6x": the published values are 1.59 and 1.39, so the band
     * is widened by 0.05 on each side to hold the paper's own figures. */
    int rc = slowdown_rows(r, hw, &gemv_src, hs_kernel_make(HS_OP_GEMM, 1, 4096, 4096), "gemv 1x4096x4096",
                           1.35, 1.65, false, gemv_pub, err);
    if (rc == 0)
        rc = slowdown_rows(r, hw, &gemm_src, hs_kernel_make(HS_OP_GEMM, 4096, 4096, 4096), "gemm 4096^3",
                           1.0, 1.1, false, gemm_pub, err);
    hs_hw_free(hw);
    return rc;
}

/* HeRo Fig. 3: per-PU execution time +34.7% (GPU) and +21.3% (NPU) under
 * concurrent GPU + NPU execution.  These figures SET the 8 Gen 3's
 * degradation curve phi (HeRo Eq. 1; hw/snapdragon-8gen3.yaml), so the
 * row checks that the fit holds (within 5%), not a held-out prediction.
 * The pair: HeRo's INT8 decode, a [4096,4096] GEMV on each PU. */
static int hero_rows(rows *r, const hs_hw *hw, hs_err *err)
{
    static const slowdown_src src = {"snapdragon-8gen3", "HeRo Fig. 3 (fit-consistency: sets phi, not held out)",
                                     {"hero-fig3-gpu-slowdown", "hero-fig3-npu-slowdown"}};
    static const double pub[2] = {1.347, 1.213};
    return slowdown_rows(r, hw, &src, t3_kernel(4096, 4096, 1), "gemv int8 4096x4096", 0.95, 1.05,
                         true, pub, err);
}

/* Decode is a stream of GEMVs: Table 3's [4096,4096] x 1 (the row its solver
 * splits 1:1 between the PUs) on the GPU and the NPU at once, as in
 * HeteroInfer's weight-centric decode.  (The GPU alone draws its cap, the
 * profile's copy of the paper's 43.3 GB/s: an input, not a check.) */
static int decode_rows(rows *r, const hs_hw *hw, hs_err *err)
{
    hs_kernel k = t3_kernel(4096, 4096, 1);
    hs_corun_item items[2] = {{hs_hw_pu_find(hw, "gpu"), k}, {hs_hw_pu_find(hw, "npu"), k}};
    double both;
    if (hs_hw_corun_mem_bps(hw, items, 2, HS_PRED_NO_TABLE, 0, &both, err) < 0)
        return -1;
    hs_check_row *row = push(r);
    if (!row)
        return hs_errf(err, "out of memory");
    *row = (hs_check_row){.group = "bandwidth", .hw = "snapdragon-8gen3", .published = 59.5, .lo = 0.9 * 59.5,
                          .hi = 1.1 * 59.5, .predicted = both / 1e9, .unit = "GB/s",
                          .source = "HeteroInfer v2 §3.3 Memory-1", .figure = "heteroinfer-decode-bw-gpu-npu"};
    snprintf(row->what, sizeof row->what, "decode DRAM bandwidth, gpu+npu");
    verdict(row);
    return 0;
}

int hs_hw_check(hs_check_row **out, size_t *nout, hs_err *err)
{
    rows r = {0};
    hs_hw *hw = hs_hw_load("snapdragon-8gen3", err);
    int rc = hw ? 0 : -1;
    if (rc == 0)
        rc = table3_rows(&r, hw, err);
    if (rc == 0)
        rc = decode_rows(&r, hw, err);
    if (rc == 0)
        rc = hero_rows(&r, hw, err);
    if (rc == 0)
        rc = agentxpu_rows(&r, err);
    if (rc == 0)
        rc = hs_check_tag(r.v, r.n, err);
    hs_hw_free(hw);
    if (rc < 0) {
        free(r.v);
        *out = NULL;
        *nout = 0;
        return -1;
    }
    int failed = 0;
    for (size_t i = 0; i < r.n; i++)
        failed += r.v[i].asserted && !r.v[i].pass;
    *out = r.v;
    *nout = r.n;
    return failed;
}
