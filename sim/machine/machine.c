/* hetsoc: the fluid simulated machine (model and contracts in machine.h).
 *
 * Invariants between calls (now = the simulator's clock):
 *  - Every live kernel k is in the heap at position k.hpos, ordered by
 *    (t_fin, seq).  While k launches, t_fin is its activation time; it
 *    holds a slot (counted in its PU's nlaunch) and nothing else.  Once
 *    running, t_fin = t_last + rem / rate (INFINITY when rate = 0); rate is
 *    the committed solver rate of its flow over its bytes, or its compute
 *    share when it moves no bytes.
 *  - A PU's run list holds its running kernels; k.ppos is k's index there.
 *  - fk[f] is the kernel of live flow f (-1 otherwise).
 *  - armed is the one queued machine event, at armed_t = the heap top's
 *    t_fin (none when the heap is empty or the top is stalled).  While an
 *    event is handled (in_fire) an event due after now is only reserved,
 *    and scheduled when the handler ends (see rearm).
 *  - Each domain's traffic is bytes_acc + used * (t - t_mark) for
 *    t >= t_mark, used being the solver's current use of the domain.
 */
#include "sim/machine/machine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct mkern {
    double rem;          /* fraction of the work left at t_last */
    double rate;         /* fraction per second since t_last, NAN: untimed */
    double t_last;
    double t_fin;        /* completion time at the current rate (the heap
                          * key; the activation time while launching) */
    double compute_s;    /* T (kernels) */
    double bytes;        /* Q */
    double max_rate;     /* transfers: engine rate bound, INFINITY if none */
    void *user;
    uint64_t seq;        /* start order, breaks ties in t_fin */
    int pu;              /* -1: a transfer */
    int flow;            /* solver flow, -1 when it moves no bytes */
    int hpos, ppos;
    int next_free;
    bool alive;
    bool launching;      /* in its launch delay: t_fin is its activation */
} mkern;

typedef struct mpu {
    char *name;
    int domain;
    int cap_res;         /* solver resource of the cap, -1: none or private */
    double cap;          /* B_p, INFINITY: none */
    double flow_cap;     /* B_p as its kernel's private cap (cap_private),
                          * else INFINITY */
    int slots;           /* HS_MACHINE_SLOTS_UNLIMITED or >= 1 */
    double p_active, p_idle;
    int *run;            /* running kernel ids */
    int nrun, run_cap;
    int nlaunch;         /* kernels holding a slot in their launch delay */
    double busy_acc;     /* busy seconds before busy_since */
    double busy_since;   /* valid while nrun > 0 */
} mpu;

typedef struct mdom {
    char *name;
    int res;
    const double *used_at;   /* the solver's use of res (hs_bw_used_at) */
    double cap;          /* nominal C_d */
    double epb;          /* J/B */
    double used;         /* bytes/s since t_mark */
    double bytes_acc;    /* bytes moved before t_mark */
    double t_mark;
    double peak;         /* the highest `used` so far */
} mdom;

typedef struct mlink {
    char *name;
    int res;
} mlink;

struct hs_machine {
    hs_sim *sim;
    const double *clock;     /* hs_sim_clock(sim) */
    hs_bw *bw;
    uint16_t ev_type;
    mpu *pu;
    int npu;
    mdom *dom;
    int ndom;
    mlink *link;
    int nlink;
    double *dom_used;    /* observer's buffer */
    mkern *k;
    int k_hw, k_cap, k_free, nrunning;
    int *heap;           /* capacity k_cap */
    int nheap;
    int *fk;
    int fk_cap;
    hs_event *armed, *firing;
    double armed_t;      /* time of the armed or reserved event */
    uint64_t armed_seq;  /* its place, when reserved */
    bool reserved;       /* the event is reserved, not yet scheduled */
    bool in_fire;        /* machine_fire is running: see rearm */
    double t0;
    uint64_t seq;
    hs_machine_done_fn on_done;
    void *ctx;
    hs_machine_bw_fn on_bw;
    void *bw_ctx;
    hs_machine_stats stats;
};

static void machine_fire(hs_sim *sim, hs_event *ev, void *ctx);

/* ---- Helpers. ------------------------------------------------------ */

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

static bool pu_ok(const hs_machine *m, int p) { return p >= 0 && p < m->npu; }
static bool dom_ok(const hs_machine *m, int d) { return d >= 0 && d < m->ndom; }
static bool link_ok(const hs_machine *m, int l) { return l >= 0 && l < m->nlink; }

static bool id_ok(const hs_machine *m, int id)
{
    return id >= 0 && id < m->k_hw && m->k[id].alive;
}

static bool finite_nonneg(double x) { return x >= 0 && x < INFINITY; }

/* A kernel's flow bound d = Q / (n T) with n sharing its PU. */
static double kern_bound(const mkern *k, int n)
{
    if (k->pu < 0)
        return k->max_rate;
    return k->compute_s > 0 ? k->bytes / (k->compute_s * n) : INFINITY;
}

/* The progress rate of a kernel with no flow: its compute share. */
static double compute_rate(const mkern *k, int n)
{
    return k->compute_s > 0 ? 1.0 / (k->compute_s * n) : INFINITY;
}

