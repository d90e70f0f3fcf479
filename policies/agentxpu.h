/* hetsoc policy `agentxpu`: the state its files share (agentxpu.c: hooks,
 * queues and prefill control; agentxpu_plan.c: the heterogeneous execution
 * graph's placement, Algorithm 1 and the dispatch gates; agentxpu_decode.c:
 * decode batching, Algorithm 2).  Private to the policy; not installed. */
#ifndef HS_POLICIES_AGENTXPU_H
#define HS_POLICIES_AGENTXPU_H

#include <stdbool.h>
#include <stdint.h>

#include "policies/policy.h"

/* How a running prefill places its token-wise ops. */
typedef enum ax_mode {
    AX_ELASTIC,    /* the paper's default: 256-token chunks on the NPU, remainder and
                      attention on the iGPU (v2: Algorithm 1) */
    AX_NPU_ONLY,   /* reactive prefill beside an aged proactive one (v2 §4 starvation) */
    AX_IGPU_ONLY,  /* an aged (promoted) proactive prefill: it gets the iGPU */
    AX_PURE_NPU,   /* v2 warm-up: the whole-prompt NPU graph was built in time */
} ax_mode;

/* One request (the Request Manager's row, v2 §4). */
typedef struct ax_req {
    hs_req *r;
    bool reactive;          /* its class at arrival: the only thing known in advance */
    double queued_at;       /* when it entered its current queue (anti-starvation age) */
    hs_work *pre;           /* its READY prefill work, not placed yet */
    hs_work *dec;           /* its READY decode work, not batched yet */
    int64_t prompt;         /* S_len, revealed by its first prefill work; 0 before */
    int32_t layers_left;    /* prefill layers not started (ETC) */
    ax_mode mode;
    bool in_group;          /* inside a fused op group: not at a kernel boundary */
    bool running;           /* holds a prefill slot (cur or promoted) */
    bool queued;            /* in a prefill queue */
    bool in_decode;         /* a member of the decode batch */
    bool dec_waiting;       /* in a decode queue */
    bool aged;              /* promoted by age: bypasses B_cap in decode */
    bool warmed;            /* a warm-up was issued while it waited */
    int16_t n_npu[HS_SLOT_COUNT];  /* Algorithm 1's n_npu per op slot; -1: not computed */
} ax_req;

/* A growable array of requests (the queues are short: a few dozen). */
typedef struct ax_list {
    ax_req **v;
    size_t n, cap;
} ax_list;

/* A remainder fragment held back by t_defer (Algorithm 1, line "defer"). */
typedef struct ax_deferred {
    hs_work *w;
    double release_at;
} ax_deferred;

typedef struct ax {
    int version;               /* 1 or 2 */
    int64_t s_chk, b_cap, b_max;
    double age_s, tau_low, tau_high, bw_backfill, membound;
    bool warmup;
    int npu, igpu, cpu;        /* PU roles; npu / cpu -1 when absent */
    int mem;                   /* the iGPU's memory domain (P_mem) */
    bool own_call;             /* inside our own hs_split / hs_batch: ignore work_ready */
    ax_req *cur;               /* the prefill being served (one at a time, v2 §4) */
    ax_req *promoted;          /* an aged proactive prefill on the iGPU beside it */
    ax_list pre_reactive;      /* prefill queues (dual queues per stage) */
    ax_list pre_proactive;
    ax_list dec_reactive;      /* decode queues */
    ax_list dec_proactive;
    ax_list batch;             /* B_dec: the decode batch members */
    ax_list scratch;
    ax_deferred *deferred;
    size_t ndeferred, deferred_cap;
    hs_work **other;           /* works that are no LLM prefill or decode, FIFO */
    size_t nother, other_cap;
    hs_work **members;         /* scratch for hs_batch: the works, [b_max] */
    ax_req **member_q;         /* and their requests */
    hs_work *decode_inflight;  /* the decode kernel (batch) on the iGPU now */
    /* Outstanding (queued or running) works per PU and priority: the contention
     * rule and the memory tiers ask who shares the DRAM. */
    int *out[2], *out_mem[2];  /* [pu]: count, count of memory-bound ones */
} ax;

enum { AX_PROACTIVE = 0, AX_REACTIVE = 1 };

/* ---- agentxpu.c ---- */
int ax_list_push(ax_list *l, ax_req *q);
void ax_list_remove(ax_list *l, ax_req *q);
/* Dispatches w to pu, counting it as outstanding for priority prio. */
int ax_dispatch(hs_sched *s, ax *a, hs_work *w, int pu, int prio);
/* The PU that runs w fastest (standalone), -1 when none can. */
int ax_fastest_pu(hs_sched *s, const hs_work *w);
bool ax_pu_empty(const hs_sched *s, int pu);
/* Fails the run: no PU can run w. */
void ax_no_pu(hs_sched *s, const hs_work *w);

/* ---- agentxpu_plan.c ---- */
/* Whether item slot ends a fused op group (a kernel boundary). */
bool ax_group_end(const hs_item *it);
/* Places q's READY prefill work q->pre by q's mode: whole or in chunks on
 * the NPU and the iGPU (Algorithm 1 for reactive prefill in v2).  Returns
 * false (nothing done) when a gate holds it back (contention rule, memory
 * tiers); q->pre is then kept for the next decision. */
bool ax_place_prefill(hs_sched *s, ax *a, ax_req *q);
/* Releases deferred remainder fragments whose t_defer has passed. */
void ax_release_deferred(hs_sched *s, ax *a);
/* Algorithm 1's n_npu for work w of q (memoised per op slot). */
int64_t ax_n_npu(hs_sched *s, ax *a, ax_req *q, const hs_work *w);
/* v1 slack-aware backfill: picks a proactive request whose next kernel
 * fits beside the running reactive kernel on an idle PU (*pu), or NULL. */
ax_req *ax_backfill_pick(hs_sched *s, ax *a, int *pu);
/* Whether the gates hold w (priority prio) back from pu now: v2's
 * contention rule, v1's memory-pressure tiers (Algorithm 1 of v1). */
bool ax_gate_holds(hs_sched *s, const ax *a, const hs_work *w, int pu, int prio);
/* Whether w on pu draws at least `membound` of the PU's bandwidth. */
bool ax_memory_bound(hs_sched *s, const ax *a, const hs_work *w, int pu);

/* ---- agentxpu_decode.c ---- */
/* Iteration-level decode batching on the iGPU (v2 Algorithm 2, v1 B_max). */
void ax_decode(hs_sched *s, ax *a);
/* Whether any decode work is batched, queued or waiting. */
bool ax_decode_busy(const ax *a);
/* Forgets q in the decode structures. */
void ax_decode_forget(ax *a, ax_req *q);

#endif
