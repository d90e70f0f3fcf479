/* hetsoc: the machinery the list-scheduling policies heft, cpop and peft
 * share.  Not installed; policies/heft.c, cpop.c and peft.c include it.
 *
 * A list scheduler (Topcuoglu, Hariri and Wu, IEEE TPDS 13(3), 2002; and
 * Arabnejad and Barbosa, IEEE TPDS 25(3), 2014) plans a task graph ahead:
 * it ranks the tasks, then takes them one at a time by rank and books each
 * on a processor's timeline, in the earliest idle slot that fits after its
 * data are ready (the insertion-based policy).  The three policies differ
 * only in the rank and in the processor-selection rule; this file holds
 * the rest:
 *
 *  - the snapshot of one request's visible graph (hs_ls_graph): a task per
 *    revealed stage with its cost w(i, p) on every PU -- the sum of the
 *    predictions of all its work items on p -- its mean w̄_i, and the
 *    revealed edges with their communication costs;
 *  - the common quantities: average communication cost c̄, upward and
 *    downward ranks, data-ready time, insertion-based EST/EFT;
 *  - the plan: one timeline per PU shared by all requests in flight, a
 *    priority-ordered ready list that books tasks as the policy's rules
 *    choose, and its in-order dispatch.
 *
 * Online use.  A request is planned when it arrives, on top of what other
 * requests already booked; whenever a running request reveals new stages
 * (a loop goes round, a conditional edge is taken), its stages not yet
 * dispatched are planned again over the graph visible so far.  On a
 * static DAG (every stage revealed at arrival) the whole graph is planned
 * once, at arrival, exactly as in the papers.
 *
 * How a plan is executed.  The engine runs work dispatched to a PU in
 * dispatch order, once the PU has a free slot and the work's inputs have
 * arrived there (a `dag` edge's comm is paid only across PUs).  So work is
 * dispatched to its planned PU only once every task booked before it on
 * that PU has been dispatched: on exact predictions (textbook DAGs) the
 * engine then realises the planned start and finish times exactly, gaps
 * filled by insertion included.  A stage with several work items (op or
 * layer granularity) is planned as a whole and all its items go to its PU.
 * Tool calls and other delays hold no PU: they take their delay, with no
 * communication into or out of them.  Waiting never deadlocks: every task
 * waits only on tasks booked earlier in time (see listsched.c).
 */
#ifndef HS_POLICIES_LISTSCHED_H
#define HS_POLICIES_LISTSCHED_H

#include <stdbool.h>
#include <stdint.h>

#include "policies/policy.h"

typedef enum hs_ls_state {
    HS_LS_UNPLANNED,    /* not booked yet */
    HS_LS_PLANNED,      /* booked; none of its items dispatched */
    HS_LS_DISPATCHING,  /* some of its items dispatched */
    HS_LS_DISPATCHED,   /* all of its items dispatched */
    HS_LS_DONE,         /* finished (finish is the actual time) */
} hs_ls_state;

/* One revealed stage of a request: a task of the list scheduler. */
typedef struct hs_ls_task {
    uint32_t id;          /* stage id within its request */
    uint32_t nitems;      /* work items of the stage */
    bool holds_pu;        /* false: a delay (tool call) or an empty stage */
    double wbar;          /* w̄_i: mean of w over the PUs that can run it */
    double *w;            /* [npus] w(i, p): the stage's time on p; INFINITY: cannot */
    /* Ranks, set by the policy's rank rule. */
    double rank_u, rank_d;
    double prio;          /* the list order: higher first, ties by lower id */
    double *aux;          /* [npus] a per-PU table of the policy (PEFT: its OCT row) */
    bool mark;            /* a flag of the policy (CPOP: on the critical path) */
    /* The visible edges: g->in[in0 .. in0+nin) and g->out[out0 .. out0+nout). */
    uint32_t in0, nin, out0, nout;
    /* The plan. */
    hs_ls_state state;
    int pu;               /* booked PU; -1 for a task that holds none */
    double start, finish; /* booked times (finish: actual once DONE) */
    uint32_t dispatched, done;  /* items dispatched, items finished */
    bool queued;          /* in the planner's ready list */
} hs_ls_task;

