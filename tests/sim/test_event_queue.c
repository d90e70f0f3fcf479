/* Tests of the event pool and the future event set (sim/kernel/event.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kernel/event.h"

typedef struct fixture {
    hs_event_pool *pool;
    hs_evq *q;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->pool = hs_event_pool_create(16);
    assert_non_null(f->pool);
    f->q = hs_evq_create(f->pool);
    assert_non_null(f->q);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hs_evq_destroy(f->q);
    /* Destroying the queue gives every queued record back. */
    assert_int_equal(hs_event_pool_live(f->pool), 0);
    hs_event_pool_destroy(f->pool);
    free(f);
    return 0;
}

/* Pushes a fresh event at time t carrying tag. */
static hs_event *push_at(fixture *f, double t, uint64_t tag)
{
    hs_event *ev = hs_event_alloc(f->pool);
    assert_non_null(ev);
    ev->time = t;
    ev->data.u.a = tag;
    assert_int_equal(hs_evq_push(f->q, ev), 0);
    return ev;
}

/* Pops the next event, checks its tag and time, frees it. */
static void expect_pop(fixture *f, double t, uint64_t tag)
{
    hs_event *ev = hs_evq_pop(f->q);
    assert_non_null(ev);
    assert_true(ev->time == t);
    assert_int_equal(ev->data.u.a, tag);
    hs_event_free(f->pool, ev);
}

static void test_empty(void **state)
{
    fixture *f = *state;
    assert_null(hs_evq_pop(f->q));
    assert_null(hs_evq_peek(f->q));
    assert_int_equal(hs_evq_size(f->q), 0);
}

static void test_order_and_fifo_ties(void **state)
{
    fixture *f = *state;
    push_at(f, 2.0, 1);
    push_at(f, 1.0, 2);
    push_at(f, 2.0, 3);
    push_at(f, 0.5, 4);
    push_at(f, 1.0, 5);
    push_at(f, 2.0, 6);
    assert_int_equal(hs_evq_size(f->q), 6);
    assert_int_equal(hs_evq_peek(f->q)->data.u.a, 4);
    expect_pop(f, 0.5, 4);
    expect_pop(f, 1.0, 2);
    /* Ties created after pops go behind the events already waiting. */
    push_at(f, 1.0, 7);
    push_at(f, 2.0, 8);
    expect_pop(f, 1.0, 5);
    expect_pop(f, 1.0, 7);
    expect_pop(f, 2.0, 1);
    push_at(f, 2.0, 9);
    expect_pop(f, 2.0, 3);
    expect_pop(f, 2.0, 6);
    expect_pop(f, 2.0, 8);
    expect_pop(f, 2.0, 9);
    assert_null(hs_evq_pop(f->q));
}

/* Many events at one time, pushed in bursts between pops, come out in
 * push order however large the set is (this crosses every tier). */
static void test_fifo_ties_large(void **state)
{
    fixture *f = *state;
    uint64_t next_tag = 0, want = 0;
    for (int round = 0; round < 20; round++) {
        for (int i = 0; i < 500; i++)
            push_at(f, 3.0, next_tag++);
        for (int i = 0; i < 300; i++)
            expect_pop(f, 3.0, want++);
    }
    while (want < next_tag)
        expect_pop(f, 3.0, want++);
    assert_int_equal(hs_evq_size(f->q), 0);
}

static void test_push_rejects(void **state)
{
    fixture *f = *state;
    hs_event *ev = hs_event_alloc(f->pool);
    ev->time = NAN;
    assert_int_equal(hs_evq_push(f->q, ev), -1);
    ev->time = INFINITY;
    assert_int_equal(hs_evq_push(f->q, ev), -1);
    ev->time = 1.0;
    assert_int_equal(hs_evq_push(f->q, ev), 0);
    assert_int_equal(hs_evq_push(f->q, ev), -1);   /* already queued */
    assert_int_equal(hs_evq_size(f->q), 1);
    /* Freeing a queued record is refused: the queue still owns it. */
    hs_event_free(f->pool, ev);
    assert_int_equal(hs_event_pool_live(f->pool), 1);
    assert_ptr_equal(hs_evq_pop(f->q), ev);
    hs_event_free(f->pool, ev);
    assert_int_equal(hs_event_pool_live(f->pool), 0);
}

static void test_seq_increases(void **state)
{
    fixture *f = *state;
    hs_event *a = push_at(f, 5.0, 0), *b = push_at(f, 1.0, 1);
    assert_true(b->seq > a->seq);
}

