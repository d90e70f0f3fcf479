/* hetsoc: HeteroInfer's partition solver (see heterollm_solver.h).
 *
 * Paper: Chen et al., "HeteroInfer" (arXiv 2501.14794v2, SOSP'25), §4.1
 * (tensor-level partitions) and §4.2 (the solver, Table 3 examples). */
#include <math.h>
#include <stdlib.h>

#include "policies/heterollm_solver.h"

static const char *const strategy_names[HLL_STRATEGY_COUNT] = {
    "gpu-only", "npu-only", "weight-centric", "activation-centric", "hybrid",
};

const char *hll_strategy_name(hll_strategy s)
{
    return (unsigned)s < HLL_STRATEGY_COUNT ? strategy_names[s] : "?";
}

/* A cached shape: the kernel's identity (everything the model reads but
 * flops and bytes) and its decision. */
typedef struct entry {
    bool used;
    hs_kernel key;
    hll_decision d;
} entry;

struct hll_solver {
    hll_config cfg;
    entry *tab;       /* open addressing, linear probing; size a power of two */
    size_t cap, used;
};

hll_solver *hll_solver_new(const hll_config *cfg, hs_err *err)
{
    if (!cfg || !cfg->hw || cfg->gpu < 0 || cfg->npu < 0 || cfg->gpu == cfg->npu ||
        (size_t)cfg->gpu >= cfg->hw->npus || (size_t)cfg->npu >= cfg->hw->npus || cfg->grid < 1) {
        hs_errf(err, "partition solver: needs two distinct PUs of the profile and a grid >= 1");
        return NULL;
    }
    hll_solver *sv = calloc(1, sizeof *sv);
    if (sv) {
        sv->cfg = *cfg;
        sv->cap = 64;
        sv->tab = calloc(sv->cap, sizeof *sv->tab);
    }
    if (!sv || !sv->tab) {
        hll_solver_free(sv);
        hs_errf(err, "out of memory");
        return NULL;
    }
    return sv;
}

void hll_solver_free(hll_solver *sv)
{
    if (!sv)
        return;
    free(sv->tab);
    free(sv);
}

size_t hll_solver_cached(const hll_solver *sv) { return sv ? sv->used : 0; }

/* ---- The cache ------------------------------------------------------------ */

static hs_kernel shape_key(const hs_kernel *k)
{
    hs_kernel key = *k;
    key.flops = key.bytes = 0;   /* derived from the shape by the model */
    return key;
}

static bool key_equal(const hs_kernel *a, const hs_kernel *b)
{
    return a->op == b->op && a->dtype == b->dtype && a->weight_dtype == b->weight_dtype &&
           a->m == b->m && a->n == b->n && a->k == b->k && a->batch == b->batch &&
           a->kv_batch == b->kv_batch && a->group == b->group && a->flags == b->flags;
}

static size_t key_hash(const hs_kernel *key)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a over the key's fields */
    const int64_t f[] = {key->m, key->n, key->k, key->batch, key->group, key->dtype,
                         key->weight_dtype, (int64_t)key->flags};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        h = (h ^ (uint64_t)f[i]) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

static entry *slot_of(entry *tab, size_t cap, const hs_kernel *key)
{
    size_t i = key_hash(key) & (cap - 1);
    while (tab[i].used && !key_equal(&tab[i].key, key))
        i = (i + 1) & (cap - 1);
    return &tab[i];
}

static int grow(hll_solver *sv)
{
    size_t cap = sv->cap * 2;
    entry *tab = calloc(cap, sizeof *tab);
    if (!tab)
        return -1;
    for (size_t i = 0; i < sv->cap; i++)
        if (sv->tab[i].used)
            *slot_of(tab, cap, &sv->tab[i].key) = sv->tab[i];
    free(sv->tab);
    sv->tab = tab;
    sv->cap = cap;
    return 0;
}

/* ---- Part costs from the hardware model ------------------------------------ */

/* T_PU^part: the model's latency of the GEMM at m tokens and n output
 * features on pu (launch included; padding, static shapes, order and shape
 * penalties as the profile says).  INFINITY when pu cannot run it; -1 on a
 * malformed kernel. */
