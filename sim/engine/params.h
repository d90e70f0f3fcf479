/* hetsoc: a policy's parameters bound to their values -- validated against
 * the policy's list (policies/policy.h's hs_param_spec), defaults filled in
 * so that the resolved configuration of a run is complete.  Knows nothing
 * of a run: the scheduling context (sched.c) owns one set and answers the
 * policy's hs_param_* calls from it.  Not installed. */
#ifndef HS_ENGINE_PARAMS_H
#define HS_ENGINE_PARAMS_H

#include "sim/engine/engine.h"

typedef struct hs_param_val {
    const hs_param_spec *spec;
    double f;
    int64_t i;
    bool b;
    const char *s;           /* owned by the params tree */
    int pu;
    const hs_node *map;      /* HS_PARAM_MAP */
    const hs_node *node;     /* the value in the params tree */
} hs_param_val;

typedef struct hs_param_set {
    hs_node *tree;           /* copy of the given params, defaults filled */
    hs_param_val *vals;      /* one per declared parameter, in list order */
    size_t n;
} hs_param_set;

/* Binds params (a mapping, an empty scalar or NULL: none) to p's list on
 * hw (NULL: PU names unchecked).  Returns 0, or -1 with err at the bad
 * value's position; ps is to be freed with hs_param_set_free either way. */
int hs_param_set_bind(hs_param_set *ps, const hs_policy_ops *p, const hs_node *params, const hs_hw *hw,
                      hs_err *err);
void hs_param_set_free(hs_param_set *ps);
/* The bound values of ps as hs_param_values (engine.h), for
 * hs_param_values_free.  -1 on OOM. */
int hs_param_set_values(const hs_param_set *ps, hs_param_value **out, size_t *n);
/* The value of the declared parameter name of type type, or NULL. */
const hs_param_val *hs_param_set_find(const hs_param_set *ps, const char *name, hs_param_type type);

#endif
