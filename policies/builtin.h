/* hetsoc: the built-in policies' ops tables (one file each). Not installed. */
#ifndef HS_POLICIES_BUILTIN_H
#define HS_POLICIES_BUILTIN_H

#include "policies/policy.h"

extern const hs_policy_ops hs_policy_agentxpu;
extern const hs_policy_ops hs_policy_ayo_like;
extern const hs_policy_ops hs_policy_continuous_batching;
extern const hs_policy_ops hs_policy_cpop;
extern const hs_policy_ops hs_policy_cpu_only;
extern const hs_policy_ops hs_policy_eft;
extern const hs_policy_ops hs_policy_fifo;
extern const hs_policy_ops hs_policy_flashrag_like;
extern const hs_policy_ops hs_policy_gpu_only;
extern const hs_policy_ops hs_policy_hedrarag;
extern const hs_policy_ops hs_policy_heft;
extern const hs_policy_ops hs_policy_hero;
extern const hs_policy_ops hs_policy_heterollm;
extern const hs_policy_ops hs_policy_npu_only;
extern const hs_policy_ops hs_policy_peft;
extern const hs_policy_ops hs_policy_random;
extern const hs_policy_ops hs_policy_sequential;
extern const hs_policy_ops hs_policy_serial_npu_igpu;
extern const hs_policy_ops hs_policy_static;

#endif
