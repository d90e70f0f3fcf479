/* hetsoc: the list-scheduling machinery of heft, cpop and peft (see
 * listsched.h for what it does).  Equations: Topcuoglu, Hariri and Wu,
 * IEEE TPDS 13(3), 2002, §2 and §4.1, numbered as in the paper -- (1) w̄,
 * (3)-(5) EST and EFT, (7)-(8) rank_u, (9) rank_d; the numbering is
 * recalled from the published text, the PDF was not at hand to re-check.
 *
 * Why in-order dispatch never deadlocks.  Every booked task carries its
 * booked start time.  A task waits for (a) its inputs, whose booked finish
 * is at most its start, and (b) the tasks booked before it on its PU,
 * which start earlier (a timeline is kept sorted by start, and a task is
 * only inserted into a gap strictly before the next task's start).  A task
 * of zero length may share its start with a predecessor; it is then booked
 * after it (the planner books in topological order and a gap must start
 * strictly before the next task).  So waiting follows (start, booking
 * order), which has no cycle.  Tasks already dispatched wait on nothing
 * the plan controls: the engine runs them once their inputs arrive.  Both
 * (a) and (b) need a booked task's inputs to be all visible: a join whose
 * producers are still hidden (the next iterations of a fan-out) waits on
 * tasks not on any timeline, so it is not booked until they are revealed
 * (bookable(); its work cannot be ready before).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policies/listsched.h"

/* One PU's timeline: the tasks booked on it, in start (= dispatch) order.
 * Dispatched tasks form a prefix; a task leaves when it finishes. */
typedef struct ls_line {
    hs_ls_task **v;
    size_t n, cap;
} ls_line;

struct hs_ls {
    hs_sched *s;
    const hs_ls_rules *rules;
    int npus;
    double sync_avg;       /* mean cross-PU sync cost over ordered pairs a != b */
    ls_line *line;         /* [npus] */
    hs_ls_graph *graphs;   /* requests in flight */
    hs_ls_task **ready;    /* the planner's ready list */
    size_t nready, rcap;
    hs_dep *deps;          /* scratch for hs_request_inputs */
    size_t dcap;
    bool failed;
};

/* The array v (elements of sz bytes, *cap allocated) grown to hold n:
 * the same or a moved pointer, *cap updated; NULL on OOM, v untouched. */
static void *grow(void *v, size_t *cap, size_t n, size_t sz)
{
    if (v && n <= *cap)
        return v;
    size_t c = *cap > 8 ? *cap : 8;
    while (c < n)
        c *= 2;
    void *q = realloc(v, c * sz);
    if (q)
        *cap = c;
    return q;
}

static void ls_fail(hs_ls *ls, const char *what)
{
    if (!ls->failed)
        hs_sched_fail(ls->s, "%s", what);
    ls->failed = true;
}

bool hs_ls_same(double a, double b)
{
    if (!isfinite(a) || !isfinite(b))
        return a == b;
    return fabs(a - b) <= 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
}

hs_sched *hs_ls_sched(const hs_ls *ls) { return ls->s; }
int hs_ls_npus(const hs_ls *ls) { return ls->npus; }

const hs_ls_edge *hs_ls_in(const hs_ls_graph *g, const hs_ls_task *t, uint32_t k)
{
    return &g->e[g->in[t->in0 + k]];
}

const hs_ls_edge *hs_ls_out(const hs_ls_graph *g, const hs_ls_task *t, uint32_t k)
{
    return &g->e[g->out[t->out0 + k]];
}

/* ---- Timelines -------------------------------------------------------------- */

static int line_insert(ls_line *l, size_t pos, hs_ls_task *t)
{
    hs_ls_task **v = grow(l->v, &l->cap, l->n + 1, sizeof *v);
    if (!v)
        return -1;
    l->v = v;
    memmove(&l->v[pos + 1], &l->v[pos], (l->n - pos) * sizeof *l->v);
    l->v[pos] = t;
    l->n++;
    return 0;
}

static void line_remove(ls_line *l, const hs_ls_task *t)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == t) {
            memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof *l->v);
            l->n--;
            return;
        }
}

