/* hetsoc policy `continuous-batching`: an LLM serving engine on one PU
 * (vLLM, SOSP'23; OpenVINO GenAI's continuous-batching pipeline), the
 * baseline of two seed papers:
 *  - Agent.xpu (arXiv 2506.24045 v2, §6; seed-systems.md §2.7): "OpenVINO
 *    iGPU serving", 1.2-2.4x below Agent.xpu's throughput on proactive
 *    work, 91-97% higher reactive latency in the mixed runs;
 *  - HedraRAG (SOSP'25, arXiv 2507.09138, §6): the generation side of its
 *    LangChain and FlashRAG baselines is vLLM 0.6.6 on the H100.
 *
 * The engine (policies/serving.h; Orca's iteration-level scheduling):
 *   - FCFS admission: an LLM call (a request's LLM stage, vLLM's sequence)
 *     joins the running set in the order its first work became ready,
 *     while fewer than `max_batch` are running and its KV cache fits;
 *   - each iteration is one batch (hs_batch) of the running calls' ready
 *     works, costing the batched shape (weights read once, each member's
 *     attention over its own context); one iteration at a time; a call
 *     admitted while an iteration runs joins the next one;
 *   - `chunked_prefill` off: waiting prompts run first, batched together
 *     in their own iteration, decodes wait (vLLM 0.6's default scheduler);
 *     on: prompts (in the workload's `chunk_tokens` chunks at step
 *     granularity) share iterations with the decodes (vLLM's chunked
 *     prefill, OpenVINO's dynamic split-fuse).
 * Everything else the PU can run goes to it too, FCFS, unbatched; what it
 * cannot run (an IVF search on a GPU without search kernels, an op an NPU
 * lacks) goes to the CPU, else to the first PU that can.
 *
 * Granularity.  `granularity: step` is the engine's own unit: every
 * prefill chunk and decode step of one model batches with every other.
 * At layer and op granularity an iteration batches the works standing at
 * one place of the pass (the same layer and op); the lead is the work
 * earliest in the pass, so a newly admitted call runs alone until it
 * reaches the running calls' position, then in lockstep with them (a
 * coarser join than vLLM's: use `--set workload.granularity=step` for an
 * exact one).  At stage granularity a whole decode never batches (its
 * batch key is 0): the engine runs one call's decode at a time.
 *
 * `engine` names the engine preset the run's kernel efficiencies stand
 * for; this policy does not read it.
 */
#include <stdlib.h>

#include "policies/serving.h"

static const hs_param_spec cb_params[] = {
    {"pu", HS_PARAM_STR, "gpu", 0, 0,
     "the serving PU, a name or kind (Agent.xpu's OpenVINO runs on the iGPU, HedraRAG's vLLM on the "
     "H100); a profile without it: the CPU"},
    {"max_batch", HS_PARAM_I64, "256", 1, 65536,
     "LLM calls running at once: max_num_seqs, 256 in both vLLM 0.6 (EngineArgs) and OpenVINO GenAI "
     "(SchedulerConfig)"},
    {"chunked_prefill", HS_PARAM_BOOL, "true", 0, 0,
     "prompts share iterations with decodes: OpenVINO GenAI's dynamic_split_fuse, on by default "
     "(SchedulerConfig); vLLM 0.6 leaves it off for short contexts"},
    {"engine", HS_PARAM_STR, "openvino", 0, 0,
     "engine preset the kernel efficiencies stand for (Agent.xpu's OpenVINO iGPU baseline); "
     "`profile`: the profile's own calibration"},
    {NULL},
};

static int cb_init(hs_sched *s, void **state, hs_err *err)
{
    srv *e = calloc(1, sizeof *e);
    if (!e)
        return hs_errf(err, "continuous-batching: out of memory");
    const char *pu = hs_param_str(s, "pu");
    srv_init(e, s, pu, pu);
    e->max_batch = hs_param_i64(s, "max_batch");
    e->mixed = hs_param_bool(s, "chunked_prefill");
    e->other_batch = 1;
    e->admit = true;
    *state = e;
    return 0;
}

static void cb_schedule(hs_sched *s, void *state)
{
    srv_release(state, s);
    srv_iterate(state, s);
}

const hs_policy_ops hs_policy_continuous_batching = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "continuous-batching",
    .description = "baseline: vLLM / OpenVINO-style server on one PU, FCFS admission, iteration-level "
                   "batching up to max_batch (Agent.xpu's OpenVINO iGPU, HedraRAG's vLLM)",
    .params = cb_params,
    .init = cb_init,
    .fini = srv_fini,
    .request_arrived = srv_request_arrived,
    .work_ready = srv_work_ready,
    .work_done = srv_work_done,
    .request_done = srv_request_done,
    .schedule = cb_schedule,
};
