/* hetsoc real/: simulator versus hardware.
 *
 * The same run (profile, workload, policy, parameters, seed) is played in
 * the simulator and on the OpenCL executor; both stream their request and
 * kernel rows.  Requests pair by id (arrival order, the same in both: the
 * arrivals and DAGs depend on the seed only).  Kernels pair by (request,
 * stage, slot, n-th such kernel): a stage's items form a chain, so the n-th
 * kernel of a stage is the same item in both runs, whereas work ids follow
 * creation order, which differs once requests overlap differently.  Fan-out
 * instances of one stage (foreach) share a name and may pair crosswise. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "real/real_internal.h"

typedef struct krow {
    uint64_t key;
    double dur;
} krow;

typedef struct side {
    double *lat;          /* by request id: summed latency; NaN when absent */
    double *cnt;          /* runs that saw it */
    size_t nlat;
    krow *k;
    size_t nk, capk;
    /* occurrence counters: open addressing on the base key */
    uint64_t *occ_key;
    uint32_t *occ_n;
    size_t occ_cap, occ_used;
    bool oom;
} side;

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    h *= 0xbf58476d1ce4e5b9ull;
    return h ^ (h >> 31);
}

static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return mix(h, 0x5a5a);
}

static void on_request(void *ctx, const hs_request_row *row)
{
    side *s = ctx;
    if (row->warmup)
        return;
    if (row->request >= s->nlat) {
        size_t n = s->nlat ? s->nlat : 64;
        while (n <= row->request)
            n *= 2;
        double *g = realloc(s->lat, n * sizeof *g);
        if (g)
            s->lat = g;
        double *c = g ? realloc(s->cnt, n * sizeof *c) : NULL;
        if (!c) {
            s->oom = true;
            return;
        }
        s->cnt = c;
        for (size_t i = s->nlat; i < n; i++)
            g[i] = NAN, c[i] = 0;
        s->nlat = n;
    }
    s->lat[row->request] = (s->cnt[row->request] > 0 ? s->lat[row->request] : 0) + row->latency_s;
    s->cnt[row->request]++;
}

/* A new run on the same side: kernels count from the start again. */
static void side_next_run(side *s)
{
    if (s->occ_key)
        memset(s->occ_key, 0, s->occ_cap * sizeof *s->occ_key);
    if (s->occ_n)
        memset(s->occ_n, 0, s->occ_cap * sizeof *s->occ_n);
    s->occ_used = 0;
}

static int cmp_krow(const void *a, const void *b);

/* Averages what several runs put on a side: latencies by request, kernel
 * durations by key (kernels are sorted by key on return). */
static void side_average(side *s)
{
    for (size_t i = 0; i < s->nlat; i++)
        if (s->cnt[i] > 0)
            s->lat[i] /= s->cnt[i];
    qsort(s->k, s->nk, sizeof *s->k, cmp_krow);
    size_t out = 0;
    for (size_t i = 0; i < s->nk;) {
        size_t j = i;
        double sum = 0;
        while (j < s->nk && s->k[j].key == s->k[i].key)
            sum += s->k[j++].dur;
        s->k[out++] = (krow){.key = s->k[i].key, .dur = sum / (double)(j - i)};
        i = j;
    }
    s->nk = out;
}

static uint32_t occurrence(side *s, uint64_t key)
{
    if (s->occ_used * 2 >= s->occ_cap) {
        size_t cap = s->occ_cap ? 2 * s->occ_cap : 1024;
        uint64_t *k = calloc(cap, sizeof *k);
        uint32_t *n = calloc(cap, sizeof *n);
        if (!k || !n) {
            free(k);
            free(n);
            s->oom = true;
            return 0;
        }
        for (size_t i = 0; i < s->occ_cap; i++)
            if (s->occ_key[i]) {
                size_t j = s->occ_key[i] & (cap - 1);
                while (k[j])
                    j = (j + 1) & (cap - 1);
                k[j] = s->occ_key[i];
                n[j] = s->occ_n[i];
            }
        free(s->occ_key);
        free(s->occ_n);
        s->occ_key = k;
        s->occ_n = n;
        s->occ_cap = cap;
    }
    key |= 1;   /* never 0 (the empty mark) */
    size_t j = key & (s->occ_cap - 1);
    while (s->occ_key[j] && s->occ_key[j] != key)
        j = (j + 1) & (s->occ_cap - 1);
    if (!s->occ_key[j]) {
        s->occ_key[j] = key;
        s->occ_used++;
    }
    return s->occ_n[j]++;
}

static void on_kernel(void *ctx, const hs_kernel_row *row)
{
    side *s = ctx;
    if (row->request == UINT64_MAX || s->oom)
        return;
    uint64_t base = mix(hash_str(hash_str(mix(0x6b72, row->request), row->stage), row->slot), row->part);
    uint32_t n = occurrence(s, base);
    if (s->nk == s->capk) {
        size_t cap = s->capk ? 2 * s->capk : 1024;
        krow *g = realloc(s->k, cap * sizeof *g);
        if (!g) {
            s->oom = true;
            return;
        }
        s->k = g;
        s->capk = cap;
    }
    s->k[s->nk++] = (krow){.key = mix(base, n), .dur = row->end_s - row->start_s};
}

static void side_free(side *s)
{
    free(s->lat);
    free(s->cnt);
    free(s->k);
    free(s->occ_key);
    free(s->occ_n);
}

static int cmp_krow(const void *a, const void *b)
{
    uint64_t x = ((const krow *)a)->key, y = ((const krow *)b)->key;
    return x < y ? -1 : x > y;
}

