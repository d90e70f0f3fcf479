/* hetsoc policy `agentxpu`: Agent.xpu, scheduling of agentic LLM workloads
 * on a heterogeneous SoC (Wei et al., arXiv 2506.24045: v1, Jun 2025, and
 * the revised "flow-aware" v2), parameter `version: v1 | v2` (default v2).
 *
 * The paper, section by section, and where this policy does it:
 *
 *  §3 Heterogeneous execution graph (HEG), offline:
 *    fused op groups, 3 kernels a layer: {norm, QKV}, {attention},
 *      {O, norm, gate/up, act, down} (+ the embedding in the first group,
 *      {final norm, LM head} last)                        ax_group_end
 *    token-wise ops chunked at S_chk = 256, late-bound to NPU or iGPU at
 *      dispatch; sequence-wise attention on the iGPU      ax_place_prefill
 *    decode entirely on the iGPU, continuous batching at iteration
 *      granularity                                        ax_decode
 *    KV cache in place (unified memory): one DRAM domain, nothing to move;
 *      the policy never transfers KV.
 *  §4 Online scheduler:
 *    non-clairvoyance: a request's class at arrival (ax_arrived) and its
 *      revealed works only; the prompt length S_len is read from its first
 *      prefill work, the decode length from its current step.
 *    dual queues per stage (reactive, proactive): pre_*, dec_* of struct ax
 *    kernel-boundary preemption of prefill, wait-then-execute: a proactive
 *      prefill finishes its fused group, then the completion probes the
 *      reactive queue; reactive requests never preempt each other
 *                                                         serve_prefill
 *    resumption of preempted proactive prefill: anti-starvation age first,
 *      else lowest estimated time to completion           pick_proactive
 *    aging promotion: an overdue proactive prefill gets the iGPU beside
 *      the reactive one (which stays NPU-only), then joins decode past
 *      B_cap                                              promote_aged
 *    decode preemption at iteration boundaries            ax_decode
 *  v2 Algorithm 1, elastic kernel dispatch for reactive prefill
 *                                                         ax_n_npu, place_elastic
 *  v2 prefill-first iGPU arbitration                      schedule order, ax_decode
 *  v2 contention rule                                     contention_holds
 *  v2 Algorithm 2, reactive-first adaptive decode batching (B_cap = 3)
 *                                                         recompose_v2
 *  v2 NPU warm-up on the CPU                              warm_up, start_prefill
 *  v1 memory-pressure tiers and Algorithm 1 "memory-aware kernel dispatch"
 *                                                         tiers_hold
 *  v1 slack-aware backfill                                ax_backfill_pick
 *
 * Granularity.  The HEG is op-level: the policy's natural workload is
 * `granularity: op` (agentxpu-mixed), where each op is one work and the
 * policy fuses a group by dispatching its ops back to back on the same PUs,
 * treating the group as one kernel for preemption and for the gates.  At
 * layer, stage or step granularity an item already is a fused pass with
 * attention inside: it is one kernel (a group of its own), runs whole on
 * the iGPU (or on the NPU when only the NPU can run it), and decode steps
 * batch as at op granularity (step granularity: iteration-level batching of
 * whole passes; a whole decode at stage granularity never batches).
 *
 * Profiles.  Roles: the first GPU is the iGPU, the first NPU the NPU, the
 * first CPU builds NPU graphs.  Without an NPU every token-wise op runs on
 * the iGPU (Algorithm 1 degenerates to n_npu = 0); without a GPU the iGPU
 * role falls to the CPU, else to PU 0.  A work its role PU cannot run goes
 * to the PU that runs it fastest.  Works that are no LLM prefill or decode
 * (searches, tools, encoders, `dag` tasks) go to the PU with the earliest
 * finish.  Nothing is refused: on the generic textbook profiles (no peaks)
 * an LLM work runs nowhere and the run fails naming it, as for every
 * policy; their `work:` and `dag` items run.
 *
 * Executors.  The policy never calls hs_preempt (a fused group at op
 * granularity is several works: preemption is by no longer feeding them).
 * hs_prebuild is called only where hs_can_prebuild says the executor keeps
 * NPU graph records; on the OpenCL executor warm-up is off (documented in
 * policies/README.md).
 *
 * Cost.  Per decision the policy touches the running prefills (at most
 * three), the decode batch (at most b_max) and, at a prefill switch or an
 * iteration boundary, the queues of that stage; nothing scans all requests.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policies/agentxpu.h"

/* ---- Parameters ----------------------------------------------------------- */
static const hs_param_spec ax_params[] = {
    {"version", HS_PARAM_STR, "v2", 0, 0,
     "v1 (arXiv 2506.24045v1: memory tiers, slack-aware backfill) or v2 (revised: Algorithms 1 and 2, "
     "warm-up)"},
    {"chunk_tokens", HS_PARAM_I64, "256", 1, 1 << 20,
     "S_chk, the static NPU chunk of token-wise ops (v2 §3: 256 for the 8B model)"},
    {"b_cap", HS_PARAM_I64, "3", 1, 1024, "B_cap of v2 Algorithm 2 (v2 §4: 3)"},
    {"b_max", HS_PARAM_I64, "32", 1, 1024,
     "largest decode batch (v2 §4: the decode activation buffer holds 32; v1's B_max has no number, "
     "chosen the same)"},
    {"age_s", HS_PARAM_F64, "5.0", 0, 1e9,
     "anti-starvation / aging threshold on a proactive request's pending time (the paper gives no "
     "value; chosen: about ten proactive prefills of the Proactive-mixed set on core-ultra-125h)"},
    {"tau_low", HS_PARAM_F64, "0.4", 0, 10, "v1 memory-pressure tier: below it co-schedule freely (v1 §4)"},
    {"tau_high", HS_PARAM_F64, "0.7", 0, 10,
     "v1 memory-pressure tier: at or above it run sequentially, reactive first (v1 §4, Algorithm 1)"},
    {"bw_backfill", HS_PARAM_F64, "0.7", 0, 10,
     "v1 backfill condition (2): combined bandwidth utilisation below it (no value given; chosen = "
     "tau_high)"},
    {"membound", HS_PARAM_F64, "0.5", 0, 1,
     "a kernel drawing at least this fraction of its PU's bandwidth is memory-bound (v2 contention "
     "rule, v1 pairing by memory intensity; chosen)"},
    {"warmup", HS_PARAM_BOOL, "true", 0, 0, "v2 on-the-fly NPU warm-up on the CPU (v2 §3)"},
    {"engine", HS_PARAM_STR, "profile", 0, 0,
     "engine preset applied to the profile before the run (hw/README.md, \"Engine presets\"); "
     "profile: the profile's own efficiencies -- Agent.xpu runs its own OpenVINO-based runtime (v2 §5), "
     "for which no absolute rate is published"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* ---- Small containers ----------------------------------------------------- */

int ax_list_push(ax_list *l, ax_req *q)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        ax_req **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = q;
    return 0;
}

/* Order-keeping removal: the reactive queues are FIFO. */
void ax_list_remove(ax_list *l, ax_req *q)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == q) {
            memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof *l->v);
            l->n--;
            return;
        }
}

