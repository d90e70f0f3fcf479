/* hetsoc policy `cpop`: Critical-Path-on-a-Processor.
 *
 * H. Topcuoglu, S. Hariri and M.-Y. Wu, "Performance-effective and
 * low-complexity task scheduling for heterogeneous computing", IEEE TPDS
 * 13(3):260-274, 2002, §4.3.  The stages of a request are its tasks.
 *
 *  1. Priorities (§4.1): priority(n_i) = rank_u(n_i) + rank_d(n_i), with
 *         rank_u(n_i) = w̄_i + max_{n_j ∈ succ(n_i)} (c̄_{i,j} + rank_u(n_j)),   (7)
 *         rank_d(n_i) = max_{n_j ∈ pred(n_i)} (rank_d(n_j) + w̄_j + c̄_{j,i}),   (9)
 *     w̄ and c̄ averaged over the PUs as in HEFT.
 *  2. The critical path: |CP| = priority(n_entry); from the entry task,
 *     repeatedly step to a successor whose priority equals |CP| until an
 *     exit task.  (A request with several entry tasks -- the paper adds a
 *     zero-cost pseudo entry -- starts from the one of highest priority.)
 *  3. The critical-path processor p_CP minimises Σ_{n_i ∈ CP} w_{i,j}.
 *  4. A priority queue holds the ready tasks; the highest-priority one is
 *     taken each time: a critical-path task goes to p_CP, any other to the
 *     PU minimising EFT(n_i, p_j) (5), both with the insertion-based
 *     policy.  Its successors whose inputs are all booked join the queue.
 *
 * On Fig. 2's graph it reproduces Fig. 4(b): CP = {n1, n2, n9, n10} on
 * P2, makespan 86.  Workflows revealed at run time are planned over the
 * graph visible so far and re-planned on each reveal (listsched.h).
 * Equation numbers are the paper's as recalled (PDF not re-checked).
 */
#include <math.h>

#include "policies/listsched.h"

/* Step 2: marks the critical path, walking from the entry task along
 * successors whose priority equals |CP| = priority(n_entry). */
static void mark_critical_path(hs_ls_graph *g)
{
    hs_ls_task *k = NULL;
    for (uint32_t i = 0; i < g->n; i++) {
        hs_ls_task *t = g->t[i];
        t->mark = false;
        if (t->nin == 0 && (!k || (t->prio > k->prio && !hs_ls_same(t->prio, k->prio))))
            k = t;
    }
    const double cp = k ? k->prio : 0;
    while (k) {
        k->mark = true;
        hs_ls_task *next = NULL;
        for (uint32_t j = 0; j < k->nout && !next; j++) {
            hs_ls_task *v = g->t[hs_ls_out(g, k, j)->to];
            if (hs_ls_same(v->prio, cp))
                next = v;
        }
        k = next;
    }
}

/* Step 3: p_CP = argmin_{p_j} Σ_{n_i ∈ CP} w_{i,j} (tasks that hold a PU). */
static int critical_path_processor(const hs_ls *ls, const hs_ls_graph *g)
{
    int best = -1;
    double best_sum = INFINITY;
    for (int p = 0; p < hs_ls_npus(ls); p++) {
        double sum = 0;
        for (uint32_t i = 0; i < g->n; i++)
            if (g->t[i]->mark && g->t[i]->holds_pu)
                sum += g->t[i]->w[p];
        if (sum < best_sum && !hs_ls_same(sum, best_sum)) {
            best_sum = sum;
            best = p;
        }
    }
    return best;
}

/* Steps 1-3: priorities, the critical path and its processor. */
static void cpop_rank(hs_ls *ls, hs_ls_graph *g)
{
    hs_ls_rank_upward(ls, g);
    hs_ls_rank_downward(ls, g);
    for (uint32_t i = 0; i < g->n; i++)
        g->t[i]->prio = g->t[i]->rank_u + g->t[i]->rank_d;
    mark_critical_path(g);
    g->pu_mark = critical_path_processor(ls, g);
}

/* Step 4: a critical-path task to p_CP, any other to its EFT PU. */
static int cpop_place(hs_ls *ls, hs_ls_graph *g, const hs_ls_task *t)
{
    if (t->mark && g->pu_mark >= 0 && isfinite(t->w[g->pu_mark]))
        return g->pu_mark;
    return hs_ls_argmin_eft(ls, g, t, NULL);
}

static const hs_ls_rules cpop_rules = {.rank = cpop_rank, .place = cpop_place};

static int cpop_init(hs_sched *s, void **state, hs_err *err)
{
    return hs_ls_init(s, state, err, &cpop_rules);
}

const hs_policy_ops hs_policy_cpop = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "cpop",
    .description = "CPOP list scheduling (Topcuoglu et al. 2002): critical path on one PU, others by earliest finish time",
    .init = cpop_init,
    .fini = hs_ls_fini,
    .request_arrived = hs_ls_request_arrived,
    .stage_revealed = hs_ls_stage_revealed,
    .work_done = hs_ls_work_done,
    .request_done = hs_ls_request_done,
    .schedule = hs_ls_schedule,
};
