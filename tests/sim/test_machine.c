/* Unit tests of the fluid simulated machine (sim/machine/machine.h) on the event
 * kernel.  Each case states its closed-form answer in a comment.  The last
 * group reproduces the seed papers' measured contention on a Snapdragon
 * 8 Gen 3 configuration (sources in the comments). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/machine/machine.h"

#define GB 1e9
#define MB 1e6

enum { EV_MACHINE = 3, EV_START = 4, EV_ABORT = 5 };

static void check_close(double a, double b, double rel, const char *what, int line)
{
    if (a == b)
        return;
    double scale = fmax(fabs(a), fabs(b));
    if (!(fabs(a - b) <= rel * scale + 1e-300)) {
        print_error("line %d: %s: %.17g != %.17g\n", line, what, a, b);
        fail();
    }
}
#define assert_close(a, b) check_close((a), (b), 1e-9, #a, __LINE__)
#define assert_near(a, b, rel) check_close((a), (b), (rel), #a, __LINE__)

/* ---- Harness: a simulator, a machine and a log of completions. -------- */

typedef struct done_rec {
    int id;
    void *user;
    double t;
} done_rec;

typedef struct harness harness;
typedef void (*chain_fn)(harness *h, int id, void *user);

struct harness {
    hs_sim *sim;
    hs_machine *m;
    done_rec *done;
    int ndone, done_cap;
    chain_fn chain;          /* called after each completion */
    void *state;
    double bw_t[256], bw_used[256];
    int nbw;
};

static void on_done(hs_machine *m, int id, void *user, void *ctx)
{
    (void)m;
    harness *h = ctx;
    if (h->ndone == h->done_cap) {
        h->done_cap = h->done_cap ? 2 * h->done_cap : 64;
        h->done = realloc(h->done, (size_t)h->done_cap * sizeof(done_rec));
        assert_non_null(h->done);
    }
    h->done[h->ndone++] = (done_rec){ id, user, hs_sim_now(h->sim) };
    if (h->chain)
        h->chain(h, id, user);
}

static void on_bw(hs_machine *m, double t, const double *used, size_t n, void *ctx)
{
    (void)m;
    (void)n;
    harness *h = ctx;
    if (h->nbw < 256) {
        h->bw_t[h->nbw] = t;
        h->bw_used[h->nbw++] = used[0];
    }
}

/* A kernel to start later, by an EV_START event. */
typedef struct later {
    harness *h;
    int pu;
    hs_kernel_work w;
    int id;
} later;

static void start_later(hs_sim *sim, hs_event *ev, void *ctx)
{
    (void)sim;
    (void)ctx;
    later *l = ev->data.ptr.p;
    l->id = hs_machine_start(l->h->m, l->pu, &l->w);
    assert_true(l->id >= 0);
}

static void at(harness *h, later *l, double t)
{
    l->h = h;
    hs_event *ev = hs_sim_event(h->sim, EV_START);
    ev->data.ptr.p = l;
    assert_int_equal(hs_sim_schedule(h->sim, ev, t), 0);
}

static void harness_init(harness *h, const hs_domain_conf *doms, size_t nd,
                         const hs_pu_conf *pus, size_t np)
{
    memset(h, 0, sizeof(*h));
    h->sim = hs_sim_create();
    assert_non_null(h->sim);
    hs_machine_conf c = { .domains = doms, .ndomains = nd, .pus = pus, .npus = np,
                          .event_type = EV_MACHINE, .on_done = on_done, .ctx = h };
    h->m = hs_machine_create(h->sim, &c);
    assert_non_null(h->m);
    hs_sim_on(h->sim, EV_START, start_later, NULL);
    hs_machine_on_bandwidth(h->m, on_bw, h);
}

static void harness_fini(harness *h)
{
    hs_machine_destroy(h->m);
    hs_sim_destroy(h->sim);
    free(h->done);
}

static double finish_of(const harness *h, void *user)
{
    for (int i = 0; i < h->ndone; i++)
        if (h->done[i].user == user)
            return h->done[i].t;
    fail_msg("no completion for %p", user);
    return NAN;
}

static int start(harness *h, int pu, double T, double Q, void *user)
{
    hs_kernel_work w = { .compute_s = T, .bytes = Q, .user = user };
    return hs_machine_start(h->m, pu, &w);
}

static void run(harness *h) { hs_sim_run(h->sim, INFINITY, 0); }

/* The simple machine of most cases: DRAM 60 GB/s, PUs A and B capped at
 * 43 GB/s, C uncapped, S a processor-sharing PU (unlimited slots). */
static const hs_domain_conf DRAM60[] = { { .name = "dram", .bandwidth = 60 * GB } };
static const hs_pu_conf PUS[] = {
    { .name = "A", .domain = 0, .bandwidth_cap = 43 * GB, .slots = 1 },
    { .name = "B", .domain = 0, .bandwidth_cap = 43 * GB, .slots = 1 },
    { .name = "C", .domain = 0, .slots = 2 },
    { .name = "S", .domain = 0, .slots = HS_MACHINE_SLOTS_UNLIMITED },
};
enum { A, B, C, S };

/* A lone memory-bound kernel (T = 1 ms, Q = 86 MB, so d = 86 GB/s) gets
 * x = min(d, cap 43, DRAM 60) = 43 GB/s and ends at 86 MB / 43 GB/s = 2 ms;
 * on the uncapped C: 86 MB / 60 GB/s = 1.4333 ms.  A compute-bound one
 * (T = 3 ms, Q = 30 MB: d = 10 GB/s) ends at T. */
