/* The real backend's kernels against plain C references, at several shapes
 * (none a multiple of a tile or of the work-group size): GEMM and GEMV
 * (CLBlast), attention (causal and not, grouped KV heads), RMSNorm,
 * SiLU-multiply, GELU, softmax, embedding lookup, vector search with top-k;
 * NPU padding to static shapes and refusal of unsupported ops; layer items
 * running their op sequence; fixed-time items. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/real/real_test.h"

static hs_hw *HW;
static hs_exec *X;
static rl_exec *E;
static hs_model DEC, ENC;

static int setup(void **state)
{
    (void)state;
    HW = rt_hw(rt_hw_yaml);
    hs_err err;
    hs_real_opts o = {.data_seed = 7};
    X = hs_exec_real_create(HW, &o, &err);
    if (!X) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    E = RX(X);
    DEC = rt_model(HS_ARCH_DECODER);
    ENC = rt_model(HS_ARCH_ENCODER);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    X->ops->destroy(X);
    hs_hw_free(HW);
    return 0;
}

static void run(int pu, const hs_item *it)
{
    hs_err err;
    double s;
    if (rl_time_item(E, pu, it, &s, &err) != 0)
        fail_msg("%s", err.msg);
}

/* Where a GEMM or norm of the model found its weights (as ops.c decides). */
static void weights(const hs_item *it, size_t floats, cl_mem *mem, size_t *off)
{
    hs_err err;
    rl_model_w *w = rl_model_weights(E, &E->ctxs[0], it->model, &err);
    assert_non_null(w);
    hs_slot s = it->slot;
    bool global = s == HS_SLOT_EMBED || s == HS_SLOT_FINAL_NORM || s == HS_SLOT_LM_HEAD;
    if (floats <= w->size[s]) {
        *mem = w->buf.mem;
        *off = (global ? w->globals : (size_t)it->layer * w->layer_floats) + w->off[s];
    } else {
        *mem = E->ctxs[0].wscratch.mem;
        *off = 0;
    }
}

static void check_gemm(int64_t m, int64_t n, int64_t k, hs_slot slot, int layer)
{
    hs_item it = rt_item(&DEC, slot, layer, HS_OP_GEMM, m, n, k);
    run(0, &it);
    cl_mem wm;
    size_t woff;
    weights(&it, (size_t)(k * n), &wm, &woff);
    rl_pu *p = &E->pus[0];
    float *a = rt_read(E, p->x.mem, 0, (size_t)(m * k));
    float *w = rt_read(E, wm, woff, (size_t)(k * n));
    float *c = rt_read(E, p->y.mem, 0, (size_t)(m * n));
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double ref = 0;
            for (int64_t t = 0; t < k; t++)
                ref += (double)a[i * k + t] * w[t * n + j];
            if (!rt_close(c[i * n + j], ref, 1e-4))
                fail_msg("gemm [%lld,%lld,%lld] C[%lld,%lld] = %g, expected %g", (long long)m, (long long)n,
                         (long long)k, (long long)i, (long long)j, c[i * n + j], ref);
        }
    free(a);
    free(w);
    free(c);
}

static void test_gemm(void **state)
{
    (void)state;
    check_gemm(1, 80, 40, HS_SLOT_QKV, 0);     /* GEMV */
    check_gemm(1, 33, 29, HS_SLOT_O, 1);
    check_gemm(3, 80, 40, HS_SLOT_QKV, 1);
    check_gemm(17, 33, 29, HS_SLOT_GATE_UP, 0);
    check_gemm(37, 50, 40, HS_SLOT_DOWN, 1);
    check_gemm(5, 130, 70, HS_SLOT_O, 0);      /* larger than the slot's region: scratch weights */
}

