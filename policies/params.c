/* hetsoc: policy parameters -- validated against the policy's list, with
 * defaults filled in so that the resolved configuration of a run is
 * complete. */
#include <stdlib.h>
#include <string.h>

#include "policies/engine_internal.h"

static const hs_param_spec *spec_find(const hs_policy_ops *p, const char *name)
{
    for (const hs_param_spec *sp = p->params; sp && sp->name; sp++)
        if (strcmp(sp->name, name) == 0)
            return sp;
    return NULL;
}

static size_t spec_count(const hs_policy_ops *p)
{
    size_t n = 0;
    for (const hs_param_spec *sp = p->params; sp && sp->name; sp++)
        n++;
    return n;
}

/* "a, b, c" or "none". */
static void spec_names(const hs_policy_ops *p, char *buf, size_t size)
{
    buf[0] = 0;
    size_t used = 0;
    for (const hs_param_spec *sp = p->params; sp && sp->name && used < size; sp++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", used ? ", " : "", sp->name);
    if (!buf[0])
        snprintf(buf, size, "none");
}

static int check_unknown(const hs_policy_ops *p, const hs_node *map, hs_err *err)
{
    for (size_t i = 0; i < map->len; i++) {
        if (spec_find(p, map->keys[i]))
            continue;
        const char *names[64];
        size_t n = 0;
        for (const hs_param_spec *sp = p->params; sp && sp->name && n < 63; sp++)
            names[n++] = sp->name;
        names[n] = NULL;
        const char *near = hs_nearest(map->keys[i], names);
        char valid[512];
        spec_names(p, valid, sizeof valid);
        char hint[128] = "";
        if (near)
            snprintf(hint, sizeof hint, " (did you mean '%s'?)", near);
        return hs_err_at(err, map->file, map->key_line[i], map->key_col[i],
                         "unknown parameter '%s' of policy '%s'%s; valid parameters: %s",
                         map->keys[i], p->name, hint, valid);
    }
    return 0;
}

static int pu_value(const hs_node *n, const hs_hw *hw, int *out, hs_err *err)
{
    const char *name;
    if (hs_node_str(n, &name, err) != 0)
        return -1;
    if (strcmp(name, "any") == 0) {
        *out = -1;
        return 0;
    }
    if (!hw) {
        *out = -1;
        return 0;
    }
    hs_err inner;
    int pu = hs_hw_pu_lookup(hw, name, &inner);
    if (pu < 0) {
        /* Re-position the profile's message at the parameter's value. */
        const char *m = strstr(inner.msg, "error: ");
        return hs_node_err(n, err, "%s", m ? m + 7 : inner.msg);
    }
    *out = pu;
    return 0;
}

static int convert(const hs_param_spec *sp, const hs_node *n, const hs_hw *hw, hs_param_val *v,
                   hs_err *err)
{
    v->spec = sp;
    switch (sp->type) {
    case HS_PARAM_F64:
        return hs_node_f64(n, sp->min, sp->max, &v->f, err);
    case HS_PARAM_I64:
        return hs_node_i64(n, (int64_t)sp->min, (int64_t)sp->max, &v->i, err);
    case HS_PARAM_BOOL:
        return hs_node_bool(n, &v->b, err);
    case HS_PARAM_STR:
        return hs_node_str(n, &v->s, err);
    case HS_PARAM_PU:
        return pu_value(n, hw, &v->pu, err);
    case HS_PARAM_MAP:
        if (hs_node_expect(n, HS_NODE_MAP, err) != 0)
            return -1;
        for (size_t i = 0; i < n->len; i++) {
            int pu;
            if (pu_value(n->items[i], hw, &pu, err) != 0)
                return -1;
        }
        v->map = n;
        return 0;
    }
    return hs_node_err(n, err, "internal: bad parameter type");
}

/* Fills defaults into tree (a mapping it owns) and converts every value. */
static int bind_all(const hs_policy_ops *p, hs_node *tree, const hs_hw *hw, hs_param_val *vals,
                    hs_err *err)
{
    if (check_unknown(p, tree, err) != 0)
        return -1;
    size_t i = 0;
    for (const hs_param_spec *sp = p->params; sp && sp->name; sp++, i++) {
        hs_node *n = hs_map_get(tree, sp->name);
        if (!n) {
            if (!sp->def)
                return hs_node_err(tree, err, "policy '%s' needs parameter '%s' (%s)", p->name,
                                   sp->name, sp->help ? sp->help : "no default");
            char name[96];
            snprintf(name, sizeof name, "<default of %s.%s>", p->name, sp->name);
            if (!(n = hs_conf_load_string(sp->def, strlen(sp->def), name, err)))
                return -1;
            if (hs_map_set(tree, sp->name, n) != 0) {
                hs_node_free(n);
                return hs_errf(err, "out of memory");
            }
        }
        if (convert(sp, n, hw, &vals[i], err) != 0)
            return -1;
    }
    return 0;
}

static hs_node *params_copy(const hs_node *params, hs_err *err)
{
    if (!params)
        return hs_node_new_map(NULL, 0, 0);
    /* An empty `params:` reads as an empty scalar: no parameters. */
    if (params->kind == HS_NODE_SCALAR && !params->quoted && params->scalar[0] == 0)
        return hs_node_new_map(params->file, params->line, params->col);
    if (hs_node_expect(params, HS_NODE_MAP, err) != 0)
        return NULL;
    return hs_node_copy(params);
}

int hs_params_bind(hs_sched *s, hs_err *err)
{
    if (!(s->params_tree = params_copy(s->cfg->policy_params, err)))
        return -1;
    s->nparams = spec_count(s->pol);
    if (!(s->params = calloc(s->nparams ? s->nparams : 1, sizeof *s->params)))
        return hs_errf(err, "out of memory");
    return bind_all(s->pol, s->params_tree, s->hw, s->params, err);
}

void hs_params_free(hs_sched *s)
{
    hs_node_free(s->params_tree);
    free(s->params);
}

int hs_policy_params_check(const hs_policy_ops *p, const hs_node *params, const hs_hw *hw,
                           hs_err *err)
{
    hs_node *tree = params_copy(params, err);
    if (!tree)
        return -1;
    size_t n = spec_count(p);
    hs_param_val *vals = calloc(n ? n : 1, sizeof *vals);
    int rc = vals ? bind_all(p, tree, hw, vals, err) : hs_errf(err, "out of memory");
    free(vals);
    hs_node_free(tree);
    return rc;
}

/* ---- Accessors for policies ------------------------------------------------------ */

static const hs_param_val *val_find(const hs_sched *s, const char *name, hs_param_type type)
{
    for (size_t i = 0; i < s->nparams; i++)
        if (strcmp(s->params[i].spec->name, name) == 0 && s->params[i].spec->type == type)
            return &s->params[i];
    hs_sched_fail((hs_sched *)s, "asked for undeclared parameter '%s' (or of another type)", name);
    return NULL;
}

double hs_param_f64(const hs_sched *s, const char *name)
{
    const hs_param_val *v = val_find(s, name, HS_PARAM_F64);
    return v ? v->f : 0;
}

int64_t hs_param_i64(const hs_sched *s, const char *name)
{
    const hs_param_val *v = val_find(s, name, HS_PARAM_I64);
    return v ? v->i : 0;
}

bool hs_param_bool(const hs_sched *s, const char *name)
{
    const hs_param_val *v = val_find(s, name, HS_PARAM_BOOL);
    return v ? v->b : false;
}

const char *hs_param_str(const hs_sched *s, const char *name)
{
    const hs_param_val *v = val_find(s, name, HS_PARAM_STR);
    return v ? v->s : "";
}

int hs_param_pu(const hs_sched *s, const char *name)
{
    const hs_param_val *v = val_find(s, name, HS_PARAM_PU);
    return v ? v->pu : -1;
}

int hs_param_map_pu(const hs_sched *s, const char *name, const char *key)
{
    const hs_param_val *v = val_find(s, name, HS_PARAM_MAP);
    const hs_node *n = v ? hs_map_get(v->map, key) : NULL;
    const char *pu;
    hs_err err;
    if (!n || hs_node_str(n, &pu, &err) != 0)
        return -1;
    return hs_hw_pu_find(s->hw, pu);
}
