/* hetsoc hw: engine presets -- per (profile, PU) efficiencies fitted to an
 * engine's published prefill and decode rates (hw/engines/NAME.yaml), and
 * their application to a loaded profile.
 *
 * The fit itself needs the lowering of a model (workloads/: hs_engine_fit);
 * this file only reads, checks and applies the stored values.  The format
 * is in hw/README.md, "Engine presets". */
#include "hw/hw.h"

#include <float.h>
#include <stdlib.h>
#include <string.h>

#define ENGINES_DIR "hw/engines"

static const char *const top_keys[] = {"name", "description", "figures", "as_profile", NULL};
static const char *const fig_keys[] = {"profile", "pu", "compute_efficiency", "memory_efficiency",
                                       "fit", "source", NULL};
static const char *const fit_keys[] = {"rate", "model", "quant", "granularity", "prompt", "queued",
                                       "launches_per_layer", NULL};
static const char *const eff_keys[] = {"compute_efficiency", "memory_efficiency"};

const char *hs_engine_status_name(hs_engine_status st)
{
    static const char *const names[] = {"", "profile", "no-figures", "fitted"};
    return (unsigned)st <= HS_ENGINE_FITTED ? names[st] : "?";
}

void hs_pu_set_compute_eff(hs_pu *pu, double value)
{
    if (pu->size_eff_half > 0)
        pu->size_eff_max = value;
    else
        pu->compute_eff = value;
}

/* ---- Loading. ---------------------------------------------------------- */

/* An error's message without its "PATH:LINE:COL: error: " prefix. */
static const char *body(const hs_err *e)
{
    const char *m = strstr(e->msg, "error: ");
    return m ? m + 7 : e->msg;
}

/* Re-issues err (a nested load's error) at node n. */
static int at_node(const hs_node *n, hs_err *err)
{
    char copy[HS_ERR_MSG_MAX];
    snprintf(copy, sizeof copy, "%s", body(err));
    return hs_node_err(n, err, "%s", copy);
}

static int dup_str(const hs_node *map, const char *key, bool required, char **out, hs_err *err)
{
    const char *s = NULL;
    if (hs_get_str(map, key, required, &s, err) < 0)
        return -1;
    if (s && !(*out = strdup(s)))
        return hs_errf(err, "out of memory");
    return 0;
}

/* The figure's profile must be built in and hold its PU. */
static int check_target(const hs_node *map, const hs_engine_fig *f, hs_err *err)
{
    hs_hw *hw = hs_hw_load(f->profile, err);
    if (!hw)
        return at_node(hs_map_get(map, "profile"), err);
    int rc = hs_hw_pu_lookup(hw, f->pu, err) < 0 ? at_node(hs_map_get(map, "pu"), err) : 0;
    hs_hw_free(hw);
    return rc;
}

/* Exactly one of compute_efficiency (fitted to a prefill rate) and
 * memory_efficiency (a decode rate), in (0, 1]. */
static int read_value(const hs_node *map, hs_engine_fig *f, hs_err *err)
{
    bool has[2];
    for (int i = 0; i < 2; i++)
        has[i] = hs_map_get(map, eff_keys[i]) != NULL;
    if (has[0] == has[1])
        return hs_node_err(map, err, "a figure sets exactly one of 'compute_efficiency' (fitted to a "
                                     "prefill rate) and 'memory_efficiency' (a decode rate)");
    f->kind = has[0] ? HS_EFF_COMPUTE : HS_EFF_MEMORY;
    return hs_get_f64(map, eff_keys[f->kind], true, DBL_MIN, 1, &f->value, err);
}

static int read_fit(const hs_node *map, hs_engine_fig *f, hs_err *err)
{
    const hs_node *fit = hs_map_get(map, "fit");
    if (!fit)
        return hs_node_err(map, err, "missing key 'fit' (the published figure the value was fitted to)");
    int64_t lpl = 0;
    if (hs_map_check_keys(fit, fit_keys, err) < 0 ||
        hs_get_f64(fit, "rate", true, DBL_MIN, DBL_MAX, &f->rate, err) < 0 ||
        dup_str(fit, "model", true, &f->model, err) < 0 || dup_str(fit, "quant", true, &f->quant, err) < 0 ||
        dup_str(fit, "granularity", true, &f->granularity, err) < 0 ||
        hs_get_i64(fit, "prompt", true, 1, INT32_MAX, &f->prompt, err) < 0 ||
        hs_get_bool(fit, "queued", false, &f->queued, err) < 0 ||
        hs_get_i64(fit, "launches_per_layer", false, 0, 1000, &lpl, err) < 0)
        return -1;
    f->launches_per_layer = (int)lpl;
    return 0;
}

