/* Unit tests of the max-min bandwidth solver (sim/machine/bandwidth.h).
 * Each hand-made case states its closed-form max-min answer in a comment;
 * random instances are checked against a slow reference progressive
 * filling written differently (flow-centric) and against the max-min
 * optimality property. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sim/machine/bandwidth.h"

#define GB 1e9

/* |a - b| <= rel * max(1, |a|, |b|) (equal infinities pass). */
static void check_close(double a, double b, double rel, const char *what, int line)
{
    if (a == b)
        return;
    double scale = fmax(1.0, fmax(fabs(a), fabs(b)));
    if (!(fabs(a - b) <= rel * scale)) {
        print_error("line %d: %s: %.17g != %.17g\n", line, what, a, b);
        fail();
    }
}
#define assert_close(a, b) check_close((a), (b), 1e-12, #a, __LINE__)
#define assert_near(a, b, rel) check_close((a), (b), (rel), #a, __LINE__)

static int flow1(hs_bw *bw, int r, double bound) { return hs_bw_add_flow(bw, &r, 1, bound); }

static int flow2(hs_bw *bw, int r0, int r1, double bound)
{
    int rs[2] = { r0, r1 };
    return hs_bw_add_flow(bw, rs, 2, bound);
}

/* C = 60, three unbounded flows: x_i = 60 / 3 = 20. */
static void test_equal_shares(void **state)
{
    (void)state;
    hs_bw *bw = hs_bw_create();
    int dram = hs_bw_add_resource(bw, "dram", 60);
    int f[3];
    for (int i = 0; i < 3; i++)
        f[i] = flow1(bw, dram, INFINITY);
    assert_true(hs_bw_dirty(bw));
    hs_bw_solve(bw);
    assert_false(hs_bw_dirty(bw));
    for (int i = 0; i < 3; i++)
        assert_close(hs_bw_rate(bw, f[i]), 20);
    assert_close(hs_bw_used(bw, dram), 60);
    assert_close(hs_bw_capacity(bw, dram), 60);
    assert_true(isinf(hs_bw_demand(bw, dram)));
    size_t n;
    hs_bw_changed(bw, &n);
    assert_int_equal(n, 3);
    hs_bw_solve(bw);                       /* nothing dirty: no work */
    hs_bw_changed(bw, &n);
    assert_int_equal(n, 0);
    assert_int_equal(hs_bw_get_stats(bw).solves, 1);
    hs_bw_destroy(bw);
}

/* Water-filling.  C = 60, bounds (10, inf, inf): the bounded flow freezes
 * at 10 below its fair share 20 and frees 10 for the others, which get
 * (60 - 10) / 2 = 25.  Bounds (10, 22, inf): 10, then 22 < (60-10)/2 = 25
 * freezes, then the last gets 60 - 10 - 22 = 28. */
static void test_water_filling(void **state)
{
    (void)state;
    hs_bw *bw = hs_bw_create();
    int dram = hs_bw_add_resource(bw, "dram", 60);
    int a = flow1(bw, dram, 10), b = flow1(bw, dram, INFINITY), c = flow1(bw, dram, INFINITY);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, a), 10);
    assert_close(hs_bw_rate(bw, b), 25);
    assert_close(hs_bw_rate(bw, c), 25);
    assert_int_equal(hs_bw_set_bound(bw, b, 22), 0);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, a), 10);
    assert_close(hs_bw_rate(bw, b), 22);
    assert_close(hs_bw_rate(bw, c), 28);
    size_t n;
    const int *chg = hs_bw_changed(bw, &n);    /* a kept its 10 */
    assert_int_equal(n, 2);
    assert_true((chg[0] == b && chg[1] == c) || (chg[0] == c && chg[1] == b));
    /* All bounded below their shares: x = d, the resource is not saturated. */
    hs_bw_set_bound(bw, c, 5);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, c), 5);
    assert_close(hs_bw_used(bw, dram), 37);
    assert_close(hs_bw_demand(bw, dram), 37);
    hs_bw_destroy(bw);
}

/* Per-PU caps (43) under a DRAM of 60.
 * One flow on A: x = min(43, 60) = 43, the cap binds.
 * One flow on A and one on B: DRAM level 60/2 = 30 < 43: 30 each, DRAM binds.
 * Cap A = 30, two flows on A and one on B: levels A 30/2 = 15, DRAM 60/3
 * = 20: A saturates at 15 each, then B gets min(43, 60 - 30) = 30. */
