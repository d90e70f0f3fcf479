/* hetsoc real/: `hetsoc profile` -- calibrating a hardware profile on this
 * machine.
 *
 * 1. PUs: every OpenCL GPU is its own PU (gpu, gpu2, ...); the CPU device
 *    is split into `cpu_pus` sub-devices (cpu, cpu2, ..., and the last one
 *    an emulated `npu` with static shapes unless no_npu).
 * 2. Shapes: the workload (default tiny-agentic-rag) is played in the
 *    simulator on a provisional profile with the same PUs; every kernel it
 *    starts is kept.  Kernels are grouped into tables: one op with all
 *    dimensions but one fixed (GEMMs and row ops vary m, decode attention
 *    and vector search vary n, prefill and encoder attention vary m).
 * 3. Each point is run `reps` times, back to back in blocks whose first
 *    run is a warm-up, the blocks of a table's points interleaved over three
 *    rounds (a burst of load hits every point a little rather than one
 *    point a lot).  Then the kernels of a simulated run are replayed in
 *    start order on each PU, and a point hit by replayed kernels takes
 *    their median instead (caches as the run leaves them; see replay()).
 *    A run's time is the executor's
 *    cycle: from the previous kernel's completion to this one's, as the
 *    engine sees kernels back to back (wake-up, enqueue, run, completion),
 *    plus the engine's own per-kernel processing (measured once with empty
 *    kernels through hs_run).  Statistics: outliers beyond 3.5 scaled MADs
 *    of the median are dropped (timing spikes must not poison the model),
 *    the point is the median of the rest, its spread the IQR / median.
 * 4. Co-running: one point per table is measured again while every other
 *    PU of its memory runs the workload's largest GEMV back to back; the
 *    memory domain's achievable bandwidth is fitted (least squares on log
 *    slowdowns) so that the simulator's max-min sharing predicts those
 *    slowdowns.  A large streaming GEMV alone and on all CPU PUs at once
 *    gives the measured DRAM bandwidth.
 * 5. Roofline parameters (for shapes no table covers): launch = the cycle
 *    of an empty kernel; peak = the fastest GEMM; op efficiencies = each
 *    op's median rate over that peak; per-PU bandwidth = the most any
 *    measured kernel drew.  Each table's points are also fitted to
 *    a*x^b + c (hs_fit_power), reported in its comment.
 * The profile is written in hw/'s format, every figure labelled measured,
 * fitted or assumed, with the spread of every table. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hs_version.h"
#include "real/prepare.h"
#include "real/real_internal.h"

/* ---- Robust statistics ------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double quantile(const double *s, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double pos = q * (double)(n - 1);
    size_t i = (size_t)floor(pos);
    if (i + 1 >= n)
        return s[n - 1];
    double f = pos - (double)i;
    return s[i] * (1 - f) + s[i + 1] * f;
}

void rl_robust(const double *v, size_t n, rl_stat *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    if (n == 0) {
        out->median = out->spread = NAN;
        return;
    }
    double *s = malloc(n * sizeof *s), *d = malloc(n * sizeof *d);
    if (!s || !d) {
        free(s);
        free(d);
        out->median = v[0];
        out->kept = 1;
        return;
    }
    memcpy(s, v, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double med = quantile(s, n, 0.5);
    for (size_t i = 0; i < n; i++)
        d[i] = fabs(s[i] - med);
    qsort(d, n, sizeof *d, cmp_double);
    double mad = 1.4826 * quantile(d, n, 0.5);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (mad == 0 ? s[i] == med : fabs(s[i] - med) <= 3.5 * mad)
            s[k++] = s[i];
    if (k == 0) {   /* cannot happen: the median's neighbours stay */
        s[0] = med;
        k = 1;
    }
    out->kept = k;
    out->median = quantile(s, k, 0.5);
    out->lo = s[0];
    out->hi = s[k - 1];
    out->spread = out->median > 0 ? (quantile(s, k, 0.75) - quantile(s, k, 0.25)) / out->median : 0;
    free(s);
    free(d);
}

/* ---- Tables ----------------------------------------------------------------------- */

enum { MAX_POINTS = 64, QUICK_POINTS = 4 };

typedef struct point {
    double x;
    hs_item item;      /* the kernel run for it */
    double *runs;      /* reps */
    rl_stat st;
    double *rep;       /* times of its kernels in the replayed run */
    size_t nrep, caprep;
    rl_stat rst;
    double block;      /* the blocks' median, kept for the comment */
    double corun;      /* median time co-running (NaN: not measured) */
    rl_stat cst;
} point;

typedef struct table {
    hs_op op;
    int pu;
    int vary;            /* 0 m, 1 n, 2 k, 3 batch */
    int64_t fixed[4];    /* -1: any */
    point *pts;
    size_t npts;
    hs_fit fit;
    bool fitted;
} table;

typedef struct prof {
    const hs_real_profile_opts *o;
    FILE *log;
    hs_hw *hw;
    rl_exec *e;
    table *tabs;
    size_t ntabs;
    int reps;
    double eng_extra;    /* the engine's per-kernel processing beyond the profiler's loop */
    double eng_kernel;   /* an empty kernel's start-to-end time in that run (the launch validate sees) */
    hs_real_stats eng_stats;   /* the executor's statistics of that run */
    double launch[64], launch_spread[64];
    double stream_bps[64], stream_all_bps;
    const hs_item *bg_item;
    double fitted_c;     /* achievable bandwidth, bytes/s */
    uint64_t replay_seed;
    double insitu[64];   /* per PU: median (run - model) of a run's kernels, added */
    double insitu_scale; /* then the runs' total measured / predicted, multiplied */
    size_t insitu_n[64];
    double c_err;        /* rms log error of the fitted slowdowns */
    size_t ncorun;
} prof;

static int64_t dim(const hs_kernel *k, int d)
{
    return d == 0 ? k->m : d == 1 ? k->n : d == 2 ? k->k : (k->batch > 0 ? k->batch : 1);
}

static void set_dim(hs_kernel *k, int d, int64_t v)
{
    if (d == 0)
        k->m = v;
    else if (d == 1)
        k->n = v;
    else if (d == 2)
        k->k = v;
    else
        k->batch = v;
}

/* The table a kernel belongs to: its varying dimension and fixed ones. */
static bool table_key(const hs_item *it, int *vary, int64_t fixed[4])
{
    if (it->kind != HS_ITEM_KERNEL || it->ncosts > 0 || it->work > 0)
        return false;
    const hs_kernel *k = &it->k;
    for (int d = 0; d < 4; d++)
        fixed[d] = -1;
    switch (k->op) {
    case HS_OP_GEMM:
        *vary = 0, fixed[1] = k->n, fixed[2] = k->k, fixed[3] = dim(k, 3);
        return true;
    case HS_OP_ATTENTION:
        if (k->m == 1)
            *vary = 1, fixed[0] = 1;
        else
            *vary = 0;
        fixed[2] = k->k, fixed[3] = dim(k, 3);
        return true;
    case HS_OP_RMSNORM:
    case HS_OP_SILU_MUL:
    case HS_OP_SOFTMAX:
    case HS_OP_EMBEDDING:
        *vary = 0, fixed[1] = k->n, fixed[3] = dim(k, 3);
        return true;
    case HS_OP_VECTOR_SEARCH:
        *vary = 1, fixed[0] = k->m, fixed[2] = k->k;
        return true;
    case HS_OP_GENERIC:
        if (it->slot != HS_SLOT_ACT || k->m < 1 || k->n < 1)
            return false;
        *vary = 0, fixed[1] = k->n, fixed[3] = dim(k, 3);
        return true;
    default:
        return false;
    }
}

static table *find_table(prof *p, hs_op op, int pu, int vary, const int64_t fixed[4])
{
    for (size_t i = 0; i < p->ntabs; i++) {
        table *t = &p->tabs[i];
        if (t->op == op && t->pu == pu && t->vary == vary && memcmp(t->fixed, fixed, sizeof t->fixed) == 0)
            return t;
    }
    table *g = realloc(p->tabs, (p->ntabs + 1) * sizeof *g);
    if (!g)
        return NULL;
    p->tabs = g;
    table *t = &p->tabs[p->ntabs++];
    memset(t, 0, sizeof *t);
    t->op = op, t->pu = pu, t->vary = vary;
    memcpy(t->fixed, fixed, sizeof t->fixed);
    return t;
}

