/* Tests of the run loop (hs_sim_*, sim/kernel/event.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>

#include "sim/kernel/event.h"

enum { EV_LOG = 1, EV_OTHER = 2, EV_NOBODY = 3, EV_RETIME = 4, EV_DONE = 5 };

/* Records the (time, tag) sequence of handled events. */
typedef struct trace {
    double time[256];
    uint64_t tag[256];
    int n;
    int stop_at;            /* call hs_sim_stop on this event (1-based), 0 = never */
    int follow_ups;         /* events to schedule at now from each handler */
} trace;

static void on_log(hs_sim *sim, hs_event *ev, void *ctx)
{
    trace *t = ctx;
    assert_true(hs_sim_now(sim) == ev->time);
    assert_true(t->n < 256);
    t->time[t->n] = ev->time;
    t->tag[t->n] = ev->data.u.a;
    t->n++;
    if (t->stop_at && t->n == t->stop_at)
        hs_sim_stop(sim);
    for (int i = 0; i < t->follow_ups; i++) {
        hs_event *f = hs_sim_event(sim, EV_LOG);
        assert_non_null(f);
        f->data.u.a = 1000 + ev->data.u.a * 10 + (uint64_t)i;
        assert_int_equal(hs_sim_schedule(sim, f, hs_sim_now(sim)), 0);
    }
}

static hs_event *sched(hs_sim *sim, uint16_t type, double t, uint64_t tag)
{
    hs_event *ev = hs_sim_event(sim, type);
    assert_non_null(ev);
    assert_int_equal(ev->type, type);
    ev->data.u.a = tag;
    assert_int_equal(hs_sim_schedule(sim, ev, t), 0);
    return ev;
}

static void test_end_time(void **state)
{
    (void)state;
    hs_sim *sim = hs_sim_create();
    trace t = {0};
    hs_sim_on(sim, EV_LOG, on_log, &t);
    sched(sim, EV_LOG, 1.0, 1);
    sched(sim, EV_LOG, 2.0, 2);
    sched(sim, EV_LOG, 3.0, 3);
    /* Events at exactly end_time run; the clock then sits at end_time. */
    hs_sim_stats s = hs_sim_run(sim, 2.0, 0);
    assert_int_equal(s.events, 2);
    assert_true(s.end_time == 2.0 && hs_sim_now(sim) == 2.0);
    assert_int_equal(hs_sim_pending(sim), 1);
    /* Nothing before 2.5: the clock still advances to it. */
    s = hs_sim_run(sim, 2.5, 0);
    assert_int_equal(s.events, 0);
    assert_true(s.end_time == 2.5);
    /* Without an end the loop drains the set and stops at the last event. */
    s = hs_sim_run(sim, INFINITY, 0);
    assert_int_equal(s.events, 1);
    assert_true(s.end_time == 3.0);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.tag[2], 3);
    /* An empty set with a finite end: the clock still reaches it. */
    s = hs_sim_run(sim, 10.0, 0);
    assert_int_equal(s.events, 0);
    assert_true(hs_sim_now(sim) == 10.0);
    /* An end in the past runs nothing and never moves the clock back. */
    sched(sim, EV_LOG, 11.0, 4);
    s = hs_sim_run(sim, 5.0, 0);
    assert_int_equal(s.events, 0);
    assert_true(hs_sim_now(sim) == 10.0);
    s = hs_sim_run(sim, NAN, 0);
    assert_int_equal(s.events, 0);
    hs_sim_destroy(sim);
}

