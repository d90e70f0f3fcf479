/* A policy whose timer hook re-arms a zero-delay timer forever: the clock
 * never advances, and the engine's watchdog must end the run. */
#include "policies/policy.h"
static int init(hs_sched *s, void **st, hs_err *err)
{
    (void)st;
    (void)err;
    return hs_timer(s, 0, 1);
}
static void timer(hs_sched *s, void *st, uint64_t tag)
{
    (void)st;
    hs_timer(s, 0, tag);
}
static void sched(hs_sched *s, void *st) { (void)s; (void)st; }
const hs_policy_ops hs_policy_plugin = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "livelock", .description = "re-arms a zero-delay timer",
    .init = init, .timer = timer, .schedule = sched,
};
