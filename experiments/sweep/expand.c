/* hetsoc: experiment files and their expansion into runs (see expand.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/sweep/expand.h"
#include "experiments/sweep/runspec.h"

enum { MAX_RUNS = 10000000, MAX_PATH_COMPONENTS = 64 };

static const char *const exp_keys[] = {
    "name", "description", "hw", "workload", "policy", "seeds", "backend", "engine",
    "set", "sweep", "output", "baseline", "kernels", NULL,
};
static const char *const policy_item_keys[] = {"name", "params", "label", NULL};
static const char *const seeds_keys[] = {"first", "count", NULL};
static const char *const spec_roots[] = {"hw", "workload", "policy", "engine", NULL};
static const char *const engine_keys[] = {"sync", "end_time", "max_events", NULL};
static const char *const backends[] = {"sim", "real", NULL};

const char *hs_backend_name(hs_backend b)
{
    return backends[b];
}

/* ---- Small helpers --------------------------------------------------------- */
static int oom(hs_err *err)
{
    return hs_errf(err, "out of memory");
}

static int key_err(const hs_node *map, size_t i, hs_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int key_err(const hs_node *map, size_t i, hs_err *err, const char *fmt, ...)
{
    char msg[HS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return hs_err_at(err, map->file, map->key_line[i], map->key_col[i], "%s", msg);
}

/* The folder part of a file name ("" for none or a <pseudo-file>). */
static void dir_of(const char *file, char *buf, size_t size)
{
    buf[0] = 0;
    if (!file || file[0] == '<')
        return;
    const char *slash = strrchr(file, '/');
    if (slash)
        snprintf(buf, size, "%.*s", slash == file ? 1 : (int)(slash - file), file);
}

static char *base_name(const char *path, const char *const *exts)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t n = strlen(b);
    for (const char *const *x = exts; *x; x++) {
        size_t xl = strlen(*x);
        if (n > xl && strcmp(b + n - xl, *x) == 0) {
            n -= xl;
            break;
        }
    }
    return strndup(b, n);
}

static bool path_like(const char *s, const char *ext1, const char *ext2)
{
    size_t n = strlen(s);
    if (strchr(s, '/'))
        return true;
    for (const char *x = ext1; x; x = x == ext1 ? ext2 : NULL) {
        size_t xl = strlen(x);
        if (n >= xl && strcmp(s + n - xl, x) == 0)
            return true;
    }
    return false;
}

/* A relative path named in file `file` made relative to the current folder. */
static void rel_to(const char *file, const char *arg, char *buf, size_t size)
{
    char dir[4096];
    dir_of(file, dir, sizeof dir);
    if (arg[0] != '/' && dir[0])
        snprintf(buf, size, "%s/%s", dir, arg);
    else
        snprintf(buf, size, "%s", arg);
}

/* Flow-style text of a node, for labels and string columns. */
static void flow_text(const hs_node *n, char *buf, size_t size, size_t *pos)
{
#define EMIT(...)                                                                   \
    do {                                                                            \
        if (*pos < size)                                                            \
            *pos += (size_t)snprintf(buf + *pos, size - *pos, __VA_ARGS__);         \
    } while (0)
    switch (n->kind) {
    case HS_NODE_SCALAR:
        EMIT("%s", n->scalar);
        break;
    case HS_NODE_SEQ:
        EMIT("[");
        for (size_t i = 0; i < n->len; i++) {
            if (i)
                EMIT(", ");
            flow_text(n->items[i], buf, size, pos);
        }
        EMIT("]");
        break;
    case HS_NODE_MAP:
        EMIT("{");
        for (size_t i = 0; i < n->len; i++) {
            EMIT("%s%s: ", i ? ", " : "", n->keys[i]);
            flow_text(n->items[i], buf, size, pos);
        }
        EMIT("}");
        break;
    }
#undef EMIT
}

static char *node_text(const hs_node *n)
{
    char buf[1024];
    size_t pos = 0;
    buf[0] = 0;
    flow_text(n, buf, sizeof buf, &pos);
    return strdup(buf);
}

/* ---- Items: hw, workload, policy ------------------------------------------ */
static void free_item(hs_exp_item *it)
{
    free(it->label);
    hs_node_free(it->node);
}

/* A built-in name, a path (relative to the experiment) or an inline mapping
 * of a hardware profile or workload, expanded into its tree. */
static int load_item(const hs_node *item, const char *dir, const char *what, size_t idx, hs_exp_item *out,
                     hs_err *err)
{
    if (item->kind == HS_NODE_MAP) {
        if (!(out->node = hs_node_copy(item)))
            return oom(err);
        const hs_node *nm = hs_map_get(item, "name");
        char def[64];
        snprintf(def, sizeof def, "%s%zu", what, idx + 1);
        out->label = strdup(nm && nm->kind == HS_NODE_SCALAR && nm->scalar[0] ? nm->scalar : def);
        return out->label ? 0 : oom(err);
    }
    if (item->kind != HS_NODE_SCALAR)
        return hs_node_err(item, err, "expected a %s name, a path or a mapping, found a %s", what,
                           hs_node_kind_name(item->kind));
    const char *arg = item->scalar;
    if (!arg[0])
        return hs_node_err(item, err, "empty %s name", what);
    bool is_path = path_like(arg, ".yaml", ".yml");
    char rel[4096], path[4096];
    if (is_path)
        rel_to(item->file, arg, rel, sizeof rel);
    else
        snprintf(rel, sizeof rel, "%s", arg);
    hs_err inner;
    if (hs_conf_resolve(dir, rel, path, sizeof path, &inner) != 0) {
        const char *m = strstr(inner.msg, "error: ");
        return hs_node_err(item, err, "%s", m ? m + 7 : inner.msg);
    }
    if (is_path && access(path, R_OK) != 0)
        return hs_node_err(item, err, "cannot read %s file '%s'%s%s: %s", what, arg,
                           strcmp(arg, path) ? ", i.e. " : "", strcmp(arg, path) ? path : "", strerror(errno));
    if (!(out->node = hs_conf_load_file(path, err)))
        return -1;
    const hs_node *nm = hs_map_get(out->node, "name");
    if (!is_path)
        out->label = strdup(arg);
    else if (nm && nm->kind == HS_NODE_SCALAR && nm->scalar[0])
        out->label = strdup(nm->scalar);
    else
        out->label = base_name(arg, (const char *const[]){".yaml", ".yml", NULL});
    return out->label ? 0 : oom(err);
}

static int load_policy(const hs_node *item, hs_exp_item *out, const struct hs_policy_ops **ops, hs_err *err)
{
    const hs_node *name = item, *params = NULL, *label = NULL;
    if (item->kind == HS_NODE_MAP) {
        if (hs_map_check_keys(item, policy_item_keys, err) != 0)
            return -1;
        if (!(name = hs_map_get(item, "name")))
            return hs_node_err(item, err, "a policy needs a 'name'");
        params = hs_map_get(item, "params");
        label = hs_map_get(item, "label");
        if (params && hs_node_expect(params, HS_NODE_MAP, err) != 0)
            return -1;
        const char *l;
        if (label && hs_node_str(label, &l, err) != 0)
            return -1;
        if (label && !l[0])
            return hs_node_err(label, err, "empty policy label");
    }
    const char *nm;
    if (hs_node_str(name, &nm, err) != 0)
        return -1;
    if (!nm[0])
        return hs_node_err(name, err, "empty policy name");
    bool is_path = path_like(nm, ".so", NULL);
    char resolved[4096];
    if (is_path)
        rel_to(name->file, nm, resolved, sizeof resolved);
    else
        snprintf(resolved, sizeof resolved, "%s", nm);
    hs_err inner;
    if (!(*ops = hs_policy_lookup(resolved, &inner))) {
        const char *m = strstr(inner.msg, "error: ");
        return hs_node_err(name, err, "%s", m ? m + 7 : inner.msg);
    }
    hs_node *n = hs_node_new_map(item->file, item->line, item->col);
    if (!n || hs_map_set(n, "name", hs_node_new_scalar(resolved, name->file, name->line, name->col)) != 0 ||
        hs_map_set(n, "params", params ? hs_node_copy(params)
                                       : hs_node_new_map(item->file, item->line, item->col)) != 0) {
        hs_node_free(n);
        return oom(err);
    }
    out->node = n;
    if (label) {
        out->label = strdup(label->scalar);
    } else {
        char *base = is_path ? base_name(nm, (const char *const[]){".so", NULL}) : strdup(nm);
        if (base && params && params->len) {
            char *args = node_text(params);   /* "{k: v, ...}" */
            size_t n2 = strlen(base) + (args ? strlen(args) : 0) + 3;
            char *l = malloc(n2);
            if (l && args) {
                /* name(k=v, ...) */
                snprintf(l, n2, "%s(%.*s)", base, (int)strlen(args) - 2, args + 1);
                for (char *p = l + strlen(base); *p; p++)
                    if (p[0] == ':' && p[1] == ' ') {
                        p[0] = '=';
                        memmove(p + 1, p + 2, strlen(p + 2) + 1);
                    }
            }
            free(args);
            free(base);
            base = l;
        }
        out->label = base;
    }
    return out->label ? 0 : oom(err);
}

/* The items of a key that holds one value or a list of them. */
static int item_list(const hs_node *root, const char *key, const hs_node ***items, size_t *n, hs_err *err)
{
    const hs_node *v = hs_map_get(root, key);
    if (!v)
        return hs_node_err(root, err, "missing key '%s'", key);
    if (v->kind == HS_NODE_SEQ) {
        if (v->len == 0)
            return hs_node_err(v, err, "'%s' is an empty list", key);
        *items = (const hs_node **)v->items;
        *n = v->len;
    } else {
        *items = NULL;
        *n = 1;
    }
    return 0;
}

static const hs_node *item_at(const hs_node *root, const char *key, const hs_node **items, size_t i)
{
    return items ? items[i] : hs_map_get(root, key);
}

static int check_unique(const hs_exp_item *items, size_t n, const hs_node *root, const char *key,
                        const char *what, hs_err *err)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(items[i].label, items[j].label) == 0) {
                const hs_node *v = hs_map_get(root, key);
                const hs_node *at = v->kind == HS_NODE_SEQ ? v->items[i] : v;
                return hs_node_err(at, err, "two %s entries are both labelled '%s'%s", what, items[i].label,
                                   strcmp(what, "policy") == 0 ? "; give each a distinct 'label:'" : "");
            }
    return 0;
}

