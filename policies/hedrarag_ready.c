/* hetsoc policy `hedrarag`: the per-worker ready index.
 *
 * The wavefront of a cycle (§4.1) is the READY work of every pending
 * request, sorted by worker: scans for the retrieval worker, decode steps
 * for the generation worker, the rest placed at once.  Walking the
 * engine's whole ready list every cycle to sort it made the policy crawl
 * (most of the list is work left READY on purpose: the rest of each scan,
 * the decode steps of a busy generation worker).  The index keeps the
 * three lists up to date instead: work_ready appends, each action the
 * policy takes on a work (dispatch, split, batch) unlinks it first.  Each
 * list keeps the order in which its works became ready, which is the
 * engine's ready-list order restricted to it, so the cycle sees the same
 * wavefront as a walk of the ready list would.
 *
 * Work the engine takes away on its own: a rollback (hs_speculate, the
 * final top-k differs) withdraws the READY works of its stage and frees
 * them without telling the policy.  An entry therefore remembers its
 * request, stage and the stage's rollback count when the work became
 * ready; an entry whose stage has since rolled back is dropped without
 * touching its work (hr_ready_live; only a request with a speculated
 * stage can roll back, so only its entries are checked), and the entries
 * of a finished request are dropped when it leaves (hr_ready_forget),
 * before its stages are gone.
 *
 * The generation worker's list is long at layer granularity (one item of
 * every generating request, each at its own layer and op) and a sub-stage
 * batches only the items batchable with its first: the entries keep their
 * items' batch keys, so that the others are passed over without a look
 * at their work.
 */
#include <stdlib.h>

#include "policies/hedrarag.h"

struct hr_entry {
    hs_work *w;
    hs_req *r;             /* NULL: a batch of several requests (never withdrawn) */
    const bool *speculated;  /* r's flag: a stage of it was speculated (NULL: never) */
    uint64_t key;          /* its item's batch key */
    uint64_t seq;          /* the entries added before it */
    uint32_t stage;
    int32_t epoch;         /* the stage's rollbacks when w became ready */
    hr_list_id list;
    bool measured;         /* a whole scan whose time joined t_R */
    bool feeds_no_encoder; /* a generation item whose stage feeds no encoder (when looked at) */
    hr_entry *prev, *next; /* its list; next also links the free entries */
};

hr_list_id hr_classify(const hs_work *w)
{
    const hs_item *it = hs_work_item(w);
    if (hs_work_batch_size(w) > 1)
        return HR_LIST_OTHER;   /* a batch that did not fit: placed again */
    if (it->phase == HS_PHASE_SEARCH && it->slot == HS_SLOT_SCAN &&
        hs_item_split_extent(it, HS_SPLIT_CLUSTERS) > 0)
        return HR_LIST_SCANS;
    if (it->model && (it->phase == HS_PHASE_PREFILL || it->phase == HS_PHASE_DECODE) && it->batch_key)
        return HR_LIST_GENS;
    return HR_LIST_OTHER;
}

int hr_ready_add(hr_ready *x, hs_work *w, const bool *speculated)
{
    hr_entry *e = x->free;
    if (e)
        x->free = e->next;
    else if (!(e = malloc(sizeof *e)))
        return -1;
    hs_req *r = hs_work_req(w);
    const hs_stage_info *si = r ? hs_request_node(hs_req_dag(r), hs_work_stage(w)) : NULL;
    hr_list_id l = hr_classify(w);
    *e = (hr_entry){.w = w, .r = r, .speculated = r ? speculated : NULL, .key = hs_work_item(w)->batch_key,
                    .seq = x->added++,
                    .stage = hs_work_stage(w), .epoch = si ? si->rollbacks : 0, .list = l,
                    .prev = x->tail[l]};
    if (x->tail[l])
        x->tail[l]->next = e;
    else
        x->head[l] = e;
    x->tail[l] = e;
    x->count[l]++;
    hs_work_set_data(w, e);
    return 0;
}

static void unlink_entry(hr_ready *x, hr_entry *e)
{
    if (e->prev)
        e->prev->next = e->next;
    else
        x->head[e->list] = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        x->tail[e->list] = e->prev;
    x->count[e->list]--;
    e->next = x->free;
    x->free = e;
}

void hr_ready_take(hr_ready *x, hs_work *w)
{
    hr_entry *e = hs_work_data(w);
    if (!e)
        return;
    hs_work_set_data(w, NULL);
    unlink_entry(x, e);
}

hs_work *hr_ready_live(hr_ready *x, hr_entry *e)
{
    if (e->speculated && *e->speculated &&
        hs_request_node(hs_req_dag(e->r), e->stage)->rollbacks != e->epoch) {
        unlink_entry(x, e);   /* withdrawn by a rollback: its work is gone */
        return NULL;
    }
    return e->w;
}

hr_entry *hr_ready_first(const hr_ready *x, hr_list_id l) { return x->head[l]; }
hr_entry *hr_ready_next(const hr_entry *e) { return e->next; }
uint64_t hr_ready_key(const hr_entry *e) { return e->key; }
bool hr_ready_before(const hr_entry *e, uint64_t horizon) { return e && e->seq < horizon; }

bool hr_ready_feeds_no_encoder(const hr_entry *e) { return e->feeds_no_encoder; }
void hr_ready_set_feeds_no_encoder(hr_entry *e) { e->feeds_no_encoder = true; }

bool hr_ready_measured(hs_work *w)
{
    hr_entry *e = hs_work_data(w);
    if (!e || e->measured)
        return true;
    e->measured = true;
    return false;
}

void hr_ready_forget(hr_ready *x, const hs_req *r)
{
    for (int l = 0; l < HR_NLISTS; l++) {
        hr_entry *next;
        for (hr_entry *e = x->head[l]; e; e = next) {
            next = e->next;
            if (e->r == r)
                unlink_entry(x, e);
        }
    }
}

void hr_ready_free(hr_ready *x)
{
    for (int l = 0; l < HR_NLISTS; l++)
        while (x->head[l])
            unlink_entry(x, x->head[l]);
    while (x->free) {
        hr_entry *e = x->free;
        x->free = e->next;
        free(e);
    }
}
