/* hetsoc policy `eft`: online greedy earliest finish time.
 *
 * Each ready work item, oldest first, goes to the PU on which it would
 * finish earliest:
 *     EFT(w, p) = max(avail(p), ready_in(w, p)) + T_now(w, p)
 * where avail(p) is when p drains what is running and queued on it,
 * ready_in(w, p) when w's inputs reach p (cross-PU sync or transfer
 * included) and T_now(w, p) the contention-aware prediction: w's
 * standalone time slowed by the DRAM bandwidth the kernels running now
 * leave it (the max-min co-run model).  The online counterpart of HEFT's
 * processor selection (Topcuoglu et al., 2002, §4.1), like StarPU's dmda.
 */
#include <math.h>

#include "policies/policy.h"

static void eft_schedule(hs_sched *s, void *state)
{
    (void)state;
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        int best = -1;
        double best_finish = INFINITY;
        for (int pu = 0; pu < hs_npus(s); pu++) {
            double t = hs_predict_now(s, w, pu);
            if (!isfinite(t))
                continue;
            double start = fmax(hs_pu_available_at(s, pu), hs_input_ready_at(s, w, pu));
            if (start + t < best_finish) {
                best_finish = start + t;
                best = pu;
            }
        }
        if (best < 0) {
            hs_sched_fail(s, "no PU can run work '%s'", hs_slot_name(hs_work_item(w)->slot));
            return;
        }
        hs_dispatch(s, w, best);
    }
}

const hs_policy_ops hs_policy_eft = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "eft",
    .description = "online greedy earliest finish time with contention-aware predictions",
    .schedule = eft_schedule,
};
