/* hetsoc sim: one run in the simulator.
 *   hetsoc sim --hw HW --workload WL --policy NAME [--set key=value]...
 *              [--seed N] [--json] [--timeline FILE] */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "experiments/cli.h"
#include "experiments/cli_run.h"
#include "experiments/runspec.h"
#include "experiments/timeline.h"

int hs_cli_run_parse(const hs_cli_cmd *cmd, int argc, char **argv, hs_cli_run_opts *o)
{
    static const struct option opts[] = {
        {"hw", required_argument, NULL, 'h'},
        {"workload", required_argument, NULL, 'w'},
        {"policy", required_argument, NULL, 'p'},
        {"set", required_argument, NULL, 's'},
        {"seed", required_argument, NULL, 'S'},
        {"json", no_argument, NULL, 'j'},
        {"timeline", required_argument, NULL, 't'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->seed = 1;
    unsigned long long v;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'h': o->hw = optarg; break;
        case 'w': o->workload = optarg; break;
        case 'p': o->policy = optarg; break;
        case 's':
            if (o->nsets == HS_CLI_MAX_SETS)
                return hs_cli_misuse(cmd, "at most %d --set options", HS_CLI_MAX_SETS);
            o->sets[o->nsets++] = optarg;
            break;
        case 'S':
            if (hs_cli_parse_u64(optarg, 0, (unsigned long long)INT64_MAX, &v))
                return hs_cli_misuse(cmd, "--seed must be a non-negative integer, got '%s'", optarg);
            o->seed = v;
            break;
        case 'j': o->json = true; break;
        case 't': o->timeline = optarg; break;
        default: return hs_cli_misuse(cmd, "bad option");
        }
    }
    if (optind != argc)
        return hs_cli_misuse(cmd, "unexpected argument '%s'", argv[optind]);
    if (!o->hw || !o->workload || !o->policy)
        return hs_cli_misuse(cmd, "--hw, --workload and --policy are required");
    return 0;
}

hs_node *hs_cli_run_spec(const hs_cli_run_opts *o, hs_err *err)
{
    hs_node *spec = hs_runspec_new(o->hw, o->workload, o->policy, o->seed, err);
    if (!spec)
        return NULL;
    for (int i = 0; i < o->nsets; i++)
        if (hs_runspec_set(spec, o->sets[i], err) != 0) {
            hs_node_free(spec);
            return NULL;
        }
    return spec;
}

hs_node *hs_cli_run_resolve(const hs_cli_run_opts *opt, hs_run_objs *o)
{
    hs_err err;
    *o = (hs_run_objs){0};
    hs_node *spec = hs_cli_run_spec(opt, &err);
    if (!spec || hs_runspec_resolve(spec, o, &err) != 0) {
        hs_err_print(&err, stderr);
        hs_node_free(spec);
        return NULL;
    }
    return spec;
}

hs_run_cfg hs_cli_run_cfg(const hs_run_objs *o)
{
    return (hs_run_cfg){
        .hw = o->hw, .wl = o->wl, .policy = o->policy, .policy_params = o->params, .seed = o->seed,
        .end_time = o->end_time, .max_events = o->max_events, .fast_sync = o->fast_sync,
    };
}

static void print_stats_row(const char *name, const hs_latency_stats *s)
{
    printf("  %-12s %8llu %10.4f %10.4f %10.4f %10.4f %10.4g\n", name, (unsigned long long)s->requests,
           s->mean_latency_s, s->p50_latency_s, s->p90_latency_s, s->p99_latency_s, s->throughput_rps);
}

void hs_cli_run_summary(const hs_run_objs *o, const hs_run_metrics *m, const char *backend)
{
    printf("%s: policy %s on %s, workload %s, seed %llu\n", backend, o->policy->name, o->hw->name,
           hs_workload_name(o->wl), (unsigned long long)o->seed);
    printf("  %-12s %8s %10s %10s %10s %10s %10s\n", "class", "requests", "mean s", "p50 s", "p90 s",
           "p99 s", "req/s");
    print_stats_row("all", &m->all);
    for (size_t i = 0; i < m->nclasses && m->nclasses > 1; i++)
        print_stats_row(m->classes[i].name, &m->classes[i].s);
    if (!isnan(m->all.mean_ttft_s))
        printf("  mean time to first token %.4f s\n", m->all.mean_ttft_s);
    printf("  makespan %.4f s, energy %.4g J, %llu events in %.3f s wall\n", m->makespan_s, m->energy_j,
           (unsigned long long)m->events, m->wall_s);
    printf("  %-12s %10s %8s %10s\n", "PU", "busy s", "util", "energy J");
    for (size_t i = 0; i < m->npus; i++)
        printf("  %-12s %10.4f %7.1f%% %10.4g\n", m->pus[i].name, m->pus[i].busy_s,
               100 * m->pus[i].utilization, m->pus[i].energy_j);
}

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
    if (opt.timeline && !(tl = hs_timeline_open(opt.timeline, o.hw, &err))) {
        hs_err_print(&err, stderr);
        hs_run_objs_free(&o);
        hs_node_free(spec);
        return HS_EXIT_FAIL;
    }
    hs_run_cfg cfg = hs_cli_run_cfg(&o);
    cfg.bw_observer = tl ? hs_timeline_bandwidth : NULL;
    cfg.bw_observer_ctx = tl;
    cfg.sink = (hs_run_sink){.ctx = tl, .kernel = tl ? hs_timeline_kernel : NULL};
    hs_run_metrics m;
    rc = hs_run(&cfg, &m, &err);
    if (tl && hs_timeline_close(tl, rc == 0, rc == 0 ? &err : &(hs_err){{0}}) != 0)
        rc = -1;
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
             "                  [--json] [--timeline FILE]\n"
             "\n"
             "  --hw HW          built-in profile name (hetsoc list hw) or a YAML path\n"
             "  --workload WL    built-in workload name (hetsoc list workloads) or a YAML path\n"
             "  --policy NAME    built-in policy (hetsoc list policies) or a plugin .so path\n"
             "  --set KEY=VALUE  edit the run: policy.PARAM=V, hw.PATH=V, workload.PATH=V,\n"
             "                   engine.sync=naive|fast, engine.end_time=S, engine.max_events=N\n"
             "  --seed N         run seed (default 1): the same seed gives the same results\n"
             "  --json           print one JSON object (requests, mean/p50/p90/p99_latency_s,\n"
             "                   makespan_s, throughput_rps, energy_j, events, wall_s, classes, pus)\n"
             "  --timeline FILE  write a Chrome trace-event JSON timeline (open it in Perfetto)\n",
    .run = sim_run,
};
