/* hetsoc: the cost of a work item on a PU, shared by the scheduling
 * context (predictions for policies) and the simulated executor (what it
 * runs).  Not installed. */
#ifndef HS_POLICIES_COST_H
#define HS_POLICIES_COST_H

#include "workloads/workloads.h"

/* What the engine and the executor need of a prediction. */
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

/* Standalone prediction of item on pu: a per-PU fixed `cost:` entry, or
 * generic `work` / speed, or the hardware model for its kernel.  Returns
 * 0, or HS_PRED_CANNOT_RUN (a PU the item lists no cost for, an op the PU
 * cannot run).  The graph-build time of an unlisted NPU shape is in
 * build_s but not in the latency: the executor charges it once per PU and
 * shape, when the graph is first built. */
int hs_item_cost(const hs_hw *hw, const hs_item *item, int pu, hs_cost *out);

/* A memo of kernel predictions keyed by (PU, kernel shape and dtypes):
 * the chain of a decode repeats the same few shapes layer after layer, so
 * the hardware model runs once per shape.  Memory is bounded: the table
 * is emptied when it holds HS_COST_CACHE_MAX entries. */
enum { HS_COST_CACHE_MAX = 1 << 12 };
typedef struct hs_cost_cache hs_cost_cache;
hs_cost_cache *hs_cost_cache_create(void);
void hs_cost_cache_free(hs_cost_cache *c);
/* hs_item_cost through the memo (c may be NULL: no memo). */
int hs_item_cost_cached(hs_cost_cache *c, const hs_hw *hw, const hs_item *item, int pu, hs_cost *out);

#endif
