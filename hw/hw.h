/* hetsoc: public header of the hw/ layer: SoC profiles and the performance
 * model (the cost of one kernel on one PU).
 *
 * Three parts:
 *   1. the kernel descriptor (hs_kernel), the contract between workloads/,
 *      which lowers LLM and RAG stages to kernels, and hw/ + sim/, which
 *      cost and run them;
 *   2. the profile (hs_hw): memory domains, links, PUs with their plain
 *      performance and power parameters, profiled tables; loaded from a
 *      hw/NAME.yaml file, a path, or an inline `hw:` mapping;
 *   3. the model: hs_hw_predict() (one kernel alone: calibrated roofline,
 *      with a size-dependent utilisation where the profile gives one, or
 *      profiled table, NPU shape rules, launch cost standalone or queued
 *      behind a running kernel) and
 *      hs_hw_predict_corun() (several kernels at once, sharing memory
 *      bandwidth through the max-min solver of sim/).
 *
 * Units: seconds, bytes, bytes/s, FLOP/s, watts, joules, everywhere in C.
 * (YAML uses the customary units named in each key: _gbps, _us, _tflops.)
 *
 * This is the folder's only public header; hw/ includes sim/conf/conf.h
 * (errors, the YAML tree) and, for the co-run model, sim/machine/bandwidth.h.
 * Nothing here prints or exits: errors fill an hs_err.
 */
#ifndef HS_HW_H
#define HS_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "sim/conf/conf.h"

/* Public API: exported from libhetsoc.so, built with -fvisibility=hidden. */
#pragma GCC visibility push(default)

/* ====================================================================== */
/* 1. Kernels                                                             */
/* ====================================================================== */

/* Ops and their shape semantics.  All element counts are per instance;
 * `batch` (>= 1) independent instances multiply flops and bytes.  "act" is
 * the size of `dtype` (activations, outputs), "st" the size of
 * `weight_dtype`, the dtype of the *stored, streamed* operand (weights,
 * KV cache, embedding table, database vectors); see hs_dtype_bytes().
 * Quantised weights (INT8/INT4) with `group` > 0 add one FP16 scale per
 * `group` stored elements (W4A16 with group 128: 0.5 + 2/128 B/weight).
 *
 * op             shape                                 flops            bytes
 * gemm           C[m,n] = A[m,k] x W[k,n]; k = input   2mnk             act(mk + mn) + st(kn)
 *                features, n = output features, m =
 *                tokens (m = 1 is a GEMV)
 * attention      m queries over n KV tokens, k = head  4mnk + 5mn       act(2mk) + st(2nk) per KV
 *                dim, batch = query heads, kv_batch =  (QK^T, PV,       head (K and V), Q and O
 *                KV heads (GQA; 0 = batch)             softmax)         per query head
 * rmsnorm        m rows of n elements                  4mn              act(2mn) + st(n)
 * silu_mul       m rows of n: silu(gate) * up          5mn              act(3mn)
 * softmax        m rows of n elements                  5mn              act(2mn)
 * embedding      m lookups of n-wide rows              mn               st(mn) + act(mn) + 8m
 * vector_search  m queries against n vectors of dim k  2mnk             st(nk) + act(mk) + 8m
 *                (the vectors scanned: all of a flat
 *                index, the probed lists of an IVF)
 * generic        flops and bytes given, shape ignored  given            given
 *
 * Derivation reads m, n, k >= 1 (k unused by rmsnorm, silu_mul, softmax,
 * embedding: may be 0).  A caller may set flops or bytes itself (a fused
 * op group): hs_kernel_derive() keeps non-zero values, and the model
 * scales them by the padding the NPU rules add. */
typedef enum hs_op {
    HS_OP_GEMM,
    HS_OP_ATTENTION,
    HS_OP_RMSNORM,
    HS_OP_SILU_MUL,
    HS_OP_SOFTMAX,
    HS_OP_EMBEDDING,
    HS_OP_VECTOR_SEARCH,
    HS_OP_GENERIC,
    HS_OP_COUNT
} hs_op;

typedef enum hs_dtype {
    HS_DT_FP32,
    HS_DT_FP16,
    HS_DT_INT8,
    HS_DT_INT4,
    HS_DT_COUNT
} hs_dtype;

