/* hetsoc: memory capacity and transfers between memory domains.
 *
 * Occupancy.  Each memory domain of the profile holds, from the dispatch
 * that first needs them:
 *   - model weights, once per (model, format, domain), from the first
 *     dispatch of that model's work to a PU of the domain until a policy
 *     unloads them (hs_mem_unload);
 *   - a KV cache per LLM stage of a request, kv_bytes_per_token x the
 *     tokens in context after the item, growing with each dispatch, in the
 *     domain of the PU that ran the stage (a later item on another domain
 *     moves it there) until the request finishes;
 *   - an IVF index (or flat corpus), the vectors a scan reads from, once
 *     per (index, domain), like weights;
 *   - the GPU index cache: a reservation of a size the policy sets
 *     (HedraRAG §4.2 item 3), beside a cap on the KV caches: the KV-cache
 *     versus index-cache split.
 * A dispatch whose needs exceed the domain's capacity is refused: the run
 * fails with a message naming the policy, the work and the domain.  A
 * domain without `capacity_gb` is unlimited.  Occupancy never changes
 * timing: a run that never reaches a capacity is unchanged.
 *
 * Transfers.  An input produced in another memory domain crosses the link
 * between the two domains (PCIe): the producer's output bytes (its last
 * item's parts.out; for the next item of an LLM stage moving domains, the
 * context's KV as well) flow over the link, started at the consumer's
 * dispatch; the consumer starts once they have arrived.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/engine_internal.h"

/* ---- Set-up -------------------------------------------------------------------------------- */

int hs_mem_setup(hs_sched *s, hs_err *err)
{
    if (!(s->mem = calloc(s->hw->nmem ? s->hw->nmem : 1, sizeof *s->mem)))
        return hs_errf(err, "out of memory");
    for (size_t d = 0; d < s->hw->nmem; d++) {
        double c = s->hw->mems[d].capacity_bytes;
        s->mem[d].capacity = c > 0 ? c : INFINITY;
        s->mem[d].kv_budget = INFINITY;
    }
    s->xfer_free = UINT32_MAX;   /* XFER_NONE: no free entry */
    return 0;
}

void hs_mem_teardown(hs_sched *s)
{
    free(s->mem);
    free(s->resident);
    free(s->xfers);
}

static inline int pu_mem(const hs_sched *s, int pu) { return s->hw->pus[pu].mem; }

static bool mem_ok(const hs_sched *s, int mem) { return mem >= 0 && (size_t)mem < s->hw->nmem; }

/* ---- Residents: weights and indexes ------------------------------------------------------ */

/* An index is known by its shape: lists, vectors per list, dimension and
 * stored dtype (items of one search stage agree on all four).  A flat
 * index split by subsets counts the subsets the part scans. */
static void index_key(const hs_item *it, double key[4])
{
    key[0] = (double)it->nlist;
    key[1] = it->cluster_vectors;
    key[2] = (double)it->seq;
    key[3] = (double)it->k.weight_dtype;
}

static bool is_index_scan(const hs_item *it)
{
    return it->phase == HS_PHASE_SEARCH && it->slot == HS_SLOT_SCAN && it->cluster_vectors > 0;
}

static double list_bytes(const hs_item *it)
{
    return it->cluster_vectors * (double)it->seq * hs_dtype_bytes(it->k.weight_dtype);
}

static double index_bytes(const hs_item *it)
{
    double lists = it->nlist > 0 ? (double)it->nlist : (double)it->clusters;
    return lists * list_bytes(it);
}

/* IVF lists domain mem's index cache holds (its reservation over the size
 * of one of it's lists). */
static double cache_lists(const hs_sched *s, const hs_item *it, int mem)
{
    return floor(s->mem[mem].cache / list_bytes(it));
}

/* Whether cluster part w of an IVF scan reads only domain mem's index
 * cache, not the whole index (HedraRAG §4.2.3: the hot lists live on the
 * GPU, the rest are searched on the CPU): a part (hs_split along
 * HS_SPLIT_CLUSTERS) of at most as many lists as the cache holds, which
 * the policy sends there as the cached share of its clusters.  Such a part
 * needs no resident index: the cache's reservation holds its lists.  A
 * whole scan reads the index.  A batch: each member on its own. */
static bool part_in_cache(const hs_sched *s, const hs_work *w, int mem)
{
    const hs_item *it = &w->item;
    return w->parent && is_index_scan(it) && it->nlist > 0 && s->mem[mem].cache > 0 &&
           (double)it->clusters <= cache_lists(s, it, mem);
}

