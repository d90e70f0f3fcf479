/* Fuzzes hardware profiles: a YAML mapping in the profile format
 * (hs_hw_from_node), as a `hw:` key or a file holds it.  Scalars (names
 * of built-in profiles or paths) are left out: they would read files. */
#include "hw/hw.h"
#include "tests/fuzz/fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hs_node *n = fuzz_yaml(data, size);
    if (n && n->kind == HS_NODE_MAP) {
        hs_err err;
        hs_hw_free(hs_hw_from_node(n, &err));
    }
    hs_node_free(n);
    return 0;
}
