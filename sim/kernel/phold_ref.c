/* hetsoc: the bare PHOLD reference, the yardstick of the kernel benchmark.
 *
 * No pool, no handler table, no queue interface: a plain 4-ary min-heap of
 * 16-byte records held by value.  Its random draws are those of hs_phold_run
 * (same streams, same order: delay, then destination) and ties between equal
 * times are broken by insertion order as in the kernel, so both runs handle
 * the same events in the same order and give the same checksum.  The tie
 * counter is 32 bits and compared modulo 2^32, which is exact unless two
 * events of exactly equal time were scheduled 2^31 events apart. */
#include "sim/kernel/phold_internal.h"

typedef struct ref_rec {
    double time;
    uint32_t lp;
    uint32_t seq;
} ref_rec;

static inline int ref_before(ref_rec a, ref_rec b)
{
    return a.time < b.time || (a.time == b.time && (int32_t)(a.seq - b.seq) < 0);
}

static void ref_push(ref_rec *h, size_t *n, ref_rec e)
{
    size_t i = (*n)++;
    while (i > 0 && ref_before(e, h[(i - 1) / 4])) {
        h[i] = h[(i - 1) / 4];
        i = (i - 1) / 4;
    }
    h[i] = e;
}

static ref_rec ref_pop(ref_rec *h, size_t *n)
{
    ref_rec top = h[0], e = h[--*n];
    size_t i = 0;
    for (;;) {
        size_t c = 4 * i + 1, m = c;
        if (c >= *n)
            break;
        for (size_t j = c + 1; j < c + 4 && j < *n; j++)
            if (ref_before(h[j], h[m]))
                m = j;
        if (!ref_before(h[m], e))
            break;
        h[i] = h[m];
        i = m;
    }
    h[i] = e;
    return top;
}

int hs_phold_run_reference(const hs_phold_opts *o, hs_phold_result *r)
{
    if (!r || hs_phold_check(o) != 0)
        return -1;
    memset(r, 0, sizeof *r);
    size_t total = o->lps * o->pending_per_lp, n = 0;
    ref_rec *h = malloc((total + 1) * sizeof *h);
    hs_rng *rng = hs_phold_streams(o);
    if (!h || !rng) {
        free(h);
        hs_phold_streams_free(rng, o->lps);
        return -1;
    }
    uint32_t seq = 0;
    for (uint32_t lp = 0; lp < o->lps; lp++)
        for (uint64_t k = 0; k < o->pending_per_lp; k++)
            ref_push(h, &n, (ref_rec){hs_rng_exponential(&rng[lp], 1.0), lp, seq++});

    uint64_t sum = HS_PHOLD_CHECKSUM_SEED;
    size_t min_n = n, max_n = n;
    double now = 0.0;
    double t0 = hs_phold_clock();
    for (uint64_t i = 0; i < o->events; i++) {
        ref_rec e = ref_pop(h, &n);
        now = e.time;
        sum = hs_phold_mix(sum, e.time, e.lp);
        hs_rng *g = &rng[e.lp];
        double delay = hs_rng_exponential(g, 1.0);
        uint32_t dst = (uint32_t)hs_rng_below(g, o->lps);
        ref_push(h, &n, (ref_rec){now + delay, dst, seq++});
        min_n = n < min_n ? n : min_n;
        max_n = n > max_n ? n : max_n;
    }
    double wall = hs_phold_clock() - t0;

    r->events = o->events;
    r->end_time = now;
    r->checksum = sum;
    r->min_pending = min_n;
    r->max_pending = max_n;
    hs_phold_finish(r, wall);
    free(h);
    hs_phold_streams_free(rng, o->lps);
    return 0;
}
