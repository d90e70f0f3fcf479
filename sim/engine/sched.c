/* hetsoc: the scheduling context -- everything a policy may see and do
 * (policies/policy.h), implemented over the engine's state. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/engine_internal.h"
#include "sim/exec/cost.h"

/* ---- Time, PUs, the machine ------------------------------------------------ */

double hs_now(const hs_sched *s) { return s->x->ops->now(s->x); }
const hs_hw *hs_sched_hw(const hs_sched *s) { return s->hw; }
int hs_npus(const hs_sched *s) { return (int)s->hw->npus; }

const hs_pu *hs_pu_of(const hs_sched *s, int pu)
{
    return pu >= 0 && pu < (int)s->hw->npus ? &s->hw->pus[pu] : NULL;
}

int hs_pu_find(const hs_sched *s, const char *name_or_kind) { return hs_hw_pu_find(s->hw, name_or_kind); }
int hs_pu_running(const hs_sched *s, int pu) { return s->pus[pu].running; }
int hs_pu_queued(const hs_sched *s, int pu) { return s->pus[pu].queued; }

int hs_pu_free_slots(const hs_sched *s, int pu)
{
    const hs_pu_rt *p = &s->pus[pu];
    if (p->slots == HS_SLOTS_UNLIMITED)
        return HS_SLOTS_UNLIMITED;
    int busy = p->running + p->queued;
    return busy < p->slots ? p->slots - busy : 0;
}

/* Estimate: every slot drains in parallel; running work ends at its
 * start plus its standalone prediction (never before now), queued work
 * adds its predictions spread over the slots. */
double hs_pu_available_at(const hs_sched *s, int pu)
{
    const double t = hs_now(s);
    const hs_pu_rt *p = &s->pus[pu];
    double end = t, queued_s = 0;
    for (const hs_work *w = p->running_head; w; w = w->queue_next)
        if (w->start_time + w->predicted_s > end)
            end = w->start_time + w->predicted_s;
    for (const hs_work *w = p->queue_head; w; w = w->queue_next)
        queued_s += w->predicted_s;
    int slots = s->hw->pus[pu].slots;
    double par = slots == HS_SLOTS_UNLIMITED ? 1.0 : (double)slots;
    return end + queued_s / par;
}

double hs_bw_used_bps(const hs_sched *s, int mem) { return s->x->ops->bw_used(s->x, mem); }

double hs_bw_pressure(const hs_sched *s, int mem)
{
    if (mem < 0 || mem >= (int)s->hw->nmem)
        return 0;
    double cap = s->hw->mems[mem].achievable_bps;
    return cap > 0 ? hs_bw_used_bps(s, mem) / cap : 0;
}

/* ---- Work ------------------------------------------------------------------- */

hs_work *hs_ready_first(const hs_sched *s) { return s->ready_head; }
hs_work *hs_ready_next(const hs_sched *s, const hs_work *w) { (void)s; return w->ready_next; }
size_t hs_ready_count(const hs_sched *s) { return s->nready; }
const hs_item *hs_work_item(const hs_work *w) { return &w->item; }
hs_req *hs_work_req(const hs_work *w) { return w->req; }
uint32_t hs_work_stage(const hs_work *w) { return w->stage; }
uint64_t hs_work_id(const hs_work *w) { return w->id; }
double hs_work_ready_time(const hs_work *w) { return w->ready_time; }
int hs_work_pu(const hs_work *w) { return w->pu; }
bool hs_work_is_part(const hs_work *w) { return w->parent != NULL; }
size_t hs_work_batch_size(const hs_work *w) { return w->nmembers ? w->nmembers : 1; }
void *hs_work_data(const hs_work *w) { return w->policy_data; }
void hs_work_set_data(hs_work *w, void *data) { w->policy_data = data; }

hs_work *hs_work_batch_member(const hs_work *w, size_t i)
{
    return i < w->nmembers ? w->members[i] : NULL;
}

double hs_predict_item(hs_sched *s, const hs_item *it, int pu)
{
    hs_cost c;
    if (pu < 0 || pu >= (int)s->hw->npus || hs_item_cost_cached(s->costs, s->hw, it, pu, &c) != 0 ||
        hs_mem_item_exceeds(s, it, pu))
        return INFINITY;
    return c.latency_s;
}

/* hs_predict of a valid PU.  Each work remembers its predictions on the
 * first HS_WORK_PRED_PUS PUs: policies ask the same question many times
 * while it waits. */
