/* hetsoc: the results schema as data (see schema.h). */
#include <stddef.h>

#include "sim/engine/engine.h"

/* One hs_column of a schema list entry, its offset taken in `type`. */
#define COLUMN_EXPAND(type, field, column, kind, unit, doc) \
    {#field, column, HS_COL_##kind, unit, doc, offsetof(type, field)},
#define LATENCY_COLUMN(...) COLUMN_EXPAND(hs_latency_stats, __VA_ARGS__)
#define RUN_COLUMN(...) COLUMN_EXPAND(hs_run_metrics, __VA_ARGS__)
#define PU_COLUMN(...) COLUMN_EXPAND(hs_pu_metrics, __VA_ARGS__)
#define REQUEST_COLUMN(...) COLUMN_EXPAND(hs_request_row, __VA_ARGS__)
#define KERNEL_COLUMN(...) COLUMN_EXPAND(hs_kernel_row, __VA_ARGS__)
#define DRAM_COLUMN(...) COLUMN_EXPAND(hs_dram_metrics, __VA_ARGS__)

static const hs_column latency_cols[] = {HS_LATENCY_COLUMNS(LATENCY_COLUMN)};
static const hs_column run_cols[] = {HS_RUN_COLUMNS(RUN_COLUMN)};
static const hs_column counter_cols[] = {HS_RUN_COUNTER_COLUMNS(RUN_COLUMN)};
static const hs_column pu_cols[] = {HS_PU_COLUMNS(PU_COLUMN)};
static const hs_column request_cols[] = {HS_REQUEST_COLUMNS(REQUEST_COLUMN)};
static const hs_column kernel_cols[] = {HS_KERNEL_COLUMNS(KERNEL_COLUMN)};
static const hs_column dram_cols[] = {HS_DRAM_COLUMNS(DRAM_COLUMN)};

#define SET(rec, out, json, a) {rec, out, json, a, sizeof a / sizeof a[0]}
static const hs_column_set sets[HS_SCHEMA_COUNT] = {
    [HS_SCHEMA_LATENCY] = SET("run and class metrics", "JSON (top level, each class), /runs, /classes", true, latency_cols),
    [HS_SCHEMA_RUN] = SET("run metrics", "JSON (top level), /runs", true, run_cols),
    [HS_SCHEMA_COUNTERS] = SET("run counters", "JSON (top level)", true, counter_cols),
    [HS_SCHEMA_PU] = SET("PU row", "JSON (pus), /pus", true, pu_cols),
    [HS_SCHEMA_REQUEST] = SET("request row", "/requests", false, request_cols),
    [HS_SCHEMA_KERNEL] = SET("kernel row", "/kernels", false, kernel_cols),
    [HS_SCHEMA_DRAM] = SET("memory domain row", "JSON (dram), /dram", true, dram_cols),
};

const hs_column_set *hs_schema(hs_schema_record rec)
{
    return &sets[rec];
}

const char *hs_col_kind_name(hs_col_kind kind)
{
    switch (kind) {
    case HS_COL_INT:
    case HS_COL_U32: return "int64";
    case HS_COL_REAL: return "float64";
    case HS_COL_FLAG: return "int8";
    default: return "string";
    }
}

void hs_schema_markdown(FILE *f)
{
    fputs("| column | JSON key | type | unit | record | appears in | meaning |\n", f);
    fputs("|---|---|---|---|---|---|---|\n", f);
    for (int r = 0; r < HS_SCHEMA_COUNT; r++) {
        const hs_column_set *s = &sets[r];
        for (size_t i = 0; i < s->n; i++) {
            const hs_column *c = &s->cols[i];
            fprintf(f, "| `%s` | ", c->column);
            if (s->json)
                fprintf(f, "`%s`", c->field);
            else
                fputc('-', f);
            fprintf(f, " | %s | %s | %s | %s | %s |\n", hs_col_kind_name(c->kind), c->unit[0] ? c->unit : "-",
                    s->record, s->outputs, c->doc);
        }
    }
}
