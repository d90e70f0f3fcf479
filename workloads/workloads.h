/* hetsoc: public header of the workloads/ layer.
 *
 * What a run executes: model configurations, workflow DAGs whose stages
 * lower to work items (kernels at a shape, or off-accelerator delays),
 * request classes, arrival processes and trace readers.
 *
 * How the engine drives it (see workloads/README.md for the full loop):
 *
 *   hs_workload_load()            once; the spec is immutable afterwards and
 *                                 may be shared by concurrent runs
 *   hs_gen_create(wl, seed)       per run: a pull iterator over arrivals
 *   hs_gen_peek / hs_gen_next     the next request's arrival (time order)
 *   hs_request_create(wl, &a, seed)   one request: its realized DAG is drawn
 *                                 here from its own RNG stream, then revealed
 *                                 piece by piece
 *   hs_request_start, hs_request_poll   events: REVEALED / READY / DONE ...
 *   hs_request_next_item          the next work item of a ready stage
 *   hs_request_item_done          that item finished: more items, or the
 *                                 stage is done and its successors move on
 *   hs_request_speculate          start a PENDING stage before its inputs
 *                                 (HedraRAG); SPEC_RESOLVED says if it held
 *   hs_gen_request_done           closed-loop arrivals: a user's request ended
 *
 * Work items of one stage form a chain: item i+1 is issued when item i has
 * completed.  Parallelism comes from independent stages (fan-out, several
 * requests), from splitting one item into parts (hs_item_split) and from
 * batching compatible items of different requests (hs_item_batch).
 *
 * Everything random is drawn from streams derived from the run seed and the
 * identity of the drawing entity (class name, request number), so the same
 * seed gives the same arrivals and the same DAGs whatever the policy does,
 * and adding a class never changes what another class draws.
 *
 * Library code never prints or exits: failures return -1 (or NULL) and fill
 * an hs_err ("PATH:LINE:COL: error: ...").
 */
#ifndef HS_WORKLOADS_H
#define HS_WORKLOADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/conf/conf.h"
#include "sim/kernel/rng.h"
#include "hw/hw.h"

/* Public API: exported from libhetsoc.so, built with -fvisibility=hidden. */
#pragma GCC visibility push(default)

/* =====================================================================
 * Models
 * ===================================================================== */

/* Weight / activation formats as the seed papers ran them. */
typedef enum hs_quant {
    HS_QUANT_FP32,   /* fp32 weights and compute */
    HS_QUANT_FP16,   /* fp16 weights and compute */
    HS_QUANT_W8A16,  /* int8 weights, fp16 activations (Agent.xpu) */
    HS_QUANT_W4A16,  /* int4 weights, fp16 activations (HeteroInfer, AI Hub) */
    HS_QUANT_INT8,   /* int8 weights and int8 compute (HeRo: "all INT8") */
    HS_QUANT_COUNT
} hs_quant;

typedef enum hs_arch {
    HS_ARCH_DECODER,   /* causal transformer with a KV cache (Llama, Qwen) */
    HS_ARCH_ENCODER,   /* bidirectional encoder (BERT, XLM-R: bge) */
} hs_arch;

enum { HS_NAME_MAX = 64 };

/* A transformer's shape.  Plain data: copies are independent. */
typedef struct hs_model {
    char name[HS_NAME_MAX];
    hs_arch arch;
    int32_t layers, hidden, heads, kv_heads, head_dim, ffn, vocab;
    bool gated_ffn;        /* SwiGLU (gate, up, down) rather than GELU (up, down) */
    bool tied_embeddings;  /* LM head shares the token-embedding matrix */
    bool lm_head;          /* has a vocabulary projection (decoders, rerankers) */
    hs_quant quant;        /* default format; a stage may override it */
    int32_t group;         /* quantised weights: one fp16 scale per `group` weights; 0 none */
    int64_t max_context;
} hs_model;

/* Loads a built-in model (workloads/models/NAME.yaml) or a YAML path. */
int hs_model_load(const char *name_or_path, hs_model *m, hs_err *err);
/* Parses a model mapping (the file format of workloads/models/). */
int hs_model_parse(const hs_node *map, hs_model *m, hs_err *err);
/* Parameter count: layers + embeddings (+ untied LM head).  Norm weights
 * are counted; biases and position tables (a few MB) are not. */
double hs_model_params(const hs_model *m);
/* Bytes of all weights in the model's format. */
double hs_model_weight_bytes(const hs_model *m);
/* KV-cache bytes one token adds (all layers, K and V, fp16). */
double hs_model_kv_bytes_per_token(const hs_model *m);

const char *hs_quant_name(hs_quant q);               /* "w4a16" ... */
int hs_quant_from_name(const char *s, hs_quant *q);  /* 0 or -1 */
hs_dtype hs_quant_weight_dtype(hs_quant q);
hs_dtype hs_quant_compute_dtype(hs_quant q);

/* =====================================================================
 * Work items: what a policy places on a PU
 * ===================================================================== */

typedef enum hs_granularity {
    HS_GRAN_OP,      /* one kernel per op: QKV, attention, O, FFN gate/up, ... */
    HS_GRAN_LAYER,   /* one item per transformer layer (+ one for the head) */
    HS_GRAN_STAGE,   /* prefill, the whole decode, a whole encoder pass */
    HS_GRAN_STEP,    /* one item per prefill chunk and per decode iteration (the whole model
                        for one token: embedding, all layers, head): iteration-level
                        scheduling (Orca, vLLM; Agent.xpu's decode loop) */
    HS_GRAN_COUNT
} hs_granularity;

