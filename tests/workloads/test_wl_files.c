/* Workload and workflow files: every built-in one loads and its first
 * requests run to the end; the plain `dag` and `synthetic` examples
 * parse as written; mistakes get "PATH:LINE:COL: error:" messages. */
#include "wl_test.h"

static void run_first(const char *name, const char *path, void *ctx)
{
    (void)path;
    hs_workload *wl;
    hs_err err;
    if (hs_workload_load(name, &wl, &err) < 0)
        fail_msg("%s: %s", name, err.msg);
    assert_string_equal(hs_workload_name(wl), name);
    hs_gen *g = hs_gen_create(wl, 1, &err);
    assert_non_null(g);
    for (int i = 0; i < 3; i++) {
        hs_arrival a;
        int rc = hs_gen_next(g, &a, &err);
        if (rc == HS_GEN_WAIT || rc == HS_GEN_END)
            break;
        assert_int_equal(rc, HS_GEN_READY);
        hs_request *r = hs_request_create(wl, &a, 1, &err);
        if (!r)
            fail_msg("%s: %s", name, err.msg);
        assert_true(wl_drive(r, i % 2) > 0);
        hs_gen_request_done(g, &a, a.time + 1);
        hs_request_free(r);
    }
    hs_gen_free(g);
    hs_workload_free(wl);
    (*(int *)ctx)++;
}

static void test_builtin_workloads(void **state)
{
    (void)state;
    int n = 0;
    hs_conf_list_builtin(HS_WL_DIR, run_first, &n);
    assert_true(n >= 19);
}

static void check_flow(const char *name, const char *path, void *ctx)
{
    (void)path;
    char desc[256];
    hs_err err;
    if (hs_workflow_check(name, desc, sizeof desc, &err) < 0)
        fail_msg("%s: %s", name, err.msg);
    assert_true(strlen(desc) > 10);
    (*(int *)ctx)++;
}

static void test_builtin_workflows(void **state)
{
    (void)state;
    int n = 0;
    hs_conf_list_builtin(HS_WL_WORKFLOWS_DIR, check_flow, &n);
    /* llm, HeRo x3, Agent.xpu x2, HeteroLLM, HedraRAG x5 */
    assert_true(n >= 12);
}

/* The plain kinds, as workloads/README.md documents them. */
static void test_design_examples(void **state)
{
    (void)state;
    hs_workload *wl = wl_from_text(
        "kind: dag                      # a static task graph, e.g. a textbook scheduling example\n"
        "tasks:  [{name: n1, cost: {P1: 14, P2: 16, P3: 9}}, {name: n2, work: 3}]\n"
        "edges:  [{from: n1, to: n2, comm: 18}]   # comm time is paid only when ...\n");
    assert_int_equal(hs_workload_kind(wl), HS_WL_DAG);
    assert_int_equal(hs_workload_max_requests(wl), 1);
    hs_err err;
    hs_gen *g = hs_gen_create(wl, 1, &err);
    hs_arrival a;
    assert_int_equal(hs_gen_next(g, &a, &err), HS_GEN_READY);
    assert_true(a.time == 0);
    hs_request *r = hs_request_create(wl, &a, 1, &err);
    hs_request_start(r);
    hs_dep d[2];
    assert_int_equal(hs_request_inputs(r, 1, d, 2), 1);
    assert_true(d[0].comm_s == 18);
    hs_item it;
    assert_int_equal(hs_request_next_item(r, 0, &it), 1);
    assert_int_equal(it.ncosts, 3);
    assert_string_equal(it.costs[2].pu, "P3");
    assert_int_equal(hs_request_item_done(r, 0), 0);
    assert_int_equal(hs_request_next_item(r, 1, &it), 1);
    assert_true(it.work == 3);
    hs_request_free(r);
    assert_int_equal(hs_gen_next(g, &a, &err), HS_GEN_END);
    hs_gen_free(g);
    hs_workload_free(wl);
    wl = wl_from_text(
        "kind: synthetic                # independent single-item requests, for queueing checks\n"
        "requests: 200000\n"
        "warmup: 20000                  # first requests left out of the metrics\n"
        "arrival: {process: poisson, rate: 0.8}          # per second; also ...\n"
        "service: {dist: exponential, mean: 1.0}         # also deterministic, ...\n");
    assert_int_equal(hs_workload_kind(wl), HS_WL_SYNTHETIC);
    assert_int_equal(hs_workload_max_requests(wl), 200000);
    hs_workload_free(wl);
}