/* Takes t off its PU's timeline (it stays booked there or is re-planned). */
static void unbook(hs_ls *ls, hs_ls_task *t)
{
    if (t->pu >= 0 && t->pu < ls->npus)
        line_remove(&ls->line[t->pu], t);
}

/* ---- The visible graph ------------------------------------------------------- */

typedef struct cost_walk {
    hs_sched *s;
    double *w;
    int npus;
    uint32_t n;
} cost_walk;

/* w(i, p) sums the standalone predictions of every item of the stage. */
static int add_item_cost(const hs_item *it, void *ctx)
{
    cost_walk *c = ctx;
    for (int p = 0; p < c->npus; p++)
        c->w[p] += it->kind == HS_ITEM_DELAY ? it->delay_s : hs_predict_item(c->s, it, p);
    c->n++;
    return 0;
}

/* The task's costs: w(i, p) on every PU and w̄_i = Σ_j w_{i,j} / q (1),
 * here the mean over the PUs that can run it (in the paper every one of
 * the q processors can run every task). */
static int task_costs(hs_ls *ls, hs_ls_graph *g, hs_ls_task *t)
{
    const hs_request *dag = hs_req_dag(g->req);
    const hs_stage_info *si = hs_request_node(dag, t->id);
    cost_walk c = {ls->s, t->w, ls->npus, 0};
    hs_request_stage_items(dag, t->id, add_item_cost, &c);
    t->nitems = c.n;
    t->holds_pu = si && si->holds_pu && c.n > 0;
    double sum = 0;
    int k = 0;
    for (int p = 0; p < ls->npus; p++)
        if (isfinite(t->w[p])) {
            sum += t->w[p];
            k++;
        }
    if (k == 0) {
        hs_sched_fail(ls->s, "no PU can run stage '%s'", si ? si->name : "?");
        ls->failed = true;
        return -1;
    }
    t->wbar = sum / k;
    return 0;
}

static hs_ls_task *task_new(const hs_ls *ls, uint32_t id)
{
    hs_ls_task *t = calloc(1, sizeof *t + 2 * (size_t)ls->npus * sizeof(double));
    if (!t)
        return NULL;
    t->w = (double *)(t + 1);
    t->aux = t->w + ls->npus;
    t->id = id;
    t->pu = -1;
    t->state = HS_LS_UNPLANNED;
    return t;
}

/* Adds the stages revealed since the last snapshot (their costs are
 * computed once: a stage's items are fixed when it is revealed). */
static int add_new_tasks(hs_ls *ls, hs_ls_graph *g)
{
    uint32_t n = hs_req_nstages(g->req);
    hs_ls_task **t = grow(g->t, &g->cap, n, sizeof *t);
    if (!t)
        return -1;
    g->t = t;
    for (; g->n < n; g->n++) {
        hs_ls_task *t = task_new(ls, g->n);
        if (!t)
            return -1;
        g->t[g->n] = t;
        if (task_costs(ls, g, t) != 0) {
            g->n++;
            return -1;
        }
    }
    return 0;
}

/* g->out: the edge indices grouped by source (a counting sort). */
static void index_outputs(hs_ls_graph *g)
{
    for (uint32_t i = 0; i < g->ne; i++)
        g->t[g->e[i].from]->nout++;
    uint32_t off = 0;
    for (uint32_t id = 0; id < g->n; id++) {
        g->t[id]->out0 = off;
        off += g->t[id]->nout;
        g->t[id]->nout = 0;
    }
    for (uint32_t i = 0; i < g->ne; i++) {
        hs_ls_task *u = g->t[g->e[i].from];
        g->out[u->out0 + u->nout++] = i;
    }
}

