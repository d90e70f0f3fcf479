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
/* The error of one op class (an item slot: qkv, attn, scan, ...) on one PU,
 * or of one shape of it (flops and bytes; 0 in a class row). */
typedef struct hs_real_kernel_class {
    char op[24], pu[32];
    double flops, bytes;
    size_t kernels;                /* pairs, over all repetitions */
    double sim_s, real_s;          /* median durations */
    double median_error;           /* median (sim - real) / real: negative = the model is optimistic */
    double median_abs_error;       /* median |sim - real| / real */
    double impact_s;               /* summed (sim - real): where the time error lies */
} hs_real_kernel_class;

enum { HS_REAL_MAX_REPEAT = 100 };   /* repetitions of one validation, at most */

typedef struct hs_real_validation {
    double mape_request_latency_reps[HS_REAL_MAX_REPEAT];   /* each repetition's, [0, repeat) */
    double mape_request_latency_median;   /* their median */
    double mape_request_latency;   /* mean |sim - real| / real over requests paired by id (mean over
                                      repetitions) */
    double mape_request_latency_ci;        /* half-width of its 95% confidence interval (t over the
                                              repetitions; NaN with one) */
    double noise_floor_request_latency;    /* the same MAPE of each repetition against the previous one:
                                              what the machine's own noise gives (NaN with one) */
    double noise_floor_request_latency_ci; /* its 95% half-width (NaN below three repetitions) */
    double mape_kernel_latency;    /* the same over kernels (end - start) */
    double median_kernel_error;    /* median |sim - real| / real over the paired kernels */
    double noise_floor_kernel_error;    /* the same median of each repetition against the previous
                                           one, kernels paired by key, averaged over the pairs of
                                           repetitions (NaN with one) */
    double noise_floor_kernel_error_ci; /* its 95% half-width (NaN below three repetitions) */
    double makespan_error;         /* |sim - real| / real */
    double bias_request_latency;   /* mean (sim - real) / real: the sign of the error */
    size_t requests, kernels;      /* pairs (of the last repetition) */
    size_t unpaired_kernels;
    double sim_makespan_s, real_makespan_s;
    double sim_mean_latency_s, real_mean_latency_s;
    int runs;                      /* hardware runs averaged in a repetition */
    int repeat;                    /* repetitions */
    hs_real_stats stats;           /* of the (last) real run */
    hs_real_kernel_class *classes; /* by op class and PU, largest |impact_s| first */
    size_t nclasses;
    hs_real_kernel_class *shapes;  /* by op class, PU and shape, largest |impact_s| first */
    size_t nshapes;
} hs_real_validation;

/* Runs cfg (its profile should be calibrated for this machine) in the
 * simulator and on the hardware with the same policy, parameters and
 * seed, and compares them.  The hardware runs ro->repeat times (0 reads as
 * 1, at most HS_REAL_MAX_REPEAT), each repetition ro->runs runs (0 reads as 1) whose request latencies
 * and kernel durations are averaged; every repetition is compared with the
 * simulation (the MAPEs are the means over repetitions) and with the
 * previous repetition (the noise floor), so the same runs and the same
 * drift feed both.  sim and real get the simulated and the last real
 * run's metrics (free them with hs_run_metrics_free; either may be NULL);
 * free v with hs_real_validation_free.  cfg->exec and cfg->sink are
 * ignored.  Returns 0 or -1 with err (v then holds nothing to free). */
int hs_real_validate(const hs_run_cfg *cfg, const hs_real_opts *ro, hs_real_validation *v,
                     hs_run_metrics *sim, hs_run_metrics *real, hs_err *err);
void hs_real_validation_free(hs_real_validation *v);
/* One JSON object with the keys above (mape_request_latency, its _ci,
 * noise_floor_request_latency, ..., overhead_us_per_kernel, then
 * kernel_classes and kernel_shapes: arrays of the breakdown, the shapes cut
 * to the 32 largest); extra, when not NULL, is written first inside it
 * (JSON members followed by ", "). */
void hs_real_validation_json(const hs_real_validation *v, const char *extra, FILE *f);
/* The readable report: the figures, then the breakdown by op class and the
 * `top` shapes with the largest time error. */
void hs_real_validation_print(const hs_real_validation *v, size_t top, FILE *f);

/* ---- Contention: `hetsoc validate --contention` ----------------------------------- */
enum { HS_REAL_CONTENTION_SIZES = 4 };
typedef struct hs_real_contention_row {
    double bytes;                       /* streamed by each kernel */
    double alone_s, corun_s;            /* measured medians on the timed PU */
    double alone_spread, corun_spread;  /* IQR / median */
    double measured_slowdown;           /* corun_s / alone_s */
    double model_alone_s, model_corun_s, model_slowdown;   /* hs_hw_predict_corun */
    double error;                       /* (model - measured) / measured slowdown */
} hs_real_contention_row;

typedef struct hs_real_contention_check {
    char pu[32], other[32], memory[32]; /* the timed PU, the co-running one, their memory */
    hs_real_contention_row rows[HS_REAL_CONTENTION_SIZES];
    size_t nrows;
    double mean_abs_error;              /* of the slowdowns */
} hs_real_contention_check;

/* Times a memory-bound streaming kernel of a few sizes on a PU of hw alone
 * and while another PU of the same memory runs it back to back (reps
 * timed runs each, median; 0 reads as 7), and compares the slowdown with
 * the model's.  Returns 0 or -1 with err (no two PUs share a memory). */
int hs_real_contention(const hs_hw *hw, const hs_real_opts *ro, int reps, hs_real_contention_check *out,
                       hs_err *err);
void hs_real_contention_json(const hs_real_contention_check *c, FILE *f);
void hs_real_contention_print(const hs_real_contention_check *c, FILE *f);

/* ---- The machine ------------------------------------------------------------------ */
/* This machine as a profile records it: its OpenCL devices with their
 * compute units and the host CPU's model ("DEV (N CUs); ...; CPU: MODEL"),
 * whitespace runs folded to one space.  Returns 0 or -1 with err. */
int hs_real_machine(char *buf, size_t size, hs_err *err);
/* Whether profile hw was measured on this machine: 1 yes; 0 no, with a
 * warning in why (what it records, what this machine is, and how to
 * profile it); -1 when the profile records no machine (why says so).  A
 * profile records it in its notes ("Machine: ...", by hetsoc profile). */
int hs_real_machine_check(const hs_hw *hw, char *why, size_t size);

#endif