static void expect_error(const char *yaml, const char *where, const char *what)
{
    hs_err err;
    wl_text_error(yaml, &err);
    assert_contains(err.msg, where);
    assert_contains(err.msg, what);
}

#define CLASS(wf) "requests: 3\nclasses:\n - name: c\n   arrival: {process: poisson, rate: 1}\n" wf

static void test_workload_errors(void **state)
{
    (void)state;
    expect_error("requests: 3\nclases: []\n", "<test>:2:1: error:", "did you mean 'classes'");
    expect_error("requests: 3\nkind: dga\n", "<test>:2:", "dag");
    expect_error(CLASS("   workflow: hero-docqq\n"), "<test>:5:", "hero-docqa");
    expect_error(CLASS("   workflow: hero-docqa\n   params: {top_kk: 3}\n"), "<test>:6:",
                 "did you mean 'top_k'");
    expect_error(CLASS("   workflow: hero-docqa\n   params: {top_k: qwen3-4b}\n"), "<test>:6:",
                 "takes a number");
    expect_error(CLASS("   workflow: hero-docqa\n   params: {chat_model: 4}\n"), "<test>:6:",
                 "takes a name");
    expect_error(CLASS("   params: {model: llama-9b}\n"), "<test>:5:", "unknown model 'llama-9b'");
    expect_error(CLASS("   tokens: {prompt: 10, outptu: 3}\n"), "<test>:5:",
                 "did you mean 'output'");
    expect_error(CLASS("   quant: w3a16\n"), "<test>:", "w3a16");
    expect_error("requests: 3\nclasses:\n - {name: a, arrival: {process: poisson, rate: 1}}\n"
                 " - {name: a, arrival: {process: poisson, rate: 1}}\n",
                 "<test>:4:", "duplicate class name");
    expect_error("kind: synthetic\nrequests: 10\nwarmup: 10\narrival: {process: poisson, "
                 "rate: 1}\nservice: 1\n", "<test>:3:", "warmup");
    expect_error("kind: synthetic\nrequests: 10\narrival: {process: poisson, rate: 1}\n",
                 "<test>", "service");
    expect_error("kind: llm\nrequests: 3\narrival: {process: poisson, rate: 1}\n", "<test>",
                 "model");
    expect_error("requests: 3\ngranularity: token\nclasses: []\n", "<test>:2:", "layer");
}

static void test_dag_errors(void **state)
{
    (void)state;
    expect_error("kind: dag\ntasks: [{name: a, cost: {P1: 1}}, {name: b, cost: {P1: 1}}]\n"
                 "edges: [{from: a, to: b}, {from: b, to: a}]\n", "<test>:3:", "cycle");
    expect_error("kind: dag\ntasks: [{name: a, cost: {P1: 1}}]\nedges: [{from: a, to: c}]\n",
                 "<test>:3:", "no task named 'c'");
    expect_error("kind: dag\ntasks: [{name: a}]\n", "<test>:2:", "give 'cost'");
    expect_error("kind: dag\ntasks: [{name: a, cost: {P1: -1}}]\n", "<test>:2:", "");
    expect_error("kind: dag\ntasks: [{name: a, work: 1}, {name: a, work: 2}]\n", "<test>:2:",
                 "duplicate task");
}

#define FLOW(body) CLASS("   workflow:\n     name: t\n" body)

