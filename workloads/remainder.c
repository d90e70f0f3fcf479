/* hetsoc workloads: what is left of an aggregate item when a preemption
 * stops it at a kernel boundary (hs_item_remainder, workloads.h).
 *
 * The kernels of an aggregate are the finer items the lowering gives for
 * the same span: a pass's layers (and head) at layer granularity, a
 * layer's or the head's ops at op granularity, a whole decode's steps.
 * The remainder is lowered from those finer items through lower.c's
 * wl_lower_at, so that it costs exactly what its kernels cost. */
#include <stdio.h>
#include <string.h>

#include "workloads/wl_private.h"

static bool is_whole_decode(const hs_item *it)
{
    return it->slot == HS_SLOT_STAGE && it->phase == HS_PHASE_DECODE;
}

static bool is_aggregate(const hs_item *it)
{
    bool agg = it->slot == HS_SLOT_LAYER || it->slot == HS_SLOT_HEAD || it->slot == HS_SLOT_STAGE;
    bool batch = it->batched && it->resumed == 0;
    return agg && it->model && it->kind == HS_ITEM_KERNEL && !hs_item_is_fixed(it) && !batch;
}

/* The pass the item's span belongs to, as the lowering's arguments: an
 * encoder pass, or an LLM pass of `tokens` new tokens on `context` (a
 * prefill, or one decode step: a one-token pass). */
static wl_largs pass_args(const hs_item *it)
{
    wl_largs a = {.m = it->model, .q = it->quant};
    if (it->phase == HS_PHASE_ENCODE) {
        a.encode = true;
        a.batch = it->units;
        a.seq = it->seq;
        a.head_rows = it->head_rows;
    } else {
        a.context = it->context;
        a.prompt = it->tokens;
        a.output = 1;
    }
    return a;
}

/* Whether op item o of the pass is one of aggregate it's kernels. */
static bool op_of(const hs_item *it, const hs_item *o)
{
    if (it->slot == HS_SLOT_HEAD)
        return o->slot == HS_SLOT_FINAL_NORM || o->slot == HS_SLOT_LM_HEAD;
    return o->layer == it->layer || (it->layer == 0 && o->slot == HS_SLOT_EMBED);
}

typedef struct kernel_sum {
    int64_t count;       /* kernels of the whole aggregate (resumed ones included) */
    double flops;
    hs_item_bytes b;     /* of kernels from `from` on */
} kernel_sum;

static void add(kernel_sum *s, const hs_item *k, int64_t index, int64_t from)
{
    if (index >= from) {
        s->flops += k->k.flops;
        s->b.weights += k->parts.weights;
        s->b.in += k->parts.in;
        s->b.out += k->parts.out;
        s->b.kv += k->parts.kv;
    }
}

/* Walks the kernels of a pass or a layer in chain order, summing those
 * from index `from` on. */
static kernel_sum sum_kernels(const hs_item *it, int64_t from)
{
    kernel_sum s = {0};
    wl_largs a = pass_args(it);
    hs_item k;
    if (it->slot == HS_SLOT_STAGE) {
        s.count = wl_lower_count(&a, HS_GRAN_LAYER);
        for (int64_t pos = from; pos < s.count; pos++) {
            wl_lower_at(&a, HS_GRAN_LAYER, pos, &k);
            add(&s, &k, pos, from);
        }
        return s;
    }
    int64_t n = wl_lower_count(&a, HS_GRAN_OP);
    for (int64_t pos = 0; pos < n; pos++) {
        wl_lower_at(&a, HS_GRAN_OP, pos, &k);
        if (op_of(it, &k))
            add(&s, &k, s.count++, from);
    }
    return s;
}

int64_t hs_item_kernels(const hs_item *it)
{
    if (!is_aggregate(it))
        return 1;
    if (is_whole_decode(it))
        return it->steps;
    if (it->slot == HS_SLOT_STAGE) {
        wl_largs a = pass_args(it);
        return wl_lower_count(&a, HS_GRAN_LAYER) - it->resumed;
    }
    return sum_kernels(it, INT64_MAX).count - it->resumed;
}

int hs_item_remainder(const hs_item *it, int64_t done, hs_item *rest, hs_err *err)
{
    if (!is_aggregate(it))
        return hs_errf(err, "a '%s' item is not a chain of kernels a preemption can stop between",
                       hs_slot_name(it->slot));
    int64_t n = hs_item_kernels(it);
    if (done < 1 || done >= n)
        return hs_errf(err, "%lld kernels done of a '%s' item of %lld", (long long)done, hs_slot_name(it->slot),
                       (long long)n);
    *rest = *it;
    if (is_whole_decode(it)) {   /* the decode of its later steps, an ordinary item */
        rest->context = it->context + done;
        rest->steps = it->steps - done;
        rest->emits = (int32_t)rest->steps;
        wl_relower(rest);
        return 0;
    }
    if (it->resumed + done > UINT16_MAX)
        return hs_errf(err, "a '%s' item of more than %d kernels", hs_slot_name(it->slot), UINT16_MAX);
    kernel_sum s = sum_kernels(it, it->resumed + done);
    rest->resumed = (uint16_t)(it->resumed + done);
    rest->k.flops = s.flops;
    rest->parts = s.b;
    wl_item_finish(rest);
    rest->batched = true;        /* its span fields no longer describe it: no split, */
    rest->batch_key = 0;         /* no batch (both re-lower from them) */
    return 0;
}
