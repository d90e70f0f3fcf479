/* hetsoc policy `ayo-like`: HeRo's "Ayo-like" baseline, a static model-to-PU
 * map computed from the workflow and the profile.
 *
 * HeRo (Li et al., arXiv 2603.01661, §6.1; seed-systems.md §1.5) compares
 * against "models manually and statically mapped to all xPUs by
 * dependencies and model size", after Ayo/Teola (ASPLOS'25, §6 of
 * seed-systems.md), whose dataflow graph runs independent primitives of a
 * query in parallel.  Neither paper gives the map, so this policy computes
 * one, at the first sight of each model (the stage that first uses it is
 * revealed), and keeps it for the run:
 *
 *   1. the models first seen together are mapped largest first (weight
 *      bytes; ties by name): "by model size";
 *   2. a model's cost on a PU is the standalone time of the items of the
 *      stage that first uses it (hs_predict_item), an item the PU cannot run
 *      counted at the PU of least time that can (where it will fall back);
 *   3. a PU's load, as seen by model m, is the sum of the costs of the
 *      models already mapped to it that can run at the same time as m: all
 *      of them but those of the stages on a dependency path through m's
 *      stage in the request's DAG (its ancestors and descendants), which
 *      never overlap it: "by dependencies" (a chain of models may share a
 *      PU; parallel branches spread over the PUs);
 *   4. m goes to the PU of least load + cost (ties: the lower index).
 * At dispatch, work of a model goes to its PU, or, when that PU cannot run
 * the item (attention on an NPU), to the PU of least predicted time that
 * can; work of no model (vector search, chunking, glue) goes to the CPU,
 * as FAISS runs in every HeRo baseline.  Work queues on its PU in ready
 * order; requests are not throttled (`concurrency` 0: Ayo serves queries
 * concurrently) and nothing is batched (admit.c).
 *
 * Why this rule: it is what "by dependencies and model size" asks of a
 * hand mapping (the big chat model on the PU that runs it fastest,
 * independent smaller models on the PUs left) stated as one greedy
 * earliest-finish rule, computed from the profile rather than written per
 * workflow.  It is static: the map never changes with the load, which is
 * the gap HeRo's online orchestration closes (HeRo Table 3).
 *
 * `engine: profile`: the run keeps the profile's own calibration (HeRo
 * ran its Ayo-like baseline on its own runtime); the policy only declares it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policies/admit.h"

static const hs_param_spec ayo_params[] = {
    {"concurrency", HS_PARAM_I64, "0", 0, 1e6,
     "requests served at once, FCFS (0: no limit; Ayo serves queries concurrently)"},
    {"engine", HS_PARAM_STR, "profile", 0, 0,
     "the runtime's engine preset (profile: the profile's own calibration, HeRo's runtime)"},
    {NULL},
};

enum { AYO_MAX_MODELS = 64, AYO_MAX_PUS = 16, AYO_MAX_DEPS = 64 };

/* One mapped model: its PU (-1: none can run its first stage) and its cost
 * on every PU (step 2). */
typedef struct ayo_model {
    const hs_model *model;
    int pu;
    double cost[AYO_MAX_PUS];
} ayo_model;

typedef struct ayo_map {
    int cpu, npus;
    size_t n;
    ayo_model models[AYO_MAX_MODELS];
} ayo_map;

static ayo_model *ayo_find(ayo_map *map, const hs_model *m)
{
    for (size_t i = 0; i < map->n; i++)
        if (map->models[i].model == m || strcmp(map->models[i].model->name, m->name) == 0)
            return &map->models[i];
    return NULL;
}

static int ayo_place(hs_sched *s, void *ctx, hs_work *w)
{
    ayo_map *map = ctx;
    const hs_model *m = hs_work_item(w)->model;
    const ayo_model *am = m ? ayo_find(map, m) : NULL;
    int first = am ? am->pu : m ? -1 : map->cpu;
    return admit_first_capable(s, w, &first, 1);
}

/* ---- Step 2: a model's cost on each PU ------------------------------------ */
typedef struct cost_walk {
    hs_sched *s;
    int npus;
    double *cost;
} cost_walk;

static int add_item_cost(const hs_item *it, void *ctx)
{
    cost_walk *cw = ctx;
    double t[AYO_MAX_PUS], best = INFINITY;
    for (int pu = 0; pu < cw->npus; pu++) {
        t[pu] = hs_predict_item(cw->s, it, pu);
        best = fmin(best, t[pu]);
    }
    for (int pu = 0; pu < cw->npus; pu++)
        cw->cost[pu] += isfinite(t[pu]) ? t[pu] : best;
    return 0;
}

/* ---- Step 3: the models on a dependency path through a stage --------------- */
typedef size_t (*dep_fn)(const hs_request *r, uint32_t id, hs_dep *out, size_t cap);

/* Marks in related[] every stage (id < n) reached from stage id along
 * `deps` (hs_request_inputs: its ancestors; hs_request_outputs: its
 * descendants).  stack has room for n ids. */
