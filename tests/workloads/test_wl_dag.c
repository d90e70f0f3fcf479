/* Dynamic workflow DAGs: conditional edges, loops and fan-out follow their
 * distributions, the DAG is revealed only as it is decided, streaming
 * edges release consumers early, and the same seed always gives the same
 * DAG whatever order the stages run in. */
#include "wl_test.h"

/* A one-class workload around an inline template (stages/edges text). */
static hs_workload *inline_wl(const char *params, const char *stages, const char *edges)
{
    char yaml[4096];
    snprintf(yaml, sizeof yaml,
             "requests: 1000000\nclasses:\n - name: c\n   arrival: {process: poisson, rate: 1}\n"
             "   workflow:\n     name: t\n     params: {%s}\n     stages:\n%s     edges:\n%s",
             params, stages, edges);
    return wl_from_text(yaml);
}

static hs_request *request(const hs_workload *wl, uint64_t seq, uint64_t seed)
{
    hs_err err;
    hs_arrival a = wl_arrival_of(0, seq);
    hs_request *r = hs_request_create(wl, &a, seed, &err);
    if (!r)
        fail_msg("%s", err.msg);
    return r;
}

static int count_named(const hs_request *r, const char *name)
{
    int n = 0;
    for (uint32_t i = 0; i < hs_request_nvisible(r); i++)
        n += strcmp(hs_request_node(r, i)->name, name) == 0;
    return n;
}

/* |observed - expected| within 4.5 standard deviations of a binomial. */
static void assert_binomial(int hits, int n, double p)
{
    double sd = sqrt(n * p * (1 - p));
    if (fabs(hits - n * p) > 4.5 * sd + 1e-9)
        fail_msg("%d of %d, expected %.1f +- %.1f", hits, n, n * p, 4.5 * sd);
}

enum { N = 3000 };

static void test_conditional_edges(void **state)
{
    (void)state;
    hs_workload *wl = inline_wl("",
                                "      - {name: a, kind: compute, flops: 1}\n"
                                "      - {name: b, kind: compute, flops: 1}\n"
                                "      - {name: c, kind: compute, flops: 1}\n"
                                "      - {name: d, kind: compute, flops: 1}\n",
                                "      - {from: a, to: b, p: 0.3}\n"
                                "      - {from: a, to: c, p: 0.6}\n"
                                "      - {from: b, to: d}\n");
    int b = 0, c = 0, d = 0;
    for (uint64_t i = 0; i < N; i++) {
        hs_request *r = request(wl, i, 42);
        hs_request_start(r);
        assert_int_equal(hs_request_nvisible(r), 1);   /* b, c: not decided yet */
        wl_drive(r, false);
        b += count_named(r, "b");
        c += count_named(r, "c");
        d += count_named(r, "d");
        assert_int_equal(count_named(r, "b"), count_named(r, "d"));  /* d runs only after b */
        hs_request_free(r);
    }
    assert_binomial(b, N, 0.3);
    assert_binomial(c, N, 0.6);
    assert_int_equal(b, d);
    hs_workload_free(wl);
}

static void test_loop_counts(void **state)
{
    (void)state;
    hs_workload *wl = inline_wl(
        "n: {dist: discrete, values: [1, 2, 3, 4], weights: [1, 2, 3, 4]}",
        "      - {name: r, kind: compute, flops: \"$iter + 1\"}\n"
        "      - {name: g, kind: llm, model: llama-3.2-1b, prompt: 8, output: 2}\n"
        "      - {name: out, kind: compute, flops: 1}\n",
        "      - {from: r, to: g}\n"
        "      - {from: g, to: r, loop: $n}\n"
        "      - {from: g, to: out}\n");
    int hist[5] = {0};
    for (uint64_t i = 0; i < N; i++) {
        hs_request *r = request(wl, i, 7);
        hs_request_start(r);
        /* r(0) and g(0) are known; the next iteration and `out` are not. */
        assert_int_equal(hs_request_nvisible(r), 2);
        wl_drive(r, false);
        int it = count_named(r, "g");
        assert_int_equal(count_named(r, "r"), it);
        assert_int_equal(count_named(r, "out"), 1);
        assert_true(it >= 1 && it <= 4);
        hist[it]++;
        hs_request_free(r);
    }
    for (int k = 1; k <= 4; k++)
        assert_binomial(hist[k], N, k / 10.0);
    hs_workload_free(wl);
}

