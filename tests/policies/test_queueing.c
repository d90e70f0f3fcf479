/* Validation of the engine against queueing theory.
 *
 * A synthetic workload (Poisson arrivals, one work item per request) on
 * generic PUs of speed 1 under `fifo` is a textbook queue.  Each test runs
 * it, estimates the mean response time with a 99% confidence interval by
 * batch means over the requests after the warm-up, and checks that the
 * closed form lies inside the interval:
 *   M/M/1      E[T] = 1 / (mu - lambda)
 *   M/M/c      E[T] = C(c, a) / (c mu - lambda) + 1 / mu, with Erlang's C
 *              C(c, a) = (a^c / c!) (c / (c - a)) / (sum_{k<c} a^k / k! +
 *              (a^c / c!) (c / (c - a))),  a = lambda / mu
 *   M/D/1      E[T] = rho / (2 mu (1 - rho)) + 1 / mu
 *   M/G/1      E[T] = lambda E[S^2] / (2 (1 - rho)) + E[S]
 *              (Pollaczek-Khinchine), E[S^2] = (1 + cv^2) E[S]^2
 *   M/G/1-PS   E[T] = E[S] / (1 - rho), whatever the service distribution
 *              (processor sharing, `slots: unlimited`)
 * Seeds are fixed, so each test's outcome is deterministic. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/yaml_test.h"
#include <gsl/gsl_cdf.h>

#include "sim/engine/engine.h"

enum { BATCHES = 30 };

typedef struct batch_means {
    int64_t warmup, per_batch;
    double sum[BATCHES];
    uint64_t n[BATCHES];
} batch_means;

static void on_request(void *ctx, const hs_request_row *row)
{
    batch_means *b = ctx;
    if (row->warmup)
        return;
    int64_t i = ((int64_t)row->request - b->warmup) / b->per_batch;
    if (i >= 0 && i < BATCHES) {
        b->sum[i] += row->latency_s;
        b->n[i]++;
    }
}


/* Runs the queue and returns the batch-means estimate and its 99% CI. */
static void run_queue(const char *hw_yaml, const char *wl_yaml, uint64_t requests, uint64_t warmup,
                      double *mean, double *half)
{
    hs_err err;
    hs_node *hn = yaml(hw_yaml), *wn = yaml(wl_yaml);
    hs_hw *hw = hs_hw_from_node(hn, &err);
    if (!hw)
        fail_msg("%s", err.msg);
    hs_workload *wl = NULL;
    if (hs_workload_from_node(wn, &wl, &err) != 0)
        fail_msg("%s", err.msg);
    batch_means b = {.warmup = (int64_t)warmup, .per_batch = (int64_t)((requests - warmup) / BATCHES)};
    hs_run_cfg cfg = {
        .hw = hw, .wl = wl, .policy = hs_policy_lookup("fifo", &err), .seed = 2024,
        .sink = {.ctx = &b, .request = on_request},
    };
    hs_run_metrics m;
    if (hs_run(&cfg, &m, &err) != 0)
        fail_msg("%s", err.msg);
    assert_int_equal(m.all.requests, requests - warmup);
    double means[BATCHES], grand = 0;
    for (int i = 0; i < BATCHES; i++) {
        assert_true(b.n[i] > 0);
        means[i] = b.sum[i] / (double)b.n[i];
        grand += means[i] / BATCHES;
    }
    double var = 0;
    for (int i = 0; i < BATCHES; i++)
        var += (means[i] - grand) * (means[i] - grand) / (BATCHES - 1);
    *mean = grand;
    *half = gsl_cdf_tdist_Pinv(0.995, BATCHES - 1) * sqrt(var / BATCHES);
    /* The engine's own streaming mean agrees with the batch means. */
    assert_true(fabs(m.all.mean_latency_s - grand) < 0.02 * grand);
    hs_run_metrics_free(&m);
    hs_workload_free(wl);
    hs_hw_free(hw);
    hs_node_free(hn);
    hs_node_free(wn);
}

static void check(const char *what, double mean, double half, double closed)
{
    printf("  %-10s simulated %.4f +- %.4f (99%%), closed form %.4f\n", what, mean, half, closed);
    if (fabs(mean - closed) > half)
        fail_msg("%s: closed form %.4f outside the 99%% interval %.4f +- %.4f", what, closed, mean, half);
}