static void mark_reachable(const hs_request *dag, uint32_t id, dep_fn deps, bool *related, uint32_t *stack,
                           uint32_t n)
{
    uint32_t top = 0;
    stack[top++] = id;
    while (top > 0) {
        hs_dep d[AYO_MAX_DEPS];
        uint32_t at = stack[--top];
        size_t nd = deps(dag, at, d, AYO_MAX_DEPS);
        for (size_t i = 0; i < nd && i < AYO_MAX_DEPS; i++)
            if (d[i].node < n && !related[d[i].node]) {
                related[d[i].node] = true;
                stack[top++] = d[i].node;
            }
    }
}

/* Whether mapped model `other` is used by a stage marked in related[]. */
static bool is_related_model(const hs_request *dag, const bool *related, uint32_t n, const hs_model *other)
{
    for (uint32_t i = 0; i < n; i++) {
        const hs_stage_info *si = related[i] ? hs_request_node(dag, i) : NULL;
        if (si && si->model && (si->model == other || strcmp(si->model->name, other->name) == 0))
            return true;
    }
    return false;
}

/* ---- Steps 1 and 4 ---------------------------------------------------------- */
/* Maps the model of stage id of r (first seen there). */
static void map_model(hs_sched *s, ayo_map *map, hs_req *r, uint32_t id)
{
    const hs_request *dag = hs_req_dag(r);
    const hs_stage_info *si = hs_request_node(dag, id);
    ayo_model *am = &map->models[map->n++];
    *am = (ayo_model){.model = si->model, .pu = -1};
    cost_walk cw = {.s = s, .npus = map->npus, .cost = am->cost};
    hs_request_stage_items(dag, id, add_item_cost, &cw);

    uint32_t n = hs_req_nstages(r);
    bool *related = calloc(n + 1, sizeof *related);
    uint32_t *stack = malloc((n + 1) * sizeof *stack);
    if (!related || !stack) {
        free(related);
        free(stack);
        hs_sched_fail(s, "out of memory");
        return;
    }
    mark_reachable(dag, id, hs_request_inputs, related, stack, n);
    mark_reachable(dag, id, hs_request_outputs, related, stack, n);
    free(stack);
    double best = INFINITY;
    for (int pu = 0; pu < map->npus; pu++) {
        double load = 0;
        for (size_t i = 0; i + 1 < map->n; i++)
            if (map->models[i].pu == pu && !is_related_model(dag, related, n, map->models[i].model))
                load += map->models[i].cost[pu];
        if (load + am->cost[pu] < best) {
            best = load + am->cost[pu];
            am->pu = pu;
        }
    }
    free(related);
}

/* The stage of r from `first` on whose model is not mapped yet, the
 * largest model first (ties: by name); UINT32_MAX when none. */
static uint32_t largest_unmapped(ayo_map *map, const hs_request *dag, uint32_t first, uint32_t n)
{
    uint32_t pick = UINT32_MAX;
    double pick_bytes = -1;
    for (uint32_t id = first; id < n; id++) {
        const hs_stage_info *si = hs_request_node(dag, id);
        if (!si || !si->model || ayo_find(map, si->model))
            continue;
        double bytes = hs_model_weight_bytes(si->model);
        const hs_model *pm = pick == UINT32_MAX ? NULL : hs_request_node(dag, pick)->model;
        if (bytes > pick_bytes || (bytes == pick_bytes && strcmp(si->model->name, pm->name) < 0)) {
            pick = id;
            pick_bytes = bytes;
        }
    }
    return pick;
}

static void map_new_models(hs_sched *s, ayo_map *map, hs_req *r, uint32_t first)
{
    const hs_request *dag = hs_req_dag(r);
    uint32_t n = hs_req_nstages(r), id;
    while (map->n < AYO_MAX_MODELS && (id = largest_unmapped(map, dag, first, n)) != UINT32_MAX)
        map_model(s, map, r, id);
}

/* ---- Hooks -------------------------------------------------------------------- */
static int ayo_init(hs_sched *s, void **state, hs_err *err)
{
    if (hs_npus(s) > AYO_MAX_PUS)
        return hs_errf(err, "policy ayo-like handles at most %d PUs, profile '%s' has %d", AYO_MAX_PUS,
                       hs_sched_hw(s)->name, hs_npus(s));
    ayo_map map = {.cpu = admit_find_kind(s, HS_PU_CPU), .npus = hs_npus(s)};
    return admit_start(s, state, ayo_place, &map, sizeof map, err);
}

static void ayo_request_arrived(hs_sched *s, void *state, hs_req *r)
{
    admit_request_arrived(s, state, r);
    map_new_models(s, admit_ctx(state), r, 0);
}

static void ayo_stage_revealed(hs_sched *s, void *state, hs_req *r, uint32_t first)
{
    map_new_models(s, admit_ctx(state), r, first);
}

const hs_policy_ops hs_policy_ayo_like = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "ayo-like",
    .description = "HeRo's Ayo-like baseline: each model statically on one PU, computed by dependencies and "
                   "model size at its first sight",
    .params = ayo_params,
    .init = ayo_init,
    .fini = admit_fini,
    .request_arrived = ayo_request_arrived,
    .stage_revealed = ayo_stage_revealed,
    .work_ready = admit_work_ready,
    .request_done = admit_request_done,
    .schedule = admit_schedule,
};
