/* Step granularity (one item per prefill chunk and per decode iteration),
 * `chunk_tokens`, and a stage's own `granularity`, on a tiny model whose
 * FLOPs are worked out by hand. */
#include "wl_test.h"

/* Tiny decoder, fp32: 1 layer, hidden 8, one head of 8 (K, V one head),
 * GELU FFN of 16, vocabulary 32 (chosen for hand arithmetic). */
static const char *tiny_model =
    "name: tiny-step\narch: decoder\nlayers: 1\nhidden: 8\nheads: 1\nkv_heads: 1\nhead_dim: 8\n"
    "ffn: 16\nffn_kind: gelu\nvocab: 32\ntied_embeddings: true\nmax_context: 4096\nquant: fp32\n";

static hs_model tiny(void)
{
    hs_err err;
    hs_node *root = hs_conf_load_string(tiny_model, strlen(tiny_model), "tiny.yaml", &err);
    assert_non_null(root);
    hs_model m;
    if (hs_model_parse(root, &m, &err) != 0)
        fail_msg("%s", err.msg);
    hs_node_free(root);
    return m;
}

typedef struct items {
    hs_item it[64];
    size_t n;
} items;

static int collect(const hs_item *it, void *ctx)
{
    items *a = ctx;
    if (a->n < 64)
        a->it[a->n] = *it;
    a->n++;
    return 0;
}

/* FLOPs of one pass of T tokens over c cached tokens, per the lowering's
 * formulas (lower.c), for the tiny model:
 *   embed 8T, attn_norm 4*8T = 32T, qkv 2*8*24 T = 384T, o 2*8*8 T = 128T,
 *   ffn_norm 32T, up 2*8*16 T = 256T, gelu 8*16 T = 128T, down 256T:
 *   1224 T in all; attention (4 d + 5) * keys = 37 * (T c + T (T + 1) / 2);
 *   the head, on the last token only: final_norm 32 + lm_head 2*8*32 = 544. */
static void test_step_lowering_by_hand(void **state)
{
    (void)state;
    hs_model m = tiny();
    items a = {.n = 0};
    /* Prompt 10 in chunks of 4 (4, 4, 2), then 3 decode steps. */
    assert_int_equal(hs_lower_llm_steps(&m, HS_QUANT_FP32, 0, 10, 4, 4, collect, &a), 0);
    assert_int_equal(a.n, 3 + 3);
    /* chunk 0: T 4, c 0: 4896 + 37 * 10 = 5266
     * chunk 1: T 4, c 4: 4896 + 37 * (16 + 10) = 5858
     * chunk 2: T 2, c 8: 2448 + 37 * (16 + 3) + 544 = 3695 (holds the head)
     * Sum 14819 = the unchunked prefill: 12240 + 37 * 55 + 544. */
    const double chunk_flops[3] = {5266, 5858, 3695};
    const int64_t ctx[3] = {0, 4, 8}, tok[3] = {4, 4, 2};
    for (int j = 0; j < 3; j++) {
        const hs_item *it = &a.it[j];
        assert_int_equal(it->phase, HS_PHASE_PREFILL);
        assert_int_equal(it->slot, HS_SLOT_STAGE);
        assert_int_equal(it->tokens, tok[j]);
        assert_int_equal(it->context, ctx[j]);
        assert_int_equal(it->emits, j == 2);
        assert_true(it->batch_key != 0);
        assert_true(fabs(it->k.flops - chunk_flops[j]) < 1e-9);
    }
    /* Decode step s (0-based here) is one token over c = 10 + s cached
     * tokens: 1224 + 37 (c + 1) + 544 = 2175, 2212, 2249; all batchable
     * with each other. */
    for (int s = 0; s < 3; s++) {
        const hs_item *it = &a.it[3 + s];
        assert_int_equal(it->phase, HS_PHASE_DECODE);
        assert_int_equal(it->steps, 1);
        assert_int_equal(it->emits, 1);
        assert_int_equal(it->context, 10 + s);
        assert_true(fabs(it->k.flops - (2175 + 37.0 * s)) < 1e-9);
        assert_true(hs_item_batchable(&a.it[3], it));
    }
    /* Without a chunk size the whole prompt is one chunk: the stage
     * granularity's prefill item. */
    items w = {.n = 0}, st = {.n = 0};
    assert_int_equal(hs_lower_llm_steps(&m, HS_QUANT_FP32, 0, 10, 4, 0, collect, &w), 0);
    assert_int_equal(hs_lower_llm(&m, HS_QUANT_FP32, 0, 10, 4, HS_GRAN_STAGE, collect, &st), 0);
    assert_int_equal(w.n, 1 + 3);
    assert_true(fabs(w.it[0].k.flops - 14819) < 1e-9);
    assert_true(w.it[0].k.flops == st.it[0].k.flops && w.it[0].k.bytes == st.it[0].k.bytes);
    /* A whole decode (stage granularity) never batches: steps differ. */
    assert_int_equal(st.it[1].steps, 3);
    assert_int_equal(st.it[1].batch_key, 0);
}

/* The workload and stage keys: `granularity: step`, `chunk_tokens`, a
 * stage overriding the workload's granularity; bad values point at the
 * key. */
