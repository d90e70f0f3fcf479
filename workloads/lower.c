/* hetsoc workloads: lowering LLM calls, encoder passes and vector searches
 * to work items.
 *
 * Shapes follow the kernel table of hw/hw.h (gemm C[m,n] = A[m,k] W[k,n],
 * attention m queries over n keys with batch = query heads and kv_batch =
 * KV heads, ...), and every op's FLOPs and bytes are exactly what
 * hs_kernel_shape_cost() gives for its shape, with one exception: causal
 * attention, where query i of a chunk sees context + i + 1 keys rather
 * than all n, so its FLOPs are the triangular sum (half of the square for
 * a fresh prefill).  Bytes are kept in four parts (weights, input rows,
 * output rows, KV) because splitting and batching treat them differently.
 *
 * A pass (prefill, one decode step, one encoder pass) is, at op
 * granularity:
 *   embed, then per layer: attn_norm, qkv, attn, o, ffn_norm, gate_up, act,
 *   down, then final_norm and lm_head on the rows that need logits.
 * Layer granularity sums each layer's ops (layer 0 also holds the
 * embedding lookup; the head is its own item); stage granularity sums a
 * whole pass, and the whole decode is one item.  An LLM call with G output
 * tokens is one prefill pass (whose last item emits token 1) and G - 1
 * decode steps, step j seeing context + P + j - 1 cached tokens.  Items
 * are produced on demand from a position, so a long decode holds no
 * memory. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/wl_private.h"

enum { OPS_PER_LAYER = 8 };
static const hs_slot layer_slots[OPS_PER_LAYER] = {
    HS_SLOT_ATTN_NORM, HS_SLOT_QKV, HS_SLOT_ATTN, HS_SLOT_O,
    HS_SLOT_FFN_NORM, HS_SLOT_GATE_UP, HS_SLOT_ACT, HS_SLOT_DOWN,
};

uint64_t wl_hash(uint64_t h, uint64_t v)
{
    /* splitmix64 step over the running value. */
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebull;
    return h ^ (h >> 31);
}

void wl_item_finish(hs_item *it)
{
    it->k.bytes = it->parts.weights + it->parts.in + it->parts.out + it->parts.kv;
}

/* ---- One op. ----------------------------------------------------------- */

typedef struct acc {
    double flops;
    hs_item_bytes b;
    hs_kernel *parts;   /* NULL, or where aggregates record their ops by slot */
} acc;

static void acc_add(acc *a, const acc *x, double times)
{
    a->flops += times * x->flops;
    a->b.weights += times * x->b.weights;
    a->b.in += times * x->b.in;
    a->b.out += times * x->b.out;
    a->b.kv += times * x->b.kv;
}

/* Bytes of count stored elements, with the fp16 scales of a quantised
 * format (as hw/kernel.c counts them). */
static double stored(const hs_kernel *k, double count)
{
    double b = count * hs_dtype_bytes(k->weight_dtype);
    if (k->group > 0 && (k->weight_dtype == HS_DT_INT8 || k->weight_dtype == HS_DT_INT4))
        b += 2.0 * count / (double)k->group;
    return b;
}

/* Norms, attention and activations run in fp16 whatever the weights. */
static hs_dtype aux_dtype(hs_quant q)
{
    return q == HS_QUANT_FP32 ? HS_DT_FP32 : HS_DT_FP16;
}

static void gemm(const hs_item *it, double m, double kin, double nout, hs_kernel *k, acc *c)
{
    k->op = HS_OP_GEMM;
    k->dtype = hs_quant_compute_dtype(it->quant);
    k->weight_dtype = hs_quant_weight_dtype(it->quant);
    k->group = it->model->group;
    k->m = (int64_t)m, k->k = (int64_t)kin, k->n = (int64_t)nout;
    double a = hs_dtype_bytes(k->dtype);
    c->flops = 2 * m * kin * nout;
    c->b.in = a * m * kin;
    c->b.out = a * m * nout;
    c->b.weights = stored(k, kin * nout);
}