static void test_pu_caps(void **state)
{
    (void)state;
    hs_bw *bw = hs_bw_create();
    int dram = hs_bw_add_resource(bw, "dram", 60);
    int capA = hs_bw_add_resource(bw, "A", 43), capB = hs_bw_add_resource(bw, "B", 43);
    int a1 = flow2(bw, capA, dram, INFINITY);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, a1), 43);
    int b1 = flow2(bw, capB, dram, INFINITY);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, a1), 30);
    assert_close(hs_bw_rate(bw, b1), 30);
    assert_close(hs_bw_used(bw, dram), 60);
    hs_bw_set_capacity(bw, capA, 30);
    int a2 = flow2(bw, capA, dram, INFINITY);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, a1), 15);
    assert_close(hs_bw_rate(bw, a2), 15);
    assert_close(hs_bw_rate(bw, b1), 30);
    assert_close(hs_bw_used(bw, capA), 30);
    hs_bw_destroy(bw);
}

/* Resources in series.  Link 10 then DRAM 60: the copy over {link, dram}
 * is held at 10 by the link and the kernel on {dram} gets 60 - 10 = 50.
 * Line network L1 = 1, L2 = 1, f0 over both, f1 over L1, f2 over L2: every
 * flow gets 1/2.  With L2 = 2: L1 saturates at 1/2 (f0, f1), then f2 gets
 * 2 - 1/2 = 3/2. */
static void test_series(void **state)
{
    (void)state;
    hs_bw *bw = hs_bw_create();
    int link = hs_bw_add_resource(bw, "link", 10), dram = hs_bw_add_resource(bw, "dram", 60);
    int copy = flow2(bw, link, dram, INFINITY), k = flow1(bw, dram, INFINITY);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, copy), 10);
    assert_close(hs_bw_rate(bw, k), 50);
    hs_bw_destroy(bw);

    bw = hs_bw_create();
    int l1 = hs_bw_add_resource(bw, "L1", 1), l2 = hs_bw_add_resource(bw, "L2", 1);
    int f0 = flow2(bw, l1, l2, INFINITY), f1 = flow1(bw, l1, INFINITY), f2 = flow1(bw, l2, INFINITY);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, f0), 0.5);
    assert_close(hs_bw_rate(bw, f1), 0.5);
    assert_close(hs_bw_rate(bw, f2), 0.5);
    hs_bw_set_capacity(bw, l2, 2);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, f0), 0.5);
    assert_close(hs_bw_rate(bw, f1), 0.5);
    assert_close(hs_bw_rate(bw, f2), 1.5);
    hs_bw_destroy(bw);
}

/* Degradation (HeRo Eq. 1): C = 61.9 GB/s, phi = 1 up to a demand of
 * 43 GB/s, rising linearly to 1.04 at 86 GB/s.  Two flows bounded at 43:
 * D = 86, usable capacity 61.9 / 1.04 = 59.519..., 29.76 each.  One flow
 * bounded at 43 and one at 21.5: D = 64.5, phi = 1.02, usable 60.686...;
 * the 21.5 flow is below the level 30.34, so the other gets 39.186... */
static void test_phi(void **state)
{
    (void)state;
    hs_bw *bw = hs_bw_create();
    int dram = hs_bw_add_resource(bw, "dram", 61.9 * GB);
    const double D[] = { 43 * GB, 86 * GB }, P[] = { 1.0, 1.04 };
    assert_int_equal(hs_bw_set_phi(bw, dram, D, P, 2), 0);
    assert_close(hs_bw_phi(bw, dram, 10 * GB), 1.0);
    assert_close(hs_bw_phi(bw, dram, 64.5 * GB), 1.02);
    assert_close(hs_bw_phi(bw, dram, 1000 * GB), 1.04);
    assert_close(hs_bw_phi(bw, dram, INFINITY), 1.04);
    int a = flow1(bw, dram, 43 * GB), b = flow1(bw, dram, 43 * GB);
    hs_bw_solve(bw);
    assert_close(hs_bw_capacity(bw, dram), 61.9 * GB / 1.04);
    assert_close(hs_bw_rate(bw, a), 61.9 * GB / 1.04 / 2);
    assert_close(hs_bw_rate(bw, b), 61.9 * GB / 1.04 / 2);
    hs_bw_set_bound(bw, b, 21.5 * GB);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, b), 21.5 * GB);
    assert_close(hs_bw_rate(bw, a), 61.9 * GB / 1.02 - 21.5 * GB);
    /* Bad curves are refused and leave the old one. */
    const double bad_d[] = { 2, 1 }, bad_p[] = { 1, 0.5 };
    assert_int_equal(hs_bw_set_phi(bw, dram, bad_d, P, 2), -1);
    assert_int_equal(hs_bw_set_phi(bw, dram, D, bad_p, 2), -1);
    assert_close(hs_bw_phi(bw, dram, 64.5 * GB), 1.02);
    /* A one-knot curve is a constant; n = 0 removes it. */
    const double one_d[] = { 0 }, one_p[] = { 2 };
    assert_int_equal(hs_bw_set_phi(bw, dram, one_d, one_p, 1), 0);
    hs_bw_solve(bw);
    assert_close(hs_bw_capacity(bw, dram), 61.9 * GB / 2);
    assert_int_equal(hs_bw_set_phi(bw, dram, NULL, NULL, 0), 0);
    hs_bw_solve(bw);
    assert_close(hs_bw_capacity(bw, dram), 61.9 * GB);
    hs_bw_destroy(bw);
}