static int push_other(ax *a, hs_work *w)
{
    if (a->nother == a->other_cap) {
        size_t cap = a->other_cap ? 2 * a->other_cap : 16;
        hs_work **v = realloc(a->other, cap * sizeof *v);
        if (!v)
            return -1;
        a->other = v;
        a->other_cap = cap;
    }
    a->other[a->nother++] = w;
    return 0;
}

/* ---- Dispatch bookkeeping ------------------------------------------------- */

/* The work's tag (hs_work_data): outstanding on a PU, its priority and
 * whether it is memory-bound, so that work_done can count it off. */
enum { TAG_SET = 1, TAG_REACTIVE = 2, TAG_MEMBOUND = 4 };

int ax_dispatch(hs_sched *s, ax *a, hs_work *w, int pu, int prio)
{
    bool mb = ax_memory_bound(s, a, w, pu);
    if (hs_dispatch(s, w, pu) != 0)
        return -1;
    hs_work_set_data(w, (void *)(uintptr_t)(TAG_SET | (prio ? TAG_REACTIVE : 0) | (mb ? TAG_MEMBOUND : 0)));
    a->out[prio][pu]++;
    if (mb)
        a->out_mem[prio][pu]++;
    return 0;
}

static void count_off(ax *a, const hs_work *w)
{
    uintptr_t tag = (uintptr_t)hs_work_data(w);
    int pu = hs_work_pu(w);
    if (!(tag & TAG_SET) || pu < 0)
        return;
    int prio = tag & TAG_REACTIVE ? AX_REACTIVE : AX_PROACTIVE;
    a->out[prio][pu]--;
    if (tag & TAG_MEMBOUND)
        a->out_mem[prio][pu]--;
}