/* Kernel flags. */
enum {
    /* GEMM on an NPU in the naive operand order [m,k] x [k,n] (activation
     * as the left operand).  Engines swap to ([n,k] x [k,m])^T, which is
     * the default here; this flag charges the PU's order_penalty. */
    HS_KF_ACT_LEFT = 1u << 0,
};

/* One kernel: an op at a shape. */
typedef struct hs_kernel {
    hs_op op;
    hs_dtype dtype;        /* compute dtype: selects the PU's peak */
    hs_dtype weight_dtype; /* dtype of the stored operand (W4A16: INT4) */
    int64_t m, n, k;
    int64_t batch;         /* independent instances (heads, items); 0 reads as 1 */
    int64_t kv_batch;      /* attention: KV heads (GQA); 0 = batch */
    int64_t group;         /* quantisation group of INT8/INT4 stored data; 0 = no scales */
    unsigned flags;        /* HS_KF_* */
    double flops;          /* floating-point (or integer) operations */
    double bytes;          /* DRAM bytes read and written */
} hs_kernel;

/* Names as used in YAML and on the command line ("gemm", "fp16", ...).
 * The arrays are NULL-terminated (for hs_node_enum); the *_from_name
 * functions return -1 for an unknown name.  "gemv" and "embedding_lookup"
 * are accepted as aliases of gemm (with m = 1 left to the caller) and
 * embedding. */
extern const char *const hs_op_names[HS_OP_COUNT + 1];
extern const char *const hs_dtype_names[HS_DT_COUNT + 1];
const char *hs_op_name(hs_op op);
const char *hs_dtype_name(hs_dtype dt);
int hs_op_from_name(const char *name);
int hs_dtype_from_name(const char *name);
/* Bytes per element: 4, 2, 1, 0.5. */
double hs_dtype_bytes(hs_dtype dt);

/* A kernel with the given op and shape, dtype FP16 for both operands,
 * batch 1, no flags, flops and bytes 0 (to be derived). */
hs_kernel hs_kernel_make(hs_op op, int64_t m, int64_t n, int64_t k);
/* Fills flops and bytes (where 0) from op, shape and dtypes, per the table
 * above.  Errors on a bad op or dtype, a shape the op needs that is < 1,
 * negative fields, or a generic kernel with neither flops nor bytes. */
int hs_kernel_derive(hs_kernel *k, hs_err *err);
/* The flops and bytes the table gives for k's shape (ignoring the values
 * stored in k).  Returns 0 or -1 (bad shape). */
int hs_kernel_shape_cost(const hs_kernel *k, double *flops, double *bytes);

/* ====================================================================== */
/* 2. Profiles                                                            */
/* ====================================================================== */

/* The PU kinds, one row each: X(ENUMERATOR, NAME).  The enum, the names a
 * profile's `kind:` accepts (and lists when one is unknown) and the kinds
 * `--pu KIND` finds all come from this list, so a new kind is one row here
 * (plus its treatment in the model, if it has one: hw/model.c). */
#define HS_PU_KIND_LIST(X)       \
    X(HS_PU_CPU, "cpu")          \
    X(HS_PU_GPU, "gpu")          \
    X(HS_PU_NPU, "npu")          \
    X(HS_PU_DSP, "dsp")          \
    X(HS_PU_GENERIC, "generic")

#define HS_PU_KIND_ENUMERATOR(id, name) id,
typedef enum hs_pu_kind { HS_PU_KIND_LIST(HS_PU_KIND_ENUMERATOR) HS_PU_KIND_COUNT } hs_pu_kind;
#undef HS_PU_KIND_ENUMERATOR
/* Each kind's name, in enum order, NULL-terminated (for hs_get_enum). */
extern const char *const hs_pu_kind_names[HS_PU_KIND_COUNT + 1];
/* The kind's name; "?" when kind is out of range. */
const char *hs_pu_kind_name(hs_pu_kind kind);

/* `slots: unlimited`: any number of items run together (processor
 * sharing); a plain `running < slots` test works. */
enum { HS_SLOTS_UNLIMITED = 0x7fffffff };