/* The x a PU's table uses for it: after static-graph padding of m. */
static double table_x(const hs_hw *hw, int pu, const hs_item *it, int vary)
{
    if (vary == 0 && (hw->pus[pu].nstatic > 0)) {
        hs_pred pr;
        if (hs_hw_predict(hw, pu, &it->k, 0, &pr, NULL) == 0)
            return (double)pr.m;
    }
    return (double)dim(&it->k, vary);
}

static int add_point(table *t, double x, const hs_item *it, int64_t vary_value)
{
    for (size_t i = 0; i < t->npts; i++)
        if (t->pts[i].x == x)
            return 0;
    point *g = realloc(t->pts, (t->npts + 1) * sizeof *g);
    if (!g)
        return -1;
    t->pts = g;
    point *pt = &t->pts[t->npts++];
    memset(pt, 0, sizeof *pt);
    pt->x = x;
    pt->item = *it;
    /* Prefill attention keeps its context offset (n - m) at the new m. */
    if (it->k.op == HS_OP_ATTENTION && t->vary == 0)
        pt->item.k.n = it->k.n - it->k.m + vary_value;
    set_dim(&pt->item.k, t->vary, vary_value);
    if (it->k.op == HS_OP_GENERIC) {
        /* A generic op's cost is the workload's, not the shape's (hw/kernel.c
         * derives none), and a tabled one is an activation over rows
         * (table_key): its FLOPs and bytes scale with the varied m.  Zeroing
         * them, as below, left the op's efficiency at the roofline's floor. */
        double scale = (double)vary_value / (double)dim(&it->k, t->vary);
        pt->item.k.flops = it->k.flops * scale;
        pt->item.k.bytes = it->k.bytes * scale;
    } else {
        pt->item.k.flops = pt->item.k.bytes = 0;
        hs_kernel_derive(&pt->item.k, NULL);
    }
    pt->corun = NAN;
    return 0;
}

static int cmp_point(const void *a, const void *b)
{
    double x = ((const point *)a)->x, y = ((const point *)b)->x;
    return x < y ? -1 : x > y;
}

/* Keeps at most max points: both ends and the rest spread geometrically. */
static void thin(table *t, size_t max)
{
    qsort(t->pts, t->npts, sizeof *t->pts, cmp_point);
    if (t->npts <= max)
        return;
    bool *keep = calloc(t->npts, sizeof *keep);
    if (!keep)
        return;
    double lo = log(t->pts[0].x), hi = log(t->pts[t->npts - 1].x);
    for (size_t j = 0; j < max; j++) {
        double target = lo + (hi - lo) * (double)j / (double)(max - 1);
        size_t best = 0;
        double bd = INFINITY;
        for (size_t i = 0; i < t->npts; i++) {
            double d = fabs(log(t->pts[i].x) - target);
            if (!keep[i] && d < bd)
                bd = d, best = i;
        }
        keep[best] = true;
    }
    size_t k = 0;
    for (size_t i = 0; i < t->npts; i++)
        if (keep[i])
            t->pts[k++] = t->pts[i];
    t->npts = k;
    free(keep);
}

static int build_tables(prof *p, const rl_shapes *s, hs_err *err)
{
    for (size_t i = 0; i < s->n; i++) {
        const hs_item *it = &s->items[i];
        int vary;
        int64_t fixed[4];
        if (!table_key(it, &vary, fixed))
            continue;
        for (size_t pu = 0; pu < p->hw->npus; pu++) {
            if (!rl_can_run(p->hw, (int)pu, it))
                continue;
            table *t = find_table(p, it->k.op, (int)pu, vary, fixed);
            double x = table_x(p->hw, (int)pu, it, vary);
            if (!t || add_point(t, x, it, (int64_t)x) != 0)
                return hs_errf(err, "out of memory");
        }
    }
    size_t max = p->o->quick ? QUICK_POINTS : MAX_POINTS;
    for (size_t i = 0; i < p->ntabs; i++) {
        table *t = &p->tabs[i];
        thin(t, max);
        /* One point past the largest seen (m and n grow with prompts and
         * contexts), unless the PU pads m to a static graph. */
        bool padded = t->vary == 0 && p->hw->pus[t->pu].nstatic > 0;
        if (!padded && !p->o->quick && t->npts > 0) {
            point *last = &t->pts[t->npts - 1];
            int64_t x = (int64_t)ceil(last->x * 1.25);
            if (x > (int64_t)last->x) {
                hs_item proto = last->item;   /* add_point keeps attention's context offset */
                if (add_point(t, (double)x, &proto, x) != 0)
                    return hs_errf(err, "out of memory");
            }
        }
        for (size_t j = 0; j < t->npts; j++)
            if (!(t->pts[j].runs = calloc((size_t)p->reps, sizeof(double))))
                return hs_errf(err, "out of memory");
    }
    return 0;
}

/* ---- Measuring ---------------------------------------------------------------------- */

/* One back-to-back cycle: from the previous completion seen to this one. */
static int cycle(prof *p, int pu, const hs_item *it, double *prev, double *t, hs_err *err)
{
    double s;
    if (rl_time_item(p->e, pu, it, &s, err) != 0)
        return -1;
    double stamp = p->e->last_stamp;
    *t = stamp - *prev;
    *prev = stamp;
    return 0;
}

/* Each point is timed in blocks of back-to-back runs, as a workload's
 * kernels follow one another with their operands warm in the caches; the
 * first run of a block is a warm-up.  The blocks of a table's points are
 * interleaved over ROUNDS rounds, so that a burst of load or a drift of the
 * clock hits every point a little rather than one point a lot. */
enum { ROUNDS = 3 };

/* A cycle of the profiler's loop as a run would see it: plus the engine's
 * processing, and never less than an empty kernel takes in a run. */
static double in_run(const prof *p, double cycle)
{
    return fmax(cycle + p->eng_extra, p->eng_kernel);
}

static int measure_table(prof *p, table *t, bool corun, hs_err *err)
{
    double prev, dummy;
    if (t->npts == 0)
        return 0;
    /* First runs of every point: CLBlast and PoCL compile here. */
    for (size_t j = 0; j < t->npts; j++)
        if (rl_time_item(p->e, t->pu, &t->pts[j].item, &dummy, err) != 0)
            return -1;
    if (!corun) {
        int per = (p->reps + ROUNDS - 1) / ROUNDS;
        for (int round = 0, r0 = 0; round < ROUNDS && r0 < p->reps; round++, r0 += per)
            for (size_t j = 0; j < t->npts; j++) {
                if (rl_time_item(p->e, t->pu, &t->pts[j].item, &dummy, err) != 0)   /* warm-up */
                    return -1;
                prev = p->e->last_stamp;
                for (int r = r0; r < r0 + per && r < p->reps; r++)
                    if (cycle(p, t->pu, &t->pts[j].item, &prev, &t->pts[j].runs[r], err) != 0)
                        return -1;
            }
        for (size_t j = 0; j < t->npts; j++) {
            for (int r = 0; r < p->reps; r++)
                t->pts[j].runs[r] = in_run(p, t->pts[j].runs[r]);
            rl_robust(t->pts[j].runs, (size_t)p->reps, &t->pts[j].st);
            t->pts[j].block = t->pts[j].st.median;
        }
        return 0;
    }
    /* Co-running: the middle point while the others run the GEMV. */
    point *pt = &t->pts[t->npts / 2];
    double *runs = calloc((size_t)p->reps, sizeof *runs);
    if (!runs)
        return hs_errf(err, "out of memory");
    int rc = rl_time_item(p->e, t->pu, &pt->item, &dummy, err);
    prev = p->e->last_stamp;
    for (int r = 0; r < p->reps && rc == 0; r++)
        rc = cycle(p, t->pu, &pt->item, &prev, &runs[r], err);
    if (rc == 0) {
        for (int r = 0; r < p->reps; r++)
            runs[r] = in_run(p, runs[r]);
        rl_robust(runs, (size_t)p->reps, &pt->cst);
        pt->corun = pt->cst.median;
    }
    free(runs);
    return rc;
}