static bool work_in_cache(const hs_sched *s, const hs_work *w, int mem)
{
    if (!w->nmembers)
        return part_in_cache(s, w, mem);
    for (uint32_t i = 0; i < w->nmembers; i++)
        if (!part_in_cache(s, w->members[i], mem))
            return false;
    return true;
}

static double weight_bytes(hs_sched *s, const hs_model *m, hs_quant q)
{
    for (unsigned i = 0; i < s->nwbytes; i++)
        if (s->wbytes[i].m == m && s->wbytes[i].q == q)
            return s->wbytes[i].bytes;
    hs_model copy = *m;
    copy.quant = q;
    double b = hs_model_weight_bytes(&copy);
    if (s->nwbytes < sizeof s->wbytes / sizeof s->wbytes[0])   /* more models: computed each time */
        s->wbytes[s->nwbytes++] = (struct hs_wbytes){.m = m, .q = q, .bytes = b};
    return b;
}

static bool same_model(const hs_model *a, const hs_model *b)
{
    return a == b || strcmp(a->name, b->name) == 0;
}

/* The resident entry for it's weights (index false) or index in mem. */
static hs_resident *resident_find(const hs_sched *s, const hs_item *it, bool index, int mem)
{
    double key[4];
    if (index)
        index_key(it, key);
    for (size_t i = 0; i < s->nresident; i++) {
        hs_resident *r = &s->resident[i];
        if (r->mem != mem || (r->model == NULL) != index)
            continue;
        if (index ? memcmp(r->index_key, key, sizeof key) == 0
                  : r->quant == it->quant && same_model(r->model, it->model))
            return r;
    }
    return NULL;
}

static int resident_add(hs_sched *s, const hs_item *it, bool index, int mem, double bytes)
{
    if (s->nresident == s->resident_cap) {
        size_t cap = s->resident_cap ? 2 * s->resident_cap : 8;
        hs_resident *r = realloc(s->resident, cap * sizeof *r);
        if (!r)
            return -1;
        s->resident = r;
        s->resident_cap = cap;
    }
    hs_resident *r = &s->resident[s->nresident++];
    *r = (hs_resident){.model = index ? NULL : it->model, .quant = it->quant, .mem = mem, .bytes = bytes};
    if (index)
        index_key(it, r->index_key);
    return 0;
}

/* ---- What a dispatch needs ----------------------------------------------------------------- */

typedef struct mem_plan {
    int mem;
    double weights, index;   /* to load (0: resident already or none) */
    double kv;               /* KV bytes the domain gains */
} mem_plan;

static bool is_llm(const hs_item *it)
{
    return it->phase == HS_PHASE_PREFILL || it->phase == HS_PHASE_DECODE;
}

/* KV bytes a stage holds once `it` has run: every token in context. */
static double kv_after(const hs_item *it)
{
    double tokens = (double)it->context + (double)it->tokens * (double)(it->steps > 0 ? it->steps : 1);
    return hs_model_kv_bytes_per_token(it->model) * tokens * (double)(it->units > 0 ? it->units : 1);
}

/* The KV growth of one request's item in domain mem. */
static double kv_growth(const hs_work *w, int mem)
{
    if (!w->req || !w->item.model || !is_llm(&w->item))
        return 0;
    const hs_stage_rt *st = &w->req->stages[w->stage];
    double want = kv_after(&w->item);
    if (st->kv_bytes > 0 && st->kv_mem != mem)
        return want;   /* moves: the whole cache lands in mem */
    return want > st->kv_bytes ? want - st->kv_bytes : 0;
}

static void plan(hs_sched *s, const hs_work *w, int pu, mem_plan *p)
{
    const hs_item *it = &w->item;
    *p = (mem_plan){.mem = pu_mem(s, pu)};
    if (it->model && !resident_find(s, it, false, p->mem))
        p->weights = weight_bytes(s, it->model, it->quant);
    if (is_index_scan(it) && !work_in_cache(s, w, p->mem) && !resident_find(s, it, true, p->mem))
        p->index = index_bytes(it);
    if (w->nmembers)
        for (uint32_t i = 0; i < w->nmembers; i++)
            p->kv += kv_growth(w->members[i], p->mem);
    else
        p->kv = kv_growth(w, p->mem);
}

