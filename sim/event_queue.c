/* hetsoc: the future event set.
 *
 * Structure: a two-tier ladder queue (after Tang, Goh and Thng's ladder
 * queue, with one rung and a heap as the bottom), holding entries
 * {time, event pointer} by value so that moving an entry never touches the
 * 40-byte event record, which is cold for most of its life:
 *
 *   top     unsorted array of entries later than top_floor; O(1) append.
 *   rung    nb buckets of width 1/inv_width from `start`; bucket b holds the
 *           entries whose index floor((time - start) * inv_width) is b
 *           (clamped to nb - 1).  Buckets before `cur` have been consumed.
 *           Each bucket is an unsorted array; O(1) append.
 *   bottom  a 4-ary min-heap by (time, seq) of the entries whose bucket has
 *           been consumed; small (one bucket's worth), so it stays in cache.
 *
 * When the bottom empties, the next non-empty bucket is loaded into it and
 * heapified; when the rung is spent, the whole top is spread over a fresh
 * rung (two linear passes).  An entry is thus moved about three times in
 * its life, each time by a sequential pass, instead of climbing a
 * log(n)-deep heap with a cache miss per level.  Measurements against a
 * plain 4-ary heap are in sim/README.md.
 *
 * Invariants (a < b is the (time, seq) order):
 *   I1  every bottom entry < every rung entry < every top entry;
 *   I2  the bucket index is a monotone function of time, computed the same
 *       way when an entry is routed and when a rung is built, so bucket
 *       j entries < bucket j+1 entries, and equal times share a bucket;
 *   I3  buckets outside [cur, nb) are empty;
 *   I4  top entries have time > top_floor >= every rung and bottom time;
 *   I5  every entry's event has HS_EVF_QUEUED; `entries` counts them all,
 *       `live` those without HS_EVF_CANCELLED;
 *   I6  heap_cap >= entries, so loading a bucket or the top never allocates.
 * Routing a new entry by time alone (top if > top_floor, else its bucket if
 * that is not consumed, else the heap) keeps I1 and I2, and since entries of
 * equal time always land in the same place, where the heap orders them by
 * seq, simultaneous events come out in FIFO order.
 *
 * Cancellation is lazy and O(1): the event is flagged and its entry stays
 * where it is until it reaches the top of the heap, where the record goes
 * back to the pool.  When cancelled entries outnumber live ones the queue
 * purges them in one pass, so memory stays within twice the live set.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/event_internal.h"

/* Tuning (see sim/README.md for how these were measured). */
#ifndef LQ_PER_TOP
#define LQ_PER_TOP 32      /* entries a bucket when the top becomes rung 0 */
#endif
#ifndef LQ_PER_CHILD
#define LQ_PER_CHILD 8     /* entries a bucket of a finer rung */
#endif
#ifndef LQ_SPAWN
#define LQ_SPAWN 24        /* a larger bucket (or top) gets a finer rung */
#endif
#define LQ_MAX_RUNGS 8     /* deeper only for pathological spreads */
#define LQ_MAX_BUCKETS ((size_t)1 << 20)
#define LQ_PREFETCH 32     /* records fetched ahead when the heap is loaded */
#define LQ_PURGE_MIN 1024  /* purge once this many are cancelled, and > live */

typedef struct lq_ent {
    double time;          /* copy of ev->time, which must not change while queued */
    hs_event *ev;
} lq_ent;

typedef struct lq_vec {
    lq_ent *v;
    size_t n, cap;
} lq_vec;

typedef struct lq_rung {
    lq_vec *bucket;           /* bucket[cur..nb) may be non-empty (I3) */
    uint32_t *count;          /* scratch of the builder, cap long */
    size_t nb, cur, cap;
    double start, inv_width;  /* bucket b starts at start + b / inv_width */
} lq_rung;

struct hs_evq {
    hs_event_pool *pool;
    uint64_t next_seq;
    size_t live;              /* queued, not cancelled */
    size_t entries;           /* queued, cancelled included */

    lq_vec top;
    double top_min, top_max;  /* bounds of the times in top */
    double top_floor;         /* top holds exactly the times above this */

    lq_rung rung[LQ_MAX_RUNGS];  /* rung[0] coarsest, rung[nrungs-1] finest */
    size_t nrungs;

