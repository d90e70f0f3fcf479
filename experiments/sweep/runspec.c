/* hetsoc: run specifications (see runspec.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/sweep/runspec.h"

static const char *const spec_keys[] = {"hw", "workload", "policy", "seed", "engine", NULL};
static const char *const policy_keys[] = {"name", "params", NULL};
static const char *const engine_keys[] = {"sync", "end_time", "max_events", "watchdog_wall_s",
                                          "watchdog_idle_events", NULL};

hs_node *hs_runspec_new(const char *hw, const char *workload, const char *policy, uint64_t seed,
                        hs_err *err)
{
    const char *file = hs_conf_intern("<command line>");
    hs_node *spec = hs_node_new_map(file, 1, 1);
    char seedtxt[32];
    snprintf(seedtxt, sizeof seedtxt, "%llu", (unsigned long long)seed);
    if (!spec || hs_map_set(spec, "hw", hs_node_new_scalar(hw, file, 1, 1)) != 0 ||
        hs_map_set(spec, "workload", hs_node_new_scalar(workload, file, 1, 1)) != 0 ||
        hs_map_set(spec, "policy", hs_node_new_scalar(policy, file, 1, 1)) != 0 ||
        hs_map_set(spec, "seed", hs_node_new_scalar(seedtxt, file, 1, 1)) != 0) {
        hs_node_free(spec);
        hs_errf(err, "out of memory");
        return NULL;
    }
    return spec;
}

/* The folder of the file a node came from, for relative paths. */
static void node_dir(const hs_node *n, char *buf, size_t size)
{
    buf[0] = 0;
    if (!n->file || n->file[0] == '<')
        return;
    const char *slash = strrchr(n->file, '/');
    if (slash)
        snprintf(buf, size, "%.*s", (int)(slash - n->file), n->file);
}

/* Replaces a scalar naming a built-in or a path by that file's tree. */
static int expand_file(hs_node *spec, const char *key, const char *dir, hs_err *err)
{
    hs_node *n = hs_map_get(spec, key);
    if (!n)
        return hs_node_err(spec, err, "missing key '%s'", key);
    if (n->kind == HS_NODE_MAP)
        return 0;
    const char *arg;
    if (hs_node_str(n, &arg, err) != 0)
        return -1;
    char rel[4096], path[4096];
    char base[4096];
    node_dir(n, base, sizeof base);
    const char *try = arg;
    if (arg[0] != '/' && base[0] && (strchr(arg, '/') || strstr(arg, ".yaml") || strstr(arg, ".yml"))) {
        int len = snprintf(rel, sizeof rel, "%s/%s", base, arg);
        if (len < 0 || (size_t)len >= sizeof rel)
            return hs_node_err(n, err, "path too long");
        try = rel;
    }
    hs_err inner;
    if (hs_conf_resolve(dir, try, path, sizeof path, &inner) != 0) {
        const char *m = strstr(inner.msg, "error: ");
        return hs_node_err(n, err, "%s", m ? m + 7 : inner.msg);
    }
    hs_node *tree = hs_conf_load_file(path, err);
    if (!tree)
        return -1;
    return hs_map_set(spec, key, tree) == 0 ? 0 : hs_errf(err, "out of memory");
}

static int normalise_policy(hs_node *spec, hs_err *err)
{
    hs_node *p = hs_map_get(spec, "policy");
    if (!p)
        return hs_node_err(spec, err, "missing key 'policy'");
    if (p->kind == HS_NODE_SCALAR) {
        hs_node *m = hs_node_new_map(p->file, p->line, p->col);
        if (!m || hs_map_set(m, "name", hs_node_copy(p)) != 0 ||
            hs_map_set(m, "params", hs_node_new_map(p->file, p->line, p->col)) != 0 ||
            hs_map_set(spec, "policy", m) != 0)
            return hs_errf(err, "out of memory");
        return 0;
    }
    if (hs_map_check_keys(p, policy_keys, err) != 0)
        return -1;
    if (!hs_map_get(p, "name"))
        return hs_node_err(p, err, "policy needs a 'name'");
    if (!hs_map_get(p, "params") && hs_map_set(p, "params", hs_node_new_map(p->file, p->line, p->col)) != 0)
        return hs_errf(err, "out of memory");
    return 0;
}

int hs_runspec_expand(hs_node *spec, hs_err *err)
{
    if (hs_map_check_keys(spec, spec_keys, err) != 0)
        return -1;
    if (expand_file(spec, "hw", "hw", err) != 0 || expand_file(spec, "workload", "workloads", err) != 0)
        return -1;
    return normalise_policy(spec, err);
}

int hs_runspec_set(hs_node *spec, const char *assignment, hs_err *err)
{
    const char *eq = strchr(assignment, '=');
    if (!eq || eq == assignment)
        return hs_errf(err, "--set expects KEY=VALUE, got '%s'", assignment);
    char key[512];
    snprintf(key, sizeof key, "%.*s", (int)(eq - assignment), assignment);
    if (hs_runspec_expand(spec, err) != 0)
        return -1;
    char path[600];
    if (strncmp(key, "policy.", 7) == 0 && strcmp(key + 7, "name") != 0 && strncmp(key + 7, "params", 6) != 0)
        snprintf(path, sizeof path, "policy.params.%s", key + 7);
    else
        snprintf(path, sizeof path, "%s", key);
    char name[600];
    snprintf(name, sizeof name, "<--set %s>", key);
    hs_node *v = hs_conf_load_string(eq + 1, strlen(eq + 1), hs_conf_intern(name), err);
    if (!v)
        return -1;
    if (hs_node_set_path(spec, path, v, err) != 0) {
        hs_node_free(v);
        return -1;
    }
    return 0;
}

