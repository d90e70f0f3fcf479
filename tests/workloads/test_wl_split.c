/* Split and batch rules: parts sum to the whole (FLOPs exactly; bytes by
 * the documented duplication), batched items cost their batched shape. */
#include "wl_test.h"

static hs_model model(const char *name)
{
    hs_model m;
    hs_err err;
    if (hs_model_load(name, &m, &err) < 0)
        fail_msg("%s", err.msg);
    return m;
}

typedef struct pick {
    hs_phase phase;
    hs_slot slot;
    int32_t layer;
    int64_t context;   /* -1 any */
    hs_item it;
    bool found;
} pick;

static int pick_fn(const hs_item *it, void *p)
{
    pick *k = p;
    if (it->phase == k->phase && it->slot == k->slot && it->layer == k->layer &&
        (k->context < 0 || it->context == k->context)) {
        k->it = *it;
        k->found = true;
        return 1;
    }
    return 0;
}

/* An item of an LLM call (prompt P, output G) at granularity g. */
static hs_item llm_item(const hs_model *m, int64_t P, int64_t G, hs_granularity g, hs_phase ph,
                        hs_slot slot, int32_t layer, int64_t ctx)
{
    pick k = {ph, slot, layer, ctx, {0}, false};
    hs_lower_llm(m, m->quant, 0, P, G, g, pick_fn, &k);
    if (!k.found)
        fail_msg("no %s item", hs_slot_name(slot));
    return k.it;
}

static void assert_rel(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol * fabs(want)))
        fail_msg("got %.10g, want %.10g", got, want);
}

typedef struct total {
    double flops, bytes, weights, in, out, kv;
} total;

static total sum(const hs_item *parts, size_t n)
{
    total t = {0};
    for (size_t i = 0; i < n; i++) {
        t.flops += parts[i].k.flops;
        t.bytes += parts[i].k.bytes;
        t.weights += parts[i].parts.weights;
        t.in += parts[i].parts.in;
        t.out += parts[i].parts.out;
        t.kv += parts[i].parts.kv;
    }
    return t;
}

static void test_rows_split(void **state)
{
    (void)state;
    hs_model m = model("llama-3.1-8b");
    hs_item it = llm_item(&m, 64, 4, HS_GRAN_OP, HS_PHASE_DECODE, HS_SLOT_GATE_UP, 3, -1);
    int64_t ext = hs_item_split_extent(&it, HS_SPLIT_ROWS);
    assert_int_equal(ext, 2 * 14336);
    int64_t sizes[3] = {10000, 10000, ext - 20000};
    hs_item parts[3];
    hs_err err;
    assert_int_equal(hs_item_split(&it, HS_SPLIT_ROWS, sizes, 3, parts, &err), 0);
    total t = sum(parts, 3);
    assert_rel(t.flops, it.k.flops, 1e-12);
    assert_rel(t.weights, it.parts.weights, 1e-12);
    assert_rel(t.out, it.parts.out, 1e-12);
    assert_rel(t.in, 3 * it.parts.in, 1e-12);   /* every part reads the whole input */
    assert_int_equal(parts[0].k.n, 10000);
    /* A part is costed as its own shape. */
    double f, b;
    assert_int_equal(hs_kernel_shape_cost(&parts[2].k, &f, &b), 0);
    assert_rel(parts[2].k.flops, f, 1e-12);
    assert_rel(parts[2].k.bytes, b, 1e-12);
    /* Heads of attention. */
    hs_item at = llm_item(&m, 64, 4, HS_GRAN_OP, HS_PHASE_DECODE, HS_SLOT_ATTN, 0, -1);
    assert_int_equal(hs_item_split_extent(&at, HS_SPLIT_ROWS), 32);
    int64_t hs[2] = {8, 24};
    assert_int_equal(hs_item_split(&at, HS_SPLIT_ROWS, hs, 2, parts, &err), 0);
    t = sum(parts, 2);
    assert_rel(t.flops, at.k.flops, 1e-12);
    assert_rel(t.kv, at.parts.kv, 1e-12);
}