/* hs_evq_push_as: entries of one time come out by the given numbers, not
 * by push order, wherever the time is routed (heap, rung or top). */
static void test_push_as(void **state)
{
    fixture *f = *state;
    static const uint64_t seqs[] = { 50, 10, 40, 20, 30 };
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 40; i++)               /* spread: rungs and top */
            push_at(f, 100.0 + i, 1000 + (uint64_t)i);
        for (int i = 0; i < 5; i++) {
            hs_event *ev = hs_event_alloc(f->pool);
            ev->time = round ? 120.0 : 0.5;        /* heap, then a rung */
            ev->data.u.a = seqs[i];
            assert_int_equal(hs_evq_push_as(f->q, ev, seqs[i]), 0);
            assert_true(ev->seq == seqs[i]);
        }
        if (round == 0)
            for (uint64_t k = 1; k <= 5; k++)
                expect_pop(f, 0.5, 10 * k);
        for (int i = 0; i < 40; i++) {
            if (round == 1 && i == 20)              /* numbers below the queue's */
                for (uint64_t k = 1; k <= 5; k++)
                    expect_pop(f, 120.0, 10 * k);
            expect_pop(f, 100.0 + i, 1000 + (uint64_t)i);
        }
    }
    assert_null(hs_evq_pop(f->q));
}

static void test_cancel_head_middle_last(void **state)
{
    fixture *f = *state;
    hs_event *ev[6];
    for (int i = 0; i < 6; i++)
        ev[i] = push_at(f, 1.0 + i, (uint64_t)i);
    assert_ptr_equal(hs_evq_peek(f->q), ev[0]);
    hs_evq_cancel(f->q, ev[0]);   /* head */
    hs_evq_cancel(f->q, ev[3]);   /* middle */
    hs_evq_cancel(f->q, ev[5]);   /* last */
    assert_int_equal(hs_evq_size(f->q), 3);
    assert_ptr_equal(hs_evq_peek(f->q), ev[1]);
    expect_pop(f, 2.0, 1);
    expect_pop(f, 3.0, 2);
    expect_pop(f, 5.0, 4);
    assert_null(hs_evq_pop(f->q));
    assert_int_equal(hs_evq_size(f->q), 0);
    /* Every cancelled record has gone back to the pool by now. */
    assert_int_equal(hs_event_pool_live(f->pool), 0);
}

/* Cancel, then push new events (they may reuse the cancelled records only
 * once the queue has dropped them), including at the cancelled times. */
static void test_cancel_then_repush(void **state)
{
    fixture *f = *state;
    hs_event *a = push_at(f, 1.0, 1);
    hs_event *b = push_at(f, 2.0, 2);
    push_at(f, 3.0, 3);
    hs_evq_cancel(f->q, b);
    hs_evq_cancel(f->q, b);       /* twice: ignored */
    assert_int_equal(hs_evq_size(f->q), 2);
    hs_event *c = push_at(f, 2.0, 4);
    assert_ptr_not_equal(c, b);   /* b is still held by the queue */
    hs_evq_cancel(f->q, a);
    push_at(f, 1.0, 5);
    push_at(f, 0.5, 6);
    assert_int_equal(hs_evq_size(f->q), 4);
    expect_pop(f, 0.5, 6);
    expect_pop(f, 1.0, 5);
    expect_pop(f, 2.0, 4);
    expect_pop(f, 3.0, 3);
    assert_int_equal(hs_evq_size(f->q), 0);
    assert_null(hs_evq_peek(f->q));
    assert_int_equal(hs_event_pool_live(f->pool), 0);
}

/* Cancelling most of a large set purges the dead entries in one pass. */
static void test_cancel_purge(void **state)
{
    fixture *f = *state;
    enum { N = 5000 };
    hs_event **ev = malloc(N * sizeof *ev);
    assert_non_null(ev);
    for (int i = 0; i < N; i++)
        ev[i] = push_at(f, (double)((i * 7919) % N), (uint64_t)((i * 7919) % N));
    for (int i = 0; i < N; i++)
        if (ev[i]->data.u.a % 10 != 0)
            hs_evq_cancel(f->q, ev[i]);
    assert_int_equal(hs_evq_size(f->q), N / 10);
    /* The purge ran: far fewer than the 4500 cancelled records are held. */
    assert_true(hs_event_pool_live(f->pool) < N / 10 + 1024 + 1);
    for (int t = 0; t < N; t += 10)
        expect_pop(f, (double)t, (uint64_t)t);
    assert_null(hs_evq_pop(f->q));
    assert_int_equal(hs_event_pool_live(f->pool), 0);
    free(ev);
}

