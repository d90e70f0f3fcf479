/* hetsoc policy `hedrarag`: HedraRAG's coordination of LLM generation and
 * database retrieval in heterogeneous RAG serving (Hu et al., SOSP'25,
 * arXiv 2507.09138, §4; public artifact Leo9660/HedraRAG_AE; digest in
 * seed-systems.md §4).
 *
 * RAGraph wavefront (§4.1).  Each scheduling cycle (schedule(): the
 * engine's next completion, arrival or reveal) sees the runnable
 * sub-stages of every pending request at once -- the ready list -- and
 * applies the graph transformations to them:
 *   node splitting   a retrieval's IVF scan is cut into cluster minibatch
 *                    parts (hs_split along HS_SPLIT_CLUSTERS, lazily: each
 *                    sub-stage cuts the next c clusters off what is left);
 *                    a generation into decode steps (`granularity: step`);
 *   reordering       a request's later search scans the clusters that held
 *                    its previous search's results first (H_v ∩ C'), then
 *                    those assigned to it ((C - H_v) ∩ C'), then the rest,
 *                    after probing its cached top-local_topk (§4.2.2;
 *                    first_sight, hs_search_reorder; the model of where
 *                    the hits then fall: workloads.h, "Similarity order");
 *                    an early-terminated search leaves the wavefront
 *                    (§4.2.2, terminate_early);
 *   edge addition    speculative edges (hs_speculate: generation from a
 *                    partial top-k, retrieval from a partial generation);
 *   rewiring         the engine's rollback when the final top-k differs.
 *
 * §4.2 item 1, sub-stage pipelining (retrieval_substage, gen_substage):
 *   the retrieval worker (CPU) and the generation worker (GPU) step in
 *   lockstep, as the artifact's executor loop (one vLLM step(), one Faiss
 *   step()): whenever a worker is free it takes one sub-stage --
 *   generation: one decode step of every admitted sequence, batched
 *   (continuous batching, hs_batch of `step` items, at most max_num_seqs);
 *   retrieval: c clusters of each pending search, batched across requests
 *   (hs_batch of the parts, at most retrieval_batch requests), where
 *     budget count: c = nprobe_minibatch (the artifact's fixed count);
 *     budget time:  clusters are added to the sub-stage until its time
 *       reaches mb = sqrt(2 t_R beta) (derivation at time_budget_s).
 *   Per-request top-k heaps merge across steps: the engine's join of the
 *   parts.
 *
 * §4.2 item 2, similarity-aware reordering and speculation (speculate):
 *   reordering -- each whole scan, when first seen and before any
 *     cluster is searched, is put in similarity order (first_sight), with
 *     the previous search's 20 best results (local_topk) probed first, so
 *     hits move forward and early termination comes sooner ("up to 28%
 *     earlier ANNS termination", §4.2.2);
 *   early termination -- a search whose running top-k has not changed
 *     over the last term_window clusters (hs_req_search_progress) ends:
 *     hs_search_drop_rest drops its unsearched clusters, and it returns
 *     the top-k of those it searched (a hit in a dropped cluster is lost:
 *     the recall early termination risks); its consumer starts then;
 *   speculative generation -- while the generation sub-stage's throughput
 *     ratio T_curr / T_max < tau, generations of partially searched
 *     requests start from their partial top-k, at most spec_total_size a
 *     cycle (the artifact's spec_total_size 8), the settled searches first
 *     (those whose top-k stopped moving), then the furthest searched;
 *   speculative retrieval -- while the retrieval worker's ratio is under
 *     tau, the encode and search of a request whose generation has
 *     emitted spec_gen_share of its tokens start from that partial text;
 *   rollback when the final top-k differs: the engine's (wasted work
 *     counted in the run's wasted_* columns).
 *   Baselines (§6, Fig. 16): speculation ralmspec (every search's
 *   consumer speculated after its first sub-stage, no trigger), ragcache
 *   (after ragcache_steps = 4 sub-stages), off.
 *
 * §4.2 item 3, partial GPU index caching: hedrarag_cache.c.  Each
 *   retrieval sub-stage sends the cached share of every request's
 *   clusters to the GPU (refreshed every refresh_substages sub-stages)
 *   and the rest to the CPU; the join merges them.
 *
 * Profiles.  Generation goes to the first GPU, else the first NPU, else
 * the CPU; retrieval to the first CPU (without one: the first PU that is
 * not the generation PU; a one-PU profile runs both workers on its PU).
 * One memory domain: no index cache (the GPU reads the index in place).
 * Work other than search and generation (the query encoder) goes to the
 * generation worker; work a worker cannot run (or hold) goes to the PU
 * that finishes it first (EFT).  Any granularity is accepted; generation
 * batches per decode step only at `granularity: step` (at layer or op granularity the items
 * of one layer batch; at stage granularity a whole decode never batches).
 *
 * Cost.  No walk of the ready list: the policy's own per-worker index of
 * it (hedrarag_ready.c), read only when work became ready or a worker is
 * free; the generation sub-stage passes over the items of another batch
 * key without reading them; per-request
 * state is touched only by that request's work; the decode curve is
 * memoised per batch size.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policies/hedrarag.h"

/* ---- Parameters ----------------------------------------------------------- */
static const hs_param_spec hedrarag_params[] = {
    {"budget", HS_PARAM_STR, "time", 0, 0,
     "retrieval sub-stage size: `time` (§4.2.1's dynamic budget mb = sqrt(2 t_R beta)) or "
     "`count` (the artifact's fixed nprobe_minibatch clusters per request)"},
    {"nprobe_minibatch", HS_PARAM_I64, "32", 1, 1e9,
     "clusters per request per sub-stage under budget count (artifact evaluation scripts: "
     "(nprobe, minibatch) = (256, 32))"},
    {"beta_us", HS_PARAM_F64, "500", 0, 1e9,
     "beta, the CPU overhead of one sub-stage (scheduling, heap merging) in mb = sqrt(2 t_R "
     "beta) (§4.2.1 gives no value; chosen: a Python-side Faiss step)"},
    {"retrieval_batch", HS_PARAM_I64, "64", 1, 1e9,
     "requests per retrieval sub-stage (artifact max_retrieval_batch 64)"},
    {"max_num_seqs", HS_PARAM_I64, "256", 1, 65536,
     "sequences per generation sub-stage (vLLM 0.6.6's default max_num_seqs)"},
    {"speculation", HS_PARAM_STR, "hedrarag", 0, 0,
     "`hedrarag` (§4.2.2), `ralmspec` (RaLMSpec-like: after every first sub-stage), `ragcache` "
     "(RAGCache-like: after ragcache_steps sub-stages), `off` (§6 Fig. 16 baselines)"},
    {"tau", HS_PARAM_F64, "0.8", 0, 1,
     "speculate while the next sub-stage's throughput ratio T_curr / T_max < tau (§4.2.2 gives no "
     "value; chosen)"},
    {"spec_total_size", HS_PARAM_I64, "8", 1, 1e9,
     "speculations started per cycle (artifact hete_engine_spec.py spec_total_size 8)"},
    {"ragcache_steps", HS_PARAM_I64, "4", 1, 1e9,
     "sub-stages before a RAGCache-like speculation (artifact's RAGCache baseline: 4)"},
    {"spec_retrieval", HS_PARAM_BOOL, "true", 0, 0,
     "speculative retrieval from partial generations (§4.2.2)"},
    {"spec_gen_share", HS_PARAM_F64, "0.5", 0, 1,
     "share of a generation's tokens before its speculative retrieval (§4.2.2: partial "
     "generations of 22-50% of the tokens land in the final top-1 range; the upper figure)"},
    {"early_termination", HS_PARAM_BOOL, "true", 0, 0,
     "end a search for its consumer once its top-k is stable (§4.2.2, up to 28% earlier)"},
    {"reorder", HS_PARAM_BOOL, "true", 0, 0,
     "similarity-aware cluster order: a later search scans the clusters holding its request's "
     "previous results first, then those assigned before, then the rest (§4.2.2; off: probe order)"},
    {"local_topk", HS_PARAM_I64, "20", 0, 1e6,
     "results of a request's previous search cached and probed first by its next search "
     "(§4.2.2: a larger top-k, 20; 0: no cache probe; used with reorder)"},
    {"term_window", HS_PARAM_I64, "64", 1, 1e9,
     "clusters without a top-k change that end a search early (no value in the paper; chosen: "
     "a quarter of nprobe 256)"},
    {"index_cache", HS_PARAM_STR, "curves", 0, 0,
     "GPU index cache: `curves` (§4.2.3 argmax_KV min{T_G, T_R}), `artifact` ((1 - "
     "gpu_memory_utilization) x 0.6 x 80 GB), `off`"},
    {"gpu_memory_utilization", HS_PARAM_F64, "0.8", 0, 1, "artifact evaluation scripts: 0.8"},
    {"index_share", HS_PARAM_F64, "0.6", 0, 1,
     "share of vLLM's leftover for the index (artifact hete_engine_spec_onloading.py: 0.6)"},
    {"artifact_gpu_gb", HS_PARAM_F64, "80", 0, 1e6, "the artifact's GPU size (H100 80 GB)"},
    {"refresh_substages", HS_PARAM_I64, "50", 1, 1e9,
     "sub-stages between index-cache refreshes (§4.2.3: every 50 sub-stages)"},
    {"split_grid", HS_PARAM_I64, "64", 1, 4096,
     "KV sizes tried by the KV / index split (chosen: 64 points of the curve)"},
    {"engine", HS_PARAM_STR, "vllm", 0, 0,
     "engine preset applied to the profile before the run (hw/README.md, \"Engine presets\"); "
     "vllm: HedraRAG generates with vLLM 0.6.6 and searches with Faiss 1.9.0 (§6)"},
    {NULL},
};