static int read_fig(const hs_node *map, hs_engine_fig *f, hs_err *err)
{
    f->at = map;
    if (hs_map_check_keys(map, fig_keys, err) < 0 || dup_str(map, "profile", true, &f->profile, err) < 0 ||
        dup_str(map, "pu", true, &f->pu, err) < 0 || check_target(map, f, err) < 0 ||
        read_value(map, f, err) < 0 || read_fit(map, f, err) < 0)
        return -1;
    if (!hs_map_get(map, "source"))
        return hs_node_err(map, err, "missing key 'source' (where the figure is published)");
    if (dup_str(map, "source", true, &f->source, err) < 0)
        return -1;
    if (!*f->source)
        return hs_node_err(hs_map_get(map, "source"), err, "'source' is empty");
    return 0;
}

static int read_figs(const hs_node *root, hs_engine *e, hs_err *err)
{
    const hs_node *seq = hs_map_get(root, "figures");
    if (!seq)
        return 0;
    if (hs_node_expect(seq, HS_NODE_SEQ, err) < 0)
        return -1;
    if (seq->len && !(e->figs = calloc(seq->len, sizeof *e->figs)))
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < seq->len; i++) {
        e->nfigs = i + 1;
        if (read_fig(seq->items[i], &e->figs[i], err) < 0)
            return -1;
    }
    return 0;
}

static int read_as_profile(const hs_node *root, hs_engine *e, hs_err *err)
{
    const hs_node *seq = hs_map_get(root, "as_profile");
    if (!seq)
        return 0;
    if (hs_node_expect(seq, HS_NODE_SEQ, err) < 0)
        return -1;
    if (seq->len && !(e->as_profile = calloc(seq->len, sizeof *e->as_profile)))
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < seq->len; i++) {
        const char *s;
        if (hs_node_str(seq->items[i], &s, err) < 0)
            return -1;
        hs_hw *hw = hs_hw_load(s, err);
        if (!hw)
            return at_node(seq->items[i], err);
        hs_hw_free(hw);
        if (!(e->as_profile[e->nas_profile++] = strdup(s)))
            return hs_errf(err, "out of memory");
    }
    return 0;
}

hs_engine *hs_engine_load(const char *name_or_path, hs_err *err)
{
    char path[4096];
    if (hs_conf_resolve(ENGINES_DIR, name_or_path, path, sizeof path, err) < 0)
        return NULL;
    hs_engine *e = calloc(1, sizeof *e);
    if (!e || !(e->path = strdup(path))) {
        free(e);
        hs_errf(err, "out of memory");
        return NULL;
    }
    hs_node *root = e->doc = hs_conf_load_file(path, err);
    if (!root || hs_map_check_keys(root, top_keys, err) < 0 || dup_str(root, "name", true, &e->name, err) < 0 ||
        dup_str(root, "description", true, &e->description, err) < 0 || read_figs(root, e, err) < 0 ||
        read_as_profile(root, e, err) < 0) {
        hs_engine_free(e);
        return NULL;
    }
    return e;
}

void hs_engine_free(hs_engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nfigs; i++) {
        hs_engine_fig *f = &e->figs[i];
        free(f->profile), free(f->pu), free(f->model), free(f->quant), free(f->granularity), free(f->source);
    }
    for (size_t i = 0; i < e->nas_profile; i++)
        free(e->as_profile[i]);
    free(e->figs), free(e->as_profile);
    free(e->name), free(e->description), free(e->path);
    hs_node_free(e->doc);
    free(e);
}

/* ---- Application. ------------------------------------------------------ */