static void test_cancel_not_queued_ignored(void **state)
{
    fixture *f = *state;
    hs_event *ev = push_at(f, 1.0, 1);
    assert_ptr_equal(hs_evq_pop(f->q), ev);
    hs_evq_cancel(f->q, ev);      /* popped: no longer queued */
    assert_int_equal(hs_evq_size(f->q), 0);
    assert_int_equal(ev->data.u.a, 1);
    hs_event_free(f->pool, ev);
}

static void test_pool_reuse(void **state)
{
    (void)state;
    hs_event_pool *pool = hs_event_pool_create(8);
    assert_non_null(pool);
    assert_int_equal(hs_event_pool_capacity(pool), 8);
    hs_event *ev[8];
    for (int i = 0; i < 8; i++) {
        ev[i] = hs_event_alloc(pool);
        assert_non_null(ev[i]);
        ev[i]->time = 1.0;
        ev[i]->data.u.a = 99;
    }
    assert_int_equal(hs_event_pool_live(pool), 8);
    assert_int_equal(hs_event_pool_capacity(pool), 8);
    for (int i = 0; i < 8; i++)
        hs_event_free(pool, ev[i]);
    assert_int_equal(hs_event_pool_live(pool), 0);
    /* The same records come back, zeroed, and the pool does not grow. */
    for (int i = 0; i < 8; i++) {
        hs_event *e = hs_event_alloc(pool);
        bool known = false;
        for (int j = 0; j < 8; j++)
            known = known || e == ev[j];
        assert_true(known);
        assert_true(e->time == 0.0 && e->data.u.a == 0 && e->flags == 0);
    }
    assert_int_equal(hs_event_pool_capacity(pool), 8);
    /* A ninth record needs a new slab; the old records stay where they are. */
    hs_event *extra = hs_event_alloc(pool);
    assert_non_null(extra);
    assert_true(hs_event_pool_capacity(pool) > 8);
    hs_event_pool_destroy(pool);
}

/* A steady churn (pop one, push one) never grows the pool. */
static void test_pool_steady_state(void **state)
{
    fixture *f = *state;
    uint64_t x = 12345;
    for (int i = 0; i < 1000; i++)
        push_at(f, (double)(i % 97), (uint64_t)i);
    size_t cap = hs_event_pool_capacity(f->pool);
    for (int i = 0; i < 100000; i++) {
        hs_event *ev = hs_evq_pop(f->q);
        assert_non_null(ev);
        double t = ev->time;
        hs_event_free(f->pool, ev);
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        push_at(f, t + (double)(x >> 40) / (double)(1 << 20), (uint64_t)i);
        if (i % 97 == 0) {   /* and some retiming */
            hs_event *v = hs_evq_peek(f->q);
            hs_evq_cancel(f->q, v);
            push_at(f, t + 1.0, (uint64_t)i);
        }
    }
    assert_int_equal(hs_evq_size(f->q), 1000);
    assert_int_equal(hs_event_pool_capacity(f->pool), cap);
}

/* ---- Randomized differential test against a sorted-array model. ---- */

typedef struct model_ent {
    double time;
    uint64_t seq;
    hs_event *ev;
} model_ent;

typedef struct model {
    model_ent *v;
    size_t n;
} model;

static bool model_before(const model_ent *a, const model_ent *b)
{
    return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void model_insert(model *m, model_ent e)
{
    size_t lo = 0, hi = m->n;   /* first entry after e */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (model_before(&e, &m->v[mid]))
            hi = mid;
        else
            lo = mid + 1;
    }
    memmove(&m->v[lo + 1], &m->v[lo], (m->n - lo) * sizeof *m->v);
    m->v[lo] = e;
    m->n++;
}

static void model_remove(model *m, size_t i)
{
    memmove(&m->v[i], &m->v[i + 1], (m->n - i - 1) * sizeof *m->v);
    m->n--;
}