/* In an iterated workflow only the last round's generation answers. */
static void test_loop_answer(void **state)
{
    (void)state;
    hs_workload *wl;
    hs_err err;
    assert_int_equal(hs_workload_load("hedrarag-irg", &wl, &err), 0);
    hs_request *r = request(wl, 0, 1);
    hs_request_start(r);
    assert_int_equal(hs_request_nvisible(r), 3);   /* round 1: encode, retrieve, generate */
    wl_drive(r, false);
    assert_int_equal(count_named(r, "generate"), 2);   /* iter_num 2 */
    int64_t prompt[2] = {0, 0};
    for (uint32_t k = 0; k < hs_request_nvisible(r); k++) {
        const hs_stage_info *s = hs_request_node(r, k);
        bool gen = strcmp(s->name, "generate") == 0;
        assert_int_equal(s->answer, gen && s->iteration == 1);
        if (gen)
            prompt[s->iteration] = s->prompt;
    }
    /* Round 2 adds a passage (128, top-k 1) and round 1's reply (128). */
    assert_int_equal(prompt[1] - prompt[0], 128 + 128);
    hs_request_free(r);
    hs_workload_free(wl);
}

static void test_loop_cap(void **state)
{
    (void)state;
    hs_workload *wl = inline_wl("",
                                "      - {name: a, kind: compute, flops: 1}\n"
                                "      - {name: b, kind: compute, flops: 1}\n",
                                "      - {from: a, to: b}\n"
                                "      - {from: b, to: a, loop: {dist: geometric, p: 0.05}, "
                                "max: 3}\n");
    int seen3 = 0;
    for (uint64_t i = 0; i < 200; i++) {
        hs_request *r = request(wl, i, 3);
        wl_drive(r, true);
        assert_true(count_named(r, "a") <= 3);
        seen3 += count_named(r, "a") == 3;
        hs_request_free(r);
    }
    assert_true(seen3 > 100);   /* P(n >= 3) = 0.95^2 */
    hs_workload_free(wl);
}

static const char *fan_stages =
    "      - {name: e, kind: llm, model: llama-3.2-1b, prompt: 16, output: \"max(1, $k * 8)\",\n"
    "         emits: $k}\n"
    "      - {name: f, kind: compute, flops: \"$item + 1\", foreach: e}\n"
    "      - {name: g, kind: compute, flops: 1, foreach: e}\n"
    "      - {name: j, kind: compute, flops: 1}\n";
static const char *fan_edges =
    "      - {from: e, to: f, stream: 8}\n"
    "      - {from: f, to: g}\n"
    "      - {from: g, to: j}\n";

static void test_fanout(void **state)
{
    (void)state;
    hs_workload *wl = inline_wl("k: {dist: discrete, values: [0, 1, 2, 3], weights: [1, 1, 1, 2]}",
                                fan_stages, fan_edges);
    int hist[4] = {0};
    for (uint64_t i = 0; i < N; i++) {
        hs_request *r = request(wl, i, 11);
        wl_drive(r, i % 2);
        int k = count_named(r, "f");
        assert_int_equal(count_named(r, "g"), k);
        assert_int_equal(count_named(r, "j"), 1);   /* a join over zero items still runs */
        hist[k]++;
        hs_request_free(r);
    }
    assert_binomial(hist[0], N, 0.2);
    assert_binomial(hist[1], N, 0.2);
    assert_binomial(hist[3], N, 0.4);
    hs_workload_free(wl);
}

