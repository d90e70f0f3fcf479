/* hetsoc workloads: workload files (workloads/NAME.yaml or inline).
 *
 *   name, description, source
 *   kind: workflow (default) | llm | dag | synthetic
 *   granularity: op (default) | layer | stage | step
 *   chunk_tokens: N    prefill chunk at step granularity (default: the whole
 *                      prompt is one chunk)
 *   operand_order: swapped (default) | naive   GEMM operand order on an NPU
 *                      (naive: activation on the left, HeteroInfer NPU-2;
 *                      a stage's own key overrides it)
 *   requests: N        total requests (all classes)
 *   duration: S        no arrival after S seconds
 *   warmup: N          first requests left out of the metrics
 *
 * kind workflow:  classes: [{name, workflow, params, model, quant, tokens,
 *                 arrival, slo, priority, requests}]
 *                 `workflow` names a template (default `llm`) or holds one
 *                 inline; `model`, `quant` and `tokens: {prompt, output,
 *                 context}` are shorthands for the template's params.
 * kind llm:       model, quant, tokens, arrival, slo: one class, `default`,
 *                 of single LLM calls (a trace's token counts replace the
 *                 token distributions).
 * kind dag:       tasks: [{name, cost: {PU: s, ...} | work: x}],
 *                 edges: [{from, to, comm}] (the plain DAG kind); one request at
 *                 time 0 unless `requests`/`arrival` say otherwise.
 * kind synthetic: requests, warmup, arrival, service (a textbook queue). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_private.h"

static const char *const kind_names[] = {"workflow", "llm", "dag", "synthetic", NULL};
static const char *const gran_names[] = {"op", "layer", "stage", "step", NULL};

int wl_get_operand_order(const hs_node *n, int *order, hs_err *err)
{
    static const char *const names[] = {"swapped", "naive", NULL};
    int i = 0;
    if (!hs_map_get(n, "operand_order"))
        return 0;
    if (hs_get_enum(n, "operand_order", true, names, &i, err) < 0)
        return -1;
    *order = i == 0 ? WL_ORDER_SWAPPED : WL_ORDER_NAIVE;
    return 0;
}

/* ---- Shared resources: templates and models, loaded once. -------------- */

/* An error without a position (an unknown built-in name, an unreadable
 * file) is reported where the workload names the file; one inside the
 * named file keeps its own position. */
static void reposition(const hs_node *where, const hs_err *inner, hs_err *err)
{
    const char *e = "error: ";
    if (strncmp(inner->msg, e, strlen(e)) == 0)
        hs_node_err(where, err, "%s", inner->msg + strlen(e));
    else
        *err = *inner;
}

static const wl_template *get_template(hs_workload *wl, const hs_node *ref, const char *cls,
                                       hs_err *err)
{
    wl_template *t = NULL;
    const char *name = NULL;
    if (ref->kind == HS_NODE_SCALAR) {
        name = ref->scalar;
        for (size_t i = 0; i < wl->ntpls; i++)
            if (!wl->tpls[i]->inline_def && strcmp(wl->tpls[i]->name, name) == 0)
                return wl->tpls[i];
    }
    wl_template **tp = realloc(wl->tpls, (wl->ntpls + 1) * sizeof *tp);
    if (!tp) {
        hs_errf(err, "out of memory");
        return NULL;
    }
    wl->tpls = tp;
    if (name) {
        hs_err inner;
        t = wl_template_load(name, &inner);
        if (!t) {
            reposition(ref, &inner, err);
            return NULL;
        }
    } else {
        char nm[128];
        snprintf(nm, sizeof nm, "%s-inline", cls);
        t = wl_template_parse(ref, nm, err);
        if (!t)
            return NULL;
        t->inline_def = true;
    }
    wl->tpls[wl->ntpls++] = t;
    return t;
}

