/* The engine's mechanics, driven by small test policies: splitting with a
 * join sync, batching across requests, timers, speculation with rollback,
 * misuse reported as an error, a stalled run reported as one, runs cut
 * short, determinism. */
#define _GNU_SOURCE
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/engine/engine.h"

typedef struct fixture {
    hs_hw *hw;
    hs_workload *wl;
} fixture;

static void load(fixture *f, const char *hw, const char *wl, const char *set)
{
    hs_err err;
    if (!(f->hw = hs_hw_load(hw, &err)))
        fail_msg("%s", err.msg);
    if (!set) {
        if (hs_workload_load(wl, &f->wl, &err) != 0)
            fail_msg("%s", err.msg);
        return;
    }
    char path[4096];
    if (hs_conf_resolve("workloads", wl, path, sizeof path, &err) != 0)
        fail_msg("%s", err.msg);
    hs_node *tree = hs_conf_load_file(path, &err);
    assert_non_null(tree);
    const char *eq = strchr(set, '=');
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(eq - set), set);
    hs_node *v = hs_conf_load_string(eq + 1, strlen(eq + 1), "<test>", &err);
    assert_non_null(v);
    assert_int_equal(hs_node_set_path(tree, key, v, &err), 0);
    if (hs_workload_from_node(tree, &f->wl, &err) != 0)
        fail_msg("%s", err.msg);
    hs_node_free(tree);
}

static void unload(fixture *f)
{
    hs_workload_free(f->wl);
    hs_hw_free(f->hw);
}

static int run(fixture *f, const hs_policy_ops *p, uint64_t seed, bool fast, hs_run_metrics *m, hs_err *err)
{
    hs_run_cfg cfg = {.hw = f->hw, .wl = f->wl, .policy = p, .seed = seed, .fast_sync = fast};
    return hs_run(&cfg, m, err);
}

static const hs_policy_ops *builtin(const char *name)
{
    hs_err err;
    const hs_policy_ops *p = hs_policy_lookup(name, &err);
    assert_non_null(p);
    return p;
}

/* ---- Splitting: every GEMM of prefill split by rows over GPU and NPU. ---- */

static void split_schedule(hs_sched *s, void *st)
{
    (void)st;
    int gpu = hs_pu_find(s, "gpu"), npu = hs_pu_find(s, "npu");
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        const hs_item *it = hs_work_item(w);
        int64_t rows = hs_item_split_extent(it, HS_SPLIT_ROWS);
        if (!hs_work_is_part(w) && it->k.op == HS_OP_GEMM && rows >= 2 && hs_can_run(s, w, npu)) {
            int64_t sizes[2] = {rows / 2, rows - rows / 2};
            hs_work *parts[2];
            if (hs_split(s, w, HS_SPLIT_ROWS, sizes, 2, parts) != 0)
                return;
            hs_dispatch(s, parts[0], gpu);
            hs_dispatch(s, parts[1], npu);
        } else {
            hs_dispatch(s, w, gpu);
        }
    }
}

static const hs_policy_ops split_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-split", .description = "x", .schedule = split_schedule,
};

static void test_split_join_pays_sync(void **state)
{
    (void)state;
    fixture f;
    load(&f, "snapdragon-8gen3", "heterollm-dialogue", "requests=1");
    hs_run_metrics naive, fast, whole;
    hs_err err;
    assert_int_equal(run(&f, &split_policy, 1, false, &naive, &err), 0);
    assert_int_equal(run(&f, &split_policy, 1, true, &fast, &err), 0);
    assert_int_equal(run(&f, builtin("fifo"), 1, false, &whole, &err), 0);
    assert_true(naive.splits > 0);
    assert_int_equal(naive.splits, fast.splits);
    assert_int_equal(naive.all.requests, 1);
    /* Each join pays the profile's cross-PU sync: blocking (about 400 us,
     * HeteroInfer) costs more than fast polling over the same splits. */
    const hs_hw *hw = f.hw;
    double d_sync = hs_hw_sync_s(hw, 1, 2, false) - hs_hw_sync_s(hw, 1, 2, true);
    assert_true(d_sync > 0);
    assert_true(naive.makespan_s > fast.makespan_s + 0.5 * (double)naive.splits * d_sync);
    /* Both PUs worked. */
    assert_true(naive.pus[1].busy_s > 0 && naive.pus[2].busy_s > 0);
    assert_true(whole.pus[2].busy_s == 0);
    hs_run_metrics_free(&naive);
    hs_run_metrics_free(&fast);
    hs_run_metrics_free(&whole);
    unload(&f);
}

