/* hetsoc workloads: one request's workflow DAG, drawn when the request is
 * created and revealed while it runs.
 *
 * Creation draws everything from the request's own stream ("request/CLASS",
 * index within the class), in a fixed order: the template's params, the
 * loop counts, then every stage instance's fields (and fan-out counts) in
 * topological order, then the coin of every conditional edge.  The stages
 * that run are those reachable from the roots over taken edges; the rest
 * never exist.  So the same seed gives the same DAG whatever the policy
 * does, and no RNG is held while the request runs.
 *
 * The policy sees only what is revealed (HeRo's partially observable DAG):
 * the roots and what unconditionally follows them at the start; a stage
 * reached by a conditional edge, a loop's next iteration, the items of a
 * fan-out, or what follows a loop only when the stage that decides it
 * finishes (or, for a streaming edge, emits its token group).
 *
 * Speculation (HedraRAG §4.2.2; contract in workloads.h and README.md): a
 * PENDING stage may start early (hs_request_speculate).  It runs as READY
 * but never completes while its inputs are unsatisfied; when they are, one
 * coin from the request's "spec" stream (a hash of the request's seed and
 * the stage's creation index: no RNG is held, and the DAG draws are
 * untouched) says whether the work stands or the stage restarts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_private.h"

enum { NONE = UINT32_MAX };

typedef enum lower_kind { LK_LLM, LK_SEARCH, LK_CHUNK, LK_DELAY, LK_COMPUTE, LK_TASK, LK_WORK } lower_kind;

typedef struct rnode {
    hs_stage_info info;
    uint32_t vis;              /* public id, NONE while hidden */
    uint32_t in0, nin, out0, nout;   /* ranges of r->ein / r->eout */
    uint32_t waiting;          /* inputs not yet satisfied */
    bool outstanding, marked;
    bool spec_token;           /* speculative answer stage emitted a token: FIRST_TOKEN owed */
    int32_t last_emits;
    int64_t pos, count;        /* item cursor */
    lower_kind lk;
    wl_largs la;
    hs_granularity gran;       /* LLM / encoder stage: its own or the workload's */
    wl_lcache *lc;             /* LLM stage at op or layer granularity while it
                                * runs: its memo of repeated items (or NULL) */
    wl_search sr;
    int64_t searched;          /* search: the searched prefix of the probe order */
    uint64_t *part_bits;       /* search: clusters of finished parts (lazily; NULL: none) */
    int64_t *hits;             /* search: memo of its hits' probe ranks (lazily; NULL: none) */
    int64_t *hit_pos;          /* search: its hits' scan positions once reordered
                                * (hs_request_search_reorder); NULL: probe order */
    bool spec_search;          /* speculated with a search among its inputs */
    bool truncated;            /* search: its scan's unsearched clusters were dropped */
    hs_pu_cost cost1;
    double delay, flops, bytes, work;
    const wl_task *task;
    /* creation only */
    uint32_t stage;
    int64_t emits;
    bool active;
} rnode;

typedef struct redge {
    uint32_t from, to;
    double comm;
    int64_t stream;
    int64_t spec_searched;     /* from a search to a speculated stage: the searched prefix then */
    bool statik, taken, satisfied;
} redge;

struct hs_request {
    const hs_workload *wl;
    const wl_class *cls;
    hs_arrival arr;
    uint32_t n, ne;
    rnode *nodes;
    redge *edges;
    uint32_t *ein, *eout;      /* edge ids grouped by target / source */
    uint32_t nvis;
    uint32_t *vis;             /* public id -> node */
    uint32_t *stack, *list;    /* scratch of reveal() */
    hs_req_event *evq;
    size_t evh, evn, evcap;
    uint32_t ndone;
    bool first_token, finished;
    uint64_t run_seed;         /* for the "spec" draws */
    uint32_t last_search;      /* the search stage that finished last (NONE: none yet) */
};

/* ---- Building. ---------------------------------------------------------- */

typedef struct builder {
    hs_request *r;
    const wl_template *t;
    gsl_rng *g;
    double *vars;
    size_t nvars;
    int64_t *loopn;
    uint32_t *si_first, *si_count;   /* per (stage, iteration) */
    size_t *si_base;                 /* per stage: index into si_* */
    size_t ncap, ecap;
    hs_err *err;
} builder;

static int add_node(builder *b, uint32_t *id)
{
    hs_request *r = b->r;
    *id = r->n; /* set on every path: callers read it only on success */
    rnode *nn = wl_grow(r->nodes, &b->ncap, r->n + 1, sizeof *nn);
    if (!nn)
        return hs_errf(b->err, "out of memory");
    r->nodes = nn;
    memset(&nn[r->n], 0, sizeof nn[r->n]);
    nn[r->n].vis = NONE;
    r->n++;
    return 0;
}

static int add_edge(builder *b, uint32_t from, uint32_t to, int64_t stream, bool statik, bool taken)
{
    hs_request *r = b->r;
    redge *ne = wl_grow(r->edges, &b->ecap, r->ne + 1, sizeof *ne);
    if (!ne)
        return hs_errf(b->err, "out of memory");
    r->edges = ne;
    ne[r->ne++] = (redge){.from = from, .to = to, .stream = stream, .statik = statik,
                          .taken = taken};
    return 0;
}

static int64_t iters(const builder *b, int stage)
{
    int l = b->t->stages[stage].loop;
    return l >= 0 ? b->loopn[l] : 1;
}

static double draw(builder *b, const wl_num *v)
{
    return wl_num_eval(v, b->vars, b->g);
}

/* x rounded to an integer in [lo, 1e15]. */
static int64_t draw_int_of(double v, int64_t lo)
{
    double x = llround(v);
    return x < (double)lo ? lo : x > 1e15 ? (int64_t)1e15 : (int64_t)x;
}

static int64_t draw_int(builder *b, const wl_num *v, int64_t lo)
{
    return draw_int_of(draw(b, v), lo);
}

static void draw_params(builder *b, const hs_arrival *a)
{
    const wl_class *c = b->r->cls;
    for (size_t i = 0; i < b->t->nparams; i++)
        if (!c->params[i]->is_str)
            b->vars[i] = draw(b, &c->params[i]->num);
    /* A trace's token counts replace the drawn ones (the reader refuses 0). */
    if (a->prompt_tokens >= 0 && b->t->prompt_param >= 0)
        b->vars[b->t->prompt_param] = (double)a->prompt_tokens;
    if (a->output_tokens >= 0 && b->t->output_param >= 0)
        b->vars[b->t->output_param] = (double)a->output_tokens;
}

