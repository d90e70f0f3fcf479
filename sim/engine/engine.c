/* hetsoc: the engine's request lifecycle.
 *
 * Everything happens in executor callbacks, one at a time, in the
 * executor's deterministic (time, insertion) order:
 *   arrival     a request arrives: its DAG is drawn, its roots revealed
 *   work done   a kernel finished on a PU: parts join, batches fan out,
 *               the request's DAG advances, the PU starts its next work
 *   delay done  a tool / web call (which holds no PU) finished
 *   join        the sync after the parts of a split item ran on two PUs
 *   wakeup      a PU's next work has waited for its inputs to arrive
 *   schedule    once per instant in which anything changed: the policy's
 *               schedule() hook
 *   timer       a policy timer
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/engine/engine_internal.h"

static void finish_item(hs_sched *s, hs_work *w);
static void finish_work(hs_sched *s, hs_work *w);
static bool stale(const hs_sched *s, const hs_work *w);
static void rollback(hs_sched *s, hs_req *r, uint32_t stage);
static void settle_speculative(hs_sched *s, hs_req *r, uint32_t stage, bool held);

/* ---- Failure ------------------------------------------------------------- */

static void engine_fail(hs_sched *s, const char *msg)
{
    if (s->failed)
        return;
    s->failed = true;
    if (msg != s->err.msg)
        snprintf(s->err.msg, sizeof s->err.msg, "%s", msg);
    s->x->ops->stop(s->x);
}

void hs_engine_fail(hs_sched *s, const char *msg) { engine_fail(s, msg); }