/* ---- Completion heap (binary, by (t_fin, seq)). ---------------------- */

static inline bool kbefore(const mkern *a, const mkern *b)
{
    return a->t_fin < b->t_fin || (a->t_fin == b->t_fin && a->seq < b->seq);
}

static inline void heap_set(hs_machine *m, int i, int id)
{
    m->heap[i] = id;
    m->k[id].hpos = i;
}

static void sift_up(hs_machine *m, int i)
{
    int id = m->heap[i];
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!kbefore(&m->k[id], &m->k[m->heap[p]]))
            break;
        heap_set(m, i, m->heap[p]);
        i = p;
    }
    heap_set(m, i, id);
}

static void sift_down(hs_machine *m, int i)
{
    int id = m->heap[i], n = m->nheap;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && kbefore(&m->k[m->heap[c + 1]], &m->k[m->heap[c]]))
            c++;
        if (!kbefore(&m->k[m->heap[c]], &m->k[id]))
            break;
        heap_set(m, i, m->heap[c]);
        i = c;
    }
    heap_set(m, i, id);
}

static void heap_push(hs_machine *m, int id)
{
    heap_set(m, m->nheap++, id);
    sift_up(m, m->nheap - 1);
}

/* Takes id out: the last entry fills its place and moves up or down. */
static void heap_remove(hs_machine *m, int id)
{
    int i = m->k[id].hpos, last = m->heap[--m->nheap];
    if (last != id) {
        heap_set(m, i, last);
        if (i > 0 && kbefore(&m->k[last], &m->k[m->heap[(i - 1) / 2]]))
            sift_up(m, i);
        else
            sift_down(m, i);
    }
    m->k[id].hpos = -1;
}

/* Kernel id's key becomes t. */
static void heap_rekey(hs_machine *m, int id, double t)
{
    mkern *k = &m->k[id];
    double old = k->t_fin;
    k->t_fin = t;
    if (t < old)
        sift_up(m, k->hpos);
    else
        sift_down(m, k->hpos);
}

/* ---- Progress and re-timing. ---------------------------------------- */

/* Brings k's remaining work to now at its current rate. */
static void advance(mkern *k, double now)
{
    if (now > k->t_last) {
        k->rem -= k->rate * (now - k->t_last);
        if (!(k->rem > 0))
            k->rem = 0;
        k->t_last = now;
    }
}

/* Gives k the rate r from now on and re-keys its completion.  A kernel
 * not yet timed has rate NAN, which no r equals. */
static void set_rate(hs_machine *m, int id, double now, double r)
{
    mkern *k = &m->k[id];
    if (r == k->rate)
        return;
    advance(k, now);
    k->rate = r;
    heap_rekey(m, id, k->rem <= 0 ? now : r > 0 ? now + k->rem / r : INFINITY);
    m->stats.retimes++;
}

/* Schedules the machine's event at t (with the reserved number seq when
 * reserved): the record being handled if any (machine_fire), else a
 * fresh one. */
static void arm(hs_machine *m, double t, bool reserved, uint64_t seq)
{
    bool reused = m->firing != NULL;
    hs_event *ev = reused ? m->firing : hs_sim_event(m->sim, m->ev_type);
    m->firing = NULL;
    if (!ev)
        return;
    ev->type = m->ev_type;
    ev->data.ptr.p = m;
    int rc = reserved ? hs_sim_schedule_as(m->sim, ev, t, seq) : hs_sim_schedule(m->sim, ev, t);
    if (rc != 0) {              /* out of memory only */
        if (!reused)            /* else the loop frees it */
            hs_sim_event_free(m->sim, ev);
        return;
    }
    m->armed = ev;
    m->armed_t = t;
}

/* Keeps the machine's one event at the heap top's time.  While an event
 * is handled, a time after now is not scheduled but only given its place
 * among simultaneous events (hs_sim_reserve_seq), and machine_fire
 * schedules it there when the handling ends: a completion's callback
 * often moves it again (a kernel launched there activates before the next
 * completion), and a queued record would have to be cancelled and a new
 * one pushed.  The order of events is the same as if each move had been
 * scheduled at once. */
static void rearm(hs_machine *m, double now)
{
    double t = m->nheap ? m->k[m->heap[0]].t_fin : INFINITY;
    if (m->armed || m->reserved) {
        if (m->armed_t == t)
            return;
        if (m->armed)
            hs_sim_cancel(m->sim, m->armed);
        m->armed = NULL;
        m->reserved = false;
    }
    if (!(t < INFINITY))
        return;
    if (t < now)
        t = now;
    m->stats.arms++;
    if (m->in_fire && t > now) {
        m->reserved = true;
        m->armed_t = t;
        m->armed_seq = hs_sim_reserve_seq(m->sim);
        return;
    }
    arm(m, t, false, 0);
}

/* Integrates each domain's traffic up to now and tells the observer when
 * a domain's use changed, or when flows' rates did (rates_moved: a domain's
 * total may stay while the PUs' shares of it move). */