static void draw_loops(builder *b)
{
    for (size_t l = 0; l < b->t->nloops; l++) {
        int64_t n = draw_int(b, &b->t->loops[l].count, 1);
        b->loopn[l] = n > b->t->loops[l].max ? b->t->loops[l].max : n;
    }
}

/* The stage's granularity, prefill chunk and operand order: its own, else
 * the workload's. */
static void fill_granularity(const builder *b, rnode *x, const wl_stage *st)
{
    const hs_workload *wl = b->r->wl;
    x->gran = st->gran_set ? st->gran : wl->gran;
    x->la.chunk = st->chunk_tokens > 0 ? st->chunk_tokens : wl->chunk_tokens;
    int order = st->operand_order != WL_ORDER_INHERIT ? st->operand_order : wl->operand_order;
    x->la.act_left = order == WL_ORDER_NAIVE;
}

/* A token count of an LLM call: a distribution's draw below lo is raised
 * to lo (its documented truncation), but a number or an expression that
 * gives less than lo, or no finite number at all, is an error at its
 * position rather than a silent clamp. */
static int draw_tokens(builder *b, const wl_num *v, int64_t lo, const char *what, int64_t *out)
{
    double x = draw(b, v);
    if (!isfinite(x))
        return hs_node_err(v->where, b->err, "%s token count is %g, not a finite number", what, x);
    if (v->kind != WN_DIST && x < (double)lo - 0.5)
        return hs_node_err(v->where, b->err, "%s token count %g is under %lld", what, x, (long long)lo);
    *out = draw_int_of(x, lo);
    return 0;
}

/* An LLM call's tokens (context + prompt + output) must fit the model's
 * context window. */
static int fill_llm(builder *b, rnode *x, const wl_stage *st)
{
    x->lk = LK_LLM;
    fill_granularity(b, x, st);
    if (draw_tokens(b, &st->context, 0, "context", &x->la.context) < 0 ||
        draw_tokens(b, &st->prompt, 1, "prompt", &x->la.prompt) < 0 ||
        draw_tokens(b, &st->output, 1, "output", &x->la.output) < 0)
        return -1;
    x->info.context = x->la.context, x->info.prompt = x->la.prompt;
    x->info.output = x->la.output;
    const hs_model *m = x->la.m;
    int64_t total = x->la.context + x->la.prompt + x->la.output;
    if (m && m->max_context > 0 && total > m->max_context)
        return hs_node_err(st->output.where ? st->output.where : st->prompt.where, b->err,
                           "stage '%s': context %lld + prompt %lld + output %lld tokens exceed "
                           "model '%s''s max_context (%lld)", st->name, (long long)x->la.context,
                           (long long)x->la.prompt, (long long)x->la.output, m->name,
                           (long long)m->max_context);
    return 0;
}

static void fill_encode(builder *b, rnode *x, const wl_stage *st)
{
    x->lk = LK_LLM;
    fill_granularity(b, x, st);
    x->la.encode = true;
    x->la.batch = draw_int(b, &st->batch, 1);
    x->la.seq = draw_int(b, &st->seq, 1);
    x->la.head_rows = st->kind == HS_STAGE_RERANK && x->la.m->lm_head ? 1 : 0;
    x->info.batch = x->la.batch, x->info.seq = x->la.seq;
}

static void fill_search(builder *b, rnode *x, const wl_stage *st)
{
    wl_search *s = &x->sr;
    x->lk = LK_SEARCH;
    s->ivf = st->ivf;
    s->dtype = st->vec_dtype;
    s->vectors = (double)draw_int(b, &st->vectors, 1);
    s->dim = draw_int(b, &st->dim, 1);
    s->queries = draw_int(b, &st->queries, 1);
    s->subsets = draw_int(b, &st->subsets, 1);
    if (s->ivf) {
        s->nlist = draw_int(b, &st->nlist, 1);
        s->nprobe = draw_int(b, &st->nprobe, 1);
        if (s->nprobe > s->nlist)
            s->nprobe = s->nlist;
    }
    x->info.batch = s->queries;
    /* Numbers or expressions (never distributions): they draw nothing. */
    x->info.top_k = st->top_k.kind == WN_NONE ? 1 : llround(wl_num_eval(&st->top_k, b->vars, NULL));
    if (x->info.top_k < 1)
        x->info.top_k = 1;
    x->info.hit_locality = st->hit_locality.kind == WN_NONE
                               ? HS_HIT_LOCALITY_DEFAULT
                               : fmax(0, wl_num_eval(&st->hit_locality, b->vars, NULL));
    x->info.cluster_skew = st->cluster_skew.kind == WN_NONE
                               ? HS_CLUSTER_SKEW_DEFAULT
                               : fmax(0, wl_num_eval(&st->cluster_skew, b->vars, NULL));
}

/* Draws one instance's fields, in a fixed order. */
static int fill_node(builder *b, rnode *x, uint32_t stage, int64_t it, int64_t item)
{
    const wl_stage *st = &b->t->stages[stage];
    const wl_class *c = b->r->cls;
    size_t np = b->t->nparams;
    b->vars[np + WL_VAR_ITER] = (double)it;
    b->vars[np + WL_VAR_ITEM] = (double)item;
    x->stage = stage;
    x->info.name = st->name;
    x->info.kind = st->kind;
    x->info.model = c->models[stage];
    x->info.quant = c->quants[stage];
    x->info.iteration = (int32_t)it;
    x->info.item = (int32_t)item;
    x->info.affinity = st->affinity;
    x->info.holds_pu = st->kind != HS_STAGE_TOOL;
    x->info.answer = st->answer && (st->loop < 0 || it == iters(b, (int)stage) - 1);
    x->la.m = c->models[stage];
    x->la.q = c->quants[stage];
    /* A number or an expression (never a distribution): draws nothing. */
    x->info.spec_accuracy = HS_SPEC_ACCURACY_DEFAULT;
    if (st->spec_accuracy.kind != WN_NONE) {
        double p = wl_num_eval(&st->spec_accuracy, b->vars, NULL);
        x->info.spec_accuracy = p > 0 ? (p < 1 ? p : 1) : 0;   /* NaN: 0 */
    }
    if (st->emitter)
        x->emits = draw_int(b, &st->emits, 0);
    switch (st->kind) {
    case HS_STAGE_LLM: return fill_llm(b, x, st);
    case HS_STAGE_EMBED:
    case HS_STAGE_RERANK: fill_encode(b, x, st); break;
    case HS_STAGE_SEARCH: fill_search(b, x, st); break;
    case HS_STAGE_CHUNK: {
        double tokens = (double)draw_int(b, &st->tokens, 1), spt = draw(b, &st->s_per_token);
        x->lk = LK_CHUNK;
        x->cost1 = (hs_pu_cost){"cpu", tokens * (spt > 0 ? spt : 0)};
        x->bytes = 8 * tokens;   /* text read, chunk ids written (assumed 4 + 4 B a token) */
        x->info.seq = (int64_t)tokens;
        break;
    }
    case HS_STAGE_TOOL: {
        double d = draw(b, &st->latency);
        x->lk = LK_DELAY;
        x->delay = d > 0 ? d : 0;
        break;
    }
    default:
        x->lk = LK_COMPUTE;
        x->flops = fmax(0, draw(b, &st->flops));
        x->bytes = fmax(0, draw(b, &st->bytes));
        if (x->flops == 0 && x->bytes == 0)
            x->bytes = 1;
        break;
    }
    return 0;
}

