/* hetsoc: the results schema -- every column a run reports, in one place.
 *
 * Each list below is an X-macro: X(field, column, kind, unit, doc) per
 * column, in output order.  From these lists come the engine's metric and
 * row structs (engine.h), the single-run JSON (metrics.c), the run record
 * and its byte encoding (experiments/results/run_record.*), the HDF5 tables
 * and their CSV (experiments/results/h5io.c) and the README's table of
 * columns (`hetsoc summary --schema`).  Adding a column is one line here
 * plus the code that computes it (see experiments/README.md,
 * "Results columns").
 *
 *   field   the C member in the engine's struct and the run record's struct;
 *           also the key in the single-run JSON
 *   column  the HDF5 / CSV column name (differs from field only where the
 *           field name would be a C keyword or clash)
 *   kind    INT (engine uint64_t, UINT64_MAX = none; record and HDF5 int64,
 *           none = -1), U32 (engine uint32_t), REAL (double; JSON null when
 *           not finite), FLAG (bool; HDF5 int8), TEXT (engine const char *),
 *           PU (engine PU index), NAME (engine char[64]); the last three are
 *           interned string indices in the record and strings in HDF5
 *   unit    "s", "J", "req/s", ... or "" for a count or a name
 */
#ifndef HS_ENGINE_SCHEMA_H
#define HS_ENGINE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Latency statistics of a set of requests: the whole run (the top level of
 * the JSON and of /runs) and each request class (the JSON's "classes"). */
#define HS_LATENCY_COLUMNS(X)                                                                           \
    X(requests, "requests", INT, "", "requests finished (warm-up left out)")                            \
    X(mean_latency_s, "mean_latency_s", REAL, "s", "mean latency, arrival to finish")                   \
    X(p50_latency_s, "p50_latency_s", REAL, "s", "median latency (exact; 1% beyond 2^20 requests)")     \
    X(p90_latency_s, "p90_latency_s", REAL, "s", "90th percentile of latency (exact; 1% beyond 2^20)")  \
    X(p99_latency_s, "p99_latency_s", REAL, "s", "99th percentile of latency (exact; 1% beyond 2^20)")  \
    X(mean_ttft_s, "mean_ttft_s", REAL, "s", "mean time to first token; NaN when no request had one")   \
    X(slo_attainment, "slo_attainment", REAL, "", "fraction meeting the class SLO; NaN when none")      \
    X(throughput_rps, "throughput_rps", REAL, "req/s", "requests / (last finish - first arrival)")    \
    X(s_per_token, "s_per_token", REAL, "s", "mean of latency / (prompt + output tokens); NaN: no tokens") \
    X(j_per_token, "j_per_token", REAL, "J", "attributed energy / tokens of requests with tokens")

/* Run totals: the JSON's top level after the latency statistics, and /runs. */
#define HS_RUN_COLUMNS(X)                                                                               \
    X(makespan_s, "makespan_s", REAL, "s", "time the last request finished")                            \
    X(energy_j, "energy_j", REAL, "J", "PUs (active + idle) + DRAM")                                    \
    X(events, "events", INT, "", "executor events handled")                                             \
    X(wall_s, "wall_s", REAL, "s", "wall-clock time of the run")                                       \
    X(engine, "engine", TEXT, "", "engine preset (the policy's `engine` parameter); \"\": none")         \
    X(engine_fit, "engine_fit", TEXT, "", "fitted, no-figures (profile unchanged), profile; \"\": none")    \
    X(truncated, "truncated", TEXT, "", "why the run stopped early: max_events, end_time; \"\": it did not")  \
    X(in_flight, "in_flight", INT, "", "requests arrived but unfinished when the run stopped")

/* Engine counters: the JSON's top level only. */
#define HS_RUN_COUNTER_COLUMNS(X)                                                                       \
    X(works, "works", INT, "", "work items dispatched")                                                 \
    X(splits, "splits", INT, "", "items split across PUs")                                              \
    X(batches, "batches", INT, "", "batches of several requests' items")                               \
    X(speculations, "speculations", INT, "", "speculative dispatches")                                  \
    X(rollbacks, "rollbacks", INT, "", "speculations rolled back")                                     \
    X(mem_peak_bytes, "mem_peak_bytes", REAL, "B", "largest peak occupancy of a memory domain")         \
    X(transfers, "transfers", INT, "", "input transfers between memory domains")                        \
    X(transfer_bytes, "transfer_bytes", REAL, "B", "bytes those transfers moved over links")            \
    X(transfer_s, "transfer_s", REAL, "s", "their seconds, dispatch to arrival, summed")               \
    X(recalls, "recalls", INT, "", "queued works recalled to the ready list")                            \
    X(preemptions, "preemptions", INT, "", "running works stopped early at a kernel boundary")          \
    X(wasted_works, "wasted_works", INT, "", "works thrown away by rollbacks")                          \
    X(wasted_busy_s, "wasted_busy_s", REAL, "s", "PU busy time of the works thrown away")              \
    X(wasted_energy_j, "wasted_energy_j", REAL, "J", "active + DRAM energy of the works thrown away")

/* One PU of a run: the JSON's "pus" and /pus. */
#define HS_PU_COLUMNS(X)                                                                                \
    X(name, "pu", NAME, "", "the PU's name")                                                            \
    X(busy_s, "busy_s", REAL, "s", "time the PU ran work")                                              \
    X(utilization, "utilization", REAL, "", "busy_s / the run's span")                                  \
    X(energy_j, "energy_j", REAL, "J", "the PU's active + idle energy")                                \
    X(kind, "kind", TEXT, "", "the PU's kind (cpu, gpu, npu, ...: hw/hw.h)")

/* One memory domain of a run: the JSON's "dram" and /dram.  Rates are the
 * bandwidth solver's: a flow's rate is constant between two events of the
 * fluid machine, so the peak is exact, not sampled. */
#define HS_DRAM_COLUMNS(X)                                                                              \
    X(name, "domain", NAME, "", "the memory domain's name (the hw profile's)")                          \
    X(bytes, "bytes", REAL, "B", "bytes moved to and from it: kernels and transfers; NaN: not measured") \
    X(mean_bps, "mean_bps", REAL, "B/s", "bytes / makespan_s; NaN when makespan_s is 0")                \
    X(peak_bps, "peak_bps", REAL, "B/s", "highest total rate the bandwidth solver gave it at any time") \
    X(achievable_bps, "achievable_bps", REAL, "B/s", "what all PUs together can draw (profile)")        \
    X(theoretical_bps, "theoretical_bps", REAL, "B/s", "the profile's peak (theoretical) bandwidth")

/* One finished request: /requests. */
#define HS_REQUEST_COLUMNS(X)                                                                           \
    X(request, "request", INT, "", "arrival order over the run")                                        \
    X(cls, "class", TEXT, "", "the request's class")                                                    \
    X(arrival_s, "arrival_s", REAL, "s", "arrival time")                                                \
    X(first_token_s, "first_token_s", REAL, "s", "time of the first token; NaN if none")                \
    X(finish_s, "finish_s", REAL, "s", "finish time")                                                   \
    X(latency_s, "latency_s", REAL, "s", "finish_s - arrival_s")                                        \
    X(warmup, "warmup", FLAG, "", "1: left out of the metrics")                                         \
    X(prompt_tokens, "prompt_tokens", INT, "", "prompt tokens of its LLM stages")                       \
    X(output_tokens, "output_tokens", INT, "", "output tokens of its LLM stages")                       \
    X(energy_j, "energy_j", REAL, "J", "its kernels' active + DRAM energy (idle: nobody's)")          \
    X(deadline_s, "deadline_s", REAL, "s", "arrival_s + its class's SLO latency; NaN when none")       \
    X(slo_met, "slo_met", INT, "", "1: finished by deadline_s, 0: late, -1: no SLO")                    \
    X(queue_s, "queue_s", REAL, "s", "seconds its work items waited ready to run, summed")            \
    X(service_s, "service_s", REAL, "s", "seconds its work items ran on PUs, summed (split parts add)")

/* One executed kernel (work item): /kernels, with `kernels: true`. */
#define HS_KERNEL_COLUMNS(X)                                                                            \
    X(work, "work", INT, "", "the work item's id")                                                      \
    X(request, "request", INT, "", "its request; -1 for a batch of several requests")                   \
    X(stage, "stage", TEXT, "", "stage name; \"batch\" for a batch")                                    \
    X(slot, "slot", TEXT, "", "the item's slot")                                                        \
    X(pu, "pu", PU, "", "the PU that ran it")                                                           \
    X(ready_s, "ready_s", REAL, "s", "time it became ready")                                            \
    X(start_s, "start_s", REAL, "s", "start time")                                                      \
    X(end_s, "end_s", REAL, "s", "end time")                                                            \
    X(flops, "flops", REAL, "FLOP", "floating-point operations")                                        \
    X(bytes, "bytes", REAL, "B", "bytes moved")                                                         \
    X(batch, "batch", U32, "", "members (1 unless batched)")                                            \
    X(part, "part", FLAG, "", "1: a part of a split item")

/* ---- The engine's C types of each kind ------------------------------------------- */
#define HS_ENGINE_FIELD_INT(f) uint64_t f;
#define HS_ENGINE_FIELD_U32(f) uint32_t f;
#define HS_ENGINE_FIELD_REAL(f) double f;
#define HS_ENGINE_FIELD_FLAG(f) bool f;
#define HS_ENGINE_FIELD_TEXT(f) const char *f;
#define HS_ENGINE_FIELD_PU(f) int f;
#define HS_ENGINE_FIELD_NAME(f) char f[64];
/* Expands to a struct member declaration for one column. */
#define HS_ENGINE_FIELD(field, column, kind, unit, doc) HS_ENGINE_FIELD_##kind(field)

/* ---- The schema as data ------------------------------------------------------------- */
typedef enum hs_col_kind {
    HS_COL_INT, HS_COL_U32, HS_COL_REAL, HS_COL_FLAG, HS_COL_TEXT, HS_COL_PU, HS_COL_NAME
} hs_col_kind;

typedef struct hs_column {
    const char *field;     /* C member and JSON key */
    const char *column;    /* HDF5 / CSV column */
    hs_col_kind kind;
    const char *unit;
    const char *doc;
    size_t offset;         /* of the member in the engine's struct */
} hs_column;

/* The records that carry columns, one list each. */
typedef enum hs_schema_record {
    HS_SCHEMA_LATENCY,     /* hs_latency_stats: the run's `all` and each class */
    HS_SCHEMA_RUN,         /* hs_run_metrics totals */
    HS_SCHEMA_COUNTERS,    /* hs_run_metrics counters (JSON only) */
    HS_SCHEMA_PU,          /* hs_pu_metrics */
    HS_SCHEMA_REQUEST,     /* hs_request_row */
    HS_SCHEMA_KERNEL,      /* hs_kernel_row */
    HS_SCHEMA_DRAM,        /* hs_dram_metrics */
    HS_SCHEMA_COUNT
} hs_schema_record;

typedef struct hs_column_set {
    const char *record;    /* what carries it, in words */
    const char *outputs;   /* where it appears, in words */
    bool json;             /* in the single-run JSON, keyed by field */
    const hs_column *cols;
    size_t n;
} hs_column_set;

/* The columns of one record, in output order. */
const hs_column_set *hs_schema(hs_schema_record rec);
/* The type name of a kind as the README shows it ("int64", "float64", ...). */
const char *hs_col_kind_name(hs_col_kind kind);
/* Prints the README's "Results columns" table (markdown) of every record. */
void hs_schema_markdown(FILE *f);

#endif
