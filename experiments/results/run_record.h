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
#include "sim/engine/engine.h"

/* A sweep value or a policy parameter's value: a number (float64 or int64
 * column; NaN: none) or text (string column). */
typedef struct hs_rec_value {
    bool numeric;
    double num;
    char *text;    /* NULL when numeric (or none) */
} hs_rec_value;

/* The record's C types of each kind of column (sim/engine/schema.h):
 * integers widen to int64 (-1 for none), names become indices into the
 * record's interned strings. */
#define HS_REC_FIELD_INT(f) int64_t f;
#define HS_REC_FIELD_U32(f) int64_t f;
#define HS_REC_FIELD_REAL(f) double f;
#define HS_REC_FIELD_FLAG(f) bool f;
#define HS_REC_FIELD_TEXT(f) uint32_t f;
#define HS_REC_FIELD_PU(f) uint32_t f;
#define HS_REC_FIELD_NAME(f) uint32_t f;
#define HS_REC_FIELD(field, column, kind, unit, doc) HS_REC_FIELD_##kind(field)

typedef struct hs_rec_req {
    HS_REQUEST_COLUMNS(HS_REC_FIELD)
} hs_rec_req;

typedef struct hs_rec_pu {
    HS_PU_COLUMNS(HS_REC_FIELD)
} hs_rec_pu;

typedef struct hs_rec_kernel {
    HS_KERNEL_COLUMNS(HS_REC_FIELD)
} hs_rec_kernel;

typedef struct hs_rec_dram {
    HS_DRAM_COLUMNS(HS_REC_FIELD)
} hs_rec_dram;

/* One request class of a run (/classes): its name, then its latency columns. */
typedef struct hs_rec_class {
    uint32_t name;
    HS_LATENCY_COLUMNS(HS_REC_FIELD)
} hs_rec_class;

/* The metric columns of /runs: the run's latency columns and totals. */
typedef struct hs_rec_metrics {
    HS_LATENCY_COLUMNS(HS_REC_FIELD)
    HS_RUN_COLUMNS(HS_REC_FIELD)
} hs_rec_metrics;

/* ---- The record's tables: one per row struct, in schema order ---------------------- */
typedef enum hs_rec_table_id {
    HS_REC_METRICS, HS_REC_PUS, HS_REC_REQUESTS, HS_REC_KERNELS, HS_REC_CLASSES, HS_REC_DRAM, HS_REC_NTABLES
} hs_rec_table_id;

typedef struct hs_rec_col {
    const char *column;      /* HDF5 / CSV column name */
    hs_col_kind kind;
    size_t rec_off;          /* in the record's struct (hs_rec_metrics, hs_rec_pu, ...) */
    size_t engine_off;       /* in the engine's (hs_run_metrics, hs_pu_metrics, ...) */
} hs_rec_col;

typedef struct hs_rec_table {
    const hs_rec_col *cols;
    size_t n;
} hs_rec_table;

/* The columns of one of the record's row structs. */
const hs_rec_table *hs_rec_table_of(hs_rec_table_id id);

enum { HS_REC_KEY_LEN = 16 };  /* hex digits of a run key */

typedef struct hs_run_record {
    int64_t run;                       /* index in the experiment's expansion */
    char key[HS_REC_KEY_LEN + 1];      /* hash of the run's resolved spec */
    /* identity */
    char *policy, *hw, *workload, *backend;
    int64_t seed;
    size_t nvalues;
    hs_rec_value *values;              /* one per sweep parameter */
    char *policy_name;                 /* the policy's registered name ("" unknown) */
    size_t nparams;
    hs_rec_value *params;              /* one per parameter column of the file */
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
    size_t nclasses;
    hs_rec_class *classes;
    size_t ndram;
    hs_rec_dram *dram;
} hs_run_record;

/* A zeroed record with NaN metrics. */
void hs_record_init(hs_run_record *r);
/* Frees everything; the record is hs_record_init'ed again. */
void hs_record_clear(hs_run_record *r);
/* Frees the rows (requests, PUs, kernels, classes, memory domains,
 * strings, config) but keeps the
 * /runs row (identity, status, metrics). */
void hs_record_drop_rows(hs_run_record *r);
/* Interns s in the record's strings.  Returns its index, or UINT32_MAX on
 * OOM. */
uint32_t hs_record_str(hs_run_record *r, const char *s);
/* The /runs status of the record: "error" (failed), "truncated" (its
 * metrics' truncated column names why engine.max_events or engine.end_time
 * cut it) or "ok". */
const char *hs_record_status(const hs_run_record *r);
/* Whether a /runs status read back from a file is a run with metrics
 * ("ok" or "truncated"). */
bool hs_record_status_ok(const char *status);
/* Marks the record failed with a message (the metrics stay NaN). */
void hs_record_fail(hs_run_record *r, const char *msg);
/* Appenders; -1 on OOM. */
int hs_record_add_req(hs_run_record *r, const hs_rec_req *q);
int hs_record_add_kernel(hs_run_record *r, const hs_rec_kernel *k);
int hs_record_add_pu(hs_run_record *r, const hs_rec_pu *p);
int hs_record_add_class(hs_run_record *r, const hs_rec_class *c);
int hs_record_add_dram(hs_run_record *r, const hs_rec_dram *d);
/* The engine's rows and metrics, converted (names interned); -1 on OOM. */
int hs_record_add_request_row(hs_run_record *r, const hs_request_row *row);
int hs_record_add_kernel_row(hs_run_record *r, const hs_kernel_row *row, const hs_hw *hw);
/* Sets the /runs metrics from m and adds its PUs', classes' and memory
 * domains' rows. */
int hs_record_set_metrics(hs_run_record *r, const hs_run_metrics *m);
/* Frees n values (sweep or parameter values) and their texts. */
void hs_record_values_free(hs_rec_value *v, size_t n);
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
