/* hetsoc policy `hero`: HeRo's online orchestration of agentic RAG on a
 * heterogeneous SoC (Li et al., arXiv 2603.01661, §4, Algorithm 1).
 *
 * Algorithm 1, as this file runs it (schedule() is the inner loop; the
 * engine's next change -- a completion, a reveal, an arrival -- is the
 * outer loop's "wait until any active node finishes"):
 *
 *   on a reveal:  G_obs grows -> CS(v) = CS_L(v) + beta * CS_F(v)  (Eq. 4)
 *                 for the request's revealed stages (hero_rescore)
 *   R_tmp = the ready works, by CS, highest first                 (ready_by_cs)
 *   while an idle PU exists and R_tmp is not empty:
 *       v* = argmax CS over R and A (ready and active works)      (critical_active)
 *       v_cand = next of R_tmp
 *       for each idle PU k that can run v_cand:
 *           c = (k, n*)  with n* of Eq. 3                         (shape_aware_batch)
 *           skip c if B(t) + b(c) > B_soft             (Eq. 5 filter: best_config)
 *           score(c) = F(c) (Eq. 2) + alpha * W_B(c)   (finish_time, contention_penalty_s)
 *       no feasible c: leave v_cand, try the next one; else dispatch
 *       v_cand with argmin score (split into n*-sized sub-batches), S = t,
 *       A and B(t) updated                                         (dispatch_config)
 *
 * Sub-stages.  A work item is one sub-stage: at the workload's granularity
 * (`op` for hero-docqa) each item is one PU's unit of work, so a stage
 * migrates whenever its next item goes elsewhere, and Eq. 3 is evaluated
 * again for that item on its new PU: "the partition is recomputed for the
 * remaining work when a stage migrates".  Decode in token groups is the
 * workflow's `stream:` edges (workloads/workflows/hero-docqa.yaml: a
 * sub-query's retrieval starts once the rewriter emitted its tokens); the
 * engine models it, nothing here needs to.
 *
 * Ablations (HeRo Table 3): `partition`, `criticality`, `concurrency`, all
 * on by default.  All off, the policy is online greedy earliest finish
 * time in ready order (`eft` restricted to idle PUs); the paper's Ayo-like
 * baseline row itself is the `ayo-like` policy.
 *
 * Cost.  Scores are per stage and change only when the request's DAG
 * grows, so they are computed on reveal (O(stages + edges) per reveal) and
 * looked up per work; Eq. 3's choice is memoised per (item shape, PU).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policies/policy.h"

/* ---- Parameters ----------------------------------------------------------- */
static const hs_param_spec hero_params[] = {
    {"alpha", HS_PARAM_F64, "1.0", 0, 1e9,
     "Eq. 5 weight of the contention penalty W_B (HeRo grid-searches it per deployment; "
     "default chosen)"},
    {"beta", HS_PARAM_F64, "0.5", 0, 1e9,
     "Eq. 4 weight of the expected future work CS_F (grid-searched per deployment; default chosen)"},
    {"b_soft", HS_PARAM_F64, "1.2", 0.01, 10,
     "Eq. 5 soft bandwidth budget B_soft, a multiple of the domain's achievable bandwidth "
     "(HeRo gives no value; chosen: 20% over, where W_B rather than the filter arbitrates)"},
    {"batch_sizes", HS_PARAM_STR, "1,2,4,8,16,32", 0, 0,
     "Eq. 3 candidate batch sizes N_{m,k} (chosen: powers of two, as profiled offline)"},
    {"partition", HS_PARAM_BOOL, "true", 0, 0, "shape-aware sub-stage partition (Eq. 3)"},
    {"criticality", HS_PARAM_BOOL, "true", 0, 0, "criticality order (Eq. 4)"},
    {"concurrency", HS_PARAM_BOOL, "true", 0, 0, "bandwidth-aware concurrency control (Eq. 5)"},
    {"engine", HS_PARAM_STR, "profile", 0, 0,
     "engine preset applied to the profile before the run (hw/README.md, \"Engine presets\"); "
     "profile: the profile's own efficiencies -- HeRo's runtime is llama.cpp OpenCL + PowerServe "
     "(§6), and the snapdragon profiles are calibrated to HeteroInfer's runtime and PowerServe's NPU"},
    {NULL},
};