static double plan_total(const mem_plan *p) { return p->weights + p->index + p->kv; }

static bool plan_fits(const hs_sched *s, const mem_plan *p)
{
    const hs_mem_rt *m = &s->mem[p->mem];
    return m->used + plan_total(p) <= m->capacity && m->kv + p->kv <= m->kv_budget;
}

/* Why p does not fit (or "fits"), into buf. */
static void plan_why(const hs_sched *s, const hs_work *w, int pu, const mem_plan *p, char *buf, size_t n)
{
    const hs_mem_rt *m = &s->mem[p->mem];
    const char *dom = s->hw->mems[p->mem].name;
    if (plan_fits(s, p)) {
        snprintf(buf, n, "fits");
    } else if (m->used + plan_total(p) > m->capacity) {
        snprintf(buf, n,
                 "memory domain %s of PU %s is full: used %.6g B + needed %.6g B (weights %.6g, index %.6g, "
                 "KV %.6g) > capacity %.6g B",
                 dom, s->hw->pus[pu].name, m->used, plan_total(p), p->weights, p->index, p->kv, m->capacity);
    } else {
        snprintf(buf, n, "the KV budget of memory domain %s is full: KV %.6g B + needed %.6g B > budget %.6g B",
                 dom, m->kv, p->kv, m->kv_budget);
    }
    (void)w;
}

static void mem_add(hs_sched *s, int mem, double bytes)
{
    hs_mem_rt *m = &s->mem[mem];
    m->used += bytes;
    if (m->used > m->peak)
        m->peak = m->used;
}

static void kv_commit(hs_sched *s, hs_work *w, int mem)
{
    if (!w->req || !w->item.model || !is_llm(&w->item))
        return;
    hs_stage_rt *st = &w->req->stages[w->stage];
    double want = kv_after(&w->item);
    if (st->kv_bytes > 0 && st->kv_mem != mem) {
        s->mem[st->kv_mem].used -= st->kv_bytes;
        s->mem[st->kv_mem].kv -= st->kv_bytes;
        st->kv_bytes = 0;
    }
    if (want > st->kv_bytes) {
        mem_add(s, mem, want - st->kv_bytes);
        s->mem[mem].kv += want - st->kv_bytes;
        st->kv_bytes = want;
    }
    st->kv_mem = mem;
}

static unsigned long long work_request(const hs_work *w)
{
    const hs_req *r = w->req ? w->req : w->nmembers ? w->members[0]->req : NULL;
    return r ? (unsigned long long)r->arr.id : 0;
}

int hs_mem_admit(hs_sched *s, hs_work *w, int pu)
{
    mem_plan p;
    plan(s, w, pu, &p);
    if (plan_total(&p) == 0)
        return 0;
    if (!plan_fits(s, &p)) {
        char why[320];
        plan_why(s, w, pu, &p, why, sizeof why);
        hs_sched_fail(s, "hs_dispatch of work %llu (slot %s, request %llu%s) refused: %s",
                      (unsigned long long)w->id, hs_slot_name(w->item.slot), work_request(w),
                      w->nmembers ? ", a batch" : "", why);
        return -1;
    }
    if ((p.weights > 0 && resident_add(s, &w->item, false, p.mem, p.weights) != 0) ||
        (p.index > 0 && resident_add(s, &w->item, true, p.mem, p.index) != 0)) {
        hs_sched_fail(s, "error: out of memory");
        return -1;
    }
    mem_add(s, p.mem, p.weights + p.index);
    if (w->nmembers)
        for (uint32_t i = 0; i < w->nmembers; i++)
            kv_commit(s, w->members[i], p.mem);
    else
        kv_commit(s, w, p.mem);
    return 0;
}

void hs_mem_release_req(hs_sched *s, hs_req *r)
{
    for (uint32_t i = 0; i < r->stages_cap; i++) {
        hs_stage_rt *st = &r->stages[i];
        if (st->kv_bytes > 0) {
            s->mem[st->kv_mem].used -= st->kv_bytes;
            s->mem[st->kv_mem].kv -= st->kv_bytes;
            st->kv_bytes = 0;
        }
    }
}

/* Whether w alone -- its model's weights, its index and its KV, in an
 * empty domain -- needs more than the whole capacity of pu's domain: then
 * pu can never run it, whatever a policy evicts, and hs_predict says
 * INFINITY (a PU that cannot run work is one a policy skips, as for an op
 * the PU does not support).  Static for a work and a PU, so predictions
 * stay cacheable. */