static void norm(const hs_item *it, double rows, hs_kernel *k, acc *c)
{
    double h = it->model->hidden;
    k->op = HS_OP_RMSNORM;
    k->dtype = k->weight_dtype = aux_dtype(it->quant);
    k->m = (int64_t)rows, k->n = (int64_t)h;
    double a = hs_dtype_bytes(k->dtype);
    c->flops = 4 * rows * h;
    c->b.in = a * rows * h;
    c->b.out = a * rows * h;
    c->b.weights = a * h;
}

/* Keys seen by the item's queries, summed: the triangle for causal
 * attention, the full sequence for a bidirectional encoder. */
static double key_sum(const hs_item *it)
{
    double t = (double)it->tokens, c = (double)it->context;
    if (it->model->arch == HS_ARCH_DECODER)
        return t * c + t * (t + 1) / 2;
    return t * (double)it->seq;
}

static void attention(const hs_item *it, hs_kernel *k, acc *c)
{
    const hs_model *m = it->model;
    bool causal = m->arch == HS_ARCH_DECODER;
    double d = m->head_dim, u = (double)it->units;
    double keys = causal ? (double)(it->context + it->tokens) : (double)it->seq;
    k->op = HS_OP_ATTENTION;
    k->dtype = k->weight_dtype = aux_dtype(it->quant);   /* the KV cache is fp16 */
    k->m = it->tokens, k->n = (int64_t)keys, k->k = m->head_dim;
    k->batch = (int64_t)(u * m->heads);
    k->kv_batch = (int64_t)(u * m->kv_heads);
    double a = hs_dtype_bytes(k->dtype);
    c->flops = u * m->heads * (4 * d + 5) * key_sum(it);
    c->b.in = u * m->heads * a * (double)it->tokens * d;
    c->b.out = c->b.in;
    c->b.kv = u * m->kv_heads * a * 2 * keys * d;
}

static void activation(const hs_item *it, double rows, hs_kernel *k, acc *c)
{
    double f = it->model->ffn;
    k->dtype = k->weight_dtype = aux_dtype(it->quant);
    k->m = (int64_t)rows, k->n = (int64_t)f;
    double a = hs_dtype_bytes(k->dtype);
    if (it->model->gated_ffn) {
        k->op = HS_OP_SILU_MUL;
        c->flops = 5 * rows * f;
        c->b.in = 2 * a * rows * f;
    } else {
        /* GELU (tanh form): about 8 operations an element (assumed). */
        k->op = HS_OP_GENERIC;
        c->flops = 8 * rows * f;
        c->b.in = a * rows * f;
    }
    c->b.out = a * rows * f;
}

static void embed_lookup(const hs_item *it, double rows, hs_kernel *k, acc *c)
{
    double h = it->model->hidden;
    k->op = HS_OP_EMBEDDING;
    k->dtype = aux_dtype(it->quant);
    k->weight_dtype = hs_quant_weight_dtype(it->quant);
    k->group = it->model->group;
    k->m = (int64_t)rows, k->n = (int64_t)h;
    c->flops = rows * h;
    c->b.in = stored(k, rows * h) + 8 * rows;
    c->b.out = hs_dtype_bytes(k->dtype) * rows * h;
}

/* The kernel and cost of one op of the item's span. */
static void op_cost(const hs_item *it, hs_slot slot, hs_kernel *k, acc *c)
{
    const hs_model *m = it->model;
    double rows = (double)it->units * (double)it->tokens;
    double head = (double)it->units * it->head_rows;
    double h = m->hidden, qd = (double)m->heads * m->head_dim;
    memset(k, 0, sizeof *k);
    memset(c, 0, sizeof *c);
    k->batch = 1;
    switch (slot) {
    case HS_SLOT_EMBED: embed_lookup(it, rows, k, c); break;
    case HS_SLOT_ATTN_NORM:
    case HS_SLOT_FFN_NORM: norm(it, rows, k, c); break;
    case HS_SLOT_QKV:
        gemm(it, rows, h, qd + 2.0 * m->kv_heads * m->head_dim, k, c);
        break;
    case HS_SLOT_ATTN: attention(it, k, c); break;
    case HS_SLOT_O: gemm(it, rows, qd, h, k, c); break;
    case HS_SLOT_GATE_UP: gemm(it, rows, h, (m->gated_ffn ? 2.0 : 1.0) * m->ffn, k, c); break;
    case HS_SLOT_ACT: activation(it, rows, k, c); break;
    case HS_SLOT_DOWN: gemm(it, rows, m->ffn, h, k, c); break;
    case HS_SLOT_FINAL_NORM: norm(it, head, k, c); break;
    case HS_SLOT_LM_HEAD: gemm(it, head, h, m->vocab, k, c); break;
    default: break;
    }
}

