/* hetsoc policy `agentxpu`: placing prefill works on the NPU and the iGPU
 * (the heterogeneous execution graph, v2 Algorithm 1) and the gates that
 * may hold a kernel back (v2 contention rule, v1 memory tiers), plus v1's
 * slack-aware backfill.
 *
 * Fused op groups (v2 §3: "3 fused kernels per layer").  At op granularity
 * a layer's ops are ATTN_NORM QKV | ATTN | O FFN_NORM GATE_UP ACT DOWN:
 * linear ops fused with the adjacent non-linear ones (NPUs have non-linear
 * units), attention alone; the embedding opens the first group and
 * FINAL_NORM LM_HEAD close the pass.  The paper names the count, not the
 * cut: this cut (the one that keeps every linear op with the norm or
 * activation feeding it) is chosen.  A group's ops are dispatched back to
 * back as each becomes ready, and a group's end is the kernel boundary at
 * which a prefill may be preempted.
 *
 * Token-wise ops.  A token-wise GEMM (QKV, O, gate/up, down) of S_len rows
 * is cut along its rows (hs_split HS_SPLIT_SEQ) into N_chk = floor(S_len /
 * S_chk) static chunks of S_chk rows and one dynamic part, S_rem = S_len
 * mod S_chk rows plus the chunks the plan sends to the iGPU.  Each NPU
 * chunk is its own static kernel; the iGPU part is one dynamic-shape
 * kernel.  The non-linear token-wise ops (norms, SiLU, the embedding) run
 * whole on the group's lead PU -- the NPU when the plan puts chunks there
 * -- as the fused kernel would; their parts do not need a cut of their own.
 * Attention (sequence-wise, dynamic) runs on the iGPU.
 *
 * v2 Algorithm 1 "Elastic Kernel Dispatch for Reactive Prefill", per
 * token-wise op (place_elastic):
 *   1  N_chk = floor(S_len / S_chk), S_rem = S_len mod S_chk
 *   2  if the decode pipeline is IDLE:
 *   3      n_npu = argmin_{0<=i<=N_chk} | i T(S_chk, NPU)
 *                      - (N_chk - i) T(S_chk, iGPU) - T(S_rem, iGPU) |
 *   4      chunks [0, n_npu) -> NPU; chunks [n_npu, N_chk) + S_rem -> iGPU
 *   5  else:
 *   6      all chunks -> NPU; S_rem -> iGPU, deferred by
 *          t_defer = n_npu T(S_chk, NPU) - T(S_rem, iGPU)  (n_npu = N_chk)
 *          and ahead of any decode kernel
 *   7  attention -> iGPU (preempt = true: prefill-first arbitration)
 * Ties in line 3 go to the smallest i (the iGPU, which the paper says
 * prefill saturates anyway).  Proactive prefill and v1 take line 6 without
 * the deferral ("token-wise ops mainly on the NPU; attention and residual
 * fragments on the iGPU").
 */
#include <math.h>
#include <stdlib.h>

#include "policies/agentxpu.h"

bool ax_group_end(const hs_item *it)
{
    switch (it->slot) {
    case HS_SLOT_EMBED:
    case HS_SLOT_ATTN_NORM:
    case HS_SLOT_O:
    case HS_SLOT_FFN_NORM:
    case HS_SLOT_GATE_UP:
    case HS_SLOT_ACT:
    case HS_SLOT_FINAL_NORM:
        return false;
    default:
        return true;  /* QKV, ATTN, DOWN, LM_HEAD; any fused item is one kernel */
    }
}

static bool token_wise_gemm(const hs_item *it)
{
    return it->k.op == HS_OP_GEMM && !it->fused && it->slot != HS_SLOT_LM_HEAD;
}

bool ax_memory_bound(hs_sched *s, const ax *a, const hs_work *w, int pu)
{
    double cap = hs_pu_of(s, pu)->bandwidth_bps;
    return cap > 0 && hs_work_bw_demand(s, w, pu) >= a->membound * cap;
}

/* ---- Algorithm 1 ------------------------------------------------------------ */