static void check_attention(const hs_model *mdl, int64_t m, int64_t n, int64_t d, int64_t heads, int64_t kvh)
{
    hs_item it = rt_item(mdl, HS_SLOT_ATTN, 0, HS_OP_ATTENTION, m, n, d);
    it.k.batch = heads;
    it.k.kv_batch = kvh;
    it.k.flops = it.k.bytes = 0;
    hs_kernel_derive(&it.k, NULL);
    run(0, &it);
    rl_pu *p = &E->pus[0];
    float *q = rt_read(E, p->x.mem, 0, (size_t)(heads * m * d));
    float *kv = rt_read(E, E->ctxs[0].kv.mem, 0, (size_t)(2 * kvh * n * d));
    float *o = rt_read(E, p->y.mem, 0, (size_t)(heads * m * d));
    bool causal = mdl->arch == HS_ARCH_DECODER;
    double *s = malloc((size_t)n * sizeof *s);
    for (int64_t h = 0; h < heads; h++) {
        int64_t kh = h / (heads / kvh);
        for (int64_t i = 0; i < m; i++) {
            double mx = -INFINITY, sum = 0;
            for (int64_t j = 0; j < n; j++) {
                if (causal && j > n - m + i) {
                    s[j] = -INFINITY;
                    continue;
                }
                double acc = 0;
                for (int64_t c = 0; c < d; c++)
                    acc += (double)q[(h * m + i) * d + c] * kv[(kh * n + j) * d + c];
                s[j] = acc / sqrt((double)d);
                mx = fmax(mx, s[j]);
            }
            for (int64_t j = 0; j < n; j++)
                sum += s[j] = isinf(s[j]) ? 0 : exp(s[j] - mx);
            for (int64_t c = 0; c < d; c++) {
                double ref = 0;
                for (int64_t j = 0; j < n; j++)
                    ref += s[j] / sum * kv[kvh * n * d + (kh * n + j) * d + c];
                double got = o[(h * m + i) * d + c];
                if (!rt_close(got, ref, 1e-4))
                    fail_msg("attention m%lld n%lld d%lld h%lld/%lld %s: o[%lld,%lld,%lld] = %g, expected %g",
                             (long long)m, (long long)n, (long long)d, (long long)heads, (long long)kvh,
                             causal ? "causal" : "full", (long long)h, (long long)i, (long long)c, got, ref);
            }
        }
    }
    free(s);
    free(q);
    free(kv);
    free(o);
}

static void test_attention(void **state)
{
    (void)state;
    check_attention(&DEC, 1, 23, 10, 4, 2);    /* a decode step over a KV cache */
    check_attention(&DEC, 7, 7, 10, 4, 2);     /* a fresh causal prefill */
    check_attention(&DEC, 5, 19, 12, 6, 3);    /* a prefill chunk after 14 cached tokens */
    check_attention(&ENC, 9, 9, 10, 4, 4);     /* bidirectional encoder */
}