typedef enum hs_phase {
    HS_PHASE_PREFILL,  /* LLM prompt processing; its last item emits token 1 */
    HS_PHASE_DECODE,   /* LLM decode steps; each step emits one token */
    HS_PHASE_ENCODE,   /* embedding / reranking forward pass */
    HS_PHASE_SEARCH,   /* vector search */
    HS_PHASE_CHUNK,    /* document chunking (CPU) */
    HS_PHASE_TOOL,     /* tool or web call: a delay holding no PU */
    HS_PHASE_TASK,     /* a `dag` task or a `synthetic` job, or generic compute */
    HS_PHASE_COUNT
} hs_phase;

/* Which op of a layer an item is (op granularity), or which aggregate. */
typedef enum hs_slot {
    HS_SLOT_EMBED,       /* token-embedding lookup */
    HS_SLOT_ATTN_NORM,   /* norm before attention (after it in BERT) */
    HS_SLOT_QKV,         /* fused Q, K, V projection (+ RoPE) */
    HS_SLOT_ATTN,        /* attention over the KV cache; writes new K, V */
    HS_SLOT_O,           /* attention output projection */
    HS_SLOT_FFN_NORM,
    HS_SLOT_GATE_UP,     /* fused FFN gate and up projections (up only for GELU) */
    HS_SLOT_ACT,         /* SiLU(gate) * up, or GELU */
    HS_SLOT_DOWN,        /* FFN down projection */
    HS_SLOT_FINAL_NORM,
    HS_SLOT_LM_HEAD,     /* vocabulary projection of the rows that need logits */
    HS_SLOT_LAYER,       /* layer granularity: a whole layer (layer 0 adds the embedding) */
    HS_SLOT_HEAD,        /* layer granularity: final norm + LM head */
    HS_SLOT_STAGE,       /* stage granularity: a whole prefill, decode or encoder pass;
                            step granularity: one prefill chunk or one decode step */
    HS_SLOT_IVF_COARSE,  /* IVF: query against the nlist centroids */
    HS_SLOT_SCAN,        /* vector search: scan of lists (IVF) or the corpus (flat) */
    HS_SLOT_CHUNK,
    HS_SLOT_DELAY,
    HS_SLOT_TASK,
    HS_SLOT_COUNT
} hs_slot;

typedef enum hs_item_kind {
    HS_ITEM_KERNEL,  /* runs on a PU; cost from k (or costs / work) */
    HS_ITEM_DELAY,   /* holds no PU: completes delay_s after it starts */
} hs_item_kind;

/* A fixed time on one PU (by PU name, or a kind "cpu"/"gpu"/"npu" that
 * stands for the first PU of that kind).  A PU not listed cannot run the
 * item. */
typedef struct hs_pu_cost {
    const char *pu;
    double seconds;
} hs_pu_cost;

/* How k.bytes divides: splitting and batching treat each part differently. */
typedef struct hs_item_bytes {
    double weights;  /* read once per kernel, shared by its rows (weights, scanned vectors) */
    double in;       /* activations read, per row */
    double out;      /* activations written, per row */
    double kv;       /* KV cache read and written, per sequence */
} hs_item_bytes;

/* One work item.  Pointers refer to the workload or the request that made
 * it and stay valid while both live. */
typedef struct hs_item {
    hs_item_kind kind;
    hs_phase phase;
    hs_slot slot;
    hs_kernel k;             /* op, shape, dtypes; flops and bytes always filled */
    hs_item_bytes parts;     /* k.bytes = weights + in + out + kv */
    const hs_model *model;   /* weights this item reads; NULL for none */
    hs_quant quant;
    int32_t layer;           /* op/layer granularity: 0-based layer; -1 otherwise */
    int64_t tokens;          /* new tokens per sequence (queries for a search) */
    int64_t context;         /* tokens already in the KV cache before them */
    int64_t seq;             /* full sequence length (bidirectional encoders) */
    int64_t units;           /* sequences / queries folded into this item */
    int64_t steps;           /* decode steps covered (a whole decode at stage granularity);
                                1 otherwise */
    int32_t head_rows;       /* LM-head rows per sequence (0: no head) */
    int32_t emits;           /* output tokens this item completes */
    int64_t clusters;        /* search: extent of the cluster axis (IVF lists probed, flat subsets) */
    int64_t cluster_first;   /* search: probe rank of its first cluster (a cluster split's part);
                                0 for a whole scan */
    int64_t nlist;           /* search: IVF lists (0 for flat) */
    double cluster_vectors;  /* search: vectors per cluster */
    double delay_s;          /* HS_ITEM_DELAY */
    double work;             /* abstract work (`work:`, synthetic): time = work / speed of a generic PU */
    const hs_pu_cost *costs; /* per-PU fixed times (`cost:` maps, chunking) */
    size_t ncosts;
    bool batched;            /* made by hs_item_batch (cannot be split again) */
    bool fused;              /* an aggregate (layer, head, stage: lower.c's aggregate_cost):
                                k is the generic whole, hs_item_parts its ops */
    uint16_t resumed;        /* a preemption remainder of a pass or a layer: its
                                first `resumed` kernels ran before (hs_item_remainder);
                                0 otherwise */
    uint64_t batch_key;      /* equal non-zero keys: candidates for hs_item_batch */
} hs_item;

/* Whether the item runs for a given time rather than as a kernel of the
 * hardware model: a `cost:` map (per-PU times) or `work:` (divided by the
 * PU's speed). */
bool hs_item_is_fixed(const hs_item *it);
/* A fixed item's time on PU pu of hw: its `cost:` entry for pu, or work /
 * the PU's speed; -1 when its cost map has no entry for pu (pu cannot run
 * it).  Only for items hs_item_is_fixed accepts. */
double hs_item_fixed_s(const hs_hw *hw, const hs_item *it, int pu);