typedef enum hr_budget { HR_BUDGET_TIME, HR_BUDGET_COUNT } hr_budget;
typedef enum hr_spec { HR_SPEC_HEDRARAG, HR_SPEC_RALMSPEC, HR_SPEC_RAGCACHE, HR_SPEC_OFF } hr_spec;

typedef struct hedra {
    hr_budget budget;
    hr_spec spec;
    int64_t nprobe_minibatch, retrieval_batch, spec_total_size, ragcache_steps, term_window;
    int64_t refresh_substages, local_topk;
    double beta_s, tau, spec_gen_share;
    bool early_termination, spec_retrieval, reorder;
    int cpu, gen;                  /* retrieval worker, generation worker */
    double t_r_sum, clusters_sum;  /* t_R: whole-scan times measured so far, their clusters */
    int64_t t_r_n;
    int64_t substages;             /* retrieval sub-stages dispatched */
    int64_t decode_batch;          /* sequences in the last generation sub-stage */
    int64_t fresh;                 /* works announced ready since the last cycle */
    double kv_reserved;            /* KV bytes the admitted generations reserve (admit_kv) */
    hr_cache cache;
    hr_ready ready;                /* the READY works by worker (hedrarag_ready.c) */
    hs_work **scans, **cpu_parts, **gpu_parts;  /* scratch, cap entries each */
    struct hr_cand *cands;
    size_t cap;
} hedra;

