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
    if (hs_record_add_request_row(c->r, row) != 0)
        c->oom = true;
}

static void on_kernel(void *ctx, const hs_kernel_row *row)
{
    sink_ctx *c = ctx;
    if (hs_record_add_kernel_row(c->r, row, c->hw) != 0)
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
        .end_time = o.end_time, .max_events = o.max_events, .watchdog_wall_s = o.watchdog_wall_s,
        .watchdog_idle_events = o.watchdog_idle_events, .fast_sync = o.fast_sync,
        .engine = o.engine, .engine_status = o.engine_status,
        .sink = {.ctx = &sc, .request = on_request, .kernel = e->kernels ? on_kernel : NULL},
    };
    hs_run_metrics m;
    /* On hardware the run's kernels run on this machine's OpenCL devices,
     * warmed up first, with the same seed for the data (real/real.h). */
    int rc = e->backend == HS_BACKEND_REAL ? hs_real_run(&cfg, &(hs_real_opts){.data_seed = o.seed}, &m, NULL, &err)
                                           : hs_run(&cfg, &m, &err);
    if (rc == 0 && sc.oom)
        rc = hs_errf(&err, "out of memory recording the run's rows");
    if (rc == 0 && hs_record_set_metrics(r, &m) != 0)
        rc = hs_errf(&err, "out of memory");
    if (rc != 0)
        hs_record_fail(r, err.msg);
    hs_run_metrics_free(&m);
    hs_run_objs_free(&o);
    hs_node_free(spec);
}

