/* hetsoc: max-min fair bandwidth sharing by progressive filling.
 * The model, the algorithm, the fast paths and the incrementality are
 * described in bandwidth.h; this file keeps to the data structures.
 *
 * Invariants between calls:
 *  - res[r].fl[0..nfl) lists the live flows using r; for every live flow f
 *    and k < f.nres, res[f.res[k]].fl[f.pos[k]] == f.
 *  - res[r].ninf / dfin: the number of r's flows with an infinite bound and
 *    the sum of the finite bounds (maintained on every change; exactly 0
 *    when r has no flow), so D_r = ninf ? INFINITY : dfin.
 *  - dirty[0..ndirty) lists the resources with res[r].dirty set.  With no
 *    resource dirty, the committed rates are the max-min allocation of the
 *    current flows, used[r] is their sum on r (to rounding) and cap_eff[r]
 *    is C_r / phi(D_r) (to rounding).
 *  - Dead flow records are chained through next_free (LIFO).
 *  - chg[0..nchg) lists distinct live flows (those with chg_gen == the list's
 *    generation), chg_rate[i] the rate of chg[i] (list_changed follows
 *    every change of a rate); cf/cr hold the flows/resources of the
 *    components last solved, their mark equal to stamp (solve_single and
 *    solve_lone mark nothing: only trials read the marks).
 */
#include "sim/machine/bandwidth.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A resource is saturated when its use is within this relative distance
 * of its usable capacity (a solve leaves saturated ones within ~1e-15). */
#define SAT_TOL 1e-9

enum { LONE_NONE = -2, LONE_EMPTY = -1 };

typedef struct bw_flow {
    double bound;        /* d_i, bytes/s */
    double cap;          /* private capacity (hs_bw_add_flow_capped), or INFINITY */
    double rate;         /* committed x_i */
    double x;            /* x_i of the solve in progress (or the trial) */
    uint32_t mark;       /* == stamp: in the components being solved */
    uint32_t chg_gen;    /* == chg_gen: listed in chg, at chg[cpos] */
    int cpos;
    int upos;            /* index in the unfrozen list, -1 once frozen */
    int nres;
    int next_free;       /* free-list link of a dead record */
    bool alive, fresh;   /* fresh: added, not yet given a rate */
    int res[HS_BW_MAX_RES_PER_FLOW];
    int pos[HS_BW_MAX_RES_PER_FLOW];
} bw_flow;

typedef struct bw_res {
    double rem;          /* filling scratch: capacity left to unfrozen flows */
    int nfree;           /* filling scratch: unfrozen flows using r */
    uint32_t mark;
    double ceff, sused;  /* scratch usable capacity and use of the solve */
    double cap;          /* nominal C_r */
    double cap_eff;      /* committed C_r / phi(D_r) */
    double used;         /* committed sum of rates */
    double dfin;         /* sum of the finite bounds of r's flows */
    int ninf;            /* number of r's flows with an infinite bound */
    bool dirty;
    int *fl;             /* live flows using r */
    int nfl, fl_cap;
    double *phi_x, *phi_y;
    size_t phi_n;
    char *name;
} bw_res;

/* One entry of a trial's undo log: what to restore, exactly. */
typedef struct bw_undo {
    int flow;
    bool added;          /* true: remove the flow; false: restore old_bound */
    double old_bound;
    double dfin[HS_BW_MAX_RES_PER_FLOW];
    int ninf[HS_BW_MAX_RES_PER_FLOW];
} bw_undo;

struct hs_bw {
    bw_res *res;
    int nres, res_cap;
    bw_flow *flow;
    int flow_hw, flow_cap;   /* records in use (live or free), allocated */
    int free_head, nlive;
    int *dirty, ndirty;      /* capacity res_cap */
    int *cr, ncr;            /* capacity res_cap */
    int *cf, ncf;            /* capacity flow_cap */
    int *uf;                 /* capacity flow_cap */
    int *chg, nchg;          /* capacity flow_cap */
    double *chg_rate;        /* capacity flow_cap */
    uint32_t chg_gen;        /* generation of the changed list */
    bool chg_open;           /* the list collects changes since the last solve */
    uint32_t stamp;
    int lone;                /* LONE_NONE, or the dirty set is exactly what a
                              * removal from a clean system marked, and the
                              * component it left is this one flow (LONE_EMPTY:
                              * none): see hs_bw_remove_flow */
    bool in_trial, trial_solved;
    int trial_ndirty;
    bw_undo *undo;
    int nundo, undo_cap;
    hs_bw_stats stats;
};

/* ---- Allocation helpers. ------------------------------------------- */

/* Grows the array *pp (elem-sized items, capacity *cap) to hold need. */
static int grow(void *pp, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 0;
    int n = *cap ? *cap : 8;
    while (n < need)
        n *= 2;
    void *q = realloc(*(void **)pp, (size_t)n * elem);
    if (!q)
        return -1;
    *(void **)pp = q;
    *cap = n;
    return 0;
}

