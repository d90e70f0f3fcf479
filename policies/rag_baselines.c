/* hetsoc policies `sequential` and `flashrag-like`: HedraRAG's two RAG
 * serving baselines (HedraRAG, SOSP'25, arXiv 2507.09138, §6; artifact
 * Leo9660/HedraRAG_AE; seed-systems.md §4.3-4.4): retrieval on the CPU
 * (Faiss 1.9), generation on the GPU (vLLM 0.6.6), stage by stage, with
 * no sub-stage pipelining -- what HedraRAG's 2.2-18.2x lower latency and
 * more than 3x higher sustainable rate are measured against.
 *
 * `sequential` stands for the LangChain baseline (artifact
 * LangChain/sequential_rag.py and its siblings).  Its serving loop takes
 * every request that has arrived as one cohort, runs the cohort's stages
 * one after another -- encode the whole cohort, one Faiss search of all
 * its queries, one `chain.batch` of its prompts through vLLM's generate --
 * and takes the next cohort only when the whole cohort has finished.  So
 * requests of one cohort overlap (batched, stage by stage) and cohorts do
 * not: a request arriving while a cohort runs waits for all of it.
 *
 * `flashrag-like` stands for the FlashRAG baseline (artifact
 * evaluation/fig_12/FlashRAG_test.sh: HedraRAG's own executor, its
 * SequentialExecutor, with speculation off and the whole nprobe in one
 * retrieval step).  Its loop alternates two phases, never both at once:
 *   generation: every LLM call ready at the phase's start is added to
 *     vLLM, which steps (continuous batching among them, no newcomer)
 *     until all have finished;
 *   retrieval: the requests whose retrieval work is ready at the phase's
 *     start are searched in batches of `retrieval_batch` on the CPU, each
 *     search whole (no cluster minibatches), their query encodings first.
 * Work a phase makes ready for the other phase waits for the next round.
 *
 * Placement, both: generation on `gen_pu`, searches on `search_pu`, other
 * work (encoders, chunking) where its stage's `affinity` says, else on
 * gen_pu; what a PU cannot run goes to the CPU, then to the first PU that
 * can (a profile without a GPU serves generation on the CPU).  Generation
 * is the serving engine of policies/serving.h, as continuous-batching runs
 * it (its granularity notes hold here too).
 *
 * `engine` names the engine preset the run's kernel efficiencies stand
 * for (vLLM, both papers' generation engine); these policies do not read it.
 */
#include <stdlib.h>

#include "policies/serving.h"

#define RAG_COMMON_PARAMS                                                                          \
    {"gen_pu", HS_PARAM_STR, "gpu", 0, 0,                                                          \
     "PU (name or kind) of generation: HedraRAG runs vLLM on the H100; a profile without it: the CPU"}, \
    {"search_pu", HS_PARAM_STR, "cpu", 0, 0,                                                       \
     "PU of vector searches: Faiss on the EPYC CPU (HedraRAG §6)"},                                 \
    {"max_batch", HS_PARAM_I64, "256", 1, 65536,                                                   \
     "LLM calls vLLM runs at once: max_num_seqs, 256 by default in vLLM 0.6 (EngineArgs)"},         \
    {"chunked_prefill", HS_PARAM_BOOL, "false", 0, 0,                                              \
     "prompts share iterations with decodes (vLLM 0.6 enables chunked prefill by default only "    \
     "for contexts over 32K)"},                                                                    \
    {"engine", HS_PARAM_STR, "vllm", 0, 0,                                                         \
     "engine preset the kernel efficiencies stand for (vLLM 0.6.6 in HedraRAG §6); "               \
     "`profile`: the profile's own calibration"}

static const hs_param_spec sequential_params[] = {
    RAG_COMMON_PARAMS,
    {"retrieval_batch", HS_PARAM_I64, "1024", 1, 1 << 20,
     "queries per encoder pass and Faiss search: LangChain passes the whole cohort "
     "(sequential_rag.py); 1024 is chosen as no limit"},
    {NULL},
};

static const hs_param_spec flashrag_params[] = {
    RAG_COMMON_PARAMS,
    {"retrieval_batch", HS_PARAM_I64, "32", 1, 1 << 20,
     "queries per retrieval batch: retrieval_batch_size 32 (artifact "
     "test_sequential_online_rps.py)"},
    {NULL},
};

typedef enum rag_phase { PHASE_NONE, PHASE_GEN, PHASE_RET } rag_phase;

typedef struct rag {
    srv e;               /* first: the serving hooks take the state as a srv */
    uint64_t current;    /* sequential: the cohort running; flashrag-like: the round */
    int64_t left;        /* sequential: requests of the cohort not finished */
    rag_phase phase, last;  /* flashrag-like */
} rag;

static int rag_init(hs_sched *s, void **state, srv_gate_fn gate, hs_err *err)
{
    rag *g = calloc(1, sizeof *g);
    if (!g)
        return hs_errf(err, "out of memory");
    srv_init(&g->e, s, hs_param_str(s, "gen_pu"), hs_param_str(s, "search_pu"));
    g->e.max_batch = hs_param_i64(s, "max_batch");
    g->e.mixed = hs_param_bool(s, "chunked_prefill");
    g->e.other_batch = hs_param_i64(s, "retrieval_batch");
    g->e.gate = gate;
    *state = g;
    return 0;
}