static uint64_t rnd(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rnd01(uint64_t *s)
{
    return (double)(rnd(s) >> 11) * 0x1p-53;
}

/* A time drawn from one of several shapes: continuous, clustered on a grid
 * (many ties), far outliers, and earlier than the last pop. */
static double draw_time(uint64_t *s, double now)
{
    switch (rnd(s) % 6) {
    case 0: return now - log(1.0 - rnd01(s));
    case 1: return now + (double)(rnd(s) % 8);
    case 2: return floor(now) + (double)(rnd(s) % 4) * 0.25;
    case 3: return now + 1e6 * rnd01(s);
    case 4: return now - 10.0 * rnd01(s);
    default: return now + 1e-9 * (double)(rnd(s) % 3);
    }
}

static void run_differential(uint64_t seed, int steps, size_t max_n)
{
    hs_event_pool *pool = hs_event_pool_create(0);
    hs_evq *q = hs_evq_create(pool);
    assert_non_null(q);
    model m = {calloc(max_n + 1, sizeof(model_ent)), 0};
    assert_non_null(m.v);
    uint64_t s = seed;
    double now = 0.0;
    for (int step = 0; step < steps; step++) {
        /* Phases of growth and of draining make the set breathe. */
        bool grow = ((step / 5000) % 2 == 0);
        unsigned op = (unsigned)(rnd(&s) % 10);
        if (m.n < max_n && (op < (grow ? 6u : 3u) || m.n == 0)) {
            hs_event *ev = hs_event_alloc(pool);
            assert_non_null(ev);
            ev->time = draw_time(&s, now);
            assert_int_equal(hs_evq_push(q, ev), 0);
            model_insert(&m, (model_ent){ev->time, ev->seq, ev});
        } else if (op < 8 || m.n == 0) {
            hs_event *got = (op == 7) ? hs_evq_peek(q) : hs_evq_pop(q);
            if (m.n == 0) {
                assert_null(got);
                continue;
            }
            assert_ptr_equal(got, m.v[0].ev);
            if (op != 7) {
                now = got->time;
                model_remove(&m, 0);
                hs_event_free(pool, got);
            }
        } else {
            size_t i = (size_t)(rnd(&s) % m.n);
            hs_evq_cancel(q, m.v[i].ev);
            model_remove(&m, i);
        }
        assert_int_equal(hs_evq_size(q), m.n);
    }
    while (m.n > 0) {
        hs_event *got = hs_evq_pop(q);
        assert_ptr_equal(got, m.v[0].ev);
        model_remove(&m, 0);
        hs_event_free(pool, got);
    }
    assert_null(hs_evq_pop(q));
    assert_int_equal(hs_event_pool_live(pool), 0);
    hs_evq_destroy(q);
    hs_event_pool_destroy(pool);
    free(m.v);
}

static void test_differential_small(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++)
        run_differential(seed, 4000, 40);
}

static void test_differential_large(void **state)
{
    (void)state;
    for (uint64_t seed = 100; seed < 104; seed++)
        run_differential(seed, 60000, 6000);
}

/* Exponential delays as in PHOLD, at a size that builds finer rungs. */
static void test_differential_phold_like(void **state)
{
    (void)state;
    hs_event_pool *pool = hs_event_pool_create(0);
    hs_evq *q = hs_evq_create(pool);
    enum { N = 3000 };
    model m = {calloc(N + 1, sizeof(model_ent)), 0};
    uint64_t s = 7;
    for (int i = 0; i < N; i++) {
        hs_event *ev = hs_event_alloc(pool);
        ev->time = -log(1.0 - rnd01(&s));
        assert_int_equal(hs_evq_push(q, ev), 0);
        model_insert(&m, (model_ent){ev->time, ev->seq, ev});
    }
    for (int i = 0; i < 100000; i++) {
        hs_event *ev = hs_evq_pop(q);
        assert_ptr_equal(ev, m.v[0].ev);
        model_remove(&m, 0);
        ev->time += -log(1.0 - rnd01(&s));
        assert_int_equal(hs_evq_push(q, ev), 0);
        model_insert(&m, (model_ent){ev->time, ev->seq, ev});
    }
    assert_int_equal(hs_evq_size(q), N);
    hs_evq_destroy(q);
    assert_int_equal(hs_event_pool_live(pool), 0);
    hs_event_pool_destroy(pool);
    free(m.v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_order_and_fifo_ties, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fifo_ties_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_rejects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_seq_increases, setup, teardown),
        cmocka_unit_test_setup_teardown(test_push_as, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_head_middle_last, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_then_repush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_purge, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_not_queued_ignored, setup, teardown),
        cmocka_unit_test(test_pool_reuse),
        cmocka_unit_test_setup_teardown(test_pool_steady_state, setup, teardown),
        cmocka_unit_test(test_differential_small),
        cmocka_unit_test(test_differential_large),
        cmocka_unit_test(test_differential_phold_like),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