/* Per request. */
typedef struct hr_req {
    uint32_t search;      /* the search stage the sub-stage count is for */
    int64_t substeps;     /* its retrieval sub-stages finished (RAGCache's trigger) */
    double kv_reserved;   /* KV bytes its admitted generations reserve (under a KV budget) */
    uint32_t nkv;         /* stages ids < nkv looked at for a reservation */
    uint8_t *kv_done;     /* [nkv]: the stage's KV is reserved */
    bool speculated;      /* a stage of it was speculated: a rollback may withdraw its work */
} hr_req;

/* ---- Helpers -------------------------------------------------------------- */

static bool worker_free(const hs_sched *s, int pu)
{
    return pu >= 0 && hs_pu_queued(s, pu) == 0 && hs_pu_free_slots(s, pu) > 0;
}

static bool is_scan(const hs_item *it)
{
    return it->phase == HS_PHASE_SEARCH && it->slot == HS_SLOT_SCAN;
}

static const hs_stage_info *stage_of(const hs_req *r, uint32_t id)
{
    return hs_request_node(hs_req_dag(r), id);
}

static bool speculable(const hs_stage_info *si)
{
    return si && si->state == HS_NODE_PENDING && !si->speculative && si->rollbacks == 0;
}

/* The PU that finishes w first (EFT), among those where it fits; -1 none. */
static int eft_pu(hs_sched *s, hs_work *w)
{
    int best = -1;
    double best_t = INFINITY;
    for (int pu = 0; pu < hs_npus(s); pu++) {
        double t = hs_predict(s, w, pu);
        if (!isfinite(t) || !hs_mem_fits(s, w, pu))
            continue;
        t += fmax(hs_pu_available_at(s, pu), hs_input_ready_at(s, w, pu));
        if (t < best_t) {
            best_t = t;
            best = pu;
        }
    }
    return best;
}

/* Dispatches w to pu, or to its EFT PU when pu cannot take it now; leaves
 * it READY (and indexed) when nothing fits (a later completion frees
 * memory). */
static void place(hs_sched *s, hedra *h, hs_work *w, int pu)
{
    if (pu < 0 || !isfinite(hs_predict(s, w, pu)) || !hs_mem_fits(s, w, pu))
        pu = eft_pu(s, w);
    if (pu < 0)
        return;
    hr_ready_take(&h->ready, w);
    hs_dispatch(s, w, pu);
}

/* hs_speculate, noting that r's work may now be withdrawn by a rollback. */
static int speculate(hs_sched *s, hs_req *r, uint32_t stage)
{
    hr_req *q = hs_req_data(r);
    if (q)
        q->speculated = true;
    return hs_speculate(s, r, stage);
}

/* ---- §4.2.1: the retrieval sub-stage budget --------------------------------
 * Retrievals arrive evenly; one that arrives while a sub-stage of length
 * mb runs waits mb / 2 on average instead of t_R / 2 for a whole stage,
 * and a stage of t_R is cut into t_R / mb sub-stages, each costing beta of
 * overhead.  The paper prints the gain as Δl = (t_R - mb)/2 + (t_R/mb)·β,
 * whose β term has the wrong sign (it is overhead); implemented as wait
 * reduction minus overhead:
 *     Δl(mb) = (t_R - mb) / 2 - (t_R / mb) β
 *     dΔl/dmb = -1/2 + t_R β / mb² = 0   =>   mb = sqrt(2 t_R β)
 * (d²Δl/dmb² = -2 t_R β / mb³ < 0: a maximum), capped at t_R.  t_R is the
 * mean whole-scan time of the retrievals seen so far on the retrieval PU. */
static double time_budget_s(const hedra *h)
{
    if (h->t_r_n == 0)
        return 0;
    double t_r = h->t_r_sum / (double)h->t_r_n;
    return fmin(t_r, sqrt(2 * t_r * h->beta_s));
}

