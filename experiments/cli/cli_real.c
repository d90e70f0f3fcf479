/* hetsoc real: one run on the OpenCL backend, with exactly the flags of
 * `hetsoc sim` (experiments/cli/cli_run.h).
 *   hetsoc real --hw HW --workload WL --policy NAME [--set key=value]...
 *               [--seed N] [--json] [--timeline FILE]
 * The run is prepared first (every kernel shape warmed up on every PU that
 * can run it), then timed.  HETSOC_REAL_LOG=1 prints the device binding
 * and the warm-up on stderr. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "experiments/cli/cli.h"
#include "experiments/cli/cli_run.h"
#include "experiments/sweep/runspec.h"
#include "experiments/cli/timeline.h"
#include "real/real.h"

/* See cli_run.h. */
FILE *hs_cli_real_log(void)
{
    const char *v = getenv("HETSOC_REAL_LOG");
    return v && *v && strcmp(v, "0") != 0 ? stderr : NULL;
}

/* See cli_run.h. */
void hs_cli_real_machine_warn(const hs_hw *hw)
{
    char why[3072];
    if (hs_real_machine_check(hw, why, sizeof why) != 1)
        fprintf(stderr, "warning: %s\n", why);
}

static int real_run(int argc, char **argv)
{
    hs_cli_run_opts opt;
    int rc = hs_cli_run_parse(&hs_cli_real, argc, argv, &opt);
    if (rc)
        return rc;
    hs_err err;
    hs_run_objs o;
    hs_node *spec = hs_cli_run_resolve(&opt, &o);
    if (!spec)
        return HS_EXIT_FAIL;
    hs_cli_real_machine_warn(o.hw);
    hs_real_opts ro = {.data_seed = o.seed, .log = hs_cli_real_log()};
    hs_exec *x = hs_exec_real_create(o.hw, &ro, &err);
    hs_timeline *tl = NULL;
    hs_run_cfg cfg = hs_cli_run_cfg(&o);
    cfg.exec = x;
    rc = x ? hs_real_prepare(x, &cfg, &err) : -1;
    if (rc == 0 && opt.timeline &&
        !(tl = hs_timeline_open(opt.timeline, o.hw, opt.window_from_s, opt.window_to_s, &err)))
        rc = -1;
    hs_run_metrics m = {0};
    if (rc == 0) {
        if (tl)
            hs_timeline_attach(tl, &cfg);
        rc = hs_run(&cfg, &m, &err);
        if (rc == 0)
            rc = hs_real_check(x, &err);
        if (tl && hs_timeline_close(tl, rc == 0, rc == 0 ? &err : &(hs_err){{0}}) != 0)
            rc = -1;
    }
    if (rc == 0)
        hs_cli_warn_truncated(&m);
    if (rc == 0 && opt.json) {
        hs_run_metrics_json(&m, stdout);
    } else if (rc == 0) {
        hs_cli_run_summary(&o, &m, "real");
        hs_real_stats st;
        hs_real_stats_get(x, &st);
        printf("  %llu kernels (%llu OpenCL commands); scheduling overhead %.1f us a kernel "
               "(%.1f us CPU, enqueue %.1f us); events handled %.1f us late on average\n",
               (unsigned long long)st.kernels, (unsigned long long)st.commands, st.overhead_us,
               st.overhead_cpu_us, st.enqueue_us, st.lag_us);
        for (size_t i = 0; i < o.hw->npus; i++)
            printf("  %-12s -> %s\n", o.hw->pus[i].name, hs_real_pu_device(x, (int)i));
    } else {
        hs_err_print(&err, stderr);
    }
    hs_run_metrics_free(&m);
    if (x)
        x->ops->destroy(x);
    hs_run_objs_free(&o);
    hs_node_free(spec);
    return rc == 0 ? HS_EXIT_OK : HS_EXIT_FAIL;
}

