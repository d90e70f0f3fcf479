/* hetsoc real/: the distinct kernel shapes of a run (prepare.c), shared by
 * the warm-up and the profiler.  Not installed. */
#ifndef HS_REAL_PREPARE_H
#define HS_REAL_PREPARE_H

#include "real/real_internal.h"

typedef struct rl_shapes {
    hs_item *items;   /* one item per distinct shape (pointers into the workload) */
    uint64_t *keys;
    size_t n, cap;
    bool keep_all;    /* keep every item started, in start order (a replayable trace) */
} rl_shapes;

int rl_shapes_add(rl_shapes *s, const hs_item *it);
void rl_shapes_free(rl_shapes *s);
/* Plays cfg in the simulator and adds every item it starts to out.
 * metrics (may be NULL) gets the simulated run's metrics, and cfg->sink
 * then sees its rows. */
int rl_collect_shapes(const hs_run_cfg *cfg, rl_shapes *out, hs_run_metrics *metrics, hs_err *err);
/* Whether pu can run it (the model's rules, fixed costs). */
bool rl_can_run(const hs_hw *hw, int pu, const hs_item *it);

#endif
