/* hetsoc: the plugin queries of policies/policy.h's "Plugin queries"
 * section -- a work's finish time on a PU, the PU's kind and the works on
 * it, a work's energy.  They read the engine's state and change nothing. */
#include <math.h>

#include "policies/policy.h"
#include "sim/engine/engine_internal.h"

static bool valid_pu(const hs_sched *s, int pu) { return pu >= 0 && pu < (int)s->hw->npus; }

/* Whether a kernel starting on pu at `start`, its inputs there at in_at,
 * is charged pu's queued launch: it follows work on pu (what runs there
 * now, or what it waits behind) with its inputs there before it could
 * start, as the engine's start_flags decides when it starts it. */
static bool queued_launch(const hs_sched *s, int pu, bool waits, double start, double in_at)
{
    return (waits || s->pus[pu].running > 0) && (in_at < start || in_at <= hs_now(s));
}

/* The graph build w's start on pu would pay: an NPU shape the executor
 * has not built (an executor that keeps no record builds every time). */
static double build_s(hs_sched *s, int pu, const hs_cost *c)
{
    if (!c->needs_build)
        return 0;
    const hs_exec_ops *x = s->x->ops;
    return x->graph_built && x->graph_built(s->x, pu, c->m, false) ? 0 : c->build_s;
}

double hs_finish_at(hs_sched *s, const hs_work *w, int pu, hs_finish_estimate *out)
{
    if (!valid_pu(s, pu))
        return INFINITY;
    const double run = hs_predict_now(s, w, pu);   /* plain launch + body beside what runs */
    if (!isfinite(run))
        return INFINITY;
    const hs_cost *c = hs_engine_work_cost(s, (hs_work *)w, pu);
    const double now = hs_now(s);
    const bool waits = hs_pu_free_slots(s, pu) == 0;
    const double pu_at = waits ? hs_pu_available_at(s, pu) : now;
    const double in_at = hs_input_ready_at(s, w, pu);
    hs_finish_estimate e = {.start_s = in_at > pu_at ? in_at : pu_at, .queue_s = pu_at - now};
    e.input_s = e.start_s - pu_at;
    e.launch_s = (queued_launch(s, pu, waits, e.start_s, in_at) ? c->queue_launch_s : c->launch_s) +
                 build_s(s, pu, c);
    e.body_s = run - c->launch_s;
    e.finish_s = e.start_s + e.launch_s + e.body_s;
    if (out)
        *out = e;
    return e.finish_s;
}

hs_pu_kind hs_pu_kind_of(const hs_sched *s, int pu)
{
    return valid_pu(s, pu) ? s->hw->pus[pu].kind : HS_PU_KIND_COUNT;
}

const char *hs_pu_kind_str(const hs_sched *s, int pu)
{
    return valid_pu(s, pu) ? hs_pu_kind_name(s->hw->pus[pu].kind) : NULL;
}

hs_work *hs_pu_queue_first(const hs_sched *s, int pu) { return valid_pu(s, pu) ? s->pus[pu].queue_head : NULL; }
hs_work *hs_pu_running_first(const hs_sched *s, int pu) { return valid_pu(s, pu) ? s->pus[pu].running_head : NULL; }
hs_work *hs_pu_work_next(const hs_sched *s, const hs_work *w)
{
    (void)s;
    return w->queue_next;
}

double hs_predict_energy_j(hs_sched *s, const hs_work *w, int pu)
{
    if (!valid_pu(s, pu) || !isfinite(hs_predict(s, w, pu)))
        return INFINITY;
    const hs_cost *c = hs_engine_work_cost(s, (hs_work *)w, pu);
    const hs_pu *p = &s->hw->pus[pu];
    return p->power_active_w * c->body_s + c->bytes * s->hw->mems[p->mem].energy_j_per_byte;
}
