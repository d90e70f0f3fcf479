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

#endif
