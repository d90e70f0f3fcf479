/* hetsoc: the OpenCL executor (real/exec/), sibling of the simulated one.
 *
 * The executor implements the engine's executor interface (hs_exec_ops of
 * sim/exec/exec.h) on OpenCL devices: the engine, the policies and the
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
 *     similarity with top-k, in real/exec/kernels/NAME.cl; layer and stage items
 *     run the op sequence they stand for; fixed-time items (`cost:`,
 *     `work:`) run a calibrated busy kernel.
 *   - A PU with NPU shape rules (static_shapes, tile) runs each kernel at
 *     the padded shape hs_hw_predict gives, and refuses what the profile
 *     lists as unsupported.
 *
 * See real/exec/README.md.  Reached through real/real.h, the backend's
 * public header.
 */
#ifndef HS_REAL_EXEC_H
#define HS_REAL_EXEC_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/exec/exec.h"

/* ---- The executor ------------------------------------------------------------ */
typedef struct hs_real_opts {
    uint64_t data_seed;  /* weights, KV caches, token ids, corpora (0 reads as 1) */
    bool noop;           /* run an empty kernel for every item: the overhead benchmark */
    FILE *log;           /* progress (binding, warm-up) for humans; NULL: quiet */
    int runs;            /* hs_real_validate: hardware runs averaged (0 reads as 1) */
    int repeat;          /* hs_real_validate: repetitions, each of `runs` runs (0 reads as 1) */
} hs_real_opts;

/* Binds the profile's PUs to OpenCL devices, builds the kernels, creates
 * the queues.  Errors: no OpenCL platform or device, a profile needing more
 * GPUs or CPU sub-devices than the machine has, a kernel that fails to
 * build (its build log is in the message), out of device memory.  o may be
 * NULL.  The profile must outlive the executor. */
hs_exec *hs_exec_real_create(const hs_hw *hw, const hs_real_opts *o, hs_err *err);

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

/* Whether this machine has an OpenCL device; the reason in why if not. */
bool hs_real_available(char *why, size_t size);

#endif
