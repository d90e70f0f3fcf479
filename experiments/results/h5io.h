/* hetsoc: the HDF5 results file of an experiment (experiments/README.md, "Results columns").
 *
 * Tidy tables, one row per record, joinable on `run`; each a 1-D chunked
 * dataset of a compound type, extendible (H5S_UNLIMITED) and appended to
 * as runs finish; strings are fixed-length, NUL-padded UTF-8 (h5io.c gives
 * each column's width) and every chunk carries a Fletcher-32 checksum:
 *
 *   /runs      run, key, policy (its label), policy_name (the registered
 *              name), hw, workload, seed, backend, status
 *              ("ok" | "truncated" | "error"), message, one column per sweep parameter
 *              named by its dotted path (int64 when every value is an
 *              integer, float64 when a number, else string), one column
 *              `param.NAME` per parameter any of the runs' policies lists
 *              (the value the run used, its default when not given; int64
 *              when every such parameter is an integer or boolean, float64
 *              when a number, else string; a run whose policy lacks it:
 *              INT64_MIN, NaN or ""), then the run metrics
 *   /configs   run, key, config     (the run's fully resolved spec, YAML)
 *   /requests  run, then the request row's columns
 *   /pus       run, then the PU row's columns
 *   /kernels   run, then the kernel row's columns   (only with `kernels: true`)
 *   /classes   run, class, then the latency columns of that request class
 *   /dram      run, then the memory domain row's columns
 *
 * The metric and row columns, their names, types and order, are those of
 * sim/engine/schema.h (through run_record.h's tables; experiments/README.md
 * lists them).  Integers are int64 (flags int8), reals float64; a metric a run
 * lacks is NaN (all of them for a failed run).  Rows are grouped by run and
 * runs appear in increasing `run` order.  Root attributes: hetsoc_version,
 * experiment_yaml (the experiment file's text), experiment (its name),
 * baseline (a policy label), sweep_params (the sweep columns, one per
 * line), policy_params (the parameter columns, likewise), runs_total (runs
 * in the whole experiment), shard ("I/N" for a `--shard` slice, else ""),
 * kernels (0/1), layout ("hetsoc-results-3"; a file of an earlier layout is
 * refused with a message saying so).
 */
#ifndef HS_EXPERIMENTS_H5IO_H
#define HS_EXPERIMENTS_H5IO_H

#include <stdbool.h>
#include <stdio.h>

#include "experiments/results/run_record.h"

typedef struct hs_h5_meta {
    char *version, *experiment_yaml, *experiment, *baseline, *shard;
    int64_t runs_total;
    bool kernels;
    size_t nsweep;
    char **sweep;      /* column names */
    bool *numeric;     /* float64 column, else string */
    bool *integer;     /* numeric and an int64 column; NULL: none */
    size_t nparams;    /* the policy parameter columns, likewise */
    char **params;     /* "param.NAME" */
    bool *param_numeric, *param_integer;
} hs_h5_meta;

void hs_h5_meta_free(hs_h5_meta *m);
int hs_h5_meta_copy(hs_h5_meta *dst, const hs_h5_meta *src);

typedef struct hs_h5 hs_h5;

/* Creates (truncates) a results file with empty tables. */
hs_h5 *hs_h5_create(const char *path, const hs_h5_meta *m, hs_err *err);
/* Opens a results file read-only.  A file that fails a checksum or a
 * check of its structure, here or in the readers below, is reported as
 * "PATH: error: corrupt results file (WHAT)". */
hs_h5 *hs_h5_open(const char *path, hs_err *err);
const hs_h5_meta *hs_h5_get_meta(const hs_h5 *h);
/* Appends a run: its /configs, /requests, /pus and /kernels rows, then its
 * /runs row.  Call hs_h5_flush to make it durable. */
int hs_h5_append(hs_h5 *h, const hs_run_record *r, hs_err *err);
int hs_h5_flush(hs_h5 *h, hs_err *err);
/* Closes (NULL is fine).  Returns -1 with err set if a write failed. */
int hs_h5_close(hs_h5 *h, hs_err *err);

size_t hs_h5_nruns(const hs_h5 *h);
/* The /runs rows as records (identity, status, metrics; no rows), in file
 * order.  Free each with hs_record_clear and the array with free(). */
int hs_h5_read_runs(hs_h5 *h, hs_run_record **out, size_t *n, hs_err *err);
/* Adds run r->run's configuration and its /requests, /pus, /kernels,
 * /classes and /dram rows to r. */
int hs_h5_read_rows(hs_h5 *h, hs_run_record *r, hs_err *err);
/* Writes a table ("runs", "configs", "requests", "pus", "kernels", "classes", "dram") as CSV:
 * a header of column names, reals with 17 significant digits, without the
 * comma-separated columns of exclude (NULL: none). */
int hs_h5_csv(hs_h5 *h, const char *table, const char *exclude, FILE *f, hs_err *err);

#endif
