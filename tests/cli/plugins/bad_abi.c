/* A plugin built for another ABI version: hetsoc must refuse it. */
#include "policies/policy.h"
static void sched(hs_sched *s, void *st) { (void)s; (void)st; }
const hs_policy_ops hs_policy_plugin = {
    .abi_version = HS_POLICY_ABI_VERSION + 41, .name = "bad-abi", .description = "x", .schedule = sched,
};
