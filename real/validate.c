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
#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "real/real_internal.h"

typedef struct krow {
    uint64_t key;
    double dur;
    const char *slot;     /* hs_slot_name: a static string */
    int pu;
    double flops, bytes;  /* the shape */
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
        s->k[out] = s->k[i];
        s->k[out++].dur = sum / (double)(j - i);
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
    s->k[s->nk++] = (krow){.key = mix(base, n), .dur = row->end_s - row->start_s, .slot = row->slot,
                           .pu = row->pu, .flops = row->flops, .bytes = row->bytes};
}

static void side_free(side *s)
{
    free(s->lat);
    free(s->cnt);
    free(s->k);
    free(s->occ_key);
    free(s->occ_n);
    memset(s, 0, sizeof *s);
}

static int cmp_krow(const void *a, const void *b)
{
    uint64_t x = ((const krow *)a)->key, y = ((const krow *)b)->key;
    return x < y ? -1 : x > y;
}

/* Mean absolute and signed relative error of a's request latencies
 * against b's, requests paired by id; returns the pairs. */
static size_t compare_requests(const side *a, const side *b, double *mape, double *bias)
{
    double sum = 0, signed_sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < a->nlat && i < b->nlat; i++) {
        double s = a->lat[i], r = b->lat[i];
        if (isnan(s) || isnan(r) || !(r > 0))
            continue;
        sum += fabs(s - r) / r;
        signed_sum += (s - r) / r;
        n++;
    }
    *mape = n ? sum / (double)n : NAN;
    *bias = n ? signed_sum / (double)n : NAN;
    return n;
}

/* One paired kernel, kept for the breakdown by op class and shape. */
typedef struct kpair {
    krow sim;
    double real;
} kpair;

typedef struct pairs {
    kpair *v;
    size_t n, cap;
    bool oom;
} pairs;

static void pairs_add(pairs *p, const krow *sim, double real)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 1024;
        kpair *g = realloc(p->v, cap * sizeof *g);
        if (!g) {
            p->oom = true;
            return;
        }
        p->v = g;
        p->cap = cap;
    }
    p->v[p->n++] = (kpair){.sim = *sim, .real = real};
}

/* Calls visit(ctx, x, y) for each kernel key both a and b ran (both
 * sorted by key): the one merge join of sim/real and real/real pairing. */
static void join_kernels(const side *a, const side *b, void (*visit)(void *ctx, const krow *x, const krow *y),
                         void *ctx)
{
    size_t i = 0, j = 0;
    while (i < a->nk && j < b->nk) {
        if (a->k[i].key < b->k[j].key)
            i++;
        else if (a->k[i].key > b->k[j].key)
            j++;
        else
            visit(ctx, &a->k[i++], &b->k[j++]);
    }
}

typedef struct kernel_errors {
    pairs *out;
    double sum;   /* of |sim - real| / real */
    size_t n;
} kernel_errors;

static void add_kernel_error(void *ctx, const krow *sim, const krow *real)
{
    kernel_errors *e = ctx;
    if (real->dur > 0) {
        e->sum += fabs(sim->dur - real->dur) / real->dur;
        pairs_add(e->out, sim, real->dur);
        e->n++;
    }
}

/* Pairs sim's kernels with real's (both sorted by key); returns the mean
 * absolute relative error and counts the pairs into *paired. */
static double compare_kernels(const side *sim, const side *real, pairs *out, size_t *paired, size_t *unpaired)
{
    kernel_errors e = {.out = out};
    join_kernels(sim, real, add_kernel_error, &e);
    *paired = e.n;
    *unpaired = (sim->nk > real->nk ? sim->nk : real->nk) - e.n;
    return e.n ? e.sum / (double)e.n : NAN;
}

/* ---- Statistics over repetitions ----------------------------------------------------------- */

/* Mean of v[0..n) and the half-width of its 95% confidence interval
 * (Student's t, n - 1 degrees of freedom; NaN below two values). */