static void test_template_errors(void **state)
{
    (void)state;
    expect_error(FLOW("     stages:\n      - {name: a, kind: compute, flops: 1}\n"
                      "      - {name: b, kind: compute, flops: 1}\n"
                      "     edges: [{from: a, to: b}, {from: b, to: a}]\n"),
                 "error:", "cycle");
    expect_error(FLOW("     stages:\n      - {name: a, kind: compute, flops: 1}\n"
                      "      - {name: b, kind: compute, flops: 1}\n"
                      "     edges: [{from: a, to: b, loop: 2}]\n"),
                 "<test>:10:", "must go back");
    expect_error(FLOW("     stages:\n      - {name: a, kind: compute, flops: 1}\n"
                      "      - {name: b, kind: compute, flops: 1, foreach: a}\n"
                      "     edges: [{from: a, to: b}]\n"),
                 "<test>:9:", "has no 'emits'");
    expect_error(FLOW("     stages:\n      - {name: a, kind: compute, flops: 1}\n"
                      "      - {name: b, kind: compute, flops: 1}\n"
                      "     edges: [{from: a, to: b, stream: 4}]\n"),
                 "<test>:10:", "only an llm stage");
    expect_error(FLOW("     stages:\n      - {name: a, kind: compute, flops: \"$nope * 2\"}\n"),
                 "<test>:8:", "unknown parameter '$nope'");
    expect_error(FLOW("     stages:\n      - {name: a, kind: compute, flops: \"2 *\"}\n"),
                 "<test>:8:", "in expression");
    expect_error(FLOW("     stages:\n      - {name: a, kind: llm, prompt: 1, output: 1}\n"),
                 "<test>:8:", "missing key 'model'");
    expect_error(FLOW("     stages:\n      - {name: a, kind: embed, model: bge-large-en-v1.5, "
                      "batch: 1, seqq: 4}\n"), "<test>:8:", "did you mean 'seq'");
    expect_error(FLOW("     stages:\n      - {name: a, kind: compute, flops: 1}\n"
                      "     edges: [{from: a, to: z}]\n"), "<test>:9:", "no stage named 'z'");
    expect_error(FLOW("     stages:\n      - {name: a, kind: vector_search, "
                      "index: {type: ivf, vectors: 10, dim: 4}}\n"), "<test>:8:", "nlist");
    expect_error(FLOW("     stages:\n      - {name: a, kind: compute, flops: 1}\n"
                      "      - {name: a, kind: compute, flops: 1}\n"), "<test>:9:", "duplicate");
    expect_error(FLOW("     params: {x: \"$y + 1\", y: 2}\n"
                      "     stages:\n      - {name: a, kind: compute, flops: $x}\n"),
                 "<test>:7:", "unknown parameter '$y'");   /* params read earlier params only */
}

/* An inline template with params, overridden by the class. */
static void test_inline_and_overrides(void **state)
{
    (void)state;
    hs_workload *wl = wl_from_text(
        CLASS("   params: {n: 7}\n"
              "   workflow:\n     name: t\n     params: {n: 3, m: \"$n * 10\"}\n"
              "     stages:\n      - {name: a, kind: llm, model: qwen3-4b, prompt: $m, "
              "output: \"$n + 1\"}\n"));
    hs_err err;
    hs_arrival a = wl_arrival_of(0, 0);
    hs_request *r = hs_request_create(wl, &a, 1, &err);
    hs_request_start(r);
    assert_int_equal(hs_request_node(r, 0)->prompt, 70);
    assert_int_equal(hs_request_node(r, 0)->output, 8);
    assert_ptr_equal(hs_request_node(r, 0)->model->name, hs_request_node(r, 0)->model->name);
    assert_string_equal(hs_request_node(r, 0)->model->name, "qwen3-4b");
    assert_int_equal(hs_request_node(r, 0)->quant, HS_QUANT_INT8);   /* the model's default */
    hs_request_free(r);
    hs_workload_free(wl);
    /* The HeRo BGE + Llama family swaps the four models. */
    assert_int_equal(hs_workload_load("hero-finder-llama", &wl, &err), 0);
    r = hs_request_create(wl, &a, 1, &err);
    wl_drive(r, false);
    for (uint32_t i = 0; i < hs_request_nvisible(r); i++) {
        const hs_stage_info *s = hs_request_node(r, i);
        if (strcmp(s->name, "generate") == 0)
            assert_string_equal(s->model->name, "llama-3.1-8b");
        if (strcmp(s->name, "rerank") == 0)
            assert_string_equal(s->model->name, "bge-reranker-large");
        if (s->model)
            assert_int_equal(s->quant, HS_QUANT_INT8);
    }
    hs_request_free(r);
    hs_workload_free(wl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_builtin_workloads),
        cmocka_unit_test(test_builtin_workflows),
        cmocka_unit_test(test_design_examples),
        cmocka_unit_test(test_workload_errors),
        cmocka_unit_test(test_dag_errors),
        cmocka_unit_test(test_template_errors),
        cmocka_unit_test(test_inline_and_overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