bool ax_pu_empty(const hs_sched *s, int pu) { return hs_pu_running(s, pu) + hs_pu_queued(s, pu) == 0; }

int ax_fastest_pu(hs_sched *s, const hs_work *w)
{
    int best = -1;
    double best_t = INFINITY;
    for (int k = 0; k < hs_npus(s); k++) {
        double t = hs_predict(s, w, k);
        if (t < best_t) {
            best_t = t;
            best = k;
        }
    }
    return best;
}

static bool is_reactive(const hs_req *r) { return hs_req_class_of(r)->priority == HS_PRIO_REACTIVE; }

void ax_no_pu(hs_sched *s, const hs_work *w)
{
    hs_req *r = hs_work_req(w);
    hs_sched_fail(s, "no PU of profile %s can run work %llu (request %llu, stage %u)",
                  hs_sched_hw(s)->name, (unsigned long long)hs_work_id(w),
                  (unsigned long long)(r ? hs_req_id(r) : 0), hs_work_stage(w));
}

/* Works that are no LLM prefill or decode: earliest finish, in ready order. */
static void dispatch_others(hs_sched *s, ax *a)
{
    for (size_t i = 0; i < a->nother; i++) {
        hs_work *w = a->other[i];
        int best = -1;
        double best_t = INFINITY;
        for (int k = 0; k < hs_npus(s); k++) {
            double t = hs_predict(s, w, k);
            if (isfinite(t) && hs_pu_available_at(s, k) + t < best_t) {
                best_t = hs_pu_available_at(s, k) + t;
                best = k;
            }
        }
        if (best < 0) {
            ax_no_pu(s, w);
            return;
        }
        hs_req *r = hs_work_req(w);
        ax_dispatch(s, a, w, best, r && is_reactive(r) ? AX_REACTIVE : AX_PROACTIVE);
    }
    a->nother = 0;
}

/* ---- Prefill queues: selection, preemption, promotion, warm-up ------------ */

/* Anti-starvation first (pending time over age_s, the longest pending),
 * else the lowest estimated time to completion (v1 §4 "Resumption").  ETC
 * is S_len times the layers left: at chunk granularity prefill time is
 * linear in tokens and the per-token-layer cost is common to all
 * candidates of one model, so it cancels in the comparison. */
static ax_req *pick_proactive(const ax *a, double now)
{
    ax_req *aged = NULL, *best = NULL;
    double best_etc = INFINITY;
    for (size_t i = 0; i < a->pre_proactive.n; i++) {
        ax_req *q = a->pre_proactive.v[i];
        if (!q->pre)
            continue;  /* its last fragment has not finished yet */
        if (now - q->queued_at > a->age_s && (!aged || q->queued_at < aged->queued_at))
            aged = q;
        double etc = (double)q->prompt * q->layers_left;
        if (etc < best_etc) {
            best_etc = etc;
            best = q;
        }
    }
    return aged ? aged : best;
}

/* v2 §3 warm-up: while q waits, build the NPU graph of its whole prompt on
 * the CPU, so that it can run pure-NPU prefill if the graph is ready when
 * its turn comes.  A shape already built needs nothing. */
static void warm_up(hs_sched *s, ax *a, ax_req *q)
{
    if (a->version != 2 || !a->warmup || q->warmed || a->npu < 0 || q->prompt <= 0)
        return;
    /* Only a shape that needs a build is warmed: an NPU without static-shape
     * rules (or a listed shape) runs the HEG's chunks as it is. */
    if (a->cpu >= 0 && !hs_graph_built(s, a->npu, q->prompt) && hs_can_prebuild(s, a->npu, q->prompt))
        q->warmed = hs_prebuild(s, a->npu, q->prompt, a->cpu) == 0;
}

static void enqueue_prefill(hs_sched *s, ax *a, ax_req *q)
{
    q->queued = true;
    q->queued_at = hs_now(s);
    bool must_wait = a->cur || a->pre_reactive.n > 0;
    ax_list_push(q->reactive ? &a->pre_reactive : &a->pre_proactive, q);
    if (!q->reactive)
        hs_timer(s, a->age_s, 0);  /* re-examine when it becomes overdue */
    if (must_wait)
        warm_up(s, a, q);
}

