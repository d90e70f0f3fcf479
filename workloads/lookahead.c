/* hetsoc workloads: look-ahead -- what a request's workflow template says
 * is still to come (HeRo Eq. 4: CS_F, the expected future work computed on
 * the template with its activation probabilities).
 *
 * The model, on the template (forward edges; a loop's back edge apart):
 *   P(s)      the chance stage s runs in one pass: 1 for a root, else
 *             1 - prod over its forward in-edges e = (u, s) of
 *             (1 - P(u) p_e).  Exact when the template is a DAG whose
 *             branch coins are independent and its in-edges' sources run
 *             independently (no two conditional paths that split and meet
 *             again); otherwise the independence approximation.
 *   E[N_l]    iterations of loop l, its count clamped to [1, max]: exact
 *             for a constant (min(c, max)) and for a geometric count of
 *             parameter p (the truncated geometric series
 *             sum_{k<cap} (1 - p)^k = (1 - (1 - p)^cap) / p); otherwise
 *             the count's mean, clamped (an approximation).  Every
 *             iteration repeats the first one's probabilities.
 *   E[items]  a fan-out's items: the mean of its emitter's `emits`.
 *   W(s)      the work of one instance: its fields at their means (params
 *             at their means, a trace's token counts where the request has
 *             them, $iter = $item = 0), lowered at stage granularity; its
 *             items at the workload's granularity.  Exact for constant
 *             fields; for an LLM stage whose tokens vary the FLOPs are
 *             convex in them (attention), so the plug-in is a little low.
 * Expectations are sums of P x E[N] x E[items] x W: linear, so exact
 * under the above.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_private.h"

/* The mean of v at the variables' means. */
static double mean_of(const wl_num *v, const double *vars)
{
    switch (v->kind) {
    case WN_CONST: return v->c;
    case WN_EXPR: return wl_expr_eval(v->e, vars);
    case WN_DIST: return fmin(fmax(v->d.mean, v->d.lo), v->d.hi);
    default: return 0;
    }
}

static int64_t mean_int(const wl_num *v, const double *vars, int64_t lo)
{
    double x = llround(mean_of(v, vars));
    return x < (double)lo ? lo : x > 1e15 ? (int64_t)1e15 : (int64_t)x;
}

/* Params at their means (a trace's token counts replacing prompt and
 * output, as in the request's own draw), then $iter = $item = 0. */
static double *mean_vars(const wl_class *c, const hs_arrival *a)
{
    const wl_template *t = c->tpl;
    double *vars = calloc(t->nparams + WL_NBUILTIN, sizeof *vars);
    if (!vars)
        return NULL;
    for (size_t i = 0; i < t->nparams; i++)
        if (!c->params[i]->is_str)
            vars[i] = mean_of(&c->params[i]->num, vars);
    if (a && a->prompt_tokens >= 0 && t->prompt_param >= 0)
        vars[t->prompt_param] = (double)a->prompt_tokens;
    if (a && a->output_tokens >= 0 && t->output_param >= 0)
        vars[t->output_param] = (double)a->output_tokens;
    return vars;
}

static void add_items(hs_work_expect *w, const hs_item *it)
{
    w->flops += it->k.flops;
    w->bytes += it->k.bytes;
}

static void llm_work(const wl_largs *la, hs_granularity g, hs_work_expect *w)
{
    hs_item it;
    for (int64_t pos = 0; pos < wl_lower_count(la, HS_GRAN_STAGE); pos++) {
        wl_lower_at(la, HS_GRAN_STAGE, pos, &it);
        add_items(w, &it);
    }
    w->items = (double)wl_lower_count(la, g);
}

static void search_work(const wl_stage *st, const double *vars, hs_work_expect *w)
{
    wl_search s = {.ivf = st->ivf, .dtype = st->vec_dtype,
                   .vectors = (double)mean_int(&st->vectors, vars, 1),
                   .dim = mean_int(&st->dim, vars, 1), .queries = mean_int(&st->queries, vars, 1),
                   .subsets = mean_int(&st->subsets, vars, 1)};
    if (s.ivf) {
        s.nlist = mean_int(&st->nlist, vars, 1);
        s.nprobe = mean_int(&st->nprobe, vars, 1);
        s.nprobe = s.nprobe > s.nlist ? s.nlist : s.nprobe;
    }
    hs_item it;
    for (int64_t pos = 0; pos < wl_search_count(&s); pos++) {
        wl_search_at(&s, pos, &it);
        add_items(w, &it);
    }
    w->items = (double)wl_search_count(&s);
}

