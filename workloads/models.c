/* hetsoc workloads: transformer model configurations
 * (workloads/models/NAME.yaml) and the folder's small helpers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_private.h"

char *wl_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

void *wl_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t c = *cap ? *cap : 4;
    while (c < need)
        c *= 2;
    void *q = realloc(p, c * elem);
    if (q)
        *cap = c;
    return q;
}

int wl_get_name(const hs_node *map, const char *key, bool required, char *buf, size_t size,
                hs_err *err)
{
    const char *s = NULL;
    if (hs_get_str(map, key, required, &s, err) < 0)
        return -1;
    if (!s)
        return 0;
    if (strlen(s) >= size)
        return hs_node_err(hs_map_get(map, key), err, "'%s' is too long (at most %zu bytes)", key,
                           size - 1);
    strcpy(buf, s);
    return 0;
}

/* ---- Formats. ---------------------------------------------------------- */

static const char *const quant_names[HS_QUANT_COUNT + 1] = {
    "fp32", "fp16", "w8a16", "w4a16", "int8", NULL,
};

const char *hs_quant_name(hs_quant q)
{
    return (unsigned)q < HS_QUANT_COUNT ? quant_names[q] : "?";
}

int hs_quant_from_name(const char *s, hs_quant *q)
{
    for (int i = 0; s && i < HS_QUANT_COUNT; i++)
        if (strcmp(s, quant_names[i]) == 0) {
            *q = (hs_quant)i;
            return 0;
        }
    return -1;
}

hs_dtype hs_quant_weight_dtype(hs_quant q)
{
    static const hs_dtype w[HS_QUANT_COUNT] = {HS_DT_FP32, HS_DT_FP16, HS_DT_INT8, HS_DT_INT4,
                                               HS_DT_INT8};
    return (unsigned)q < HS_QUANT_COUNT ? w[q] : HS_DT_FP16;
}

hs_dtype hs_quant_compute_dtype(hs_quant q)
{
    static const hs_dtype c[HS_QUANT_COUNT] = {HS_DT_FP32, HS_DT_FP16, HS_DT_FP16, HS_DT_FP16,
                                               HS_DT_INT8};
    return (unsigned)q < HS_QUANT_COUNT ? c[q] : HS_DT_FP16;
}

/* ---- Model files. ------------------------------------------------------ */

static const char *const model_keys[] = {
    "name", "description", "source", "arch", "layers", "hidden", "heads", "kv_heads", "head_dim",
    "ffn", "ffn_kind", "vocab", "tied_embeddings", "lm_head", "quant", "group", "max_context",
    "embedding_dim", "used_by", NULL,
};

static int parse_shape(const hs_node *map, hs_model *m, hs_err *err)
{
    int64_t v[7] = {0};
    static const char *const keys[] = {"layers", "hidden", "heads", "ffn", "vocab"};
    for (int i = 0; i < 5; i++)
        if (hs_get_i64(map, keys[i], true, 1, 1 << 24, &v[i], err) < 0)
            return -1;
    m->layers = (int32_t)v[0], m->hidden = (int32_t)v[1], m->heads = (int32_t)v[2];
    m->ffn = (int32_t)v[3], m->vocab = (int32_t)v[4];
    int64_t kv = m->heads, hd = m->hidden / m->heads, mc = 4096;
    if (hs_get_i64(map, "kv_heads", false, 1, m->heads, &kv, err) < 0 ||
        hs_get_i64(map, "head_dim", false, 1, 1 << 16, &hd, err) < 0 ||
        hs_get_i64(map, "max_context", false, 1, INT64_C(1) << 32, &mc, err) < 0)
        return -1;
    if (m->heads % kv != 0)
        return hs_node_err(hs_map_get(map, "kv_heads"), err,
                           "kv_heads (%lld) must divide heads (%d)", (long long)kv, m->heads);
    m->kv_heads = (int32_t)kv, m->head_dim = (int32_t)hd, m->max_context = mc;
    return 0;
}

int hs_model_parse(const hs_node *map, hs_model *m, hs_err *err)
{
    memset(m, 0, sizeof *m);
    if (hs_map_check_keys(map, model_keys, err) < 0 ||
        wl_get_name(map, "name", true, m->name, sizeof m->name, err) < 0)
        return -1;
    static const char *const archs[] = {"decoder", "encoder", NULL};
    static const char *const ffns[] = {"gated", "gelu", NULL};
    int arch = HS_ARCH_DECODER;
    if (hs_get_enum(map, "arch", false, archs, &arch, err) < 0 || parse_shape(map, m, err) < 0)
        return -1;
    m->arch = (hs_arch)arch;
    int ffn_kind = m->arch == HS_ARCH_DECODER ? 0 : 1;
    bool lm_head = m->arch == HS_ARCH_DECODER, tied = false;
    int q = HS_QUANT_FP16;
    int64_t group = 0;
    if (hs_get_enum(map, "ffn_kind", false, ffns, &ffn_kind, err) < 0 ||
        hs_get_bool(map, "lm_head", false, &lm_head, err) < 0 ||
        hs_get_bool(map, "tied_embeddings", false, &tied, err) < 0 ||
        hs_get_enum(map, "quant", false, quant_names, &q, err) < 0 ||
        hs_get_i64(map, "group", false, 0, 1 << 20, &group, err) < 0)
        return -1;
    m->gated_ffn = ffn_kind == 0;
    m->lm_head = lm_head;
    m->tied_embeddings = tied;
    m->quant = (hs_quant)q;
    m->group = (int32_t)group;
    return 0;
}

int hs_model_load(const char *name_or_path, hs_model *m, hs_err *err)
{
    char path[4096];
    if (hs_conf_resolve(HS_WL_MODELS_DIR, name_or_path, path, sizeof path, err) < 0)
        return -1;
    hs_node *root = hs_conf_load_file(path, err);
    if (!root)
        return -1;
    int rc = hs_model_parse(root, m, err);
    hs_node_free(root);
    return rc;
}

/* Weights of one layer: attention (Q, K, V, O), FFN, two norms. */
static double layer_params(const hs_model *m)
{
    double h = m->hidden, d = m->head_dim;
    double attn = h * d * (m->heads + 2.0 * m->kv_heads) + (double)m->heads * d * h;
    double ffn = (m->gated_ffn ? 3.0 : 2.0) * h * m->ffn;
    return attn + ffn + 2 * h;
}

static double embed_params(const hs_model *m)
{
    return (double)m->vocab * m->hidden;
}

static double head_params(const hs_model *m)
{
    return m->lm_head && !m->tied_embeddings ? embed_params(m) : 0;
}

double hs_model_params(const hs_model *m)
{
    return m->layers * layer_params(m) + embed_params(m) + head_params(m) + m->hidden;
}

double hs_model_weight_bytes(const hs_model *m)
{
    hs_dtype w = hs_quant_weight_dtype(m->quant);
    double per = hs_dtype_bytes(w);
    if (m->group > 0 && (w == HS_DT_INT8 || w == HS_DT_INT4))
        per += 2.0 / m->group;
    return hs_model_params(m) * per;
}

double hs_model_kv_bytes_per_token(const hs_model *m)
{
    if (m->arch != HS_ARCH_DECODER)
        return 0;
    return 2.0 * m->layers * m->kv_heads * m->head_dim * hs_dtype_bytes(HS_DT_FP16);
}