/* ---- Fused items: the ops an aggregate is made of. -------------------- */
/* An aggregate item (a layer, the head, a stage: `fused`) runs as one
 * generic kernel, but a PU's op support and shape rules (hw/hw.h,
 * hs_hw_predict_fused) apply to the ops it holds.  At most one part per
 * op slot of the pass. */
enum { HS_ITEM_PARTS_MAX = HS_SLOT_LM_HEAD + 1 };
/* Fills parts with the ops of a fused item, re-derived from its pass (the
 * model, tokens, context, units, steps, layer): each part is one op slot
 * with the shape of one instance (the first decode step's for a whole
 * decode) and, as flops and bytes, its share of the item's totals.  A
 * row split part (k.n below the hidden size) narrows each op's output
 * features (heads for attention) in proportion.  GEMM parts carry the
 * item's HS_KF_ACT_LEFT (the lowering leaves it clear: engines swap the
 * operands, HeteroInfer §4).  Returns the number of parts, 0 for an item
 * that is not fused. */
size_t hs_item_parts(const hs_item *it, hs_kernel parts[HS_ITEM_PARTS_MAX]);
/* hs_hw_predict of the item's kernel, or hs_hw_predict_fused with its
 * parts for a fused item.  Same returns. */
int hs_item_predict(const hs_hw *hw, int pu, const hs_item *it, unsigned flags, hs_pred *out, hs_err *err);

/* ---- Splitting: one item into parts that run on several PUs. ---------- */
typedef enum hs_split_axis {
    HS_SPLIT_SEQ,       /* sequence chunks: token rows (causal attention keeps its context) */
    HS_SPLIT_ROWS,      /* weight rows: output columns of a GEMM, heads of attention */
    HS_SPLIT_BATCH,     /* batch items: sequences or queries */
    HS_SPLIT_CLUSTERS,  /* vector search: IVF lists or flat subsets */
    HS_SPLIT_AXIS_COUNT
} hs_split_axis;

const char *hs_split_axis_name(hs_split_axis a);
/* Extent of the axis (parts are integer sizes along it summing to it);
 * 0 or 1 when the item cannot be split along it.  A batched item splits
 * only along HS_SPLIT_ROWS (each part covers every member; a split into
 * sub-batches of members is the engine's: hs_split of a batch work). */
int64_t hs_item_split_extent(const hs_item *it, hs_split_axis axis);
/* Splits it into n parts of the given sizes (each >= 1, summing to the
 * extent).  FLOPs of the parts sum to the whole; operands every part needs
 * are read by every part (weights in a sequence split, the input rows in a
 * row split, earlier context in a causal sequence split), so bytes sum to
 * at least the whole.  Only the last part carries `emits`. */
int hs_item_split(const hs_item *it, hs_split_axis axis, const int64_t *sizes, size_t n,
                  hs_item *parts, hs_err *err);

/* ---- Batching: compatible items of different requests in one kernel. -- */
/* Same model, op, layer and format (GEMM-like ops share their weights;
 * attention concatenates sequences; searches share one index).  At step
 * granularity the decode steps (and prefill chunks) of one model all
 * match: continuous batching.  A whole decode at stage granularity
 * (steps > 1) never batches: its members would need the same number of
 * steps (batch_key 0); use `granularity: step`. */
bool hs_item_batchable(const hs_item *a, const hs_item *b);
/* The batched item: rows concatenated, weights read once (for IVF scans
 * the expected union of the lists probed), FLOPs and per-row bytes summed.
 * Its cost is the batched shape's cost.  For layer, stage and step items
 * this is exact per member: each member's attention FLOPs and KV bytes
 * are over its own context, the GEMMs' weights are read once. */
int hs_item_batch(const hs_item *const *items, size_t n, hs_item *out, hs_err *err);

/* ---- Preemption remainders (remainder.c). ------------------------------
 * An aggregate item (layer or stage granularity) is a chain of kernels a
 * preemption may stop between: the ops of a layer (layer 0's embedding
 * first) or of the head; the layers of a prefill or encoder pass (the
 * embedding in layer 0, then the head as one more); the steps of a whole
 * decode.  Anything else is one kernel. */
/* The kernels of it still to run (>= 1). */
int64_t hs_item_kernels(const hs_item *it);
/* The rest of it after its first `done` kernels (0 < done < its kernels),
 * lowered exactly as the lowering lowers those kernels: a whole decode's
 * remainder is the decode of its later steps (context + done, steps -
 * done: an ordinary item); the remainder of a pass or a layer sums the
 * finer items of its kernels left (layers, or ops) and keeps its other
 * fields, `resumed` counting the kernels done, and cannot be split or
 * batched (batched is set, its batch key is 0).  Returns 0, or -1 with
 * err for an item that is not an aggregate of an LLM or encoder model
 * (or a batch, a fixed-cost item) or a done out of range. */
int hs_item_remainder(const hs_item *it, int64_t done, hs_item *rest, hs_err *err);

/* ---- Direct lowering (the paper check, tools and tests). ------------- */
/* Calls fn for each item of an LLM call (prompt P on top of `context`
 * cached tokens, G output tokens) at granularity g, in chain order.  fn
 * returning non-zero stops the walk and is returned. */
typedef int (*hs_item_fn)(const hs_item *it, void *ctx);
int hs_lower_llm(const hs_model *m, hs_quant q, int64_t context, int64_t prompt, int64_t output,
                 hs_granularity g, hs_item_fn fn, void *ctx);
/* The same at step granularity with prefill chunks of `chunk` tokens (the
 * last chunk holds the rest; chunk <= 0: the whole prompt, one chunk):
 * ceil(prompt / chunk) chunks, chunk j on top of context + j * chunk
 * tokens, then output - 1 decode steps.  -1 for bad arguments. */
