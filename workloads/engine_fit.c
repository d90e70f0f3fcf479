/* hetsoc workloads: fitting an engine preset's efficiency to its published
 * rate with the simulator's own cost model (hw.h, "Engine presets";
 * `hetsoc hw engines`, tests/workloads/test_engine_fit.c).
 *
 * A prefill rate fixes the compute efficiency, a decode rate the memory
 * efficiency: the figure's single-request rate (hs_llm_rate, the rules of
 * `hetsoc workload check`) grows with either, so bisection finds the value
 * that reproduces it.  The stored value is the fit rounded to 3 decimals;
 * `hetsoc hw engines` recomputes every fit so that the stored numbers stay
 * reproducible. */
#include <math.h>
#include <string.h>

#include "workloads/wl_private.h"

enum { BISECT_STEPS = 60 };
static const double EFF_LO = 1e-3, EFF_HI = 1;

typedef struct fit_ctx {
    hs_hw *hw;
    hs_pu *pu;
    hs_eff_kind kind;
    hs_rate_spec spec;
} fit_ctx;

static int rate_at(fit_ctx *c, double eff, double *rate, hs_err *err)
{
    if (c->kind == HS_EFF_COMPUTE)
        hs_pu_set_compute_eff(c->pu, eff);
    else
        c->pu->mem_eff = eff;
    return hs_llm_rate(c->hw, &c->spec, rate, err);
}

static int granularity_of(const hs_engine_fig *f, hs_granularity *g, hs_err *err)
{
    for (int i = 0; i < HS_GRAN_COUNT; i++)
        if (strcmp(f->granularity, hs_granularity_name((hs_granularity)i)) == 0) {
            *g = (hs_granularity)i;
            return 0;
        }
    return hs_node_err(hs_map_get(hs_map_get(f->at, "fit"), "granularity"), err,
                       "unknown granularity '%s' (op, layer, stage, step)", f->granularity);
}

/* Bisection on a log scale over [EFF_LO, EFF_HI]: the rate is monotone in
 * the efficiency (times are sums of max(W / P_eff, Q / B_eff) terms).  A
 * rate above the one at efficiency 1 gives 1 (the profile's caps -- peak,
 * bandwidth, launches -- bound the engine: the fit is capped). */
static int bisect(fit_ctx *c, double target, double *eff, hs_err *err)
{
    double lo = log(EFF_LO), hi = log(EFF_HI), r_lo, r_hi;
    if (rate_at(c, EFF_LO, &r_lo, err) < 0 || rate_at(c, EFF_HI, &r_hi, err) < 0)
        return -1;
    if (target < r_lo)
        return hs_errf(err, "%.4g tok/s is below the model's %.4g tok/s at efficiency %g", target, r_lo, EFF_LO);
    if (target >= r_hi) {
        *eff = EFF_HI;
        return 0;
    }
    for (int i = 0; i < BISECT_STEPS; i++) {
        double mid = 0.5 * (lo + hi), r;
        if (rate_at(c, exp(mid), &r, err) < 0)
            return -1;
        if (r < target)
            lo = mid;
        else
            hi = mid;
    }
    *eff = exp(hi);
    return 0;
}

int hs_engine_fit(const hs_engine_fig *f, double *fitted, double *rate_at_value, hs_err *err)
{
    fit_ctx c = {.kind = f->kind,
                 .spec = {.pus = f->pu, .model = f->model, .quant = f->quant, .prompt = f->prompt,
                          .phase = f->kind == HS_EFF_COMPUTE ? HS_PHASE_PREFILL : HS_PHASE_DECODE,
                          .queued = f->queued, .launches_per_layer = f->launches_per_layer}};
    if (granularity_of(f, &c.spec.gran, err) < 0 || !(c.hw = hs_hw_load(f->profile, err)))
        return -1;
    int pu = hs_hw_pu_lookup(c.hw, f->pu, err);
    int rc = pu < 0 ? -1 : 0;
    if (rc == 0) {
        c.pu = &c.hw->pus[pu];
        rc = bisect(&c, f->rate, fitted, err);
    }
    if (rc == 0)
        rc = rate_at(&c, f->value, rate_at_value, err);
    hs_hw_free(c.hw);
    if (rc < 0) {
        const char *m = strstr(err->msg, "error: ");
        char copy[HS_ERR_MSG_MAX];
        snprintf(copy, sizeof copy, "%s", m ? m + 7 : err->msg);
        return hs_node_err(f->at, err, "fitting %s of %s on %s %s: %s",
                           f->kind == HS_EFF_COMPUTE ? "compute_efficiency" : "memory_efficiency", f->model,
                           f->profile, f->pu, copy);
    }
    return 0;
}