enum { HERO_MAX_BATCH_SIZES = 16, HERO_MAX_PARTS = 256, HERO_MEMO = 512 };

/* Eq. 3's answer for one item shape on one PU. */
typedef struct hero_memo {
    const hs_model *model;
    hs_slot slot;
    int64_t m, n, k, units;
    int pu;
    int64_t best;  /* n*; 0: empty entry */
} hero_memo;

/* A dispatched work not finished yet: the active set A(t). */
typedef struct hero_active {
    hs_work *w;
    double cs;
    double demand;   /* b_v(c) it holds in B(t); the sub-batches of one split run
                        one after another, so the first holds it and hands it on */
    int mem;         /* its PU's memory domain */
    uint64_t group;  /* the split (or the work) it belongs to */
} hero_active;

typedef struct hero {
    double alpha, beta, b_soft;
    bool partition, criticality, concurrency;
    int64_t nsizes, sizes[HERO_MAX_BATCH_SIZES];
    int npus;
    double *peak_flops, *beff;  /* [npus]: the roofline CS_L and CS_F convert with */
    double *demand;             /* [nmem]: B(t), the summed b_v(c) of the active works */
    hero_active *active;
    size_t nactive, active_cap;
    struct hero_ranked *ready;  /* scratch: R_tmp */
    size_t ready_cap;
    hero_memo memo[HERO_MEMO];
} hero;

/* Per request: the stages' scores, recomputed when G_obs grows. */
typedef struct hero_req {
    uint32_t n, cap;
    double *cost;   /* the stage's time on its fastest PU (s) */
    double *cs_f;   /* CS_F in seconds */
    double *cs;     /* CS = CS_L + beta * CS_F */
} hero_req;

/* ---- Helpers: the roofline on the fastest PU ------------------------------ */

/* Seconds that flops and bytes take on the PU that runs them fastest by
 * the profile's roofline (peak x compute_eff, effective bandwidth): how
 * both CS_L's stage costs and CS_F's expected FLOPs/bytes become time. */
static double fastest_roofline_s(const hero *h, double flops, double bytes)
{
    double best = INFINITY;
    for (int k = 0; k < h->npus; k++) {
        double t = fmax(h->peak_flops[k] > 0 ? flops / h->peak_flops[k] : INFINITY,
                        h->beff[k] > 0 ? bytes / h->beff[k] : INFINITY);
        best = fmin(best, t);
    }
    return isfinite(best) ? best : 0;
}

static double pu_peak_flops(const hs_pu *pu)
{
    double peak = 0;
    for (int d = 0; d < HS_DT_COUNT; d++)
        peak = fmax(peak, pu->peak[d]);
    return peak * pu->compute_eff;
}

/* ---- Eq. 4: criticality --------------------------------------------------- */

typedef struct stage_sum {
    const hs_hw *hw;
    const hero *h;
    double flops, bytes, fixed_s;
} stage_sum;

static int add_item(const hs_item *it, void *ctx)
{
    stage_sum *sum = ctx;
    if (it->kind == HS_ITEM_DELAY) {
        sum->fixed_s += it->delay_s;
    } else if (hs_item_is_fixed(it)) {
        double best = INFINITY;
        for (int k = 0; k < sum->h->npus; k++) {
            double t = hs_item_fixed_s(sum->hw, it, k);
            if (t >= 0)
                best = fmin(best, t);
        }
        sum->fixed_s += isfinite(best) ? best : 0;
    } else {
        sum->flops += it->k.flops;
        sum->bytes += it->k.bytes;
    }
    return 0;
}

