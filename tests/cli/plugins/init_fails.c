/* A policy whose init fails without setting a message. */
#include "policies/policy.h"
static int init(hs_sched *s, void **st, hs_err *err)
{
    (void)s;
    (void)st;
    (void)err;
    return -1;
}
static void sched(hs_sched *s, void *st) { (void)s; (void)st; }
const hs_policy_ops hs_policy_plugin = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "init-fails", .description = "init returns -1",
    .init = init, .schedule = sched,
};
