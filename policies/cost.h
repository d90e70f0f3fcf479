/* hetsoc: the cost of a work item on a PU, shared by the scheduling
 * context (predictions for policies) and the simulated executor (what it
 * runs).  Not installed. */
#ifndef HS_POLICIES_COST_H
#define HS_POLICIES_COST_H

#include "workloads/workloads.h"

/* Standalone prediction of item on pu: a per-PU fixed `cost:` entry, or
 * generic `work` / speed, or the hardware model for its kernel.  Returns
 * 0, or HS_PRED_CANNOT_RUN (a PU the item lists no cost for, an op the PU
 * cannot run).  The graph-build time of an unlisted NPU shape is in
 * out->build_s but not in the latency: the executor charges it once per
 * PU and shape, when the graph is first built. */
int hs_item_predict(const hs_hw *hw, const hs_item *item, int pu, hs_pred *out);

#endif
