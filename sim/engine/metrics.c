/* hetsoc: latency statistics of a run and of each class.
 *
 * Means come from gsl_rstat (O(1) memory); the 50th, 90th and 99th
 * percentiles are exact order statistics of the run's requests, or beyond
 * HS_QUANTILE_EXACT_MAX requests a DDSketch within 1% (quantile.h).  (GSL's
 * streaming P-squared estimator, used before, was off by 27-59% on runs of
 * a few dozen requests.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "sim/engine/engine_internal.h"

int hs_lat_acc_init(hs_lat_acc *a)
{
    a->lat = gsl_rstat_alloc();
    a->ttft = gsl_rstat_alloc();
    hs_quantiles_init(&a->quant, 0);
    a->first_arrival = INFINITY;
    a->last_finish = -INFINITY;
    return a->lat && a->ttft ? 0 : -1;
}

void hs_lat_acc_free(hs_lat_acc *a)
{
    if (a->lat)
        gsl_rstat_free(a->lat);
    if (a->ttft)
        gsl_rstat_free(a->ttft);
    hs_quantiles_free(&a->quant);
}

int hs_lat_acc_add(hs_lat_acc *a, double arrival, double finish, double ttft, double slo)
{
    double lat = finish - arrival;
    if (hs_quantiles_add(&a->quant, lat) != 0)
        return -1;
    gsl_rstat_add(lat, a->lat);
    if (!isnan(ttft))
        gsl_rstat_add(ttft, a->ttft);
    if (slo > 0) {
        a->slo_count++;
        a->slo_met += lat <= slo;
    }
    if (arrival < a->first_arrival)
        a->first_arrival = arrival;
    if (finish > a->last_finish)
        a->last_finish = finish;
    return 0;
}

void hs_lat_acc_add_tokens(hs_lat_acc *a, double latency, uint64_t tokens, double energy_j)
{
    if (tokens == 0)
        return;
    a->norm_latency_sum += latency / (double)tokens;
    a->token_energy_j += energy_j;
    a->token_requests++;
    a->tokens += tokens;
}

/* Agent.xpu v2's normalised latency (mean over requests of e2e / (input +
 * output length)) and J/token (§2.7), over the requests with tokens. */
static void report_tokens(const hs_lat_acc *a, hs_latency_stats *out)
{
    out->s_per_token = a->token_requests ? a->norm_latency_sum / (double)a->token_requests : NAN;
    out->j_per_token = a->tokens ? a->token_energy_j / (double)a->tokens : NAN;
}

void hs_lat_acc_report(hs_lat_acc *a, hs_latency_stats *out)
{
    size_t n = gsl_rstat_n(a->lat);
    out->requests = n;
    report_tokens(a, out);
    if (n == 0) {
        out->mean_latency_s = out->p50_latency_s = out->p90_latency_s = out->p99_latency_s = NAN;
        out->mean_ttft_s = NAN;
        out->throughput_rps = 0;
        out->slo_attainment = NAN;
        return;
    }
    out->mean_latency_s = gsl_rstat_mean(a->lat);
    out->p50_latency_s = hs_quantiles_get(&a->quant, 0.50);
    out->p90_latency_s = hs_quantiles_get(&a->quant, 0.90);
    out->p99_latency_s = hs_quantiles_get(&a->quant, 0.99);
    out->mean_ttft_s = gsl_rstat_n(a->ttft) ? gsl_rstat_mean(a->ttft) : NAN;
    double span = a->last_finish - a->first_arrival;
    out->throughput_rps = span > 0 ? (double)n / span : NAN;
    out->slo_attainment = a->slo_count ? (double)a->slo_met / (double)a->slo_count : NAN;
}

/* ---- The single-run JSON object: its keys and their order come from schema.h -- */

