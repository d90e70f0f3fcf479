/* hetsoc: the engine's private structures, shared by engine.c (lifecycle),
 * sched.c (the policy-facing context), params.c and metrics.c.  Not
 * installed; policies never see it. */
#ifndef HS_ENGINE_INTERNAL_H
#define HS_ENGINE_INTERNAL_H

#include <gsl/gsl_rstat.h>

#include "sim/engine/engine.h"
#include "sim/engine/params.h"
#include "sim/engine/quantile.h"
#include "sim/exec/cost.h"
#include "sim/exec/exec_sim.h"

enum { HS_WORK_PRED_PUS = 8 };

/* What a work's completion means beyond the usual (work_done_cb). */
typedef enum hs_work_role {
    HS_WORK_PLAIN,       /* an item, a part or a batch */
    HS_WORK_PREEMPTED,   /* stops early (hs_preempt): its remainder follows */
    HS_WORK_PREBUILD,    /* an NPU graph build (hs_prebuild): no request */
} hs_work_role;

typedef enum hs_work_state {
    HS_WORK_READY,
    HS_WORK_QUEUED,
    HS_WORK_RUNNING,
    HS_WORK_DONE,
} hs_work_state;

struct hs_work {
    /* Reset for each new work (work_take in engine.c), up to pred_valid. */
    uint64_t id;
    hs_req *req;             /* NULL for a batch of several requests */
    uint32_t stage;
    hs_work_state state;
    uint8_t role;            /* hs_work_role */
    bool first_of_stage;     /* its inputs are the stage's DAG inputs */
    bool cut;                /* a split scan (or part) some of whose parts were dropped unrun
                                (hs_search_drop_rest): it does not cover its clusters */
    int32_t epoch;           /* its stage's rollback count when it was issued */
    int pu;
    double ready_time, start_time, predicted_s;
    void *policy_data;
    hs_work *ready_prev, *ready_next;  /* the ready list */
    hs_work *queue_next;               /* its PU's dispatch queue */
    /* A part of a split item: the item being joined. */
    hs_work *parent;
    /* A split item waiting for its parts (it left the ready list). */
    uint32_t parts_left;
    uint64_t parts_pus;      /* bit i: a part ran on PU i (i < 64) */
    int part_last_pu;
    /* A batch: its members (they left the ready list). */
    hs_work **members;
    uint32_t nmembers;
    hs_work *free_next;      /* the engine's free list */
    /* Inputs from another memory domain (memory.c): when their transfer
     * arrived (-INFINITY: none needed, INFINITY: in flight). */
    double xfer_at;
    double xfer_from;        /* when it started (valid while xfer_at > -INFINITY) */
    uint32_t xfer_slot;      /* its entry in hs_sched.xfers while xfer_at is INFINITY */
    /* Valid as role says.  HS_WORK_PREEMPTED: kernels of its item done at
     * the stop.  HS_WORK_PREBUILD: the NPU and graph shape it builds. */
    double stop_kernels;
    int graph_pu;
    int64_t graph_m;
    /* What its kernel cost, set when it finishes (a batch member: its
     * share; a split item: the sum of its parts; 0 for a delay and for
     * work that never ran): what a rollback wastes. */
    double busy_s, energy_j;
    /* The full cost of its item on PU cost_pu (-1: none yet), from the
     * last memo lookup: the prediction a policy asked for is, as a rule,
     * that of the PU the work then starts on, so the start reuses it. */
    int cost_pu;
    uint32_t pred_valid;     /* bit p: pred[p] holds hs_predict on PU p */
    /* Not zeroed: valid as pred_valid and cost_pu say; the item is filled
     * by whoever makes the work. */
    double pred[HS_WORK_PRED_PUS];
    hs_cost cost;
    hs_item item;
};

/* Per-stage bookkeeping of a request, indexed by stage id. */
typedef struct hs_stage_rt {
    int last_pu;             /* PU of its last finished item; -1: none yet */
    double last_end;         /* time its last item finished */
    double last_out;         /* output bytes of its last item (parts.out): what a
                                consumer in another memory domain transfers */
    double kv_bytes;         /* KV cache it holds (LLM stages, memory.c) */
    int kv_mem;              /* the domain holding it */
    /* Items finished while it was speculative: wasted if it rolls back. */
    uint64_t spec_works;
    double spec_busy_s, spec_energy_j;
} hs_stage_rt;

struct hs_req {
    hs_request *dag;
    hs_arrival arr;
    double first_token;      /* NaN until the first answer token */
    hs_stage_rt *stages;
    uint32_t nstages_seen, stages_cap;
    size_t active;           /* works READY, QUEUED or RUNNING */
    double energy_j;         /* attributed: its kernels' active + DRAM energy */
    double queue_s, service_s;   /* its works' ready-to-start and start-to-end seconds, summed */
    void *policy_data;
    hs_req *prev, *next;     /* requests in flight, arrival order */
};

