/* hetsoc: what `hetsoc sim`, `real`, `validate` and `bench overhead` share
 * (experiments/cli/cli_run.h): their flags, the run they resolve to, the
 * summary they print. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli/cli.h"
#include "experiments/cli/cli_run.h"
#include "experiments/cli/timeline.h"
#include "experiments/sweep/runspec.h"

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
        {"timeline-window", required_argument, NULL, 'W'},
        {NULL, 0, NULL, 0},
    };
    memset(o, 0, sizeof *o);
    o->seed = 1;
    o->window_to_s = INFINITY;
    bool window = false;
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
            if (!strchr(optarg, '=') || optarg[0] == '=')
                return hs_cli_misuse(cmd, "--set expects KEY=VALUE, got '%s'", optarg);
            o->sets[o->nsets++] = optarg;
            break;
        case 'S':
            if (hs_cli_parse_u64(optarg, 0, (unsigned long long)INT64_MAX, &v))
                return hs_cli_misuse(cmd, "--seed must be a non-negative integer, got '%s'", optarg);
            o->seed = v;
            break;
        case 'j': o->json = true; break;
        case 't': o->timeline = optarg; break;
        case 'W':
            if (hs_timeline_parse_window(optarg, &o->window_from_s, &o->window_to_s) != 0)
                return hs_cli_misuse(cmd, "error: --timeline-window takes A:B in seconds, 0 <= A < B "
                                          "(A or B may be empty), got '%s'", optarg);
            window = true;
            break;
        default: return hs_cli_misuse(cmd, "bad option");
        }
    }
    if (optind != argc)
        return hs_cli_misuse(cmd, "unexpected argument '%s'", argv[optind]);
    if (window && !o->timeline)
        return hs_cli_misuse(cmd, "error: --timeline-window needs --timeline FILE");
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

/* An error a --set value caused inside a profile or workload file is
 * reported at the command line, naming the --set options. */
static void blame_sets(const hs_cli_run_opts *opt, hs_err *err)
{
    if (opt->nsets == 0 || strncmp(err->msg, "<--set ", 7) == 0)
        return;
    for (int i = 0; i < opt->nsets; i++)
        if (hs_runspec_err_in(err, strchr(opt->sets[i], '=') + 1))
            return;
    hs_err ignored;
    if (!hs_runspec_resolves(hs_runspec_new(opt->hw, opt->workload, opt->policy, opt->seed, &ignored)))
        return;   /* the run fails without the --set options too */
    char what[512] = "with";
    for (int i = 0; i < opt->nsets; i++)
        snprintf(what + strlen(what), sizeof what - strlen(what), " --set %s", opt->sets[i]);
    hs_runspec_blame(err, "<command line>", 0, 0, what);
}

hs_node *hs_cli_run_resolve(const hs_cli_run_opts *opt, hs_run_objs *o)
{
    hs_err err;
    *o = (hs_run_objs){0};
    hs_node *spec = hs_cli_run_spec(opt, &err);
    int rc = spec ? hs_runspec_resolve(spec, o, &err) : -1;
    if (spec && rc != 0)
        blame_sets(opt, &err);
    if (rc != 0) {
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
        .end_time = o->end_time, .max_events = o->max_events, .watchdog_wall_s = o->watchdog_wall_s,
        .watchdog_idle_events = o->watchdog_idle_events, .fast_sync = o->fast_sync,
        .engine = o->engine, .engine_status = o->engine_status,
    };
}

static void print_stats_row(const char *name, const hs_latency_stats *s)
{
    printf("  %-12s %8llu %10.4f %10.4f %10.4f %10.4f %10.4g\n", name, (unsigned long long)s->requests,
           s->mean_latency_s, s->p50_latency_s, s->p90_latency_s, s->p99_latency_s, s->throughput_rps);
}

void hs_cli_warn_truncated(const hs_run_metrics *m)
{
    if (!hs_run_truncated(m))
        return;
    fflush(stdout);
    fprintf(stderr,
            "hetsoc: warning: the run was truncated by engine.%s with %llu request(s) in flight; its metrics "
            "cover only the %llu request(s) finished before the cut\n",
            m->truncated, (unsigned long long)m->in_flight, (unsigned long long)m->all.requests);
}

void hs_cli_run_summary(const hs_run_objs *o, const hs_run_metrics *m, const char *backend)
{
    printf("%s: policy %s on %s, workload %s, seed %llu\n", backend, o->policy->name, o->hw->name,
           hs_workload_name(o->wl), (unsigned long long)o->seed);
    printf("  %-12s %8s %10s %10s %10s %10s %10s\n", "class", "requests", "mean s", "p50 s", "p90 s",
           "p99 s", "req/s");
    if (o->engine_status == HS_ENGINE_FITTED || o->engine_status == HS_ENGINE_NO_FIGURES)
        printf("  engine preset %s: %s\n", o->engine,
               o->engine_status == HS_ENGINE_FITTED ? "its fitted efficiencies on this profile"
                                                    : "no figures for this profile, its own efficiencies");
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
    if (m->ndram)
        printf("  %-12s %10s %10s %10s %10s\n", "memory", "GB moved", "mean GB/s", "peak GB/s", "of GB/s");
    for (size_t i = 0; i < m->ndram; i++)
        printf("  %-12s %10.4g %10.4g %10.4g %10.4g\n", m->dram[i].name, 1e-9 * m->dram[i].bytes,
               1e-9 * m->dram[i].mean_bps, 1e-9 * m->dram[i].peak_bps, 1e-9 * m->dram[i].achievable_bps);
}
