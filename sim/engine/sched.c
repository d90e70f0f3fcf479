/* hetsoc: the scheduling context -- everything a policy may see and do
 * (policies/policy.h), implemented over the engine's state. */
#include <math.h>
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
    if (pu < 0 || pu >= (int)s->hw->npus || hs_item_cost_cached(s->costs, s->hw, it, pu, &c) != 0)
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
    double t = c->rc == 0 ? c->latency_s : INFINITY;
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
    return c;
}

double hs_input_ready_at(hs_sched *s, const hs_work *w, int pu)
{
    double t = hs_engine_input_ready(s, w, pu, NULL);
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

int hs_split(hs_sched *s, hs_work *w, hs_split_axis axis, const int64_t *sizes, size_t n,
             hs_work **parts)
{
    if (!w || w->state != HS_WORK_READY || w->nmembers || n < 1 || n > 64) {
        hs_sched_fail(s, "hs_split of a work that is not a ready, unbatched item (or n=%zu)", n);
        return -1;
    }
    hs_item *items = calloc(n, sizeof *items);
    hs_err err;
    if (!items || hs_item_split(&w->item, axis, sizes, n, items, &err) != 0) {
        free(items);
        hs_sched_fail(s, "%s", items ? err.msg : "out of memory");
        return -1;
    }
    hs_engine_unready(s, w);
    w->state = HS_WORK_RUNNING;  /* waits for its parts */
    w->parts_left = (uint32_t)n;
    s->splits++;
    for (size_t i = 0; i < n; i++) {
        hs_work *p = hs_engine_work_new(s);
        if (!p) {
            free(items);
            hs_sched_fail(s, "out of memory");
            return -1;
        }
        p->item = items[i];
        p->req = w->req;
        p->stage = w->stage;
        p->first_of_stage = w->first_of_stage;
        p->epoch = w->epoch;
        p->parent = w;
        if (parts)
            parts[i] = p;
        hs_engine_ready(s, p);
    }
    free(items);
    return 0;
}

int hs_batch(hs_sched *s, hs_work *const *ws, size_t n, hs_work **out)
{
    if (n < 2) {
        hs_sched_fail(s, "hs_batch needs at least two works");
        return -1;
    }
    const hs_item **items = calloc(n, sizeof *items);
    hs_work **members = calloc(n, sizeof *members);
    hs_work *b = NULL;
    hs_err err = {{0}};
    bool ok = items && members;
    for (size_t i = 0; ok && i < n; i++) {
        ok = ws[i] && ws[i]->state == HS_WORK_READY && !ws[i]->nmembers && !ws[i]->parent &&
             ws[i]->req;
        if (ok)
            items[i] = &ws[i]->item;
    }
    if (!ok) {
        free(items);
        free(members);
        hs_sched_fail(s, "hs_batch of works that are not ready, unsplit, unbatched items");
        return -1;
    }
    if (!(b = hs_engine_work_new(s)) || hs_item_batch(items, n, &b->item, &err) != 0) {
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
    if (c->rc != 0 || !isfinite(c->latency_s))
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