static void mean_ci(const double *v, size_t n, double *mean, double *half)
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += v[i];
    *mean = n ? s / (double)n : NAN;
    for (size_t i = 0; i < n; i++)
        ss += (v[i] - *mean) * (v[i] - *mean);
    *half = n >= 2 ? gsl_cdf_tdist_Pinv(0.975, (double)(n - 1)) * sqrt(ss / (double)(n - 1) / (double)n) : NAN;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median of v[0..n), which it sorts. */
static double median(double *v, size_t n)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

typedef struct rel_diffs {
    double *v;   /* |a - b| / b of each pair */
    size_t n;
} rel_diffs;

static void add_rel_diff(void *ctx, const krow *a, const krow *b)
{
    rel_diffs *d = ctx;
    if (b->dur > 0)
        d->v[d->n++] = fabs(a->dur - b->dur) / b->dur;
}

/* The machine's own kernel-level noise: the median |a - b| / b over the
 * kernels both repetitions ran (paired by key, both sorted by key), the
 * real-against-real twin of the median kernel error.  *out is NaN when
 * none pair; returns -1 when out of memory. */
static int kernel_noise(const side *a, const side *b, double *out)
{
    rel_diffs d = {.v = malloc((a->nk < b->nk ? a->nk : b->nk) * sizeof *d.v + 1)};   /* + 1: never malloc(0) */
    if (!d.v)
        return -1;
    join_kernels(a, b, add_rel_diff, &d);
    *out = median(d.v, d.n);
    free(d.v);
    return 0;
}

/* ---- Breakdown by op class and shape -------------------------------------------------------- */

static int cmp_pair_shape(const void *a, const void *b)
{
    const krow *x = &((const kpair *)a)->sim, *y = &((const kpair *)b)->sim;
    int c = strcmp(x->slot, y->slot);
    if (c)
        return c;
    if (x->pu != y->pu)
        return x->pu < y->pu ? -1 : 1;
    if (x->flops != y->flops)
        return x->flops < y->flops ? -1 : 1;
    return x->bytes < y->bytes ? -1 : x->bytes > y->bytes;
}

static bool same_class(const krow *a, const krow *b, bool by_shape)
{
    return strcmp(a->slot, b->slot) == 0 && a->pu == b->pu &&
           (!by_shape || (a->flops == b->flops && a->bytes == b->bytes));
}

/* Summarises the pairs v[0..n) (one class or one shape) into *c; scratch
 * holds n doubles. */
static void summarise(const kpair *v, size_t n, const hs_hw *hw, bool by_shape, double *scratch,
                      hs_real_kernel_class *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->op, sizeof c->op, "%s", v[0].sim.slot);
    snprintf(c->pu, sizeof c->pu, "%s", (size_t)v[0].sim.pu < hw->npus ? hw->pus[v[0].sim.pu].name : "?");
    if (by_shape)
        c->flops = v[0].sim.flops, c->bytes = v[0].sim.bytes;
    c->kernels = n;
    for (size_t i = 0; i < n; i++)
        c->impact_s += v[i].sim.dur - v[i].real;
    for (size_t i = 0; i < n; i++)
        scratch[i] = v[i].sim.dur;
    c->sim_s = median(scratch, n);
    for (size_t i = 0; i < n; i++)
        scratch[i] = v[i].real;
    c->real_s = median(scratch, n);
    for (size_t i = 0; i < n; i++)
        scratch[i] = (v[i].sim.dur - v[i].real) / v[i].real;
    c->median_error = median(scratch, n);
    for (size_t i = 0; i < n; i++)
        scratch[i] = fabs(v[i].sim.dur - v[i].real) / v[i].real;
    c->median_abs_error = median(scratch, n);
}

/* Groups the pairs (sorted by shape) by class or by shape into *out. */
static int group(const pairs *p, const hs_hw *hw, bool by_shape, double *scratch, hs_real_kernel_class **out,
                 size_t *nout)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n; i++)
        n += i == 0 || !same_class(&p->v[i - 1].sim, &p->v[i].sim, by_shape);
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return -1;
    *nout = 0;
    for (size_t i = 0; i < p->n;) {
        size_t j = i + 1;
        while (j < p->n && same_class(&p->v[i].sim, &p->v[j].sim, by_shape))
            j++;
        summarise(&p->v[i], j - i, hw, by_shape, scratch, &(*out)[(*nout)++]);
        i = j;
    }
    return 0;
}

