/* hetsoc policy `heterollm`: HeteroLLM (arXiv 2501.14794v1) / HeteroInfer
 * (arXiv 2501.14794v2, SOSP'25), GPU-NPU parallel LLM inference on a phone.
 *
 * §4 "layer-level": in prefill the NPU is the primary compute unit -- the
 * MatMuls run there (operand order swapped: the lowering leaves
 * HS_KF_ACT_LEFT clear) -- while RMSNorm, SwiGLU and attention stay on the
 * GPU; in decode the GPU is primary (NPU-1: the NPU wastes its arrays on a
 * single row).
 * §4 "tensor-level": each partitionable GEMM (QKV, O, gate/up, down) is cut
 * between the GPU and the NPU as the solver (§4.2, heterollm_solver.c)
 * says: weight-centric and hybrid partitions split the work item along its
 * weight rows (hs_split HS_SPLIT_ROWS), activation-centric along its token
 * rows (HS_SPLIT_SEQ: the NPU's static chunk first, the GPU's remainder);
 * the join pays T_sync + T_copy (hs_join_cost).  Decode keeps the GPU
 * dominant and splits a GEMM weight-centrically only where the solver
 * finds it faster than the GPU alone (Memory-1: the two PUs draw more
 * bandwidth than one).
 *
 * Parameters:
 *   level: tensor (Hetero-tensor, default) | layer (Hetero-layer: every op
 *          whole on its PU, the solver choosing between GPU-only and
 *          NPU-only for the GEMMs of prefill; decode on the GPU);
 *   sync:  engine (default) | fast | naive: the T_sync the solver plans
 *          with.  The cost the run pays is always the engine's
 *          (`engine.sync`, hs_sync_s); `engine` plans with that same cost,
 *          fast / naive plan with the profile's other figure (an ablation:
 *          a solver tuned for fast sync on a run that pays naive sync).
 *
 * Granularity: its natural one is `op`.  At layer, stage or step
 * granularity items are fused passes (attention inside): prefill goes
 * whole to the faster of GPU and NPU (NPU-dominant on the phones), decode
 * to the GPU; nothing is split.  Items that are no LLM op (search, tools,
 * `dag` tasks) go to the PU that runs them fastest.
 * A profile without an NPU or a GPU: no solver, no splits; every item goes
 * to the dominant PU if it can run it, else to its fastest PU (degradation,
 * never a refusal).  A work no PU runs fails the run, naming it.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policies/policy.h"
#include "policies/heterollm_solver.h"

typedef struct hll_state {
    hll_solver *solver;   /* NULL without both a GPU and an NPU */
    int gpu, npu;         /* first GPU and NPU; -1 when absent */
    bool tensor;          /* level: tensor */
} hll_state;

static const hs_param_spec hll_params[] = {
    {"level", HS_PARAM_STR, "tensor", 0, 0,
     "tensor (Hetero-tensor: the solver's splits) or layer (Hetero-layer: whole ops), HeteroInfer §4"},
    {"sync", HS_PARAM_STR, "engine", 0, 0,
     "T_sync the solver plans with: engine (the run's engine.sync), fast or naive (HeteroInfer §4.3)"},
    {"engine", HS_PARAM_STR, "profile", 0, 0,
     "engine preset applied to the profile before the run (hw/README.md, \"Engine presets\"); "
     "profile: the profile's own efficiencies, which snapdragon-8gen3 fits to HeteroInfer's own runtime "
     "(Table 3, §5 rates)"},
    {NULL, 0, NULL, 0, 0, NULL},
};

/* ---- init / fini ------------------------------------------------------------- */

static int solver_sync(hs_sched *s, const hll_state *st, double *sync_s, hs_err *err)
{
    const char *mode = hs_param_str(s, "sync");
    if (strcmp(mode, "engine") == 0)
        *sync_s = hs_sync_s(s, st->gpu, st->npu);
    else if (strcmp(mode, "fast") == 0 || strcmp(mode, "naive") == 0)
        *sync_s = hs_hw_sync_s(hs_sched_hw(s), st->gpu, st->npu, strcmp(mode, "fast") == 0);
    else
        return hs_errf(err, "policy heterollm: sync must be engine, fast or naive, not '%s'", mode);
    return 0;
}

