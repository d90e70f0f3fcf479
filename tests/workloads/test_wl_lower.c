/* Lowering: FLOPs and bytes of prefill, decode and encoder passes against
 * closed forms worked out by hand, KV growth across decode steps, the
 * three granularities agreeing, op shapes agreeing with hw/'s table, and
 * a request's memoised items agreeing with the direct lowering. */
#include "wl_test.h"

static hs_model model(const char *name)
{
    hs_model m;
    hs_err err;
    if (hs_model_load(name, &m, &err) < 0)
        fail_msg("%s", err.msg);
    return m;
}

typedef struct sums {
    hs_phase phase;     /* HS_PHASE_COUNT: all */
    int64_t step;       /* decode step to keep (by context), -1 all */
    double flops, bytes;
    hs_item_bytes parts;
    long items;
} sums;

static int add(const hs_item *it, void *ctx)
{
    sums *s = ctx;
    if (s->phase != HS_PHASE_COUNT && it->phase != s->phase)
        return 0;
    if (s->step >= 0 && it->context != s->step)
        return 0;
    s->flops += it->k.flops;
    s->bytes += it->k.bytes;
    s->parts.weights += it->parts.weights;
    s->parts.in += it->parts.in;
    s->parts.out += it->parts.out;
    s->parts.kv += it->parts.kv;
    s->items++;
    assert_true(fabs(it->k.bytes - (it->parts.weights + it->parts.in + it->parts.out +
                                     it->parts.kv)) <= 1e-9 * it->k.bytes);
    return 0;
}

static sums llm(const hs_model *m, hs_quant q, int64_t ctx, int64_t p, int64_t g,
                hs_granularity gran, hs_phase phase, int64_t step)
{
    sums s = {.phase = phase, .step = step};
    assert_int_equal(hs_lower_llm(m, q, ctx, p, g, gran, add, &s), 0);
    return s;
}

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fabs(want)))
        fail_msg("got %.10g, want %.10g (rel err %.3g > %.3g)", got, want,
                 fabs(got / want - 1), tol);
}

/* Per-token decode weight bytes = parameters x bytes per parameter: every
 * weight is streamed once a step (the tied embedding through the LM head). */
static void test_decode_weight_bytes(void **state)
{
    (void)state;
    hs_model m = model("llama-3.2-1b");
    sums s = llm(&m, HS_QUANT_FP16, 0, 64, 2, HS_GRAN_OP, HS_PHASE_DECODE, -1);
    assert_rel(s.parts.weights, hs_model_params(&m) * 2, 1e-12);
    s = llm(&m, HS_QUANT_W4A16, 0, 64, 2, HS_GRAN_OP, HS_PHASE_DECODE, -1);
    assert_rel(s.parts.weights, hs_model_params(&m) * 0.5, 1e-3);   /* norms stay fp16 */
    assert_rel(s.parts.weights, 1.236e9 * 0.5, 0.01);
    /* Untied: the embedding table is not streamed, only its rows. */
    hs_model b = model("llama-3.1-8b");
    s = llm(&b, HS_QUANT_FP16, 0, 64, 2, HS_GRAN_OP, HS_PHASE_DECODE, -1);
    assert_rel(s.parts.weights, (hs_model_params(&b) - 128256.0 * 4096) * 2, 1e-12);
}

/* Prefill FLOPs of Llama-3.2-1B by hand, P tokens from an empty cache. */
static void test_prefill_flops_closed_form(void **state)
{
    (void)state;
    hs_model m = model("llama-3.2-1b");
    const double P = 300, L = 16, H = 2048, nh = 32, kv = 8, d = 64, F = 8192, V = 128256;
    double gemm = 2 * P * L * (H * (nh + 2 * kv) * d + nh * d * H + 2 * H * F + F * H);
    double head = 2 * 1 * H * V;                      /* logits of the last token only */
    double attn = L * nh * (4 * d + 5) * P * (P + 1) / 2;   /* causal triangle */
    double norms = L * 2 * 4 * P * H + 4 * H;
    double act = L * 5 * P * F;
    double embed = P * H;
    sums s = llm(&m, HS_QUANT_FP16, 0, (int64_t)P, 1, HS_GRAN_OP, HS_PHASE_PREFILL, -1);
    assert_rel(s.flops, gemm + head + attn + norms + act + embed, 1e-12);
    /* ~ 2 x P x (parameters without the embedding table) */
    assert_rel(s.flops, 2 * P * (hs_model_params(&m) - V * H), 0.05);
    assert_int_equal(s.items, 1 + 8 * 16 + 2);
}

