/* hetsoc: fluid sharing of memory bandwidth (and links) by max-min fairness.
 *
 * Model (SimGrid's linear max-min, specialised): a set of resources r, each
 * of capacity C_r bytes/s (a DRAM domain, a per-PU cap, a PCIe link); a
 * set of flows i (running kernels or transfers), each using a subset of the
 * resources and having a bound d_i, the bandwidth beyond which it gains
 * nothing because it is compute-bound (d_i = bytes_i / compute_time_i).
 * The allocation x maximises the minimum x_i subject to
 *     sum_{i uses r} x_i <= C_r  for every r,   0 <= x_i <= d_i,
 * and recursively the next minimum (progressive filling): raise all
 * unfrozen flows equally; when a resource saturates, freeze its flows;
 * when a flow reaches its bound, freeze it; repeat.
 *
 * Degradation (HeRo Eq. 1): a resource may have a curve phi(D) >= 1 of its
 * total demand D = sum of the bounds of the flows using it; its usable
 * capacity is then C_r / phi(D).  phi = 1 when no curve is given.
 *
 * The result is the unique max-min fair allocation: every flow i is
 * bottlenecked, i.e. x_i = d_i, or i uses a saturated resource r on which
 * x_i = max_{j uses r} x_j.
 *
 * Algorithm (one solve).  With F_r the capacity of r left to its unfrozen
 * flows and n_r their number, the fair level at which r would saturate is
 * s_r = F_r / n_r; let s = min_r s_r.  Each round either
 *   (a) freezes every unfrozen flow with d_i <= s at x_i = d_i (freezing such
 *       a flow can only raise the s_r of its other resources, since
 *       (F_r - d_i) / (n_r - 1) >= F_r / n_r when d_i <= s_r, so they all
 *       freeze before any resource saturates), or, if there is none,
 *   (b) saturates the resource r* attaining s: its unfrozen flows get x = s.
 * Every round freezes at least one flow, so a solve takes at most F rounds
 * of O(R + F) work; small systems (a DRAM domain and a few PU caps) take
 * one to three.
 *
 * Incrementality.  A change to a clean system (nothing awaiting a solve)
 * that provably leaves every other rate max-min is applied at once, in
 * O(resources of the flow), without a solve ("local" changes):
 *   - adding a flow: on the resources it has to itself it would be alone,
 *     x = min(d, C_r / phi_r(d)) over them; if every shared resource has
 *     room for x (used_r + x <= its usable capacity), it gets x: it is
 *     bottlenecked at its bound or alone on a saturated resource, and it
 *     takes nothing from a bottlenecked flow (a resource with room
 *     bottlenecks no one);
 *   - removing a flow none of whose shared resources is saturated: no
 *     other flow is bottlenecked where it frees capacity;
 *   - changing the bound of a flow at its bound when it rises within the
 *     room left, or falls with none of its resources saturated; or of a
 *     flow held below its bound by a resource, when the new bound stays
 *     above its rate;
 * each only when the phi of every shared resource is unchanged (flat part
 * of the curve).  A kernel alone on the DRAM, and compute-bound kernels
 * beside memory-bound ones, thus cost no solve.  Every other change only
 * marks the resources it touches dirty, and a solve re-solves only the
 * connected component(s) of the flow-resource graph reachable from the
 * dirty resources (a breadth-first walk over per-resource flow lists,
 * stopping once every live flow is in); allocations elsewhere are left as
 * they are, which is exact because max-min fairness decomposes over
 * components.  A removal from a clean system that leaves one flow as the
 * whole component of its resources is still a solve (the system is dirty
 * until hs_bw_solve), but one computed without the walk: that flow at its
 * bound or at its resources' smallest usable capacity, as progressive
 * filling's single round gives it.  Likewise a dirty set of one resource
 * whose flows use no other (kernels on one DRAM with private caps, see
 * hs_bw_add_flow_capped) is filled on locals, without the walk and the
 * per-resource scratch, step for step as the general solve.  A solve with
 * nothing dirty costs nothing.  hs_bw_changed()
 * lists the flows whose rate changed since the previous solve (local
 * changes and the solve's own), so a caller re-times only those.  Memory:
 * all arrays grow geometrically when resources or flows are added and are
 * reused afterwards; a solve never allocates.  Flow ids are recycled
 * through a free list (last freed, first reused).  The demand D_r is
 * maintained on every change (a sum of finite bounds and a count of
 * infinite ones), so phi costs O(log knots).
 *
 * Numerics.  A flow with bound 0 gets exactly 0; a resource of capacity 0
 * gives its flows exactly 0; capacities and bounds may be INFINITY (a flow
 * with an infinite bound on only infinite resources gets INFINITY).  The
 * capacity left on a resource is clamped at 0 so rounding never yields a
 * negative share.  Rates are compared exactly to build the changed list.
 * For the local paths a resource counts as saturated when its use is
 * within a relative 1e-9 of its usable capacity (a solve leaves saturated
 * resources within ~1e-15, unsaturated ones are far off in practice; a
 * misjudged one only sends the change to a full solve).
 * Every flow uses at least one resource (a flow on none would have no
 * component to be solved in; its rate would simply be its bound).
 *
 * What-if solves.  hs_bw_trial_begin() opens a trial: flows added and bounds
 * changed until hs_bw_trial_end() are logged and undone there, exactly
 * (flow lists, the free list and the dirty set come back bit for bit), and
 * hs_bw_trial_solve() solves into scratch space that hs_bw_trial_rate() and
 * hs_bw_trial_used() read, leaving the committed rates untouched.
 *
 * Not thread-safe: one hs_bw per simulated machine, used by one thread.
 */
