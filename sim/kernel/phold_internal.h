/* hetsoc: what the kernel PHOLD and the bare reference share, so that the
 * two compute the same thing from the same draws. */
#ifndef HS_SIM_PHOLD_INTERNAL_H
#define HS_SIM_PHOLD_INTERNAL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/kernel/phold.h"
#include "sim/kernel/rng.h"

/* Domain of the per-LP random streams: LP i draws from ("phold.lp", i). */
#define HS_PHOLD_RNG_DOMAIN "phold.lp"

/* Order-sensitive hash of one handled event (time bits, then lp): FNV-1a
 * style on whole words, cheap enough not to weigh on the loop. */
static inline uint64_t hs_phold_mix(uint64_t h, double time, uint64_t lp)
{
    uint64_t bits;
    memcpy(&bits, &time, sizeof bits);
    h = (h ^ bits) * 0x100000001b3ull;
    return (h ^ lp) * 0x100000001b3ull;
}

/* Starting value of the checksum. */
#define HS_PHOLD_CHECKSUM_SEED 0xcbf29ce484222325ull

/* L >= 1, K >= 1, L fits the reference's 32-bit LP ids, L*K fits memory. */
static inline int hs_phold_check(const hs_phold_opts *o)
{
    if (!o || o->lps < 1 || o->pending_per_lp < 1 || o->lps > UINT32_MAX)
        return -1;
    if (o->pending_per_lp > (uint64_t)SIZE_MAX / 64 / o->lps)
        return -1;
    return 0;
}

static inline double hs_phold_clock(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Creates the L per-LP streams; on failure frees what it made. */
static inline hs_rng *hs_phold_streams(const hs_phold_opts *o)
{
    hs_rng *rng = calloc(o->lps, sizeof *rng);
    if (!rng)
        return NULL;
    for (uint64_t i = 0; i < o->lps; i++) {
        if (hs_rng_init(&rng[i], o->seed, HS_PHOLD_RNG_DOMAIN, i) != 0) {
            for (uint64_t j = 0; j < i; j++)
                hs_rng_free(&rng[j]);
            free(rng);
            return NULL;
        }
    }
    return rng;
}

static inline void hs_phold_streams_free(hs_rng *rng, uint64_t n)
{
    for (uint64_t i = 0; rng && i < n; i++)
        hs_rng_free(&rng[i]);
    free(rng);
}

static inline void hs_phold_finish(hs_phold_result *r, double wall_s)
{
    r->wall_s = wall_s;
    r->events_per_s = wall_s > 0 ? (double)r->events / wall_s : 0.0;
}

#endif
