/* hetsoc: random-number streams (see rng.h).
 *
 * Generator: GSL's taus2 (L'Ecuyer's maximally equidistributed combined
 * Tausworthe generator, period about 2^88).  It is one of GSL's fastest
 * simulation-quality generators and its state is 24 bytes, against 5 KB for
 * mt19937 on LP64 (624 unsigned longs): a model with 10^5 entities (PHOLD
 * LPs) keeps all its streams in a few MB instead of 500 MB.
 *
 * Seeds wider than 32 bits: gsl_rng_set takes an unsigned long, but taus2
 * (like mt19937) keeps only its low 32 bits: taus2 feeds the seed through
 * the LCG (69069 * s) & 0xffffffff, so s and s + 2^32 give the same stream,
 * and it maps seed 0 to 1 (mt19937 stores s & 0xffffffff, mapping 0 to 4357).
 * We therefore fold the 64-bit derived seed to 32 bits by xoring its halves,
 * so every bit of the derivation counts.  There are thus 2^32 distinct
 * streams: two entities share a stream with probability about n^2 / 2^33
 * for n entities of one run (1e-4 for 1000 entities).
 */
#include <string.h>

#include <gsl/gsl_randist.h>

#include "sim/kernel/rng.h"

/* The splitmix64 finaliser: a bijection on 64-bit words with full
 * avalanche, so nearby inputs (index 7 and 8) give unrelated outputs. */
static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* FNV-1a over the domain name: names the entity's family. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ull;
    }
    return h;
}

/* This function fixes the streams of every published run: changing it
 * changes every result, so it must stay as it is.  For a fixed run seed and
 * domain, mix64 is a bijection of the index, so two indices of one domain
 * never get the same 64-bit seed. */
uint64_t hs_rng_derive(uint64_t run_seed, const char *domain, uint64_t index)
{
    uint64_t base = mix64(run_seed ^ mix64(fnv1a(domain)));
    return mix64(base ^ index);
}

int hs_rng_init(hs_rng *r, uint64_t run_seed, const char *domain, uint64_t index)
{
    r->g = gsl_rng_alloc(gsl_rng_taus2);
    if (!r->g)
        return -1;
    uint64_t s = hs_rng_derive(run_seed, domain, index);
    gsl_rng_set(r->g, (unsigned long)(uint32_t)(s ^ (s >> 32)));
    return 0;
}

void hs_rng_free(hs_rng *r)
{
    if (r && r->g) {
        gsl_rng_free(r->g);
        r->g = NULL;
    }
}

double hs_rng_uniform(hs_rng *r)
{
    return gsl_rng_uniform(r->g);
}

double hs_rng_uniform_pos(hs_rng *r)
{
    return gsl_rng_uniform_pos(r->g);
}

/* taus2 yields 32 full bits per call (min 0, max 2^32 - 1). */
static inline uint32_t draw32(hs_rng *r)
{
    return (uint32_t)gsl_rng_get(r->g);
}

/* Lemire's multiply-and-reject method: unbiased, and unlike
 * gsl_rng_uniform_int it accepts every n (that one calls the GSL error
 * handler, which aborts by default, for n = 0 or n > 2^32 - 1). */
static uint32_t below32(hs_rng *r, uint32_t n)
{
    uint64_t m = (uint64_t)draw32(r) * n;
    if ((uint32_t)m < n) {
        uint32_t floor = (uint32_t)-n % n;  /* 2^32 mod n */
        while ((uint32_t)m < floor)
            m = (uint64_t)draw32(r) * n;
    }
    return (uint32_t)(m >> 32);
}

uint64_t hs_rng_below(hs_rng *r, uint64_t n)
{
    if (n <= 1)
        return 0;
    if (n <= UINT32_MAX)
        return below32(r, (uint32_t)n);
    /* Two draws make 64 bits; reject the top partial copy of [0, n). */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        uint64_t x = ((uint64_t)draw32(r) << 32) | draw32(r);
        if (x < limit)
            return x % n;
    }
}

double hs_rng_exponential(hs_rng *r, double mean)
{
    return gsl_ran_exponential(r->g, mean);
}