void hs_sched_fail(hs_sched *s, const char *fmt, ...)
{
    char buf[HS_ERR_MSG_MAX - 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char msg[HS_ERR_MSG_MAX];
    snprintf(msg, sizeof msg, "error: policy '%s': %s", s->pol->name, buf);
    engine_fail(s, msg);
}

static hs_event *post(hs_sched *s, double t, hs_exec_fn fn, uint64_t arg)
{
    hs_event *ev = s->x->ops->at(s->x, t, fn, arg);
    if (!ev)
        engine_fail(s, "error: out of memory");
    return ev;
}

/* The time of the callback being handled (hs_engine_enter). */
static double now(const hs_sched *s) { return s->t; }

/* ---- Work records: recycled through a free list -------------------------- */

/* Works live in slabs of HS_WORK_SLAB records owned by the run, so a run
 * cut short (end time, event budget, failure) frees every record whatever
 * state it was in. */
enum { HS_WORK_SLAB = 256 };

typedef struct hs_work_slab {
    struct hs_work_slab *next;
    hs_work w[HS_WORK_SLAB];
} hs_work_slab;

static int grow_works(hs_sched *s)
{
    hs_work_slab *slab = calloc(1, sizeof *slab);
    if (!slab)
        return -1;
    slab->next = s->slabs;
    s->slabs = slab;
    for (int i = HS_WORK_SLAB - 1; i >= 0; i--) {
        slab->w[i].state = HS_WORK_DONE;
        slab->w[i].free_next = s->free_works;
        s->free_works = &slab->w[i];
    }
    return 0;
}

/* A record off the free list, its header still the last work's
 * (work_reset makes it new).  NULL when out of memory. */
static hs_work *work_pop(hs_sched *s)
{
    if (!s->free_works && grow_works(s) != 0)
        return NULL;
    hs_work *w = s->free_works;
    s->free_works = w->free_next;
    return w;
}

/* Resets the header of a record for a new work (no id yet; its item is
 * the caller's to fill).  Inline, so that the fields the caller sets next
 * are stored once. */
static inline void work_reset(hs_sched *s, hs_work *w)
{
    /* Field by field: a memset of the header compiles to a string store
     * whose start-up costs more than these stores. */
    w->id = 0;
    w->req = NULL;
    w->stage = 0;
    w->state = HS_WORK_READY;
    w->role = HS_WORK_PLAIN;
    w->first_of_stage = false;
    w->cut = false;
    w->epoch = 0;
    w->pu = -1;
    w->ready_time = now(s);
    w->start_time = w->predicted_s = 0;
    w->policy_data = NULL;
    w->ready_prev = w->ready_next = w->queue_next = w->parent = NULL;
    w->parts_left = 0;
    w->parts_pus = 0;
    w->part_last_pu = -1;
    w->members = NULL;
    w->nmembers = 0;
    w->free_next = NULL;
    w->cost_pu = -1;
    w->pred_valid = 0;
    w->xfer_at = -INFINITY;
    w->busy_s = w->energy_j = 0;
}

/* A record off the free list with its header reset.  NULL when out of
 * memory. */
static hs_work *work_take(hs_sched *s)
{
    hs_work *w = work_pop(s);
    if (w)
        work_reset(s, w);
    return w;
}

/* Puts back a record from work_pop that never became a work. */
static void work_untake(hs_sched *s, hs_work *w)
{
    w->state = HS_WORK_DONE;
    w->free_next = s->free_works;
    s->free_works = w;
}

hs_work *hs_engine_work_new(hs_sched *s)
{
    hs_work *w = work_take(s);
    if (w)
        w->id = s->next_work_id++;
    return w;
}

static void free_slabs(hs_sched *s)
{
    while (s->slabs) {
        hs_work_slab *slab = s->slabs;
        s->slabs = slab->next;
        for (int i = 0; i < HS_WORK_SLAB; i++)
            if (slab->w[i].state != HS_WORK_DONE)
                free(slab->w[i].members);
        free(slab);
    }
    s->free_works = NULL;
}

static void work_free(hs_sched *s, hs_work *w)
{
    if (w->members) {        /* a batch: most works have none to free */
        free(w->members);
        w->members = NULL;
    }
    w->state = HS_WORK_DONE;
    w->free_next = s->free_works;
    s->free_works = w;
}

void hs_engine_work_free(hs_sched *s, hs_work *w) { work_free(s, w); }

/* ---- The ready list (FIFO by readiness) ------------------------------------ */

/* Appends w to the ready list and tells the policy (inline for the items
 * a request issues; hs_engine_ready for splits and batches). */
static inline void ready_push(hs_sched *s, hs_work *w)
{
    w->state = HS_WORK_READY;
    w->ready_next = NULL;
    w->ready_prev = s->ready_tail;
    if (s->ready_tail)
        s->ready_tail->ready_next = w;
    else
        s->ready_head = w;
    s->ready_tail = w;
    s->nready++;
    if (s->pol->work_ready)
        s->pol->work_ready(s, s->pol_state, w);
    hs_engine_touch(s);
}

void hs_engine_ready(hs_sched *s, hs_work *w) { ready_push(s, w); }

void hs_engine_unready(hs_sched *s, hs_work *w)
{
    if (w->ready_prev)
        w->ready_prev->ready_next = w->ready_next;
    else
        s->ready_head = w->ready_next;
    if (w->ready_next)
        w->ready_next->ready_prev = w->ready_prev;
    else
        s->ready_tail = w->ready_prev;
    w->ready_prev = w->ready_next = NULL;
    s->nready--;
}

/* ---- The schedule() hook, once per instant --------------------------------
 * Anything that changes marks the run dirty (hs_engine_touch).  Every
 * executor callback ends with hs_engine_settle: when no other callback is
 * due at this instant, the policy's schedule() runs right away; otherwise a
 * schedule callback is posted behind those due now (the executor runs equal
 * times in posting order).  Either way schedule() runs after everything
 * that happened at the instant, once -- again only if it changed things
 * itself (a split, a batch: their new ready work). */

static void run_schedule(hs_sched *s)
{
    s->dirty = false;
    if (!s->failed)
        s->pol->schedule(s, s->pol_state);
}

static void schedule_cb(void *ctx, uint64_t arg)
{
    (void)arg;
    hs_sched *s = ctx;
    hs_engine_enter(s);
    s->schedule_posted = false;
    run_schedule(s);
    hs_engine_settle(s);
}

void hs_engine_touch(hs_sched *s) { s->dirty = true; }

void hs_engine_settle(hs_sched *s)
{
    if (!s->dirty || s->schedule_posted || s->failed)
        return;
    const hs_exec_ops *x = s->x->ops;
    if (x->next_time && x->next_time(s->x) > now(s)) {
        run_schedule(s);
        if (!s->dirty)
            return;
    }
    s->schedule_posted = true;
    post(s, now(s), schedule_cb, 0);
}

/* ---- Inputs and handoff costs ----------------------------------------------- */

/* When an input produced on PU `from` at time `end` is available on `pu`:
 * free on the same PU (or from a delay, which has no PU), otherwise after
 * the edge's communication time (`dag` comm) or the profile's sync cost. */
static double handoff(const hs_sched *s, int from, double end, double comm, int pu, double *cost)
{
    double c = 0;
    if (from >= 0 && from != pu)
        c = comm > 0 ? comm : s->sync_s[from * (int)s->hw->npus + pu];
    if (c > *cost)
        *cost = c;
    return end + c;
}

static double stage_inputs_ready(hs_sched *s, const hs_req *r, uint32_t stage, int pu, double *cost)
{
    hs_dep buf[16];
    size_t n = hs_request_inputs(r->dag, stage, buf, 16);
    hs_dep *deps = buf;
    if (n > 16) {
        if (!(deps = malloc(n * sizeof *deps)))
            return now(s);
        hs_request_inputs(r->dag, stage, deps, n);
    }
    double t = 0;
    for (size_t i = 0; i < n; i++) {
        const hs_stage_rt *p = &r->stages[deps[i].node];
        double ti = handoff(s, p->last_pu, p->last_end, deps[i].comm_s, pu, cost);
        if (ti > t)
            t = ti;
    }
    if (deps != buf)
        free(deps);
    return t;
}

double hs_engine_input_ready(hs_sched *s, const hs_work *w, int pu, double *cost)
{
    double c = 0, t = 0;
    if (w->nmembers) {
        for (uint32_t i = 0; i < w->nmembers; i++) {
            double ti = hs_engine_input_ready(s, w->members[i], pu, &c);
            if (ti > t)
                t = ti;
        }
    } else if (w->parent && w->parent->nmembers) {
        t = hs_engine_input_ready(s, w->parent, pu, &c);   /* a row part of a batch */
    } else if (w->req) {
        const hs_stage_rt *st = &w->req->stages[w->stage];
        if (w->first_of_stage)
            t = stage_inputs_ready(s, w->req, w->stage, pu, &c);
        else
            t = handoff(s, st->last_pu, st->last_end, 0, pu, &c);
    }
    if (cost && c > *cost)
        *cost = c;
    return t;
}

/* hs_engine_input_ready with the common case inline: the next item of a
 * stage, whose only input is the stage's previous item. */
static inline double input_ready(hs_sched *s, const hs_work *w, int pu, double *cost)
{
    if (w->req && !w->first_of_stage && !w->nmembers) {
        const hs_stage_rt *st = &w->req->stages[w->stage];
        return handoff(s, st->last_pu, st->last_end, 0, pu, cost);
    }
    return hs_engine_input_ready(s, w, pu, cost);
}

/* ---- Per-PU dispatch queues ------------------------------------------------------ */

static void start_queued(hs_sched *s, int pu);

/* Starts what the PU's queue can start now: most calls find it empty. */
static inline void try_start(hs_sched *s, int pu)
{
    if (s->pus[pu].queue_head)
        start_queued(s, pu);
}

void hs_engine_try_start(hs_sched *s, int pu) { try_start(s, pu); }

static void wakeup_cb(void *ctx, uint64_t pu)
{
    hs_sched *s = ctx;
    hs_engine_enter(s);
    s->pus[pu].wakeup = NULL;
    try_start(s, (int)pu);
    hs_engine_settle(s);
}

/* A kernel is queued (its launch overlaps the previous kernel's run) when
 * its PU was busy up to now -- a kernel ended on it just now or still
 * runs -- and its inputs were already there: produced on this PU, or
 * arrived from another before now (t_in, at a handoff cost of `cost`). */
static unsigned start_flags(const hs_sched *s, int pu, double t, double t_in, double cost)
{
    const hs_pu_rt *p = &s->pus[pu];
    if (!(p->running > 0 || p->last_end == t))
        return 0;
    return cost == 0 || t_in < t ? HS_EXEC_QUEUED : 0;
}

/* Tells the sink (if it listens) the PU's queued and running counts. */
static inline void note_pu_load(const hs_sched *s, int pu)
{
    if (s->cfg->sink.pu_load)
        s->cfg->sink.pu_load(s->cfg->sink.ctx, s->t, pu, s->pus[pu].queued, s->pus[pu].running);
}

/* Starts the PU's queue head w, whose inputs arrived at t_in <= now. */
static inline void start_work(hs_sched *s, int pu, hs_work *w, double t, double t_in, double cost)
{
    hs_pu_rt *p = &s->pus[pu];
    const unsigned flags = start_flags(s, pu, t, t_in, cost);
    p->queue_head = w->queue_next;
    if (!p->queue_head)
        p->queue_tail = NULL;
    w->queue_next = p->running_head;
    p->running_head = w;
    p->queued--;
    p->running++;
    note_pu_load(s, pu);
    w->state = HS_WORK_RUNNING;
    w->start_time = t;
    /* An error goes straight to the run's message (a local hs_err would
     * give this hot path a large frame): nothing starts once the run
     * failed, so no earlier message is overwritten. */
    const hs_exec_ops *x = s->x->ops;
    int rc = x->start_cost ? x->start_cost(s->x, pu, &w->item, hs_engine_work_cost(s, w, pu), flags, w, &s->err)
                           : x->start(s->x, pu, &w->item, flags, w, &s->err);
    if (rc != 0)
        engine_fail(s, s->err.msg);
}

/* The PU's queue head waits for its inputs: retry when they arrive. */
static void wake_at(hs_sched *s, int pu, double t_in)
{
    hs_pu_rt *p = &s->pus[pu];
    if (p->wakeup && p->wakeup_at <= t_in)
        return;
    if (p->wakeup)
        s->x->ops->cancel(s->x, p->wakeup);
    p->wakeup = post(s, t_in, wakeup_cb, (uint64_t)pu);
    p->wakeup_at = t_in;
}

/* Starts queued work in dispatch order while the PU has free slots and the
 * head's inputs have arrived; otherwise retries when they will have. */
static void start_queued(hs_sched *s, int pu)
{
    hs_pu_rt *p = &s->pus[pu];
    while (p->queue_head && p->running < p->slots && !s->failed) {
        double cost = 0;
        double t_in = input_ready(s, p->queue_head, pu, &cost);
        double t = now(s);
        if (p->queue_head->xfer_at > t_in) {   /* a transfer between memory domains */
            t_in = p->queue_head->xfer_at;
            if (t_in == INFINITY)
                return;   /* in flight: its arrival retries the queue */
        }
        if (t_in > t) {
            wake_at(s, pu, t_in);
            return;
        }
        start_work(s, pu, p->queue_head, t, t_in, cost);
    }
}

int hs_dispatch(hs_sched *s, hs_work *w, int pu)
{
    if (!w || w->state != HS_WORK_READY || pu < 0 || pu >= (int)s->hw->npus) {
        hs_sched_fail(s, "hs_dispatch of a work that is not ready, or to PU %d", pu);
        return -1;
    }
    /* The start needs w's cost on pu: that one lookup (as a rule already
     * made when the policy asked about pu) also says whether pu can run
     * it, and its prediction. */
    const hs_cost *c = hs_engine_work_cost(s, w, pu);
    if (c->rc != 0 || !isfinite(c->latency_s)) {
        hs_sched_fail(s, "work %llu (%s) cannot run on PU %s", (unsigned long long)w->id,
                      hs_slot_name(w->item.slot), s->hw->pus[pu].name);
        return -1;
    }
    if (hs_mem_admit(s, w, pu) != 0)
        return -1;
    hs_engine_unready(s, w);
    w->predicted_s = c->latency_s;
    /* Inputs from another memory domain start crossing the link now; the
     * queue holds w until they have arrived (xfer_at). */
    if (s->hw->nlinks && hs_mem_xfer_start(s, w, pu) != 0)
        return -1;
    hs_engine_enqueue(s, w, pu);
    return 0;
}

void hs_engine_enqueue(hs_sched *s, hs_work *w, int pu)
{
    w->state = HS_WORK_QUEUED;
    w->pu = pu;
    hs_pu_rt *p = &s->pus[pu];
    if (p->queue_tail)
        p->queue_tail->queue_next = w;
    else
        p->queue_head = w;
    p->queue_tail = w;
    p->queued++;
    note_pu_load(s, pu);
    start_queued(s, pu);
}

void hs_engine_dequeue(hs_sched *s, hs_work *w)
{
    hs_pu_rt *p = &s->pus[w->pu];
    hs_work *prev = NULL;
    for (hs_work *q = p->queue_head; q != w; q = q->queue_next)
        prev = q;
    if (prev)
        prev->queue_next = w->queue_next;
    else
        p->queue_head = w->queue_next;
    if (p->queue_tail == w)
        p->queue_tail = prev;
    w->queue_next = NULL;
    p->queued--;
    note_pu_load(s, w->pu);
    w->pu = -1;
    if (w->xfer_at > -INFINITY)
        hs_mem_xfer_forget(s, w);
}


/* ---- Issuing work items of a request ----------------------------------------------- */

static void delay_done_cb(void *ctx, uint64_t arg)
{
    hs_sched *s = ctx;
    hs_engine_enter(s);
    finish_work(s, (hs_work *)(uintptr_t)arg);
    hs_engine_touch(s);
    hs_engine_settle(s);
}

/* The stage's rollback count, which its works carry to be told apart
 * from those of a rolled-back run: 0 unless some stage was speculated. */
static int32_t stage_epoch(const hs_sched *s, const hs_req *r, uint32_t stage)
{
    return s->speculations ? hs_request_node(r->dag, stage)->rollbacks : 0;
}

/* Pulls the next item of a READY stage and makes it a work: a delay starts
 * at once (it holds no PU); anything else joins the ready list. */
static void issue_next_item(hs_sched *s, hs_req *r, uint32_t stage, bool first)
{
    hs_work *w = work_pop(s);
    if (!w) {
        engine_fail(s, "error: out of memory");
        return;
    }
    if (hs_request_next_item(r->dag, stage, &w->item) != 1) {
        work_untake(s, w);
        return;
    }
    work_reset(s, w);
    w->id = s->next_work_id++;
    w->req = r;
    w->stage = stage;
    w->first_of_stage = first;
    w->epoch = stage_epoch(s, r, stage);
    r->active++;
    if (w->item.kind == HS_ITEM_DELAY) {
        w->state = HS_WORK_RUNNING;
        w->start_time = now(s);
        post(s, now(s) + w->item.delay_s, delay_done_cb, (uint64_t)(uintptr_t)w);
        return;
    }
    ready_push(s, w);
}

static int grow_stages(hs_req *r, uint32_t n)
{
    if (n <= r->stages_cap)
        return 0;
    uint32_t cap = r->stages_cap ? r->stages_cap * 2 : 8;
    while (cap < n)
        cap *= 2;
    hs_stage_rt *st = realloc(r->stages, cap * sizeof *st);
    if (!st)
        return -1;
    for (uint32_t i = r->stages_cap; i < cap; i++)
        st[i] = (hs_stage_rt){.last_pu = -1, .last_end = 0};
    r->stages = st;
    r->stages_cap = cap;
    return 0;
}

/* ---- Requests ------------------------------------------------------------------------- */

static void schedule_next_arrival(hs_sched *s);

static void unlink_req(hs_sched *s, hs_req *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        s->req_head = r->next;
    if (r->next)
        r->next->prev = r->prev;
    else
        s->req_tail = r->prev;
}

static void req_free(hs_req *r)
{
    hs_request_free(r->dag);
    free(r->stages);
    free(r);
}

/* Prompt and output tokens of the request's LLM stages (all revealed by
 * the time it finishes; a rolled-back stage counts once). */
static void request_tokens(const hs_req *r, uint64_t *prompt, uint64_t *output)
{
    *prompt = *output = 0;
    for (uint32_t i = 0; i < hs_request_nvisible(r->dag); i++) {
        const hs_stage_info *si = hs_request_node(r->dag, i);
        if (si->kind == HS_STAGE_LLM) {
            *prompt += (uint64_t)si->prompt;
            *output += (uint64_t)si->output;
        }
    }
}

static void finish_request(hs_sched *s, hs_req *r)
{
    const double t = now(s);
    const bool warm = (int64_t)r->arr.id < s->warmup;
    const hs_req_class *c = hs_request_class(r->dag);
    const double energy = s->x->ops->done_energy ? r->energy_j : NAN;
    const double deadline = c->slo.latency_s > 0 ? r->arr.time + c->slo.latency_s : NAN;
    hs_request_row row = {
        .request = r->arr.id, .cls = c->name, .arrival_s = r->arr.time,
        .first_token_s = r->first_token, .finish_s = t, .latency_s = t - r->arr.time,
        .warmup = warm, .energy_j = energy, .deadline_s = deadline,
        .slo_met = isnan(deadline) ? UINT64_MAX : t - r->arr.time <= c->slo.latency_s,
        .queue_s = r->queue_s, .service_s = r->service_s,
    };
    request_tokens(r, &row.prompt_tokens, &row.output_tokens);
    if (s->cfg->sink.request)
        s->cfg->sink.request(s->cfg->sink.ctx, &row);
    if (!warm) {
        double ttft = isnan(r->first_token) ? NAN : r->first_token - r->arr.time;
        uint64_t tokens = row.prompt_tokens + row.output_tokens;
        if (hs_lat_acc_add(&s->all, r->arr.time, t, ttft, c->slo.latency_s) != 0 ||
            hs_lat_acc_add(&s->classes[r->arr.cls], r->arr.time, t, ttft, c->slo.latency_s) != 0)
            engine_fail(s, "error: out of memory");
        hs_lat_acc_add_tokens(&s->all, row.latency_s, tokens, energy);
        hs_lat_acc_add_tokens(&s->classes[r->arr.cls], row.latency_s, tokens, energy);
    }
    if (t > s->makespan)
        s->makespan = t;
    hs_gen_request_done(s->gen, &r->arr, t);
    if (s->pol->request_done)
        s->pol->request_done(s, s->pol_state, r);
    hs_mem_release_req(s, r);
    unlink_req(s, r);
    req_free(r);
    schedule_next_arrival(s);
}

/* Drains the request's events, ev the first: new stages, ready stages
 * (their first item is issued), the first answer token, the end of the
 * request. */
static void drain_request_events(hs_sched *s, hs_req *r, bool announce_reveals, hs_req_event ev)
{
    bool finished = false;
    uint32_t first_new = r->nstages_seen;
    do {
        switch (ev.type) {
        case HS_EV_REVEALED:
            if (grow_stages(r, ev.node + 1) != 0) {
                engine_fail(s, "error: out of memory");
                return;
            }
            if (ev.node + 1 > r->nstages_seen)
                r->nstages_seen = ev.node + 1;
            break;
        case HS_EV_READY:
            if (grow_stages(r, ev.node + 1) != 0) {
                engine_fail(s, "error: out of memory");
                return;
            }
            issue_next_item(s, r, ev.node, true);
            break;
        case HS_EV_FIRST_TOKEN:
            if (isnan(r->first_token))
                r->first_token = now(s);
            break;
        case HS_EV_DONE:
            break;
        case HS_EV_SPEC_RESOLVED:
            settle_speculative(s, r, ev.node, ev.held);
            if (!ev.held)
                rollback(s, r, ev.node);
            break;
        case HS_EV_FINISHED:
            finished = true;
            break;
        }
    } while (hs_request_poll(r->dag, &ev));
    if (announce_reveals && r->nstages_seen > first_new && s->pol->stage_revealed)
        s->pol->stage_revealed(s, s->pol_state, r, first_new);
    if (finished)
        finish_request(s, r);
}

/* Most item completions queue no event: the check is inline. */
static inline void process_request_events(hs_sched *s, hs_req *r, bool announce_reveals)
{
    hs_req_event ev;
    if (hs_request_poll(r->dag, &ev))
        drain_request_events(s, r, announce_reveals, ev);
}

static void arrival_cb(void *ctx, uint64_t arg)
{
    (void)arg;
    hs_sched *s = ctx;
    hs_engine_enter(s);
    s->arrival_ev = NULL;
    hs_arrival a;
    int rc = hs_gen_next(s->gen, &a, &s->err);
    if (rc < 0) {
        engine_fail(s, s->err.msg);
        return;
    }
    if (rc != HS_GEN_READY) {
        schedule_next_arrival(s);
        return;
    }
    hs_req *r = calloc(1, sizeof *r);
    if (!r) {
        engine_fail(s, "error: out of memory");
        return;
    }
    hs_err err;
    if (!(r->dag = hs_request_create(s->wl, &a, s->cfg->seed, &err))) {
        free(r);
        engine_fail(s, err.msg);
        return;
    }
    r->arr = a;
    r->first_token = NAN;
    r->prev = s->req_tail;
    if (s->req_tail)
        s->req_tail->next = r;
    else
        s->req_head = r;
    s->req_tail = r;
    hs_request_start(r->dag);
    uint32_t n = hs_request_nvisible(r->dag);
    if (grow_stages(r, n ? n : 1) != 0) {
        engine_fail(s, "error: out of memory");
        return;
    }
    if (s->pol->request_arrived)
        s->pol->request_arrived(s, s->pol_state, r);
    process_request_events(s, r, false);
    schedule_next_arrival(s);
    hs_engine_touch(s);
    hs_engine_settle(s);
}

/* Keeps exactly one arrival callback pending, at the generator's next
 * arrival (a closed loop may bring it forward when a request ends). */
static void schedule_next_arrival(hs_sched *s)
{
    double t;
    int rc = hs_gen_peek(s->gen, &t, &s->err);
    if (rc < 0) {
        engine_fail(s, s->err.msg);
        return;
    }
    if (rc != HS_GEN_READY)
        return;
    if (t < now(s))
        t = now(s);
    if (s->arrival_ev) {
        if (s->arrival_at <= t)
            return;
        s->x->ops->cancel(s->x, s->arrival_ev);
    }
    s->arrival_ev = post(s, t, arrival_cb, 0);
    s->arrival_at = t;
}

/* ---- Completion ----------------------------------------------------------------------------- */

/* A finished item of a speculative stage is wasted if the speculation
 * rolls back: its stage keeps the count until it resolves. */
static void note_speculative(hs_req *r, const hs_work *w)
{
    hs_stage_rt *st = &r->stages[w->stage];
    if (!hs_request_node(r->dag, w->stage)->speculative)
        return;
    st->spec_works++;
    st->spec_busy_s += w->busy_s;
    st->spec_energy_j += w->energy_j;
}

/* A speculation resolved: what its stage finished meanwhile is wasted if
 * it did not hold, kept if it did. */
static void settle_speculative(hs_sched *s, hs_req *r, uint32_t stage, bool held)
{
    hs_stage_rt *st = &r->stages[stage];
    if (!held) {
        s->wasted_works += st->spec_works;
        s->wasted_busy_s += st->spec_busy_s;
        s->wasted_energy_j += st->spec_energy_j;
    }
    st->spec_works = 0;
    st->spec_busy_s = st->spec_energy_j = 0;
}

/* A work item of a request finished: the request's DAG moves on. */
static void finish_item(hs_sched *s, hs_work *w)
{
    hs_req *r = w->req;
    uint32_t stage = w->stage;
    if (stale(s, w)) {
        hs_engine_note_wasted(s, w);
        r->active--;
        work_free(s, w);
        return;
    }
    hs_stage_rt *st = &r->stages[stage];
    if (s->speculations)
        note_speculative(r, w);
    if (w->pu >= 0)
        st->last_pu = w->pu;
    st->last_end = now(s);
    st->last_out = w->item.parts.out;
    r->active--;
    work_free(s, w);
    int more = hs_request_item_done(r->dag, stage);
    if (more < 0) {
        engine_fail(s, "error: internal: workload refused an item completion");
        return;
    }
    if (more == 1)
        issue_next_item(s, r, stage, false);
    process_request_events(s, r, true);
}

static void join_cb(void *ctx, uint64_t arg)
{
    hs_sched *s = ctx;
    hs_engine_enter(s);
    finish_work(s, (hs_work *)(uintptr_t)arg);
    hs_engine_touch(s);
    hs_engine_settle(s);
}

/* A cluster part of a search's scan finished (all its queries): the
 * request's progress moves on. */
static void search_part_done(hs_sched *s, const hs_work *part)
{
    if (hs_request_search_part_done(part->req->dag, part->stage, part->item.cluster_first,
                                    part->item.clusters) != 0)
        engine_fail(s, "error: internal: workload refused a search part");
}

/* The last part of split item parent is gone (finished or dropped): it
 * finishes on the PU of its last part, after the join when its parts ran
 * on more than one PU -- in an event of this instant when `defer`, so
 * that no request moves on inside a policy's call. */
static void join_parts(hs_sched *s, hs_work *parent, bool defer)
{
    parent->pu = parent->parts_pus ? parent->part_last_pu : -1;
    double join = hs_engine_join_s(s, parent->parts_pus, parent->item.parts.out);
    if (join > 0 || defer)
        post(s, now(s) + join, join_cb, (uint64_t)(uintptr_t)parent);
    else
        finish_work(s, parent);
}

/* The last part of a split item finished: if its parts ran on more than
 * one PU, the join pays the largest pairwise sync cost and the copy of the
 * parts' outputs first (hs_engine_join_s).  Out of line
 * (so are the rows for a sink): the completion of a whole item, the common
 * case, then needs no large frame. */
static __attribute__((noinline)) void finish_part(hs_sched *s, hs_work *part)
{
    hs_work *parent = part->parent;
    parent->parts_pus |= 1ull << (part->pu & 63);
    parent->part_last_pu = part->pu;
    parent->busy_s += part->busy_s;
    parent->energy_j += part->energy_j;
    if (part->item.slot == HS_SLOT_SCAN && part->item.units == parent->item.units && !stale(s, part) &&
        !part->cut)
        search_part_done(s, part);
    parent->cut |= part->cut;
    work_free(s, part);
    if (--parent->parts_left == 0)
        join_parts(s, parent, false);
}

/* ---- Early termination of a search (hs_search_drop_rest) --------------------
 * The parts of the stage's split scan that have not started -- READY, or
 * QUEUED on a PU, not inside a batch (whose other members need it) -- are
 * dropped: freed unrun.  The part they were split from is marked cut: it
 * no longer covers its clusters (finish_part reports only what its parts
 * that ran searched), nor does any part above it.  When no part is left the scan joins
 * in an event of this instant (after the policy's call returns), paying
 * the join of the parts that ran. */

static bool droppable(const hs_work *w, const hs_req *r, uint32_t stage)
{
    return w->parent && w->req == r && w->stage == stage && !w->nmembers &&
           w->role == HS_WORK_PLAIN && w->item.slot == HS_SLOT_SCAN;
}

static void drop_part(hs_sched *s, hs_work *part)
{
    hs_work *parent = part->parent;
    parent->cut = true;
    work_free(s, part);
    if (--parent->parts_left == 0)
        join_parts(s, parent, true);
}

size_t hs_engine_drop_rest(hs_sched *s, hs_req *r, uint32_t stage)
{
    size_t n = 0;
    hs_work *next;
    for (hs_work *w = s->ready_head; w; w = next) {
        next = w->ready_next;
        if (droppable(w, r, stage)) {
            hs_engine_unready(s, w);
            drop_part(s, w);
            n++;
        }
    }
    for (int pu = 0; pu < (int)s->hw->npus; pu++) {
        size_t before = n;
        for (hs_work *w = s->pus[pu].queue_head; w; w = next) {
            next = w->queue_next;
            if (droppable(w, r, stage)) {
                hs_engine_dequeue(s, w);
                drop_part(s, w);
                n++;
            }
        }
        if (n > before)
            try_start(s, pu);
    }
    return n;
}

/* Batch w finished (on w->pu): each member finishes -- an item moves its
 * request on, a part joins its parent when it was the last. */
static __attribute__((noinline)) void finish_batch(hs_sched *s, hs_work *w)
{
    for (uint32_t i = 0; i < w->nmembers; i++) {
        w->members[i]->pu = w->pu;
        finish_work(s, w->members[i]);
    }
    work_free(s, w);
}

/* w finished: a part joins its parent, a batch finishes its members, an
 * item moves its request on.  A split batch joins as a batch, so its
 * members finish when all its parts have. */
static void finish_special(hs_sched *s, hs_work *w);

/* Routes finished w: a part to its join, a batch to its members, a
 * preempted work or a graph pre-build to finish_special, an item to its
 * request. */
static inline void finish_work(hs_sched *s, hs_work *w)
{
    if (w->parent)
        finish_part(s, w);
    else if (w->nmembers)
        finish_batch(s, w);
    else if (w->role != HS_WORK_PLAIN)
        finish_special(s, w);
    else
        finish_item(s, w);
}

/* Energy attribution: the kernel of finished w cost busy seconds and
 * joules (exec.h's done_energy).  A batch shares them among its members
 * by their FLOPs (equally when none has any); each work's share goes to
 * its request. */
static __attribute__((noinline)) void attribute_energy(hs_sched *s, hs_work *w)
{
    double busy, active, dram;
    s->x->ops->done_energy(s->x, &busy, &active, &dram);
    w->busy_s = busy;
    w->energy_j = active + dram;
    if (!w->nmembers) {
        if (w->req)
            w->req->energy_j += w->energy_j;
        return;
    }
    double flops = 0;
    for (uint32_t i = 0; i < w->nmembers; i++)
        flops += w->members[i]->item.k.flops;
    for (uint32_t i = 0; i < w->nmembers; i++) {
        hs_work *m = w->members[i];
        double f = flops > 0 ? m->item.k.flops / flops : 1.0 / w->nmembers;
        m->busy_s = f * w->busy_s;
        m->energy_j = f * w->energy_j;
        m->req->energy_j += m->energy_j;
    }
}

/* Queueing and service seconds of finished w, to its request (each
 * member's, for a batch: its own wait, the batch's run). */
static void account_times(hs_sched *s, const hs_work *w)
{
    const double end = now(s);
    if (!w->nmembers) {
        if (w->req) {
            w->req->queue_s += w->start_time - w->ready_time;
            w->req->service_s += end - w->start_time;
        }
        return;
    }
    for (uint32_t i = 0; i < w->nmembers; i++) {
        hs_req *r = w->members[i]->req;
        r->queue_s += w->start_time - w->members[i]->ready_time;
        r->service_s += end - w->start_time;
    }
}

/* The kernel row of finished w, for the run's sink. */
static __attribute__((noinline)) void emit_kernel_row(hs_sched *s, const hs_work *w)
{
    const char *stage = w->role == HS_WORK_PREBUILD ? "graph-build" : "batch";
    if (w->req) {
        const hs_stage_info *si = hs_request_node(w->req->dag, w->stage);
        stage = si ? si->name : "?";
    }
    hs_kernel_row row = {
        .work = w->id, .request = w->req ? w->req->arr.id : UINT64_MAX, .stage = stage,
        .slot = hs_slot_name(w->item.slot), .pu = w->pu, .ready_s = w->ready_time,
        .start_s = w->start_time, .end_s = now(s), .flops = w->item.k.flops,
        .bytes = w->item.k.bytes, .batch = w->nmembers ? w->nmembers : 1, .part = w->parent != NULL,
    };
    s->cfg->sink.kernel(s->cfg->sink.ctx, &row);
}

/* A preempted work reached its stop (its remainder follows, unless a
 * rollback made it stale: then it is dropped as finish_item drops it), or
 * a graph pre-build finished.  Out of line: rare. */
static __attribute__((noinline)) void finish_special(hs_sched *s, hs_work *w)
{
    if (w->role == HS_WORK_PREBUILD)
        hs_engine_prebuilt(s, w);
    else if (stale(s, w))
        finish_item(s, w);
    else
        hs_engine_remainder(s, w);
}

/* The executor's completion callback. */
static void work_done_cb(void *engine, void *token)
{
    hs_sched *s = engine;
    hs_work *w = token;
    hs_engine_enter(s);
    const int pu = w->pu;
    hs_pu_rt *p = &s->pus[pu];
    hs_work **link = &p->running_head;
    while (*link != w)
        link = &(*link)->queue_next;
    *link = w->queue_next;
    w->queue_next = NULL;
    p->running--;
    note_pu_load(s, pu);
    p->last_end = now(s);
    if (s->x->ops->done_energy)
        attribute_energy(s, w);
    account_times(s, w);
    if (s->cfg->sink.kernel)
        emit_kernel_row(s, w);
    if (s->pol->work_done)
        s->pol->work_done(s, s->pol_state, w);
    finish_work(s, w);
    try_start(s, pu);
    hs_engine_touch(s);
    hs_engine_settle(s);
}

/* ---- Set-up, run, tear-down --------------------------------------------------------------------------- */

static int setup(hs_sched *s, const hs_run_cfg *cfg, hs_err *err)
{
    s->cfg = cfg;
    s->hw = cfg->hw;
    s->wl = cfg->wl;
    s->pol = cfg->policy;
    s->warmup = hs_workload_warmup(cfg->wl);
    if (!(s->pus = calloc(s->hw->npus, sizeof *s->pus)))
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < s->hw->npus; i++) {
        s->pus[i].slots = s->hw->pus[i].slots;
        s->pus[i].last_end = -INFINITY;
    }
    const size_t np = s->hw->npus;
    if (!(s->sync_s = calloc(np ? np * np : 1, sizeof *s->sync_s)))
        return hs_errf(err, "out of memory");
    for (size_t a = 0; a < np; a++)
        for (size_t b = 0; b < np; b++)
            s->sync_s[a * np + b] = hs_hw_sync_s(s->hw, (int)a, (int)b, cfg->fast_sync);
    size_t nc = hs_workload_nclasses(cfg->wl);
    if (!(s->classes = calloc(nc ? nc : 1, sizeof *s->classes)))
        return hs_errf(err, "out of memory");
    if (hs_lat_acc_init(&s->all) != 0)
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < nc; i++)
        if (hs_lat_acc_init(&s->classes[i]) != 0)
            return hs_errf(err, "out of memory");
    if (hs_rng_init(&s->rng, cfg->seed, "policy", 0) != 0 || !(s->costs = hs_cost_cache_create()))
        return hs_errf(err, "out of memory");
    if (hs_mem_setup(s, err) != 0)
        return -1;
    s->x = cfg->exec;
    if (!s->x && !(s->x = hs_exec_sim_create(cfg->hw, cfg->bw_observer, cfg->bw_observer_ctx, err)))
        return -1;
    if (!cfg->exec && cfg->pu_bw_observer &&
        hs_exec_sim_observe_pus(s->x, cfg->pu_bw_observer, cfg->bw_observer_ctx) != 0)
        return hs_errf(err, "out of memory");
    s->x->ops->bind(s->x, work_done_cb, s);
    hs_engine_enter(s);     /* the start of the run, before the first callback */
    if (!(s->gen = hs_gen_create(cfg->wl, cfg->seed, err)))
        return -1;
    return hs_param_set_bind(&s->params, s->pol, cfg->policy_params, s->hw, err);
}

