/* hetsoc: HeteroInfer's partition solver (arXiv 2501.14794v2, SOSP'25, §4.2
 * "Solver"; HeteroLLM v1 calls the same partitions row-cutting,
 * sequence-length cutting and hybrid-cutting).
 *
 * For one partitionable GEMM (attention projections, FFN gate/up/down) at
 * one sequence length m it picks, between one GPU and one NPU,
 *
 *   T_total = min( T_GPU^all,
 *                  T_NPU^all + T_sync + T_copy,
 *                  max(T_GPU^p1, T_NPU^p2) + T_sync + T_copy )   p1 + p2 = all
 *
 * where p1, p2 is a weight-centric, activation-centric or hybrid partition.
 * Every T is the hardware model's (hs_hw_predict) for the part's shape, so
 * the NPU's rules -- tile, static shapes with padding, operand order, the
 * shape penalty -- come from the profile, not from the solver.  Results are
 * cached per shape.  Used by the `heterollm` policy and `hetsoc partition`.
 * Not installed; policies reach it through policy.h's includes only.
 */
#ifndef HS_POLICIES_HETEROLLM_SOLVER_H
#define HS_POLICIES_HETEROLLM_SOLVER_H

#include <stdbool.h>
#include <stdint.h>

#include "hw/hw.h"

typedef enum hll_strategy {
    HLL_GPU_ONLY,
    HLL_NPU_ONLY,
    HLL_WEIGHT_CENTRIC,      /* rows of the weight split GPU:NPU, both at m */
    HLL_ACTIVATION_CENTRIC,  /* NPU: the largest static size <= m; GPU: the rest */
    HLL_HYBRID,              /* a weight split whose NPU part pads m to a static size */
    HLL_STRATEGY_COUNT
} hll_strategy;

/* "gpu-only", "npu-only", "weight-centric", "activation-centric", "hybrid". */
const char *hll_strategy_name(hll_strategy s);

/* One partition and its predicted time (INFINITY: not applicable). */
typedef struct hll_choice {
    double time_s;            /* max of the parts (+ T_sync + T_copy when the NPU is used) */
    int gpu_share, npu_share; /* the weight ratio GPU:NPU (1:0, 0:1 for one PU; 0:0 activation) */
    int64_t gpu_rows, npu_rows;     /* output features per PU */
    int64_t gpu_tokens, npu_tokens; /* token rows per PU */
    bool padded;              /* the NPU runs m snapped up to a larger static shape */
} hll_choice;

typedef struct hll_decision {
    hll_strategy strategy;                 /* the argmin */
    hll_choice best[HLL_STRATEGY_COUNT];   /* the best of each strategy */
} hll_decision;

typedef struct hll_config {
    const hs_hw *hw;
    int gpu, npu;        /* PU indices of hw (both valid and distinct) */
    double sync_s;       /* T_sync: the GPU-NPU handoff (fast or naive) */
    double copy_bps;     /* T_copy = output bytes / copy_bps; 0: free (the profile's copy_gbps) */
    int grid;            /* weight ratios a:b with 1 <= a, b <= grid (HLL_GRID_DEFAULT) */
    /* false: the paper's equation for a kernel timed alone (Table 3).
     * true: the GEMM sits in a pass whose other ops run on the GPU (norms,
     * attention, SwiGLU), as the executor runs it: the GPU-only kernel is
     * queued behind its predecessor (queue_launch, hw/README.md "Queued
     * launches"); using the NPU adds the handoff of the input to it (one
     * more T_sync) and costs the GPU's next kernel its queued launch
     * (launch_s - queue_launch_s after the join). */
    bool in_pass;
} hll_config;

/* The ratio grid: GPU:NPU = a:b, a and b in 1..3 (chosen: the smallest grid
 * that holds every ratio of Table 3 -- 1:1, 3:1, 2:3). */
enum { HLL_GRID_DEFAULT = 3 };

typedef struct hll_solver hll_solver;

/* A solver for cfg (copied; cfg->hw must outlive it).  NULL when out of
 * memory or cfg is invalid (err set). */
hll_solver *hll_solver_new(const hll_config *cfg, hs_err *err);
void hll_solver_free(hll_solver *sv);

/* The decision for GEMM k (op HS_OP_GEMM; m tokens, n output features, k
 * input features, its dtypes, group and flags; flops and bytes ignored).
 * The pointer stays valid until hll_solver_free.  NULL with err set when k
 * is not a GEMM or cannot be predicted; a PU that cannot run k makes every
 * strategy using it INFINITY (both: the decision's time is INFINITY). */
const hll_decision *hll_solve(hll_solver *sv, const hs_kernel *k, hs_err *err);

/* The best of the strategies whose bit (1u << strategy) is in mask; NULL
 * when none of them is finite. */
const hll_choice *hll_pick(const hll_decision *d, unsigned mask, hll_strategy *which);

/* Entries cached so far (shapes solved). */
size_t hll_solver_cached(const hll_solver *sv);

#endif
