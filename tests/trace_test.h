/* A kernel trace that engine scenario tests share: the run's kernel rows
 * (hs_kernel_row), recorded by the sink on_kernel into the static `tr`.
 * Define TRACE_ROWS (the rows kept; later rows are dropped) before
 * including.  Include after <cmocka.h>; trace_run also needs
 * tests/yaml_test.h and policies/registry.h included first. */
#ifndef HS_TESTS_TRACE_TEST_H
#define HS_TESTS_TRACE_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>

#include "sim/engine/engine.h"

#ifndef TRACE_ROWS
#define TRACE_ROWS 256
#endif

typedef struct trace {
    size_t n;
    struct {
        uint64_t work, request;
        char stage[32], slot[32];
        int pu;
        double start, end;
    } row[TRACE_ROWS];
} trace;

static trace tr;

static void on_kernel(void *ctx, const hs_kernel_row *row)
{
    (void)ctx;
    if (tr.n == TRACE_ROWS)
        return;
    tr.row[tr.n].work = row->work;
    tr.row[tr.n].request = row->request;
    snprintf(tr.row[tr.n].stage, sizeof tr.row[tr.n].stage, "%s", row->stage);
    snprintf(tr.row[tr.n].slot, sizeof tr.row[tr.n].slot, "%s", row->slot);
    tr.row[tr.n].pu = row->pu;
    tr.row[tr.n].start = row->start_s;
    tr.row[tr.n].end = row->end_s;
    tr.n++;
}

#if defined(HS_TESTS_YAML_TEST_H) && defined(HS_POLICIES_REGISTRY_H)
/* Runs policy p (params: YAML text or NULL) on the profile and workload
 * given as YAML text, seed 1, recording the kernels into tr.  Returns
 * hs_run's status (err gets its message); a profile or workload that does
 * not load fails the test. */
static inline int trace_try_ops(const hs_policy_ops *p, const char *hw_yaml, const char *wl_yaml,
                                const char *params, hs_run_metrics *m, hs_err *err)
{
    hs_node *hn = yaml(hw_yaml), *wn = yaml(wl_yaml), *pn = params ? yaml(params) : NULL;
    hs_hw *hw = hs_hw_from_node(hn, err);
    if (!hw)
        fail_msg("%s", err->msg);
    hs_workload *wl = NULL;
    if (hs_workload_from_node(wn, &wl, err) != 0)
        fail_msg("%s", err->msg);
    memset(&tr, 0, sizeof tr);
    hs_run_cfg cfg = {.hw = hw, .wl = wl, .policy = p, .policy_params = pn, .seed = 1,
                      .end_time = INFINITY, .sink = {.kernel = on_kernel}};
    int rc = hs_run(&cfg, m, err);
    hs_workload_free(wl);
    hs_hw_free(hw);
    hs_node_free(hn);
    hs_node_free(wn);
    hs_node_free(pn);
    return rc;
}

/* trace_try_ops of built-in policy `policy`. */
static inline int trace_try(const char *policy, const char *hw_yaml, const char *wl_yaml,
                            const char *params, hs_run_metrics *m, hs_err *err)
{
    const hs_policy_ops *p = hs_policy_lookup(policy, err);
    if (!p)
        fail_msg("%s", err->msg);
    return trace_try_ops(p, hw_yaml, wl_yaml, params, m, err);
}

/* trace_try, and a run that fails fails the test with its message. */
static inline void trace_run(const char *policy, const char *hw_yaml, const char *wl_yaml,
                             const char *params, hs_run_metrics *m)
{
    hs_err err;
    if (trace_try(policy, hw_yaml, wl_yaml, params, m, &err) != 0)
        fail_msg("%s: %s", policy, err.msg);
}
#endif


#endif
