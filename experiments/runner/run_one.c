/* hetsoc: executing one run of an experiment (runner.h's hs_sweep_execute):
 * resolve its spec, run it in the simulator or on the OpenCL devices, and
 * fill its record from the engine's rows and metrics. */
#include <stdlib.h>
#include <string.h>

#include "experiments/runner/runner.h"
#include "experiments/sweep/runspec.h"
#include "real/real.h"

typedef struct sink_ctx {
    hs_run_record *r;
    const hs_hw *hw;
    bool oom;
} sink_ctx;

static void on_request(void *ctx, const hs_request_row *row)
{
    sink_ctx *c = ctx;
    hs_rec_req q = {
        .request = (int64_t)row->request, .cls = hs_record_str(c->r, row->cls), .warmup = row->warmup,
        .arrival_s = row->arrival_s, .first_token_s = row->first_token_s, .finish_s = row->finish_s,
        .latency_s = row->latency_s,
    };
    if (q.cls == UINT32_MAX || hs_record_add_req(c->r, &q) != 0)
        c->oom = true;
}

static void on_kernel(void *ctx, const hs_kernel_row *row)
{
    sink_ctx *c = ctx;
    const char *pu = row->pu >= 0 && (size_t)row->pu < c->hw->npus ? c->hw->pus[row->pu].name : "?";
    hs_rec_kernel k = {
        .work = (int64_t)row->work, .request = row->request == UINT64_MAX ? -1 : (int64_t)row->request,
        .stage = hs_record_str(c->r, row->stage), .slot = hs_record_str(c->r, row->slot),
        .pu = hs_record_str(c->r, pu), .batch = row->batch, .part = row->part, .ready_s = row->ready_s,
        .start_s = row->start_s, .end_s = row->end_s, .flops = row->flops, .bytes = row->bytes,
    };
    if (k.stage == UINT32_MAX || k.slot == UINT32_MAX || k.pu == UINT32_MAX || hs_record_add_kernel(c->r, &k) != 0)
        c->oom = true;
}

void hs_sweep_execute(const hs_experiment *e, size_t i, hs_run_record *r)
{
    r->run = (int64_t)i;
    memcpy(r->key, e->runs[i].key, sizeof r->key);
    r->ok = true;
    free(r->message);
    r->message = strdup("");
    hs_err err;
    hs_run_objs o;
    hs_node *spec = hs_experiment_spec(e, i, &err);
    if (!spec || hs_runspec_resolve(spec, &o, &err) != 0) {
        hs_node_free(spec);
        hs_record_fail(r, err.msg);
        return;
    }
    sink_ctx sc = {.r = r, .hw = o.hw};
    hs_run_cfg cfg = {
        .hw = o.hw, .wl = o.wl, .policy = o.policy, .policy_params = o.params, .seed = o.seed,
        .end_time = o.end_time, .max_events = o.max_events, .fast_sync = o.fast_sync,
        .sink = {.ctx = &sc, .request = on_request, .kernel = e->kernels ? on_kernel : NULL},
    };
    hs_run_metrics m;
    /* On hardware the run's kernels run on this machine's OpenCL devices,
     * warmed up first, with the same seed for the data (real/real.h). */
    int rc = e->backend == HS_BACKEND_REAL ? hs_real_run(&cfg, &(hs_real_opts){.data_seed = o.seed}, &m, NULL, &err)
                                           : hs_run(&cfg, &m, &err);
    if (rc == 0 && sc.oom)
        rc = hs_errf(&err, "out of memory recording the run's rows");
    if (rc == 0) {
        r->m = (hs_rec_metrics){
            .requests = (int64_t)m.all.requests, .events = (int64_t)m.events,
            .mean_latency_s = m.all.mean_latency_s, .p50_latency_s = m.all.p50_latency_s,
            .p90_latency_s = m.all.p90_latency_s, .p99_latency_s = m.all.p99_latency_s,
            .mean_ttft_s = m.all.mean_ttft_s, .slo_attainment = m.all.slo_attainment,
            .makespan_s = m.makespan_s, .throughput_rps = m.all.throughput_rps, .energy_j = m.energy_j,
            .wall_s = m.wall_s,
        };
        for (size_t p = 0; p < m.npus && rc == 0; p++)
            if (hs_record_add_pu(r, m.pus[p].name, m.pus[p].busy_s, m.pus[p].utilization, m.pus[p].energy_j) != 0)
                rc = hs_errf(&err, "out of memory");
    }
    if (rc != 0)
        hs_record_fail(r, err.msg);
    hs_run_metrics_free(&m);
    hs_run_objs_free(&o);
    hs_node_free(spec);
}