/* Adding then removing a flow restores the previous allocation exactly, and
 * the id is recycled.  C = 60 with bounds (10, inf): 10, 50; with a third
 * unbounded flow: 10, 25, 25; after removal: 10, 50 again. */
static void test_removal_restores(void **state)
{
    (void)state;
    hs_bw *bw = hs_bw_create();
    int dram = hs_bw_add_resource(bw, "dram", 60);
    int a = flow1(bw, dram, 10), b = flow1(bw, dram, INFINITY);
    hs_bw_solve(bw);
    double ra = hs_bw_rate(bw, a), rb = hs_bw_rate(bw, b);
    assert_close(rb, 50);
    int c = flow1(bw, dram, INFINITY);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, b), 25);
    assert_int_equal(hs_bw_flow_count(bw), 3);
    hs_bw_remove_flow(bw, c);
    hs_bw_remove_flow(bw, c);               /* stale id: ignored */
    hs_bw_remove_flow(bw, -1);
    assert_int_equal(hs_bw_flow_count(bw), 2);
    hs_bw_solve(bw);
    assert_true(hs_bw_rate(bw, a) == ra);
    assert_true(hs_bw_rate(bw, b) == rb);
    assert_close(hs_bw_used(bw, dram), 60);
    assert_int_equal(flow1(bw, dram, 1), c);   /* recycled id */
    hs_bw_destroy(bw);
}

/* Degenerate inputs.  A flow with bound 0 gets 0 and takes nothing; a
 * resource of capacity 0 gives 0 to its flows while a flow elsewhere is
 * unaffected; a flow with an infinite bound on an infinite resource gets
 * infinity; bad arguments are refused. */
static void test_degenerate(void **state)
{
    (void)state;
    hs_bw *bw = hs_bw_create();
    int dram = hs_bw_add_resource(bw, "dram", 60), zero = hs_bw_add_resource(bw, "zero", 0);
    int inf = hs_bw_add_resource(bw, "inf", INFINITY);
    int z = flow1(bw, dram, 0), a = flow1(bw, dram, INFINITY);
    int s = flow2(bw, zero, dram, INFINITY);
    int i = flow1(bw, inf, INFINITY), j = flow1(bw, inf, 7);
    hs_bw_solve(bw);
    assert_true(hs_bw_rate(bw, z) == 0);
    assert_true(hs_bw_rate(bw, s) == 0);
    assert_close(hs_bw_rate(bw, a), 60);
    assert_true(isinf(hs_bw_rate(bw, i)));
    assert_close(hs_bw_rate(bw, j), 7);
    assert_true(hs_bw_used(bw, zero) == 0);
    /* Refusals. */
    int dup[2] = { dram, dram }, bad[1] = { 42 };
    assert_int_equal(hs_bw_add_flow(bw, dup, 2, 1), -1);
    assert_int_equal(hs_bw_add_flow(bw, dup, 0, 1), -1);      /* no resource */
    assert_int_equal(hs_bw_add_flow(bw, bad, 1, 1), -1);
    assert_int_equal(hs_bw_add_flow(bw, dup, 1, -1), -1);
    assert_int_equal(hs_bw_add_flow(bw, dup, 1, NAN), -1);
    assert_int_equal(hs_bw_add_flow(bw, dup, HS_BW_MAX_RES_PER_FLOW + 1, 1), -1);
    assert_int_equal(hs_bw_add_resource(bw, "neg", -1), -1);
    assert_int_equal(hs_bw_add_resource(bw, "nan", NAN), -1);
    assert_int_equal(hs_bw_set_bound(bw, a, -2), -1);
    assert_int_equal(hs_bw_set_capacity(bw, 99, 1), -1);
    assert_string_equal(hs_bw_resource_name(bw, dram), "dram");
    assert_int_equal(hs_bw_resource_count(bw), 3);
    assert_true(hs_bw_rate(bw, 1000) == 0);
    hs_bw_destroy(bw);
}