/* Each decode step reads one more token of K and V per layer. */
static void test_kv_growth(void **state)
{
    (void)state;
    hs_model m = model("llama-3.2-1b");
    const int64_t P = 100;
    double kv_row = 2.0 * 8 * 64 * 2;   /* K and V, 8 KV heads, dim 64, fp16: one layer */
    double prev = 0;
    for (int64_t j = 1; j <= 5; j++) {
        sums s = llm(&m, HS_QUANT_W4A16, 0, P, 6, HS_GRAN_OP, HS_PHASE_DECODE, P + j - 1);
        assert_int_equal(s.items, 1 + 8 * 16 + 2);
        assert_rel(s.parts.kv, 16 * kv_row * (double)(P + j), 1e-12);
        if (j > 1)
            assert_rel(s.parts.kv - prev, 16 * kv_row, 1e-9);
        prev = s.parts.kv;
    }
    /* A cached context counts the same as prompt tokens. */
    sums a = llm(&m, HS_QUANT_W4A16, 40, 60, 2, HS_GRAN_OP, HS_PHASE_DECODE, -1);
    sums b = llm(&m, HS_QUANT_W4A16, 0, 100, 2, HS_GRAN_OP, HS_PHASE_DECODE, -1);
    assert_rel(a.bytes, b.bytes, 1e-12);
}

static void same_totals(sums a, sums b)
{
    assert_rel(a.flops, b.flops, 1e-9);
    assert_rel(a.bytes, b.bytes, 1e-9);
    assert_rel(a.parts.weights, b.parts.weights, 1e-9);
    assert_rel(a.parts.kv, b.parts.kv, 1e-9);
}

static void test_granularities_agree(void **state)
{
    (void)state;
    hs_model m = model("qwen3-1.7b");
    const int64_t P = 100, G = 20;
    sums op = llm(&m, HS_QUANT_INT8, 7, P, G, HS_GRAN_OP, HS_PHASE_COUNT, -1);
    sums ly = llm(&m, HS_QUANT_INT8, 7, P, G, HS_GRAN_LAYER, HS_PHASE_COUNT, -1);
    sums st = llm(&m, HS_QUANT_INT8, 7, P, G, HS_GRAN_STAGE, HS_PHASE_COUNT, -1);
    same_totals(op, ly);
    same_totals(op, st);
    assert_int_equal(op.items, (1 + 8 * 28 + 2) * G);
    assert_int_equal(ly.items, (28 + 1) * G);
    assert_int_equal(st.items, 2);
    /* Per phase too. */
    same_totals(llm(&m, HS_QUANT_INT8, 0, P, G, HS_GRAN_OP, HS_PHASE_DECODE, -1),
                llm(&m, HS_QUANT_INT8, 0, P, G, HS_GRAN_STAGE, HS_PHASE_DECODE, -1));
    /* Encoder passes. */
    hs_model e = model("bge-large-en-v1.5");
    sums eo = {.phase = HS_PHASE_COUNT, .step = -1}, es = eo, el = eo;
    assert_int_equal(hs_lower_encode(&e, HS_QUANT_INT8, 4, 64, false, HS_GRAN_OP, add, &eo), 0);
    assert_int_equal(hs_lower_encode(&e, HS_QUANT_INT8, 4, 64, false, HS_GRAN_LAYER, add, &el), 0);
    assert_int_equal(hs_lower_encode(&e, HS_QUANT_INT8, 4, 64, false, HS_GRAN_STAGE, add, &es), 0);
    same_totals(eo, el);
    same_totals(eo, es);
    assert_int_equal(eo.items, 1 + 8 * 24);
}

/* A whole decode at stage granularity is summed step by step up to 2^16
 * steps and in closed form beyond (a huge token count once looped per
 * token): one step more than the threshold adds exactly that step's cost,
 * and the largest decode the model's context allows is costed at once. */
static void test_decode_closed_form(void **state)
{
    (void)state;
    hs_model m = model("llama-3.2-1b");
    const int64_t P = 10, S = 1 << 16;
    sums summed = llm(&m, m.quant, 0, P, S + 1, HS_GRAN_STAGE, HS_PHASE_DECODE, -1);
    sums closed = llm(&m, m.quant, 0, P, S + 2, HS_GRAN_STAGE, HS_PHASE_DECODE, -1);
    sums last = llm(&m, m.quant, 0, P + S, 2, HS_GRAN_STAGE, HS_PHASE_DECODE, -1);
    assert_int_equal(last.items, 1);
    assert_rel(closed.flops - summed.flops, last.flops, 1e-6);
    assert_rel(closed.bytes - summed.bytes, last.bytes, 1e-6);
    sums whole = llm(&m, m.quant, 0, P, m.max_context - P, HS_GRAN_STAGE, HS_PHASE_DECODE, -1);
    assert_true(whole.flops > closed.flops && isfinite(whole.flops));
}

