/* hetsoc: what the serving baselines share (continuous-batching,
 * sequential, flashrag-like): a model of an LLM serving engine's
 * iteration loop (Orca, OSDI'22; vLLM; OpenVINO GenAI's continuous-batching
 * pipeline) on one PU, plus placement of the rest of the work by kind.
 *
 * Generation work (prefill and decode items) waits in the engine's queue
 * until the engine forms an iteration: one batch (hs_batch) of the READY
 * generation works of the admitted LLM calls, run on the serving PU, one
 * iteration at a time.  An LLM call (a request's LLM stage: vLLM's
 * sequence) is admitted FCFS while fewer than max_batch are admitted and
 * leaves when its last item finished.  Everything else waits in a second
 * queue that the policy releases (srv_release).  Not installed. */
#ifndef HS_POLICIES_SERVING_H
#define HS_POLICIES_SERVING_H

#include "policies/policy.h"

/* One admitted or waiting LLM call of a request: its queued works. */
typedef struct srv_call {
    uint32_t stage;
    uint32_t held;   /* its works in the engine's queue */
    bool admitted;
} srv_call;

/* Per request (hs_req_data). */
typedef struct srv_req {
    srv_call *calls;
    uint32_t ncalls, cap;
    uint64_t tag;    /* the policy's: sequential's cohort */
} srv_req;

/* A FIFO of works (ready order), compacted as works leave it. */
typedef struct srv_queue {
    hs_work **w;
    size_t n, cap;
} srv_queue;

typedef struct srv srv;
/* Whether the policy lets r's works run now (sequential: r is in the
 * current cohort).  NULL: every request may. */
typedef bool (*srv_gate_fn)(const srv *e, const hs_req *r);

struct srv {
    int gen_pu;         /* the serving PU of generation */
    int search_pu;      /* where vector searches go (flashrag-like, sequential: the CPU) */
    int cpu;            /* the fallback of work a preferred PU cannot run; -1: none */
    int64_t max_batch;  /* LLM calls admitted at once (vLLM max_num_seqs) */
    int64_t other_batch;  /* same-stage batch of other work (0: none, 1: unbatched) */
    bool mixed;         /* prefill chunks join decode iterations (chunked prefill) */
    bool admit;         /* admission of new LLM calls is open */
    srv_gate_fn gate;   /* holds back other work (and generation when gate_gen) */
    bool gate_gen;
    bool delays_free;   /* tool and web delays (they hold no PU) start when ready */
    srv_queue gen, other;  /* generation works; everything else */
    hs_work *iteration;    /* the iteration queued or running on gen_pu; NULL: none */
    int64_t admitted;
    int64_t other_inflight;  /* other works dispatched, not done yet */
};

/* Resolves the PU parameters: gen (a PU name or kind; a missing one falls
 * back to the CPU, then to PU 0), search likewise, and the CPU. */
void srv_init(srv *e, hs_sched *s, const char *gen, const char *search);

/* Hooks a policy uses as they are: its state is one allocation whose
 * first member is its srv.  request_arrived gives r its data; work_ready
 * files w in a queue (generation work the serving PU can run in gen, the
 * rest in other); work_done ends the iteration or counts an other work
 * done; request_done un-admits r's calls and frees its data; fini frees
 * the queues, what requests still in flight hold, and the state. */
void srv_request_arrived(hs_sched *s, void *state, hs_req *r);
void srv_work_ready(hs_sched *s, void *state, hs_work *w);
void srv_work_done(hs_sched *s, void *state, hs_work *w);
void srv_request_done(hs_sched *s, void *state, hs_req *r);
void srv_fini(hs_sched *s, void *state);

/* Whether w is generation work (an LLM prefill or decode item). */
bool srv_is_gen(const hs_work *w);
/* Forms and dispatches the next iteration when none is in flight: the
 * admitted calls' ready works batchable with the lead, and new calls FCFS
 * while `admit` is open and fewer than max_batch are admitted.  Without
 * `mixed`, waiting prefill goes first, alone in its iteration (vLLM's
 * default scheduler); the lead is the work earliest in the pass (layer and
 * op granularity: a call behind catches up, then runs in lockstep).
 * Returns whether it dispatched one. */
bool srv_iterate(srv *e, hs_sched *s);
/* Dispatches the other works the gate lets through, FCFS, batching up to
 * other_batch batchable ones (same index, same encoder) when other_batch
 * > 1.  Returns how many works it dispatched. */
size_t srv_release(srv *e, hs_sched *s);
/* Where w goes: its preferred PU (generation: gen_pu; a search:
 * search_pu; other work: its stage's affinity, else gen_pu) when that PU
 * can run it, else the CPU, else the first PU that can; -1: none can. */
int srv_place(const srv *e, hs_sched *s, const hs_work *w);
/* Admitted LLM calls with no work left: they leave (call with no
 * iteration in flight). */
void srv_retire(srv *e, hs_sched *s);

#endif