static void account(hs_machine *m, double now, bool rates_moved)
{
    bool changed = rates_moved;
    for (int d = 0; d < m->ndom; d++) {
        mdom *dm = &m->dom[d];
        double u = *dm->used_at;
        if (u != dm->used) {
            dm->bytes_acc += dm->used * (now - dm->t_mark);
            dm->t_mark = now;
            dm->used = u;
            if (u > dm->peak)
                dm->peak = u;
            changed = true;
        }
        m->dom_used[d] = u;
    }
    if (changed && m->on_bw)
        m->on_bw(m, now, m->dom_used, (size_t)m->ndom, m->bw_ctx);
}

/* After changes to the solver: solve, re-time the kernels whose rate
 * changed, account traffic, move the completion event if needed. */
static void resolve(hs_machine *m, double now)
{
    hs_bw_solve(m->bw);
    size_t n;
    const int *chg = hs_bw_changed(m->bw, &n);
    const double *x = hs_bw_changed_rates(m->bw);
    for (size_t i = 0; i < n; i++) {
        int id = m->fk[chg[i]];
        if (id >= 0)
            set_rate(m, id, now, x[i] / m->k[id].bytes);
    }
    account(m, now, n > 0);
    rearm(m, now);
}

/* ---- PU occupancy. -------------------------------------------------- */

/* Re-shares p's compute among its n running kernels (all but `skip`):
 * new bounds for those with flows, new rates for the others. */
static void pu_reshare(hs_machine *m, mpu *p, int skip, double now)
{
    if (p->slots == 1)
        return;
    for (int i = 0; i < p->nrun; i++) {
        int id = p->run[i];
        mkern *k = &m->k[id];
        if (id == skip)
            continue;
        if (k->flow >= 0)
            hs_bw_set_bound(m->bw, k->flow, kern_bound(k, p->nrun));
        else
            set_rate(m, id, now, compute_rate(k, p->nrun));
    }
}

static int pu_enter(hs_machine *m, mpu *p, int id, double now)
{
    if (grow(&p->run, &p->run_cap, p->nrun + 1, sizeof(int)))
        return -1;
    if (p->nrun == 0)
        p->busy_since = now;
    m->k[id].ppos = p->nrun;
    p->run[p->nrun++] = id;
    return 0;
}

static void pu_leave(hs_machine *m, mpu *p, int id, double now)
{
    int i = m->k[id].ppos, last = p->run[--p->nrun];
    p->run[i] = last;
    m->k[last].ppos = i;
    if (p->nrun == 0)
        p->busy_acc += now - p->busy_since;
}

/* ---- Kernel records. ------------------------------------------------- */

static int kern_take(hs_machine *m)
{
    if (m->k_free >= 0) {
        int id = m->k_free;
        m->k_free = m->k[id].next_free;
        return id;
    }
    int cap = m->k_cap;
    if (grow(&m->k, &cap, m->k_hw + 1, sizeof(mkern)))
        return -1;
    int *h = realloc(m->heap, (size_t)cap * sizeof(int));
    if (!h)
        return -1;
    m->heap = h;
    m->k_cap = cap;
    return m->k_hw++;
}

static void kern_free(hs_machine *m, int id)
{
    m->k[id].alive = false;
    m->k[id].next_free = m->k_free;
    m->k_free = id;
}

/* Adds k's flow over res[0..nres) with bound d and private cap pcap;
 * records it in fk. */
static int kern_add_flow(hs_machine *m, int id, const int *res, int nres, double d, double pcap)
{
    int f = hs_bw_add_flow_capped(m->bw, res, nres, d, pcap);
    if (f < 0)
        return -1;
    int cap = m->fk_cap;
    if (grow(&m->fk, &cap, f + 1, sizeof(int))) {
        hs_bw_remove_flow(m->bw, f);
        return -1;
    }
    for (int i = m->fk_cap; i < cap; i++)
        m->fk[i] = -1;
    m->fk_cap = cap;
    m->fk[f] = id;
    m->k[id].flow = f;
    return 0;
}

/* A fresh record for work starting now (not yet in the heap). */
static int kern_new(hs_machine *m, int pu, double T, double Q, void *user, double now)
{
    int id = kern_take(m);
    if (id < 0)
        return -1;
    m->k[id] = (mkern){ .rem = 1, .rate = NAN, .t_last = now, .t_fin = INFINITY,
                        .compute_s = T, .bytes = Q, .max_rate = INFINITY, .user = user,
                        .seq = m->seq++, .pu = pu, .flow = -1, .hpos = -1, .ppos = -1,
                        .next_free = -1, .alive = true };
    return id;
}

/* The resources of a kernel on PU p: its domain, and its cap if any. */
static int pu_resources(const hs_machine *m, const mpu *p, int *res)
{
    int n = 0;
    res[n++] = m->dom[p->domain].res;
    if (p->cap_res >= 0)
        res[n++] = p->cap_res;
    return n;
}

/* Puts kernel id, in the heap and not launching, to work on p now: its
 * PU's run list, its flow, the compute shares; then re-solves.  Returns -1
 * (id left off p's list) when memory runs out. */
