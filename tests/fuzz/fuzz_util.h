/* hetsoc: what the libFuzzer harnesses of tests/fuzz/ share -- a private
 * temporary folder for the loaders that read files (removed at exit), the
 * fuzz input as YAML, and the small experiment whose results file and
 * journal seed the corpora of the results and journal harnesses. */
#ifndef HS_TESTS_FUZZ_UTIL_H
#define HS_TESTS_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "sim/conf/conf.h"

/* Two policies, two seeds, a few hundred requests on one PU: a results
 * file of four runs with rows in every table, written in well under a
 * second.  The journal and --resume harnesses check their input against
 * this experiment, so its runs' keys match those of the seeds. */
#define FUZZ_EXPERIMENT \
    "name: fuzz-seed\n" \
    "hw: generic-1pu\n" \
    "workload: synthetic-mm1\n" \
    "set: {workload.requests: 40, workload.warmup: 0}\n" \
    "policy: [fifo, eft]\n" \
    "seeds: [1, 2]\n"

/* The harness's private folder (created on first use, emptied and removed
 * at exit). */
const char *fuzz_dir(void);
/* dir/name, in a static buffer of the caller's (size bytes). */
const char *fuzz_path(const char *name, char *buf, size_t size);
/* Writes data to dir/name; returns its path (static storage until the
 * next call) or NULL on failure. */
const char *fuzz_write(const char *name, const uint8_t *data, size_t size);
/* Removes dir/name when present. */
void fuzz_remove(const char *name);
/* The input as a YAML tree named "fuzz.yaml"; NULL when it does not parse
 * (the error is dropped). */
hs_node *fuzz_yaml(const uint8_t *data, size_t size);

#endif
