/* hetsoc: PHOLD, the reference model of the event kernel.
 *
 * L logical processes each start with K pending events.  Handling an event
 * at LP i schedules one new event at a uniformly random LP after an
 * exponential delay of mean 1, so the pending count stays L*K.  It is both
 * the kernel's benchmark (`hetsoc bench phold`) and a test of its invariants.
 */
#ifndef HS_SIM_PHOLD_H
#define HS_SIM_PHOLD_H

#include <stdint.h>

typedef struct hs_phold_opts {
    uint64_t lps;              /* L >= 1 */
    uint64_t pending_per_lp;   /* K >= 1 */
    uint64_t events;           /* N events to handle */
    uint64_t seed;
} hs_phold_opts;

typedef struct hs_phold_result {
    uint64_t events;           /* events handled */
    double wall_s;             /* wall time of the event loop only */
    double events_per_s;
    double end_time;           /* simulated clock at the end */
    uint64_t checksum;         /* order-sensitive hash of (time, lp) handled */
    uint64_t min_pending, max_pending;  /* pending-set size over the run */
} hs_phold_result;

/* PHOLD on the hetsoc kernel (pool, queue, run loop, RNG streams). */
int hs_phold_run(const hs_phold_opts *o, hs_phold_result *r);
/* The bare reference: a hand-written 4-ary heap and nothing else. */
int hs_phold_run_reference(const hs_phold_opts *o, hs_phold_result *r);

#endif
