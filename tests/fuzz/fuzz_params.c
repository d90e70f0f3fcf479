/* Fuzzes policy parameters: a mapping {policy: NAME, params: {...}} whose
 * params are checked against the built-in policy NAME's parameter list
 * on the Snapdragon 8 Gen 3 profile (PU-valued parameters name its PUs),
 * then the `engine` preset applied to a copy of the profile.  Only
 * built-in names: a path would load a plugin. */
#include <string.h>

#include "hw/hw.h"
#include "policies/registry.h"
#include "sim/engine/engine.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const hs_policy_ops *builtin(const char *name)
{
    for (size_t i = 0; i < hs_policy_count(); i++)
        if (strcmp(hs_policy_at(i)->name, name) == 0)
            return hs_policy_at(i);
    return NULL;
}

static void check(const hs_policy_ops *p, const hs_node *params)
{
    hs_err err;
    hs_hw *hw = hs_hw_load("snapdragon-8gen3", &err);
    if (!hw)
        __builtin_trap();   /* the built-in profile must load */
    if (hs_policy_params_check(p, params, hw, &err) == 0) {
        char engine[64];
        hs_engine_status st;
        (void)hs_policy_engine_apply(p, params, hw, engine, sizeof engine, &st, &err);
    }
    hs_hw_free(hw);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_node *n = fuzz_yaml(data, size);
    const hs_node *name = n && n->kind == HS_NODE_MAP ? hs_map_get(n, "policy") : NULL;
    const hs_policy_ops *p = name && name->kind == HS_NODE_SCALAR ? builtin(name->scalar) : NULL;
    if (p)
        check(p, hs_map_get(n, "params"));
    hs_node_free(n);
    return 0;
}