/* T_op(rows, pu) of w's op: the prediction of a part of `rows` rows. */
static void chunk_times(hs_sched *s, const ax *a, const hs_work *w, double *t_npu, double *t_gpu,
                        double *t_rem)
{
    const hs_item *it = hs_work_item(w);
    int64_t len = hs_item_split_extent(it, HS_SPLIT_SEQ), rem = len % a->s_chk;
    int64_t sizes[3] = {a->s_chk, rem, len - a->s_chk - rem};
    size_t n = sizes[2] > 0 ? 3 : 2;
    hs_item parts[3];
    hs_err err = {0};
    *t_rem = 0;
    if (rem == 0) {  /* no remainder: chunk and the rest */
        sizes[1] = len - a->s_chk;
        n = sizes[1] > 0 ? 2 : 1;
    }
    if (n == 1) {
        parts[0] = *it;
    } else if (hs_item_split(it, HS_SPLIT_SEQ, sizes, n, parts, &err) != 0) {
        *t_npu = *t_gpu = INFINITY;
        return;
    }
    *t_npu = hs_predict_item(s, &parts[0], a->npu);
    *t_gpu = hs_predict_item(s, &parts[0], a->igpu);
    if (rem > 0)
        *t_rem = hs_predict_item(s, &parts[1], a->igpu);
}

int64_t ax_n_npu(hs_sched *s, ax *a, ax_req *q, const hs_work *w)
{
    const hs_item *it = hs_work_item(w);
    if (q->n_npu[it->slot] >= 0)
        return q->n_npu[it->slot];
    int64_t n_chk = hs_item_split_extent(it, HS_SPLIT_SEQ) / a->s_chk;     /* line 1 */
    double tn, tg, tr;
    chunk_times(s, a, w, &tn, &tg, &tr);
    int64_t best = 0;
    double best_gap = INFINITY;
    for (int64_t i = 0; i <= n_chk; i++) {                                 /* line 3 */
        double gap = fabs((double)i * tn - (double)(n_chk - i) * tg - tr);
        if (gap < best_gap) {
            best_gap = gap;
            best = i;
        }
    }
    q->n_npu[it->slot] = (int16_t)(best > INT16_MAX ? INT16_MAX : best);
    return best;
}

/* Line 6's deferral of the remainder. */
static double t_defer(hs_sched *s, const ax *a, const hs_work *w)
{
    int64_t n_chk = hs_item_split_extent(hs_work_item(w), HS_SPLIT_SEQ) / a->s_chk;
    double tn, tg, tr;
    chunk_times(s, a, w, &tn, &tg, &tr);
    return fmax(0, (double)n_chk * tn - tr);
}

/* ---- Placement ------------------------------------------------------------------ */

static int run_pu(hs_sched *s, const ax *a, const hs_work *w, int want)
{
    if (want >= 0 && hs_can_run(s, w, want))
        return want;
    if (hs_can_run(s, w, a->igpu))
        return a->igpu;
    return ax_fastest_pu(s, w);
}

/* The PU of the group's non-linear ops: where its chunks go. */
static int lead_pu(const ax *a, const ax_req *q)
{
    if (a->npu < 0 || q->mode == AX_IGPU_ONLY)
        return a->igpu;
    if (q->mode == AX_NPU_ONLY || q->mode == AX_PURE_NPU)
        return a->npu;
    return q->prompt >= a->s_chk ? a->npu : a->igpu;
}

static int place_whole(hs_sched *s, ax *a, ax_req *q, hs_work *w, int want)
{
    int pu = run_pu(s, a, w, want);
    if (pu < 0) {
        ax_no_pu(s, w);
        return -1;
    }
    return ax_dispatch(s, a, w, pu, q->reactive);
}

static int defer_part(hs_sched *s, ax *a, hs_work *w, double delay)
{
    if (a->ndeferred == a->deferred_cap) {
        size_t cap = a->deferred_cap ? 2 * a->deferred_cap : 8;
        ax_deferred *v = realloc(a->deferred, cap * sizeof *v);
        if (!v)
            return -1;
        a->deferred = v;
        a->deferred_cap = cap;
    }
    a->deferred[a->ndeferred++] = (ax_deferred){.w = w, .release_at = hs_now(s) + delay};
    return hs_timer(s, delay, 0);
}

void ax_release_deferred(hs_sched *s, ax *a)
{
    size_t keep = 0;
    for (size_t i = 0; i < a->ndeferred; i++) {
        ax_deferred d = a->deferred[i];
        if (d.release_at > hs_now(s)) {
            a->deferred[keep++] = d;
            continue;
        }
        ax_dispatch(s, a, d.w, a->igpu, AX_REACTIVE);
    }
    a->ndeferred = keep;
}