int hs_lower_llm_steps(const hs_model *m, hs_quant q, int64_t context, int64_t prompt,
                       int64_t output, int64_t chunk, hs_item_fn fn, void *ctx);
/* The same for one encoder pass over batch x seq (rerank: with the LM head
 * on the last row of each sequence when the model has one). */
int hs_lower_encode(const hs_model *m, hs_quant q, int64_t batch, int64_t seq, bool rerank,
                    hs_granularity g, hs_item_fn fn, void *ctx);

/* ---- The check against the papers. ----------------------------------- */
/* The check against the papers: single-request prefill and decode rates
 * of built-in models on built-in profiles vs published figures (the table
 * of workloads/README.md; `hetsoc workload check`).  *rows is malloc'd.
 * Each row is tagged from hw/published/figures.yaml (hs_check_tag).
 * Returns the number of fit (asserted) rows outside +-25% (held-out rows
 * are predictions: reported, not counted), or -1 with err set. */
int hs_workload_check(hs_check_row **rows, size_t *nrows, hs_err *err);

/* One single-request rate as the check computes it (the rules above
 * hs_workload_check's table in workloads/README.md): `model` at `quant`
 * lowered at `gran` with `prompt` tokens, run alone on `pus` ("gpu", or
 * "gpu,npu" for HeteroInfer's row split); prefill tok/s = prompt / the
 * prefill items' time, decode tok/s = 1 / one decode step. */
typedef struct hs_rate_spec {
    const char *pus, *model, *quant;
    hs_granularity gran;
    int64_t prompt;
    hs_phase phase;
    bool queued;             /* in-order queues: kernels after a pass's first pay
                                their PU's queue_launch_s (HS_PRED_QUEUED) */
    int launches_per_layer;  /* the engine's kernels a layer when more than the
                                lowering's ops (0: one per op); the extra ones are
                                charged as queued launches of the first PU */
} hs_rate_spec;
/* *rate in tok/s on hw.  Returns 0, or -1 with err (unknown model or
 * quant or PU, an item the PUs cannot run). */
int hs_llm_rate(const hs_hw *hw, const hs_rate_spec *s, double *rate, hs_err *err);

/* ---- Engine presets: the fit (hw.h, "Engine presets"). ---------------- */
/* The efficiency of f's kind on f's PU of its profile that makes the model
 * predict f's published rate (bisection: the rate grows with either
 * efficiency), and the rate predicted with the stored f->value.  A figure
 * beyond the profile even at efficiency 1 fits 1 (capped: *rate_at_value
 * stays below it).  Errors (at f's entry) when the figure is below the rate
 * at efficiency 0.001, or the model, quant or granularity is unknown. */
int hs_engine_fit(const hs_engine_fig *f, double *fitted, double *rate_at_value, hs_err *err);

/* =====================================================================
 * Workload specs and request classes
 * ===================================================================== */

typedef enum hs_wl_kind {
    HS_WL_WORKFLOW,   /* request classes running workflow templates */
    HS_WL_LLM,        /* single LLM requests on one model */
    HS_WL_DAG,        /* a static task graph with per-PU costs */
    HS_WL_SYNTHETIC,  /* independent single-item requests */
} hs_wl_kind;

typedef enum hs_priority {
    HS_PRIO_NORMAL,
    HS_PRIO_REACTIVE,   /* user-initiated, latency-critical (Agent.xpu) */
    HS_PRIO_PROACTIVE,  /* background, throughput-oriented */
} hs_priority;

typedef struct hs_slo {
    double latency_s;   /* end-to-end deadline after arrival; 0: none */
    double ttft_s;      /* time to first answer token; 0: none */
    double tpot_s;      /* time per output token; 0: none */
} hs_slo;

typedef struct hs_req_class {
    const char *name;        /* "reactive", "proactive", "default", ... */
    hs_priority priority;
    hs_slo slo;
    const char *workflow;    /* template name; NULL for dag / synthetic */
} hs_req_class;

typedef struct hs_workload hs_workload;

/* Loads a built-in workload (workloads/NAME.yaml) or a YAML path. */
int hs_workload_load(const char *name_or_path, hs_workload **out, hs_err *err);
/* Builds a workload from a tree (inline `workload:` of an experiment). */
int hs_workload_from_node(const hs_node *root, hs_workload **out, hs_err *err);
void hs_workload_free(hs_workload *wl);

const char *hs_workload_name(const hs_workload *wl);
const char *hs_workload_description(const hs_workload *wl);
hs_wl_kind hs_workload_kind(const hs_workload *wl);
hs_granularity hs_workload_granularity(const hs_workload *wl);
size_t hs_workload_nclasses(const hs_workload *wl);
const hs_req_class *hs_workload_class(const hs_workload *wl, size_t i);
/* A class's arrival process in words ("poisson 3/min", "closed, 1 user"). */
void hs_workload_class_arrival(const hs_workload *wl, size_t i, char *buf, size_t size);
/* The distinct stage names of wl (its workflow templates' stages, its dag
 * tasks), up to cap of them into names; returns how many there are. */
size_t hs_workload_stage_names(const hs_workload *wl, const char **names, size_t cap);
/* Requests to leave out of the metrics at the start (synthetic `warmup`). */
int64_t hs_workload_warmup(const hs_workload *wl);
/* Stop conditions: total requests (0: none) and last arrival time (0: none). */
int64_t hs_workload_max_requests(const hs_workload *wl);
double hs_workload_duration(const hs_workload *wl);

/* =====================================================================
 * Arrivals: a pull iterator over requests in time order
 * ===================================================================== */

typedef struct hs_arrival {
    double time;             /* s */
    uint64_t id;             /* 0, 1, 2, ... over the run, in arrival order */
    uint32_t cls;            /* class index */
    uint64_t seq;            /* index within the class */
    uint32_t user;           /* closed loop: the user who issued it; 0 otherwise */
    int64_t prompt_tokens;   /* from a trace; -1 when none */
    int64_t output_tokens;   /* from a trace; -1 when none */
} hs_arrival;

