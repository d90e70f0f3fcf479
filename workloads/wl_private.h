/* hetsoc workloads/: declarations shared by the folder's .c files only.
 * Not a public header: other folders include workloads/workloads.h. */
#ifndef HS_WL_PRIVATE_H
#define HS_WL_PRIVATE_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>

#include "workloads/workloads.h"

/* Internal functions are not exported from the shared library. */
#define WL_HIDDEN __attribute__((visibility("hidden")))

/* ---- Small helpers (models.c). --------------------------------------- */
WL_HIDDEN char *wl_strdup(const char *s);           /* NULL on OOM (or s NULL) */
WL_HIDDEN void *wl_grow(void *p, size_t *cap, size_t need, size_t elem);  /* realloc x2 */
/* The value of key in map, requiring a scalar string. */
WL_HIDDEN int wl_get_name(const hs_node *map, const char *key, bool required, char *buf,
                          size_t size, hs_err *err);

/* ---- Distributions (dist.c). ------------------------------------------ */
typedef enum wl_dist_kind {
    WD_CONST,
    WD_UNIFORM,      /* lo, hi */
    WD_UNIFORM_INT,  /* lo, hi inclusive */
    WD_EXPONENTIAL,  /* mean */
    WD_NORMAL,       /* mean, sd */
    WD_LOGNORMAL,    /* mean, cv  (or mu, sigma) */
    WD_GAMMA,        /* mean, cv */
    WD_POISSON,      /* mean */
    WD_GEOMETRIC,    /* p: trials until the first success, 1, 2, ... */
    WD_DISCRETE,     /* values, weights */
    WD_COUNT
} wl_dist_kind;

typedef struct wl_dist {
    wl_dist_kind kind;
    double a, b;             /* parameters in the GSL form (see dist.c) */
    double mean;             /* of the unclamped distribution */
    double lo, hi;           /* clamp (`min`, `max`); -inf / +inf when absent */
    size_t n;                /* DISCRETE */
    double *values;
    gsl_ran_discrete_t *table;
} wl_dist;

WL_HIDDEN int wl_dist_parse(const hs_node *n, wl_dist *d, hs_err *err);
WL_HIDDEN double wl_dist_sample(const wl_dist *d, gsl_rng *g);
WL_HIDDEN void wl_dist_free(wl_dist *d);

/* ---- Expressions (expr.c): "ceil($doc / 118) + 2 * $top_k". ----------- */
typedef struct wl_expr wl_expr;
/* Maps a variable name (without '$') to its slot, or -1 when unknown. */
typedef int (*wl_var_fn)(const char *name, void *ctx);
WL_HIDDEN wl_expr *wl_expr_compile(const hs_node *where, const char *text, wl_var_fn var,
                                   void *ctx, hs_err *err);
WL_HIDDEN double wl_expr_eval(const wl_expr *e, const double *vars);
WL_HIDDEN void wl_expr_free(wl_expr *e);

/* A numeric field: a constant, an expression or a distribution. */
typedef enum wl_num_kind { WN_NONE, WN_CONST, WN_EXPR, WN_DIST } wl_num_kind;
typedef struct wl_num {
    wl_num_kind kind;
    double c;
    wl_expr *e;
    wl_dist d;
    const hs_node *where;
} wl_num;

WL_HIDDEN int wl_num_parse(const hs_node *n, wl_var_fn var, void *ctx, wl_num *out, hs_err *err);
WL_HIDDEN double wl_num_eval(const wl_num *v, const double *vars, gsl_rng *g);
WL_HIDDEN void wl_num_free(wl_num *v);

/* ---- Lowering (lower.c). ---------------------------------------------- */
/* What an LLM or encoder stage lowers from. */
/* The operand order of the GEMMs a model stage lowers to (`operand_order:`):
 * swapped, as engines run them on an NPU (([n,k] x [k,m])^T, HeteroInfer
 * section 4, NPU-2), or naive ([m,k] x [k,n], the activation on the left:
 * HS_KF_ACT_LEFT, which an NPU charges its order_penalty).  0 (a stage
 * without the key, a workload without it) inherits: the workload's, else
 * swapped. */
enum { WL_ORDER_INHERIT = 0, WL_ORDER_SWAPPED = 1, WL_ORDER_NAIVE = 2 };
/* Reads `operand_order:` of map n (absent: *order unchanged). */
WL_HIDDEN int wl_get_operand_order(const hs_node *n, int *order, hs_err *err);