static int make_instances(builder *b)
{
    const wl_template *t = b->t;
    size_t total = 0;
    for (size_t s = 0; s < t->nstages; s++) {
        b->si_base[s] = total;
        total += (size_t)iters(b, (int)s);
    }
    b->si_first = calloc(total, sizeof *b->si_first);
    b->si_count = calloc(total, sizeof *b->si_count);
    if (!b->si_first || !b->si_count)
        return hs_errf(b->err, "out of memory");
    for (size_t k = 0; k < t->nstages; k++) {
        int s = t->topo[k];
        const wl_stage *st = &t->stages[s];
        for (int64_t it = 0; it < iters(b, s); it++) {
            size_t si = b->si_base[s] + (size_t)it;
            int64_t items = 1;
            if (st->foreach >= 0) {
                size_t ei = b->si_base[st->foreach] + (size_t)it;
                items = b->r->nodes[b->si_first[ei]].emits;
            }
            b->si_first[si] = b->r->n;
            b->si_count[si] = (uint32_t)items;
            for (int64_t item = 0; item < items; item++) {
                uint32_t id;
                if (add_node(b, &id) < 0 || fill_node(b, &b->r->nodes[id], (uint32_t)s, it, item) < 0)
                    return -1;
            }
        }
    }
    return 0;
}

static bool coin(builder *b, double p)
{
    return p >= 1 || gsl_rng_uniform(b->g) < p;
}

/* Edges of template edge e between iteration iu of its source and iv of
 * its target (see workflow.c for the rules). */
static int link_iters(builder *b, const wl_edge *e, int64_t iu, int64_t iv)
{
    const wl_template *t = b->t;
    const wl_stage *u = &t->stages[e->from], *v = &t->stages[e->to];
    size_t su = b->si_base[e->from] + (size_t)iu, sv = b->si_base[e->to] + (size_t)iv;
    uint32_t fu = b->si_first[su], nu = b->si_count[su];
    uint32_t fv = b->si_first[sv], nv = b->si_count[sv];
    /* Loop entries are known in advance only for the first iteration. */
    bool statik = e->statik && (iv == 0 || u->loop == v->loop);
    if (v->foreach == e->from) {
        for (uint32_t j = 0; j < nv; j++)
            if (add_edge(b, fu, fv + j, e->stream > 0 ? e->stream * (int64_t)(j + 1) : 0, false,
                         coin(b, e->p)) < 0)
                return -1;
        return 0;
    }
    if (u->foreach >= 0 && u->foreach == v->foreach) {
        for (uint32_t j = 0; j < nu; j++)
            if (add_edge(b, fu + j, fv + j, e->stream, false, coin(b, e->p)) < 0)
                return -1;
        return 0;
    }
    if (u->foreach >= 0 && nu == 0) {
        /* A join over zero items depends on the stage that emitted none. */
        uint32_t em = b->si_first[b->si_base[u->foreach] + (size_t)iu];
        for (uint32_t j = 0; j < nv; j++)
            if (add_edge(b, em, fv + j, 0, false, true) < 0)
                return -1;
        return 0;
    }
    for (uint32_t i = 0; i < nu; i++)
        for (uint32_t j = 0; j < nv; j++)
            if (add_edge(b, fu + i, fv + j, e->stream, statik, coin(b, e->p)) < 0)
                return -1;
    return 0;
}

static int make_edges(builder *b)
{
    const wl_template *t = b->t;
    for (size_t ei = 0; ei < t->nedges; ei++) {
        const wl_edge *e = &t->edges[ei];
        int lu = t->stages[e->from].loop, lv = t->stages[e->to].loop;
        int64_t nu = iters(b, e->from), nv = iters(b, e->to);
        int rc = 0;
        if (e->back) {
            for (int64_t it = 0; rc == 0 && it + 1 < nu; it++)
                rc = link_iters(b, e, it, it + 1);
        } else if (lu >= 0 && lu == lv) {
            for (int64_t it = 0; rc == 0 && it < nu; it++)
                rc = link_iters(b, e, it, it);
        } else {
            for (int64_t iv = 0; rc == 0 && iv < nv; iv++)
                rc = link_iters(b, e, nu - 1, iv);
        }
        if (rc < 0)
            return -1;
    }
    return 0;
}

/* ---- Pruning and the final arrays. -------------------------------------- */

/* A binary min-heap of node indices: the topological order below takes
 * the lowest-numbered ready node first, so creation order (file order for
 * `dag` tasks) is kept wherever the edges allow. */
static void mh_push(uint32_t *h, uint32_t *n, uint32_t v)
{
    uint32_t i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > v) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = v;
}

static uint32_t mh_pop(uint32_t *h, uint32_t *n)
{
    uint32_t top = h[0], last = h[--*n], i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (last <= h[c])
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = last;
    return top;
}

/* Topological order of all instances over all candidate edges (order
 * must hold n entries; the scratch is one block). */
