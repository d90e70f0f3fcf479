/* hetsoc: the summary table (see run_summary.h). */
#include <gsl/gsl_cdf.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/results/run_summary.h"

enum { NMETRICS = 4 };
static const char *const metric_head[NMETRICS] = {"mean latency s", "p99 latency s", "throughput req/s",
                                                  "energy J"};

static double metric(const hs_run_record *r, int k)
{
    switch (k) {
    case 0: return r->m.mean_latency_s;
    case 1: return r->m.p99_latency_s;
    case 2: return r->m.throughput_rps;
    default: return r->m.energy_j;
    }
}

/* Distinct values of one dimension, in order of first appearance. */
typedef struct dim {
    size_t n, cap;
    char **vals;
} dim;

static size_t dim_rank(dim *d, const char *v)
{
    for (size_t i = 0; i < d->n; i++)
        if (strcmp(d->vals[i], v) == 0)
            return i;
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 8;
        char **n = realloc(d->vals, cap * sizeof *n);
        if (!n)
            return SIZE_MAX;
        d->vals = n;
        d->cap = cap;
    }
    if (!(d->vals[d->n] = strdup(v)))
        return SIZE_MAX;
    return d->n++;
}

typedef struct group {
    size_t *rank;        /* per dimension */
    size_t first;        /* first run (for its values) */
    size_t total, ok;
    size_t truncated;    /* ok runs cut by engine.max_events or end_time */
    double sum[NMETRICS], sum2[NMETRICS];
    double mean[NMETRICS], half[NMETRICS];
} group;

static size_t ndims_g;
static const size_t *ranks_g;

/* Runs by their ranks, then by run order (qsort is not stable). */
static int cmp_run(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const size_t *x = ranks_g + i * ndims_g, *y = ranks_g + j * ndims_g;
    for (size_t d = 0; d < ndims_g; d++)
        if (x[d] != y[d])
            return x[d] < y[d] ? -1 : 1;
    return i < j ? -1 : i > j;
}

static void value_text(const hs_run_record *r, size_t v, char *buf, size_t n)
{
    if (v >= r->nvalues)
        snprintf(buf, n, "-");
    else if (r->values[v].numeric)
        snprintf(buf, n, "%.10g", r->values[v].num);
    else
        snprintf(buf, n, "%s", r->values[v].text ? r->values[v].text : "");
}

static const char *dim_value(const hs_run_record *r, size_t d, size_t ndims, char *buf, size_t n)
{
    if (d == 0)
        return r->hw;
    if (d == 1)
        return r->workload;
    if (d == ndims - 1)
        return r->policy;
    value_text(r, d - 2, buf, n);
    return buf;
}

/* Display width of UTF-8 text. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void pad(FILE *f, const char *s, size_t w, bool right)
{
    size_t n = width(s);
    if (right)
        for (size_t i = n; i < w; i++)
            fputc(' ', f);
    fputs(s, f);
    if (!right)
        for (size_t i = n; i < w; i++)
            fputc(' ', f);
}

/* Mean with 4 significant digits and the interval's half-width with as
 * many decimals: "90.26 ± 23.12", "1144 ± 590", "0.09281 ± 0.03012". */
static void fmt_ci(char *buf, size_t n, size_t ok, double mean, double half)
{
    if (ok == 0 || !isfinite(mean)) {
        snprintf(buf, n, "-");
        return;
    }
    double a = fabs(mean);
    bool sci = a != 0 && (a >= 1e6 || a < 1e-4);
    int d = a == 0 ? 2 : 3 - (int)floor(log10(a));
    if (d < 0)
        d = 0;
    if (ok == 1 || !isfinite(half)) {
        if (sci)
            snprintf(buf, n, "%.3e", mean);
        else
            snprintf(buf, n, "%.*f", d, mean);
    } else if (sci) {
        snprintf(buf, n, "%.3e ± %.1e", mean, half);
    } else {
        snprintf(buf, n, "%.*f ± %.*f", d, mean, d, half);
    }
}

