/* hetsoc: first-come-first-served request admission with a fixed placement,
 * the machinery the baseline policies share (single_pu.c, serial_npu_igpu.c,
 * ayo_like.c).  Not installed.
 *
 * A single-accelerator runtime (llama.cpp, PowerServe) serves one request
 * at a time: the next request starts when the previous one finished.  Here
 * at most `concurrency` requests are admitted, the oldest ones in flight;
 * the ready work of an admitted request is dispatched at once, in the order
 * it became ready, to the PU its policy's place() answers (the work then
 * queues there in dispatch order: no batching, no reordering).  The ready
 * work of a request not admitted yet waits in that request's own list, so
 * no decision rescans the requests that wait.
 *
 * Invariant: the admitted requests are always the oldest `concurrency` ones
 * in flight (a finished one is replaced by the oldest waiting one, and
 * arrivals join at the end), so admission walks only that prefix.
 */
#ifndef HS_POLICIES_ADMIT_H
#define HS_POLICIES_ADMIT_H

#include "policies/policy.h"

/* Where work w goes: a PU that can run it, or -1 when none can (the run
 * then fails naming the work).  ctx is the policy's own (admit_state.ctx). */
typedef int (*admit_place_fn)(hs_sched *s, void *ctx, hs_work *w);

typedef struct admit_state admit_state;

/* The init of a policy built on this: stores in *state a new run state
 * whose place() gets a copy of ctx (ctx_size bytes, freed with the state),
 * admitting at most the `concurrency` parameter's requests at once (the
 * policy must list it: HS_PARAM_I64, 0 for no limit).  Returns 0, or -1
 * with err set when out of memory. */
int admit_start(hs_sched *s, void **state, admit_place_fn place, const void *ctx, size_t ctx_size,
                hs_err *err);
/* The copy of ctx that place() gets. */
void *admit_ctx(const admit_state *a);

/* The hooks, to put in an ops table as they are (state: an admit_state). */
void admit_fini(hs_sched *s, void *state);
void admit_request_arrived(hs_sched *s, void *state, hs_req *r);
void admit_work_ready(hs_sched *s, void *state, hs_work *w);
void admit_request_done(hs_sched *s, void *state, hs_req *r);
void admit_schedule(hs_sched *s, void *state);

/* ---- Placement helpers ---------------------------------------------------- */
/* The first PU of that kind; -1 when the profile has none. */
int admit_find_kind(hs_sched *s, hs_pu_kind kind);
/* The same, or -1 with err set to "policy P needs a PU of kind K, but
 * profile F has none (its PUs: ...)": the refusal at init of a policy that needs it. */
int admit_need_pu(hs_sched *s, const char *policy, hs_pu_kind kind, hs_err *err);
/* The first of pus[0..n-1] (entries -1 skipped) that can run w; else the
 * PU of least standalone prediction that can; -1 when none can. */
int admit_first_capable(hs_sched *s, hs_work *w, const int *pus, size_t n);

#endif