#ifndef HS_SIM_BANDWIDTH_H
#define HS_SIM_BANDWIDTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct hs_bw hs_bw;

enum { HS_BW_MAX_RES_PER_FLOW = 4 };

/* An empty system.  NULL only when memory is exhausted. */
hs_bw *hs_bw_create(void);
void hs_bw_destroy(hs_bw *bw);

/* ---- Resources. ------------------------------------------------------ */
/* Adds a resource of capacity bytes/s (>= 0, may be INFINITY); name is
 * copied (may be NULL).  Returns its id (>= 0, ids are dense and never
 * reused) or -1 on a bad capacity or out of memory. */
int hs_bw_add_resource(hs_bw *bw, const char *name, double capacity);
/* Changes a resource's nominal capacity (>= 0).  Returns 0 or -1. */
int hs_bw_set_capacity(hs_bw *bw, int res, double capacity);
/* Optional degradation curve of a resource: phi at the given total
 * demands (bytes/s), linearly interpolated, constant beyond the ends.
 * n >= 1; demands strictly increasing; phi >= 1.  n = 0 removes the curve.
 * Returns 0 or -1 (bad arguments leave the old curve). */
int hs_bw_set_phi(hs_bw *bw, int res, const double *demand, const double *phi, size_t n);
/* The curve's value at demand D (1 when the resource has no curve). */
double hs_bw_phi(const hs_bw *bw, int res, double demand);
size_t hs_bw_resource_count(const hs_bw *bw);
const char *hs_bw_resource_name(const hs_bw *bw, int res);

/* ---- Flows. ---------------------------------------------------------- */
/* Adds a flow over nres (1..HS_BW_MAX_RES_PER_FLOW) distinct resources
 * with bound d (bytes/s, >= 0, may be INFINITY for a pure transfer);
 * returns its id (>= 0) or -1 on bad arguments or out of memory.  Its
 * rate is final at once for a local change, else it reads 0 until the
 * next solve; either way the flow is listed as changed. */