/* Occupancy of one memory domain (memory.c). */
typedef struct hs_mem_rt {
    double capacity;         /* bytes; INFINITY when the profile gives none */
    double used, peak;       /* every occupant, the index-cache reservation included */
    double kv, kv_budget;    /* KV caches held, and their cap (INFINITY: none) */
    double cache;            /* the GPU index-cache reservation */
} hs_mem_rt;

/* Weights of a model, or an IVF index, resident in one domain. */
typedef struct hs_resident {
    const hs_model *model;   /* NULL for an index */
    hs_quant quant;
    double index_key[4];     /* index: nlist, vectors per list, dim, dtype */
    int mem;
    double bytes;
} hs_resident;

typedef struct hs_pu_rt {
    hs_work *queue_head, *queue_tail;
    hs_work *running_head;   /* running work, linked through queue_next */
    int slots;               /* the profile's, or HS_SLOTS_UNLIMITED */
    int queued, running;
    double last_end;         /* when a kernel last finished on it */
    hs_event *wakeup;        /* pending retry when the head waits for inputs */
    double wakeup_at;
} hs_pu_rt;

/* Latency statistics of one class (or all): running means, and quantiles
 * exact up to HS_QUANTILE_EXACT_MAX requests (quantile.h). */
typedef struct hs_lat_acc {
    gsl_rstat_workspace *lat, *ttft;
    hs_quantiles quant;
    uint64_t slo_met, slo_count;
    double first_arrival, last_finish;
    double norm_latency_sum, token_energy_j;   /* over requests with tokens */
    uint64_t token_requests, tokens;
} hs_lat_acc;

struct hs_sched {
    const hs_run_cfg *cfg;
    const hs_hw *hw;
    const hs_workload *wl;
    const hs_policy_ops *pol;
    void *pol_state;
    bool pol_inited;         /* init() succeeded: fini() is owed */
    hs_exec *x;
    hs_gen *gen;
    hs_rng rng;

    hs_param_set params;     /* the policy's parameters, defaults filled */

    hs_pu_rt *pus;
    double *sync_s;          /* npus x npus: hs_hw_sync_s of the run's sync mode */
    hs_work *ready_head, *ready_tail;
    size_t nready;
    hs_req *req_head, *req_tail;
    hs_work *free_works;
    struct hs_work_slab *slabs;
    uint64_t next_work_id;

    double t;                /* the time of the callback being handled */
    hs_event *arrival_ev;    /* the pending arrival callback */
    double arrival_at;
    bool schedule_posted;
    bool dirty;              /* something changed since schedule() last ran */
    bool failed;
    hs_err err;

    hs_cost_cache *costs;    /* memo of kernel predictions */
    hs_lat_acc all;
    hs_lat_acc *classes;
    double makespan;
    uint64_t splits, batches, speculations, rollbacks;
    uint64_t recalls, preemptions;
    uint64_t wasted_works;   /* thrown away by rollbacks (hs_engine_note_wasted) */
    double wasted_busy_s, wasted_energy_j;
    int64_t warmup;

    /* memory.c */
    hs_mem_rt *mem;
    hs_resident *resident;
    size_t nresident, resident_cap;
    /* Weight bytes of the last models asked about (memory.c): every
     * dispatch and prediction asks, and a run has few models. */
    struct hs_wbytes { const hs_model *m; hs_quant q; double bytes; } wbytes[8];
    unsigned nwbytes;
    uint64_t transfers;
    double transfer_bytes, transfer_s;
    /* Transfers in flight: the work each one feeds (NULL once that work
     * left its queue: recalled, withdrawn) and its id; free entries are
     * chained through `id`. */
    struct hs_xfer { hs_work *w; uint64_t id; } *xfers;
    uint32_t nxfers, xfers_cap, xfer_free;
};

/* The engine's internal calls are not exported from the library: calls
 * between its files are then direct, and within a file may be inlined. */
#define HS_ENGINE_HIDDEN __attribute__((visibility("hidden")))

/* engine.c */
HS_ENGINE_HIDDEN void hs_engine_ready(hs_sched *s, hs_work *w);
HS_ENGINE_HIDDEN void hs_engine_unready(hs_sched *s, hs_work *w);
HS_ENGINE_HIDDEN hs_work *hs_engine_work_new(hs_sched *s);
HS_ENGINE_HIDDEN void hs_engine_touch(hs_sched *s);
HS_ENGINE_HIDDEN void hs_engine_settle(hs_sched *s);
HS_ENGINE_HIDDEN int hs_engine_speculate(hs_sched *s, hs_req *r, uint32_t stage);
HS_ENGINE_HIDDEN double hs_engine_input_ready(hs_sched *s, const hs_work *w, int pu, double *cost);
HS_ENGINE_HIDDEN void hs_engine_fail(hs_sched *s, const char *msg);
HS_ENGINE_HIDDEN void hs_engine_work_free(hs_sched *s, hs_work *w);
/* Appends QUEUED w to pu's dispatch queue and starts what can start. */
HS_ENGINE_HIDDEN void hs_engine_enqueue(hs_sched *s, hs_work *w, int pu);
/* Takes QUEUED w out of its PU's queue (its pu is then -1); the caller
 * then starts what the queue can start without it (hs_engine_try_start). */