/* A stage's cost in CS_L: its items' time on the fastest PU.  This is the
 * paper's "dependency-agnostic SJF-like" assignment: every node is costed
 * at its shortest latency, as the SJF heuristic would place it. */
static double stage_cost_s(hs_sched *s, const hero *h, const hs_request *dag, uint32_t id)
{
    stage_sum sum = {.hw = hs_sched_hw(s), .h = h};
    hs_request_stage_items(dag, id, add_item, &sum);
    return sum.fixed_s + fastest_roofline_s(h, sum.flops, sum.bytes);
}

/* CS_F: the expected work the template says follows the stage
 * (hs_req_expected_downstream), in seconds on the fastest PU. */
static double stage_future_s(const hero *h, const hs_req *r, uint32_t id)
{
    hs_work_expect e;
    if (hs_req_expected_downstream(r, id, &e) != 0)
        return 0;  /* a `dag` or `synthetic` request: no template, CS_F = 0 */
    return fastest_roofline_s(h, e.flops, e.bytes);
}

static int grow_req(hero_req *q, uint32_t n)
{
    if (n <= q->cap)
        return 0;
    uint32_t cap = q->cap ? q->cap : 8;
    while (cap < n)
        cap *= 2;
    double *cost = realloc(q->cost, cap * sizeof *cost);
    if (cost)
        q->cost = cost;
    double *cs_f = realloc(q->cs_f, cap * sizeof *cs_f);
    if (cs_f)
        q->cs_f = cs_f;
    double *cs = realloc(q->cs, cap * sizeof *cs);
    if (cs)
        q->cs = cs;
    if (!cost || !cs_f || !cs)
        return -1;
    q->cap = cap;
    return 0;
}

/* CS_L(v): v's cost plus the longest path of its revealed successors on
 * G_obs(t) -- the longest remaining path from v.  Memoised in cs (NAN:
 * not computed yet); the revealed graph is a DAG. */
static double longest_path_s(const hs_request *dag, hero_req *q, uint32_t v)
{
    if (!isnan(q->cs[v]))
        return q->cs[v];
    hs_dep out[16];
    size_t n = hs_request_outputs(dag, v, out, 16);
    hs_dep *deps = out;
    if (n > 16) {
        deps = malloc(n * sizeof *deps);
        if (!deps)
            return q->cost[v];
        hs_request_outputs(dag, v, deps, n);
    }
    double tail = 0;
    for (size_t i = 0; i < n; i++)
        if (deps[i].node < q->n)
            tail = fmax(tail, longest_path_s(dag, q, deps[i].node));
    if (deps != out)
        free(deps);
    q->cs[v] = q->cost[v] + tail;
    return q->cs[v];
}

/* Eq. 4 for every revealed stage of r: costs and CS_F of the new stages
 * (first .. n-1), then CS_L of all of them (a new stage lengthens the
 * paths of its producers), CS = CS_L + beta * CS_F. */
static void hero_rescore(hs_sched *s, hero *h, hs_req *r, uint32_t first)
{
    hero_req *q = hs_req_data(r);
    const hs_request *dag = hs_req_dag(r);
    uint32_t n = hs_req_nstages(r);
    if (grow_req(q, n) != 0) {
        hs_sched_fail(s, "out of memory scoring request %llu", (unsigned long long)hs_req_id(r));
        return;
    }
    for (uint32_t v = first; v < n; v++) {
        q->cost[v] = stage_cost_s(s, h, dag, v);
        q->cs_f[v] = stage_future_s(h, r, v);
    }
    q->n = n;
    for (uint32_t v = 0; v < n; v++)
        q->cs[v] = NAN;
    for (uint32_t v = 0; v < n; v++)
        longest_path_s(dag, q, v);
    for (uint32_t v = 0; v < n; v++)
        q->cs[v] += h->beta * q->cs_f[v];
}

/* CS of the work's stage; 0 with the criticality switch off (then every
 * work ties and ready order decides). */
