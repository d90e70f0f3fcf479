/* hetsoc profile: calibrate a hardware profile on this machine.
 *   hetsoc profile [-o FILE] [--workload WL] [--name NAME] [--cpu-pus N] [--no-npu]
 *                  [--reps N] [--quick] [--seed N] [--quiet]
 * Measures each op class over the shapes of a workload on every PU (alone and
 * co-running), fits the performance model and writes a profile the simulator
 * loads like any other (real/profile.c).  The file is written whole or not at
 * all: a temporary file renamed at the end. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "experiments/cli/cli.h"
#include "real/real.h"

static int profile_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"workload", required_argument, NULL, 'w'},
        {"name", required_argument, NULL, 'n'},
        {"cpu-pus", required_argument, NULL, 'c'},
        {"no-npu", no_argument, NULL, 'N'},
        {"reps", required_argument, NULL, 'r'},
        {"quick", no_argument, NULL, 'q'},
        {"seed", required_argument, NULL, 'S'},
        {"quiet", no_argument, NULL, 'Q'},
        {NULL, 0, NULL, 0},
    };
    hs_real_profile_opts po = {.log = stderr};
    const char *out = NULL;
    unsigned long long v;
    int c;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'w': po.workload = optarg; break;
        case 'n': po.name = optarg; break;
        case 'c':
            if (hs_cli_parse_u64(optarg, 1, 64, &v))
                return hs_cli_misuse(&hs_cli_profile, "--cpu-pus must be an integer in [1, 64], got '%s'", optarg);
            po.cpu_pus = (int)v;
            break;
        case 'N': po.no_npu = true; break;
        case 'r':
            if (hs_cli_parse_u64(optarg, 1, 1000, &v))
                return hs_cli_misuse(&hs_cli_profile, "--reps must be an integer in [1, 1000], got '%s'", optarg);
            po.reps = (int)v;
            break;
        case 'q': po.quick = true; break;
        case 'S':
            if (hs_cli_parse_u64(optarg, 0, (unsigned long long)INT64_MAX, &v))
                return hs_cli_misuse(&hs_cli_profile, "--seed must be a non-negative integer, got '%s'", optarg);
            po.seed = v;
            break;
        case 'Q': po.log = NULL; break;
        default: return hs_cli_misuse(&hs_cli_profile, "bad option");
        }
    }
    if (optind != argc)
        return hs_cli_misuse(&hs_cli_profile, "unexpected argument '%s'", argv[optind]);
    hs_err err;
    if (!out) {
        if (hs_real_profile(&po, stdout, &err) != 0) {
            hs_err_print(&err, stderr);
            return HS_EXIT_FAIL;
        }
        return HS_EXIT_OK;
    }
    size_t len = strlen(out) + 32;
    char *tmp = malloc(len);
    if (!tmp) {
        fprintf(stderr, "error: out of memory\n");
        return HS_EXIT_FAIL;
    }
    snprintf(tmp, len, "%s.partial.%ld", out, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int rc = 0;
    if (!f) {
        fprintf(stderr, "error: cannot write '%s'\n", tmp);
        rc = -1;
    } else {
        rc = hs_real_profile(&po, f, &err);
        if (fclose(f) != 0 && rc == 0)
            rc = hs_errf(&err, "cannot write '%s'", out);
        if (rc == 0 && rename(tmp, out) != 0)
            rc = hs_errf(&err, "cannot rename '%s' to '%s'", tmp, out);
        if (rc != 0) {
            hs_err_print(&err, stderr);
            remove(tmp);
        }
    }
    free(tmp);
    return rc == 0 ? HS_EXIT_OK : HS_EXIT_FAIL;
}

const hs_cli_cmd hs_cli_profile = {
    .name = "profile",
    .summary = "calibrate a hardware profile on this machine's OpenCL devices",
    .usage = "usage: hetsoc profile [-o FILE] [--workload WL] [--name NAME] [--cpu-pus N] [--no-npu]\n"
             "                      [--reps N] [--quick] [--seed N] [--quiet]\n"
             "\n"
             "Binds PUs to this machine's OpenCL devices (each GPU its own PU; the CPU device split into\n"
             "--cpu-pus sub-devices, default 2, the last emulating an NPU unless --no-npu), measures every\n"
             "kernel shape of the workload (default tiny-agentic-rag) on every PU alone and co-running,\n"
             "with repetitions and robust statistics, fits the performance model and writes a hardware\n"
             "profile (YAML, hw/'s format) to FILE (default: standard output).\n"
             "\n"
             "  -o, --output FILE  write the profile here (written whole or not at all)\n"
             "  --workload WL      the workload whose kernels are measured\n"
             "  --name NAME        the profile's name (default pocl-cpu-Npu, or opencl-Ggpu-Ncpu)\n"
             "  --reps N           timed repetitions per point (default 9; 3 with --quick)\n"
             "  --quick            few points and repetitions (tests)\n"
             "  --quiet            no progress on stderr\n",
    .run = profile_run,
};
