/* hetsoc: random-number streams.
 *
 * Every stochastic entity (an arrival process, a request class, a PU, a
 * PHOLD LP...) draws from its own GSL generator.  Its seed is derived from
 * the run seed and the entity's identity (a domain name and an index) by a
 * fixed mixing function, so adding or removing an entity never changes the
 * numbers another entity sees, and the same run seed always gives the same
 * streams on every machine.
 */
#ifndef HS_SIM_RNG_H
#define HS_SIM_RNG_H

#include <stdint.h>
#include <gsl/gsl_rng.h>

/* Public API: exported from libhetsoc.so, built with -fvisibility=hidden. */
#pragma GCC visibility push(default)

typedef struct hs_rng {
    gsl_rng *g;
} hs_rng;

/* Derives the 64-bit seed of stream (domain, index) from run_seed. */
uint64_t hs_rng_derive(uint64_t run_seed, const char *domain, uint64_t index);
/* Creates the stream (domain, index) of run_seed.  Returns 0, -1 on OOM. */
int hs_rng_init(hs_rng *r, uint64_t run_seed, const char *domain, uint64_t index);
void hs_rng_free(hs_rng *r);
double hs_rng_uniform(hs_rng *r);              /* [0, 1) */
double hs_rng_uniform_pos(hs_rng *r);          /* (0, 1) */
uint64_t hs_rng_below(hs_rng *r, uint64_t n);  /* uniform integer in [0, n) */
double hs_rng_exponential(hs_rng *r, double mean);

#pragma GCC visibility pop

#endif
