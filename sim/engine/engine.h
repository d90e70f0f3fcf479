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
#include "sim/exec/exec.h"

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

#endif
