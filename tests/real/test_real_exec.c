/* The OpenCL executor's mechanics through the executor interface: timers in
 * time order (FIFO at equal times) and cancellation, completions merged with
 * timers in time order and delivered in the run() thread, callbacks that
 * start kernels and set timers, stop() and end_time, busy time and energy,
 * the bandwidth estimate; clear errors (no such device, a kernel that does
 * not build, out of device memory); the profiler's robust statistics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "tests/real/real_test.h"

typedef struct tlog {
    hs_exec *x;
    int n;
    char what[64][16];
    double t[64];
    int items_started;
    hs_item spin;
    bool stop_on_kernel;
    double bw_seen;
} tlog;

static void note(tlog *l, const char *what)
{
    if (l->n < 64) {
        snprintf(l->what[l->n], sizeof l->what[l->n], "%s", what);
        l->t[l->n++] = l->x->ops->now(l->x);
    }
}

static void on_done(void *engine, void *token)
{
    tlog *l = engine;
    char buf[16];
    snprintf(buf, sizeof buf, "k%d", (int)(intptr_t)token);
    note(l, buf);
    if (l->stop_on_kernel)
        l->x->ops->stop(l->x);
}

static void on_timer(void *engine, uint64_t arg)
{
    tlog *l = engine;
    char buf[16];
    snprintf(buf, sizeof buf, "t%d", (int)arg);
    note(l, buf);
    hs_err err;
    if (arg == 50) {   /* a timer that starts a kernel and sets another timer */
        assert_int_equal(l->x->ops->start(l->x, 0, &l->spin, 0, (void *)(intptr_t)7, &err), 0);
        assert_non_null(l->x->ops->at(l->x, l->x->ops->now(l->x), on_timer, 51));
    }
    if (arg == 60)
        l->bw_seen = l->x->ops->bw_used(l->x, 0);
}

static hs_hw *HW;
static hs_exec *X;

