/* hetsoc: the discrete-event kernel.
 *
 * Events are small fixed-size records drawn from a pool owned by the
 * simulator (no malloc per event in steady state).  The future event set is
 * ordered by (time, insertion sequence): two events at the same time run in
 * the order they were pushed, so a run is deterministic.
 *
 * The queue interface is deliberately tiny (create, push, push_as, pop,
 * peek, cancel, size, destroy) so that its data structure can be swapped; see
 * sim/kernel/README.md for the structure chosen (a ladder queue) and the
 * measurements behind it.
 *
 * Ownership of a record: the pool hands it out (hs_event_alloc,
 * hs_sim_event); the caller fills it and pushes it; from then on the queue
 * owns it until pop returns it (the caller owns it again) or cancel
 * withdraws it (the queue gives it back to the pool when convenient).
 * While a record is queued its time and seq must not be changed.
 */
#ifndef HS_SIM_EVENT_H
#define HS_SIM_EVENT_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

/* Payload carried by an event: interpreted by the handler of its type. */
typedef union hs_event_data {
    struct { uint64_t a, b; } u;
    struct { double x, y; } f;
    struct { void *p; uint64_t tag; } ptr;
} hs_event_data;

typedef struct hs_event {
    double time;          /* simulated time at which the event fires, s */
    uint64_t seq;         /* insertion sequence: FIFO order among equal times */
    uint32_t slot;        /* queue-private position bookkeeping; do not touch
                             (spare for other queue structures) */
    uint16_t type;        /* user-defined event type, dispatched by the loop */
    uint16_t flags;       /* queue-private state (queued, cancelled) */
    hs_event_data data;
} hs_event;

/* ---- Event pool: fixed-size records, recycled through a free list. ----- */
typedef struct hs_event_pool hs_event_pool;

hs_event_pool *hs_event_pool_create(size_t initial_capacity);
void hs_event_pool_destroy(hs_event_pool *pool);
/* Returns a zeroed event.  Grows by whole slabs when empty (never moves
 * live events, so pointers stay valid).  NULL only when memory is exhausted. */
hs_event *hs_event_alloc(hs_event_pool *pool);
/* Precondition: ev came from this pool and is not in any queue (a queued
 * record is left alone: the call is ignored).  NULL is ignored. */
void hs_event_free(hs_event_pool *pool, hs_event *ev);
/* Records handed out and not yet given back (a cancelled record counts
 * until the queue drops it). */
size_t hs_event_pool_live(const hs_event_pool *pool);
/* Records the pool holds in all (live or free); grows only when every
 * record is live. */
size_t hs_event_pool_capacity(const hs_event_pool *pool);

/* ---- Future event set. ---------------------------------------------- */
typedef struct hs_evq hs_evq;

hs_evq *hs_evq_create(hs_event_pool *pool);
void hs_evq_destroy(hs_evq *q);  /* frees queued events back to the pool */
/* Inserts ev (its time set by the caller).  Assigns ev->seq.  Any finite
 * time is accepted, even one before the last popped event (the set does not
 * need monotone times; the run loop enforces them).  Returns 0, or -1 on
 * OOM, when ev->time is not finite, or when ev is already queued. */
int hs_evq_push(hs_evq *q, hs_event *ev);
/* hs_evq_push with the caller's sequence number instead of the queue's
 * next one (ev->seq = seq): entries of equal time come out by seq, so it
 * must differ from every other queued entry's.  For a caller that numbers
 * all the pushes of a queue itself (the run loop does). */
int hs_evq_push_as(hs_evq *q, hs_event *ev, uint64_t seq);
/* Removes and returns the earliest event, NULL when empty.  The caller owns
 * it: free it or push it again. */
