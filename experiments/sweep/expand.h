/* hetsoc: experiment files and their expansion into runs.
 *
 * An experiment (experiments/NAME.yaml; format in experiments/README.md):
 *
 *     name: quickstart                  # default: the file's base name
 *     description: "..."
 *     hw: snapdragon-8gen3              # a value or a list: built-in name, path
 *                                       # (relative to this file) or inline mapping
 *     workload: agentxpu-mixed          # likewise
 *     policy:                           # a value or a list: a name or plugin path,
 *       - fifo                          # or {name, params, label}
 *       - {label: gpu-only, name: fifo, params: {pu: gpu}}
 *     seeds: [1, 2, 3]                  # or {first: 1, count: 3}; default [1]
 *     backend: sim                      # sim (default) or real
 *     engine: {sync: fast}              # copied into every run's spec
 *     set: {workload.duration: 120}     # fixed edits of every run (dotted paths)
 *     sweep:                            # dotted path -> list of values: grid product
 *       policy.params.alpha: [0.1, 0.5]
 *       zip:                            # lock-step axes: one mapping, or a list of them
 *         workload.classes.0.arrival.rate: [1, 2]
 *         hw.memory.bandwidth_gbps: [40, 60]
 *     output: results/quickstart.h5     # relative to this file; -o overrides
 *     baseline: gpu-only                # policy label speed-ups are computed against
 *     kernels: false                    # also record /kernels (per-item placement)
 *
 * Runs are the product hw x workload x policy x sweep grid x seeds, in that
 * order (the last varies fastest; sweep axes in file order, a zip group
 * where `zip:` stands).  Run i's spec is the runspec.h tree {hw, workload,
 * policy, seed, engine} with `set:` and its sweep values applied, with the
 * dotted-path semantics of `hetsoc sim --set` (`policy.K` means
 * `policy.params.K`).  Every run is resolved once at load (the seeds of one
 * combination share that check), so a bad value fails the whole experiment
 * with its position before anything runs.
 */
#ifndef HS_EXPERIMENTS_EXPAND_H
#define HS_EXPERIMENTS_EXPAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "experiments/results/run_record.h"
#include "sim/conf/conf.h"

typedef enum hs_backend { HS_BACKEND_SIM, HS_BACKEND_REAL } hs_backend;

typedef struct hs_exp_item {
    char *label;       /* column value in /runs and the summary */
    hs_node *node;     /* hw, workload: the expanded tree; policy: {name, params} */
} hs_exp_item;

typedef struct hs_exp_axis {
    char *name;        /* the dotted path as written: the /runs column */
    char *path;        /* the path set in the spec (policy.K -> policy.params.K) */
    const hs_node *map;    /* the mapping holding the key, and its index (positions) */
    size_t keyidx;
    size_t nvalues;
    const hs_node **values;
    size_t group;      /* grid dimension; the axes of one zip group share it */
    bool numeric;      /* every value is a number: a float64 column */
    bool integer;      /* ... an integer, too: an int64 column */
} hs_exp_axis;

/* A /runs column of policy parameter values: one per parameter name that a
 * policy of the experiment lists (after sweeps of policy.name). */
typedef struct hs_exp_param {
    char *column;      /* "param.NAME" */
    const char *name;  /* NAME, in the policy's parameter list */
    bool numeric;      /* every policy's NAME is a number, integer or boolean */
    bool integer;      /* ... an integer or boolean: an int64 column */
} hs_exp_param;

typedef struct hs_exp_run {
    const struct hs_policy_ops *ops; /* its policy, as resolved */
    uint32_t hw, workload, policy;   /* item indices */
    uint64_t seed;
    size_t combo;                    /* index in the sweep grid */
    char key[HS_REC_KEY_LEN + 1];
} hs_exp_run;

typedef struct hs_experiment {
    char *path;            /* the file */
    char *text;            /* its full text (the experiment_yaml attribute) */
    size_t text_len;
    char *name;
    char *baseline;        /* a policy label */
    char *output;          /* `output:` resolved against the file's folder, or NULL */
    hs_backend backend;
    bool kernels;
    hs_node *root;
    const hs_node *engine; /* in root, or NULL */
    size_t nsets;          /* `set:` entries: axes with one value */
    hs_exp_axis *sets;
    size_t nhw, nworkloads, npolicies, nseeds, naxes, ngroups, ncombos;
    hs_exp_item *hws, *workloads, *policies;
    uint64_t *seeds;
    hs_exp_axis *axes;
    size_t *group_len;     /* values per grid dimension */
    size_t nruns;
    hs_exp_run *runs;
    size_t nparams;
    hs_exp_param *params;  /* the parameter columns of /runs */
} hs_experiment;

/* Loads a built-in experiment name (experiments/NAME.yaml) or a path. */
hs_experiment *hs_experiment_load(const char *name_or_path, hs_err *err);
/* Parses experiment text; path names it in messages and is the folder
 * relative paths resolve against (the file need not exist). */
hs_experiment *hs_experiment_parse(const char *text, size_t len, const char *path, hs_err *err);
void hs_experiment_free(hs_experiment *e);

/* The value index of axis a in run i. */
size_t hs_experiment_value(const hs_experiment *e, size_t run, size_t axis);
const char *hs_backend_name(hs_backend b);
/* Run i's spec tree (a new tree the caller frees). */
hs_node *hs_experiment_spec(const hs_experiment *e, size_t run, hs_err *err);
/* The resolved configuration of run i as YAML (malloc'd), and its key. */
char *hs_experiment_config(const hs_experiment *e, size_t run, hs_err *err);
/* Fills a record's identity half for run i (labels, the policy's name and
 * parameter values, seed, backend, sweep values, key; the configuration too
 * when with_config). */
int hs_experiment_identity(const hs_experiment *e, size_t run, hs_run_record *r, bool with_config,
                           hs_err *err);

#endif