/* Clusters each of n requests adds to the next sub-stage. */
static int64_t clusters_per_request(const hedra *h, size_t n)
{
    if (h->budget == HR_BUDGET_COUNT || h->t_r_n == 0 || h->clusters_sum <= 0)
        return h->nprobe_minibatch;
    double per_cluster = h->t_r_sum / h->clusters_sum;   /* one request, one cluster */
    double c = floor(time_budget_s(h) / (per_cluster * (double)n));
    return c < 1 ? 1 : (int64_t)c;
}

/* A whole scan seen for the first time (marked through its work data):
 * with `reorder`, its clusters are put in similarity order (§4.2.2,
 * hs_search_reorder: the clusters of the request's previous hits first,
 * after a probe of its cached top-local_topk), before any is searched;
 * its standalone time on the retrieval PU joins t_R. */
static void first_sight(hs_sched *s, hedra *h, hs_work *w)
{
    if (hs_work_is_part(w) || hr_ready_measured(w))
        return;
    if (h->reorder && hs_work_req(w) &&
        hs_search_reorder(s, hs_work_req(w), hs_work_stage(w), h->local_topk, NULL) != 0)
        return;
    double t = hs_predict(s, w, h->cpu);
    if (!isfinite(t))
        return;
    h->t_r_sum += t;
    h->clusters_sum += (double)hs_item_split_extent(hs_work_item(w), HS_SPLIT_CLUSTERS);
    h->t_r_n++;
}

/* ---- §4.2.2: early termination, speculation ------------------------------ */

/* The search stage of scan w: settled (top-k unchanged over the last
 * term_window clusters searched), and how far it is. */
static bool search_settled(const hedra *h, hs_work *w, double *searched_share)
{
    hs_search_progress p;
    if (hs_req_search_progress(hs_work_req(w), hs_work_stage(w), h->term_window, &p) != 0 ||
        p.clusters <= 0) {
        *searched_share = 0;
        return false;
    }
    *searched_share = (double)p.searched / (double)p.clusters;
    return !p.changed;   /* past rank 0 too, where the empty heap fills */
}

/* Speculates every speculable consumer of stage `stage` of r; the number
 * started. */
static int speculate_consumers(hs_sched *s, hs_req *r, uint32_t stage)
{
    hs_dep out[8];
    size_t n = hs_request_outputs(hs_req_dag(r), stage, out, 8);
    int started = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        if (speculable(stage_of(r, out[i].node)) && speculate(s, r, out[i].node) == 0)
            started++;
    return started;
}

/* T_curr / T_max of the generation worker: decode throughput at the
 * current batch over that at max_num_seqs. */
static double generation_ratio(hs_sched *s, hedra *h, int64_t extra)
{
    double t_max = hr_decode_throughput(s, &h->cache, h->cache.max_num_seqs);
    if (t_max <= 0)
        return 0;
    return hr_decode_throughput(s, &h->cache, h->decode_batch + extra) / t_max;
}

/* The speculation candidates' order: settled first, then furthest. */
typedef struct hr_cand {
    hs_work *w;
    bool settled;
    double share;
} hr_cand;

static int by_closeness(const void *a, const void *b)
{
    const hr_cand *x = a, *y = b;
    if (x->settled != y->settled)
        return x->settled ? -1 : 1;
    if (x->share != y->share)
        return x->share > y->share ? -1 : 1;
    return hs_work_id(x->w) < hs_work_id(y->w) ? -1 : 1;
}

/* Whether scan w's consumer may be speculated under the baseline modes
 * (RaLMSpec: after its first sub-stage; RAGCache: after ragcache_steps). */
static bool baseline_due(const hedra *h, hs_work *w)
{
    const hr_req *q = hs_req_data(hs_work_req(w));
    int64_t done = q && q->search == hs_work_stage(w) ? q->substeps : 0;
    return done >= (h->spec == HR_SPEC_RALMSPEC ? 1 : h->ragcache_steps);
}

/* Early termination (§4.2.2): settled search w's remaining clusters are
 * dropped (hs_search_drop_rest): it ends with the clusters searched or
 * being searched, and its consumer starts when they are done. */
static void terminate_early(hs_sched *s, hedra *h, hs_work *w)
{
    hr_ready_take(&h->ready, w);
    hs_search_drop_rest(s, hs_work_req(w), hs_work_stage(w));
}

/* Early termination and speculative generation over the searches in
 * progress (scans[0..*n), each a request's remaining clusters); the
 * searches ended early leave scans (*n shrinks, the order kept). */
