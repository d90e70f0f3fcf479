/* Fuzzes model files (workloads/models/ format, hs_model_parse). */
#include "tests/fuzz/fuzz_util.h"
#include "workloads/workloads.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_node *n = fuzz_yaml(data, size);
    if (n) {
        hs_model m;
        hs_err err;
        if (hs_model_parse(n, &m, &err) == 0) {
            (void)hs_model_weight_bytes(&m);
            (void)hs_model_kv_bytes_per_token(&m);
        }
    }
    hs_node_free(n);
    return 0;
}
