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
 * The executor interface (sim/exec/exec.h) is the only thing that differs
 * between the simulator (sim/exec/) and hardware (real/exec/).
 */
#ifndef HS_ENGINE_H
#define HS_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "policies/policy.h"
#include "policies/registry.h"
#include "sim/engine/schema.h"
#include "sim/exec/exec.h"

/* ---- Output rows, streamed as the run goes (columns: sim/engine/schema.h) ---- */
typedef struct hs_request_row {
    HS_REQUEST_COLUMNS(HS_ENGINE_FIELD)   /* first_token_s NaN if none; warmup: left out of the metrics */
} hs_request_row;

typedef struct hs_kernel_row {
    HS_KERNEL_COLUMNS(HS_ENGINE_FIELD)    /* request UINT64_MAX for a batch; stage "batch" for a batch */
} hs_kernel_row;

typedef struct hs_run_sink {
    void *ctx;
    void (*request)(void *ctx, const hs_request_row *row);  /* each may be NULL */
    void (*kernel)(void *ctx, const hs_kernel_row *row);
    /* A PU's dispatch queue or running count changed at time t: work
     * queued on it (dispatched, not started) and running now. */
    void (*pu_load)(void *ctx, double t, int pu, int queued, int running);
} hs_run_sink;

/* ---- Metrics (columns: sim/engine/schema.h) ---------------------------------- */
typedef struct hs_latency_stats {
    HS_LATENCY_COLUMNS(HS_ENGINE_FIELD)
} hs_latency_stats;

typedef struct hs_class_metrics {
    char name[64];
    hs_latency_stats s;
} hs_class_metrics;

typedef struct hs_pu_metrics {
    HS_PU_COLUMNS(HS_ENGINE_FIELD)
} hs_pu_metrics;

typedef struct hs_dram_metrics {
    HS_DRAM_COLUMNS(HS_ENGINE_FIELD)
} hs_dram_metrics;

/* A policy parameter's value as the run used it (its default when not
 * given): the JSON's "params" and a /runs column each (experiments/README.md). */
typedef struct hs_param_value {
    const char *name;      /* the policy's parameter list entry */
    hs_param_type type;
    int64_t i;             /* HS_PARAM_I64; HS_PARAM_BOOL: 0 or 1 */
    double f;              /* HS_PARAM_F64 */
    char *text;            /* HS_PARAM_STR, _PU (the name given), _MAP ("{k: v, ...}"); owned */
} hs_param_value;

typedef struct hs_run_metrics {
    hs_latency_stats all;
    HS_RUN_COLUMNS(HS_ENGINE_FIELD)
    HS_RUN_COUNTER_COLUMNS(HS_ENGINE_FIELD)
    size_t nclasses;
    hs_class_metrics *classes;
    size_t npus;
    hs_pu_metrics *pus;
    size_t ndram;
    hs_dram_metrics *dram;         /* one per memory domain of the profile */
    const char *policy_name;       /* the policy's registered name */
    size_t nparams;
    hs_param_value *params;        /* each parameter the policy lists, in its order */
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
    /* The watchdog: a run that takes more than watchdog_wall_s seconds of
     * wall time, or handles watchdog_idle_events events while its clock
     * stands still (a livelock: a policy re-arming a zero-delay timer),
     * fails with the reason.  0: that check is off. */
    double watchdog_wall_s;
    uint64_t watchdog_idle_events;
    bool fast_sync;                /* cross-PU handoffs poll (HeteroInfer) vs block */
    hs_exec *exec;                 /* NULL: the simulated executor */
    hs_bw_observer bw_observer;    /* for the simulated executor; may be NULL */
    void *bw_observer_ctx;
    /* Each PU's bandwidth in use, for the simulated executor (ctx:
     * bw_observer_ctx); may be NULL.  Observing never changes the run. */
    hs_pu_bw_observer pu_bw_observer;
    hs_run_sink sink;
    /* The engine preset the caller applied to hw (hs_policy_engine_apply),
     * reported in the metrics' engine and engine_fit columns; NULL: none. */
    const char *engine;
    hs_engine_status engine_status;
} hs_run_cfg;

/* Runs to completion.  Returns 0 with *out filled, or -1 with err set (bad
 * policy parameters, a policy misuse, an executor failure).  Free *out
 * with hs_run_metrics_free in both cases. */
int hs_run(const hs_run_cfg *cfg, hs_run_metrics *out, hs_err *err);
void hs_run_metrics_free(hs_run_metrics *m);
/* Frees n values of hs_policy_param_values or a run's metrics. */
void hs_param_values_free(hs_param_value *v, size_t n);
/* A parameter value as text: numbers with 17 significant digits, booleans
 * true/false, the rest as held. */
void hs_param_value_text(const hs_param_value *v, char *buf, size_t size);
/* Whether engine.max_events or engine.end_time stopped the run with an
 * arrival or a completion still to come (m->truncated names which; m->in_flight
 * counts the requests then unfinished).  The metrics of such a run cover
 * only the requests finished before the cut. */
bool hs_run_truncated(const hs_run_metrics *m);
/* Writes the single-run JSON object: the latency columns, the run totals and
 * counters, "status" ("ok", or "truncated": hs_run_truncated), "policy_name",
 * "params" (name: value, numbers as numbers, booleans as true/false, the
 * rest as strings), "classes" (name: latency columns), "pus" (the PU
 * columns) and "dram" (the memory domain columns). */
void hs_run_metrics_json(const hs_run_metrics *m, FILE *f);

/* Validates params against a policy's parameter list without running
 * (used by experiment expansion).  hw may be NULL (PU names unchecked). */
int hs_policy_params_check(const hs_policy_ops *p, const hs_node *params, const hs_hw *hw,
                           hs_err *err);
/* The values a run of policy p with params would use, defaults filled in,
 * in the order of p's parameter list: *out (*n of them) is for
 * hs_param_values_free.  Returns 0, or -1 with err (params that
 * hs_policy_params_check refuses, OOM). */
int hs_policy_param_values(const hs_policy_ops *p, const hs_node *params, hs_param_value **out, size_t *n,
                           hs_err *err);

/* Engine presets (hw/README.md, "Engine presets"): a policy that lists a
 * parameter named `engine` (HS_PARAM_STR) runs on the profile with that
 * preset applied.  Applies the value given in params (else the parameter's
 * default) to hw -- before the run, so that the policy's predictions see
 * it -- and writes the name to name (size bytes) and what it did to
 * *status; a policy without the parameter leaves hw alone (name "",
 * HS_ENGINE_NONE).  An unknown engine is an error at the value, listing the
 * known ones (hs_policy_params_check reports it too). */
int hs_policy_engine_apply(const hs_policy_ops *p, const hs_node *params, hs_hw *hw, char *name,
                           size_t size, hs_engine_status *status, hs_err *err);

#endif