static void speculate_generation(hs_sched *s, hedra *h, size_t *n)
{
    hr_cand *c = h->cands;
    size_t nc = 0, kept = 0;
    for (size_t i = 0; i < *n; i++) {
        hs_work *w = h->scans[i];
        double share;
        bool settled = search_settled(h, w, &share);
        if (h->early_termination && settled) {
            terminate_early(s, h, w);
            continue;
        }
        h->scans[kept++] = w;
        if (share <= 0)
            continue;
        if (h->spec == HR_SPEC_OFF)
            continue;
        if (h->spec != HR_SPEC_HEDRARAG) {
            if (baseline_due(h, w))
                speculate_consumers(s, hs_work_req(w), hs_work_stage(w));
            continue;
        }
        c[nc++] = (hr_cand){w, settled, share};
    }
    *n = kept;
    if (nc > 1)
        qsort(c, nc, sizeof *c, by_closeness);
    int64_t started = 0;
    for (size_t i = 0; i < nc && started < h->spec_total_size; i++) {
        if (generation_ratio(s, h, started) >= h->tau)
            break;   /* the generation worker is busy enough: add until tau is reached */
        started += speculate_consumers(s, hs_work_req(c[i].w), hs_work_stage(c[i].w));
    }
}

/* Speculative retrieval: for generation work whose stage has emitted
 * spec_gen_share of its tokens, the encode (embed) stage it feeds and the
 * search that one feeds start now, while the retrieval worker's ratio
 * (searches in progress / retrieval_batch) is under tau. */
static void speculate_retrieval(hs_sched *s, hedra *h, size_t nscans, uint64_t horizon)
{
    int64_t started = 0;
    hr_entry *next;
    for (hr_entry *x = hr_ready_first(&h->ready, HR_LIST_GENS);
         hr_ready_before(x, horizon) && started < h->spec_total_size; x = next) {
        next = hr_ready_next(x);
        if ((double)(nscans + (size_t)started) / (double)h->retrieval_batch >= h->tau)
            return;
        if (hr_ready_feeds_no_encoder(x))
            continue;
        hs_work *w = hr_ready_live(&h->ready, x);
        hs_req *r = w ? hs_work_req(w) : NULL;
        if (!r)
            continue;
        const hs_stage_info *g = stage_of(r, hs_work_stage(w));
        hs_dep enc[4];
        size_t ne = hs_request_outputs(hs_req_dag(r), g->id, enc, 4);
        if (ne == 0)
            hr_ready_set_feeds_no_encoder(x);   /* a last stage: not looked at again for this item */
        if (ne == 0 || g->speculative || g->output <= 0 ||
            (double)g->tokens_out < h->spec_gen_share * (double)g->output)
            continue;
        for (size_t e = 0; e < ne && e < 4; e++) {
            const hs_stage_info *si = stage_of(r, enc[e].node);
            if (si->kind != HS_STAGE_EMBED || !speculable(si))
                continue;
            hs_dep srch[4];
            size_t ns = hs_request_outputs(hs_req_dag(r), si->id, srch, 4);
            if (speculate(s, r, si->id) != 0)
                return;
            for (size_t k = 0; k < ns && k < 4; k++)
                if (stage_of(r, srch[k].node)->kind == HS_STAGE_SEARCH &&
                    speculable(stage_of(r, srch[k].node)))
                    speculate(s, r, srch[k].node);
            started++;
        }
    }
}

/* ---- §4.2.1 + §4.2.3: one retrieval sub-stage ------------------------------ */

/* Cuts c clusters off scan w (the rest stays READY for later sub-stages)
 * and, with a usable index cache, their cached share g = round(h c) off
 * those for the GPU.  Appends the CPU and GPU parts. */
static int cut_substage(hs_sched *s, hedra *h, hs_work *w, int64_t c, double hit, size_t *ncpu,
                        size_t *ngpu)
{
    int64_t extent = hs_item_split_extent(hs_work_item(w), HS_SPLIT_CLUSTERS);
    int64_t take = c < extent ? c : extent;
    int64_t gpu = (int64_t)llround(hit * (double)take);
    hs_work *parts[2];
    int64_t sizes[2] = {take, extent - take};
    hr_ready_take(&h->ready, w);
    if (hs_split(s, w, HS_SPLIT_CLUSTERS, sizes, take < extent ? 2 : 1, parts) != 0)
        return -1;
    hs_work *head = parts[0];
    if (gpu > 0 && gpu < take) {
        int64_t two[2] = {take - gpu, gpu};
        hr_ready_take(&h->ready, head);
        if (hs_split(s, head, HS_SPLIT_CLUSTERS, two, 2, parts) != 0)
            return -1;
        h->cpu_parts[(*ncpu)++] = parts[0];
        if (hr_cache_part_runs(s, &h->cache, parts[1]))
            h->gpu_parts[(*ngpu)++] = parts[1];
        else
            h->cpu_parts[(*ncpu)++] = parts[1];
    } else if (gpu > 0 && hr_cache_part_runs(s, &h->cache, head)) {
        h->gpu_parts[(*ngpu)++] = head;
    } else {
        h->cpu_parts[(*ncpu)++] = head;
    }
    return 0;
}

/* Batches parts[0..n) into one minibatch (n >= 2) and dispatches it. */
static void dispatch_minibatch(hs_sched *s, hedra *h, hs_work **parts, size_t n, int pu)
{
    hs_work *b = parts[0];
    for (size_t i = 0; n > 1 && i < n; i++)
        hr_ready_take(&h->ready, parts[i]);
    if (n > 1 && hs_batch(s, parts, n, &b) != 0)
        return;
    if (n > 0)
        place(s, h, b, pu);
}

