/* hetsoc sim: one run in the simulator.
 *   hetsoc sim --hw HW --workload WL --policy NAME [--set key=value]...
 *              [--seed N] [--json] [--timeline FILE [--timeline-window A:B]] */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "experiments/cli/cli.h"
#include "experiments/cli/cli_run.h"
#include "experiments/sweep/runspec.h"
#include "experiments/cli/timeline.h"

static int sim_run(int argc, char **argv)
{
    hs_cli_run_opts opt;
    int rc = hs_cli_run_parse(&hs_cli_sim, argc, argv, &opt);
    if (rc)
        return rc;
    hs_err err;
    hs_run_objs o;
    hs_node *spec = hs_cli_run_resolve(&opt, &o);
    if (!spec)
        return HS_EXIT_FAIL;
    hs_timeline *tl = NULL;
    if (opt.timeline &&
        !(tl = hs_timeline_open(opt.timeline, o.hw, opt.window_from_s, opt.window_to_s, &err))) {
        hs_err_print(&err, stderr);
        hs_run_objs_free(&o);
        hs_node_free(spec);
        return HS_EXIT_FAIL;
    }
    hs_run_cfg cfg = hs_cli_run_cfg(&o);
    if (tl)
        hs_timeline_attach(tl, &cfg);
    hs_run_metrics m;
    rc = hs_run(&cfg, &m, &err);
    if (tl && hs_timeline_close(tl, rc == 0, rc == 0 ? &err : &(hs_err){{0}}) != 0)
        rc = -1;
    if (rc == 0)
        hs_cli_warn_truncated(&m);
    if (rc == 0 && opt.json)
        hs_run_metrics_json(&m, stdout);
    else if (rc == 0)
        hs_cli_run_summary(&o, &m, "sim");
    else
        hs_err_print(&err, stderr);
    hs_run_metrics_free(&m);
    hs_run_objs_free(&o);
    hs_node_free(spec);
    return rc == 0 ? HS_EXIT_OK : HS_EXIT_FAIL;
}

const hs_cli_cmd hs_cli_sim = {
    .name = "sim",
    .summary = "run one workload on one profile under one policy, simulated",
    .usage = "usage: hetsoc sim --hw HW --workload WL --policy NAME [--set KEY=VALUE]... [--seed N]\n"
             "                  [--json] [--timeline FILE [--timeline-window A:B]]\n"
             "\n"
             "  --hw HW          built-in profile name (hetsoc list hw) or a YAML path\n"
             "  --workload WL    built-in workload name (hetsoc list workloads) or a YAML path\n"
             "  --policy NAME    built-in policy (hetsoc list policies) or a plugin .so path\n"
             "  --set KEY=VALUE  edit the run: policy.PARAM=V, hw.PATH=V, workload.PATH=V,\n"
             "                   engine.sync=naive|fast, engine.end_time=S, engine.max_events=N\n"
             "  --seed N         run seed (default 1): the same seed gives the same results\n"
             "  --json           print one JSON object (requests, mean/p50/p90/p99_latency_s,\n"
             "                   makespan_s, throughput_rps, energy_j, events, wall_s, classes, pus)\n"
             "  --timeline FILE  write a Chrome trace-event JSON timeline (open it in Perfetto):\n"
             "                   PU tracks, a track per request, bandwidth and queue counters;\n"
             "                   FILE.gz is gzipped; a pipe or device is written in place\n"
             "  --timeline-window A:B  keep only seconds A to B of the run (A or B may be empty)\n",
    .run = sim_run,
};