/* One /dram row per memory domain: its traffic as the executor measured it
 * (NaN when it cannot tell) beside the profile's bandwidths. */
static void collect_dram(hs_sched *s, hs_run_metrics *m)
{
    if (s->hw->nmem == 0 || !(m->dram = calloc(s->hw->nmem, sizeof *m->dram)))
        return;
    m->ndram = s->hw->nmem;
    for (size_t d = 0; d < s->hw->nmem; d++) {
        hs_dram_metrics *r = &m->dram[d];
        const hs_mem *mem = &s->hw->mems[d];
        snprintf(r->name, sizeof r->name, "%s", mem->name);
        r->bytes = r->peak_bps = NAN;
        if (s->x->ops->mem_stats)
            s->x->ops->mem_stats(s->x, (int)d, &r->bytes, &r->peak_bps);
        r->mean_bps = s->makespan > 0 ? r->bytes / s->makespan : NAN;
        r->achievable_bps = mem->achievable_bps;
        r->theoretical_bps = mem->peak_bps;
    }
}

static void collect(hs_sched *s, hs_run_metrics *m, double wall)
{
    m->policy_name = s->pol->name;
    if (hs_param_set_values(&s->params, &m->params, &m->nparams) != 0)
        m->nparams = 0;
    hs_lat_acc_report(&s->all, &m->all);
    m->makespan_s = s->makespan;
    m->wall_s = wall;
    m->engine = s->cfg->engine ? s->cfg->engine : "";
    m->engine_fit = hs_engine_status_name(s->cfg->engine_status);
    m->works = s->next_work_id;
    m->splits = s->splits;
    m->batches = s->batches;
    m->speculations = s->speculations;
    m->rollbacks = s->rollbacks;
    for (size_t d = 0; s->mem && d < s->hw->nmem; d++)
        if (s->mem[d].peak > m->mem_peak_bytes)
            m->mem_peak_bytes = s->mem[d].peak;
    m->transfers = s->transfers;
    m->transfer_bytes = s->transfer_bytes;
    m->transfer_s = s->transfer_s;
    m->recalls = s->recalls;
    m->preemptions = s->preemptions;
    m->wasted_works = s->wasted_works;
    m->wasted_busy_s = s->wasted_busy_s;
    m->wasted_energy_j = s->wasted_energy_j;
    size_t nc = hs_workload_nclasses(s->wl);
    m->classes = calloc(nc ? nc : 1, sizeof *m->classes);
    m->pus = calloc(s->hw->npus, sizeof *m->pus);
    if (!m->classes || !m->pus)
        return;
    m->nclasses = nc;
    for (size_t i = 0; i < nc; i++) {
        snprintf(m->classes[i].name, sizeof m->classes[i].name, "%s", hs_workload_class(s->wl, i)->name);
        hs_lat_acc_report(&s->classes[i], &m->classes[i].s);
    }
    m->npus = s->hw->npus;
    double energy = s->x->ops->dram_energy(s->x);
    double span = s->makespan > 0 ? s->makespan : s->x->ops->now(s->x);   /* the clock's end */
    for (size_t i = 0; i < s->hw->npus; i++) {
        hs_pu_metrics *p = &m->pus[i];
        snprintf(p->name, sizeof p->name, "%s", s->hw->pus[i].name);
        p->kind = hs_pu_kind_name(s->hw->pus[i].kind);
        s->x->ops->pu_stats(s->x, (int)i, &p->busy_s, &p->energy_j);
        p->utilization = span > 0 ? p->busy_s / span : 0;
        energy += p->energy_j;
    }
    m->energy_j = energy;
    collect_dram(s, m);
}