/* Components: two domains with no flow in common.  A change in one
 * re-solves only that one: the other's flows are neither solved nor
 * listed as changed. */
static void test_components(void **state)
{
    (void)state;
    hs_bw *bw = hs_bw_create();
    int d0 = hs_bw_add_resource(bw, "d0", 10), d1 = hs_bw_add_resource(bw, "d1", 20);
    int a = flow1(bw, d0, INFINITY), b = flow1(bw, d0, INFINITY);
    int c = flow1(bw, d1, INFINITY);
    hs_bw_solve(bw);
    hs_bw_stats s0 = hs_bw_get_stats(bw);
    assert_int_equal(s0.flows_solved, 3);
    int e = flow1(bw, d1, INFINITY);          /* touches d1 only */
    hs_bw_solve(bw);
    hs_bw_stats s1 = hs_bw_get_stats(bw);
    assert_int_equal(s1.flows_solved - s0.flows_solved, 2);
    size_t n;
    const int *chg = hs_bw_changed(bw, &n);
    assert_int_equal(n, 2);
    for (size_t i = 0; i < n; i++)
        assert_true(chg[i] == c || chg[i] == e);
    assert_close(hs_bw_rate(bw, a), 5);
    assert_close(hs_bw_rate(bw, b), 5);
    assert_close(hs_bw_rate(bw, c), 10);
    /* A flow bridging the two domains merges the components:
     * levels d0 10/3, d1 20/3: d0 saturates at 10/3 (a, b, bridge), then
     * c and e share 20 - 10/3: 25/3 each. */
    int bridge = flow2(bw, d0, d1, INFINITY);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, bridge), 10.0 / 3);
    assert_close(hs_bw_rate(bw, c), 25.0 / 3);
    hs_bw_destroy(bw);
}

/* A trial (what-if) solve gives the same rates as a real solve would and
 * leaves no trace: committed rates, the changed list, the dirty set, the
 * flow lists and the free list are as before.  C = 60, cap A = 43:
 * flows x on A and y on B (unbounded): 30, 30; the trial adds z on A and
 * lowers y's bound to 12: y = 12, then A's level 43/2 = 21.5 < (60-12)/2 =
 * 24 saturates A: x = z = 21.5. */
static void test_trial(void **state)
{
    (void)state;
    hs_bw *bw = hs_bw_create();
    int dram = hs_bw_add_resource(bw, "dram", 60);
    int A = hs_bw_add_resource(bw, "A", 43), B = hs_bw_add_resource(bw, "B", 43);
    int x = flow2(bw, A, dram, INFINITY), y = flow2(bw, B, dram, INFINITY);
    hs_bw_solve(bw);
    size_t nchg0;
    hs_bw_changed(bw, &nchg0);
    hs_bw_trial_begin(bw);
    int z = flow2(bw, A, dram, INFINITY);
    hs_bw_set_bound(bw, y, 12);
    hs_bw_solve(bw);                        /* ignored during a trial */
    hs_bw_trial_solve(bw);
    assert_close(hs_bw_trial_rate(bw, y), 12);
    assert_close(hs_bw_trial_rate(bw, x), 21.5);
    assert_close(hs_bw_trial_rate(bw, z), 21.5);
    assert_close(hs_bw_trial_used(bw, dram), 55);
    size_t nt;
    hs_bw_trial_flows(bw, &nt);
    assert_int_equal(nt, 3);
    assert_close(hs_bw_rate(bw, x), 30);    /* committed rates untouched */
    hs_bw_trial_end(bw);
    assert_false(hs_bw_dirty(bw));
    assert_int_equal(hs_bw_flow_count(bw), 2);
    assert_close(hs_bw_bound(bw, y), INFINITY);
    size_t nchg1;
    hs_bw_changed(bw, &nchg1);
    assert_int_equal(nchg0, nchg1);
    assert_close(hs_bw_rate(bw, x), 30);
    assert_close(hs_bw_demand(bw, A), INFINITY);
    /* The free list is as before: the next flow gets z's id. */
    int w = flow1(bw, dram, 1);
    assert_int_equal(w, z);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, w), 1);
    assert_close(hs_bw_rate(bw, x), 29.5);
    hs_bw_destroy(bw);
}

/* Local changes (no solve).  DRAM 60, cap A 43: a memory-bound flow m on
 * A gets 43 (A saturated, DRAM not).  A compute-bound flow g (bound 2) on
 * B fits the DRAM's room (60 - 43 = 17): g = 2 at once, m keeps 43.
 * Raising g's bound to 10 fits the room left (15): g = 10.  Removing g
 * (DRAM unsaturated) leaves m at 43, and takes g off the changed list.  A second memory-bound flow on B
 * needs a solve: DRAM saturates, m = n = 30; removing n (DRAM saturated)
 * needs one too. */