/* A one-dimensional curve y(x): measured points interpolated (GSL linear
 * or Steffen's monotone cubic, which never overshoots between points), or
 * the fitted form y = a * x^b + c. */
typedef enum hs_curve_kind { HS_CURVE_NONE, HS_CURVE_POINTS, HS_CURVE_POWER } hs_curve_kind;
typedef enum hs_interp { HS_INTERP_LINEAR, HS_INTERP_STEFFEN } hs_interp;

typedef struct hs_curve {
    hs_curve_kind kind;
    hs_interp interp;
    size_t n;              /* POINTS: x strictly increasing */
    double *x, *y;
    double a, b, c;        /* POWER */
    double lo, hi;         /* domain: the points' range, or the fit's (default (0, inf)) */
    void *priv;            /* the GSL interpolation object */
} hs_curve;

/* Sets c to interpolate the n points (copied).  Linear needs n >= 2,
 * Steffen n >= 3; a single point (n = 1) is a constant.  Errors on x not
 * strictly increasing or non-finite values. */
int hs_curve_set_points(hs_curve *c, const double *x, const double *y, size_t n, hs_interp interp,
                        hs_err *err);
void hs_curve_set_power(hs_curve *c, double a, double b, double cc);
/* y(x).  Inside [lo, hi] the interpolant; outside, points curves extend
 * the end segments linearly (so a cost keeps growing past the last
 * measurement) and power forms are evaluated as they are. */
double hs_curve_eval(const hs_curve *c, double x);
bool hs_curve_covers(const hs_curve *c, double x);
void hs_curve_free(hs_curve *c);

/* Fits y = a * x^b + c to n >= 3 points (x > 0, y > 0) by nonlinear least
 * squares on relative residuals (GSL multifit_nlinear, trust region with
 * Levenberg-Marquardt steps), started from a log-log line through (x, y -
 * c0).  With with_c false, c = 0 and the fit is the log-log linear
 * regression (StarPU's REGRESSION_BASED form), n >= 2.  rmse is the root
 * mean square relative residual.  Used by the calibration profiler. */
typedef struct hs_fit {
    double a, b, c;
    double rmse;
    int iterations;
} hs_fit;
int hs_fit_power(const double *x, const double *y, size_t n, bool with_c, hs_fit *out, hs_err *err);

/* A memory domain: the shared DRAM of an SoC, or a discrete GPU's HBM. */
typedef struct hs_mem {
    char *name;             /* "dram" for the `memory:` mapping unless named */
    char *type;             /* informational, e.g. "LPDDR5X-8533"; may be NULL */
    double peak_bps;        /* theoretical bandwidth */
    double achievable_bps;  /* what all PUs together can draw: the capacity the
                               bandwidth solver shares out (<= peak) */
    double capacity_bytes;  /* 0 = not given */
    double energy_j_per_byte;
    size_t nphi;            /* optional degradation curve (HeRo Eq. 1): usable */
    double *phi_demand_bps; /* capacity = achievable / phi(total demand), */
    double *phi;            /* linear between points, constant beyond */
} hs_mem;

/* A link between two memory domains (PCIe between host DRAM and HBM).
 * Full duplex: bandwidth is per direction. */
typedef struct hs_link {
    char *name;
    int from, to;           /* memory domain indices */
    double bandwidth_bps;
    double latency_s;
    double energy_j_per_byte;
} hs_link;

typedef enum hs_shape_policy { HS_SHAPES_PAD, HS_SHAPES_BUILD } hs_shape_policy;

