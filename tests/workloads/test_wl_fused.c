/* NPU rules at layer and stage granularity: a fused item keeps the ops it
 * is made of (hs_item_parts), so that tile padding, static graphs, refused
 * ops and the operand order apply to it (hs_hw_predict_fused).  Each
 * expected figure is worked out by hand below from the tiny model and the
 * inline profiles. */
#include "wl_test.h"

/* A one-head decoder with every width 32 (one tile): hidden = head_dim =
 * ffn = vocab = 32, GELU FFN (up and down only), fp16, two layers. */
static hs_model tiny(void)
{
    hs_model m = {.arch = HS_ARCH_DECODER, .layers = 2, .hidden = 32, .heads = 1, .kv_heads = 1,
                  .head_dim = 32, .ffn = 32, .vocab = 32, .lm_head = true, .quant = HS_QUANT_FP16,
                  .max_context = 4096};
    snprintf(m.name, sizeof m.name, "tiny");
    return m;
}

/* 1 TFLOPS fp16 at full efficiency, 1000 GB/s, 10 us launch: compute
 * bound for every item below (their bytes take < 0.1 of their FLOPs' time). */
#define PU(NAME, KIND, RULES)                                                                  \
    "  - {name: " NAME ", kind: " KIND ", peak_tflops: {fp16: 1}, compute_efficiency: 1, "  \
    "bandwidth_gbps: 1000, memory_efficiency: 1, launch_us: 10" RULES "}\n"

static const char *const PROFILE =
    "name: fused\n"
    "memory: {bandwidth_gbps: 1000}\n"
    "pus:\n"
    PU("gpu", "gpu", "")
    PU("tiled", "npu", ", tile: 32")
    PU("noattn", "npu", ", unsupported: [attention]")
    PU("static", "npu", ", static_shapes: [16], shape_policy: pad, graph_build: {points: [[20, 0.5], [40, 1.0]]}")
    PU("naive", "npu", ", order_penalty: 6");

static hs_hw *profile(void)
{
    hs_err err;
    hs_node *root = hs_conf_load_string(PROFILE, strlen(PROFILE), "<test>", &err);
    if (!root)
        fail_msg("%s", err.msg);
    hs_hw *hw = hs_hw_from_node(root, &err);
    hs_node_free(root);
    if (!hw)
        fail_msg("%s", err.msg);
    return hw;
}

typedef struct pick {
    int64_t want;      /* index of the item to keep */
    int64_t seen;
    hs_item it;
} pick;

static int keep(const hs_item *it, void *ctx)
{
    pick *p = ctx;
    if (p->seen++ == p->want)
        p->it = *it;
    return 0;
}

/* Item `idx` of a 20-token prompt (1 output token) at granularity g. */
static hs_item lowered(const hs_model *m, hs_granularity g, int64_t idx)
{
    pick p = {.want = idx};
    assert_int_equal(hs_lower_llm(m, HS_QUANT_FP16, 0, 20, 1, g, keep, &p), 0);
    assert_true(p.seen > idx);
    return p.it;
}

static hs_pred predict(const hs_hw *hw, const char *pu, const hs_item *it, unsigned flags, int want_rc)
{
    hs_pred p;
    hs_err err;
    int rc = hs_item_predict(hw, hs_hw_pu_find(hw, pu), it, flags, &p, &err);
    assert_int_equal(rc, want_rc);
    return p;
}

/* Layer 1 of the 20-token prefill (rows m = 20, hidden 32):
 *   op         shape                 FLOPs                       padded to m = 32 (and keys 32)
 *   attn_norm  20 x 32               4*20*32 = 2560              4096
 *   qkv        [20,32] x [32,96]     2*20*32*96 = 122880         196608
 *   attn       20 q, 20 keys, d 32   (4*32+5) * 210 = 27930      x (4*32*32*32 + 5*32*32) /
 *              (causal: 20*21/2 = 210 key visits)                  (4*20*20*32 + 5*20*20)
 *                                                                = x 136192 / 53200 = 71500.8
 *   o          [20,32] x [32,32]     40960                       65536
 *   ffn_norm                         2560                        4096
 *   up         [20,32] x [32,32]     40960                       65536
 *   act (GELU) generic               8*20*32 = 5120              5120 (a generic op keeps its cost)
 *   down       [20,32] x [32,32]     40960                       65536
 *   total                            283930                      478028.8
 * At 1 TFLOPS: 0.2839300 us unpadded, 0.4780288 us on the 32-tile NPU; + 10 us launch. */
static void test_layer_pays_tile_padding(void **state)
{
    (void)state;
    hs_model m = tiny();
    hs_hw *hw = profile();
    hs_item it = lowered(&m, HS_GRAN_LAYER, 1);
    assert_int_equal(it.slot, HS_SLOT_LAYER);
    assert_int_equal(it.layer, 1);
    assert_true(it.fused);
    assert_float_equal(it.k.flops, 283930, 1e-6);
    hs_kernel parts[HS_ITEM_PARTS_MAX];
    assert_int_equal(hs_item_parts(&it, parts), 8);
    hs_pred p = predict(hw, "tiled", &it, 0, 0);
    assert_true(p.padded);
    assert_float_equal(p.flops, 478028.8, 1e-6);
    assert_float_equal(p.compute_s, 478028.8e-12, 1e-21);
    assert_float_equal(p.latency_s, 478028.8e-12 + 10e-6, 1e-18);
    hs_hw_free(hw);
}

