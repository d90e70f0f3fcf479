/* hetsoc: the scheduling-policy interface.
 *
 * A policy is a table of function pointers (struct hs_policy_ops) with a
 * name, a description, a list of parameters and per-run private state.
 * The engine calls it when something changes -- a request arrives, work
 * becomes ready, work finishes, a timer fires -- and, once per instant in
 * which anything changed, asks it to schedule().  The policy answers only
 * through the scheduling context (hs_sched): it dispatches work to PUs,
 * splits work into parts, batches work of several requests into one
 * kernel, sets timers, or does nothing and leaves PUs idle on purpose.
 *
 * A policy never learns whether it runs in the simulator or on hardware:
 * the same object drives both executors.  Time is hs_now(); predictions
 * come from the hardware profile through hs_predict().
 *
 * Vocabulary.
 *  - PU: a processing unit, an index 0 .. hs_npus()-1 of the run's profile.
 *  - work (hs_work): one work item of one request (a kernel at a shape, a
 *    group of kernels at layer or stage granularity, a `dag` task), or a
 *    part of a split item, or a batch of items of several requests.  The
 *    engine creates it when it becomes READY (all its inputs available).
 *    A work pointer stays valid until the work_done() hook has returned.
 *  - request (hs_req): one user or background task; its workflow is a DAG
 *    of stages (workloads/workloads.h) revealed while it runs.
 *
 * Lifecycle of a work item:
 *     READY --hs_dispatch--> QUEUED on a PU --slot free--> RUNNING --> DONE
 *     READY --hs_split-->  replaced by READY parts (joined when all finish)
 *     READY --hs_batch-->  replaced by one READY batch (done = all done)
 *     QUEUED --hs_recall--> READY;  RUNNING --hs_preempt--> DONE at a
 *     kernel boundary, its remainder a new READY work
 * A policy preempts at work-item boundaries by no longer feeding the
 * low-priority request, takes QUEUED work back (hs_recall: QUEUED ->
 * READY), or stops RUNNING work at a kernel boundary (hs_preempt: its
 * remainder is READY again).
 *
 * Plugins: a shared library exports `const struct hs_policy_ops
 * hs_policy_plugin` (HS_POLICY_PLUGIN_SYMBOL) with abi_version set to
 * HS_POLICY_ABI_VERSION; see policies/examples/.
 */
#ifndef HS_POLICY_H
#define HS_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/conf/conf.h"
#include "hw/hw.h"
#include "workloads/workloads.h"

/* Public API: exported from libhetsoc.so, built with -fvisibility=hidden. */
#pragma GCC visibility push(default)

/* Bumped whenever struct hs_policy_ops, a context function or a struct a
 * policy reads (hs_item, hs_stage_info, ...) changes.  2: recall,
 * preemption, graph pre-builds, join costs, memory capacity and
 * transfers, search progress, look-ahead, energy per request; hs_item
 * gained `fused`, `resumed` and step granularity. */
#define HS_POLICY_ABI_VERSION 2u
#define HS_POLICY_PLUGIN_SYMBOL "hs_policy_plugin"

typedef struct hs_sched hs_sched;  /* the scheduling context of one run */
typedef struct hs_work hs_work;    /* a work item, a part or a batch */
typedef struct hs_req hs_req;      /* a request in flight */

/* ---- Parameters --------------------------------------------------------
 * A policy lists the parameters it accepts; the engine validates the
 * `policy: {name: N, params: {...}}` mapping (and `--set policy.K=V`)
 * against the list: an unknown name is an error naming the valid ones, a
 * value of the wrong type or out of [min, max] is an error at its position.
 */
typedef enum hs_param_type {
    HS_PARAM_F64,    /* a number in [min, max] */
    HS_PARAM_I64,    /* an integer in [min, max] */
    HS_PARAM_BOOL,
    HS_PARAM_STR,    /* free text (e.g. a stage-to-PU table entry) */
    HS_PARAM_PU,     /* a PU name or kind of the run's profile, or "any" */
    HS_PARAM_MAP,    /* a mapping from names to PU names or kinds (static tables) */
} hs_param_type;

typedef struct hs_param_spec {
    const char *name;
    hs_param_type type;
    const char *def;     /* default as YAML text; NULL: required */
    double min, max;     /* HS_PARAM_F64 / I64 bounds */
    const char *help;
} hs_param_spec;

/* ---- The ops table -----------------------------------------------------
 * Every hook receives the context and the policy's private state (what
 * init() stored).  Hooks run one at a time, never concurrently, in the
 * engine's deterministic event order.  Within a hook a policy may call
 * any query and any action below.  Only name, description, abi_version
 * and schedule are required.
 */