/* Cuts w into n_npu NPU chunks and one iGPU part of `rest` rows (none when
 * 0), the iGPU part deferred by `delay` seconds when delay > 0. */
static int place_chunks(hs_sched *s, ax *a, ax_req *q, hs_work *w, int64_t n_npu, int igpu, double delay)
{
    int64_t len = hs_item_split_extent(hs_work_item(w), HS_SPLIT_SEQ);
    int64_t rest = len - n_npu * a->s_chk;
    size_t n = (size_t)n_npu + (rest > 0);
    if (n <= 1)
        return place_whole(s, a, q, w, n_npu > 0 ? a->npu : igpu);
    int64_t *sizes = malloc(n * sizeof *sizes);
    hs_work **parts = malloc(n * sizeof *parts);
    int rc = -1;
    if (sizes && parts) {
        for (size_t i = 0; i < n; i++)
            sizes[i] = (int64_t)i < n_npu ? a->s_chk : rest;
        a->own_call = true;
        rc = hs_split(s, w, HS_SPLIT_SEQ, sizes, n, parts);
        a->own_call = false;
    } else {
        hs_sched_fail(s, "out of memory");
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if ((int64_t)i < n_npu)
            rc = ax_dispatch(s, a, parts[i], a->npu, q->reactive);
        else if (delay > 0)
            rc = defer_part(s, a, parts[i], delay);
        else
            rc = ax_dispatch(s, a, parts[i], igpu, q->reactive);
    }
    free(sizes);
    free(parts);
    return rc;
}

/* A token-wise GEMM by q's mode; AX_ELASTIC is Algorithm 1. */
static int place_elastic(hs_sched *s, ax *a, ax_req *q, hs_work *w)
{
    int64_t n_chk = hs_item_split_extent(hs_work_item(w), HS_SPLIT_SEQ) / a->s_chk;
    switch (q->mode) {
    case AX_IGPU_ONLY: return place_whole(s, a, q, w, a->igpu);
    case AX_PURE_NPU: return place_whole(s, a, q, w, a->npu);
    case AX_NPU_ONLY: return place_chunks(s, a, q, w, n_chk, a->npu, 0);
    default: break;
    }
    if (a->npu < 0 || !hs_can_run(s, w, a->npu) || n_chk == 0)
        return place_whole(s, a, q, w, a->igpu);                           /* all remainder */
    if (!q->reactive || a->version == 1)
        return place_chunks(s, a, q, w, n_chk, a->igpu, 0);                /* proactive, v1 */
    if (!ax_decode_busy(a))
        return place_chunks(s, a, q, w, ax_n_npu(s, a, q, w), a->igpu, 0); /* lines 2-4 */
    return place_chunks(s, a, q, w, n_chk, a->igpu, t_defer(s, a, w));     /* lines 5-6 */
}

bool ax_place_prefill(hs_sched *s, ax *a, ax_req *q)
{
    hs_work *w = q->pre;
    const hs_item *it = hs_work_item(w);
    bool gemm = token_wise_gemm(it);
    int lead = it->slot == HS_SLOT_ATTN || it->fused ? a->igpu : lead_pu(a, q);
    if (!q->in_group && ax_gate_holds(s, a, w, run_pu(s, a, w, lead), q->reactive))
        return false;  /* a group starts only through the gates */
    q->pre = NULL;
    q->in_group = !ax_group_end(it);
    if (gemm)
        place_elastic(s, a, q, w);
    else
        place_whole(s, a, q, w, lead);                                     /* line 7, non-linear ops */
    return true;
}

/* ---- Gates ------------------------------------------------------------------------ */

/* v2 contention rule: an NPU prefill kernel that is memory-bound beside
 * iGPU decode runs concurrently when both are of the same priority;
 * otherwise the lower-priority side waits.  Seen from either side: a
 * proactive memory-bound NPU kernel waits for reactive iGPU work, a
 * proactive iGPU decode waits for a reactive memory-bound NPU kernel. */
