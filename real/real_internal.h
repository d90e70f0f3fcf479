/* hetsoc real/: what preparation, calibration and validation share on top
 * of the executor's internals.  Not installed. */
#ifndef HS_REAL_INTERNAL_H
#define HS_REAL_INTERNAL_H

#include "real/exec/exec_real.h"
#include "real/real.h"

/* ---- Robust statistics (profile.c) ------------------------------------------ */
typedef struct rl_stat {
    size_t n, kept;      /* samples, and those left after outlier rejection */
    double median;       /* of the kept samples */
    double spread;       /* IQR / median of the kept samples */
    double lo, hi;       /* range of the kept samples */
} rl_stat;
/* Drops samples beyond 3.5 scaled MADs (1.4826 MAD) of the median, then
 * summarises the rest. */
void rl_robust(const double *v, size_t n, rl_stat *out);

#endif