static int kern_run(hs_machine *m, mpu *p, int id, double now)
{
    if (pu_enter(m, p, id, now))
        return -1;
    mkern *k = &m->k[id];
    if (k->bytes > 0) {
        int res[2], nres = pu_resources(m, p, res);
        if (kern_add_flow(m, id, res, nres, kern_bound(k, p->nrun), p->flow_cap)) {
            pu_leave(m, p, id, now);
            return -1;
        }
    }
    pu_reshare(m, p, id, now);
    if (k->flow < 0)
        set_rate(m, id, now, compute_rate(k, p->nrun));
    resolve(m, now);
    return 0;
}

int hs_machine_start(hs_machine *m, int pu, const hs_kernel_work *w)
{
    if (!pu_ok(m, pu) || !w || !finite_nonneg(w->compute_s) || !finite_nonneg(w->bytes) ||
        !finite_nonneg(w->delay_s))
        return -1;
    mpu *p = &m->pu[pu];
    if (p->slots != HS_MACHINE_SLOTS_UNLIMITED && p->nrun + p->nlaunch >= p->slots)
        return -1;
    double now = *m->clock;
    int id = kern_new(m, pu, w->compute_s, w->bytes, w->user, now);
    if (id < 0)
        return -1;
    mkern *k = &m->k[id];
    m->nrunning++;
    if (w->delay_s > 0) {
        k->launching = true;
        k->t_fin = now + w->delay_s;
        p->nlaunch++;
        heap_push(m, id);
        rearm(m, now);
    } else {
        heap_push(m, id);
        if (kern_run(m, p, id, now)) {
            heap_remove(m, id);
            m->nrunning--;
            kern_free(m, id);
            return -1;
        }
    }
    m->stats.starts++;
    return id;
}

/* The launch delay of kernel id (the heap top) is over: it runs from now,
 * as if hs_machine_start had been called now without a delay.  Its
 * completion ranks among simultaneous ones by this activation order. */
static void activate(hs_machine *m, int id, double now)
{
    mkern *k = &m->k[id];
    mpu *p = &m->pu[k->pu];
    k->launching = false;
    p->nlaunch--;
    k->seq = m->seq++;          /* a later key: it may sink below a tie */
    k->t_last = now;
    sift_down(m, k->hpos);      /* t_fin = now until set_rate re-keys it */
    if (kern_run(m, p, id, now)) {   /* out of memory: drop it and stop */
        heap_remove(m, id);
        m->nrunning--;
        kern_free(m, id);
        hs_sim_stop(m->sim);
    }
}

int hs_machine_transfer(hs_machine *m, const hs_transfer_work *w)
{
    if (!w || !(w->bytes > 0) || !(w->bytes < INFINITY) || !(w->max_rate >= 0))
        return -1;
    int res[3], n = 0;
    if (w->link != -1 && !link_ok(m, w->link))
        return -1;
    if ((w->src_domain != -1 && !dom_ok(m, w->src_domain)) ||
        (w->dst_domain != -1 && !dom_ok(m, w->dst_domain)))
        return -1;
    if (w->link >= 0)
        res[n++] = m->link[w->link].res;
    if (w->src_domain >= 0)
        res[n++] = m->dom[w->src_domain].res;
    if (w->dst_domain >= 0 && w->dst_domain != w->src_domain)
        res[n++] = m->dom[w->dst_domain].res;
    if (n == 0)
        return -1;
    double now = *m->clock;
    int id = kern_new(m, -1, 0, w->bytes, w->user, now);
    if (id < 0)
        return -1;
    m->k[id].max_rate = w->max_rate > 0 ? w->max_rate : INFINITY;
    if (kern_add_flow(m, id, res, n, m->k[id].max_rate, INFINITY)) {
        kern_free(m, id);
        return -1;
    }
    heap_push(m, id);
    m->nrunning++;
    m->stats.starts++;
    resolve(m, now);
    return id;
}

/* Takes kernel id out (heap, PU, solver) and re-solves; frees its record.
 * Returns the fraction of its work that was left. */
static double kern_end(hs_machine *m, int id, double now)
{
    mkern *k = &m->k[id];
    heap_remove(m, id);
    m->nrunning--;
    if (k->launching) {          /* it held a slot, nothing else */
        m->pu[k->pu].nlaunch--;
        kern_free(m, id);
        rearm(m, now);
        return 1;
    }
    advance(k, now);
    double left = k->rem;
    if (k->flow >= 0) {
        hs_bw_remove_flow(m->bw, k->flow);
        m->fk[k->flow] = -1;
    }
    if (k->pu >= 0) {
        mpu *p = &m->pu[k->pu];
        pu_leave(m, p, id, now);
        pu_reshare(m, p, -1, now);
    }
    kern_free(m, id);
    resolve(m, now);
    return left;
}

double hs_machine_abort(hs_machine *m, int id)
{
    if (!id_ok(m, id))
        return -1;
    m->stats.aborts++;
    return kern_end(m, id, *m->clock);
}