/* Starts (item) or stops (NULL) the background GEMV on every PU of mem but fg. */
static int background(prof *p, int fg, const hs_item *item, hs_err *err)
{
    rl_exec *e = p->e;
    int mem = p->hw->pus[fg].mem;
    for (size_t i = 0; i < e->npus; i++) {
        if ((int)i == fg || p->hw->pus[i].mem != mem)
            continue;
        if (item && !rl_can_run(p->hw, (int)i, item))
            continue;
        e->bg[i] = item;
        if (item && rl_start(e, (int)i, item, NULL, true, err) != 0)
            return -1;
    }
    if (!item)
        rl_drain(e);
    return 0;
}

/* ---- Replay: kernels in the order a run starts them ------------------------------ */

/* The table point of a kernel on pu, or NULL. */
static point *point_of(prof *p, int pu, const hs_item *it)
{
    int vary;
    int64_t fixed[4];
    if (!table_key(it, &vary, fixed))
        return NULL;
    for (size_t i = 0; i < p->ntabs; i++) {
        table *t = &p->tabs[i];
        if (t->op != it->k.op || t->pu != pu || t->vary != vary || memcmp(t->fixed, fixed, sizeof t->fixed) != 0)
            continue;
        double x = table_x(p->hw, pu, it, vary);
        for (size_t j = 0; j < t->npts; j++)
            if (t->pts[j].x == x)
                return &t->pts[j];
        return NULL;
    }
    return NULL;
}

/* A block measurement warms a kernel's operands in the caches; in a run
 * they are whatever the kernels before it left there.  So every kernel of
 * a simulated run of the workload is replayed, in start order, on each PU
 * (back to back, each kernel's cycle timed), and a point's time becomes the
 * median over its kernels in the replays; a point no replayed kernel hits
 * keeps its block time shifted by its table's median replay-minus-block
 * difference. */
static int replay(prof *p, const rl_shapes *seq, int reps, size_t limit, hs_err *err)
{
    for (int r = 0; r < reps; r++)
        for (size_t pu = 0; pu < p->hw->npus; pu++) {
            bool first = true;
            double prev = 0, t;
            size_t done = 0;
            for (size_t i = 0; i < seq->n && done < limit; i++) {
                const hs_item *it = &seq->items[i];
                if (!rl_can_run(p->hw, (int)pu, it))
                    continue;
                done++;
                if (first) {
                    if (rl_time_item(p->e, (int)pu, it, &t, err) != 0)
                        return -1;
                    prev = p->e->last_stamp;
                    first = false;
                    continue;
                }
                if (cycle(p, (int)pu, it, &prev, &t, err) != 0)
                    return -1;
                point *pt = point_of(p, (int)pu, it);
                if (!pt)
                    continue;
                if (pt->nrep == pt->caprep) {
                    size_t cap = pt->caprep ? 2 * pt->caprep : 16;
                    double *g = realloc(pt->rep, cap * sizeof *g);
                    if (!g)
                        return hs_errf(err, "out of memory");
                    pt->rep = g;
                    pt->caprep = cap;
                }
                pt->rep[pt->nrep++] = in_run(p, t);
            }
        }
    for (size_t i = 0; i < p->ntabs; i++) {
        table *tb = &p->tabs[i];
        double diffs[MAX_POINTS + 2];
        size_t nd = 0;
        for (size_t j = 0; j < tb->npts; j++) {
            point *pt = &tb->pts[j];
            if (pt->nrep >= 3) {
                rl_robust(pt->rep, pt->nrep, &pt->rst);
                if (nd < sizeof diffs / sizeof *diffs)
                    diffs[nd++] = pt->rst.median - pt->st.median;
            }
        }
        rl_stat dst;
        rl_robust(diffs, nd, &dst);
        for (size_t j = 0; j < tb->npts; j++) {
            point *pt = &tb->pts[j];
            if (pt->nrep >= 3)
                pt->st = pt->rst;
            else if (nd > 0 && pt->st.median + dst.median > 0)
                pt->st.median += dst.median;
        }
    }
    return 0;
}

/* The cycle of an empty kernel per PU. */
static int measure_launch(prof *p, hs_err *err)
{
    rl_exec *e = p->e;
    hs_item it = {.kind = HS_ITEM_KERNEL, .slot = HS_SLOT_TASK, .phase = HS_PHASE_TASK};
    it.k = hs_kernel_make(HS_OP_GENERIC, 1, 1, 1);
    it.k.flops = it.k.bytes = 1;
    int n = p->reps * 4;
    double *runs = calloc((size_t)n, sizeof *runs);
    if (!runs)
        return hs_errf(err, "out of memory");
    bool noop = e->opts.noop;
    e->opts.noop = true;
    int rc = 0;
    for (size_t pu = 0; pu < e->npus && rc == 0; pu++) {
        double prev, d;
        rc = rl_time_item(e, (int)pu, &it, &d, err);
        prev = e->last_stamp;
        for (int r = 0; r < n && rc == 0; r++)
            rc = cycle(p, (int)pu, &it, &prev, &runs[r], err);
        rl_stat st;
        rl_robust(runs, (size_t)n, &st);
        p->launch[pu] = st.median;
        p->launch_spread[pu] = st.spread;
    }
    e->opts.noop = noop;
    free(runs);
    return rc;
}

/* The engine's own processing per kernel: the profile's workload under eft
 * (the policy the shapes were collected with that decides the most) with
 * empty kernels through hs_run, for at most ENGINE_RUN_S of its time,
 * against the profiler's loop.  Its wall clock stamps are those validate
 * pairs, so this is the launch validate sees (launch + processing).  The
 * host time per kernel validate reports (overhead_us_per_kernel) also
 * counts the enqueue, which the launch already holds. */
static const double ENGINE_RUN_S = 3.0;   /* chosen: a few hundred kernels of a tiny workload */

typedef struct dur_acc {
    double *v;
    size_t n, cap;
} dur_acc;

static void on_kernel(void *ctx, const hs_kernel_row *row)
{
    dur_acc *a = ctx;
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 256;
        double *g = realloc(a->v, cap * sizeof *g);
        if (!g)
            return;
        a->v = g;
        a->cap = cap;
    }
    a->v[a->n++] = row->end_s - row->start_s;
}

static int measure_engine(prof *p, const hs_workload *wl, hs_err *err)
{
    const hs_policy_ops *pol = hs_policy_lookup("eft", err);
    if (!pol)
        return -1;
    dur_acc acc = {0};
    rl_exec *e = p->e;
    bool noop = e->opts.noop;
    e->opts.noop = true;
    hs_run_cfg cfg = {.hw = p->hw, .wl = wl, .policy = pol, .seed = 1, .end_time = ENGINE_RUN_S,
                      .exec = &e->base, .sink = {.ctx = &acc, .kernel = on_kernel}};
    hs_run_metrics m;
    int rc = hs_run(&cfg, &m, err);
    hs_run_metrics_free(&m);
    hs_real_stats_get(&e->base, &p->eng_stats);
    e->opts.noop = noop;
    if (rc == 0 && acc.n > 0) {
        rl_stat st;
        rl_robust(acc.v, acc.n, &st);
        /* Signed: a run's engine thread often has work when a completion
         * comes, where the profiler's loop always sleeps, so a run's
         * launch may be shorter than the loop's cycle. */
        p->eng_kernel = st.median;
        p->eng_extra = st.median - p->launch[0];
    }
    free(acc.v);
    return rc;
}

/* Streaming bandwidth: a read of 64 MiB (hs_generic, one multiply-add a
 * float) alone on each PU, then on all PUs of the first PU's memory at once. */
static int measure_stream(prof *p, hs_err *err)
{
    rl_exec *e = p->e;
    hs_item it = {.kind = HS_ITEM_KERNEL, .slot = HS_SLOT_TASK, .phase = HS_PHASE_TASK, .layer = -1};
    it.k = hs_kernel_make(HS_OP_GENERIC, 1, 1, 1);
    it.k.dtype = it.k.weight_dtype = HS_DT_FP32;
    it.k.bytes = 64.0 * 1048576.0;
    it.k.flops = 2 * it.k.bytes / 4;
    int n = p->o->quick ? 2 : 5;
    for (size_t pu = 0; pu < e->npus; pu++) {
        double best = INFINITY, s;
        for (int r = 0; r < n + 1; r++) {
            if (rl_time_item(e, (int)pu, &it, &s, err) != 0)
                return -1;
            if (r > 0)
                best = fmin(best, s);
        }
        p->stream_bps[pu] = it.k.bytes / best;
    }
    /* All PUs of memory 0 together: PU 0 timed, the others in the background. */
    if (background(p, 0, &it, err) != 0)
        return -1;
    double best = INFINITY, s;
    for (int r = 0; r < n; r++) {
        if (rl_time_item(e, 0, &it, &s, err) != 0)
            return -1;
        best = fmin(best, s);
    }
    if (background(p, 0, NULL, err) != 0)
        return -1;
    int sharing = 0;
    for (size_t pu = 0; pu < e->npus; pu++)
        sharing += p->hw->pus[pu].mem == p->hw->pus[0].mem;
    p->stream_all_bps = sharing * it.k.bytes / best;
    return 0;
}

