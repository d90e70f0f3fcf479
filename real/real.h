/* hetsoc: public header of the real/ layer -- the OpenCL execution backend.
 *
 * The executor implements the engine's executor interface (hs_exec_ops of
 * policies/engine.h) on OpenCL devices: the engine, the policies and the
 * metrics are exactly the simulator's; only the executor differs.
 *
 *   - PUs: each PU of the hardware profile binds to an OpenCL device or
 *     sub-device.  GPU-kind PUs take the machine's GPUs in order, each its
 *     own PU; all other PUs (cpu, npu, dsp, generic) share the CPU device,
 *     split with clCreateSubDevices into as many equal sub-devices, so that
 *     on a 2-core machine two PUs really run side by side and contend for
 *     DRAM.  One in-order queue per PU.
 *   - Time is the wall clock (CLOCK_MONOTONIC) since bind().  Completions
 *     come back through OpenCL event callbacks into a mutex-protected queue;
 *     the engine's callbacks run in the thread that called run(), one at a
 *     time, in time order with the executor's timers.
 *   - Buffers are shared host memory (CL_MEM_ALLOC_HOST_PTR, zero copy as on
 *     unified-memory SoCs): per-PU activations, per-context weights of each
 *     model (random, seeded), KV caches and a vector corpus; all compute is
 *     fp32 (PoCL's CPU device has no fp16).
 *   - Kernels: GEMM and GEMV through CLBlast, attention (scores, softmax,
 *     weighted sum), RMSNorm, SiLU-multiply, GELU, embedding lookup, vector
 *     similarity with top-k, in real/kernels/NAME.cl; layer and stage items
 *     run the op sequence they stand for; fixed-time items (`cost:`,
 *     `work:`) run a calibrated busy kernel.
 *   - A PU with NPU shape rules (static_shapes, tile) runs each kernel at
 *     the padded shape hs_hw_predict gives, and refuses what the profile
 *     lists as unsupported.
 *
 * See real/README.md.  Includes: sim/sim.h, hw/hw.h, workloads/workloads.h,
 * policies/policy.h and policies/engine.h.
 */
#ifndef HS_REAL_H
#define HS_REAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/engine/engine.h"

/* ---- The executor ------------------------------------------------------------ */
typedef struct hs_real_opts {
    uint64_t data_seed;  /* weights, KV caches, token ids, corpora (0 reads as 1) */
    bool noop;           /* run an empty kernel for every item: the overhead benchmark */
    FILE *log;           /* progress (binding, warm-up) for humans; NULL: quiet */
    int runs;            /* hs_real_validate: hardware runs averaged (0 reads as 1) */
} hs_real_opts;

/* Binds the profile's PUs to OpenCL devices, builds the kernels, creates
 * the queues.  Errors: no OpenCL platform or device, a profile needing more
 * GPUs or CPU sub-devices than the machine has, a kernel that fails to
 * build (its build log is in the message), out of device memory.  o may be
 * NULL.  The profile must outlive the executor. */
hs_exec *hs_exec_real_create(const hs_hw *hw, const hs_real_opts *o, hs_err *err);

/* Optional, before hs_run(cfg): runs cfg in the simulator to learn every
 * kernel shape the run will start, sizes the buffers for the largest ones
 * up front and warms every shape up on every PU that can run it (CLBlast
 * compiles its kernels on the first call, PoCL specialises each kernel),
 * so that nothing is compiled or allocated while the run is timed.  Shapes
 * met later anyway are handled on demand. */
int hs_real_prepare(hs_exec *x, const hs_run_cfg *cfg, hs_err *err);

/* After hs_run: a device failure that happened after the last start()
 * (a failed kernel is otherwise reported by the next start()).  Returns 0,
 * or -1 with err. */
int hs_real_check(hs_exec *x, hs_err *err);

typedef struct hs_real_stats {
    uint64_t kernels;    /* items started */
    uint64_t commands;   /* OpenCL commands enqueued for them */
    double host_s;       /* wall time the thread in run() spent working -- the engine, the
                            policy, the enqueues, the completion handling -- i.e. not
                            blocked waiting for a completion or a timer */
    double host_cpu_s;   /* CPU time of that thread over run() (also counts the kernel's
                            cost of putting it to sleep and waking it up) */
    double start_s;      /* wall time inside start(): building and enqueueing commands */
    double overhead_us;  /* host_s / kernels: scheduling overhead per dispatched kernel */
    double overhead_cpu_us;  /* host_cpu_s / kernels */
    double enqueue_us;   /* start_s / kernels */
    double lag_s;        /* summed lateness of the events handled: wall time at handling
                            minus the event's time (a completion's stamp, a timer's deadline) */
    uint64_t events;     /* events handled */
    double lag_us;       /* lag_s / events */
} hs_real_stats;
void hs_real_stats_get(hs_exec *x, hs_real_stats *st);
void hs_real_stats_reset(hs_exec *x);

/* The OpenCL device a PU is bound to ("pthread-... (sub-device 1/2)"). */
const char *hs_real_pu_device(hs_exec *x, int pu);

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

/* Whether this machine has an OpenCL device; the reason in why if not. */
bool hs_real_available(char *why, size_t size);

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