static void test_lone_kernels(void **state)
{
    (void)state;
    harness h;
    harness_init(&h, DRAM60, 1, PUS, 4);
    int a = start(&h, A, 1e-3, 86 * MB, "a");
    assert_true(a >= 0);
    assert_close(hs_machine_kernel_bandwidth(h.m, a), 43 * GB);
    assert_close(hs_machine_kernel_finish(h.m, a), 2e-3);
    hs_kernel_work w = { 1e-3, 86 * MB, NULL, 0 };
    assert_close(hs_machine_standalone_time(h.m, A, &w), 2e-3);
    assert_close(hs_machine_standalone_time(h.m, C, &w), 86 * MB / (60 * GB));
    run(&h);
    assert_int_equal(h.ndone, 1);
    assert_close(finish_of(&h, "a"), 2e-3);
    assert_int_equal(h.done[0].id, a);
    start(&h, C, 1e-3, 86 * MB, "c");
    start(&h, B, 3e-3, 30 * MB, "g");
    run(&h);
    /* From 2 ms, c (on C, d = 86 GB/s) beside g (d = 10 GB/s): g is
     * below its fair share and keeps 10, c gets min(86, 60 - 10) = 50:
     * c ends at 2 ms + 86 MB / 50 GB/s = 3.72 ms, g at 2 + 3 = 5 ms. */
    assert_close(finish_of(&h, "c"), 2e-3 + 86 * MB / (50 * GB));
    assert_close(finish_of(&h, "g"), 5e-3);
    assert_false(hs_machine_is_running(h.m, a));
    assert_int_equal(hs_machine_running(h.m), 0);
    harness_fini(&h);
}

/* Two memory-bound kernels on A and B share the DRAM: 60 / 2 = 30 GB/s
 * each (below the caps).  Q_b = 30 MB ends at 30 MB / 30 GB/s = 1 ms.
 * Then a, with 60 - 30 = 30 MB left, runs alone at min(43, 60) = 43 GB/s
 * and ends at 1 ms + 30 MB / 43 GB/s.  The observer sees 30+30 = 60 from
 * 0 (after a first 43 when a starts alone), 43 from 1 ms, 0 at the end. */
static void test_two_corunning(void **state)
{
    (void)state;
    harness h;
    harness_init(&h, DRAM60, 1, PUS, 4);
    int a = start(&h, A, 1e-6, 60 * MB, "a");
    int b = start(&h, B, 1e-6, 30 * MB, "b");
    assert_close(hs_machine_kernel_bandwidth(h.m, a), 30 * GB);
    assert_close(hs_machine_kernel_bandwidth(h.m, b), 30 * GB);
    assert_close(hs_machine_domain_used(h.m, 0), 60 * GB);
    assert_close(hs_machine_pu_bandwidth(h.m, A), 30 * GB);
    assert_true(isinf(hs_machine_domain_demand(h.m, 0)) ||
                hs_machine_domain_demand(h.m, 0) > 60 * GB);
    run(&h);
    double t1 = 1e-3, t2 = 1e-3 + 30 * MB / (43 * GB);
    assert_close(finish_of(&h, "b"), t1);
    assert_close(finish_of(&h, "a"), t2);
    assert_int_equal(h.nbw, 4);
    assert_close(h.bw_used[0], 43 * GB);
    assert_close(h.bw_used[1], 60 * GB);
    assert_close(h.bw_t[2], t1);
    assert_close(h.bw_used[2], 43 * GB);
    assert_close(h.bw_t[3], t2);
    assert_true(h.bw_used[3] == 0);
    /* Traffic integrates to the bytes moved: 90 MB. */
    assert_close(hs_machine_domain_bytes(h.m, 0, t2), 90 * MB);
    /* The peak is the highest total the solver gave: 60 GB/s while both
     * ran, though the domain ends idle and a alone drew 43. */
    assert_close(hs_machine_domain_peak(h.m, 0), 60 * GB);
    harness_fini(&h);
}

/* Compute-bound kernels are unaffected by a memory-bound neighbour.
 * GEMM-like g on A: T = 10 ms, Q = 100 MB (d = 10 GB/s); stream s on the
 * uncapped C: Q = 300 MB.  g keeps x = 10 and ends at T = 10 ms; s gets
 * min(inf, 60 - 10) = 50 GB/s and ends at 6 ms (5 ms alone). */
static void test_compute_bound_unaffected(void **state)
{
    (void)state;
    harness h;
    harness_init(&h, DRAM60, 1, PUS, 4);
    start(&h, A, 10e-3, 100 * MB, "g");
    start(&h, C, 0, 300 * MB, "s");
    run(&h);
    assert_close(finish_of(&h, "g"), 10e-3);
    assert_close(finish_of(&h, "s"), 6e-3);
    harness_fini(&h);
}

/* Processor sharing on S (unlimited slots).  Two jobs of T = 1 s: each
 * gets 1/2 of the compute and both end at 2 s.  With a third arriving at
 * 0.5 s: by then 1 and 2 have 0.75 left, and at 1/3 each they end at
 * 0.5 + 3 (0.75) = 2.75 s; job 3 has 1 - 2.25 / 3 = 0.25 left, alone it
 * ends at 3 s (3 s of work in all, the PU never idle). */
static void test_processor_sharing(void **state)
{
    (void)state;
    harness h;
    harness_init(&h, DRAM60, 1, PUS, 4);
    start(&h, S, 1, 0, "1");
    start(&h, S, 1, 0, "2");
    assert_int_equal(hs_machine_pu_running(h.m, S), 2);
    assert_true(hs_machine_pu_has_free_slot(h.m, S));
    run(&h);
    assert_close(finish_of(&h, "1"), 2);
    assert_close(finish_of(&h, "2"), 2);

    harness_fini(&h);
    harness_init(&h, DRAM60, 1, PUS, 4);
    start(&h, S, 1, 0, "1");
    start(&h, S, 1, 0, "2");
    later l3 = { .pu = S, .w = { 1, 0, "3", 0 } };
    at(&h, &l3, 0.5);
    run(&h);
    assert_close(finish_of(&h, "1"), 2.75);
    assert_close(finish_of(&h, "2"), 2.75);
    assert_close(finish_of(&h, "3"), 3.0);
    assert_close(hs_machine_pu_busy_time(h.m, S, 3.0), 3.0);

    /* Sharing also divides the bandwidth bound: two kernels of T = 1 ms,
     * Q = 20 MB each on S: d = 20 MB / (2 x 1 ms) = 10 GB/s each, far
     * below the DRAM, so both are compute-bound at 1/2 and end at 2 ms
     * (plus 3 s: the clock is at 3 s). */
    int m1 = start(&h, S, 1e-3, 20 * MB, "m1");
    assert_close(hs_machine_kernel_bandwidth(h.m, m1), 20 * GB);
    start(&h, S, 1e-3, 20 * MB, "m2");
    assert_close(hs_machine_kernel_bandwidth(h.m, m1), 10 * GB);
    run(&h);
    assert_close(finish_of(&h, "m1"), 3.002);
    assert_close(finish_of(&h, "m2"), 3.002);
    harness_fini(&h);
}