/* ---- Fitting ------------------------------------------------------------------------ */

/* The shortest launch a profile states (chosen: a kernel's completion
 * cannot be seen sooner than a microsecond after its enqueue here). */
static const double MIN_LAUNCH_S = 1e-6;

static double launch_of(const prof *p, int pu)
{
    /* The in-situ shift is signed, and so is the engine's processing: a
     * launch still takes at least MIN_LAUNCH_S. */
    double L = (p->launch[pu] + p->eng_extra + p->insitu[pu]) * (p->insitu_scale > 0 ? p->insitu_scale : 1);
    return fmax(L, MIN_LAUNCH_S);
}

/* Bandwidth a measured kernel draws alone: bytes / (time - launch). */
static double bound_of(const prof *p, int pu, const hs_item *it, double t)
{
    double body = t - launch_of(p, pu);
    return body > 0.5 * launch_of(p, pu) ? it->k.bytes / body : 0;
}

/* Max-min sharing of capacity c between two flows of bounds a (the timed
 * kernel) and b: a's allocation. */
static double share(double a, double b, double c)
{
    if (a + b <= c)
        return a;
    double small = fmin(a, b);
    if (small <= c / 2)
        return a == small ? a : c - small;
    return c / 2;
}

/* The achievable bandwidth c that best predicts the co-run slowdowns. */
static void fit_contention(prof *p)
{
    double maxb = 0;
    for (size_t i = 0; i < p->ntabs; i++)
        for (size_t j = 0; j < p->tabs[i].npts; j++) {
            const point *pt = &p->tabs[i].pts[j];
            maxb = fmax(maxb, bound_of(p, p->tabs[i].pu, &pt->item, pt->st.median));
        }
    double bg_b = 0, bg_t = NAN;
    for (size_t i = 0; i < p->ntabs && p->bg_item; i++)
        for (size_t j = 0; j < p->tabs[i].npts; j++)
            if (memcmp(&p->tabs[i].pts[j].item.k, &p->bg_item->k, sizeof(hs_kernel)) == 0 ||
                (p->tabs[i].pts[j].item.k.op == HS_OP_GEMM && p->tabs[i].pts[j].item.k.m == p->bg_item->k.m &&
                 p->tabs[i].pts[j].item.k.n == p->bg_item->k.n && p->tabs[i].pts[j].item.k.k == p->bg_item->k.k))
                bg_t = p->tabs[i].pts[j].st.median, bg_b = bound_of(p, p->tabs[i].pu, p->bg_item, bg_t);
    p->fitted_c = INFINITY;
    p->c_err = NAN;
    if (!(maxb > 0) || !(bg_b > 0))
        return;
    double best = INFINITY, best_c = INFINITY;
    /* From no contention down: the largest capacity among the best fits. */
    for (int step = 60; step >= 0; step--) {
        double c = step == 60 ? INFINITY : maxb * pow(64.0, step / 59.0);
        double sse = 0;
        size_t n = 0;
        for (size_t i = 0; i < p->ntabs; i++)
            for (size_t j = 0; j < p->tabs[i].npts; j++) {
                const point *pt = &p->tabs[i].pts[j];
                if (isnan(pt->corun) || !(pt->block > 0))
                    continue;
                double L = launch_of(p, p->tabs[i].pu), body = pt->block - L;
                double a = bound_of(p, p->tabs[i].pu, &pt->item, pt->block);
                double pred = pt->block;
                if (body > 0 && a > 0 && isfinite(c))
                    pred = L + body * a / share(a, bg_b, c);
                double r = log(pred / pt->corun);
                sse += r * r;
                n++;
            }
        if (n == 0)
            return;
        if (sse < best - 1e-12) {
            best = sse;
            best_c = c;
        }
        p->ncorun = n;
    }
    p->fitted_c = best_c;
    p->c_err = sqrt(best / (double)p->ncorun);
}

/* ---- The provisional profile -------------------------------------------------------- */

typedef struct layout {
    int ngpu, ncpu;
    bool npu;
    char names[64][16];
    hs_pu_kind kinds[64];
    bool unified[64];
} layout;

static int plan_layout(const hs_real_profile_opts *o, layout *L, char *devdesc, size_t dsz, hs_err *err)
{
    rl_dev *d;
    size_t nd;
    if (rl_list_devices(&d, &nd, err) != 0)
        return -1;
    memset(L, 0, sizeof *L);
    const rl_dev *cpu = NULL;
    devdesc[0] = '\0';
    for (size_t i = 0; i < nd; i++) {
        size_t used = strlen(devdesc);
        snprintf(devdesc + used, dsz - used, "%s%s (%u CUs)", used ? "; " : "", d[i].name, d[i].units);
        if (d[i].type & (CL_DEVICE_TYPE_GPU | CL_DEVICE_TYPE_ACCELERATOR)) {
            if (L->ngpu < 8) {
                cl_bool uni = CL_FALSE;
                clGetDeviceInfo(d[i].id, CL_DEVICE_HOST_UNIFIED_MEMORY, sizeof uni, &uni, NULL);
                L->unified[L->ngpu] = uni == CL_TRUE;
                L->ngpu++;
            }
        } else if (!cpu && (d[i].type & CL_DEVICE_TYPE_CPU)) {
            cpu = &d[i];
        }
    }
    int want = o->cpu_pus > 0 ? o->cpu_pus : 2;
    if (cpu) {
        L->ncpu = want;
        if ((cl_uint)L->ncpu > cpu->units) {
            /* An explicit request the device cannot back is refused (a profile
             * named for N PUs must have N); the default shrinks to fit. */
            if (o->cpu_pus > 0) {
                hs_errf(err, "%d CPU PUs asked, but the CPU device (%s) has %u compute unit%s: ask for at most %u",
                        o->cpu_pus, cpu->name, cpu->units, cpu->units == 1 ? "" : "s", cpu->units);
                free(d);
                return -1;
            }
            L->ncpu = (int)cpu->units;
        }
        if (L->ncpu < 1)
            L->ncpu = 1;
    } else if (o->cpu_pus > 0) {
        hs_errf(err, "%d CPU PUs asked, but this machine has no OpenCL CPU device", o->cpu_pus);
        free(d);
        return -1;
    }
    free(d);
    if (L->ngpu + L->ncpu == 0)
        return hs_errf(err, "no OpenCL GPU or CPU device to profile");
    L->npu = !o->no_npu && L->ncpu >= 2;
    int k = 0;
    for (int g = 0; g < L->ngpu; g++, k++) {
        snprintf(L->names[k], sizeof L->names[k], g ? "gpu%d" : "gpu", g + 1);
        L->kinds[k] = HS_PU_GPU;
    }
    for (int c = 0; c < L->ncpu; c++, k++) {
        if (L->npu && c == L->ncpu - 1) {
            snprintf(L->names[k], sizeof L->names[k], "npu");
            L->kinds[k] = HS_PU_NPU;
        } else {
            snprintf(L->names[k], sizeof L->names[k], c ? "cpu%d" : "cpu", c + 1);
            L->kinds[k] = HS_PU_CPU;
        }
    }
    return 0;
}

/* ---- Building the profile's tree ---------------------------------------------------- */

/* Profiles are built as configuration trees and written by sim/conf's
 * emitter, so every number is written exactly (it loads back as the same
 * double) and the text is valid YAML whatever a device's name holds.  The
 * builders take ownership of what they are given and turn any allocation
 * failure into *oom, checked once when the tree is done. */

static hs_node *put(hs_node *map, const char *key, hs_node *v, bool *oom)
{
    if (map && v && hs_map_set(map, key, v) == 0)
        return v;
    hs_node_free(v);
    *oom = true;
    return NULL;
}

