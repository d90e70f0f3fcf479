/* hetsoc policy `hedrarag`: what its two files share (not installed).
 * hedrarag.c is the scheduler (RAGraph wavefronts, sub-stages,
 * speculation); hedrarag_cache.c the partial GPU index cache (HedraRAG
 * §4.2 item 3): the KV-cache versus index-cache split from throughput
 * curves derived from hs_predict. */
#ifndef HS_POLICIES_HEDRARAG_H
#define HS_POLICIES_HEDRARAG_H

#include "policies/policy.h"

typedef enum hr_cache_mode {
    HR_CACHE_CURVES,    /* §4.2.3: argmax_KV min{T_G(KV), T_R(index)} */
    HR_CACHE_ARTIFACT,  /* the artifact's fixed (1 - gpu_memory_utilization) x 0.6 x 80 GB */
    HR_CACHE_OFF,
} hr_cache_mode;

/* The index-cache side of the policy's state. */
typedef struct hr_cache {
    hr_cache_mode mode;
    double gpu_mem_util;      /* the artifact's gpu_memory_utilization (0.8) */
    double index_share;       /* the artifact's 0.6 of what vLLM leaves */
    double artifact_gb;       /* the artifact's 80 GB (H100) */
    int64_t max_num_seqs;     /* vLLM's cap on a decode batch */
    int64_t grid;             /* KV sizes tried between one sequence and all the free memory */
    int gpu, cpu, mem;        /* generation PU, retrieval PU, the GPU's memory domain */
    bool decided;             /* the split was set (once, at the first request) */
    bool usable;              /* a cluster part can run on the GPU (it reads the cache's lists there) */
    bool checked;             /* usable was found out */
    double kv_bytes, index_bytes;  /* the split chosen */
    double hit_rate;          /* share of a sub-stage's clusters searched on the GPU */
    double *step_s;           /* [max_num_seqs + 1]: decode step time at batch b (NAN: unknown) */
    hs_item step;             /* a decode step of the generation model (the T_G curve) */
    bool have_step;
} hr_cache;

/* Decode throughput T(b) = b / t_step(b) (tokens/s) of a batch of b
 * sequences on the generation PU (hs_predict_item of the batched step,
 * memoised); 0 before a decode step is known or for b < 1. */
double hr_decode_throughput(hs_sched *s, hr_cache *c, int64_t b);

/* Once, at the first request that shows a generation stage and an IVF
 * search: reads a decode step and the scan from r's stages, then (mode
 * curves or artifact, on a GPU with its own finite memory) chooses the
 * KV / index split and sets it with hs_mem_set_index_cache and
 * hs_mem_set_kv_budget.  Returns 0, or -1 when the run failed. */
int hr_cache_decide(hs_sched *s, hr_cache *c, hs_req *r);

/* The share of a retrieval sub-stage's clusters searched on the GPU,
 * refreshed from hs_index_cache_hit_rate for scan w (the hottest lists
 * the reservation holds); 0 when the cache is off or a cluster part
 * cannot run on the GPU (hr_cache_part_runs said so). */
double hr_cache_refresh(hs_sched *s, hr_cache *c, hs_work *w);
/* Whether the cached share `part` (a cluster part of a scan) can be
 * searched on the GPU: it runs there and its lists fit (a part of at most
 * the cache's lists reads the cache, not the whole index: policy.h,
 * "Memory capacity").  The first that cannot turns the cache off. */
bool hr_cache_part_runs(hs_sched *s, hr_cache *c, hs_work *part);

void hr_cache_free(hr_cache *c);

/* The per-worker ready index (hedrarag_ready.c): the READY works the
 * policy has not acted on yet, in three lists in the order they became
 * ready. */
typedef enum hr_list_id {
    HR_LIST_SCANS,   /* IVF or flat scans with clusters left: the retrieval worker's */
    HR_LIST_GENS,    /* batchable prefill chunks and decode steps: the generation worker's */
    HR_LIST_OTHER,   /* the rest (encoder, quantizer, a batch that did not fit): placed at once */
    HR_NLISTS,
} hr_list_id;

typedef struct hr_entry hr_entry;
typedef struct hr_ready {
    hr_entry *head[HR_NLISTS], *tail[HR_NLISTS];
    size_t count[HR_NLISTS];
    hr_entry *free;   /* recycled entries */
    uint64_t added;   /* entries added so far: a cycle's horizon */
} hr_ready;

/* The list w belongs to. */
hr_list_id hr_classify(const hs_work *w);
/* w became READY: appended to its list (its work data points at the
 * entry).  speculated: its request's flag, set once a stage of it is
 * speculated (so its work may be withdrawn by a rollback); NULL for
 * work of no request.  Returns 0, or -1 out of memory. */
int hr_ready_add(hr_ready *x, hs_work *w, const bool *speculated);
/* The policy is about to dispatch, split or batch w: it leaves the index
 * (nothing for a work that is not in it). */
void hr_ready_take(hr_ready *x, hs_work *w);
/* The first entry of list l, the entry after e (NULL at the end). */
hr_entry *hr_ready_first(const hr_ready *x, hr_list_id l);
hr_entry *hr_ready_next(const hr_entry *e);
/* The batch key of e's item (read without touching the work). */
uint64_t hr_ready_key(const hr_entry *e);
/* Whether e is not NULL and was added before the horizon (the `added`
 * count when a cycle began: work that became ready during the cycle waits
 * for the next). */
bool hr_ready_before(const hr_entry *e, uint64_t horizon);
/* The work of entry e, or NULL when a rollback withdrew it (the entry is
 * then dropped: read hr_ready_next before calling). */
hs_work *hr_ready_live(hr_ready *x, hr_entry *e);
/* Speculative retrieval's memo: e's stage was found to feed no encoder. */
bool hr_ready_feeds_no_encoder(const hr_entry *e);
void hr_ready_set_feeds_no_encoder(hr_entry *e);
/* Whether indexed w was marked measured before; marks it. */
bool hr_ready_measured(hs_work *w);
/* Drops the entries of request r (one that leaves with work withdrawn by
 * a rollback still indexed). */
void hr_ready_forget(hr_ready *x, const hs_req *r);
void hr_ready_free(hr_ready *x);

#endif