static double work_cs(const hero *h, const hs_work *w)
{
    const hs_req *r = hs_work_req(w);
    if (!h->criticality || !r)
        return 0;
    const hero_req *q = hs_req_data(r);
    uint32_t v = hs_work_stage(w);
    return v < q->n ? q->cs[v] : 0;
}

/* ---- Eq. 3: shape-aware sub-stage partition ------------------------------- */

static hero_memo *memo_slot(hero *h, const hs_item *it, int pu)
{
    uint64_t key = (uint64_t)(uintptr_t)it->model * 31u + (uint64_t)it->slot;
    key = key * 1000003u + (uint64_t)it->k.m;
    key = key * 1000003u + (uint64_t)it->k.n;
    key = key * 1000003u + (uint64_t)it->k.k;
    key = key * 1000003u + (uint64_t)it->units;
    key = key * 31u + (uint64_t)pu;
    return &h->memo[(key ^ (key >> 29)) % HERO_MEMO];
}

static bool memo_matches(const hero_memo *e, const hs_item *it, int pu)
{
    return e->best && e->model == it->model && e->slot == it->slot && e->m == it->k.m &&
           e->n == it->k.n && e->k == it->k.k && e->units == it->units && e->pu == pu;
}

/* p0(n, k): the standalone time of a sub-batch of n of the item's L
 * sequences on PU k (the first part of a split into n and the rest). */
static double sub_batch_s(hs_sched *s, const hs_item *it, int64_t L, int64_t n, int pu)
{
    if (n >= L)
        return hs_predict_item(s, it, pu);
    int64_t sizes[2] = {n, L - n};
    hs_item parts[2];
    hs_err err = {0};
    if (hs_item_split(it, HS_SPLIT_BATCH, sizes, 2, parts, &err) != 0)
        return INFINITY;
    return hs_predict_item(s, &parts[0], pu);
}

/* Eq. 3: n* = argmin_{n in N} ceil(L / n) * p0(n, k), L the item's
 * sequences (HS_SPLIT_BATCH extent).  Candidates above L count as L (one
 * part).  Returns L (no split) for an item that does not batch-split or
 * with the partition switch off. */
static int64_t shape_aware_batch(hs_sched *s, hero *h, const hs_item *it, int pu)
{
    int64_t L = hs_item_split_extent(it, HS_SPLIT_BATCH);
    if (!h->partition || L <= 1)
        return L < 1 ? 1 : L;
    hero_memo *e = memo_slot(h, it, pu);
    if (memo_matches(e, it, pu))
        return e->best;
    int64_t best = L;
    double best_s = INFINITY;
    for (int64_t i = 0; i < h->nsizes; i++) {
        int64_t n = h->sizes[i] < L ? h->sizes[i] : L;
        int64_t parts = (L + n - 1) / n;
        if (parts > HERO_MAX_PARTS)
            continue;
        double t = (double)parts * sub_batch_s(s, it, L, n, pu);
        if (t < best_s) {  /* ties: the smaller n, listed first */
            best_s = t;
            best = n;
        }
    }
    *e = (hero_memo){it->model, it->slot, it->k.m, it->k.n, it->k.k, it->units, pu, best};
    return best;
}

/* ---- Eq. 5: bandwidth-aware concurrency control --------------------------- */

/* phi(B) of memory domain m (HeRo Eq. 1): the profile's curve, linear
 * between points and constant beyond; 1 without one. */
static double phi_curve(const hs_mem *m, double demand)
{
    if (m->nphi == 0 || demand <= m->phi_demand_bps[0])
        return m->nphi ? m->phi[0] : 1.0;
    for (size_t i = 1; i < m->nphi; i++)
        if (demand <= m->phi_demand_bps[i]) {
            double x0 = m->phi_demand_bps[i - 1], x1 = m->phi_demand_bps[i];
            return m->phi[i - 1] + (m->phi[i] - m->phi[i - 1]) * (demand - x0) / (x1 - x0);
        }
    return m->phi[m->nphi - 1];
}

