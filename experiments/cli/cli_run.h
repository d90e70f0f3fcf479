/* hetsoc: what `hetsoc sim` and `hetsoc real` share -- the same flags, the
 * same run specification, the same summary. */
#ifndef HS_EXPERIMENTS_CLI_RUN_H
#define HS_EXPERIMENTS_CLI_RUN_H

#include <string.h>

#include "experiments/cli/cli.h"
#include "experiments/sweep/runspec.h"

enum { HS_CLI_MAX_SETS = 64 };

typedef struct hs_cli_run_opts {
    const char *hw, *workload, *policy, *timeline;
    const char *sets[HS_CLI_MAX_SETS];
    int nsets;
    unsigned long long seed;
    bool json;
    double window_from_s, window_to_s;   /* --timeline-window; 0, INFINITY: all */
} hs_cli_run_opts;

/* Parses the flags; returns 0 or HS_EXIT_USAGE (usage printed). */
int hs_cli_run_parse(const hs_cli_cmd *cmd, int argc, char **argv, hs_cli_run_opts *o);
/* The run specification of the flags (--set applied). */
hs_node *hs_cli_run_spec(const hs_cli_run_opts *o, hs_err *err);
/* The run specification of the flags, resolved into its objects; on
 * failure the error is printed and NULL returned.  Free the spec with
 * hs_node_free and the objects with hs_run_objs_free. */
hs_node *hs_cli_run_resolve(const hs_cli_run_opts *opt, hs_run_objs *o);
/* The run configuration of resolved objects (no executor, no sink). */
hs_run_cfg hs_cli_run_cfg(const hs_run_objs *o);
/* Where the real backend logs: stderr when $HETSOC_REAL_LOG is set and not
 * "0", else NULL. */
FILE *hs_cli_real_log(void);
/* Warns on stderr when profile hw was not measured on this machine (or
 * does not say where it was), with how to profile this one. */
void hs_cli_real_machine_warn(const hs_hw *hw);
/* The readable summary of a run. */
void hs_cli_run_summary(const hs_run_objs *o, const hs_run_metrics *m, const char *backend);
/* Says on stderr when engine.max_events or engine.end_time cut the run
 * (hs_run_truncated): why, and the requests it left unfinished. */
void hs_cli_warn_truncated(const hs_run_metrics *m);

#endif