enum {
    HS_GEN_END = 0,       /* no more requests */
    HS_GEN_READY = 1,     /* a request arrives at the reported time */
    HS_GEN_WAIT = 2,      /* only closed-loop users remain, all waiting on their requests */
};

typedef struct hs_gen hs_gen;

/* A run's arrival iterator.  Memory is O(classes + closed-loop users),
 * whatever the number of requests (traces are streamed). */
hs_gen *hs_gen_create(const hs_workload *wl, uint64_t run_seed, hs_err *err);
void hs_gen_free(hs_gen *g);
/* The next arrival's time without consuming it.  Returns HS_GEN_READY,
 * HS_GEN_WAIT, HS_GEN_END or -1 (a trace read error). */
int hs_gen_peek(hs_gen *g, double *time, hs_err *err);
/* Consumes the next arrival.  Same return values. */
int hs_gen_next(hs_gen *g, hs_arrival *a, hs_err *err);
/* Closed loop: a's request finished at time t; its user thinks, then
 * issues the next one.  The next arrival may now be earlier than one the
 * engine already scheduled: peek again.  No effect for open classes. */
void hs_gen_request_done(hs_gen *g, const hs_arrival *a, double t);

/* =====================================================================
 * Requests: a partially observable workflow DAG
 * ===================================================================== */

typedef enum hs_stage_kind {
    HS_STAGE_LLM,      /* prefill + decode */
    HS_STAGE_EMBED,    /* encoder pass, batch x seq */
    HS_STAGE_RERANK,   /* cross-encoder pass over query-document pairs */
    HS_STAGE_SEARCH,   /* vector search (flat or IVF) */
    HS_STAGE_CHUNK,    /* document chunking on the CPU */
    HS_STAGE_TOOL,     /* tool or web call (a delay) */
    HS_STAGE_COMPUTE,  /* generic FLOPs and bytes */
    HS_STAGE_TASK,     /* a `dag` task or a `synthetic` job */
    HS_STAGE_COUNT
} hs_stage_kind;

typedef enum hs_node_state {
    HS_NODE_PENDING,   /* revealed, waiting on inputs */
    HS_NODE_READY,     /* inputs satisfied; items being issued */
    HS_NODE_DONE,
} hs_node_state;

/* What a policy may know about a revealed stage. */
typedef struct hs_stage_info {
    uint32_t id;              /* 0, 1, 2, ... in reveal order */
    const char *name;         /* template stage ("rewrite") or dag task ("n3") */
    hs_stage_kind kind;
    const hs_model *model;    /* NULL when none */
    hs_quant quant;
    int64_t context, prompt, output;   /* LLM tokens */
    int64_t batch, seq;                /* embed / rerank shape; search: batch = queries;
                                          chunk: seq = tokens */
    int32_t iteration;        /* loop iteration (0-based) */
    int32_t item;             /* fan-out index (0-based) */
    const char *affinity;     /* template hint ("npu", "gpu", "cpu") or NULL */
    bool holds_pu;            /* false for tool / web delays */
    bool answer;              /* its first output token is the request's first token */
    hs_node_state state;
    int64_t tokens_out;       /* output tokens emitted so far */
    int64_t items_done;       /* work items completed so far */
    /* Speculation (hs_request_speculate; HedraRAG §4.2.2). */
    double spec_accuracy;     /* chance in [0, 1] that a speculation on this stage holds
                                 (template key `spec_accuracy`; default
                                 HS_SPEC_ACCURACY_DEFAULT) */
    bool speculative;         /* running speculatively: its inputs are not all satisfied yet
                                 (state READY, unresolved) */
    int32_t rollbacks;        /* times its speculation was rolled back (0 or 1): the epoch of
                                 its items; work issued under a lower value is stale */
    /* Search stages: the cluster-hit model (workloads/clusters.c); 0 otherwise. */
    int64_t top_k;            /* final hits (template key `top_k`; default 1) */
    double hit_locality;      /* Zipf exponent of the hits' probe ranks (`hit_locality`) */
    double cluster_skew;      /* Zipf exponent of the clusters' hit shares (`cluster_skew`) */
} hs_stage_info;

/* spec_accuracy of a stage whose template does not give one (and of `dag`
 * tasks and `synthetic` jobs): 0.5, assumed (a coin flip; no seed paper
 * gives a figure for a generic stage). */
#define HS_SPEC_ACCURACY_DEFAULT 0.5

/* An input of a stage. */
typedef struct hs_dep {
    uint32_t node;            /* producer (revealed id) */
    double comm_s;            /* `dag` edges: paid only across PUs */
    int64_t stream_tokens;    /* > 0: satisfied once the producer emitted that many tokens */
} hs_dep;

typedef enum hs_req_ev_type {
    HS_EV_REVEALED,      /* a stage became known (pending or ready) */
    HS_EV_READY,         /* a stage can issue its first item */
    HS_EV_FIRST_TOKEN,   /* an answer stage emitted the request's first token (never for a
                            request without one: embedding-only, dag, synthetic) */
    HS_EV_DONE,          /* a stage finished */
    HS_EV_FINISHED,      /* the whole request finished */
    HS_EV_SPEC_RESOLVED, /* a speculative stage's inputs are all satisfied: `held` says whether
                            the speculation held (see hs_request_speculate) */
} hs_req_ev_type;

typedef struct hs_req_event {
    hs_req_ev_type type;
    uint32_t node;       /* the stage (unused for FINISHED) */
    bool held;           /* SPEC_RESOLVED: true, the speculative work stands; false, it was
                            rolled back (a READY of the same stage follows).  false otherwise */
} hs_req_event;

