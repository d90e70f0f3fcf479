/* hetsoc: the cost of a work item on a PU, and its memo. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/exec/cost.h"

static void fixed_time(hs_cost *out, double seconds)
{
    *out = (hs_cost){.latency_s = seconds, .body_s = seconds};
}

static bool is_kernel(const hs_item *item) { return !hs_item_is_fixed(item); }

int hs_item_cost(const hs_hw *hw, const hs_item *item, int pu, hs_cost *out)
{
    if (hs_item_is_fixed(item)) {
        double t = hs_item_fixed_s(hw, item, pu);
        if (!isfinite(t) || t < 0) {
            *out = (hs_cost){.rc = HS_PRED_CANNOT_RUN, .latency_s = INFINITY};
            return HS_PRED_CANNOT_RUN;
        }
        fixed_time(out, t);
        return 0;
    }
    hs_pred p;
    hs_err err;
    if (hs_item_predict(hw, pu, item, 0, &p, &err) != 0) {
        *out = (hs_cost){.rc = HS_PRED_CANNOT_RUN, .latency_s = INFINITY};
        return HS_PRED_CANNOT_RUN;
    }
    *out = (hs_cost){
        .latency_s = p.latency_s, .body_s = p.body_s, .launch_s = p.launch_s, .queue_launch_s = p.queue_launch_s,
        .build_s = p.build_s,
        .bytes = p.bytes, .bound_bps = p.bound_bps, .m = p.m, .needs_build = p.needs_build,
    };
    return 0;
}

/* ---- The memo: open addressing, linear probing --------------------------------
 * A slot holds its key's hash (with the low bit set, so 0 marks an empty
 * slot): a probe compares the full key only on an equal hash.  The hash
 * only places keys; lookups compare whole keys, so results never depend
 * on it. */

/* What a fused item's ops follow from beyond its kernel (hs_item_parts
 * re-derives them from its pass); all 0 for an item that is not fused.
 * Layers after the first share their ops (layer 0 adds the embedding). */
typedef struct pass_key {
    const hs_model *model;
    int64_t tokens, context, seq, units, steps;
    int32_t head_rows, slot;
    bool fused, layer0;
} pass_key;

typedef struct cost_key {
    int32_t pu, op, dtype, weight_dtype;
    int64_t m, n, k, batch, kv_batch, group;
    uint32_t flags;
    double flops, bytes;
    pass_key pass;
} cost_key;

typedef struct cost_slot {
    uint64_t hash;       /* 0: empty */
    cost_key key;
    hs_cost cost;
} cost_slot;

/* In front of the table, the last entry looked up for each (slot, PU):
 * a decode's ops repeat their kernels layer after layer (and the GEMMs of
 * one model across requests), so most lookups end here, with no hash. */
enum { FRONT_PUS = 8 };

struct hs_cost_cache {
    cost_slot *slots;
    size_t cap, len;
    cost_slot front[HS_SLOT_COUNT][FRONT_PUS];   /* hash 0: empty */
};

static pass_key pass_of_item(const hs_item *it)
{
    if (!it->fused)
        return (pass_key){0};
    return (pass_key){
        .model = it->model, .tokens = it->tokens, .context = it->context, .seq = it->seq, .units = it->units,
        .steps = it->steps, .head_rows = it->head_rows, .slot = (int32_t)it->slot, .fused = true,
        .layer0 = it->layer == 0,
    };
}

static cost_key key_of(const hs_item *item, int pu)
{
    const hs_kernel *k = &item->k;
    return (cost_key){
        .pu = pu, .op = (int32_t)k->op, .dtype = (int32_t)k->dtype, .weight_dtype = (int32_t)k->weight_dtype,
        .m = k->m, .n = k->n, .k = k->k, .batch = k->batch, .kv_batch = k->kv_batch, .group = k->group,
        .flags = k->flags, .flops = k->flops, .bytes = k->bytes, .pass = pass_of_item(item),
    };
}

/* Whether a fused item's pass is the key's (out of the way of the plain
 * kernels' compares: one predictable branch for them). */
static bool pass_is(const pass_key *a, const hs_item *it)
{
    pass_key b = pass_of_item(it);
    return a->model == b.model && a->tokens == b.tokens && a->context == b.context && a->seq == b.seq &&
           a->units == b.units && a->steps == b.steps && a->head_rows == b.head_rows && a->slot == b.slot &&
           a->layer0 == b.layer0;
}

/* Whether key a is item's kernel on pu (read in place: no key is built for
 * a lookup that hits). */
static inline bool key_is(const cost_key *a, const hs_item *item, int pu)
{
    const hs_kernel *k = &item->k;
    return a->pu == pu && a->op == (int32_t)k->op && a->dtype == (int32_t)k->dtype &&
           a->weight_dtype == (int32_t)k->weight_dtype && a->m == k->m && a->n == k->n && a->k == k->k &&
           a->batch == k->batch && a->kv_batch == k->kv_batch && a->group == k->group &&
           a->flags == k->flags && a->flops == k->flops && a->bytes == k->bytes &&
           a->pass.fused == item->fused && (!item->fused || pass_is(&a->pass, item));
}

