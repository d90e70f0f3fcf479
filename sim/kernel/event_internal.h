/* hetsoc: private details shared by the event pool, queue and run loop.
 * Private to the kernel: only sim/event_*.c and sim/sim_loop.c include it. */
#ifndef HS_SIM_EVENT_INTERNAL_H
#define HS_SIM_EVENT_INTERNAL_H

#include "sim/kernel/event.h"

/* Bits of hs_event.flags.  A record is in one of three states:
 *   free or owned by the caller   flags == 0
 *   queued                        HS_EVF_QUEUED
 *   cancelled, still held         HS_EVF_QUEUED | HS_EVF_CANCELLED
 * Cancellation is lazy: the queue keeps the record until its entry reaches
 * the front, then gives it back to the pool, so the pool cannot hand the
 * record out again while a stale queue entry still points at it. */
enum {
    HS_EVF_QUEUED = 1u << 0,
    HS_EVF_CANCELLED = 1u << 1,
};

#endif
