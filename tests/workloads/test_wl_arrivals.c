/* Arrival processes: rates and CVs of Poisson, gamma and MMPP streams,
 * deterministic spacing, closed loops, stop conditions, and streams that
 * do not depend on other classes. */
#include "wl_test.h"

static hs_workload *one_class(const char *arrival, const char *extra)
{
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "%s\nclasses:\n - name: c\n   model: llama-3.2-1b\n   arrival: %s\n", extra, arrival);
    return wl_from_text(yaml);
}

/* Mean and CV of the gaps of the first n arrivals. */
static void gaps(hs_workload *wl, int n, uint64_t seed, double *mean, double *cv)
{
    hs_err err;
    hs_gen *g = hs_gen_create(wl, seed, &err);
    assert_non_null(g);
    double prev = 0, s = 0, sq = 0;
    hs_arrival a;
    for (int i = 0; i < n; i++) {
        assert_int_equal(hs_gen_next(g, &a, &err), HS_GEN_READY);
        assert_int_equal(a.id, (uint64_t)i);
        double gap = a.time - prev;
        assert_true(gap >= 0);
        s += gap;
        sq += gap * gap;
        prev = a.time;
    }
    *mean = s / n;
    *cv = sqrt(sq / n - *mean * *mean) / *mean;
    hs_gen_free(g);
}

static void test_poisson(void **state)
{
    (void)state;
    hs_workload *wl = one_class("{process: poisson, rate: 2}", "requests: 40000");
    double mean, cv;
    gaps(wl, 40000, 1, &mean, &cv);
    assert_true(fabs(mean - 0.5) < 0.5 * 0.02);
    assert_true(fabs(cv - 1) < 0.03);
    hs_workload_free(wl);
    wl = one_class("{process: poisson, rate_per_min: 30}", "requests: 20000");
    gaps(wl, 20000, 2, &mean, &cv);
    assert_true(fabs(mean - 2) < 2 * 0.03);
    hs_workload_free(wl);
}

static void test_gamma(void **state)
{
    (void)state;
    hs_workload *wl = one_class("{process: gamma, rate: 5, cv: 2}", "requests: 60000");
    double mean, cv;
    gaps(wl, 60000, 3, &mean, &cv);
    assert_true(fabs(mean - 0.2) < 0.2 * 0.04);
    assert_true(fabs(cv - 2) < 2 * 0.06);
    hs_workload_free(wl);
    wl = one_class("{process: gamma, rate: 5, cv: 0.25}", "requests: 20000");
    gaps(wl, 20000, 3, &mean, &cv);
    assert_true(fabs(cv - 0.25) < 0.25 * 0.05);
    hs_workload_free(wl);
}

/* Two-state MMPP: mean rate (10 x 2 + 1 x 8) / 10 = 2.8 per s; bursty. */
static void test_mmpp(void **state)
{
    (void)state;
    hs_workload *wl = one_class("{process: mmpp, rate_on: 10, rate_off: 1, mean_on: 2, "
                                "mean_off: 8}", "duration: 30000");
    hs_err err;
    hs_gen *g = hs_gen_create(wl, 4, &err);
    hs_arrival a;
    long n = 0;
    double prev = 0, s = 0, sq = 0;
    while (hs_gen_next(g, &a, &err) == HS_GEN_READY) {
        assert_true(a.time <= 30000);
        double gap = a.time - prev;
        s += gap, sq += gap * gap, prev = a.time;
        n++;
    }
    double rate = n / 30000.0, mean = s / n, cv = sqrt(sq / n - mean * mean) / mean;
    assert_true(fabs(rate - 2.8) < 2.8 * 0.05);
    assert_true(cv > 1.3);   /* bursts: more variable than Poisson */
    hs_gen_free(g);
    hs_workload_free(wl);
}

static void test_deterministic(void **state)
{
    (void)state;
    hs_workload *wl = one_class("{process: deterministic, rate: 4}", "requests: 100");
    hs_err err;
    hs_gen *g = hs_gen_create(wl, 9, &err);
    hs_arrival a;
    double t;
    for (int i = 1; i <= 100; i++) {
        assert_int_equal(hs_gen_peek(g, &t, &err), HS_GEN_READY);
        assert_int_equal(hs_gen_next(g, &a, &err), HS_GEN_READY);
        assert_true(fabs(a.time - i * 0.25) < 1e-9 && a.time == t);
        assert_int_equal(a.seq, (uint64_t)(i - 1));
        assert_int_equal(a.prompt_tokens, -1);
    }
    assert_int_equal(hs_gen_next(g, &a, &err), HS_GEN_END);   /* requests: 100 */
    hs_gen_free(g);
    hs_workload_free(wl);
    wl = one_class("{process: deterministic, interval: 3}", "duration: 10");
    g = hs_gen_create(wl, 9, &err);
    int n = 0;
    while (hs_gen_next(g, &a, &err) == HS_GEN_READY)
        n++;
    assert_int_equal(n, 3);   /* 3, 6, 9 */
    hs_gen_free(g);
    hs_workload_free(wl);
}