static hs_node *append(hs_node *seq, hs_node *v, bool *oom)
{
    if (seq && v && hs_seq_append(seq, v) == 0)
        return v;
    hs_node_free(v);
    *oom = true;
    return NULL;
}

static hs_node *num(double v) { return hs_node_new_f64(v, NULL, 0, 0); }
static hs_node *word(const char *s) { return hs_node_new_scalar(s, NULL, 0, 0); }

/* Free text: a string even where it reads like a number. */
static hs_node *text(const char *s)
{
    hs_node *n = word(s);
    if (n)
        n->quoted = true;
    return n;
}

static hs_node *collection(hs_node_kind kind, bool flow)
{
    hs_node *n = kind == HS_NODE_MAP ? hs_node_new_map(NULL, 0, 0) : hs_node_new_seq(NULL, 0, 0);
    if (n)
        n->flow = flow;
    return n;
}

/* Labels n with a comment: where its figure comes from. */
static hs_node *note(hs_node *n, bool *oom, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static hs_node *note(hs_node *n, bool *oom, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n && hs_node_set_comment(n, "%s", buf) < 0)
        *oom = true;
    return n;
}

/* A comment written piecewise (header, table summaries): a memory stream
 * whose text becomes n's comment. */
typedef struct comment_buf {
    char *text;
    size_t len;
    FILE *f;
} comment_buf;

static bool comment_open(comment_buf *c, bool *oom)
{
    *c = (comment_buf){0};
    c->f = open_memstream(&c->text, &c->len);
    *oom |= !c->f;
    return c->f != NULL;
}

static void comment_close(comment_buf *c, hs_node *n, bool *oom)
{
    if (fclose(c->f) == 0 && c->text) {
        if (c->len > 0 && c->text[c->len - 1] == '\n')
            c->text[c->len - 1] = '\0';
        note(n, oom, "%s", c->text);
    }
    free(c->text);
}

/* {fp32: v, fp16: v, ...}: every dtype runs in fp32 here. */
static hs_node *per_dtype(double v, bool *oom)
{
    hs_node *m = collection(HS_NODE_MAP, true);
    for (int dt = 0; dt < HS_DT_COUNT; dt++)
        put(m, hs_dtype_name(dt), num(v), oom);
    return m;
}

static hs_node *pair(const char *k1, double v1, const char *k2, double v2, bool *oom)
{
    hs_node *m = collection(HS_NODE_MAP, true);
    put(m, k1, num(v1), oom);
    put(m, k2, num(v2), oom);
    return m;
}

/* The emulated NPU: static graphs for these m, tile 8, no dynamic ops
 * (attention's key count and a search's corpus change with every call).  The
 * static shapes are multiples of the tile, so that padding to a graph and
 * rounding to the tile agree. */
static const int npu_static[] = {8, 16, 32, 64, 128, 256, 512, 1024};
enum { NPU_TILE = 8 };

static void put_npu_rules(hs_node *pu, bool *oom)
{
    hs_node *shapes = put(pu, "static_shapes", collection(HS_NODE_SEQ, true), oom);
    for (size_t i = 0; i < sizeof npu_static / sizeof *npu_static; i++)
        append(shapes, num(npu_static[i]), oom);
    put(pu, "shape_policy", word("pad"), oom);
    put(pu, "tile", num(NPU_TILE), oom);
    hs_node *unsupported = put(pu, "unsupported", collection(HS_NODE_SEQ, true), oom);
    append(unsupported, word(hs_op_name(HS_OP_ATTENTION)), oom);
    append(unsupported, word(hs_op_name(HS_OP_VECTOR_SEARCH)), oom);
}

/* A PU's name, kind, device (model; NULL: none) and memory. */
static hs_node *put_pu(hs_node *pus, const layout *L, int i, const char *model, bool *oom)
{
    hs_node *pu = append(pus, collection(HS_NODE_MAP, false), oom);
    put(pu, "name", word(L->names[i]), oom);
    put(pu, "kind", word(hs_pu_kind_name(L->kinds[i])), oom);
    if (model)
        put(pu, "model", text(model), oom);
    if (i < L->ngpu && !L->unified[i])
        put(pu, "memory", word("vram"), oom);
    return pu;
}

static bool has_vram(const layout *L)
{
    bool vram = false;
    for (int g = 0; g < L->ngpu; g++)
        vram |= !L->unified[g];
    return vram;
}

/* A tree the builders could not finish is freed: NULL with err. */
static hs_node *finish(hs_node *root, bool oom, hs_err *err)
{
    if (!oom && root)
        return root;
    hs_node_free(root);
    hs_errf(err, "out of memory");
    return NULL;
}

/* The profile the shapes are collected on: the run's PUs with nominal
 * figures (20 GB/s, 0.01 TFLOPS, 50 us launches; chosen, not measured).
 * The dry run on it only collects the kernel shapes to measure, and
 * build_tables measures each shape on every PU that can run it, so these
 * figures never reach the measured profile. */
static hs_node *provisional_tree(const char *name, const layout *L, hs_err *err)
{
    bool oom = false;
    hs_node *root = collection(HS_NODE_MAP, false);
    put(root, "name", word(name), &oom);
    put(root, "description", word("provisional"), &oom);
    put(put(root, "memory", collection(HS_NODE_MAP, false), &oom), "bandwidth_gbps", num(20), &oom);
    if (has_vram(L)) {
        hs_node *vram = append(put(root, "memories", collection(HS_NODE_SEQ, false), &oom),
                               collection(HS_NODE_MAP, false), &oom);
        put(vram, "name", word("vram"), &oom);
        put(vram, "bandwidth_gbps", num(200), &oom);
    }
    hs_node *pus = put(root, "pus", collection(HS_NODE_SEQ, false), &oom);
    for (int i = 0; i < L->ngpu + L->ncpu; i++) {
        hs_node *pu = put_pu(pus, L, i, NULL, &oom);
        put(pu, "peak_tflops", per_dtype(0.01, &oom), &oom);
        put(pu, "launch_us", num(50), &oom);
        if (L->kinds[i] == HS_PU_NPU)
            put_npu_rules(pu, &oom);
    }
    return finish(root, oom, err);
}

/* ---- The measured profile ------------------------------------------------------------ */

static const char *dim_name(int d) { return d == 0 ? "m" : d == 1 ? "n" : d == 2 ? "k" : "batch"; }

/* The roofline figures derived from the tables (write-up in the header). */
typedef struct roofline {
    double peak[64], maxbw[64];
    double opeff[64][HS_OP_COUNT];
    double achievable, peak_mem;
} roofline;

static void derive_roofline(const prof *p, roofline *r)
{
    const hs_hw *hw = p->hw;
    memset(r, 0, sizeof *r);
    for (size_t pu = 0; pu < hw->npus; pu++) {
        double L0 = launch_of(p, (int)pu);
        for (size_t i = 0; i < p->ntabs; i++)
            for (size_t j = 0; j < p->tabs[i].npts; j++) {
                const table *t = &p->tabs[i];
                if (t->pu != (int)pu)
                    continue;
                double tm = t->pts[j].st.median, body = tm - L0;
                r->maxbw[pu] = fmax(r->maxbw[pu], bound_of(p, (int)pu, &t->pts[j].item, tm));
                if (t->op == HS_OP_GEMM && body > 0.5 * L0)
                    r->peak[pu] = fmax(r->peak[pu], t->pts[j].item.k.flops / body);
            }
        if (!(r->peak[pu] > 0))
            r->peak[pu] = 1e9;
        r->maxbw[pu] = fmax(r->maxbw[pu], p->stream_bps[pu]);
        for (int op = 0; op < HS_OP_COUNT; op++) {
            double rates[MAX_POINTS * 16];
            size_t n = 0;
            for (size_t i = 0; i < p->ntabs; i++)
                for (size_t j = 0; j < p->tabs[i].npts && n < sizeof rates / sizeof *rates; j++) {
                    const table *t = &p->tabs[i];
                    double body = t->pts[j].st.median - L0;
                    if (t->pu == (int)pu && (int)t->op == op && body > 0)
                        rates[n++] = t->pts[j].item.k.flops / body / r->peak[pu];
                }
            rl_stat st;
            rl_robust(rates, n, &st);
            r->opeff[pu][op] = n ? fmin(fmax(st.median, 1e-4), 10.0) : 1.0;
        }
    }
    double cap_all = 0;
    for (size_t pu = 0; pu < hw->npus; pu++)
        cap_all = fmax(cap_all, r->maxbw[pu]);
    r->achievable = isfinite(p->fitted_c) ? fmax(p->fitted_c, cap_all) : fmax(p->stream_all_bps, cap_all);
    r->peak_mem = fmax(p->stream_all_bps, r->achievable);
}

