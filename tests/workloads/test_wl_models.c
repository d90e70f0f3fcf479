/* Model files: every built-in model loads, its parameter count matches the
 * published size, and bad files get positioned errors. */
#include "wl_test.h"

static void count_model(const char *name, const char *path, void *ctx)
{
    (void)path;
    hs_model m;
    hs_err err;
    if (hs_model_load(name, &m, &err) < 0)
        fail_msg("%s: %s", name, err.msg);
    assert_string_equal(m.name, name);
    assert_true(m.layers > 0 && m.hidden > 0 && m.heads % m.kv_heads == 0);
    (*(int *)ctx)++;
}

static void test_every_model_loads(void **state)
{
    (void)state;
    int n = 0;
    hs_conf_list_builtin(HS_WL_MODELS_DIR, count_model, &n);
    /* The eleven models (Qwen3-0.6B twice), plus Qwen2.5-1.5B and
     * e5-large-v2 used by the check table and HedraRAG. */
    assert_true(n >= 14);
}

/* Published sizes (model cards); ours counts no biases or position tables. */
static void test_parameter_counts(void **state)
{
    (void)state;
    static const struct { const char *name; double published; } sizes[] = {
        {"llama-3.2-1b", 1.24e9},      /* model card: 1.24B */
        {"llama-3.2-3b", 3.21e9},      /* 3.21B */
        {"llama-3.1-8b", 8.03e9},      /* 8.03B */
        {"llama-2-7b", 6.74e9},        /* 6.74B */
        {"qwen3-4b", 4.02e9},          /* 4.0B */
        {"qwen3-1.7b", 1.72e9},        /* 1.7B */
        {"qwen2.5-3b", 3.09e9},        /* 3.09B */
        {"qwen2.5-1.5b", 1.54e9},      /* 1.54B */
        {"internlm2-1.8b", 1.89e9},    /* 1.89B */
        {"qwen3-embedding-0.6b", 0.596e9},  /* 0.6B */
        {"bge-large-en-v1.5", 0.335e9},     /* 335M */
        {"bge-reranker-large", 0.560e9},    /* 560M */
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        hs_model m;
        hs_err err;
        assert_int_equal(hs_model_load(sizes[i].name, &m, &err), 0);
        double p = hs_model_params(&m);
        if (fabs(p / sizes[i].published - 1) > 0.02)
            fail_msg("%s: %.4g parameters, published %.4g", sizes[i].name, p,
                     sizes[i].published);
    }
}

/* Llama-3.2-1B by hand: 16 x (2048*(32+16)*64 + 32*64*2048 + 3*2048*8192 +
 * 2*2048) + 128256*2048 (tied) + 2048. */
static void test_llama_1b_closed_form(void **state)
{
    (void)state;
    hs_model m;
    hs_err err;
    assert_int_equal(hs_model_load("llama-3.2-1b", &m, &err), 0);
    double layer = 2048.0 * 48 * 64 + 32.0 * 64 * 2048 + 3.0 * 2048 * 8192 + 2 * 2048;
    double want = 16 * layer + 128256.0 * 2048 + 2048;
    assert_true(fabs(hs_model_params(&m) - want) < 0.5);
    m.quant = HS_QUANT_INT8;
    assert_true(fabs(hs_model_weight_bytes(&m) - want) < 0.5);
    m.quant = HS_QUANT_W4A16;
    assert_true(fabs(hs_model_weight_bytes(&m) - want / 2) < 0.5);
    /* 2 (K, V) x 16 layers x 8 KV heads x 64 x 2 bytes = 32 KiB a token. */
    assert_true(hs_model_kv_bytes_per_token(&m) == 32768);
}

static void test_quant_names(void **state)
{
    (void)state;
    for (int q = 0; q < HS_QUANT_COUNT; q++) {
        hs_quant back;
        assert_int_equal(hs_quant_from_name(hs_quant_name((hs_quant)q), &back), 0);
        assert_int_equal(back, q);
    }
    hs_quant q;
    assert_int_equal(hs_quant_from_name("w3a16", &q), -1);
    assert_int_equal(hs_quant_weight_dtype(HS_QUANT_W4A16), HS_DT_INT4);
    assert_int_equal(hs_quant_compute_dtype(HS_QUANT_W4A16), HS_DT_FP16);
    assert_int_equal(hs_quant_compute_dtype(HS_QUANT_INT8), HS_DT_INT8);
}

static void model_error(const char *yaml, const char *want)
{
    hs_err err;
    hs_model m;
    hs_node *root = hs_conf_load_string(yaml, strlen(yaml), "m.yaml", &err);
    assert_non_null(root);
    assert_int_equal(hs_model_parse(root, &m, &err), -1);
    hs_node_free(root);
    assert_contains(err.msg, "m.yaml:");
    assert_contains(err.msg, want);
}

static void test_model_errors(void **state)
{
    (void)state;
    const char *base = "name: x\nlayers: 2\nhidden: 64\nheads: 4\nffn: 128\nvocab: 100\n";
    char buf[512];
    snprintf(buf, sizeof buf, "%skv_heads: 3\n", base);
    model_error(buf, "must divide heads");
    snprintf(buf, sizeof buf, "%slayres: 3\n", base);
    model_error(buf, "did you mean 'layers'");
    snprintf(buf, sizeof buf, "%squant: w2a16\n", base);
    model_error(buf, "quant");
    model_error("name: x\nhidden: 64\nheads: 4\nffn: 128\nvocab: 100\n", "layers");
    hs_err err;
    hs_model m;
    assert_int_equal(hs_model_load("llama-3.2-2b", &m, &err), -1);
    assert_contains(err.msg, "llama-3.2-");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_model_loads),
        cmocka_unit_test(test_parameter_counts),
        cmocka_unit_test(test_llama_1b_closed_form),
        cmocka_unit_test(test_quant_names),
        cmocka_unit_test(test_model_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