typedef struct hs_request hs_request;

/* Draws the request's realized DAG from its own stream (run seed, class
 * name, index within the class).  Nothing is revealed yet. */
hs_request *hs_request_create(const hs_workload *wl, const hs_arrival *a, uint64_t run_seed,
                              hs_err *err);
void hs_request_free(hs_request *r);
const hs_arrival *hs_request_arrival(const hs_request *r);
const hs_req_class *hs_request_class(const hs_request *r);
/* Reveals the roots (and what is known to follow them): queues events. */
void hs_request_start(hs_request *r);
/* Pops the next queued event; false when none. */
bool hs_request_poll(hs_request *r, hs_req_event *ev);
/* Stages revealed so far: ids 0 .. n-1. */
uint32_t hs_request_nvisible(const hs_request *r);
const hs_stage_info *hs_request_node(const hs_request *r, uint32_t id);  /* NULL if not revealed */
/* A revealed stage's revealed inputs / outputs.  Returns the total count
 * (writes at most cap). */
size_t hs_request_inputs(const hs_request *r, uint32_t id, hs_dep *out, size_t cap);
size_t hs_request_outputs(const hs_request *r, uint32_t id, hs_dep *out, size_t cap);
/* Whether every input of revealed stage id is revealed, so that the list
 * hs_request_inputs gives is final.  False for a join whose producers are
 * still to come (the iterations of a fan-out not yet emitted, say): such a
 * stage waits on work no policy can see yet.  False for a bad id. */
bool hs_request_inputs_final(const hs_request *r, uint32_t id);
/* The next item of a READY stage, lowered now (decode steps are lowered
 * one at a time).  Returns 1 with *it filled, 0 when an item is still
 * outstanding or the stage has no more, -1 for a bad id or state. */
int hs_request_next_item(hs_request *r, uint32_t id, hs_item *it);
/* The outstanding item of stage id completed.  Returns 1 when the stage
 * has more items, 0 when it is done (events queued) or, speculative, has
 * done all its items and waits for its resolution (no event), -1 misuse. */
int hs_request_item_done(hs_request *r, uint32_t id);
bool hs_request_finished(const hs_request *r);

/* Speculation (HedraRAG §4.2.2: speculative generation from a retrieval's
 * partial top-k, speculative retrieval from a partial generation; the
 * policy's hs_speculate).  Starts PENDING stage id now, before its inputs
 * are satisfied: it becomes READY (an HS_EV_READY is queued) and
 * speculative, and its items issue through hs_request_next_item /
 * hs_request_item_done as usual.  Any revealed PENDING stage may be
 * speculated, whatever its inputs have produced so far (when partial
 * results are worth speculating on is the policy's call).  Returns 0, or
 * -1 (nothing changes) for a bad id or a stage that is not PENDING (READY,
 * DONE, already speculative, or a rolled-back stage running again).
 *
 * While it is speculative the stage never completes: its tokens count in
 * tokens_out but release no streaming edge, and when its last item is done
 * hs_request_item_done returns 0 with no HS_EV_DONE: it waits.  Its answer
 * token is not the request's first token yet.
 *
 * Resolution, when its inputs are all satisfied (when it would have become
 * READY).  A stage fed by at least one search stage (an input edge from
 * it) is decided by progress, not by a coin: held iff, when it was
 * speculated, every such search had found all its final hits (no hit's
 * probe rank lies between the searched prefix then and the search's
 * final searched prefix: every cluster, or fewer for a scan cut short by
 * hs_request_search_truncate), i.e. the top-k it speculated on is the
 * final one; its spec_accuracy is not used.  Any other stage:
 * held ~ Bernoulli(spec_accuracy), drawn from the request's own
 * "spec" stream, one draw per stage (hs_rng_derive(request seed, "spec",
 * k), k the stage's creation index; the request seed is its DAG stream's,
 * hs_rng_derive(run seed, "request/CLASS", index)).  The DAG is drawn at
 * creation, so speculating never changes it, and a stage's outcome does
 * not depend on which other stages were speculated or when.  Queued, in
 * this order:
 *   held:  SPEC_RESOLVED{held = true}; FIRST_TOKEN if it is the answer
 *          stage and already emitted a token; then, if all its items are
 *          done, DONE and its successors move on exactly as for a normal
 *          completion (REVEALED, READY, ... FINISHED), else the streaming
 *          edges its tokens already reached are released.
 *   not held (rollback): SPEC_RESOLVED{held = false}, then READY: the
 *          stage restarts from item 0 (items_done, tokens_out, the decode
 *          position back to 0; rollbacks + 1; the same items again).
 *
 * Rollback and outstanding work: the item outstanding at the rollback (if
 * any) is forgotten.  The engine must throw that work away (cancel it, or
 * let it run and drop its completion) and must NOT call
 * hs_request_item_done for it; it tells stale work by the stage's
 * `rollbacks` when it was issued.  Were it reported anyway, the call
 * returns -1 and changes nothing while the restarted stage has no item
 * outstanding, but once the restart's first item is issued the call would
 * be taken for that item: so never report stale work. */
int hs_request_speculate(hs_request *r, uint32_t id);
/* ---- Progress of a search and the cluster-hit model (HedraRAG §3.3, §4.2).
 * A search stage's scan probes `clusters` clusters in probe order (IVF
 * lists: nprobe; flat: subsets); the policy may split it along
 * HS_SPLIT_CLUSTERS into parts, part i covering the probe ranks
 * [cluster_first, cluster_first + clusters) of its item.  The final top-k
 * hits lie in clusters whose probe ranks are drawn per request
 * (workloads/clusters.c: Zipf of exponent hit_locality over the ranks),
 * from a hash of the request's seed and the stage, never from a stream a
 * policy can move.
 *
 * "Searched": the longest prefix of the probe order whose clusters are all
 * in finished parts (or the whole scan, finished).  A part that finishes
 * before an earlier one counts once the gap is filled: a running top-k is
 * only known up to the clusters merged in probe order.
 *
 * The running top-k changes at probe rank 0 (the empty heap fills) and at
 * each rank that holds a final hit; nothing else moves it (the model). */