/* Rebuilds the revealed edges: grouped by target, then indexed by source. */
static int build_edges(hs_ls *ls, hs_ls_graph *g)
{
    const hs_request *dag = hs_req_dag(g->req);
    size_t ne = 0;
    for (uint32_t id = 0; id < g->n; id++)
        ne += hs_request_inputs(dag, id, NULL, 0);
    hs_ls_edge *e = grow(g->e, &g->ecap, ne, sizeof *e);
    if (e)
        g->e = e;
    uint32_t *in = e ? grow(g->in, &g->icap, ne, sizeof *in) : NULL;
    if (in)
        g->in = in;
    uint32_t *out = in ? grow(g->out, &g->ocap, ne, sizeof *out) : NULL;
    if (!out)
        return -1;
    g->out = out;
    uint32_t k = 0;
    for (uint32_t id = 0; id < g->n; id++) {
        hs_ls_task *t = g->t[id];
        size_t m = hs_request_inputs(dag, id, NULL, 0);
        hs_dep *deps = grow(ls->deps, &ls->dcap, m, sizeof *deps);
        if (!deps)
            return -1;
        ls->deps = deps;
        hs_request_inputs(dag, id, ls->deps, m);
        t->in0 = k;
        t->nin = (uint32_t)m;
        t->nout = 0;
        for (size_t i = 0; i < m; i++, k++) {
            g->e[k] = (hs_ls_edge){ls->deps[i].node, id, ls->deps[i].comm_s};
            g->in[k] = k;
        }
    }
    g->ne = k;
    index_outputs(g);
    return 0;
}

/* A topological order of the visible graph (Kahn, lowest ids first). */
static int build_topo(hs_ls_graph *g)
{
    uint32_t *topo = realloc(g->topo, (g->n ? g->n : 1) * sizeof *topo);
    uint32_t *deg = calloc(g->n ? g->n : 1, sizeof *deg);
    if (!topo || !deg) {
        if (topo)
            g->topo = topo;
        free(deg);
        return -1;
    }
    g->topo = topo;
    uint32_t head = 0, tail = 0;
    for (uint32_t id = 0; id < g->n; id++)
        if ((deg[id] = g->t[id]->nin) == 0)
            topo[tail++] = id;
    while (head < tail) {
        const hs_ls_task *u = g->t[topo[head++]];
        for (uint32_t k = 0; k < u->nout; k++) {
            uint32_t v = hs_ls_out(g, u, k)->to;
            if (--deg[v] == 0)
                topo[tail++] = v;
        }
    }
    free(deg);
    return tail == g->n ? 0 : -1;
}

/* Stages the engine finished without a work_done this policy saw (delays,
 * which hold no PU) become DONE. */
static void sync_done(hs_ls *ls, hs_ls_graph *g)
{
    const hs_request *dag = hs_req_dag(g->req);
    const double now = hs_now(ls->s);
    for (uint32_t id = 0; id < g->n; id++) {
        hs_ls_task *t = g->t[id];
        const hs_stage_info *si = hs_request_node(dag, id);
        if (t->state == HS_LS_DONE || !si || si->state != HS_NODE_DONE)
            continue;
        unbook(ls, t);
        t->finish = t->state == HS_LS_UNPLANNED ? now : fmin(t->finish, now);
        t->state = HS_LS_DONE;
    }
}

static int snapshot(hs_ls *ls, hs_ls_graph *g)
{
    if (add_new_tasks(ls, g) != 0 || build_edges(ls, g) != 0) {
        ls_fail(ls, "out of memory");
        return -1;
    }
    if (build_topo(g) != 0) {
        ls_fail(ls, "the visible workflow graph has a cycle");
        return -1;
    }
    sync_done(ls, g);
    return 0;
}

/* ---- Costs, ranks, EST and EFT -------------------------------------------------- */

double hs_ls_cbar(const hs_ls *ls, const hs_ls_graph *g, const hs_ls_edge *e)
{
    if (!g->t[e->from]->holds_pu || !g->t[e->to]->holds_pu)
        return 0;
    return e->comm > 0 ? e->comm : ls->sync_avg;
}

/* c(m, i) when n_m ran on `from` and n_i runs on `to`: 0 on the same PU
 * (and into or out of a delay), else the edge's comm or the profile's
 * sync cost -- what the engine pays (hs_sync_s: the run's fast or
 * blocking sync). */
static double comm(const hs_ls *ls, const hs_ls_edge *e, const hs_ls_task *u, const hs_ls_task *t,
                   int to)
{
    if (!u->holds_pu || !t->holds_pu || u->pu < 0 || to < 0 || u->pu == to)
        return 0;
    return e->comm > 0 ? e->comm : hs_sync_s(ls->s, u->pu, to);
}

