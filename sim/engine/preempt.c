/* hetsoc: taking work back from PUs and paying for moving it.
 *
 *   recall      QUEUED work leaves its PU's queue and is READY again
 *               (Agent.xpu's kernel-level preemption of work not started)
 *   preempt     RUNNING work stops at its next kernel boundary; what is
 *               left comes back as a READY remainder of the same stage
 *               (Agent.xpu v1: the running kernel finishes, the request
 *               is checkpointed with its remaining kernels)
 *   pre-build   an NPU static graph built ahead of need on some PU
 *               (Agent.xpu v2 warms NPU graphs while a request waits)
 *   join cost   the sync and the copy that merge a split item's parts
 *               (HeteroInfer §3.2: T_sync + T_copy)
 * The policy-facing calls are declared in policies/policy.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/engine/engine_internal.h"

static const char *state_name(hs_work_state st)
{
    static const char *const names[] = {"ready", "queued", "running", "done"};
    return names[st];
}

/* "work 12 (layer, request 3, stage 1)", for error messages. */
static const char *work_name(const hs_work *w, char *buf, size_t size)
{
    if (w->req)
        snprintf(buf, size, "work %llu (%s, request %llu, stage %u)", (unsigned long long)w->id,
                 hs_slot_name(w->item.slot), (unsigned long long)w->req->arr.id, w->stage);
    else
        snprintf(buf, size, "work %llu (%s)", (unsigned long long)w->id, hs_slot_name(w->item.slot));
    return buf;
}

/* ---- Recall -------------------------------------------------------------- */

int hs_recall(hs_sched *s, hs_work *w)
{
    char name[160];
    if (!w || w->state != HS_WORK_QUEUED || w->role != HS_WORK_PLAIN) {
        hs_sched_fail(s, "hs_recall of %s, which is %s, not queued on a PU", w ? work_name(w, name, sizeof name) : "NULL",
                      w ? (w->role == HS_WORK_PREBUILD ? "a graph pre-build" : state_name(w->state)) : "no work");
        return -1;
    }
    const int pu = w->pu;
    hs_engine_dequeue(s, w);
    s->recalls++;
    hs_engine_try_start(s, pu);
    hs_engine_ready(s, w);
    return 0;
}

/* ---- Preemption at a kernel boundary -------------------------------------- */

/* Why running w cannot be preempted, or NULL. */
static const char *not_preemptible(const hs_work *w)
{
    if (w->state != HS_WORK_RUNNING || w->pu < 0)
        return w->pu < 0 && w->state == HS_WORK_RUNNING ? "it holds no PU (a delay, a split item or a batch member)"
                                                          : "it is not running";
    if (w->role == HS_WORK_PREBUILD)
        return "it is a graph pre-build";
    if (w->parent)
        return "it is a part of a split item";
    if (w->nmembers)
        return "it is a batch";
    if (hs_item_kernels(&w->item) < 2)
        return "it is one kernel: only layer- and stage-granularity items stop at a kernel boundary";
    return NULL;
}

int hs_preempt(hs_sched *s, hs_work *w)
{
    char name[160];
    const char *why = w ? not_preemptible(w) : "it is NULL";
    if (why) {
        hs_sched_fail(s, "hs_preempt of %s: %s", w ? work_name(w, name, sizeof name) : "NULL", why);
        return -1;
    }
    if (w->role == HS_WORK_PREEMPTED)
        return 0;                /* already stopping */
    const hs_exec_ops *x = s->x->ops;
    const int64_t kernels = hs_item_kernels(&w->item);
    double done = (double)kernels;
    hs_err err = {{0}};
    if (!x->preempt)
        snprintf(err.msg, sizeof err.msg, "the %s executor cannot preempt running work", x->name);
    if (!x->preempt || x->preempt(s->x, w->pu, w, kernels, s->hw->pus[w->pu].preempt_s, &done, &err) != 0) {
        hs_sched_fail(s, "hs_preempt of %s: %s", work_name(w, name, sizeof name), err.msg);
        return -1;
    }
    if (done >= (double)kernels)
        return 0;                /* its last kernel runs: nothing to take back */
    w->role = HS_WORK_PREEMPTED;
    w->stop_kernels = done;
    w->predicted_s *= done / (double)kernels;
    s->preemptions++;
    hs_engine_touch(s);
    return 0;
}