static double item_kv(const hs_item *it) { return it->model && is_llm(it) ? kv_after(it) : 0; }

/* Weights, index and KV of `it` alone (a batch's KV: its own item's, the
 * members' shapes summed, which the caller replaces). */
static double item_needs(hs_sched *s, const hs_item *it, double kv, bool in_cache)
{
    double need = it->model ? weight_bytes(s, it->model, it->quant) : 0;
    if (is_index_scan(it) && !in_cache)
        need += index_bytes(it);
    return need + kv;
}

bool hs_mem_item_exceeds(hs_sched *s, const hs_item *it, int pu)
{
    const double cap = s->mem[pu_mem(s, pu)].capacity;
    return isfinite(cap) && item_needs(s, it, item_kv(it), false) > cap;
}

bool hs_mem_exceeds(hs_sched *s, const hs_work *w, int pu)
{
    const int mem = pu_mem(s, pu);
    const double cap = s->mem[mem].capacity;
    if (!isfinite(cap))
        return false;
    double kv = 0;
    if (w->nmembers)
        for (uint32_t i = 0; i < w->nmembers; i++)
            kv += item_kv(&w->members[i]->item);
    else
        kv = item_kv(&w->item);
    return item_needs(s, &w->item, kv, work_in_cache(s, w, mem)) > cap;
}

/* ---- Policy-facing queries and actions ------------------------------------------------------ */

double hs_mem_capacity(const hs_sched *s, int mem) { return mem_ok(s, mem) ? s->mem[mem].capacity : 0; }
double hs_mem_used(const hs_sched *s, int mem) { return mem_ok(s, mem) ? s->mem[mem].used : 0; }
double hs_mem_peak(const hs_sched *s, int mem) { return mem_ok(s, mem) ? s->mem[mem].peak : 0; }
double hs_mem_kv(const hs_sched *s, int mem) { return mem_ok(s, mem) ? s->mem[mem].kv : 0; }
double hs_mem_index_cache(const hs_sched *s, int mem) { return mem_ok(s, mem) ? s->mem[mem].cache : 0; }

static bool work_pu_ok(const hs_sched *s, const hs_work *w, int pu)
{
    return w && pu >= 0 && pu < (int)s->hw->npus;
}

double hs_mem_needed(hs_sched *s, const hs_work *w, int pu)
{
    if (!work_pu_ok(s, w, pu))
        return 0;
    mem_plan p;
    plan(s, w, pu, &p);
    return plan_total(&p);
}

bool hs_mem_fits(hs_sched *s, const hs_work *w, int pu)
{
    if (!work_pu_ok(s, w, pu))
        return false;
    mem_plan p;
    plan(s, w, pu, &p);
    return plan_fits(s, &p);
}

bool hs_mem_why(hs_sched *s, const hs_work *w, int pu, char *buf, size_t n)
{
    if (!work_pu_ok(s, w, pu)) {
        snprintf(buf, n, "no such work or PU %d", pu);
        return false;
    }
    mem_plan p;
    plan(s, w, pu, &p);
    plan_why(s, w, pu, &p, buf, n);
    return plan_fits(s, &p);
}

double hs_index_cache_hit_rate(hs_sched *s, const hs_work *w, int mem)
{
    const hs_work *one = w && w->nmembers ? w->members[0] : w;
    if (!one || !one->req || !mem_ok(s, mem) || !is_index_scan(&one->item) || one->item.nlist <= 0)
        return 0;
    const hs_item *it = &one->item;
    const double lists = cache_lists(s, it, mem);
    const hs_stage_info *si = hs_request_node(one->req->dag, one->stage);
    return hs_cluster_hit_share(it->nlist, si->cluster_skew, (int64_t)fmin(lists, (double)it->nlist));
}

/* Queued or running work on a PU of mem that reads model m's weights. */
static const hs_work *model_user(const hs_sched *s, const hs_model *m, int mem)
{
    for (size_t pu = 0; pu < s->hw->npus; pu++) {
        if (pu_mem(s, (int)pu) != mem)
            continue;
        const hs_work *lists[2] = {s->pus[pu].queue_head, s->pus[pu].running_head};
        for (int l = 0; l < 2; l++)
            for (const hs_work *w = lists[l]; w; w = w->queue_next)
                if (w->item.model && same_model(w->item.model, m))
                    return w;
    }
    return NULL;
}

