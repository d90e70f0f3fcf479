/* An example out-of-tree policy: shortest predicted job first.
 *
 * Whenever a PU has a free slot it takes, among the ready work it can run,
 * the item that would finish first there if dispatched now (hs_finish_at:
 * its inputs' arrival, the launch that would apply and its time sharing
 * the DRAM with what runs now; ties: the oldest).
 * Short kernels of interactive requests therefore overtake long prefills,
 * at the risk of starving long work -- a classic trade-off to compare
 * against `fifo`.
 *
 * A plugin is a shared library that exports one symbol,
 * `const struct hs_policy_ops hs_policy_plugin`, with abi_version set to
 * HS_POLICY_ABI_VERSION; it talks to the engine only through
 * <policies/policy.h>.  Parameters are declared in the ops table and
 * validated by the engine before init().  It keeps no state: a policy
 * that does keeps it in what init() stores, never in statics (policy.h,
 * "Per-run state"). */
#include <math.h>

#include "policies/policy.h"

static const hs_param_spec sjf_params[] = {
    {"max_wait_s", HS_PARAM_F64, ".inf", 0, INFINITY,
     "work waiting longer than this goes first regardless of its size (anti-starvation)"},
    {NULL},
};

/* The ready work pu should take next, or NULL. */
static hs_work *pick(hs_sched *s, int pu, double max_wait)
{
    hs_work *best = NULL;
    double best_t = INFINITY;
    for (hs_work *w = hs_ready_first(s); w; w = hs_ready_next(s, w)) {
        double t = hs_finish_at(s, w, pu, NULL);
        if (!isfinite(t))
            continue;
        if (hs_now(s) - hs_work_ready_time(w) > max_wait)
            return w;  /* the oldest overdue work: the ready list is FIFO */
        if (t < best_t) {
            best_t = t;
            best = w;
        }
    }
    return best;
}

static void sjf_schedule(hs_sched *s, void *state)
{
    (void)state;
    const double max_wait = hs_param_f64(s, "max_wait_s");
    for (int pu = 0; pu < hs_npus(s); pu++) {
        hs_work *w;
        while (hs_pu_free_slots(s, pu) > 0 && (w = pick(s, pu, max_wait)))
            hs_dispatch(s, w, pu);
    }
}

const hs_policy_ops hs_policy_plugin = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "sjf-example",
    .description = "example plugin: shortest predicted job first on each free PU",
    .params = sjf_params,
    .schedule = sjf_schedule,
};
