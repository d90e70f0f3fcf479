/* hetsoc real/: preparing a run on the hardware.
 *
 * The run is first played in the simulator through a recording executor
 * (the simulated one, wrapped): every item it starts is kept, once per
 * distinct shape.  Each distinct shape is then run on every PU that can run
 * it, so that CLBlast compiles its kernels and PoCL specialises ours, and
 * every buffer reaches the size of the largest shape, before anything is
 * timed. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "real/real_internal.h"
#include "real/prepare.h"
#include "sim/exec/exec_sim.h"

/* ---- The recording executor ----------------------------------------------------- */

typedef struct rec_exec {
    hs_exec base;
    hs_exec *inner;
    rl_shapes *shapes;
} rec_exec;

static hs_exec *IN(hs_exec *x) { return ((rec_exec *)x)->inner; }
static double r_now(hs_exec *x) { return IN(x)->ops->now(IN(x)); }
static hs_event *r_at(hs_exec *x, double t, hs_exec_fn fn, uint64_t arg)
{
    return IN(x)->ops->at(IN(x), t, fn, arg);
}
static void r_cancel(hs_exec *x, hs_event *ev) { IN(x)->ops->cancel(IN(x), ev); }
static void r_bind(hs_exec *x, void (*done)(void *, void *), void *engine) { IN(x)->ops->bind(IN(x), done, engine); }
static uint64_t r_run(hs_exec *x, double end, uint64_t max) { return IN(x)->ops->run(IN(x), end, max); }
static void r_stop(hs_exec *x) { IN(x)->ops->stop(IN(x)); }
static double r_bw(hs_exec *x, int mem) { return IN(x)->ops->bw_used(IN(x), mem); }
static void r_stats(hs_exec *x, int pu, double *b, double *j) { IN(x)->ops->pu_stats(IN(x), pu, b, j); }
static double r_dram(hs_exec *x) { return IN(x)->ops->dram_energy(IN(x)); }
static void r_destroy(hs_exec *x)
{
    IN(x)->ops->destroy(IN(x));
    free(x);
}

/* What decides the commands an item runs (and their shapes). */
static uint64_t shape_key(const hs_item *it)
{
    uint64_t h = 1469598103934665603ull;
#define MIX(v) (h = (h ^ (uint64_t)(v)) * 1099511628211ull)
    MIX(it->k.op), MIX(it->k.m), MIX(it->k.n), MIX(it->k.k), MIX(it->k.batch), MIX(it->k.kv_batch);
    MIX(it->slot), MIX(it->phase), MIX((uintptr_t)it->model), MIX(it->tokens), MIX(it->context);
    MIX(it->units), MIX(it->seq), MIX(it->head_rows), MIX(it->steps), MIX(it->layer == 0);
    MIX(it->ncosts), MIX(it->work > 0), MIX(it->k.op == HS_OP_GENERIC ? it->k.flops : 0);
    MIX(it->k.op == HS_OP_GENERIC ? it->k.bytes : 0);
#undef MIX
    return h;
}

int rl_shapes_add(rl_shapes *s, const hs_item *it)
{
    uint64_t key = shape_key(it);
    for (size_t i = 0; i < s->n && !s->keep_all; i++)
        if (s->keys[i] == key)
            return 0;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 64;
        hs_item *g = realloc(s->items, cap * sizeof *g);
        uint64_t *k = g ? realloc(s->keys, cap * sizeof *k) : NULL;
        if (g)
            s->items = g;
        if (!k)
            return -1;
        s->keys = k;
        s->cap = cap;
    }
    hs_item *c = &s->items[s->n];
    *c = *it;
    if (c->ncosts > 0) {
        /* A per-PU cost table lives in its request, which is freed when it
         * finishes: keep a short busy kernel instead (warm-up only). */
        c->costs = NULL;
        c->ncosts = 0;
        c->work = 1e-4;
    }
    s->keys[s->n++] = key;
    return 0;
}

void rl_shapes_free(rl_shapes *s)
{
    free(s->items);
    free(s->keys);
    memset(s, 0, sizeof *s);
}

static int r_start(hs_exec *x, int pu, const hs_item *item, unsigned flags, void *token, hs_err *err)
{
    rec_exec *r = (rec_exec *)x;
    if (rl_shapes_add(r->shapes, item) != 0)
        return hs_errf(err, "out of memory");
    return IN(x)->ops->start(IN(x), pu, item, flags, token, err);
}