/* Slots: A (1 slot) refuses a second kernel, C (2 slots) a third. */
static void test_slots(void **state)
{
    (void)state;
    harness h;
    harness_init(&h, DRAM60, 1, PUS, 4);
    assert_true(hs_machine_pu_has_free_slot(h.m, A));
    assert_true(start(&h, A, 1, 0, "a1") >= 0);
    assert_false(hs_machine_pu_has_free_slot(h.m, A));
    assert_int_equal(start(&h, A, 1, 0, "a2"), -1);
    assert_true(start(&h, C, 1, 0, "c1") >= 0);
    assert_true(start(&h, C, 1, 0, "c2") >= 0);
    assert_int_equal(start(&h, C, 1, 0, "c3"), -1);
    assert_int_equal(hs_machine_pu_slots(h.m, A), 1);
    assert_int_equal(hs_machine_pu_slots(h.m, S), HS_MACHINE_SLOTS_UNLIMITED);
    assert_int_equal(start(&h, 9, 1, 0, "bad"), -1);
    assert_int_equal(start(&h, B, -1, 0, "bad"), -1);
    assert_int_equal(start(&h, B, 1, NAN, "bad"), -1);
    size_t n;
    const int *ids = hs_machine_pu_kernels(h.m, C, &n);
    assert_int_equal(n, 2);
    assert_ptr_equal(hs_machine_kernel_user(h.m, ids[0]), "c1");
    assert_int_equal(hs_machine_pu_find(h.m, "C"), C);
    assert_int_equal(hs_machine_pu_find(h.m, "nope"), -1);
    assert_string_equal(hs_machine_pu_name(h.m, B), "B");
    /* A zero-work kernel completes at once (an event at now). */
    assert_true(start(&h, B, 0, 0, "z") >= 0);
    hs_sim_run(h.sim, 0, 0);
    assert_close(finish_of(&h, "z"), 0);
    run(&h);
    assert_close(finish_of(&h, "c1"), 2);     /* two sharing C: 2 s */
    harness_fini(&h);
}

/* Energy.  A: 5 W active, 1 W idle; B: 3 W / 0.5 W; DRAM 0.1 nJ/B at
 * 10 GB/s.  A computes 2 s from t = 1; B streams 1 GB (0.1 s) from 0.
 * At t = 4: A = 5 x 2 + 1 x 2 = 12 J; B = 3 x 0.1 + 0.5 x 3.9 = 2.25 J;
 * DRAM = 1e9 x 1e-10 = 0.1 J; total 14.35 J. */
static void test_energy(void **state)
{
    (void)state;
    static const hs_domain_conf dram[] = {
        { .name = "dram", .bandwidth = 10 * GB, .energy_per_byte = 1e-10 } };
    static const hs_pu_conf pus[] = {
        { .name = "A", .domain = 0, .active_power_w = 5, .idle_power_w = 1 },
        { .name = "B", .domain = 0, .active_power_w = 3, .idle_power_w = 0.5 },
    };
    harness h;
    harness_init(&h, dram, 1, pus, 2);
    later la = { .pu = 0, .w = { 2, 0, "a", 0 } };
    at(&h, &la, 1);
    start(&h, 1, 0, 1 * GB, "b");
    run(&h);
    assert_close(finish_of(&h, "b"), 0.1);
    assert_close(finish_of(&h, "a"), 3);
    assert_close(hs_machine_pu_busy_time(h.m, 0, 4), 2);
    assert_close(hs_machine_pu_energy(h.m, 0, 4), 12);
    assert_close(hs_machine_pu_energy(h.m, 1, 4), 2.25);
    assert_close(hs_machine_domain_bytes(h.m, 0, 4), 1 * GB);
    assert_close(hs_machine_domain_energy(h.m, 0, 4), 0.1);
    assert_close(hs_machine_energy(h.m, 4), 14.35);
    harness_fini(&h);
}

/* Prediction leaves no trace.  With a on A streaming alone at 43 GB/s, a
 * kernel on B streaming Q = 43 MB would get 30 GB/s (DRAM 60 / 2): rate
 * 30/43 per ms, time 43 MB / 30 GB/s, standalone 1 ms, slowdown 43/30,
 * and it would slow a by 43/30 too. */