/* The prefill stage holds attention: refused where the PU lists it, run
 * where it does not. */
static void test_stage_with_attention_refused_or_run(void **state)
{
    (void)state;
    hs_model m = tiny();
    hs_hw *hw = profile();
    hs_item it = lowered(&m, HS_GRAN_STAGE, 0);
    assert_int_equal(it.slot, HS_SLOT_STAGE);
    hs_pred p = predict(hw, "noattn", &it, 0, HS_PRED_CANNOT_RUN);
    assert_non_null(strstr(p.why, "attention"));
    predict(hw, "gpu", &it, 0, 0);
    /* The head alone (final norm + LM head) holds no attention. */
    hs_item head = lowered(&m, HS_GRAN_LAYER, 2);
    assert_int_equal(head.slot, HS_SLOT_HEAD);
    predict(hw, "noattn", &head, 0, 0);
    hs_hw_free(hw);
}

/* The stage's 20 rows exceed the only static graph (16): the graph is
 * built for m = 20, graph_build(20) = 0.5 s, charged with
 * HS_PRED_CHARGE_BUILD; the body is the plain one (no tile). */
static void test_stage_unlisted_shape_pays_build(void **state)
{
    (void)state;
    hs_model m = tiny();
    hs_hw *hw = profile();
    hs_item it = lowered(&m, HS_GRAN_STAGE, 0);
    hs_pred plain = predict(hw, "gpu", &it, 0, 0);
    hs_pred p = predict(hw, "static", &it, HS_PRED_CHARGE_BUILD, 0);
    assert_true(p.needs_build);
    assert_int_equal(p.m, 20);
    assert_float_equal(p.build_s, 0.5, 1e-12);
    assert_float_equal(p.latency_s, plain.body_s + 10e-6 + 0.5, 1e-12);
    hs_hw_free(hw);
}

/* Naive operand order (HS_KF_ACT_LEFT) on layer 1: its four GEMMs
 * (122880 + 3 x 40960 = 245760 FLOPs) take 6x, the rest as it is:
 * 283930 + 5 x 245760 = 1512730 FLOPs of time, 1.51273 us at 1 TFLOPS.
 * The default (swapped) order pays nothing. */
static void test_layer_order_penalty(void **state)
{
    (void)state;
    hs_model m = tiny();
    hs_hw *hw = profile();
    hs_item it = lowered(&m, HS_GRAN_LAYER, 1);
    hs_pred swapped = predict(hw, "naive", &it, 0, 0);
    assert_float_equal(swapped.compute_s, 283930e-12, 1e-21);
    it.k.flags |= HS_KF_ACT_LEFT;
    hs_pred naive = predict(hw, "naive", &it, 0, 0);
    assert_float_equal(naive.compute_s, 1512730e-12, 1e-20);
    assert_float_equal(naive.flops, 283930, 1e-6);   /* a penalty is time, not work */
    hs_hw_free(hw);
}

static void same_pred(const hs_pred *a, const hs_pred *b)
{
    assert_memory_equal(&a->latency_s, &b->latency_s, sizeof a->latency_s);
    assert_memory_equal(&a->body_s, &b->body_s, sizeof a->body_s);
    assert_memory_equal(&a->bytes, &b->bytes, sizeof a->bytes);
    assert_memory_equal(&a->flops, &b->flops, sizeof a->flops);
}

/* On a PU without rules a fused item costs exactly its generic kernel, bit
 * for bit, at every aggregate: layer 0 (with the embedding), the head, the
 * prefill stage and the whole decode. */
static void test_identity_without_rules(void **state)
{
    (void)state;
    hs_model m = tiny();
    hs_hw *hw = profile();
    int gpu = hs_hw_pu_find(hw, "gpu");
    hs_item items[4] = {lowered(&m, HS_GRAN_LAYER, 0), lowered(&m, HS_GRAN_LAYER, 2),
                        lowered(&m, HS_GRAN_STAGE, 0), {0}};
    pick p = {.want = 1};
    assert_int_equal(hs_lower_llm(&m, HS_QUANT_FP16, 0, 20, 9, HS_GRAN_STAGE, keep, &p), 0);
    items[3] = p.it;
    assert_int_equal(items[3].steps, 8);
    for (int i = 0; i < 4; i++) {
        hs_pred a, b;
        hs_err err;
        assert_true(items[i].fused);
        assert_int_equal(hs_item_predict(hw, gpu, &items[i], 0, &a, &err), 0);
        assert_int_equal(hs_hw_predict(hw, gpu, &items[i].k, 0, &b, &err), 0);
        same_pred(&a, &b);
    }
    hs_hw_free(hw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layer_pays_tile_padding),
        cmocka_unit_test(test_stage_with_attention_refused_or_run),
        cmocka_unit_test(test_stage_unlisted_shape_pays_build),
        cmocka_unit_test(test_layer_order_penalty),
        cmocka_unit_test(test_identity_without_rules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
