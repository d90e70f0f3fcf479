/* hetsoc: the cost of a work item on a PU, shared by the scheduling
 * context (predictions for policies) and the simulated executor (what it
 * runs).  Not installed. */
#ifndef HS_EXEC_COST_H
#define HS_EXEC_COST_H

#include "sim/exec/exec.h"
#include "workloads/workloads.h"

/* hs_cost, what the engine and an executor need of a prediction, is in
 * sim/exec/exec.h (an executor may be handed it). */

/* Used only inside the library (the engine, the simulated executor): not
 * exported, so calls to them are direct rather than through the PLT. */
#define HS_COST_HIDDEN __attribute__((visibility("hidden")))

/* Standalone prediction of item on pu: a per-PU fixed `cost:` entry, or
 * generic `work` / speed, or the hardware model for its kernel.  Returns
 * 0, or HS_PRED_CANNOT_RUN (a PU the item lists no cost for, an op the PU
 * cannot run).  The graph-build time of an unlisted NPU shape is in
 * build_s but not in the latency: the executor charges it once per PU and
 * shape, when the graph is first built. */
HS_COST_HIDDEN int hs_item_cost(const hs_hw *hw, const hs_item *item, int pu, hs_cost *out);

/* A memo of kernel predictions keyed by (PU, kernel shape and dtypes):
 * the chain of a decode repeats the same few shapes layer after layer, so
 * the hardware model runs once per shape.  Memory is bounded: the table
 * is emptied when it holds HS_COST_CACHE_MAX entries. */
enum { HS_COST_CACHE_MAX = 1 << 12 };
typedef struct hs_cost_cache hs_cost_cache;
HS_COST_HIDDEN hs_cost_cache *hs_cost_cache_create(void);
HS_COST_HIDDEN void hs_cost_cache_free(hs_cost_cache *c);
/* hs_item_cost through the memo (c may be NULL: no memo). */
HS_COST_HIDDEN int hs_item_cost_cached(hs_cost_cache *c, const hs_hw *hw, const hs_item *item, int pu, hs_cost *out);
/* The same without a copy: a pointer to the memo's entry, valid until the
 * next lookup in c (which may grow or empty the table), or to buf (filled)
 * when the item bypasses the memo. */
HS_COST_HIDDEN const hs_cost *hs_item_cost_ref(hs_cost_cache *c, const hs_hw *hw, const hs_item *item, int pu, hs_cost *buf);

#endif
