/* Fuzzes the readers of HDF5 results files; FUZZ_RESULTS_MODE picks the
 * reader (one harness each): 1 `hetsoc summary` (the table, then every
 * table as CSV), 2 `--resume` from a complete file (hs_sweep_recover of
 * FUZZ_EXPERIMENT), 3 `hetsoc merge` of the file with itself.  The input
 * is the results file. */
#include <stdio.h>

#include "experiments/results/h5io.h"
#include "experiments/results/run_summary.h"
#include "experiments/runner/runner.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if FUZZ_RESULTS_MODE == 1
static void read_file(const char *path)
{
    static const char *const tables[] = {"runs", "configs", "requests", "pus", "kernels"};
    hs_err err;
    FILE *sink = fopen("/dev/null", "w");
    hs_h5 *h = sink ? hs_h5_open(path, &err) : NULL;
    if (h && hs_summary_print(h, sink, &err) == 0)
        for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
            (void)hs_h5_csv(h, tables[t], NULL, sink, &err);
    hs_h5_close(h, NULL);
    if (sink)
        fclose(sink);
}
#elif FUZZ_RESULTS_MODE == 2
#include <string.h>
static void read_file(const char *path)
{
    static hs_experiment *e;
    hs_err err;
    if (!e && !(e = hs_experiment_parse(FUZZ_EXPERIMENT, strlen(FUZZ_EXPERIMENT), "fuzz-seed.yaml", &err)))
        __builtin_trap();
    hs_sweep_opts o = {.out = path, .jobs = 1};
    hs_sweep_stats st;
    (void)hs_sweep_recover(e, &o, &st, &err);
}
#else
static void read_file(const char *path)
{
    char out[1024];
    char *parts[2] = {(char *)path, (char *)path};
    hs_sweep_stats st = {0};
    hs_err err;
    (void)hs_sweep_merge(fuzz_path("merged.h5", out, sizeof out), parts, 2, &st, &err);
    fuzz_remove("merged.h5");
    fuzz_remove("merged.h5.partial");
}
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("out.h5", data, size);
    if (path)
        read_file(path);
    fuzz_remove("out.h5");
    return 0;
}