/* ---- Aggregates (layer, head, stage). ---------------------------------- */

/* Adds `times` instances of op k (cost c) to the part of its slot: the
 * first instance gives the shape, the part's flops and bytes sum them. */
static void record_part(hs_kernel *parts, hs_slot slot, const hs_kernel *k, const acc *c, double times)
{
    hs_kernel *p = &parts[slot];
    if (p->m == 0) {
        *p = *k;
        p->flops = p->bytes = 0;
    }
    p->flops += times * c->flops;
    p->bytes += times * (c->b.weights + c->b.in + c->b.out + c->b.kv);
}

static void sum_slots(const hs_item *it, const hs_slot *slots, int n, double times, acc *total)
{
    hs_kernel k;
    acc c;
    for (int i = 0; i < n; i++) {
        op_cost(it, slots[i], &k, &c);
        acc_add(total, &c, times);
        if (total->parts)
            record_part(total->parts, slots[i], &k, &c, times);
    }
}

static const hs_slot head_slots[2] = {HS_SLOT_FINAL_NORM, HS_SLOT_LM_HEAD};
static const hs_slot embed_slot[1] = {HS_SLOT_EMBED};

/* `times` whole passes of the item's span: embedding, all layers, head. */
static void pass_cost(const hs_item *it, double times, acc *total)
{
    sum_slots(it, embed_slot, 1, times, total);
    sum_slots(it, layer_slots, OPS_PER_LAYER, times * it->model->layers, total);
    if (it->head_rows > 0)
        sum_slots(it, head_slots, 2, times, total);
}

/* Up to this many steps a whole decode is summed step by step (the sums
 * every result so far was computed with); beyond it, in closed form, so
 * that a huge token count costs no time (chosen: 2^16 steps take about a
 * millisecond). */
enum { DECODE_STEPS_SUMMED = 1 << 16 };

/* The whole decode: step s sees `context + s` cached tokens.  A pass's
 * cost is affine in the context (only attention depends on it, linearly),
 * so the sum over S steps is S/2 times the first plus the last step. */
static void decode_cost(const hs_item *it, acc *total)
{
    hs_item step = *it;
    if (it->steps <= DECODE_STEPS_SUMMED) {
        for (int64_t s = 0; s < it->steps; s++) {
            step.context = it->context + s;
            pass_cost(&step, 1, total);
        }
        return;
    }
    double half = (double)it->steps / 2;
    pass_cost(&step, half, total);
    step.context = it->context + it->steps - 1;
    pass_cost(&step, half, total);
}

static void aggregate_cost(hs_item *it, acc *total)
{
    if (it->slot == HS_SLOT_LAYER) {
        if (it->layer == 0)
            sum_slots(it, embed_slot, 1, 1, total);
        sum_slots(it, layer_slots, OPS_PER_LAYER, 1, total);
    } else if (it->slot == HS_SLOT_HEAD) {
        sum_slots(it, head_slots, 2, 1, total);
    } else if (it->phase == HS_PHASE_DECODE && it->steps > 1) {
        decode_cost(it, total);
    } else {
        pass_cost(it, 1, total);
    }
    hs_kernel *k = &it->k;
    memset(k, 0, sizeof *k);
    k->op = HS_OP_GENERIC;
    k->dtype = hs_quant_compute_dtype(it->quant);
    k->weight_dtype = hs_quant_weight_dtype(it->quant);
    k->group = it->model->group;
    k->m = it->units * it->tokens;
    k->n = k->k = it->model->hidden;
    k->batch = 1;
    it->fused = true;
}