static void test_predict(void **state)
{
    (void)state;
    harness h;
    harness_init(&h, DRAM60, 1, PUS, 4);
    int a = start(&h, A, 0, 86 * MB, "a");
    double fin = hs_machine_kernel_finish(h.m, a);
    hs_bw_stats s0 = hs_bw_get_stats(hs_machine_solver(h.m));
    hs_machine_prediction p;
    hs_kernel_work w = { 0, 43 * MB, NULL, 0 };
    assert_int_equal(hs_machine_predict(h.m, B, &w, &p), 0);
    assert_close(p.bandwidth, 30 * GB);
    assert_close(p.time_s, 43 * MB / (30 * GB));
    assert_close(p.standalone_s, 1e-3);
    assert_close(p.slowdown, 43.0 / 30);
    assert_close(p.domain_used, 60 * GB);
    assert_close(p.others_slowdown, 43.0 / 30);
    /* Nothing moved. */
    assert_false(hs_bw_dirty(hs_machine_solver(h.m)));
    assert_true(hs_machine_kernel_finish(h.m, a) == fin);
    assert_close(hs_machine_kernel_bandwidth(h.m, a), 43 * GB);
    assert_close(hs_machine_domain_used(h.m, 0), 43 * GB);
    assert_int_equal(hs_bw_get_stats(hs_machine_solver(h.m)).solves, s0.solves);
    /* A compute-only kernel on the shared S beside one running there would
     * get 1/2 of the compute: time 2 T; it slows the other by 2. */
    start(&h, S, 1, 0, "s1");
    hs_kernel_work ws = { 1, 0, NULL, 0 };
    assert_int_equal(hs_machine_predict(h.m, S, &ws, &p), 0);
    assert_close(p.time_s, 2);
    assert_close(p.slowdown, 2);
    assert_close(p.others_slowdown, 2);
    assert_int_equal(hs_machine_pu_running(h.m, S), 1);
    run(&h);
    assert_close(finish_of(&h, "a"), fin);
    assert_close(finish_of(&h, "s1"), 1);
    harness_fini(&h);
}

/* Abort: a (60 MB) and b (30 MB) share at 30 GB/s; b is aborted at 0.5 ms
 * with 1/2 of its work left; a, with 45 MB left, then runs at 43 GB/s
 * and ends at 0.5 ms + 45 MB / 43 GB/s. */
static void abort_b(hs_sim *sim, hs_event *ev, void *ctx)
{
    (void)sim;
    (void)ctx;
    harness *h = ev->data.ptr.p;
    int *b = h->state;
    assert_close(hs_machine_abort(h->m, *b), 0.5);
    assert_true(hs_machine_abort(h->m, *b) == -1);
}

static void test_abort(void **state)
{
    (void)state;
    harness h;
    harness_init(&h, DRAM60, 1, PUS, 4);
    start(&h, A, 0, 60 * MB, "a");
    int b = start(&h, B, 0, 30 * MB, "b");
    h.state = &b;
    hs_sim_on(h.sim, EV_ABORT, abort_b, NULL);
    hs_event *ev = hs_sim_event(h.sim, EV_ABORT);
    ev->data.ptr.p = &h;
    hs_sim_schedule(h.sim, ev, 0.5e-3);
    run(&h);
    assert_int_equal(h.ndone, 1);
    assert_close(finish_of(&h, "a"), 0.5e-3 + 45 * MB / (43 * GB));
    assert_close(hs_machine_domain_bytes(h.m, 0, 1), 75 * MB);
    assert_int_equal(hs_machine_get_stats(h.m).aborts, 1);
    harness_fini(&h);
}

/* A transfer over a 10 GB/s link reading the DRAM beside a stream on the
 * uncapped C: the copy is held at 10 by the link, the stream gets
 * 60 - 10 = 50.  A 100 MB copy ends at 10 ms; a 100 MB stream at 2 ms. */
static void test_transfer(void **state)
{
    (void)state;
    harness h;
    memset(&h, 0, sizeof(h));
    h.sim = hs_sim_create();
    static const hs_link_conf links[] = { { .name = "pcie", .bandwidth = 10 * GB } };
    hs_machine_conf c = { .domains = DRAM60, .ndomains = 1, .links = links, .nlinks = 1,
                          .pus = PUS, .npus = 4, .event_type = EV_MACHINE,
                          .on_done = on_done, .ctx = &h };
    h.m = hs_machine_create(h.sim, &c);
    assert_non_null(h.m);
    hs_transfer_work t = { .link = 0, .src_domain = 0, .dst_domain = -1, .bytes = 100 * MB,
                           .user = "copy" };
    int id = hs_machine_transfer(h.m, &t);
    assert_true(id >= 0);
    assert_int_equal(hs_machine_kernel_pu(h.m, id), -1);
    start(&h, C, 0, 100 * MB, "s");
    assert_close(hs_machine_link_used(h.m, 0), 10 * GB);
    run(&h);
    assert_close(finish_of(&h, "copy"), 10e-3);
    assert_close(finish_of(&h, "s"), 2e-3);
    hs_transfer_work bad = { .link = -1, .src_domain = -1, .dst_domain = -1, .bytes = 1 };
    assert_int_equal(hs_machine_transfer(h.m, &bad), -1);
    harness_fini(&h);
}

/* Invalid configurations are refused. */
static void test_bad_conf(void **state)
{
    (void)state;
    hs_sim *sim = hs_sim_create();
    hs_machine_conf c = { .domains = DRAM60, .ndomains = 0, .pus = PUS, .npus = 4 };
    assert_null(hs_machine_create(sim, &c));
    hs_pu_conf bad = { .name = "x", .domain = 3 };
    c = (hs_machine_conf){ .domains = DRAM60, .ndomains = 1, .pus = &bad, .npus = 1 };
    assert_null(hs_machine_create(sim, &c));
    bad = (hs_pu_conf){ .name = "x", .domain = 0, .slots = -2 };
    assert_null(hs_machine_create(sim, &c));
    const double d[] = { 2, 1 }, phi[] = { 1, 1 };
    hs_domain_conf dom = { .bandwidth = 1, .phi_demand = d, .phi = phi, .phi_n = 2 };
    c = (hs_machine_conf){ .domains = &dom, .ndomains = 1 };
    assert_null(hs_machine_create(sim, &c));
    hs_sim_destroy(sim);
}

/* ---- Churn: many kernels, aborts, and invariants. --------------------- */

typedef struct churn {
    uint64_t rng;
    int started, target;
    double bytes_done;       /* bytes of completed kernels, plus the moved
                              * part of aborted ones */
    double *Q, *T;           /* per user tag */
    double *t0;
    int *pu;
    int *live_ids;           /* running ids, for aborts */
    int nlive;
} churn;