/* The slowdown a memory-bound kernel sees at total demand B: the domain
 * delivers achievable / phi(B) (hw/hw.h), shared among the demands, so
 * max(1, B phi(B) / achievable). */
static double slowdown_at(const hs_mem *m, double demand)
{
    return fmax(1.0, demand * phi_curve(m, demand) / m->achievable_bps);
}

static const hs_mem *pu_mem(const hs_sched *s, int pu)
{
    return &hs_sched_hw(s)->mems[hs_pu_of(s, pu)->mem];
}

/* B(t) of PU pu's domain: the demands b_v(c) of the active set A(t), as
 * HeRo defines it (what the machine delivers, hs_bw_used_bps, is capped by
 * the bandwidth and would hide the oversubscription Eq. 5 measures). */
static double domain_demand(const hs_sched *s, const hero *h, int pu)
{
    return h->demand[hs_pu_of(s, pu)->mem];
}

/* v*: the active work of highest CS (ties: dispatched first); NULL when
 * nothing is active.  A ready v* is not running, so admitting c slows it
 * not: only an active v* can carry a penalty. */
static const hero_active *critical_active(const hero *h)
{
    const hero_active *best = NULL;
    for (size_t i = 0; i < h->nactive; i++)
        if (!best || h->active[i].cs > best->cs)
            best = &h->active[i];
    return best;
}

/* W_B of running c = (v, pu, demand b) beside v*.  The extraction of
 * Eq. 5 is garbled (phi_{v*}(B + b) (t - S_{v*}) p_{v*}); the form chosen
 * here is the delay c inflicts on v*'s remaining time R*:
 *     W_B = (sigma(B + b) / sigma(B) - 1) * R*,   R* = avail(pu*) - t,
 * sigma(B) = max(1, B phi(B) / achievable) the slowdown at demand B,
 * in seconds, so that alpha is dimensionless against F (Eq. 2), and 0
 * when v* is in another memory domain or absent.  It keeps both factors
 * the paper names (the contention slowdown, the critical node's
 * progress) and vanishes when c adds no contention. */
static double contention_penalty_s(const hs_sched *s, const hero *h, int pu, double b)
{
    const hero_active *vs = critical_active(h);
    if (!vs || !h->criticality)
        return 0;  /* no critical node to protect: only the B_soft filter acts */
    int vpu = hs_work_pu(vs->w);
    if (vpu < 0 || hs_pu_of(s, vpu)->mem != hs_pu_of(s, pu)->mem)
        return 0;
    const hs_mem *m = pu_mem(s, pu);
    double B = domain_demand(s, h, pu);
    double slow = slowdown_at(m, B + b) / slowdown_at(m, B) - 1;
    double remaining = fmax(0, hs_pu_available_at(s, vpu) - hs_now(s));
    return fmax(0, slow) * remaining;
}

/* ---- Configurations and Algorithm 1 --------------------------------------- */

typedef struct hero_config {
    int pu;            /* -1: none feasible */
    int64_t batch;     /* n* */
    double demand;     /* b(c), bytes/s */
    double score;      /* F(c) + alpha * W_B(c) */
} hero_config;

static bool pu_idle(const hs_sched *s, int pu)
{
    return hs_pu_queued(s, pu) == 0 && hs_pu_free_slots(s, pu) > 0;
}

/* F(c) of Eq. 2: start (PU free, inputs there) + ceil(L / n) * p0(n, k)
 * x the co-run slowdown hs_predict_now sees for the whole item now. */
static double finish_time(hs_sched *s, hs_work *w, int pu, int64_t n)
{
    double now_s = hs_predict_now(s, w, pu);
    if (!isfinite(now_s))
        return INFINITY;
    const hs_item *it = hs_work_item(w);
    int64_t L = hs_item_split_extent(it, HS_SPLIT_BATCH);
    double run = now_s;
    if (n < L) {
        double alone = hs_predict(s, w, pu);
        double slowdown = alone > 0 ? now_s / alone : 1;
        run = (double)((L + n - 1) / n) * sub_batch_s(s, it, L, n, pu) * slowdown;
    }
    double start = fmax(hs_now(s), fmax(hs_pu_available_at(s, pu), hs_input_ready_at(s, w, pu)));
    return start + run;
}

