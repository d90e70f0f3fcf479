/* The plugin queries of policy.h's "Plugin queries" section: the works on
 * a PU, the finish time of a dispatch (queue, launch, contention), the PU
 * kind, and the energy prediction against what the run attributes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tests/yaml_test.h"

#include "sim/engine/engine.h"

static void assert_near(double got, double want, double rel)
{
    if (!(fabs(got - want) <= rel * fmax(1.0, fabs(want))))
        fail_msg("got %.17g, want %.17g", got, want);
}

static void run(hs_hw *hw, hs_workload *wl, const hs_policy_ops *p)
{
    hs_err err;
    hs_run_metrics m;
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = p, .seed = 3, .end_time = INFINITY};
    if (hs_run(&cfg, &m, &err) != 0)
        fail_msg("%s", err.msg);
    hs_run_metrics_free(&m);
}

/* ---- The works on a PU and the finish time behind them ----------------------------
 * Two generic PUs, three independent 1 s tasks.  A and B go to P1 (A
 * runs, B waits); C would then finish at 3 s on P1 and at 1 s on P2. */

static struct {
    bool checked;
} q;

static void queue_schedule(hs_sched *s, void *st)
{
    (void)st;
    int p1 = hs_pu_find(s, "P1"), p2 = hs_pu_find(s, "P2");
    if (q.checked || hs_ready_count(s) != 3)
        return;
    hs_work *a = hs_ready_first(s), *b = hs_ready_next(s, a), *c = hs_ready_next(s, b);
    assert_int_equal(hs_dispatch(s, a, p1), 0);
    assert_null(hs_ready_next(s, a));          /* out of the list: read next first */
    assert_int_equal(hs_dispatch(s, b, p1), 0);
    assert_ptr_equal(hs_pu_running_first(s, p1), a);
    assert_null(hs_pu_work_next(s, a));
    assert_ptr_equal(hs_pu_queue_first(s, p1), b);
    assert_null(hs_pu_work_next(s, b));
    assert_null(hs_pu_queue_first(s, p2));
    assert_null(hs_pu_running_first(s, p2));
    assert_null(hs_pu_queue_first(s, 7));

    hs_finish_estimate e;
    assert_near(hs_finish_at(s, c, p1, &e), 3.0, 1e-12);
    assert_near(e.queue_s, 2.0, 1e-12);
    assert_near(e.input_s, 0.0, 1e-12);
    assert_near(e.start_s + e.launch_s + e.body_s, e.finish_s, 1e-12);
    assert_near(hs_finish_at(s, c, p2, NULL), 1.0, 1e-12);
    assert_true(isinf(hs_finish_at(s, c, -1, &e)));

    assert_int_equal(hs_pu_kind_of(s, p1), HS_PU_GENERIC);
    assert_string_equal(hs_pu_kind_str(s, p2), "generic");
    assert_int_equal(hs_pu_kind_of(s, 9), HS_PU_KIND_COUNT);
    assert_null(hs_pu_kind_str(s, -1));
    assert_int_equal(hs_dispatch(s, c, p2), 0);
    q.checked = true;
}

static void test_queue_and_finish(void **state)
{
    (void)state;
    hs_err err;
    hs_node *hn = yaml("name: two\nmemory: {bandwidth_gbps: 100}\npus: [{name: P1, kind: generic, speed: 1.0},"
                       " {name: P2, kind: generic, speed: 1.0}]\n");
    hs_node *wn = yaml("kind: dag\ntasks:\n  - {name: A, cost: {P1: 1, P2: 1}}\n"
                       "  - {name: B, cost: {P1: 1, P2: 1}}\n  - {name: C, cost: {P1: 1, P2: 1}}\n");
    hs_hw *hw = hs_hw_from_node(hn, &err);
    hs_workload *wl = NULL;
    if (!hw || hs_workload_from_node(wn, &wl, &err) != 0)
        fail_msg("%s", err.msg);
    static const hs_policy_ops p = {.abi_version = HS_POLICY_ABI_VERSION, .name = "t-queue",
                                    .description = "t", .schedule = queue_schedule};
    run(hw, wl, &p);
    assert_true(q.checked);
    hs_workload_free(wl);
    hs_hw_free(hw);
    hs_node_free(hn);
    hs_node_free(wn);
}

/* ---- Finish time and energy, exact for work running alone ------------------------
 * One work at a time on the whole machine: the finish time predicted at
 * the dispatch is when it finishes (launches, queued launches at the
 * instant the PU freed, graph builds included), and the energy predicted
 * is what the run attributes to its request. */

enum { MAX_WORKS = 1 << 14, MAX_REQS = 64 };

static struct {
    double finish[MAX_WORKS];
    double req_energy[MAX_REQS];
    int works_checked, reqs_checked;
} al;

static bool machine_idle(const hs_sched *s)
{
    for (int p = 0; p < hs_npus(s); p++)
        if (hs_pu_running(s, p) || hs_pu_queued(s, p))
            return false;
    return true;
}

static void alone_schedule(hs_sched *s, void *st)
{
    (void)st;
    hs_work *w = hs_ready_first(s);
    if (!w || !machine_idle(s))
        return;
    int pu = 0;
    while (pu < hs_npus(s) && !hs_can_run(s, w, pu))
        pu++;
    assert_true(pu < hs_npus(s));
    uint64_t id = hs_work_id(w);
    hs_req *r = hs_work_req(w);
    assert_true(id < MAX_WORKS && r && hs_req_id(r) < MAX_REQS);
    al.finish[id] = hs_finish_at(s, w, pu, NULL);
    al.req_energy[hs_req_id(r)] += hs_predict_energy_j(s, w, pu);
    assert_true(isinf(hs_predict_energy_j(s, w, hs_npus(s))));
    assert_int_equal(hs_dispatch(s, w, pu), 0);
}

static void alone_done(hs_sched *s, void *st, hs_work *w)
{
    (void)st;
    assert_near(hs_now(s), al.finish[hs_work_id(w)], 1e-9);
    al.works_checked++;
}

static void alone_request_done(hs_sched *s, void *st, hs_req *r)
{
    (void)st;
    assert_near(hs_req_energy_j(s, r), al.req_energy[hs_req_id(r)], 1e-9);
    al.reqs_checked++;
}

static void test_alone_exact(void **state)
{
    (void)state;
    hs_err err;
    hs_hw *hw = hs_hw_load("generic-soc", &err);
    hs_workload *wl = NULL;
    if (!hw || hs_workload_load("tiny-agentic-rag", &wl, &err) != 0)
        fail_msg("%s", err.msg);
    static const hs_policy_ops p = {.abi_version = HS_POLICY_ABI_VERSION, .name = "t-alone",
                                    .description = "t", .schedule = alone_schedule, .work_done = alone_done,
                                    .request_done = alone_request_done};
    run(hw, wl, &p);
    print_message("  %d works, %d requests checked\n", al.works_checked, al.reqs_checked);
    assert_true(al.works_checked > 20 && al.reqs_checked > 5);
    hs_workload_free(wl);
    hs_hw_free(hw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue_and_finish),
        cmocka_unit_test(test_alone_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