/* Fan-out item i starts once the producer emitted (i + 1) x 8 tokens. */
static void test_streaming(void **state)
{
    (void)state;
    hs_workload *wl = inline_wl("k: 3", fan_stages, fan_edges);
    hs_request *r = request(wl, 0, 1);
    hs_request_start(r);
    hs_req_event ev;
    uint32_t e = UINT32_MAX;
    while (hs_request_poll(r, &ev))
        if (ev.type == HS_EV_READY)
            e = ev.node;
    assert_int_equal(hs_request_nvisible(r), 1);
    int ready_f = 0;
    hs_item it;
    while (hs_request_next_item(r, e, &it) == 1) {
        int more = hs_request_item_done(r, e);
        int64_t tokens = hs_request_node(r, e)->tokens_out;
        while (hs_request_poll(r, &ev)) {
            const hs_stage_info *s = hs_request_node(r, ev.node);
            if (ev.type == HS_EV_READY && strcmp(s->name, "f") == 0) {
                assert_int_equal(tokens, 8 * (s->item + 1));
                assert_true(more == 1 || s->item == 2);
                ready_f++;
            }
        }
        if (more == 0)
            break;
    }
    assert_int_equal(ready_f, 3);
    hs_request_free(r);
    hs_workload_free(wl);
}

/* A canonical description of the whole realized DAG. */
static void describe(hs_request *r, char *out, size_t size)
{
    char lines[64][96];
    uint32_t n = hs_request_nvisible(r);
    assert_true(n <= 64);
    for (uint32_t i = 0; i < n; i++) {
        const hs_stage_info *s = hs_request_node(r, i);
        snprintf(lines[i], sizeof lines[i], "%s/%d/%d p%lld o%lld b%lld s%lld", s->name,
                 s->iteration, s->item, (long long)s->prompt, (long long)s->output,
                 (long long)s->batch, (long long)s->seq);
    }
    qsort(lines, n, sizeof lines[0], (int (*)(const void *, const void *))strcmp);
    out[0] = 0;
    for (uint32_t i = 0; i < n; i++) {
        strncat(out, lines[i], size - strlen(out) - 2);
        strncat(out, "\n", size - strlen(out) - 1);
    }
}

static void test_determinism(void **state)
{
    (void)state;
    /* HeRo's deep researcher at stage granularity (fewer items, same DAG). */
    hs_workload *wl = wl_from_text("requests: 1\ngranularity: stage\nclasses:\n"
                                   " - {name: query, workflow: hero-researcher, "
                                   "arrival: {process: closed}}\n");
    char a[8192], b[8192];
    int differ = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        hs_request *r1 = request(wl, 0, seed), *r2 = request(wl, 0, seed);
        wl_drive(r1, false);
        wl_drive(r2, true);   /* another execution order */
        describe(r1, a, sizeof a);
        describe(r2, b, sizeof b);
        assert_string_equal(a, b);
        hs_request *r3 = request(wl, 0, seed + 1000);
        wl_drive(r3, false);
        describe(r3, b, sizeof b);
        differ += strcmp(a, b) != 0;
        hs_request_free(r1);
        hs_request_free(r2);
        hs_request_free(r3);
    }
    assert_true(differ >= 15);
    hs_workload_free(wl);
}

/* HeRo's partially observable DAG: the sub-query branches appear when the
 * rewrite streams them out. */
static void test_partial_observability(void **state)
{
    (void)state;
    hs_workload *wl;
    hs_err err;
    assert_int_equal(hs_workload_load("hero-docqa-qwen3", &wl, &err), 0);
    hs_request *r = request(wl, 0, 9);
    hs_request_start(r);
    /* chunk -> index (known), rewrite; the rest depends on the rewrite. */
    assert_int_equal(hs_request_nvisible(r), 3);
    assert_int_equal(count_named(r, "embed_query"), 0);
    assert_int_equal(count_named(r, "generate"), 0);
    wl_drive(r, false);
    int k = count_named(r, "embed_query");
    assert_true(k >= 1 && k <= 3);
    assert_int_equal(count_named(r, "search"), k);
    assert_int_equal(count_named(r, "rerank"), k);
    assert_int_equal(count_named(r, "generate"), 1);
    /* Inputs: refine joins every rerank. */
    for (uint32_t i = 0; i < hs_request_nvisible(r); i++)
        if (strcmp(hs_request_node(r, i)->name, "refine") == 0)
            assert_int_equal(hs_request_inputs(r, i, NULL, 0), (size_t)k);
    hs_request_free(r);
    hs_workload_free(wl);
}