/* ---- Seeds ------------------------------------------------------------------- */
static int parse_seeds(hs_experiment *e, hs_err *err)
{
    const hs_node *s = hs_map_get(e->root, "seeds");
    if (!s) {
        if (!(e->seeds = malloc(sizeof *e->seeds)))
            return oom(err);
        e->seeds[0] = 1;
        e->nseeds = 1;
        return 0;
    }
    if (s->kind == HS_NODE_SEQ) {
        if (s->len == 0)
            return hs_node_err(s, err, "'seeds' is an empty list");
        if (!(e->seeds = calloc(s->len, sizeof *e->seeds)))
            return oom(err);
        for (size_t i = 0; i < s->len; i++) {
            int64_t v;
            if (hs_node_i64(s->items[i], 0, INT64_MAX, &v, err) != 0)
                return -1;
            for (size_t j = 0; j < i; j++)
                if (e->seeds[j] == (uint64_t)v)
                    return hs_node_err(s->items[i], err, "seed %" PRId64 " is listed twice", v);
            e->seeds[e->nseeds++] = (uint64_t)v;
        }
        return 0;
    }
    if (s->kind == HS_NODE_MAP) {
        int64_t first = 1, count = 0;
        if (hs_map_check_keys(s, seeds_keys, err) != 0 ||
            hs_get_i64(s, "first", false, 0, INT64_MAX, &first, err) != 0 ||
            hs_get_i64(s, "count", true, 1, 1000000, &count, err) != 0)
            return -1;
        if (first > INT64_MAX - count)
            return hs_node_err(s, err, "seeds overflow");
        if (!(e->seeds = calloc((size_t)count, sizeof *e->seeds)))
            return oom(err);
        for (int64_t i = 0; i < count; i++)
            e->seeds[e->nseeds++] = (uint64_t)(first + i);
        return 0;
    }
    return hs_node_err(s, err, "'seeds' must be a list of seeds, e.g. [1, 2, 3], or {first: 1, count: 3}");
}

