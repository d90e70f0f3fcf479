/* hetsoc hw: the cost of one kernel alone on one PU.
 *
 *   time = max(W / P_eff, Q / B_eff) * penalty + launch        (roofline)
 *   time = table(x)                                             (profiled)
 *
 * P_eff and B_eff are the two anchors of Agent.xpu v2's calibrated
 * roofline (appendix A): a compute-bound efficiency of the dtype's peak and
 * a memory-bound utilisation of the bandwidth the PU can draw.  NPUs add
 * the shape rules HeteroInfer measured on Hexagon (§3, NPU-1..3 and static
 * graphs): dimensions round up to the systolic tile, m snaps to a shape
 * with a prebuilt graph (or pays for building one), and GEMM pays for the
 * wrong operand order and for a weight with more columns than rows.
 *
 * The compute anchor may grow with the GEMM (hs_pu_util): u(x) = u_max *
 * x / (x + x_1/2) over x = min(n, k), Hockney's half-performance form.
 * The launch is the standalone launch_s, or queue_launch_s for a kernel
 * enqueued behind a running one (HS_PRED_QUEUED: an in-order queue
 * overlaps the host's submission with the previous kernel). */
#include "hw/hw.h"

#include <math.h>
#include <string.h>

double hs_pu_peff(const hs_pu *pu, hs_op op, hs_dtype dt)
{
    if ((unsigned)op >= HS_OP_COUNT || (unsigned)dt >= HS_DT_COUNT)
        return 0;
    return pu->peak[dt] * pu->compute_eff * pu->op_eff[op];
}

/* Hockney's half-performance form over the weight's smaller dimension:
 *   u(x) = u_max * x / (x + x_1/2),   x = min(n, k).
 * Equivalently the time of the compute is W / (u_max P) * (1 + x_1/2 / x):
 * the asymptotic rate plus a loss that shrinks as the matrix grows (tiles
 * left idle in the systolic arrays, fixed per-op costs). */
double hs_pu_util(const hs_pu *pu, hs_op op, int64_t n, int64_t k)
{
    bool shaped = (op == HS_OP_GEMM || op == HS_OP_GENERIC) && n >= 1 && k >= 1;
    if (!shaped || !(pu->size_eff_half > 0))
        return pu->compute_eff;
    double x = (double)(n < k ? n : k);
    return pu->size_eff_max * x / (x + pu->size_eff_half);
}

double hs_pu_peff_at(const hs_pu *pu, hs_op op, hs_dtype dt, int64_t n, int64_t k)
{
    if ((unsigned)op >= HS_OP_COUNT || (unsigned)dt >= HS_DT_COUNT)
        return 0;
    return pu->peak[dt] * hs_pu_util(pu, op, n, k) * pu->op_eff[op];
}

double hs_hw_beff(const hs_hw *hw, int pu)
{
    const hs_pu *p = &hw->pus[pu];
    return p->mem_eff * fmin(p->bandwidth_bps, hw->mems[p->mem].achievable_bps);
}

static int64_t round_up(int64_t v, int64_t tile)
{
    return tile > 1 ? (v + tile - 1) / tile * tile : v;
}

static bool uses_k(hs_op op)
{
    return op == HS_OP_GEMM || op == HS_OP_ATTENTION || op == HS_OP_VECTOR_SEARCH;
}

static int cannot(hs_pred *out, const char *fmt, const char *a, const char *b)
{
    snprintf(out->why, sizeof out->why, fmt, a, b);
    return HS_PRED_CANNOT_RUN;
}

/* Static graphs: m snaps up to the next listed shape (pad policy) or the
 * kernel needs a graph built for it. */
static void static_shape(const hs_pu *pu, hs_pred *out)
{
    if (pu->nstatic == 0)
        return;
    for (size_t i = 0; i < pu->nstatic; i++) {
        if (pu->static_m[i] == out->m)
            return;
        if (pu->static_m[i] > out->m && pu->shape_policy == HS_SHAPES_PAD) {
            out->m = pu->static_m[i];
            out->padded = true;
            return;
        }
    }
    /* Build policy, or larger than every prebuilt graph. */
    out->needs_build = true;
    if (pu->graph_build.kind != HS_CURVE_NONE)
        out->build_s = fmax(0.0, hs_curve_eval(&pu->graph_build, (double)out->m));
}

/* Applies the NPU shape rules to out->m/n/k and rescales flops and bytes
 * by what the padding adds. */