static void test_stage_granularity(void **state)
{
    (void)state;
    char *dir = wl_tmpdir(), mpath[512], yaml[2048];
    wl_write(dir, "tiny.yaml", tiny_model, mpath, sizeof mpath);
    const char *fmt =
        "granularity: op\nchunk_tokens: 4\nclasses:\n"
        "  - name: c\n    arrival: {process: deterministic, rate: 1}\n    requests: 1\n"
        "    workflow:\n      name: two\n      stages:\n"
        "        - {name: plan, kind: llm, model: %s, prompt: 10, output: 4, granularity: step}\n"
        "        - {name: answer, kind: llm, model: %s, prompt: 6, output: 2, granularity: step,"
        " chunk_tokens: 5}\n"
        "        - {name: rest, kind: llm, model: %s, prompt: 3, output: 2}\n"
        "      edges: [{from: plan, to: answer}, {from: answer, to: rest}]\n";
    snprintf(yaml, sizeof yaml, fmt, mpath, mpath, mpath);
    hs_workload *wl = wl_from_text(yaml);
    assert_int_equal(hs_workload_granularity(wl), HS_GRAN_OP);
    hs_err err;
    hs_arrival arr = {.time = 0, .prompt_tokens = -1, .output_tokens = -1};
    hs_request *r = hs_request_create(wl, &arr, 1, &err);
    assert_non_null(r);
    hs_request_start(r);
    /* plan: the workload's chunk of 4 -> 3 chunks + 3 steps = 6 items;
     * answer: its own chunk of 5 -> 2 chunks + 1 step = 3 items;
     * rest: op granularity, 1 + 8 + 2 items per pass, 2 passes = 22. */
    assert_int_equal(wl_drive(r, false), 6 + 3 + 22);
    hs_request_free(r);
    hs_workload_free(wl);
    /* Bad values. */
    wl_text_error("granularity: steps\nkind: llm\nmodel: tiny-llm\n", &err);
    assert_contains(err.msg, "<test>:1:");
    assert_contains(err.msg, "error:");
    wl_text_error("granularity: step\nchunk_tokens: 0\nkind: llm\nmodel: tiny-llm\n", &err);
    assert_contains(err.msg, "<test>:2:");
    snprintf(yaml, sizeof yaml,
             "classes:\n  - name: c\n    arrival: {process: poisson, rate: 1}\n"
             "    workflow:\n      name: one\n      stages:\n"
             "        - {name: a, kind: llm, model: %s, prompt: 3, output: 2, chunk_tokens: -2}\n",
             mpath);
    wl_text_error(yaml, &err);
    assert_contains(err.msg, "<test>:7:");
    snprintf(yaml, sizeof yaml,
             "classes:\n  - name: c\n    arrival: {process: poisson, rate: 1}\n"
             "    workflow:\n      name: one\n      stages:\n"
             "        - {name: a, kind: tool, latency: 1, granularity: step}\n");
    wl_text_error(yaml, &err);
    assert_contains(err.msg, "<test>:7:");
    wl_rmdir(dir);
}

/* `operand_order`: the workload says naive, so the first stage's GEMMs
 * carry HS_KF_ACT_LEFT (at op granularity item 0 is the embedding, item 1
 * the norm: no GEMM, no flag; item 2 the QKV GEMM: the flag); the second
 * stage says swapped for itself, so its fused layer item has none; the
 * third inherits naive, and its fused layer item has it.  A bad value is an
 * error at its position. */
static unsigned first_flags(hs_request *r, uint32_t stage, int skip)
{
    hs_item it;
    for (int i = 0; i <= skip; i++) {
        assert_int_equal(hs_request_next_item(r, stage, &it), 1);
        if (i < skip)
            assert_true(hs_request_item_done(r, stage) >= 0);
    }
    return it.k.flags & HS_KF_ACT_LEFT;
}

static void test_operand_order(void **state)
{
    (void)state;
    char *dir = wl_tmpdir(), mpath[512], yaml[2048];
    wl_write(dir, "tiny.yaml", tiny_model, mpath, sizeof mpath);
    snprintf(yaml, sizeof yaml,
             "granularity: op\noperand_order: naive\nclasses:\n"
             "  - name: c\n    arrival: {process: deterministic, rate: 1}\n    requests: 1\n"
             "    workflow:\n      name: three\n      stages:\n"
             "        - {name: a, kind: llm, model: %s, prompt: 4, output: 2}\n"
             "        - {name: b, kind: llm, model: %s, prompt: 4, output: 2, granularity: layer,"
             " operand_order: swapped}\n"
             "        - {name: c, kind: embed, model: %s, batch: 1, seq: 4, granularity: layer}\n",
             mpath, mpath, mpath);
    hs_workload *wl = wl_from_text(yaml);
    hs_err err;
    hs_arrival arr = {.time = 0, .prompt_tokens = -1, .output_tokens = -1};
    hs_request *r = hs_request_create(wl, &arr, 1, &err);
    assert_non_null(r);
    hs_request_start(r);
    hs_req_event ev;
    while (hs_request_poll(r, &ev))
        ;
    assert_int_equal(first_flags(r, 0, 1), 0);              /* a: attn_norm */
    assert_int_equal(hs_request_item_done(r, 0), 1);
    assert_int_equal(first_flags(r, 0, 0), HS_KF_ACT_LEFT); /* a: qkv */
    assert_int_equal(first_flags(r, 1, 0), 0);              /* b: layer 0, swapped */
    assert_int_equal(first_flags(r, 2, 0), HS_KF_ACT_LEFT); /* c: layer 0, naive */
    hs_request_free(r);
    hs_workload_free(wl);
    wl_text_error("operand_order: diagonal\nkind: llm\nmodel: tiny-llm\n", &err);
    assert_contains(err.msg, "<test>:1:");
    assert_contains(err.msg, "swapped");
    wl_rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_step_lowering_by_hand),
        cmocka_unit_test(test_stage_granularity),
        cmocka_unit_test(test_operand_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