/* ---- Sweep axes -------------------------------------------------------------- */
static void free_axis(hs_exp_axis *a)
{
    free(a->name);
    free(a->path);
    free(a->values);
}

static bool is_number(const hs_node *n)
{
    double d;
    return n->kind == HS_NODE_SCALAR && !n->quoted && hs_node_f64(n, -INFINITY, INFINITY, &d, NULL) == 0;
}

/* An integer as written ("40", not "40.0"), exactly a double. */
static bool is_integer(const hs_node *n)
{
    int64_t v;
    return is_number(n) && hs_node_i64(n, -(INT64_C(1) << 53), INT64_C(1) << 53, &v, NULL) == 0;
}

/* Parses one dotted path key into an axis: checks its shape and root. */
static int make_axis(const hs_node *map, size_t i, const hs_node *values, bool single, size_t group,
                     hs_exp_axis *a, hs_err *err)
{
    const char *what = single ? "set" : "sweep";
    const char *name = map->keys[i];
    memset(a, 0, sizeof *a);
    a->map = map;
    a->keyidx = i;
    a->group = group;
    if (!name[0] || name[0] == '.' || name[strlen(name) - 1] == '.' || strstr(name, ".."))
        return key_err(map, i, err, "%s path '%s' has an empty component", what, name);
    size_t rootlen = strcspn(name, ".");
    char root[64];
    snprintf(root, sizeof root, "%.*s", (int)(rootlen < 63 ? rootlen : 63), name);
    if (strcmp(root, "seed") == 0 || strcmp(root, "seeds") == 0)
        return key_err(map, i, err, "list seeds under 'seeds:', not under '%s:'", what);
    bool known = false;
    for (const char *const *r = spec_roots; *r; r++)
        known |= strcmp(*r, root) == 0;
    if (!known) {
        const char *near = hs_nearest(root, spec_roots);
        if (near)
            return key_err(map, i, err, "%s path '%s' must start with hw, workload, policy or engine (did you mean '%s'?)",
                           what, name, near);
        return key_err(map, i, err, "%s path '%s' must start with hw, workload, policy or engine", what, name);
    }
    if (name[rootlen] == 0)
        return key_err(map, i, err, "%s path '%s' names the whole %s; name a value inside it (e.g. '%s.NAME')",
                       what, name, root, root);
    a->name = strdup(name);
    if (strcmp(root, "policy") == 0) {
        const char *rest = name + 7;
        if (strcmp(rest, "name") != 0 && strcmp(rest, "params") != 0 && strncmp(rest, "params.", 7) != 0) {
            size_t n = strlen(rest) + 16;
            if ((a->path = malloc(n)))
                snprintf(a->path, n, "policy.params.%s", rest);
        } else {
            a->path = strdup(name);
        }
    } else {
        a->path = strdup(name);
    }
    if (!a->name || !a->path)
        return oom(err);
    if (single) {
        a->nvalues = 1;
        if (!(a->values = malloc(sizeof *a->values)))
            return oom(err);
        a->values[0] = values;
    } else {
        if (values->kind != HS_NODE_SEQ)
            return hs_node_err(values, err, "sweep '%s' needs a list of values, found a %s", name,
                               hs_node_kind_name(values->kind));
        if (values->len == 0)
            return hs_node_err(values, err, "sweep '%s' is an empty list", name);
        a->nvalues = values->len;
        if (!(a->values = malloc(values->len * sizeof *a->values)))
            return oom(err);
        for (size_t k = 0; k < values->len; k++)
            a->values[k] = values->items[k];
    }
    a->numeric = a->integer = true;
    for (size_t k = 0; k < a->nvalues; k++) {
        a->numeric &= is_number(a->values[k]);
        a->integer &= is_integer(a->values[k]);
    }
    a->integer &= a->numeric;
    return 0;
}

static int push_axis(hs_exp_axis **arr, size_t *n, hs_exp_axis *a, hs_err *err)
{
    for (size_t k = 0; k < *n; k++)
        if (strcmp((*arr)[k].path, a->path) == 0) {
            int rc = key_err(a->map, a->keyidx, err, "'%s' is given twice (also at line %d)", a->name,
                             (*arr)[k].map->key_line[(*arr)[k].keyidx]);
            free_axis(a);
            return rc;
        }
    hs_exp_axis *g = realloc(*arr, (*n + 1) * sizeof *g);
    if (!g) {
        free_axis(a);
        return oom(err);
    }
    *arr = g;
    g[(*n)++] = *a;
    return 0;
}

static int parse_zip_group(hs_experiment *e, const hs_node *g, hs_err *err)
{
    if (hs_node_expect(g, HS_NODE_MAP, err) != 0)
        return -1;
    if (g->len == 0)
        return hs_node_err(g, err, "a zip group needs at least one path");
    size_t group = e->ngroups;
    size_t len = 0;
    for (size_t i = 0; i < g->len; i++) {
        if (strcmp(g->keys[i], "zip") == 0)
            return key_err(g, i, err, "'zip' cannot nest");
        hs_exp_axis a;
        if (make_axis(g, i, g->items[i], false, group, &a, err) != 0) {
            free_axis(&a);
            return -1;
        }
        if (i == 0) {
            len = a.nvalues;
        } else if (a.nvalues != len) {
            int rc = key_err(g, i, err,
                             "zip axes must have equal lengths: '%s' has %zu values but '%s' has %zu",
                             g->keys[0], len, a.name, a.nvalues);
            free_axis(&a);
            return rc;
        }
        if (push_axis(&e->axes, &e->naxes, &a, err) != 0)
            return -1;
    }
    size_t *gl = realloc(e->group_len, (e->ngroups + 1) * sizeof *gl);
    if (!gl)
        return oom(err);
    e->group_len = gl;
    gl[e->ngroups++] = len;
    return 0;
}