static int cmp_impact(const void *a, const void *b)
{
    double x = fabs(((const hs_real_kernel_class *)a)->impact_s), y = fabs(((const hs_real_kernel_class *)b)->impact_s);
    return x > y ? -1 : x < y;
}

/* The breakdown of every repetition's kernel pairs: by op class and PU,
 * and by shape (largest time error first), plus the median error. */
static int breakdown(pairs *p, const hs_hw *hw, hs_real_validation *v)
{
    v->median_kernel_error = NAN;
    if (p->n == 0)
        return 0;
    double *scratch = malloc(p->n * sizeof *scratch);
    if (!scratch)
        return -1;
    for (size_t i = 0; i < p->n; i++)
        scratch[i] = fabs(p->v[i].sim.dur - p->v[i].real) / p->v[i].real;
    v->median_kernel_error = median(scratch, p->n);
    qsort(p->v, p->n, sizeof *p->v, cmp_pair_shape);
    int rc = group(p, hw, false, scratch, &v->classes, &v->nclasses);
    if (rc == 0)
        rc = group(p, hw, true, scratch, &v->shapes, &v->nshapes);
    if (rc == 0) {
        qsort(v->classes, v->nclasses, sizeof *v->classes, cmp_impact);
        qsort(v->shapes, v->nshapes, sizeof *v->shapes, cmp_impact);
    }
    free(scratch);
    return rc;
}

/* ---- The validation ------------------------------------------------------------------------- */

/* What the repetitions leave for the summary. */
typedef struct reps {
    double *mape, *bias, *kmape;           /* per repetition */
    double *noise, *knoise;                /* per consecutive pair: requests' MAPE, kernels' median */
    int n, nnoise;
    size_t unpaired;
    double makespan, mean;                 /* summed over the hardware runs */
} reps;

/* One repetition: ro->runs hardware runs on x averaged into *cur, then
 * compared with the simulation and with the previous repetition. */
static int repetition(hs_run_cfg *c, hs_exec *x, int runs, side *sim, side *prev, side *cur, reps *R,
                      pairs *kp, hs_run_metrics *mr, hs_real_validation *v, hs_err *err)
{
    int rc = 0;
    for (int r = 0; rc == 0 && r < runs; r++) {
        hs_run_metrics_free(mr);
        side_next_run(cur);
        c->sink = (hs_run_sink){.ctx = cur, .request = on_request, .kernel = on_kernel};
        rc = hs_run(c, mr, err);
        if (rc == 0)
            rc = hs_real_check(x, err);
        hs_real_stats_get(x, &v->stats);
        R->makespan += mr->makespan_s;
        R->mean += mr->all.mean_latency_s;
    }
    if (rc == 0 && cur->oom)
        rc = hs_errf(err, "out of memory");
    if (rc != 0)
        return rc;
    side_average(cur);
    int i = R->n++;
    v->requests = compare_requests(sim, cur, &R->mape[i], &R->bias[i]);
    R->kmape[i] = compare_kernels(sim, cur, kp, &v->kernels, &R->unpaired);
    if (i > 0) {
        double bias;
        compare_requests(prev, cur, &R->noise[R->nnoise], &bias);
        if (kernel_noise(prev, cur, &R->knoise[R->nnoise++]) != 0)
            return hs_errf(err, "out of memory");
    }
    return kp->oom ? hs_errf(err, "out of memory") : 0;
}