typedef struct hs_pu {
    char *name;
    char *model;            /* informational, e.g. "Adreno 750"; may be NULL */
    hs_pu_kind kind;
    int slots;              /* >= 1 or HS_SLOTS_UNLIMITED */
    int mem;                /* memory domain it reads and writes */
    double speed;           /* generic work per second (`work: x` takes x / speed s) */

    /* Calibrated roofline (Agent.xpu v2 appendix A):
     *   P_eff = u * op_eff[op] * peak[dtype]
     *   B_eff = mem_eff * min(bandwidth_bps, achievable bandwidth of mem)
     *   body  = max(flops / P_eff, bytes / B_eff);  time = body + launch.
     * u is compute_eff, or, when size_eff_half > 0, for a GEMM or a generic
     * kernel with n, k >= 1 (the lowering's fused layer and stage passes,
     * n = k = hidden), the size-dependent utilisation of Hockney's
     * half-performance form (r_inf, n_1/2):
     *   u(x) = size_eff_max * x / (x + size_eff_half),   x = min(n, k)
     * (after tile rounding): small weight matrices cannot fill the
     * systolic arrays and pay fixed per-op costs, so the rate reaches half
     * of its asymptote size_eff_max at x = size_eff_half.  Every GEMM of a
     * transformer layer (QKV, O, gate/up, down, LM head) has min(n, k) =
     * hidden, so op, layer and stage granularity see the same u. */
    double peak[HS_DT_COUNT];   /* ops/s per compute dtype; 0 = not supported */
    double compute_eff;         /* compute-bound anchor u_c, fraction of peak */
    double op_eff[HS_OP_COUNT]; /* per-op factor on the utilisation (default 1) */
    double size_eff_max;        /* u_max of the size law, fraction of peak (0 = off) */
    double size_eff_half;       /* x_1/2 of the size law, elements of min(n, k) (0 = off) */
    double bandwidth_bps;       /* the most this PU alone can draw (per-PU cap) */
    double mem_eff;             /* memory-bound anchor u_m, fraction of the cap */
    double launch_s;            /* per-kernel submission + completion overhead */
    double queue_launch_s;      /* overhead of a kernel enqueued behind a running one
                                   on the same in-order queue (the host's submission
                                   overlaps the previous kernel; the device's dispatch
                                   gap remains); = launch_s unless given */
    double sync_naive_s;        /* cross-PU handoff, blocking wait (clFinish) */
    double sync_fast_s;         /* cross-PU handoff, shared-memory flag polling */
    double preempt_s;           /* longest non-preemptible stretch; 0 = kernel boundary
                                   (hs_preempt: a running item stops at its next
                                   kernel boundary, or within preempt_s if sooner) */
    double preempt_cost_s;      /* cost of one preemption of running work: its
                                   remainder's inputs are ready this long after the
                                   stop (0: Agent.xpu's free checkpoint) */
    double power_active_w, power_idle_w;
    bool unsupported[HS_OP_COUNT];

    /* NPU shape rules (any kind may use them; defaults disable them). */
    int64_t tile;               /* m, n, k round up to a multiple (systolic array); 1 = none */
    size_t nstatic;             /* static graphs exist for these m only; 0 = any m */
    int64_t *static_m;          /* strictly increasing */
    hs_shape_policy shape_policy;
    hs_curve graph_build;       /* seconds to build a graph for m tokens */
    double order_penalty;       /* GEMM time factor with HS_KF_ACT_LEFT (>= 1) */
    double shape_penalty_exp;   /* GEMM time factor (k / r)^exp when k > n and k > r */
    int64_t shape_penalty_ref;  /* r: the input features up to which a GEMM runs at
                                   full rate (0 = n, the weight's own output features).
                                   With r fixed, a row split leaves each part's factor
                                   as the whole weight's (k is unchanged); with r = n
                                   the factor grows as the part narrows. */
} hs_pu;

/* A profiled table: measured seconds of one op on one PU as a function of
 * one varying dimension, the others fixed.  It overrides the roofline for
 * kernels that match (op, PU, fixed dimensions and dtypes) and whose
 * varying dimension lies inside the curve's domain. */
typedef struct hs_table {
    hs_op op;
    int pu;
    int dtype, weight_dtype;    /* -1 = any */
    int64_t fixed[4];           /* m, n, k, batch; -1 = any */
    int vary;                   /* 0 m, 1 n, 2 k, 3 batch */
    hs_curve curve;             /* seconds, launch included */
} hs_table;

typedef struct hs_hw {
    char *name;
    char *description;
    char *path;                 /* file it came from ("<inline>" position for inline) */
    size_t nmem;
    hs_mem *mems;               /* mems[0] is `memory:`, then `memories:` */
    size_t nlinks;
    hs_link *links;
    size_t npus;
    hs_pu *pus;
    size_t ntables;
    hs_table *tables;
    double copy_bps;            /* bandwidth of the copy merging a split item's part
                                   outputs at its join (HeteroInfer T_copy); 0 = free */
} hs_hw;