static void teardown(hs_sched *s)
{
    if (s->pol_inited && s->pol->fini)
        s->pol->fini(s, s->pol_state);
    while (s->req_head) {
        hs_req *r = s->req_head;
        s->req_head = r->next;
        req_free(r);
    }
    free_slabs(s);
    if (s->x && s->x != s->cfg->exec)
        s->x->ops->destroy(s->x);
    hs_gen_free(s->gen);
    hs_rng_free(&s->rng);
    hs_cost_cache_free(s->costs);
    hs_param_set_free(&s->params);
    hs_lat_acc_free(&s->all);
    for (size_t i = 0; s->classes && i < hs_workload_nclasses(s->wl); i++)
        hs_lat_acc_free(&s->classes[i]);
    free(s->classes);
    free(s->pus);
    free(s->sync_s);
    hs_mem_teardown(s);
}

static double wall_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* After run() returned: when it ran out of things to do (not the end
 * time, not the event budget, no failure) with requests still in flight,
 * nothing will ever move them -- the policy left ready work undispatched,
 * or work waits on something that never comes.  That is an error, not a
 * run with fewer requests. */
static bool runnable_anywhere(hs_sched *s, const hs_work *w)
{
    for (int pu = 0; pu < (int)s->hw->npus; pu++)
        if (hs_can_run(s, w, pu))
            return true;
    return false;
}