static double urand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) * 0x1.0p-53;
}

/* Starts one random kernel on a random PU with a free slot. */
static void churn_start(harness *h)
{
    churn *c = h->state;
    if (c->started >= c->target)
        return;
    for (int tries = 0; tries < 8; tries++) {
        int pu = (int)(urand(&c->rng) * 4);
        if (!hs_machine_pu_has_free_slot(h->m, pu))
            continue;
        int tag = c->started;
        double u = urand(&c->rng);
        c->T[tag] = u < 0.2 ? 0 : 1e-4 * urand(&c->rng);
        c->Q[tag] = u > 0.8 ? 0 : 10 * MB * urand(&c->rng);
        if (c->T[tag] == 0 && c->Q[tag] == 0)
            c->T[tag] = 1e-6;
        c->t0[tag] = hs_sim_now(h->sim);
        c->pu[tag] = pu;
        int id = start(h, pu, c->T[tag], c->Q[tag], (void *)(intptr_t)(tag + 1));
        assert_true(id >= 0);
        c->live_ids[c->nlive++] = id;
        c->started++;
        return;
    }
}

static void churn_forget(churn *c, int id)
{
    for (int i = 0; i < c->nlive; i++)
        if (c->live_ids[i] == id) {
            c->live_ids[i] = c->live_ids[--c->nlive];
            return;
        }
    fail_msg("unknown id %d", id);
}

static void churn_done(harness *h, int id, void *user)
{
    churn *c = h->state;
    int tag = (int)(intptr_t)user - 1;
    churn_forget(c, id);
    c->bytes_done += c->Q[tag];
    /* Never faster than alone: duration >= standalone time. */
    hs_kernel_work w = { c->T[tag], c->Q[tag], NULL, 0 };
    double alone = hs_machine_standalone_time(h->m, c->pu[tag], &w);
    double took = hs_sim_now(h->sim) - c->t0[tag];
    assert_true(took >= alone * (1 - 1e-9) - 1e-15);
    churn_start(h);
    if (c->nlive < 24)
        churn_start(h);
}

/* Every 20 us: abort a random running kernel (one time in ten), and
 * check the solver's invariants: no resource over its capacity, every
 * running kernel's rate x / Q. */
static void churn_tick(hs_sim *sim, hs_event *ev, void *ctx)
{
    (void)ctx;
    harness *h = ev->data.ptr.p;
    churn *c = h->state;
    double now = hs_sim_now(sim);
    if (c->nlive > 0 && urand(&c->rng) < 0.1) {
        int id = c->live_ids[(int)(urand(&c->rng) * c->nlive)];
        int tag = (int)(intptr_t)hs_machine_kernel_user(h->m, id) - 1;
        double left = hs_machine_abort(h->m, id);
        assert_true(left >= 0 && left <= 1);
        churn_forget(c, id);
        c->bytes_done += c->Q[tag] * (1 - left);
        churn_start(h);
    }
    assert_true(hs_machine_domain_used(h->m, 0) <=
                hs_machine_domain_capacity(h->m, 0) * (1 + 1e-9));
    for (int p = 0; p < 4; p++) {
        assert_true(hs_machine_pu_bandwidth(h->m, p) <= 43 * GB * (1 + 1e-9) || p >= C);
        size_t n;
        const int *ids = hs_machine_pu_kernels(h->m, p, &n);
        for (size_t i = 0; i < n; i++) {
            double r = hs_machine_kernel_rate(h->m, ids[i]);
            double x = hs_machine_kernel_bandwidth(h->m, ids[i]);
            int tag = (int)(intptr_t)hs_machine_kernel_user(h->m, ids[i]) - 1;
            if (c->Q[tag] > 0)
                assert_close(r, x / c->Q[tag]);
            assert_true(hs_machine_kernel_finish(h->m, ids[i]) >= now);
        }
    }
    if (c->started < c->target || c->nlive > 0)
        hs_sim_schedule(sim, ev, now + 20e-6);   /* reuse the record */
}

static void test_churn(void **state)
{
    (void)state;
    static const double phid[] = { 40 * GB, 120 * GB }, phiv[] = { 1.0, 1.1 };
    static const hs_domain_conf dram[] = {
        { .name = "dram", .bandwidth = 60 * GB, .phi_demand = phid, .phi = phiv, .phi_n = 2,
          .energy_per_byte = 1e-10 } };
    harness h;
    harness_init(&h, dram, 1, PUS, 4);
    enum { N = 20000 };
    churn c = { .rng = 0x1234567887654321ull, .target = N };
    c.Q = calloc(N, sizeof(double));
    c.T = calloc(N, sizeof(double));
    c.t0 = calloc(N, sizeof(double));
    c.pu = calloc(N, sizeof(int));
    c.live_ids = calloc(N, sizeof(int));
    h.state = &c;
    h.chain = churn_done;
    for (int i = 0; i < 6; i++)
        churn_start(&h);
    hs_sim_on(h.sim, EV_ABORT, churn_tick, NULL);
    hs_event *ev = hs_sim_event(h.sim, EV_ABORT);
    ev->data.ptr.p = &h;
    hs_sim_schedule(h.sim, ev, 10e-6);
    run(&h);
    double t = hs_sim_now(h.sim);
    hs_machine_stats st = hs_machine_get_stats(h.m);
    assert_int_equal(c.started, N);
    assert_int_equal(c.nlive, 0);
    assert_int_equal(hs_machine_running(h.m), 0);
    assert_int_equal(st.starts, N);
    assert_int_equal(st.completions + st.aborts, N);
    assert_true(st.aborts > 100);
    /* Work conserved: the DRAM carried exactly the bytes the kernels moved. */
    assert_near(hs_machine_domain_bytes(h.m, 0, t), c.bytes_done, 1e-9);
    assert_true(hs_machine_domain_used(h.m, 0) == 0);
    assert_near(hs_machine_domain_energy(h.m, 0, t), c.bytes_done * 1e-10, 1e-9);
    for (int p = 0; p < 4; p++)
        assert_true(hs_machine_pu_busy_time(h.m, p, t) <= t * (1 + 1e-12));
    print_message("churn: %d kernels, %llu aborts, %llu retimes, %llu solves, %llu local, t = %g\n",
                  N, (unsigned long long)st.aborts, (unsigned long long)st.retimes,
                  (unsigned long long)st.bw.solves, (unsigned long long)st.bw.local, t);
    free(c.Q);
    free(c.T);
    free(c.t0);
    free(c.pu);
    free(c.live_ids);
    harness_fini(&h);
}