/* Loads a profile: a built-in name (hw/NAME.yaml, see hs_conf_resolve) or
 * a path.  Errors are "PATH:LINE:COL: error: ...". */
hs_hw *hs_hw_load(const char *name_or_path, hs_err *err);
hs_hw *hs_hw_load_file(const char *path, hs_err *err);
/* From the value of a `hw:` key: a scalar naming a built-in profile or a
 * path (relative paths are tried beside the including file first), or an
 * inline mapping in the profile format. */
hs_hw *hs_hw_from_node(const hs_node *node, hs_err *err);
void hs_hw_free(hs_hw *hw);

/* A PU by name, or by kind ("gpu") standing for the first PU of that kind;
 * a name wins over a kind.  Returns the index or -1. */
int hs_hw_pu_find(const hs_hw *hw, const char *name_or_kind);
/* Same, with an error naming the profile's PUs and the nearest one. */
int hs_hw_pu_lookup(const hs_hw *hw, const char *name_or_kind, hs_err *err);
int hs_hw_mem_find(const hs_hw *hw, const char *name);

/* Effective compute rate (ops/s) of a PU for an op and dtype (0: cannot)
 * with the shape-free utilisation compute_eff, and its effective
 * bandwidth B_eff (bytes/s) alone. */
double hs_pu_peff(const hs_pu *pu, hs_op op, hs_dtype dt);
/* The compute utilisation u of an op whose weight is n x k (see hs_pu):
 * the size law for a GEMM or a generic kernel with n, k >= 1 when the PU
 * has one, compute_eff otherwise.  (op_eff not included.) */
double hs_pu_util(const hs_pu *pu, hs_op op, int64_t n, int64_t k);
/* hs_pu_peff at a shape: u(n, k) * op_eff[op] * peak[dt]. */
double hs_pu_peff_at(const hs_pu *pu, hs_op op, hs_dtype dt, int64_t n, int64_t k);
double hs_hw_beff(const hs_hw *hw, int pu);
/* Seconds of generic work x on a PU: x / speed. */
double hs_hw_work_s(const hs_hw *hw, int pu, double work);
/* Cost of a handoff between two PUs (0 on the same PU): the larger of
 * the two PUs' sync costs, naive or fast. */
double hs_hw_sync_s(const hs_hw *hw, int from, int to, bool fast);

/* ====================================================================== */
/* 3. The model                                                           */
/* ====================================================================== */

/* Prediction flags. */
enum {
    HS_PRED_NO_TABLE = 1u << 0,     /* ignore profiled tables (roofline only) */
    HS_PRED_CHARGE_BUILD = 1u << 1, /* add the NPU graph-build cost to latency */
    HS_PRED_QUEUED = 1u << 2,       /* the kernel is enqueued behind a running one on the
                                       same PU's in-order queue: launch_s is the PU's
                                       queue_launch_s (see hs_pred.queue_launch_s) */
};

/* hs_hw_predict's result when the PU cannot run the kernel. */
enum { HS_PRED_CANNOT_RUN = 1 };

typedef struct hs_pred {
    double flops, bytes;        /* after NPU padding */
    int64_t m, n, k;            /* shape after padding */
    double compute_s;           /* flops / P_eff, shape and order penalties included */
    double memory_s;            /* bytes / B_eff, penalties included */
    double body_s;              /* max(compute_s, memory_s), or the table's time - launch */
    double launch_s;            /* the launch charged: the PU's launch_s, or its
                                   queue_launch_s with HS_PRED_QUEUED */
    double queue_launch_s;      /* the PU's queue_launch_s whatever the flags, so that a
                                   caller holding one prediction can charge either */
    double util;                /* compute utilisation applied (fraction of peak x op_eff):
                                   compute_eff or the size law u(min(n, k)) */
    double build_s;             /* graph-build cost of an unlisted shape (0 if none) */
    double latency_s;           /* body + launch (+ build with HS_PRED_CHARGE_BUILD) */
    double bound_bps;           /* bytes / body_s: the bandwidth it draws alone while
                                   running, and its flow bound for the solver.
                                   For sim/machine: give the kernel compute time
                                   T = body_s (it holds the NPU penalties, u_m and
                                   any table) and bytes Q = bytes, and add launch_s
                                   (or queue_launch_s for a queued kernel; hw/README.md,
                                   "Queued launches in the executor") (+ build_s) as a
                                   fixed delay: alone it then takes exactly latency_s,
                                   and under contention it behaves as
                                   hs_hw_predict_corun predicts. */
    double penalty;             /* NPU order x shape factor applied (1 = none) */
    bool memory_bound;          /* memory_s >= compute_s */
    bool padded;                /* m moved to a static shape or dims to the tile */
    bool needs_build;           /* no static graph for this m */
    bool from_table;            /* a profiled table gave body_s */
    char why[160];              /* HS_PRED_CANNOT_RUN: the reason */
} hs_pred;