int hs_engine_apply(const hs_engine *e, hs_hw *hw, hs_engine_status *status, hs_err *err)
{
    *status = HS_ENGINE_NO_FIGURES;
    for (size_t i = 0; i < e->nas_profile; i++)
        if (strcmp(e->as_profile[i], hw->name) == 0)
            *status = HS_ENGINE_PROFILE;
    /* Look every PU up first, so that an error changes nothing. */
    for (size_t i = 0; i < e->nfigs; i++)
        if (strcmp(e->figs[i].profile, hw->name) == 0 && hs_hw_pu_lookup(hw, e->figs[i].pu, err) < 0)
            return -1;
    for (size_t i = 0; i < e->nfigs; i++) {
        const hs_engine_fig *f = &e->figs[i];
        if (strcmp(f->profile, hw->name) != 0)
            continue;
        hs_pu *pu = &hw->pus[hs_hw_pu_find(hw, f->pu)];
        if (f->kind == HS_EFF_COMPUTE)
            hs_pu_set_compute_eff(pu, f->value);
        else
            pu->mem_eff = f->value;
        *status = HS_ENGINE_FITTED;
    }
    return 0;
}

/* ---- Names. ------------------------------------------------------------ */

typedef struct name_list {
    const char *v[64];
    char buf[2048];
    size_t n, used;
} name_list;

static void collect(const char *name, const char *path, void *ctx)
{
    (void)path;
    name_list *l = ctx;
    size_t len = strlen(name) + 1;
    if (l->n + 1 >= sizeof l->v / sizeof l->v[0] || l->used + len > sizeof l->buf)
        return;
    l->v[l->n++] = memcpy(l->buf + l->used, name, len);
    l->used += len;
}

size_t hs_engine_names(void (*fn)(const char *name, const char *path, void *ctx), void *ctx)
{
    if (fn)
        fn(HS_ENGINE_PROFILE_NAME, NULL, ctx);
    int n = hs_conf_list_builtin(ENGINES_DIR, fn, ctx);
    return n < 0 ? 1 : (size_t)n + 1;
}

void hs_engine_known(char *buf, size_t size)
{
    name_list l = {.n = 0};
    hs_engine_names(collect, &l);
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < l.n && o < size; i++)
        o += (size_t)snprintf(buf + o, size - o, "%s%s", i ? ", " : "", l.v[i]);
}

/* An unknown engine: the known ones, with the nearest suggested. */
static int unknown_engine(const char *name, hs_err *err)
{
    name_list l = {.n = 0};
    hs_engine_names(collect, &l);
    l.v[l.n] = NULL;
    char known[1024];
    hs_engine_known(known, sizeof known);
    const char *near = hs_nearest(name, l.v);
    if (near)
        return hs_errf(err, "unknown engine '%s' (did you mean '%s'?); engines: %s", name, near, known);
    return hs_errf(err, "unknown engine '%s'; engines: %s", name, known);
}

static bool is_known(const char *name)
{
    name_list l = {.n = 0};
    hs_engine_names(collect, &l);
    for (size_t i = 0; i < l.n; i++)
        if (strcmp(l.v[i], name) == 0)
            return true;
    /* A path (as hs_conf_resolve reads one): the loader reports a missing file. */
    size_t n = strlen(name);
    return strchr(name, '/') || (n > 5 && strcmp(name + n - 5, ".yaml") == 0);
}

int hs_engine_check_name(const char *name, hs_err *err)
{
    if (strcmp(name, HS_ENGINE_PROFILE_NAME) == 0)
        return 0;
    if (!is_known(name))
        return unknown_engine(name, err);
    hs_engine *e = hs_engine_load(name, err);
    hs_engine_free(e);
    return e ? 0 : -1;
}

int hs_engine_apply_named(hs_hw *hw, const char *name, hs_engine_status *status, hs_err *err)
{
    *status = HS_ENGINE_PROFILE;
    if (strcmp(name, HS_ENGINE_PROFILE_NAME) == 0)
        return 0;
    if (!is_known(name))
        return unknown_engine(name, err);
    hs_engine *e = hs_engine_load(name, err);
    if (!e)
        return -1;
    int rc = hs_engine_apply(e, hw, status, err);
    hs_engine_free(e);
    return rc;
}