static double part_s(const hll_solver *sv, int pu, const hs_kernel *k, int64_t m, int64_t n,
                     hs_err *err)
{
    if (m < 1 || n < 1)
        return 0;   /* an empty part costs nothing */
    hs_kernel part = *k;
    part.m = m, part.n = n;
    part.flops = part.bytes = 0;
    hs_pred p;
    unsigned flags = sv->cfg.in_pass && pu == sv->cfg.gpu ? HS_PRED_QUEUED : 0;
    int rc = hs_hw_predict(sv->cfg.hw, pu, &part, flags, &p, err);
    if (rc < 0)
        return -1;
    return rc == HS_PRED_CANNOT_RUN ? INFINITY : p.latency_s;
}

/* T_sync + T_copy: the handoff between the PUs plus copying the parts'
 * outputs (m x n activations) at copy_bps, as hs_join_cost charges; in a
 * pass, also the GPU's next kernel losing its queued launch. */
static double join_s(const hll_solver *sv, const hs_kernel *k)
{
    double copy = 0;
    if (sv->cfg.copy_bps > 0)
        copy = (double)k->m * (double)k->n * hs_dtype_bytes(k->dtype) / sv->cfg.copy_bps;
    const hs_pu *gpu = &sv->cfg.hw->pus[sv->cfg.gpu];
    double relaunch = sv->cfg.in_pass ? gpu->launch_s - gpu->queue_launch_s : 0;
    return sv->cfg.sync_s + copy + relaunch;
}

/* T_NPU^part, plus in a pass the handoff of its input from the GPU. */
static double npu_part_s(const hll_solver *sv, const hs_kernel *k, int64_t m, int64_t n, hs_err *err)
{
    double t = part_s(sv, sv->cfg.npu, k, m, n, err);
    return t > 0 && sv->cfg.in_pass ? t + sv->cfg.sync_s : t;
}

/* The static shape the NPU snaps m to: the smallest listed >= m (pad
 * policy), or m itself (listed, no static shapes, or beyond them). */
static int64_t npu_static_m(const hs_pu *npu, int64_t m)
{
    for (size_t i = 0; i < npu->nstatic; i++)
        if (npu->static_m[i] >= m)
            return npu->shape_policy == HS_SHAPES_PAD ? npu->static_m[i] : m;
    return m;
}

/* The largest static shape <= m; 0 when none (or no static shapes). */
static int64_t npu_static_floor(const hs_pu *npu, int64_t m)
{
    int64_t best = 0;
    for (size_t i = 0; i < npu->nstatic && npu->static_m[i] <= m; i++)
        best = npu->static_m[i];
    return best;
}

/* ---- The candidates (§4.1 partitions, §4.2 equation) ----------------------- */

static hll_choice none(void) { return (hll_choice){.time_s = INFINITY}; }

/* T_GPU^all and T_NPU^all + T_sync + T_copy. */
static int single_pu(const hll_solver *sv, const hs_kernel *k, hll_decision *d, hs_err *err)
{
    double g = part_s(sv, sv->cfg.gpu, k, k->m, k->n, err);
    double n = npu_part_s(sv, k, k->m, k->n, err);
    if (g < 0 || n < 0)
        return -1;
    const hs_pu *npu = &sv->cfg.hw->pus[sv->cfg.npu];
    d->best[HLL_GPU_ONLY] = (hll_choice){.time_s = g, .gpu_share = 1, .gpu_rows = k->n,
                                          .gpu_tokens = k->m};
    d->best[HLL_NPU_ONLY] = (hll_choice){.time_s = n + join_s(sv, k), .npu_share = 1,
                                          .npu_rows = k->n, .npu_tokens = k->m,
                                          .padded = npu_static_m(npu, k->m) != k->m};
    return 0;
}

/* NPU rows of a GPU:NPU = a:b split of n: rounded to the NPU's tile so that
 * its part pays no tile padding of its own. */
static int64_t npu_rows_of(const hs_pu *npu, int64_t n, int a, int b)
{
    int64_t t = npu->tile > 1 ? npu->tile : 1;
    double exact = (double)n * b / (a + b);
    return (int64_t)llround(exact / (double)t) * t;
}

static int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }

/* Weight-centric (row-cutting) and hybrid: max(T_GPU^p1, T_NPU^p2) + T_sync
 * + T_copy over the ratio grid, p1 and p2 output-feature shares of the
 * weight, both at m tokens.  The NPU part of an m it has no graph for pads
 * to the next static shape: that split is the hybrid partition
 * (activation-centric padding plus a weight split), otherwise it is
 * weight-centric.  Ties keep the ratio found first (a ascending, b
 * ascending). */
