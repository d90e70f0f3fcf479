/* hetsoc: the simulated executor -- virtual time, the fluid machine of
 * sim/machine/ with max-min DRAM sharing.  Not installed. */
#ifndef HS_EXEC_SIM_H
#define HS_EXEC_SIM_H

#include "sim/exec/exec.h"

/* Creates a simulated executor for hw; obs (may be NULL) observes every
 * change of a memory domain's bandwidth in use. */
hs_exec *hs_exec_sim_create(const hs_hw *hw, hs_bw_observer obs, void *obs_ctx, hs_err *err);
/* Sets fn (may be NULL) to observe every change of each PU's bandwidth in
 * use, at the time it changes (for timelines; never changes the run).
 * x must come from hs_exec_sim_create.  Returns 0, or -1 out of memory. */
int hs_exec_sim_observe_pus(hs_exec *x, hs_pu_bw_observer fn, void *ctx);

#endif
