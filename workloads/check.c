/* hetsoc workloads: the check of the lowering plus the hardware profiles
 * against published LLM rates
 * (`hetsoc workload check`, tests/workloads/test_wl_check.c, the table of
 * workloads/README.md).
 *
 * A rate is what one request sees alone: prefill tok/s = P / (sum of the
 * prefill items' times), decode tok/s = 1 / (time of the first decode
 * step).  Each row lowers at the unit whose launch its engine pays and
 * charges the launches its engine pays:
 *   - graph-based NPU runtimes (PowerServe, Qualcomm Genie) run a whole
 *     pass as one QNN graph: `stage`, one launch;
 *   - llama.cpp's OpenCL backend launches every ggml op on one in-order
 *     queue: `op`, queued (every kernel of a pass after the first pays the
 *     PU's queue_launch_s, HS_PRED_QUEUED), plus llama.cpp's kernels
 *     beyond the lowering's ops as further queued launches;
 *   - HeteroInfer partitions each op's weights between the GPU and the NPU
 *     (`op`) with its solver (§4): the cheapest of a `rows` split balanced
 *     on the op's own times and co-run through hs_hw_predict_corun plus a
 *     fast sync, the whole op on the GPU, or on the NPU plus the sync;
 *     attention, norms and activations stay on the GPU.  Its GPU-dominant
 *     decode queues kernels back to back behind fast sync (queued); its
 *     prefill submits after the NPU finishes (standalone launches). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_private.h"

/* Seconds a kernel item takes alone on pu (the rows lower LLM calls only,
 * so no cost maps or delays); negative when the PU cannot run it.  With
 * HS_PRED_QUEUED in flags the launch is the PU's queue_launch_s. */
static double kernel_time(const hs_hw *hw, int pu, const hs_item *it, unsigned flags)
{
    hs_pred p;
    hs_err err;
    return hs_item_predict(hw, pu, it, flags, &p, &err) == 0 ? p.latency_s : -1;
}

/* ---- Rates. ------------------------------------------------------------- */

enum { MAXPU = 2 };

typedef struct rate_acc {
    const hs_hw *hw;
    int pu[MAXPU];
    int npu;
    hs_phase phase;
    bool queued;       /* in-order queues overlap launches (llama.cpp, HeteroInfer decode) */
    int64_t kernels;   /* kernels of the phase so far */
    double t;
    bool cannot;
    hs_err *err;
} rate_acc;

/* The PUs' shares of a row split, as HeteroInfer's solver balances them
 * (§4: min over p1 + p2 = all of max(T_GPU(p1), T_NPU(p2))) with each
 * part's time taken as linear in its rows, T_i(f) = L_i + f * B_i (launch
 * plus its share of the whole op's body alone on PU i, so that shape
 * penalties and the size law count): T_0(f) = T_1(1 - f) gives the GPU's
 * share f = (B_1 + L_1 - L_0) / (B_0 + B_1).  Memory-bound decode thus
 * splits by bandwidth, compute-bound prefill by throughput on the op's
 * shape.  Two PUs.  Returns -1 when a PU cannot run the op. */
static int shares(const rate_acc *a, const hs_item *it, unsigned flags, int64_t *sizes,
                  double *whole)
{
    int64_t ext = hs_item_split_extent(it, HS_SPLIT_ROWS);
    double body[MAXPU], launch[MAXPU];
    for (int i = 0; i < a->npu; i++) {
        hs_pred p;
        hs_err err;
        if (hs_item_predict(a->hw, a->pu[i], it, flags, &p, &err) != 0 || !(p.body_s > 0))
            return -1;
        whole[i] = p.latency_s;
        body[i] = p.body_s;
        launch[i] = p.latency_s - p.body_s;
    }
    double f = (body[1] + launch[1] - launch[0]) / (body[0] + body[1]);
    sizes[0] = (int64_t)llround((double)ext * f);
    if (sizes[0] < 1)
        sizes[0] = 1;
    if (sizes[0] > ext - 1)
        sizes[0] = ext - 1;
    sizes[1] = ext - sizes[0];
    return 0;
}

/* HeteroInfer's solver for one partitionable op (§4): the cheapest of the
 * row split co-run on both PUs plus a (fast) sync, the whole op on the GPU
 * (pu[0]), and the whole op on the NPU (pu[1]) plus the sync. */
