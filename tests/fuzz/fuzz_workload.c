/* Fuzzes workloads (hs_workload_from_node: every kind, request classes,
 * arrivals, inline and named workflow templates and models), then draws
 * the first arrivals of a loaded workload. */
#include "tests/fuzz/fuzz_util.h"
#include "workloads/workloads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_node *n = fuzz_yaml(data, size);
    hs_workload *wl = NULL;
    hs_err err;
    if (n && hs_workload_from_node(n, &wl, &err) == 0) {
        hs_gen *g = hs_gen_create(wl, 1, &err);
        hs_arrival a;
        for (int i = 0; g && i < 64 && hs_gen_next(g, &a, &err) == HS_GEN_READY; i++)
            ;
        hs_gen_free(g);
        hs_workload_free(wl);
    }
    hs_node_free(n);
    return 0;
}