static void test_event_budget(void **state)
{
    (void)state;
    hs_sim *sim = hs_sim_create();
    trace t = {0};
    hs_sim_on(sim, EV_LOG, on_log, &t);
    for (int i = 0; i < 5; i++)
        sched(sim, EV_LOG, 1.0 + i, (uint64_t)i);
    hs_sim_stats s = hs_sim_run(sim, 100.0, 2);
    assert_int_equal(s.events, 2);
    /* A budget stop leaves the clock at the last event, not at end_time. */
    assert_true(s.end_time == 2.0);
    assert_int_equal(hs_sim_pending(sim), 3);
    /* The budget counts per call; resuming continues in order. */
    s = hs_sim_run(sim, 100.0, 2);
    assert_int_equal(s.events, 2);
    assert_true(s.end_time == 4.0);
    s = hs_sim_run(sim, 100.0, 0);
    assert_int_equal(s.events, 1);
    assert_true(s.end_time == 100.0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(t.tag[i], (uint64_t)i);
    hs_sim_destroy(sim);
}

static void test_schedule_rejects_past(void **state)
{
    (void)state;
    hs_sim *sim = hs_sim_create();
    trace t = {0};
    hs_sim_on(sim, EV_LOG, on_log, &t);
    sched(sim, EV_LOG, 5.0, 1);
    hs_sim_run(sim, INFINITY, 0);
    assert_true(hs_sim_now(sim) == 5.0);
    hs_event *ev = hs_sim_event(sim, EV_LOG);
    assert_int_equal(hs_sim_schedule(sim, ev, 4.999), -1);
    assert_int_equal(hs_sim_schedule(sim, ev, NAN), -1);
    assert_int_equal(hs_sim_schedule(sim, ev, INFINITY), -1);
    assert_int_equal(hs_sim_schedule(sim, ev, -INFINITY), -1);
    assert_int_equal(hs_sim_schedule(sim, NULL, 6.0), -1);
    assert_int_equal(hs_sim_pending(sim), 0);
    /* Now (a zero delay) is allowed. */
    assert_int_equal(hs_sim_schedule(sim, ev, 5.0), 0);
    assert_int_equal(hs_sim_pending(sim), 1);
    /* A queued record cannot be scheduled again, and keeps its time. */
    assert_int_equal(hs_sim_schedule(sim, ev, 7.0), -1);
    assert_true(ev->time == 5.0);
    assert_int_equal(hs_sim_pending(sim), 1);
    hs_event *spare = hs_sim_event(sim, EV_LOG);
    hs_sim_event_free(sim, spare);
    hs_sim_destroy(sim);
}

static int other_count;

static void on_other(hs_sim *sim, hs_event *ev, void *ctx)
{
    (void)sim;
    assert_int_equal(ev->type, EV_OTHER);
    assert_ptr_equal(ctx, &other_count);
    other_count++;
}

static void test_handler_table(void **state)
{
    (void)state;
    hs_sim *sim = hs_sim_create();
    trace t = {0};
    other_count = 0;
    hs_sim_on(sim, EV_LOG, on_log, &t);
    hs_sim_on(sim, EV_OTHER, on_other, &other_count);
    hs_sim_on(sim, HS_SIM_MAX_EVENT_TYPES, on_other, NULL);   /* ignored */
    sched(sim, EV_LOG, 1.0, 1);
    sched(sim, EV_OTHER, 1.5, 2);
    sched(sim, EV_NOBODY, 2.0, 3);
    sched(sim, HS_SIM_MAX_EVENT_TYPES + 7, 2.5, 4);
    sched(sim, EV_OTHER, 3.0, 5);
    hs_sim_stats s = hs_sim_run(sim, INFINITY, 0);
    /* Events of types without a handler are dropped but counted. */
    assert_int_equal(s.events, 5);
    assert_int_equal(t.n, 1);
    assert_int_equal(other_count, 2);
    hs_sim_destroy(sim);
}

/* Events scheduled at `now` by a handler run after those already waiting
 * at that time (FIFO among equal times). */
static void test_loop_fifo_ties(void **state)
{
    (void)state;
    hs_sim *sim = hs_sim_create();
    trace t = {.follow_ups = 1};
    hs_sim_on(sim, EV_LOG, on_log, &t);
    sched(sim, EV_LOG, 1.0, 1);
    sched(sim, EV_LOG, 1.0, 2);
    hs_sim_run(sim, INFINITY, 5);
    uint64_t want[] = {1, 2, 1010, 1020, 11100};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(t.tag[i], want[i]);
        assert_true(t.time[i] == 1.0);
    }
    hs_sim_destroy(sim);
}

static void test_stop(void **state)
{
    (void)state;
    hs_sim *sim = hs_sim_create();
    trace t = {.stop_at = 2};
    hs_sim_on(sim, EV_LOG, on_log, &t);
    for (int i = 0; i < 4; i++)
        sched(sim, EV_LOG, 1.0 + i, (uint64_t)i);
    hs_sim_stats s = hs_sim_run(sim, 10.0, 0);
    assert_int_equal(s.events, 2);
    assert_true(s.end_time == 2.0);   /* a stop does not jump to end_time */
    t.stop_at = 0;
    s = hs_sim_run(sim, 10.0, 0);      /* and a new call runs again */
    assert_int_equal(s.events, 2);
    hs_sim_destroy(sim);
}

/* A completion that is re-timed: cancel the scheduled event and schedule a
 * new one; also a handler that schedules its own record again. */
typedef struct retimer {
    hs_event *done;     /* the pending completion */
    double done_at;     /* when it finally ran */
    int ticks;
} retimer;

static void on_retime(hs_sim *sim, hs_event *ev, void *ctx)
{
    retimer *r = ctx;
    hs_sim_cancel(sim, r->done);
    r->done = hs_sim_event(sim, EV_DONE);
    assert_int_equal(hs_sim_schedule(sim, r->done, hs_sim_now(sim) + 10.0), 0);
    if (++r->ticks < 5)   /* reuse the record: the loop must not free it */
        assert_int_equal(hs_sim_schedule(sim, ev, hs_sim_now(sim) + 1.0), 0);
}