bool hs_runspec_resolves(hs_node *spec)
{
    hs_err err;
    hs_run_objs o;
    bool ok = spec && hs_runspec_resolve(spec, &o, &err) == 0;
    if (ok)
        hs_run_objs_free(&o);
    hs_node_free(spec);
    return ok;
}

bool hs_runspec_err_in(const hs_err *err, const char *value)
{
    const char *colon = strchr(err->msg, ':');
    size_t fl = colon ? (size_t)(colon - err->msg) : 0, vl = strlen(value);
    return vl > 0 && fl >= vl && strncmp(err->msg + fl - vl, value, vl) == 0 &&
           (fl == vl || err->msg[fl - vl - 1] == '/');
}

int hs_runspec_blame(hs_err *err, const char *path, int line, int col, const char *what)
{
    size_t pl = strlen(path);
    char inner[sizeof err->msg];
    snprintf(inner, sizeof inner, "%s", err->msg);
    char *msg = strstr(inner, "error: ");
    if (strncmp(inner, path, pl) == 0 && inner[pl] == ':') {
        /* Already at the user's value (a sweep value a loader refused):
         * keep the position, name the run. */
        if (msg) {
            size_t head = (size_t)(msg - inner) + 7;   /* "FILE:L:C: error: " stays */
            snprintf(err->msg + head, sizeof err->msg - head, "%s: %s", what, inner + head);
        }
        return -1;
    }
    if (!msg || msg == inner)
        return hs_err_at(err, path, line, col, "%s: %s", what, msg ? msg + 7 : inner);
    if (msg - inner >= 2)
        msg[-2] = 0;   /* "FILE:L:C: error: ..." -> "FILE:L:C" */
    return hs_err_at(err, path, line, col, "%s: %s (in %s)", what, msg + 7, inner);
}

static int engine_settings(const hs_node *spec, hs_run_objs *o, hs_err *err)
{
    o->end_time = INFINITY;
    o->watchdog_wall_s = HS_WATCHDOG_WALL_S;
    o->watchdog_idle_events = HS_WATCHDOG_IDLE_EVENTS;
    const hs_node *e = hs_map_get(spec, "engine");
    if (!e)
        return 0;
    if (hs_map_check_keys(e, engine_keys, err) != 0)
        return -1;
    static const char *const syncs[] = {"naive", "fast", NULL};
    int sync = 0;
    int64_t max_events = 0, idle = HS_WATCHDOG_IDLE_EVENTS;
    if (hs_get_enum(e, "sync", false, syncs, &sync, err) != 0 ||
        hs_get_f64(e, "end_time", false, 0, INFINITY, &o->end_time, err) != 0 ||
        hs_get_i64(e, "max_events", false, 0, INT64_MAX, &max_events, err) != 0 ||
        hs_get_f64(e, "watchdog_wall_s", false, 0, INFINITY, &o->watchdog_wall_s, err) != 0 ||
        hs_get_i64(e, "watchdog_idle_events", false, 0, INT64_MAX, &idle, err) != 0)
        return -1;
    o->fast_sync = sync == 1;
    o->max_events = (uint64_t)max_events;
    o->watchdog_idle_events = (uint64_t)idle;
    return 0;
}

int hs_runspec_resolve(hs_node *spec, hs_run_objs *o, hs_err *err)
{
    memset(o, 0, sizeof *o);
    if (hs_runspec_expand(spec, err) != 0 || engine_settings(spec, o, err) != 0)
        return -1;
    int64_t seed = 1;
    if (hs_get_i64(spec, "seed", false, 0, INT64_MAX, &seed, err) != 0)
        return -1;
    o->seed = (uint64_t)seed;
    const hs_node *pol = hs_map_get(spec, "policy");
    const hs_node *pname = hs_map_get(pol, "name");
    const char *name;
    if (hs_node_str(pname, &name, err) != 0)
        return -1;
    hs_err inner;
    if (!(o->policy = hs_policy_lookup(name, &inner))) {
        const char *m = strstr(inner.msg, "error: ");
        return hs_node_err(pname, err, "%s", m ? m + 7 : inner.msg);
    }
    o->params = hs_map_get(pol, "params");
    if (!(o->hw = hs_hw_from_node(hs_map_get(spec, "hw"), err)))
        return -1;
    if (hs_workload_from_node(hs_map_get(spec, "workload"), &o->wl, err) != 0) {
        hs_run_objs_free(o);
        return -1;
    }
    if (hs_policy_params_check(o->policy, o->params, o->hw, err) != 0 ||
        hs_policy_engine_apply(o->policy, o->params, o->hw, o->engine, sizeof o->engine, &o->engine_status,
                               err) != 0) {
        hs_run_objs_free(o);
        return -1;
    }
    return 0;
}

void hs_run_objs_free(hs_run_objs *o)
{
    hs_hw_free(o->hw);
    hs_workload_free(o->wl);
    o->hw = NULL;
    o->wl = NULL;
}