static bool contention_holds(hs_sched *s, const ax *a, const hs_work *w, int pu, int prio)
{
    if (prio == AX_REACTIVE || a->npu < 0)
        return false;
    if (pu == a->npu)
        return a->out[AX_REACTIVE][a->igpu] > 0 && ax_memory_bound(s, a, w, pu);
    if (pu == a->igpu && hs_work_item(w)->phase == HS_PHASE_DECODE)
        return a->out_mem[AX_REACTIVE][a->npu] > 0;
    return false;
}

/* v1 Algorithm 1 "Memory-Aware Kernel Dispatch" with the three tiers of
 * P_mem = sum of the active kernels' bandwidth / peak (hs_bw_pressure):
 *   if P + dP(K) > tau_high:        WaitForSlot       (>= 0.7: sequential)
 *   elif K is REACTIVE:             LaunchImmediate
 *   elif CanCoSchedule(K, Active):  Launch            (< 0.4: freely;
 *                                   0.4-0.7: only beside a kernel of the other memory intensity)
 *   else:                           EnqueueDeferred
 * Only co-scheduling is gated: a kernel whose partner PU is empty runs. */
static bool tiers_hold(hs_sched *s, const ax *a, const hs_work *w, int pu, int prio)
{
    int other = pu == a->npu ? a->igpu : a->npu;
    if (other < 0 || a->out[0][other] + a->out[1][other] == 0)
        return false;
    const hs_hw *hw = hs_sched_hw(s);
    int mem = hs_pu_of(s, pu)->mem;
    double p = hs_bw_pressure(s, mem);
    double dp = hs_work_bw_demand(s, w, pu) / hw->mems[mem].achievable_bps;
    if (p + dp > a->tau_high)
        return true;
    if (prio == AX_REACTIVE || p < a->tau_low)
        return false;
    bool other_mb = a->out_mem[0][other] + a->out_mem[1][other] > 0;
    return ax_memory_bound(s, a, w, pu) == other_mb;
}

bool ax_gate_holds(hs_sched *s, const ax *a, const hs_work *w, int pu, int prio)
{
    if (pu < 0)
        return false;
    return a->version == 2 ? contention_holds(s, a, w, pu, prio) : tiers_hold(s, a, w, pu, prio);
}

/* ---- v1 slack-aware backfill --------------------------------------------------------- */

/* Candidates: the ready kernels of queued proactive prefills, each on an
 * idle PU (structural slack) other than the reactive kernel's, that
 *   (1) finish inside the reactive kernel's window,
 *   (2) keep the combined bandwidth utilisation under bw_backfill,
 *   (3) on the non-conflicting PU (an idle one);
 * ranked by TFLOPS/W on that PU.  Decode's compute slack is the decode
 * batcher's (proactive decode joins the batch up to B_max). */
ax_req *ax_backfill_pick(hs_sched *s, ax *a, int *pu)
{
    double window_end = -INFINITY;
    int roles[2] = {a->npu, a->igpu};
    for (int i = 0; i < 2; i++)
        if (roles[i] >= 0 && a->out[AX_REACTIVE][roles[i]] > 0)
            window_end = fmax(window_end, hs_pu_available_at(s, roles[i]));
    if (!isfinite(window_end))
        return NULL;  /* no reactive kernel runs: nothing to backfill beside */
    int mem = hs_pu_of(s, a->igpu)->mem;
    double p = hs_bw_pressure(s, mem), achievable = hs_sched_hw(s)->mems[mem].achievable_bps;
    ax_req *best = NULL;
    double best_eff = -1;
    for (size_t j = 0; j < a->pre_proactive.n; j++) {
        ax_req *q = a->pre_proactive.v[j];
        if (!q->pre)
            continue;
        for (int i = 0; i < 2; i++) {
            int k = roles[i];
            if (k < 0 || !ax_pu_empty(s, k) || !hs_can_run(s, q->pre, k))
                continue;
            double t = hs_predict_now(s, q->pre, k);
            if (hs_now(s) + t > window_end)                                    /* (1) */
                continue;
            if (p + hs_work_bw_demand(s, q->pre, k) / achievable >= a->bw_backfill) /* (2) */
                continue;
            double eff = hs_work_item(q->pre)->k.flops / (t * hs_pu_of(s, k)->power_active_w);
            if (eff > best_eff) {
                best_eff = eff;
                best = q;
                *pu = k;
            }
        }
    }
    return best;
}