/* ---- Launch delays and private caps. ---------------------------------- */

/* Launch delays.  a on A (T = 1 ms, no bytes) with a 1 ms delay: it holds
 * A's slot at once but is neither running nor busy until 1 ms, and ends
 * at 2 ms.  On the shared S, s1 (T = 1 s) runs alone until s2 (T = 1 s,
 * delay 0.5 s) activates: s1 then has 0.5 left at 1/2 and ends at 1.5 s,
 * s2 has 0.5 done by then and ends alone at 2 s.  c (60 MB on C) streams
 * at 60 GB/s until b (30 MB on B, delay 0.5 ms) activates with 30 MB of
 * c left: both at 30 GB/s, both end at 1.5 ms. */
static void test_launch_delay(void **state)
{
    (void)state;
    harness h;
    harness_init(&h, DRAM60, 1, PUS, 4);
    hs_kernel_work w = { .compute_s = 1e-3, .user = "a", .delay_s = 1e-3 };
    int a = hs_machine_start(h.m, A, &w);
    assert_true(a >= 0);
    assert_false(hs_machine_pu_has_free_slot(h.m, A));
    assert_int_equal(start(&h, A, 1, 0, "a2"), -1);
    assert_int_equal(hs_machine_pu_running(h.m, A), 0);
    assert_int_equal(hs_machine_running(h.m), 1);
    assert_true(hs_machine_is_running(h.m, a));
    assert_true(hs_machine_kernel_rate(h.m, a) == 0);
    assert_true(hs_machine_kernel_remaining(h.m, a, 0.5e-3) == 1);
    assert_true(isinf(hs_machine_kernel_finish(h.m, a)));
    assert_true(hs_machine_next_time(h.m) == 1e-3);
    hs_sim_run(h.sim, 0.5e-3, 0);
    assert_true(hs_machine_pu_busy_time(h.m, A, 0.5e-3) == 0);
    run(&h);
    assert_close(finish_of(&h, "a"), 2e-3);
    assert_close(hs_machine_pu_busy_time(h.m, A, 2e-3), 1e-3);
    assert_int_equal(hs_machine_running(h.m), 0);
    harness_fini(&h);

    harness_init(&h, DRAM60, 1, PUS, 4);
    start(&h, S, 1, 0, "s1");
    w = (hs_kernel_work){ .compute_s = 1, .user = "s2", .delay_s = 0.5 };
    assert_true(hs_machine_start(h.m, S, &w) >= 0);
    start(&h, C, 0, 60 * MB, "c");
    w = (hs_kernel_work){ .compute_s = 1e-6, .bytes = 30 * MB, .user = "b", .delay_s = 0.5e-3 };
    assert_true(hs_machine_start(h.m, B, &w) >= 0);
    run(&h);
    assert_close(finish_of(&h, "c"), 1.5e-3);
    assert_close(finish_of(&h, "b"), 1.5e-3);
    assert_close(finish_of(&h, "s1"), 1.5);
    assert_close(finish_of(&h, "s2"), 2.0);
    assert_close(hs_machine_pu_busy_time(h.m, S, 2.0), 2.0);
    assert_close(hs_machine_pu_busy_time(h.m, B, 2.0), 1e-3);
    w = (hs_kernel_work){ .compute_s = 1, .delay_s = -1 };
    assert_int_equal(hs_machine_start(h.m, A, &w), -1);
    w.delay_s = INFINITY;
    assert_int_equal(hs_machine_start(h.m, A, &w), -1);
    harness_fini(&h);
}

/* Aborting a kernel in its launch delay frees its slot: all of its work is
 * left, it never runs and never calls back.  A zero-work kernel with a
 * delay completes at the end of it. */
static void abort_launch(hs_sim *sim, hs_event *ev, void *ctx)
{
    (void)sim;
    (void)ctx;
    harness *h = ev->data.ptr.p;
    int *id = h->state;
    assert_true(hs_machine_abort(h->m, *id) == 1);
    assert_true(hs_machine_pu_has_free_slot(h->m, A));
    assert_int_equal(start(h, A, 1e-3, 0, "a2"), *id);   /* ids are recycled */
}

static void test_launch_abort(void **state)
{
    (void)state;
    harness h;
    harness_init(&h, DRAM60, 1, PUS, 4);
    hs_kernel_work w = { .compute_s = 1, .user = "a", .delay_s = 1 };
    int a = hs_machine_start(h.m, A, &w);
    h.state = &a;
    hs_sim_on(h.sim, EV_ABORT, abort_launch, NULL);
    hs_event *ev = hs_sim_event(h.sim, EV_ABORT);
    ev->data.ptr.p = &h;
    hs_sim_schedule(h.sim, ev, 0.5);
    w = (hs_kernel_work){ .user = "z", .delay_s = 0.25 };
    assert_true(hs_machine_start(h.m, B, &w) >= 0);
    run(&h);
    assert_int_equal(h.ndone, 2);
    assert_close(finish_of(&h, "z"), 0.25);
    assert_close(finish_of(&h, "a2"), 0.501);
    assert_close(hs_machine_pu_busy_time(h.m, A, 1), 1e-3);
    hs_machine_stats st = hs_machine_get_stats(h.m);
    assert_int_equal(st.aborts, 1);
    assert_int_equal(st.starts, 3);
    assert_int_equal(st.completions, 2);
    harness_fini(&h);
}

