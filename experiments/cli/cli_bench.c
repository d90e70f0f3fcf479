/* hetsoc bench: benchmarks of the simulator's parts.
 *   hetsoc bench phold   the event kernel on PHOLD, against a bare reference */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "experiments/cli/cli.h"
#include "experiments/sweep/runspec.h"
#include "sim/kernel/phold.h"
#include "sim/machine/machine.h"

typedef struct phold_args {
    hs_phold_opts o;
    bool json;
    bool reference;  /* run the bare 4-ary-heap reference instead */
} phold_args;

static int parse_phold(int argc, char **argv, phold_args *a)
{
    static const struct option opts[] = {
        {"lps", required_argument, NULL, 'l'},
        {"pending-per-lp", required_argument, NULL, 'k'},
        {"events", required_argument, NULL, 'n'},
        {"seed", required_argument, NULL, 's'},
        {"json", no_argument, NULL, 'j'},
        {"reference", no_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    *a = (phold_args){.o = {.lps = 1000, .pending_per_lp = 10, .events = 1000000, .seed = 1}};
    unsigned long long v;
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        const unsigned long long max = 1ULL << 40;
        switch (c) {
        case 'l':
            if (hs_cli_parse_u64(optarg, 1, 1ULL << 26, &v))
                return hs_cli_misuse(&hs_cli_bench, "--lps must be an integer in [1, 2^26], got '%s'", optarg);
            a->o.lps = v;
            break;
        case 'k':
            if (hs_cli_parse_u64(optarg, 1, 1ULL << 20, &v))
                return hs_cli_misuse(&hs_cli_bench, "--pending-per-lp must be an integer in [1, 2^20], got '%s'", optarg);
            a->o.pending_per_lp = v;
            break;
        case 'n':
            if (hs_cli_parse_u64(optarg, 1, max, &v))
                return hs_cli_misuse(&hs_cli_bench, "--events must be an integer in [1, 2^40], got '%s'", optarg);
            a->o.events = v;
            break;
        case 's':
            if (hs_cli_parse_u64(optarg, 0, ~0ULL, &v))
                return hs_cli_misuse(&hs_cli_bench, "--seed must be a non-negative integer, got '%s'", optarg);
            a->o.seed = v;
            break;
        case 'j': a->json = true; break;
        case 'r': a->reference = true; break;
        default: return hs_cli_misuse(&hs_cli_bench, "bad option");
        }
    }
    if (optind != argc)
        return hs_cli_misuse(&hs_cli_bench, "unexpected argument '%s'", argv[optind]);
    if (a->o.lps * a->o.pending_per_lp > (1ULL << 28))
        return hs_cli_misuse(&hs_cli_bench, "--lps x --pending-per-lp must be at most 2^28");
    return 0;
}

static int bench_phold(int argc, char **argv)
{
    phold_args a;
    int rc = parse_phold(argc, argv, &a);
    if (rc)
        return rc;
    hs_phold_result r;
    if ((a.reference ? hs_phold_run_reference : hs_phold_run)(&a.o, &r) != 0) {
        fprintf(stderr, "hetsoc bench phold: out of memory\n");
        return HS_EXIT_FAIL;
    }
    const char *impl = a.reference ? "reference" : "hetsoc";
    if (a.json) {
        printf("{\"impl\": \"%s\", \"lps\": %llu, \"pending_per_lp\": %llu, \"events\": %llu, "
               "\"wall_s\": %.6f, \"events_per_s\": %.1f, \"end_time\": %.6f, \"checksum\": \"%016llx\"}\n",
               impl, (unsigned long long)a.o.lps, (unsigned long long)a.o.pending_per_lp,
               (unsigned long long)r.events, r.wall_s, r.events_per_s, r.end_time,
               (unsigned long long)r.checksum);
    } else {
        printf("PHOLD (%s): %llu LPs x %llu pending = %llu events in the set\n", impl,
               (unsigned long long)a.o.lps, (unsigned long long)a.o.pending_per_lp,
               (unsigned long long)(a.o.lps * a.o.pending_per_lp));
        printf("  events        %llu\n", (unsigned long long)r.events);
        printf("  wall time     %.3f s\n", r.wall_s);
        printf("  events/s      %.3g\n", r.events_per_s);
        printf("  sim end time  %.3f\n", r.end_time);
    }
    return HS_EXIT_OK;
}

/* ---- bench sim ---------------------------------------------------------------
 * A realistic agentic workload at op granularity with contention on: the
 * Agent.xpu reactive + proactive mix on Meteor Lake (core-ultra-125h),
 * every kernel a fluid-machine flow.  It runs twice, for D and for 10 D of
 * simulated time, each in a child process so that each peak resident
 * memory is its own: memory must not grow with simulated time. */

typedef struct sim_sample {
    double sim_s, wall_s, kernels, events, requests;
    long maxrss_kb;
    int ok;
} sim_sample;

static int sim_child(const char *hw, const char *wl, const char *policy, double duration, sim_sample *out)
{
    hs_err err;
    hs_node *spec = hs_runspec_new(hw, wl, policy, 1, &err);
    char set[64];
    snprintf(set, sizeof set, "workload.duration=%.17g", duration);
    hs_run_objs o;
    if (!spec || hs_runspec_set(spec, set, &err) != 0 || hs_runspec_resolve(spec, &o, &err) != 0) {
        hs_err_print(&err, stderr);
        hs_node_free(spec);
        return -1;
    }
    hs_run_cfg cfg = {.hw = o.hw, .wl = o.wl, .policy = o.policy, .policy_params = o.params, .seed = 1,
                      .end_time = o.end_time};
    hs_run_metrics m;
    int rc = hs_run(&cfg, &m, &err);
    if (rc != 0)
        hs_err_print(&err, stderr);
    *out = (sim_sample){.sim_s = m.makespan_s, .wall_s = m.wall_s, .kernels = (double)m.works,
                        .events = (double)m.events, .requests = (double)m.all.requests, .ok = rc == 0};
    hs_run_metrics_free(&m);
    hs_run_objs_free(&o);
    hs_node_free(spec);
    return rc;
}

/* Runs one sample in a child; its peak memory comes from wait4's rusage. */
static int sim_sample_run(const char *hw, const char *wl, const char *policy, double duration, sim_sample *out)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fd[0]);
        sim_sample s = {0};
        sim_child(hw, wl, policy, duration, &s);
        ssize_t n = write(fd[1], &s, sizeof s);
        _exit(n == (ssize_t)sizeof s && s.ok ? 0 : 1);
    }
    close(fd[1]);
    ssize_t n = read(fd[0], out, sizeof *out);
    close(fd[0]);
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0 || n != (ssize_t)sizeof *out || !WIFEXITED(status) ||
        WEXITSTATUS(status) != 0)
        return -1;
    out->maxrss_kb = ru.ru_maxrss;
    return 0;
}