static bool same_model(const hs_model *a, const hs_model *b)
{
    return strcmp(a->name, b->name) == 0 && a->arch == b->arch && a->layers == b->layers &&
           a->hidden == b->hidden && a->heads == b->heads && a->kv_heads == b->kv_heads &&
           a->head_dim == b->head_dim && a->ffn == b->ffn && a->vocab == b->vocab &&
           a->gated_ffn == b->gated_ffn && a->tied_embeddings == b->tied_embeddings &&
           a->lm_head == b->lm_head && a->quant == b->quant && a->group == b->group &&
           a->max_context == b->max_context;
}

static const hs_model *get_model(hs_workload *wl, const char *name, const hs_node *where,
                                 hs_err *err)
{
    for (size_t i = 0; i < wl->nmodels; i++)
        if (strcmp(wl->models[i]->name, name) == 0)
            return wl->models[i];
    hs_model *m = malloc(sizeof *m);
    hs_model **mp = realloc(wl->models, (wl->nmodels + 1) * sizeof *mp);
    if (!m || !mp) {
        free(m);
        if (mp)
            wl->models = mp;
        hs_errf(err, "out of memory");
        return NULL;
    }
    wl->models = mp;
    hs_err inner;
    if (hs_model_load(name, m, &inner) < 0) {
        free(m);
        reposition(where, &inner, err);
        return NULL;
    }
    /* A path to a model already loaded (by its name or another path) is
     * that model: its items must batch with the others'. */
    for (size_t i = 0; i < wl->nmodels; i++)
        if (same_model(wl->models[i], m)) {
            free(m);
            return wl->models[i];
        }
    wl->models[wl->nmodels++] = m;
    return m;
}

/* ---- Classes. ----------------------------------------------------------- */

static int add_override(wl_class *c, const char *name, const hs_node *n, hs_err *err)
{
    for (size_t i = 0; i < c->nown; i++)
        if (strcmp(c->own[i].name, name) == 0)
            return hs_node_err(n, err, "parameter '%s' is set twice", name);
    wl_param *own = realloc(c->own, (c->nown + 1) * sizeof *own);
    if (!own)
        return hs_errf(err, "out of memory");
    c->own = own;
    if (wl_param_override(c->tpl, name, n, &c->own[c->nown], err) < 0)
        return -1;
    c->nown++;
    return 0;
}

/* Overrides from `params:` and the shorthands. */
static int class_params(wl_class *c, const hs_node *n, hs_err *err)
{
    const hs_node *p = hs_map_get(n, "params");
    if (p) {
        if (hs_node_expect(p, HS_NODE_MAP, err) < 0)
            return -1;
        for (size_t i = 0; i < p->len; i++)
            if (add_override(c, p->keys[i], p->items[i], err) < 0)
                return -1;
    }
    static const char *const shorthand[] = {"model", "quant"};
    for (size_t i = 0; i < 2; i++) {
        const hs_node *v = hs_map_get(n, shorthand[i]);
        if (v && add_override(c, shorthand[i], v, err) < 0)
            return -1;
    }
    const hs_node *tok = hs_map_get(n, "tokens");
    if (!tok)
        return 0;
    static const char *const tk[] = {"prompt", "output", "context", NULL};
    if (hs_map_check_keys(tok, tk, err) < 0)
        return -1;
    for (size_t i = 0; i < tok->len; i++)
        if (add_override(c, tok->keys[i], tok->items[i], err) < 0)
            return -1;
    return 0;
}

/* A stage's string reference: a literal or "$param".  *where moves to the
 * param's value (a class's override is where a bad name was written). */
static const char *stage_ref(const wl_class *c, const char *ref, const hs_node **where,
                             hs_err *err)
{
    if (!ref || ref[0] != '$')
        return ref;
    int idx = wl_template_param(c->tpl, ref + 1);
    if (idx < 0 || !c->params[idx]->is_str) {
        hs_node_err(*where, err, "'%s' is not a name parameter of workflow '%s'", ref,
                    c->tpl->name);
        return NULL;
    }
    if (c->params[idx]->where)
        *where = c->params[idx]->where;
    return c->params[idx]->str;
}

