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

#endif
