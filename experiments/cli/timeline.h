/* hetsoc: timeline export as Chrome trace-event JSON (opens in Perfetto
 * and chrome://tracing): one track per PU with a slice per work item named
 * by request and stage, and a counter track per memory domain with the
 * DRAM bandwidth in use.  Written to a temporary file beside the target
 * and renamed at the end, so a failed run leaves no half-written file. */
#ifndef HS_EXPERIMENTS_TIMELINE_H
#define HS_EXPERIMENTS_TIMELINE_H

#include "sim/engine/engine.h"

typedef struct hs_timeline hs_timeline;

hs_timeline *hs_timeline_open(const char *path, const hs_hw *hw, hs_err *err);
/* Sink and observer to hand to the run configuration. */
void hs_timeline_kernel(void *tl, const hs_kernel_row *row);
void hs_timeline_bandwidth(void *tl, double t, int mem, double bps);
/* Completes and renames the file (ok) or removes it (!ok).  Frees tl. */
int hs_timeline_close(hs_timeline *tl, bool ok, hs_err *err);

#endif