static int bench_sim(int argc, char **argv)
{
    static const struct option opts[] = {
        {"duration", required_argument, NULL, 'd'},
        {"policy", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},
        {NULL, 0, NULL, 0},
    };
    double duration = 300;
    const char *policy = "fifo";
    bool json = false;
    int c;
    unsigned long long v;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            if (hs_cli_parse_u64(optarg, 1, 1000000, &v))
                return hs_cli_misuse(&hs_cli_bench, "--duration must be whole seconds in [1, 10^6], got '%s'", optarg);
            duration = (double)v;
            break;
        case 'p': policy = optarg; break;
        case 'j': json = true; break;
        default: return hs_cli_misuse(&hs_cli_bench, "bad option");
        }
    }
    if (optind != argc)
        return hs_cli_misuse(&hs_cli_bench, "unexpected argument '%s'", argv[optind]);
    const char *hw = "core-ultra-125h", *wl = "agentxpu-mixed";
    sim_sample a, b;
    if (sim_sample_run(hw, wl, policy, duration, &a) != 0 || sim_sample_run(hw, wl, policy, 10 * duration, &b) != 0) {
        fprintf(stderr, "hetsoc bench sim: a run failed\n");
        return HS_EXIT_FAIL;
    }
    const sim_sample *r[2] = {&a, &b};
    if (json) {
        printf("{\"hw\": \"%s\", \"workload\": \"%s\", \"policy\": \"%s\", \"runs\": [", hw, wl, policy);
        for (int i = 0; i < 2; i++)
            printf("%s{\"duration_s\": %.0f, \"requests\": %.0f, \"kernels\": %.0f, \"kernel_events\": %.0f, "
                   "\"wall_s\": %.4f, \"kernel_events_per_s\": %.1f, \"events_per_s\": %.1f, "
                   "\"peak_rss_kb\": %ld}",
                   i ? ", " : "", i ? 10 * duration : duration, r[i]->requests, r[i]->kernels, 2 * r[i]->kernels,
                   r[i]->wall_s, 2 * r[i]->kernels / r[i]->wall_s, r[i]->events / r[i]->wall_s, r[i]->maxrss_kb);
        printf("]}\n");
        return HS_EXIT_OK;
    }
    printf("bench sim: %s on %s, policy %s, op granularity, DRAM contention on\n", wl, hw, policy);
    printf("  %10s %9s %11s %9s %16s %12s %10s\n", "simulated", "requests", "kernels", "wall s",
           "kernel events/s", "events/s", "peak RSS");
    for (int i = 0; i < 2; i++)
        printf("  %9.0fs %9.0f %11.0f %9.3f %16.3g %12.3g %7ld KB\n", i ? 10 * duration : duration,
               r[i]->requests, r[i]->kernels, r[i]->wall_s, 2 * r[i]->kernels / r[i]->wall_s,
               r[i]->events / r[i]->wall_s, r[i]->maxrss_kb);
    printf("  (kernel events = kernel starts + completions)\n");
    return HS_EXIT_OK;
}