int hs_machine_find_kernel(const hs_machine *m, int pu, const void *user)
{
    for (int id = 0; id < m->k_hw; id++)
        if (m->k[id].alive && m->k[id].pu == pu && pu >= 0 && m->k[id].user == user)
            return id;
    return -1;
}

int hs_machine_cut(hs_machine *m, int id, double left)
{
    if (!id_ok(m, id) || m->k[id].pu < 0 || !(left >= 0))
        return -1;
    mkern *k = &m->k[id];
    double now = *m->clock;
    if (k->launching) {          /* no progress yet: set_rate keys it on activation */
        k->rem = fmin(left, k->rem);
        return 0;
    }
    advance(k, now);
    if (left > k->rem)
        return -1;
    k->rem = left;
    heap_rekey(m, id, k->rem <= 0 ? now : k->rate > 0 ? now + k->rem / k->rate : INFINITY);
    rearm(m, now);
    return 0;
}

double hs_machine_next_time(const hs_machine *m)
{
    return m->nheap ? m->k[m->heap[0]].t_fin : INFINITY;
}

/* The machine event: the heap top activates or completes.  The record is
 * reused for the next arm, scheduled once the handling (callback
 * included) is over (see rearm). */
static void machine_fire(hs_sim *sim, hs_event *ev, void *ctx)
{
    (void)sim;
    (void)ctx;
    hs_machine *m = ev->data.ptr.p;
    if (!m || ev != m->armed || m->nheap == 0)
        return;
    m->armed = NULL;
    m->firing = ev;
    double now = ev->time;       /* the clock is at the event's time */
    int id = m->heap[0];
    if (m->k[id].launching) {    /* nothing runs after it: arm at once */
        activate(m, id, now);
        m->firing = NULL;
        return;
    }
    void *user = m->k[id].user;
    m->in_fire = true;
    kern_end(m, id, now);
    m->stats.completions++;
    if (m->on_done)
        m->on_done(m, id, user, m->ctx);
    m->in_fire = false;
    if (m->reserved) {
        m->reserved = false;
        arm(m, m->armed_t, true, m->armed_seq);
    }
    m->firing = NULL;
}

/* ---- Creation. ------------------------------------------------------ */

static bool conf_ok(const hs_machine_conf *c)
{
    if (!c || c->ndomains < 1 || !c->domains || (c->npus && !c->pus) ||
        (c->nlinks && !c->links) || c->event_type >= HS_SIM_MAX_EVENT_TYPES)
        return false;
    for (size_t d = 0; d < c->ndomains; d++)
        if (!(c->domains[d].bandwidth >= 0) || !finite_nonneg(c->domains[d].energy_per_byte))
            return false;
    for (size_t l = 0; l < c->nlinks; l++)
        if (!(c->links[l].bandwidth >= 0))
            return false;
    for (size_t p = 0; p < c->npus; p++) {
        const hs_pu_conf *u = &c->pus[p];
        if (u->domain < 0 || (size_t)u->domain >= c->ndomains || !(u->bandwidth_cap >= 0) ||
            u->slots < HS_MACHINE_SLOTS_UNLIMITED || !finite_nonneg(u->active_power_w) ||
            !finite_nonneg(u->idle_power_w))
            return false;
    }
    return true;
}

static char *dup_name(const char *s) { return strdup(s ? s : ""); }

static int conf_slots(const hs_pu_conf *u) { return u->slots == 0 ? 1 : u->slots; }
static double conf_cap(const hs_pu_conf *u)
{
    return u->bandwidth_cap > 0 ? u->bandwidth_cap : INFINITY;
}

/* Whether PU i's cap is its kernel's private cap (hs_bw_add_flow_capped:
 * no solve walks it): when it runs one kernel at a time and no other such
 * PU of its domain has the same cap.  Equal private caps would tie, and
 * ties between them may break in another order than between resources, so
 * those stay resources and every result keeps its bits. */
static bool cap_private(const hs_machine_conf *c, size_t i)
{
    const hs_pu_conf *u = &c->pus[i];
    if (conf_slots(u) != 1)
        return false;
    for (size_t j = 0; j < c->npus; j++) {
        const hs_pu_conf *v = &c->pus[j];
        if (j != i && conf_slots(v) == 1 && v->domain == u->domain && conf_cap(v) < INFINITY &&
            conf_cap(v) == conf_cap(u))
            return false;
    }
    return true;
}