static void test_rmsnorm_silu_gelu(void **state)
{
    (void)state;
    rl_pu *p = &E->pus[0];
    for (int pass = 0; pass < 2; pass++) {
        int64_t m = pass ? 19 : 1, n = 40;
        hs_item it = rt_item(&DEC, HS_SLOT_FFN_NORM, 1, HS_OP_RMSNORM, m, n, 0);
        run(0, &it);
        cl_mem wm;
        size_t woff;
        weights(&it, (size_t)n, &wm, &woff);
        float *x = rt_read(E, p->x.mem, 0, (size_t)(m * n));
        float *w = rt_read(E, wm, woff, (size_t)n);
        float *y = rt_read(E, p->y.mem, 0, (size_t)(m * n));
        for (int64_t i = 0; i < m; i++) {
            double ss = 0;
            for (int64_t j = 0; j < n; j++)
                ss += (double)x[i * n + j] * x[i * n + j];
            double inv = 1 / sqrt(ss / (double)n + 1e-6);
            for (int64_t j = 0; j < n; j++)
                if (!rt_close(y[i * n + j], x[i * n + j] * inv * w[j], 1e-4))
                    fail_msg("rmsnorm m%lld: y[%lld,%lld] = %g", (long long)m, (long long)i, (long long)j, y[i * n + j]);
        }
        free(x);
        free(w);
        free(y);
    }
    int64_t m = 3, n = 52;
    hs_item it = rt_item(&DEC, HS_SLOT_ACT, 0, HS_OP_SILU_MUL, m, n, 0);
    run(0, &it);
    float *x = rt_read(E, p->x.mem, 0, (size_t)(2 * m * n));
    float *y = rt_read(E, p->y.mem, 0, (size_t)(m * n));
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double g = x[i * 2 * n + j], u = x[i * 2 * n + n + j];
            assert_true(rt_close(y[i * n + j], g / (1 + exp(-g)) * u, 1e-4));
        }
    free(x);
    free(y);
    it = rt_item(&ENC, HS_SLOT_ACT, 0, HS_OP_GENERIC, 5, 52, 40);
    it.k.flops = 8.0 * 5 * 52;
    it.k.bytes = 8.0 * 5 * 52;
    run(0, &it);
    x = rt_read(E, p->x.mem, 0, 5 * 52);
    y = rt_read(E, p->y.mem, 0, 5 * 52);
    for (int i = 0; i < 5 * 52; i++) {
        double v = x[i];
        double ref = 0.5 * v * (1 + tanh(0.7978845608 * (v + 0.044715 * v * v * v)));
        assert_true(rt_close(y[i], ref, 1e-4));
    }
    free(x);
    free(y);
}

static void test_softmax(void **state)
{
    (void)state;
    rl_pu *p = &E->pus[0];
    int64_t m = 3, n = 21;
    hs_err err;
    assert_int_equal(rl_ensure(E, &E->ctxs[0], &p->z, (size_t)(m * n) * 4, RL_FILL_ZERO, &err), 0);
    float in[3 * 21];
    for (int i = 0; i < m * n; i++)
        in[i] = (float)((i * 37) % 11) - 5.0f;
    rt_write(E, p->z.mem, 0, in, (size_t)(m * n));
    hs_item it = rt_item(NULL, HS_SLOT_TASK, -1, HS_OP_SOFTMAX, m, n, 0);
    run(0, &it);
    float *z = rt_read(E, p->z.mem, 0, (size_t)(m * n));
    for (int64_t i = 0; i < m; i++) {
        double mx = -INFINITY, sum = 0;
        for (int64_t j = 0; j < n; j++)
            mx = fmax(mx, in[i * n + j]);
        for (int64_t j = 0; j < n; j++)
            sum += exp(in[i * n + j] - mx);
        for (int64_t j = 0; j < n; j++)
            assert_true(rt_close(z[i * n + j], exp(in[i * n + j] - mx) / sum, 1e-5));
    }
    free(z);
}

static void test_embedding(void **state)
{
    (void)state;
    rl_pu *p = &E->pus[0];
    int64_t m = 13, n = 40;
    hs_item it = rt_item(&DEC, HS_SLOT_EMBED, 0, HS_OP_EMBEDDING, m, n, 0);
    run(0, &it);
    cl_mem wm;
    size_t woff;
    weights(&it, (size_t)(DEC.vocab * n), &wm, &woff);
    int32_t *ids = malloc((size_t)m * 4);
    assert_int_equal(clEnqueueReadBuffer(E->ctxs[0].fillq, E->ctxs[0].ids.mem, CL_TRUE, 0, (size_t)m * 4, ids, 0,
                                         NULL, NULL),
                     CL_SUCCESS);
    float *t = rt_read(E, wm, woff, (size_t)(DEC.vocab * n));
    float *y = rt_read(E, p->y.mem, 0, (size_t)(m * n));
    for (int64_t i = 0; i < m; i++) {
        assert_true(ids[i] >= 0);
        for (int64_t c = 0; c < n; c++)
            assert_true(y[i * n + c] == t[(ids[i] % DEC.vocab) * n + c]);
    }
    free(ids);
    free(t);
    free(y);
}