/* W(s): the expected work of one instance of template stage s. */
static hs_work_expect stage_work(const hs_workload *wl, const wl_class *c, int s, const double *vars)
{
    const wl_stage *st = &c->tpl->stages[s];
    hs_work_expect w = {0, 0, 1};
    wl_largs la = {.m = c->models[s], .q = c->quants[s]};
    switch (st->kind) {
    case HS_STAGE_LLM:
        la.context = mean_int(&st->context, vars, 0);
        la.prompt = mean_int(&st->prompt, vars, 1);
        la.output = mean_int(&st->output, vars, 1);
        llm_work(&la, wl->gran, &w);
        break;
    case HS_STAGE_EMBED:
    case HS_STAGE_RERANK:
        la.encode = true;
        la.batch = mean_int(&st->batch, vars, 1);
        la.seq = mean_int(&st->seq, vars, 1);
        la.head_rows = st->kind == HS_STAGE_RERANK && la.m->lm_head ? 1 : 0;
        llm_work(&la, wl->gran, &w);
        break;
    case HS_STAGE_SEARCH: search_work(st, vars, &w); break;
    case HS_STAGE_CHUNK: w.bytes = 8 * (double)mean_int(&st->tokens, vars, 1); break;
    case HS_STAGE_TOOL: break;
    default:
        w.flops = fmax(0, mean_of(&st->flops, vars));
        w.bytes = fmax(0, mean_of(&st->bytes, vars));
        if (w.flops == 0 && w.bytes == 0)
            w.bytes = 1;
        break;
    }
    return w;
}

/* E[N_l]: see the top of the file. */
static double loop_iterations(const wl_loop *l, const double *vars)
{
    const wl_num *n = &l->count;
    double cap = (double)l->max;
    if (n->kind == WN_DIST && n->d.kind == WD_GEOMETRIC) {
        double p = n->d.a;
        cap = fmin(cap, floor(n->d.hi));
        return p >= 1 ? 1 : (1 - pow(1 - p, cap)) / p;
    }
    return fmin(fmax(llround(mean_of(n, vars)), 1), cap);
}

/* Iterations still to come after iteration `it` of loop l (0-based):
 * E[N - it - 1 | N > it], exact for a constant and, memoryless, for a
 * geometric count (sum_{k=1}^{cap-it-1} (1 - p)^k). */
static double loop_remaining(const wl_loop *l, const double *vars, int64_t it)
{
    const wl_num *n = &l->count;
    if (n->kind == WN_DIST && n->d.kind == WD_GEOMETRIC) {
        double q = 1 - n->d.a, k = fmin((double)l->max, floor(n->d.hi)) - (double)it - 1;
        return k <= 0 || q <= 0 ? 0 : q * (1 - pow(q, k)) / (1 - q);
    }
    return fmax(0, loop_iterations(l, vars) - (double)it - 1);
}

/* P(s) for every stage by forward propagation in topological order, from
 * `from` (P = 1 there, 0 for what it does not lead to), or from the roots
 * when from < 0. */
static void propagate(const wl_template *t, int from, double *p)
{
    for (size_t k = 0; k < t->nstages; k++) {
        int s = t->topo[k];
        double miss = 1;
        bool fed = false;
        for (size_t i = 0; i < t->nedges; i++) {
            const wl_edge *e = &t->edges[i];
            if (e->back || e->to != s)
                continue;
            fed = true;
            miss *= 1 - p[e->from] * e->p;
        }
        p[s] = s == from ? 1 : from < 0 && !fed ? 1 : 1 - miss;
    }
}

/* E[items] per instance of a `foreach` stage: its emitter's mean. */
static double fanout(const wl_template *t, int s, const double *vars)
{
    int em = t->stages[s].foreach;
    return em >= 0 ? (double)mean_int(&t->stages[em].emits, vars, 0) : 1;
}

static void add_scaled(hs_work_expect *acc, const hs_work_expect *w, double k)
{
    acc->flops += k * w->flops;
    acc->bytes += k * w->bytes;
    acc->items += k * w->items;
}

/* Everything the look-ahead needs of one request, built per call. */
typedef struct look {
    const hs_workload *wl;
    const wl_class *c;
    const wl_template *t;
    double *vars, *p;
} look;

static int look_open(const hs_request *r, look *lk)
{
    memset(lk, 0, sizeof *lk);
    const hs_workload *wl = wl_request_workload(r);
    if (!wl || wl->kind == HS_WL_DAG || wl->kind == HS_WL_SYNTHETIC)
        return -1;
    lk->wl = wl;
    lk->c = &wl->classes[hs_request_arrival(r)->cls];
    lk->t = lk->c->tpl;
    if (!lk->t)
        return -1;
    lk->vars = mean_vars(lk->c, hs_request_arrival(r));
    lk->p = calloc(lk->t->nstages + 1, sizeof *lk->p);
    return lk->vars && lk->p ? 0 : -1;
}