static void summarise_reps(const reps *R, int runs, const hs_run_metrics *ms, hs_real_validation *v)
{
    double half;
    mean_ci(R->mape, (size_t)R->n, &v->mape_request_latency, &v->mape_request_latency_ci);
    mean_ci(R->bias, (size_t)R->n, &v->bias_request_latency, &half);
    mean_ci(R->kmape, (size_t)R->n, &v->mape_kernel_latency, &half);
    mean_ci(R->noise, (size_t)R->nnoise, &v->noise_floor_request_latency, &v->noise_floor_request_latency_ci);
    mean_ci(R->knoise, (size_t)R->nnoise, &v->noise_floor_kernel_error, &v->noise_floor_kernel_error_ci);
    memcpy(v->mape_request_latency_reps, R->mape, (size_t)R->n * sizeof *R->mape);
    double sorted[HS_REAL_MAX_REPEAT];
    memcpy(sorted, R->mape, (size_t)R->n * sizeof *R->mape);
    v->mape_request_latency_median = median(sorted, (size_t)R->n);
    v->unpaired_kernels = R->unpaired;
    v->runs = runs;
    v->repeat = R->n;
    v->sim_makespan_s = ms->makespan_s;
    v->real_makespan_s = R->makespan / (runs * R->n);
    v->sim_mean_latency_s = ms->all.mean_latency_s;
    v->real_mean_latency_s = R->mean / (runs * R->n);
    v->makespan_error = v->real_makespan_s > 0 ? fabs(ms->makespan_s - v->real_makespan_s) / v->real_makespan_s
                                               : NAN;
}

/* The hardware repetitions of a validation (the simulation is done):
 * `repeat` of them, each of ro->runs runs averaged. */
static int hardware(hs_run_cfg *c, const hs_real_opts *ro, int repeat, side *sim, pairs *kp, hs_run_metrics *mr,
                    reps *R, hs_real_validation *v, hs_err *err)
{
    hs_exec *x = hs_exec_real_create(c->hw, ro, err);
    if (!x)
        return -1;
    c->exec = x;
    c->sink = (hs_run_sink){0};
    int rc = hs_real_prepare(x, c, err);
    int runs = ro && ro->runs > 1 ? ro->runs : 1;
    side a = {0}, b = {0}, *prev = &a, *cur = &b;
    for (int i = 0; rc == 0 && i < repeat; i++) {
        side *t = prev;   /* the older side is reused for this repetition */
        prev = cur, cur = t;
        side_free(cur);
        rc = repetition(c, x, runs, sim, prev, cur, R, kp, mr, v, err);
    }
    side_free(&a);
    side_free(&b);
    x->ops->destroy(x);
    return rc;
}

static int reps_alloc(reps *R, int repeat)
{
    memset(R, 0, sizeof *R);
    double *all = calloc(5 * (size_t)repeat, sizeof *all);
    if (!all)
        return -1;
    R->mape = all, R->bias = all + repeat, R->kmape = all + 2 * repeat, R->noise = all + 3 * repeat;
    R->knoise = all + 4 * repeat;
    return 0;
}

int hs_real_validate(const hs_run_cfg *cfg, const hs_real_opts *ro, hs_real_validation *v,
                     hs_run_metrics *sim_out, hs_run_metrics *real_out, hs_err *err)
{
    memset(v, 0, sizeof *v);
    int repeat = ro && ro->repeat > 1 ? ro->repeat : 1;
    if (repeat > HS_REAL_MAX_REPEAT)
        return hs_errf(err, "at most %d repetitions, not %d", HS_REAL_MAX_REPEAT, repeat);
    side sim = {0};
    pairs kp = {0};
    reps R;
    hs_run_metrics ms = {0}, mr = {0};
    hs_run_cfg c = *cfg;
    c.exec = NULL;
    c.sink = (hs_run_sink){.ctx = &sim, .request = on_request, .kernel = on_kernel};
    int rc = reps_alloc(&R, repeat) == 0 ? 0 : hs_errf(err, "out of memory");
    if (rc == 0)
        rc = hs_run(&c, &ms, err);
    if (rc == 0 && sim.oom)
        rc = hs_errf(err, "out of memory");
    if (rc == 0) {
        side_average(&sim);
        rc = hardware(&c, ro, repeat, &sim, &kp, &mr, &R, v, err);
    }
    if (rc == 0) {
        summarise_reps(&R, ro && ro->runs > 1 ? ro->runs : 1, &ms, v);
        if (breakdown(&kp, cfg->hw, v) != 0)
            rc = hs_errf(err, "out of memory");
    }
    free(R.mape);
    free(kp.v);
    side_free(&sim);
    if (rc != 0)
        hs_real_validation_free(v);
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

void hs_real_validation_free(hs_real_validation *v)
{
    free(v->classes);
    free(v->shapes);
    v->classes = v->shapes = NULL;
    v->nclasses = v->nshapes = 0;
}