static inline double work_predict(hs_sched *s, hs_work *w, int pu)
{
    const bool memo = pu < HS_WORK_PRED_PUS;
    if (memo && (w->pred_valid >> pu & 1))
        return w->pred[pu];
    const hs_cost *c = hs_engine_work_cost(s, w, pu);
    double t = c->rc == 0 && !hs_mem_exceeds(s, w, pu) ? c->latency_s : INFINITY;
    if (memo) {
        w->pred[pu] = t;
        w->pred_valid |= 1u << pu;
    }
    return t;
}

double hs_predict(hs_sched *s, const hs_work *w, int pu)
{
    if (pu < 0 || pu >= (int)s->hw->npus)
        return INFINITY;
    return work_predict(s, (hs_work *)w, pu);
}

bool hs_can_run(hs_sched *s, const hs_work *w, int pu)
{
    return pu >= 0 && pu < (int)s->hw->npus && isfinite(work_predict(s, (hs_work *)w, pu));
}

double hs_work_bw_demand(hs_sched *s, const hs_work *w, int pu)
{
    hs_cost c;
    if (pu < 0 || pu >= (int)s->hw->npus || hs_item_cost_cached(s->costs, s->hw, &w->item, pu, &c) != 0)
        return 0;
    return c.bound_bps;
}

double hs_input_cost(hs_sched *s, const hs_work *w, int pu)
{
    double c = 0;
    hs_engine_input_ready(s, w, pu, &c);
    double x = hs_transfer_s(s, w, pu);
    return x > c ? x : c;
}

/* A transfer between memory domains starts at the dispatch (now) and
 * takes latency + bytes / bandwidth alone; one already under way or
 * arrived is known. */
double hs_input_ready_at(hs_sched *s, const hs_work *w, int pu)
{
    double t = hs_engine_input_ready(s, w, pu, NULL);
    double x = w->xfer_at > -INFINITY && w->pu == pu ? w->xfer_at : hs_now(s) + hs_transfer_s(s, w, pu);
    if (x > t)
        t = x;
    return t > hs_now(s) ? t : hs_now(s);
}

double hs_sync_s(const hs_sched *s, int from, int to)
{
    return hs_hw_sync_s(s->hw, from, to, s->cfg->fast_sync);
}

/* ---- Requests ------------------------------------------------------------------- */

uint64_t hs_req_id(const hs_req *r) { return r->arr.id; }
const hs_req_class *hs_req_class_of(const hs_req *r) { return hs_request_class(r->dag); }
double hs_req_arrival(const hs_req *r) { return r->arr.time; }
const hs_request *hs_req_dag(const hs_req *r) { return r->dag; }
uint32_t hs_req_nstages(const hs_req *r) { return hs_request_nvisible(r->dag); }
size_t hs_req_active_work(const hs_req *r) { return r->active; }
void *hs_req_data(const hs_req *r) { return r->policy_data; }
void hs_req_set_data(hs_req *r, void *data) { r->policy_data = data; }
hs_req *hs_req_first(const hs_sched *s) { return s->req_head; }
hs_req *hs_req_next(const hs_sched *s, const hs_req *r) { (void)s; return r->next; }

double hs_req_deadline(const hs_req *r)
{
    double slo = hs_req_class_of(r)->slo.latency_s;
    return slo > 0 ? r->arr.time + slo : INFINITY;
}

hs_rng *hs_sched_rng(hs_sched *s) { return &s->rng; }

/* ---- Actions: split, batch, timers ---------------------------------------------- */

/* "work 12 (request 3, stage 1)" (or "batch", "part of work 7"): how
 * errors name a work. */
static const char *work_name(const hs_work *w, char *buf, size_t size)
{
    if (!w)
        snprintf(buf, size, "a NULL work");
    else if (w->req)
        snprintf(buf, size, "work %llu (request %llu, stage %u%s)", (unsigned long long)w->id,
                 (unsigned long long)w->req->arr.id, w->stage,
                 w->nmembers ? ", a batch" : w->parent ? ", a part" : "");
    else
        snprintf(buf, size, "work %llu (a batch of %u works of several requests)",
                 (unsigned long long)w->id, w->nmembers);
    return buf;
}

/* A new READY part of w with item it.  NULL (the run failed) when out of
 * memory. */
static hs_work *new_part(hs_sched *s, hs_work *w, const hs_item *it)
{
    hs_work *p = hs_engine_work_new(s);
    if (!p) {
        hs_sched_fail(s, "out of memory");
        return NULL;
    }
    p->item = *it;
    p->req = w->req;
    p->stage = w->stage;
    p->first_of_stage = w->first_of_stage;
    p->epoch = w->epoch;
    p->parent = w;
    return p;
}

