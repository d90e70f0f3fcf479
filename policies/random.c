/* hetsoc policy `random`: each ready work item goes to a PU drawn
 * uniformly among those that can run it.  A sanity baseline: any policy
 * worth its name should beat it.
 *
 * The draw is a hash of the run's key (from the policy's seeded stream)
 * and the item's identity -- request, stage (name, loop iteration,
 * fan-out index) and its rank among the stage's items -- not the next
 * number of a stream.  So an item goes to the same PU whatever order the
 * items become ready in: the simulator and the hardware (`hetsoc
 * validate`), where completions race, place every item alike, and the same
 * seed gives the same placement. */
#include <stdint.h>
#include <stdlib.h>

#include "policies/policy.h"

typedef struct random_state {
    uint64_t key;   /* drawn once per run from the policy's stream */
} random_state;

static int random_init(hs_sched *s, void **state, hs_err *err)
{
    random_state *st = malloc(sizeof *st);
    if (!st)
        return hs_errf(err, "out of memory");
    hs_rng *g = hs_sched_rng(s);
    uint64_t hi = hs_rng_below(g, UINT64_C(1) << 32);
    st->key = hi << 32 | hs_rng_below(g, UINT64_C(1) << 32);
    *state = st;
    return 0;
}

static void random_fini(hs_sched *s, void *state)
{
    (void)s;
    free(state);
}

/* 64 well-mixed bits naming w: its request, stage instance and rank in
 * the stage; a batch or a part (never formed by this policy) by work id. */
static uint64_t identity_hash(const random_state *st, const hs_work *w)
{
    const hs_req *r = hs_work_req(w);
    const hs_stage_info *si = r ? hs_request_node(hs_req_dag(r), hs_work_stage(w)) : NULL;
    if (!si || hs_work_is_part(w))
        return hs_rng_derive(st->key, "work", hs_work_id(w));
    uint64_t h = hs_rng_derive(st->key, si->name, hs_req_id(r));
    h = hs_rng_derive(h, "instance", (uint64_t)(uint32_t)si->iteration << 32 | (uint32_t)si->item);
    return hs_rng_derive(h, "rank", (uint64_t)si->items_done);
}

static void random_schedule(hs_sched *s, void *state)
{
    const random_state *st = state;
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
        /* The top 53 bits as a uniform double in [0, 1), scaled to n. */
        double u = (double)(identity_hash(st, w) >> 11) * 0x1.0p-53;
        hs_dispatch(s, w, capable[(int)(u * n)]);
    }
}

const hs_policy_ops hs_policy_random = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "random",
    .description = "seeded uniformly random placement among the PUs that can run each item "
                   "(a hash of the item's identity: the same item, the same PU)",
    .init = random_init,
    .fini = random_fini,
    .schedule = random_schedule,
};