/* Predicts one kernel alone on PU pu.  The kernel's flops and bytes are
 * derived when 0.  Returns 0, HS_PRED_CANNOT_RUN (out->why says why: op
 * listed as unsupported, no peak for the dtype, generic PU without
 * figures), or -1 with err set on a malformed kernel or PU index. */
int hs_hw_predict(const hs_hw *hw, int pu, const hs_kernel *k, unsigned flags, hs_pred *out,
                  hs_err *err);

/* A fused kernel (a layer, a pass: the lowering's aggregate items) with
 * the ops it is made of, so that the PU's op support and shape rules apply
 * to each of them.  fused is the whole: op generic, m = its token rows,
 * n = k = the model's hidden size, flops and bytes the totals.  parts[i]
 * is one op: its op, flags (HS_KF_ACT_LEFT), dtypes and the shape of one
 * instance in m, n, k, batch, kv_batch, while its flops and bytes are its
 * share of the totals (all its instances).  The time is the fused
 * roofline with each part's factors applied to its share:
 *   compute = (W + sum_i (W_i * pad_W_i * pen_i - W_i)) / P_eff
 *   memory  = (Q + sum_i (Q_i * pad_Q_i * pen_i - Q_i)) / B_eff
 * pad_* = the padded shape's cost over the shape's (tile, static m), pen_i
 * the GEMM order penalty (HS_KF_ACT_LEFT; not the shape penalty, which
 * whole-model graphs do not pay: hw/README.md, "Fused kernels"); P_eff
 * and B_eff are the whole's, as in
 * hs_hw_predict.  A part whose op the PU lists as unsupported makes the
 * whole HS_PRED_CANNOT_RUN.  The graph is built for the whole's m: needs_build
 * and build_s follow from it as for one kernel.  On a PU without shape
 * rules (tile 1, no static shapes, penalties 1 or off) every factor is 1
 * and the result is hs_hw_predict's of the whole, bit for bit; so is the
 * result when a profiled table covers the whole.  Returns as
 * hs_hw_predict; nparts = 0 is hs_hw_predict. */
int hs_hw_predict_fused(const hs_hw *hw, int pu, const hs_kernel *fused, const hs_kernel *parts,
                        size_t nparts, unsigned flags, hs_pred *out, hs_err *err);

/* Several kernels running together, each on its PU, in steady state: each
 * is a flow of the bandwidth solver over its PU's cap and its memory
 * domain, with bound bytes / compute time; kernels on the same PU share
 * its compute equally (processor sharing).  Each gets latency =
 * bytes / allocated bandwidth (or its compute time) + launch. */
typedef struct hs_corun_item {
    int pu;
    hs_kernel kernel;
} hs_corun_item;

typedef struct hs_corun_out {
    hs_pred alone;              /* hs_hw_predict of the kernel by itself */
    double latency_s;           /* while all items run together */
    double slowdown;            /* latency_s / alone.latency_s */
    double bandwidth_bps;       /* allocated bandwidth while co-running */
} hs_corun_out;

/* Returns 0, or -1 with err set (a kernel the PU cannot run, a bad index,
 * out of memory).  out has n entries. */
int hs_hw_predict_corun(const hs_hw *hw, const hs_corun_item *items, size_t n, unsigned flags,
                        hs_corun_out *out, hs_err *err);
/* Total bandwidth drawn from memory domain mem while items co-run. */
int hs_hw_corun_mem_bps(const hs_hw *hw, const hs_corun_item *items, size_t n, unsigned flags,
                        int mem, double *bps, hs_err *err);

