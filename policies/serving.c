/* hetsoc: the serving engine the serving baselines share (serving.h).
 *
 * Cost.  Each ready work is filed once (O(1)); an iteration walks the
 * generation queue twice (lead, members: O(queued generation works)) and
 * the requests holding admitted calls (O(max_batch)); a release walks the
 * other queue once, or, when it batches, each work against the later ones
 * of its queue. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policies/serving.h"

/* ---- Queues ----------------------------------------------------------- */

static void queue_push(hs_sched *s, srv_queue *q, hs_work *w)
{
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 64;
        hs_work **grown = realloc(q->w, cap * sizeof *grown);
        if (!grown) {
            hs_sched_fail(s, "out of memory");
            return;
        }
        q->w = grown;
        q->cap = cap;
    }
    q->w[q->n++] = w;
}

/* Drops the entries set to NULL, keeping the order of the rest. */
static void queue_compact(srv_queue *q)
{
    size_t k = 0;
    for (size_t i = 0; i < q->n; i++)
        if (q->w[i])
            q->w[k++] = q->w[i];
    q->n = k;
}

/* ---- Requests and their LLM calls ------------------------------------- */

static srv_req *req_of(const hs_req *r) { return r ? hs_req_data(r) : NULL; }

/* r's call of stage `stage`, created when absent (NULL: out of memory). */
static srv_call *call_of(hs_sched *s, hs_req *r, uint32_t stage)
{
    srv_req *d = req_of(r);
    for (uint32_t i = 0; i < d->ncalls; i++)
        if (d->calls[i].stage == stage)
            return &d->calls[i];
    if (d->ncalls == d->cap) {
        uint32_t cap = d->cap ? 2 * d->cap : 2;
        srv_call *grown = realloc(d->calls, cap * sizeof *grown);
        if (!grown) {
            hs_sched_fail(s, "out of memory");
            return NULL;
        }
        d->calls = grown;
        d->cap = cap;
    }
    d->calls[d->ncalls] = (srv_call){.stage = stage};
    return &d->calls[d->ncalls++];
}

static void call_drop(srv_req *d, srv_call *c) { *c = d->calls[--d->ncalls]; }

void srv_request_arrived(hs_sched *s, void *state, hs_req *r)
{
    (void)state;
    srv_req *d = calloc(1, sizeof *d);
    if (!d) {
        hs_sched_fail(s, "out of memory");
        return;
    }
    hs_req_set_data(r, d);
}

void srv_request_done(hs_sched *s, void *state, hs_req *r)
{
    (void)s;
    srv *e = state;
    srv_req *d = req_of(r);
    if (!d)
        return;
    for (uint32_t i = 0; i < d->ncalls; i++)
        e->admitted -= d->calls[i].admitted;
    free(d->calls);
    free(d);
    hs_req_set_data(r, NULL);
}

/* ---- Set-up ----------------------------------------------------------- */

/* The PU named (or of the kind) `name`; a missing one: the CPU, else PU 0. */
static int resolve_pu(hs_sched *s, const char *name, int cpu)
{
    int pu = hs_pu_find(s, name);
    if (pu >= 0)
        return pu;
    return cpu >= 0 ? cpu : 0;
}

void srv_init(srv *e, hs_sched *s, const char *gen, const char *search)
{
    e->cpu = hs_pu_find(s, "cpu");
    e->gen_pu = resolve_pu(s, gen, e->cpu);
    e->search_pu = resolve_pu(s, search, e->cpu);
}

void srv_fini(hs_sched *s, void *state)
{
    srv *e = state;
    for (hs_req *r = hs_req_first(s); r; r = hs_req_next(s, r))
        srv_request_done(s, e, r);
    free(e->gen.w);
    free(e->other.w);
    free(state);
}

/* ---- Filing ready work ------------------------------------------------ */

bool srv_is_gen(const hs_work *w)
{
    const hs_item *it = hs_work_item(w);
    return it->kind == HS_ITEM_KERNEL && (it->phase == HS_PHASE_PREFILL || it->phase == HS_PHASE_DECODE);
}

void srv_work_ready(hs_sched *s, void *state, hs_work *w)
{
    srv *e = state;
    if (hs_work_batch_size(w) > 1)
        return;   /* a batch this engine just formed (hs_batch announces it): dispatched at once */
    hs_req *r = hs_work_req(w);
    if (r && req_of(r) && srv_is_gen(w) && hs_can_run(s, w, e->gen_pu)) {
        srv_call *c = call_of(s, r, hs_work_stage(w));
        if (c) {
            c->held++;
            queue_push(s, &e->gen, w);
            return;
        }
    }
    if (e->delays_free && hs_work_item(w)->kind == HS_ITEM_DELAY) {
        int pu = srv_place(e, s, w);
        hs_dispatch(s, w, pu >= 0 ? pu : 0);
        return;
    }
    queue_push(s, &e->other, w);
}