    lq_ent *heap;             /* bottom: 4-ary heap, heap[0] earliest */
    size_t nheap, heap_cap;
};

/* ---- Entries and the bottom heap. ---------------------------------- */

static inline bool ent_before(lq_ent a, lq_ent b)
{
    /* The seq tie-break reads the records, but only for equal times. */
    return a.time < b.time || (a.time == b.time && a.ev->seq < b.ev->seq);
}

static void heap_sift_down(lq_ent *h, size_t n, size_t i, lq_ent e)
{
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n)
            break;
        size_t end = c + 4 < n ? c + 4 : n;
        size_t m = c;
        for (size_t j = c + 1; j < end; j++)
            if (ent_before(h[j], h[m]))
                m = j;
        if (!ent_before(h[m], e))
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = e;
}

static void heap_push(hs_evq *q, lq_ent e)
{
    lq_ent *h = q->heap;
    size_t i = q->nheap++;
    while (i > 0) {
        size_t p = (i - 1) / 4;
        if (!ent_before(e, h[p]))
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

static void heap_remove_top(hs_evq *q)
{
    lq_ent last = q->heap[--q->nheap];
    if (q->nheap > 0)
        heap_sift_down(q->heap, q->nheap, 0, last);
}

static void heapify(lq_ent *h, size_t n)
{
    if (n < 2)
        return;
    for (size_t i = (n - 2) / 4 + 1; i-- > 0;)
        heap_sift_down(h, n, i, h[i]);
}

/* Replaces the (empty) heap by n entries.  Needs no allocation (I6). */
static void heap_load(hs_evq *q, const lq_ent *src, size_t n)
{
    memcpy(q->heap, src, n * sizeof *src);
    q->nheap = n;
    heapify(q->heap, n);
}

static int heap_reserve(hs_evq *q, size_t n)
{
    if (n <= q->heap_cap)
        return 0;
    size_t cap = q->heap_cap ? 2 * q->heap_cap : 64;
    while (cap < n)
        cap *= 2;
    lq_ent *h = realloc(q->heap, cap * sizeof *h);
    if (!h)
        return -1;
    q->heap = h;
    q->heap_cap = cap;
    return 0;
}

/* ---- Arrays of entries (top, buckets). ------------------------------ */

static int vec_reserve(lq_vec *v, size_t n)
{
    if (n <= v->cap)
        return 0;
    size_t cap = v->cap ? 2 * v->cap : 8;
    while (cap < n)
        cap *= 2;
    lq_ent *p = realloc(v->v, cap * sizeof *p);
    if (!p)
        return -1;
    v->v = p;
    v->cap = cap;
    return 0;
}

static inline int vec_append(lq_vec *v, lq_ent e)
{
    if (v->n == v->cap && vec_reserve(v, v->n + 1) != 0)
        return -1;
    v->v[v->n++] = e;
    return 0;
}

/* ---- Rungs. ------------------------------------------------------- */

/* The bucket position of time t in a rung, as a real number; the single
 * definition used for routing and for building keeps I2. */
static inline double rung_pos(const lq_rung *r, double t)
{
    return (t - r->start) * r->inv_width;
}

static inline size_t rung_index(const lq_rung *r, double x)
{
    return x < (double)r->nb ? (size_t)x : r->nb - 1;  /* x >= 0 here */
}

static int rung_reserve(lq_rung *r, size_t nb)
{
    if (nb <= r->cap)
        return 0;
    lq_vec *b = realloc(r->bucket, nb * sizeof *b);
    if (!b)
        return -1;
    r->bucket = b;
    memset(b + r->cap, 0, (nb - r->cap) * sizeof *b);
    uint32_t *c = realloc(r->count, nb * sizeof *c);
    if (!c)
        return -1;   /* the larger bucket table is kept; cap unchanged */
    r->count = c;
    r->cap = nb;
    return 0;
}

/* Spreads n entries with times in [lo, hi] over the free rung slot `level`,
 * about `per` entries a bucket.  Counts first and reserves every bucket, so
 * a failed allocation leaves everything where it was.  Returns false when
 * the entries should rather go to the heap (one time only, or no memory);
 * the caller empties the source on success. */
static bool rung_build(hs_evq *q, size_t level, const lq_ent *e, size_t n,
                       double lo, double hi, size_t per)
{
    if (!(hi > lo) || level >= LQ_MAX_RUNGS)
        return false;
    size_t nb = n / per;
    nb = nb < 1 ? 1 : nb > LQ_MAX_BUCKETS ? LQ_MAX_BUCKETS : nb;
    lq_rung *r = &q->rung[level];
    if (rung_reserve(r, nb) != 0)
        return false;
    r->nb = nb;
    r->cur = 0;
    r->start = lo;
    r->inv_width = (double)nb / (hi - lo);
    if (!isfinite(r->inv_width))
        return false;   /* times too far apart or too close to divide */

    memset(r->count, 0, nb * sizeof *r->count);
    for (size_t i = 0; i < n; i++)
        r->count[rung_index(r, rung_pos(r, e[i].time))]++;
    for (size_t b = 0; b < nb; b++)
        if (vec_reserve(&r->bucket[b], r->count[b]) != 0)
            return false;
    for (size_t i = 0; i < n; i++) {
        lq_vec *v = &r->bucket[rung_index(r, rung_pos(r, e[i].time))];
        v->v[v->n++] = e[i];
    }
    q->nrungs = level + 1;
    return true;
}

static void ent_bounds(const lq_ent *e, size_t n, double *lo, double *hi)
{
    double a = e[0].time, b = e[0].time;
    for (size_t i = 1; i < n; i++) {
        a = e[i].time < a ? e[i].time : a;
        b = e[i].time > b ? e[i].time : b;
    }
    *lo = a;
    *hi = b;
}

/* Moves a bucket (or the top) below: into a finer rung when it is large
 * and not all one time, else into the heap, whose records it starts
 * fetching since they will be handled soon. */
static void descend(hs_evq *q, size_t level, lq_vec *src, double lo, double hi,
                    size_t per)
{
    if (src->n <= LQ_SPAWN || !rung_build(q, level, src->v, src->n, lo, hi, per)) {
        heap_load(q, src->v, src->n);
        for (size_t i = 0; i < src->n && i < LQ_PREFETCH; i++)
            __builtin_prefetch(q->heap[i].ev);
    }
    src->n = 0;
}

/* Fills the empty heap from the next bucket of the finest rung, climbing
 * to coarser rungs and finally to the top as they are spent.  Returns
 * false when the queue holds no entry at all. */
static bool refill(hs_evq *q)
{
    while (q->nheap == 0 && q->nrungs > 0) {
        lq_rung *r = &q->rung[q->nrungs - 1];
        while (r->cur < r->nb && r->bucket[r->cur].n == 0)
            r->cur++;
        if (r->cur == r->nb) {
            q->nrungs--;
            continue;
        }
        lq_vec *b = &r->bucket[r->cur++];
        double lo = 0, hi = 0;
        if (b->n > LQ_SPAWN)
            ent_bounds(b->v, b->n, &lo, &hi);
        descend(q, q->nrungs, b, lo, hi, LQ_PER_CHILD);
    }
    if (q->nheap > 0)
        return true;
    if (q->top.n == 0) {
        /* Empty: nothing constrains routing any more (I4 holds vacuously),
         * so new entries start afresh in the top. */
        q->top_floor = -INFINITY;
        return false;
    }
    q->top_floor = q->top_max;
    descend(q, 0, &q->top, q->top_min, q->top_max, LQ_PER_TOP);
    return true;
}

/* ---- Cancelled entries. -------------------------------------------- */

static void drop(hs_evq *q, hs_event *ev)
{
    ev->flags = 0;
    q->entries--;
    hs_event_free(q->pool, ev);
}

/* Drops the cancelled entries of one array, keeping the order of the rest. */
static size_t purge_array(hs_evq *q, lq_ent *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].ev->flags & HS_EVF_CANCELLED)
            drop(q, v[i].ev);
        else
            v[k++] = v[i];
    }
    return k;
}

