/* hetsoc: the engine -- runs one workload on one hardware profile under one
 * policy, on an executor (simulated or real), and reports metrics.
 *
 * This is the runner-facing header (the command line, the experiment
 * runner, the real backend).  Policies see only policies/policy.h.
 *
 * The engine owns the request lifecycle: arrivals from the workload's
 * generator, each request's DAG progression (stages revealed at run time,
 * their work items lowered one at a time), work items split and joined,
 * batched across requests, cross-PU handoffs that pay the profile's sync
 * or the DAG edge's communication cost, and metrics that stream out as
 * requests finish (memory stays flat however long the simulated time).
 *
 * The executor interface below is the only thing that differs between the
 * simulator and hardware.
 */
#ifndef HS_ENGINE_H
#define HS_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "policies/policy.h"

/* ---- Executors ----------------------------------------------------------
 * An executor runs kernels on PUs and keeps the clock.  The engine drives
 * it through these calls only; every callback the executor makes into the
 * engine happens from inside run(), one at a time.
 */
typedef struct hs_exec hs_exec;
enum { HS_EXEC_QUEUED = 1u << 0 };

/* The standalone cost of a work item on a PU, as the engine predicts it
 * from the hardware profile (policies/cost.h's hs_item_cost): what the
 * engine and an executor need of a prediction. */
typedef struct hs_cost {
    int rc;              /* 0, or HS_PRED_CANNOT_RUN */
    double latency_s;    /* body + launch (graph build excluded) */
    double body_s;       /* the roofline body or a table's time */
    double launch_s;
    double queue_launch_s; /* launch of a kernel queued behind one on the same PU */
    double build_s;      /* NPU graph build of an unlisted shape (needs_build) */
    double bytes;
    double bound_bps;    /* bytes / body: the bandwidth it draws alone */
    int64_t m;           /* m after NPU padding (the graph's shape) */
    bool needs_build;
} hs_cost;

typedef void (*hs_exec_fn)(void *engine, uint64_t arg);

typedef struct hs_exec_ops {
    const char *name;  /* "sim", "real" */
    /* The current time, seconds from the start of the run.  It does not
     * move while a callback runs (the engine reads it once per callback). */
    double (*now)(hs_exec *x);
    /* Calls fn(engine, arg) at time t >= now, after every callback
     * already due at t.  Returns a handle for cancel, or NULL on OOM. */
    hs_event *(*at)(hs_exec *x, double t, hs_exec_fn fn, uint64_t arg);
    /* Withdraws a callback that has not run yet. */
    void (*cancel)(hs_exec *x, hs_event *ev);
    /* Starts a kernel for item on pu (the engine checked it has a free
     * slot).  flags: HS_EXEC_QUEUED when the kernel follows another on the
     * same PU back to back with its inputs already there, so that an
     * in-order queue overlaps its launch with the previous kernel
     * (hw/'s queue_launch).  When it finishes the executor calls the done
     * function given to bind() with token.  Returns 0, or -1 with err. */
    int (*start)(hs_exec *x, int pu, const hs_item *item, unsigned flags, void *token, hs_err *err);
    /* Binds the executor to a run: the engine pointer every callback
     * receives and the kernel-completion function (before anything else). */
    void (*bind)(hs_exec *x, void (*done)(void *engine, void *token), void *engine);
    /* Runs callbacks and kernels until nothing is left, the clock passes
     * end_time, max_events callbacks ran (0: no budget) or stop() is
     * called.  Returns the number of events handled. */
    uint64_t (*run)(hs_exec *x, double end_time, uint64_t max_events);
    void (*stop)(hs_exec *x);
    /* Bytes/s in use now on memory domain mem. */
    double (*bw_used)(hs_exec *x, int mem);
    /* Busy seconds and joules of a PU, and DRAM joules of all domains,
     * integrated up to now. */
    void (*pu_stats)(hs_exec *x, int pu, double *busy_s, double *energy_j);
    double (*dram_energy)(hs_exec *x);
    void (*destroy)(hs_exec *x);
    /* Optional: the time of the next callback or completion already due,
     * INFINITY when none.  With it the engine runs schedule() inline at
     * the end of an instant instead of posting a callback for it. */
    double (*next_time)(hs_exec *x);
    /* Optional: start() given also the item's cost on pu (rc 0), which
     * the engine has already predicted, so that an executor which runs
     * from the prediction need not look it up again.  When set, the
     * engine calls it instead of start(); same contract otherwise. */
    int (*start_cost)(hs_exec *x, int pu, const hs_item *item, const hs_cost *cost, unsigned flags,
                      void *token, hs_err *err);
} hs_exec_ops;