static int build(hs_machine *m, const hs_machine_conf *c)
{
    for (size_t d = 0; d < c->ndomains; d++) {
        const hs_domain_conf *dc = &c->domains[d];
        mdom *dm = &m->dom[m->ndom++];
        dm->name = dup_name(dc->name);
        dm->res = hs_bw_add_resource(m->bw, dc->name, dc->bandwidth);
        dm->cap = dc->bandwidth;
        dm->epb = dc->energy_per_byte;
        dm->t_mark = m->t0;
        if (!dm->name || dm->res < 0)
            return -1;
        if (dc->phi_n && hs_bw_set_phi(m->bw, dm->res, dc->phi_demand, dc->phi, dc->phi_n))
            return -1;
    }
    for (size_t l = 0; l < c->nlinks; l++) {
        mlink *lk = &m->link[m->nlink++];
        lk->name = dup_name(c->links[l].name);
        lk->res = hs_bw_add_resource(m->bw, c->links[l].name, c->links[l].bandwidth);
        if (!lk->name || lk->res < 0)
            return -1;
    }
    for (size_t i = 0; i < c->npus; i++) {
        const hs_pu_conf *pc = &c->pus[i];
        mpu *p = &m->pu[m->npu++];
        p->name = dup_name(pc->name);
        p->domain = pc->domain;
        p->slots = conf_slots(pc);
        p->p_active = pc->active_power_w;
        p->p_idle = pc->idle_power_w;
        p->cap_res = -1;
        p->cap = conf_cap(pc);
        p->flow_cap = INFINITY;
        if (!p->name)
            return -1;
        if (cap_private(c, i))
            p->flow_cap = p->cap;
        else if (p->cap < INFINITY && (p->cap_res = hs_bw_add_resource(m->bw, pc->name, p->cap)) < 0)
            return -1;
    }
    for (int d = 0; d < m->ndom; d++)   /* every resource is in */
        m->dom[d].used_at = hs_bw_used_at(m->bw, m->dom[d].res);
    hs_bw_solve(m->bw);
    return 0;
}

hs_machine *hs_machine_create(hs_sim *sim, const hs_machine_conf *conf)
{
    if (!sim || !conf_ok(conf))
        return NULL;
    hs_machine *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    m->sim = sim;
    m->ev_type = conf->event_type;
    m->on_done = conf->on_done;
    m->ctx = conf->ctx;
    m->k_free = -1;
    m->clock = hs_sim_clock(sim);
    m->t0 = *m->clock;
    m->bw = hs_bw_create();
    m->dom = calloc(conf->ndomains, sizeof(mdom));
    m->dom_used = calloc(conf->ndomains, sizeof(double));
    m->link = calloc(conf->nlinks ? conf->nlinks : 1, sizeof(mlink));
    m->pu = calloc(conf->npus ? conf->npus : 1, sizeof(mpu));
    if (!m->bw || !m->dom || !m->dom_used || !m->link || !m->pu || build(m, conf)) {
        hs_machine_destroy(m);
        return NULL;
    }
    hs_sim_on(sim, conf->event_type, machine_fire, NULL);
    return m;
}

void hs_machine_destroy(hs_machine *m)
{
    if (!m)
        return;
    if (m->armed)
        hs_sim_cancel(m->sim, m->armed);
    for (int i = 0; i < m->npu; i++) {
        free(m->pu[i].name);
        free(m->pu[i].run);
    }
    for (int i = 0; i < m->ndom; i++)
        free(m->dom[i].name);
    for (int i = 0; i < m->nlink; i++)
        free(m->link[i].name);
    free(m->pu);
    free(m->dom);
    free(m->dom_used);
    free(m->link);
    free(m->k);
    free(m->heap);
    free(m->fk);
    hs_bw_destroy(m->bw);
    free(m);
}

/* ---- Queries. ------------------------------------------------------- */

size_t hs_machine_pu_count(const hs_machine *m) { return (size_t)m->npu; }
size_t hs_machine_domain_count(const hs_machine *m) { return (size_t)m->ndom; }
size_t hs_machine_link_count(const hs_machine *m) { return (size_t)m->nlink; }
size_t hs_machine_running(const hs_machine *m) { return (size_t)m->nrunning; }

int hs_machine_pu_find(const hs_machine *m, const char *name)
{
    for (int i = 0; name && i < m->npu; i++)
        if (strcmp(m->pu[i].name, name) == 0)
            return i;
    return -1;
}

const char *hs_machine_pu_name(const hs_machine *m, int pu)
{
    return pu_ok(m, pu) ? m->pu[pu].name : NULL;
}

int hs_machine_pu_slots(const hs_machine *m, int pu)
{
    return pu_ok(m, pu) ? m->pu[pu].slots : 0;
}

int hs_machine_pu_running(const hs_machine *m, int pu)
{
    return pu_ok(m, pu) ? m->pu[pu].nrun : 0;
}

const int *hs_machine_pu_kernels(const hs_machine *m, int pu, size_t *n)
{
    *n = pu_ok(m, pu) ? (size_t)m->pu[pu].nrun : 0;
    return pu_ok(m, pu) ? m->pu[pu].run : NULL;
}

bool hs_machine_pu_has_free_slot(const hs_machine *m, int pu)
{
    if (!pu_ok(m, pu))
        return false;
    const mpu *p = &m->pu[pu];
    return p->slots == HS_MACHINE_SLOTS_UNLIMITED || p->nrun + p->nlaunch < p->slots;
}

double hs_machine_pu_bandwidth(const hs_machine *m, int pu)
{
    if (!pu_ok(m, pu))
        return 0;
    const mpu *p = &m->pu[pu];
    double x = 0;
    for (int i = 0; i < p->nrun; i++)
        x += hs_machine_kernel_bandwidth(m, p->run[i]);
    return x;
}

