/* hetsoc: timeline export as Chrome trace-event JSON (opens in Perfetto
 * and chrome://tracing).
 *
 * Tracks.  Process 1 ("hetsoc PROFILE") has one track per PU with a slice
 * per work item named by request and stage, and counter tracks: the DRAM
 * bandwidth in use per memory domain, one series per PU on it plus
 * "other" (transfers), so that the stacked series are the domain's total;
 * and each PU's load (work queued on it, and running).  Process 2 ("requests") has
 * one track per request: a slice from arrival to finish with instant
 * markers at its arrival, first token and finish.
 *
 * Window.  Only what overlaps [from_s, to_s] is written (a slice that
 * crosses an edge is kept whole); each counter starts at from_s with the
 * value it held then.
 *
 * Size.  Counters change many times in one instant while the machine
 * re-shares bandwidth; only the last value of an instant is written, and
 * only when it differs from the last one written.  The JSON has no
 * whitespace between tokens.  A name ending in ".gz" writes gzip (zlib).
 *
 * Writing.  Events stream out as the run produces them.  A regular file
 * (or a new one) is written to a temporary file beside it and renamed at
 * the end, so a failed run leaves no half-written file; anything else that
 * exists (a pipe, a FIFO, a device, a symbolic link such as /dev/stdout)
 * is written in place and never replaced. */
#ifndef HS_EXPERIMENTS_TIMELINE_H
#define HS_EXPERIMENTS_TIMELINE_H

#include "sim/engine/engine.h"

typedef struct hs_timeline hs_timeline;

/* Opens the timeline of a run on hw, keeping what overlaps [from_s, to_s]
 * (0, INFINITY: all).  NULL with err set when path cannot be written. */
hs_timeline *hs_timeline_open(const char *path, const hs_hw *hw, double from_s, double to_s, hs_err *err);
/* Hands the timeline's sinks and observers to a run configuration (the
 * bandwidth observers only matter to the simulated executor). */
void hs_timeline_attach(hs_timeline *tl, hs_run_cfg *cfg);
/* Completes the file and renames it into place (ok), or removes the
 * temporary file (!ok; a target written in place keeps what was written).
 * Returns 0, or -1 with err set when a write failed.  Frees tl. */
int hs_timeline_close(hs_timeline *tl, bool ok, hs_err *err);

/* Parses a window "A:B" in seconds (A or B may be empty: from the start,
 * to the end): 0 <= A < B.  Returns 0, or -1 on bad text. */
int hs_timeline_parse_window(const char *text, double *from_s, double *to_s);

#endif