static int bind_stages(hs_workload *wl, wl_class *c, const hs_node *where, hs_err *err)
{
    size_t n = c->tpl->nstages;
    c->models = calloc(n, sizeof *c->models);
    c->quants = calloc(n, sizeof *c->quants);
    if (!c->models || !c->quants)
        return hs_errf(err, "out of memory");
    for (size_t s = 0; s < n; s++) {
        const wl_stage *st = &c->tpl->stages[s];
        const hs_node *at = st->where ? st->where : where, *qat = at;
        if (!st->model)
            continue;
        const char *mname = stage_ref(c, st->model, &at, err);
        if (!mname || !(c->models[s] = get_model(wl, mname, at, err)))
            return -1;
        c->quants[s] = c->models[s]->quant;
        const char *q = stage_ref(c, st->quant, &qat, err);
        at = qat;
        if (st->quant && !q)
            return -1;
        if (q && strcmp(q, "default") != 0 && hs_quant_from_name(q, &c->quants[s]) < 0)
            return hs_node_err(at, err, "stage '%s': unknown quant '%s' (fp32, fp16, w8a16, "
                               "w4a16, int8, default)", st->name, q);
    }
    return 0;
}

static int bind_class(hs_workload *wl, wl_class *c, const hs_node *n, hs_err *err)
{
    size_t np = c->tpl->nparams;
    c->params = calloc(np ? np : 1, sizeof *c->params);
    if (!c->params)
        return hs_errf(err, "out of memory");
    if (class_params(c, n, err) < 0)
        return -1;
    for (size_t i = 0; i < np; i++)
        c->params[i] = &c->tpl->params[i];
    for (size_t i = 0; i < c->nown; i++)
        c->params[wl_template_param(c->tpl, c->own[i].name)] = &c->own[i];
    if (c->arr.process == WA_TRACE && (c->tpl->prompt_param < 0 || c->tpl->output_param < 0))
        return hs_node_err(c->arr.where, err, "workflow '%s' has no 'prompt' and 'output' "
                           "parameters for the trace's token counts", c->tpl->name);
    return bind_stages(wl, c, n, err);
}

static int parse_slo(const hs_node *n, hs_slo *slo, hs_err *err)
{
    memset(slo, 0, sizeof *slo);
    if (!n)
        return 0;
    if (n->kind == HS_NODE_SCALAR)
        return hs_node_f64(n, 0, 1e12, &slo->latency_s, err);
    static const char *const keys[] = {"latency", "ttft", "tpot", NULL};
    if (hs_map_check_keys(n, keys, err) < 0 ||
        hs_get_f64(n, "latency", false, 0, 1e12, &slo->latency_s, err) < 0 ||
        hs_get_f64(n, "ttft", false, 0, 1e12, &slo->ttft_s, err) < 0 ||
        hs_get_f64(n, "tpot", false, 0, 1e12, &slo->tpot_s, err) < 0)
        return -1;
    return 0;
}

static int class_common(wl_class *c, const hs_node *n, const char *name, hs_err *err)
{
    static const char *const prios[] = {"normal", "reactive", "proactive", NULL};
    c->name = wl_strdup(name);
    if (!c->name)
        return hs_errf(err, "out of memory");
    int prio = strcmp(name, "reactive") == 0 ? HS_PRIO_REACTIVE
               : strcmp(name, "proactive") == 0 ? HS_PRIO_PROACTIVE
                                                 : HS_PRIO_NORMAL;
    const hs_node *arr = hs_map_get(n, "arrival");
    if (hs_get_enum(n, "priority", false, prios, &prio, err) < 0 ||
        parse_slo(hs_map_get(n, "slo"), &c->pub.slo, err) < 0 ||
        hs_get_i64(n, "requests", false, 1, INT64_C(1) << 50, &c->max_requests, err) < 0)
        return -1;
    if (!arr)
        return hs_node_err(n, err, "class '%s': missing key 'arrival'", name);
    if (wl_arrival_parse(arr, &c->arr, err) < 0)
        return -1;
    c->pub.name = c->name;
    c->pub.priority = (hs_priority)prio;
    return 0;
}