HS_ENGINE_HIDDEN void hs_engine_dequeue(hs_sched *s, hs_work *w);
HS_ENGINE_HIDDEN void hs_engine_try_start(hs_sched *s, int pu);
/* Drops the unstarted parts of r's split scan of `stage` (READY or
 * QUEUED, not batched): hs_search_drop_rest's engine side.  Returns how
 * many. */
HS_ENGINE_HIDDEN size_t hs_engine_drop_rest(hs_sched *s, hs_req *r, uint32_t stage);

/* preempt.c: recall, preemption, graph pre-builds, join costs. */
/* Preempted w reached its stop (and is not stale): its remainder replaces
 * it in its request, READY; w is freed. */
HS_ENGINE_HIDDEN void hs_engine_remainder(hs_sched *s, hs_work *w);
/* A pre-build finished: its graph is recorded as built; w is freed. */
HS_ENGINE_HIDDEN void hs_engine_prebuilt(hs_sched *s, hs_work *w);
/* The join of a split item whose parts ran on the PUs of mask pus (bit i:
 * PU i) and wrote out_bytes: nothing on one PU; on several, the largest
 * pairwise sync of the run's mode plus copying out_bytes at the profile's
 * copy_bps (HeteroInfer §3.2: T_sync + T_copy). */
HS_ENGINE_HIDDEN double hs_engine_join_s(const hs_sched *s, uint64_t pus, double out_bytes);
/* w is thrown away by a rollback (its completion dropped as stale, or
 * withdrawn before it ran): counts it with what it cost (w->busy_s,
 * w->energy_j).  The caller still frees it. */
HS_ENGINE_HIDDEN void hs_engine_note_wasted(hs_sched *s, const hs_work *w);

/* Every executor callback into the engine starts here: the executor's
 * clock does not move while a callback runs (engine.h), so the engine
 * reads it once per callback rather than at every use. */
static inline void hs_engine_enter(hs_sched *s) { s->t = s->x->ops->now(s->x); }

/* The work's full cost on pu (a valid PU): one memo lookup per PU change,
 * kept in the work: the PU a policy asked about is, as a rule, the one it
 * dispatches to, and the dispatch and the start reuse that lookup. */
static inline const hs_cost *hs_engine_work_cost(hs_sched *s, hs_work *w, int pu)
{
    if (w->cost_pu != pu) {
        hs_item_cost_cached(s->costs, s->hw, &w->item, pu, &w->cost);
        w->cost_pu = pu;
    }
    return &w->cost;
}


/* memory.c: occupancy (weights, KV, indexes, index cache) and transfers
 * between memory domains. */
HS_ENGINE_HIDDEN int hs_mem_setup(hs_sched *s, hs_err *err);
HS_ENGINE_HIDDEN void hs_mem_teardown(hs_sched *s);
/* Admits w on pu at dispatch: loads what it needs, or fails the run. */
HS_ENGINE_HIDDEN int hs_mem_admit(hs_sched *s, hs_work *w, int pu);
HS_ENGINE_HIDDEN bool hs_mem_exceeds(hs_sched *s, const hs_work *w, int pu);
HS_ENGINE_HIDDEN bool hs_mem_item_exceeds(hs_sched *s, const hs_item *it, int pu);
/* Releases the KV caches of a finished request. */
HS_ENGINE_HIDDEN void hs_mem_release_req(hs_sched *s, hs_req *r);
/* Starts the transfer of queued w's inputs (w->xfer_at = INFINITY until
 * it arrives; then the PU's queue is retried).  Returns 0 or -1 (failed). */
HS_ENGINE_HIDDEN int hs_mem_xfer_start(hs_sched *s, hs_work *w, int pu);
/* Queued w leaves its PU's queue (recall, withdrawal): a transfer still
 * feeding it arrives for nothing, and a later dispatch starts afresh. */
HS_ENGINE_HIDDEN void hs_mem_xfer_forget(hs_sched *s, hs_work *w);

/* metrics.c */
int hs_lat_acc_init(hs_lat_acc *a);
void hs_lat_acc_free(hs_lat_acc *a);
/* Returns 0, or -1 out of memory (the latency is then not counted). */
int hs_lat_acc_add(hs_lat_acc *a, double arrival, double finish, double ttft, double slo);
void hs_lat_acc_report(hs_lat_acc *a, hs_latency_stats *out);
/* A finished request's tokens (prompt + output of its LLM stages) and
 * attributed energy: s_per_token and j_per_token count only requests with
 * tokens > 0. */
void hs_lat_acc_add_tokens(hs_lat_acc *a, double latency, uint64_t tokens, double energy_j);

#endif
