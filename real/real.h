/* hetsoc: public header of the real/ layer -- the OpenCL execution backend:
 * the executor (real/exec/real_exec.h), one timed run on it with its
 * preparation, the scheduling-overhead benchmark, calibration (`hetsoc
 * profile`) and validation (`hetsoc validate`).  The engine, the policies
 * and the metrics are exactly the simulator's; only the executor differs.
 *
 * See real/README.md.  Includes: real/exec/real_exec.h and
 * sim/engine/engine.h.
 */
#ifndef HS_REAL_H
#define HS_REAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "real/exec/real_exec.h"
#include "sim/engine/engine.h"

/* Optional, before hs_run(cfg): runs cfg in the simulator to learn every
 * kernel shape the run will start, sizes the buffers for the largest ones
 * up front and warms every shape up on every PU that can run it (CLBlast
 * compiles its kernels on the first call, PoCL specialises each kernel),
 * so that nothing is compiled or allocated while the run is timed.  Shapes
 * met later anyway are handled on demand. */
int hs_real_prepare(hs_exec *x, const hs_run_cfg *cfg, hs_err *err);

/* One timed run of cfg on a new OpenCL executor (cfg->exec is ignored):
 * hs_exec_real_create with ro, hs_real_prepare, hs_run, hs_real_check.
 * *m is always set (free it with hs_run_metrics_free); st, unless NULL,
 * gets the executor's statistics.  Returns 0 or -1 with err. */
int hs_real_run(const hs_run_cfg *cfg, const hs_real_opts *ro, hs_run_metrics *m, hs_real_stats *st,
                hs_err *err);

/* The scheduling-overhead benchmark: runs cfg on the executor with an
 * empty kernel for every item (so that nothing competes with the engine's
 * thread for the CPU) and reports the host cost per dispatched kernel:
 * policy decision, engine bookkeeping, enqueue and completion handling.
 * cfg->exec and cfg->sink are ignored.  Returns 0 or -1 with err. */
int hs_real_bench_overhead(const hs_run_cfg *cfg, hs_real_stats *out, hs_err *err);

/* ---- Calibration: `hetsoc profile` ---------------------------------------------- */
typedef struct hs_real_profile_opts {
    const char *name;        /* profile name; default "pocl-cpu-2pu" on a CPU-only machine */
    const char *workload;    /* its kernels are the shapes measured; default tiny-agentic-rag */
    int cpu_pus;             /* CPU sub-devices (default 2) */
    bool no_npu;             /* all CPU sub-devices plain `cpu` (default: the last emulates an NPU) */
    int reps;                /* timed repetitions per point after warm-up (default 9) */
    bool quick;              /* fewer repetitions and grid points (tests) */
    uint64_t seed;           /* the dry runs collecting shapes (default 1) */
    FILE *log;               /* progress; NULL: quiet */
} hs_real_profile_opts;

/* Measures this machine and writes a hardware profile (YAML, hw/'s format:
 * roofline parameters, profiled tables, the measured spread in comments)
 * to out.  Returns 0 or -1 with err. */
int hs_real_profile(const hs_real_profile_opts *o, FILE *out, hs_err *err);
/* The same measurement as a configuration tree, what hs_real_profile
 * writes (hs_node_to_yaml): provenance and labels in the nodes' comments,
 * every number exact.  hs_hw_from_node loads it.  NULL with err. */
hs_node *hs_real_profile_tree(const hs_real_profile_opts *o, hs_err *err);

/* ---- Validation: `hetsoc validate` ---------------------------------------------- */
typedef struct hs_real_validation {
    double mape_request_latency;   /* mean |sim - real| / real over requests paired by id */
    double mape_kernel_latency;    /* the same over kernels (end - start) */
    double makespan_error;         /* |sim - real| / real */
    double bias_request_latency;   /* mean (sim - real) / real: the sign of the error */
    size_t requests, kernels;      /* pairs */
    size_t unpaired_kernels;
    double sim_makespan_s, real_makespan_s;
    double sim_mean_latency_s, real_mean_latency_s;
    int runs;                      /* hardware runs averaged */
    hs_real_stats stats;           /* of the (last) real run */
} hs_real_validation;

/* Runs cfg (its profile should be calibrated for this machine) in the
 * simulator and on the hardware with the same policy, parameters and
 * seed, and compares them.  With ro->runs > 1 the hardware runs that many
 * times and each request's latency, each kernel's duration and the
 * makespan are averaged over the runs before the comparison (the run-to-
 * run noise of a shared machine shrinks; the simulator is deterministic).  sim and real get both runs' metrics (free them
 * with hs_run_metrics_free; either may be NULL).  cfg->exec and cfg->sink
 * are ignored.  Returns 0 or -1 with err. */
int hs_real_validate(const hs_run_cfg *cfg, const hs_real_opts *ro, hs_real_validation *v,
                     hs_run_metrics *sim, hs_run_metrics *real, hs_err *err);
/* One JSON object with the keys above (mape_request_latency, mape_kernel_latency,
 * makespan_error, ..., overhead_us_per_kernel); extra, when not NULL, is
 * written first inside it (JSON members followed by ", "). */
void hs_real_validation_json(const hs_real_validation *v, const char *extra, FILE *f);

#endif