typedef struct wl_largs {
    const hs_model *m;
    hs_quant q;
    bool encode;           /* an encoder pass (embed / rerank) rather than an LLM call */
    int64_t context, prompt, output;   /* LLM */
    int64_t batch, seq;                /* encoder pass */
    int32_t head_rows;                 /* encoder pass: LM-head rows per sequence */
    int64_t chunk;                     /* step granularity: prefill chunk tokens; 0 the
                                          whole prompt */
    bool act_left;                     /* `operand_order: naive`: GEMMs carry HS_KF_ACT_LEFT */
} wl_largs;

WL_HIDDEN int64_t wl_lower_count(const wl_largs *a, hs_granularity g);
WL_HIDDEN void wl_lower_at(const wl_largs *a, hs_granularity g, int64_t pos, hs_item *it);
/* A memo of the items one pass repeats layer after layer (lower.c): with
 * it, wl_lower_at_cached gives the items wl_lower_at gives, lowering each
 * slot once per pass.  One memo serves one wl_largs and granularity (a
 * stage's); NULL: no memo.  wl_lcache_new returns NULL on OOM. */
typedef struct wl_lcache wl_lcache;
WL_HIDDEN wl_lcache *wl_lcache_new(void);
WL_HIDDEN void wl_lcache_free(wl_lcache *c);
WL_HIDDEN void wl_lower_at_cached(const wl_largs *a, hs_granularity g, int64_t pos, hs_item *it,
                                  wl_lcache *c);
/* Step granularity (step.c): the item count and item pos of a's stage;
 * wl_lower_count / wl_lower_at hand HS_GRAN_STEP to these. */
WL_HIDDEN int64_t wl_step_count(const wl_largs *a);
WL_HIDDEN void wl_step_at(const wl_largs *a, int64_t pos, hs_item *it);
/* Recomputes it's cost from its own span fields (slot, layer, tokens,
 * context, seq, units, steps, head_rows): the basis of splitting. */
WL_HIDDEN void wl_relower(hs_item *it);
WL_HIDDEN bool wl_item_is_llm(const hs_item *it);

/* Vector search: one IVF / flat search stage. */
typedef struct wl_search {
    bool ivf;
    double vectors;        /* corpus size */
    int64_t dim, nlist, nprobe, subsets, queries;
    hs_dtype dtype;        /* stored vectors */
} wl_search;
WL_HIDDEN int64_t wl_search_count(const wl_search *s);
WL_HIDDEN void wl_search_at(const wl_search *s, int64_t pos, hs_item *it);
/* Cost of a scan / coarse item from its fields (units = queries). */
WL_HIDDEN void wl_search_recost(hs_item *it);
WL_HIDDEN uint64_t wl_hash(uint64_t h, uint64_t v);
/* Cluster-hit model (clusters.c): the probe rank in [0, n) whose Zipf
 * (exponent locality) CDF first exceeds u in [0, 1). */
WL_HIDDEN int64_t wl_hit_rank(double u, int64_t n, double locality);
WL_HIDDEN void wl_item_finish(hs_item *it);   /* k.bytes = sum of parts */
/* Similarity order of a search (clusters.c; workloads.h, "Similarity
 * order"): its probe ranks in three tiers -- the clusters that held the
 * previous search's results (H_v), those assigned to it (C - H_v), the
 * rest -- each in probe order. */
typedef struct wl_order_in {
    int64_t n;                 /* clusters probed (C') */
    const int64_t *hits;       /* [top_k] the final hits' probe ranks (fixed) */
    int64_t top_k;
    double locality;           /* Zipf exponent of probe ranks */
    double p_cache, p_hit, p_assigned;   /* the stage's locality shares */
    int64_t h_prev;            /* distinct clusters of the previous search's larger top-k
                                  (0: no previous search: probe order) */
    int64_t local_topk;        /* results the policy's cache holds (0: no cache probe) */
    uint64_t seed;             /* the search's own "locality" stream */
} wl_order_in;
typedef struct wl_order_out {
    int64_t hit_first, assigned_next, rest;   /* clusters per tier */
} wl_order_out;
/* hit_pos[j]: the scan position of hit j (0 for a hit the cache probe
 * finds).  Returns 0, or -1 out of memory. */
WL_HIDDEN int wl_cluster_order(const wl_order_in *in, int64_t *hit_pos, wl_order_out *out);
/* Distinct clusters holding a search's large_k best results (its top_k
 * hits, then large_k - top_k more ranks drawn from seed's "topl" stream
 * under the locality law): its H.  -1 out of memory. */