/* it after its first `done` kernels (0 <= done <= n, its kernels). */
static int rest_after(const hs_item *it, int64_t done, int64_t n, hs_item *out, hs_err *err)
{
    if (done > 0 && done < n)
        return hs_item_remainder(it, done, out, err);
    *out = *it;
    if (done >= n) {
        out->k.flops = 0;
        out->parts = (hs_item_bytes){0};
        out->k.bytes = 0;
    }
    return 0;
}

/* The remainder of an item stopped after `done` kernels: a whole number
 * is a boundary; a fraction (a PU with preempt_s > 0 stopped inside a
 * kernel) leaves that kernel's unfinished share, interpolated between
 * the remainders on either side.  Such a remainder can be neither split,
 * batched nor preempted again. */
static int remainder_of(const hs_item *it, double done, hs_item *rest, hs_err *err)
{
    const int64_t n = hs_item_kernels(it), whole = (int64_t)floor(done);
    const double f = done - (double)whole;
    hs_item next;
    if (rest_after(it, whole, n, rest, err) != 0)
        return -1;
    if (f == 0)
        return 0;
    if (rest_after(it, whole + 1, n, &next, err) != 0)
        return -1;
    rest->k.flops -= f * (rest->k.flops - next.k.flops);
    rest->parts.weights -= f * (rest->parts.weights - next.parts.weights);
    rest->parts.in -= f * (rest->parts.in - next.parts.in);
    rest->parts.out -= f * (rest->parts.out - next.parts.out);
    rest->parts.kv -= f * (rest->parts.kv - next.parts.kv);
    rest->k.bytes = rest->parts.weights + rest->parts.in + rest->parts.out + rest->parts.kv;
    rest->batched = true;
    rest->batch_key = 0;
    return 0;
}

/* Its inputs are the kernels done, on its PU: they are there at the stop
 * plus the PU's preempt_cost_s (the checkpoint; Agent.xpu v1 §2.3 finds it
 * free, outputs already in DRAM).  The remainder goes to the tail of the
 * ready list, announced by work_ready like any ready work. */
void hs_engine_remainder(hs_sched *s, hs_work *w)
{
    hs_req *r = w->req;
    hs_item rest;
    hs_err err;
    if (remainder_of(&w->item, w->stop_kernels, &rest, &err) != 0) {
        char name[160], msg[HS_ERR_MSG_MAX];
        snprintf(msg, sizeof msg, "error: internal: the remainder of %s: %.200s", work_name(w, name, sizeof name),
                 err.msg);
        hs_engine_fail(s, msg);
        return;
    }
    hs_stage_rt *st = &r->stages[w->stage];
    st->last_pu = w->pu;
    st->last_end = s->t + s->hw->pus[w->pu].preempt_cost_s;
    hs_work *n = hs_engine_work_new(s);
    if (!n) {
        hs_engine_fail(s, "error: out of memory");
        return;
    }
    n->item = rest;
    n->req = r;
    n->stage = w->stage;
    n->epoch = w->epoch;
    hs_engine_work_free(s, w);
    hs_engine_ready(s, n);
}

/* ---- NPU graph pre-builds ---------------------------------------------------- */

/* The graph a GEMM of m rows needs on npu: its shape (after the PU's
 * static shapes and tile) and whether it needs a build, and its cost. */
static int graph_of(const hs_sched *s, int npu, int64_t m, hs_pred *p)
{
    hs_kernel k = hs_kernel_make(HS_OP_GEMM, m, 1, 1);
    hs_err err;
    return hs_kernel_derive(&k, &err) == 0 ? hs_hw_predict(s->hw, npu, &k, 0, p, &err) : -1;
}