const hs_cli_cmd hs_cli_real = {
    .name = "real",
    .summary = "run one workload on one profile under one policy, on OpenCL devices",
    .usage = "usage: hetsoc real --hw HW --workload WL --policy NAME [--set KEY=VALUE]... [--seed N]\n"
             "                   [--json] [--timeline FILE]\n"
             "\n"
             "The flags of `hetsoc sim`; the run happens on this machine's OpenCL devices (PoCL's\n"
             "CPU device split into sub-devices, each GPU its own PU) with the same engine and policy.\n"
             "Use a profile calibrated here (`hetsoc profile -o FILE`, or the built-in pocl-cpu-2pu).\n"
             "\n"
             "  --hw HW          built-in profile name (hetsoc list hw) or a YAML path\n"
             "  --workload WL    built-in workload name (e.g. tiny-agentic-rag) or a YAML path\n"
             "  --policy NAME    built-in policy (hetsoc list policies) or a plugin .so path\n"
             "  --set KEY=VALUE  edit the run: policy.PARAM=V, hw.PATH=V, workload.PATH=V,\n"
             "                   engine.sync=naive|fast, engine.end_time=S, engine.max_events=N\n"
             "  --seed N         run seed (default 1); also seeds the random weights and corpus\n"
             "  --json           print one JSON object (the keys of `hetsoc sim --json`)\n"
             "  --timeline FILE  write a Chrome trace-event JSON timeline of the measured run\n"
             "\n"
             "HETSOC_REAL_LOG=1 prints the device binding and the warm-up on stderr.\n",
    .run = real_run,
};

/* hetsoc bench overhead: the scheduling overhead per dispatched kernel on
 * the real backend (empty kernels, so the engine's thread has the CPU). */
static int overhead_run(int argc, char **argv)
{
    hs_cli_run_opts opt;
    int rc = hs_cli_run_parse(&hs_cli_bench_overhead, argc, argv, &opt);
    if (rc)
        return rc;
    if (opt.timeline)
        return hs_cli_misuse(&hs_cli_bench_overhead, "--timeline is not an option of bench overhead");
    hs_err err;
    hs_run_objs o;
    hs_node *spec = hs_cli_run_resolve(&opt, &o);
    if (!spec)
        return HS_EXIT_FAIL;
    hs_run_cfg cfg = hs_cli_run_cfg(&o);
    hs_real_stats st;
    rc = hs_real_bench_overhead(&cfg, &st, &err);
    if (rc != 0)
        hs_err_print(&err, stderr);
    else if (opt.json)
        printf("{\"policy\": \"%s\", \"hw\": \"%s\", \"workload\": \"%s\", \"kernels\": %llu, "
               "\"overhead_us_per_kernel\": %.4g, \"overhead_cpu_us_per_kernel\": %.4g, "
               "\"enqueue_us_per_kernel\": %.4g}\n",
               o.policy->name, o.hw->name, hs_workload_name(o.wl), (unsigned long long)st.kernels, st.overhead_us,
               st.overhead_cpu_us, st.enqueue_us);
    else
        printf("bench overhead: policy %s on %s, workload %s: %llu kernels, %.2f us a dispatched kernel "
               "(%.2f us CPU with sleeps and wake-ups; enqueue %.2f us)\n",
               o.policy->name, o.hw->name, hs_workload_name(o.wl), (unsigned long long)st.kernels, st.overhead_us,
               st.overhead_cpu_us, st.enqueue_us);
    hs_run_objs_free(&o);
    hs_node_free(spec);
    return rc == 0 ? HS_EXIT_OK : HS_EXIT_FAIL;
}

const hs_cli_cmd hs_cli_bench_overhead = {
    .name = "bench overhead",
    .summary = "scheduling overhead per dispatched kernel on the real backend",
    .usage = "usage: hetsoc bench overhead --hw HW --workload WL --policy NAME [--set KEY=VALUE]... [--seed N]\n"
             "                             [--json]\n"
             "\n"
             "Runs the workload on the OpenCL backend with an empty kernel for every work item and reports\n"
             "the host's cost per dispatched kernel: the policy's decision, the engine's bookkeeping, the\n"
             "enqueue and the completion handling -- the time the engine's thread works, i.e. is not\n"
             "blocked waiting (overhead_us_per_kernel), and its CPU time, which also counts going to\n"
             "sleep and waking up (overhead_cpu_us_per_kernel).\n",
    .run = overhead_run,
};
