/* hetsoc policy `hedrarag`: the partial GPU index cache (HedraRAG, Hu et
 * al., SOSP'25, arXiv 2507.09138, §4.2 item 3; seed-systems.md §4.2-4.3).
 *
 *   "Keep the top-gc most frequently accessed clusters on the GPU; per
 *    sub-stage, clusters in the cache are searched on the GPU, others on
 *    the CPU, and results are merged."  The hottest lists and their hit
 *    share come from the cluster-hit model (hs_index_cache_hit_rate:
 *    H(g, skew) / H(nlist, skew), the top 20% of IVF4096 carrying 69%).
 *
 *   "KV-cache vs index-cache split: argmax over KV_size of
 *    min{T_G(KV_size, rps_G), T_R(rps_R)} using offline throughput
 *    curves" (§4.2.3).  Here the curves are derived from the profile:
 *      T_G(KV) = T(b) / output,  b = min(max_num_seqs, floor(KV / kv_seq)),
 *                T(b) = b / t_step(b), t_step = hs_predict_item of a batched
 *                decode step: the requests/s the generation worker sustains
 *                with b sequences resident;
 *      T_R(I)  = 1 / (t_scan x (1 - h(I))), t_scan = hs_predict_item of the
 *                whole scan on the CPU, h(I) the hit share of the
 *                floor(I / list bytes) hottest lists: the requests/s the CPU
 *                sustains when the cached share goes to the GPU;
 *    over KV = kv_seq + (F - kv_seq) i / grid, i = 0..grid, I = F - KV,
 *    F the GPU memory the models' weights leave.  Ties go to the larger KV.
 *
 * The artifact instead reserves (1 - gpu_memory_utilization 0.8) x 0.6 x
 * 80 GB = 9.6 GB for the index (hete_engine_spec_onloading.py): mode
 * `artifact`.
 */
#include <math.h>
#include <stdlib.h>

#include "policies/hedrarag.h"

double hr_decode_throughput(hs_sched *s, hr_cache *c, int64_t b)
{
    if (!c->have_step || b < 1 || c->gpu < 0)
        return 0;
    if (b > c->max_num_seqs)
        b = c->max_num_seqs;
    if (isnan(c->step_s[b])) {
        double t = INFINITY;
        if (b == 1) {
            t = hs_predict_item(s, &c->step, c->gpu);
        } else {
            const hs_item **items = malloc((size_t)b * sizeof *items);
            hs_item batched;
            hs_err err;
            for (int64_t i = 0; items && i < b; i++)
                items[i] = &c->step;
            if (items && hs_item_batch(items, (size_t)b, &batched, &err) == 0)
                t = hs_predict_item(s, &batched, c->gpu);
            free(items);
        }
        c->step_s[b] = t;
    }
    return isfinite(c->step_s[b]) && c->step_s[b] > 0 ? (double)b / c->step_s[b] : 0;
}

/* What the decision reads from one request's stages. */
typedef struct hr_probe {
    hs_item scan;
    bool have_scan;
    double weights;          /* bytes of the distinct models of its LLM and embed stages */
    const hs_model *seen[8];
    int nseen;
    double kv_seq;           /* KV bytes of one generation's whole context */
    int64_t output;          /* tokens it decodes */
} hr_probe;

static int keep_scan(const hs_item *it, void *ctx)
{
    hr_probe *p = ctx;
    if (it->slot == HS_SLOT_SCAN && it->nlist > 0) {
        p->scan = *it;
        p->have_scan = true;
    }
    return 0;
}

/* The last decode step of the call (the first prefill chunk when it
 * decodes nothing): the shape of T_G's step. */
static int keep_step(const hs_item *it, void *ctx)
{
    hr_cache *c = ctx;
    if (it->phase == HS_PHASE_DECODE || !c->have_step)
        c->step = *it;
    c->have_step = true;
    return 0;
}

static void count_weights(hr_probe *p, const hs_model *m, hs_quant q)
{
    for (int i = 0; i < p->nseen; i++)
        if (p->seen[i] == m)
            return;
    if (p->nseen < 8)
        p->seen[p->nseen++] = m;
    hs_model copy = *m;
    copy.quant = q;
    p->weights += hs_model_weight_bytes(&copy);
}

/* Reads r's revealed stages: the generation's decode step and KV, the
 * scan, the weights.  False when r has neither a generation nor a search
 * stage. */
static bool probe_request(hr_cache *c, const hs_req *r, hr_probe *p)
{
    const hs_request *dag = hs_req_dag(r);
    bool llm = false;
    for (uint32_t id = 0; id < hs_req_nstages(r); id++) {
        const hs_stage_info *si = hs_request_node(dag, id);
        if (si->kind == HS_STAGE_SEARCH && !p->have_scan)
            hs_request_stage_items(dag, id, keep_scan, p);
        if ((si->kind != HS_STAGE_LLM && si->kind != HS_STAGE_EMBED) || !si->model)
            continue;
        count_weights(p, si->model, si->quant);
        if (si->kind != HS_STAGE_LLM || llm)
            continue;
        llm = true;
        int64_t out = si->output > 1 ? si->output : 2;
        hs_lower_llm_steps(si->model, si->quant, si->context, si->prompt, out, 0, keep_step, c);
        p->kv_seq = hs_model_kv_bytes_per_token(si->model) * (double)(si->context + si->prompt + out);
        p->output = out;
    }
    return llm || p->have_scan;
}