static int cmp_desc(const void *a, const void *b)
{
    double x = ((const double *)a)[0], y = ((const double *)b)[0];
    return x > y ? -1 : x < y;
}

static void test_vector_search(void **state)
{
    (void)state;
    rl_pu *p = &E->pus[0];
    int64_t m = 2, n = 300, dim = 24;
    hs_item it = rt_item(NULL, HS_SLOT_SCAN, -1, HS_OP_VECTOR_SEARCH, m, n, dim);
    it.phase = HS_PHASE_SEARCH;
    run(0, &it);
    float *q = rt_read(E, p->x.mem, 0, (size_t)(m * dim));
    float *c = rt_read(E, E->ctxs[0].corpus.mem, 0, (size_t)(n * dim));
    float *tv = rt_read(E, p->y.mem, 0, (size_t)(m * RL_TOPK));
    int32_t ti[2 * RL_TOPK];
    assert_int_equal(clEnqueueReadBuffer(E->ctxs[0].fillq, p->ti.mem, CL_TRUE, 0, sizeof ti, ti, 0, NULL, NULL),
                     CL_SUCCESS);
    double (*sc)[2] = malloc((size_t)n * sizeof *sc);
    for (int64_t i = 0; i < m; i++) {
        for (int64_t v = 0; v < n; v++) {
            double acc = 0;
            for (int64_t d = 0; d < dim; d++)
                acc += (double)q[i * dim + d] * c[v * dim + d];
            sc[v][0] = acc;
            sc[v][1] = (double)v;
        }
        qsort(sc, (size_t)n, sizeof *sc, cmp_desc);
        for (int k = 0; k < RL_TOPK; k++) {
            if (!rt_close(tv[i * RL_TOPK + k], sc[k][0], 1e-4))
                fail_msg("top-%d of query %lld: %g, expected %g", k, (long long)i, tv[i * RL_TOPK + k], sc[k][0]);
            assert_int_equal(ti[i * RL_TOPK + k], (int)sc[k][1]);
        }
    }
    free(sc);
    free(q);
    free(c);
    free(tv);
}