/* Grows the flow records and the per-flow index arrays to hold need. */
static int grow_flows(hs_bw *bw, int need)
{
    if (need <= bw->flow_cap)
        return 0;
    int cap = bw->flow_cap;
    if (grow(&bw->flow, &cap, need, sizeof(bw_flow)))
        return -1;
    int *a = realloc(bw->cf, (size_t)cap * sizeof(int));
    if (a) bw->cf = a;
    int *b = realloc(bw->uf, (size_t)cap * sizeof(int));
    if (b) bw->uf = b;
    int *c = realloc(bw->chg, (size_t)cap * sizeof(int));
    if (c) bw->chg = c;
    double *d = realloc(bw->chg_rate, (size_t)cap * sizeof(double));
    if (d) bw->chg_rate = d;
    if (!a || !b || !c || !d)
        return -1;  /* flow_cap stays: the larger arrays are kept and reused */
    bw->flow_cap = cap;
    return 0;
}

hs_bw *hs_bw_create(void)
{
    hs_bw *bw = calloc(1, sizeof(*bw));
    if (bw) {
        bw->free_head = -1;
        bw->chg_gen = 1;
        bw->lone = LONE_NONE;
    }
    return bw;
}

void hs_bw_destroy(hs_bw *bw)
{
    if (!bw)
        return;
    for (int r = 0; r < bw->nres; r++) {
        free(bw->res[r].fl);
        free(bw->res[r].phi_x);
        free(bw->res[r].phi_y);
        free(bw->res[r].name);
    }
    free(bw->res);
    free(bw->flow);
    free(bw->dirty);
    free(bw->cr);
    free(bw->cf);
    free(bw->uf);
    free(bw->chg);
    free(bw->chg_rate);
    free(bw->undo);
    free(bw);
}

static bool res_ok(const hs_bw *bw, int r) { return r >= 0 && r < bw->nres; }

static bool flow_ok(const hs_bw *bw, int f)
{
    return f >= 0 && f < bw->flow_hw && bw->flow[f].alive;
}

/* Every change that is not local marks its resources here; one made after
 * a removal voids that removal's shortcut (bw->lone). */
static void mark_dirty(hs_bw *bw, int r)
{
    bw->lone = LONE_NONE;
    if (!bw->res[r].dirty) {
        bw->res[r].dirty = true;
        bw->dirty[bw->ndirty++] = r;
    }
}

/* Opens a new, empty changed list (a new generation: no flow is on it). */
static void chg_restart(hs_bw *bw)
{
    bw->chg_open = true;
    bw->nchg = 0;
    if (++bw->chg_gen == 0) {
        for (int g = 0; g < bw->flow_hw; g++)
            bw->flow[g].chg_gen = 0;
        bw->chg_gen = 1;
    }
}

/* Lists flow f as changed (once per list generation), with its new rate
 * fl->rate.  The first change after a solve opens a new list. */
static inline void list_changed(hs_bw *bw, bw_flow *fl, int f)
{
    if (!bw->chg_open)
        chg_restart(bw);
    if (fl->chg_gen != bw->chg_gen) {
        fl->chg_gen = bw->chg_gen;
        fl->cpos = bw->nchg++;
        bw->chg[fl->cpos] = f;
    }
    bw->chg_rate[fl->cpos] = fl->rate;
}

/* ---- Resources and their demand. ------------------------------------ */

int hs_bw_add_resource(hs_bw *bw, const char *name, double capacity)
{
    if (!(capacity >= 0))
        return -1;
    int cap = bw->res_cap;
    if (grow(&bw->res, &cap, bw->nres + 1, sizeof(bw_res)))
        return -1;
    int *d = realloc(bw->dirty, (size_t)cap * sizeof(int));
    if (d) bw->dirty = d;
    int *c = realloc(bw->cr, (size_t)cap * sizeof(int));
    if (c) bw->cr = c;
    if (!d || !c)
        return -1;
    bw->res_cap = cap;
    bw_res *r = &bw->res[bw->nres];
    memset(r, 0, sizeof(*r));
    r->cap = r->cap_eff = capacity;
    if (name && !(r->name = strdup(name)))
        return -1;
    return bw->nres++;
}

int hs_bw_set_capacity(hs_bw *bw, int res, double capacity)
{
    if (!res_ok(bw, res) || !(capacity >= 0))
        return -1;
    bw->res[res].cap = capacity;
    mark_dirty(bw, res);
    return 0;
}

int hs_bw_set_phi(hs_bw *bw, int res, const double *demand, const double *phi, size_t n)
{
    if (!res_ok(bw, res))
        return -1;
    bw_res *r = &bw->res[res];
    if (n == 0) {
        r->phi_n = 0;
        mark_dirty(bw, res);
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (!(phi[i] >= 1) || !isfinite(phi[i]) || !isfinite(demand[i]))
            return -1;
        if (i > 0 && !(demand[i] > demand[i - 1]))
            return -1;
    }
    double *x = malloc(n * sizeof(double)), *y = malloc(n * sizeof(double));
    if (!x || !y) {
        free(x);
        free(y);
        return -1;
    }
    memcpy(x, demand, n * sizeof(double));
    memcpy(y, phi, n * sizeof(double));
    free(r->phi_x);
    free(r->phi_y);
    r->phi_x = x;
    r->phi_y = y;
    r->phi_n = n;
    mark_dirty(bw, res);
    return 0;
}

/* phi(D): piecewise linear through the knots, constant beyond the ends. */
static double phi_eval(const bw_res *r, double D)
{
    const double *x = r->phi_x, *y = r->phi_y;
    size_t n = r->phi_n;
    if (n == 0)
        return 1.0;
    if (!(D > x[0]))
        return y[0];
    if (D >= x[n - 1])
        return y[n - 1];
    size_t lo = 0, hi = n - 1;  /* x[lo] < D < x[hi] */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (x[mid] <= D)
            lo = mid;
        else
            hi = mid;
    }
    return y[lo] + (y[hi] - y[lo]) * (D - x[lo]) / (x[hi] - x[lo]);
}