static void start_prefill(hs_sched *s, ax *a, ax_req *q, ax_mode mode)
{
    ax_list_remove(q->reactive ? &a->pre_reactive : &a->pre_proactive, q);
    q->queued = false;
    q->running = true;
    q->mode = mode;
    /* The warm-up switch: "if ready in time, switch that request to
     * pure-NPU prefill" -- ready now, at the start of its prefill. */
    if (mode == AX_ELASTIC && q->warmed && a->npu >= 0 && q->prompt > 0 && hs_graph_built(s, a->npu, q->prompt))
        q->mode = AX_PURE_NPU;
}

static void stop_prefill(ax_req *q)
{
    q->running = false;
    q->in_group = false;
}

/* Aging promotion (v1 §4 "Other mechanisms", v2 §4 "Starvation"): an
 * overdue proactive prefill runs on the iGPU beside the reactive one, which
 * stays NPU-only. */
static void promote_aged(hs_sched *s, ax *a)
{
    if (a->promoted || !a->cur || !a->cur->reactive || a->npu < 0)
        return;
    ax_req *q = pick_proactive(a, hs_now(s));
    if (!q || hs_now(s) - q->queued_at <= a->age_s)
        return;
    start_prefill(s, a, q, AX_IGPU_ONLY);
    q->aged = true;
    a->promoted = q;
    if (a->cur->mode == AX_ELASTIC)
        a->cur->mode = AX_NPU_ONLY;
}

/* q's prefill is over (its first decode work or its next stage came). */
static void prefill_over(ax *a, ax_req *q)
{
    if (!q->running)
        return;
    stop_prefill(q);
    if (a->cur == q)
        a->cur = NULL;
    if (a->promoted == q) {
        a->promoted = NULL;
        if (a->cur && a->cur->mode == AX_NPU_ONLY)
            a->cur->mode = AX_ELASTIC;
    }
}

/* Places q's ready prefill work; the one that emits the first token ends
 * q's prefill (decode, if any, follows on its own). */
static void place_prefill(hs_sched *s, ax *a, ax_req *q)
{
    bool last = hs_work_item(q->pre)->emits > 0;
    if (ax_place_prefill(s, a, q) && last)
        prefill_over(a, q);
}

/* The prefill event loop of v2 §4: one request at a time.  At a kernel
 * boundary of a proactive prefill the reactive queue is probed
 * (wait-then-execute); a reactive prefill is never preempted. */
static void serve_prefill(hs_sched *s, ax *a)
{
    ax_req *cur = a->cur;
    if (cur && !cur->reactive && !cur->in_group && cur->pre && a->pre_reactive.n > 0) {
        stop_prefill(cur);          /* preempted: its context stays in DRAM */
        enqueue_prefill(s, a, cur);
        a->cur = cur = NULL;
    }
    if (!cur) {
        ax_req *next = a->pre_reactive.n > 0 ? a->pre_reactive.v[0] : pick_proactive(a, hs_now(s));
        if (next && next->pre) {
            start_prefill(s, a, next, AX_ELASTIC);
            a->cur = cur = next;
        }
    }
    promote_aged(s, a);
    if (cur && cur->pre)
        place_prefill(s, a, cur);
    if (a->promoted && a->promoted->pre)
        place_prefill(s, a, a->promoted);
}

/* v1 slack-aware backfill (inter-XPU): proactive kernels on the PUs a
 * reactive kernel leaves idle, each whole on its PU, while it fits the
 * reactive kernel's window (ax_backfill_pick). */
static void serve_backfill(hs_sched *s, ax *a)
{
    if (a->version != 1)
        return;
    int pu;
    for (ax_req *q; (q = ax_backfill_pick(s, a, &pu)) != NULL;) {
        hs_work *w = q->pre;
        q->pre = NULL;
        q->in_group = !ax_group_end(hs_work_item(w));
        if (ax_dispatch(s, a, w, pu, AX_PROACTIVE) != 0)
            return;
    }
}

/* ---- Hooks ---------------------------------------------------------------- */

/* The unit Agent.xpu schedules is one LLM call: a request's stage.  An
 * agentic workflow may run several at once, so the policy keeps one row a
 * stage, made when the stage's first work comes. */