static int bench_run(int argc, char **argv)
{
    if (argc < 2)
        return hs_cli_misuse(&hs_cli_bench, "expected a benchmark name");
    if (strcmp(argv[1], "phold") == 0)
        return bench_phold(argc - 1, argv + 1);
    if (strcmp(argv[1], "sim") == 0)
        return bench_sim(argc - 1, argv + 1);
    if (strcmp(argv[1], "overhead") == 0)
        return hs_cli_bench_overhead.run(argc - 1, argv + 1);
    return hs_cli_misuse(&hs_cli_bench, "unknown benchmark '%s'", argv[1]);
}

const hs_cli_cmd hs_cli_bench = {
    .name = "bench",
    .summary = "run a benchmark (phold, sim, overhead)",
    .usage = "usage: hetsoc bench phold [--lps L] [--pending-per-lp K] [--events N] [--seed S] [--reference] [--json]\n"
             "       hetsoc bench sim [--duration S] [--policy P] [--json]\n"
             "       hetsoc bench overhead --hw HW --workload WL --policy P [--set K=V]... [--seed N] [--json]\n"
             "\n"
             "phold: classic PHOLD on the event kernel. L logical processes each start with K\n"
             "  events; handling an event schedules one at a uniformly random LP after an\n"
             "  exponential delay of mean 1. Prints events, wall time and events per second.\n"
             "  --lps L             logical processes (default 1000)\n"
             "  --pending-per-lp K  initial events per LP (default 10)\n"
             "  --events N          events to handle (default 1000000)\n"
             "  --seed S            run seed (default 1)\n"
             "  --reference         run the bare 4-ary-heap reference PHOLD instead\n"
             "  --json              print one JSON object: events, wall_s, events_per_s, ...\n"
             "\n"
             "sim: the whole simulator on a realistic agentic workload (Agent.xpu's reactive +\n"
             "  proactive mix on core-ultra-125h) at op granularity with DRAM contention on, for\n"
             "  S and for 10 S simulated seconds (default S = 300), each in its own process: kernel\n"
             "  events (starts + completions) per second of wall time and peak resident memory.\n"
             "  --policy P          the policy (default fifo)\n"
             "\n"
             "overhead: the real backend's scheduling overhead per dispatched kernel (policy\n"
             "  decision, engine bookkeeping and enqueue) with empty kernels (see real/README.md).\n",
    .run = bench_run,
};