hs_event *hs_evq_pop(hs_evq *q);
/* The earliest event without removing it, NULL when empty. */
hs_event *hs_evq_peek(hs_evq *q);
/* Withdraws a queued event; it will never be returned by pop and is given
 * back to the pool by the queue.  O(1): the record is only flagged, and it
 * stays out of the pool until its entry reaches the front of the queue (or
 * a purge, once cancelled entries outnumber live ones).  Precondition: ev is
 * queued in q (a record that is not queued, or already cancelled, is
 * ignored).  After the call the caller must not touch ev. */
void hs_evq_cancel(hs_evq *q, hs_event *ev);
/* Number of queued (not cancelled) events. */
size_t hs_evq_size(const hs_evq *q);

/* ---- Run loop. ------------------------------------------------------ */
typedef struct hs_sim hs_sim;
/* Handles one event.  The loop frees ev after the handler returns unless
 * the handler pushed it again (hs_sim_schedule on the same record). */
typedef void (*hs_event_handler)(hs_sim *sim, hs_event *ev, void *ctx);

enum { HS_SIM_MAX_EVENT_TYPES = 64 };

typedef struct hs_sim_stats {
    uint64_t events;      /* events handled */
    double end_time;      /* simulated clock when the loop stopped */
} hs_sim_stats;

hs_sim *hs_sim_create(void);
void hs_sim_destroy(hs_sim *sim);
/* Registers the handler of an event type (type < HS_SIM_MAX_EVENT_TYPES). */
void hs_sim_on(hs_sim *sim, uint16_t type, hs_event_handler fn, void *ctx);
double hs_sim_now(const hs_sim *sim);
/* Where hs_sim_now is kept, for a caller that reads the clock often (a
 * load instead of a call); valid for the simulator's life. */
const double *hs_sim_clock(const hs_sim *sim);
/* A fresh event record from the simulator's pool (not yet scheduled),
 * zeroed but for its type.  NULL on OOM. */
hs_event *hs_sim_event(hs_sim *sim, uint16_t type);
/* Gives back a record from hs_sim_event that will not be scheduled (for
 * instance after hs_sim_schedule failed).  Ignores a queued record. */
void hs_sim_event_free(hs_sim *sim, hs_event *ev);
/* Schedules ev at absolute time t >= now.  Returns 0, or -1 on OOM, when
 * t is in the past or not finite, or when ev is already scheduled (ev then
 * keeps its time and, if it was not scheduled, stays the caller's).  To
 * move a scheduled event, cancel it and schedule a new record. */
int hs_sim_schedule(hs_sim *sim, hs_event *ev, double t);
/* Cancels a scheduled event (see hs_evq_cancel). */
void hs_sim_cancel(hs_sim *sim, hs_event *ev);
/* Deciding late, in order: hs_sim_reserve_seq takes a place in the FIFO
 * order among simultaneous events now, and hs_sim_schedule_as(sim, ev, t,
 * seq), called later (t >= now), schedules ev in that place, as if it had
 * been scheduled at the reservation.  A handler that moves its record
 * several times can so place it once, at its end, without changing the
 * order of events.  Each reserved number is used at most once. */
uint64_t hs_sim_reserve_seq(hs_sim *sim);
int hs_sim_schedule_as(hs_sim *sim, hs_event *ev, double t, uint64_t seq);
/* Makes the running loop return after the current event (each call of
 * hs_sim_run starts with the request cleared). */
void hs_sim_stop(hs_sim *sim);
/* Runs events in (time, seq) order until the set is empty, the next event
 * lies after end_time (events at exactly end_time run), max_events have
 * been handled in this call (0 = no budget) or a handler calls stop.
 * When it stops because no event at or before a finite end_time is left,
 * the clock advances to end_time; after a budget or a stop it stays at the
 * last event's time, so a later call resumes exactly.  Not reentrant: a
 * handler must not call it.  An event whose type has no handler is
 * dropped (and counted). */
hs_sim_stats hs_sim_run(hs_sim *sim, double end_time, uint64_t max_events);
size_t hs_sim_pending(const hs_sim *sim);
/* Time of the earliest pending event, INFINITY when none. */
double hs_sim_next_time(hs_sim *sim);

#endif