/* ---- Batching: ready items with the same batch key go as one kernel. ---- */

static void batch_schedule(hs_sched *s, void *st)
{
    (void)st;
    int gpu = hs_pu_find(s, "gpu");
    if (hs_pu_free_slots(s, gpu) == 0)
        return;
    hs_work *group[32];
    size_t n = 0;
    hs_work *first = NULL;
    for (hs_work *w = hs_ready_first(s); w && n < 32; w = hs_ready_next(s, w)) {
        const hs_item *it = hs_work_item(w);
        if (hs_work_batch_size(w) > 1 || !hs_can_run(s, w, gpu))
            continue;
        if (!first) {
            first = w;
            group[n++] = w;
        } else if (it->batch_key && hs_item_batchable(hs_work_item(first), it) && hs_work_req(w) != hs_work_req(first)) {
            group[n++] = w;
        }
    }
    if (!first)
        return;
    hs_work *b = first;
    if (n >= 2 && hs_batch(s, group, n, &b) != 0)
        return;
    hs_dispatch(s, b, gpu);
}

static const hs_policy_ops batch_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-batch", .description = "x", .schedule = batch_schedule,
};

static void test_batching_across_requests(void **state)
{
    (void)state;
    fixture f;
    load(&f, "core-ultra-125h", "agentxpu-mixed", "duration=120");
    hs_run_metrics b, one;
    hs_err err;
    assert_int_equal(run(&f, &batch_policy, 3, false, &b, &err), 0);
    assert_true(b.batches > 0);
    hs_run_cfg cfg = {.hw = f.hw, .wl = f.wl, .policy = builtin("fifo"), .seed = 3};
    hs_node *p = hs_conf_load_string("{pu: gpu}", 9, "<test>", &err);
    cfg.policy_params = p;
    assert_int_equal(hs_run(&cfg, &one, &err), 0);
    /* The same requests finish; batching decode steps shares their weight
     * reads, so the GPU is busy for less time. */
    assert_int_equal(b.all.requests, one.all.requests);
    assert_true(b.pus[1].busy_s < one.pus[1].busy_s);
    hs_node_free(p);
    hs_run_metrics_free(&b);
    hs_run_metrics_free(&one);
    unload(&f);
}

/* ---- Timers: every dispatch deferred by 10 ms. ---------------------------- */

static void defer_schedule(hs_sched *s, void *st)
{
    (void)st;
    if (hs_ready_count(s))
        hs_timer(s, 0.010, 1);
}

static void defer_timer(hs_sched *s, void *st, uint64_t tag)
{
    (void)st;
    assert_int_equal(tag, 1);
    hs_work *next;
    for (hs_work *w = hs_ready_first(s); w; w = next) {
        next = hs_ready_next(s, w);
        if (hs_now(s) - hs_work_ready_time(w) >= 0.010 - 1e-12)
            hs_dispatch(s, w, 0);
    }
}

static const hs_policy_ops defer_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-defer", .description = "x",
    .schedule = defer_schedule, .timer = defer_timer,
};

static void test_timers_defer_work(void **state)
{
    (void)state;
    fixture f;
    load(&f, "generic-1pu", "heft-topcuoglu", NULL);
    hs_err err;
    hs_run_metrics m;
    /* heft-topcuoglu lists a cost on P1 for every task. */
    assert_int_equal(run(&f, &defer_policy, 1, false, &m, &err), 0);
    /* One PU runs the ten tasks back to back (no communication on one
     * PU): the sum of their P1 costs.  A deferred dispatch idles the PU
     * for 10 ms whenever nothing else is queued: at the start, and for
     * n10, the only task of its level -- and never more than once per
     * task. */
    double sum = 14 + 13 + 11 + 13 + 12 + 13 + 7 + 5 + 18 + 21;
    assert_true(m.makespan_s >= sum + 2 * 0.010 - 1e-9);
    assert_true(m.makespan_s <= sum + 10 * 0.010 + 1e-9);
    hs_run_metrics_free(&m);
    unload(&f);
}

