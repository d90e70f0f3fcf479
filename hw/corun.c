/* hetsoc hw: kernels running together, sharing memory bandwidth.
 *
 * The steady state of sim/'s fluid model for a fixed set of kernels: each
 * kernel is a flow over its PU's bandwidth cap and its memory domain, with
 * bound bytes / (time it would take with unlimited bandwidth), and the
 * max-min solver shares the capacities.  A memory-bound kernel then slows
 * by (bandwidth alone / bandwidth allocated); a compute-bound one asks for
 * little and keeps its speed, which is what Agent.xpu (GEMV vs GEMM) and
 * HeteroInfer (decode bandwidth 43 -> 60 GB/s) measured. */
#include "hw/hw.h"
#include "sim/machine/bandwidth.h"


#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct corun_ctx {
    hs_bw *bw;
    int *pu_res, *mem_res;  /* solver resource of each PU and memory, lazily */
    int *flow;
    double *compute;        /* compute time of each item under PU sharing */
} corun_ctx;

static void ctx_free(corun_ctx *c)
{
    if (c->bw)
        hs_bw_destroy(c->bw);
    free(c->pu_res);
    free(c->mem_res);
    free(c->flow);
    free(c->compute);
}

static int ctx_init(corun_ctx *c, const hs_hw *hw, size_t n)
{
    memset(c, 0, sizeof *c);
    c->bw = hs_bw_create();
    c->pu_res = malloc(hw->npus * sizeof *c->pu_res);
    c->mem_res = malloc(hw->nmem * sizeof *c->mem_res);
    c->flow = malloc((n ? n : 1) * sizeof *c->flow);
    c->compute = malloc((n ? n : 1) * sizeof *c->compute);
    if (!c->bw || !c->pu_res || !c->mem_res || !c->flow || !c->compute)
        return -1;
    for (size_t i = 0; i < hw->npus; i++)
        c->pu_res[i] = -1;
    for (size_t i = 0; i < hw->nmem; i++)
        c->mem_res[i] = -1;
    return 0;
}

static int mem_resource(corun_ctx *c, const hs_hw *hw, int m)
{
    if (c->mem_res[m] < 0) {
        const hs_mem *mem = &hw->mems[m];
        c->mem_res[m] = hs_bw_add_resource(c->bw, mem->name, mem->achievable_bps);
        if (c->mem_res[m] >= 0 && mem->nphi > 0 &&
            hs_bw_set_phi(c->bw, c->mem_res[m], mem->phi_demand_bps, mem->phi, mem->nphi) < 0)
            return -1;
    }
    return c->mem_res[m];
}

static int pu_resource(corun_ctx *c, const hs_hw *hw, int pu)
{
    if (c->pu_res[pu] < 0)
        c->pu_res[pu] = hs_bw_add_resource(c->bw, hw->pus[pu].name, hw->pus[pu].bandwidth_bps);
    return c->pu_res[pu];
}

/* Predicts each item alone; an item its PU cannot run is an error. */
static int predict_all(const hs_hw *hw, const hs_corun_item *items, size_t n, unsigned flags,
                       hs_corun_out *out, hs_err *err)
{
    for (size_t i = 0; i < n; i++) {
        int rc = hs_hw_predict(hw, items[i].pu, &items[i].kernel, flags, &out[i].alone, err);
        if (rc < 0)
            return -1;
        if (rc == HS_PRED_CANNOT_RUN)
            return hs_errf(err, "%s", out[i].alone.why);
    }
    return 0;
}

/* Adds one flow per item.  Kernels on one PU share its compute equally
 * (processor sharing), so each computes `count` times slower. */
static int add_flows(corun_ctx *c, const hs_hw *hw, const hs_corun_item *items, size_t n,
                     const hs_corun_out *out)
{
    for (size_t i = 0; i < n; i++) {
        int same = 0;
        for (size_t j = 0; j < n; j++)
            same += items[j].pu == items[i].pu;
        const hs_pred *a = &out[i].alone;
        c->compute[i] = a->compute_s * same;
        double body = fmax(c->compute[i], a->memory_s);
        double bound = a->bytes > 0 ? (body > 0 ? a->bytes / body : INFINITY) : 0;
        int res[2] = {pu_resource(c, hw, items[i].pu), mem_resource(c, hw, hw->pus[items[i].pu].mem)};
        if (res[0] < 0 || res[1] < 0)
            return -1;
        c->flow[i] = hs_bw_add_flow(c->bw, res, 2, bound);
        if (c->flow[i] < 0)
            return -1;
    }
    hs_bw_solve(c->bw);
    return 0;
}

static void fill_out(const corun_ctx *c, size_t n, unsigned flags, hs_corun_out *out)
{
    for (size_t i = 0; i < n; i++) {
        const hs_pred *a = &out[i].alone;
        double x = hs_bw_rate(c->bw, c->flow[i]);
        double body = c->compute[i];
        if (a->bytes > 0)
            body = x > 0 ? fmax(body, a->bytes / x) : INFINITY;
        out[i].bandwidth_bps = x;
        out[i].latency_s = body + a->launch_s + ((flags & HS_PRED_CHARGE_BUILD) ? a->build_s : 0);
        out[i].slowdown = a->latency_s > 0 ? out[i].latency_s / a->latency_s : 1.0;
    }
}

static int run(const hs_hw *hw, const hs_corun_item *items, size_t n, unsigned flags, hs_corun_out *out,
               corun_ctx *c, hs_err *err)
{
    if (predict_all(hw, items, n, flags, out, err) < 0)
        return -1;
    if (ctx_init(c, hw, n) < 0 || add_flows(c, hw, items, n, out) < 0)
        return hs_errf(err, "co-run prediction: out of memory");
    fill_out(c, n, flags, out);
    return 0;
}

int hs_hw_predict_corun(const hs_hw *hw, const hs_corun_item *items, size_t n, unsigned flags,
                        hs_corun_out *out, hs_err *err)
{
    corun_ctx c = {0};
    int rc = run(hw, items, n, flags, out, &c, err);
    ctx_free(&c);
    return rc;
}

int hs_hw_corun_mem_bps(const hs_hw *hw, const hs_corun_item *items, size_t n, unsigned flags, int mem,
                        double *bps, hs_err *err)
{
    if (mem < 0 || (size_t)mem >= hw->nmem)
        return hs_errf(err, "no memory domain %d in profile '%s'", mem, hw->name);
    hs_corun_out *out = calloc(n ? n : 1, sizeof *out);
    if (!out)
        return hs_errf(err, "out of memory");
    corun_ctx c = {0};
    int rc = run(hw, items, n, flags, out, &c, err);
    *bps = 0;
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (hw->pus[items[i].pu].mem == mem)
            *bps += out[i].bandwidth_bps;
    ctx_free(&c);
    free(out);
    return rc;
}