/* Works the policy dispatched from the other queue carry this tag. */
static char other_tag;

void srv_work_done(hs_sched *s, void *state, hs_work *w)
{
    (void)s;
    srv *e = state;
    if (w == e->iteration)
        e->iteration = NULL;
    else if (hs_work_data(w) == &other_tag)
        e->other_inflight--;
}

/* ---- Iterations ------------------------------------------------------- */

void srv_retire(srv *e, hs_sched *s)
{
    if (e->admitted == 0)
        return;
    for (hs_req *r = hs_req_first(s); r; r = hs_req_next(s, r)) {
        srv_req *d = req_of(r);
        for (uint32_t i = 0; d && i < d->ncalls;) {
            srv_call *c = &d->calls[i];
            if (c->held == 0) {
                e->admitted -= c->admitted;
                call_drop(d, c);
            } else {
                i++;
            }
        }
    }
}

/* Where w stands in a pass of the model: the embedding first, then the
 * layers and their ops in order, the head last; every step and stage
 * item stands at 0.  An iteration runs works at one position, so a call
 * behind catches the others up, then runs in lockstep with them. */
static int64_t pass_position(const hs_item *it)
{
    if (it->layer >= 0)
        return ((int64_t)it->layer + 1) * HS_SLOT_COUNT + it->slot;
    if (it->slot == HS_SLOT_EMBED || it->slot == HS_SLOT_STAGE)
        return 0;
    return INT64_MAX;
}

/* Whether w may join an iteration now: the gate lets its request run and
 * its call is admitted, or admission is open with room (`room` calls more)
 * and its first work fits the serving PU's memory (vLLM admits a sequence
 * only when its KV blocks can be allocated). */
static bool eligible(srv *e, hs_sched *s, hs_work *w, int64_t room)
{
    hs_req *r = hs_work_req(w);
    if (e->gate_gen && e->gate && !e->gate(e, r))
        return false;
    srv_call *c = call_of(s, r, hs_work_stage(w));
    if (!c)
        return false;
    if (c->admitted)
        return true;
    return e->admit && room > 0 && hs_mem_fits(s, w, e->gen_pu);
}

static bool is_prefill(const hs_work *w) { return hs_work_item(w)->phase == HS_PHASE_PREFILL; }

/* The lead of the next iteration: without `mixed`, an eligible prefill
 * work if any (vLLM schedules waiting prompts before decodes); the one
 * earliest in the pass, the oldest of those. */
static hs_work *pick_lead(srv *e, hs_sched *s)
{
    const int64_t room = e->max_batch - e->admitted;
    hs_work *lead = NULL;
    int64_t best = INT64_MAX;
    bool lead_prefill = false;
    for (size_t i = 0; i < e->gen.n; i++) {
        hs_work *w = e->gen.w[i];
        if (!eligible(e, s, w, room))
            continue;
        bool pf = !e->mixed && is_prefill(w);
        int64_t pos = pass_position(hs_work_item(w));
        if (!lead || (pf && !lead_prefill) || (pf == lead_prefill && pos < best)) {
            lead = w;
            best = pos;
            lead_prefill = pf;
        }
    }
    return lead;
}

/* Whether w joins lead's iteration (lead itself does). */
static bool joins(const srv *e, const hs_work *lead, const hs_work *w)
{
    if (w == lead)
        return true;
    if (!e->mixed && is_prefill(w) != is_prefill(lead))
        return false;
    return hs_item_batchable(hs_work_item(lead), hs_work_item(w));
}

/* Takes the members out of the generation queue (admitting new calls) and
 * returns how many; members has room for max_batch. */
static size_t take_members(srv *e, hs_sched *s, hs_work *lead, hs_work **members)
{
    size_t n = 0;
    for (size_t i = 0; i < e->gen.n && (int64_t)n < e->max_batch; i++) {
        hs_work *w = e->gen.w[i];
        if (!joins(e, lead, w) || !eligible(e, s, w, e->max_batch - e->admitted))
            continue;
        srv_call *c = call_of(s, hs_work_req(w), hs_work_stage(w));
        if (!c->admitted) {
            c->admitted = true;
            e->admitted++;
        }
        c->held--;
        members[n++] = w;
        e->gen.w[i] = NULL;
    }
    queue_compact(&e->gen);
    return n;
}