static void test_local_changes(void **state)
{
    (void)state;
    hs_bw *bw = hs_bw_create();
    int dram = hs_bw_add_resource(bw, "dram", 60);
    int A = hs_bw_add_resource(bw, "A", 43), B = hs_bw_add_resource(bw, "B", 43);
    int m = flow2(bw, A, dram, INFINITY);
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, m), 43);
    hs_bw_stats s0 = hs_bw_get_stats(bw);
    int g = flow2(bw, B, dram, 2);
    assert_false(hs_bw_dirty(bw));
    assert_close(hs_bw_rate(bw, g), 2);
    assert_close(hs_bw_used(bw, dram), 45);
    hs_bw_solve(bw);
    size_t n;
    const int *chg = hs_bw_changed(bw, &n);
    assert_int_equal(n, 1);
    assert_int_equal(chg[0], g);
    assert_int_equal(hs_bw_set_bound(bw, g, 10), 0);
    assert_false(hs_bw_dirty(bw));
    assert_close(hs_bw_rate(bw, g), 10);
    assert_close(hs_bw_demand(bw, B), 10);
    hs_bw_remove_flow(bw, g);
    assert_false(hs_bw_dirty(bw));
    hs_bw_solve(bw);
    hs_bw_changed(bw, &n);
    assert_int_equal(n, 0);                 /* g was listed, then removed */
    assert_false(hs_bw_flow_live(bw, g));
    assert_close(hs_bw_rate(bw, m), 43);
    assert_close(hs_bw_used(bw, dram), 43);
    assert_true(hs_bw_used(bw, B) == 0);
    hs_bw_stats s1 = hs_bw_get_stats(bw);
    assert_int_equal(s1.solves, s0.solves);
    assert_int_equal(s1.local - s0.local, 3);
    int k = flow2(bw, B, dram, INFINITY);
    assert_true(hs_bw_dirty(bw));
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, m), 30);
    assert_close(hs_bw_rate(bw, k), 30);
    hs_bw_remove_flow(bw, k);
    assert_true(hs_bw_dirty(bw));
    hs_bw_solve(bw);
    assert_close(hs_bw_rate(bw, m), 43);
    hs_bw_destroy(bw);
}

/* ---- Random instances. --------------------------------------------- */

typedef struct inst {
    int nres, nflow;
    double cap[8];
    double phi_d[8][3], phi_p[8][3];
    int phi_n[8];
    int nr[64], res[64][4];
    double bound[64];
    bool live[64];
} inst;

static double urand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return (double)(*s >> 11) * 0x1.0p-53;
}

static double ref_phi(const inst *I, int r, double D)
{
    int n = I->phi_n[r];
    const double *x = I->phi_d[r], *y = I->phi_p[r];
    if (n == 0)
        return 1;
    if (D <= x[0])
        return y[0];
    if (D >= x[n - 1])
        return y[n - 1];
    for (int i = 0; i + 1 < n; i++)
        if (D < x[i + 1])
            return y[i] + (y[i + 1] - y[i]) * (D - x[i]) / (x[i + 1] - x[i]);
    return y[n - 1];
}

static double ref_ceff(const inst *I, int r)
{
    double D = 0;
    for (int f = 0; f < I->nflow; f++)
        for (int k = 0; k < I->nr[f]; k++)
            if (I->live[f] && I->res[f][k] == r)
                D += I->bound[f];
    return I->cap[r] / ref_phi(I, r, D);
}

/* Reference: flow-centric progressive filling.  Each round every unfrozen
 * flow's ceiling is min(d_i, min over its resources of rem_r / n_r); the
 * smallest ceiling L is reached first, and every unfrozen flow whose
 * ceiling is L (to a relative 1e-12) freezes at L. */
