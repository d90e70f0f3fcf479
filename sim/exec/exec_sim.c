/* hetsoc: the simulated executor -- virtual time on the event kernel and
 * the fluid machine of sim/ (max-min DRAM sharing, processor sharing,
 * energy).
 *
 * A work item on PU p costs (sim/exec/cost.c, from hw/'s model):
 *   launch    launch_s, or queue_launch_s for a kernel queued back to back
 *             behind another on p (an in-order queue overlaps its launch),
 *             plus the graph build of an unlisted NPU shape the first time
 *             that shape runs on p: a fixed delay during which the kernel
 *             holds its slot but no bandwidth (the machine's launch delay,
 *             which costs no event of its own);
 *   body      a machine kernel of time T = body_s and Q = bytes DRAM
 *             bytes: alone it takes body_s (the calibrated roofline or a
 *             profiled table), and it slows when co-running kernels leave
 *             it less than Q / T of the DRAM (sim/machine/machine.h).
 * Fixed `cost:` and `work:` times have no bytes and never slow down.
 * A transfer between memory domains is a machine transfer over the link
 * and both domains; its callback comes the link's latency after it ends.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/exec/exec_sim.h"
#include "sim/exec/cost.h"
#include "sim/machine/machine.h"

enum { EV_CALLBACK = 1, EV_MACHINE = 2 };

/* Energy attribution (exec.h's done_energy).  A PU's active energy is
 * P_active x its busy time; each instant of it is shared equally by the
 * kernels computing then (activated: past their launch delay), so every
 * kernel accumulates dt / n over the intervals in which n kernels compute.
 * Activations are known at the start (start + delay) and taken in time
 * order whenever the PU's set changes, so the shares are exact and sum to
 * the busy time.  A one-slot PU (the common case) needs no list: its one
 * kernel's share is its span from activation to completion. */
typedef struct kshare {
    int pu;
    bool active;
    double act;              /* activation time */
    double busy;             /* its share so far */
    double dram_j;
} kshare;

typedef struct pshare {
    double t;                /* shares are accounted up to t */
    int nactive;
    int *ids;                /* kernels started and not done (machine ids) */
    size_t n, cap;
} pshare;

typedef struct exec_sim {
    hs_exec base;
    const hs_hw *hw;
    hs_sim *sim;
    const double *clock;     /* hs_sim_clock(sim) */
    hs_machine *m;
    void (*done)(void *engine, void *token);
    void *engine;
    hs_bw_observer obs;
    void *obs_ctx;
    double *last_used;       /* per domain, to report changes only */
    hs_pu_bw_observer pu_obs;
    void *pu_obs_ctx;
    double *last_pu_bw;      /* per PU, to report changes only */
    hs_domain_conf *domains;
    hs_pu_conf *pus;
    hs_link_conf *links;
    hs_cost_cache *costs;    /* memo of kernel predictions */
    uint64_t *built;         /* (PU, m) of the NPU graphs built so far */
    size_t nbuilt, built_cap;
    /* Transfers in flight, indexed by machine id (kernels share the id
     * space: fn NULL for a kernel); nxfers 0 until the first transfer. */
    struct sim_xfer {
        hs_exec_fn fn;
        uint64_t arg;
        double latency_s;
    } *xfers;
    size_t nxfers;
    kshare *ks;              /* by machine kernel id */
    size_t ks_cap;
    pshare *ps;              /* by PU */
    kshare done_share;       /* the kernel whose completion is being reported */
} exec_sim;

static exec_sim *X(hs_exec *x) { return (exec_sim *)x; }

static double sim_now(hs_exec *x) { return *X(x)->clock; }

static void callback_handler(hs_sim *sim, hs_event *ev, void *ctx)
{
    (void)sim;
    exec_sim *e = ctx;
    hs_exec_fn fn = (hs_exec_fn)ev->data.ptr.p;
    fn(e->engine, ev->data.ptr.tag);
}