typedef struct hs_search_progress {
    int64_t clusters;   /* clusters the scan probes */
    int64_t searched;   /* the searched prefix, 0 .. clusters */
    int64_t top_k;
    bool changed;       /* the running top-k changed within the last m clusters searched
                           (true while searched <= m: the window holds rank 0) */
} hs_search_progress;

/* Hit share of the g hottest of nclusters clusters under the skew law:
 * H(g, skew) / H(nclusters, skew), H(n, s) = sum_{k<=n} k^-s; 0 for g <= 0,
 * 1 for g >= nclusters.  What a GPU index cache holding the g hottest
 * clusters hits (HedraRAG §4.2.3). */
double hs_cluster_hit_share(int64_t nclusters, double skew, int64_t g);
/* Zipf exponent that gives the hottest 20% of 4096 IVF lists 69% of the
 * hits (HedraRAG §3.3, IVF4096): a fit, 0.826 (share 0.690). */
#define HS_CLUSTER_SKEW_DEFAULT 0.826
/* Probe-rank locality of one query's hits: the same exponent (assumed; no
 * paper gives the per-query figure). */
#define HS_HIT_LOCALITY_DEFAULT HS_CLUSTER_SKEW_DEFAULT

/* Progress of revealed search stage id, with `changed` over the last m
 * clusters searched (m >= 1).  Returns 0, or -1 (out untouched) for a bad
 * id or a stage that is not a search. */
int hs_request_search_progress(const hs_request *r, uint32_t id, int64_t m,
                               hs_search_progress *out);
/* The probe ranks of the final hits of search stage id, in hit order, to
 * ranks (at most cap written).  Returns top_k, or -1 as above.  Ground
 * truth: for tests and tools; a policy that reads it is an oracle. */
int64_t hs_request_search_hits(const hs_request *r, uint32_t id, int64_t *ranks, size_t cap);
/* The engine: a part of the outstanding scan of READY search stage id,
 * covering probe ranks [first, first + n), finished.  Returns 0, or -1
 * (nothing changes) for a bad id, a stage not running its scan, or a range
 * outside it.  The whole scan's completion (hs_request_item_done) marks
 * every cluster searched. */
int hs_request_search_part_done(hs_request *r, uint32_t id, int64_t first, int64_t n);
/* The engine: the outstanding scan of READY search stage id is cut short
 * (early termination, HedraRAG §4.2.2; the engine's hs_search_drop_rest):
 * its completion no longer marks every cluster searched, so its final
 * searched prefix is what its finished parts covered, and the final hits
 * beyond it are lost (the search returns the top-k of the clusters it
 * searched; hs_request_search_hits still gives the exact search's).
 * Returns 0, or -1 (nothing changes) for a bad id, a stage not running
 * its scan, or a scan no part of which has finished (nothing searched:
 * nothing to stop at).  A rollback of the stage forgets it. */
int hs_request_search_truncate(hs_request *r, uint32_t id);

/* ---- Similarity order of a search (HedraRAG §4.2.2; clusters.c).
 * A request's successive searches look near each other (an IRG or
 * multistep request re-asks about what it just retrieved).  HedraRAG keeps
 * per request the clusters its previous search was assigned (C) and those
 * that held its results (H_v), and scans a new search's clusters C' in the
 * order H_v ∩ C', (C - H_v) ∩ C', the rest; it also caches the previous
 * search's larger top-k (20) and probes it first.
 *
 * The model.  A search keeps its hits' probe ranks (above: baselines scan
 * in probe order and see exactly those); what reordering adds is where
 * those ranks fall in the scan.  Relative to the request's last finished
 * search (none: probe order), each hit j draws from the search's own
 * "locality" stream (hs_rng_derive(request seed, "locality", node), apart
 * from every stream a baseline sees) where its cluster lies:
 *   u < cache            its result is among the previous search's 20 best
 *                        (the larger top-k cached): in H_v too, and a cache
 *                        of local_topk results holds it with chance
 *                        local_topk / 20 (its place among the 20 uniform;
 *                        chosen);
 *   u < hit              its cluster held one of the previous search's 20
 *                        best results: in H_v ∩ C';
 *   u < assigned         its cluster was assigned to the previous search:
 *                        in (C - H_v) ∩ C';
 *   else                 a cluster new to the request.
 * The shares are HedraRAG §4.2.2's locality figures read as cumulative tiers
 * (HS_LOCALITY_*: "up to 33% / 52% / 77% of queries"; the reading is
 * assumed, see the defaults), or the stage's `locality: [cache, hit,
 * assigned]`.  |H_v| is the number of distinct clusters holding the
 * previous search's 20 best results (its hits, then further ranks drawn
 * under the locality law; fixed `hit_ranks`: its hits alone); all of H_v
 * is in C' (they held the nearest results to a nearby query; assumed): the
 * clusters the hits did not place go to Zipf-drawn free ranks.  Every
 * other rank was assigned before with chance `assigned` (chosen: the
 * overlap of C' with C equal to the share of hits found in it).  The scan
 * then takes the three tiers in turn, each in probe order; a hit that
 * the cache probe finds sits at position 0 (the running top-k holds it
 * before the first cluster).  The tier counts are what the real system
 * knows (it keeps C and H_v); the hits' tiers are not. */