static void reference(const inst *I, double *x)
{
    double rem[8];
    bool frozen[64];
    for (int r = 0; r < I->nres; r++)
        rem[r] = ref_ceff(I, r);
    for (int f = 0; f < I->nflow; f++)
        frozen[f] = !I->live[f];
    for (;;) {
        int n[8] = { 0 };
        int left = 0;
        for (int f = 0; f < I->nflow; f++)
            if (!frozen[f]) {
                left++;
                for (int k = 0; k < I->nr[f]; k++)
                    n[I->res[f][k]]++;
            }
        if (!left)
            return;
        double ceil[64], L = INFINITY;
        for (int f = 0; f < I->nflow; f++) {
            if (frozen[f])
                continue;
            double c = I->bound[f];
            for (int k = 0; k < I->nr[f]; k++) {
                int r = I->res[f][k];
                c = fmin(c, fmax(rem[r], 0) / n[r]);
            }
            ceil[f] = c;
            L = fmin(L, c);
        }
        for (int f = 0; f < I->nflow; f++) {
            if (frozen[f] || ceil[f] > L + 1e-12 * fmax(1, L))
                continue;
            frozen[f] = true;
            x[f] = L;
            for (int k = 0; k < I->nr[f]; k++)
                rem[I->res[f][k]] -= L;
        }
    }
}

/* Max-min optimality: feasible, and every flow is at its bound or uses a
 * saturated resource on which no flow gets more than it. */
static void check_optimal(const inst *I, const double *x, const int *id, const hs_bw *bw)
{
    double used[8] = { 0 }, maxon[8] = { 0 };
    for (int f = 0; f < I->nflow; f++) {
        if (!I->live[f])
            continue;
        assert_true(x[f] >= 0 && x[f] <= I->bound[f] * (1 + 1e-12));
        for (int k = 0; k < I->nr[f]; k++) {
            int r = I->res[f][k];
            used[r] += x[f];
            maxon[r] = fmax(maxon[r], x[f]);
        }
    }
    for (int r = 0; r < I->nres; r++) {
        double c = ref_ceff(I, r);
        assert_true(used[r] <= c * (1 + 1e-9) + 1e-9);
        assert_near(hs_bw_used(bw, r), used[r], 1e-9);
    }
    for (int f = 0; f < I->nflow; f++) {
        if (!I->live[f])
            continue;
        bool ok = x[f] >= I->bound[f] * (1 - 1e-12);
        for (int k = 0; k < I->nr[f] && !ok; k++) {
            int r = I->res[f][k];
            bool sat = used[r] >= ref_ceff(I, r) * (1 - 1e-9) - 1e-9;
            ok = sat && x[f] >= maxon[r] * (1 - 1e-9);
        }
        if (!ok)
            print_error("flow %d (id %d) is not bottlenecked: x %g d %g\n", f, id[f], x[f], I->bound[f]);
        assert_true(ok);
    }
}

static void random_flow(inst *I, int f, uint64_t *s)
{
    int nr = 1 + (int)(urand(s) * fmin(4, I->nres));
    I->nr[f] = 0;
    while (I->nr[f] < nr) {
        int r = (int)(urand(s) * I->nres), dup = 0;
        for (int k = 0; k < I->nr[f]; k++)
            dup |= I->res[f][k] == r;
        if (!dup)
            I->res[f][I->nr[f]++] = r;
    }
    double u = urand(s);
    I->bound[f] = u < 0.1 ? 0 : u < 0.4 ? INFINITY : u < 0.5 ? 10 : 1 + 99 * urand(s);
}

static void random_instance(inst *I, uint64_t *s)
{
    memset(I, 0, sizeof(*I));
    I->nres = 1 + (int)(urand(s) * 6);
    I->nflow = (int)(urand(s) * 24);
    for (int r = 0; r < I->nres; r++) {
        double u = urand(s);
        I->cap[r] = u < 0.05 ? 0 : u < 0.2 ? 60 : 1 + 199 * urand(s);
        if (urand(s) < 0.3) {
            I->phi_n[r] = 1 + (int)(urand(s) * 3);
            double d = 0, p = 1;
            for (int i = 0; i < I->phi_n[r]; i++) {
                d += 1 + 100 * urand(s);
                p += urand(s) * 0.5;
                I->phi_d[r][i] = d;
                I->phi_p[r][i] = p;
            }
        }
    }
    for (int f = 0; f < I->nflow; f++) {
        I->live[f] = true;
        random_flow(I, f, s);
    }
}

static void compare(const inst *I, hs_bw *bw, const int *id)
{
    double ref[64], x[64];
    reference(I, ref);
    for (int f = 0; f < I->nflow; f++) {
        if (!I->live[f])
            continue;
        x[f] = hs_bw_rate(bw, id[f]);
        assert_near(x[f], ref[f], 1e-9);
    }
    check_optimal(I, x, id, bw);
}

static hs_bw *build(const inst *I, int *id)
{
    hs_bw *bw = hs_bw_create();
    for (int r = 0; r < I->nres; r++) {
        assert_int_equal(hs_bw_add_resource(bw, NULL, I->cap[r]), r);
        if (I->phi_n[r])
            assert_int_equal(hs_bw_set_phi(bw, r, I->phi_d[r], I->phi_p[r], (size_t)I->phi_n[r]), 0);
    }
    for (int f = 0; f < I->nflow; f++)
        id[f] = I->live[f] ? hs_bw_add_flow(bw, I->res[f], I->nr[f], I->bound[f]) : -1;
    return bw;
}

