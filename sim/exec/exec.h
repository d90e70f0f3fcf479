/* hetsoc: the executor interface -- what the engine asks of whatever runs
 * kernels and keeps the clock.  Two implementations, siblings behind this
 * one table: the simulated executor (sim/exec/: virtual time, the fluid
 * machine) and the OpenCL executor (real/exec/: wall clock, OpenCL queues).
 * The engine (sim/engine/) sits above this folder and drives an executor
 * through the table only.  Not installed: policies never see an executor.
 */
#ifndef HS_EXEC_H
#define HS_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "sim/kernel/event.h"
#include "workloads/workloads.h"

/* ---- Executors ----------------------------------------------------------
 * An executor runs kernels on PUs and keeps the clock.  The engine drives
 * it through these calls only; every callback the executor makes into the
 * engine happens from inside run(), one at a time.
 */
typedef struct hs_exec hs_exec;
enum { HS_EXEC_QUEUED = 1u << 0 };

/* The standalone cost of a work item on a PU, as the engine predicts it
 * from the hardware profile (sim/exec/cost.h's hs_item_cost): what the
 * engine and an executor need of a prediction. */
typedef struct hs_cost {
    int rc;              /* 0, or HS_PRED_CANNOT_RUN */
    double latency_s;    /* body + launch (graph build excluded) */
    double body_s;       /* the roofline body or a table's time */
    double launch_s;
    double queue_launch_s; /* launch of a kernel queued behind one on the same PU */
    double build_s;      /* NPU graph build of an unlisted shape (needs_build) */
    double bytes;
    double bound_bps;    /* bytes / body: the bandwidth it draws alone */
    int64_t m;           /* m after NPU padding (the graph's shape) */
    bool needs_build;
} hs_cost;

typedef void (*hs_exec_fn)(void *engine, uint64_t arg);