static int setup(void **state)
{
    (void)state;
    HW = rt_hw(rt_hw_yaml);
    hs_err err;
    X = hs_exec_real_create(HW, NULL, &err);
    if (!X) {
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

static hs_item spin_item(double seconds)
{
    static hs_pu_cost cost[2];
    cost[0] = (hs_pu_cost){.pu = "cpu", .seconds = seconds};
    cost[1] = (hs_pu_cost){.pu = "npu", .seconds = seconds};
    hs_item it = {.kind = HS_ITEM_KERNEL, .phase = HS_PHASE_TASK, .slot = HS_SLOT_TASK, .costs = cost, .ncosts = 2,
                  .layer = -1};
    return it;
}

static void test_timers(void **state)
{
    (void)state;
    tlog l = {.x = X};
    X->ops->bind(X, on_done, &l);
    assert_true(X->ops->now(X) == 0);
    X->ops->at(X, 0.004, on_timer, 3);
    X->ops->at(X, 0.001, on_timer, 1);
    X->ops->at(X, 0.002, on_timer, 2);
    X->ops->at(X, 0.002, on_timer, 22);   /* same time: after 2 */
    hs_event *c = X->ops->at(X, 0.003, on_timer, 99);
    X->ops->cancel(X, c);
    uint64_t n = X->ops->run(X, INFINITY, 0);
    assert_int_equal(n, 4);
    assert_int_equal(l.n, 4);
    const char *order[] = {"t1", "t2", "t22", "t3"};
    const double at[] = {0.001, 0.002, 0.002, 0.004};
    for (int i = 0; i < 4; i++) {
        assert_string_equal(l.what[i], order[i]);
        assert_true(l.t[i] == at[i]);   /* now() is the event's time while it is handled */
    }
    assert_int_equal(X->ops->run(X, INFINITY, 0), 0);   /* nothing left */
}

static void test_completions_and_timers(void **state)
{
    (void)state;
    tlog l = {.x = X, .spin = spin_item(0.002)};
    X->ops->bind(X, on_done, &l);
    hs_item long_spin = spin_item(0.03);
    hs_err err;
    assert_int_equal(X->ops->start(X, 0, &long_spin, 0, (void *)(intptr_t)1, &err), 0);
    X->ops->at(X, 0.0005, on_timer, 10);
    X->ops->at(X, 0.5, on_timer, 50);   /* starts kernel 7, then timer 51 */
    uint64_t n = X->ops->run(X, INFINITY, 0);
    assert_int_equal(n, 5);
    const char *order[] = {"t10", "k1", "t50", "t51", "k7"};
    for (int i = 0; i < 5; i++)
        assert_string_equal(l.what[i], order[i]);
    for (int i = 1; i < 5; i++)
        assert_true(l.t[i] >= l.t[i - 1]);   /* the clock never goes back */
    assert_true(l.t[1] > 0.01 && l.t[1] < 0.5);
    assert_true(l.t[2] == 0.5 && l.t[4] > 0.5);
    double busy, energy;
    X->ops->pu_stats(X, 0, &busy, &energy);
    assert_true(busy > 0.025 && busy <= l.t[4]);
    double now = X->ops->now(X);
    assert_true(fabs(energy - (busy * HW->pus[0].power_active_w + (now - busy) * HW->pus[0].power_idle_w)) < 1e-9);
    X->ops->pu_stats(X, 1, &busy, &energy);
    assert_true(busy == 0);
    hs_real_stats st;
    hs_real_stats_get(X, &st);
    assert_int_equal(st.kernels, 2);
    assert_true(st.overhead_us > 0);
}

static void test_stop_and_end_time(void **state)
{
    (void)state;
    tlog l = {.x = X, .stop_on_kernel = true};
    X->ops->bind(X, on_done, &l);
    hs_item a = spin_item(0.002), b = spin_item(0.004);
    hs_err err;
    assert_int_equal(X->ops->start(X, 0, &a, 0, (void *)(intptr_t)1, &err), 0);
    assert_int_equal(X->ops->start(X, 1, &b, 0, (void *)(intptr_t)2, &err), 0);
    X->ops->at(X, 5.0, on_timer, 5);
    /* stop() in the first completion: run returns, the rest stays. */
    assert_int_equal(X->ops->run(X, INFINITY, 0), 1);
    assert_int_equal(l.n, 1);
    l.stop_on_kernel = false;
    /* end_time: the second kernel comes, the timer at 5 s does not. */
    X->ops->run(X, 1.0, 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.what[1], strcmp(l.what[0], "k1") == 0 ? "k2" : "k1");
    /* An event budget. */
    X->ops->at(X, X->ops->now(X), on_timer, 6);
    X->ops->at(X, X->ops->now(X), on_timer, 7);
    assert_int_equal(X->ops->run(X, 1.0, 1), 1);
    assert_string_equal(l.what[2], "t6");
    /* Rebinding (a new run) drops what is left: t7 and the 5 s timer. */
    X->ops->bind(X, on_done, &l);
    assert_int_equal(X->ops->run(X, INFINITY, 0), 0);
}

static void test_bandwidth_estimate(void **state)
{
    (void)state;
    hs_model m = rt_model(HS_ARCH_DECODER);
    hs_item g = rt_item(&m, HS_SLOT_GATE_UP, 0, HS_OP_GEMM, 64, 104, 40);
    tlog l = {.x = X};
    X->ops->bind(X, on_done, &l);
    hs_err err;
    assert_int_equal(X->ops->start(X, 0, &g, 0, (void *)(intptr_t)1, &err), 0);
    X->ops->at(X, 0, on_timer, 60);   /* handled while the GEMM runs */
    X->ops->run(X, INFINITY, 0);
    assert_true(l.bw_seen > 0);
    assert_true(X->ops->bw_used(X, 0) == 0);   /* nothing runs any more */
    assert_true(X->ops->dram_energy(X) >= 0);
}

static void test_errors(void **state)
{
    (void)state;
    hs_err err;
    /* A profile with more PUs than the machine has devices for. */
    hs_hw *gpu = rt_hw("name: g\ndescription: d\nmemory: {bandwidth_gbps: 1}\n"
                       "pus: [{name: gpu, kind: gpu, peak_tflops: {fp32: 1}},"
                       " {name: gpu2, kind: gpu, peak_tflops: {fp32: 1}},"
                       " {name: gpu3, kind: gpu, peak_tflops: {fp32: 1}},"
                       " {name: gpu4, kind: gpu, peak_tflops: {fp32: 1}},"
                       " {name: gpu5, kind: gpu, peak_tflops: {fp32: 1}},"
                       " {name: gpu6, kind: gpu, peak_tflops: {fp32: 1}},"
                       " {name: gpu7, kind: gpu, peak_tflops: {fp32: 1}},"
                       " {name: gpu8, kind: gpu, peak_tflops: {fp32: 1}},"
                       " {name: gpu9, kind: gpu, peak_tflops: {fp32: 1}}]\n");
    assert_null(hs_exec_real_create(gpu, NULL, &err));
    assert_non_null(strstr(err.msg, "GPU"));
    assert_non_null(strstr(err.msg, "hetsoc profile"));
    hs_hw_free(gpu);
    hs_hw *many = rt_hw("name: c\ndescription: d\nmemory: {bandwidth_gbps: 1}\n"
                        "pus: [{name: c1, kind: cpu, peak_tflops: {fp32: 1}}, {name: c2, kind: cpu, peak_tflops: {fp32: 1}},"
                        " {name: c3, kind: cpu, peak_tflops: {fp32: 1}}, {name: c4, kind: cpu, peak_tflops: {fp32: 1}},"
                        " {name: c5, kind: cpu, peak_tflops: {fp32: 1}}, {name: c6, kind: cpu, peak_tflops: {fp32: 1}},"
                        " {name: c7, kind: cpu, peak_tflops: {fp32: 1}}, {name: c8, kind: cpu, peak_tflops: {fp32: 1}},"
                        " {name: c9, kind: cpu, peak_tflops: {fp32: 1}}, {name: c10, kind: cpu, peak_tflops: {fp32: 1}},"
                        " {name: c11, kind: cpu, peak_tflops: {fp32: 1}}, {name: c12, kind: cpu, peak_tflops: {fp32: 1}},"
                        " {name: c13, kind: cpu, peak_tflops: {fp32: 1}}, {name: c14, kind: cpu, peak_tflops: {fp32: 1}},"
                        " {name: c15, kind: cpu, peak_tflops: {fp32: 1}}, {name: c16, kind: cpu, peak_tflops: {fp32: 1}},"
                        " {name: c17, kind: cpu, peak_tflops: {fp32: 1}}]\n");
    hs_exec *x = hs_exec_real_create(many, NULL, &err);
    if (x)
        x->ops->destroy(x);   /* a machine with 17 or more CPU compute units */
    else
        assert_non_null(strstr(err.msg, "compute units"));
    hs_hw_free(many);
    /* A kernel that does not build: the message carries the build log. */
    rl_exec *e = RX(X);
    cl_program p;
    assert_int_equal(rl_build_program(e->ctxs[0].ctx, e->ctxs[0].ndev, e->ctxs[0].devs,
                                      "__kernel void broken(__global float *x) { x[0] = undefined_thing; }", &p, &err),
                     -1);
    assert_non_null(strstr(err.msg, "building the OpenCL kernels failed"));
    assert_non_null(strstr(err.msg, "CL_BUILD_PROGRAM_FAILURE"));
    /* Out of device memory. */
    rl_buf b = {0};
    assert_int_equal(rl_ensure(e, &e->ctxs[0], &b, (size_t)1 << 50, RL_FILL_ZERO, &err), -1);
    assert_non_null(strstr(err.msg, "out of device memory"));
    /* A start on a PU that cannot run the item is refused, nothing left running. */
    hs_model m = rt_model(HS_ARCH_DECODER);
    hs_item att = rt_item(&m, HS_SLOT_ATTN, 0, HS_OP_ATTENTION, 1, 9, 10);
    att.k.batch = 4;
    tlog l = {.x = X};
    X->ops->bind(X, on_done, &l);
    assert_int_equal(X->ops->start(X, 1, &att, 0, NULL, &err), -1);
    assert_non_null(strstr(err.msg, "cannot run attention"));
    assert_int_equal(X->ops->run(X, INFINITY, 0), 0);
    assert_int_equal(hs_real_check(X, &err), 0);
}

static void test_robust_stats(void **state)
{
    (void)state;
    /* Timing spikes do not move the median, nor the spread. */
    double v[] = {1.00, 1.02, 0.98, 1.01, 0.99, 9.0, 1.00, 25.0, 1.03};
    rl_stat st;
    rl_robust(v, 9, &st);
    assert_int_equal(st.kept, 7);
    assert_true(fabs(st.median - 1.00) < 1e-9);
    assert_true(st.spread < 0.05);
    assert_true(st.hi <= 1.03 + 1e-12);
    double same[] = {2, 2, 2, 2};
    rl_robust(same, 4, &st);
    assert_true(st.median == 2 && st.spread == 0 && st.kept == 4);
    rl_robust(v, 1, &st);
    assert_true(st.median == 1.0);
}

int main(void)
{
    rt_skip_without_device();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timers),
        cmocka_unit_test(test_completions_and_timers),
        cmocka_unit_test(test_stop_and_end_time),
        cmocka_unit_test(test_bandwidth_estimate),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_robust_stats),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