static void pad_shape(const hs_pu *pu, const hs_kernel *k, hs_pred *out)
{
    out->m = k->m;
    out->n = k->n;
    out->k = k->k;
    out->flops = k->flops;
    out->bytes = k->bytes;
    if (k->op == HS_OP_GENERIC)
        return;
    static_shape(pu, out);
    if (pu->tile > 1) {
        out->m = round_up(out->m, pu->tile);
        out->n = round_up(out->n, pu->tile);
        if (uses_k(k->op))
            out->k = round_up(out->k, pu->tile);
    }
    if (out->m == k->m && out->n == k->n && out->k == k->k)
        return;
    out->padded = true;
    hs_kernel p = *k;
    p.m = out->m;
    p.n = out->n;
    p.k = out->k;
    double f0, q0, f1, q1;
    if (hs_kernel_shape_cost(k, &f0, &q0) == 0 && hs_kernel_shape_cost(&p, &f1, &q1) == 0) {
        out->flops = f0 > 0 ? k->flops * f1 / f0 : k->flops;
        out->bytes = q0 > 0 ? k->bytes * q1 / q0 : k->bytes;
    }
}

/* HeteroInfer NPU-2 and NPU-3: the operand order and a weight whose
 * (transposed) row count is below its column count slow the NPU.  The
 * shape factor is (k / r)^e for k > n and k > r, r = shape_penalty_ref (or
 * n when 0).  With r fixed the factor depends on the input features only,
 * so the parts of a row split (fewer output features, the same k) keep the
 * whole weight's factor, and a part's time shrinks with its rows, as
 * HeteroInfer's weight-centric splits of FFN-down (Table 3: [4096,14336]
 * x 256 split 2:3) require. */
static double order_penalty(const hs_pu *pu, const hs_kernel *k)
{
    return k->op == HS_OP_GEMM && (k->flags & HS_KF_ACT_LEFT) ? pu->order_penalty : 1;
}

static double gemm_penalty(const hs_pu *pu, const hs_kernel *k)
{
    if (k->op != HS_OP_GEMM)
        return 1;
    double p = order_penalty(pu, k);
    int64_t r = pu->shape_penalty_ref > 0 ? pu->shape_penalty_ref : k->n;
    if (pu->shape_penalty_exp > 0 && k->k > k->n && k->k > r)
        p *= pow((double)k->k / (double)r, pu->shape_penalty_exp);
    return p;
}

static bool dim_matches(const hs_table *t, const int64_t dims[4])
{
    for (int d = 0; d < 4; d++)
        if (t->fixed[d] >= 0 && t->fixed[d] != dims[d])
            return false;
    return true;
}

/* The profiled time of k on pu, when a table covers it.  Tables are looked
 * up at the shape after static-graph padding (the graph that runs), before
 * tile rounding (which the measurement already contains). */
static bool table_time(const hs_hw *hw, int pu, const hs_kernel *k, int64_t m, double *t)
{
    int64_t dims[4] = {m, k->n, k->k, k->batch > 0 ? k->batch : 1};
    for (size_t i = 0; i < hw->ntables; i++) {
        const hs_table *tb = &hw->tables[i];
        if (tb->pu != pu || tb->op != k->op || (tb->dtype >= 0 && tb->dtype != (int)k->dtype) ||
            (tb->weight_dtype >= 0 && tb->weight_dtype != (int)k->weight_dtype) || !dim_matches(tb, dims))
            continue;
        double x = (double)dims[tb->vary];
        if (!hs_curve_covers(&tb->curve, x))
            continue;
        *t = hs_curve_eval(&tb->curve, x);
        return *t > 0;
    }
    return false;
}

static int check_runnable(const hs_pu *pu, const hs_kernel *k, hs_pred *out)
{
    if (pu->unsupported[k->op])
        return cannot(out, "%s cannot run %s (listed under 'unsupported')", pu->name, hs_op_name(k->op));
    bool any = false;
    for (int d = 0; d < HS_DT_COUNT; d++)
        any |= pu->peak[d] > 0;
    if (!any)
        return cannot(out, "%s has no peak_tflops: give its work items a cost or work, not %s kernels",
                      pu->name, hs_op_name(k->op));
    if (!(pu->peak[k->dtype] > 0))
        return cannot(out, "%s has no %s compute (peak_tflops)", pu->name, hs_dtype_name(k->dtype));
    return 0;
}

static void roofline(const hs_hw *hw, int pu, const hs_kernel *k, hs_pred *out)
{
    const hs_pu *p = &hw->pus[pu];
    out->penalty = gemm_penalty(p, k);
    out->util = hs_pu_util(p, k->op, out->n, out->k);
    out->compute_s = out->flops / hs_pu_peff_at(p, k->op, k->dtype, out->n, out->k) * out->penalty;
    out->memory_s = out->bytes / hs_hw_beff(hw, pu) * out->penalty;
    out->body_s = fmax(out->compute_s, out->memory_s);
}

/* The fields that follow from the body, the launch and the build. */
static void finish(hs_pred *out, unsigned flags)
{
    out->memory_bound = out->memory_s >= out->compute_s;
    out->bound_bps = out->body_s > 0 ? out->bytes / out->body_s : INFINITY;
    out->latency_s = out->body_s + out->launch_s + ((flags & HS_PRED_CHARGE_BUILD) ? out->build_s : 0);
}