double hs_machine_domain_used(const hs_machine *m, int d)
{
    return dom_ok(m, d) ? hs_bw_used(m->bw, m->dom[d].res) : 0;
}

double hs_machine_domain_demand(const hs_machine *m, int d)
{
    return dom_ok(m, d) ? hs_bw_demand(m->bw, m->dom[d].res) : 0;
}

double hs_machine_domain_capacity(const hs_machine *m, int d)
{
    return dom_ok(m, d) ? hs_bw_capacity(m->bw, m->dom[d].res) : 0;
}

double hs_machine_link_used(const hs_machine *m, int l)
{
    return link_ok(m, l) ? hs_bw_used(m->bw, m->link[l].res) : 0;
}

bool hs_machine_is_running(const hs_machine *m, int id) { return id_ok(m, id); }

int hs_machine_kernel_pu(const hs_machine *m, int id)
{
    return id_ok(m, id) ? m->k[id].pu : -1;
}

double hs_machine_kernel_remaining(const hs_machine *m, int id, double t)
{
    if (!id_ok(m, id))
        return 0;
    const mkern *k = &m->k[id];
    if (k->launching)
        return 1;
    double w = t > k->t_last ? k->rem - k->rate * (t - k->t_last) : k->rem;
    return w > 0 ? w : 0;
}

double hs_machine_kernel_rate(const hs_machine *m, int id)
{
    return id_ok(m, id) && !m->k[id].launching ? m->k[id].rate : 0;
}

double hs_machine_kernel_bandwidth(const hs_machine *m, int id)
{
    return id_ok(m, id) && m->k[id].flow >= 0 ? hs_bw_rate(m->bw, m->k[id].flow) : 0;
}

double hs_machine_kernel_finish(const hs_machine *m, int id)
{
    if (!id_ok(m, id))
        return 0;
    return m->k[id].launching ? INFINITY : m->k[id].t_fin;
}

void *hs_machine_kernel_user(const hs_machine *m, int id)
{
    return id_ok(m, id) ? m->k[id].user : NULL;
}

/* x alone = min(d, B_p, C_d / phi_d(d)) with d = Q / T; time = Q / x. */
double hs_machine_standalone_time(const hs_machine *m, int pu, const hs_kernel_work *w)
{
    if (!pu_ok(m, pu) || !w || !finite_nonneg(w->compute_s) || !finite_nonneg(w->bytes))
        return -1;
    if (w->bytes == 0)
        return w->compute_s;
    const mpu *p = &m->pu[pu];
    const mdom *dm = &m->dom[p->domain];
    double d = w->compute_s > 0 ? w->bytes / w->compute_s : INFINITY;
    double x = fmin(d, fmin(p->cap, dm->cap / hs_bw_phi(m->bw, dm->res, d)));
    return x > 0 ? w->bytes / x : INFINITY;
}

/* Largest old rate / trial rate over the running kernels in the trial's
 * components, and over the flowless kernels sharing p (nrun -> n). */
static double trial_others(const hs_machine *m, const mpu *p, int newflow, int n, bool waits)
{
    double worst = 1;
    size_t nf;
    const int *fl = hs_bw_trial_flows(m->bw, &nf);
    for (size_t i = 0; i < nf; i++) {
        int f = fl[i];
        if (f == newflow || f >= m->fk_cap || m->fk[f] < 0)
            continue;
        const mkern *k = &m->k[m->fk[f]];
        if (waits && &m->pu[k->pu] == p)
            continue;  /* done before the probe starts */
        double r = hs_bw_trial_rate(m->bw, f) / k->bytes;
        if (k->rate > 0)
            worst = fmax(worst, r > 0 ? k->rate / r : INFINITY);
    }
    if (p->slots != 1 && p->nrun > 0)
        for (int i = 0; i < p->nrun; i++)
            if (m->k[p->run[i]].flow < 0)
                worst = fmax(worst, (double)n / p->nrun);
    return worst;
}

/* Whether a probe on PU pu would run after what pu runs now rather than
 * beside it: a one-slot PU runs one kernel at a time, so a kernel started
 * on it now waits in the executor's queue until the PU is free. */
static bool probe_waits(const hs_machine *m, int pu)
{
    const mpu *p = &m->pu[pu];
    return p->slots == 1 && p->nrun + p->nlaunch > 0;
}

/* Kernels on PU q in a trial for pu: those running, those in their launch
 * delay and, on pu, the probe -- alone when it waits for them. */
static int trial_share(const hs_machine *m, int q, int pu)
{
    const mpu *p = &m->pu[q];
    if (q == pu && probe_waits(m, pu))
        return 1;
    return p->nrun + p->nlaunch + (q == pu);
}

/* A probe that waits for its PU runs once the PU's kernels are done: in the
 * trial their flows draw nothing. */
static void trial_drop_pu(hs_machine *m, int pu)
{
    const mpu *p = &m->pu[pu];
    for (int i = 0; i < p->nrun; i++)
        if (m->k[p->run[i]].flow >= 0)
            hs_bw_set_bound(m->bw, m->k[p->run[i]].flow, 0);
}

