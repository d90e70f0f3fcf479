/* hetsoc real/: the contention check of `hetsoc validate --contention`.
 *
 * A memory-bound kernel (a streaming read, hs_generic: one multiply-add a
 * float) is timed on one PU alone, then while another PU of the same
 * memory runs the same kernel back to back; the measured slowdown is
 * compared with the model's (hs_hw_predict_corun: the simulator's max-min
 * sharing of the memory domain).  A few sizes, from one that fits the
 * caches to one that does not. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "real/prepare.h"
#include "real/real_internal.h"

/* Streamed sizes, MiB: a cache-resident one up to one well past a 2-core
 * VM's L3 (chosen). */
static const double SIZES_MIB[HS_REAL_CONTENTION_SIZES] = {1, 4, 16, 64};

static hs_item stream_item(double bytes)
{
    hs_item it = {.kind = HS_ITEM_KERNEL, .slot = HS_SLOT_TASK, .phase = HS_PHASE_TASK, .layer = -1};
    it.k = hs_kernel_make(HS_OP_GENERIC, 1, 1, 1);
    it.k.dtype = it.k.weight_dtype = HS_DT_FP32;
    it.k.bytes = bytes;
    it.k.flops = 2 * bytes / 4;
    return it;
}

/* Two PUs of one memory that can both run it: the timed one and the other. */
static bool pick_pair(const hs_hw *hw, const hs_item *it, int *fg, int *bg)
{
    for (size_t i = 0; i < hw->npus; i++)
        for (size_t j = 0; j < hw->npus; j++)
            if (i != j && hw->pus[i].mem == hw->pus[j].mem && rl_can_run(hw, (int)i, it) &&
                rl_can_run(hw, (int)j, it)) {
                *fg = (int)i, *bg = (int)j;
                return true;
            }
    return false;
}

/* Median of reps timed runs of it on pu (one warm-up first); the
 * background kernels, if any, keep running meanwhile. */
static int timed(rl_exec *e, int pu, const hs_item *it, int reps, double *samples, rl_stat *st, hs_err *err)
{
    double warm;
    if (rl_time_item(e, pu, it, &warm, err) != 0)
        return -1;
    for (int r = 0; r < reps; r++)
        if (rl_time_item(e, pu, it, &samples[r], err) != 0)
            return -1;
    rl_robust(samples, (size_t)reps, st);
    return 0;
}

static int measure_size(rl_exec *e, const hs_hw *hw, int fg, int bg, double mib, int reps, double *samples,
                        hs_real_contention_row *row, hs_err *err)
{
    hs_item it = stream_item(mib * 1048576.0);
    rl_stat alone, corun;
    if (timed(e, fg, &it, reps, samples, &alone, err) != 0)
        return -1;
    e->bg[bg] = &it;
    int rc = rl_start(e, bg, &it, NULL, true, err);
    if (rc == 0)
        rc = timed(e, fg, &it, reps, samples, &corun, err);
    e->bg[bg] = NULL;
    rl_drain(e);
    if (rc != 0)
        return -1;
    hs_corun_item items[2] = {{.pu = fg, .kernel = it.k}, {.pu = bg, .kernel = it.k}};
    hs_corun_out out[2];
    if (hs_hw_predict_corun(hw, items, 2, 0, out, err) != 0)
        return -1;
    *row = (hs_real_contention_row){
        .bytes = it.k.bytes, .alone_s = alone.median, .corun_s = corun.median,
        .alone_spread = alone.spread, .corun_spread = corun.spread,
        .measured_slowdown = corun.median / alone.median, .model_slowdown = out[0].slowdown,
        .model_alone_s = out[0].alone.latency_s, .model_corun_s = out[0].latency_s};
    row->error = (row->model_slowdown - row->measured_slowdown) / row->measured_slowdown;
    return 0;
}

int hs_real_contention(const hs_hw *hw, const hs_real_opts *ro, int reps, hs_real_contention_check *out,
                       hs_err *err)
{
    memset(out, 0, sizeof *out);
    reps = reps > 0 ? reps : 7;
    hs_item probe = stream_item(1048576.0);
    int fg, bg;
    if (!pick_pair(hw, &probe, &fg, &bg))
        return hs_errf(err, "profile '%s' has no two PUs sharing a memory that can run a streaming kernel",
                       hw->name);
    snprintf(out->pu, sizeof out->pu, "%s", hw->pus[fg].name);
    snprintf(out->other, sizeof out->other, "%s", hw->pus[bg].name);
    snprintf(out->memory, sizeof out->memory, "%s", hw->mems[hw->pus[fg].mem].name);
    double *samples = calloc((size_t)reps, sizeof *samples);
    hs_exec *x = samples ? hs_exec_real_create(hw, ro, err) : NULL;
    int rc = x ? 0 : samples ? -1 : hs_errf(err, "out of memory");
    rl_prio prio;
    rl_raise_priority(&prio);
    for (int i = 0; rc == 0 && i < HS_REAL_CONTENTION_SIZES; i++)
        rc = measure_size(RX(x), hw, fg, bg, SIZES_MIB[i], reps, samples, &out->rows[out->nrows++], err);
    rl_restore_priority(&prio);
    double sum = 0;
    for (size_t i = 0; rc == 0 && i < out->nrows; i++)
        sum += fabs(out->rows[i].error);
    out->mean_abs_error = out->nrows ? sum / (double)out->nrows : NAN;
    if (x)
        x->ops->destroy(x);
    free(samples);
    return rc;
}

void hs_real_contention_json(const hs_real_contention_check *c, FILE *f)
{
    fprintf(f, "{\"pu\": \"%s\", \"other\": \"%s\", \"memory\": \"%s\", \"mean_abs_error\": %.6g, \"sizes\": [",
            c->pu, c->other, c->memory, c->mean_abs_error);
    for (size_t i = 0; i < c->nrows; i++) {
        const hs_real_contention_row *r = &c->rows[i];
        fprintf(f,
                "%s{\"bytes\": %.6g, \"alone_s\": %.6g, \"corun_s\": %.6g, \"alone_spread\": %.6g, "
                "\"corun_spread\": %.6g, \"measured_slowdown\": %.6g, \"model_alone_s\": %.6g, "
                "\"model_corun_s\": %.6g, \"model_slowdown\": %.6g, \"error\": %.6g}",
                i ? ", " : "", r->bytes, r->alone_s, r->corun_s, r->alone_spread, r->corun_spread,
                r->measured_slowdown, r->model_alone_s, r->model_corun_s, r->model_slowdown, r->error);
    }
    fputs("]}\n", f);
}

void hs_real_contention_print(const hs_real_contention_check *c, FILE *f)
{
    fprintf(f, "contention: a streaming read on %s while %s streams the same (memory %s)\n", c->pu, c->other,
            c->memory);
    fprintf(f, "  %9s %10s %10s %9s %9s %8s\n", "MiB", "alone ms", "corun ms", "measured", "model", "error");
    for (size_t i = 0; i < c->nrows; i++) {
        const hs_real_contention_row *r = &c->rows[i];
        fprintf(f, "  %9.0f %10.3f %10.3f %8.2fx %8.2fx %+7.1f%%\n", r->bytes / 1048576.0, 1e3 * r->alone_s,
                1e3 * r->corun_s, r->measured_slowdown, r->model_slowdown, 100 * r->error);
    }
    fprintf(f, "  slowdown error (model vs measured): %.1f%% on average\n", 100 * c->mean_abs_error);
}