static void retrieval_substage(hs_sched *s, hedra *h, size_t n)
{
    if (n == 0)
        return;
    size_t take = n < (size_t)h->retrieval_batch ? n : (size_t)h->retrieval_batch;
    int64_t c = clusters_per_request(h, take);
    if (h->substages % h->refresh_substages == 0)
        hr_cache_refresh(s, &h->cache, h->scans[0]);   /* §4.2.3: refreshed every 50 */
    h->substages++;
    size_t ncpu = 0, ngpu = 0;
    for (size_t i = 0; i < take; i++)
        if (cut_substage(s, h, h->scans[i], c, h->cache.hit_rate, &ncpu, &ngpu) != 0)
            return;
    dispatch_minibatch(s, h, h->cpu_parts, ncpu, h->cpu);
    dispatch_minibatch(s, h, h->gpu_parts, ngpu, h->cache.gpu);
}

/* ---- §4.2.1: one generation sub-stage (continuous batching) --------------- */

/* KV bytes of the whole generation of stage si of r (its context after
 * the last token). */
static double stage_kv_bytes(const hs_stage_info *si)
{
    return hs_model_kv_bytes_per_token(si->model) * (double)(si->context + si->prompt + si->output);
}

/* Under a KV budget (the §4.2.3 split), a generation is admitted only when
 * its whole KV fits beside what the admitted ones reserve: vLLM's
 * admission, so that admitted sequences never run out of KV mid-decode. */
static bool admit_kv(hedra *h, hs_work *w)
{
    hs_req *r = hs_work_req(w);
    if (!isfinite(h->cache.kv_bytes) || h->cache.kv_bytes <= 0 || !r)
        return true;
    hr_req *q = hs_req_data(r);
    uint32_t st = hs_work_stage(w);
    if (st < q->nkv && q->kv_done[st])
        return true;
    const hs_stage_info *si = stage_of(r, st);
    double need = stage_kv_bytes(si);
    if (h->kv_reserved + need > h->cache.kv_bytes)
        return false;
    if (st >= q->nkv) {
        uint32_t n = hs_req_nstages(r);
        uint8_t *grown = realloc(q->kv_done, n);
        if (!grown)
            return false;
        memset(grown + q->nkv, 0, n - q->nkv);
        q->kv_done = grown;
        q->nkv = n;
    }
    q->kv_done[st] = 1;
    q->kv_reserved += need;
    h->kv_reserved += need;
    return true;
}

/* The first admitted generation item in ready order and, after it, every
 * one batchable with it and admitted, up to max_num_seqs (items of
 * another batch key are passed over unread), among those ready before
 * the cycle began. */
static void gen_substage(hs_sched *s, hedra *h, uint64_t horizon)
{
    size_t k = 0;
    hs_work *first = NULL;
    uint64_t key = 0;
    hr_entry *next;
    for (hr_entry *e = hr_ready_first(&h->ready, HR_LIST_GENS);
         hr_ready_before(e, horizon) && k < (size_t)h->cache.max_num_seqs; e = next) {
        next = hr_ready_next(e);
        if (first && hr_ready_key(e) != key)
            continue;   /* not batchable with the first */
        hs_work *w = hr_ready_live(&h->ready, e);
        if (!w || (first && !hs_item_batchable(hs_work_item(first), hs_work_item(w))) || !admit_kv(h, w))
            continue;
        if (!first) {
            first = w;
            key = hs_work_item(w)->batch_key;
        }
        h->cpu_parts[k++] = w;
    }
    if (k == 0)
        return;
    h->decode_batch = (int64_t)k;
    dispatch_minibatch(s, h, h->cpu_parts, k, h->gen);
}

/* ---- The cycle ------------------------------------------------------------- */

static int grow_scratch(hedra *h, size_t n)
{
    if (n <= h->cap)
        return 0;
    size_t cap = h->cap ? h->cap : 64;
    while (cap < n)
        cap *= 2;
    hs_work ***arrays[3] = {&h->scans, &h->cpu_parts, &h->gpu_parts};
    for (int i = 0; i < 3; i++) {
        hs_work **grown = realloc(*arrays[i], cap * sizeof **arrays[i]);
        if (!grown)
            return -1;
        *arrays[i] = grown;
    }
    struct hr_cand *cands = realloc(h->cands, cap * sizeof *cands);
    if (!cands)
        return -1;
    h->cands = cands;
    h->cap = cap;
    return 0;
}

/* The works of list l still READY, to out (in the order they became
 * ready); their number. */
static size_t gather(hedra *h, hr_list_id l, hs_work **out)
{
    size_t n = 0;
    hr_entry *next;
    for (hr_entry *e = hr_ready_first(&h->ready, l); e; e = next) {
        next = hr_ready_next(e);
        hs_work *w = hr_ready_live(&h->ready, e);
        if (w)
            out[n++] = w;
    }
    return n;
}