/* One pass over everything; O(entries), run after at least entries / 2
 * cancellations, so O(1) amortised per cancellation.  Bounds such as
 * top_min stay valid (they may only become loose). */
static void purge(hs_evq *q)
{
    q->top.n = purge_array(q, q->top.v, q->top.n);
    for (size_t k = 0; k < q->nrungs; k++) {
        lq_rung *r = &q->rung[k];
        for (size_t b = r->cur; b < r->nb; b++)
            r->bucket[b].n = purge_array(q, r->bucket[b].v, r->bucket[b].n);
    }
    q->nheap = purge_array(q, q->heap, q->nheap);
    heapify(q->heap, q->nheap);
}

/* ---- The interface. ------------------------------------------------ */

hs_evq *hs_evq_create(hs_event_pool *pool)
{
    hs_evq *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->pool = pool;
    q->top_floor = -INFINITY;
    return q;
}

static void free_entries(hs_evq *q, const lq_ent *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        v[i].ev->flags = 0;
        hs_event_free(q->pool, v[i].ev);
    }
}

void hs_evq_destroy(hs_evq *q)
{
    if (!q)
        return;
    free_entries(q, q->top.v, q->top.n);
    free_entries(q, q->heap, q->nheap);
    for (size_t k = 0; k < LQ_MAX_RUNGS; k++) {
        lq_rung *r = &q->rung[k];
        for (size_t b = 0; b < r->cap; b++) {
            if (k < q->nrungs)
                free_entries(q, r->bucket[b].v, r->bucket[b].n);
            free(r->bucket[b].v);
        }
        free(r->bucket);
        free(r->count);
    }
    free(q->top.v);
    free(q->heap);
    free(q);
}