typedef struct hs_policy_ops {
    uint32_t abi_version;         /* HS_POLICY_ABI_VERSION */
    const char *name;             /* lowercase, dashes */
    const char *description;      /* one line, for `hetsoc list policies` */
    const hs_param_spec *params;  /* terminated by {NULL}; NULL for none */

    /* Once per run, before the first event.  Parameters are validated
     * and readable through hs_param_*(); the profile, PUs and workload are
     * known; no request exists yet.  Store private state in *state.
     * Return 0, or -1 with err set to refuse the run (e.g. the profile
     * lacks a PU kind the policy needs).  Optional. */
    int (*init)(hs_sched *s, void **state, hs_err *err);

    /* Once per run, after the last event, also after a failed run.
     * Free the private state.  Optional. */
    void (*fini)(hs_sched *s, void *state);

    /* A request arrived: its class, arrival time and deadline are known
     * and its roots are revealed (stage_revealed is not called for them).
     * Its ready work is announced through work_ready right after this
     * hook returns.  Optional. */
    void (*request_arrived)(hs_sched *s, void *state, hs_req *r);

    /* New stages of a running request became known (HeRo's partially
     * observable DAG grows: a rewriter emitted sub-queries, a loop went
     * round again, a conditional edge was taken).  Stage ids first ..
     * hs_req_nstages(r)-1 are new.  Optional. */
    void (*stage_revealed)(hs_sched *s, void *state, hs_req *r, uint32_t first);

    /* w became READY: its inputs are available.  It stays in the ready
     * list (hs_ready_first/next) until dispatched, split or batched.
     * Optional (a policy may just walk the ready list in schedule()). */
    void (*work_ready)(hs_sched *s, void *state, hs_work *w);

    /* w finished on its PU (for a part or a batch: that part or batch).
     * Its outputs are available; successors it unblocked are announced
     * after this hook through work_ready.  Optional. */
    void (*work_done)(hs_sched *s, void *state, hs_work *w);

    /* The last stage of r finished; r's metrics are recorded.  r is
     * invalid after the hook returns.  Optional. */
    void (*request_done)(hs_sched *s, void *state, hs_req *r);

    /* A timer set with hs_timer() fired.  Optional. */
    void (*timer)(hs_sched *s, void *state, uint64_t tag);

    /* Called once at the end of every instant in which anything above
     * happened (after all hooks of that instant), and at the start.
     * Dispatch, split or batch ready work here.  Work left READY stays
     * READY; the policy is asked again at the next change.  Required. */
    void (*schedule)(hs_sched *s, void *state);
} hs_policy_ops;

/* ---- Queries: time, PUs, the machine ---------------------------------- */
double hs_now(const hs_sched *s);
const hs_hw *hs_sched_hw(const hs_sched *s);
int hs_npus(const hs_sched *s);
const hs_pu *hs_pu_of(const hs_sched *s, int pu);
/* A PU by name or kind ("gpu" = the first GPU); -1 when none. */
int hs_pu_find(const hs_sched *s, const char *name_or_kind);
/* Work running on the PU now, queued on it (dispatched, waiting for a
 * slot or for its inputs to arrive), and its free slots. */
int hs_pu_running(const hs_sched *s, int pu);
int hs_pu_queued(const hs_sched *s, int pu);
int hs_pu_free_slots(const hs_sched *s, int pu);
/* Predicted time at which everything running or queued on the PU will
 * have finished (standalone predictions; >= now). */
double hs_pu_available_at(const hs_sched *s, int pu);
/* DRAM bandwidth pressure: bytes/s in use on the PU's memory domain
 * divided by its achievable bandwidth (Agent.xpu's P_mem). */
double hs_bw_pressure(const hs_sched *s, int mem);
double hs_bw_used_bps(const hs_sched *s, int mem);

/* ---- Queries: work ----------------------------------------------------- */
/* The ready list, in the order work became ready (FIFO). */
hs_work *hs_ready_first(const hs_sched *s);
hs_work *hs_ready_next(const hs_sched *s, const hs_work *w);
size_t hs_ready_count(const hs_sched *s);

const hs_item *hs_work_item(const hs_work *w);
hs_req *hs_work_req(const hs_work *w);     /* NULL for a batch of several requests */
uint32_t hs_work_stage(const hs_work *w);  /* stage id within its request */
/* Unique id in the run (0, 1, 2, ... in creation order). */
uint64_t hs_work_id(const hs_work *w);
double hs_work_ready_time(const hs_work *w);
int hs_work_pu(const hs_work *w);          /* -1 until dispatched */
bool hs_work_is_part(const hs_work *w);
size_t hs_work_batch_size(const hs_work *w);        /* 1 unless a batch */
hs_work *hs_work_batch_member(const hs_work *w, size_t i);
/* One pointer of policy-private data per work item. */
void *hs_work_data(const hs_work *w);
void hs_work_set_data(hs_work *w, void *data);

/* Standalone prediction of w on pu (hw/ model: roofline, tables, NPU
 * shape rules), launch included.  INFINITY when pu cannot run it: an op
 * it does not support, or w alone (its model's weights, its index, its
 * KV cache) needs more than the whole capacity of pu's memory domain (see
 * "Memory capacity" below; whether it fits beside what occupies the
 * domain NOW is hs_mem_fits). */
double hs_predict(hs_sched *s, const hs_work *w, int pu);
/* The same for an item that is not a work yet (whole-stage estimates),
 * memory included. */
