/* hetsoc: the run loop: a clock, a pool, a future event set and a handler
 * table indexed by event type.
 *
 * The record being handled, when its handler schedules it again, is held
 * by the loop instead of being pushed (`held`): right after the handler
 * the loop compares it with the queue's front and, when it comes first
 * (the common case of a model that keeps one event of its own, like the
 * machine's), handles it next without a push and a pop.  Otherwise, or
 * when the loop returns, it goes into the queue.  Its (time, seq) are set
 * as a push would set them and every query (next time, pending, cancel)
 * counts it, so the order of events is the queue's order either way.
 *
 * The queue's front is cached (`front`, valid when front_ok): every push,
 * pop and cancel goes through this file, and a push only replaces the
 * front when it comes before it, so the queue is asked again only after a
 * pop or the cancellation of the front. */
#include <math.h>
#include <stdlib.h>

#include "sim/kernel/event_internal.h"

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
    hs_event *cur;       /* the record being handled, NULL between events */
    hs_event *held;      /* cur, scheduled again, not in q (see above) */
    hs_event *front;     /* hs_evq_peek(q) when front_ok */
    bool front_ok;
    uint64_t next_seq;   /* the loop numbers every push (hs_evq_push_as) */
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

const double *hs_sim_clock(const hs_sim *sim)
{
    return &sim->now;
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

static inline bool ev_before(const hs_event *a, const hs_event *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

/* Pushes ev (its time set) with seq and keeps the cached front. */
static inline int push(hs_sim *sim, hs_event *ev, uint64_t seq)
{
    if (hs_evq_push_as(sim->q, ev, seq) != 0)
        return -1;
    if (sim->front_ok && (!sim->front || ev_before(ev, sim->front)))
        sim->front = ev;
    return 0;
}

/* Schedules ev at t with a fresh sequence number (reserved = false) or
 * with seq; the record being handled is held (see above). */
static int schedule(hs_sim *sim, hs_event *ev, double t, bool reserved, uint64_t seq)
{
    /* !(t >= now) also rejects NaN.  A queued record keeps its time: the
     * queue orders it by that time until it is popped or cancelled. */
    if (!ev || !isfinite(t) || !(t >= sim->now) || (ev->flags & HS_EVF_QUEUED))
        return -1;
    if (!reserved)
        seq = sim->next_seq++;
    if (ev == sim->cur) {
        ev->time = t;
        ev->seq = seq;
        ev->flags = HS_EVF_QUEUED;
        sim->held = ev;
        return 0;
    }
    double before = ev->time;
    ev->time = t;
    if (push(sim, ev, seq) != 0) {
        ev->time = before;
        return -1;
    }
    return 0;
}

int hs_sim_schedule(hs_sim *sim, hs_event *ev, double t)
{
    return schedule(sim, ev, t, false, 0);
}

uint64_t hs_sim_reserve_seq(hs_sim *sim)
{
    return sim->next_seq++;
}

int hs_sim_schedule_as(hs_sim *sim, hs_event *ev, double t, uint64_t seq)
{
    return schedule(sim, ev, t, true, seq);
}

void hs_sim_cancel(hs_sim *sim, hs_event *ev)
{
    if (ev && ev == sim->held) {   /* the loop frees it after its handler */
        sim->held = NULL;
        ev->flags = 0;
        return;
    }
    if (ev == sim->front)
        sim->front_ok = false;
    hs_evq_cancel(sim->q, ev);
}

void hs_sim_stop(hs_sim *sim)
{
    sim->stop = true;
}

size_t hs_sim_pending(const hs_sim *sim)
{
    return hs_evq_size(sim->q) + (sim->held != NULL);
}

/* Moves the held record h into the queue, with its time and seq.  Out of
 * memory it is dropped: it never runs, and it is not given back to the
 * pool, so that its owner may still cancel it harmlessly (a no-op). */
static void flush_held(hs_sim *sim, hs_event *h)
{
    sim->held = NULL;
    h->flags = 0;
    push(sim, h, h->seq);
}

/* The earliest pending event, left pending: the held record if it comes
 * before the queue's front, else the front (the held record then joins
 * the queue).  NULL when none. */
static inline hs_event *next_event(hs_sim *sim)
{
    if (!sim->front_ok) {
        sim->front = hs_evq_peek(sim->q);
        sim->front_ok = true;
    }
    hs_event *f = sim->front, *h = sim->held;
    if (!h)
        return f;
    if (!f || ev_before(h, f))
        return h;
    flush_held(sim, h);
    return f;
}

double hs_sim_next_time(hs_sim *sim)
{
    hs_event *ev = next_event(sim);
    return ev ? ev->time : INFINITY;
}

/* Takes the earliest pending event if it is due by end_time, else NULL
 * (it stays pending).  Without a held record or a known front the queue
 * is popped at once rather than peeked and then popped: an event not yet
 * due goes back with its seq, in the same place in the order. */
static hs_event *take_next(hs_sim *sim, double end_time)
{
    hs_event *h = sim->held;
    if (h) {
        hs_event *f = next_event(sim);
        if (f == h) {
            if (!(h->time <= end_time))
                return NULL;
            sim->held = NULL;
            h->flags = 0;
            return h;
        }
    }
    if (sim->front_ok && (!sim->front || !(sim->front->time <= end_time)))
        return NULL;
    hs_event *ev = hs_evq_pop(sim->q);
    sim->front_ok = false;
    if (ev && !(ev->time <= end_time)) {
        push(sim, ev, ev->seq);     /* from the bottom heap: no allocation */
        sim->front = ev;
        sim->front_ok = true;
        return NULL;
    }
    return ev;
}

/* Runs one event: the clock jumps to its time, its handler runs, and the
 * record goes back to the pool unless the handler scheduled it again. */
static void sim_dispatch(hs_sim *sim, hs_event *ev)
{
    sim->now = ev->time;
    sim->cur = ev;
    if (ev->type < HS_SIM_MAX_EVENT_TYPES) {
        const sim_handler *h = &sim->on[ev->type];
        if (h->fn)
            h->fn(sim, ev, h->ctx);
    }
    sim->cur = NULL;
    if (!(ev->flags & HS_EVF_QUEUED))
        hs_event_free(sim->pool, ev);
}

hs_sim_stats hs_sim_run(hs_sim *sim, double end_time, uint64_t max_events)
{
    uint64_t n = 0, budget = max_events ? max_events : UINT64_MAX;
    bool drained = false;   /* no event left at or before end_time */
    sim->stop = false;
    while (!sim->stop && n < budget) {
        hs_event *ev = take_next(sim, end_time);
        if (!ev) {
            drained = true;
            break;
        }
        sim_dispatch(sim, ev);
        n++;
    }
    if (sim->held)
        flush_held(sim, sim->held);
    /* Everything up to end_time has happened, so the clock reaches it; a
     * budget or a stop leaves it at the last event, from where a later
     * call resumes. */
    if (drained && isfinite(end_time) && end_time > sim->now)
        sim->now = end_time;
    return (hs_sim_stats){.events = n, .end_time = sim->now};
}