typedef struct ax_lanes {
    uint32_t n;
    ax_req **row;  /* [n]: by stage id; NULL until needed */
} ax_lanes;

static ax_req *lane_of(hs_sched *s, hs_req *r, uint32_t stage)
{
    ax_lanes *l = hs_req_data(r);
    if (!l && (l = calloc(1, sizeof *l)) != NULL)
        hs_req_set_data(r, l);
    if (l && stage >= l->n) {
        uint32_t n = hs_req_nstages(r) > stage ? hs_req_nstages(r) : stage + 1;
        ax_req **row = realloc(l->row, n * sizeof *row);
        if (row) {
            memset(row + l->n, 0, (n - l->n) * sizeof *row);
            l->row = row;
            l->n = n;
        }
    }
    if (!l || stage >= l->n) {
        hs_sched_fail(s, "out of memory");
        return NULL;
    }
    ax_req *q = l->row[stage];
    if (!q && (q = calloc(1, sizeof *q)) != NULL) {
        q->r = r;
        q->reactive = is_reactive(r);  /* the class at arrival: all the policy knows ahead */
        for (int i = 0; i < HS_SLOT_COUNT; i++)
            q->n_npu[i] = -1;
        l->row[stage] = q;
    }
    if (!q)
        hs_sched_fail(s, "out of memory");
    return q;
}

static void prefill_ready(hs_sched *s, ax *a, ax_req *q, hs_work *w)
{
    const hs_item *it = hs_work_item(w);
    q->pre = w;
    if (!q->running && !q->queued) {
        /* A new prefill: S_len is revealed now. */
        q->prompt = it->tokens;
        q->layers_left = it->model->layers;
        for (int i = 0; i < HS_SLOT_COUNT; i++)
            q->n_npu[i] = -1;
        q->warmed = false;
        enqueue_prefill(s, a, q);
    }
    if (it->layer >= 0)
        q->layers_left = it->model->layers - it->layer;
}

static void ax_work_ready(hs_sched *s, void *state, hs_work *w)
{
    ax *a = state;
    if (a->own_call)
        return;  /* a part or batch we just made: placed by its maker */
    hs_req *r = hs_work_req(w);
    const hs_item *it = hs_work_item(w);
    bool llm = r && it->model && (it->phase == HS_PHASE_PREFILL || it->phase == HS_PHASE_DECODE);
    ax_req *q = llm ? lane_of(s, r, hs_work_stage(w)) : NULL;
    if (!q) {
        if (push_other(a, w) != 0)
            hs_sched_fail(s, "out of memory");
        return;
    }
    if (it->phase == HS_PHASE_PREFILL) {
        prefill_ready(s, a, q, w);
        return;
    }
    prefill_over(a, q);
    q->dec = w;
    if (!q->in_decode && !q->dec_waiting) {
        q->dec_waiting = true;
        q->queued_at = hs_now(s);
        ax_list_push(q->reactive ? &a->dec_reactive : &a->dec_proactive, q);
        if (!q->reactive)
            hs_timer(s, a->age_s, 0);
    }
}

static void ax_work_done(hs_sched *s, void *state, hs_work *w)
{
    (void)s;
    ax *a = state;
    count_off(a, w);
    if (w == a->decode_inflight)
        a->decode_inflight = NULL;
}

static void forget(ax *a, ax_req *q)
{
    prefill_over(a, q);
    if (q->queued)
        ax_list_remove(q->reactive ? &a->pre_reactive : &a->pre_proactive, q);
    ax_decode_forget(a, q);
}

static void free_lanes(ax *a, hs_req *r)
{
    ax_lanes *l = hs_req_data(r);
    if (!l)
        return;
    for (uint32_t i = 0; i < l->n; i++)
        if (l->row[i]) {
            if (a)
                forget(a, l->row[i]);
            free(l->row[i]);
        }
    free(l->row);
    free(l);
    hs_req_set_data(r, NULL);
}

static void ax_request_done(hs_sched *s, void *state, hs_req *r)
{
    (void)s;
    free_lanes(state, r);
}

static void ax_timer(hs_sched *s, void *state, uint64_t tag)
{
    (void)s;
    (void)state;
    (void)tag;  /* t_defer releases and aging checks happen in schedule() */
}