/* ---- The ops of a fused item. ------------------------------------------ */

/* A row split part computes a share of each op's output features. */
static void narrow_part(hs_kernel *p, double f)
{
    if (p->op == HS_OP_ATTENTION) {
        p->batch = (int64_t)ceil((double)p->batch * f);
        p->kv_batch = (int64_t)ceil((double)p->kv_batch * f);
    } else if (p->op == HS_OP_GEMM) {
        p->n = (int64_t)ceil((double)p->n * f);
    }
}

size_t hs_item_parts(const hs_item *it, hs_kernel parts[HS_ITEM_PARTS_MAX])
{
    if (!it->fused || !it->model)
        return 0;
    hs_kernel slot[HS_ITEM_PARTS_MAX];
    memset(slot, 0, sizeof slot);
    hs_item pass = *it;
    acc total = {.parts = slot};
    aggregate_cost(&pass, &total);
    /* Shares of the item's own totals (a split or batch changes them). */
    double tb = total.b.weights + total.b.in + total.b.out + total.b.kv;
    double sf = total.flops > 0 ? it->k.flops / total.flops : 1;
    double sb = tb > 0 ? it->k.bytes / tb : 1;
    double f = it->k.n < it->model->hidden ? (double)it->k.n / (double)it->model->hidden : 1;
    size_t n = 0;
    for (int i = 0; i < HS_ITEM_PARTS_MAX; i++) {
        if (slot[i].m == 0)
            continue;
        hs_kernel *p = &parts[n++];
        *p = slot[i];
        p->flops *= sf;
        p->bytes *= sb;
        if (f < 1)
            narrow_part(p, f);
        if (p->op == HS_OP_GEMM)
            p->flags |= it->k.flags & HS_KF_ACT_LEFT;
    }
    return n;
}

int hs_item_predict(const hs_hw *hw, int pu, const hs_item *it, unsigned flags, hs_pred *out, hs_err *err)
{
    hs_kernel parts[HS_ITEM_PARTS_MAX];
    size_t n = hs_item_parts(it, parts);
    return hs_hw_predict_fused(hw, pu, &it->k, parts, n, flags, out, err);
}

bool wl_item_is_llm(const hs_item *it)
{
    return it->model && it->slot <= HS_SLOT_STAGE;
}

/* The batch key hashes (model, quant, slot, layer) in that order: the
 * prefix without the layer is shared by a slot's items of every layer. */
static uint64_t batch_key_prefix(const hs_item *it)
{
    uint64_t key = wl_hash(0x4c4c4dull, (uint64_t)(uintptr_t)it->model);
    key = wl_hash(key, (uint64_t)it->quant);
    return wl_hash(key, (uint64_t)it->slot);
}

/* Re-derives the item's kernel from its span; the operand order the
 * lowering chose (HS_KF_ACT_LEFT) survives, so that split parts and
 * batches keep it. */
void wl_relower(hs_item *it)
{
    const unsigned order = it->k.flags & HS_KF_ACT_LEFT;
    acc total = {0};
    if (it->slot == HS_SLOT_LAYER || it->slot == HS_SLOT_HEAD || it->slot == HS_SLOT_STAGE)
        aggregate_cost(it, &total);
    else
        op_cost(it, it->slot, &it->k, &total);
    it->k.flops = total.flops;
    it->parts = total.b;
    it->k.flags |= order;
    wl_item_finish(it);
    bool whole_decode = it->phase == HS_PHASE_DECODE && it->steps > 1;
    it->batch_key = whole_decode ? 0 : wl_hash(batch_key_prefix(it), (uint64_t)(int64_t)it->layer);
}

/* ---- Positions of a stage's items. ------------------------------------- */