static void test_closed_loop(void **state)
{
    (void)state;
    hs_workload *wl = one_class("{process: closed, users: 2, think: 1.5}", "requests: 5");
    hs_err err;
    hs_gen *g = hs_gen_create(wl, 1, &err);
    hs_arrival a0, a1, a;
    double t;
    assert_int_equal(hs_gen_next(g, &a0, &err), HS_GEN_READY);
    assert_int_equal(hs_gen_next(g, &a1, &err), HS_GEN_READY);
    assert_true(a0.time == 1.5 && a1.time == 1.5);
    assert_int_equal(a0.user, 0);
    assert_int_equal(a1.user, 1);
    assert_int_equal(hs_gen_peek(g, &t, &err), HS_GEN_WAIT);   /* both users busy */
    hs_gen_request_done(g, &a1, 4.0);
    assert_int_equal(hs_gen_peek(g, &t, &err), HS_GEN_READY);
    assert_true(t == 5.5);
    hs_gen_request_done(g, &a0, 3.0);   /* finishes earlier: its next comes first */
    assert_int_equal(hs_gen_next(g, &a, &err), HS_GEN_READY);
    assert_true(a.time == 4.5 && a.user == 0);
    assert_int_equal(hs_gen_next(g, &a, &err), HS_GEN_READY);
    assert_true(a.time == 5.5 && a.user == 1);
    hs_gen_request_done(g, &a, 6.0);
    assert_int_equal(hs_gen_next(g, &a, &err), HS_GEN_READY);   /* the 5th */
    hs_gen_request_done(g, &a, 9.0);
    assert_int_equal(hs_gen_next(g, &a, &err), HS_GEN_END);
    hs_gen_free(g);
    hs_workload_free(wl);
}

/* Adding a class changes nothing another class draws. */
static void test_class_independence(void **state)
{
    (void)state;
    hs_workload *one = wl_from_text(
        "duration: 50\nclasses:\n"
        " - {name: x, workflow: agentxpu-reactive, arrival: {process: poisson, rate: 1}}\n");
    hs_workload *two = wl_from_text(
        "duration: 50\nclasses:\n"
        " - {name: y, workflow: agentxpu-proactive, arrival: {process: gamma, rate: 3, cv: 2}}\n"
        " - {name: x, workflow: agentxpu-reactive, arrival: {process: poisson, rate: 1}}\n");
    hs_err err;
    hs_gen *g1 = hs_gen_create(one, 77, &err), *g2 = hs_gen_create(two, 77, &err);
    hs_arrival a, b;
    int matched = 0;
    while (hs_gen_next(g1, &a, &err) == HS_GEN_READY) {
        do
            assert_int_equal(hs_gen_next(g2, &b, &err), HS_GEN_READY);
        while (b.cls != 1);
        assert_true(a.time == b.time);
        assert_int_equal(a.seq, b.seq);
        hs_request *r1 = hs_request_create(one, &a, 77, &err);
        hs_request *r2 = hs_request_create(two, &b, 77, &err);
        hs_request_start(r1);
        hs_request_start(r2);
        assert_int_equal(hs_request_node(r1, 0)->prompt, hs_request_node(r2, 0)->prompt);
        assert_int_equal(hs_request_node(r1, 0)->output, hs_request_node(r2, 0)->output);
        hs_request_free(r1);
        hs_request_free(r2);
        matched++;
    }
    assert_true(matched > 25);
    hs_gen_free(g1);
    hs_gen_free(g2);
    hs_workload_free(one);
    hs_workload_free(two);
}

/* The 15-minute Agent.xpu mix: both classes, in time order. */
static void test_merge_order(void **state)
{
    (void)state;
    hs_workload *wl;
    hs_err err;
    assert_int_equal(hs_workload_load("agentxpu-mixed", &wl, &err), 0);
    hs_gen *g = hs_gen_create(wl, 5, &err);
    hs_arrival a;
    double prev = 0;
    int per[2] = {0, 0};
    while (hs_gen_next(g, &a, &err) == HS_GEN_READY) {
        assert_true(a.time >= prev && a.time <= 900);
        prev = a.time;
        per[a.cls]++;
    }
    /* 3 and 8 per minute over 15 minutes: 45 and 120 expected. */
    assert_true(per[0] > 45 - 4.5 * sqrt(45) && per[0] < 45 + 4.5 * sqrt(45));
    assert_true(per[1] > 120 - 4.5 * sqrt(120) && per[1] < 120 + 4.5 * sqrt(120));
    hs_gen_free(g);
    hs_workload_free(wl);
}

static void test_arrival_errors(void **state)
{
    (void)state;
    hs_err err;
    wl_text_error("classes:\n - {name: c, arrival: {process: poisson, rate: 1}}\n", &err);
    assert_contains(err.msg, "never ends");
    wl_text_error("requests: 5\nclasses:\n - {name: c, arrival: {process: poisson, rate: 1, "
                  "rate_per_min: 3}}\n", &err);
    assert_contains(err.msg, "give one of");
    wl_text_error("requests: 5\nclasses:\n - {name: c, arrival: {process: poison, rate: 1}}\n",
                  &err);
    assert_contains(err.msg, "poisson");
    wl_text_error("requests: 5\nclasses:\n - {name: c, arrival: {process: mmpp, rate_on: 0, "
                  "mean_on: 1, mean_off: 1}}\n", &err);
    assert_contains(err.msg, "positive");
    wl_text_error("requests: 5\nclasses:\n - {name: c, arrival: {process: gamma, rate: 1, "
                  "cvv: 2}}\n", &err);
    assert_contains(err.msg, "did you mean 'cv'");
    assert_contains(err.msg, "<test>:3:");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_poisson),
        cmocka_unit_test(test_gamma),
        cmocka_unit_test(test_mmpp),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_closed_loop),
        cmocka_unit_test(test_class_independence),
        cmocka_unit_test(test_merge_order),
        cmocka_unit_test(test_arrival_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