/* Whether r's works may run: r belongs to the current cohort or round. */
static bool in_current(const srv *e, const hs_req *r)
{
    const rag *g = (const rag *)e;
    const srv_req *d = r ? hs_req_data(r) : NULL;
    return d && d->tag == g->current;
}

/* ---- sequential: cohorts ---------------------------------------------- */

static int seq_init(hs_sched *s, void **state, hs_err *err)
{
    if (rag_init(s, state, in_current, err) != 0)
        return -1;
    rag *g = *state;
    g->e.admit = true;
    g->e.gate_gen = true;   /* a cohort's generation, too, waits for the last cohort */
    return 0;
}

/* Every request in flight joins the next cohort (those of the last one have
 * all finished). */
static void start_cohort(rag *g, hs_sched *s)
{
    g->current++;
    for (hs_req *r = hs_req_first(s); r; r = hs_req_next(s, r)) {
        ((srv_req *)hs_req_data(r))->tag = g->current;
        g->left++;
    }
}

static void seq_request_done(hs_sched *s, void *state, hs_req *r)
{
    rag *g = state;
    g->left -= in_current(&g->e, r);
    srv_request_done(s, state, r);
}

static void seq_schedule(hs_sched *s, void *state)
{
    rag *g = state;
    if (g->left == 0 && hs_req_first(s))
        start_cohort(g, s);
    srv_release(&g->e, s);
    srv_iterate(&g->e, s);
}

/* ---- flashrag-like: generation and retrieval phases --------------------- */

static int flash_init(hs_sched *s, void **state, hs_err *err)
{
    if (rag_init(s, state, in_current, err) != 0)
        return -1;
    ((rag *)*state)->e.delays_free = true;   /* tool calls hold no PU: no phase waits on them */
    return 0;
}

/* Opens the retrieval phase of a new round to the requests whose other
 * work is ready now.  Returns whether there is any. */
static bool start_retrieval(rag *g)
{
    if (g->e.other.n == 0)
        return false;
    g->current++;
    for (size_t i = 0; i < g->e.other.n; i++) {
        srv_req *d = hs_req_data(hs_work_req(g->e.other.w[i]));
        if (d)
            d->tag = g->current;
    }
    return true;
}

/* Starts the next phase, generation and retrieval in turn (the artifact's
 * execute(): vLLM steps, then the batch search).  Returns whether one
 * started. */
static bool next_phase(rag *g, hs_sched *s)
{
    bool gen_first = g->last != PHASE_GEN;
    for (int k = 0; k < 2; k++, gen_first = !gen_first) {
        if (gen_first && g->e.gen.n) {
            g->e.admit = true;          /* the calls ready now, and only these */
            srv_iterate(&g->e, s);
            g->e.admit = false;
            if (g->e.iteration) {
                g->phase = PHASE_GEN;
                return true;
            }
        } else if (!gen_first && start_retrieval(g)) {
            g->phase = PHASE_RET;
            return true;
        }
    }
    return false;
}

/* Continues the phase; returns whether it is still under way. */
static bool continue_phase(rag *g, hs_sched *s)
{
    if (g->phase == PHASE_GEN) {
        srv_iterate(&g->e, s);
        return g->e.iteration != NULL;
    }
    srv_release(&g->e, s);
    return g->e.other_inflight > 0;
}

static void flash_schedule(hs_sched *s, void *state)
{
    rag *g = state;
    if (g->phase != PHASE_NONE && continue_phase(g, s))
        return;
    if (g->phase != PHASE_NONE)
        g->last = g->phase;
    g->phase = PHASE_NONE;
    if (next_phase(g, s) && g->phase == PHASE_RET)
        srv_release(&g->e, s);
}

const hs_policy_ops hs_policy_sequential = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "sequential",
    .description = "baseline: LangChain-like, each cohort of arrived requests stage by stage, the next "
                   "cohort after it (HedraRAG's LangChain baseline)",
    .params = sequential_params,
    .init = seq_init,
    .fini = srv_fini,
    .request_arrived = srv_request_arrived,
    .work_ready = srv_work_ready,
    .work_done = srv_work_done,
    .request_done = seq_request_done,
    .schedule = seq_schedule,
};

const hs_policy_ops hs_policy_flashrag_like = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "flashrag-like",
    .description = "baseline: FlashRAG-like rounds, a generation batch on the GPU then a retrieval "
                   "batch on the CPU, no sub-stage pipelining (HedraRAG's FlashRAG baseline)",
    .params = flashrag_params,
    .init = flash_init,
    .fini = srv_fini,
    .request_arrived = srv_request_arrived,
    .work_ready = srv_work_ready,
    .work_done = srv_work_done,
    .request_done = srv_request_done,
    .schedule = flash_schedule,
};
