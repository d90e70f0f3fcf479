/* hetsoc: the future event set.
 *
 * Structure: a ladder queue (after Tang, Goh and Thng, "Ladder queue: an
 * O(1) priority queue structure for large-scale discrete event
 * simulation", ACM TOMACS 2005) whose bottom is a small 4-ary heap.  It
 * holds entries {time, event pointer} by value, so moving an entry never
 * touches the event record, which is cold for most of its life:
 *
 *   top     unsorted array of the entries later than top_floor; O(1) push.
 *   rungs   rung[0] (coarsest) .. rung[nrungs-1] (finest).  A rung has nb
 *           buckets of width 1/inv_width from `start`: bucket b holds the
 *           entries whose position (time - start) * inv_width has floor b
 *           (clamped to nb - 1).  Buckets before `cur` have been consumed.
 *           Each bucket is an unsorted array; O(1) push.  Rung k+1 spreads
 *           the bucket cur-1 of rung k.
 *   bottom  a 4-ary min-heap by (time, seq) of the entries whose buckets
 *           have all been consumed: about LQ_PER_BUCKET entries, in cache.
 *
 * When the heap empties, the next non-empty bucket of the finest rung is
 * loaded into it; if that bucket is large it becomes a finer rung instead;
 * spent rungs are dropped, and when none is left the whole top becomes
 * rung 0.  Each step is a sequential pass over entries, and an entry is
 * moved a few times in its life (top, rung 0, a finer rung, heap) instead
 * of climbing a log(n)-deep heap with a cache miss per level.  Measurements
 * against a plain 4-ary heap are in experiments/benchmarks-log.md.
 *
 * Invariants (a < b is the (time, seq) order):
 *   I1  every heap entry < every rung entry < every top entry, and the
 *       entries of rung k+1 < those of rung k's unconsumed buckets;
 *   I2  a rung's bucket index is a monotone function of time, computed the
 *       same way when an entry is routed and when the rung is built, so
 *       bucket j entries < bucket j+1 entries and equal times share one;
 *   I3  buckets outside [cur, nb) of every rung slot, used or not, are empty;
 *   I4  top entries have time > top_floor >= every rung and heap time;
 *   I5  every entry's event has HS_EVF_QUEUED; `entries` counts them all,
 *       `live` those without HS_EVF_CANCELLED;
 *   I6  heap_cap >= entries, so loading a bucket or the top never allocates.
 * A new entry is routed by time alone: to the top if later than top_floor,
 * else to its bucket in the coarsest rung where that bucket is not yet
 * consumed, else to the heap.  This keeps I1 and I2, and since entries of
 * equal time always land in the same place, and the heap orders them by
 * seq, simultaneous events come out in FIFO order.  Times need not be
 * monotone: an early entry simply goes to the heap.
 *
 * Cancellation is lazy and O(1): the event is flagged and its entry stays
 * where it is until it reaches the top of the heap, where the record goes
 * back to the pool.  When cancelled entries number at least LQ_PURGE_MIN and
 * more than live ones, one pass purges them all, so the queue holds at most
 * 2 live + LQ_PURGE_MIN entries (O(1) amortised per cancellation).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/kernel/event_internal.h"

/* Tuning (see experiments/benchmarks-log.md for the measurements).  A rung aims at
 * LQ_PER_BUCKET entries a bucket, so that the heap stays tiny.  Rung 0, made
 * from the top, has at most LQ_TOP_BUCKETS buckets, because every push lands
 * on the tail of one of them: few tails stay in cache, where a bucket per
 * few events would scatter pushes over megabytes.  Its large buckets are
 * refined by finer rungs when reached. */
#ifndef LQ_PER_BUCKET
#define LQ_PER_BUCKET 8
#endif
#ifndef LQ_TOP_BUCKETS
#define LQ_TOP_BUCKETS 512
#endif
#ifndef LQ_SPAWN
#define LQ_SPAWN 24        /* a larger bucket (or top) gets a finer rung */
#endif
#define LQ_MAX_RUNGS 8     /* deeper only for pathological spreads */
#define LQ_MAX_BUCKETS ((size_t)1 << 16)
#define LQ_PREFETCH 8      /* records fetched ahead when the heap is loaded */
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

/* Spreads n entries with times in [lo, hi] over the free rung slot
 * `level`, about LQ_PER_BUCKET entries a bucket.  Counts first and reserves
 * every bucket, so a failed allocation leaves everything where it was.
 * Returns false when the entries should rather go to the heap (one time
 * only, or no memory); the caller empties the source on success. */
static bool rung_build(hs_evq *q, size_t level, const lq_ent *e, size_t n,
                       double lo, double hi)
{
    if (!(hi > lo) || level >= LQ_MAX_RUNGS)
        return false;
    size_t most = level == 0 ? LQ_TOP_BUCKETS : LQ_MAX_BUCKETS;
    size_t nb = n / LQ_PER_BUCKET;
    nb = nb < 1 ? 1 : nb > most ? most : nb;
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
static void descend(hs_evq *q, size_t level, lq_vec *src, double lo, double hi)
{
    if (src->n <= LQ_SPAWN || !rung_build(q, level, src->v, src->n, lo, hi)) {
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
        descend(q, q->nrungs, b, lo, hi);
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
    descend(q, 0, &q->top, q->top_min, q->top_max);
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

/* Queues ev with sequence number seq.  Any seq orders correctly: routing
 * goes by time alone and the heap compares (time, seq). */
static int push_seq(hs_evq *q, hs_event *ev, uint64_t seq)
{
    if (!ev || (ev->flags & HS_EVF_QUEUED) || !isfinite(ev->time))
        return -1;
    if (heap_reserve(q, q->entries + 1) != 0)
        return -1;
    ev->seq = seq;           /* set first: the heap compares it */
    if (place(q, (lq_ent){ev->time, ev}) != 0)
        return -1;
    ev->flags = HS_EVF_QUEUED;
    q->entries++;
    q->live++;
    return 0;
}

int hs_evq_push(hs_evq *q, hs_event *ev)
{
    if (push_seq(q, ev, q->next_seq) != 0)
        return -1;
    q->next_seq++;
    return 0;
}

int hs_evq_push_as(hs_evq *q, hs_event *ev, uint64_t seq)
{
    return push_seq(q, ev, seq);
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
