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
#include <stdlib.h>
#include <string.h>

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

/* ---- Map keys: each must name something, or it would match no work. ---- */
enum { MAX_STAGE_NAMES = 256, KEY_MAX = 64 };

typedef struct key_names {
    const char *list[MAX_STAGE_NAMES + HS_SLOT_COUNT * (HS_PHASE_COUNT + 1) + HS_PHASE_COUNT +
                     HS_STAGE_COUNT + 1];
    char phase_slot[HS_PHASE_COUNT * HS_SLOT_COUNT][KEY_MAX];
    size_t n;
} key_names;

/* Every key the map may use: the workload's stage names, PHASE.SLOT,
 * slots, phases and stage kinds (NULL-terminated, for hs_nearest). */
static void collect_keys(hs_sched *s, key_names *k)
{
    size_t ns = hs_run_stage_names(s, k->list, MAX_STAGE_NAMES);
    k->n = ns < MAX_STAGE_NAMES ? ns : MAX_STAGE_NAMES;
    for (int p = 0; p < HS_PHASE_COUNT; p++) {
        k->list[k->n++] = hs_phase_name((hs_phase)p);
        for (int sl = 0; sl < HS_SLOT_COUNT; sl++) {
            char *ps = k->phase_slot[p * HS_SLOT_COUNT + sl];
            snprintf(ps, KEY_MAX, "%s.%s", hs_phase_name((hs_phase)p), hs_slot_name((hs_slot)sl));
            k->list[k->n++] = ps;
        }
    }
    for (int sl = 0; sl < HS_SLOT_COUNT; sl++)
        k->list[k->n++] = hs_slot_name((hs_slot)sl);
    for (int st = 0; st < HS_STAGE_COUNT; st++)
        k->list[k->n++] = hs_stage_kind_name((hs_stage_kind)st);
    k->list[k->n] = NULL;
}

static bool known_key(const key_names *k, const char *key)
{
    for (size_t i = 0; i < k->n; i++)
        if (strcmp(k->list[i], key) == 0)
            return true;
    return false;
}

static int static_init(hs_sched *s, void **state, hs_err *err)
{
    (void)state;
    const hs_node *map = hs_param_map_node(s, "map");
    if (!map || map->len == 0)
        return 0;
    key_names *k = malloc(sizeof *k);
    if (!k)
        return hs_errf(err, "policy 'static': out of memory");
    collect_keys(s, k);
    int rc = 0;
    for (size_t i = 0; i < map->len && rc == 0; i++) {
        if (known_key(k, map->keys[i]))
            continue;
        const char *near = hs_nearest(map->keys[i], k->list);
        char hint[KEY_MAX + 32] = "";
        if (near)
            snprintf(hint, sizeof hint, " (did you mean '%s'?)", near);
        rc = hs_err_at(err, map->file, map->key_line[i], map->key_col[i],
                       "policy 'static': map key '%s' names no stage, PHASE.SLOT, slot, phase or stage kind "
                       "of this run%s", map->keys[i], hint);
    }
    free(k);
    return rc;
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
    .init = static_init,
    .schedule = static_schedule,
};
