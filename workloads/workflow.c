/* hetsoc workloads: workflow templates (workloads/workflows/NAME.yaml).
 *
 *   name, description, source
 *   params:  NAME: VALUE         a number, a distribution {dist: ...}, an
 *                                expression over earlier params ("$a * 2"),
 *                                or a string (a model name); drawn once per
 *                                request, in order
 *   stages:  - {name, kind, ...}  kind: llm | embed | rerank | vector_search
 *                                 | chunk | tool | compute; numeric fields
 *                                 take the same values as params and are
 *                                 drawn per stage instance ($iter, $item
 *                                 give its loop iteration and fan-out index)
 *   edges:   - {from, to, p, stream, loop, max}
 *
 * Dynamic control flow, all resolved per request from its RNG stream:
 *   p: 0.3        a conditional edge, taken with that probability; a stage
 *                 runs when at least one of its incoming edges is taken from
 *                 a stage that runs (roots always run)
 *   loop: DIST    a back edge: the body (stages on paths from `to` to
 *                 `from`) runs that many times in all (>= 1, capped by max);
 *                 edges leaving the body follow its last iteration
 *   emits: DIST + foreach: S   stage S emits k items; stages with
 *                 `foreach: S` run once per item (pairwise among themselves,
 *                 joined by the first stage after them without `foreach`)
 *   stream: N     the consumer may start once the producer emitted N tokens
 *                 (item i of a fan-out after (i + 1) * N: HeRo's token groups)
 *
 * granularity: G (llm, embed, rerank stages) op | layer | stage | step: the
 *                 stage's own, overriding the workload's
 * chunk_tokens: N (llm stages) prefill chunk at step granularity (default:
 *                 the workload's, else the whole prompt in one chunk)
 * operand_order: swapped | naive (llm, embed, rerank stages) the GEMMs'
 *                 operand order on an NPU: the stage's own, overriding the
 *                 workload's (default swapped, as engines run them)
 *
 * spec_accuracy: P (any stage) the chance that a speculation on the stage
 *                 holds (hs_request_speculate): a number in [0, 1] or an
 *                 expression (clamped to [0, 1]), never a distribution, so
 *                 it draws nothing from the request's stream
 * top_k, hit_locality, cluster_skew (vector_search): the cluster-hit model
 *                 (clusters.c) that decides speculations on the stage's
 *                 consumers; numbers or expressions like spec_accuracy
 * locality: [cache, hit, assigned] (vector_search) the shares of its hits
 *                 that a similarity-ordered scan finds in the previous
 *                 search's top-20 cache, its hit clusters, its assigned
 *                 clusters (workloads.h, "Similarity order"; default
 *                 HS_LOCALITY_*)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_private.h"

/* ---- Names. ------------------------------------------------------------ */

static const char *const stage_kind_names[HS_STAGE_COUNT + 1] = {
    "llm", "embed", "rerank", "vector_search", "chunk", "tool", "compute", "task", NULL,
};

const char *hs_stage_kind_name(hs_stage_kind k)
{
    return (unsigned)k < HS_STAGE_COUNT ? stage_kind_names[k] : "?";
}

const char *hs_slot_name(hs_slot s)
{
    static const char *const names[HS_SLOT_COUNT] = {
        "embed", "attn_norm", "qkv", "attn", "o", "ffn_norm", "gate_up", "act", "down",
        "final_norm", "lm_head", "layer", "head", "stage", "ivf_coarse", "scan", "chunk",
        "delay", "task",
    };
    return (unsigned)s < HS_SLOT_COUNT ? names[s] : "?";
}

const char *hs_phase_name(hs_phase p)
{
    static const char *const names[HS_PHASE_COUNT] = {
        "prefill", "decode", "encode", "search", "chunk", "tool", "task",
    };
    return (unsigned)p < HS_PHASE_COUNT ? names[p] : "?";
}

static const char *const gran_names[HS_GRAN_COUNT + 1] = {"op", "layer", "stage", "step", NULL};

const char *hs_granularity_name(hs_granularity g)
{
    return (unsigned)g < HS_GRAN_COUNT ? gran_names[g] : "?";
}

/* ---- Parameters. ------------------------------------------------------- */

typedef struct var_ctx {
    const wl_template *t;
    size_t visible;      /* params [0, visible) may be read */
    size_t nparams;      /* slot base of the builtins */
    hs_err *err;
} var_ctx;

static int resolve_var(const char *name, void *p)
{
    var_ctx *c = p;
    if (c->visible == c->nparams) {   /* stage fields: builtins too */
        if (strcmp(name, "iter") == 0)
            return (int)c->nparams + WL_VAR_ITER;
        if (strcmp(name, "item") == 0)
            return (int)c->nparams + WL_VAR_ITEM;
    }
    for (size_t i = 0; i < c->visible; i++)
        if (strcmp(c->t->params[i].name, name) == 0)
            return c->t->params[i].is_str ? -1 : (int)i;
    return -1;
}

