/* hetsoc policy `static`: a fixed stage-to-PU table.
 *
 * A hand-written map, for experiments that fix placement by hand.  The
 * seed papers' static baselines are computed by their own policies:
 * HeRo's "Ayo-like" mapping by `ayo-like` (ayo_like.c) and Agent.xpu's
 * "Serial NPU-iGPU" partition by `serial-npu-igpu` (serial_npu_igpu.c).
 *
 * `map` sends a work item to a PU by the most specific key it matches:
 *   1. its stage name            (`rewrite: gpu`)
 *   2. PHASE.SLOT                (`prefill.attn: gpu`)
 *   3. its slot                  (`attn: gpu`)
 *   4. its phase                 (`decode: gpu`)
 *   5. its stage kind            (`search: cpu`)
 * and otherwise to `default`.  Work queues on its PU in ready order.
 */
#include <stdio.h>

#include "policies/policy.h"

static const hs_param_spec static_params[] = {
    {"map", HS_PARAM_MAP, "{}", 0, 0, "stage name, PHASE.SLOT, slot, phase or stage kind -> PU"},
    {"default", HS_PARAM_PU, "any", 0, 0, "PU for work no key matches (any: the first that can run it)"},
    {NULL},
};

static int first_capable(hs_sched *s, hs_work *w)
{
    for (int pu = 0; pu < hs_npus(s); pu++)
        if (hs_can_run(s, w, pu))
            return pu;
    return -1;
}

static int mapped_pu(hs_sched *s, hs_work *w)
{
    const hs_item *it = hs_work_item(w);
    const hs_req *r = hs_work_req(w);
    const hs_stage_info *si = r ? hs_request_node(hs_req_dag(r), hs_work_stage(w)) : NULL;
    char phase_slot[64];
    snprintf(phase_slot, sizeof phase_slot, "%s.%s", hs_phase_name(it->phase), hs_slot_name(it->slot));
    const char *keys[] = {
        si ? si->name : NULL, phase_slot, hs_slot_name(it->slot), hs_phase_name(it->phase),
        si ? hs_stage_kind_name(si->kind) : NULL,
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        int pu = keys[i] ? hs_param_map_pu(s, "map", keys[i]) : -1;
        if (pu >= 0)
            return pu;
    }
    int pu = hs_param_pu(s, "default");
    return pu >= 0 ? pu : first_capable(s, w);
}

static void static_schedule(hs_sched *s, void *state)
{
    (void)state;
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        int pu = mapped_pu(s, w);
        if (pu < 0 || !hs_can_run(s, w, pu)) {
            hs_sched_fail(s, "the static map sends work '%s' to a PU that cannot run it",
                          hs_slot_name(hs_work_item(w)->slot));
            return;
        }
        hs_dispatch(s, w, pu);
    }
}

const hs_policy_ops hs_policy_static = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "static",
    .description = "fixed stage-to-PU table from params (hand-written maps)",
    .params = static_params,
    .schedule = static_schedule,
};