static int hll_init(hs_sched *s, void **state, hs_err *err)
{
    const char *level = hs_param_str(s, "level");
    if (strcmp(level, "tensor") != 0 && strcmp(level, "layer") != 0)
        return hs_errf(err, "policy heterollm: level must be tensor or layer, not '%s'", level);
    hll_state *st = calloc(1, sizeof *st);
    if (!st)
        return hs_errf(err, "out of memory");
    *state = st;
    st->tensor = strcmp(level, "tensor") == 0;
    st->gpu = hs_pu_find(s, "gpu");
    st->npu = hs_pu_find(s, "npu");
    hll_config cfg = {.hw = hs_sched_hw(s), .gpu = st->gpu, .npu = st->npu,
                      .copy_bps = hs_sched_hw(s)->copy_bps, .grid = HLL_GRID_DEFAULT,
                      .in_pass = true};
    if (solver_sync(s, st, &cfg.sync_s, err) != 0)
        return -1;
    if (st->gpu >= 0 && st->npu >= 0 && !(st->solver = hll_solver_new(&cfg, err)))
        return -1;
    return 0;
}

static void hll_fini(hs_sched *s, void *state)
{
    (void)s;
    hll_state *st = state;
    if (st)
        hll_solver_free(st->solver);
    free(st);
}

/* ---- Placement ----------------------------------------------------------------- */

/* The PU that runs w fastest alone; -1 when none can. */
static int fastest_pu(hs_sched *s, const hs_work *w)
{
    int best = -1;
    double best_t = INFINITY;
    for (int pu = 0; pu < hs_npus(s); pu++) {
        double t = hs_predict(s, w, pu);
        if (t < best_t)
            best_t = t, best = pu;
    }
    return best;
}

/* Dispatches w to pu, or to its fastest PU when pu is absent or cannot run it. */
static void place(hs_sched *s, hs_work *w, int pu)
{
    if (pu < 0 || !hs_can_run(s, w, pu))
        pu = fastest_pu(s, w);
    if (pu < 0) {
        hs_sched_fail(s, "no PU can run work %llu ('%s')",
                      (unsigned long long)hs_work_id(w), hs_slot_name(hs_work_item(w)->slot));
        return;
    }
    hs_dispatch(s, w, pu);
}

static bool partitionable(const hs_item *it)
{
    if (it->fused || it->batched || it->k.op != HS_OP_GEMM)
        return false;
    return it->slot == HS_SLOT_QKV || it->slot == HS_SLOT_O || it->slot == HS_SLOT_GATE_UP ||
           it->slot == HS_SLOT_DOWN;
}

/* Splits w in two parts along axis and sends them to the two PUs. */
static void split_two(hs_sched *s, hs_work *w, hs_split_axis axis, int64_t first, int64_t second,
                      int pu_first, int pu_second)
{
    const int64_t sizes[2] = {first, second};
    hs_work *parts[2];
    if (hs_split(s, w, axis, sizes, 2, parts) != 0)
        return;   /* the engine failed the run with the reason */
    place(s, parts[0], pu_first);
    place(s, parts[1], pu_second);
}

/* Applies the solver's choice to a partitionable GEMM.  A split the item
 * cannot take (its extent is not the solved shape's: a batched or
 * multi-sequence item) falls back to the PU with the larger share. */
