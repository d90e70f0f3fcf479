/* hetsoc workloads: how a work item divides into parts (split) and how
 * items of different requests combine into one kernel (batch).
 *
 * Splits re-lower the item's span where the cost is not proportional:
 *   - sequence chunks: chunk i of a causal pass starts at context + offset
 *     and attends to everything before it (the chunked prefill of llm.npu
 *     and Agent.xpu); every chunk reads the layer weights again;
 *   - batch items: sequences of an encoder pass, queries of a search;
 *   - IVF lists: each part scans its share of the probed lists.
 * A weight-row split (HeteroInfer's tensor partition) is proportional:
 * each part computes its share of the output columns (or heads), reads its
 * share of the weights and KV, and reads the whole input.
 *
 * Batching concatenates rows: the weights (or the centroids, or the scanned
 * lists) are read once for the batch, per-row traffic and FLOPs add up. */
#include <math.h>
#include <string.h>

#include "workloads/wl_private.h"

const char *hs_split_axis_name(hs_split_axis a)
{
    static const char *const names[HS_SPLIT_AXIS_COUNT] = {"seq", "rows", "batch", "clusters"};
    return (unsigned)a < HS_SPLIT_AXIS_COUNT ? names[a] : "?";
}

static bool is_search(const hs_item *it)
{
    return it->slot == HS_SLOT_SCAN || it->slot == HS_SLOT_IVF_COARSE;
}

static bool elementwise(hs_slot s)
{
    return s == HS_SLOT_EMBED || s == HS_SLOT_ATTN_NORM || s == HS_SLOT_FFN_NORM ||
           s == HS_SLOT_ACT || s == HS_SLOT_FINAL_NORM;
}

static int64_t llm_extent(const hs_item *it, hs_split_axis axis)
{
    bool whole_decode = it->phase == HS_PHASE_DECODE && it->steps > 1;
    bool head = it->slot == HS_SLOT_FINAL_NORM || it->slot == HS_SLOT_LM_HEAD ||
                it->slot == HS_SLOT_HEAD;
    switch (axis) {
    case HS_SPLIT_SEQ: return whole_decode || head ? 0 : it->tokens;
    case HS_SPLIT_BATCH: return whole_decode ? 0 : it->units;
    case HS_SPLIT_ROWS:
        if (elementwise(it->slot))
            return 0;
        if (it->slot == HS_SLOT_ATTN)
            return it->model->heads;
        return it->k.n;
    default: return 0;
    }
}

int64_t hs_item_split_extent(const hs_item *it, hs_split_axis axis)
{
    if (!it || it->kind != HS_ITEM_KERNEL || it->ncosts > 0 || it->work > 0)
        return 0;
    /* A batch's members have their own spans: only the proportional row
     * split (each part covers every member) applies to the batched item. */
    if (it->batched && axis != HS_SPLIT_ROWS)
        return 0;
    if (wl_item_is_llm(it))
        return llm_extent(it, axis);
    if (is_search(it)) {
        if (axis == HS_SPLIT_BATCH)
            return it->units;
        if (axis == HS_SPLIT_CLUSTERS && it->slot == HS_SLOT_SCAN)
            return it->clusters;
    }
    return 0;
}

/* Part of a row split: a proportional share of everything but the input. */
static void rows_part(const hs_item *it, int64_t size, int64_t extent, hs_item *p)
{
    double f = (double)size / (double)extent;
    *p = *it;
    p->k.flops = it->k.flops * f;
    p->parts.weights = it->parts.weights * f;
    p->parts.out = it->parts.out * f;
    p->parts.kv = it->parts.kv * f;
    if (it->slot == HS_SLOT_ATTN) {
        p->k.batch = it->units * size;
        int64_t kv = (int64_t)ceil((double)it->k.kv_batch * f);
        p->k.kv_batch = kv > 0 ? kv : 1;
    } else {
        p->k.n = size;
    }
    wl_item_finish(p);
}

static void seq_part(const hs_item *it, int64_t offset, int64_t size, bool last, hs_item *p)
{
    *p = *it;
    p->tokens = size;
    if (it->model->arch == HS_ARCH_DECODER)
        p->context = it->context + offset;
    if (!last)
        p->head_rows = 0;   /* logits only for the chunk holding the last token */
    wl_relower(p);
}

