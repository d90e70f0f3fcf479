/* hetsoc: the fluid simulated machine.
 *
 * Processing units (PUs) run kernels; memory domains (DRAMs) and links
 * carry bytes.  Bandwidth is shared by max-min fairness (sim/machine/bandwidth.h)
 * over the domains (capacity C_d, optional degradation phi_d), the per-PU
 * caps B_p and the links.  The machine sits on the event kernel
 * (sim/kernel/event.h): a kernel's completion is an event, re-timed whenever the
 * sharing changes.
 *
 * Kernel model.  A kernel on PU p is given its standalone compute time T
 * (seconds at full PU compute: the compute-bound part of the performance
 * model) and the bytes Q it moves through p's domain.  With k kernels
 * running on p (k > 1 only when p has several slots: processor sharing),
 * its compute share is 1/k, so its progress rate (fraction of its work
 * per second) is
 *     r = min(1 / (k T), x / Q),
 * where x is the bandwidth allocated to it, under the bound
 *     d = Q / (k T)     (it cannot use more: beyond d it is compute-bound)
 * on the resources {domain of p, cap of p}.  Since x <= d, r = x / Q when
 * Q > 0 and r = 1 / (k T) when Q = 0.  Alone on an idle machine a kernel
 * takes max(T, Q / min(B_p, C_d / phi_d(d))): the roofline.  A transfer
 * moves Q bytes over a link and the domains at its ends (each counted
 * once) at r = x / Q, bounded by an optional engine rate.
 *
 * Progress is kept lazily: each running kernel stores (remaining fraction
 * w at time t0, rate r), so w(t) = w - r (t - t0) and it completes at
 * t0 + w / r.  On every start, end or abort the machine applies the change
 * to the solver, solves (see bandwidth.h: local changes cost no solve, and
 * only the touched component is re-solved), and for each kernel whose
 * rate changed — and only those — advances w to now at the old rate,
 * sets the new rate and re-keys its completion time.  Completions are kept
 * in a machine-private min-heap (by time, then start order); the machine
 * keeps one event in the simulator's queue, for the earliest completion,
 * and moves it only when that time changes.  So a re-timing costs a heap
 * sift in a small array, not a cancel and a push in the global queue.
 * The event's record is reused from one firing to the next; a completion
 * schedules it once its callback has returned (the callback's starts
 * usually move it), in the place among simultaneous events it would have
 * had if scheduled at each move (hs_sim_reserve_seq).
 *
 * Occupancy.  A PU with slots = N runs at most N kernels; starting one
 * more is refused (-1).  Queueing is the caller's (the engine's) business.
 *
 * Launch delay.  A kernel may start with a delay (its launch): it holds
 * its slot from the start call on, but computes, draws bandwidth and
 * counts as busy only from start + delay (its activation), exactly as if
 * it were started then without a delay.  The machine keeps activations in
 * the same private heap as completions, so its one simulator event covers
 * both: a delayed start costs no event of its own.
 *
 * Caps.  A PU that runs one kernel at a time gives its cap B_p to that
 * kernel's flow as a private cap (hs_bw_add_flow_capped), so that solves
 * see only the domain; with several slots, or a cap equal to another
 * one-slot PU's on the same domain, it stays a resource.  The allocation
 * is the same to the last bit either way.
 *
 * Energy.  PU p draws P_active while at least one kernel runs on it and
 * P_idle otherwise, from the machine's creation; a domain costs e_d joules
 * per byte moved.  Both are integrated lazily and exactly (rates are
 * piecewise constant), so energy can be read at any t >= the last change.
 *
 * Ids.  Kernels and transfers share one id space; ids are recycled (the
 * id passed to the completion callback is already free).
 */
#ifndef HS_SIM_MACHINE_H
#define HS_SIM_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/machine/bandwidth.h"
#include "sim/kernel/event.h"

typedef struct hs_machine hs_machine;

/* ---- Configuration (plain data; copied by hs_machine_create). --------- */

enum { HS_MACHINE_SLOTS_UNLIMITED = -1 };

typedef struct hs_domain_conf {
    const char *name;
    double bandwidth;          /* achievable bytes/s, >= 0 (may be INFINITY) */
    const double *phi_demand;  /* optional degradation curve: phi at these */
    const double *phi;         /* total demands (bytes/s), increasing; */
    size_t phi_n;              /* phi >= 1; 0 knots: none */
    double energy_per_byte;    /* J/B of traffic, >= 0 */
} hs_domain_conf;

typedef struct hs_link_conf {
    const char *name;
    double bandwidth;          /* bytes/s, >= 0 */
} hs_link_conf;

typedef struct hs_pu_conf {
    const char *name;
    int domain;                /* index of its memory domain */
    double bandwidth_cap;      /* bytes/s the PU can draw; 0 or INFINITY: none */
    int slots;                 /* 0 or 1: one kernel at a time; N > 1: up to N
                                * sharing the compute; HS_MACHINE_SLOTS_UNLIMITED */
    double active_power_w;     /* while at least one kernel runs */
    double idle_power_w;
} hs_pu_conf;