static int parse_class(hs_workload *wl, wl_class *c, const hs_node *n, const char *name,
                       hs_err *err)
{
    if (class_common(c, n, name, err) < 0)
        return -1;
    const hs_node *wf = hs_map_get(n, "workflow");
    hs_node *dflt = NULL;
    if (!wf)
        wf = dflt = hs_node_new_scalar("llm", n->file, n->line, n->col);
    if (!wf)
        return hs_errf(err, "out of memory");
    c->tpl = get_template(wl, wf, name, err);
    hs_node_free(dflt);
    if (!c->tpl)
        return -1;
    c->pub.workflow = c->tpl->name;
    return bind_class(wl, c, n, err);
}

static int check_class_names(const hs_workload *wl, const hs_node *seq, hs_err *err)
{
    for (size_t i = 0; i < wl->nclasses; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(wl->classes[i].name, wl->classes[j].name) == 0)
                return hs_node_err(seq->items[i], err, "duplicate class name '%s'",
                                   wl->classes[i].name);
    return 0;
}

static int parse_classes(hs_workload *wl, const hs_node *root, hs_err *err)
{
    static const char *const keys[] = {"name", "workflow", "params", "model", "quant", "tokens",
                                       "arrival", "slo", "priority", "requests", NULL};
    const hs_node *seq = hs_map_get(root, "classes");
    if (!seq)
        return hs_node_err(root, err, "missing key 'classes'");
    if (hs_node_expect(seq, HS_NODE_SEQ, err) < 0)
        return -1;
    if (seq->len == 0)
        return hs_node_err(seq, err, "no request classes");
    wl->classes = calloc(seq->len, sizeof *wl->classes);
    if (!wl->classes)
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < seq->len; i++) {
        const hs_node *n = seq->items[i];
        const char *name;
        wl->nclasses = i + 1;
        if (hs_node_expect(n, HS_NODE_MAP, err) < 0 || hs_map_check_keys(n, keys, err) < 0 ||
            hs_get_str(n, "name", true, &name, err) < 0 ||
            parse_class(wl, &wl->classes[i], n, name, err) < 0)
            return -1;
    }
    return check_class_names(wl, seq, err);
}

/* kind llm: the whole file is one class named `default`. */
static int parse_llm(hs_workload *wl, const hs_node *root, hs_err *err)
{
    if (!hs_map_get(root, "model"))
        return hs_node_err(root, err, "kind llm: missing key 'model'");
    wl->classes = calloc(1, sizeof *wl->classes);
    if (!wl->classes)
        return hs_errf(err, "out of memory");
    wl->nclasses = 1;
    return parse_class(wl, &wl->classes[0], root, "default", err);
}

/* ---- kind dag. ---------------------------------------------------------- */

static int parse_task(const hs_node *n, wl_task *t, hs_err *err)
{
    static const char *const keys[] = {"name", "cost", "work", NULL};
    const char *name;
    if (hs_node_expect(n, HS_NODE_MAP, err) < 0 || hs_map_check_keys(n, keys, err) < 0 ||
        hs_get_str(n, "name", true, &name, err) < 0)
        return -1;
    t->name = wl_strdup(name);
    const hs_node *cost = hs_map_get(n, "cost");
    if (!cost && !hs_map_get(n, "work"))
        return hs_node_err(n, err, "task '%s': give 'cost' (per PU) or 'work'", name);
    if (hs_get_f64(n, "work", false, 0, 1e15, &t->work, err) < 0)
        return -1;
    if (!cost)
        return 0;
    if (hs_node_expect(cost, HS_NODE_MAP, err) < 0)
        return -1;
    if (cost->len == 0)
        return hs_node_err(cost, err, "task '%s': empty cost map", name);
    t->costs = calloc(cost->len, sizeof *t->costs);
    if (!t->costs)
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < cost->len; i++) {
        t->ncosts = i + 1;
        t->costs[i].pu = hs_conf_intern(cost->keys[i]);
        if (hs_node_f64(cost->items[i], 0, 1e15, &t->costs[i].seconds, err) < 0)
            return -1;
    }
    return 0;
}