#define HS_LOCALITY_CACHE_DEFAULT 0.33     /* HedraRAG §4.2.2: "up to 33%" (read: in the top-20 cache) */
#define HS_LOCALITY_HIT_DEFAULT 0.52       /* "up to 52%" (read: in a cluster of H_v) */
#define HS_LOCALITY_ASSIGNED_DEFAULT 0.77  /* "up to 77%" (read: in a cluster of C) */
#define HS_LOCAL_TOPK_MODEL 20             /* HedraRAG §4.2.2: the larger top-k cached */

typedef struct hs_search_order {
    int64_t hit_first;       /* |H_v ∩ C'|: scanned first */
    int64_t assigned_next;   /* |(C - H_v) ∩ C'|: then these */
    int64_t rest;            /* the other clusters of C', last */
} hs_search_order;

/* Reorders the scan of revealed search stage id (not DONE, no part of its
 * scan finished) as above, relative to the request's last finished search,
 * with a cache probe of local_topk results (0: none): from now on its
 * progress, early termination and the speculations on its consumers are
 * judged by the hits' scan positions (the parts of a split scan cover
 * scan positions, not probe ranks; each cluster costs the same, so no
 * work's cost changes).  Deterministic: calling it again, or again after
 * a rollback (which returns the scan to probe order), gives the same
 * order.  Fills *out (may be NULL).  Returns 0, or -1 (nothing changes)
 * for a bad id, a stage that is not a search, DONE or with a part
 * finished, local_topk < 0, or out of memory. */
int hs_request_search_reorder(hs_request *r, uint32_t id, int64_t local_topk, hs_search_order *out);
/* The scan positions of the final hits of search stage id (their probe
 * ranks unless reordered), as hs_request_search_hits.  Ground truth. */
int64_t hs_request_search_hit_positions(const hs_request *r, uint32_t id, int64_t *pos, size_t cap);

/* ---- Look-ahead: what the workflow template says is to come (HeRo Eq.
 * 4's CS_F).  The model (workloads/lookahead.c): P(s), the chance template
 * stage s runs in a pass, propagates forward from the roots as
 * 1 - prod_{in-edges (u, s)} (1 - P(u) p), exact for a DAG whose branch
 * coins are independent and whose conditional paths do not meet again;
 * a loop's iterations E[N] are exact for a constant count and for a
 * geometric one (a truncated geometric series), the clamped mean
 * otherwise, each iteration repeating the first's probabilities; a
 * fan-out has its emitter's mean `emits` items; one instance's work is
 * its fields at their means, lowered at stage granularity (items at the
 * workload's).  Computed per call (templates are small): call it when the
 * DAG changes, not per dispatch.  Only workflow requests have a template:
 * the calls below return 0 / -1 for `dag` and `synthetic` requests. */
typedef struct hs_work_expect {
    double flops, bytes;   /* FLOP, B */
    double items;          /* work items at the workload's granularity */
} hs_work_expect;

typedef struct hs_stage_expect {
    const char *name;      /* the template stage */
    double p_run;          /* chance it runs in a pass (an iteration, a fan-out item) */
    double runs;           /* expected instances per request: p_run x E[N] x E[items] */
    hs_work_expect one;    /* expected work of one instance */
} hs_stage_expect;

typedef struct hs_template_edge {
    int from, to;          /* template stage indices (hs_request_template_expect's order) */
    double p;              /* the chance the edge is taken (1 for a back edge) */
    bool back;             /* a loop's back edge */
    double iterations;     /* back edge: the loop's expected iterations E[N]; 0 otherwise */
} hs_template_edge;

/* The template stage (index) of revealed stage id; -1 for a bad id or a
 * request without a template. */
int hs_request_template_stage(const hs_request *r, uint32_t id);
/* Every template stage's expectations (at most cap written).  Returns the
 * number of template stages. */
size_t hs_request_template_expect(const hs_request *r, hs_stage_expect *out, size_t cap);
/* The template's edges (at most cap written).  Returns their number. */
size_t hs_request_template_edges(const hs_request *r, hs_template_edge *out, size_t cap);
/* Expected work of a whole request of r's class (its trace token counts
 * applied).  0, or -1 without a template. */
int hs_request_expected_total(const hs_request *r, hs_work_expect *out);
/* CS_F of revealed stage id: the expected work of what follows it in the
 * template, given that it runs: its forward successors with P
 * propagated from it (a loop entered later: all its iterations), plus, in
 * a loop, the body's remaining iterations E[N - it - 1 | N > it] (exact
 * for constant and geometric counts).  Not the stage itself; revealed or
 * not, everything the template says follows counts.  0, or -1 for a bad
 * id or a request without a template. */
int hs_request_expected_downstream(const hs_request *r, uint32_t id, hs_work_expect *out);

/* Walks every item of a revealed stage from its start, without touching
 * its progress (a policy's whole-stage estimate; `workload show`). */
int hs_request_stage_items(const hs_request *r, uint32_t id, hs_item_fn fn, void *ctx);

/* Names for printing. */
const char *hs_stage_kind_name(hs_stage_kind k);
const char *hs_slot_name(hs_slot s);
const char *hs_phase_name(hs_phase p);
const char *hs_granularity_name(hs_granularity g);

/* =====================================================================
 * Built-in files
 * ===================================================================== */
/* Built-in dirs for hs_conf_list_builtin / hs_conf_resolve. */
#define HS_WL_DIR "workloads"
#define HS_WL_MODELS_DIR "workloads/models"
#define HS_WL_WORKFLOWS_DIR "workloads/workflows"

/* Checks a workflow template file (workloads/workflows/NAME.yaml or a
 * path): parses and validates it; the description is copied to desc. */
int hs_workflow_check(const char *name_or_path, char *desc, size_t desc_size, hs_err *err);

#pragma GCC visibility pop

#endif