/* Called when kernel or transfer `id` completes, after the machine has
 * taken it out (its slot is free, its id recycled, the sharing re-solved);
 * the callback may start new work.  ctx is the configuration's. */
typedef void (*hs_machine_done_fn)(hs_machine *m, int id, void *user, void *ctx);

/* Called when the bandwidth in use on some domain changes, or the rates of
 * flows do (a PU's share may move while its domain's total stays): t is
 * the time, used[d] the bytes/s in use on domain d from t on. */
typedef void (*hs_machine_bw_fn)(hs_machine *m, double t, const double *used,
                                 size_t ndomains, void *ctx);

typedef struct hs_machine_conf {
    const hs_domain_conf *domains;
    size_t ndomains;           /* >= 1 */
    const hs_link_conf *links;
    size_t nlinks;
    const hs_pu_conf *pus;
    size_t npus;
    /* The event type the machine registers (hs_sim_on, replacing any
     * handler of that type) and schedules its completions with; the event
     * carries the machine, so machines on one simulator may share a type. */
    uint16_t event_type;
    hs_machine_done_fn on_done;
    void *ctx;
} hs_machine_conf;

/* A machine on sim, empty, its clock origin (for idle energy) at
 * hs_sim_now(sim).  NULL on an invalid configuration or out of memory. */
hs_machine *hs_machine_create(hs_sim *sim, const hs_machine_conf *conf);
/* Frees the machine; its pending completion event is cancelled, so the
 * simulator must still exist (destroy the machine first).  Running work is
 * dropped without callbacks. */
void hs_machine_destroy(hs_machine *m);

/* ---- Work. ---------------------------------------------------------- */

typedef struct hs_kernel_work {
    double compute_s;          /* standalone compute time T, s, >= 0 */
    double bytes;              /* DRAM bytes Q, >= 0 */
    void *user;                /* handed back on completion */
    double delay_s;            /* launch delay, s, >= 0 (0: runs at once) */
} hs_kernel_work;

typedef struct hs_transfer_work {
    int link;                  /* link index, or -1 */
    int src_domain, dst_domain;/* domain indices, or -1; equal: counted once */
    double bytes;              /* > 0 */
    double max_rate;           /* bytes/s of the copy engine; 0: none */
    void *user;
} hs_transfer_work;

/* Starts a kernel on PU pu now, running from now + w->delay_s (see
 * "Launch delay" above).  Returns its id (>= 0), or -1 when pu has no free
 * slot or the arguments are invalid (T, Q or the delay negative or not
 * finite).  A kernel with T = Q = 0 completes as soon as it runs.  Should
 * memory run out when a delayed kernel is activated, the kernel is dropped
 * and the simulator stopped (hs_sim_stop). */
int hs_machine_start(hs_machine *m, int pu, const hs_kernel_work *w);
/* Starts a transfer now (it takes no PU slot).  Returns its id or -1 (no
 * link and no domain, bad index, bytes <= 0). */
int hs_machine_transfer(hs_machine *m, const hs_transfer_work *w);
/* Stops a running kernel or transfer without calling back; what it moved
 * so far is accounted.  Returns the fraction of its work left (1 for a
 * kernel still in its launch delay), or -1 for an id that is not running. */
double hs_machine_abort(hs_machine *m, int id);
/* The running kernel on pu whose user pointer is user (in its launch
 * delay or not), or -1.  O(kernels ever held at once): for rare calls. */
int hs_machine_find_kernel(const hs_machine *m, int pu, const void *user);
/* Removes work from running kernel id so that `left` of it remains (a
 * fraction of its whole work, 0 <= left <= what remains now): it completes
 * earlier, its callback as usual; its rate and the sharing are unchanged
 * until then.  A kernel in its launch delay runs `left` once activated.
 * Returns 0, or -1 for an id that is not a running kernel or a bad left. */
int hs_machine_cut(hs_machine *m, int id, double left);
/* Time of the machine's next completion or activation (INFINITY: none).
 * Its simulator event is placed when a completion's handling (callback
 * included) ends, so a caller asking the simulator for its next event
 * time from inside the callback takes the min with this. */
double hs_machine_next_time(const hs_machine *m);

/* ---- Queries (all O(1) unless said otherwise). ----------------------- */

size_t hs_machine_pu_count(const hs_machine *m);
size_t hs_machine_domain_count(const hs_machine *m);
size_t hs_machine_link_count(const hs_machine *m);
/* Index of the PU of that name, or -1. */
int hs_machine_pu_find(const hs_machine *m, const char *name);
const char *hs_machine_pu_name(const hs_machine *m, int pu);
/* Slots of the PU (HS_MACHINE_SLOTS_UNLIMITED or >= 1). */
int hs_machine_pu_slots(const hs_machine *m, int pu);
/* Kernels running on the PU (not those in their launch delay); the list
 * (ids, *n of them) is valid until the next start, end or abort. */