/* Takes READY w off the ready list to wait for its n parts. */
static void await_parts(hs_sched *s, hs_work *w, size_t n)
{
    hs_engine_unready(s, w);
    w->state = HS_WORK_RUNNING;  /* waits for its parts */
    w->parts_left = (uint32_t)n;
    s->splits++;
}

static int split_batch(hs_sched *s, hs_work *w, hs_split_axis axis, const int64_t *sizes, size_t n,
                       hs_work **parts);

int hs_split(hs_sched *s, hs_work *w, hs_split_axis axis, const int64_t *sizes, size_t n,
             hs_work **parts)
{
    char name[160];
    if (!w || w->state != HS_WORK_READY || n < 1 || n > 64) {
        hs_sched_fail(s, "hs_split of %s: not a ready work (or n=%zu)", work_name(w, name, sizeof name), n);
        return -1;
    }
    if (w->nmembers)
        return split_batch(s, w, axis, sizes, n, parts);
    hs_item *items = calloc(n, sizeof *items);
    hs_err err;
    if (!items || hs_item_split(&w->item, axis, sizes, n, items, &err) != 0) {
        free(items);
        hs_sched_fail(s, "hs_split of %s: %s", work_name(w, name, sizeof name), items ? err.msg : "out of memory");
        return -1;
    }
    await_parts(s, w, n);
    for (size_t i = 0; i < n; i++) {
        hs_work *p = new_part(s, w, &items[i]);
        if (!p)
            break;
        if (parts)
            parts[i] = p;
        hs_engine_ready(s, p);
    }
    free(items);
    return s->failed ? -1 : 0;
}

/* ---- Splitting a batch ------------------------------------------------------------
 * Along HS_SPLIT_BATCH the sizes count members: each part is a sub-batch of
 * consecutive members (their batched item), waiting on its own members'
 * inputs.  Along HS_SPLIT_ROWS each part is a share of the batched item's
 * weight rows covering every member, waiting on all members' inputs.  The
 * batch joins when all its parts are done; then each member finishes. */

/* Part i of a row split of batch w: its inputs are the batch's (routed
 * through hs_engine_input_ready, which looks at the parent). */
static int batch_row_parts(hs_sched *s, hs_work *w, const int64_t *sizes, size_t n, hs_work **parts)
{
    char name[160];
    hs_item *items = calloc(n, sizeof *items);
    hs_err err;
    if (!items || hs_item_split(&w->item, HS_SPLIT_ROWS, sizes, n, items, &err) != 0) {
        free(items);
        hs_sched_fail(s, "hs_split of %s by rows: %s", work_name(w, name, sizeof name),
                      items ? err.msg : "out of memory");
        return -1;
    }
    await_parts(s, w, n);
    for (size_t i = 0; i < n && !s->failed; i++) {
        hs_work *p = new_part(s, w, &items[i]);
        if (!p)
            break;
        p->first_of_stage = true;   /* not the stage's chain: ask the parent batch */
        if (parts)
            parts[i] = p;
        hs_engine_ready(s, p);
    }
    free(items);
    return s->failed ? -1 : 0;
}

/* A sub-batch of members [first, first + size) of batch w. */
static hs_work *sub_batch(hs_sched *s, hs_work *w, size_t first, size_t size)
{
    char name[160];
    hs_work **members = calloc(size, sizeof *members);
    const hs_item **items = calloc(size, sizeof *items);
    hs_item it;
    hs_err err;
    hs_work *p = NULL;
    if (!members || !items) {
        hs_sched_fail(s, "out of memory");
    } else {
        for (size_t i = 0; i < size; i++) {
            members[i] = w->members[first + i];
            items[i] = &members[i]->item;
        }
        if (hs_item_batch(items, size, &it, &err) != 0)
            hs_sched_fail(s, "hs_split of %s by batch: %s", work_name(w, name, sizeof name), err.msg);
        else if ((p = new_part(s, w, &it))) {
            p->members = members;
            p->nmembers = (uint32_t)size;
            members = NULL;
        }
    }
    free(members);
    free(items);
    return p;
}