/* A revealed edge: from -> to (stage ids), with the `dag` edge's comm
 * time (0 when the edge gives none: the profile's sync cost applies). */
typedef struct hs_ls_edge {
    uint32_t from, to;
    double comm;
} hs_ls_edge;

/* The visible graph of one request. */
typedef struct hs_ls_graph {
    hs_req *req;
    uint32_t n;               /* tasks: t[0 .. n), by stage id */
    hs_ls_task **t;
    uint32_t ne;              /* edges, grouped by target */
    hs_ls_edge *e;
    uint32_t *in, *out;       /* edge indices by target / by source */
    size_t cap, ecap, icap, ocap;  /* allocated lengths of t, e, in, out */
    uint32_t *topo;           /* [n] stage ids in a topological order */
    int pu_mark;              /* a per-request PU of the policy (CPOP: p_CP); -1 none */
    struct hs_ls_graph *prev, *next;  /* the planner's graphs in flight */
} hs_ls_graph;

typedef struct hs_ls hs_ls;

/* What a list-scheduling policy brings: its rank and its PU choice. */
typedef struct hs_ls_rules {
    /* Sets prio (and whatever place() needs) of every task of g. */
    void (*rank)(hs_ls *ls, hs_ls_graph *g);
    /* The PU to book t on (a task that holds a PU); -1 when none can. */
    int (*place)(hs_ls *ls, hs_ls_graph *g, const hs_ls_task *t);
} hs_ls_rules;

/* ---- Quantities the rules use ------------------------------------------- */
hs_sched *hs_ls_sched(const hs_ls *ls);
int hs_ls_npus(const hs_ls *ls);
/* The k-th input / output edge of t (k < t->nin / t->nout). */
const hs_ls_edge *hs_ls_in(const hs_ls_graph *g, const hs_ls_task *t, uint32_t k);
const hs_ls_edge *hs_ls_out(const hs_ls_graph *g, const hs_ls_task *t, uint32_t k);
/* c̄(i, j): the average communication cost of an edge -- its comm, or the
 * profile's cross-PU sync cost averaged over ordered pairs of distinct
 * PUs; 0 into or out of a task that holds no PU. */
double hs_ls_cbar(const hs_ls *ls, const hs_ls_graph *g, const hs_ls_edge *e);
/* rank_u of every task, over the visible graph (HEFT and CPOP). */
void hs_ls_rank_upward(hs_ls *ls, hs_ls_graph *g);
/* rank_d of every task, over the visible graph (CPOP). */
void hs_ls_rank_downward(hs_ls *ls, hs_ls_graph *g);
/* EFT(t, pu) with the insertion-based policy; *start gets the EST.
 * INFINITY when pu cannot run t.  Every input of t is booked or done. */
double hs_ls_eft(hs_ls *ls, const hs_ls_graph *g, const hs_ls_task *t, int pu, double *start);
/* argmin over PUs of EFT(t, p) + bias[p] (bias may be NULL); lowest index
 * on ties; -1 when no PU can run t. */
int hs_ls_argmin_eft(hs_ls *ls, const hs_ls_graph *g, const hs_ls_task *t, const double *bias);
/* Ranks compare equal within this relative tolerance; equal ranks are
 * taken by stage id (reveal order), which on Topcuoglu's Fig. 2 takes n3
 * before n4 (both 80), as the paper lists them. */
bool hs_ls_same(double a, double b);

/* ---- The policy hooks, shared by the three ops tables --------------------- */
int hs_ls_init(hs_sched *s, void **state, hs_err *err, const hs_ls_rules *rules);
void hs_ls_fini(hs_sched *s, void *state);
void hs_ls_request_arrived(hs_sched *s, void *state, hs_req *r);
void hs_ls_stage_revealed(hs_sched *s, void *state, hs_req *r, uint32_t first);
void hs_ls_work_done(hs_sched *s, void *state, hs_work *w);
void hs_ls_request_done(hs_sched *s, void *state, hs_req *r);
void hs_ls_schedule(hs_sched *s, void *state);

#endif