bool hs_graph_built(hs_sched *s, int npu, int64_t m)
{
    hs_pred p;
    if (npu < 0 || npu >= (int)s->hw->npus || m < 1 || graph_of(s, npu, m, &p) != 0)
        return false;
    if (!p.needs_build)
        return true;
    return s->x->ops->graph_built && s->x->ops->graph_built(s->x, npu, p.m, false);
}

bool hs_can_prebuild(hs_sched *s, int npu, int64_t m)
{
    hs_pred p;
    return s->x->ops->graph_built && npu >= 0 && npu < (int)s->hw->npus && m >= 1 && graph_of(s, npu, m, &p) == 0;
}

int hs_prebuild(hs_sched *s, int npu, int64_t m, int pu)
{
    const int np = (int)s->hw->npus;
    hs_pred p;
    if (npu < 0 || npu >= np || pu < 0 || pu >= np || m < 1) {
        hs_sched_fail(s, "hs_prebuild(PU %d, m = %lld) on PU %d: no such PU or shape", npu, (long long)m, pu);
        return -1;
    }
    if (!s->x->ops->graph_built) {
        hs_sched_fail(s, "hs_prebuild: the %s executor keeps no record of NPU graphs", s->x->ops->name);
        return -1;
    }
    if (graph_of(s, npu, m, &p) != 0) {
        hs_sched_fail(s, "hs_prebuild: PU %s runs no GEMM of %lld rows", s->hw->pus[npu].name, (long long)m);
        return -1;
    }
    if (hs_graph_built(s, npu, m))
        return 0;
    hs_work *w = hs_engine_work_new(s);
    if (!w) {
        hs_engine_fail(s, "error: out of memory");
        return -1;
    }
    w->role = HS_WORK_PREBUILD;
    w->graph_pu = npu;
    w->graph_m = p.m;
    w->item = (hs_item){.kind = HS_ITEM_KERNEL, .phase = HS_PHASE_TASK, .slot = HS_SLOT_TASK, .layer = -1,
                        .steps = 1, .units = 1, .k = {.op = HS_OP_GENERIC, .m = p.m, .batch = 1}};
    /* Its cost is the build, a fixed time holding the PU: set here so that
     * the start looks nothing up (hs_engine_work_cost). */
    w->cost = (hs_cost){.latency_s = p.build_s, .body_s = p.build_s};
    w->cost_pu = pu;
    w->predicted_s = p.build_s;
    hs_engine_enqueue(s, w, pu);
    hs_engine_touch(s);
    return 0;
}

void hs_engine_prebuilt(hs_sched *s, hs_work *w)
{
    s->x->ops->graph_built(s->x, w->graph_pu, w->graph_m, true);
    hs_engine_work_free(s, w);
}

/* ---- Join costs ----------------------------------------------------------------- */

double hs_engine_join_s(const hs_sched *s, uint64_t pus, double out_bytes)
{
    double sync = 0;
    for (int a = 0; a < (int)s->hw->npus && a < 64; a++)
        for (int b = a + 1; b < (int)s->hw->npus && b < 64; b++)
            if ((pus >> a & 1) && (pus >> b & 1)) {
                double c = hs_hw_sync_s(s->hw, a, b, s->cfg->fast_sync);
                if (c > sync)
                    sync = c;
            }
    bool several = pus & (pus - 1);
    if (!several || !(s->hw->copy_bps > 0))
        return sync;
    return sync + out_bytes / s->hw->copy_bps;
}

double hs_join_cost(hs_sched *s, const hs_work *w, const int *pus, size_t n)
{
    uint64_t mask = 0;
    for (size_t i = 0; i < n; i++)
        if (pus[i] >= 0 && pus[i] < (int)s->hw->npus && pus[i] < 64)
            mask |= 1ull << pus[i];
    return w ? hs_engine_join_s(s, mask, w->item.parts.out) : 0;
}