/* 2000 random systems solved from scratch. */
static void test_random_vs_reference(void **state)
{
    (void)state;
    uint64_t s = 0x9e3779b97f4a7c15ull;
    for (int t = 0; t < 2000; t++) {
        inst I;
        int id[64];
        random_instance(&I, &s);
        hs_bw *bw = build(&I, id);
        hs_bw_solve(bw);
        compare(&I, bw, id);
        hs_bw_destroy(bw);
    }
}

/* Incremental use: random add / remove / bound changes / trials, each
 * followed by a solve whose result must match the reference for the whole
 * current system (so component-limited re-solving loses nothing), and the
 * changed list must name exactly the flows whose rate moved. */
static void test_random_incremental(void **state)
{
    (void)state;
    uint64_t s = 0x2545f4914f6cdd1dull, local = 0, solves = 0;
    for (int t = 0; t < 100; t++) {
        inst I;
        int id[64];
        random_instance(&I, &s);
        hs_bw *bw = build(&I, id);
        hs_bw_solve(bw);
        double before[64];
        for (int step = 0; step < 60; step++) {
            for (int f = 0; f < I.nflow; f++)
                before[f] = I.live[f] ? hs_bw_rate(bw, id[f]) : NAN;
            int f = (int)(urand(&s) * 64);
            double u = urand(&s);
            bool added = false;
            if (f >= I.nflow && I.nflow < 64)
                f = I.nflow++;
            if (!I.live[f]) {
                random_flow(&I, f, &s);
                I.live[f] = true;
                id[f] = hs_bw_add_flow(bw, I.res[f], I.nr[f], I.bound[f]);
                assert_true(id[f] >= 0);
                added = true;
            } else if (u < 0.4) {
                hs_bw_remove_flow(bw, id[f]);
                I.live[f] = false;
            } else if (u < 0.8) {
                I.bound[f] = urand(&s) < 0.2 ? INFINITY : 100 * urand(&s);
                assert_int_equal(hs_bw_set_bound(bw, id[f], I.bound[f]), 0);
            } else {
                /* A trial must not change anything. */
                hs_bw_trial_begin(bw);
                int rs[1] = { 0 };
                int g = hs_bw_add_flow(bw, rs, 1, INFINITY);
                assert_true(g >= 0);
                hs_bw_trial_solve(bw);
                hs_bw_trial_end(bw);
                assert_false(hs_bw_dirty(bw));
                continue;
            }
            hs_bw_solve(bw);
            compare(&I, bw, id);
            size_t n;
            const int *chg = hs_bw_changed(bw, &n);
            const double *rates = hs_bw_changed_rates(bw);
            bool listed[64] = { false };
            for (size_t i = 0; i < n; i++) {
                assert_true(rates[i] == hs_bw_rate(bw, chg[i]) ||
                            (isnan(rates[i]) && isnan(hs_bw_rate(bw, chg[i]))));
                for (int g = 0; g < I.nflow; g++)
                    if (I.live[g] && id[g] == chg[i])
                        listed[g] = true;
            }
            for (int g = 0; g < I.nflow; g++) {
                if (!I.live[g])
                    continue;
                bool moved = (added && g == f) || hs_bw_rate(bw, id[g]) != before[g];
                assert_true(moved == listed[g]);
            }
        }
        local += hs_bw_get_stats(bw).local;
        solves += hs_bw_get_stats(bw).solves;
        hs_bw_destroy(bw);
    }
    print_message("random incremental: %llu local changes, %llu solves\n",
                  (unsigned long long)local, (unsigned long long)solves);
    assert_true(local > 200);   /* the local paths are exercised too */
}

/* ---- Private caps and one-resource components. ----------------------- */

/* One shared resource D and flows each with a cap of its own, built twice:
 * A gives the caps as private caps (hs_bw_add_flow_capped: its solves are
 * one-resource components), B as real resources listed after D (a cap of
 * INFINITY too, so that B always takes the general solve).  Random adds,
 * removals, bound changes and trials, with values from small sets so that
 * ties are frequent: after each solve every rate, D's use and capacity,
 * the changed list and the counters must be the same bits in A and B. */
