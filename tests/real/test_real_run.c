/* End to end on the real backend: a small tiny-agentic-rag mix runs to
 * completion under every built-in policy (the same policy objects and
 * engine as the simulator, only the executor differs), at op, layer and
 * stage granularity; the overhead benchmark; validation's keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "tests/real/real_test.h"

static const char wl_yaml[] =
    "name: tiny-test\n"
    "description: a few tiny agentic RAG requests\n"
    "granularity: %s\n"
    "requests: 3\n"
    "classes:\n"
    "  - {name: ask, priority: reactive, workflow: tiny-agentic-rag,\n"
    "     params: {subqueries: 1, answer: 3, query: 8}, arrival: {process: poisson, rate: 10}}\n"
    "  - {name: research, priority: proactive, workflow: tiny-agentic-rag,\n"
    "     params: {answer: 3}, arrival: {process: poisson, rate: 5}}\n";

static hs_workload *load_wl(const char *granularity)
{
    char text[1024];
    snprintf(text, sizeof text, wl_yaml, granularity);
    hs_err err;
    hs_node *n = hs_conf_load_string(text, strlen(text), "<test workload>", &err);
    hs_workload *wl = NULL;
    if (!n || hs_workload_from_node(n, &wl, &err) != 0)
        fail_msg("%s", err.msg);
    hs_node_free(n);
    return wl;
}

static hs_hw *HW;
static hs_exec *X;

static int setup(void **state)
{
    (void)state;
    hs_err err;
    if (!(HW = hs_hw_load("pocl-cpu-2pu", &err))) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    if (!(X = hs_exec_real_create(HW, NULL, &err))) {
        fprintf(stderr, "%s\n", err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    X->ops->destroy(X);
    hs_hw_free(HW);
    return 0;
}

typedef struct counts {
    uint64_t kernels, requests;
    int pus_used[8];
} counts;

static void on_kernel(void *ctx, const hs_kernel_row *r)
{
    counts *c = ctx;
    c->kernels++;
    assert_true(r->end_s >= r->start_s && r->start_s >= r->ready_s);
    if (r->pu >= 0 && r->pu < 8)
        c->pus_used[r->pu]++;
}

static void on_request(void *ctx, const hs_request_row *r)
{
    counts *c = ctx;
    c->requests++;
    assert_true(r->latency_s > 0);
}

static void run_policy(hs_workload *wl, const hs_policy_ops *pol)
{
    hs_err err;
    counts real = {0}, sim = {0};
    hs_run_cfg cfg = {.hw = HW, .wl = wl, .policy = pol, .seed = 3, .end_time = INFINITY,
                      .sink = {.ctx = &sim, .kernel = on_kernel, .request = on_request}};
    hs_run_metrics ms, mr;
    if (hs_run(&cfg, &ms, &err) != 0) {
        /* A baseline that needs a PU kind this profile lacks refuses it. */
        if (!strstr(err.msg, "needs a PU of kind"))
            fail_msg("%s: %s", pol->name, err.msg);
        return;
    }
    cfg.exec = X;
    cfg.sink = (hs_run_sink){0};
    if (hs_real_prepare(X, &cfg, &err) != 0)
        fail_msg("%s: prepare: %s", pol->name, err.msg);
    cfg.sink = (hs_run_sink){.ctx = &real, .kernel = on_kernel, .request = on_request};
    if (hs_run(&cfg, &mr, &err) != 0)
        fail_msg("%s: %s", pol->name, err.msg);
    if (hs_real_check(X, &err) != 0)
        fail_msg("%s: %s", pol->name, err.msg);
    assert_int_equal(mr.all.requests, 3);
    assert_int_equal(real.requests, 3);
    /* The same requests, DAGs and work items as in the simulator -- unless
     * the policy batches or speculates: then what it batches together and
     * what it rolls back follow the timing, which the hardware changes (in
     * either run: the real one may batch where the simulated one did not). */
    if (ms.batches + mr.batches == 0 && ms.speculations + mr.speculations == 0) {
        assert_int_equal(real.kernels, sim.kernels);
        assert_int_equal(mr.works, ms.works);
    } else {
        assert_true(real.kernels > 0 && mr.works > 0);
    }
    assert_true(mr.makespan_s > 0 && mr.energy_j > 0);
    double busy = 0;
    for (size_t i = 0; i < mr.npus; i++)
        busy += mr.pus[i].busy_s;
    assert_true(busy > 0);
    hs_run_metrics_free(&ms);
    hs_run_metrics_free(&mr);
}

static void test_every_policy(void **state)
{
    (void)state;
    hs_workload *wl = load_wl("op");
    for (size_t i = 0; i < hs_policy_count(); i++)
        run_policy(wl, hs_policy_at(i));
    hs_workload_free(wl);
}

static void test_layer_and_stage_granularity(void **state)
{
    (void)state;
    hs_err err;
    const hs_policy_ops *fifo = hs_policy_lookup("fifo", &err), *eft = hs_policy_lookup("eft", &err);
    hs_workload *wl = load_wl("layer");
    run_policy(wl, eft);
    hs_workload_free(wl);
    wl = load_wl("stage");
    run_policy(wl, fifo);
    hs_workload_free(wl);
}

static void test_overhead_benchmark(void **state)
{
    (void)state;
    hs_err err;
    hs_workload *wl = load_wl("op");
    hs_run_cfg cfg = {.hw = HW, .wl = wl, .policy = hs_policy_lookup("eft", &err), .seed = 1, .end_time = INFINITY};
    hs_real_stats st;
    if (hs_real_bench_overhead(&cfg, &st, &err) != 0)
        fail_msg("%s", err.msg);
    assert_true(st.kernels > 100);
    assert_true(st.overhead_us > 0 && st.overhead_cpu_us > 0);
    hs_workload_free(wl);
}

static void test_validate(void **state)
{
    (void)state;
    hs_err err;
    hs_workload *wl = load_wl("op");
    hs_run_cfg cfg = {.hw = HW, .wl = wl, .policy = hs_policy_lookup("fifo", &err), .seed = 2, .end_time = INFINITY};
    hs_real_validation v;
    hs_run_metrics ms, mr;
    if (hs_real_validate(&cfg, NULL, &v, &ms, &mr, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(v.requests, 3);
    assert_true(v.kernels > 100 && v.unpaired_kernels == 0);
    assert_true(isfinite(v.mape_request_latency) && v.mape_request_latency >= 0);
    assert_true(isfinite(v.mape_kernel_latency) && v.mape_kernel_latency >= 0);
    assert_true(isfinite(v.makespan_error) && v.makespan_error >= 0);
    assert_true(v.real_makespan_s == mr.makespan_s && v.sim_makespan_s == ms.makespan_s);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    hs_real_validation_json(&v, "\"policy\": \"fifo\", ", f);
    fclose(f);
    const char *keys[] = {"\"policy\": \"fifo\"", "\"mape_request_latency\": ", "\"mape_kernel_latency\": ",
                          "\"makespan_error\": ", "\"overhead_us_per_kernel\": ", "\"requests\": 3"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (!strstr(buf, keys[i]))
            fail_msg("validation JSON lacks %s: %s", keys[i], buf);
    assert_true(buf[0] == '{' && strstr(buf, "}\n"));
    free(buf);
    hs_real_validation_free(&v);
    hs_run_metrics_free(&ms);
    hs_run_metrics_free(&mr);
    hs_workload_free(wl);
}

int main(void)
{
    rt_skip_without_device();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_policy),
        cmocka_unit_test(test_layer_and_stage_granularity),
        cmocka_unit_test(test_overhead_benchmark),
        cmocka_unit_test(test_validate),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