struct hs_exec {
    const hs_exec_ops *ops;
};

/* Observes bandwidth changes: t, memory domain, bytes/s in use. */
typedef void (*hs_bw_observer)(void *ctx, double t, int mem, double bps);

/* The simulated executor: virtual time, the fluid machine of sim/ with
 * max-min DRAM sharing.  obs may be NULL. */
hs_exec *hs_exec_sim_create(const hs_hw *hw, hs_bw_observer obs, void *obs_ctx, hs_err *err);

/* ---- Output rows, streamed as the run goes --------------------------------- */
typedef struct hs_request_row {
    uint64_t request;      /* arrival order over the run */
    const char *cls;
    double arrival_s, first_token_s, finish_s, latency_s;  /* first_token_s NaN if none */
    bool warmup;           /* left out of the metrics */
} hs_request_row;

typedef struct hs_kernel_row {
    uint64_t work;         /* hs_work_id */
    uint64_t request;      /* UINT64_MAX for a batch of several requests */
    const char *stage;     /* stage name; "batch" for a batch */
    const char *slot;      /* hs_slot_name of the item */
    int pu;
    double ready_s, start_s, end_s;
    double flops, bytes;
    uint32_t batch;        /* members (1 unless batched) */
    bool part;             /* a part of a split item */
} hs_kernel_row;

typedef struct hs_run_sink {
    void *ctx;
    void (*request)(void *ctx, const hs_request_row *row);  /* each may be NULL */
    void (*kernel)(void *ctx, const hs_kernel_row *row);
} hs_run_sink;

/* ---- Metrics ------------------------------------------------------------------- */
typedef struct hs_latency_stats {
    uint64_t requests;
    double mean_latency_s, p50_latency_s, p90_latency_s, p99_latency_s;
    double mean_ttft_s;     /* NaN when no request had a first token */
    double throughput_rps;
    double slo_attainment;  /* fraction meeting the class SLO; NaN when none */
} hs_latency_stats;

typedef struct hs_class_metrics {
    char name[64];
    hs_latency_stats s;
} hs_class_metrics;

typedef struct hs_pu_metrics {
    char name[64];
    double busy_s, utilization, energy_j;
} hs_pu_metrics;

typedef struct hs_run_metrics {
    hs_latency_stats all;
    double makespan_s;      /* time the last request finished */
    double energy_j;        /* PUs (active + idle) + DRAM */
    uint64_t events;        /* executor events handled */
    double wall_s;
    uint64_t works, splits, batches, speculations, rollbacks;
    size_t nclasses;
    hs_class_metrics *classes;
    size_t npus;
    hs_pu_metrics *pus;
} hs_run_metrics;

/* ---- A run ---------------------------------------------------------------------- */
typedef struct hs_run_cfg {
    const hs_hw *hw;
    const hs_workload *wl;
    const hs_policy_ops *policy;
    const hs_node *policy_params;  /* mapping of parameters, or NULL */
    uint64_t seed;
    double end_time;               /* stop the clock here; INFINITY: none */
    uint64_t max_events;           /* 0: no budget */
    bool fast_sync;                /* cross-PU handoffs poll (HeteroInfer) vs block */
    hs_exec *exec;                 /* NULL: the simulated executor */
    hs_bw_observer bw_observer;    /* for the simulated executor; may be NULL */
    void *bw_observer_ctx;
    hs_run_sink sink;
} hs_run_cfg;

/* Runs to completion.  Returns 0 with *out filled, or -1 with err set (bad
 * policy parameters, a policy misuse, an executor failure).  Free *out
 * with hs_run_metrics_free in both cases. */
int hs_run(const hs_run_cfg *cfg, hs_run_metrics *out, hs_err *err);
void hs_run_metrics_free(hs_run_metrics *m);
/* The single-run JSON object of DESIGN.md ("Single run"). */
void hs_run_metrics_json(const hs_run_metrics *m, FILE *f);

/* Validates params against a policy's parameter list without running
 * (used by experiment expansion).  hw may be NULL (PU names unchecked). */
int hs_policy_params_check(const hs_policy_ops *p, const hs_node *params, const hs_hw *hw,
                           hs_err *err);

/* ---- The policy registry ---------------------------------------------------------- */
/* Built-in policies, sorted by name. */
size_t hs_policy_count(void);
const hs_policy_ops *hs_policy_at(size_t i);
/* A built-in name, or a path to a plugin .so (contains '/' or ends in
 * ".so").  Checks the ABI version and the required fields.  Plugins stay
 * loaded for the life of the process. */
const hs_policy_ops *hs_policy_lookup(const char *name_or_path, hs_err *err);

#endif
