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
 * Preemption happens at work-item boundaries: a policy that wants to
 * preempt simply stops feeding the low-priority request.
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

/* Bumped whenever struct hs_policy_ops or a context function changes. */
#define HS_POLICY_ABI_VERSION 1u
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
 * shape rules), launch included.  INFINITY when pu cannot run it. */
double hs_predict(hs_sched *s, const hs_work *w, int pu);
/* The same for an item that is not a work yet (whole-stage estimates). */
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
 * sync cost when parts ran on more than one PU (the join).  parts[] gets
 * the new works (may be NULL).  w itself is gone after the call. */
int hs_split(hs_sched *s, hs_work *w, hs_split_axis axis, const int64_t *sizes, size_t n,
             hs_work **parts);

/* Replaces n >= 2 READY compatible works (hs_item_batchable, pairwise)
 * by one READY batch whose cost is the batched shape's.  When the batch
 * finishes, each member finishes.  *out gets the batch (may be NULL). */
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

/* ---- Speculation by progress, look-ahead, energy per request ----------
 * Queries only: any hook may call them; none changes the run. */

/* Progress of search stage `stage` of r (workloads.h, "Progress of a
 * search"): clusters searched so far (the finished prefix of the probe
 * order: a cluster part that finishes before an earlier one counts once
 * the gap is filled) and whether the running top-k changed within the
 * last m clusters searched (m >= 1; true while nothing is searched): what
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

#pragma GCC visibility pop

#endif