static void on_done(hs_sim *sim, hs_event *ev, void *ctx)
{
    retimer *r = ctx;
    assert_ptr_equal(ev, r->done);
    r->done_at = hs_sim_now(sim);
}

static void test_retime_and_reuse(void **state)
{
    (void)state;
    hs_sim *sim = hs_sim_create();
    retimer r = {0};
    hs_sim_on(sim, EV_RETIME, on_retime, &r);
    hs_sim_on(sim, EV_DONE, on_done, &r);
    r.done = sched(sim, EV_DONE, 3.0, 0);
    sched(sim, EV_RETIME, 1.0, 0);
    hs_sim_stats s = hs_sim_run(sim, INFINITY, 0);
    assert_int_equal(r.ticks, 5);
    assert_true(r.done_at == 15.0);    /* the last tick at 5.0, plus 10 */
    assert_int_equal(s.events, 6);     /* 5 ticks, 1 completion */
    assert_int_equal(hs_sim_pending(sim), 0);
    hs_sim_destroy(sim);
}

/* A small random model run twice gives the same event sequence. */
typedef struct chain {
    uint64_t x, hash;
} chain;

static void on_chain(hs_sim *sim, hs_event *ev, void *ctx)
{
    chain *c = ctx;
    c->hash = (c->hash ^ (uint64_t)(ev->time * 1e6) ^ (ev->data.u.a << 40)) * 0x100000001b3ull;
    c->x = c->x * 6364136223846793005ull + 1442695040888963407ull;
    hs_event *n = hs_sim_event(sim, EV_LOG);
    n->data.u.a = c->x >> 60;
    /* Delays on a coarse grid make plenty of ties. */
    hs_sim_schedule(sim, n, hs_sim_now(sim) + (double)((c->x >> 33) % 4) * 0.5);
}

static uint64_t chain_run(void)
{
    hs_sim *sim = hs_sim_create();
    chain c = {42, 0xcbf29ce484222325ull};
    hs_sim_on(sim, EV_LOG, on_chain, &c);
    for (uint64_t i = 0; i < 50; i++)
        sched(sim, EV_LOG, (double)(i % 5), i);
    hs_sim_stats s = hs_sim_run(sim, INFINITY, 20000);
    assert_int_equal(s.events, 20000);
    assert_int_equal(hs_sim_pending(sim), 50);
    hs_sim_destroy(sim);
    return c.hash;
}

static void test_determinism(void **state)
{
    (void)state;
    uint64_t a = chain_run(), b = chain_run();
    assert_true(a == b);
    assert_true(a != 0xcbf29ce484222325ull);
}

/* The loop holds a record its handler schedules again and handles it next
 * without the queue when it comes first: that must not change the order.
 * A random model whose handler schedules its successor and a side event
 * runs twice: with fresh records (successor pushed first), and reusing the
 * handled record for the successor, scheduled last but in the place
 * reserved before the side event (hs_sim_reserve_seq, hs_sim_schedule_as).
 * Both give the same (time, tag) sequence, and queries made in the handler
 * (next time, pending) count the held record. */
typedef struct relay {
    uint64_t x, hash;
    bool reuse;
    int sides;              /* side events still to make */
} relay;

static void on_relay(hs_sim *sim, hs_event *ev, void *ctx)
{
    relay *c = ctx;
    double now = hs_sim_now(sim);
    c->hash = (c->hash ^ (uint64_t)(now * 1e6) ^ (ev->data.u.a << 40)) * 0x100000001b3ull;
    c->x = c->x * 6364136223846793005ull + 1442695040888963407ull;
    uint64_t tag = c->x >> 60;
    double t1 = now + (double)((c->x >> 33) % 4) * 0.5, t2 = now + (double)((c->x >> 40) % 3) * 0.5;
    bool side = c->sides > 0 && ((c->x >> 20) & 1);
    size_t before = hs_sim_pending(sim);
    uint64_t seq = c->reuse ? hs_sim_reserve_seq(sim) : 0;
    hs_event *n = c->reuse ? NULL : hs_sim_event(sim, EV_LOG);
    if (n) {
        n->data.u.a = tag;
        assert_int_equal(hs_sim_schedule(sim, n, t1), 0);
    }
    if (side) {
        c->sides--;
        hs_event *e = hs_sim_event(sim, EV_LOG);
        e->data.u.a = 15;
        assert_int_equal(hs_sim_schedule(sim, e, t2), 0);
    }
    if (c->reuse) {
        ev->data.u.a = tag;
        assert_int_equal(hs_sim_schedule_as(sim, ev, t1, seq), 0);
        assert_int_equal(hs_sim_schedule(sim, ev, t1), -1);    /* already scheduled */
    }
    assert_int_equal(hs_sim_pending(sim), before + 1 + side);
    assert_true(hs_sim_next_time(sim) <= t1);
}