static void compare(const side *sim, const side *real, hs_real_validation *v)
{
    double sum = 0, bias = 0;
    size_t n = 0;
    for (size_t i = 0; i < sim->nlat && i < real->nlat; i++) {
        double s = sim->lat[i], r = real->lat[i];
        if (isnan(s) || isnan(r) || !(r > 0))
            continue;
        sum += fabs(s - r) / r;
        bias += (s - r) / r;
        n++;
    }
    v->requests = n;
    v->mape_request_latency = n ? sum / (double)n : NAN;
    v->bias_request_latency = n ? bias / (double)n : NAN;
    qsort(sim->k, sim->nk, sizeof *sim->k, cmp_krow);
    qsort(real->k, real->nk, sizeof *real->k, cmp_krow);
    size_t i = 0, j = 0, paired = 0;
    double ksum = 0;
    while (i < sim->nk && j < real->nk) {
        if (sim->k[i].key < real->k[j].key) {
            i++;
        } else if (sim->k[i].key > real->k[j].key) {
            j++;
        } else {
            if (real->k[j].dur > 0) {
                ksum += fabs(sim->k[i].dur - real->k[j].dur) / real->k[j].dur;
                paired++;
            }
            i++, j++;
        }
    }
    v->kernels = paired;
    v->unpaired_kernels = (sim->nk > real->nk ? sim->nk : real->nk) - paired;
    v->mape_kernel_latency = paired ? ksum / (double)paired : NAN;
}

int hs_real_validate(const hs_run_cfg *cfg, const hs_real_opts *ro, hs_real_validation *v,
                     hs_run_metrics *sim_out, hs_run_metrics *real_out, hs_err *err)
{
    memset(v, 0, sizeof *v);
    side sim = {0}, real = {0};
    hs_run_metrics ms = {0}, mr = {0};
    hs_run_cfg c = *cfg;
    c.exec = NULL;
    c.sink = (hs_run_sink){.ctx = &sim, .request = on_request, .kernel = on_kernel};
    int rc = hs_run(&c, &ms, err);
    hs_exec *x = NULL;
    if (rc == 0 && !(x = hs_exec_real_create(cfg->hw, ro, err)))
        rc = -1;
    if (rc == 0) {
        c.exec = x;
        c.sink = (hs_run_sink){0};
        rc = hs_real_prepare(x, &c, err);
    }
    int runs = ro && ro->runs > 1 ? ro->runs : 1;
    double makespan = 0, mean = 0;
    for (int r = 0; rc == 0 && r < runs; r++) {
        hs_run_metrics_free(&mr);
        side_next_run(&real);
        c.sink = (hs_run_sink){.ctx = &real, .request = on_request, .kernel = on_kernel};
        rc = hs_run(&c, &mr, err);
        if (rc == 0)
            rc = hs_real_check(x, err);
        hs_real_stats_get(x, &v->stats);
        makespan += mr.makespan_s;
        mean += mr.all.mean_latency_s;
    }
    v->runs = runs;
    if (rc == 0 && (sim.oom || real.oom))
        rc = hs_errf(err, "out of memory");
    if (rc == 0) {
        side_average(&sim);
        side_average(&real);
        compare(&sim, &real, v);
        v->sim_makespan_s = ms.makespan_s;
        v->real_makespan_s = makespan / runs;
        v->sim_mean_latency_s = ms.all.mean_latency_s;
        v->real_mean_latency_s = mean / runs;
        v->makespan_error = v->real_makespan_s > 0 ? fabs(ms.makespan_s - v->real_makespan_s) / v->real_makespan_s : NAN;
    }
    if (x)
        x->ops->destroy(x);
    side_free(&sim);
    side_free(&real);
    if (sim_out)
        *sim_out = ms;
    else
        hs_run_metrics_free(&ms);
    if (real_out)
        *real_out = mr;
    else
        hs_run_metrics_free(&mr);
    return rc;
}

static void num(FILE *f, const char *key, double v, bool last)
{
    if (isfinite(v))
        fprintf(f, "\"%s\": %.6g%s", key, v, last ? "" : ", ");
    else
        fprintf(f, "\"%s\": null%s", key, last ? "" : ", ");
}

void hs_real_validation_json(const hs_real_validation *v, const char *extra, FILE *f)
{
    fputc('{', f);
    if (extra)
        fputs(extra, f);
    num(f, "mape_request_latency", v->mape_request_latency, false);
    num(f, "mape_kernel_latency", v->mape_kernel_latency, false);
    num(f, "makespan_error", v->makespan_error, false);
    num(f, "bias_request_latency", v->bias_request_latency, false);
    fprintf(f, "\"requests\": %zu, \"kernels\": %zu, \"unpaired_kernels\": %zu, ", v->requests, v->kernels,
            v->unpaired_kernels);
    num(f, "sim_makespan_s", v->sim_makespan_s, false);
    num(f, "real_makespan_s", v->real_makespan_s, false);
    num(f, "sim_mean_latency_s", v->sim_mean_latency_s, false);
    num(f, "real_mean_latency_s", v->real_mean_latency_s, false);
    fprintf(f, "\"runs\": %d, ", v->runs);
    num(f, "overhead_us_per_kernel", v->stats.overhead_us, false);
    num(f, "overhead_cpu_us_per_kernel", v->stats.overhead_cpu_us, false);
    num(f, "enqueue_us_per_kernel", v->stats.enqueue_us, true);
    fputs("}\n", f);
}