static void test_npu_padding(void **state)
{
    (void)state;
    /* m pads to the next static graph, every dimension to the tile. */
    static const int64_t cases[][6] = {
        {5, 20, 12, 8, 24, 16}, {1, 40, 40, 8, 40, 40}, {17, 33, 29, 32, 40, 32}, {64, 8, 8, 64, 8, 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        hs_item it = rt_item(&DEC, HS_SLOT_O, 0, HS_OP_GEMM, cases[i][0], cases[i][1], cases[i][2]);
        run(1, &it);
        assert_int_equal(E->last_shape[0], cases[i][3]);
        assert_int_equal(E->last_shape[1], cases[i][4]);
        assert_int_equal(E->last_shape[2], cases[i][5]);
        /* The same kernel on the plain CPU PU runs unpadded. */
        run(0, &it);
        assert_int_equal(E->last_shape[0], cases[i][0]);
    }
    /* Element-wise ops pad m and n too. */
    hs_item norm = rt_item(&DEC, HS_SLOT_ATTN_NORM, 0, HS_OP_RMSNORM, 3, 40, 0);
    run(1, &norm);
    assert_int_equal(E->last_shape[0], 8);
    /* Unsupported ops are refused with the profile's reason. */
    hs_item att = rt_item(&DEC, HS_SLOT_ATTN, 0, HS_OP_ATTENTION, 1, 9, 10);
    att.k.batch = 4;
    att.k.kv_batch = 2;
    hs_err err;
    double s;
    assert_int_not_equal(rl_time_item(E, 1, &att, &s, &err), 0);
    assert_non_null(strstr(err.msg, "npu cannot run attention"));
    /* An m beyond the largest static graph runs at its own size. */
    hs_item big = rt_item(&DEC, HS_SLOT_O, 0, HS_OP_GEMM, 70, 8, 8);
    run(1, &big);
    assert_int_equal(E->last_shape[0], 72);
}

static void test_layer_items(void **state)
{
    (void)state;
    /* A layer item runs the ops of its layer (layer 0 adds the embedding);
     * a stage item runs the whole pass. */
    hs_model m = rt_model(HS_ARCH_DECODER);
    struct {
        hs_slot slot;
        int layer;
        uint64_t commands;
    } cases[] = {{HS_SLOT_LAYER, 0, 1 + 8}, {HS_SLOT_LAYER, 1, 8}, {HS_SLOT_HEAD, -1, 2},
                 {HS_SLOT_STAGE, -1, 1 + 16 + 2}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        hs_item it = rt_item(&m, cases[i].slot, cases[i].layer, HS_OP_GENERIC, 6, 40, 40);
        it.head_rows = 1;
        it.k.flops = it.k.bytes = 1e5;
        hs_real_stats st0, st1;
        hs_real_stats_get(X, &st0);
        run(0, &it);
        hs_real_stats_get(X, &st1);
        /* Attention is three commands and CLBlast may use several per GEMM:
         * at least one command an op. */
        assert_true(st1.commands - st0.commands >= cases[i].commands);
    }
    /* A whole decode at stage granularity: `steps` one-token passes. */
    hs_item dec = rt_item(&m, HS_SLOT_STAGE, -1, HS_OP_GENERIC, 1, 40, 40);
    dec.phase = HS_PHASE_DECODE;
    dec.steps = 3;
    dec.context = 10;
    dec.head_rows = 1;
    dec.k.flops = dec.k.bytes = 1e5;
    hs_real_stats st0, st1;
    hs_real_stats_get(X, &st0);
    run(0, &dec);
    hs_real_stats_get(X, &st1);
    assert_true(st1.commands - st0.commands >= 3 * (1 + 16 + 2));
}

static void test_fixed_time_items(void **state)
{
    (void)state;
    /* cost: and work: items run a calibrated busy kernel on their PU. */
    hs_pu_cost costs[] = {{.pu = "cpu", .seconds = 0.004}};
    hs_item it = {.kind = HS_ITEM_KERNEL, .phase = HS_PHASE_TASK, .slot = HS_SLOT_TASK, .costs = costs, .ncosts = 1,
                  .layer = -1};
    double s;
    hs_err err;
    assert_int_equal(rl_time_item(E, 0, &it, &s, &err), 0);
    assert_true(s > 0);
    assert_int_not_equal(rl_time_item(E, 1, &it, &s, &err), 0);   /* npu is not listed */
    assert_non_null(strstr(err.msg, "no cost"));
    hs_item w = {.kind = HS_ITEM_KERNEL, .phase = HS_PHASE_TASK, .slot = HS_SLOT_TASK, .work = 0.002, .layer = -1};
    assert_int_equal(rl_time_item(E, 1, &w, &s, &err), 0);
    /* A generic op group with only FLOPs and bytes. */
    hs_item g = rt_item(NULL, HS_SLOT_TASK, -1, HS_OP_GENERIC, 1, 1, 1);
    g.k.flops = 1e6;
    g.k.bytes = 1e6;
    assert_int_equal(rl_time_item(E, 0, &g, &s, &err), 0);
}

int main(void)
{
    rt_skip_without_device();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm),
        cmocka_unit_test(test_attention),
        cmocka_unit_test(test_rmsnorm_silu_gelu),
        cmocka_unit_test(test_softmax),
        cmocka_unit_test(test_embedding),
        cmocka_unit_test(test_vector_search),
        cmocka_unit_test(test_npu_padding),
        cmocka_unit_test(test_layer_items),
        cmocka_unit_test(test_fixed_time_items),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