static int weight_split(const hll_solver *sv, const hs_kernel *k, hll_decision *d, hs_err *err)
{
    const hs_pu *npu = &sv->cfg.hw->pus[sv->cfg.npu];
    bool padded = npu_static_m(npu, k->m) != k->m;
    hll_choice *best = &d->best[padded ? HLL_HYBRID : HLL_WEIGHT_CENTRIC];
    for (int a = 1; a <= sv->cfg.grid; a++) {
        for (int b = 1; b <= sv->cfg.grid; b++) {
            int64_t nr = npu_rows_of(npu, k->n, a, b);
            if (gcd(a, b) != 1 || nr < 1 || nr >= k->n)
                continue;
            double g = part_s(sv, sv->cfg.gpu, k, k->m, k->n - nr, err);
            double n = npu_part_s(sv, k, k->m, nr, err);
            if (g < 0 || n < 0)
                return -1;
            double t = fmax(g, n) + join_s(sv, k);
            if (t < best->time_s)
                *best = (hll_choice){.time_s = t, .gpu_share = a, .npu_share = b,
                                     .gpu_rows = k->n - nr, .npu_rows = nr, .gpu_tokens = k->m,
                                     .npu_tokens = k->m, .padded = padded};
        }
    }
    return 0;
}

/* Activation-centric (sequence-length cutting): the NPU runs the largest
 * static size S <= m on its prebuilt graph, the GPU the remaining m - S
 * token rows (§4.1's 300 = 256 + 44).  Only on an NPU with static shapes
 * and an m that is not one of them. */
static int activation_split(const hll_solver *sv, const hs_kernel *k, hll_decision *d, hs_err *err)
{
    const hs_pu *npu = &sv->cfg.hw->pus[sv->cfg.npu];
    int64_t s = npu_static_floor(npu, k->m);
    if (s < 1 || s >= k->m)
        return 0;
    double g = part_s(sv, sv->cfg.gpu, k, k->m - s, k->n, err);
    double n = npu_part_s(sv, k, s, k->n, err);
    if (g < 0 || n < 0)
        return -1;
    d->best[HLL_ACTIVATION_CENTRIC] =
        (hll_choice){.time_s = fmax(g, n) + join_s(sv, k), .gpu_rows = k->n, .npu_rows = k->n,
                     .gpu_tokens = k->m - s, .npu_tokens = s};
    return 0;
}

/* T_total: the argmin over the strategies; ties keep the earlier one
 * (single PUs before splits). */
static hll_strategy argmin(const hll_decision *d)
{
    hll_strategy best = HLL_GPU_ONLY;
    for (int s = 1; s < HLL_STRATEGY_COUNT; s++)
        if (d->best[s].time_s < d->best[best].time_s)
            best = (hll_strategy)s;
    return best;
}

static int decide(const hll_solver *sv, const hs_kernel *k, hll_decision *d, hs_err *err)
{
    for (int s = 0; s < HLL_STRATEGY_COUNT; s++)
        d->best[s] = none();
    if (single_pu(sv, k, d, err) != 0 || weight_split(sv, k, d, err) != 0 ||
        activation_split(sv, k, d, err) != 0)
        return -1;
    d->strategy = argmin(d);
    return 0;
}

const hll_decision *hll_solve(hll_solver *sv, const hs_kernel *k, hs_err *err)
{
    if (!k || k->op != HS_OP_GEMM || k->m < 1 || k->n < 1 || k->k < 1) {
        hs_errf(err, "partition solver: expected a GEMM with m, n, k >= 1");
        return NULL;
    }
    hs_kernel key = shape_key(k);
    entry *e = slot_of(sv->tab, sv->cap, &key);
    if (e->used)
        return &e->d;
    if (2 * (sv->used + 1) > sv->cap) {
        if (grow(sv) != 0) {
            hs_errf(err, "out of memory");
            return NULL;
        }
        e = slot_of(sv->tab, sv->cap, &key);
    }
    hll_decision d;
    if (decide(sv, &key, &d, err) != 0)
        return NULL;
    *e = (entry){.used = true, .key = key, .d = d};
    sv->used++;
    return &e->d;
}

const hll_choice *hll_pick(const hll_decision *d, unsigned mask, hll_strategy *which)
{
    const hll_choice *best = NULL;
    for (int s = 0; s < HLL_STRATEGY_COUNT; s++) {
        if (!(mask & (1u << s)) || !isfinite(d->best[s].time_s))
            continue;
        if (!best || d->best[s].time_s < best->time_s) {
            best = &d->best[s];
            if (which)
                *which = (hll_strategy)s;
        }
    }
    return best;
}
