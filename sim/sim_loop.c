/* hetsoc: the run loop: a clock, a pool, a future event set and a handler
 * table indexed by event type. */
#include <math.h>
#include <stdlib.h>

#include "sim/event_internal.h"

enum { SIM_INITIAL_EVENTS = 1024 };

typedef struct sim_handler {
    hs_event_handler fn;
    void *ctx;
} sim_handler;

struct hs_sim {
    hs_event_pool *pool;
    hs_evq *q;
    double now;
    bool stop;
    sim_handler on[HS_SIM_MAX_EVENT_TYPES];
};

hs_sim *hs_sim_create(void)
{
    hs_sim *sim = calloc(1, sizeof *sim);
    if (!sim)
        return NULL;
    sim->pool = hs_event_pool_create(SIM_INITIAL_EVENTS);
    sim->q = sim->pool ? hs_evq_create(sim->pool) : NULL;
    if (!sim->q) {
        hs_sim_destroy(sim);
        return NULL;
    }
    return sim;
}

void hs_sim_destroy(hs_sim *sim)
{
    if (!sim)
        return;
    hs_evq_destroy(sim->q);          /* gives queued records back first */
    hs_event_pool_destroy(sim->pool);
    free(sim);
}

void hs_sim_on(hs_sim *sim, uint16_t type, hs_event_handler fn, void *ctx)
{
    if (type < HS_SIM_MAX_EVENT_TYPES)
        sim->on[type] = (sim_handler){fn, ctx};
}

double hs_sim_now(const hs_sim *sim)
{
    return sim->now;
}

hs_event *hs_sim_event(hs_sim *sim, uint16_t type)
{
    hs_event *ev = hs_event_alloc(sim->pool);
    if (ev)
        ev->type = type;
    return ev;
}

void hs_sim_event_free(hs_sim *sim, hs_event *ev)
{
    hs_event_free(sim->pool, ev);
}

int hs_sim_schedule(hs_sim *sim, hs_event *ev, double t)
{
    /* !(t >= now) also rejects NaN.  A queued record keeps its time: the
     * queue orders it by that time until it is popped or cancelled. */
    if (!ev || !isfinite(t) || !(t >= sim->now) || (ev->flags & HS_EVF_QUEUED))
        return -1;
    double before = ev->time;
    ev->time = t;
    if (hs_evq_push(sim->q, ev) != 0) {
        ev->time = before;
        return -1;
    }
    return 0;
}

void hs_sim_cancel(hs_sim *sim, hs_event *ev)
{
    hs_evq_cancel(sim->q, ev);
}

void hs_sim_stop(hs_sim *sim)
{
    sim->stop = true;
}

size_t hs_sim_pending(const hs_sim *sim)
{
    return hs_evq_size(sim->q);
}

double hs_sim_next_time(hs_sim *sim)
{
    hs_event *ev = hs_evq_peek(sim->q);
    return ev ? ev->time : INFINITY;
}

/* Runs one event: the clock jumps to its time, its handler runs, and the
 * record goes back to the pool unless the handler scheduled it again. */
static void sim_dispatch(hs_sim *sim, hs_event *ev)
{
    sim->now = ev->time;
    if (ev->type < HS_SIM_MAX_EVENT_TYPES) {
        const sim_handler *h = &sim->on[ev->type];
        if (h->fn)
            h->fn(sim, ev, h->ctx);
    }
    if (!(ev->flags & HS_EVF_QUEUED))
        hs_event_free(sim->pool, ev);
}

hs_sim_stats hs_sim_run(hs_sim *sim, double end_time, uint64_t max_events)
{
    uint64_t n = 0;
    bool drained = false;   /* no event left at or before end_time */
    sim->stop = false;
    while (!sim->stop && (max_events == 0 || n < max_events)) {
        hs_event *ev = hs_evq_peek(sim->q);
        if (!ev || !(ev->time <= end_time)) {
            drained = true;
            break;
        }
        hs_evq_pop(sim->q);
        sim_dispatch(sim, ev);
        n++;
    }
    /* Everything up to end_time has happened, so the clock reaches it; a
     * budget or a stop leaves it at the last event, from where a later
     * call resumes. */
    if (drained && isfinite(end_time) && end_time > sim->now)
        sim->now = end_time;
    return (hs_sim_stats){.events = n, .end_time = sim->now};
}