/* rank_u(n_i) = w̄_i + max_{n_j ∈ succ(n_i)} (c̄_{i,j} + rank_u(n_j)),
 * rank_u(n_exit) = w̄_exit  (7, 8; §4.1), in reverse topological order. */
void hs_ls_rank_upward(hs_ls *ls, hs_ls_graph *g)
{
    for (uint32_t k = g->n; k-- > 0;) {
        hs_ls_task *t = g->t[g->topo[k]];
        double m = 0;
        for (uint32_t j = 0; j < t->nout; j++) {
            const hs_ls_edge *e = hs_ls_out(g, t, j);
            m = fmax(m, hs_ls_cbar(ls, g, e) + g->t[e->to]->rank_u);
        }
        t->rank_u = t->wbar + m;
    }
}

/* rank_d(n_i) = max_{n_j ∈ pred(n_i)} (rank_d(n_j) + w̄_j + c̄_{j,i}),
 * rank_d(n_entry) = 0  (9; §4.1), in topological order. */
void hs_ls_rank_downward(hs_ls *ls, hs_ls_graph *g)
{
    for (uint32_t k = 0; k < g->n; k++) {
        hs_ls_task *t = g->t[g->topo[k]];
        double m = 0;
        for (uint32_t j = 0; j < t->nin; j++) {
            const hs_ls_edge *e = hs_ls_in(g, t, j);
            const hs_ls_task *u = g->t[e->from];
            m = fmax(m, u->rank_d + u->wbar + hs_ls_cbar(ls, g, e));
        }
        t->rank_d = m;
    }
}

/* max_{n_m ∈ pred(n_i)} (AFT(n_m) + c_{m,i}), the data-ready half of
 * EST (4), never before now: an input still running, or booked in the
 * past but late, is taken to end now at the earliest. */
static double data_ready(const hs_ls *ls, const hs_ls_graph *g, const hs_ls_task *t, int pu)
{
    const double now = hs_now(ls->s);
    double drt = now;
    for (uint32_t k = 0; k < t->nin; k++) {
        const hs_ls_edge *e = hs_ls_in(g, t, k);
        const hs_ls_task *u = g->t[e->from];
        double f = u->state == HS_LS_DONE ? u->finish : fmax(u->finish, now);
        drt = fmax(drt, f + comm(ls, e, u, t, pu));
    }
    return drt;
}

/* The insertion-based policy (§4.2): the earliest idle slot on pu, between
 * two booked tasks or after the last, that starts at or after drt and is
 * long enough for d.  Work already dispatched runs first (the engine keeps
 * dispatch order), so the search starts after it.  *pos gets the place in
 * the timeline; returns the start. */
static double find_slot(const hs_ls *ls, int pu, double drt, double d, size_t *pos)
{
    const ls_line *l = &ls->line[pu];
    double prev = fmax(hs_now(ls->s), hs_pu_available_at(ls->s, pu));
    size_t i = 0;
    for (; i < l->n && l->v[i]->state >= HS_LS_DISPATCHING; i++)
        prev = fmax(prev, l->v[i]->finish);
    for (; i < l->n; i++) {
        double st = fmax(drt, prev);
        if (st < l->v[i]->start && st + d <= l->v[i]->start) {
            *pos = i;
            return st;
        }
        prev = fmax(prev, l->v[i]->finish);
    }
    *pos = l->n;
    return fmax(drt, prev);
}

/* EST(n_i, p_j) = max{avail[j], max_{n_m ∈ pred(n_i)} (AFT(n_m) + c_{m,i})}  (4),
 * EFT(n_i, p_j) = w_{i,j} + EST(n_i, p_j)  (5), avail[j] by insertion;
 * EST(n_entry, p_j) = 0 (3) at the start of a run. */
