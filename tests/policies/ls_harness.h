/* Test harness shared by the list-scheduling policy tests (heft, cpop,
 * peft): runs a policy on a built-in profile and workload through hs_run,
 * records every kernel's request, stage, PU, start and finish from the
 * sink, and checks a textbook schedule row by row. */
#ifndef HS_TEST_LS_HARNESS_H
#define HS_TEST_LS_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/engine/engine.h"

typedef struct ls_row {
    uint64_t request;
    char stage[32];
    int pu;
    double start, end;
} ls_row;

typedef struct ls_trace {
    ls_row *rows;
    size_t n, cap;
    double arrival[64];       /* of the first 64 requests */
    double finish[64];
    uint64_t nreq;
} ls_trace;

/* One expected task of a schedule: stage name, PU name, start, finish. */
typedef struct ls_expect {
    const char *stage, *pu;
    double start, end;
} ls_expect;

static inline void ls_on_kernel(void *ctx, const hs_kernel_row *row)
{
    ls_trace *tr = ctx;
    if (tr->n == tr->cap) {
        tr->cap = tr->cap ? 2 * tr->cap : 256;
        tr->rows = realloc(tr->rows, tr->cap * sizeof *tr->rows);
        assert_non_null(tr->rows);
    }
    ls_row *r = &tr->rows[tr->n++];
    r->request = row->request;
    snprintf(r->stage, sizeof r->stage, "%s", row->stage);
    r->pu = row->pu;
    r->start = row->start_s;
    r->end = row->end_s;
}

static inline void ls_on_request(void *ctx, const hs_request_row *row)
{
    ls_trace *tr = ctx;
    if (row->request < 64) {
        tr->arrival[row->request] = row->arrival_s;
        tr->finish[row->request] = row->finish_s;
    }
    tr->nreq++;
}

static inline void ls_trace_free(ls_trace *tr)
{
    free(tr->rows);
    memset(tr, 0, sizeof *tr);
}

static inline const hs_policy_ops *ls_policy(const char *name)
{
    hs_err err;
    const hs_policy_ops *p = hs_policy_lookup(name, &err);
    if (!p)
        fail_msg("policy %s: %s", name, err.msg);
    return p;
}

static inline hs_hw *ls_hw(const char *name)
{
    hs_err err;
    hs_hw *hw = hs_hw_load(name, &err);
    if (!hw)
        fail_msg("profile %s: %s", name, err.msg);
    return hw;
}

static inline hs_workload *ls_workload(const char *name)
{
    hs_err err;
    hs_workload *wl = NULL;
    if (hs_workload_load(name, &wl, &err) != 0)
        fail_msg("workload %s: %s", name, err.msg);
    return wl;
}

/* A workload from YAML text (a built-in file with keys changed, say). */
static inline hs_workload *ls_workload_text(const char *yaml)
{
    hs_err err;
    hs_node *root = hs_conf_load_string(yaml, strlen(yaml), "<test>", &err);
    if (!root)
        fail_msg("yaml: %s", err.msg);
    hs_workload *wl = NULL;
    if (hs_workload_from_node(root, &wl, &err) != 0)
        fail_msg("workload: %s", err.msg);
    hs_node_free(root);
    return wl;
}

/* Runs policy on hw and wl; the trace (may be NULL) gets every kernel. */
static inline void ls_run(const char *policy, const hs_hw *hw, const hs_workload *wl, uint64_t seed,
                   ls_trace *tr, hs_run_metrics *m)
{
    hs_run_cfg cfg = {
        .hw = hw, .wl = wl, .policy = ls_policy(policy), .seed = seed, .end_time = INFINITY,
        .sink = {.ctx = tr, .kernel = tr ? ls_on_kernel : NULL, .request = tr ? ls_on_request : NULL},
    };
    hs_err err;
    if (hs_run(&cfg, m, &err) != 0)
        fail_msg("%s run: %s", policy, err.msg);
}

static inline const ls_row *ls_find(const ls_trace *tr, uint64_t request, const char *stage)
{
    for (size_t i = 0; i < tr->n; i++)
        if (tr->rows[i].request == request && strcmp(tr->rows[i].stage, stage) == 0)
            return &tr->rows[i];
    return NULL;
}

/* Checks request `request`'s kernels against a schedule (times relative
 * to the request's arrival), and that it has no other kernel. */
