/* Fuzzes workflow template files (workloads/workflows/ format) through
 * hs_workflow_check, which reads one from a path. */
#include "tests/fuzz/fuzz_util.h"
#include "workloads/workloads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("workflow.yaml", data, size);
    if (path) {
        char desc[256];
        hs_err err;
        (void)hs_workflow_check(path, desc, sizeof desc, &err);
    }
    fuzz_remove("workflow.yaml");
    return 0;
}