static int64_t pass_items(const hs_model *m, hs_granularity g, bool head)
{
    switch (g) {
    case HS_GRAN_OP: return 1 + (int64_t)OPS_PER_LAYER * m->layers + (head ? 2 : 0);
    case HS_GRAN_LAYER: return m->layers + (head ? 1 : 0);
    default: return 1;
    }
}

int64_t wl_lower_count(const wl_largs *a, hs_granularity g)
{
    if (g == HS_GRAN_STEP)
        return wl_step_count(a);
    if (a->encode)
        return pass_items(a->m, g, a->head_rows > 0);
    int64_t n = pass_items(a->m, g, true);
    int64_t steps = a->output - 1;
    if (steps <= 0)
        return n;
    return n + (g == HS_GRAN_STAGE ? 1 : steps * n);
}

/* Slot and layer of item idx of a pass. */
static void pass_slot(const hs_model *m, hs_granularity g, int64_t idx, hs_item *it)
{
    it->layer = -1;
    if (g == HS_GRAN_STAGE) {
        it->slot = HS_SLOT_STAGE;
    } else if (g == HS_GRAN_LAYER) {
        it->slot = idx < m->layers ? HS_SLOT_LAYER : HS_SLOT_HEAD;
        if (idx < m->layers)
            it->layer = (int32_t)idx;
    } else if (idx == 0) {
        it->slot = HS_SLOT_EMBED;
    } else if (idx <= (int64_t)OPS_PER_LAYER * m->layers) {
        it->slot = layer_slots[(idx - 1) % OPS_PER_LAYER];
        it->layer = (int32_t)((idx - 1) / OPS_PER_LAYER);
    } else {
        it->slot = idx == (int64_t)OPS_PER_LAYER * m->layers + 1 ? HS_SLOT_FINAL_NORM
                                                                 : HS_SLOT_LM_HEAD;
    }
}

static void item_base(const wl_largs *a, hs_item *it)
{
    memset(it, 0, sizeof *it);
    it->kind = HS_ITEM_KERNEL;
    it->model = a->m;
    it->quant = a->q;
    it->steps = 1;
    it->units = 1;
}

void wl_lower_at(const wl_largs *a, hs_granularity g, int64_t pos, hs_item *it)
{
    if (g == HS_GRAN_STEP) {
        wl_step_at(a, pos, it);
        return;
    }
    item_base(a, it);
    int64_t n = pass_items(a->m, g, a->encode ? a->head_rows > 0 : true);
    if (a->encode) {
        it->phase = HS_PHASE_ENCODE;
        it->units = a->batch;
        it->tokens = it->seq = a->seq;
        it->head_rows = a->head_rows;
        pass_slot(a->m, g, pos, it);
    } else if (pos < n) {
        it->phase = HS_PHASE_PREFILL;
        it->tokens = it->seq = a->prompt;
        it->context = a->context;
        it->head_rows = 1;
        it->emits = pos == n - 1;
        pass_slot(a->m, g, pos, it);
    } else {
        it->phase = HS_PHASE_DECODE;
        it->tokens = 1;
        it->head_rows = 1;
        int64_t base = a->context + a->prompt;
        if (g == HS_GRAN_STAGE) {
            it->slot = HS_SLOT_STAGE;
            it->layer = -1;
            it->steps = a->output - 1;
            it->context = base;
            it->emits = (int32_t)it->steps;
        } else {
            int64_t step = (pos - n) / n + 1, idx = (pos - n) % n;
            it->context = base + step - 1;
            it->seq = it->context + 1;
            it->emits = idx == n - 1;
            pass_slot(a->m, g, idx, it);
        }
    }
    wl_relower(it);
    /* Only GEMMs (alone, or inside a fused item) read the order. */
    if (a->act_left && (it->k.op == HS_OP_GEMM || it->fused))
        it->k.flags |= HS_KF_ACT_LEFT;
}