static int task_index(const hs_workload *wl, const hs_node *map, const char *key, int *out,
                      hs_err *err)
{
    const char *name;
    if (hs_get_str(map, key, true, &name, err) < 0)
        return -1;
    for (size_t i = 0; i < wl->ntasks; i++)
        if (strcmp(wl->tasks[i].name, name) == 0) {
            *out = (int)i;
            return 0;
        }
    return hs_node_err(hs_map_get(map, key), err, "no task named '%s'", name);
}

static int dag_acyclic(const hs_workload *wl, const hs_node *edges, hs_err *err)
{
    size_t n = wl->ntasks, done = 0;
    int *indeg = calloc(n, sizeof *indeg);
    int *queue = calloc(n, sizeof *queue);
    if (!indeg || !queue) {
        free(indeg);
        free(queue);
        return hs_errf(err, "out of memory");
    }
    for (size_t i = 0; i < wl->ndag_edges; i++)
        indeg[wl->dag_edges[i].to]++;
    size_t qh = 0, qt = 0;
    for (size_t i = 0; i < n; i++)
        if (indeg[i] == 0)
            queue[qt++] = (int)i;
    while (qh < qt) {
        int u = queue[qh++];
        done++;
        for (size_t i = 0; i < wl->ndag_edges; i++)
            if (wl->dag_edges[i].from == u && --indeg[wl->dag_edges[i].to] == 0)
                queue[qt++] = wl->dag_edges[i].to;
    }
    free(indeg);
    free(queue);
    return done == n ? 0 : hs_node_err(edges, err, "the task graph has a cycle");
}

static int parse_dag_edges(hs_workload *wl, const hs_node *seq, hs_err *err)
{
    static const char *const keys[] = {"from", "to", "comm", NULL};
    if (!seq)
        return 0;
    if (hs_node_expect(seq, HS_NODE_SEQ, err) < 0)
        return -1;
    wl->dag_edges = calloc(seq->len ? seq->len : 1, sizeof *wl->dag_edges);
    if (!wl->dag_edges)
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < seq->len; i++) {
        const hs_node *n = seq->items[i];
        wl_dag_edge *e = &wl->dag_edges[i];
        if (hs_node_expect(n, HS_NODE_MAP, err) < 0 || hs_map_check_keys(n, keys, err) < 0 ||
            task_index(wl, n, "from", &e->from, err) < 0 ||
            task_index(wl, n, "to", &e->to, err) < 0 ||
            hs_get_f64(n, "comm", false, 0, 1e15, &e->comm, err) < 0)
            return -1;
        if (e->from == e->to)
            return hs_node_err(n, err, "edge from a task to itself");
        for (size_t j = 0; j < i; j++)
            if (wl->dag_edges[j].from == e->from && wl->dag_edges[j].to == e->to)
                return hs_node_err(n, err, "duplicate edge");
        wl->ndag_edges = i + 1;
    }
    return dag_acyclic(wl, seq, err);
}