/* The best configuration of w over the PUs (idle ones only unless
 * `anywhere`), Eq. 5's filter applied when `filter`.  The penalty is >= 0,
 * so a PU whose F alone cannot beat the best score is skipped before its
 * bandwidth and memory are looked at. */
static hero_config best_config(hs_sched *s, hero *h, hs_work *w, bool anywhere, bool filter)
{
    hero_config best = {.pu = -1, .score = INFINITY};
    for (int pu = 0; pu < h->npus; pu++) {
        if (!anywhere && !pu_idle(s, pu))
            continue;
        int64_t n = shape_aware_batch(s, h, hs_work_item(w), pu);
        double score = finish_time(s, w, pu, n);  /* INFINITY: pu cannot run w */
        if (!(score < best.score))
            continue;
        double b = h->concurrency ? hs_work_bw_demand(s, w, pu) : 0;
        if (filter && h->concurrency &&
            domain_demand(s, h, pu) + b > h->b_soft * pu_mem(s, pu)->achievable_bps)
            continue;  /* Eq. 5: B(t) + b_v(c) > B_soft */
        if (h->concurrency)
            score += h->alpha * contention_penalty_s(s, h, pu, b);
        if (score < best.score && hs_mem_fits(s, w, pu))
            best = (hero_config){pu, n, b, score};
    }
    return best;
}

/* a joins A(t), its demand B(t).  -1: out of memory. */
static int track_active(hero *h, hero_active a)
{
    if (h->nactive == h->active_cap) {
        size_t cap = h->active_cap ? 2 * h->active_cap : 16;
        hero_active *grown = realloc(h->active, cap * sizeof *grown);
        if (!grown)
            return -1;
        h->active = grown;
        h->active_cap = cap;
    }
    h->active[h->nactive++] = a;
    h->demand[a.mem] += a.demand;
    return 0;
}

/* Dispatches w in configuration c: split into ceil(L / n*) sub-batches of
 * n* (the last holds the rest), all on c.pu; A(t) and B(t) updated. */
static void dispatch_config(hs_sched *s, hero *h, hs_work *w, const hero_config *c)
{
    double cs = work_cs(h, w);
    int64_t L = hs_item_split_extent(hs_work_item(w), HS_SPLIT_BATCH);
    hs_work *parts[HERO_MAX_PARTS];
    size_t nparts = 1;
    parts[0] = w;
    if (c->batch < L) {
        int64_t sizes[HERO_MAX_PARTS];
        nparts = 0;
        for (int64_t left = L; left > 0; left -= c->batch)
            sizes[nparts++] = left < c->batch ? left : c->batch;
        if (hs_split(s, w, HS_SPLIT_BATCH, sizes, nparts, parts) != 0)
            return;
    }
    int mem = hs_pu_of(s, c->pu)->mem;
    uint64_t group = hs_work_id(parts[0]);
    for (size_t i = 0; i < nparts; i++) {
        if (hs_dispatch(s, parts[i], c->pu) != 0)
            return;
        hero_active a = {parts[i], cs, i == 0 ? c->demand : 0, mem, group};
        if (track_active(h, a) != 0) {
            hs_sched_fail(s, "out of memory tracking work %llu",
                          (unsigned long long)hs_work_id(parts[i]));
            return;
        }
    }
}

/* A ready work with its CS, for R_tmp's order. */
typedef struct hero_ranked {
    double cs;
    uint64_t id;
    hs_work *w;
} hero_ranked;