/* A BERT-large pass: bidirectional attention over the whole sequence. */
static void test_encoder_closed_form(void **state)
{
    (void)state;
    hs_model e = model("bge-large-en-v1.5");
    const double b = 3, s = 50, L = 24, H = 1024, F = 4096, nh = 16, d = 64;
    double gemm = 2 * b * s * L * (4 * H * H + 2 * H * F);
    double attn = L * b * nh * (4 * d + 5) * s * s;
    double other = L * (2 * 4 * b * s * H + 8 * b * s * F) + b * s * H;
    sums r = {.phase = HS_PHASE_COUNT, .step = -1};
    assert_int_equal(hs_lower_encode(&e, HS_QUANT_FP16, 3, 50, true, HS_GRAN_OP, add, &r), 0);
    assert_rel(r.flops, gemm + attn + other, 1e-12);
    /* A reranker on a decoder model scores with the LM head, once a pair. */
    hs_model q = model("qwen3-reranker-0.6b");
    sums with = {.phase = HS_PHASE_COUNT, .step = -1}, without = with;
    hs_lower_encode(&q, HS_QUANT_INT8, 5, 40, true, HS_GRAN_OP, add, &with);
    hs_lower_encode(&q, HS_QUANT_INT8, 5, 40, false, HS_GRAN_OP, add, &without);
    assert_int_equal(with.items, without.items + 2);
    assert_rel(with.flops - without.flops, 2.0 * 5 * 1024 * 151669 + 4.0 * 5 * 1024, 1e-9);
}

typedef struct shape_ctx {
    long checked, causal;
} shape_ctx;

static int check_shape(const hs_item *it, void *p)
{
    shape_ctx *c = p;
    double f, b;
    if (it->k.op == HS_OP_GENERIC)
        return 0;
    assert_int_equal(hs_kernel_shape_cost(&it->k, &f, &b), 0);
    if (fabs(it->k.bytes - b) > 1e-9 * b)
        fail_msg("%s %s m=%lld n=%lld k=%lld: bytes %g, hw's table %g", hs_slot_name(it->slot),
                 hs_phase_name(it->phase), (long long)it->k.m, (long long)it->k.n,
                 (long long)it->k.k, it->k.bytes, b);
    if (it->k.op == HS_OP_ATTENTION && it->tokens > 1 && it->model->arch == HS_ARCH_DECODER) {
        /* hw's table is the full square; causal attention the triangle. */
        double m = (double)it->tokens;
        assert_rel(it->k.flops, f * (m + 1) / (2 * m), 1e-12);
        c->causal++;
    } else {
        assert_rel(it->k.flops, f, 1e-12);
    }
    c->checked++;
    return 0;
}

static void test_shapes_match_hw(void **state)
{
    (void)state;
    shape_ctx c = {0};
    hs_model m = model("qwen2.5-1.5b");   /* w4a16 with 32-weight groups */
    assert_int_equal(hs_lower_llm(&m, m.quant, 0, 33, 3, HS_GRAN_OP, check_shape, &c), 0);
    assert_int_equal(c.causal, 28);
    assert_int_equal(c.checked, 3 * (1 + 8 * 28 + 2));
    hs_model e = model("qwen3-embedding-0.6b");   /* a causal encoder */
    assert_int_equal(hs_lower_encode(&e, HS_QUANT_INT8, 2, 16, false, HS_GRAN_OP, check_shape, &c),
                     0);
    assert_int_equal(c.causal, 2 * 28);
}

/* Lowering is per position: a huge decode (nearly the model's whole
 * 131072-token context) costs nothing up front. */
static void test_decode_is_lazy(void **state)
{
    (void)state;
    hs_workload *wl = wl_from_text("kind: llm\nmodel: llama-3.2-1b\nrequests: 1\n"
                                   "tokens: {prompt: 10, output: 131000}\n"
                                   "arrival: {process: poisson, rate: 1}\n");
    hs_err err;
    hs_arrival a = wl_arrival_of(0, 0);
    hs_request *r = hs_request_create(wl, &a, 1, &err);
    assert_non_null(r);
    hs_request_start(r);
    hs_req_event ev;
    assert_true(hs_request_poll(r, &ev));
    assert_int_equal(ev.type, HS_EV_REVEALED);
    const hs_stage_info *si = hs_request_node(r, 0);
    assert_int_equal(si->output, 131000);
    hs_item it;
    bool first = false;
    for (int i = 0; i < 1 + 8 * 16 + 2 + 5; i++) {
        assert_int_equal(hs_request_next_item(r, 0, &it), 1);
        assert_int_equal(hs_request_next_item(r, 0, &it) , 0);   /* one outstanding */
        assert_int_equal(hs_request_item_done(r, 0), 1);
        while (hs_request_poll(r, &ev))
            first |= ev.type == HS_EV_FIRST_TOKEN;
    }
    assert_true(first);   /* the prefill's last item emitted token 1 */
    assert_int_equal(si->tokens_out, 1);
    assert_int_equal(hs_request_next_item(r, 0, &it), 1);
    assert_int_equal(it.phase, HS_PHASE_DECODE);
    assert_int_equal(it.context, 10);
    hs_request_free(r);
    hs_workload_free(wl);
}