/* ---- The memo of a pass's repeated items. ------------------------------
 * Within one pass (the prefill, a decode step, an encoder pass) the items
 * of one slot differ from layer to layer only in `layer` and in the batch
 * key, which hashes it: everything else (shape, cost, emits = 0) follows
 * from the pass and the slot.  So each slot's item is lowered once per
 * pass and copied for the other layers, with the same values the full
 * lowering gives.  Entries: the 8 per-layer ops at op granularity, the
 * layers after layer 0 (which also holds the embedding) at layer
 * granularity.  The memo keeps where its pass's repeated items lie, so
 * that a hit takes a subtraction and a mask. */

struct wl_lcache {
    int64_t pass;                   /* the pass the entries belong to; -1: none */
    int64_t lo, n;                  /* its items are positions lo .. lo + n - 1 */
    /* Its repeated items are positions lo + 1 .. lo + span: item lo + 1 + j
     * is entry j & emask of layer (j >> eshift) + layer0.  The same in
     * every pass (span 0: nothing repeats). */
    int64_t span;
    int64_t emask;
    int eshift, layer0;
    unsigned have;                  /* bit e: entry e is filled for this pass */
    unsigned keyed;                 /* bit e: keys holds entry e's batch keys */
    /* keys[j]: the batch key of repeated item j, which hashes the entry's
     * model, quant and slot and the item's layer: the same in every pass,
     * so each is hashed once per stage. */
    uint64_t *keys;
    hs_item item[OPS_PER_LAYER];    /* layer and batch_key to be set */
};

wl_lcache *wl_lcache_new(void)
{
    wl_lcache *c = malloc(sizeof *c);
    if (c)
        c->pass = -1, c->lo = c->n = c->span = 0, c->have = c->keyed = 0, c->keys = NULL;
    return c;
}

void wl_lcache_free(wl_lcache *c)
{
    if (c)
        free(c->keys);
    free(c);
}

/* Copies an item with plain 16-byte vector moves: at this size a string
 * instruction's start-up costs more than the copy. */
static inline void item_copy(hs_item *dst, const hs_item *src)
{
    typedef uint64_t v16 __attribute__((vector_size(16), aligned(8), may_alias));
    enum { NV = sizeof(hs_item) / sizeof(v16) };
    v16 *d = (v16 *)dst;
    const v16 *s = (const v16 *)src;
#pragma GCC unroll 32
    for (size_t i = 0; i < NV; i++)
        d[i] = s[i];
    memcpy((char *)dst + NV * sizeof(v16), (const char *)src + NV * sizeof(v16),
           sizeof(hs_item) - NV * sizeof(v16));
}

/* The pass of item pos and its index in the pass; the cache's range
 * answers without a division for the items of its pass. */
static int64_t pass_of(const wl_largs *a, hs_granularity g, int64_t pos, const wl_lcache *c,
                       int64_t *idx, int64_t *lo, int64_t *n)
{
    if (pos >= c->lo && pos < c->lo + c->n) {
        *idx = pos - c->lo, *lo = c->lo, *n = c->n;
        return c->pass;
    }
    *n = pass_items(a->m, g, a->encode ? a->head_rows > 0 : true);
    if (a->encode || pos < *n) {
        *idx = pos, *lo = 0;
        return 0;
    }
    if (g == HS_GRAN_STAGE) {       /* the whole decode: one item, no layers */
        *idx = -1, *lo = pos, *n = 1;
        return 1;
    }
    int64_t step = (pos - *n) / *n + 1;
    *lo = step * *n;
    *idx = pos - *lo;
    return step;
}

/* Points the memo at a new pass (emptied): at op granularity a pass's
 * items 1 .. 8 * layers repeat the 8 per-layer ops, at layer granularity
 * its items 1 .. layers - 1 repeat layer 1 (layer 0 also holds the
 * embedding); nothing repeats at stage granularity, nor without room for
 * the keys (out of memory: items are lowered in full). */