/* One class `default`: one request at time 0 unless told otherwise. */
static int single_class(hs_workload *wl, const hs_node *root, bool need_arrival, hs_err *err)
{
    wl->classes = calloc(1, sizeof *wl->classes);
    if (!wl->classes)
        return hs_errf(err, "out of memory");
    wl->nclasses = 1;
    wl_class *c = &wl->classes[0];
    c->name = wl_strdup("default");
    c->pub.name = c->name;
    const hs_node *arr = hs_map_get(root, "arrival");
    if (!arr && need_arrival)
        return hs_node_err(root, err, "missing key 'arrival'");
    if (arr)
        return wl_arrival_parse(arr, &c->arr, err);
    c->arr.process = WA_CLOSED;
    c->arr.users = 1;
    c->arr.think = (wl_dist){.kind = WD_CONST, .lo = -INFINITY, .hi = INFINITY};
    c->arr.where = root;
    if (wl->max_requests == 0)
        wl->max_requests = 1;
    return 0;
}

static int parse_dag(hs_workload *wl, const hs_node *root, hs_err *err)
{
    const hs_node *tasks = hs_map_get(root, "tasks");
    if (!tasks)
        return hs_node_err(root, err, "kind dag: missing key 'tasks'");
    if (hs_node_expect(tasks, HS_NODE_SEQ, err) < 0)
        return -1;
    if (tasks->len == 0)
        return hs_node_err(tasks, err, "kind dag: no tasks");
    wl->tasks = calloc(tasks->len, sizeof *wl->tasks);
    if (!wl->tasks)
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < tasks->len; i++) {
        wl->ntasks = i + 1;
        if (parse_task(tasks->items[i], &wl->tasks[i], err) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcmp(wl->tasks[j].name, wl->tasks[i].name) == 0)
                return hs_node_err(tasks->items[i], err, "duplicate task name '%s'",
                                   wl->tasks[i].name);
    }
    if (parse_dag_edges(wl, hs_map_get(root, "edges"), err) < 0)
        return -1;
    return single_class(wl, root, false, err);
}

static int parse_synthetic(hs_workload *wl, const hs_node *root, hs_err *err)
{
    const hs_node *svc = hs_map_get(root, "service");
    if (!svc)
        return hs_node_err(root, err, "kind synthetic: missing key 'service'");
    if (wl_dist_parse(svc, &wl->service, err) < 0)
        return -1;
    if (wl->service.mean <= 0 && wl->service.kind != WD_DISCRETE)
        return hs_node_err(svc, err, "the service time's mean must be positive");
    return single_class(wl, root, true, err);
}

/* ---- The file. ---------------------------------------------------------- */

static const char *const *top_keys(hs_wl_kind k)
{
    static const char *const wf[] = {"name", "description", "source", "kind", "granularity",
                                     "chunk_tokens", "operand_order", "requests", "duration", "warmup", "classes", NULL};
    static const char *const llm[] = {"name", "description", "source", "kind", "granularity",
                                      "chunk_tokens", "operand_order", "requests", "duration", "warmup", "model", "quant",
                                      "tokens", "arrival", "slo", "priority", NULL};
    static const char *const dag[] = {"name", "description", "source", "kind", "requests",
                                      "arrival", "tasks", "edges", NULL};
    static const char *const syn[] = {"name", "description", "source", "kind", "requests",
                                      "duration", "warmup", "arrival", "service", NULL};
    switch (k) {
    case HS_WL_LLM: return llm;
    case HS_WL_DAG: return dag;
    case HS_WL_SYNTHETIC: return syn;
    default: return wf;
    }
}

