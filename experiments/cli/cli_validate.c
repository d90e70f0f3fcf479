/* hetsoc validate: the same run in the simulator and on the hardware.
 *   hetsoc validate --hw HW --workload WL --policy NAME [--set key=value]...
 *                   [--seed N] [--json]
 * Runs the workload in the simulator (with the profile HW, which should be
 * calibrated for this machine: `hetsoc profile`) and on the OpenCL backend
 * with the same policy and seed, and reports the errors of the simulator
 * against the measurement: mean absolute percentage error of request
 * latency (requests paired by id) and of kernel latency, and the relative
 * makespan error, as fractions; and the scheduling overhead per
 * dispatched kernel on the real backend. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/cli/cli.h"
#include "experiments/cli/cli_run.h"
#include "experiments/sweep/runspec.h"
#include "real/real.h"

/* Takes `--runs N` (validate's own option) out of argv; the rest are the
 * flags of `hetsoc sim`. */
static int take_runs(int *argc, char **argv, int *runs)
{
    for (int i = 1; i < *argc; i++) {
        const char *v = NULL;
        int used = 0;
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < *argc)
            v = argv[i + 1], used = 2;
        else if (strncmp(argv[i], "--runs=", 7) == 0)
            v = argv[i] + 7, used = 1;
        else if (strcmp(argv[i], "--runs") == 0)
            return hs_cli_misuse(&hs_cli_validate, "--runs needs a value");
        if (!used)
            continue;
        unsigned long long n;
        if (hs_cli_parse_u64(v, 1, 100, &n))
            return hs_cli_misuse(&hs_cli_validate, "--runs must be an integer in [1, 100], got '%s'", v);
        *runs = (int)n;
        for (int j = i; j + used <= *argc; j++)
            argv[j] = argv[j + used];
        *argc -= used;
        i--;
    }
    return 0;
}

static int validate_run(int argc, char **argv)
{
    int runs = 3;
    int rc = take_runs(&argc, argv, &runs);
    if (rc)
        return rc;
    hs_cli_run_opts opt;
    rc = hs_cli_run_parse(&hs_cli_validate, argc, argv, &opt);
    if (rc)
        return rc;
    if (opt.timeline)
        return hs_cli_misuse(&hs_cli_validate, "--timeline is not an option of validate (use hetsoc real)");
    hs_err err;
    hs_run_objs o;
    hs_node *spec = hs_cli_run_resolve(&opt, &o);
    if (!spec)
        return HS_EXIT_FAIL;
    hs_real_opts ro = {.data_seed = o.seed, .log = hs_cli_real_log(), .runs = runs};
    hs_run_cfg cfg = hs_cli_run_cfg(&o);
    hs_real_validation v;
    hs_run_metrics ms, mr;
    rc = hs_real_validate(&cfg, &ro, &v, &ms, &mr, &err);
    if (rc != 0) {
        hs_err_print(&err, stderr);
    } else if (opt.json) {
        char extra[512];
        snprintf(extra, sizeof extra, "\"policy\": \"%s\", \"hw\": \"%s\", \"workload\": \"%s\", \"seed\": %llu, ",
                 o.policy->name, o.hw->name, hs_workload_name(o.wl), (unsigned long long)o.seed);
        hs_real_validation_json(&v, extra, stdout);
    } else {
        printf("validate: policy %s on %s, workload %s, seed %llu, %d hardware run%s\n", o.policy->name, o.hw->name,
               hs_workload_name(o.wl), (unsigned long long)o.seed, runs, runs == 1 ? "" : "s");
        printf("  %-28s %10s %10s\n", "", "sim", "real");
        printf("  %-28s %10.4f %10.4f\n", "mean request latency (s)", v.sim_mean_latency_s, v.real_mean_latency_s);
        printf("  %-28s %10.4f %10.4f\n", "makespan (s)", v.sim_makespan_s, v.real_makespan_s);
        printf("  request latency error (MAPE)  %6.1f%%  (%zu requests; mean signed %+.1f%%)\n",
               100 * v.mape_request_latency, v.requests, 100 * v.bias_request_latency);
        printf("  kernel latency error (MAPE)   %6.1f%%  (%zu kernels paired, %zu unpaired)\n",
               100 * v.mape_kernel_latency, v.kernels, v.unpaired_kernels);
        printf("  makespan error                %6.1f%%\n", 100 * v.makespan_error);
        printf("  scheduling overhead           %6.1f us a dispatched kernel (%.1f us CPU, enqueue %.1f us)\n",
               v.stats.overhead_us, v.stats.overhead_cpu_us, v.stats.enqueue_us);
    }
    if (rc == 0) {
        hs_run_metrics_free(&ms);
        hs_run_metrics_free(&mr);
    }
    hs_run_objs_free(&o);
    hs_node_free(spec);
    return rc == 0 ? HS_EXIT_OK : HS_EXIT_FAIL;
}

const hs_cli_cmd hs_cli_validate = {
    .name = "validate",
    .summary = "compare the simulator with the hardware on one run (request/kernel latency errors)",
    .usage = "usage: hetsoc validate --hw HW --workload WL --policy NAME [--set KEY=VALUE]... [--seed N]\n"
             "                       [--runs N] [--json]\n"
             "\n"
             "Runs the workload in the simulator with profile HW (calibrate one with `hetsoc profile`;\n"
             "pocl-cpu-2pu is built in) and on this machine's OpenCL devices, same policy and seed, and\n"
             "reports the simulator's errors: mape_request_latency (requests paired by id),\n"
             "mape_kernel_latency (kernels paired by request, stage and position), makespan_error\n"
             "(fractions), and the real backend's scheduling overhead per dispatched kernel\n"
             "(overhead_us_per_kernel: engine + policy + enqueue + completion handling).\n"
             "\n"
             "  --hw, --workload, --policy, --set, --seed   as for `hetsoc sim`\n"
             "  --runs N         hardware runs averaged (per request, per kernel) before comparing\n"
             "                   (default 3: a shared machine's run-to-run noise shrinks)\n"
             "  --json           print one JSON object\n",
    .run = validate_run,
};