static void memo_reset(wl_lcache *c, const wl_largs *a, hs_granularity g, int64_t pass, int64_t lo, int64_t n)
{
    c->pass = pass, c->lo = lo, c->n = n;
    c->have = 0;
    c->span = 0, c->emask = 0, c->eshift = 0, c->layer0 = 0;
    int64_t span = 0;
    if (g == HS_GRAN_OP) {
        span = (int64_t)OPS_PER_LAYER * a->m->layers;
        c->emask = OPS_PER_LAYER - 1;
        _Static_assert(OPS_PER_LAYER == 1 << 3, "eshift is log2(OPS_PER_LAYER)");
        c->eshift = 3;
    } else if (g == HS_GRAN_LAYER) {
        span = a->m->layers - 1;
        c->layer0 = 1;
    }
    if (span > 0 && !c->keys)
        c->keys = malloc((size_t)span * sizeof *c->keys);
    if (c->keys)
        c->span = span;
}

/* Hashes the batch keys of entry e (item it) for every layer. */
static void memo_keys(wl_lcache *c, int e, const hs_item *it)
{
    uint64_t prefix = batch_key_prefix(it);
    for (int64_t j = e; j < c->span; j += c->emask + 1)
        c->keys[j] = wl_hash(prefix, (uint64_t)(int64_t)((int32_t)(j >> c->eshift) + c->layer0));
    c->keyed |= 1u << e;
}

/* Lowers item pos in full, and fills its memo entry if it is one of the
 * pass's repeated items.  Out of line: it would weigh on every hit. */
static __attribute__((noinline)) void lower_and_memo(const wl_largs *a, hs_granularity g, int64_t pos, hs_item *it,
                                                     wl_lcache *c)
{
    int64_t idx, lo, n;
    int64_t pass = pass_of(a, g, pos, c, &idx, &lo, &n);
    if (pass != c->pass)
        memo_reset(c, a, g, pass, lo, n);
    wl_lower_at(a, g, pos, it);
    uint64_t j = (uint64_t)(idx - 1);
    if (j < (uint64_t)c->span) {
        int e = (int)(j & (uint64_t)c->emask);
        item_copy(&c->item[e], it);
        c->have |= 1u << e;
        if (!(c->keyed >> e & 1))
            memo_keys(c, e, it);
    }
}

void wl_lower_at_cached(const wl_largs *a, hs_granularity g, int64_t pos, hs_item *it, wl_lcache *c)
{
    if (!c) {
        wl_lower_at(a, g, pos, it);
        return;
    }
    /* Most items are a repeated item of the memo's pass, already lowered
     * for an earlier layer: a copy with its own layer and batch key. */
    uint64_t j = (uint64_t)(pos - c->lo - 1);
    if (j < (uint64_t)c->span) {
        int e = (int)(j & (uint64_t)c->emask);
        if (c->have >> e & 1) {
            item_copy(it, &c->item[e]);
            it->layer = (int32_t)(j >> c->eshift) + c->layer0;
            it->batch_key = c->keys[j];
            return;
        }
    }
    lower_and_memo(a, g, pos, it, c);
}

/* ---- Public direct lowering. ------------------------------------------- */

static int walk(const wl_largs *a, hs_granularity g, hs_item_fn fn, void *ctx)
{
    int64_t n = wl_lower_count(a, g);
    hs_item it;
    for (int64_t pos = 0; pos < n; pos++) {
        wl_lower_at(a, g, pos, &it);
        int rc = fn(&it, ctx);
        if (rc)
            return rc;
    }
    return 0;
}

int hs_lower_llm(const hs_model *m, hs_quant q, int64_t context, int64_t prompt, int64_t output,
                 hs_granularity g, hs_item_fn fn, void *ctx)
{
    if (!m || prompt < 1 || output < 1 || context < 0 || (unsigned)g >= HS_GRAN_COUNT)
        return -1;
    wl_largs a = {.m = m, .q = q, .context = context, .prompt = prompt, .output = output};
    return walk(&a, g, fn, ctx);
}

int hs_lower_encode(const hs_model *m, hs_quant q, int64_t batch, int64_t seq, bool rerank,
                    hs_granularity g, hs_item_fn fn, void *ctx)
{
    if (!m || batch < 1 || seq < 1 || (unsigned)g >= HS_GRAN_COUNT)
        return -1;
    wl_largs a = {.m = m, .q = q, .encode = true, .batch = batch, .seq = seq,
                  .head_rows = rerank && m->lm_head ? 1 : 0};
    return walk(&a, g, fn, ctx);
}