double hs_ls_eft(hs_ls *ls, const hs_ls_graph *g, const hs_ls_task *t, int pu, double *start)
{
    if (pu < 0 || pu >= ls->npus || !isfinite(t->w[pu]))
        return INFINITY;
    size_t pos;
    double st = find_slot(ls, pu, data_ready(ls, g, t, pu), t->w[pu], &pos);
    if (start)
        *start = st;
    return st + t->w[pu];
}

int hs_ls_argmin_eft(hs_ls *ls, const hs_ls_graph *g, const hs_ls_task *t, const double *bias)
{
    int best = -1;
    double best_v = INFINITY;
    for (int p = 0; p < ls->npus; p++) {
        double v = hs_ls_eft(ls, g, t, p, NULL) + (bias ? bias[p] : 0);
        if (isfinite(v) && (best < 0 || (v < best_v && !hs_ls_same(v, best_v)))) {
            best = p;
            best_v = v;
        }
    }
    return best;
}

/* ---- The plan -------------------------------------------------------------------- */

/* Books t on pu in the slot EFT found. */
static int book(hs_ls *ls, const hs_ls_graph *g, hs_ls_task *t, int pu)
{
    size_t pos;
    double st = find_slot(ls, pu, data_ready(ls, g, t, pu), t->w[pu], &pos);
    if (line_insert(&ls->line[pu], pos, t) != 0)
        return -1;
    t->pu = pu;
    t->start = st;
    t->finish = st + t->w[pu];
    t->state = HS_LS_PLANNED;
    return 0;
}

/* A delay holds no PU: it starts when its inputs are done. */
static void book_delay(const hs_ls *ls, const hs_ls_graph *g, hs_ls_task *t)
{
    t->pu = -1;
    t->start = data_ready(ls, g, t, -1);
    t->finish = t->start + t->wbar;
    t->state = HS_LS_PLANNED;
}

/* Whether t is fixed: dispatched, done, or a delay already running. */
static bool fixed(const hs_ls_graph *g, const hs_ls_task *t)
{
    if (t->state != HS_LS_PLANNED)
        return t->state != HS_LS_UNPLANNED;
    if (t->holds_pu)
        return false;
    const hs_stage_info *si = hs_request_node(hs_req_dag(g->req), t->id);
    return si && si->state != HS_NODE_PENDING;
}

/* Withdraws the bookings of g's tasks not yet dispatched. */
static void unplan(hs_ls *ls, hs_ls_graph *g)
{
    for (uint32_t id = 0; id < g->n; id++) {
        hs_ls_task *t = g->t[id];
        if (t->state != HS_LS_PLANNED || fixed(g, t))
            continue;
        unbook(ls, t);
        t->pu = -1;
        t->state = HS_LS_UNPLANNED;
    }
}

/* t may be booked: its input set is final (no producer still hidden) and
 * every input is booked or done.  A join whose producers are not all
 * revealed stays unplanned: booked, it could hold its PU's line ahead of
 * work that its hidden producers need (a deadlock); it cannot run before
 * they are revealed anyway. */
static bool bookable(const hs_ls_graph *g, const hs_ls_task *t)
{
    if (!hs_request_inputs_final(hs_req_dag(g->req), t->id))
        return false;
    for (uint32_t k = 0; k < t->nin; k++)
        if (g->t[hs_ls_in(g, t, k)->from]->state == HS_LS_UNPLANNED)
            return false;
    return true;
}

static int ready_push(hs_ls *ls, hs_ls_task *t)
{
    hs_ls_task **ready = grow(ls->ready, &ls->rcap, ls->nready + 1, sizeof *ready);
    if (!ready)
        return -1;
    ls->ready = ready;
    ls->ready[ls->nready++] = t;
    t->queued = true;
    return 0;
}

/* Higher priority first; equal priorities (within rounding) by lower id. */
static bool before(const hs_ls_task *a, const hs_ls_task *b)
{
    if (!hs_ls_same(a->prio, b->prio))
        return a->prio > b->prio;
    return a->id < b->id;
}

/* Extract-max of the ready list (a priority queue). */
static hs_ls_task *ready_pop(hs_ls *ls)
{
    size_t best = 0;
    for (size_t i = 1; i < ls->nready; i++)
        if (before(ls->ready[i], ls->ready[best]))
            best = i;
    hs_ls_task *t = ls->ready[best];
    ls->ready[best] = ls->ready[--ls->nready];
    t->queued = false;
    return t;
}