static inline void ls_check_schedule(const ls_trace *tr, const hs_hw *hw, uint64_t request, const ls_expect *x,
                              size_t n)
{
    const double t0 = request < 64 ? tr->arrival[request] : 0;
    size_t mine = 0;
    for (size_t i = 0; i < tr->n; i++)
        mine += tr->rows[i].request == request;
    assert_int_equal(mine, n);
    for (size_t i = 0; i < n; i++) {
        const ls_row *r = ls_find(tr, request, x[i].stage);
        if (!r)
            fail_msg("task %s did not run", x[i].stage);
        int pu = hs_hw_pu_find(hw, x[i].pu);
        if (r->pu != pu || fabs(r->start - t0 - x[i].start) > 1e-9 || fabs(r->end - t0 - x[i].end) > 1e-9)
            fail_msg("task %s: ran on %s [%g, %g], expected %s [%g, %g]", x[i].stage,
                     hw->pus[r->pu].name, r->start - t0, r->end - t0, x[i].pu, x[i].start, x[i].end);
    }
}

/* Two runs agree on every metric that does not depend on the wall clock. */
static inline void ls_assert_same_metrics(const hs_run_metrics *a, const hs_run_metrics *b)
{
    assert_int_equal(a->all.requests, b->all.requests);
    assert_true(a->makespan_s == b->makespan_s);
    assert_true(a->all.mean_latency_s == b->all.mean_latency_s);
    assert_true(a->all.p99_latency_s == b->all.p99_latency_s);
    assert_true(a->energy_j == b->energy_j);
    assert_int_equal(a->events, b->events);
    assert_int_equal(a->works, b->works);
    assert_int_equal(a->npus, b->npus);
    for (size_t i = 0; i < a->npus; i++)
        assert_true(a->pus[i].busy_s == b->pus[i].busy_s);
}

/* A built-in workload with its `requests` set to n and, when not NULL,
 * its `granularity` and its `arrival` (YAML flow text). */
static inline hs_workload *ls_workload_limited(const char *name, int n, const char *gran, const char *arrival)
{
    char path[4096], num[32];
    hs_err err;
    if (hs_conf_resolve(HS_WL_DIR, name, path, sizeof path, &err) != 0)
        fail_msg("%s", err.msg);
    hs_node *root = hs_conf_load_file(path, &err);
    if (!root)
        fail_msg("%s", err.msg);
    snprintf(num, sizeof num, "%d", n);
    if (hs_node_set_path(root, "requests", hs_node_new_scalar(num, "<test>", 1, 1), &err) != 0 ||
        (gran && hs_node_set_path(root, "granularity", hs_node_new_scalar(gran, "<test>", 1, 1), &err) != 0))
        fail_msg("%s", err.msg);
    if (arrival) {
        hs_node *a = hs_conf_load_string(arrival, strlen(arrival), "<test>", &err);
        if (!a || hs_node_set_path(root, "arrival", a, &err) != 0)
            fail_msg("%s", err.msg);
    }
    hs_workload *wl = NULL;
    if (hs_workload_from_node(root, &wl, &err) != 0)
        fail_msg("%s: %s", name, err.msg);
    hs_node_free(root);
    return wl;
}

/* All kernels of request `request`'s stage `stage` ran on one PU (a stage
 * is planned as a whole); false when the stage did not run. */
static inline bool ls_one_pu(const ls_trace *tr, uint64_t request, const char *stage)
{
    int pu = -1;
    for (size_t i = 0; i < tr->n; i++) {
        const ls_row *r = &tr->rows[i];
        if (r->request != request || strcmp(r->stage, stage) != 0)
            continue;
        if (pu >= 0 && r->pu != pu)
            return false;
        pu = r->pu;
    }
    return pu >= 0;
}

/* A workflow whose DAG is revealed while it runs (HeRo's document QA bot:
 * the rewrite stage fans out one retrieval per sub-query it emits) on a
 * real profile, at op granularity: the run completes, every request
 * finishes, each single-instance stage ran all its items on one PU, and
 * the same seed gives the same metrics. */
static inline void ls_check_dynamic(const char *policy)
{
    enum { NREQ = 3 };
    hs_hw *hw = ls_hw("snapdragon-8gen3");
    hs_workload *wl = ls_workload_limited("hero-docqa-llama", NREQ, NULL, NULL);
    ls_trace tr = {0};
    hs_run_metrics a, b;
    ls_run(policy, hw, wl, 42, &tr, &a);
    assert_int_equal(a.all.requests, NREQ);
    assert_int_equal(tr.nreq, NREQ);
    assert_true(a.makespan_s > 0 && isfinite(a.makespan_s));
    static const char *const single[] = {"chunk", "index", "rewrite", "refine", "generate"};
    for (uint64_t r = 0; r < NREQ; r++)
        for (size_t i = 0; i < sizeof single / sizeof single[0]; i++)
            if (!ls_one_pu(&tr, r, single[i]))
                fail_msg("%s: request %llu stage %s did not run on a single PU", policy,
                         (unsigned long long)r, single[i]);
    ls_run(policy, hw, wl, 42, NULL, &b);
    ls_assert_same_metrics(&a, &b);
    hs_run_metrics_free(&a);
    hs_run_metrics_free(&b);
    ls_trace_free(&tr);
    hs_workload_free(wl);
    hs_hw_free(hw);
}

#endif