double hs_bw_phi(const hs_bw *bw, int res, double demand)
{
    return res_ok(bw, res) ? phi_eval(&bw->res[res], demand) : 1.0;
}

size_t hs_bw_resource_count(const hs_bw *bw) { return (size_t)bw->nres; }

const char *hs_bw_resource_name(const hs_bw *bw, int res)
{
    return res_ok(bw, res) ? bw->res[res].name : NULL;
}

/* D_r after adding sign * d to it (sign = +1 or -1); the current D_r with
 * d = 0. */
static inline double demand_with(const bw_res *r, double d, int sign)
{
    int ninf = r->ninf + (d < INFINITY ? 0 : sign);
    double dfin = r->dfin + (d < INFINITY ? sign * d : 0);
    return ninf > 0 ? INFINITY : dfin > 0 ? dfin : 0;
}

static inline void demand_add(bw_res *r, double d, int sign)
{
    if (d < INFINITY)
        r->dfin += sign * d;
    else
        r->ninf += sign;
    if (r->nfl == 0 && r->ninf == 0)  /* no drift left on an empty resource */
        r->dfin = 0;
}

double hs_bw_demand(const hs_bw *bw, int res)
{
    return res_ok(bw, res) ? demand_with(&bw->res[res], 0, 1) : 0.0;
}

/* True when changing D_r by sign * d keeps phi(D_r), hence C_r / phi. */
static inline bool phi_kept(const bw_res *r, double d, int sign)
{
    return r->phi_n == 0 ||
           phi_eval(r, demand_with(r, 0, 1)) == phi_eval(r, demand_with(r, d, sign));
}

static inline bool saturated(const bw_res *r)
{
    return !(r->used < r->cap_eff * (1 - SAT_TOL));
}

/* ---- Flows. -------------------------------------------------------- */

/* A free flow record (recycled, else new); -1 when out of memory. */
static int flow_take(hs_bw *bw)
{
    if (bw->free_head >= 0) {
        int f = bw->free_head;
        bw->free_head = bw->flow[f].next_free;
        return f;
    }
    if (grow_flows(bw, bw->flow_hw + 1))
        return -1;
    return bw->flow_hw++;
}

/* Checks a resource list: valid ids, no repeats, room in every flow list. */
static int check_res_list(hs_bw *bw, const int *res, int nres)
{
    if (nres < 1 || nres > HS_BW_MAX_RES_PER_FLOW || !res)
        return -1;
    for (int k = 0; k < nres; k++) {
        if (!res_ok(bw, res[k]))
            return -1;
        for (int j = 0; j < k; j++)
            if (res[j] == res[k])
                return -1;
        bw_res *r = &bw->res[res[k]];
        if (grow(&r->fl, &r->fl_cap, r->nfl + 1, sizeof(int)))
            return -1;
    }
    return 0;
}

/* Logs, during a trial, how to undo a change to flow f over res[0..n). */
static int log_undo(hs_bw *bw, int f, bool added, double old_bound, const int *res, int n)
{
    if (grow(&bw->undo, &bw->undo_cap, bw->nundo + 1, sizeof(bw_undo)))
        return -1;
    bw_undo *u = &bw->undo[bw->nundo++];
    *u = (bw_undo){ .flow = f, .added = added, .old_bound = old_bound };
    for (int k = 0; k < n; k++) {
        u->dfin[k] = bw->res[res[k]].dfin;
        u->ninf[k] = bw->res[res[k]].ninf;
    }
    return 0;
}

/* fmin(x, y) for numbers that are never NaN, as glibc computes it (minsd:
 * y when they compare equal), without the library call. */
static inline double min_of(double x, double y) { return x < y ? x : y; }

/* Local addition to a clean system.  On the resources the new flow has to
 * itself (no flow yet) it would be alone: x = min(d, C_r / phi_r(d)) over
 * them.  If every shared resource keeps its phi and has room for x
 * (used_r + x <= C_r / phi_r), the old allocation plus x is max-min: the
 * new flow is bottlenecked at its bound or alone on a saturated resource,
 * and it takes nothing a bottlenecked old flow needs (a resource with room
 * bottlenecks no one; on a saturated one it would get x = 0).  Returns x,
 * or -1 when a solve is needed. */
static double add_local_rate(const hs_bw *bw, const int *res, int nres, double d, double cap)
{
    if (bw->in_trial || bw->ndirty > 0)
        return -1;
    double x = d;
    for (int k = 0; k < nres; k++) {
        const bw_res *r = &bw->res[res[k]];
        if (r->nfl == 0)
            x = min_of(x, r->phi_n ? r->cap / phi_eval(r, d) : r->cap);
    }
    x = min_of(x, cap);     /* the private resource, always to itself */
    if (!(x < INFINITY))
        return -1;
    for (int k = 0; k < nres; k++) {
        const bw_res *r = &bw->res[res[k]];
        if (r->nfl > 0 && (!(r->used + x <= r->cap_eff) || !phi_kept(r, d, 1)))
            return -1;
    }
    return x;
}