int hs_mem_unload(hs_sched *s, const hs_model *m, int mem)
{
    if (!m || !mem_ok(s, mem)) {
        hs_sched_fail(s, "hs_mem_unload of no model or of memory domain %d", mem);
        return -1;
    }
    const hs_work *user = model_user(s, m, mem);
    if (user) {
        hs_sched_fail(s, "hs_mem_unload of %s from %s while work %llu (slot %s, request %llu) "
                         "queued or running there reads it", m->name, s->hw->mems[mem].name,
                      (unsigned long long)user->id, hs_slot_name(user->item.slot), work_request(user));
        return -1;
    }
    size_t kept = 0;
    for (size_t i = 0; i < s->nresident; i++) {
        hs_resident *r = &s->resident[i];
        if (r->mem == mem && r->model && same_model(r->model, m))
            s->mem[mem].used -= r->bytes;
        else
            s->resident[kept++] = *r;
    }
    s->nresident = kept;
    return 0;
}

/* Sets one of a domain's budgets (the index-cache reservation or the KV
 * cap), failing the run when what it holds already exceeds the new one. */
int hs_mem_set_index_cache(hs_sched *s, int mem, double bytes)
{
    if (!mem_ok(s, mem) || !(bytes >= 0) || !isfinite(bytes)) {
        hs_sched_fail(s, "hs_mem_set_index_cache(%d, %g): no such domain or a bad size",
                      mem, bytes);
        return -1;
    }
    hs_mem_rt *m = &s->mem[mem];
    if (m->used - m->cache + bytes > m->capacity) {
        hs_sched_fail(s, "an index cache of %.6g B does not fit in memory domain %s: used %.6g B "
                         "(of which %.6g B the present cache), capacity %.6g B",
                      bytes, s->hw->mems[mem].name, m->used, m->cache, m->capacity);
        return -1;
    }
    mem_add(s, mem, bytes - m->cache);
    m->cache = bytes;
    return 0;
}

int hs_mem_set_kv_budget(hs_sched *s, int mem, double bytes)
{
    if (!mem_ok(s, mem) || !(bytes >= 0)) {
        hs_sched_fail(s, "hs_mem_set_kv_budget(%d, %g): no such domain or a bad size",
                      mem, bytes);
        return -1;
    }
    if (s->mem[mem].kv > bytes) {
        hs_sched_fail(s, "a KV budget of %.6g B in memory domain %s is below the %.6g B of KV "
                         "caches held", bytes, s->hw->mems[mem].name, s->mem[mem].kv);
        return -1;
    }
    s->mem[mem].kv_budget = bytes;
    return 0;
}

/* ---- Transfers ------------------------------------------------------------------------------- */

/* The link between two domains, either direction; -1 when none. */
static int link_between(const hs_sched *s, int a, int b)
{
    for (size_t l = 0; l < s->hw->nlinks; l++) {
        const hs_link *k = &s->hw->links[l];
        if ((k->from == a && k->to == b) || (k->from == b && k->to == a))
            return (int)l;
    }
    return -1;
}

/* Bytes of one producer's output that must cross into mem. */
static double crossing(const hs_sched *s, const hs_stage_rt *p, int mem, int *src)
{
    if (p->last_pu < 0 || pu_mem(s, p->last_pu) == mem || link_between(s, pu_mem(s, p->last_pu), mem) < 0)
        return 0;
    *src = pu_mem(s, p->last_pu);
    return p->last_out;
}

/* One request's work: its stage inputs (first item) or the stage's
 * previous item (plus the KV of the context, for an LLM stage). */
static double req_xfer_bytes(const hs_sched *s, const hs_work *w, int mem, int *src)
{
    const hs_req *r = w->req;
    if (!w->first_of_stage) {
        const hs_stage_rt *st = &r->stages[w->stage];
        double b = crossing(s, st, mem, src);
        if (b > 0 && is_llm(&w->item) && w->item.model)
            b += hs_model_kv_bytes_per_token(w->item.model) * (double)w->item.context *
                 (double)(w->item.units > 0 ? w->item.units : 1);
        return b;
    }
    hs_dep buf[16];   /* a stage with more inputs: the first 16 count */
    size_t n = hs_request_inputs(r->dag, w->stage, buf, 16);
    double b = 0;
    for (size_t i = 0; i < n && i < 16; i++)
        b += crossing(s, &r->stages[buf[i].node], mem, src);
    return b;
}