int wl_template_param(const wl_template *t, const char *name)
{
    for (size_t i = 0; i < t->nparams; i++)
        if (strcmp(t->params[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* A param value: numbers, distributions and "$"-expressions are numeric,
 * other strings are strings.  idx is the param being set (it may read the
 * params before it). */
static int param_value_at(const wl_template *t, size_t idx, const hs_node *n, wl_param *out,
                          hs_err *err)
{
    out->is_str = false;
    out->str = NULL;
    out->where = n;
    memset(&out->num, 0, sizeof out->num);
    if (n && n->kind == HS_NODE_SCALAR && !strchr(n->scalar, '$')) {
        char *end;
        strtod(n->scalar, &end);
        if (!*n->scalar || *end || n->quoted) {
            out->is_str = true;
            out->str = wl_strdup(n->scalar);
            return out->str ? 0 : hs_errf(err, "out of memory");
        }
    }
    var_ctx c = {t, idx, t->nparams, err};
    return wl_num_parse(n, resolve_var, &c, &out->num, err);
}

void wl_param_free(wl_param *p)
{
    if (!p)
        return;
    free(p->name);
    free(p->str);
    wl_num_free(&p->num);
    p->name = p->str = NULL;
}

int wl_param_override(const wl_template *t, const char *name, const hs_node *n, wl_param *out,
                      hs_err *err)
{
    int idx = wl_template_param(t, name);
    if (idx < 0) {
        const char *cands[256];
        size_t nc = t->nparams < 255 ? t->nparams : 255;
        for (size_t i = 0; i < nc; i++)
            cands[i] = t->params[i].name;
        cands[nc] = NULL;
        const char *near = hs_nearest(name, cands);
        return hs_node_err(n, err, "workflow '%s' has no parameter '%s'%s%s%s", t->name, name,
                           near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    }
    if (param_value_at(t, (size_t)idx, n, out, err) < 0)
        return -1;
    out->name = wl_strdup(name);
    if (out->is_str != t->params[idx].is_str) {
        hs_node_err(n, err, "parameter '%s' of workflow '%s' takes %s", name, t->name,
                    t->params[idx].is_str ? "a name" : "a number, an expression or a distribution");
        wl_param_free(out);
        return -1;
    }
    return 0;
}

static int parse_params(wl_template *t, const hs_node *map, hs_err *err)
{
    if (!map)
        return 0;
    if (hs_node_expect(map, HS_NODE_MAP, err) < 0)
        return -1;
    t->params = calloc(map->len ? map->len : 1, sizeof *t->params);
    if (!t->params)
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < map->len; i++) {
        t->nparams = i + 1;
        t->params[i].name = wl_strdup(map->keys[i]);
        if (strcmp(map->keys[i], "iter") == 0 || strcmp(map->keys[i], "item") == 0)
            return hs_node_err(map->items[i], err, "'%s' is a reserved name", map->keys[i]);
        wl_param tmp;
        if (param_value_at(t, i, map->items[i], &tmp, err) < 0)
            return -1;
        t->params[i].is_str = tmp.is_str;
        t->params[i].str = tmp.str;
        t->params[i].num = tmp.num;
        t->params[i].where = tmp.where;
    }
    t->prompt_param = wl_template_param(t, "prompt");
    t->output_param = wl_template_param(t, "output");
    if ((t->prompt_param >= 0 && t->params[t->prompt_param].is_str) ||
        (t->output_param >= 0 && t->params[t->output_param].is_str))
        return hs_node_err(map, err, "parameters 'prompt' and 'output' must be numeric");
    return 0;
}

/* ---- Stages. ----------------------------------------------------------- */

static const char *const common_keys[] = {"name", "kind", "model", "quant", "affinity",
                                          "foreach", "emits", "answer", "spec_accuracy"};
enum { NCOMMON = sizeof common_keys / sizeof common_keys[0] };

static const char *const *kind_keys(hs_stage_kind k)
{
    static const char *const llm[] = {"context", "prompt", "output", "granularity",
                                      "chunk_tokens", "operand_order", NULL};
    static const char *const enc[] = {"batch", "seq", "granularity", "operand_order", NULL};
    static const char *const srch[] = {"index", "queries", "top_k", "hit_locality", "cluster_skew",
                                       "hit_ranks", "locality", NULL};
    static const char *const chunk[] = {"tokens", "chunk_size", "overlap", "s_per_token", NULL};
    static const char *const tool[] = {"latency", NULL};
    static const char *const comp[] = {"flops", "bytes", NULL};
    switch (k) {
    case HS_STAGE_LLM: return llm;
    case HS_STAGE_EMBED:
    case HS_STAGE_RERANK: return enc;
    case HS_STAGE_SEARCH: return srch;
    case HS_STAGE_CHUNK: return chunk;
    case HS_STAGE_TOOL: return tool;
    default: return comp;
    }
}

static int check_stage_keys(const hs_node *n, hs_stage_kind k, hs_err *err)
{
    const char *keys[NCOMMON + 8];
    size_t nk = 0;
    for (size_t i = 0; i < NCOMMON; i++)
        keys[nk++] = common_keys[i];
    for (const char *const *p = kind_keys(k); *p; p++)
        keys[nk++] = *p;
    keys[nk] = NULL;
    return hs_map_check_keys(n, keys, err);
}

typedef struct field {
    const char *key;
    size_t off;
    bool required;
} field;

#define F(key, member, req) {key, offsetof(wl_stage, member), req}

static int parse_fields(const wl_template *t, const hs_node *n, wl_stage *s, const field *f,
                        size_t nf, hs_err *err)
{
    var_ctx c = {t, t->nparams, t->nparams, err};
    for (size_t i = 0; i < nf; i++) {
        const hs_node *v = hs_map_get(n, f[i].key);
        if (!v && f[i].required)
            return hs_node_err(n, err, "%s stage '%s': missing key '%s'",
                               hs_stage_kind_name(s->kind), s->name, f[i].key);
        wl_num *num = (wl_num *)((char *)s + f[i].off);
        if (wl_num_parse(v, resolve_var, &c, num, err) < 0)
            return -1;
    }
    return 0;
}

static int set_default(wl_num *n, double v)
{
    if (n->kind == WN_NONE) {
        n->kind = WN_CONST;
        n->c = v;
    }
    return 0;
}

static int parse_index(const wl_template *t, const hs_node *idx, wl_stage *s, hs_err *err)
{
    static const char *const keys[] = {"type", "vectors", "dim", "nlist", "nprobe", "subsets",
                                       "dtype", NULL};
    static const char *const types[] = {"flat", "ivf", NULL};
    if (hs_map_check_keys(idx, keys, err) < 0)
        return -1;
    int type = 0, dt = HS_DT_FP32;
    if (hs_get_enum(idx, "type", true, types, &type, err) < 0 ||
        hs_get_enum(idx, "dtype", false, hs_dtype_names, &dt, err) < 0)
        return -1;
    s->ivf = type == 1;
    s->vec_dtype = (hs_dtype)dt;
    field f[] = {F("vectors", vectors, true), F("dim", dim, true), F("nlist", nlist, s->ivf),
                 F("nprobe", nprobe, s->ivf), F("subsets", subsets, false)};
    if (parse_fields(t, idx, s, f, sizeof f / sizeof f[0], err) < 0)
        return -1;
    return set_default(&s->subsets, 1);
}

static int parse_hit_model(const wl_template *t, const hs_node *n, wl_stage *s, hs_err *err);

static int parse_kind_fields(const wl_template *t, const hs_node *n, wl_stage *s, hs_err *err)
{
    switch (s->kind) {
    case HS_STAGE_LLM: {
        field f[] = {F("context", context, false), F("prompt", prompt, true),
                     F("output", output, true)};
        return parse_fields(t, n, s, f, 3, err) < 0 ? -1 : set_default(&s->context, 0);
    }
    case HS_STAGE_EMBED:
    case HS_STAGE_RERANK: {
        field f[] = {F("batch", batch, false), F("seq", seq, true)};
        return parse_fields(t, n, s, f, 2, err) < 0 ? -1 : set_default(&s->batch, 1);
    }
    case HS_STAGE_SEARCH: {
        field f[] = {F("queries", queries, false)};
        const hs_node *idx = hs_map_get(n, "index");
        if (!idx)
            return hs_node_err(n, err, "vector_search stage '%s': missing key 'index'", s->name);
        if (parse_fields(t, n, s, f, 1, err) < 0 || parse_index(t, idx, s, err) < 0 ||
            parse_hit_model(t, n, s, err) < 0)
            return -1;
        return set_default(&s->queries, 1);
    }
    case HS_STAGE_CHUNK: {
        /* Tokenising and splitting text: about 1 us a token on one core
         * (assumed: HF `tokenizers`-class throughput). */
        field f[] = {F("tokens", tokens, true), F("s_per_token", s_per_token, false)};
        return parse_fields(t, n, s, f, 2, err) < 0 ? -1 : set_default(&s->s_per_token, 1e-6);
    }
    case HS_STAGE_TOOL: {
        field f[] = {F("latency", latency, true)};
        return parse_fields(t, n, s, f, 1, err);
    }
    default: {
        field f[] = {F("flops", flops, false), F("bytes", bytes, false)};
        if (parse_fields(t, n, s, f, 2, err) < 0)
            return -1;
        if (s->flops.kind == WN_NONE && s->bytes.kind == WN_NONE)
            return hs_node_err(n, err, "compute stage '%s': give flops or bytes", s->name);
        set_default(&s->flops, 0);
        return set_default(&s->bytes, 0);
    }
    }
}

static int find_stage(const wl_template *t, const char *name)
{
    for (size_t i = 0; i < t->nstages; i++)
        if (t->stages[i].name && strcmp(t->stages[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int stage_ref(const wl_template *t, const hs_node *map, const char *key, bool required,
                     int *out, hs_err *err)
{
    const char *name = NULL;
    if (hs_get_str(map, key, required, &name, err) < 0)
        return -1;
    if (!name)
        return 0;
    *out = find_stage(t, name);
    if (*out >= 0)
        return 0;
    const char *cands[256];
    size_t nc = t->nstages < 255 ? t->nstages : 255;
    for (size_t i = 0; i < nc; i++)
        cands[i] = t->stages[i].name;
    cands[nc] = NULL;
    const char *near = hs_nearest(name, cands);
    return hs_node_err(hs_map_get(map, key), err, "no stage named '%s'%s%s%s", name,
                       near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
}

/* A number or an expression, never a distribution: evaluating it must draw
 * nothing from the request's stream (the DAG draws stay as they are). */
static int parse_undrawn(const wl_template *t, const hs_node *n, const char *key, const char *what,
                         wl_stage *s, wl_num *out, hs_err *err)
{
    const hs_node *v = hs_map_get(n, key);
    var_ctx c = {t, t->nparams, t->nparams, err};
    if (v && v->kind == HS_NODE_MAP)
        return hs_node_err(v, err, "stage '%s': %s is %s: a number or an expression, not a "
                           "distribution", s->name, key, what);
    return wl_num_parse(v, resolve_var, &c, out, err);
}

/* `hit_ranks: [r0, r1, ...]`: the hits' probe ranks, fixed (a measured
 * trace, a test); top_k becomes their count. */
static int parse_hit_ranks(const hs_node *n, wl_stage *s, hs_err *err)
{
    const hs_node *v = hs_map_get(n, "hit_ranks");
    if (!v)
        return 0;
    if (v->kind != HS_NODE_SEQ || v->len == 0)
        return hs_node_err(v, err, "stage '%s': hit_ranks is a non-empty list of probe ranks",
                           s->name);
    if (hs_map_get(n, "top_k"))
        return hs_node_err(v, err, "stage '%s': give top_k or hit_ranks, not both", s->name);
    if (!(s->hit_ranks = calloc(v->len, sizeof *s->hit_ranks)))
        return hs_errf(err, "out of memory");
    s->nhit_ranks = v->len;
    for (size_t i = 0; i < v->len; i++)
        if (hs_node_i64(v->items[i], 0, INT64_MAX, &s->hit_ranks[i], err) < 0)
            return -1;
    s->top_k = (wl_num){.kind = WN_CONST, .c = (double)v->len};
    return 0;
}

/* `locality: [cache, hit, assigned]`: the shares of a later search's hits
 * found in the previous search's cached top-20, in a cluster that held
 * its results, in a cluster assigned to it (workloads.h, "Similarity
 * order"): probabilities, non-decreasing. */
static int parse_locality(const hs_node *n, wl_stage *s, hs_err *err)
{
    const hs_node *v = hs_map_get(n, "locality");
    if (!v)
        return 0;
    if (v->kind != HS_NODE_SEQ || v->len != 3)
        return hs_node_err(v, err, "stage '%s': locality is a list [cache, hit, assigned] of three "
                           "probabilities", s->name);
    for (size_t i = 0; i < 3; i++) {
        if (hs_node_f64(v->items[i], 0, 1, &s->locality[i], err) < 0)
            return -1;
        if (i > 0 && s->locality[i] < s->locality[i - 1])
            return hs_node_err(v->items[i], err, "stage '%s': locality shares are cumulative "
                               "(cache <= hit <= assigned)", s->name);
    }
    s->locality_set = true;
    return 0;
}

/* The cluster-hit model of a search stage (clusters.c): `top_k` hits,
 * `hit_locality` and `cluster_skew` exponents. */
static int parse_hit_model(const wl_template *t, const hs_node *n, wl_stage *s, hs_err *err)
{
    if (parse_undrawn(t, n, "top_k", "a count", s, &s->top_k, err) < 0 ||
        parse_undrawn(t, n, "hit_locality", "an exponent", s, &s->hit_locality, err) < 0 ||
        parse_undrawn(t, n, "cluster_skew", "an exponent", s, &s->cluster_skew, err) < 0)
        return -1;
    if (parse_hit_ranks(n, s, err) < 0 || parse_locality(n, s, err) < 0)
        return -1;
    const wl_num *e[] = {&s->top_k, &s->hit_locality, &s->cluster_skew};
    const char *keys[] = {"top_k", "hit_locality", "cluster_skew"};
    for (int i = 0; i < 3; i++)
        if (e[i]->kind == WN_CONST && !(e[i]->c >= (i == 0 ? 1 : 0) && isfinite(e[i]->c)))
            return hs_node_err(hs_map_get(n, keys[i]), err, "stage '%s': %s must be %s", s->name,
                               keys[i], i == 0 ? "at least 1" : "a finite number >= 0");
    return 0;
}

/* `spec_accuracy`: a probability. */
static int parse_spec_accuracy(const wl_template *t, const hs_node *n, wl_stage *s, hs_err *err)
{
    const hs_node *v = hs_map_get(n, "spec_accuracy");
    if (parse_undrawn(t, n, "spec_accuracy", "a probability in [0, 1]", s, &s->spec_accuracy, err) < 0)
        return -1;
    if (s->spec_accuracy.kind == WN_CONST &&
        !(s->spec_accuracy.c >= 0 && s->spec_accuracy.c <= 1))
        return hs_node_err(v, err, "stage '%s': spec_accuracy must lie in [0, 1]", s->name);
    return 0;
}

static int parse_stage_common(const wl_template *t, const hs_node *n, wl_stage *s, hs_err *err)
{
    const char *model = NULL, *quant = NULL, *aff = NULL;
    if (hs_get_str(n, "model", false, &model, err) < 0 ||
        hs_get_str(n, "quant", false, &quant, err) < 0 ||
        hs_get_str(n, "affinity", false, &aff, err) < 0 ||
        hs_get_bool(n, "answer", false, &s->answer, err) < 0)
        return -1;
    s->answer_set = hs_map_get(n, "answer") != NULL;
    s->model = wl_strdup(model);
    s->quant = wl_strdup(quant);
    s->affinity = wl_strdup(aff);
    bool needs_model = s->kind == HS_STAGE_LLM || s->kind == HS_STAGE_EMBED ||
                       s->kind == HS_STAGE_RERANK;
    if (needs_model && !model)
        return hs_node_err(n, err, "%s stage '%s': missing key 'model'",
                           hs_stage_kind_name(s->kind), s->name);
    var_ctx c = {t, t->nparams, t->nparams, err};
    if (wl_num_parse(hs_map_get(n, "emits"), resolve_var, &c, &s->emits, err) < 0)
        return -1;
    s->emitter = s->emits.kind != WN_NONE;
    return parse_spec_accuracy(t, n, s, err);
}

/* A model stage's own `granularity` (overriding the workload's) and, for
 * an LLM stage, `chunk_tokens`: the prefill chunk at step granularity;
 * `operand_order`, the order of its GEMMs' operands. */
static int parse_stage_granularity(const hs_node *n, wl_stage *s, hs_err *err)
{
    int g = 0;
    int rc = hs_get_enum(n, "granularity", false, gran_names, &g, err);
    if (rc < 0 || hs_get_i64(n, "chunk_tokens", false, 1, INT64_C(1) << 31, &s->chunk_tokens, err) < 0 ||
        wl_get_operand_order(n, &s->operand_order, err) < 0)
        return -1;
    s->gran_set = hs_map_get(n, "granularity") != NULL;
    s->gran = (hs_granularity)g;
    return 0;
}

static int parse_stages(wl_template *t, const hs_node *seq, hs_err *err)
{
    if (!seq)
        return hs_errf(err, "workflow '%s': missing key 'stages'", t->name);
    if (hs_node_expect(seq, HS_NODE_SEQ, err) < 0)
        return -1;
    if (seq->len == 0)
        return hs_node_err(seq, err, "workflow '%s' has no stages", t->name);
    t->stages = calloc(seq->len, sizeof *t->stages);
    if (!t->stages)
        return hs_errf(err, "out of memory");
    /* Names first, so foreach may name a later stage. */
    for (size_t i = 0; i < seq->len; i++) {
        const hs_node *n = seq->items[i];
        const char *name;
        if (hs_node_expect(n, HS_NODE_MAP, err) < 0 || hs_get_str(n, "name", true, &name, err) < 0)
            return -1;
        if (find_stage(t, name) >= 0)
            return hs_node_err(hs_map_get(n, "name"), err, "duplicate stage name '%s'", name);
        t->stages[i].name = wl_strdup(name);
        t->stages[i].foreach = t->stages[i].loop = -1;
        t->nstages = i + 1;
    }
    for (size_t i = 0; i < seq->len; i++) {
        const hs_node *n = seq->items[i];
        wl_stage *s = &t->stages[i];
        int kind;
        s->where = n;
        if (hs_get_enum(n, "kind", true, stage_kind_names, &kind, err) < 0)
            return -1;
        if (kind == HS_STAGE_TASK)
            return hs_node_err(hs_map_get(n, "kind"), err,
                               "'task' stages belong to `kind: dag` workloads");
        s->kind = (hs_stage_kind)kind;
        if (check_stage_keys(n, s->kind, err) < 0 || parse_stage_common(t, n, s, err) < 0 ||
            stage_ref(t, n, "foreach", false, &s->foreach, err) < 0 ||
            parse_kind_fields(t, n, s, err) < 0 || parse_stage_granularity(n, s, err) < 0)
            return -1;
    }
    return 0;
}

/* ---- Edges, loops and checks. ------------------------------------------ */

static int parse_edge(wl_template *t, const hs_node *n, wl_edge *e, hs_err *err)
{
    static const char *const keys[] = {"from", "to", "p", "stream", "loop", "max", NULL};
    e->where = n;
    e->p = 1;
    if (hs_node_expect(n, HS_NODE_MAP, err) < 0 || hs_map_check_keys(n, keys, err) < 0 ||
        stage_ref(t, n, "from", true, &e->from, err) < 0 ||
        stage_ref(t, n, "to", true, &e->to, err) < 0 ||
        hs_get_f64(n, "p", false, 0, 1, &e->p, err) < 0 ||
        hs_get_i64(n, "stream", false, 0, INT64_C(1) << 40, &e->stream, err) < 0)
        return -1;
    if (e->from == e->to)
        return hs_node_err(n, err, "edge from '%s' to itself", t->stages[e->from].name);
    if (e->stream > 0 && t->stages[e->from].kind != HS_STAGE_LLM)
        return hs_node_err(n, err, "stream: only an llm stage emits tokens");
    const hs_node *loop = hs_map_get(n, "loop");
    if (!loop)
        return hs_map_get(n, "max") ? hs_node_err(n, err, "'max' needs 'loop'") : 0;
    if (e->p < 1 || e->stream > 0)
        return hs_node_err(n, err, "a loop edge takes neither 'p' nor 'stream'");
    wl_loop *l = &t->loops[t->nloops];
    l->edge = (int)(e - t->edges);
    l->max = 100;
    var_ctx c = {t, t->nparams, t->nparams, err};
    t->nloops++;
    if (wl_num_parse(loop, resolve_var, &c, &l->count, err) < 0 ||
        hs_get_i64(n, "max", false, 1, 100000, &l->max, err) < 0)
        return -1;
    e->back = true;
    return 0;
}

/* reach[a * n + b]: b is reachable from a over forward edges (a == b too). */
static bool *forward_reach(const wl_template *t)
{
    size_t n = t->nstages;
    bool *r = calloc(n * n, sizeof *r);
    if (!r)
        return NULL;
    for (size_t i = 0; i < n; i++)
        r[i * n + i] = true;
    /* n rounds of relaxation reach every path (templates are small). */
    for (size_t round = 0; round < n; round++)
        for (size_t ei = 0; ei < t->nedges; ei++) {
            const wl_edge *e = &t->edges[ei];
            if (e->back)
                continue;
            for (size_t a = 0; a < n; a++)
                if (r[a * n + (size_t)e->from])
                    r[a * n + (size_t)e->to] = true;
        }
    return r;
}

/* A forward edge into stage v from a stage Kahn's algorithm left unsorted
 * (indeg >= 0); every unsorted stage has one. */
static size_t unsorted_in_edge(const wl_template *t, const int *indeg, int v)
{
    for (size_t i = 0; i < t->nedges; i++)
        if (!t->edges[i].back && t->edges[i].to == v && indeg[t->edges[i].from] >= 0)
            return i;
    return 0;
}

/* An edge on a cycle among the unsorted stages: walking back along in-edges
 * from any of them for n steps ends on the cycle. */
static const wl_edge *cycle_edge(const wl_template *t, const int *indeg)
{
    int v = 0;
    while (indeg[v] < 0)
        v++;
    size_t e = unsorted_in_edge(t, indeg, v);
    for (size_t step = 0; step < t->nstages; step++) {
        e = unsorted_in_edge(t, indeg, v);
        v = t->edges[e].from;
    }
    return &t->edges[e];
}

static int topo_sort(wl_template *t, hs_err *err)
{
    size_t n = t->nstages;
    int *indeg = calloc(n, sizeof *indeg);
    t->topo = calloc(n, sizeof *t->topo);
    if (!indeg || !t->topo) {
        free(indeg);
        return hs_errf(err, "out of memory");
    }
    for (size_t i = 0; i < t->nedges; i++)
        if (!t->edges[i].back)
            indeg[t->edges[i].to]++;
    size_t done = 0;
    /* Kahn's algorithm, always taking the first ready stage in file order. */
    for (size_t round = 0; round < n; round++) {
        int pick = -1;
        for (size_t s = 0; s < n && pick < 0; s++)
            if (indeg[s] == 0)
                pick = (int)s;
        if (pick < 0)
            break;
        indeg[pick] = -1;
        t->topo[done++] = pick;
        for (size_t i = 0; i < t->nedges; i++)
            if (!t->edges[i].back && t->edges[i].from == pick)
                indeg[t->edges[i].to]--;
    }
    if (done < n) {
        const wl_edge *e = cycle_edge(t, indeg);
        free(indeg);
        return hs_node_err(e->where, err, "workflow '%s': edge %s -> %s closes a cycle (mark a back "
                           "edge with `loop:`)", t->name, t->stages[e->from].name,
                           t->stages[e->to].name);
    }
    free(indeg);
    return 0;
}

static int check_loops(wl_template *t, const bool *reach, hs_err *err)
{
    size_t n = t->nstages;
    for (size_t li = 0; li < t->nloops; li++) {
        const wl_edge *e = &t->edges[t->loops[li].edge];
        if (!reach[(size_t)e->to * n + (size_t)e->from])
            return hs_node_err(e->where, err, "loop edge from '%s' to '%s' must go back "
                               "(from a stage that '%s' leads to)", t->stages[e->from].name,
                               t->stages[e->to].name, t->stages[e->to].name);
        for (size_t s = 0; s < n; s++) {
            if (!reach[(size_t)e->to * n + s] || !reach[s * n + (size_t)e->from])
                continue;
            if (t->stages[s].loop >= 0)
                return hs_node_err(e->where, err, "stage '%s' is in two loops (loops may not "
                                   "overlap or nest)", t->stages[s].name);
            t->stages[s].loop = (int)li;
        }
    }
    for (size_t i = 0; i < t->nedges; i++) {
        wl_edge *e = &t->edges[i];
        int lf = t->stages[e->from].loop, lt = t->stages[e->to].loop;
        e->exit = !e->back && lf >= 0 && lf != lt;
        if (e->back && (t->stages[e->from].foreach >= 0 || t->stages[e->to].foreach >= 0))
            return hs_node_err(e->where, err, "a loop edge cannot join `foreach` stages");
    }
    return 0;
}

static int check_foreach(wl_template *t, const bool *reach, hs_err *err)
{
    size_t n = t->nstages;
    for (size_t s = 0; s < n; s++) {
        wl_stage *st = &t->stages[s];
        if (st->foreach < 0)
            continue;
        const wl_stage *em = &t->stages[st->foreach];
        const char *why = NULL;
        if (!em->emitter)
            why = "has no 'emits'";
        else if (em->foreach >= 0)
            why = "is itself a `foreach` stage (fan-outs do not nest)";
        else if (!reach[(size_t)st->foreach * n + s] || (size_t)st->foreach == s)
            why = "does not lead to it";
        else if (em->loop != st->loop)
            why = "is not in the same loop";
        if (why)
            return hs_node_err(st->where, err, "stage '%s': foreach stage '%s' %s", st->name,
                               em->name, why);
    }
    return 0;
}

static void mark_edges(wl_template *t)
{
    for (size_t i = 0; i < t->nedges; i++) {
        wl_edge *e = &t->edges[i];
        const wl_stage *u = &t->stages[e->from], *v = &t->stages[e->to];
        e->statik = e->p >= 1 && !e->back && !e->exit && u->foreach < 0 && v->foreach < 0;
    }
    for (size_t s = 0; s < t->nstages; s++) {
        wl_stage *st = &t->stages[s];
        if (st->answer_set)
            continue;
        bool sink = true;
        for (size_t i = 0; i < t->nedges; i++)
            if (!t->edges[i].back && t->edges[i].from == (int)s)
                sink = false;
        st->answer = sink && st->kind == HS_STAGE_LLM;
    }
}

static int parse_edges(wl_template *t, const hs_node *seq, hs_err *err)
{
    if (!seq)
        return 0;
    if (hs_node_expect(seq, HS_NODE_SEQ, err) < 0)
        return -1;
    t->edges = calloc(seq->len ? seq->len : 1, sizeof *t->edges);
    t->loops = calloc(seq->len ? seq->len : 1, sizeof *t->loops);
    if (!t->edges || !t->loops)
        return hs_errf(err, "out of memory");
    for (size_t i = 0; i < seq->len; i++) {
        t->nedges = i + 1;
        if (parse_edge(t, seq->items[i], &t->edges[i], err) < 0)
            return -1;
        for (size_t j = 0; j < i; j++)
            if (t->edges[j].from == t->edges[i].from && t->edges[j].to == t->edges[i].to)
                return hs_node_err(seq->items[i], err, "duplicate edge from '%s' to '%s'",
                                   t->stages[t->edges[i].from].name,
                                   t->stages[t->edges[i].to].name);
    }
    return 0;
}

static int validate(wl_template *t, hs_err *err)
{
    if (topo_sort(t, err) < 0)
        return -1;
    bool *reach = forward_reach(t);
    if (!reach)
        return hs_errf(err, "out of memory");
    int rc = check_loops(t, reach, err);
    if (rc == 0)
        rc = check_foreach(t, reach, err);
    free(reach);
    if (rc == 0)
        mark_edges(t);
    return rc;
}

wl_template *wl_template_parse(const hs_node *orig, const char *name, hs_err *err)
{
    static const char *const keys[] = {"name", "description", "source", "params", "stages",
                                       "edges", NULL};
    if (hs_node_expect(orig, HS_NODE_MAP, err) < 0 || hs_map_check_keys(orig, keys, err) < 0)
        return NULL;
    wl_template *t = calloc(1, sizeof *t);
    hs_node *root = t ? hs_node_copy(orig) : NULL;
    if (!root) {
        free(t);
        hs_errf(err, "out of memory");
        return NULL;
    }
    t->root = root;
    const char *nm = name, *desc = "", *src = "";
    if (hs_get_str(root, "name", !name, &nm, err) < 0 ||
        hs_get_str(root, "description", false, &desc, err) < 0 ||
        hs_get_str(root, "source", false, &src, err) < 0)
        goto fail;
    t->name = wl_strdup(nm ? nm : "inline");
    t->description = wl_strdup(desc);
    t->source = wl_strdup(src);
    t->prompt_param = t->output_param = -1;
    if (parse_params(t, hs_map_get(root, "params"), err) < 0 ||
        parse_stages(t, hs_map_get(root, "stages"), err) < 0 ||
        parse_edges(t, hs_map_get(root, "edges"), err) < 0 || validate(t, err) < 0)
        goto fail;
    return t;
fail:
    wl_template_free(t);
    return NULL;
}

wl_template *wl_template_load(const char *name_or_path, hs_err *err)
{
    char path[4096];
    if (hs_conf_resolve(HS_WL_WORKFLOWS_DIR, name_or_path, path, sizeof path, err) < 0)
        return NULL;
    hs_node *root = hs_conf_load_file(path, err);
    if (!root)
        return NULL;
    wl_template *t = wl_template_parse(root, NULL, err);
    hs_node_free(root);
    return t;
}

static void stage_free(wl_stage *s)
{
    free(s->name);
    free(s->model);
    free(s->quant);
    free(s->affinity);
    wl_num *nums[] = {&s->emits, &s->context, &s->prompt, &s->output, &s->batch, &s->seq,
                      &s->vectors, &s->dim, &s->nlist, &s->nprobe, &s->subsets, &s->queries,
                      &s->tokens, &s->s_per_token, &s->latency, &s->flops, &s->bytes,
                      &s->spec_accuracy, &s->top_k, &s->hit_locality, &s->cluster_skew};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        wl_num_free(nums[i]);
    free(s->hit_ranks);
}

void wl_template_free(wl_template *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nparams; i++)
        wl_param_free(&t->params[i]);
    for (size_t i = 0; i < t->nstages; i++)
        stage_free(&t->stages[i]);
    for (size_t i = 0; i < t->nloops; i++)
        wl_num_free(&t->loops[i].count);
    free(t->params);
    free(t->stages);
    free(t->edges);
    free(t->loops);
    free(t->topo);
    free(t->name);
    free(t->description);
    free(t->source);
    hs_node_free(t->root);
    free(t);
}

int hs_workflow_check(const char *name_or_path, char *desc, size_t desc_size, hs_err *err)
{
    wl_template *t = wl_template_load(name_or_path, err);
    if (!t)
        return -1;
    if (desc && desc_size)
        snprintf(desc, desc_size, "%s", t->description ? t->description : "");
    wl_template_free(t);
    return 0;
}