static int grab(const hs_item *x, void *p)
{
    *(hs_item *)p = *x;
    return 0;
}

/* The HEFT paper's DAG: upward ranks from the public API match Table/Fig. 2
 * of Topcuoglu et al. (n1 108.000 ... n10 14.667). */
static void test_heft_dag(void **state)
{
    (void)state;
    hs_workload *wl;
    hs_err err;
    assert_int_equal(hs_workload_load("heft-topcuoglu", &wl, &err), 0);
    assert_int_equal(hs_workload_kind(wl), HS_WL_DAG);
    hs_request *r = request(wl, 0, 1);
    hs_request_start(r);
    assert_int_equal(hs_request_nvisible(r), 10);
    double w[10], rank[10];
    for (uint32_t i = 0; i < 10; i++) {
        hs_item it;
        const hs_stage_info *s = hs_request_node(r, i);
        char name[8];
        snprintf(name, sizeof name, "n%u", i + 1);
        assert_string_equal(s->name, name);
        if (s->state == HS_NODE_READY) {
            assert_int_equal(hs_request_next_item(r, i, &it), 1);
        } else {
            hs_request_stage_items(r, i, grab, &it);   /* not ready: walk its items */
        }
        assert_int_equal(it.ncosts, 3);
        w[i] = (it.costs[0].seconds + it.costs[1].seconds + it.costs[2].seconds) / 3;
    }
    for (int i = 9; i >= 0; i--) {
        hs_dep out[10];
        size_t n = hs_request_outputs(r, (uint32_t)i, out, 10);
        double best = 0;
        for (size_t k = 0; k < n; k++)
            best = fmax(best, out[k].comm_s + rank[out[k].node]);
        rank[i] = w[i] + best;
    }
    static const double paper[10] = {108.000, 77.000, 80.000, 80.000, 69.000,
                                     63.333, 42.667, 35.667, 44.333, 14.667};
    for (int i = 0; i < 10; i++)
        assert_true(fabs(rank[i] - paper[i]) < 0.001);
    hs_request_free(r);
    hs_workload_free(wl);
}

static void test_synthetic(void **state)
{
    (void)state;
    hs_workload *wl = wl_from_text("kind: synthetic\nrequests: 200000\nwarmup: 20000\n"
                                   "arrival: {process: poisson, rate: 0.8}\n"
                                   "service: {dist: exponential, mean: 1.0}\n");
    assert_int_equal(hs_workload_warmup(wl), 20000);
    double sum = 0, sq = 0;
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        hs_request *r = request(wl, (uint64_t)i, 5);
        hs_request_start(r);
        hs_item it;
        assert_int_equal(hs_request_next_item(r, 0, &it), 1);
        assert_int_equal(it.ncosts, 0);
        sum += it.work;
        sq += it.work * it.work;
        assert_int_equal(hs_request_item_done(r, 0), 0);
        assert_true(hs_request_finished(r));
        hs_request_free(r);
    }
    double mean = sum / n, cv = sqrt(sq / n - mean * mean) / mean;
    assert_true(fabs(mean - 1) < 0.04);
    assert_true(fabs(cv - 1) < 0.05);
    hs_workload_free(wl);
    wl = wl_from_text("kind: synthetic\nrequests: 10\narrival: {process: poisson, rate: 1}\n"
                      "service: {dist: deterministic, mean: 2.5}\n");
    hs_request *r = request(wl, 3, 5);
    hs_request_start(r);
    hs_item it;
    assert_int_equal(hs_request_next_item(r, 0, &it), 1);
    assert_true(it.work == 2.5);
    hs_request_free(r);
    hs_workload_free(wl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conditional_edges),
        cmocka_unit_test(test_loop_counts),
        cmocka_unit_test(test_loop_answer),
        cmocka_unit_test(test_loop_cap),
        cmocka_unit_test(test_fanout),
        cmocka_unit_test(test_streaming),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_partial_observability),
        cmocka_unit_test(test_heft_dag),
        cmocka_unit_test(test_synthetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