WL_HIDDEN int64_t wl_hit_clusters(int64_t n, double locality, const int64_t *hits, int64_t top_k,
                                  int64_t large_k, uint64_t seed);

/* ---- Workflow templates (workflow.c). --------------------------------- */
typedef struct wl_param {
    char *name;
    const hs_node *where;   /* its value, for errors */
    bool is_str;
    char *str;
    wl_num num;
} wl_param;

typedef struct wl_stage {
    char *name;
    hs_stage_kind kind;
    const hs_node *where;
    char *model;            /* a name or "$param"; NULL for none */
    char *quant;            /* a name or "$param"; NULL: the model's */
    char *affinity;         /* NULL for none */
    int foreach;            /* emitter stage, -1 */
    int loop;               /* loop index, -1 */
    bool emitter, answer_set, answer;
    wl_num emits;
    wl_num context, prompt, output;       /* llm */
    wl_num batch, seq;                    /* embed, rerank */
    wl_num vectors, dim, nlist, nprobe, subsets, queries;  /* search */
    bool ivf;
    hs_dtype vec_dtype;
    wl_num tokens, s_per_token;           /* chunk */
    wl_num latency;                       /* tool */
    wl_num flops, bytes;                  /* compute */
    wl_num spec_accuracy;                 /* number or expression (never drawn); WN_NONE:
                                             HS_SPEC_ACCURACY_DEFAULT */
    bool gran_set;                        /* `granularity:` given: gran overrides the
                                             workload's */
    hs_granularity gran;
    int64_t chunk_tokens;                 /* step granularity's prefill chunk; 0: the
                                             workload's */
    int operand_order;                    /* WL_ORDER_*: the stage's own, or INHERIT */
    wl_num top_k, hit_locality, cluster_skew;   /* search: the cluster-hit model; numbers or
                                                   expressions (never drawn); WN_NONE: defaults */
    int64_t *hit_ranks;                   /* search `hit_ranks`: fixed probe ranks of the hits
                                             (replaces the draw; top_k = their count); NULL */
    size_t nhit_ranks;
    bool locality_set;                    /* search `locality: [cache, hit, assigned]` given */
    double locality[3];                   /* its shares (else HS_LOCALITY_*_DEFAULT) */
} wl_stage;

typedef struct wl_edge {
    int from, to;
    double p;
    int64_t stream;
    bool back;              /* a loop's back edge */
    bool exit;              /* leaves a loop body */
    bool statik;            /* known once its source is known */
    const hs_node *where;
} wl_edge;

typedef struct wl_loop {
    int edge;               /* its back edge */
    wl_num count;           /* iterations of the body (>= 1) */
    int64_t max;            /* cap */
} wl_loop;

typedef struct wl_template {
    hs_node *root;          /* a copy: `where` pointers stay valid */
    char *name, *description, *source;
    bool inline_def;        /* written inside a workload: never shared by name */
    size_t nparams;
    wl_param *params;
    size_t nstages;
    wl_stage *stages;
    size_t nedges;
    wl_edge *edges;
    size_t nloops;
    wl_loop *loops;
    int *topo;              /* stages in forward topological order */
    int prompt_param, output_param;   /* -1 when absent */
} wl_template;

/* Variable slots of a template's expressions: params, then these. */
enum { WL_VAR_ITER = 0, WL_VAR_ITEM = 1, WL_NBUILTIN = 2 };

WL_HIDDEN wl_template *wl_template_load(const char *name_or_path, hs_err *err);
WL_HIDDEN wl_template *wl_template_parse(const hs_node *root, const char *name, hs_err *err);
WL_HIDDEN void wl_template_free(wl_template *t);
WL_HIDDEN int wl_template_param(const wl_template *t, const char *name);
/* Parses a class's override n of parameter `name` of t into out. */
WL_HIDDEN int wl_param_override(const wl_template *t, const char *name, const hs_node *n,
                                wl_param *out, hs_err *err);
WL_HIDDEN void wl_param_free(wl_param *p);

/* ---- Workloads (workload.c). ------------------------------------------ */
typedef enum wl_process {
    WA_POISSON, WA_DETERMINISTIC, WA_GAMMA, WA_MMPP, WA_CLOSED, WA_TRACE, WA_COUNT
} wl_process;

typedef struct wl_trace_format wl_trace_format;   /* traces.c */