static int book_next(hs_ls *ls, hs_ls_graph *g, hs_ls_task *t)
{
    if (!t->holds_pu) {
        book_delay(ls, g, t);
        return 0;
    }
    int pu = ls->rules->place(ls, g, t);
    if (pu < 0 || pu >= ls->npus || !isfinite(t->w[pu])) {
        const hs_stage_info *si = hs_request_node(hs_req_dag(g->req), t->id);
        if (!ls->failed)
            hs_sched_fail(ls->s, "no PU chosen for stage '%s'", si ? si->name : "?");
        ls->failed = true;
        return -1;
    }
    return book(ls, g, t, pu);
}

/* The list-scheduling loop: ready tasks (bookable: inputs final, booked or done) are
 * booked one at a time, highest priority first; booking a task may make
 * its successors ready. */
static void plan(hs_ls *ls, hs_ls_graph *g)
{
    if (ls->failed || snapshot(ls, g) != 0)
        return;
    unplan(ls, g);
    ls->rules->rank(ls, g);
    ls->nready = 0;
    for (uint32_t id = 0; id < g->n; id++) {
        hs_ls_task *t = g->t[id];
        if (t->state == HS_LS_UNPLANNED && bookable(g, t) && ready_push(ls, t) != 0)
            goto fail;
    }
    while (ls->nready > 0 && !ls->failed) {
        hs_ls_task *t = ready_pop(ls);
        if (book_next(ls, g, t) != 0)
            goto fail;
        for (uint32_t k = 0; k < t->nout; k++) {
            hs_ls_task *v = g->t[hs_ls_out(g, t, k)->to];
            if (v->state == HS_LS_UNPLANNED && !v->queued && bookable(g, v) &&
                ready_push(ls, v) != 0)
                goto fail;
        }
    }
    return;
fail:
    for (size_t i = 0; i < ls->nready; i++)
        ls->ready[i]->queued = false;
    ls->nready = 0;
    ls_fail(ls, "out of memory");
}

/* ---- Graphs of requests in flight --------------------------------------------------- */

static void graph_free(hs_ls *ls, hs_ls_graph *g)
{
    for (uint32_t id = 0; id < g->n; id++) {
        if (g->t[id]->state != HS_LS_DONE)
            unbook(ls, g->t[id]);
        free(g->t[id]);
    }
    if (g->prev)
        g->prev->next = g->next;
    else
        ls->graphs = g->next;
    if (g->next)
        g->next->prev = g->prev;
    free(g->t);
    free(g->e);
    free(g->in);
    free(g->out);
    free(g->topo);
    free(g);
}

static hs_ls_graph *graph_of(hs_ls *ls, hs_req *r)
{
    hs_ls_graph *g = hs_req_data(r);
    if (g)
        return g;
    if (!(g = calloc(1, sizeof *g))) {
        ls_fail(ls, "out of memory");
        return NULL;
    }
    g->req = r;
    g->pu_mark = -1;
    g->next = ls->graphs;
    if (ls->graphs)
        ls->graphs->prev = g;
    ls->graphs = g;
    hs_req_set_data(r, g);
    return g;
}

static hs_ls_task *task_of(const hs_work *w)
{
    hs_req *r = hs_work_req(w);
    hs_ls_graph *g = r ? hs_req_data(r) : NULL;
    uint32_t id = hs_work_stage(w);
    return g && id < g->n && hs_work_batch_size(w) == 1 && !hs_work_is_part(w) ? g->t[id] : NULL;
}

/* ---- Dispatch in plan order ---------------------------------------------------------- */

/* t's turn on its PU: every task booked before it there is dispatched. */
static bool turn_of(const hs_ls *ls, const hs_ls_task *t)
{
    const ls_line *l = &ls->line[t->pu];
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i] == t)
            return true;
        if (l->v[i]->state != HS_LS_DISPATCHED)
            return false;
    }
    return true;
}

/* Work outside the plan (it should not happen: a stage that was taken to
 * hold no PU, say) goes where it would finish first. */
