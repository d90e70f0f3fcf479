/* hetsoc: the summary table of an experiment's results (`hetsoc run` prints
 * it at the end, `hetsoc summary OUT.h5` again from the file).
 *
 * One row per group of runs that differ only in their seed: per hw,
 * workload, swept values and policy (columns for the axes with more than
 * one value; the constant ones head the table).  Cells: the mean across
 * the group's successful runs with a 95% confidence interval (Student t,
 * n - 1 degrees of freedom) of mean_latency_s, p99_latency_s,
 * throughput_rps and energy_j, and the speed-up = mean latency of the
 * baseline policy's group (same hw, workload and swept values) / mean
 * latency of this group.
 */
#ifndef HS_EXPERIMENTS_RUN_SUMMARY_H
#define HS_EXPERIMENTS_RUN_SUMMARY_H

#include <stdio.h>

#include "experiments/results/h5io.h"

/* Prints the table of runs (in run order) described by meta. */
void hs_summary_table(const hs_h5_meta *meta, const hs_run_record *runs, size_t n, FILE *f);
/* Reads a results file's /runs and prints its table. */
int hs_summary_print(hs_h5 *h, FILE *f, hs_err *err);

#endif