static int parse_top(hs_workload *wl, const hs_node *root, hs_err *err)
{
    int kind = HS_WL_WORKFLOW, gran = HS_GRAN_OP;
    const char *name = "inline", *desc = "";
    if (hs_node_expect(root, HS_NODE_MAP, err) < 0 ||
        hs_get_enum(root, "kind", false, kind_names, &kind, err) < 0 ||
        hs_map_check_keys(root, top_keys((hs_wl_kind)kind), err) < 0 ||
        hs_get_str(root, "name", false, &name, err) < 0 ||
        hs_get_str(root, "description", false, &desc, err) < 0 ||
        hs_get_enum(root, "granularity", false, gran_names, &gran, err) < 0 ||
        hs_get_i64(root, "chunk_tokens", false, 1, INT64_C(1) << 31, &wl->chunk_tokens, err) < 0 ||
        wl_get_operand_order(root, &wl->operand_order, err) < 0 ||
        hs_get_i64(root, "requests", false, 1, INT64_C(1) << 50, &wl->max_requests, err) < 0 ||
        hs_get_f64(root, "duration", false, 1e-9, 1e12, &wl->duration, err) < 0 ||
        hs_get_i64(root, "warmup", false, 0, INT64_C(1) << 50, &wl->warmup, err) < 0)
        return -1;
    wl->kind = (hs_wl_kind)kind;
    wl->gran = (hs_granularity)gran;
    wl->name = wl_strdup(name);
    wl->description = wl_strdup(desc);
    if (wl->max_requests > 0 && wl->warmup >= wl->max_requests)
        return hs_node_err(hs_map_get(root, "warmup"), err,
                           "warmup (%lld) must be below requests (%lld)",
                           (long long)wl->warmup, (long long)wl->max_requests);
    return wl->name && wl->description ? 0 : hs_errf(err, "out of memory");
}

/* Every class must end: a request cap, a duration or a finite trace. */
static int check_bounded(const hs_workload *wl, const hs_node *root, hs_err *err)
{
    if (wl->max_requests > 0 || wl->duration > 0)
        return 0;
    for (size_t i = 0; i < wl->nclasses; i++) {
        const wl_class *c = &wl->classes[i];
        if (c->max_requests == 0 && !wl_arrival_finite(&c->arr))
            return hs_node_err(root, err, "class '%s' never ends: set 'requests' or "
                               "'duration'", c->name);
    }
    return 0;
}

int hs_workload_from_node(const hs_node *root, hs_workload **out, hs_err *err)
{
    *out = NULL;
    hs_workload *wl = calloc(1, sizeof *wl);
    if (!wl)
        return hs_errf(err, "out of memory");
    int rc = parse_top(wl, root, err);
    if (rc == 0) {
        switch (wl->kind) {
        case HS_WL_LLM: rc = parse_llm(wl, root, err); break;
        case HS_WL_DAG: rc = parse_dag(wl, root, err); break;
        case HS_WL_SYNTHETIC: rc = parse_synthetic(wl, root, err); break;
        default: rc = parse_classes(wl, root, err); break;
        }
    }
    if (rc == 0)
        rc = check_bounded(wl, root, err);
    for (size_t i = 0; rc == 0 && i < wl->nclasses; i++) {
        wl_class *c = &wl->classes[i];
        if (!(c->req_domain = malloc(strlen(c->name) + 9)))
            rc = hs_errf(err, "out of memory");
        else
            sprintf(c->req_domain, "request/%s", c->name);
    }
    if (rc < 0) {
        hs_workload_free(wl);
        return -1;
    }
    *out = wl;
    return 0;
}

int hs_workload_load(const char *name_or_path, hs_workload **out, hs_err *err)
{
    char path[4096];
    *out = NULL;
    if (hs_conf_resolve(HS_WL_DIR, name_or_path, path, sizeof path, err) < 0)
        return -1;
    hs_node *root = hs_conf_load_file(path, err);
    if (!root)
        return -1;
    int rc = hs_workload_from_node(root, out, err);
    if (rc == 0 && strcmp((*out)->name, "inline") == 0 && !hs_map_get(root, "name")) {
        /* Unnamed file: its base name. */
        const char *b = strrchr(path, '/');
        free((*out)->name);
        (*out)->name = wl_strdup(b ? b + 1 : path);
        char *dot = (*out)->name ? strrchr((*out)->name, '.') : NULL;
        if (dot)
            *dot = 0;
    }
    hs_node_free(root);
    return rc;
}