/* One-slot PUs with distinct caps give them to their kernels as private
 * caps (no solve walks them); the same machine with two slots per PU keeps
 * the caps as resources.  Running one kernel per PU at a time, with random
 * work and launch delays, both must end every kernel at the same bits. */
typedef struct twin {
    uint64_t rng;
    int started, target;
    bool busy[3];
} twin;

static void twin_start(harness *h)
{
    twin *c = h->state;
    for (int tries = 0; tries < 3 && c->started < c->target; tries++) {
        int pu = (int)(urand(&c->rng) * 3);
        double u = urand(&c->rng), v = urand(&c->rng), d = urand(&c->rng);
        if (c->busy[pu])
            continue;
        hs_kernel_work w = { .compute_s = u < 0.2 ? 0 : 1e-4 * v, .bytes = u > 0.8 ? 0 : 10 * MB * v,
                             .user = (void *)(intptr_t)(pu + 1), .delay_s = d < 0.5 ? 2e-5 * d : 0 };
        if (w.compute_s == 0 && w.bytes == 0)
            w.compute_s = 1e-6;
        assert_true(hs_machine_start(h->m, pu, &w) >= 0);
        c->busy[pu] = true;
        c->started++;
    }
}

static void twin_done(harness *h, int id, void *user)
{
    (void)id;
    twin *c = h->state;
    c->busy[(intptr_t)user - 1] = false;
    twin_start(h);
    twin_start(h);
}

static void twin_run(harness *h, int slots)
{
    static const double phid[] = { 40 * GB, 120 * GB }, phiv[] = { 1.0, 1.1 };
    static const hs_domain_conf dram[] = {
        { .name = "dram", .bandwidth = 60 * GB, .phi_demand = phid, .phi = phiv, .phi_n = 2 } };
    const hs_pu_conf pus[] = {
        { .name = "x", .domain = 0, .bandwidth_cap = 40 * GB, .slots = slots },
        { .name = "y", .domain = 0, .bandwidth_cap = 43.3 * GB, .slots = slots },
        { .name = "z", .domain = 0, .bandwidth_cap = 25 * GB, .slots = slots },
    };
    harness_init(h, dram, 1, pus, 3);
    static twin c;
    c = (twin){ .rng = 0x5eed5eed5eed5eedull, .target = 20000 };
    h->state = &c;
    h->chain = twin_done;
    twin_start(h);
    twin_start(h);
    run(h);
    assert_int_equal(h->ndone, c.target);
}

static void test_private_caps(void **state)
{
    (void)state;
    harness x, y;
    twin_run(&x, 1);
    twin_run(&y, 2);
    assert_int_equal(x.ndone, y.ndone);
    for (int i = 0; i < x.ndone; i++) {
        assert_int_equal(x.done[i].id, y.done[i].id);
        assert_ptr_equal(x.done[i].user, y.done[i].user);
        assert_memory_equal(&x.done[i].t, &y.done[i].t, sizeof(double));
    }
    double tx = hs_sim_now(x.sim);
    assert_memory_equal(&(double){ hs_machine_domain_bytes(x.m, 0, tx) },
                        &(double){ hs_machine_domain_bytes(y.m, 0, tx) }, sizeof(double));
    assert_true(hs_machine_get_stats(x.m).bw.solves > 1000);
    harness_fini(&x);
    harness_fini(&y);
}

/* ---- Snapdragon 8 Gen 3: the seeds' measured contention. -------------- */

/* DRAM: 68 GB/s theoretical, 61.9 GB/s best achievable; one PU reaches
 * 40-45 GB/s in decode (43.3 measured on the GPU); GPU and NPU together
 * about 60 (59.5 measured, "about 96% of achievable") — HeteroInfer
 * (SOSP'25) §3.3 Memory-1 / §5.4, seed-systems.md §3.1 and §5.
 * Model: C = 61.9 GB/s with phi = 1 up to a demand of 43.3 GB/s (one PU
 * alone) rising linearly to 1.04 at 86.6 GB/s (two PUs at their caps), so
 * two saturating PUs get 61.9 / 1.04 = 59.5 GB/s; caps GPU 43.3, NPU 43,
 * CPU 40 GB/s.  Compute: GPU ~1 TFLOPS FP16 practical, NPU ~10 TFLOPS
 * (HeteroInfer §1, seed-systems.md §3.1). */
static const double SD_PHI_D[] = { 43.3 * GB, 86.6 * GB }, SD_PHI[] = { 1.0, 1.04 };
static const hs_domain_conf SD_DRAM[] = {
    { .name = "lpddr5x", .bandwidth = 61.9 * GB, .phi_demand = SD_PHI_D, .phi = SD_PHI,
      .phi_n = 2, .energy_per_byte = 0 } };
static const hs_pu_conf SD_PUS[] = {
    { .name = "cpu", .domain = 0, .bandwidth_cap = 40 * GB, .slots = 1 },
    { .name = "gpu", .domain = 0, .bandwidth_cap = 43.3 * GB, .slots = 1 },
    { .name = "npu", .domain = 0, .bandwidth_cap = 43 * GB, .slots = 1 },
};
enum { CPU, GPU, NPU };

/* GEMV (1, 4096, 4096) FP16 (Agent.xpu v1 shapes): Q = 4096 x 4096 x 2 B
 * = 33.5 MB, 2 x 4096^2 FLOPs: T = 33.6 us on the GPU, 3.4 us on the NPU:
 * memory-bound.  GEMM 4096^3: 137 GFLOP, T = 137 ms (GPU), 13.7 ms (NPU),
 * Q ~ each of the three 33.5 MB operands moved twice (tiling) = 201 MB:
 * d = 1.5 GB/s (GPU), 14.7 GB/s (NPU): compute-bound. */