static int split_batch(hs_sched *s, hs_work *w, hs_split_axis axis, const int64_t *sizes, size_t n,
                       hs_work **parts)
{
    char name[160];
    if (axis == HS_SPLIT_ROWS)
        return batch_row_parts(s, w, sizes, n, parts);
    int64_t sum = 0;
    bool sizes_ok = true;
    for (size_t i = 0; i < n; i++) {
        sizes_ok = sizes_ok && sizes[i] >= 1 && sizes[i] <= (int64_t)w->nmembers;
        sum += sizes_ok ? sizes[i] : 0;
    }
    if (axis != HS_SPLIT_BATCH || !sizes_ok || sum != (int64_t)w->nmembers) {
        hs_sched_fail(s, "hs_split of %s: a batch splits along rows, or along batch into sub-batches "
                         "of its %u members (sizes >= 1 summing to it)",
                      work_name(w, name, sizeof name), w->nmembers);
        return -1;
    }
    await_parts(s, w, n);
    size_t first = 0;
    for (size_t i = 0; i < n; i++) {
        hs_work *p = sub_batch(s, w, first, (size_t)sizes[i]);
        if (!p)
            return -1;
        first += (size_t)sizes[i];
        if (parts)
            parts[i] = p;
        hs_engine_ready(s, p);
    }
    return 0;
}

/* ---- Batching ---------------------------------------------------------------------- */

/* Why ws cannot be batched (the reason, *bad the work at fault), or NULL.
 * Members are READY, neither batches nor parts of a split batch, all whole
 * items or all parts of split items (HedraRAG's cluster minibatch), and
 * pairwise compatible (hs_item_batchable). */
static const char *batch_refusal(hs_work *const *ws, size_t n, size_t *bad)
{
    for (size_t i = 0; i < n; i++) {
        const hs_work *w = ws[i];
        *bad = i;
        if (!w || w->state != HS_WORK_READY)
            return "is not ready";
        if (w->nmembers)
            return "is a batch already";
        if (!w->req)
            return "belongs to no request";
        if (w->parent && w->parent->nmembers)
            return "is a part of a split batch";
        if ((w->parent != NULL) != (ws[0]->parent != NULL))
            return w->parent ? "is a part, and the first work a whole item"
                             : "is a whole item, and the first work a part";
        if (i > 0 && !hs_item_batchable(&ws[0]->item, &w->item))
            return "cannot be batched with the first work (another model, op, layer, format or "
                   "index, or an item that never batches)";
    }
    return NULL;
}

int hs_batch(hs_sched *s, hs_work *const *ws, size_t n, hs_work **out)
{
    if (n < 2) {
        hs_sched_fail(s, "hs_batch needs at least two works");
        return -1;
    }
    size_t bad = 0;
    const char *why = batch_refusal(ws, n, &bad);
    if (why) {
        char a[160], b[160];
        hs_sched_fail(s, "hs_batch: %s %s (first work: %s)", work_name(ws[bad], a, sizeof a), why,
                      work_name(ws[0], b, sizeof b));
        return -1;
    }
    const hs_item **items = calloc(n, sizeof *items);
    hs_work **members = calloc(n, sizeof *members);
    hs_work *b = NULL;
    hs_err err = {{0}};
    for (size_t i = 0; items && i < n; i++)
        items[i] = &ws[i]->item;
    if (!items || !members || !(b = hs_engine_work_new(s)) || hs_item_batch(items, n, &b->item, &err) != 0) {
        free(items);
        free(members);
        hs_sched_fail(s, "%s", b ? err.msg : "out of memory");
        return -1;
    }
    free(items);
    hs_req *r = ws[0]->req;
    for (size_t i = 0; i < n; i++) {
        members[i] = ws[i];
        hs_engine_unready(s, ws[i]);
        ws[i]->state = HS_WORK_RUNNING;  /* inside the batch */
        if (ws[i]->req != r)
            r = NULL;
    }
    b->members = members;
    b->nmembers = (uint32_t)n;
    b->req = r;
    b->stage = r ? ws[0]->stage : 0;
    s->batches++;
    if (out)
        *out = b;
    hs_engine_ready(s, b);
    return 0;
}

static void timer_cb(void *ctx, uint64_t tag)
{
    hs_sched *s = ctx;
    hs_engine_enter(s);
    if (s->pol->timer)
        s->pol->timer(s, s->pol_state, tag);
    hs_engine_touch(s);
    hs_engine_settle(s);
}

int hs_timer(hs_sched *s, double delay, uint64_t tag)
{
    if (!(delay >= 0) || !isfinite(delay)) {
        hs_sched_fail(s, "hs_timer with delay %g", delay);
        return -1;
    }
    return s->x->ops->at(s->x, hs_now(s) + delay, timer_cb, tag) ? 0 : -1;
}