/* A fresh record (field by field: a recycled one holds stale marks). */
static inline void flow_init(bw_flow *fl, double bound, double cap, int nres, double rate,
                             bool fresh)
{
    fl->bound = bound;
    fl->cap = cap;
    fl->rate = rate;
    fl->x = 0;
    fl->mark = 0;
    fl->chg_gen = 0;
    fl->cpos = 0;
    fl->upos = -1;
    fl->nres = nres;
    fl->next_free = -1;
    fl->alive = true;
    fl->fresh = fresh;
}

/* Adds a flow (contract in bandwidth.h): at once with its rate when the
 * change is local (add_local_rate), else marking its resources dirty. */
static int add_flow(hs_bw *bw, const int *res, int nres, double bound, double cap)
{
    if (!(bound >= 0) || !(cap > 0) || check_res_list(bw, res, nres))
        return -1;
    double x = add_local_rate(bw, res, nres, bound, cap);
    bool local = x >= 0;
    int f = flow_take(bw);
    if (f < 0)
        return -1;
    if (bw->in_trial && log_undo(bw, f, true, 0, res, nres)) {
        bw->flow[f].next_free = bw->free_head;
        bw->free_head = f;
        return -1;
    }
    bw_flow *fl = &bw->flow[f];
    flow_init(fl, bound, cap, nres, local ? x : 0, !local);
    for (int k = 0; k < nres; k++) {
        bw_res *r = &bw->res[res[k]];
        fl->res[k] = res[k];
        fl->pos[k] = r->nfl;
        if (local && r->nfl == 0) {      /* alone: its usable capacity now */
            r->cap_eff = r->phi_n ? r->cap / phi_eval(r, bound) : r->cap;
            r->used = 0;
        }
        r->fl[r->nfl++] = f;
        demand_add(r, bound, 1);
        if (local)
            r->used += x;
        else
            mark_dirty(bw, res[k]);
    }
    if (local) {
        list_changed(bw, fl, f);
        bw->stats.local++;
    }
    bw->nlive++;
    return f;
}

int hs_bw_add_flow(hs_bw *bw, const int *res, int nres, double bound)
{
    return add_flow(bw, res, nres, bound, INFINITY);
}

int hs_bw_add_flow_capped(hs_bw *bw, const int *res, int nres, double bound, double cap)
{
    return add_flow(bw, res, nres, bound, cap);
}

/* Unlinks flow f from its resources (swap with each list's last entry),
 * takes its bound off their demand and frees its record. */
static void flow_unlink(hs_bw *bw, int f)
{
    bw_flow *fl = &bw->flow[f];
    for (int k = 0; k < fl->nres; k++) {
        bw_res *r = &bw->res[fl->res[k]];
        int p = fl->pos[k];
        int last = r->fl[--r->nfl];
        if (last != f) {
            bw_flow *m = &bw->flow[last];
            r->fl[p] = last;
            for (int j = 0; j < m->nres; j++)
                if (m->res[j] == fl->res[k])
                    m->pos[j] = p;
        }
        demand_add(r, fl->bound, -1);
    }
    if (fl->chg_gen == bw->chg_gen) {  /* off the changed list */
        int last = bw->chg[--bw->nchg];
        bw->chg[fl->cpos] = last;
        bw->chg_rate[fl->cpos] = bw->chg_rate[bw->nchg];
        bw->flow[last].cpos = fl->cpos;
        fl->chg_gen = 0;
    }
    fl->alive = false;
    fl->next_free = bw->free_head;
    bw->free_head = f;
    bw->nlive--;
}

/* Local removal from a clean system: when each of the flow's resources is
 * either its alone, or unsaturated with its phi kept, no other flow is
 * bottlenecked where the flow frees capacity, so every other rate stays
 * max-min. */
static bool remove_is_local(const hs_bw *bw, const bw_flow *fl)
{
    if (bw->ndirty > 0 || !(fl->rate < INFINITY))
        return false;
    for (int k = 0; k < fl->nres; k++) {
        const bw_res *r = &bw->res[fl->res[k]];
        if (r->nfl > 1 && (saturated(r) || !phi_kept(r, fl->bound, -1)))
            return false;
    }
    return true;
}

/* After flow fl left a clean system: the one flow that is now the whole
 * component of fl's resources (on them, and alone on its others), or
 * LONE_EMPTY when none is left on them, else LONE_NONE. */
static int lone_component(const hs_bw *bw, const bw_flow *fl)
{
    int g = LONE_EMPTY;
    for (int k = 0; k < fl->nres; k++) {
        const bw_res *r = &bw->res[fl->res[k]];
        if (r->nfl > 1 || (r->nfl == 1 && g >= 0 && r->fl[0] != g))
            return LONE_NONE;
        if (r->nfl == 1)
            g = r->fl[0];
    }
    if (g >= 0)
        for (int k = 0; k < bw->flow[g].nres; k++)
            if (bw->res[bw->flow[g].res[k]].nfl != 1)
                return LONE_NONE;
    return g;
}

void hs_bw_remove_flow(hs_bw *bw, int flow)
{
    if (bw->in_trial || !flow_ok(bw, flow))
        return;
    bw_flow *fl = &bw->flow[flow];
    bool local = remove_is_local(bw, fl);
    bool clean = bw->ndirty == 0;
    double x = fl->rate;
    for (int k = 0; k < fl->nres; k++) {
        bw_res *r = &bw->res[fl->res[k]];
        if (!local) {
            mark_dirty(bw, fl->res[k]);
        } else if (r->nfl == 1) {      /* left empty */
            r->used = 0;
            r->cap_eff = r->phi_n ? r->cap / phi_eval(r, 0) : r->cap;
        } else {
            r->used -= x;
            if (r->used < 0)
                r->used = 0;
        }
    }
    bw->stats.local += local;
    flow_unlink(bw, flow);   /* fl's resource list stays readable */
    if (!local && clean)
        bw->lone = lone_component(bw, fl);
}