typedef struct hs_exec_ops {
    const char *name;  /* "sim", "real" */
    /* The current time, seconds from the start of the run.  It does not
     * move while a callback runs (the engine reads it once per callback). */
    double (*now)(hs_exec *x);
    /* Calls fn(engine, arg) at time t >= now, after every callback
     * already due at t.  Returns a handle for cancel, or NULL on OOM. */
    hs_event *(*at)(hs_exec *x, double t, hs_exec_fn fn, uint64_t arg);
    /* Withdraws a callback that has not run yet. */
    void (*cancel)(hs_exec *x, hs_event *ev);
    /* Starts a kernel for item on pu (the engine checked it has a free
     * slot).  flags: HS_EXEC_QUEUED when the kernel follows another on the
     * same PU back to back with its inputs already there, so that an
     * in-order queue overlaps its launch with the previous kernel
     * (hw/'s queue_launch).  When it finishes the executor calls the done
     * function given to bind() with token.  Returns 0, or -1 with err. */
    int (*start)(hs_exec *x, int pu, const hs_item *item, unsigned flags, void *token, hs_err *err);
    /* Binds the executor to a run: the engine pointer every callback
     * receives and the kernel-completion function (before anything else). */
    void (*bind)(hs_exec *x, void (*done)(void *engine, void *token), void *engine);
    /* Runs callbacks and kernels until nothing is left, the clock passes
     * end_time, max_events callbacks ran (0: no budget) or stop() is
     * called.  Returns the number of events handled. */
    uint64_t (*run)(hs_exec *x, double end_time, uint64_t max_events);
    void (*stop)(hs_exec *x);
    /* Bytes/s in use now on memory domain mem. */
    double (*bw_used)(hs_exec *x, int mem);
    /* Busy seconds and joules of a PU, and DRAM joules of all domains,
     * integrated up to now. */
    void (*pu_stats)(hs_exec *x, int pu, double *busy_s, double *energy_j);
    double (*dram_energy)(hs_exec *x);
    void (*destroy)(hs_exec *x);
    /* Optional: the time of the next callback or completion already due,
     * INFINITY when none.  With it the engine runs schedule() inline at
     * the end of an instant instead of posting a callback for it. */
    double (*next_time)(hs_exec *x);
    /* Optional: start() given also the item's cost on pu (rc 0), which
     * the engine has already predicted, so that an executor which runs
     * from the prediction need not look it up again.  When set, the
     * engine calls it instead of start(); same contract otherwise. */
    int (*start_cost)(hs_exec *x, int pu, const hs_item *item, const hs_cost *cost, unsigned flags,
                      void *token, hs_err *err);
    /* How long item would take on pu if it started now: its launch plus
     * its body beside the kernels running now and those in their launch
     * delay, each in the steady state of their sharing (the graph build
     * excluded, as in cost->latency_s).  cost is item's standalone cost on
     * pu, with rc 0.  The engine calls it between start and completion
     * callbacks, from inside a callback (while a policy schedules) at the
     * time now(); pu need not have a free slot.  On a busy PU that runs
     * one kernel at a time the item would wait in its queue: the answer is
     * then for the item running once pu is free, beside what the other
     * PUs run now; on a PU with several slots, for the item sharing pu
     * with what runs there.  It changes nothing the executor does.  Returns seconds > 0, INFINITY when the item would
     * never finish. */
    double (*predict_now)(hs_exec *x, int pu, const hs_item *item, const hs_cost *cost);
    /* Optional: moves bytes (> 0) from memory domain src_mem to dst_mem
     * over link `link` (hw's hs_link), then calls fn(engine, arg) once
     * they have arrived: the link's latency after the last byte left.
     * The simulated executor runs the copy as a flow of the fluid machine
     * over the link and both domains (so alone it takes latency + bytes /
     * link bandwidth, and it shares the link with other transfers).
     * Without it the engine charges that time alone as a delay.  Returns
     * 0, or -1 with err. */
    int (*transfer)(hs_exec *x, int link, int src_mem, int dst_mem, double bytes, hs_exec_fn fn,
                    uint64_t arg, hs_err *err);
    /* Optional: stops the running item of token on pu early (hs_preempt).
     * The item is `kernels` > 1 kernels taken as equal shares of its work
     * (an executor that runs an aggregate as one piece keeps no finer
     * record).  It stops at its next kernel boundary -- the kernel under
     * way finishes, the later ones are dropped -- or, when within_s > 0
     * (the PU's preempt_s), at the latest within_s from now, inside a
     * kernel.  Its completion callback then comes at the stop, as usual.
     * *done gets the kernels done by the stop (fractional when it stops
     * inside one; `kernels` when nothing is left to drop).  Returns 0, or
     * -1 with err saying why it cannot stop running work. */
    int (*preempt)(hs_exec *x, int pu, void *token, int64_t kernels, double within_s, double *done,
                   hs_err *err);
    /* Optional: the record of NPU static graphs built on pu (one per PU and
     * graph shape m, the cost's padded m): whether m is built; with build,
     * records it as built first.  The graph build of a kernel whose shape
     * is recorded is not charged again. */
    bool (*graph_built)(hs_exec *x, int pu, int64_t m, bool build);
    /* Optional: what the kernel whose completion is being reported cost,
     * called from inside the done callback bound with bind() (before any
     * other start).  busy_s: its share of its PU's busy time (each instant
     * at which n kernels compute on the PU counts 1/n to each; its launch
     * delay counts nothing), so the shares of a PU's kernels sum to its
     * busy time; active_j = the PU's active power x busy_s; dram_j: the
     * DRAM energy of the bytes it moved.  The PU's idle energy is nobody's.
     * NULL: the executor cannot tell (energy per request is then NaN). */
    void (*done_energy)(hs_exec *x, double *busy_s, double *active_j, double *dram_j);
    /* Optional: memory domain mem's traffic up to now -- bytes moved to and
     * from it, and the highest total rate (bytes/s) it carried at any
     * instant.  NULL: the executor cannot tell (the /dram row is NaN). */
    void (*mem_stats)(hs_exec *x, int mem, double *bytes, double *peak_bps);
} hs_exec_ops;

struct hs_exec {
    const hs_exec_ops *ops;
};

/* Observes bandwidth changes: t, memory domain, bytes/s in use. */
typedef void (*hs_bw_observer)(void *ctx, double t, int mem, double bps);
/* Observes a PU's bandwidth: t, PU, bytes/s its kernels draw. */
typedef void (*hs_pu_bw_observer)(void *ctx, double t, int pu, double bps);

#endif