bool srv_iterate(srv *e, hs_sched *s)
{
    if (e->iteration)
        return false;
    srv_retire(e, s);
    hs_work *lead = pick_lead(e, s);
    if (!lead)
        return false;
    hs_work **members = malloc((size_t)e->max_batch * sizeof *members);
    if (!members) {
        hs_sched_fail(s, "out of memory");
        return false;
    }
    size_t n = take_members(e, s, lead, members);
    hs_work *it = members[0];
    int rc = n > 1 ? hs_batch(s, members, n, &it) : 0;
    free(members);
    if (rc == 0 && hs_dispatch(s, it, e->gen_pu) == 0)
        e->iteration = it;
    return e->iteration != NULL;
}

/* ---- Other work ------------------------------------------------------- */

/* The PU of r's stage `stage` affinity hint; -1: none, or not in the profile. */
static int affinity_pu(hs_sched *s, const hs_req *r, uint32_t stage)
{
    const hs_stage_info *st = r ? hs_request_node(hs_req_dag(r), stage) : NULL;
    return st && st->affinity ? hs_pu_find(s, st->affinity) : -1;
}

/* The PU w would go to if it can run there. */
static int preferred_pu(const srv *e, hs_sched *s, const hs_work *w)
{
    if (hs_work_item(w)->phase == HS_PHASE_SEARCH)
        return e->search_pu;
    if (!srv_is_gen(w) && e->search_pu != e->gen_pu) {
        int aff = affinity_pu(s, hs_work_req(w), hs_work_stage(w));
        if (aff >= 0)
            return aff;
    }
    return e->gen_pu;
}

int srv_place(const srv *e, hs_sched *s, const hs_work *w)
{
    int pref = preferred_pu(e, s, w);
    if (hs_can_run(s, w, pref))
        return pref;
    if (e->cpu >= 0 && hs_can_run(s, w, e->cpu))
        return e->cpu;
    for (int pu = 0; pu < hs_npus(s); pu++)
        if (hs_can_run(s, w, pu))
            return pu;
    return -1;
}

/* Fails the run for w, which no PU can run, with the reason on the PU it
 * would have gone to: its memory need (a 38M-vector index on a phone) or
 * an op the PU lacks. */
static void fail_unplaceable(const srv *e, hs_sched *s, const hs_work *w)
{
    int pu = preferred_pu(e, s, w);
    char why[320];
    if (hs_mem_why(s, w, pu, why, sizeof why))
        snprintf(why, sizeof why, "the profile gives it no rate for this work");
    const hs_req *r = hs_work_req(w);
    const hs_stage_info *st = r ? hs_request_node(hs_req_dag(r), hs_work_stage(w)) : NULL;
    hs_sched_fail(s, "no PU of profile '%s' can run work '%s' of stage '%s'; on %s: %s", hs_sched_hw(s)->name,
                  hs_slot_name(hs_work_item(w)->slot), st ? st->name : "?", hs_pu_of(s, pu)->name, why);
}

static bool gate_open(const srv *e, const hs_work *w)
{
    return !e->gate || e->gate(e, hs_work_req(w));
}

/* Gathers into group the works after queue entry i that batch with the
 * one at i and go to the same PU (up to other_batch), taking them out of
 * the queue; returns the group's size. */
static size_t gather(srv *e, hs_sched *s, size_t i, int pu, hs_work **group)
{
    size_t n = 1;
    group[0] = e->other.w[i];
    const hs_item *first = hs_work_item(group[0]);
    for (size_t j = i + 1; j < e->other.n && (int64_t)n < e->other_batch; j++) {
        hs_work *w = e->other.w[j];
        if (w && gate_open(e, w) && hs_item_batchable(first, hs_work_item(w)) && srv_place(e, s, w) == pu) {
            group[n++] = w;
            e->other.w[j] = NULL;
        }
    }
    return n;
}

static void dispatch_other(srv *e, hs_sched *s, hs_work **group, size_t n, int pu)
{
    hs_work *w = group[0];
    if (n > 1 && hs_batch(s, group, n, &w) != 0)
        return;
    hs_work_set_data(w, &other_tag);
    if (hs_dispatch(s, w, pu) == 0)
        e->other_inflight++;
}

size_t srv_release(srv *e, hs_sched *s)
{
    size_t released = 0, cap = e->other_batch > 1 ? (size_t)e->other_batch : 1;
    hs_work **group = malloc(cap * sizeof *group);
    if (!group) {
        hs_sched_fail(s, "out of memory");
        return 0;
    }
    for (size_t i = 0; i < e->other.n; i++) {
        hs_work *w = e->other.w[i];
        if (!w || !gate_open(e, w))
            continue;
        int pu = srv_place(e, s, w);
        if (pu < 0) {
            fail_unplaceable(e, s, w);
            break;
        }
        size_t n = gather(e, s, i, pu, group);
        e->other.w[i] = NULL;
        dispatch_other(e, s, group, n, pu);
        released += n;
    }
    free(group);
    queue_compact(&e->other);
    return released;
}