static void test_private_caps_bitwise(void **state)
{
    (void)state;
    static const double caps[] = { 10, 20, 30, 45, INFINITY };
    static const double bounds[] = { 0, 5, 10, 15, 20, 30, 45, INFINITY };
    static const double phid[] = { 40, 80 }, phiv[] = { 1.0, 1.25 };
    uint64_t s = 0x0123456789abcdefull;
    uint64_t singles = 0;
    for (int t = 0; t < 300; t++) {
        hs_bw *a = hs_bw_create(), *b = hs_bw_create();
        double cap = urand(&s) < 0.1 ? 0 : urand(&s) < 0.5 ? 60 : 45;
        int da = hs_bw_add_resource(a, "D", cap), db = hs_bw_add_resource(b, "D", cap);
        if (urand(&s) < 0.4) {
            hs_bw_set_phi(a, da, phid, phiv, 2);
            hs_bw_set_phi(b, db, phid, phiv, 2);
        }
        int ida[64], idb[64], n = 0;
        double capof[64];
        for (int step = 0; step < 80; step++) {
            double u = urand(&s);
            int i = n ? (int)(urand(&s) * n) : 0;
            double d = bounds[(int)(urand(&s) * 8)];
            if (n == 0 || (u < 0.45 && n < 64)) {
                double c = caps[(int)(urand(&s) * 5)];
                for (int k = 0; k < n; k++)      /* finite caps distinct: no ties */
                    if (c < INFINITY && c == capof[k])
                        c = INFINITY;
                capof[n] = c;
                int rb[2] = { db, hs_bw_add_resource(b, NULL, c) };
                ida[n] = hs_bw_add_flow_capped(a, &da, 1, d, c);
                idb[n] = hs_bw_add_flow(b, rb, 2, d);
                assert_int_equal(ida[n], idb[n]);
                n++;
            } else if (u < 0.75) {
                hs_bw_remove_flow(a, ida[i]);
                hs_bw_remove_flow(b, idb[i]);
                ida[i] = ida[--n];
                idb[i] = idb[n];
                capof[i] = capof[n];
            } else if (u < 0.95) {
                assert_int_equal(hs_bw_set_bound(a, ida[i], d), 0);
                assert_int_equal(hs_bw_set_bound(b, idb[i], d), 0);
            } else {
                hs_bw *sys[2] = { a, b };
                for (int k = 0; k < 2; k++) {
                    hs_bw_trial_begin(sys[k]);
                    int r0 = 0;
                    assert_true(hs_bw_add_flow(sys[k], &r0, 1, d) >= 0);
                    hs_bw_trial_solve(sys[k]);
                    hs_bw_trial_end(sys[k]);
                }
            }
            hs_bw_stats sa0 = hs_bw_get_stats(a);
            hs_bw_solve(a);
            hs_bw_solve(b);
            hs_bw_stats sa = hs_bw_get_stats(a), sb = hs_bw_get_stats(b);
            singles += sa.solves - sa0.solves;
            for (int k = 0; k < n; k++)
                assert_memory_equal(&(double){ hs_bw_rate(a, ida[k]) },
                                    &(double){ hs_bw_rate(b, idb[k]) }, sizeof(double));
            assert_memory_equal(&(double){ hs_bw_used(a, da) }, &(double){ hs_bw_used(b, db) },
                                sizeof(double));
            assert_memory_equal(&(double){ hs_bw_capacity(a, da) },
                                &(double){ hs_bw_capacity(b, db) }, sizeof(double));
            size_t na, nb;
            const int *ca = hs_bw_changed(a, &na), *cb = hs_bw_changed(b, &nb);
            assert_int_equal(na, nb);
            if (na) {
                assert_memory_equal(ca, cb, na * sizeof(int));
                assert_memory_equal(hs_bw_changed_rates(a), hs_bw_changed_rates(b),
                                    na * sizeof(double));
            }
            assert_int_equal(sa.solves, sb.solves);
            assert_int_equal(sa.local, sb.local);
            assert_int_equal(sa.rounds, sb.rounds);
            assert_int_equal(sa.flows_solved, sb.flows_solved);
        }
        hs_bw_destroy(a);
        hs_bw_destroy(b);
    }
    print_message("private caps: %llu solves compared\n", (unsigned long long)singles);
    assert_true(singles > 1000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_shares),
        cmocka_unit_test(test_water_filling),
        cmocka_unit_test(test_pu_caps),
        cmocka_unit_test(test_series),
        cmocka_unit_test(test_phi),
        cmocka_unit_test(test_removal_restores),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_components),
        cmocka_unit_test(test_trial),
        cmocka_unit_test(test_local_changes),
        cmocka_unit_test(test_random_vs_reference),
        cmocka_unit_test(test_random_incremental),
        cmocka_unit_test(test_private_caps_bitwise),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