/* Chunked prefill: chunk i attends to everything before it. */
static void test_sequence_split(void **state)
{
    (void)state;
    hs_model m = model("llama-3.2-3b");
    hs_err err;
    hs_item parts[4];
    hs_item at = llm_item(&m, 1000, 1, HS_GRAN_OP, HS_PHASE_PREFILL, HS_SLOT_ATTN, 2, -1);
    int64_t sizes[4] = {256, 256, 256, 232};
    assert_int_equal(hs_item_split_extent(&at, HS_SPLIT_SEQ), 1000);
    assert_int_equal(hs_item_split(&at, HS_SPLIT_SEQ, sizes, 4, parts, &err), 0);
    total t = sum(parts, 4);
    assert_rel(t.flops, at.k.flops, 1e-12);     /* the causal triangle, cut in slices */
    assert_int_equal(parts[3].context, 768);
    assert_int_equal(parts[3].k.n, 1000);
    assert_true(t.kv > at.parts.kv);            /* earlier keys are read again */
    /* A projection chunk reads the weights again. */
    hs_item q = llm_item(&m, 1000, 1, HS_GRAN_OP, HS_PHASE_PREFILL, HS_SLOT_QKV, 2, -1);
    assert_int_equal(hs_item_split(&q, HS_SPLIT_SEQ, sizes, 4, parts, &err), 0);
    t = sum(parts, 4);
    assert_rel(t.flops, q.k.flops, 1e-12);
    assert_rel(t.weights, 4 * q.parts.weights, 1e-12);
    assert_rel(t.in + t.out, q.parts.in + q.parts.out, 1e-12);
    /* A whole prefill at stage granularity: logits and token 1 in the last chunk. */
    hs_item st = llm_item(&m, 1000, 1, HS_GRAN_STAGE, HS_PHASE_PREFILL, HS_SLOT_STAGE, -1, -1);
    assert_int_equal(st.emits, 1);
    assert_int_equal(hs_item_split(&st, HS_SPLIT_SEQ, sizes, 4, parts, &err), 0);
    t = sum(parts, 4);
    assert_rel(t.flops, st.k.flops, 1e-12);
    assert_int_equal(parts[0].emits + parts[1].emits + parts[2].emits, 0);
    assert_int_equal(parts[3].emits, 1);
    assert_int_equal(parts[0].head_rows, 0);
    assert_int_equal(parts[3].head_rows, 1);
}

static void test_batch_and_cluster_split(void **state)
{
    (void)state;
    hs_err err;
    hs_model e = model("bge-large-en-v1.5");
    pick k = {HS_PHASE_ENCODE, HS_SLOT_STAGE, -1, -1, {0}, false};
    hs_lower_encode(&e, HS_QUANT_INT8, 8, 128, false, HS_GRAN_STAGE, pick_fn, &k);
    assert_true(k.found);
    assert_int_equal(hs_item_split_extent(&k.it, HS_SPLIT_BATCH), 8);
    int64_t sizes[2] = {5, 3};
    hs_item parts[4];
    assert_int_equal(hs_item_split(&k.it, HS_SPLIT_BATCH, sizes, 2, parts, &err), 0);
    total t = sum(parts, 2);
    assert_rel(t.flops, k.it.k.flops, 1e-12);
    assert_rel(t.weights, 2 * k.it.parts.weights, 1e-12);
    /* IVF lists: a search workload's scan item. */
    hs_workload *wl = wl_from_text(
        "requests: 1\nclasses:\n - name: q\n   arrival: {process: poisson, rate: 1}\n"
        "   workflow:\n     name: s\n     stages:\n"
        "      - {name: r, kind: vector_search, queries: 1,\n"
        "         index: {type: ivf, vectors: 4096000, dim: 1024, nlist: 4096, nprobe: 256}}\n");
    hs_arrival a = wl_arrival_of(0, 0);
    hs_request *r = hs_request_create(wl, &a, 5, &err);
    assert_non_null(r);
    hs_request_start(r);
    hs_item coarse, scan;
    assert_int_equal(hs_request_next_item(r, 0, &coarse), 1);
    assert_int_equal(coarse.slot, HS_SLOT_IVF_COARSE);
    assert_rel(coarse.k.flops, 2.0 * 4096 * 1024, 1e-12);
    assert_int_equal(hs_request_item_done(r, 0), 1);
    assert_int_equal(hs_request_next_item(r, 0, &scan), 1);
    assert_int_equal(scan.slot, HS_SLOT_SCAN);
    assert_int_equal(hs_item_split_extent(&scan, HS_SPLIT_CLUSTERS), 256);
    /* 256 lists of 1000 vectors, fp32: flops 2 x 256000 x 1024. */
    assert_rel(scan.k.flops, 2.0 * 256000 * 1024, 1e-12);
    assert_rel(scan.parts.weights, 256000.0 * 1024 * 4, 1e-12);
    int64_t cl[4] = {64, 64, 64, 64};
    assert_int_equal(hs_item_split(&scan, HS_SPLIT_CLUSTERS, cl, 4, parts, &err), 0);
    t = sum(parts, 4);
    assert_rel(t.flops, scan.k.flops, 1e-12);
    assert_rel(t.bytes, 4 * scan.parts.in + scan.parts.weights, 1e-12);
    assert_int_equal(hs_request_item_done(r, 0), 0);
    hs_request_free(r);
    hs_workload_free(wl);
}