static int instance_order(hs_request *r, uint32_t *order, hs_err *err)
{
    size_t n = r->n + 2, e = r->ne + 1;
    uint32_t *blk = calloc(4 * n + e, sizeof *blk);
    if (!blk)
        return hs_errf(err, "out of memory");
    uint32_t *indeg = blk, *start = indeg + n, *fill = start + n, *heap = fill + n,
             *adj = heap + n;
    for (uint32_t i = 0; i < r->ne; i++)
        indeg[r->edges[i].to]++, start[r->edges[i].from + 1]++;
    for (uint32_t v = 0; v < r->n; v++)
        start[v + 1] += start[v];
    for (uint32_t i = 0; i < r->ne; i++)
        adj[start[r->edges[i].from] + fill[r->edges[i].from]++] = i;
    uint32_t nh = 0, k = 0;
    for (uint32_t v = 0; v < r->n; v++)
        if (indeg[v] == 0)
            mh_push(heap, &nh, v);
    while (nh > 0) {
        uint32_t u = mh_pop(heap, &nh);
        order[k++] = u;
        for (uint32_t j = start[u]; j < start[u + 1]; j++)
            if (--indeg[r->edges[adj[j]].to] == 0)
                mh_push(heap, &nh, r->edges[adj[j]].to);
    }
    free(blk);
    return 0;   /* the template is acyclic, so k == n */
}

/* A stage runs when it is a root or one of its taken inputs runs. */
static int activate(hs_request *r, const uint32_t *order, hs_err *err)
{
    uint32_t *nin = calloc(2 * (size_t)r->n + 2, sizeof *nin);
    if (!nin)
        return hs_errf(err, "out of memory");
    uint32_t *fed = nin + r->n + 1;
    for (uint32_t i = 0; i < r->ne; i++)
        nin[r->edges[i].to]++;
    for (uint32_t k = 0; k < r->n; k++) {
        uint32_t v = order[k];
        rnode *x = &r->nodes[v];
        x->active = nin[v] == 0 || fed[v];
        if (!x->active)
            continue;
        for (uint32_t i = 0; i < r->ne; i++)
            if (r->edges[i].from == v && r->edges[i].taken)
                fed[r->edges[i].to] = 1;
    }
    free(nin);
    return 0;
}

/* Keeps active nodes (in topological order) and taken edges between them;
 * builds the by-target and by-source edge lists. */
static bool identity(const hs_request *r, const uint32_t *order)
{
    for (uint32_t k = 0; k < r->n; k++)
        if (order[k] != k || !r->nodes[k].active)
            return false;
    for (uint32_t i = 0; i < r->ne; i++)
        if (!r->edges[i].taken)
            return false;
    return true;
}

static int compact(hs_request *r, const uint32_t *order, hs_err *err)
{
    if (identity(r, order))
        return 0;   /* the common case of a static DAG: nothing to move */
    uint32_t *map = malloc((r->n + 1) * sizeof *map);
    rnode *nodes = calloc(r->n ? r->n : 1, sizeof *nodes);
    if (!map || !nodes) {
        free(map), free(nodes);
        return hs_errf(err, "out of memory");
    }
    uint32_t n = 0, ne = 0;
    for (uint32_t k = 0; k < r->n; k++) {
        uint32_t v = order[k];
        map[v] = r->nodes[v].active ? n : NONE;
        if (r->nodes[v].active)
            nodes[n++] = r->nodes[v];
    }
    for (uint32_t i = 0; i < r->ne; i++) {
        redge e = r->edges[i];
        if (!e.taken || map[e.from] == NONE || map[e.to] == NONE)
            continue;
        e.from = map[e.from], e.to = map[e.to];
        r->edges[ne++] = e;
    }
    free(map);
    free(r->nodes);
    r->nodes = nodes;
    r->n = n;
    r->ne = ne;
    return 0;
}

static int index_edges(hs_request *r, hs_err *err)
{
    /* One block: edges by target, by source, then three node arrays. */
    size_t ne = r->ne + 1, n = r->n + 1;
    r->ein = calloc(2 * ne + 3 * n, sizeof *r->ein);
    if (!r->ein)
        return hs_errf(err, "out of memory");
    r->eout = r->ein + ne;
    r->vis = r->eout + ne;
    r->stack = r->vis + n;
    r->list = r->stack + n;
    for (uint32_t i = 0; i < r->ne; i++)
        r->nodes[r->edges[i].to].nin++, r->nodes[r->edges[i].from].nout++;
    uint32_t a = 0, b = 0;
    for (uint32_t v = 0; v < r->n; v++) {
        rnode *x = &r->nodes[v];
        x->in0 = a, x->out0 = b;
        a += x->nin, b += x->nout;
        x->waiting = x->nin;
        x->nin = x->nout = 0;
    }
    for (uint32_t i = 0; i < r->ne; i++) {
        rnode *to = &r->nodes[r->edges[i].to], *from = &r->nodes[r->edges[i].from];
        r->ein[to->in0 + to->nin++] = i;
        r->eout[from->out0 + from->nout++] = i;
    }
    return 0;
}

static int64_t node_count(const rnode *x)
{
    switch (x->lk) {
    case LK_LLM: return wl_lower_count(&x->la, x->gran);
    case LK_SEARCH: return wl_search_count(&x->sr);
    default: return 1;
    }
}

static int finish_build(hs_request *r, hs_err *err)
{
    uint32_t *order = malloc((r->n + 1) * sizeof *order);
    if (!order)
        return hs_errf(err, "out of memory");
    int rc = instance_order(r, order, err);
    if (rc == 0)
        rc = activate(r, order, err);
    if (rc == 0)
        rc = compact(r, order, err);
    free(order);
    if (rc < 0 || index_edges(r, err) < 0)
        return -1;
    for (uint32_t v = 0; v < r->n; v++)
        r->nodes[v].count = node_count(&r->nodes[v]);
    return 0;
}

static int build_workflow(hs_request *r, gsl_rng *g, hs_err *err)
{
    const wl_template *t = r->cls->tpl;
    builder b = {.r = r, .t = t, .g = g, .err = err};
    b.nvars = t->nparams + WL_NBUILTIN;
    b.vars = calloc(b.nvars, sizeof *b.vars);
    b.loopn = calloc(t->nloops + 1, sizeof *b.loopn);
    b.si_base = calloc(t->nstages, sizeof *b.si_base);
    int rc = -1;
    if (!b.vars || !b.loopn || !b.si_base) {
        hs_errf(err, "out of memory");
        goto out;
    }
    draw_params(&b, &r->arr);
    draw_loops(&b);
    if (make_instances(&b) < 0 || make_edges(&b) < 0)
        goto out;
    rc = finish_build(r, err);
out:
    free(b.vars), free(b.loopn), free(b.si_base), free(b.si_first), free(b.si_count);
    return rc;
}