static double split_time(rate_acc *a, const hs_item *it, unsigned flags)
{
    int64_t sizes[MAXPU];
    double whole[MAXPU];
    hs_item parts[MAXPU];
    hs_corun_item cr[MAXPU];
    hs_corun_out out[MAXPU];
    if (shares(a, it, flags, sizes, whole) < 0)
        return kernel_time(a->hw, a->pu[0], it, flags);
    double sync = hs_hw_sync_s(a->hw, a->pu[0], a->pu[1], true);
    double best = fmin(whole[0], whole[1] + sync);
    if (hs_item_split(it, HS_SPLIT_ROWS, sizes, (size_t)a->npu, parts, a->err) < 0)
        return -1;
    for (int i = 0; i < a->npu; i++)
        cr[i] = (hs_corun_item){a->pu[i], parts[i].k};
    if (hs_hw_predict_corun(a->hw, cr, (size_t)a->npu, flags, out, a->err) < 0)
        return -1;
    double t = 0;
    for (int i = 0; i < a->npu; i++)
        t = fmax(t, out[i].latency_s);
    return fmin(best, t + sync);
}

static int add_item(const hs_item *it, void *ctx)
{
    rate_acc *a = ctx;
    if (it->phase != a->phase)
        return 0;
    double t = -1;
    /* On an in-order queue every kernel of a pass but the first is enqueued
     * while its predecessor runs (the first follows the host's read of the
     * previous token's logits). */
    unsigned flags = a->queued && a->kernels > 0 ? HS_PRED_QUEUED : 0;
    /* HeteroInfer partitions weight matrices; attention, norms and
     * activations stay on the first PU (the GPU). */
    bool matrix = it->k.op == HS_OP_GEMM || it->k.op == HS_OP_GENERIC;
    if (a->npu > 1 && matrix && hs_item_split_extent(it, HS_SPLIT_ROWS) >= a->npu)
        t = split_time(a, it, flags);
    else
        t = kernel_time(a->hw, a->pu[0], it, flags);
    if (t < 0) {
        a->cannot = true;
        return 1;
    }
    a->kernels++;
    a->t += t;
    return 0;
}

/* ---- The rows. ---------------------------------------------------------- */

typedef struct row_spec {
    const char *hw;
    hs_rate_spec r;
    double published;
    bool gain;               /* the rate over the same spec on its first PU alone */
    const char *what, *source;
    const char *figure;      /* id in hw/published/figures.yaml */
} row_spec;

/* Prompt lengths are not published for the PowerServe figures: 256 tokens
 * (assumed) for prefill, decode at a 256-token context.  `asserted` rows
 * make the verdict (all of them since the size-dependent NPU utilisation,
 * the k-referenced shape penalty and the queued launches of hw/;
 * workloads/README.md), pinned by tests/workloads/test_wl_check.c. */
#define HETEROINFER                                                                        \
    "HeteroInfer (arXiv 2501.14794 v2) evaluation, seed-systems.md §3.4: decode 14.01 / 29.9 / " \
    "51.12 tok/s (Llama-8B / 3B / InternLM-1.8B), prefill 247.9 / 1092 tok/s at 256"
#define HETEROINFER_GAIN "HeteroInfer (arXiv 2501.14794 v2) evaluation: decode, tensor-level +22.0% over layer-level"
#define POWERSERVE "PowerServe README (8 Gen 3, QNN 2.9, W4A16 per channel): "
#define AIHUB "quic/ai-hub-models@33c3d032 llama_v3_2_3b_instruct/perf.yaml: "
#define LLAMACPP "ggml-org/llama.cpp issue 14337: 238.94 / 27.34 tok/s"

/* llama.cpp builds a Qwen2 layer (llm_build_qwen2) from 25 ggml kernels
 * (derived: RMS norm and its weight multiply; Q, K, V products and their
 * bias adds; two RoPEs; two KV-cache stores; QK^T, softmax, PV and a copy
 * of the permuted result; O product; residual add; norm and multiply;
 * gate, up, GLU, down; residual add), where the lowering has 8 ops; plus
 * 4 a pass (embedding rows, output norm and multiply, LM head). */
enum { LLAMACPP_QWEN2_KERNELS = 25 };