static int parse_sweep(hs_experiment *e, hs_err *err)
{
    const hs_node *s = hs_map_get(e->root, "sweep");
    if (!s)
        return 0;
    if (hs_node_expect(s, HS_NODE_MAP, err) != 0)
        return -1;
    for (size_t i = 0; i < s->len; i++) {
        const hs_node *v = s->items[i];
        if (strcmp(s->keys[i], "zip") == 0) {
            if (v->kind == HS_NODE_SEQ) {
                if (v->len == 0)
                    return hs_node_err(v, err, "'zip' is an empty list");
                for (size_t k = 0; k < v->len; k++)
                    if (parse_zip_group(e, v->items[k], err) != 0)
                        return -1;
            } else if (v->kind == HS_NODE_MAP) {
                if (parse_zip_group(e, v, err) != 0)
                    return -1;
            } else {
                return hs_node_err(v, err, "'zip' needs a mapping of paths to lists (or a list of such mappings)");
            }
            continue;
        }
        hs_exp_axis a;
        if (make_axis(s, i, v, false, e->ngroups, &a, err) != 0) {
            free_axis(&a);
            return -1;
        }
        size_t len = a.nvalues;
        if (push_axis(&e->axes, &e->naxes, &a, err) != 0)
            return -1;
        size_t *gl = realloc(e->group_len, (e->ngroups + 1) * sizeof *gl);
        if (!gl)
            return oom(err);
        e->group_len = gl;
        gl[e->ngroups++] = len;
    }
    return 0;
}

static int parse_sets(hs_experiment *e, hs_err *err)
{
    const hs_node *s = hs_map_get(e->root, "set");
    if (!s)
        return 0;
    if (hs_node_expect(s, HS_NODE_MAP, err) != 0)
        return -1;
    for (size_t i = 0; i < s->len; i++) {
        hs_exp_axis a;
        if (make_axis(s, i, s->items[i], true, 0, &a, err) != 0) {
            free_axis(&a);
            return -1;
        }
        if (push_axis(&e->sets, &e->nsets, &a, err) != 0)
            return -1;
    }
    /* A path both set and swept: the sweep would silently win. */
    for (size_t i = 0; i < e->nsets; i++)
        for (size_t k = 0; k < e->naxes; k++)
            if (strcmp(e->sets[i].path, e->axes[k].path) == 0)
                return key_err(e->axes[k].map, e->axes[k].keyidx, err, "'%s' is both swept and fixed under 'set:' (line %d)",
                               e->axes[k].name, e->sets[i].map->key_line[e->sets[i].keyidx]);
    return 0;
}