/* Fast paths of a bound change d0 -> d on a clean system whose resources
 * keep their phi.  A flow held below its old bound by a saturated resource
 * (x < d0) keeps its rate while x <= d.  A flow at its bound (x = d0) moves
 * to x = d when it rises and every resource has room for d - d0, or when
 * it falls and none of its resources is saturated.  Returns the new rate,
 * or -1 when a solve is needed. */
static double bound_move_local(const hs_bw *bw, const bw_flow *fl, double d)
{
    double x = fl->rate, d0 = fl->bound;
    if (bw->in_trial || bw->ndirty > 0 || !(d < INFINITY) || (!(d0 < INFINITY) && x == d0))
        return -1;
    for (int k = 0; k < fl->nres; k++) {
        const bw_res *r = &bw->res[fl->res[k]];
        if (r->phi_n && phi_eval(r, demand_with(r, 0, 1)) !=
                            phi_eval(r, demand_with(r, d0, -1) + d))
            return -1;
    }
    if (x < d0)
        return x <= d ? x : -1;
    for (int k = 0; k < fl->nres; k++) {
        const bw_res *r = &bw->res[fl->res[k]];
        if (d > d0 ? !(r->used + (d - d0) <= r->cap_eff) : saturated(r))
            return -1;
    }
    /* The private resource: its use is x, its capacity cap. */
    if (d > d0 ? !(x + (d - d0) <= fl->cap) : !(x < fl->cap * (1 - SAT_TOL)))
        return -1;
    return d;
}

int hs_bw_set_bound(hs_bw *bw, int flow, double bound)
{
    if (!flow_ok(bw, flow) || !(bound >= 0))
        return -1;
    bw_flow *fl = &bw->flow[flow];
    if (fl->bound == bound)
        return 0;
    if (bw->in_trial && log_undo(bw, flow, false, fl->bound, fl->res, fl->nres))
        return -1;
    double x = bound_move_local(bw, fl, bound);
    for (int k = 0; k < fl->nres; k++) {
        bw_res *r = &bw->res[fl->res[k]];
        demand_add(r, fl->bound, -1);
        demand_add(r, bound, 1);
        if (x < 0)
            mark_dirty(bw, fl->res[k]);
        else
            r->used += x - fl->rate;
    }
    fl->bound = bound;
    if (x >= 0) {
        bw->stats.local++;
        if (x != fl->rate) {
            fl->rate = x;
            list_changed(bw, fl, flow);
        }
    }
    return 0;
}

double hs_bw_bound(const hs_bw *bw, int flow)
{
    return flow_ok(bw, flow) ? bw->flow[flow].bound : 0.0;
}

bool hs_bw_flow_live(const hs_bw *bw, int flow) { return flow_ok(bw, flow); }

size_t hs_bw_flow_count(const hs_bw *bw) { return (size_t)bw->nlive; }

/* ---- Solving. ------------------------------------------------------ */

/* Next solve stamp; on wrap-around all marks are cleared first. */
static void next_stamp(hs_bw *bw)
{
    if (++bw->stamp == 0) {
        for (int r = 0; r < bw->nres; r++)
            bw->res[r].mark = 0;
        for (int f = 0; f < bw->flow_hw; f++)
            bw->flow[f].mark = 0;
        bw->stamp = 1;
    }
}

/* The state of one solve, held in locals so the compiler keeps the bases
 * and counters in registers (stores through flow and resource records
 * cannot alias them). */
typedef struct solve_ctx {
    hs_bw *bw;
    bw_flow *F;
    bw_res *R;
    int *cr, *cf, *uf;
    int ncr, ncf, nu;
    uint32_t stamp;
    bool commit;         /* publish rates and list the changed flows */
} solve_ctx;

/* C_r / phi(D_r) at the current demand. */
static inline double usable_cap(const bw_res *r)
{
    return r->phi_n ? r->cap / phi_eval(r, demand_with(r, 0, 1)) : r->cap;
}

/* Puts resource r in the solve (appends it to cr) with fresh scratch. */
static inline void res_enter(solve_ctx *c, int r)
{
    bw_res *q = &c->R[r];
    q->mark = c->stamp;
    q->nfree = 0;
    q->sused = 0;
    c->cr[c->ncr++] = r;
}

/* The usable capacities F_r = C_r / phi(D_r) of the collected resources
 * (kept out of res_enter, whose inlined copies stay small). */
static void set_capacities(solve_ctx *c)
{
    for (int i = 0; i < c->ncr; i++) {
        bw_res *r = &c->R[c->cr[i]];
        r->ceff = r->rem = usable_cap(r);
    }
}

/* Records flow f's final x of this solve: when committing, publishes it
 * and lists f if it changed. */
static inline void settle(solve_ctx *c, bw_flow *fl, int f, double x)
{
    fl->x = x;
    if (c->commit && (fl->fresh || x != fl->rate)) {
        fl->rate = x;
        fl->fresh = false;
        list_changed(c->bw, fl, f);
    }
}

/* Puts flow f in the solve: unfrozen if its bound is > 0 (appended to uf),
 * else settled at 0; counts it on its resources, pulling them in. */