/* The first PU that can run w, when w fits in none of their memory
 * domains now; -1 when it fits somewhere or runs nowhere. */
static int memory_bound_pu(hs_sched *s, const hs_work *w)
{
    int first = -1;
    for (int pu = 0; pu < (int)s->hw->npus; pu++) {
        if (!hs_can_run(s, w, pu))
            continue;
        if (hs_mem_fits(s, w, pu))
            return -1;
        if (first < 0)
            first = pu;
    }
    return first;
}

static uint64_t requests_in_flight(const hs_sched *s)
{
    uint64_t n = 0;
    for (const hs_req *r = s->req_head; r; r = r->next)
        n++;
    return n;
}

static void check_stall(hs_sched *s, double end, uint64_t events, uint64_t max_events)
{
    const hs_exec_ops *x = s->x->ops;
    if (s->failed || !s->req_head || (max_events && events >= max_events))
        return;
    /* Nothing pending at all (a simulated clock jumps to the end time once
     * drained, so it alone cannot tell), or a wall clock short of the end. */
    bool drained = x->next_time ? x->next_time(s->x) == INFINITY : x->now(s->x) < end;
    if (!drained)
        return;
    size_t inflight = (size_t)requests_in_flight(s), ready = 0;
    const hs_work *stuck = NULL;   /* the first ready work no PU can run */
    const hs_work *full = NULL;    /* else the first that fits in no domain now */
    int full_pu = -1;
    for (hs_work *w = s->ready_head; w; w = w->ready_next) {
        ready++;
        if (!stuck && !runnable_anywhere(s, w))
            stuck = w;
        else if (!stuck && !full && (full_pu = memory_bound_pu(s, w)) >= 0)
            full = w;
    }
    char why[640] = "", mem[448];
    if (stuck)
        snprintf(why, sizeof why, "; work %llu (slot %s) can run on no PU of the profile (an op no PU supports, "
                 "or more memory than any domain holds)", (unsigned long long)stuck->id,
                 hs_slot_name(stuck->item.slot));
    else if (full) {
        /* Nothing runs, so nothing will free memory: weights stay loaded
         * and a KV cache is released only when its request ends. */
        hs_mem_why(s, full, full_pu, mem, sizeof mem);   /* false, as memory_bound_pu found: its text */
        snprintf(why, sizeof why, "; work %llu (slot %s) fits in no memory domain of a PU that can run it "
                 "(%s)", (unsigned long long)full->id, hs_slot_name(full->item.slot), mem);
    }
    hs_sched_fail(s, "the run stalled at t = %.9g s with %zu request(s) in flight and nothing left to happen: "
                     "%zu work item(s) ready but never dispatched by policy '%s'%s",
                  s->t, inflight, ready, s->pol->name, why);
}

