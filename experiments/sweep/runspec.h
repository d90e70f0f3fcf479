/* hetsoc: a run's specification as one YAML tree, and its resolution into
 * the objects the engine runs.
 *
 * The tree (what `hetsoc sim` builds from its flags, what an experiment
 * expands into per run, and what the HDF5 results keep as each run's
 * resolved configuration):
 *
 *     hw:       a profile mapping (a built-in name or path is expanded
 *               into the file's tree, so `--set hw.memory.bandwidth_gbps=50`
 *               can edit it)
 *     workload: a workload mapping (likewise)
 *     policy:   {name: NAME-OR-PLUGIN-PATH, params: {...}}
 *     seed:     integer
 *     engine:   {sync: naive|fast, end_time: s, max_events: n,
 *                watchdog_wall_s: s, watchdog_idle_events: n}
 *               (the watchdog's defaults: HS_WATCHDOG_WALL_S and
 *               HS_WATCHDOG_IDLE_EVENTS; 0 turns a check off)
 *
 * Every node keeps the file, line and column it came from, so an error in
 * an expanded profile still points into the profile's file.
 */
#ifndef HS_EXPERIMENTS_RUNSPEC_H
#define HS_EXPERIMENTS_RUNSPEC_H

/* The per-run watchdog's defaults (sim/engine/engine.h, hs_run_cfg).
 * Wall time: chosen, an hour, far above any run the project ships (the
 * longest take about a minute) yet bounding a sweep's stuck run.  Events
 * without the clock advancing: chosen, 10^7, far above the events any
 * shipped run handles at one instant (at most thousands) and reached by a
 * livelock within seconds. */
#define HS_WATCHDOG_WALL_S 3600.0
#define HS_WATCHDOG_IDLE_EVENTS 10000000

#include "sim/engine/engine.h"

/* A mapping with `policy`, `hw`, `workload` given as names or trees. */
hs_node *hs_runspec_new(const char *hw, const char *workload, const char *policy, uint64_t seed,
                        hs_err *err);
/* Expands hw / workload names into their files' trees, resolving names
 * and relative paths (against the file of the node that names them), and
 * normalises `policy` to {name, params}.  Idempotent. */
int hs_runspec_expand(hs_node *spec, hs_err *err);
/* Applies "dotted.key=value" (value parsed as YAML).  `policy.K` with K
 * not name/params means policy.params.K.  Expands first when the path
 * goes inside hw or workload. */
int hs_runspec_set(hs_node *spec, const char *assignment, hs_err *err);

/* The objects of a resolved spec. */
typedef struct hs_run_objs {
    hs_hw *hw;
    hs_workload *wl;
    const hs_policy_ops *policy;
    const hs_node *params;    /* inside the spec tree */
    uint64_t seed;
    bool fast_sync;
    double end_time;
    uint64_t max_events;
    double watchdog_wall_s;
    uint64_t watchdog_idle_events;
    char engine[128];          /* the policy's `engine` preset, applied to hw; "": none */
    hs_engine_status engine_status;
} hs_run_objs;

/* Builds the objects (profile, workload, policy, params checked), with the
 * policy's engine preset applied to the profile (hs_policy_engine_apply). */
int hs_runspec_resolve(hs_node *spec, hs_run_objs *o, hs_err *err);

/* Moves an error found while resolving a run whose values were edited (a
 * sweep, a `set`, `--set`) to where the edit was written: err becomes
 * "PATH:LINE:COL: error: WHAT: MESSAGE (in FILE:LINE:COL)", the last part
 * being where the error was first found, when it had a position.  An
 * error already in PATH keeps its position and gains "WHAT: ".  Returns -1. */
int hs_runspec_blame(hs_err *err, const char *path, int line, int col, const char *what);
/* Whether err lies in the file a value names (the error's file ends with
 * value, e.g. `--set policy.engine=my.yaml`): such an error is already at
 * the user's own position and is left where it is. */
bool hs_runspec_err_in(const hs_err *err, const char *value);
/* Whether spec (taken; NULL: false) resolves without an error. */
bool hs_runspec_resolves(hs_node *spec);
void hs_run_objs_free(hs_run_objs *o);

#endif