int hs_bw_add_flow(hs_bw *bw, const int *res, int nres, double bound);
/* hs_bw_add_flow for a flow that also uses a resource of its own of
 * capacity cap (> 0, INFINITY: none; no phi), which no other flow can
 * share: the allocation is that of such a resource listed after res, but
 * no solve walks it.  Filling ranks private caps after the shared
 * resources, so the numbers are the same bits as with a real resource
 * unless a private cap ties exactly with another private cap, or with a
 * shared resource that the real one would precede in the solve (then they
 * may differ in the last bits).  A PU that runs one kernel at a time
 * gives its cap this way. */
int hs_bw_add_flow_capped(hs_bw *bw, const int *res, int nres, double bound, double cap);
/* Removes a live flow (a stale or negative id is ignored); its id may be
 * returned by the next hs_bw_add_flow.  Not allowed during a trial. */
void hs_bw_remove_flow(hs_bw *bw, int flow);
/* Changes a live flow's bound (>= 0).  Returns 0 or -1. */
int hs_bw_set_bound(hs_bw *bw, int flow, double bound);
double hs_bw_bound(const hs_bw *bw, int flow);
bool hs_bw_flow_live(const hs_bw *bw, int flow);
/* Number of live flows. */
size_t hs_bw_flow_count(const hs_bw *bw);

/* ---- Solving and results. ------------------------------------------ */
/* Solves the components touched since the last solve (nothing if none)
 * and closes the changed list.  Ignored during a trial.  Callers call it
 * after every batch of changes before reading rates. */
void hs_bw_solve(hs_bw *bw);
/* True when a change awaits a solve. */
bool hs_bw_dirty(const hs_bw *bw);
/* The live flows whose rate changed in the last window: by local changes
 * since the solve before the last hs_bw_solve, and by that solve (new
 * flows included), each listed once.  Valid until the next change after
 * that solve; *n receives their number. */
const int *hs_bw_changed(const hs_bw *bw, size_t *n);
/* The rates of those flows, in the same order (hs_bw_rate of each), valid
 * as long as the list. */
const double *hs_bw_changed_rates(const hs_bw *bw);
/* The flow's allocated bandwidth after the last solve (0 for a stale id). */
double hs_bw_rate(const hs_bw *bw, int flow);
/* Total bandwidth allocated on a resource after the last solve. */
double hs_bw_used(const hs_bw *bw, int res);
/* Where hs_bw_used(bw, res) is kept, for a caller that reads it after
 * every solve; valid until the next hs_bw_add_resource. */
const double *hs_bw_used_at(const hs_bw *bw, int res);
/* Usable capacity C_r / phi(D_r) at the last solve of the resource. */
double hs_bw_capacity(const hs_bw *bw, int res);
/* Total demand D_r: the sum of the bounds of the live flows using r now. */
double hs_bw_demand(const hs_bw *bw, int res);

/* ---- What-if (trial) solves. --------------------------------------- */
/* Opens a trial.  Precondition: none is open. */
void hs_bw_trial_begin(hs_bw *bw);
/* Solves the dirty components (pending changes plus the trial's) into
 * scratch space; committed rates, the changed list and the dirty set are
 * left alone. */
void hs_bw_trial_solve(hs_bw *bw);
/* After hs_bw_trial_solve: a flow's rate and a resource's use in the trial
 * (the committed values for those outside the solved components). */
double hs_bw_trial_rate(const hs_bw *bw, int flow);
double hs_bw_trial_used(const hs_bw *bw, int res);
/* The flows of the components the trial solved (*n their number). */
const int *hs_bw_trial_flows(const hs_bw *bw, size_t *n);
/* Undoes the trial's additions and bound changes in reverse order and
 * restores the dirty set: the system is as before hs_bw_trial_begin. */
void hs_bw_trial_end(hs_bw *bw);

/* ---- Counters. ------------------------------------------------------ */
typedef struct hs_bw_stats {
    uint64_t solves;        /* committed solves that had work to do */
    uint64_t flows_solved;  /* sum over those solves of the component's flows */
    uint64_t rounds;        /* sum over those solves of filling rounds */
    uint64_t local;         /* changes applied without a solve */
} hs_bw_stats;
hs_bw_stats hs_bw_get_stats(const hs_bw *bw);

#endif