/* The wavefront, from the ready index: anything that is neither a scan
 * nor a generation step goes at once to its worker -- the coarse
 * quantizer to the retrieval worker, the rest (the query encoder, other
 * compute, a batch that did not fit) to the generation worker -- or, when
 * that cannot take it, to its EFT PU; the ready scans of every request
 * are collected (their whole-scan times join t_R).  The generation steps
 * stay in the index, read by the generation sub-stage. */
static void collect(hs_sched *s, hedra *h, size_t *nscans)
{
    size_t n = gather(h, HR_LIST_OTHER, h->cpu_parts);
    for (size_t i = 0; i < n; i++) {
        const hs_item *it = hs_work_item(h->cpu_parts[i]);
        place(s, h, h->cpu_parts[i], it->phase == HS_PHASE_SEARCH ? h->cpu : h->gen);
    }
    *nscans = gather(h, HR_LIST_SCANS, h->scans);
    for (size_t i = 0; i < *nscans; i++)
        first_sight(s, h, h->scans[i]);
}

static void hedrarag_schedule(hs_sched *s, void *state)
{
    hedra *h = state;
    bool cpu_free = worker_free(s, h->cpu), gen_free = worker_free(s, h->gen);
    if (!h->fresh && !cpu_free && !gen_free)
        return;   /* nothing new to place, no worker to feed: the wavefront waits */
    h->fresh = 0;
    const size_t *c = h->ready.count;
    if (grow_scratch(h, c[HR_LIST_SCANS] + c[HR_LIST_GENS] + c[HR_LIST_OTHER] + 1) != 0) {
        hs_sched_fail(s, "out of memory");
        return;
    }
    uint64_t horizon = h->ready.added;
    size_t nscans = 0;
    collect(s, h, &nscans);
    speculate_generation(s, h, &nscans);
    if (h->spec == HR_SPEC_HEDRARAG && h->spec_retrieval && gen_free)
        speculate_retrieval(s, h, nscans, horizon);   /* tokens move only when a step ends */
    if (cpu_free && worker_free(s, h->cpu))
        retrieval_substage(s, h, nscans);
    if (gen_free && worker_free(s, h->gen))
        gen_substage(s, h, horizon);
}

/* ---- Hooks ---------------------------------------------------------------- */

static void free_req_data(hedra *h, hs_req *r)
{
    hr_req *q = hs_req_data(r);
    if (!q)
        return;
    h->kv_reserved = fmax(0, h->kv_reserved - q->kv_reserved);
    if (q->speculated)
        hr_ready_forget(&h->ready, r);
    free(q->kv_done);
    free(q);
    hs_req_set_data(r, NULL);
}

static void hedrarag_fini(hs_sched *s, void *state)
{
    hedra *h = state;
    if (!h)
        return;
    for (hs_req *r = hs_req_first(s); r; r = hs_req_next(s, r))
        free_req_data(h, r);   /* requests still in flight (a failed or cut-short run) */
    hr_cache_free(&h->cache);
    hr_ready_free(&h->ready);
    free(h->scans);
    free(h->cpu_parts);
    free(h->gpu_parts);
    free(h->cands);
    free(h);
}

/* The index of `text` in the NULL-terminated names, or -1 with err set
 * (naming the choices). */
static int choice(const char *param, const char *text, const char *const *names, hs_err *err)
{
    char list[128] = "";
    for (int i = 0; names[i]; i++) {
        if (strcmp(text, names[i]) == 0)
            return i;
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, names[i], sizeof list - strlen(list) - 1);
    }
    hs_errf(err, "hedrarag: %s '%s': expected one of %s", param, text, list);
    return -1;
}

/* The workers: generation on the first GPU, else the first NPU, else the
 * retrieval PU; retrieval on the first CPU, else the first PU that is not
 * the generation PU (a one-PU profile: that PU does both). */
static void pick_workers(hs_sched *s, hedra *h)
{
    h->gen = hs_pu_find(s, "gpu");
    h->cache.gpu = h->gen;
    if (h->gen < 0)
        h->gen = hs_pu_find(s, "npu");
    h->cpu = hs_pu_find(s, "cpu");
    for (int pu = 0; h->cpu < 0 && pu < hs_npus(s); pu++)
        if (pu != h->gen || hs_npus(s) == 1)
            h->cpu = pu;   /* no CPU: the first other PU searches */
    if (h->gen < 0)
        h->gen = h->cpu;
    h->cache.cpu = h->cpu;
    h->cache.mem = h->cache.gpu >= 0 ? hs_pu_of(s, h->cache.gpu)->mem : -1;
}

