/* hetsoc bench: benchmarks of the simulator's parts.
 *   hetsoc bench phold   the event kernel on PHOLD, against a bare reference */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "experiments/cli.h"
#include "sim/sim.h"

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

static int bench_run(int argc, char **argv)
{
    if (argc < 2)
        return hs_cli_misuse(&hs_cli_bench, "expected a benchmark name");
    if (strcmp(argv[1], "phold") == 0)
        return bench_phold(argc - 1, argv + 1);
    return hs_cli_misuse(&hs_cli_bench, "unknown benchmark '%s'", argv[1]);
}

const hs_cli_cmd hs_cli_bench = {
    .name = "bench",
    .summary = "run a benchmark (phold)",
    .usage = "usage: hetsoc bench phold [--lps L] [--pending-per-lp K] [--events N] [--seed S] [--reference] [--json]\n"
             "\n"
             "phold: classic PHOLD on the event kernel. L logical processes each start with K\n"
             "  events; handling an event schedules one at a uniformly random LP after an\n"
             "  exponential delay of mean 1. Prints events, wall time and events per second.\n"
             "  --lps L             logical processes (default 1000)\n"
             "  --pending-per-lp K  initial events per LP (default 10)\n"
             "  --events N          events to handle (default 1000000)\n"
             "  --seed S            run seed (default 1)\n"
             "  --reference         run the bare 4-ary-heap reference PHOLD instead\n"
             "  --json              print one JSON object: events, wall_s, events_per_s, ...\n",
    .run = bench_run,
};