static inline void flow_enter(solve_ctx *c, int f)
{
    bw_flow *fl = &c->F[f];
    int on = fl->bound > 0, n = fl->nres;
    fl->mark = c->stamp;
    c->cf[c->ncf++] = f;
    for (int k = 0; k < n; k++) {
        int r = fl->res[k];
        if (c->R[r].mark != c->stamp)
            res_enter(c, r);
        c->R[r].nfree += on;
    }
    if (on) {
        fl->upos = c->nu;
        c->uf[c->nu++] = f;
    } else {
        fl->upos = -1;
        settle(c, fl, f, 0);
    }
}

/* Collects into cr/cf the components reachable from the dirty resources
 * (breadth-first over the flow lists), resetting their scratch on the way.
 * Leaves the flows with a bound > 0 unfrozen in uf. */
static void collect(hs_bw *bw, solve_ctx *c)
{
    for (int i = 0; i < bw->ndirty; i++)   /* distinct, and unmarked: a new stamp */
        res_enter(c, bw->dirty[i]);
    for (int i = 0; i < c->ncr && c->ncf < bw->nlive; i++) {  /* stop once all are in */
        const bw_res *r = &c->R[c->cr[i]];
        const int *fl = r->fl;
        for (int j = 0, n = r->nfl; j < n; j++)
            if (c->F[fl[j]].mark != c->stamp)
                flow_enter(c, fl[j]);
    }
}

/* Freezes unfrozen flow f at x: charges its resources, drops it from the
 * unfrozen list (swapping the last one in). */
static inline void freeze(solve_ctx *c, int f, double x)
{
    bw_flow *fl = &c->F[f];
    double charge = x < INFINITY ? x : 0;   /* INFINITY - INFINITY is NaN */
    for (int k = 0, n = fl->nres; k < n; k++) {
        bw_res *r = &c->R[fl->res[k]];
        r->rem -= charge;
        r->nfree--;
        r->sused += x;
    }
    int last = c->uf[--c->nu], p = fl->upos;
    c->uf[p] = last;
    c->F[last].upos = p;
    fl->upos = -1;
    settle(c, fl, f, x);
}

/* F / n without a division where it is exact another way: dividing by 1
 * or 2 gives the same double as returning F or multiplying by 0.5 (the
 * quotient is F scaled by a power of two), and a resource shared by one or
 * two unfrozen flows is the common case. */
static inline double level(double F, int n)
{
    return n == 1 ? F : n == 2 ? F * 0.5 : F / n;
}

/* The smallest fair level s = min_r F_r / n_r over resources with
 * unfrozen flows, then over the private capacities of the unfrozen flows
 * (a resource of one unfrozen flow, nothing charged yet: its level is its
 * capacity), the first minimum winning (INFINITY if none).  *arg receives
 * the resource attaining it and *capped the flow whose cap does (-1 for
 * the other, or both if none). */
static inline double min_level(const solve_ctx *c, int *arg, int *capped)
{
    double s = INFINITY;
    *arg = *capped = -1;
    for (int i = 0; i < c->ncr; i++) {
        const bw_res *r = &c->R[c->cr[i]];
        if (r->nfree == 0)
            continue;
        double l = level(r->rem > 0 ? r->rem : 0, r->nfree);
        if (l < s) {       /* all levels infinite: (a) freezes every flow */
            s = l;
            *arg = c->cr[i];
        }
    }
    for (int j = 0; j < c->nu; j++) {
        int f = c->uf[j];
        if (c->F[f].cap < s) {
            s = c->F[f].cap;
            *arg = -1;
            *capped = f;
        }
    }
    return s;
}

/* Progressive filling of the collected components into the scratch
 * fields x, ceff, sused; settles every flow.  Returns the rounds. */
static uint64_t fill(solve_ctx *c)
{
    uint64_t rounds = 0;
    while (c->nu > 0) {
        rounds++;
        int rmin, fmin;
        double s = min_level(c, &rmin, &fmin);
        int before = c->nu;
        for (int j = 0; j < c->nu;) {           /* (a) bounded flows */
            int f = c->uf[j];
            if (c->F[f].bound <= s)
                freeze(c, f, c->F[f].bound);    /* uf[j] is another now */
            else
                j++;
        }
        if (c->nu < before)
            continue;
        if (fmin >= 0) {                        /* (b) fmin's own cap saturates */
            freeze(c, fmin, s);
            continue;
        }
        if (rmin < 0)
            continue;
        const bw_res *r = &c->R[rmin];          /* (b) r saturates at s */
        for (int j = 0, n = r->nfl; j < n; j++)
            if (c->F[r->fl[j]].upos >= 0)
                freeze(c, r->fl[j], s);
    }
    return rounds;
}

/* fill() for a single unfrozen flow (the others frozen at a zero bound):
 * the resources with unfrozen flows are its own, each at level F_r / 1,
 * and so is its private cap, so one round freezes it at its bound if that
 * is at most the smallest of these, else at that -- fill()'s arithmetic
 * without its loops. */
static uint64_t fill_one(solve_ctx *c)
{
    int f = c->uf[0];
    const bw_flow *fl = &c->F[f];
    double s = INFINITY;
    for (int k = 0, n = fl->nres; k < n; k++) {
        double l = c->R[fl->res[k]].rem;
        l = l > 0 ? l : 0;
        if (l < s)
            s = l;
    }
    if (fl->cap < s)
        s = fl->cap;
    freeze(c, f, fl->bound <= s ? fl->bound : s);
    return 1;
}