/* Prefill before decode: iGPU arbitration is prefill-first (v2 §4), so the
 * prefill fragments are queued on the iGPU before the decode batcher looks
 * whether the iGPU is free. */
static void ax_schedule(hs_sched *s, void *state)
{
    ax *a = state;
    dispatch_others(s, a);
    ax_release_deferred(s, a);
    serve_prefill(s, a);
    serve_backfill(s, a);
    ax_decode(s, a);
}

/* ---- init / fini ------------------------------------------------------------ */

static void free_list(ax_list *l) { free(l->v); }

static void ax_fini(hs_sched *s, void *state)
{
    ax *a = state;
    if (!a)
        return;
    for (hs_req *r = hs_req_first(s); r; r = hs_req_next(s, r))
        free_lanes(NULL, r);
    free_list(&a->pre_reactive);
    free_list(&a->pre_proactive);
    free_list(&a->dec_reactive);
    free_list(&a->dec_proactive);
    free_list(&a->batch);
    free_list(&a->scratch);
    free(a->deferred);
    free(a->other);
    free(a->members);
    free(a->member_q);
    for (int p = 0; p < 2; p++) {
        free(a->out[p]);
        free(a->out_mem[p]);
    }
    free(a);
}

static int igpu_role(const hs_sched *s)
{
    int gpu = hs_pu_find(s, "gpu");
    if (gpu >= 0)
        return gpu;
    int cpu = hs_pu_find(s, "cpu");
    return cpu >= 0 ? cpu : 0;
}

static int read_params(hs_sched *s, ax *a, hs_err *err)
{
    const char *v = hs_param_str(s, "version");
    if (strcmp(v, "v1") != 0 && strcmp(v, "v2") != 0)
        return hs_errf(err, "policy agentxpu: version must be v1 or v2, not '%s'", v);
    a->version = v[1] - '0';
    a->s_chk = hs_param_i64(s, "chunk_tokens");
    a->b_cap = hs_param_i64(s, "b_cap");
    a->b_max = hs_param_i64(s, "b_max");
    a->age_s = hs_param_f64(s, "age_s");
    a->tau_low = hs_param_f64(s, "tau_low");
    a->tau_high = hs_param_f64(s, "tau_high");
    a->bw_backfill = hs_param_f64(s, "bw_backfill");
    a->membound = hs_param_f64(s, "membound");
    a->warmup = hs_param_bool(s, "warmup");
    if (a->tau_low > a->tau_high)
        return hs_errf(err, "policy agentxpu: tau_low (%g) must not exceed tau_high (%g)", a->tau_low, a->tau_high);
    return 0;
}

static int ax_init(hs_sched *s, void **state, hs_err *err)
{
    ax *a = calloc(1, sizeof *a);
    if (!a)
        return hs_errf(err, "out of memory");
    if (read_params(s, a, err) != 0) {
        free(a);
        return -1;
    }
    int n = hs_npus(s);
    a->npu = hs_pu_find(s, "npu");
    a->igpu = igpu_role(s);
    a->cpu = hs_pu_find(s, "cpu");
    if (a->npu == a->igpu)
        a->npu = -1;
    a->mem = hs_pu_of(s, a->igpu)->mem;
    a->members = calloc((size_t)a->b_max, sizeof *a->members);
    a->member_q = calloc((size_t)a->b_max, sizeof *a->member_q);
    for (int p = 0; p < 2; p++) {
        a->out[p] = calloc((size_t)n, sizeof(int));
        a->out_mem[p] = calloc((size_t)n, sizeof(int));
    }
    if (!a->members || !a->member_q || !a->out[0] || !a->out[1] || !a->out_mem[0] || !a->out_mem[1]) {
        ax_fini(s, a);
        return hs_errf(err, "out of memory");
    }
    *state = a;
    return 0;
}

const hs_policy_ops hs_policy_agentxpu = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "agentxpu",
    .description = "Agent.xpu (v1/v2): fused op groups on NPU+iGPU, dual queues, kernel-boundary "
                   "preemption, elastic chunks (Alg. 1), reactive-first decode batching (Alg. 2)",
    .params = ax_params,
    .init = ax_init,
    .fini = ax_fini,
    .work_ready = ax_work_ready,
    .work_done = ax_work_done,
    .request_done = ax_request_done,
    .timer = ax_timer,
    .schedule = ax_schedule,
};