double hs_predict_item(hs_sched *s, const hs_item *it, int pu);
/* Predicted duration of w on pu if it started now beside what runs now,
 * as the executor itself would run it: its launch plus its body sharing
 * the DRAM (and, on a PU with several slots, the compute) with every
 * kernel running or launching now, each in steady state (the simulator's
 * machine answers by a trial solve; the OpenCL executor by the profile's
 * co-run model).  On a busy one-slot PU w would wait in the PU's queue:
 * the answer is for w running once the PU is free, beside what the other
 * PUs run now (add hs_pu_available_at for its finish); on a PU with
 * several slots, for w sharing the PU with what runs there.  The graph build of an unlisted NPU shape is excluded,
 * as in hs_predict.  INFINITY when pu cannot run w. */
double hs_predict_now(hs_sched *s, const hs_work *w, int pu);
/* Bandwidth w draws on pu while running alone (bytes/s). */
double hs_work_bw_demand(hs_sched *s, const hs_work *w, int pu);
bool hs_can_run(hs_sched *s, const hs_work *w, int pu);
/* Cost of moving w's inputs to pu: the largest, over its inputs produced
 * on another PU, of the edge's communication time (`dag` comm) or the
 * profile's cross-PU sync cost.  0 when all inputs are on pu. */
double hs_input_cost(hs_sched *s, const hs_work *w, int pu);
/* Time at which w's inputs would all be available on pu. */
double hs_input_ready_at(hs_sched *s, const hs_work *w, int pu);
/* The cross-PU handoff cost of this run (0 on the same PU): the profile's
 * fast or blocking sync, as the run's `engine.sync` says. */
double hs_sync_s(const hs_sched *s, int from, int to);

/* ---- Queries: requests -------------------------------------------------- */
uint64_t hs_req_id(const hs_req *r);
const hs_req_class *hs_req_class_of(const hs_req *r);
double hs_req_arrival(const hs_req *r);
/* Absolute deadline from the class SLO; INFINITY when none. */
double hs_req_deadline(const hs_req *r);
/* The request's workflow as revealed so far (read-only): use
 * hs_request_node / hs_request_inputs / hs_request_outputs /
 * hs_request_stage_items of workloads/workloads.h on it. */
const hs_request *hs_req_dag(const hs_req *r);
uint32_t hs_req_nstages(const hs_req *r);
/* Work of this request currently READY, QUEUED or RUNNING. */
size_t hs_req_active_work(const hs_req *r);
/* One pointer of policy-private data per request. */
void *hs_req_data(const hs_req *r);
void hs_req_set_data(hs_req *r, void *data);
/* Requests in flight, in arrival order. */
hs_req *hs_req_first(const hs_sched *s);
hs_req *hs_req_next(const hs_sched *s, const hs_req *r);

/* ---- Parameters ----------------------------------------------------------- */
double hs_param_f64(const hs_sched *s, const char *name);
int64_t hs_param_i64(const hs_sched *s, const char *name);
bool hs_param_bool(const hs_sched *s, const char *name);
const char *hs_param_str(const hs_sched *s, const char *name);
/* HS_PARAM_PU: the PU index, or -1 for "any". */
int hs_param_pu(const hs_sched *s, const char *name);
/* HS_PARAM_MAP: the PU that key maps to; -1 when key is not in the map. */
int hs_param_map_pu(const hs_sched *s, const char *name, const char *key);

/* The policy's own random stream (derived from the run seed). */
hs_rng *hs_sched_rng(hs_sched *s);

/* ---- Actions ---------------------------------------------------------------
 * Each returns 0 on success.  A misuse (a work that is not READY, a PU
 * that cannot run it, incompatible batch members) returns -1 and fails the
 * run with a message naming the policy: a policy bug never corrupts state.
 */

/* Places READY w on pu.  It starts when pu has a free slot and its inputs
 * have arrived there (cross-PU transfer or sync cost paid first); work
 * dispatched to one PU starts in dispatch order. */
int hs_dispatch(hs_sched *s, hs_work *w, int pu);

/* Replaces READY w by n READY parts along axis (sizes sum to the extent
 * of w's item along it: hs_item_split_extent).  The parts may run on
 * different PUs; w's successors wait for all of them, plus the cross-PU
 * sync cost and the copy of the parts' outputs when parts ran on more than
 * one PU (the join: hs_join_cost).  parts[] gets the new works (may be
 * NULL).  w itself is gone after the call.  w may be a batch (see
 * "Batching and step granularity" below). */
int hs_split(hs_sched *s, hs_work *w, hs_split_axis axis, const int64_t *sizes, size_t n,
             hs_work **parts);

/* Replaces n >= 2 READY compatible works (hs_item_batchable, pairwise)
 * by one READY batch whose cost is the batched shape's.  When the batch
 * finishes, each member finishes.  *out gets the batch (may be NULL).
 * Members may be parts of split items (see below). */
int hs_batch(hs_sched *s, hs_work *const *ws, size_t n, hs_work **out);

/* Calls timer(tag) after delay seconds (>= 0): deferral, polling, budgets. */
int hs_timer(hs_sched *s, double delay, uint64_t tag);

