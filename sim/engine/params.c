/* hetsoc: policy parameters -- validated against the policy's list, with
 * defaults filled in so that the resolved configuration of a run is
 * complete. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/params.h"

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
    v->node = n;
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

int hs_param_set_bind(hs_param_set *ps, const hs_policy_ops *p, const hs_node *params, const hs_hw *hw,
                      hs_err *err)
{
    *ps = (hs_param_set){0};
    if (!(ps->tree = params_copy(params, err)))
        return -1;
    ps->n = spec_count(p);
    if (!(ps->vals = calloc(ps->n ? ps->n : 1, sizeof *ps->vals)))
        return hs_errf(err, "out of memory");
    return bind_all(p, ps->tree, hw, ps->vals, err);
}

void hs_param_set_free(hs_param_set *ps)
{
    hs_node_free(ps->tree);
    free(ps->vals);
    *ps = (hs_param_set){0};
}

/* The `engine` parameter's value node in a bound set, or NULL. */
static const hs_node *engine_value(const hs_param_set *ps)
{
    return hs_param_set_find(ps, "engine", HS_PARAM_STR) ? hs_map_get(ps->tree, "engine") : NULL;
}

/* Re-issues an error of hw/'s engine calls at node n when it has no
 * position of its own (an unknown name); an error inside a preset file
 * keeps its position there. */
static int engine_err(const hs_node *n, hs_err *err)
{
    if (strncmp(err->msg, "error: ", 7) != 0)
        return -1;
    char copy[HS_ERR_MSG_MAX];
    snprintf(copy, sizeof copy, "%s", err->msg + 7);
    return hs_node_err(n, err, "%s", copy);
}

int hs_policy_params_check(const hs_policy_ops *p, const hs_node *params, const hs_hw *hw,
                           hs_err *err)
{
    hs_param_set ps;
    int rc = hs_param_set_bind(&ps, p, params, hw, err);
    const hs_node *engine = rc == 0 ? engine_value(&ps) : NULL;
    if (engine && hs_engine_check_name(engine->scalar, err) != 0)
        rc = engine_err(engine, err);
    hs_param_set_free(&ps);
    return rc;
}

int hs_policy_engine_apply(const hs_policy_ops *p, const hs_node *params, hs_hw *hw, char *name,
                           size_t size, hs_engine_status *status, hs_err *err)
{
    *status = HS_ENGINE_NONE;
    name[0] = '\0';
    hs_param_set ps;
    int rc = hs_param_set_bind(&ps, p, params, hw, err);
    const hs_node *engine = rc == 0 ? engine_value(&ps) : NULL;
    if (engine) {
        snprintf(name, size, "%s", engine->scalar);
        if (hs_engine_apply_named(hw, engine->scalar, status, err) != 0)
            rc = engine_err(engine, err);
    }
    hs_param_set_free(&ps);
    return rc;
}

const hs_param_val *hs_param_set_find(const hs_param_set *ps, const char *name, hs_param_type type)
{
    for (size_t i = 0; i < ps->n; i++)
        if (strcmp(ps->vals[i].spec->name, name) == 0 && ps->vals[i].spec->type == type)
            return &ps->vals[i];
    return NULL;
}

/* ---- Values as the results report them ------------------------------------ */

/* A STR or PU value as given, or a MAP as "{k: v, ...}" (malloc'd). */
static char *value_text(const hs_param_val *v)
{
    if (v->spec->type != HS_PARAM_MAP)
        return strdup(v->spec->type == HS_PARAM_STR ? v->s : v->node->scalar);
    size_t size = 3;
    for (size_t i = 0; i < v->map->len; i++)
        size += strlen(v->map->keys[i]) + strlen(v->map->items[i]->scalar) + 4;
    char *t = malloc(size);
    if (!t)
        return NULL;
    size_t used = (size_t)snprintf(t, size, "{");
    for (size_t i = 0; i < v->map->len; i++)
        used += (size_t)snprintf(t + used, size - used, "%s%s: %s", i ? ", " : "", v->map->keys[i],
                                 v->map->items[i]->scalar);
    snprintf(t + used, size - used, "}");
    return t;
}

int hs_param_set_values(const hs_param_set *ps, hs_param_value **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (ps->n == 0)
        return 0;
    hs_param_value *vals = calloc(ps->n, sizeof *vals);
    if (!vals)
        return -1;
    for (size_t i = 0; i < ps->n; i++) {
        const hs_param_val *v = &ps->vals[i];
        hs_param_value *o = &vals[i];
        *o = (hs_param_value){.name = v->spec->name, .type = v->spec->type, .i = v->i, .f = v->f};
        if (v->spec->type == HS_PARAM_BOOL)
            o->i = v->b;
        else if (v->spec->type != HS_PARAM_F64 && v->spec->type != HS_PARAM_I64 && !(o->text = value_text(v))) {
            hs_param_values_free(vals, i);
            return -1;
        }
    }
    *out = vals;
    *n = ps->n;
    return 0;
}

void hs_param_values_free(hs_param_value *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i].text);
    free(v);
}

void hs_param_value_text(const hs_param_value *v, char *buf, size_t size)
{
    switch (v->type) {
    case HS_PARAM_F64: snprintf(buf, size, "%.17g", v->f); break;
    case HS_PARAM_I64: snprintf(buf, size, "%" PRId64, v->i); break;
    case HS_PARAM_BOOL: snprintf(buf, size, "%s", v->i ? "true" : "false"); break;
    default: snprintf(buf, size, "%s", v->text ? v->text : ""); break;
    }
}

int hs_policy_param_values(const hs_policy_ops *p, const hs_node *params, hs_param_value **out, size_t *n,
                           hs_err *err)
{
    hs_param_set ps;
    int rc = hs_param_set_bind(&ps, p, params, NULL, err);
    if (rc == 0 && hs_param_set_values(&ps, out, n) != 0)
        rc = hs_errf(err, "out of memory");
    hs_param_set_free(&ps);
    return rc;
}