void hs_summary_table(const hs_h5_meta *meta, const hs_run_record *runs, size_t n, FILE *f)
{
    size_t ndims = 3 + meta->nsweep;
    dim *dims = calloc(ndims, sizeof *dims);
    size_t *ranks = calloc((n ? n : 1) * ndims, sizeof *ranks);
    group *groups = calloc(n ? n : 1, sizeof *groups);
    dim seeds = {0};
    if (!dims || !ranks || !groups) {
        fprintf(f, "(out of memory)\n");
        goto out;
    }
    size_t nfailed = 0, ntruncated = 0;
    char buf[1024];
    for (size_t i = 0; i < n; i++) {
        for (size_t d = 0; d < ndims; d++)
            ranks[i * ndims + d] = dim_rank(&dims[d], dim_value(&runs[i], d, ndims, buf, sizeof buf));
        snprintf(buf, sizeof buf, "%" PRId64, runs[i].seed);
        dim_rank(&seeds, buf);
        nfailed += !runs[i].ok;
        ntruncated += strcmp(hs_record_status(&runs[i]), "truncated") == 0;
    }
    /* Groups: runs with equal ranks in every dimension (sorted, so that
     * equal ones are adjacent and a group's policies follow each other). */
    size_t *order = calloc(n ? n : 1, sizeof *order);
    if (!order) {
        fprintf(f, "(out of memory)\n");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    ranks_g = ranks;
    ndims_g = ndims;
    qsort(order, n, sizeof *order, cmp_run);
    size_t ng = 0;
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        if (ng == 0 || memcmp(groups[ng - 1].rank, &ranks[i * ndims], ndims * sizeof *ranks) != 0) {
            groups[ng].rank = &ranks[i * ndims];
            groups[ng].first = i;
            ng++;
        }
        group *G = &groups[ng - 1];
        G->total++;
        if (!runs[i].ok)
            continue;
        G->truncated += strcmp(hs_record_status(&runs[i]), "truncated") == 0;
        bool fin = true;
        for (int m = 0; m < NMETRICS; m++)
            fin &= isfinite(metric(&runs[i], m));
        if (!fin)
            continue;
        G->ok++;
        for (int m = 0; m < NMETRICS; m++) {
            double v = metric(&runs[i], m);
            G->sum[m] += v;
            G->sum2[m] += v * v;
        }
    }
    free(order);
    for (size_t g = 0; g < ng; g++) {
        group *G = &groups[g];
        for (int k = 0; k < NMETRICS; k++) {
            G->mean[k] = G->ok ? G->sum[k] / (double)G->ok : NAN;
            G->half[k] = NAN;
            if (G->ok >= 2) {
                double var = (G->sum2[k] - (double)G->ok * G->mean[k] * G->mean[k]) / (double)(G->ok - 1);
                double t = gsl_cdf_tdist_Pinv(0.975, (double)(G->ok - 1));
                G->half[k] = t * sqrt(var > 0 ? var : 0) / sqrt((double)G->ok);
            }
        }
    }

    /* Header: what the table covers. */
    fprintf(f, "experiment %s: %zu runs", meta->experiment, n);
    if (meta->shard && meta->shard[0])
        fprintf(f, " (shard %s of %" PRId64 " runs in all)", meta->shard, meta->runs_total);
    else if ((int64_t)n < meta->runs_total)
        fprintf(f, " (partial: %zu of %" PRId64 ")", n, meta->runs_total);
    if (nfailed)
        fprintf(f, ", %zu failed", nfailed);
    if (ntruncated)
        fprintf(f, ", %zu truncated*", ntruncated);
    if (!nfailed && !ntruncated)
        fprintf(f, ", all ok");
    fprintf(f, "; seeds ");
    for (size_t i = 0; i < seeds.n && i < 12; i++)
        fprintf(f, "%s%s", i ? ", " : "", seeds.vals[i]);
    if (seeds.n > 12)
        fprintf(f, ", ... (%zu)", seeds.n);
    fputc('\n', f);
    bool show[256 + 3];
    const char *dname[256 + 3];
    for (size_t d = 0; d < ndims && d < 259; d++) {
        dname[d] = d == 0 ? "hw" : d == 1 ? "workload" : d == ndims - 1 ? "policy" : meta->sweep[d - 2];
        show[d] = d == ndims - 1 || dims[d].n > 1;
    }
    bool any_const = false;
    for (size_t d = 0; d + 1 < ndims && d < 259; d++)
        if (!show[d] && dims[d].n == 1) {
            fprintf(f, "%s%s %s", any_const ? ", " : "  ", dname[d], dims[d].vals[0]);
            any_const = true;
        }
    if (any_const)
        fputc('\n', f);
    fprintf(f, "  mean ± 95%% CI across seeds (Student t); speed-up = mean latency of %s / mean latency\n\n",
            meta->baseline);
    if (ng == 0) {
        fprintf(f, "  (no runs)\n");
        goto out;
    }

    /* Cells. */
    size_t ncols = 0;
    for (size_t d = 0; d < ndims; d++)
        ncols += show[d];
    ncols += 1 + NMETRICS + 1;
    char **cells = calloc((ng + 1) * ncols, sizeof *cells);
    size_t *w = calloc(ncols, sizeof *w);
    bool *right = calloc(ncols, sizeof *right);
    if (!cells || !w || !right) {
        free(cells);
        free(w);
        free(right);
        fprintf(f, "(out of memory)\n");
        goto out;
    }
    size_t c = 0;
    for (size_t d = 0; d < ndims; d++)
        if (show[d])
            cells[c++] = strdup(dname[d]);
    cells[c++] = strdup("seeds");
    for (int k = 0; k < NMETRICS; k++)
        cells[c++] = strdup(metric_head[k]);
    cells[c++] = strdup("speed-up");
    for (size_t k = c - NMETRICS - 2; k < ncols; k++)
        right[k] = true;
    size_t pol = ndims - 1;
    size_t base_rank = SIZE_MAX;
    for (size_t i = 0; i < dims[pol].n; i++)
        if (strcmp(dims[pol].vals[i], meta->baseline) == 0)
            base_rank = i;
    for (size_t g = 0; g < ng; g++) {
        group *G = &groups[g];
        char **row = cells + (g + 1) * ncols;
        c = 0;
        for (size_t d = 0; d < ndims; d++)
            if (show[d])
                row[c++] = strdup(dims[d].vals[G->rank[d]]);
        if (G->ok == G->total)
            snprintf(buf, sizeof buf, "%zu", G->total);
        else
            snprintf(buf, sizeof buf, "%zu of %zu ok", G->ok, G->total);
        if (G->truncated)
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " (%zu truncated*)", G->truncated);
        row[c++] = strdup(buf);
        for (int k = 0; k < NMETRICS; k++) {
            fmt_ci(buf, sizeof buf, G->ok, G->mean[k], G->half[k]);
            row[c++] = strdup(buf);
        }
        /* The baseline's group: same ranks but the policy's, which sort
         * next to this group. */
        double speed = NAN;
        size_t lo = g, hi = g;
        while (lo > 0 && memcmp(groups[lo - 1].rank, G->rank, pol * sizeof *G->rank) == 0)
            lo--;
        while (hi + 1 < ng && memcmp(groups[hi + 1].rank, G->rank, pol * sizeof *G->rank) == 0)
            hi++;
        for (size_t h = lo; base_rank != SIZE_MAX && h <= hi; h++) {
            const group *B = &groups[h];
            if (B->rank[pol] == base_rank && B->ok && G->ok && G->mean[0] > 0)
                speed = B->mean[0] / G->mean[0];
        }
        if (isfinite(speed))
            snprintf(buf, sizeof buf, "%.2fx", speed);
        else
            snprintf(buf, sizeof buf, "-");
        row[c++] = strdup(buf);
    }
    for (size_t i = 0; i < (ng + 1) * ncols; i++)
        if (cells[i] && width(cells[i]) > w[i % ncols])
            w[i % ncols] = width(cells[i]);
    for (size_t r = 0; r <= ng; r++) {
        fputs("  ", f);
        for (size_t k = 0; k < ncols; k++) {
            const char *s = cells[r * ncols + k] ? cells[r * ncols + k] : "?";
            if (k)
                fputs("  ", f);
            pad(f, s, w[k], right[k]);
        }
        fputc('\n', f);
    }
    if (ntruncated)
        fprintf(f, "\n  * truncated: engine.max_events or engine.end_time stopped the run with requests still to "
                   "come; its metrics cover only the requests finished before the cut (/runs: status, truncated, "
                   "in_flight)\n");
    for (size_t i = 0; i < (ng + 1) * ncols; i++)
        free(cells[i]);
    free(cells);
    free(w);
    free(right);
out:
    for (size_t d = 0; dims && d < ndims; d++) {
        for (size_t i = 0; i < dims[d].n; i++)
            free(dims[d].vals[i]);
        free(dims[d].vals);
    }
    for (size_t i = 0; i < seeds.n; i++)
        free(seeds.vals[i]);
    free(seeds.vals);
    free(dims);
    free(ranks);
    free(groups);
}

int hs_summary_print(hs_h5 *h, FILE *f, hs_err *err)
{
    hs_run_record *runs;
    size_t n;
    if (hs_h5_read_runs(h, &runs, &n, err) != 0)
        return -1;
    hs_summary_table(hs_h5_get_meta(h), runs, n, f);
    for (size_t i = 0; i < n; i++)
        hs_record_clear(&runs[i]);
    free(runs);
    return 0;
}
