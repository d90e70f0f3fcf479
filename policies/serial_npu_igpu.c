/* hetsoc policy `serial-npu-igpu`: Agent.xpu's "Serial NPU-iGPU" baseline.
 *
 * Agent.xpu (arXiv 2506.24045 v2, §6; seed-systems.md §2.7: Agent.xpu is
 * 1.4-4.9x faster) compares against a static prefill/decode partition
 * modelled on HeteroInfer (SOSP'25 §4): prefill on the NPU, decode on the
 * iGPU, requests served one after another.  What the NPU cannot run -- at
 * op granularity the attention of prefill, at stage granularity a whole
 * prefill it has no graph for -- goes to the iGPU, where HeteroInfer puts
 * it.  Encoder passes (embedding, reranking) are prefill-like, compute-bound
 * GEMMs: the NPU too.  The rest (vector search, chunking, glue) stays on the
 * CPU, as in every single-runtime baseline (FAISS on the CPU), falling back
 * to the iGPU and then to the PU of least predicted time that can run it.
 *
 * Requests: first come first served, `concurrency` at a time (1: serial,
 * the paper's setting); work queues on its PU in ready order, never batched
 * (admit.c).  A profile without an NPU or a GPU refuses the run at init.
 *
 * `engine` names the runtime whose kernel efficiencies the run should use
 * (the engine presets; OpenVINO, Agent.xpu's iGPU runtime); the policy only
 * declares it.
 */
#include "policies/admit.h"

static const hs_param_spec serial_params[] = {
    {"concurrency", HS_PARAM_I64, "1", 0, 1e6,
     "requests served at once, FCFS (1: one after another, Agent.xpu's serial baseline; 0: no limit)"},
    {"engine", HS_PARAM_STR, "openvino", 0, 0,
     "the runtime's engine preset (Agent.xpu's iGPU runtime is OpenVINO)"},
    {NULL},
};

/* Preference orders: compute-bound passes, decode, everything else. */
typedef struct serial_npu_igpu {
    int pass[3], decode[2], other[2];
} serial_npu_igpu;

static int serial_place(hs_sched *s, void *ctx, hs_work *w)
{
    const serial_npu_igpu *p = ctx;
    switch (hs_work_item(w)->phase) {
    case HS_PHASE_PREFILL:
    case HS_PHASE_ENCODE:
        return admit_first_capable(s, w, p->pass, 3);
    case HS_PHASE_DECODE:
        return admit_first_capable(s, w, p->decode, 2);
    default:
        return admit_first_capable(s, w, p->other, 2);
    }
}

static int serial_init(hs_sched *s, void **state, hs_err *err)
{
    int npu = admit_need_pu(s, "serial-npu-igpu", HS_PU_NPU, err);
    int gpu = npu < 0 ? -1 : admit_need_pu(s, "serial-npu-igpu", HS_PU_GPU, err);
    if (gpu < 0)
        return -1;
    int cpu = admit_find_kind(s, HS_PU_CPU);
    serial_npu_igpu p = {.pass = {npu, gpu, cpu}, .decode = {gpu, cpu}, .other = {cpu, gpu}};
    return admit_start(s, state, serial_place, &p, sizeof p, err);
}

const hs_policy_ops hs_policy_serial_npu_igpu = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "serial-npu-igpu",
    .description = "Agent.xpu's Serial NPU-iGPU baseline (HeteroInfer-like): prefill on the NPU, decode on the "
                   "iGPU, one request at a time",
    .params = serial_params,
    .init = serial_init,
    .fini = admit_fini,
    .request_arrived = admit_request_arrived,
    .work_ready = admit_work_ready,
    .request_done = admit_request_done,
    .schedule = admit_schedule,
};