/* Provenance: when, where, on which devices and how it was measured. */
static void write_header(const prof *p, const char *name, const char *devdesc, FILE *f)
{
    const hs_hw *hw = p->hw;
    time_t now = time(NULL);
    char date[64], host[128] = "unknown host";
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    gethostname(host, sizeof host - 1);
    fprintf(f, "%s: measured on %s by `hetsoc profile` (hetsoc %s) on %s.\n", name, date, HS_VERSION_STRING,
            host);
    fprintf(f, "OpenCL devices: %s.\n", devdesc);
    for (size_t pu = 0; pu < hw->npus; pu++)
        fprintf(f, "  PU %s (%s) -> %s\n", hw->pus[pu].name, hs_pu_kind_name(hw->pus[pu].kind),
                p->e->pus[pu].device);
    fprintf(f, "Shapes: every kernel of workload '%s' (dry runs in the simulator, policies fifo and eft,\n"
               "seeds 1-3), grouped into tables (one dimension varies).  A point is the median time of its\n"
               "kernels when a simulated run of the workload (fifo, seed %llu) is replayed kernel by kernel on\n"
               "each PU (twice), so that caches hold what the run leaves in them; points no replayed\n"
               "kernel hits: %d timed runs back to back in blocks (first run of a block discarded) over 3\n"
               "interleaved rounds, shifted by their table's median replay-minus-block difference.\n"
               "Outliers beyond 3.5 scaled MADs are dropped; spread = IQR / median.  A run's time is the\n"
               "executor's cycle (previous completion seen -> this completion) plus the engine's own\n"
               "processing per kernel, %.1f us (empty kernels of the workload under eft through hs_run,\n"
               "%.1f us start to end, vs the profiler's loop, %.1f us; the run's host time per kernel,\n"
               "enqueue included, %.1f us).\n"
               "Everything runs in fp32 (PoCL has no fp16), so every dtype gets the fp32 figures.  Power and\n"
               "DRAM energy are assumed, not metered.\n",
            p->o->workload ? p->o->workload : "tiny-agentic-rag", (unsigned long long)p->replay_seed, p->reps,
            1e6 * p->eng_extra, 1e6 * p->eng_kernel, 1e6 * p->launch[0], p->eng_stats.overhead_us);
    size_t n = 0;
    for (size_t pu = 0; pu < hw->npus && pu < 64; pu++)
        n += p->insitu_n[pu];
    if (n > 0)
        fprintf(f, "In situ: the workload run on the hardware (fifo and eft, seed %llu) against the model\n"
                   "measured so far; the median (measured - predicted) over its %zu kernels, %+.1f us, was\n"
                   "added to every point and launch, then all were scaled by the runs' total measured /\n"
                   "predicted time, %.4f (kernels stalled beyond 5x their prediction left out).\n",
                (unsigned long long)p->replay_seed, n, 1e6 * p->insitu[0], p->insitu_scale);
    fprintf(f, "Figures are labelled measured, fitted or assumed; numbers are written exactly.\n");
}

static void put_memories(hs_node *root, const prof *p, const layout *L, const roofline *r, bool *oom)
{
    hs_node *mem = put(root, "memory", collection(HS_NODE_MAP, false), oom);
    put(mem, "name", word("dram"), oom);
    note(put(mem, "bandwidth_gbps", num(r->peak_mem / 1e9), oom), oom,
         "measured: a 64 MiB streaming read (hs_generic) on every PU of the memory at once (alone on PU 0: "
         "%.4g GB/s)",
         p->stream_bps[0] / 1e9);
    hs_node *ach = put(mem, "achievable_gbps", num(r->achievable / 1e9), oom);
    if (isfinite(p->fitted_c))
        note(ach, oom, "fitted: max-min sharing that best predicts %zu co-run slowdowns (rms log error %.3f)",
             p->ncorun, p->c_err);
    else
        note(ach, oom, "measured: no co-run slowdown to fit");
    note(put(mem, "energy_pj_per_byte", num(20), oom), oom, "assumed: DDR4 server memory");
    if (!has_vram(L))
        return;
    double bw = 0;
    for (size_t pu = 0; pu < p->hw->npus; pu++)
        if (p->hw->pus[pu].kind == HS_PU_GPU)
            bw = fmax(bw, r->maxbw[pu]);
    hs_node *vram = append(put(root, "memories", collection(HS_NODE_SEQ, false), oom),
                           collection(HS_NODE_MAP, false), oom);
    put(vram, "name", word("vram"), oom);
    note(put(vram, "bandwidth_gbps", num(bw / 1e9), oom), oom, "measured: fastest kernel on the GPU");
}

static void put_measured_pu(hs_node *pus, const prof *p, const layout *L, const roofline *r, size_t pu,
                            bool *oom)
{
    const hs_pu *h = &p->hw->pus[pu];
    double Lus = 1e6 * launch_of(p, (int)pu);
    hs_node *m = put_pu(pus, L, (int)pu, p->e->pus[pu].device, oom);
    note(put(m, "peak_tflops", per_dtype(r->peak[pu] / 1e12, oom), oom), oom,
         "measured: fastest GEMM (every dtype runs in fp32)");
    hs_node *eff = note(put(m, "op_efficiency", collection(HS_NODE_MAP, true), oom), oom,
                        "fitted: median rate of each op / peak");
    for (int op = 0; op < HS_OP_COUNT; op++)
        if (op != HS_OP_GEMM && r->opeff[pu][op] != 1.0)
            put(eff, hs_op_names[op], num(r->opeff[pu][op]), oom);
    note(put(m, "bandwidth_gbps", num(r->maxbw[pu] / 1e9), oom), oom,
         "measured: a 64 MiB read alone, or the most a kernel drew");
    note(put(m, "launch_us", num(Lus), oom), oom,
         "measured: cycle of an empty kernel + engine processing (spread %.1f%%)", 100 * p->launch_spread[pu]);
    note(put(m, "queue_launch_us", num(Lus), oom), oom,
         "measured: kernels are enqueued after the previous completion");
    note(put(m, "sync_us", pair("naive", 0, "fast", 0, oom), oom), oom,
         "measured: zero copy, the handoff is the launch above");
    bool gpu = h->kind == HS_PU_GPU;
    note(put(m, "power_w", pair("active", gpu ? 75 : 6, "idle", gpu ? 15 : 1, oom), oom), oom,
         "assumed: not metered");
    if (h->kind == HS_PU_NPU)
        put_npu_rules(m, oom);
}

/* What a table's points rest on: counts, spread, the fit, co-run slowdowns. */
static void table_summary(const prof *p, const table *t, FILE *f)
{
    double smax = 0, sv[MAX_POINTS + 2];
    size_t ns = 0;
    for (size_t j = 0; j < t->npts; j++) {
        smax = fmax(smax, t->pts[j].st.spread);
        if (ns < sizeof sv / sizeof *sv)
            sv[ns++] = t->pts[j].st.spread;
    }
    qsort(sv, ns, sizeof *sv, cmp_double);
    size_t replayed = 0, kernels = 0;
    for (size_t j = 0; j < t->npts; j++)
        if (t->pts[j].nrep >= 3)
            replayed++, kernels += t->pts[j].nrep;
    fprintf(f, "%s %s: %zu points (%zu from %zu replayed kernels, the rest blocks of %d runs); "
               "spread median %.1f%%, max %.1f%%",
            p->hw->pus[t->pu].name, hs_op_name(t->op), t->npts, replayed, kernels, p->reps,
            100 * quantile(sv, ns, 0.5), 100 * smax);
    if (t->fitted)
        fprintf(f, "; fit %.4g*%s^%.3f + %.4g s (rms rel. error %.1f%%)", t->fit.a, dim_name(t->vary), t->fit.b,
                t->fit.c, 100 * t->fit.rmse);
    for (size_t j = 0; j < t->npts; j++)
        if (!isnan(t->pts[j].corun))
            fprintf(f, "; co-run at %s=%g: %.3fx", dim_name(t->vary), t->pts[j].x,
                    t->pts[j].corun / t->pts[j].block);
}

