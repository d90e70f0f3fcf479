/* hetsoc workloads: step granularity -- one item per prefill chunk and one
 * per decode iteration, each a whole pass of the model (embedding, every
 * layer, the head) over its tokens.
 *
 * This is the unit of iteration-level scheduling (Orca, OSDI'22; vLLM):
 * between two iterations requests join and leave a decode batch, and a
 * policy batches the ready decode steps of the requests it admits
 * (Agent.xpu v2 §4: continuous batching at iteration granularity, prefill
 * in chunks of 256 tokens for the 8B model).
 *
 * Prefill chunk j of a P-token prompt covers tokens [j C, min((j+1) C, P))
 * on top of context + j C cached tokens: causal attention keeps its
 * context, as hs_item_split along HS_SPLIT_SEQ models it, and every chunk
 * reads the weights again.  Only the last chunk computes logits and emits
 * the first token.  The chunk size C is the stage's or the workload's
 * `chunk_tokens`; without one the whole prompt is one chunk.  Decode step
 * s (1 .. G-1) is one token over context + P + s - 1 cached tokens.
 *
 * Items use slot HS_SLOT_STAGE (a whole pass), steps = 1, so their cost is
 * the stage aggregate's and every step of one model shares a batch key. */
#include <string.h>

#include "workloads/wl_private.h"

static int64_t chunk_count(const wl_largs *a)
{
    if (a->chunk <= 0 || a->chunk >= a->prompt)
        return 1;
    return (a->prompt + a->chunk - 1) / a->chunk;
}

int64_t wl_step_count(const wl_largs *a)
{
    if (a->encode)
        return 1;
    int64_t decode = a->output > 1 ? a->output - 1 : 0;
    return chunk_count(a) + decode;
}

static void pass_base(const wl_largs *a, hs_item *it)
{
    memset(it, 0, sizeof *it);
    it->kind = HS_ITEM_KERNEL;
    it->slot = HS_SLOT_STAGE;
    it->model = a->m;
    it->quant = a->q;
    it->layer = -1;
    it->steps = 1;
    it->units = 1;
}

/* Prefill chunk j of n. */
static void prefill_chunk(const wl_largs *a, int64_t j, int64_t n, hs_item *it)
{
    int64_t size = n == 1 ? a->prompt : a->chunk;
    int64_t offset = j * size;
    bool last = j == n - 1;
    it->phase = HS_PHASE_PREFILL;
    it->tokens = it->seq = last ? a->prompt - offset : size;
    it->context = a->context + offset;
    it->head_rows = last ? 1 : 0;
    it->emits = last;
}

/* Decode step s >= 1: one token over the prompt and s - 1 earlier ones. */
static void decode_step(const wl_largs *a, int64_t s, hs_item *it)
{
    it->phase = HS_PHASE_DECODE;
    it->tokens = 1;
    it->context = a->context + a->prompt + s - 1;
    it->seq = it->context + 1;
    it->head_rows = 1;
    it->emits = 1;
}

void wl_step_at(const wl_largs *a, int64_t pos, hs_item *it)
{
    if (a->encode) {    /* an encoder pass is one step */
        wl_lower_at(a, HS_GRAN_STAGE, pos, it);
        return;
    }
    pass_base(a, it);
    int64_t n = chunk_count(a);
    if (pos < n)
        prefill_chunk(a, pos, n, it);
    else
        decode_step(a, pos - n + 1, it);
    wl_relower(it);
}

int hs_lower_llm_steps(const hs_model *m, hs_quant q, int64_t context, int64_t prompt,
                       int64_t output, int64_t chunk, hs_item_fn fn, void *ctx)
{
    if (!m || prompt < 1 || output < 1 || context < 0)
        return -1;
    wl_largs a = {.m = m, .q = q, .context = context, .prompt = prompt, .output = output,
                  .chunk = chunk > 0 ? chunk : 0};
    int64_t n = wl_step_count(&a);
    hs_item it;
    for (int64_t pos = 0; pos < n; pos++) {
        wl_step_at(&a, pos, &it);
        int rc = fn(&it, ctx);
        if (rc)
            return rc;
    }
    return 0;
}