static char *synthetic(double rate, const char *service, uint64_t requests, uint64_t warmup)
{
    static char buf[512];
    snprintf(buf, sizeof buf,
             "kind: synthetic\nrequests: %llu\nwarmup: %llu\n"
             "arrival: {process: poisson, rate: %g}\nservice: %s\n",
             (unsigned long long)requests, (unsigned long long)warmup, rate, service);
    return buf;
}

static const char *one_pu = "name: q1\nmemory: {bandwidth_gbps: 1}\npus: [{name: P1, kind: generic, speed: 1.0}]\n";
static const char *ps_pu =
    "name: qps\nmemory: {bandwidth_gbps: 1}\npus: [{name: P1, kind: generic, speed: 1.0, slots: unlimited}]\n";
static const char *three_pu =
    "name: q3\nmemory: {bandwidth_gbps: 1}\npus: [{name: P1, kind: generic, speed: 1.0},"
    " {name: P2, kind: generic, speed: 1.0}, {name: P3, kind: generic, speed: 1.0}]\n";

enum { N = 120000, WARM = 12000 };

static void test_mm1(void **state)
{
    (void)state;
    double mean, half, lambda = 0.7, mu = 1.0;
    run_queue(one_pu, synthetic(lambda, "{dist: exponential, mean: 1.0}", N, WARM), N, WARM, &mean, &half);
    check("M/M/1", mean, half, 1.0 / (mu - lambda));
}

static double erlang_c(int c, double a)
{
    double term = 1, sum = 0;
    for (int k = 0; k < c; k++) {
        sum += term;
        term *= a / (k + 1);
    }
    double last = term * c / (c - a);
    return last / (sum + last);
}

static void test_mmc(void **state)
{
    (void)state;
    const int c = 3;
    double mean, half, lambda = 2.1, mu = 1.0;
    run_queue(three_pu, synthetic(lambda, "{dist: exponential, mean: 1.0}", N, WARM), N, WARM, &mean, &half);
    check("M/M/3", mean, half, erlang_c(c, lambda / mu) / (c * mu - lambda) + 1 / mu);
}

static void test_md1(void **state)
{
    (void)state;
    double mean, half, lambda = 0.7, rho = 0.7;
    run_queue(one_pu, synthetic(lambda, "{dist: deterministic, mean: 1.0}", N, WARM), N, WARM, &mean, &half);
    check("M/D/1", mean, half, rho / (2 * (1 - rho)) + 1.0);
}

static void test_mg1_pollaczek_khinchine(void **state)
{
    (void)state;
    double mean, half, lambda = 0.6, cv = 1.5;
    run_queue(one_pu, synthetic(lambda, "{dist: gamma, mean: 1.0, cv: 1.5}", N, WARM), N, WARM, &mean, &half);
    double es2 = 1 + cv * cv;
    check("M/G/1", mean, half, lambda * es2 / (2 * (1 - lambda)) + 1.0);
}

static void test_mm1_processor_sharing(void **state)
{
    (void)state;
    double mean, half, lambda = 0.7;
    run_queue(ps_pu, synthetic(lambda, "{dist: exponential, mean: 1.0}", N, WARM), N, WARM, &mean, &half);
    check("M/M/1-PS", mean, half, 1.0 / (1 - lambda));
}

/* Processor sharing is insensitive to the service distribution: with
 * deterministic service its mean is E[S]/(1-rho), not M/D/1's. */
static void test_md1_processor_sharing(void **state)
{
    (void)state;
    double mean, half, lambda = 0.7;
    run_queue(ps_pu, synthetic(lambda, "{dist: deterministic, mean: 1.0}", N, WARM), N, WARM, &mean, &half);
    check("M/D/1-PS", mean, half, 1.0 / (1 - lambda));
    assert_true(fabs(mean - (0.7 / 0.6 + 1.0)) > half);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mm1),
        cmocka_unit_test(test_mmc),
        cmocka_unit_test(test_md1),
        cmocka_unit_test(test_mg1_pollaczek_khinchine),
        cmocka_unit_test(test_mm1_processor_sharing),
        cmocka_unit_test(test_md1_processor_sharing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