/* Speculation (HedraRAG): starts PENDING stage `stage` of r before its
 * inputs are complete, from their partial results.  When the inputs
 * complete, the engine decides whether the speculation held: for a stage
 * fed by a search, whether that search had found all its final hits when
 * the stage was speculated (all in its searched clusters);
 * otherwise a draw from r's stream (the stage's `spec_accuracy`).  If not,
 * the speculative work is thrown away (rollback; counted in the run's
 * wasted_* columns) and the stage runs again from the start. */
int hs_speculate(hs_sched *s, hs_req *r, uint32_t stage);

/* Fails the run with a message (a policy that cannot proceed). */
void hs_sched_fail(hs_sched *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- Batching and step granularity ----------------------------------------
 * No new calls: these are the contracts of hs_batch and hs_split for
 * continuous batching (Orca, vLLM; Agent.xpu v2 Alg. 2), HedraRAG's
 * retrieval minibatches (§4.2.1) and split batches.
 *
 * Continuous batching.  At `granularity: step` (workloads/workloads.h,
 * HS_GRAN_STEP; a workflow stage may set its own) each decode iteration of
 * a request is one work, a whole pass of the model for one token, issued
 * when the previous one finished; prefill comes in chunks of the stage's
 * `chunk_tokens`.  Every step work of one model is batchable with every
 * other, so a policy that, each time its PU is free, batches the READY
 * decode steps of the requests it admits runs iteration-level batching:
 * a request joins once its prefill is done and leaves after its last
 * step.  A batch costs its batched shape: weights read once, each member's
 * attention over its own KV length.  At op and layer granularity decode
 * ops of one slot and layer batch the same way; a whole decode at `stage`
 * granularity never batches (batch_key 0).
 *
 * Batching parts.  hs_batch accepts parts of split items (hs_split along
 * HS_SPLIT_CLUSTERS of several requests' IVF scans: one minibatch of their
 * cluster parts).  When the batch finishes each member part finishes, and
 * its parent joins when all its parts are done (with the join's sync when
 * its parts ran on several PUs).  Refused (the run fails with a message
 * naming the policy and the works: id, request, stage): a member that is
 * not READY, a batch, a part of a split batch, a mix of parts and whole
 * items, a member not hs_item_batchable with the first (another model,
 * op, layer, format or index; a whole decode at stage granularity).
 *
 * Splitting a batch.  hs_split of a READY batch b:
 *   HS_SPLIT_BATCH: sizes count members (each >= 1, summing to
 *     hs_work_batch_size(b)); part i is a sub-batch of the next sizes[i]
 *     members (hs_work_batch_member gives them), costing their batched
 *     shape and waiting only on their inputs;
 *   HS_SPLIT_ROWS: sizes along hs_item_split_extent(item of b, ROWS); each
 *     part computes its share of the weight rows for every member
 *     (weight-centric, HeteroInfer §4) and waits on all members' inputs.
 * Any other axis fails the run.  b's members finish when all its parts
 * have (plus the join's sync when the parts ran on several PUs). */

/* ---- Memory capacity and transfers ----------------------------------------
 * Each memory domain (hs_pu_of(s, pu)->mem; the profile's `memory:` and
 * `memories:`) has a capacity, the profile's `capacity_gb`; a domain
 * without one is unlimited (hs_mem_capacity answers INFINITY).  What
 * occupies it, from the hs_dispatch that first needs it:
 *   - weights: once per (model, format, domain), from the first dispatch
 *     of that model's work to a PU of the domain until hs_mem_unload;
 *   - KV cache: per LLM stage of a request, hs_model_kv_bytes_per_token x
 *     the tokens in context after the dispatched item, growing with each
 *     dispatch, held in the domain of the PU that ran the stage (an item
 *     dispatched to another domain moves it) until the request finishes;
 *   - an IVF index or flat corpus: the vectors a search scan reads, once
 *     per (index, domain), like weights;
 *   - the GPU index cache: a reservation of the size the policy sets.  A
 *     cluster part of a scan (hs_split along HS_SPLIT_CLUSTERS, or a batch
 *     of such parts, each on its own) of at most as many lists as the
 *     domain's cache holds reads the cache, not the whole index: it needs
 *     no resident index there (HedraRAG §4.2.3: the hottest lists on the
 *     GPU, searched there while the rest go to the CPU; the policy sends
 *     the cached share, hs_index_cache_hit_rate, of a request's clusters).
 *     A whole scan, or a larger part, needs the whole index.  hs_predict
 *     of a work keeps its first answer: ask it of a part after the
 *     reservation.
 * hs_dispatch of work whose needs do not fit (used + needed > capacity, or
 * KV caches over the domain's KV budget) fails the run with the reason
 * hs_mem_why gives, naming the work and the domain.  A policy that checks
 * hs_mem_fits first never sees that failure.  Occupancy never changes
 * timing.
 *
 * Transfers: an input produced in another memory domain crosses the link
 * between the domains (hs_link; PCIe on a discrete GPU) as a flow of the
 * link's bandwidth, started at the dispatch: the producer item's output
 * bytes (hs_item.parts.out), plus, for the next item of an LLM stage that
 * changes domain, the KV cache of its context.  The work starts once the
 * bytes have arrived (latency + bytes / bandwidth alone; links are shared
 * by concurrent transfers).  hs_input_cost and hs_input_ready_at include
 * that time.  Domains without a link between them exchange no bytes.
 */

/* Capacity of memory domain mem in bytes (INFINITY: the profile gives
 * none); bytes held now; the most held so far; bytes of KV caches held;
 * the index-cache reservation.  0 for a domain that does not exist. */
double hs_mem_capacity(const hs_sched *s, int mem);
double hs_mem_used(const hs_sched *s, int mem);
double hs_mem_peak(const hs_sched *s, int mem);
double hs_mem_kv(const hs_sched *s, int mem);
double hs_mem_index_cache(const hs_sched *s, int mem);
/* Bytes that dispatching READY w to pu would add to pu's domain: weights
 * and index not resident there yet, and the KV growth (or the whole KV
 * cache when it would move).  0 for an invalid w or pu. */
double hs_mem_needed(hs_sched *s, const hs_work *w, int pu);
/* Whether hs_dispatch(s, w, pu) would fit (false for an invalid w or pu). */
bool hs_mem_fits(hs_sched *s, const hs_work *w, int pu);
/* hs_mem_fits, with the reason in buf (n bytes, truncated): "fits", or the
 * domain, PU, bytes used, needed (weights, index, KV) and capacity -- the
 * text a refused dispatch fails the run with. */
bool hs_mem_why(hs_sched *s, const hs_work *w, int pu, char *buf, size_t n);
/* Eviction: unloads model m's weights (every format) from domain mem; the
 * next dispatch of its work there loads them again (and counts them
 * again).  Returns 0 (also when they were not resident).  Fails the run
 * (-1) for an invalid domain or model, or while work reading m is queued
 * or running on a PU of mem. */
int hs_mem_unload(hs_sched *s, const hs_model *m, int mem);
/* The KV-cache versus index-cache split of a domain (HedraRAG §4.2 item
 * 3: the GPU memory left by the weights is shared between vLLM's KV
 * cache and the hot IVF lists; its artifact reserves (1 -
 * gpu_memory_utilization 0.8) x 0.6 x 80 GB = 9.6 GB for the index on an
 * H100).  hs_mem_set_index_cache reserves `bytes` (>= 0, replacing the
 * previous reservation) for the index cache; hs_mem_set_kv_budget caps the
 * KV caches held in the domain (INFINITY: no cap, the default).  Each
 * returns 0, or fails the run (-1) for an invalid domain or size, a
 * reservation that does not fit beside what the domain holds, or a budget
 * below the KV caches held.  The cache's hit rate: hs_index_cache_hit_rate. */
int hs_mem_set_index_cache(hs_sched *s, int mem, double bytes);
int hs_mem_set_kv_budget(hs_sched *s, int mem, double bytes);
/* The hit rate of domain mem's index cache for IVF scan w (a work, a part
 * or a batch of them): the cache holds the g hottest lists it has room
 * for, g = floor(hs_mem_index_cache(s, mem) / bytes of one list), and a
 * query's hits fall in them with the cluster-hit model's share,
 * hs_cluster_hit_share(nlist, the stage's cluster_skew, g) (HedraRAG
 * §4.2.3: the top 20% of lists carry 69% of hits).  0 for work that is
 * not an IVF scan (a flat index has no lists), an invalid domain, or no
 * reservation. */
double hs_index_cache_hit_rate(hs_sched *s, const hs_work *w, int mem);
/* Seconds the transfer of w's inputs into pu's domain takes alone
 * (latency + bytes / bandwidth); 0 when none crosses a link. */
double hs_transfer_s(hs_sched *s, const hs_work *w, int pu);
/* ---- Recall, preemption, graph pre-builds, join costs ----------------------
 * Agent.xpu's kernel-level preemption (v1 §2.3: the running kernel
 * finishes, the request is checkpointed with its remaining kernels) and
 * NPU graph warm-up (v2 §2.4), HeteroInfer's join cost (§3.2).  Each
 * misuse fails the run with a message naming the policy and the work. */

/* Takes back QUEUED w (dispatched, not started): it leaves its PU's queue
 * (the work behind it moves up and may start now) and is READY again, at
 * the tail of the ready list, announced again through work_ready.  It is
 * the same work: its id, ready time, policy data and predictions
 * (hs_predict: standalone, so still valid) are kept; hs_work_pu is -1.
 * Costs nothing (nothing ran).  Any work that is not QUEUED (READY,
 * RUNNING, a graph pre-build) is an error.  Counted in `recalls`. */
int hs_recall(hs_sched *s, hs_work *w);

/* Stops RUNNING w early, at its next kernel boundary, and gives back what
 * is left as a READY remainder work of the same request and stage.  The
 * kernels of an item: at layer granularity the ops of the layer (or of
 * the head); at stage granularity the layers of a prefill or encoder pass
 * (the head one more), or the steps of a whole decode (hs_item_kernels).
 * The kernel under way finishes and the later ones are dropped: w's
 * work_done comes at the stop (its item then done only in part), then the
 * remainder (hs_item_remainder: the kernels left, lowered as the lowering
 * lowers them) is announced by work_ready, at the tail of the ready list;
 * its inputs are w's outputs on w's PU, there at the stop plus the PU's
 * preempt_cost_us.  The stage's successors wait for the remainder.  On a
 * PU whose preempt_us > 0 (a CPU thread the OS deschedules within a
 * quantum) w stops within preempt_us if that comes first, inside a kernel;
 * its remainder then holds that kernel's unfinished share (and can be
 * neither split, batched nor preempted again).  An executor times the
 * kernels of one item as equal shares of it (the simulated machine runs
 * an aggregate as one fluid kernel).  When the kernel under way is the
 * last, nothing changes.  A second call before the stop does nothing.
 * Errors: w not RUNNING, a part, a batch, a graph pre-build, one kernel
 * (op granularity, fixed-cost work), or an executor that cannot stop
 * running work (the OpenCL executor enqueues an item's kernels at once).
 * Counted in `preemptions`. */
int hs_preempt(hs_sched *s, hs_work *w);

/* Builds the static graph that a GEMM of m rows needs on NPU npu (its
 * shape after the NPU's static shapes and tile; hs_cost's needs_build),
 * on PU pu (the NPU itself, or the CPU as Agent.xpu v2 does): a work of
 * no request queued on pu behind what is dispatched there, holding a slot
 * like a kernel for the NPU's graph_build time at that shape.  When it
 * finishes (work_done is called for it: hs_work_req NULL, hs_work_pu pu)
 * the shape is recorded as built on npu, and a kernel of that shape
 * starting on npu afterwards pays no build -- one record per NPU, shared
 * with the builds kernels pay themselves.  A shape that needs no build,
 * or is built, costs nothing (returns 0).  Errors: a bad PU or m < 1, an
 * npu that runs no GEMM, an executor that keeps no record of graphs (the
 * OpenCL executor). */
int hs_prebuild(hs_sched *s, int npu, int64_t m, int pu);
/* Whether a GEMM of m rows on npu pays no graph build now: its shape is
 * listed (or padded to a listed one), was built, or npu has no static-
 * shape rules.  False for a bad PU or m. */
bool hs_graph_built(hs_sched *s, int npu, int64_t m);

/* What the join of w, were it split into parts running on pus[0..n-1],
 * would cost after its last part: nothing when they are all one PU;
 * otherwise the largest pairwise sync of the run's mode (hs_sync_s) plus
 * copying the parts' outputs (w's item parts.out bytes) at the profile's
 * copy_gbps (0: free).  hs_split's join pays exactly this. */
double hs_join_cost(hs_sched *s, const hs_work *w, const int *pus, size_t n);
/* ---- Speculation by progress, look-ahead, energy per request ----------
 * Queries only: any hook may call them; none changes the run. */

/* Progress of search stage `stage` of r (workloads.h, "Progress of a
 * search"): clusters searched so far (the finished prefix of the probe
 * order: a cluster part that finishes before an earlier one counts once
 * the gap is filled) and whether the running top-k changed within the
 * last m clusters searched (m >= 1; true while searched <= m): what
 * HedraRAG's engine sees.  A speculation on a consumer of the search made
 * now holds iff every final hit lies in the searched prefix, which the
 * policy does not see.  The hit ranks come from r's own stream, never from
 * what the policy does.  Returns 0, or -1 (out untouched) for a stage that
 * is not a revealed search stage of r. */
int hs_req_search_progress(const hs_req *r, uint32_t stage, int64_t m, hs_search_progress *out);

/* HeRo's CS_F: the expected FLOPs, bytes and work items of what r's
 * workflow template says follows revealed stage `stage` (workloads.h,
 * hs_request_expected_downstream: forward successors weighted by their
 * propagated probabilities, later loops by their expected iterations, the
 * remaining iterations of its own loop).  Computed per call from the
 * template (O(stages x edges)): call it when the DAG grows, not per
 * dispatch.  Returns 0, or -1 (out untouched) for a bad stage or a `dag` /
 * `synthetic` request (no template).  The template's probabilities
 * themselves: hs_request_template_expect / hs_request_template_edges on
 * hs_req_dag(r).  The hit share of a GPU cache of the g hottest
 * clusters: hs_cluster_hit_share (workloads.h). */
int hs_req_expected_downstream(const hs_req *r, uint32_t stage, hs_work_expect *out);

/* Energy attributed to r so far: each finished kernel's share of its PU's
 * active energy plus its DRAM energy (a batch's split among its members by
 * FLOPs), wasted work included; idle energy is nobody's.  NaN when the
 * executor cannot attribute energy (the OpenCL one). */
double hs_req_energy_j(const hs_sched *s, const hs_req *r);

/* ---- Executor capabilities ------------------------------------------------
 * What the executor running the policy can do, so that a policy degrades
 * instead of failing the run (Agent.xpu's NPU warm-up on the OpenCL
 * backend). */

/* Whether hs_prebuild(s, npu, m, pu) can succeed (for a valid pu): the
 * executor keeps a record of built NPU graphs (the simulated one does; the
 * OpenCL one does not, and there hs_prebuild fails the run), and npu runs
 * a GEMM of m rows.  False for a bad PU or m. */
bool hs_can_prebuild(hs_sched *s, int npu, int64_t m);

/* ---- Plugin queries: finish time, PU kind and queue, energy; rules ----------
 * Queries only: any hook may call them; none changes the run.
 *
 * Walking the ready list while dispatching.  hs_dispatch, hs_split and
 * hs_batch take works out of the ready list, and a work out of it has no
 * next (hs_ready_next answers NULL), so read the next work BEFORE acting:
 *     for (hs_work *w = hs_ready_first(s), *next; w; w = next) {
 *         next = hs_ready_next(s, w);
 *         ... hs_dispatch(s, w, pu) ...
 *     }
 * New READY works (hs_split's parts, hs_batch's batch, a hs_recall'ed
 * work, a preempted work's remainder) join at the tail, so the same walk
 * meets them later: mark what you made (hs_work_set_data) or check
 * hs_work_is_part when it must not be revisited.  hs_batch takes ALL its
 * members out: when the saved `next` may be one of them, restart from
 * hs_ready_first.  A work pointer stays valid until its work_done hook
 * returns, but only READY works may be acted on.
 *
 * Per-run state.  A process runs many runs one after another (a sweep's
 * worker, `hetsoc bench`, the tests), so keep everything that changes
 * during a run in the state init() stores (freed in fini(), also after a
 * failed run), per work in hs_work_set_data and per request in
 * hs_req_set_data -- never in static or global variables, which would
 * leak one run's decisions into the next and break "the same seed gives
 * the same results".  Static const tables are fine.  Randomness comes from
 * hs_sched_rng, never rand(). */

/* The breakdown of hs_finish_at. */
typedef struct hs_finish_estimate {
    double start_s;      /* when w would start on pu (its launch begins) */
    double queue_s;      /* of start_s - now: the wait for pu (what runs and is queued there) */
    double input_s;      /* of start_s - now: the further wait for its inputs (transfer, sync) */
    double launch_s;     /* the launch that would apply: pu's queued launch when w follows
                            work on pu with its inputs there, else its launch; plus the NPU
                            graph build of a shape not built yet */
    double body_s;       /* its body beside what runs now (hs_predict_now's contention) */
    double finish_s;     /* start_s + launch_s + body_s */
} hs_finish_estimate;

/* When w would finish were it dispatched to pu now: the wait for pu (now
 * when pu has a free slot; else hs_pu_available_at, which counts the work
 * running and queued there by their standalone predictions), the wait for
 * its inputs (hs_input_ready_at), the launch that would apply (above) and
 * its body sharing the DRAM with what runs now (hs_predict_now less its
 * plain launch).  An estimate at this instant: later dispatches and
 * finishes change the sharing.  Fills *out when not NULL.  Returns
 * finish_s, or INFINITY (out untouched) when pu cannot run w or is not a
 * PU. */
double hs_finish_at(hs_sched *s, const hs_work *w, int pu, hs_finish_estimate *out);

/* The kind of pu, read without hw.h's struct layouts (which the ABI
 * version does not cover): hs_pu_kind's value (HS_PU_CPU, HS_PU_GPU, ...),
 * HS_PU_KIND_COUNT for an invalid pu; and its name as profiles write it
 * ("cpu", "gpu", "npu", "dsp", "generic"), NULL for an invalid pu. */
hs_pu_kind hs_pu_kind_of(const hs_sched *s, int pu);
const char *hs_pu_kind_str(const hs_sched *s, int pu);

/* The works on a PU.  hs_pu_queue_first: the first work queued on pu
 * (dispatched, not started), the one that starts next; the queue then
 * runs in dispatch order.  hs_pu_running_first: one work running on pu,
 * the most recently started first.  hs_pu_work_next: the work after w in
 * the same list (NULL at the end); w must come from one of these two
 * calls in this instant, unchanged since (hs_recall takes w out: read
 * next first).  NULL for an invalid pu or an empty list.  Counts:
 * hs_pu_queued, hs_pu_running. */
hs_work *hs_pu_queue_first(const hs_sched *s, int pu);
hs_work *hs_pu_running_first(const hs_sched *s, int pu);
hs_work *hs_pu_work_next(const hs_sched *s, const hs_work *w);

/* Predicted energy that running w on pu would be charged (what
 * hs_req_energy_j attributes once it ran): pu's active power x w's
 * standalone body time (the launch and a graph build draw no active
 * power) plus the bytes w moves x the energy per byte of pu's memory
 * domain.  Exact for w running alone; under contention the body (so the
 * active share) stretches.  Idle power is nobody's.  INFINITY when pu
 * cannot run w or is not a PU. */
double hs_predict_energy_j(hs_sched *s, const hs_work *w, int pu);
/* ---- Early termination of a search -------------------------------------------
 * HedraRAG §4.2.2: once a retrieval's running top-k has settled, the
 * rest of its IVF scan is not searched (similarity-aware reordering puts
 * the likely clusters first, so it ends up to 28% earlier).  The search
 * then returns the top-k of the clusters it searched: final hits in the
 * dropped clusters are lost (a recall loss), not awaited. */

/* Drops the parts of r's split scan of search stage `stage` that have not
 * started, so the search ends with what its other parts search.
 * Preconditions: `stage` is a revealed search stage of r, READY and
 * running its scan (the stage's last item), which the policy split along
 * HS_SPLIT_CLUSTERS, and at least one part of it has finished
 * (hs_req_search_progress: searched > 0 or a later part done).
 * Dropped: every part of that scan that is READY or QUEUED on a PU,
 * except a part inside a batch (the batch runs for its other members, the
 * part with it) and a part split again (its own parts run).  A dropped
 * part is gone when the call returns (its pointer is invalid; a policy
 * that indexes its ready work forgets it first); no work_done or
 * work_ready is called for it; it never runs, so it adds nothing to the
 * run's busy time, energy, `works`, kernel rows or wasted_* columns (it
 * is not a rollback).  Parts RUNNING (or kept) finish as usual and
 * extend the searched prefix.  When no part of the scan is left, the
 * scan joins (with the join's sync when its parts ran on several PUs) in
 * an event of this instant after the call: the stage completes, its
 * successors become ready, never inside the call.  The search's final
 * searched prefix is then the finished parts' prefix (workloads.h,
 * hs_request_search_truncate), which also decides any speculation on its
 * consumers: it holds iff no hit lies between the prefix searched when it
 * was made and that final prefix.  Returns the number of parts dropped
 * (0: all had started; the stage still ends at their prefix), or -1 on a
 * misuse, which fails the run with a message naming the policy. */
int hs_search_drop_rest(hs_sched *s, hs_req *r, uint32_t stage);
/* ---- Checking map parameters ----------------------------------------------
 * For a policy's init to reject a map key that names nothing (a typo would
 * otherwise match no work and leave the map silently unused). */

/* The mapping an HS_PARAM_MAP parameter holds, with each key's position
 * (hs_node's keys, key_line, key_col), for the life of the run; NULL when
 * name is not a declared map parameter (which also fails the run). */
const hs_node *hs_param_map_node(const hs_sched *s, const char *name);
/* Fills names[0..cap) with the distinct stage names of the run's workload
 * (its workflow templates' stages, its dag tasks) and returns how many it
 * has (more than cap: only cap filled).  The strings live for the run. */
size_t hs_run_stage_names(const hs_sched *s, const char **names, size_t cap);

/* ---- Similarity-aware cluster order of a search ---------------------------
 * HedraRAG §4.2.2: a request's later search scans first the clusters that
 * held its previous search's results (H_v ∩ C'), then those assigned to
 * that search ((C - H_v) ∩ C'), then the rest, each group in probe order,
 * after probing the previous search's cached larger top-k.  With early
 * termination (hs_search_drop_rest) a scan whose hits come early stops
 * early.  The model of where the hits then fall: workloads.h, "Similarity
 * order of a search". */

/* Reorders the scan of r's search stage `stage` as above, relative to r's
 * search that finished last (none yet: the probe order stays), the scan
 * probing first a cache of that search's local_topk best results (0: no
 * cache).  Preconditions: `stage` is a revealed search stage of r, not
 * DONE, no cluster of its scan searched yet (call it when its scan work
 * becomes ready, before splitting it), local_topk >= 0.  From the call on,
 * the scan's clusters are numbered in the new order: the parts of a
 * hs_split along HS_SPLIT_CLUSTERS take them in that order (part i covers
 * scan positions, not probe ranks), hs_req_search_progress counts searched
 * clusters in it, and early termination and the speculations on the
 * stage's consumers are judged by where the final hits sit in it.  The
 * cache probe: a hit it holds is found before the first cluster (its
 * running top-k holds the final hit from position 0).  Its cost is not
 * charged: scoring local_topk cached vectors against the query is
 * local_topk / (vectors per cluster) of one cluster's scan (20 of ~9,300
 * on HedraRAG's 38M-passage IVF4096 index: 0.2%), below what the cost
 * model resolves.  No work's cost changes (every cluster of a scan costs
 * the same); the call draws nothing a baseline sees, so a run whose
 * policy never calls it is unchanged.  Deterministic (the same seed gives
 * the same order whenever it is called; after a rollback the restarted
 * scan is in probe order until reordered again).  Fills *out (may be
 * NULL) with the tier sizes, what the real system knows; where the hits
 * are is not told.  Returns 0, or -1 on a misuse, which fails the run
 * with a message naming the policy. */
int hs_search_reorder(hs_sched *s, hs_req *r, uint32_t stage, int64_t local_topk,
                      hs_search_order *out);

#pragma GCC visibility pop

#endif
