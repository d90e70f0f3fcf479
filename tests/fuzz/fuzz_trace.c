/* Fuzzes trace files in the format FUZZ_TRACE_FORMAT ("azure-csv" or
 * "jsonl"; one harness each): the input is the trace a `kind: llm`
 * workload replays; the workload loads (which reads the whole trace once)
 * and its arrivals are drawn. */
#include <stdio.h>

#include "tests/fuzz/fuzz_util.h"
#include "workloads/workloads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void replay(const char *path)
{
    char yaml[1400];
    int len = snprintf(yaml, sizeof yaml,
                       "kind: llm\nmodel: llama-3.2-1b\narrival: {process: trace, path: '%s', format: %s}\n", path,
                       FUZZ_TRACE_FORMAT);
    hs_err err;
    hs_node *n = hs_conf_load_string(yaml, (size_t)len, "fuzz-trace.yaml", &err);
    hs_workload *wl = NULL;
    if (n && hs_workload_from_node(n, &wl, &err) == 0) {
        hs_gen *g = hs_gen_create(wl, 1, &err);
        hs_arrival a;
        while (g && hs_gen_next(g, &a, &err) == HS_GEN_READY)
            ;
        hs_gen_free(g);
        hs_workload_free(wl);
    }
    hs_node_free(n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write("trace", data, size);
    if (path)
        replay(path);
    fuzz_remove("trace");
    return 0;
}
