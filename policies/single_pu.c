/* hetsoc policies `gpu-only`, `npu-only`, `cpu-only`: a single-accelerator
 * runtime serving one request at a time.
 *
 * They stand for the single-accelerator baselines of the seed papers:
 *   gpu-only  HeRo's "Llama.cpp-GPU" (Li et al., arXiv 2603.01661, §6.1:
 *             every model except FAISS on llama.cpp's OpenCL GPU backend);
 *   npu-only  HeRo's "Powerserve-NPU" (§6.1: every model except FAISS on
 *             PowerServe's QNN NPU backend);
 *   cpu-only  Agent.xpu's "llama.cpp (CPU)" (arXiv 2506.24045, v1 §6 and
 *             v2 §6; seed-systems.md §2.7) and HeteroInfer's llama.cpp
 *             (SOSP'25, §7; seed-systems.md §3.4).
 *
 * Placement: every item the PU can run goes there; what it cannot run --
 * the vector search, chunking, and on the NPU attention, which PowerServe
 * and llama.cpp keep on the CPU -- falls back to the first CPU (and, on a
 * profile without one or an item the CPU cannot run either, to the PU of
 * least predicted time that can).  Requests are served first come first
 * served, `concurrency` at a time (1: one after another, as a llama.cpp
 * or PowerServe process serves them); their work queues on its PU in the
 * order it became ready, never batched (admit.c).
 *
 * A profile without the PU refuses the run at init.
 *
 * `engine` names the runtime whose kernel efficiencies the run should use
 * (the engine presets); the policy itself only declares it.
 */
#include "policies/admit.h"

/* Parameters shared by the three, but for the engine's default. */
#define SINGLE_PU_PARAMS(engine_default, engine_help)                                               \
    {"concurrency", HS_PARAM_I64, "1", 0, 1e6,                                                       \
     "requests served at once, FCFS (1: one after another, as a llama.cpp or PowerServe process "    \
     "serves them; 0: no limit)"},                                                                   \
    {"engine", HS_PARAM_STR, engine_default, 0, 0, engine_help}, {NULL}

static const hs_param_spec gpu_only_params[] = {
    SINGLE_PU_PARAMS("llama.cpp", "the runtime's engine preset (HeRo ran llama.cpp's OpenCL backend)"),
};
static const hs_param_spec npu_only_params[] = {
    SINGLE_PU_PARAMS("powerserve", "the runtime's engine preset (HeRo ran PowerServe's QNN backend)"),
};
static const hs_param_spec cpu_only_params[] = {
    SINGLE_PU_PARAMS("llama.cpp", "the runtime's engine preset (Agent.xpu and HeteroInfer ran llama.cpp)"),
};

/* The PU everything goes to, then its fallback (-1: none). */
typedef struct single_pu {
    int order[2];
} single_pu;

static int single_pu_place(hs_sched *s, void *ctx, hs_work *w)
{
    const single_pu *p = ctx;
    return admit_first_capable(s, w, p->order, 2);
}

static int single_pu_init(hs_sched *s, void **state, hs_err *err, const char *policy, hs_pu_kind kind)
{
    int target = admit_need_pu(s, policy, kind, err);
    if (target < 0)
        return -1;
    single_pu p = {.order = {target, admit_find_kind(s, HS_PU_CPU)}};
    return admit_start(s, state, single_pu_place, &p, sizeof p, err);
}

static int gpu_only_init(hs_sched *s, void **state, hs_err *err)
{
    return single_pu_init(s, state, err, "gpu-only", HS_PU_GPU);
}

static int npu_only_init(hs_sched *s, void **state, hs_err *err)
{
    return single_pu_init(s, state, err, "npu-only", HS_PU_NPU);
}

static int cpu_only_init(hs_sched *s, void **state, hs_err *err)
{
    return single_pu_init(s, state, err, "cpu-only", HS_PU_CPU);
}

#define SINGLE_PU_OPS(policy_name, descr, param_table, init_fn)                                     \
    {                                                                                                \
        .abi_version = HS_POLICY_ABI_VERSION, .name = policy_name, .description = descr,            \
        .params = param_table, .init = init_fn, .fini = admit_fini,                                  \
        .request_arrived = admit_request_arrived, .work_ready = admit_work_ready,                    \
        .request_done = admit_request_done, .schedule = admit_schedule,                              \
    }

const hs_policy_ops hs_policy_gpu_only = SINGLE_PU_OPS(
    "gpu-only",
    "HeRo's Llama.cpp-GPU baseline: all on the GPU but what it cannot run (CPU), one request at a time",
    gpu_only_params, gpu_only_init);
const hs_policy_ops hs_policy_npu_only = SINGLE_PU_OPS(
    "npu-only",
    "HeRo's Powerserve-NPU baseline: all on the NPU but what it cannot run (CPU), one request at a time",
    npu_only_params, npu_only_init);
const hs_policy_ops hs_policy_cpu_only = SINGLE_PU_OPS(
    "cpu-only", "Agent.xpu's and HeteroInfer's llama.cpp (CPU) baseline: all on the CPU, one request at a time",
    cpu_only_params, cpu_only_init);
