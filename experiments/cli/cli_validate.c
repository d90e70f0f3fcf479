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

/* Takes `--NAME N` (an option of validate's own, N in [lo, 100]) out of
 * argv; the rest are the flags of `hetsoc sim`.  *given tells whether it
 * was there. */
static int take_count(int *argc, char **argv, const char *name, int lo, int *count, bool *given)
{
    size_t len = strlen(name);
    for (int i = 1; i < *argc; i++) {
        const char *v = NULL;
        int used = 0;
        if (strncmp(argv[i], "--", 2) != 0 || strncmp(argv[i] + 2, name, len) != 0)
            continue;
        const char *rest = argv[i] + 2 + len;
        if (*rest == '=')
            v = rest + 1, used = 1;
        else if (*rest == '\0' && i + 1 < *argc)
            v = argv[i + 1], used = 2;
        else if (*rest == '\0')
            return hs_cli_misuse(&hs_cli_validate, "--%s needs a value", name);
        else
            continue;
        unsigned long long n;
        if (hs_cli_parse_u64(v, (unsigned long long)lo, 100, &n))
            return hs_cli_misuse(&hs_cli_validate, "--%s must be an integer in [%d, 100], got '%s'", name, lo, v);
        *count = (int)n;
        *given = true;
        for (int j = i; j + used <= *argc; j++)
            argv[j] = argv[j + used];
        *argc -= used;
        i--;
    }
    return 0;
}

/* Takes the flag NAME out of argv; *set tells whether it was there. */
static int take_flag(int *argc, char **argv, const char *name, bool *set)
{
    for (int i = 1; i < *argc; i++)
        if (strcmp(argv[i], name) == 0) {
            *set = true;
            for (int j = i; j < *argc; j++)
                argv[j] = argv[j + 1];
            (*argc)--;
            i--;
        }
    return 0;
}

/* validate --contention --hw HW [--json]: the contention check alone. */
static int contention_run(int argc, char **argv)
{
    const char *hw_name = NULL;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--hw") == 0 && i + 1 < argc)
            hw_name = argv[++i];
        else if (strncmp(argv[i], "--hw=", 5) == 0)
            hw_name = argv[i] + 5;
        else if (strcmp(argv[i], "--json") == 0)
            json = true;
        else
            return hs_cli_misuse(&hs_cli_validate, "--contention takes only --hw and --json, not '%s'", argv[i]);
    }
    if (!hw_name)
        return hs_cli_misuse(&hs_cli_validate, "--contention needs --hw");
    hs_err err;
    hs_hw *hw = hs_hw_load(hw_name, &err);
    hs_real_contention_check c;
    int rc = hw ? 0 : -1;
    if (rc == 0) {
        hs_cli_real_machine_warn(hw);
        rc = hs_real_contention(hw, &(hs_real_opts){.data_seed = 1, .log = hs_cli_real_log()}, 0, &c, &err);
    }
    if (rc != 0)
        hs_err_print(&err, stderr);
    else if (json)
        hs_real_contention_json(&c, stdout);
    else
        hs_real_contention_print(&c, stdout);
    hs_hw_free(hw);
    return rc == 0 ? HS_EXIT_OK : HS_EXIT_FAIL;
}

/* Requests a validation runs at the least, unless --set workload.requests
 * says otherwise: one request then moves the MAPE by at most 1/100 of its
 * error (chosen). */
enum { MIN_REQUESTS = 100 };
static const char min_requests_set[] = "workload.requests=100";

static bool sets_requests(const hs_cli_run_opts *opt)
{
    for (int i = 0; i < opt->nsets; i++)
        if (strncmp(opt->sets[i], "workload.requests=", 18) == 0)
            return true;
    return false;
}

/* Resolves the run; a workload stopping after fewer than MIN_REQUESTS
 * requests is resolved again with MIN_REQUESTS. */