static int by_cs_desc(const void *a, const void *b)
{
    const hero_ranked *x = a, *y = b;
    if (x->cs != y->cs)
        return x->cs > y->cs ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* R_tmp: the ready works by CS, highest first; ties (and every work with
 * the criticality switch off) in the order they became ready. */
static size_t ready_by_cs(hs_sched *s, hero *h)
{
    size_t n = hs_ready_count(s);
    if (n > h->ready_cap) {
        hero_ranked *r = realloc(h->ready, n * sizeof *r);
        if (!r)
            return 0;
        h->ready = r;
        h->ready_cap = n;
    }
    size_t i = 0;
    for (hs_work *w = hs_ready_first(s); w && i < n; w = hs_ready_next(s, w))
        h->ready[i++] = (hero_ranked){work_cs(h, w), hs_work_id(w), w};
    if (h->criticality && i > 1)
        qsort(h->ready, i, sizeof *h->ready, by_cs_desc);
    return i;
}

static bool any_idle_pu(const hs_sched *s, int npus)
{
    for (int pu = 0; pu < npus; pu++)
        if (pu_idle(s, pu))
            return true;
    return false;
}

static bool machine_empty(const hs_sched *s, int npus)
{
    for (int pu = 0; pu < npus; pu++)
        if (hs_pu_running(s, pu) + hs_pu_queued(s, pu) > 0)
            return false;
    return true;
}

/* The run never stalls: when Eq. 5 left every PU idle and nothing runs
 * (so no completion will come to lower B(t) and call us again) the most
 * critical ready work goes, filter ignored, to its best PU.  A work no PU
 * can run fails the run. */
static void dispatch_anyway(hs_sched *s, hero *h, size_t nready)
{
    for (size_t i = 0; i < nready; i++) {
        hero_config c = best_config(s, h, h->ready[i].w, true, false);
        if (c.pu >= 0) {
            dispatch_config(s, h, h->ready[i].w, &c);
            return;
        }
    }
    hs_work *w = h->ready[0].w;
    hs_sched_fail(s, "no PU can run work %llu (%s, stage %u): an op no PU of the profile supports, or more memory than any domain holds",
                  (unsigned long long)hs_work_id(w), hs_slot_name(hs_work_item(w)->slot),
                  hs_work_stage(w));
}

static void hero_schedule(hs_sched *s, void *state)
{
    hero *h = state;
    if (hs_ready_count(s) == 0 || !any_idle_pu(s, h->npus))
        return;
    size_t nready = ready_by_cs(s, h);
    size_t dispatched = 0;
    for (size_t i = 0; i < nready && any_idle_pu(s, h->npus); i++) {
        hero_config c = best_config(s, h, h->ready[i].w, false, true);
        if (c.pu < 0)
            continue;  /* no feasible configuration: drop v_cand from R_tmp */
        dispatch_config(s, h, h->ready[i].w, &c);
        dispatched++;
    }
    if (!dispatched && nready && machine_empty(s, h->npus))
        dispatch_anyway(s, h, nready);
}

/* ---- Hooks ---------------------------------------------------------------- */

static int parse_batch_sizes(hero *h, const char *text, hs_err *err)
{
    const char *p = text;
    h->nsizes = 0;
    while (*p) {
        char *end;
        long long v = strtoll(p, &end, 10);
        if (end == p || v < 1 || h->nsizes == HERO_MAX_BATCH_SIZES) {
            hs_errf(err, "hero: batch_sizes '%s': expected up to %d positive integers, comma-separated",
                    text, HERO_MAX_BATCH_SIZES);
            return -1;
        }
        h->sizes[h->nsizes++] = v;
        p = end;
        while (*p == ',' || *p == ' ')
            p++;
    }
    if (h->nsizes == 0) {
        hs_errf(err, "hero: batch_sizes is empty");
        return -1;
    }
    return 0;
}

static void free_req_data(hs_req *r)
{
    hero_req *q = hs_req_data(r);
    if (!q)
        return;
    free(q->cost);
    free(q->cs_f);
    free(q->cs);
    free(q);
    hs_req_set_data(r, NULL);
}

static void hero_fini(hs_sched *s, void *state)
{
    hero *h = state;
    if (!h)
        return;
    for (hs_req *r = hs_req_first(s); r; r = hs_req_next(s, r))
        free_req_data(r);  /* requests still in flight (a failed or cut-short run) */
    free(h->peak_flops);
    free(h->beff);
    free(h->demand);
    free(h->active);
    free(h->ready);
    free(h);
}

/* Reads the parameters and the profile's roofline into h. */
static int hero_setup(hs_sched *s, hero *h, hs_err *err)
{
    h->alpha = hs_param_f64(s, "alpha");
    h->beta = hs_param_f64(s, "beta");
    h->b_soft = hs_param_f64(s, "b_soft");
    h->partition = hs_param_bool(s, "partition");
    h->criticality = hs_param_bool(s, "criticality");
    h->concurrency = hs_param_bool(s, "concurrency");
    if (parse_batch_sizes(h, hs_param_str(s, "batch_sizes"), err) != 0)
        return -1;
    const hs_hw *hw = hs_sched_hw(s);
    h->npus = hs_npus(s);
    h->peak_flops = calloc((size_t)h->npus, sizeof *h->peak_flops);
    h->beff = calloc((size_t)h->npus, sizeof *h->beff);
    h->demand = calloc(hw->nmem ? hw->nmem : 1, sizeof *h->demand);
    if (!h->peak_flops || !h->beff || !h->demand)
        return hs_errf(err, "hero: out of memory"), -1;
    for (int k = 0; k < h->npus; k++) {
        h->peak_flops[k] = pu_peak_flops(hs_pu_of(s, k));
        h->beff[k] = hs_hw_beff(hw, k);
    }
    return 0;
}

/* A refused init gets no fini: the state is freed here. */
static int hero_init(hs_sched *s, void **state, hs_err *err)
{
    hero *h = calloc(1, sizeof *h);
    if (!h)
        return hs_errf(err, "hero: out of memory"), -1;
    if (hero_setup(s, h, err) != 0) {
        hero_fini(s, h);
        return -1;
    }
    *state = h;
    return 0;
}

static void hero_request_arrived(hs_sched *s, void *state, hs_req *r)
{
    hero_req *q = calloc(1, sizeof *q);
    if (!q) {
        hs_sched_fail(s, "out of memory for request %llu", (unsigned long long)hs_req_id(r));
        return;
    }
    hs_req_set_data(r, q);
    hero_rescore(s, state, r, 0);
}

/* G_obs(t) grew: Eq. 4 again (Alg. 1: "recompute CS for R and A"). */
static void hero_stage_revealed(hs_sched *s, void *state, hs_req *r, uint32_t first)
{
    hero_rescore(s, state, r, first);
}

/* w left A(t): its demand leaves B(t), or passes to the next sub-batch of
 * its split still active. */
static void hero_work_done(hs_sched *s, void *state, hs_work *w)
{
    hero *h = state;
    size_t i = 0;
    while (i < h->nactive && h->active[i].w != w)
        i++;
    if (i == h->nactive)
        return;
    hero_active done = h->active[i];
    h->active[i] = h->active[--h->nactive];
    for (size_t j = 0; j < h->nactive; j++)
        if (h->active[j].group == done.group) {
            h->active[j].demand += done.demand;
            return;
        }
    h->demand[done.mem] -= done.demand;
    if (h->nactive == 0)
        memset(h->demand, 0, hs_sched_hw(s)->nmem * sizeof *h->demand);  /* no drift */
}

static void hero_request_done(hs_sched *s, void *state, hs_req *r)
{
    (void)s;
    (void)state;
    free_req_data(r);
}

const hs_policy_ops hs_policy_hero = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "hero",
    .description = "HeRo (Alg. 1): shape-aware sub-batches, criticality CS_L + beta CS_F, "
                   "bandwidth-aware concurrency",
    .params = hero_params,
    .init = hero_init,
    .fini = hero_fini,
    .request_arrived = hero_request_arrived,
    .stage_revealed = hero_stage_revealed,
    .work_done = hero_work_done,
    .request_done = hero_request_done,
    .schedule = hero_schedule,
};
