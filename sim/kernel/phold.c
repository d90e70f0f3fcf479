/* hetsoc: PHOLD on the kernel (pool, queue, run loop, RNG streams).
 *
 * Each event is a fresh record from the pool (the handled one goes back to
 * it), as a model would do; the payload names the LP.  LP i draws its delay
 * and then its destination from its own stream, exactly as the reference in
 * phold_ref.c does, so both produce the same event sequence and checksum. */
#include <math.h>

#include "sim/kernel/event.h"
#include "sim/kernel/phold_internal.h"

enum { PHOLD_EVENT = 0 };

typedef struct phold_state {
    hs_rng *rng;          /* one stream per LP */
    uint64_t lps;
    uint64_t checksum;
    size_t min_pending, max_pending;
    bool failed;          /* out of memory inside a handler */
} phold_state;

static int phold_send(hs_sim *sim, uint64_t lp, double t)
{
    hs_event *ev = hs_sim_event(sim, PHOLD_EVENT);
    if (!ev)
        return -1;
    ev->data.u.a = lp;
    if (hs_sim_schedule(sim, ev, t) != 0) {
        hs_sim_event_free(sim, ev);
        return -1;
    }
    return 0;
}

static void phold_handle(hs_sim *sim, hs_event *ev, void *ctx)
{
    phold_state *st = ctx;
    uint64_t lp = ev->data.u.a;
    st->checksum = hs_phold_mix(st->checksum, ev->time, lp);
    hs_rng *r = &st->rng[lp];
    double delay = hs_rng_exponential(r, 1.0);
    uint64_t dst = hs_rng_below(r, st->lps);
    if (phold_send(sim, dst, ev->time + delay) != 0) {
        st->failed = true;
        hs_sim_stop(sim);
        return;
    }
    size_t pending = hs_sim_pending(sim);
    if (pending < st->min_pending)
        st->min_pending = pending;
    if (pending > st->max_pending)
        st->max_pending = pending;
}

/* Every LP starts with K events, their times drawn from its own stream. */
static int phold_seed_events(hs_sim *sim, const hs_phold_opts *o, hs_rng *rng)
{
    for (uint64_t lp = 0; lp < o->lps; lp++)
        for (uint64_t k = 0; k < o->pending_per_lp; k++)
            if (phold_send(sim, lp, hs_rng_exponential(&rng[lp], 1.0)) != 0)
                return -1;
    return 0;
}

int hs_phold_run(const hs_phold_opts *o, hs_phold_result *r)
{
    if (!r || hs_phold_check(o) != 0)
        return -1;
    memset(r, 0, sizeof *r);
    phold_state st = {.lps = o->lps, .checksum = HS_PHOLD_CHECKSUM_SEED};
    hs_sim *sim = hs_sim_create();
    st.rng = hs_phold_streams(o);
    int rc = -1;
    if (!sim || !st.rng || phold_seed_events(sim, o, st.rng) != 0)
        goto out;
    hs_sim_on(sim, PHOLD_EVENT, phold_handle, &st);
    st.min_pending = st.max_pending = hs_sim_pending(sim);

    /* A budget of 0 means none to hs_sim_run, hence the guard. */
    double t0 = hs_phold_clock();
    hs_sim_stats s = {0};
    if (o->events > 0)
        s = hs_sim_run(sim, INFINITY, o->events);
    double wall = hs_phold_clock() - t0;
    if (st.failed)
        goto out;

    r->events = s.events;
    r->end_time = s.end_time;
    r->checksum = st.checksum;
    r->min_pending = st.min_pending;
    r->max_pending = st.max_pending;
    hs_phold_finish(r, wall);
    rc = 0;
out:
    hs_sim_destroy(sim);
    hs_phold_streams_free(st.rng, o->lps);
    return rc;
}