static double list_bytes(const hs_item *scan)
{
    return scan->cluster_vectors * (double)scan->seq * hs_dtype_bytes(scan->k.weight_dtype);
}

/* T_R(I): requests/s of the CPU when an index cache of I bytes takes its
 * hit share of every scan. */
static double retrieval_rps(const hr_probe *p, double t_scan, double index_bytes, double skew)
{
    int64_t g = (int64_t)floor(index_bytes / list_bytes(&p->scan));
    double h = hs_cluster_hit_share(p->scan.nlist, skew, g);
    double t = t_scan * (1 - h);
    return t > 0 ? 1 / t : INFINITY;
}

/* The argmax of §4.2.3 over the grid; returns the KV size. */
static double best_kv_split(hs_sched *s, hr_cache *c, const hr_probe *p, double free_b, double skew)
{
    double t_scan = hs_predict_item(s, &p->scan, c->cpu);
    double best_kv = free_b, best = -1;
    for (int64_t i = c->grid; i >= 0; i--) {
        double kv = p->kv_seq + (free_b - p->kv_seq) * (double)i / (double)c->grid;
        int64_t b = (int64_t)floor(kv / p->kv_seq);
        double rps_g = hr_decode_throughput(s, c, b) / (double)p->output;
        double rps_r = retrieval_rps(p, t_scan, free_b - kv, skew);
        double v = fmin(rps_g, rps_r);
        if (v > best) {
            best = v;
            best_kv = kv;
        }
    }
    return best_kv;
}

/* The GPU memory left once the request's models are loaded there. */
static double free_gpu_bytes(const hs_sched *s, const hr_cache *c, const hr_probe *p)
{
    return hs_mem_capacity(s, c->mem) - hs_mem_used(s, c->mem) - p->weights;
}

static int apply_split(hs_sched *s, hr_cache *c, double kv, double index)
{
    c->kv_bytes = kv;
    c->index_bytes = index;
    if (index > 0 && hs_mem_set_index_cache(s, c->mem, index) != 0)
        return -1;
    if (isfinite(kv) && hs_mem_set_kv_budget(s, c->mem, kv) != 0)
        return -1;
    return 0;
}

int hr_cache_decide(hs_sched *s, hr_cache *c, hs_req *r)
{
    hr_probe p = {0};
    if (c->decided || !probe_request(c, r, &p))
        return 0;   /* nothing to decide from in this request: ask the next one */
    c->decided = true;
    bool own_memory = c->gpu >= 0 && c->mem != hs_pu_of(s, c->cpu)->mem &&
                      isfinite(hs_mem_capacity(s, c->mem));
    if (c->mode == HR_CACHE_OFF || !own_memory || !p.have_scan || c->cpu < 0)
        return 0;   /* one memory domain: the GPU reads the index in place; the cache is moot */
    double free_b = free_gpu_bytes(s, c, &p);
    if (!(free_b > p.kv_seq))
        return 0;   /* no room beside one sequence's KV: no cache */
    if (c->mode == HR_CACHE_CURVES && !c->have_step)
        return 0;   /* no generation to trade the KV cache against: no cache */
    if (c->mode == HR_CACHE_ARTIFACT) {
        double index = (1 - c->gpu_mem_util) * c->index_share * c->artifact_gb * 1e9;
        return apply_split(s, c, INFINITY, fmin(index, free_b - p.kv_seq));
    }
    const hs_stage_info *si = NULL;
    for (uint32_t id = 0; id < hs_req_nstages(r) && !si; id++) {
        const hs_stage_info *x = hs_request_node(hs_req_dag(r), id);
        si = x->kind == HS_STAGE_SEARCH ? x : NULL;
    }
    double skew = si && si->cluster_skew > 0 ? si->cluster_skew : HS_CLUSTER_SKEW_DEFAULT;
    double kv = best_kv_split(s, c, &p, free_b, skew);
    return apply_split(s, c, kv, free_b - kv);
}

double hr_cache_refresh(hs_sched *s, hr_cache *c, hs_work *w)
{
    if (!c->decided || c->index_bytes <= 0)
        return 0;
    if (!c->checked) {   /* until the first GPU part says otherwise (hr_cache_part_runs) */
        c->checked = true;
        c->usable = true;
    }
    c->hit_rate = c->usable ? hs_index_cache_hit_rate(s, w, c->mem) : 0;
    return c->hit_rate;
}

bool hr_cache_part_runs(hs_sched *s, hr_cache *c, hs_work *part)
{
    if (c->usable && !(isfinite(hs_predict(s, part, c->gpu)) && hs_mem_fits(s, part, c->gpu))) {
        c->usable = false;   /* the GPU cannot search its cached lists: all on the CPU from now on */
        c->hit_rate = 0;
    }
    return c->usable;
}

void hr_cache_free(hr_cache *c)
{
    free(c->step_s);
    c->step_s = NULL;
}
