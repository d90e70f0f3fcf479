/* hetsoc: the event pool.
 *
 * Records live in slabs that are never moved or freed before the pool is
 * destroyed, so a pointer to an event stays valid for the pool's life.  Free
 * records form a LIFO list threaded through their payload (a free record
 * carries no payload): the record handed out next is the one given back
 * last, which is still in cache when a handler frees an event and schedules
 * a new one.
 *
 * Invariants:
 *   - capacity = total records in all slabs = live + length of the free list;
 *   - a record is on the free list iff it is not live, and its flags are 0.
 * Growth is geometric (each new slab is as large as all earlier ones), so a
 * pool of n records has O(log n) slabs and a steady-state run never grows.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sim/kernel/event_internal.h"

enum { POOL_MIN_SLAB = 256 };

/* Slabs of at least this size are aligned to it and backed by huge pages
 * where the system allows it: a large model touches its records in random
 * order, and with 4 KB pages nearly every such touch also misses the TLB. */
#define POOL_HUGE ((size_t)2 << 20)

struct hs_event_pool {
    hs_event *free;        /* LIFO free list through data.ptr.p */
    hs_event **slabs;      /* every slab, freed by destroy */
    size_t nslabs, slabs_cap;
    size_t capacity;       /* records in all slabs */
    size_t live;           /* records handed out and not given back */
};

static inline hs_event *free_next(const hs_event *ev)
{
    return ev->data.ptr.p;
}

static void *slab_alloc(size_t bytes)
{
    if (bytes < POOL_HUGE)
        return calloc(1, bytes);
    size_t len = (bytes + POOL_HUGE - 1) / POOL_HUGE * POOL_HUGE;
    void *p = NULL;
    if (posix_memalign(&p, POOL_HUGE, len) != 0)
        return NULL;
#ifdef MADV_HUGEPAGE
    madvise(p, len, MADV_HUGEPAGE);   /* a hint: failure changes nothing */
#endif
    memset(p, 0, bytes);
    return p;
}

/* Adds one slab of n records and threads it onto the free list in address
 * order, so a fresh pool hands out consecutive records. */
static int pool_add_slab(hs_event_pool *pool, size_t n)
{
    if (pool->nslabs == pool->slabs_cap) {
        size_t cap = pool->slabs_cap ? 2 * pool->slabs_cap : 8;
        hs_event **s = realloc(pool->slabs, cap * sizeof *s);
        if (!s)
            return -1;
        pool->slabs = s;
        pool->slabs_cap = cap;
    }
    hs_event *slab = slab_alloc(n * sizeof *slab);
    if (!slab)
        return -1;
    pool->slabs[pool->nslabs++] = slab;
    for (size_t i = n; i-- > 0;) {
        slab[i].data.ptr.p = pool->free;
        pool->free = &slab[i];
    }
    pool->capacity += n;
    return 0;
}

hs_event_pool *hs_event_pool_create(size_t initial_capacity)
{
    hs_event_pool *pool = calloc(1, sizeof *pool);
    if (!pool)
        return NULL;
    if (initial_capacity && pool_add_slab(pool, initial_capacity) != 0) {
        hs_event_pool_destroy(pool);
        return NULL;
    }
    return pool;
}

void hs_event_pool_destroy(hs_event_pool *pool)
{
    if (!pool)
        return;
    for (size_t i = 0; i < pool->nslabs; i++)
        free(pool->slabs[i]);
    free(pool->slabs);
    free(pool);
}

hs_event *hs_event_alloc(hs_event_pool *pool)
{
    if (!pool->free) {
        size_t n = pool->capacity > POOL_MIN_SLAB ? pool->capacity : POOL_MIN_SLAB;
        if (pool_add_slab(pool, n) != 0)
            return NULL;
    }
    hs_event *ev = pool->free;
    pool->free = free_next(ev);
    memset(ev, 0, sizeof *ev);
    pool->live++;
    return ev;
}

void hs_event_free(hs_event_pool *pool, hs_event *ev)
{
    /* A queued record still has an entry in a queue: giving it back would
     * let the pool hand it out twice, so the call is ignored (the queue
     * frees it when the entry surfaces, see hs_evq_cancel). */
    if (!ev || (ev->flags & HS_EVF_QUEUED))
        return;
    ev->flags = 0;
    ev->data.ptr.p = pool->free;
    pool->free = ev;
    pool->live--;
}

size_t hs_event_pool_live(const hs_event_pool *pool)
{
    return pool->live;
}

size_t hs_event_pool_capacity(const hs_event_pool *pool)
{
    return pool->capacity;
}