/* Writes `"key": value` for each column of set, at base, comma-separated. */
static void json_columns(FILE *f, hs_schema_record set, const void *base)
{
    const hs_column_set *s = hs_schema(set);
    for (size_t i = 0; i < s->n; i++) {
        const hs_column *c = &s->cols[i];
        const char *p = (const char *)base + c->offset;
        fprintf(f, "%s\"%s\": ", i ? ", " : "", c->field);
        switch (c->kind) {
        case HS_COL_INT: fprintf(f, "%llu", (unsigned long long)*(const uint64_t *)p); break;
        case HS_COL_U32: fprintf(f, "%lu", (unsigned long)*(const uint32_t *)p); break;
        case HS_COL_FLAG: fputs(*(const bool *)p ? "true" : "false", f); break;
        case HS_COL_PU: fprintf(f, "%d", *(const int *)p); break;
        case HS_COL_TEXT: hs_json_string(f, *(const char *const *)p); break;
        case HS_COL_NAME: hs_json_string(f, p); break;
        case HS_COL_REAL: {
            double v = *(const double *)p;
            if (isfinite(v))
                fprintf(f, "%.9g", v);
            else
                fputs("null", f);
            break;
        }
        }
    }
}

/* `, "params": {"name": value, ...}`: numbers and booleans bare, the rest
 * as strings. */
static void json_params(FILE *f, const hs_run_metrics *m)
{
    fputs(", \"params\": {", f);
    for (size_t i = 0; i < m->nparams; i++) {
        const hs_param_value *v = &m->params[i];
        char text[64];
        fputs(i ? ", " : "", f);
        hs_json_string(f, v->name);
        fputs(": ", f);
        if (v->type == HS_PARAM_F64 && !isfinite(v->f)) {
            fputs("null", f);
        } else if (v->type == HS_PARAM_F64 || v->type == HS_PARAM_I64 || v->type == HS_PARAM_BOOL) {
            hs_param_value_text(v, text, sizeof text);
            fputs(text, f);
        } else {
            hs_json_string(f, v->text);
        }
    }
    fputc('}', f);
}

void hs_run_metrics_json(const hs_run_metrics *m, FILE *f)
{
    fputc('{', f);
    json_columns(f, HS_SCHEMA_LATENCY, &m->all);
    fputs(", ", f);
    json_columns(f, HS_SCHEMA_RUN, m);
    fputs(", ", f);
    json_columns(f, HS_SCHEMA_COUNTERS, m);
    fprintf(f, ", \"status\": \"%s\"", hs_run_truncated(m) ? "truncated" : "ok");
    fputs(", \"policy_name\": ", f);
    hs_json_string(f, m->policy_name ? m->policy_name : "");
    json_params(f, m);
    fputs(", \"classes\": {", f);
    for (size_t i = 0; i < m->nclasses; i++) {
        fputs(i ? ", " : "", f);
        hs_json_string(f, m->classes[i].name);
        fputs(": {", f);
        json_columns(f, HS_SCHEMA_LATENCY, &m->classes[i].s);
        fputc('}', f);
    }
    fputs("}, \"pus\": [", f);
    for (size_t i = 0; i < m->npus; i++) {
        fputs(i ? ", {" : "{", f);
        json_columns(f, HS_SCHEMA_PU, &m->pus[i]);
        fputc('}', f);
    }
    fputs("], \"dram\": [", f);
    for (size_t i = 0; i < m->ndram; i++) {
        fputs(i ? ", {" : "{", f);
        json_columns(f, HS_SCHEMA_DRAM, &m->dram[i]);
        fputc('}', f);
    }
    fputs("]}\n", f);
}

bool hs_run_truncated(const hs_run_metrics *m)
{
    return m->truncated && m->truncated[0];
}

void hs_run_metrics_free(hs_run_metrics *m)
{
    free(m->classes);
    free(m->pus);
    free(m->dram);
    hs_param_values_free(m->params, m->nparams);
    m->classes = NULL;
    m->pus = NULL;
    m->dram = NULL;
    m->params = NULL;
    m->nclasses = m->npus = m->ndram = m->nparams = 0;
}