/* ---- Speculation: every pending generation after a retrieval. ------------- */

static void spec_revealed(hs_sched *s, void *st, hs_req *r, uint32_t first)
{
    (void)st;
    const hs_request *dag = hs_req_dag(r);
    for (uint32_t i = first; i < hs_req_nstages(r); i++) {
        const hs_stage_info *si = hs_request_node(dag, i);
        if (si->state == HS_NODE_PENDING && si->kind == HS_STAGE_LLM)
            hs_speculate(s, r, i);
    }
}

static void spec_arrived(hs_sched *s, void *st, hs_req *r) { spec_revealed(s, st, r, 0); }

static const hs_policy_ops spec_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-spec", .description = "x",
    .request_arrived = spec_arrived, .stage_revealed = spec_revealed,
    .schedule = split_schedule,
};

static void test_speculation_and_rollback(void **state)
{
    (void)state;
    fixture f;
    load(&f, "snapdragon-8gen3", "hedrarag-sequential", "requests=40");
    /* HedraRAG's 38M-vector fp32 index (155.6 GB) does not fit the phone's
     * 12 GB (sim/engine/memory.c refuses the scan): this test is about
     * speculation, so the DRAM's capacity is lifted. */
    f.hw->mems[0].capacity_bytes = 0;
    hs_err err;
    hs_run_metrics a, b;
    assert_int_equal(run(&f, &spec_policy, 5, false, &a, &err), 0);
    assert_int_equal(run(&f, &spec_policy, 5, false, &b, &err), 0);
    assert_int_equal(a.all.requests, 40);
    assert_true(a.speculations >= 40);
    /* The generations are fed by a search, so the cluster-hit model
     * decides: speculated on arrival, before any cluster was searched, none
     * had its top-k, so every speculation rolls back, and the generation
     * work done by then is wasted. */
    assert_int_equal(a.rollbacks, a.speculations);
    assert_true(a.wasted_works > 0 && a.wasted_busy_s > 0 && a.wasted_energy_j > 0);
    assert_int_equal(a.rollbacks, b.rollbacks);
    assert_true(a.makespan_s == b.makespan_s);
    hs_run_metrics_free(&a);
    hs_run_metrics_free(&b);
    unload(&f);
}

/* ---- Misuse: a policy bug fails the run with a message, never a crash. ---- */

static void bad_schedule(hs_sched *s, void *st)
{
    (void)st;
    hs_work *w = hs_ready_first(s);
    if (w)
        hs_dispatch(s, w, 99);
}

static const hs_policy_ops bad_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-bad", .description = "x", .schedule = bad_schedule,
};

static void test_policy_misuse_fails_the_run(void **state)
{
    (void)state;
    fixture f;
    load(&f, "generic-3pu", "heft-topcuoglu", NULL);
    hs_err err;
    hs_run_metrics m;
    assert_int_equal(run(&f, &bad_policy, 1, false, &m, &err), -1);
    assert_non_null(strstr(err.msg, "policy 'test-bad'"));
    hs_run_metrics_free(&m);
    unload(&f);
}

/* ---- A policy that leaves ready work undispatched stalls the run: an
 * error naming it, with or without an end time, not a run that reports
 * fewer requests. ---------------------------------------------------------- */

static void idle_schedule(hs_sched *s, void *st)
{
    (void)s;
    (void)st;
}

static const hs_policy_ops idle_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-idle", .description = "x", .schedule = idle_schedule,
};

static void test_stall_is_an_error(void **state)
{
    (void)state;
    fixture f;
    load(&f, "generic-3pu", "heft-topcuoglu", NULL);
    hs_err err;
    hs_run_metrics m;
    for (int with_end = 0; with_end < 2; with_end++) {
        hs_run_cfg cfg = {.hw = f.hw, .wl = f.wl, .policy = &idle_policy, .seed = 1,
                          .end_time = with_end ? 1e6 : 0};
        assert_int_equal(hs_run(&cfg, &m, &err), -1);
        assert_non_null(strstr(err.msg, "stalled at t = 0 s with 1 request(s) in flight"));
        assert_non_null(strstr(err.msg, "1 work item(s) ready but never dispatched by policy 'test-idle'"));
        hs_run_metrics_free(&m);
    }
    unload(&f);
}