/* ---- Checking a path against a run's spec ----------------------------------- */
static int path_err(const hs_exp_axis *a, bool single, hs_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int path_err(const hs_exp_axis *a, bool single, hs_err *err, const char *fmt, ...)
{
    char msg[HS_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return key_err(a->map, a->keyidx, err, "%s path '%s' does not exist: %s", single ? "set" : "sweep", a->name,
                   msg);
}

static void keys_list(const hs_node *map, const char **out, size_t max)
{
    size_t n = map->len < max - 1 ? map->len : max - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = map->keys[i];
    out[n] = NULL;
}

static int check_policy_path(const hs_exp_axis *a, bool single, char **comp, size_t n,
                             const struct hs_policy_ops *ops, hs_err *err)
{
    if (strcmp(comp[1], "name") == 0)
        return n == 2 ? 0 : path_err(a, single, err, "a policy name has no parts");
    /* comp[1] is "params" (make_axis normalised the path) */
    if (n == 2)
        return 0;
    const hs_param_spec *ps = ops->params;
    const char *names[128];
    size_t k = 0;
    const hs_param_spec *found = NULL;
    for (; ps && ps[k].name && k < 127; k++) {
        names[k] = ps[k].name;
        if (strcmp(ps[k].name, comp[2]) == 0)
            found = &ps[k];
    }
    names[k] = NULL;
    if (!found) {
        const char *near = hs_nearest(comp[2], names);
        if (near)
            return path_err(a, single, err, "policy '%s' has no parameter '%s' (did you mean '%s'?)", ops->name,
                            comp[2], near);
        if (k == 0)
            return path_err(a, single, err, "policy '%s' takes no parameters", ops->name);
        char list[512];
        size_t pos = 0;
        list[0] = 0;
        for (size_t i = 0; i < k && pos < sizeof list; i++)
            pos += (size_t)snprintf(list + pos, sizeof list - pos, "%s%s", i ? ", " : "", names[i]);
        return path_err(a, single, err, "policy '%s' has no parameter '%s'; its parameters: %s", ops->name, comp[2],
                        list);
    }
    if (n > 3 && found->type != HS_PARAM_MAP)
        return path_err(a, single, err, "parameter '%s' of policy '%s' is not a mapping", comp[2], ops->name);
    return 0;
}

static int check_path(const hs_exp_axis *a, bool single, const hs_node *spec, const struct hs_policy_ops *ops,
                      hs_err *err)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", a->path);
    char *comp[MAX_PATH_COMPONENTS];
    size_t n = 0;
    for (char *p = buf, *save = NULL; n < MAX_PATH_COMPONENTS && (p = strtok_r(p, ".", &save)); p = NULL)
        comp[n++] = p;
    if (strcmp(comp[0], "policy") == 0)
        return check_policy_path(a, single, comp, n, ops, err);
    if (strcmp(comp[0], "engine") == 0) {
        bool ok = false;
        for (const char *const *k = engine_keys; *k; k++)
            ok |= strcmp(*k, comp[1]) == 0;
        if (!ok) {
            const char *near = hs_nearest(comp[1], engine_keys);
            return near ? path_err(a, single, err, "the engine has no setting '%s' (did you mean '%s'?)", comp[1], near)
                        : path_err(a, single, err, "the engine has no setting '%s'; its settings: sync, end_time, max_events",
                                   comp[1]);
        }
        return n == 2 ? 0 : path_err(a, single, err, "engine.%s is a single value", comp[1]);
    }
    /* hw or workload: walk the expanded tree. */
    const hs_node *cur = hs_map_get(spec, comp[0]);
    const hs_node *name = hs_map_get(cur, "name");
    const char *label = name && name->kind == HS_NODE_SCALAR ? name->scalar : "";
    char prefix[1024];
    snprintf(prefix, sizeof prefix, "%s", comp[0]);
    for (size_t i = 1; i < n; i++) {
        bool last = i == n - 1;
        const hs_node *child = NULL;
        if (cur->kind == HS_NODE_MAP) {
            child = hs_map_get(cur, comp[i]);
            if (!child) {
                const char *keys[256];
                keys_list(cur, keys, 256);
                const char *near = hs_nearest(comp[i], keys);
                if (last && !near)
                    return 0;   /* an optional key not written in the file: the loader checks it */
                if (near)
                    return path_err(a, single, err, "%s '%s' has no '%s' in '%s' (did you mean '%s'?)", comp[0],
                                    label, comp[i], prefix, near);
                return path_err(a, single, err, "%s '%s' has no '%s' in '%s'", comp[0], label, comp[i], prefix);
            }
        } else if (cur->kind == HS_NODE_SEQ) {
            char *end;
            errno = 0;
            unsigned long long idx = strtoull(comp[i], &end, 10);
            if (comp[i][0] < '0' || comp[i][0] > '9' || *end || errno || idx >= cur->len)
                return path_err(a, single, err, "'%s' is a list of %zu items; '%s' is not an index 0..%zu", prefix,
                                cur->len, comp[i], cur->len ? cur->len - 1 : 0);
            child = cur->items[idx];
        } else {
            return path_err(a, single, err, "'%s' is a single value, it has no '%s'", prefix, comp[i]);
        }
        size_t pl = strlen(prefix);
        snprintf(prefix + pl, sizeof prefix - pl, ".%s", comp[i]);
        cur = child;
    }
    return 0;
}

/* ---- Specs ------------------------------------------------------------------- */
size_t hs_experiment_value(const hs_experiment *e, size_t run, size_t axis)
{
    size_t combo = e->runs[run].combo;
    size_t g = e->axes[axis].group;
    for (size_t k = e->ngroups; k-- > g + 1;)
        combo /= e->group_len[k];
    return combo % e->group_len[g];
}

static int apply(hs_node *spec, const hs_exp_axis *a, const hs_node *v, bool single, bool check,
                 const struct hs_policy_ops *ops, hs_err *err)
{
    if (check && check_path(a, single, spec, ops, err) != 0)
        return -1;
    hs_node *copy = hs_node_copy(v);
    if (!copy)
        return oom(err);
    if (hs_node_set_path(spec, a->path, copy, err) != 0) {
        hs_node_free(copy);
        return -1;
    }
    return 0;
}

/* The spec of run r; with `edited` false, without its set and sweep values. */
static hs_node *build_spec(const hs_experiment *e, const hs_exp_run *r, bool check,
                           const struct hs_policy_ops *ops, bool edited, hs_err *err)
{
    const char *file = e->root->file;
    hs_node *spec = hs_node_new_map(file, 1, 1);
    char seed[32];
    snprintf(seed, sizeof seed, "%" PRIu64, r->seed);
    const hs_node *seeds = hs_map_get(e->root, "seeds");
    if (!spec || hs_map_set(spec, "hw", hs_node_copy(e->hws[r->hw].node)) != 0 ||
        hs_map_set(spec, "workload", hs_node_copy(e->workloads[r->workload].node)) != 0 ||
        hs_map_set(spec, "policy", hs_node_copy(e->policies[r->policy].node)) != 0 ||
        hs_map_set(spec, "seed", hs_node_new_scalar(seed, file, seeds ? seeds->line : 1, seeds ? seeds->col : 1)) != 0 ||
        (e->engine && hs_map_set(spec, "engine", hs_node_copy(e->engine)) != 0)) {
        hs_node_free(spec);
        oom(err);
        return NULL;
    }
    for (size_t i = 0; edited && i < e->nsets; i++)
        if (apply(spec, &e->sets[i], e->sets[i].values[0], true, check, ops, err) != 0) {
            hs_node_free(spec);
            return NULL;
        }
    size_t run = (size_t)(r - e->runs);
    for (size_t a = 0; edited && a < e->naxes; a++)
        if (apply(spec, &e->axes[a], e->axes[a].values[hs_experiment_value(e, run, a)], false, check, ops, err) != 0) {
            hs_node_free(spec);
            return NULL;
        }
    return spec;
}

hs_node *hs_experiment_spec(const hs_experiment *e, size_t run, hs_err *err)
{
    if (run >= e->nruns) {
        hs_errf(err, "run %zu out of range", run);
        return NULL;
    }
    return build_spec(e, &e->runs[run], false, NULL, true, err);
}

static char *spec_config(hs_node *spec, hs_err *err)
{
    char *y = hs_node_to_yaml(spec);
    if (!y)
        oom(err);
    return y;
}

char *hs_experiment_config(const hs_experiment *e, size_t run, hs_err *err)
{
    hs_node *spec = hs_experiment_spec(e, run, err);
    if (!spec)
        return NULL;
    char *y = spec_config(spec, err);
    hs_node_free(spec);
    return y;
}

static void make_key(hs_backend b, const char *config, char key[HS_REC_KEY_LEN + 1])
{
    const char *bn = hs_backend_name(b);
    uint64_t h = hs_fnv1a64(bn, strlen(bn), HS_FNV1A64_INIT);
    h = hs_fnv1a64("\n", 1, h);
    h = hs_fnv1a64(config, strlen(config), h);
    snprintf(key, HS_REC_KEY_LEN + 1, "%016" PRIx64, h);
}

/* Column param's value v, as the column's type wants it. */
static int param_value(const hs_exp_param *col, const hs_param_value *v, hs_rec_value *out)
{
    if (col->numeric) {
        out->num = v->type == HS_PARAM_F64 ? v->f : (double)v->i;
        return 0;
    }
    char buf[64];
    hs_param_value_text(v, buf, sizeof buf);
    return (out->text = strdup(v->text ? v->text : buf)) ? 0 : -1;
}

/* The record's policy name and parameter values (none: NaN or NULL) of run
 * `run`, whose spec is spec (NULL when the experiment has no parameter
 * columns). */
static int identity_params(const hs_experiment *e, size_t run, const hs_node *spec, hs_run_record *r, hs_err *err)
{
    const struct hs_policy_ops *ops = e->runs[run].ops;
    free(r->policy_name);
    hs_record_values_free(r->params, r->nparams);
    r->params = NULL;
    r->nparams = 0;
    if (!(r->policy_name = strdup(ops ? ops->name : "")) ||
        (e->nparams && !(r->params = calloc(e->nparams, sizeof *r->params))))
        return oom(err);
    r->nparams = e->nparams;
    for (size_t c = 0; c < e->nparams; c++)
        r->params[c] = (hs_rec_value){.numeric = e->params[c].numeric, .num = NAN};
    if (!ops || !spec || e->nparams == 0)
        return 0;
    hs_param_value *vals;
    size_t n;
    if (hs_policy_param_values(ops, hs_map_get(hs_map_get(spec, "policy"), "params"), &vals, &n, err) != 0)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++)
        for (size_t c = 0; c < e->nparams && rc == 0; c++)
            if (strcmp(e->params[c].name, vals[i].name) == 0 && param_value(&e->params[c], &vals[i], &r->params[c]) != 0)
                rc = oom(err);
    hs_param_values_free(vals, n);
    return rc;
}

