/* hetsoc policy `heft`: Heterogeneous Earliest Finish Time.
 *
 * H. Topcuoglu, S. Hariri and M.-Y. Wu, "Performance-effective and
 * low-complexity task scheduling for heterogeneous computing", IEEE TPDS
 * 13(3):260-274, 2002, §4.2.  The stages of a request are its tasks, the
 * PUs its processors.
 *
 * Task-prioritizing phase: every task gets its upward rank (§4.1)
 *     rank_u(n_i) = w̄_i + max_{n_j ∈ succ(n_i)} (c̄_{i,j} + rank_u(n_j)),   (7)
 *     rank_u(n_exit) = w̄_exit,                                            (8)
 * with w̄_i (1) the task's mean cost over the PUs (the sum of its work items'
 * predictions on each PU) and c̄_{i,j} the edge's communication cost (a
 * `dag` edge's comm, else the profile's cross-PU sync cost averaged over
 * pairs of distinct PUs).  Tasks are taken by nonincreasing rank_u (a
 * ready list by rank_u: the same order, as rank_u decreases along every
 * edge; equal ranks by stage id).
 *
 * Processor-selection phase: each task goes to the PU that minimises
 *     EFT(n_i, p_j) = w_{i,j} + EST(n_i, p_j),                              (5)
 *     EST(n_i, p_j) = max{avail[j], max_{n_m ∈ pred(n_i)} (AFT(n_m) + c_{m,i})}   (4)
 * (§2) with the insertion-based policy: a task may go into an idle gap
 * between two tasks already booked on the PU if it fits there after its
 * data are ready.  Lowest PU index on ties.
 *
 * On a static DAG the whole graph is planned at arrival (the paper's
 * setting: on Fig. 2's graph it reproduces Fig. 4(a), makespan 80); on a
 * workflow whose stages are revealed as it runs, the visible graph is
 * planned and re-planned on each reveal (policies/listsched.h).
 *
 * Equation numbers are the paper's as recalled from the published text
 * (the PDF was not at hand to re-check them).
 */
#include "policies/listsched.h"

/* Task-prioritizing phase: priority = rank_u. */
static void heft_rank(hs_ls *ls, hs_ls_graph *g)
{
    hs_ls_rank_upward(ls, g);
    for (uint32_t i = 0; i < g->n; i++)
        g->t[i]->prio = g->t[i]->rank_u;
}

/* Processor-selection phase: argmin_p EFT(n_i, p), insertion-based. */
static int heft_place(hs_ls *ls, hs_ls_graph *g, const hs_ls_task *t)
{
    return hs_ls_argmin_eft(ls, g, t, NULL);
}

static const hs_ls_rules heft_rules = {.rank = heft_rank, .place = heft_place};

static int heft_init(hs_sched *s, void **state, hs_err *err)
{
    return hs_ls_init(s, state, err, &heft_rules);
}

const hs_policy_ops hs_policy_heft = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "heft",
    .description = "HEFT list scheduling (Topcuoglu et al. 2002): upward rank, insertion-based earliest finish time",
    .init = heft_init,
    .fini = hs_ls_fini,
    .request_arrived = hs_ls_request_arrived,
    .stage_revealed = hs_ls_stage_revealed,
    .work_done = hs_ls_work_done,
    .request_done = hs_ls_request_done,
    .schedule = hs_ls_schedule,
};