int hs_hw_predict(const hs_hw *hw, int pu, const hs_kernel *kin, unsigned flags, hs_pred *out,
                  hs_err *err)
{
    memset(out, 0, sizeof *out);
    if (!hw || pu < 0 || (size_t)pu >= hw->npus)
        return hs_errf(err, "predict: no PU %d in the profile", pu);
    hs_kernel k = *kin;
    if (hs_kernel_derive(&k, err) < 0)
        return -1;
    const hs_pu *p = &hw->pus[pu];
    int rc = check_runnable(p, &k, out);
    if (rc)
        return rc;
    out->penalty = 1;
    out->queue_launch_s = p->queue_launch_s;
    out->launch_s = (flags & HS_PRED_QUEUED) ? p->queue_launch_s : p->launch_s;
    pad_shape(p, &k, out);
    out->util = hs_pu_util(p, k.op, out->n, out->k);
    double t;
    if (!(flags & HS_PRED_NO_TABLE) && table_time(hw, pu, &k, out->m, &t)) {
        /* A measurement contains the standalone launch (launch_s), so a
         * time at or below it is all launch: body 0, and the prediction
         * is the table's time.  (Taking the whole t as the body there
         * doubled a point `hetsoc profile` had clamped to its launch.) */
        out->from_table = true;
        out->body_s = fmax(t - p->launch_s, 0.0);
        out->compute_s = out->body_s;
        out->memory_s = out->bytes / hs_hw_beff(hw, pu);
    } else {
        roofline(hw, pu, &k, out);
    }
    finish(out, flags);
    return 0;
}

/* ---- Fused kernels: each op's rules applied to its share. -------------- */

/* What the rules add to the parts of a fused kernel: the FLOPs and bytes
 * padding adds (pad_*), and the same with each part's order penalty, in the
 * FLOPs and bytes that set the time (time_*).  All exactly 0 when no rule
 * applies (a padded shape equal to the shape scales by exactly 1). */
typedef struct fused_extra {
    double pad_flops, pad_bytes;
    double time_flops, time_bytes;
    bool padded;
} fused_extra;

static void part_extra(const hs_pu *p, const hs_kernel *q, fused_extra *x)
{
    hs_pred s = {0};
    pad_shape(p, q, &s);
    /* The order penalty only: a graph compiled whole does not pay the
     * shape penalty (hw/README.md, "Fused kernels"). */
    double pen = order_penalty(p, q);
    x->pad_flops += s.flops - q->flops;
    x->pad_bytes += s.bytes - q->bytes;
    x->time_flops += s.flops * pen - q->flops;
    x->time_bytes += s.bytes * pen - q->bytes;
    x->padded |= s.padded;
}

static int check_parts(const hs_pu *p, const hs_kernel *parts, size_t nparts, hs_pred *out)
{
    for (size_t i = 0; i < nparts; i++)
        if ((unsigned)parts[i].op < HS_OP_COUNT && p->unsupported[parts[i].op])
            return cannot(out, "%s cannot run %s (listed under 'unsupported'), an op of this fused kernel",
                          p->name, hs_op_name(parts[i].op));
    return 0;
}

int hs_hw_predict_fused(const hs_hw *hw, int pu, const hs_kernel *fused, const hs_kernel *parts,
                        size_t nparts, unsigned flags, hs_pred *out, hs_err *err)
{
    int rc = hs_hw_predict(hw, pu, fused, flags, out, err);
    if (rc != 0 || nparts == 0)
        return rc;
    const hs_pu *p = &hw->pus[pu];
    if ((rc = check_parts(p, parts, nparts, out)) != 0 || out->from_table)
        return rc;
    /* The graph is built for the whole's token rows: static shapes snap (or
     * build) its m as they would a single op's. */
    static_shape(p, out);
    fused_extra x = {0};
    for (size_t i = 0; i < nparts; i++)
        part_extra(p, &parts[i], &x);
    if (x.time_flops != 0 || x.time_bytes != 0 || x.pad_flops != 0 || x.pad_bytes != 0) {
        double peff = hs_pu_peff_at(p, fused->op, fused->dtype, out->n, out->k), beff = hs_hw_beff(hw, pu);
        out->padded |= x.padded;
        out->compute_s = (out->flops + x.time_flops) / peff;
        out->memory_s = (out->bytes + x.time_bytes) / beff;
        out->flops += x.pad_flops;
        out->bytes += x.pad_bytes;
        out->body_s = fmax(out->compute_s, out->memory_s);
        double padded_body = fmax(out->flops / peff, out->bytes / beff);
        out->penalty = padded_body > 0 ? out->body_s / padded_body : 1;
    }
    finish(out, flags);
    return 0;
}