static void put_table(hs_node *tables, const prof *p, const table *t, bool *oom)
{
    hs_node *m = append(tables, collection(HS_NODE_MAP, false), oom);
    comment_buf c;
    if (comment_open(&c, oom)) {
        table_summary(p, t, c.f);
        comment_close(&c, m, oom);
    }
    put(m, "op", word(hs_op_name(t->op)), oom);
    put(m, "pu", word(p->hw->pus[t->pu].name), oom);
    for (int d = 0; d < 4; d++)
        if (t->fixed[d] >= 1)
            put(m, dim_name(d), hs_node_new_i64(t->fixed[d], NULL, 0, 0), oom);
    put(m, "vary", word(dim_name(t->vary)), oom);
    hs_node *pts = put(m, "points", collection(HS_NODE_SEQ, false), oom);
    for (size_t j = 0; j < t->npts; j++) {
        hs_node *xy = append(pts, collection(HS_NODE_SEQ, true), oom);
        append(xy, num(t->pts[j].x), oom);
        append(xy, num(t->pts[j].st.median), oom);
    }
}

static hs_node *profile_tree(const prof *p, const layout *L, const char *name, const char *devdesc, hs_err *err)
{
    const hs_hw *hw = p->hw;
    roofline *r = malloc(sizeof *r);
    if (!r) {
        hs_errf(err, "out of memory");
        return NULL;
    }
    derive_roofline(p, r);
    bool oom = false;
    hs_node *root = collection(HS_NODE_MAP, false);
    comment_buf c;
    if (comment_open(&c, &oom)) {
        write_header(p, name, devdesc, c.f);
        comment_close(&c, root, &oom);
    }
    char buf[512];
    put(root, "name", word(name), &oom);
    snprintf(buf, sizeof buf, "%s: %d OpenCL PU%s measured by hetsoc profile (%s)", name, (int)hw->npus,
             hw->npus == 1 ? "" : "s", L->npu ? "the last CPU sub-device emulates an NPU" : "no NPU");
    put(root, "description", text(buf), &oom);
    char host[128] = "unknown host", machine[1024];
    gethostname(host, sizeof host - 1);
    hs_err merr;
    if (hs_real_machine(machine, sizeof machine, &merr) != 0)
        snprintf(machine, sizeof machine, "unknown");
    char notes[2048];
    /* The machine last: hs_real_machine_check reads it up to the end. */
    snprintf(notes, sizeof notes,
             "Calibrated on %s.  Tables cover the kernels of the workload it was measured for; other shapes "
             "fall back to the fitted roofline.  The NPU (if any) is a CPU sub-device run with static shapes "
             "(padded), tile %d, no attention or vector search.  Machine: %s",
             host, NPU_TILE, machine);
    put(root, "notes", text(notes), &oom);
    put_memories(root, p, L, r, &oom);
    hs_node *pus = put(root, "pus", collection(HS_NODE_SEQ, false), &oom);
    for (size_t pu = 0; pu < hw->npus; pu++)
        put_measured_pu(pus, p, L, r, pu, &oom);
    hs_node *tables = put(root, "tables", collection(HS_NODE_SEQ, false), &oom);
    /* Tables with more fixed dimensions first (the first match wins). */
    for (int nfix = 4; nfix >= 0; nfix--)
        for (size_t i = 0; i < p->ntabs; i++) {
            const table *t = &p->tabs[i];
            int fixedn = 0;
            for (int d = 0; d < 4; d++)
                fixedn += t->fixed[d] >= 1;
            if (fixedn == nfix && t->npts > 0)
                put_table(tables, p, t, &oom);
        }
    free(r);
    return finish(root, oom, err);
}

/* ---- In situ: the per-kernel overhead of a real run -------------------------------------- */

/* The replay times kernels through the profiler's loop; in a run, the
 * engine and the policy also work between a kernel's completion and the
 * next start, and the two PUs' kernels interleave on the host.  So the
 * workload is run on the hardware (under fifo and eft, at the replay's
 * seed, not the seeds validation uses by default) against the profile
 * measured so far, and the median of (measured - predicted) over the
 * table-backed kernels is added to every point and launch. */
typedef struct insitu {
    const hs_hw *cand;
    double *diff[64], *pred[64];
    size_t ndiff[64], cap[64];
} insitu;

static void insitu_kernel(void *ctx, int pu, const hs_kernel *k, double start, double end)
{
    insitu *s = ctx;
    hs_pred pr;
    if (pu < 0 || pu >= 64 || hs_hw_predict(s->cand, pu, k, 0, &pr, NULL) != 0 || !pr.from_table)
        return;
    if (s->ndiff[pu] == s->cap[pu]) {
        size_t cap = s->cap[pu] ? 2 * s->cap[pu] : 1024;
        double *g = realloc(s->diff[pu], cap * sizeof *g);
        if (g)
            s->diff[pu] = g;
        double *h = g ? realloc(s->pred[pu], cap * sizeof *h) : NULL;
        if (!h)
            return;
        s->pred[pu] = h;
        s->cap[pu] = cap;
    }
    s->pred[pu][s->ndiff[pu]] = pr.latency_s;
    s->diff[pu][s->ndiff[pu]++] = (end - start) - pr.latency_s;
}

static int in_situ(prof *p, const layout *L, const char *name, const char *devdesc, hs_workload *wl,
                   uint64_t seed, hs_err *err)
{
    hs_node *root = profile_tree(p, L, name, devdesc, err);
    hs_hw *cand = root ? hs_hw_from_node(root, err) : NULL;
    hs_node_free(root);
    if (!cand)
        return -1;
    insitu s = {.cand = cand};
    static const char *const pols[] = {"fifo", "eft"};
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof pols / sizeof *pols; i++) {
        const hs_policy_ops *pol = hs_policy_lookup(pols[i], err);
        if (!pol) {
            rc = -1;
            break;
        }
        hs_run_cfg cfg = {.hw = cand, .wl = wl, .policy = pol, .seed = seed, .end_time = INFINITY,
                          .exec = &p->e->base};
        rc = hs_real_prepare(&p->e->base, &cfg, err);
        hs_run_metrics m;
        if (rc == 0) {
            p->e->on_kernel = insitu_kernel;
            p->e->on_kernel_ctx = &s;
            rc = hs_run(&cfg, &m, err);
            p->e->on_kernel = NULL;
            hs_run_metrics_free(&m);
        }
        if (rc == 0)
            rc = hs_real_check(&p->e->base, err);
    }
    size_t all_n = 0;
    for (size_t pu = 0; pu < p->hw->npus && pu < 64; pu++)
        all_n += s.ndiff[pu];
    double *all = all_n ? malloc(all_n * sizeof *all) : NULL;
    size_t k = 0;
    for (size_t pu = 0; all && pu < p->hw->npus && pu < 64; pu++)
        for (size_t i = 0; i < s.ndiff[pu]; i++)
            all[k++] = s.diff[pu][i];
    rl_stat ast;
    rl_robust(all, k, &ast);
    /* One offset for all PUs: a PU a run used little (fifo's second PU
     * takes work only while the first is busy) would get a biased one. */
    double d = rc == 0 && k >= 50 && isfinite(ast.median) ? ast.median : 0;
    /* Then a scale: the run's total measured time over the total predicted
     * (with d), kernels stalled beyond 5x their prediction left out --
     * what a median offset leaves of a bias that grows with the kernel. */
    double meas = 0, pred = 0;
    for (size_t pu = 0; pu < p->hw->npus && pu < 64; pu++)
        for (size_t i = 0; i < s.ndiff[pu]; i++) {
            double pr = s.pred[pu][i] + d, me = s.pred[pu][i] + s.diff[pu][i];
            if (pr > 0 && me < 5 * pr)
                meas += me, pred += pr;
        }
    double scale = rc == 0 && k >= 50 && pred > 0 ? meas / pred : 1;
    if (!(scale > 0.5 && scale < 2))
        scale = 1;
    p->insitu_scale = scale;
    for (size_t pu = 0; rc == 0 && pu < p->hw->npus && pu < 64; pu++) {
        p->insitu[pu] = d;
        p->insitu_n[pu] = s.ndiff[pu];
        for (size_t i = 0; i < p->ntabs; i++)
            for (size_t j = 0; p->tabs[i].pu == (int)pu && j < p->tabs[i].npts; j++) {
                point *pt = &p->tabs[i].pts[j];
                if (pt->st.median + d > 0)
                    pt->st.median += d;
                pt->st.median *= scale;
            }
    }
    free(all);
    for (int pu = 0; pu < 64; pu++) {
        free(s.diff[pu]);
        free(s.pred[pu]);
    }
    hs_hw_free(cand);
    return rc;
}