/* One solve of the dirty components; commit: publish (else a trial). */
static void solve(hs_bw *bw, bool commit)
{
    next_stamp(bw);
    solve_ctx c = { .bw = bw, .F = bw->flow, .R = bw->res, .cr = bw->cr, .cf = bw->cf,
                    .uf = bw->uf, .stamp = bw->stamp, .commit = commit };
    collect(bw, &c);
    set_capacities(&c);
    bw->stats.rounds += c.nu == 1 ? fill_one(&c) : fill(&c);
    bw->ncr = c.ncr;
    bw->ncf = c.ncf;
}

/* The committed solve when a removal left one flow g (bw->lone) as the
 * component of the dirty resources: the removed flow's resources, each
 * now holding g or nothing, and g's others, holding only g.  Progressive
 * filling of that component is fill_one's single round (or none: no flow,
 * or g settled at a zero bound), so this computes the same numbers as
 * solve() without the walk: each resource's usable capacity, g's rate x,
 * a use of x on g's resources (0 + x, as filling sums) and 0 on the
 * others.  Returns the flows solved. */
static int solve_lone(hs_bw *bw)
{
    for (int i = 0; i < bw->ndirty; i++) {
        bw_res *r = &bw->res[bw->dirty[i]];
        r->cap_eff = usable_cap(r);
        r->used = 0;
        r->dirty = false;
    }
    if (bw->lone < 0)
        return 0;
    bw_flow *fl = &bw->flow[bw->lone];
    double x = 0;
    if (fl->bound > 0) {
        double s = INFINITY;
        for (int k = 0; k < fl->nres; k++) {
            double l = usable_cap(&bw->res[fl->res[k]]);
            l = l > 0 ? l : 0;
            if (l < s)
                s = l;
        }
        if (fl->cap < s)
            s = fl->cap;
        x = fl->bound <= s ? fl->bound : s;
        bw->stats.rounds++;
    }
    for (int k = 0; k < fl->nres; k++) {
        bw_res *r = &bw->res[fl->res[k]];
        r->cap_eff = usable_cap(r);
        r->used = 0.0 + x;
    }
    fl->x = x;
    if (fl->fresh || x != fl->rate) {
        fl->rate = x;
        fl->fresh = false;
        list_changed(bw, fl, bw->lone);
    }
    return 1;
}

/* The state of solve_single: one resource's filling scratch, in locals. */
typedef struct single_ctx {
    hs_bw *bw;
    bw_flow *F;
    int *uf;
    int nu, nfree;
    double rem, used;
} single_ctx;

/* freeze() on a component of one resource: the same arithmetic. */
static inline void single_freeze(single_ctx *c, int f, double x)
{
    bw_flow *fl = &c->F[f];
    c->rem -= x < INFINITY ? x : 0;
    c->nfree--;
    c->used += x;
    int last = c->uf[--c->nu], p = fl->upos;
    c->uf[p] = last;
    c->F[last].upos = p;
    fl->upos = -1;
    if (fl->fresh || x != fl->rate) {
        fl->rate = x;
        fl->fresh = false;
        list_changed(c->bw, fl, f);
    }
}

/* collect() for solve_single: r's flows with a bound > 0 go unfrozen into
 * uf in r's list order, the others settle at 0.  False (nothing done) when
 * a flow of r uses another resource. */
static bool single_collect(single_ctx *c, const bw_res *r)
{
    const int *fl = r->fl;
    for (int j = 0; j < r->nfl; j++)
        if (c->F[fl[j]].nres != 1)
            return false;
    for (int j = 0; j < r->nfl; j++) {
        bw_flow *g = &c->F[fl[j]];
        if (g->bound > 0) {
            g->upos = c->nu;
            c->uf[c->nu++] = fl[j];
            continue;
        }
        g->upos = -1;
        if (g->fresh || g->rate != 0) {
            g->rate = 0;
            g->fresh = false;
            list_changed(c->bw, g, fl[j]);
        }
    }
    c->nfree = c->nu;
    return true;
}

/* fill() (and fill_one(), whose single round it equals) on one resource r:
 * min_level() over r then the private caps, (a) the bounded flows in uf
 * order, else (b) the cap attaining s or r, whose flows freeze in its list
 * order.  Returns the rounds. */
static uint64_t single_fill(single_ctx *c, const bw_res *r)
{
    uint64_t rounds = 0;
    while (c->nu > 0) {
        rounds++;
        double s = INFINITY;
        int fmin = -1;
        bool rsat = false;
        if (c->nfree > 0) {
            double l = level(c->rem > 0 ? c->rem : 0, c->nfree);
            if (l < s) {
                s = l;
                rsat = true;
            }
        }
        for (int j = 0; j < c->nu; j++) {
            int f = c->uf[j];
            if (c->F[f].cap < s) {
                s = c->F[f].cap;
                rsat = false;
                fmin = f;
            }
        }
        int before = c->nu;
        for (int j = 0; j < c->nu;) {
            int f = c->uf[j];
            if (c->F[f].bound <= s)
                single_freeze(c, f, c->F[f].bound);
            else
                j++;
        }
        if (c->nu < before)
            continue;
        if (fmin >= 0)
            single_freeze(c, fmin, s);
        else if (rsat)
            for (int j = 0; j < r->nfl; j++)
                if (c->F[r->fl[j]].upos >= 0)
                    single_freeze(c, r->fl[j], s);
    }
    return rounds;
}