static int build_dag(hs_request *r, hs_err *err)
{
    const hs_workload *wl = r->wl;
    builder b = {.r = r, .err = err};
    for (size_t i = 0; i < wl->ntasks; i++) {
        uint32_t id;
        if (add_node(&b, &id) < 0)
            return -1;
        rnode *x = &r->nodes[id];
        x->lk = LK_TASK;
        x->task = &wl->tasks[i];
        x->info.name = wl->tasks[i].name;
        x->info.kind = HS_STAGE_TASK;
        x->info.holds_pu = true;
        x->info.spec_accuracy = HS_SPEC_ACCURACY_DEFAULT;
        x->active = true;
    }
    for (size_t i = 0; i < wl->ndag_edges; i++) {
        const wl_dag_edge *e = &wl->dag_edges[i];
        if (add_edge(&b, (uint32_t)e->from, (uint32_t)e->to, 0, true, true) < 0)
            return -1;
        r->edges[r->ne - 1].comm = e->comm;
    }
    return finish_build(r, err);
}

static int build_synthetic(hs_request *r, gsl_rng *g, hs_err *err)
{
    builder b = {.r = r, .err = err};
    uint32_t id;
    if (add_node(&b, &id) < 0)
        return -1;
    rnode *x = &r->nodes[id];
    x->lk = LK_WORK;
    x->work = fmax(0, wl_dist_sample(&r->wl->service, g));
    x->info.name = "job";
    x->info.kind = HS_STAGE_TASK;
    x->info.holds_pu = true;
    x->info.spec_accuracy = HS_SPEC_ACCURACY_DEFAULT;
    x->active = true;
    return finish_build(r, err);
}

hs_request *hs_request_create(const hs_workload *wl, const hs_arrival *a, uint64_t run_seed,
                              hs_err *err)
{
    if (!wl || !a || a->cls >= wl->nclasses) {
        hs_errf(err, "request of an unknown class");
        return NULL;
    }
    hs_request *r = calloc(1, sizeof *r);
    if (!r) {
        hs_errf(err, "out of memory");
        return NULL;
    }
    r->wl = wl;
    r->cls = &wl->classes[a->cls];
    r->arr = *a;
    r->run_seed = run_seed;
    r->last_search = NONE;
    hs_rng rng = {0};
    int rc;
    if (hs_rng_init(&rng, run_seed, r->cls->req_domain, a->seq) < 0)
        rc = hs_errf(err, "out of memory");
    else if (wl->kind == HS_WL_DAG)
        rc = build_dag(r, err);
    else if (wl->kind == HS_WL_SYNTHETIC)
        rc = build_synthetic(r, rng.g, err);
    else
        rc = build_workflow(r, rng.g, err);
    if (rng.g)
        hs_rng_free(&rng);
    if (rc < 0) {
        hs_request_free(r);
        return NULL;
    }
    return r;
}

void hs_request_free(hs_request *r)
{
    if (!r)
        return;
    for (uint32_t v = 0; r->nodes && v < r->n; v++) {
        wl_lcache_free(r->nodes[v].lc);
        free(r->nodes[v].part_bits);
        free(r->nodes[v].hits);
        free(r->nodes[v].hit_pos);
    }
    free(r->nodes);
    free(r->edges);
    free(r->ein);   /* with eout, vis, stack and list */
    free(r->evq);
    free(r);
}

/* ---- Running. ----------------------------------------------------------- */

static void push_ev_held(hs_request *r, hs_req_ev_type type, uint32_t node, bool held)
{
    if (r->evh > 0 && r->evh == r->evn)
        r->evh = r->evn = 0;
    hs_req_event *q = wl_grow(r->evq, &r->evcap, r->evn + 1, sizeof *q);
    if (!q)
        return;   /* out of memory: the event is lost, the state stays right */
    r->evq = q;
    r->evq[r->evn++] = (hs_req_event){type, node, held};
}

static void push_ev(hs_request *r, hs_req_ev_type type, uint32_t node)
{
    push_ev_held(r, type, node, false);
}

static void reveal_one(hs_request *r, uint32_t v)
{
    rnode *x = &r->nodes[v];
    x->vis = r->nvis;
    x->info.id = r->nvis;
    x->info.state = HS_NODE_PENDING;
    r->vis[r->nvis++] = v;
    push_ev(r, HS_EV_REVEALED, x->vis);
}