/* ---- The whole calibration ------------------------------------------------------------ */

static void logf_(prof *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(prof *p, const char *fmt, ...)
{
    if (!p->log)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(p->log, fmt, ap);
    va_end(ap);
    fflush(p->log);
}

static int collect(prof *p, hs_workload *wl, rl_shapes *s, rl_shapes *seq, uint64_t replay_seed, hs_err *err)
{
    static const char *const pols[] = {"fifo", "eft"};
    for (size_t i = 0; i < 2; i++) {
        const hs_policy_ops *pol = hs_policy_lookup(pols[i], err);
        if (!pol)
            return -1;
        for (uint64_t seed = 1; seed <= 3; seed++) {
            hs_run_cfg cfg = {.hw = p->hw, .wl = wl, .policy = pol, .seed = (p->o->seed ? p->o->seed : 1) + seed - 1,
                              .end_time = INFINITY};
            if (rl_collect_shapes(&cfg, s, NULL, err) != 0)
                return -1;
        }
    }
    /* The trace to replay (and the in-situ run): fifo at a seed of its own,
     * so that validation at the usual seeds stays out of sample. */
    const hs_policy_ops *fifo = hs_policy_lookup("fifo", err);
    hs_run_cfg cfg = {.hw = p->hw, .wl = wl, .policy = fifo, .seed = replay_seed, .end_time = INFINITY};
    if (!fifo || rl_collect_shapes(&cfg, s, NULL, err) != 0 || rl_collect_shapes(&cfg, seq, NULL, err) != 0)
        return -1;
    return 0;
}

/* The workload's largest GEMV (by bytes): the memory-bound background. */
static const hs_item *largest_gemv(const rl_shapes *s)
{
    const hs_item *best = NULL;
    for (size_t i = 0; i < s->n; i++) {
        const hs_item *it = &s->items[i];
        if (it->kind == HS_ITEM_KERNEL && it->k.op == HS_OP_GEMM && it->k.m == 1 && it->ncosts == 0 &&
            it->work == 0 && (!best || it->k.bytes > best->k.bytes))
            best = it;
    }
    return best;
}

hs_node *hs_real_profile_tree(const hs_real_profile_opts *o, hs_err *err)
{
    hs_real_profile_opts def = {0};
    if (!o)
        o = &def;
    prof p = {.o = o, .log = o->log};
    p.reps = o->reps > 0 ? o->reps : (o->quick ? 3 : 9);
    layout L;
    char devdesc[1024];
    if (plan_layout(o, &L, devdesc, sizeof devdesc, err) != 0)
        return NULL;
    char name[128];
    if (o->name)
        snprintf(name, sizeof name, "%s", o->name);
    else if (L.ngpu == 0)
        snprintf(name, sizeof name, "pocl-cpu-%dpu", L.ncpu);
    else
        snprintf(name, sizeof name, "opencl-%dgpu-%dcpu", L.ngpu, L.ncpu);
    hs_node *root = provisional_tree(name, &L, err);
    if (!root)
        return NULL;
    p.hw = hs_hw_from_node(root, err);
    hs_node_free(root);
    if (!p.hw)
        return NULL;
    hs_workload *wl = NULL;
    rl_shapes s = {0}, seq = {.keep_all = true};
    const uint64_t replay_seed = (o->seed ? o->seed : 1) + 1000;
    p.replay_seed = replay_seed;
    int rc = hs_workload_load(o->workload ? o->workload : "tiny-agentic-rag", &wl, err);
    if (rc == 0) {
        logf_(&p, "profile: collecting the kernels of %s\n", hs_workload_name(wl));
        rc = collect(&p, wl, &s, &seq, replay_seed, err);
    }
    hs_real_opts ro = {.data_seed = 1, .log = o->log};
    hs_exec *x = rc == 0 ? hs_exec_real_create(p.hw, &ro, err) : NULL;
    if (rc == 0 && !x)
        rc = -1;
    p.e = x ? RX(x) : NULL;
    rl_prio prio;
    rl_raise_priority(&prio);
    if (rc == 0)
        rc = build_tables(&p, &s, err);
    if (rc == 0) {
        logf_(&p, "profile: %zu tables; measuring the launch and the engine's overhead\n", p.ntabs);
        rc = measure_launch(&p, err);
    }
    if (rc == 0)
        rc = measure_engine(&p, wl, err);
    if (rc == 0) {
        logf_(&p,
              "profile: engine processing %.1f us a kernel (an empty kernel: %.1f us in a run of %s under eft, "
              "%.1f us in the profiler's loop; host time %.1f us a kernel, of which enqueue %.1f us); "
              "streaming bandwidth\n",
              1e6 * p.eng_extra, 1e6 * p.eng_kernel, hs_workload_name(wl), 1e6 * p.launch[0],
              p.eng_stats.overhead_us, p.eng_stats.enqueue_us);
        rc = measure_stream(&p, err);
    }
    for (size_t i = 0; rc == 0 && i < p.ntabs; i++) {
        table *t = &p.tabs[i];
        logf_(&p, "profile: [%zu/%zu] %s on %s, %zu points\n", i + 1, p.ntabs, hs_op_name(t->op),
              p.hw->pus[t->pu].name, t->npts);
        rc = measure_table(&p, t, false, err);
    }
    if (rc == 0) {
        logf_(&p, "profile: replaying a simulated run's %zu kernels on every PU\n", seq.n);
        rc = replay(&p, &seq, o->quick ? 1 : 2, o->quick ? 600 : (size_t)-1, err);
    }
    p.bg_item = largest_gemv(&s);
    for (size_t i = 0; rc == 0 && p.bg_item && i < p.ntabs; i++) {
        table *t = &p.tabs[i];
        if (o->quick && i % 3 != 0)
            continue;
        rc = background(&p, t->pu, p.bg_item, err);
        if (rc == 0)
            rc = measure_table(&p, t, true, err);
        if (background(&p, t->pu, NULL, err) != 0 && rc == 0)
            rc = -1;
    }
    if (rc == 0) {
        fit_contention(&p);
        if (!o->quick) {
            logf_(&p, "profile: a run of the workload on the hardware against the model (per-kernel overhead)\n");
            rc = in_situ(&p, &L, name, devdesc, wl, replay_seed, err);
        }
    }
    for (size_t i = 0; rc == 0 && i < p.ntabs; i++) {
        table *t = &p.tabs[i];
        double xs[MAX_POINTS + 2], ys[MAX_POINTS + 2];
        size_t n = 0;
        for (size_t j = 0; j < t->npts && n < MAX_POINTS + 2; j++)
            xs[n] = t->pts[j].x, ys[n++] = t->pts[j].st.median;
        hs_err ferr;
        t->fitted = n >= 3 && hs_fit_power(xs, ys, n, true, &t->fit, &ferr) == 0;
    }
    hs_node *tree = NULL;
    if (rc == 0) {
        logf_(&p, "profile: writing %s\n", name);
        tree = profile_tree(&p, &L, name, devdesc, err);
    }
    rl_restore_priority(&prio);
    for (size_t i = 0; i < p.ntabs; i++) {
        for (size_t j = 0; j < p.tabs[i].npts; j++) {
            free(p.tabs[i].pts[j].runs);
            free(p.tabs[i].pts[j].rep);
        }
        free(p.tabs[i].pts);
    }
    free(p.tabs);
    if (x)
        x->ops->destroy(x);
    rl_shapes_free(&s);
    rl_shapes_free(&seq);
    hs_workload_free(wl);
    hs_hw_free(p.hw);
    return tree;
}

int hs_real_profile(const hs_real_profile_opts *o, FILE *out, hs_err *err)
{
    hs_node *tree = hs_real_profile_tree(o, err);
    if (!tree)
        return -1;
    char *yaml = hs_node_to_yaml(tree);
    hs_node_free(tree);
    if (!yaml)
        return hs_errf(err, "out of memory");
    int rc = fputs(yaml, out) < 0 || fflush(out) != 0 || ferror(out) ? hs_errf(err, "cannot write the profile") : 0;
    free(yaml);
    return rc;
}