/* Routes an entry by its time (see the invariants above). */
static int place(hs_evq *q, lq_ent e)
{
    if (e.time > q->top_floor) {
        if (vec_append(&q->top, e) != 0)
            return -1;
        if (q->top.n == 1 || e.time < q->top_min)
            q->top_min = e.time;
        if (q->top.n == 1 || e.time > q->top_max)
            q->top_max = e.time;
        return 0;
    }
    /* Coarse to fine: a spent rung (cur == nb) passes its range on to the
     * finer rung made from its last bucket. */
    for (size_t k = 0; k < q->nrungs; k++) {
        lq_rung *r = &q->rung[k];
        double x = rung_pos(r, e.time);
        if (x >= (double)r->cur && r->cur < r->nb)
            return vec_append(&r->bucket[rung_index(r, x)], e);
    }
    heap_push(q, e);
    return 0;
}

int hs_evq_push(hs_evq *q, hs_event *ev)
{
    if (!ev || (ev->flags & HS_EVF_QUEUED) || !isfinite(ev->time))
        return -1;
    if (heap_reserve(q, q->entries + 1) != 0)
        return -1;
    ev->seq = q->next_seq;   /* set first: the heap compares it */
    if (place(q, (lq_ent){ev->time, ev}) != 0)
        return -1;
    q->next_seq++;
    ev->flags = HS_EVF_QUEUED;
    q->entries++;
    q->live++;
    return 0;
}

/* The earliest live entry, left in place; NULL when there is none. */
static lq_ent *front(hs_evq *q)
{
    for (;;) {
        if (q->nheap > 0) {
            hs_event *ev = q->heap[0].ev;
            if (!(ev->flags & HS_EVF_CANCELLED))
                return &q->heap[0];
            heap_remove_top(q);
            drop(q, ev);
        } else if (!refill(q)) {
            return NULL;
        }
    }
}

hs_event *hs_evq_peek(hs_evq *q)
{
    lq_ent *e = front(q);
    return e ? e->ev : NULL;
}

hs_event *hs_evq_pop(hs_evq *q)
{
    lq_ent *e = front(q);
    if (!e)
        return NULL;
    hs_event *ev = e->ev;
    heap_remove_top(q);
    /* The next record is most likely needed soon and is cold (it was
     * written long ago): start fetching it while the caller works. */
    if (q->nheap > 0)
        __builtin_prefetch(q->heap[0].ev);
    ev->flags &= (uint16_t)~HS_EVF_QUEUED;
    q->entries--;
    q->live--;
    return ev;
}

void hs_evq_cancel(hs_evq *q, hs_event *ev)
{
    if (!ev || (ev->flags & (HS_EVF_QUEUED | HS_EVF_CANCELLED)) != HS_EVF_QUEUED)
        return;
    ev->flags |= HS_EVF_CANCELLED;
    q->live--;
    size_t dead = q->entries - q->live;
    if (dead >= LQ_PURGE_MIN && dead > q->live)
        purge(q);
}

size_t hs_evq_size(const hs_evq *q)
{
    return q->live;
}