int hs_experiment_identity(const hs_experiment *e, size_t run, hs_run_record *r, bool with_config, hs_err *err)
{
    const hs_exp_run *x = &e->runs[run];
    r->run = (int64_t)run;
    memcpy(r->key, x->key, sizeof r->key);
    if (hs_record_set_identity(r, e->policies[x->policy].label, e->hws[x->hw].label,
                               e->workloads[x->workload].label, hs_backend_name(e->backend),
                               (int64_t)x->seed) != 0)
        return oom(err);
    for (size_t i = 0; i < r->nvalues; i++)
        free(r->values[i].text);
    free(r->values);
    r->values = NULL;
    r->nvalues = 0;
    if (e->naxes && !(r->values = calloc(e->naxes, sizeof *r->values)))
        return oom(err);
    r->nvalues = e->naxes;
    for (size_t a = 0; a < e->naxes; a++) {
        const hs_node *v = e->axes[a].values[hs_experiment_value(e, run, a)];
        hs_rec_value *out = &r->values[a];
        out->numeric = e->axes[a].numeric;
        if (out->numeric)
            hs_node_f64(v, -INFINITY, INFINITY, &out->num, NULL);
        else if (!(out->text = v->kind == HS_NODE_SCALAR ? strdup(v->scalar) : node_text(v)))
            return oom(err);
    }
    if (!with_config && e->nparams == 0)
        return identity_params(e, run, NULL, r, err);
    hs_node *spec = hs_experiment_spec(e, run, err);
    if (!spec)
        return -1;
    int rc = identity_params(e, run, spec, r, err);
    if (rc == 0 && with_config) {
        free(r->config);
        if (!(r->config = spec_config(spec, err)))
            rc = -1;
    }
    hs_node_free(spec);
    return rc;
}

/* ---- Loading ----------------------------------------------------------------- */
void hs_experiment_free(hs_experiment *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nhw; i++)
        free_item(&e->hws[i]);
    for (size_t i = 0; i < e->nworkloads; i++)
        free_item(&e->workloads[i]);
    for (size_t i = 0; i < e->npolicies; i++)
        free_item(&e->policies[i]);
    for (size_t i = 0; i < e->naxes; i++)
        free_axis(&e->axes[i]);
    for (size_t i = 0; i < e->nsets; i++)
        free_axis(&e->sets[i]);
    free(e->hws);
    free(e->workloads);
    free(e->policies);
    free(e->axes);
    free(e->sets);
    free(e->group_len);
    free(e->seeds);
    free(e->runs);
    for (size_t i = 0; i < e->nparams; i++)
        free(e->params[i].column);
    free(e->params);
    free(e->path);
    free(e->text);
    free(e->name);
    free(e->baseline);
    free(e->output);
    hs_node_free(e->root);
    free(e);
}

static int load_items(hs_experiment *e, const char *key, const char *dir, const char *what,
                      hs_exp_item **out, size_t *n, const struct hs_policy_ops ***ops, hs_err *err)
{
    const hs_node **items = NULL;
    size_t count = 0;
    if (item_list(e->root, key, &items, &count, err) != 0)
        return -1;
    if (!(*out = calloc(count, sizeof **out)))
        return oom(err);
    if (ops && !(*ops = calloc(count, sizeof **ops)))
        return oom(err);
    for (size_t i = 0; i < count; i++) {
        const hs_node *it = item_at(e->root, key, items, i);
        int rc = ops ? load_policy(it, &(*out)[i], &(*ops)[i], err) : load_item(it, dir, what, i, &(*out)[i], err);
        *n = i + 1;
        if (rc != 0)
            return -1;
    }
    return check_unique(*out, *n, e->root, key, what, err);
}

