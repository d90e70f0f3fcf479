/* hetsoc policy `fifo`: one global first-come-first-served queue.
 *
 * An idle PU takes the oldest ready work it can run.  With `pu` set to a
 * PU name or kind, every work item is pinned to that PU (work that PU
 * cannot run fails the run).  The seed papers' single-accelerator
 * baselines proper, which leave what the PU cannot run to the CPU and serve
 * one request at a time, are `gpu-only`, `npu-only` and `cpu-only`
 * (single_pu.c).  On generic PUs with
 * a synthetic workload it is the M/M/c (M/D/1, M/G/1, processor-sharing)
 * queue that the queueing-theory tests check against closed forms.
 */
#include <stdint.h>

#include "policies/policy.h"

static const hs_param_spec fifo_params[] = {
    {"pu", HS_PARAM_PU, "any", 0, 0, "run everything on this PU or kind (any: the first idle PU that can)"},
    {NULL},
};

/* The lowest-numbered PU with a free slot that can run w (-1: none);
 * *any tells whether some PU (the pinned one, if any) has a free slot. */
static int idle_pu_for(hs_sched *s, hs_work *w, int pinned, int npus, bool *any)
{
    *any = false;
    if (pinned >= 0) {
        *any = hs_pu_free_slots(s, pinned) > 0;
        return *any && hs_can_run(s, w, pinned) ? pinned : -1;
    }
    for (int pu = 0; pu < npus; pu++)
        if (hs_pu_free_slots(s, pu) > 0) {
            *any = true;
            if (hs_can_run(s, w, pu))
                return pu;
        }
    return -1;
}

/* The state is the pinned PU (a parameter: fixed for the run), plus one so
 * that no PU reads as a NULL state. */
static int fifo_init(hs_sched *s, void **state, hs_err *err)
{
    (void)err;
    *state = (void *)(intptr_t)(hs_param_pu(s, "pu") + 1);
    return 0;
}

static void fifo_schedule(hs_sched *s, void *state)
{
    const int pinned = (int)(intptr_t)state - 1, npus = hs_npus(s);
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        bool any;
        int pu = idle_pu_for(s, w, pinned, npus, &any);
        if (!any)
            break;          /* no free slot left: the rest waits */
        if (pu >= 0)
            hs_dispatch(s, w, pu);
        else if (pinned >= 0 && !hs_can_run(s, w, pinned))
            hs_sched_fail(s, "work '%s' cannot run on the pinned PU %s", hs_slot_name(hs_work_item(w)->slot),
                          hs_pu_of(s, pinned)->name);
    }
}

const hs_policy_ops hs_policy_fifo = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "fifo",
    .description = "global first-come-first-served queue; `pu` pins all work to one PU",
    .params = fifo_params,
    .init = fifo_init,
    .schedule = fifo_schedule,
};