#define SPEC(PUS, MODEL, GRAN, PROMPT, PHASE, ...)                                               \
    .r = {.pus = PUS, .model = MODEL, .quant = "w4a16", .gran = HS_GRAN_##GRAN, .prompt = PROMPT, \
          .phase = HS_PHASE_##PHASE, __VA_ARGS__}
#define ROW(FIG, HW, PUS, MODEL, GRAN, PROMPT, PHASE, PUB, WHAT, SRC, ...)                       \
    .figure = FIG, .hw = HW, SPEC(PUS, MODEL, GRAN, PROMPT, PHASE, __VA_ARGS__), .published = PUB, \
    .what = WHAT, .source = SRC

static const row_spec rows_spec[] = {
    /* PowerServe and Genie run a pass as one QNN graph: stage. */
    {ROW("powerserve-8g3-llama1b-prefill", "snapdragon-8gen3", "npu", "llama-3.2-1b", STAGE, 256, PREFILL, 1876.6,
         "PowerServe NPU prefill, Llama-3.2-1B", POWERSERVE "1876.6 / 59.0 tok/s")},
    {ROW("powerserve-8g3-llama1b-decode", "snapdragon-8gen3", "npu", "llama-3.2-1b", STAGE, 256, DECODE, 59.0,
         "PowerServe NPU decode, Llama-3.2-1B", POWERSERVE "1876.6 / 59.0 tok/s")},
    {ROW("powerserve-8g3-llama8b-prefill", "snapdragon-8gen3", "npu", "llama-3.1-8b", STAGE, 256, PREFILL, 468.4,
         "PowerServe NPU prefill, Llama-3.1-8B", POWERSERVE "468.4 / 12.0 tok/s")},
    {ROW("powerserve-8g3-llama8b-decode", "snapdragon-8gen3", "npu", "llama-3.1-8b", STAGE, 256, DECODE, 12.0,
         "PowerServe NPU decode, Llama-3.1-8B", POWERSERVE "468.4 / 12.0 tok/s")},
    {ROW("powerserve-8g3-qwen3b-prefill", "snapdragon-8gen3", "npu", "qwen2.5-3b", STAGE, 256, PREFILL, 907.0,
         "PowerServe NPU prefill, Qwen2.5-3B", POWERSERVE "907.0 / 21.0 tok/s")},
    {ROW("powerserve-8g3-qwen3b-decode", "snapdragon-8gen3", "npu", "qwen2.5-3b", STAGE, 256, DECODE, 21.0,
         "PowerServe NPU decode, Qwen2.5-3B", POWERSERVE "907.0 / 21.0 tok/s")},
    /* HeteroInfer partitions each op; its GPU-dominant decode queues the
     * kernels back to back behind fast sync. */
    {ROW("heteroinfer-decode-llama8b", "snapdragon-8gen3", "gpu,npu", "llama-3.1-8b", OP, 256, DECODE, 14.01,
         "HeteroInfer GPU+NPU decode, Llama-8B", HETEROINFER, .queued = true)},
    {ROW("heteroinfer-decode-llama3b", "snapdragon-8gen3", "gpu,npu", "llama-3.2-3b", OP, 256, DECODE, 29.9,
         "HeteroInfer GPU+NPU decode, Llama-3B", HETEROINFER, .queued = true)},
    {ROW("heteroinfer-decode-internlm", "snapdragon-8gen3", "gpu,npu", "internlm2-1.8b", OP, 256, DECODE, 51.12,
         "HeteroInfer GPU+NPU decode, InternLM-1.8B", HETEROINFER, .queued = true)},
    {ROW("heteroinfer-prefill-llama8b-256", "snapdragon-8gen3", "gpu,npu", "llama-3.1-8b", OP, 256, PREFILL, 247.9,
         "HeteroInfer GPU+NPU prefill, Llama-8B (256 tokens)", HETEROINFER)},
    {ROW("heteroinfer-prefill-internlm-256", "snapdragon-8gen3", "gpu,npu", "internlm2-1.8b", OP, 256, PREFILL, 1092,
         "HeteroInfer GPU+NPU prefill, InternLM-1.8B (256 tokens)", HETEROINFER)},
    /* HeteroInfer's own GPU+NPU over GPU-alone decode: tensor-level (weights
     * split GPU:NPU) over layer-level, whose decode runs on the GPU (§4). */
    {ROW("heteroinfer-decode-tensor-over-layer", "snapdragon-8gen3", "gpu,npu", "llama-3.1-8b", OP, 256, DECODE,
         1.22, "HeteroInfer GPU+NPU over GPU-alone decode gain, Llama-8B", HETEROINFER_GAIN, .queued = true),
     .gain = true},
    {ROW("aihub-8elite-llama3b-decode", "snapdragon-8elite", "npu", "llama-3.2-3b", STAGE, 128, DECODE, 23.4718,
         "AI Hub (Genie) NPU decode, Llama-3.2-3B", AIHUB "23.4718 tok/s")},
    {ROW("aihub-8elite-llama3b-prefill-4096", "snapdragon-8elite", "npu", "llama-3.2-3b", STAGE, 4096, PREFILL, 1451.4,
         "AI Hub (Genie) NPU prefill, Llama-3.2-3B, 4096 tokens",
         AIHUB "TTFT 2822.25 ms at 4096 tokens (4096 / 2.822 s, derived)")},
    /* llama.cpp's OpenCL backend launches every ggml op on one in-order queue. */
    {ROW("llamacpp-14337-qwen15b-prefill", "snapdragon-8gen3", "gpu", "qwen2.5-1.5b", OP, 148, PREFILL, 238.94,
         "llama.cpp OpenCL GPU prefill, Qwen 1.5B (148 tokens)", LLAMACPP, .queued = true,
         .launches_per_layer = LLAMACPP_QWEN2_KERNELS)},
    {ROW("llamacpp-14337-qwen15b-decode", "snapdragon-8gen3", "gpu", "qwen2.5-1.5b", OP, 148, DECODE, 27.34,
         "llama.cpp OpenCL GPU decode, Qwen 1.5B", LLAMACPP, .queued = true,
         .launches_per_layer = LLAMACPP_QWEN2_KERNELS)},
};
#undef ROW
#undef SPEC
enum { NROWS = sizeof rows_spec / sizeof rows_spec[0] };

static int parse_pus(const hs_hw *hw, const char *list, rate_acc *a, hs_err *err)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", list);
    a->npu = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok && a->npu < MAXPU;
         tok = strtok_r(NULL, ",", &save)) {
        int pu = hs_hw_pu_lookup(hw, tok, err);
        if (pu < 0)
            return -1;
        a->pu[a->npu++] = pu;
    }
    return 0;
}

