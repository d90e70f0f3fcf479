/* hetsoc policy `random`: each ready work item goes to a PU drawn
 * uniformly among those that can run it, from the policy's own seeded
 * stream (the same seed gives the same placement).  A sanity baseline:
 * any policy worth its name should beat it. */
#include "policies/policy.h"

static void random_schedule(hs_sched *s, void *state)
{
    (void)state;
    int capable[64];
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        int n = 0;
        for (int pu = 0; pu < hs_npus(s) && n < 64; pu++)
            if (hs_can_run(s, w, pu))
                capable[n++] = pu;
        if (n == 0) {
            hs_sched_fail(s, "no PU can run work '%s'", hs_slot_name(hs_work_item(w)->slot));
            return;
        }
        hs_dispatch(s, w, capable[hs_rng_below(hs_sched_rng(s), (uint64_t)n)]);
    }
}

const hs_policy_ops hs_policy_random = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "random",
    .description = "seeded uniformly random placement among the PUs that can run each item",
    .schedule = random_schedule,
};