/* Decode steps of four requests at different contexts, batched. */
static void test_batched_decode(void **state)
{
    (void)state;
    hs_model m = model("llama-3.2-1b");
    hs_err err;
    hs_item q[4], at[4], out;
    const hs_item *pq[4], *pa[4];
    for (int i = 0; i < 4; i++) {
        q[i] = llm_item(&m, 50 + 30 * i, 3, HS_GRAN_OP, HS_PHASE_DECODE, HS_SLOT_QKV, 5, -1);
        at[i] = llm_item(&m, 50 + 30 * i, 3, HS_GRAN_OP, HS_PHASE_DECODE, HS_SLOT_ATTN, 5, -1);
        pq[i] = &q[i];
        pa[i] = &at[i];
        assert_true(hs_item_batchable(&q[0], &q[i]));
    }
    assert_int_equal(hs_item_batch(pq, 4, &out, &err), 0);
    assert_int_equal(out.k.m, 4);
    assert_true(out.batched);
    double f, b;
    assert_int_equal(hs_kernel_shape_cost(&out.k, &f, &b), 0);
    assert_rel(out.k.flops, f, 1e-12);       /* exactly the [4, k] x [k, n] GEMM */
    assert_rel(out.k.bytes, b, 1e-12);
    assert_rel(out.parts.weights, q[0].parts.weights, 1e-12);   /* weights read once */
    assert_true(out.k.bytes < 4 * q[0].k.bytes / 3);
    /* Attention shares nothing: the sum of the parts. */
    assert_int_equal(hs_item_batch(pa, 4, &out, &err), 0);
    double kv = 0, fl = 0;
    for (int i = 0; i < 4; i++)
        kv += at[i].parts.kv, fl += at[i].k.flops;
    assert_rel(out.parts.kv, kv, 1e-12);
    assert_rel(out.k.flops, fl, 1e-12);
    assert_int_equal(out.k.batch, 4 * 32);
    /* A batched item splits only by weight rows (each part covers every
     * member); other layers, slots, models do not batch. */
    assert_int_equal(hs_item_split_extent(&out, HS_SPLIT_ROWS), m.heads);   /* attention: its heads */
    assert_int_equal(hs_item_split_extent(&out, HS_SPLIT_SEQ), 0);
    assert_int_equal(hs_item_split_extent(&out, HS_SPLIT_BATCH), 0);
    hs_item other = llm_item(&m, 50, 3, HS_GRAN_OP, HS_PHASE_DECODE, HS_SLOT_QKV, 6, -1);
    assert_false(hs_item_batchable(&q[0], &other));
    assert_false(hs_item_batchable(&q[0], &at[0]));
    hs_model m3 = model("llama-3.2-3b");
    hs_item q3 = llm_item(&m3, 50, 3, HS_GRAN_OP, HS_PHASE_DECODE, HS_SLOT_QKV, 5, -1);
    assert_false(hs_item_batchable(&q[0], &q3));
    const hs_item *mixed[2] = {&q[0], &q3};
    assert_int_equal(hs_item_batch(mixed, 2, &out, &err), -1);
    /* A prefill chunk batches with decode steps (mixed batching). */
    hs_item pf = llm_item(&m, 64, 3, HS_GRAN_OP, HS_PHASE_PREFILL, HS_SLOT_QKV, 5, -1);
    assert_true(hs_item_batchable(&q[0], &pf));
}

static void test_split_errors(void **state)
{
    (void)state;
    hs_model m = model("llama-3.2-1b");
    hs_err err;
    hs_item parts[2];
    hs_item it = llm_item(&m, 64, 3, HS_GRAN_OP, HS_PHASE_DECODE, HS_SLOT_O, 1, -1);
    int64_t bad[2] = {100, 100};
    assert_int_equal(hs_item_split(&it, HS_SPLIT_ROWS, bad, 2, parts, &err), -1);
    assert_contains(err.msg, "sum to 200");
    assert_int_equal(hs_item_split_extent(&it, HS_SPLIT_SEQ), 1);   /* one decode token */
    assert_int_equal(hs_item_split_extent(&it, HS_SPLIT_CLUSTERS), 0);
    assert_int_equal(hs_item_split(&it, HS_SPLIT_CLUSTERS, bad, 2, parts, &err), -1);
    assert_contains(err.msg, "cannot be split");
    int64_t zero[2] = {0, 2048};
    assert_int_equal(hs_item_split(&it, HS_SPLIT_ROWS, zero, 2, parts, &err), -1);
    /* The whole decode at stage granularity is not a kernel to split by sequence. */
    hs_item dec = llm_item(&m, 64, 30, HS_GRAN_STAGE, HS_PHASE_DECODE, HS_SLOT_STAGE, -1, -1);
    assert_int_equal(dec.steps, 29);
    assert_int_equal(dec.emits, 29);
    assert_int_equal(hs_item_split_extent(&dec, HS_SPLIT_SEQ), 0);
    assert_int_equal(dec.batch_key, 0);
    assert_string_equal(hs_split_axis_name(HS_SPLIT_CLUSTERS), "clusters");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rows_split),
        cmocka_unit_test(test_sequence_split),
        cmocka_unit_test(test_batch_and_cluster_split),
        cmocka_unit_test(test_batched_decode),
        cmocka_unit_test(test_split_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
