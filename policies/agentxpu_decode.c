/* hetsoc policy `agentxpu`: the decode event loop (Agent.xpu v2 §4).
 *
 * Decode runs entirely on the iGPU with continuous batching at iteration
 * granularity: the members of the decode batch B_dec advance in lockstep,
 * one batched kernel at a time (at op granularity the batch's op, at step
 * granularity its whole pass); requests join and leave only at an
 * iteration boundary, where every member's next work is the first of a
 * decode step.  A reactive request arriving mid-iteration therefore joins
 * the next iteration (iteration-level decode preemption).
 *
 * At each boundary B_dec is recomposed:
 *   v2, Algorithm 2 "Reactive-First Adaptive Decode Batching" (recompose_v2):
 *     1  B_dec <- surviving and newly arrived reactive requests
 *     2  sort the proactive candidates by S_len
 *     3  for each proactive r:
 *     4      if |B_dec| < B_cap or no reactive present: admit r
 *     5      else push r back to the queue
 *   The candidates are the surviving proactive members and the waiting
 *   ones.  Line 2 sorts descending in the paper, which with lines 3-5
 *   would admit the longest first; the text says the algorithm "evicts
 *   bottleneck proactive requests with the longest sequence lengths", so,
 *   as the text intends, the sort here is ascending (the shortest are
 *   admitted, the longest evicted).  An aged proactive request (promoted
 *   for its prefill, or pending in the decode queue over age_s) is
 *   admitted past B_cap (v2 §4 "Starvation").  b_max bounds every batch.
 *   v1 (recompose_v1): reactive first, then the proactive requests in
 *   their queue order up to B_max -- intra-XPU backfill of compute slack:
 *   proactive decode joins the iGPU decode batch at iteration boundaries.
 *
 * The iGPU is arbitrated prefill-first: ax_decode dispatches only when the
 * iGPU has nothing queued or running, after the prefill loop has placed
 * its fragments (ax_schedule's order).  The v2 contention rule and the v1
 * memory tiers gate the batch like a prefill group (ax_gate_holds). */
#include <math.h>
#include <stdlib.h>

#include "policies/agentxpu.h"

static bool iteration_start(const hs_item *it)
{
    return it->slot == HS_SLOT_EMBED || it->slot == HS_SLOT_STAGE || (it->slot == HS_SLOT_LAYER && it->layer == 0);
}

static int64_t decode_len(const ax_req *q)
{
    const hs_item *it = hs_work_item(q->dec);
    return it->context + it->tokens;
}

bool ax_decode_busy(const ax *a) { return a->batch.n > 0 || a->dec_reactive.n > 0 || a->dec_proactive.n > 0; }

void ax_decode_forget(ax *a, ax_req *q)
{
    if (q->in_decode)
        ax_list_remove(&a->batch, q);
    if (q->dec_waiting)
        ax_list_remove(q->reactive ? &a->dec_reactive : &a->dec_proactive, q);
    q->in_decode = q->dec_waiting = false;
    q->dec = NULL;
}

static void admit(ax *a, ax_req *q)
{
    if (q->dec_waiting)
        ax_list_remove(q->reactive ? &a->dec_reactive : &a->dec_proactive, q);
    q->dec_waiting = false;
    q->in_decode = true;
    ax_list_push(&a->batch, q);
}

/* Line 5: back to the proactive decode queue (an evicted member: preempted
 * at this iteration boundary). */
static void push_back(hs_sched *s, ax *a, ax_req *q)
{
    if (q->dec_waiting)
        return;
    q->in_decode = false;
    q->dec_waiting = true;
    q->queued_at = hs_now(s);
    ax_list_push(&a->dec_proactive, q);
}

static bool overdue(const hs_sched *s, const ax *a, const ax_req *q)
{
    return q->aged || (q->dec_waiting && hs_now(s) - q->queued_at > a->age_s);
}

static int by_len_asc(const void *x, const void *y)
{
    int64_t a = decode_len(*(ax_req *const *)x), b = decode_len(*(ax_req *const *)y);
    return (a > b) - (a < b);
}

/* The proactive candidates: surviving members, then the waiting ones, in
 * a->scratch; B_dec keeps its reactive members. */