/* The committed solve when the dirty set is one resource r whose flows use
 * no other (the machine's common case: kernels on one DRAM, their PU caps
 * private): the component is r and its flows, so there is nothing to walk.
 * It runs collect() and fill() step for step -- the same unfrozen list in
 * the same order, the same rounds, the same sums -- on locals, so the
 * numbers are those of solve().  Returns the flows solved, or -1 (nothing
 * done) when a flow of r uses another resource. */
static int solve_single(hs_bw *bw, bw_res *r)
{
    single_ctx c = { .bw = bw, .F = bw->flow, .uf = bw->uf };
    if (!single_collect(&c, r))
        return -1;
    double ceff = c.rem = usable_cap(r);
    bw->stats.rounds += single_fill(&c, r);
    r->cap_eff = ceff;
    r->used = c.used;
    r->dirty = false;
    return r->nfl;
}

/* The committed solve of the dirty components, by the cheapest path that
 * applies (kept out of hs_bw_solve, which a local change calls with
 * nothing dirty). */
static __attribute__((noinline)) void solve_dirty(hs_bw *bw)
{
    int nf;
    if (bw->lone != LONE_NONE) {
        nf = solve_lone(bw);
    } else if (bw->ndirty == 1 && (nf = solve_single(bw, &bw->res[bw->dirty[0]])) >= 0) {
        /* solved */
    } else {
        solve(bw, true);
        for (int i = 0; i < bw->ncr; i++) {   /* the dirty ones are among them */
            bw_res *r = &bw->res[bw->cr[i]];
            r->cap_eff = r->ceff;
            r->used = r->sused;
            r->dirty = false;
        }
        nf = bw->ncf;
    }
    bw->ndirty = 0;
    bw->lone = LONE_NONE;
    bw->stats.solves++;
    bw->stats.flows_solved += (uint64_t)nf;
}

void hs_bw_solve(hs_bw *bw)
{
    if (bw->in_trial)
        return;
    if (!bw->chg_open)
        chg_restart(bw);
    bw->trial_solved = false;
    if (bw->ndirty > 0)
        solve_dirty(bw);
    bw->chg_open = false;
}

bool hs_bw_dirty(const hs_bw *bw) { return bw->ndirty > 0; }

const int *hs_bw_changed(const hs_bw *bw, size_t *n)
{
    *n = (size_t)bw->nchg;
    return bw->chg;
}

const double *hs_bw_changed_rates(const hs_bw *bw)
{
    return bw->chg_rate;
}

double hs_bw_rate(const hs_bw *bw, int flow)
{
    return flow_ok(bw, flow) ? bw->flow[flow].rate : 0.0;
}

double hs_bw_used(const hs_bw *bw, int res)
{
    return res_ok(bw, res) ? bw->res[res].used : 0.0;
}

const double *hs_bw_used_at(const hs_bw *bw, int res)
{
    return res_ok(bw, res) ? &bw->res[res].used : NULL;
}

double hs_bw_capacity(const hs_bw *bw, int res)
{
    return res_ok(bw, res) ? bw->res[res].cap_eff : 0.0;
}

/* ---- Trials. ------------------------------------------------------- */

void hs_bw_trial_begin(hs_bw *bw)
{
    bw->in_trial = true;
    bw->trial_solved = false;
    bw->trial_ndirty = bw->ndirty;
    bw->nundo = 0;
}

void hs_bw_trial_solve(hs_bw *bw)
{
    if (!bw->in_trial)
        return;
    solve(bw, false);
    bw->trial_solved = true;
}

double hs_bw_trial_rate(const hs_bw *bw, int flow)
{
    if (!flow_ok(bw, flow))
        return 0.0;
    const bw_flow *fl = &bw->flow[flow];
    return bw->trial_solved && fl->mark == bw->stamp ? fl->x : fl->rate;
}

double hs_bw_trial_used(const hs_bw *bw, int res)
{
    if (!res_ok(bw, res))
        return 0.0;
    const bw_res *r = &bw->res[res];
    return bw->trial_solved && r->mark == bw->stamp ? r->sused : r->used;
}

const int *hs_bw_trial_flows(const hs_bw *bw, size_t *n)
{
    *n = bw->trial_solved ? (size_t)bw->ncf : 0;
    return bw->cf;
}

void hs_bw_trial_end(hs_bw *bw)
{
    if (!bw->in_trial)
        return;
    for (int i = bw->nundo - 1; i >= 0; i--) {
        const bw_undo *u = &bw->undo[i];
        bw_flow *fl = &bw->flow[u->flow];
        if (u->added)
            flow_unlink(bw, u->flow);
        else
            fl->bound = u->old_bound;
        for (int k = 0; k < fl->nres; k++) {
            bw->res[fl->res[k]].dfin = u->dfin[k];
            bw->res[fl->res[k]].ninf = u->ninf[k];
        }
    }
    for (int i = bw->trial_ndirty; i < bw->ndirty; i++)
        bw->res[bw->dirty[i]].dirty = false;
    bw->ndirty = bw->trial_ndirty;
    bw->nundo = 0;
    bw->in_trial = false;
    bw->trial_solved = false;
}

hs_bw_stats hs_bw_get_stats(const hs_bw *bw) { return bw->stats; }
