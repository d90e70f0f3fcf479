/* hetsoc: the policy registry -- built-in policies by name, plugins by path.
 * Used by the engine's callers (the command line, the experiment runner). */
#ifndef HS_POLICIES_REGISTRY_H
#define HS_POLICIES_REGISTRY_H

#include <stddef.h>

#include "policies/policy.h"

/* ---- The policy registry ---------------------------------------------------------- */
/* Built-in policies, sorted by name. */
size_t hs_policy_count(void);
const hs_policy_ops *hs_policy_at(size_t i);
/* A built-in name, or a path to a plugin .so (contains '/' or ends in
 * ".so").  Checks the ABI version and the required fields.  Plugins stay
 * loaded for the life of the process. */
const hs_policy_ops *hs_policy_lookup(const char *name_or_path, hs_err *err);

/* ---- Groups, for `hetsoc list policies` ------------------------------------------ */
typedef enum hs_policy_group {
    HS_POLICY_SEED,       /* a seed paper's own scheduler (hero, heterollm, ...) */
    HS_POLICY_BASELINE,   /* a baseline a seed paper compares against (gpu-only, ...) */
    HS_POLICY_CLASSIC,    /* a textbook scheduler (fifo, heft, ...) */
    HS_POLICY_OTHER,      /* anything else: a plugin, a built-in given no group */
    HS_POLICY_GROUP_COUNT
} hs_policy_group;

/* The group of the policy of that name (HS_POLICY_OTHER for a name the
 * group table does not hold, e.g. a plugin's). */
hs_policy_group hs_policy_group_of(const char *name);
/* A one-line heading for the group. */
const char *hs_policy_group_title(hs_policy_group g);

#endif