static double xfer_bytes_from(const hs_sched *s, const hs_work *w, int pu, int *src)
{
    const int mem = pu_mem(s, pu);
    double b = 0;
    if (w->nmembers) {
        for (uint32_t i = 0; i < w->nmembers; i++)
            b += req_xfer_bytes(s, w->members[i], mem, src);
    } else if (w->req) {
        b = req_xfer_bytes(s, w, mem, src);
    }
    return b;
}

/* Seconds a transfer takes alone: latency + bytes / bandwidth. */
static double xfer_alone_s(const hs_sched *s, int from_mem, int to_mem, double bytes)
{
    int l = bytes > 0 ? link_between(s, from_mem, to_mem) : -1;
    if (l < 0)
        return 0;
    const hs_link *k = &s->hw->links[l];
    return k->latency_s + bytes / k->bandwidth_bps;
}

/* Seconds w's inputs take to cross into pu's domain, alone. */
double hs_transfer_s(hs_sched *s, const hs_work *w, int pu)
{
    if (!work_pu_ok(s, w, pu) || !s->hw->nlinks)
        return 0;
    int src = -1;
    double b = xfer_bytes_from(s, w, pu, &src);
    return b > 0 ? xfer_alone_s(s, src, pu_mem(s, pu), b) : 0;
}

/* Transfers are told by an entry of s->xfers rather than by the work's
 * address: the work may leave its queue (recall, a rollback's withdrawal,
 * then maybe freed and its record reused) while its bytes are in flight. */
enum { XFER_NONE = UINT32_MAX };

static uint32_t xfer_slot_new(hs_sched *s, hs_work *w)
{
    uint32_t i = s->xfer_free;
    if (i != XFER_NONE) {
        s->xfer_free = (uint32_t)s->xfers[i].id;
    } else {
        if (s->nxfers == s->xfers_cap) {
            uint32_t cap = s->xfers_cap ? 2 * s->xfers_cap : 16;
            struct hs_xfer *x = realloc(s->xfers, cap * sizeof *x);
            if (!x)
                return XFER_NONE;
            s->xfers = x;
            s->xfers_cap = cap;
        }
        i = s->nxfers++;
    }
    s->xfers[i] = (struct hs_xfer){.w = w, .id = w->id};
    return i;
}

static void xfer_slot_free(hs_sched *s, uint32_t i)
{
    s->xfers[i] = (struct hs_xfer){.w = NULL, .id = s->xfer_free};
    s->xfer_free = i;
}

void hs_mem_xfer_forget(hs_sched *s, hs_work *w)
{
    if (w->xfer_at == INFINITY)
        s->xfers[w->xfer_slot].w = NULL;
    w->xfer_at = -INFINITY;
}

static void xfer_done_cb(void *ctx, uint64_t arg)
{
    hs_sched *s = ctx;
    hs_engine_enter(s);
    const uint32_t i = (uint32_t)arg;
    hs_work *w = s->xfers[i].w;
    s->transfer_s += s->t - (w ? w->xfer_from : s->t);
    xfer_slot_free(s, i);
    if (!w)
        return;   /* its work left the queue meanwhile */
    w->xfer_at = s->t;
    hs_engine_try_start(s, w->pu);
    hs_engine_settle(s);
}

int hs_mem_xfer_start(hs_sched *s, hs_work *w, int pu)
{
    int src = -1;
    double bytes = xfer_bytes_from(s, w, pu, &src);
    if (!(bytes > 0))
        return 0;
    const int dst = pu_mem(s, pu), link = link_between(s, src, dst);
    const hs_exec_ops *x = s->x->ops;
    const uint32_t slot = xfer_slot_new(s, w);
    if (slot == XFER_NONE) {
        hs_sched_fail(s, "out of memory");
        return -1;
    }
    w->xfer_at = INFINITY;
    w->xfer_slot = slot;
    s->transfers++;
    s->transfer_bytes += bytes;
    w->xfer_from = s->t;
    int rc;
    if (x->transfer) {
        rc = x->transfer(s->x, link, src, dst, bytes, xfer_done_cb, slot, &s->err);
    } else {   /* an executor without flows: the transfer alone */
        rc = x->at(s->x, s->t + xfer_alone_s(s, src, dst, bytes), xfer_done_cb, slot)
                 ? 0 : hs_errf(&s->err, "out of memory");
    }
    if (rc != 0)
        hs_sched_fail(s, "%s", s->err.msg);
    return rc;
}