static hs_event *sim_at(hs_exec *x, double t, hs_exec_fn fn, uint64_t arg)
{
    exec_sim *e = X(x);
    hs_event *ev = hs_sim_event(e->sim, EV_CALLBACK);
    if (!ev)
        return NULL;
    ev->data.ptr.p = (void *)fn;
    ev->data.ptr.tag = arg;
    if (hs_sim_schedule(e->sim, ev, t) != 0) {
        hs_sim_event_free(e->sim, ev);
        return NULL;
    }
    return ev;
}

static void sim_cancel(hs_exec *x, hs_event *ev) { hs_sim_cancel(X(x)->sim, ev); }

/* A transfer's last byte left: its data arrives after the link latency. */
static __attribute__((noinline)) void transfer_done(exec_sim *e, int id)
{
    struct sim_xfer *t = &e->xfers[id];
    hs_exec_fn fn = t->fn;
    t->fn = NULL;
    if (!sim_at(&e->base, *e->clock + t->latency_s, fn, t->arg))
        hs_sim_stop(e->sim);   /* out of memory: the run ends short */
}

/* Adds each computing kernel's share of PU p's busy time up to t. */
static void share_to(exec_sim *e, pshare *p, double t)
{
    if (p->nactive > 0 && t > p->t) {
        double d = (t - p->t) / p->nactive;
        for (size_t i = 0; i < p->n; i++)
            if (e->ks[p->ids[i]].active)
                e->ks[p->ids[i]].busy += d;
    }
    p->t = t;
}

/* Accounts PU p up to t, its launch delays ending up to t in time order. */
static void share_advance(exec_sim *e, int pu, double t)
{
    pshare *p = &e->ps[pu];
    for (;;) {
        kshare *next = NULL;
        for (size_t i = 0; i < p->n; i++) {
            kshare *k = &e->ks[p->ids[i]];
            if (!k->active && k->act <= t && (!next || k->act < next->act))
                next = k;
        }
        if (!next)
            break;
        share_to(e, p, next->act);
        next->active = true;
        p->nactive++;
    }
    share_to(e, p, t);
}

/* p (of *cap elements of size elem) grown to hold at least need, or NULL
 * out of memory (p is then unchanged). */
static void *grow_to(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? 2 * *cap : 8;
    while (n < need)
        n *= 2;
    void *q = realloc(p, n * elem);
    if (q)
        *cap = n;
    return q;
}

/* Kernel id started on pu now, computing from now + delay.  A one-slot
 * PU runs (or launches) one kernel at a time: its share is its whole
 * activity, and it needs no list. */
static int share_start(exec_sim *e, int id, int pu, double delay, double dram_j)
{
    double now = sim_now(&e->base);
    if ((size_t)id >= e->ks_cap) {
        kshare *ks = grow_to(e->ks, &e->ks_cap, (size_t)id + 1, sizeof *ks);
        if (!ks)
            return -1;
        e->ks = ks;
    }
    if (e->hw->pus[pu].slots == 1) {
        e->ks[id] = (kshare){.pu = pu, .act = now + delay, .dram_j = dram_j};
        return 0;
    }
    pshare *p = &e->ps[pu];
    int *ids = grow_to(p->ids, &p->cap, p->n + 1, sizeof *ids);
    if (!ids)
        return -1;
    p->ids = ids;
    share_advance(e, pu, now);
    e->ks[id] = (kshare){.pu = pu, .act = now + delay, .dram_j = dram_j};
    p->ids[p->n++] = id;
    share_advance(e, pu, now);   /* a kernel without delay computes from now */
    return 0;
}