/* Why run() returned with something still to happen (an arrival or a
 * completion pending): the event budget or the end time cut the run, whose
 * metrics then cover only the requests finished by then. */
static const char *truncation(hs_sched *s, uint64_t events, uint64_t max_events)
{
    const hs_exec_ops *x = s->x->ops;
    if (s->failed)
        return "";
    bool pending = x->next_time ? x->next_time(s->x) < INFINITY : s->req_head != NULL;
    if (!pending)
        return "";
    /* Otherwise run() reached the end time (a drained run with requests
     * left is check_stall's failure). */
    return max_events && events >= max_events ? "max_events" : "end_time";
}

/* Events between two looks of the watchdog (chosen: a look costs a clock
 * read, and 2^16 events take milliseconds, so a livelock is caught within
 * a few of them). */
enum { WATCHDOG_CHUNK = 1 << 16 };

/* Runs the executor to the end, in chunks of events between which the
 * watchdog looks at the wall clock and at the simulated clock; splitting
 * the run changes no event's order.  Returns the events handled. */
static uint64_t run_watched(hs_sched *s, const hs_run_cfg *cfg, double end, double t0)
{
    const hs_exec_ops *x = s->x->ops;
    if (cfg->watchdog_wall_s <= 0 && cfg->watchdog_idle_events == 0)
        return x->run(s->x, end, cfg->max_events);
    uint64_t total = 0, idle = 0;
    double last = x->now(s->x);
    for (;;) {
        uint64_t chunk = WATCHDOG_CHUNK;
        if (cfg->max_events && cfg->max_events - total < chunk)
            chunk = cfg->max_events - total;
        uint64_t n = x->run(s->x, end, chunk);
        total += n;
        if (n < chunk || s->failed || (cfg->max_events && total >= cfg->max_events))
            return total;
        double now = x->now(s->x);
        idle = now > last ? 0 : idle + n;
        last = now;
        double wall = wall_clock() - t0;
        if (cfg->watchdog_wall_s > 0 && wall > cfg->watchdog_wall_s) {
            hs_sched_fail(s, "watchdog: the run took more than %g s of wall time (engine.watchdog_wall_s) "
                             "at t = %.9g s after %llu events", cfg->watchdog_wall_s, now,
                          (unsigned long long)total);
            return total;
        }
        if (cfg->watchdog_idle_events && idle >= cfg->watchdog_idle_events) {
            hs_sched_fail(s, "watchdog: %llu events without the clock advancing from t = %.9g s "
                             "(engine.watchdog_idle_events): a livelock, e.g. policy '%s' re-arming "
                             "a zero-delay timer", (unsigned long long)idle, now, s->pol->name);
            return total;
        }
    }
}