int hs_speculate(hs_sched *s, hs_req *r, uint32_t stage) { return hs_engine_speculate(s, r, stage); }

int hs_search_drop_rest(hs_sched *s, hs_req *r, uint32_t stage)
{
    if (!r || hs_request_search_truncate(r->dag, stage) != 0) {
        hs_sched_fail(s, "hs_search_drop_rest of request %llu stage %u: not a search running a split "
                         "scan with a part finished",
                      r ? (unsigned long long)r->arr.id : 0ull, stage);
        return -1;
    }
    return (int)hs_engine_drop_rest(s, r, stage);
}

int hs_search_reorder(hs_sched *s, hs_req *r, uint32_t stage, int64_t local_topk,
                      hs_search_order *out)
{
    if (!r || hs_request_search_reorder(r->dag, stage, local_topk, out) != 0) {
        hs_sched_fail(s, "hs_search_reorder of request %llu stage %u: not a search whose scan has "
                         "yet to search a cluster (or local_topk %lld < 0)",
                      r ? (unsigned long long)r->arr.id : 0ull, stage, (long long)local_topk);
        return -1;
    }
    return 0;
}

/* ---- Speculation by progress, look-ahead, energy per request --------------------- */

int hs_req_search_progress(const hs_req *r, uint32_t stage, int64_t m, hs_search_progress *out)
{
    return hs_request_search_progress(r->dag, stage, m, out);
}

int hs_req_expected_downstream(const hs_req *r, uint32_t stage, hs_work_expect *out)
{
    return hs_request_expected_downstream(r->dag, stage, out);
}

double hs_req_energy_j(const hs_sched *s, const hs_req *r)
{
    return s->x->ops->done_energy ? r->energy_j : NAN;
}

/* ---- Contention-aware prediction -------------------------------------------------- */

/* The executor's own answer (exec.h's predict_now): the simulated
 * machine's trial solve, or the real executor's model. */
double hs_predict_now(hs_sched *s, const hs_work *w, int pu)
{
    if (pu < 0 || pu >= (int)s->hw->npus)
        return INFINITY;
    const hs_cost *c = hs_engine_work_cost(s, (hs_work *)w, pu);
    if (c->rc != 0 || !isfinite(c->latency_s) || hs_mem_exceeds(s, w, pu))
        return INFINITY;
    return s->x->ops->predict_now(s->x, pu, &w->item, c);
}

/* ---- Accessors for policies ------------------------------------------------------ */

static const hs_param_val *val_find(const hs_sched *s, const char *name, hs_param_type type)
{
    const hs_param_val *v = hs_param_set_find(&s->params, name, type);
    if (!v)
        hs_sched_fail((hs_sched *)s, "asked for undeclared parameter '%s' (or of another type)", name);
    return v;
}

double hs_param_f64(const hs_sched *s, const char *name)
{
    const hs_param_val *v = val_find(s, name, HS_PARAM_F64);
    return v ? v->f : 0;
}

int64_t hs_param_i64(const hs_sched *s, const char *name)
{
    const hs_param_val *v = val_find(s, name, HS_PARAM_I64);
    return v ? v->i : 0;
}

bool hs_param_bool(const hs_sched *s, const char *name)
{
    const hs_param_val *v = val_find(s, name, HS_PARAM_BOOL);
    return v ? v->b : false;
}

const char *hs_param_str(const hs_sched *s, const char *name)
{
    const hs_param_val *v = val_find(s, name, HS_PARAM_STR);
    return v ? v->s : "";
}

int hs_param_pu(const hs_sched *s, const char *name)
{
    const hs_param_val *v = val_find(s, name, HS_PARAM_PU);
    return v ? v->pu : -1;
}

const hs_node *hs_param_map_node(const hs_sched *s, const char *name)
{
    const hs_param_val *v = val_find(s, name, HS_PARAM_MAP);
    return v ? v->map : NULL;
}

size_t hs_run_stage_names(const hs_sched *s, const char **names, size_t cap)
{
    return hs_workload_stage_names(s->wl, names, cap);
}

int hs_param_map_pu(const hs_sched *s, const char *name, const char *key)
{
    const hs_param_val *v = val_find(s, name, HS_PARAM_MAP);
    const hs_node *n = v ? hs_map_get(v->map, key) : NULL;
    const char *pu;
    hs_err err;
    if (!n || hs_node_str(n, &pu, &err) != 0)
        return -1;
    return hs_hw_pu_find(s->hw, pu);
}
