/* hetsoc: the sweep's progress line on stderr ("[done/total runs] rate,
 * elapsed, ETA, failed"), redrawn in place with \r and cleared at the end.
 * The rate and ETA count only the runs this call executed, not those
 * --resume recovered. */
#include <math.h>
#include <stdio.h>

#include "experiments/runner/sweep_internal.h"

/* h:mm:ss, m:ss, or "-" when unknown. */
static void fmt_time(double s, char *buf, size_t n)
{
    if (!isfinite(s) || s < 0) {
        snprintf(buf, n, "-");
        return;
    }
    long t = lround(s);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
}

void hs_progress_show(sweep *s, bool force)
{
    if (!s->o->progress)
        return;
    double t = hs_runner_now_s();
    if (!force && t - s->last_progress < 0.25)
        return;
    s->last_progress = t;
    double el = t - s->t0;
    double rate = el > 0 ? (double)s->done_now / el : 0;
    size_t left = s->nmine - s->st->done;
    char e1[32], e2[32];
    fmt_time(el, e1, sizeof e1);
    fmt_time(rate > 0 ? (double)left / rate : NAN, e2, sizeof e2);
    fprintf(stderr, "\r[%zu/%zu runs] %.2f runs/s, elapsed %s, ETA %s", s->st->done, s->nmine, rate, e1,
            left ? e2 : "0:00");
    if (s->st->failed)
        fprintf(stderr, ", %zu failed", s->st->failed);
    fputs("\033[K", stderr);
    fflush(stderr);
    s->progress_shown = true;
}

void hs_progress_end(sweep *s)
{
    if (s->progress_shown) {
        fputs("\r\033[K", stderr);
        fflush(stderr);
        s->progress_shown = false;
    }
}