#define GEMV_Q (4096.0 * 4096 * 2)
#define GEMV_FLOP (2.0 * 4096 * 4096)
#define GEMM_FLOP (2.0 * 4096 * 4096 * 4096)
#define GEMM_Q (2 * 3 * GEMV_Q)
#define GPU_FLOPS 1e12
#define NPU_FLOPS 10e12

/* Decode bandwidth: the GPU alone draws 43.3 GB/s, GPU + NPU about 60
 * (59.5 measured: HeteroInfer §5.4). */
static void test_sd8g3_decode_bandwidth(void **state)
{
    (void)state;
    harness h;
    harness_init(&h, SD_DRAM, 1, SD_PUS, 3);
    start(&h, GPU, GEMV_FLOP / GPU_FLOPS, 100 * GEMV_Q, "gpu");
    double alone = hs_machine_domain_used(h.m, 0);
    start(&h, NPU, GEMV_FLOP / NPU_FLOPS, 100 * GEMV_Q, "npu");
    double both = hs_machine_domain_used(h.m, 0);
    print_message("8 Gen 3 decode: GPU alone %.1f GB/s, GPU+NPU %.1f GB/s\n", alone / GB, both / GB);
    assert_true(alone >= 40 * GB && alone <= 45 * GB);
    assert_true(both >= 58 * GB && both <= 61.9 * GB);
    assert_close(both, 61.9 * GB / 1.04);
    harness_fini(&h);
}

/* Co-running memory-bound GEMVs on GPU and NPU slow down 1.39-1.59x
 * each (Agent.xpu v2 Fig. 4); here 43.3 / 29.76 = 1.455 (GPU) and
 * 43 / 29.76 = 1.445 (NPU). */
static void test_sd8g3_gemv_slowdown(void **state)
{
    (void)state;
    harness h;
    harness_init(&h, SD_DRAM, 1, SD_PUS, 3);
    hs_kernel_work g = { GEMV_FLOP / GPU_FLOPS, GEMV_Q, "g", 0 },
                   n = { GEMV_FLOP / NPU_FLOPS, GEMV_Q, "n", 0 };
    double g_alone = hs_machine_standalone_time(h.m, GPU, &g);
    double n_alone = hs_machine_standalone_time(h.m, NPU, &n);
    assert_true(hs_machine_start(h.m, GPU, &g) >= 0);
    assert_true(hs_machine_start(h.m, NPU, &n) >= 0);
    run(&h);
    double sg = finish_of(&h, "g") / g_alone, sn = finish_of(&h, "n") / n_alone;
    print_message("8 Gen 3 GEMV co-run slowdown: GPU %.3fx, NPU %.3fx\n", sg, sn);
    assert_true(sg >= 1.4 && sg <= 1.6);
    assert_true(sn >= 1.4 && sn <= 1.6);
    harness_fini(&h);
}

/* Co-running compute-bound GEMMs barely slow down: 0.93-1.10x measured
 * (Agent.xpu v2 Fig. 4); here exactly 1.0 (demand 1.5 + 14.7 GB/s fits,
 * below the flat part of phi).  A
 * GEMM beside a memory-bound GEMV is not slowed either, and the GEMV,
 * held by its PU's cap, neither. */
static void test_sd8g3_gemm_unaffected(void **state)
{
    (void)state;
    harness h;
    harness_init(&h, SD_DRAM, 1, SD_PUS, 3);
    hs_kernel_work g = { GEMM_FLOP / GPU_FLOPS, GEMM_Q, "g", 0 },
                   n = { GEMM_FLOP / NPU_FLOPS, GEMM_Q, "n", 0 };
    double g_alone = hs_machine_standalone_time(h.m, GPU, &g);
    double n_alone = hs_machine_standalone_time(h.m, NPU, &n);
    assert_close(g_alone, GEMM_FLOP / GPU_FLOPS);
    hs_machine_start(h.m, GPU, &g);
    hs_machine_start(h.m, NPU, &n);
    run(&h);
    double sg = finish_of(&h, "g") / g_alone, sn = finish_of(&h, "n") / n_alone;
    print_message("8 Gen 3 GEMM co-run slowdown: GPU %.3fx, NPU %.3fx\n", sg, sn);
    assert_true(sg >= 1.0 - 1e-9 && sg <= 1.1);
    assert_true(sn >= 1.0 - 1e-9 && sn <= 1.1);

    double t0 = hs_sim_now(h.sim);
    hs_kernel_work v = { GEMV_FLOP / NPU_FLOPS, 20 * GEMV_Q, "v", 0 },
                   m = { GEMM_FLOP / GPU_FLOPS, GEMM_Q, "m", 0 };
    double v_alone = hs_machine_standalone_time(h.m, NPU, &v);
    hs_machine_start(h.m, GPU, &m);
    hs_machine_start(h.m, NPU, &v);
    run(&h);
    assert_close(finish_of(&h, "m") - t0, g_alone);
    assert_near((finish_of(&h, "v") - t0) / v_alone, 1.0, 1e-9);
    harness_fini(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lone_kernels),
        cmocka_unit_test(test_two_corunning),
        cmocka_unit_test(test_compute_bound_unaffected),
        cmocka_unit_test(test_processor_sharing),
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_energy),
        cmocka_unit_test(test_predict),
        cmocka_unit_test(test_abort),
        cmocka_unit_test(test_transfer),
        cmocka_unit_test(test_launch_delay),
        cmocka_unit_test(test_launch_abort),
        cmocka_unit_test(test_private_caps),
        cmocka_unit_test(test_bad_conf),
        cmocka_unit_test(test_churn),
        cmocka_unit_test(test_sd8g3_decode_bandwidth),
        cmocka_unit_test(test_sd8g3_gemv_slowdown),
        cmocka_unit_test(test_sd8g3_gemm_unaffected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