/* ---- The check against the papers (`hetsoc hw check`). ------------- */
typedef struct hs_check_row {
    const char *group;          /* "table3", "bandwidth", "contention" */
    const char *hw;             /* built-in profile */
    char what[96];              /* e.g. "gpu gemm [4096,4096] x 1 tokens" */
    double published;           /* the paper's figure (NaN for a range only) */
    double lo, hi;              /* pass range */
    double predicted;
    const char *unit;           /* "us", "x", "GB/s" */
    const char *source;
    bool asserted;              /* part of the pass/fail verdict */
    bool pass;
    const char *figure;         /* id in hw/published/figures.yaml */
    const char *tag;            /* the figure's tag, "fit" or "held-out" (hs_check_tag) */
    char note[320];             /* the figure's note (why a held-out row misses), "" if none */
} hs_check_row;

/* Computes the check table from the built-in profiles.  *rows is
 * malloc'd (free it).  Returns the number of asserted rows that failed
 * (0 = all pass), or -1 with err set (a profile failed to load). */
int hs_hw_check(hs_check_row **rows, size_t *nrows, hs_err *err);

/* ---- Published figures (hw/published/figures.yaml, hw/README.md "Fit versus held-out"). */
/* Every published figure the project uses, each tagged `fit` (it set a
 * parameter, which names it as `[fit: ID]`) or `held-out` (it set
 * nothing: its check row is a prediction). */
typedef enum hs_fig_tag { HS_FIG_FIT, HS_FIG_HELD_OUT } hs_fig_tag;

typedef struct hs_figure {
    const char *id, *paper, *where, *page, *unit, *sets, *note;  /* owned by the set; "" when absent */
    double value;
    hs_fig_tag tag;
    int line, col;              /* position of the entry in its file */
} hs_figure;

typedef struct hs_figures hs_figures;

/* Loads the set from name_or_path (NULL: the built-in "figures").  Errors
 * (PATH:LINE:COL): an unknown key, a missing id, paper, where, value, unit
 * or tag; an unknown paper (not under `papers:`) or tag; an id that is not
 * lowercase-with-dashes or appears twice; a `sets` on a held-out figure.
 * Returns NULL with err set. */
hs_figures *hs_figures_load(const char *name_or_path, hs_err *err);
void hs_figures_free(hs_figures *f);
size_t hs_figures_count(const hs_figures *f);
const hs_figure *hs_figures_at(const hs_figures *f, size_t i);
/* The figure with this id, or NULL. */
const hs_figure *hs_figures_find(const hs_figures *f, const char *id);
const char *hs_fig_tag_name(hs_fig_tag t);   /* "fit", "held-out" */

/* Fills tag and note of each row from the built-in figures by its
 * `figure` id; a fit row is asserted (a fit that no longer holds fails the
 * check), a held-out row is not (its miss is a finding, reported with the
 * figure's note).  -1 with err set on an unknown id or a load error. */
int hs_check_tag(hs_check_row *rows, size_t n, hs_err *err);

/* Relative error of a row: predicted / published - 1, or for a range-only
 * row (published NaN) the distance outside [lo, hi] relative to the bound
 * passed (0 inside). */
double hs_check_rel_err(const hs_check_row *r);

typedef struct hs_check_summary {
    size_t n, pass;
    double median_abs;          /* median |relative error| */
    double worst;               /* the signed relative error of largest magnitude */
    const char *worst_what;     /* its row (NULL when n = 0) */
} hs_check_summary;

/* Summary of the rows whose tag is `tag`. */
void hs_check_summarise(const hs_check_row *rows, size_t n, const char *tag, hs_check_summary *s);

/* ---- Engine presets (hw/engines/NAME.yaml, hw/README.md "Engine presets"). */
/* A baseline is an engine as well as a schedule: llama.cpp, MLC, MNN,
 * PowerServe, ... run the same kernels at different efficiencies.  A preset
 * holds, per (profile, PU), the compute and/or memory efficiency fitted to
 * the engine's published prefill or decode rate through this model
 * (workloads/: hs_engine_fit), each with the figure it was fitted to.
 * A prefill rate sets compute_efficiency, a decode rate memory_efficiency.
 * On a PU with a size law (size_efficiency) the compute efficiency is the
 * law's asymptote `max` (its `half` kept), since GEMMs use the law. */