/* Kernel id completes now: its share goes to done_share. */
static void share_done(exec_sim *e, int id)
{
    kshare *k = &e->ks[id];
    if (e->hw->pus[k->pu].slots == 1) {
        k->busy = sim_now(&e->base) - k->act;
        e->done_share = *k;
        return;
    }
    pshare *p = &e->ps[k->pu];
    share_advance(e, k->pu, sim_now(&e->base));
    for (size_t i = 0; i < p->n; i++)
        if (p->ids[i] == id) {
            p->ids[i] = p->ids[--p->n];
            break;
        }
    p->nactive -= k->active;
    e->done_share = *k;
}

static void sim_done_energy(hs_exec *x, double *busy_s, double *active_j, double *dram_j)
{
    const exec_sim *e = X(x);
    const kshare *k = &e->done_share;
    *busy_s = k->busy;
    *active_j = k->busy * e->hw->pus[k->pu].power_active_w;
    *dram_j = k->dram_j;
}

static void machine_done(hs_machine *m, int id, void *user, void *ctx)
{
    (void)m;
    exec_sim *e = ctx;
    if ((size_t)id < e->nxfers && e->xfers[id].fn) {
        transfer_done(e, id);
    } else {
        share_done(e, id);
        e->done(e->engine, user);
    }
}

static int sim_transfer(hs_exec *x, int link, int src_mem, int dst_mem, double bytes, hs_exec_fn fn,
                        uint64_t arg, hs_err *err)
{
    exec_sim *e = X(x);
    hs_transfer_work w = {.link = link, .src_domain = src_mem, .dst_domain = dst_mem, .bytes = bytes};
    int id = hs_machine_transfer(e->m, &w);
    if (id < 0)
        return hs_errf(err, "internal: the machine refused a transfer of %g B over link %d", bytes, link);
    if ((size_t)id >= e->nxfers) {
        size_t n = 2 * (size_t)id + 8;
        struct sim_xfer *t = realloc(e->xfers, n * sizeof *t);
        if (!t) {
            hs_machine_abort(e->m, id);
            return hs_errf(err, "out of memory");
        }
        memset(t + e->nxfers, 0, (n - e->nxfers) * sizeof *t);
        e->xfers = t;
        e->nxfers = n;
    }
    e->xfers[id] = (struct sim_xfer){.fn = fn, .arg = arg, .latency_s = e->hw->links[link].latency_s};
    return 0;
}

static int start_machine_kernel(exec_sim *e, int pu, const hs_kernel_work *w, hs_err *err)
{
    int id = hs_machine_start(e->m, pu, w);
    if (id < 0)
        return hs_errf(err, "internal: the machine refused a kernel on PU %s", e->hw->pus[pu].name);
    double epb = e->hw->mems[e->hw->pus[pu].mem].energy_j_per_byte;
    if (share_start(e, id, pu, w->delay_s, w->bytes * epb) != 0)
        return hs_errf(err, "out of memory");
    return 0;
}

/* NPU graphs are built once per (PU, shape) and then reused (HeteroInfer
 * §5.3.2: building costs 408 ms at 135 tokens), whether a kernel or a
 * pre-build (hs_prebuild) built them; the set of built shapes is a sorted
 * array of keys.  Where key lies or would go. */
