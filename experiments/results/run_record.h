/* hetsoc: the record of one finished run of an experiment -- its /runs row,
 * its resolved configuration and its /requests, /pus and /kernels rows --
 * and the byte encoding in which a result travels from a worker process or
 * an MPI rank to the writer, and is kept in the sweep's journal.
 *
 * A record has two halves.  The result (status, message, metrics, rows) is
 * what running the spec computes; the identity (labels, seed, backend,
 * sweep values, configuration) is what the experiment's expansion says
 * about run `run`.  Only the result half (with `run` and `key`) is
 * encoded: the writer fills the identity from its own expansion, or reads
 * both halves back from an HDF5 file.
 */
#ifndef HS_EXPERIMENTS_RUN_RECORD_H
#define HS_EXPERIMENTS_RUN_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/conf/conf.h"

/* A sweep value: a number (float64 column) or text (string column). */
typedef struct hs_rec_value {
    bool numeric;
    double num;
    char *text;    /* NULL when numeric */
} hs_rec_value;

typedef struct hs_rec_req {
    int64_t request;
    uint32_t cls;             /* index into the record's strings */
    bool warmup;
    double arrival_s, first_token_s, finish_s, latency_s;
} hs_rec_req;

typedef struct hs_rec_pu {
    uint32_t name;            /* string index */
    double busy_s, utilization, energy_j;
} hs_rec_pu;

typedef struct hs_rec_kernel {
    int64_t work, request;    /* request -1: a batch of several requests */
    uint32_t stage, slot, pu; /* string indices */
    int64_t batch;
    bool part;
    double ready_s, start_s, end_s, flops, bytes;
} hs_rec_kernel;

/* The metric columns of /runs: the single-run JSON's keys. */
typedef struct hs_rec_metrics {
    int64_t requests, events;
    double mean_latency_s, p50_latency_s, p90_latency_s, p99_latency_s;
    double mean_ttft_s, slo_attainment;
    double makespan_s, throughput_rps, energy_j, wall_s;
} hs_rec_metrics;

enum { HS_REC_KEY_LEN = 16 };  /* hex digits of a run key */

typedef struct hs_run_record {
    int64_t run;                       /* index in the experiment's expansion */
    char key[HS_REC_KEY_LEN + 1];      /* hash of the run's resolved spec */
    /* identity */
    char *policy, *hw, *workload, *backend;
    int64_t seed;
    size_t nvalues;
    hs_rec_value *values;              /* one per sweep parameter */
    char *config;                      /* resolved spec as YAML */
    /* result */
    bool ok;
    char *message;                     /* "" when ok */
    hs_rec_metrics m;
    size_t nstrs, capstrs;
    char **strs;                       /* class, PU, stage and slot names */
    uint32_t *strhash;                 /* open-addressing table over strs */
    size_t hashcap;
    size_t npus, nreqs, capreqs, nkernels, capkernels;
    hs_rec_pu *pus;
    hs_rec_req *reqs;
    hs_rec_kernel *kernels;
} hs_run_record;

/* A zeroed record with NaN metrics. */
void hs_record_init(hs_run_record *r);
/* Frees everything; the record is hs_record_init'ed again. */
void hs_record_clear(hs_run_record *r);
/* Frees the rows (requests, PUs, kernels, strings, config) but keeps the
 * /runs row (identity, status, metrics). */
void hs_record_drop_rows(hs_run_record *r);
/* Interns s in the record's strings.  Returns its index, or UINT32_MAX on
 * OOM. */
uint32_t hs_record_str(hs_run_record *r, const char *s);
/* Marks the record failed with a message (the metrics stay NaN). */
void hs_record_fail(hs_run_record *r, const char *msg);
/* Appenders; -1 on OOM. */
int hs_record_add_req(hs_run_record *r, const hs_rec_req *q);
int hs_record_add_kernel(hs_run_record *r, const hs_rec_kernel *k);
int hs_record_add_pu(hs_run_record *r, const char *name, double busy_s, double utilization,
                     double energy_j);
/* Sets the identity's strings (copies); -1 on OOM. */
int hs_record_set_identity(hs_run_record *r, const char *policy, const char *hw, const char *workload,
                           const char *backend, int64_t seed);

/* Encodes the result half (with run and key) into a malloc'd buffer. */
int hs_record_encode(const hs_run_record *r, uint8_t **buf, size_t *len);
/* Decodes into an hs_record_init'ed record.  Returns 0, or -1 (err set)
 * for a malformed buffer. */
int hs_record_decode(const uint8_t *buf, size_t len, hs_run_record *r, hs_err *err);

/* FNV-1a, 64 bits. */
uint64_t hs_fnv1a64(const void *data, size_t len, uint64_t h);
#define HS_FNV1A64_INIT 0xcbf29ce484222325ull

#endif