int hs_llm_rate(const hs_hw *hw, const hs_rate_spec *s, double *rate, hs_err *err)
{
    hs_model m;
    hs_quant q;
    rate_acc a = {.hw = hw, .phase = s->phase, .queued = s->queued, .err = err};
    if (hs_model_load(s->model, &m, err) < 0)
        return -1;
    if (hs_quant_from_name(s->quant, &q) < 0)
        return hs_errf(err, "unknown quantisation '%s'", s->quant);
    if (parse_pus(hw, s->pus, &a, err) < 0)
        return -1;
    hs_lower_llm(&m, q, 0, s->prompt, 2, s->gran, add_item, &a);
    if (a.cannot || a.t <= 0)
        return hs_errf(err, "%s of %s: an item cannot run on %s", hs_phase_name(s->phase), s->model, s->pus);
    /* The engine's further kernels: each a queued launch on the first PU. */
    int64_t extra = (int64_t)s->launches_per_layer * m.layers + 4 - a.kernels;
    if (s->launches_per_layer > 0 && extra > 0)
        a.t += (double)extra * hw->pus[a.pu[0]].queue_launch_s;
    *rate = s->phase == HS_PHASE_PREFILL ? (double)s->prompt / a.t : 1 / a.t;
    return 0;
}

static int compute_row(const row_spec *s, hs_check_row *row, hs_err *err)
{
    hs_hw *hw = hs_hw_load(s->hw, err);
    if (!hw)
        return -1;
    hs_err inner;
    int rc = hs_llm_rate(hw, &s->r, &row->predicted, &inner);
    if (rc == 0 && s->gain) {
        /* The same spec on its first PU alone: the list up to its comma. */
        char first[32];
        hs_rate_spec alone = s->r;
        snprintf(first, sizeof first, "%.*s", (int)strcspn(s->r.pus, ","), s->r.pus);
        alone.pus = first;
        double base;
        rc = hs_llm_rate(hw, &alone, &base, &inner);
        row->predicted = rc == 0 ? row->predicted / base : NAN;
    }
    if (rc < 0) {
        const char *m = strstr(inner.msg, "error: ");
        hs_errf(err, "check row '%s': %s", s->what, m ? m + 7 : inner.msg);
    }
    hs_hw_free(hw);
    return rc;
}

int hs_workload_check(hs_check_row **rows, size_t *nrows, hs_err *err)
{
    *rows = calloc(NROWS, sizeof **rows);
    *nrows = 0;
    if (!*rows)
        return hs_errf(err, "out of memory");
    int failed = 0;
    for (size_t i = 0; i < NROWS; i++) {
        const row_spec *s = &rows_spec[i];
        hs_check_row *r = &(*rows)[i];
        r->group = s->gain ? "gain" : s->r.phase == HS_PHASE_PREFILL ? "prefill" : "decode";
        r->hw = s->hw;
        snprintf(r->what, sizeof r->what, "%s [%s, %s, %s%s]", s->what, s->r.pus, s->r.quant,
                 hs_granularity_name(s->r.gran), s->r.queued ? ", queued" : "");
        r->published = s->published;
        r->lo = 0.75 * s->published;
        r->hi = 1.25 * s->published;
        r->unit = s->gain ? "x" : "tok/s";
        r->source = s->source;
        r->figure = s->figure;
        if (compute_row(s, r, err) < 0) {
            free(*rows);
            *rows = NULL;
            return -1;
        }
        r->pass = r->predicted >= r->lo && r->predicted <= r->hi;
        *nrows = i + 1;
    }
    if (hs_check_tag(*rows, *nrows, err) < 0) {
        free(*rows);
        *rows = NULL;
        return -1;
    }
    for (size_t i = 0; i < *nrows; i++)
        failed += (*rows)[i].asserted && !(*rows)[i].pass;
    return failed;
}