static int by_id(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Reveals v and, transitively, what its static edges lead to, in
 * topological order (internal ids are), so public ids follow the graph. */
static void reveal(hs_request *r, uint32_t v)
{
    if (r->nodes[v].vis != NONE)
        return;
    size_t sp = 0, n = 0;
    r->stack[sp++] = v;
    r->nodes[v].marked = true;
    while (sp > 0) {
        uint32_t u = r->stack[--sp];
        r->list[n++] = u;
        for (uint32_t k = 0; k < r->nodes[u].nout; k++) {
            const redge *e = &r->edges[r->eout[r->nodes[u].out0 + k]];
            rnode *w = &r->nodes[e->to];
            if (e->statik && w->vis == NONE && !w->marked) {
                w->marked = true;
                r->stack[sp++] = e->to;
            }
        }
    }
    qsort(r->list, n, sizeof *r->list, by_id);
    for (size_t i = 0; i < n; i++) {
        r->nodes[r->list[i]].marked = false;
        reveal_one(r, r->list[i]);
    }
}

static void make_ready(hs_request *r, uint32_t v)
{
    r->nodes[v].info.state = HS_NODE_READY;
    push_ev(r, HS_EV_READY, r->nodes[v].vis);
}

static void resolve(hs_request *r, uint32_t v);

static void satisfy(hs_request *r, redge *e)
{
    if (e->satisfied)
        return;
    e->satisfied = true;
    rnode *t = &r->nodes[e->to];
    t->waiting--;
    reveal(r, e->to);
    if (t->waiting == 0) {
        if (t->info.speculative)
            resolve(r, e->to);
        else
            make_ready(r, e->to);
    }
}

void hs_request_start(hs_request *r)
{
    for (uint32_t v = 0; v < r->n; v++)
        if (r->nodes[v].waiting == 0)
            reveal(r, v);
    for (uint32_t v = 0; v < r->n; v++)
        if (r->nodes[v].waiting == 0)
            make_ready(r, v);
    if (r->n == 0) {
        r->finished = true;
        push_ev(r, HS_EV_FINISHED, 0);
    }
}

bool hs_request_poll(hs_request *r, hs_req_event *ev)
{
    if (r->evh >= r->evn)
        return false;
    *ev = r->evq[r->evh++];
    return true;
}

/* Streaming edges of v whose token group its output reached. */
static void release_streams(hs_request *r, uint32_t v)
{
    rnode *x = &r->nodes[v];
    for (uint32_t i = 0; i < x->nout; i++) {
        redge *e = &r->edges[r->eout[x->out0 + i]];
        if (e->stream > 0 && x->info.tokens_out >= e->stream)
            satisfy(r, e);
    }
}

/* A speculative stage's output is unresolved data: its answer token is
 * owed until the speculation holds, and its streams wait. */
static void emit_tokens(hs_request *r, uint32_t v, int64_t k)
{
    rnode *x = &r->nodes[v];
    x->info.tokens_out += k;
    if (x->info.answer && !r->first_token) {
        if (x->info.speculative) {
            x->spec_token = true;
        } else {
            r->first_token = true;
            push_ev(r, HS_EV_FIRST_TOKEN, x->vis);
        }
    }
    if (!x->info.speculative)
        release_streams(r, v);
}

static void node_done(hs_request *r, uint32_t v)
{
    rnode *x = &r->nodes[v];
    x->info.state = HS_NODE_DONE;
    wl_lcache_free(x->lc);     /* it lowers nothing more */
    x->lc = NULL;
    push_ev(r, HS_EV_DONE, x->vis);
    r->ndone++;
    if (x->lk == LK_SEARCH)
        r->last_search = v;   /* the history the next search is reordered by */
    for (uint32_t i = 0; i < x->nout; i++)
        satisfy(r, &r->edges[r->eout[x->out0 + i]]);
    if (r->ndone == r->n) {
        r->finished = true;
        push_ev(r, HS_EV_FINISHED, 0);
    }
}

static rnode *visible(const hs_request *r, uint32_t id)
{
    return id < r->nvis ? &r->nodes[r->vis[id]] : NULL;
}

/* Item pos of x; lc: x's memo of repeated items, or NULL. */
static inline void node_item(const rnode *x, int64_t pos, hs_item *it, wl_lcache *lc)
{
    if (x->lk == LK_LLM) {
        wl_lower_at_cached(&x->la, x->gran, pos, it, lc);
        return;
    }
    if (x->lk == LK_SEARCH) {
        wl_search_at(&x->sr, pos, it);
        return;
    }
    memset(it, 0, sizeof *it);
    it->layer = -1;
    it->units = it->steps = it->tokens = 1;
    it->k.op = HS_OP_GENERIC;
    it->k.dtype = it->k.weight_dtype = HS_DT_FP32;
    it->k.batch = 1;
    switch (x->lk) {
    case LK_CHUNK:
        it->phase = HS_PHASE_CHUNK, it->slot = HS_SLOT_CHUNK;
        it->costs = &x->cost1, it->ncosts = 1;
        it->parts.in = x->bytes;
        break;
    case LK_DELAY:
        it->kind = HS_ITEM_DELAY;
        it->phase = HS_PHASE_TOOL, it->slot = HS_SLOT_DELAY;
        it->delay_s = x->delay;
        break;
    case LK_COMPUTE:
        it->phase = HS_PHASE_TASK, it->slot = HS_SLOT_TASK;
        it->k.flops = x->flops;
        it->parts.in = x->bytes;
        break;
    case LK_TASK:
        it->phase = HS_PHASE_TASK, it->slot = HS_SLOT_TASK;
        it->costs = x->task->costs, it->ncosts = x->task->ncosts;
        it->work = x->task->work;
        break;
    default:
        it->phase = HS_PHASE_TASK, it->slot = HS_SLOT_TASK;
        it->work = x->work;
        break;
    }
    wl_item_finish(it);
}

/* Clusters the scan of search node x probes. */
static int64_t scan_clusters(const rnode *x)
{
    return x->sr.ivf ? x->sr.nprobe : x->sr.subsets;
}

int hs_request_next_item(hs_request *r, uint32_t id, hs_item *it)
{
    rnode *x = visible(r, id);
    if (!x || x->info.state != HS_NODE_READY)
        return -1;
    if (x->outstanding || x->pos >= x->count)
        return 0;
    /* A stage at stage or step granularity repeats nothing; without the
     * memo (out of memory) items are lowered in full. */
    if (x->lk == LK_LLM && !x->lc && x->gran < HS_GRAN_STAGE)
        x->lc = wl_lcache_new();
    node_item(x, x->pos, it, x->lc);
    x->outstanding = true;
    x->last_emits = it->emits;
    return 1;
}

int hs_request_item_done(hs_request *r, uint32_t id)
{
    rnode *x = visible(r, id);
    if (!x || x->info.state != HS_NODE_READY || !x->outstanding)
        return -1;
    x->outstanding = false;
    x->pos++;
    x->info.items_done++;
    if (x->lk == LK_SEARCH && x->pos == x->count && !x->truncated)
        x->searched = scan_clusters(x);   /* the scan is the last item */
    uint32_t v = r->vis[id];
    if (x->last_emits > 0)
        emit_tokens(r, v, x->last_emits);
    if (x->pos < x->count)
        return 1;
    if (!x->info.speculative)   /* speculative: waits for its resolution */
        node_done(r, v);
    return 0;
}

/* ---- Speculation. ------------------------------------------------------- */

static int64_t hit_pos(const hs_request *r, uint32_t v, int64_t j);

/* Whether x is fed by a search, and each such search's searched prefix
 * now (what its speculation will be judged by). */
static void note_search_inputs(hs_request *r, rnode *x)
{
    x->spec_search = false;
    for (uint32_t i = 0; i < x->nin; i++) {
        redge *e = &r->edges[r->ein[x->in0 + i]];
        if (r->nodes[e->from].lk != LK_SEARCH)
            continue;
        x->spec_search = true;
        e->spec_searched = r->nodes[e->from].searched;
    }
}

/* Whether the top-k of search u over its first `from` clusters is its
 * final one: no hit lies in [from, the final searched prefix) -- all
 * clusters for a whole scan, fewer for one cut short (hs_request_search_
 * truncate: the hits it dropped are lost, not awaited). */
static bool search_settled_at(const hs_request *r, uint32_t u, int64_t from)
{
    for (int64_t j = 0; j < r->nodes[u].info.top_k; j++) {
        int64_t k = hit_pos(r, u, j);
        if (k >= from && k < r->nodes[u].searched)
            return false;
    }
    return true;
}

/* A speculated stage fed by searches holds iff each had its final top-k
 * when the stage was speculated. */
static bool search_inputs_held(const hs_request *r, const rnode *x)
{
    for (uint32_t i = 0; i < x->nin; i++) {
        const redge *e = &r->edges[r->ein[x->in0 + i]];
        if (r->nodes[e->from].lk == LK_SEARCH && !search_settled_at(r, e->from, e->spec_searched))
            return false;
    }
    return true;
}

int hs_request_speculate(hs_request *r, uint32_t id)
{
    rnode *x = r ? visible(r, id) : NULL;
    if (!x || x->info.state != HS_NODE_PENDING || x->waiting == 0)
        return -1;
    x->info.speculative = true;
    note_search_inputs(r, x);
    make_ready(r, r->vis[id]);
    return 0;
}

/* The coin of stage v (internal index: its place among the instances that
 * run, fixed at creation whatever the policy does).  hs_rng_derive is a
 * splitmix64 hash: its top 53 bits are a uniform draw in [0, 1). */
static uint64_t request_seed(const hs_request *r)
{
    return hs_rng_derive(r->run_seed, r->cls->req_domain, r->arr.seq);
}

static bool spec_held(const hs_request *r, uint32_t v)
{
    if (r->nodes[v].spec_search)
        return search_inputs_held(r, &r->nodes[v]);
    uint64_t h = hs_rng_derive(request_seed(r), "spec", v);
    double u = (double)(h >> 11) * 0x1p-53;
    return u < r->nodes[v].info.spec_accuracy;
}

/* Speculative stage v's inputs are all satisfied: keep or roll back. */
static void resolve(hs_request *r, uint32_t v)
{
    rnode *x = &r->nodes[v];
    bool held = spec_held(r, v);
    x->info.speculative = false;
    push_ev_held(r, HS_EV_SPEC_RESOLVED, x->vis, held);
    if (held) {
        if (x->spec_token && !r->first_token) {
            r->first_token = true;
            push_ev(r, HS_EV_FIRST_TOKEN, x->vis);
        }
        x->spec_token = false;
        if (x->pos >= x->count && !x->outstanding)
            node_done(r, v);
        else
            release_streams(r, v);
        return;
    }
    /* Rollback: as if it had never started; the outstanding item (if
     * any) is forgotten, and the engine drops its work. */
    x->pos = 0;
    x->outstanding = false;
    x->last_emits = 0;
    x->spec_token = false;
    x->info.items_done = 0;
    x->info.tokens_out = 0;
    x->info.rollbacks++;
    x->searched = 0;
    x->truncated = false;
    free(x->part_bits);
    x->part_bits = NULL;
    free(x->hit_pos);      /* the restarted scan is in probe order until reordered again */
    x->hit_pos = NULL;
    push_ev(r, HS_EV_READY, x->vis);
}

int hs_request_stage_items(const hs_request *r, uint32_t id, hs_item_fn fn, void *ctx)
{
    const rnode *x = visible(r, id);
    if (!x)
        return -1;
    hs_item it;
    for (int64_t pos = 0; pos < x->count; pos++) {
        node_item(x, pos, &it, NULL);
        int rc = fn(&it, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- Queries. ----------------------------------------------------------- */

const hs_arrival *hs_request_arrival(const hs_request *r) { return &r->arr; }
const hs_workload *wl_request_workload(const hs_request *r) { return r->wl; }

int hs_request_template_stage(const hs_request *r, uint32_t id)
{
    const rnode *x = r && r->cls->tpl ? visible(r, id) : NULL;
    return x ? (int)x->stage : -1;
}
const hs_req_class *hs_request_class(const hs_request *r) { return &r->cls->pub; }
bool hs_request_finished(const hs_request *r) { return r->finished; }
uint32_t hs_request_nvisible(const hs_request *r) { return r->nvis; }

const hs_stage_info *hs_request_node(const hs_request *r, uint32_t id)
{
    const rnode *x = visible(r, id);
    return x ? &x->info : NULL;
}

static size_t deps(const hs_request *r, uint32_t id, bool inputs, hs_dep *out, size_t cap)
{
    const rnode *x = visible(r, id);
    if (!x)
        return 0;
    size_t n = 0;
    uint32_t cnt = inputs ? x->nin : x->nout;
    for (uint32_t i = 0; i < cnt; i++) {
        const redge *e = &r->edges[inputs ? r->ein[x->in0 + i] : r->eout[x->out0 + i]];
        const rnode *o = &r->nodes[inputs ? e->from : e->to];
        if (o->vis == NONE)
            continue;
        if (n < cap)
            out[n] = (hs_dep){o->vis, e->comm, e->stream};
        n++;
    }
    return n;
}

size_t hs_request_inputs(const hs_request *r, uint32_t id, hs_dep *out, size_t cap)
{
    return deps(r, id, true, out, cap);
}

size_t hs_request_outputs(const hs_request *r, uint32_t id, hs_dep *out, size_t cap)
{
    return deps(r, id, false, out, cap);
}

bool hs_request_inputs_final(const hs_request *r, uint32_t id)
{
    const rnode *x = visible(r, id);
    if (!x)
        return false;
    for (uint32_t i = 0; i < x->nin; i++)
        if (r->nodes[r->edges[r->ein[x->in0 + i]].from].vis == NONE)
            return false;
    return true;
}

/* ---- Search progress and the cluster-hit model (clusters.c). ---------- */

static const wl_stage *template_stage(const hs_request *r, const rnode *x)
{
    return r->cls->tpl ? &r->cls->tpl->stages[x->stage] : NULL;
}

/* Probe rank of hit j of search node v: a hash of the request's seed, the
 * node (its creation index) and j, mapped through the locality law. */
static int64_t draw_hit_rank(const hs_request *r, uint32_t v, int64_t j)
{
    uint64_t h = hs_rng_derive(hs_rng_derive(request_seed(r), "hits", v), "hit", (uint64_t)j);
    const rnode *x = &r->nodes[v];
    const wl_stage *st = template_stage(r, x);
    if (st && st->hit_ranks)   /* fixed ranks: the last cluster at most */
        return st->hit_ranks[j] < scan_clusters(x) ? st->hit_ranks[j] : scan_clusters(x) - 1;
    return wl_hit_rank((double)(h >> 11) * 0x1p-53, scan_clusters(x), x->info.hit_locality);
}

/* The same through the node's memo, filled on first use (O(top_k x
 * clusters) once, then O(1)): a cache, not state; out of memory, each
 * rank is drawn again. */
static int64_t hit_rank(const hs_request *r, uint32_t v, int64_t j)
{
    rnode *x = (rnode *)&r->nodes[v];
    if (!x->hits && (x->hits = malloc((size_t)x->info.top_k * sizeof *x->hits)))
        for (int64_t i = 0; i < x->info.top_k; i++)
            x->hits[i] = draw_hit_rank(r, v, i);
    return x->hits ? x->hits[j] : draw_hit_rank(r, v, j);
}

/* Scan position of hit j of search node v: its probe rank unless the
 * scan was reordered. */
static int64_t hit_pos(const hs_request *r, uint32_t v, int64_t j)
{
    const rnode *x = &r->nodes[v];
    return x->hit_pos ? x->hit_pos[j] : hit_rank(r, v, j);
}

static const rnode *search_node(const hs_request *r, uint32_t id)
{
    const rnode *x = r ? visible(r, id) : NULL;
    return x && x->lk == LK_SEARCH ? x : NULL;
}

/* ---- Similarity order (clusters.c, wl_cluster_order). ----------------- */

/* Search node v's hits' probe ranks, to a new array (NULL: out of memory). */
static int64_t *hit_ranks_of(const hs_request *r, uint32_t v)
{
    int64_t *hits = malloc((size_t)r->nodes[v].info.top_k * sizeof *hits);
    for (int64_t j = 0; hits && j < r->nodes[v].info.top_k; j++)
        hits[j] = hit_rank(r, v, j);
    return hits;
}

/* |H| of the request's last finished search: the distinct clusters of its
 * HS_LOCAL_TOPK_MODEL best results (of its hits alone when they are fixed
 * `hit_ranks`: a trace says no more).  0 when no search finished yet; -1
 * out of memory.  Its exact results: an early-terminated scan's missed
 * ones count too (not modelled). */
static int64_t previous_hit_clusters(const hs_request *r)
{
    if (r->last_search == NONE)
        return 0;
    uint32_t u = r->last_search;
    const rnode *p = &r->nodes[u];
    const wl_stage *st = template_stage(r, p);
    int64_t large_k = st && st->hit_ranks ? p->info.top_k
                                          : (p->info.top_k > HS_LOCAL_TOPK_MODEL ? p->info.top_k
                                                                                 : HS_LOCAL_TOPK_MODEL);
    int64_t *hits = hit_ranks_of(r, u);
    int64_t h = hits ? wl_hit_clusters(scan_clusters(p), p->info.hit_locality, hits, p->info.top_k,
                                       large_k, hs_rng_derive(request_seed(r), "locality", u))
                     : -1;
    free(hits);
    return h;
}

int hs_request_search_reorder(hs_request *r, uint32_t id, int64_t local_topk, hs_search_order *out)
{
    rnode *x = (rnode *)search_node(r, id);
    if (!x || x->info.state == HS_NODE_DONE || x->searched > 0 || x->part_bits || local_topk < 0)
        return -1;
    uint32_t v = r->vis[id];
    const wl_stage *st = template_stage(r, x);
    wl_order_in in = {.n = scan_clusters(x), .hits = hit_ranks_of(r, v), .top_k = x->info.top_k,
                      .locality = x->info.hit_locality,
                      .p_cache = st && st->locality_set ? st->locality[0] : HS_LOCALITY_CACHE_DEFAULT,
                      .p_hit = st && st->locality_set ? st->locality[1] : HS_LOCALITY_HIT_DEFAULT,
                      .p_assigned = st && st->locality_set ? st->locality[2]
                                                           : HS_LOCALITY_ASSIGNED_DEFAULT,
                      .h_prev = previous_hit_clusters(r), .local_topk = local_topk,
                      .seed = hs_rng_derive(request_seed(r), "locality", v)};
    int64_t *pos = malloc((size_t)x->info.top_k * sizeof *pos);
    wl_order_out o;
    int rc = in.hits && pos && in.h_prev >= 0 ? wl_cluster_order(&in, pos, &o) : -1;
    free((void *)in.hits);
    if (rc != 0) {
        free(pos);
        return -1;
    }
    free(x->hit_pos);
    x->hit_pos = pos;
    if (out)
        *out = (hs_search_order){o.hit_first, o.assigned_next, o.rest};
    return 0;
}

int64_t hs_request_search_hit_positions(const hs_request *r, uint32_t id, int64_t *pos, size_t cap)
{
    const rnode *x = search_node(r, id);
    if (!x)
        return -1;
    for (int64_t j = 0; j < x->info.top_k && (size_t)j < cap; j++)
        pos[j] = hit_pos(r, r->vis[id], j);
    return x->info.top_k;
}

int64_t hs_request_search_hits(const hs_request *r, uint32_t id, int64_t *ranks, size_t cap)
{
    const rnode *x = search_node(r, id);
    if (!x)
        return -1;
    for (int64_t j = 0; j < x->info.top_k && (size_t)j < cap; j++)
        ranks[j] = hit_rank(r, r->vis[id], j);
    return x->info.top_k;
}

int hs_request_search_progress(const hs_request *r, uint32_t id, int64_t m,
                               hs_search_progress *out)
{
    const rnode *x = search_node(r, id);
    if (!x)
        return -1;
    uint32_t v = r->vis[id];
    int64_t lo = x->searched - (m > 0 ? m : 1);
    bool changed = lo <= 0;   /* rank 0 (the empty heap fills) is in the window */
    for (int64_t j = 0; j < x->info.top_k && !changed; j++) {
        int64_t k = hit_pos(r, v, j);
        changed = k >= lo && k < x->searched;
    }
    *out = (hs_search_progress){.clusters = scan_clusters(x), .searched = x->searched,
                                .top_k = x->info.top_k, .changed = changed};
    return 0;
}

static bool bit(const uint64_t *b, int64_t i) { return b[i / 64] >> (i % 64) & 1; }

int hs_request_search_truncate(hs_request *r, uint32_t id)
{
    rnode *x = r ? visible(r, id) : NULL;
    if (!x || x->lk != LK_SEARCH || x->info.state != HS_NODE_READY || !x->outstanding ||
        x->pos != x->count - 1 || !x->part_bits)
        return -1;
    x->truncated = true;
    return 0;
}

int hs_request_search_part_done(hs_request *r, uint32_t id, int64_t first, int64_t n)
{
    rnode *x = r ? visible(r, id) : NULL;
    int64_t extent = x && x->lk == LK_SEARCH ? scan_clusters(x) : 0;
    if (!x || x->info.state != HS_NODE_READY || !x->outstanding || x->pos != x->count - 1 ||
        first < 0 || n < 1 || first + n > extent)
        return -1;
    if (!x->part_bits && !(x->part_bits = calloc((size_t)(extent + 63) / 64, sizeof *x->part_bits)))
        return -1;
    for (int64_t i = first; i < first + n; i++)
        x->part_bits[i / 64] |= 1ull << (i % 64);
    while (x->searched < extent && bit(x->part_bits, x->searched))
        x->searched++;
    return 0;
}