static void gather_proactive(ax *a)
{
    a->scratch.n = 0;
    size_t keep = 0;
    for (size_t i = 0; i < a->batch.n; i++) {
        ax_req *q = a->batch.v[i];
        if (q->reactive)
            a->batch.v[keep++] = q;
        else
            ax_list_push(&a->scratch, q);
    }
    a->batch.n = keep;
    for (size_t i = 0; i < a->dec_proactive.n; i++)
        ax_list_push(&a->scratch, a->dec_proactive.v[i]);
}

static void admit_reactive(ax *a)
{
    while (a->dec_reactive.n > 0 && (int64_t)a->batch.n < a->b_max)
        admit(a, a->dec_reactive.v[0]);
}

static void recompose_v2(hs_sched *s, ax *a)
{
    gather_proactive(a);
    admit_reactive(a);                                                  /* line 1 */
    bool reactive_present = a->batch.n > 0;
    if (a->scratch.n > 1)                                               /* line 2 (ascending) */
        qsort(a->scratch.v, a->scratch.n, sizeof *a->scratch.v, by_len_asc);
    for (size_t i = 0; i < a->scratch.n; i++) {                         /* line 3 */
        ax_req *q = a->scratch.v[i];
        int64_t b = (int64_t)a->batch.n;
        if (b < a->b_max && (b < a->b_cap || !reactive_present || overdue(s, a, q)))
            admit(a, q);                                                /* line 4 */
        else
            push_back(s, a, q);                                         /* line 5 */
    }
}

static void recompose_v1(hs_sched *s, ax *a)
{
    gather_proactive(a);
    admit_reactive(a);
    for (size_t i = 0; i < a->scratch.n; i++) {
        ax_req *q = a->scratch.v[i];
        if ((int64_t)a->batch.n < a->b_max)
            admit(a, q);
        else
            push_back(s, a, q);
    }
}

/* An iteration boundary: no member is mid-step. */
static bool at_boundary(ax *a)
{
    size_t keep = 0;
    bool boundary = true;
    for (size_t i = 0; i < a->batch.n; i++) {
        ax_req *q = a->batch.v[i];
        if (!q->dec) {  /* left decode (its last step is done) */
            q->in_decode = false;
            continue;
        }
        a->batch.v[keep++] = q;
        boundary = boundary && iteration_start(hs_work_item(q->dec));
    }
    a->batch.n = keep;
    return boundary;
}

/* Batches the members' ready works (those batchable with the first) and
 * dispatches the batch to the iGPU. */
static void run_batch(hs_sched *s, ax *a)
{
    if (a->batch.n == 0)
        return;
    ax_req *first = a->batch.v[0];
    int prio = AX_PROACTIVE;
    size_t n = 0;
    for (size_t i = 0; i < a->batch.n && (int64_t)n < a->b_max; i++) {
        ax_req *q = a->batch.v[i];
        if (n > 0 && !hs_item_batchable(hs_work_item(first->dec), hs_work_item(q->dec)))
            continue;
        a->member_q[n] = q;
        a->members[n++] = q->dec;
        prio |= q->reactive;
    }
    int pu = hs_can_run(s, first->dec, a->igpu) ? a->igpu : ax_fastest_pu(s, first->dec);
    if (pu < 0 || ax_gate_holds(s, a, first->dec, pu, prio))
        return;
    hs_work *w = a->members[0];
    a->own_call = true;
    int rc = n > 1 ? hs_batch(s, a->members, n, &w) : 0;
    a->own_call = false;
    if (rc != 0)
        return;
    for (size_t j = 0; j < n; j++)
        a->member_q[j]->dec = NULL;
    if (ax_dispatch(s, a, w, pu, prio) == 0)
        a->decode_inflight = w;
}

void ax_decode(hs_sched *s, ax *a)
{
    if (a->decode_inflight || !ax_pu_empty(s, a->igpu))
        return;  /* one decode kernel at a time; prefill first on the iGPU */
    if (at_boundary(a)) {
        if (a->version == 2)
            recompose_v2(s, a);
        else
            recompose_v1(s, a);
    }
    run_batch(s, a);
}