static void free_class(wl_class *c)
{
    free(c->name);
    free(c->req_domain);
    wl_arrival_free(&c->arr);
    for (size_t i = 0; i < c->nown; i++)
        wl_param_free(&c->own[i]);
    free(c->own);
    free(c->params);
    free(c->models);
    free(c->quants);
}

void hs_workload_free(hs_workload *wl)
{
    if (!wl)
        return;
    for (size_t i = 0; i < wl->nclasses; i++)
        free_class(&wl->classes[i]);
    free(wl->classes);
    for (size_t i = 0; i < wl->ntpls; i++)
        wl_template_free(wl->tpls[i]);
    free(wl->tpls);
    for (size_t i = 0; i < wl->nmodels; i++)
        free(wl->models[i]);
    free(wl->models);
    for (size_t i = 0; i < wl->ntasks; i++) {
        free(wl->tasks[i].name);
        free(wl->tasks[i].costs);
    }
    free(wl->tasks);
    free(wl->dag_edges);
    wl_dist_free(&wl->service);
    free(wl->name);
    free(wl->description);
    free(wl);
}

/* ---- Accessors. --------------------------------------------------------- */

const char *hs_workload_name(const hs_workload *wl) { return wl->name; }
const char *hs_workload_description(const hs_workload *wl) { return wl->description; }
hs_wl_kind hs_workload_kind(const hs_workload *wl) { return wl->kind; }
hs_granularity hs_workload_granularity(const hs_workload *wl) { return wl->gran; }
size_t hs_workload_nclasses(const hs_workload *wl) { return wl->nclasses; }
int64_t hs_workload_warmup(const hs_workload *wl) { return wl->warmup; }
int64_t hs_workload_max_requests(const hs_workload *wl) { return wl->max_requests; }
double hs_workload_duration(const hs_workload *wl) { return wl->duration; }

const hs_req_class *hs_workload_class(const hs_workload *wl, size_t i)
{
    return i < wl->nclasses ? &wl->classes[i].pub : NULL;
}

/* Adds name to names[0..*n) unless there (only the first cap are kept). */
static void add_name(const char **names, size_t cap, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n && i < cap; i++)
        if (strcmp(names[i], name) == 0)
            return;
    if (*n < cap)
        names[*n] = name;
    ++*n;
}

size_t hs_workload_stage_names(const hs_workload *wl, const char **names, size_t cap)
{
    size_t n = 0;
    for (size_t t = 0; t < wl->ntpls; t++)
        for (size_t i = 0; i < wl->tpls[t]->nstages; i++)
            add_name(names, cap, &n, wl->tpls[t]->stages[i].name);
    for (size_t i = 0; i < wl->ntasks; i++)
        add_name(names, cap, &n, wl->tasks[i].name);
    return n;
}

void hs_workload_class_arrival(const hs_workload *wl, size_t i, char *buf, size_t size)
{
    if (i >= wl->nclasses || size == 0)
        return;
    const wl_arrival *a = &wl->classes[i].arr;
    switch (a->process) {
    case WA_POISSON: snprintf(buf, size, "poisson %.4g/s", a->rate); break;
    case WA_DETERMINISTIC: snprintf(buf, size, "deterministic %.4g/s", a->rate); break;
    case WA_GAMMA: snprintf(buf, size, "gamma %.4g/s cv %.3g", a->rate, a->cv); break;
    case WA_MMPP:
        snprintf(buf, size, "mmpp on %.4g/s for %.3g s, off %.4g/s for %.3g s", a->rate_on,
                 a->mean_on, a->rate_off, a->mean_off);
        break;
    case WA_CLOSED:
        snprintf(buf, size, "closed loop, %lld user%s, think mean %.3g s", (long long)a->users,
                 a->users == 1 ? "" : "s", a->think.mean);
        break;
    default:
        snprintf(buf, size, "trace %s (%lld requests)", a->trace.path,
                 (long long)a->trace.records);
        break;
    }
}