/* The policy's init; a failure it leaves without a message gets one that
 * names the policy (err may hold anything before). */
static int init_policy(hs_sched *s, const hs_policy_ops *pol, hs_err *err)
{
    if (!pol->init)
        return 0;
    err->msg[0] = 0;
    int rc = pol->init(s, &s->pol_state, err);
    if (rc != 0 && err->msg[0] == 0)
        hs_errf(err, "policy '%s': its init returned %d without an error message", pol->name, rc);
    return rc != 0 ? -1 : 0;
}

int hs_run(const hs_run_cfg *cfg, hs_run_metrics *out, hs_err *err)
{
    memset(out, 0, sizeof *out);
    hs_sched s = {0};
    int rc = setup(&s, cfg, err);
    if (rc == 0)
        rc = init_policy(&s, cfg->policy, err);
    s.pol_inited = rc == 0;
    if (rc != 0) {
        teardown(&s);
        return -1;
    }
    const double t0 = wall_clock();
    schedule_next_arrival(&s);
    hs_engine_touch(&s);
    hs_engine_settle(&s);
    double end = cfg->end_time > 0 ? cfg->end_time : INFINITY;
    out->events = run_watched(&s, cfg, end, t0);
    check_stall(&s, end, out->events, cfg->max_events);
    collect(&s, out, wall_clock() - t0);
    out->truncated = truncation(&s, out->events, cfg->max_events);
    out->in_flight = requests_in_flight(&s);
    if (s.failed) {
        *err = s.err;
        rc = -1;
    }
    teardown(&s);
    return rc;
}