/* ---- Vector search. ---------------------------------------------------- */
/* Flat: one scan of the whole corpus, divisible into `subsets` parts
 * (HedraRAG's artifact round-robins over 4).  IVF: the coarse quantizer
 * (queries against nlist centroids) and the scan of the nprobe lists,
 * divisible by list; lists are taken as equal, corpus / nlist vectors
 * each (assumed: real IVF lists are skewed, HedraRAG section 3.3). */

int64_t wl_search_count(const wl_search *s)
{
    return s->ivf ? 2 : 1;
}

void wl_search_at(const wl_search *s, int64_t pos, hs_item *it)
{
    memset(it, 0, sizeof *it);
    it->kind = HS_ITEM_KERNEL;
    it->phase = HS_PHASE_SEARCH;
    it->layer = -1;
    it->steps = 1;
    it->units = s->queries;
    it->tokens = 1;
    it->seq = s->dim;            /* the vector dimension */
    it->k.weight_dtype = s->dtype;
    it->nlist = s->ivf ? s->nlist : 0;
    if (s->ivf && pos == 0) {
        it->slot = HS_SLOT_IVF_COARSE;
        it->clusters = 1;
        it->cluster_vectors = (double)s->nlist;
    } else {
        it->slot = HS_SLOT_SCAN;
        it->clusters = s->ivf ? s->nprobe : s->subsets;
        it->cluster_vectors = s->vectors / (double)(s->ivf ? s->nlist : s->subsets);
    }
    wl_search_recost(it);
}

/* Distinct lists read when q queries each probe c of nlist lists at
 * random (assumed independent): nlist * (1 - (1 - c / nlist)^q). */
static double distinct_lists(double nlist, double c, double q)
{
    if (nlist <= 0 || q <= 1)
        return c;
    return nlist * (1 - pow(1 - c / nlist, q));
}

void wl_search_recost(hs_item *it)
{
    hs_kernel *k = &it->k;
    hs_dtype st = k->weight_dtype;
    memset(k, 0, sizeof *k);
    k->op = HS_OP_VECTOR_SEARCH;
    k->dtype = HS_DT_FP32;             /* Faiss computes in fp32 */
    k->weight_dtype = st;
    k->batch = 1;
    double q = (double)it->units, dim = (double)it->seq;
    double per_query = (double)it->clusters * it->cluster_vectors;
    double read = it->slot == HS_SLOT_SCAN && it->nlist > 0
                      ? distinct_lists((double)it->nlist, (double)it->clusters, q) *
                            it->cluster_vectors
                      : per_query;
    k->m = it->units;
    k->n = (int64_t)ceil(per_query);
    k->k = it->seq;
    it->k.flops = 2 * q * per_query * dim;
    it->parts = (hs_item_bytes){.weights = read * dim * hs_dtype_bytes(st),
                                .in = q * dim * hs_dtype_bytes(HS_DT_FP32) + 8 * q};
    wl_item_finish(it);
    uint64_t key = wl_hash(0x5345ull, (uint64_t)it->slot);
    key = wl_hash(key, (uint64_t)it->nlist);
    key = wl_hash(key, (uint64_t)(it->cluster_vectors * 1024));
    key = wl_hash(key, (uint64_t)it->seq);
    it->batch_key = wl_hash(key, (uint64_t)st);
}

bool hs_item_is_fixed(const hs_item *it) { return it->ncosts > 0 || it->work > 0; }

double hs_item_fixed_s(const hs_hw *hw, const hs_item *it, int pu)
{
    if (it->ncosts == 0)
        return hs_hw_work_s(hw, pu, it->work);
    for (size_t i = 0; i < it->ncosts; i++)
        if (hs_hw_pu_find(hw, it->costs[i].pu) == pu)
            return it->costs[i].seconds;
    return -1;
}