/* The value edit k (sets, then sweep axes) gives run `run`. */
static const hs_node *edit_value(const hs_experiment *e, size_t run, size_t k, const hs_exp_axis **a)
{
    *a = k < e->nsets ? &e->sets[k] : &e->axes[k - e->nsets];
    return k < e->nsets ? (*a)->values[0] : (*a)->values[hs_experiment_value(e, run, k - e->nsets)];
}

/* A run's edited values, "PATH=VALUE, ...", into buf; false when err lies
 * in a file one of them names (already the user's own position). */
static bool run_values(const hs_experiment *e, size_t run, const hs_err *err, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = 0;
    for (size_t k = 0; k < e->nsets + e->naxes; k++) {
        const hs_exp_axis *a;
        const hs_node *v = edit_value(e, run, k, &a);
        const char *text = v->kind == HS_NODE_SCALAR ? v->scalar : "{...}";
        if (v->kind == HS_NODE_SCALAR && hs_runspec_err_in(err, text))
            return false;
        if (used < size)
            used += (size_t)snprintf(buf + used, size - used, "%s%s=%s", used ? ", " : "", a->name, text);
    }
    return true;
}

/* A run that fails to resolve because of its edited values: the error
 * goes to the first sweep value (else `set` value) it was given, naming
 * the run and its values, rather than into the profile or workload file
 * the value broke a constraint of. */
static int blame_run(const hs_experiment *e, size_t run, hs_err *err)
{
    const hs_node *v = NULL;
    if (e->naxes > 0)
        v = e->axes[0].values[hs_experiment_value(e, run, 0)];
    else if (e->nsets > 0)
        v = e->sets[0].values[0];
    if (!v || !hs_runspec_resolves(build_spec(e, &e->runs[run], false, NULL, false, &(hs_err){{0}})))
        return -1;   /* no edit, or the run fails without its edits too */
    char values[512], what[600];
    if (!run_values(e, run, err, values, sizeof values))
        return -1;
    snprintf(what, sizeof what, "run %zu (%s)", run, values);
    return hs_runspec_blame(err, v->file, v->line, v->col, what);
}

/* Adds a /runs column for each parameter of ops not seen yet, and narrows
 * the type of those seen: int64 while every policy's is an integer or a
 * boolean, float64 while a number, else string. */
static int add_param_columns(hs_experiment *e, const struct hs_policy_ops *ops, hs_err *err)
{
    for (const hs_param_spec *sp = ops->params; sp && sp->name; sp++) {
        bool integer = sp->type == HS_PARAM_I64 || sp->type == HS_PARAM_BOOL;
        bool numeric = integer || sp->type == HS_PARAM_F64;
        size_t c = 0;
        while (c < e->nparams && strcmp(e->params[c].name, sp->name) != 0)
            c++;
        if (c == e->nparams) {
            hs_exp_param *g = realloc(e->params, (e->nparams + 1) * sizeof *g);
            if (!g)
                return oom(err);
            e->params = g;
            size_t len = strlen(sp->name) + 7;
            g[c] = (hs_exp_param){.column = malloc(len), .name = sp->name, .numeric = true, .integer = true};
            if (!g[c].column)
                return oom(err);
            snprintf(g[c].column, len, "param.%s", sp->name);
            e->nparams++;
        }
        e->params[c].numeric &= numeric;
        e->params[c].integer &= integer && e->params[c].numeric;
    }
    return 0;
}

/* Checks every run's spec once per seed-less combination, computes each
 * run's key, and collects the parameter columns. */
static int expand_runs(hs_experiment *e, const struct hs_policy_ops **pol_ops, hs_err *err)
{
    double total = (double)e->nhw * (double)e->nworkloads * (double)e->npolicies * (double)e->ncombos *
                   (double)e->nseeds;
    if (total > MAX_RUNS)
        return hs_node_err(e->root, err, "the experiment expands to %.0f runs; at most %d", total, MAX_RUNS);
    e->nruns = (size_t)total;
    if (!(e->runs = calloc(e->nruns, sizeof *e->runs)))
        return oom(err);
    size_t i = 0;
    for (uint32_t h = 0; h < e->nhw; h++)
        for (uint32_t w = 0; w < e->nworkloads; w++)
            for (uint32_t p = 0; p < e->npolicies; p++)
                for (size_t c = 0; c < e->ncombos; c++) {
                    for (size_t s = 0; s < e->nseeds; s++)
                        e->runs[i + s] = (hs_exp_run){.hw = h, .workload = w, .policy = p, .combo = c,
                                                      .seed = e->seeds[s]};
                    /* The first seed's spec: paths checked and fully resolved. */
                    hs_node *spec = build_spec(e, &e->runs[i], true, pol_ops[p], true, err);
                    if (!spec)
                        return -1;
                    hs_run_objs o;
                    int rc = hs_runspec_resolve(spec, &o, err);
                    if (rc == 0) {
                        for (size_t s = 0; s < e->nseeds; s++)
                            e->runs[i + s].ops = o.policy;
                        rc = add_param_columns(e, o.policy, err);
                        hs_run_objs_free(&o);
                    } else {
                        blame_run(e, i, err);
                    }
                    for (size_t s = 0; s < e->nseeds && rc == 0; s++) {
                        char seed[32];
                        snprintf(seed, sizeof seed, "%" PRIu64, e->seeds[s]);
                        hs_node *sn = hs_map_get(spec, "seed");
                        hs_node *nn = hs_node_new_scalar(seed, sn->file, sn->line, sn->col);
                        if (!nn || hs_map_set(spec, "seed", nn) != 0) {
                            hs_node_free(nn);
                            rc = oom(err);
                            break;
                        }
                        char *y = spec_config(spec, err);
                        if (!y) {
                            rc = -1;
                            break;
                        }
                        make_key(e->backend, y, e->runs[i + s].key);
                        free(y);
                    }
                    hs_node_free(spec);
                    if (rc != 0)
                        return -1;
                    i += e->nseeds;
                }
    return 0;
}