static int hedrarag_setup(hs_sched *s, hedra *h, hs_err *err)
{
    static const char *const budgets[] = {"time", "count", NULL};
    static const char *const specs[] = {"hedrarag", "ralmspec", "ragcache", "off", NULL};
    static const char *const caches[] = {"curves", "artifact", "off", NULL};
    int b = choice("budget", hs_param_str(s, "budget"), budgets, err);
    int sp = b < 0 ? -1 : choice("speculation", hs_param_str(s, "speculation"), specs, err);
    int c = sp < 0 ? -1 : choice("index_cache", hs_param_str(s, "index_cache"), caches, err);
    if (c < 0)
        return -1;
    h->budget = (hr_budget)b;
    h->spec = (hr_spec)sp;
    h->cache.mode = (hr_cache_mode)c;
    h->nprobe_minibatch = hs_param_i64(s, "nprobe_minibatch");
    h->beta_s = hs_param_f64(s, "beta_us") * 1e-6;
    h->retrieval_batch = hs_param_i64(s, "retrieval_batch");
    h->tau = hs_param_f64(s, "tau");
    h->spec_total_size = hs_param_i64(s, "spec_total_size");
    h->ragcache_steps = hs_param_i64(s, "ragcache_steps");
    h->spec_retrieval = hs_param_bool(s, "spec_retrieval");
    h->spec_gen_share = hs_param_f64(s, "spec_gen_share");
    h->early_termination = hs_param_bool(s, "early_termination");
    h->term_window = hs_param_i64(s, "term_window");
    h->reorder = hs_param_bool(s, "reorder");
    h->local_topk = hs_param_i64(s, "local_topk");
    h->refresh_substages = hs_param_i64(s, "refresh_substages");
    h->cache.max_num_seqs = hs_param_i64(s, "max_num_seqs");
    h->cache.gpu_mem_util = hs_param_f64(s, "gpu_memory_utilization");
    h->cache.index_share = hs_param_f64(s, "index_share");
    h->cache.artifact_gb = hs_param_f64(s, "artifact_gpu_gb");
    h->cache.grid = hs_param_i64(s, "split_grid");
    h->cache.kv_bytes = INFINITY;
    h->cache.step_s = malloc((size_t)(h->cache.max_num_seqs + 1) * sizeof *h->cache.step_s);
    if (!h->cache.step_s)
        return hs_errf(err, "hedrarag: out of memory"), -1;
    for (int64_t i = 0; i <= h->cache.max_num_seqs; i++)
        h->cache.step_s[i] = NAN;
    pick_workers(s, h);
    return 0;
}

/* A refused init gets no fini: the state is freed here. */
static int hedrarag_init(hs_sched *s, void **state, hs_err *err)
{
    hedra *h = calloc(1, sizeof *h);
    if (!h)
        return hs_errf(err, "hedrarag: out of memory"), -1;
    if (hedrarag_setup(s, h, err) != 0) {
        hedrarag_fini(s, h);
        return -1;
    }
    *state = h;
    return 0;
}

/* The first request showing a generation decides the KV / index split
 * (§4.2.3), before any KV is held. */
static void hedrarag_request_arrived(hs_sched *s, void *state, hs_req *r)
{
    hedra *h = state;
    hr_req *q = calloc(1, sizeof *q);
    if (!q) {
        hs_sched_fail(s, "out of memory for request %llu", (unsigned long long)hs_req_id(r));
        return;
    }
    hs_req_set_data(r, q);
    if (!h->cache.decided)
        hr_cache_decide(s, &h->cache, r);
}

/* A retrieval sub-stage of a request finished on the CPU: RAGCache's
 * count of sub-steps moves on. */
static void count_substep(hedra *h, hs_work *w)
{
    hs_req *r = hs_work_req(w);
    if (!r || !hs_work_is_part(w) || !is_scan(hs_work_item(w)) || hs_work_pu(w) != h->cpu)
        return;
    hr_req *q = hs_req_data(r);
    if (q->search != hs_work_stage(w)) {
        q->search = hs_work_stage(w);
        q->substeps = 0;
    }
    q->substeps++;
}

static void hedrarag_work_done(hs_sched *s, void *state, hs_work *w)
{
    (void)s;
    hedra *h = state;
    size_t n = hs_work_batch_size(w);
    if (n <= 1)
        count_substep(h, w);
    for (size_t i = 0; n > 1 && i < n; i++)
        count_substep(h, hs_work_batch_member(w, i));
}

static void hedrarag_work_ready(hs_sched *s, void *state, hs_work *w)
{
    hedra *h = state;
    hs_req *r = hs_work_req(w);
    hr_req *q = r ? hs_req_data(r) : NULL;
    if (hr_ready_add(&h->ready, w, q ? &q->speculated : NULL) != 0)
        hs_sched_fail(s, "out of memory");
    h->fresh++;
}

static void hedrarag_request_done(hs_sched *s, void *state, hs_req *r)
{
    (void)s;
    free_req_data(state, r);
}

const hs_policy_ops hs_policy_hedrarag = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "hedrarag",
    .description = "HedraRAG (SOSP'25): RAGraph wavefronts, cluster minibatches and decode steps, "
                   "speculation, partial GPU index cache",
    .params = hedrarag_params,
    .init = hedrarag_init,
    .fini = hedrarag_fini,
    .request_arrived = hedrarag_request_arrived,
    .work_ready = hedrarag_work_ready,
    .work_done = hedrarag_work_done,
    .request_done = hedrarag_request_done,
    .schedule = hedrarag_schedule,
};