static double r_predict_now(hs_exec *x, int pu, const hs_item *item, const hs_cost *cost)
{
    return IN(x)->ops->predict_now(IN(x), pu, item, cost);
}

static const hs_exec_ops rec_ops = {
    .name = "sim",
    .now = r_now, .at = r_at, .cancel = r_cancel, .start = r_start, .bind = r_bind, .run = r_run,
    .stop = r_stop, .bw_used = r_bw, .pu_stats = r_stats, .dram_energy = r_dram, .destroy = r_destroy,
    .predict_now = r_predict_now,
};

int rl_collect_shapes(const hs_run_cfg *cfg, rl_shapes *out, hs_run_metrics *metrics, hs_err *err)
{
    rec_exec *r = calloc(1, sizeof *r);
    if (!r)
        return hs_errf(err, "out of memory");
    r->base.ops = &rec_ops;
    r->shapes = out;
    if (!(r->inner = hs_exec_sim_create(cfg->hw, NULL, NULL, err))) {
        free(r);
        return -1;
    }
    hs_run_cfg c = *cfg;
    c.exec = &r->base;
    c.sink = metrics ? cfg->sink : (hs_run_sink){0};
    hs_run_metrics m;
    int rc = hs_run(&c, &m, err);
    if (metrics)
        *metrics = m;
    else
        hs_run_metrics_free(&m);
    r_destroy(&r->base);
    return rc;
}

/* ---- Warm-up -------------------------------------------------------------------------- */

bool rl_can_run(const hs_hw *hw, int pu, const hs_item *it)
{
    if (hs_item_is_fixed(it))
        return hs_item_fixed_s(hw, it, pu) >= 0;
    if (it->k.op == HS_OP_GENERIC)
        return !hw->pus[pu].unsupported[HS_OP_GENERIC];
    hs_pred pr;
    return hs_hw_predict(hw, pu, &it->k, 0, &pr, NULL) == 0;
}

int hs_real_prepare(hs_exec *x, const hs_run_cfg *cfg, hs_err *err)
{
    if (hs_real_check(x, err) != 0)
        return -1;
    rl_exec *e = RX(x);
    rl_shapes s = {0};
    double t0 = rl_wall();
    if (rl_collect_shapes(cfg, &s, NULL, err) != 0) {
        rl_shapes_free(&s);
        return -1;
    }
    size_t runs = 0;
    int rc = 0;
    for (size_t i = 0; i < s.n && rc == 0; i++)
        for (size_t pu = 0; pu < e->npus && rc == 0; pu++) {
            if (!rl_can_run(e->hw, (int)pu, &s.items[i]))
                continue;
            double sec;
            rc = rl_time_item(e, (int)pu, &s.items[i], &sec, err);
            runs++;
        }
    if (rc == 0 && e->opts.log)
        fprintf(e->opts.log, "real: warmed %zu shapes up (%zu kernel runs) in %.1f s\n", s.n, runs,
                rl_wall() - t0);
    rl_shapes_free(&s);
    return rc;
}

int hs_real_run(const hs_run_cfg *cfg, const hs_real_opts *ro, hs_run_metrics *m, hs_real_stats *st,
                hs_err *err)
{
    memset(m, 0, sizeof *m);
    if (st)
        memset(st, 0, sizeof *st);
    hs_exec *x = hs_exec_real_create(cfg->hw, ro, err);
    if (!x)
        return -1;
    hs_run_cfg c = *cfg;
    c.exec = x;
    int rc = hs_real_prepare(x, &c, err);
    if (rc == 0)
        rc = hs_run(&c, m, err);
    if (rc == 0)
        rc = hs_real_check(x, err);
    if (rc == 0 && st)
        hs_real_stats_get(x, st);
    x->ops->destroy(x);
    return rc;
}

int hs_real_bench_overhead(const hs_run_cfg *cfg, hs_real_stats *out, hs_err *err)
{
    hs_real_opts ro = {.noop = true};
    hs_run_cfg c = *cfg;
    c.sink = (hs_run_sink){0};
    hs_run_metrics m;
    int rc = hs_real_run(&c, &ro, &m, out, err);
    hs_run_metrics_free(&m);
    return rc;
}