/* A policy that fills the memory (an index-cache reservation of all but
 * one byte of the phone's 12 GB DRAM) and then waits: the LLM's first work
 * needs its weights, which fit in no domain, and nothing runs that could
 * free memory, so the stall names the memory as its cause. */
static void fill_schedule(hs_sched *s, void *st)
{
    (void)st;
    int mem = hs_pu_of(s, 0)->mem;
    if (hs_mem_index_cache(s, mem) == 0)
        hs_mem_set_index_cache(s, mem, hs_mem_capacity(s, mem) - hs_mem_used(s, mem) - 1);
}

static const hs_policy_ops fill_policy = {
    .abi_version = HS_POLICY_ABI_VERSION, .name = "test-fill", .description = "x", .schedule = fill_schedule,
};

static void test_stall_on_memory_says_so(void **state)
{
    (void)state;
    fixture f;
    load(&f, "snapdragon-8gen3", "heterollm-gsm8k", "requests=1");
    hs_err err;
    hs_run_metrics m;
    hs_run_cfg cfg = {.hw = f.hw, .wl = f.wl, .policy = &fill_policy, .seed = 1};
    assert_int_equal(hs_run(&cfg, &m, &err), -1);
    assert_non_null(strstr(err.msg, "ready but never dispatched by policy 'test-fill'"));
    assert_non_null(strstr(err.msg, "fits in no memory domain of a PU that can run it (memory domain dram"));
    hs_run_metrics_free(&m);
    unload(&f);
}

/* ---- Runs cut short: marked truncated, with the reason and what was left. -- */

/* m (a run cut by `reason`) is marked so in its metrics and its JSON. */
static void expect_truncated(const hs_run_metrics *m, const char *reason, const hs_run_metrics *full)
{
    assert_true(hs_run_truncated(m));
    assert_string_equal(m->truncated, reason);
    /* What was finished and what was left add up to no more than the whole run. */
    assert_true(m->all.requests < full->all.requests);
    assert_true(m->all.requests + m->in_flight <= full->all.requests);
    char *json = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&json, &len);
    hs_run_metrics_json(m, f);
    fclose(f);
    char want[96];
    snprintf(want, sizeof want, "\"truncated\": \"%s\", \"in_flight\": %llu", reason,
             (unsigned long long)m->in_flight);
    assert_non_null(strstr(json, want));
    assert_non_null(strstr(json, "\"status\": \"truncated\""));
    free(json);
}

static void test_cut_short(void **state)
{
    (void)state;
    fixture f;
    load(&f, "core-ultra-125h", "agentxpu-mixed", "duration=60");
    hs_err err;
    hs_run_metrics full, m;
    hs_run_cfg cfg = {.hw = f.hw, .wl = f.wl, .policy = builtin("eft"), .seed = 1};
    assert_int_equal(hs_run(&cfg, &full, &err), 0);
    assert_false(hs_run_truncated(&full));
    assert_string_equal(full.truncated, "");
    assert_int_equal(full.in_flight, 0);
    cfg.end_time = 30;
    assert_int_equal(hs_run(&cfg, &m, &err), 0);
    assert_true(m.makespan_s <= 30);
    expect_truncated(&m, "end_time", &full);
    hs_run_metrics_free(&m);
    cfg.end_time = 0;
    cfg.max_events = 5000;
    assert_int_equal(hs_run(&cfg, &m, &err), 0);
    assert_true(m.events <= 5000);
    expect_truncated(&m, "max_events", &full);
    assert_true(m.in_flight > 0);   /* 5000 events is mid-run: requests are under way */
    hs_run_metrics_free(&m);
    /* A budget the run does not reach leaves it complete. */
    cfg.max_events = full.events + 1;
    assert_int_equal(hs_run(&cfg, &m, &err), 0);
    assert_false(hs_run_truncated(&m));
    assert_int_equal(m.all.requests, full.all.requests);
    hs_run_metrics_free(&m);
    hs_run_metrics_free(&full);
    unload(&f);
}