typedef enum hs_eff_kind { HS_EFF_COMPUTE, HS_EFF_MEMORY } hs_eff_kind;

/* One fitted efficiency and the published figure it was fitted to: one
 * request alone on `pu` of `profile`, `model` at `quant` lowered at
 * `granularity`, `prompt` tokens; prefill tok/s = prompt / prefill time,
 * decode tok/s = 1 / one decode step (the rules of `hetsoc workload
 * check`, workloads/README.md). */
typedef struct hs_engine_fig {
    char *profile;          /* a built-in profile's name */
    char *pu;               /* a PU of it, by name or kind */
    hs_eff_kind kind;       /* compute (a prefill figure) or memory (decode) */
    double value;           /* the efficiency, (0, 1] */
    double rate;            /* the published tok/s */
    char *model, *quant, *granularity;
    int64_t prompt;
    bool queued;            /* in-order queue: kernels after a pass's first pay queue_launch */
    int launches_per_layer; /* the engine's kernels a layer beyond the lowering's (0: none) */
    char *source;           /* where the figure is published */
    const hs_node *at;      /* the entry, for positioned errors (owned by the preset) */
} hs_engine_fig;

typedef struct hs_engine {
    char *name, *description;
    char *path;
    size_t nfigs;
    hs_engine_fig *figs;
    size_t nas_profile;
    char **as_profile;      /* profiles whose own efficiencies stand for this engine
                               (no figure of its own: e.g. vLLM on server-epyc-h100) */
    hs_node *doc;           /* the parsed file (positions of `at`) */
} hs_engine;

/* What applying a preset did to a profile (the run's `engine_fit` column). */
typedef enum hs_engine_status {
    HS_ENGINE_NONE,         /* no preset asked for (no `engine` parameter) */
    HS_ENGINE_PROFILE,      /* `profile`, or a preset that names this profile under
                               as_profile: the profile's own efficiencies */
    HS_ENGINE_NO_FIGURES,   /* the preset has no figure for this profile: unchanged */
    HS_ENGINE_FITTED,       /* the preset set the efficiencies of its figures */
} hs_engine_status;
/* "", "profile", "no-figures", "fitted". */
const char *hs_engine_status_name(hs_engine_status st);

/* The value of an `engine` parameter that means "no preset". */
#define HS_ENGINE_PROFILE_NAME "profile"

/* Loads a preset: a built-in name (hw/engines/NAME.yaml) or a path.  Every
 * figure's profile must be a built-in profile with that PU, each value in
 * (0, 1], each figure with its source; errors at their position. */
hs_engine *hs_engine_load(const char *name_or_path, hs_err *err);
void hs_engine_free(hs_engine *e);

/* Sets the efficiencies of e's figures whose profile is hw->name (matched
 * by name) on hw's PUs; *status says what it did.  Errors (hw lacks a PU a
 * figure names) leave hw unchanged. */
int hs_engine_apply(const hs_engine *e, hs_hw *hw, hs_engine_status *status, hs_err *err);
/* Loads the preset `name` and applies it; "profile" changes nothing
 * (status HS_ENGINE_PROFILE).  An unknown name is an error listing the
 * known engines. */
int hs_engine_apply_named(hs_hw *hw, const char *name, hs_engine_status *status, hs_err *err);
/* 0 when name is "profile", a built-in preset that loads, or a path to a
 * preset that loads; else the error (an unknown name lists the engines). */
int hs_engine_check_name(const char *name, hs_err *err);
/* Sets a PU's compute efficiency as a preset does: the size law's asymptote
 * where the PU has one, compute_efficiency otherwise. */
void hs_pu_set_compute_eff(hs_pu *pu, double value);
/* Calls fn for each known engine name, sorted ("profile" first); returns
 * the count.  hs_engine_known writes them comma-separated into buf. */
size_t hs_engine_names(void (*fn)(const char *name, const char *path, void *ctx), void *ctx);
void hs_engine_known(char *buf, size_t size);

#pragma GCC visibility pop

#endif
