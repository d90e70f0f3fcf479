/* hetsoc policy `peft`: Predict Earliest Finish Time.
 *
 * H. Arabnejad and J. G. Barbosa, "List scheduling algorithm for
 * heterogeneous systems by an optimistic cost table", IEEE TPDS
 * 25(3):682-694, 2014.  The stages of a request are its tasks.
 *
 * The Optimistic Cost Table holds, for every task t_i and PU p_k, the
 * longest of the shortest paths from t_i's successors to the exit when
 * t_i runs on p_k, processor availability ignored:
 *     OCT(t_i, p_k) = max_{t_j ∈ succ(t_i)} [ min_{p_w ∈ P} { OCT(t_j, p_w)
 *                          + w(t_j, p_w) + c̄_{i,j} } ],   c̄_{i,j} = 0 if p_w = p_k,
 *     OCT(t_exit, p_k) = 0,
 * c̄_{i,j} the edge's average communication cost (as in HEFT).  Tasks are
 * ranked by their mean OCT over the P PUs,
 *     rank_oct(t_i) = Σ_k OCT(t_i, p_k) / P,
 * taken from a ready list by decreasing rank_oct (equal ranks by stage
 * id), and each goes to the PU minimising the optimistic EFT
 *     O_EFT(t_i, p_j) = EFT(t_i, p_j) + OCT(t_i, p_j),
 * EFT computed with the insertion-based policy (lowest PU index on ties).
 *
 * On the paper's 10-task sample graph (workloads/peft-arabnejad.yaml) it
 * gives makespan 122 (HEFT: 133).  Workflows revealed at run time are
 * planned over the graph visible so far and re-planned on each reveal
 * (policies/listsched.h).  The formulas are the paper's; its equation
 * numbers are not quoted, the PDF was not at hand to check them.
 */
#include <math.h>

#include "policies/listsched.h"

/* OCT(t_i, p_k), stored in t_i's aux row, in reverse topological order. */
static void optimistic_cost_table(hs_ls *ls, hs_ls_graph *g)
{
    const int np = hs_ls_npus(ls);
    for (uint32_t k = g->n; k-- > 0;) {
        hs_ls_task *t = g->t[g->topo[k]];
        for (int pk = 0; pk < np; pk++) {
            double oct = 0;
            for (uint32_t j = 0; j < t->nout; j++) {
                const hs_ls_edge *e = hs_ls_out(g, t, j);
                const hs_ls_task *s = g->t[e->to];
                const double cbar = hs_ls_cbar(ls, g, e);
                double best = INFINITY;
                for (int pw = 0; pw < np; pw++)
                    best = fmin(best, s->aux[pw] + s->w[pw] + (pw == pk ? 0 : cbar));
                if (isfinite(best))
                    oct = fmax(oct, best);
            }
            t->aux[pk] = oct;
        }
    }
}

/* rank_oct(t_i) = Σ_k OCT(t_i, p_k) / P. */
static void peft_rank(hs_ls *ls, hs_ls_graph *g)
{
    const int np = hs_ls_npus(ls);
    optimistic_cost_table(ls, g);
    for (uint32_t i = 0; i < g->n; i++) {
        hs_ls_task *t = g->t[i];
        double sum = 0;
        for (int p = 0; p < np; p++)
            sum += t->aux[p];
        t->prio = np > 0 ? sum / np : 0;
    }
}

/* argmin_{p_j} O_EFT(t_i, p_j) = EFT(t_i, p_j) + OCT(t_i, p_j). */
static int peft_place(hs_ls *ls, hs_ls_graph *g, const hs_ls_task *t)
{
    return hs_ls_argmin_eft(ls, g, t, t->aux);
}

static const hs_ls_rules peft_rules = {.rank = peft_rank, .place = peft_place};

static int peft_init(hs_sched *s, void **state, hs_err *err)
{
    return hs_ls_init(s, state, err, &peft_rules);
}

const hs_policy_ops hs_policy_peft = {
    .abi_version = HS_POLICY_ABI_VERSION,
    .name = "peft",
    .description = "PEFT list scheduling (Arabnejad and Barbosa 2014): optimistic cost table rank and look-ahead EFT",
    .init = peft_init,
    .fini = hs_ls_fini,
    .request_arrived = hs_ls_request_arrived,
    .stage_revealed = hs_ls_stage_revealed,
    .work_done = hs_ls_work_done,
    .request_done = hs_ls_request_done,
    .schedule = hs_ls_schedule,
};
