/* Fuzzes experiment files: parsing and run-spec expansion (hardware,
 * workloads, policies and their parameters resolved, every run's key),
 * without running anything. */
#include "experiments/sweep/expand.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[1024];
    hs_err err;
    hs_experiment_free(hs_experiment_parse((const char *)data, size, fuzz_path("fuzz.yaml", path, sizeof path), &err));
    return 0;
}