/* The items of one stage, lowered directly (hs_request_stage_items). */
typedef struct stage_items {
    hs_item *items;
    size_t n, cap;
} stage_items;

static int keep(const hs_item *it, void *ctx)
{
    stage_items *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->items = realloc(s->items, s->cap * sizeof *s->items);
        assert_non_null(s->items);
    }
    s->items[s->n++] = *it;
    return 0;
}

static void assert_same_item(const hs_item *a, const hs_item *b)
{
    assert_int_equal(a->kind, b->kind);
    assert_int_equal(a->phase, b->phase);
    assert_int_equal(a->slot, b->slot);
    assert_int_equal(a->layer, b->layer);
    assert_int_equal(a->k.op, b->k.op);
    assert_int_equal(a->k.m, b->k.m);
    assert_int_equal(a->k.n, b->k.n);
    assert_int_equal(a->k.k, b->k.k);
    assert_int_equal(a->k.batch, b->k.batch);
    assert_int_equal(a->k.kv_batch, b->k.kv_batch);
    assert_true(a->k.flops == b->k.flops && a->k.bytes == b->k.bytes);
    assert_memory_equal(&a->parts, &b->parts, sizeof a->parts);
    assert_int_equal(a->tokens, b->tokens);
    assert_int_equal(a->context, b->context);
    assert_int_equal(a->seq, b->seq);
    assert_int_equal(a->units, b->units);
    assert_int_equal(a->emits, b->emits);
    assert_int_equal(a->batch_key, b->batch_key);
}

/* A request issues its items one at a time, through a memo of the items
 * each pass repeats layer after layer: they must be the items its stages
 * lower to directly, at op and layer granularity, for an encoder pass and
 * an LLM call with several decode steps. */
static void test_issued_items_match_lowering(void **state)
{
    (void)state;
    static const char *const grans[] = {"op", "layer"};
    for (size_t g = 0; g < 2; g++) {
        char yaml[1024];
        snprintf(yaml, sizeof yaml,
                 "granularity: %s\nrequests: 1\nclasses:\n - name: c\n"
                 "   arrival: {process: poisson, rate: 1}\n"
                 "   workflow:\n     name: t\n     stages:\n"
                 "      - {name: enc, kind: embed, model: e5-large-v2, batch: 2, seq: 24}\n"
                 "      - {name: gen, kind: llm, model: llama-3.2-1b, prompt: 16, output: 4}\n"
                 "     edges:\n      - {from: enc, to: gen}\n",
                 grans[g]);
        hs_workload *wl = wl_from_text(yaml);
        hs_err err;
        hs_arrival a = wl_arrival_of(0, 0);
        hs_request *r = hs_request_create(wl, &a, 1, &err);
        assert_non_null(r);
        hs_request_start(r);
        size_t checked = 0;
        hs_req_event ev;
        while (!hs_request_finished(r)) {
            uint32_t ready = UINT32_MAX;
            while (hs_request_poll(r, &ev))
                if (ev.type == HS_EV_READY)
                    ready = ev.node;
            assert_int_not_equal(ready, UINT32_MAX);
            stage_items want = {0};
            assert_int_equal(hs_request_stage_items(r, ready, keep, &want), 0);
            hs_item it;
            for (size_t i = 0; i < want.n; i++) {
                assert_int_equal(hs_request_next_item(r, ready, &it), 1);
                assert_same_item(&it, &want.items[i]);
                hs_request_item_done(r, ready);
            }
            assert_int_equal(hs_request_next_item(r, ready, &it), -1);   /* done */
            checked += want.n;
            free(want.items);
        }
        /* Every layer of the encoder (24) and of the four passes of the
         * LLM call (16 each): 8 ops a layer at op granularity. */
        assert_true(checked >= (g == 0 ? 8u : 1u) * (24 + 4 * 16));
        hs_request_free(r);
        hs_workload_free(wl);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_weight_bytes),
        cmocka_unit_test(test_prefill_flops_closed_form),
        cmocka_unit_test(test_kv_growth),
        cmocka_unit_test(test_granularities_agree),
        cmocka_unit_test(test_encoder_closed_form),
        cmocka_unit_test(test_decode_closed_form),
        cmocka_unit_test(test_shapes_match_hw),
        cmocka_unit_test(test_decode_is_lazy),
        cmocka_unit_test(test_issued_items_match_lowering),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