int hs_item_split(const hs_item *it, hs_split_axis axis, const int64_t *sizes, size_t n,
                  hs_item *parts, hs_err *err)
{
    int64_t extent = hs_item_split_extent(it, axis);
    if (extent < 1)
        return hs_errf(err, "this %s item cannot be split by %s", hs_slot_name(it->slot),
                       hs_split_axis_name(axis));
    if (n < 1)
        return hs_errf(err, "split into 0 parts");
    int64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        if (sizes[i] < 1)
            return hs_errf(err, "split part %zu has size %lld", i, (long long)sizes[i]);
        sum += sizes[i];
    }
    if (sum != extent)
        return hs_errf(err, "split sizes sum to %lld, the %s extent is %lld", (long long)sum,
                       hs_split_axis_name(axis), (long long)extent);
    int64_t offset = 0;
    for (size_t i = 0; i < n; i++) {
        hs_item *p = &parts[i];
        bool last = i == n - 1;
        if (axis == HS_SPLIT_ROWS) {
            rows_part(it, sizes[i], extent, p);
        } else if (axis == HS_SPLIT_SEQ) {
            seq_part(it, offset, sizes[i], last, p);
        } else {
            *p = *it;
            if (axis == HS_SPLIT_BATCH)
                p->units = sizes[i];
            else
                p->clusters = sizes[i], p->cluster_first = it->cluster_first + offset;
            if (is_search(p))
                wl_search_recost(p);
            else
                wl_relower(p);
        }
        p->emits = last ? it->emits : 0;
        offset += sizes[i];
    }
    return 0;
}

/* ---- Batching. --------------------------------------------------------- */

bool hs_item_batchable(const hs_item *a, const hs_item *b)
{
    if (!a || !b || a->kind != HS_ITEM_KERNEL || b->kind != HS_ITEM_KERNEL)
        return false;
    if (a->batch_key == 0 || a->batch_key != b->batch_key || a->ncosts || b->ncosts)
        return false;
    if (a->slot != b->slot || a->model != b->model || a->quant != b->quant || a->layer != b->layer)
        return false;
    if (is_search(a))
        return a->nlist == b->nlist && a->seq == b->seq &&
               a->cluster_vectors == b->cluster_vectors &&
               a->k.weight_dtype == b->k.weight_dtype;
    return true;
}

/* Scanned bytes of a batch of IVF scans: the expected union of lists. */
static double scan_union_bytes(const hs_item *const *items, size_t n)
{
    const hs_item *a = items[0];
    double miss = 1, nl = (double)a->nlist;
    for (size_t i = 0; i < n; i++)
        miss *= pow(1 - (double)items[i]->clusters / nl, (double)items[i]->units);
    return nl * (1 - miss) * a->cluster_vectors * (double)a->seq *
           hs_dtype_bytes(a->k.weight_dtype);
}

static void batch_shape(const hs_item *const *items, size_t n, hs_item *out)
{
    hs_kernel *k = &out->k;
    int64_t rows = 0, batch = 0, kvb = 0, units = 0;
    for (size_t i = 0; i < n; i++) {
        const hs_item *x = items[i];
        rows += x->k.m * (x->slot == HS_SLOT_ATTN ? 0 : 1);
        batch += x->k.batch;
        kvb += x->k.kv_batch;
        units += x->units;
        if (x->k.m > k->m && x->slot == HS_SLOT_ATTN)
            k->m = x->k.m;
        if (x->k.n > k->n)
            k->n = x->k.n;
        if (x->emits > out->emits)
            out->emits = x->emits;
    }
    out->units = units;
    if (out->slot == HS_SLOT_ATTN) {
        k->batch = batch;
        k->kv_batch = kvb;
    } else {
        k->m = rows;
    }
}

int hs_item_batch(const hs_item *const *items, size_t n, hs_item *out, hs_err *err)
{
    if (n < 1)
        return hs_errf(err, "batch of 0 items");
    for (size_t i = 1; i < n; i++)
        if (!hs_item_batchable(items[0], items[i]))
            return hs_errf(err, "item %zu cannot be batched with item 0 (%s)", i,
                           hs_slot_name(items[i]->slot));
    if (n == 1 ? items[0]->batch_key == 0 : false)
        return hs_errf(err, "this %s item cannot be batched", hs_slot_name(items[0]->slot));
    *out = *items[0];
    out->emits = 0;
    out->k.flops = 0;
    out->parts = (hs_item_bytes){0};
    for (size_t i = 0; i < n; i++) {
        const hs_item *x = items[i];
        out->k.flops += x->k.flops;
        out->parts.in += x->parts.in;
        out->parts.out += x->parts.out;
        out->parts.kv += x->parts.kv;
        if (x->parts.weights > out->parts.weights)
            out->parts.weights = x->parts.weights;
    }
    if (out->slot == HS_SLOT_SCAN && out->nlist > 0)
        out->parts.weights = scan_union_bytes(items, n);
    batch_shape(items, n, out);
    out->batched = n > 1 || items[0]->batched;
    wl_item_finish(out);
    return 0;
}