static void apply(hs_sched *s, const hll_state *st, hs_work *w, hll_strategy how, const hll_choice *c)
{
    const hs_item *it = hs_work_item(w);
    switch (how) {
    case HLL_WEIGHT_CENTRIC:
    case HLL_HYBRID:
        if (hs_item_split_extent(it, HS_SPLIT_ROWS) == c->gpu_rows + c->npu_rows) {
            split_two(s, w, HS_SPLIT_ROWS, c->gpu_rows, c->npu_rows, st->gpu, st->npu);
            return;
        }
        break;
    case HLL_ACTIVATION_CENTRIC:
        if (hs_item_split_extent(it, HS_SPLIT_SEQ) == c->npu_tokens + c->gpu_tokens) {
            split_two(s, w, HS_SPLIT_SEQ, c->npu_tokens, c->gpu_tokens, st->npu, st->gpu);
            return;
        }
        break;
    default: break;
    }
    /* One PU, or the PU that holds the larger share of the work. */
    bool npu_major = c->npu_rows * c->npu_tokens > c->gpu_rows * c->gpu_tokens;
    place(s, w, npu_major ? st->npu : st->gpu);
}

enum {
    ONE_PU = 1u << HLL_GPU_ONLY | 1u << HLL_NPU_ONLY,
    ALL = (1u << HLL_STRATEGY_COUNT) - 1,
    DECODE_TENSOR = 1u << HLL_GPU_ONLY | 1u << HLL_WEIGHT_CENTRIC,
};

/* The solver's strategies a level allows: prefill is NPU-dominant (every
 * partition at tensor level, the better single PU at layer level); decode
 * is GPU-dominant (a weight-centric split where it pays, at tensor level). */
static unsigned allowed(const hll_state *st, hs_phase phase)
{
    if (phase == HS_PHASE_DECODE)
        return st->tensor ? DECODE_TENSOR : 1u << HLL_GPU_ONLY;
    return st->tensor ? ALL : ONE_PU;
}

static void schedule_gemm(hs_sched *s, const hll_state *st, hs_work *w)
{
    hs_err err;
    const hs_item *it = hs_work_item(w);
    const hll_decision *d = hll_solve(st->solver, &it->k, &err);
    if (!d) {
        hs_sched_fail(s, "work %llu: %s", (unsigned long long)hs_work_id(w), err.msg);
        return;
    }
    hll_strategy how = HLL_GPU_ONLY;
    const hll_choice *c = hll_pick(d, allowed(st, it->phase), &how);
    if (!c) {
        place(s, w, -1);
        return;
    }
    apply(s, st, w, how, c);
}

/* The PU for a work the solver does not cut: prefill GEMMs (the LM head)
 * on the NPU, prefill's norms, SwiGLU and attention on the GPU; fused
 * prefill passes on the faster of the two; decode on the GPU. */
static int dominant_pu(hs_sched *s, const hll_state *st, const hs_work *w)
{
    const hs_item *it = hs_work_item(w);
    if (it->phase == HS_PHASE_DECODE)
        return st->gpu;
    if (it->phase != HS_PHASE_PREFILL && it->phase != HS_PHASE_ENCODE)
        return -1;
    if (it->fused && st->gpu >= 0 && st->npu >= 0)
        return hs_predict(s, w, st->npu) < hs_predict(s, w, st->gpu) ? st->npu : st->gpu;
    if (it->k.op == HS_OP_GEMM && !it->fused)
        return st->npu >= 0 ? st->npu : st->gpu;
    return st->gpu;
}

static void hll_schedule(hs_sched *s, void *state)
{
    const hll_state *st = state;
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        const hs_item *it = hs_work_item(w);
        if (st->solver && !hs_work_is_part(w) && partitionable(it) &&
            (it->phase == HS_PHASE_PREFILL || it->phase == HS_PHASE_DECODE))
            schedule_gemm(s, st, w);
        else
            place(s, w, dominant_pu(s, st, w));
    }
}

const hs_policy_ops hs_policy_heterollm = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "heterollm",
    .description = "HeteroLLM/HeteroInfer: NPU-dominant prefill, GPU-dominant decode, solver-cut GEMMs",
    .params = hll_params,
    .init = hll_init,
    .fini = hll_fini,
    .schedule = hll_schedule,
};