static size_t built_pos(const exec_sim *e, uint64_t key)
{
    size_t lo = 0, hi = e->nbuilt;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (e->built[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static uint64_t built_key(int pu, int64_t m) { return (uint64_t)pu << 48 ^ (uint64_t)m; }

/* Records (pu, m) as built: true when it was not yet. */
static bool first_build(exec_sim *e, int pu, int64_t m)
{
    uint64_t key = built_key(pu, m);
    size_t lo = built_pos(e, key);
    if (lo < e->nbuilt && e->built[lo] == key)
        return false;
    if (e->nbuilt == e->built_cap) {
        size_t cap = e->built_cap ? 2 * e->built_cap : 16;
        uint64_t *b = realloc(e->built, cap * sizeof *b);
        if (!b)
            return true;  /* charge it again rather than fail */
        e->built = b;
        e->built_cap = cap;
    }
    memmove(e->built + lo + 1, e->built + lo, (e->nbuilt - lo) * sizeof *e->built);
    e->built[lo] = key;
    e->nbuilt++;
    return true;
}

/* Starts the kernel of item on pu, whose standalone cost is p. */
static int sim_start_cost(hs_exec *x, int pu, const hs_item *item, const hs_cost *p, unsigned flags,
                          void *token, hs_err *err)
{
    exec_sim *e = X(x);
    if (p->rc != 0)
        return hs_errf(err, "PU %s cannot run a '%s' item", e->hw->pus[pu].name, hs_slot_name(item->slot));
    /* T = body_s, the roofline body (penalties and tables included), so
     * that alone the kernel takes max(T, Q / B_eff) = body_s, and co-run
     * it slows as the machine shares the DRAM (what sim_predict_now
     * foresees). */
    double launch = flags & HS_EXEC_QUEUED ? p->queue_launch_s : p->launch_s;
    double delay = launch + (p->needs_build && first_build(e, pu, p->m) ? p->build_s : 0);
    hs_kernel_work w = {.compute_s = p->body_s, .bytes = p->bytes, .user = token,
                        .delay_s = delay > 0 ? delay : 0};
    return start_machine_kernel(e, pu, &w, err);
}

static int sim_start(hs_exec *x, int pu, const hs_item *item, unsigned flags, void *token, hs_err *err)
{
    hs_cost buf;
    const hs_cost *p = hs_item_cost_ref(X(x)->costs, X(x)->hw, item, pu, &buf);
    return sim_start_cost(x, pu, item, p, flags, token, err);
}

/* The machine's trial solve for the item's body: what sim_start_cost
 * would run, sharing what the machine runs and launches now. */
static double sim_predict_now(hs_exec *x, int pu, const hs_item *item, const hs_cost *c)
{
    (void)item;
    hs_kernel_work w = {.compute_s = c->body_s, .bytes = c->bytes};
    hs_machine_prediction p;
    if (hs_machine_predict(X(x)->m, pu, &w, &p) != 0)
        return c->latency_s;  /* out of memory: the standalone time */
    return c->launch_s + p.time_s;
}

static bool sim_graph_built(hs_exec *x, int pu, int64_t m, bool build)
{
    exec_sim *e = X(x);
    if (build) {
        first_build(e, pu, m);
        return true;
    }
    uint64_t key = built_key(pu, m);
    size_t i = built_pos(e, key);
    return i < e->nbuilt && e->built[i] == key;
}

/* The stop of a preempted kernel, as a fraction of its whole work: the
 * end of the kernel under way (equal shares of 1 / kernels), or the point
 * reached within within_s if sooner.  A kernel still in its launch delay
 * has launched its first kernel. */
static double stop_point(const hs_machine *m, int id, double now, int64_t kernels, double within_s)
{
    double n = (double)kernels;
    double done = 1 - hs_machine_kernel_remaining(m, id, now);
    double rate = hs_machine_kernel_rate(m, id);
    if (!(rate > 0))
        return 1 / n;
    double boundary = fmin(floor(done * n) + 1, n) / n;
    if (within_s > 0 && done + rate * within_s < boundary)
        return done + rate * within_s;
    return boundary;
}

static int sim_preempt(hs_exec *x, int pu, void *token, int64_t kernels, double within_s, double *done,
                       hs_err *err)
{
    exec_sim *e = X(x);
    int id = hs_machine_find_kernel(e->m, pu, token);
    if (id < 0)
        return hs_errf(err, "internal: no kernel of this work runs on PU %s", e->hw->pus[pu].name);
    double now = *e->clock;
    double stop = stop_point(e->m, id, now, kernels, within_s);
    *done = stop * (double)kernels;
    if (stop >= 1) {
        *done = (double)kernels;
        return 0;
    }
    double left = hs_machine_kernel_remaining(e->m, id, now) - (1 - stop);
    if (hs_machine_cut(e->m, id, left > 0 ? left : 0) != 0)
        return hs_errf(err, "internal: the machine refused to cut a kernel on PU %s", e->hw->pus[pu].name);
    return 0;
}

static void sim_bind(hs_exec *x, void (*done)(void *engine, void *token), void *engine)
{
    X(x)->done = done;
    X(x)->engine = engine;
}

static uint64_t sim_run(hs_exec *x, double end_time, uint64_t max_events)
{
    return hs_sim_run(X(x)->sim, end_time, max_events).events;
}

static void sim_stop(hs_exec *x) { hs_sim_stop(X(x)->sim); }
/* The machine places its event after a completion's callback (machine.h):
 * until then its next time is its own. */
static double sim_next_time(hs_exec *x)
{
    double t = hs_sim_next_time(X(x)->sim), tm = hs_machine_next_time(X(x)->m);
    return tm < t ? tm : t;
}
static double sim_bw_used(hs_exec *x, int mem) { return hs_machine_domain_used(X(x)->m, mem); }

static void sim_pu_stats(hs_exec *x, int pu, double *busy_s, double *energy_j)
{
    exec_sim *e = X(x);
    double t = hs_sim_now(e->sim);
    *busy_s = hs_machine_pu_busy_time(e->m, pu, t);
    *energy_j = hs_machine_pu_energy(e->m, pu, t);
}

static double sim_dram_energy(hs_exec *x)
{
    exec_sim *e = X(x);
    double j = 0, t = hs_sim_now(e->sim);
    for (size_t d = 0; d < hs_machine_domain_count(e->m); d++)
        j += hs_machine_domain_energy(e->m, (int)d, t);
    return j;
}

static void sim_mem_stats(hs_exec *x, int mem, double *bytes, double *peak_bps)
{
    exec_sim *e = X(x);
    *bytes = hs_machine_domain_bytes(e->m, mem, hs_sim_now(e->sim));
    *peak_bps = hs_machine_domain_peak(e->m, mem);
}

static void sim_destroy(hs_exec *x)
{
    exec_sim *e = X(x);
    if (e->m)
        hs_machine_destroy(e->m);
    if (e->sim)
        hs_sim_destroy(e->sim);
    free(e->last_used);
    free(e->last_pu_bw);
    free(e->built);
    free(e->xfers);
    for (size_t p = 0; e->ps && p < e->hw->npus; p++)
        free(e->ps[p].ids);
    free(e->ps);
    free(e->ks);
    hs_cost_cache_free(e->costs);
    free(e->domains);
    free(e->pus);
    free(e->links);
    free(e);
}

static void observe(hs_machine *m, double t, const double *used, size_t n, void *ctx)
{
    exec_sim *e = ctx;
    for (size_t d = 0; e->obs && d < n; d++)
        if (used[d] != e->last_used[d]) {
            e->last_used[d] = used[d];
            e->obs(e->obs_ctx, t, (int)d, used[d]);
        }
    for (size_t p = 0; e->pu_obs && p < e->hw->npus; p++) {
        double bps = hs_machine_pu_bandwidth(m, (int)p);
        if (bps != e->last_pu_bw[p]) {
            e->last_pu_bw[p] = bps;
            e->pu_obs(e->pu_obs_ctx, t, (int)p, bps);
        }
    }
}

static const hs_exec_ops sim_ops = {
    .name = "sim",
    .now = sim_now,
    .at = sim_at,
    .cancel = sim_cancel,
    .start = sim_start,
    .bind = sim_bind,
    .run = sim_run,
    .stop = sim_stop,
    .bw_used = sim_bw_used,
    .pu_stats = sim_pu_stats,
    .dram_energy = sim_dram_energy,
    .mem_stats = sim_mem_stats,
    .destroy = sim_destroy,
    .next_time = sim_next_time,
    .start_cost = sim_start_cost,
    .predict_now = sim_predict_now,
    .transfer = sim_transfer,
    .preempt = sim_preempt,
    .graph_built = sim_graph_built,
    .done_energy = sim_done_energy,
};

/* The machine's configuration from the hardware profile. */
static int configure(exec_sim *e, hs_machine_conf *c)
{
    const hs_hw *hw = e->hw;
    e->domains = calloc(hw->nmem, sizeof *e->domains);
    e->pus = calloc(hw->npus, sizeof *e->pus);
    e->links = calloc(hw->nlinks ? hw->nlinks : 1, sizeof *e->links);
    e->last_used = calloc(hw->nmem, sizeof *e->last_used);
    e->ps = calloc(hw->npus, sizeof *e->ps);
    if (!e->domains || !e->pus || !e->links || !e->last_used || !e->ps)
        return -1;
    for (size_t d = 0; d < hw->nmem; d++) {
        const hs_mem *m = &hw->mems[d];
        e->domains[d] = (hs_domain_conf){
            .name = m->name, .bandwidth = m->achievable_bps, .phi_demand = m->phi_demand_bps,
            .phi = m->phi, .phi_n = m->nphi, .energy_per_byte = m->energy_j_per_byte,
        };
    }
    for (size_t l = 0; l < hw->nlinks; l++)
        e->links[l] = (hs_link_conf){.name = hw->links[l].name, .bandwidth = hw->links[l].bandwidth_bps};
    for (size_t p = 0; p < hw->npus; p++) {
        const hs_pu *pu = &hw->pus[p];
        e->pus[p] = (hs_pu_conf){
            .name = pu->name, .domain = pu->mem, .bandwidth_cap = hs_hw_beff(hw, (int)p),
            .slots = pu->slots == HS_SLOTS_UNLIMITED ? HS_MACHINE_SLOTS_UNLIMITED : pu->slots,
            .active_power_w = pu->power_active_w, .idle_power_w = pu->power_idle_w,
        };
    }
    *c = (hs_machine_conf){
        .domains = e->domains, .ndomains = hw->nmem, .links = e->links, .nlinks = hw->nlinks,
        .pus = e->pus, .npus = hw->npus, .event_type = EV_MACHINE, .on_done = machine_done, .ctx = e,
    };
    return 0;
}

hs_exec *hs_exec_sim_create(const hs_hw *hw, hs_bw_observer obs, void *obs_ctx, hs_err *err)
{
    exec_sim *e = calloc(1, sizeof *e);
    if (!e) {
        hs_errf(err, "out of memory");
        return NULL;
    }
    e->base.ops = &sim_ops;
    e->hw = hw;
    e->obs = obs;
    e->obs_ctx = obs_ctx;
    hs_machine_conf c;
    if (!(e->sim = hs_sim_create()) || !(e->costs = hs_cost_cache_create()) || configure(e, &c) != 0) {
        sim_destroy(&e->base);
        hs_errf(err, "out of memory");
        return NULL;
    }
    e->clock = hs_sim_clock(e->sim);
    hs_sim_on(e->sim, EV_CALLBACK, callback_handler, e);
    if (!(e->m = hs_machine_create(e->sim, &c))) {
        sim_destroy(&e->base);
        hs_errf(err, "profile '%s': invalid machine configuration", hw->name);
        return NULL;
    }
    if (obs)
        hs_machine_on_bandwidth(e->m, observe, e);
    return &e->base;
}

int hs_exec_sim_observe_pus(hs_exec *x, hs_pu_bw_observer fn, void *ctx)
{
    exec_sim *e = X(x);
    if (fn && !e->last_pu_bw && !(e->last_pu_bw = calloc(e->hw->npus, sizeof *e->last_pu_bw)))
        return -1;
    e->pu_obs = fn;
    e->pu_obs_ctx = ctx;
    hs_machine_on_bandwidth(e->m, fn || e->obs ? observe : NULL, e);
    return 0;
}