static int parse(hs_experiment *e, hs_err *err)
{
    hs_node *root = e->root;
    if (hs_node_expect(root, HS_NODE_MAP, err) != 0 || hs_map_check_keys(root, exp_keys, err) != 0)
        return -1;
    const char *s;
    if (hs_get_str(root, "name", false, &s, err) != 0)
        return -1;
    e->name = hs_map_get(root, "name") ? strdup(s)
                                        : base_name(e->path, (const char *const[]){".yaml", ".yml", NULL});
    if (!e->name)
        return oom(err);
    const hs_node *d = hs_map_get(root, "description");
    if (d && hs_node_str(d, &s, err) != 0)
        return -1;
    int backend = 0;
    if (hs_get_enum(root, "backend", false, backends, &backend, err) != 0 ||
        hs_get_bool(root, "kernels", false, &e->kernels, err) != 0)
        return -1;
    e->backend = (hs_backend)backend;
    if ((e->engine = hs_map_get(root, "engine")) && hs_node_expect(e->engine, HS_NODE_MAP, err) != 0)
        return -1;
    const hs_node *out = hs_map_get(root, "output");
    if (out) {
        if (hs_node_str(out, &s, err) != 0)
            return -1;
        if (!s[0])
            return hs_node_err(out, err, "empty output path");
        char buf[4096];
        rel_to(out->file, s, buf, sizeof buf);
        if (!(e->output = strdup(buf)))
            return oom(err);
    }
    const struct hs_policy_ops **pol_ops = NULL;
    int rc = -1;
    if (load_items(e, "hw", "hw", "hw", &e->hws, &e->nhw, NULL, err) != 0 ||
        load_items(e, "workload", "workloads", "workload", &e->workloads, &e->nworkloads, NULL, err) != 0 ||
        load_items(e, "policy", NULL, "policy", &e->policies, &e->npolicies, &pol_ops, err) != 0 ||
        parse_seeds(e, err) != 0 || parse_sweep(e, err) != 0 || parse_sets(e, err) != 0)
        goto done;
    const hs_node *b = hs_map_get(root, "baseline");
    if (b) {
        if (hs_node_str(b, &s, err) != 0)
            goto done;
        const char *labels[256];
        size_t n = e->npolicies < 255 ? e->npolicies : 255;
        bool found = false;
        for (size_t i = 0; i < e->npolicies; i++)
            found |= strcmp(e->policies[i].label, s) == 0;
        for (size_t i = 0; i < n; i++)
            labels[i] = e->policies[i].label;
        labels[n] = NULL;
        if (!found) {
            const char *near = hs_nearest(s, labels);
            char list[512];
            size_t pos = 0;
            list[0] = 0;
            for (size_t i = 0; i < n && pos < sizeof list; i++)
                pos += (size_t)snprintf(list + pos, sizeof list - pos, "%s%s", i ? ", " : "", labels[i]);
            if (near)
                hs_node_err(b, err, "baseline '%s' is not one of the policies (did you mean '%s'?); policies: %s", s,
                            near, list);
            else
                hs_node_err(b, err, "baseline '%s' is not one of the policies; policies: %s", s, list);
            goto done;
        }
        e->baseline = strdup(s);
    } else {
        e->baseline = strdup(e->policies[0].label);
    }
    if (!e->baseline) {
        oom(err);
        goto done;
    }
    e->ncombos = 1;
    for (size_t g = 0; g < e->ngroups; g++) {
        if (e->ncombos > MAX_RUNS / e->group_len[g]) {
            hs_node_err(hs_map_get(root, "sweep"), err, "the sweep grid has more than %d points", MAX_RUNS);
            goto done;
        }
        e->ncombos *= e->group_len[g];
    }
    rc = expand_runs(e, pol_ops, err);
done:
    free(pol_ops);
    return rc;
}

hs_experiment *hs_experiment_parse(const char *text, size_t len, const char *path, hs_err *err)
{
    hs_experiment *e = calloc(1, sizeof *e);
    if (!e) {
        oom(err);
        return NULL;
    }
    e->path = strdup(path ? path : "<experiment>");
    e->text = malloc(len + 1);
    if (!e->path || !e->text) {
        hs_experiment_free(e);
        oom(err);
        return NULL;
    }
    memcpy(e->text, text, len);
    e->text[len] = 0;
    e->text_len = len;
    if (!(e->root = hs_conf_load_string(text, len, hs_conf_intern(e->path), err)) || parse(e, err) != 0) {
        hs_experiment_free(e);
        return NULL;
    }
    return e;
}

hs_experiment *hs_experiment_load(const char *name_or_path, hs_err *err)
{
    char path[4096];
    if (hs_conf_resolve("experiments", name_or_path, path, sizeof path, err) != 0)
        return NULL;
    /* The loader's checks and messages first (missing file, binary, syntax). */
    hs_node *probe = hs_conf_load_file(path, err);
    if (!probe)
        return NULL;
    hs_node_free(probe);
    FILE *f = fopen(path, "rb");
    if (!f) {
        hs_err_at(err, path, 0, 0, "cannot read: %s", strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + 65536 > cap) {
            cap = cap ? 2 * cap : 65536;
            char *t = realloc(text, cap);
            if (!t) {
                free(text);
                fclose(f);
                oom(err);
                return NULL;
            }
            text = t;
        }
        size_t got = fread(text + len, 1, cap - len, f);
        len += got;
        if (got == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(text);
        hs_err_at(err, path, 0, 0, "cannot read: %s", strerror(errno));
        return NULL;
    }
    hs_experiment *e = hs_experiment_parse(text, len, path, err);
    free(text);
    return e;
}