typedef struct wl_trace_spec {
    char *path;
    const wl_trace_format *format;
    double time_unit;       /* seconds per timestamp unit */
    double time_scale;      /* multiplies gaps */
    double start;           /* skip the first `start` seconds of the trace */
    int64_t limit;          /* keep the first N (0: all) */
    int64_t records;        /* counted when loaded */
} wl_trace_spec;

typedef struct wl_arrival {
    wl_process process;
    double rate;            /* 1/s */
    double cv;              /* gamma */
    double rate_on, rate_off, mean_on, mean_off;   /* mmpp */
    int64_t users;          /* closed */
    wl_dist think;          /* closed */
    wl_trace_spec trace;
    const hs_node *where;
} wl_arrival;

typedef struct wl_class {
    hs_req_class pub;
    char *name;
    char *req_domain;       /* "request/NAME": the requests' RNG streams */
    wl_arrival arr;
    int64_t max_requests;   /* 0: none */
    const wl_template *tpl;
    const wl_param **params;/* tpl->nparams values: the template's or an override */
    wl_param *own;          /* the overrides */
    size_t nown;
    const hs_model **models;/* per stage */
    hs_quant *quants;       /* per stage */
} wl_class;

typedef struct wl_task {
    char *name;
    hs_pu_cost *costs;
    size_t ncosts;
    double work;
} wl_task;

typedef struct wl_dag_edge {
    int from, to;
    double comm;
} wl_dag_edge;

struct hs_workload {
    char *name, *description;
    hs_wl_kind kind;
    hs_granularity gran;
    int64_t chunk_tokens;   /* step granularity's prefill chunk; 0: the whole prompt */
    int operand_order;      /* WL_ORDER_*; INHERIT reads as swapped */
    int64_t max_requests, warmup;
    double duration;
    size_t nclasses;
    wl_class *classes;
    size_t ntpls;
    wl_template **tpls;
    size_t nmodels;
    hs_model **models;
    size_t ntasks;          /* dag */
    wl_task *tasks;
    size_t ndag_edges;
    wl_dag_edge *dag_edges;
    wl_dist service;        /* synthetic */
};

/* ---- Traces (traces.c). ----------------------------------------------- */
typedef struct wl_trace_rd {
    FILE *f;
    const wl_trace_spec *spec;
    long line;
    char *buf;
    size_t cap;
    bool have_first, have_prev;
    double first, prev_raw, offset, last;
    int64_t kept;
} wl_trace_rd;

/* A trace format: its name in `format:` and its reader.  Every format is
 * a row of the table in traces.c. */
struct wl_trace_format {
    const char *name;
    /* Runs once the file is open, before the first record (e.g. skips a
     * header); NULL when there is nothing to do.  0, or -1 with err. */
    int (*open)(wl_trace_rd *rd, hs_err *err);
    /* Parses one non-blank line (no newline) into a record: t in seconds
     * from any origin (time_unit applied), the prompt and output token
     * counts.  1, or -1 with err ("PATH:LINE: error: ..."). */
    int (*record)(wl_trace_rd *rd, const char *line, double *t, int64_t *in, int64_t *out,
                  hs_err *err);
};
/* The format named name; NULL when none is. */
WL_HIDDEN const wl_trace_format *wl_trace_format_find(const char *name);
/* Writes the formats' names to buf, "azure-csv, jsonl" (cut to size).
 * Returns buf. */
WL_HIDDEN const char *wl_trace_format_list(char *buf, size_t size);

WL_HIDDEN int wl_trace_open(const wl_trace_spec *s, wl_trace_rd *rd, hs_err *err);
/* Next kept record: 1, 0 at the end, -1 on error.  t is seconds from the
 * start of the replay (after start and time_scale). */
WL_HIDDEN int wl_trace_next(wl_trace_rd *rd, double *t, int64_t *in, int64_t *out, hs_err *err);
WL_HIDDEN void wl_trace_close(wl_trace_rd *rd);
/* Reads the whole trace once: checks every line, counts records. */
WL_HIDDEN int wl_trace_validate(wl_trace_spec *s, hs_err *err);

/* The workload a request belongs to (request.c). */
WL_HIDDEN const hs_workload *wl_request_workload(const hs_request *r);

/* Arrivals (arrivals.c). */
WL_HIDDEN int wl_arrival_parse(const hs_node *n, wl_arrival *a, hs_err *err);
WL_HIDDEN void wl_arrival_free(wl_arrival *a);
WL_HIDDEN bool wl_arrival_finite(const wl_arrival *a);

#endif
