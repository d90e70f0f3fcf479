/* hetsoc: the cost of a work item on a PU, and its memo. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "policies/cost.h"

static void fixed_time(hs_cost *out, double seconds)
{
    *out = (hs_cost){.latency_s = seconds, .body_s = seconds};
}

static bool is_kernel(const hs_item *item) { return item->ncosts == 0 && !(item->work > 0); }

int hs_item_cost(const hs_hw *hw, const hs_item *item, int pu, hs_cost *out)
{
    if (item->ncosts > 0) {
        for (size_t i = 0; i < item->ncosts; i++)
            if (hs_hw_pu_find(hw, item->costs[i].pu) == pu) {
                fixed_time(out, item->costs[i].seconds);
                return 0;
            }
        *out = (hs_cost){.rc = HS_PRED_CANNOT_RUN, .latency_s = INFINITY};
        return HS_PRED_CANNOT_RUN;
    }
    if (item->work > 0) {
        double t = hs_hw_work_s(hw, pu, item->work);
        if (!isfinite(t) || t < 0) {
            *out = (hs_cost){.rc = HS_PRED_CANNOT_RUN, .latency_s = INFINITY};
            return HS_PRED_CANNOT_RUN;
        }
        fixed_time(out, t);
        return 0;
    }
    hs_pred p;
    hs_err err;
    if (hs_hw_predict(hw, pu, &item->k, 0, &p, &err) != 0) {
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

/* ---- The memo: open addressing, linear probing --------------------------------- */

typedef struct cost_key {
    int32_t pu, op, dtype, weight_dtype;
    int64_t m, n, k, batch, kv_batch, group;
    uint32_t flags;
    double flops, bytes;
} cost_key;

typedef struct cost_slot {
    bool used;
    cost_key key;
    hs_cost cost;
} cost_slot;

struct hs_cost_cache {
    cost_slot *slots;
    size_t cap, len;
};

static cost_key key_of(const hs_item *it, int pu)
{
    const hs_kernel *k = &it->k;
    return (cost_key){
        .pu = pu, .op = (int32_t)k->op, .dtype = (int32_t)k->dtype, .weight_dtype = (int32_t)k->weight_dtype,
        .m = k->m, .n = k->n, .k = k->k, .batch = k->batch, .kv_batch = k->kv_batch, .group = k->group,
        .flags = k->flags, .flops = k->flops, .bytes = k->bytes,
    };
}

static bool key_eq(const cost_key *a, const cost_key *b)
{
    return a->pu == b->pu && a->op == b->op && a->dtype == b->dtype && a->weight_dtype == b->weight_dtype &&
           a->m == b->m && a->n == b->n && a->k == b->k && a->batch == b->batch &&
           a->kv_batch == b->kv_batch && a->group == b->group && a->flags == b->flags &&
           a->flops == b->flops && a->bytes == b->bytes;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    /* splitmix64's finaliser over the running state: every input bit
     * reaches every output bit, so keys that differ in one field (a
     * context length, the PU) spread over the table. */
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ull;
    h ^= h >> 27;
    return h;
}

static uint64_t bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

/* Over the fields, not the struct's bytes: padding is not data. */
static uint64_t key_hash(const cost_key *k)
{
    uint64_t h = (uint64_t)k->pu << 32 | (uint32_t)k->op;
    h = mix(h, (uint64_t)k->dtype << 32 | (uint32_t)k->weight_dtype);
    h = mix(h, (uint64_t)k->m);
    h = mix(h, (uint64_t)k->n);
    h = mix(h, (uint64_t)k->k);
    h = mix(h, (uint64_t)k->batch ^ (uint64_t)k->kv_batch << 20 ^ (uint64_t)k->group << 40);
    h = mix(h, k->flags ^ bits(k->flops) ^ bits(k->bytes) << 1);
    return h;
}

hs_cost_cache *hs_cost_cache_create(void) { return calloc(1, sizeof(hs_cost_cache)); }

void hs_cost_cache_free(hs_cost_cache *c)
{
    if (c)
        free(c->slots);
    free(c);
}

static cost_slot *probe(hs_cost_cache *c, const cost_key *k)
{
    size_t i = key_hash(k) & (c->cap - 1);
    while (c->slots[i].used && !key_eq(&c->slots[i].key, k))
        i = (i + 1) & (c->cap - 1);
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
        if (old[i].used) {
            *probe(c, &old[i].key) = old[i];
            c->len++;
        }
    free(old);
    return 0;
}

int hs_item_cost_cached(hs_cost_cache *c, const hs_hw *hw, const hs_item *item, int pu, hs_cost *out)
{
    if (!c || !is_kernel(item))
        return hs_item_cost(hw, item, pu, out);
    if (2 * (c->len + 1) > c->cap && grow(c) != 0)
        return hs_item_cost(hw, item, pu, out);
    cost_key k = key_of(item, pu);
    cost_slot *s = probe(c, &k);
    if (!s->used) {
        hs_item_cost(hw, item, pu, &s->cost);
        s->key = k;
        s->used = true;
        c->len++;
    }
    *out = s->cost;
    return out->rc;
}