static uint64_t bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* Over the key's fields (kernel k on pu), not bytes: padding is not data.
 * The products are independent (short dependency chains) and the final
 * splitmix64-style mix spreads every field's bits over the index. */
static uint64_t key_hash(const hs_kernel *k, int pu)
{
    uint64_t h = ((uint64_t)(uint32_t)pu << 32 | (uint32_t)k->op) * 0x9e3779b97f4a7c15ull;
    h += ((uint64_t)k->dtype << 40 ^ (uint64_t)k->weight_dtype << 32 ^ k->flags) * 0xc2b2ae3d27d4eb4full;
    h += (uint64_t)k->m * 0x165667b19e3779f9ull + (uint64_t)k->n * 0xd6e8feb86659fd93ull;
    h += (uint64_t)k->k * 0xff51afd7ed558ccdull;
    h += ((uint64_t)k->batch ^ (uint64_t)k->kv_batch << 20 ^ (uint64_t)k->group << 40) * 0xc4ceb9fe1a85ec53ull;
    h += bits(k->flops) * 0x94d049bb133111ebull + bits(k->bytes) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 31;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 29;
    return h | 1;
}

hs_cost_cache *hs_cost_cache_create(void) { return calloc(1, sizeof(hs_cost_cache)); }

void hs_cost_cache_free(hs_cost_cache *c)
{
    if (c)
        free(c->slots);
    free(c);
}

/* The slot holding item's kernel on pu (hash h), or the empty slot where
 * it belongs. */
static cost_slot *probe(hs_cost_cache *c, const hs_item *item, int pu, uint64_t h)
{
    size_t mask = c->cap - 1, i = (size_t)(h >> 7) & mask;
    for (;; i = (i + 1) & mask) {
        cost_slot *s = &c->slots[i];
        if (s->hash == 0 || (s->hash == h && key_is(&s->key, item, pu)))
            return s;
    }
}

/* Where an existing entry goes in a fresh table (keys are distinct). */
static cost_slot *probe_empty(hs_cost_cache *c, uint64_t h)
{
    size_t mask = c->cap - 1, i = (size_t)(h >> 7) & mask;
    while (c->slots[i].hash)
        i = (i + 1) & mask;
    return &c->slots[i];
}

/* Doubles the table (or empties it at the bound).  Returns 0 or -1. */
static int grow(hs_cost_cache *c)
{
    size_t cap = c->cap ? c->cap * 2 : 256;
    if (c->len >= HS_COST_CACHE_MAX)
        cap = c->cap;  /* bounded memory: start afresh */
    cost_slot *old = c->slots;
    size_t oldcap = c->cap;
    if (!(c->slots = calloc(cap, sizeof *c->slots))) {
        c->slots = old;
        return -1;
    }
    c->cap = cap;
    c->len = 0;
    for (size_t i = 0; oldcap < cap && i < oldcap; i++)
        if (old[i].hash) {
            *probe_empty(c, old[i].hash) = old[i];
            c->len++;
        }
    free(old);
    return 0;
}

/* The table behind the front entries: finds or fills the entry of kernel
 * item->k on pu (copied to the front entry f when there is one).  Out of
 * line: the table's growth would otherwise weigh on every front hit. */
static __attribute__((noinline)) const hs_cost *lookup_table(hs_cost_cache *c, const hs_hw *hw,
                                                             const hs_item *item, int pu, cost_slot *f,
                                                             hs_cost *buf)
{
    if (2 * (c->len + 1) > c->cap && grow(c) != 0) {
        hs_item_cost(hw, item, pu, buf);
        return buf;
    }
    uint64_t h = key_hash(&item->k, pu);
    cost_slot *s = probe(c, item, pu, h);
    if (!s->hash) {
        hs_item_cost(hw, item, pu, &s->cost);
        s->key = key_of(item, pu);
        s->hash = h;
        c->len++;
    }
    if (!f)
        return &s->cost;
    *f = *s;
    return &f->cost;
}

/* hs_item_cost_ref, inline in both lookups: a front hit is a few loads and
 * compares. */
static inline const hs_cost *cost_ref(hs_cost_cache *c, const hs_hw *hw, const hs_item *item, int pu, hs_cost *buf)
{
    if (!c || !is_kernel(item)) {
        hs_item_cost(hw, item, pu, buf);
        return buf;
    }
    cost_slot *f = NULL;
    if ((unsigned)item->slot < HS_SLOT_COUNT && (unsigned)pu < FRONT_PUS) {
        f = &c->front[item->slot][pu];
        if (f->hash && key_is(&f->key, item, pu))
            return &f->cost;
    }
    return lookup_table(c, hw, item, pu, f, buf);
}

const hs_cost *hs_item_cost_ref(hs_cost_cache *c, const hs_hw *hw, const hs_item *item, int pu, hs_cost *buf)
{
    return cost_ref(c, hw, item, pu, buf);
}

int hs_item_cost_cached(hs_cost_cache *c, const hs_hw *hw, const hs_item *item, int pu, hs_cost *out)
{
    const hs_cost *p = cost_ref(c, hw, item, pu, out);
    if (p != out)
        *out = *p;
    return out->rc;
}