static int fallback_pu(hs_sched *s, hs_work *w)
{
    int best = -1;
    double best_f = INFINITY;
    for (int p = 0; p < hs_npus(s); p++) {
        double d = hs_predict(s, w, p);
        double f = fmax(hs_pu_available_at(s, p), hs_input_ready_at(s, w, p)) + d;
        if (isfinite(d) && f < best_f) {
            best_f = f;
            best = p;
        }
    }
    return best;
}

/* Dispatches w if its task's turn has come; true when it did. */
static bool try_dispatch(hs_ls *ls, hs_work *w)
{
    hs_ls_task *t = task_of(w);
    bool planned = t && t->pu >= 0 && t->state != HS_LS_UNPLANNED && t->state != HS_LS_DONE;
    if (planned && !turn_of(ls, t))
        return false;
    int pu = planned ? t->pu : fallback_pu(ls->s, w);
    if (pu < 0) {
        ls_fail(ls, "a work item no PU can run");
        return false;
    }
    if (hs_dispatch(ls->s, w, pu) != 0) {
        ls->failed = true;
        return false;
    }
    if (planned) {
        t->dispatched++;
        t->state = t->dispatched >= t->nitems ? HS_LS_DISPATCHED : HS_LS_DISPATCHING;
    }
    return true;
}

void hs_ls_schedule(hs_sched *s, void *state)
{
    hs_ls *ls = state;
    bool progress = true;
    while (progress && !ls->failed) {
        progress = false;
        hs_work *next;
        for (hs_work *w = hs_ready_first(s); w && !ls->failed; w = next) {
            next = hs_ready_next(s, w);
            progress |= try_dispatch(ls, w);
        }
    }
}

/* ---- Hooks ----------------------------------------------------------------------------------- */

int hs_ls_init(hs_sched *s, void **state, hs_err *err, const hs_ls_rules *rules)
{
    hs_ls *ls = calloc(1, sizeof *ls);
    int n = hs_npus(s);
    if (!ls || !(ls->line = calloc(n > 0 ? (size_t)n : 1, sizeof *ls->line))) {
        free(ls);
        return hs_errf(err, "out of memory");
    }
    ls->s = s;
    ls->rules = rules;
    ls->npus = n;
    double sum = 0;
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++)
            if (a != b)
                sum += hs_sync_s(s, a, b);
    ls->sync_avg = n > 1 ? sum / ((double)n * (n - 1)) : 0;
    *state = ls;
    return 0;
}

void hs_ls_fini(hs_sched *s, void *state)
{
    (void)s;
    hs_ls *ls = state;
    if (!ls)
        return;
    while (ls->graphs) {
        hs_req_set_data(ls->graphs->req, NULL);
        graph_free(ls, ls->graphs);
    }
    for (int p = 0; p < ls->npus; p++)
        free(ls->line[p].v);
    free(ls->line);
    free(ls->ready);
    free(ls->deps);
    free(ls);
}

void hs_ls_request_arrived(hs_sched *s, void *state, hs_req *r)
{
    (void)s;
    hs_ls *ls = state;
    hs_ls_graph *g = graph_of(ls, r);
    if (g)
        plan(ls, g);
}

void hs_ls_stage_revealed(hs_sched *s, void *state, hs_req *r, uint32_t first)
{
    (void)first;
    hs_ls_request_arrived(s, state, r);
}

void hs_ls_work_done(hs_sched *s, void *state, hs_work *w)
{
    hs_ls *ls = state;
    hs_ls_task *t = task_of(w);
    if (!t || ++t->done < t->nitems)
        return;
    if (t->state != HS_LS_DONE)
        unbook(ls, t);
    t->pu = hs_work_pu(w);
    t->finish = hs_now(s);
    t->state = HS_LS_DONE;
}

void hs_ls_request_done(hs_sched *s, void *state, hs_req *r)
{
    (void)s;
    hs_ls *ls = state;
    hs_ls_graph *g = hs_req_data(r);
    if (!g)
        return;
    hs_req_set_data(r, NULL);
    graph_free(ls, g);
}
