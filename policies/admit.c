/* hetsoc: FCFS request admission with a fixed placement (see admit.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policies/admit.h"

/* A growable list of works, in the order they were added. */
typedef struct work_list {
    hs_work **w;
    size_t n, cap;
} work_list;

static bool work_list_push(work_list *l, hs_work *w)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        hs_work **grown = realloc(l->w, cap * sizeof *grown);
        if (!grown)
            return false;
        l->w = grown;
        l->cap = cap;
    }
    l->w[l->n++] = w;
    return true;
}

/* Per request (hs_req_data). */
typedef struct admit_req {
    bool admitted;
    work_list waiting;  /* its ready work while it is not admitted */
} admit_req;

struct admit_state {
    admit_place_fn place;
    void *ctx;             /* the policy's, copied */
    int64_t concurrency;   /* 0: no limit */
    int64_t admitted;      /* requests admitted and not finished */
    work_list to_dispatch; /* ready work of admitted requests, in ready order */
};

int admit_start(hs_sched *s, void **state, admit_place_fn place, const void *ctx, size_t ctx_size,
                hs_err *err)
{
    admit_state *a = calloc(1, sizeof *a);
    void *copy = malloc(ctx_size ? ctx_size : 1);
    if (!a || !copy) {
        free(a);
        free(copy);
        return hs_errf(err, "out of memory");
    }
    memcpy(copy, ctx, ctx_size);
    *a = (admit_state){.place = place, .ctx = copy, .concurrency = hs_param_i64(s, "concurrency")};
    *state = a;
    return 0;
}

void *admit_ctx(const admit_state *a) { return a->ctx; }

void admit_fini(hs_sched *s, void *state)
{
    admit_state *a = state;
    /* A failed run may leave requests in flight: free their lists. */
    for (hs_req *r = hs_req_first(s); r; r = hs_req_next(s, r)) {
        admit_req *ar = hs_req_data(r);
        if (ar)
            free(ar->waiting.w);
        free(ar);
        hs_req_set_data(r, NULL);
    }
    free(a->ctx);
    free(a->to_dispatch.w);
    free(a);
}

void admit_request_arrived(hs_sched *s, void *state, hs_req *r)
{
    (void)state;
    admit_req *ar = calloc(1, sizeof *ar);
    if (!ar) {
        hs_sched_fail(s, "out of memory");
        return;
    }
    hs_req_set_data(r, ar);
}

void admit_work_ready(hs_sched *s, void *state, hs_work *w)
{
    admit_state *a = state;
    hs_req *r = hs_work_req(w);
    admit_req *ar = r ? hs_req_data(r) : NULL;
    work_list *l = ar && !ar->admitted ? &ar->waiting : &a->to_dispatch;
    if (!work_list_push(l, w))
        hs_sched_fail(s, "out of memory");
}

void admit_request_done(hs_sched *s, void *state, hs_req *r)
{
    (void)s;
    admit_state *a = state;
    admit_req *ar = hs_req_data(r);
    if (!ar)
        return;
    if (ar->admitted)
        a->admitted--;
    free(ar->waiting.w);
    free(ar);
    hs_req_set_data(r, NULL);
}

/* Admits the oldest waiting requests while there is room; their ready
 * work joins the dispatch list in the order it became ready. */
static void admit_oldest(hs_sched *s, admit_state *a)
{
    for (hs_req *r = hs_req_first(s); r; r = hs_req_next(s, r)) {
        if (a->concurrency > 0 && a->admitted >= a->concurrency)
            return;
        admit_req *ar = hs_req_data(r);
        if (!ar || ar->admitted)
            continue;
        ar->admitted = true;
        a->admitted++;
        for (size_t i = 0; i < ar->waiting.n; i++)
            if (!work_list_push(&a->to_dispatch, ar->waiting.w[i])) {
                hs_sched_fail(s, "out of memory");
                return;
            }
        ar->waiting.n = 0;
    }
}

/* The run cannot go on: no PU runs w's op, or w alone does not fit any
 * PU's memory (say which, with the first PU's figures). */
static void fail_unplaceable(hs_sched *s, hs_work *w)
{
    const hs_req *r = hs_work_req(w);
    const hs_stage_info *si = r ? hs_request_node(hs_req_dag(r), hs_work_stage(w)) : NULL;
    char why[256] = "";
    for (int pu = 0; pu < hs_npus(s) && !why[0]; pu++)
        if (!hs_mem_why(s, w, pu, why, sizeof why))
            break;
        else
            why[0] = '\0';
    hs_sched_fail(s, "no PU of this profile can run work '%s' of stage '%s'%s%s%s",
                  hs_slot_name(hs_work_item(w)->slot), si ? si->name : "?", why[0] ? " (" : "", why,
                  why[0] ? ")" : "");
}

void admit_schedule(hs_sched *s, void *state)
{
    admit_state *a = state;
    if (a->concurrency == 0 || a->admitted < a->concurrency)
        admit_oldest(s, a);
    for (size_t i = 0; i < a->to_dispatch.n; i++) {
        hs_work *w = a->to_dispatch.w[i];
        int pu = a->place(s, a->ctx, w);
        if (pu < 0) {
            fail_unplaceable(s, w);
            break;
        }
        if (hs_dispatch(s, w, pu) != 0)
            break;  /* the run failed with the engine's reason */
    }
    a->to_dispatch.n = 0;
}

/* ---- Placement helpers ---------------------------------------------------- */
int admit_find_kind(hs_sched *s, hs_pu_kind kind)
{
    for (int pu = 0; pu < hs_npus(s); pu++)
        if (hs_pu_of(s, pu)->kind == kind)
            return pu;
    return -1;
}

int admit_need_pu(hs_sched *s, const char *policy, hs_pu_kind kind, hs_err *err)
{
    int pu = admit_find_kind(s, kind);
    if (pu >= 0)
        return pu;
    char have[256] = "";
    size_t used = 0;
    for (int i = 0; i < hs_npus(s) && used < sizeof have; i++)
        used += (size_t)snprintf(have + used, sizeof have - used, "%s%s (%s)", i ? ", " : "",
                                 hs_pu_of(s, i)->name, hs_pu_kind_name(hs_pu_of(s, i)->kind));
    hs_errf(err, "policy %s needs a PU of kind %s, but profile '%s' has none (its PUs: %s)", policy,
            hs_pu_kind_name(kind), hs_sched_hw(s)->name, have);
    return -1;
}

int admit_first_capable(hs_sched *s, hs_work *w, const int *pus, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (pus[i] >= 0 && hs_can_run(s, w, pus[i]))
            return pus[i];
    int best = -1;
    double best_t = INFINITY;
    for (int pu = 0; pu < hs_npus(s); pu++) {
        double t = hs_predict(s, w, pu);
        if (t < best_t) {
            best = pu;
            best_t = t;
        }
    }
    return best;
}