/* ---- The policy's name and parameters, and the DRAM rows, in the metrics. -- */

static void test_policy_and_dram_metrics(void **state)
{
    (void)state;
    fixture f;
    load(&f, "core-ultra-125h", "agentxpu-mixed", "duration=30");
    hs_err err;
    hs_run_metrics m;
    hs_node *params = hs_conf_load_string("{max_batch: 8}", 14, "<test>", &err);
    hs_run_cfg cfg = {.hw = f.hw, .wl = f.wl, .policy = builtin("continuous-batching"), .policy_params = params,
                      .seed = 1};
    assert_int_equal(hs_run(&cfg, &m, &err), 0);
    assert_string_equal(m.policy_name, "continuous-batching");
    /* Every listed parameter, given or defaulted, with its type. */
    bool seen_batch = false, seen_pu = false;
    for (size_t i = 0; i < m.nparams; i++) {
        if (strcmp(m.params[i].name, "max_batch") == 0)
            seen_batch = m.params[i].type == HS_PARAM_I64 && m.params[i].i == 8;
        if (strcmp(m.params[i].name, "pu") == 0)
            seen_pu = strcmp(m.params[i].text, "gpu") == 0;
    }
    assert_true(seen_batch && seen_pu);
    /* One row per memory domain: mean = bytes / makespan <= peak <= the capacity. */
    assert_int_equal(m.ndram, f.hw->nmem);
    for (size_t d = 0; d < m.ndram; d++) {
        const hs_dram_metrics *r = &m.dram[d];
        assert_string_equal(r->name, f.hw->mems[d].name);
        assert_true(r->bytes > 0);
        assert_true(fabs(r->mean_bps - r->bytes / m.makespan_s) <= 1e-9 * r->mean_bps);
        assert_true(r->mean_bps <= r->peak_bps);
        assert_true(r->peak_bps <= r->achievable_bps * (1 + 1e-12));
        assert_true(r->achievable_bps <= r->theoretical_bps);
    }
    char *json = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&json, &len);
    hs_run_metrics_json(&m, out);
    fclose(out);
    assert_non_null(strstr(json, "\"policy_name\": \"continuous-batching\", \"params\": {"));
    assert_non_null(strstr(json, "\"max_batch\": 8"));
    assert_non_null(strstr(json, "\"chunked_prefill\": true"));
    assert_non_null(strstr(json, "\"dram\": [{\"name\": "));
    free(json);
    hs_run_metrics_free(&m);
    hs_node_free(params);
    unload(&f);
}

/* ---- Determinism, and the seed matters. --------------------------------- */

static void test_determinism(void **state)
{
    (void)state;
    fixture f;
    load(&f, "snapdragon-8gen3", "hero-docqa-qwen3", "requests=6");
    hs_err err;
    hs_run_metrics a, b, c;
    assert_int_equal(run(&f, builtin("eft"), 11, false, &a, &err), 0);
    assert_int_equal(run(&f, builtin("eft"), 11, false, &b, &err), 0);
    assert_int_equal(run(&f, builtin("eft"), 12, false, &c, &err), 0);
    assert_true(a.all.mean_latency_s == b.all.mean_latency_s && a.energy_j == b.energy_j &&
                a.events == b.events && a.makespan_s == b.makespan_s);
    assert_true(a.all.mean_latency_s != c.all.mean_latency_s);
    hs_run_metrics_free(&a);
    hs_run_metrics_free(&b);
    hs_run_metrics_free(&c);
    unload(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_join_pays_sync),
        cmocka_unit_test(test_batching_across_requests),
        cmocka_unit_test(test_timers_defer_work),
        cmocka_unit_test(test_speculation_and_rollback),
        cmocka_unit_test(test_policy_misuse_fails_the_run),
        cmocka_unit_test(test_stall_is_an_error),
        cmocka_unit_test(test_stall_on_memory_says_so),
        cmocka_unit_test(test_cut_short),
        cmocka_unit_test(test_policy_and_dram_metrics),
        cmocka_unit_test(test_determinism),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