int hs_machine_pu_running(const hs_machine *m, int pu);
const int *hs_machine_pu_kernels(const hs_machine *m, int pu, size_t *n);
bool hs_machine_pu_has_free_slot(const hs_machine *m, int pu);
/* Bytes/s the PU's kernels draw now (O(running on pu)). */
double hs_machine_pu_bandwidth(const hs_machine *m, int pu);
/* Bytes/s in use on a domain now; its total demand (sum of its flows'
 * bounds, INFINITY with an unbounded transfer); its usable capacity
 * C / phi(demand). */
double hs_machine_domain_used(const hs_machine *m, int domain);
double hs_machine_domain_demand(const hs_machine *m, int domain);
double hs_machine_domain_capacity(const hs_machine *m, int domain);
double hs_machine_link_used(const hs_machine *m, int link);
/* Kernels and transfers running, all PUs together, counting those in
 * their launch delay. */
size_t hs_machine_running(const hs_machine *m);

/* Per running kernel or transfer (0, or -1 for the PU, on a bad id).  A
 * kernel in its launch delay is running, with rate 0, all of its work
 * left and finish INFINITY. */
bool hs_machine_is_running(const hs_machine *m, int id);
int hs_machine_kernel_pu(const hs_machine *m, int id);       /* -1: transfer */
double hs_machine_kernel_remaining(const hs_machine *m, int id, double t);
double hs_machine_kernel_rate(const hs_machine *m, int id);  /* fraction/s */
double hs_machine_kernel_bandwidth(const hs_machine *m, int id);
/* Completion time if nothing else changed (INFINITY when stalled). */
double hs_machine_kernel_finish(const hs_machine *m, int id);
void *hs_machine_kernel_user(const hs_machine *m, int id);

/* What a kernel would get if started on pu now, computed by a trial solve
 * (bandwidth.h) that leaves the machine exactly as it was. */
typedef struct hs_machine_prediction {
    double rate;               /* fraction of its work per second */
    double time_s;             /* 1 / rate: its duration if nothing changed */
    double standalone_s;       /* its duration alone on an idle machine */
    double slowdown;           /* time_s / standalone_s (>= 1) */
    double bandwidth;          /* bytes/s it would get */
    double domain_used;        /* bytes/s in use on pu's domain after it */
    double others_slowdown;    /* largest old rate / new rate among the
                                * running kernels it would slow (1: none) */
} hs_machine_prediction;
/* Fills *out; pu need not have a free slot; w->delay_s is ignored (the
 * answer is for a kernel running now).  Kernels in their launch delay
 * count as running (by the time a kernel started now has launched, theirs
 * are about over), and each PU with several slots shares its compute among
 * all of its kernels, the probe included.  On a busy one-slot PU the
 * kernel cannot start beside what runs there: it would wait in the
 * executor's queue and run once the PU is free, so the answer is for it
 * running alone on that PU, beside what the other PUs run now.  Returns 0
 * or -1 (bad args). */
int hs_machine_predict(hs_machine *m, int pu, const hs_kernel_work *w,
                       hs_machine_prediction *out);
/* A kernel's duration alone on pu of an idle machine (the roofline
 * max(T, Q / min(B_p, C_d / phi_d(Q/T)))); -1 on bad arguments. */
double hs_machine_standalone_time(const hs_machine *m, int pu, const hs_kernel_work *w);

/* ---- Energy and traffic, at any t >= the machine's last change. --------- */

double hs_machine_pu_busy_time(const hs_machine *m, int pu, double t);
double hs_machine_pu_energy(const hs_machine *m, int pu, double t);
double hs_machine_domain_bytes(const hs_machine *m, int domain, double t);
double hs_machine_domain_energy(const hs_machine *m, int domain, double t);
/* The highest total rate (bytes/s) the solver has given domain so far:
 * exact, as rates only change at the machine's events. */
double hs_machine_domain_peak(const hs_machine *m, int domain);
/* All PUs and all domains. */
double hs_machine_energy(const hs_machine *m, double t);

/* ---- Observation. --------------------------------------------------- */

/* Sets (fn != NULL) or clears the bandwidth observer. */
void hs_machine_on_bandwidth(hs_machine *m, hs_machine_bw_fn fn, void *ctx);

typedef struct hs_machine_stats {
    uint64_t starts;           /* kernels and transfers started */
    uint64_t completions;
    uint64_t aborts;
    uint64_t retimes;          /* rate changes of running kernels */
    uint64_t arms;             /* completion events scheduled */
    hs_bw_stats bw;            /* the solver's counters */
} hs_machine_stats;
hs_machine_stats hs_machine_get_stats(const hs_machine *m);
/* The machine's solver, for read-only inspection. */
const hs_bw *hs_machine_solver(const hs_machine *m);

#endif