static void look_close(look *lk)
{
    free(lk->vars);
    free(lk->p);
}

/* Expected runs of s per request when it runs with probability p[s] a pass. */
static double runs_of(const look *lk, int s)
{
    int l = lk->t->stages[s].loop;
    double n = l >= 0 ? loop_iterations(&lk->t->loops[l], lk->vars) : 1;
    return lk->p[s] * n * fanout(lk->t, s, lk->vars);
}

size_t hs_request_template_expect(const hs_request *r, hs_stage_expect *out, size_t cap)
{
    look lk;
    if (look_open(r, &lk) != 0) {
        look_close(&lk);
        return 0;
    }
    propagate(lk.t, -1, lk.p);
    for (size_t s = 0; s < lk.t->nstages && s < cap; s++)
        out[s] = (hs_stage_expect){.name = lk.t->stages[s].name, .p_run = lk.p[s],
                                   .runs = runs_of(&lk, (int)s),
                                   .one = stage_work(lk.wl, lk.c, (int)s, lk.vars)};
    size_t n = lk.t->nstages;
    look_close(&lk);
    return n;
}

size_t hs_request_template_edges(const hs_request *r, hs_template_edge *out, size_t cap)
{
    look lk;
    if (look_open(r, &lk) != 0) {
        look_close(&lk);
        return 0;
    }
    for (size_t i = 0; i < lk.t->nedges && i < cap; i++) {
        const wl_edge *e = &lk.t->edges[i];
        int l = lk.t->stages[e->from].loop;
        out[i] = (hs_template_edge){.from = e->from, .to = e->to, .p = e->back ? 1 : e->p,
                                    .back = e->back,
                                    .iterations = e->back ? loop_iterations(&lk.t->loops[l], lk.vars) : 0};
    }
    size_t n = lk.t->nedges;
    look_close(&lk);
    return n;
}

int hs_request_expected_total(const hs_request *r, hs_work_expect *out)
{
    look lk;
    if (look_open(r, &lk) != 0) {
        look_close(&lk);
        return -1;
    }
    propagate(lk.t, -1, lk.p);
    *out = (hs_work_expect){0};
    for (size_t s = 0; s < lk.t->nstages; s++) {
        hs_work_expect w = stage_work(lk.wl, lk.c, (int)s, lk.vars);
        add_scaled(out, &w, runs_of(&lk, (int)s));
    }
    look_close(&lk);
    return 0;
}

/* The remaining iterations of the loop around template stage ts: each
 * runs the body from its head once more. */
static void add_loop_rest(look *lk, int ts, int64_t it, hs_work_expect *out)
{
    int l = lk->t->stages[ts].loop;
    if (l < 0)
        return;
    double rest = loop_remaining(&lk->t->loops[l], lk->vars, it);
    if (rest <= 0)
        return;
    propagate(lk->t, lk->t->edges[lk->t->loops[l].edge].to, lk->p);
    for (size_t s = 0; s < lk->t->nstages; s++)
        if (lk->t->stages[s].loop == l) {
            hs_work_expect w = stage_work(lk->wl, lk->c, (int)s, lk->vars);
            add_scaled(out, &w, rest * lk->p[s] * fanout(lk->t, (int)s, lk->vars));
        }
}

int hs_request_expected_downstream(const hs_request *r, uint32_t id, hs_work_expect *out)
{
    int ts = hs_request_template_stage(r, id);
    look lk;
    if (ts < 0 || look_open(r, &lk) != 0) {
        if (ts >= 0)
            look_close(&lk);
        return -1;
    }
    const hs_stage_info *si = hs_request_node(r, id);
    *out = (hs_work_expect){0};
    propagate(lk.t, ts, lk.p);
    int own = lk.t->stages[ts].loop;
    for (size_t s = 0; s < lk.t->nstages; s++) {
        if ((int)s == ts || lk.p[s] <= 0)
            continue;
        int l = lk.t->stages[s].loop;
        /* A loop entered later runs all its iterations; this pass of its
         * own loop runs once. */
        double n = l >= 0 && l != own ? loop_iterations(&lk.t->loops[l], lk.vars) : 1;
        hs_work_expect w = stage_work(lk.wl, lk.c, (int)s, lk.vars);
        add_scaled(out, &w, lk.p[s] * n * fanout(lk.t, (int)s, lk.vars));
    }
    add_loop_rest(&lk, ts, si->iteration, out);
    look_close(&lk);
    return 0;
}