/* Sets up an open trial for a probe on pu: the kernels in their launch
 * delay draw as if running (a kernel started now runs only after its own
 * launch, by when theirs are about over), and every PU with several slots
 * shares its compute among all of its kernels.  -1: out of memory. */
static int trial_add_launching(hs_machine *m, int pu)
{
    for (int q = 0; q < m->npu; q++) {
        const mpu *p = &m->pu[q];
        int n = trial_share(m, q, pu);
        if (p->slots == 1 || n == p->nrun)
            continue;
        for (int i = 0; i < p->nrun; i++)
            if (m->k[p->run[i]].flow >= 0)
                hs_bw_set_bound(m->bw, m->k[p->run[i]].flow, kern_bound(&m->k[p->run[i]], n));
    }
    for (int id = 0; id < m->k_hw; id++) {
        const mkern *k = &m->k[id];
        if (!k->alive || !k->launching || !(k->bytes > 0) || (k->pu == pu && probe_waits(m, pu)))
            continue;
        const mpu *p = &m->pu[k->pu];
        int res[2], nres = pu_resources(m, p, res);
        if (hs_bw_add_flow_capped(m->bw, res, nres, kern_bound(k, trial_share(m, k->pu, pu)), p->flow_cap) < 0)
            return -1;
    }
    return 0;
}

int hs_machine_predict(hs_machine *m, int pu, const hs_kernel_work *w, hs_machine_prediction *out)
{
    double alone = hs_machine_standalone_time(m, pu, w);
    if (alone < 0 || !out)
        return -1;
    mpu *p = &m->pu[pu];
    int n = trial_share(m, pu, pu);
    mkern probe = { .compute_s = w->compute_s, .bytes = w->bytes, .pu = pu, .flow = -1 };
    bool waits = probe_waits(m, pu);
    hs_bw_trial_begin(m->bw);
    if (waits)
        trial_drop_pu(m, pu);
    int f = -1, rc = trial_add_launching(m, pu);
    if (rc == 0 && w->bytes > 0) {
        int res[2], nres = pu_resources(m, p, res);
        f = hs_bw_add_flow_capped(m->bw, res, nres, kern_bound(&probe, n), p->flow_cap);
        rc = f < 0 ? -1 : 0;
    }
    hs_bw_trial_solve(m->bw);
    double x = f >= 0 ? hs_bw_trial_rate(m->bw, f) : 0;
    double r = w->bytes > 0 ? x / w->bytes : compute_rate(&probe, n);
    *out = (hs_machine_prediction){
        .rate = r,
        .time_s = r > 0 ? 1 / r : INFINITY,
        .standalone_s = alone,
        .bandwidth = x,
        .domain_used = hs_bw_trial_used(m->bw, m->dom[p->domain].res),
        .others_slowdown = trial_others(m, p, f, n, waits),
    };
    out->slowdown = alone > 0 ? out->time_s / alone : 1;
    hs_bw_trial_end(m->bw);
    return rc;
}

/* ---- Energy and traffic. -------------------------------------------- */

double hs_machine_pu_busy_time(const hs_machine *m, int pu, double t)
{
    if (!pu_ok(m, pu))
        return 0;
    const mpu *p = &m->pu[pu];
    return p->busy_acc + (p->nrun > 0 ? t - p->busy_since : 0);
}

/* E_p(t) = P_active busy(t) + P_idle (t - t0 - busy(t)). */
double hs_machine_pu_energy(const hs_machine *m, int pu, double t)
{
    if (!pu_ok(m, pu))
        return 0;
    double busy = hs_machine_pu_busy_time(m, pu, t);
    return m->pu[pu].p_active * busy + m->pu[pu].p_idle * (t - m->t0 - busy);
}

double hs_machine_domain_bytes(const hs_machine *m, int d, double t)
{
    if (!dom_ok(m, d))
        return 0;
    const mdom *dm = &m->dom[d];
    return dm->bytes_acc + (dm->used > 0 ? dm->used * (t - dm->t_mark) : 0);
}

double hs_machine_domain_peak(const hs_machine *m, int d)
{
    return dom_ok(m, d) ? m->dom[d].peak : 0;
}

double hs_machine_domain_energy(const hs_machine *m, int d, double t)
{
    return dom_ok(m, d) ? m->dom[d].epb * hs_machine_domain_bytes(m, d, t) : 0;
}

double hs_machine_energy(const hs_machine *m, double t)
{
    double e = 0;
    for (int p = 0; p < m->npu; p++)
        e += hs_machine_pu_energy(m, p, t);
    for (int d = 0; d < m->ndom; d++)
        e += hs_machine_domain_energy(m, d, t);
    return e;
}

/* ---- Observation. --------------------------------------------------- */

void hs_machine_on_bandwidth(hs_machine *m, hs_machine_bw_fn fn, void *ctx)
{
    m->on_bw = fn;
    m->bw_ctx = ctx;
}

hs_machine_stats hs_machine_get_stats(const hs_machine *m)
{
    hs_machine_stats s = m->stats;
    s.bw = hs_bw_get_stats(m->bw);
    return s;
}

const hs_bw *hs_machine_solver(const hs_machine *m) { return m->bw; }