static uint64_t relay_run(bool reuse, uint64_t *events)
{
    hs_sim *sim = hs_sim_create();
    relay c = {7, 0xcbf29ce484222325ull, reuse, 300};
    hs_sim_on(sim, EV_LOG, on_relay, &c);
    for (uint64_t i = 0; i < 20; i++)
        sched(sim, EV_LOG, (double)(i % 3), i);
    /* In slices, so that held records also cross the loop's returns. */
    *events = 0;
    for (int k = 0; k < 40; k++)
        *events += hs_sim_run(sim, INFINITY, 97).events;
    /* Every event has one successor, and each side event starts a chain. */
    assert_int_equal(hs_sim_pending(sim), 20 + 300);
    hs_sim_destroy(sim);
    return c.hash;
}

static void test_held_record_order(void **state)
{
    (void)state;
    uint64_t na, nb;
    uint64_t a = relay_run(false, &na), b = relay_run(true, &nb);
    assert_int_equal(na, 40 * 97);
    assert_int_equal(na, nb);
    assert_true(a == b);
}

/* A handler that schedules its own record again and then cancels it: the
 * record goes back to the pool and never runs. */
static hs_event *cancelled;

static void on_cancel_self(hs_sim *sim, hs_event *ev, void *ctx)
{
    trace *t = ctx;
    t->n++;
    cancelled = ev;
    assert_int_equal(hs_sim_schedule(sim, ev, hs_sim_now(sim) + 1), 0);
    assert_int_equal(hs_sim_pending(sim), 1);
    hs_sim_cancel(sim, ev);
    assert_int_equal(hs_sim_pending(sim), 0);
    assert_true(isinf(hs_sim_next_time(sim)));
}

static void test_cancel_held(void **state)
{
    (void)state;
    hs_sim *sim = hs_sim_create();
    trace t = {0};
    hs_sim_on(sim, EV_OTHER, on_cancel_self, &t);
    sched(sim, EV_OTHER, 1.0, 0);
    hs_sim_stats s = hs_sim_run(sim, INFINITY, 0);
    assert_int_equal(s.events, 1);
    assert_int_equal(t.n, 1);
    assert_int_equal(hs_sim_pending(sim), 0);
    /* The record is back in the pool: the next one handed out (LIFO) is it. */
    hs_event *ev = hs_sim_event(sim, EV_OTHER);
    assert_ptr_equal(ev, cancelled);
    hs_sim_event_free(sim, ev);
    hs_sim_destroy(sim);
}

/* A record its handler schedules again after end_time stays pending
 * across the loop's return, in its place: here before an event at the
 * same time that was scheduled after it. */
static void on_hop(hs_sim *sim, hs_event *ev, void *ctx)
{
    trace *t = ctx;
    t->tag[t->n] = ev->data.u.a;
    t->time[t->n++] = hs_sim_now(sim);
    if (ev->data.u.a == 1 && hs_sim_now(sim) < 2) {
        assert_int_equal(hs_sim_schedule(sim, ev, 3.0), 0);
        sched(sim, EV_OTHER, 3.0, 2);
    }
}

static void test_held_crosses_end(void **state)
{
    (void)state;
    hs_sim *sim = hs_sim_create();
    trace t = {0};
    hs_sim_on(sim, EV_OTHER, on_hop, &t);
    sched(sim, EV_OTHER, 1.0, 1);
    hs_sim_stats s = hs_sim_run(sim, 2.0, 0);
    assert_int_equal(s.events, 1);
    assert_true(hs_sim_now(sim) == 2.0);
    assert_int_equal(hs_sim_pending(sim), 2);
    assert_true(hs_sim_next_time(sim) == 3.0);
    s = hs_sim_run(sim, INFINITY, 0);
    assert_int_equal(s.events, 2);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.tag[1], 1);
    assert_int_equal(t.tag[2], 2);
    hs_sim_destroy(sim);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_end_time),
        cmocka_unit_test(test_event_budget),
        cmocka_unit_test(test_schedule_rejects_past),
        cmocka_unit_test(test_handler_table),
        cmocka_unit_test(test_loop_fifo_ties),
        cmocka_unit_test(test_stop),
        cmocka_unit_test(test_retime_and_reuse),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_held_record_order),
        cmocka_unit_test(test_cancel_held),
        cmocka_unit_test(test_held_crosses_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