static hs_node *resolve(hs_cli_run_opts *opt, hs_run_objs *o)
{
    hs_node *spec = hs_cli_run_resolve(opt, o);
    if (!spec || sets_requests(opt) || opt->nsets >= HS_CLI_MAX_SETS)
        return spec;
    int64_t n = hs_workload_max_requests(o->wl);
    if (n <= 0 || n >= MIN_REQUESTS)
        return spec;
    hs_run_objs_free(o);
    hs_node_free(spec);
    opt->sets[opt->nsets++] = min_requests_set;
    return hs_cli_run_resolve(opt, o);
}

static void report(const hs_cli_run_opts *opt, const hs_run_objs *o, const hs_real_validation *v)
{
    if (opt->json) {
        char extra[512];
        snprintf(extra, sizeof extra, "\"policy\": \"%s\", \"hw\": \"%s\", \"workload\": \"%s\", \"seed\": %llu, ",
                 o->policy->name, o->hw->name, hs_workload_name(o->wl), (unsigned long long)o->seed);
        hs_real_validation_json(v, extra, stdout);
        return;
    }
    printf("validate: policy %s on %s, workload %s, seed %llu, %d repetition%s of %d hardware run%s\n",
           o->policy->name, o->hw->name, hs_workload_name(o->wl), (unsigned long long)o->seed, v->repeat,
           v->repeat == 1 ? "" : "s", v->runs, v->runs == 1 ? "" : "s");
    hs_real_validation_print(v, 12, stdout);
}

static int validate_run(int argc, char **argv)
{
    int runs = 3, repeat = 1;
    bool runs_given = false, repeat_given = false, contention = false;
    int rc = take_count(&argc, argv, "runs", 1, &runs, &runs_given);
    if (rc == 0)
        rc = take_count(&argc, argv, "repeat", 1, &repeat, &repeat_given);
    if (rc == 0)
        rc = take_flag(&argc, argv, "--contention", &contention);
    if (rc)
        return rc;
    if (repeat_given && !runs_given)
        runs = 1;   /* each repetition one run: the noise floor is that of single runs */
    if (contention)
        return contention_run(argc, argv);
    hs_cli_run_opts opt;
    rc = hs_cli_run_parse(&hs_cli_validate, argc, argv, &opt);
    if (rc)
        return rc;
    if (opt.timeline)
        return hs_cli_misuse(&hs_cli_validate, "--timeline is not an option of validate (use hetsoc real)");
    hs_err err;
    hs_run_objs o;
    hs_node *spec = resolve(&opt, &o);
    if (!spec)
        return HS_EXIT_FAIL;
    hs_cli_real_machine_warn(o.hw);
    hs_real_opts ro = {.data_seed = o.seed, .log = hs_cli_real_log(), .runs = runs, .repeat = repeat};
    hs_run_cfg cfg = hs_cli_run_cfg(&o);
    hs_real_validation v;
    hs_run_metrics ms, mr;
    rc = hs_real_validate(&cfg, &ro, &v, &ms, &mr, &err);
    if (rc != 0) {
        hs_err_print(&err, stderr);
    } else {
        report(&opt, &o, &v);
        hs_real_validation_free(&v);
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
             "                       [--runs N] [--repeat N] [--json]\n"
             "       hetsoc validate --contention --hw HW [--json]\n"
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
             "                   (default 3, or 1 with --repeat: a shared machine's noise shrinks)\n"
             "  --repeat N       N repetitions (default 1): each compared with the simulation and with\n"
             "                   the previous one, giving the error beside the machine's noise floor\n"
             "                   (noise_floor_request_latency; for kernels noise_floor_kernel_error),\n"
             "                   each with a 95% confidence interval\n"
             "  --contention     co-run a memory-bound kernel on two PUs of one memory and compare\n"
             "                   the measured slowdown with the model's\n"
             "A workload of fewer than 100 requests runs 100 (--set workload.requests=N to change).\n"
             "The text report breaks the kernel error down by op class and shape (median signed\n"
             "error: negative means the model is optimistic); the JSON carries it as kernel_classes\n"
             "and kernel_shapes.\n"
             "  --json           print one JSON object\n",
    .run = validate_run,
};