/* ---- Speculation ---------------------------------------------------------------------------------- */

int hs_engine_speculate(hs_sched *s, hs_req *r, uint32_t stage)
{
    if (hs_request_speculate(r->dag, stage) != 0) {
        hs_sched_fail(s, "hs_speculate(request %llu, stage %u): the stage is not pending, or was speculated before",
                      (unsigned long long)r->arr.id, stage);
        return -1;
    }
    s->speculations++;
    process_request_events(s, r, true);
    hs_engine_touch(s);
    return 0;
}

void hs_engine_note_wasted(hs_sched *s, const hs_work *w)
{
    s->wasted_works++;
    s->wasted_busy_s += w->busy_s;
    s->wasted_energy_j += w->energy_j;
}

static bool stale(const hs_sched *s, const hs_work *w)
{
    if (!s->speculations)
        return false;   /* no stage rolls back unless one was speculated */
    const hs_stage_info *si = hs_request_node(w->req->dag, w->stage);
    return si && si->rollbacks != w->epoch;
}

/* Frees a withdrawn work of a rolled-back stage, READY or out of its
 * queue: an item leaves its request; a part leaves its split item, which
 * is dropped once no part of it is left (finish_item sees it stale and
 * counts it wasted, once, with what its parts that ran cost). */
static void withdraw(hs_sched *s, hs_work *w)
{
    hs_work *parent = w->parent;
    if (!parent) {
        hs_engine_note_wasted(s, w);   /* nothing ran: 0 s, 0 J */
        w->req->active--;
        work_free(s, w);
        return;
    }
    work_free(s, w);
    if (--parent->parts_left == 0)
        finish_item(s, parent);
}

/* Whether w is work of the rolled-back stage that is withdrawn: an item
 * or a part (a batch is not: its other members need it; its member of
 * the stage runs and is dropped). */
static bool withdrawn(const hs_work *w, const hs_req *r, uint32_t stage)
{
    return w->req == r && w->stage == stage && !w->nmembers && w->role == HS_WORK_PLAIN;
}

/* A speculation did not hold: the stage restarts.  Its work not yet
 * running -- READY, or QUEUED on a PU (recalled) -- is withdrawn now;
 * running work finishes and is dropped (finish_item sees its old epoch),
 * like HedraRAG aborting the request. */
static void rollback(hs_sched *s, hs_req *r, uint32_t stage)
{
    s->rollbacks++;
    hs_work *next;
    for (hs_work *w = s->ready_head; w; w = next) {
        next = w->ready_next;
        if (withdrawn(w, r, stage)) {
            hs_engine_unready(s, w);
            withdraw(s, w);
        }
    }
    for (int pu = 0; pu < (int)s->hw->npus; pu++) {
        for (hs_work *w = s->pus[pu].queue_head; w; w = next) {
            next = w->queue_next;
            if (withdrawn(w, r, stage)) {
                hs_engine_dequeue(s, w);
                withdraw(s, w);
            }
        }
        try_start(s, pu);
    }
}
